//! List commands (~ the command half of Redis's `t_list.c`): LPUSH RPUSH
//! LPUSHX RPUSHX LINSERT LLEN LINDEX LSET LPOP RPOP LMPOP LRANGE LTRIM LPOS
//! LREM LMOVE RPOPLPUSH.
//!
//! The value type is the quicklist (`db/quicklist.rs`); this file holds
//! argument parsing, replies, keyspace notifications and propagation.
//!
//! Invariants kept here:
//! - a key never holds an empty list: whatever removes the last element
//!   deletes the key and emits `del` after the command's own event;
//! - a key created by a push emits `new` before the push event (Redis's
//!   `dbAdd` notifies);
//! - arguments are validated in Redis's order relative to the key lookup,
//!   so a missing key and a bad argument answer as Redis does (LINDEX and
//!   LSET look the key up first, LRANGE and the pops parse first);
//! - LMPOP propagates as LPOP/RPOP with the count actually popped.
//!
//! Blocking variants (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP) are not
//! implemented yet; [`list_pop_reply`], [`list_push`] and [`lmove_generic`]
//! are the entry points a blocking layer serves clients through (Redis's
//! `serveClientBlockedOnList` uses the same pieces).

use crate::commands::{parse_i64_arg, typed, WrongType, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW};
use crate::db::listpack::LpEntry;
use crate::db::{Quicklist, RObj, Value};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::numbers;

/// An empty list with the current `list-max-listpack-size` and
/// `list-compress-depth`, which it keeps for its lifetime (as in Redis).
pub(crate) fn new_list(srv: &Server) -> Box<Quicklist> {
    Box::new(Quicklist::with_options(
        srv.config.list_max_listpack_size,
        srv.config.list_compress_depth,
    ))
}

/// Redis's `lookupKeyRead` + `checkType(OBJ_LIST)`.
fn read_list<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Quicklist>, WrongType> {
    typed(srv.lookup_read(db, key), Value::list_mut)
}

/// Redis's `lookupKeyWrite` + `checkType(OBJ_LIST)`.
fn write_list<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Quicklist>, WrongType> {
    typed(srv.lookup_write(db, key), Value::list_mut)
}

/// An element as a bulk string.
#[inline]
fn reply_entry(out: &mut ReplyBuf, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// LEFT / RIGHT (`getListPositionFromObjectOrReply`): true for the head.
fn parse_side(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"left") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Some(false)
    } else {
        None
    }
}

/// A non-negative integer argument (`getPositiveLongFromObjectOrReply`):
/// one error text, `msg` or Redis's default, for both a non-integer and a
/// negative value.
fn parse_positive(ctx: &mut Ctx, i: usize, msg: Option<&str>) -> Option<i64> {
    match numbers::parse_i64(ctx.arg(i)) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            ctx.out
                .error(msg.unwrap_or("ERR value is out of range, must be positive"));
            None
        }
    }
}

/// Push `values` to the head or tail of the list at `key`, creating the key
/// when missing (the caller has checked the type). Emits `new` (on
/// creation) and `lpush`/`rpush`, signals the key, counts one dirty per
/// element. Returns the new length. Shared by the push commands and the
/// destination side of LMOVE.
pub fn list_push(
    srv: &mut Server,
    ctx: &mut Ctx,
    db: usize,
    key: &[u8],
    values: &[Vec<u8>],
    head: bool,
) -> usize {
    // One lookup for an existing list; a new one is filled before it is
    // added (its "new" event still comes before the push event).
    let len = match srv.dbs[db].dict.get_mut(key).map(|o| &mut o.value) {
        Some(Value::List(l)) => {
            for v in values {
                l.push(v, head);
            }
            l.len()
        }
        Some(_) => 0,
        None => {
            let mut l = new_list(srv);
            for v in values {
                l.push(v, head);
            }
            let len = l.len();
            let lru = srv.new_obj_lru();
            srv.dbs[db].add(key.into(), RObj::new(Value::List(l), lru));
            srv.notify(ctx, NOTIFY_NEW, "new", key, db);
            len
        }
    };
    srv.dirty += values.len() as u64;
    srv.signal_modified_key(db, key);
    srv.notify(
        ctx,
        NOTIFY_LIST,
        if head { "lpush" } else { "rpush" },
        key,
        db,
    );
    len
}

