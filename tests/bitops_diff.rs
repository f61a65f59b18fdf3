//! Differential tests for the bitmap commands (SETBIT, GETBIT, BITCOUNT,
//! BITPOS, BITOP, BITFIELD, BITFIELD_RO): the same commands go to a real
//! `redis-server` and to ferrodis, and the replies must match byte for byte.
//! Besides replies, the write accounting is compared (`dirty`, seen as
//! INFO's rdb_changes_since_last_save) and the read accounting
//! (keyspace_hits/keyspace_misses). Skipped, with a printed reason, where
//! redis-server is not installed.

mod common;

use common::{start_ferrodis, start_redis, Conn, Rng, Server};

/// A real redis-server and ferrodis, with one connection to each.
struct Pair {
    _redis: Server,
    _ours: Server,
    redis: Conn,
    ours: Conn,
}

impl Pair {
    fn start() -> Option<Pair> {
        let redis = start_redis(&[])?;
        let ours = start_ferrodis(&["--enable-debug-command", "yes"]);
        Some(Pair {
            redis: Conn::connect(redis.port),
            ours: Conn::connect(ours.port),
            _redis: redis,
            _ours: ours,
        })
    }

    /// Send one command line (see [`parse_line`]) to both servers and
    /// assert that the replies are identical.
    fn check(&mut self, line: &str) {
        let args = parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let want = self.redis.cmd_args(&refs);
        let got = self.ours.cmd_args(&refs);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "reply differs for: {}",
            line
        );
    }

    /// Run `script` with [`Pair::check`]. A line starting with `!` is sent
    /// to both servers but its replies are not compared (HELLO's reply
    /// carries the connection id, which differs).
    fn check_all(&mut self, script: &[&str]) {
        for line in script {
            match line.strip_prefix('!') {
                Some(cmd) => {
                    self.redis.cmd(cmd);
                    self.ours.cmd(cmd);
                }
                None => self.check(line),
            }
        }
    }

    /// One numeric INFO field from each server: (redis, ours).
    fn info_fields(&mut self, section: &str, field: &str) -> (i64, i64) {
        let get = |c: &mut Conn| {
            let reply = c.cmd(&format!("INFO {}", section));
            let text = String::from_utf8_lossy(&reply).to_string();
            let prefix = format!("{}:", field);
            text.lines()
                .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().parse::<i64>()))
                .unwrap_or_else(|| panic!("no {} in INFO {}", field, section))
                .expect("numeric INFO field")
        };
        (get(&mut self.redis), get(&mut self.ours))
    }
}

/// Split a command line on spaces. Inside an argument `\s` stands for a
/// space, `\xHH` for any byte, and an argument that is exactly `\e` is
/// empty.
fn parse_line(line: &str) -> Vec<Vec<u8>> {
    line.split(' ')
        .map(|a| {
            if a == "\\e" {
                return Vec::new();
            }
            let b = a.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\\' && b.get(i + 1) == Some(&b's') {
                    out.push(b' ');
                    i += 2;
                } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len() {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("ascii");
                    out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                    i += 4;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            out
        })
        .collect()
}

/// Run `script` against fresh servers, comparing every reply.
fn compare(script: &[&str]) {
    if let Some(mut p) = Pair::start() {
        p.check_all(script);
    }
}

