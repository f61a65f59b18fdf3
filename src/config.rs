//! Server configuration: the `redis.conf` loader, the CONFIG GET / CONFIG SET registry, and the
//! `sdssplitargs` tokenizer shared with the inline protocol. Redis counterpart: `config.c` (plus
//! `sdssplitargs` from `sds.c`, `memtoull`/`string2ll` from `util.c`, and the argv handling of
//! `main()` in `server.c`).
//!
//! # The shape of it
//!
//! Every directive Redis 7.0 knows is one row of one static table, `CONFIGS`, exactly like
//! `static_configs[]` in `config.c`: name, optional alias, flags (immutable, protected, sensitive,
//! hidden, multi-argument, deny-while-loading...), a type (bool, string, enum, numeric or
//! "special") and, for the numeric ones, bounds and a unit flavour (plain integer, memory,
//! percent, octal). A row does not hold the value: it holds a getter and a setter into a typed
//! field of [`Config`], so the server reads `config.maxmemory` directly while CONFIG GET, CONFIG
//! SET and the file loader all go through the row. Defaults live in one place, `Config::default()`;
//! a row's default (needed one day by CONFIG REWRITE) is "what the row reads from a default
//! `Config`".
//!
//! # Invariants this module owns
//!
//! - A value stored in a field always passed its row's parser, bounds and validator. Fields are
//!   `pub` for reading; code outside this module that writes them bypasses those checks.
//! - [`Config::set`] is atomic: it works on a copy and commits only when every pair parsed. The
//!   one side effect on the process, `dir` (a `chdir`, as in Redis), is undone on failure.
//! - `hz` is always within 1..=500 after a load or a CONFIG SET (Redis accepts any non-negative
//!   value and clamps it).
//! - Error texts are Redis 7.0.15's, byte for byte; replies carry the `ERR ` prefix, the server
//!   only adds `-` and CRLF.
//!
//! What this module does not do: bind sockets, resize the client table, open the AOF, rename
//! commands or load modules. [`Config::set`] returns the canonical names that changed so the
//! server can run those side effects (Redis's `apply` functions), and the loader keeps
//! `rename-command`, `user`, `loadmodule` and module-config lines for the server to act on.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The version Redis prints in its fatal config error banner; ferrodis mimics 7.0.15.
pub const REDIS_VERSION: &str = "7.0.15";

// ---------------------------------------------------------------------------------------------
// Tokenizer (sdssplitargs)
// ---------------------------------------------------------------------------------------------

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments with the rules of Redis's `sdssplitargs`, used for config
/// lines and for inline (non-RESP) commands.
///
/// Returns `None` when quotes are unbalanced or a closing quote is followed by something other
/// than whitespace (`"foo"bar`). Empty or blank input gives `Some(vec![])`.
///
/// # Format
///
/// ```text
/// set key "a \"quoted\" value\n" 'it\'s' "\x00\xff"
/// ```
///
/// - Arguments are separated by whitespace (`isspace`: space, `\t \n \v \f \r`).
/// - Inside double quotes: `\n \r \t \b \a`, `\xHH` (two hex digits) and `\<any>` for that
///   character itself (so `\\` and `\"`).
/// - Inside single quotes only `\'` is an escape; everything else is literal.
/// - A quote may open in the middle of a word (`ab"c d"` is the single argument `abc d`), as in
///   Redis.
/// - The input is treated as a C string: a NUL byte ends it.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p == line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let Some(c) = at(p) else {
                if in_double || in_single {
                    return None; // unterminated quotes
                }
                break;
            };
            if in_double {
                if c == b'\\' && at(p + 1) == Some(b'x') {
                    if let (Some(hi), Some(lo)) =
                        (at(p + 2).and_then(hex_value), at(p + 3).and_then(hex_value))
                    {
                        current.push(hi * 16 + lo);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && p + 1 < line.len() {
                    p += 1;
                    current.push(match line[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1).is_some_and(|n| !is_c_space(n)) {
                        return None; // closing quote must be followed by a space
                    }
                    p += 1;
                    break;
                } else {
                    current.push(c);
                }
                p += 1;
            } else if in_single {
                if c == b'\\' && at(p + 1) == Some(b'\'') {
                    current.push(b'\'');
                    p += 2;
                    continue;
                }
                if c == b'\'' {
                    if at(p + 1).is_some_and(|n| !is_c_space(n)) {
                        return None;
                    }
                    p += 1;
                    break;
                }
                current.push(c);
                p += 1;
            } else {
                p += 1;
                match c {
                    // Note: only these four end a bare word; \v and \f are kept in it.
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
            }
        }
        args.push(current);
    }
}

/// Quotes `bytes` the way Redis's `sdscatrepr` does, so that [`split_args`] reads it back as one
/// argument: `"` + escaped content + `"`, with `\\ \" \n \r \t \a \b` escapes and `\xHH` for any
/// other non-printable byte.
pub fn repr_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Number parsing with C semantics
// ---------------------------------------------------------------------------------------------

/// Parses a memory amount like Redis's `memtoull`: digits followed by an optional unit, `b`,
/// `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, case-insensitive. `None` on a sign, an unknown
/// unit or any other character.
///
/// Two Redis quirks are kept on purpose: an empty digit string reads as 0 (`""` and `"mb"` are
/// both 0), and an overflowing number saturates and the multiplication wraps, as `strtoull`
/// followed by an unchecked multiply does.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = &s[digits..];
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None; // Redis copies the digits into a 128 byte buffer
    }
    let mut value: u64 = 0;
    for &d in &s[..digits] {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some(value.wrapping_mul(mul))
}

/// Strict integer parsing as Redis's `string2ll`: optional `-`, no `+`, no leading zeros, no
/// spaces, no trailing bytes, must fit in an `i64`.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// What `strtoll(s, &end, base)` followed by a `*end == '\0'` test accepts: leading
/// whitespace, an optional sign, digits of `base`. Like C, a string with no digits at all is
/// accepted only when it is empty (and reads as 0). Returns the value and whether it overflowed
/// (C then clamps to `LLONG_MAX`/`LLONG_MIN` and sets `errno`).
fn c_strtoll(s: &[u8], base: u32) -> Option<(i64, bool)> {
    let mut p = 0;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    let mut negative = false;
    if p < s.len() && (s[p] == b'+' || s[p] == b'-') {
        negative = s[p] == b'-';
        p += 1;
    }
    let start = p;
    let mut magnitude: u128 = 0;
    while p < s.len() {
        let Some(d) = (s[p] as char).to_digit(base) else {
            break;
        };
        magnitude = (magnitude * u128::from(base) + u128::from(d)).min(u128::from(u64::MAX) + 1);
        p += 1;
    }
    if p == start {
        // No digits: end pointer is the start of the string.
        return if s.is_empty() { Some((0, false)) } else { None };
    }
    if p != s.len() {
        return None;
    }
    let limit = if negative {
        i64::MAX as u128 + 1
    } else {
        i64::MAX as u128
    };
    if magnitude > limit {
        return Some((if negative { i64::MIN } else { i64::MAX }, true));
    }
    let v = magnitude as i64; // fits, or is exactly i64::MIN's magnitude
    Some((if negative { v.wrapping_neg() } else { v }, false))
}

/// Redis's `string2d` for the latency percentiles: the whole string must be a finite-range
/// double (an explicit `inf` is accepted, overflow and underflow to zero are not), no leading
/// space, no NaN.
fn string2d(s: &str) -> Option<f64> {
    if s.is_empty() || s.as_bytes().first().is_some_and(|&b| is_c_space(b)) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if v.is_infinite() && !lower.contains("inf") {
        return None; // strtod reports ERANGE on overflow
    }
    let mantissa = lower.split('e').next().unwrap_or("");
    if v == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return None; // underflow to zero is ERANGE as well
    }
    Some(v)
}

/// `printf("%f")` followed by Redis's `trimDoubleString`: six decimals, trailing zeros and a
/// trailing dot removed.
pub(crate) fn format_percentile(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// `strerror(errno)` for an I/O error: Rust's message without the " (os error N)" suffix.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Glob matching for CONFIG GET
// ---------------------------------------------------------------------------------------------

/// Matches one pattern element at `pat[p]` (a `?`, a `[...]` class, a `\x` escape or a literal)
/// against the byte `c`. Returns the index just past the element on a match.
fn glob_match_one(pat: &[u8], p: usize, c: u8, nocase: bool) -> Option<usize> {
    let same = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match pat[p] {
        b'?' => Some(p + 1),
        b'[' => {
            let mut q = p + 1;
            let negate = pat.get(q) == Some(&b'^');
            if negate {
                q += 1;
            }
            let mut matched = false;
            loop {
                match pat.get(q) {
                    // An unterminated class simply runs to the end of the pattern.
                    None => break,
                    Some(b']') => {
                        q += 1;
                        break;
                    }
                    Some(b'\\') if q + 1 < pat.len() => {
                        // Redis compares escaped class members case-sensitively.
                        matched |= pat[q + 1] == c;
                        q += 2;
                    }
                    Some(&lo) if q + 2 < pat.len() && pat[q + 1] == b'-' => {
                        let (mut lo, mut hi, mut ch) = (lo, pat[q + 2], c);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        if nocase {
                            (lo, hi, ch) = (
                                lo.to_ascii_lowercase(),
                                hi.to_ascii_lowercase(),
                                ch.to_ascii_lowercase(),
                            );
                        }
                        matched |= lo <= ch && ch <= hi;
                        q += 3;
                    }
                    Some(&lit) => {
                        matched |= same(lit, c);
                        q += 1;
                    }
                }
            }
            (matched != negate).then_some(q)
        }
        b'\\' if p + 1 < pat.len() => same(pat[p + 1], c).then_some(p + 2),
        lit => same(lit, c).then_some(p + 1),
    }
}

/// Glob-style matching with Redis's `stringmatchlen` syntax: `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
///
/// The classic backtracking-to-the-last-star walk: on a mismatch, the most recent `*` swallows
/// one more byte and matching resumes after it. Earlier stars never need to be revisited
/// (anything they could absorb, the last one can), so this runs in O(pattern * string) time
/// even for patterns like `*a*a*a*b` that make naive recursion exponential.
fn glob_match(pat: &[u8], s: &[u8], nocase: bool) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut resume: Option<(usize, usize)> = None; // (pattern after the star, string index)
    loop {
        if p < pat.len() && pat[p] == b'*' {
            while p < pat.len() && pat[p] == b'*' {
                p += 1;
            }
            if p == pat.len() {
                return true;
            }
            resume = Some((p, i));
            continue;
        }
        if p == pat.len() && i == s.len() {
            return true;
        }
        if p < pat.len() && i < s.len() {
            if let Some(next) = glob_match_one(pat, p, s[i], nocase) {
                p = next;
                i += 1;
                continue;
            }
        }
        match resume {
            Some((star_p, star_i)) if star_i < s.len() => {
                resume = Some((star_p, star_i + 1));
                p = star_p;
                i = star_i + 1;
            }
            _ => return false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keyspace notification classes (notify-keyspace-events)
// ---------------------------------------------------------------------------------------------

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: expired events.
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: evicted events.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: key misses (deliberately not part of `A`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// Module-only "key loaded" events (no letter).
pub const NOTIFY_LOADED: u32 = 1 << 12;
/// `d`: module key type events.
pub const NOTIFY_MODULE: u32 = 1 << 13;
/// `n`: new key events (deliberately not part of `A`).
pub const NOTIFY_NEW: u32 = 1 << 14;
/// `A`: alias for `g$lshzxetd`.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Parses the class letters of `notify-keyspace-events` (`keyspaceEventsStringToFlags`).
/// `None` if any character is not a class.
pub fn keyspace_events_string_to_flags(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in classes {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Renders flags back to letters the way CONFIG GET shows them (`keyspaceEventsFlagsToString`):
/// `A` when every class of `A` is set (which, as in Redis, then hides `n`), else the single
/// class letters, followed by `K`, `E`, `m`.
pub fn keyspace_events_flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for (bit, letter) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if flags & bit != 0 {
                out.push(letter);
            }
        }
    }
    for (bit, letter) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Enumerated settings
// ---------------------------------------------------------------------------------------------

/// Declares a settings enum whose variants, in order, are the names Redis accepts. The
/// generated `ITEMS` table (name, code) drives parsing, CONFIG GET and the "must be one of"
/// error, so its order is Redis's order.
macro_rules! config_enum {
    ($(#[$meta:meta])* $name:ident, $items:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The name CONFIG GET and INFO show for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            fn from_code(code: i32) -> Option<Self> {
                let all = [$($name::$variant),+];
                usize::try_from(code).ok().and_then(|i| all.get(i).copied())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        const $items: &[(&str, i32)] = &[$(($text, $name::$variant as i32)),+];
    };
}

config_enum! {
    /// `loglevel`: the minimum severity that reaches the log.
    LogLevel, LOGLEVEL_ITEMS {
        /// Lots of information, useful for development/testing.
        Debug = "debug",
        /// Many rarely useful messages.
        Verbose = "verbose",
        /// Moderately verbose, what you want in production (the default).
        Notice = "notice",
        /// Only very important or critical messages.
        Warning = "warning",
    }
}

config_enum! {
    /// `maxmemory-policy`: what to evict when `maxmemory` is reached.
    MaxmemoryPolicy, MAXMEMORY_POLICY_ITEMS {
        /// Approximated LRU among keys with an expire set.
        VolatileLru = "volatile-lru",
        /// Approximated LFU among keys with an expire set.
        VolatileLfu = "volatile-lfu",
        /// Random key among those with an expire set.
        VolatileRandom = "volatile-random",
        /// Nearest expire time first.
        VolatileTtl = "volatile-ttl",
        /// Approximated LRU among all keys.
        AllkeysLru = "allkeys-lru",
        /// Approximated LFU among all keys.
        AllkeysLfu = "allkeys-lfu",
        /// Random key among all keys.
        AllkeysRandom = "allkeys-random",
        /// Evict nothing; refuse writes that need memory (the default).
        NoEviction = "noeviction",
    }
}

impl MaxmemoryPolicy {
    /// True for the `volatile-*` policies, which only consider keys with a TTL.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
    }

    /// True for the approximated-LRU policies.
    pub fn is_lru(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru
        )
    }

    /// True for the LFU policies (the object's access field holds a frequency, not a clock).
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }
}

config_enum! {
    /// `appendfsync`: how often the AOF is fsynced.
    AppendFsync, APPENDFSYNC_ITEMS {
        /// Once per second (the default).
        Everysec = "everysec",
        /// After every write.
        Always = "always",
        /// Leave it to the OS.
        No = "no",
    }
}

config_enum! {
    /// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`: whether a
    /// dangerous facility is available to nobody, everybody, or local (loopback / unix socket)
    /// connections only. See [`allow_protected_action`].
    ProtectedAction, PROTECTED_ACTION_ITEMS {
        /// Nobody (the default).
        No = "no",
        /// Every connection.
        Yes = "yes",
        /// Only connections from the local host.
        Local = "local",
    }
}

config_enum! {
    /// `supervised`: upstart/systemd readiness notification.
    Supervised, SUPERVISED_ITEMS {
        /// Signal upstart with SIGSTOP.
        Upstart = "upstart",
        /// Notify systemd through `NOTIFY_SOCKET`.
        Systemd = "systemd",
        /// Detect from the environment.
        Auto = "auto",
        /// No supervision interaction (the default).
        No = "no",
    }
}

config_enum! {
    /// `syslog-facility`.
    SyslogFacility, SYSLOG_FACILITY_ITEMS {
        /// LOG_USER.
        User = "user",
        /// LOG_LOCAL0 (the default).
        Local0 = "local0",
        /// LOG_LOCAL1.
        Local1 = "local1",
        /// LOG_LOCAL2.
        Local2 = "local2",
        /// LOG_LOCAL3.
        Local3 = "local3",
        /// LOG_LOCAL4.
        Local4 = "local4",
        /// LOG_LOCAL5.
        Local5 = "local5",
        /// LOG_LOCAL6.
        Local6 = "local6",
        /// LOG_LOCAL7.
        Local7 = "local7",
    }
}

config_enum! {
    /// `repl-diskless-load`: how a replica loads the RDB received from its master.
    ReplDisklessLoad, REPL_DISKLESS_LOAD_ITEMS {
        /// Through a file on disk (the default).
        Disabled = "disabled",
        /// Straight from the socket when the dataset is empty.
        OnEmptyDb = "on-empty-db",
        /// Straight from the socket into a temporary copy of the databases.
        Swapdb = "swapdb",
    }
}

config_enum! {
    /// `acl-pubsub-default`: channel permissions of newly created ACL users.
    AclPubsubDefault, ACL_PUBSUB_DEFAULT_ITEMS {
        /// New users may use every channel.
        Allchannels = "allchannels",
        /// New users may use no channel (the default).
        Resetchannels = "resetchannels",
    }
}

config_enum! {
    /// `sanitize-dump-payload`: deep validation of RESTORE payloads and RDB contents.
    SanitizeDumpPayload, SANITIZE_DUMP_PAYLOAD_ITEMS {
        /// Never (the default).
        No = "no",
        /// Always.
        Yes = "yes",
        /// For client RESTORE commands only.
        Clients = "clients",
    }
}

config_enum! {
    /// `cluster-preferred-endpoint-type`.
    ClusterPreferredEndpointType, CLUSTER_PREFERRED_ENDPOINT_TYPE_ITEMS {
        /// Announce IP addresses (the default).
        Ip = "ip",
        /// Announce hostnames.
        Hostname = "hostname",
        /// Announce `?`.
        UnknownEndpoint = "unknown-endpoint",
    }
}

config_enum! {
    /// `propagation-error-behavior`: what a replica does when a replicated command errors.
    PropagationErrorBehavior, PROPAGATION_ERROR_BEHAVIOR_ITEMS {
        /// Ignore it (the default).
        Ignore = "ignore",
        /// Panic.
        Panic = "panic",
        /// Panic on replicas only.
        PanicOnReplicas = "panic-on-replicas",
    }
}

config_enum! {
    /// `tls-auth-clients`.
    TlsAuthClients, TLS_AUTH_CLIENTS_ITEMS {
        /// No client certificate needed.
        No = "no",
        /// A valid client certificate is required (the default).
        Yes = "yes",
        /// A client certificate is checked when offered.
        Optional = "optional",
    }
}

/// `oom-score-adj`: how `oom-score-adj-values` are written to `/proc/self/oom_score_adj`.
/// `yes` and `relative` are one value; CONFIG GET shows it as `yes`, as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomScoreAdj {
    /// Don't touch the OOM score (the default).
    No,
    /// Values are added to the score the process started with.
    Relative,
    /// Values are written as they are.
    Absolute,
}

impl OomScoreAdj {
    fn from_code(code: i32) -> Option<Self> {
        [
            OomScoreAdj::No,
            OomScoreAdj::Relative,
            OomScoreAdj::Absolute,
        ]
        .get(usize::try_from(code).ok()?)
        .copied()
    }
}

const OOM_SCORE_ADJ_ITEMS: &[(&str, i32)] = &[
    ("no", OomScoreAdj::No as i32),
    ("yes", OomScoreAdj::Relative as i32),
    ("relative", OomScoreAdj::Relative as i32),
    ("absolute", OomScoreAdj::Absolute as i32),
];

/// `shutdown-on-sigint`/`shutdown-on-sigterm` flag: save before exiting even without save points.
pub const SHUTDOWN_SAVE: i32 = 1;
/// Shutdown flag: don't save, even with save points configured.
pub const SHUTDOWN_NOSAVE: i32 = 2;
/// Shutdown flag: don't wait for lagging replicas.
pub const SHUTDOWN_NOW: i32 = 4;
/// Shutdown flag: ignore errors (failed save, failed AOF fsync) and exit anyway.
pub const SHUTDOWN_FORCE: i32 = 8;

const SHUTDOWN_ON_SIG_ITEMS: &[(&str, i32)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", SHUTDOWN_NOW),
    ("force", SHUTDOWN_FORCE),
];

/// Whether a facility guarded by a [`ProtectedAction`] setting is open to a client
/// (`allowProtectedAction`): `yes` opens it to everyone, `local` to local connections.
pub fn allow_protected_action(setting: ProtectedAction, client_is_local: bool) -> bool {
    match setting {
        ProtectedAction::Yes => true,
        ProtectedAction::Local => client_is_local,
        ProtectedAction::No => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Structured values of the special directives
// ---------------------------------------------------------------------------------------------

/// One `save <seconds> <changes>` point: snapshot when at least `changes` writes happened in
/// the last `seconds` seconds. Types mirror Redis (`time_t`, `int`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveParam {
    /// Window in seconds, at least 1.
    pub seconds: i64,
    /// Writes needed within the window, at least 0.
    pub changes: i32,
}

/// The client classes that have output buffer limits, in the order CONFIG GET lists them.
/// Index [`Config::client_output_buffer_limit`] with `class as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientClass {
    /// Ordinary clients.
    Normal = 0,
    /// Replicas (and MONITOR clients).
    Replica = 1,
    /// Clients subscribed to at least one channel or pattern.
    Pubsub = 2,
}

/// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`: a client is disconnected
/// when its pending output reaches `hard_limit_bytes`, or stays above `soft_limit_bytes` for
/// `soft_limit_seconds` seconds. Zero disables a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientBufferLimit {
    /// Immediate disconnection threshold.
    pub hard_limit_bytes: u64,
    /// Sustained-size threshold.
    pub soft_limit_bytes: u64,
    /// How long the soft limit may be exceeded.
    pub soft_limit_seconds: u64,
}

