//! `cmsgpack`: MessagePack pack/unpack with lua-cmsgpack 0.4's behaviour
//! (Redis's `lua_cmsgpack.c`).
//!
//! Packing picks the smallest encoding: integral numbers as (fix)ints,
//! others as float32 when exact, else float64; strings as fixstr/str8/16/32;
//! a table whose keys are exactly 1..n is an array, any other a map. Tables
//! nested deeper than 16 levels are packed as nil (so cycles terminate).
//! `unpack` returns every object; `unpack_one(s, offset)` and
//! `unpack_limit(s, n, offset)` return the next offset first (-1 at the end).

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lua::lua_error;

const MAX_NESTING: usize = 16;

/// Deepest nesting `unpack` follows (it recurses on the server's stack);
/// deeper input is reported as bad data.
const MAX_DECODE_DEPTH: usize = 3000;

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            if args.is_empty() {
                return Err(lua_error(lua, "MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                encode(v, 0, &mut out)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, s: mlua::String| {
            let (_, vals) = unpack_n(lua, s.as_bytes(), 0, 0)?;
            Ok(MultiValue::from_vec(vals))
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, (s, offset): (mlua::String, Option<i64>)| {
            let (next, mut vals) = unpack_n(lua, s.as_bytes(), 1, offset.unwrap_or(0))?;
            vals.insert(0, Value::Integer(next));
            Ok(MultiValue::from_vec(vals))
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(
            |lua, (s, limit, offset): (mlua::String, i64, Option<i64>)| {
                let (next, mut vals) = unpack_n(
                    lua,
                    s.as_bytes(),
                    limit.max(0) as usize,
                    offset.unwrap_or(0),
                )?;
                vals.insert(0, Value::Integer(next));
                Ok(MultiValue::from_vec(vals))
            },
        )?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    Ok(t)
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

fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match v {
        Value::Nil => out.push(0xc0),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(*i, out),
        Value::Number(n) => {
            let n = *n;
            // ±2^63: integral values that fit an i64.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
                encode_int(n as i64, out);
            } else if (n as f32) as f64 == n || n.is_nan() {
                out.push(0xca);
                out.extend_from_slice(&(n as f32).to_be_bytes());
            } else {
                out.push(0xcb);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        Value::String(s) => {
            let b = s.as_bytes();
            encode_len(b.len(), 0xa0, 32, Some(0xd9), 0xda, 0xdb, out);
            out.extend_from_slice(b);
        }
        Value::Table(t) if level < MAX_NESTING => {
            // Two walks (classify, then emit), never holding every
            // element as a Rust value (one pinned Lua reference each).
            let mut max = 0f64;
            let mut count = 0usize;
            let mut is_array = true;
            for r in t.clone().pairs::<Value, Value>() {
                let (k, _) = r?;
                count += 1;
                if !is_array {
                    continue;
                }
                let n = match k {
                    Value::Integer(i) => i as f64,
                    Value::Number(n) => n,
                    _ => {
                        is_array = false;
                        continue;
                    }
                };
                if n < 1.0 || n.fract() != 0.0 {
                    is_array = false;
                    continue;
                }
                max = max.max(n);
            }
            if is_array && max as usize == count {
                encode_len(count, 0x90, 16, None, 0xdc, 0xdd, out);
                for i in 1..=count {
                    let item: Value = t.raw_get(i)?;
                    encode(&item, level + 1, out)?;
                }
            } else {
                encode_len(count, 0x80, 16, None, 0xde, 0xdf, out);
                for r in t.clone().pairs::<Value, Value>() {
                    let (k, val) = r?;
                    encode(&k, level + 1, out)?;
                    encode(&val, level + 1, out)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Decode up to `limit` objects (0 = all) from `offset`; returns the offset
/// of the next object (-1 when the input is exhausted) and the values.
fn unpack_n<'lua>(
    lua: &'lua Lua,
    s: &[u8],
    limit: usize,
    offset: i64,
) -> mlua::Result<(i64, Vec<Value<'lua>>)> {
    if offset < 0 || offset as usize > s.len() {
        return Err(lua_error(lua, "Start offset greater than input length"));
    }
    let mut pos = offset as usize;
    let mut vals = Vec::new();
    while pos < s.len() && (limit == 0 || vals.len() < limit) {
        let mut d = Decoder { s, pos, depth: 0 };
        let v = d.value(lua).map_err(|e| match e {
            DecErr::Lua(e) => e,
            DecErr::Eof => lua_error(lua, "Missing bytes in input."),
            DecErr::Bad => lua_error(lua, "Bad data format in input."),
        })?;
        pos = d.pos;
        vals.push(v);
    }
    let next = if pos >= s.len() { -1 } else { pos as i64 };
    Ok((next, vals))
}

enum DecErr {
    Eof,
    Bad,
    Lua(mlua::Error),
}

impl From<mlua::Error> for DecErr {
    fn from(e: mlua::Error) -> Self {
        DecErr::Lua(e)
    }
}

struct Decoder<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecErr> {
        let end = self.pos.checked_add(n).ok_or(DecErr::Eof)?;
        if end > self.s.len() {
            return Err(DecErr::Eof);
        }
        let b = &self.s[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecErr> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    fn value<'lua>(&mut self, lua: &'lua Lua) -> Result<Value<'lua>, DecErr> {
        let b = self.take(1)?[0];
        Ok(match b {
            0x00..=0x7f => Value::Integer(b as i64),
            0x80..=0x8f => self.map(lua, (b & 0x0f) as usize)?,
            0x90..=0x9f => self.array(lua, (b & 0x0f) as usize)?,
            0xa0..=0xbf => self.str(lua, (b & 0x1f) as usize)?,
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4 | 0xd9 => {
                let n = self.uint(1)? as usize;
                self.str(lua, n)?
            }
            0xc5 | 0xda => {
                let n = self.uint(2)? as usize;
                self.str(lua, n)?
            }
            0xc6 | 0xdb => {
                let n = self.uint(4)? as usize;
                self.str(lua, n)?
            }
            0xca => Value::Number(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Value::Number(f64::from_bits(self.uint(8)?)),
            0xcc => Value::Integer(self.uint(1)? as i64),
            0xcd => Value::Integer(self.uint(2)? as i64),
            0xce => Value::Integer(self.uint(4)? as i64),
            0xcf => Value::Number(self.uint(8)? as f64),
            0xd0 => Value::Integer(self.uint(1)? as u8 as i8 as i64),
            0xd1 => Value::Integer(self.uint(2)? as u16 as i16 as i64),
            0xd2 => Value::Integer(self.uint(4)? as u32 as i32 as i64),
            0xd3 => Value::Number(self.uint(8)? as i64 as f64),
            0xdc => {
                let n = self.uint(2)? as usize;
                self.array(lua, n)?
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                self.array(lua, n)?
            }
            0xde => {
                let n = self.uint(2)? as usize;
                self.map(lua, n)?
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                self.map(lua, n)?
            }
            0xe0..=0xff => Value::Integer(b as i8 as i64),
            _ => return Err(DecErr::Bad),
        })
    }

    fn str<'lua>(&mut self, lua: &'lua Lua, n: usize) -> Result<Value<'lua>, DecErr> {
        let b = self.take(n)?;
        Ok(Value::String(lua.create_string(b)?))
    }

    fn array<'lua>(&mut self, lua: &'lua Lua, n: usize) -> Result<Value<'lua>, DecErr> {
        self.depth += 1;
        if self.depth > MAX_DECODE_DEPTH {
            return Err(DecErr::Bad);
        }
        let t = lua.create_table_with_capacity(n.min(4096), 0)?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v)?;
        }
        self.depth -= 1;
        Ok(Value::Table(t))
    }

    fn map<'lua>(&mut self, lua: &'lua Lua, n: usize) -> Result<Value<'lua>, DecErr> {
        self.depth += 1;
        if self.depth > MAX_DECODE_DEPTH {
            return Err(DecErr::Bad);
        }
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = self.value(lua)?;
            let v = self.value(lua)?;
            if !k.is_nil() {
                t.raw_set(k, v)?;
            }
        }
        self.depth -= 1;
        Ok(Value::Table(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_redis_tests() {
        let mut out = Vec::new();
        encode(&Value::Number(0.1), 0, &mut out).unwrap();
        assert_eq!(out, [0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]);
        out.clear();
        encode(&Value::Integer(-1099511627776), 0, &mut out).unwrap();
        assert_eq!(out, [0xd3, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00]);
    }
}