#[test]
fn setbit_and_getbit() {
    compare(&[
        "SETBIT b 7 1",
        "GET b",
        "SETBIT b 7 1",
        "SETBIT b 7 0",
        "SETBIT b 0 1",
        "GET b",
        "SETBIT b 100 1",
        "STRLEN b",
        "GET b",
        "OBJECT ENCODING b",
        "GETBIT b 0",
        "GETBIT b 1",
        "GETBIT b 100",
        "GETBIT b 101",
        "GETBIT b 1000000",
        "GETBIT nokey 5",
        "SETBIT new0 0 0",
        "GET new0",
        "EXISTS new0",
        // Integer- and embstr-encoded values become raw when written, even
        // when the write changes nothing.
        "SET i 12345",
        "OBJECT ENCODING i",
        "GETBIT i 2",
        "GETBIT i 3",
        "OBJECT ENCODING i",
        "SETBIT i 2 1",
        "OBJECT ENCODING i",
        "GET i",
        "SET e foobar",
        "OBJECT ENCODING e",
        "SETBIT e 1 0",
        "OBJECT ENCODING e",
        "GET e",
        "SETBIT e 1 1",
        "SETBIT e 2 0",
        "GET e",
        // A TTL survives SETBIT.
        "SET t abc",
        "EXPIRE t 1000",
        "SETBIT t 0 1",
        "TTL t",
        // Errors, in Redis's order: offset first, then the bit.
        "SETBIT b -1 1",
        "SETBIT b abc 1",
        "SETBIT b #1 1",
        "SETBIT b +1 1",
        "SETBIT b \\e 1",
        "SETBIT b 4294967296 1",
        "SETBIT b 9223372036854775807 1",
        "SETBIT b 99999999999999999999 1",
        "SETBIT b 0 2",
        "SETBIT b 0 -1",
        "SETBIT b 0 10",
        "SETBIT b 0 abc",
        "SETBIT b 0 \\e",
        "SETBIT b abc xyz",
        "SETBIT b 1 01",
        "SETBIT b 1",
        "GETBIT b -1",
        "GETBIT b abc",
        "GETBIT b 4294967296",
        "GETBIT b #3",
        "GETBIT b",
        // The offset limit follows proto-max-bulk-len.
        "CONFIG SET proto-max-bulk-len 1048576",
        "SETBIT big 8388608 1",
        "GETBIT big 8388608",
        "SETBIT big 8388607 1",
        "STRLEN big",
        "GETBIT big 8388607",
        "BITCOUNT big",
        "BITPOS big 1",
    ]);
}

#[test]
fn bitcount_ranges() {
    compare(&[
        "BITCOUNT nokey",
        "BITCOUNT nokey 0 1000 BIT",
        "BITCOUNT nokey a b c d e",
        "BITCOUNT nokey 1",
        "SET s foobar",
        "BITCOUNT s",
        "BITCOUNT s 0 0",
        "BITCOUNT s 1 1",
        "BITCOUNT s 1 1 BYTE",
        "BITCOUNT s 5 30 BIT",
        "BITCOUNT s 5 30 bit",
        "BITCOUNT s 0 -1",
        "BITCOUNT s -2 -1",
        "BITCOUNT s -1 -2",
        "BITCOUNT s -1 -5 FOO",
        "BITCOUNT s -100 -50",
        "BITCOUNT s -100 100",
        "BITCOUNT s 3 1",
        "BITCOUNT s 6 100",
        "BITCOUNT s 47 48 BIT",
        "BITCOUNT s 48 100 BIT",
        "BITCOUNT s -3 -1 BIT",
        "BITCOUNT s -9 -8 BIT",
        "BITCOUNT s 1 2 3",
        "BITCOUNT s 1",
        "BITCOUNT s 1 2 BIT extra",
        "BITCOUNT s a 1",
        "BITCOUNT s 1 b",
        "BITCOUNT s a b FOO",
        "BITCOUNT s 0 9223372036854775807 BIT",
        "BITCOUNT s -9223372036854775808 -1 BIT",
        "SET n -1234",
        "BITCOUNT n",
        "BITCOUNT n 1 2 BIT",
        "SET empty \\e",
        "BITCOUNT empty",
        "BITCOUNT empty 0 -1",
        "BITCOUNT empty 0 -1 BIT",
        "SET x __PPxxxxxxxxxxxxxxxxRR__",
        "BITCOUNT x 2 -3",
        "BITCOUNT x 17 170 BIT",
    ]);
}