/// A `loadmodule <path> [args...]` line, kept for the server to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadModule {
    /// Path of the shared object.
    pub path: String,
    /// Arguments passed to the module's OnLoad.
    pub args: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// The configuration
// ---------------------------------------------------------------------------------------------

/// Every directive of Redis 7.0, one typed field each, named after the directive (dashes become
/// underscores; where a directive has a legacy alias, the field takes the modern name).
///
/// `Config::default()` is what a server started without a config file runs with. Read the
/// fields directly; change them through [`Config::set`] (CONFIG SET) or
/// [`load_server_config`] so that bounds and validators apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    // --- Network ---------------------------------------------------------------------------
    /// `port`: TCP port; 0 disables TCP.
    pub port: u16,
    /// `bind`: addresses to listen on; a leading `-` marks an address that may be unavailable.
    pub bind: Vec<String>,
    /// `bind-source-addr`: source address of outgoing connections.
    pub bind_source_addr: Option<String>,
    /// `protected-mode`: refuse non-local clients while no password and no bind are set.
    pub protected_mode: bool,
    /// `tcp-backlog`: listen(2) backlog.
    pub tcp_backlog: u32,
    /// `tcp-keepalive`: SO_KEEPALIVE interval in seconds, 0 = off.
    pub tcp_keepalive: u32,
    /// `timeout`: close clients idle for this many seconds, 0 = never.
    pub timeout: u64,
    /// `unixsocket`: path of a unix socket to listen on.
    pub unixsocket: Option<String>,
    /// `unixsocketperm`: permissions of the unix socket (octal in config, 0 = umask default).
    pub unixsocketperm: u32,
    /// `socket-mark-id`: SO_MARK of listening sockets.
    pub socket_mark_id: u32,
    /// `maxclients`: maximum simultaneous clients.
    pub maxclients: u32,
    /// `client-query-buffer-limit`: maximum query buffer per client, bytes.
    pub client_query_buffer_limit: u64,
    /// `proto-max-bulk-len`: maximum bulk string length in a request, bytes.
    pub proto_max_bulk_len: u64,
    /// `client-output-buffer-limit`, indexed by [`ClientClass`].
    pub client_output_buffer_limit: [ClientBufferLimit; 3],
    /// `io-threads`: I/O threads (ferrodis is single-threaded; kept for compatibility).
    pub io_threads: u32,
    /// `io-threads-do-reads`.
    pub io_threads_do_reads: bool,

    // --- General ---------------------------------------------------------------------------
    /// `daemonize`.
    pub daemonize: bool,
    /// `supervised`.
    pub supervised: Supervised,
    /// `pidfile`.
    pub pidfile: Option<String>,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile`: empty means standard output.
    pub logfile: String,
    /// `syslog-enabled`.
    pub syslog_enabled: bool,
    /// `syslog-ident`.
    pub syslog_ident: String,
    /// `syslog-facility`.
    pub syslog_facility: SyslogFacility,
    /// `crash-log-enabled`.
    pub crash_log_enabled: bool,
    /// `crash-memcheck-enabled`.
    pub crash_memcheck_enabled: bool,
    /// `databases`: number of logical databases.
    pub databases: usize,
    /// `always-show-logo`.
    pub always_show_logo: bool,
    /// `set-proc-title`.
    pub set_proc_title: bool,
    /// `proc-title-template`.
    pub proc_title_template: String,
    /// `hz`: server cron frequency (already clamped to 1..=500).
    pub hz: u32,
    /// `dynamic-hz`: scale hz with the number of clients.
    pub dynamic_hz: bool,
    /// `enable-protected-configs`: who may CONFIG SET protected directives (`dir`, `dbfilename`).
    pub enable_protected_configs: ProtectedAction,
    /// `enable-debug-command`: who may run DEBUG.
    pub enable_debug_command: ProtectedAction,
    /// `enable-module-command`: who may run MODULE.
    pub enable_module_command: ProtectedAction,
    /// `ignore-warnings`.
    pub ignore_warnings: String,
    /// `disable-thp`.
    pub disable_thp: bool,
    /// `jemalloc-bg-thread`.
    pub jemalloc_bg_thread: bool,
    /// `use-exit-on-panic` (hidden, tests only).
    pub use_exit_on_panic: bool,
    /// `watchdog-period` (hidden).
    pub watchdog_period: u32,
    /// `shutdown-timeout`: seconds to wait for replicas on shutdown.
    pub shutdown_timeout: u32,
    /// `shutdown-on-sigint`: `SHUTDOWN_*` flags, 0 = default behaviour.
    pub shutdown_on_sigint: i32,
    /// `shutdown-on-sigterm`: `SHUTDOWN_*` flags, 0 = default behaviour.
    pub shutdown_on_sigterm: i32,
    /// `oom-score-adj`.
    pub oom_score_adj: OomScoreAdj,
    /// `oom-score-adj-values`: master, replica, background child.
    pub oom_score_adj_values: [i32; 3],
    /// `server_cpulist`.
    pub server_cpulist: Option<String>,
    /// `bio_cpulist`.
    pub bio_cpulist: Option<String>,
    /// `aof_rewrite_cpulist`.
    pub aof_rewrite_cpulist: Option<String>,
    /// `bgsave_cpulist`.
    pub bgsave_cpulist: Option<String>,

    // --- Snapshotting ------------------------------------------------------------------------
    /// `save`: snapshot points; empty disables RDB snapshots.
    pub save: Vec<SaveParam>,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `sanitize-dump-payload`.
    pub sanitize_dump_payload: SanitizeDumpPayload,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `rdb-del-sync-files`.
    pub rdb_del_sync_files: bool,
    /// `dir`: working directory, as `getcwd` reported it after the last `chdir`.
    pub dir: String,
    /// `rdb-save-incremental-fsync`.
    pub rdb_save_incremental_fsync: bool,
    /// `rdb-key-save-delay` (hidden, microseconds per key, tests only).
    pub rdb_key_save_delay: i32,
    /// `key-load-delay` (hidden, tests only).
    pub key_load_delay: i32,
    /// `loading-process-events-interval-bytes` (hidden).
    pub loading_process_events_interval_bytes: u64,

    // --- Replication -------------------------------------------------------------------------
    /// `replicaof` / `slaveof`: master host and port, `None` for a master.
    pub replicaof: Option<(String, u16)>,
    /// `masterauth`.
    pub masterauth: Option<String>,
    /// `masteruser`.
    pub masteruser: Option<String>,
    /// `replica-serve-stale-data` / `slave-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `replica-read-only` / `slave-read-only`.
    pub replica_read_only: bool,
    /// `repl-diskless-sync`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay`, seconds.
    pub repl_diskless_sync_delay: u32,
    /// `repl-diskless-sync-max-replicas`.
    pub repl_diskless_sync_max_replicas: u32,
    /// `repl-diskless-load`.
    pub repl_diskless_load: ReplDisklessLoad,
    /// `repl-ping-replica-period` / `repl-ping-slave-period`, seconds.
    pub repl_ping_replica_period: u32,
    /// `repl-timeout`, seconds.
    pub repl_timeout: u32,
    /// `repl-disable-tcp-nodelay`.
    pub repl_disable_tcp_nodelay: bool,
    /// `repl-backlog-size`, bytes.
    pub repl_backlog_size: u64,
    /// `repl-backlog-ttl`, seconds.
    pub repl_backlog_ttl: u64,
    /// `replica-priority` / `slave-priority`.
    pub replica_priority: u32,
    /// `replica-announced`.
    pub replica_announced: bool,
    /// `min-replicas-to-write` / `min-slaves-to-write`.
    pub min_replicas_to_write: u32,
    /// `min-replicas-max-lag` / `min-slaves-max-lag`, seconds.
    pub min_replicas_max_lag: u32,
    /// `replica-announce-ip` / `slave-announce-ip`.
    pub replica_announce_ip: Option<String>,
    /// `replica-announce-port` / `slave-announce-port`.
    pub replica_announce_port: u16,
    /// `replica-lazy-flush` / `slave-lazy-flush`.
    pub replica_lazy_flush: bool,
    /// `replica-ignore-maxmemory` / `slave-ignore-maxmemory`.
    pub replica_ignore_maxmemory: bool,
    /// `replica-ignore-disk-write-errors`.
    pub replica_ignore_disk_write_errors: bool,
    /// `propagation-error-behavior`.
    pub propagation_error_behavior: PropagationErrorBehavior,

    // --- Security ----------------------------------------------------------------------------
    /// `requirepass`: password of the default user.
    pub requirepass: Option<String>,
    /// `aclfile`.
    pub aclfile: String,
    /// `acllog-max-len`.
    pub acllog_max_len: u64,
    /// `acl-pubsub-default`.
    pub acl_pubsub_default: AclPubsubDefault,

    // --- Memory management -------------------------------------------------------------------
    /// `maxmemory`, bytes; 0 = no limit.
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`: keys sampled per eviction round.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity`: 0..=100.
    pub maxmemory_eviction_tenacity: u32,
    /// `maxmemory-clients`: bytes when >= 0; a negative value is a percentage of `maxmemory`
    /// (`-10` means `10%`), as Redis stores it.
    pub maxmemory_clients: i64,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`, minutes.
    pub lfu_decay_time: u32,
    /// `active-expire-effort`: 1..=10.
    pub active_expire_effort: u32,
    /// `busy-poll-us` (a ferrodis extension, hidden from `CONFIG GET *`): after a poll
    /// that returned events, keep polling without sleeping for this many microseconds
    /// before blocking again (0 sleeps at once, as Redis does). See `EventLoop::run`.
    pub busy_poll_us: u32,
    /// `activerehashing`.
    pub activerehashing: bool,

    // --- Lazy freeing ------------------------------------------------------------------------
    /// `lazyfree-lazy-eviction`.
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`.
    pub lazyfree_lazy_user_flush: bool,

    // --- Append only file --------------------------------------------------------------------
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfilename`.
    pub appendfilename: String,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `appendfsync`.
    pub appendfsync: AppendFsync,
    /// `no-appendfsync-on-rewrite`.
    pub no_appendfsync_on_rewrite: bool,
    /// `auto-aof-rewrite-percentage`.
    pub auto_aof_rewrite_percentage: u32,
    /// `auto-aof-rewrite-min-size`, bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `aof-load-truncated`.
    pub aof_load_truncated: bool,
    /// `aof-use-rdb-preamble`.
    pub aof_use_rdb_preamble: bool,
    /// `aof-timestamp-enabled`.
    pub aof_timestamp_enabled: bool,
    /// `aof-rewrite-incremental-fsync`.
    pub aof_rewrite_incremental_fsync: bool,
    /// `aof-disable-auto-gc`.
    pub aof_disable_auto_gc: bool,

    // --- Scripting, slow log, latency ----------------------------------------------------------
    /// `busy-reply-threshold` / `lua-time-limit`, milliseconds.
    pub busy_reply_threshold: u64,
    /// `lua-enable-deprecated-api` (hidden).
    pub lua_enable_deprecated_api: bool,
    /// `slowlog-log-slower-than`, microseconds; negative disables, 0 logs everything.
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`, milliseconds; 0 disables.
    pub latency_monitor_threshold: u64,
    /// `latency-tracking`: per-command latency histograms.
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// `notify-keyspace-events` as a `NOTIFY_*` bitmask; see
    /// [`keyspace_events_flags_to_string`] for the letters.
    pub notify_keyspace_events: u32,
    /// `tracking-table-max-keys`.
    pub tracking_table_max_keys: usize,

    // --- Data structure encodings ------------------------------------------------------------
    /// `hash-max-listpack-entries` / `hash-max-ziplist-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value` / `hash-max-ziplist-value`, bytes.
    pub hash_max_listpack_value: usize,
    /// `list-max-listpack-size` / `list-max-ziplist-size`: entries if positive, -1..-5 for
    /// 4/8/16/32/64 KB nodes.
    pub list_max_listpack_size: i32,
    /// `list-compress-depth`.
    pub list_compress_depth: u32,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries` / `zset-max-ziplist-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value` / `zset-max-ziplist-value`, bytes.
    pub zset_max_listpack_value: usize,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes`.
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`.
    pub stream_node_max_entries: u64,

    // --- Active defragmentation --------------------------------------------------------------
    /// `activedefrag`.
    pub activedefrag: bool,
    /// `active-defrag-ignore-bytes`.
    pub active_defrag_ignore_bytes: u64,
    /// `active-defrag-threshold-lower`, percent.
    pub active_defrag_threshold_lower: u32,
    /// `active-defrag-threshold-upper`, percent.
    pub active_defrag_threshold_upper: u32,
    /// `active-defrag-cycle-min`, percent CPU.
    pub active_defrag_cycle_min: u32,
    /// `active-defrag-cycle-max`, percent CPU.
    pub active_defrag_cycle_max: u32,
    /// `active-defrag-max-scan-fields`.
    pub active_defrag_max_scan_fields: u64,

    // --- Cluster -----------------------------------------------------------------------------
    /// `cluster-enabled`.
    pub cluster_enabled: bool,
    /// `cluster-config-file`.
    pub cluster_config_file: String,
    /// `cluster-node-timeout`, milliseconds.
    pub cluster_node_timeout: u64,
    /// `cluster-port`.
    pub cluster_port: u16,
    /// `cluster-replica-validity-factor` / `cluster-slave-validity-factor`.
    pub cluster_replica_validity_factor: u32,
    /// `cluster-migration-barrier`.
    pub cluster_migration_barrier: u32,
    /// `cluster-allow-replica-migration`.
    pub cluster_allow_replica_migration: bool,
    /// `cluster-require-full-coverage`.
    pub cluster_require_full_coverage: bool,
    /// `cluster-replica-no-failover` / `cluster-slave-no-failover`.
    pub cluster_replica_no_failover: bool,
    /// `cluster-allow-reads-when-down`.
    pub cluster_allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`.
    pub cluster_allow_pubsubshard_when_down: bool,
    /// `cluster-announce-ip`.
    pub cluster_announce_ip: Option<String>,
    /// `cluster-announce-hostname`.
    pub cluster_announce_hostname: Option<String>,
    /// `cluster-announce-port`.
    pub cluster_announce_port: u16,
    /// `cluster-announce-bus-port`.
    pub cluster_announce_bus_port: u16,
    /// `cluster-announce-tls-port`.
    pub cluster_announce_tls_port: u16,
    /// `cluster-preferred-endpoint-type`.
    pub cluster_preferred_endpoint_type: ClusterPreferredEndpointType,
    /// `cluster-link-sendbuf-limit`, bytes.
    pub cluster_link_sendbuf_limit: u64,

    // --- TLS (accepted and reported; ferrodis does not speak TLS) -----------------------------
    /// `tls-port`.
    pub tls_port: u16,
    /// `tls-cert-file`.
    pub tls_cert_file: Option<String>,
    /// `tls-key-file`.
    pub tls_key_file: Option<String>,
    /// `tls-key-file-pass`.
    pub tls_key_file_pass: Option<String>,
    /// `tls-client-cert-file`.
    pub tls_client_cert_file: Option<String>,
    /// `tls-client-key-file`.
    pub tls_client_key_file: Option<String>,
    /// `tls-client-key-file-pass`.
    pub tls_client_key_file_pass: Option<String>,
    /// `tls-dh-params-file`.
    pub tls_dh_params_file: Option<String>,
    /// `tls-ca-cert-file`.
    pub tls_ca_cert_file: Option<String>,
    /// `tls-ca-cert-dir`.
    pub tls_ca_cert_dir: Option<String>,
    /// `tls-auth-clients`.
    pub tls_auth_clients: TlsAuthClients,
    /// `tls-replication`.
    pub tls_replication: bool,
    /// `tls-cluster`.
    pub tls_cluster: bool,
    /// `tls-protocols`.
    pub tls_protocols: Option<String>,
    /// `tls-ciphers`.
    pub tls_ciphers: Option<String>,
    /// `tls-ciphersuites`.
    pub tls_ciphersuites: Option<String>,
    /// `tls-prefer-server-ciphers`.
    pub tls_prefer_server_ciphers: bool,
    /// `tls-session-caching`.
    pub tls_session_caching: bool,
    /// `tls-session-cache-size`.
    pub tls_session_cache_size: u32,
    /// `tls-session-cache-timeout`, seconds.
    pub tls_session_cache_timeout: u32,

    // --- Loader-only directives, kept for the server -----------------------------------------
    /// Absolute path of the config file the server was started with (for CONFIG REWRITE and
    /// INFO); `None` without one, or when the config came from stdin only.
    pub config_file: Option<String>,
    /// `rename-command <old> <new>` lines in order (`new` empty = remove the command). The
    /// loader cannot check command names; the server applies them (Redis fails startup with
    /// "No such command in rename-command" for an unknown `old`).
    pub rename_commands: Vec<(String, String)>,
    /// `user <name> <rules...>` lines: the arguments after `user`, for the ACL subsystem.
    pub users: Vec<Vec<String>>,
    /// `loadmodule` lines.
    pub loadmodules: Vec<LoadModule>,
    /// `<module>.<name> <value...>` lines: module configs queued until the module loads.
    pub module_configs: Vec<(String, String)>,
    /// Messages Redis logs while loading the config ("Reading config from stdin", the
    /// oom-score-adj-values sanity warning...). The server logs them once logging is set up.
    pub load_warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let limit = |hard: u64, soft: u64, seconds: u64| ClientBufferLimit {
            hard_limit_bytes: hard,
            soft_limit_bytes: soft,
            soft_limit_seconds: seconds,
        };
        const MB: u64 = 1024 * 1024;
        Config {
            port: 6379,
            // Redis compiles in `* -::*` (and relies on protected mode);
            // ferrodis defaults to the loopback addresses of the shipped
            // redis.conf, so a bare start is never reachable from outside.
            bind: vec!["127.0.0.1".to_string(), "-::1".to_string()],
            bind_source_addr: None,
            protected_mode: true,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            unixsocket: None,
            unixsocketperm: 0,
            socket_mark_id: 0,
            maxclients: 10000,
            client_query_buffer_limit: 1024 * MB,
            proto_max_bulk_len: 512 * MB,
            client_output_buffer_limit: [
                limit(0, 0, 0),
                limit(256 * MB, 64 * MB, 60),
                limit(32 * MB, 8 * MB, 60),
            ],
            io_threads: 1,
            io_threads_do_reads: false,

            daemonize: false,
            supervised: Supervised::No,
            pidfile: None,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            syslog_enabled: false,
            syslog_ident: "redis".to_string(),
            syslog_facility: SyslogFacility::Local0,
            crash_log_enabled: true,
            crash_memcheck_enabled: true,
            databases: 16,
            always_show_logo: false,
            set_proc_title: true,
            proc_title_template: "{title} {listen-addr} {server-mode}".to_string(),
            hz: 10,
            dynamic_hz: true,
            enable_protected_configs: ProtectedAction::No,
            enable_debug_command: ProtectedAction::No,
            enable_module_command: ProtectedAction::No,
            ignore_warnings: String::new(),
            disable_thp: true,
            jemalloc_bg_thread: true,
            use_exit_on_panic: false,
            watchdog_period: 0,
            shutdown_timeout: 10,
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            oom_score_adj: OomScoreAdj::No,
            oom_score_adj_values: [0, 200, 800],
            server_cpulist: None,
            bio_cpulist: None,
            aof_rewrite_cpulist: None,
            bgsave_cpulist: None,

            save: vec![
                SaveParam {
                    seconds: 3600,
                    changes: 1,
                },
                SaveParam {
                    seconds: 300,
                    changes: 100,
                },
                SaveParam {
                    seconds: 60,
                    changes: 10000,
                },
            ],
            stop_writes_on_bgsave_error: true,
            rdbcompression: true,
            rdbchecksum: true,
            sanitize_dump_payload: SanitizeDumpPayload::No,
            dbfilename: "dump.rdb".to_string(),
            rdb_del_sync_files: false,
            dir: current_dir_string(),
            rdb_save_incremental_fsync: true,
            rdb_key_save_delay: 0,
            key_load_delay: 0,
            loading_process_events_interval_bytes: 2 * MB,

            replicaof: None,
            masterauth: None,
            masteruser: None,
            replica_serve_stale_data: true,
            replica_read_only: true,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: ReplDisklessLoad::Disabled,
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            repl_disable_tcp_nodelay: false,
            repl_backlog_size: MB,
            repl_backlog_ttl: 3600,
            replica_priority: 100,
            replica_announced: true,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            replica_announce_ip: None,
            replica_announce_port: 0,
            replica_lazy_flush: false,
            replica_ignore_maxmemory: true,
            replica_ignore_disk_write_errors: false,
            propagation_error_behavior: PropagationErrorBehavior::Ignore,

            requirepass: None,
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: AclPubsubDefault::Resetchannels,

            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            maxmemory_clients: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            busy_poll_us: 50,
            activerehashing: true,

            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,

            appendonly: false,
            appendfilename: "appendonly.aof".to_string(),
            appenddirname: "appendonlydir".to_string(),
            appendfsync: AppendFsync::Everysec,
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * MB,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_rewrite_incremental_fsync: true,
            aof_disable_auto_gc: false,

            busy_reply_threshold: 5000,
            lua_enable_deprecated_api: false,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            notify_keyspace_events: 0,
            tracking_table_max_keys: 1_000_000,

            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,

            activedefrag: false,
            active_defrag_ignore_bytes: 100 * MB,
            active_defrag_threshold_lower: 10,
            active_defrag_threshold_upper: 100,
            active_defrag_cycle_min: 1,
            active_defrag_cycle_max: 25,
            active_defrag_max_scan_fields: 1000,

            cluster_enabled: false,
            cluster_config_file: "nodes.conf".to_string(),
            cluster_node_timeout: 15000,
            cluster_port: 0,
            cluster_replica_validity_factor: 10,
            cluster_migration_barrier: 1,
            cluster_allow_replica_migration: true,
            cluster_require_full_coverage: true,
            cluster_replica_no_failover: false,
            cluster_allow_reads_when_down: false,
            cluster_allow_pubsubshard_when_down: true,
            cluster_announce_ip: None,
            cluster_announce_hostname: None,
            cluster_announce_port: 0,
            cluster_announce_bus_port: 0,
            cluster_announce_tls_port: 0,
            cluster_preferred_endpoint_type: ClusterPreferredEndpointType::Ip,
            cluster_link_sendbuf_limit: 0,

            tls_port: 0,
            tls_cert_file: None,
            tls_key_file: None,
            tls_key_file_pass: None,
            tls_client_cert_file: None,
            tls_client_key_file: None,
            tls_client_key_file_pass: None,
            tls_dh_params_file: None,
            tls_ca_cert_file: None,
            tls_ca_cert_dir: None,
            tls_auth_clients: TlsAuthClients::Yes,
            tls_replication: false,
            tls_cluster: false,
            tls_protocols: None,
            tls_ciphers: None,
            tls_ciphersuites: None,
            tls_prefer_server_ciphers: false,
            tls_session_caching: true,
            tls_session_cache_size: 20 * 1024,
            tls_session_cache_timeout: 300,

            config_file: None,
            rename_commands: Vec::new(),
            users: Vec::new(),
            loadmodules: Vec::new(),
            module_configs: Vec::new(),
            load_warnings: Vec::new(),
        }
    }
}

