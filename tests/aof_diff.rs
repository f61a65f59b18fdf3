//! The append-only file against a real `redis-server` 7.0: the same
//! commands produce byte-identical INCR files and manifests, an AOF
//! directory written by either server loads in the other with the same
//! data (RDB preamble on and off, across a BGREWRITEAOF), and ferrodis
//! handles truncated, corrupt and old-style files like Redis. The tests
//! that need redis-server are skipped, with a printed reason, where it is
//! not installed.

mod common;

use common::{parse_line, show, start_ferrodis, start_redis, Conn, Server};

fn run(c: &mut Conn, line: &str) -> Vec<u8> {
    let args = parse_line(line);
    let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
    c.cmd_args(&refs)
}

fn tmpdir(name: &str) -> String {
    let d = std::env::temp_dir().join(format!("ferrodis-aof-diff-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.display().to_string()
}

/// Deterministic writes (no relative TTLs, whose absolute times differ
/// between two servers): several databases, every type, a transaction,
/// rewritten commands.
fn deterministic_writes() -> Vec<&'static str> {
    vec![
        "SET s hello",
        "SET n 10",
        "INCR n",
        "APPEND s \\sworld",
        "RPUSH l a b c 1 2",
        "LPOP l",
        "SADD st x y 3",
        "ZADD z 1 a 2.5 b",
        "HSET h f v g 12",
        "SET f 1.5",
        "INCRBYFLOAT f 2",
        "HINCRBYFLOAT h fl 1.25",
        "SELECT 3",
        "SET in3 v",
        "MULTI",
        "SET t1 1",
        "INCR t1",
        "EXEC",
        "MULTI",
        "SET t2 x",
        "GET t2",
        "EXEC",
        "SELECT 0",
        "DEL nosuchkey",
        "SET e v PXAT 4102444800000",
        "PEXPIREAT s 4102444800000",
        "PERSIST s",
        "GETSET s again",
    ]
}

/// The data of every key in db 0 and 3, in an encoding-independent form.
fn snapshot(c: &mut Conn) -> Vec<String> {
    let mut out = Vec::new();
    for db in ["0", "3"] {
        run(c, &format!("SELECT {}", db));
        let keys = show(&run(c, "KEYS *"));
        let mut names: Vec<String> = keys
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .map(str::to_string)
            .collect();
        names.sort();
        for k in names {
            let t = show(&run(c, &format!("TYPE {}", k)));
            let body = match t.as_str() {
                "+string\r\n" => show(&run(c, &format!("GET {}", k))),
                "+list\r\n" => show(&run(c, &format!("LRANGE {} 0 -1", k))),
                "+set\r\n" => {
                    let mut v: Vec<String> = show(&run(c, &format!("SMEMBERS {}", k)))
                        .split("\r\n")
                        .map(str::to_string)
                        .collect();
                    v.sort();
                    v.join(",")
                }
                "+zset\r\n" => show(&run(c, &format!("ZRANGE {} 0 -1 WITHSCORES", k))),
                "+hash\r\n" => {
                    let flat = show(&run(c, &format!("HGETALL {}", k)));
                    let parts: Vec<&str> = flat.split("\r\n").skip(1).collect();
                    let mut pairs: Vec<String> = parts
                        .chunks(4)
                        .filter(|p| p.len() >= 4)
                        .map(|p| format!("{}={}", p[1], p[3]))
                        .collect();
                    pairs.sort();
                    pairs.join(",")
                }
                other => other.to_string(),
            };
            let exp = show(&run(c, &format!("PEXPIRETIME {}", k)));
            out.push(format!(
                "db{} {} {} {} {}",
                db,
                k,
                t.trim(),
                body,
                exp.trim()
            ));
        }
    }
    run(c, "SELECT 0");
    out
}

/// A connection to a server that finished loading its dataset (Redis
/// accepts connections while loading and answers -LOADING meanwhile).
fn loaded(port: u16) -> Conn {
    let mut c = Conn::connect(port);
    for _ in 0..500 {
        if show(&run(&mut c, "PING")) == "+PONG\r\n" {
            return c;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the server on port {} did not finish loading", port);
}

fn shutdown(c: &mut Conn, s: &mut Server) {
    c.send(&[b"SHUTDOWN"]);
    let _ = s.child.wait();
}

fn read(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/appendonlydir/{}", dir, name))
        .unwrap_or_else(|e| panic!("{}/appendonlydir/{}: {}", dir, name, e))
}

#[test]
fn incr_files_and_manifest_are_byte_identical() {
    if common::redis_server_path().is_none() {
        eprintln!("SKIP: redis-server is not installed; differential test not run");
        return;
    }
    let (dr, d_o) = (tmpdir("bytes-r"), tmpdir("bytes-o"));
    let mut r = start_redis(&["--dir", &dr, "--appendonly", "yes"]).unwrap();
    let mut o = start_ferrodis(&["--dir", &d_o, "--appendonly", "yes"]);
    let mut rc = Conn::connect(r.port);
    let mut oc = Conn::connect(o.port);
    for line in deterministic_writes() {
        let a = run(&mut rc, line);
        let b = run(&mut oc, line);
        assert_eq!(show(&b), show(&a), "reply differs: {}", line);
    }
    let want = snapshot(&mut rc);
    assert_eq!(snapshot(&mut oc), want);
    shutdown(&mut rc, &mut r);
    shutdown(&mut oc, &mut o);
    let manifest = read(&d_o, "appendonly.aof.manifest");
    assert_eq!(show(&manifest), show(&read(&dr, "appendonly.aof.manifest")));
    assert_eq!(
        show(&manifest),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let incr_o = read(&d_o, "appendonly.aof.1.incr.aof");
    let incr_r = read(&dr, "appendonly.aof.1.incr.aof");
    assert_eq!(show(&incr_o), show(&incr_r), "INCR files differ");
    // Each server loads the other's directory.
    let r = start_redis(&["--dir", &d_o, "--appendonly", "yes"]).unwrap();
    let o = start_ferrodis(&["--dir", &dr, "--appendonly", "yes"]);
    assert_eq!(snapshot(&mut loaded(r.port)), want);
    assert_eq!(snapshot(&mut loaded(o.port)), want);
}

/// Fill a server with the writes, rewriting the AOF half-way so the data
/// is split between a BASE and an INCR file, and relative TTLs on top.
fn fill(c: &mut Conn, redis: bool) {
    let writes = deterministic_writes();
    let half = writes.len() / 2;
    for line in &writes[..half] {
        run(c, line);
    }
    for i in 0..200 {
        run(c, &format!("RPUSH big item{}", i));
        run(c, &format!("ZADD bigz {} m{}", i as f64 / 3.0, i));
        run(c, &format!("HSET bigh f{} {}", i, i * 7));
        run(c, &format!("SADD bigs {}", i * 11));
    }
    run(c, "SET ttl v EX 1000");
    let r = show(&run(c, "BGREWRITEAOF"));
    assert!(
        r.starts_with("+Background append only file rewriting"),
        "{}",
        r
    );
    let _ = redis;
    common::wait_for_bgrewriteaof(c);
    for line in &writes[half..] {
        run(c, line);
    }
    run(c, "EXPIRE big 5000");
    run(c, "SETEX sx 3000 v");
}

fn cross_load(preamble: &str) {
    if common::redis_server_path().is_none() {
        eprintln!("SKIP: redis-server is not installed; differential test not run");
        return;
    }
    let opts = |d: &str| -> Vec<String> {
        [
            "--dir",
            d,
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            preamble,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let (dr, d_o) = (
        tmpdir(&format!("x-r-{preamble}")),
        tmpdir(&format!("x-o-{preamble}")),
    );
    let or = opts(&dr);
    let oo = opts(&d_o);
    let or: Vec<&str> = or.iter().map(String::as_str).collect();
    let oo: Vec<&str> = oo.iter().map(String::as_str).collect();

    // ferrodis writes, Redis reads.
    let mut o = start_ferrodis(&oo);
    let mut oc = Conn::connect(o.port);
    fill(&mut oc, false);
    let info = show(&run(&mut oc, "INFO persistence"));
    assert!(info.contains("aof_enabled:1"), "{}", info);
    assert!(info.contains("aof_rewrites:1"), "{}", info);
    assert!(info.contains("aof_last_bgrewrite_status:ok"), "{}", info);
    let want_o = snapshot(&mut oc);
    shutdown(&mut oc, &mut o);
    let ext = if preamble == "yes" { "rdb" } else { "aof" };
    assert_eq!(
        show(&read(&d_o, "appendonly.aof.manifest")),
        format!("file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
    );
    // The history files are gone.
    assert!(
        !std::path::Path::new(&format!("{}/appendonlydir/appendonly.aof.1.incr.aof", d_o)).exists()
    );
    let r = start_redis(&oo).unwrap();
    assert_eq!(
        snapshot(&mut loaded(r.port)),
        want_o,
        "Redis loading ferrodis's AOF"
    );
    drop(r);

    // Redis writes, ferrodis reads.
    let mut r = start_redis(&or).unwrap();
    let mut rc = Conn::connect(r.port);
    fill(&mut rc, true);
    let want_r = snapshot(&mut rc);
    shutdown(&mut rc, &mut r);
    let o = start_ferrodis(&or);
    let mut oc = Conn::connect(o.port);
    assert_eq!(snapshot(&mut oc), want_r, "ferrodis loading Redis's AOF");
    // And DEBUG LOADAOF reloads the same.
    drop(oc);
    drop(o);
    let o = start_ferrodis(&[&or[..], &["--enable-debug-command", "yes"][..]].concat());
    let mut oc = Conn::connect(o.port);
    run(&mut oc, "SET after load");
    assert_eq!(show(&run(&mut oc, "DEBUG LOADAOF")), "+OK\r\n");
    assert_eq!(show(&run(&mut oc, "GET after")), "$4\r\nload\r\n");
}

#[test]
fn aof_dirs_interchange_with_rdb_preamble() {
    cross_load("yes");
}

#[test]
fn aof_dirs_interchange_without_rdb_preamble() {
    cross_load("no");
}

fn write_dir(dir: &str, incr: &[u8]) {
    let d = format!("{}/appendonlydir", dir);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        format!("{}/appendonly.aof.manifest", d),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(format!("{}/appendonly.aof.1.incr.aof", d), incr).unwrap();
}

fn exit_code(dir: &str, extra: &[&str]) -> Option<i32> {
    let bin = env!("CARGO_BIN_EXE_ferrodis");
    let mut child = std::process::Command::new(bin)
        .args([
            "--port",
            &common::free_port().to_string(),
            "--dir",
            dir,
            "--appendonly",
            "yes",
        ])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

const TWO_SETS: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";

#[test]
fn truncated_tail_is_cut_and_loading_continues() {
    let d = tmpdir("trunc");
    let mut data = TWO_SETS.to_vec();
    data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    write_dir(&d, &data);
    let mut s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        show(&run(&mut c, "MGET a b c")),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    // The partial command was removed, and new writes follow the valid data.
    run(&mut c, "SET c 3");
    shutdown(&mut c, &mut s);
    let incr = read(&d, "appendonly.aof.1.incr.aof");
    assert!(incr.starts_with(TWO_SETS));
    assert!(
        incr.ends_with(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        "{}",
        show(&incr)
    );
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        show(&run(&mut c, "MGET a b c")),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
}

#[test]
fn unfinished_multi_is_reverted() {
    let d = tmpdir("multi");
    let mut data = TWO_SETS.to_vec();
    data.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
    write_dir(&d, &data);
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        show(&run(&mut c, "MGET a b c")),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    assert_eq!(read(&d, "appendonly.aof.1.incr.aof"), TWO_SETS);
}

#[test]
fn bad_files_stop_startup() {
    // Truncated with aof-load-truncated no.
    let d = tmpdir("bad-trunc");
    let mut data = TWO_SETS.to_vec();
    data.extend_from_slice(b"*3\r\n$3\r\nSET");
    write_dir(&d, &data);
    assert_eq!(exit_code(&d, &["--aof-load-truncated", "no"]), Some(1));
    // Not RESP.
    let d = tmpdir("bad-format");
    write_dir(&d, b"SET a 1\r\n");
    assert_eq!(exit_code(&d, &[]), Some(1));
    // Unknown command.
    let d = tmpdir("bad-cmd");
    write_dir(&d, b"*1\r\n$6\r\nNOSUCH\r\n");
    assert_eq!(exit_code(&d, &[]), Some(1));
    // Malformed manifest.
    let d = tmpdir("bad-manifest");
    write_dir(&d, TWO_SETS);
    std::fs::write(
        format!("{}/appendonlydir/appendonly.aof.manifest", d),
        "file x seq 1\n",
    )
    .unwrap();
    assert_eq!(exit_code(&d, &[]), Some(1));
    // A file listed in the manifest is missing.
    let d = tmpdir("bad-missing");
    write_dir(&d, TWO_SETS);
    std::fs::remove_file(format!("{}/appendonlydir/appendonly.aof.1.incr.aof", d)).unwrap();
    assert_eq!(exit_code(&d, &[]), Some(1));
}

#[test]
fn old_style_aof_is_upgraded() {
    let d = tmpdir("upgrade");
    std::fs::write(format!("{}/appendonly.aof", d), TWO_SETS).unwrap();
    let mut s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        show(&run(&mut c, "MGET a b")),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    run(&mut c, "SET z 26");
    shutdown(&mut c, &mut s);
    assert!(!std::path::Path::new(&format!("{}/appendonly.aof", d)).exists());
    assert_eq!(
        show(&read(&d, "appendonly.aof.manifest")),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        show(&run(&mut c, "MGET a b z")),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n26\r\n"
    );
}

#[test]
fn config_set_appendonly_and_debug_loadaof() {
    let d = tmpdir("config");
    let s = start_ferrodis(&["--dir", &d, "--enable-debug-command", "yes"]);
    let mut c = Conn::connect(s.port);
    run(&mut c, "SET before 1");
    let info = show(&run(&mut c, "INFO persistence"));
    assert!(
        info.contains("aof_enabled:0") && !info.contains("aof_current_size"),
        "{}",
        info
    );
    assert_eq!(show(&run(&mut c, "CONFIG SET appendonly yes")), "+OK\r\n");
    common::wait_for_bgrewriteaof(&mut c);
    run(&mut c, "SET foo bar EX 100");
    run(&mut c, "SET foo bar2 KEEPTTL");
    run(&mut c, "SET k v");
    run(&mut c, "GETEX k PERSIST");
    assert_eq!(show(&run(&mut c, "DEBUG LOADAOF")), "+OK\r\n");
    assert_eq!(show(&run(&mut c, "GET before")), "$1\r\n1\r\n");
    assert_eq!(show(&run(&mut c, "GET foo")), "$4\r\nbar2\r\n");
    let ttl = show(&run(&mut c, "TTL foo"));
    assert!(ttl == ":100\r\n" || ttl == ":99\r\n", "{}", ttl);
    let info = show(&run(&mut c, "INFO persistence"));
    assert!(info.contains("aof_enabled:1"), "{}", info);
    assert!(info.contains("aof_current_size:"), "{}", info);
    assert!(info.contains("aof_base_size:"), "{}", info);
    // BGREWRITEAOF moves everything into a new base.
    assert_eq!(
        show(&run(&mut c, "BGREWRITEAOF")),
        "+Background append only file rewriting started\r\n"
    );
    common::wait_for_bgrewriteaof(&mut c);
    assert_eq!(
        show(&read(&d, "appendonly.aof.manifest")),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert_eq!(read(&d, "appendonly.aof.2.incr.aof"), b"");
    assert_eq!(show(&run(&mut c, "CONFIG SET appendonly no")), "+OK\r\n");
    run(&mut c, "SET notlogged 1");
    assert_eq!(read(&d, "appendonly.aof.2.incr.aof"), b"");
    assert_eq!(show(&run(&mut c, "DEBUG LOADAOF")), "+OK\r\n");
    assert_eq!(show(&run(&mut c, "EXISTS notlogged before")), ":1\r\n");
}

#[test]
fn appendonly_turned_on_inside_multi_is_not_logged_twice() {
    let d = tmpdir("multi-on");
    let mut s = start_ferrodis(&["--dir", &d, "--appendfsync", "always"]);
    let mut c = Conn::connect(s.port);
    run(&mut c, "MULTI");
    run(&mut c, "CONFIG SET appendonly yes");
    run(&mut c, "INCR n");
    assert_eq!(show(&run(&mut c, "EXEC")), "*2\r\n+OK\r\n:1\r\n");
    // The rewrite runs from the cron and captures the INCR in the BASE.
    let mut ok = false;
    for _ in 0..100 {
        let info = show(&run(&mut c, "INFO persistence"));
        if info.contains("aof_rewrites:1")
            && info.contains("aof_rewrite_scheduled:0")
            && info.contains("aof_rewrite_in_progress:0")
        {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(ok, "the scheduled rewrite did not run");
    run(&mut c, "INCR n");
    // appendfsync always: on disk before the reply.
    let incr = read(&d, "appendonly.aof.1.incr.aof");
    assert_eq!(
        show(&incr),
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
    );
    shutdown(&mut c, &mut s);
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&run(&mut c, "GET n")), "$1\r\n2\r\n");
}
