//! Blocking operations: clients parked until a key is ready or a timeout
//! fires (~ Redis's `blocked.c` and `timeout.c`).
//!
//! # The model
//! A blocking command (BLPOP, BZPOPMIN, BLMOVE...) first tries to do its
//! work at once. If every key it watches is empty, and blocking is allowed
//! (not inside MULTI/EXEC), the handler calls [`block`]: the client is
//! parked with its keys, its deadline and its own argv, and no reply is
//! sent. A parked client reads no further commands; its input waits in the
//! query buffer.
//!
//! # Waking up
//! Every modification of a key goes through `Server::signal_modified_key`,
//! which marks the key *ready* when somebody is blocked on it. Ready keys
//! are served after each command and in `before_sleep`, in FIFO order of
//! blocking: each waiting client's command is executed again, exactly as
//! if it had just arrived, and either completes (the client is unblocked)
//! or finds the key empty again (it stays parked, keeping its place). A
//! client is only retried while the key holds a value of the type it waits
//! for, so a waiter is never woken into a WRONGTYPE error and the FIFO order
//! is preserved. Re-executing the command, rather than a per-type serve
//! routine, keeps one code path for replies, propagation (the served command
//! rewrites itself, e.g. BLPOP to LPOP) and keyspace events.
//!
//! # Stream waiters
//! XREAD and XREADGROUP are the exception: a client blocked on streams
//! waits for entries after a given ID (or after its group's last delivered
//! ID), not for "the key is non-empty", so every waiter is judged on its
//! own ([`StreamWait`], Redis's `serveClientsBlockedOnStreamKey`): served
//! when the stream's last ID is past what it waits for, by running a
//! one-key non-blocking XREAD / XREADGROUP for it (so the reply has only
//! that key, as in Redis); failed with `-NOGROUP` when its group was
//! destroyed or `-UNBLOCKED` when the stream key is gone (XREADGROUP only,
//! including FLUSHALL and SWAPDB: [`scan_database_for_deleted_streams`]);
//! otherwise left waiting without holding up the others.
//!
//! # Timeouts
//! Deadlines are absolute milliseconds; `before_sleep` checks them on every
//! loop turn and the poll timeout never sleeps past the nearest one, so
//! sub-second timeouts are honoured. A timed-out client gets the command's
//! null reply. `CLIENT UNBLOCK id [TIMEOUT|ERROR]` ends a wait early.
//!
//! Invariant: a client is in `blocking_keys` for exactly the keys of its
//! `blocked` state; both are cleared together ([`unblock`]).

use std::collections::{HashMap, VecDeque};

use crate::commands::table::CmdId;
use crate::commands::{arg_eq, parse_i64_arg};
use crate::server::{Ctx, Server};
use crate::util::long_double::LongDouble;

/// What a parked client waits for.
#[derive(Debug, Clone)]
pub struct BlockedState {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Absolute deadline in ms; `None` waits forever.
    pub deadline_ms: Option<i64>,
    /// The command to run again when a key is ready.
    pub cmd: CmdId,
    pub argv: Vec<Vec<u8>>,
    /// Type name the keys must hold for the command to make progress.
    pub wants_type: &'static str,
    /// XREAD / XREADGROUP: what the client waits for on each stream.
    pub stream: Option<StreamWait>,
}

/// What a client blocked in XREAD / XREADGROUP waits for (the `bpop`
/// stream fields of a Redis client).
#[derive(Debug, Clone)]
pub struct StreamWait {
    /// Per key (same order as [`BlockedState::keys`]): entries after this
    /// ID are wanted (`$` already resolved; MAX for `>`).
    pub ids: Vec<crate::db::stream::StreamId>,
    /// Most entries to return (COUNT, or 1000 when none was given).
    pub count: u64,
    /// XREADGROUP: group, consumer, NOACK.
    pub group: Option<(Vec<u8>, Vec<u8>, bool)>,
}

