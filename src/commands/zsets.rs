//! Sorted set commands (~ the command half of Redis's `t_zset.c`): ZADD
//! ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT, the
//! ZRANGE family (ZRANGE with BYSCORE/BYLEX/REV/LIMIT, the legacy
//! ZRANGEBYSCORE/ZRANGEBYLEX/ZREV* forms and ZRANGESTORE), the
//! ZREMRANGEBY* family, ZPOPMIN ZPOPMAX ZMPOP, ZRANDMEMBER, ZSCAN and the
//! set algebra ZUNION ZINTER ZDIFF (+STORE) and ZINTERCARD. The blocking
//! variants (BZPOPMIN BZPOPMAX BZMPOP) are not implemented.
//!
//! The value type and its encodings live in `db/zset.rs` and
//! `db/skiplist.rs`; this file owns argument parsing, error texts, reply
//! shapes and side effects.
//!
//! Invariants kept here:
//! - a key never holds an empty sorted set: removals delete the key when
//!   the last member goes, STORE commands delete the destination instead
//!   of storing an empty result (each followed by a `del` event);
//! - every argument error is reported before anything is modified;
//! - scores reply through `ReplyBuf::double`: `%.17g` bulk strings in
//!   RESP2, `,` doubles in RESP3; WITHSCORES replies are flat arrays in
//!   RESP2 and arrays of [member, score] pairs in RESP3, as Redis 7.0;
//! - keyspace events and propagation follow Redis: ZMPOP reaches replicas
//!   as `ZPOPMIN|ZPOPMAX key count`, everything else as received.

use std::collections::{HashMap, HashSet};

use crate::commands::keys::{parse_scan_cursor, parse_scan_options, ScanOpts};
use crate::commands::{arg_eq, typed, WrongType, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET};
use crate::db::dict::Dict;
use crate::db::listpack::LpEntry;
use crate::db::skiplist::{LexRange, ScoreRange};
use crate::db::zset::{
    lp_entry_score, parse_lex_range, parse_score_range, AddFlags, AddOutcome, ZSetLimits,
};
use crate::db::Enc;
use crate::db::{RObj, SetValue, Value, ZSetValue};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;
use crate::util::numbers;

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";
const FLOAT_ERR: &str = "ERR value is not a valid float";
const RANGE_FLOAT_ERR: &str = "ERR min or max is not a float";
const RANGE_LEX_ERR: &str = "ERR min or max not valid string range item";

pub(crate) fn limits(srv: &Server) -> ZSetLimits {
    ZSetLimits {
        max_entries: srv.config.zset_max_listpack_entries,
        max_value: srv.config.zset_max_listpack_value,
    }
}

/// `lookupKeyRead` + `checkType(OBJ_ZSET)`.
fn read_zset<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ZSetValue>, WrongType> {
    typed(srv.lookup_read(db, key), Value::zset_mut)
}

/// `lookupKeyWrite` + `checkType(OBJ_ZSET)`.
fn write_zset<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ZSetValue>, WrongType> {
    typed(srv.lookup_write(db, key), Value::zset_mut)
}

