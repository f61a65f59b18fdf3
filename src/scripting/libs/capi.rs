//! The C-API calling convention for library functions written in Rust:
//! `luaL_error` / `luaL_argerror` exactly as Redis's C libraries raise them,
//! and as many results as a C function may push.
//!
//! An mlua callback can neither name itself in `bad argument #n to 'f'`
//! (the name comes from the caller's call site: `struct.pack`, or a local
//! alias) nor return close to `LUAI_MAXCSTACK` (8000) values, which
//! `struct.unpack` and `cmsgpack.unpack` do. So each such function is a C
//! closure ([`c_function`]) around the Rust implementation: the Rust side
//! returns its results, or a [`LibError`] saying how to raise, and the C
//! side raises with `luaL_error` (prefix `file:line:` of the calling Lua
//! code), `luaL_argerror` (name from the call site), or the bare message
//! (errors Lua's own VM raises without a position, such as "table index is
//! nil"); or pushes the results.
//!
//! The helpers below reproduce the C conversions those libraries rely on
//! (`lua_tonumber` of strings, `%.14g` of numbers, and x86-64's
//! double-to-integer casts, which Redis's behaviour on out-of-range values
//! comes from).

use std::os::raw::c_int;

use mlua::{ffi, Function, IntoLua, Lua, MultiValue, Table, Value};

/// How a library function fails.
pub enum LibError {
    /// `luaL_error(msg)`: prefixed with the caller's `file:line: `.
    Error(Vec<u8>),
    /// `luaL_argerror(narg, extramsg)`.
    Arg(i32, Vec<u8>),
    /// `lua_error(msg)`: the message as is.
    Raw(Vec<u8>),
}

impl LibError {
    pub fn error(msg: impl Into<Vec<u8>>) -> LibError {
        LibError::Error(msg.into())
    }

    pub fn arg(narg: i32, msg: impl Into<Vec<u8>>) -> LibError {
        LibError::Arg(narg, msg.into())
    }
}

/// What a library function returns: its results or how to fail.
pub type LibResult<'lua> = mlua::Result<Result<Results<'lua>, LibError>>;

/// A function's results, kept in a Lua table as they are produced: mlua
/// holds each live Rust-side value in a slot of its own, and those slots
/// run out near Lua's C stack limit, which is where the results may go.
pub struct Results<'lua> {
    table: Table<'lua>,
    n: usize,
}

impl<'lua> Results<'lua> {
    pub fn new(lua: &'lua Lua) -> mlua::Result<Results<'lua>> {
        Ok(Results {
            table: lua.create_table()?,
            n: 0,
        })
    }

    /// A single result.
    pub fn one(lua: &'lua Lua, v: impl IntoLua<'lua>) -> mlua::Result<Results<'lua>> {
        let mut r = Results::new(lua)?;
        r.push(v)?;
        Ok(r)
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn push(&mut self, v: impl IntoLua<'lua>) -> mlua::Result<()> {
        self.n += 1;
        self.table.raw_set(self.n, v)
    }

    /// The last result, `Nil` when there is none.
    pub fn last(&self) -> mlua::Result<Value<'lua>> {
        self.table.raw_get(self.n)
    }

    /// Drop the last result.
    pub fn pop(&mut self) -> mlua::Result<()> {
        if self.n > 0 {
            self.table.raw_set(self.n, Value::Nil)?;
            self.n -= 1;
        }
        Ok(())
    }
}

/// Status codes the Rust half hands to [`trampoline`].
const OK: i64 = 0;
const ERROR: i64 = 1;
const ARG_ERROR: i64 = 2;
const RAW_ERROR: i64 = 3;

/// The C half: calls upvalue 1 (the Rust half) with every argument, which
/// returns `status, a, b`; then pushes the results (`a` a table of `b`
/// values) or raises.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, nargs, 3);
    // Stack: status, a, b.
    match ffi::lua_tointeger(state, 1) as i64 {
        OK => {
            let n = ffi::lua_tointeger(state, 3) as c_int;
            ffi::lua_settop(state, 2);
            ffi::lua_remove(state, 1);
            ffi::luaL_checkstack_(state, n, c"too many results".as_ptr());
            for i in 1..=n {
                ffi::lua_rawgeti_(state, 1, i);
            }
            n
        }
        ARG_ERROR => {
            let narg = ffi::lua_tointeger(state, 3) as c_int;
            ffi::luaL_argerror(
                state,
                narg,
                ffi::lua_tolstring(state, 2, std::ptr::null_mut()),
            )
        }
        ERROR => {
            ffi::luaL_where(state, 1);
            ffi::lua_pushvalue(state, 2);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
        _ => {
            ffi::lua_pushvalue(state, 2);
            ffi::lua_error(state)
        }
    }
}

