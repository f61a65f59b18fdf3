//! Set commands (~ the command half of Redis's `t_set.c`): SADD SREM SMOVE
//! SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SINTER SINTERCARD
//! SINTERSTORE SMEMBERS SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//!
//! The value type and its `intset` / `hashtable` encodings live in
//! `db/set.rs`; this file holds the algorithms that work across sets and
//! the exact reply and propagation behaviour of each command.
//!
//! Invariants kept here:
//! - a key never holds an empty set: every command that removes members
//!   deletes the key when the last one goes, and the STORE variants delete
//!   the destination instead of storing an empty result;
//! - a non-set key answers WRONGTYPE before anything is modified, also when
//!   it is the third of five keys;
//! - replies that Redis sends as a RESP3 set (`~`) use `set_len`: SMEMBERS,
//!   SINTER, SUNION, SDIFF and SPOP with a count; SRANDMEMBER with a count,
//!   SMISMEMBER and SSCAN are arrays;
//! - what reaches the replication stream is what Redis sends: SPOP as SREM
//!   of the popped members (or DEL when it empties the set), everything
//!   else as received.

use std::ptr;

use crate::commands::keys::parse_scan_cursor;
use crate::commands::{arg_eq, typed, WrongType, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_SET};
use crate::db::dict::Dict;
use crate::db::set::{Member, MemberRef, SetDict};
use crate::db::{RObj, SetValue, Value};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;
use crate::util::numbers;

/// Redis's `lookupKeyRead` + `checkType(OBJ_SET)`.
fn read_set<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut SetValue>, WrongType> {
    typed(srv.lookup_read(db, key), Value::set_mut)
}

/// Redis's `lookupKeyWrite` + `checkType(OBJ_SET)`.
fn write_set<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut SetValue>, WrongType> {
    typed(srv.lookup_write(db, key), Value::set_mut)
}

/// A member as a bulk string.
#[inline]
fn reply_member(out: &mut ReplyBuf, m: MemberRef<'_>) {
    match m {
        MemberRef::Int(v) => out.bulk_i64(v),
        MemberRef::Bytes(b) => out.bulk(b),
    }
}

/// `SREM key member`, one propagated command of a popped member.
fn srem_argv(key: &[u8], member: &[u8]) -> Vec<Vec<u8>> {
    vec![b"SREM".to_vec(), key.to_vec(), member.to_vec()]
}

/// SADD key member [member ...]
pub fn sadd_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let max = srv.config.set_max_intset_entries;
    let lru = srv.new_obj_lru();
    let now = srv.cmd_time_ms;
    let argv = &ctx.argv;
    let mut added = 0u64;
    let mut created = false;
    let dbm = &mut srv.dbs[db];
    if let Some(o) = dbm.lookup(&argv[1], now) {
        let set = match &mut o.value {
            Value::Set(s) => s,
            _ => {
                ctx.out.error(WRONGTYPE);
                return;
            }
        };
        for m in &argv[2..] {
            added += u64::from(set.add(m, max));
        }
    } else {
        // A new key: fill the set first, then insert it (one hash lookup).
        let mut set = SetValue::create_for(&argv[2]);
        for m in &argv[2..] {
            added += u64::from(set.add(m, max));
        }
        dbm.add(
            argv[1].as_slice().into(),
            RObj::new(Value::Set(Box::new(set)), lru),
        );
        created = true;
    }
    if added > 0 {
        let key = ctx.argv[1].clone();
        if created {
            srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
        }
        srv.notify(ctx, NOTIFY_SET, "sadd", &key, db);
        srv.signal_modified_key(db, &key);
    }
    srv.dirty += added;
    ctx.out.int(added as i64);
}

/// SREM key member [member ...]
pub fn srem_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let argv = &ctx.argv;
    let set = match write_set(srv, db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(s)) => s,
    };
    let mut deleted = 0u64;
    let mut emptied = false;
    for m in &argv[2..] {
        if set.remove(m) {
            deleted += 1;
            if set.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        srv.dbs[db].delete(&argv[1]);
    }
    if deleted > 0 {
        let key = argv[1].clone();
        srv.notify(ctx, NOTIFY_SET, "srem", &key, db);
        if emptied {
            srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
        }
        srv.signal_modified_key(db, &key);
        srv.dirty += deleted;
    }
    ctx.out.int(deleted as i64);
}

