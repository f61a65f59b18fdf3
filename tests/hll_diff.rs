//! Differential tests for HyperLogLog: the same commands go to a real
//! `redis-server` and to ferrodis and the replies must match byte for
//! byte. A sketch is a plain string, so after every change the test also
//! compares GET of the raw sketch: the sparse opcodes, the dense register
//! packing, the header and its cached cardinality must be Redis's exact
//! bytes. The dirty counter (`rdb_changes_since_last_save`) is compared
//! too, since it decides what is propagated. Skipped, with a printed
//! reason, where redis-server is not installed.

mod common;

use common::{parse_line, read_one, show, Conn, Pair, Rng};

impl Pair {
    fn both_args(&mut self, args: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        (self.redis.cmd_args(args), self.ours.cmd_args(args))
    }

    fn same_args(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let (a, b) = self.both_args(args);
        let what: Vec<String> = args
            .iter()
            .map(|a| {
                let s = show(a);
                if s.len() > 60 {
                    format!("{}...({} bytes)", &s[..60.min(s.len())], a.len())
                } else {
                    s
                }
            })
            .collect();
        assert!(
            a == b,
            "reply differs for: {}\nredis: {}\nours:  {}",
            what.join(" "),
            show(&a),
            show(&b)
        );
        a
    }

    fn same(&mut self, line: &str) -> Vec<u8> {
        let args = parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        self.same_args(&refs)
    }

    /// The value of `rdb_changes_since_last_save` on both servers must match.
    fn same_dirty(&mut self, after: &str) {
        let field = |reply: Vec<u8>| -> String {
            show(&reply)
                .lines()
                .find(|l| l.starts_with("rdb_changes_since_last_save:"))
                .unwrap_or("")
                .to_string()
        };
        let a = field(self.redis.cmd("INFO persistence"));
        let b = field(self.ours.cmd("INFO persistence"));
        assert_eq!(b, a, "dirty counter differs after: {}", after);
    }
}

macro_rules! pair_or_skip {
    () => {
        match Pair::new() {
            Some(p) => p,
            None => return,
        }
    };
}

/// Each line runs on both servers; the replies must match.
const FIXED: &str = r"
PFADD h
EXISTS h
GET h
OBJECT ENCODING h
PFCOUNT h
PFADD h a b c
PFADD h a b c
GET h
PFCOUNT h
GET h
PFADD h \e
PFCOUNT h
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG GETREG h
PFDEBUG ENCODING h
PFDEBUG DECODE h
GET h
PFDEBUG TODENSE h
PFDEBUG Bogus h
PFDEBUG getreg nokey
PFDEBUG nosuch nokey
PFCOUNT nokey
PFCOUNT nokey1 nokey2
PFMERGE dst
GET dst
PFMERGE dst nokey
PFADD h1 a b c
PFADD h2 b c d
PFADD h3 c d e
PFMERGE hu h1 h2 h3
PFCOUNT hu
GET hu
PFCOUNT h1 h2 h3
PFCOUNT h1 nokey h3
PFMERGE h1 h
PFDEBUG ENCODING h1
GET h1
PFCOUNT h1
SET s hello
PFADD s x
PFCOUNT s
PFCOUNT h1 s
PFMERGE h1 s
PFMERGE s h1
PFDEBUG ENCODING s
SET n 12345
PFADD n x
RPUSH l a
PFADD l x
PFCOUNT l
PFCOUNT h l
PFMERGE l h
PFMERGE h l
PFDEBUG ENCODING l
SET short HYLL
PFCOUNT short
PFADD e1
APPEND e1 hello
PFCOUNT e1
PFADD e1 zz
PFCOUNT e1 h
PFMERGE x e1
EXISTS x
PFADD e2 a b c
SETRANGE e2 0 0123
PFCOUNT e2
PFADD e3 a b c
SETRANGE e3 4 x
PFCOUNT e3
PFADD e4 a b c
SETRANGE e4 4 \x00
PFCOUNT e4
PFDEBUG ENCODING e4
PFADD e5 a b c
SETRANGE e5 4 \x02
PFCOUNT e5
PFADD c a b c
PFCOUNT c
GETRANGE c 15 15
PFADD c a b c
GETRANGE c 15 15
PFADD c 1 2 3
GETRANGE c 15 15
OBJECT ENCODING c
";