/// Wraps its argument (the Rust half) as upvalue 1 of a [`trampoline`].
unsafe extern "C-unwind" fn make_closure(state: *mut ffi::lua_State) -> c_int {
    ffi::lua_settop(state, 1);
    ffi::lua_pushcclosure(state, trampoline, 1);
    1
}

/// A library function with C-API semantics around the Rust `f`.
pub fn c_function<F>(lua: &Lua, f: F) -> mlua::Result<Function<'_>>
where
    F: for<'l> Fn(&'l Lua, Vec<Value<'l>>) -> LibResult<'l> + 'static,
{
    let rust = lua.create_function(move |lua, args: MultiValue| {
        Ok(match f(lua, args.into_vec())? {
            Ok(r) => (OK, Value::Table(r.table), Value::Integer(r.n as _)),
            Err(LibError::Error(m)) => (ERROR, Value::String(lua.create_string(&m)?), Value::Nil),
            Err(LibError::Arg(n, m)) => (
                ARG_ERROR,
                Value::String(lua.create_string(&m)?),
                Value::Integer(n as _),
            ),
            Err(LibError::Raw(m)) => (RAW_ERROR, Value::String(lua.create_string(&m)?), Value::Nil),
        })
    })?;
    // SAFETY: make_closure only pushes a C closure over its argument.
    let make = unsafe { lua.create_c_function(make_closure)? };
    make.call(rust)
}

/// `luaL_typename` of argument `i` (0-based): "no value" past the end.
pub fn type_name(args: &[Value], i: usize) -> &'static str {
    match args.get(i) {
        None => "no value",
        Some(Value::Integer(_)) | Some(Value::Number(_)) => "number",
        Some(v) => v.type_name(),
    }
}

/// `luaL_typerror`'s message: "<expected> expected, got <type>".
pub fn type_error(args: &[Value], i: usize, expected: &str) -> LibError {
    LibError::arg(
        i as i32 + 1,
        format!("{} expected, got {}", expected, type_name(args, i)),
    )
}

/// Lua 5.1's `%.14g` of a number.
pub fn number_to_string(n: f64) -> Vec<u8> {
    let mut out = Vec::new();
    crate::util::numbers::fmt_g(n, 14, &mut out);
    out
}

/// `lua_tolstring`: strings as they are, numbers in `%.14g`.
pub fn tolstring(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(number_to_string(*i as f64)),
        Value::Number(n) => Some(number_to_string(*n)),
        _ => None,
    }
}

/// `luaL_checklstring` of argument `i` (0-based).
pub fn check_lstring(args: &[Value], i: usize) -> Result<Vec<u8>, LibError> {
    args.get(i)
        .and_then(tolstring)
        .ok_or_else(|| type_error(args, i, "string"))
}

/// `lua_tonumber`: numbers, and strings Lua's `luaO_str2d` accepts.
pub fn tonumber(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str2d(s.as_bytes()),
        _ => None,
    }
}

/// `luaL_checknumber` of argument `i` (0-based).
pub fn check_number(args: &[Value], i: usize) -> Result<f64, LibError> {
    args.get(i)
        .and_then(tonumber)
        .ok_or_else(|| type_error(args, i, "number"))
}

/// `luaL_checkinteger` of argument `i` (0-based).
pub fn check_integer(args: &[Value], i: usize) -> Result<i64, LibError> {
    check_number(args, i).map(f64_to_i64)
}

/// `luaL_optinteger` of argument `i` (0-based): `default` for none or nil.
pub fn opt_integer(args: &[Value], i: usize, default: i64) -> Result<i64, LibError> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        _ => check_integer(args, i),
    }
}

