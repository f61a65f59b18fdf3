//! Master/replica replication (~ Redis's `replication.c`).
//!
//! # The model
//! A master keeps a *replication stream*: every write it propagates,
//! encoded as the RESP commands a client would send, with a `SELECT`
//! whenever the database changes. Each byte of that stream has an offset
//! (`master_repl_offset` counts them all), and the whole history is named by
//! a 40-hex-digit *replication ID*. A replica that holds the dataset "as of
//! offset N of history ID" can follow the master by applying the stream
//! from byte N+1 on.
//!
//! The stream goes three places: to every online replica's output buffer,
//! and into the *backlog*, a ring of the last `repl-backlog-size` bytes. A
//! replica that lost its link reconnects with `PSYNC <replid> <offset+1>`;
//! if the master's history has that ID and the backlog still holds that
//! offset, it answers `+CONTINUE` and sends the missing bytes (a partial
//! resynchronisation). Otherwise it answers `+FULLRESYNC <replid> <offset>`
//! and sends an RDB image of the dataset taken at exactly that offset,
//! followed by the live stream. The old `SYNC` command is a full
//! resynchronisation without the `+FULLRESYNC` line.
//!
//! As in Redis, a forked child produces that image while the parent keeps
//! serving (`fullsync.rs`): written to `dump.rdb` and then sent as
//! `$<length>` and the file, or (diskless, the default for replicas that
//! announce `capa eof`) streamed through a pipe as `$EOF:<mark>` ... `<mark>`.
//! The stream produced meanwhile is held in the replica's output buffer and
//! follows the image.
//!
//! # The replica side
//! `REPLICAOF host port` makes this server a replica. Its link to the
//! master is a state machine driven by the event loop, never blocking it:
//! a non-blocking connect (`Connecting`), the handshake (`PING`, `AUTH`
//! with `masterauth`, `REPLCONF listening-port`, `REPLCONF capa eof capa
//! psync2`, `PSYNC`), each step waiting for its one-line reply, then the
//! transfer of the RDB payload, which is loaded over the old dataset.
//! From then on the connection is the *master client*: a client in the
//! slab whose commands are executed like anyone's, except that they are
//! never answered, never refused for being writes on a read-only replica,
//! and they see keys whose TTL passed (the master sends the DEL). Every
//! command applied advances the replica's offset, and the same bytes are
//! fed to its own backlog and sub-replicas (chained replication proxies
//! the master's stream verbatim). Once a second the replica reports its
//! offset with `REPLCONF ACK`; the master uses the acks for `WAIT`, `INFO`
//! lag and `min-replicas-to-write`.
//!
//! When the link drops, the replica keeps its data and history and
//! reconnects from the cron every second, asking for a partial resync.
//! `REPLICAOF NO ONE` promotes it: a new replication ID starts, and the
//! old one is remembered (`master_replid2`) up to the current offset, so
//! replicas of the old master can continue from the promoted one.
//!
//! # Expiry on replicas
//! A replica never deletes a key because its TTL passed: the master does,
//! and sends the DEL. For ordinary clients a replica hides such keys (reads
//! return nothing); for the master client they still exist. [`Db`]'s
//! `replica_expiry` switch implements both views; `call()` sets it.
//!
//! [`Db`]: crate::db::Db

use std::collections::VecDeque;
use std::io;
use std::net::ToSocketAddrs;

use mio::{Interest, Token};

use crate::aof::cat_command;
use crate::commands::arg_eq;
use crate::server::{now_ms, Ctx, Server};

/// The state of a replica's link to its master (`repl_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Must (re)connect; the cron retries every second.
    Connect,
    /// Non-blocking connect in progress.
    Connecting,
    /// Handshake: waiting for the reply to PING, AUTH, REPLCONF
    /// listening-port, REPLCONF capa, PSYNC.
    ReceivePong,
    ReceiveAuth,
    ReceivePort,
    ReceiveCapa,
    ReceivePsync,
    /// Receiving the RDB payload.
    Transfer,
    /// Applying the live stream.
    Connected,
}

impl LinkState {
    /// The name ROLE reports.
    fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
            _ => "handshake",
        }
    }
}

/// How much RDB payload the master announced.
#[derive(Debug)]
enum PayloadSize {
    /// Not known yet: waiting for the `$...` line.
    Unknown,
    /// `$<len>`: exactly this many bytes.
    Len(usize),
    /// `$EOF:<mark>` (diskless sync): until these 40 bytes arrive.
    Eof(Vec<u8>),
}

/// This server's link to its master, when it is a replica.
#[derive(Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    /// Slab key of the connection (None in `Connect`).
    pub cid: Option<usize>,
    size: PayloadSize,
    payload: Vec<u8>,
    /// Replication ID and offset announced by `+FULLRESYNC`.
    sync_replid: String,
    sync_offset: i64,
    /// Stream bytes read from the master / applied (`read_reploff`,
    /// `reploff` of Redis's master client).
    pub read_reploff: i64,
    pub reploff: i64,
    pub last_io_ms: i64,
    /// When the link went down (0: never up since REPLICAOF).
    pub down_since_ms: i64,
    /// The link was up before (or we were a master): PSYNC can ask for a
    /// partial resync with our own replication ID and offset.
    can_psync: bool,
}

/// Where a replica is in its synchronisation (`replstate`); see
/// `fullsync.rs` for the transitions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Not a replica yet (before SYNC/PSYNC).
    #[default]
    None,
    /// Waiting for a snapshot child to start (`SLAVE_STATE_WAIT_BGSAVE_START`).
    WaitBgsaveStart,
    /// `+FULLRESYNC` sent; the child writes the snapshot; the stream is
    /// collected, held (`SLAVE_STATE_WAIT_BGSAVE_END`).
    WaitBgsaveEnd,
    /// Receiving the RDB file of a disk-based sync (`SLAVE_STATE_SEND_BULK`).
    SendBulk,
    /// Diskless image delivered; the held stream goes out at the replica's
    /// first ACK (`repl_start_cmd_stream_on_ack`).
    WaitAck,
    /// Streaming (`SLAVE_STATE_ONLINE`).
    Online,
}

/// Per-replica state on a master (fields of Redis's client struct).
#[derive(Debug, Default)]
pub struct ReplicaInfo {
    /// Past its synchronisation: counted by WAIT, INFO and
    /// `min-replicas-to-write` (also while waiting for its first ACK).
    pub online: bool,
    pub sync: SyncState,
    /// The offset its snapshot stands for (`psync_initial_offset`).
    pub psync_initial_offset: i64,
    /// The file being sent in `SendBulk`.
    pub bulk: Option<Box<crate::fullsync::BulkTransfer>>,
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// `REPLCONF ip-address`.
    pub announce_ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// Attached with the old SYNC: it never sends REPLCONF ACK.
    pub pre_psync: bool,
    /// Last offset the replica acknowledged, and when (ms).
    pub ack_off: i64,
    pub ack_time_ms: i64,
}

