//! Whole RDB files: SAVE, loading at start-up and DEBUG RELOAD (~ Redis's
//! `rdbSave`, `rdbSaveRio`, `rdbLoad`, `rdbLoadRio`).
//!
//! # Saving
//! The snapshot is serialized into memory and written to `temp-<pid>.rdb`
//! in the working directory (`dir`, which is the process's cwd, as in
//! Redis), flushed to disk with `fsync`, then renamed over `dbfilename`.
//! The rename is atomic, so a reader (or a crash) sees the old file or the
//! new one, never half of one. Building the file in memory first costs a
//! second copy of the dataset's serialized size for the duration of the
//! save; without fork there is no child to stream from, and SAVE blocks
//! the server either way, so the simpler path wins for now.
//!
//! # Loading
//! The file is read whole and parsed with the same value decoder as
//! RESTORE. Keys whose expire time has passed are dropped (we are always a
//! master), empty collections are skipped with a count, and anything
//! malformed — a bad checksum, an unknown opcode, a value that fails
//! validation, a duplicate key — is an error: at start-up Redis refuses to
//! run with half a dataset, and so do we.

use std::io::Write;

use super::decode::Reader;
use super::encode::{object_type, Writer};
use super::*;
use crate::db::value::{RObj, LRU_CLOCK_MAX};
use crate::db::{Db, Key};
use crate::server::Server;
use crate::util::crc64;

/// How to build the access metadata of loaded keys.
#[derive(Clone, Copy, Debug)]
pub struct LoadClock {
    /// Wall clock now (ms): keys that expired before it are skipped.
    pub now_ms: i64,
    /// Current LRU clock (seconds, 24 bits).
    pub lru_clock: u32,
    /// Current time in minutes (LFU's 16-bit stamp).
    pub now_min: u32,
    /// An LFU policy is active: the FREQ opcode applies, not IDLE.
    pub lfu: bool,
    /// Metadata of an object with no IDLE/FREQ information.
    pub default_lru: u32,
}

impl LoadClock {
    pub fn for_server(srv: &Server) -> LoadClock {
        LoadClock {
            now_ms: srv.cmd_time_ms,
            lru_clock: srv.lru_clock(),
            now_min: (srv.cmd_time_ms / 60000) as u32,
            lfu: srv.config.maxmemory_policy.is_lfu(),
            default_lru: srv.new_obj_lru(),
        }
    }

    /// The object's access metadata given the optional LFU counter or LRU
    /// idle seconds that came with it (`objectSetLRUOrLFU`).
    pub fn lru_for(&self, freq: Option<u8>, idle_s: Option<u64>) -> u32 {
        if self.lfu {
            match freq {
                Some(f) => ((self.now_min & 0xffff) << 8) | u32::from(f),
                None => self.default_lru,
            }
        } else {
            match idle_s {
                Some(idle) => {
                    let abs = i64::from(self.lru_clock) - (idle.min(i64::MAX as u64) as i64);
                    let abs = if abs < 0 {
                        abs.rem_euclid(i64::from(LRU_CLOCK_MAX))
                    } else {
                        abs
                    };
                    abs as u32
                }
                None => self.default_lru,
            }
        }
    }
}

/// What a load did (INFO's `rdb_last_load_keys_*`, the log line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    /// The code of each function library in the image (FUNCTION2 opcodes),
    /// for the caller to load into the scripting engine.
    pub functions: Vec<Vec<u8>>,
}

/// What the writer needs besides the databases.
pub struct SaveInfo {
    pub compress: bool,
    pub checksum: bool,
    /// `ctime` AUX field (seconds).
    pub now_s: i64,
    pub used_mem: u64,
    /// Access metadata policy: write IDLE (LRU) or FREQ (LFU) opcodes.
    pub lru: bool,
    pub lfu: bool,
    pub lru_clock: u32,
    pub now_min: u32,
    pub lfu_decay_time: u64,
    /// The image is the BASE of an AOF (the `aof-base` aux field is 1).
    pub aof_base: bool,
    /// The code of every function library, saved after the AUX fields
    /// (`rdbSaveFunctions`).
    pub functions: Vec<Vec<u8>>,
    /// The replication position the image stands for (`rdbSaveInfo`): the
    /// `repl-stream-db`, `repl-id` and `repl-offset` aux fields, which let a
    /// restarted server continue its replication history from the file.
    pub repl: Option<ReplPosition>,
    /// `rdb-key-save-delay`: microseconds to sleep after each key (a
    /// negative value sleeps 1 us with probability 1/|n|), for tests that
    /// need a save to take a while (`debugDelay`).
    pub key_save_delay: i32,
}