/// Server-wide blocking state.
#[derive(Debug, Default)]
pub struct BlockingState {
    /// (db, key) -> blocked clients, oldest first.
    pub keys: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys that became ready since the last serve, in order.
    pub ready: Vec<(usize, Vec<u8>)>,
    /// Slab keys of blocked clients.
    pub clients: Vec<usize>,
    /// Clients unblocked whose pending input must be processed.
    pub unblocked: Vec<usize>,
    /// While a waiter's command is executed again: its original deadline,
    /// kept if it has to wait again (a retry must not extend the wait).
    reprocess_deadline: Option<Option<i64>>,
}

/// Parse a blocking timeout in seconds (fractions allowed) into an
/// absolute deadline (Redis's `getTimeoutFromObjectOrReply`).
/// `Some(None)` means "block forever"; `None` means the error was replied.
pub fn parse_timeout(srv: &Server, ctx: &mut Ctx, i: usize) -> Option<Option<i64>> {
    let ms = match LongDouble::parse(ctx.arg(i)) {
        Some(v) if !v.is_nan() => v.seconds_to_ms_ceil(),
        _ => {
            ctx.out.error("ERR timeout is not a float or out of range");
            return None;
        }
    };
    if ms < 0 {
        ctx.out.error("ERR timeout is negative");
        return None;
    }
    if ms == 0 {
        return Some(None);
    }
    Some(Some(ms.saturating_add(srv.cmd_time_ms)))
}

/// May the running command block? Not inside MULTI/EXEC (Redis's
/// CLIENT_DENY_BLOCKING), where it must answer at once.
pub fn may_block(srv: &Server) -> bool {
    !srv.in_exec && srv.scripting.run.is_none() && !srv.loading
}

/// Park the client running `ctx` on `keys` (Redis's `blockForKeys`).
pub fn block(
    srv: &mut Server,
    ctx: &Ctx,
    keys: Vec<Vec<u8>>,
    deadline_ms: Option<i64>,
    wants_type: &'static str,
) {
    let cid = ctx.cid;
    let deadline_ms = srv.blocking.reprocess_deadline.unwrap_or(deadline_ms);
    for k in &keys {
        let q = srv.blocking.keys.entry((ctx.db, k.clone())).or_default();
        if !q.contains(&cid) {
            q.push_back(cid);
        }
    }
    if !srv.blocking.clients.contains(&cid) {
        srv.blocking.clients.push(cid);
    }
    if let Some(c) = srv.clients.get_mut(cid) {
        c.blocked = Some(BlockedState {
            db: ctx.db,
            keys,
            deadline_ms,
            cmd: ctx.cmd,
            argv: ctx.argv.clone(),
            wants_type,
            stream: None,
        });
    }
}

/// Park an XREAD / XREADGROUP client (`blockForKeys` with BLOCKED_STREAM).
pub fn block_stream(
    srv: &mut Server,
    ctx: &Ctx,
    keys: Vec<Vec<u8>>,
    deadline_ms: Option<i64>,
    wait: StreamWait,
) {
    block(srv, ctx, keys, deadline_ms, "stream");
    if let Some(st) = srv
        .clients
        .get_mut(ctx.cid)
        .and_then(|c| c.blocked.as_mut())
    {
        st.stream = Some(wait);
    }
}

