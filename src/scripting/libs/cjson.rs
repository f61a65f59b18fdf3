//! `cjson`: JSON encode/decode with lua-cjson 2.1's behaviour (Redis's
//! `lua_cjson.c`: `json_encode`, `json_decode`, the `json_cfg_*` options
//! and `lua_cjson_new`).
//!
//! # Encoding
//! A table whose keys are all positive integers is an array (holes become
//! `null`; "excessively sparse" arrays are refused or, with
//! `encode_sparse_array(true)`, made objects), any other table an object
//! with string or number keys; the empty table is `{}`. Numbers use
//! `%.<precision>g`; NaN and Inf are refused unless `encode_invalid_numbers`
//! says otherwise. Strings escape `"`, `\`, `/`, control characters and DEL.
//!
//! # Decoding
//! lua-cjson's tokenizer over the input as a C string (a NUL byte ends
//! it); numbers go through `strtod` (so `0x10`, `nan` and `inf` decode,
//! unless `decode_invalid_numbers(false)`), `null` is `cjson.null` (a NULL
//! light userdata). Errors name the token found and its position
//! ("Expected value but found invalid token at character 1").
//!
//! # Bounds (CVE-2022-24834 and friends)
//! Both directions nest at most `encode_max_depth` / `decode_max_depth`
//! levels (1000 by default) and, like Redis, check Lua's C stack before
//! each level with the same stack discipline as lua_cjson.c (a table and a
//! key/value per object level, a table and a value per array level), so
//! raising the limits stops at the same depth and message as Redis
//! ("Cannot serialise, excessive nesting (N)", "Found too many nested data
//! structures (N) at character P"). The output buffer is a `Vec`, grown
//! with checked arithmetic.
//!
//! # Shape
//! Like Redis's, every function is a C function sharing one configuration
//! userdata as its upvalue, and `cjson.new()` builds an independent module.
//! Errors are raised only once no Rust value that owns memory is alive:
//! the encoder and decoder return them, the entry points raise.

use std::os::raw::{c_char, c_int, c_void};

use mlua::{ffi, Lua, Table};

use super::capi;

/// One module's settings (`json_config_t`), stored in a userdata.
#[derive(Clone, Copy)]
struct Config {
    encode_sparse_convert: c_int,
    encode_sparse_ratio: c_int,
    encode_sparse_safe: c_int,
    encode_max_depth: c_int,
    decode_max_depth: c_int,
    encode_invalid_numbers: c_int,
    decode_invalid_numbers: c_int,
    encode_keep_buffer: c_int,
    encode_number_precision: c_int,
}

const DEFAULT_CONFIG: Config = Config {
    encode_sparse_convert: 0,
    encode_sparse_ratio: 2,
    encode_sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid_numbers: 0,
    decode_invalid_numbers: 1,
    encode_keep_buffer: 1,
    encode_number_precision: 14,
};

/// Install the module (Redis's `luaopen_cjson`).
pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    // SAFETY: `new_module` only builds a table with the Lua C API.
    let new = unsafe { lua.create_c_function(new_module)? };
    new.call(())
}

/// The functions of a module, each a C closure over its configuration.
const FUNCTIONS: &[(&std::ffi::CStr, ffi::lua_CFunction)] = &[
    (c"encode", encode),
    (c"decode", decode),
    (c"encode_sparse_array", cfg_encode_sparse_array),
    (c"encode_max_depth", cfg_encode_max_depth),
    (c"decode_max_depth", cfg_decode_max_depth),
    (c"encode_number_precision", cfg_encode_number_precision),
    (c"encode_keep_buffer", cfg_encode_keep_buffer),
    (c"encode_invalid_numbers", cfg_encode_invalid_numbers),
    (c"decode_invalid_numbers", cfg_decode_invalid_numbers),
    (c"new", new_module),
];

