//! `cmsgpack`: MessagePack pack/unpack with lua-cmsgpack 0.4's behaviour
//! (Redis's `lua_cmsgpack.c`: `mp_pack`, `mp_unpack_full`, `mp_decode_to_lua_type`).
//!
//! # Packing
//! The smallest encoding: integral numbers (those equal to their `int64`
//! cast) as (fix)ints, others as float32 when exact, else float64 (NaN
//! included); strings as fixstr/str8/16/32; a table whose keys are exactly
//! the integers 1..n (each within C `int` range) is an array, any other a
//! map in `next` order. Tables nested 16 levels deep are packed as nil (so
//! cycles terminate), as are functions and userdata.
//!
//! # Unpacking
//! `unpack(s)` returns every object; `unpack_one(s [, offset])` and
//! `unpack_limit(s, limit [, offset])` return the next offset first (-1 at
//! the end). Only the types lua-cmsgpack knows decode (no bin or ext: "Bad
//! data format in input."). Unsigned 64-bit values wrap to signed, as
//! Redis's `lua_pushunsigned` does; a map key that is nil or NaN fails
//! like Lua's `lua_settable`.
//!
//! # Bounds
//! Redis's decoder checks Lua's C stack (`LUAI_MAXCSTACK`, 8000 slots)
//! before every value, so too many results or too deep a nesting stop with
//! "stack overflow (...)" instead of overflowing. Ours is the same decoder
//! shape on the same Lua stack (C functions, not mlua callbacks, whose
//! values would each pin a slot of mlua's own), so the limits and messages
//! are Redis's, and the recursion they bound stays under 8000 levels of
//! small frames. A declared length never allocates ahead: tables start
//! empty and each element needs at least one input byte.

use std::os::raw::{c_char, c_int};

use mlua::{ffi, Lua, Table, Value};

use super::capi::{self, LibError, LibResult, Results};

/// Tables nested this deep are packed as nil (`LUACMSGPACK_MAX_NESTING`).
const MAX_NESTING: usize = 16;

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set("pack", capi::c_function(lua, pack)?)?;
    // SAFETY: C functions written against the Lua C API (see decode).
    unsafe {
        t.raw_set("unpack", lua.create_c_function(unpack)?)?;
        t.raw_set("unpack_one", lua.create_c_function(unpack_one)?)?;
        t.raw_set("unpack_limit", lua.create_c_function(unpack_limit)?)?;
    }
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

/// `cmsgpack.pack(...)`: the concatenation of each argument's encoding.
fn pack<'lua>(lua: &'lua Lua, args: Vec<Value<'lua>>) -> LibResult<'lua> {
    if args.is_empty() {
        return Ok(Err(LibError::arg(0, "MessagePack pack needs input.")));
    }
    let mut out = Vec::new();
    for v in &args {
        encode(v, 0, &mut out)?;
    }
    Ok(Ok(Results::one(lua, lua.create_string(&out)?)?))
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 {
        if i <= 127 {
            out.push(i as u8);
        } else if i <= 0xff {
            out.extend_from_slice(&[0xcc, i as u8]);
        } else if i <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        } else if i <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= -128 {
        out.extend_from_slice(&[0xd0, i as i8 as u8]);
    } else if i >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// `mp_encode_double`: float32 when that is exact, else float64.
fn encode_double(d: f64, out: &mut Vec<u8>) {
    let f = d as f32;
    if f as f64 == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

/// A header for a length: `fix` holds lengths below `fix_max`; then the
/// 8-bit form (strings only), 16 and 32 bits.
fn encode_len(
    len: usize,
    fix: u8,
    fix_max: usize,
    b8: Option<u8>,
    b16: u8,
    b32: u8,
    out: &mut Vec<u8>,
) {
    if len < fix_max {
        out.push(fix | len as u8);
    } else if let (Some(b8), true) = (b8, len <= 0xff) {
        out.extend_from_slice(&[b8, len as u8]);
    } else if len <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// `table_is_an_array`: keys exactly 1..n, each a number equal to its C
/// `int` cast (so none past 2^31 - 1). Returns n.
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut count, mut max) = (0usize, 0f64);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if n <= 0.0 || n > i32::MAX as f64 || n.fract() != 0.0 {
            return Ok(None);
        }
        max = max.max(n);
        count += 1;
    }
    Ok((max as usize == count).then_some(count))
}

fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(*i, out),
        Value::Number(n) => {
            // IS_INT64_EQUIVALENT: finite and equal to its int64 cast.
            let n = *n;
            let i = capi::f64_to_i64(n);
            if n.is_finite() && i as f64 == n {
                encode_int(i, out);
            } else {
                encode_double(n, out);
            }
        }
        Value::String(s) => {
            let b = s.as_bytes();
            encode_len(b.len(), 0xa0, 32, Some(0xd9), 0xda, 0xdb, out);
            out.extend_from_slice(b);
        }
        Value::Table(t) if level < MAX_NESTING => match array_len(t)? {
            Some(n) => {
                encode_len(n, 0x90, 16, None, 0xdc, 0xdd, out);
                for i in 1..=n {
                    let item: Value = t.get(i)?;
                    encode(&item, level + 1, out)?;
                }
            }
            None => {
                let count = t.clone().pairs::<Value, Value>().count();
                encode_len(count, 0x80, 16, None, 0xde, 0xdf, out);
                for pair in t.clone().pairs::<Value, Value>() {
                    let (k, val) = pair?;
                    encode(&k, level + 1, out)?;
                    encode(&val, level + 1, out)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Why decoding stopped (`mp_cur.err`).
#[derive(Clone, Copy, PartialEq)]
enum Fail {
    None,
    Eof,
    BadFormat,
}

/// The input being decoded (`mp_cur`): borrowed from the Lua string at
/// stack index 1, which stays there for the whole call.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
    err: Fail,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.s.len() - self.pos
    }

    /// `mp_cur_need`: false (and EOF) when fewer than `n` bytes are left.
    fn need(&mut self, n: usize) -> bool {
        if self.left() < n {
            self.err = Fail::Eof;
            return false;
        }
        true
    }

    /// The big-endian number in the `n` bytes after the type byte.
    fn be(&self, n: usize) -> u64 {
        self.s[self.pos + 1..self.pos + 1 + n]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64)
    }

    fn ptr(&self, at: usize) -> *const c_char {
        self.s[self.pos + at..].as_ptr() as *const c_char
    }
}

// The decoder works on the Lua stack like Redis's, and raises with
// luaL_error / lua_settable, which unwind over its frames: they own nothing
// that needs dropping (a cursor over a borrowed slice, integers).

