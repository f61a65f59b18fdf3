//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO (~ Redis's `bitops.c`).
//!
//! A bitmap is not a type of its own: it is a string read as a sequence of
//! bits, bit 0 being the most significant bit of byte 0 (so `SETBIT k 0 1`
//! on a missing key stores `"\x80"`). The same numbering is used by the
//! multi-bit integers of BITFIELD, which are stored big-endian across byte
//! boundaries.
//!
//! # Contracts
//! - Readers look the string up once (`lookupKeyRead`: hit/miss statistics,
//!   LRU touch) and read an `int`-encoded value through its decimal form,
//!   exactly as Redis's `getObjectReadOnlyString` does.
//! - Writers go through [`lookup_string_for_bit`]: the value becomes `raw`
//!   (Redis's `dbUnshareStringValue`) and is zero-padded up to the farthest
//!   bit written; a missing key is created as a `raw` string of zero bytes.
//! - `srv.dirty` counts changes, not calls: a SETBIT that stores the bit the
//!   string already had, on a string that did not have to grow, changes
//!   nothing, is not propagated and does not touch `dirty`. BITFIELD adds one
//!   per SET/INCRBY that changed something.
//! - A bit offset is refused once its byte would reach proto-max-bulk-len,
//!   which bounds the largest string these commands can create.

use std::borrow::Cow;

use crate::commands::{arg_eq, parse_i64_arg, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_STRING};
use crate::db::value::lfu_touch;
use crate::db::{RObj, RStr, Value};
use crate::server::{Ctx, Server};
use crate::util::numbers::parse_i64;

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERR: &str = "ERR bit is not an integer or out of range";
const BIT_ARG_ERR: &str = "ERR The bit argument must be 1 or 0.";
const FIELD_TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const OVERFLOW_TYPE_ERR: &str = "ERR Invalid OVERFLOW type specified";
const BITFIELD_RO_ERR: &str = "ERR BITFIELD_RO only supports the GET subcommand";
const BITOP_NOT_ERR: &str = "ERR BITOP NOT must be called with a single source key.";

// ---------------------------------------------------------------------------
// Counting and searching bits
// ---------------------------------------------------------------------------
//
// BITCOUNT and BITPOS scan strings of up to proto-max-bulk-len bytes (512 MB
// by default) inside the single server thread, so the scan is the whole cost
// of the command and is done a 64-bit word at a time:
//
// - Counting sums `count_ones` over 8-byte words. That is a POPCNT
//   instruction where the target has one and a branch-free bit-twiddling
//   sequence otherwise; either beats the 256-entry byte table, which Redis
//   keeps only for the unaligned head and tail of its buffer. Rust slices
//   need no alignment prologue: words are assembled from bytes.
// - Searching skips whole words that cannot contain the wanted bit (all
//   zeros when looking for a 1, all ones when looking for a 0) and stops at
//   the first other word: reading it big-endian puts bit 0 of the string in
//   the word's most significant bit, so `leading_zeros` of the word (or of
//   its complement) is the position inside it. The scan stops at the first
//   hit, so its cost is the distance to the answer, not the string length.
//
// Ranges in bits (`BITCOUNT k 3 17 BIT`) may start and end inside a byte.
// Rather than Redis's trick of patching the two edge bytes into a scratch
// buffer, the edge bytes are masked here: only the bits inside the range
// count, and the whole bytes between them go through the word loops above.
// A range inside a single byte is both edges at once.

/// An 8-byte chunk as a big-endian word (bit 0 of the chunk is the MSB).
fn be_word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_be_bytes(w)
}

/// Number of bits set in `bytes` (Redis's `redisPopcount`).
fn popcount(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut n: u64 = 0;
    for w in &mut words {
        n += u64::from(be_word(w).count_ones());
    }
    n + words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>()
}

/// Position of the first bit equal to `bit` in `bytes`, or None when there
/// is none (Redis's `redisBitpos`, minus its "zero padding" convention,
/// which the callers apply themselves).
fn find_bit(bytes: &[u8], bit: bool) -> Option<u64> {
    let skip = if bit { 0 } else { u64::MAX };
    let mut words = bytes.chunks_exact(8);
    let mut pos: u64 = 0;
    for w in &mut words {
        let w = be_word(w);
        if w != skip {
            let hits = if bit { w } else { !w };
            return Some(pos + u64::from(hits.leading_zeros()));
        }
        pos += 64;
    }
    for &b in words.remainder() {
        let hits = if bit { b } else { !b };
        if hits != 0 {
            return Some(pos + u64::from(hits.leading_zeros()));
        }
        pos += 8;
    }
    None
}

/// Mask of bits `lo..=hi` of one byte, bit 0 being the most significant.
fn byte_mask(lo: u64, hi: u64) -> u8 {
    (0xffu8 >> lo) & (0xffu8 << (7 - hi))
}

/// Bits set among bits `first..=last` of `bytes`.
/// Requires `first <= last < 8 * bytes.len()`.
fn count_bits_range(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first / 8) as usize, (last / 8) as usize);
    if fb == lb {
        return u64::from((bytes[fb] & byte_mask(first % 8, last % 8)).count_ones());
    }
    u64::from((bytes[fb] & byte_mask(first % 8, 7)).count_ones())
        + popcount(&bytes[fb + 1..lb])
        + u64::from((bytes[lb] & byte_mask(0, last % 8)).count_ones())
}

