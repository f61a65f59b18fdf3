//! Replication: ferrodis as master and as replica, of itself and of a real
//! redis-server, compared key by key (DUMP payloads) after random
//! workloads; partial resynchronisation, chained replicas, WAIT, ROLE,
//! READONLY and MASTERDOWN, and the raw SYNC stream format.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{info_field, start_ferrodis, start_redis, Conn, Rng, Server};

/// Wait until `cond` holds (10 s at most).
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {}", what);
}

/// Wait for the replica's link to be up and its offset to match the
/// master's.
fn wait_in_sync(master: &mut Conn, replica: &mut Conn) {
    wait_for("replica in sync", || {
        let up = info_field(replica, "replication", "master_link_status").as_deref() == Some("up");
        let m = info_field(master, "replication", "master_repl_offset");
        let r = info_field(replica, "replication", "slave_repl_offset");
        up && m.is_some() && m == r
    });
}

/// Every key of databases 0..4 with its DUMP payload and whether it has a
/// TTL: equal snapshots mean equal datasets (DUMP is byte-identical
/// between ferrodis and Redis).
fn snapshot(c: &mut Conn) -> Vec<(usize, Vec<u8>, Vec<u8>, bool)> {
    let mut out = Vec::new();
    for db in 0..4 {
        c.cmd(&format!("SELECT {}", db));
        let keys = c.cmd("KEYS *");
        let mut names = parse_array(&keys);
        names.sort();
        for k in names {
            let dump = c.cmd_args(&[b"DUMP", &k]);
            let ttl = c.cmd_args(&[b"PTTL", &k]);
            out.push((db, k, dump, ttl != b":-1\r\n"));
        }
    }
    c.cmd("SELECT 0");
    out
}

/// Assert two snapshots are equal, showing the first differences.
fn assert_same(
    a: &[(usize, Vec<u8>, Vec<u8>, bool)],
    b: &[(usize, Vec<u8>, Vec<u8>, bool)],
    what: &str,
) {
    if a == b {
        return;
    }
    let show = |e: &(usize, Vec<u8>, Vec<u8>, bool)| {
        format!(
            "db{} {} {} ttl={}",
            e.0,
            common::show(&e.1),
            common::show(&e.2),
            e.3
        )
    };
    let sa: std::collections::BTreeSet<String> = a.iter().map(show).collect();
    let sb: std::collections::BTreeSet<String> = b.iter().map(show).collect();
    let only_a: Vec<&String> = sa.difference(&sb).take(5).collect();
    let only_b: Vec<&String> = sb.difference(&sa).take(5).collect();
    panic!(
        "{}: datasets differ ({} vs {} keys)\nonly in master: {:#?}\nonly in replica: {:#?}",
        what,
        a.len(),
        b.len(),
        only_a,
        only_b
    );
}

/// The bulk strings of a flat array reply.
fn parse_array(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut r = BufReader::new(reply);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let n: i64 = line.trim_end()[1..].parse().unwrap();
    let mut v = Vec::new();
    for _ in 0..n.max(0) {
        line.clear();
        r.read_line(&mut line).unwrap();
        let len: usize = line.trim_end()[1..].parse().unwrap();
        let mut buf = vec![0u8; len + 2];
        r.read_exact(&mut buf).unwrap();
        buf.truncate(len);
        v.push(buf);
    }
    v
}

