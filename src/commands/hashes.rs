//! Hash commands (~ the command half of Redis's `t_hash.c`, plus HSCAN's
//! share of `scanGenericCommand` in `db.c`).
//!
//! The value type and its listpack/hashtable encodings live in
//! `db/hash.rs`; this file checks arguments, types and keys, picks the
//! reply shape, and keeps the keyspace rules: a hash is created by the first
//! write to a missing key, and deleted as soon as its last field is.
//!
//! Propagation: everything propagates as received except HINCRBYFLOAT,
//! which becomes `HSET key field <result>` so that replicas and the AOF never
//! redo long double arithmetic.

use crate::commands::keys::{parse_scan_cursor, parse_scan_options, ScanOpts};
use crate::commands::{arg_eq, arity_error, parse_i64_arg, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_NEW};
use crate::db::dict::random_below;
use crate::db::hash::HashLimits;
use crate::db::listpack::LpEntry;
use crate::db::Enc;
use crate::db::{HashValue, RObj, Value};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;
use crate::util::long_double::{self, LongDouble};
use crate::util::numbers;

/// Redis's `checkType` for a hash: `Ok(None)` when the key is missing,
/// `Err(())` after replying WRONGTYPE.
fn as_hash<'a>(
    o: Option<&'a mut RObj>,
    out: &mut ReplyBuf,
) -> Result<Option<&'a mut HashValue>, ()> {
    match o.map(|o| &mut o.value) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => {
            out.error(WRONGTYPE);
            Err(())
        }
    }
}

/// Look `key` up for reading (`lookupKeyRead` + `checkType`).
fn read_hash<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    out: &mut ReplyBuf,
) -> Result<Option<&'a mut HashValue>, ()> {
    as_hash(srv.lookup_read(db, key), out)
}

/// Look `key` up for writing (`lookupKeyWrite` + `checkType`).
fn write_hash<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    out: &mut ReplyBuf,
) -> Result<Option<&'a mut HashValue>, ()> {
    as_hash(srv.lookup_write(db, key), out)
}

/// The hash at `key`, whose type the caller's lookup already checked,
/// first created empty when `create` (the creating half of
/// `hashTypeLookupWriteOrCreate`).
fn hash_at<'a>(srv: &'a mut Server, db: usize, key: &[u8], create: bool) -> &'a mut HashValue {
    if create {
        let lru = srv.new_obj_lru();
        srv.dbs[db].add(key.into(), RObj::new(Value::Hash(HashValue::new()), lru));
    }
    match srv.dbs[db].dict.get_mut(key).map(|o| &mut o.value) {
        Some(Value::Hash(h)) => h,
        _ => unreachable!("the caller found or created a hash at this key"),
    }
}

/// `hashTypeLookupWriteOrCreate`: the hash at `key`, created empty if
/// missing; `None` after replying WRONGTYPE.
fn write_hash_or_create<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    out: &mut ReplyBuf,
) -> Option<(&'a mut HashValue, bool)> {
    let found = write_hash(srv, db, key, out).ok()?.is_some();
    Some((hash_at(srv, db, key, !found), !found))
}

fn limits(srv: &Server) -> HashLimits {
    HashLimits {
        max_entries: srv.config.hash_max_listpack_entries,
        max_value: srv.config.hash_max_listpack_value,
    }
}

/// Reply a field or value as a bulk string.
fn reply_entry(out: &mut ReplyBuf, e: LpEntry) {
    match e {
        LpEntry::Int(v) => out.bulk_i64(v),
        LpEntry::Str(s) => out.bulk(s),
    }
}

