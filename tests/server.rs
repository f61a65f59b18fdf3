//! Integration tests: start the built binary on a free port and talk RESP
//! over TCP.

mod common;

use common::{encode, start_ferrodis, Conn};
use std::io::Write;
use std::time::Duration;

#[test]
fn ping_set_get() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("PING"), b"+PONG\r\n");
    assert_eq!(c.cmd("SET foo bar"), b"+OK\r\n");
    assert_eq!(c.cmd("GET foo"), b"$3\r\nbar\r\n");
    assert_eq!(c.cmd("GET nokey"), b"$-1\r\n");
    assert_eq!(c.cmd("INCR n"), b":1\r\n");
}

#[test]
fn pipelining_runs_every_request_in_order() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let mut batch = Vec::new();
    for i in 0..2000 {
        batch.extend_from_slice(&encode(&[b"INCR", b"counter"]));
        if i % 100 == 0 {
            batch.extend_from_slice(b"PING\r\n");
        }
    }
    c.send_raw(&batch);
    let mut expected_n = 0;
    for i in 0..2000 {
        expected_n += 1;
        assert_eq!(c.read_reply(), format!(":{}\r\n", expected_n).into_bytes());
        if i % 100 == 0 {
            assert_eq!(c.read_reply(), b"+PONG\r\n");
        }
    }
}

#[test]
fn request_split_across_many_writes() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let req = encode(&[b"SET", b"split", b"hello world"]);
    for b in &req {
        c.w.write_all(&[*b]).unwrap();
        c.w.flush().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.cmd("GET split"), b"$11\r\nhello world\r\n");
}

#[test]
fn big_argument_round_trip() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let big: Vec<u8> = (0..3_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let req = encode(&[b"SET", b"big", &big]);
    // Send in uneven chunks to exercise the big-argument path.
    for chunk in req.chunks(70_001) {
        c.w.write_all(chunk).unwrap();
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.send(&[b"GET", b"big"]);
    let reply = c.read_reply();
    let mut expected = format!("${}\r\n", big.len()).into_bytes();
    expected.extend_from_slice(&big);
    expected.extend_from_slice(b"\r\n");
    assert!(reply == expected, "big value differs");
    assert_eq!(c.cmd("STRLEN big"), b":3000000\r\n");
}

#[test]
fn protocol_error_replies_then_closes() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    c.send_raw(b"*1\r\nfoo\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: expected '$', got 'f'\r\n"
    );
    assert!(c.is_closed());
    // The server is still fine for others.
    let mut c2 = Conn::connect(s.port);
    assert_eq!(c2.cmd("PING"), b"+PONG\r\n");
}

#[test]
fn unknown_command_and_arity_errors() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        c.cmd("FOOBAR a b"),
        b"-ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        c.cmd("GET"),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        c.cmd("CONFIG NOPE"),
        b"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n"
    );
}

#[test]
fn quit_discards_pipelined_commands() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let mut req = encode(&[b"QUIT"]);
    req.extend_from_slice(&encode(&[b"SET", b"after-quit", b"1"]));
    c.send_raw(&req);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert!(c.is_closed());
    let mut c2 = Conn::connect(s.port);
    assert_eq!(c2.cmd("EXISTS after-quit"), b":0\r\n");
}

#[test]
fn many_interleaved_clients() {
    let s = start_ferrodis(&[]);
    let mut conns: Vec<Conn> = (0..64).map(|_| Conn::connect(s.port)).collect();
    for round in 0..20 {
        for (i, c) in conns.iter_mut().enumerate() {
            let key = format!("k{}", i);
            let val = format!("v{}-{}", i, round);
            c.send(&[b"SET", key.as_bytes(), val.as_bytes()]);
        }
        for c in conns.iter_mut() {
            assert_eq!(c.read_reply(), b"+OK\r\n");
        }
        for (i, c) in conns.iter_mut().enumerate() {
            let key = format!("k{}", i);
            let val = format!("v{}-{}", i, round);
            let reply = c.cmd_args(&[b"GET", key.as_bytes()]);
            assert_eq!(reply, format!("${}\r\n{}\r\n", val.len(), val).into_bytes());
        }
    }
    assert_eq!(conns[0].cmd("DBSIZE"), b":64\r\n");
}

