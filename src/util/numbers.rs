//! Number parsing and formatting, byte for byte as Redis 7.0 does it.
//!
//! Redis counterpart: `util.c` (`string2ll`, `string2ull`, `string2d`, `ll2string`,
//! `double2ll`, `d2string`, `fixedpoint_d2string`), `object.c`
//! (`getLongLongFromObject`, `getDoubleFromObject`) and `networking.c`
//! (`addReplyDouble`).
//!
//! Which formatter answers which command (Redis 7.0.15):
//! - [`fmt_f64`] is `addReplyDouble`: `%.17g` with `inf`/`-inf` spelled out. ZSCORE,
//!   ZINCRBY, ZRANGE ... WITHSCORES, ZMSCORE, ZPOPMIN/MAX, ZRANDMEMBER WITHSCORES and the
//!   RESP3 `,` double all use it. ZSCAN on a skiplist-encoded zset goes through
//!   `ld2string(LD_STR_AUTO)` (`%.17Lg` of the widened double), which prints the same
//!   bytes, so it can use [`fmt_f64`] too.
//! - [`d2string`] is what `zzlInsertAt` writes into a listpack (seen by ZSCAN on a small
//!   zset and inside DUMP payloads): integers within +/-2^62 print as integers, so a
//!   score of 1e18 reads back as `1000000000000000000`, not `1e+18`. Beware that
//!   `zzlInsertAt` tries [`double2ll`] first and stores an integer entry, which is why a
//!   listpack zset turns a score of `-0` into `0` while a skiplist keeps `-0`.
//! - [`fixedpoint_d2string`] is GEODIST/GEOSEARCH WITHDIST (`addReplyDoubleDistance`).
//! - GEOPOS coordinates and INCRBYFLOAT use `long double`; see `long_double.rs`.
//!
//! Invariants this file owns:
//! - Every parser accepts exactly the byte strings Redis accepts and never panics or
//!   allocates proportionally to hostile input beyond a bounded prefix.
//! - Every formatter is exact: digits come from exact big-integer arithmetic with
//!   round-half-even ties, like glibc's `printf`, never from a shortest-round-trip
//!   algorithm.
//! - Formatters append to a caller's `Vec<u8>` so RESP headers can be built without
//!   temporary allocations.

use std::cmp::Ordering;

/// Longest integer string Redis will even try to parse, plus one (`LONG_STR_SIZE`):
/// `string2ll` rejects inputs of this length or more.
pub const LONG_STR_SIZE: usize = 21;

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

/// Parses a signed 64-bit integer exactly like Redis's `string2ll`, which is also
/// what `getLongLongFromObject` uses for string arguments.
///
/// Accepted: `0`, or an optional `-` followed by a digit 1-9 and more digits, at most
/// 20 bytes in total, within `i64` range. Rejected: empty input, `+`, spaces, leading
/// zeros, `-0`, overflow. Because of that strictness, formatting the result with
/// [`fmt_i64`] gives back the input bytes.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        // Magnitudes up to 2^63 fit; 2^63 itself becomes i64::MIN.
        (v <= 1 << 63).then(|| 0u64.wrapping_sub(v) as i64)
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses an unsigned 64-bit integer like Redis's `string2ull` (used for stream IDs).
///
/// `string2ull` works on C strings, so input ends at the first NUL byte. It first tries
/// [`parse_i64`] (negative results are rejected outright), then falls back to
/// `strtoull(s, 10)` over the whole string. That fallback is laxer than `string2ll`:
/// leading whitespace, a `+`, leading zeros and `-0` are accepted, and a `-` sign on a
/// string `string2ll` refused (say `-007`) wraps around modulo 2^64 as `strtoull` does.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(end) => &s[..end],
        None => s,
    };
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    strtoull_base10(s)
}

/// `strtoull(s, &end, 10)` followed by Redis's "non-empty and fully consumed, no
/// ERANGE" check.
fn strtoull_base10(s: &[u8]) -> Option<u64> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
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
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Two ASCII digits for every value 0..100, the usual trick to halve the divisions.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal form of `v` to `out` (Redis `ll2string`). Allocation free apart
/// from `out` growing; this is the hot path for RESP `:`, `$` and `*` headers.
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    fmt_u64(v.unsigned_abs(), out);
}

/// Appends the decimal form of `v` to `out` (Redis `ull2string`).
pub fn fmt_u64(mut v: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[at..]);
}

/// Number of decimal digits of `v` (Redis `digits10`), handy for sizing headers.
pub fn digits10(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |l| l as usize + 1)
}

// ---------------------------------------------------------------------------
// Doubles: parsing
// ---------------------------------------------------------------------------

/// Parses a double like Redis's `string2d`, the parser behind `getDoubleFromObject`:
/// ZADD/ZINCRBY scores, ZUNIONSTORE/ZINTERSTORE/ZUNION/ZINTER WEIGHTS, GEOADD
/// coordinates, GEORADIUS/GEOSEARCH radius, width and height. (Score range bounds use
/// the laxer [`parse_f64_strtod`].)
///
/// The whole input must be one `strtod` number in the "C" locale with no leading
/// whitespace: an optional sign, then a decimal number (`1`, `1.`, `.5`, `1e-3`), a
/// hexadecimal one (`0x1p-3`, `0x.8`, `0X10`), or `inf`/`infinity` in any case.
/// Rejected: empty input, NaN in every spelling, anything trailing (a dangling
/// exponent like `1e` included), overflow to infinity and underflow to zero (`1e-400`;
/// a spelled-out zero such as `0e-400` is fine, and so are subnormal results).
/// The value is correctly rounded (round-half-even), as glibc's `strtod` is.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    match convert_f64(scan_float(s)?) {
        (v, false) => Some(v),
        (_, true) => None, // strtod would report ERANGE
    }
}

/// Parses like a bare C `strtod` call checked only for "consumed everything and not
/// NaN", which is how Redis 7.0 reads ZRANGEBYSCORE / ZCOUNT / ZREMRANGEBYSCORE /
/// ZRANGE BYSCORE bounds (`zslParseRange`, after stripping an optional `(`).
///
/// Laxer than [`parse_f64`]: input ends at the first NUL byte, leading whitespace is
/// skipped, the empty string is 0 (so a bound of `(` means "greater than 0"), and
/// out-of-range values are not errors: `1e400` is infinity, `1e-400` is 0. Trailing
/// whitespace and whitespace-only input are still rejected.
pub fn parse_f64_strtod(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(end) => &s[..end],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0); // strtod converts nothing and leaves the end pointer on the NUL
    }
    let body = &s[s.iter().take_while(|&&b| is_c_space(b)).count()..];
    Some(convert_f64(scan_float(body)?).0)
}

