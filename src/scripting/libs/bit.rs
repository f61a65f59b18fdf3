//! `bit`: 32-bit bitwise operations (LuaBitOp 1.0.2, Redis's `lua_bit.c`).
//!
//! Every argument is reduced to 32 bits the way LuaBitOp's `barg` does:
//! add 2^52 + 2^51 to the double and keep the low 32 bits of its
//! representation (the number modulo 2^32, rounded to even, for anything
//! in range; a fixed pattern of bits for huge values). Anything that is
//! not a number reads as 0 and is refused only then, so numeric strings
//! work. Results are signed 32-bit numbers; shift counts use their low 5
//! bits. `tohex(x, n)` gives `|n|` digits (at most 8), upper case when `n`
//! is negative (-2^31 counts as -(2^31 - 1), Redis's CVE-2024-31449 fix).

use mlua::{Lua, Table, Value};

use super::capi::{self, LibError, LibResult, Results};

/// `barg`: argument `i` (0-based) as 32 bits.
fn barg(args: &[Value], i: usize) -> Result<u32, LibError> {
    let n = args.get(i).and_then(capi::tonumber);
    let b = (n.unwrap_or(0.0) + 6755399441055744.0).to_bits() as u32;
    if b == 0 && n.is_none() {
        return Err(capi::type_error(args, i, "number"));
    }
    Ok(b)
}

/// `BRET`: the bits as a signed number.
fn bret(lua: &Lua, b: u32) -> LibResult<'_> {
    Ok(Ok(Results::one(lua, b as i32 as f64)?))
}

/// A function of one argument.
fn unary(f: fn(u32) -> u32) -> impl for<'l> Fn(&'l Lua, Vec<Value<'l>>) -> LibResult<'l> {
    move |lua, args| match barg(&args, 0) {
        Ok(b) => bret(lua, f(b)),
        Err(e) => Ok(Err(e)),
    }
}

/// `BIT_OP`: the first argument combined with the others, taken from the
/// last one down.
fn fold(f: fn(u32, u32) -> u32) -> impl for<'l> Fn(&'l Lua, Vec<Value<'l>>) -> LibResult<'l> {
    move |lua, args| {
        let mut b = match barg(&args, 0) {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        for i in (1..args.len()).rev() {
            match barg(&args, i) {
                Ok(x) => b = f(b, x),
                Err(e) => return Ok(Err(e)),
            }
        }
        bret(lua, b)
    }
}

/// `BIT_SH`: the first argument shifted by the second's low 5 bits.
fn shift(f: fn(u32, u32) -> u32) -> impl for<'l> Fn(&'l Lua, Vec<Value<'l>>) -> LibResult<'l> {
    move |lua, args| {
        let (b, n) = match (barg(&args, 0), barg(&args, 1)) {
            (Ok(b), Ok(n)) => (b, n & 31),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
        };
        bret(lua, f(b, n))
    }
}

/// `bit.tohex(x [, n])`.
fn tohex<'lua>(lua: &'lua Lua, args: Vec<Value<'lua>>) -> LibResult<'lua> {
    let mut b = match barg(&args, 0) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let mut n = if args.len() < 2 {
        8
    } else {
        match barg(&args, 1) {
            Ok(n) => n as i32,
            Err(e) => return Ok(Err(e)),
        }
    };
    if n == i32::MIN {
        n = i32::MIN + 1;
    }
    let digits: &[u8; 16] = if n < 0 {
        n = -n;
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let n = n.clamp(0, 8) as usize;
    let mut buf = [0u8; 8];
    for i in (0..n).rev() {
        buf[i] = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(Ok(Results::one(lua, lua.create_string(&buf[..n])?)?))
}

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set("tobit", capi::c_function(lua, unary(|b| b))?)?;
    t.raw_set("bnot", capi::c_function(lua, unary(|b| !b))?)?;
    t.raw_set("band", capi::c_function(lua, fold(|a, b| a & b))?)?;
    t.raw_set("bor", capi::c_function(lua, fold(|a, b| a | b))?)?;
    t.raw_set("bxor", capi::c_function(lua, fold(|a, b| a ^ b))?)?;
    t.raw_set("lshift", capi::c_function(lua, shift(|b, n| b << n))?)?;
    t.raw_set("rshift", capi::c_function(lua, shift(|b, n| b >> n))?)?;
    t.raw_set(
        "arshift",
        capi::c_function(lua, shift(|b, n| ((b as i32) >> n) as u32))?,
    )?;
    t.raw_set("rol", capi::c_function(lua, shift(u32::rotate_left))?)?;
    t.raw_set("ror", capi::c_function(lua, shift(u32::rotate_right))?)?;
    t.raw_set("bswap", capi::c_function(lua, unary(u32::swap_bytes))?)?;
    t.raw_set("tohex", capi::c_function(lua, tohex)?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(n: f64) -> i32 {
        barg(&[Value::Number(n)], 0).ok().unwrap() as i32
    }

    #[test]
    fn reduces_like_luabitop() {
        assert_eq!(bits(4294967297.0), 1);
        assert_eq!(bits(-1.0), -1);
        assert_eq!(bits(2147483648.0), i32::MIN);
        assert_eq!(bits(2.5), 2);
        assert_eq!(bits(1e300), -2013235812);
        assert_eq!(bits(f64::NAN), 0);
        assert!(barg(&[Value::Boolean(true)], 0).is_err());
    }
}