/// What to do with a client blocked on a stream key that was signalled
/// (`serveClientsBlockedOnStreamKey`, `unblockDeletedStreamReadgroupClients`).
enum StreamServe {
    /// Nothing new for it: keep waiting.
    Wait,
    /// Unblock it with this error.
    Error(&'static str),
    /// Unblock it and run this one-key read for it.
    Serve(Vec<Vec<u8>>),
}

/// Decide for one stream waiter, as Redis does: an XREADGROUP client is
/// failed when the key is gone (or is no longer a stream) or its group
/// was destroyed, and served when the stream's last ID is past the
/// group's last delivered ID; an XREAD client is served when the last ID
/// is past the ID it waits for, and otherwise keeps waiting (even when the
/// key was deleted).
fn stream_serve_decision(srv: &Server, db: usize, key: &[u8], st: &BlockedState) -> StreamServe {
    let Some(w) = &st.stream else {
        return StreamServe::Wait;
    };
    let stream = match srv.dbs[db].peek(key) {
        Some(o) if !srv.dbs[db].is_expired(key, crate::server::now_ms()) => match &o.value {
            crate::db::Value::Stream(s) => Some(s),
            _ => None,
        },
        _ => None,
    };
    let Some(s) = stream else {
        return if w.group.is_some() {
            StreamServe::Error("UNBLOCKED the stream key no longer exists")
        } else {
            StreamServe::Wait
        };
    };
    let idx = st.keys.iter().position(|k| k == key).unwrap_or(0);
    let count = w.count.to_string().into_bytes();
    match &w.group {
        Some((g, c, noack)) => {
            let Some(cg) = s.cgroups.get(g) else {
                return StreamServe::Error(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                );
            };
            if s.last_id <= cg.last_id {
                return StreamServe::Wait;
            }
            let mut argv = vec![
                b"XREADGROUP".to_vec(),
                b"GROUP".to_vec(),
                g.clone(),
                c.clone(),
                b"COUNT".to_vec(),
                count,
            ];
            if *noack {
                argv.push(b"NOACK".to_vec());
            }
            argv.extend([b"STREAMS".to_vec(), key.to_vec(), b">".to_vec()]);
            StreamServe::Serve(argv)
        }
        None => {
            let gt = w.ids.get(idx).copied().unwrap_or_default();
            if s.last_id <= gt {
                return StreamServe::Wait;
            }
            StreamServe::Serve(vec![
                b"XREAD".to_vec(),
                b"COUNT".to_vec(),
                count,
                b"STREAMS".to_vec(),
                key.to_vec(),
                gt.to_bytes(),
            ])
        }
    }
}

/// Remove a client from every wait queue (Redis's `unblockClient`). Its
/// pending input will be processed again.
pub fn unblock(srv: &mut Server, cid: usize) -> Option<BlockedState> {
    let st = srv.clients.get_mut(cid)?.blocked.take()?;
    for k in &st.keys {
        let key = (st.db, k.clone());
        if let Some(q) = srv.blocking.keys.get_mut(&key) {
            q.retain(|&c| c != cid);
            if q.is_empty() {
                srv.blocking.keys.remove(&key);
            }
        }
    }
    srv.blocking.clients.retain(|&c| c != cid);
    srv.blocking.unblocked.push(cid);
    Some(st)
}

/// A key changed: wake its waiters at the next serve (Redis's
/// `signalKeyAsReady`).
pub fn signal_key_as_ready(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.blocking.keys.is_empty() {
        return;
    }
    let k = (db, key.to_vec());
    if srv.blocking.keys.contains_key(&k) && !srv.blocking.ready.contains(&k) {
        srv.blocking.ready.push(k);
    }
}

/// After SWAPDB: mark ready every key of `db` that has waiters and now
/// exists (Redis's `scanDatabaseForReadyKeys`).
pub fn scan_database_for_ready_keys(srv: &mut Server, db: usize) {
    let keys: Vec<Vec<u8>> = srv
        .blocking
        .keys
        .keys()
        .filter(|(d, k)| *d == db && srv.dbs[db].dict.contains_key(&k[..]))
        .map(|(_, k)| k.clone())
        .collect();
    for k in keys {
        signal_key_as_ready(srv, db, &k);
    }
}

/// Before `emptied` is flushed or swapped away for `replaced_with`: mark
/// ready every key with waiters that holds a stream now and will not
/// afterwards, so XREADGROUP clients learn that their stream is gone
/// (Redis's `scanDatabaseForDeletedStreams`).
pub fn scan_database_for_deleted_streams(
    srv: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    let is_stream = |srv: &Server, db: usize, k: &[u8]| {
        srv.dbs[db]
            .peek(k)
            .is_some_and(|o| matches!(o.value, crate::db::Value::Stream(_)))
    };
    let keys: Vec<Vec<u8>> = srv
        .blocking
        .keys
        .keys()
        .filter(|(d, k)| {
            *d == emptied
                && is_stream(srv, emptied, k)
                && !replaced_with.is_some_and(|r| is_stream(srv, r, k))
        })
        .map(|(_, k)| k.clone())
        .collect();
    for k in keys {
        signal_key_as_ready(srv, emptied, &k);
    }
}

/// Serve clients blocked on ready keys (Redis's `handleClientsBlockedOnKeys`).
pub fn serve_ready_keys(srv: &mut Server) {
    // Serving can make more keys ready (BLMOVE pushes): loop until quiet.
    let mut rounds = 0;
    while !srv.blocking.ready.is_empty() && rounds < 1000 {
        rounds += 1;
        let ready = std::mem::take(&mut srv.blocking.ready);
        for (db, key) in ready {
            let waiters: Vec<usize> = match srv.blocking.keys.get(&(db, key.clone())) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for cid in waiters {
                // Stream waiters each wait for something of their own (an
                // ID, a group): decided one by one, never stopping the
                // queue.
                let decision = match srv.clients.get(cid).and_then(|c| c.blocked.as_ref()) {
                    Some(st) if st.stream.is_some() => {
                        Some(stream_serve_decision(srv, db, &key, st))
                    }
                    _ => None,
                };
                match decision {
                    Some(StreamServe::Wait) => continue,
                    Some(StreamServe::Error(msg)) => {
                        let Some(st) = unblock(srv, cid) else {
                            continue;
                        };
                        let mut errs = Vec::new();
                        if let Some(c) = srv.clients.get_mut(cid) {
                            c.reply.resp = c.resp;
                            c.reply.error(msg);
                            errs = std::mem::take(&mut c.reply.errors);
                        }
                        // The blocked command ends here, failed
                        // (`updateStatsOnUnblock`).
                        srv.count_errors(errs);
                        let e = &mut srv.commands.entries[st.cmd];
                        e.stats.calls += 1;
                        e.stats.failed_calls += 1;
                        srv.mark_pending_write(cid);
                        continue;
                    }
                    Some(StreamServe::Serve(argv)) => {
                        let Some(st) = unblock(srv, cid) else {
                            continue;
                        };
                        let saved_db = srv.clients[cid].db;
                        srv.clients[cid].db = st.db;
                        srv.reprocessing = true;
                        srv.call(cid, st.cmd, argv);
                        srv.reprocessing = false;
                        if let Some(c) = srv.clients.get_mut(cid) {
                            if c.blocked.is_none() {
                                c.db = saved_db;
                            }
                        }
                        srv.mark_pending_write(cid);
                        continue;
                    }
                    None => {}
                }
                // Only while the key holds what the waiter needs: the rest
                // keep their place in the queue.
                let wants = match srv.clients.get(cid).and_then(|c| c.blocked.as_ref()) {
                    Some(st) => st.wants_type,
                    None => continue,
                };
                // Looked up for writing, as Redis's lookupKeyWrite: a key
                // whose TTL passed is deleted here, and its DEL propagated.
                if srv.dbs[db].expire_if_needed(&key, crate::server::now_ms()) {
                    srv.drain_lazy_expired();
                }
                let has = srv.dbs[db]
                    .peek(&key)
                    .is_some_and(|o| o.value.type_name() == wants)
                    && !srv.dbs[db].is_expired(&key, crate::server::now_ms());
                if !has {
                    break;
                }
                let st = match unblock(srv, cid) {
                    Some(st) => st,
                    None => continue,
                };
                let saved_db = srv.clients[cid].db;
                srv.clients[cid].db = st.db;
                srv.reprocessing = true;
                srv.blocking.reprocess_deadline = Some(st.deadline_ms);
                srv.call(cid, st.cmd, st.argv);
                srv.blocking.reprocess_deadline = None;
                srv.reprocessing = false;
                if let Some(c) = srv.clients.get_mut(cid) {
                    if c.blocked.is_none() {
                        c.db = saved_db;
                    }
                }
                srv.mark_pending_write(cid);
            }
        }
    }
}

/// Reply to a client whose wait ended without data: the null the command
/// answers on timeout (Redis's `replyToBlockedClientTimedOut`).
fn reply_timeout(srv: &mut Server, cid: usize, wants_type: &str) {
    // WAIT answers with the replicas that acknowledged so far.
    if wants_type == crate::replication::WAIT_TYPE {
        crate::replication::wait_timeout_reply(srv, cid);
        return;
    }
    if let Some(c) = srv.clients.get_mut(cid) {
        c.reply.resp = c.resp;
        c.reply.null_array();
    }
    srv.mark_pending_write(cid);
}

/// The blocked clients whose wait satisfies `pred`, in blocking order.
pub fn blocked_clients_where(srv: &Server, pred: impl Fn(&BlockedState) -> bool) -> Vec<usize> {
    srv.blocking
        .clients
        .iter()
        .copied()
        .filter(|&cid| {
            srv.clients
                .get(cid)
                .and_then(|c| c.blocked.as_ref())
                .is_some_and(&pred)
        })
        .collect()
}

/// Time out expired waits (Redis's `handleBlockedClientsTimeout`).
pub fn handle_timeouts(srv: &mut Server, now_ms: i64) {
    if srv.blocking.clients.is_empty() {
        return;
    }
    let expired = blocked_clients_where(srv, |b| b.deadline_ms.is_some_and(|d| d <= now_ms));
    for cid in expired {
        if let Some(st) = unblock(srv, cid) {
            reply_timeout(srv, cid, st.wants_type);
        }
    }
}

/// The nearest deadline of any blocked client (to bound the poll timeout).
pub fn nearest_deadline(srv: &Server) -> Option<i64> {
    srv.blocking
        .clients
        .iter()
        .filter_map(|&cid| srv.clients.get(cid)?.blocked.as_ref()?.deadline_ms)
        .min()
}

/// Process the input that unblocked clients received while parked.
pub fn process_unblocked(srv: &mut Server) {
    while !srv.blocking.unblocked.is_empty() {
        for cid in std::mem::take(&mut srv.blocking.unblocked) {
            if srv.clients.get(cid).is_some_and(|c| c.blocked.is_none()) {
                srv.process_input(cid);
            }
        }
    }
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
pub fn client_unblock_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut error = false;
    if ctx.argc() == 4 {
        if arg_eq(ctx.arg(3), "timeout") {
            error = false;
        } else if arg_eq(ctx.arg(3), "error") {
            error = true;
        } else {
            ctx.out
                .error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if ctx.argc() != 3 {
        crate::pubsub::subcommand_syntax_error(ctx, "CLIENT");
        return;
    }
    let id = match parse_i64_arg(ctx, 2) {
        Some(v) => v,
        None => return,
    };
    let target = srv.client_by_id.get(&(id as u64)).copied();
    match target {
        Some(t) if srv.clients.get(t).is_some_and(|c| c.blocked.is_some()) => {
            let wants = unblock(srv, t).map_or("", |st| st.wants_type);
            if error {
                let c = &mut srv.clients[t];
                c.reply.resp = c.resp;
                c.reply
                    .error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                srv.mark_pending_write(t);
            } else {
                reply_timeout(srv, t, wants);
            }
            ctx.out.int(1);
        }
        _ => ctx.out.int(0),
    }
}
