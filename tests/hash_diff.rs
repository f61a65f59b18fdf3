//! Differential tests for the hash type: the same commands go to a real
//! `redis-server` and to ferrodis, and the replies must match byte for
//! byte. Where Redis leaves the order unspecified (HGETALL/HKEYS/HVALS and
//! HSCAN on a hashtable, HRANDFIELD) the elements are compared sorted, or by
//! shape; listpack order must match exactly. Skipped, with a printed
//! reason, where redis-server is not installed.

mod common;

use std::io::{BufRead, Cursor};

use common::{parse_line, read_one, show, start_ferrodis, start_redis, Conn, Server};

/// Both servers and a connection to each.
struct Pair {
    redis: Conn,
    ours: Conn,
    _servers: (Server, Server),
    /// How many OBJECT ENCODING checks answered listpack / hashtable.
    seen: [usize; 2],
}

/// The header line and the top-level elements of a raw aggregate reply (a
/// RESP3 map counts two elements per entry).
fn elements(raw: &[u8]) -> (String, Vec<Vec<u8>>) {
    let mut r = Cursor::new(raw);
    let mut header = Vec::new();
    r.read_until(b'\n', &mut header).unwrap();
    let h = String::from_utf8_lossy(&header).trim_end().to_string();
    let n: i64 = h[1..].parse().unwrap_or(0);
    let n = if h.starts_with('%') { 2 * n } else { n };
    let mut items = Vec::new();
    for _ in 0..n.max(0) {
        let mut v = Vec::new();
        read_one(&mut r, &mut v).unwrap();
        items.push(v);
    }
    (h, items)
}

/// Groups elements `group` at a time and sorts the groups.
fn sorted_groups(items: Vec<Vec<u8>>, group: usize) -> Vec<Vec<Vec<u8>>> {
    let mut g: Vec<Vec<Vec<u8>>> = items.chunks(group).map(|c| c.to_vec()).collect();
    g.sort();
    g
}

impl Pair {
    fn new() -> Option<Pair> {
        let r = start_redis(&[])?;
        let o = start_ferrodis(&["--enable-debug-command", "yes"]);
        Some(Pair {
            redis: Conn::connect(r.port),
            ours: Conn::connect(o.port),
            _servers: (r, o),
            seen: [0, 0],
        })
    }

    fn both(&mut self, line: &str) -> (Vec<u8>, Vec<u8>) {
        let args = parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        (self.redis.cmd_args(&refs), self.ours.cmd_args(&refs))
    }

    /// Byte-for-byte equal replies; returns the reply.
    fn same(&mut self, line: &str) -> Vec<u8> {
        let (a, b) = self.both(line);
        assert_eq!(show(&b), show(&a), "reply differs for: {}", line);
        a
    }

    /// Same header and the same elements, grouped by `group` (2 keeps
    /// field/value pairs together), in any order.
    fn same_sorted(&mut self, line: &str, group: usize) {
        let (a, b) = self.both(line);
        let (ha, ia) = elements(&a);
        let (hb, ib) = elements(&b);
        assert_eq!(hb, ha, "header differs for: {}", line);
        assert_eq!(
            sorted_groups(ib, group),
            sorted_groups(ia, group),
            "elements differ for: {}",
            line
        );
    }