#[test]
fn fixed_script() {
    let mut p = pair_or_skip!();
    for line in FIXED.lines().filter(|l| !l.is_empty()) {
        // `\x00` and `\x02` in the script stand for single raw bytes.
        let line = line.replace("\\x00", "\u{0}").replace("\\x02", "\u{2}");
        p.same(&line);
        p.same_dirty(&line);
    }
}

/// Sketches set wholesale with SET: an embstr sketch, a crafted sparse
/// value with a run that ends early, one with trailing garbage, a cut off
/// XZERO, and a dense value with out-of-range registers.
#[test]
fn crafted_values() {
    let mut p = pair_or_skip!();
    let hdr = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let mut cases: Vec<Vec<u8>> = vec![
        [&hdr[..], b"\x7f\xff"].concat(),             // valid, empty
        [&hdr[..], b"\x7f\xfe"].concat(),             // 16383 registers
        [&hdr[..], b"\x7f\xfe\x80"].concat(),         // + VAL: valid
        [&hdr[..], b"\x7f\xfe\x80\x00"].concat(),     // overflow
        [&hdr[..], b"\x7f"].concat(),                 // cut XZERO
        [&hdr[..], b"\x40"].concat(),                 // cut XZERO
        [&hdr[..], b"\x80\x80\x80\x7f\xfb"].concat(), // mergeable VALs
        [&hdr[..], b"\x83\x7f\xfb"].concat(),         // VAL of 4
        [&hdr[..], b"\x00\x7f\xfe"].concat(),         // ZERO of 1
        [&hdr[..], b"\x40\x00\x7f\xfe"].concat(),     // XZERO of 1
        hdr.clone(),                                  // no opcodes
    ];
    // A dense sketch whose registers are all 63 and one with a stale cache.
    let mut dense = b"HYLL\0\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    dense.resize(12304, 0xff);
    cases.push(dense);
    let mut dense0 = b"HYLL\0\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    dense0.resize(12304, 0);
    cases.push(dense0);
    for (i, v) in cases.iter().enumerate() {
        let key = format!("k{}", i);
        let k = key.as_bytes();
        p.same_args(&[b"SET", k, v]);
        p.same_args(&[b"OBJECT", b"ENCODING", k]);
        p.same_args(&[b"PFDEBUG", b"DECODE", k]);
        p.same_args(&[b"PFCOUNT", k]);
        p.same_args(&[b"GET", k]);
        p.same_args(&[b"PFCOUNT", k, b"k0"]);
        p.same_args(&[b"PFMERGE", b"m", k]);
        p.same_args(&[b"GET", b"m"]);
        p.same_args(&[b"DEL", b"m"]);
        p.same_args(&[b"PFADD", k, b"a", b"b", b"c", b"d", b"e"]);
        p.same_args(&[b"GET", k]);
        p.same_args(&[b"OBJECT", b"ENCODING", k]);
        p.same_args(&[b"PFADD", k, b"f"]);
        p.same_args(&[b"GET", k]);
        p.same_args(&[b"PFDEBUG", b"GETREG", k]);
        p.same_args(&[b"GET", k]);
        p.same_dirty(&key);
    }
}