/// After removing `count` elements from the head/tail of `key`: emit
/// `lpop`/`rpop`, delete an emptied key (with `del`), signal, count dirty
/// (`listElementsRemoved`). Returns whether the key was deleted.
fn list_elements_removed(
    srv: &mut Server,
    ctx: &mut Ctx,
    db: usize,
    key: &[u8],
    head: bool,
    count: usize,
) -> bool {
    srv.notify(
        ctx,
        NOTIFY_LIST,
        if head { "lpop" } else { "rpop" },
        key,
        db,
    );
    let empty = matches!(
        srv.dbs[db].peek(key).map(|o| &o.value),
        Some(Value::List(l)) if l.is_empty()
    );
    if empty {
        srv.dbs[db].delete(key);
        srv.notify(ctx, NOTIFY_GENERIC, "del", key, db);
    }
    srv.signal_modified_key(db, key);
    srv.dirty += count as u64;
    empty
}

/// Pop from the list at `key` (which must exist, hold a list and be
/// non-empty) and reply: one bulk string when `count` is None, else an
/// array of up to `count` elements, prefixed by the key as a two-element
/// array when `with_key` (LMPOP / BLMPOP). Emits the notifications.
/// Returns (elements popped, key deleted).
pub fn list_pop_reply(
    srv: &mut Server,
    ctx: &mut Ctx,
    db: usize,
    key: &[u8],
    head: bool,
    count: Option<usize>,
    with_key: bool,
) -> (usize, bool) {
    let Some(Value::List(l)) = srv.dbs[db].dict.get_mut(key).map(|o| &mut o.value) else {
        ctx.out.null();
        return (0, false);
    };
    if with_key {
        ctx.out.array_len(2);
        ctx.out.bulk(key);
    }
    let n = match count {
        None => {
            let v = l.pop(head).unwrap_or_default();
            ctx.out.bulk(&v);
            1
        }
        Some(c) => {
            let n = c.min(l.len());
            ctx.out.array_len(n);
            for _ in 0..n {
                let v = l.pop(head).unwrap_or_default();
                ctx.out.bulk(&v);
            }
            n
        }
    };
    let deleted = list_elements_removed(srv, ctx, db, key, head, n);
    (n, deleted)
}

fn push_generic(srv: &mut Server, ctx: &mut Ctx, head: bool, xx: bool) {
    let db = ctx.db;
    match write_list(srv, db, &ctx.argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) if xx => return ctx.out.int(0),
        Ok(_) => {}
    }
    // `list_push` needs `ctx` mutably (events write to its reply buffer)
    // while reading the arguments: lend them out for the call.
    let argv = std::mem::take(&mut ctx.argv);
    let len = list_push(srv, ctx, db, &argv[1], &argv[2..], head);
    ctx.argv = argv;
    ctx.out.int(len as i64);
}

/// LPUSH key element [element ...]
pub fn lpush_command(srv: &mut Server, ctx: &mut Ctx) {
    push_generic(srv, ctx, true, false)
}

/// RPUSH key element [element ...]
pub fn rpush_command(srv: &mut Server, ctx: &mut Ctx) {
    push_generic(srv, ctx, false, false)
}

/// LPUSHX key element [element ...]
pub fn lpushx_command(srv: &mut Server, ctx: &mut Ctx) {
    push_generic(srv, ctx, true, true)
}

/// RPUSHX key element [element ...]
pub fn rpushx_command(srv: &mut Server, ctx: &mut Ctx) {
    push_generic(srv, ctx, false, true)
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert_command(srv: &mut Server, ctx: &mut Ctx) {
    let after = if ctx.arg(2).eq_ignore_ascii_case(b"after") {
        true
    } else if ctx.arg(2).eq_ignore_ascii_case(b"before") {
        false
    } else {
        return ctx.out.error(SYNTAX_ERR);
    };
    let db = ctx.db;
    let argv = &ctx.argv;
    let l = match write_list(srv, db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(l)) => l,
    };
    let Some(pivot) = l.iter().position(|e| e.eq_bytes(&argv[3])) else {
        return ctx.out.int(-1);
    };
    l.insert(pivot, &argv[4], after);
    let len = l.len();
    let key = argv[1].clone();
    srv.signal_modified_key(db, &key);
    srv.notify(ctx, NOTIFY_LIST, "linsert", &key, db);
    srv.dirty += 1;
    ctx.out.int(len as i64);
}