    /// Same reply type and length (random replies).
    fn same_shape(&mut self, line: &str) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let (a, b) = self.both(line);
        if a.first() != Some(&b'*') && a.first() != Some(&b'%') {
            // Errors, nulls and single bulks: the type and, for errors, the
            // text must match; bulk contents are random.
            assert_eq!(b.first(), a.first(), "type differs for: {}", line);
            if a.first() == Some(&b'-') {
                assert_eq!(show(&b), show(&a), "error differs for: {}", line);
            }
            return (Vec::new(), Vec::new());
        }
        let (ha, ia) = elements(&a);
        let (hb, ib) = elements(&b);
        assert_eq!(hb, ha, "shape differs for: {}", line);
        (ia, ib)
    }

    /// The encoding of `key` on both servers, which must agree.
    fn encoding(&mut self, key: &str) -> String {
        let r = show(&self.same(&format!("OBJECT ENCODING {}", key)));
        if r.contains("listpack") {
            self.seen[0] += 1;
        } else if r.contains("hashtable") {
            self.seen[1] += 1;
        }
        r
    }

    /// HGETALL/HKEYS/HVALS: exact on a listpack, sorted on a hashtable.
    fn same_listing(&mut self, cmd: &str, key: &str) {
        let enc = self.encoding(key);
        let line = format!("{} {}", cmd, key);
        if enc.contains("hashtable") {
            self.same_sorted(&line, if cmd == "HGETALL" { 2 } else { 1 });
        } else {
            self.same(&line);
        }
    }

    /// A whole HSCAN iteration on each server: on a listpack the single
    /// call must be identical; otherwise the union of pages must match.
    fn same_full_scan(&mut self, key: &str, extra: &str) {
        let enc = self.encoding(key);
        if !enc.contains("hashtable") {
            self.same(&format!("HSCAN {} 0{}", key, extra));
            return;
        }
        let mut all = [Vec::new(), Vec::new()];
        for (side, all) in all.iter_mut().enumerate() {
            let mut cursor = b"0".to_vec();
            for _ in 0..100_000 {
                let line = format!("HSCAN {} {}{}", key, show(&cursor), extra);
                let args = parse_line(&line);
                let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
                let conn = if side == 0 {
                    &mut self.redis
                } else {
                    &mut self.ours
                };
                let raw = conn.cmd_args(&refs);
                let (h, items) = elements(&raw);
                assert_eq!(h, "*2", "HSCAN reply {}", show(&raw));
                let c = show(&items[0]);
                let c = c.split("\r\n").nth(1).unwrap_or("0").to_string();
                let (_, page) = elements(&items[1]);
                all.extend(page);
                if c == "0" {
                    break;
                }
                cursor = c.into_bytes();
            }
        }
        let [a, b] = all;
        // Pages may repeat pairs across a rehash; compare as sets.
        let mut sa = sorted_groups(a, 2);
        let mut sb = sorted_groups(b, 2);
        sa.dedup();
        sb.dedup();
        assert_eq!(sb, sa, "HSCAN {} iteration differs", key);
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

#[test]
fn fixed_script() {
    let mut p = pair_or_skip!();
    for line in [
        "CONFIG SET hash-max-listpack-entries 128",
        "CONFIG SET hash-max-listpack-value 64",
        "HSET h a 1 b 2 c 3",
        "HSET h a 10",
        "HSET h",
        "HSET h a",
        "HSET h a 1 b",
        "HMSET h a 1 b",
        "HMSET h d 4",
        "HGETALL h",
        "HKEYS h",
        "HVALS h",
        "HLEN h",
        "HLEN nokey",
        "HGET h a",
        "HGET h nofield",
        "HGET nokey a",
        "HMGET h a nofield d",
        "HMGET nokey a b",
        "HMGET h",
        "HEXISTS h a",
        "HEXISTS h zz",
        "HEXISTS nokey a",
        "HSTRLEN h a",
        "HSTRLEN h zz",
        "HSTRLEN nokey a",
        "HSETNX h a 5",
        "HSETNX h e 5",
        "HSETNX newh x y",
        "HGETALL newh",
        "HDEL h a zz a",
        "HDEL h",
        "HDEL nokey a",
        "HDEL newh x",
        "EXISTS newh",
        "HGETALL nokey",
        "HKEYS nokey",
        "HVALS nokey",
        // Integer and string encodings inside the listpack, in order.
        "HSET enc 0 127 128 -1 4095 -4096 32767 -32768 8388607 -8388608",
        "HSET enc 2147483647 -2147483648 9223372036854775807 -9223372036854775808",
        "HSET enc 9223372036854775808 007 -0 +1 \\e 1.5 \\s1 1\\s",
        "HGETALL enc",
        "HSTRLEN enc -9223372036854775808",
        "HSTRLEN enc 9223372036854775807",
        "HSTRLEN enc -0",
        "HGET enc \\e",
        "HEXISTS enc 00",
        "HEXISTS enc -0",
        "OBJECT ENCODING enc",
        // HINCRBY
        "HINCRBY h b 5",
        "HINCRBY h b -7",
        "HINCRBY h new 3",
        "HINCRBY h b abc",
        "HINCRBY h b 1.5",
        "HINCRBY h b 9223372036854775807",
        "HSET h big 9223372036854775806",
        "HINCRBY h big 1",
        "HINCRBY h big 1",
        "HSET h neg -9223372036854775807",
        "HINCRBY h neg -1",
        "HINCRBY h neg -1",
        "HSET h sp \\s11",
        "HINCRBY h sp 1",
        "HSET h sp 11\\s",
        "HINCRBY h sp 1",
        "HINCRBY nokey2 f 9",
        "HINCRBY nokey3 f x",
        "EXISTS nokey3",
        // HINCRBYFLOAT
        "HINCRBYFLOAT h fl 1.23",
        "HINCRBYFLOAT h fl 0.77",
        "HINCRBYFLOAT h fl -0.1",
        "HINCRBYFLOAT h fl 1e3",
        "HINCRBYFLOAT h fl 5.0e-5",
        "HINCRBYFLOAT h b 1.5",
        "HINCRBYFLOAT h big 1",
        "HINCRBYFLOAT h sp 1",
        "HINCRBYFLOAT h fl abc",
        "HINCRBYFLOAT h fl inf",
        "HINCRBYFLOAT h fl -inf",
        "HINCRBYFLOAT h fl nan",
        "HINCRBYFLOAT h fl \\e",
        "HINCRBYFLOAT hfoo field +inf",
        "EXISTS hfoo",
        "HSET h huge 1e4932",
        "HINCRBYFLOAT h huge 1e4932",
        "HINCRBYFLOAT h fl 0x10",
        "HINCRBYFLOAT h fl 17179869184",
        "HGETALL h",
        // Type errors both ways.
        "SET str v",
        "HSET str a 1",
        "HGET str a",
        "HMGET str a",
        "HDEL str a",
        "HLEN str",
        "HSTRLEN str a",
        "HEXISTS str a",
        "HKEYS str",
        "HGETALL str",
        "HINCRBY str a 1",
        "HINCRBY str a x",
        "HINCRBYFLOAT str a 1",
        "HINCRBYFLOAT str a x",
        "HSETNX str a 1",
        "HRANDFIELD str",
        "HRANDFIELD str 1",
        "HSCAN str 0",
        "HSCAN str x",
        "GET h",
        "APPEND h x",
        "INCR h",
        "STRLEN h",
        "TYPE h",
        "OBJECT ENCODING h",
        // HSCAN argument handling (listpack: everything, cursor 0).
        "HSCAN h 0",
        "HSCAN h 123",
        "HSCAN h 0 MATCH b*",
        "HSCAN h 0 MATCH *",
        "HSCAN h 0 COUNT 1",
        "HSCAN h 0 COUNT 0",
        "HSCAN h 0 COUNT -1",
        "HSCAN h 0 COUNT abc",
        "HSCAN h 0 TYPE hash",
        "HSCAN h 0 MATCH",
        "HSCAN h abc",
        "HSCAN h -1",
        "HSCAN nokey 0",
        "HSCAN nokey 0 COUNT 0",
        "HSCAN enc 0 MATCH 1*",
        "HSCAN enc 0 MATCH -*",
        // HRANDFIELD argument handling.
        "HRANDFIELD nokey",
        "HRANDFIELD nokey 5",
        "HRANDFIELD nokey -5 WITHVALUES",
        "HRANDFIELD h 0",
        "HRANDFIELD h 0 WITHVALUES",
        "HRANDFIELD h abc",
        "HRANDFIELD h 1 WITHVALUE",
        "HRANDFIELD h 1 WITHVALUES x",
        "HRANDFIELD h -9223372036854775808",
        "HRANDFIELD h -9223372036854775808 WITHVALUES",
        "HRANDFIELD h -9223372036854770000 WITHVALUES",
        "HRANDFIELD h 9223372036854775807 WITHVALUES",
        "HRANDFIELD h 4611686018427387904 WITHVALUES",
        "HRANDFIELD h 9223372036854775808",
        // Conversion on a long value, field, and entry count.
        "CONFIG SET hash-max-listpack-value 8",
        "HSET v1 f 12345678",
        "OBJECT ENCODING v1",
        "HSET v1 g 123456789",
        "OBJECT ENCODING v1",
        "HSET v2 123456789 x",
        "OBJECT ENCODING v2",
        "HSETNX v3 f 123456789",
        "OBJECT ENCODING v3",
        "HSET v4 tmp 0",
        "HINCRBYFLOAT v4 tmp 0.000005",
        "OBJECT ENCODING v4",
        "HINCRBYFLOAT v4 tmp 0.0000005",
        "OBJECT ENCODING v4",
        "HINCRBYFLOAT v5 abcdefghi 1",
        "OBJECT ENCODING v5",
        "HINCRBY v6 abcdefghi 1",
        "OBJECT ENCODING v6",
        "HINCRBY v7 f 123456789",
        "OBJECT ENCODING v7",
        "HINCRBY v8 f 12345678",
        "HINCRBY v8 f 1",
        "OBJECT ENCODING v8",
        "CONFIG SET hash-max-listpack-value 64",
        "CONFIG SET hash-max-listpack-entries 3",
        "HSET e a 1 b 2 c 3",
        "OBJECT ENCODING e",
        "HSET e c 4",
        "OBJECT ENCODING e",
        "HSET e d 4",
        "OBJECT ENCODING e",
        "HDEL e a b c",
        "OBJECT ENCODING e",
        "HGETALL e",
        "CONFIG SET hash-max-listpack-entries 0",
        "HSET z a 1",
        "OBJECT ENCODING z",
        "CONFIG SET hash-max-listpack-entries 128",
        "HSET dup a 1 a 2 a 3",
        "HGETALL dup",
        // COPY keeps the encoding; RENAME moves the value.
        "COPY h hcopy",
        "HGETALL hcopy",
        "OBJECT ENCODING hcopy",
        "COPY e ecopy",
        "OBJECT ENCODING ecopy",
        "RENAME hcopy hren",
        "HLEN hren",
        "TYPE hren",
        "DEL hren",
        "EXISTS hren",
        "DEBUG LISTPACK h",
        "DEBUG LISTPACK e",
        "DEBUG LISTPACK nokey",
        "DEBUG HTSTATS-KEY h",
        "DEBUG HTSTATS-KEY nokey",
        "COMMAND INFO hset hmset hget hmget",
        "COMMAND GETKEYS HSET k f v",
        "COMMAND GETKEYS HSCAN k 0",
    ] {
        p.same(line);
    }
    p.same_sorted("HGETALL e", 2);
    p.same_sorted("HRANDFIELD h 100", 1);
    p.same_sorted("HRANDFIELD h 100 WITHVALUES", 2);
    p.same_sorted("HRANDFIELD e 100 WITHVALUES", 2);
}

#[test]
fn resp3_shapes() {
    let mut p = pair_or_skip!();
    p.both("HELLO 3");
    for line in [
        "HSET h a 1 b 2 c 3 d 4 e 5",
        "HGETALL h",
        "HGETALL nokey",
        "HKEYS nokey",
        "HRANDFIELD nokey",
        "HRANDFIELD nokey 3",
        "HRANDFIELD h 0",
        "HRANDFIELD h 10 WITHVALUES",
        "HRANDFIELD h -9223372036854775808 WITHVALUES",
        "HGET h nofield",
        "HMGET h a zz",
        "HINCRBYFLOAT h f 2.5",
        "HSCAN h 0",
        "HSCAN nokey 0",
    ] {
        p.same(line);
    }
    for line in [
        "HRANDFIELD h 3 WITHVALUES",
        "HRANDFIELD h -3 WITHVALUES",
        "HRANDFIELD h -3",
        "HRANDFIELD h 1",
        "HRANDFIELD h 1 WITHVALUES",
    ] {
        let (a, b) = p.same_shape(line);
        // Nested [field, value] pairs under RESP3 WITHVALUES.
        for (x, y) in a.iter().zip(b.iter()) {
            assert_eq!(x.first(), y.first(), "{}", line);
        }
    }
    p.same("CONFIG SET hash-max-listpack-entries 2");
    p.same("HSET big a 1 b 2 c 3");
    p.same_sorted("HGETALL big", 2);
    p.same_sorted("HRANDFIELD big 10 WITHVALUES", 1);
}

/// Checks every field HRANDFIELD returned is a field of the hash, and that
/// a positive count gives distinct fields.
fn check_random_fields(items: &[Vec<u8>], fields: &[Vec<u8>], with_values: bool, unique: bool) {
    let step = if with_values { 2 } else { 1 };
    let picked: Vec<&Vec<u8>> = items.iter().step_by(step).collect();
    for f in &picked {
        assert!(fields.contains(f), "{} is not a field", show(f));
    }
    if unique {
        let mut d = picked.clone();
        d.sort();
        d.dedup();
        assert_eq!(
            d.len(),
            picked.len(),
            "repeated field with a positive count"
        );
    }
}

/// A long randomized command stream from a fixed seed over a few keys,
/// with thresholds lowered and changed on the way so hashes cross from
/// listpack to hashtable; the encoding is compared before every listing.
#[test]
fn randomized_hash_stream() {
    let mut p = pair_or_skip!();
    let mut seed: u64 = 0x4a54_1d3e_77c0_0b15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let keys = ["h0", "h1", "h2", "h3"];
    let word = |n: u64, len: usize| -> String {
        let mut s = String::new();
        let mut x = n;
        for _ in 0..len {
            s.push((b'a' + (x % 26) as u8) as char);
            x = x / 26 + 7;
        }
        s
    };
    let ints = [
        "0",
        "1",
        "-1",
        "127",
        "128",
        "-4096",
        "4095",
        "65536",
        "-8388609",
        "2147483648",
        "9223372036854775807",
        "-9223372036854775808",
        "007",
        "-0",
        "1.5",
        "\\e",
    ];
    p.same("CONFIG SET hash-max-listpack-entries 16");
    p.same("CONFIG SET hash-max-listpack-value 16");
    for step in 0..4000 {
        let k = keys[(next() % keys.len() as u64) as usize];
        let mut field = || -> String {
            match next() % 4 {
                0 => ints[(next() % ints.len() as u64) as usize].to_string(),
                _ => format!("f{}", next() % 24),
            }
        };
        let f1 = field();
        let f2 = field();
        let mut value = || -> String {
            match next() % 6 {
                0 => ints[(next() % ints.len() as u64) as usize].to_string(),
                1 => word(next(), 14 + (next() % 5) as usize),
                2 => ((next() % 2000) as i64 - 1000).to_string(),
                _ => word(next(), 1 + (next() % 6) as usize),
            }
        };
        let v1 = value();
        let v2 = value();
        let n = (next() % 40) as i64 - 20;
        match next() % 24 {
            0..=3 => {
                p.same(&format!("HSET {} {} {} {} {}", k, f1, v1, f2, v2));
            }
            4 => {
                p.same(&format!("HMSET {} {} {}", k, f1, v1));
            }
            5 => {
                p.same(&format!("HSETNX {} {} {}", k, f1, v1));
            }
            6 | 7 => {
                p.same(&format!("HDEL {} {} {}", k, f1, f2));
            }
            8 => {
                p.same(&format!("HGET {} {}", k, f1));
            }
            9 => {
                p.same(&format!("HMGET {} {} {}", k, f1, f2));
            }
            10 => {
                p.same(&format!("HLEN {}", k));
                p.same(&format!("EXISTS {}", k));
            }
            11 => {
                p.same(&format!("HSTRLEN {} {}", k, f1));
            }
            12 => {
                p.same(&format!("HEXISTS {} {}", k, f1));
            }
            13 => {
                p.same(&format!("HINCRBY {} {} {}", k, f1, n));
            }
            14 => {
                let incr = match next() % 3 {
                    0 => format!("{}.25", n),
                    1 => format!("{}e-3", n),
                    _ => v1.clone(),
                };
                p.same(&format!("HINCRBYFLOAT {} {} {}", k, f1, incr));
            }
            15 => p.same_listing("HGETALL", k),
            16 => p.same_listing("HKEYS", k),
            17 => p.same_listing("HVALS", k),
            18 => {
                let extra = match next() % 3 {
                    0 => String::new(),
                    1 => " COUNT 3".to_string(),
                    _ => " MATCH f1*".to_string(),
                };
                p.same_full_scan(k, &extra);
            }
            19 => {
                let with = next() % 2 == 0;
                let line = format!(
                    "HRANDFIELD {} {}{}",
                    k,
                    n,
                    if with { " WITHVALUES" } else { "" }
                );
                let (a, b) = p.same_shape(&line);
                let fields = elements(&p.redis.cmd_args(&[b"HKEYS", k.as_bytes()])).1;
                check_random_fields(&a, &fields, with, n > 0);
                check_random_fields(&b, &fields, with, n > 0);
            }
            20 => {
                p.encoding(k);
                p.same(&format!("TYPE {}", k));
            }
            21 => {
                // Occasionally move the limits: conversion happens on the
                // next write that crosses them, never back.
                if next() % 8 == 0 {
                    let e = 4 + next() % 28;
                    let v = 8 + next() % 24;
                    p.same(&format!("CONFIG SET hash-max-listpack-entries {}", e));
                    p.same(&format!("CONFIG SET hash-max-listpack-value {}", v));
                } else {
                    p.same(&format!("HDEL {} {}", k, f1));
                }
            }
            22 => {
                if next() % 10 == 0 {
                    p.same(&format!("DEL {}", k));
                } else {
                    p.same(&format!("GET {}", k));
                }
            }
            _ => {
                if next() % 20 == 0 {
                    p.same(&format!("SET {} {}", k, v1));
                } else {
                    p.same(&format!("HSTRLEN {} {}", k, f2));
                }
            }
        }
        if step % 500 == 0 {
            for k in keys {
                p.encoding(k);
                p.same_listing("HGETALL", k);
            }
        }
    }
    for k in keys {
        p.same_listing("HGETALL", k);
    }
    // The stream did cross the thresholds, many times.
    assert!(p.seen[0] > 100 && p.seen[1] > 100, "{:?}", p.seen);
}
