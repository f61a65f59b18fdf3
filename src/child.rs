//! Forked children: snapshots and AOF rewrites written by a copy of the
//! process while the parent keeps serving (~ Redis's `redisFork`,
//! `checkChildrenDone`, `resetChildState` in `server.c`, and `childinfo.c`).
//!
//! # Why fork
//! A snapshot must be consistent: every key as it was at one instant. The
//! parent cannot stop writes for the seconds it takes to serialize
//! gigabytes, and copying the dataset first would double the memory at
//! once. `fork()` gives the child a view of the parent's memory frozen at
//! the instant of the call, for free: the kernel shares every page between
//! the two processes and copies a page only when one of them writes to it
//! (copy-on-write). The child iterates the keyspace it sees, writes the
//! file, and exits; the parent goes on serving, paying only for the pages
//! its writes touch while the child runs. `docs/persistence.md` tells the
//! whole story.
//!
//! # What the parent keeps
//! At most one child at a time ([`Children::active`]). The cron collects a
//! child that ended with `waitpid(WNOHANG)` ([`check_children_done`]) and
//! hands its exit status to the job's own completion handler (the RDB or
//! AOF code). A child ends in one of three ways, which the handlers tell
//! apart as Redis does: exit code 0 (success), another exit code (an
//! error, reported by the child's log), or a signal. `SIGUSR1` is the
//! parent's own way of stopping a child (FLUSHALL, SHUTDOWN, CONFIG SET
//! appendonly no), so it is not an error.
//!
//! # The info pipe
//! A pipe carries fixed-size progress reports from child to parent
//! (`sendChildInfo`): keys written so far (INFO's
//! `current_save_keys_processed` and `current_fork_perc`) and how much
//! memory the child had to copy so far, its private dirty pages
//! (`current_cow_size`). The child measures copy-on-write by reading
//! `/proc/self/smaps_rollup`, no more than once a second and, as in Redis,
//! never spending more than a twentieth of its time on it. The last report,
//! after the job, becomes `rdb_last_cow_size` / `aof_last_cow_size`.
//!
//! # While a child runs
//! The dicts stop resizing (`updateDictResizePolicy`): a rehash would
//! touch every bucket page and make the kernel copy them all for nothing.
//! Only a table five times overloaded still grows.
//!
//! # In the child
//! The child must never return into the event loop: it resets the signal
//! dispositions it inherited (the parent's handlers write into the
//! parent's signal pipe, which the child shares), closes the listening
//! sockets (a port the parent gives up must not stay bound by a child),
//! logs with the role letter `C`, runs its job, and leaves with `_exit`, so
//! no destructor or buffered output of the parent's state runs twice.

use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Instant;

use crate::server::Server;

/// What a child is doing (`CHILD_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// A snapshot to `dbfilename` (BGSAVE, save points, SHUTDOWN's wait).
    Rdb,
    /// A new AOF BASE file (BGREWRITEAOF).
    Aof,
}

impl ChildKind {
    /// The name in Redis's log lines ("Fork CoW for RDB: ...").
    fn pname(self) -> &'static str {
        match self {
            ChildKind::Rdb => "RDB",
            ChildKind::Aof => "AOF rewrite",
        }
    }
}

/// The child currently running.
#[derive(Debug)]
pub struct ActiveChild {
    pub pid: libc::pid_t,
    pub kind: ChildKind,
    /// When the fork happened (`rdb_current_bgsave_time_sec`,
    /// `aof_current_rewrite_time_sec`).
    pub started: Instant,
    /// Read end of the info pipe (non-blocking).
    info: std::fs::File,
    /// A report split across reads.
    partial: Vec<u8>,
}

/// Fork bookkeeping and the statistics INFO shows (`server.child_*`,
/// `stat_current_*`, `stat_fork_*`).
#[derive(Debug, Default)]
pub struct Children {
    pub active: Option<ActiveChild>,
    /// `total_forks`.
    pub total_forks: u64,
    /// `latest_fork_usec`: how long the last fork() call took.
    pub latest_fork_usec: u64,
    /// `current_cow_peak`, `current_cow_size`: bytes the running child had
    /// to copy (peak, and at its last report).
    pub current_cow_peak: u64,
    pub current_cow_bytes: u64,
    /// When the child last measured its copy-on-write size
    /// (`current_cow_size_age`).
    pub current_cow_updated: Option<Instant>,
    /// `current_save_keys_processed` / `current_save_keys_total`.
    pub current_save_keys_processed: u64,
    pub current_save_keys_total: u64,
    /// `rdb_last_cow_size`, `aof_last_cow_size`.
    pub rdb_last_cow_size: u64,
    pub aof_last_cow_size: u64,
}