/// Position (from the start of `bytes`) of the first bit equal to `bit`
/// among bits `first..=last`, or None.
/// Requires `first <= last < 8 * bytes.len()`.
fn find_bit_range(bytes: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    // An edge byte: flip it so the wanted bits are ones, then keep only the
    // ones inside the range.
    let edge = |idx: usize, lo: u64, hi: u64| {
        let b = if bit { bytes[idx] } else { !bytes[idx] };
        let hits = b & byte_mask(lo, hi);
        (hits != 0).then(|| idx as u64 * 8 + u64::from(hits.leading_zeros()))
    };
    let (fb, lb) = ((first / 8) as usize, (last / 8) as usize);
    if fb == lb {
        return edge(fb, first % 8, last % 8);
    }
    edge(fb, first % 8, 7)
        .or_else(|| find_bit(&bytes[fb + 1..lb], bit).map(|p| (fb as u64 + 1) * 8 + p))
        .or_else(|| edge(lb, 0, last % 8))
}

/// The unit of a BITCOUNT/BITPOS range.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
    Byte,
    Bit,
}

/// Resolve a user range in `unit`s, with Redis's negative indexes (-1 is
/// the last unit), against a string of `len` bytes: indexes are clamped into
/// the string. Returns the inclusive range in bits, or None when it is empty.
fn resolve_range(len: usize, start: i64, end: i64, unit: Unit) -> Option<(u64, u64)> {
    let total = match unit {
        Unit::Byte => len as i64,
        Unit::Bit => (len as i64) << 3,
    };
    // `total` is not negative, so adding it to a negative index cannot
    // overflow.
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }
        .max(0)
        .min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        Unit::Byte => (start * 8, end * 8 + 7),
        Unit::Bit => (start, end),
    })
}

/// Parse a BYTE|BIT range unit; replies a syntax error otherwise.
fn parse_unit(ctx: &mut Ctx, i: usize) -> Option<Unit> {
    let a = ctx.arg(i);
    if arg_eq(a, "bit") {
        Some(Unit::Bit)
    } else if arg_eq(a, "byte") {
        Some(Unit::Byte)
    } else {
        ctx.out.error(SYNTAX_ERR);
        None
    }
}

