//! Shared helpers for integration tests: start the built `ferrodis` binary
//! (or a real `redis-server`) on a free port and talk raw RESP to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process that is killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Its own empty working directory (removed on drop): a server that
    /// saves (a save point, a disk-based replication sync) or loads
    /// `dump.rdb` from its working directory never meets another test's
    /// file.
    pub cwd: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.cwd);
    }
}

/// A fresh empty directory for one server process.
fn fresh_cwd() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ferrodis-test-cwd-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a test working directory");
    d
}

/// A free TCP port on loopback (bind to 0 and read the port back).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 0");
    l.local_addr().unwrap().port()
}

/// The `process_id` a server on `port` reports in INFO server, if one
/// answers.
fn server_pid(port: u16) -> Option<u32> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n").ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(11).any(|w| w == b"process_id:") || !buf.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.starts_with(b"-") && buf.ends_with(b"\r\n") {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().find(|l| l.starts_with("process_id:"))?;
    line["process_id:".len()..].trim().parse().ok()
}

/// Spawn a server with `cmd(port)` on a free port and wait until *it*
/// answers there. Another test's server can grab the same port between
/// `free_port` and the bind; then our child exits with a bind error while
/// the other one answers, so readiness is confirmed by process id, and a
/// child that died is started again on a new port.
fn spawn_ready(mut cmd: impl FnMut(u16) -> Command) -> Server {
    for _attempt in 0..5 {
        let port = free_port();
        let cwd = fresh_cwd();
        let mut child = cmd(port).current_dir(&cwd).spawn().expect("spawn server");
        let pid = child.id();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                break; // exited (port taken): try another port
            }
            if server_pid(port) == Some(pid) {
                return Server { child, port, cwd };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&cwd);
    }
    panic!("server did not start after 5 attempts");
}

/// Start ferrodis with extra arguments.
pub fn start_ferrodis(extra: &[&str]) -> Server {
    spawn_ferrodis(None, extra)
}

/// Start ferrodis with a config file (which must come first, as for
/// redis-server) and extra arguments.
pub fn start_ferrodis_with_config(conf: &str, extra: &[&str]) -> Server {
    spawn_ferrodis(Some(conf), extra)
}

/// Start ferrodis with extra arguments and environment variables (for
/// test-only hooks such as `FERRODIS_TEST_FORK_FAILS`).
pub fn start_ferrodis_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
    spawn_ferrodis_env(None, extra, env)
}

fn spawn_ferrodis(conf: Option<&str>, extra: &[&str]) -> Server {
    spawn_ferrodis_env(conf, extra, &[])
}

fn spawn_ferrodis_env(conf: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let bin = env!("CARGO_BIN_EXE_ferrodis");
    spawn_ready(|port| {
        let mut c = Command::new(bin);
        c.envs(env.iter().copied());
        c.args(conf)
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--loglevel",
                "warning",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    })
}

/// Path of a real redis-server, if installed.
pub fn redis_server_path() -> Option<String> {
    for p in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] {
        if std::path::Path::new(p).exists() {
            return Some(p.to_string());
        }
    }
    None
}

/// Start a real redis-server (None, with a printed reason, if missing).
pub fn start_redis(extra: &[&str]) -> Option<Server> {
    let path = match redis_server_path() {
        Some(p) => p,
        None => {
            eprintln!("SKIP: redis-server is not installed; differential test not run");
            return None;
        }
    };
    Some(spawn_ready(|port| {
        let mut c = Command::new(&path);
        c.args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--enable-debug-command",
            "yes",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        c
    }))
}

/// A raw RESP connection.
pub struct Conn {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    pub fn send_raw(&mut self, b: &[u8]) {
        self.w.write_all(b).expect("write");
    }

    /// Send bytes; an error (the server closed the connection) is returned,
    /// not a panic.
    pub fn try_send_raw(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.w.write_all(b)
    }

    /// Send one command in multibulk form.
    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode(args));
    }

    /// Read exactly one reply, returned as its raw bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        read_one(&mut self.r, &mut out).expect("read reply");
        out
    }

    /// Send a command given as a space-separated string and read the reply.
    pub fn cmd(&mut self, line: &str) -> Vec<u8> {
        let parts: Vec<&[u8]> = line.split(' ').map(|s| s.as_bytes()).collect();
        self.send(&parts);
        self.read_reply()
    }

    pub fn cmd_args(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// True when the server closed the connection (EOF on read).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0) | Err(_))
    }
}