/// The shared body of HSET and HMSET, which differ only in the reply.
fn hset_generic(srv: &mut Server, ctx: &mut Ctx, is_hset: bool) {
    if ctx.argc() % 2 == 1 {
        arity_error(srv, ctx);
        return;
    }
    let lim = limits(srv);
    let Ctx {
        argv, out, db, cid, ..
    } = ctx;
    let (h, created_key) = match write_hash_or_create(srv, *db, &argv[1], out) {
        Some(h) => h,
        None => return,
    };
    h.try_conversion(argv[2..].iter().map(Vec::as_slice), lim.max_value);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if !h.set(&pair[0], &pair[1], lim) {
            created += 1;
        }
    }
    if is_hset {
        out.int(created);
    } else {
        out.ok();
    }
    if created_key {
        srv.notify_out(*cid, out, NOTIFY_NEW, "new", &argv[1], *db);
    }
    srv.notify_out(*cid, out, NOTIFY_HASH, "hset", &argv[1], *db);
    srv.signal_modified_key(*db, &argv[1]);
    srv.dirty += ((argv.len() - 2) / 2) as u64;
}

/// HSET key field value [field value ...]
pub fn hset_command(srv: &mut Server, ctx: &mut Ctx) {
    hset_generic(srv, ctx, true);
}

/// HMSET key field value [field value ...] (deprecated: HSET with an OK reply)
pub fn hmset_command(srv: &mut Server, ctx: &mut Ctx) {
    hset_generic(srv, ctx, false);
}

/// HSETNX key field value
pub fn hsetnx_command(srv: &mut Server, ctx: &mut Ctx) {
    let lim = limits(srv);
    let Ctx {
        argv, out, db, cid, ..
    } = ctx;
    let (h, created_key) = match write_hash_or_create(srv, *db, &argv[1], out) {
        Some(h) => h,
        None => return,
    };
    if h.contains(&argv[2]) {
        out.int(0);
        return;
    }
    h.try_conversion([&argv[2][..], &argv[3][..]], lim.max_value);
    h.set(&argv[2], &argv[3], lim);
    out.int(1);
    if created_key {
        srv.notify_out(*cid, out, NOTIFY_NEW, "new", &argv[1], *db);
    }
    srv.notify_out(*cid, out, NOTIFY_HASH, "hset", &argv[1], *db);
    srv.signal_modified_key(*db, &argv[1]);
    srv.dirty += 1;
}

/// HGET key field
pub fn hget_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx { argv, out, db, .. } = ctx;
    if let Ok(h) = read_hash(srv, *db, &argv[1], out) {
        match h.and_then(|h| h.get(&argv[2])) {
            Some(v) => reply_entry(out, v),
            None => out.null(),
        }
    }
}

/// HMGET key field [field ...]
pub fn hmget_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx { argv, out, db, .. } = ctx;
    let h = match read_hash(srv, *db, &argv[1], out) {
        Ok(h) => h,
        Err(()) => return,
    };
    out.array_len(argv.len() - 2);
    for field in &argv[2..] {
        match h.as_ref().and_then(|h| h.get(field)) {
            Some(v) => reply_entry(out, v),
            None => out.null(),
        }
    }
}

/// HDEL key field [field ...]
pub fn hdel_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx {
        argv, out, db, cid, ..
    } = ctx;
    let h = match write_hash(srv, *db, &argv[1], out) {
        Ok(Some(h)) => h,
        Ok(None) => {
            out.int(0);
            return;
        }
        Err(()) => return,
    };
    let mut deleted = 0;
    let mut emptied = false;
    for field in &argv[2..] {
        if h.delete(field) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        srv.dbs[*db].delete(&argv[1]);
    }
    if deleted > 0 {
        srv.notify_out(*cid, out, NOTIFY_HASH, "hdel", &argv[1], *db);
        if emptied {
            srv.notify_out(*cid, out, NOTIFY_GENERIC, "del", &argv[1], *db);
        }
        srv.signal_modified_key(*db, &argv[1]);
        srv.dirty += deleted as u64;
    }
    out.int(deleted);
}

/// HLEN key
pub fn hlen_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx { argv, out, db, .. } = ctx;
    if let Ok(h) = read_hash(srv, *db, &argv[1], out) {
        out.int(h.map_or(0, |h| h.len() as i64));
    }
}