/// Server-wide replication state.
#[derive(Debug)]
pub struct ReplState {
    pub replid: String,
    pub replid2: String,
    pub master_repl_offset: i64,
    pub second_replid_offset: i64,
    /// The last bytes of the stream (None until the first replica).
    pub backlog: Option<VecDeque<u8>>,
    /// Replica clients, in the order they attached.
    pub replicas: Vec<usize>,
    /// Database the stream last selected (-1: the next write selects).
    pub slave_seldb: i64,
    /// Since when there have been no replicas (backlog TTL), ms.
    pub no_replicas_since_ms: i64,
    /// A client blocked in WAIT: ask the replicas for an ACK.
    pub get_ack: bool,
    /// Our master sent REPLCONF GETACK: ack once the command is done.
    pub get_ack_for_master: bool,
    /// Seconds counted by the replication cron.
    cron_loops: u64,
    last_cron_ms: i64,
    pub master: Option<MasterLink>,
    pub stat_sync_full: u64,
    pub stat_sync_partial_ok: u64,
    pub stat_sync_partial_err: u64,
    /// Replicas whose last ACK is within `min-replicas-max-lag`.
    pub good_replicas: usize,
    /// A diskless transfer being forwarded from the child's pipe.
    pub rdb_pipe: Option<crate::fullsync::RdbPipe>,
}

impl ReplicaInfo {
    /// The live stream is appended to its output buffer (held until the
    /// snapshot is delivered).
    #[inline]
    pub fn receives_stream(&self) -> bool {
        matches!(
            self.sync,
            SyncState::WaitBgsaveEnd | SyncState::SendBulk | SyncState::WaitAck | SyncState::Online
        )
    }

    /// Its output buffer may not be written yet.
    #[inline]
    pub fn holds_output(&self) -> bool {
        !matches!(self.sync, SyncState::Online | SyncState::None)
    }
}

impl ReplState {
    pub fn new() -> ReplState {
        ReplState {
            replid: crate::server::random_hex(40),
            replid2: "0".repeat(40),
            master_repl_offset: 0,
            second_replid_offset: -1,
            backlog: None,
            replicas: Vec::new(),
            slave_seldb: -1,
            no_replicas_since_ms: now_ms(),
            get_ack: false,
            get_ack_for_master: false,
            cron_loops: 0,
            last_cron_ms: 0,
            master: None,
            stat_sync_full: 0,
            stat_sync_partial_ok: 0,
            stat_sync_partial_err: 0,
            good_replicas: 0,
            rdb_pipe: None,
        }
    }

    /// This server replicates from a master (`server.masterhost`).
    #[inline]
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Whether the stream is being recorded (a backlog exists).
    #[inline]
    pub fn feeding(&self) -> bool {
        self.backlog.is_some() && self.master.is_none()
    }

    /// Offset of the first byte in the backlog.
    fn backlog_first_byte(&self) -> i64 {
        let hist = self.backlog.as_ref().map_or(0, |b| b.len()) as i64;
        self.master_repl_offset - hist + 1
    }

    /// A replica whose link to the master is down (stale data).
    pub fn link_down(&self) -> bool {
        self.master
            .as_ref()
            .is_some_and(|m| m.state != LinkState::Connected)
    }

    /// Slab key of the master client, if connected.
    pub fn master_cid(&self) -> Option<usize> {
        self.master
            .as_ref()
            .filter(|m| m.state == LinkState::Connected)
            .and_then(|m| m.cid)
    }

    /// Start a new history (`changeReplicationId`).
    fn change_replid(&mut self) {
        self.replid = crate::server::random_hex(40);
    }

    /// Forget the previous history (`clearReplicationId2`).
    fn clear_replid2(&mut self) {
        self.replid2 = "0".repeat(40);
        self.second_replid_offset = -1;
    }

    /// Keep the current history as the secondary one up to the current
    /// offset and start a new one (`shiftReplicationId`).
    fn shift_replid(&mut self) {
        self.replid2 = std::mem::take(&mut self.replid);
        self.second_replid_offset = self.master_repl_offset + 1;
        self.change_replid();
        log::warn!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.replid2,
            self.second_replid_offset,
            self.replid
        );
    }
}

impl Default for ReplState {
    fn default() -> Self {
        ReplState::new()
    }
}

// ---------------------------------------------------------------------------
// Master side: feeding the stream
// ---------------------------------------------------------------------------