/// `cjson.new()` (`lua_cjson_new`): a module with its own configuration.
unsafe extern "C-unwind" fn new_module(state: *mut ffi::lua_State) -> c_int {
    ffi::lua_createtable(state, 0, 0);
    let cfg = ffi::lua_newuserdata(state, std::mem::size_of::<Config>()) as *mut Config;
    cfg.write(DEFAULT_CONFIG);
    for (name, f) in FUNCTIONS {
        ffi::lua_pushvalue(state, -1);
        ffi::lua_pushcclosure(state, *f, 1);
        ffi::lua_setfield(state, -3, name.as_ptr());
    }
    ffi::lua_pop(state, 1);
    ffi::lua_pushlightuserdata(state, std::ptr::null_mut());
    ffi::lua_setfield(state, -2, c"null".as_ptr());
    ffi::lua_pushstring_(state, c"cjson".as_ptr());
    ffi::lua_setfield(state, -2, c"_NAME".as_ptr());
    ffi::lua_pushstring_(state, c"2.1.0".as_ptr());
    ffi::lua_setfield(state, -2, c"_VERSION".as_ptr());
    1
}

/// `json_fetch_config`: the module's settings.
unsafe fn config(state: *mut ffi::lua_State) -> *mut Config {
    let cfg = ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)) as *mut Config;
    if cfg.is_null() {
        ffi::luaL_error(state, c"BUG: Unable to fetch CJSON configuration".as_ptr());
    }
    cfg
}

/// `json_arg_init`: at most `args` arguments, missing ones as nil.
unsafe fn arg_init(state: *mut ffi::lua_State, args: c_int) -> *mut Config {
    if ffi::lua_gettop(state) > args {
        ffi::luaL_argerror(state, args + 1, c"found too many arguments".as_ptr());
    }
    while ffi::lua_gettop(state) < args {
        ffi::lua_pushnil(state);
    }
    config(state)
}

/// `json_integer_option`: set from argument `idx` unless nil (always
/// reported as argument 1, as lua-cjson does), then push the value.
unsafe fn integer_option(
    state: *mut ffi::lua_State,
    idx: c_int,
    setting: &mut c_int,
    min: c_int,
    max: c_int,
) {
    if ffi::lua_isnil(state, idx) == 0 {
        let value = ffi::luaL_checkinteger(state, idx) as c_int;
        if !(min <= value && value <= max) {
            let msg = format!("expected integer between {} and {}\0", min, max);
            ffi::lua_pushstring_(state, msg.as_ptr() as *const c_char);
            drop(msg);
            ffi::luaL_argerror(
                state,
                1,
                ffi::lua_tolstring(state, -1, std::ptr::null_mut()),
            );
        }
        *setting = value;
    }
    ffi::lua_pushinteger(state, *setting as ffi::lua_Integer);
}

/// `json_enum_option`: a boolean (when `bool_true` is set) or one of
/// `options`, then push the setting back the same way.
unsafe fn enum_option(
    state: *mut ffi::lua_State,
    idx: c_int,
    setting: &mut c_int,
    options: &[*const c_char],
    bool_true: c_int,
) {
    if ffi::lua_isnil(state, idx) == 0 {
        if bool_true != 0 && ffi::lua_isboolean(state, idx) != 0 {
            *setting = ffi::lua_toboolean(state, idx) * bool_true;
        } else {
            *setting = ffi::luaL_checkoption(state, idx, std::ptr::null(), options.as_ptr());
        }
    }
    if bool_true != 0 && (*setting == 0 || *setting == bool_true) {
        ffi::lua_pushboolean(state, *setting);
    } else {
        ffi::lua_pushstring_(state, options[*setting as usize]);
    }
}

const ON_OFF: [*const c_char; 3] = [c"off".as_ptr(), c"on".as_ptr(), std::ptr::null()];

