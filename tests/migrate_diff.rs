//! MIGRATE, differentially: the same script runs with ferrodis migrating to
//! ferrodis and with redis-server migrating to redis-server; every reply of
//! the source and the resulting state of both ends must be identical.

mod common;

use common::{start_ferrodis, start_redis, Conn};

/// Run the script: `src` migrates to the server on `dst_port`.
fn script(src: &mut Conn, dst: &mut Conn, dst_port: u16) -> Vec<String> {
    let p = dst_port.to_string();
    let dead = common::free_port().to_string();
    let mut out = Vec::new();
    let mut run = |c: &mut Conn, args: &[&str]| {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        let r = c.cmd_args(&a);
        // Ports differ between the two runs.
        let shown: Vec<&str> = args
            .iter()
            .map(|s| if *s == p || *s == dead { "PORT" } else { s })
            .collect();
        out.push(format!("{:?} -> {}", shown, common::show(&r)));
    };
    run(src, &["RPUSH", "l", "a", "b", "c"]);
    run(src, &["HSET", "h", "f", "v"]);
    run(src, &["SET", "s", "v"]);
    run(src, &["SET", "n", "12345"]);
    run(src, &["ZADD", "z", "1", "m", "2.5", "n"]);
    // Nothing to move.
    run(src, &["MIGRATE", "127.0.0.1", &p, "missing", "0", "1000"]);
    run(
        src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &p,
            "",
            "0",
            "1000",
            "KEYS",
            "x",
            "y",
        ],
    );
    // Syntax and argument errors.
    run(
        src,
        &["MIGRATE", "127.0.0.1", &p, "l", "0", "1000", "KEYS", "a"],
    );
    run(src, &["MIGRATE", "127.0.0.1", &p, "l", "0", "1000", "AUTH"]);
    run(
        src,
        &["MIGRATE", "127.0.0.1", &p, "l", "0", "1000", "AUTH2", "u"],
    );
    run(
        src,
        &["MIGRATE", "127.0.0.1", &p, "l", "0", "1000", "BOGUS"],
    );
    run(src, &["MIGRATE", "127.0.0.1", &p, "l", "x", "1000"]);
    run(src, &["MIGRATE", "127.0.0.1", &p, "l", "0", "y"]);
    // Moves: into another database, several keys, COPY, REPLACE.
    run(src, &["MIGRATE", "127.0.0.1", &p, "l", "3", "1000"]);
    run(src, &["EXISTS", "l"]);
    run(
        src,
        &[
            "MIGRATE",
            "127.0.0.1",
            &p,
            "",
            "0",
            "1000",
            "KEYS",
            "h",
            "nokey",
            "n",
        ],
    );
    run(src, &["MIGRATE", "127.0.0.1", &p, "s", "0", "1000", "COPY"]);
    run(src, &["EXISTS", "s"]);
    // The target has it now: BUSYKEY without REPLACE.
    run(src, &["MIGRATE", "127.0.0.1", &p, "s", "0", "1000"]);
    run(src, &["SET", "s", "v2"]);
    run(
        src,
        &["MIGRATE", "127.0.0.1", &p, "s", "0", "1000", "REPLACE"],
    );
    // AUTH against a server without a password: the target's error.
    run(
        src,
        &["MIGRATE", "127.0.0.1", &p, "z", "0", "1000", "AUTH", "pw"],
    );
    run(src, &["EXISTS", "z"]);
    run(src, &["MIGRATE", "127.0.0.1", &p, "z", "0", "1000"]);
    // A dead target.
    run(src, &["SET", "d", "1"]);
    run(src, &["MIGRATE", "127.0.0.1", &dead, "d", "0", "200"]);
    run(src, &["EXISTS", "d"]);
    // Key extraction.
    run(
        src,
        &["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "10"],
    );
    run(
        src,
        &[
            "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "10", "AUTH2", "u", "p", "KEYS",
            "a", "b",
        ],
    );
    // Both ends afterwards.
    for db in ["0", "3"] {
        run(dst, &["SELECT", db]);
        run(dst, &["DBSIZE"]);
    }
    run(dst, &["SELECT", "0"]);
    for k in ["h", "n", "s", "z"] {
        run(dst, &["DUMP", k]);
    }
    run(dst, &["SELECT", "3"]);
    run(dst, &["LRANGE", "l", "0", "-1"]);
    out
}

#[test]
fn migrate_matches_redis() {
    let (rs, rd) = match (start_redis(&[]), start_redis(&[])) {
        (Some(a), Some(b)) => (a, b),
        _ => return,
    };
    let fs = start_ferrodis(&[]);
    let fd = start_ferrodis(&[]);
    let want = script(
        &mut Conn::connect(rs.port),
        &mut Conn::connect(rd.port),
        rd.port,
    );
    let got = script(
        &mut Conn::connect(fs.port),
        &mut Conn::connect(fd.port),
        fd.port,
    );
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g);
    }
}

/// MONITOR shows MIGRATE's passwords redacted.
#[test]
fn migrate_passwords_are_redacted_for_monitor() {
    let s = start_ferrodis(&[]);
    let mut mon = Conn::connect(s.port);
    assert_eq!(mon.cmd("MONITOR"), b"+OK\r\n");
    let mut c = Conn::connect(s.port);
    c.cmd("MIGRATE 127.0.0.1 1 key 9 5000 AUTH2 user password");
    let line = String::from_utf8_lossy(&mon.read_reply()).into_owned();
    assert!(
        line.contains("\"key\" \"9\" \"5000\" \"AUTH2\" \"(redacted)\" \"(redacted)\""),
        "{}",
        line
    );
}