/// Feed one propagated command to the backlog and the replicas
/// (`replicationFeedSlaves`). A replica does not call this: it proxies its
/// master's stream instead (see [`master_command_processed`]).
pub fn feed_replicas(srv: &mut Server, db: usize, argv: &[Vec<u8>]) {
    if !srv.repl.feeding() {
        return;
    }
    let mut buf = Vec::with_capacity(64);
    if srv.repl.slave_seldb != db as i64 {
        cat_command(&mut buf, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
        srv.repl.slave_seldb = db as i64;
    }
    cat_command(&mut buf, argv);
    feed_raw(srv, &buf);
}

/// Append bytes to the stream: backlog, offset, every online replica.
fn feed_raw(srv: &mut Server, bytes: &[u8]) {
    let cap = srv.config.repl_backlog_size.max(16 * 1024) as usize;
    if let Some(b) = srv.repl.backlog.as_mut() {
        if bytes.len() >= cap {
            b.clear();
            b.extend(&bytes[bytes.len() - cap..]);
        } else {
            let excess = (b.len() + bytes.len()).saturating_sub(cap);
            b.drain(..excess);
            b.extend(bytes);
        }
    }
    srv.repl.master_repl_offset += bytes.len() as i64;
    for i in 0..srv.repl.replicas.len() {
        let cid = srv.repl.replicas[i];
        let receives = srv
            .clients
            .get(cid)
            .and_then(|c| c.repl.as_ref())
            .is_some_and(|r| r.receives_stream());
        if !receives {
            continue;
        }
        srv.clients[cid].reply.raw(bytes);
        srv.mark_pending_write(cid);
        srv.check_output_limits(cid);
    }
}

/// Create the backlog if there is none (`createReplicationBacklog`).
fn create_backlog(srv: &mut Server) {
    if srv.repl.backlog.is_none() {
        srv.repl.backlog = Some(VecDeque::new());
        // Nothing selected in the new history yet.
        srv.repl.slave_seldb = -1;
    }
}

// ---------------------------------------------------------------------------
// Master side: SYNC, PSYNC, REPLCONF, WAIT
// ---------------------------------------------------------------------------

/// SYNC and PSYNC replid offset (`syncCommand`).
pub fn sync_command(srv: &mut Server, ctx: &mut Ctx) {
    let cid = ctx.cid;
    // Already a replica: ignore.
    if srv.clients[cid].flags.replica {
        return;
    }
    // A replica can serve sub-replicas only while it has a master link.
    if srv.repl.link_down() {
        ctx.out
            .error("NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if !ctx.out.is_empty() {
        ctx.out
            .error("ERR SYNC and PSYNC are invalid with pending output");
        return;
    }
    let addr = srv.clients[cid].addr.clone();
    log::info!("Replica {} asks for synchronization", addr);
    let is_psync = arg_eq(ctx.arg(0), "psync");
    if is_psync {
        if ctx.argc() != 3 {
            crate::commands::arity_error(srv, ctx);
            return;
        }
        if try_partial_resync(srv, ctx) {
            srv.repl.stat_sync_partial_ok += 1;
            return;
        }
        if ctx.arg(1) != b"?" {
            srv.repl.stat_sync_partial_err += 1;
        }
    } else {
        srv.clients[cid]
            .repl
            .get_or_insert_with(Default::default)
            .pre_psync = true;
    }
    srv.repl.stat_sync_full += 1;
    // The first replica starts a history (a fresh ID: nobody can have
    // data "as of" the old one without a backlog to prove it).
    if srv.repl.backlog.is_none() {
        srv.repl.change_replid();
        srv.repl.clear_replid2();
        create_backlog(srv);
        log::info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            srv.repl.replid,
            srv.repl.replid2
        );
    }
    if is_psync {
        log::info!("Full resync requested by replica {}", addr);
    }
    // A replica from now on; a forked child produces its snapshot
    // (`fullsync.rs`), which also sends `+FULLRESYNC` when it starts.
    let c = &mut srv.clients[cid];
    c.flags.replica = true;
    c.flags.authenticated = true;
    c.repl.get_or_insert_with(Default::default);
    if !srv.repl.replicas.contains(&cid) {
        srv.repl.replicas.push(cid);
    }
    crate::fullsync::start_or_join(srv, cid);
}

/// The replica got its snapshot (`putSlaveOnline`): it counts as online.
/// Unless it still waits for its first ACK, its held stream goes out.
pub fn put_online(srv: &mut Server, cid: usize, log_success: bool) {
    let now = now_ms();
    let Some(c) = srv.clients.get_mut(cid) else {
        return;
    };
    let addr = c.addr.clone();
    if let Some(r) = c.repl.as_mut() {
        r.online = true;
        r.ack_time_ms = now;
        r.ack_off = r.ack_off.max(r.psync_initial_offset);
    }
    refresh_good_replicas(srv);
    srv.mark_pending_write(cid);
    if log_success {
        log::info!("Synchronization with replica {} succeeded", addr);
    }
}

/// The replication position a snapshot taken now stands for
/// (`rdbPopulateSaveInfo`), or `None` when the server is in no replication
/// chain. A master without a backlog has no history worth keeping (a
/// replica connecting to it resynchronises fully with a new ID anyway); a
/// replica records the database its master's stream has selected.
pub fn save_position(srv: &Server) -> Option<crate::rdb::file::ReplPosition> {
    let stream_db = match &srv.repl.master {
        None if srv.repl.backlog.is_some() => srv.repl.slave_seldb.max(0),
        None => return None,
        Some(link) => srv.clients.get(link.cid?)?.db as i64,
    };
    Some(crate::rdb::file::ReplPosition {
        stream_db,
        replid: srv.repl.replid.clone(),
        offset: srv.repl.master_repl_offset,
    })
}

/// Make `cid` an online replica that has the stream up to `offset`.
fn attach_replica(srv: &mut Server, cid: usize, offset: i64) {
    let now = now_ms();
    let c = &mut srv.clients[cid];
    let r = c.repl.get_or_insert_with(Default::default);
    r.online = true;
    r.sync = SyncState::Online;
    r.ack_off = offset;
    r.ack_time_ms = now;
    c.flags.replica = true;
    c.flags.authenticated = true;
    if !srv.repl.replicas.contains(&cid) {
        srv.repl.replicas.push(cid);
    }
    refresh_good_replicas(srv);
}

/// PSYNC: continue from the backlog if the replica's history is ours and
/// the backlog still holds its offset (`masterTryPartialResynchronization`).
fn try_partial_resync(srv: &mut Server, ctx: &mut Ctx) -> bool {
    let want_id = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let want_off = match std::str::from_utf8(ctx.arg(2))
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(v) => v,
        None => return false,
    };
    let r = &srv.repl;
    if want_id != r.replid && (want_id != r.replid2 || want_off > r.second_replid_offset) {
        if want_id == "?" {
            log::info!("Full resync requested by replica (no cached master)");
        } else if want_id != r.replid2 {
            log::info!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                want_id, r.replid, r.replid2
            );
        } else {
            log::info!(
                "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                want_off, r.second_replid_offset
            );
        }
        return false;
    }
    let backlog = match &r.backlog {
        Some(b) => b,
        None => return false,
    };
    let first = r.backlog_first_byte();
    if want_off < first || want_off > r.master_repl_offset + 1 {
        log::info!(
            "Unable to partial resync with replica for lack of backlog (Replica request was: {}).",
            want_off
        );
        return false;
    }
    let skip = (want_off - first) as usize;
    let missing: Vec<u8> = backlog.iter().skip(skip).copied().collect();
    let cid = ctx.cid;
    let psync2 = srv.clients[cid]
        .repl
        .as_ref()
        .is_some_and(|r| r.capa_psync2);
    if psync2 {
        ctx.out
            .raw(format!("+CONTINUE {}\r\n", srv.repl.replid).as_bytes());
    } else {
        ctx.out.raw(b"+CONTINUE\r\n");
    }
    ctx.out.raw(&missing);
    attach_replica(srv, cid, want_off - 1);
    log::info!(
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
        srv.clients[cid].addr,
        missing.len(),
        want_off
    );
    true
}

/// REPLCONF option value ... (`replconfCommand`).
pub fn replconf_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc().is_multiple_of(2) {
        ctx.out.error("ERR syntax error");
        return;
    }
    let cid = ctx.cid;
    let mut i = 1;
    while i < ctx.argc() {
        let opt = ctx.arg(i).to_ascii_lowercase();
        let val = ctx.arg(i + 1).to_vec();
        match &opt[..] {
            b"listening-port" => {
                let port = match std::str::from_utf8(&val)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    Some(p) => p,
                    None => {
                        ctx.out.error("ERR value is not an integer or out of range");
                        return;
                    }
                };
                srv.clients[cid]
                    .repl
                    .get_or_insert_with(Default::default)
                    .listening_port = port as u16;
            }
            b"ip-address" => {
                if val.len() >= 46 {
                    ctx.out.error(&format!(
                        "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        val.len()
                    ));
                    return;
                }
                srv.clients[cid]
                    .repl
                    .get_or_insert_with(Default::default)
                    .announce_ip = Some(String::from_utf8_lossy(&val).into_owned());
            }
            b"capa" => {
                let r = srv.clients[cid].repl.get_or_insert_with(Default::default);
                if val.eq_ignore_ascii_case(b"eof") {
                    r.capa_eof = true;
                } else if val.eq_ignore_ascii_case(b"psync2") {
                    r.capa_psync2 = true;
                }
            }
            b"ack" | b"fack" => {
                // Only replicas ack, and nobody answers an ack.
                if opt == b"ack" {
                    let off = std::str::from_utf8(&val)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok());
                    let now = now_ms();
                    if let (Some(off), Some(r)) = (off, srv.clients[cid].repl.as_mut()) {
                        if r.online {
                            r.ack_off = r.ack_off.max(off);
                            r.ack_time_ms = now;
                        }
                        // The replica loaded its diskless image: start the
                        // stream (`replicaStartCommandStream`).
                        if r.sync == SyncState::WaitAck {
                            r.sync = SyncState::Online;
                            srv.mark_pending_write(cid);
                        }
                    }
                }
                return;
            }
            b"getack" => {
                // Our master asks for our offset: answered after the call,
                // when the master client's replies are not suppressed.
                if srv.repl.master_cid() == Some(cid) {
                    srv.repl.get_ack_for_master = true;
                }
                return;
            }
            b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                ctx.out.error(&format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(ctx.arg(i))
                ));
                return;
            }
        }
        i += 2;
    }
    ctx.out.ok();
}