// ---------------------------------------------------------------------------
// Bitfields
// ---------------------------------------------------------------------------

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63`. (`u64` is refused
/// because a RESP integer reply cannot carry values above i64::MAX.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct FieldType {
    signed: bool,
    bits: u32,
}

/// What BITFIELD SET/INCRBY do with a result that does not fit the field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Overflow {
    /// Keep the low bits (modular arithmetic), the default.
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Write nothing and reply nil for this operation.
    Fail,
}

/// Read the `bits`-bit unsigned integer at bit `offset` (1 <= bits <= 64).
/// Bytes past the end of `bytes` read as zero, so a GET beyond the string
/// needs no padding.
fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    // The field spans at most 9 bytes (7 bits of lead-in + 64 bits): load
    // them big-endian into the low 72 bits of a u128 and shift the field
    // down.
    let start = (offset / 8) as usize;
    let mut acc: u128 = 0;
    for i in 0..9 {
        let b = start
            .checked_add(i)
            .and_then(|k| bytes.get(k))
            .copied()
            .unwrap_or(0);
        acc = (acc << 8) | u128::from(b);
    }
    let shift = 72 - (offset % 8) as u32 - bits;
    ((acc >> shift) & ((1u128 << bits) - 1)) as u64
}

/// Read a `bits`-bit two's complement integer at bit `offset`.
fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let u = get_unsigned(bytes, offset, bits);
    // Move the field's sign bit to bit 63, then shift back arithmetically.
    ((u << (64 - bits)) as i64) >> (64 - bits)
}

/// Store the low `bits` bits of `value` at bit `offset`.
/// Requires `bytes` to hold every bit of the field.
fn set_unsigned(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    let start = (offset / 8) as usize;
    let lead = (offset % 8) as u32;
    let n = (lead + bits).div_ceil(8) as usize;
    let window = &mut bytes[start..start + n];
    let mut acc: u128 = 0;
    for &b in window.iter() {
        acc = (acc << 8) | u128::from(b);
    }
    let shift = n as u32 * 8 - lead - bits;
    let field = (1u128 << bits) - 1;
    acc = (acc & !(field << shift)) | ((u128::from(value) & field) << shift);
    for (i, b) in window.iter_mut().enumerate() {
        *b = (acc >> (8 * (n - 1 - i))) as u8;
    }
}

/// Store `value` as a `bits`-bit two's complement integer at bit `offset`.
fn set_signed(bytes: &mut [u8], offset: u64, bits: u32, value: i64) {
    set_unsigned(bytes, offset, bits, value as u64);
}

// Fitting a result into a field (Redis's checkSignedBitfieldOverflow and
// checkUnsignedBitfieldOverflow).
//
// SET stores `value + 0`, INCRBY stores `old + incr`; either may leave the
// field's range. WRAP keeps the result modulo 2^bits (for signed fields,
// re-read as two's complement), SAT clamps to the side it left through, FAIL
// refuses. Deciding "which side" needs care because `old + incr` may not
// even fit in 64 bits: the test compares `incr` against the headroom
// `max - value` (or `min - value`) instead of computing the sum.
//
// Redis computes that headroom in wrapping 64-bit arithmetic, and one corner
// of it is visible: for a signed field narrower than 64 bits, a SET whose
// value lies within `max` of i64::MIN (say `SET i8 0 -9223372036854775808`)
// wraps the headroom negative and is classified as overflowing *upwards*, so
// SAT stores the maximum (127), not the minimum. Replies must match
// byte for byte, so the same wrapping arithmetic is used here. Likewise an
// unsigned SET of a negative number is seen as a huge unsigned value:
// `SET u8 0 -1` saturates to 255. Everywhere else (every INCRBY, since the
// old value always fits its field) the classification is the exact one.

/// The value to store in a signed `bits`-bit field for `value + incr`
/// under `ow`, or None when it does not fit and `ow` is FAIL.
fn fit_signed(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let up = (max as u64).wrapping_sub(value as u64) as i64;
    let down = min.wrapping_sub(value);
    let over = value > max || (bits != 64 && incr > up) || (value >= 0 && incr > 0 && incr > up);
    let under = !over
        && (value < min || (bits != 64 && incr < down) || (value < 0 && incr < 0 && incr < down));
    let sum = value.wrapping_add(incr);
    if !over && !under {
        return Some(sum);
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { min }),
        // Sign-extend from the field's top bit.
        Overflow::Wrap => Some(((sum as u64) << (64 - bits)) as i64 >> (64 - bits)),
    }
}

/// The value to store in an unsigned `bits`-bit field for `value + incr`
/// under `ow`, or None when it does not fit and `ow` is FAIL.
fn fit_unsigned(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = u64::MAX >> (64 - bits);
    let up = max.wrapping_sub(value) as i64;
    let down = value.wrapping_neg() as i64;
    let over = value > max || (incr > 0 && incr > up);
    let under = !over && incr < 0 && incr < down;
    let sum = value.wrapping_add(incr as u64);
    if !over && !under {
        return Some(sum);
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { 0 }),
        Overflow::Wrap => Some(sum & max),
    }
}

/// The bytes before the first NUL: Redis reads a few arguments as C
/// strings, so anything after a NUL byte is ignored there.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// Parse a bitfield type such as `i16` or `u8` (Redis's
/// `getBitfieldTypeFromArgument`; the width is read as a C string).
fn parse_field_type(arg: &[u8]) -> Option<FieldType> {
    let arg = c_str(arg);
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return None,
    };
    let bits = parse_i64(&arg[1..])?;
    let max = if signed { 64 } else { 63 };
    (1..=max).contains(&bits).then_some(FieldType {
        signed,
        bits: bits as u32,
    })
}

/// Parse a bit offset (Redis's `getBitOffsetFromArgument`). With
/// `field_bits`, BITFIELD's `#N` form is accepted and means N fields of that
/// width. The offset's byte must stay below `max_bulk_len`. (Redis lifts
/// that limit for its master link and AOF loading, where the command was
/// already accepted once; ferrodis has neither yet.)
fn parse_bit_offset(arg: &[u8], field_bits: Option<u32>, max_bulk_len: u64) -> Option<u64> {
    let (digits, scale) = match (arg.first(), field_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], Some(bits)),
        _ => (arg, None),
    };
    let mut off = parse_i64(digits)?;
    if let Some(bits) = scale {
        // Like Redis, an overflowing product wraps (and is then refused as
        // negative or too large).
        off = off.wrapping_mul(i64::from(bits));
    }
    (off >= 0 && ((off >> 3) as u64) < max_bulk_len).then_some(off as u64)
}

// ---------------------------------------------------------------------------
// Keyspace access
// ---------------------------------------------------------------------------

/// Look `key` up for writing and make its string a zero-padded `raw` buffer
/// holding at least bit `max_bit` (Redis's `lookupStringForBitCommand`): a
/// missing key is created. Returns the buffer and whether the key was
/// created or grew, or Err when the key holds another type (nothing was
/// replied yet).
fn lookup_string_for_bit<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'a mut Vec<u8>, bool), ()> {
    let need = (max_bit / 8 + 1) as usize;
    let now = srv.cmd_time_ms;
    let new_lru = srv.new_obj_lru();
    let clock = srv.lru_clock();
    let lfu = srv.config.maxmemory_policy.is_lfu();
    let log_factor = u64::from(srv.config.lfu_log_factor);
    let decay = u64::from(srv.config.lfu_decay_time);
    let d = &mut srv.dbs[db];
    let created = d.lookup(key, now).is_none();
    if created {
        d.add(key.into(), RObj::string(RStr::raw(vec![0; need]), new_lru));
    }
    let o = d
        .dict
        .get_mut(key)
        .expect("the key was found or just added");
    if !created {
        // A write lookup touches the access time like a read
        // (lookupKeyWrite), but is not counted as a keyspace hit.
        o.lru = if lfu {
            lfu_touch(o.lru, (now / 60000) as u32, log_factor, decay)
        } else {
            clock
        };
    }
    match &mut o.value {
        Value::Str(s) => {
            let buf = s.make_raw();
            let grew = buf.len() < need;
            if grew {
                buf.resize(need, 0);
            }
            Ok((buf, created || grew))
        }
        #[allow(unreachable_patterns)]
        _ => Err(()),
    }
}

/// The result of a read lookup of a key expected to hold a string.
enum ReadStr<'a> {
    Missing,
    WrongType,
    Found(Cow<'a, [u8]>),
}