/// `mp_decode_to_lua_type`: push one object, or set `c.err`.
unsafe fn decode(state: *mut ffi::lua_State, c: &mut Cursor) {
    if !c.need(1) {
        return;
    }
    ffi::luaL_checkstack_(
        state,
        1,
        c"too many return values at once; use unpack_one or unpack_limit instead.".as_ptr(),
    );
    let b = c.s[c.pos];
    // A number of `n` bytes after the type byte, converted by `f`.
    let mut number = |n: usize, f: fn(u64) -> f64| {
        if c.need(1 + n) {
            ffi::lua_pushnumber(state, f(c.be(n)));
            c.pos += 1 + n;
        }
    };
    match b {
        0xcc..=0xce => number(1 << (b - 0xcc), |u| u as f64),
        // lua_pushunsigned is lua_pushinteger: past 2^63 it wraps.
        0xcf => number(8, |u| u as i64 as f64),
        0xd0 => number(1, |u| u as u8 as i8 as f64),
        0xd1 => number(2, |u| u as u16 as i16 as f64),
        0xd2 => number(4, |u| u as u32 as i32 as f64),
        0xd3 => number(8, |u| u as i64 as f64),
        0xca => number(4, |u| f32::from_bits(u as u32) as f64),
        0xcb => number(8, f64::from_bits),
        0xc0 => {
            ffi::lua_pushnil(state);
            c.pos += 1;
        }
        0xc2 | 0xc3 => {
            ffi::lua_pushboolean(state, (b == 0xc3) as c_int);
            c.pos += 1;
        }
        0xd9..=0xdb => {
            let hdr = 1 << (b - 0xd9);
            if !c.need(1 + hdr) {
                return;
            }
            let len = c.be(hdr) as usize;
            if !c.need(1 + hdr) || c.left() - 1 - hdr < len {
                c.err = Fail::Eof;
                return;
            }
            ffi::lua_pushlstring_(state, c.ptr(1 + hdr), len);
            c.pos += 1 + hdr + len;
        }
        0xdc..=0xdf => {
            let hdr = if b & 1 == 0 { 2 } else { 4 };
            if !c.need(1 + hdr) {
                return;
            }
            let len = c.be(hdr) as usize;
            c.pos += 1 + hdr;
            if b <= 0xdd {
                decode_array(state, c, len);
            } else {
                decode_map(state, c, len);
            }
        }
        0x00..=0x7f => {
            ffi::lua_pushnumber(state, b as f64);
            c.pos += 1;
        }
        0xe0..=0xff => {
            ffi::lua_pushnumber(state, b as i8 as f64);
            c.pos += 1;
        }
        0xa0..=0xbf => {
            let len = (b & 0x1f) as usize;
            if c.need(1 + len) {
                ffi::lua_pushlstring_(state, c.ptr(1), len);
                c.pos += 1 + len;
            }
        }
        0x90..=0x9f => {
            c.pos += 1;
            decode_array(state, c, (b & 0x0f) as usize);
        }
        0x80..=0x8f => {
            c.pos += 1;
            decode_map(state, c, (b & 0x0f) as usize);
        }
        _ => c.err = Fail::BadFormat,
    }
}

/// `mp_decode_to_lua_array`: a table with the elements at 1..len.
unsafe fn decode_array(state: *mut ffi::lua_State, c: &mut Cursor, len: usize) {
    ffi::lua_createtable(state, 0, 0);
    ffi::luaL_checkstack_(state, 1, c"in function mp_decode_to_lua_array".as_ptr());
    for index in 1..=len {
        ffi::lua_pushnumber(state, index as f64);
        decode(state, c);
        if c.err != Fail::None {
            return;
        }
        ffi::lua_settable(state, -3);
    }
}

/// `mp_decode_to_lua_hash`: a table of `len` key/value pairs (a nil or NaN
/// key fails in lua_settable, as in Redis).
unsafe fn decode_map(state: *mut ffi::lua_State, c: &mut Cursor, len: usize) {
    ffi::lua_createtable(state, 0, 0);
    for _ in 0..len {
        decode(state, c);
        if c.err != Fail::None {
            return;
        }
        decode(state, c);
        if c.err != Fail::None {
            return;
        }
        ffi::lua_settable(state, -3);
    }
}

/// `mp_unpack_full`: up to `limit` objects from `offset` (both 0: all of
/// them, and no offset among the results). The input is at index 1.
unsafe fn unpack_full(state: *mut ffi::lua_State, limit: i64, offset: i64) -> c_int {
    let mut len = 0usize;
    let s = ffi::luaL_checklstring(state, 1, &mut len);
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // Redis prints the input length where it says "limit".
        ffi::luaL_error(
            state,
            c"Invalid request to unpack with offset of %d and limit of %d.".as_ptr(),
            offset as c_int,
            len as c_int,
        );
    } else if offset as u64 > len as u64 {
        ffi::luaL_error(
            state,
            c"Start offset %d greater than input length %d.".as_ptr(),
            offset as c_int,
            len as c_int,
        );
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut c = Cursor {
        s: std::slice::from_raw_parts(s as *const u8, len),
        pos: offset as usize,
        err: Fail::None,
    };
    let mut count: c_int = 0;
    while c.left() > 0 && (count as i64) < limit {
        decode(state, &mut c);
        match c.err {
            Fail::Eof => ffi::luaL_error(state, c"Missing bytes in input.".as_ptr()),
            Fail::BadFormat => ffi::luaL_error(state, c"Bad data format in input.".as_ptr()),
            Fail::None => 0,
        };
        count += 1;
    }
    if !decode_all {
        ffi::luaL_checkstack_(state, 1, c"in function mp_unpack_full".as_ptr());
        let next = if c.left() == 0 { -1.0 } else { c.pos as f64 };
        ffi::lua_pushnumber(state, next);
        ffi::lua_insert(state, 2);
        count += 1;
    }
    count
}

