//! `struct`: binary packing (Roberto Ierusalimschy's struct library, as
//! patched in Redis's `lua_struct.c`: `b_pack`, `b_unpack`, `b_size`).
//!
//! # Format
//! `>` big endian, `<` little endian (the default: x86-64's native order),
//! `![n]` maximum alignment (a power of 2, default 8), `x` a zero byte,
//! `b`/`B` char, `h`/`H` short, `l`/`L` long (8 bytes), `T` size_t, `i`/`I`
//! with an optional size in bytes (default 4, at most 32), `f` float, `d`
//! double, `s` zero-terminated string, `cN` N chars (`c0`: the whole string
//! on pack; on unpack the length is the previous result), ` ` ignored. A
//! lower-case integer option is signed. `unpack(fmt, data [, pos])`
//! returns the values and then the position after them.
//!
//! # The bounds Redis added (CVE-2020-14147 and follow-ups)
//! Sizes are parsed into an `int` and refused past `INT_MAX` ("integral size
//! overflow"); integer sizes are capped at 32 bytes; every read checks
//! `size <= len && pos <= len - size` before touching the data; `unpack`'s
//! offset must be 1 or more; and `unpack` stops at Lua's C stack limit
//! ("too many results") rather than overflowing it. Everything here is
//! checked arithmetic on 64-bit sizes, so the only allocation is the
//! result, bounded by the arguments.
//!
//! Integers wider than 8 bytes carry the value in their low 8 bytes (the
//! rest is zeros when packing, and shifted out when unpacking), and values
//! out of range convert the way the C casts do on x86-64 (`capi`): that is
//! what Redis answers there.

use mlua::{Lua, Table, Value};

use super::capi::{self, LibError, LibResult, Results};

/// Largest integer option (`MAXINTSIZE`).
const MAX_INT_SIZE: i64 = 32;
/// Default of `!` (`MAXALIGN`: the alignment of a double on x86-64).
const MAX_ALIGN: i64 = 8;
/// Lua's C stack limit (`LUAI_MAXCSTACK`), which `unpack`'s results count
/// against.
const MAX_C_STACK: usize = 8000;

/// Byte order and alignment in force (`Header`).
struct Header {
    little: bool,
    align: u64,
}

impl Header {
    fn new() -> Header {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A format string as C reads it: up to its first NUL.
struct Fmt {
    f: Vec<u8>,
    i: usize,
}

impl Fmt {
    fn new(mut f: Vec<u8>) -> Fmt {
        if let Some(nul) = f.iter().position(|&b| b == 0) {
            f.truncate(nul);
        }
        Fmt { f, i: 0 }
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.f.get(self.i).copied();
        self.i += 1;
        c
    }

    /// `getnum`: a decimal number, or `default` when none follows.
    fn num(&mut self, default: i64) -> Result<i64, LibError> {
        if !self.f.get(self.i).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i64 = 0;
        while let Some(d) = self.f.get(self.i).filter(|b| b.is_ascii_digit()) {
            let d = (d - b'0') as i64;
            if a > i32::MAX as i64 / 10 || a * 10 > i32::MAX as i64 - d {
                return Err(LibError::error("integral size overflow"));
            }
            a = a * 10 + d;
            self.i += 1;
        }
        Ok(a)
    }
}

/// `optsize`: the size of option `opt`, reading its number if it has one.
fn opt_size(opt: u8, fmt: &mut Fmt) -> Result<u64, LibError> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => fmt.num(1)? as u64,
        b'i' | b'I' => {
            let size = fmt.num(4)?;
            if size > MAX_INT_SIZE {
                return Err(LibError::error(format!(
                    "integral size {} is larger than limit of {}",
                    size, MAX_INT_SIZE
                )));
            }
            size as u64
        }
        _ => 0,
    })
}

/// `gettoalign`: padding before an item of `size` at `len`.
fn to_align(len: u64, h: &Header, opt: u8, size: u64) -> u64 {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

/// `controloptions`: endianness, alignment, blanks; anything else is an
/// invalid option (an argument error on the format).
fn control(opt: u8, fmt: &mut Fmt, h: &mut Header) -> Result<(), LibError> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = fmt.num(MAX_ALIGN)?;
            if a <= 0 || a & (a - 1) != 0 {
                return Err(LibError::error(format!(
                    "alignment {} is not a power of 2",
                    a
                )));
            }
            h.align = a as u64;
        }
        _ => {
            let mut msg = b"invalid format option '".to_vec();
            msg.push(opt);
            msg.push(b'\'');
            return Err(LibError::arg(1, msg));
        }
    }
    Ok(())
}

