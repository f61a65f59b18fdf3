//! Stream commands (~ the command half of Redis's `t_stream.c`): XADD
//! XRANGE XREVRANGE XLEN XDEL XTRIM XREAD XREADGROUP XGROUP XACK XPENDING
//! XCLAIM XAUTOCLAIM XINFO XSETID.
//!
//! The value type lives in `db/stream.rs`; this file holds argument
//! parsing (in Redis's order, so the same bad input gets the same error),
//! replies, keyspace notifications and propagation.
//!
//! # Propagation
//!
//! Stream commands that depend on the clock or on the server's state are
//! never propagated as sent; replicas and the AOF get deterministic
//! commands instead, exactly the ones Redis generates:
//! - XADD with `*` or `ms-*` propagates the ID it generated, and an
//!   approximate trim (`~`) propagates as an exact one (`=`) to the length
//!   (MAXLEN) or first ID (MINID) it actually left;
//! - XREADGROUP, XCLAIM and XAUTOCLAIM propagate one
//!   `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID id`
//!   per PEL entry they created or changed (and per PEL entry they dropped
//!   because its stream entry is gone), an `XGROUP SETID ... ENTRIESREAD`
//!   when the group's last ID moved without an XCLAIM to carry it (NOACK),
//!   and `XGROUP CREATECONSUMER` for a consumer created by a NOACK read.
//!
//! # Blocking
//!
//! XREAD and XREADGROUP with BLOCK park the client through `blocked.rs`
//! with a [`crate::blocked::StreamWait`] recording, per key, the ID the
//! client wants entries after (`$` already resolved), the count, and the
//! group and consumer. When a key is signalled, `blocked.rs` decides, as
//! Redis's `serveClientsBlockedOnStreamKey` does, whether the client can be
//! served (the stream's last ID is past what it waits for) and then runs a
//! one-key, non-blocking XREAD / XREADGROUP for it through `call()`, so the
//! reply, the PEL updates and the propagation are this file's.

use crate::blocked::StreamWait;
use crate::commands::{arg_eq, arity_error, typed, WrongType, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_NEW, NOTIFY_STREAM};
use crate::db::listpack::LpEntry;
use crate::db::stream::{
    AppendError, Consumer, ConsumerGroup, Nack, NodeLimits, Stream, StreamId, TrimArgs,
    TrimStrategy, INVALID_ENTRIES_READ,
};
use crate::db::{RObj, Value};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::numbers;

const INVALID_ID_ERR: &str = "ERR Invalid stream ID specified as stream command argument";
/// Default COUNT of a blocked XREAD (XREAD_BLOCKED_DEFAULT_COUNT).
const XREAD_BLOCKED_DEFAULT_COUNT: u64 = 1000;

/// Wall-clock milliseconds (Redis's `mstime()`, which stream code reads
/// directly rather than the cached command time).
fn mstime() -> i64 {
    crate::server::now_ms()
}

/// Key text for error messages.
fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn lookup_stream<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    write: bool,
) -> Result<Option<&'a mut Stream>, WrongType> {
    let o = if write {
        srv.lookup_write(db, key)
    } else {
        srv.lookup_read(db, key)
    };
    typed(o, Value::stream_mut)
}

/// The stream at `key` without touching statistics (the key was looked up
/// already by the handler).
fn stream_at<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Stream> {
    match srv.dbs[db].dict.get_mut(key).map(|o| &mut o.value) {
        Some(Value::Stream(s)) => Some(s),
        _ => None,
    }
}

fn limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes,
        max_entries: srv.config.stream_node_max_entries,
    }
}

/// Parse argument `i` as an ID (`streamParseIDOrReply` /
/// `streamParseStrictIDOrReply`); replies the error on failure.
fn parse_id(ctx: &mut Ctx, i: usize, missing_seq: u64, strict: bool) -> Option<StreamId> {
    match StreamId::parse(ctx.arg(i), missing_seq, strict, false) {
        Some((id, _)) => Some(id),
        None => {
            ctx.out.error(INVALID_ID_ERR);
            None
        }
    }
}

/// A range bound with the optional `(` exclusive prefix
/// (`streamParseIntervalIDOrReply`): returns the ID and whether it is
/// exclusive.
fn parse_interval(ctx: &mut Ctx, i: usize, missing_seq: u64) -> Option<(StreamId, bool)> {
    let a = ctx.arg(i);
    if a.len() > 1 && a[0] == b'(' {
        match StreamId::parse(&a[1..], missing_seq, true, false) {
            Some((id, _)) => Some((id, true)),
            None => {
                ctx.out.error(INVALID_ID_ERR);
                None
            }
        }
    } else {
        parse_id(ctx, i, missing_seq, false).map(|id| (id, false))
    }
}

/// `getLongLongFromObjectOrReply` with Redis's default or a custom message.
fn parse_ll(ctx: &mut Ctx, i: usize, msg: Option<&str>) -> Option<i64> {
    match numbers::parse_i64(ctx.arg(i)) {
        Some(v) => Some(v),
        None => {
            match msg {
                Some(m) => ctx.out.error(&format!("ERR {}", m)),
                None => ctx.out.error(NOT_INT_ERR),
            }
            None
        }
    }
}

fn reply_lp(out: &mut ReplyBuf, e: &LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(*v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// One entry as `[id, [field, value, ...]]`.
fn reply_entry(out: &mut ReplyBuf, id: StreamId, fv: &[(LpEntry<'_>, LpEntry<'_>)]) {
    out.array_len(2);
    out.bulk(&id.to_bytes());
    out.array_len(fv.len() * 2);
    for (f, v) in fv {
        reply_lp(out, f);
        reply_lp(out, v);
    }
}

/// A scratch buffer for replies whose length is only known at the end
/// (Redis's deferred lengths).
fn scratch(out: &ReplyBuf) -> ReplyBuf {
    let mut b = ReplyBuf::new();
    b.resp = out.resp;
    b
}

/// Emit the entries in `start..=end` (at most `count`, 0 = all) without
/// the array header; returns how many (`streamReplyWithRange` with
/// STREAM_RWR_RAWENTRIES and no group).
fn emit_range(
    out: &mut ReplyBuf,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: u64,
    rev: bool,
) -> u64 {
    let mut n = 0u64;
    s.range(start, end, rev, |id, fv| {
        reply_entry(out, id, &fv);
        n += 1;
        count == 0 || n < count
    });
    n
}

/// [`emit_range`] as one array.
fn reply_range(
    out: &mut ReplyBuf,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: u64,
    rev: bool,
) {
    let mut tmp = scratch(out);
    let n = emit_range(&mut tmp, s, start, end, count, rev);
    out.array_len(n as usize);
    out.append(&mut tmp);
}

/// Side effects collected while a stream is borrowed, applied afterwards.
#[derive(Default)]
struct Effects {
    /// Keyspace events (class `t`), in order.
    events: Vec<&'static str>,
    dirty: u64,
    /// Commands to propagate instead of the command itself.
    props: Vec<Vec<Vec<u8>>>,
}

impl Effects {
    fn apply(self, srv: &mut Server, ctx: &mut Ctx, db: usize, key: &[u8]) {
        for e in &self.events {
            srv.notify(ctx, NOTIFY_STREAM, e, key, db);
        }
        srv.dirty += self.dirty;
    }
}

/// The XCLAIM that recreates a PEL entry on replicas (`streamPropagateXCLAIM`).
fn xclaim_prop(
    key: &[u8],
    group: &[u8],
    id: &[u8],
    nack: &Nack,
    last_id: StreamId,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        nack.consumer.clone(),
        b"0".to_vec(),
        id.to_vec(),
        b"TIME".to_vec(),
        nack.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        nack.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        last_id.to_bytes(),
    ]
}

/// `XGROUP SETID key group id ENTRIESREAD n` (`streamPropagateGroupID`).
fn setid_prop(key: &[u8], group: &[u8], cg: &ConsumerGroup) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        cg.last_id.to_bytes(),
        b"ENTRIESREAD".to_vec(),
        cg.entries_read.to_string().into_bytes(),
    ]
}

