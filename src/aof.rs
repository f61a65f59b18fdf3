//! The append-only file (~ Redis's `aof.c`, plus `loadDataFromDisk` and the
//! AOF half of `prepareForShutdown` from `server.c`).
//!
//! # What the AOF is
//! An RDB file is a snapshot: whatever happened after the last SAVE is lost
//! in a crash. The AOF is a log instead: every write the server propagates
//! (the same stream replicas get, with relative TTLs already turned into
//! absolute `PXAT`/`PEXPIREAT`, scripts replaced by their effects, EXECs
//! wrapped in MULTI/EXEC) is appended to a file in RESP, exactly as a client
//! would send it: `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n`. A `SELECT` is
//! written whenever the database changes. Replaying the log through the
//! ordinary command code rebuilds the dataset.
//!
//! # Multi-part layout (Redis 7.0)
//! A log that only grows would replay for ever, so it is periodically
//! *rewritten*: a fresh snapshot of the dataset becomes the new starting
//! point. Redis 7.0 keeps the pieces as separate files in
//! `<dir>/<appenddirname>/`:
//!
//! - one BASE file, the snapshot: `appendonly.aof.<seq>.base.rdb` (an RDB
//!   file, `aof-use-rdb-preamble yes`, the default) or
//!   `appendonly.aof.<seq>.base.aof` (the commands that rebuild each key);
//! - INCR files, the writes since that snapshot:
//!   `appendonly.aof.<seq>.incr.aof`; the last one is the file being
//!   appended to;
//! - the manifest `appendonly.aof.manifest`, one line per file
//!   (`file appendonly.aof.1.base.rdb seq 1 type b`, types `b`ase, `h`istory,
//!   `i`ncr), which says which files make up the log and in what order. It
//!   is replaced atomically (written to `temp-<name>.manifest`, fsynced,
//!   renamed), so a crash leaves either the old set of files or the new one.
//!
//! After a rewrite the previous BASE and INCR files become HISTORY and are
//! deleted (unless `aof-disable-auto-gc yes`).
//!
//! # When it is written and fsynced
//! `feed` only appends to an in-memory buffer. The buffer is written to the
//! INCR file in `before_sleep`, after the batch of commands that produced it
//! and *before* their replies are written to the sockets (Redis's
//! `flushAppendOnlyFile`), so a client never sees the reply of a write that
//! is not at least in the kernel's page cache. Then, per `appendfsync`:
//!
//! - `always`: `fdatasync` right there, still before the replies go out: an
//!   acknowledged write is on disk. This costs one fsync per loop turn
//!   (not per command: a pipelined batch shares it).
//! - `everysec`: `fdatasync` when the wall-clock second changed since the
//!   last one. Redis hands this fsync to a background thread; ferrodis has
//!   one thread, so the fsync runs inline, at most once per second (the
//!   loop wakes up at least `hz` times a second, so data written by the last
//!   command before an idle period is still fsynced within a second).
//! - `no`: never; the kernel decides.
//!
//! A failed write is retried on the next turn; while it keeps failing,
//! writes (and PING) are refused with `-MISCONF`, as in Redis. With
//! `always`, a failed write or fsync stops the server (the client could
//! otherwise be told OK for a write that is not on disk).
//!
//! # Rewriting in a child
//! A rewrite (BGREWRITEAOF, `CONFIG SET appendonly yes`, the automatic one
//! at `auto-aof-rewrite-percentage`) runs in a forked child, as in Redis
//! ([`rewrite`]): the parent first switches its logging to a new INCR file
//! (listed in the manifest at once), then forks; the child writes the new
//! BASE from its copy-on-write view of the dataset; when it succeeds,
//! [`rewrite_done`] renames the BASE into the directory, turns the old BASE
//! and INCR files into history in a new manifest and deletes them. Every
//! state the directory passes through loads. `docs/persistence.md` tells
//! the story.
//!
//! # Loading
//! At start-up with `appendonly yes` the AOF, not the RDB file, is loaded
//! (Redis's `loadAppendOnlyFiles`): the BASE (an RDB image through the RDB
//! decoder, or commands), then each INCR file in order. Commands run through
//! the normal `call()` for a connection-less client, with propagation,
//! monitors, statistics and expiry switched off (`Server::loading`), so
//! nothing is logged twice and a key that expired while the server was down
//! is not dropped half-way through its history (it expires afterwards, like
//! in Redis). A last command cut short (a crash mid-write) is removed from
//! the file and loading continues when `aof-load-truncated yes`; an
//! unfinished MULTI at the end is reverted the same way. Anything else
//! malformed stops the start-up with exit code 1. An old-style single
//! `appendonly.aof` in `dir` is moved into the directory as the BASE, as
//! Redis 7 does when upgrading. Files are read whole into memory.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::AppendFsync;
use crate::server::{now_ms, Server};

/// Items per command when a collection is rewritten as commands
/// (`AOF_REWRITE_ITEMS_PER_CMD`).
pub const REWRITE_ITEMS_PER_CMD: usize = 64;

/// Longest manifest line accepted (`MANIFEST_MAX_LINE`).
const MANIFEST_MAX_LINE: usize = 1024;

/// Seconds between two logs of the same write error.
const WRITE_ERROR_LOG_RATE_S: i64 = 30;

// ---------------------------------------------------------------------------
// The manifest
// ---------------------------------------------------------------------------

/// The role of a file in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Base,
    History,
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofInfo {
    pub name: String,
    pub seq: i64,
    pub kind: FileType,
}

/// The manifest: which files make up the AOF (Redis's `aofManifest`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    /// Files to delete, newest first.
    pub history: Vec<AofInfo>,
    /// The log after the base, oldest first; the last one is appended to.
    pub incr: Vec<AofInfo>,
    pub curr_base_seq: i64,
    pub curr_incr_seq: i64,
    /// Changed since it was last written to disk.
    pub dirty: bool,
}

/// Why a manifest could not be parsed: Redis's reason text and the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// 1-based line number and the trimmed line, when one was being read.
    pub line: Option<(usize, String)>,
    pub reason: &'static str,
}