/// HSTRLEN key field
pub fn hstrlen_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx { argv, out, db, .. } = ctx;
    if let Ok(h) = read_hash(srv, *db, &argv[1], out) {
        out.int(h.map_or(0, |h| h.value_len(&argv[2]) as i64));
    }
}

/// HEXISTS key field
pub fn hexists_command(srv: &mut Server, ctx: &mut Ctx) {
    let Ctx { argv, out, db, .. } = ctx;
    if let Ok(h) = read_hash(srv, *db, &argv[1], out) {
        out.int(i64::from(h.is_some_and(|h| h.contains(&argv[2]))));
    }
}

/// The shared body of HKEYS, HVALS and HGETALL (`genericHgetallCommand`):
/// a map for fields with values, a flat array otherwise.
fn hgetall_generic(srv: &mut Server, ctx: &mut Ctx, fields: bool, values: bool) {
    let Ctx { argv, out, db, .. } = ctx;
    let h = match read_hash(srv, *db, &argv[1], out) {
        Ok(h) => h,
        Err(()) => return,
    };
    let n = h.as_ref().map_or(0, |h| h.len());
    if fields && values {
        out.map_len(n);
    } else {
        out.array_len(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if fields {
                reply_entry(out, f);
            }
            if values {
                reply_entry(out, v);
            }
        }
    }
}

/// HKEYS key
pub fn hkeys_command(srv: &mut Server, ctx: &mut Ctx) {
    hgetall_generic(srv, ctx, true, false);
}

/// HVALS key
pub fn hvals_command(srv: &mut Server, ctx: &mut Ctx) {
    hgetall_generic(srv, ctx, false, true);
}

/// HGETALL key
pub fn hgetall_command(srv: &mut Server, ctx: &mut Ctx) {
    hgetall_generic(srv, ctx, true, true);
}

/// HINCRBY key field increment
pub fn hincrby_command(srv: &mut Server, ctx: &mut Ctx) {
    let incr = match parse_i64_arg(ctx, 3) {
        Some(v) => v,
        None => return,
    };
    let lim = limits(srv);
    let Ctx {
        argv, out, db, cid, ..
    } = ctx;
    // Compute first, create the key only once the result is known good, so
    // no error path can leave an empty hash behind.
    let (found, current) = match write_hash(srv, *db, &argv[1], out) {
        Err(()) => return,
        Ok(h) => (
            h.is_some(),
            match h.and_then(|h| h.get(&argv[2])) {
                None => 0,
                Some(LpEntry::Int(v)) => v,
                Some(LpEntry::Str(s)) => match numbers::parse_i64(s) {
                    Some(v) => v,
                    None => {
                        out.error("ERR hash value is not an integer");
                        return;
                    }
                },
            },
        ),
    };
    let value = match current.checked_add(incr) {
        Some(v) => v,
        None => {
            out.error("ERR increment or decrement would overflow");
            return;
        }
    };
    let mut text = Vec::with_capacity(20);
    numbers::fmt_i64(value, &mut text);
    hash_at(srv, *db, &argv[1], !found).set(&argv[2], &text, lim);
    out.int(value);
    if !found {
        srv.notify_out(*cid, out, NOTIFY_NEW, "new", &argv[1], *db);
    }
    srv.notify_out(*cid, out, NOTIFY_HASH, "hincrby", &argv[1], *db);
    srv.signal_modified_key(*db, &argv[1]);
    srv.dirty += 1;
}