/// A member as a bulk string (listpack integers print in decimal).
fn reply_entry(out: &mut ReplyBuf, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// Replies (member, score) pairs: flat in RESP2, nested pairs in RESP3
/// when `withscores`.
fn reply_pairs(out: &mut ReplyBuf, items: &[(Vec<u8>, f64)], withscores: bool) {
    let resp3 = out.resp >= 3;
    out.array_len(if withscores && !resp3 {
        2 * items.len()
    } else {
        items.len()
    });
    for (m, s) in items {
        if withscores && resp3 {
            out.array_len(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
}

/// `getLongFromObjectOrReply` with the generic error.
fn parse_long(ctx: &mut Ctx, i: usize) -> Option<i64> {
    let v = numbers::parse_i64(ctx.arg(i));
    if v.is_none() {
        ctx.out.error(NOT_INT_ERR);
    }
    v
}

/// `getRangeLongFromObjectOrReply` with a custom message for both failures.
fn parse_long_range(ctx: &mut Ctx, i: usize, min: i64, max: i64, msg: &str) -> Option<i64> {
    match numbers::parse_i64(ctx.arg(i)) {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            ctx.out.error(msg);
            None
        }
    }
}

/// The key now holds `obj` (Redis's `setKey`): "new" when it did not
/// exist, any TTL dropped, WATCH touched.
pub(crate) fn set_key(srv: &mut Server, ctx: &mut Ctx, key: &[u8], z: ZSetValue) {
    let db = ctx.db;
    let lru = srv.new_obj_lru();
    let existed = srv.dbs[db].set(key, RObj::new(Value::ZSet(z), lru), false);
    if !existed {
        srv.notify(ctx, NOTIFY_NEW, "new", key, db);
    }
    srv.signal_modified_key(db, key);
}

/// A STORE with an empty result deletes the destination.
pub(crate) fn delete_dst(srv: &mut Server, ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.db;
    if srv.dbs[db].delete(key).is_some() {
        srv.signal_modified_key(db, key);
        srv.notify(ctx, NOTIFY_GENERIC, "del", key, db);
        srv.dirty += 1;
    }
}

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY / ZREM
// ---------------------------------------------------------------------------

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd_command(srv: &mut Server, ctx: &mut Ctx) {
    zadd_generic(srv, ctx, false)
}

/// ZINCRBY key increment member
pub fn zincrby_command(srv: &mut Server, ctx: &mut Ctx) {
    zadd_generic(srv, ctx, true)
}

/// ZADD and ZINCRBY (`zaddGenericCommand`).
fn zadd_generic(srv: &mut Server, ctx: &mut Ctx, incr_cmd: bool) {
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut idx = 2;
    while idx < ctx.argc() {
        let o = ctx.arg(idx);
        if arg_eq(o, "nx") {
            f.nx = true;
        } else if arg_eq(o, "xx") {
            f.xx = true;
        } else if arg_eq(o, "ch") {
            ch = true;
        } else if arg_eq(o, "incr") {
            f.incr = true;
        } else if arg_eq(o, "gt") {
            f.gt = true;
        } else if arg_eq(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = ctx.argc() - idx;
    if elements % 2 == 1 || elements == 0 {
        return ctx.out.error(SYNTAX_ERR);
    }
    let elements = elements / 2;
    if f.nx && f.xx {
        return ctx
            .out
            .error("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return ctx
            .out
            .error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && elements > 1 {
        return ctx
            .out
            .error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        match numbers::parse_f64(ctx.arg(idx + 2 * j)) {
            Some(s) => scores.push(s),
            None => return ctx.out.error(FLOAT_ERR),
        }
    }
    let db = ctx.db;
    let lim = limits(srv);
    let key = ctx.argv[1].clone();
    let mut created = false;
    match write_zset(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(Some(_)) => {}
        Ok(None) => {
            if f.xx {
                // Nothing to do on a missing key.
                return if f.incr {
                    ctx.out.null()
                } else {
                    ctx.out.int(0)
                };
            }
            let z = ZSetValue::create_for(lim, ctx.argv[idx + 1].len());
            let lru = srv.new_obj_lru();
            srv.dbs[db].add(key.as_slice().into(), RObj::new(Value::ZSet(z), lru));
            created = true;
        }
    }
    if created {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
    }
    let Ok(Some(z)) = write_zset(srv, db, &key) else {
        return;
    };
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut score = 0.0;
    let mut nan = false;
    for (j, &s) in scores.iter().enumerate() {
        let member = &ctx.argv[idx + 1 + 2 * j];
        match z.add(s, member, f, lim) {
            AddOutcome::Nan => {
                nan = true;
                break;
            }
            AddOutcome::Added(n) => {
                added += 1;
                processed += 1;
                score = n;
            }
            AddOutcome::Updated(n, changed) => {
                updated += u64::from(changed);
                processed += 1;
                score = n;
            }
            AddOutcome::Nop => {}
        }
    }
    if nan {
        ctx.out.error(NAN_ERR);
    } else {
        srv.dirty += added + updated;
        if f.incr {
            if processed > 0 {
                ctx.out.double(score);
            } else {
                ctx.out.null();
            }
        } else {
            ctx.out
                .int((if ch { added + updated } else { added }) as i64);
        }
    }
    if added + updated > 0 {
        srv.signal_modified_key(db, &key);
        srv.notify(
            ctx,
            NOTIFY_ZSET,
            if f.incr { "zincr" } else { "zadd" },
            &key,
            db,
        );
    }
}

/// ZREM key member [member ...]
pub fn zrem_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let z = match write_zset(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(z)) => z,
    };
    let mut deleted = 0u64;
    let mut emptied = false;
    for m in &ctx.argv[2..] {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            emptied = true;
            break;
        }
    }
    if emptied {
        srv.dbs[db].delete(&key);
    }
    if deleted > 0 {
        srv.notify(ctx, NOTIFY_ZSET, "zrem", &key, db);
        if emptied {
            srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
        }
        srv.signal_modified_key(db, &key);
        srv.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
}

enum RangeKind {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Clamps a rank range like Redis: negative indexes count from the end;
/// `None` when empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

/// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX (`zremrangeGenericCommand`).
fn zremrange_generic(srv: &mut Server, ctx: &mut Ctx, kind: u8) {
    let (range, event) = match kind {
        0 => {
            let Some(a) = parse_long(ctx, 2) else { return };
            let Some(b) = parse_long(ctx, 3) else { return };
            (RangeKind::Rank(a, b), "zremrangebyrank")
        }
        1 => match parse_score_range(ctx.arg(2), ctx.arg(3)) {
            Some(r) => (RangeKind::Score(r), "zremrangebyscore"),
            None => return ctx.out.error(RANGE_FLOAT_ERR),
        },
        _ => match parse_lex_range(ctx.arg(2), ctx.arg(3)) {
            Some(r) => (RangeKind::Lex(r), "zremrangebylex"),
            None => return ctx.out.error(RANGE_LEX_ERR),
        },
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let z = match write_zset(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(z)) => z,
    };
    let deleted = match &range {
        RangeKind::Rank(a, b) => match clamp_ranks(*a, *b, z.len()) {
            Some((s, e)) => z.delete_range_by_rank(s, e),
            None => return ctx.out.int(0),
        },
        RangeKind::Score(r) => z.delete_range_by_score(r),
        RangeKind::Lex(r) => z.delete_range_by_lex(r),
    };
    let emptied = z.is_empty();
    if emptied {
        srv.dbs[db].delete(&key);
    }
    if deleted > 0 {
        srv.signal_modified_key(db, &key);
        srv.notify(ctx, NOTIFY_ZSET, event, &key, db);
        if emptied {
            srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
        }
    }
    srv.dirty += deleted as u64;
    ctx.out.int(deleted as i64);
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank_command(srv: &mut Server, ctx: &mut Ctx) {
    zremrange_generic(srv, ctx, 0)
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore_command(srv: &mut Server, ctx: &mut Ctx) {
    zremrange_generic(srv, ctx, 1)
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex_command(srv: &mut Server, ctx: &mut Ctx) {
    zremrange_generic(srv, ctx, 2)
}

// ---------------------------------------------------------------------------
// Point queries
// ---------------------------------------------------------------------------

/// ZCARD key
pub fn zcard_command(srv: &mut Server, ctx: &mut Ctx) {
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(z)) => ctx.out.int(z.len() as i64),
    }
}

/// ZSCORE key member
pub fn zscore_command(srv: &mut Server, ctx: &mut Ctx) {
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.null(),
        Ok(Some(z)) => match z.score(&ctx.argv[2]) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        },
    }
}

/// ZMSCORE key member [member ...]
pub fn zmscore_command(srv: &mut Server, ctx: &mut Ctx) {
    let z = match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(z) => z,
    };
    ctx.out.array_len(ctx.argv.len() - 2);
    for m in &ctx.argv[2..] {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
}

fn zrank_generic(srv: &mut Server, ctx: &mut Ctx, reverse: bool) {
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.null(),
        Ok(Some(z)) => match z.rank(&ctx.argv[2], reverse) {
            Some(r) => ctx.out.int(r as i64),
            None => ctx.out.null(),
        },
    }
}

/// ZRANK key member
pub fn zrank_command(srv: &mut Server, ctx: &mut Ctx) {
    zrank_generic(srv, ctx, false)
}

/// ZREVRANK key member
pub fn zrevrank_command(srv: &mut Server, ctx: &mut Ctx) {
    zrank_generic(srv, ctx, true)
}

/// ZCOUNT key min max
pub fn zcount_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(r) = parse_score_range(ctx.arg(2), ctx.arg(3)) else {
        return ctx.out.error(RANGE_FLOAT_ERR);
    };
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(z)) => ctx.out.int(z.count_in_score_range(&r) as i64),
    }
}

/// ZLEXCOUNT key min max
pub fn zlexcount_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(r) = parse_lex_range(ctx.arg(2), ctx.arg(3)) else {
        return ctx.out.error(RANGE_LEX_ERR);
    };
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(z)) => ctx.out.int(z.count_in_lex_range(&r) as i64),
    }
}