/// The correctly rounded value of a scanned number, and whether `strtod` would set
/// ERANGE with a zero or infinite result (the only ERANGE cases Redis looks at).
fn convert_f64(syntax: FloatSyntax<'_>) -> (f64, bool) {
    let (magnitude, range_error) = match syntax.body {
        FloatBody::Inf => (f64::INFINITY, false),
        FloatBody::Decimal { nonzero: false, .. } | FloatBody::Hex { nonzero: false, .. } => {
            (0.0, false)
        }
        FloatBody::Decimal { .. } => {
            // The bytes passed `scan_float`, a subset of the grammar `f64::from_str`
            // accepts (the same decimal forms plus `inf`/`nan`, handled elsewhere), and
            // are ASCII. Rust's parser is correctly rounded and fast; overflow gives
            // infinity and underflow zero, as glibc's does in round-to-nearest.
            let v: f64 = std::str::from_utf8(syntax.unsigned)
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(f64::NAN);
            (v, v == 0.0 || v.is_infinite())
        }
        FloatBody::Hex {
            int, frac, exp2, ..
        } => match hex_to_binary(int, frac, exp2, &BinaryFormat::F64) {
            Rounded::Finite { mant, exp } => (compose_f64(mant, exp), false),
            Rounded::Zero => (0.0, false),
            Rounded::Underflow => (0.0, true),
            Rounded::Overflow => (f64::INFINITY, true),
        },
    };
    let v = if syntax.negative {
        -magnitude
    } else {
        magnitude
    };
    (v, range_error)
}

/// Builds the f64 `mant * 2^exp` from a value rounded with [`BinaryFormat::F64`].
fn compose_f64(mant: u64, exp: i32) -> f64 {
    if mant >= 1 << 52 {
        let biased = (exp + 52 + 1075 - 52) as u64; // exp + 1075 == biased exponent + 52
        f64::from_bits((biased << 52) | (mant & ((1 << 52) - 1)))
    } else {
        // Subnormal: rounding put the lsb at 2^-1074, the subnormal scale.
        debug_assert_eq!(exp, -1074);
        f64::from_bits(mant)
    }
}

/// A string that passed the `strtod` grammar check.
pub(crate) struct FloatSyntax<'a> {
    pub negative: bool,
    /// The input without its sign.
    pub unsigned: &'a [u8],
    pub body: FloatBody<'a>,
}

pub(crate) enum FloatBody<'a> {
    Inf,
    /// `int`.`frac` x 10^`exp10`; the digit slices are ASCII decimal digits.
    Decimal {
        int: &'a [u8],
        frac: &'a [u8],
        exp10: i64,
        nonzero: bool,
    },
    /// `int`.`frac` x 2^`exp2`; the digit slices are ASCII hex digits.
    Hex {
        int: &'a [u8],
        frac: &'a [u8],
        exp2: i64,
        nonzero: bool,
    },
}

/// Exponents are clamped to this magnitude while scanning; anything beyond it
/// overflows or underflows every format long before, whatever the digits.
const EXP_CLAMP: i64 = 1 << 40;

/// Checks that `s` is, in its entirety, one number `strtod`/`strtold` would parse
/// (minus leading whitespace, which Redis rejects, and minus NaN, which Redis rejects
/// after parsing), and splits it into parts.
///
/// Grammar (case-insensitive letters):
/// `[+-]? ( inf | infinity | 0x (H+ (. H*)? | . H+) (p [+-]? D+)? | (D+ (. D*)? | . D+) (e [+-]? D+)? )`
/// If `strtod` would stop early (say at a dangling `e` or a second `.`), the check fails,
/// because Redis insists on the whole string being consumed.
pub(crate) fn scan_float(s: &[u8]) -> Option<FloatSyntax<'_>> {
    let (negative, unsigned) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let body =
        if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
            FloatBody::Inf
        } else if unsigned.len() >= 2 && unsigned[0] == b'0' && (unsigned[1] | 0x20) == b'x' {
            let (int, frac, rest) = split_mantissa(&unsigned[2..], u8::is_ascii_hexdigit)?;
            let exp = parse_exponent(rest, b'p')?;
            let nonzero = int.iter().chain(frac).any(|&d| d != b'0');
            FloatBody::Hex {
                int,
                frac,
                // frac.len() may be huge; saturating keeps the clamp meaningful.
                exp2: exp.saturating_sub((frac.len() as i64).saturating_mul(4)),
                nonzero,
            }
        } else {
            let (int, frac, rest) = split_mantissa(unsigned, u8::is_ascii_digit)?;
            let exp = parse_exponent(rest, b'e')?;
            let nonzero = int.iter().chain(frac).any(|&d| d != b'0');
            FloatBody::Decimal {
                int,
                frac,
                exp10: exp.saturating_sub(frac.len() as i64),
                nonzero,
            }
        };
    Some(FloatSyntax {
        negative,
        unsigned,
        body,
    })
}

/// Splits `digits [. digits]` off the front of `s`; at least one digit is required on
/// either side of the point. Returns (integer digits, fraction digits, rest).
fn split_mantissa(s: &[u8], is_digit: fn(&u8) -> bool) -> Option<(&[u8], &[u8], &[u8])> {
    let int_len = s.iter().take_while(|b| is_digit(b)).count();
    let (int, rest) = s.split_at(int_len);
    let (frac, rest) = match rest {
        [b'.', after @ ..] => {
            let frac_len = after.iter().take_while(|b| is_digit(b)).count();
            after.split_at(frac_len)
        }
        _ => (&rest[..0], rest),
    };
    (!int.is_empty() || !frac.is_empty()).then_some((int, frac, rest))
}

/// Parses an optional exponent (`e`/`p` followed by an optionally signed decimal
/// integer) that must end the string. Returns 0 if there is none; the value is clamped
/// to +/-[`EXP_CLAMP`].
fn parse_exponent(s: &[u8], marker: u8) -> Option<i64> {
    let Some((&first, rest)) = s.split_first() else {
        return Some(0);
    };
    if first | 0x20 != marker {
        return None;
    }
    let (negative, digits) = match rest {
        [b'-', d @ ..] => (true, d),
        [b'+', d @ ..] => (false, d),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = (v * 10 + i64::from(d - b'0')).min(EXP_CLAMP);
    }
    Some(if negative { -v } else { v })
}

