//! RESP <-> Lua conversion (~ `redisProtocolToLuaType*` and
//! `luaReplyToRedisReply` in Redis's `script_lua.c`).
//!
//! A command run by `redis.call` replies into the script client's buffer
//! exactly as it would to a socket; [`reply_to_lua`] parses those bytes back
//! into Lua values. A script's return value goes the other way through
//! [`lua_to_reply`]. The rules are Redis 7.0's, for both protocols:
//!
//! | RESP | Lua |
//! |---|---|
//! | integer | number |
//! | bulk string | string |
//! | null bulk / null array (RESP2) | `false` |
//! | status | `{ok=...}` |
//! | error | `{err=...}` |
//! | array | array table |
//! | map (RESP3) | `{map={k=v...}}` |
//! | set (RESP3) | `{set={member=true...}}` |
//! | null (RESP3) | `nil` |
//! | boolean (RESP3) | boolean |
//! | double (RESP3) | `{double=n}` |
//! | big number (RESP3) | `{big_number="..."}` |
//! | verbatim (RESP3) | `{verbatim_string={format=..., string=...}}` |
//!
//! and back: a Lua number becomes an integer reply (truncated toward zero,
//! the C cast), `true` is `:1` (RESP2 script) or `#t`, `false` a null (RESP2
//! script) or `#f`, an array table stops at its first `nil`, and any other
//! type is a null reply. Error tables carry an extra
//! `ignore_error_stats_update` marker when the error was already counted.

use mlua::{Lua, Table, Value};

use crate::resp::reply::ReplyBuf;

/// How deep a returned table may nest before the conversion gives up with
/// "reached lua stack limit". Redis runs out of Lua stack (LUAI_MAXCSTACK =
/// 8000 slots) at about 8000 levels; this conversion recurses on the
/// server's own stack, so it stops earlier, well inside any thread stack.
const MAX_REPLY_DEPTH: usize = 1000;

/// Build the error table `redis.pcall` returns for `text` (Redis's
/// `luaPushErrorBuff`): `-CODE msg` keeps its code, anything else gets
/// `ERR`; trailing CR/LF are trimmed.
pub fn error_table<'lua>(lua: &'lua Lua, text: &[u8]) -> mlua::Result<Table<'lua>> {
    let (code, msg): (&[u8], &[u8]) = if let Some(rest) = text.strip_prefix(b"-") {
        match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        }
    } else {
        (b"ERR", text)
    };
    let msg = trim_crlf(msg);
    let mut full = Vec::with_capacity(code.len() + 1 + msg.len());
    full.extend_from_slice(code);
    full.push(b' ');
    full.extend_from_slice(msg);
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(&full)?)?;
    Ok(t)
}

/// `sdstrim(s, "\r\n")`: strip CR and LF from both ends.
fn trim_crlf(mut s: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// A cursor over one complete reply in RESP2/RESP3.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The next CRLF-terminated line (without the CRLF).
    fn line(&mut self) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        self.pos += end + 2;
        Some(&rest[..end])
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        if end + 2 > self.buf.len() {
            return None;
        }
        let s = &self.buf[self.pos..end];
        self.pos = end + 2;
        Some(s)
    }
}

fn parse_len(s: &[u8]) -> Option<i64> {
    crate::util::numbers::parse_i64(s)
}

/// Convert the reply bytes of one command into a Lua value. Malformed input
/// (which our own encoder never produces) becomes `nil`.
pub fn reply_to_lua<'lua>(lua: &'lua Lua, reply: &[u8]) -> mlua::Result<Value<'lua>> {
    let mut r = Reader { buf: reply, pos: 0 };
    Ok(read_value(lua, &mut r)?.unwrap_or(Value::Nil))
}