const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// A C cast from double to a 64-bit signed integer on x86-64
/// (`cvttsd2si`): truncation, and 0x8000000000000000 for NaN and values
/// out of range.
pub fn f64_to_i64(x: f64) -> i64 {
    if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// A C cast from double to a 64-bit unsigned integer as gcc compiles it on
/// x86-64: below 2^63 (and NaN) the signed conversion, above it the
/// signed conversion of `x - 2^63` with the top bit flipped.
pub fn f64_to_u64(x: f64) -> u64 {
    if x >= TWO_63 {
        (f64_to_i64(x - TWO_63) as u64) ^ (1 << 63)
    } else {
        f64_to_i64(x) as u64
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Lua 5.1's `luaO_str2d`: a whole string `strtod` reads, blanks around
/// it allowed.
pub fn str2d(s: &[u8]) -> Option<f64> {
    let (v, used) = strtod(s)?;
    s[used..].iter().all(|&b| is_c_space(b)).then_some(v)
}

/// glibc's `strtod` on the start of `s`: the value and the bytes read, or
/// None when nothing converts. Reads leading blanks, a sign, then a
/// decimal number, a hexadecimal one (`0x1.8p3`), `inf`, `infinity` or
/// `nan` (with an optional `(chars)`), in any case.
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = &s[i..];
    let (v, used) = if rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && hex_mantissa(&rest[2..]).is_some()
    {
        let (v, n) = hex_mantissa(&rest[2..])?;
        (v, 2 + n)
    } else if let Some(n) = special(rest) {
        n
    } else {
        let int = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut j = int;
        let mut frac = 0;
        if rest.get(j) == Some(&b'.') {
            frac = rest[j + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            j += 1 + frac;
        }
        if int + frac == 0 {
            return None;
        }
        if matches!(rest.get(j), Some(b'e') | Some(b'E')) {
            let mut k = j + 1;
            if matches!(rest.get(k), Some(b'+') | Some(b'-')) {
                k += 1;
            }
            let exp = rest[k..].iter().take_while(|b| b.is_ascii_digit()).count();
            if exp > 0 {
                j = k + exp;
            }
        }
        let text = std::str::from_utf8(&rest[..j]).ok()?;
        (text.parse::<f64>().ok()?, j)
    };
    Some((if neg { -v } else { v }, i + used))
}

/// The hexadecimal digits (with an optional point and `p` exponent) after
/// `0x`: the value and the bytes read, None without a digit.
fn hex_mantissa(s: &[u8]) -> Option<(f64, usize)> {
    let digit = |b: u8| (b as char).to_digit(16);
    let (mut v, mut i, mut digits, mut scale) = (0f64, 0, 0, 0i32);
    while let Some(d) = s.get(i).and_then(|&b| digit(b)) {
        v = v * 16.0 + d as f64;
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while let Some(d) = s.get(j).and_then(|&b| digit(b)) {
            v = v * 16.0 + d as f64;
            scale -= 4;
            j += 1;
            digits += 1;
        }
        if digits > 0 {
            i = j;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'p') | Some(b'P')) {
        let mut k = i + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        let n = s[k..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 {
            let e: i32 = std::str::from_utf8(&s[k..k + n])
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(i32::MAX);
            scale = scale.saturating_add(if neg { -e } else { e });
            i = k + n;
        }
    }
    Some((v * 2f64.powi(scale), i))
}

/// `inf`, `infinity` and `nan[(chars)]` (case-insensitive) as `strtod`
/// reads them.
fn special(s: &[u8]) -> Option<(f64, usize)> {
    let lower: Vec<u8> = s.iter().take(8).map(|b| b.to_ascii_lowercase()).collect();
    if lower.starts_with(b"infinity") {
        Some((f64::INFINITY, 8))
    } else if lower.starts_with(b"inf") {
        Some((f64::INFINITY, 3))
    } else if lower.starts_with(b"nan") {
        let mut n = 3;
        if s.get(3) == Some(&b'(') {
            let inner = s[4..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if s.get(4 + inner) == Some(&b')') {
                n = 5 + inner;
            }
        }
        Some((f64::NAN, n))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_x86_64() {
        assert_eq!(f64_to_i64(-1.9), -1);
        assert_eq!(f64_to_i64(f64::NAN), i64::MIN);
        assert_eq!(f64_to_i64(1e300), i64::MIN);
        assert_eq!(f64_to_u64(-1.0), u64::MAX);
        assert_eq!(f64_to_u64(f64::NAN), 1 << 63);
        assert_eq!(f64_to_u64(TWO_63), 1 << 63);
        assert_eq!(f64_to_u64(TWO_63 * 2.0), 0);
        assert_eq!(f64_to_u64(f64::INFINITY), 0);
        assert_eq!(f64_to_u64(TWO_63 + 2048.0), (1 << 63) | 2048);
    }

    #[test]
    fn strings_to_numbers_like_lua() {
        assert_eq!(str2d(b" 12 "), Some(12.0));
        assert_eq!(str2d(b"0x10"), Some(16.0));
        assert_eq!(str2d(b"-1.5e2"), Some(-150.0));
        assert_eq!(str2d(b".5"), Some(0.5));
        assert_eq!(str2d(b"5."), Some(5.0));
        assert_eq!(str2d(b"1e"), None);
        assert_eq!(str2d(b""), None);
        assert_eq!(str2d(b"  "), None);
        assert_eq!(str2d(b"x"), None);
        assert_eq!(str2d(b"1 2"), None);
        assert!(str2d(b"nan").is_some_and(f64::is_nan));
        assert_eq!(str2d(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(str2d(b"0x1.8p1"), Some(3.0));
        assert_eq!(str2d(b"0x"), None);
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"1e5x"), Some((100000.0, 3)));
        assert_eq!(strtod(b"-"), None);
        assert!(strtod(b"nan(12)x").is_some_and(|(v, n)| v.is_nan() && n == 7));
    }
}