/// Find or create a consumer (`streamLookupConsumer` +
/// `streamCreateConsumer`): a created one counts as dirty and emits
/// `xgroup-createconsumer`; an existing one has its seen time refreshed.
/// Returns whether it was created.
fn touch_consumer(cg: &mut ConsumerGroup, name: &[u8], now: i64, fx: &mut Effects) -> bool {
    match cg.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time = now;
            false
        }
        None => {
            cg.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            fx.dirty += 1;
            fx.events.push("xgroup-createconsumer");
            true
        }
    }
}

// ---------------------------------------------------------------------------
// XADD / XTRIM
// ---------------------------------------------------------------------------

/// Parsed XADD / XTRIM options (`streamAddTrimArgs`).
struct AddTrimArgs {
    /// Explicit ID and whether its sequence was given (XADD only).
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
    trim: TrimArgs,
    /// Index of the MAXLEN / MINID value, for the propagation rewrite.
    trim_arg_idx: usize,
    /// Index of the ID argument (XADD).
    idpos: usize,
}

/// `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(srv: &Server, ctx: &mut Ctx, xadd: bool) -> Option<AddTrimArgs> {
    let argc = ctx.argc();
    let mut a = AddTrimArgs {
        id: None,
        no_mkstream: false,
        trim: TrimArgs {
            strategy: TrimStrategy::None,
            approx: false,
            limit: 0,
        },
        trim_arg_idx: 0,
        idpos: 0,
    };
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = ctx.arg(i);
        if xadd && opt == b"*" {
            break;
        } else if (arg_eq(opt, "maxlen") || arg_eq(opt, "minid")) && moreargs > 0 {
            let maxlen = arg_eq(opt, "maxlen");
            if a.trim.strategy != TrimStrategy::None {
                ctx.out.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return None;
            }
            a.trim.approx = false;
            let next = ctx.arg(i + 1);
            if moreargs >= 2 && next == b"~" {
                a.trim.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            if maxlen {
                let v = parse_ll(ctx, i + 1, None)?;
                if v < 0 {
                    ctx.out.error("ERR The MAXLEN argument must be >= 0.");
                    return None;
                }
                a.trim.strategy = TrimStrategy::MaxLen(v as u64);
            } else {
                let id = parse_id(ctx, i + 1, 0, true)?;
                a.trim.strategy = TrimStrategy::MinId(id);
            }
            i += 1;
            a.trim_arg_idx = i;
        } else if arg_eq(opt, "limit") && moreargs > 0 {
            limit = parse_ll(ctx, i + 1, None)?;
            if limit < 0 {
                ctx.out.error("ERR The LIMIT argument must be >= 0.");
                return None;
            }
            limit_given = true;
            i += 1;
        } else if xadd && arg_eq(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            match StreamId::parse(opt, 0, true, true) {
                Some(id) => a.id = Some(id),
                None => {
                    ctx.out.error(INVALID_ID_ERR);
                    return None;
                }
            }
            break;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        }
        i += 1;
    }
    a.idpos = i;
    if limit != 0 && a.trim.strategy == TrimStrategy::None {
        ctx.out
            .error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.trim.strategy == TrimStrategy::None {
        ctx.out
            .error("ERR syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if srv.loading {
        // Commands replayed from the AOF obey exactly (mustObeyClient).
        limit = 0;
    } else if limit_given {
        if !a.trim.approx {
            ctx.out
                .error("ERR syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if a.trim.approx {
        limit = (100 * srv.config.stream_node_max_entries).min(i64::MAX as u64) as i64;
        if limit <= 0 {
            limit = 10000;
        }
        if limit > 1_000_000 {
            limit = 1_000_000;
        }
    } else {
        limit = 0;
    }
    a.trim.limit = limit as u64;
    Some(a)
}

/// After an approximate trim: the argv to propagate, with `~` replaced by
/// `=` and the bound by what the trim really left
/// (`streamRewriteApproxSpecifier` + `streamRewriteTrimArgument`).
fn rewrite_trim_args(argv: &mut [Vec<u8>], s: &Stream, a: &AddTrimArgs) {
    argv[a.trim_arg_idx - 1] = b"=".to_vec();
    argv[a.trim_arg_idx] = match a.trim.strategy {
        TrimStrategy::MaxLen(_) => s.length.to_string().into_bytes(),
        _ => s.first_id_with_tombstones().to_bytes(),
    };
}

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]`
pub fn xadd_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(a) = parse_add_trim(srv, ctx, true) else {
        return;
    };
    let field_pos = a.idpos + 1;
    let argc = ctx.argc();
    if argc < field_pos + 2 || (argc - field_pos) % 2 == 1 {
        return arity_error(srv, ctx);
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return ctx
                .out
                .error("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let mut created = false;
    match lookup_stream(srv, db, &key, true) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(Some(_)) => {}
        Ok(None) => {
            if a.no_mkstream {
                return ctx.out.null();
            }
            let lru = srv.new_obj_lru();
            srv.dbs[db].add(
                key.clone().into(),
                RObj::new(Value::Stream(Box::new(Stream::new())), lru),
            );
            created = true;
        }
    }
    if created {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
    }
    let lim = limits(srv);
    let Some(s) = stream_at(srv, db, &key) else {
        return;
    };
    if s.last_id == StreamId::MAX {
        return ctx
            .out
            .error("ERR The stream has exhausted the last possible ID, unable to add more items");
    }
    let pairs: Vec<(&[u8], &[u8])> = ctx.argv[field_pos..]
        .chunks(2)
        .map(|c| (c[0].as_slice(), c[1].as_slice()))
        .collect();
    let id =
        match s.append(&pairs, a.id, mstime().max(0) as u64, lim) {
            Ok(id) => id,
            Err(AppendError::IdTooSmall) => return ctx.out.error(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ),
            Err(AppendError::TooLarge) => {
                return ctx.out.error("ERR Elements are too large to be stored")
            }
        };
    let idb = id.to_bytes();
    ctx.out.bulk(&idb);
    let mut trimmed = false;
    let mut argv: Option<Vec<Vec<u8>>> = None;
    if a.trim.strategy != TrimStrategy::None {
        trimmed = s.trim(&a.trim) > 0;
        if a.trim.approx {
            let mut v = ctx.argv.clone();
            rewrite_trim_args(&mut v, s, &a);
            argv = Some(v);
        }
    }
    if !matches!(a.id, Some((_, true))) {
        let v = argv.get_or_insert_with(|| ctx.argv.clone());
        v[a.idpos] = idb;
    }
    srv.signal_modified_key(db, &key);
    srv.notify(ctx, NOTIFY_STREAM, "xadd", &key, db);
    srv.dirty += 1;
    if trimmed {
        srv.notify(ctx, NOTIFY_STREAM, "xtrim", &key, db);
    }
    if let Some(v) = argv {
        ctx.rewrite_as(v);
    }
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`
pub fn xtrim_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(a) = parse_add_trim(srv, ctx, false) else {
        return;
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let s = match lookup_stream(srv, db, &key, true) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(s)) => s,
    };
    let deleted = s.trim(&a.trim);
    if deleted > 0 && a.trim.approx {
        let mut v = ctx.argv.clone();
        rewrite_trim_args(&mut v, s, &a);
        ctx.rewrite_as(v);
    }
    if deleted > 0 {
        srv.notify(ctx, NOTIFY_STREAM, "xtrim", &key, db);
        srv.signal_modified_key(db, &key);
        srv.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
}

// ---------------------------------------------------------------------------
// XRANGE / XREVRANGE / XLEN / XDEL
// ---------------------------------------------------------------------------

fn xrange_generic(srv: &mut Server, ctx: &mut Ctx, rev: bool) {
    let (si, ei) = if rev { (3, 2) } else { (2, 3) };
    let Some((mut start, sx)) = parse_interval(ctx, si, 0) else {
        return;
    };
    if sx {
        match start.incr() {
            Some(v) => start = v,
            None => return ctx.out.error("ERR invalid start ID for the interval"),
        }
    }
    let Some((mut end, ex)) = parse_interval(ctx, ei, u64::MAX) else {
        return;
    };
    if ex {
        match end.decr() {
            Some(v) => end = v,
            None => return ctx.out.error("ERR invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < ctx.argc() {
        if arg_eq(ctx.arg(j), "count") && ctx.argc() - j > 1 {
            let Some(c) = parse_ll(ctx, j + 1, None) else {
                return;
            };
            count = c.max(0);
            j += 2;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let s = match lookup_stream(srv, db, &key, false) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.array_len(0),
        Ok(Some(s)) => s,
    };
    if count == 0 {
        ctx.out.null_array();
    } else {
        let c = if count == -1 { 0 } else { count as u64 };
        reply_range(&mut ctx.out, s, start, end, c, rev);
    }
}

/// `XRANGE key start end [COUNT count]`
pub fn xrange_command(srv: &mut Server, ctx: &mut Ctx) {
    xrange_generic(srv, ctx, false);
}

/// `XREVRANGE key end start [COUNT count]`
pub fn xrevrange_command(srv: &mut Server, ctx: &mut Ctx) {
    xrange_generic(srv, ctx, true);
}

/// XLEN key
pub fn xlen_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.argv[1].clone();
    match lookup_stream(srv, ctx.db, &key, false) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(s)) => ctx.out.int(s.length as i64),
    }
}

/// `XDEL key id [id ...]`
pub fn xdel_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    match lookup_stream(srv, db, &key, true) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(_)) => {}
    }
    let mut ids = Vec::with_capacity(ctx.argc() - 2);
    for j in 2..ctx.argc() {
        let Some(id) = parse_id(ctx, j, 0, true) else {
            return;
        };
        ids.push(id);
    }
    let Some(s) = stream_at(srv, db, &key) else {
        return;
    };
    let mut deleted = 0u64;
    let mut first_entry = false;
    for id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_entry = true;
            }
            if id > s.max_deleted_entry_id {
                s.max_deleted_entry_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.length == 0 {
            s.first_id = StreamId::MIN;
        } else if first_entry {
            s.first_id = s.edge_id(true).unwrap_or(StreamId::MIN);
        }
        srv.signal_modified_key(db, &key);
        srv.notify(ctx, NOTIFY_STREAM, "xdel", &key, db);
        srv.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
}