fn read_value<'lua>(lua: &'lua Lua, r: &mut Reader) -> mlua::Result<Option<Value<'lua>>> {
    let line = match r.line() {
        Some(l) if !l.is_empty() => l,
        _ => return Ok(None),
    };
    let (kind, body) = (line[0], &line[1..]);
    let v = match kind {
        b':' => Value::Number(parse_len(body).unwrap_or(0) as f64),
        b'$' => match parse_len(body) {
            Some(n) if n >= 0 => match r.bytes(n as usize) {
                Some(s) => Value::String(lua.create_string(s)?),
                None => return Ok(None),
            },
            _ => Value::Boolean(false),
        },
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(body)?)?;
            Value::Table(t)
        }
        b'-' => {
            let mut text = Vec::with_capacity(line.len());
            text.extend_from_slice(line);
            let t = error_table(lua, &text)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b'*' | b'~' | b'%' | b'>' => {
            let n = match parse_len(body) {
                Some(n) if n >= 0 => n as usize,
                _ => return Ok(Some(Value::Boolean(false))),
            };
            match kind {
                b'%' => {
                    let inner = lua.create_table()?;
                    for _ in 0..n {
                        let k = read_value(lua, r)?.unwrap_or(Value::Nil);
                        let v = read_value(lua, r)?.unwrap_or(Value::Nil);
                        if !k.is_nil() {
                            inner.raw_set(k, v)?;
                        }
                    }
                    let t = lua.create_table()?;
                    t.raw_set("map", inner)?;
                    Value::Table(t)
                }
                b'~' => {
                    let inner = lua.create_table()?;
                    for _ in 0..n {
                        let k = read_value(lua, r)?.unwrap_or(Value::Nil);
                        if !k.is_nil() {
                            inner.raw_set(k, true)?;
                        }
                    }
                    let t = lua.create_table()?;
                    t.raw_set("set", inner)?;
                    Value::Table(t)
                }
                _ => {
                    let t = lua.create_table_with_capacity(n.min(1024), 0)?;
                    for i in 0..n {
                        let v = read_value(lua, r)?.unwrap_or(Value::Nil);
                        t.raw_set(i + 1, v)?;
                    }
                    Value::Table(t)
                }
            }
        }
        b'|' => {
            // Attributes carry out-of-band data: skip them, then read the
            // reply they decorate.
            let n = parse_len(body).unwrap_or(0).max(0) as usize;
            for _ in 0..2 * n {
                read_value(lua, r)?;
            }
            return read_value(lua, r);
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(body == b"t"),
        b',' => {
            let d = crate::util::numbers::parse_f64_strtod(body).unwrap_or(match body {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                _ => f64::NAN,
            });
            let t = lua.create_table()?;
            t.raw_set("double", d)?;
            Value::Table(t)
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(body)?)?;
            Value::Table(t)
        }
        b'=' => {
            let n = parse_len(body).unwrap_or(0).max(0) as usize;
            let s = match r.bytes(n) {
                Some(s) => s,
                None => return Ok(None),
            };
            let (format, text) = if s.len() >= 4 && s[3] == b':' {
                (&s[..3], &s[4..])
            } else {
                (&b"txt"[..], s)
            };
            let inner = lua.create_table()?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", lua.create_string(format)?)?;
            let t = lua.create_table()?;
            t.raw_set("verbatim_string", inner)?;
            Value::Table(t)
        }
        _ => Value::Nil,
    };
    Ok(Some(v))
}

/// What an error table returned or raised by a script says (Redis's
/// `luaExtractErrorInformation`).
#[derive(Debug, Default)]
pub struct ErrorInfo {
    pub msg: Option<String>,
    pub source: Option<String>,
    pub line: Option<String>,
    pub ignore_stats: bool,
}

/// A Lua value as Redis's `lua_isstring` + `lua_tostring` see it.
pub fn lua_tostring(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(lua_number_to_string(*n).into_bytes()),
        _ => None,
    }
}

