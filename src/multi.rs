//! Transactions: MULTI / EXEC / DISCARD and optimistic locking with WATCH
//! (~ Redis's `multi.c`).
//!
//! # Queueing
//! After MULTI a client's commands are not executed: `process_command` runs
//! the usual checks (lookup, arity, auth...), then queues the argv and
//! replies `+QUEUED`. A check that fails while queueing replies its error
//! and marks the transaction `dirty_exec`, so EXEC later refuses with
//! `EXECABORT` and nothing runs. Errors *during* EXEC (a WRONGTYPE, say)
//! are per-command replies; the other commands still run — Redis has no
//! rollback.
//!
//! # WATCH
//! WATCH records (db, key) pairs in a server-wide map from key to watching
//! clients (Redis keeps one such dict per database). Every modification of
//! a key goes through `Server::signal_modified_key`, which looks the key up
//! here and marks its watchers `dirty_cas`; FLUSHDB/FLUSHALL/SWAPDB mark the
//! watchers of keys that existed (`touch_all_watched_keys_in_db`). A key
//! that was already logically expired when watched is remembered as such,
//! so its later deletion by expiry does not count as a change, but a key
//! that expires after WATCH does abort EXEC. A dirty client's EXEC replies
//! with a null array.
//!
//! # Propagation
//! The writes of one EXEC reach replicas and the AOF wrapped in MULTI ...
//! EXEC, so they apply atomically there too (a single write goes alone,
//! as in Redis 7.0).
//!
//! Invariant: a client's `watched_keys` and the server's `watched` map
//! always describe the same set of (db, key, client) triples; a client's
//! watches are removed when it is freed.

use std::collections::HashMap;

use crate::commands::table::CmdId;
use crate::server::{Ctx, Server};

/// The queued commands of a client in MULTI state.
#[derive(Debug, Default)]
pub struct MultiState {
    pub commands: Vec<(CmdId, Vec<Vec<u8>>)>,
    /// A command failed to queue: EXEC must abort with EXECABORT.
    pub dirty_exec: bool,
    /// Bytes of queued arguments (`multi-mem` in CLIENT LIST).
    pub argv_bytes: usize,
}

/// One watcher of a key.
#[derive(Debug, Clone, Copy)]
pub struct Watcher {
    pub cid: usize,
    /// The key was already logically expired when WATCH ran.
    pub expired: bool,
}

/// Watched keys of all clients: (db, key) -> watchers.
pub type WatchMap = HashMap<(usize, Box<[u8]>), Vec<Watcher>>;

/// Is `cid` currently inside MULTI?
pub fn in_multi(srv: &Server, cid: usize) -> bool {
    srv.clients.get(cid).is_some_and(|c| c.multi.is_some())
}

/// Queue a command (Redis's `queueMultiCommand`).
pub fn queue_command(srv: &mut Server, cid: usize, id: CmdId, argv: Vec<Vec<u8>>) {
    let c = &mut srv.clients[cid];
    if let Some(m) = c.multi.as_mut() {
        m.argv_bytes += argv.iter().map(|a| a.len()).sum::<usize>();
        m.commands.push((id, argv));
    }
    c.reply.raw(b"+QUEUED\r\n");
}

/// Mark the transaction of `cid` as failed (Redis's `flagTransaction`).
pub fn flag_transaction(srv: &mut Server, cid: usize) {
    if let Some(m) = srv.clients.get_mut(cid).and_then(|c| c.multi.as_mut()) {
        m.dirty_exec = true;
    }
}

/// Leave MULTI state and drop every watch (Redis's `discardTransaction`).
pub fn discard_transaction(srv: &mut Server, cid: usize) {
    if let Some(c) = srv.clients.get_mut(cid) {
        c.multi = None;
        c.flags.dirty_cas = false;
    }
    unwatch_all_keys(srv, cid);
}