/// `cmsgpack.unpack(s)`: every object (extra arguments stay below them).
unsafe extern "C-unwind" fn unpack(state: *mut ffi::lua_State) -> c_int {
    unpack_full(state, 0, 0)
}

/// Pop all arguments but the first (none stays none).
unsafe fn keep_first(state: *mut ffi::lua_State) {
    ffi::lua_pop(state, ffi::lua_gettop(state) - 1);
}

/// `cmsgpack.unpack_one(s [, offset])`.
unsafe extern "C-unwind" fn unpack_one(state: *mut ffi::lua_State) -> c_int {
    let offset = ffi::luaL_optinteger(state, 2, 0);
    keep_first(state);
    unpack_full(state, 1, offset)
}

/// `cmsgpack.unpack_limit(s, limit [, offset])`.
unsafe extern "C-unwind" fn unpack_limit(state: *mut ffi::lua_State) -> c_int {
    let limit = ffi::luaL_checkinteger(state, 2);
    let offset = ffi::luaL_optinteger(state, 3, 0);
    keep_first(state);
    unpack_full(state, limit, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&v, 0, &mut out).unwrap();
        out
    }

    /// Call `cmsgpack.<f>` on `data`; the count of results or the error.
    fn call(f: &str, data: &[u8]) -> Result<usize, String> {
        let lua = Lua::new();
        let t = open(&lua).unwrap();
        let f: mlua::Function = t.get(f).unwrap();
        let r = match f.call::<_, mlua::MultiValue>(lua.create_string(data).unwrap()) {
            Ok(v) => Ok(v.len()),
            Err(mlua::Error::RuntimeError(m)) => Err(m
                .split("\nstack traceback")
                .next()
                .unwrap_or("")
                .to_string()),
            Err(e) => Err(e.to_string()),
        };
        r
    }

    #[test]
    fn decoding_stops_at_the_c_stack_like_redis() {
        // Each open array holds its table and an index: 3999 of them fit.
        let mut s = vec![0x91u8; 3999];
        s.push(1);
        assert_eq!(call("unpack", &s), Ok(1));
        s.insert(0, 0x91);
        assert_eq!(
            call("unpack", &s),
            Err("stack overflow (in function mp_decode_to_lua_array)".into())
        );
        assert_eq!(call("unpack", &vec![1u8; 7999]), Ok(7999));
        assert_eq!(
            call("unpack", &vec![1u8; 8000]),
            Err("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)".into())
        );
        // Bin types are not lua-cmsgpack's: bad format, not missing bytes.
        assert_eq!(
            call("unpack", &[0xc4, 5, b'a']),
            Err("Bad data format in input.".into())
        );
        assert_eq!(
            call("unpack", &[0x81, 0xc0, 1]),
            Err("table index is nil".into())
        );
    }

    #[test]
    fn encodings_match_redis_tests() {
        assert_eq!(
            packed(Value::Number(0.1)),
            [0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
        assert_eq!(
            packed(Value::Integer(-1099511627776)),
            [0xd3, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
        // NaN is not float-exact: a double, with its bits.
        let nan = packed(Value::Number(f64::NAN));
        assert_eq!(nan[0], 0xcb);
        // 2^63 is not an int64; it is float-exact.
        assert_eq!(
            packed(Value::Number(9223372036854775808.0)),
            [0xca, 0x5f, 0, 0, 0]
        );
    }
}
