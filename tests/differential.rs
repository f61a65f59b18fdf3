//! Differential tests: the same command streams go to a real `redis-server`
//! (Debian package) and to ferrodis; replies must match byte for byte.
//! Skipped, with a printed reason, where redis-server is not installed.

mod common;

use common::{start_ferrodis, start_redis, Conn};

/// Run every line of `script` against both servers and compare replies.
/// Each line is split on spaces; `\s` inside an argument stands for a space
/// and `\e` for an empty argument.
fn compare(script: &[&str]) {
    let redis = match start_redis(&[]) {
        Some(r) => r,
        None => return,
    };
    let ours = start_ferrodis(&["--enable-debug-command", "yes"]);
    let mut a = Conn::connect(redis.port);
    let mut b = Conn::connect(ours.port);
    for line in script {
        let args = common::parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let ra = a.cmd_args(&refs);
        let rb = b.cmd_args(&refs);
        assert_eq!(
            String::from_utf8_lossy(&rb),
            String::from_utf8_lossy(&ra),
            "reply differs for: {}",
            line
        );
    }
}

#[test]
fn strings() {
    compare(&[
        "SET foo bar",
        "GET foo",
        "SET foo bar NX",
        "SET foo baz XX GET",
        "SET foo 1 NX XX",
        "SET foo 1 EX 0",
        "SET foo 1 EX -5",
        "SET foo 1 PX 9223372036854775807",
        "SET foo 1 EX 9223372036854775807",
        "SET foo 1 KEEPTTL EX 10",
        "SET foo 1 GET GET",
        "SET foo 1 EX 10 PX 10",
        "SET foo 1 EX abc",
        "SET foo",
        "SETNX foo x",
        "SETNX newkey x",
        "GETSET foo new",
        "GETDEL foo",
        "GETDEL foo",
        "MSET a 1 b 2 c 3",
        "MSET a 1 b",
        "MGET a b c nokey",
        "MSETNX a 1 z 2",
        "MSETNX y 1 z 2",
        "APPEND a 23",
        "APPEND newapp hello",
        "STRLEN a",
        "STRLEN nokey",
        "GETRANGE newapp 0 -1",
        "GETRANGE newapp -3 -1",
        "GETRANGE newapp 10 20",
        "GETRANGE newapp -1 -5",
        "GETRANGE newapp 0 -100",
        "GETRANGE nokey 0 -1",
        "GETRANGE newapp a b",
        "SUBSTR newapp 1 2",
        "SETRANGE sr 5 hi",
        "GET sr",
        "SETRANGE sr 0 \\e",
        "SETRANGE sr -1 x",
        "SETRANGE nosr 0 \\e",
        "SETRANGE a 1 xyz",
        "GET a",
        "SETRANGE sr 536870912 x",
        "LCS newapp sr",
        "SET l1 ohmytext",
        "SET l2 mynewtext",
        "LCS l1 l2",
        "LCS l1 l2 LEN",
        "LCS l1 l2 IDX",
        "LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
        "LCS l1 l2 IDX LEN",
        "LCS l1 l2 FOO",
        "GETEX l1",
        "GETEX l1 PERSIST",
        "GETEX l1 EX 100 PX 100",
        "GETEX l1 FOO",
        "GETEX nokey EX 10",
        "GETEX l1 EX 0",
        "SET 007 x",
        "OBJECT ENCODING 007",
        "SET i 12345",
        "OBJECT ENCODING i",
        "SET e 1234567890123456789012",
        "OBJECT ENCODING e",
        "APPEND i 6",
        "OBJECT ENCODING i",
        "SET big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "OBJECT ENCODING big",
        "OBJECT REFCOUNT i",
        "SET small 100",
        "OBJECT REFCOUNT small",
    ]);
}