/// C's `atoll`: optional blanks and sign, then digits; 0 when there are none.
fn atoll(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
        i += 1;
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// A file name must not be a path (`pathIsBaseName`).
fn is_base_name(name: &str) -> bool {
    !name.contains('/') && !name.contains('\\')
}

/// Whether a name must be quoted in the manifest (`sdsneedsrepr`).
fn needs_repr(name: &str) -> bool {
    name.bytes()
        .any(|b| !(0x21..=0x7e).contains(&b) || b == b'\\' || b == b'"')
}

impl Manifest {
    /// Parse a manifest file's contents (`aofLoadManifestFromFile`).
    ///
    /// # Format
    /// ```text
    /// file appendonly.aof.2.base.rdb seq 2 type b
    /// file appendonly.aof.1.incr.aof seq 1 type h
    /// file appendonly.aof.2.incr.aof seq 2 type i
    /// ```
    /// Lines are split like config lines (quotes allowed), keys are
    /// case-insensitive and unknown key/value pairs are ignored (forward
    /// compatibility); `#` starts a comment line; every line, the last
    /// included, ends with a newline.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut am = Manifest::default();
        let mut max_incr_seq = 0i64;
        let mut linenum = 0usize;
        let mut rest = text;
        let err_at = |linenum: usize, line: &[u8], reason| ManifestError {
            line: Some((linenum, String::from_utf8_lossy(line).into_owned())),
            reason,
        };
        while !rest.is_empty() {
            linenum += 1;
            let (raw, has_nl) = match rest.iter().position(|&b| b == b'\n') {
                Some(p) if p < MANIFEST_MAX_LINE => {
                    let l = &rest[..=p];
                    rest = &rest[p + 1..];
                    (l, true)
                }
                _ => {
                    let n = rest.len().min(MANIFEST_MAX_LINE);
                    let l = &rest[..n];
                    rest = &rest[n..];
                    (l, false)
                }
            };
            if raw.first() == Some(&b'#') {
                continue;
            }
            let line = trim(raw);
            if !has_nl {
                return Err(err_at(
                    linenum,
                    line,
                    "The AOF manifest file contains too long line",
                ));
            }
            if line.is_empty() {
                return Err(err_at(linenum, line, "Invalid AOF manifest file format"));
            }
            let argv = match crate::config::split_args(line) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err_at(linenum, line, "Invalid AOF manifest file format")),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in argv.chunks(2) {
                let key = &pair[0];
                if key.eq_ignore_ascii_case(b"file") {
                    let n = String::from_utf8_lossy(&pair[1]).into_owned();
                    if !is_base_name(&n) {
                        return Err(err_at(
                            linenum,
                            line,
                            "File can't be a path, just a filename",
                        ));
                    }
                    name = Some(n);
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(&pair[1]);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = pair[1].first().copied();
                }
            }
            let (name, kind) = match (name, kind) {
                (Some(n), Some(k)) if seq != 0 && !n.is_empty() => (n, k),
                _ => return Err(err_at(linenum, line, "Invalid AOF manifest file format")),
            };
            match kind {
                b'b' => {
                    if am.base.is_some() {
                        return Err(err_at(
                            linenum,
                            line,
                            "Found duplicate base file information",
                        ));
                    }
                    am.curr_base_seq = seq;
                    am.base = Some(AofInfo {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                b'h' => am.history.push(AofInfo {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                b'i' => {
                    if seq <= max_incr_seq {
                        return Err(err_at(
                            linenum,
                            line,
                            "Found a non-monotonic sequence number",
                        ));
                    }
                    max_incr_seq = seq;
                    am.curr_incr_seq = seq;
                    am.incr.push(AofInfo {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(err_at(linenum, line, "Unknown AOF file type")),
            }
        }
        if linenum == 0 {
            return Err(ManifestError {
                line: None,
                reason: "Found an empty AOF manifest",
            });
        }
        Ok(am)
    }

    /// The manifest as written to disk (`getAofManifestAsString`): base,
    /// then history, then incr files.
    pub fn format(&self) -> String {
        let mut out = String::new();
        let all = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incr.iter());
        for ai in all {
            let name = if needs_repr(&ai.name) {
                crate::config::repr_bytes(ai.name.as_bytes())
            } else {
                ai.name.clone()
            };
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                name,
                ai.seq,
                ai.kind.letter()
            ));
        }
        out
    }

    /// Start a new BASE file, turning the current one into history
    /// (`getNewBaseFileNameAndMarkPreAsHistory`). Returns its name.
    pub fn new_base(&mut self, filename: &str, rdb_preamble: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.curr_base_seq += 1;
        let name = format!(
            "{}.{}.base.{}",
            filename,
            self.curr_base_seq,
            if rdb_preamble { "rdb" } else { "aof" }
        );
        self.base = Some(AofInfo {
            name: name.clone(),
            seq: self.curr_base_seq,
            kind: FileType::Base,
        });
        self.dirty = true;
        name
    }

    /// Append a new INCR file (`getNewIncrAofName`). Returns its name.
    pub fn new_incr(&mut self, filename: &str) -> String {
        self.curr_incr_seq += 1;
        let name = format!("{}.{}.incr.aof", filename, self.curr_incr_seq);
        self.incr.push(AofInfo {
            name: name.clone(),
            seq: self.curr_incr_seq,
            kind: FileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// The INCR file to append to, created if there is none
    /// (`getLastIncrAofName`).
    pub fn last_incr(&mut self, filename: &str) -> String {
        match self.incr.last() {
            Some(ai) => ai.name.clone(),
            None => self.new_incr(filename),
        }
    }

    /// After a rewrite the INCR files it covered become history; with
    /// `keep_last` the newest one (the file now being appended to) stays
    /// (`markRewrittenIncrAofAsHistory`).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last && !self.incr.is_empty());
        let n = self.incr.len() - keep;
        // Newest first, as the history list is kept.
        for mut ai in self.incr.drain(..n).rev() {
            ai.kind = FileType::History;
            self.history.insert(0, ai);
        }
        self.dirty = true;
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ws(b)).map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

// ---------------------------------------------------------------------------
// RESP encoding of commands
// ---------------------------------------------------------------------------

/// Append `argv` as a RESP multibulk (`catAppendOnlyGenericCommand`).
pub fn cat_command(buf: &mut Vec<u8>, argv: &[Vec<u8>]) {
    cat_count(buf, b'*', argv.len());
    for a in argv {
        cat_bulk(buf, a);
    }
}

fn cat_count(buf: &mut Vec<u8>, prefix: u8, n: usize) {
    buf.push(prefix);
    crate::util::numbers::fmt_u64(n as u64, buf);
    buf.extend_from_slice(b"\r\n");
}

fn cat_bulk(buf: &mut Vec<u8>, a: &[u8]) {
    cat_count(buf, b'$', a.len());
    buf.extend_from_slice(a);
    buf.extend_from_slice(b"\r\n");
}

fn cat_bulk_i64(buf: &mut Vec<u8>, v: i64) {
    let mut tmp = Vec::with_capacity(20);
    crate::util::numbers::fmt_i64(v, &mut tmp);
    cat_bulk(buf, &tmp);
}

fn cat_bulk_f64(buf: &mut Vec<u8>, v: f64) {
    let mut tmp = Vec::with_capacity(24);
    crate::util::numbers::fmt_f64(v, &mut tmp);
    cat_bulk(buf, &tmp);
}

fn cat_entry(buf: &mut Vec<u8>, e: crate::db::listpack::LpEntry<'_>) {
    match e {
        crate::db::listpack::LpEntry::Int(v) => cat_bulk_i64(buf, v),
        crate::db::listpack::LpEntry::Str(s) => cat_bulk(buf, s),
    }
}

/// Emits the header of a variadic command every `REWRITE_ITEMS_PER_CMD`
/// items (RPUSH/SADD/ZADD/HMSET key item...).
struct Batcher<'a> {
    name: &'a [u8],
    key: &'a [u8],
    /// Arguments per item (2 for ZADD and HMSET).
    width: usize,
    remaining: usize,
    count: usize,
}

impl Batcher<'_> {
    fn item(&mut self, buf: &mut Vec<u8>) {
        if self.count == 0 {
            let n = self.remaining.min(REWRITE_ITEMS_PER_CMD);
            cat_count(buf, b'*', 2 + n * self.width);
            cat_bulk(buf, self.name);
            cat_bulk(buf, self.key);
        }
        self.count += 1;
        if self.count == REWRITE_ITEMS_PER_CMD {
            self.count = 0;
        }
        self.remaining = self.remaining.saturating_sub(1);
    }
}

/// The commands that rebuild a stream (`rewriteStreamObject`): one XADD
/// per entry (or `XADD key MAXLEN 0 0-1 x y` for an empty stream, which
/// creates the key and trims it away again), an XSETID restoring the last
/// ID and counters, and per group an XGROUP CREATE with its read counter,
/// then an XCLAIM ... FORCE per pending entry (which recreates the NACK
/// with its time and count) or an XGROUP CREATECONSUMER for a consumer
/// with nothing pending.
fn rewrite_stream(buf: &mut Vec<u8>, key: &[u8], s: &crate::db::stream::Stream) {
    if s.length > 0 {
        s.range(
            crate::db::stream::StreamId::MIN,
            crate::db::stream::StreamId::MAX,
            false,
            |id, fv| {
                cat_count(buf, b'*', 3 + fv.len() * 2);
                cat_bulk(buf, b"XADD");
                cat_bulk(buf, key);
                cat_bulk(buf, &id.to_bytes());
                for (f, v) in fv {
                    cat_entry(buf, f);
                    cat_entry(buf, v);
                }
                true
            },
        );
    } else {
        cat_count(buf, b'*', 7);
        for a in [&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"] {
            cat_bulk(buf, a);
        }
    }
    cat_count(buf, b'*', 7);
    cat_bulk(buf, b"XSETID");
    cat_bulk(buf, key);
    cat_bulk(buf, &s.last_id.to_bytes());
    cat_bulk(buf, b"ENTRIESADDED");
    cat_bulk_i64(buf, s.entries_added as i64);
    cat_bulk(buf, b"MAXDELETEDID");
    cat_bulk(buf, &s.max_deleted_entry_id.to_bytes());
    for (name, cg) in &s.cgroups {
        cat_count(buf, b'*', 7);
        cat_bulk(buf, b"XGROUP");
        cat_bulk(buf, b"CREATE");
        cat_bulk(buf, key);
        cat_bulk(buf, name);
        cat_bulk(buf, &cg.last_id.to_bytes());
        cat_bulk(buf, b"ENTRIESREAD");
        cat_bulk_i64(buf, cg.entries_read);
        for (cname, c) in &cg.consumers {
            if c.pel.is_empty() {
                cat_count(buf, b'*', 5);
                cat_bulk(buf, b"XGROUP");
                cat_bulk(buf, b"CREATECONSUMER");
                cat_bulk(buf, key);
                cat_bulk(buf, name);
                cat_bulk(buf, cname);
                continue;
            }
            for id in &c.pel {
                let Some(nack) = cg.pel.get(id) else {
                    continue;
                };
                cat_count(buf, b'*', 12);
                cat_bulk(buf, b"XCLAIM");
                cat_bulk(buf, key);
                cat_bulk(buf, name);
                cat_bulk(buf, cname);
                cat_bulk(buf, b"0");
                cat_bulk(buf, &id.to_bytes());
                cat_bulk(buf, b"TIME");
                cat_bulk_i64(buf, nack.delivery_time);
                cat_bulk(buf, b"RETRYCOUNT");
                cat_bulk_i64(buf, nack.delivery_count as i64);
                cat_bulk(buf, b"JUSTID");
                cat_bulk(buf, b"FORCE");
            }
        }
    }
}

/// The commands that rebuild `dbs` (`rewriteAppendOnlyFileRio`): per
/// non-empty database a SELECT, then per key SET / RPUSH / SADD / ZADD /
/// HMSET (at most 64 items per command) and a PEXPIREAT for keys with a
/// TTL. Before them, a `#TS:` annotation (with `timestamp`) and a FUNCTION
/// LOAD per function library (`libraries`: their code).
pub fn rewrite_as_commands(
    dbs: &[crate::db::Db],
    libraries: &[&[u8]],
    timestamp: Option<i64>,
) -> Vec<u8> {
    use crate::db::Value;
    let mut buf = Vec::new();
    if let Some(ts) = timestamp {
        buf.extend_from_slice(format!("#TS:{}\r\n", ts).as_bytes());
    }
    for code in libraries {
        buf.extend_from_slice(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n");
        cat_bulk(&mut buf, code);
    }
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n");
        cat_bulk_i64(&mut buf, j as i64);
        for (key, obj) in db.dict.iter() {
            let key: &[u8] = key;
            match &obj.value {
                Value::Str(s) => {
                    buf.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
                    cat_bulk(&mut buf, key);
                    cat_bulk(&mut buf, &s.to_bytes());
                }
                Value::List(ql) => {
                    let mut b = Batcher {
                        name: b"RPUSH",
                        key,
                        width: 1,
                        remaining: ql.len(),
                        count: 0,
                    };
                    for e in ql.iter() {
                        b.item(&mut buf);
                        cat_entry(&mut buf, e);
                    }
                }
                Value::Set(set) => {
                    let mut b = Batcher {
                        name: b"SADD",
                        key,
                        width: 1,
                        remaining: set.len(),
                        count: 0,
                    };
                    for m in set.iter() {
                        b.item(&mut buf);
                        cat_bulk(&mut buf, &m.to_bytes());
                    }
                }
                Value::ZSet(z) => {
                    let mut b = Batcher {
                        name: b"ZADD",
                        key,
                        width: 2,
                        remaining: z.len(),
                        count: 0,
                    };
                    z.for_each(|member, score| {
                        b.item(&mut buf);
                        cat_bulk_f64(&mut buf, score);
                        cat_entry(&mut buf, member);
                    });
                }
                Value::Hash(h) => {
                    let mut b = Batcher {
                        name: b"HMSET",
                        key,
                        width: 2,
                        remaining: h.len(),
                        count: 0,
                    };
                    for (f, v) in h.iter() {
                        b.item(&mut buf);
                        cat_entry(&mut buf, f);
                        cat_entry(&mut buf, v);
                    }
                }
                Value::Stream(st) => rewrite_stream(&mut buf, key, st),
            }
            if let Some(when) = db.get_expire(key) {
                buf.extend_from_slice(b"*3\r\n$9\r\nPEXPIREAT\r\n");
                cat_bulk(&mut buf, key);
                cat_bulk_i64(&mut buf, when);
            }
        }
    }
    buf
}

// ---------------------------------------------------------------------------
// Server-side state
// ---------------------------------------------------------------------------

/// Whether the AOF is being written (`aof_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofState {
    Off,
    /// Turned on, waiting for the first rewrite (scheduled because it was
    /// asked for inside a transaction or script): nothing is logged yet,
    /// the rewrite will capture it.
    WaitRewrite,
    On,
}

/// The AOF's part of the server state.
pub struct Aof {
    pub state: AofState,
    pub manifest: Manifest,
    /// Propagated commands not yet written (`aof_buf`).
    pub buf: Vec<u8>,
    /// The database the last logged command targeted (`aof_selected_db`).
    pub selected_db: Option<usize>,
    /// The INCR file being appended to.
    pub file: Option<File>,
    /// Size of that file, and how much of it is known to be fsynced.
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    /// Wall-clock second of the last fsync.
    pub last_fsync_s: i64,
    /// Total size of BASE + INCR files, and of the BASE at the last rewrite
    /// (`aof_current_size`, `aof_rewrite_base_size`).
    pub current_size: u64,
    pub rewrite_base_size: u64,
    /// The last write failed: its error (INFO's `aof_last_write_status`).
    pub last_write_error: Option<String>,
    last_write_error_log_s: i64,
    pub last_rewrite_ok: bool,
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    /// Seconds the last rewrite took, -1 before the first.
    pub last_rewrite_time_s: i64,
    /// A rewrite to run from the cron (`aof_rewrite_scheduled`).
    pub rewrite_scheduled: bool,
    /// Second of the last `#TS:` annotation (`aof_cur_timestamp`).
    cur_timestamp: i64,
}

impl Default for Aof {
    fn default() -> Aof {
        Aof {
            state: AofState::Off,
            manifest: Manifest::default(),
            buf: Vec::new(),
            selected_db: None,
            file: None,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync_s: 0,
            current_size: 0,
            rewrite_base_size: 0,
            last_write_error: None,
            last_write_error_log_s: 0,
            last_rewrite_ok: true,
            rewrites: 0,
            rewrites_consecutive_failures: 0,
            last_rewrite_time_s: -1,
            rewrite_scheduled: false,
            cur_timestamp: 0,
        }
    }
}

impl Aof {
    /// Log one propagated command (`feedAppendOnlyFile`): an optional
    /// `#TS:` annotation, a SELECT when the database changed, the command.
    /// Whether propagated writes are logged: the AOF is on, or the first
    /// rewrite after `appendonly yes` runs and collects them in its
    /// temporary INCR file (open only then).
    #[inline]
    pub fn is_logging(&self) -> bool {
        match self.state {
            AofState::On => true,
            AofState::WaitRewrite => self.file.is_some(),
            AofState::Off => false,
        }
    }

    pub fn feed(&mut self, db: usize, argv: &[Vec<u8>], timestamps: bool, now_s: i64) {
        if !self.is_logging() {
            return;
        }
        if timestamps && self.cur_timestamp < now_s {
            self.cur_timestamp = now_s;
            self.buf
                .extend_from_slice(format!("#TS:{}\r\n", now_s).as_bytes());
        }
        if self.selected_db != Some(db) {
            let id = db.to_string();
            self.buf.extend_from_slice(
                format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{}\r\n", id.len(), id).as_bytes(),
            );
            self.selected_db = Some(db);
        }
        cat_command(&mut self.buf, argv);
    }

    /// Writes are refused while the AOF cannot be written
    /// (`writeCommandsDeniedByDiskError`): the MISCONF error text.
    pub fn write_denied_error(&self) -> Option<String> {
        match (&self.last_write_error, self.state) {
            (Some(e), s) if s != AofState::Off => {
                Some(format!("MISCONF Errors writing to the AOF file: {}", e))
            }
            _ => None,
        }
    }
}

/// `<appenddirname>/<name>`, relative to `dir` (the working directory).
fn aof_path(srv: &Server, name: &str) -> PathBuf {
    Path::new(&srv.config.appenddirname).join(name)
}

/// An I/O error as C's `strerror` would describe it, without Rust's
/// " (os error N)" suffix.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

fn now_s() -> i64 {
    now_ms() / 1000
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Write the buffer to the INCR file and fsync per `appendfsync`
/// (`flushAppendOnlyFile`). Called from `before_sleep` before replies are
/// written, from the cron while a write keeps failing, and with `force`
/// before a rewrite, DEBUG LOADAOF and shutdown.
pub fn flush(srv: &mut Server, force: bool) {
    let _ = force; // no background fsync to wait for: every flush writes.
    if srv.aof.file.is_none() {
        return;
    }
    let policy = srv.config.appendfsync;
    let now = now_s();
    if srv.aof.buf.is_empty() {
        let unsynced = srv.aof.last_incr_fsync_offset != srv.aof.last_incr_size;
        let due = match policy {
            AppendFsync::Everysec => unsynced && now > srv.aof.last_fsync_s,
            AppendFsync::Always => unsynced,
            AppendFsync::No => false,
        };
        if due {
            fsync_now(srv, policy, now);
        }
        return;
    }
    let start = std::time::Instant::now();
    let result = match srv.aof.file.as_mut() {
        Some(f) => f.write_all(&srv.aof.buf),
        None => return,
    };
    let ms = start.elapsed().as_millis() as u64;
    crate::latency::add_sample_if_needed(srv, "aof-write-alone", ms);
    crate::latency::add_sample_if_needed(srv, "aof-write", ms);
    if let Err(e) = result {
        let msg = strerror(&e);
        let can_log = now - srv.aof.last_write_error_log_s > WRITE_ERROR_LOG_RATE_S;
        if can_log {
            srv.aof.last_write_error_log_s = now;
            log::warn!("Error writing to the AOF file: {}", msg);
        }
        // Remove whatever part of the buffer made it to the file, so the
        // next attempt writes the whole buffer again after valid data.
        let size = srv.aof.last_incr_size;
        if let Some(f) = srv.aof.file.as_ref() {
            if let Err(te) = f.set_len(size) {
                if can_log {
                    log::warn!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", strerror(&te));
                }
            }
        }
        if policy == AppendFsync::Always {
            log::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
            std::process::exit(1);
        }
        srv.aof.last_write_error = Some(msg);
        return;
    }
    if srv.aof.last_write_error.take().is_some() {
        log::warn!("AOF write error looks solved, Redis can write again.");
    }
    let n = srv.aof.buf.len() as u64;
    srv.aof.current_size += n;
    srv.aof.last_incr_size += n;
    // Keep a small buffer's allocation, give a big one back.
    if srv.aof.buf.capacity() < 4000 {
        srv.aof.buf.clear();
    } else {
        srv.aof.buf = Vec::new();
    }
    match policy {
        AppendFsync::Always => fsync_now(srv, policy, now),
        AppendFsync::Everysec if now > srv.aof.last_fsync_s => fsync_now(srv, policy, now),
        _ => {}
    }
}

fn fsync_now(srv: &mut Server, policy: AppendFsync, now: i64) {
    let start = std::time::Instant::now();
    let r = match srv.aof.file.as_ref() {
        Some(f) => f.sync_data(),
        None => return,
    };
    match r {
        Ok(()) => {
            srv.aof.last_incr_fsync_offset = srv.aof.last_incr_size;
        }
        Err(e) if policy == AppendFsync::Always => {
            log::warn!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", strerror(&e));
            std::process::exit(1);
        }
        Err(e) => log::warn!("Fail to fsync the AOF file: {}", strerror(&e)),
    }
    let ms = start.elapsed().as_millis() as u64;
    // Redis samples only the inline fsync of `always` (its everysec
    // fsync runs in a background thread, unmeasured).
    if policy == AppendFsync::Always {
        crate::latency::add_sample_if_needed(srv, "aof-fsync-always", ms);
    }
    srv.aof.last_fsync_s = now;
}

/// Flush and fsync before exiting (the AOF part of `prepareForShutdown`).
pub fn flush_for_shutdown(srv: &mut Server) {
    if srv.aof.state == AofState::Off {
        return;
    }
    flush(srv, true);
    if let Some(f) = srv.aof.file.as_ref() {
        if let Err(e) = f.sync_data() {
            log::warn!("Fail to fsync the AOF file: {}.", strerror(&e));
        } else {
            srv.aof.last_incr_fsync_offset = srv.aof.last_incr_size;
        }
    }
}

/// Write the manifest atomically: temp file, fsync, rename, fsync of the
/// directory (`writeAofManifestFile` via `persistAofManifest`).
fn persist_manifest(srv: &Server, am: &mut Manifest) -> Result<(), String> {
    if !am.dirty {
        return Ok(());
    }
    let name = format!("{}.manifest", srv.config.appendfilename);
    let tmp_name = format!("temp-{}", name);
    let path = aof_path(srv, &name);
    let tmp = aof_path(srv, &tmp_name);
    let text = am.format();
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let msg = format!(
            "Error trying to write the temporary AOF manifest file {}: {}",
            tmp_name,
            strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    if let Err(e) = std::fs::rename(&tmp, &path) {
        let msg = format!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {}",
            tmp_name,
            name,
            strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    // New files were added to the directory too: make the entries durable.
    if let Ok(d) = File::open(&srv.config.appenddirname) {
        let _ = d.sync_all();
    }
    am.dirty = false;
    Ok(())
}

fn create_dir_if_missing(srv: &Server) -> Result<(), String> {
    match std::fs::create_dir(&srv.config.appenddirname) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => {
            let msg = format!(
                "Can't open or create append-only dir {}: {}",
                srv.config.appenddirname,
                strerror(&e)
            );
            log::warn!("{}", msg);
            Err(msg)
        }
    }
}

/// Open an INCR file for appending (creating it; `truncate` empties it).
fn open_incr(srv: &Server, name: &str, truncate: bool) -> std::io::Result<File> {
    let path = aof_path(srv, name);
    if truncate {
        File::create(&path)?;
    }
    OpenOptions::new().append(true).create(true).open(path)
}

/// Write a BASE file for the current dataset to `path` through a temp file
/// in the working directory (`rewriteAppendOnlyFile`): an RDB image with
/// the `aof-base` aux field set (streamed), or the commands that rebuild
/// each key. `progress` gets the keys written so far (RDB form).
fn write_base(srv: &Server, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), String> {
    let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            let msg = format!(
                "Failed opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                strerror(&e)
            );
            log::warn!("{}", msg);
            return Err(msg);
        }
    };
    let mut sink =
        crate::rdb::file::AutoSyncFile::new(file, srv.config.aof_rewrite_incremental_fsync);
    let written = if srv.config.aof_use_rdb_preamble {
        let mut info = crate::rdb::file::save_info(srv);
        info.aof_base = true;
        info.repl = None;
        crate::rdb::file::save_rio(&mut sink, &srv.dbs, &info, progress)
    } else {
        let ts = srv.config.aof_timestamp_enabled.then(now_s);
        let libraries: Vec<&[u8]> = srv
            .scripting
            .functions
            .libraries
            .values()
            .map(|l| l.code.as_slice())
            .collect();
        sink.write_all(&rewrite_as_commands(&srv.dbs, &libraries, ts))
    };
    if let Err(e) = written.and_then(|()| sink.file.sync_all()) {
        let _ = std::fs::remove_file(&tmp);
        let msg = format!(
            "Write error writing append only file on disk: {}",
            strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    drop(sink);
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        let msg = format!(
            "Error moving temp append only file on the final destination: {}",
            strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    Ok(())
}

/// Where rewrite child `pid` leaves the new BASE for the parent to rename.
fn child_base_name(pid: libc::pid_t) -> String {
    format!("temp-rewriteaof-bg-{}.aof", pid)
}

/// The INCR file that collects writes while the first rewrite after
/// `appendonly yes` runs (`getTempIncrAofName`): it joins the manifest only
/// when that rewrite succeeds.
fn temp_incr_name(srv: &Server) -> String {
    format!("temp-{}.incr", srv.config.appendfilename)
}

/// Start a background rewrite (`rewriteAppendOnlyFileBackground`).
///
/// The parent first switches its logging to a fresh INCR file, listed in
/// the manifest at once (while the AOF is being turned on, a temporary
/// INCR file outside the manifest instead). From then on, writes go there,
/// and the files before it are exactly what the new BASE will replace.
/// Then it forks; the child writes the new BASE from its copy-on-write
/// view of the dataset, which is the dataset at the switch. When the child
/// succeeds, [`rewrite_done`] installs the BASE and retires the old files;
/// if it fails, nothing is lost: the manifest still lists the old BASE, the
/// old INCR files and the new one.
pub fn rewrite(srv: &mut Server) -> Result<(), String> {
    if srv.children.is_active() {
        return Err("another child process is active".into());
    }
    if let Err(e) = create_dir_if_missing(srv) {
        srv.aof.last_rewrite_ok = false;
        return Err(e);
    }
    // The new INCR file starts with a SELECT.
    srv.aof.selected_db = None;
    flush(srv, true);
    if let Err(e) = open_new_incr_for_append(srv) {
        srv.aof.last_rewrite_ok = false;
        return Err(e);
    }
    srv.aof.rewrites += 1;
    match crate::child::fork(srv, crate::child::ChildKind::Aof) {
        Ok(crate::child::Forked::Child(mut reporter)) => {
            let target = PathBuf::from(child_base_name(std::process::id() as libc::pid_t));
            let ok = write_base(srv, &target, &mut |keys| reporter.progress(keys)).is_ok();
            if ok {
                log::info!(
                    "Successfully created the temporary AOF base file {}",
                    target.display()
                );
                reporter.finish();
            }
            crate::child::exit_child(if ok { 0 } else { 1 });
        }
        Ok(crate::child::Forked::Parent(pid)) => {
            log::info!(
                "Background append only file rewriting started by pid {}",
                pid
            );
            srv.aof.rewrite_scheduled = false;
            Ok(())
        }
        Err(e) => {
            srv.aof.last_rewrite_ok = false;
            let msg = format!(
                "Can't rewrite append only file in background: fork: {}",
                strerror(&e)
            );
            log::warn!("{}", msg);
            Err(msg)
        }
    }
}

/// Switch logging to a new INCR file before a rewrite
/// (`openNewIncrAofForAppend`). Nothing to do while the AOF is off.
fn open_new_incr_for_append(srv: &mut Server) -> Result<(), String> {
    if srv.aof.state == AofState::Off {
        return Ok(());
    }
    let waiting = srv.aof.state == AofState::WaitRewrite;
    let mut am = srv.aof.manifest.clone();
    let (name, path) = if waiting {
        let name = temp_incr_name(srv);
        let path = aof_path(srv, &name);
        (name, path)
    } else {
        let name = am.new_incr(&srv.config.appendfilename);
        let path = aof_path(srv, &name);
        (name, path)
    };
    let file = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            let msg = format!("Can't open the append-only file {}: {}", name, strerror(&e));
            log::warn!("{}", msg);
            return Err(msg);
        }
    };
    if !waiting {
        if let Err(e) = persist_manifest(srv, &mut am) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        srv.aof.manifest = am;
    }
    log::info!("Creating AOF incr file {} on background rewrite", name);
    // The retired file was written up to here; with `everysec` its last
    // second is fsynced (in the background) rather than never.
    if let Some(old) = srv.aof.file.replace(file) {
        if srv.config.appendfsync != AppendFsync::No {
            crate::bio::fsync_and_close(old);
        }
    }
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    srv.aof.last_fsync_s = now_s();
    Ok(())
}

/// A rewrite child ended (`backgroundRewriteDoneHandler`). On success its
/// BASE file is renamed into the AOF directory, the manifest is updated
/// (new BASE; the INCR files the rewrite covered become history, deleted
/// unless `aof-disable-auto-gc`) and persisted atomically. On failure, or
/// if any of those steps fails, the manifest is left as it was: the AOF
/// still loads (old BASE, then every INCR file).
pub fn rewrite_done(
    srv: &mut Server,
    pid: libc::pid_t,
    exit: crate::child::ChildExit,
    elapsed_s: i64,
) {
    let tmp = child_base_name(pid);
    if exit.ok() {
        log::info!("Background AOF rewrite terminated with success");
        match install_rewritten_base(srv, &tmp) {
            Ok(()) => {
                srv.aof.last_rewrite_ok = true;
                srv.aof.rewrites_consecutive_failures = 0;
                log::info!("Background AOF rewrite finished successfully");
                if srv.aof.state == AofState::WaitRewrite {
                    srv.aof.state = AofState::On;
                }
            }
            Err(()) => {
                srv.aof.last_rewrite_ok = false;
                srv.aof.rewrites_consecutive_failures += 1;
            }
        }
    } else if exit.by_signal == 0 {
        srv.aof.last_rewrite_ok = false;
        srv.aof.rewrites_consecutive_failures += 1;
        log::warn!("Background AOF rewrite terminated with error");
    } else {
        // SIGUSR1 is the server stopping its own child: not an error.
        if exit.by_signal != libc::SIGUSR1 {
            srv.aof.last_rewrite_ok = false;
            srv.aof.rewrites_consecutive_failures += 1;
        }
        log::warn!(
            "Background AOF rewrite terminated by signal {}",
            exit.by_signal
        );
    }
    let _ = std::fs::remove_file(&tmp);
    if srv.aof.state == AofState::WaitRewrite {
        // The temporary INCR file only made sense with this rewrite's BASE:
        // drop it and what was buffered for it, and try again.
        discard_temp_incr(srv);
        srv.aof.rewrite_scheduled = true;
    }
    srv.aof.last_rewrite_time_s = elapsed_s;
}

/// Drop the temporary INCR file of a failed first rewrite
/// (`aofDelTempIncrAofFile`).
fn discard_temp_incr(srv: &mut Server) {
    srv.aof.buf.clear();
    srv.aof.selected_db = None;
    srv.aof.file = None;
    let _ = std::fs::remove_file(aof_path(srv, &temp_incr_name(srv)));
}

/// The success half of [`rewrite_done`]: rename the child's BASE (and, when
/// the AOF was being turned on, the temporary INCR file) into the AOF
/// directory and persist the new manifest. Errors are logged; on error the
/// new files are removed and the manifest stays as it was.
fn install_rewritten_base(srv: &mut Server, tmp: &str) -> Result<(), ()> {
    let filename = srv.config.appendfilename.clone();
    let mut am = srv.aof.manifest.clone();
    let base_name = am.new_base(&filename, srv.config.aof_use_rdb_preamble);
    let base_path = aof_path(srv, &base_name);
    if let Err(e) = std::fs::rename(tmp, &base_path) {
        log::warn!(
            "Error trying to rename the temporary AOF file {} into {}: {}",
            tmp,
            base_name,
            strerror(&e)
        );
        return Err(());
    }
    log::info!(
        "Successfully renamed the temporary AOF base file {} into {}",
        tmp,
        base_name
    );
    let mut new_incr_path = None;
    if srv.aof.state == AofState::WaitRewrite {
        let temp_incr = temp_incr_name(srv);
        let incr_name = am.new_incr(&filename);
        let incr_path = aof_path(srv, &incr_name);
        if let Err(e) = std::fs::rename(aof_path(srv, &temp_incr), &incr_path) {
            log::warn!(
                "Error trying to rename the temporary incr AOF file {} into {}: {}",
                temp_incr,
                incr_name,
                strerror(&e)
            );
            let _ = std::fs::remove_file(&base_path);
            return Err(());
        }
        log::info!(
            "Successfully renamed the temporary AOF incr file {} into {}",
            temp_incr,
            incr_name
        );
        new_incr_path = Some(incr_path);
    }
    // The INCR files before the one now being written are in the BASE.
    am.mark_rewritten_incr_as_history(srv.aof.file.is_some());
    if persist_manifest(srv, &mut am).is_err() {
        let _ = std::fs::remove_file(&base_path);
        if let Some(p) = new_incr_path {
            let _ = std::fs::remove_file(p);
        }
        return Err(());
    }
    srv.aof.manifest = am;
    if srv.aof.file.is_some() {
        let base_size = std::fs::metadata(&base_path).map_or(0, |m| m.len());
        srv.aof.current_size = base_size + srv.aof.last_incr_size;
        srv.aof.rewrite_base_size = srv.aof.current_size;
    }
    del_history_files(srv);
    Ok(())
}

/// Stop a running rewrite child and clean up after it
/// (`killAppendOnlyChild`).
pub fn kill_rewrite_child(srv: &mut Server) {
    if !srv.children.is(crate::child::ChildKind::Aof) {
        return;
    }
    if let Some(pid) = srv.children.active.as_ref().map(|c| c.pid) {
        log::info!("Killing running AOF rewrite child: {}", pid);
    }
    if let Some(pid) = crate::child::kill_child(srv, true) {
        let _ = std::fs::remove_file(child_base_name(pid));
        let _ = std::fs::remove_file(format!("temp-rewriteaof-{}.aof", pid));
    }
    if srv.aof.state == AofState::WaitRewrite {
        discard_temp_incr(srv);
    }
}

/// Delete the history files and drop them from the manifest, unless
/// `aof-disable-auto-gc yes` (`aofDelHistoryFiles`).
pub fn del_history_files(srv: &mut Server) {
    if srv.config.aof_disable_auto_gc || srv.aof.manifest.history.is_empty() {
        return;
    }
    let mut am = std::mem::take(&mut srv.aof.manifest);
    for ai in am.history.drain(..) {
        log::info!("Removing the history file {} in the background", ai.name);
        crate::bio::unlink(&aof_path(srv, &ai.name));
    }
    am.dirty = true;
    let _ = persist_manifest(srv, &mut am);
    srv.aof.manifest = am;
}

/// `CONFIG SET appendonly yes` (`startAppendOnly`): rewrite now and start
/// logging; inside a transaction or script the rewrite is scheduled for
/// the cron instead, so writes already applied are not logged twice.
pub fn start(srv: &mut Server) -> Result<(), String> {
    if srv.aof.state != AofState::Off {
        return Ok(());
    }
    srv.aof.state = AofState::WaitRewrite;
    let other_child = srv.children.is_active() && !srv.children.is(crate::child::ChildKind::Aof);
    if other_child {
        srv.aof.rewrite_scheduled = true;
        log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
    } else if srv.in_exec || srv.scripting.run.is_some() {
        srv.aof.rewrite_scheduled = true;
        log::warn!("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
    } else if let Err(e) = {
        // A rewrite already running does not collect what the new AOF
        // needs: start over.
        if srv.children.is(crate::child::ChildKind::Aof) {
            log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            kill_rewrite_child(srv);
        }
        rewrite(srv)
    } {
        srv.aof.state = AofState::Off;
        log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        return Err(e);
    }
    srv.aof.last_fsync_s = now_s();
    if srv.aof.last_write_error.take().is_some() {
        log::warn!("AOF reopen, just ignore the last error.");
    }
    Ok(())
}

/// `CONFIG SET appendonly no` (`stopAppendOnly`): flush, fsync, close.
pub fn stop(srv: &mut Server) {
    if srv.aof.state == AofState::Off {
        return;
    }
    flush(srv, true);
    if let Some(f) = srv.aof.file.take() {
        if let Err(e) = f.sync_data() {
            log::warn!("Fail to fsync the AOF file: {}", strerror(&e));
        }
    }
    srv.aof.state = AofState::Off;
    srv.aof.selected_db = None;
    srv.aof.rewrite_scheduled = false;
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    kill_rewrite_child(srv);
    srv.aof.buf = Vec::new();
}

/// BGREWRITEAOF's outcome, as the reply the command sends.
pub fn bgrewriteaof(srv: &mut Server) -> Result<&'static str, &'static str> {
    if srv.children.is(crate::child::ChildKind::Aof) {
        return Err("ERR Background append only file rewriting already in progress");
    }
    if srv.in_exec || srv.scripting.run.is_some() || srv.children.is_active() {
        srv.aof.rewrite_scheduled = true;
        srv.aof.rewrites_consecutive_failures = 0;
        return Ok("Background append only file rewriting scheduled");
    }
    match rewrite(srv) {
        Ok(()) => Ok("Background append only file rewriting started"),
        Err(_) => Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information."),
    }
}

/// The AOF's share of the cron: retry a failed write, run a scheduled
/// rewrite, and start one when the AOF grew by `auto-aof-rewrite-percentage`
/// over its size after the last rewrite (and is at least
/// `auto-aof-rewrite-min-size`).
pub fn cron(srv: &mut Server) {
    if srv.aof.state == AofState::Off && !srv.aof.rewrite_scheduled {
        return;
    }
    if srv.aof.last_write_error.is_some() {
        flush(srv, false);
    }
    // Only one child at a time: a rewrite waits for a running snapshot.
    if srv.children.is_active() {
        return;
    }
    if srv.aof.rewrite_scheduled && !srv.in_exec && srv.scripting.run.is_none() {
        let _ = rewrite(srv);
        return;
    }
    let perc = u64::from(srv.config.auto_aof_rewrite_percentage);
    if srv.aof.state == AofState::On
        && perc > 0
        && srv.aof.current_size > srv.config.auto_aof_rewrite_min_size
        && srv.aof.rewrites_consecutive_failures < 3
    {
        let base = srv.aof.rewrite_base_size.max(1);
        let growth = (srv.aof.current_size * 100 / base).saturating_sub(100);
        if growth >= perc {
            log::info!("Starting automatic rewriting of AOF on {}% growth", growth);
            let _ = rewrite(srv);
        }
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// The outcome of loading one file or the whole AOF (`AOF_OK`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

/// Read the manifest from disk into `srv.aof.manifest`
/// (`aofLoadManifestFromDisk`). A missing directory or manifest leaves it
/// empty; a malformed one is an error (fatal at start-up).
pub fn load_manifest_from_disk(srv: &mut Server) -> Result<(), String> {
    srv.aof.manifest = Manifest::default();
    let dir = Path::new(&srv.config.appenddirname);
    if !dir.is_dir() {
        log::trace!(
            "The AOF directory {} doesn't exist",
            srv.config.appenddirname
        );
        return Ok(());
    }
    let name = format!("{}.manifest", srv.config.appendfilename);
    let path = dir.join(&name);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            log::trace!("The AOF manifest file {} doesn't exist", name);
            return Ok(());
        }
        Err(e) => {
            return Err(format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                strerror(&e)
            ))
        }
    };
    match Manifest::parse(&text) {
        Ok(am) => {
            srv.aof.manifest = am;
            Ok(())
        }
        Err(e) => {
            log::warn!("*** FATAL AOF MANIFEST FILE ERROR ***");
            if let Some((n, line)) = &e.line {
                log::warn!("Reading the manifest file, at line {}", n);
                log::warn!(">>> '{}'", line);
            }
            Err(e.reason.to_string())
        }
    }
}

/// Move an old-style `appendonly.aof` from `dir` into the AOF directory as
/// the BASE file (`aofUpgradePrepare`).
fn upgrade_old_style(srv: &mut Server) -> Result<(), String> {
    create_dir_if_missing(srv)?;
    let filename = srv.config.appendfilename.clone();
    let mut am = std::mem::take(&mut srv.aof.manifest);
    am.base = Some(AofInfo {
        name: filename.clone(),
        seq: 1,
        kind: FileType::Base,
    });
    am.curr_base_seq = 1;
    am.dirty = true;
    let r = persist_manifest(srv, &mut am);
    srv.aof.manifest = am;
    r?;
    if let Err(e) = std::fs::rename(&filename, aof_path(srv, &filename)) {
        let msg = format!(
            "Error trying to move the old AOF file {} into dir {}: {}",
            filename,
            srv.config.appenddirname,
            strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    log::info!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        filename,
        srv.config.appenddirname
    );
    Ok(())
}

/// Load every file of the manifest: BASE, then INCR files in order
/// (`loadAppendOnlyFiles`).
pub fn load_files(srv: &mut Server) -> Result<LoadStatus, String> {
    let filename = srv.config.appendfilename.clone();
    if Path::new(&filename).is_file() {
        let am = &srv.aof.manifest;
        let dir_missing = !Path::new(&srv.config.appenddirname).is_dir();
        let upgrade = dir_missing
            || (am.base.is_none() && am.incr.is_empty())
            || (am.incr.is_empty()
                && am.base.as_ref().is_some_and(|b| b.name == filename)
                && !aof_path(srv, &filename).exists());
        if upgrade {
            upgrade_old_style(srv)?;
        }
    }
    let am = srv.aof.manifest.clone();
    if am.base.is_none() && am.incr.is_empty() {
        return Ok(LoadStatus::NotExist);
    }
    let files: Vec<&AofInfo> = am.base.iter().chain(am.incr.iter()).collect();
    let mut total: u64 = 0;
    for ai in &files {
        match std::fs::metadata(aof_path(srv, &ai.name)) {
            Ok(m) => total += m.len(),
            Err(e) => {
                log::warn!(
                    "Unable to obtain the AOF file {} length. stat: {}",
                    ai.name,
                    strerror(&e)
                );
                return Ok(LoadStatus::Failed);
            }
        }
    }
    if total == 0 {
        return Ok(LoadStatus::Empty);
    }
    let mut ret = LoadStatus::Ok;
    let n = files.len();
    let mut base_size = 0;
    for (i, ai) in files.iter().enumerate() {
        let last = i + 1 == n;
        let start = std::time::Instant::now();
        if ai.kind == FileType::Base {
            base_size = std::fs::metadata(aof_path(srv, &ai.name)).map_or(0, |m| m.len());
        }
        ret = load_single_file(srv, &ai.name);
        if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
            log::info!(
                "DB loaded from {} file {}: {:.3} seconds",
                if ai.kind == FileType::Base {
                    "base"
                } else {
                    "incr"
                },
                ai.name,
                start.elapsed().as_secs_f64()
            );
        }
        if ret == LoadStatus::Empty && ai.kind == FileType::Incr {
            ret = LoadStatus::Ok;
        }
        if ret == LoadStatus::Truncated && !last {
            log::warn!("Fatal error: the truncated file is not the last file");
            ret = LoadStatus::Failed;
        }
        if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
            return Ok(ret);
        }
    }
    srv.aof.current_size = total;
    srv.aof.rewrite_base_size = base_size;
    Ok(ret)
}

/// What went wrong in a file's command stream.
enum ParseStop {
    /// The file ended in the middle of a command.
    Truncated,
    /// Not RESP where a command should start.
    Format,
}

/// Reads one command at `pos` the way Redis's loader does (`*<argc>` line,
/// then per argument a `$<len>` line, the bytes and two more bytes).
/// `Ok(None)` at a clean end of file; annotations (`#...` lines) are
/// skipped.
fn read_command(buf: &[u8], pos: &mut usize) -> Result<Option<Vec<Vec<u8>>>, ParseStop> {
    fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
        if *pos >= buf.len() {
            return None;
        }
        let rest = &buf[*pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) => {
                *pos += p + 1;
                Some(&rest[..=p])
            }
            None => {
                *pos = buf.len();
                Some(rest)
            }
        }
    }
    loop {
        let Some(l) = line(buf, pos) else {
            return Ok(None);
        };
        if l[0] == b'#' {
            continue;
        }
        if l[0] != b'*' {
            return Err(ParseStop::Format);
        }
        if l.len() == 1 {
            return Err(ParseStop::Truncated);
        }
        let argc = atoll(&l[1..]);
        if argc < 1 {
            return Err(ParseStop::Format);
        }
        let mut argv = Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            let l = line(buf, pos).ok_or(ParseStop::Truncated)?;
            if l[0] != b'$' {
                // A partial line at the very end is a cut, not garbage.
                return Err(if *pos == buf.len() && !l.ends_with(b"\n") {
                    ParseStop::Truncated
                } else {
                    ParseStop::Format
                });
            }
            let len = atoll(&l[1..]);
            if len < 0 {
                return Err(ParseStop::Format);
            }
            let len = len as usize;
            if buf.len() - *pos < len.saturating_add(2) {
                return Err(ParseStop::Truncated);
            }
            argv.push(buf[*pos..*pos + len].to_vec());
            *pos += len + 2;
        }
        return Ok(Some(argv));
    }
}

/// A connection-less client to run loaded commands with
/// (`createAOFClient`); it does not count as a connection.
fn create_fake_client(srv: &mut Server) -> usize {
    let mut c = crate::client::Client::new(0, None, now_ms());
    c.flags.authenticated = true;
    // Loading replays what was already allowed: no ACL user.
    c.user = Vec::new();
    let (conns, next_id) = (srv.stats.numconnections, srv.next_client_id);
    let cid = srv.add_client(c);
    srv.stats.numconnections = conns;
    srv.next_client_id = next_id;
    cid
}

/// Free the loader's client like any other (`freeClient`): whatever the
/// file made it do (SUBSCRIBE, MONITOR, CLIENT TRACKING ...) is undone, so
/// its slab key is not left in a table for the next client that gets it.
fn free_fake_client(srv: &mut Server, cid: usize) {
    srv.remove_client(cid);
}

/// Replay one file (`loadSingleAppendOnlyFile`).
pub fn load_single_file(srv: &mut Server, name: &str) -> LoadStatus {
    let path = aof_path(srv, name);
    let buf = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            log::warn!(
                "The append log file {} doesn't exist: {}",
                name,
                strerror(&e)
            );
            return LoadStatus::NotExist;
        }
        Err(e) => {
            log::warn!(
                "Fatal error: can't open the append log file {} for reading: {}",
                name,
                strerror(&e)
            );
            return LoadStatus::OpenErr;
        }
    };
    load_from_bytes(srv, name, &buf)
}