#[test]
fn bitpos_edge_cases() {
    compare(&[
        // Missing key: all zeros, and the range is not even parsed.
        "BITPOS nokey 0",
        "BITPOS nokey 1",
        "BITPOS nokey 0 abc",
        "BITPOS nokey 1 1 2 3 4 5",
        "BITPOS nokey 2",
        "BITPOS nokey abc",
        "BITPOS nokey -1",
        // An existing empty string has no bits at all.
        "SET empty \\e",
        "BITPOS empty 0",
        "BITPOS empty 1",
        "BITPOS empty 0 0",
        "BITPOS empty 0 0 -1",
        "BITPOS empty 0 0 -1 BIT",
        // The end-not-given rule: a search for 0 over all ones.
        "SET ones \\xff\\xff\\xff",
        "BITPOS ones 0",
        "BITPOS ones 0 0",
        "BITPOS ones 0 1",
        "BITPOS ones 0 2",
        "BITPOS ones 0 3",
        "BITPOS ones 0 -1",
        "BITPOS ones 0 -100",
        "BITPOS ones 0 0 -1",
        "BITPOS ones 0 0 2",
        "BITPOS ones 0 0 100",
        "BITPOS ones 0 0 -1 BIT",
        "BITPOS ones 0 0 -1 BYTE",
        "BITPOS ones 0 3 23 BIT",
        "BITPOS ones 0 -3 -5",
        "BITPOS ones 1 -3 -5",
        "BITPOS ones 1",
        "BITPOS ones 1 2",
        "BITPOS ones 1 17 17 BIT",
        // Searches for 1.
        "SET zeros \\x00\\x00\\x00",
        "BITPOS zeros 1",
        "BITPOS zeros 1 0 -1",
        "BITPOS zeros 0",
        "BITPOS zeros 0 1",
        "BITPOS zeros 0 5 5 BIT",
        "SET s \\x00\\xff\\xf0",
        "BITPOS s 1 0",
        "BITPOS s 1 2",
        "BITPOS s 1 2 -1",
        "BITPOS s 0 1",
        "BITPOS s 0 1 1",
        "BITPOS s 0 1 -1",
        "BITPOS s 0 7 15 BIT",
        "BITPOS s 0 8 15 BIT",
        "BITPOS s 0 8 19 BIT",
        "BITPOS s 0 8 20 BIT",
        "BITPOS s 1 3 9 BIT",
        "BITPOS s 1 10 9 BIT",
        "BITPOS s 1 -8 -1 BIT",
        "BITPOS s 0 -4 -1 BIT",
        "BITPOS s 0 9223372036854775807",
        "BITPOS s 0 -9223372036854775808",
        "BITPOS s 1 -9223372036854775808 9223372036854775807 BIT",
        // Long strings exercise the word-at-a-time scan.
        "SET long \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01",
        "BITPOS long 1",
        "BITPOS long 1 3",
        "BITPOS long 1 3 17",
        "BITPOS long 0 18",
        "BITPOS long 0 151 151 BIT",
        "BITPOS long 1 1 150 BIT",
        // Integer-encoded value: its decimal digits.
        "SET n 12",
        "BITPOS n 1",
        "BITPOS n 0 1",
        // Errors and their order: bit, then start, then unit, then end.
        "BITPOS s 2",
        "BITPOS s -1",
        "BITPOS s abc",
        "BITPOS s \\e",
        "BITPOS s 1 abc",
        "BITPOS s 1 0 abc",
        "BITPOS s 1 0 abc FOO",
        "BITPOS s 1 abc 0 FOO",
        "BITPOS s 1 0 1 FOO",
        "BITPOS s 1 0 1 BIT extra",
        "BITPOS s",
    ]);
}

#[test]
fn bitop_operations() {
    compare(&[
        "SET a \\x01\\x02\\xff\\xff",
        "SET b \\x01\\x02\\xff",
        "BITOP AND r1 a b",
        "GET r1",
        "BITOP OR r2 a b",
        "GET r2",
        "BITOP XOR r3 a b",
        "GET r3",
        "BITOP NOT r4 a",
        "GET r4",
        "OBJECT ENCODING r4",
        "BITOP and r5 a nokey",
        "GET r5",
        "BITOP or r6 nokey a nokey2",
        "GET r6",
        "BITOP xor r7 nokey a",
        "GET r7",
        "BITOP AND r8 a",
        "GET r8",
        // Same key as source and destination.
        "BITOP NOT a a",
        "GET a",
        // Integer-encoded sources use their decimal digits.
        "SET i1 1",
        "SET i2 2",
        "BITOP XOR ri i1 i2 i1",
        "GET ri",
        "OBJECT ENCODING ri",
        // Empty results delete the destination.
        "SET empty \\e",
        "SET dest x",
        "BITOP NOT dest empty",
        "EXISTS dest",
        "SET dest x",
        "BITOP AND dest nokey nokey2",
        "EXISTS dest",
        "BITOP OR dest nokey",
        "BITOP OR x a empty",
        "GET x",
        // A TTL on the destination is dropped.
        "SET d2 x",
        "EXPIRE d2 100",
        "BITOP OR d2 b",
        "TTL d2",
        // Errors.
        "BITOP NOT dest a b",
        "BITOP NOT dest",
        "BITOP FOO dest a",
        "BITOP ANDX dest a",
        "BITOP AND dest",
        "BITOP",
        // Longer inputs, mixed lengths.
        "SET l1 \\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\xaa\\x55\\x01",
        "SET l2 \\xff\\x0f\\xf0\\x00\\x12\\x34\\x56\\x78\\x9a\\xbc\\xde\\xf0\\x11\\x22\\x33\\x44\\x55\\x66\\x77\\x88\\x99\\xaa\\xbb\\xcc\\xdd\\xee\\xff\\x00\\x01\\x02\\x03\\x04",
        "BITOP AND la l1 l2 l1",
        "GET la",
        "BITOP OR lo l1 l2 b",
        "GET lo",
        "BITOP XOR lx l1 l2 b a",
        "GET lx",
        "BITOP NOT ln l2",
        "GET ln",
    ]);
}

