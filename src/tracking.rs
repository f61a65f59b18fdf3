//! Client-side caching: CLIENT TRACKING and invalidation messages
//! (~ Redis's `tracking.c`).
//!
//! # Default mode
//! A client with tracking on tells the server "I cache what I read". After
//! each read-only command the keys it read are remembered in the tracking
//! table (key -> ids of clients that may cache it). When such a key is
//! modified, expired, evicted or flushed, every remembered client gets one
//! `invalidate` message for it and the key is forgotten (it will be
//! remembered again on the next read). OPTIN / OPTOUT restrict remembering
//! to reads preceded (or not) by `CLIENT CACHING yes|no`; NOLOOP skips
//! invalidations caused by the client's own writes.
//!
//! # Broadcast mode (BCAST)
//! Nothing is remembered per client: clients register key prefixes, every
//! modified key matching a prefix is collected, and `before_sleep` sends
//! each prefix's subscribers one message with all collected keys (sorted),
//! so a burst of writes costs one message per client per event-loop turn.
//!
//! # Delivery
//! RESP3 clients get a push `>2 invalidate [keys]`; RESP2 clients must
//! REDIRECT to another connection subscribed to `__redis__:invalidate`,
//! which receives them as pub/sub messages. A redirect target that has gone
//! away produces a `tracking-redir-broken` push (RESP3). Invalidations for
//! the client running the current command are held until its reply is
//! queued, so a reply never arrives after the invalidation of its own data.
//!
//! # Memory
//! `tracking-table-max-keys` bounds the table: over it, random keys are
//! invalidated early (Redis's `trackingLimitUsedSlots`).

use std::collections::{BTreeMap, HashMap};

use crate::commands::{arg_eq, parse_i64_arg, SYNTAX_ERR};
use crate::server::{Ctx, Server};

/// Subscribers of one BCAST prefix and the keys modified since the last
/// broadcast (key -> id of the client that modified it, for NOLOOP).
#[derive(Debug, Default)]
pub struct BcastState {
    pub clients: Vec<usize>,
    pub keys: BTreeMap<Vec<u8>, Option<usize>>,
}

/// Server-wide tracking state.
#[derive(Debug, Default)]
pub struct TrackingState {
    /// key -> ids of clients that may have cached it.
    pub table: HashMap<Vec<u8>, Vec<u64>>,
    pub total_items: usize,
    /// BCAST prefix -> state, in prefix order.
    pub prefixes: BTreeMap<Vec<u8>, BcastState>,
    /// Clients with tracking on.
    pub clients: usize,
    /// Invalidations for the running client, sent after its reply
    /// (`None` = the whole keyspace, after a flush).
    pub pending: Vec<Option<Vec<u8>>>,
    /// Slab key of the client whose command is running.
    pub current: Option<usize>,
    timeout_counter: u32,
}

/// Per-client tracking flags.
#[derive(Debug, Default, Clone)]
pub struct ClientTracking {
    pub on: bool,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes/no was given for the next command.
    pub caching: bool,
    pub broken_redir: bool,
    /// Client id to redirect to (0 = none).
    pub redirect: u64,
    /// BCAST prefixes, sorted.
    pub prefixes: Vec<Vec<u8>>,
}

const CHANNEL: &[u8] = b"__redis__:invalidate";

