//! Background jobs in forked children: BGSAVE, save points and
//! BGREWRITEAOF run in a child while the server keeps serving; what is
//! written meanwhile is never lost; a child that dies or cannot be forked
//! leaves the old files intact and the server answering, with Redis's
//! replies, INFO fields and log lines.
//!
//! `rdb-key-save-delay` (microseconds per key, as in Redis's own tests)
//! keeps a child busy long enough to act while it runs.

mod common;

use std::path::{Path, PathBuf};

use common::{
    eventually, show, start_ferrodis, start_ferrodis_env, wait_for_bgrewriteaof, wait_for_bgsave,
    Conn,
};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrodis-bg-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn info(c: &mut Conn, section: &str) -> String {
    show(&c.cmd(&format!("INFO {section}")))
}

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    common::info_field(c, section, name).unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

/// Fill `n` keys `key:<i>` with a short value, pipelined.
fn fill(c: &mut Conn, prefix: &str, n: usize) {
    let mut batch = Vec::new();
    for i in 0..n {
        batch.extend(common::encode(&[
            b"SET",
            format!("{prefix}:{i}").as_bytes(),
            format!("value-{i}").as_bytes(),
        ]));
    }
    c.send_raw(&batch);
    for _ in 0..n {
        assert_eq!(show(&c.read_reply()), "+OK\r\n");
    }
}