#[test]
fn bitfield_operations() {
    compare(&[
        "BITFIELD bits SET i8 0 -100",
        "BITFIELD bits SET i8 0 101",
        "BITFIELD bits GET i8 0",
        "BITFIELD bits SET u8 0 255 INCRBY u8 0 100 GET u8 0",
        "BITFIELD bits SET u8 #0 65 SET u8 #1 66 SET u8 #2 67",
        "GET bits",
        "OBJECT ENCODING bits",
        "BITFIELD bits",
        "BITFIELD nokey",
        "EXISTS nokey",
        "BITFIELD nokey GET u8 0 GET i64 100",
        "EXISTS nokey",
        "BITFIELD bits OVERFLOW WRAP INCRBY u8 #0 257 GET u8 #0",
        "BITFIELD bits OVERFLOW SAT INCRBY u8 #0 257 INCRBY u8 #0 -1000",
        "BITFIELD bits OVERFLOW FAIL INCRBY u8 #0 257 INCRBY u8 #0 1",
        "BITFIELD bits OVERFLOW FAIL SET i8 0 200 SET i8 0 -129 SET u8 0 -1",
        "BITFIELD bits OVERFLOW SAT SET i8 0 -9223372036854775808 SET i8 0 -200",
        "BITFIELD bits OVERFLOW SAT SET u8 0 -1 SET u8 0 300",
        "BITFIELD bits OVERFLOW WRAP SET u8 0 -1 SET i8 0 -200",
        "BITFIELD bits overflow wrap incrby i64 0 9223372036854775807 incrby i64 0 1",
        "BITFIELD bits overflow sat incrby i64 0 -9223372036854775808 incrby i64 0 -9223372036854775808",
        "BITFIELD bits overflow fail incrby i64 0 -9223372036854775808",
        "BITFIELD bits set u63 3 9223372036854775807 get u63 3 get i64 3 get i1 3",
        "BITFIELD bits set i5 3 -16 get i5 3 get u5 3 incrby i5 3 -1",
        "BITFIELD bits get u8 #1000 get i8 8000 get u1 1000000",
        "STRLEN bits",
        // Regression cases from the Redis suite.
        "SET s1 1",
        "BITFIELD s1 GET u1 0",
        "BITFIELD ms SET i8 0 10 SET i8 64 10 INCRBY i8 10 99900",
        // A write grows the string to its farthest bit only.
        "BITFIELD grow SET u1 17 1 GET u8 #100",
        "GET grow",
        "BITFIELD grow2 GET u8 #100 SET u1 17 1",
        "STRLEN grow2",
        // A FAIL refusal still creates the key (Redis creates it first).
        "BITFIELD failnew OVERFLOW FAIL SET u2 0 7",
        "GET failnew",
        // Errors, checked before anything runs.
        "BITFIELD bits GET u64 0",
        "BITFIELD bits GET i65 0",
        "BITFIELD bits GET i0 0",
        "BITFIELD bits GET I8 0",
        "BITFIELD bits GET x8 0",
        "BITFIELD bits GET i08 0",
        "BITFIELD bits GET \\e 0",
        "BITFIELD bits GET i8\\x00zz 0",
        "BITFIELD bits GET i8 -1",
        "BITFIELD bits GET i8 #-1",
        "BITFIELD bits GET i8 #",
        "BITFIELD bits GET i8 ##1",
        "BITFIELD bits GET i8 abc",
        "BITFIELD bits GET i8 4294967296",
        "BITFIELD bits GET i8 #536870912",
        "BITFIELD bits GET i8 #536870911",
        "BITFIELD bits GET i2 #4611686018427387904",
        "BITFIELD bits GET i64 #9223372036854775807",
        "BITFIELD bits SET i8 0 abc",
        "BITFIELD bits SET i8 0 99999999999999999999",
        "BITFIELD bits INCRBY i8 0",
        "BITFIELD bits SET i8 0",
        "BITFIELD bits GET i8",
        "BITFIELD bits OVERFLOW",
        "BITFIELD bits OVERFLOW FOO GET i8 0",
        "BITFIELD bits OVERFLOW FOO",
        "BITFIELD bits FOO",
        "BITFIELD bits GET i8 0 FOO",
        "BITFIELD bits SET i8 0 1 GET u64 0",
        "BITFIELD bits SET i8 0 1 OVERFLOW sat BAD",
        "GET bits",
        "BITFIELD",
        // RESP3: a FAIL refusal is a RESP3 null.
        "!HELLO 3",
        "BITFIELD bits OVERFLOW FAIL INCRBY u2 0 100 GET u2 0",
        "!HELLO 2",
    ]);
}