/// DEBUG CHANGE-REPL-ID: a new replication ID, no secondary one.
pub fn change_replid_and_clear(srv: &mut Server) {
    srv.repl.change_replid();
    srv.repl.clear_replid2();
}

/// Replicas that acknowledged at least `offset` (`replicationCountAcksByOffset`).
pub fn count_acks(srv: &Server, offset: i64) -> usize {
    srv.repl
        .replicas
        .iter()
        .filter_map(|&cid| srv.clients.get(cid)?.repl.as_ref())
        .filter(|r| r.online && r.ack_off >= offset)
        .count()
}

/// WAIT numreplicas timeout (`waitCommand`).
pub fn wait_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.repl.is_replica() {
        ctx.out.error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
        return;
    }
    let numreplicas = match crate::commands::parse_i64_arg(ctx, 1) {
        Some(n) => n,
        None => return,
    };
    let timeout = match std::str::from_utf8(ctx.arg(2))
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(t) if t < 0 => {
            ctx.out.error("ERR timeout is negative");
            return;
        }
        Some(t) => t,
        None => {
            ctx.out
                .error("ERR timeout is not an integer or out of range");
            return;
        }
    };
    let woff = srv.clients[ctx.cid].woff;
    let acked = count_acks(srv, woff) as i64;
    if acked >= numreplicas
        || !crate::blocked::may_block(srv)
        || crate::multi::in_multi(srv, ctx.cid)
    {
        ctx.out.int(acked);
        return;
    }
    let deadline = if timeout > 0 {
        Some(now_ms() + timeout)
    } else {
        None
    };
    crate::blocked::block(srv, ctx, Vec::new(), deadline, WAIT_TYPE);
    srv.repl.get_ack = true;
}

/// The `wants_type` of a client blocked in WAIT (it waits for acks, not
/// for a key).
pub const WAIT_TYPE: &str = "wait";

/// The reply to a WAIT that timed out or was unblocked: the replicas that
/// acknowledged so far.
pub fn wait_timeout_reply(srv: &mut Server, cid: usize) {
    let woff = match srv.clients.get(cid) {
        Some(c) => c.woff,
        None => return,
    };
    let n = count_acks(srv, woff) as i64;
    if let Some(c) = srv.clients.get_mut(cid) {
        c.reply.int(n);
    }
    srv.mark_pending_write(cid);
}

/// Answer WAITs that have enough acks (`processClientsWaitingReplicas`),
/// and ask replicas for acks when someone waits. Called in `before_sleep`.
pub fn before_sleep(srv: &mut Server) {
    // GETACK is a write to the stream: not while clients are paused.
    if srv.repl.get_ack && srv.pause.is_none() {
        srv.repl.get_ack = false;
        if srv.repl.feeding() && !srv.repl.replicas.is_empty() {
            let mut buf = Vec::new();
            cat_command(
                &mut buf,
                &[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()],
            );
            feed_raw(srv, &buf);
        }
    }
    if srv.blocking.clients.is_empty() {
        return;
    }
    let waiting = crate::blocked::blocked_clients_where(srv, |b| b.wants_type == WAIT_TYPE);
    for cid in waiting {
        let (woff, want) = {
            let c = &srv.clients[cid];
            let want = c
                .blocked
                .as_ref()
                .and_then(|b| {
                    std::str::from_utf8(b.argv.get(1)?)
                        .ok()?
                        .parse::<i64>()
                        .ok()
                })
                .unwrap_or(0);
            (c.woff, want)
        };
        let n = count_acks(srv, woff) as i64;
        if n >= want {
            crate::blocked::unblock(srv, cid);
            if let Some(c) = srv.clients.get_mut(cid) {
                c.reply.int(n);
            }
            srv.mark_pending_write(cid);
        }
    }
}

/// Replicas that acked within `min-replicas-max-lag` seconds
/// (`refreshGoodSlavesCount`).
pub fn refresh_good_replicas(srv: &mut Server) {
    if srv.config.min_replicas_to_write == 0 || srv.config.min_replicas_max_lag == 0 {
        return;
    }
    let now = now_ms();
    let max_lag = i64::from(srv.config.min_replicas_max_lag) * 1000;
    srv.repl.good_replicas = srv
        .repl
        .replicas
        .iter()
        .filter_map(|&cid| srv.clients.get(cid)?.repl.as_ref())
        .filter(|r| r.online && now - r.ack_time_ms <= max_lag)
        .count();
}

/// A client is being freed: forget it as a replica, or lose the master
/// link if it was the master connection.
pub fn client_freed(srv: &mut Server, cid: usize) {
    if let Some(pos) = srv.repl.replicas.iter().position(|&c| c == cid) {
        srv.repl.replicas.remove(pos);
        crate::fullsync::replica_gone(srv, cid);
        let addr = srv
            .clients
            .get(cid)
            .map(|c| c.addr.clone())
            .unwrap_or_default();
        log::info!("Connection with replica {} lost.", addr);
        if srv.repl.replicas.is_empty() {
            srv.repl.no_replicas_since_ms = now_ms();
        }
        refresh_good_replicas(srv);
    }
    let is_master = srv.repl.master.as_ref().is_some_and(|m| m.cid == Some(cid));
    if is_master {
        let link = srv.repl.master.as_mut().expect("checked above");
        if link.state == LinkState::Connected {
            log::warn!("Connection with master lost.");
            log::info!("Caching the disconnected master state.");
            link.can_psync = true;
            link.down_since_ms = now_ms();
        }
        link.cid = None;
        link.state = LinkState::Connect;
        link.payload = Vec::new();
        link.size = PayloadSize::Unknown;
    }
}

// ---------------------------------------------------------------------------
// REPLICAOF, ROLE, INFO
// ---------------------------------------------------------------------------

/// REPLICAOF host port | NO ONE (also SLAVEOF; `replicaofCommand`).
pub fn replicaof_command(srv: &mut Server, ctx: &mut Ctx) {
    if arg_eq(ctx.arg(1), "no") && arg_eq(ctx.arg(2), "one") {
        if srv.repl.is_replica() {
            unset_master(srv);
            let who = srv.clients[ctx.cid].info_string(now_ms(), &srv.commands);
            log::warn!("MASTER MODE enabled (user request from '{}')", who);
        }
        ctx.out.ok();
        return;
    }
    if srv.clients[ctx.cid].flags.replica {
        ctx.out
            .error("ERR Command is not valid when client is a replica.");
        return;
    }
    let port = match std::str::from_utf8(ctx.arg(2))
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => {
            ctx.out.error("ERR Invalid master port");
            return;
        }
    };
    let host = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    if let Some(m) = &srv.repl.master {
        if m.host.eq_ignore_ascii_case(&host) && m.port == port {
            log::warn!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            ctx.out.status("OK Already connected to specified master");
            return;
        }
    }
    set_master(srv, host.clone(), port);
    let who = srv.clients[ctx.cid].info_string(now_ms(), &srv.commands);
    log::warn!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        host,
        port,
        who
    );
    ctx.out.ok();
}