/// Lua 5.1's `%.14g` number formatting (`tostring(1.5)`, string coercion).
pub fn lua_number_to_string(n: f64) -> String {
    let mut out = Vec::new();
    crate::util::numbers::fmt_g(n, 14, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn extract_error_info(t: &Table) -> ErrorInfo {
    let get = |k: &str| -> Option<String> {
        let v: Value = t.get(k).ok()?;
        lua_tostring(&v).map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    ErrorInfo {
        msg: get("err"),
        source: get("source"),
        line: get("line"),
        ignore_stats: matches!(
            t.get::<_, Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        ),
    }
}

/// Write an error reply without counting it in the error statistics
/// (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE: the command that produced it
/// already counted it).
pub fn error_no_stats(out: &mut ReplyBuf, msg: &str) {
    let before = out.errors.len();
    out.error(msg);
    out.errors.truncate(before);
}

/// Convert a script's return value into a reply (Redis's
/// `luaReplyToRedisReply`). `script_resp` is the protocol the script chose
/// with `redis.setresp` (it decides how booleans are returned).
pub fn lua_to_reply(out: &mut ReplyBuf, v: &Value, script_resp: u8) {
    to_reply(out, v, script_resp, 0)
}

fn to_reply(out: &mut ReplyBuf, v: &Value, script_resp: u8, depth: usize) {
    if depth >= MAX_REPLY_DEPTH {
        out.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => out.bulk(s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    out.int(1);
                } else {
                    out.null();
                }
            } else {
                out.boolean(*b);
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(double_to_ll(*n)),
        Value::Table(t) => table_to_reply(out, t, script_resp, depth),
        _ => out.null(),
    }
}

/// The C cast `(long long)d`: truncation toward zero; out-of-range values
/// saturate (on x86-64 the cast yields LLONG_MIN for them, which is what
/// Redis replies).
fn double_to_ll(d: f64) -> i64 {
    // ±2^63: the range of i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() || !(-LIMIT..LIMIT).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

fn table_to_reply(out: &mut ReplyBuf, t: &Table, script_resp: u8, depth: usize) {
    let field = |k: &str| -> Value { t.raw_get(k).unwrap_or(Value::Nil) };
    if let v @ Value::String(_) = field("err") {
        let _ = v;
        let info = extract_error_info(t);
        let msg = info.msg.unwrap_or_default();
        if info.ignore_stats {
            error_no_stats(out, &msg);
        } else {
            out.error(&msg);
        }
        return;
    }
    if let Value::String(s) = field("ok") {
        let text: String = String::from_utf8_lossy(s.as_bytes())
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        out.status(&text);
        return;
    }
    match field("double") {
        Value::Number(n) => {
            out.double(n);
            return;
        }
        Value::Integer(i) => {
            out.double(i as f64);
            return;
        }
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        let digits: String = String::from_utf8_lossy(s.as_bytes())
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        out.big_number(&digits);
        return;
    }
    if let Value::Table(vt) = field("verbatim_string") {
        if let (Ok(Value::String(f)), Ok(Value::String(s))) = (
            vt.raw_get::<_, Value>("format"),
            vt.raw_get::<_, Value>("string"),
        ) {
            let format = String::from_utf8_lossy(f.as_bytes()).into_owned();
            out.verbatim(s.as_bytes(), &format);
            return;
        }
    }
    // Tables are walked twice (count, then emit) rather than collected:
    // holding every element of a big table as a Rust value would pin one
    // Lua reference per element.
    if let Value::Table(m) = field("map") {
        let n = m.clone().pairs::<Value, Value>().count();
        out.map_len(n);
        for (k, v) in m.clone().pairs::<Value, Value>().filter_map(Result::ok) {
            to_reply(out, &k, script_resp, depth + 1);
            to_reply(out, &v, script_resp, depth + 1);
        }
        return;
    }
    if let Value::Table(s) = field("set") {
        let n = s.clone().pairs::<Value, Value>().count();
        out.set_len(n);
        for (k, _) in s.clone().pairs::<Value, Value>().filter_map(Result::ok) {
            to_reply(out, &k, script_resp, depth + 1);
        }
        return;
    }
    // An array: elements 1, 2, ... up to the first nil.
    let mut n = 0usize;
    while !matches!(t.raw_get::<_, Value>(n + 1), Ok(Value::Nil) | Err(_)) {
        n += 1;
    }
    out.array_len(n);
    for i in 1..=n {
        let v = t.raw_get::<_, Value>(i).unwrap_or(Value::Nil);
        to_reply(out, &v, script_resp, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(reply: &[u8], script_resp: u8, caller_resp: u8) -> Vec<u8> {
        let lua = Lua::new();
        let v = reply_to_lua(&lua, reply).unwrap();
        let mut out = ReplyBuf::new();
        out.resp = caller_resp;
        lua_to_reply(&mut out, &v, script_resp);
        out.contents()
    }

    #[test]
    fn resp2_values_round_trip() {
        assert_eq!(roundtrip(b":12\r\n", 2, 2), b":12\r\n");
        assert_eq!(roundtrip(b"$3\r\nabc\r\n", 2, 2), b"$3\r\nabc\r\n");
        assert_eq!(roundtrip(b"+OK\r\n", 2, 2), b"+OK\r\n");
        assert_eq!(
            roundtrip(b"-WRONGTYPE bad\r\n", 2, 2),
            b"-WRONGTYPE bad\r\n"
        );
        // A null bulk becomes false, which a RESP2 script returns as null.
        assert_eq!(roundtrip(b"$-1\r\n", 2, 2), b"$-1\r\n");
        assert_eq!(
            roundtrip(b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n", 2, 2),
            b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n"
        );
    }

    #[test]
    fn resp3_values_round_trip() {
        assert_eq!(
            roundtrip(b"%1\r\n$1\r\na\r\n:1\r\n", 3, 3),
            b"%1\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            roundtrip(b"%1\r\n$1\r\na\r\n:1\r\n", 3, 2),
            b"*2\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(roundtrip(b"~1\r\n$1\r\na\r\n", 3, 3), b"~1\r\n$1\r\na\r\n");
        assert_eq!(roundtrip(b",3.5\r\n", 3, 3), b",3.5\r\n");
        assert_eq!(roundtrip(b"#t\r\n", 3, 3), b"#t\r\n");
        assert_eq!(roundtrip(b"#f\r\n", 3, 3), b"#f\r\n");
        assert_eq!(roundtrip(b"#t\r\n", 2, 2), b":1\r\n");
        assert_eq!(roundtrip(b"_\r\n", 3, 3), b"_\r\n");
        assert_eq!(roundtrip(b"(123\r\n", 3, 3), b"(123\r\n");
        assert_eq!(
            roundtrip(b"=8\r\ntxt:abcd\r\n", 3, 3),
            b"=8\r\ntxt:abcd\r\n"
        );
    }

    #[test]
    fn numbers_truncate() {
        let mut out = ReplyBuf::new();
        lua_to_reply(&mut out, &Value::Number(-3.9), 2);
        assert_eq!(out.contents(), b":-3\r\n");
    }

    #[test]
    fn error_table_codes() {
        let lua = Lua::new();
        let t = error_table(&lua, b"-OOM no room\r\n").unwrap();
        assert_eq!(t.get::<_, String>("err").unwrap(), "OOM no room");
        let t = error_table(&lua, b"plain text").unwrap();
        assert_eq!(t.get::<_, String>("err").unwrap(), "ERR plain text");
        let t = error_table(&lua, b"-NOSPACE").unwrap();
        assert_eq!(t.get::<_, String>("err").unwrap(), "ERR NOSPACE");
    }
}