/// A random write workload over several types and databases, with
/// transactions and scripts.
fn workload(c: &mut Conn, seed: u64, n: usize) {
    let mut rng = Rng::new(seed);
    for i in 0..n {
        let db = rng.below(4);
        c.cmd(&format!("SELECT {}", db));
        let k = format!("k{}", rng.below(30));
        let v = format!("v{}", rng.below(1000));
        let line = match rng.below(14) {
            0 => format!("SET {} {}", k, v),
            1 => format!("INCRBY n{} {}", rng.below(5), rng.below(100)),
            2 => format!("RPUSH l{} {} {}", rng.below(5), v, i),
            3 => format!("LPOP l{}", rng.below(5)),
            4 => format!("HSET h{} f{} {}", rng.below(5), rng.below(20), v),
            5 => format!("SADD s{} {}", rng.below(5), rng.below(50)),
            6 => format!("ZADD z{} {} m{}", rng.below(5), rng.below(100), rng.below(30)),
            7 => format!("DEL {}", k),
            8 => format!("EXPIRE {} 1000", k),
            9 => format!("INCRBYFLOAT f{} 1.5", rng.below(3)),
            10 => format!("SPOP s{}", rng.below(5)),
            11 => {
                c.cmd("MULTI");
                c.cmd(&format!("SET {} {}", k, v));
                c.cmd(&format!("SELECT {}", (db + 1) % 4));
                c.cmd(&format!("LPUSH l{} {}", rng.below(5), v));
                c.cmd("EXEC");
                continue;
            }
            12 => format!(
                "EVAL \"redis.call('set',KEYS[1],ARGV[1]); return redis.call('incr','cnt')\" 1 {} {}",
                k, v
            ),
            _ => format!("SETEX t{} 500 {}", rng.below(5), v),
        };
        c.cmd(&line);
    }
    c.cmd("SELECT 0");
}

fn start_replica_ferrodis(master_port: u16) -> Server {
    start_ferrodis(&["--replicaof", "127.0.0.1", &master_port.to_string()])
}