unsafe extern "C-unwind" fn cfg_encode_sparse_array(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 3);
    enum_option(state, 1, &mut cfg.encode_sparse_convert, &ON_OFF, 1);
    integer_option(state, 2, &mut cfg.encode_sparse_ratio, 0, c_int::MAX);
    integer_option(state, 3, &mut cfg.encode_sparse_safe, 0, c_int::MAX);
    3
}

unsafe extern "C-unwind" fn cfg_encode_max_depth(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 1);
    integer_option(state, 1, &mut cfg.encode_max_depth, 1, c_int::MAX);
    1
}

unsafe extern "C-unwind" fn cfg_decode_max_depth(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 1);
    integer_option(state, 1, &mut cfg.decode_max_depth, 1, c_int::MAX);
    1
}

unsafe extern "C-unwind" fn cfg_encode_number_precision(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 1);
    integer_option(state, 1, &mut cfg.encode_number_precision, 1, 14);
    1
}

unsafe extern "C-unwind" fn cfg_encode_keep_buffer(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 1);
    enum_option(state, 1, &mut cfg.encode_keep_buffer, &ON_OFF, 1);
    1
}

unsafe extern "C-unwind" fn cfg_encode_invalid_numbers(state: *mut ffi::lua_State) -> c_int {
    let options = [
        c"off".as_ptr(),
        c"on".as_ptr(),
        c"null".as_ptr(),
        std::ptr::null(),
    ];
    let cfg = &mut *arg_init(state, 1);
    enum_option(state, 1, &mut cfg.encode_invalid_numbers, &options, 1);
    1
}

unsafe extern "C-unwind" fn cfg_decode_invalid_numbers(state: *mut ffi::lua_State) -> c_int {
    let cfg = &mut *arg_init(state, 1);
    enum_option(state, 1, &mut cfg.decode_invalid_numbers, &ON_OFF, 1);
    1
}

/// Raise `msg` with `luaL_error` (the caller's position first). The
/// message is copied to the Lua stack before the Rust buffer goes away.
unsafe fn raise(state: *mut ffi::lua_State, msg: Vec<u8>) -> ! {
    ffi::lua_pushlstring_(state, msg.as_ptr() as *const c_char, msg.len());
    drop(msg);
    ffi::luaL_where(state, 1);
    ffi::lua_insert(state, -2);
    ffi::lua_concat(state, 2);
    ffi::lua_error(state)
}

// ===== Encoding =====

/// The escape of each byte in a JSON string, if it needs one
/// (lua-cjson's `char2escape`).
fn escape(b: u8) -> Option<&'static [u8]> {
    match b {
        b'"' => Some(b"\\\""),
        b'\\' => Some(b"\\\\"),
        b'/' => Some(b"\\/"),
        8 => Some(b"\\b"),
        9 => Some(b"\\t"),
        10 => Some(b"\\n"),
        12 => Some(b"\\f"),
        13 => Some(b"\\r"),
        0..=31 => Some(UNICODE_ESCAPES[b as usize]),
        127 => Some(UNICODE_ESCAPES[32]),
        _ => None,
    }
}

/// `\u00XX` for the control characters (0-31) and DEL (last).
const UNICODE_ESCAPES: [&[u8]; 33] = [
    b"\\u0000", b"\\u0001", b"\\u0002", b"\\u0003", b"\\u0004", b"\\u0005", b"\\u0006", b"\\u0007",
    b"\\u0008", b"\\u0009", b"\\u000a", b"\\u000b", b"\\u000c", b"\\u000d", b"\\u000e", b"\\u000f",
    b"\\u0010", b"\\u0011", b"\\u0012", b"\\u0013", b"\\u0014", b"\\u0015", b"\\u0016", b"\\u0017",
    b"\\u0018", b"\\u0019", b"\\u001a", b"\\u001b", b"\\u001c", b"\\u001d", b"\\u001e", b"\\u001f",
    b"\\u007f",
];

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match escape(b) {
            Some(e) => out.extend_from_slice(e),
            None => out.push(b),
        }
    }
    out.push(b'"');
}