/// Where in the replication stream a snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplPosition {
    pub stream_db: i64,
    pub replid: String,
    pub offset: i64,
}

/// The writer hands its buffer to the sink whenever it holds this much.
const RIO_CHUNK: usize = 64 * 1024;

/// Keys between two progress reports (Redis looks at the clock every 1024
/// keys and reports at most once a second; the caller does the latter).
pub const PROGRESS_EVERY_KEYS: u64 = 1024;

/// An RDB image being written to a sink (Redis's `rio` with its checksum
/// callback): the encoder fills [`Writer::buf`], and every [`RIO_CHUNK`]
/// bytes the buffer is checksummed, written out and reused. Memory stays at
/// one chunk (plus the largest single value) whatever the dataset's size.
struct Rio<'a> {
    w: Writer,
    sink: &'a mut dyn Write,
    crc: u64,
    checksum: bool,
}

impl Rio<'_> {
    fn drain(&mut self) -> std::io::Result<()> {
        if self.checksum {
            self.crc = crc64::crc64(self.crc, &self.w.buf);
        }
        self.sink.write_all(&self.w.buf)?;
        self.w.buf.clear();
        Ok(())
    }

    fn drain_if_full(&mut self) -> std::io::Result<()> {
        if self.w.buf.len() >= RIO_CHUNK {
            self.drain()?;
        }
        Ok(())
    }
}