/// Growth from sparse to dense under several `hll-sparse-max-bytes`
/// settings, comparing the raw bytes after every batch.
#[test]
fn sparse_to_dense_promotion() {
    let mut p = pair_or_skip!();
    for limit in ["0", "100", "3000", "10000"] {
        p.same(&format!("CONFIG SET hll-sparse-max-bytes {}", limit));
        p.same("DEL hll");
        let mut n = 0;
        for batch in 0..60 {
            let size = 1 + batch * 7;
            let mut args: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), b"hll".to_vec()];
            for _ in 0..size {
                args.push(format!("e{}-{}", limit, n).into_bytes());
                n += 1;
            }
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            p.same_args(&refs);
            p.same("GET hll");
            p.same("PFDEBUG ENCODING hll");
            p.same("PFCOUNT hll");
            p.same("GET hll");
        }
        p.same_dirty(limit);
    }
    p.same("CONFIG SET hll-sparse-max-bytes 3000");
}

/// Keyspace events of PFADD and PFMERGE: the messages a subscriber sees.
#[test]
fn keyspace_notifications() {
    let mut p = pair_or_skip!();
    p.same("CONFIG SET notify-keyspace-events KEA");
    let (rp, op) = p.ports;
    let mut subs = [Conn::connect(rp), Conn::connect(op)];
    for s in subs.iter_mut() {
        s.cmd("PSUBSCRIBE *");
    }
    for line in [
        "PFADD a x y",
        "PFADD a x",
        "PFADD b",
        "PFCOUNT a",
        "PFCOUNT a",
        "PFMERGE c a b",
        "PFMERGE c",
        "PFDEBUG TODENSE c",
        "PUBLISH done x",
    ] {
        p.same(line);
    }
    let mut got = Vec::new();
    for s in subs.iter_mut() {
        let mut msgs = Vec::new();
        loop {
            let mut out = Vec::new();
            read_one(&mut s.r, &mut out).expect("event");
            let text = show(&out);
            if text.contains("\r\ndone\r\n") {
                break;
            }
            msgs.push(text);
        }
        got.push(msgs);
    }
    assert!(got[0].iter().any(|m| m.contains("pfadd")), "{:?}", got[0]);
    assert_eq!(got[1], got[0]);
}

/// Random PFADD / PFMERGE / PFCOUNT / PFDEBUG streams over a few keys,
/// with the occasional byte corruption, from a fixed seed.
#[test]
fn randomized_stream() {
    let mut p = pair_or_skip!();
    let mut rng = Rng::new(0x5eed_4a11);
    p.same("CONFIG SET hll-sparse-max-bytes 600");
    let keys = ["r0", "r1", "r2", "r3"];
    for step in 0..3000 {
        let k = keys[rng.below(4) as usize];
        let k2 = keys[rng.below(4) as usize];
        let line = match rng.below(20) {
            0..=8 => {
                let big = rng.below(10) == 0;
                let n = rng.below(if big { 300 } else { 8 });
                let pool = 1 + rng.below(5000);
                let mut l = format!("PFADD {}", k);
                for _ in 0..n {
                    l.push_str(&format!(" {}", rng.below(pool)));
                }
                l
            }
            9..=10 => format!("PFCOUNT {}", k),
            11 => format!("PFCOUNT {} {} nokey", k, k2),
            12..=13 => format!("PFMERGE {} {}", k, k2),
            14 => format!("PFMERGE {} {} {}", k2, k, keys[rng.below(4) as usize]),
            15 => format!("PFDEBUG TODENSE {}", k),
            16 => format!("DEL {}", k),
            17 => {
                // Corrupt one byte somewhere after the magic.
                let pos = 4 + rng.below(40);
                let byte = rng.below(256) as u8;
                let args: Vec<Vec<u8>> = vec![
                    b"SETRANGE".to_vec(),
                    k.as_bytes().to_vec(),
                    pos.to_string().into_bytes(),
                    vec![byte],
                ];
                let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                p.same_args(&refs);
                format!("PFCOUNT {}", k)
            }
            18 => format!("PFDEBUG ENCODING {}", k),
            _ => format!("PFDEBUG DECODE {}", k),
        };
        p.same(&line);
        for k in keys {
            p.same(&format!("GET {}", k));
        }
        if step % 50 == 0 {
            p.same_dirty(&line);
        }
    }
    p.same_dirty("end");
}