/// "Cannot serialise <type>: <reason>" for the value at `idx`.
unsafe fn type_error(state: *mut ffi::lua_State, idx: c_int, reason: &str) -> Vec<u8> {
    let name = std::ffi::CStr::from_ptr(ffi::lua_typename(state, ffi::lua_type(state, idx)));
    let mut m = b"Cannot serialise ".to_vec();
    m.extend_from_slice(name.to_bytes());
    m.extend_from_slice(b": ");
    m.extend_from_slice(reason.as_bytes());
    m
}

type Encoded = Result<(), Vec<u8>>;

/// `json_append_number` for the number at `idx`.
unsafe fn append_number(
    state: *mut ffi::lua_State,
    cfg: &Config,
    out: &mut Vec<u8>,
    idx: c_int,
) -> Encoded {
    let num = ffi::lua_tonumber(state, idx);
    match cfg.encode_invalid_numbers {
        0 if !num.is_finite() => return Err(type_error(state, idx, "must not be NaN or Inf")),
        1 if num.is_nan() => {
            out.extend_from_slice(b"nan");
            return Ok(());
        }
        0 | 1 => {}
        _ if !num.is_finite() => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        _ => {}
    }
    crate::util::numbers::fmt_g(num, cfg.encode_number_precision as usize, out);
    Ok(())
}

/// `lua_array_length`: the array size of the table on top, or -1 for an
/// object (or an excessively sparse array being converted).
unsafe fn array_length(state: *mut ffi::lua_State, cfg: &Config) -> Result<c_int, Vec<u8>> {
    let (mut max, mut items): (c_int, c_int) = (0, 0);
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        if ffi::lua_type(state, -2) == ffi::LUA_TNUMBER {
            let k = ffi::lua_tonumber(state, -2);
            if k != 0.0 && k.floor() == k && k >= 1.0 {
                if k > max as f64 {
                    // An int assignment, as in C (x86-64: INT_MIN when out of range).
                    max = if k < 2147483648.0 {
                        k as c_int
                    } else {
                        c_int::MIN
                    };
                }
                items = items.wrapping_add(1);
                ffi::lua_pop(state, 1);
                continue;
            }
        }
        ffi::lua_pop(state, 2);
        return Ok(-1);
    }
    if cfg.encode_sparse_ratio > 0
        && max > items.wrapping_mul(cfg.encode_sparse_ratio)
        && max > cfg.encode_sparse_safe
    {
        if cfg.encode_sparse_convert == 0 {
            return Err(type_error(state, -1, "excessively sparse array"));
        }
        return Ok(-1);
    }
    Ok(max)
}

