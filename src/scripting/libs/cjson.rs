//! `cjson`: JSON encode/decode with lua-cjson 2.1's behaviour (Redis's
//! `lua_cjson.c`).
//!
//! Encoding: a table whose keys are all positive integers is an array
//! (holes become `null`; "excessively sparse" arrays — max index over twice
//! the element count and above 10 — are refused), any other table an
//! object with string or number keys; the empty table is `{}`. Numbers use
//! `%.14g`; NaN/Inf are refused unless `encode_invalid_numbers(true)`.
//! Strings escape `"`, `\`, `/`, control characters and DEL.
//! Decoding: `null` is `cjson.null` (a NULL light userdata), numbers go
//! through strtod, nesting deeper than `decode_max_depth` is refused.
//! Error texts are lua-cjson's (`Expected value but found invalid token at
//! character 1`, ...).

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use crate::scripting::lua::lua_error;

struct Config {
    encode_max_depth: i64,
    decode_max_depth: i64,
    encode_invalid_numbers: u8, // 0 off, 1 on, 2 null
    decode_invalid_numbers: bool,
    number_precision: usize,
    keep_buffer: bool,
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            number_precision: 14,
            keep_buffer: true,
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
        }
    }
}

type Cfg = Rc<RefCell<Config>>;

/// Nesting the encoder and decoder accept whatever `*_max_depth` says: they
/// recurse on the server's stack, which must never overflow.
const HARD_MAX_DEPTH: i64 = 3000;