/// Become a replica of host:port (`replicationSetMaster`).
pub fn set_master(srv: &mut Server, host: String, port: u16) {
    let was_master = srv.repl.master.is_none();
    if let Some(cid) = srv.repl.master.as_ref().and_then(|m| m.cid) {
        srv.close_client_async(cid);
        client_freed(srv, cid);
    }
    // Blocked clients would wait for writes that can only come from the
    // master now (`disconnectAllBlockedClients`).
    disconnect_blocked_clients(srv);
    srv.repl.master = Some(MasterLink {
        host,
        port,
        state: LinkState::Connect,
        cid: None,
        size: PayloadSize::Unknown,
        payload: Vec::new(),
        sync_replid: String::new(),
        sync_offset: -1,
        read_reploff: srv.repl.master_repl_offset,
        reploff: srv.repl.master_repl_offset,
        last_io_ms: now_ms(),
        down_since_ms: 0,
        // A former master can offer its own history to the new master
        // (`replicationCacheMasterUsingMyself`).
        can_psync: was_master,
    });
    for db in srv.dbs.iter_mut() {
        db.replica_expiry = crate::db::ReplicaExpiry::Hide;
    }
    crate::server::set_log_role(b'S');
    connect_to_master(srv);
}

/// Stop replicating and become a master (`replicationUnsetMaster`).
pub fn unset_master(srv: &mut Server) {
    let link = match srv.repl.master.take() {
        Some(l) => l,
        None => return,
    };
    if let Some(cid) = link.cid {
        srv.close_client_async(cid);
    }
    crate::server::set_log_role(b'M');
    for db in srv.dbs.iter_mut() {
        db.replica_expiry = crate::db::ReplicaExpiry::Normal;
    }
    // A new history begins here; the old one stays valid up to now, so
    // the other replicas of our old master can continue from us.
    srv.repl.shift_replid();
    disconnect_replicas(srv);
    disconnect_blocked_clients(srv);
    srv.repl.slave_seldb = -1;
    srv.repl.no_replicas_since_ms = now_ms();
}

/// Close every replica (they reconnect and resync).
fn disconnect_replicas(srv: &mut Server) {
    for cid in srv.repl.replicas.clone() {
        srv.close_client_async(cid);
    }
}

/// Unblock clients blocked on keys with an error (the instance changed
/// role; `disconnectAllBlockedClients`).
fn disconnect_blocked_clients(srv: &mut Server) {
    for cid in crate::blocked::blocked_clients_where(srv, |b| b.wants_type != WAIT_TYPE) {
        crate::blocked::unblock(srv, cid);
        if let Some(c) = srv.clients.get_mut(cid) {
            c.reply.error("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
            c.flags.close_after_reply = true;
        }
        srv.mark_pending_write(cid);
    }
}

/// ROLE (`roleCommand`).
pub fn role_command(srv: &mut Server, ctx: &mut Ctx) {
    match &srv.repl.master {
        None => {
            ctx.out.array_len(3);
            ctx.out.bulk(b"master");
            ctx.out.int(srv.repl.master_repl_offset);
            let online: Vec<(String, u16, i64)> = srv
                .repl
                .replicas
                .iter()
                .filter_map(|&cid| {
                    let c = srv.clients.get(cid)?;
                    let r = c.repl.as_ref()?;
                    r.online
                        .then(|| (replica_ip(c), r.listening_port, r.ack_off))
                })
                .collect();
            ctx.out.array_len(online.len());
            for (ip, port, off) in online {
                ctx.out.array_len(3);
                ctx.out.bulk(ip.as_bytes());
                ctx.out.bulk(port.to_string().as_bytes());
                ctx.out.bulk(off.to_string().as_bytes());
            }
        }
        Some(m) => {
            ctx.out.array_len(5);
            ctx.out.bulk(b"slave");
            ctx.out.bulk(m.host.as_bytes());
            ctx.out.int(i64::from(m.port));
            ctx.out.bulk(m.state.role_name().as_bytes());
            ctx.out.int(if m.state == LinkState::Connected {
                m.reploff
            } else {
                -1
            });
        }
    }
}

/// The address a replica is known by: the announced one, or its peer IP.
fn replica_ip(c: &crate::client::Client) -> String {
    if let Some(ip) = c.repl.as_ref().and_then(|r| r.announce_ip.clone()) {
        return ip;
    }
    match c.addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => c.addr.clone(),
    }
}

/// The `# Replication` section of INFO.
pub fn info_section(srv: &Server) -> String {
    use std::fmt::Write;
    let now = now_ms();
    let r = &srv.repl;
    let mut s = String::from("# Replication\r\n");
    let _ = write!(
        s,
        "role:{}\r\n",
        if r.is_replica() { "slave" } else { "master" }
    );
    if let Some(m) = &r.master {
        let up = m.state == LinkState::Connected;
        let _ = write!(
            s,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            m.host,
            m.port,
            if up { "up" } else { "down" },
            if m.cid.is_some() { (now - m.last_io_ms) / 1000 } else { -1 },
            i32::from(m.state == LinkState::Transfer),
            if up || m.can_psync { m.read_reploff } else { 1 },
            if up || m.can_psync { m.reploff } else { 1 },
        );
        if m.state == LinkState::Transfer {
            let (total, read) = match &m.size {
                PayloadSize::Len(n) => (*n as i64, m.payload.len() as i64),
                _ => (0, m.payload.len() as i64),
            };
            let perc = if total > 0 {
                read as f64 / total as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(
                s,
                "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                total,
                read,
                total - read,
                perc,
                (now - m.last_io_ms) / 1000
            );
        }
        if !up {
            let _ = write!(
                s,
                "master_link_down_since_seconds:{}\r\n",
                if m.down_since_ms > 0 {
                    (now - m.down_since_ms) / 1000
                } else {
                    -1
                }
            );
        }
        let _ = write!(
            s,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            srv.config.replica_priority,
            i32::from(srv.config.replica_read_only),
            i32::from(srv.config.replica_announced)
        );
    }
    let _ = write!(s, "connected_slaves:{}\r\n", r.replicas.len());
    if srv.config.min_replicas_to_write > 0 && srv.config.min_replicas_max_lag > 0 {
        let _ = write!(s, "min_slaves_good_slaves:{}\r\n", r.good_replicas);
    }
    let mut n = 0;
    for &cid in &r.replicas {
        let c = match srv.clients.get(cid) {
            Some(c) => c,
            None => continue,
        };
        let rep = match &c.repl {
            Some(x) => x,
            None => continue,
        };
        let (state, lag) = match rep.sync {
            _ if rep.online => ("online", (now - rep.ack_time_ms) / 1000),
            SyncState::SendBulk => ("send_bulk", 0),
            _ => ("wait_bgsave", 0),
        };
        let _ = write!(
            s,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            n,
            replica_ip(c),
            rep.listening_port,
            state,
            rep.ack_off,
            lag
        );
        n += 1;
    }
    let hist = r.backlog.as_ref().map_or(0, |b| b.len());
    let _ = write!(
        s,
        "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
        r.replid,
        r.replid2,
        r.master_repl_offset,
        r.second_replid_offset,
        i32::from(r.backlog.is_some()),
        srv.config.repl_backlog_size,
        if r.backlog.is_some() { r.backlog_first_byte() } else { 0 },
        hist
    );
    s
}

// ---------------------------------------------------------------------------
// Replica side: connecting, handshake, transfer
// ---------------------------------------------------------------------------

/// Start a non-blocking connect to the master (`connectWithMaster`).
fn connect_to_master(srv: &mut Server) {
    let (host, port) = match &srv.repl.master {
        Some(m) if m.state == LinkState::Connect => (m.host.clone(), m.port),
        _ => return,
    };
    log::info!("Connecting to MASTER {}:{}", host, port);
    let addr = match (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    {
        Some(a) => a,
        None => {
            log::warn!("Unable to connect to MASTER: can't resolve host '{}'", host);
            return;
        }
    };
    let sock = match mio::net::TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("Unable to connect to MASTER: {}", e);
            return;
        }
    };
    if srv.registry.is_none() {
        return;
    }
    let mut client = crate::client::Client::new(0, None, now_ms());
    client.addr = addr.to_string();
    let cid = srv.add_client(client);
    let mut sock = sock;
    let registered = match srv.registry.as_ref() {
        Some(r) => r.register(
            &mut sock,
            Token(cid),
            Interest::READABLE | Interest::WRITABLE,
        ),
        None => Ok(()),
    };
    if let Err(e) = registered {
        log::warn!("Unable to connect to MASTER: {}", e);
        srv.close_client_async(cid);
        return;
    }
    let c = &mut srv.clients[cid];
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        c.fd = sock.as_raw_fd();
    }
    c.sock = Some(sock);
    c.flags.master = true;
    c.flags.authenticated = true;
    // The master's stream is never refused by ACLs (no user, as in Redis).
    c.user = Vec::new();
    c.flags.write_registered = true;
    // The master is never answered (except REPLCONF GETACK).
    c.reply_mode = crate::client::ReplyMode::Off;
    if let Some(m) = srv.repl.master.as_mut() {
        m.state = LinkState::Connecting;
        m.cid = Some(cid);
        m.last_io_ms = now_ms();
    }
    log::info!("MASTER <-> REPLICA sync started");
}