// ---------------------------------------------------------------------------
// Correctly rounded decimal/hex -> binary conversion (shared with long_double.rs)
// ---------------------------------------------------------------------------

/// A binary floating-point format with round-half-even and gradual underflow.
pub(crate) struct BinaryFormat {
    /// Significand bits, hidden bit included (53 for f64, 64 for x87 extended).
    pub precision: u32,
    /// Weight of the least significant bit of the smallest subnormal: 2^emin_lsb.
    pub emin_lsb: i32,
    /// Largest exponent of the leading bit of a finite value.
    pub emax: i32,
    /// Significant decimal digits kept before the rest is folded into a sticky digit.
    /// Must exceed the digits of any exact halfway point between two values.
    pub max_digits: usize,
}

impl BinaryFormat {
    pub const F64: BinaryFormat = BinaryFormat {
        precision: 53,
        emin_lsb: -1074,
        emax: 1023,
        max_digits: 800,
    };
}

/// Result of rounding an exact positive value into a [`BinaryFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounded {
    /// The input was exactly zero.
    Zero,
    /// A nonzero input rounded to zero (`strtod` says ERANGE).
    Underflow,
    /// The input rounded to infinity (`strtod` says ERANGE).
    Overflow,
    /// `mant * 2^exp`; `mant` has exactly `precision` bits unless the value is
    /// subnormal, in which case `exp == emin_lsb`.
    Finite { mant: u64, exp: i32 },
}

/// Correctly rounds the decimal `int.frac * 10^exp10` (where `exp10` already accounts
/// for the fraction digits, as [`scan_float`] produces it).
///
/// # Algorithm
/// Problem: the input may have thousands of digits and an exponent far outside the
/// format, and the result must be the nearest representable value, ties to even, with
/// gradual underflow, exactly like glibc's `strtod`/`strtold`.
///
/// Idea: write the value as the exact fraction A/B of two big integers (digits times a
/// power of ten over a power of ten), scale A or B by a power of two so that the integer
/// quotient has `precision + 3` or `precision + 4` bits, and compute that quotient by
/// binary long division. The quotient's low bits give the guard bit, and the remaining
/// low bits plus a nonzero remainder give the sticky bit; the usual round-half-even on
/// (mantissa, guard, sticky) is then exact. When the value is subnormal the rounding
/// position simply moves up to the fixed subnormal lsb.
///
/// Limits: cheap magnitude tests settle values that certainly overflow or underflow
/// without any big arithmetic, so the big integers stay under ~35,000 bits for x87 and
/// ~4,000 for f64. Digits past `max_digits` cannot affect the rounding except through
/// being nonzero, so they are replaced by one sticky `1` digit; the cost is then
/// bounded whatever the input length.
pub(crate) fn decimal_to_binary(
    int: &[u8],
    frac: &[u8],
    exp10: i64,
    fmt: &BinaryFormat,
) -> Rounded {
    let all = || int.iter().chain(frac.iter()).copied();
    let total = int.len() + frac.len();
    let Some(first) = all().position(|d| d != b'0') else {
        return Rounded::Zero;
    };
    let last = total - 1 - all().rev().position(|d| d != b'0').unwrap_or(0);
    let count = last - first + 1;
    // value = (digits first..=last) * 10^scale
    let scale = exp10.saturating_add((total - 1 - last) as i64);
    // value lies in [10^(count-1+scale), 10^(count+scale))
    let lead = scale.saturating_add(count as i64 - 1);
    // log10(2) ~ 0.30103; one extra decade of slack on each side.
    let max_lead = i64::from(fmt.emax + 1) * 30103 / 100000 + 1;
    let min_lead = i64::from(fmt.emin_lsb - 1) * 30103 / 100000 - 2;
    if lead > max_lead {
        return Rounded::Overflow;
    }
    if lead < min_lead {
        return Rounded::Underflow;
    }
    let kept = count.min(fmt.max_digits);
    let mut mant = BigUint::zero();
    let mut chunk: u64 = 0;
    let mut chunk_len = 0;
    for d in all().skip(first).take(kept) {
        chunk = chunk * 10 + u64::from(d - b'0');
        chunk_len += 1;
        if chunk_len == 19 {
            mant.mul_add_small(10u64.pow(19), chunk);
            chunk = 0;
            chunk_len = 0;
        }
    }
    mant.mul_add_small(10u64.pow(chunk_len), chunk);
    let mut scale = scale + (count - kept) as i64;
    if kept < count {
        // The dropped tail ends with a nonzero digit (`last`), so it is nonzero: keep
        // it as a sticky digit one place below what we kept.
        mant.mul_add_small(10, 1);
        scale -= 1;
    }
    let (num, den) = if scale >= 0 {
        let mut num = mant;
        num.mul_pow10(scale as u32);
        (num, BigUint::from_u64(1))
    } else {
        let mut den = BigUint::from_u64(1);
        den.mul_pow10((-scale) as u32);
        (mant, den)
    };
    round_quotient(num, den, fmt)
}

/// Correctly rounds the hexadecimal `int.frac * 2^exp2` (fraction digits already
/// accounted for in `exp2`). Same contract as [`decimal_to_binary`].
pub(crate) fn hex_to_binary(int: &[u8], frac: &[u8], exp2: i64, fmt: &BinaryFormat) -> Rounded {
    // 40 hex digits are 157+ significant bits, far below any rounding position.
    const KEEP: usize = 40;
    let all = || int.iter().chain(frac.iter()).copied();
    let total = int.len() + frac.len();
    let Some(first) = all().position(|d| d != b'0') else {
        return Rounded::Zero;
    };
    let last = total - 1 - all().rev().position(|d| d != b'0').unwrap_or(0);
    let count = last - first + 1;
    let mut scale = exp2.saturating_add(4 * (total - 1 - last) as i64);
    let kept = count.min(KEEP);
    let mut mant = BigUint::zero();
    for d in all().skip(first).take(kept) {
        let v = (d as char).to_digit(16).unwrap_or(0);
        mant.mul_add_small(16, u64::from(v));
    }
    scale = scale.saturating_add(4 * (count - kept) as i64);
    if kept < count {
        mant.mul_add_small(16, 1);
        scale -= 4;
    }
    // value lies in [2^(bits-1+scale), 2^(bits+scale))
    let bits = mant.bit_len() as i64;
    if scale + bits - 1 > i64::from(fmt.emax) + 1 {
        return Rounded::Overflow;
    }
    if scale + bits < i64::from(fmt.emin_lsb) - 1 {
        return Rounded::Underflow;
    }
    let (num, den) = if scale >= 0 {
        (mant.shl(scale as u64), BigUint::from_u64(1))
    } else {
        (mant, BigUint::from_u64(1).shl((-scale) as u64))
    };
    round_quotient(num, den, fmt)
}

