//! Server state, command execution and the cron (~ Redis's `server.c`).
//!
//! [`Server`] owns everything: the configuration, the databases, the client
//! slab, the command table and the statistics. There is one thread, so there
//! are no locks: the event loop (`event_loop.rs`) calls into the server for
//! every file and time event.
//!
//! # The life of a command
//! `process_input` pulls complete requests out of a client's query buffer
//! (pipelining: every buffered request runs before the next read) and hands
//! each to [`Server::process_command`] (Redis's `processCommand`): lookup,
//! arity, protection, auth. [`Server::call`] (Redis's `call()`) then moves the
//! client's reply buffer into a [`Ctx`], runs the handler, puts the buffer
//! back, updates statistics and propagates the write.
//!
//! # Propagation
//! Every write that changed the dataset (`dirty` went up) is propagated to
//! the replication/AOF stream as Redis would send it: by default the argv as
//! received, or the handler's rewrite (`Ctx::rewrite`) — relative TTLs
//! become absolute `PEXPIREAT`/`PXAT`, INCRBYFLOAT becomes `SET ... KEEPTTL`.
//! Keys removed by lazy or active expiry propagate as `DEL`. The AOF is fed
//! directly (`aof.rs`, like Redis's `propagateNow` calling
//! `feedAppendOnlyFile`), then the replicas and the backlog
//! (`replication.rs`, `replicationFeedSlaves`); tests can listen by
//! implementing [`PropagationSink`]. Nothing propagates while the dataset
//! is being loaded (`Server::loading`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use slab::Slab;

use crate::client::{Client, ReplyMode};
use crate::commands::table::{CmdId, CommandTable, LookupError};
use crate::commands::{self, table};
use crate::config::Config;
use crate::db::{Db, Key};
use crate::resp::parser::ParseLimits;
use crate::resp::reply::ReplyBuf;

pub const REDIS_VERSION: &str = "7.0.15";
pub const FERRODIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The role letter of every log line (Redis's `serverLogRaw`): `C` while
/// the configuration is read (and, later, in forked children), `M` for a
/// master, `S` for a replica. One byte the logger reads on each line.
static LOG_ROLE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(b'C');

/// The `log` target of lines Redis writes from a signal handler
/// (`pid:signal-handler (unixtime) message`).
pub const SIGNAL_HANDLER_LOG: &str = "signal-handler";

/// The role letter for log lines from now on (`C`, `M` or `S`).
pub fn set_log_role(role: u8) {
    LOG_ROLE.store(role, std::sync::atomic::Ordering::Relaxed);
}

/// The role letter of the next log line.
pub fn log_role() -> char {
    LOG_ROLE.load(std::sync::atomic::Ordering::Relaxed) as char
}

/// Wall-clock time in ms since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Wall-clock time in µs since the epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// The execution context of one command: its arguments, the client's reply
/// buffer (moved out of the client for the duration of the call), and what
/// to propagate.
pub struct Ctx {
    pub argv: Vec<Vec<u8>>,
    pub out: ReplyBuf,
    /// Slab key of the calling client.
    pub cid: usize,
    /// Selected database of the calling client.
    pub db: usize,
    /// Command id (for the full name in errors).
    pub cmd: CmdId,
    /// Replacement argv(s) to propagate instead of `argv` (Redis's
    /// `rewriteClientCommandVector` / `alsoPropagate`).
    pub rewrite: Option<Vec<Vec<Vec<u8>>>>,
    /// Propagate even though the dataset did not change (PUBLISH; Redis's
    /// `forceCommandPropagation`).
    pub force_propagate: bool,
    /// Argument positions to show as "(redacted)" to MONITOR (passwords).
    pub redact: Vec<usize>,
    /// The arguments as the client sent them, when a handler replaced
    /// `argv` (GEOADD runs as ZADD): what SLOWLOG shows (`original_argv`).
    pub original_argv: Option<Vec<Vec<u8>>>,
    /// An argument moved out by [`Ctx::take_arg`]: its position and full
    /// length (argv keeps only its first bytes).
    pub trimmed_arg: Option<(usize, usize)>,
    /// Never propagate this command itself (EVAL: its effects are
    /// propagated instead; Redis's `preventCommandPropagation`).
    pub prevent_propagation: bool,
    /// The reply is an error that was already counted where it arose (a
    /// script relaying a command's error): count this command as failed
    /// without counting the error again.
    pub failed_uncounted: bool,
}

impl Ctx {
    /// A context for running command `cmd` with `argv` for client `cid`.
    pub fn new(argv: Vec<Vec<u8>>, out: ReplyBuf, cid: usize, db: usize, cmd: CmdId) -> Ctx {
        Ctx {
            argv,
            out,
            cid,
            db,
            cmd,
            rewrite: None,
            force_propagate: false,
            redact: Vec::new(),
            original_argv: None,
            trimmed_arg: None,
            prevent_propagation: false,
            failed_uncounted: false,
        }
    }

    /// Argument `i` as bytes.
    #[inline]
    pub fn arg(&self, i: usize) -> &[u8] {
        &self.argv[i]
    }

    /// Number of arguments including the command name.
    #[inline]
    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    /// Propagate `argv` instead of what the client sent.
    pub fn rewrite_as(&mut self, argv: Vec<Vec<u8>>) {
        self.rewrite = Some(vec![argv]);
    }

    /// Move argument `i` out of argv (a big value about to be stored,
    /// saving a copy). Its first 128 bytes stay behind and its full length
    /// goes to `trimmed_arg`: all SLOWLOG keeps of an argument anyway.
    pub fn take_arg(&mut self, i: usize) -> Vec<u8> {
        const KEEP: usize = 128;
        let a = &mut self.argv[i];
        let full = std::mem::take(a);
        *a = full[..KEEP.min(full.len())].to_vec();
        self.trimmed_arg = Some((i, full.len()));
        full
    }
}

/// Something that receives the write stream besides the AOF (replicas).
pub trait PropagationSink {
    fn feed(&mut self, db: usize, argv: &[Vec<u8>]);
}

/// Server-wide statistics (INFO stats).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Values UNLINK judged big enough to free in the background
    /// (`lazyfreed_objects`; we free them at once, but count them alike).
    pub lazyfreed_objects: u64,
    pub numcommands: u64,
    /// Reply buffers shrunk / expanded by the clients cron.
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    pub numconnections: u64,
    pub rejected_conn: u64,
    pub expiredkeys: u64,
    pub evictedkeys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used_us: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub errors: std::collections::BTreeMap<String, u64>,
    pub client_qbuf_limit_disconnections: u64,
    pub io_reads_processed: u64,
    pub io_writes_processed: u64,
    /// instantaneous metric samples: (last sample time ms, last counter)
    pub inst_ops: InstMetric,
    pub inst_net_in: InstMetric,
    pub inst_net_out: InstMetric,
}

/// A 16-sample ring for the instantaneous_* INFO fields
/// (Redis's `trackInstantaneousMetric`).
#[derive(Debug, Default, Clone)]
pub struct InstMetric {
    last_time_ms: i64,
    last_value: u64,
    samples: [f64; 16],
    idx: usize,
}

impl InstMetric {
    pub fn track(&mut self, value: u64, now_ms: i64) {
        if self.last_time_ms == 0 {
            self.last_time_ms = now_ms;
            self.last_value = value;
            return;
        }
        let dt = (now_ms - self.last_time_ms).max(1) as f64;
        let dv = value.saturating_sub(self.last_value) as f64;
        self.samples[self.idx] = dv * 1000.0 / dt;
        self.idx = (self.idx + 1) % 16;
        self.last_time_ms = now_ms;
        self.last_value = value;
    }