/// Look `key` up for reading (Redis's `lookupKeyRead` + `checkType` +
/// `getObjectReadOnlyString`).
fn lookup_read_str<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> ReadStr<'a> {
    match srv.lookup_read(db, key) {
        None => ReadStr::Missing,
        Some(o) => match &o.value {
            Value::Str(s) => ReadStr::Found(s.to_bytes()),
            #[allow(unreachable_patterns)]
            _ => ReadStr::WrongType,
        },
    }
}

/// Whether a write to `key` will create it (only computed when "new" key
/// events are enabled, to keep the hot path free of the extra lookup).
fn will_create(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    if srv.config.notify_keyspace_events & NOTIFY_NEW == 0 {
        return false;
    }
    let now = srv.cmd_time_ms;
    !srv.dbs[db].exists(key, now)
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// SETBIT key offset value
///
/// Replies the bit's previous value. Creates or grows the string as needed.
pub fn setbit_command(srv: &mut Server, ctx: &mut Ctx) {
    let offset = match parse_bit_offset(ctx.arg(2), None, srv.config.proto_max_bulk_len) {
        Some(o) => o,
        None => return ctx.out.error(BIT_OFFSET_ERR),
    };
    let on = match parse_i64(ctx.arg(3)) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return ctx.out.error(BIT_VALUE_ERR),
    };
    let key = ctx.arg(1).to_vec();
    let created = will_create(srv, ctx.db, &key);
    let (old, changed) = match lookup_string_for_bit(srv, ctx.db, &key, offset) {
        Err(()) => return ctx.out.error(WRONGTYPE),
        Ok((buf, grew)) => {
            let byte = (offset / 8) as usize;
            let mask = 0x80u8 >> (offset % 8);
            let old = buf[byte] & mask != 0;
            if on {
                buf[byte] |= mask;
            } else {
                buf[byte] &= !mask;
            }
            (old, grew || old != on)
        }
    };
    if changed {
        let dbi = ctx.db;
        if created {
            srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
        }
        srv.notify(ctx, NOTIFY_STRING, "setbit", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
    }
    ctx.out.int(i64::from(old));
}

/// GETBIT key offset
///
/// Bits past the end of the string (or of a missing key) are 0.
pub fn getbit_command(srv: &mut Server, ctx: &mut Ctx) {
    let offset = match parse_bit_offset(ctx.arg(2), None, srv.config.proto_max_bulk_len) {
        Some(o) => o,
        None => return ctx.out.error(BIT_OFFSET_ERR),
    };
    let key = ctx.arg(1).to_vec();
    let bit = match lookup_read_str(srv, ctx.db, &key) {
        ReadStr::Missing => false,
        ReadStr::WrongType => return ctx.out.error(WRONGTYPE),
        ReadStr::Found(b) => b
            .get((offset / 8) as usize)
            .is_some_and(|&byte| byte & (0x80 >> (offset % 8)) != 0),
    };
    ctx.out.int(i64::from(bit));
}

/// BITCOUNT key [start end [BYTE|BIT]]
///
/// A missing key counts 0 whatever the other arguments are; a range whose
/// both ends are negative and inverted counts 0 before the unit is checked.
pub fn bitcount_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let argc = ctx.argc();
    let bytes = match lookup_read_str(srv, ctx.db, &key) {
        ReadStr::Missing => return ctx.out.int(0),
        ReadStr::WrongType => return ctx.out.error(WRONGTYPE),
        ReadStr::Found(b) => b,
    };
    let range = match argc {
        2 => resolve_range(bytes.len(), 0, i64::MAX, Unit::Byte),
        4 | 5 => {
            let Some(start) = parse_i64_arg(ctx, 2) else {
                return;
            };
            let Some(end) = parse_i64_arg(ctx, 3) else {
                return;
            };
            if start < 0 && end < 0 && start > end {
                return ctx.out.int(0);
            }
            let unit = if argc == 5 {
                match parse_unit(ctx, 4) {
                    Some(u) => u,
                    None => return,
                }
            } else {
                Unit::Byte
            };
            resolve_range(bytes.len(), start, end, unit)
        }
        _ => return ctx.out.error(SYNTAX_ERR),
    };
    let n = range.map_or(0, |(first, last)| count_bits_range(&bytes, first, last));
    ctx.out.int(n as i64);
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
///
/// The first bit set to `bit` in the range, or -1. The string is treated as
/// followed by infinitely many zeros only when no end was given: then a
/// search for 0 over an all-ones range answers the first bit after the
/// string, while with an explicit end it answers -1. A missing key is all
/// zeros (0 for bit 0, -1 for bit 1) and its range is not even parsed; an
/// existing empty string has no bits at all (-1).
pub fn bitpos_command(srv: &mut Server, ctx: &mut Ctx) {
    let bit = match parse_i64(ctx.arg(2)) {
        None => return ctx.out.error(NOT_INT_ERR),
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => return ctx.out.error(BIT_ARG_ERR),
    };
    let key = ctx.arg(1).to_vec();
    let argc = ctx.argc();
    let bytes = match lookup_read_str(srv, ctx.db, &key) {
        ReadStr::Missing => return ctx.out.int(if bit { -1 } else { 0 }),
        ReadStr::WrongType => return ctx.out.error(WRONGTYPE),
        ReadStr::Found(b) => b,
    };
    let mut end_given = false;
    let range = match argc {
        3 => resolve_range(bytes.len(), 0, i64::MAX, Unit::Byte),
        4..=6 => {
            let Some(start) = parse_i64_arg(ctx, 3) else {
                return;
            };
            // Redis checks the unit before parsing the end.
            let unit = if argc == 6 {
                match parse_unit(ctx, 5) {
                    Some(u) => u,
                    None => return,
                }
            } else {
                Unit::Byte
            };
            let end = if argc >= 5 {
                let Some(end) = parse_i64_arg(ctx, 4) else {
                    return;
                };
                end_given = true;
                end
            } else {
                i64::MAX
            };
            resolve_range(bytes.len(), start, end, unit)
        }
        _ => return ctx.out.error(SYNTAX_ERR),
    };
    let pos = match range {
        None => -1,
        Some((first, last)) => match find_bit_range(&bytes, bit, first, last) {
            Some(p) => p as i64,
            None if bit || end_given => -1,
            // Open end: the zero padding starts right after the searched
            // bytes (which, with no end given, end with the string).
            None => ((last / 8 + 1) * 8) as i64,
        },
    };
    ctx.out.int(pos);
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
///
/// Missing source keys are empty strings; shorter sources are zero-padded
/// to the longest. Stores the result in `destkey` (dropping its TTL), or
/// deletes `destkey` when the result is empty. Replies the result length.
pub fn bitop_command(srv: &mut Server, ctx: &mut Ctx) {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let name = ctx.arg(1);
    let op = if arg_eq(name, "and") {
        Op::And
    } else if arg_eq(name, "or") {
        Op::Or
    } else if arg_eq(name, "xor") {
        Op::Xor
    } else if arg_eq(name, "not") {
        Op::Not
    } else {
        return ctx.out.error(SYNTAX_ERR);
    };
    if op == Op::Not && ctx.argc() != 4 {
        return ctx.out.error(BITOP_NOT_ERR);
    }
    // Fold the sources into `res` one at a time, so that no source is
    // copied except the first. Padding `res` with zeros when a longer
    // source arrives is right for every operator: the earlier sources were
    // zero-padded too.
    let mut res: Vec<u8> = Vec::new();
    for i in 3..ctx.argc() {
        let key = std::mem::take(&mut ctx.argv[i]);
        let src = match lookup_read_str(srv, ctx.db, &key) {
            ReadStr::Missing => Cow::Borrowed(&[][..]),
            ReadStr::WrongType => {
                ctx.argv[i] = key;
                return ctx.out.error(WRONGTYPE);
            }
            ReadStr::Found(b) => b,
        };
        if i == 3 {
            res = src.into_owned();
            if op == Op::Not {
                res.iter_mut().for_each(|b| *b = !*b);
            }
        } else {
            if src.len() > res.len() {
                res.resize(src.len(), 0);
            }
            let (head, tail) = res.split_at_mut(src.len());
            match op {
                Op::And => {
                    head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r &= s);
                    tail.fill(0);
                }
                Op::Or => head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r |= s),
                Op::Xor => head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r ^= s),
                Op::Not => {}
            }
        }
        ctx.argv[i] = key;
    }
    let dest = ctx.arg(2).to_vec();
    let len = res.len();
    if len > 0 {
        let now = srv.cmd_time_ms;
        let lru = srv.new_obj_lru();
        let d = &mut srv.dbs[ctx.db];
        // setKey looks the target up for writing first: an expired target
        // is reaped (and its expiry propagated) before being overwritten.
        d.expire_if_needed(&dest, now);
        let existed = d.set(&dest, RObj::string(RStr::raw(res), lru), false);
        let dbi = ctx.db;
        if !existed {
            srv.notify(ctx, NOTIFY_NEW, "new", &dest, dbi);
        }
        srv.notify(ctx, NOTIFY_STRING, "set", &dest, dbi);
        srv.signal_modified_key(ctx.db, &dest);
        srv.dirty += 1;
    } else if srv.dbs[ctx.db].delete(&dest).is_some() {
        let dbi = ctx.db;
        srv.notify(ctx, NOTIFY_GENERIC, "del", &dest, dbi);
        srv.signal_modified_key(ctx.db, &dest);
        srv.dirty += 1;
    }
    ctx.out.int(len as i64);
}

