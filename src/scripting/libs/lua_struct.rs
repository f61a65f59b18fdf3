//! `struct`: binary packing (Roberto Ierusalimschy's struct library,
//! Redis's `lua_struct.c`).
//!
//! Format characters: `>` big endian, `<` little endian, `=` native,
//! `!n` alignment, `x` a padding byte, `b`/`B` char, `h`/`H` short, `l`/`L`
//! long (8 bytes), `T` size_t, `i`/`I` int with an optional size (default
//! 4), `f` float, `d` double, `s` zero-terminated string, `cN` fixed-size
//! string (`c0`: length given by the previous integer on unpack, the whole
//! string on pack). `unpack` returns the values and then the next position.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lua::lua_error;

struct Fmt<'a> {
    f: &'a [u8],
    i: usize,
    little: bool,
    align: usize,
}

impl<'a> Fmt<'a> {
    fn num(&mut self, default: usize) -> usize {
        let start = self.i;
        while self.i < self.f.len() && self.f[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if start == self.i {
            default
        } else {
            std::str::from_utf8(&self.f[start..self.i])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        }
    }
}

/// One item of the format: its kind and size, after option characters.
enum Item {
    Int { size: usize, signed: bool },
    Float,
    Double,
    Pad,
    Zstr,
    Chars(usize),
}

fn next_item(lua: &Lua, fmt: &mut Fmt) -> mlua::Result<Option<Item>> {
    while fmt.i < fmt.f.len() {
        let c = fmt.f[fmt.i];
        fmt.i += 1;
        let item = match c {
            b'>' => {
                fmt.little = false;
                continue;
            }
            b'<' | b'=' => {
                fmt.little = true;
                continue;
            }
            b'!' => {
                fmt.align = fmt.num(8);
                continue;
            }
            b' ' => continue,
            b'x' => Item::Pad,
            b'b' => Item::Int {
                size: 1,
                signed: true,
            },
            b'B' => Item::Int {
                size: 1,
                signed: false,
            },
            b'h' => Item::Int {
                size: 2,
                signed: true,
            },
            b'H' => Item::Int {
                size: 2,
                signed: false,
            },
            b'l' => Item::Int {
                size: 8,
                signed: true,
            },
            b'L' | b'T' => Item::Int {
                size: 8,
                signed: false,
            },
            b'i' | b'I' => {
                let size = fmt.num(4);
                if !(1..=8).contains(&size) {
                    return Err(lua_error(
                        lua,
                        &format!("integral size {} is larger than limit of 8", size),
                    ));
                }
                Item::Int {
                    size,
                    signed: c == b'i',
                }
            }
            b'f' => Item::Float,
            b'd' => Item::Double,
            b's' => Item::Zstr,
            b'c' => Item::Chars(fmt.num(1)),
            other => {
                return Err(lua_error(
                    lua,
                    &format!("invalid format option '{}'", other as char),
                ))
            }
        };
        return Ok(Some(item));
    }
    Ok(None)
}

fn item_size(item: &Item) -> usize {
    match item {
        Item::Int { size, .. } => *size,
        Item::Float => 4,
        Item::Double => 8,
        Item::Pad => 1,
        Item::Zstr => 0,
        Item::Chars(n) => *n,
    }
}

fn align_pad(item: &Item, pos: usize, align: usize) -> usize {
    let size = match item {
        Item::Int { size, .. } => *size,
        Item::Float => 4,
        Item::Double => 8,
        _ => return 0,
    };
    let a = size.min(align);
    if a <= 1 || !a.is_power_of_two() {
        return 0;
    }
    (a - (pos & (a - 1))) & (a - 1)
}

fn arg_num(lua: &Lua, args: &[Value], n: usize) -> mlua::Result<f64> {
    match args.get(n) {
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(Value::Number(f)) => Ok(*f),
        Some(Value::String(s)) => std::str::from_utf8(s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| {
                lua_error(
                    lua,
                    &format!(
                        "bad argument #{} to 'pack' (number expected, got string)",
                        n + 1
                    ),
                )
            }),
        other => Err(lua_error(
            lua,
            &format!(
                "bad argument #{} to 'pack' (number expected, got {})",
                n + 1,
                other.map_or("no value", |v| v.type_name())
            ),
        )),
    }
}

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            let args = args.into_vec();
            let f = match args.first() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                _ => {
                    return Err(lua_error(
                        lua,
                        "bad argument #1 to 'pack' (string expected)",
                    ))
                }
            };
            let mut fmt = Fmt {
                f: &f,
                i: 0,
                little: true,
                align: 1,
            };
            let mut out: Vec<u8> = Vec::new();
            let mut argi = 1;
            while let Some(item) = next_item(lua, &mut fmt)? {
                let pad = align_pad(&item, out.len(), fmt.align);
                out.extend(std::iter::repeat_n(0, pad));
                match item {
                    Item::Int { size, .. } => {
                        let v = arg_num(lua, &args, argi)? as i64 as u64;
                        argi += 1;
                        let bytes = v.to_le_bytes();
                        if fmt.little {
                            out.extend_from_slice(&bytes[..size]);
                        } else {
                            out.extend(bytes[..size].iter().rev());
                        }
                    }
                    Item::Float | Item::Double => {
                        let v = arg_num(lua, &args, argi)?;
                        argi += 1;
                        let b: Vec<u8> = if matches!(item, Item::Float) {
                            (v as f32).to_le_bytes().to_vec()
                        } else {
                            v.to_le_bytes().to_vec()
                        };
                        if fmt.little {
                            out.extend_from_slice(&b);
                        } else {
                            out.extend(b.iter().rev());
                        }
                    }
                    Item::Pad => out.push(0),
                    Item::Zstr | Item::Chars(_) => {
                        let s = match args.get(argi) {
                            Some(Value::String(s)) => s.as_bytes().to_vec(),
                            Some(v) => {
                                crate::scripting::convert::lua_tostring(v).ok_or_else(|| {
                                    lua_error(
                                        lua,
                                        &format!(
                                            "bad argument #{} to 'pack' (string expected)",
                                            argi + 1
                                        ),
                                    )
                                })?
                            }
                            None => {
                                return Err(lua_error(
                                    lua,
                                    &format!(
                                    "bad argument #{} to 'pack' (string expected, got no value)",
                                    argi + 1
                                ),
                                ))
                            }
                        };
                        argi += 1;
                        match item {
                            Item::Zstr => {
                                out.extend_from_slice(&s);
                                out.push(0);
                            }
                            Item::Chars(n) => {
                                let n = if n == 0 { s.len() } else { n };
                                if s.len() < n {
                                    return Err(lua_error(
                                        lua,
                                        &format!(
                                            "bad argument #{} to 'pack' (string too short)",
                                            argi
                                        ),
                                    ));
                                }
                                out.extend_from_slice(&s[..n]);
                            }
                            _ => {}
                        }
                    }
                }
            }
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(
            |lua, (f, data, init): (mlua::String, mlua::String, Option<i64>)| {
                let f = f.as_bytes().to_vec();
                let data = data.as_bytes();
                let mut pos = (init.unwrap_or(1).max(1) - 1) as usize;
                let mut fmt = Fmt {
                    f: &f,
                    i: 0,
                    little: true,
                    align: 1,
                };
                let mut vals: Vec<Value> = Vec::new();
                let mut last_int: Option<usize> = None;
                while let Some(item) = next_item(lua, &mut fmt)? {
                    pos += align_pad(&item, pos, fmt.align);
                    let size = match item {
                        Item::Chars(0) => last_int.take().unwrap_or(0),
                        Item::Zstr => {
                            let end = data[pos.min(data.len())..]
                                .iter()
                                .position(|&b| b == 0)
                                .ok_or_else(|| lua_error(lua, "unfinished string in data"))?;
                            end + 1
                        }
                        _ => item_size(&item),
                    };
                    if pos.checked_add(size).is_none_or(|end| end > data.len()) {
                        return Err(lua_error(
                            lua,
                            "bad argument #2 to 'unpack' (data string too short)",
                        ));
                    }
                    let chunk = &data[pos..pos + size];
                    match item {
                        Item::Int { size, signed } => {
                            let mut b = [0u8; 8];
                            if fmt.little {
                                b[..size].copy_from_slice(chunk);
                            } else {
                                for (i, &x) in chunk.iter().rev().enumerate() {
                                    b[i] = x;
                                }
                            }
                            let mut v = u64::from_le_bytes(b);
                            if signed && size < 8 && v & (1 << (size * 8 - 1)) != 0 {
                                v |= !0u64 << (size * 8);
                            }
                            let n = if signed { v as i64 as f64 } else { v as f64 };
                            last_int = Some(n as usize);
                            vals.push(Value::Number(n));
                        }
                        Item::Float | Item::Double => {
                            let mut b = chunk.to_vec();
                            if !fmt.little {
                                b.reverse();
                            }
                            let n = if b.len() == 4 {
                                f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64
                            } else {
                                let mut a = [0u8; 8];
                                a.copy_from_slice(&b);
                                f64::from_le_bytes(a)
                            };
                            vals.push(Value::Number(n));
                        }
                        Item::Pad => {}
                        Item::Zstr => {
                            vals.push(Value::String(lua.create_string(&chunk[..size - 1])?))
                        }
                        Item::Chars(_) => vals.push(Value::String(lua.create_string(chunk)?)),
                    }
                    pos += size;
                }
                vals.push(Value::Integer(pos as i64 + 1));
                Ok(MultiValue::from_vec(vals))
            },
        )?,
    )?;
    t.raw_set(
        "size",
        lua.create_function(|lua, f: mlua::String| {
            let f = f.as_bytes().to_vec();
            let mut fmt = Fmt {
                f: &f,
                i: 0,
                little: true,
                align: 1,
            };
            let mut pos = 0usize;
            while let Some(item) = next_item(lua, &mut fmt)? {
                if matches!(item, Item::Zstr) {
                    return Err(lua_error(lua, "options 'c0' - 's' have undefined sizes"));
                }
                pos = pos.saturating_add(align_pad(&item, pos, fmt.align) + item_size(&item));
            }
            Ok(pos as i64)
        })?,
    )?;
    Ok(t)
}