/// SMOVE source destination member
pub fn smove_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let max = srv.config.set_max_intset_entries;
    let argv = &ctx.argv;
    let (src, dst, ele) = (&argv[1], &argv[2], &argv[3]);
    // Both keys are looked up (and lazily expired) before any check.
    let src_kind = write_set(srv, db, src).map(|s| s.is_some());
    let dst_kind = write_set(srv, db, dst).map(|s| s.is_some());
    let src_is_set = match src_kind {
        Ok(false) => return ctx.out.int(0),
        Ok(true) => true,
        Err(WrongType) => false,
    };
    let dst_exists = match dst_kind {
        Ok(e) if src_is_set => e,
        _ => return ctx.out.error(WRONGTYPE),
    };
    if src == dst {
        let member = write_set(srv, db, src)
            .ok()
            .flatten()
            .is_some_and(|s| s.is_member(ele));
        return ctx.out.int(i64::from(member));
    }
    let removed_and_empty = match write_set(srv, db, src) {
        Ok(Some(s)) => s.remove(ele).then(|| s.is_empty()),
        _ => None,
    };
    let Some(src_empty) = removed_and_empty else {
        return ctx.out.int(0);
    };
    let (src, dst, ele) = (src.clone(), dst.clone(), ele.clone());
    if src_empty {
        srv.dbs[db].delete(&src);
    }
    srv.notify(ctx, NOTIFY_SET, "srem", &src, db);
    if src_empty {
        srv.notify(ctx, NOTIFY_GENERIC, "del", &src, db);
    }
    if !dst_exists {
        let lru = srv.new_obj_lru();
        let set = SetValue::create_for(&ele);
        srv.dbs[db].add(
            dst.as_slice().into(),
            RObj::new(Value::Set(Box::new(set)), lru),
        );
        srv.notify(ctx, NOTIFY_NEW, "new", &dst, db);
    }
    srv.signal_modified_key(db, &src);
    srv.dirty += 1;
    let added = match write_set(srv, db, &dst) {
        Ok(Some(s)) => s.add(&ele, max),
        _ => false,
    };
    if added {
        srv.dirty += 1;
        srv.signal_modified_key(db, &dst);
        srv.notify(ctx, NOTIFY_SET, "sadd", &dst, db);
    }
    ctx.out.int(1);
}

/// SISMEMBER key member
pub fn sismember_command(srv: &mut Server, ctx: &mut Ctx) {
    let argv = &ctx.argv;
    match read_set(srv, ctx.db, &argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(s)) => ctx.out.int(i64::from(s.is_member(&argv[2]))),
    }
}

/// SMISMEMBER key member [member ...]
pub fn smismember_command(srv: &mut Server, ctx: &mut Ctx) {
    let argv = &ctx.argv;
    // A missing key is an empty set: all zeros, not an early reply.
    let mut set = match read_set(srv, ctx.db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(s) => s,
    };
    ctx.out.array_len(argv.len() - 2);
    for m in &argv[2..] {
        let found = set.as_mut().is_some_and(|s| s.is_member(m));
        ctx.out.int(i64::from(found));
    }
}

/// SCARD key
pub fn scard_command(srv: &mut Server, ctx: &mut Ctx) {
    match read_set(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(s)) => ctx.out.int(s.len() as i64),
    }
}

/// SPOP key [count]
pub fn spop_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() == 3 {
        return spop_with_count(srv, ctx);
    }
    if ctx.argc() > 3 {
        return ctx.out.error(SYNTAX_ERR);
    }
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let (member, now_empty) = match write_set(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.null(),
        Ok(Some(set)) => {
            let Some(m) = set.random_member().map(|m| m.to_member()) else {
                return ctx.out.null();
            };
            set.remove(&m);
            (m, set.is_empty())
        }
    };
    ctx.out.bulk(&member);
    if now_empty {
        srv.dbs[db].delete(&key);
    }
    srv.notify(ctx, NOTIFY_SET, "spop", &key, db);
    if now_empty {
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
    }
    ctx.rewrite_as(srem_argv(&key, &member));
    srv.signal_modified_key(db, &key);
    srv.dirty += 1;
}