#[test]
fn lazy_and_active_expiry() {
    let s = start_ferrodis(&["--hz", "100"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("SET short v PX 50"), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(c.cmd("GET short"), b"$-1\r\n");
    // Active expiry: keys nobody touches disappear on their own.
    for i in 0..500 {
        let k = format!("vol{}", i);
        c.send(&[b"SET", k.as_bytes(), b"x", b"PX", b"30"]);
    }
    for _ in 0..500 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    let mut gone = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(20));
        if c.cmd("DBSIZE") == b":0\r\n" {
            gone = true;
            break;
        }
    }
    assert!(gone, "active expiry did not remove the keys");
}

#[test]
fn resp3_hello_switches_encoding() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let hello = c.cmd("HELLO 3");
    assert!(
        hello.starts_with(b"%7\r\n"),
        "{:?}",
        String::from_utf8_lossy(&hello)
    );
    assert_eq!(c.cmd("GET missing"), b"_\r\n");
    c.cmd("HELLO 2");
    assert_eq!(c.cmd("GET missing"), b"$-1\r\n");
}

#[test]
fn bad_config_directive_exits_with_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args(["--port", "0", "--no-such-directive", "1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FATAL CONFIG FILE ERROR"), "{}", err);
    assert!(
        err.contains("Bad directive or wrong number of arguments"),
        "{}",
        err
    );
}

#[test]
fn version_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .arg("-v")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Redis server v=7.0.15"));
}