impl Children {
    /// A child exists (`hasActiveChildProcess`).
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The running child is of kind `kind`.
    pub fn is(&self, kind: ChildKind) -> bool {
        self.active.as_ref().is_some_and(|c| c.kind == kind)
    }

    /// `current_fork_perc`: keys written of the keys there were at the fork.
    pub fn fork_perc(&self) -> f64 {
        if self.current_save_keys_total == 0 {
            0.0
        } else {
            self.current_save_keys_processed as f64 * 100.0 / self.current_save_keys_total as f64
        }
    }
}

/// One report on the info pipe (`child_info_data`): what kind, keys done,
/// copy-on-write bytes, and whether the copy-on-write figure is new.
const REPORT_LEN: usize = 32;
/// Report kinds.
const INFO_CURRENT: u64 = 0;
const INFO_COW_FINAL: u64 = 1;

/// The child's half of the info pipe, and its copy-on-write bookkeeping.
pub struct ChildReporter {
    pipe: std::fs::File,
    kind: ChildKind,
    last_sent: Option<Instant>,
    cow: u64,
    peak_cow: u64,
    sum_cow: u64,
    samples: u64,
    cow_measured: Option<Instant>,
    /// How long the last smaps read took: the next one waits 20 times that
    /// (`CHILD_COW_DUTY_CYCLE`), so measuring never costs more than 5%.
    cow_cost: std::time::Duration,
}

impl ChildReporter {
    /// Called with the keys written so far, every
    /// [`crate::rdb::file::PROGRESS_EVERY_KEYS`] keys; reports at most once
    /// a second (`rdbSaveDb`'s `sendChildInfo`).
    pub fn progress(&mut self, keys: u64) {
        let now = Instant::now();
        if self
            .last_sent
            .is_some_and(|t| now.duration_since(t).as_millis() < 1000)
        {
            return;
        }
        self.last_sent = Some(now);
        self.send(INFO_CURRENT, keys, false);
    }

    /// The final copy-on-write report after a successful job
    /// (`sendChildCowInfo`), with Redis's log line.
    pub fn finish(&mut self) {
        self.send(INFO_COW_FINAL, 0, true);
    }

    fn send(&mut self, kind: u64, keys: u64, final_report: bool) {
        let now = Instant::now();
        let due = final_report
            || self
                .cow_measured
                .is_none_or(|t| now.duration_since(t) > self.cow_cost * 20);
        if due {
            self.cow = private_dirty_bytes();
            let measured = Instant::now();
            self.cow_cost = measured.duration_since(now);
            self.cow_measured = Some(measured);
            self.peak_cow = self.peak_cow.max(self.cow);
            self.sum_cow += self.cow;
            self.samples += 1;
            if self.cow > 0 || final_report {
                let line = format!(
                    "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
                    self.kind.pname(),
                    self.cow >> 20,
                    self.peak_cow >> 20,
                    (self.sum_cow / self.samples) >> 20
                );
                if final_report {
                    log::info!("{line}");
                } else {
                    log::debug!("{line}");
                }
            }
        }
        let mut report = [0u8; REPORT_LEN];
        report[0..8].copy_from_slice(&kind.to_le_bytes());
        report[8..16].copy_from_slice(&keys.to_le_bytes());
        report[16..24].copy_from_slice(&self.cow.to_le_bytes());
        report[24..32].copy_from_slice(&u64::from(due).to_le_bytes());
        if let Err(e) = self.pipe.write_all(&report) {
            // The parent is gone or stopped reading: nobody wants the file.
            log::warn!(
                "Child failed reporting info to parent, exiting. {}",
                crate::aof::strerror(&e)
            );
            exit_child(1);
        }
    }
}