#[test]
fn bitfield_ro() {
    compare(&[
        "BITFIELD_RO nokey",
        "BITFIELD_RO nokey GET u8 0 GET i16 #3",
        "EXISTS nokey",
        "SET k hello",
        "BITFIELD_RO k GET u8 0 GET i8 #1 GET u4 4 GET i64 0",
        "BITFIELD_RO k SET u8 0 1",
        "BITFIELD_RO k GET u8 0 INCRBY u8 0 1",
        "BITFIELD_RO k OVERFLOW SAT GET u8 0",
        "BITFIELD_RO k SET u8 0 abc",
        "BITFIELD_RO k SET u64 0 1",
        "BITFIELD_RO k FOO",
        "BITFIELD_RO",
        "GET k",
    ]);
}

/// `dirty` (rdb_changes_since_last_save) and keyspace hits/misses must move
/// exactly as in Redis: writes count changes, not calls.
#[test]
fn write_and_read_accounting() {
    let Some(mut p) = Pair::start() else {
        return;
    };
    let script = [
        "SETBIT foo 0 0",
        "SETBIT foo 0 0",
        "SETBIT foo 0 1",
        "SETBIT foo 0 1",
        "SETBIT foo 90 0",
        "SET i 7",
        "SETBIT i 0 0",
        "BITFIELD f SET i5 0 0",
        "BITFIELD f SET i5 0 0",
        "BITFIELD f SET i5 0 1 SET i5 0 1 SET i5 0 0",
        "BITFIELD f INCRBY i5 0 0",
        "BITFIELD f INCRBY i5 0 1 INCRBY i5 0 -1",
        "BITFIELD f SET i5 90 0 SET i5 0 0",
        "BITFIELD f OVERFLOW FAIL INCRBY u2 0 9",
        "BITFIELD g OVERFLOW FAIL SET u2 0 9 SET u2 0 9",
        "BITFIELD f GET u8 0",
        "BITFIELD nokey GET u8 0",
        "BITFIELD_RO f GET u8 0",
        "BITOP OR d foo",
        "BITOP OR d foo",
        "BITOP AND d nokey",
        "BITOP AND d nokey",
        "BITOP XOR d2 foo nokey f nokey2",
        "BITOP NOT d3 nokey",
        "GETBIT foo 0",
        "GETBIT nokey 0",
        "BITCOUNT foo",
        "BITCOUNT nokey",
        "BITPOS foo 1",
        "BITPOS nokey 1",
        "BITPOS foo 2",
        "SETBIT foo x 1",
        "BITFIELD foo GET i99 0",
    ];
    let fields = [
        ("persistence", "rdb_changes_since_last_save"),
        ("stats", "keyspace_hits"),
        ("stats", "keyspace_misses"),
    ];
    let mut before: Vec<(i64, i64)> = fields.iter().map(|(s, f)| p.info_fields(s, f)).collect();
    for line in script {
        p.check(line);
        for (i, (s, f)) in fields.iter().enumerate() {
            let now = p.info_fields(s, f);
            let want = now.0 - before[i].0;
            let got = now.1 - before[i].1;
            assert_eq!(got, want, "{} delta differs after: {}", f, line);
            before[i] = now;
        }
    }
}