#[test]
fn counters() {
    compare(&[
        "INCR n",
        "INCRBY n 10",
        "DECR n",
        "DECRBY n 5",
        "DECRBY n -9223372036854775808",
        "SET n 9223372036854775807",
        "INCR n",
        "SET n -9223372036854775808",
        "DECR n",
        "SET n \\s1",
        "INCR n",
        "SET n 1\\s",
        "INCR n",
        "SET n 01",
        "INCR n",
        "INCRBY n abc",
        "SET f 10.5",
        "INCRBYFLOAT f 0.1",
        "INCRBYFLOAT f -1.1",
        "INCRBYFLOAT f 5.0e3",
        "INCRBYFLOAT f 1e400",
        "INCRBYFLOAT f nan",
        "INCRBYFLOAT f inf",
        "INCRBYFLOAT f abc",
        "INCRBYFLOAT newf 3",
        "SET g 1",
        "INCRBYFLOAT g -1.1",
        "INCRBYFLOAT g 0.1",
        "SET h 17179869184",
        "INCRBYFLOAT h 1.5",
        "SET sp \\s1",
        "INCRBYFLOAT sp 1",
        "INCRBYFLOAT n 1",
    ]);
}

#[test]
fn keys_and_expire() {
    compare(&[
        "FLUSHALL",
        "SET a 1",
        "SET b 2",
        "DEL a b c",
        "EXISTS a b",
        "SET a 1",
        "EXISTS a a a",
        "TYPE a",
        "TYPE nokey",
        "RENAME a b",
        "GET b",
        "RENAME nokey x",
        "RENAME b b",
        "RENAMENX b b",
        "SET c 3",
        "RENAMENX b c",
        "RENAMENX b d",
        "MOVE d 1",
        "MOVE d 1",
        "MOVE x 1",
        "MOVE d 0",
        "MOVE d 100",
        "MOVE d abc",
        "SELECT 1",
        "GET d",
        "SELECT 16",
        "SELECT abc",
        "SELECT 0",
        "COPY c c2",
        "COPY c c2",
        "COPY c c2 REPLACE",
        "COPY c c2 DB 3",
        "COPY c c DB 0",
        "COPY c c2 FOO",
        "EXPIRE c 100",
        "TTL c",
        "EXPIRE c 50 GT",
        "EXPIRE c 200 GT",
        "EXPIRE c 300 LT",
        "EXPIRE c 10 NX",
        "EXPIRE c 10 XX GT LT",
        "EXPIRE c 10 NX XX",
        "EXPIRE c 10 FOO",
        "EXPIRE c abc",
        "EXPIRE c 9223372036854775807",
        "PEXPIRE c 9223372036854775807",
        "EXPIREAT c 9999999999 NX",
        "PERSIST c",
        "PERSIST c",
        "TTL c",
        "PTTL nokey",
        "EXPIRETIME c",
        "EXPIREAT c 99999999999",
        "EXPIRETIME c",
        "PEXPIRETIME c",
        "EXPIRE c -1",
        "EXISTS c",
        "SET t 1",
        "PEXPIREAT t 1",
        "GET t",
        "SETEX s 0 x",
        "SETEX s -1 x",
        "PSETEX s 100000 x",
        "SET k1 a",
        "KEYS k1",
        "KEYS k[0-9]",
        "KEYS nomatch*",
        "DBSIZE",
        "SWAPDB 0 1",
        "DBSIZE",
        "SWAPDB 0 100",
        "SWAPDB a 1",
        "SWAPDB 0 b",
        "SWAPDB 0 1",
        "FLUSHDB FOO",
        "FLUSHDB ASYNC",
        "DBSIZE",
        "RANDOMKEY",
        "SCAN 0",
        "SCAN abc",
        "SCAN 0 COUNT 0",
        "SCAN 0 FOO bar",
        "TOUCH a b",
        "OBJECT ENCODING nokey",
        "OBJECT FOO x",
        "OBJECT FREQ nokey",
    ]);
}