fn current_dir_string() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------

/// Modifiable at runtime (no flag set).
const MODIFIABLE: u32 = 0;
/// Only settable at startup; CONFIG SET refuses it.
const IMMUTABLE: u32 = 1 << 0;
/// The value is a secret: the server must redact it from MONITOR, SLOWLOG and the like.
const SENSITIVE: u32 = 1 << 1;
/// Listed by DEBUG's config dump (unused by ferrodis for now, kept from Redis's table).
const DEBUG: u32 = 1 << 2;
/// Takes several arguments: split on spaces in CONFIG SET, on quoting rules in the file.
const MULTI_ARG: u32 = 1 << 3;
/// Only reported by CONFIG GET when asked for by exact name, never by a pattern.
const HIDDEN: u32 = 1 << 4;
/// CONFIG SET needs `enable-protected-configs` to allow the calling client.
const PROTECTED: u32 = 1 << 5;
/// CONFIG SET refuses it while the dataset is loading.
const DENY_LOADING: u32 = 1 << 6;
/// Setting it counts as a change even when the value is the same (a file may have changed
/// behind the same path); only TLS files use it.
const VOLATILE: u32 = 1 << 7;

/// Numeric flavour: a plain integer.
const INTEGER: u8 = 0;
/// Numeric flavour: accepts memory units (`1gb`); shown as plain bytes.
const MEMORY: u8 = 1 << 0;
/// Numeric flavour: also accepts `N%`, stored as `-N`.
const PERCENT: u8 = 1 << 1;
/// Numeric flavour: read and shown in octal.
const OCTAL: u8 = 1 << 2;

/// A yes/no directive.
struct BoolDef {
    get: fn(&Config) -> bool,
    set: fn(&mut Config, bool),
    valid: Option<fn(bool) -> Result<(), String>>,
}

/// A free-form string directive. With `empty_is_null` an empty value clears it to `None`
/// (Redis's `EMPTY_STRING_IS_NULL`); CONFIG GET shows both as "".
struct StrDef {
    empty_is_null: bool,
    get: fn(&Config) -> Option<&str>,
    set: fn(&mut Config, Option<String>),
    valid: Option<StrValidator>,
}

/// Checks a new string value against the current config (Redis's `is_valid_fn`).
type StrValidator = fn(&Config, &str) -> Result<(), String>;

/// A directive whose value is one name of `items` or, for `MULTI_ARG` rows, a set of bit
/// flags named by several items.
struct EnumDef {
    items: &'static [(&'static str, i32)],
    get: fn(&Config) -> i32,
    set: fn(&mut Config, i32),
    valid: Option<fn(i32) -> Result<(), String>>,
}

/// A numeric directive. Values travel as `i64` (C's `long long`); `unsigned` rows (Redis's
/// unsigned int, unsigned long long and size_t configs) compare their bounds on the value
/// reinterpreted as `u64`, which is why `-1` is out of range for them rather than a parse
/// error, exactly as in Redis.
struct NumDef {
    lower: i128,
    upper: i128,
    unsigned: bool,
    flavour: u8,
    get: fn(&Config) -> i64,
    set: fn(&mut Config, i64),
}

/// A directive with its own parser and formatter (`save`, `bind`, `dir`...). `set` returns
/// whether the value counts as changed.
struct SpecialDef {
    get: fn(&Config) -> String,
    set: fn(&mut Config, &[String], &mut LoadState) -> Result<bool, String>,
}

enum Kind {
    Bool(BoolDef),
    Str(StrDef),
    Enum(EnumDef),
    Num(NumDef),
    Special(SpecialDef),
}

/// One row of the registry (Redis's `standardConfig`).
struct ConfigDef {
    name: &'static str,
    alias: Option<&'static str>,
    flags: u32,
    kind: Kind,
}

/// State that outlives a single directive while a config is being applied: Redis keeps these
/// in statics (`reading_config_file`, `save_loaded`).
#[derive(Default)]
struct LoadState {
    /// True while lines of a config text are applied. `save` appends instead of replacing.
    reading_config_file: bool,
    /// The first `save` line of the whole load resets the defaults; later ones append.
    save_loaded: bool,
    /// Log lines to hand to the server.
    warnings: Vec<String>,
}

macro_rules! bool_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool(BoolDef {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                valid: None,
            }),
        }
    };
}

/// A string directive stored in a `String` field (empty allowed).
macro_rules! string_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $valid:expr) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str(StrDef {
                empty_is_null: false,
                get: |c| Some(c.$field.as_str()),
                set: |c, v| c.$field = v.unwrap_or_default(),
                valid: $valid,
            }),
        }
    };
}

/// A string directive stored in an `Option<String>` field (empty means unset).
macro_rules! opt_string_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $valid:expr) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str(StrDef {
                empty_is_null: true,
                get: |c| c.$field.as_deref(),
                set: |c, v| c.$field = v,
                valid: $valid,
            }),
        }
    };
}

/// An enum directive stored as one of the `config_enum!` types.
macro_rules! enum_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $ty:ident, $items:expr) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Enum(EnumDef {
                items: $items,
                get: |c| c.$field as i32,
                set: |c, v| {
                    if let Some(v) = $ty::from_code(v) {
                        c.$field = v;
                    }
                },
                valid: None,
            }),
        }
    };
}

/// Signedness of a numeric row's C type, which decides how bounds are checked.
const SIGNED: bool = false;
const UNSIGNED: bool = true;

macro_rules! num_cfg {
    ($name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $field:ident: $ty:ty,
     $sign:expr, $flavour:expr) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num(NumDef {
                lower: $lo as i128,
                upper: $hi as i128,
                unsigned: $sign,
                flavour: $flavour,
                get: |c| c.$field as i64,
                set: |c, v| c.$field = v as $ty,
            }),
        }
    };
}

macro_rules! special_cfg {
    ($name:literal, $alias:expr, $flags:expr, $get:expr, $set:expr) => {
        ConfigDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Special(SpecialDef {
                get: $get,
                set: $set,
            }),
        }
    };
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const ULLONG_MAX: u64 = u64::MAX;
const MB: i64 = 1024 * 1024;