/// Rounds the positive rational `num / den` into `fmt` (see [`decimal_to_binary`]).
fn round_quotient(num: BigUint, den: BigUint, fmt: &BinaryFormat) -> Rounded {
    let p = i64::from(fmt.precision);
    // Pick s so that q = floor(num * 2^s / den) lies in [2^(p+2), 2^(p+4)).
    let s = p + 3 - (num.bit_len() as i64 - den.bit_len() as i64);
    let (num, den) = if s >= 0 {
        (num.shl(s as u64), den)
    } else {
        (num, den.shl((-s) as u64))
    };
    let (q, inexact) = long_divide(num, &den, fmt.precision + 4);
    let q_bits = i64::from(128 - q.leading_zeros());
    // q has its lsb at 2^-s; drop `shift` bits, at least enough to reach the subnormal lsb.
    let shift = (q_bits - p).max(i64::from(fmt.emin_lsb) + s);
    let (mut mant, guard, sticky) = if shift >= 128 {
        (0u128, false, true)
    } else {
        let shift = shift as u32;
        let below = q & ((1u128 << (shift - 1)) - 1);
        (
            q >> shift,
            (q >> (shift - 1)) & 1 == 1,
            below != 0 || inexact,
        )
    };
    if guard && (sticky || mant & 1 == 1) {
        mant += 1;
    }
    let mut exp = shift - s;
    if mant == 1u128 << p {
        mant >>= 1;
        exp += 1;
    }
    if mant == 0 {
        Rounded::Underflow
    } else if exp + p - 1 > i64::from(fmt.emax) {
        Rounded::Overflow
    } else {
        Rounded::Finite {
            mant: mant as u64,
            exp: exp as i32,
        }
    }
}

/// Binary long division for a quotient known to fit in `bits` bits (at most 127).
/// Returns the quotient and whether the remainder is nonzero.
fn long_divide(mut rem: BigUint, den: &BigUint, bits: u32) -> (u128, bool) {
    debug_assert!(bits < 128);
    let mut shifted = den.shl(u64::from(bits - 1));
    let mut q: u128 = 0;
    for i in (0..bits).rev() {
        if rem.cmp(&shifted) != Ordering::Less {
            rem.sub_assign(&shifted);
            q |= 1 << i;
        }
        shifted.shr1();
    }
    debug_assert!(
        rem.cmp(den) == Ordering::Less,
        "quotient exceeded its bit budget"
    );
    (q, !rem.is_zero())
}

// ---------------------------------------------------------------------------
// Doubles: formatting
// ---------------------------------------------------------------------------

/// Appends `v` as Redis's `addReplyDouble` prints it: `inf`/`-inf`, otherwise C
/// `%.17g` (so `0.1` is `0.10000000000000001`, `1e17` is `1e+17`, `-0.0` is `-0`, and
/// NaN is `nan` or `-nan` by its sign bit, as glibc prints it).
/// The RESP2 reply is this as a bulk string; RESP3 sends `,` + this + CRLF.
pub fn fmt_f64(v: f64, out: &mut Vec<u8>) {
    fmt_g(v, 17, out);
}

/// Appends `v` formatted like C `printf("%.{precision}g", v)` under glibc: `precision`
/// significant digits (0 counts as 1), correctly rounded with ties to even, fixed
/// notation when the decimal exponent X of the rounded value satisfies
/// -4 <= X < precision and `d.ddde+XX` otherwise, trailing fraction zeros and a bare
/// trailing point removed. Infinities print as `inf`/`-inf`, NaN as `nan`/`-nan`.
pub fn fmt_g(v: f64, precision: usize, out: &mut Vec<u8>) {
    let precision = precision.max(1);
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let v = v.abs();
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(b"inf");
        return;
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    // Fast path: an integral value with no more digits than the precision prints as
    // itself (always exactly representable below 2^64).
    if v.fract() == 0.0 && v < 1e19 && digits10(v as u64) <= precision {
        fmt_u64(v as u64, out);
        return;
    }
    let (digits, exp) = exact_significant_digits(v, precision);
    if exp < -4 || exp >= precision as i64 {
        out.push(digits[0]);
        let frac = trim_trailing_zeros(&digits[1..]);
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        if exp.abs() < 10 {
            out.push(b'0');
        }
        fmt_u64(exp.unsigned_abs(), out);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        out.extend_from_slice(&digits[..int_len]);
        let frac = trim_trailing_zeros(&digits[int_len..]);
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-exp - 1) as usize, b'0');
        out.extend_from_slice(trim_trailing_zeros(&digits));
    }
}

fn trim_trailing_zeros(digits: &[u8]) -> &[u8] {
    let keep = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
    &digits[..keep]
}

/// The first `count` significant decimal digits of the finite positive `v`, correctly
/// rounded (ties to even), and the decimal exponent of the first digit.
///
/// The exact expansion comes from integer arithmetic: v = m * 2^e is the integer
/// m * 2^e when e >= 0, and m * 5^-e / 10^-e otherwise, so the digits of a big
/// integer are the digits of v. A double has at most 767 significant digits, so this
/// is a few hundred limb operations at worst.
fn exact_significant_digits(v: f64, count: usize) -> (Vec<u8>, i64) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    };
    let mut n = BigUint::from_u64(m);
    let point_shift = if e >= 0 {
        n = n.shl(e as u64);
        0
    } else {
        n.mul_pow5((-e) as u32);
        i64::from(e)
    };
    let digits = n.to_decimal();
    let exp = digits.len() as i64 - 1 + point_shift;
    round_digits(digits, count, exp)
}

