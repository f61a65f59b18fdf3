//! A software x87 `long double`: just enough of it for INCRBYFLOAT, HINCRBYFLOAT and
//! GEOPOS to print what Redis prints.
//!
//! Redis counterpart: `util.c` `string2ld` and `ld2string(..., LD_STR_HUMAN)`,
//! `object.c` `getLongDoubleFromObject`, `t_string.c` `incrbyfloatCommand`,
//! `t_hash.c` `hincrbyfloatCommand`, `networking.c` `addReplyHumanLongDouble`.
//!
//! Redis does this arithmetic in C `long double`, which on x86-64 Linux is the 80-bit
//! x87 extended format: a 64-bit significand with an explicit leading bit, a 15-bit
//! exponent (largest finite value about 1.19e4932, smallest subnormal 2^-16445), and
//! round-to-nearest-even on every operation. Rust has no such type, so [`LongDouble`]
//! models it exactly: parsing is correctly rounded like glibc's `strtold`, addition is
//! one correctly rounded x87 `fadd`, and printing is glibc's exact `%.17Lf`.
//!
//! How the server uses it (Redis 7.0.15):
//! - INCRBYFLOAT: `current = LongDouble::parse(stored)` (a missing key is
//!   [`LongDouble::ZERO`]; an integer-encoded value is [`LongDouble::from_i64`], which
//!   equals parsing its digits) and
//!   `incr = LongDouble::parse(arg)`, either failing with `ERR value is not a valid
//!   float`; `sum = current + incr` (or [`add`]); if `!sum.is_finite()` reply `ERR increment
//!   would produce NaN or Infinity`; otherwise store and reply `to_human_string()`.
//! - HINCRBYFLOAT: same, but an infinite increment (`inf` parses fine) is refused first
//!   with `ERR value is NaN or Infinity`, and an unparsable field value gives
//!   `ERR hash value is not a float`.
//! - GEOPOS: `LongDouble::from_f64(coordinate).to_human_string()`.
//! - Blocking-command timeouts (`timeout.c` `getTimeoutFromObjectOrReply`) are also
//!   read with `string2ld` ([`LongDouble::parse`], error `ERR timeout is not a float or
//!   out of range`) and turned into milliseconds by [`LongDouble::seconds_to_ms_ceil`];
//!   a negative result is `ERR timeout is negative`.
//!
//! Invariants: values are kept canonical (a finite nonzero value has its significand's
//! top bit set unless it is subnormal, in which case its exponent is the subnormal
//! one), so derived equality is representation equality: `+0 != -0`, NaN == NaN.

use std::fmt;

use super::numbers::{
    decimal_to_binary, hex_to_binary, scan_float, BigUint, BinaryFormat, FloatBody, Rounded,
};

/// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` rejects inputs this long or longer, and
/// `ld2string` fails if its output plus a NUL does not fit.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Weight of the lowest bit of the smallest x87 subnormal: 2^-16445.
const EMIN_LSB: i32 = -16445;
/// Exponent of the leading bit of the largest finite x87 value.
const EMAX: i32 = 16383;

const X87: BinaryFormat = BinaryFormat {
    precision: 64,
    emin_lsb: EMIN_LSB,
    emax: EMAX,
    // Halfway points between x87 values have up to ~11,520 significant digits; inputs
    // are shorter than MAX_LONG_DOUBLE_CHARS anyway, so nothing is ever folded.
    max_digits: 12_000,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Finite,
    Infinite,
    Nan,
}

/// An x87 80-bit extended-precision number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    class: Class,
    negative: bool,
    /// Finite value = sig * 2^exp. Zero has sig == 0 and exp == 0.
    sig: u64,
    exp: i32,
}

impl LongDouble {
    /// Positive zero, the value of a missing key.
    pub const ZERO: LongDouble = LongDouble {
        class: Class::Finite,
        negative: false,
        sig: 0,
        exp: 0,
    };

    const fn special(class: Class, negative: bool) -> Self {
        LongDouble {
            class,
            negative,
            sig: 0,
            exp: 0,
        }
    }

    fn zero(negative: bool) -> Self {
        LongDouble {
            negative,
            ..Self::ZERO
        }
    }

