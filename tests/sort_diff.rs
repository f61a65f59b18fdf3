//! Differential tests for SORT and SORT_RO: the same commands go to a real
//! `redis-server` and to ferrodis, and every reply is compared byte for
//! byte, as are the keyspace notifications (`sortstore`, `new`, `del`).
//!
//! Orders Redis leaves open are avoided: a set sorted `BY nosort` without
//! STORE comes out in hash-table order, and ALPHA sorts by a BY pattern
//! leave equal weights in any order, so those cases are not replied whole.
//!
//! Skipped, with a printed reason, where redis-server is not installed.

mod common;

use common::{parse_line, show, start_ferrodis, start_redis, Conn, Rng, Server};

struct Pair {
    redis: Conn,
    ours: Conn,
    sub_redis: Conn,
    sub_ours: Conn,
    _servers: (Server, Server),
}

impl Pair {
    fn new() -> Option<Pair> {
        let Some(r) = start_redis(&[]) else {
            eprintln!("skipping: redis-server not installed");
            return None;
        };
        let o = start_ferrodis(&[]);
        let mut p = Pair {
            redis: Conn::connect(r.port),
            ours: Conn::connect(o.port),
            sub_redis: Conn::connect(r.port),
            sub_ours: Conn::connect(o.port),
            _servers: (r, o),
        };
        p.same("CONFIG SET notify-keyspace-events KEA");
        for s in [&mut p.sub_redis, &mut p.sub_ours] {
            s.cmd("PSUBSCRIBE __key*__:*");
        }
        Some(p)
    }

    fn same(&mut self, line: &str) -> Vec<u8> {
        let args = parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let a = self.redis.cmd_args(&refs);
        let b = self.ours.cmd_args(&refs);
        assert_eq!(show(&b), show(&a), "reply differs for: {line}");
        a
    }

    fn same_events(&mut self) {
        let mut out: Vec<Vec<String>> = Vec::new();
        for s in [&mut self.sub_redis, &mut self.sub_ours] {
            s.send(&[b"PING"]);
            let mut msgs = Vec::new();
            loop {
                let m = show(&s.read_reply());
                if m.contains("pong") {
                    break;
                }
                msgs.push(m);
            }
            out.push(msgs);
        }
        assert_eq!(out[1], out[0], "keyspace notifications differ");
    }
}

#[test]
fn fixed_script() {
    let Some(mut p) = Pair::new() else { return };
    let script = [
        "RPUSH l 3 1 2 10 -5 1.5 007 0x10",
        "SORT l",
        "SORT l DESC",
        "SORT l ALPHA",
        "SORT l ALPHA DESC",
        "SORT l LIMIT 1 3",
        "SORT l LIMIT -5 2",
        "SORT l LIMIT 2 -1",
        "SORT l LIMIT 100 2",
        "SORT l LIMIT 0 0",
        "SORT l LIMIT a 2",
        "SORT l LIMIT 1",
        "SORT l BY nosort",
        "SORT l BY nosort DESC",
        "SORT l BY nosort LIMIT 2 3",
        "SORT l BY nosort LIMIT 2 3 DESC",
        "SORT l BY nosort LIMIT 20 3",
        "SORT_RO l DESC LIMIT 1 2",
        "SORT_RO l STORE dst",
        "SORT l FOO",
        "SORT l ASC DESC ASC",
        // Weights and GET patterns.
        "MSET w_3 30 w_1 10 w_2 -2 w_10 x",
        "HSET h_3 f c h_1 f a h_2 f b",
        "HSET h_10 f z",
        "SORT l BY w_*",
        "RPUSH m 3 1 2",
        "SORT m BY w_*",
        "SORT m BY w_* DESC",
        "SORT m BY w_* GET # GET h_*->f GET w_* GET missing_* GET const",
        "SORT m BY h_*->f ALPHA",
        "SORT m BY h_*->f ALPHA DESC GET #",
        "SORT m GET h_*->",
        "SORT m BY w_* LIMIT 1 1 GET #",
        "SORT l BY w_*->f",
        "~HELLO 3",
        "SORT m GET nope_* GET #",
        "~HELLO 2",
        "RPUSH bad 1 x 2",
        "SORT bad",
        "SORT bad ALPHA",
        "SORT bad BY nosort",
        "RPUSH sp \\e \\s1",
        "SORT sp",
        // Sets and sorted sets.
        "SADD s 5 3 9 1",
        "SORT s",
        "SORT s DESC LIMIT 1 2",
        "SORT s ALPHA",
        "SADD hs a c b",
        "SORT hs ALPHA",
        "SORT hs",
        "SORT hs BY nosort STORE hsd",
        "LRANGE hsd 0 -1",
        "ZADD z 3 c 1 a 2 b 0 d",
        "SORT z BY nosort",
        "SORT z BY nosort DESC",
        "SORT z BY nosort LIMIT 1 2",
        "SORT z BY nosort DESC LIMIT 1 2",
        "SORT z ALPHA",
        "OBJECT ENCODING z",
        "ZADD zi 1 10 2 5 3 7",
        "SORT zi",
        "SORT zi BY nosort",
        // STORE.
        "SORT m BY w_* STORE out",
        "LRANGE out 0 -1",
        "TYPE out",
        "SET out x",
        "EXPIRE out 100",
        "SORT m GET h_*->f GET nope_* STORE out",
        "LRANGE out 0 -1",
        "TTL out",
        "SORT nokey STORE out",
        "EXISTS out",
        "SORT nokey STORE out",
        "SORT nokey",
        // Wrong types and arity.
        "SET str v",
        "SORT str",
        "SORT str LIMIT x y",
        "HSET hh a 1",
        "SORT hh",
        "SORT",
        "COMMAND GETKEYS SORT abc STORE def",
        "COMMAND GETKEYS SORT abc STORE a STORE b GET store",
        "COMMAND GETKEYS SORT_RO abc",
        // Last: Redis never clears errno before its strtod, so after one
        // out-of-range weight every later numeric SORT of string elements
        // fails too until some system call resets errno; not copied.
        "RPUSH nums inf -inf 1e400",
        "SORT nums",
    ];
    for line in script {
        // `~`: sent to both, reply not compared (HELLO carries the client id).
        match line.strip_prefix('~') {
            Some(l) => {
                let args = parse_line(l);
                let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
                p.redis.cmd_args(&refs);
                p.ours.cmd_args(&refs);
            }
            None => {
                p.same(line);
            }
        }
    }
    p.same_events();
}