/// The master socket became writable: the connect finished (or failed).
/// Returns true when the event belonged to the connecting link.
pub fn master_writable(srv: &mut Server, cid: usize) -> bool {
    let connecting = srv
        .repl
        .master
        .as_ref()
        .is_some_and(|m| m.cid == Some(cid) && m.state == LinkState::Connecting);
    if !connecting {
        return false;
    }
    let status = match srv.clients[cid].sock.as_ref() {
        Some(s) => match s.take_error() {
            Ok(Some(e)) | Err(e) => Err(e),
            Ok(None) => match s.peer_addr() {
                Ok(_) => Ok(true),
                // Still in progress: a spurious wakeup.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                Err(e) => Err(e),
            },
        },
        None => Ok(false),
    };
    match status {
        Ok(true) => {}
        Ok(false) => return true,
        Err(e) => {
            log::warn!("Error condition on socket for SYNC: {}", e);
            abort_link(srv);
            return true;
        }
    }
    log::info!("Non blocking connect for SYNC fired the event.");
    if let (Some(s), Some(reg)) = (srv.clients[cid].sock.as_mut(), srv.registry.as_ref()) {
        let _ = reg.reregister(s, Token(cid), Interest::READABLE);
    }
    {
        let c = &mut srv.clients[cid];
        c.flags.write_registered = false;
        if let Some(s) = c.sock.as_ref() {
            c.laddr = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let _ = s.set_nodelay(!srv.config.repl_disable_tcp_nodelay);
        }
    }
    send_to_master(srv, &[b"PING".to_vec()]);
    set_link_state(srv, LinkState::ReceivePong);
    true
}

fn set_link_state(srv: &mut Server, st: LinkState) {
    if let Some(m) = srv.repl.master.as_mut() {
        m.state = st;
    }
}

/// Queue a command for the master connection.
fn send_to_master(srv: &mut Server, argv: &[Vec<u8>]) {
    let cid = match srv.repl.master.as_ref().and_then(|m| m.cid) {
        Some(c) => c,
        None => return,
    };
    let mut buf = Vec::new();
    cat_command(&mut buf, argv);
    if let Some(c) = srv.clients.get_mut(cid) {
        // Replies to the master are suppressed once the link is up; what
        // we send on our own (handshake, acks) goes through.
        let suppressed = std::mem::replace(&mut c.reply.suppress, false);
        c.reply.raw(&buf);
        c.reply.suppress = suppressed;
    }
    srv.mark_pending_write(cid);
}

/// The link is up: from now on nothing the master client's commands
/// reply reaches the master.
fn silence_master_client(srv: &mut Server, cid: usize) {
    if let Some(c) = srv.clients.get_mut(cid) {
        c.reply.suppress = true;
    }
}

/// Drop the link and retry from the cron (`cancelReplicationHandshake`).
fn abort_link(srv: &mut Server) {
    if let Some(cid) = srv.repl.master.as_ref().and_then(|m| m.cid) {
        srv.close_client_async(cid);
    }
    if let Some(m) = srv.repl.master.as_mut() {
        m.cid = None;
        m.state = LinkState::Connect;
        m.payload = Vec::new();
        m.size = PayloadSize::Unknown;
    }
}

/// Take one `\r\n`-terminated line from the master's input, if complete.
fn take_line(srv: &mut Server, cid: usize) -> Option<Vec<u8>> {
    let c = srv.clients.get_mut(cid)?;
    let pending = c.qb.pending();
    let nl = pending.iter().position(|&b| b == b'\n')?;
    let mut line = pending[..nl].to_vec();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    c.qb.consume(nl + 1);
    Some(line)
}

/// Input from the master connection before the link is up: handshake
/// replies and the RDB payload (`syncWithMaster`, `readSyncBulkPayload`).
/// Returns false when the link is connected and the input is the stream
/// (the caller parses commands as usual).
pub fn master_input(srv: &mut Server, cid: usize) -> bool {
    loop {
        let state = match &srv.repl.master {
            Some(m) if m.cid == Some(cid) => m.state,
            _ => return false,
        };
        match state {
            LinkState::Connected => return false,
            LinkState::Connect | LinkState::Connecting => return true,
            LinkState::Transfer => {
                read_payload(srv, cid);
                let still = srv
                    .repl
                    .master
                    .as_ref()
                    .is_some_and(|m| m.state == LinkState::Connected && m.cid == Some(cid));
                // Connected now: what follows the payload is the stream.
                return !still;
            }
            _ => {
                let line = match take_line(srv, cid) {
                    Some(l) => l,
                    None => return true,
                };
                handshake_reply(srv, state, &line);
            }
        }
    }
}