#[test]
fn config_file_and_daemonize_with_pidfile() {
    let dir = std::env::temp_dir().join(format!("ferrodis-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = common::free_port();
    let pidfile = dir.join("f.pid");
    let inc = dir.join("inc.conf");
    std::fs::write(&inc, "hz 20\n").unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(
        &conf,
        format!(
            "# comment\nport {}\nsave \"\"\ninclude {}\nmaxmemory 1mb\ndaemonize yes\npidfile {}\n",
            port,
            inc.display(),
            pidfile.display()
        ),
    )
    .unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .arg(&conf)
        .status()
        .expect("run");
    assert!(status.success(), "the foreground process exits at once");
    let mut c = None;
    for _ in 0..200 {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            drop(s);
            c = Some(Conn::connect(port));
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = c.expect("daemon is serving");
    assert_eq!(c.cmd("CONFIG GET hz"), b"*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
    assert_eq!(
        c.cmd("CONFIG GET maxmemory"),
        b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n"
    );
    let pid = std::fs::read_to_string(&pidfile).expect("pid file written");
    assert!(pid.trim().parse::<u32>().is_ok());
    c.send(&[b"SHUTDOWN"]);
    assert!(c.is_closed());
    for _ in 0..100 {
        if !pidfile.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pid file removed at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watch_is_invalidated_by_other_clients_expiry_and_flush() {
    let s = start_ferrodis(&[]);
    let mut a = Conn::connect(s.port);
    let mut b = Conn::connect(s.port);
    // Another client's write aborts the transaction.
    a.cmd("SET w 1");
    a.cmd("WATCH w");
    b.cmd("SET w 2");
    a.cmd("MULTI");
    a.cmd("SET w 3");
    assert_eq!(a.cmd("EXEC"), b"*-1\r\n");
    assert_eq!(a.cmd("GET w"), b"$1\r\n2\r\n");
    // Expiry after WATCH aborts too.
    a.cmd("SET e 1 PX 20");
    a.cmd("WATCH e");
    std::thread::sleep(Duration::from_millis(40));
    a.cmd("MULTI");
    a.cmd("PING");
    assert_eq!(a.cmd("EXEC"), b"*-1\r\n");
    // FLUSHALL from another client touches watched keys that existed.
    a.cmd("SET f 1");
    a.cmd("WATCH f");
    b.cmd("FLUSHALL");
    a.cmd("MULTI");
    a.cmd("PING");
    assert_eq!(a.cmd("EXEC"), b"*-1\r\n");
    // An untouched watch lets EXEC run.
    a.cmd("WATCH quiet");
    a.cmd("MULTI");
    a.cmd("SET quiet 1");
    assert_eq!(a.cmd("EXEC"), b"*1\r\n+OK\r\n");
}

#[test]
fn pubsub_delivery_patterns_and_resp2_restrictions() {
    let s = start_ferrodis(&[]);
    let mut sub = Conn::connect(s.port);
    let mut publ = Conn::connect(s.port);
    assert_eq!(
        sub.cmd("SUBSCRIBE news"),
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    );
    sub.send(&[b"PSUBSCRIBE", b"n*"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n"
    );
    assert_eq!(publ.cmd("PUBLISH news hi"), b":2\r\n");
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        sub.read_reply(),
        b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        sub.cmd("GET x"),
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n".to_vec()
    );
    assert_eq!(sub.cmd("PING"), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        publ.cmd("PUBSUB NUMSUB news"),
        b"*2\r\n$4\r\nnews\r\n:1\r\n"
    );
    drop(sub);
    // A closed subscriber is removed from the channel.
    let mut n = Vec::new();
    for _ in 0..50 {
        n = publ.cmd("PUBSUB NUMSUB news");
        if n == b"*2\r\n$4\r\nnews\r\n:0\r\n" {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(n, b"*2\r\n$4\r\nnews\r\n:0\r\n");
}

#[test]
fn thousand_subscribers_get_every_message_in_order() {
    let s = start_ferrodis(&["--maxclients", "2000"]);
    let mut subs: Vec<Conn> = (0..1000).map(|_| Conn::connect(s.port)).collect();
    for c in subs.iter_mut() {
        c.send(&[b"SUBSCRIBE", b"fan"]);
    }
    for c in subs.iter_mut() {
        c.read_reply();
    }
    let mut publ = Conn::connect(s.port);
    for i in 0..20 {
        let msg = format!("m{}", i);
        assert_eq!(
            publ.cmd_args(&[b"PUBLISH", b"fan", msg.as_bytes()]),
            b":1000\r\n"
        );
    }
    for c in subs.iter_mut() {
        for i in 0..20 {
            let msg = format!("m{}", i);
            let expected = format!(
                "*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n${}\r\n{}\r\n",
                msg.len(),
                msg
            );
            assert_eq!(c.read_reply(), expected.into_bytes());
        }
    }
}

#[test]
fn slow_subscriber_is_disconnected_at_the_hard_limit() {
    let s = start_ferrodis(&["--client-output-buffer-limit", "pubsub 1mb 512kb 60"]);
    // A subscriber that never reads.
    let mut slow = Conn::connect(s.port);
    slow.send(&[b"SUBSCRIBE", b"flood"]);
    let mut publ = Conn::connect(s.port);
    let mut other = Conn::connect(s.port);
    let payload = vec![b'x'; 64 * 1024];
    let mut receivers = b":1\r\n".to_vec();
    for _ in 0..400 {
        receivers = publ.cmd_args(&[b"PUBLISH", b"flood", &payload]);
        if receivers == b":0\r\n" {
            break;
        }
        // Other clients keep being served meanwhile.
        assert_eq!(other.cmd("PING"), b"+PONG\r\n");
    }
    assert_eq!(receivers, b":0\r\n", "the slow subscriber was dropped");
    assert_eq!(
        other.cmd("PUBSUB NUMSUB flood"),
        b"*2\r\n$5\r\nflood\r\n:0\r\n"
    );
}

#[test]
fn maxmemory_evicts_or_refuses_by_policy() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    let val = vec![b'v'; 1024];
    // noeviction: writes are refused once over the limit, reads still work.
    c.cmd("CONFIG SET maxmemory-policy noeviction");
    c.cmd("CONFIG SET maxmemory 1");
    assert_eq!(
        c.cmd_args(&[b"SET", b"k", &val]),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(c.cmd("GET k"), b"$-1\r\n");
    c.cmd("CONFIG SET maxmemory 0");
    // allkeys-lru: old keys make room for new ones.
    for i in 0..3000 {
        let k = format!("key:{}", i);
        c.cmd_args(&[b"SET", k.as_bytes(), &val]);
    }
    assert_eq!(c.cmd("DBSIZE"), b":3000\r\n");
    c.cmd("CONFIG SET maxmemory-policy allkeys-lru");
    c.cmd("CONFIG SET maxmemory 2mb");
    for i in 3000..6000 {
        let k = format!("key:{}", i);
        assert_eq!(c.cmd_args(&[b"SET", k.as_bytes(), &val]), b"+OK\r\n");
    }
    let dbsize = String::from_utf8(c.cmd("DBSIZE")).unwrap();
    let n: i64 = dbsize.trim_start_matches(':').trim().parse().unwrap();
    assert!(n < 6000 && n > 0, "keys were evicted: {}", n);
    let info = String::from_utf8(c.cmd("INFO stats")).unwrap();
    assert!(!info.contains("evicted_keys:0\r\n"), "evicted_keys counted");
    // volatile-lru with no volatile keys cannot free anything.
    c.cmd("CONFIG SET maxmemory-policy volatile-lru");
    c.cmd("CONFIG SET maxmemory 1");
    assert!(c.cmd_args(&[b"SET", b"x", &val]).starts_with(b"-OOM"));
    c.cmd("CONFIG SET maxmemory 0");
}

#[test]
fn client_side_caching_invalidations() {
    let s = start_ferrodis(&[]);
    // RESP3 default mode: read, then another client writes.
    let mut c = Conn::connect(s.port);
    let mut w = Conn::connect(s.port);
    c.cmd("HELLO 3");
    assert_eq!(c.cmd("CLIENT TRACKING on"), b"+OK\r\n");
    w.cmd("SET k1 v");
    assert_eq!(c.cmd("GET k1"), b"$1\r\nv\r\n");
    w.cmd("SET k1 v2");
    assert_eq!(
        c.read_reply(),
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n"
    );
    // The key is forgotten after one invalidation.
    w.cmd("SET k1 v3");
    assert_eq!(c.cmd("PING"), b"+PONG\r\n");
    // RESP2 redirect to a subscriber of __redis__:invalidate.
    let mut r = Conn::connect(s.port);
    let id = String::from_utf8(r.cmd("CLIENT ID")).unwrap();
    let id = id.trim_start_matches(':').trim().to_string();
    r.cmd("SUBSCRIBE __redis__:invalidate");
    let mut t = Conn::connect(s.port);
    assert_eq!(
        t.cmd_args(&[b"CLIENT", b"TRACKING", b"on", b"REDIRECT", id.as_bytes()]),
        b"+OK\r\n"
    );
    t.cmd("GET k2");
    w.cmd("SET k2 x");
    assert_eq!(
        r.read_reply(),
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nk2\r\n"
    );
    // BCAST with a prefix batches keys per event-loop turn.
    let mut b = Conn::connect(s.port);
    b.cmd("HELLO 3");
    assert_eq!(b.cmd("CLIENT TRACKING on BCAST PREFIX user:"), b"+OK\r\n");
    w.cmd("SET other 1");
    w.cmd("SET user:1 a");
    assert_eq!(
        b.read_reply(),
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n"
    );
    assert_eq!(
        b.cmd("CLIENT TRACKING on BCAST PREFIX user:x"),
        b"-ERR Prefix 'user:x' overlaps with an existing prefix 'user:'. Prefixes for a single client must not overlap.\r\n".to_vec()
    );
}

#[test]
fn blocking_pops_fifo_timeouts_and_unblock() {
    let s = start_ferrodis(&[]);
    let mut a = Conn::connect(s.port);
    let mut b = Conn::connect(s.port);
    let mut w = Conn::connect(s.port);
    // Two waiters are served in the order they blocked.
    a.send(&[b"BLPOP", b"q", b"0"]);
    std::thread::sleep(Duration::from_millis(30));
    b.send(&[b"BLPOP", b"q", b"0"]);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(w.cmd("RPUSH q one two"), b":2\r\n");
    assert_eq!(a.read_reply(), b"*2\r\n$1\r\nq\r\n$3\r\none\r\n");
    assert_eq!(b.read_reply(), b"*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n");
    assert_eq!(w.cmd("EXISTS q"), b":0\r\n");
    // Sub-second timeout.
    let t = std::time::Instant::now();
    assert_eq!(a.cmd("BRPOP nothing 0.05"), b"*-1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(45));
    // Inside MULTI a blocking pop answers at once.
    a.cmd("MULTI");
    a.cmd("BLPOP nothing 0");
    assert_eq!(a.cmd("EXEC"), b"*1\r\n*-1\r\n");
    // CLIENT UNBLOCK with ERROR.
    let id = String::from_utf8(b.cmd("CLIENT ID")).unwrap();
    let id = id.trim_start_matches(':').trim().to_string();
    b.send(&[b"BZPOPMIN", b"z", b"0"]);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        w.cmd_args(&[b"CLIENT", b"UNBLOCK", id.as_bytes(), b"ERROR"]),
        b":1\r\n"
    );
    assert_eq!(
        b.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // Commands sent while blocked run after the wait ends.
    a.send(&[b"BLPOP", b"later", b"0"]);
    a.send(&[b"PING"]);
    std::thread::sleep(Duration::from_millis(30));
    w.cmd("LPUSH later x");
    assert_eq!(a.read_reply(), b"*2\r\n$5\r\nlater\r\n$1\r\nx\r\n");
    assert_eq!(a.read_reply(), b"+PONG\r\n");
    // A blocked client that disconnects leaves no waiter behind.
    let mut gone = Conn::connect(s.port);
    gone.send(&[b"BLPOP", b"k2", b"0"]);
    std::thread::sleep(Duration::from_millis(30));
    drop(gone);
    std::thread::sleep(Duration::from_millis(50));
    let info = String::from_utf8(w.cmd("INFO clients")).unwrap();
    assert!(info.contains("blocked_clients:0"), "{}", info);
}

/// SLOWLOG keeps commands as the client sent them: a big SET value (moved
/// into the keyspace) shows its first 128 bytes and the rest as a count,
/// GEOADD shows as GEOADD (not the ZADD it runs as), EXEC is not logged but
/// what it ran is, and entries are newest first with growing ids.
#[test]
fn slowlog_shows_commands_as_sent() {
    let s = start_ferrodis(&["--slowlog-log-slower-than", "0"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("CLIENT SETNAME slowpoke"), b"+OK\r\n");
    assert_eq!(c.cmd("SLOWLOG RESET"), b"+OK\r\n");
    let big = "v".repeat(200);
    assert_eq!(c.cmd(&format!("SET bigkey {big}")), b"+OK\r\n");
    let get = c.cmd("SLOWLOG GET 1");
    let text = String::from_utf8_lossy(&get).into_owned();
    let want = format!(
        "$3\r\nSET\r\n$6\r\nbigkey\r\n$147\r\n{}... (72 more bytes)\r\n",
        "v".repeat(128)
    );
    assert!(text.contains(&want), "{text}");
    assert!(text.ends_with("$8\r\nslowpoke\r\n"), "{text}");
    // The value itself was stored whole.
    assert_eq!(c.cmd("STRLEN bigkey"), b":200\r\n");
    assert_eq!(c.cmd("SLOWLOG RESET"), b"+OK\r\n");
    c.cmd("GEOADD cities -122.33207 47.60621 Seattle");
    let text = String::from_utf8_lossy(&c.cmd("SLOWLOG GET 1")).into_owned();
    assert!(
        text.contains("$6\r\nGEOADD\r\n$6\r\ncities\r\n$10\r\n-122.33207\r\n"),
        "{text}"
    );
    c.cmd("SLOWLOG RESET");
    c.cmd("MULTI");
    c.cmd("INCR n");
    c.cmd("EXEC");
    let text = String::from_utf8_lossy(&c.cmd("SLOWLOG GET")).into_owned();
    assert!(text.starts_with("*3\r\n"), "{text}"); // INCR, MULTI, SLOWLOG RESET
    assert!(
        text.contains("$4\r\nINCR\r\n") && !text.contains("EXEC"),
        "{text}"
    );
    assert_eq!(
        c.cmd("SLOWLOG GET -2"),
        b"-ERR count should be greater than or equal to -1\r\n"
    );
    assert_eq!(c.cmd("CONFIG SET slowlog-log-slower-than -1"), b"+OK\r\n");
    c.cmd("SLOWLOG RESET");
    c.cmd("PING");
    assert_eq!(c.cmd("SLOWLOG LEN"), b":0\r\n");
}

/// The latency monitor samples a slow command, LATENCY reads and resets it;
/// per-command histograms count calls, survive `latency-tracking no` and
/// are dropped by CONFIG RESETSTAT (which itself is then recorded).
#[test]
fn latency_monitor_and_histograms() {
    let s = start_ferrodis(&[
        "--latency-monitor-threshold",
        "50",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("LATENCY LATEST"), b"*0\r\n");
    assert_eq!(c.cmd("DEBUG SLEEP 0.06"), b"+OK\r\n");
    let latest = String::from_utf8_lossy(&c.cmd("LATENCY LATEST")).into_owned();
    assert!(
        latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
        "{latest}"
    );
    let history = String::from_utf8_lossy(&c.cmd("LATENCY HISTORY command")).into_owned();
    assert!(history.starts_with("*1\r\n*2\r\n:"), "{history}");
    let graph = String::from_utf8_lossy(&c.cmd("LATENCY GRAPH command")).into_owned();
    assert!(graph.contains("command - high 6"), "{graph}");
    let doctor = String::from_utf8_lossy(&c.cmd("LATENCY DOCTOR")).into_owned();
    assert!(doctor.contains("1. command: 1 latency spikes"), "{doctor}");
    assert_eq!(c.cmd("LATENCY RESET command fast-command"), b":1\r\n");
    assert_eq!(c.cmd("LATENCY LATEST"), b"*0\r\n");

    assert_eq!(c.cmd("CONFIG RESETSTAT"), b"+OK\r\n");
    assert_eq!(c.cmd("SET a b"), b"+OK\r\n");
    let info = String::from_utf8_lossy(&c.cmd("INFO latencystats")).into_owned();
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    assert!(
        info.contains("latency_percentiles_usec_config|resetstat:p50="),
        "{info}"
    );
    let histo = String::from_utf8_lossy(&c.cmd("LATENCY HISTOGRAM set")).into_owned();
    assert!(
        histo.starts_with(
            "*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n"
        ),
        "{histo}"
    );
    assert_eq!(c.cmd("CONFIG SET latency-tracking no"), b"+OK\r\n");
    c.cmd("SET a b");
    let histo = String::from_utf8_lossy(&c.cmd("LATENCY HISTOGRAM set")).into_owned();
    assert!(histo.contains("$5\r\ncalls\r\n:1\r\n"), "{histo}");
    let info = String::from_utf8_lossy(&c.cmd("INFO latencystats")).into_owned();
    assert_eq!(info, "$16\r\n# Latencystats\r\n\r\n");
}

/// DEBUG PAUSE-CRON stops the server cron: with it paused, a key with a
/// TTL is not removed by the active expiry cycle, only lazily on access.
#[test]
fn debug_pause_cron_stops_active_expiry() {
    let s = start_ferrodis(&["--enable-debug-command", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("DEBUG PAUSE-CRON 1"), b"+OK\r\n");
    assert_eq!(c.cmd("SET k v PX 1"), b"+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    // DBSIZE does not touch the key: it is still counted.
    assert_eq!(c.cmd("DBSIZE"), b":1\r\n");
    assert_eq!(c.cmd("DEBUG PAUSE-CRON 0"), b"+OK\r\n");
    let mut gone = false;
    for _ in 0..50 {
        if c.cmd("DBSIZE") == b":0\r\n" {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(gone, "active expiry resumes after PAUSE-CRON 0");
}

/// COMMAND INFO marks commands whose keys move with their arguments
/// (`movablekeys`, listed after the table's flags) and no others.
#[test]
fn command_info_movablekeys() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    for cmd in [
        "zunionstore",
        "eval",
        "sort",
        "sort_ro",
        "georadius",
        "lmpop",
    ] {
        let info = String::from_utf8_lossy(&c.cmd(&format!("COMMAND INFO {cmd}"))).into_owned();
        assert!(info.contains("+movablekeys\r\n"), "{cmd}: {info}");
    }
    for cmd in ["get", "set", "mset", "georadius_ro", "zadd"] {
        let info = String::from_utf8_lossy(&c.cmd(&format!("COMMAND INFO {cmd}"))).into_owned();
        assert!(!info.contains("movablekeys"), "{cmd}: {info}");
    }
}

/// Save points (`save <seconds> <changes>`) snapshot from the cron, BGSAVE
/// saves (scheduled when asked inside MULTI), and the file loads at start.
#[test]
fn save_points_and_bgsave() {
    let dir = std::env::temp_dir().join(format!("ferrodis-bgsave-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let rdb = dir.join("dump.rdb");
    {
        let s = start_ferrodis(&["--dir", &d, "--save", "1 1"]);
        let mut c = Conn::connect(s.port);
        assert_eq!(c.cmd("SET k v"), b"+OK\r\n");
        let start = std::time::Instant::now();
        while !rdb.exists() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(rdb.exists(), "the save point did not save");
        // The file is renamed into place just before the child exits.
        common::wait_for_bgsave(&mut c);
        assert_eq!(c.cmd("SET k2 v2"), b"+OK\r\n");
        assert_eq!(c.cmd("MULTI"), b"+OK\r\n");
        assert_eq!(c.cmd("BGSAVE"), b"+QUEUED\r\n");
        assert_eq!(c.cmd("EXEC"), b"*1\r\n+Background saving scheduled\r\n");
        // The cron starts the scheduled save.
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            let info = String::from_utf8_lossy(&c.cmd("INFO persistence")).into_owned();
            if info.contains("rdb_changes_since_last_save:0\r\n")
                && info.contains("rdb_bgsave_in_progress:0\r\n")
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(c.cmd("BGSAVE SCHEDULE"), b"+Background saving started\r\n");
        assert_eq!(c.cmd("BGSAVE NOW"), b"-ERR syntax error\r\n");
        common::wait_for_bgsave(&mut c);
        let info = String::from_utf8_lossy(&c.cmd("INFO persistence")).into_owned();
        assert!(
            info.contains("rdb_changes_since_last_save:0\r\n"),
            "{}",
            info
        );
        assert!(info.contains("rdb_last_bgsave_status:ok\r\n"), "{}", info);
    }
    let s = start_ferrodis(&["--dir", &d]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("GET k2"), b"$2\r\nv2\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// CONFIG REWRITE keeps comments, rewrites changed directives in place,
/// drops lines of directives back at their default or no longer set, and
/// appends the rest after Redis's signature comment; the result loads.
#[test]
fn config_rewrite() {
    let dir = std::env::temp_dir().join(format!("ferrodis-rewrite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("f.conf");
    std::fs::write(
        &conf,
        "# my config\nsave 900 1\nsave 300 10\nmaxmemory 100mb\n\n\nhz 10\n",
    )
    .unwrap();
    let c = conf.display().to_string();
    // CONFIG REWRITE records the working directory: one that outlives the
    // server (each test server's own directory goes with it).
    let d = dir.display().to_string();
    let s = common::start_ferrodis_with_config(&c, &["--dir", &d]);
    let mut k = Conn::connect(s.port);
    assert_eq!(k.cmd("CONFIG SET maxmemory 200mb"), b"+OK\r\n");
    assert_eq!(k.cmd("CONFIG SET hz 20"), b"+OK\r\n");
    assert_eq!(k.cmd("CONFIG SET notify-keyspace-events KEA"), b"+OK\r\n");
    assert_eq!(k.cmd("CONFIG REWRITE"), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# my config");
    assert!(lines.contains(&"maxmemory 200mb"), "{}", text);
    assert!(lines.contains(&"hz 20"), "{}", text);
    assert!(lines.contains(&"# Generated by CONFIG REWRITE"), "{}", text);
    assert!(
        lines.contains(&"notify-keyspace-events \"AKE\""),
        "{}",
        text
    );
    // The command line's `--save ""` replaced the file's save points.
    assert!(lines.contains(&"save \"\""), "{}", text);
    assert!(!text.contains("save 900 1"), "{}", text);
    // The port given on the command line is not the default: written.
    assert!(
        lines.contains(&format!("port {}", s.port).as_str()),
        "{}",
        text
    );
    drop(s);
    // The rewritten file starts a server with the same settings.
    let s2 = common::start_ferrodis_with_config(&c, &[]);
    let mut k2 = Conn::connect(s2.port);
    assert_eq!(k2.cmd("CONFIG GET hz"), b"*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
    drop(s2);
    // Without a config file there is nothing to rewrite.
    let s3 = start_ferrodis(&[]);
    let mut k3 = Conn::connect(s3.port);
    assert_eq!(
        k3.cmd("CONFIG REWRITE"),
        b"-ERR The server is running without a config file\r\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// CPU time (user + system, clock ticks) the process has used so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the command name, which is in parentheses: state is
    // field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// `busy-poll-us` (ferrodis's busy polling after activity) is a hidden,
/// modifiable parameter: CONFIG GET/SET see it, `CONFIG GET *` does not,
/// and requests are served the same with and without it.
#[test]
fn busy_poll_config_and_serving() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        c.cmd("CONFIG GET busy-poll-us"),
        b"*2\r\n$12\r\nbusy-poll-us\r\n$2\r\n50\r\n"
    );
    let all = c.cmd("CONFIG GET *");
    assert!(!String::from_utf8_lossy(&all).contains("busy-poll"));
    assert_eq!(
        c.cmd("CONFIG SET busy-poll-us -1"),
        b"-ERR CONFIG SET failed (possibly related to argument 'busy-poll-us') - argument must be between 0 and 1000000 inclusive\r\n"
    );
    for us in ["0", "1000", "50"] {
        assert_eq!(c.cmd(&format!("CONFIG SET busy-poll-us {us}")), b"+OK\r\n");
        for i in 0..200 {
            assert_eq!(
                c.cmd(&format!("INCR bp{us}")),
                format!(":{}\r\n", i + 1).into_bytes()
            );
        }
    }
}

/// The busy-poll window only opens on activity: a server whose clients are
/// all quiet sleeps in poll (a bug that kept spinning would burn a whole
/// core here: about 100 ticks per second).
#[test]
fn idle_server_does_not_spin() {
    let s = start_ferrodis(&["--busy-poll-us", "1000000"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(c.cmd("PING"), b"+PONG\r\n");
    // The 1 s window after that PING is allowed to spin; measure after it.
    std::thread::sleep(Duration::from_millis(1500));
    let pid = s.child.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - before;
    assert!(used < 40, "idle server used {used} ticks in 2 s");
    assert_eq!(c.cmd("PING"), b"+PONG\r\n");
}