/// `debugDelay`: sleep `usec` microseconds; a negative value sleeps 1 us
/// once in `-usec` calls on average.
fn debug_delay(usec: i32, calls: u64) {
    let us = if usec < 0 {
        // A cheap deterministic stand-in for Redis's `rand() % -usec == 0`.
        u64::from(calls.is_multiple_of(u64::from(usec.unsigned_abs())))
    } else {
        usec as u64
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

/// Write the complete RDB image of `dbs` to `sink` (`rdbSaveRio`).
/// `progress` is called with the number of keys written so far every
/// [`PROGRESS_EVERY_KEYS`] keys.
pub fn save_rio(
    sink: &mut dyn Write,
    dbs: &[Db],
    info: &SaveInfo,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<()> {
    let mut rio = Rio {
        w: Writer::new(info.compress),
        sink,
        crc: 0,
        checksum: info.checksum,
    };
    let w = &mut rio.w;
    w.buf
        .extend_from_slice(format!("REDIS{:04}", RDB_VERSION).as_bytes());
    w.aux("redis-ver", crate::server::REDIS_VERSION.as_bytes());
    w.aux_int("redis-bits", 64);
    w.aux_int("ctime", info.now_s);
    w.aux_int("used-mem", info.used_mem as i64);
    if let Some(r) = &info.repl {
        w.aux_int("repl-stream-db", r.stream_db);
        w.aux("repl-id", r.replid.as_bytes());
        w.aux_int("repl-offset", r.offset);
    }
    w.aux_int("aof-base", i64::from(info.aof_base));
    for code in &info.functions {
        rio.w.byte(OPCODE_FUNCTION2);
        rio.w.raw_string(code);
        rio.drain_if_full()?;
    }
    let mut keys = 0u64;
    for db in dbs {
        if db.is_empty() {
            continue;
        }
        let w = &mut rio.w;
        w.byte(OPCODE_SELECTDB);
        w.len(db.id as u64);
        w.byte(OPCODE_RESIZEDB);
        w.len(db.dict.len() as u64);
        w.len(db.expires.len() as u64);
        for (key, obj) in db.dict.iter() {
            let w = &mut rio.w;
            if let Some(when) = db.get_expire(key) {
                w.byte(OPCODE_EXPIRETIME_MS);
                w.millis(when);
            }
            if info.lru {
                let idle = crate::db::value::lru_idle_seconds(obj.lru, info.lru_clock);
                w.byte(OPCODE_IDLE);
                w.len(idle);
            }
            if info.lfu {
                let freq = crate::db::value::lfu_decr_and_return(
                    obj.lru,
                    info.now_min,
                    info.lfu_decay_time,
                );
                w.byte(OPCODE_FREQ);
                w.byte(freq as u8);
            }
            w.byte(object_type(&obj.value));
            w.raw_string(key);
            w.object(&obj.value);
            rio.drain_if_full()?;
            keys += 1;
            if info.key_save_delay != 0 {
                debug_delay(info.key_save_delay, keys);
            }
            if keys.is_multiple_of(PROGRESS_EVERY_KEYS) {
                progress(keys);
            }
        }
    }
    rio.w.byte(OPCODE_EOF);
    rio.drain()?;
    let crc = if info.checksum { rio.crc } else { 0 };
    rio.sink.write_all(&crc.to_le_bytes())
}

/// The complete RDB image of `dbs` in memory (DUMP-sized uses and tests;
/// files and replicas are streamed with [`save_rio`]).
pub fn save_to_bytes(dbs: &[Db], info: &SaveInfo) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = save_rio(&mut out, dbs, info, &mut |_| {});
    out
}

/// A file that is fsynced every `REDIS_AUTOSYNC_BYTES` (32 MB) written
/// when `rdb-save-incremental-fsync` is on (`rioSetAutoSync`): the kernel
/// then never holds much unsynced data, so the final fsync does not stall
/// on gigabytes of dirty pages at once.
pub struct AutoSyncFile {
    pub file: std::fs::File,
    unsynced: u64,
    every: u64,
}

/// How many bytes `rdb-save-incremental-fsync` lets pass between fsyncs.
pub const AUTOSYNC_BYTES: u64 = 32 * 1024 * 1024;

impl AutoSyncFile {
    pub fn new(file: std::fs::File, incremental_fsync: bool) -> AutoSyncFile {
        AutoSyncFile {
            file,
            unsynced: 0,
            every: if incremental_fsync { AUTOSYNC_BYTES } else { 0 },
        }
    }
}

impl Write for AutoSyncFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.every > 0 && self.unsynced >= self.every {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Parse a whole RDB image into `dbs` (`rdbLoadRio`). With `allow_dup`
/// (DEBUG RELOAD MERGE) a key already present is replaced; otherwise a
/// duplicate is an error. `check_crc` is `rdbchecksum`.
pub fn load_from_bytes(
    buf: &[u8],
    dbs: &mut [Db],
    limits: &Limits,
    clock: &LoadClock,
    allow_dup: bool,
    check_crc: bool,
) -> std::result::Result<LoadStats, String> {
    load_image(buf, dbs, limits, clock, allow_dup, check_crc, false).map(|(st, _)| st)
}

/// [`load_from_bytes`] returning also where the image ended (an old-style
/// AOF continues with commands after it). With `keep_expired` (an AOF
/// preamble, `RDBFLAGS_AOF_PREAMBLE`) keys whose TTL passed are loaded
/// anyway: the commands that follow may still refer to them, and they
/// expire afterwards.
fn load_image(
    buf: &[u8],
    dbs: &mut [Db],
    limits: &Limits,
    clock: &LoadClock,
    allow_dup: bool,
    check_crc: bool,
    keep_expired: bool,
) -> std::result::Result<(LoadStats, usize), String> {
    let mut r = Reader::new(buf);
    let fail = |e: RdbError, r: &Reader| match e {
        RdbError::ShortRead => {
            "Short read or OOM loading DB. Unrecoverable error, aborting now.".to_string()
        }
        other => format!(
            "Internal error in RDB reading offset {} -> {}",
            r.pos, other
        ),
    };
    let magic = r.take(9).map_err(|_| {
        "Short read or OOM loading DB. Unrecoverable error, aborting now.".to_string()
    })?;
    if &magic[..5] != b"REDIS" {
        return Err("Wrong signature trying to load DB from file".into());
    }
    let ver = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&ver) {
        return Err(format!("Can't handle RDB format version {}", ver));
    }
    let mut stats = LoadStats::default();
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    loop {
        let t = r.byte().map_err(|e| fail(e, &r))?;
        match t {
            OPCODE_EXPIRETIME => {
                let b = r.take(4).map_err(|e| fail(e, &r))?;
                expire = Some(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                expire = Some(r.millis().map_err(|e| fail(e, &r))?);
                continue;
            }
            OPCODE_FREQ => {
                freq = Some(r.byte().map_err(|e| fail(e, &r))?);
                continue;
            }
            OPCODE_IDLE => {
                idle = Some(r.len().map_err(|e| fail(e, &r))?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let id = r.len().map_err(|e| fail(e, &r))?;
                if id >= dbs.len() as u64 {
                    return Err(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        dbs.len()
                    ));
                }
                db = id as usize;
                continue;
            }
            OPCODE_RESIZEDB => {
                let size = r.len().map_err(|e| fail(e, &r))?;
                let _expires = r.len().map_err(|e| fail(e, &r))?;
                // A hint only: never trust it for more than the file could hold.
                let size = size.min(r.remaining() as u64) as usize;
                dbs[db].dict.expand(size);
                continue;
            }
            OPCODE_AUX => {
                let k = r.string().map_err(|e| fail(e, &r))?;
                let v = r.string().map_err(|e| fail(e, &r))?;
                match &k[..] {
                    b"redis-ver" => log::info!(
                        "Loading RDB produced by version {}",
                        String::from_utf8_lossy(&v)
                    ),
                    b"ctime" => {
                        if let Some(ct) = crate::util::numbers::parse_i64(&v) {
                            let age = clock.now_ms / 1000 - ct;
                            log::info!("RDB age {} seconds", age.max(0));
                        }
                    }
                    b"used-mem" => {
                        if let Some(m) = crate::util::numbers::parse_i64(&v) {
                            log::info!(
                                "RDB memory usage when created {:.2} Mb",
                                m as f64 / (1024.0 * 1024.0)
                            );
                        }
                    }
                    _ => {}
                }
                continue;
            }
            OPCODE_MODULE_AUX => {
                return Err(fail(
                    RdbError::Corrupt(
                        "Unsupported module auxiliary data in RDB: modules are not supported"
                            .into(),
                    ),
                    &r,
                ));
            }
            OPCODE_FUNCTION2 => {
                let code = r.string().map_err(|e| fail(e, &r))?;
                stats.functions.push(code);
                continue;
            }
            OPCODE_FUNCTION => {
                // The 7.0 release candidates' format (name, engine, code).
                return Err(fail(
                    RdbError::Corrupt("Pre-GA function format not supported".into()),
                    &r,
                ));
            }
            _ => {}
        }
        // A key/value pair of type `t`.
        let key = r.string().map_err(|e| fail(e, &r))?;
        let value = match r.object(t, limits) {
            Ok(v) => Some(v),
            Err(RdbError::EmptyKey) => {
                stats.empty_keys_skipped += 1;
                None
            }
            Err(e) => return Err(fail(e, &r)),
        };
        let (exp, fr, id) = (expire.take(), freq.take(), idle.take());
        let Some(value) = value else { continue };
        if !keep_expired && matches!(exp, Some(when) if when < clock.now_ms) {
            stats.keys_expired += 1;
            continue;
        }
        let d = &mut dbs[db];
        if d.dict.contains_key(&key[..]) {
            if !allow_dup {
                return Err(format!(
                    "RDB has duplicated key '{}' in DB {}",
                    String::from_utf8_lossy(&key),
                    db
                ));
            }
            d.delete(&key);
        }
        d.add(Key::from(&key[..]), RObj::new(value, clock.lru_for(fr, id)));
        if let Some(when) = exp {
            d.set_expire(&key, when);
        }
        stats.keys_loaded += 1;
    }
    if ver >= 5 {
        let pos = r.pos;
        let b = r.take(8).map_err(|e| fail(e, &r))?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let expected = u64::from_le_bytes(a);
        if check_crc {
            if expected == 0 {
                log::warn!("RDB file was saved with checksum disabled: no check performed.");
            } else {
                let computed = crc64::crc64(0, &buf[..pos]);
                if computed != expected {
                    // Redis's names: "expected" is what the data hashes
                    // to, "got" what the file says.
                    log::warn!(
                        "Wrong RDB checksum expected: ({:x}) but got ({:x}). Aborting now.",
                        computed,
                        expected
                    );
                    return Err(format!(
                        "Internal error in RDB reading offset {}, function at rdb.c -> RDB CRC error",
                        pos
                    ));
                }
            }
        }
    }
    Ok((stats, r.pos))
}

/// Load the RDB image at the start of an AOF file into the server's
/// databases (the BASE file, or the preamble of an old-style AOF). Returns
/// the offset where the image ends.
pub fn load_aof_preamble(srv: &mut Server, buf: &[u8]) -> std::result::Result<usize, String> {
    load_keeping_expired(srv, buf, false)
}

/// Load the RDB image a master sent for a full resynchronisation
/// (`rdbLoad` with `RDBFLAGS_REPLICATION`). Keys whose TTL passed are kept:
/// on a replica only the master expires keys, and it will send the DELs.
/// Its function libraries replace ours.
pub fn load_replica_image(srv: &mut Server, buf: &[u8]) -> std::result::Result<(), String> {
    load_keeping_expired(srv, buf, true).map(|_| ())
}

/// Load an image into the server's databases, keeping keys whose TTL
/// passed, and install its function libraries (replacing same-named ones
/// with `replace_functions`). Returns the offset where the image ends.
fn load_keeping_expired(
    srv: &mut Server,
    buf: &[u8],
    replace_functions: bool,
) -> std::result::Result<usize, String> {
    srv.cmd_time_ms = crate::server::now_ms();
    let limits = Limits::from_config(&srv.config);
    let clock = LoadClock::for_server(srv);
    let check = srv.config.rdbchecksum;
    let (stats, end) = load_image(buf, &mut srv.dbs, &limits, &clock, false, check, true)?;
    load_functions(srv, &stats.functions, replace_functions)?;
    log::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    Ok(end)
}

/// The save parameters the server's configuration calls for.
pub fn save_info(srv: &Server) -> SaveInfo {
    let now = crate::server::now_ms();
    SaveInfo {
        compress: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        now_s: now / 1000,
        used_mem: crate::alloc::used_memory() as u64,
        lru: srv.config.maxmemory_policy.is_lru(),
        lfu: srv.config.maxmemory_policy.is_lfu(),
        lru_clock: ((now / 1000) as u32) & LRU_CLOCK_MAX,
        now_min: (now / 60000) as u32,
        lfu_decay_time: u64::from(srv.config.lfu_decay_time),
        aof_base: false,
        repl: crate::replication::save_position(srv),
        key_save_delay: srv.config.rdb_key_save_delay,
        functions: srv
            .scripting
            .functions
            .libraries
            .values()
            .map(|l| l.code.clone())
            .collect(),
    }
}

/// Install the function libraries an image carried (`rdbFunctionLoad`):
/// with `replace` (a merging load) an existing library of the same name is
/// replaced, otherwise it is an error, as in Redis.
pub fn load_functions(
    srv: &mut Server,
    codes: &[Vec<u8>],
    replace: bool,
) -> std::result::Result<(), String> {
    for code in codes {
        crate::scripting::functions::load(srv, code, replace).map_err(|e| {
            format!(
                "Failed loading library: {}",
                e.strip_prefix("ERR ").unwrap_or(&e)
            )
        })?;
    }
    Ok(())
}

/// Write the dataset to `dbfilename` in the working directory
/// (`rdbSave`): streamed into `temp-<pid>.rdb`, fsynced, renamed over the
/// old file. On success the dirty counter and LASTSAVE are reset. Errors
/// are logged like Redis and returned.
pub fn save(srv: &mut Server) -> std::result::Result<(), String> {
    let info = save_info(srv);
    if let Err(msg) = write_dump_file(srv, &info, &mut |_| {}) {
        srv.rdb_last_save_ok = false;
        return Err(msg);
    }
    log::info!("DB saved on disk");
    srv.dirty = 0;
    srv.lastsave_s = crate::server::now_ms() / 1000;
    srv.rdb_last_save_ok = true;
    Ok(())
}

/// The file half of `rdbSave`, shared by SAVE and the BGSAVE child (which
/// calls it on its copy-on-write view of the server): the image is
/// streamed to `temp-<pid>.rdb` in the working directory (`dir`, the
/// process's cwd, as in Redis), fsynced, and renamed over `dbfilename`. The
/// rename is atomic, so a reader (or a crash) sees the old file or the new
/// one, never half of one. Errors are logged with Redis's texts.
pub fn write_dump_file(
    srv: &Server,
    info: &SaveInfo,
    progress: &mut dyn FnMut(u64),
) -> std::result::Result<(), String> {
    let tmp = temp_file_name(std::process::id());
    let file = match std::fs::File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            let msg = format!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                tmp,
                srv.config.dir,
                crate::aof::strerror(&e)
            );
            log::warn!("{}", msg);
            return Err(msg);
        }
    };
    let mut sink = AutoSyncFile::new(file, srv.config.rdb_save_incremental_fsync);
    let written = save_rio(&mut sink, &srv.dbs, info, progress).and_then(|()| sink.file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        let msg = format!(
            "Write error saving DB on disk: {}",
            crate::aof::strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    drop(sink);
    if let Err(e) = std::fs::rename(&tmp, &srv.config.dbfilename) {
        let _ = std::fs::remove_file(&tmp);
        let msg = format!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmp,
            srv.config.dbfilename,
            srv.config.dir,
            crate::aof::strerror(&e)
        );
        log::warn!("{}", msg);
        return Err(msg);
    }
    Ok(())
}

/// `temp-<pid>.rdb`: where process `pid` writes a snapshot before the
/// rename (the parent removes a dead child's file by this name).
pub fn temp_file_name(pid: u32) -> String {
    format!("temp-{}.rdb", pid)
}

/// BGSAVE, the save points and scheduled saves (`rdbSaveBackground`):
/// fork a child that writes the snapshot from its copy-on-write view of the
/// dataset while this process keeps serving. Fails (without forking) when
/// another child runs, and when fork() itself fails, which is logged and
/// counts as a failed save (`rdb_last_bgsave_status:err`).
pub fn background_save(srv: &mut Server) -> std::result::Result<(), String> {
    if srv.children.is_active() {
        return Err("another child process is active".into());
    }
    srv.stat_rdb_saves += 1;
    srv.dirty_before_bgsave = srv.dirty;
    srv.lastbgsave_try_s = crate::server::now_ms() / 1000;
    let info = save_info(srv);
    match crate::child::fork(srv, crate::child::ChildKind::Rdb) {
        Ok(crate::child::Forked::Child(mut reporter)) => {
            let ok = write_dump_file(srv, &info, &mut |keys| reporter.progress(keys)).is_ok();
            if ok {
                log::info!("DB saved on disk");
                reporter.finish();
            }
            crate::child::exit_child(if ok { 0 } else { 1 });
        }
        Ok(crate::child::Forked::Parent(pid)) => {
            log::info!("Background saving started by pid {}", pid);
            srv.rdb_bgsave_scheduled = false;
            Ok(())
        }
        Err(e) => {
            srv.rdb_last_save_ok = false;
            let msg = format!(
                "Can't save in background: fork: {}",
                crate::aof::strerror(&e)
            );
            log::warn!("{}", msg);
            Err(msg)
        }
    }
}

/// A snapshot child ended (`backgroundSaveDoneHandlerDisk`). On success the
/// changes made before the fork are saved (the dirty counter keeps the ones
/// made since); a child killed by a signal leaves its temp file behind,
/// which is removed here. SIGUSR1 is how the server stops its own child
/// (FLUSHALL, SHUTDOWN), so it is not an error.
pub fn background_save_done(
    srv: &mut Server,
    pid: libc::pid_t,
    exit: crate::child::ChildExit,
    elapsed_s: i64,
) {
    let target = srv.rdb_target;
    srv.rdb_target = crate::fullsync::RdbTarget::Disk;
    srv.rdb_last_bgsave_time_s = elapsed_s;
    if target == crate::fullsync::RdbTarget::Socket {
        // `backgroundSaveDoneHandlerSocket`: a transfer, not a save.
        if exit.ok() {
            log::info!("Background RDB transfer terminated with success");
        } else if exit.by_signal == 0 {
            log::warn!("Background transfer error");
        } else {
            log::warn!(
                "Background transfer terminated by signal {}",
                exit.by_signal
            );
        }
        crate::fullsync::snapshot_done(srv, exit.ok(), target);
        return;
    }
    if exit.ok() {
        log::info!("Background saving terminated with success");
        srv.dirty = srv.dirty.saturating_sub(srv.dirty_before_bgsave);
        srv.lastsave_s = crate::server::now_ms() / 1000;
        srv.rdb_last_save_ok = true;
    } else if exit.by_signal == 0 {
        log::warn!("Background saving error");
        srv.rdb_last_save_ok = false;
    } else {
        log::warn!("Background saving terminated by signal {}", exit.by_signal);
        let _ = std::fs::remove_file(temp_file_name(pid as u32));
        if exit.by_signal != libc::SIGUSR1 {
            srv.rdb_last_save_ok = false;
        }
    }
    // Replicas may be waiting for this file.
    crate::fullsync::snapshot_done(srv, exit.ok(), target);
}

/// The cron's half of snapshotting (`serverCron`): with no child running,
/// a save point reached (`save <seconds> <changes>`), or a BGSAVE that was
/// scheduled while another child ran (or inside a transaction), starts a
/// background save. After a failure, retries wait 5 seconds
/// (CONFIG_BGSAVE_RETRY_DELAY).
pub fn save_cron(srv: &mut Server) {
    if srv.children.is_active() || srv.loading {
        return;
    }
    let now_s = crate::server::now_ms() / 1000;
    let may_retry = srv.rdb_last_save_ok || now_s - srv.lastbgsave_try_s > 5;
    if !may_retry {
        return;
    }
    let due =
        srv.config.save.iter().find(|sp| {
            srv.dirty >= sp.changes.max(0) as u64 && now_s - srv.lastsave_s > sp.seconds
        });
    if let Some(sp) = due {
        log::info!(
            "{} changes in {} seconds. Saving...",
            sp.changes,
            sp.seconds
        );
        let _ = background_save(srv);
        return;
    }
    if srv.rdb_bgsave_scheduled {
        let _ = background_save(srv);
    }
}

/// Load `dbfilename` into the databases (`rdbLoad`). `Ok(None)` when the
/// file does not exist.
pub fn load(srv: &mut Server, allow_dup: bool) -> std::result::Result<Option<LoadStats>, String> {
    let buf = match std::fs::read(&srv.config.dbfilename) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Fatal error loading the DB: {}. Exiting.", e)),
    };
    srv.cmd_time_ms = crate::server::now_ms();
    let limits = Limits::from_config(&srv.config);
    let clock = LoadClock::for_server(srv);
    let check = srv.config.rdbchecksum;
    let stats = load_from_bytes(&buf, &mut srv.dbs, &limits, &clock, allow_dup, check)?;
    load_functions(srv, &stats.functions, allow_dup)?;
    if stats.empty_keys_skipped > 0 {
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            stats.keys_loaded,
            stats.keys_expired,
            stats.empty_keys_skipped
        );
    } else {
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            stats.keys_loaded,
            stats.keys_expired
        );
    }
    srv.rdb_last_load_keys_loaded = stats.keys_loaded;
    srv.rdb_last_load_keys_expired = stats.keys_expired;
    Ok(Some(stats))
}