fn log_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn bgsave_runs_in_a_child_and_keeps_writes_made_meanwhile() {
    let dir = tmpdir("bgsave");
    let d = dir.display().to_string();
    let log = dir.join("log");
    let log_s = log.display().to_string();
    {
        let s = start_ferrodis(&["--dir", &d, "--logfile", &log_s, "--loglevel", "notice"]);
        let mut c = Conn::connect(s.port);
        fill(&mut c, "old", 2000);
        // 2000 keys at 500 us each: the child works for about a second.
        c.cmd("CONFIG SET rdb-key-save-delay 500");
        assert_eq!(show(&c.cmd("BGSAVE")), "+Background saving started\r\n");
        assert_eq!(field(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
        assert_eq!(
            field(&mut c, "persistence", "current_save_keys_total"),
            "2000"
        );
        assert_eq!(
            show(&c.cmd("BGSAVE")),
            "-ERR Background save already in progress\r\n"
        );
        assert_eq!(
            show(&c.cmd("SAVE")),
            "-ERR Background save already in progress\r\n"
        );
        // The server answers while the child works, and takes writes.
        fill(&mut c, "new", 500);
        assert_eq!(show(&c.cmd("DBSIZE")), ":2500\r\n");
        assert_eq!(field(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
        wait_for_bgsave(&mut c);
        assert_eq!(field(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
        // The writes made during the save are still unsaved changes.
        assert_eq!(
            field(&mut c, "persistence", "rdb_changes_since_last_save"),
            "500"
        );
        assert!(
            field(&mut c, "stats", "total_forks")
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        assert_ne!(field(&mut c, "stats", "latest_fork_usec"), "0");
        c.cmd("CONFIG SET rdb-key-save-delay 0");
        assert_eq!(show(&c.cmd("BGSAVE")), "+Background saving started\r\n");
        wait_for_bgsave(&mut c);
    }
    let text = log_text(&log);
    assert!(
        text.contains("* Background saving started by pid "),
        "{text}"
    );
    assert!(
        text.contains(":C ") && text.contains("* DB saved on disk"),
        "{text}"
    );
    assert!(
        text.contains("* Background saving terminated with success"),
        "{text}"
    );
    assert!(text.contains("Fork CoW for RDB: current "), "{text}");
    let s = start_ferrodis(&["--dir", &d]);
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&c.cmd("DBSIZE")), ":2500\r\n");
    assert_eq!(show(&c.cmd("GET new:499")), "$9\r\nvalue-499\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_child_leaves_the_old_file_and_a_serving_server() {
    let dir = tmpdir("kill");
    let d = dir.display().to_string();
    let log = dir.join("log");
    let log_s = log.display().to_string();
    let s = start_ferrodis(&["--dir", &d, "--logfile", &log_s, "--loglevel", "notice"]);
    let mut c = Conn::connect(s.port);
    fill(&mut c, "k", 1000);
    assert_eq!(show(&c.cmd("SAVE")), "+OK\r\n");
    let before = std::fs::read(dir.join("dump.rdb")).unwrap();
    fill(&mut c, "more", 1000);
    c.cmd("CONFIG SET rdb-key-save-delay 10000");
    assert_eq!(show(&c.cmd("BGSAVE")), "+Background saving started\r\n");
    let text = log_text(&log);
    let pid: i32 = text
        .lines()
        .find_map(|l| l.split("Background saving started by pid ").nth(1))
        .expect("child pid logged")
        .trim()
        .parse()
        .unwrap();
    assert!(eventually(5, || dir
        .join(format!("temp-{pid}.rdb"))
        .exists()));
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    wait_for_bgsave(&mut c);
    assert_eq!(
        field(&mut c, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    assert_eq!(show(&c.cmd("PING")), "+PONG\r\n");
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), before);
    assert!(!dir.join(format!("temp-{pid}.rdb")).exists());
    assert!(log_text(&log).contains("# Background saving terminated by signal 9"));
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_fork_is_reported_and_the_server_keeps_serving() {
    let dir = tmpdir("nofork");
    let d = dir.display().to_string();
    let log = dir.join("log");
    let log_s = log.display().to_string();
    let s = start_ferrodis_env(
        &["--dir", &d, "--logfile", &log_s, "--save", "3600 1"],
        &[("FERRODIS_TEST_FORK_FAILS", "1")],
    );
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&c.cmd("SET a 1")), "+OK\r\n");
    assert_eq!(show(&c.cmd("BGSAVE")), "-ERR\r\n");
    assert!(log_text(&log).contains("# Can't save in background: fork: Cannot allocate memory"));
    assert_eq!(
        field(&mut c, "persistence", "rdb_last_bgsave_status"),
        "err"
    );
    // stop-writes-on-bgsave-error: writes (and PING) are refused, reads
    // still work.
    let misconf = show(&c.cmd("SET b 2"));
    assert!(
        misconf.starts_with("-MISCONF Redis is configured to save RDB snapshots"),
        "{misconf}"
    );
    assert!(show(&c.cmd("PING")).starts_with("-MISCONF"));
    assert_eq!(show(&c.cmd("GET a")), "$1\r\n1\r\n");
    // A SAVE in the foreground works and clears the error.
    assert_eq!(show(&c.cmd("SAVE")), "+OK\r\n");
    assert_eq!(show(&c.cmd("SET b 2")), "+OK\r\n");
    assert_eq!(
        show(&c.cmd("BGREWRITEAOF")),
        "-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.\r\n"
    );
    assert!(log_text(&log)
        .contains("# Can't rewrite append only file in background: fork: Cannot allocate memory"));
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgrewriteaof_in_a_child_keeps_writes_made_meanwhile() {
    let dir = tmpdir("aofrw");
    let d = dir.display().to_string();
    {
        let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
        let mut c = Conn::connect(s.port);
        fill(&mut c, "old", 2000);
        c.cmd("CONFIG SET rdb-key-save-delay 500");
        assert_eq!(
            show(&c.cmd("BGREWRITEAOF")),
            "+Background append only file rewriting started\r\n"
        );
        assert_eq!(field(&mut c, "persistence", "aof_rewrite_in_progress"), "1");
        assert_eq!(
            show(&c.cmd("BGREWRITEAOF")),
            "-ERR Background append only file rewriting already in progress\r\n"
        );
        // A BGSAVE must wait for the other child.
        assert_eq!(
            show(&c.cmd("BGSAVE")),
            "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"
        );
        assert_eq!(
            show(&c.cmd("BGSAVE SCHEDULE")),
            "+Background saving scheduled\r\n"
        );
        fill(&mut c, "new", 500);
        c.cmd("DEL old:0");
        // Writes during the rewrite go to the new INCR file, already in
        // the manifest.
        let manifest =
            std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
        assert!(manifest.contains("appendonly.aof.2.incr.aof"), "{manifest}");
        wait_for_bgrewriteaof(&mut c);
        assert_eq!(
            field(&mut c, "persistence", "aof_last_bgrewrite_status"),
            "ok"
        );
        // Then the scheduled BGSAVE runs.
        assert!(eventually(10, || field(
            &mut c,
            "persistence",
            "rdb_changes_since_last_save"
        ) == "0"));
        wait_for_bgsave(&mut c);
        let manifest =
            std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
        assert_eq!(
            manifest,
            "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert!(!dir.join("appendonlydir/appendonly.aof.1.incr.aof").exists());
    }
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&c.cmd("DBSIZE")), ":2499\r\n");
    assert_eq!(show(&c.cmd("GET new:7")), "$7\r\nvalue-7\r\n");
    assert_eq!(show(&c.cmd("EXISTS old:0")), ":0\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn turning_aof_on_while_a_child_runs_and_off_again() {
    let dir = tmpdir("aofonoff");
    let d = dir.display().to_string();
    let s = start_ferrodis(&["--dir", &d]);
    let mut c = Conn::connect(s.port);
    fill(&mut c, "k", 1000);
    c.cmd("CONFIG SET rdb-key-save-delay 1000");
    // appendonly yes while a BGSAVE runs: the rewrite is scheduled.
    assert_eq!(show(&c.cmd("BGSAVE")), "+Background saving started\r\n");
    assert_eq!(show(&c.cmd("CONFIG SET appendonly yes")), "+OK\r\n");
    assert_eq!(field(&mut c, "persistence", "aof_rewrite_scheduled"), "1");
    // FLUSHALL stops the snapshot child (it would bring the keys back).
    assert_eq!(show(&c.cmd("FLUSHALL")), "+OK\r\n");
    assert!(eventually(5, || field(
        &mut c,
        "persistence",
        "rdb_bgsave_in_progress"
    ) == "0"));
    // SIGUSR1 is the server's own stop: not an error.
    assert_eq!(field(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    // Then the scheduled rewrite starts; turning the AOF off kills it.
    fill(&mut c, "k", 1000);
    assert!(eventually(5, || field(
        &mut c,
        "persistence",
        "aof_rewrite_in_progress"
    ) == "1"));
    assert_eq!(show(&c.cmd("CONFIG SET appendonly no")), "+OK\r\n");
    assert_eq!(field(&mut c, "persistence", "aof_rewrite_in_progress"), "0");
    assert_eq!(field(&mut c, "persistence", "aof_enabled"), "0");
    // And on again, this time to completion: writes made during the first
    // rewrite are in the AOF afterwards.
    assert_eq!(show(&c.cmd("CONFIG SET appendonly yes")), "+OK\r\n");
    fill(&mut c, "during", 100);
    c.cmd("CONFIG SET rdb-key-save-delay 0");
    wait_for_bgrewriteaof(&mut c);
    assert_eq!(field(&mut c, "persistence", "aof_enabled"), "1");
    assert_eq!(
        field(&mut c, "persistence", "aof_last_bgrewrite_status"),
        "ok"
    );
    drop(c);
    drop(s);
    let s = start_ferrodis(&["--dir", &d, "--appendonly", "yes"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&c.cmd("DBSIZE")), ":1100\r\n");
    assert_eq!(show(&c.cmd("GET during:99")), "$8\r\nvalue-99\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_kills_a_saving_child_and_saves_itself() {
    let dir = tmpdir("shutdown");
    let d = dir.display().to_string();
    let log = dir.join("log");
    let log_s = log.display().to_string();
    let mut s = start_ferrodis(&["--dir", &d, "--logfile", &log_s, "--loglevel", "notice"]);
    let mut c = Conn::connect(s.port);
    fill(&mut c, "k", 1000);
    c.cmd("CONFIG SET rdb-key-save-delay 10000");
    assert_eq!(show(&c.cmd("BGSAVE")), "+Background saving started\r\n");
    c.cmd("CONFIG SET rdb-key-save-delay 0");
    c.send_raw(b"SHUTDOWN SAVE\r\n");
    let _ = s.child.wait();
    let text = log_text(&log);
    assert!(
        text.contains("# There is a child saving an .rdb. Killing it!"),
        "{text}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let s = start_ferrodis(&["--dir", &d]);
    let mut c = Conn::connect(s.port);
    assert_eq!(show(&c.cmd("DBSIZE")), ":1000\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A full resynchronisation by a forked child, disk-based or diskless:
/// the master keeps serving while the child writes, and the writes made
/// meanwhile reach the replica after its snapshot.
fn full_sync_keeps_writes_made_meanwhile(diskless: &str) {
    let (dm, dr) = (
        tmpdir(&format!("sync-m-{diskless}")),
        tmpdir(&format!("sync-r-{diskless}")),
    );
    let (dm_s, dr_s) = (dm.display().to_string(), dr.display().to_string());
    let m = start_ferrodis(&[
        "--dir",
        &dm_s,
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut mc = Conn::connect(m.port);
    fill(&mut mc, "old", 2000);
    // The child spends about a second on the snapshot.
    mc.cmd("CONFIG SET rdb-key-save-delay 500");
    let r = start_ferrodis(&["--dir", &dr_s]);
    let mut rc = Conn::connect(r.port);
    let port = m.port.to_string();
    assert_eq!(
        show(&rc.cmd(&format!("REPLICAOF 127.0.0.1 {port}"))),
        "+OK\r\n"
    );
    assert!(eventually(5, || field(
        &mut mc,
        "persistence",
        "rdb_bgsave_in_progress"
    ) == "1"));
    let repl = info(&mut mc, "replication");
    assert!(repl.contains(",state=wait_bgsave,"), "{repl}");
    // Served meanwhile, and these writes go to the replica after the image.
    fill(&mut mc, "new", 300);
    assert_eq!(show(&mc.cmd("DEL old:1")), ":1\r\n");
    assert!(
        eventually(20, || {
            field(&mut rc, "replication", "master_link_status") == "up"
                && show(&rc.cmd("DBSIZE")) == ":2299\r\n"
        }),
        "replica: {} keys, {} exists old:1 {}; master: {}",
        show(&rc.cmd("DBSIZE")),
        info(&mut rc, "replication"),
        show(&rc.cmd("EXISTS old:1")),
        info(&mut mc, "replication")
    );
    assert_eq!(show(&rc.cmd("GET new:299")), "$9\r\nvalue-299\r\n");
    assert_eq!(show(&rc.cmd("EXISTS old:1")), ":0\r\n");
    // And the live stream flows afterwards.
    mc.cmd("SET after yes");
    assert!(eventually(5, || show(&rc.cmd("GET after")) == "$3\r\nyes\r\n"));
    let repl = info(&mut mc, "replication");
    assert!(repl.contains(",state=online,"), "{repl}");
    assert_eq!(field(&mut mc, "stats", "sync_full"), "1");
    drop((m, r));
    let _ = std::fs::remove_dir_all(&dm);
    let _ = std::fs::remove_dir_all(&dr);
}

#[test]
fn full_sync_disk_based_in_a_child() {
    full_sync_keeps_writes_made_meanwhile("no");
}

#[test]
fn full_sync_diskless_in_a_child() {
    full_sync_keeps_writes_made_meanwhile("yes");
}