/// Remove all watches of a client.
pub fn unwatch_all_keys(srv: &mut Server, cid: usize) {
    let keys = match srv.clients.get_mut(cid) {
        Some(c) if !c.watched_keys.is_empty() => std::mem::take(&mut c.watched_keys),
        _ => return,
    };
    for k in keys {
        if let Some(list) = srv.watched.get_mut(&k) {
            list.retain(|w| w.cid != cid);
            if list.is_empty() {
                srv.watched.remove(&k);
            }
        }
    }
}

/// A key changed: mark its watchers (Redis's `touchWatchedKey`).
pub fn touch_watched_key(srv: &mut Server, db: usize, key: &[u8]) {
    if srv.watched.is_empty() {
        return;
    }
    let k: (usize, Box<[u8]>) = (db, key.into());
    let watchers = match srv.watched.get_mut(&k) {
        Some(w) => w,
        None => return,
    };
    let exists = srv.dbs[db].dict.contains_key(key);
    let mut dirty = Vec::new();
    for w in watchers.iter_mut() {
        if w.expired {
            // Deleting a key that was already expired when watched is not a
            // change; any other touch stops the scan, as in Redis 7.0.
            if !exists {
                w.expired = false;
                continue;
            }
            break;
        }
        dirty.push(w.cid);
    }
    for cid in dirty {
        if let Some(c) = srv.clients.get_mut(cid) {
            c.flags.dirty_cas = true;
        }
        unwatch_all_keys(srv, cid);
    }
}

/// A database is about to be emptied, or swapped with `replaced_with`
/// (Redis's `touchAllWatchedKeysInDb`). Call before the data changes.
pub fn touch_all_watched_keys_in_db(
    srv: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    if srv.watched.is_empty() {
        return;
    }
    let now = srv.cmd_time_ms;
    let keys: Vec<(usize, Box<[u8]>)> = srv
        .watched
        .keys()
        .filter(|(db, _)| *db == emptied)
        .cloned()
        .collect();
    for k in keys {
        let in_emptied = srv.dbs[emptied].dict.contains_key(&k.1[..]);
        let in_other = replaced_with.is_some_and(|o| srv.dbs[o].dict.contains_key(&k.1[..]));
        if !in_emptied && !in_other {
            continue;
        }
        let other_expired = replaced_with.is_some_and(|o| srv.dbs[o].is_expired(&k.1, now));
        let mut dirty = Vec::new();
        if let Some(list) = srv.watched.get_mut(&k) {
            for w in list.iter_mut() {
                if w.expired {
                    if !in_other {
                        w.expired = false;
                        continue;
                    } else if other_expired {
                        continue;
                    }
                } else if !in_emptied && other_expired {
                    w.expired = true;
                    continue;
                }
                dirty.push(w.cid);
            }
        }
        for cid in dirty {
            if let Some(c) = srv.clients.get_mut(cid) {
                c.flags.dirty_cas = true;
            }
        }
    }
}

/// Did a watched key expire after it was watched (Redis's
/// `isWatchedKeyExpired`)?
fn watched_key_expired(srv: &Server, cid: usize) -> bool {
    let now = srv.cmd_time_ms;
    let c = &srv.clients[cid];
    c.watched_keys.iter().any(|k| {
        let was_expired = srv
            .watched
            .get(k)
            .and_then(|l| l.iter().find(|w| w.cid == cid))
            .is_some_and(|w| w.expired);
        !was_expired && srv.dbs[k.0].is_expired(&k.1, now)
    })
}

/// MULTI
pub fn multi_command(srv: &mut Server, ctx: &mut Ctx) {
    let c = &mut srv.clients[ctx.cid];
    if c.multi.is_some() {
        ctx.out.error("ERR MULTI calls can not be nested");
        return;
    }
    c.multi = Some(MultiState::default());
    ctx.out.ok();
}