/// Replay `buf`, the contents of the AOF file `name` (the part of
/// `loadSingleAppendOnlyFile` after the read): an RDB image first if it
/// starts with one, then its commands through `call()` for a
/// connection-less client, in the loading state. As for a file read from
/// disk, a tail cut short is truncated away in the file `name` when
/// `aof-load-truncated` allows it. Also the entry point of the AOF fuzz
/// target (`tests/fuzz`).
pub fn load_from_bytes(srv: &mut Server, name: &str, buf: &[u8]) -> LoadStatus {
    if buf.is_empty() {
        return LoadStatus::Empty;
    }
    let path = aof_path(srv, name);
    let was_loading = srv.loading;
    set_loading(srv, true);
    let cid = create_fake_client(srv);
    let status = replay(srv, cid, name, &path, buf);
    free_fake_client(srv, cid);
    set_loading(srv, was_loading);
    status
}

/// Enter or leave the loading state: no propagation, no expiry.
fn set_loading(srv: &mut Server, on: bool) {
    srv.loading = on;
    for db in srv.dbs.iter_mut() {
        db.expire_paused = on;
    }
}

fn replay(srv: &mut Server, cid: usize, name: &str, path: &Path, buf: &[u8]) -> LoadStatus {
    let mut pos = 0usize;
    if buf.starts_with(b"REDIS") {
        let old_style = name == srv.config.appendfilename;
        if old_style {
            log::info!("Reading RDB preamble from AOF file...");
        } else {
            log::info!("Reading RDB base file on AOF loading...");
        }
        match crate::rdb::file::load_aof_preamble(srv, buf) {
            Ok(end) => pos = end,
            Err(e) => {
                log::warn!("{}", e);
                if old_style {
                    log::warn!(
                        "Error reading the RDB preamble of the AOF file {}, AOF loading aborted",
                        name
                    );
                } else {
                    log::warn!(
                        "Error reading the RDB base file {}, AOF loading aborted",
                        name
                    );
                }
                return LoadStatus::Failed;
            }
        }
        if old_style {
            log::info!("Reading the remaining AOF tail...");
        }
    }
    let truncate_ok = srv.config.aof_load_truncated;
    let mut valid_up_to = pos;
    let mut valid_before_multi = pos;
    loop {
        let argv = match read_command(buf, &mut pos) {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(ParseStop::Truncated) => {
                return unexpected_eof(srv, name, path, valid_up_to);
            }
            Err(ParseStop::Format) => {
                log::warn!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name);
                return LoadStatus::Failed;
            }
        };
        let id = match srv.commands.lookup(&argv) {
            Ok(id) => id,
            Err(_) => {
                log::warn!(
                    "Unknown command '{}' reading the append only file {}",
                    String::from_utf8_lossy(&argv[0]),
                    name
                );
                return LoadStatus::Failed;
            }
        };
        if srv.commands.check_arity(id, argv.len()).is_err() {
            log::warn!(
                "Wrong number of arguments for '{}' reading the append only file {}",
                String::from_utf8_lossy(&argv[0]),
                name
            );
            return LoadStatus::Failed;
        }
        let cmd_name = srv.commands.entries[id].def.name;
        if cmd_name == "multi" {
            valid_before_multi = valid_up_to;
        }
        srv.clock_us = crate::server::now_us();
        if crate::multi::in_multi(srv, cid) && cmd_name != "exec" {
            crate::multi::queue_command(srv, cid, id, argv);
        } else {
            srv.call(cid, id, argv);
        }
        if let Some(c) = srv.clients.get_mut(cid) {
            c.reply.clear();
        }
        if truncate_ok {
            valid_up_to = pos;
        }
    }
    if crate::multi::in_multi(srv, cid) {
        log::warn!(
            "Revert incomplete MULTI/EXEC transaction in AOF file {}",
            name
        );
        if let Some(c) = srv.clients.get_mut(cid) {
            c.multi = None;
        }
        return unexpected_eof(srv, name, path, valid_before_multi);
    }
    LoadStatus::Ok
}