/// A number-like element: integers, decimals, exponents, and the odd
/// string (which makes numeric sorts fail, deterministically). Never out
/// of range, see the errno note in `fixed_script`.
fn element(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=2 => (rng.below(40) as i64 - 20).to_string(),
        3 => format!("{}.{}", rng.below(10), rng.below(100)),
        4 => format!("-{}e{}", rng.below(9) + 1, rng.below(5)),
        5 => rng.next().to_string(),
        6 => format!("0{}", rng.below(50)),
        _ => format!("w{}", rng.below(5)),
    }
}

/// Random lists, sets and sorted sets sorted with random options. Orders
/// Redis leaves open never reach the comparison: sets BY nosort are only
/// stored (which sorts them), ALPHA is never combined with a BY pattern
/// (equal weights), and numeric ties break on the element's bytes.
#[test]
fn randomized_sorts() {
    let Some(mut p) = Pair::new() else { return };
    let mut rng = Rng::star(0x5eed_50f7);
    for round in 0..300 {
        p.same("FLUSHALL");
        let n = rng.below(12);
        let elems: Vec<String> = (0..n).map(|_| element(&mut rng)).collect();
        let kind = rng.below(3);
        let key = "src";
        if !elems.is_empty() {
            let cmd = match kind {
                0 => format!("RPUSH {key} {}", elems.join(" ")),
                1 => format!("SADD {key} {}", elems.join(" ")),
                _ => {
                    let pairs: Vec<String> = elems
                        .iter()
                        .map(|e| format!("{} {e}", rng.below(10)))
                        .collect();
                    format!("ZADD {key} {}", pairs.join(" "))
                }
            };
            p.same(&cmd);
        }
        for e in &elems {
            match rng.below(4) {
                0 => {}
                1 => {
                    p.same(&format!("SET wt_{e} {}", rng.below(7)));
                }
                2 => {
                    p.same(&format!(
                        "HSET h_{e} f {} g v{}",
                        rng.below(7),
                        rng.below(3)
                    ));
                }
                _ => {
                    p.same(&format!("SET g_{e} val{}", rng.below(100)));
                }
            }
        }
        let mut cmd = format!("SORT {key}");
        let alpha = rng.below(3) == 0;
        let by = match rng.below(5) {
            0 if !alpha => " BY wt_*",
            1 if !alpha => " BY h_*->f",
            2 => " BY nosort",
            _ => "",
        };
        cmd.push_str(by);
        if rng.below(2) == 0 {
            let start = rng.below(16) as i64 - 3;
            let count = rng.below(16) as i64 - 3;
            cmd.push_str(&format!(" LIMIT {start} {count}"));
        }
        for _ in 0..rng.below(3) {
            let g = ["#", "g_*", "h_*->g", "h_*->", "nokey"][rng.below(5) as usize];
            cmd.push_str(&format!(" GET {g}"));
        }
        if rng.below(2) == 0 {
            cmd.push_str(" DESC");
        }
        if alpha {
            cmd.push_str(" ALPHA");
        }
        let store = rng.below(3) == 0 || (kind == 1 && by == " BY nosort");
        if store {
            if rng.below(2) == 0 {
                p.same("SET dst old");
            }
            cmd.push_str(" STORE dst");
            p.same(&cmd);
            p.same("LRANGE dst 0 -1");
            p.same("EXISTS dst");
        } else {
            p.same(&cmd);
        }
        if round % 50 == 0 {
            p.same_events();
        }
    }
    p.same_events();
}