#[test]
fn connection_and_errors() {
    compare(&[
        "PING",
        "PING hello",
        "PING a b",
        "ECHO hi",
        "ECHO",
        "NOSUCHCMD a b c",
        "get",
        "GET a b",
        "CLIENT SETNAME my\\sname",
        "CLIENT SETNAME myname",
        "CLIENT GETNAME",
        "CLIENT FOO",
        "HELLO 4",
        "HELLO abc",
        "HELLO 2 FOO",
        "AUTH x",
        "AUTH a b c",
        "CONFIG GET maxmemory",
        "CONFIG GET hz",
        "CONFIG SET hz abc",
        "CONFIG SET nosuchparam 1",
        "CONFIG SET maxmemory 10mb",
        "CONFIG GET maxmemory",
        "CONFIG SET maxmemory 0",
        "COMMAND GETKEYS MSET a 1 b 2",
        "COMMAND GETKEYS GET",
        "COMMAND GETKEYS PING",
        "COMMAND GETKEYS NOSUCH a",
        "DEBUG PROTOCOL string",
        "DEBUG PROTOCOL double",
        "DEBUG PROTOCOL bignum",
        "DEBUG PROTOCOL map",
        "DEBUG PROTOCOL attrib",
        "DEBUG PROTOCOL push",
        "DEBUG PROTOCOL nope",
        "CLUSTER INFO",
        "CLUSTER RESET HARD",
        "CLUSTER NOSUCH",
        "CLUSTER",
        "READONLY",
        "READWRITE",
        "ASKING",
        "EVAL return\\sredis.pcall('cluster','reset','hard') 0",
        "ROLE",
        "REPLICAOF 127.0.0.1 notaport",
        "REPLICAOF NO ONE",
        "REPLCONF listening-port",
        "REPLCONF nosuch 1",
        "REPLCONF listening-port 1234",
        "WAIT 0 0",
        "WAIT x 0",
        "WAIT 1 -1",
        "WAIT 0 x",
        "BGSAVE NOW",
    ]);
}

/// A randomized stream of string and key commands over a small key space,
/// from a fixed seed, compared reply by reply.
#[test]
fn randomized_string_stream() {
    let mut seed: u64 = 0x5eed_1234;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let keys = ["k0", "k1", "k2", "k3", "k4"];
    let vals = [
        "0",
        "1",
        "-7",
        "abc",
        "3.5",
        "9223372036854775806",
        "",
        "xyz123",
    ];
    let mut lines = Vec::new();
    for _ in 0..2000 {
        let k = keys[(next() % keys.len() as u64) as usize];
        let k2 = keys[(next() % keys.len() as u64) as usize];
        let v = vals[(next() % vals.len() as u64) as usize];
        let v = if v.is_empty() { "\\e" } else { v };
        let n = (next() % 20) as i64 - 10;
        let line = match next() % 18 {
            0 => format!("SET {} {}", k, v),
            1 => format!("GET {}", k),
            2 => format!("INCR {}", k),
            3 => format!("INCRBY {} {}", k, n),
            4 => format!("APPEND {} {}", k, v),
            5 => format!("GETRANGE {} {} {}", k, n, n + 3),
            6 => format!("SETRANGE {} {} {}", k, n.abs(), v),
            7 => format!("DEL {}", k),
            8 => format!("EXISTS {} {}", k, k2),
            9 => format!("RENAME {} {}", k, k2),
            10 => format!("STRLEN {}", k),
            11 => format!("MGET {} {}", k, k2),
            12 => format!("GETSET {} {}", k, v),
            13 => format!("DECRBY {} {}", k, n),
            14 => format!("INCRBYFLOAT {} {}", k, v),
            15 => format!("OBJECT ENCODING {}", k),
            16 => format!("TYPE {}", k),
            _ => format!("SETNX {} {}", k, v),
        };
        lines.push(line);
    }
    let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    compare(&refs);
}