/// Send one invalidation to client `cid` (Redis's `sendTrackingMessage`).
/// `payload` is either a single key or raw protocol (`raw = true`: an
/// array of keys, or a null for "everything").
fn send_message(srv: &mut Server, cid: usize, payload: &[u8], raw: bool) {
    let (redirect, resp) = match srv.clients.get(cid) {
        Some(c) => (c.tracking.redirect, c.resp),
        None => return,
    };
    let mut target = cid;
    let mut redirected = false;
    if redirect != 0 {
        match srv.client_by_id.get(&redirect).copied() {
            Some(t) => {
                target = t;
                redirected = true;
            }
            None => {
                let c = &mut srv.clients[cid];
                c.tracking.broken_redir = true;
                if resp > 2 {
                    c.reply.resp = resp;
                    c.reply.begin_push();
                    c.reply.push_len(2);
                    c.reply.bulk(b"tracking-redir-broken");
                    c.reply.int(redirect as i64);
                    c.reply.end_push();
                    srv.mark_pending_write(cid);
                }
                return;
            }
        }
    }
    let t = match srv.clients.get_mut(target) {
        Some(t) => t,
        None => return,
    };
    t.reply.resp = t.resp;
    t.reply.begin_push();
    if t.resp > 2 {
        t.reply.push_len(2);
        t.reply.bulk(b"invalidate");
    } else if redirected && t.is_subscribed() {
        t.reply.array_len(3);
        t.reply.bulk(b"message");
        t.reply.bulk(CHANNEL);
    } else {
        t.reply.end_push();
        return;
    }
    if raw {
        t.reply.raw(payload);
    } else {
        t.reply.array_len(1);
        t.reply.bulk(payload);
    }
    t.reply.end_push();
    srv.mark_pending_write(target);
    srv.check_output_limits(target);
}

/// A key was modified (Redis's `trackingInvalidateKey`). `by_client` is
/// false when no client caused it (expiry, eviction), so NOLOOP does not
/// hide it in broadcast mode.
pub fn invalidate_key(srv: &mut Server, key: &[u8], bcast: bool, by_client: bool) {
    if srv.tracking.clients == 0 && srv.tracking.table.is_empty() {
        return;
    }
    let current = srv.tracking.current;
    if bcast && !srv.tracking.prefixes.is_empty() {
        let by = if by_client { current } else { None };
        for (p, bs) in srv.tracking.prefixes.iter_mut() {
            if key.starts_with(p) {
                bs.keys.insert(key.to_vec(), by);
            }
        }
    }
    let ids = match srv.tracking.table.remove(key) {
        Some(ids) => ids,
        None => return,
    };
    srv.tracking.total_items = srv.tracking.total_items.saturating_sub(ids.len());
    for id in ids {
        let cid = match srv.client_by_id.get(&id) {
            Some(&c) => c,
            None => continue,
        };
        let tr = &srv.clients[cid].tracking;
        if !tr.on || tr.bcast {
            continue;
        }
        if Some(cid) == current {
            if tr.noloop {
                continue;
            }
            srv.tracking.pending.push(Some(key.to_vec()));
        } else {
            send_message(srv, cid, key, false);
        }
    }
}

/// FLUSHDB/FLUSHALL: every tracking client invalidates everything
/// (Redis's `trackingInvalidateKeysOnFlush`).
pub fn invalidate_on_flush(srv: &mut Server) {
    if srv.tracking.clients > 0 {
        let ids: Vec<usize> = srv
            .clients
            .iter()
            .filter(|(_, c)| c.tracking.on)
            .map(|(k, _)| k)
            .collect();
        for cid in ids {
            if Some(cid) == srv.tracking.current {
                srv.tracking.pending.push(None);
            } else {
                let null: &[u8] = if srv.clients[cid].resp > 2 {
                    b"_\r\n"
                } else {
                    b"*-1\r\n"
                };
                send_message(srv, cid, null, true);
            }
        }
    }
    srv.tracking.table.clear();
    srv.tracking.total_items = 0;
}

/// After a read-only command: remember the keys it read (Redis's
/// `trackingRememberKeys`).
pub fn remember_keys(srv: &mut Server, cid: usize, keys: &[Vec<u8>]) {
    let id = {
        let c = &srv.clients[cid];
        let tr = &c.tracking;
        if (tr.optin && !tr.caching) || (tr.optout && tr.caching) {
            return;
        }
        c.id
    };
    for k in keys {
        let ids = srv.tracking.table.entry(k.clone()).or_default();
        if !ids.contains(&id) {
            ids.push(id);
            srv.tracking.total_items += 1;
        }
    }
}

/// Send the invalidations held for the client that just ran a command
/// (Redis's `trackingHandlePendingKeyInvalidations`).
pub fn handle_pending(srv: &mut Server, cid: usize) {
    if srv.tracking.pending.is_empty() {
        return;
    }
    for k in std::mem::take(&mut srv.tracking.pending) {
        match k {
            Some(key) => send_message(srv, cid, &key, false),
            None => {
                let null: &[u8] = if srv.clients.get(cid).is_some_and(|c| c.resp > 2) {
                    b"_\r\n"
                } else {
                    b"*-1\r\n"
                };
                send_message(srv, cid, null, true);
            }
        }
    }
}