/// The file ended early: truncate it after the last complete command and
/// carry on when `aof-load-truncated yes`, fail otherwise.
fn unexpected_eof(srv: &mut Server, name: &str, path: &Path, valid_up_to: usize) -> LoadStatus {
    if srv.config.aof_load_truncated {
        log::warn!(
            "!!! Warning: short read while loading the AOF file {}!!!",
            name
        );
        log::warn!(
            "!!! Truncating the AOF {} at offset {} !!!",
            name,
            valid_up_to
        );
        let truncated = OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(valid_up_to as u64));
        match truncated {
            Ok(()) => {
                // The INCR file being appended to was opened in append mode:
                // the next write lands at the new end.
                log::warn!(
                    "AOF {} loaded anyway because aof-load-truncated is enabled",
                    name
                );
                return LoadStatus::Truncated;
            }
            Err(e) => log::warn!("Error truncating the AOF file {}: {}", name, strerror(&e)),
        }
    }
    log::warn!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
    LoadStatus::Failed
}

/// Start-up (`aofLoadManifestFromDisk` + `loadDataFromDisk` +
/// `aofOpenIfNeededOnServerStart` + `aofDelHistoryFiles`): with
/// `appendonly yes` the AOF is the dataset and the RDB file is ignored.
/// An error stops the server.
pub fn load_at_startup(srv: &mut Server) -> Result<(), String> {
    load_manifest_from_disk(srv)?;
    if srv.config.appendonly {
        let start = std::time::Instant::now();
        let ret = load_files(srv)?;
        if matches!(ret, LoadStatus::Failed | LoadStatus::OpenErr) {
            return Err("Failed to load the append only file".to_string());
        }
        if ret != LoadStatus::NotExist {
            log::info!(
                "DB loaded from append only file: {:.3} seconds",
                start.elapsed().as_secs_f64()
            );
        }
        srv.dirty = 0;
        open_on_server_start(srv)?;
    } else {
        crate::rdb::file::load_at_startup(srv)?;
    }
    del_history_files(srv);
    Ok(())
}