#[test]
fn transactions() {
    compare(&[
        "EXEC",
        "DISCARD",
        "MULTI",
        "MULTI",
        "SET t 1",
        "INCR t",
        "GET t",
        "EXEC",
        "MULTI",
        "SET t 2",
        "NOSUCHCOMMAND",
        "EXEC",
        "GET t",
        "MULTI",
        "SET t",
        "EXEC",
        "MULTI",
        "SET t 3",
        "WATCH t",
        "DISCARD",
        "MULTI",
        "SET s abc",
        "INCR s",
        "SET t 4",
        "EXEC",
        "GET t",
        "WATCH t",
        "SET t 5",
        "MULTI",
        "GET t",
        "EXEC",
        "WATCH t",
        "UNWATCH",
        "SET t 6",
        "MULTI",
        "GET t",
        "EXEC",
        "MULTI",
        "SELECT 1",
        "SET indb1 x",
        "EXEC",
        "GET indb1",
        "SELECT 0",
        "MULTI",
        "EXEC foo",
        "EXEC",
    ]);
}

/// COMMAND GETKEYS for commands whose keys move: numkeys (ZUNIONSTORE,
/// EVAL, LMPOP...), option keywords (SORT STORE, GEORADIUS STORE), and the
/// errors for bad numkeys; EVAL without keys gives an empty list.
#[test]
fn command_getkeys_movable() {
    compare(&[
        "COMMAND GETKEYS ZUNIONSTORE dst 2 a b WEIGHTS 1 2",
        "COMMAND GETKEYS ZINTERSTORE dst 1 a",
        "COMMAND GETKEYS ZDIFFSTORE dst 3 a b c",
        "COMMAND GETKEYS ZUNIONSTORE dst 5 a",
        "COMMAND GETKEYS ZUNIONSTORE dst x a",
        "COMMAND GETKEYS ZUNIONSTORE dst -1 a",
        "COMMAND GETKEYS ZUNION 2 a b WITHSCORES",
        "COMMAND GETKEYS ZINTERCARD 1 a LIMIT 2",
        "COMMAND GETKEYS SINTERCARD 2 a b",
        "COMMAND GETKEYS LMPOP 2 a b LEFT",
        "COMMAND GETKEYS ZMPOP 1 a MIN",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT",
        "COMMAND GETKEYS BZMPOP 0 1 a MAX",
        "COMMAND GETKEYS EVAL return\\s1 0",
        "COMMAND GETKEYS EVAL return\\s1 1 key",
        "COMMAND GETKEYS EVAL return\\s1 2 k1 k2 a1",
        "COMMAND GETKEYS EVAL_RO return\\s1 1 key",
        "COMMAND GETKEYS FCALL f 1 k a",
        "COMMAND GETKEYS SORT k STORE d",
        "COMMAND GETKEYS SORT k LIMIT 0 1 STORE d",
        "COMMAND GETKEYS SORT_RO k",
        "COMMAND GETKEYS GEORADIUS k 0 0 1 m STORE d",
        "COMMAND GETKEYS LCS key1 key2",
        "COMMAND GETKEYS MEMORY USAGE key",
        "COMMAND GETKEYS SET k v",
        "COMMAND GETKEYS PING",
    ]);
}