/// DISCARD
pub fn discard_command(srv: &mut Server, ctx: &mut Ctx) {
    if !in_multi(srv, ctx.cid) {
        ctx.out.error("ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(srv, ctx.cid);
    ctx.out.ok();
}

/// EXEC
pub fn exec_command(srv: &mut Server, ctx: &mut Ctx) {
    let cid = ctx.cid;
    if !in_multi(srv, cid) {
        ctx.out.error("ERR EXEC without MULTI");
        return;
    }
    if watched_key_expired(srv, cid) {
        srv.clients[cid].flags.dirty_cas = true;
    }
    let (dirty_cas, dirty_exec) = {
        let c = &srv.clients[cid];
        (
            c.flags.dirty_cas,
            c.multi.as_ref().is_some_and(|m| m.dirty_exec),
        )
    };
    if dirty_cas || dirty_exec {
        if dirty_exec {
            ctx.out
                .error("EXECABORT Transaction discarded because of previous errors.");
        } else {
            ctx.out.null_array();
        }
        discard_transaction(srv, cid);
        return;
    }
    unwatch_all_keys(srv, cid);
    let state = srv.clients[cid].multi.take().unwrap_or_default();
    ctx.out.array_len(state.commands.len());
    // The queued commands write their replies after the array header: hand
    // the buffer back to the client while they run.
    srv.clients[cid].reply.append(&mut ctx.out);
    srv.clients[cid].db = ctx.db;
    srv.in_exec = true;
    srv.exec_propagated.clear();
    for (id, argv) in state.commands {
        // The user's permissions may have changed since the command was
        // queued: check them again (execCommand).
        if let Err(d) = crate::commands::acl_cmd::check_all_perm(srv, cid, id, &argv) {
            use crate::acl::Denied;
            let reason = match d {
                Denied::Cmd => "no permission to execute the command or subcommand",
                Denied::Key(_) => "no permission to touch the specified keys",
                Denied::Channel(_) => {
                    "no permission to access one of the channels used as arguments"
                }
            };
            crate::commands::acl_cmd::log_denied(
                srv,
                cid,
                d,
                crate::acl::LogContext::Multi,
                id,
                &argv,
            );
            let c = &mut srv.clients[cid];
            c.reply.error(&format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"));
            let errs = std::mem::take(&mut c.reply.errors);
            srv.count_errors(errs);
            continue;
        }
        srv.call(cid, id, argv);
    }
    srv.in_exec = false;
    ctx.db = srv.clients[cid].db;
    let queued = std::mem::take(&mut srv.exec_propagated);
    // One write is atomic on its own: like Redis 7.0
    // (propagatePendingCommands), only two or more get MULTI/EXEC around.
    if queued.len() == 1 {
        let (db, argv) = &queued[0];
        srv.propagate(*db, argv);
    } else if !queued.is_empty() {
        let first_db = queued[0].0;
        srv.propagate(first_db, &[b"MULTI".to_vec()]);
        for (db, argv) in &queued {
            srv.propagate(*db, argv);
        }
        // EXEC goes with the last command's database, so that no SELECT
        // comes between it and that command.
        let last_db = queued[queued.len() - 1].0;
        srv.propagate(last_db, &[b"EXEC".to_vec()]);
    }
    srv.clients[cid].flags.dirty_cas = false;
}

/// WATCH key [key ...]
pub fn watch_command(srv: &mut Server, ctx: &mut Ctx) {
    let cid = ctx.cid;
    if in_multi(srv, cid) {
        ctx.out.error("ERR WATCH inside MULTI is not allowed");
        return;
    }
    // A client already dirty stays dirty: watching more changes nothing.
    if srv.clients[cid].flags.dirty_cas {
        ctx.out.ok();
        return;
    }
    let now = srv.cmd_time_ms;
    for i in 1..ctx.argc() {
        let k: (usize, Box<[u8]>) = (ctx.db, ctx.arg(i).into());
        if srv.clients[cid].watched_keys.contains(&k) {
            continue;
        }
        let expired = srv.dbs[ctx.db].is_expired(&k.1, now);
        srv.watched
            .entry(k.clone())
            .or_default()
            .push(Watcher { cid, expired });
        srv.clients[cid].watched_keys.push(k);
    }
    ctx.out.ok();
}

/// UNWATCH
pub fn unwatch_command(srv: &mut Server, ctx: &mut Ctx) {
    unwatch_all_keys(srv, ctx.cid);
    srv.clients[ctx.cid].flags.dirty_cas = false;
    ctx.out.ok();
}