/// Above this ratio of popped to remaining members, SPOP with a count
/// rebuilds the set from the survivors instead of removing the popped ones
/// (Redis's `SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// SPOP key count
///
/// Three strategies, chosen by how much of the set is popped (Redis's
/// `spopWithCountCommand`):
///
/// 1. `count >= size`: the whole set is the answer. Reply it (as SUNION of
///    the one key would) and delete the key; propagate `DEL key`.
/// 2. few members popped (`remaining * 5 > count`): draw a random member,
///    reply and remove it, `count` times. Each draw is uniform over what is
///    left, so the popped members are a uniform random subset.
/// 3. most of the set popped: draw the `remaining` members that *stay*,
///    moving them into a new set, then reply everything left in the old set
///    and put the new set in its place. Drawing the few survivors is far
///    cheaper than drawing the many victims (random draws from a hashtable
///    being emptied get slower as it thins out), and the survivors are just
///    as uniform a subset. The new set is built like any new set, so an
///    integer-only hashtable can come back as an intset, as in Redis.
///
/// Strategies 2 and 3 propagate one `SREM key member` per popped member, so
/// replicas remove exactly the members the client received.
fn spop_with_count(srv: &mut Server, ctx: &mut Ctx) {
    let count = match numbers::parse_i64(&ctx.argv[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return ctx.out.error("ERR value is out of range, must be positive"),
    };
    let db = ctx.db;
    let max = srv.config.set_max_intset_entries;
    let key = ctx.argv[1].clone();
    let size = match write_set(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.set_len(0),
        Ok(Some(s)) => s.len() as u64,
    };
    if count == 0 {
        return ctx.out.set_len(0);
    }
    srv.dirty += count.min(size);

    if count >= size {
        sunion_diff_generic(srv, ctx, 1, 1, None, SetOp::Union);
        srv.dbs[db].delete(&key);
        srv.notify(ctx, NOTIFY_SET, "spop", &key, db);
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
        ctx.rewrite_as(vec![b"DEL".to_vec(), key.clone()]);
        srv.signal_modified_key(db, &key);
        return;
    }

    let propagate = srv.propagation_wanted();
    let mut also: Vec<Vec<Vec<u8>>> = Vec::new();
    let count = count as usize;
    let remaining = size as usize - count;
    let Ok(Some(set)) = write_set(srv, db, &key) else {
        return;
    };
    ctx.out.set_len(count);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        for _ in 0..count {
            let Some(m) = set.random_member().map(|m| m.to_member()) else {
                break;
            };
            ctx.out.bulk(&m);
            set.remove(&m);
            if propagate {
                also.push(srem_argv(&key, &m));
            }
        }
    } else {
        let mut survivors: Option<SetValue> = None;
        for _ in 0..remaining {
            let Some(m) = set.random_member().map(|m| m.to_member()) else {
                break;
            };
            survivors
                .get_or_insert_with(|| SetValue::create_for(&m))
                .add(&m, max);
            set.remove(&m);
        }
        for m in set.iter() {
            reply_member(&mut ctx.out, m);
            if propagate {
                also.push(srem_argv(&key, &m.to_bytes()));
            }
        }
        // Same key, same TTL: only the value is swapped (`dbOverwrite`).
        *set = survivors.unwrap_or_default();
    }
    // Replaces the propagation of SPOP itself (Redis's
    // `preventCommandPropagation` after `alsoPropagate`).
    ctx.rewrite = Some(also);
    srv.notify(ctx, NOTIFY_SET, "spop", &key, db);
    srv.signal_modified_key(db, &key);
}

/// SRANDMEMBER key [count]
pub fn srandmember_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() == 3 {
        return srandmember_with_count(srv, ctx);
    }
    if ctx.argc() > 3 {
        return ctx.out.error(SYNTAX_ERR);
    }
    match read_set(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.null(),
        Ok(Some(set)) => match set.random_member() {
            Some(m) => reply_member(&mut ctx.out, m),
            None => ctx.out.null(),
        },
    }
}