// ---------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// ZRANGE, ZRANGESTORE and the legacy forms (`zrangeGenericCommand`).
/// `start` is the index of the source key; `store` the destination.
fn zrange_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    start: usize,
    store: Option<Vec<u8>>,
    mut rtype: RangeType,
    mut dir: Direction,
) {
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = start + 3;
    while j < ctx.argc() {
        let left = ctx.argc() - j - 1;
        let a = ctx.arg(j);
        if store.is_none() && arg_eq(a, "withscores") {
            withscores = true;
        } else if arg_eq(a, "limit") && left >= 2 {
            let Some(o) = parse_long(ctx, j + 1) else {
                return;
            };
            let Some(l) = parse_long(ctx, j + 2) else {
                return;
            };
            offset = o;
            limit = l;
            j += 2;
        } else if dir == Direction::Auto && arg_eq(a, "rev") {
            dir = Direction::Reverse;
        } else if rtype == RangeType::Auto && arg_eq(a, "bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && arg_eq(a, "byscore") {
            rtype = RangeType::Score;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        j += 1;
    }
    if dir == Direction::Auto {
        dir = Direction::Forward;
    }
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        return ctx.out.error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && rtype == RangeType::Lex {
        return ctx
            .out
            .error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let reverse = dir == Direction::Reverse;
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    if reverse && rtype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let range = match rtype {
        RangeType::Score => match parse_score_range(ctx.arg(minidx), ctx.arg(maxidx)) {
            Some(r) => RangeKind::Score(r),
            None => return ctx.out.error(RANGE_FLOAT_ERR),
        },
        RangeType::Lex => match parse_lex_range(ctx.arg(minidx), ctx.arg(maxidx)) {
            Some(r) => RangeKind::Lex(r),
            None => return ctx.out.error(RANGE_LEX_ERR),
        },
        _ => {
            let Some(a) = parse_long(ctx, minidx) else {
                return;
            };
            let Some(b) = parse_long(ctx, maxidx) else {
                return;
            };
            RangeKind::Rank(a, b)
        }
    };
    let key = ctx.argv[start].clone();
    let mut items: Vec<(Vec<u8>, f64)> = Vec::new();
    // Rank ranges know their length up front, which picks the STORE
    // destination's encoding (`zrangeResultBeginStore`).
    let mut known_len: Option<usize> = None;
    match read_zset(srv, ctx.db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => {
            if store.is_none() {
                return ctx.out.array_len(0);
            }
        }
        Ok(Some(z)) => {
            let mut push = |m: LpEntry<'_>, s: f64| items.push((m.to_vec(), s));
            match &range {
                RangeKind::Rank(a, b) => {
                    if let Some((s, e)) = clamp_ranks(*a, *b, z.len()) {
                        known_len = Some(e - s + 1);
                        z.range_by_rank(s, e, reverse, &mut push);
                    }
                }
                RangeKind::Score(r) => {
                    z.range_by_score(r, offset, limit, reverse, &mut push);
                }
                RangeKind::Lex(r) => {
                    z.range_by_lex(r, offset, limit, reverse, &mut push);
                }
            }
        }
    }
    let Some(dst) = store else {
        return reply_pairs(&mut ctx.out, &items, withscores);
    };
    if items.is_empty() {
        ctx.out.int(0);
        return delete_dst(srv, ctx, &dst);
    }
    let lim = limits(srv);
    let mut z = if known_len.is_some_and(|n| n > lim.max_entries) {
        ZSetValue::new_skiplist()
    } else {
        ZSetValue::new_listpack()
    };
    for (m, s) in &items {
        z.add(*s, m, AddFlags::default(), lim);
    }
    set_key(srv, ctx, &dst, z);
    ctx.out.int(items.len() as i64);
    let db = ctx.db;
    srv.notify(ctx, NOTIFY_ZSET, "zrangestore", &dst, db);
    srv.dirty += 1;
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Auto, Direction::Auto)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore_command(srv: &mut Server, ctx: &mut Ctx) {
    let dst = ctx.argv[1].clone();
    zrange_generic(srv, ctx, 2, Some(dst), RangeType::Auto, Direction::Auto)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Rank, Direction::Reverse)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Score, Direction::Forward)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Score, Direction::Reverse)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Lex, Direction::Forward)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex_command(srv: &mut Server, ctx: &mut Ctx) {
    zrange_generic(srv, ctx, 1, None, RangeType::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------------------
// ZPOPMIN / ZPOPMAX / ZMPOP
// ---------------------------------------------------------------------------

/// Pops from the first existing key among `keys` (`genericZpopCommand`).
/// `count` is `None` for the plain single pop. `zmpop` selects ZMPOP's
/// reply shape (key + nested pairs, null when nothing) and propagation.
fn zpop_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    keys: Vec<Vec<u8>>,
    max: bool,
    count: Option<i64>,
    zmpop: bool,
) {
    let db = ctx.db;
    let mut found: Option<Vec<u8>> = None;
    for k in keys {
        match write_zset(srv, db, &k) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(None) => continue,
            Ok(Some(_)) => {
                found = Some(k);
                break;
            }
        }
    }
    let Some(key) = found else {
        return if zmpop {
            ctx.out.null_array()
        } else {
            ctx.out.array_len(0)
        };
    };
    if count == Some(0) {
        return ctx.out.array_len(0);
    }
    let resp3 = ctx.out.resp >= 3;
    let nested = zmpop || (resp3 && count.is_some());
    let want = count.unwrap_or(1) as u64;
    let Ok(Some(z)) = write_zset(srv, db, &key) else {
        return;
    };
    let llen = z.len() as u64;
    let n = want.min(llen) as usize;
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        match z.pop(max) {
            Some(p) => popped.push(p),
            None => break,
        }
    }
    let emptied = z.is_empty();
    if zmpop {
        ctx.out.array_len(2);
        ctx.out.bulk(&key);
        ctx.out.array_len(n);
    } else if nested {
        ctx.out.array_len(n);
    } else {
        ctx.out.array_len(2 * n);
    }
    for (m, s) in &popped {
        if nested {
            ctx.out.array_len(2);
        }
        ctx.out.bulk(m);
        ctx.out.double(*s);
    }
    srv.dirty += n as u64;
    srv.notify(
        ctx,
        NOTIFY_ZSET,
        if max { "zpopmax" } else { "zpopmin" },
        &key,
        db,
    );
    srv.signal_modified_key(db, &key);
    if emptied {
        srv.dbs[db].delete(&key);
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
    }
    if zmpop {
        let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.rewrite_as(vec![
            name.to_vec(),
            key,
            (n as u64).to_string().into_bytes(),
        ]);
    }
}