/// The bytes of memory this process has written since it was forked: its
/// private dirty pages (`zmalloc_get_private_dirty`), from the kernel's
/// per-process summary.
fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// Leave the child process at once (`exitFromChild`): no destructors, no
/// atexit handlers, no flushing of buffers that belong to the parent.
pub fn exit_child(code: i32) -> ! {
    // SAFETY: _exit takes no pointers and never returns.
    unsafe { libc::_exit(code) }
}

/// The result of [`fork`] in each process.
pub enum Forked {
    /// In the child: report through this, then [`exit_child`].
    Child(ChildReporter),
    /// In the parent: the child's pid.
    Parent(libc::pid_t),
}

/// Fork a child for `kind` (`redisFork`). Fails with `EEXIST` semantics
/// (an error) when a child already runs. In the parent the child is
/// recorded as active and the dicts stop resizing; in the child the
/// process is made safe to run a job and the reporter is returned.
pub fn fork(srv: &mut Server, kind: ChildKind) -> io::Result<Forked> {
    if srv.children.is_active() {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    if std::env::var_os("FERRODIS_TEST_FORK_FAILS").is_some() {
        // A test-only hook: behave as fork() refused for lack of memory.
        return Err(io::Error::from_raw_os_error(libc::ENOMEM));
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors owned here.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let keys_total: u64 = srv.dbs.iter().map(|d| d.dict.len() as u64).sum();
    let start = Instant::now();
    // SAFETY: the only other thread is jemalloc's, whose fork handlers keep
    // the allocator consistent in the child; the child runs only its job
    // and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(read_end);
        become_child(srv);
        // The child writes reports blocking: the parent reads them in its
        // cron, and a full pipe only means the child waits a moment.
        let pipe = std::fs::File::from(write_end);
        // SAFETY: a valid descriptor; clearing O_NONBLOCK takes no pointers.
        unsafe {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&pipe);
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
        return Ok(Forked::Child(ChildReporter {
            pipe,
            kind,
            last_sent: None,
            cow: 0,
            peak_cow: 0,
            sum_cow: 0,
            samples: 0,
            cow_measured: None,
            cow_cost: std::time::Duration::ZERO,
        }));
    }
    drop(write_end);
    let fork_us = start.elapsed().as_micros() as u64;
    let c = &mut srv.children;
    c.total_forks += 1;
    c.latest_fork_usec = fork_us;
    c.current_cow_peak = 0;
    c.current_cow_bytes = 0;
    c.current_cow_updated = None;
    c.current_save_keys_processed = 0;
    c.current_save_keys_total = keys_total;
    c.active = Some(ActiveChild {
        pid,
        kind,
        started: start,
        info: std::fs::File::from(read_end),
        partial: Vec::new(),
    });
    crate::latency::add_sample_if_needed(srv, "fork", fork_us / 1000);
    crate::db::dict::set_resize_allowed(false);
    Ok(Forked::Parent(pid))
}

/// The child's first steps after fork (`closeChildUnusedResourceAfterFork`
/// and the signal setup).
fn become_child(srv: &mut Server) {
    crate::server::set_log_role(b'C');
    // SAFETY: resetting dispositions to their defaults takes no pointers.
    unsafe {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGUSR1, libc::SIGPIPE] {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
    // The listening sockets belong to the parent: a port it gives up (or
    // re-binds after CONFIG SET port) must not stay bound by a child.
    srv.listeners.clear();
}

/// Read every complete report the child sent (`receiveChildInfo`).
pub fn receive_child_info(srv: &mut Server) {
    let Some(child) = srv.children.active.as_mut() else {
        return;
    };
    let mut buf = [0u8; REPORT_LEN * 16];
    loop {
        match child.info.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => child.partial.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break, // WouldBlock: nothing more for now
        }
    }
    let reports: Vec<[u8; REPORT_LEN]> = child
        .partial
        .chunks_exact(REPORT_LEN)
        .map(|r| r.try_into().expect("exact chunk"))
        .collect();
    let kind = child.kind;
    let used = reports.len() * REPORT_LEN;
    child.partial.drain(..used);
    let c = &mut srv.children;
    for r in reports {
        let field = |i: usize| u64::from_le_bytes(r[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let (info_kind, keys, cow, measured) = (field(0), field(1), field(2), field(3) != 0);
        c.current_cow_peak = c.current_cow_peak.max(cow);
        if info_kind == INFO_CURRENT {
            c.current_cow_bytes = cow;
            if measured {
                c.current_cow_updated = Some(Instant::now());
            }
            c.current_save_keys_processed = keys;
        } else {
            match kind {
                ChildKind::Rdb => c.rdb_last_cow_size = c.current_cow_peak,
                ChildKind::Aof => c.aof_last_cow_size = c.current_cow_peak,
            }
        }
    }
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildExit {
    /// The exit code (meaningless when `by_signal` is set).
    pub code: i32,
    /// The signal that ended it, 0 if it exited.
    pub by_signal: i32,
}

impl ChildExit {
    pub fn ok(&self) -> bool {
        self.by_signal == 0 && self.code == 0
    }
}

/// Collect a child that ended (`checkChildrenDone`), from the cron: its
/// last reports are read, its job's completion handler runs, and the
/// dicts may resize again.
pub fn check_children_done(srv: &mut Server) {
    let Some(active_pid) = srv.children.active.as_ref().map(|c| c.pid) else {
        return;
    };
    // A diskless transfer still being forwarded: collecting its child now
    // could start the next fork and pipe before this one is drained.
    if crate::fullsync::pipe_active(srv) {
        return;
    }
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer for waitpid.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    if pid == 0 {
        return;
    }
    if pid < 0 {
        log::warn!(
            "waitpid() returned an error: {}. child_type: {}, child_pid = {}",
            crate::aof::strerror(&io::Error::last_os_error()),
            srv.children
                .active
                .as_ref()
                .map_or("none", |c| c.kind.pname()),
            active_pid
        );
        return;
    }
    if pid != active_pid {
        log::warn!("Warning, detected child with unmatched pid: {}", pid);
        return;
    }
    let exit = decode_status(status);
    receive_child_info(srv);
    child_done(srv, exit);
}

fn decode_status(status: libc::c_int) -> ChildExit {
    if libc::WIFSIGNALED(status) {
        ChildExit {
            code: -1,
            by_signal: libc::WTERMSIG(status),
        }
    } else {
        ChildExit {
            code: libc::WEXITSTATUS(status),
            by_signal: 0,
        }
    }
}

/// Dispatch a finished child to its job's handler, then forget it.
fn child_done(srv: &mut Server, exit: ChildExit) {
    let Some(child) = srv.children.active.as_ref() else {
        return;
    };
    let (pid, kind) = (child.pid, child.kind);
    let elapsed_s = child.started.elapsed().as_secs() as i64;
    match kind {
        ChildKind::Rdb => crate::rdb::file::background_save_done(srv, pid, exit, elapsed_s),
        ChildKind::Aof => crate::aof::rewrite_done(srv, pid, exit, elapsed_s),
    }
    reset_child_state(srv);
}

/// `resetChildState`: no child any more, its live statistics cleared, the
/// dicts free to resize.
fn reset_child_state(srv: &mut Server) {
    let c = &mut srv.children;
    c.active = None;
    c.current_cow_peak = 0;
    c.current_cow_bytes = 0;
    c.current_cow_updated = None;
    c.current_save_keys_processed = 0;
    c.current_save_keys_total = 0;
    crate::db::dict::set_resize_allowed(true);
}

/// Stop the running child with SIGUSR1, which does not count as an error
/// (`killRDBChild` / `killAppendOnlyChild`). Without `wait` the cron
/// collects it later and its job's handler runs then, as for any child.
/// With `wait` it is reaped here and forgotten without its handler: the
/// caller cleans up after it. Returns the pid signalled.
pub fn kill_child(srv: &mut Server, wait: bool) -> Option<libc::pid_t> {
    let pid = srv.children.active.as_ref()?.pid;
    // SAFETY: signalling our own child; no pointers.
    unsafe {
        libc::kill(pid, libc::SIGUSR1);
    }
    if wait {
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a valid out-pointer; `pid` is our child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        reset_child_state(srv);
    }
    Some(pid)
}
