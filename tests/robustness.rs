//! Hostile and careless clients: connections closed in the middle of a
//! request, strangers sending huge requests before AUTH, arguments larger
//! than the query buffer limit, crowds of idle clients, connect storms, and
//! the log lines operators grep for. Each test pins a defect ferrodis once
//! had and Redis does not.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::{eventually, show, start_ferrodis, Conn};

/// An INFO field as a number.
fn info_field(c: &mut Conn, section: &str, field: &str) -> i64 {
    common::info_field(c, section, field)
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .parse()
        .expect("numeric field")
}

/// Lines of CLIENT LIST.
fn client_list(c: &mut Conn) -> Vec<String> {
    let reply = c.cmd("CLIENT LIST");
    let text = String::from_utf8_lossy(&reply).to_string();
    text.lines()
        .filter(|l| l.contains("id="))
        .map(|l| l.to_string())
        .collect()
}

/// Sends `bytes` and closes at once, so the close usually reaches the
/// server together with the data.
fn send_and_close(port: u16, bytes: &[u8]) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(bytes).expect("write");
    let _ = s.shutdown(Shutdown::Both);
}

#[test]
fn partial_requests_then_close_free_the_client() {
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    let partials: [&[u8]; 5] = [
        b"PIN",
        b"SET a b",
        b"*3\r\n$3\r\nSET\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc",
        b"*2\r\n$4\r\nECHO\r\n$40000\r\nxyz",
    ];
    for i in 0..50 {
        send_and_close(srv.port, partials[i % partials.len()]);
    }
    assert!(
        eventually(5, || client_list(&mut c).len() == 1),
        "connections closed mid-request stay: {:?}",
        client_list(&mut c)
    );
    assert_eq!(info_field(&mut c, "clients", "connected_clients"), 1);
}

#[test]
fn complete_request_then_close_gets_its_reply_and_is_freed() {
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    // The peer half-closes after its request, as `nc -N` does: it still
    // reads the reply, and the server closes its side after sending it.
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.write_all(b"SET k v\r\nGET k\r\n").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got)
        .expect("server closes after replying");
    assert_eq!(show(&got), show(b"+OK\r\n$1\r\nv\r\n"));
    assert!(eventually(5, || client_list(&mut c).len() == 1));
}

#[test]
fn closed_clients_do_not_exhaust_maxclients() {
    let srv = start_ferrodis(&["--maxclients", "20"]);
    for _ in 0..120 {
        send_and_close(srv.port, b"*2\r\n$4\r\nECHO\r\n$5\r\nab");
    }
    // Connections are freed once the server has read their close: until
    // then a newcomer may still find the server full.
    assert!(eventually(5, || {
        let mut c = Conn::connect(srv.port);
        c.try_send_raw(b"PING\r\n").is_ok() && c.r.fill_buf().is_ok_and(|b| b.starts_with(b"+PONG"))
    }));
    let mut c = Conn::connect(srv.port);
    assert!(eventually(5, || client_list(&mut c).len() == 1));
    // New clients are still served.
    for _ in 0..19 {
        let mut other = Conn::connect(srv.port);
        assert_eq!(show(&other.cmd("PING")), "+PONG\r\n");
    }
}

#[test]
fn big_partial_bulk_then_close_releases_its_memory() {
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    let before = info_field(&mut c, "memory", "used_memory");
    let mut chunk = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$200000000\r\n".to_vec();
    chunk.extend(std::iter::repeat_n(b'x', 1 << 20));
    for _ in 0..5 {
        send_and_close(srv.port, &chunk);
    }
    let ok = eventually(5, || {
        client_list(&mut c).len() == 1
            && info_field(&mut c, "memory", "used_memory") < before + 4 * 1024 * 1024
    });
    assert!(
        ok,
        "used_memory {} (was {before}), clients {:?}",
        info_field(&mut c, "memory", "used_memory"),
        client_list(&mut c)
    );
}

#[test]
fn blocked_clients_that_hang_up_lose_no_elements() {
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    for _ in 0..5 {
        send_and_close(srv.port, b"BLPOP jobs 0\r\n");
    }
    // Wait until the server saw the five (blocked, then gone, or never
    // counted as blocked at all).
    assert!(eventually(5, || client_list(&mut c).len() == 1));
    for i in 0..5 {
        assert_eq!(
            show(&c.cmd(&format!("LPUSH jobs e{i}"))),
            format!(":{}\r\n", i + 1)
        );
    }
    assert_eq!(show(&c.cmd("LLEN jobs")), ":5\r\n");
    assert_eq!(info_field(&mut c, "clients", "blocked_clients"), 0);
}