/// One handshake reply.
fn handshake_reply(srv: &mut Server, state: LinkState, line: &[u8]) {
    let text = String::from_utf8_lossy(line).into_owned();
    match state {
        LinkState::ReceivePong => {
            // Only authentication errors stop the handshake; any other
            // reply (even an error) shows a live master.
            if text.starts_with("-NOAUTH")
                || text.starts_with("-NOPERM")
                || text.starts_with("-ERR operation not permitted")
            {
                log::warn!("Error reply to PING from master: '{}'", text);
                abort_link(srv);
                return;
            }
            log::info!("Master replied to PING, replication can continue...");
            if let Some(pass) = srv.config.masterauth.clone() {
                let mut argv = vec![b"AUTH".to_vec()];
                if let Some(u) = srv.config.masteruser.clone() {
                    argv.push(u.into_bytes());
                }
                argv.push(pass.into_bytes());
                send_to_master(srv, &argv);
                set_link_state(srv, LinkState::ReceiveAuth);
            } else {
                send_listening_port(srv);
            }
        }
        LinkState::ReceiveAuth => {
            if text.starts_with('-') {
                log::warn!("Unable to AUTH to MASTER: {}", text);
                abort_link(srv);
                return;
            }
            send_listening_port(srv);
        }
        LinkState::ReceivePort => {
            if text.starts_with('-') {
                log::info!(
                    "(Non critical) Master does not understand REPLCONF listening-port: {}",
                    text
                );
            }
            send_to_master(
                srv,
                &[
                    b"REPLCONF".to_vec(),
                    b"capa".to_vec(),
                    b"eof".to_vec(),
                    b"capa".to_vec(),
                    b"psync2".to_vec(),
                ],
            );
            set_link_state(srv, LinkState::ReceiveCapa);
        }
        LinkState::ReceiveCapa => {
            if text.starts_with('-') {
                log::info!(
                    "(Non critical) Master does not understand REPLCONF capa: {}",
                    text
                );
            }
            let (replid, off) = match &srv.repl.master {
                Some(m) if m.can_psync => (
                    srv.repl.replid.clone(),
                    (srv.repl.master_repl_offset + 1).to_string(),
                ),
                _ => ("?".to_string(), "-1".to_string()),
            };
            if replid == "?" {
                log::info!("Partial resynchronization not possible (no cached master)");
            } else {
                log::info!(
                    "Trying a partial resynchronization (request {}:{}).",
                    replid,
                    off
                );
            }
            send_to_master(
                srv,
                &[b"PSYNC".to_vec(), replid.into_bytes(), off.into_bytes()],
            );
            set_link_state(srv, LinkState::ReceivePsync);
        }
        LinkState::ReceivePsync => psync_reply(srv, &text),
        _ => {}
    }
}

fn send_listening_port(srv: &mut Server) {
    let port = if srv.config.replica_announce_port != 0 {
        srv.config.replica_announce_port
    } else {
        srv.port
    };
    send_to_master(
        srv,
        &[
            b"REPLCONF".to_vec(),
            b"listening-port".to_vec(),
            port.to_string().into_bytes(),
        ],
    );
    // `replica-announce-ip` goes in the same step in Redis; sent here
    // too, its +OK is read as part of the listening-port step.
    set_link_state(srv, LinkState::ReceivePort);
}

/// The answer to PSYNC (`slaveTryPartialResynchronization`, read half).
fn psync_reply(srv: &mut Server, text: &str) {
    if let Some(rest) = text.strip_prefix("+FULLRESYNC") {
        let mut it = rest.split_whitespace();
        let replid = it.next().unwrap_or("").to_string();
        let off = it.next().and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
        if replid.len() != 40 || off < 0 {
            log::warn!("Master replied with wrong +FULLRESYNC syntax.");
        } else {
            log::info!("Full resync from master: {}:{}", replid, off);
        }
        if let Some(m) = srv.repl.master.as_mut() {
            m.sync_replid = replid;
            m.sync_offset = off;
            m.can_psync = false;
            m.state = LinkState::Transfer;
            m.size = PayloadSize::Unknown;
            m.payload = Vec::new();
        }
        return;
    }
    if let Some(rest) = text.strip_prefix("+CONTINUE") {
        log::info!("Successful partial resynchronization with master.");
        let new_id = rest.trim();
        if new_id.len() == 40 && new_id != srv.repl.replid {
            // The master's history changed name (it was promoted): our old
            // ID stays valid up to here, for our own sub-replicas.
            srv.repl.replid2 = std::mem::replace(&mut srv.repl.replid, new_id.to_string());
            srv.repl.second_replid_offset = srv.repl.master_repl_offset + 1;
            log::info!("Master replication ID changed to {}", srv.repl.replid);
            disconnect_replicas(srv);
        }
        create_backlog(srv);
        let off = srv.repl.master_repl_offset;
        // Bytes already read after the +CONTINUE line are stream.
        let pending = srv
            .repl
            .master
            .as_ref()
            .and_then(|m| srv.clients.get(m.cid?))
            .map_or(0, |c| c.qb.len() as i64);
        if let Some(m) = srv.repl.master.as_mut() {
            m.state = LinkState::Connected;
            m.reploff = off;
            m.read_reploff = off + pending;
            m.down_since_ms = 0;
        }
        log::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        if let Some(cid) = srv.repl.master_cid() {
            silence_master_client(srv, cid);
        }
        send_ack(srv);
        return;
    }
    if text.starts_with("-NOMASTERLINK") || text.starts_with("-LOADING") {
        log::info!(
            "Master is currently unable to PSYNC but should be in the future: {}",
            text
        );
    } else {
        log::warn!("Unexpected reply to PSYNC from master: {}", text);
    }
    abort_link(srv);
}

/// Read the RDB payload; load it once complete.
fn read_payload(srv: &mut Server, cid: usize) {
    // The `$<len>` line first (a master preparing the payload may send
    // newlines to keep the link alive).
    let unknown = matches!(
        srv.repl.master.as_ref().map(|m| &m.size),
        Some(PayloadSize::Unknown)
    );
    if unknown {
        let line = loop {
            match take_line(srv, cid) {
                Some(l) if l.is_empty() => continue,
                Some(l) => break l,
                None => return,
            }
        };
        if line.first() == Some(&b'-') {
            log::warn!(
                "MASTER aborted replication with an error: {}",
                String::from_utf8_lossy(&line[1..])
            );
            abort_link(srv);
            return;
        }
        if line.first() != Some(&b'$') {
            log::warn!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                String::from_utf8_lossy(&line)
            );
            abort_link(srv);
            return;
        }
        let size = if line.len() >= 45 && line[1..].starts_with(b"EOF:") {
            log::info!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
            );
            PayloadSize::Eof(line[5..45].to_vec())
        } else {
            match std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
            {
                Some(n) => {
                    log::info!(
                        "MASTER <-> REPLICA sync: receiving {} bytes from master to disk",
                        n
                    );
                    PayloadSize::Len(n)
                }
                None => {
                    log::warn!("Bad protocol from MASTER: invalid payload length");
                    abort_link(srv);
                    return;
                }
            }
        };
        if let Some(m) = srv.repl.master.as_mut() {
            m.size = size;
        }
    }
    // Move payload bytes out of the query buffer.
    let done = {
        let m = match srv.repl.master.as_mut() {
            Some(m) => m,
            None => return,
        };
        let c = match srv.clients.get_mut(cid) {
            Some(c) => c,
            None => return,
        };
        match &m.size {
            PayloadSize::Len(n) => {
                let want = n - m.payload.len();
                let take = want.min(c.qb.len());
                m.payload.extend_from_slice(&c.qb.pending()[..take]);
                c.qb.consume(take);
                m.payload.len() == *n
            }
            PayloadSize::Eof(mark) => {
                m.payload.extend_from_slice(c.qb.pending());
                let n = c.qb.len();
                c.qb.consume(n);
                if m.payload.ends_with(mark) {
                    let keep = m.payload.len() - mark.len();
                    m.payload.truncate(keep);
                    true
                } else {
                    false
                }
            }
            PayloadSize::Unknown => false,
        }
    };
    if done {
        load_payload(srv, cid);
    }
}