fn zpop_minmax(srv: &mut Server, ctx: &mut Ctx, max: bool) {
    if ctx.argc() > 3 {
        return ctx.out.error(SYNTAX_ERR);
    }
    let count = if ctx.argc() == 3 {
        match parse_long_range(
            ctx,
            2,
            0,
            i64::MAX,
            "ERR value is out of range, must be positive",
        ) {
            Some(c) => Some(c),
            None => return,
        }
    } else {
        None
    };
    let keys = vec![ctx.argv[1].clone()];
    zpop_generic(srv, ctx, keys, max, count, false)
}

/// ZPOPMIN key [count]
pub fn zpopmin_command(srv: &mut Server, ctx: &mut Ctx) {
    zpop_minmax(srv, ctx, false)
}

/// ZPOPMAX key [count]
pub fn zpopmax_command(srv: &mut Server, ctx: &mut Ctx) {
    zpop_minmax(srv, ctx, true)
}

/// Parse `numkeys key [key ...] MIN|MAX [COUNT count]` from argument
/// `numkeys_idx` on (ZMPOP, BZMPOP): the keys, whether MAX, and the count.
/// Replies the error and returns None on bad input.
fn parse_zmpop_args(ctx: &mut Ctx, numkeys_idx: usize) -> Option<(Vec<Vec<u8>>, bool, i64)> {
    let numkeys = parse_long_range(
        ctx,
        numkeys_idx,
        1,
        i64::MAX,
        "ERR numkeys should be greater than 0",
    )?;
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= ctx.argc() as u64 {
        ctx.out.error(SYNTAX_ERR);
        return None;
    }
    let where_idx = where_idx as usize;
    let max = if arg_eq(ctx.arg(where_idx), "min") {
        false
    } else if arg_eq(ctx.arg(where_idx), "max") {
        true
    } else {
        ctx.out.error(SYNTAX_ERR);
        return None;
    };
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if count.is_none() && arg_eq(ctx.arg(j), "count") && more > 0 {
            j += 1;
            count = Some(parse_long_range(
                ctx,
                j,
                1,
                i64::MAX,
                "ERR count should be greater than 0",
            )?);
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    let keys = ctx.argv[numkeys_idx + 1..where_idx].to_vec();
    Some((keys, max, count.unwrap_or(1)))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop_command(srv: &mut Server, ctx: &mut Ctx) {
    if let Some((keys, max, count)) = parse_zmpop_args(ctx, 1) {
        zpop_generic(srv, ctx, keys, max, Some(count), true)
    }
}

// ---------------------------------------------------------------------------
// Blocking variants (see blocked.rs)
// ---------------------------------------------------------------------------

/// BZPOPMIN / BZPOPMAX key [key ...] timeout (`blockingGenericZpopCommand`):
/// reply `[key, member, score]` from the first non-empty sorted set,
/// propagated as ZPOPMIN/ZPOPMAX key; otherwise wait.
fn bzpop(srv: &mut Server, ctx: &mut Ctx, max: bool) {
    let last = ctx.argc() - 1;
    let Some(deadline) = crate::blocked::parse_timeout(srv, ctx, last) else {
        return;
    };
    let db = ctx.db;
    let keys: Vec<Vec<u8>> = ctx.argv[1..last].to_vec();
    for key in &keys {
        let z = match write_zset(srv, db, key) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(None) => continue,
            Ok(Some(z)) => z,
        };
        let Some((m, sc)) = z.pop(max) else {
            continue;
        };
        let emptied = z.is_empty();
        ctx.out.array_len(3);
        ctx.out.bulk(key);
        ctx.out.bulk(&m);
        ctx.out.double(sc);
        srv.dirty += 1;
        srv.notify(
            ctx,
            NOTIFY_ZSET,
            if max { "zpopmax" } else { "zpopmin" },
            key,
            db,
        );
        srv.signal_modified_key(db, key);
        if emptied {
            srv.dbs[db].delete(key);
            srv.notify(ctx, NOTIFY_GENERIC, "del", key, db);
        }
        let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.rewrite_as(vec![name.to_vec(), key.clone()]);
        return;
    }
    if !crate::blocked::may_block(srv) {
        return ctx.out.null_array();
    }
    crate::blocked::block(srv, ctx, keys, deadline, "zset");
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin_command(srv: &mut Server, ctx: &mut Ctx) {
    bzpop(srv, ctx, false)
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax_command(srv: &mut Server, ctx: &mut Ctx) {
    bzpop(srv, ctx, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(deadline) = crate::blocked::parse_timeout(srv, ctx, 1) else {
        return;
    };
    let Some((keys, max, count)) = parse_zmpop_args(ctx, 2) else {
        return;
    };
    let db = ctx.db;
    for key in &keys {
        match write_zset(srv, db, key) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(Some(z)) if !z.is_empty() => {
                return zpop_generic(srv, ctx, keys.clone(), max, Some(count), true);
            }
            Ok(_) => continue,
        }
    }
    if !crate::blocked::may_block(srv) {
        return ctx.out.null_array();
    }
    crate::blocked::block(srv, ctx, keys, deadline, "zset");
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------

/// How much bigger than the request the set must be to draw members
/// instead of removing them from a copy (ZRANDMEMBER_SUB_STRATEGY_MUL).
const ZRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() >= 3 {
        let l = match numbers::parse_i64(ctx.arg(2)) {
            None => return ctx.out.error(NOT_INT_ERR),
            Some(i64::MIN) => {
                return ctx.out.error(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
            }
            Some(l) => l,
        };
        let withscores = if ctx.argc() > 4 || (ctx.argc() == 4 && !arg_eq(ctx.arg(3), "withscores"))
        {
            return ctx.out.error(SYNTAX_ERR);
        } else if ctx.argc() == 4 {
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                return ctx.out.error("ERR value is out of range");
            }
            true
        } else {
            false
        };
        return zrandmember_with_count(srv, ctx, l, withscores);
    }
    match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.null(),
        Ok(Some(z)) => match z.random_element() {
            Some((m, _)) => ctx.out.bulk(&m),
            None => ctx.out.null(),
        },
    }
}

/// ZRANDMEMBER with a count (`zrandmemberWithCountCommand`): the same four
/// cases as SRANDMEMBER (repeats allowed / whole set / remove from a copy
/// / draw distinct), with scores riding along.
fn zrandmember_with_count(srv: &mut Server, ctx: &mut Ctx, l: i64, withscores: bool) {
    let z = match read_zset(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.array_len(0),
        Ok(Some(z)) => z,
    };
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        return ctx.out.array_len(0);
    }
    let resp3 = ctx.out.resp >= 3;
    let out = &mut ctx.out;
    let emit = |out: &mut ReplyBuf, m: &[u8], s: f64| {
        if withscores && resp3 {
            out.array_len(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    };
    let size = z.len() as u64;
    if !uniq || count == 1 {
        out.array_len(if withscores && !resp3 {
            2 * count as usize
        } else {
            count as usize
        });
        match z.enc() {
            Enc::Listpack(lp) => {
                let mut left = count;
                while left > 0 {
                    let batch = left.min(1000);
                    left -= batch;
                    for (m, s) in lp.random_pairs(batch as usize) {
                        if withscores && resp3 {
                            out.array_len(2);
                        }
                        reply_entry(out, m);
                        if withscores {
                            out.double(lp_entry_score(s));
                        }
                    }
                }
            }
            Enc::Big(_) => {
                for _ in 0..count {
                    if let Some((m, s)) = z.random_element() {
                        emit(out, &m, s);
                    }
                }
            }
        }
        return;
    }
    let reply_size = count.min(size) as usize;
    out.array_len(if withscores && !resp3 {
        2 * reply_size
    } else {
        reply_size
    });
    if count >= size {
        z.for_each(|m, s| {
            if withscores && resp3 {
                out.array_len(2);
            }
            reply_entry(out, m);
            if withscores {
                out.double(s);
            }
        });
        return;
    }
    if count * ZRANDMEMBER_SUB_STRATEGY_MUL > size {
        let mut d: Dict<Vec<u8>, f64> = Dict::new();
        d.expand(size as usize);
        z.for_each(|m, s| {
            d.insert(m.to_vec(), s);
        });
        let mut left = size;
        while left > count {
            let Some(k) = d.fair_random_entry().map(|(k, _)| k.clone()) else {
                break;
            };
            d.remove(&k);
            left -= 1;
        }
        for (m, s) in d.iter() {
            emit(out, m, *s);
        }
        return;
    }
    if let Enc::Listpack(lp) = z.enc() {
        for (m, s) in lp.random_pairs_unique(count as usize) {
            if withscores && resp3 {
                out.array_len(2);
            }
            reply_entry(out, m);
            if withscores {
                out.double(lp_entry_score(s));
            }
        }
        return;
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(count as usize);
    while (seen.len() as u64) < count {
        let Some((m, s)) = z.random_element() else {
            break;
        };
        if seen.insert(m.clone()) {
            emit(out, &m, s);
        }
    }
}

// ---------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn zscan_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(cursor) = parse_scan_cursor(ctx.arg(2)) else {
        return ctx.out.error("ERR invalid cursor");
    };
    let key = ctx.argv[1].clone();
    match read_zset(srv, ctx.db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => {
            ctx.out.array_len(2);
            ctx.out.bulk(b"0");
            ctx.out.array_len(0);
            return;
        }
        Ok(Some(_)) => {}
    }
    let Some(ScanOpts { count, pattern, .. }) = parse_scan_options(ctx, 3, false) else {
        return;
    };
    let Some(Value::ZSet(z)) = srv.dbs[ctx.db].peek(&key).map(|o| &o.value) else {
        return;
    };
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = match z.enc() {
        Enc::Listpack(lp) => {
            // The score goes out as stored in the listpack.
            let mut it = lp.iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                items.push((m.to_vec(), s.to_vec()));
            }
            0
        }
        Enc::Big(zs) => {
            let count = count.saturating_mul(2);
            let mut max_iterations = count.saturating_mul(10);
            let mut cur = cursor;
            loop {
                cur = zs.dict.scan(cur, |m, s| {
                    let mut b = Vec::with_capacity(24);
                    numbers::fmt_f64(*s, &mut b);
                    items.push((m.to_vec(), b));
                });
                let more_allowed = max_iterations > 0;
                max_iterations -= 1;
                if cur == 0 || !more_allowed || 2 * items.len() as i64 >= count {
                    break;
                }
            }
            cur
        }
    };
    if let Some(p) = &pattern {
        items.retain(|(m, _)| string_match(p, m, false));
    }
    ctx.out.array_len(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array_len(2 * items.len());
    for (m, s) in &items {
        ctx.out.bulk(m);
        ctx.out.bulk(s);
    }
}

// ---------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Folds `val` into `target` (`zunionInterAggregate`): a sum of +inf and
/// -inf is 0, not NaN.
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

/// One input of the set algebra: a sorted set, a plain set (every score
/// 1), or a missing key (empty).
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    Z(&'a ZSetValue),
    S(&'a SetValue),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Missing => {}
            Src::Z(z) => z.for_each(|m, s| match m {
                LpEntry::Str(b) => f(b, s),
                LpEntry::Int(_) => f(&m.to_vec(), s),
            }),
            Src::S(set) => {
                for m in set.iter() {
                    f(&m.to_bytes(), 1.0)
                }
            }
        }
    }
}

/// The shared body (`zunionInterDiffGenericCommand`). `numkeys_idx` is the
/// position of numkeys; `dst` the STORE destination.
fn zsetop_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    dst: Option<Vec<u8>>,
    numkeys_idx: usize,
    op: SetOp,
    cardinality_only: bool,
) {
    let Some(setnum) = parse_long(ctx, numkeys_idx) else {
        return;
    };
    if setnum < 1 {
        let name = srv.commands.entries[ctx.cmd].fullname.clone();
        return ctx.out.error(&format!(
            "ERR at least 1 input key is needed for '{}' command",
            name
        ));
    }
    if setnum > (ctx.argc() - (numkeys_idx + 1)) as i64 {
        return ctx.out.error(SYNTAX_ERR);
    }
    let setnum = setnum as usize;
    let db = ctx.db;
    let keys: Vec<Vec<u8>> = ctx.argv[numkeys_idx + 1..numkeys_idx + 1 + setnum].to_vec();
    for k in &keys {
        if let Some(o) = srv.lookup_read(db, k) {
            if !matches!(o.value, Value::ZSet(_) | Value::Set(_)) {
                return ctx.out.error(WRONGTYPE);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < ctx.argc() {
        let remaining = ctx.argc() - j;
        let a = ctx.arg(j);
        if op != SetOp::Diff && !cardinality_only && remaining > setnum && arg_eq(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                match numbers::parse_f64(ctx.arg(j)) {
                    Some(v) => *w = v,
                    None => return ctx.out.error("ERR weight value is not a float"),
                }
                j += 1;
            }
        } else if op != SetOp::Diff && !cardinality_only && remaining >= 2 && arg_eq(a, "aggregate")
        {
            let v = ctx.arg(j + 1);
            agg = if arg_eq(v, "sum") {
                Aggregate::Sum
            } else if arg_eq(v, "min") {
                Aggregate::Min
            } else if arg_eq(v, "max") {
                Aggregate::Max
            } else {
                return ctx.out.error(SYNTAX_ERR);
            };
            j += 2;
        } else if dst.is_none() && !cardinality_only && arg_eq(a, "withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && arg_eq(a, "limit") {
            match numbers::parse_i64(ctx.arg(j + 1)) {
                Some(l) if l >= 0 => limit = l as u64,
                _ => return ctx.out.error("ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
    }

    let dbr = &srv.dbs[db];
    let mut src: Vec<(Src<'_>, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let s = match dbr.peek(k).map(|o| &o.value) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::S(s),
                _ => Src::Missing,
            };
            (s, w)
        })
        .collect();
    if op != SetOp::Diff {
        src.sort_by_key(|(s, _)| s.len());
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality: u64 = 0;
    let (mut maxelelen, mut totelelen) = (0usize, 0usize);
    match op {
        SetOp::Inter => {
            if src[0].0.len() > 0 {
                let (first, w0) = src[0];
                let mut done = false;
                first.for_each(|m, s| {
                    if done {
                        return;
                    }
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for (other, w) in &src[1..] {
                        match other.find(m) {
                            Some(v) => aggregate(&mut score, v * w, agg),
                            None => return,
                        }
                    }
                    if cardinality_only {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit {
                            done = true;
                        }
                    } else {
                        maxelelen = maxelelen.max(m.len());
                        totelelen += m.len();
                        result.push((m.to_vec(), score));
                    }
                });
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for (s, w) in &src {
                s.for_each(|m, sc| {
                    let mut score = w * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            maxelelen = maxelelen.max(m.len());
                            totelelen += m.len();
                            acc.insert(m.to_vec(), score);
                        }
                    }
                });
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            let (first, _) = src[0];
            first.for_each(|m, s| {
                if src[1..].iter().all(|(o, _)| o.find(m).is_none()) {
                    maxelelen = maxelelen.max(m.len());
                    totelelen += m.len();
                    result.push((m.to_vec(), s));
                }
            });
        }
    }
    drop(src);
    if cardinality_only {
        return ctx.out.int(cardinality as i64);
    }
    // Skiplist order: by score (-0 == +0), then member bytes.
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    let Some(dst) = dst else {
        return reply_pairs(&mut ctx.out, &result, withscores);
    };
    if result.is_empty() {
        ctx.out.int(0);
        return delete_dst(srv, ctx, &dst);
    }
    let lim = limits(srv);
    let mut z = ZSetValue::new_skiplist();
    for (m, s) in &result {
        z.add(*s, m, AddFlags::default(), lim);
    }
    z.convert_to_listpack_if_needed(maxelelen, totelelen, lim);
    let n = z.len();
    set_key(srv, ctx, &dst, z);
    ctx.out.int(n as i64);
    let event = match op {
        SetOp::Union => "zunionstore",
        SetOp::Inter => "zinterstore",
        SetOp::Diff => "zdiffstore",
    };
    srv.notify(ctx, NOTIFY_ZSET, event, &dst, db);
    srv.dirty += 1;
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let dst = ctx.argv[1].clone();
    zsetop_generic(srv, ctx, Some(dst), 2, SetOp::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let dst = ctx.argv[1].clone();
    zsetop_generic(srv, ctx, Some(dst), 2, SetOp::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn zdiffstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let dst = ctx.argv[1].clone();
    zsetop_generic(srv, ctx, Some(dst), 2, SetOp::Diff, false)
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...] [WITHSCORES]
pub fn zunion_command(srv: &mut Server, ctx: &mut Ctx) {
    zsetop_generic(srv, ctx, None, 1, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...] [WITHSCORES]
pub fn zinter_command(srv: &mut Server, ctx: &mut Ctx) {
    zsetop_generic(srv, ctx, None, 1, SetOp::Inter, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff_command(srv: &mut Server, ctx: &mut Ctx) {
    zsetop_generic(srv, ctx, None, 1, SetOp::Diff, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard_command(srv: &mut Server, ctx: &mut Ctx) {
    zsetop_generic(srv, ctx, None, 1, SetOp::Inter, true)
}