/// `before_sleep`: send the keys collected for each BCAST prefix
/// (Redis's `trackingBroadcastInvalidationMessages`).
pub fn broadcast_invalidations(srv: &mut Server) {
    if srv.tracking.clients == 0 || srv.tracking.prefixes.is_empty() {
        return;
    }
    let mut work = Vec::new();
    for bs in srv.tracking.prefixes.values_mut() {
        if !bs.keys.is_empty() {
            work.push((std::mem::take(&mut bs.keys), bs.clients.clone()));
        }
    }
    for (keys, clients) in work {
        for cid in clients {
            let noloop = srv.clients.get(cid).is_some_and(|c| c.tracking.noloop);
            let chosen: Vec<&Vec<u8>> = keys
                .iter()
                .filter(|(_, by)| !(noloop && **by == Some(cid)))
                .map(|(k, _)| k)
                .collect();
            if chosen.is_empty() {
                continue;
            }
            let mut proto = format!("*{}\r\n", chosen.len()).into_bytes();
            for k in chosen {
                proto.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
                proto.extend_from_slice(k);
                proto.extend_from_slice(b"\r\n");
            }
            send_message(srv, cid, &proto, true);
        }
    }
}

/// Keep the tracking table within `tracking-table-max-keys` (Redis's
/// `trackingLimitUsedSlots`): invalidate arbitrary keys until under the
/// limit, with an effort that grows while the limit stays exceeded.
pub fn limit_used_slots(srv: &mut Server) {
    let max = srv.config.tracking_table_max_keys;
    if max == 0 || srv.tracking.table.len() <= max {
        srv.tracking.timeout_counter = 0;
        return;
    }
    let effort = 100 * (srv.tracking.timeout_counter as usize + 1);
    let victims: Vec<Vec<u8>> = srv.tracking.table.keys().take(effort).cloned().collect();
    for k in victims {
        invalidate_key(srv, &k, false, false);
        if srv.tracking.table.len() <= max {
            srv.tracking.timeout_counter = 0;
            return;
        }
    }
    srv.tracking.timeout_counter += 1;
}