/// Rounds an exact digit string (no leading zero) to `count` significant digits with
/// ties to even. Returns exactly `count` digits and the possibly bumped exponent.
pub(crate) fn round_digits(mut digits: Vec<u8>, count: usize, mut exp: i64) -> (Vec<u8>, i64) {
    if digits.len() <= count {
        digits.resize(count, b'0');
        return (digits, exp);
    }
    let rest = &digits[count..];
    let round_up = match rest[0].cmp(&b'5') {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => {
            rest[1..].iter().any(|&d| d != b'0') || (digits[count - 1] - b'0') % 2 == 1
        }
    };
    digits.truncate(count);
    if round_up && increment_decimal(&mut digits) {
        // 99..9 became 00..0: the value is now 10^(exp+1).
        digits[0] = b'1';
        exp += 1;
    }
    (digits, exp)
}

/// Adds one unit in the last place to an ASCII digit string; returns the carry out.
pub(crate) fn increment_decimal(digits: &mut [u8]) -> bool {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return false;
        }
    }
    true
}

/// Redis `double2ll`: `Some(i)` when `d` is an integer within +/-2^62 (the range
/// Redis trusts to convert without loss), else `None`. Note `-0.0` gives `Some(0)`.
pub fn double2ll(d: f64) -> Option<i64> {
    // (double)(LLONG_MAX/2) rounds to exactly 2^62.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if d.is_nan() || !(-LIMIT..=LIMIT).contains(&d) {
        return None;
    }
    let truncated = d as i64;
    (truncated as f64 == d).then_some(truncated)
}

/// Appends `v` as Redis's `d2string` writes it (listpack zset scores, module strings):
/// `nan`, `inf`, `-inf`, `0`, `-0`, plain integers for integral values within
/// +/-2^62, and `%.17g` for everything else.
pub fn d2string(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if let Some(i) = double2ll(v) {
        fmt_i64(i, out);
    } else {
        // Infinities come out as "inf"/"-inf" here, as in Redis.
        fmt_g(v, 17, out);
    }
}

/// Appends `v` with exactly `fractional_digits` digits after the point, the way Redis's
/// `fixedpoint_d2string` does it for GEODIST and WITHDIST (always with 4 digits):
/// scale by 10^digits in double arithmetic, round half to even to an integer (`llrint`),
/// then print that integer with a point inserted. Because the scaling multiplies in
/// floating point first, results can differ from `%.4f` in the last digit; that is the
/// Redis behaviour. Out-of-range and NaN inputs give `llrint`'s x86 answer, i64::MIN.
///
/// Redis only calls this with 4 digits (its digit-pair loop would misplace the point
/// for an odd count); any count 1..=17 is printed as `%.Nf` of the rounded integer here.
pub fn fixedpoint_d2string(v: f64, fractional_digits: u32, out: &mut Vec<u8>) {
    let digits = fractional_digits.clamp(1, 17) as usize;
    if v == 0.0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + digits, b'0');
        return;
    }
    let scaled = (v * 10f64.powi(digits as i32)).round_ties_even();
    // llrint: results outside i64 (and NaN) raise FE_INVALID and yield i64::MIN on x86.
    const TWO_POW_63: f64 = -(i64::MIN as f64);
    let n = if (-TWO_POW_63..TWO_POW_63).contains(&scaled) {
        scaled as i64
    } else {
        i64::MIN
    };
    if n < 0 {
        out.push(b'-');
    }
    let mut abs = Vec::with_capacity(20);
    fmt_u64(n.unsigned_abs(), &mut abs);
    if abs.len() <= digits {
        out.push(b'0');
    } else {
        out.extend_from_slice(&abs[..abs.len() - digits]);
    }
    out.push(b'.');
    let frac_start = abs.len().saturating_sub(digits);
    out.resize(out.len() + digits - (abs.len() - frac_start), b'0');
    out.extend_from_slice(&abs[frac_start..]);
}

// ---------------------------------------------------------------------------
// A minimal unsigned big integer (shared with long_double.rs)
// ---------------------------------------------------------------------------

/// Arbitrary-precision unsigned integer, little-endian 64-bit limbs, no trailing zero
/// limbs. Only the handful of operations exact float conversion needs.
#[derive(Clone, Debug)]
pub(crate) struct BigUint {
    limbs: Vec<u64>,
}

impl BigUint {
    pub fn zero() -> Self {
        BigUint { limbs: Vec::new() }
    }