/// `json_append_data`: the value on top of the stack.
unsafe fn append_data(
    state: *mut ffi::lua_State,
    cfg: &Config,
    depth: c_int,
    out: &mut Vec<u8>,
) -> Encoded {
    match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => {
            let mut len = 0usize;
            let p = ffi::lua_tolstring(state, -1, &mut len);
            append_string(out, std::slice::from_raw_parts(p as *const u8, len));
        }
        ffi::LUA_TNUMBER => append_number(state, cfg, out, -1)?,
        ffi::LUA_TBOOLEAN => {
            let b: &[u8] = if ffi::lua_toboolean(state, -1) != 0 {
                b"true"
            } else {
                b"false"
            };
            out.extend_from_slice(b);
        }
        ffi::LUA_TTABLE => {
            let depth = depth + 1;
            // Room for a key, a value and an error message at this level.
            if depth > cfg.encode_max_depth || ffi::lua_checkstack(state, 3) == 0 {
                return Err(format!("Cannot serialise, excessive nesting ({})", depth).into_bytes());
            }
            let len = array_length(state, cfg)?;
            if len > 0 {
                out.push(b'[');
                for i in 1..=len {
                    if i > 1 {
                        out.push(b',');
                    }
                    ffi::lua_rawgeti_(state, -1, i);
                    append_data(state, cfg, depth, out)?;
                    ffi::lua_pop(state, 1);
                }
                out.push(b']');
            } else {
                out.push(b'{');
                let mut comma = false;
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, -2) != 0 {
                    if comma {
                        out.push(b',');
                    }
                    comma = true;
                    match ffi::lua_type(state, -2) {
                        ffi::LUA_TNUMBER => {
                            out.push(b'"');
                            append_number(state, cfg, out, -2)?;
                            out.extend_from_slice(b"\":");
                        }
                        ffi::LUA_TSTRING => {
                            let mut len = 0usize;
                            let p = ffi::lua_tolstring(state, -2, &mut len);
                            append_string(out, std::slice::from_raw_parts(p as *const u8, len));
                            out.push(b':');
                        }
                        _ => {
                            return Err(type_error(
                                state,
                                -2,
                                "table key must be a number or string",
                            ))
                        }
                    }
                    append_data(state, cfg, depth, out)?;
                    ffi::lua_pop(state, 1);
                }
                out.push(b'}');
            }
        }
        ffi::LUA_TNIL => out.extend_from_slice(b"null"),
        ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(state, -1).is_null() => {
            out.extend_from_slice(b"null")
        }
        _ => return Err(type_error(state, -1, "type not supported")),
    }
    Ok(())
}

/// `cjson.encode(value)`.
unsafe extern "C-unwind" fn encode(state: *mut ffi::lua_State) -> c_int {
    let cfg = *config(state);
    if ffi::lua_gettop(state) != 1 {
        ffi::luaL_argerror(state, 1, c"expected 1 argument".as_ptr());
    }
    let mut out = Vec::new();
    match append_data(state, &cfg, 0, &mut out) {
        Ok(()) => {
            ffi::lua_pushlstring_(state, out.as_ptr() as *const c_char, out.len());
            1
        }
        Err(msg) => {
            drop(out);
            raise(state, msg)
        }
    }
}

// ===== Decoding =====

#[derive(Clone, Copy, PartialEq)]
enum TokenType {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

impl TokenType {
    /// `json_token_type_name`.
    fn name(self) -> &'static str {
        match self {
            TokenType::ObjBegin => "T_OBJ_BEGIN",
            TokenType::ObjEnd => "T_OBJ_END",
            TokenType::ArrBegin => "T_ARR_BEGIN",
            TokenType::ArrEnd => "T_ARR_END",
            TokenType::String => "T_STRING",
            TokenType::Number => "T_NUMBER",
            TokenType::Boolean => "T_BOOLEAN",
            TokenType::Null => "T_NULL",
            TokenType::Colon => "T_COLON",
            TokenType::Comma => "T_COMMA",
            TokenType::End => "T_END",
            TokenType::Error => "T_ERROR",
        }
    }
}

/// A token: its type, where it starts, and its value (the decoded string
/// is in the parser's `tmp`).
struct Token {
    kind: TokenType,
    index: usize,
    number: f64,
    boolean: bool,
    error: &'static str,
}

/// The parser (`json_parse_t`): the input, read as a C string, and the
/// buffer strings are decoded into.
struct Parser<'a> {
    data: &'a [u8],
    ptr: usize,
    depth: c_int,
    max_depth: c_int,
    invalid_numbers: bool,
    tmp: Vec<u8>,
}