/// An INFO field's value (`None` if the section does not show it).
pub fn info_field(c: &mut Conn, section: &str, field: &str) -> Option<String> {
    let text = String::from_utf8_lossy(&c.cmd(&format!("INFO {section}"))).into_owned();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_string())
}

/// Poll `cond` every 20 ms for up to `secs` seconds; whether it held.
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Wait until no AOF rewrite runs or is scheduled (the suite's
/// `waitForBgrewriteaof`): rewrites run in a forked child.
pub fn wait_for_bgrewriteaof(c: &mut Conn) {
    wait_for_info(c, &["aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0"]);
}

/// Wait until no background save runs (the suite's `waitForBgsave`).
pub fn wait_for_bgsave(c: &mut Conn) {
    wait_for_info(c, &["rdb_bgsave_in_progress:0"]);
}

/// Poll INFO persistence until it shows every one of `fields`.
fn wait_for_info(c: &mut Conn, fields: &[&str]) {
    for _ in 0..1000 {
        let info = String::from_utf8_lossy(&c.cmd("INFO persistence")).into_owned();
        if fields.iter().all(|f| info.contains(f)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {:?}", fields);
}

/// Encode a command as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn read_line<R: BufRead>(r: &mut R, out: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    out.extend_from_slice(&line);
    Ok(line)
}

/// Read one complete RESP2/RESP3 reply, appending its raw bytes to `out`.
pub fn read_one<R: BufRead>(r: &mut R, out: &mut Vec<u8>) -> std::io::Result<()> {
    let line = read_line(r, out)?;
    let body = String::from_utf8_lossy(&line[1..line.len().saturating_sub(2)]).to_string();
    match line[0] {
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Ok(()),
        b'$' | b'=' | b'!' => {
            let n: i64 = body.parse().unwrap_or(-1);
            if n >= 0 {
                let mut buf = vec![0u8; n as usize + 2];
                r.read_exact(&mut buf)?;
                out.extend_from_slice(&buf);
            }
            Ok(())
        }
        b'*' | b'~' | b'>' => {
            let n: i64 = body.parse().unwrap_or(-1);
            for _ in 0..n.max(0) {
                read_one(r, out)?;
            }
            Ok(())
        }
        b'%' | b'|' => {
            let n: i64 = body.parse().unwrap_or(-1);
            for _ in 0..(2 * n.max(0)) {
                read_one(r, out)?;
            }
            if line[0] == b'|' {
                read_one(r, out)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Split a script line into arguments: `\e` is an empty argument, `\s` a
/// space inside one.
pub fn parse_line(line: &str) -> Vec<Vec<u8>> {
    line.split(' ')
        .map(|s| {
            if s == "\\e" {
                Vec::new()
            } else {
                s.replace("\\s", " ").into_bytes()
            }
        })
        .collect()
}

/// Raw reply bytes as text, for assertion messages.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fixed, reproducible pseudo-random stream for the randomized
/// differential tests (xorshift64, or xorshift64* for the streams that were
/// written with it; both are kept so every test replays its exact sequence).
pub struct Rng {
    state: u64,
    star: bool,
}

impl Rng {
    /// xorshift64 from `seed` (non-zero).
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed,
            star: false,
        }
    }

    /// xorshift64* from `seed` (non-zero).
    pub fn star(seed: u64) -> Rng {
        Rng {
            state: seed,
            star: true,
        }
    }

    pub fn next(&mut self) -> u64 {
        let s = &mut self.state;
        if self.star {
            *s ^= *s >> 12;
            *s ^= *s << 25;
            *s ^= *s >> 27;
            s.wrapping_mul(0x2545_F491_4F6C_DD1D)
        } else {
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            *s
        }
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index in `0..n`.
    pub fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [lo, hi) with 53 random bits.
    pub fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// A connection to a real redis-server and one to ferrodis, each started
/// for the test, for differential tests that send both the same commands.
/// Test files add the comparison methods they need (`impl common::Pair`).
pub struct Pair {
    pub redis: Conn,
    pub ours: Conn,
    /// (redis port, ferrodis port), for extra connections.
    pub ports: (u16, u16),
    _servers: (Server, Server),
}

impl Pair {
    /// Both servers with default settings; None (with the reason printed)
    /// when redis-server is not installed.
    pub fn new() -> Option<Pair> {
        let r = start_redis(&[])?;
        let o = start_ferrodis(&[]);
        Some(Pair {
            redis: Conn::connect(r.port),
            ours: Conn::connect(o.port),
            ports: (r.port, o.port),
            _servers: (r, o),
        })
    }
}