/// Start logging after the start-up load (`aofOpenIfNeededOnServerStart`):
/// an empty AOF gets a BASE file, the last INCR file (or a new one) is
/// opened for appending, and the manifest is saved.
pub fn open_on_server_start(srv: &mut Server) -> Result<(), String> {
    create_dir_if_missing(srv)?;
    let filename = srv.config.appendfilename.clone();
    let mut am = std::mem::take(&mut srv.aof.manifest);
    let had_incr = !am.incr.is_empty();
    if am.base.is_none() && am.incr.is_empty() {
        let base = am.new_base(&filename, srv.config.aof_use_rdb_preamble);
        let r = write_base(srv, &aof_path(srv, &base), &mut |_| {});
        if let Err(e) = r {
            srv.aof.manifest = am;
            return Err(e);
        }
        log::info!("Creating AOF base file {} on server start", base);
    }
    let name = am.last_incr(&filename);
    let file = open_incr(srv, &name, false)
        .map_err(|e| format!("Can't open the append-only file {}: {}", name, strerror(&e)));
    let r = file.and_then(|f| persist_manifest(srv, &mut am).map(|_| f));
    srv.aof.manifest = am;
    let file = r?;
    let size = file.metadata().map_or(0, |m| m.len());
    srv.aof.file = Some(file);
    srv.aof.last_incr_size = size;
    srv.aof.last_incr_fsync_offset = size;
    srv.aof.last_fsync_s = now_s();
    srv.aof.state = AofState::On;
    srv.aof.selected_db = None;
    if srv.aof.current_size == 0 {
        srv.aof.current_size = total_size(srv);
        srv.aof.rewrite_base_size = srv.aof.current_size - size.min(srv.aof.current_size);
    }
    if had_incr {
        log::info!("Opening AOF incr file {} on server start", name);
    } else {
        log::info!("Creating AOF incr file {} on server start", name);
    }
    Ok(())
}