/// Start-up loading (`loadDataFromDisk`): a missing file is fine, anything
/// else wrong stops the server.
pub fn load_at_startup(srv: &mut Server) -> std::result::Result<(), String> {
    let start = std::time::Instant::now();
    if load(srv, false)?.is_some() {
        log::info!(
            "DB loaded from disk: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
        srv.lastsave_s = crate::server::now_ms() / 1000;
    }
    srv.dirty = 0;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{RStr, Value};

    fn info() -> SaveInfo {
        SaveInfo {
            compress: true,
            checksum: true,
            now_s: 1_700_000_000,
            used_mem: 1_000_000,
            lru: false,
            lfu: false,
            lru_clock: 0,
            now_min: 0,
            lfu_decay_time: 1,
            aof_base: false,
            functions: Vec::new(),
            repl: None,
            key_save_delay: 0,
        }
    }

    #[test]
    fn streamed_image_equals_the_in_memory_one() {
        // Enough keys (with compressible values) for many drains.
        let mut db = Db::new(0);
        for i in 0..20_000 {
            let v = format!("value-{i}-").repeat(8).into_bytes();
            db.set(
                format!("key:{i}").as_bytes(),
                RObj::string(RStr::raw(v), 0),
                false,
            );
        }
        let dbs = vec![db];
        let mut info = info();
        info.repl = Some(ReplPosition {
            stream_db: 3,
            replid: "a".repeat(40),
            offset: 12345,
        });
        // A sink that accepts a few bytes per write, as a pipe may.
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let n = b.len().min(777);
                self.0.extend_from_slice(&b[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut sink = Trickle(Vec::new());
        let mut reports = Vec::new();
        save_rio(&mut sink, &dbs, &info, &mut |k| reports.push(k)).unwrap();
        assert_eq!(sink.0, save_to_bytes(&dbs, &info));
        assert!(sink.0.len() > 4 * RIO_CHUNK);
        assert_eq!(reports, (1..=19).map(|i| i * 1024).collect::<Vec<u64>>());
        // The checksum covers every chunk: the image loads back.
        let mut back = vec![Db::new(0)];
        load_from_bytes(
            &sink.0,
            &mut back,
            &Limits::default(),
            &clock(),
            false,
            true,
        )
        .unwrap();
        assert_eq!(back[0].dict.len(), 20_000);
        let text = String::from_utf8_lossy(&sink.0[..200]).into_owned();
        assert!(
            text.contains("repl-id") && text.contains("repl-offset"),
            "{text}"
        );
    }

    fn clock() -> LoadClock {
        LoadClock {
            now_ms: 1_700_000_000_000,
            lru_clock: 100,
            now_min: 0,
            lfu: false,
            default_lru: 100,
        }
    }

    fn dbs() -> Vec<Db> {
        let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
        dbs[0].set(b"a", RObj::string(RStr::Int(1), 0), false);
        dbs[0].set(
            b"long",
            RObj::string(RStr::raw(b"xyz".repeat(30)), 0),
            false,
        );
        dbs[0].set_expire(b"long", 1_800_000_000_000);
        dbs[0].set(b"old", RObj::string(RStr::Int(1), 0), false);
        dbs[0].set_expire(b"old", 1_000);
        dbs[3].set(b"b", RObj::string(RStr::Emb(b"v"[..].into()), 0), false);
        dbs
    }

    #[test]
    fn file_round_trip() {
        let img = save_to_bytes(&dbs(), &info());
        assert_eq!(&img[..9], b"REDIS0010");
        let mut out: Vec<Db> = (0..16).map(Db::new).collect();
        let st =
            load_from_bytes(&img, &mut out, &Limits::default(), &clock(), false, true).unwrap();
        assert_eq!(
            st,
            LoadStats {
                functions: Vec::new(),
                keys_loaded: 3,
                keys_expired: 1,
                empty_keys_skipped: 0
            }
        );
        assert_eq!(
            out[0].peek(b"long").map(|o| o.value.clone()),
            Some(Value::Str(RStr::raw(b"xyz".repeat(30))))
        );
        assert_eq!(out[0].get_expire(b"long"), Some(1_800_000_000_000));
        assert!(out[3].peek(b"b").is_some());
        // Loading again into the same dbs: duplicates unless merging.
        assert!(
            load_from_bytes(&img, &mut out, &Limits::default(), &clock(), false, true).is_err()
        );
        assert!(load_from_bytes(&img, &mut out, &Limits::default(), &clock(), true, true).is_ok());
    }

    #[test]
    fn checksum_and_corruption() {
        let img = save_to_bytes(&dbs(), &info());
        let mut bad = img.clone();
        let n = bad.len();
        bad[n - 1] ^= 0x55;
        let mut out: Vec<Db> = (0..16).map(Db::new).collect();
        let e =
            load_from_bytes(&bad, &mut out, &Limits::default(), &clock(), true, true).unwrap_err();
        assert!(e.contains("RDB CRC error"), "{e}");
        // Without checking, the same file loads.
        assert!(load_from_bytes(&bad, &mut out, &Limits::default(), &clock(), true, false).is_ok());
        for i in 0..img.len() {
            let mut out: Vec<Db> = (0..16).map(Db::new).collect();
            assert!(load_from_bytes(
                &img[..i],
                &mut out,
                &Limits::default(),
                &clock(),
                false,
                true
            )
            .is_err());
            let mut c = img.clone();
            c[i] ^= 0xff;
            let mut out: Vec<Db> = (0..16).map(Db::new).collect();
            let _ = load_from_bytes(&c, &mut out, &Limits::default(), &clock(), true, false);
        }
    }

    #[test]
    fn idle_time_sets_lru() {
        let c = clock();
        assert_eq!(c.lru_for(None, Some(30)), 70);
        assert_eq!(c.lru_for(None, Some(130)), LRU_CLOCK_MAX - 30);
        assert_eq!(c.lru_for(None, None), 100);
    }
}