/// Every directive of Redis 7.0.15's `static_configs[]`, in the same order and with the same
/// flags and bounds (TLS rows included, since Redis builds with TLS report them too).
#[rustfmt::skip]
static CONFIGS: &[ConfigDef] = &[
    // Booleans
    bool_cfg!("rdbchecksum", None, IMMUTABLE, rdbchecksum),
    bool_cfg!("daemonize", None, IMMUTABLE, daemonize),
    bool_cfg!("io-threads-do-reads", None, DEBUG | IMMUTABLE, io_threads_do_reads),
    bool_cfg!("always-show-logo", None, IMMUTABLE, always_show_logo),
    bool_cfg!("protected-mode", None, MODIFIABLE, protected_mode),
    bool_cfg!("rdbcompression", None, MODIFIABLE, rdbcompression),
    bool_cfg!("rdb-del-sync-files", None, MODIFIABLE, rdb_del_sync_files),
    bool_cfg!("activerehashing", None, MODIFIABLE, activerehashing),
    bool_cfg!("stop-writes-on-bgsave-error", None, MODIFIABLE, stop_writes_on_bgsave_error),
    bool_cfg!("set-proc-title", None, IMMUTABLE, set_proc_title),
    bool_cfg!("dynamic-hz", None, MODIFIABLE, dynamic_hz),
    bool_cfg!("lazyfree-lazy-eviction", None, DEBUG, lazyfree_lazy_eviction),
    bool_cfg!("lazyfree-lazy-expire", None, DEBUG, lazyfree_lazy_expire),
    bool_cfg!("lazyfree-lazy-server-del", None, DEBUG, lazyfree_lazy_server_del),
    bool_cfg!("lazyfree-lazy-user-del", None, DEBUG, lazyfree_lazy_user_del),
    bool_cfg!("lazyfree-lazy-user-flush", None, DEBUG, lazyfree_lazy_user_flush),
    bool_cfg!("repl-disable-tcp-nodelay", None, MODIFIABLE, repl_disable_tcp_nodelay),
    bool_cfg!("repl-diskless-sync", None, DEBUG, repl_diskless_sync),
    bool_cfg!("aof-rewrite-incremental-fsync", None, MODIFIABLE, aof_rewrite_incremental_fsync),
    bool_cfg!("no-appendfsync-on-rewrite", None, MODIFIABLE, no_appendfsync_on_rewrite),
    bool_cfg!("cluster-require-full-coverage", None, MODIFIABLE, cluster_require_full_coverage),
    bool_cfg!("rdb-save-incremental-fsync", None, MODIFIABLE, rdb_save_incremental_fsync),
    bool_cfg!("aof-load-truncated", None, MODIFIABLE, aof_load_truncated),
    bool_cfg!("aof-use-rdb-preamble", None, MODIFIABLE, aof_use_rdb_preamble),
    bool_cfg!("aof-timestamp-enabled", None, MODIFIABLE, aof_timestamp_enabled),
    bool_cfg!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), MODIFIABLE, cluster_replica_no_failover),
    bool_cfg!("replica-lazy-flush", Some("slave-lazy-flush"), MODIFIABLE, replica_lazy_flush),
    bool_cfg!("replica-serve-stale-data", Some("slave-serve-stale-data"), MODIFIABLE, replica_serve_stale_data),
    bool_cfg!("replica-read-only", Some("slave-read-only"), DEBUG, replica_read_only),
    bool_cfg!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), MODIFIABLE, replica_ignore_maxmemory),
    bool_cfg!("jemalloc-bg-thread", None, MODIFIABLE, jemalloc_bg_thread),
    ConfigDef { name: "activedefrag", alias: None, flags: DEBUG, kind: Kind::Bool(BoolDef {
        get: |c| c.activedefrag, set: |c, v| c.activedefrag = v, valid: Some(valid_activedefrag) }) },
    bool_cfg!("syslog-enabled", None, IMMUTABLE, syslog_enabled),
    bool_cfg!("cluster-enabled", None, IMMUTABLE, cluster_enabled),
    bool_cfg!("appendonly", None, DENY_LOADING, appendonly),
    bool_cfg!("cluster-allow-reads-when-down", None, MODIFIABLE, cluster_allow_reads_when_down),
    bool_cfg!("cluster-allow-pubsubshard-when-down", None, MODIFIABLE, cluster_allow_pubsubshard_when_down),
    bool_cfg!("crash-log-enabled", None, MODIFIABLE, crash_log_enabled),
    bool_cfg!("crash-memcheck-enabled", None, MODIFIABLE, crash_memcheck_enabled),
    bool_cfg!("use-exit-on-panic", None, HIDDEN, use_exit_on_panic),
    bool_cfg!("disable-thp", None, IMMUTABLE, disable_thp),
    bool_cfg!("cluster-allow-replica-migration", None, MODIFIABLE, cluster_allow_replica_migration),
    bool_cfg!("replica-announced", None, MODIFIABLE, replica_announced),
    bool_cfg!("latency-tracking", None, MODIFIABLE, latency_tracking),
    bool_cfg!("aof-disable-auto-gc", None, MODIFIABLE, aof_disable_auto_gc),
    bool_cfg!("replica-ignore-disk-write-errors", None, MODIFIABLE, replica_ignore_disk_write_errors),
    bool_cfg!("lua-enable-deprecated-api", None, IMMUTABLE | HIDDEN, lua_enable_deprecated_api),

    // Strings
    string_cfg!("aclfile", None, IMMUTABLE, aclfile, None),
    opt_string_cfg!("unixsocket", None, IMMUTABLE, unixsocket, None),
    opt_string_cfg!("pidfile", None, IMMUTABLE, pidfile, None),
    opt_string_cfg!("replica-announce-ip", Some("slave-announce-ip"), MODIFIABLE, replica_announce_ip, None),
    opt_string_cfg!("masteruser", None, SENSITIVE, masteruser, None),
    opt_string_cfg!("cluster-announce-ip", None, MODIFIABLE, cluster_announce_ip, None),
    string_cfg!("cluster-config-file", None, IMMUTABLE, cluster_config_file, None),
    opt_string_cfg!("cluster-announce-hostname", None, MODIFIABLE, cluster_announce_hostname, Some(valid_announced_hostname)),
    string_cfg!("syslog-ident", None, IMMUTABLE, syslog_ident, None),
    string_cfg!("dbfilename", None, PROTECTED, dbfilename, Some(valid_dbfilename)),
    string_cfg!("appendfilename", None, IMMUTABLE, appendfilename, Some(valid_appendfilename)),
    string_cfg!("appenddirname", None, IMMUTABLE, appenddirname, Some(valid_appenddirname)),
    opt_string_cfg!("server_cpulist", None, IMMUTABLE, server_cpulist, None),
    opt_string_cfg!("bio_cpulist", None, IMMUTABLE, bio_cpulist, None),
    opt_string_cfg!("aof_rewrite_cpulist", None, IMMUTABLE, aof_rewrite_cpulist, None),
    opt_string_cfg!("bgsave_cpulist", None, IMMUTABLE, bgsave_cpulist, None),
    string_cfg!("ignore-warnings", None, MODIFIABLE, ignore_warnings, None),
    string_cfg!("proc-title-template", None, MODIFIABLE, proc_title_template, Some(valid_proc_title_template)),
    opt_string_cfg!("bind-source-addr", None, MODIFIABLE, bind_source_addr, None),
    string_cfg!("logfile", None, IMMUTABLE, logfile, None),
    opt_string_cfg!("masterauth", None, SENSITIVE, masterauth, None),
    opt_string_cfg!("requirepass", None, SENSITIVE, requirepass, None),

    // Enums
    enum_cfg!("supervised", None, IMMUTABLE, supervised, Supervised, SUPERVISED_ITEMS),
    enum_cfg!("syslog-facility", None, IMMUTABLE, syslog_facility, SyslogFacility, SYSLOG_FACILITY_ITEMS),
    enum_cfg!("repl-diskless-load", None, DEBUG | DENY_LOADING, repl_diskless_load, ReplDisklessLoad, REPL_DISKLESS_LOAD_ITEMS),
    enum_cfg!("loglevel", None, MODIFIABLE, loglevel, LogLevel, LOGLEVEL_ITEMS),
    enum_cfg!("maxmemory-policy", None, MODIFIABLE, maxmemory_policy, MaxmemoryPolicy, MAXMEMORY_POLICY_ITEMS),
    enum_cfg!("appendfsync", None, MODIFIABLE, appendfsync, AppendFsync, APPENDFSYNC_ITEMS),
    enum_cfg!("oom-score-adj", None, MODIFIABLE, oom_score_adj, OomScoreAdj, OOM_SCORE_ADJ_ITEMS),
    enum_cfg!("acl-pubsub-default", None, MODIFIABLE, acl_pubsub_default, AclPubsubDefault, ACL_PUBSUB_DEFAULT_ITEMS),
    enum_cfg!("sanitize-dump-payload", None, DEBUG, sanitize_dump_payload, SanitizeDumpPayload, SANITIZE_DUMP_PAYLOAD_ITEMS),
    enum_cfg!("enable-protected-configs", None, IMMUTABLE, enable_protected_configs, ProtectedAction, PROTECTED_ACTION_ITEMS),
    enum_cfg!("enable-debug-command", None, IMMUTABLE, enable_debug_command, ProtectedAction, PROTECTED_ACTION_ITEMS),
    enum_cfg!("enable-module-command", None, IMMUTABLE, enable_module_command, ProtectedAction, PROTECTED_ACTION_ITEMS),
    enum_cfg!("cluster-preferred-endpoint-type", None, MODIFIABLE, cluster_preferred_endpoint_type, ClusterPreferredEndpointType, CLUSTER_PREFERRED_ENDPOINT_TYPE_ITEMS),
    enum_cfg!("propagation-error-behavior", None, MODIFIABLE, propagation_error_behavior, PropagationErrorBehavior, PROPAGATION_ERROR_BEHAVIOR_ITEMS),
    ConfigDef { name: "shutdown-on-sigint", alias: None, flags: MULTI_ARG, kind: Kind::Enum(EnumDef {
        items: SHUTDOWN_ON_SIG_ITEMS, get: |c| c.shutdown_on_sigint, set: |c, v| c.shutdown_on_sigint = v,
        valid: Some(valid_shutdown_flags) }) },
    ConfigDef { name: "shutdown-on-sigterm", alias: None, flags: MULTI_ARG, kind: Kind::Enum(EnumDef {
        items: SHUTDOWN_ON_SIG_ITEMS, get: |c| c.shutdown_on_sigterm, set: |c, v| c.shutdown_on_sigterm = v,
        valid: Some(valid_shutdown_flags) }) },

    // Integers (C int and unsigned int)
    num_cfg!("databases", None, IMMUTABLE, 1, INT_MAX, databases: usize, SIGNED, INTEGER),
    num_cfg!("port", None, MODIFIABLE, 0, 65535, port: u16, SIGNED, INTEGER),
    num_cfg!("io-threads", None, DEBUG | IMMUTABLE, 1, 128, io_threads: u32, SIGNED, INTEGER),
    num_cfg!("auto-aof-rewrite-percentage", None, MODIFIABLE, 0, INT_MAX, auto_aof_rewrite_percentage: u32, SIGNED, INTEGER),
    num_cfg!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), MODIFIABLE, 0, INT_MAX, cluster_replica_validity_factor: u32, SIGNED, INTEGER),
    num_cfg!("list-max-listpack-size", Some("list-max-ziplist-size"), MODIFIABLE, INT_MIN, INT_MAX, list_max_listpack_size: i32, SIGNED, INTEGER),
    num_cfg!("tcp-keepalive", None, MODIFIABLE, 0, INT_MAX, tcp_keepalive: u32, SIGNED, INTEGER),
    num_cfg!("cluster-migration-barrier", None, MODIFIABLE, 0, INT_MAX, cluster_migration_barrier: u32, SIGNED, INTEGER),
    num_cfg!("active-defrag-cycle-min", None, MODIFIABLE, 1, 99, active_defrag_cycle_min: u32, SIGNED, INTEGER),
    num_cfg!("active-defrag-cycle-max", None, MODIFIABLE, 1, 99, active_defrag_cycle_max: u32, SIGNED, INTEGER),
    num_cfg!("active-defrag-threshold-lower", None, MODIFIABLE, 0, 1000, active_defrag_threshold_lower: u32, SIGNED, INTEGER),
    num_cfg!("active-defrag-threshold-upper", None, MODIFIABLE, 0, 1000, active_defrag_threshold_upper: u32, SIGNED, INTEGER),
    num_cfg!("lfu-log-factor", None, MODIFIABLE, 0, INT_MAX, lfu_log_factor: u32, SIGNED, INTEGER),
    num_cfg!("lfu-decay-time", None, MODIFIABLE, 0, INT_MAX, lfu_decay_time: u32, SIGNED, INTEGER),
    num_cfg!("replica-priority", Some("slave-priority"), MODIFIABLE, 0, INT_MAX, replica_priority: u32, SIGNED, INTEGER),
    num_cfg!("repl-diskless-sync-delay", None, MODIFIABLE, 0, INT_MAX, repl_diskless_sync_delay: u32, SIGNED, INTEGER),
    num_cfg!("maxmemory-samples", None, MODIFIABLE, 1, INT_MAX, maxmemory_samples: u32, SIGNED, INTEGER),
    num_cfg!("maxmemory-eviction-tenacity", None, MODIFIABLE, 0, 100, maxmemory_eviction_tenacity: u32, SIGNED, INTEGER),
    num_cfg!("timeout", None, MODIFIABLE, 0, INT_MAX, timeout: u64, SIGNED, INTEGER),
    num_cfg!("replica-announce-port", Some("slave-announce-port"), MODIFIABLE, 0, 65535, replica_announce_port: u16, SIGNED, INTEGER),
    num_cfg!("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, tcp_backlog: u32, SIGNED, INTEGER),
    num_cfg!("cluster-port", None, IMMUTABLE, 0, 65535, cluster_port: u16, SIGNED, INTEGER),
    num_cfg!("cluster-announce-bus-port", None, MODIFIABLE, 0, 65535, cluster_announce_bus_port: u16, SIGNED, INTEGER),
    num_cfg!("cluster-announce-port", None, MODIFIABLE, 0, 65535, cluster_announce_port: u16, SIGNED, INTEGER),
    num_cfg!("cluster-announce-tls-port", None, MODIFIABLE, 0, 65535, cluster_announce_tls_port: u16, SIGNED, INTEGER),
    num_cfg!("repl-timeout", None, MODIFIABLE, 1, INT_MAX, repl_timeout: u32, SIGNED, INTEGER),
    num_cfg!("repl-ping-replica-period", Some("repl-ping-slave-period"), MODIFIABLE, 1, INT_MAX, repl_ping_replica_period: u32, SIGNED, INTEGER),
    num_cfg!("list-compress-depth", None, DEBUG, 0, INT_MAX, list_compress_depth: u32, SIGNED, INTEGER),
    num_cfg!("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, rdb_key_save_delay: i32, SIGNED, INTEGER),
    num_cfg!("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, key_load_delay: i32, SIGNED, INTEGER),
    num_cfg!("active-expire-effort", None, MODIFIABLE, 1, 10, active_expire_effort: u32, SIGNED, INTEGER),
    num_cfg!("busy-poll-us", None, MODIFIABLE | HIDDEN, 0, 1_000_000, busy_poll_us: u32, SIGNED, INTEGER),
    num_cfg!("hz", None, MODIFIABLE, 0, INT_MAX, hz: u32, SIGNED, INTEGER),
    num_cfg!("min-replicas-to-write", Some("min-slaves-to-write"), MODIFIABLE, 0, INT_MAX, min_replicas_to_write: u32, SIGNED, INTEGER),
    num_cfg!("min-replicas-max-lag", Some("min-slaves-max-lag"), MODIFIABLE, 0, INT_MAX, min_replicas_max_lag: u32, SIGNED, INTEGER),
    num_cfg!("watchdog-period", None, HIDDEN, 0, INT_MAX, watchdog_period: u32, SIGNED, INTEGER),
    num_cfg!("shutdown-timeout", None, MODIFIABLE, 0, INT_MAX, shutdown_timeout: u32, SIGNED, INTEGER),
    num_cfg!("repl-diskless-sync-max-replicas", None, MODIFIABLE, 0, INT_MAX, repl_diskless_sync_max_replicas: u32, SIGNED, INTEGER),
    num_cfg!("maxclients", None, MODIFIABLE, 1, UINT_MAX, maxclients: u32, UNSIGNED, INTEGER),
    num_cfg!("unixsocketperm", None, IMMUTABLE, 0, 0o777, unixsocketperm: u32, UNSIGNED, OCTAL),
    num_cfg!("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, socket_mark_id: u32, UNSIGNED, INTEGER),

    // Longs (Redis checks unsigned long bounds as signed)
    num_cfg!("active-defrag-max-scan-fields", None, MODIFIABLE, 1, LONG_MAX, active_defrag_max_scan_fields: u64, SIGNED, INTEGER),
    num_cfg!("slowlog-max-len", None, MODIFIABLE, 0, LONG_MAX, slowlog_max_len: u64, SIGNED, INTEGER),
    num_cfg!("acllog-max-len", None, MODIFIABLE, 0, LONG_MAX, acllog_max_len: u64, SIGNED, INTEGER),
    num_cfg!("busy-reply-threshold", Some("lua-time-limit"), MODIFIABLE, 0, LONG_MAX, busy_reply_threshold: u64, SIGNED, INTEGER),
    num_cfg!("cluster-node-timeout", None, MODIFIABLE, 0, LONG_MAX, cluster_node_timeout: u64, SIGNED, INTEGER),
    num_cfg!("slowlog-log-slower-than", None, MODIFIABLE, -1, LONG_MAX, slowlog_log_slower_than: i64, SIGNED, INTEGER),
    num_cfg!("latency-monitor-threshold", None, MODIFIABLE, 0, LONG_MAX, latency_monitor_threshold: u64, SIGNED, INTEGER),
    num_cfg!("proto-max-bulk-len", None, DEBUG, MB, LONG_MAX, proto_max_bulk_len: u64, SIGNED, MEMORY),
    num_cfg!("stream-node-max-entries", None, MODIFIABLE, 0, LONG_MAX, stream_node_max_entries: u64, SIGNED, INTEGER),
    num_cfg!("repl-backlog-size", None, MODIFIABLE, 1, LONG_MAX, repl_backlog_size: u64, SIGNED, MEMORY),
    num_cfg!("maxmemory", None, MODIFIABLE, 0, ULLONG_MAX, maxmemory: u64, UNSIGNED, MEMORY),
    num_cfg!("cluster-link-sendbuf-limit", None, MODIFIABLE, 0, ULLONG_MAX, cluster_link_sendbuf_limit: u64, UNSIGNED, MEMORY),

    // Sizes (size_t, checked unsigned; ssize_t checked signed)
    num_cfg!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), MODIFIABLE, 0, LONG_MAX, hash_max_listpack_entries: usize, UNSIGNED, INTEGER),
    num_cfg!("set-max-intset-entries", None, MODIFIABLE, 0, LONG_MAX, set_max_intset_entries: usize, UNSIGNED, INTEGER),
    num_cfg!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), MODIFIABLE, 0, LONG_MAX, zset_max_listpack_entries: usize, UNSIGNED, INTEGER),
    num_cfg!("active-defrag-ignore-bytes", None, MODIFIABLE, 1, LONG_MAX, active_defrag_ignore_bytes: u64, UNSIGNED, MEMORY),
    num_cfg!("hash-max-listpack-value", Some("hash-max-ziplist-value"), MODIFIABLE, 0, LONG_MAX, hash_max_listpack_value: usize, UNSIGNED, MEMORY),
    num_cfg!("stream-node-max-bytes", None, MODIFIABLE, 0, LONG_MAX, stream_node_max_bytes: usize, UNSIGNED, MEMORY),
    num_cfg!("zset-max-listpack-value", Some("zset-max-ziplist-value"), MODIFIABLE, 0, LONG_MAX, zset_max_listpack_value: usize, UNSIGNED, MEMORY),
    num_cfg!("hll-sparse-max-bytes", None, MODIFIABLE, 0, LONG_MAX, hll_sparse_max_bytes: usize, UNSIGNED, MEMORY),
    num_cfg!("tracking-table-max-keys", None, MODIFIABLE, 0, LONG_MAX, tracking_table_max_keys: usize, UNSIGNED, INTEGER),
    num_cfg!("client-query-buffer-limit", None, DEBUG, MB, LONG_MAX, client_query_buffer_limit: u64, UNSIGNED, MEMORY),
    num_cfg!("maxmemory-clients", None, MODIFIABLE, -100, LONG_MAX, maxmemory_clients: i64, SIGNED, MEMORY | PERCENT),

    // time_t and off_t
    num_cfg!("repl-backlog-ttl", None, MODIFIABLE, 0, LONG_MAX, repl_backlog_ttl: u64, SIGNED, INTEGER),
    num_cfg!("auto-aof-rewrite-min-size", None, MODIFIABLE, 0, LONG_MAX, auto_aof_rewrite_min_size: u64, SIGNED, MEMORY),
    num_cfg!("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, loading_process_events_interval_bytes: u64, SIGNED, INTEGER),

    // TLS
    num_cfg!("tls-port", None, MODIFIABLE, 0, 65535, tls_port: u16, SIGNED, INTEGER),
    num_cfg!("tls-session-cache-size", None, MODIFIABLE, 0, INT_MAX, tls_session_cache_size: u32, SIGNED, INTEGER),
    num_cfg!("tls-session-cache-timeout", None, MODIFIABLE, 0, INT_MAX, tls_session_cache_timeout: u32, SIGNED, INTEGER),
    bool_cfg!("tls-cluster", None, MODIFIABLE, tls_cluster),
    bool_cfg!("tls-replication", None, MODIFIABLE, tls_replication),
    enum_cfg!("tls-auth-clients", None, MODIFIABLE, tls_auth_clients, TlsAuthClients, TLS_AUTH_CLIENTS_ITEMS),
    bool_cfg!("tls-prefer-server-ciphers", None, MODIFIABLE, tls_prefer_server_ciphers),
    bool_cfg!("tls-session-caching", None, MODIFIABLE, tls_session_caching),
    opt_string_cfg!("tls-cert-file", None, VOLATILE, tls_cert_file, None),
    opt_string_cfg!("tls-key-file", None, VOLATILE, tls_key_file, None),
    opt_string_cfg!("tls-key-file-pass", None, MODIFIABLE, tls_key_file_pass, None),
    opt_string_cfg!("tls-client-cert-file", None, VOLATILE, tls_client_cert_file, None),
    opt_string_cfg!("tls-client-key-file", None, VOLATILE, tls_client_key_file, None),
    opt_string_cfg!("tls-client-key-file-pass", None, MODIFIABLE, tls_client_key_file_pass, None),
    opt_string_cfg!("tls-dh-params-file", None, VOLATILE, tls_dh_params_file, None),
    opt_string_cfg!("tls-ca-cert-file", None, VOLATILE, tls_ca_cert_file, None),
    opt_string_cfg!("tls-ca-cert-dir", None, VOLATILE, tls_ca_cert_dir, None),
    opt_string_cfg!("tls-protocols", None, MODIFIABLE, tls_protocols, None),
    opt_string_cfg!("tls-ciphers", None, MODIFIABLE, tls_ciphers, None),
    opt_string_cfg!("tls-ciphersuites", None, MODIFIABLE, tls_ciphersuites, None),

    // Special
    special_cfg!("dir", None, PROTECTED | DENY_LOADING, get_dir, set_dir),
    special_cfg!("save", None, MULTI_ARG, get_save, set_save),
    special_cfg!("client-output-buffer-limit", None, MULTI_ARG, get_client_output_buffer_limit, set_client_output_buffer_limit),
    special_cfg!("oom-score-adj-values", None, MULTI_ARG, get_oom_score_adj_values, set_oom_score_adj_values),
    special_cfg!("notify-keyspace-events", None, MODIFIABLE, get_notify_keyspace_events, set_notify_keyspace_events),
    special_cfg!("bind", None, MULTI_ARG, get_bind, set_bind),
    special_cfg!("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, get_replicaof, set_replicaof),
    special_cfg!("latency-tracking-info-percentiles", None, MULTI_ARG, get_latency_tracking_info_percentiles, set_latency_tracking_info_percentiles),
];

// ---------------------------------------------------------------------------------------------
// Validators (Redis's is_valid_fn)
// ---------------------------------------------------------------------------------------------

fn is_base_name(path: &str) -> bool {
    !path.contains('/') && !path.contains('\\')
}

fn valid_dbfilename(_: &Config, v: &str) -> Result<(), String> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename".into());
    }
    Ok(())
}

fn valid_appendfilename(_: &Config, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("appendfilename can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename".into());
    }
    Ok(())
}

fn valid_appenddirname(_: &Config, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("appenddirname can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname".into());
    }
    Ok(())
}

fn valid_announced_hostname(_: &Config, v: &str) -> Result<(), String> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters".into());
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into());
    }
    Ok(())
}

/// ferrodis, like a Redis built without its bundled jemalloc, cannot defragment.
fn valid_activedefrag(enable: bool) -> Result<(), String> {
    if enable {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution"
                .into(),
        );
    }
    Ok(())
}

fn valid_shutdown_flags(flags: i32) -> Result<(), String> {
    if flags & SHUTDOWN_SAVE != 0 && flags & SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(())
}

/// Expands a `proc-title-template` the way the process title would be built with an empty
/// title (`expandProcTitleTemplate`): `{name}` variables, `{{` for a literal brace. `None` on
/// an unknown variable or an unterminated `{`.
fn expand_proc_title_template(c: &Config, template: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return None;
        }
        if let Some(tail) = after.strip_prefix('{') {
            out.push('{');
            rest = tail;
            continue;
        }
        let close = after.find('}')?;
        let listen_port = if c.port != 0 { c.port } else { c.tls_port };
        let value = match &after[..close] {
            "title" => String::new(),
            "listen-addr" if listen_port != 0 => {
                let addr = c.bind.first().map_or("*", String::as_str);
                format!("{addr}:{listen_port}")
            }
            "listen-addr" => format!("unixsocket:{}", c.unixsocket.as_deref().unwrap_or("")),
            "server-mode" if c.cluster_enabled => "[cluster]".to_string(),
            "server-mode" => String::new(),
            "config-file" => c.config_file.clone().unwrap_or_else(|| "-".to_string()),
            "port" => c.port.to_string(),
            "tls-port" => c.tls_port.to_string(),
            "unixsocket" => c.unixsocket.clone().unwrap_or_default(),
            _ => return None,
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out.trim_matches(' ').to_string())
}

fn valid_proc_title_template(c: &Config, v: &str) -> Result<(), String> {
    match expand_proc_title_template(c, v) {
        Some(expanded) if !expanded.is_empty() => Ok(()),
        _ => Err("template format is invalid or contains unknown variables".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Special directives
// ---------------------------------------------------------------------------------------------

fn get_dir(c: &Config) -> String {
    // Like Redis, report the real working directory rather than what was asked for.
    match std::env::current_dir() {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(_) => c.dir.clone(),
    }
}

/// `dir` changes the process working directory on the spot, exactly as Redis's `chdir` does:
/// relative `include`s, `dbfilename` and `appenddirname` are resolved against it afterwards.
fn set_dir(c: &mut Config, args: &[String], _: &mut LoadState) -> Result<bool, String> {
    let [path] = args else {
        return Err("wrong number of arguments".into());
    };
    std::env::set_current_dir(path).map_err(|e| strerror(&e))?;
    c.dir = current_dir_string();
    Ok(true)
}

fn get_save(c: &Config) -> String {
    let parts: Vec<String> = c
        .save
        .iter()
        .map(|p| format!("{} {}", p.seconds, p.changes))
        .collect();
    parts.join(" ")
}

/// `save <seconds> <changes> [<seconds> <changes> ...]`, or `save ""` for no snapshots.
///
/// At runtime every CONFIG SET replaces the whole list. While a config text is read, the first
/// `save` line of the load replaces the built-in defaults and later lines append, so a file may
/// list one point per line (Redis's "abnormal aggregate" compatibility rule).
fn set_save(c: &mut Config, args: &[String], st: &mut LoadState) -> Result<bool, String> {
    let mut args = args;
    if args.len() == 1 && args[0].is_empty() {
        c.save.clear();
        args = &[];
    }
    let invalid = || "Invalid save parameters".to_string();
    if !args.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let mut parsed = Vec::with_capacity(args.len());
    for (j, a) in args.iter().enumerate() {
        let (v, _) = c_strtoll(a.as_bytes(), 10).ok_or_else(invalid)?;
        let minimum = if j % 2 == 0 { 1 } else { 0 };
        if v < minimum {
            return Err(invalid());
        }
        parsed.push(v);
    }
    if !st.reading_config_file || !st.save_loaded {
        st.save_loaded |= st.reading_config_file;
        c.save.clear();
    }
    for pair in parsed.chunks(2) {
        c.save.push(SaveParam {
            seconds: pair[0],
            changes: pair[1] as i32, // Redis stores changes in an int
        });
    }
    Ok(true)
}

const CLIENT_CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

fn get_client_output_buffer_limit(c: &Config) -> String {
    let parts: Vec<String> = c
        .client_output_buffer_limit
        .iter()
        .zip(CLIENT_CLASS_NAMES)
        .map(|(l, name)| {
            format!(
                "{name} {} {} {}",
                l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
            )
        })
        .collect();
    parts.join(" ")
}

/// `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`: any number of classes,
/// all validated before any is applied.
fn set_client_output_buffer_limit(
    c: &mut Config,
    args: &[String],
    _: &mut LoadState,
) -> Result<bool, String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut updates = Vec::new();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => ClientClass::Normal,
            "slave" | "replica" => ClientClass::Replica,
            "pubsub" => ClientClass::Pubsub,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        };
        let hard = memtoull(group[1].as_bytes());
        let soft = memtoull(group[2].as_bytes());
        // Redis keeps the seconds in an int.
        let seconds = c_strtoll(group[3].as_bytes(), 10).map(|(v, _)| v as i32);
        match (hard, soft, seconds) {
            (Some(hard), Some(soft), Some(seconds)) if seconds >= 0 => updates.push((
                class,
                ClientBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: seconds as u64,
                },
            )),
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .into(),
                );
            }
        }
    }
    for (class, limit) in updates {
        c.client_output_buffer_limit[class as usize] = limit;
    }
    Ok(true)
}

fn get_oom_score_adj_values(c: &Config) -> String {
    let parts: Vec<String> = c.oom_score_adj_values.iter().map(i32::to_string).collect();
    parts.join(" ")
}

fn set_oom_score_adj_values(
    c: &mut Config,
    args: &[String],
    st: &mut LoadState,
) -> Result<bool, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut values = [0i32; 3];
    for (slot, a) in values.iter_mut().zip(args) {
        match c_strtoll(a.as_bytes(), 10) {
            Some((v, _)) if (-2000..=2000).contains(&v) => *slot = v as i32,
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                );
            }
        }
    }
    if values[1] < values[0] || values[2] < values[1] {
        st.warnings.push(
            "The oom-score-adj-values configuration may not work for non-privileged processes! \
             Please consult the documentation."
                .into(),
        );
    }
    let changed = c.oom_score_adj_values != values;
    c.oom_score_adj_values = values;
    Ok(changed)
}

fn get_notify_keyspace_events(c: &Config) -> String {
    keyspace_events_flags_to_string(c.notify_keyspace_events)
}

fn set_notify_keyspace_events(
    c: &mut Config,
    args: &[String],
    _: &mut LoadState,
) -> Result<bool, String> {
    let [classes] = args else {
        return Err("wrong number of arguments".into());
    };
    c.notify_keyspace_events = keyspace_events_string_to_flags(classes.as_bytes())
        .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    Ok(true)
}

fn get_bind(c: &Config) -> String {
    c.bind.join(" ")
}

fn set_bind(c: &mut Config, args: &[String], _: &mut LoadState) -> Result<bool, String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    // A single empty argument means "listen on no address".
    let args = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    c.bind = args.to_vec();
    Ok(true)
}