/// `luaL_checkstring(L, 1)`: the format.
fn format_arg(args: &[Value]) -> Result<Fmt, LibError> {
    capi::check_lstring(args, 0).map(Fmt::new)
}

/// The bytes of an integer of `size` bytes holding `value` in its low 8.
fn put_integer(out: &mut Vec<u8>, value: u64, size: u64, little: bool) {
    let bytes = (0..size).map(|i| if i < 8 { (value >> (8 * i)) as u8 } else { 0 });
    if little {
        out.extend(bytes);
    } else {
        let mut b: Vec<u8> = bytes.collect();
        b.reverse();
        out.extend_from_slice(&b);
    }
}

/// `getinteger`: the low 8 bytes of the integer, sign-extended as the C
/// shift does on x86-64 (its count taken modulo 64).
fn get_integer(data: &[u8], little: bool, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | b as u64;
    if little {
        data[..size].iter().rev().for_each(|&b| push(b));
    } else {
        data[..size].iter().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    let mask = !0u64 << ((size as u64 * 8).wrapping_sub(1) & 63);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.pack(fmt, ...)`.
fn pack<'lua>(lua: &'lua Lua, args: Vec<Value<'lua>>) -> LibResult<'lua> {
    match pack_bytes(&args) {
        Ok(out) => Ok(Ok(Results::one(lua, lua.create_string(&out)?)?)),
        Err(e) => Ok(Err(e)),
    }
}

fn pack_bytes(args: &[Value]) -> Result<Vec<u8>, LibError> {
    let mut fmt = format_arg(args)?;
    let mut h = Header::new();
    // b_pack pushes a nil after its arguments: a missing one reads as nil.
    let mut padded: Vec<Value> = args.to_vec();
    padded.push(Value::Nil);
    let args = &padded[..];
    let mut arg = 1usize;
    let mut out: Vec<u8> = Vec::new();
    while let Some(opt) = fmt.next() {
        let mut size = opt_size(opt, &mut fmt)?;
        let pad = to_align(out.len() as u64, &h, opt, size);
        out.extend(std::iter::repeat_n(0, pad as usize));
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = capi::check_number(args, arg)?;
                arg += 1;
                let value = if n < 0.0 {
                    capi::f64_to_i64(n) as u64
                } else {
                    capi::f64_to_u64(n)
                };
                put_integer(&mut out, value, size, h.little);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = capi::check_number(args, arg)? as f32;
                arg += 1;
                let b = if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
            b'd' => {
                let d = capi::check_number(args, arg)?;
                arg += 1;
                let b = if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
            b'c' | b's' => {
                let s = capi::check_lstring(args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len() as u64;
                }
                // Redis names the argument after the string (arg was
                // already advanced).
                if (s.len() as u64) < size {
                    return Err(LibError::arg(arg as i32 + 1, "string too short"));
                }
                out.extend_from_slice(&s[..size as usize]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => control(opt, &mut fmt, &mut h)?,
        }
    }
    Ok(out)
}

/// `struct.unpack(fmt, data [, pos])`.
fn unpack<'lua>(lua: &'lua Lua, args: Vec<Value<'lua>>) -> LibResult<'lua> {
    let mut fmt = match format_arg(&args) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let data = match capi::check_lstring(&args, 1) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let ld = data.len() as u64;
    let pos = match capi::opt_integer(&args, 2, 1) {
        Ok(p) => p as u64,
        Err(e) => return Ok(Err(e)),
    };
    if pos == 0 {
        return Ok(Err(LibError::arg(3, "offset must be 1 or greater")));
    }
    let mut pos = pos - 1;
    let mut h = Header::new();
    let mut vals = Results::new(lua)?;
    let too_short = || Ok(Err(LibError::arg(2, "data string too short")));
    while let Some(opt) = fmt.next() {
        let mut size = match opt_size(opt, &mut fmt) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return too_short();
        }
        // Room for the item and the next position on the C stack.
        if args.len() + vals.len() + 2 > MAX_C_STACK {
            return Ok(Err(LibError::error("stack overflow (too many results)")));
        }
        let at = pos as usize;
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = get_integer(
                    &data[at..],
                    h.little,
                    opt.is_ascii_lowercase(),
                    size as usize,
                );
                vals.push(n)?;
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[at..at + 4].try_into().unwrap_or_default();
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                vals.push(f as f64)?;
            }
            b'd' => {
                let b: [u8; 8] = data[at..at + 8].try_into().unwrap_or_default();
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                vals.push(d)?;
            }
            b'c' => {
                if size == 0 {
                    // The length is the previous result, which it replaces.
                    match capi::tonumber(&vals.last()?) {
                        Some(n) => size = capi::f64_to_u64(n),
                        None => {
                            return Ok(Err(LibError::error("format 'c0' needs a previous size")))
                        }
                    }
                    vals.pop()?;
                    if size > ld || pos > ld - size {
                        return too_short();
                    }
                }
                let s = &data[at..at + size as usize];
                vals.push(lua.create_string(s)?)?;
            }
            b's' => match data[at..].iter().position(|&b| b == 0) {
                Some(len) => {
                    vals.push(lua.create_string(&data[at..at + len])?)?;
                    size = len as u64 + 1;
                }
                None => return Ok(Err(LibError::error("unfinished string in data"))),
            },
            _ => {
                if let Err(e) = control(opt, &mut fmt, &mut h) {
                    return Ok(Err(e));
                }
            }
        }
        pos = pos.wrapping_add(size);
    }
    vals.push(pos.wrapping_add(1) as i64 as f64)?;
    Ok(Ok(vals))
}

/// `struct.size(fmt)`.
fn size<'lua>(lua: &'lua Lua, args: Vec<Value<'lua>>) -> LibResult<'lua> {
    match size_of(&args) {
        Ok(n) => Ok(Ok(Results::one(lua, n as i64 as f64)?)),
        Err(e) => Ok(Err(e)),
    }
}

fn size_of(args: &[Value]) -> Result<u64, LibError> {
    let mut fmt = format_arg(args)?;
    let mut h = Header::new();
    let mut pos: u64 = 0;
    while let Some(opt) = fmt.next() {
        let size = opt_size(opt, &mut fmt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(LibError::arg(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(LibError::arg(1, "option 'c0' has no fixed size"));
        }
        // Letters and digits without a meaning take no room.
        if !opt.is_ascii_alphanumeric() {
            control(opt, &mut fmt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos)
}

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    let t = lua.create_table()?;
    t.raw_set("pack", capi::c_function(lua, pack)?)?;
    t.raw_set("unpack", capi::c_function(lua, unpack)?)?;
    t.raw_set("size", capi::c_function(lua, size)?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack_of(fmt: &str, vals: &[f64]) -> Result<Vec<u8>, String> {
        let lua = Lua::new();
        let mut args = vec![Value::String(lua.create_string(fmt).unwrap())];
        args.extend(vals.iter().map(|&v| Value::Number(v)));
        pack_bytes(&args).map_err(|e| match e {
            LibError::Error(m) | LibError::Arg(_, m) | LibError::Raw(m) => {
                String::from_utf8_lossy(&m).into_owned()
            }
        })
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(pack_of(">I16", &[1.0]).unwrap().len(), 16);
        assert_eq!(
            pack_of(">I33", &[1.0]).unwrap_err(),
            "integral size 33 is larger than limit of 32"
        );
        assert_eq!(
            pack_of("i99999999999", &[1.0]).unwrap_err(),
            "integral size overflow"
        );
        assert_eq!(
            pack_of("!17", &[]).unwrap_err(),
            "alignment 17 is not a power of 2"
        );
        assert_eq!(
            pack_of("!0", &[]).unwrap_err(),
            "alignment 0 is not a power of 2"
        );
        // A wide integer keeps its value in the low 8 bytes.
        assert_eq!(
            pack_of("<i10", &[-1.0]).unwrap(),
            [255, 255, 255, 255, 255, 255, 255, 255, 0, 0]
        );
    }

    #[test]
    fn wide_signed_integers_extend_like_x86() {
        let mut d = vec![0u8; 9];
        d[8] = 1;
        assert_eq!(get_integer(&d, false, true, 9), 1.0);
        d[8] = 128;
        assert_eq!(get_integer(&d, false, true, 9), -128.0);
        assert_eq!(get_integer(&[0xff, 0xfe], false, true, 2), -2.0);
        assert_eq!(get_integer(&[], false, true, 0), 0.0);
    }
}