/// HINCRBYFLOAT key field increment
///
/// Long double arithmetic like Redis (see `util/long_double.rs` for the
/// error order); propagated as HSET with the printed result.
pub fn hincrbyfloat_command(srv: &mut Server, ctx: &mut Ctx) {
    let incr = match LongDouble::parse(ctx.arg(3)) {
        Some(v) => v,
        None => {
            ctx.out.error("ERR value is not a valid float");
            return;
        }
    };
    if incr.is_nan() || incr.is_infinite() {
        ctx.out.error("ERR value is NaN or Infinity");
        return;
    }
    let lim = limits(srv);
    let Ctx {
        argv,
        out,
        db,
        rewrite,
        cid,
        ..
    } = ctx;
    let (found, current) = match write_hash(srv, *db, &argv[1], out) {
        Err(()) => return,
        Ok(h) => (
            h.is_some(),
            match h.and_then(|h| h.get(&argv[2])) {
                None => LongDouble::ZERO,
                Some(LpEntry::Int(v)) => LongDouble::from_i64(v),
                Some(LpEntry::Str(s)) => match LongDouble::parse(s) {
                    Some(v) => v,
                    None => {
                        out.error("ERR hash value is not a float");
                        return;
                    }
                },
            },
        ),
    };
    let sum = long_double::add(current, incr);
    let text = match (sum.is_finite(), sum.to_human_string()) {
        (true, Some(t)) => t.into_bytes(),
        _ => {
            out.error("ERR increment would produce NaN or Infinity");
            return;
        }
    };
    hash_at(srv, *db, &argv[1], !found).set(&argv[2], &text, lim);
    out.bulk(&text);
    if !found {
        srv.notify_out(*cid, out, NOTIFY_NEW, "new", &argv[1], *db);
    }
    srv.notify_out(*cid, out, NOTIFY_HASH, "hincrbyfloat", &argv[1], *db);
    srv.signal_modified_key(*db, &argv[1]);
    srv.dirty += 1;
    *rewrite = Some(vec![vec![
        b"HSET".to_vec(),
        argv[1].clone(),
        argv[2].clone(),
        text,
    ]]);
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
///
/// A listpack hash is small by construction, so it is returned whole in one
/// call with cursor 0; a hashtable is walked with the dict's SCAN cursor,
/// COUNT doubled because every field brings its value along. MATCH filters
/// on fields only, after collection, as Redis does.
pub fn hscan_command(srv: &mut Server, ctx: &mut Ctx) {
    let cursor = match parse_scan_cursor(ctx.arg(2)) {
        Some(c) => c,
        None => {
            ctx.out.error("ERR invalid cursor");
            return;
        }
    };
    let key = std::mem::take(&mut ctx.argv[1]);
    let found = read_hash(srv, ctx.db, &key, &mut ctx.out).map(|h| h.is_some());
    ctx.argv[1] = key;
    match found {
        Err(()) => return,
        Ok(false) => {
            ctx.out.array_len(2);
            ctx.out.bulk(b"0");
            ctx.out.array_len(0);
            return;
        }
        Ok(true) => {}
    }
    // Options are parsed only once the key is known to be a hash, so a
    // missing key answers an empty scan whatever follows (Redis's order).
    let ScanOpts { count, pattern, .. } = match parse_scan_options(ctx, 3, false) {
        Some(o) => o,
        None => return,
    };
    let Ctx { argv, out, db, .. } = ctx;
    let h = match srv.dbs[*db].peek(&argv[1]).map(|o| &o.value) {
        Some(Value::Hash(h)) => h,
        _ => return,
    };
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next_cursor = match h.enc() {
        Enc::Listpack(_) => {
            items.extend(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())));
            0
        }
        Enc::Big(d) => {
            let count = count.saturating_mul(2);
            let mut max_iterations = count.saturating_mul(10);
            let mut cur = cursor;
            loop {
                cur = d.scan(cur, |f, v| items.push((f.to_vec(), v.to_vec())));
                // Redis counts fields and values: two elements per pair.
                let collected = 2 * items.len() as i64;
                let more_allowed = max_iterations > 0;
                max_iterations -= 1;
                if cur == 0 || !more_allowed || collected >= count {
                    break;
                }
            }
            cur
        }
    };
    if let Some(p) = &pattern {
        items.retain(|(f, _)| string_match(p, f, false));
    }
    out.array_len(2);
    out.bulk(next_cursor.to_string().as_bytes());
    out.array_len(2 * items.len());
    for (f, v) in &items {
        out.bulk(f);
        out.bulk(v);
    }
}