/// LLEN key
pub fn llen_command(srv: &mut Server, ctx: &mut Ctx) {
    match read_list(srv, ctx.db, &ctx.argv[1]) {
        Err(WrongType) => ctx.out.error(WRONGTYPE),
        Ok(None) => ctx.out.int(0),
        Ok(Some(l)) => ctx.out.int(l.len() as i64),
    }
}

/// LINDEX key index
pub fn lindex_command(srv: &mut Server, ctx: &mut Ctx) {
    let argv = &ctx.argv;
    let l = match read_list(srv, ctx.db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.null(),
        Ok(Some(l)) => l,
    };
    let Some(index) = numbers::parse_i64(&argv[2]) else {
        return ctx.out.error(NOT_INT_ERR);
    };
    match l.get(index) {
        Some(e) => reply_entry(&mut ctx.out, e),
        None => ctx.out.null(),
    }
}

/// LSET key index element
pub fn lset_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let argv = &ctx.argv;
    let l = match write_list(srv, db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.error("ERR no such key"),
        Ok(Some(l)) => l,
    };
    let Some(index) = numbers::parse_i64(&argv[2]) else {
        return ctx.out.error(NOT_INT_ERR);
    };
    if !l.replace(index, &argv[3]) {
        return ctx.out.error("ERR index out of range");
    }
    ctx.out.ok();
    let key = argv[1].clone();
    srv.signal_modified_key(db, &key);
    srv.notify(ctx, NOTIFY_LIST, "lset", &key, db);
    srv.dirty += 1;
}

fn pop_generic(srv: &mut Server, ctx: &mut Ctx, head: bool) {
    if ctx.argc() > 3 {
        return crate::commands::arity_error(srv, ctx);
    }
    let count = if ctx.argc() == 3 {
        match parse_positive(ctx, 2, None) {
            Some(c) => Some(c as usize),
            None => return,
        }
    } else {
        None
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    match write_list(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) if count.is_some() => return ctx.out.null_array(),
        Ok(None) => return ctx.out.null(),
        Ok(Some(_)) => {}
    }
    if count == Some(0) {
        return ctx.out.array_len(0);
    }
    list_pop_reply(srv, ctx, db, &key, head, count, false);
}

/// LPOP key [count]
pub fn lpop_command(srv: &mut Server, ctx: &mut Ctx) {
    pop_generic(srv, ctx, true)
}

/// RPOP key [count]
pub fn rpop_command(srv: &mut Server, ctx: &mut Ctx) {
    pop_generic(srv, ctx, false)
}

/// The parsed tail of LMPOP / BLMPOP: keys, side and count.
pub struct MpopArgs {
    pub keys: Vec<Vec<u8>>,
    pub head: bool,
    pub count: usize,
}

