//! Glob-style pattern matching with Redis 7.0's exact semantics and quirks.
//!
//! Redis counterpart: `util.c` `stringmatchlen` (and its helper
//! `stringmatchlen_impl`), used by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE and
//! PUBSUB CHANNELS/NUMPAT, CONFIG GET (case-insensitive) and ACL key/channel patterns.
//!
//! Syntax: `*` any run (possibly empty), `?` any one byte, `[abc]` a set, `[^abc]` its
//! complement, `[a-z]` a range, `\x` a literal `x` (inside and outside sets). Quirks
//! kept on purpose, because clients can observe them:
//! - An empty subject only matches an empty pattern: `*` does not match `""`.
//! - Range ends compare as C `char`, which is signed on x86-64: bytes 0x80..=0xff sort
//!   below 0x00, so `[a-\xff]` means -1..=97 and matches 0xff and 0x00..=a but not é.
//!   Reversed ranges (`[z-a]`) are swapped. With `nocase` the ends and the subject are
//!   lower-cased after swapping (so `[Z-a]` matches nothing case-insensitively).
//! - An escaped byte inside a set is compared case-sensitively even with `nocase`.
//! - A `-` that would need a byte after the pattern's end is a literal, and a set can
//!   swallow its own `]` as a range end: `[a-]` is the range `]`..=`a`, still open.
//! - An unterminated set (`[abc`) ends at the end of the pattern; `[` alone matches
//!   nothing, `[^` any one byte. A trailing lone `\` matches a literal backslash.
//! - More than 1000 nested `*` groups fail the match (Redis's nesting guard), even
//!   where a true glob matcher would succeed.
//!
//! Invariants: never panics, never recurses, O(1) extra memory; bytes past the end of
//! the pattern read as NUL, as they do for Redis's NUL-terminated sds strings.

/// Redis's `stringmatchlen_impl` gives up beyond this many nested `*` groups.
const MAX_NESTING: usize = 1000;

/// Returns whether `string` matches the glob `pattern`, exactly as Redis 7.0's
/// `stringmatchlen(pattern, string, nocase)` does (see the module docs for the quirks).
/// `nocase` folds ASCII letters only, as C `tolower` does in the "C" locale.
///
/// # Algorithm
/// Problem: glob matching with `*` backtracks; the naive recursion is exponential for
/// patterns like `*a*a*a*a*b` and its depth grows with the number of stars, while a
/// client may send a pattern of hundreds of megabytes.
///
/// Idea: Redis recurses at each `*`, trying the rest of the pattern at every later
/// position of the subject, and uses a shared "skip longer matches" flag: once the
/// rest of the pattern after some `*` failed at *every* remaining position, no earlier
/// `*` can help by consuming more (that would only start the same rest later), so the
/// whole match fails. Consequently a call that reaches its own `*` never returns to its
/// caller with anything but a final answer (match, or the flag set). Only the innermost
/// `*` is ever backtracked into, so the recursion collapses to a loop that remembers
/// one star: where the rest of the pattern starts, the next subject position to try,
/// and its nesting depth (to keep Redis's limit of 1000 nested groups bit-exact).
///
/// Budget: each attempt from the innermost star scans at most the pattern segment up to
/// the next star, and a star is abandoned for good once the subject is exhausted, so the
/// work is O(pattern length x subject length) in the worst case and usually linear.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut innermost: Option<Star> = None;
    let mut p = 0;
    let mut s = 0;
    let mut depth = 0;
    loop {
        // One "call" of Redis's recursive matcher, starting at (p, s).
        if depth <= MAX_NESTING {
            match match_segment(pattern, string, p, s, nocase) {
                Segment::Matched => return true,
                Segment::Failed => {}
                Segment::Star { rest, at } => {
                    let star = Star {
                        rest,
                        next: at,
                        depth,
                    };
                    innermost = Some(star);
                    p = rest;
                    s = at;
                    depth += 1;
                    continue;
                }
            }
        }
        // That call failed: the innermost star tries one byte further along.
        let Some(star) = innermost.as_mut() else {
            return false;
        };
        star.next += 1;
        if star.next == string.len() {
            // Rest of the pattern failed everywhere: Redis's skipLongerMatches.
            return false;
        }
        p = star.rest;
        s = star.next;
        depth = star.depth + 1;
    }
}