    pub fn get(&self) -> f64 {
        self.samples.iter().sum::<f64>() / 16.0
    }
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    /// Every connection, keyed by its mio token. Boxed, as Redis mallocs
    /// each `client`: a slab slot is one pointer, so the slab's capacity,
    /// which never shrinks, costs little after a crowd of clients left.
    pub clients: Slab<Box<Client>>,
    pub commands: CommandTable,
    pub stats: Stats,
    /// Changes since the last save (Redis's `dirty`).
    pub dirty: u64,
    /// `dirty` when the running snapshot child was forked: what a
    /// successful background save makes durable.
    pub dirty_before_bgsave: u64,
    /// The forked child, if any, and the fork statistics.
    pub children: crate::child::Children,
    /// Where the running snapshot child writes (`rdb_child_type`).
    pub rdb_target: crate::fullsync::RdbTarget,
    pub next_client_id: u64,
    /// Slab keys of clients to free in `before_sleep`.
    pub clients_to_close: Vec<usize>,
    /// Slab keys of clients with output to write in `before_sleep`.
    pub clients_pending_write: Vec<usize>,
    /// Time snapshot of the command being executed (ms).
    pub cmd_time_ms: i64,
    pub start_time_ms: i64,
    pub start_instant: Instant,
    pub pid: u32,
    pub run_id: String,
    pub executable: String,
    pub config_file: Option<String>,
    /// Actual TCP port bound (differs from config when port 0 is given).
    pub port: u16,
    /// DEBUG SET-ACTIVE-EXPIRE toggles this.
    pub active_expire_enabled: bool,
    pub propagation_sinks: Vec<Box<dyn PropagationSink>>,
    pub shutdown_asap: bool,
    /// Set by SHUTDOWN / signals: exit code to leave with.
    pub exit_code: Option<i32>,
    pub lastsave_s: i64,
    /// The last SAVE succeeded (INFO's `rdb_last_bgsave_status`).
    pub rdb_last_save_ok: bool,
    /// A BGSAVE waits for the cron (asked for inside a transaction).
    pub rdb_bgsave_scheduled: bool,
    /// Where the clients cron's round-robin continues (a slab key).
    pub clients_cron_cursor: usize,
    /// DEBUG REPLYBUFFER: resizing on/off and the peak reset period (ms,
    /// negative: never).
    pub reply_buffer_resizing: bool,
    pub reply_buffer_peak_reset_ms: i64,
    /// When the last background save was attempted (s), for the retry
    /// delay after a failure.
    pub lastbgsave_try_s: i64,
    /// Duration of the last background save (s, -1 before the first).
    pub rdb_last_bgsave_time_s: i64,
    /// SAVEs run (INFO's `rdb_saves`).
    pub stat_rdb_saves: u64,
    /// Keys loaded / skipped as expired by the last RDB load.
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE ignores the CRC.
    pub skip_checksum_validation: bool,
    pub cron_loops: u64,
    /// Fast expire cycle bookkeeping (see expire.rs).
    pub expire_state: crate::expire::ExpireState,
    /// Time the loop last returned from poll (for `DEBUG SLEEP` accounting).
    pub hz: u32,
    pub parse_limits: ParseLimits,
    /// `used_memory` right after start-up (INFO's `used_memory_startup`).
    pub startup_memory: usize,
    /// CLIENT PAUSE state: until when, and whether only writes are paused.
    pub pause: Option<Pause>,
    /// CLIENT UNPAUSE was called: release held commands in `before_sleep`.
    pub pending_unpause: bool,
    /// Last clock reading in µs (start of the next command in a batch).
    pub clock_us: i64,
    /// WATCHed keys of every client (see multi.rs).
    pub watched: crate::multi::WatchMap,
    /// An EXEC is running: propagation is buffered to be wrapped in
    /// MULTI/EXEC.
    pub in_exec: bool,
    pub exec_propagated: Vec<(usize, Vec<Vec<u8>>)>,
    /// Pub/sub: channel -> subscribers, in subscription order.
    pub pubsub_channels: std::collections::HashMap<Vec<u8>, Vec<usize>>,
    /// Sharded pub/sub channels (SSUBSCRIBE).
    pub pubsubshard_channels: std::collections::HashMap<Vec<u8>, Vec<usize>>,
    /// Pattern subscriptions: (pattern, subscribers).
    pub pubsub_patterns: Vec<(Vec<u8>, Vec<usize>)>,
    /// Eviction pool (see evict.rs).
    pub eviction: crate::evict::EvictionState,
    /// Slab keys of MONITOR clients.
    pub monitors: Vec<usize>,
    /// SLOWLOG entries, newest first.
    pub slowlog: crate::slowlog::SlowLog,
    /// Latency monitor events (see latency.rs).
    pub latency: crate::latency::LatencyMonitor,
    /// TCP listeners (owned here so CONFIG SET port/bind can rebind) and a
    /// handle on the poller's registry for that.
    pub listeners: Vec<mio::net::TcpListener>,
    pub registry: Option<mio::Registry>,
    /// Client id -> slab key (CLIENT TRACKING REDIRECT, CLIENT KILL ID...).
    pub client_by_id: std::collections::HashMap<u64, usize>,
    /// Client-side caching state (see tracking.rs).
    pub tracking: crate::tracking::TrackingState,
    /// Nesting of `call` (EXEC runs its commands one level down).
    pub call_depth: u32,
    /// Blocked clients and ready keys (see blocked.rs).
    pub blocking: crate::blocked::BlockingState,
    /// A blocked client's command is being executed again.
    pub reprocessing: bool,
    /// DEBUG PAUSE-CRON: skip the server cron's work (tests use it to
    /// keep the cron from changing state under them).
    pub pause_cron: bool,
    serving_ready: bool,
    /// Lua scripting: the interpreter, the script cache, the running script.
    pub scripting: crate::scripting::Scripting,
    /// The append-only file (see aof.rs).
    pub aof: crate::aof::Aof,
    /// The dataset is being loaded (AOF replay): commands run without
    /// propagation, MONITOR, statistics or expiry (Redis's `loading`).
    pub loading: bool,
    /// Replication: the stream, the backlog, replicas, our master link
    /// (see replication.rs).
    pub repl: crate::replication::ReplState,
    /// MIGRATE's cached connections (see commands/migrate.rs).
    pub migrate: crate::commands::migrate::MigrateCache,
    /// ACL users and the ACL LOG (see acl.rs).
    pub acl: crate::acl::Acl,
}

/// An active CLIENT PAUSE.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    pub end_ms: i64,
    pub writes_only: bool,
}

impl Server {
    pub fn new(config: Config) -> Server {
        let dbs = (0..config.databases).map(Db::new).collect();
        let now = now_ms();
        let hz = config.hz;
        let proto_max_bulk_len = config.proto_max_bulk_len;
        let commands = CommandTable::new(commands::TABLE);
        let mut acl = crate::acl::Acl::new(&commands);
        acl.set_default_password(&commands, config.requirepass.as_deref());
        Server {
            config,
            dbs,
            clients: Slab::new(),
            commands,
            stats: Stats::default(),
            dirty: 0,
            dirty_before_bgsave: 0,
            children: Default::default(),
            rdb_target: crate::fullsync::RdbTarget::Disk,
            next_client_id: 1,
            clients_to_close: Vec::new(),
            clients_pending_write: Vec::new(),
            cmd_time_ms: now,
            start_time_ms: now,
            start_instant: Instant::now(),
            pid: std::process::id(),
            run_id: random_hex(40),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: None,
            port: 0,
            active_expire_enabled: true,
            propagation_sinks: Vec::new(),
            shutdown_asap: false,
            exit_code: None,
            lastsave_s: now / 1000,
            rdb_last_save_ok: true,
            rdb_bgsave_scheduled: false,
            clients_cron_cursor: 0,
            reply_buffer_resizing: true,
            reply_buffer_peak_reset_ms: 5000,
            lastbgsave_try_s: 0,
            rdb_last_bgsave_time_s: -1,
            stat_rdb_saves: 0,
            rdb_last_load_keys_loaded: 0,
            rdb_last_load_keys_expired: 0,
            skip_checksum_validation: false,
            cron_loops: 0,
            expire_state: Default::default(),
            hz,
            parse_limits: ParseLimits {
                proto_max_bulk_len,
                auth_required: false,
            },
            startup_memory: 0,
            pause: None,
            pending_unpause: false,
            clock_us: now_us(),
            watched: Default::default(),
            in_exec: false,
            exec_propagated: Vec::new(),
            pubsub_channels: Default::default(),
            pubsubshard_channels: Default::default(),
            pubsub_patterns: Vec::new(),
            eviction: Default::default(),
            monitors: Vec::new(),
            slowlog: crate::slowlog::SlowLog::default(),
            latency: Default::default(),
            listeners: Vec::new(),
            registry: None,
            client_by_id: Default::default(),
            tracking: Default::default(),
            call_depth: 0,
            blocking: Default::default(),
            reprocessing: false,
            pause_cron: false,
            serving_ready: false,
            scripting: crate::scripting::Scripting::new(),
            aof: Default::default(),
            loading: false,
            repl: crate::replication::ReplState::new(),
            migrate: Default::default(),
            acl,
        }
    }

    /// Redis's LRU clock: seconds, 24 bits.
    pub fn lru_clock(&self) -> u32 {
        ((self.cmd_time_ms / 1000) as u32) & ((1 << 24) - 1)
    }

    /// Access metadata for a newly created object: the LRU clock, or under
    /// an LFU policy the current minute with the initial counter.
    pub fn new_obj_lru(&self) -> u32 {
        if self.config.maxmemory_policy.is_lfu() {
            crate::db::value::lfu_init((self.cmd_time_ms / 60000) as u32)
        } else {
            self.lru_clock()
        }
    }

    /// Re-read configuration values cached in the server after CONFIG SET.
    pub fn apply_config(&mut self) {
        self.hz = self.config.hz.clamp(1, 500);
        self.parse_limits.proto_max_bulk_len = self.config.proto_max_bulk_len;
        crate::alloc::set_background_thread(self.config.jemalloc_bg_thread);
    }