// ---------------------------------------------------------------------------
// XREAD / XREADGROUP
// ---------------------------------------------------------------------------

/// Deliver new entries to a consumer of a group (`streamReplyWithRange`
/// with a group): entries after `start` (inclusive) up to `count`, moving
/// the group's last ID and read counter, creating or reassigning PEL
/// entries (unless NOACK), and collecting the XCLAIMs (or the SETID) that
/// replicate all that. Writes the entries array to `out`.
#[allow(clippy::too_many_arguments)]
fn deliver_to_group(
    out: &mut ReplyBuf,
    s: &mut Stream,
    key: &[u8],
    gname: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: u64,
    noack: bool,
    now: i64,
    fx: &mut Effects,
) {
    // Gather first: the group is updated while entries are emitted.
    let mut ids: Vec<StreamId> = Vec::new();
    let mut tmp = scratch(out);
    s.range(start, StreamId::MAX, false, |id, fv| {
        reply_entry(&mut tmp, id, &fv);
        ids.push(id);
        count == 0 || (ids.len() as u64) < count
    });
    let mut propagate_last_id = false;
    for id in &ids {
        let id = *id;
        let has_tomb = s.range_has_tombstones(id, StreamId::MAX);
        let est = s.estimate_distance_from_first_ever_entry(id);
        let entries_added = s.entries_added;
        let Some(cg) = s.cgroups.get_mut(gname) else {
            break;
        };
        if id > cg.last_id {
            if cg.entries_read != INVALID_ENTRIES_READ && !has_tomb {
                cg.entries_read = cg.entries_read.wrapping_add(1);
            } else if entries_added > 0 {
                cg.entries_read = est;
            }
            cg.last_id = id;
            if noack {
                propagate_last_id = true;
            }
        }
        if !noack {
            match cg.pel.get_mut(&id) {
                None => {
                    cg.pel.insert(
                        id,
                        Nack {
                            delivery_time: now,
                            delivery_count: 1,
                            consumer: consumer.to_vec(),
                        },
                    );
                    if let Some(c) = cg.consumers.get_mut(consumer) {
                        c.pel.insert(id);
                    }
                }
                Some(n) => {
                    n.delivery_time = now;
                    n.delivery_count = 1;
                    cg.assign_nack(id, consumer);
                }
            }
            if let Some(n) = cg.pel.get(&id) {
                fx.props
                    .push(xclaim_prop(key, gname, &id.to_bytes(), n, cg.last_id));
            }
        }
    }
    if propagate_last_id {
        if let Some(cg) = s.cgroups.get(gname) {
            fx.props.push(setid_prop(key, gname, cg));
        }
    }
    out.array_len(ids.len());
    out.append(&mut tmp);
}

/// A consumer's history (`streamReplyWithRangeFromConsumerPEL`): its own
/// pending entries from `start`, each with its fields (or a null when the
/// entry was deleted since), counting one more delivery for each found.
fn deliver_history(
    out: &mut ReplyBuf,
    s: &mut Stream,
    gname: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: u64,
    now: i64,
) {
    let ids: Vec<StreamId> = match s.cgroups.get(gname).and_then(|g| g.consumers.get(consumer)) {
        Some(c) => c
            .pel
            .range(start..)
            .take(if count == 0 {
                usize::MAX
            } else {
                count as usize
            })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    out.array_len(ids.len());
    let mut found = Vec::new();
    for id in &ids {
        let mut hit = false;
        s.range(*id, *id, false, |eid, fv| {
            reply_entry(out, eid, &fv);
            hit = true;
            false
        });
        if !hit {
            out.array_len(2);
            out.bulk(&id.to_bytes());
            out.null_array();
        } else {
            found.push(*id);
        }
    }
    if let Some(cg) = s.cgroups.get_mut(gname) {
        for id in found {
            if let Some(n) = cg.pel.get_mut(&id) {
                n.delivery_time = now;
                n.delivery_count = n.delivery_count.wrapping_add(1);
            }
        }
    }
}

/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]`
pub fn xread_command(srv: &mut Server, ctx: &mut Ctx) {
    xread_generic(srv, ctx, false);
}

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]`
pub fn xreadgroup_command(srv: &mut Server, ctx: &mut Ctx) {
    xread_generic(srv, ctx, true);
}