fn null_value<'lua>() -> Value<'lua> {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let cfg: Cfg = Rc::new(RefCell::new(Config::default()));
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.raw_set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(lua_error(
                    lua,
                    "bad argument #1 to 'encode' (expected 1 argument)",
                ));
            }
            let v = args.into_iter().next().unwrap_or(Value::Nil);
            let mut out = Vec::new();
            encode_value(lua, &c.borrow(), &v, 0, &mut out)?;
            lua.create_string(&out)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(lua_error(
                    lua,
                    "bad argument #1 to 'decode' (expected 1 argument)",
                ));
            }
            let s = match args.into_iter().next() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(Value::Integer(i)) => i.to_string().into_bytes(),
                Some(Value::Number(n)) => {
                    crate::scripting::convert::lua_number_to_string(n).into_bytes()
                }
                other => {
                    let got = other.as_ref().map_or("no value", |v| v.type_name());
                    return Err(lua_error(
                        lua,
                        &format!("bad argument #1 to 'decode' (string expected, got {})", got),
                    ));
                }
            };
            let cfg = c.borrow();
            let mut p = Parser {
                s: &s,
                pos: 0,
                depth: 0,
                max_depth: cfg.decode_max_depth.min(HARD_MAX_DEPTH),
            };
            if s.len() >= 2 && (s[0] == 0 || s[1] == 0) {
                return Err(lua_error(
                    lua,
                    "JSON parser does not support UTF-16 or UTF-32",
                ));
            }
            let v = p.value(lua).map_err(|e| lua_error(lua, &e))?;
            p.skip_ws();
            if p.pos < s.len() {
                let msg = p.expected("the end", p.pos);
                return Err(lua_error(lua, &msg));
            }
            Ok(v)
        })?,
    )?;
    t.raw_set("null", null_value())?;
    let c = cfg.clone();
    t.raw_set(
        "encode_max_depth",
        lua.create_function(move |lua, v: Option<i64>| {
            if let Some(d) = v {
                if d < 1 {
                    return Err(lua_error(lua, "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"));
                }
                c.borrow_mut().encode_max_depth = d;
            }
            Ok(c.borrow().encode_max_depth)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode_max_depth",
        lua.create_function(move |lua, v: Option<i64>| {
            if let Some(d) = v {
                if d < 1 {
                    return Err(lua_error(lua, "bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)"));
                }
                c.borrow_mut().decode_max_depth = d;
            }
            Ok(c.borrow().decode_max_depth)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_number_precision",
        lua.create_function(move |lua, v: Option<i64>| {
            if let Some(d) = v {
                if !(1..=14).contains(&d) {
                    return Err(lua_error(lua, "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"));
                }
                c.borrow_mut().number_precision = d as usize;
            }
            Ok(c.borrow().number_precision as i64)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_keep_buffer",
        lua.create_function(move |_, v: Option<Value>| {
            if let Some(v) = v {
                c.borrow_mut().keep_buffer = on_off(&v).unwrap_or(true);
            }
            Ok(c.borrow().keep_buffer)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_invalid_numbers",
        lua.create_function(move |lua, v: Option<Value>| {
            if let Some(v) = v {
                let mode = match &v {
                    Value::String(s) if s.as_bytes() == b"null" => 2,
                    other => u8::from(on_off(other).unwrap_or(false)),
                };
                c.borrow_mut().encode_invalid_numbers = mode;
            }
            Ok(match c.borrow().encode_invalid_numbers {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode_invalid_numbers",
        lua.create_function(move |_, v: Option<Value>| {
            if let Some(v) = v {
                c.borrow_mut().decode_invalid_numbers = on_off(&v).unwrap_or(true);
            }
            Ok(c.borrow().decode_invalid_numbers)
        })?,
    )?;
    let c = cfg;
    t.raw_set(
        "encode_sparse_array",
        lua.create_function(
            move |_, (conv, ratio, safe): (Option<Value>, Option<i64>, Option<i64>)| {
                let mut cfg = c.borrow_mut();
                if let Some(v) = conv {
                    cfg.sparse_convert = on_off(&v).unwrap_or(false);
                }
                if let Some(r) = ratio {
                    cfg.sparse_ratio = r;
                }
                if let Some(s) = safe {
                    cfg.sparse_safe = s;
                }
                Ok((cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe))
            },
        )?,
    )?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

fn on_off(v: &Value) -> Option<bool> {
    match v {
        Value::Boolean(b) => Some(*b),
        Value::String(s) => match s.as_bytes() {
            b"on" => Some(true),
            b"off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(lua: &Lua, cfg: &Config, n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
    if !n.is_finite() {
        match cfg.encode_invalid_numbers {
            0 => {
                return Err(lua_error(
                    lua,
                    "Cannot serialise number: must not be NaN or Inf",
                ))
            }
            2 => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {
                if n.is_nan() {
                    out.extend_from_slice(b"nan");
                } else if n > 0.0 {
                    out.extend_from_slice(b"inf");
                } else {
                    out.extend_from_slice(b"-inf");
                }
                return Ok(());
            }
        }
    }
    crate::util::numbers::fmt_g(n, cfg.number_precision, out);
    Ok(())
}

fn encode_value(
    lua: &Lua,
    cfg: &Config,
    v: &Value,
    depth: i64,
    out: &mut Vec<u8>,
) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => encode_number(lua, cfg, *i as f64, out)?,
        Value::Number(n) => encode_number(lua, cfg, *n, out)?,
        Value::String(s) => encode_string(s.as_bytes(), out),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth.min(HARD_MAX_DEPTH) {
                return Err(lua_error(
                    lua,
                    &format!("Cannot serialise, excessive nesting ({})", depth),
                ));
            }
            // Two walks (classify, then emit) instead of collecting the
            // pairs: holding every element as a Rust value would pin one
            // Lua reference each.
            let mut max = 0i64;
            let mut items = 0i64;
            let mut is_array = true;
            for r in t.clone().pairs::<Value, Value>() {
                let (k, _) = r?;
                items += 1;
                if !is_array {
                    continue;
                }
                match k {
                    Value::Integer(i) if i >= 1 => max = max.max(i),
                    Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as i64),
                    _ => is_array = false,
                }
            }
            if is_array && max > 0 {
                if cfg.sparse_ratio > 0 && max > items * cfg.sparse_ratio && max > cfg.sparse_safe {
                    if !cfg.sparse_convert {
                        return Err(lua_error(
                            lua,
                            "Cannot serialise table: excessively sparse array",
                        ));
                    }
                } else {
                    out.push(b'[');
                    for i in 1..=max {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i)?;
                        encode_value(lua, cfg, &item, depth, out)?;
                    }
                    out.push(b']');
                    return Ok(());
                }
            }
            out.push(b'{');
            for (n, r) in t.clone().pairs::<Value, Value>().enumerate() {
                let (k, val) = r?;
                if n > 0 {
                    out.push(b',');
                }
                match &k {
                    Value::String(s) => encode_string(s.as_bytes(), out),
                    Value::Integer(_) | Value::Number(_) => {
                        out.push(b'"');
                        let f = match k {
                            Value::Integer(i) => i as f64,
                            Value::Number(f) => f,
                            _ => 0.0,
                        };
                        encode_number(lua, cfg, f, out)?;
                        out.push(b'"');
                    }
                    other => {
                        return Err(lua_error(
                            lua,
                            &format!(
                                "Cannot serialise {}: table key must be a number or string",
                                other.type_name()
                            ),
                        ))
                    }
                }
                out.push(b':');
                encode_value(lua, cfg, &val, depth, out)?;
            }
            out.push(b'}');
        }
        other => {
            return Err(lua_error(
                lua,
                &format!("Cannot serialise {}: type not supported", other.type_name()),
            ))
        }
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: i64,
    max_depth: i64,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    /// What token starts at `at`, in lua-cjson's words.
    fn token_name(&self, at: usize) -> &'static str {
        match self.s.get(at) {
            None => "T_END",
            Some(b'{') => "T_OBJ_BEGIN",
            Some(b'}') => "T_OBJ_END",
            Some(b'[') => "T_ARR_BEGIN",
            Some(b']') => "T_ARR_END",
            Some(b',') => "T_COMMA",
            Some(b':') => "T_COLON",
            Some(b'"') => "T_STRING",
            Some(b'-' | b'0'..=b'9') => "T_NUMBER",
            Some(b't' | b'f')
                if self.s[at..].starts_with(b"true") || self.s[at..].starts_with(b"false") =>
            {
                "T_BOOLEAN"
            }
            Some(b'n') if self.s[at..].starts_with(b"null") => "T_NULL",
            _ => "invalid token",
        }
    }

    fn expected(&self, what: &str, at: usize) -> String {
        format!(
            "Expected {} but found {} at character {}",
            what,
            self.token_name(at),
            at + 1
        )
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth,
                self.pos + 1
            ));
        }
        Ok(())
    }

    fn value<'lua>(&mut self, lua: &'lua Lua) -> Result<Value<'lua>, String> {
        self.skip_ws();
        let at = self.pos;
        let le = |e: mlua::Error| e.to_string();
        match self.s.get(at) {
            Some(b'{') => {
                self.pos += 1;
                self.enter()?;
                let t = lua.create_table().map_err(le)?;
                self.skip_ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.skip_ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return Err(self.expected("object key string", self.pos));
                    }
                    let k = self.string()?;
                    self.skip_ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return Err(self.expected("colon", self.pos));
                    }
                    self.pos += 1;
                    let v = self.value(lua)?;
                    t.raw_set(lua.create_string(&k).map_err(le)?, v)
                        .map_err(le)?;
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.expected("comma or object end", self.pos)),
                    }
                }
                self.depth -= 1;
                Ok(Value::Table(t))
            }
            Some(b'[') => {
                self.pos += 1;
                self.enter()?;
                let t = lua.create_table().map_err(le)?;
                self.skip_ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    let v = self.value(lua)?;
                    t.raw_set(i, v).map_err(le)?;
                    i += 1;
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.expected("comma or array end", self.pos)),
                    }
                }
                self.depth -= 1;
                Ok(Value::Table(t))
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(Value::String(lua.create_string(&s).map_err(le)?))
            }
            Some(b't') if self.s[at..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Boolean(true))
            }
            Some(b'f') if self.s[at..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Boolean(false))
            }
            Some(b'n') if self.s[at..].starts_with(b"null") => {
                self.pos += 4;
                Ok(null_value())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                let mut end = start;
                while end < self.s.len()
                    && matches!(self.s[end], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    end += 1;
                }
                let txt = std::str::from_utf8(&self.s[start..end]).unwrap_or("");
                match txt.parse::<f64>() {
                    Ok(n) => {
                        self.pos = end;
                        Ok(Value::Number(n))
                    }
                    Err(_) => Err(format!(
                        "Expected value but found invalid number at character {}",
                        at + 1
                    )),
                }
            }
            _ => Err(self.expected("value", at)),
        }
    }

    /// A JSON string starting at the opening quote; returns its bytes.
    fn string(&mut self) -> Result<Vec<u8>, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = match self.s.get(self.pos) {
                Some(&b) => b,
                None => {
                    return Err(format!(
                        "Expected object key string but found invalid string at character {}",
                        start + 1
                    ))
                }
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = self.s.get(self.pos).copied().unwrap_or(0);
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4().ok_or_else(|| bad_string(start))?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.pos) == Some(&b'\\')
                                    && self.s.get(self.pos + 1) == Some(&b'u')
                                {
                                    self.pos += 2;
                                    let lo = self.hex4().ok_or_else(|| bad_string(start))?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(bad_string(start));
                                    }
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    return Err(bad_string(start));
                                }
                            }
                            let c = char::from_u32(cp).ok_or_else(|| bad_string(start))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(bad_string(start)),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }
}

fn bad_string(start: usize) -> String {
    format!(
        "Expected value but found invalid string at character {}",
        start + 1
    )
}