/// One parsed BITFIELD operation.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    kind: OpKind,
    ty: FieldType,
    offset: u64,
    /// SET's value or INCRBY's increment.
    arg: i64,
    overflow: Overflow,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

/// Parse BITFIELD's operations, replying the first error. Every operation
/// is checked before any runs, so an error leaves the key untouched.
fn parse_field_ops(srv: &Server, ctx: &mut Ctx) -> Option<Vec<FieldOp>> {
    let argc = ctx.argc();
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argc {
        let remaining = argc - j - 1;
        let sub = ctx.arg(j);
        let kind = if arg_eq(sub, "get") && remaining >= 2 {
            OpKind::Get
        } else if arg_eq(sub, "set") && remaining >= 3 {
            OpKind::Set
        } else if arg_eq(sub, "incrby") && remaining >= 3 {
            OpKind::IncrBy
        } else if arg_eq(sub, "overflow") && remaining >= 1 {
            let t = ctx.arg(j + 1);
            overflow = if arg_eq(t, "wrap") {
                Overflow::Wrap
            } else if arg_eq(t, "sat") {
                Overflow::Sat
            } else if arg_eq(t, "fail") {
                Overflow::Fail
            } else {
                ctx.out.error(OVERFLOW_TYPE_ERR);
                return None;
            };
            j += 2;
            continue;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        };
        let Some(ty) = parse_field_type(ctx.arg(j + 1)) else {
            ctx.out.error(FIELD_TYPE_ERR);
            return None;
        };
        let limit = srv.config.proto_max_bulk_len;
        let Some(offset) = parse_bit_offset(ctx.arg(j + 2), Some(ty.bits), limit) else {
            ctx.out.error(BIT_OFFSET_ERR);
            return None;
        };
        let arg = if kind == OpKind::Get {
            0
        } else {
            parse_i64_arg(ctx, j + 3)?
        };
        ops.push(FieldOp {
            kind,
            ty,
            offset,
            arg,
            overflow,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Some(ops)
}

/// Reply one GET of a bitfield.
fn reply_field_get(ctx: &mut Ctx, bytes: &[u8], op: &FieldOp) {
    let v = if op.ty.signed {
        get_signed(bytes, op.offset, op.ty.bits)
    } else {
        // At most 63 bits: always a valid i64.
        get_unsigned(bytes, op.offset, op.ty.bits) as i64
    };
    ctx.out.int(v);
}

/// Run one SET or INCRBY on `buf`, replying its result (SET: the old value,
/// INCRBY: the new one; nil when OVERFLOW FAIL refused it). Returns whether
/// the field's value changed.
fn run_field_write(ctx: &mut Ctx, buf: &mut [u8], op: &FieldOp) -> Option<bool> {
    let FieldType { signed, bits } = op.ty;
    if signed {
        let old = get_signed(buf, op.offset, bits);
        let new = match op.kind {
            OpKind::IncrBy => fit_signed(old, op.arg, bits, op.overflow),
            _ => fit_signed(op.arg, 0, bits, op.overflow),
        };
        let Some(new) = new else {
            ctx.out.null();
            return None;
        };
        ctx.out
            .int(if op.kind == OpKind::IncrBy { new } else { old });
        set_signed(buf, op.offset, bits, new);
        Some(old != new)
    } else {
        let old = get_unsigned(buf, op.offset, bits);
        let new = match op.kind {
            OpKind::IncrBy => fit_unsigned(old, op.arg, bits, op.overflow),
            _ => fit_unsigned(op.arg as u64, 0, bits, op.overflow),
        };
        let Some(new) = new else {
            ctx.out.null();
            return None;
        };
        let shown = if op.kind == OpKind::IncrBy { new } else { old };
        ctx.out.int(shown as i64);
        set_unsigned(buf, op.offset, bits, new);
        Some(old != new)
    }
}

/// The body of BITFIELD and BITFIELD_RO (Redis's `bitfieldGeneric`).
fn bitfield_generic(srv: &mut Server, ctx: &mut Ctx, read_only_cmd: bool) {
    let Some(ops) = parse_field_ops(srv, ctx) else {
        return;
    };
    let key = ctx.arg(1).to_vec();
    if ops.iter().all(|op| op.kind == OpKind::Get) {
        // Only reads: a missing key reads as zeros and is not created.
        let bytes = match lookup_read_str(srv, ctx.db, &key) {
            ReadStr::Missing => Cow::Borrowed(&[][..]),
            ReadStr::WrongType => return ctx.out.error(WRONGTYPE),
            ReadStr::Found(b) => b,
        };
        ctx.out.array_len(ops.len());
        for op in &ops {
            reply_field_get(ctx, &bytes, op);
        }
        return;
    }
    if read_only_cmd {
        return ctx.out.error(BITFIELD_RO_ERR);
    }
    let highest = ops
        .iter()
        .filter(|op| op.kind != OpKind::Get)
        .map(|op| op.offset + u64::from(op.ty.bits) - 1)
        .max()
        .unwrap_or(0);
    let created = will_create(srv, ctx.db, &key);
    let changes = match lookup_string_for_bit(srv, ctx.db, &key, highest) {
        Err(()) => return ctx.out.error(WRONGTYPE),
        Ok((buf, grew)) => {
            ctx.out.array_len(ops.len());
            let mut changes: u64 = 0;
            for op in &ops {
                if op.kind == OpKind::Get {
                    reply_field_get(ctx, buf, op);
                } else if let Some(changed) = run_field_write(ctx, buf, op) {
                    // Creating or growing the string is a change for every
                    // write that was carried out.
                    if grew || changed {
                        changes += 1;
                    }
                }
            }
            changes
        }
    };
    if changes > 0 {
        let dbi = ctx.db;
        if created {
            srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
        }
        srv.notify(ctx, NOTIFY_STRING, "setbit", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += changes;
    }
}

/// BITFIELD key [GET type offset] [SET type offset value]
///          [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
///
/// `type` is `i1`..`i64` or `u1`..`u63`; `offset` is a bit offset, or `#N`
/// for the N-th field of that width. OVERFLOW applies to the operations
/// after it. Replies one result per GET/SET/INCRBY.
pub fn bitfield_command(srv: &mut Server, ctx: &mut Ctx) {
    bitfield_generic(srv, ctx, false);
}

/// BITFIELD_RO key [GET type offset] ...
///
/// The read-only variant of BITFIELD, allowed on replicas and in read-only
/// scripts.
pub fn bitfield_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    bitfield_generic(srv, ctx, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: deterministic test data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            // Mix in runs of 0x00/0xff so the word-skipping paths run.
            (0..n)
                .map(|_| match self.next() % 4 {
                    0 => 0,
                    1 => 0xff,
                    _ => self.next() as u8,
                })
                .collect()
        }
    }

    fn bit_at(bytes: &[u8], i: u64) -> bool {
        bytes
            .get((i / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
    }

    #[test]
    fn popcount_matches_naive() {
        let mut rng = Rng(1);
        for len in 0..70 {
            let v = rng.bytes(len);
            for skip in 0..len.min(9) {
                let s = &v[skip..];
                let naive: u64 = s.iter().map(|b| u64::from(b.count_ones())).sum();
                assert_eq!(popcount(s), naive);
            }
        }
        assert_eq!(popcount(&[0xff; 1000]), 8000);
    }

    #[test]
    fn find_bit_matches_naive() {
        let mut rng = Rng(2);
        for len in 0..70 {
            let mut v = rng.bytes(len);
            // Long uniform prefixes exercise the word skipping.
            let fill = (rng.next() % (len as u64 + 1)) as usize;
            let b = if rng.next() & 1 == 0 { 0 } else { 0xff };
            v[..fill].fill(b);
            for bit in [false, true] {
                let naive = (0..len as u64 * 8).find(|&i| bit_at(&v, i) == bit);
                assert_eq!(find_bit(&v, bit), naive, "{:?} bit {}", v, bit);
            }
        }
        assert_eq!(find_bit(&[0xff; 20], false), None);
        assert_eq!(find_bit(&[0; 20], true), None);
        assert_eq!(find_bit(&[0, 0, 0, 0, 0, 0, 0, 0, 0x10], true), Some(67));
    }

    #[test]
    fn bit_ranges_match_naive() {
        let mut rng = Rng(3);
        for len in 1..20 {
            let v = rng.bytes(len);
            let nbits = len as u64 * 8;
            for first in 0..nbits {
                for last in first..nbits {
                    let count = (first..=last).filter(|&i| bit_at(&v, i)).count() as u64;
                    assert_eq!(count_bits_range(&v, first, last), count);
                    for bit in [false, true] {
                        let naive = (first..=last).find(|&i| bit_at(&v, i) == bit);
                        assert_eq!(find_bit_range(&v, bit, first, last), naive);
                    }
                }
            }
        }
    }

    #[test]
    fn ranges_resolve_like_redis() {
        use Unit::*;
        assert_eq!(resolve_range(4, 0, -1, Byte), Some((0, 31)));
        assert_eq!(resolve_range(4, 1, 1, Byte), Some((8, 15)));
        assert_eq!(resolve_range(4, -2, 100, Byte), Some((16, 31)));
        assert_eq!(resolve_range(4, 4, 10, Byte), None);
        assert_eq!(resolve_range(4, 3, 1, Byte), None);
        assert_eq!(resolve_range(4, 5, -1, Bit), Some((5, 31)));
        assert_eq!(resolve_range(4, -3, -2, Bit), Some((29, 30)));
        // Both ends below the start clamp to 0 (BITPOS searches byte 0).
        assert_eq!(resolve_range(2, -3, -5, Byte), Some((0, 7)));
        assert_eq!(resolve_range(0, 0, -1, Byte), None);
        assert_eq!(resolve_range(0, 0, i64::MAX, Bit), None);
        assert_eq!(resolve_range(3, i64::MIN, i64::MAX, Byte), Some((0, 23)));
    }

    #[test]
    fn bitfield_get_set_round_trip() {
        let mut rng = Rng(4);
        for _ in 0..3000 {
            let bits = (rng.next() % 64) as u32 + 1;
            let offset = rng.next() % 40;
            let mut buf = rng.bytes(16);
            let orig = buf.clone();
            let value = rng.next();
            set_unsigned(&mut buf, offset, bits, value);
            let mask = u64::MAX >> (64 - bits);
            assert_eq!(get_unsigned(&buf, offset, bits), value & mask);
            // Bit by bit: the field holds the value MSB first, every other
            // bit is untouched.
            for i in 0..128 {
                let expect = if i >= offset && i < offset + u64::from(bits) {
                    value >> (u64::from(bits) - 1 - (i - offset)) & 1 == 1
                } else {
                    bit_at(&orig, i)
                };
                assert_eq!(bit_at(&buf, i), expect);
            }
            let s = get_signed(&buf, offset, bits);
            let top = value >> (bits - 1) & 1 == 1;
            assert_eq!(s < 0, top);
            assert_eq!(s as u64 & mask, value & mask);
        }
        // The example of the bitops.c header: u5 23 at offset 7.
        let mut two = [0u8; 2];
        set_unsigned(&mut two, 7, 5, 23);
        assert_eq!(two, [0b0000_0001, 0b0111_0000]);
        // Reads past the end are zeros.
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
        assert_eq!(get_unsigned(&[], 1 << 40, 64), 0);
        assert_eq!(get_signed(&[0x80], 0, 1), -1);
        assert_eq!(get_signed(&[0xff; 9], 3, 64), -1);
    }

    #[test]
    fn overflow_policies() {
        use Overflow::*;
        // The bitfield.tcl expectations.
        assert_eq!(fit_unsigned(100, 257, 8, Wrap), Some(101));
        assert_eq!(fit_unsigned(101, 255, 8, Wrap), Some(100));
        assert_eq!(fit_unsigned(100, 257, 8, Sat), Some(255));
        assert_eq!(fit_unsigned(255, -255, 8, Sat), Some(0));
        assert_eq!(fit_unsigned(0, -1, 8, Sat), Some(0));
        assert_eq!(fit_unsigned(0, -1, 8, Fail), None);
        assert_eq!(fit_signed(100, 257, 8, Wrap), Some(101));
        assert_eq!(fit_signed(101, 255, 8, Wrap), Some(100));
        assert_eq!(fit_signed(100, 257, 8, Sat), Some(127));
        assert_eq!(fit_signed(127, -255, 8, Sat), Some(-128));
        assert_eq!(fit_signed(127, 1, 8, Fail), None);
        assert_eq!(fit_signed(i64::MAX, 1, 64, Wrap), Some(i64::MIN));
        assert_eq!(fit_signed(i64::MAX, 1, 64, Sat), Some(i64::MAX));
        assert_eq!(fit_signed(i64::MIN, -1, 64, Sat), Some(i64::MIN));
        assert_eq!(fit_signed(i64::MIN, i64::MIN, 64, Fail), None);
        assert_eq!(fit_signed(-1, i64::MIN, 64, Wrap), Some(i64::MAX));
        // SET of an out-of-range value (increment 0), with Redis's quirks.
        assert_eq!(fit_signed(200, 0, 8, Wrap), Some(-56));
        assert_eq!(fit_signed(-200, 0, 8, Sat), Some(-128));
        assert_eq!(fit_signed(i64::MIN, 0, 8, Sat), Some(127));
        assert_eq!(fit_unsigned(-1i64 as u64, 0, 8, Sat), Some(255));
        assert_eq!(fit_unsigned(-1i64 as u64, 0, 8, Wrap), Some(255));
        assert_eq!(fit_unsigned(256, 0, 8, Fail), None);
    }

    #[test]
    fn overflow_matches_exact_arithmetic_for_incrby() {
        // For INCRBY the old value always fits, and Redis's classification
        // is exact: compare with 128-bit arithmetic.
        let mut rng = Rng(5);
        for _ in 0..20000 {
            let bits = (rng.next() % 64) as u32 + 1;
            let signed = bits == 64 || rng.next() & 1 == 0;
            let incr = match rng.next() % 3 {
                0 => rng.next() as i64,
                1 => (rng.next() % 600) as i64 - 300,
                _ => (rng.next() as i64) >> (rng.next() % 64),
            };
            if signed {
                let (min, max) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
                let old = (min + (rng.next() as i128).rem_euclid(max - min + 1)) as i64;
                let sum = i128::from(old) + i128::from(incr);
                let fits = (min..=max).contains(&sum);
                let wrapped = (sum - min).rem_euclid(1i128 << bits) + min;
                assert_eq!(
                    fit_signed(old, incr, bits, Overflow::Wrap),
                    Some(wrapped as i64)
                );
                assert_eq!(fit_signed(old, incr, bits, Overflow::Fail).is_some(), fits);
                let sat = sum.clamp(min, max) as i64;
                assert_eq!(fit_signed(old, incr, bits, Overflow::Sat), Some(sat));
            } else {
                let bits = bits.min(63);
                let max = (1i128 << bits) - 1;
                let old = (rng.next() as i128 & max) as u64;
                let sum = i128::from(old) + i128::from(incr);
                let fits = (0..=max).contains(&sum);
                let wrapped = sum.rem_euclid(max + 1) as u64;
                assert_eq!(fit_unsigned(old, incr, bits, Overflow::Wrap), Some(wrapped));
                assert_eq!(
                    fit_unsigned(old, incr, bits, Overflow::Fail).is_some(),
                    fits
                );
                let sat = sum.clamp(0, max) as u64;
                assert_eq!(fit_unsigned(old, incr, bits, Overflow::Sat), Some(sat));
            }
        }
    }

    #[test]
    fn argument_parsing() {
        let t = |s: &[u8]| parse_field_type(s).map(|t| (t.signed, t.bits));
        assert_eq!(t(b"i8"), Some((true, 8)));
        assert_eq!(t(b"u63"), Some((false, 63)));
        assert_eq!(t(b"i64"), Some((true, 64)));
        assert_eq!(t(b"u64"), None);
        assert_eq!(t(b"i65"), None);
        assert_eq!(t(b"i0"), None);
        assert_eq!(t(b"I8"), None);
        assert_eq!(t(b"i08"), None);
        assert_eq!(t(b"i"), None);
        assert_eq!(t(b""), None);
        assert_eq!(t(b"i8\0junk"), Some((true, 8)));
        let limit = 512 << 20;
        assert_eq!(parse_bit_offset(b"0", None, limit), Some(0));
        assert_eq!(
            parse_bit_offset(b"4294967295", None, limit),
            Some(4294967295)
        );
        assert_eq!(parse_bit_offset(b"4294967296", None, limit), None);
        assert_eq!(parse_bit_offset(b"-1", None, limit), None);
        assert_eq!(parse_bit_offset(b"#2", None, limit), None);
        assert_eq!(parse_bit_offset(b"#2", Some(8), limit), Some(16));
        assert_eq!(parse_bit_offset(b"#-1", Some(8), limit), None);
        assert_eq!(parse_bit_offset(b"#", Some(8), limit), None);
        assert_eq!(parse_bit_offset(b"+1", None, limit), None);
        // The product wraps to a negative number and is refused.
        assert_eq!(
            parse_bit_offset(b"#4611686018427387904", Some(2), limit),
            None
        );
    }
}