fn xread_generic(srv: &mut Server, ctx: &mut Ctx, xreadgroup: bool) {
    let argc = ctx.argc();
    let mut timeout: Option<i64> = None;
    let mut count: u64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(Vec<u8>, Vec<u8>)> = None;
    let cmdname = String::from_utf8_lossy(ctx.arg(0)).into_owned();
    // XREADGROUP never propagates itself, only its effects.
    if xreadgroup {
        ctx.rewrite = Some(Vec::new());
    }
    let mut i = 1;
    while i < argc {
        let moreargs = argc - i - 1;
        let o = ctx.arg(i);
        if arg_eq(o, "block") && moreargs > 0 {
            if srv.scripting.run.is_some() {
                return ctx.out.error(&format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    cmdname
                ));
            }
            i += 1;
            let Some(t) = parse_ll(ctx, i, Some("timeout is not an integer or out of range"))
            else {
                return;
            };
            if t < 0 {
                return ctx.out.error("ERR timeout is negative");
            }
            timeout = Some(t);
        } else if arg_eq(o, "count") && moreargs > 0 {
            i += 1;
            let Some(c) = parse_ll(ctx, i, None) else {
                return;
            };
            count = c.max(0) as u64;
        } else if arg_eq(o, "streams") && moreargs > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                return ctx.out.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
            }
            streams_count /= 2;
            break;
        } else if arg_eq(o, "group") && moreargs >= 2 {
            if !xreadgroup {
                return ctx
                    .out
                    .error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            }
            group = Some((ctx.argv[i + 1].clone(), ctx.argv[i + 2].clone()));
            i += 2;
        } else if arg_eq(o, "noack") {
            if !xreadgroup {
                return ctx
                    .out
                    .error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
            }
            noack = true;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        i += 1;
    }
    if streams_arg == 0 {
        return ctx.out.error(SYNTAX_ERR);
    }
    if xreadgroup && group.is_none() {
        return ctx.out.error("ERR Missing GROUP option for XREADGROUP");
    }
    let db = ctx.db;
    // Resolve the IDs; `>` is MAX.
    let mut ids: Vec<StreamId> = Vec::with_capacity(streams_count);
    for k in 0..streams_count {
        let key = ctx.argv[streams_arg + k].clone();
        let idarg = ctx.argv[streams_arg + streams_count + k].clone();
        let s = match lookup_stream(srv, db, &key, false) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(s) => s,
        };
        if let Some((g, _)) = &group {
            let exists = s.as_ref().is_some_and(|s| s.cgroups.contains_key(g));
            if !exists {
                return ctx.out.error(&format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    lossy(&key),
                    lossy(g)
                ));
            }
        }
        if idarg == b"$" {
            if xreadgroup {
                return ctx.out.error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            ids.push(s.map(|s| s.last_id).unwrap_or(StreamId::MIN));
            continue;
        } else if idarg == b">" {
            if !xreadgroup {
                return ctx.out.error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            ids.push(StreamId::MAX);
            continue;
        }
        match StreamId::parse(&idarg, 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => return ctx.out.error(INVALID_ID_ERR),
        }
    }

    // Serve synchronously what can be served.
    let serving_blocked = srv.reprocessing;
    let now = mstime();
    let mut served = 0usize;
    let mut body = scratch(&ctx.out);
    for (k, &wanted) in ids.iter().enumerate() {
        let key = ctx.argv[streams_arg + k].clone();
        let s = match lookup_stream(srv, db, &key, false) {
            Ok(Some(s)) => s,
            _ => continue,
        };
        let mut gt = wanted;
        let mut history = false;
        let serve = if let Some((g, _)) = &group {
            if gt != StreamId::MAX {
                history = true;
                true
            } else {
                let last = s.cgroups.get(g).map(|c| c.last_id).unwrap_or(StreamId::MAX);
                let top = if serving_blocked {
                    s.last_id
                } else if s.length > 0 {
                    s.last_valid_id()
                } else {
                    StreamId::MIN
                };
                if (s.length > 0 || serving_blocked) && top > last {
                    gt = last;
                    true
                } else {
                    false
                }
            }
        } else if serving_blocked {
            s.last_id > gt
        } else {
            s.length > 0 && s.last_valid_id() > gt
        };
        if !serve {
            continue;
        }
        served += 1;
        // The range is inclusive: start after `gt`.
        let start = gt.incr().unwrap_or(StreamId::MAX);
        if body.resp == 2 {
            body.array_len(2);
        }
        body.bulk(&key);
        match &group {
            None => reply_range(&mut body, s, start, StreamId::MAX, count, false),
            Some((g, c)) => {
                let mut fx = Effects::default();
                let gname = g.clone();
                let cname = c.clone();
                if let Some(cg) = s.cgroups.get_mut(&gname) {
                    let created = touch_consumer(cg, &cname, now, &mut fx);
                    if created && noack {
                        fx.props.push(vec![
                            b"XGROUP".to_vec(),
                            b"CREATECONSUMER".to_vec(),
                            key.clone(),
                            gname.clone(),
                            cname.clone(),
                        ]);
                    }
                }
                if history {
                    deliver_history(&mut body, s, &gname, &cname, start, count, now);
                } else {
                    deliver_to_group(
                        &mut body, s, &key, &gname, &cname, start, count, noack, now, &mut fx,
                    );
                }
                fx.dirty += 1;
                if let Some(r) = ctx.rewrite.as_mut() {
                    r.append(&mut fx.props);
                }
                fx.apply(srv, ctx, db, &key);
            }
        }
    }
    if served > 0 {
        if ctx.out.resp == 2 {
            ctx.out.array_len(served);
        } else {
            ctx.out.map_len(served);
        }
        ctx.out.append(&mut body);
        if ctx.rewrite.as_ref().is_some_and(|r| !r.is_empty()) {
            ctx.force_propagate = true;
        }
        return;
    }
    if let Some(t) = timeout {
        if !crate::blocked::may_block(srv) {
            return ctx.out.null_array();
        }
        let deadline = if t > 0 {
            Some(t.saturating_add(mstime()))
        } else {
            None
        };
        let keys: Vec<Vec<u8>> = ctx.argv[streams_arg..streams_arg + streams_count].to_vec();
        let wait = StreamWait {
            ids,
            count: if count > 0 {
                count
            } else {
                XREAD_BLOCKED_DEFAULT_COUNT
            },
            group: group.map(|(g, c)| (g, c, noack)),
        };
        crate::blocked::block_stream(srv, ctx, keys, deadline, wait);
        return;
    }
    ctx.out.null_array();
}