/// Below this ratio of set size to requested members, SRANDMEMBER copies
/// the set and removes members instead of drawing them (Redis's
/// `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// SRANDMEMBER key count
///
/// Four cases (Redis's `srandmemberWithCountCommand`):
///
/// 1. negative count (or 1): `|count|` independent draws, repeats allowed,
///    in draw order. The only case whose order is itself random.
/// 2. `count >= size`: every member, once.
/// 3. `count * 3 > size`: copy the set into a scratch dict and delete
///    uniformly drawn members until `count` are left. Drawing the few to
///    drop beats drawing the many to keep: collecting `count` distinct
///    members by repeated draws is a coupon-collector race that gets slow as
///    `count` nears `size`.
/// 4. otherwise: draw into a scratch dict until it holds `count` distinct
///    members; with `size >= 3 * count` most draws are new.
///
/// Cases 3 and 4 return distinct members forming a uniform random subset,
/// replied in the scratch dict's order.
fn srandmember_with_count(srv: &mut Server, ctx: &mut Ctx) {
    let (count, uniq) = match numbers::parse_i64(&ctx.argv[2]) {
        None => return ctx.out.error(NOT_INT_ERR),
        Some(i64::MIN) => {
            return ctx.out.error(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(l) if l >= 0 => (l as u64, true),
        Some(l) => (l.unsigned_abs(), false),
    };
    let set = match read_set(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        // An empty array (not a set, not null) in both protocols.
        Ok(None) => return ctx.out.array_len(0),
        Ok(Some(s)) => s,
    };
    let size = set.len();
    if count == 0 {
        return ctx.out.array_len(0);
    }
    let out = &mut ctx.out;

    if !uniq || count == 1 {
        out.array_len(count as usize);
        for _ in 0..count {
            match set.random_member() {
                Some(m) => reply_member(out, m),
                None => break,
            }
        }
        return;
    }

    if count >= size as u64 {
        out.array_len(size);
        for m in set.iter() {
            reply_member(out, m);
        }
        return;
    }

    let count = count as usize;
    let mut picked: SetDict = Dict::new();
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        picked.expand(size);
        for m in set.iter() {
            picked.insert(m.to_member(), ());
        }
        while picked.len() > count {
            let Some(victim) = picked.fair_random_entry().map(|(k, _)| k.clone()) else {
                break;
            };
            picked.remove(&victim);
        }
    } else {
        picked.expand(count);
        while picked.len() < count {
            let Some(m) = set.random_member().map(|m| m.to_member()) else {
                break;
            };
            let _ = picked.insert_new(m, ());
        }
    }
    out.array_len(picked.len());
    for (m, _) in picked.iter() {
        out.bulk(m);
    }
}

/// Reply the empty set (`*0` / `~0`).
fn reply_empty_set(out: &mut ReplyBuf) {
    out.set_len(0);
}

/// Store a STORE command's result in `dst`, or delete `dst` when the result
/// is empty; replies the result's cardinality.
fn store_result(srv: &mut Server, ctx: &mut Ctx, dst: &[u8], result: SetValue) {
    let db = ctx.db;
    if result.is_empty() {
        ctx.out.int(0);
        if srv.dbs[db].delete(dst).is_some() {
            srv.dirty += 1;
            srv.signal_modified_key(db, dst);
            srv.notify(ctx, NOTIFY_GENERIC, "del", dst, db);
        }
        return;
    }
    let n = result.len();
    let lru = srv.new_obj_lru();
    let now = srv.cmd_time_ms;
    srv.dbs[db].expire_if_needed(dst, now);
    let existed = srv.dbs[db].set(dst, RObj::new(Value::Set(Box::new(result)), lru), false);
    srv.signal_modified_key(db, dst);
    srv.dirty += 1;
    ctx.out.int(n as i64);
    if !existed {
        srv.notify(ctx, NOTIFY_NEW, "new", dst, db);
    }
    // The event is the command's name: sinterstore, sunionstore, sdiffstore.
    let event = srv.commands.entries[ctx.cmd].def.name;
    srv.notify(ctx, NOTIFY_SET, event, dst, db);
}

/// What SINTER-like commands do with the intersection.
enum InterMode<'a> {
    /// SINTER / SMEMBERS: reply it.
    Reply,
    /// SINTERSTORE: store it at this key.
    Store(&'a [u8]),
    /// SINTERCARD: count it, stopping at a limit (0 = none).
    Card(u64),
}

/// SINTER / SMEMBERS / SINTERSTORE / SINTERCARD over the keys
/// `argv[first..first + n]` (Redis's `sinterGenericCommand`).
///
/// # Algorithm
///
/// Any missing key makes the intersection empty, answered at once. Else the
/// sets are sorted by cardinality (stable, so equal sizes keep argument
/// order) and each member of the smallest is probed in all the others,
/// stopping at the first set that lacks it: O(N * M) for N members of the
/// smallest set and M sets, and nothing better is possible without
/// per-set indexes. Intset members are probed in intsets as integers (a
/// binary search) and in hashtables by their decimal form.
///
/// The stored result starts as an empty intset and grows like any set, so
/// intersecting intsets gives an intset and a result holding a string
/// member is a hashtable, whatever the inputs' encodings.
fn sinter_generic(srv: &mut Server, ctx: &mut Ctx, first: usize, n: usize, mode: InterMode<'_>) {
    let db = ctx.db;
    let max = srv.config.set_max_intset_entries;
    let keys = &ctx.argv[first..first + n];
    let mut empty = false;
    for k in keys {
        match read_set(srv, db, k) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(None) => empty = true,
            Ok(Some(_)) => {}
        }
    }
    let dbr = &srv.dbs[db];
    let mut sets: Vec<&SetValue> = keys
        .iter()
        .filter_map(|k| dbr.peek(k).and_then(RObj::as_set))
        .collect();
    if empty || sets.len() != n {
        match mode {
            InterMode::Store(dst) => {
                if srv.dbs[db].delete(dst).is_some() {
                    srv.signal_modified_key(db, dst);
                    srv.notify(ctx, NOTIFY_GENERIC, "del", dst, db);
                    srv.dirty += 1;
                }
                ctx.out.int(0);
            }
            InterMode::Card(_) => ctx.out.int(0),
            InterMode::Reply => reply_empty_set(&mut ctx.out),
        }
        return;
    }
    sets.sort_by_key(|s| s.len());
    let smallest = sets[0];
    let in_all = |m: MemberRef<'_>| {
        sets[1..]
            .iter()
            .all(|s| ptr::eq(*s, smallest) || s.contains_ref(m))
    };
    match mode {
        InterMode::Card(limit) => {
            let mut card = 0u64;
            for m in smallest.iter() {
                if in_all(m) {
                    card += 1;
                    if limit > 0 && card >= limit {
                        break;
                    }
                }
            }
            ctx.out.int(card as i64);
        }
        InterMode::Reply => {
            let found: Vec<MemberRef<'_>> = smallest.iter().filter(|&m| in_all(m)).collect();
            ctx.out.set_len(found.len());
            for m in found {
                reply_member(&mut ctx.out, m);
            }
        }
        InterMode::Store(dst) => {
            let mut result = SetValue::new_intset();
            for m in smallest.iter() {
                if in_all(m) {
                    result.add_ref(m, max);
                }
            }
            let dst = dst.to_vec();
            store_result(srv, ctx, &dst, result);
        }
    }
}