fn get_replicaof(c: &Config) -> String {
    match &c.replicaof {
        Some((host, port)) => format!("{host} {port}"),
        None => String::new(),
    }
}

fn set_replicaof(c: &mut Config, args: &[String], _: &mut LoadState) -> Result<bool, String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    c.replicaof = None;
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(true);
    }
    // strtol into an int, then range-checked.
    match c_strtoll(port.as_bytes(), 10).map(|(v, _)| v as i32) {
        Some(p) if (0..=65535).contains(&p) => {
            c.replicaof = Some((host.clone(), p as u16));
            Ok(true)
        }
        _ => Err("Invalid master port".into()),
    }
}

fn get_latency_tracking_info_percentiles(c: &Config) -> String {
    let parts: Vec<String> = c
        .latency_tracking_info_percentiles
        .iter()
        .map(|&v| format_percentile(v))
        .collect();
    parts.join(" ")
}

fn set_latency_tracking_info_percentiles(
    c: &mut Config,
    args: &[String],
    _: &mut LoadState,
) -> Result<bool, String> {
    let args = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let v = string2d(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        values.push(v);
    }
    c.latency_tracking_info_percentiles = values;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Lookup, parsing and formatting shared by CONFIG GET/SET and the loader
// ---------------------------------------------------------------------------------------------

/// A registry row as reached through one of its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    index: usize,
    via_alias: bool,
}

impl Entry {
    fn def(self) -> &'static ConfigDef {
        &CONFIGS[self.index]
    }

    /// The name this entry answers to: the alias when reached through it (Redis registers
    /// aliases as separate dictionary entries whose name is the alias).
    fn name(self) -> &'static str {
        let def = self.def();
        match (self.via_alias, def.alias) {
            (true, Some(alias)) => alias,
            _ => def.name,
        }
    }
}

/// Case-insensitive lookup of a directive by name or alias.
fn lookup(name: &[u8]) -> Option<Entry> {
    CONFIGS.iter().enumerate().find_map(|(index, def)| {
        if def.name.as_bytes().eq_ignore_ascii_case(name) {
            Some(Entry {
                index,
                via_alias: false,
            })
        } else if def
            .alias
            .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
        {
            Some(Entry {
                index,
                via_alias: true,
            })
        } else {
            None
        }
    })
}

/// All registered names in registry order, each primary name followed by its alias.
fn all_entries() -> impl Iterator<Item = Entry> {
    CONFIGS.iter().enumerate().flat_map(|(index, def)| {
        let alias = def.alias.map(|_| Entry {
            index,
            via_alias: true,
        });
        std::iter::once(Entry {
            index,
            via_alias: false,
        })
        .chain(alias)
    })
}

/// The canonical (primary) name of a directive given by name or alias, case-insensitively.
pub fn canonical_name(name: &[u8]) -> Option<&'static str> {
    lookup(name).map(|e| e.def().name)
}

/// True if `name` is a directive CONFIG SET refuses at runtime.
pub fn is_immutable(name: &[u8]) -> bool {
    lookup(name).is_some_and(|e| e.def().flags & IMMUTABLE != 0)
}

/// True if the value of `name` is a secret (`requirepass`, `masterauth`, `masteruser`): the
/// server should redact it from MONITOR, SLOWLOG and command logs.
pub fn is_sensitive(name: &[u8]) -> bool {
    lookup(name).is_some_and(|e| e.def().flags & SENSITIVE != 0)
}

/// True if `name` needs `enable-protected-configs` to be changed at runtime.
pub fn is_protected(name: &[u8]) -> bool {
    lookup(name).is_some_and(|e| e.def().flags & PROTECTED != 0)
}

/// Name of each value in an enum table, comma-separated, as Redis's error lists them.
fn enum_error(items: &[(&str, i32)]) -> String {
    let names: Vec<&str> = items.iter().map(|(name, _)| *name).collect();
    let mut err = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    // Redis formats into a 256 byte buffer.
    if err.len() > 255 {
        let mut cut = 255;
        while !err.is_char_boundary(cut) {
            cut -= 1;
        }
        err.truncate(cut);
    }
    err
}

/// Parses enum arguments (`configEnumGetValue`): one name, or for bit-flag rows one or more
/// names OR-ed together; matching is case-insensitive.
fn parse_enum(items: &[(&str, i32)], args: &[String], bitflags: bool) -> Option<i32> {
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return None;
    }
    let mut value = 0;
    for arg in args {
        let mut matched = false;
        for (name, code) in items {
            if name.eq_ignore_ascii_case(arg) {
                value |= code;
                matched = true;
            }
        }
        if !matched {
            return None;
        }
    }
    Some(value)
}

/// Names an enum value (`configEnumGetName`): the first item with exactly this value, or for
/// bit-flag rows the items whose bits are all set, in table order; "unknown" otherwise.
fn format_enum(items: &[(&str, i32)], value: i32, bitflags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for &(name, code) in items {
        if code == value {
            return name.to_string();
        }
        if bitflags && code != 0 && unmatched & code == code {
            names.push(name);
            unmatched &= !code;
        }
    }
    if names.is_empty() || unmatched != 0 {
        return "unknown".to_string();
    }
    names.join(" ")
}

/// Parses a numeric value according to the row's flavour (`numericParseString`): memory units
/// first, then `N%`, then octal, then (only for plain integer rows) a strict integer.
fn parse_numeric(n: &NumDef, value: &[u8]) -> Result<i64, &'static str> {
    if n.flavour & MEMORY != 0 {
        if let Some(v) = memtoull(value) {
            return Ok(v as i64); // reinterpreted as long long, as Redis does
        }
    }
    if n.flavour & PERCENT != 0 && value.len() > 1 && value.ends_with(b"%") {
        if let Some(v) = string2ll(&value[..value.len() - 1]).filter(|&v| v >= 0) {
            return Ok(-v); // percentages are stored negated
        }
    }
    if n.flavour & OCTAL != 0 {
        if let Some((v, false)) = c_strtoll(value, 8) {
            return Ok(v);
        }
    }
    if n.flavour == INTEGER {
        if let Some(v) = string2ll(value) {
            return Ok(v);
        }
    }
    Err(if n.flavour & MEMORY != 0 && n.flavour & PERCENT != 0 {
        "argument must be a memory or percent value"
    } else if n.flavour & MEMORY != 0 {
        "argument must be a memory value"
    } else if n.flavour & OCTAL != 0 {
        "argument couldn't be parsed as an octal number"
    } else {
        "argument couldn't be parsed into an integer"
    })
}

/// Bounds check (`numericBoundaryCheck`). Unsigned rows compare the value as `u64`; a
/// percentage (negative value on a PERCENT row) is only bounded by `lower` (-100 = 100%).
fn check_numeric_bounds(n: &NumDef, v: i64) -> Result<(), String> {
    if n.unsigned {
        let u = i128::from(v as u64);
        if u < n.lower || u > n.upper {
            return Err(if n.flavour & OCTAL != 0 {
                format!(
                    "argument must be between {:o} and {:o} inclusive",
                    n.lower, n.upper
                )
            } else {
                format!(
                    "argument must be between {} and {} inclusive",
                    n.lower, n.upper
                )
            });
        }
    } else if n.flavour & PERCENT != 0 && v < 0 {
        if i128::from(v) < n.lower {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -n.lower
            ));
        }
    } else if i128::from(v) < n.lower || i128::from(v) > n.upper {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            n.lower, n.upper
        ));
    }
    Ok(())
}

fn format_numeric(n: &NumDef, v: i64) -> String {
    if n.flavour & PERCENT != 0 && v < 0 {
        format!("{}%", v.unsigned_abs())
    } else if n.flavour & MEMORY != 0 {
        (v as u64).to_string()
    } else if n.flavour & OCTAL != 0 {
        format!("{:o}", v as u64)
    } else {
        v.to_string()
    }
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

impl Config {
    /// The value of one directive formatted as CONFIG GET shows it.
    fn format_value(&self, def: &ConfigDef) -> String {
        match &def.kind {
            Kind::Bool(b) => yes_no((b.get)(self)).to_string(),
            Kind::Str(s) => (s.get)(self).unwrap_or("").to_string(),
            Kind::Enum(e) => format_enum(e.items, (e.get)(self), def.flags & MULTI_ARG != 0),
            Kind::Num(n) => format_numeric(n, (n.get)(self)),
            Kind::Special(s) => (s.get)(self),
        }
    }

    /// Applies already-split arguments to one directive (the `set` of Redis's type
    /// interface). Returns whether the value changed; on error nothing was modified except
    /// for the special directives, whose callers work on a copy.
    fn apply_args(
        &mut self,
        def: &ConfigDef,
        args: &[String],
        st: &mut LoadState,
    ) -> Result<bool, String> {
        let volatile = def.flags & VOLATILE != 0;
        let single = || args.first().map(String::as_str).unwrap_or("");
        match &def.kind {
            Kind::Bool(b) => {
                let v = match single().to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("argument must be 'yes' or 'no'".into()),
                };
                if let Some(valid) = b.valid {
                    valid(v)?;
                }
                let changed = (b.get)(self) != v;
                (b.set)(self, v);
                Ok(changed || volatile)
            }
            Kind::Str(s) => {
                let v = single();
                if let Some(valid) = s.valid {
                    valid(self, v)?;
                }
                let new = if s.empty_is_null && v.is_empty() {
                    None
                } else {
                    Some(v.to_string())
                };
                let changed = (s.get)(self) != new.as_deref();
                (s.set)(self, new);
                Ok(changed || volatile)
            }
            Kind::Enum(e) => {
                let v = parse_enum(e.items, args, def.flags & MULTI_ARG != 0)
                    .ok_or_else(|| enum_error(e.items))?;
                if let Some(valid) = e.valid {
                    valid(v)?;
                }
                let changed = (e.get)(self) != v;
                (e.set)(self, v);
                Ok(changed || volatile)
            }
            Kind::Num(n) => {
                let v = parse_numeric(n, single().as_bytes())?;
                check_numeric_bounds(n, v)?;
                let changed = (n.get)(self) != v;
                (n.set)(self, v);
                Ok(changed || volatile)
            }
            Kind::Special(s) => (s.set)(self, args, st),
        }
    }

    /// `loglevel` by its config name (`"notice"`...).
    pub fn loglevel_name(&self) -> String {
        self.loglevel.as_str().to_string()
    }

    /// `notify-keyspace-events` as the class letters CONFIG GET shows (`"AKE"`...).
    pub fn notify_keyspace_events_string(&self) -> String {
        keyspace_events_flags_to_string(self.notify_keyspace_events)
    }

    /// Redis accepts any non-negative `hz` but runs with 1..=500 (`updateHZ`).
    fn clamp_hz(&mut self) {
        self.hz = self.hz.clamp(1, 500);
    }
}

// ---------------------------------------------------------------------------------------------
// CONFIG GET / CONFIG SET
// ---------------------------------------------------------------------------------------------

/// Who is calling CONFIG SET, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetContext {
    /// The client is connected over loopback or a unix socket (`enable-protected-configs
    /// local` lets it change protected directives).
    pub client_is_local: bool,
    /// The server is loading its dataset: directives flagged deny-loading are refused.
    pub loading: bool,
}

/// The error Redis replies for a CONFIG SET whose value or apply step failed:
/// `ERR CONFIG SET failed (possibly related to argument '<name>') - <reason>`. The server uses
/// it for failures of its own side effects (e.g. `Unable to listen on this port. Check server
/// logs.` when applying `port`), after restoring its backup copy of the config.
pub fn config_set_error(name: &str, reason: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
}

impl Config {
    /// CONFIG GET: every directive matching any of `patterns`, as (name, value) pairs.
    ///
    /// Redis 7.0 rules: a pattern without `*`, `?` or `[` is an exact, case-insensitive lookup
    /// and is reported under the name exactly as given (`CONFIG GET HZ` answers `HZ`); a glob
    /// pattern is matched case-insensitively against every name and alias (so `*` lists both
    /// `replicaof` and `slaveof`) and reports registry names. Each name is reported once per
    /// call. Hidden directives are only reachable by exact name. Unknown names are skipped.
    /// The order is registry order (Redis's is hash order; clients treat the reply as a map).
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut matches: Vec<(String, Entry)> = Vec::new();
        let seen = |matches: &Vec<(String, Entry)>, name: &[u8]| {
            matches
                .iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for &pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
                if seen(&matches, pattern) {
                    continue;
                }
                if let Some(entry) = lookup(pattern) {
                    matches.push((lossy(pattern), entry));
                }
                continue;
            }
            for entry in all_entries() {
                let name = entry.name();
                if entry.def().flags & HIDDEN != 0 || seen(&matches, name.as_bytes()) {
                    continue;
                }
                if glob_match(pattern, name.as_bytes(), true) {
                    matches.push((name.to_string(), entry));
                }
            }
        }
        matches
            .into_iter()
            .map(|(name, entry)| (name, self.format_value(entry.def())))
            .collect()
    }

    /// The CONFIG GET value of one directive by name or alias, `None` if unknown.
    pub fn get_value(&self, name: &str) -> Option<String> {
        lookup(name.as_bytes()).map(|e| self.format_value(e.def()))
    }

    /// CONFIG SET with the checks a client without special standing gets: protected
    /// directives are allowed only if `enable-protected-configs yes`, and the server is
    /// assumed not to be loading. See [`Config::set_with`].
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        self.set_with(pairs, SetContext::default())
    }

    /// CONFIG SET `name value [name value ...]`, all or nothing.
    ///
    /// Returns the canonical names whose value changed (each once, in argument order); the
    /// server runs the matching side effects (Redis's apply functions: re-listen on `port` or
    /// `bind`, resize the backlog, start eviction for `maxmemory`, start or stop the AOF...). If
    /// one of those fails, the server restores a copy of the config it took before calling
    /// and replies [`config_set_error`].
    ///
    /// The error string is the whole Redis reply line without `-`/CRLF. Checks run in Redis's
    /// order and the first failure wins:
    ///
    /// 1. every name exists (`ERR Unknown option or number of arguments for CONFIG SET -
    ///    'name'`), is not immutable, not protected for this client, not deny-loading while
    ///    loading (`LOADING ...`), and not given twice (`duplicate parameter`; a name and its
    ///    alias are different parameters in Redis and the later one wins). These errors quote
    ///    the name as the client typed it.
    /// 2. every value parses; these errors quote the registry name (the alias when the
    ///    client used it). Multi-argument directives split their value on single spaces.
    ///
    /// Values are applied to a copy that replaces `self` only when all succeeded. `dir` is the
    /// exception that touches the process (`chdir`); it is changed back on failure.
    ///
    /// The server checks arity before calling: an odd number of arguments is `ERR syntax
    /// error`, none at all is the command's arity error.
    pub fn set_with(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let mut targets: Vec<Entry> = Vec::with_capacity(pairs.len());
        for &(name, _) in pairs {
            let Some(entry) = lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    lossy(name)
                ));
            };
            let flags = entry.def().flags;
            if flags & IMMUTABLE != 0 {
                return Err(config_set_error(&lossy(name), "can't set immutable config"));
            }
            if flags & PROTECTED != 0
                && !allow_protected_action(self.enable_protected_configs, ctx.client_is_local)
            {
                return Err(config_set_error(&lossy(name), "can't set protected config"));
            }
            if ctx.loading && flags & DENY_LOADING != 0 {
                return Err("LOADING Redis is loading the dataset in memory".to_string());
            }
            if targets.contains(&entry) {
                return Err(config_set_error(&lossy(name), "duplicate parameter"));
            }
            targets.push(entry);
        }

        let cwd_before = std::env::current_dir().ok();
        let mut new = self.clone();
        let mut st = LoadState::default();
        let mut changed: Vec<&'static str> = Vec::new();
        for (&entry, &(_, value)) in targets.iter().zip(pairs) {
            let def = entry.def();
            let value = lossy(value);
            let args: Vec<String> = if def.flags & MULTI_ARG == 0 {
                vec![value]
            } else if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            };
            match new.apply_args(def, &args, &mut st) {
                Ok(true) => {
                    if !changed.contains(&def.name) {
                        changed.push(def.name);
                    }
                }
                Ok(false) => {}
                Err(reason) => {
                    if changed.contains(&"dir") {
                        if let Some(dir) = &cwd_before {
                            // Best effort, as Redis's restoreBackupConfig.
                            let _ = std::env::set_current_dir(dir);
                        }
                    }
                    return Err(config_set_error(entry.name(), &reason));
                }
            }
        }
        new.clamp_hz();
        if changed.contains(&"repl-backlog-size") {
            // Redis's apply step (resizeReplicationBacklog) enforces a 16k minimum; a value
            // loaded from the config file is kept as written.
            new.repl_backlog_size = new.repl_backlog_size.max(16 * 1024);
        }
        *self = new;
        Ok(changed)
    }
}

// ---------------------------------------------------------------------------------------------
// Loading redis.conf (loadServerConfig / loadServerConfigFromString)
// ---------------------------------------------------------------------------------------------

/// Why the configuration could not be loaded. Redis exits with status 1 in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A directive was rejected. Display renders Redis's banner, to be printed to stderr
    /// with `eprintln!` (the banner starts with an empty line):
    ///
    /// ```text
    ///
    /// *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
    /// Reading the configuration file, at line 2
    /// >>> 'foo bar'
    /// Bad directive or wrong number of arguments
    /// ```
    Directive {
        /// 1-based line number within the text being read (the main file plus stdin plus the
        /// command-line options, or an included file) and the offending line, trimmed.
        /// `None` for the checks made after the last line (log file, cluster + replicaof),
        /// whose banner has no "Reading..." lines.
        line: Option<(usize, String)>,
        /// Redis's reason text.
        reason: String,
    },
    /// The config file, or an `include`d one, could not be opened. Redis reports this
    /// through its logger at warning level (`<pid>:C <time> # Fatal error, can't open config
    /// file '<path>': <strerror>`); Display gives the message part.
    Open {
        /// The path as given.
        path: String,
        /// `strerror` text, e.g. "No such file or directory".
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Directive { line, reason } => {
                write!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
                )?;
                if let Some((number, text)) = line {
                    write!(
                        f,
                        "Reading the configuration file, at line {number}\n>>> '{text}'\n"
                    )?;
                }
                f.write_str(reason)
            }
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Directives from Redis 6 that 7.0 still accepts (with exactly one argument) and ignores.
const DEPRECATED_DIRECTIVES: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