/// COMMAND GETKEYSANDFLAGS: keys found by the key specs carry the specs'
/// flags (LMOVE's RW access delete / RW insert), commands whose flags vary
/// (SET with GET, BITFIELD) or whose specs do not apply (SORT's STORE, a
/// numkeys of 0) fall back to the command's own parser with its flags.
#[test]
fn command_getkeysandflags() {
    compare(&[
        "COMMAND GETKEYSANDFLAGS SET k1 v1",
        "COMMAND GETKEYSANDFLAGS SET k1 v1 GET",
        "COMMAND GETKEYSANDFLAGS MSET k1 v1 k2 v2",
        "COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right",
        "COMMAND GETKEYSANDFLAGS SORT k1 STORE k2",
        "COMMAND GETKEYSANDFLAGS SORT k1 BY x GET y",
        "COMMAND GETKEYSANDFLAGS SORT_RO k1 BY x",
        "COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0",
        "COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0 SET u8 0 1",
        "COMMAND GETKEYSANDFLAGS BITFIELD k bogus",
        "COMMAND GETKEYSANDFLAGS EVAL x 2 a b c",
        "COMMAND GETKEYSANDFLAGS EVAL x 0",
        "COMMAND GETKEYSANDFLAGS FCALL f 1 a",
        "COMMAND GETKEYSANDFLAGS ZUNIONSTORE d 2 a b",
        "COMMAND GETKEYSANDFLAGS ZUNIONSTORE d 3 a b",
        "COMMAND GETKEYSANDFLAGS ZINTERSTORE d 0 a",
        "COMMAND GETKEYS ZINTERSTORE d 0 a",
        "COMMAND GETKEYS ZUNION 0 a",
        "COMMAND GETKEYSANDFLAGS GEORADIUS k 0 0 1 km STORE d",
        "COMMAND GETKEYSANDFLAGS GEOSEARCHSTORE d s FROMLONLAT 0 0 BYRADIUS 1 km",
        "COMMAND GETKEYSANDFLAGS LMPOP 2 a b LEFT",
        "COMMAND GETKEYSANDFLAGS BLMPOP 0 1 a LEFT",
        "COMMAND GETKEYSANDFLAGS SMOVE a b m",
        "COMMAND GETKEYSANDFLAGS RENAME a b",
        "COMMAND GETKEYSANDFLAGS COPY a b",
        "COMMAND GETKEYSANDFLAGS DEL a b c",
        "COMMAND GETKEYSANDFLAGS BITOP AND d a b",
        "COMMAND GETKEYSANDFLAGS MEMORY USAGE k",
        "COMMAND GETKEYSANDFLAGS OBJECT ENCODING k",
        "COMMAND GETKEYSANDFLAGS PFCOUNT a b",
        "COMMAND GETKEYSANDFLAGS PING",
        "COMMAND GETKEYSANDFLAGS GET",
        "COMMAND GETKEYSANDFLAGS NOSUCH a",
        "COMMAND GETKEYSANDFLAGS CONFIG GET x",
        "COMMAND GETKEYSANDFLAGS SPUBLISH ch msg",
        "COMMAND GETKEYS SSUBSCRIBE ch",
        "COMMAND GETKEYS WATCH a b",
        "COMMAND GETKEYS PFDEBUG GETREG k",
    ]);
}

/// COMMAND INFO of every command and subcommand we have, in RESP2 and
/// RESP3: flags, the legacy key range and `movablekeys` derived from the
/// key specs, ACL categories, tips, key specs. Containers are compared
/// through their subcommands (Redis lists those in its dict's order), and
/// commands redis-server 7.0.15 does not know are skipped.
#[test]
fn command_info_every_command() {
    let redis = match start_redis(&[]) {
        Some(r) => r,
        None => return,
    };
    let ours = start_ferrodis(&[]);
    let mut a = Conn::connect(redis.port);
    let mut b = Conn::connect(ours.port);
    let list = b.cmd_args(&[b"COMMAND", b"LIST"]);
    let text = String::from_utf8_lossy(&list).into_owned();
    let names: Vec<&str> = text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty() && !l.starts_with('$'))
        .collect();
    assert!(names.len() > 200, "COMMAND LIST: {}", text);
    let mut compared = 0;
    for proto in [b"2", b"3"] {
        a.cmd_args(&[b"HELLO", proto]);
        b.cmd_args(&[b"HELLO", proto]);
        for name in &names {
            let prefix = format!("{}|", name);
            if names.iter().any(|n| n.starts_with(&prefix)) {
                continue;
            }
            let args: [&[u8]; 3] = [b"COMMAND", b"INFO", name.as_bytes()];
            let ra = a.cmd_args(&args);
            if ra == b"*1\r\n$-1\r\n" || ra == b"*1\r\n_\r\n" {
                continue;
            }
            let rb = b.cmd_args(&args);
            assert_eq!(
                String::from_utf8_lossy(&rb),
                String::from_utf8_lossy(&ra),
                "COMMAND INFO {} (RESP{})",
                name,
                proto[0] as char
            );
            compared += 1;
        }
    }
    assert!(compared > 400, "only {} compared", compared);
}