/// Largest count HRANDFIELD serves from a listpack in one sampling round
/// (`HRANDFIELD_RANDOM_SAMPLE_LIMIT`), bounding the temporary buffer.
const RANDOM_SAMPLE_LIMIT: usize = 1000;

/// Above this many times the requested count, a hash is sampled rather than
/// copied and thinned (`HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: u64 = 3;

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() >= 3 {
        let l = match numbers::parse_i64(ctx.arg(2)) {
            None => {
                ctx.out.error(NOT_INT_ERR);
                return;
            }
            Some(l) if l < -i64::MAX => {
                ctx.out.error(&format!(
                    "ERR value is out of range, value must between {} and {}",
                    -i64::MAX,
                    i64::MAX
                ));
                return;
            }
            Some(l) => l,
        };
        let with_values = ctx.argc() == 4;
        if ctx.argc() > 4 || (with_values && !arg_eq(ctx.arg(3), "withvalues")) {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            ctx.out.error("ERR value is out of range");
            return;
        }
        hrandfield_with_count(srv, ctx, l, with_values);
        return;
    }
    let Ctx { argv, out, db, .. } = ctx;
    match read_hash(srv, *db, &argv[1], out) {
        Err(()) => {}
        Ok(None) => out.null(),
        Ok(Some(h)) => match h.random_pair() {
            Some((f, _)) => reply_entry(out, f),
            None => out.null(),
        },
    }
}