/// SINTER key [key ...]
pub fn sinter_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 1;
    sinter_generic(srv, ctx, 1, n, InterMode::Reply);
}

/// SMEMBERS key (an intersection of one set, as in Redis)
pub fn smembers_command(srv: &mut Server, ctx: &mut Ctx) {
    sinter_generic(srv, ctx, 1, 1, InterMode::Reply);
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 2;
    let dst = ctx.argv[1].clone();
    sinter_generic(srv, ctx, 2, n, InterMode::Store(&dst));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard_command(srv: &mut Server, ctx: &mut Ctx) {
    let numkeys = match numbers::parse_i64(&ctx.argv[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return ctx.out.error("ERR numkeys should be greater than 0"),
    };
    if numkeys > (ctx.argc() - 2) as u64 {
        return ctx
            .out
            .error("ERR Number of keys can't be greater than number of args");
    }
    let numkeys = numkeys as usize;
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if arg_eq(&ctx.argv[j], "limit") && more > 0 {
            j += 1;
            limit = match numbers::parse_i64(&ctx.argv[j]) {
                Some(l) if l >= 0 => l as u64,
                _ => return ctx.out.error("ERR LIMIT can't be negative"),
            };
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        j += 1;
    }
    sinter_generic(srv, ctx, 2, numkeys, InterMode::Card(limit));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION / SDIFF and their STORE forms over `argv[first..first + n]`
/// (Redis's `sunionDiffGenericCommand`). Missing keys are empty sets.
///
/// The result is always built as a new set (starting as an empty intset,
/// converting as members arrive) and then replied or stored, so its
/// encoding and, for intsets, its order are Redis's.
///
/// # Choosing the DIFF algorithm
///
/// 1. For each member of the first set, probe the others (stop at the first
///    hit): about N * M operations for N members in the first set and M sets,
///    and fewer when members are found early, so the sets to subtract are
///    probed largest first.
/// 2. Copy the first set, then remove every member of every other set: one
///    operation per member of every set, stopping early if the copy empties.
///
/// Algorithm 1 is used when half its worst-case work is at most algorithm
/// 2's (it has better constants and usually stops early). When the first
/// key is repeated later, the difference is empty without looking.
fn sunion_diff_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    first: usize,
    n: usize,
    dst: Option<&[u8]>,
    op: SetOp,
) {
    let db = ctx.db;
    let max = srv.config.set_max_intset_entries;
    let keys = &ctx.argv[first..first + n];
    for k in keys {
        if let Err(WrongType) = read_set(srv, db, k) {
            return ctx.out.error(WRONGTYPE);
        }
    }
    let dbr = &srv.dbs[db];
    let mut sets: Vec<Option<&SetValue>> = keys
        .iter()
        .map(|k| dbr.peek(k).and_then(RObj::as_set))
        .collect();
    let sameset = sets[0].is_some() && keys[1..].iter().any(|k| *k == keys[0]);

    let mut result = SetValue::new_intset();
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.add_ref(m, max);
                }
            }
        }
        SetOp::Diff if sameset => {}
        SetOp::Diff => {
            if let Some(s0) = sets[0] {
                let present = sets.iter().flatten();
                let algo_one_work = present.clone().count() * s0.len() / 2;
                let algo_two_work: usize = present.map(|s| s.len()).sum();
                if algo_one_work <= algo_two_work {
                    sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.len())));
                    for m in s0.iter() {
                        let elsewhere = sets[1..]
                            .iter()
                            .flatten()
                            .any(|s| ptr::eq(*s, s0) || s.contains_ref(m));
                        if !elsewhere {
                            result.add_ref(m, max);
                        }
                    }
                } else {
                    for (j, s) in sets.iter().enumerate() {
                        let Some(s) = s else { continue };
                        for m in s.iter() {
                            if j == 0 {
                                result.add_ref(m, max);
                            } else {
                                result.remove_ref(m);
                            }
                        }
                        if result.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
    }

    match dst {
        None => {
            ctx.out.set_len(result.len());
            for m in result.iter() {
                reply_member(&mut ctx.out, m);
            }
        }
        Some(dst) => {
            let dst = dst.to_vec();
            store_result(srv, ctx, &dst, result);
        }
    }
}