// ---------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// XGROUP HELP
pub fn xgroup_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    crate::commands::reply_help(ctx, XGROUP_HELP);
}

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER (one handler,
/// as Redis's `xgroupCommand`).
pub fn xgroup_command(srv: &mut Server, ctx: &mut Ctx) {
    let argc = ctx.argc();
    let opt = ctx.argv[1].to_ascii_lowercase();
    let create = opt == b"create";
    let setid = opt == b"setid";
    let mut mkstream = false;
    let mut entries_read: i64 = INVALID_ENTRIES_READ;
    let db = ctx.db;
    let key = ctx.argv[2].clone();
    let grp = ctx.argv[3].clone();
    let mut i = 5;
    while i < argc {
        if create && arg_eq(ctx.arg(i), "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && arg_eq(ctx.arg(i), "entriesread") && i + 1 < argc {
            let Some(v) = parse_ll(ctx, i + 1, None) else {
                return;
            };
            if v < 0 && v != INVALID_ENTRIES_READ {
                return ctx
                    .out
                    .error("ERR value for ENTRIESREAD must be positive or -1");
            }
            entries_read = v;
            i += 2;
        } else {
            return crate::pubsub::subcommand_syntax_error(ctx, "XGROUP");
        }
    }
    let exists = match lookup_stream(srv, db, &key, true) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(s) => s.map(|s| s.cgroups.contains_key(&grp)),
    };
    if !mkstream {
        match exists {
            None => {
                return ctx.out.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
            }
            Some(false) if setid || opt == b"createconsumer" || opt == b"delconsumer" => {
                return ctx.out.error(&format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    lossy(&grp),
                    lossy(&key)
                ))
            }
            _ => {}
        }
    }
    if create && (5..=8).contains(&argc) {
        let id = if ctx.arg(4) == b"$" {
            stream_at(srv, db, &key)
                .map(|s| s.last_id)
                .unwrap_or(StreamId::MIN)
        } else {
            let Some(id) = parse_id(ctx, 4, 0, true) else {
                return;
            };
            id
        };
        if exists.is_none() {
            let lru = srv.new_obj_lru();
            srv.dbs[db].add(
                key.clone().into(),
                RObj::new(Value::Stream(Box::new(Stream::new())), lru),
            );
            srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
            srv.signal_modified_key(db, &key);
        }
        let Some(s) = stream_at(srv, db, &key) else {
            return;
        };
        if s.cgroups.contains_key(&grp) {
            return ctx
                .out
                .error("BUSYGROUP Consumer Group name already exists");
        }
        s.cgroups.insert(grp, ConsumerGroup::new(id, entries_read));
        ctx.out.ok();
        srv.dirty += 1;
        srv.notify(ctx, NOTIFY_STREAM, "xgroup-create", &key, db);
    } else if setid && (argc == 5 || argc == 7) {
        let Some(s) = stream_at(srv, db, &key) else {
            return;
        };
        let id = if ctx.argv[4] == b"$" {
            s.last_id
        } else {
            match StreamId::parse(&ctx.argv[4], 0, false, false) {
                Some((id, _)) => id,
                None => return ctx.out.error(INVALID_ID_ERR),
            }
        };
        if let Some(cg) = s.cgroups.get_mut(&grp) {
            cg.last_id = id;
            cg.entries_read = entries_read;
        }
        ctx.out.ok();
        srv.dirty += 1;
        srv.notify(ctx, NOTIFY_STREAM, "xgroup-setid", &key, db);
    } else if opt == b"destroy" && argc == 4 {
        let removed = stream_at(srv, db, &key).is_some_and(|s| s.cgroups.remove(&grp).is_some());
        if removed {
            ctx.out.int(1);
            srv.dirty += 1;
            srv.notify(ctx, NOTIFY_STREAM, "xgroup-destroy", &key, db);
            // Wake XREADGROUP clients of this group: they get -NOGROUP.
            crate::blocked::signal_key_as_ready(srv, db, &key);
        } else {
            ctx.out.int(0);
        }
    } else if opt == b"createconsumer" && argc == 5 {
        let cname = ctx.argv[4].clone();
        let now = mstime();
        let mut fx = Effects::default();
        let created = stream_at(srv, db, &key)
            .and_then(|s| s.cgroups.get_mut(&grp))
            .is_some_and(|cg| {
                if cg.consumers.contains_key(&cname) {
                    false
                } else {
                    touch_consumer(cg, &cname, now, &mut fx)
                }
            });
        ctx.out.int(i64::from(created));
        fx.apply(srv, ctx, db, &key);
    } else if opt == b"delconsumer" && argc == 5 {
        let cname = ctx.argv[4].clone();
        let pending = stream_at(srv, db, &key)
            .and_then(|s| s.cgroups.get_mut(&grp))
            .and_then(|cg| cg.delete_consumer(&cname));
        if pending.is_some() {
            srv.dirty += 1;
            srv.notify(ctx, NOTIFY_STREAM, "xgroup-delconsumer", &key, db);
        }
        ctx.out.int(pending.unwrap_or(0) as i64);
    } else {
        crate::pubsub::subcommand_syntax_error(ctx, "XGROUP");
    }
}

// ---------------------------------------------------------------------------
// XSETID / XACK / XPENDING
// ---------------------------------------------------------------------------