/// min-replicas-to-write on a master without replicas: writes (and EXECs
/// that queued one) are refused with NOREPLICAS; reads and a zero max lag
/// are not affected.
#[test]
fn min_replicas_to_write() {
    compare(&[
        "SET xx 1",
        "CONFIG SET min-replicas-to-write 2",
        "SET xx 2",
        "INCR xx",
        "GET xx",
        "MULTI",
        "GET xx",
        "EXEC",
        "MULTI",
        "INCR xx",
        "EXEC",
        "MULTI",
        "GET xx",
        "EXEC",
        "CONFIG SET min-replicas-max-lag 0",
        "INCR xx",
        "CONFIG SET min-replicas-max-lag 10",
        "CONFIG SET min-replicas-to-write 0",
        "MULTI",
        "INCR xx",
        "CONFIG SET min-replicas-to-write 1",
        "EXEC",
        "CONFIG SET min-replicas-to-write 0",
        "GET xx",
        "INFO errorstats",
    ]);
}

#[test]
fn pubsub_replies() {
    compare(&[
        "PUBLISH nobody hello",
        "PUBSUB NUMSUB a b",
        "PUBSUB NUMPAT",
        "PUBSUB CHANNELS",
        "PUBSUB FOO",
        "PUBSUB CHANNELS a b",
        "SPUBLISH ch msg",
        "PUBSUB SHARDNUMSUB ch",
        "UNSUBSCRIBE",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE",
    ]);
}

/// LATENCY: help, arity and unknown-subcommand errors, the replies with no
/// data, and one histogram whose bucket is certain (a 200 ms DEBUG SLEEP
/// lands in the level printed as 270532 µs) in both RESP2 and RESP3.
#[test]
fn latency_replies() {
    compare(&[
        "LATENCY HELP",
        "LATENCY HELP xxx",
        "LATENCY",
        "LATENCY FOO",
        "LATENCY GRAPH command extra",
        "LATENCY GRAPH nosuchevent",
        "LATENCY HISTORY nosuchevent",
        "LATENCY LATEST",
        "LATENCY RESET nosuchevent",
        "LATENCY RESET",
        "LATENCY DOCTOR",
        "CONFIG RESETSTAT",
        "LATENCY HISTOGRAM nosuch",
        "LATENCY HISTOGRAM nosuch client|nosuch a|b|c",
        "DEBUG SLEEP 0.2",
        "LATENCY HISTOGRAM debug",
        "LATENCY HISTOGRAM DEBUG nosuch debug",
        "CONFIG SET latency-tracking no",
        "INFO latencystats",
    ]);
    // RESP3: maps with integer keys (HELLO's reply holds the client id,
    // which differs between the servers, so it is not compared).
    let redis = match start_redis(&[]) {
        Some(r) => r,
        None => return,
    };
    let ours = start_ferrodis(&["--enable-debug-command", "yes"]);
    let mut a = Conn::connect(redis.port);
    let mut b = Conn::connect(ours.port);
    a.cmd("HELLO 3");
    b.cmd("HELLO 3");
    for line in [
        "CONFIG RESETSTAT",
        "DEBUG SLEEP 0.2",
        "LATENCY HISTOGRAM debug nosuch",
        "LATENCY HISTOGRAM nosuch",
        "LATENCY LATEST",
    ] {
        let (ra, rb) = (a.cmd(line), b.cmd(line));
        assert_eq!(
            String::from_utf8_lossy(&rb),
            String::from_utf8_lossy(&ra),
            "reply differs for: {line}"
        );
    }
}