/// The payload arrived: replace the dataset with it and go online
/// (the end of `readSyncBulkPayload`).
fn load_payload(srv: &mut Server, cid: usize) {
    let payload = match srv.repl.master.as_mut() {
        Some(m) => std::mem::take(&mut m.payload),
        None => return,
    };
    // A new history: sub-replicas must resync with us.
    disconnect_replicas(srv);
    srv.repl.backlog = None;
    log::info!("MASTER <-> REPLICA sync: Flushing old data");
    srv.signal_flushed_db(None);
    for db in srv.dbs.iter_mut() {
        db.flush();
    }
    srv.scripting.functions.libraries.clear();
    log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    srv.loading = true;
    let res = crate::rdb::file::load_replica_image(srv, &payload);
    srv.loading = false;
    if let Err(e) = res {
        log::warn!(
            "Failed trying to load the MASTER synchronization DB from socket: {}",
            e
        );
        for db in srv.dbs.iter_mut() {
            db.flush();
        }
        abort_link(srv);
        return;
    }
    srv.dirty += 1;
    let (replid, off) = match srv.repl.master.as_ref() {
        Some(m) => (m.sync_replid.clone(), m.sync_offset),
        None => return,
    };
    srv.repl.replid = replid;
    srv.repl.master_repl_offset = off;
    srv.repl.clear_replid2();
    create_backlog(srv);
    let pending = srv.clients.get(cid).map_or(0, |c| c.qb.len() as i64);
    if let Some(m) = srv.repl.master.as_mut() {
        m.state = LinkState::Connected;
        m.reploff = off;
        m.read_reploff = off + pending;
        m.down_since_ms = 0;
        m.size = PayloadSize::Unknown;
    }
    log::info!("MASTER <-> REPLICA sync: Finished with success");
    silence_master_client(srv, cid);
    // AOF on: rewrite it from the new dataset, as Redis restarts it.
    if srv.aof.state == crate::aof::AofState::On {
        let _ = crate::aof::rewrite(srv);
    }
    send_ack(srv);
}

/// Tell the master our offset (`replicationSendAck`).
fn send_ack(srv: &mut Server) {
    let off = match srv.repl.master.as_ref() {
        Some(m) if m.state == LinkState::Connected => m.reploff,
        _ => return,
    };
    send_to_master(
        srv,
        &[
            b"REPLCONF".to_vec(),
            b"ACK".to_vec(),
            off.to_string().into_bytes(),
        ],
    );
}

/// Bytes arrived from the master (`read_reploff`).
pub fn master_read(srv: &mut Server, n: usize) {
    if let Some(m) = srv.repl.master.as_mut() {
        m.last_io_ms = now_ms();
        if m.state == LinkState::Connected {
            m.read_reploff += n as i64;
        }
    }
}

/// The master client executed one command of the stream: advance the
/// applied offset and proxy the command to our own backlog and
/// sub-replicas (`commandProcessed` + `replicationFeedStreamFromMasterStream`).
pub fn master_command_processed(srv: &mut Server, cid: usize, raw: &[u8]) {
    let pending = match srv.clients.get(cid) {
        Some(c) => c.qb.len() as i64,
        None => return,
    };
    let reploff = match srv.repl.master.as_mut() {
        Some(m) if m.cid == Some(cid) && m.state == LinkState::Connected => {
            m.reploff = m.read_reploff - pending;
            m.reploff
        }
        _ => return,
    };
    if srv.repl.backlog.is_some() {
        feed_raw(srv, raw);
    }
    srv.repl.master_repl_offset = reploff;
    if std::mem::take(&mut srv.repl.get_ack_for_master) {
        send_ack(srv);
    }
}

// ---------------------------------------------------------------------------
// Cron
// ---------------------------------------------------------------------------

/// Once a second (`replicationCron`): reconnect, time out dead links, ping
/// replicas, send acks, expire the backlog.
pub fn cron(srv: &mut Server) {
    let now = now_ms();
    if now - srv.repl.last_cron_ms < 1000 {
        return;
    }
    srv.repl.last_cron_ms = now;
    let timeout_ms = i64::from(srv.config.repl_timeout) * 1000;
    // Replica side.
    if let Some(m) = &srv.repl.master {
        let state = m.state;
        let silent = now - m.last_io_ms > timeout_ms;
        match state {
            LinkState::Connect => connect_to_master(srv),
            LinkState::Connected => {
                if silent {
                    log::warn!("MASTER timeout: no data nor PING received...");
                    if let Some(cid) = m.cid {
                        srv.close_client_async(cid);
                        client_freed(srv, cid);
                    }
                } else {
                    send_ack(srv);
                }
            }
            LinkState::Transfer if silent => {
                log::warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
                abort_link(srv);
            }
            LinkState::Transfer => {}
            _ if silent => {
                log::warn!("Timeout connecting to the MASTER...");
                abort_link(srv);
            }
            _ => {}
        }
    }
    // Master side: start the snapshot replicas wait for, once the diskless
    // delay passed.
    crate::fullsync::start_pending(srv);
    // Master side: ping replicas every repl-ping-replica-period seconds.
    let period = u64::from(srv.config.repl_ping_replica_period.max(1));
    if srv.repl.cron_loops.is_multiple_of(period)
        && !srv.repl.replicas.is_empty()
        && srv.repl.feeding()
    {
        let mut buf = Vec::new();
        cat_command(&mut buf, &[b"PING".to_vec()]);
        feed_raw(srv, &buf);
    }
    // Replicas that stopped acking.
    let dead: Vec<usize> = srv
        .repl
        .replicas
        .iter()
        .copied()
        .filter(|&cid| {
            srv.clients
                .get(cid)
                .and_then(|c| c.repl.as_ref())
                .is_some_and(|r| r.online && !r.pre_psync && now - r.ack_time_ms > timeout_ms)
        })
        .collect();
    for cid in dead {
        let addr = srv.clients[cid].addr.clone();
        log::warn!("Disconnecting timedout replica (streaming sync): {}", addr);
        srv.close_client_async(cid);
    }
    // Free the backlog after repl-backlog-ttl without replicas.
    if srv.repl.replicas.is_empty()
        && srv.repl.backlog.is_some()
        && !srv.repl.is_replica()
        && srv.config.repl_backlog_ttl > 0
        && now - srv.repl.no_replicas_since_ms > srv.config.repl_backlog_ttl as i64 * 1000
    {
        // A new ID: whoever had our old history can no longer prove it.
        srv.repl.change_replid();
        srv.repl.clear_replid2();
        srv.repl.backlog = None;
        log::info!(
            "Replication backlog freed after {} seconds without connected replicas.",
            srv.config.repl_backlog_ttl
        );
    }
    refresh_good_replicas(srv);
    srv.repl.cron_loops += 1;
}