#[test]
fn blocked_client_closing_in_the_same_batch_as_a_push() {
    // The waiter hangs up while the push that would serve it is on its way:
    // whichever the server sees first, the element is never handed to the
    // dead connection.
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    for round in 0..20 {
        let mut w = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        w.write_all(b"BLPOP q 0\r\n").unwrap();
        assert!(eventually(5, || info_field(
            &mut c,
            "clients",
            "blocked_clients"
        ) == 1));
        w.shutdown(Shutdown::Both).unwrap();
        drop(w);
        c.cmd(&format!("RPUSH q r{round}"));
        assert!(eventually(5, || client_list(&mut c).len() == 1));
        let len: i64 = show(&c.cmd("LLEN q"))[1..].trim().parse().unwrap();
        let served_before_close = len == 0;
        if !served_before_close {
            c.cmd("DEL q");
        }
    }
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let srv = start_ferrodis(&[]);
    let mut admin = Conn::connect(srv.port);
    assert_eq!(show(&admin.cmd("CONFIG SET requirepass secret")), "+OK\r\n");
    let mut c = Conn::connect(srv.port);
    c.send_raw(b"*20\r\n");
    assert_eq!(
        show(&c.read_reply()),
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(c.is_closed());
    let mut c = Conn::connect(srv.port);
    c.send_raw(b"*1\r\n$536870911\r\n");
    assert_eq!(
        show(&c.read_reply()),
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    assert!(c.is_closed());
    // Within the limits, the usual NOAUTH; after AUTH, no such limits.
    let mut c = Conn::connect(srv.port);
    assert!(show(&c.cmd("SET a b")).starts_with("-NOAUTH"));
    assert_eq!(show(&c.cmd("AUTH secret")), "+OK\r\n");
    let mut args: Vec<String> = vec!["MSET".into()];
    for i in 0..10 {
        args.push(format!("k{i}"));
        args.push("v".repeat(20000));
    }
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    assert_eq!(show(&c.cmd_args(&refs)), "+OK\r\n");
    assert!(eventually(5, || info_field(
        &mut admin,
        "clients",
        "connected_clients"
    ) == 2));
}

#[test]
fn query_buffer_limit_counts_big_arguments() {
    let srv = start_ferrodis(&["--client-query-buffer-limit", "1mb"]);
    let mut c = Conn::connect(srv.port);
    let mut big = Conn::connect(srv.port);
    // Sent in pieces, as a real client does: the payload lands in the big
    // argument's own buffer, which counts toward the limit.
    big.send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$5000000\r\n");
    let piece = vec![b'x'; 64 * 1024];
    let mut closed = false;
    for _ in 0..((5_000_000 / piece.len()) + 1) {
        if big.try_send_raw(&piece).is_err() {
            closed = true;
            break;
        }
    }
    let _ = big.try_send_raw(b"\r\n");
    assert!(closed || big.is_closed(), "the client over the limit stays");
    assert_eq!(show(&c.cmd("EXISTS big")), ":0\r\n");
    assert!(eventually(5, || client_list(&mut c).len() == 1));
    // Under the limit, big arguments still work.
    let value = "y".repeat(900_000);
    assert_eq!(
        show(&c.cmd_args(&[b"SET", b"ok", value.as_bytes()])),
        "+OK\r\n"
    );
    assert_eq!(show(&c.cmd("STRLEN ok")), ":900000\r\n");
}

#[test]
fn idle_clients_give_their_buffers_back() {
    let srv = start_ferrodis(&[]);
    let mut c = Conn::connect(srv.port);
    let mut idle = Conn::connect(srv.port);
    let value = "z".repeat(100_000);
    assert_eq!(
        show(&idle.cmd_args(&[b"SET", b"k", value.as_bytes()])),
        "+OK\r\n"
    );
    assert_eq!(show(&idle.cmd("CLIENT SETNAME idler")), "+OK\r\n");
    // Redis's rules: the query buffer goes after 2 s idle; the reply
    // buffer's peak is reset at the first cron visit (Redis stamps the
    // reset clock in seconds, compares it in milliseconds) and every 5 s
    // after, and an unused buffer then shrinks to 1 KB.
    let idle_line = |c: &mut Conn| {
        client_list(c)
            .into_iter()
            .find(|l| l.contains("name=idler"))
            .expect("idle client listed")
    };
    let ok = eventually(4, || {
        let line = idle_line(&mut c);
        line.contains(" qbuf=0 qbuf-free=0 ") && line.contains(" rbs=1024 ")
    });
    assert!(ok, "{}", idle_line(&mut c));
}

#[test]
fn departed_clients_leave_little_behind() {
    let srv = start_ferrodis(&["--maxclients", "5000"]);
    let mut c = Conn::connect(srv.port);
    let before = info_field(&mut c, "memory", "used_memory");
    let mut crowd = Vec::new();
    for _ in 0..3000 {
        let mut s = Conn::connect(srv.port);
        s.send_raw(b"PING\r\n");
        crowd.push(s);
    }
    for s in crowd.iter_mut() {
        assert_eq!(show(&s.read_reply()), "+PONG\r\n");
    }
    drop(crowd);
    assert!(eventually(5, || client_list(&mut c).len() == 1));
    // What stays is the client table's slots (a pointer each) and the id
    // index, not the clients themselves.
    let after = info_field(&mut c, "memory", "used_memory");
    assert!(after < before + 400_000, "used_memory {before} -> {after}");
}

#[test]
fn tcp_backlog_reaches_listen() {
    let Ok(somaxconn) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
        eprintln!("skipped: no /proc/sys/net/core/somaxconn");
        return;
    };
    let somaxconn: u32 = somaxconn.trim().parse().unwrap();
    let Ok(out) = std::process::Command::new("ss").args(["-ltnH"]).output() else {
        eprintln!("skipped: no ss (iproute2)");
        return;
    };
    let _ = out;
    for backlog in [300u32, 511] {
        let srv = start_ferrodis(&["--tcp-backlog", &backlog.to_string()]);
        let out = std::process::Command::new("ss")
            .args(["-ltnH", &format!("sport = :{}", srv.port)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let queue: u32 = text
            .split_whitespace()
            .nth(2)
            .and_then(|q| q.parse().ok())
            .unwrap_or_else(|| panic!("ss output: {text}"));
        assert_eq!(queue, backlog.min(somaxconn), "{text}");
    }
}

#[test]
fn many_connects_at_once_are_all_served() {
    let srv = start_ferrodis(&["--maxclients", "3000"]);
    let mut conns = Vec::new();
    for _ in 0..2000 {
        let mut s = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
        s.write_all(b"PING\r\n").unwrap();
        conns.push(s);
    }
    for s in conns.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
    }
    let mut c = Conn::connect(srv.port);
    assert_eq!(info_field(&mut c, "clients", "connected_clients"), 2001);
}

/// Starts ferrodis with a log file and returns the server and the path.
fn start_logging(dir: &std::path::Path, extra: &[&str]) -> (common::Server, std::path::PathBuf) {
    let log = dir.join("server.log");
    let log_s = log.to_str().unwrap().to_string();
    let mut args: Vec<&str> = vec!["--logfile", &log_s, "--loglevel", "notice"];
    args.extend_from_slice(extra);
    (start_ferrodis(&args), log)
}

#[test]
fn log_lines_have_redis_format() {
    let dir = std::env::temp_dir().join(format!("ferrodis-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A replica of a master that is not there: every line after the
    // configuration is an `S` line.
    let (mut srv, log) = start_logging(&dir, &["--replicaof", "127.0.0.1", "1"]);
    let pid = srv.child.id();
    send_signal(pid, "TERM");
    let _ = srv.child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let has = |s: &str| lines.iter().any(|l| l.contains(s));
    assert!(
        has(&format!("{pid}:C ")) && has("# Configuration loaded"),
        "{text}"
    );
    assert!(has(&format!("{pid}:S ")), "a replica logs S lines:\n{text}");
    assert!(has("# Server initialized"), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{pid}:signal-handler ("))
                && l.ends_with(") Received SIGTERM scheduling shutdown...")),
        "{text}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("User requested shutdown..."))
            .count(),
        1,
        "{text}"
    );
    assert!(!text.contains("* * "), "{text}");
    // Every ordinary line is `pid:role dd Mon yyyy hh:mm:ss.mmm sym text`.
    for l in &lines {
        if l.contains(":signal-handler (") || !l.starts_with(&format!("{pid}:")) {
            continue;
        }
        let rest = &l[format!("{pid}:").len()..];
        let role = rest.as_bytes()[0];
        assert!(b"CMS".contains(&role) && rest.as_bytes()[1] == b' ', "{l}");
        let sym = rest.as_bytes()[27];
        assert!(b".-*#".contains(&sym) && rest.as_bytes()[28] == b' ', "{l}");
    }
    // A master that becomes a replica switches letters.
    std::fs::create_dir_all(&dir).unwrap();
    let (srv, log) = start_logging(&dir, &[]);
    let mut c = Conn::connect(srv.port);
    assert_eq!(show(&c.cmd("REPLICAOF 127.0.0.1 1")), "+OK\r\n");
    assert_eq!(show(&c.cmd("REPLICAOF NO ONE")), "+OK\r\n");
    drop(c);
    let pid = srv.child.id();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
    let role_of = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .and_then(|l| l.strip_prefix(&format!("{pid}:")))
            .map(|r| r.as_bytes()[0] as char)
    };
    assert_eq!(role_of("Ready to accept connections"), Some('M'), "{text}");
    assert_eq!(role_of("Connecting to MASTER"), Some('S'), "{text}");
    assert_eq!(role_of("MASTER MODE enabled"), Some('M'), "{text}");
}

/// Sends a signal with the `kill` command (no libc in the tests).
fn send_signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}