/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`
pub fn xsetid_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(id) = parse_id(ctx, 2, 0, true) else {
        return;
    };
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let argc = ctx.argc();
    let mut i = 3;
    while i < argc {
        let moreargs = argc - 1 - i;
        if arg_eq(ctx.arg(i), "entriesadded") && moreargs > 0 {
            let Some(v) = parse_ll(ctx, i + 1, None) else {
                return;
            };
            if v < 0 {
                return ctx.out.error("ERR entries_added must be positive");
            }
            entries_added = v;
            i += 2;
        } else if arg_eq(ctx.arg(i), "maxdeletedid") && moreargs > 0 {
            let Some(v) = parse_id(ctx, i + 1, 0, true) else {
                return;
            };
            if id < v {
                return ctx.out.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
            }
            max_xdel = v;
            i += 2;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let s = match lookup_stream(srv, db, &key, true) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.error("ERR no such key"),
        Ok(Some(s)) => s,
    };
    if s.length > 0 {
        if id < s.last_valid_id() {
            return ctx.out.error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return ctx.out.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_entry_id = max_xdel;
    }
    ctx.out.ok();
    srv.dirty += 1;
    srv.notify(ctx, NOTIFY_STREAM, "xsetid", &key, db);
}

/// `XACK key group id [id ...]`
pub fn xack_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let grp = ctx.argv[2].clone();
    let has_group = match lookup_stream(srv, db, &key, false) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(s) => s.is_some_and(|s| s.cgroups.contains_key(&grp)),
    };
    if !has_group {
        return ctx.out.int(0);
    }
    let mut ids = Vec::with_capacity(ctx.argc() - 3);
    for j in 3..ctx.argc() {
        let Some(id) = parse_id(ctx, j, 0, true) else {
            return;
        };
        ids.push(id);
    }
    let mut acked = 0i64;
    if let Some(cg) = stream_at(srv, db, &key).and_then(|s| s.cgroups.get_mut(&grp)) {
        for id in ids {
            if cg.remove_nack(&id).is_some() {
                acked += 1;
            }
        }
    }
    srv.dirty += acked as u64;
    ctx.out.int(acked);
}

/// `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`
pub fn xpending_command(srv: &mut Server, ctx: &mut Ctx) {
    let argc = ctx.argc();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return ctx.out.error(SYNTAX_ERR);
    }
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<Vec<u8>> = None;
    if argc >= 6 {
        let mut si = 3;
        if arg_eq(ctx.arg(3), "idle") {
            let Some(v) = parse_ll(ctx, 4, None) else {
                return;
            };
            minidle = v;
            if argc < 8 {
                return ctx.out.error(SYNTAX_ERR);
            }
            si += 2;
        }
        let Some(c) = parse_ll(ctx, si + 2, None) else {
            return;
        };
        count = c.max(0);
        let Some((s0, sx)) = parse_interval(ctx, si, 0) else {
            return;
        };
        start = s0;
        if sx {
            match start.incr() {
                Some(v) => start = v,
                None => return ctx.out.error("ERR invalid start ID for the interval"),
            }
        }
        let Some((e0, ex)) = parse_interval(ctx, si + 1, u64::MAX) else {
            return;
        };
        end = e0;
        if ex {
            match end.decr() {
                Some(v) => end = v,
                None => return ctx.out.error("ERR invalid end ID for the interval"),
            }
        }
        if si + 3 < argc {
            consumer = Some(ctx.argv[si + 3].clone());
        }
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let grp = ctx.argv[2].clone();
    let s = match lookup_stream(srv, db, &key, false) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(s) => s,
    };
    let Some(cg) = s.and_then(|s| s.cgroups.get(&grp)) else {
        return ctx.out.error(&format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            lossy(&key),
            lossy(&grp)
        ));
    };
    let out = &mut ctx.out;
    if justinfo {
        out.array_len(4);
        out.int(cg.pel.len() as i64);
        match (cg.pel.keys().next(), cg.pel.keys().next_back()) {
            (Some(first), Some(last)) => {
                out.bulk(&first.to_bytes());
                out.bulk(&last.to_bytes());
                let with: Vec<_> = cg
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array_len(with.len());
                for (name, c) in with {
                    out.array_len(2);
                    out.bulk(name);
                    out.bulk(c.pel.len().to_string().as_bytes());
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return;
    }
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match cg.consumers.get(name) {
            Some(c) => {
                if start > end {
                    Vec::new()
                } else {
                    c.pel.range(start..=end).copied().collect()
                }
            }
            None => return out.array_len(0),
        },
        None => {
            if start > end {
                Vec::new()
            } else {
                cg.pel.range(start..=end).map(|(k, _)| *k).collect()
            }
        }
    };
    let now = mstime();
    let mut rows = Vec::new();
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(n) = cg.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now.saturating_sub(n.delivery_time) < minidle {
            continue;
        }
        count -= 1;
        rows.push((id, n));
    }
    out.array_len(rows.len());
    for (id, n) in rows {
        out.array_len(4);
        out.bulk(&id.to_bytes());
        out.bulk(&n.consumer);
        out.int(now.saturating_sub(n.delivery_time).max(0));
        out.int(n.delivery_count as i64);
    }
}

// ---------------------------------------------------------------------------
// XCLAIM / XAUTOCLAIM
// ---------------------------------------------------------------------------

/// How XCLAIM / XAUTOCLAIM update a claimed PEL entry.
struct ClaimOpts {
    now: i64,
    /// The entry's new delivery time (XCLAIM's IDLE/TIME, else now).
    delivery_time: i64,
    /// RETRYCOUNT: set the delivery count; otherwise it grows by one,
    /// except with JUSTID.
    retrycount: Option<u64>,
    justid: bool,
}

/// Give PEL entry `id` of `cg` to consumer `cname` (created, or its seen
/// time refreshed, on the first claim of the command: `have_consumer`) and
/// update its delivery time and count, the step XCLAIM and XAUTOCLAIM
/// share. Returns the entry as it now is and the group's last ID, for the
/// propagated XCLAIM.
fn claim_nack(
    cg: &mut ConsumerGroup,
    id: StreamId,
    cname: &[u8],
    o: &ClaimOpts,
    have_consumer: &mut bool,
    fx: &mut Effects,
) -> (Option<Nack>, StreamId) {
    if !*have_consumer {
        touch_consumer(cg, cname, o.now, fx);
        *have_consumer = true;
    }
    cg.assign_nack(id, cname);
    if let Some(nack) = cg.pel.get_mut(&id) {
        nack.delivery_time = o.delivery_time;
        if let Some(n) = o.retrycount {
            nack.delivery_count = n;
        } else if !o.justid {
            nack.delivery_count = nack.delivery_count.wrapping_add(1);
        }
    }
    (cg.pel.get(&id).cloned(), cg.last_id)
}

/// Whether `key` holds a stream with consumer group `grp`; if not, the
/// WRONGTYPE or NOGROUP error is replied (XCLAIM, XAUTOCLAIM).
fn require_group(srv: &mut Server, ctx: &mut Ctx, db: usize, key: &[u8], grp: &[u8]) -> bool {
    let has_group = match lookup_stream(srv, db, key, false) {
        Err(WrongType) => {
            ctx.out.error(WRONGTYPE);
            return false;
        }
        Ok(s) => s.is_some_and(|s| s.cgroups.contains_key(grp)),
    };
    if !has_group {
        ctx.out.error(&format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            lossy(key),
            lossy(grp)
        ));
    }
    has_group
}

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]`
pub fn xclaim_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let grp = ctx.argv[2].clone();
    if !require_group(srv, ctx, db, &key, &grp) {
        return;
    }
    let Some(minidle) = parse_ll(ctx, 4, Some("Invalid min-idle-time argument for XCLAIM")) else {
        return;
    };
    let minidle = minidle.max(0);
    let argc = ctx.argc();
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match StreamId::parse(ctx.arg(j), 0, true, false) {
            Some((id, _)) => ids.push((id, j)),
            None => break,
        }
        j += 1;
    }
    let now = mstime();
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut force = false;
    let mut justid = false;
    let mut last_id = StreamId::MIN;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = ctx.arg(j);
        if arg_eq(opt, "force") {
            force = true;
        } else if arg_eq(opt, "justid") {
            justid = true;
        } else if arg_eq(opt, "idle") && moreargs > 0 {
            j += 1;
            let Some(v) = parse_ll(ctx, j, Some("Invalid IDLE option argument for XCLAIM")) else {
                return;
            };
            deliverytime = now.saturating_sub(v);
        } else if arg_eq(opt, "time") && moreargs > 0 {
            j += 1;
            let Some(v) = parse_ll(ctx, j, Some("Invalid TIME option argument for XCLAIM")) else {
                return;
            };
            deliverytime = v;
        } else if arg_eq(opt, "retrycount") && moreargs > 0 {
            j += 1;
            let Some(v) = parse_ll(
                ctx,
                j,
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            ) else {
                return;
            };
            retrycount = v;
        } else if arg_eq(opt, "lastid") && moreargs > 0 {
            j += 1;
            let Some(v) = parse_id(ctx, j, 0, true) else {
                return;
            };
            last_id = v;
        } else {
            return ctx
                .out
                .error(&format!("ERR Unrecognized XCLAIM option '{}'", lossy(opt)));
        }
        j += 1;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let cname = ctx.argv[3].clone();
    let mut fx = Effects::default();
    let mut tmp = scratch(&ctx.out);
    let mut n = 0usize;
    if let Some(s) = stream_at(srv, db, &key) {
        let mut propagate_last_id = false;
        if let Some(cg) = s.cgroups.get_mut(&grp) {
            if last_id > cg.last_id {
                cg.last_id = last_id;
                propagate_last_id = true;
            }
        }
        let mut have_consumer = false;
        for (id, argi) in ids {
            let exists = s.entry_exists(id);
            let Some(cg) = s.cgroups.get_mut(&grp) else {
                break;
            };
            if !exists {
                if let Some(nack) = cg.pel.get(&id) {
                    fx.props
                        .push(xclaim_prop(&key, &grp, &ctx.argv[argi], nack, cg.last_id));
                    propagate_last_id = false;
                    fx.dirty += 1;
                    cg.remove_nack(&id);
                }
                continue;
            }
            // FORCE creates the missing PEL entry, owned by the claiming
            // consumer from the start (Redis creates it ownerless and
            // skips the idle check for it, which is the same thing).
            let forced = force && !cg.pel.contains_key(&id);
            if forced {
                cg.pel.insert(
                    id,
                    Nack {
                        delivery_time: now,
                        delivery_count: 1,
                        consumer: cname.clone(),
                    },
                );
            }
            let Some(nack) = cg.pel.get(&id) else {
                continue;
            };
            if !forced && minidle != 0 && now.saturating_sub(nack.delivery_time) < minidle {
                continue;
            }
            let retry = (retrycount >= 0).then_some(retrycount as u64);
            let claim = ClaimOpts {
                now,
                delivery_time: deliverytime,
                retrycount: retry,
                justid,
            };
            let (nack, cg_last) = claim_nack(cg, id, &cname, &claim, &mut have_consumer, &mut fx);
            if justid {
                tmp.bulk(&id.to_bytes());
            } else {
                emit_range(&mut tmp, s, id, id, 1, false);
            }
            n += 1;
            if let Some(nack) = nack {
                fx.props
                    .push(xclaim_prop(&key, &grp, &ctx.argv[argi], &nack, cg_last));
            }
            propagate_last_id = false;
            fx.dirty += 1;
        }
        if propagate_last_id {
            if let Some(cg) = s.cgroups.get(&grp) {
                fx.props.push(setid_prop(&key, &grp, cg));
            }
            fx.dirty += 1;
        }
    }
    ctx.out.array_len(n);
    ctx.out.append(&mut tmp);
    ctx.rewrite = Some(std::mem::take(&mut fx.props));
    if ctx.rewrite.as_ref().is_some_and(|r| !r.is_empty()) {
        ctx.force_propagate = true;
    }
    fx.apply(srv, ctx, db, &key);
}

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`
pub fn xautoclaim_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(minidle) = parse_ll(
        ctx,
        4,
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let Some((mut start, sx)) = parse_interval(ctx, 5, 0) else {
        return;
    };
    if sx {
        match start.incr() {
            Some(v) => start = v,
            None => return ctx.out.error("ERR invalid start ID for the interval"),
        }
    }
    let argc = ctx.argc();
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    const ATTEMPTS_FACTOR: i64 = 10;
    while j < argc {
        let moreargs = argc - 1 - j;
        if arg_eq(ctx.arg(j), "count") && moreargs > 0 {
            let max_count = i64::MAX / 16;
            match numbers::parse_i64(ctx.arg(j + 1)) {
                Some(v) if (1..=max_count).contains(&v) => count = v,
                _ => return ctx.out.error("ERR COUNT must be > 0"),
            }
            j += 1;
        } else if arg_eq(ctx.arg(j), "justid") {
            justid = true;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        j += 1;
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let grp = ctx.argv[2].clone();
    if !require_group(srv, ctx, db, &key, &grp) {
        return;
    }
    let cname = ctx.argv[3].clone();
    let now = mstime();
    let mut fx = Effects::default();
    let mut tmp = scratch(&ctx.out);
    let mut n = 0usize;
    let mut deleted: Vec<StreamId> = Vec::new();
    let mut cursor = StreamId::MIN;
    if let Some(s) = stream_at(srv, db, &key) {
        let mut attempts = count.saturating_mul(ATTEMPTS_FACTOR);
        let mut have_consumer = false;
        // A PEL iterator as a position: the next entry to examine is the
        // first one >= `pos`; `exhausted` once it ran off the end.
        let mut pos = start;
        let mut exhausted = false;
        // `while (attempts-- && count && raxNext(&ri))`
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let Some(&id) = s
                .cgroups
                .get(&grp)
                .and_then(|cg| cg.pel.range(pos..).next().map(|(k, _)| k))
            else {
                exhausted = true;
                break;
            };
            match id.incr() {
                Some(v) => pos = v,
                None => exhausted = true,
            }
            let exists = s.entry_exists(id);
            let Some(cg) = s.cgroups.get_mut(&grp) else {
                break;
            };
            if !exists {
                if let Some(nack) = cg.pel.get(&id) {
                    fx.props
                        .push(xclaim_prop(&key, &grp, &id.to_bytes(), nack, cg.last_id));
                }
                fx.dirty += 1;
                cg.remove_nack(&id);
                deleted.push(id);
                count -= 1;
            } else {
                let delivered = cg.pel.get(&id).map(|n| n.delivery_time).unwrap_or(now);
                if minidle == 0 || now.saturating_sub(delivered) >= minidle {
                    let claim = ClaimOpts {
                        now,
                        delivery_time: now,
                        retrycount: None,
                        justid,
                    };
                    let (nack, cg_last) =
                        claim_nack(cg, id, &cname, &claim, &mut have_consumer, &mut fx);
                    if justid {
                        tmp.bulk(&id.to_bytes());
                    } else {
                        emit_range(&mut tmp, s, id, id, 1, false);
                    }
                    n += 1;
                    count -= 1;
                    if let Some(nack) = nack {
                        fx.props
                            .push(xclaim_prop(&key, &grp, &id.to_bytes(), &nack, cg_last));
                    }
                    fx.dirty += 1;
                }
            }
            if exhausted {
                break;
            }
        }
        // The cursor: the next PEL entry not examined, or 0-0 at the end.
        if !exhausted {
            if let Some(cg) = s.cgroups.get(&grp) {
                cursor = cg
                    .pel
                    .range(pos..)
                    .next()
                    .map(|(k, _)| *k)
                    .unwrap_or(StreamId::MIN);
            }
        }
    }
    ctx.out.array_len(3);
    ctx.out.bulk(&cursor.to_bytes());
    ctx.out.array_len(n);
    ctx.out.append(&mut tmp);
    ctx.out.array_len(deleted.len());
    for id in &deleted {
        ctx.out.bulk(&id.to_bytes());
    }
    ctx.rewrite = Some(std::mem::take(&mut fx.props));
    if ctx.rewrite.as_ref().is_some_and(|r| !r.is_empty()) {
        ctx.force_propagate = true;
    }
    fx.apply(srv, ctx, db, &key);
}

// ---------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------

const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

/// XINFO HELP
pub fn xinfo_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    crate::commands::reply_help(ctx, XINFO_HELP);
}

/// XINFO CONSUMERS|GROUPS|STREAM (one handler, as Redis's `xinfoCommand`).
pub fn xinfo_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[2].clone();
    let s = match lookup_stream(srv, db, &key, false) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.error("ERR no such key"),
        Ok(Some(s)) => s,
    };
    let opt = ctx.argv[1].to_ascii_lowercase();
    let argc = ctx.argc();
    let now = mstime();
    if opt == b"consumers" && argc == 4 {
        let grp = &ctx.argv[3];
        let Some(cg) = s.cgroups.get(grp) else {
            let msg = format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                lossy(grp),
                lossy(&key)
            );
            return ctx.out.error(&msg);
        };
        let out = &mut ctx.out;
        out.array_len(cg.consumers.len());
        for (name, c) in &cg.consumers {
            out.map_len(3);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"pending");
            out.int(c.pel.len() as i64);
            out.bulk(b"idle");
            out.int(now.saturating_sub(c.seen_time).max(0));
        }
    } else if opt == b"groups" && argc == 3 {
        let out = &mut ctx.out;
        out.array_len(s.cgroups.len());
        for (name, cg) in &s.cgroups {
            out.map_len(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.int(cg.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(cg.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            out.bulk(&cg.last_id.to_bytes());
            out.bulk(b"entries-read");
            reply_entries_read(out, cg);
            out.bulk(b"lag");
            reply_lag(out, s, cg);
        }
    } else if opt == b"stream" {
        xinfo_stream(ctx, s);
    } else {
        crate::pubsub::subcommand_syntax_error(ctx, "XINFO");
    }
}

fn reply_entries_read(out: &mut ReplyBuf, cg: &ConsumerGroup) {
    if cg.entries_read != INVALID_ENTRIES_READ {
        out.int(cg.entries_read);
    } else {
        out.null();
    }
}

fn reply_lag(out: &mut ReplyBuf, s: &Stream, cg: &ConsumerGroup) {
    match s.group_lag(cg) {
        Some(l) => out.int(l),
        None => out.null(),
    }
}

/// `XINFO STREAM key [FULL [COUNT count]]` (`xinfoReplyWithStreamInfo`).
fn xinfo_stream(ctx: &mut Ctx, s: &Stream) {
    let optc = ctx.argc() - 3;
    let mut full = true;
    let mut count: i64 = 10;
    if optc == 0 {
        full = false;
    } else {
        if optc != 1 && optc != 3 {
            return crate::pubsub::subcommand_syntax_error(ctx, "XINFO");
        }
        if !arg_eq(ctx.arg(3), "full") {
            return crate::pubsub::subcommand_syntax_error(ctx, "XINFO");
        }
        if optc == 3 {
            if !arg_eq(ctx.arg(4), "count") {
                return crate::pubsub::subcommand_syntax_error(ctx, "XINFO");
            }
            let Some(c) = parse_ll(ctx, 5, None) else {
                return;
            };
            count = if c < 0 { 10 } else { c };
        }
    }
    let out = &mut ctx.out;
    out.map_len(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.nodes.len() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(s.rax_nodes() as i64);
    out.bulk(b"last-generated-id");
    out.bulk(&s.last_id.to_bytes());
    out.bulk(b"max-deleted-entry-id");
    out.bulk(&s.max_deleted_entry_id.to_bytes());
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    out.bulk(&s.first_id.to_bytes());
    if !full {
        out.bulk(b"groups");
        out.int(s.cgroups.len() as i64);
        out.bulk(b"first-entry");
        if emit_range(out, s, StreamId::MIN, StreamId::MAX, 1, false) == 0 {
            out.null();
        }
        out.bulk(b"last-entry");
        if emit_range(out, s, StreamId::MIN, StreamId::MAX, 1, true) == 0 {
            out.null();
        }
        return;
    }
    let count = count as usize;
    out.bulk(b"entries");
    reply_range(out, s, StreamId::MIN, StreamId::MAX, count as u64, false);
    out.bulk(b"groups");
    out.array_len(s.cgroups.len());
    for (name, cg) in &s.cgroups {
        out.map_len(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        out.bulk(&cg.last_id.to_bytes());
        out.bulk(b"entries-read");
        reply_entries_read(out, cg);
        out.bulk(b"lag");
        reply_lag(out, s, cg);
        out.bulk(b"pel-count");
        out.int(cg.pel.len() as i64);
        out.bulk(b"pending");
        let take = if count == 0 { usize::MAX } else { count };
        let pel: Vec<_> = cg.pel.iter().take(take).collect();
        out.array_len(pel.len());
        for (id, n) in pel {
            out.array_len(4);
            out.bulk(&id.to_bytes());
            out.bulk(&n.consumer);
            out.int(n.delivery_time);
            out.int(n.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array_len(cg.consumers.len());
        for (cname, c) in &cg.consumers {
            out.map_len(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let ids: Vec<_> = c.pel.iter().take(take).collect();
            out.array_len(ids.len());
            for id in ids {
                out.array_len(3);
                out.bulk(&id.to_bytes());
                let n = cg.pel.get(id);
                out.int(n.map(|n| n.delivery_time).unwrap_or(0));
                out.int(n.map(|n| n.delivery_count as i64).unwrap_or(0));
            }
        }
    }
}

/// Key positions of XREAD / XREADGROUP: the keys after STREAMS, half of
/// what follows it (`xreadGetKeys`); None when there is no STREAMS or the
/// count is odd.
pub fn xread_get_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let mut streams_pos = None;
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if arg_eq(a, "block") || arg_eq(a, "count") {
            i += 2;
            continue;
        }
        if arg_eq(a, "group") {
            i += 3;
            continue;
        }
        if arg_eq(a, "noack") {
            i += 1;
            continue;
        }
        if arg_eq(a, "streams") {
            streams_pos = Some(i);
        }
        break;
    }
    let p = streams_pos?;
    let n = argv.len() - p - 1;
    if n == 0 || !n.is_multiple_of(2) {
        return None;
    }
    Some((p + 1..p + 1 + n / 2).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn xread_keys_follow_streams() {
        assert_eq!(
            xread_get_keys(&argv("XREAD COUNT 2 BLOCK 0 STREAMS a b 0 0")),
            Some(vec![6, 7])
        );
        // "streams" as a group or consumer name is skipped over.
        assert_eq!(
            xread_get_keys(&argv("XREADGROUP GROUP streams c NOACK STREAMS k >")),
            Some(vec![6])
        );
        assert_eq!(xread_get_keys(&argv("XREAD STREAMS a b 0")), None);
        assert_eq!(xread_get_keys(&argv("XREAD STREAMS")), None);
        assert_eq!(xread_get_keys(&argv("XREAD FOO STREAMS a 0")), None);
    }

    #[test]
    fn xclaim_propagation_is_idempotent_form() {
        let n = Nack {
            delivery_time: 17,
            delivery_count: 3,
            consumer: b"bob".to_vec(),
        };
        let v = xclaim_prop(b"k", b"g", b"1-2", &n, StreamId::new(5, 6));
        let s: Vec<String> = v
            .iter()
            .map(|a| String::from_utf8_lossy(a).into())
            .collect();
        assert_eq!(
            s.join(" "),
            "XCLAIM k g bob 0 1-2 TIME 17 RETRYCOUNT 3 FORCE JUSTID LASTID 5-6"
        );
    }
}
