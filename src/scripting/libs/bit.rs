//! `bit`: 32-bit bitwise operations (LuaBitOp 1.0, Redis's `lua_bit.c`).
//!
//! Every argument is reduced to a 32-bit integer the way LuaBitOp does
//! (modular arithmetic on the double, so 2^32 + 1 is 1) and results are
//! signed 32-bit numbers. Shift counts use their low 5 bits.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lua::lua_error;

/// LuaBitOp's `barg`: the number modulo 2^32, as a signed 32-bit value.
fn tobit_value(lua: &Lua, v: Option<&Value>, n: usize, fname: &str) -> mlua::Result<i32> {
    let d = match v {
        Some(Value::Integer(i)) => *i as f64,
        Some(Value::Number(f)) => *f,
        Some(Value::String(s)) => std::str::from_utf8(s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .ok_or_else(|| arg_error(lua, n, fname, v))?,
        _ => return Err(arg_error(lua, n, fname, v)),
    };
    Ok(wrap32(d))
}

fn arg_error(lua: &Lua, n: usize, fname: &str, v: Option<&Value>) -> mlua::Error {
    let got = v.map_or("no value", |v| v.type_name());
    lua_error(
        lua,
        &format!(
            "bad argument #{} to '{}' (number expected, got {})",
            n, fname, got
        ),
    )
}

/// Reduce a double modulo 2^32 into i32 (what adding 2^52+2^51 and
/// reading the low word achieves in LuaBitOp).
fn wrap32(d: f64) -> i32 {
    if !d.is_finite() {
        return 0;
    }
    let r = d.round_ties_even();
    let m = r.rem_euclid(4294967296.0);
    m as u64 as u32 as i32
}

fn args_vec(args: MultiValue) -> Vec<Value> {
    args.into_vec()
}

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set(
        "tobit",
        lua.create_function(|lua, args: MultiValue| {
            let a = args_vec(args);
            tobit_value(lua, a.first(), 1, "tobit")
        })?,
    )?;
    t.raw_set(
        "bnot",
        lua.create_function(|lua, args: MultiValue| {
            let a = args_vec(args);
            Ok(!tobit_value(lua, a.first(), 1, "bnot")?)
        })?,
    )?;
    for (name, op) in [("band", 0u8), ("bor", 1), ("bxor", 2)] {
        t.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                let a = args_vec(args);
                let mut acc = tobit_value(lua, a.first(), 1, name)?;
                for (i, v) in a.iter().enumerate().skip(1) {
                    let x = tobit_value(lua, Some(v), i + 1, name)?;
                    acc = match op {
                        0 => acc & x,
                        1 => acc | x,
                        _ => acc ^ x,
                    };
                }
                Ok(acc)
            })?,
        )?;
    }
    for (name, op) in [
        ("lshift", 0u8),
        ("rshift", 1),
        ("arshift", 2),
        ("rol", 3),
        ("ror", 4),
    ] {
        t.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                let a = args_vec(args);
                let x = tobit_value(lua, a.first(), 1, name)?;
                let n = (tobit_value(lua, a.get(1), 2, name)? & 31) as u32;
                let ux = x as u32;
                Ok(match op {
                    0 => (ux << n) as i32,
                    1 => (ux >> n) as i32,
                    2 => x >> n,
                    3 => ux.rotate_left(n) as i32,
                    _ => ux.rotate_right(n) as i32,
                })
            })?,
        )?;
    }
    t.raw_set(
        "bswap",
        lua.create_function(|lua, args: MultiValue| {
            let a = args_vec(args);
            Ok((tobit_value(lua, a.first(), 1, "bswap")? as u32).swap_bytes() as i32)
        })?,
    )?;
    t.raw_set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| {
            let a = args_vec(args);
            let x = tobit_value(lua, a.first(), 1, "tohex")? as u32;
            let mut n = match a.get(1) {
                None | Some(Value::Nil) => 8,
                v => tobit_value(lua, v, 2, "tohex")?,
            };
            // Redis's fix: INT32_MIN cannot be negated, treat it as -INT32_MAX.
            if n == i32::MIN {
                n = i32::MIN + 1;
            }
            let upper = n < 0;
            if upper {
                n = n.wrapping_neg();
            }
            let n = n.clamp(0, 8) as usize;
            let s = if upper {
                format!("{:08X}", x)
            } else {
                format!("{:08x}", x)
            };
            Ok(s[8 - n..].to_string())
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::wrap32;

    #[test]
    fn wraps_modulo_2_32() {
        assert_eq!(wrap32(4294967297.0), 1);
        assert_eq!(wrap32(-1.0), -1);
        assert_eq!(wrap32(2147483648.0), i32::MIN);
        assert_eq!(wrap32(65535.0), 65535);
    }
}