/// Parse `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at
/// argument `numkeys_idx` (`lmpopGenericCommand`); replies the error and
/// returns None on bad input.
pub fn parse_mpop_args(ctx: &mut Ctx, numkeys_idx: usize) -> Option<MpopArgs> {
    const NUMKEYS_ERR: &str = "ERR numkeys should be greater than 0";
    let numkeys = match numbers::parse_i64(ctx.arg(numkeys_idx)) {
        Some(n) if n >= 1 => n as u64,
        _ => {
            ctx.out.error(NUMKEYS_ERR);
            return None;
        }
    };
    let where_idx = (numkeys_idx as u64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_idx >= ctx.argc() as u64 {
        ctx.out.error(SYNTAX_ERR);
        return None;
    }
    let where_idx = where_idx as usize;
    let Some(head) = parse_side(ctx.arg(where_idx)) else {
        ctx.out.error(SYNTAX_ERR);
        return None;
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if count.is_none() && ctx.arg(j).eq_ignore_ascii_case(b"count") && more > 0 {
            j += 1;
            match numbers::parse_i64(ctx.arg(j)) {
                Some(c) if c >= 1 => count = Some(c as usize),
                _ => {
                    ctx.out.error("ERR count should be greater than 0");
                    return None;
                }
            }
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some(MpopArgs {
        keys: ctx.argv[numkeys_idx + 1..where_idx].to_vec(),
        head,
        count: count.unwrap_or(1),
    })
}

/// Pop from the first non-empty list among `args.keys` and reply
/// `[key, [elements]]`, or a null array when all are missing
/// (`mpopGenericCommand`). Returns false when nothing was popped.
pub fn mpop_generic(srv: &mut Server, ctx: &mut Ctx, args: &MpopArgs) -> bool {
    let db = ctx.db;
    for key in &args.keys {
        let len = match write_list(srv, db, key) {
            Err(WrongType) => {
                ctx.out.error(WRONGTYPE);
                return false;
            }
            Ok(None) => continue,
            Ok(Some(l)) => l.len(),
        };
        if len == 0 {
            continue;
        }
        let (n, _) = list_pop_reply(srv, ctx, db, key, args.head, Some(args.count), true);
        let cmd: &[u8] = if args.head { b"LPOP" } else { b"RPOP" };
        ctx.rewrite_as(vec![cmd.to_vec(), key.clone(), n.to_string().into_bytes()]);
        return true;
    }
    ctx.out.null_array();
    false
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop_command(srv: &mut Server, ctx: &mut Ctx) {
    if let Some(args) = parse_mpop_args(ctx, 1) {
        mpop_generic(srv, ctx, &args);
    }
}

/// The reply range of LRANGE for a list of `len` (`addListRangeReply`'s
/// arithmetic): None when empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
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

/// LRANGE key start stop
pub fn lrange_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(start) = parse_i64_arg(ctx, 2) else {
        return;
    };
    let Some(end) = parse_i64_arg(ctx, 3) else {
        return;
    };
    let argv = &ctx.argv;
    let l = match read_list(srv, ctx.db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.array_len(0),
        Ok(Some(l)) => l,
    };
    match clamp_range(start, end, l.len()) {
        None => ctx.out.array_len(0),
        Some((s, e)) => {
            ctx.out.array_len(e - s + 1);
            for v in l.iter_from(s, false).take(e - s + 1) {
                reply_entry(&mut ctx.out, v);
            }
        }
    }
}

/// LTRIM key start stop
pub fn ltrim_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(start) = parse_i64_arg(ctx, 2) else {
        return;
    };
    let Some(end) = parse_i64_arg(ctx, 3) else {
        return;
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let l = match write_list(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.ok(),
        Ok(Some(l)) => l,
    };
    let len = l.len();
    let (ltrim, rtrim) = match clamp_range(start, end, len) {
        None => (len, 0),
        Some((s, e)) => (s, len - e - 1),
    };
    l.delete_range(0, ltrim);
    let rest = l.len();
    l.delete_range(rest - rtrim, rtrim);
    let empty = l.is_empty();
    srv.notify(ctx, NOTIFY_LIST, "ltrim", &key, db);
    if empty {
        srv.dbs[db].delete(&key);
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
    }
    srv.signal_modified_key(db, &key);
    srv.dirty += (ltrim + rtrim) as u64;
    ctx.out.ok();
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"rank") && more > 0 {
            j += 1;
            rank = match parse_i64_arg(ctx, j) {
                Some(r) => r,
                None => return,
            };
            if rank == 0 {
                return ctx.out.error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
            }
        } else if opt.eq_ignore_ascii_case(b"count") && more > 0 {
            j += 1;
            match parse_positive(ctx, j, Some("ERR COUNT can't be negative")) {
                Some(c) => count = Some(c as usize),
                None => return,
            }
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more > 0 {
            j += 1;
            match parse_positive(ctx, j, Some("ERR MAXLEN can't be negative")) {
                Some(m) => maxlen = m as usize,
                None => return,
            }
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        j += 1;
    }
    let from_tail = rank < 0;
    // Redis negates the rank in a C long: -LONG_MIN wraps to LONG_MIN, which
    // every match count passes, so it behaves as rank 1 from the tail.
    let rank = if rank == i64::MIN {
        1
    } else {
        rank.unsigned_abs() as usize
    };
    let argv = &ctx.argv;
    let l = match read_list(srv, ctx.db, &argv[1]) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) if count.is_some() => return ctx.out.array_len(0),
        Ok(None) => return ctx.out.null(),
        Ok(Some(l)) => l,
    };
    let len = l.len();
    let ele = &argv[2];
    let start = if from_tail { len.saturating_sub(1) } else { 0 };
    let mut matches = 0usize;
    let mut found: Vec<i64> = Vec::new();
    for (index, e) in l.iter_from(start, from_tail).enumerate() {
        if maxlen != 0 && index >= maxlen {
            break;
        }
        if e.eq_bytes(ele) {
            matches += 1;
            if matches >= rank {
                let pos = if from_tail { len - index - 1 } else { index };
                found.push(pos as i64);
                match count {
                    None => break,
                    Some(c) if c != 0 && found.len() >= c => break,
                    _ => {}
                }
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array_len(found.len());
            for p in found {
                ctx.out.int(p);
            }
        }
        None => match found.first() {
            Some(&p) => ctx.out.int(p),
            None => ctx.out.null(),
        },
    }
}

/// LREM key count element
pub fn lrem_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(count) = parse_i64_arg(ctx, 2) else {
        return;
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let l = match write_list(srv, db, &key) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.int(0),
        Ok(Some(l)) => l,
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = l.remove_matching(&ctx.argv[3], limit, count < 0);
    let empty = l.is_empty();
    srv.dirty += removed as u64;
    if removed > 0 {
        srv.signal_modified_key(db, &key);
        srv.notify(ctx, NOTIFY_LIST, "lrem", &key, db);
    }
    if empty {
        srv.dbs[db].delete(&key);
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, db);
    }
    ctx.out.int(removed as i64);
}

/// Move one element from the `from_head` end of `src` to the `to_head` end
/// of `dst` and reply it (`lmoveGenericCommand`): null when `src` is
/// missing, WRONGTYPE when either key holds something else (checked
/// before anything moves). Returns whether an element moved.
pub fn lmove_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_head: bool,
    to_head: bool,
) -> bool {
    let db = ctx.db;
    match write_list(srv, db, src) {
        Err(WrongType) => {
            ctx.out.error(WRONGTYPE);
            return false;
        }
        Ok(None) => {
            ctx.out.null();
            return false;
        }
        Ok(Some(_)) => {}
    }
    if write_list(srv, db, dst).is_err() {
        ctx.out.error(WRONGTYPE);
        return false;
    }
    let value = match srv.dbs[db].dict.get_mut(src).map(|o| &mut o.value) {
        Some(Value::List(l)) => l.pop(from_head),
        _ => None,
    };
    let Some(value) = value else {
        ctx.out.null();
        return false;
    };
    // The push side: `lmoveHandlePush` (src == dst pushes onto the same,
    // possibly momentarily empty, list).
    let values = [value];
    if srv.dbs[db].peek(dst).is_none() {
        let lru = srv.new_obj_lru();
        let list = RObj::new(Value::List(new_list(srv)), lru);
        srv.dbs[db].add(dst.into(), list);
        srv.notify(ctx, NOTIFY_NEW, "new", dst, db);
    }
    srv.signal_modified_key(db, dst);
    if let Some(Value::List(l)) = srv.dbs[db].dict.get_mut(dst).map(|o| &mut o.value) {
        l.push(&values[0], to_head);
    }
    srv.notify(
        ctx,
        NOTIFY_LIST,
        if to_head { "lpush" } else { "rpush" },
        dst,
        db,
    );
    ctx.out.bulk(&values[0]);
    srv.notify(
        ctx,
        NOTIFY_LIST,
        if from_head { "lpop" } else { "rpop" },
        src,
        db,
    );
    let empty = matches!(
        srv.dbs[db].peek(src).map(|o| &o.value),
        Some(Value::List(l)) if l.is_empty()
    );
    if empty {
        srv.dbs[db].delete(src);
        srv.notify(ctx, NOTIFY_GENERIC, "del", src, db);
    }
    srv.signal_modified_key(db, src);
    srv.dirty += 1;
    true
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove_command(srv: &mut Server, ctx: &mut Ctx) {
    let (Some(from), Some(to)) = (parse_side(ctx.arg(3)), parse_side(ctx.arg(4))) else {
        return ctx.out.error(SYNTAX_ERR);
    };
    let (src, dst) = (ctx.argv[1].clone(), ctx.argv[2].clone());
    lmove_generic(srv, ctx, &src, &dst, from, to);
}

/// RPOPLPUSH source destination
pub fn rpoplpush_command(srv: &mut Server, ctx: &mut Ctx) {
    let (src, dst) = (ctx.argv[1].clone(), ctx.argv[2].clone());
    lmove_generic(srv, ctx, &src, &dst, false, true);
}

// ---------------------------------------------------------------------------
// Blocking variants (see blocked.rs for how a client waits and is served)
// ---------------------------------------------------------------------------

/// BLPOP / BRPOP key [key ...] timeout (`blockingPopGenericCommand`): pop
/// from the first non-empty list, replying `[key, element]` and propagating
/// as LPOP/RPOP; otherwise wait.
fn blocking_pop(srv: &mut Server, ctx: &mut Ctx, head: bool) {
    let last = ctx.argc() - 1;
    let Some(deadline) = crate::blocked::parse_timeout(srv, ctx, last) else {
        return;
    };
    let db = ctx.db;
    let keys: Vec<Vec<u8>> = ctx.argv[1..last].to_vec();
    for key in &keys {
        match write_list(srv, db, key) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(None) => continue,
            Ok(Some(l)) if l.is_empty() => continue,
            Ok(Some(_)) => {}
        }
        ctx.out.array_len(2);
        ctx.out.bulk(key);
        list_pop_reply(srv, ctx, db, key, head, None, false);
        let cmd: &[u8] = if head { b"LPOP" } else { b"RPOP" };
        ctx.rewrite_as(vec![cmd.to_vec(), key.clone()]);
        return;
    }
    if !crate::blocked::may_block(srv) {
        return ctx.out.null_array();
    }
    crate::blocked::block(srv, ctx, keys, deadline, "list");
}