    /// CONFIG RESETSTAT: zero the INFO statistics, command and error
    /// stats, and drop the commands' latency histograms.
    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        for e in self.commands.entries.iter_mut() {
            e.stats = Default::default();
            e.latency_histogram = None;
        }
    }

    /// Register a new client.
    pub fn add_client(&mut self, mut client: Client) -> usize {
        client.id = self.next_client_id;
        self.next_client_id += 1;
        self.stats.numconnections += 1;
        let id = client.id;
        let cid = self.clients.insert(Box::new(client));
        self.client_by_id.insert(id, cid);
        cid
    }

    /// Writes are refused while the data cannot reach the disk
    /// (`writeCommandsDeniedByDiskError`): after a failed background save
    /// with save points and `stop-writes-on-bgsave-error yes`, or while the
    /// AOF cannot be written. The MISCONF error text, if so.
    pub fn write_denied_error(&self) -> Option<String> {
        if self.config.stop_writes_on_bgsave_error
            && !self.config.save.is_empty()
            && !self.rdb_last_save_ok
        {
            return Some("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.".to_string());
        }
        self.aof.write_denied_error()
    }

    /// Take client `cid` out of the slab and out of every table that refers
    /// to it (the bookkeeping half of Redis's `freeClient`): watched keys,
    /// subscriptions, MONITOR, tracking, blocking, replication, the pending
    /// write and close lists. Returns the client, whose socket the caller
    /// deregisters; `None` if there is no such client. Every way a client
    /// goes away (a connection, the AOF loader's client) ends here, so a
    /// freed slab key is never left behind for the next client that gets it.
    pub fn remove_client(&mut self, cid: usize) -> Option<Box<Client>> {
        if !self.clients.contains(cid) {
            return None;
        }
        crate::multi::unwatch_all_keys(self, cid);
        crate::pubsub::unsubscribe_all_silently(self, cid);
        self.monitors.retain(|&m| m != cid);
        crate::tracking::disable(self, cid);
        crate::blocked::unblock(self, cid);
        self.blocking.unblocked.retain(|&x| x != cid);
        crate::replication::client_freed(self, cid);
        let c = self.clients.remove(cid);
        self.client_by_id.remove(&c.id);
        self.clients_pending_write.retain(|&x| x != cid);
        self.clients_to_close.retain(|&x| x != cid);
        Some(c)
    }

    /// Mark a client to be freed in `before_sleep` (Redis's `freeClientAsync`).
    ///
    /// A blocked client stops waiting at once: a key that becomes ready
    /// before the client is reaped must go to a live waiter, not to a
    /// connection nobody reads any more.
    pub fn close_client_async(&mut self, cid: usize) {
        if let Some(c) = self.clients.get_mut(cid) {
            if !c.flags.close_asap {
                c.flags.close_asap = true;
                let blocked = c.blocked.is_some();
                self.clients_to_close.push(cid);
                if blocked {
                    crate::blocked::unblock(self, cid);
                }
            }
        }
    }

    /// The peer closed the connection (a read returned 0). What it sent
    /// before was executed; its replies still go out in this loop turn's
    /// write pass (after the AOF is written), then the client is freed.
    /// Nothing waits for the peer to read them: a peer that stops reading
    /// cannot keep the client alive.
    pub fn client_eof(&mut self, cid: usize) {
        let Some(c) = self.clients.get_mut(cid) else {
            return;
        };
        log::debug!("Client closed connection id={} addr={}", c.id, c.addr);
        c.flags.peer_closed = true;
        if c.reply.is_empty() || c.sock.is_none() || c.flags.master {
            self.close_client_async(cid);
            return;
        }
        c.flags.close_after_reply = true;
        if c.blocked.is_some() {
            crate::blocked::unblock(self, cid);
        }
        self.mark_pending_write(cid);
    }

    /// Bytes of the request being received that count toward
    /// `client-query-buffer-limit`: the query buffer plus the part of a big
    /// argument already read into its own buffer (in Redis both are the
    /// one query buffer).
    pub fn query_buf_len(c: &Client) -> usize {
        c.qb.len() + c.parser.big_arg_filled_len()
    }

    /// Queue a client for the write pass even with nothing in its output
    /// buffer: a replica in its sync has a file or pipe data to send, and
    /// the write pass registers it for WRITABLE if its socket is full.
    pub fn want_writable(&mut self, cid: usize) {
        if let Some(c) = self.clients.get_mut(cid) {
            if !c.flags.pending_write {
                c.flags.pending_write = true;
                self.clients_pending_write.push(cid);
            }
        }
    }

    /// Queue a client for the write pass in `before_sleep`.
    #[inline]
    pub fn mark_pending_write(&mut self, cid: usize) {
        if let Some(c) = self.clients.get_mut(cid) {
            // A replica in its sync may have a file or pipe chunk to send.
            if !c.flags.pending_write && (!c.reply.is_empty() || c.repl.is_some()) {
                c.flags.pending_write = true;
                self.clients_pending_write.push(cid);
            }
        }
    }

    /// Run every complete request buffered by client `cid`
    /// (Redis's `processInputBuffer`).
    pub fn process_input(&mut self, cid: usize) {
        self.clock_us = now_us();
        // Our master's connection: handshake replies and the RDB payload
        // are not commands.
        let is_master = self.clients.get(cid).is_some_and(|c| c.flags.master);
        if is_master && crate::replication::master_input(self, cid) {
            self.mark_pending_write(cid);
            return;
        }
        // A command held back by CLIENT PAUSE runs first, in order.
        if let Some(argv) = self.clients.get_mut(cid).and_then(|c| c.held.take()) {
            if self.must_hold(cid, &argv) {
                self.clients[cid].held = Some(argv);
                return;
            }
            self.process_command(cid, argv);
        }
        loop {
            let mut limits = self.parse_limits;
            let parsed = {
                let c = match self.clients.get_mut(cid) {
                    Some(c) => c,
                    None => return,
                };
                // authRequired: tighter request limits until AUTH succeeds.
                limits.auth_required = !c.flags.authenticated && self.acl.default_needs_auth();
                if c.flags.close_after_reply
                    || c.flags.close_asap
                    || self.shutdown_asap
                    || c.blocked.is_some()
                {
                    break;
                }
                c.parser.parse(&mut c.qb, &limits)
            };
            match parsed {
                Ok(Some(argv)) => {
                    if argv.is_empty() {
                        continue;
                    }
                    if self.must_hold(cid, &argv) {
                        self.clients[cid].held = Some(argv);
                        break;
                    }
                    if is_master {
                        // Applied commands of the stream are proxied to our
                        // own replicas as received.
                        let mut raw = Vec::new();
                        crate::aof::cat_command(&mut raw, &argv);
                        self.process_command(cid, argv);
                        crate::replication::master_command_processed(self, cid, &raw);
                    } else {
                        self.process_command(cid, argv);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let c = &mut self.clients[cid];
                    log::debug!(
                        "Protocol error ({}) from client: id={} addr={} qbuf={:?}",
                        e.log_reason,
                        c.id,
                        c.addr,
                        String::from_utf8_lossy(&c.qb.pending()[..c.qb.len().min(120)])
                    );
                    c.reply.error(&format!("ERR {}", e.reply));
                    c.flags.close_after_reply = true;
                    let errs = std::mem::take(&mut c.reply.errors);
                    self.count_errors(errs);
                    break;
                }
            }
        }
        self.mark_pending_write(cid);
    }

    /// Serve blocked clients whose keys became ready, then run the input
    /// they received while parked (not re-entrantly).
    pub fn serve_blocked(&mut self) {
        if self.serving_ready
            || (self.blocking.ready.is_empty() && self.blocking.unblocked.is_empty())
        {
            return;
        }
        self.serving_ready = true;
        crate::blocked::serve_ready_keys(self);
        crate::blocked::process_unblocked(self);
        self.serving_ready = false;
    }

    /// Enforce `client-output-buffer-limit` for one client (Redis's
    /// `checkClientOutputBufferLimits` + `closeClientOnOutputBufferLimitReached`):
    /// over the hard limit, or over the soft limit for longer than its
    /// seconds, the client is closed and the event logged.
    pub fn check_output_limits(&mut self, cid: usize) {
        let now = self.cmd_time_ms.max(self.clock_us / 1000);
        let c = match self.clients.get_mut(cid) {
            Some(c) => c,
            None => return,
        };
        if c.flags.close_asap || c.sock.is_none() {
            return;
        }
        let class = if c.flags.replica {
            crate::config::ClientClass::Replica
        } else if c.is_subscribed() {
            crate::config::ClientClass::Pubsub
        } else {
            crate::config::ClientClass::Normal
        };
        let lim = &self.config.client_output_buffer_limit[class as usize];
        let used = c.reply.memory() as u64;
        let hard = lim.hard_limit_bytes > 0 && used >= lim.hard_limit_bytes;
        let mut soft = false;
        if lim.soft_limit_bytes > 0 && used >= lim.soft_limit_bytes {
            match c.obuf_soft_limit_since_ms {
                None => c.obuf_soft_limit_since_ms = Some(now),
                Some(since) => soft = now - since > lim.soft_limit_seconds as i64 * 1000,
            }
        } else {
            c.obuf_soft_limit_since_ms = None;
        }
        if hard || soft {
            log::warn!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                c.id,
                c.addr
            );
            c.reply.clear();
            self.close_client_async(cid);
        }
    }

    /// Whether CLIENT PAUSE holds this command back (Redis postpones paused
    /// clients' commands until the pause ends).
    fn must_hold(&self, cid: usize, argv: &[Vec<u8>]) -> bool {
        let p = match self.pause {
            Some(p) => p,
            None => return false,
        };
        if !p.writes_only {
            return true;
        }
        const W: u32 = table::WRITE | table::MAY_REPLICATE;
        match self.commands.lookup(argv) {
            // Rejected anyway (Redis checks arity before pausing): answer now.
            Ok(id) if self.commands.check_arity(id, argv.len()).is_err() => false,
            // EXEC is judged by what it would run.
            Ok(id) if self.commands.entries[id].def.name == "exec" => self
                .clients
                .get(cid)
                .and_then(|c| c.multi.as_ref())
                .is_some_and(|m| {
                    m.commands
                        .iter()
                        .any(|(q, a)| self.command_flags(*q, a) & W != 0)
                }),
            Ok(id) => self.command_flags(id, argv) & W != 0,
            Err(_) => false,
        }
    }

    /// The flags a call really has (Redis's `getCommandFlags`): the table's,
    /// except for scripts, whose shebang flags decide `write`/`denyoom`.
    pub fn command_flags(&self, id: CmdId, argv: &[Vec<u8>]) -> u32 {
        let def = self.commands.entries[id].def;
        match def.name {
            "eval" | "eval_ro" => {
                crate::scripting::eval_command_flags(self, argv, def.flags, false)
            }
            "evalsha" | "evalsha_ro" => {
                crate::scripting::eval_command_flags(self, argv, def.flags, true)
            }
            "fcall" | "fcall_ro" => crate::scripting::fcall_command_flags(self, argv, def.flags),
            _ => def.flags,
        }
    }

    /// End a pause whose time is up, or an explicit CLIENT UNPAUSE, and run
    /// what was held.
    pub fn check_unpause(&mut self, force: bool) {
        match self.pause {
            Some(p) if force || p.end_ms <= now_ms() => {}
            _ => return,
        }
        self.pause = None;
        let ids: Vec<usize> = self
            .clients
            .iter()
            .filter(|(_, c)| c.held.is_some() || !c.qb.is_empty())
            .map(|(k, _)| k)
            .collect();
        for cid in ids {
            self.process_input(cid);
        }
    }

    /// Look a key up for reading: lazy expiry, hit/miss statistics, and the
    /// LRU/LFU access update (Redis's `lookupKeyRead`).
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut crate::db::RObj> {
        self.lookup_touch(db, key, true)
    }

    /// Look a key up for writing: lazy expiry and the LRU/LFU access
    /// update, but no hit/miss statistics (Redis's `lookupKeyWrite`).
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut crate::db::RObj> {
        self.lookup_touch(db, key, false)
    }

    /// The body of Redis's `lookupKey`: expire, count (reads only), touch.
    fn lookup_touch(
        &mut self,
        db: usize,
        key: &[u8],
        count_stats: bool,
    ) -> Option<&mut crate::db::RObj> {
        let now = self.cmd_time_ms;
        let lru = self.lru_clock();
        let lfu = self.config.maxmemory_policy.is_lfu();
        let log_factor = u64::from(self.config.lfu_log_factor);
        let decay = u64::from(self.config.lfu_decay_time);
        let Server { dbs, stats, .. } = self;
        match dbs[db].lookup(key, now) {
            Some(o) => {
                if count_stats {
                    stats.keyspace_hits += 1;
                }
                if lfu {
                    o.lru =
                        crate::db::value::lfu_touch(o.lru, (now / 60000) as u32, log_factor, decay);
                } else {
                    o.lru = lru;
                }
                Some(o)
            }
            None => {
                if count_stats {
                    stats.keyspace_misses += 1;
                }
                None
            }
        }
    }

    /// Look a key up without touching its access time or the hit/miss
    /// statistics (LOOKUP_NOTOUCH | LOOKUP_NOSTATS), still expiring it.
    pub fn lookup_read_notouch(&mut self, db: usize, key: &[u8]) -> Option<&mut crate::db::RObj> {
        let now = self.cmd_time_ms;
        self.dbs[db].lookup(key, now)
    }

    /// Emit a keyspace notification (Redis's `notifyKeyspaceEvent`); a no-op
    /// unless `notify-keyspace-events` enables `class`.
    #[inline]
    pub fn notify(&mut self, ctx: &mut Ctx, class: u32, event: &str, key: &[u8], db: usize) {
        if self.config.notify_keyspace_events & class != 0 {
            crate::pubsub::notify_keyspace_event(
                self,
                Some((ctx.cid, &mut ctx.out)),
                class,
                event,
                key,
                db,
            );
        }
    }

    /// [`Server::notify`] for handlers that split their `Ctx` apart: the
    /// calling client's id and reply buffer are passed directly.
    #[inline]
    pub fn notify_out(
        &mut self,
        cid: usize,
        out: &mut ReplyBuf,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
    ) {
        if self.config.notify_keyspace_events & class != 0 {
            crate::pubsub::notify_keyspace_event(self, Some((cid, out)), class, event, key, db);
        }
    }

    /// A key was modified (Redis's `signalModifiedKey`): the hook for WATCH
    /// and client-side caching invalidation.
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        crate::multi::touch_watched_key(self, db, key);
        crate::tracking::invalidate_key(self, key, true, true);
        crate::blocked::signal_key_as_ready(self, db, key);
    }

    /// A key was removed without a client asking (expiry, eviction): like
    /// `signal_modified_key` with no current client.
    pub fn signal_deleted_by_server(&mut self, db: usize, key: &[u8]) {
        crate::multi::touch_watched_key(self, db, key);
        crate::tracking::invalidate_key(self, key, true, false);
    }

    /// A database (or all, with `None`) is about to be flushed (Redis's
    /// `signalFlushedDb`): call before the data goes.
    pub fn signal_flushed_db(&mut self, db: Option<usize>) {
        crate::tracking::invalidate_on_flush(self);
        match db {
            Some(d) => {
                crate::multi::touch_all_watched_keys_in_db(self, d, None);
                crate::blocked::scan_database_for_deleted_streams(self, d, None);
            }
            None => {
                for d in 0..self.dbs.len() {
                    crate::multi::touch_all_watched_keys_in_db(self, d, None);
                    crate::blocked::scan_database_for_deleted_streams(self, d, None);
                }
            }
        }
    }

    /// Whether small integers may be shared objects (OBJECT REFCOUNT shows
    /// them as such): not when an LRU/LFU maxmemory policy needs per-object
    /// access times.
    pub fn shared_integers_allowed(&self) -> bool {
        let p = &self.config.maxmemory_policy;
        self.config.maxmemory == 0 || !(p.is_lru() || p.is_lfu())
    }

    pub(crate) fn count_errors(&mut self, errs: Vec<String>) {
        for code in errs {
            self.stats.total_error_replies += 1;
            *self.stats.errors.entry(code).or_insert(0) += 1;
        }
    }

    /// Reply with an error before execution (Redis's `rejectCommand`).
    fn reject(&mut self, cid: usize, cmd: Option<CmdId>, msg: &str, argv: &[Vec<u8>]) {
        crate::multi::flag_transaction(self, cid);
        let mut msg = msg.to_string();
        if let Some(id) = cmd {
            self.commands.entries[id].stats.rejected_calls += 1;
            // A rejected EXEC aborts the transaction (execCommandAbort).
            if self.commands.entries[id].def.name == "exec" && crate::multi::in_multi(self, cid) {
                crate::multi::discard_transaction(self, cid);
                let reason = msg.strip_prefix("ERR ").unwrap_or(&msg).to_string();
                let reason = reason.strip_prefix('-').unwrap_or(&reason).to_string();
                msg = format!("EXECABORT Transaction discarded because of: {}", reason);
                // MONITOR sees the EXEC that closes the aborted transaction.
                if !self.monitors.is_empty() {
                    let db = self.clients[cid].db;
                    let t = now_us();
                    self.feed_monitors(cid, db, argv, &[], t);
                }
            }
        }
        let c = &mut self.clients[cid];
        c.reply.error(&msg);
        let errs = std::mem::take(&mut c.reply.errors);
        self.count_errors(errs);
    }

    /// Whether command `id` from client `cid` writes: a write command, or an
    /// EXEC whose queue holds one (`is_write_command` in processCommand).
    fn is_write_request(&self, cid: usize, id: CmdId, argv: &[Vec<u8>]) -> bool {
        let def = &self.commands.entries[id].def;
        if def.name == "exec" {
            self.clients[cid].multi.as_ref().is_some_and(|m| {
                m.commands
                    .iter()
                    .any(|(q, a)| self.command_flags(*q, a) & table::WRITE != 0)
            })
        } else {
            // A script without `no-writes` counts as a write.
            self.command_flags(id, argv) & table::WRITE != 0
        }
    }

    /// Whether `min-replicas-to-write` refuses writes now
    /// (`!checkGoodReplicasStatus`): no replica can connect yet, so any
    /// non-zero setting with a non-zero max lag does.
    pub fn lacks_good_replicas(&self) -> bool {
        !self.repl.is_replica()
            && self.config.min_replicas_to_write > 0
            && self.config.min_replicas_max_lag > 0
            && (self.repl.good_replicas as u32) < self.config.min_replicas_to_write
    }

    /// Redis's `processCommand`: checks that do not depend on the command's
    /// semantics, then `call()`.
    pub fn process_command(&mut self, cid: usize, argv: Vec<Vec<u8>>) {
        // Clients usually repeat the same command: a one-entry cache of the
        // last name they sent (exact bytes) skips the table lookup.
        let cached = match &self.clients[cid].last_lookup {
            Some((name, id)) if *name == argv[0] => Some(*id),
            _ => None,
        };
        let id = match cached {
            Some(id) => id,
            None => match self.commands.lookup(&argv) {
                Ok(id) => {
                    // Only plain commands: containers resolve argv[1] too.
                    if self.commands.entries[id].def.subcommands.is_empty()
                        && self.commands.entries[id].parent.is_none()
                    {
                        self.clients[cid].last_lookup = Some((argv[0].clone(), id));
                    }
                    id
                }
                Err(LookupError::Unknown(msg)) => {
                    self.reject(cid, None, &msg, &argv);
                    return;
                }
            },
        };
        if let Err(msg) = self.commands.check_arity(id, argv.len()) {
            self.reject(cid, Some(id), &msg, &argv);
            return;
        }
        let def = self.commands.entries[id].def;
        if def.flags & table::PROTECTED != 0 && def.name == "debug" {
            let allowed = crate::config::allow_protected_action(
                self.config.enable_debug_command,
                self.clients[cid].flags.local,
            );
            if !allowed {
                self.reject(cid, Some(id), "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.", &argv);
                return;
            }
        }
        // authRequired: the default user has a password (or is off) and
        // this connection has not authenticated.
        if !self.clients[cid].flags.authenticated
            && def.flags & table::NO_AUTH == 0
            && self.acl.default_needs_auth()
        {
            self.reject(cid, Some(id), "NOAUTH Authentication required.", &argv);
            return;
        }
        // ACLCheckAllPerm: the command, its keys and its channels must be
        // allowed to the connection's user.
        if let Err(d) = crate::commands::acl_cmd::check_all_perm(self, cid, id, &argv) {
            // The log's client description names the refused command.
            self.clients[cid].last_cmd = Some(id);
            let context = if crate::multi::in_multi(self, cid) {
                crate::acl::LogContext::Multi
            } else {
                crate::acl::LogContext::Toplevel
            };
            crate::commands::acl_cmd::log_denied(self, cid, d, context, id, &argv);
            let msg = crate::commands::acl_cmd::noperm_error(self, d, id);
            self.reject(cid, Some(id), &msg, &argv);
            return;
        }
        if self.tracking.clients > 0 {
            crate::tracking::limit_used_slots(self);
        }
        // maxmemory: refuse commands that may grow memory once over the
        // limit (Redis's OOM check in processCommand; key eviction will
        // make room first once eviction policies are implemented). EXEC is
        // judged by the commands it queued.
        if self.config.maxmemory > 0
            && !(self.repl.is_replica() && self.config.replica_ignore_maxmemory)
            && crate::alloc::used_memory() as u64 > self.config.maxmemory
            && crate::evict::perform_evictions(self) == crate::evict::EvictResult::Fail
        {
            let denyoom = if def.name == "exec" {
                self.clients[cid].multi.as_ref().is_some_and(|m| {
                    m.commands
                        .iter()
                        .any(|(q, a)| self.command_flags(*q, a) & table::DENYOOM != 0)
                })
            } else {
                self.command_flags(id, &argv) & table::DENYOOM != 0
            };
            if denyoom {
                self.reject(
                    cid,
                    Some(id),
                    "OOM command not allowed when used memory > 'maxmemory'.",
                    &argv,
                );
                return;
            }
        }
        // min-replicas-to-write: a master without enough good replicas
        // refuses writes (checkGoodReplicasStatus). EXEC counts as a write
        // if it queued one, a script unless it declared `no-writes`.
        // The AOF cannot be written: refuse writes (and PING, as Redis
        // does) until it can (writeCommandsDeniedByDiskError).
        let obey = self.clients[cid].flags.master;
        if let Some(msg) = self.write_denied_error().filter(|_| !obey) {
            if def.name == "ping" || self.is_write_request(cid, id, &argv) {
                self.reject(cid, Some(id), &msg, &argv);
                return;
            }
        }
        if self.lacks_good_replicas() && self.is_write_request(cid, id, &argv) {
            self.reject(
                cid,
                Some(id),
                "NOREPLICAS Not enough good replicas to write.",
                &argv,
            );
            return;
        }
        // A read-only replica takes writes from its master only.
        if self.repl.is_replica()
            && self.config.replica_read_only
            && !obey
            && self.is_write_request(cid, id, &argv)
        {
            self.reject(
                cid,
                Some(id),
                "READONLY You can't write against a read only replica.",
                &argv,
            );
            return;
        }
        {
            let c = &self.clients[cid];
            if c.resp == 2
                && c.is_subscribed()
                && !crate::pubsub::allowed_in_resp2_subscribed(def.name)
            {
                let msg = format!(
                    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    self.commands.entries[id].fullname
                );
                self.reject(cid, Some(id), &msg, &argv);
                return;
            }
        }
        // A replica whose master link is down serves only commands flagged
        // `stale` when replica-serve-stale-data is off. EXEC is judged by
        // what it queued.
        if !self.config.replica_serve_stale_data && self.repl.link_down() {
            let deny = if def.name == "exec" {
                self.clients[cid].multi.as_ref().is_some_and(|m| {
                    m.commands
                        .iter()
                        .any(|(q, a)| self.command_flags(*q, a) & table::STALE == 0)
                })
            } else {
                def.flags & table::STALE == 0
            };
            if deny {
                self.reject(
                    cid,
                    Some(id),
                    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
                    &argv,
                );
                return;
            }
        }
        if self.busy_script_rejects(cid, def.flags, &argv) {
            let msg = self.busy_error();
            self.reject(cid, Some(id), msg, &argv);
            return;
        }
        if crate::multi::in_multi(self, cid)
            && !matches!(
                def.name,
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            )
        {
            if def.flags & table::NO_MULTI != 0 {
                self.reject(
                    cid,
                    Some(id),
                    "ERR Command not allowed inside a transaction",
                    &argv,
                );
                return;
            }
            crate::multi::queue_command(self, cid, id, argv);
            return;
        }
        self.call(cid, id, argv);
    }

    /// Redis's `call()`: execute one command for client `cid`.
    pub fn call(&mut self, cid: usize, id: CmdId, argv: Vec<Vec<u8>>) {
        let def = self.commands.entries[id].def;
        let (out, db, silenced) = {
            let c = &mut self.clients[cid];
            c.argv_mem = argv.iter().map(|a| a.len()).sum();
            // Like Redis, `cmd=` in CLIENT LIST names the running command.
            c.last_cmd = Some(id);
            // CLIENT REPLY OFF/SKIP: the handler writes into a scratch
            // buffer that is dropped afterwards.
            let silenced = matches!(c.reply_mode, ReplyMode::Off | ReplyMode::Skip);
            let mut out = std::mem::take(&mut c.reply);
            out.suppress = silenced;
            out.resp = c.resp;
            (out, c.db, silenced)
        };
        // Keep the original argv for propagation only when someone listens.
        let want_prop =
            def.flags & (table::WRITE | table::MAY_REPLICATE) != 0 && self.propagation_wanted();
        let want_monitor = !self.monitors.is_empty()
            && !self.reprocessing
            && !self.loading
            && def.flags & (table::SKIP_MONITOR | table::ADMIN) == 0;
        let orig = if want_prop || want_monitor {
            Some(argv.clone())
        } else {
            None
        };
        // Client-side caching: a tracking client's read-only command
        // remembers the keys it reads (computed before the handler, which
        // may consume its arguments).
        // A command run by a script acts for the script's caller (Redis's
        // `server.script_caller`) as far as tracking is concerned.
        let tracker = self.tracking_client(cid);
        let track_keys = {
            let tr = &self.clients[tracker].tracking;
            // Read-only scripts are not tracked themselves, only the reads
            // they run (Redis skips EVAL_RO, EVALSHA_RO and FCALL_RO here).
            if tr.on
                && !tr.bcast
                && def.flags & table::READONLY != 0
                && def.flags & table::PUBSUB == 0
                && !matches!(def.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
            {
                if tracker != cid {
                    // A read inside a script tracks the keys the script
                    // declared (Redis remembers the caller's EVAL keys).
                    self.scripting.run.as_ref().map(|r| r.keys.clone())
                } else {
                    let idx = self.commands.keys_of(id, &argv);
                    Some(idx.into_iter().map(|i| argv[i].clone()).collect::<Vec<_>>())
                }
            } else {
                None
            }
        };
        // A replica hides expired keys from its clients and shows them to
        // its master (see replication.rs).
        // While clients are paused nothing is deleted either, expired keys
        // only look absent (a paused server must not change the dataset).
        {
            use crate::db::ReplicaExpiry;
            let view = if self.repl.is_replica() {
                if self.clients[cid].flags.master {
                    ReplicaExpiry::Master
                } else if def.flags & table::WRITE != 0 {
                    // A write on a writable replica (replica-read-only no)
                    // deletes the expired keys it touches, as Redis's
                    // lookupKeyWrite does there.
                    ReplicaExpiry::Normal
                } else {
                    ReplicaExpiry::Hide
                }
            } else if self.pause.is_some() {
                ReplicaExpiry::Hide
            } else {
                ReplicaExpiry::Normal
            };
            if self.dbs.first().is_some_and(|d| d.replica_expiry != view) {
                for db in self.dbs.iter_mut() {
                    db.replica_expiry = view;
                }
            }
        }
        let repl_off_before = self.repl.master_repl_offset;
        let prev_current = self.tracking.current.replace(tracker);
        self.call_depth += 1;
        let mut ctx = Ctx::new(argv, out, cid, db, id);
        let dirty_before = self.dirty;
        // One clock read per command: the end of the previous command in
        // this batch is the start of this one (refreshed per batch in
        // `process_input`).
        let start_us = self.clock_us;
        // A script's commands all see the time the script started (Redis's
        // scriptTimeSnapshot), so a key cannot expire half-way through it.
        self.cmd_time_ms = match (&self.scripting.run, self.scripting.client) {
            (Some(run), Some(sc)) if sc == cid => run.snapshot_ms,
            _ => start_us / 1000,
        };
        let errors_before = ctx.out.errors.len();
        let handler = def.handler;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handler(self, &mut ctx);
        }));
        if result.is_err() {
            log::warn!(
                "BUG: command '{}' panicked; the reply was replaced by an error",
                self.commands.entries[id].fullname
            );
            ctx.out
                .error("ERR internal error while executing the command");
        }
        self.call_depth -= 1;
        self.tracking.current = prev_current;
        if let Some(keys) = track_keys {
            if self.clients.contains(tracker) {
                crate::tracking::remember_keys(self, tracker, &keys);
            }
        }
        let end_us = now_us();
        self.clock_us = end_us;
        let usec = (end_us - start_us).max(0) as u64;
        let failed = ctx.out.errors.len() > errors_before || ctx.failed_uncounted;
        // A command that blocked is counted when it is finally served
        // (Redis counts blocked commands on unblock).
        let blocked_now = self.clients.get(cid).is_some_and(|c| c.blocked.is_some());
        if !blocked_now && !self.loading {
            let e = &mut self.commands.entries[id];
            e.stats.calls += 1;
            e.stats.usec += usec;
            if failed {
                e.stats.failed_calls += 1;
            }
            if self.config.latency_tracking {
                crate::latency::record_command(self, id, usec);
            }
        }
        self.stats.numcommands += 1;
        // The latency monitor sees every execution, blocking or not.
        let event = if def.flags & table::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        crate::latency::add_sample_if_needed(self, event, usec / 1000);
        // The slow log: a blocked command is logged once it is served.
        if !blocked_now
            && !self.loading
            && self.config.slowlog_log_slower_than >= 0
            && usec >= self.config.slowlog_log_slower_than as u64
            && self.commands.entries[id].def.flags & table::SKIP_SLOWLOG == 0
        {
            // As the client sent it: handlers such as GEOADD replace argv.
            let argv = ctx.original_argv.as_deref().unwrap_or(&ctx.argv);
            crate::slowlog::push(self, cid, argv, &ctx.redact, ctx.trimmed_arg, usec);
        }
        let errs = std::mem::take(&mut ctx.out.errors);
        self.count_errors(errs);

        // Lazy-expired keys seen during the command propagate as DEL first.
        self.drain_lazy_expired();
        if let (true, Some(orig)) = (want_monitor, &orig) {
            let db_now = self.clients.get(cid).map_or(ctx.db, |_| ctx.db);
            self.feed_monitors(cid, db_now, orig, &ctx.redact, start_us);
        }
        if let (true, Some(orig)) = (want_prop && !ctx.prevent_propagation, orig) {
            if self.dirty > dirty_before || ctx.force_propagate {
                match ctx.rewrite.take() {
                    Some(list) => {
                        for a in list {
                            self.propagate(ctx.db, &a);
                        }
                    }
                    None => self.propagate(ctx.db, &orig),
                }
            }
        }

        if let Some(c) = self.clients.get_mut(cid) {
            // WAIT waits for the stream up to this client's last write.
            if self.repl.master_repl_offset != repl_off_before {
                c.woff = self.repl.master_repl_offset;
            }
            // Our master is never answered, not even outside `call()`
            // (+QUEUED, rejections); see replication.rs.
            ctx.out.suppress = c.flags.master;
            // The handler may have appended to the client's buffer
            // directly (it was empty); keep order: ctx output first.
            if !c.reply.is_empty() {
                let mut later = std::mem::take(&mut c.reply);
                ctx.out.append(&mut later);
            }
            c.reply = ctx.out;
            c.reply_mode = match c.reply_mode {
                ReplyMode::Skip if silenced => ReplyMode::On,
                ReplyMode::SkipNext => ReplyMode::Skip,
                m => m,
            };
            c.db = ctx.db;
            c.argv_mem = 0;
            // Big replies count against client-output-buffer-limit too.
            if c.reply.pending() > crate::resp::reply::REPLY_CHUNK_BYTES {
                self.check_output_limits(cid);
            }
        }
        if self.call_depth == 0 {
            // CLIENT CACHING applies to the next command only (or the next
            // transaction); then the held self-invalidations go out.
            if self.clients.get(cid).is_some_and(|c| c.tracking.caching) {
                let e = &self.commands.entries[id];
                let is_client_cmd = e
                    .parent
                    .map_or(e.def.name, |p| self.commands.entries[p].def.name)
                    == "client";
                if let Some(c) = self.clients.get_mut(cid) {
                    if c.multi.is_none() && !is_client_cmd {
                        c.tracking.caching = false;
                    }
                }
            }
            crate::tracking::handle_pending(self, cid);
            // Serve clients blocked on keys this command made ready.
            self.serve_blocked();
        }
    }

    /// The client a command's key reads and writes are attributed to for
    /// client-side caching: the script's caller for the script client.
    fn tracking_client(&self, cid: usize) -> usize {
        match (&self.scripting.run, self.scripting.client) {
            (Some(run), Some(sc)) if sc == cid && self.clients.contains(run.caller) => run.caller,
            _ => cid,
        }
    }

    /// Show an executed command to MONITOR clients (Redis's
    /// `replicationFeedMonitors`): `+<sec>.<usec> [<db> <addr>] "arg" ...`.
    pub fn feed_monitors(
        &mut self,
        cid: usize,
        db: usize,
        argv: &[Vec<u8>],
        redact: &[usize],
        time_us: i64,
    ) {
        let addr = self
            .clients
            .get(cid)
            .map(|c| c.addr.clone())
            .unwrap_or_default();
        let mut line = format!(
            "{}.{:06} [{} {}]",
            time_us / 1_000_000,
            time_us % 1_000_000,
            db,
            addr
        );
        for (i, a) in argv.iter().enumerate() {
            line.push(' ');
            if redact.contains(&i) {
                line.push_str("\"(redacted)\"");
            } else {
                line.push_str(&crate::config::repr_bytes(a));
            }
        }
        let monitors = self.monitors.clone();
        for m in monitors {
            if let Some(c) = self.clients.get_mut(m) {
                c.reply.resp = c.resp;
                c.reply.begin_push();
                c.reply.status(&line);
                c.reply.end_push();
                self.mark_pending_write(m);
                self.check_output_limits(m);
            }
        }
    }

    /// Whether propagated commands go anywhere: the AOF is on or a sink
    /// listens, and no dataset is being loaded.
    #[inline]
    pub fn propagation_wanted(&self) -> bool {
        !self.loading
            && (self.aof.is_logging() || self.repl.feeding() || !self.propagation_sinks.is_empty())
    }

    /// Send a command to the AOF and every propagation sink (Redis's
    /// `propagateNow`: `feedAppendOnlyFile` + `replicationFeedSlaves`).
    pub fn propagate(&mut self, db: usize, argv: &[Vec<u8>]) {
        if !self.propagation_wanted() {
            return;
        }
        // redis.set_repl(redis.REPL_NONE) inside a script.
        if self
            .scripting
            .run
            .as_ref()
            .is_some_and(|r| r.repl == crate::scripting::REPL_NONE)
        {
            return;
        }
        if self.in_exec {
            self.exec_propagated.push((db, argv.to_vec()));
            return;
        }
        if self.aof.is_logging() {
            let ts = self.config.aof_timestamp_enabled;
            self.aof.feed(db, argv, ts, self.cmd_time_ms / 1000);
        }
        crate::replication::feed_replicas(self, db, argv);
        for s in self.propagation_sinks.iter_mut() {
            s.feed(db, argv);
        }
    }

    /// Account and propagate keys that lazy expiry removed.
    pub fn drain_lazy_expired(&mut self) {
        for i in 0..self.dbs.len() {
            if self.dbs[i].lazy_expired.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut self.dbs[i].lazy_expired);
            let del_ms = std::mem::take(&mut self.dbs[i].lazy_expire_del_ms);
            crate::latency::add_sample_if_needed(self, "expire-del", del_ms);
            for k in keys {
                self.key_expired(i, k);
            }
        }
    }

    /// A key was removed because its TTL passed (lazily or actively).
    /// Takes the key by value: callers hand over keys they just removed.
    #[allow(clippy::boxed_local)]
    pub fn key_expired(&mut self, db: usize, key: Key) {
        self.stats.expiredkeys += 1;
        if self.config.notify_keyspace_events & crate::config::NOTIFY_EXPIRED != 0 {
            crate::pubsub::notify_keyspace_event(
                self,
                None,
                crate::config::NOTIFY_EXPIRED,
                "expired",
                &key,
                db,
            );
        }
        self.signal_deleted_by_server(db, &key);
        if self.propagation_wanted() {
            self.propagate(db, &[b"DEL".to_vec(), key.to_vec()]);
        }
    }

    /// Seconds since start.
    pub fn uptime_s(&self) -> u64 {
        self.start_instant.elapsed().as_secs()
    }

    /// Server cron, called `hz` times per second (Redis's `serverCron`).
    pub fn cron(&mut self) {
        if self.pause_cron {
            return;
        }
        let now = now_ms();
        self.cron_loops += 1;
        // Instantaneous metrics every 100 ms.
        if self.cron_loops.is_multiple_of((self.hz as u64 / 10).max(1)) {
            let ops = self.stats.numcommands;
            let nin = self.stats.net_input_bytes;
            let nout = self.stats.net_output_bytes;
            self.stats.inst_ops.track(ops, now);
            self.stats.inst_net_in.track(nin, now);
            self.stats.inst_net_out.track(nout, now);
        }
        self.check_unpause(false);
        if self.tracking.clients > 0 {
            crate::tracking::limit_used_slots(self);
        }
        // Keep evicting in the background when a previous pass ran out of
        // time (Redis's evictionTimeProc).
        if self.config.maxmemory > 0 {
            crate::evict::perform_evictions(self);
        }
        self.clients_cron(now);
        self.databases_cron(now);
        // A background child that ended is collected first, so the jobs
        // below see the server free to fork again (`checkChildrenDone`).
        if self.children.is_active() {
            crate::child::receive_child_info(self);
            crate::child::check_children_done(self);
        }
        crate::aof::cron(self);
        crate::rdb::file::save_cron(self);
        crate::replication::cron(self);
        self.migrate.close_timed_out(now);
    }

    /// Idle timeouts and query buffer shrinking (Redis's `clientsCron`).
    fn clients_cron(&mut self, now: i64) {
        let timeout_ms = self.config.timeout as i64 * 1000;
        let mut idle = Vec::new();
        for (cid, c) in self.clients.iter_mut() {
            if timeout_ms > 0
                && now - c.last_interaction_ms > timeout_ms
                && c.sock.is_some()
                && !c.flags.replica
                && !c.flags.master
            {
                idle.push(cid);
            }
        }
        // Query buffer resizing visits each client about once a second:
        // n/hz clients per call, at least 5 (all of them when fewer), in
        // slab order from where the last call stopped (Redis's
        // clientsCron iteration).
        let n = self.clients.len();
        let mut iterations = n / self.hz.max(1) as usize;
        if iterations < 5 {
            iterations = n.min(5);
        }
        let keys: Vec<usize> = self
            .clients
            .iter()
            .map(|(k, _)| k)
            .filter(|&k| k >= self.clients_cron_cursor)
            .chain(
                self.clients
                    .iter()
                    .map(|(k, _)| k)
                    .filter(|&k| k < self.clients_cron_cursor),
            )
            .take(iterations)
            .collect();
        for &k in &keys {
            let c = &mut self.clients[k];
            if !c.parser.in_progress() {
                c.qb.cron_resize((now - c.last_interaction_ms) / 1000);
            }
            if self.reply_buffer_resizing {
                match c.reply.cron_resize(now, self.reply_buffer_peak_reset_ms) {
                    Some(true) => self.stats.reply_buffer_shrinks += 1,
                    Some(false) => self.stats.reply_buffer_expands += 1,
                    None => {}
                }
            }
        }
        self.clients_cron_cursor = keys.last().map_or(0, |&k| k + 1);
        for cid in idle {
            log::debug!("Closing idle client");
            self.close_client_async(cid);
        }
    }

    /// Active expiry (slow cycle) and dict resizing/rehashing
    /// (Redis's `databasesCron`).
    fn databases_cron(&mut self, _now: i64) {
        // Only masters expire keys actively; a replica waits for the DELs.
        if self.active_expire_enabled && !self.repl.is_replica() {
            crate::expire::active_expire_cycle(self, crate::expire::CycleType::Slow);
        }
        // While a child runs, a rehash would make the kernel copy every
        // bucket page it touches: tables are left alone.
        if self.children.is_active() {
            return;
        }
        for db in self.dbs.iter_mut() {
            db.dict.resize_if_needed();
            db.expires.resize_if_needed();
        }
        if self.config.activerehashing {
            let budget = std::time::Duration::from_micros(1000);
            for db in self.dbs.iter_mut() {
                if db.dict.is_rehashing() {
                    db.dict.rehash_for(budget);
                    break;
                }
                if db.expires.is_rehashing() {
                    db.expires.rehash_for(budget);
                    break;
                }
            }
        }
    }
}