/// HRANDFIELD with a count (`hrandfieldWithCountCommand`).
///
/// # Four strategies
///
/// 1. Negative count (repeats allowed), or a count of 1: `|count|`
///    independent uniform picks. A hashtable uses the dict's fair sampling
///    per pick; a listpack is sampled in rounds of at most 1000 picks.
/// 2. A count at least the hash's size: the whole hash, in its own order.
/// 3. A count above a third of the size: copy every pair and delete random
///    ones until `count` remain; picking distinct elements one by one would
///    keep hitting ones already taken.
/// 4. A count well below the size: a listpack does one selection-sampling
///    pass (distinct, in listpack order); a hashtable draws fair random
///    pairs and skips repeats until it has `count` distinct fields.
///
/// With WITHVALUES, RESP2 gets a flat field, value, field, value... array
/// and RESP3 an array of [field, value] pairs.
fn hrandfield_with_count(srv: &mut Server, ctx: &mut Ctx, l: i64, with_values: bool) {
    let Ctx { argv, out, db, .. } = ctx;
    let h = match read_hash(srv, *db, &argv[1], out) {
        Err(()) => return,
        Ok(None) => {
            out.array_len(0);
            return;
        }
        Ok(Some(h)) => h,
    };
    let count = l.unsigned_abs();
    let unique = l >= 0;
    let size = h.len() as u64;
    if count == 0 {
        out.array_len(0);
        return;
    }
    let resp3_pairs = with_values && out.resp >= 3;
    let emit = |out: &mut ReplyBuf, f: LpEntry, v: LpEntry| {
        if resp3_pairs {
            out.array_len(2);
        }
        reply_entry(out, f);
        if with_values {
            reply_entry(out, v);
        }
    };
    let reply_len = |out: &mut ReplyBuf, n: u64| {
        let n = if with_values && !resp3_pairs {
            n * 2
        } else {
            n
        };
        out.array_len(n as usize);
    };

    // Case 1: independent picks.
    if !unique || count == 1 {
        reply_len(out, count);
        match h.enc_mut() {
            Enc::Big(d) => {
                for _ in 0..count {
                    if let Some((f, v)) = d.fair_random_entry() {
                        emit(out, LpEntry::Str(f), LpEntry::Str(v));
                    }
                }
            }
            Enc::Listpack(lp) => {
                let mut left = count;
                while left > 0 {
                    let round = left.min(RANDOM_SAMPLE_LIMIT as u64);
                    left -= round;
                    for (f, v) in lp.random_pairs(round as usize) {
                        emit(out, f, v);
                    }
                }
            }
        }
        return;
    }

    // Case 2: everything.
    if count >= size {
        reply_len(out, size);
        for (f, v) in h.iter() {
            emit(out, f, v);
        }
        return;
    }
    reply_len(out, count);

    // Case 3: copy, then remove random pairs down to `count`.
    if count * SUB_STRATEGY_MUL > size {
        let mut all: Vec<(Vec<u8>, Vec<u8>)> =
            h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        while all.len() as u64 > count {
            all.swap_remove(random_below(all.len()));
        }
        for (f, v) in &all {
            emit(out, LpEntry::Str(f), LpEntry::Str(v));
        }
        return;
    }

    // Case 4: sample distinct pairs.
    match h.enc_mut() {
        Enc::Listpack(lp) => {
            for (f, v) in lp.random_pairs_unique(count as usize) {
                emit(out, f, v);
            }
        }
        Enc::Big(d) => {
            let mut picked: std::collections::HashSet<Box<[u8]>> =
                std::collections::HashSet::with_capacity(count as usize);
            while (picked.len() as u64) < count {
                let (f, v) = match d.fair_random_entry() {
                    Some(e) => e,
                    None => break,
                };
                if picked.insert(f.clone()) {
                    emit(out, LpEntry::Str(f), LpEntry::Str(v));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn server() -> Server {
        Server::new(Config::default())
    }

    /// Runs one command through the real dispatcher path and returns the
    /// raw reply bytes.
    fn run(srv: &mut Server, args: &[&str]) -> String {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let id = srv.commands.lookup(&argv).ok().expect("known command");
        let mut ctx = Ctx::new(argv, ReplyBuf::new(), 0, 0, id);
        if let Err(e) = srv.commands.check_arity(id, ctx.argc()) {
            return format!("-{}\r\n", e);
        }
        (srv.commands.entries[id].def.handler)(srv, &mut ctx);
        String::from_utf8_lossy(&ctx.out.contents()).into_owned()
    }

    #[test]
    fn basic_replies() {
        let mut s = server();
        assert_eq!(run(&mut s, &["hset", "h", "a", "1", "b", "x"]), ":2\r\n");
        assert_eq!(run(&mut s, &["hset", "h", "a", "2"]), ":0\r\n");
        assert_eq!(run(&mut s, &["hmset", "h", "c", "3"]), "+OK\r\n");
        assert_eq!(
            run(&mut s, &["hset", "h", "a"]),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(run(&mut s, &["hget", "h", "a"]), "$1\r\n2\r\n");
        assert_eq!(run(&mut s, &["hget", "h", "zz"]), "$-1\r\n");
        assert_eq!(run(&mut s, &["hget", "nokey", "a"]), "$-1\r\n");
        assert_eq!(
            run(&mut s, &["hgetall", "h"]),
            "*6\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            run(&mut s, &["hmget", "h", "b", "q"]),
            "*2\r\n$1\r\nx\r\n$-1\r\n"
        );
        assert_eq!(run(&mut s, &["hlen", "h"]), ":3\r\n");
        assert_eq!(run(&mut s, &["hstrlen", "h", "b"]), ":1\r\n");
        assert_eq!(run(&mut s, &["hexists", "h", "c"]), ":1\r\n");
        assert_eq!(run(&mut s, &["hsetnx", "h", "c", "9"]), ":0\r\n");
        assert_eq!(run(&mut s, &["hsetnx", "h", "d", "9"]), ":1\r\n");
        assert_eq!(run(&mut s, &["hdel", "h", "a", "b", "c", "q"]), ":3\r\n");
        assert_eq!(run(&mut s, &["hdel", "h", "d"]), ":1\r\n");
        // The last field took the key with it.
        assert_eq!(s.dbs[0].len(), 0);
        assert_eq!(run(&mut s, &["hkeys", "h"]), "*0\r\n");
        assert_eq!(run(&mut s, &["hscan", "h", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn wrongtype_both_ways() {
        let mut s = server();
        run(&mut s, &["set", "str", "v"]);
        run(&mut s, &["hset", "h", "f", "v"]);
        let wt = format!("-{}\r\n", WRONGTYPE);
        for cmd in [
            &["hget", "str", "f"][..],
            &["hset", "str", "f", "v"],
            &["hdel", "str", "f"],
            &["hincrby", "str", "f", "1"],
            &["hincrbyfloat", "str", "f", "1"],
            &["hrandfield", "str"],
            &["hrandfield", "str", "2"],
            &["hscan", "str", "0"],
            &["hgetall", "str"],
            &["hmget", "str", "f"],
        ] {
            assert_eq!(run(&mut s, cmd), wt, "{:?}", cmd);
        }
        assert_eq!(run(&mut s, &["get", "h"]), wt);
        assert_eq!(run(&mut s, &["type", "h"]), "+hash\r\n");
    }

    #[test]
    fn incr_errors_and_no_empty_key_left() {
        let mut s = server();
        assert_eq!(
            run(&mut s, &["hincrby", "h", "f", "x"]),
            format!("-{}\r\n", NOT_INT_ERR)
        );
        assert_eq!(s.dbs[0].len(), 0);
        assert_eq!(run(&mut s, &["hincrby", "h", "n", "-5"]), ":-5\r\n");
        run(&mut s, &["hset", "h", "s", " 1"]);
        assert_eq!(
            run(&mut s, &["hincrby", "h", "s", "1"]),
            "-ERR hash value is not an integer\r\n"
        );
        run(&mut s, &["hset", "h", "big", "9223372036854775807"]);
        assert_eq!(
            run(&mut s, &["hincrby", "h", "big", "1"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(
            run(&mut s, &["hincrbyfloat", "h", "n", "1.5"]),
            "$4\r\n-3.5\r\n"
        );
        assert_eq!(
            run(&mut s, &["hincrbyfloat", "h", "s", "1"]),
            "-ERR hash value is not a float\r\n"
        );
        assert_eq!(
            run(&mut s, &["hincrbyfloat", "h2", "f", "inf"]),
            "-ERR value is NaN or Infinity\r\n"
        );
        assert_eq!(
            run(&mut s, &["hincrbyfloat", "h2", "f", "abc"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(s.dbs[0].len(), 1);
    }

    #[test]
    fn hincrbyfloat_propagates_as_hset() {
        let mut s = server();
        let argv: Vec<Vec<u8>> = ["hincrbyfloat", "h", "f", "1.10"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        let id = s.commands.lookup(&argv).ok().unwrap();
        let mut ctx = Ctx::new(argv, ReplyBuf::new(), 0, 0, id);
        hincrbyfloat_command(&mut s, &mut ctx);
        let want: Vec<Vec<u8>> = vec![
            b"HSET".to_vec(),
            b"h".to_vec(),
            b"f".to_vec(),
            b"1.1".to_vec(),
        ];
        assert_eq!(ctx.rewrite, Some(vec![want]));
    }

    #[test]
    fn encoding_follows_config() {
        let mut s = server();
        s.config.hash_max_listpack_entries = 2;
        s.config.hash_max_listpack_value = 4;
        run(&mut s, &["hset", "h", "a", "1", "b", "2"]);
        assert_eq!(
            run(&mut s, &["object", "encoding", "h"]),
            "$8\r\nlistpack\r\n"
        );
        run(&mut s, &["hset", "h", "c", "3"]);
        assert_eq!(
            run(&mut s, &["object", "encoding", "h"]),
            "$9\r\nhashtable\r\n"
        );
        run(&mut s, &["hset", "v", "a", "12345"]);
        assert_eq!(
            run(&mut s, &["object", "encoding", "v"]),
            "$9\r\nhashtable\r\n"
        );
        // HINCRBYFLOAT's computed value is checked too.
        run(&mut s, &["hset", "w", "a", "1"]);
        run(&mut s, &["hincrbyfloat", "w", "a", "0.0001"]);
        assert_eq!(
            run(&mut s, &["object", "encoding", "w"]),
            "$9\r\nhashtable\r\n"
        );
    }

    #[test]
    fn hscan_pages_a_hashtable_and_filters_fields() {
        let mut s = server();
        s.config.hash_max_listpack_entries = 4;
        for i in 0..100 {
            run(
                &mut s,
                &["hset", "h", &format!("f{}", i), &format!("v{}", i)],
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        loop {
            let argv: Vec<Vec<u8>> = ["hscan", "h", &cursor, "count", "7"]
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .collect();
            let id = s.commands.lookup(&argv).ok().unwrap();
            let mut ctx = Ctx::new(argv, ReplyBuf::new(), 0, 0, id);
            hscan_command(&mut s, &mut ctx);
            let text = String::from_utf8(ctx.out.contents()).unwrap();
            let lines: Vec<&str> = text.split("\r\n").collect();
            cursor = lines[2].to_string();
            let items: Vec<&str> = lines[4..].iter().skip(1).step_by(2).copied().collect();
            for pair in items.chunks(2) {
                if pair.len() == 2 {
                    assert_eq!(&pair[0][1..], &pair[1][1..]);
                    seen.insert(pair[0].to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
        let r = run(
            &mut s,
            &["hscan", "h", "0", "match", "f9*", "count", "1000"],
        );
        assert_eq!(
            r.matches("$2\r\nf9").count() + r.matches("$3\r\nf9").count(),
            11
        );
        assert_eq!(
            run(&mut s, &["hscan", "h", "0", "count", "0"]),
            format!("-{}\r\n", SYNTAX_ERR)
        );
        assert_eq!(
            run(&mut s, &["hscan", "h", "0", "type", "hash"]),
            format!("-{}\r\n", SYNTAX_ERR)
        );
        assert_eq!(run(&mut s, &["hscan", "h", "x"]), "-ERR invalid cursor\r\n");
        // Options are only parsed for an existing key, as in Redis.
        assert_eq!(
            run(&mut s, &["hscan", "nokey", "0", "count", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
    }

    #[test]
    fn hrandfield_counts_and_errors() {
        let mut s = server();
        assert_eq!(run(&mut s, &["hrandfield", "h"]), "$-1\r\n");
        assert_eq!(run(&mut s, &["hrandfield", "h", "3"]), "*0\r\n");
        for i in 0..10 {
            run(&mut s, &["hset", "h", &format!("f{}", i), "v"]);
        }
        for table in [false, true] {
            if table {
                s.config.hash_max_listpack_entries = 1;
                run(&mut s, &["hset", "h", "f0", "v"]);
                assert_eq!(
                    run(&mut s, &["object", "encoding", "h"]),
                    "$9\r\nhashtable\r\n"
                );
            }
            assert_eq!(run(&mut s, &["hrandfield", "h", "0"]), "*0\r\n");
            for (count, n) in [
                (-25i64, 25usize),
                (1, 1),
                (20, 10),
                (10, 10),
                (8, 8),
                (2, 2),
            ] {
                let r = run(&mut s, &["hrandfield", "h", &count.to_string()]);
                assert!(r.starts_with(&format!("*{}\r\n", n)), "{} {}", count, r);
                assert_eq!(r.matches("$2\r\nf").count(), n);
                if count > 0 {
                    let mut fields: Vec<&str> =
                        r.split("\r\n").filter(|l| l.starts_with('f')).collect();
                    fields.sort();
                    fields.dedup();
                    assert_eq!(fields.len(), n, "distinct for positive count");
                }
                let r = run(
                    &mut s,
                    &["hrandfield", "h", &count.to_string(), "withvalues"],
                );
                assert!(r.starts_with(&format!("*{}\r\n", 2 * n)));
            }
        }
        assert_eq!(
            run(&mut s, &["hrandfield", "h", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(
            run(
                &mut s,
                &["hrandfield", "h", "-9223372036854770000", "withvalues"]
            ),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            run(&mut s, &["hrandfield", "h", "1", "withvalue"]),
            format!("-{}\r\n", SYNTAX_ERR)
        );
    }
}