    pub fn from_u64(v: u64) -> Self {
        let mut n = BigUint { limbs: vec![v] };
        n.trim();
        n
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => self.limbs.len() as u64 * 64 - u64::from(top.leading_zeros()),
        }
    }

    /// self = self * mul + add
    pub fn mul_add_small(&mut self, mul: u64, add: u64) {
        let mut carry = u128::from(add);
        for limb in &mut self.limbs {
            let t = u128::from(*limb) * u128::from(mul) + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            self.limbs.push(carry as u64);
        }
        self.trim();
    }

    pub fn mul_pow5(&mut self, mut k: u32) {
        const POW5_27: u64 = 7_450_580_596_923_828_125; // largest power of 5 below 2^63
        while k >= 27 {
            self.mul_add_small(POW5_27, 0);
            k -= 27;
        }
        self.mul_add_small(5u64.pow(k), 0);
    }

    pub fn mul_pow10(&mut self, k: u32) {
        self.mul_pow5(k);
        *self = self.shl(u64::from(k));
    }

    pub fn shl(&self, bits: u64) -> Self {
        if self.is_zero() {
            return self.clone();
        }
        let words = (bits / 64) as usize;
        let rest = (bits % 64) as u32;
        let mut limbs = vec![0u64; words];
        limbs.reserve(self.limbs.len() + 1);
        if rest == 0 {
            limbs.extend_from_slice(&self.limbs);
        } else {
            let mut carry = 0u64;
            for &l in &self.limbs {
                limbs.push((l << rest) | carry);
                carry = l >> (64 - rest);
            }
            limbs.push(carry);
        }
        let mut n = BigUint { limbs };
        n.trim();
        n
    }

    pub fn shr1(&mut self) {
        let mut carry = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let next = *limb << 63;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    pub fn cmp(&self, other: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// self -= other; requires self >= other.
    pub fn sub_assign(&mut self, other: &Self) {
        let mut borrow = false;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let o = other.limbs.get(i).copied().unwrap_or(0);
            if o == 0 && !borrow && i >= other.limbs.len() {
                break;
            }
            let (d1, b1) = limb.overflowing_sub(o);
            let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
            *limb = d2;
            borrow = b1 || b2;
        }
        debug_assert!(!borrow, "BigUint subtraction underflow");
        self.trim();
    }

    /// Divides in place by `d` (nonzero), returning the remainder.
    fn div_rem_small(&mut self, d: u64) -> u64 {
        let mut rem: u128 = 0;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        self.trim();
        rem as u64
    }

    /// Decimal digits (ASCII), no leading zeros; "0" for zero.
    pub fn to_decimal(&self) -> Vec<u8> {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19
        let mut n = self.clone();
        let mut chunks = Vec::with_capacity(self.limbs.len() + 1);
        while !n.is_zero() {
            chunks.push(n.div_rem_small(CHUNK));
        }
        let mut out = Vec::with_capacity(chunks.len() * 19 + 1);
        match chunks.pop() {
            None => out.push(b'0'),
            Some(top) => fmt_u64(top, &mut out),
        }
        for &c in chunks.iter().rev() {
            let start = out.len();
            fmt_u64(c, &mut out);
            let written = out.len() - start;
            // left-pad this chunk to 19 digits
            out.splice(start..start, std::iter::repeat_n(b'0', 19 - written));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt_with(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn g17(v: f64) -> String {
        fmt_with(|o| fmt_f64(v, o))
    }

    #[test]
    fn string2ll_cases() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("1", 1),
            ("-1", -1),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("12345678901234567", 12345678901234567),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_i64(s.as_bytes()), Some(v), "{s}");
        }
        for s in [
            "",
            "-",
            "+1",
            " 1",
            "1 ",
            "01",
            "-0",
            "00",
            "-01",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1e3",
            "1.0",
            "0x10",
            "000000000000000000001",
            "1\0",
        ] {
            assert_eq!(parse_i64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn string2ull_cases() {
        let ok: &[(&[u8], u64)] = &[
            (b"0", 0),
            (b"18446744073709551615", u64::MAX),
            (b"9223372036854775808", 1 << 63),
            (b"007", 7),
            (b"+5", 5),
            (b" 5", 5),
            (b"-0", 0),
            (b"-007", u64::MAX - 6),
            (b"5\0junk", 5),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_u64(s), Some(v), "{s:?}");
        }
        for s in [
            &b""[..],
            b"-1",
            b"18446744073709551616",
            b"5 ",
            b"- 5",
            b"0x10",
            b"\0",
            b"-99999999999999999999",
        ] {
            assert_eq!(parse_u64(s), None, "{s:?}");
        }
    }

    #[test]
    fn fmt_integers() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            -5,
            1234567890,
            i64::MAX,
            i64::MIN,
            -1000000,
        ] {
            assert_eq!(fmt_with(|o| fmt_i64(v, o)), v.to_string());
        }
        assert_eq!(fmt_with(|o| fmt_u64(u64::MAX, o)), u64::MAX.to_string());
        assert_eq!(digits10(0), 1);
        assert_eq!(digits10(9), 1);
        assert_eq!(digits10(10), 2);
        assert_eq!(digits10(u64::MAX), 20);
    }

    /// (input, ZSCORE reply from Redis 7.0.15) after `ZADD z <input> m`; None = error.
    const REDIS_ZADD: &[(&str, Option<&str>)] = &[
        ("0x10", Some("16")),
        ("0x.8", Some("0.5")),
        ("0X1p4", Some("16")),
        ("0x1P-2", Some("0.25")),
        ("0x1.8p1", Some("3")),
        ("0x", None),
        ("1e", None),
        ("1e+", None),
        (".5", Some("0.5")),
        ("5.", Some("5")),
        ("+.5", Some("0.5")),
        ("inf", Some("inf")),
        ("+inf", Some("inf")),
        ("-inf", Some("-inf")),
        ("infinity", Some("inf")),
        ("INF", Some("inf")),
        ("Infinity", Some("inf")),
        ("nan", None),
        ("1e-400", None),
        ("1e-310", Some("9.9999999999999694e-311")),
        ("1e400", None),
        (" 1", None),
        ("1 ", None),
        ("1_0", None),
        ("2.5e-8", Some("2.4999999999999999e-08")),
        ("0.1", Some("0.10000000000000001")),
        ("123456789.123", Some("123456789.123")),
        ("1e16", Some("10000000000000000")),
        ("1e17", Some("1e+17")),
        ("1e18", Some("1e+18")),
        ("100000000000000000000", Some("1e+20")),
    ];

    #[test]
    fn parse_and_reply_match_redis() {
        for &(input, expected) in REDIS_ZADD {
            let got = parse_f64(input.as_bytes()).map(g17);
            assert_eq!(got.as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn parse_f64_edges() {
        let ok: &[(&str, f64)] = &[
            ("0", 0.0),
            ("-0", -0.0),
            ("0e-400", 0.0),
            ("0e99999999999999999999999", 0.0),
            ("0x0p99999", 0.0),
            ("1.", 1.0),
            ("-.5e1", -5.0),
            ("1E5", 1e5),
            ("0x1.", 1.0),
            ("0x1p-1074", f64::from_bits(1)),
            ("4.9406564584124654e-324", f64::from_bits(1)),
            ("2.4703282292062328e-324", f64::from_bits(1)), // just above half: rounds up
            ("1.7976931348623157e308", f64::MAX),
            ("0x1.fffffffffffff7ffp1023", f64::MAX),
            ("-INFINITY", f64::NEG_INFINITY),
        ];
        for &(s, v) in ok {
            let got = parse_f64(s.as_bytes()).unwrap_or_else(|| panic!("{s} rejected"));
            assert_eq!(got.to_bits(), v.to_bits(), "{s}");
        }
        for s in [
            "",
            "+",
            "-",
            ".",
            "e5",
            ".e5",
            "1e",
            "1e+",
            "1.5.5",
            "--1",
            "+-1",
            "1e+-1",
            "infin",
            "infinityy",
            "NaN",
            "nan(123)",
            "-nan",
            "0x",
            "0x.",
            "0xp1",
            "0x1p",
            "0x1g",
            "2.4703282292062327e-324", // just below half the smallest subnormal
            "1e-99999999999999999999",
            "1e99999999999999999999",
            "0x1p1024",
            "0x1.fffffffffffff8p1023",
            "1.7976931348623159e308",
            "\t1",
            "1\0",
        ] {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s:?}");
        }
    }

    /// ZRANGEBYSCORE z <bound> +inf on Redis 7.0.15 with members at -1, 0 and 1.
    #[test]
    fn strtod_range_bounds_match_redis() {
        let ok: &[(&[u8], f64)] = &[
            (b"", 0.0),
            (b" 1", 1.0),
            (b"\t\n-inf", f64::NEG_INFINITY),
            (b"1e400", f64::INFINITY),
            (b"-1e400", f64::NEG_INFINITY),
            (b"1e-400", 0.0),
            (b"0x1", 1.0),
            (b"2\0junk", 2.0),
            (b"\0", 0.0),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_f64_strtod(s), Some(v), "{s:?}");
        }
        for s in [&b"   "[..], b"1 ", b"nan", b" nan", b"1e", b"abc", b"- 1"] {
            assert_eq!(parse_f64_strtod(s), None, "{s:?}");
        }
    }

    #[test]
    fn parse_f64_long_inputs_stay_exact() {
        // 2^-1074 / 2 exactly is a tie that rounds to even (zero) and is rejected;
        // one more nonzero digit far out flips it to the smallest subnormal.
        let half = midpoint_decimal(0.0); // 2^-1075, exactly half the smallest subnormal
        assert_eq!(parse_f64(half.as_bytes()), None);
        let (m, e) = half.split_once('e').unwrap();
        let e: i64 = e.parse().unwrap();
        let above = format!("{m}{}1e{}", "0".repeat(5000), e - 5001);
        assert_eq!(parse_f64(above.as_bytes()), Some(f64::from_bits(1)));
        let tiny_hex = format!("0x0.{}1p-1022", "0".repeat(12));
        assert_eq!(parse_f64(tiny_hex.as_bytes()), Some(f64::from_bits(1)));
        let tie_hex = format!("0x1.00000000000008{}p0", "0".repeat(100));
        assert_eq!(parse_f64(tie_hex.as_bytes()), Some(1.0));
        let tie_hex_up = format!("0x1.00000000000008{}1p0", "0".repeat(100));
        assert_eq!(parse_f64(tie_hex_up.as_bytes()), Some(1.0 + f64::EPSILON));
    }

    /// The generic converter (used for x87) must agree with Rust's f64 parser.
    #[test]
    fn generic_decimal_converter_agrees_with_std() {
        let mut rng = 0x9e3779b97f4a7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..20000 {
            let r = next();
            let text = match r % 4 {
                0 => format!("{:e}", f64::from_bits(next() & !(1 << 63))),
                1 => format!(
                    "{}e{}",
                    next() % 100_000_000_000,
                    (next() % 700) as i64 - 350
                ),
                2 => format!("{}.{}e{}", next(), next(), (next() % 660) as i64 - 330),
                _ => {
                    // exact midpoint between two doubles, or one ulp of the last digit off
                    let v = f64::from_bits(next() % 0x7fe0_0000_0000_0000);
                    let mid = midpoint_decimal(v);
                    let (m, e) = mid.split_once('e').unwrap();
                    let e: i64 = e.parse().unwrap();
                    match next() % 3 {
                        0 => mid.clone(),
                        // a hair above the midpoint
                        1 => format!("{m}1e{}", e - 1),
                        // a hair below it: last digit minus one, then 9s
                        _ if m.ends_with(|c: char| c != '0') => {
                            let mut d = m.as_bytes().to_vec();
                            *d.last_mut().unwrap() -= 1;
                            let d = String::from_utf8(d).unwrap();
                            format!("{d}9999999999e{}", e - 10)
                        }
                        _ => mid.clone(),
                    }
                }
            };
            if text.contains("inf") || text.contains("NaN") {
                continue;
            }
            let syn = scan_float(text.as_bytes()).unwrap();
            let FloatBody::Decimal {
                int, frac, exp10, ..
            } = syn.body
            else {
                panic!()
            };
            let want: f64 = text.parse().unwrap();
            let got = match decimal_to_binary(int, frac, exp10, &BinaryFormat::F64) {
                Rounded::Finite { mant, exp } => compose_f64(mant, exp),
                Rounded::Zero | Rounded::Underflow => 0.0,
                Rounded::Overflow => f64::INFINITY,
            };
            assert_eq!(got.to_bits(), want.to_bits(), "{text}");
        }
    }

    /// The exact decimal value halfway between `v` and the next double up, `<digits>e<exp>`.
    fn midpoint_decimal(v: f64) -> String {
        let bits = v.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (m, e) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), biased - 1075)
        };
        // midpoint = (2m + 1) * 2^(e-1)
        let mut n = BigUint::from_u64(2 * m + 1);
        let e = e - 1;
        if e >= 0 {
            n = n.shl(e as u64);
            format!("{}e0", String::from_utf8(n.to_decimal()).unwrap())
        } else {
            n.mul_pow5((-e) as u32);
            format!("{}e{e}", String::from_utf8(n.to_decimal()).unwrap())
        }
    }

    #[test]
    fn fmt_f64_cases() {
        // Expected strings checked against glibc printf("%.17g").
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.10000000000000001"),
            (1.0 / 3.0, "0.33333333333333331"),
            (100.0, "100"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (100000000000016384.0, "1.0000000000001638e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.000123, "0.00012300000000000001"),
            (1e-5, "1.0000000000000001e-05"),
            (1e100, "1e+100"),
            (12345.678, "12345.678"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (f64::from_bits(1), "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
            // 2^-25 = 2.98023223876953125e-8 is an exact tie at 17 digits: even wins.
            (2f64.powi(-25), "2.9802322387695312e-08"),
            (4611686018427387904.0, "4.6116860184273879e+18"),
        ];
        for &(v, want) in cases {
            assert_eq!(g17(v), want, "{v:e}");
        }
    }

    #[test]
    fn fmt_g_other_precisions() {
        let cases: &[(f64, usize, &str)] = &[
            (0.5, 0, "0.5"),
            (2.5, 1, "2"),
            (3.5, 1, "4"),
            (9.96, 2, "10"),
            (99.96, 3, "100"),
            (999.6, 3, "1e+03"),
            (123456.0, 6, "123456"),
            (1234567.0, 6, "1.23457e+06"),
            (0.0001234, 3, "0.000123"),
            (0.00001234, 3, "1.23e-05"),
            (1e300, 6, "1e+300"),
            (1.0, 30, "1"),
            (0.1, 30, "0.100000000000000005551115123126"),
        ];
        for &(v, p, want) in cases {
            assert_eq!(fmt_with(|o| fmt_g(v, p, o)), want, "{v} %.{p}g");
        }
    }

    /// %.17g against Rust's exact `{:.16e}` digits on random doubles.
    #[test]
    fn fmt_f64_random_against_std_exact_digits() {
        let mut rng = 0x2545f4914f6cdd1du64;
        for _ in 0..20000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let v = f64::from_bits(rng);
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let ours = g17(v);
            // our digits must read back as v (17 digits always round-trip)
            assert_eq!(
                ours.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{ours}"
            );
            let sci = format!("{:.16e}", v.abs());
            let (mant, exp) = sci.split_once('e').unwrap();
            let digits: String = mant.chars().filter(|c| *c != '.').collect();
            let exp: i64 = exp.parse().unwrap();
            let (ours_digits, ours_exp) = exact_significant_digits(v.abs(), 17);
            assert_eq!(String::from_utf8(ours_digits).unwrap(), digits, "{v:e}");
            assert_eq!(ours_exp, exp, "{v:e}");
        }
    }

    #[test]
    fn d2string_and_double2ll() {
        let cases: &[(f64, &str)] = &[
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e18, "1000000000000000000"),
            (4611686018427387904.0, "4611686018427387904"),
            (-4611686018427387904.0, "-4611686018427387904"),
            (4611686018427388928.0, "4.6116860184273889e+18"),
            (5e18, "5e+18"),
            (1.5, "1.5"),
            (-3.0, "-3"),
        ];
        for &(v, want) in cases {
            assert_eq!(fmt_with(|o| d2string(v, o)), want, "{v}");
        }
        assert_eq!(double2ll(-0.0), Some(0));
        assert_eq!(double2ll(0.5), None);
        assert_eq!(double2ll(f64::NAN), None);
        assert_eq!(double2ll(-4611686018427387904.0), Some(-(1 << 62)));
    }

    #[test]
    fn fixedpoint_cases() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0000"),
            (-0.0, "0.0000"),
            (1.0, "1.0000"),
            (166274.1516, "166274.1516"),
            (0.00005, "0.0000"), // 0.5 ties to even
            (0.00015, "0.0001"), // 0.00015 * 1e4 is 1.4999999999999998
            (0.00025, "0.0002"), // exactly 2.5 after scaling: ties to even
            (1.00005, "1.0001"),
            (-0.5, "-0.5000"),
            (-0.00001, "0.0000"),
            (-0.00009, "-0.0001"),
            (12.34567, "12.3457"),
            (1e300, "-922337203685477.5808"),
        ];
        for &(v, want) in cases {
            assert_eq!(fmt_with(|o| fixedpoint_d2string(v, 4, o)), want, "{v}");
        }
    }

    #[test]
    fn biguint_decimal() {
        let n = BigUint::from_u64(u64::MAX).shl(64);
        let want = (u128::from(u64::MAX) << 64).to_string().into_bytes();
        assert_eq!(n.to_decimal(), want);
        let mut p = BigUint::from_u64(1);
        p.mul_pow10(40);
        let mut want = b"1".to_vec();
        want.extend(std::iter::repeat_n(b'0', 40));
        assert_eq!(p.to_decimal(), want);
        assert_eq!(BigUint::zero().to_decimal(), b"0");
    }

    /// ZADD parses with `string2d`; ZSCORE replies with `addReplyDouble`; ZSCAN on a
    /// listpack zset shows the stored `d2string` text. A one-member zset stays a
    /// listpack, where `zzlInsertAt` stores integral scores as integers, so a -0 score
    /// comes back as 0 (hence the `+ 0.0` below).
    #[test]
    fn differential_zadd_against_real_redis() {
        use crate::util::real_redis::{connect, random_float_text, Reply};
        let Some(mut conn) = connect("numbers::differential_zadd_against_real_redis") else {
            return;
        };
        let key = b"ferrodis-util-test:zset".to_vec();
        let mut rng = 0x0ddc_0ffe_e0dd_f00du64;
        let mut inputs: Vec<Vec<u8>> = (0..3000)
            .map(|_| random_float_text(&mut rng, 400))
            .collect();
        inputs.extend(
            [
                "2.98023223876953125e-8",
                "4611686018427387904",
                "4611686018427388928",
                "-4611686018427387904",
                "1e17",
                "99999999999999999",
                "0x1p-1074",
                "2.4703282292062328e-324",
                "2.4703282292062327e-324",
                "1.7976931348623158e308",
                "1.7976931348623159e308",
            ]
            .map(|s| s.as_bytes().to_vec()),
        );
        conn.cmd(&[b"DEL", &key]);
        let mut cmds = Vec::new();
        for text in &inputs {
            cmds.push(vec![
                b"ZADD".to_vec(),
                key.clone(),
                text.clone(),
                b"m".to_vec(),
            ]);
            cmds.push(vec![b"ZSCORE".to_vec(), key.clone(), b"m".to_vec()]);
            cmds.push(vec![b"ZSCAN".to_vec(), key.clone(), b"0".to_vec()]);
        }
        let replies = conn.pipeline(&cmds);
        let mut accepted = 0;
        for (text, r) in inputs.iter().zip(replies.chunks(3)) {
            let shown = String::from_utf8_lossy(text);
            match parse_f64(text) {
                None => assert!(matches!(r[0], Reply::Error(_)), "{shown} accepted by Redis"),
                Some(v) => {
                    accepted += 1;
                    assert!(matches!(r[0], Reply::Int(_)), "{shown} rejected by Redis");
                    let stored = v + 0.0;
                    assert_eq!(
                        r[1].text(),
                        fmt_with(|o| fmt_f64(stored, o)),
                        "ZSCORE {shown}"
                    );
                    let scanned = r[2].items()[1].items()[1].text();
                    assert_eq!(scanned, fmt_with(|o| d2string(stored, o)), "ZSCAN {shown}");
                }
            }
        }
        assert!(
            accepted > 1000,
            "generator should mostly produce valid floats"
        );
        conn.cmd(&[b"DEL", &key]);
    }
}