#[test]
fn ferrodis_replica_of_ferrodis() {
    let m = start_ferrodis(&[]);
    let mut mc = Conn::connect(m.port);
    workload(&mut mc, 1, 200);
    let r = start_replica_ferrodis(m.port);
    let mut rc = Conn::connect(r.port);
    wait_in_sync(&mut mc, &mut rc);
    assert_same(&snapshot(&mut mc), &snapshot(&mut rc), "after full sync");

    // The live stream.
    workload(&mut mc, 2, 400);
    wait_in_sync(&mut mc, &mut rc);
    assert_same(&snapshot(&mut mc), &snapshot(&mut rc), "after the stream");

    // ROLE on both sides.
    let role = String::from_utf8_lossy(&rc.cmd("ROLE")).into_owned();
    assert!(
        role.starts_with("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n"),
        "{}",
        role
    );
    assert!(role.contains("$9\r\nconnected\r\n"), "{}", role);
    let role = String::from_utf8_lossy(&mc.cmd("ROLE")).into_owned();
    assert!(role.starts_with("*3\r\n$6\r\nmaster\r\n:"), "{}", role);

    // A read-only replica refuses writes but serves reads.
    assert_eq!(
        rc.cmd("SET x 1"),
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(
        info_field(&mut rc, "replication", "role").as_deref(),
        Some("slave")
    );

    // WAIT counts the replica once it acknowledged this client's write.
    mc.cmd("SET waited 1");
    assert_eq!(mc.cmd("WAIT 1 5000"), b":1\r\n");
    assert_eq!(
        rc.cmd("WAIT 1 10"),
        b"-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n"
    );

    // Drop the link: the replica comes back with a partial resync.
    assert_eq!(mc.cmd("CLIENT KILL TYPE replica"), b":1\r\n");
    workload(&mut mc, 3, 100);
    wait_in_sync(&mut mc, &mut rc);
    assert_same(
        &snapshot(&mut mc),
        &snapshot(&mut rc),
        "after a partial resync",
    );
    assert_eq!(
        info_field(&mut mc, "stats", "sync_partial_ok").as_deref(),
        Some("1")
    );
    assert_eq!(
        info_field(&mut mc, "stats", "sync_full").as_deref(),
        Some("1")
    );

    // Promotion: a new history, the old one kept as replid2.
    let old_id = info_field(&mut rc, "replication", "master_replid").unwrap();
    assert_eq!(rc.cmd("REPLICAOF NO ONE"), b"+OK\r\n");
    assert_eq!(
        info_field(&mut rc, "replication", "role").as_deref(),
        Some("master")
    );
    assert_eq!(
        info_field(&mut rc, "replication", "master_replid2"),
        Some(old_id)
    );
    assert_eq!(rc.cmd("SET x 1"), b"+OK\r\n");
    wait_for("replica gone", || {
        info_field(&mut mc, "replication", "connected_slaves").as_deref() == Some("0")
    });
}

#[test]
fn chained_replicas_follow_the_top_master() {
    let a = start_ferrodis(&[]);
    let mut ac = Conn::connect(a.port);
    workload(&mut ac, 10, 100);
    let b = start_replica_ferrodis(a.port);
    let mut bc = Conn::connect(b.port);
    wait_in_sync(&mut ac, &mut bc);
    let c = start_replica_ferrodis(b.port);
    let mut cc = Conn::connect(c.port);
    wait_in_sync(&mut bc, &mut cc);
    workload(&mut ac, 11, 300);
    wait_in_sync(&mut ac, &mut bc);
    wait_in_sync(&mut bc, &mut cc);
    let top = snapshot(&mut ac);
    assert_same(&top, &snapshot(&mut bc), "first replica");
    assert_same(&top, &snapshot(&mut cc), "sub-replica");
    // The sub-replica shares the top master's history and offsets.
    assert_eq!(
        info_field(&mut ac, "replication", "master_replid"),
        info_field(&mut cc, "replication", "master_replid")
    );
}

/// The replica of `mc` follows it: the full sync, the live stream, WAIT
/// counting its acks, and a partial resynchronisation after its link is
/// killed (the master's `sync_partial_ok` becomes 1).
fn follow_through_partial_resync(mc: &mut Conn, rc: &mut Conn, seed: u64) {
    wait_in_sync(mc, rc);
    assert_same(&snapshot(mc), &snapshot(rc), "after full sync");
    workload(mc, seed, 400);
    wait_in_sync(mc, rc);
    assert_same(&snapshot(mc), &snapshot(rc), "after the stream");
    mc.cmd("SET waited 1");
    assert_eq!(mc.cmd("WAIT 1 5000"), b":1\r\n");
    mc.cmd("CLIENT KILL TYPE replica");
    workload(mc, seed + 1, 50);
    wait_in_sync(mc, rc);
    assert_same(&snapshot(mc), &snapshot(rc), "after a partial resync");
    assert_eq!(
        info_field(mc, "stats", "sync_partial_ok").as_deref(),
        Some("1")
    );
}

#[test]
fn ferrodis_replica_of_redis() {
    let m = match start_redis(&["--repl-diskless-sync-delay", "0"]) {
        Some(s) => s,
        None => return,
    };
    let mut mc = Conn::connect(m.port);
    workload(&mut mc, 20, 200);
    let r = start_replica_ferrodis(m.port);
    let mut rc = Conn::connect(r.port);
    follow_through_partial_resync(&mut mc, &mut rc, 21);
}

#[test]
fn redis_replica_of_ferrodis() {
    let m = start_ferrodis(&[]);
    let mut mc = Conn::connect(m.port);
    workload(&mut mc, 30, 200);
    // A Redis replica writes the payload it receives to `dbfilename` in its
    // working directory: keep that out of the repository (other tests
    // would load it at start-up).
    let dir = std::env::temp_dir().join(format!("ferrodis-repl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir_s = dir.display().to_string();
    let r = match start_redis(&[
        "--replicaof",
        "127.0.0.1",
        &m.port.to_string(),
        "--dir",
        &dir_s,
    ]) {
        Some(s) => s,
        None => return,
    };
    let mut rc = Conn::connect(r.port);
    follow_through_partial_resync(&mut mc, &mut rc, 31);
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stale_replica_with_serve_stale_data_off() {
    let dead = common::free_port();
    let r = start_ferrodis(&["--replica-serve-stale-data", "no"]);
    let mut c = Conn::connect(r.port);
    c.cmd("SET k v");
    assert_eq!(c.cmd(&format!("REPLICAOF 127.0.0.1 {}", dead)), b"+OK\r\n");
    let masterdown =
        b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert_eq!(c.cmd("GET k"), masterdown);
    // Commands flagged `stale` still work.
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status").as_deref(),
        Some("down")
    );
    let role = String::from_utf8_lossy(&c.cmd("ROLE")).into_owned();
    assert!(role.contains("connect"), "{}", role);
    // A transaction that queued a non-stale command is aborted.
    assert_eq!(c.cmd("MULTI"), b"+OK\r\n");
    assert_eq!(c.cmd("GET k"), masterdown);
    assert_eq!(
        c.cmd("EXEC"),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // Invalid ports are refused; the same master is reported as such.
    assert_eq!(
        c.cmd("REPLICAOF 127.0.0.1 70000"),
        b"-ERR Invalid master port\r\n"
    );
    assert_eq!(
        c.cmd(&format!("REPLICAOF 127.0.0.1 {}", dead)),
        b"+OK Already connected to specified master\r\n"
    );
    assert_eq!(c.cmd("REPLICAOF NO ONE"), b"+OK\r\n");
    assert_eq!(c.cmd("GET k"), b"$1\r\nv\r\n");
}

/// The raw stream a `SYNC` client receives: the RDB payload as a bulk,
/// then the writes with a SELECT first, exactly as Redis sends them.
#[test]
fn sync_stream_format() {
    let m = start_ferrodis(&[]);
    let mut mc = Conn::connect(m.port);
    mc.cmd("SET before 1");
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"SYNC\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with('$'), "{:?}", line);
    let len: usize = line.trim_end()[1..].parse().unwrap();
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload).unwrap();
    assert!(payload.starts_with(b"REDIS0010"));
    mc.cmd("SELECT 3");
    mc.cmd("SET k v");
    mc.cmd("PEXPIRE k 100000");
    mc.cmd("GETDEL k");
    let want: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    let mut got = vec![0u8; want.len()];
    r.read_exact(&mut got).unwrap();
    assert_eq!(common::show(&got), common::show(want));
    // PEXPIRE travels as PEXPIREAT, GETDEL as DEL.
    let mut next = Vec::new();
    common::read_one(&mut r, &mut next).unwrap();
    assert!(
        common::show(&next).contains("PEXPIREAT"),
        "{}",
        common::show(&next)
    );
    next.clear();
    common::read_one(&mut r, &mut next).unwrap();
    assert_eq!(
        common::show(&next),
        common::show(b"*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n")
    );
    let role = String::from_utf8_lossy(&mc.cmd("ROLE")).into_owned();
    assert!(role.starts_with("*3\r\n$6\r\nmaster\r\n"), "{}", role);
}

/// A replica never expires keys itself: reads hide a key whose TTL passed
/// while the master has not deleted it yet; the master client still sees
/// it; a write on a writable replica replaces it.
#[test]
fn replica_expiry_view() {
    let m = start_ferrodis(&["--enable-debug-command", "yes"]);
    let mut mc = Conn::connect(m.port);
    assert_eq!(mc.cmd("DEBUG SET-ACTIVE-EXPIRE 0"), b"+OK\r\n");
    let r = start_ferrodis(&[
        "--replicaof",
        "127.0.0.1",
        &m.port.to_string(),
        "--replica-read-only",
        "no",
    ]);
    let mut rc = Conn::connect(r.port);
    wait_in_sync(&mut mc, &mut rc);
    mc.cmd("SADD s a");
    mc.cmd("PEXPIRE s 100");
    wait_in_sync(&mut mc, &mut rc);
    std::thread::sleep(std::time::Duration::from_millis(150));
    // Logically expired on the replica, but still there (DBSIZE counts it).
    assert_eq!(rc.cmd("SMEMBERS s"), b"*0\r\n");
    assert_eq!(rc.cmd("EXISTS s"), b":0\r\n");
    assert_eq!(
        common::show(&rc.cmd("DBSIZE")),
        ":1\r\n",
        "replica keys {} / master {}",
        common::show(&rc.cmd("KEYS *")),
        common::show(&mc.cmd("KEYS *"))
    );
    // The master expires it when it touches it and sends the DEL before
    // its write; the replica follows.
    mc.cmd("SADD s c");
    wait_in_sync(&mut mc, &mut rc);
    assert_eq!(mc.cmd("SCARD s"), b":1\r\n");
    assert_eq!(rc.cmd("SMEMBERS s"), b"*1\r\n$1\r\nc\r\n");
    // A local write on the writable replica starts from an empty key.
    assert_eq!(rc.cmd("SADD s2 x"), b":1\r\n");
    assert_eq!(rc.cmd("SCARD s2"), b":1\r\n");
}