/// Turn tracking off for a client (Redis's `disableTracking`).
pub fn disable(srv: &mut Server, cid: usize) {
    let tr = match srv.clients.get_mut(cid) {
        Some(c) if c.tracking.on => std::mem::take(&mut c.tracking),
        _ => return,
    };
    for p in tr.prefixes {
        if let Some(bs) = srv.tracking.prefixes.get_mut(&p) {
            bs.clients.retain(|&c| c != cid);
            if bs.clients.is_empty() {
                srv.tracking.prefixes.remove(&p);
            }
        }
    }
    srv.tracking.clients = srv.tracking.clients.saturating_sub(1);
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP]
pub fn client_tracking_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut redir: i64 = 0;
    let (mut bcast, mut optin, mut optout, mut noloop) = (false, false, false, false);
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        let opt = ctx.arg(j).to_vec();
        if arg_eq(&opt, "redirect") && more > 0 {
            j += 1;
            if redir != 0 {
                ctx.out
                    .error("ERR A client can only redirect to a single other client");
                return;
            }
            redir = match parse_i64_arg(ctx, j) {
                Some(v) => v,
                None => return,
            };
            if !srv.client_by_id.contains_key(&(redir as u64)) {
                ctx.out
                    .error("ERR The client ID you want redirect to does not exist");
                return;
            }
        } else if arg_eq(&opt, "bcast") {
            bcast = true;
        } else if arg_eq(&opt, "optin") {
            optin = true;
        } else if arg_eq(&opt, "optout") {
            optout = true;
        } else if arg_eq(&opt, "noloop") {
            noloop = true;
        } else if arg_eq(&opt, "prefix") && more > 0 {
            j += 1;
            prefixes.push(ctx.arg(j).to_vec());
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    let cid = ctx.cid;
    if arg_eq(ctx.arg(2), "on") {
        let cur = srv.clients[cid].tracking.clone();
        if !bcast && !prefixes.is_empty() {
            ctx.out
                .error("ERR PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if cur.on && cur.bcast != bcast {
            ctx.out.error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if bcast && (optin || optout) {
            ctx.out
                .error("ERR OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if optin && optout {
            ctx.out
                .error("ERR You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if (optin && cur.optout) || (optout && cur.optin) {
            ctx.out.error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if bcast {
            // Prefixes of one client must not overlap (one a prefix of the
            // other), neither with its existing ones nor among themselves.
            let overlaps = |a: &[u8], b: &[u8]| {
                let n = a.len().min(b.len());
                a[..n] == b[..n]
            };
            for (i, p) in prefixes.iter().enumerate() {
                if let Some(old) = cur.prefixes.iter().find(|o| overlaps(o, p)) {
                    ctx.out.error(&format!(
                        "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(old)
                    ));
                    return;
                }
                if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
                    ctx.out.error(&format!(
                        "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(other)
                    ));
                    return;
                }
            }
        }
        let c = &mut srv.clients[cid];
        if !c.tracking.on {
            srv.tracking.clients += 1;
        }
        let tr = &mut c.tracking;
        tr.on = true;
        tr.broken_redir = false;
        tr.redirect = redir as u64;
        tr.bcast = bcast;
        tr.optin = optin;
        tr.optout = optout;
        tr.noloop = noloop;
        if bcast {
            if prefixes.is_empty() {
                prefixes.push(Vec::new());
            }
            for p in prefixes {
                let bs = srv.tracking.prefixes.entry(p.clone()).or_default();
                if !bs.clients.contains(&cid) {
                    bs.clients.push(cid);
                    let tr = &mut srv.clients[cid].tracking;
                    if let Err(pos) = tr.prefixes.binary_search(&p) {
                        tr.prefixes.insert(pos, p);
                    }
                }
            }
        }
    } else if arg_eq(ctx.arg(2), "off") {
        disable(srv, cid);
    } else {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    ctx.out.ok();
}

/// CLIENT CACHING YES|NO
pub fn client_caching_command(srv: &mut Server, ctx: &mut Ctx) {
    let tr = &mut srv.clients[ctx.cid].tracking;
    if !tr.on {
        ctx.out.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if arg_eq(ctx.arg(2), "yes") {
        if !tr.optin {
            ctx.out.error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
            return;
        }
    } else if arg_eq(ctx.arg(2), "no") {
        if !tr.optout {
            ctx.out.error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
            return;
        }
    } else {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    tr.caching = true;
    ctx.out.ok();
}

/// CLIENT GETREDIR
pub fn client_getredir_command(srv: &mut Server, ctx: &mut Ctx) {
    let tr = &srv.clients[ctx.cid].tracking;
    ctx.out.int(if tr.on { tr.redirect as i64 } else { -1 });
}

/// CLIENT TRACKINGINFO
pub fn client_trackinginfo_command(srv: &mut Server, ctx: &mut Ctx) {
    let tr = srv.clients[ctx.cid].tracking.clone();
    ctx.out.map_len(3);
    ctx.out.bulk(b"flags");
    let mut flags: Vec<&[u8]> = vec![if tr.on { b"on" } else { b"off" }];
    if tr.bcast {
        flags.push(b"bcast");
    }
    if tr.optin {
        flags.push(b"optin");
        if tr.caching {
            flags.push(b"caching-yes");
        }
    }
    if tr.optout {
        flags.push(b"optout");
        if tr.caching {
            flags.push(b"caching-no");
        }
    }
    if tr.noloop {
        flags.push(b"noloop");
    }
    if tr.broken_redir {
        flags.push(b"broken_redirect");
    }
    ctx.out.set_len(flags.len());
    for f in flags {
        ctx.out.bulk(f);
    }
    ctx.out.bulk(b"redirect");
    if tr.on {
        ctx.out.int(tr.redirect as i64);
    } else {
        ctx.out.int(-1);
    }
    ctx.out.bulk(b"prefixes");
    ctx.out.array_len(tr.prefixes.len());
    for p in &tr.prefixes {
        ctx.out.bulk(p);
    }
}