/// A randomized stream of bitmap and string commands over a few keys, from
/// a fixed seed, compared reply by reply.
#[test]
fn randomized_bitmap_stream() {
    let mut rng = Rng::new(0xb170_b5ed);
    let keys = ["k0", "k1", "k2", "k3"];
    let vals = [
        "\\e",
        "0",
        "12345",
        "-9",
        "foobar",
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff",
        "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01",
        "\\xf0\\x0f\\xaa",
        "\\xff\\xff",
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    let units = ["", " BYTE", " BIT", " bit"];
    let ops = ["AND", "OR", "XOR", "NOT"];
    let overflows = ["WRAP", "SAT", "FAIL"];
    let mut lines = Vec::new();
    for _ in 0..4000 {
        let k = keys[rng.pick(keys.len())];
        let k2 = keys[rng.pick(keys.len())];
        let k3 = keys[rng.pick(keys.len())];
        let v = vals[rng.pick(vals.len())];
        let small = rng.pick(100) as i64 - 20;
        let small2 = rng.pick(100) as i64 - 40;
        let bit = if rng.pick(10) == 0 { 2 } else { rng.pick(2) };
        let unit = units[rng.pick(units.len())];
        let line = match rng.pick(18) {
            0 | 16 | 17 => format!("SET {} {}", k, v),
            1 | 2 => format!("SETBIT {} {} {}", k, small.abs(), bit),
            3 => format!("GETBIT {} {}", k, small),
            4 => format!("BITCOUNT {} {} {}{}", k, small, small2, unit),
            5 => format!("BITCOUNT {}", k),
            6 => match rng.pick(4) {
                0 => format!("BITPOS {} {}", k, bit),
                1 => format!("BITPOS {} {} {}", k, bit, small),
                2 => format!("BITPOS {} {} {} {}", k, bit, small, small2),
                _ => format!("BITPOS {} {} {} {}{}", k, bit, small, small2, unit),
            },
            7 => {
                let op = ops[rng.pick(ops.len())];
                if op == "NOT" {
                    format!("BITOP NOT {} {}", k, k2)
                } else {
                    format!("BITOP {} {} {} {}", op, k, k2, k3)
                }
            }
            8..=10 => {
                let mut line = format!("BITFIELD {}", k);
                for _ in 0..rng.pick(4) + 1 {
                    let signed = rng.pick(2) == 0;
                    let bits = rng.pick(if signed { 64 } else { 63 }) + 1;
                    let ty = format!("{}{}", if signed { 'i' } else { 'u' }, bits);
                    let off = if rng.pick(3) == 0 {
                        format!("#{}", rng.pick(6))
                    } else {
                        rng.pick(90).to_string()
                    };
                    let val = match rng.pick(4) {
                        0 => (rng.next() as i64).to_string(),
                        1 => (rng.next() as i64 >> rng.pick(64)).to_string(),
                        _ => (rng.pick(600) as i64 - 300).to_string(),
                    };
                    let op = match rng.pick(5) {
                        0 => format!(" OVERFLOW {}", overflows[rng.pick(3)]),
                        1 => format!(" GET {} {}", ty, off),
                        2 => format!(" SET {} {} {}", ty, off, val),
                        _ => format!(" INCRBY {} {} {}", ty, off, val),
                    };
                    line.push_str(&op);
                }
                line
            }
            11 => format!(
                "BITFIELD_RO {} GET u{} {}",
                k,
                rng.pick(63) + 1,
                rng.pick(100)
            ),
            12 => format!("GET {}", k),
            13 => format!("OBJECT ENCODING {}", k),
            14 => format!("APPEND {} {}", k, v),
            _ => format!("DEL {}", k),
        };
        lines.push(line);
    }
    let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    compare(&refs);
}