/// SUNION key [key ...]
pub fn sunion_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 1;
    sunion_diff_generic(srv, ctx, 1, n, None, SetOp::Union);
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 2;
    let dst = ctx.argv[1].clone();
    sunion_diff_generic(srv, ctx, 2, n, Some(&dst), SetOp::Union);
}

/// SDIFF key [key ...]
pub fn sdiff_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 1;
    sunion_diff_generic(srv, ctx, 1, n, None, SetOp::Diff);
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 2;
    let dst = ctx.argv[1].clone();
    sunion_diff_generic(srv, ctx, 2, n, Some(&dst), SetOp::Diff);
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
///
/// The cursor is the reverse-binary dict cursor of the set's hashtable (see
/// [`Dict::scan`]), with SCAN's guarantees. An intset is small by
/// construction, so it is returned whole with cursor 0, as Redis does; the
/// same happens for any cursor value the client sends.
pub fn sscan_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(mut cursor) = parse_scan_cursor(&ctx.argv[2]) else {
        return ctx.out.error("ERR invalid cursor");
    };
    let argv = &ctx.argv;
    let set = match read_set(srv, ctx.db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => {
            ctx.out.array_len(2);
            ctx.out.bulk(b"0");
            ctx.out.array_len(0);
            return;
        }
        Ok(Some(s)) => s,
    };
    // Options are parsed only once the key is known to be a set.
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if arg_eq(&argv[i], "count") && more >= 1 {
            count = match numbers::parse_i64(&argv[i + 1]) {
                Some(c) => c,
                None => return ctx.out.error(NOT_INT_ERR),
            };
            if count < 1 {
                return ctx.out.error(SYNTAX_ERR);
            }
            i += 2;
        } else if arg_eq(&argv[i], "match") && more >= 1 {
            let p = &argv[i + 1][..];
            pattern = if p == b"*" { None } else { Some(p) };
            i += 2;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
    }
    let mut found: Vec<Member> = Vec::new();
    match set {
        SetValue::Intset(is) => {
            found.extend(is.iter().map(|v| MemberRef::Int(v).to_member()));
            cursor = 0;
        }
        SetValue::Hashtable(d) => {
            // At most 10 * COUNT further buckets after the first, so a
            // sparse table cannot make one call walk it all.
            let mut budget = count.saturating_mul(10);
            loop {
                cursor = d.scan(cursor, |k, _| found.push(k.clone()));
                if cursor == 0 || budget == 0 || found.len() as i64 >= count {
                    break;
                }
                budget -= 1;
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|m| string_match(p, m, false));
    }
    ctx.out.array_len(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array_len(found.len());
    for m in &found {
        ctx.out.bulk(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn server() -> Server {
        Server::new(Config::default())
    }

    /// Run one command on db 0 and return the raw reply.
    fn run(srv: &mut Server, args: &[&str]) -> String {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let id = srv.commands.lookup(&argv).ok().expect("known command");
        srv.commands.check_arity(id, argv.len()).expect("arity");
        let mut ctx = Ctx::new(argv, ReplyBuf::new(), 0, 0, id);
        let handler = srv.commands.entries[id].def.handler;
        handler(srv, &mut ctx);
        String::from_utf8_lossy(&ctx.out.contents()).into_owned()
    }

    fn encoding(srv: &mut Server, key: &str) -> String {
        run(srv, &["object", "encoding", key])
    }

    /// The payloads of the bulk strings in a raw reply, in order.
    fn bulks(reply: &str) -> Vec<String> {
        let lines: Vec<&str> = reply.split("\r\n").collect();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if l.starts_with('$') && *l != "$-1" {
                out.push(lines[i + 1].to_string());
            }
        }
        out
    }

    #[test]
    fn sadd_srem_and_key_lifecycle() {
        let mut srv = server();
        assert_eq!(run(&mut srv, &["sadd", "s", "1", "2", "2"]), ":2\r\n");
        assert_eq!(encoding(&mut srv, "s"), "$6\r\nintset\r\n");
        assert_eq!(run(&mut srv, &["sadd", "s", "x"]), ":1\r\n");
        assert_eq!(encoding(&mut srv, "s"), "$9\r\nhashtable\r\n");
        assert_eq!(run(&mut srv, &["srem", "s", "1", "2", "x", "y"]), ":3\r\n");
        assert_eq!(run(&mut srv, &["exists", "s"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["srem", "s", "1"]), ":0\r\n");
        run(&mut srv, &["set", "str", "v"]);
        assert!(run(&mut srv, &["sadd", "str", "a"]).starts_with("-WRONGTYPE"));
        assert!(run(&mut srv, &["srem", "str", "a"]).starts_with("-WRONGTYPE"));
        assert!(run(&mut srv, &["scard", "str"]).starts_with("-WRONGTYPE"));
        assert_eq!(run(&mut srv, &["type", "str"]), "+string\r\n");
        run(&mut srv, &["sadd", "t", "a"]);
        assert_eq!(run(&mut srv, &["type", "t"]), "+set\r\n");
    }

    #[test]
    fn intset_limit_follows_config() {
        let mut srv = server();
        srv.config.set_max_intset_entries = 3;
        run(&mut srv, &["sadd", "s", "1", "2", "3"]);
        assert_eq!(encoding(&mut srv, "s"), "$6\r\nintset\r\n");
        run(&mut srv, &["sadd", "s", "4"]);
        assert_eq!(encoding(&mut srv, "s"), "$9\r\nhashtable\r\n");
    }

    #[test]
    fn store_variants_pick_redis_encodings_and_delete_on_empty() {
        let mut srv = server();
        run(&mut srv, &["sadd", "a", "1", "2", "3"]);
        run(&mut srv, &["sadd", "b", "2", "3", "x"]);
        assert_eq!(run(&mut srv, &["sinterstore", "d", "a", "b"]), ":2\r\n");
        assert_eq!(encoding(&mut srv, "d"), "$6\r\nintset\r\n");
        assert_eq!(run(&mut srv, &["sunionstore", "d", "a", "b"]), ":4\r\n");
        assert_eq!(encoding(&mut srv, "d"), "$9\r\nhashtable\r\n");
        assert_eq!(run(&mut srv, &["sdiffstore", "d", "a", "b"]), ":1\r\n");
        assert_eq!(run(&mut srv, &["smembers", "d"]), "*1\r\n$1\r\n1\r\n");
        assert_eq!(run(&mut srv, &["sinterstore", "d", "a", "nokey"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["exists", "d"]), ":0\r\n");
        run(&mut srv, &["set", "d", "x"]);
        assert_eq!(run(&mut srv, &["sdiffstore", "d", "a", "a"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["exists", "d"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["sintercard", "2", "a", "b"]), ":2\r\n");
        assert_eq!(
            run(&mut srv, &["sintercard", "2", "a", "b", "limit", "1"]),
            ":1\r\n"
        );
        assert_eq!(
            run(&mut srv, &["sinter", "a", "b"]),
            "*2\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
    }

    #[test]
    fn smove_between_encodings() {
        let mut srv = server();
        run(&mut srv, &["sadd", "src", "1", "a"]);
        run(&mut srv, &["sadd", "dst", "5"]);
        assert_eq!(run(&mut srv, &["smove", "src", "dst", "1"]), ":1\r\n");
        assert_eq!(encoding(&mut srv, "dst"), "$6\r\nintset\r\n");
        assert_eq!(run(&mut srv, &["smove", "src", "dst", "a"]), ":1\r\n");
        assert_eq!(encoding(&mut srv, "dst"), "$9\r\nhashtable\r\n");
        assert_eq!(run(&mut srv, &["exists", "src"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["smove", "dst", "dst", "a"]), ":1\r\n");
        assert_eq!(run(&mut srv, &["smove", "dst", "dst", "zz"]), ":0\r\n");
        assert_eq!(run(&mut srv, &["smove", "dst", "new", "5"]), ":1\r\n");
        assert_eq!(encoding(&mut srv, "new"), "$6\r\nintset\r\n");
    }

    #[test]
    fn spop_with_count_strategies_keep_the_set_consistent() {
        // Sizes and counts hitting all three strategies, on both encodings.
        for &(size, count) in &[(20usize, 2usize), (20, 18), (20, 30), (100, 50)] {
            for strings in [false, true] {
                let mut srv = server();
                let members: Vec<String> = (0..size)
                    .map(|i| {
                        if strings {
                            format!("m{}", i)
                        } else {
                            i.to_string()
                        }
                    })
                    .collect();
                let mut args = vec!["sadd".to_string(), "s".to_string()];
                args.extend(members.iter().cloned());
                let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
                run(&mut srv, &refs);
                let popped = run(&mut srv, &["spop", "s", &count.to_string()]);
                let n = count.min(size);
                assert!(popped.starts_with(&format!("*{}\r\n", n)), "{}", popped);
                let left = run(&mut srv, &["scard", "s"]);
                assert_eq!(left, format!(":{}\r\n", size - n));
                // Every popped member is gone, every other one is still there.
                for m in &members {
                    let was_popped = popped.contains(&format!("\r\n{}\r\n", m));
                    let still = run(&mut srv, &["sismember", "s", m]) == ":1\r\n";
                    assert!(
                        was_popped != still,
                        "{} popped={} still={}",
                        m,
                        was_popped,
                        still
                    );
                }
            }
        }
    }

    #[test]
    fn srandmember_counts() {
        let mut srv = server();
        run(
            &mut srv,
            &[
                "sadd", "s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
            ],
        );
        for count in [2, 5, 8, 10, 20] {
            let r = run(&mut srv, &["srandmember", "s", &count.to_string()]);
            let items = bulks(&r);
            let mut uniq = items.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), (count as usize).min(10), "{}", r);
            assert_eq!(items.len(), uniq.len());
        }
        let r = run(&mut srv, &["srandmember", "s", "-30"]);
        assert!(r.starts_with("*30\r\n"));
        assert_eq!(run(&mut srv, &["srandmember", "s", "0"]), "*0\r\n");
        assert_eq!(run(&mut srv, &["srandmember", "nokey", "5"]), "*0\r\n");
        assert_eq!(run(&mut srv, &["srandmember", "nokey"]), "$-1\r\n");
    }

    #[test]
    fn sscan_intset_returns_everything_with_cursor_zero() {
        let mut srv = server();
        run(&mut srv, &["sadd", "s", "3", "1", "2"]);
        assert_eq!(
            run(&mut srv, &["sscan", "s", "123", "count", "1"]),
            "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            run(&mut srv, &["sscan", "s", "0", "match", "2"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n"
        );
        assert_eq!(
            run(&mut srv, &["sscan", "nokey", "0", "count", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(
            run(&mut srv, &["sscan", "s", "0", "count", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut srv, &["sscan", "s", "x"]),
            "-ERR invalid cursor\r\n"
        );
    }

    #[test]
    fn sscan_hashtable_visits_every_member() {
        let mut srv = server();
        let mut args = vec!["sadd".to_string(), "s".to_string()];
        args.extend((0..1000).map(|i| format!("m{}", i)));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        run(&mut srv, &refs);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let r = run(&mut srv, &["sscan", "s", &cursor, "count", "7"]);
            let items = bulks(&r);
            cursor = items[0].clone();
            seen.extend(items.into_iter().skip(1));
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        assert!(calls > 10);
    }
}