/// Size of the BASE and INCR files on disk.
fn total_size(srv: &Server) -> u64 {
    let am = &srv.aof.manifest;
    am.base
        .iter()
        .chain(am.incr.iter())
        .map(|ai| std::fs::metadata(aof_path(srv, &ai.name)).map_or(0, |m| m.len()))
        .sum()
}

/// DEBUG LOADAOF: write out the buffer, empty the dataset and load the AOF
/// from disk again. Like Redis, a failure to load ends the process.
pub fn debug_loadaof(srv: &mut Server) {
    if srv.aof.state != AofState::Off {
        flush(srv, true);
    }
    srv.signal_flushed_db(None);
    for db in srv.dbs.iter_mut() {
        db.flush();
    }
    crate::scripting::functions::flush(srv);
    let ret = load_manifest_from_disk(srv).and_then(|_| {
        del_history_files(srv);
        load_files(srv)
    });
    match ret {
        Ok(LoadStatus::Ok) | Ok(LoadStatus::Empty) => {}
        Ok(other) => {
            log::warn!(
                "DEBUG LOADAOF failed to load the append only file ({:?}). Exiting.",
                other
            );
            std::process::exit(1);
        }
        Err(e) => {
            log::warn!("{}", e);
            std::process::exit(1);
        }
    }
    // The file being appended to may have been truncated: go on from its
    // real end.
    if let Some(f) = srv.aof.file.as_ref() {
        if let Ok(m) = f.metadata() {
            srv.aof.last_incr_size = m.len();
            srv.aof.last_incr_fsync_offset = m.len();
        }
    }
    srv.dirty = 0;
    log::warn!("Append Only File loaded by DEBUG LOADAOF");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn manifest_round_trip() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let am = Manifest::parse(text).unwrap();
        assert_eq!(am.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(am.curr_base_seq, 2);
        assert_eq!(am.curr_incr_seq, 3);
        assert_eq!(am.history.len(), 1);
        assert_eq!(am.incr.len(), 2);
        assert_eq!(am.format().as_bytes(), &text[..]);
    }

    #[test]
    fn manifest_is_lenient_where_redis_is() {
        // Comments, key case, extra pairs, any order.
        let am = Manifest::parse(
            b"# comment\nFILE a.1.base.aof SEQ 1 TYPE b extra x\ntype i seq 5 file a.5.incr.aof\n",
        )
        .unwrap();
        assert_eq!(am.base.unwrap().seq, 1);
        assert_eq!(am.incr[0].seq, 5);
        // Names that need quoting are written quoted and read back.
        let am = Manifest {
            base: Some(AofInfo {
                name: "my file".into(),
                seq: 1,
                kind: FileType::Base,
            }),
            ..Manifest::default()
        };
        let text = am.format();
        assert_eq!(text, "file \"my file\" seq 1 type b\n");
        assert_eq!(
            Manifest::parse(text.as_bytes()).unwrap().base.unwrap().name,
            "my file"
        );
    }

    #[test]
    fn manifest_errors() {
        let reason = |t: &[u8]| Manifest::parse(t).unwrap_err().reason;
        assert_eq!(reason(b""), "Found an empty AOF manifest");
        assert_eq!(
            reason(b"file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        assert_eq!(reason(b"\n"), "Invalid AOF manifest file format");
        assert_eq!(
            reason(b"file a seq 1\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 0 type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(reason(b"file a seq 1 type x\n"), "Unknown AOF file type");
        let long = format!("file {} seq 1 type b\n", "a".repeat(1100));
        assert_eq!(
            reason(long.as_bytes()),
            "The AOF manifest file contains too long line"
        );
        let e = Manifest::parse(b"file a seq 1 type x\n").unwrap_err();
        assert_eq!(e.line, Some((1, "file a seq 1 type x".into())));
    }

    #[test]
    fn manifest_rewrite_steps() {
        let mut am = Manifest::default();
        assert_eq!(
            am.new_base("appendonly.aof", true),
            "appendonly.aof.1.base.rdb"
        );
        assert_eq!(am.last_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        // A rewrite while logging: new incr, new base, old files to history
        // (newest first: the covered incr files go in front of the old base,
        // as in Redis's list).
        am.new_incr("appendonly.aof");
        am.new_base("appendonly.aof", false);
        am.mark_rewritten_incr_as_history(true);
        assert_eq!(
            am.format(),
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        // Not logging: every incr file is covered by the new base.
        am.mark_rewritten_incr_as_history(false);
        assert!(am.incr.is_empty());
    }

    #[test]
    fn commands_are_encoded_like_redis() {
        let mut aof = Aof {
            state: AofState::On,
            ..Aof::default()
        };
        aof.feed(0, &argv(&["SET", "k", "v"]), false, 100);
        aof.feed(0, &argv(&["DEL", "k"]), false, 100);
        aof.feed(12, &argv(&["SET", "", "x"]), false, 100);
        assert_eq!(
            aof.buf,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\nx\r\n"
                .to_vec()
        );
        // Timestamps once per second; nothing is logged while off.
        let mut aof = Aof {
            state: AofState::On,
            selected_db: Some(0),
            ..Aof::default()
        };
        aof.feed(0, &argv(&["PING"]), true, 100);
        aof.feed(0, &argv(&["PING"]), true, 100);
        aof.feed(0, &argv(&["PING"]), true, 101);
        assert_eq!(
            aof.buf,
            b"#TS:100\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n#TS:101\r\n*1\r\n$4\r\nPING\r\n"
                .to_vec()
        );
        let mut off = Aof::default();
        off.feed(0, &argv(&["SET", "a", "b"]), false, 1);
        assert!(off.buf.is_empty());
    }

    /// The loader's client is freed like a connection: a SUBSCRIBE,
    /// PSUBSCRIBE, MONITOR or CLIENT TRACKING in the file must not leave
    /// its slab key in the server's tables, where the next client to get
    /// that key would receive pub/sub messages or the MONITOR stream it
    /// never asked for (found by the aof_load fuzz target).
    #[test]
    fn loader_client_leaves_no_references() {
        let mut srv = Server::new(crate::config::Config {
            appenddirname: "/nonexistent/ferrodis-test".to_string(),
            ..Default::default()
        });
        let mut file = Vec::new();
        for a in [
            &["SET", "k", "v"][..],
            &["SUBSCRIBE", "ch"],
            &["PSUBSCRIBE", "p*"],
            &["SSUBSCRIBE", "sch"],
            &["MONITOR"],
            &["CLIENT", "TRACKING", "ON"],
            &["GET", "k"],
        ] {
            cat_command(&mut file, &argv(a));
        }
        let status = load_from_bytes(&mut srv, "appendonly.aof.1.incr.aof", &file);
        assert_eq!(status, LoadStatus::Ok);
        assert!(srv.dbs[0].peek(b"k").is_some());
        assert_eq!(srv.clients.len(), 0);
        assert!(srv.pubsub_channels.is_empty());
        assert!(srv.pubsub_patterns.is_empty());
        assert!(srv.pubsubshard_channels.is_empty());
        assert!(srv.monitors.is_empty());
        // (The tracking table keeps the client's id, never reused, until
        // the key is invalidated, as in Redis.)
        assert_eq!(srv.tracking.clients, 0);
    }

    #[test]
    fn reading_commands_stops_at_truncation() {
        let mut buf = Vec::new();
        cat_command(&mut buf, &argv(&["SET", "key", "value"]));
        buf.extend_from_slice(b"#TS:123\r\n");
        cat_command(&mut buf, &argv(&["INCR", "n"]));
        let mut pos = 0;
        assert_eq!(
            read_command(&buf, &mut pos).ok().flatten(),
            Some(argv(&["SET", "key", "value"]))
        );
        assert_eq!(
            read_command(&buf, &mut pos).ok().flatten(),
            Some(argv(&["INCR", "n"]))
        );
        assert!(matches!(read_command(&buf, &mut pos), Ok(None)));
        // Every cut inside the second command is a truncation, never a
        // format error or a panic.
        let first_end = {
            let mut p = 0;
            let _ = read_command(&buf, &mut p);
            p
        };
        for cut in first_end + 10..buf.len() {
            let mut pos = first_end;
            assert!(
                matches!(
                    read_command(&buf[..cut], &mut pos),
                    Err(ParseStop::Truncated)
                ),
                "cut at {cut}"
            );
        }
        let mut pos = 0;
        assert!(matches!(
            read_command(b"SET a b\r\n", &mut pos),
            Err(ParseStop::Format)
        ));
        let mut pos = 0;
        assert!(matches!(
            read_command(b"*0\r\n", &mut pos),
            Err(ParseStop::Format)
        ));
        let mut pos = 0;
        assert!(matches!(
            read_command(b"*1\r\nX\r\n", &mut pos),
            Err(ParseStop::Format)
        ));
    }

    #[test]
    fn rewrite_as_commands_rebuilds_each_type() {
        use crate::db::value::RObj;
        use crate::db::{Db, RStr};
        let mut dbs: Vec<Db> = (0..2).map(Db::new).collect();
        dbs[1].set(b"s", RObj::string(RStr::Int(42), 0), false);
        dbs[1].set_expire(b"s", 1_900_000_000_000);
        let out = rewrite_as_commands(&dbs, &[&b"#!lua name=x\nreturn 1"[..]], None);
        assert_eq!(
            out,
            b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$21\r\n#!lua name=x\nreturn 1\r\n\
*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$2\r\n42\r\n\
*3\r\n$9\r\nPEXPIREAT\r\n$1\r\ns\r\n$13\r\n1900000000000\r\n"
                .to_vec()
        );
    }

    #[test]
    fn batches_of_64_items() {
        let mut buf = Vec::new();
        let mut b = Batcher {
            name: b"RPUSH",
            key: b"l",
            width: 1,
            remaining: 130,
            count: 0,
        };
        for _ in 0..130 {
            b.item(&mut buf);
            cat_bulk(&mut buf, b"x");
        }
        let text = String::from_utf8(buf).unwrap();
        let headers: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with('*')).collect();
        assert_eq!(headers, vec!["*66", "*66", "*4"]);
    }
}