/// The innermost `*` being backtracked.
struct Star {
    /// Pattern index just after the run of `*`.
    rest: usize,
    /// Subject index where the rest of the pattern is being tried.
    next: usize,
    /// Nesting depth of the call that met this star.
    depth: usize,
}

enum Segment {
    Matched,
    Failed,
    /// Met a `*` (not the last pattern byte) with subject bytes left: the rest of the
    /// pattern starts at `rest` and must be tried from `at` onwards.
    Star {
        rest: usize,
        at: usize,
    },
}

/// Pattern byte at `i`, or NUL past the end (Redis patterns are NUL-terminated sds).
fn at(pattern: &[u8], i: usize) -> u8 {
    pattern.get(i).copied().unwrap_or(0)
}

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// Matches from (p, s) up to the first `*` (or the end), the straight-line part of one
/// invocation of Redis's matcher.
fn match_segment(
    pattern: &[u8],
    string: &[u8],
    mut p: usize,
    mut s: usize,
    nocase: bool,
) -> Segment {
    let plen = pattern.len();
    while p < plen && s < string.len() {
        match pattern[p] {
            b'*' => {
                while at(pattern, p + 1) == b'*' {
                    p += 1;
                }
                if p + 1 == plen {
                    return Segment::Matched; // a trailing star eats the rest
                }
                return Segment::Star { rest: p + 1, at: s };
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = at(pattern, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    let left = plen - p; // p never passes plen inside a set
                    let b = at(pattern, p);
                    if b == b'\\' && left >= 2 {
                        p += 1;
                        matched |= pattern[p] == c; // escapes ignore nocase
                    } else if b == b']' {
                        break;
                    } else if left == 0 {
                        p -= 1; // unterminated: leave p on the last pattern byte
                        break;
                    } else if left >= 3 && pattern[p + 1] == b'-' {
                        matched |= in_range(b, pattern[p + 2], c, nocase);
                        p += 2;
                    } else {
                        matched |= fold(b, nocase) == fold(c, nocase);
                    }
                    p += 1;
                }
                if matched == negate {
                    return Segment::Failed;
                }
                s += 1;
            }
            first => {
                let literal = if first == b'\\' && plen - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    first
                };
                if fold(literal, nocase) != fold(string[s], nocase) {
                    return Segment::Failed;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while at(pattern, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    if p == plen && s == string.len() {
        Segment::Matched
    } else {
        Segment::Failed
    }
}

/// `[start-end]` test with C's signed `char` comparisons (see module docs).
fn in_range(start: u8, end: u8, c: u8, nocase: bool) -> bool {
    let signed = |b: u8| i32::from(b as i8);
    let lower = |v: i32| {
        if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
            v + 32
        } else {
            v
        }
    };
    let (mut lo, mut hi) = (signed(start), signed(end));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    let (lo, hi, c) = (lower(lo), lower(hi), lower(signed(c)));
    (lo..=hi).contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn basic_table() {
        let yes: &[(&str, &str)] = &[
            ("", ""),
            ("a", "a"),
            ("*", "a"),
            ("*", "anything"),
            ("**", "x"),
            ("a*", "a"),
            ("a**", "a"),
            ("*a", "a"),
            ("*a", "bba"),
            ("a*b", "ab"),
            ("a*b", "axxxb"),
            ("?", "x"),
            ("??", "xy"),
            ("h?llo", "hello"),
            ("h*llo", "hllo"),
            ("h[ae]llo", "hallo"),
            ("h[^e]llo", "hallo"),
            ("h[a-b]llo", "hbllo"),
            ("h[b-a]llo", "hallo"),
            ("[z-a]", "m"),
            ("\\*", "*"),
            ("\\?", "?"),
            ("a\\", "a\\"),
            ("\\", "\\"),
            ("[\\]]", "]"),
            ("[\\-]", "-"),
            ("[a-]", "]"),
            ("[a-]", "a"),
            ("[a-]", "^"),
            ("[a-]b", "b"),
            ("[abc", "a"),
            ("[abc", "c"),
            ("[^", "x"),
            ("[^]", "x"),
            ("[^]", "]"), // "[^]" is the complement of the empty set
            ("x[a-", "x-"),
            ("x[a-", "xa"),
            ("[ab\\", "\\"),
            ("*[ab\\", "zz\\"),
            ("a*[!]", "abc!"),
            ("user:*:name", "user:1000:name"),
        ];
        for &(p, s) in yes {
            assert!(m(p, s), "{p:?} should match {s:?}");
        }
        let no: &[(&str, &str)] = &[
            ("*", ""),
            ("**", ""),
            ("?", ""),
            ("a", ""),
            ("", "a"),
            ("a", "b"),
            ("a", "aa"),
            ("?", "xy"),
            ("h[^e]llo", "hello"),
            ("h[a-b]llo", "hcllo"),
            ("[", "["),
            ("[", "a"),
            ("[]", "a"), // "[]" is the empty set: nothing matches it
            ("[]", "]"),
            ("[]]", "]"),
            ("[]]", "]]"),
            ("x[a-", "xb"),
            ("x[a-", "x"),
            ("\\*", "a"),
            ("a*b", "a"),
            ("a*b", "abc"),
            ("[a-]b", "ab"), // the set swallowed "]b": one byte, then the pattern ends
            ("A", "a"),
            ("[A-Z]", "a"),
        ];
        for &(p, s) in no {
            assert!(!m(p, s), "{p:?} should not match {s:?}");
        }
    }

    #[test]
    fn nocase_table() {
        assert!(mi("HELLO", "hello"));
        assert!(mi("h*O", "hellO"));
        assert!(mi("[A-Z]", "q"));
        assert!(mi("[a-z]", "Q"));
        assert!(mi("[ABC]", "b"));
        assert!(!mi("[\\A]", "a")); // escapes inside sets stay case-sensitive
        assert!(mi("[\\A]", "A"));
        assert!(mi("\\A", "a")); // outside sets they fold
        assert!(!mi("[Z-a]", "z")); // swap then lower-case: 'z'..='a' is empty
        assert!(!mi("[Z-a]", "Z"));
        assert!(m("[Z-a]", "_"));
        assert!(mi("maxmemory*", "MaxMemory-Policy"));
    }

    #[test]
    fn signed_char_ranges_and_binary() {
        let b = |p: &[u8], s: &[u8]| string_match(p, s, false);
        assert!(b(b"[a-\xff]", b"\xff"));
        assert!(b(b"[a-\xff]", b"\x00"));
        assert!(b(b"[a-\xff]", b"a"));
        assert!(!b(b"[a-\xff]", b"b"));
        assert!(!b(b"[a-\xff]", b"\xe9"));
        assert!(b(b"[\x80-\x90]", b"\x85"));
        assert!(!b(b"[\x80-\x90]", b"a"));
        // 0x80 is -128: the range is -128..=1, so 0x85 and 0x00 are in and 'a' is out.
        assert!(b(b"[\x01-\x80]", b"\x85"));
        assert!(b(b"[\x01-\x80]", b"\x00"));
        assert!(!b(b"[\x01-\x80]", b"a"));
        assert!(b(b"a\x00b", b"a\x00b"));
        assert!(!b(b"a\x00b", b"a"));
        assert!(b(b"*\x00", b"xx\x00"));
        assert!(string_match(b"\xc9", b"\xc9", true));
        assert!(!string_match(b"\xc9", b"\xe9", true)); // no Latin-1 folding
    }

    #[test]
    fn nesting_limit() {
        let s = "a".repeat(1001);
        let groups = |n: usize| "*a".repeat(n);
        assert!(m(&groups(1000), &s));
        assert!(!m(&groups(1001), &s)); // a true glob would match; Redis gives up
        assert!(!m(&(groups(1001) + "*"), &s));
        assert!(!m(&"a*".repeat(1002), &"a".repeat(1002)));
        assert!(m(&"a*".repeat(1001), &"a".repeat(1001)));
        // A run of stars is one group, however long.
        assert!(m(&format!("a{}", "*".repeat(5000)), "a"));
        assert!(m(&format!("{}?", "?*".repeat(1000)), &s));
        assert!(!m(&format!("{}?", "?*".repeat(1001)), &"a".repeat(1002)));
    }

    #[test]
    fn pathological_patterns_finish() {
        let subject = "a".repeat(100_000);
        let pattern = format!("{}b", "*a".repeat(500));
        assert!(!m(&pattern, &subject));
        let pattern = format!("{}*b", "a*".repeat(30));
        assert!(!m(&pattern, &subject));
        let big_pattern = "*?".repeat(1 << 20);
        assert!(!m(&big_pattern, "abc"));
        let huge_class = format!("[{}", "a".repeat(1 << 22));
        assert!(!m(&huge_class, "b"));
    }

    /// Straightforward re-statement of Redis's semantics (tokenize, then naive
    /// backtracking with the nesting guard) used as an oracle for random testing.
    mod reference {
        #[derive(Debug)]
        enum Item {
            Byte(u8),
            Escaped(u8),
            Range(u8, u8),
        }

        #[derive(Debug)]
        enum Tok {
            Star,
            Any,
            Lit(u8),
            Set(bool, Vec<Item>),
        }

        fn tokenize(p: &[u8]) -> Vec<Tok> {
            let mut toks = Vec::new();
            let mut i = 0;
            while i < p.len() {
                match p[i] {
                    b'*' => {
                        if !matches!(toks.last(), Some(Tok::Star)) {
                            toks.push(Tok::Star);
                        }
                        i += 1;
                    }
                    b'?' => {
                        toks.push(Tok::Any);
                        i += 1;
                    }
                    b'\\' if i + 1 < p.len() => {
                        toks.push(Tok::Lit(p[i + 1]));
                        i += 2;
                    }
                    b'[' => {
                        i += 1;
                        let neg = p.get(i) == Some(&b'^');
                        if neg {
                            i += 1;
                        }
                        let mut items = Vec::new();
                        while i < p.len() {
                            if p[i] == b'\\' && i + 1 < p.len() {
                                items.push(Item::Escaped(p[i + 1]));
                                i += 2;
                            } else if p[i] == b']' {
                                i += 1;
                                break;
                            } else if i + 2 < p.len() && p[i + 1] == b'-' {
                                items.push(Item::Range(p[i], p[i + 2]));
                                i += 3;
                            } else {
                                items.push(Item::Byte(p[i]));
                                i += 1;
                            }
                        }
                        toks.push(Tok::Set(neg, items));
                    }
                    c => {
                        toks.push(Tok::Lit(c));
                        i += 1;
                    }
                }
            }
            toks
        }

        fn lower(c: i32, nocase: bool) -> i32 {
            if nocase && (65..=90).contains(&c) {
                c + 32
            } else {
                c
            }
        }

        fn one(t: &Tok, c: u8, nocase: bool) -> bool {
            let eq = |a: u8, b: u8| lower(a.into(), nocase) == lower(b.into(), nocase);
            match t {
                Tok::Star => unreachable!(),
                Tok::Any => true,
                Tok::Lit(l) => eq(*l, c),
                Tok::Set(neg, items) => {
                    let hit = items.iter().any(|it| match *it {
                        Item::Byte(b) => eq(b, c),
                        Item::Escaped(b) => b == c,
                        Item::Range(a, b) => {
                            let (a, b) = (a as i8 as i32, b as i8 as i32);
                            let (lo, hi) = (a.min(b), a.max(b));
                            let cc = lower(c as i8 as i32, nocase);
                            lower(lo, nocase) <= cc && cc <= lower(hi, nocase)
                        }
                    });
                    hit != *neg
                }
            }
        }

        fn go(toks: &[Tok], s: &[u8], depth: usize, nocase: bool) -> bool {
            if depth > 1000 {
                return false;
            }
            match toks.split_first() {
                None => s.is_empty(),
                Some((Tok::Star, rest)) => {
                    if rest.is_empty() {
                        return true;
                    }
                    (0..s.len()).any(|k| go(rest, &s[k..], depth + 1, nocase))
                }
                Some((t, rest)) => match s.split_first() {
                    None => false,
                    Some((&c, s_rest)) => {
                        one(t, c, nocase)
                            && if s_rest.is_empty() {
                                rest.iter().all(|t| matches!(t, Tok::Star))
                            } else {
                                go(rest, s_rest, depth, nocase)
                            }
                    }
                },
            }
        }

        pub fn matches(p: &[u8], s: &[u8], nocase: bool) -> bool {
            let toks = tokenize(p);
            if s.is_empty() {
                return p.is_empty();
            }
            go(&toks, s, 0, nocase)
        }
    }

    #[test]
    fn random_against_reference() {
        let alphabet = b"ab*?[]^-\\Az\xff\x80";
        let mut rng = 0x853c49e6748fea9bu64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n) as usize
        };
        for _ in 0..300_000 {
            let plen = next(9);
            let slen = next(8);
            let p: Vec<u8> = (0..plen)
                .map(|_| alphabet[next(alphabet.len() as u64)])
                .collect();
            let s: Vec<u8> = (0..slen)
                .map(|_| alphabet[next(alphabet.len() as u64)])
                .collect();
            let nocase = next(2) == 1;
            assert_eq!(
                string_match(&p, &s, nocase),
                reference::matches(&p, &s, nocase),
                "pattern {:?} subject {:?} nocase {nocase}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s)
            );
        }
    }

    #[test]
    fn random_star_heavy_against_reference() {
        let mut rng = 0xda3e39cb94b95bdbu64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n) as usize
        };
        for _ in 0..20_000 {
            let p: Vec<u8> = (0..next(14)).map(|_| b"a*b?*"[next(5)]).collect();
            let s: Vec<u8> = (0..next(16)).map(|_| b"ab"[next(2)]).collect();
            assert_eq!(
                string_match(&p, &s, false),
                reference::matches(&p, &s, false),
                "{:?} {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s)
            );
        }
    }

    /// Every field of `key` that `HSCAN ... MATCH pattern` returns.
    fn hscan_all(
        conn: &mut crate::util::real_redis::Conn,
        key: &[u8],
        pattern: &[u8],
    ) -> Vec<Vec<u8>> {
        let mut cursor = b"0".to_vec();
        let mut fields = Vec::new();
        loop {
            let reply = conn.cmd(&[b"HSCAN", key, &cursor, b"MATCH", pattern, b"COUNT", b"1000"]);
            let parts = reply.items();
            cursor = parts[0].bulk().expect("cursor").to_vec();
            for pair in parts[1].items().chunks(2) {
                fields.push(pair[0].bulk().expect("field").to_vec());
            }
            if cursor == b"0" {
                fields.sort();
                return fields;
            }
        }
    }

    /// Compares against a real redis-server through HSCAN MATCH, which filters hash
    /// fields with `stringmatchlen(pattern, field, nocase = 0)`. (The pattern `*` alone
    /// is skipped: SCAN treats it as "no filter", so it even returns the empty field.)
    #[test]
    fn differential_against_real_redis() {
        use crate::util::real_redis::{connect, next_rand};
        let Some(mut conn) = connect("glob::differential_against_real_redis") else {
            return;
        };
        let key: &[u8] = b"ferrodis-util-test:glob";
        conn.cmd(&[b"DEL", key]);
        let alphabet = b"ab*?[]^-\\Az\xff\x80";
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut pick = |n: usize| (next_rand(&mut rng) % n as u64) as usize;
        let mut subjects: Vec<Vec<u8>> = vec![Vec::new()];
        while subjects.len() < 120 {
            let len = pick(6);
            let s: Vec<u8> = (0..len).map(|_| alphabet[pick(alphabet.len())]).collect();
            if !subjects.contains(&s) {
                subjects.push(s);
            }
        }
        let mut hset = vec![b"HSET".to_vec(), key.to_vec()];
        for s in &subjects {
            hset.push(s.clone());
            hset.push(b"1".to_vec());
        }
        conn.pipeline(&[hset]);
        let patterns: Vec<Vec<u8>> = (0..4000)
            .map(|_| {
                (0..pick(9))
                    .map(|_| alphabet[pick(alphabet.len())])
                    .collect()
            })
            .filter(|p: &Vec<u8>| p.as_slice() != b"*")
            .collect();
        let cmds: Vec<Vec<Vec<u8>>> = patterns
            .iter()
            .map(|p| {
                [&b"HSCAN"[..], key, b"0", b"MATCH", p, b"COUNT", b"1000"]
                    .iter()
                    .map(|a| a.to_vec())
                    .collect()
            })
            .collect();
        let replies = conn.pipeline(&cmds);
        for (p, reply) in patterns.iter().zip(&replies) {
            let parts = reply.items();
            assert_eq!(
                parts[0].bulk(),
                Some(&b"0"[..]),
                "listpack HSCAN is one pass"
            );
            let mut got: Vec<&[u8]> = parts[1]
                .items()
                .chunks(2)
                .filter_map(|kv| kv[0].bulk())
                .collect();
            got.sort();
            let mut want: Vec<&[u8]> = subjects
                .iter()
                .filter(|s| string_match(p, s, false))
                .map(Vec::as_slice)
                .collect();
            want.sort();
            assert_eq!(got, want, "pattern {:?}", String::from_utf8_lossy(p));
        }

        // Deep patterns against long fields (a hashtable-encoded hash).
        let subjects: Vec<Vec<u8>> = [999, 1000, 1001, 1002]
            .iter()
            .flat_map(|&n| [b"a".repeat(n), b"ab".repeat(n / 2)])
            .collect();
        let mut hset = vec![b"HSET".to_vec(), key.to_vec()];
        for s in &subjects {
            hset.push(s.clone());
            hset.push(b"1".to_vec());
        }
        conn.cmd(&[b"DEL", key]);
        conn.pipeline(&[hset]);
        let deep = [
            "*a".repeat(999),
            "*a".repeat(1000),
            "*a".repeat(1001),
            "*a".repeat(1000) + "*",
            "*a".repeat(1001) + "*",
            "a*".repeat(1000),
            "a*".repeat(1001),
            "a*".repeat(1002),
            "?*".repeat(1000) + "?",
            "?*".repeat(1001) + "?",
            "*?".repeat(1001),
            "*ab".repeat(499) + "*",
            "*ab".repeat(501) + "*",
            "*b".repeat(501),
            format!("{}b", "*a".repeat(600)),
        ];
        for p in &deep {
            let got = hscan_all(&mut conn, key, p.as_bytes());
            let mut want: Vec<Vec<u8>> = subjects
                .iter()
                .filter(|s| string_match(p.as_bytes(), s, false))
                .cloned()
                .collect();
            want.sort();
            want.dedup();
            assert_eq!(got, want, "deep pattern of {} bytes", p.len());
        }
        conn.cmd(&[b"DEL", key]);
    }
}