    /// Builds a canonical finite value from a normalized or subnormal significand.
    fn finite(negative: bool, sig: u64, exp: i32) -> Self {
        if sig == 0 {
            return Self::zero(negative);
        }
        debug_assert!(sig >> 63 == 1 || exp == EMIN_LSB);
        LongDouble {
            class: Class::Finite,
            negative,
            sig,
            exp,
        }
    }

    /// The exact value of `v` (every i64 fits in a 64-bit significand), like the C cast
    /// `(long double)ll` Redis applies to integer-encoded strings and hash fields.
    pub fn from_i64(v: i64) -> Self {
        let negative = v < 0;
        let magnitude = v.unsigned_abs();
        if magnitude == 0 {
            return Self::ZERO;
        }
        let lz = magnitude.leading_zeros();
        Self::finite(negative, magnitude << lz, -(lz as i32))
    }

    /// The exact value of `v`, like the C cast `(long double)d` (GEOPOS widens the
    /// stored coordinates this way before printing them).
    pub fn from_f64(v: f64) -> Self {
        let negative = v.is_sign_negative();
        if v.is_nan() {
            return Self::special(Class::Nan, negative);
        }
        if v.is_infinite() {
            return Self::special(Class::Infinite, negative);
        }
        let bits = v.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (m, e) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), biased - 1075)
        };
        if m == 0 {
            return Self::zero(negative);
        }
        // Even f64 subnormals are normal in the wider x87 exponent range.
        let lz = m.leading_zeros();
        Self::finite(negative, m << lz, e - lz as i32)
    }

    /// Parses like Redis's `string2ld` (`getLongDoubleFromObject`): the whole input must
    /// be one `strtold` number, shorter than [`MAX_LONG_DOUBLE_CHARS`], with no leading
    /// whitespace. Same grammar as [`super::numbers::parse_f64`]: decimal, hexadecimal
    /// (`0x1p-3`) and `inf`/`infinity` (which parse fine; INCRBYFLOAT then fails on the
    /// sum). NaN, overflow and underflow to zero are rejected; subnormal results are
    /// accepted. The value is correctly rounded to 64 significant bits, ties to even.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let syntax = scan_float(s)?;
        let rounded = match syntax.body {
            FloatBody::Inf => return Some(Self::special(Class::Infinite, syntax.negative)),
            FloatBody::Decimal {
                int, frac, exp10, ..
            } => decimal_to_binary(int, frac, exp10, &X87),
            FloatBody::Hex {
                int, frac, exp2, ..
            } => hex_to_binary(int, frac, exp2, &X87),
        };
        match rounded {
            Rounded::Zero => Some(Self::zero(syntax.negative)),
            Rounded::Finite { mant, exp } => Some(Self::finite(syntax.negative, mant, exp)),
            Rounded::Underflow | Rounded::Overflow => None,
        }
    }

    /// True unless infinite or NaN.
    pub fn is_finite(&self) -> bool {
        self.class == Class::Finite
    }

    /// True for either NaN.
    pub fn is_nan(&self) -> bool {
        self.class == Class::Nan
    }

    /// True for +/-infinity.
    pub fn is_infinite(&self) -> bool {
        self.class == Class::Infinite
    }

    /// True if the sign bit is set (also for -0 and negative NaN).
    pub fn is_sign_negative(&self) -> bool {
        self.negative
    }

    /// `(long long) ceill(value * 1000.0)`, how Redis turns a blocking command's timeout
    /// in seconds into milliseconds (`getTimeoutFromObjectOrReply`): the product is
    /// rounded to 64 bits, then ceiled, then converted; infinities, NaN and results
    /// outside i64 give x87's "integer indefinite", i64::MIN. So `inf`, `1e30` and
    /// `9.3e15` all end as "timeout is negative", `0.00001` waits 1 ms, and `-0.0001`
    /// ceils to 0 (block forever).
    pub fn seconds_to_ms_ceil(&self) -> i64 {
        if !self.is_finite() {
            return i64::MIN;
        }
        if self.sig == 0 {
            return 0;
        }
        let product = Self::round_u128(self.negative, u128::from(self.sig) * 1000, self.exp);
        if !product.is_finite() || product.exp >= 0 {
            // |product| >= 2^63: only -2^63 itself is in range, and it is i64::MIN too.
            return i64::MIN;
        }
        let k = (-product.exp) as u32;
        let (int, has_frac) = if k >= 64 {
            (0, true)
        } else {
            (product.sig >> k, product.sig & ((1u64 << k) - 1) != 0)
        };
        if product.negative {
            // ceil(-x) = -floor(x); int < 2^63 here
            -(int as i64)
        } else {
            i64::try_from(int + u64::from(has_frac)).unwrap_or(i64::MIN)
        }
    }

    /// Rounds `sum * 2^lsb_exp` (sum < 2^127) to a LongDouble.
    fn round_u128(negative: bool, sum: u128, lsb_exp: i32) -> LongDouble {
        let bits = 128 - sum.leading_zeros() as i32;
        let shift = (bits - 64).max(EMIN_LSB - lsb_exp);
        if shift <= 0 {
            return Self::finite(negative, (sum << (-shift) as u32) as u64, lsb_exp + shift);
        }
        let shift = shift as u32; // at most 64: lsb_exp >= EMIN_LSB - 62 and bits <= 127
        let mut sig = sum >> shift;
        let guard = (sum >> (shift - 1)) & 1 == 1;
        let sticky = sum & ((1u128 << (shift - 1)) - 1) != 0;
        if guard && (sticky || sig & 1 == 1) {
            sig += 1;
        }
        let mut exp = lsb_exp + shift as i32;
        if sig == 1u128 << 64 {
            sig >>= 1;
            exp += 1;
        }
        if exp + 63 > EMAX {
            return Self::special(Class::Infinite, negative);
        }
        Self::finite(negative, sig as u64, exp)
    }

    /// Formats like Redis's `ld2string(..., LD_STR_HUMAN)`: glibc `%.17Lf` (exact
    /// digits, ties to even), then trailing zeros after the point and a bare trailing
    /// point removed, and `-0` turned into `0`. Infinities are `inf`/`-inf`, NaN is
    /// `nan`/`-nan`. Never exponent notation: 1e300 prints all 301 digits.
    ///
    /// `None` where `ld2string` reports no room (output of [`MAX_LONG_DOUBLE_CHARS`]
    /// bytes or more). That cannot happen for an x87 value: the largest one prints in
    /// 4,933 integer digits plus sign, so INCRBYFLOAT never actually hits the limit.
    pub fn to_human_string(&self) -> Option<String> {
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        match self.class {
            Class::Nan => {
                out.push_str("nan");
                return Some(out);
            }
            Class::Infinite => {
                out.push_str("inf");
                return Some(out);
            }
            Class::Finite => {}
        }
        const FRAC_DIGITS: usize = 17;
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        if self.exp >= 0 {
            // An integer: the 17 fraction digits would all be zeros and get trimmed.
            let n = BigUint::from_u64(self.sig).shl(self.exp as u64);
            out.push_str(std::str::from_utf8(&n.to_decimal()).unwrap_or_default());
        } else {
            // round(sig * 10^17 / 2^k), ties to even; sig * 10^17 < 2^121.
            let k = (-self.exp) as u32;
            let scaled = u128::from(self.sig) * SCALE;
            let rounded = if k > 121 {
                0 // below half a unit of the 17th decimal
            } else {
                let q = scaled >> k;
                let rem = scaled & ((1u128 << k) - 1);
                let half = 1u128 << (k - 1);
                if rem > half || (rem == half && q & 1 == 1) {
                    q + 1
                } else {
                    q
                }
            };
            let int_part = rounded / SCALE;
            let frac_part = rounded % SCALE;
            out.push_str(&int_part.to_string());
            let frac = format!("{frac_part:0FRAC_DIGITS$}");
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        }
        if out == "-0" {
            out = "0".to_string();
        }
        (out.len() < MAX_LONG_DOUBLE_CHARS).then_some(out)
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// `self + other` rounded once to 64 significant bits, ties to even, exactly as an
    /// x87 `fadd` in extended precision does: inf + -inf is NaN, x + -x is +0,
    /// -0 + -0 is -0, and results beyond the range become infinities.
    ///
    /// # Algorithm
    /// Problem: an exact sum of two 64-bit significands whose exponents differ by up to
    /// ~33,000 bits, rounded once.
    ///
    /// Idea: put the operand with the larger exponent in a u128 with 62 spare low bits,
    /// align the other one under it, and fold everything shifted out below bit 1 into a
    /// "sticky" bit 0 (jamming). When the exponents differ by 2 or more the sum keeps at
    /// least 125 bits, so rounding to 64 bits looks only at bits far above the jammed
    /// one and the result equals rounding the exact sum. When they differ by 0 or 1
    /// nothing is shifted out, the sum is exact, and cancellation is harmless. The
    /// rounding position moves up to 2^-16445 for subnormal results, as on x87.
    fn add(self, other: LongDouble) -> LongDouble {
        match (self.class, other.class) {
            (Class::Nan, _) => return self,
            (_, Class::Nan) => return other,
            (Class::Infinite, Class::Infinite) if self.negative != other.negative => {
                // The x87 "indefinite" NaN has its sign bit set.
                return LongDouble::special(Class::Nan, true);
            }
            (Class::Infinite, _) => return self,
            (_, Class::Infinite) => return other,
            (Class::Finite, Class::Finite) => {}
        }
        if other.sig == 0 {
            return if self.sig == 0 {
                LongDouble::zero(self.negative && other.negative)
            } else {
                self
            };
        }
        if self.sig == 0 {
            return other;
        }
        // `a` has the larger exponent, hence (both being canonical) the larger magnitude
        // unless the exponents are equal.
        let (a, b) = if self.exp >= other.exp {
            (self, other)
        } else {
            (other, self)
        };
        const SPARE: u32 = 62;
        let big_a = u128::from(a.sig) << SPARE;
        let distance = (a.exp - b.exp) as u32; // both exps >= EMIN_LSB, so this fits
        let big_b = if distance <= SPARE {
            u128::from(b.sig) << (SPARE - distance)
        } else {
            let down = distance - SPARE;
            let (kept, lost) = if down >= 64 {
                (0, true)
            } else {
                (b.sig >> down, b.sig & ((1u64 << down) - 1) != 0)
            };
            // Truncate at bit 1 and jam everything below into bit 0.
            let kept = u128::from(kept);
            (kept & !1) | u128::from(lost || kept & 1 == 1)
        };
        let (sum, negative) = if a.negative == b.negative {
            (big_a + big_b, a.negative)
        } else if big_a >= big_b {
            (big_a - big_b, a.negative)
        } else {
            (big_b - big_a, b.negative)
        };
        if sum == 0 {
            return LongDouble::ZERO;
        }
        LongDouble::round_u128(negative, sum, a.exp - SPARE as i32)
    }
}