/// A random hex string (run_id).
pub fn random_hex(len: usize) -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut s = String::with_capacity(len);
    let mut i = 0u64;
    while s.len() < len {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(now_us() as u128);
        s.push_str(&format!("{:016x}", h.finish()));
        i += 1;
    }
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What a recorder saw: (db, argv as text) per propagated command.
    type Log = Rc<RefCell<Vec<(usize, Vec<String>)>>>;

    /// A sink that records what would reach replicas and the AOF.
    struct Recorder(Log);

    impl PropagationSink for Recorder {
        fn feed(&mut self, db: usize, argv: &[Vec<u8>]) {
            let v = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            self.0.borrow_mut().push((db, v));
        }
    }

    fn setup() -> (Server, usize, Log) {
        let mut srv = Server::new(Config::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        srv.propagation_sinks.push(Box::new(Recorder(log.clone())));
        let mut c = Client::new(0, None, now_ms());
        c.flags.authenticated = true;
        let cid = srv.add_client(c);
        (srv, cid, log)
    }

    /// Feed one inline command through the query buffer, as the event loop
    /// does after a read, and return the reply bytes.
    fn run(srv: &mut Server, cid: usize, line: &str) -> Vec<u8> {
        srv.clients[cid].reply.clear();
        srv.clients[cid]
            .qb
            .extend(format!("{}\r\n", line).as_bytes());
        srv.process_input(cid);
        srv.clients[cid].reply.contents()
    }

    #[test]
    fn writes_propagate_with_absolute_times() {
        let (mut srv, cid, log) = setup();
        run(&mut srv, cid, "SET a 1");
        run(&mut srv, cid, "GET a");
        run(&mut srv, cid, "SET b 2 EX 100");
        run(&mut srv, cid, "EXPIRE a 50");
        run(&mut srv, cid, "SET f 1.5");
        run(&mut srv, cid, "INCRBYFLOAT f 1");
        run(&mut srv, cid, "SET nx 1 NX GET");
        run(&mut srv, cid, "SETNX a 3");
        let log = log.borrow();
        assert_eq!(log[0].1, vec!["SET", "a", "1"]);
        // GET and the refused SETNX propagate nothing.
        assert_eq!(log.len(), 6);
        assert_eq!(&log[1].1[..4], &["SET", "b", "2", "PXAT"]);
        let pxat: i64 = log[1].1[4].parse().unwrap();
        assert!(pxat > now_ms() + 90_000);
        assert_eq!(log[2].1[0], "PEXPIREAT");
        assert_eq!(log[4].1, vec!["SET", "f", "2.5", "KEEPTTL"]);
        // GET is dropped from the propagated SET, NX kept.
        assert_eq!(log[5].1, vec!["SET", "nx", "1", "NX"]);
    }

    #[test]
    fn geo_writes_propagate_as_redis() {
        let (mut srv, cid, log) = setup();
        // GEOADD reaches replicas as the ZADD it ran, scores computed.
        run(
            &mut srv,
            cid,
            "GEOADD g CH 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        );
        run(&mut srv, cid, "GEOADD g NX 13.361389 38.115556 Palermo");
        run(&mut srv, cid, "GEOADD g 200 100 bad");
        run(&mut srv, cid, "GEORADIUS g 15 37 200 km WITHDIST");
        // The STORE forms propagate as received (replicas run the search).
        run(&mut srv, cid, "GEORADIUS g 15 37 200 km STORE d");
        run(
            &mut srv,
            cid,
            "GEOSEARCHSTORE d2 g FROMMEMBER Palermo BYRADIUS 10 km",
        );
        let got: Vec<String> = log.borrow().iter().map(|(_, a)| a.join(" ")).collect();
        assert_eq!(
            got,
            vec![
                "zadd g CH 3479099956230698 Palermo 3479447370796909 Catania",
                "GEORADIUS g 15 37 200 km STORE d",
                "GEOSEARCHSTORE d2 g FROMMEMBER Palermo BYRADIUS 10 km",
            ]
        );
        let geoadd = srv.commands.find(b"geoadd").unwrap();
        assert_eq!(srv.commands.entries[geoadd].stats.calls, 3);
    }

    #[test]
    fn exec_propagates_wrapped_in_multi() {
        let (mut srv, cid, log) = setup();
        run(&mut srv, cid, "MULTI");
        run(&mut srv, cid, "SET x 1");
        run(&mut srv, cid, "GET x");
        run(&mut srv, cid, "SET y 2");
        assert_eq!(
            run(&mut srv, cid, "EXEC"),
            b"*3\r\n+OK\r\n$1\r\n1\r\n+OK\r\n"
        );
        let names: Vec<String> = log.borrow().iter().map(|(_, a)| a.join(" ")).collect();
        assert_eq!(names, vec!["MULTI", "SET x 1", "SET y 2", "EXEC"]);
    }

    #[test]
    fn streams_propagate_as_redis() {
        let (mut srv, cid, log) = setup();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let reply = run(&mut srv, cid, "XADD s * f v");
            let text = String::from_utf8_lossy(&reply).into_owned();
            ids.push(text.split("\r\n").nth(1).unwrap_or_default().to_string());
        }
        run(&mut srv, cid, "XADD t 5-* f v");
        run(&mut srv, cid, "XADD t MAXLEN ~ 0 6-0 f v");
        run(&mut srv, cid, "XGROUP CREATE s g 0");
        run(&mut srv, cid, "XREADGROUP GROUP g c COUNT 1 STREAMS s >");
        run(&mut srv, cid, "XREADGROUP GROUP g c2 NOACK STREAMS s >");
        run(&mut srv, cid, "XREADGROUP GROUP g c STREAMS s >");
        let got: Vec<Vec<String>> = log.borrow().iter().map(|(_, a)| a.clone()).collect();
        // `*` and `ms-*` propagate the generated IDs, `~` an exact trim.
        assert_eq!(got[0], vec!["XADD", "s", ids[0].as_str(), "f", "v"]);
        assert_eq!(got[3][2], "5-0");
        assert_eq!(got[4][2..5], ["MAXLEN", "=", "0"]);
        assert_eq!(got[5].join(" "), "XGROUP CREATE s g 0");
        // One XCLAIM for the entry delivered to c, carrying the group's
        // new last ID; the NOACK read creates c2 and moves the last ID.
        let x = &got[6];
        assert_eq!(x[..6], ["XCLAIM", "s", "g", "c", "0", ids[0].as_str()]);
        assert_eq!(x[6], "TIME");
        assert_eq!(
            x[8..],
            [
                "RETRYCOUNT",
                "1",
                "FORCE",
                "JUSTID",
                "LASTID",
                ids[0].as_str()
            ]
        );
        assert_eq!(got[7].join(" "), "XGROUP CREATECONSUMER s g c2");
        assert_eq!(
            got[8].join(" "),
            format!("XGROUP SETID s g {} ENTRIESREAD 3", ids[2])
        );
        // Nothing new for c: nothing propagated.
        assert_eq!(got.len(), 9, "{:?}", got);
    }

    #[test]
    fn blocked_xread_is_served_by_xadd() {
        let (mut srv, a, _log) = setup();
        let mut c = Client::new(1, None, now_ms());
        c.flags.authenticated = true;
        let b = srv.add_client(c);
        run(&mut srv, a, "XADD s 1-0 f v");
        assert_eq!(run(&mut srv, a, "XREAD BLOCK 0 STREAMS s $"), b"");
        assert!(srv.clients[a].blocked.is_some());
        // Something that does not pass the waited-for ID keeps it parked.
        run(&mut srv, b, "XDEL s 1-0");
        srv.serve_blocked();
        assert!(srv.clients[a].blocked.is_some());
        run(&mut srv, b, "XADD s 2-0 g w");
        srv.serve_blocked();
        assert!(srv.clients[a].blocked.is_none());
        assert_eq!(
            srv.clients[a].reply.contents(),
            b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n"
        );
        // A group reader is failed when its group goes away.
        run(&mut srv, b, "XGROUP CREATE s g $");
        run(&mut srv, a, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        assert!(srv.clients[a].blocked.is_some());
        run(&mut srv, b, "XGROUP DESTROY s g");
        srv.serve_blocked();
        assert_eq!(
            srv.clients[a].reply.contents(),
            b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
        );
    }

    #[test]
    fn lazy_expiry_propagates_del() {
        let (mut srv, cid, log) = setup();
        run(&mut srv, cid, "SET k v PX 1");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(run(&mut srv, cid, "GET k"), b"$-1\r\n");
        let log = log.borrow();
        assert_eq!(log.last().unwrap().1, vec!["DEL", "k"]);
        assert_eq!(srv.stats.expiredkeys, 1);
    }

    #[test]
    fn errors_are_counted_per_command() {
        let (mut srv, cid, _) = setup();
        assert_eq!(
            run(&mut srv, cid, "INCR"),
            b"-ERR wrong number of arguments for 'incr' command\r\n"
        );
        run(&mut srv, cid, "SET s x");
        run(&mut srv, cid, "INCR s");
        let incr = srv.commands.find(b"incr").unwrap();
        let st = srv.commands.entries[incr].stats;
        assert_eq!((st.calls, st.rejected_calls, st.failed_calls), (1, 1, 1));
        assert_eq!(srv.stats.total_error_replies, 2);
        assert_eq!(srv.stats.errors.get("ERR"), Some(&2));
    }

    #[test]
    fn scripts_propagate_their_effects_not_the_eval() {
        let (mut srv, cid, log) = setup();
        let r = run(
            &mut srv,
            cid,
            "EVAL \"redis.call('set','a','1'); redis.call('get','a'); return redis.call('incr','a')\" 0",
        );
        assert_eq!(r, b":2\r\n");
        run(&mut srv, cid, "EVAL \"return redis.call('set','b','2')\" 0");
        run(&mut srv, cid, "EVAL \"return redis.call('get','b')\" 0");
        run(
            &mut srv,
            cid,
            "EVAL \"redis.set_repl(redis.REPL_NONE); redis.call('set','c','3')\" 0",
        );
        let names: Vec<String> = log.borrow().iter().map(|(_, a)| a.join(" ")).collect();
        assert_eq!(names, vec!["MULTI", "set a 1", "incr a", "EXEC", "set b 2"]);
    }

    #[test]
    fn select_inside_a_script_stays_in_the_script() {
        let (mut srv, cid, log) = setup();
        run(
            &mut srv,
            cid,
            "EVAL \"redis.call('select','5'); redis.call('set','k','v')\" 0",
        );
        assert_eq!(srv.clients[cid].db, 0);
        assert!(srv.dbs[5].dict.len() == 1 && srv.dbs[0].dict.is_empty());
        assert_eq!(log.borrow()[0].0, 5);
    }

    #[test]
    fn script_errors_and_stats() {
        let (mut srv, cid, _) = setup();
        assert_eq!(
            run(&mut srv, cid, "EVAL \"return 1\" -1"),
            b"-ERR Number of keys can't be negative\r\n"
        );
        let r = run(&mut srv, cid, "EVAL \"return redis.call('nosuch')\" 0");
        assert!(r.starts_with(b"-ERR Unknown Redis command called from script script: "));
        let r = run(
            &mut srv,
            cid,
            "EVAL_RO \"return redis.call('set','x','y')\" 0",
        );
        assert!(r.starts_with(b"-ERR Write commands are not allowed from read-only scripts."));
        run(&mut srv, cid, "EVAL \"return redis.call('incr','n')\" 0");
        let incr = srv.commands.find(b"incr").unwrap();
        assert_eq!(srv.commands.entries[incr].stats.calls, 1);
        // The script client never shows up as a connection.
        assert_eq!(
            srv.clients.iter().filter(|(_, c)| !c.flags.script).count(),
            1
        );
    }
}