/// BLPOP key [key ...] timeout
pub fn blpop_command(srv: &mut Server, ctx: &mut Ctx) {
    blocking_pop(srv, ctx, true);
}

/// BRPOP key [key ...] timeout
pub fn brpop_command(srv: &mut Server, ctx: &mut Ctx) {
    blocking_pop(srv, ctx, false);
}

/// The shared body of BLMOVE and BRPOPLPUSH (`blmoveGenericCommand`).
fn blocking_move(
    srv: &mut Server,
    ctx: &mut Ctx,
    from_head: bool,
    to_head: bool,
    timeout_idx: usize,
) {
    let Some(deadline) = crate::blocked::parse_timeout(srv, ctx, timeout_idx) else {
        return;
    };
    let db = ctx.db;
    let (src, dst) = (ctx.argv[1].clone(), ctx.argv[2].clone());
    match write_list(srv, db, &src) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(Some(l)) if !l.is_empty() => {
            // Propagated as the non-blocking form.
            let moved = lmove_generic(srv, ctx, &src, &dst, from_head, to_head);
            if moved {
                let side = |h: bool| {
                    if h {
                        b"LEFT".to_vec()
                    } else {
                        b"RIGHT".to_vec()
                    }
                };
                ctx.rewrite_as(vec![
                    b"LMOVE".to_vec(),
                    src,
                    dst,
                    side(from_head),
                    side(to_head),
                ]);
            }
            return;
        }
        Ok(_) => {}
    }
    if !crate::blocked::may_block(srv) {
        return ctx.out.null();
    }
    crate::blocked::block(srv, ctx, vec![src], deadline, "list");
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove_command(srv: &mut Server, ctx: &mut Ctx) {
    let (Some(from), Some(to)) = (parse_side(ctx.arg(3)), parse_side(ctx.arg(4))) else {
        return ctx.out.error(SYNTAX_ERR);
    };
    blocking_move(srv, ctx, from, to, 5);
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush_command(srv: &mut Server, ctx: &mut Ctx) {
    blocking_move(srv, ctx, false, true, 3);
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(deadline) = crate::blocked::parse_timeout(srv, ctx, 1) else {
        return;
    };
    let Some(args) = parse_mpop_args(ctx, 2) else {
        return;
    };
    let db = ctx.db;
    for key in &args.keys {
        match write_list(srv, db, key) {
            Err(WrongType) => return ctx.out.error(WRONGTYPE),
            Ok(Some(l)) if !l.is_empty() => {
                return {
                    mpop_generic(srv, ctx, &args);
                }
            }
            Ok(_) => continue,
        }
    }
    if !crate::blocked::may_block(srv) {
        return ctx.out.null_array();
    }
    crate::blocked::block(srv, ctx, args.keys, deadline, "list");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_arithmetic_matches_redis() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(clamp_range(0, -6, 5), None);
        assert_eq!(clamp_range(0, 0, 0), None);
    }

    #[test]
    fn sides_parse_case_insensitively() {
        assert_eq!(parse_side(b"LeFt"), Some(true));
        assert_eq!(parse_side(b"RIGHT"), Some(false));
        assert_eq!(parse_side(b"up"), None);
    }
}