impl Parser<'_> {
    /// The byte at `i`; a NUL past the end, as after a C string.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        s.iter()
            .enumerate()
            .all(|(i, &b)| self.at(self.ptr + i) == b)
    }

    fn set_error(&self, t: &mut Token, what: &'static str) {
        t.kind = TokenType::Error;
        t.index = self.ptr;
        t.error = what;
    }

    /// `json_next_token`.
    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.ptr), b' ' | b'\t' | b'\n' | b'\r') {
            self.ptr += 1;
        }
        let mut t = Token {
            kind: TokenType::End,
            index: self.ptr,
            number: 0.0,
            boolean: false,
            error: "",
        };
        let ch = self.at(self.ptr);
        let single = match ch {
            b'{' => Some(TokenType::ObjBegin),
            b'}' => Some(TokenType::ObjEnd),
            b'[' => Some(TokenType::ArrBegin),
            b']' => Some(TokenType::ArrEnd),
            b',' => Some(TokenType::Comma),
            b':' => Some(TokenType::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            t.kind = kind;
            self.ptr += 1;
            return t;
        }
        match ch {
            0 => t,
            b'"' => {
                self.string_token(&mut t);
                t
            }
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    self.set_error(&mut t, "invalid number");
                } else {
                    self.number_token(&mut t);
                }
                t
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                if self.starts_with(b"true") {
                    t.kind = TokenType::Boolean;
                    t.boolean = true;
                    self.ptr += 4;
                } else if self.starts_with(b"false") {
                    t.kind = TokenType::Boolean;
                    self.ptr += 5;
                } else if self.starts_with(b"null") {
                    t.kind = TokenType::Null;
                    self.ptr += 4;
                } else if self.invalid_numbers && self.is_invalid_number() {
                    self.number_token(&mut t);
                } else {
                    self.set_error(&mut t, "invalid token");
                }
                t
            }
            _ => {
                self.set_error(&mut t, "invalid token");
                t
            }
        }
    }

    /// `json_is_invalid_number`: what strtod reads but strict JSON does not
    /// allow (a leading '+', hex, leading zeros, inf, nan).
    fn is_invalid_number(&self) -> bool {
        let mut p = self.ptr;
        match self.at(p) {
            b'+' => return true,
            b'-' => p += 1,
            _ => {}
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        } else if c <= b'9' {
            return false;
        }
        let word: Vec<u8> = (0..3)
            .map(|i| self.at(p + i).to_ascii_lowercase())
            .collect();
        word == b"inf" || word == b"nan"
    }

    /// `json_next_number_token`: what strtod reads from here.
    fn number_token(&mut self, t: &mut Token) {
        let end = self.data[self.ptr..]
            .iter()
            .position(|&b| b == 0)
            .map_or(self.data.len(), |n| self.ptr + n);
        match capi::strtod(&self.data[self.ptr..end]) {
            Some((v, used)) => {
                t.kind = TokenType::Number;
                t.number = v;
                self.ptr += used;
            }
            None => self.set_error(t, "invalid number"),
        }
    }

    /// `json_next_string_token`: the string into `tmp`.
    fn string_token(&mut self, t: &mut Token) {
        self.ptr += 1;
        self.tmp.clear();
        loop {
            let ch = self.at(self.ptr);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return self.set_error(t, "unexpected end of string");
            }
            if ch == b'\\' {
                let ch = match self.at(self.ptr + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 12,
                    b'r' => b'\r',
                    b'u' => {
                        if self.unicode_escape() {
                            continue;
                        }
                        return self.set_error(t, "invalid unicode escape code");
                    }
                    _ => return self.set_error(t, "invalid escape code"),
                };
                self.tmp.push(ch);
                self.ptr += 2;
                continue;
            }
            self.tmp.push(ch);
            self.ptr += 1;
        }
        self.ptr += 1;
        t.kind = TokenType::String;
    }

    /// Four hex digits at `at` (`decode_hex4`).
    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| {
            (self.at(at + i) as char)
                .to_digit(16)
                .map(|d| (acc << 4) | d)
        })
    }

    /// `json_append_unicode_escape`: `\uXXXX` (or a surrogate pair) at
    /// `ptr` as UTF-8 into `tmp`; false when invalid.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut cp) = self.hex4(self.ptr + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            // A high surrogate, followed by a low one.
            if cp & 0x400 != 0 || self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.ptr + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        // codepoint_to_utf8, which also encodes what char refuses.
        if cp <= 0x7F {
            self.tmp.push(cp as u8);
        } else if cp <= 0x7FF {
            self.tmp
                .extend_from_slice(&[(cp >> 6) as u8 | 0xC0, (cp & 0x3F) as u8 | 0x80]);
        } else if cp <= 0xFFFF {
            self.tmp.extend_from_slice(&[
                (cp >> 12) as u8 | 0xE0,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        } else {
            self.tmp.extend_from_slice(&[
                (cp >> 18) as u8 | 0xF0,
                ((cp >> 12) & 0x3F) as u8 | 0x80,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        }
        self.ptr += len;
        true
    }
}

type Decoded = Result<(), Vec<u8>>;

/// `json_throw_parse_error`'s message.
fn parse_error(expected: &str, t: &Token) -> Vec<u8> {
    let found = if t.kind == TokenType::Error {
        t.error
    } else {
        t.kind.name()
    };
    format!(
        "Expected {} but found {} at character {}",
        expected,
        found,
        t.index + 1
    )
    .into_bytes()
}

/// `json_decode_descend`: one level deeper, with `slots` free on the stack.
unsafe fn descend(state: *mut ffi::lua_State, p: &mut Parser, slots: c_int) -> Decoded {
    p.depth += 1;
    if p.depth <= p.max_depth && ffi::lua_checkstack(state, slots) != 0 {
        return Ok(());
    }
    Err(format!(
        "Found too many nested data structures ({}) at character {}",
        p.depth, p.ptr
    )
    .into_bytes())
}

/// `json_process_value`: push the value `t` starts.
unsafe fn process_value(state: *mut ffi::lua_State, p: &mut Parser, t: &Token) -> Decoded {
    match t.kind {
        TokenType::String => {
            ffi::lua_pushlstring_(state, p.tmp.as_ptr() as *const c_char, p.tmp.len())
        }
        TokenType::Number => ffi::lua_pushnumber(state, t.number),
        TokenType::Boolean => ffi::lua_pushboolean(state, t.boolean as c_int),
        TokenType::Null => ffi::lua_pushlightuserdata(state, std::ptr::null_mut::<c_void>()),
        TokenType::ObjBegin => parse_object(state, p)?,
        TokenType::ArrBegin => parse_array(state, p)?,
        _ => return Err(parse_error("value", t)),
    }
    Ok(())
}

/// `json_parse_object_context`: a table, key and value per level.
unsafe fn parse_object(state: *mut ffi::lua_State, p: &mut Parser) -> Decoded {
    descend(state, p, 3)?;
    ffi::lua_createtable(state, 0, 0);
    let mut t = p.next_token();
    if t.kind == TokenType::ObjEnd {
        p.depth -= 1;
        return Ok(());
    }
    loop {
        if t.kind != TokenType::String {
            return Err(parse_error("object key string", &t));
        }
        ffi::lua_pushlstring_(state, p.tmp.as_ptr() as *const c_char, p.tmp.len());
        t = p.next_token();
        if t.kind != TokenType::Colon {
            return Err(parse_error("colon", &t));
        }
        t = p.next_token();
        process_value(state, p, &t)?;
        ffi::lua_rawset(state, -3);
        t = p.next_token();
        if t.kind == TokenType::ObjEnd {
            p.depth -= 1;
            return Ok(());
        }
        if t.kind != TokenType::Comma {
            return Err(parse_error("comma or object end", &t));
        }
        t = p.next_token();
    }
}

/// `json_parse_array_context`: a table and a value per level.
unsafe fn parse_array(state: *mut ffi::lua_State, p: &mut Parser) -> Decoded {
    descend(state, p, 2)?;
    ffi::lua_createtable(state, 0, 0);
    let mut t = p.next_token();
    if t.kind == TokenType::ArrEnd {
        p.depth -= 1;
        return Ok(());
    }
    let mut i: c_int = 1;
    loop {
        process_value(state, p, &t)?;
        ffi::lua_rawseti_(state, -2, i);
        i = i.wrapping_add(1);
        t = p.next_token();
        if t.kind == TokenType::ArrEnd {
            p.depth -= 1;
            return Ok(());
        }
        if t.kind != TokenType::Comma {
            return Err(parse_error("comma or array end", &t));
        }
        t = p.next_token();
    }
}

/// `cjson.decode(json)`.
unsafe extern "C-unwind" fn decode(state: *mut ffi::lua_State) -> c_int {
    if ffi::lua_gettop(state) != 1 {
        ffi::luaL_argerror(state, 1, c"expected 1 argument".as_ptr());
    }
    let cfg = *config(state);
    let mut len = 0usize;
    let s = ffi::luaL_checklstring(state, 1, &mut len);
    let data = std::slice::from_raw_parts(s as *const u8, len);
    // Only the first characters are sure to be ASCII in UTF-8 JSON.
    if len >= 2 && (data[0] == 0 || data[1] == 0) {
        ffi::luaL_error(
            state,
            c"JSON parser does not support UTF-16 or UTF-32".as_ptr(),
        );
    }
    let mut p = Parser {
        data,
        ptr: 0,
        depth: 0,
        max_depth: cfg.decode_max_depth,
        invalid_numbers: cfg.decode_invalid_numbers != 0,
        tmp: Vec::new(),
    };
    let t = p.next_token();
    let mut result = process_value(state, &mut p, &t);
    if result.is_ok() {
        let t = p.next_token();
        if t.kind != TokenType::End {
            result = Err(parse_error("the end", &t));
        }
    }
    drop(p);
    match result {
        Ok(()) => 1,
        Err(msg) => raise(state, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `cjson.<f>(arg)`: its result, or the error message.
    fn call(f: &str, arg: &str) -> Result<String, String> {
        let lua = Lua::new();
        let t = open(&lua).unwrap();
        let f: mlua::Function = t.get(f).unwrap();
        let r = match f.call::<_, mlua::Value>(arg) {
            Ok(mlua::Value::String(s)) => Ok(s.to_str().unwrap_or("").to_string()),
            Ok(v) => Ok(v.type_name().to_string()),
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
    fn decode_errors_name_the_token_and_position() {
        assert_eq!(
            call("decode", "[1,2"),
            Err("Expected comma or array end but found T_END at character 5".into())
        );
        assert_eq!(
            call("decode", &"[".repeat(1001)),
            Err("Found too many nested data structures (1001) at character 1001".into())
        );
        assert_eq!(
            call("decode", "\"\\ud800\""),
            Err("Expected value but found invalid unicode escape code at character 2".into())
        );
        assert_eq!(
            call("decode", " \"abc"),
            Err("Expected value but found unexpected end of string at character 6".into())
        );
        assert_eq!(call("decode", "[1]\0x"), Ok("table".into()));
        assert_eq!(call("decode", "0x10"), Ok("integer".into()));
        assert_eq!(call("decode", "\"\\u00e9\""), Ok("é".into()));
    }

    #[test]
    fn encode_refuses_what_lua_cjson_refuses() {
        let lua = Lua::new();
        let t = open(&lua).unwrap();
        let encode: mlua::Function = t.get("encode").unwrap();
        let deep: mlua::Table = lua
            .load("local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return t")
            .eval()
            .unwrap();
        let e = encode.call::<_, String>(deep).unwrap_err().to_string();
        assert!(
            e.contains("Cannot serialise, excessive nesting (1001)"),
            "{}",
            e
        );
        let s: String = encode
            .call(lua.create_string("a\"/\u{7f}").unwrap())
            .unwrap();
        assert_eq!(s, "\"a\\\"\\/\\u007f\"");
    }
}