/// `a + b` with x87 semantics (see the `Add` impl): Redis's `value += incr`.
pub fn add(a: LongDouble, b: LongDouble) -> LongDouble {
    a + b
}

impl fmt::Display for LongDouble {
    /// The `LD_STR_HUMAN` form (see [`LongDouble::to_human_string`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_human_string().as_deref().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s} rejected"))
    }

    /// What `INCRBYFLOAT` replies for (stored value or None for a missing key, increment).
    fn incrbyfloat(value: Option<&str>, incr: &str) -> String {
        let current = match value {
            None => LongDouble::ZERO,
            Some(v) => match LongDouble::parse(v.as_bytes()) {
                Some(v) => v,
                None => return "ERR value is not a valid float".into(),
            },
        };
        let Some(incr) = LongDouble::parse(incr.as_bytes()) else {
            return "ERR value is not a valid float".into();
        };
        let sum = current + incr;
        if !sum.is_finite() {
            return "ERR increment would produce NaN or Infinity".into();
        }
        sum.to_human_string().unwrap()
    }

    /// Replies captured from redis-server 7.0.15 (`SET k <value>` unless None, then
    /// `INCRBYFLOAT k <incr>`).
    const REDIS_INCRBYFLOAT: &[(Option<&str>, &str, &str)] = &[
        (Some("1"), "-1.1", "-0.1"),
        (None, "10.5", "10.5"),
        (Some("5.0e3"), "2.0e2", "5200"),
        (
            Some("1.5e300"),
            "0",
            "1500000000000000000049800109861472166362379239118673928551219718248973529929812708792854310575830930686530644566050229406926646739311017606984258288377434143937602778196710661234655944195770838513268846826150205418632995547271874827072936230594920013241190363994471886080567336615911694509046614720512",
        ),
        (Some("1e-300"), "0", "0"),
        (Some("0"), "3.0000000000000000001", "3"),
        (Some("-0"), "0", "0"),
        (Some("0"), "-0.0", "0"),
        (Some("9223372036854775807"), "1", "9223372036854775808"),
        (Some("-9223372036854775808"), "-1", "-9223372036854775809"),
        (
            Some("1e4932"),
            "1e4932",
            "ERR increment would produce NaN or Infinity",
        ),
        (Some("0x10"), "0x.8", "16.5"),
        (
            Some("1"),
            "inf",
            "ERR increment would produce NaN or Infinity",
        ),
        (Some("0"), "1e-4951", "ERR value is not a valid float"),
        (Some("0"), "1e-4960", "ERR value is not a valid float"),
        (Some("0"), "1e5000", "ERR value is not a valid float"),
        (Some("0"), "1e-4950", "0"),
        (Some("0"), "0.1", "0.1"),
        (Some("0.1"), "0.2", "0.3"),
        (Some("0"), "-0.00000000000000000001", "0"),
        (Some("0"), "0.000000000000000005", "0"),
        (Some("0"), "0.000000000000000015", "0.00000000000000002"),
        (Some("0"), "0.000000000000000025", "0.00000000000000002"),
    ];

    #[test]
    fn incrbyfloat_matches_redis() {
        for &(value, incr, want) in REDIS_INCRBYFLOAT {
            assert_eq!(incrbyfloat(value, incr), want, "{value:?} + {incr}");
        }
    }

    #[test]
    fn huge_values_print_every_digit() {
        let got = incrbyfloat(Some("1.1e4932"), "0");
        assert_eq!(got.len(), 4933);
        assert!(got.starts_with("10999999999999999999743731075282418176590308692790434"));
        let max = LongDouble::finite(false, u64::MAX, EMAX - 63);
        let s = max.to_human_string().unwrap();
        assert!(s.starts_with("118973149535723176502126385303097020516906332229462420044"));
        assert_eq!(s.len(), 4933);
        let neg = LongDouble::finite(true, u64::MAX, EMAX - 63).to_human_string();
        assert_eq!(neg.unwrap().len(), 4934);
    }

    #[test]
    fn parse_rounding_and_limits() {
        // 2^64 + 1 needs 65 bits: ties to even gives 2^64; 2^64 + 3 rounds up.
        assert_eq!(ld("18446744073709551617"), ld("18446744073709551616"));
        assert_eq!(ld("18446744073709551619"), ld("18446744073709551620"));
        assert_eq!(ld("0x1.0000000000000001p0").to_human_string().unwrap(), "1");
        // Smallest subnormal 2^-16445 ~ 3.6452e-4951; half of it rounds to zero.
        assert!(LongDouble::parse(b"3.6452e-4951").is_some());
        assert!(LongDouble::parse(b"1.8e-4951").is_none());
        assert!(LongDouble::parse(b"1.9e-4951").is_some());
        assert_eq!(ld("0x1p-16445"), LongDouble::finite(false, 1, EMIN_LSB));
        assert!(LongDouble::parse(b"0x1p-16446").is_none()); // exact tie -> 0
        assert!(LongDouble::parse(b"0x1.000001p-16446").is_some());
        assert!(LongDouble::parse(b"1.18973149535723176502e4932").is_some());
        assert!(LongDouble::parse(b"1.18973149535723177e4932").is_none());
        assert!(LongDouble::parse(b"0e-999999999").is_some());
        assert!(LongDouble::parse(b"-inf").unwrap().is_infinite());
        for bad in ["", " 1", "1 ", "nan", "-nan", "1e", "0x", "abc", "1.2.3"] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        let long = format!("1.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 3));
        assert_eq!(LongDouble::parse(long.as_bytes()), Some(ld("1")));
        let too_long = format!("1.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 2));
        assert!(LongDouble::parse(too_long.as_bytes()).is_none());
    }

    #[test]
    fn human_formatting() {
        let cases: &[(&str, &str)] = &[
            ("0", "0"),
            ("-0", "0"),
            ("1.5", "1.5"),
            ("-1.5", "-1.5"),
            ("100", "100"),
            ("0.1", "0.1"),
            ("1e-17", "0.00000000000000001"),
            ("-1e-18", "0"),
            ("0.000003814697265625", "0.00000381469726562"), // 2^-18: tie to even
            ("0.000011444091796875", "0.00001144409179688"), // 3*2^-18: tie to even (up)
            ("3.0000000000000000001", "3"),
            ("123456789.123456789", "123456789.12345678899873747"),
            ("inf", "inf"),
            ("-inf", "-inf"),
        ];
        for &(input, want) in cases {
            let want = if want.contains('.') {
                want.trim_end_matches('0')
            } else {
                want
            };
            assert_eq!(ld(input).to_human_string().unwrap(), want, "{input}");
        }
        let nan = ld("inf") + ld("-inf");
        assert!(nan.is_nan());
        assert_eq!(nan.to_human_string().unwrap(), "-nan");
    }

    #[test]
    fn addition_edge_cases() {
        let zero = LongDouble::ZERO;
        let neg_zero = ld("-0");
        assert_eq!(neg_zero + neg_zero, neg_zero);
        assert_eq!(zero + neg_zero, zero);
        assert_eq!(ld("1.5") + ld("-1.5"), zero);
        // 1 + 2^-64 is a tie between 1 and 1 + 2^-63: even (1) wins; 2^-64 + tiny breaks it.
        assert_eq!(ld("1") + ld("0x1p-64"), ld("1"));
        assert_eq!(
            ld("1") + ld("0x1.0000001p-64"),
            ld("0x1.0000000000000002p0")
        );
        assert_eq!(
            ld("0x1.0000000000000002p0") + ld("0x1p-64"),
            ld("0x1.0000000000000004p0")
        );
        // Far-apart operands: the smaller only nudges rounding via the sticky bit.
        assert_eq!(ld("1") + ld("1e-4000"), ld("1"));
        assert_eq!(ld("1") + ld("-1e-4000"), ld("1"));
        // Just below 1 - 2^-65 (the midpoint under 1): rounds down, via the sticky bit.
        assert_eq!(
            ld("1") + ld("-0x1.0000001p-65"),
            ld("0x1.fffffffffffffffep-1")
        );
        // The exact midpoint: even wins.
        assert_eq!(ld("1") + ld("-0x1p-65"), ld("1"));
        // Subnormal arithmetic is exact at the 2^-16445 grid.
        let tiny = LongDouble::finite(false, 1, EMIN_LSB);
        assert_eq!(tiny + tiny, LongDouble::finite(false, 2, EMIN_LSB));
        let min_normal = LongDouble::finite(false, 1 << 63, EMIN_LSB);
        let below = LongDouble::finite(false, (1 << 63) - 1, EMIN_LSB);
        assert_eq!(below + tiny, min_normal);
        assert_eq!(min_normal + ld("-0x1p-16445"), below);
        // Overflow to infinity.
        let max = LongDouble::finite(false, u64::MAX, EMAX - 63);
        assert!((max + max).is_infinite());
        // max has an odd significand: adding half an ulp ties and rounds up to infinity.
        let quarter_ulp = LongDouble::finite(false, 1 << 63, EMAX - 65 - 63);
        let half_ulp = LongDouble::finite(false, 1 << 63, EMAX - 64 - 63);
        assert_eq!(max + quarter_ulp, max);
        assert!((max + half_ulp).is_infinite());
        assert_eq!(
            ld("-1.18973149535723176502e4932") + ld("-1e4900"),
            ld("-1.18973149535723176502e4932")
        );
        assert_eq!(LongDouble::from_i64(i64::MIN), ld("-9223372036854775808"));
        assert_eq!(LongDouble::from_i64(0), zero);
        assert_eq!(LongDouble::from_f64(0.1), ld("0x1.999999999999ap-4"));
        assert_eq!(LongDouble::from_f64(f64::from_bits(1)), ld("0x1p-1074"));
    }

    /// BLPOP timeouts on Redis 7.0.15: negative results are "ERR timeout is negative".
    #[test]
    fn timeout_conversion() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("1", 1000),
            ("1.5", 1500),
            ("0.0001", 1),
            ("0x10p-20", 1),
            ("1e-4000", 1),
            ("-0.0001", 0),
            ("-0.0011", -1),
            ("-1", -1000),
            ("0.001", 1),
            ("0.0015", 2),
            ("9.2e15", 9_200_000_000_000_000_000),
            ("9.3e15", i64::MIN),
            ("1e30", i64::MIN),
            ("inf", i64::MIN),
            ("-inf", i64::MIN),
            // the next four checked against C `(long long) ceill(strtold(s) * 1000.0)`
            ("-9223372036854775.808", -9_223_372_036_854_775_807),
            ("-9223372036854775.807", -9_223_372_036_854_775_806),
            ("9223372036854775.807", 9_223_372_036_854_775_807),
            ("9223372036854775.8071", 9_223_372_036_854_775_807),
        ];
        for &(input, want) in cases {
            assert_eq!(ld(input).seconds_to_ms_ceil(), want, "{input}");
        }
    }

    #[test]
    fn geopos_style_formatting() {
        // GEOPOS prints the widened double with %.17Lf, trimmed.
        let cases: &[(f64, &str)] = &[
            // GEOPOS replies from Redis 7.0.15 for GEOADD 13.361389 38.115556 / -122.27652 37.80574
            (13.361389338970184, "13.36138933897018433"),
            (38.1155563954963, "38.11555639549629859"),
            (-122.27652043104172, "-122.27652043104171753"),
            (-0.0, "0"),
        ];
        for &(v, want) in cases {
            assert_eq!(LongDouble::from_f64(v).to_human_string().unwrap(), want);
        }
    }

    /// What `HINCRBYFLOAT` replies for (stored field value or None, increment).
    fn hincrbyfloat(value: Option<&str>, incr: &str) -> String {
        let Some(incr_v) = LongDouble::parse(incr.as_bytes()) else {
            return "ERR value is not a valid float".into();
        };
        if !incr_v.is_finite() {
            return "ERR value is NaN or Infinity".into();
        }
        if value.is_some_and(|v| LongDouble::parse(v.as_bytes()).is_none()) {
            return "ERR hash value is not a float".into();
        }
        incrbyfloat(value, incr)
    }

    #[test]
    fn differential_incrbyfloat_against_real_redis() {
        use crate::util::real_redis::{connect, next_rand, random_float_text};
        let Some(mut conn) = connect("long_double::differential_incrbyfloat_against_real_redis")
        else {
            return;
        };
        let key = b"ferrodis-util-test:float".to_vec();
        let hkey = b"ferrodis-util-test:hfloat".to_vec();
        let mut rng = 0xfeed_beef_1234_5678u64;
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..3000 {
            let value = random_float_text(&mut rng, 5000);
            let incr = match next_rand(&mut rng) % 3 {
                // the same magnitude with the other sign: cancellation
                0 => match value.split_first() {
                    Some((b'-', rest)) => rest.to_vec(),
                    _ => [b"-".as_slice(), value.strip_prefix(b"+").unwrap_or(&value)].concat(),
                },
                _ => random_float_text(&mut rng, 5000),
            };
            pairs.push((value, incr));
        }
        let mut cmds = Vec::new();
        for (value, incr) in &pairs {
            cmds.push(vec![b"SET".to_vec(), key.clone(), value.clone()]);
            cmds.push(vec![b"INCRBYFLOAT".to_vec(), key.clone(), incr.clone()]);
            cmds.push(vec![
                b"HSET".to_vec(),
                hkey.clone(),
                b"f".to_vec(),
                value.clone(),
            ]);
            cmds.push(vec![
                b"HINCRBYFLOAT".to_vec(),
                hkey.clone(),
                b"f".to_vec(),
                incr.clone(),
            ]);
        }
        let replies = conn.pipeline(&cmds);
        let mut ok = 0;
        for ((value, incr), r) in pairs.iter().zip(replies.chunks(4)) {
            let value = String::from_utf8_lossy(value);
            let incr = String::from_utf8_lossy(incr);
            let want = incrbyfloat(Some(&value), &incr);
            ok += usize::from(!want.starts_with("ERR"));
            assert_eq!(r[1].text(), want, "INCRBYFLOAT {value:?} + {incr:?}");
            let want = hincrbyfloat(Some(&value), &incr);
            assert_eq!(r[3].text(), want, "HINCRBYFLOAT {value:?} + {incr:?}");
        }
        assert!(
            ok > 500,
            "generator should mostly produce valid sums, got {ok}"
        );
        conn.cmd(&[b"DEL", &key, &hkey]);
    }
}