fn trim_bytes<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let Some((first, rest)) = s.split_first() {
        if !set.contains(first) {
            break;
        }
        s = rest;
    }
    while let Some((last, rest)) = s.split_last() {
        if !set.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

/// Applies config texts to a `Config`, carrying the cross-line state.
struct Loader {
    config: Config,
    st: LoadState,
}

impl Loader {
    fn new() -> Self {
        Loader {
            config: Config::default(),
            st: LoadState::default(),
        }
    }

    /// Applies one config text (`loadServerConfigFromString`): one directive per line, `#`
    /// comments, blank lines skipped, arguments tokenized by [`split_args`], directive names
    /// case-insensitive. Runs for the main text and again for each included file, and like
    /// Redis it finishes every run with the post-load checks (log file writable, no replicaof
    /// in cluster mode, hz clamped).
    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        self.st.reading_config_file = true;
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim_bytes(raw, b" \t\r\n");
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let at_line = |reason: String| ConfigError::Directive {
                line: Some((i + 1, lossy(line))),
                reason,
            };
            let Some(argv) = split_args(line) else {
                return Err(at_line("Unbalanced quotes in configuration line".into()));
            };
            if argv.is_empty() {
                continue;
            }
            let argv: Vec<String> = argv.iter().map(|a| lossy(a)).collect();
            self.directive(&argv).map_err(|e| match e {
                DirectiveError::Reason(reason) => at_line(reason),
                DirectiveError::Nested(inner) => inner,
            })?;
        }

        let after_last_line = |reason: String| ConfigError::Directive { line: None, reason };
        if !self.config.logfile.is_empty() {
            // Make sure the log file can be opened now: the server could not report it later.
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.config.logfile)
                .map_err(|e| {
                    after_last_line(format!("Can't open the log file: {}", strerror(&e)))
                })?;
        }
        if self.config.cluster_enabled && self.config.replicaof.is_some() {
            return Err(after_last_line(
                "replicaof directive not allowed in cluster mode".into(),
            ));
        }
        self.config.clamp_hz();
        // Note: also cleared at the end of an include, so `save` lines after an `include`
        // replace instead of appending, a Redis quirk kept for fidelity.
        self.st.reading_config_file = false;
        Ok(())
    }

    /// Applies one tokenized line. `argv[0]` is the directive as written.
    fn directive(&mut self, argv: &[String]) -> Result<(), DirectiveError> {
        let name = argv[0].to_ascii_lowercase();
        let argc = argv.len();
        if let Some(entry) = lookup(name.as_bytes()) {
            let def = entry.def();
            let multi = def.flags & MULTI_ARG != 0;
            if !multi && argc != 2 {
                return Err(DirectiveError::Reason("wrong number of arguments".into()));
            }
            // A multi-argument directive given one non-empty argument splits it again, so
            // `--save "900 1 300 10"` works from the command line.
            let args: Vec<String> = if multi && argc == 2 && !argv[1].is_empty() {
                split_args(argv[1].as_bytes())
                    .unwrap_or_default()
                    .iter()
                    .map(|a| lossy(a))
                    .collect()
            } else {
                argv[1..].to_vec()
            };
            self.config
                .apply_args(def, &args, &mut self.st)
                .map_err(DirectiveError::Reason)?;
            return Ok(());
        }
        if argc == 2 && DEPRECATED_DIRECTIVES.contains(&name.as_str()) {
            return Ok(());
        }
        match name.as_str() {
            "include" if argc == 2 => {
                let text = read_config_source(&argv[1]).map_err(DirectiveError::Nested)?;
                self.load_text(&text).map_err(DirectiveError::Nested)?;
            }
            "rename-command" if argc == 3 => {
                self.config
                    .rename_commands
                    .push((argv[1].clone(), argv[2].clone()));
            }
            "user" if argc >= 2 => self.config.users.push(argv[1..].to_vec()),
            "loadmodule" if argc >= 2 => self.config.loadmodules.push(LoadModule {
                path: argv[1].clone(),
                args: argv[2..].to_vec(),
            }),
            _ if name.contains('.') => {
                if argc < 2 {
                    return Err(DirectiveError::Reason(
                        "Module config specified without value".into(),
                    ));
                }
                let value = argv[1..].join(" ");
                let queue = &mut self.config.module_configs;
                match queue.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => queue.push((name, value)),
                }
            }
            // A lone `sentinel` line switches Redis into sentinel mode from main(); anything
            // else needs sentinel mode, which ferrodis does not have.
            "sentinel" if argc == 1 => {}
            "sentinel" => {
                return Err(DirectiveError::Reason(
                    "sentinel directive while not in sentinel mode".into(),
                ));
            }
            _ => {
                return Err(DirectiveError::Reason(
                    "Bad directive or wrong number of arguments".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A directive failed: either for a reason that belongs to the current line, or inside an
/// included file, whose error already names its own line.
enum DirectiveError {
    Reason(String),
    Nested(ConfigError),
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands a wildcard path like `glob(3)`: each component with `*`, `?` or `[` is matched
/// against directory entries (hidden entries only by a pattern starting with `.`); results are
/// sorted; nothing matching is not an error.
fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    let mut found = vec![if pattern.starts_with('/') {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for part in parts {
        let mut next = Vec::new();
        for base in &found {
            if !has_glob_chars(part) {
                next.push(base.join(part));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                if file_name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if glob_match(part.as_bytes(), file_name.as_bytes(), false) {
                    next.push(base.join(file_name));
                }
            }
        }
        found = next;
    }
    let mut found: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    found.sort();
    found
}

fn read_one_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let open_error = |e: std::io::Error| ConfigError::Open {
        path: path.to_string_lossy().into_owned(),
        reason: strerror(&e),
    };
    let mut file = std::fs::File::open(path).map_err(open_error)?;
    let mut text = Vec::new();
    // Like fgets on a directory, a read error after a successful open yields no content.
    if file.read_to_end(&mut text).is_err() {
        text.clear();
    }
    Ok(text)
}

/// Reads a config file, or every file matched by a wildcard path (concatenated in sorted
/// order, nothing if none match), as `loadServerConfig` does for the main file and includes.
fn read_config_source(path: &str) -> Result<Vec<u8>, ConfigError> {
    if !has_glob_chars(path) {
        return read_one_file(Path::new(path));
    }
    let mut text = Vec::new();
    for file in glob_paths(path) {
        text.extend(read_one_file(&file)?);
    }
    Ok(text)
}

/// Redis's `getAbsolutePath`: trims whitespace, keeps absolute paths, otherwise joins with the
/// working directory, folding leading `../` components into it.
fn absolute_path(path: &str) -> Option<String> {
    let mut rel = path.trim_matches([' ', '\r', '\n', '\t']);
    if rel.starts_with('/') {
        return Some(rel.to_string());
    }
    let mut abs = current_dir_string();
    if abs.is_empty() {
        return None;
    }
    if !abs.ends_with('/') {
        abs.push('/');
    }
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if abs.len() > 1 {
            let without_slash = &abs[..abs.len() - 1];
            let cut = without_slash.rfind('/').map_or(0, |i| i + 1);
            abs.truncate(cut);
        }
    }
    abs.push_str(rel);
    Some(abs)
}

/// Loads the configuration the way `redis-server` does at startup: the config file's text
/// (`Some("-")` reads standard input instead), then a newline, then `options` (the
/// command-line directives built by [`build_options_from_argv`]), applied as one text on top
/// of the defaults. Line numbers in errors count lines of that combined text.
///
/// Side effects, as in Redis: `dir` changes the working directory while loading, relative
/// `include` paths resolve against the working directory at that point, and a configured
/// `logfile` is created if missing.
pub fn load_server_config(config_file: Option<&str>, options: &str) -> Result<Config, ConfigError> {
    match config_file {
        Some("-") => load_server_config_ext(None, true, options),
        other => load_server_config_ext(other, false, options),
    }
}

/// [`load_server_config`] with stdin as a separate switch, for `redis-server file.conf -`
/// (file, then stdin, then options). See [`parse_argv`].
pub fn load_server_config_ext(
    config_file: Option<&str>,
    config_from_stdin: bool,
    options: &str,
) -> Result<Config, ConfigError> {
    let mut loader = Loader::new();
    let mut text = Vec::new();
    if let Some(path) = config_file {
        loader.config.config_file = absolute_path(path);
        text = read_config_source(path)?;
    }
    if config_from_stdin {
        loader.st.warnings.push("Reading config from stdin".into());
        let _ = std::io::stdin().read_to_end(&mut text);
    }
    text.push(b'\n');
    text.extend_from_slice(options.as_bytes());
    loader.load_text(&text)?;
    loader.config.load_warnings = std::mem::take(&mut loader.st.warnings);
    Ok(loader.config)
}

/// Loads a config from text alone, without files or stdin: the defaults with `text` applied
/// as a config file would be (includes still read the file system). Useful for tests.
pub fn load_config_from_str(text: &str) -> Result<Config, ConfigError> {
    let mut loader = Loader::new();
    loader.load_text(text.as_bytes())?;
    loader.config.load_warnings = std::mem::take(&mut loader.st.warnings);
    Ok(loader.config)
}

// ---------------------------------------------------------------------------------------------
// Command line (main() in server.c)
// ---------------------------------------------------------------------------------------------

/// What `redis-server`'s command line asks to load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgvConfig {
    /// Absolute path of the config file (the first argument when it doesn't start with `-`).
    pub config_file: Option<String>,
    /// `-` as the first or last argument: read config text from stdin after the file.
    pub config_from_stdin: bool,
    /// The `--name value` options turned into config lines.
    pub options: String,
}

/// Turns the command line into config text, as `redis-server`'s `main()` does. `args` are the
/// arguments after the program name. The caller handles `-v`/`--version`, `-h`/`--help`,
/// `--test-memory` and `--check-system` before calling.
///
/// # Format
///
/// ```text
/// redis-server [/path/to/redis.conf] [-] [--name value [value ...]] ...
/// ```
///
/// Each `--name` starts a new line `name `; every following bare argument is appended quoted
/// (so `--save ""` becomes `save ""` and `--bind a b` becomes `bind "a" "b"`). After an option
/// name, the next argument is always its value even if it starts with `--` (`--port --bla`
/// sets port to "--bla"); an argument holding both name and value (`"--port 6380"`) takes no
/// further value. `--save` directly followed by another option, or last, means `save ""`.
pub fn parse_argv(args: &[String]) -> Result<ArgvConfig, String> {
    let mut out = ArgvConfig::default();
    let n = args.len();
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            out.config_file = Some(absolute_path(first).ok_or_else(|| {
                format!("Can't resolve the absolute path of the config file '{first}'")
            })?);
            j = 1;
        }
    }
    let mut handled_last_option = true;
    while j < n {
        let arg = &args[j];
        let is_last = j == n - 1;
        let next_is_option = !is_last && args[j + 1].starts_with("--");
        if arg == "-" && (j == 0 || is_last) {
            out.config_from_stdin = true;
        } else if handled_last_option && arg.starts_with("--") {
            if !out.options.is_empty() {
                out.options.push('\n');
            }
            out.options.push_str(&arg[2..]);
            out.options.push(' ');
            let words = split_args(arg.as_bytes()).map_or(0, |v| v.len());
            if words == 1 {
                // Only the name: what follows is its value, whatever it looks like.
                handled_last_option = false;
                if arg.eq_ignore_ascii_case("--save") && (is_last || next_is_option) {
                    out.options.push_str("\"\"");
                    handled_last_option = true;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last_option = true;
                }
            } else {
                handled_last_option = true;
            }
        } else {
            out.options.push_str(&repr_bytes(arg.as_bytes()));
            out.options.push(' ');
            handled_last_option = true;
        }
        j += 1;
    }
    Ok(out)
}

/// The brief form of [`parse_argv`]: `(config file, options text)` for [`load_server_config`].
/// Reading from stdin alone is reported as the file name `-`; a config file *and* stdin
/// cannot be expressed this way and is an error (use [`parse_argv`] with
/// [`load_server_config_ext`]).
pub fn build_options_from_argv(args: &[String]) -> Result<(Option<String>, String), String> {
    let parsed = parse_argv(args)?;
    let file = match (parsed.config_file, parsed.config_from_stdin) {
        (Some(_), true) => {
            return Err("reading a config file and stdin together needs parse_argv".into());
        }
        (None, true) => Some("-".to_string()),
        (file, false) => file,
    };
    Ok((file, parsed.options))
}

// ---------------------------------------------------------------------------------------------
// CONFIG REWRITE
// ---------------------------------------------------------------------------------------------

/// The comment that precedes the lines CONFIG REWRITE appends.
const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// Redis's `rewriteConfigFormatMemory`: the largest exact unit (`gb`, `mb`, `kb`) or bytes.
fn format_memory(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    if bytes != 0 && bytes.is_multiple_of(GB) {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes.is_multiple_of(MB) {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes.is_multiple_of(KB) {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// The state of one rewrite (Redis's `rewriteConfigState`): the old file's lines, where each
/// directive appeared, and which directives were rewritten.
struct RewriteState {
    lines: Vec<String>,
    /// Canonical name -> indexes of its lines in the old file, not yet reused.
    option_lines: std::collections::HashMap<String, std::collections::VecDeque<usize>>,
    rewritten: std::collections::HashSet<String>,
    needs_signature: bool,
}

impl RewriteState {
    /// Read the old file (`rewriteConfigReadOldFile`): comments and blank lines are kept,
    /// lines that do not parse or name no known directive become `# ??? ` comments.
    fn from_old(text: &str) -> RewriteState {
        let mut st = RewriteState {
            lines: Vec::new(),
            option_lines: Default::default(),
            rewritten: Default::default(),
            needs_signature: true,
        };
        if text.is_empty() {
            return st;
        }
        // Like Redis's split on "\n", a final newline yields a last empty
        // line, which is kept.
        for raw in text.split('\n') {
            let line = raw.trim_matches(|c| matches!(c, '\r' | '\n' | '\t' | ' '));
            if line.is_empty() || line.starts_with('#') {
                if line == REWRITE_SIGNATURE {
                    st.needs_signature = false;
                }
                st.lines.push(line.to_string());
                continue;
            }
            let argv = split_args(line.as_bytes());
            let name = argv
                .as_ref()
                .and_then(|a| a.first())
                .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase());
            let option = match name {
                Some(n) => match canonical_name(n.as_bytes()) {
                    Some(c) => Some(c.to_string()),
                    None if matches!(
                        n.as_str(),
                        "include" | "rename-command" | "user" | "loadmodule" | "sentinel"
                    ) =>
                    {
                        Some(n)
                    }
                    None => None,
                },
                None => None,
            };
            match option {
                Some(o) => {
                    st.option_lines
                        .entry(o)
                        .or_default()
                        .push_back(st.lines.len());
                    st.lines.push(line.to_string());
                }
                None => st.lines.push(format!("# ??? {}", line)),
            }
        }
        st
    }

    /// Put `line` for `option` in place of its next old line, or append it when `force`
    /// (`rewriteConfigRewriteLine`).
    fn rewrite_line(&mut self, option: &str, line: String, force: bool) {
        self.rewritten.insert(option.to_string());
        if let Some(q) = self.option_lines.get_mut(option) {
            if let Some(i) = q.pop_front() {
                self.lines[i] = line;
                return;
            }
        }
        if !force {
            return;
        }
        if self.needs_signature {
            self.lines.push(REWRITE_SIGNATURE.to_string());
            self.needs_signature = false;
        }
        self.lines.push(line);
    }

    /// The directive was handled but has no line to write: its old lines go.
    fn mark_processed(&mut self, option: &str) {
        self.rewritten.insert(option.to_string());
    }

    /// Blank the old lines of rewritten directives that were not reused, then join the lines,
    /// squeezing runs of empty lines (`rewriteConfigRemoveOrphaned`,
    /// `rewriteConfigGetContentFromState`).
    fn content(mut self) -> String {
        for (option, q) in &self.option_lines {
            if self.rewritten.contains(option) {
                for &i in q {
                    self.lines[i].clear();
                }
            }
        }
        let mut out = String::new();
        let mut was_empty = false;
        for l in &self.lines {
            if l.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            out.push_str(l);
            out.push('\n');
        }
        out
    }
}

impl Config {
    /// The new content of the config file for CONFIG REWRITE (Redis's `rewriteConfig`): every
    /// directive whose value differs from its default gets a line, replacing its old line in
    /// place when the file had one, appended after the signature comment otherwise; lines for
    /// directives back at their default are rewritten where they were; comments, unknown
    /// lines (as `# ??? ` comments) and `include`/`rename-command`/`user`/`loadmodule` lines
    /// are kept. `cwd` is written as `dir`, `replicaof` is the server's current master.
    pub fn rewrite_content(&self, old: &str, cwd: &str, replicaof: Option<(&str, u16)>) -> String {
        self.rewrite_content_with_users(old, cwd, replicaof, None)
    }

    /// [`Config::rewrite_content`], with the ACL users as `user` lines
    /// (`rewriteConfigUserOption`): `Some(lines)` replaces the file's
    /// `user` lines with `lines` (an empty slice removes them, as Redis
    /// does when an `aclfile` holds the users); `None` keeps them.
    pub fn rewrite_content_with_users(
        &self,
        old: &str,
        cwd: &str,
        replicaof: Option<(&str, u16)>,
        users: Option<&[String]>,
    ) -> String {
        let defaults = Config::default();
        let mut st = RewriteState::from_old(old);
        for def in CONFIGS.iter() {
            let name = def.name;
            match (name, &def.kind) {
                ("save", _) => {
                    if self.save.is_empty() {
                        st.rewrite_line(name, "save \"\"".to_string(), true);
                    }
                    for sp in &self.save {
                        st.rewrite_line(name, format!("save {} {}", sp.seconds, sp.changes), true);
                    }
                    st.mark_processed(name);
                }
                ("dir", _) => {
                    st.rewrite_line(name, format!("dir {}", repr_bytes(cwd.as_bytes())), true)
                }
                ("replicaof", _) => match replicaof {
                    Some((host, port)) => {
                        st.rewrite_line(name, format!("replicaof {} {}", host, port), true)
                    }
                    None => st.mark_processed(name),
                },
                ("bind", _) => {
                    if self.bind == defaults.bind {
                        st.mark_processed(name);
                    } else if self.bind.is_empty() {
                        st.rewrite_line(name, "bind \"\"".to_string(), true);
                    } else {
                        st.rewrite_line(name, format!("bind {}", self.bind.join(" ")), true);
                    }
                }
                ("client-output-buffer-limit", _) => {
                    for (j, l) in self.client_output_buffer_limit.iter().enumerate() {
                        let d = &defaults.client_output_buffer_limit[j];
                        let force = l.hard_limit_bytes != d.hard_limit_bytes
                            || l.soft_limit_bytes != d.soft_limit_bytes
                            || l.soft_limit_seconds != d.soft_limit_seconds;
                        let class = if j == 1 {
                            "replica"
                        } else {
                            CLIENT_CLASS_NAMES[j]
                        };
                        let line = format!(
                            "{} {} {} {} {}",
                            name,
                            class,
                            format_memory(l.hard_limit_bytes),
                            format_memory(l.soft_limit_bytes),
                            l.soft_limit_seconds
                        );
                        st.rewrite_line(name, line, force);
                    }
                }
                ("notify-keyspace-events", _) => {
                    let flags = keyspace_events_flags_to_string(self.notify_keyspace_events);
                    let line = format!("{} {}", name, repr_bytes(flags.as_bytes()));
                    st.rewrite_line(name, line, self.notify_keyspace_events != 0);
                }
                ("latency-tracking-info-percentiles", _) => {
                    let v = self.format_value(def);
                    let v = if v.is_empty() { "\"\"".to_string() } else { v };
                    st.rewrite_line(name, format!("{} {}", name, v), true);
                }
                (_, Kind::Str(s)) => match (s.get)(self) {
                    None => st.mark_processed(name),
                    Some(v) => {
                        let force = (s.get)(&defaults) != Some(v);
                        st.rewrite_line(
                            name,
                            format!("{} {}", name, repr_bytes(v.as_bytes())),
                            force,
                        );
                    }
                },
                (_, Kind::Num(n)) => {
                    let v = (n.get)(self);
                    let shown = if n.flavour & PERCENT != 0 && v < 0 {
                        format!("{}%", v.unsigned_abs())
                    } else if n.flavour & MEMORY != 0 {
                        format_memory(v as u64)
                    } else if n.flavour & OCTAL != 0 {
                        format!("{:o}", v as u64)
                    } else {
                        v.to_string()
                    };
                    st.rewrite_line(name, format!("{} {}", name, shown), v != (n.get)(&defaults));
                }
                _ => {
                    let v = self.format_value(def);
                    let force = v != defaults.format_value(def);
                    st.rewrite_line(name, format!("{} {}", name, v), force);
                }
            }
        }
        if let Some(lines) = users {
            for l in lines {
                st.rewrite_line("user", l.clone(), true);
            }
            st.mark_processed("user");
        }
        st.content()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn args(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| v.iter().map(|a| lossy(a)).collect())
    }

    fn set1(c: &mut Config, name: &str, value: &str) -> Result<Vec<&'static str>, String> {
        c.set(&[(name.as_bytes(), value.as_bytes())])
    }

    fn get1(c: &Config, name: &str) -> String {
        c.get_value(name).expect("known directive")
    }

    /// A fresh path under the system temp dir, unique per test run and call.
    fn temp_path(tag: &str) -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("ferrodis-config-{}-{n}-{tag}", std::process::id()))
    }

    fn write_temp(tag: &str, text: &str) -> String {
        let path = temp_path(tag);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn directive_error(line: usize, text: &str, reason: &str) -> ConfigError {
        ConfigError::Directive {
            line: Some((line, text.to_string())),
            reason: reason.to_string(),
        }
    }

    // --- tokenizer ---------------------------------------------------------------------------

    #[test]
    fn split_args_plain_words_and_whitespace() {
        assert_eq!(args(""), Some(vec![]));
        assert_eq!(args("   \t  "), Some(vec![]));
        assert_eq!(
            args("set  a\tb\r\n"),
            Some(vec!["set".into(), "a".into(), "b".into()])
        );
        // \v and \f separate arguments only before a word starts.
        assert_eq!(
            split_args(b"\x0bfoo\x0bbar"),
            Some(vec![b"foo\x0bbar".to_vec()])
        );
        // A NUL ends the line, as for a C string.
        assert_eq!(
            split_args(b"a b\0c d"),
            Some(vec![b"a".to_vec(), b"b".to_vec()])
        );
    }

    #[test]
    fn split_args_double_quotes_and_escapes() {
        assert_eq!(
            split_args(br#""a\nb\r\t\b\a\\\"\x41\x7a\xFF\q""#),
            Some(vec![b"a\nb\r\t\x08\x07\\\"Az\xffq".to_vec()])
        );
        // \x without two hex digits is a plain 'x'.
        assert_eq!(split_args(br#""\xZ1\x4""#), Some(vec![b"xZ1x4".to_vec()]));
        assert_eq!(args(r#""" x"#), Some(vec!["".into(), "x".into()]));
        assert_eq!(args(r#"a"b c"d"#), None); // closing quote followed by 'd'
        assert_eq!(args(r#"ab"c d""#), Some(vec!["abc d".into()]));
        assert_eq!(args(r#""unterminated"#), None);
        assert_eq!(args(r#""ends with backslash\"#), None);
        assert_eq!(args(r#""foo"bar"#), None);
        assert_eq!(args("\"a\"\t\"b\""), Some(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn split_args_single_quotes() {
        assert_eq!(
            args(r"'it\'s' '\n'"),
            Some(vec!["it's".into(), "\\n".into()])
        );
        assert_eq!(args(r"'a'b"), None);
        assert_eq!(args(r"'open"), None);
        assert_eq!(args(r#"'say "hi"'"#), Some(vec![r#"say "hi""#.into()]));
    }

    #[test]
    fn repr_round_trips_through_split_args() {
        let samples: [&[u8]; 4] = [
            b"",
            b"plain",
            b"q\"uo\\te\n\r\t\x07\x08",
            b"\x00\xff\x7f sp",
        ];
        for s in samples {
            let quoted = repr_bytes(s);
            assert_eq!(
                split_args(quoted.as_bytes()),
                Some(vec![s.to_vec()]),
                "{quoted}"
            );
        }
        assert_eq!(repr_bytes(b"a\"b\x01"), r#""a\"b\x01""#);
    }

    // --- numbers -----------------------------------------------------------------------------

    #[test]
    fn memtoull_units() {
        let cases: [(&str, Option<u64>); 16] = [
            ("0", Some(0)),
            ("123", Some(123)),
            ("1b", Some(1)),
            ("1k", Some(1000)),
            ("1K", Some(1000)),
            ("1kb", Some(1024)),
            ("2Kb", Some(2048)),
            ("1m", Some(1_000_000)),
            ("1mb", Some(1 << 20)),
            ("3g", Some(3_000_000_000)),
            ("1GB", Some(1 << 30)),
            ("", Some(0)),
            ("mb", Some(0)),
            ("-1", None),
            ("1.5mb", None),
            ("1 kb", None),
        ];
        for (input, expected) in cases {
            assert_eq!(memtoull(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(memtoull(b"1tb"), None);
        assert_eq!(memtoull(b"+1"), None);
        assert_eq!(memtoull(b"99999999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-42"), Some(-42));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "+1",
            "01",
            "-0",
            " 1",
            "1 ",
            "1.0",
            "9223372036854775808",
            "1x",
        ] {
            assert_eq!(string2ll(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn strtoll_emulation() {
        assert_eq!(c_strtoll(b"", 10), Some((0, false)));
        assert_eq!(c_strtoll(b"  +12", 10), Some((12, false)));
        assert_eq!(c_strtoll(b"-7", 10), Some((-7, false)));
        assert_eq!(c_strtoll(b" ", 10), None);
        assert_eq!(c_strtoll(b"12 ", 10), None);
        assert_eq!(c_strtoll(b"777", 8), Some((511, false)));
        assert_eq!(c_strtoll(b"8", 8), None);
        assert_eq!(
            c_strtoll(b"99999999999999999999", 10),
            Some((i64::MAX, true))
        );
        assert_eq!(
            c_strtoll(b"-99999999999999999999", 10),
            Some((i64::MIN, true))
        );
    }

    #[test]
    fn percentile_formatting_and_parsing() {
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(0.5), "0.5");
        assert_eq!(format_percentile(99.99999999), "100");
        assert_eq!(string2d("1e2"), Some(100.0));
        assert_eq!(string2d("inf"), Some(f64::INFINITY));
        assert_eq!(string2d("1e400"), None);
        assert_eq!(string2d("1e-400"), None);
        assert_eq!(string2d("nan"), None);
        assert_eq!(string2d(" 1"), None);
        assert_eq!(string2d("0.0"), Some(0.0));
    }

    // --- glob --------------------------------------------------------------------------------

    #[test]
    fn glob_matching() {
        let m = |p: &str, s: &str| glob_match(p.as_bytes(), s.as_bytes(), true);
        assert!(m("*", ""));
        assert!(m("*", "maxmemory"));
        assert!(m("max*", "MAXMEMORY"));
        assert!(m("MAX*ry", "maxmemory"));
        assert!(m("h?", "hz"));
        assert!(!m("h?", "h"));
        assert!(m("[h]z", "hz"));
        assert!(m("[a-i]z", "HZ"));
        assert!(m("[z-a]z", "hz")); // reversed ranges are swapped
        assert!(!m("[^h]z", "hz"));
        assert!(m("maxmemory-[^p]*", "maxmemory-samples"));
        assert!(!m("maxmemory-[^p]*", "maxmemory-policy"));
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("[\\]]", "]"));
        assert!(m("*of", "slaveof"));
        assert!(!m("*of", "slaveoff"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(m("[abc", "b")); // unterminated class runs to the end
        assert!(!glob_match(b"HZ", b"hz", false));
        // Pathological for naive recursion, linear here.
        let name = "a".repeat(60);
        assert!(!m(&format!("{}b", "a*".repeat(30)), &name));
    }

    #[test]
    fn keyspace_event_flags() {
        let f = |s: &str| keyspace_events_string_to_flags(s.as_bytes());
        assert_eq!(f(""), Some(0));
        assert_eq!(f("Q"), None);
        assert_eq!(
            f("KEA").map(keyspace_events_flags_to_string).as_deref(),
            Some("AKE")
        );
        assert_eq!(
            f("xgE").map(keyspace_events_flags_to_string).as_deref(),
            Some("gxE")
        );
        // 'A' hides 'n', exactly like Redis.
        assert_eq!(
            f("Anm").map(keyspace_events_flags_to_string).as_deref(),
            Some("Am")
        );
        assert_eq!(
            f("g$lshzxetd")
                .map(keyspace_events_flags_to_string)
                .as_deref(),
            Some("A")
        );
        assert_eq!(
            f("nK").map(keyspace_events_flags_to_string).as_deref(),
            Some("nK")
        );
    }

    // --- registry and CONFIG GET ---------------------------------------------------------------

    #[test]
    fn registry_names_are_unique_lowercase_and_consistent() {
        let mut seen = std::collections::HashSet::new();
        for e in all_entries() {
            let name = e.name();
            assert_eq!(name, name.to_ascii_lowercase());
            assert!(seen.insert(name), "duplicate {name}");
            assert_eq!(lookup(name.as_bytes()), Some(e));
        }
        // Every row must round-trip its own default through its setter (catches a getter and
        // setter wired to different fields).
        let defaults = Config::default();
        for def in CONFIGS.iter() {
            if def.flags & MULTI_ARG != 0 || matches!(def.kind, Kind::Special(_)) {
                continue;
            }
            let mut c = Config::default();
            let value = c.format_value(def);
            let mut st = LoadState::default();
            let changed = c.apply_args(def, &[value], &mut st);
            assert_eq!(changed, Ok(def.flags & VOLATILE != 0), "{}", def.name);
            assert_eq!(c, defaults, "{}", def.name);
        }
    }

    /// CONFIG GET * of a pristine redis-server 7.0.15 (minus `dir`, which is the cwd).
    const REDIS_DEFAULTS: &[(&str, &str)] = &[
        ("acl-pubsub-default", "resetchannels"),
        ("aclfile", ""),
        ("acllog-max-len", "128"),
        ("active-defrag-cycle-max", "25"),
        ("active-defrag-cycle-min", "1"),
        ("active-defrag-ignore-bytes", "104857600"),
        ("active-defrag-max-scan-fields", "1000"),
        ("active-defrag-threshold-lower", "10"),
        ("active-defrag-threshold-upper", "100"),
        ("active-expire-effort", "1"),
        ("activedefrag", "no"),
        ("activerehashing", "yes"),
        ("always-show-logo", "no"),
        ("aof-disable-auto-gc", "no"),
        ("aof-load-truncated", "yes"),
        ("aof-rewrite-incremental-fsync", "yes"),
        ("aof-timestamp-enabled", "no"),
        ("aof-use-rdb-preamble", "yes"),
        ("aof_rewrite_cpulist", ""),
        ("appenddirname", "appendonlydir"),
        ("appendfilename", "appendonly.aof"),
        ("appendfsync", "everysec"),
        ("appendonly", "no"),
        ("auto-aof-rewrite-min-size", "67108864"),
        ("auto-aof-rewrite-percentage", "100"),
        ("bgsave_cpulist", ""),
        ("bind", "127.0.0.1 -::1"),
        ("bind-source-addr", ""),
        ("bio_cpulist", ""),
        ("busy-reply-threshold", "5000"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("client-query-buffer-limit", "1073741824"),
        ("cluster-allow-pubsubshard-when-down", "yes"),
        ("cluster-allow-reads-when-down", "no"),
        ("cluster-allow-replica-migration", "yes"),
        ("cluster-announce-bus-port", "0"),
        ("cluster-announce-hostname", ""),
        ("cluster-announce-ip", ""),
        ("cluster-announce-port", "0"),
        ("cluster-announce-tls-port", "0"),
        ("cluster-config-file", "nodes.conf"),
        ("cluster-enabled", "no"),
        ("cluster-link-sendbuf-limit", "0"),
        ("cluster-migration-barrier", "1"),
        ("cluster-node-timeout", "15000"),
        ("cluster-port", "0"),
        ("cluster-preferred-endpoint-type", "ip"),
        ("cluster-replica-no-failover", "no"),
        ("cluster-replica-validity-factor", "10"),
        ("cluster-require-full-coverage", "yes"),
        ("cluster-slave-no-failover", "no"),
        ("cluster-slave-validity-factor", "10"),
        ("crash-log-enabled", "yes"),
        ("crash-memcheck-enabled", "yes"),
        ("daemonize", "no"),
        ("databases", "16"),
        ("dbfilename", "dump.rdb"),
        ("disable-thp", "yes"),
        ("dynamic-hz", "yes"),
        ("enable-debug-command", "no"),
        ("enable-module-command", "no"),
        ("enable-protected-configs", "no"),
        ("hash-max-listpack-entries", "512"),
        ("hash-max-listpack-value", "64"),
        ("hash-max-ziplist-entries", "512"),
        ("hash-max-ziplist-value", "64"),
        ("hll-sparse-max-bytes", "3000"),
        ("hz", "10"),
        ("ignore-warnings", ""),
        ("io-threads", "1"),
        ("io-threads-do-reads", "no"),
        ("jemalloc-bg-thread", "yes"),
        ("latency-monitor-threshold", "0"),
        ("latency-tracking", "yes"),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("lazyfree-lazy-eviction", "no"),
        ("lazyfree-lazy-expire", "no"),
        ("lazyfree-lazy-server-del", "no"),
        ("lazyfree-lazy-user-del", "no"),
        ("lazyfree-lazy-user-flush", "no"),
        ("lfu-decay-time", "1"),
        ("lfu-log-factor", "10"),
        ("list-compress-depth", "0"),
        ("list-max-listpack-size", "-2"),
        ("list-max-ziplist-size", "-2"),
        ("logfile", ""),
        ("loglevel", "notice"),
        ("lua-time-limit", "5000"),
        ("masterauth", ""),
        ("masteruser", ""),
        ("maxclients", "10000"),
        ("maxmemory", "0"),
        ("maxmemory-clients", "0"),
        ("maxmemory-eviction-tenacity", "10"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("min-replicas-max-lag", "10"),
        ("min-replicas-to-write", "0"),
        ("min-slaves-max-lag", "10"),
        ("min-slaves-to-write", "0"),
        ("no-appendfsync-on-rewrite", "no"),
        ("notify-keyspace-events", ""),
        ("oom-score-adj", "no"),
        ("oom-score-adj-values", "0 200 800"),
        ("pidfile", ""),
        ("port", "6379"),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"),
        ("propagation-error-behavior", "ignore"),
        ("protected-mode", "yes"),
        ("proto-max-bulk-len", "536870912"),
        ("rdb-del-sync-files", "no"),
        ("rdb-save-incremental-fsync", "yes"),
        ("rdbchecksum", "yes"),
        ("rdbcompression", "yes"),
        ("repl-backlog-size", "1048576"),
        ("repl-backlog-ttl", "3600"),
        ("repl-disable-tcp-nodelay", "no"),
        ("repl-diskless-load", "disabled"),
        ("repl-diskless-sync", "yes"),
        ("repl-diskless-sync-delay", "5"),
        ("repl-diskless-sync-max-replicas", "0"),
        ("repl-ping-replica-period", "10"),
        ("repl-ping-slave-period", "10"),
        ("repl-timeout", "60"),
        ("replica-announce-ip", ""),
        ("replica-announce-port", "0"),
        ("replica-announced", "yes"),
        ("replica-ignore-disk-write-errors", "no"),
        ("replica-ignore-maxmemory", "yes"),
        ("replica-lazy-flush", "no"),
        ("replica-priority", "100"),
        ("replica-read-only", "yes"),
        ("replica-serve-stale-data", "yes"),
        ("replicaof", ""),
        ("requirepass", ""),
        ("sanitize-dump-payload", "no"),
        ("save", "3600 1 300 100 60 10000"),
        ("server_cpulist", ""),
        ("set-max-intset-entries", "512"),
        ("set-proc-title", "yes"),
        ("shutdown-on-sigint", "default"),
        ("shutdown-on-sigterm", "default"),
        ("shutdown-timeout", "10"),
        ("slave-announce-ip", ""),
        ("slave-announce-port", "0"),
        ("slave-ignore-maxmemory", "yes"),
        ("slave-lazy-flush", "no"),
        ("slave-priority", "100"),
        ("slave-read-only", "yes"),
        ("slave-serve-stale-data", "yes"),
        ("slaveof", ""),
        ("slowlog-log-slower-than", "10000"),
        ("slowlog-max-len", "128"),
        ("socket-mark-id", "0"),
        ("stop-writes-on-bgsave-error", "yes"),
        ("stream-node-max-bytes", "4096"),
        ("stream-node-max-entries", "100"),
        ("supervised", "no"),
        ("syslog-enabled", "no"),
        ("syslog-facility", "local0"),
        ("syslog-ident", "redis"),
        ("tcp-backlog", "511"),
        ("tcp-keepalive", "300"),
        ("timeout", "0"),
        ("tls-auth-clients", "yes"),
        ("tls-ca-cert-dir", ""),
        ("tls-ca-cert-file", ""),
        ("tls-cert-file", ""),
        ("tls-ciphers", ""),
        ("tls-ciphersuites", ""),
        ("tls-client-cert-file", ""),
        ("tls-client-key-file", ""),
        ("tls-client-key-file-pass", ""),
        ("tls-cluster", "no"),
        ("tls-dh-params-file", ""),
        ("tls-key-file", ""),
        ("tls-key-file-pass", ""),
        ("tls-port", "0"),
        ("tls-prefer-server-ciphers", "no"),
        ("tls-protocols", ""),
        ("tls-replication", "no"),
        ("tls-session-cache-size", "20480"),
        ("tls-session-cache-timeout", "300"),
        ("tls-session-caching", "yes"),
        ("tracking-table-max-keys", "1000000"),
        ("unixsocket", ""),
        ("unixsocketperm", "0"),
        ("zset-max-listpack-entries", "128"),
        ("zset-max-listpack-value", "64"),
        ("zset-max-ziplist-entries", "128"),
        ("zset-max-ziplist-value", "64"),
    ];

    #[test]
    fn defaults_match_redis_byte_for_byte() {
        let c = Config::default();
        let mut ours = c.get(&[b"*"]);
        let dir = ours
            .iter()
            .position(|(k, _)| k == "dir")
            .expect("dir listed");
        assert_eq!(ours.remove(dir).1, current_dir_string());
        ours.sort();
        let mut expected: Vec<(String, String)> = REDIS_DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        expected.sort();
        assert_eq!(ours, expected);
    }

    #[test]
    fn get_exact_names_aliases_and_duplicates() {
        let c = Config::default();
        let g = |pats: &[&str]| {
            let pats: Vec<&[u8]> = pats.iter().map(|p| p.as_bytes()).collect();
            c.get(&pats)
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        // An exact name is reported as typed, once per call whatever its case.
        assert_eq!(g(&["HZ"]), vec![pair("HZ", "10")]);
        assert_eq!(g(&["hz", "hz", "HZ"]), vec![pair("hz", "10")]);
        assert_eq!(
            g(&["Slave-Read-Only"]),
            vec![pair("Slave-Read-Only", "yes")]
        );
        assert_eq!(g(&["nosuch"]), vec![]);
        // Hidden directives answer only to their exact name.
        assert_eq!(
            g(&["use-exit-on-panic"]),
            vec![pair("use-exit-on-panic", "no")]
        );
        assert_eq!(g(&["use-exit*"]), vec![]);
        // Backslashes alone don't make a pattern: "H\z" is looked up literally.
        assert_eq!(g(&["[h]z", "H\\z", "\\hz"]), vec![pair("hz", "10")]);
        // Patterns report registry names, including aliases.
        let mut of = g(&["*of"]);
        of.sort();
        assert_eq!(of, vec![pair("replicaof", ""), pair("slaveof", "")]);
        let mut slave = g(&["SLAVE-READ*"]);
        slave.sort();
        assert_eq!(slave, vec![pair("slave-read-only", "yes")]);
        // Several patterns, each name once.
        let res = g(&["maxmemory", "maxmemory*", "bind", "*of"]);
        let names: Vec<&str> = res.iter().map(|(k, _)| k.as_str()).collect();
        for expected in [
            "maxmemory",
            "maxmemory-samples",
            "maxmemory-clients",
            "bind",
            "slaveof",
        ] {
            assert_eq!(
                names.iter().filter(|n| **n == expected).count(),
                1,
                "{expected}"
            );
        }
        assert_eq!(g(&["*"]).len(), REDIS_DEFAULTS.len() + 1);
    }

    #[test]
    fn get_formats_special_values() {
        let c = Config::default();
        assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get1(&c, "bind"), "127.0.0.1 -::1");
        assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(get1(&c, "maxmemory-policy"), "noeviction");
        assert_eq!(get1(&c, "shutdown-on-sigint"), "default");
        assert_eq!(get1(&c, "proto-max-bulk-len"), "536870912");
        assert_eq!(get1(&c, "unixsocketperm"), "0");
        assert_eq!(get1(&c, "slaveof"), "");

        let c = load_config_from_str(
            "unixsocketperm 755\nmaxmemory-clients 5%\nshutdown-on-sigterm \"force now save\"\n\
             oom-score-adj relative\nbind 127.0.0.1 -::1\nreplicaof localhost 6380\n\
             notify-keyspace-events Kx\nmaxmemory 2gb\nlatency-tracking-info-percentiles 0.5 100",
        )
        .unwrap();
        assert_eq!(get1(&c, "unixsocketperm"), "755");
        assert_eq!(c.unixsocketperm, 0o755);
        assert_eq!(get1(&c, "maxmemory-clients"), "5%");
        assert_eq!(c.maxmemory_clients, -5);
        assert_eq!(get1(&c, "shutdown-on-sigterm"), "save now force");
        assert_eq!(get1(&c, "oom-score-adj"), "yes");
        assert_eq!(get1(&c, "bind"), "127.0.0.1 -::1");
        assert_eq!(get1(&c, "slaveof"), "localhost 6380");
        assert_eq!(get1(&c, "notify-keyspace-events"), "xK");
        assert_eq!(c.notify_keyspace_events, NOTIFY_KEYSPACE | NOTIFY_EXPIRED);
        assert_eq!(get1(&c, "maxmemory"), "2147483648");
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "0.5 100");
    }

    // --- CONFIG SET --------------------------------------------------------------------------

    #[test]
    fn set_error_texts() {
        let failed = |name: &str, reason: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        };
        let cases: &[(&str, &str, String)] = &[
            ("foo", "bar", "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
            ("daemonize", "yes", failed("daemonize", "can't set immutable config")),
            ("SLAVEOF", "no one", failed("SLAVEOF", "can't set immutable config")),
            ("dbfilename", "x", failed("dbfilename", "can't set protected config")),
            ("dir", "/", failed("dir", "can't set protected config")),
            ("protected-mode", "maybe", failed("protected-mode", "argument must be 'yes' or 'no'")),
            ("activedefrag", "yes", failed("activedefrag", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")),
            ("maxmemory", "1x", failed("maxmemory", "argument must be a memory value")),
            ("maxmemory", "-1", failed("maxmemory", "argument must be a memory value")),
            ("hz", "1.5", failed("hz", "argument couldn't be parsed into an integer")),
            ("HZ", "abc", failed("hz", "argument couldn't be parsed into an integer")),
            ("hz", " 1", failed("hz", "argument couldn't be parsed into an integer")),
            ("port", "70000", failed("port", "argument must be between 0 and 65535 inclusive")),
            ("maxclients", "-1", failed("maxclients", "argument must be between 1 and 4294967295 inclusive")),
            ("hash-max-ziplist-entries", "-1", failed("hash-max-ziplist-entries", "argument must be between 0 and 9223372036854775807 inclusive")),
            ("proto-max-bulk-len", "99999999999999999999", failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")),
            ("maxmemory-clients", "101%", failed("maxmemory-clients", "percentage argument must be less or equal to 100")),
            ("maxmemory-clients", "-5", failed("maxmemory-clients", "argument must be a memory or percent value")),
            ("maxmemory-policy", "foo", failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
            ("shutdown-on-sigint", "", failed("shutdown-on-sigint", "argument(s) must be one of the following: default, save, nosave, now, force")),
            ("shutdown-on-sigint", "save nosave", failed("shutdown-on-sigint", "shutdown options SAVE and NOSAVE can't be used simultaneously")),
            ("loglevel", "debug verbose", failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning")),
            ("notify-keyspace-events", "Q", failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
            ("save", "1 2 3", failed("save", "Invalid save parameters")),
            ("save", "100  10", failed("save", "Invalid save parameters")),
            ("save", "0 1", failed("save", "Invalid save parameters")),
            ("client-output-buffer-limit", "foo 1 2 3", failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")),
            ("client-output-buffer-limit", "master 1 1 1", failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")),
            ("client-output-buffer-limit", "normal 1 2", failed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration.")),
            ("client-output-buffer-limit", "normal x 2 3", failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")),
            ("oom-score-adj-values", "0  200 800", failed("oom-score-adj-values", "wrong number of arguments")),
            ("oom-score-adj-values", "1 2 3000", failed("oom-score-adj-values", "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")),
            ("bind", &["a"; 17].join(" "), failed("bind", "Too many bind addresses specified.")),
            ("latency-tracking-info-percentiles", "a", failed("latency-tracking-info-percentiles", "Invalid latency-tracking-info-percentiles parameters")),
            ("latency-tracking-info-percentiles", "101", failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")),
            ("proc-title-template", "{title}", failed("proc-title-template", "template format is invalid or contains unknown variables")),
            ("proc-title-template", "{foo} x", failed("proc-title-template", "template format is invalid or contains unknown variables")),
            ("cluster-announce-hostname", "a_b", failed("cluster-announce-hostname", "Hostnames may only contain alphanumeric characters, hyphens or dots")),
            ("cluster-announce-hostname", &"a".repeat(256), failed("cluster-announce-hostname", "Hostnames must be less than 256 characters")),
        ];
        for (name, value, expected) in cases {
            let mut c = Config::default();
            assert_eq!(
                set1(&mut c, name, value).as_ref(),
                Err(expected),
                "{name} {value:?}"
            );
            assert_eq!(c, Config::default(), "{name} must not change anything");
        }
    }

    #[test]
    fn set_accepts_and_formats() {
        let mut c = Config::default();
        let cases: &[(&str, &str, &str)] = &[
            ("maxmemory", "1K", "1000"),
            ("maxmemory", "1Gb", "1073741824"),
            ("maxmemory", "", "0"),
            (
                "maxmemory",
                "99999999999999999999999",
                "18446744073709551615",
            ),
            ("maxmemory-clients", "10%", "10%"),
            ("maxmemory-clients", "0%", "0"),
            ("maxmemory-clients", "1mb", "1048576"),
            ("hz", "0", "1"),
            ("hz", "100000", "500"),
            ("repl-backlog-size", "1", "16384"),
            ("save", "100 10 200 20", "100 10 200 20"),
            ("save", "", ""),
            ("save", "100 ", "100 0"), // strtoll reads "" as 0, as Redis does
            ("shutdown-on-sigint", "FORCE now save", "save now force"),
            ("shutdown-on-sigint", "default", "default"),
            ("oom-score-adj", "relative", "yes"),
            ("loglevel", "WARNING", "warning"),
            (
                "client-output-buffer-limit",
                "replica 1mb 2k 3 pubsub 0 0 0",
                "normal 0 0 0 slave 1048576 2000 3 pubsub 0 0 0",
            ),
            (
                "client-output-buffer-limit",
                "",
                "normal 0 0 0 slave 1048576 2000 3 pubsub 0 0 0",
            ),
            ("notify-keyspace-events", "KEA", "AKE"),
            ("bind", "", ""),
            ("bind", "127.0.0.1 ::1", "127.0.0.1 ::1"),
            ("latency-tracking-info-percentiles", "", ""),
            (
                "latency-tracking-info-percentiles",
                "0.5 99.99 100",
                "0.5 99.99 100",
            ),
            ("slave-read-only", "No", "no"),
            ("requirepass", "secret", "secret"),
            ("requirepass", "", ""),
            ("list-max-ziplist-size", "-5", "-5"),
            ("slowlog-log-slower-than", "-1", "-1"),
            ("proc-title-template", "{{ {port} x", "{{ {port} x"),
        ];
        for (name, value, shown) in cases {
            assert!(set1(&mut c, name, value).is_ok(), "{name} {value:?}");
            assert_eq!(get1(&c, name), *shown, "{name} {value:?}");
        }
        assert_eq!(c.requirepass, None);
        assert_eq!(c.list_max_listpack_size, -5);
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert_eq!(
            c.save,
            vec![SaveParam {
                seconds: 100,
                changes: 0
            }]
        );
        assert_eq!(c.shutdown_on_sigint, 0);
        assert!(c.bind.iter().eq(["127.0.0.1", "::1"]));
        assert_eq!(
            c.client_output_buffer_limit[ClientClass::Replica as usize],
            ClientBufferLimit {
                hard_limit_bytes: 1 << 20,
                soft_limit_bytes: 2000,
                soft_limit_seconds: 3
            }
        );
    }

    #[test]
    fn set_is_atomic_and_reports_changes() {
        let mut c = Config::default();
        let before = c.clone();
        let err = c
            .set(&[
                (b"maxmemory", b"10000001"),
                (b"maxmemory-clients", b"200%"),
                (b"client-query-buffer-limit", b"invalid"),
            ])
            .unwrap_err();
        assert_eq!(
            err,
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
             percentage argument must be less or equal to 100"
        );
        assert_eq!(c, before);

        // The first failure wins, and name checks come before value checks.
        assert_eq!(
            c.set(&[(b"hz", b"abc"), (b"foo", b"1")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            c.set(&[(b"daemonize", b"yes"), (b"foo", b"1")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            c.set(&[(b"hz", b"5"), (b"HZ", b"6")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
        );

        let changed = c
            .set(&[
                (b"maxmemory", b"1mb"),
                (b"HZ", b"10"),
                (b"slave-serve-stale-data", b"no"),
            ])
            .unwrap();
        assert_eq!(changed, vec!["maxmemory", "replica-serve-stale-data"]);
        assert_eq!(c.maxmemory, 1 << 20);
        assert!(!c.replica_serve_stale_data);

        // A name and its alias are distinct parameters in Redis: the later one wins.
        let changed = c
            .set(&[
                (b"hash-max-ziplist-entries", b"1"),
                (b"hash-max-listpack-entries", b"2"),
            ])
            .unwrap();
        assert_eq!(changed, vec!["hash-max-listpack-entries"]);
        assert_eq!(get1(&c, "hash-max-ziplist-entries"), "2");
        assert_eq!(c.set(&[]), Ok(vec![]));
    }

    #[test]
    fn set_context_protected_and_loading() {
        let mut c = load_config_from_str("enable-protected-configs local").unwrap();
        assert!(set1(&mut c, "dbfilename", "x.rdb").is_err());
        let local = SetContext {
            client_is_local: true,
            loading: false,
        };
        assert_eq!(
            c.set_with(&[(b"dbfilename", b"x.rdb")], local),
            Ok(vec!["dbfilename"])
        );
        assert_eq!(
            c.set_with(&[(b"dbfilename", b"a/b")], local).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"
        );
        let loading = SetContext {
            client_is_local: true,
            loading: true,
        };
        assert_eq!(
            c.set_with(&[(b"appendonly", b"yes")], loading).unwrap_err(),
            "LOADING Redis is loading the dataset in memory"
        );
        assert_eq!(
            c.set_with(&[(b"loglevel", b"debug")], loading),
            Ok(vec!["loglevel"])
        );
        assert!(is_immutable(b"DATABASES"));
        assert!(is_sensitive(b"requirepass"));
        assert!(is_protected(b"dir"));
        assert_eq!(canonical_name(b"SLAVEOF"), Some("replicaof"));
        assert!(allow_protected_action(ProtectedAction::Yes, false));
        assert!(MaxmemoryPolicy::AllkeysLru.is_lru() && !MaxmemoryPolicy::AllkeysLru.is_lfu());
        assert!(
            MaxmemoryPolicy::VolatileLfu.is_volatile() && MaxmemoryPolicy::VolatileLfu.is_lfu()
        );
        assert_eq!(MaxmemoryPolicy::VolatileTtl.to_string(), "volatile-ttl");
        assert!(!allow_protected_action(ProtectedAction::Local, false));
    }

    #[test]
    fn set_dir_changes_directory_or_fails_cleanly() {
        let mut c = load_config_from_str("enable-protected-configs yes").unwrap();
        let cwd = current_dir_string();
        let missing = temp_path("missing-dir");
        let missing = missing.to_string_lossy();
        assert_eq!(
            set1(&mut c, "dir", &missing).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
        );
        // Setting it to the current directory succeeds without moving anything.
        assert_eq!(set1(&mut c, "dir", &cwd), Ok(vec!["dir"]));
        assert_eq!(get1(&c, "dir"), cwd);
    }

    // --- loading -----------------------------------------------------------------------------

    #[test]
    fn load_file_with_include_and_save_rules() {
        let child = write_temp("child.conf", "maxmemory 10mb\nsave 100 1\n");
        let main = write_temp(
            "main.conf",
            &format!(
                "# comment\n\n   PORT 7000  \nsave 900 1\nsave 300 10\ninclude {child}\n\
                 save 60 100\nslave-read-only no\nlist-max-ziplist-entries 5\n\
                 rename-command flushall \"\"\nuser alice on >pw ~* +@all\n\
                 loadmodule /x/mod.so a b\nmymod.opt 1 2\nmymod.opt 3\nhz 0\n\
                 sentinel\nsave \"\"\nsave 5 5\n"
            ),
        );
        let c = load_server_config(Some(&main), "maxmemory-policy allkeys-lru\nhz 7").unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.maxmemory, 10 << 20);
        // `save 900 1`, `save 300 10` then the include's `save 100 1` append; after the include
        // ends, each `save` replaces (Redis quirk): "" then "5 5".
        assert_eq!(get1(&c, "save"), "5 5");
        assert!(!c.replica_read_only);
        assert_eq!(
            c.rename_commands,
            vec![("flushall".to_string(), String::new())]
        );
        assert_eq!(c.users, vec![vec!["alice", "on", ">pw", "~*", "+@all"]]);
        assert_eq!(
            c.loadmodules,
            vec![LoadModule {
                path: "/x/mod.so".into(),
                args: vec!["a".into(), "b".into()]
            }]
        );
        assert_eq!(
            c.module_configs,
            vec![("mymod.opt".to_string(), "3".to_string())]
        );
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        assert_eq!(c.hz, 7);
        assert_eq!(c.config_file.as_deref(), Some(main.as_str()));

        let c = load_config_from_str("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(get1(&c, "save"), "900 1 300 10");
        let c = load_config_from_str("hz 0").unwrap();
        assert_eq!(c.hz, 1);
        let c = load_config_from_str("repl-backlog-size 1").unwrap();
        assert_eq!(c.repl_backlog_size, 1);
    }

    #[test]
    fn load_errors_name_the_line() {
        let bad = write_temp("bad.conf", "port 7803\nfoo bar\n");
        let err = load_server_config(Some(&bad), "").unwrap_err();
        assert_eq!(
            err,
            directive_error(2, "foo bar", "Bad directive or wrong number of arguments")
        );
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
        );

        let cases: &[(&str, ConfigError)] = &[
            (
                "\n  hz \"abc  ",
                directive_error(2, "hz \"abc", "Unbalanced quotes in configuration line"),
            ),
            (
                "port",
                directive_error(1, "port", "wrong number of arguments"),
            ),
            (
                "port 1 2",
                directive_error(1, "port 1 2", "wrong number of arguments"),
            ),
            (
                "include a b",
                directive_error(
                    1,
                    "include a b",
                    "Bad directive or wrong number of arguments",
                ),
            ),
            (
                "list-max-ziplist-entries 1 2",
                directive_error(
                    1,
                    "list-max-ziplist-entries 1 2",
                    "Bad directive or wrong number of arguments",
                ),
            ),
            (
                "sentinel monitor x",
                directive_error(
                    1,
                    "sentinel monitor x",
                    "sentinel directive while not in sentinel mode",
                ),
            ),
            (
                "mod.x",
                directive_error(1, "mod.x", "Module config specified without value"),
            ),
            (
                "unixsocketperm 999",
                directive_error(
                    1,
                    "unixsocketperm 999",
                    "argument couldn't be parsed as an octal number",
                ),
            ),
            (
                "unixsocketperm 1777",
                directive_error(
                    1,
                    "unixsocketperm 1777",
                    "argument must be between 0 and 777 inclusive",
                ),
            ),
            (
                "appendfilename \"\"",
                directive_error(1, "appendfilename \"\"", "appendfilename can't be empty"),
            ),
            (
                "replicaof 127.0.0.1 abc",
                directive_error(1, "replicaof 127.0.0.1 abc", "Invalid master port"),
            ),
            (
                "replicaof --127.0.0.1",
                directive_error(1, "replicaof --127.0.0.1", "wrong number of arguments"),
            ),
            (
                "cluster-enabled yes\nreplicaof 1.2.3.4 5",
                ConfigError::Directive {
                    line: None,
                    reason: "replicaof directive not allowed in cluster mode".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                load_config_from_str(text).unwrap_err(),
                *expected,
                "{text:?}"
            );
        }

        let missing = temp_path("nope.conf").to_string_lossy().into_owned();
        let err = load_server_config(Some(&missing), "").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Fatal error, can't open config file '{missing}': No such file or directory")
        );
        // An include error keeps the included file's own line number.
        let child = write_temp("child-bad.conf", "hz 5\n\nbogus line\n");
        let err = load_config_from_str(&format!("port 1\ninclude {child}")).unwrap_err();
        assert_eq!(
            err,
            directive_error(
                3,
                "bogus line",
                "Bad directive or wrong number of arguments"
            )
        );
        let err = load_config_from_str("logfile /nonexistent-dir/x.log").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory"
        );
    }

    #[test]
    fn include_with_wildcards() {
        let dir = temp_path("conf.d");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.conf"), "timeout 7\nhz 20\n").unwrap();
        std::fs::write(dir.join("a.conf"), "hz 33\n").unwrap();
        std::fs::write(dir.join(".hidden.conf"), "bogus\n").unwrap();
        let pattern = format!("{}/*.conf", dir.display());
        let c = load_config_from_str(&format!(
            "include {pattern}\ninclude {}/none/*.conf",
            dir.display()
        ))
        .unwrap();
        assert_eq!((c.hz, c.timeout), (20, 7)); // sorted: a.conf then b.conf
    }

    // --- command line ------------------------------------------------------------------------

    fn argv(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn load_argv(list: &[&str]) -> Result<Config, ConfigError> {
        let (file, options) = build_options_from_argv(&argv(list)).unwrap();
        load_server_config(file.as_deref(), &options)
    }

    #[test]
    fn argv_to_options_text() {
        let opts = |list: &[&str]| build_options_from_argv(&argv(list)).unwrap().1;
        assert_eq!(
            opts(&["--port", "7802", "--foo", "bar"]),
            "port \"7802\" \nfoo \"bar\" "
        );
        assert_eq!(
            opts(&["--save", "", "--loglevel", "verbose"]),
            "save \"\" \nloglevel \"verbose\" "
        );
        assert_eq!(
            opts(&["--save", "--loglevel", "verbose"]),
            "save \"\"\nloglevel \"verbose\" "
        );
        assert_eq!(
            opts(&["--loglevel", "verbose", "--save"]),
            "loglevel \"verbose\" \nsave \"\""
        );
        assert_eq!(
            opts(&["--port", "--bla", "--loglevel", "verbose"]),
            "port \"--bla\" \nloglevel \"verbose\" "
        );
        assert_eq!(
            opts(&["--maxmemory 700mb", "--maxmemory-policy volatile-lru"]),
            "maxmemory 700mb \nmaxmemory-policy volatile-lru "
        );
        assert_eq!(opts(&["--bind", "a b", "c"]), "bind \"a b\" \"c\" ");
        assert_eq!(opts(&["--x", "q\"\n"]), "x \"q\\\"\\n\" ");

        let (file, options) =
            build_options_from_argv(&argv(&["/etc/r.conf", "--port", "1"])).unwrap();
        assert_eq!(
            (file.as_deref(), options.as_str()),
            (Some("/etc/r.conf"), "port \"1\" ")
        );
        let (file, _) = build_options_from_argv(&argv(&["rel.conf"])).unwrap();
        assert_eq!(
            file,
            Some(format!(
                "{}/rel.conf",
                current_dir_string().trim_end_matches('/')
            ))
        );
        assert_eq!(
            build_options_from_argv(&argv(&["-", "--port", "1"]))
                .unwrap()
                .0
                .as_deref(),
            Some("-")
        );
        let parsed = parse_argv(&argv(&["/a.conf", "--hz", "5", "-"])).unwrap();
        assert_eq!(parsed.config_file.as_deref(), Some("/a.conf"));
        assert!(parsed.config_from_stdin);
        assert!(build_options_from_argv(&argv(&["/a.conf", "-"])).is_err());
        // A '-' in the middle is just a value.
        assert_eq!(
            parse_argv(&argv(&["--port", "1", "-", "--hz", "2"]))
                .unwrap()
                .options,
            "port \"1\" \"-\" \nhz \"2\" "
        );
    }

    #[test]
    fn argv_errors_and_startups_match_redis() {
        let err = |list: &[&str]| load_argv(list).unwrap_err();
        assert_eq!(
            err(&["--port", "7802", "--foo", "bar"]),
            directive_error(
                3,
                "foo \"bar\"",
                "Bad directive or wrong number of arguments"
            )
        );
        assert_eq!(
            err(&["--port"]),
            directive_error(2, "port", "wrong number of arguments")
        );
        assert_eq!(
            err(&["--port", "6379", "6380"]),
            directive_error(2, "port \"6379\" \"6380\"", "wrong number of arguments")
        );
        assert_eq!(
            err(&["--port", "--loglevel", "verbose"]),
            directive_error(
                2,
                "port \"--loglevel\" \"verbose\"",
                "wrong number of arguments"
            )
        );
        assert_eq!(
            err(&["--port", "--bla", "--loglevel", "verbose"]),
            directive_error(
                2,
                "port \"--bla\"",
                "argument couldn't be parsed into an integer"
            )
        );
        assert_eq!(
            err(&["--shutdown-on-sigint"]),
            directive_error(
                2,
                "shutdown-on-sigint",
                "argument(s) must be one of the following: default, save, nosave, now, force"
            )
        );
        assert_eq!(
            err(&["--replicaof", "--127.0.0.1", "abc"]),
            directive_error(
                2,
                "replicaof \"--127.0.0.1\" \"abc\"",
                "Invalid master port"
            )
        );

        let ok = |list: &[&str]| load_argv(list).unwrap();
        assert_eq!(get1(&ok(&["--save", "--loglevel", "verbose"]), "save"), "");
        assert_eq!(
            get1(&ok(&["--save", "900 1", "--save", "300 10"]), "save"),
            "900 1 300 10"
        );
        let c = ok(&[
            "--proc-title-template",
            "--save",
            "--save",
            "",
            "--loglevel",
            "verbose",
        ]);
        assert_eq!(
            (c.proc_title_template.as_str(), get1(&c, "save").as_str()),
            ("--save", "")
        );
        assert_eq!(c.loglevel, LogLevel::Verbose);
        let c = ok(&[
            "--shutdown-on-sigint",
            "nosave",
            "force",
            "now",
            "--shutdown-on-sigterm",
            "nosave force",
        ]);
        assert_eq!(get1(&c, "shutdown-on-sigint"), "nosave now force");
        assert_eq!(get1(&c, "shutdown-on-sigterm"), "nosave force");
        // Bare words right after the config file start the options text as a directive.
        let file = write_temp("argv.conf", "port 1\n");
        let c = ok(&[
            &file,
            "loglevel",
            "verbose",
            "--maxmemory '700mb'",
            "--maxmemory-policy 'volatile-lru'",
        ]);
        assert_eq!(
            (c.maxmemory, c.maxmemory_policy),
            (734003200, MaxmemoryPolicy::VolatileLru)
        );
        assert_eq!((c.port, c.loglevel), (1, LogLevel::Verbose));
    }
}
