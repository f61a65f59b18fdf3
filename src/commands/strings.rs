//! String commands (~ Redis's `t_string.c`).
//!
//! Values keep Redis's encodings (see db/value.rs): SET and friends store
//! `int`/`embstr`/`raw` exactly as `tryObjectEncoding` would, APPEND and
//! SETRANGE turn a value `raw`, INCR-family commands keep `int`.
//!
//! Propagation rewrites (see server.rs): SET/GETEX with a relative TTL
//! propagate as absolute `PXAT`/`PEXPIREAT`; INCRBYFLOAT propagates as
//! `SET key value KEEPTTL` so replicas never redo float arithmetic.

use crate::commands::{
    arg_eq, arity_error, expire_time_error, parse_i64_arg, reply_str, SYNTAX_ERR, WRONGTYPE,
};
use crate::config::{NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_STRING};
use crate::db::value::EMBSTR_SIZE_LIMIT;
use crate::db::{RObj, RStr, Value};
use crate::server::{Ctx, Server};
use crate::util::long_double::{self, LongDouble};
use crate::util::numbers;

const NX: u32 = 1;
const XX: u32 = 2;
const GET: u32 = 4;
const KEEPTTL: u32 = 8;
const PERSIST: u32 = 16;
const EX: u32 = 32;
const PX: u32 = 64;
const EXAT: u32 = 128;
const PXAT: u32 = 256;
const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Set,
    GetEx,
}

/// Parse SET/GETEX options (Redis's `parseExtendedStringArgumentsOrReply`).
/// Returns the flags and the index of the expire argument.
fn parse_extended(ctx: &mut Ctx, kind: Kind) -> Option<(u32, Option<usize>)> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = if kind == Kind::GetEx { 2 } else { 3 };
    let argc = ctx.argc();
    while j < argc {
        let opt = ctx.arg(j);
        let has_next = j + 1 < argc;
        let set = kind == Kind::Set;
        if arg_eq(opt, "nx") && flags & XX == 0 && set {
            flags |= NX;
        } else if arg_eq(opt, "xx") && flags & NX == 0 && set {
            flags |= XX;
        } else if arg_eq(opt, "get") && set {
            flags |= GET;
        } else if arg_eq(opt, "keepttl") && flags & (PERSIST | ANY_EXPIRE) == 0 && set {
            flags |= KEEPTTL;
        } else if arg_eq(opt, "persist")
            && kind == Kind::GetEx
            && flags & (ANY_EXPIRE | KEEPTTL) == 0
        {
            flags |= PERSIST;
        } else if has_next
            && flags & (KEEPTTL | PERSIST) == 0
            && (arg_eq(opt, "ex")
                || arg_eq(opt, "px")
                || arg_eq(opt, "exat")
                || arg_eq(opt, "pxat"))
        {
            let f = if arg_eq(opt, "ex") {
                EX
            } else if arg_eq(opt, "px") {
                PX
            } else if arg_eq(opt, "exat") {
                EXAT
            } else {
                PXAT
            };
            if flags & ANY_EXPIRE & !f != 0 {
                ctx.out.error(SYNTAX_ERR);
                return None;
            }
            flags |= f;
            expire = Some(j + 1);
            j += 1;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some((flags, expire))
}

/// Turn the expire argument into an absolute time in ms
/// (Redis's `getExpireMillisecondsOrReply`).
fn expire_ms(srv: &Server, ctx: &mut Ctx, idx: usize, flags: u32) -> Option<i64> {
    let mut ms = parse_i64_arg(ctx, idx)?;
    let seconds = flags & (EX | EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        expire_time_error(srv, ctx);
        return None;
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (EX | PX) != 0 {
        ms = ms.wrapping_add(srv.cmd_time_ms);
    }
    if ms <= 0 {
        expire_time_error(srv, ctx);
        return None;
    }
    Some(ms)
}

/// Reply with the string at `key` (nil if missing); error if not a string.
/// Returns false on a type error (Redis's `getGenericCommand`).
fn get_generic(srv: &mut Server, ctx: &mut Ctx, key: &[u8]) -> bool {
    match srv.lookup_read(ctx.db, key) {
        None => {
            ctx.out.null();
            true
        }
        Some(o) => match &o.value {
            Value::Str(s) => {
                reply_str(&mut ctx.out, s);
                true
            }
            _ => {
                ctx.out.error(WRONGTYPE);
                false
            }
        },
    }
}

/// GET key
pub fn get_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = std::mem::take(&mut ctx.argv[1]);
    get_generic(srv, ctx, &key);
    ctx.argv[1] = key;
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]
pub fn set_command(srv: &mut Server, ctx: &mut Ctx) {
    let (flags, expire) = match parse_extended(ctx, Kind::Set) {
        Some(x) => x,
        None => return,
    };
    set_generic(srv, ctx, flags, 1, 2, expire, false);
}

/// The shared body of SET, SETNX, SETEX, PSETEX.
fn set_generic(
    srv: &mut Server,
    ctx: &mut Ctx,
    flags: u32,
    key_idx: usize,
    val_idx: usize,
    expire_idx: Option<usize>,
    int_reply: bool,
) {
    let when = match expire_idx {
        Some(i) => match expire_ms(srv, ctx, i, flags) {
            Some(ms) => Some(ms),
            None => return,
        },
        None => None,
    };
    // The key stays in argv (SLOWLOG and MONITOR show the command as
    // sent); the dict gets its own copy, inline for short keys.
    let key = std::mem::take(&mut ctx.argv[key_idx]);
    if flags & GET != 0 && !get_generic(srv, ctx, &key) {
        ctx.argv[key_idx] = key;
        return;
    }
    ctx.argv[key_idx] = key;
    let now = srv.cmd_time_ms;
    let lru = srv.new_obj_lru();
    let db = &mut srv.dbs[ctx.db];
    let found = db.exists(&ctx.argv[key_idx], now);
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        if flags & GET == 0 {
            if int_reply {
                ctx.out.int(0);
            } else {
                ctx.out.null();
            }
        }
        return;
    }
    // A value of up to 128 bytes is copied (into the value itself when
    // short); a longer one is moved out of argv, leaving a prefix for SLOWLOG.
    let (stored, val) = if ctx.argv[val_idx].len() <= 128 {
        (RStr::from_slice(&ctx.argv[val_idx]), None)
    } else {
        let v = ctx.take_arg(val_idx);
        // Placeholder, replaced below (an `int` costs no allocation).
        (RStr::Int(0), Some(v))
    };
    // Propagation needs the value again only when the argv is rewritten.
    if when.is_some() || flags & GET != 0 {
        let v = val.clone().unwrap_or_else(|| ctx.argv[val_idx].clone());
        let mut r = vec![b"SET".to_vec(), ctx.argv[key_idx].clone(), v];
        if let Some(ms) = when {
            r.push(b"PXAT".to_vec());
            r.push(ms.to_string().into_bytes());
        } else {
            for a in ctx.argv.iter().skip(3) {
                if !arg_eq(a, "get") {
                    r.push(a.clone());
                }
            }
        }
        ctx.rewrite_as(r);
    }
    let stored = match val {
        Some(v) => RStr::from_bytes(v),
        None => stored,
    };
    let key = &ctx.argv[key_idx];
    srv.signal_modified_key(ctx.db, key);
    let dbi = ctx.db;
    // Notifications borrow the context mutably; copy the key only when
    // they are on (not on the hot path).
    let key_copy = (srv.config.notify_keyspace_events != 0).then(|| key.clone());
    let db = &mut srv.dbs[dbi];
    let existed = db.set(
        key,
        RObj::string(stored, lru),
        when.is_none() && flags & KEEPTTL != 0,
    );
    if let Some(ms) = when {
        db.set_expire(key, ms);
    }
    srv.dirty += 1;
    if let Some(k) = key_copy {
        if !existed {
            srv.notify(ctx, NOTIFY_NEW, "new", &k, dbi);
        }
        srv.notify(ctx, NOTIFY_STRING, "set", &k, dbi);
        if when.is_some() {
            srv.notify(ctx, NOTIFY_GENERIC, "expire", &k, dbi);
        }
    }
    if flags & GET == 0 {
        if int_reply {
            ctx.out.int(1);
        } else {
            ctx.out.ok();
        }
    }
}

/// SETNX key value
pub fn setnx_command(srv: &mut Server, ctx: &mut Ctx) {
    set_generic(srv, ctx, NX, 1, 2, None, true);
}

/// SETEX key seconds value
pub fn setex_command(srv: &mut Server, ctx: &mut Ctx) {
    set_generic(srv, ctx, EX, 1, 3, Some(2), false);
}

/// PSETEX key milliseconds value
pub fn psetex_command(srv: &mut Server, ctx: &mut Ctx) {
    set_generic(srv, ctx, PX, 1, 3, Some(2), false);
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]
pub fn getex_command(srv: &mut Server, ctx: &mut Ctx) {
    let (flags, expire) = match parse_extended(ctx, Kind::GetEx) {
        Some(x) => x,
        None => return,
    };
    let key = ctx.arg(1).to_vec();
    match srv.lookup_read(ctx.db, &key) {
        None => {
            ctx.out.null();
            return;
        }
        Some(o) => match o.as_str() {
            Some(_) => {}
            None => {
                ctx.out.error(WRONGTYPE);
                return;
            }
        },
    }
    let when = match expire {
        Some(i) => match expire_ms(srv, ctx, i, flags) {
            Some(ms) => Some(ms),
            None => return,
        },
        None => None,
    };
    if let Some(s) = srv.dbs[ctx.db].peek(&key).and_then(|o| o.as_str()) {
        reply_str(&mut ctx.out, s);
    }
    let now = srv.cmd_time_ms;
    if let Some(ms) = when {
        if flags & (EXAT | PXAT) != 0 && ms <= now {
            srv.dbs[ctx.db].delete(&key);
            let cmd: &[u8] = if srv.config.lazyfree_lazy_expire {
                b"UNLINK"
            } else {
                b"DEL"
            };
            ctx.rewrite_as(vec![cmd.to_vec(), key.clone()]);
        } else {
            srv.dbs[ctx.db].set_expire(&key, ms);
            ctx.rewrite_as(vec![
                b"PEXPIREAT".to_vec(),
                key.clone(),
                ms.to_string().into_bytes(),
            ]);
        }
        let dbi = ctx.db;
        let deleted = matches!(
            ctx.rewrite
                .as_ref()
                .and_then(|r| r.first())
                .map(|a| a[0].as_slice()),
            Some(b"DEL") | Some(b"UNLINK")
        );
        srv.notify(
            ctx,
            NOTIFY_GENERIC,
            if deleted { "del" } else { "expire" },
            &key,
            dbi,
        );
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
    } else if flags & PERSIST != 0 && srv.dbs[ctx.db].remove_expire(&key) {
        ctx.rewrite_as(vec![b"PERSIST".to_vec(), key.clone()]);
        let dbi = ctx.db;
        srv.notify(ctx, NOTIFY_GENERIC, "persist", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
    }
}

/// GETDEL key
pub fn getdel_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    if !get_generic(srv, ctx, &key) {
        return;
    }
    if srv.dbs[ctx.db].delete(&key).is_some() {
        // Replicas and the AOF see a plain delete.
        let cmd: &[u8] = if srv.config.lazyfree_lazy_user_del {
            b"UNLINK"
        } else {
            b"DEL"
        };
        ctx.rewrite_as(vec![cmd.to_vec(), key.clone()]);
        let dbi = ctx.db;
        srv.notify(ctx, NOTIFY_GENERIC, "del", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
    }
}

/// GETSET key value
pub fn getset_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    if !get_generic(srv, ctx, &key) {
        return;
    }
    let lru = srv.new_obj_lru();
    let val = ctx.arg(2).to_vec();
    let existed = srv.dbs[ctx.db].set(
        &key,
        RObj::string(RStr::from_bytes(val.clone()), lru),
        false,
    );
    let dbi = ctx.db;
    if !existed {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
    }
    srv.notify(ctx, NOTIFY_STRING, "set", &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.rewrite_as(vec![b"SET".to_vec(), key, val]);
}

/// MGET key [key ...]
pub fn mget_command(srv: &mut Server, ctx: &mut Ctx) {
    let n = ctx.argc() - 1;
    ctx.out.array_len(n);
    for i in 1..=n {
        let key = std::mem::take(&mut ctx.argv[i]);
        match srv.lookup_read(ctx.db, &key).map(|o| &o.value) {
            Some(Value::Str(s)) => reply_str(&mut ctx.out, s),
            _ => ctx.out.null(),
        }
        ctx.argv[i] = key;
    }
}

fn mset_generic(srv: &mut Server, ctx: &mut Ctx, nx: bool) {
    if ctx.argc().is_multiple_of(2) {
        arity_error(srv, ctx);
        return;
    }
    let now = srv.cmd_time_ms;
    if nx {
        for i in (1..ctx.argc()).step_by(2) {
            if srv.dbs[ctx.db].exists(&ctx.argv[i], now) {
                ctx.out.int(0);
                return;
            }
        }
    }
    let lru = srv.new_obj_lru();
    for i in (1..ctx.argc()).step_by(2) {
        // The value moves into the keyspace (propagation, when needed, was
        // given a copy of the argv before the call).
        let val = std::mem::take(&mut ctx.argv[i + 1]);
        let existed = srv.dbs[ctx.db].set(
            &ctx.argv[i],
            RObj::string(RStr::from_bytes(val), lru),
            false,
        );
        let key = std::mem::take(&mut ctx.argv[i]);
        let dbi = ctx.db;
        if !existed {
            srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
        }
        srv.notify(ctx, NOTIFY_STRING, "set", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        ctx.argv[i] = key;
    }
    srv.dirty += ((ctx.argc() - 1) / 2) as u64;
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
}

/// MSET key value [key value ...]
pub fn mset_command(srv: &mut Server, ctx: &mut Ctx) {
    mset_generic(srv, ctx, false);
}

/// MSETNX key value [key value ...]
pub fn msetnx_command(srv: &mut Server, ctx: &mut Ctx) {
    mset_generic(srv, ctx, true);
}

/// The shared body of INCR, DECR, INCRBY, DECRBY.
fn incr_decr(srv: &mut Server, ctx: &mut Ctx, incr: i64) {
    let key = std::mem::take(&mut ctx.argv[1]);
    let lru = srv.new_obj_lru();
    let now = srv.cmd_time_ms;
    let mut created = false;
    let db = &mut srv.dbs[ctx.db];
    let result = match db.lookup(&key, now) {
        Some(o) => {
            let cur = match &o.value {
                Value::Str(RStr::Int(n)) => Some(*n),
                Value::Str(s) => {
                    let b = s.to_bytes();
                    if b.len() <= 20 {
                        numbers::parse_i64(&b)
                    } else {
                        None
                    }
                }
                _ => {
                    ctx.out.error(WRONGTYPE);
                    ctx.argv[1] = key;
                    return;
                }
            };
            let cur = match cur {
                Some(c) => c,
                None => {
                    ctx.out.error(crate::commands::NOT_INT_ERR);
                    ctx.argv[1] = key;
                    return;
                }
            };
            match cur.checked_add(incr) {
                Some(v) => {
                    o.value = Value::Str(RStr::Int(v));
                    o.lru = lru;
                    v
                }
                None => {
                    ctx.out.error("ERR increment or decrement would overflow");
                    ctx.argv[1] = key;
                    return;
                }
            }
        }
        None => {
            db.add(
                crate::db::Key::from(&key),
                RObj::string(RStr::Int(incr), lru),
            );
            created = true;
            incr
        }
    };
    let dbi = ctx.db;
    if created {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
    }
    srv.notify(ctx, NOTIFY_STRING, "incrby", &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.out.int(result);
    ctx.argv[1] = key;
}

/// INCR key
pub fn incr_command(srv: &mut Server, ctx: &mut Ctx) {
    incr_decr(srv, ctx, 1);
}

/// DECR key
pub fn decr_command(srv: &mut Server, ctx: &mut Ctx) {
    incr_decr(srv, ctx, -1);
}

/// INCRBY key increment
pub fn incrby_command(srv: &mut Server, ctx: &mut Ctx) {
    if let Some(n) = parse_i64_arg(ctx, 2) {
        incr_decr(srv, ctx, n);
    }
}

/// DECRBY key decrement
pub fn decrby_command(srv: &mut Server, ctx: &mut Ctx) {
    if let Some(n) = parse_i64_arg(ctx, 2) {
        if n == i64::MIN {
            ctx.out.error("ERR decrement would overflow");
            return;
        }
        incr_decr(srv, ctx, -n);
    }
}

/// INCRBYFLOAT key increment — computed in 80-bit extended precision like
/// Redis's `long double`, printed like `ld2string(LD_STR_HUMAN)`.
pub fn incrbyfloat_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let now = srv.cmd_time_ms;
    let cur = match srv.dbs[ctx.db].lookup(&key, now) {
        None => LongDouble::ZERO,
        Some(o) => match o.as_str() {
            None => {
                ctx.out.error(WRONGTYPE);
                return;
            }
            Some(s) => match LongDouble::parse(&s.to_bytes()) {
                Some(v) => v,
                None => {
                    ctx.out.error("ERR value is not a valid float");
                    return;
                }
            },
        },
    };
    let incr = match LongDouble::parse(ctx.arg(2)) {
        Some(v) => v,
        None => {
            ctx.out.error("ERR value is not a valid float");
            return;
        }
    };
    let sum = long_double::add(cur, incr);
    let text = match (sum.is_finite(), sum.to_human_string()) {
        (true, Some(t)) => t,
        _ => {
            ctx.out.error("ERR increment would produce NaN or Infinity");
            return;
        }
    };
    let lru = srv.new_obj_lru();
    let bytes = text.into_bytes();
    // Like createStringObjectFromLongDouble: a plain string, never `int`.
    let stored = if bytes.len() <= EMBSTR_SIZE_LIMIT {
        RStr::Emb(bytes.as_slice().into())
    } else {
        RStr::raw(bytes.clone())
    };
    let existed = srv.dbs[ctx.db].set(&key, RObj::string(stored, lru), true);
    let dbi = ctx.db;
    if !existed {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
    }
    srv.notify(ctx, NOTIFY_STRING, "incrbyfloat", &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.out.bulk(&bytes);
    ctx.rewrite_as(vec![b"SET".to_vec(), key, bytes, b"KEEPTTL".to_vec()]);
}

/// Fails with Redis's error when a string would exceed proto-max-bulk-len.
fn check_string_length(srv: &Server, ctx: &mut Ctx, size: u64) -> bool {
    if size > srv.config.proto_max_bulk_len {
        ctx.out
            .error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }
    true
}

/// APPEND key value
pub fn append_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let now = srv.cmd_time_ms;
    let lru = srv.new_obj_lru();
    let cur_len = match srv.dbs[ctx.db].lookup(&key, now) {
        None => None,
        Some(o) => match o.as_str() {
            None => {
                ctx.out.error(WRONGTYPE);
                return;
            }
            Some(s) => Some(s.len()),
        },
    };
    let total = match cur_len {
        None => {
            let val = ctx.arg(2).to_vec();
            let len = val.len();
            srv.dbs[ctx.db].add(
                crate::db::Key::from(&key),
                RObj::string(RStr::from_bytes(val), lru),
            );
            len
        }
        Some(len) => {
            if !check_string_length(srv, ctx, len as u64 + ctx.arg(2).len() as u64) {
                return;
            }
            let o = srv.dbs[ctx.db]
                .dict
                .get_mut(&key[..])
                .expect("key just looked up");
            let add = &ctx.argv[2];
            let s = o.as_str_mut().expect("type checked above");
            let raw = s.make_raw();
            raw.extend_from_slice(add);
            raw.len()
        }
    };
    let dbi = ctx.db;
    if cur_len.is_none() {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
    }
    srv.notify(ctx, NOTIFY_STRING, "append", &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.out.int(total as i64);
}

/// STRLEN key
pub fn strlen_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = std::mem::take(&mut ctx.argv[1]);
    match srv.lookup_read(ctx.db, &key).map(|o| &o.value) {
        None => ctx.out.int(0),
        Some(Value::Str(s)) => ctx.out.int(s.len() as i64),
        Some(_) => ctx.out.error(WRONGTYPE),
    }
    ctx.argv[1] = key;
}

/// SETRANGE key offset value
pub fn setrange_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let offset = match parse_i64_arg(ctx, 2) {
        Some(o) => o,
        None => return,
    };
    if offset < 0 {
        ctx.out.error("ERR offset is out of range");
        return;
    }
    let now = srv.cmd_time_ms;
    let lru = srv.new_obj_lru();
    let vlen = ctx.arg(3).len();
    let exists = match srv.dbs[ctx.db].lookup(&key, now) {
        None => false,
        Some(o) => match o.as_str() {
            None => {
                ctx.out.error(WRONGTYPE);
                return;
            }
            Some(_) => true,
        },
    };
    if !exists {
        if vlen == 0 {
            ctx.out.int(0);
            return;
        }
        if !check_string_length(srv, ctx, offset as u64 + vlen as u64) {
            return;
        }
        let mut buf = vec![0u8; offset as usize];
        buf.extend_from_slice(ctx.arg(3));
        let len = buf.len();
        srv.dbs[ctx.db].add(
            crate::db::Key::from(&key),
            RObj::string(RStr::raw(buf), lru),
        );
        let dbi = ctx.db;
        srv.notify(ctx, NOTIFY_NEW, "new", &key, dbi);
        srv.notify(ctx, NOTIFY_STRING, "setrange", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
        ctx.out.int(len as i64);
        return;
    }
    let cur_len = srv.dbs[ctx.db]
        .peek(&key)
        .and_then(|o| o.as_str())
        .map(|s| s.len())
        .unwrap_or(0);
    if vlen == 0 {
        ctx.out.int(cur_len as i64);
        return;
    }
    if !check_string_length(srv, ctx, offset as u64 + vlen as u64) {
        return;
    }
    let o = srv.dbs[ctx.db].dict.get_mut(&key[..]).expect("key exists");
    let s = o.as_str_mut().expect("type checked above");
    let raw = s.make_raw();
    let off = offset as usize;
    if raw.len() < off + vlen {
        raw.resize(off + vlen, 0);
    }
    raw[off..off + vlen].copy_from_slice(&ctx.argv[3]);
    let len = raw.len();
    let dbi = ctx.db;
    srv.notify(ctx, NOTIFY_STRING, "setrange", &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.out.int(len as i64);
}

/// GETRANGE key start end (and its old name SUBSTR)
pub fn getrange_command(srv: &mut Server, ctx: &mut Ctx) {
    let start = match parse_i64_arg(ctx, 2) {
        Some(v) => v,
        None => return,
    };
    let end = match parse_i64_arg(ctx, 3) {
        Some(v) => v,
        None => return,
    };
    let key = std::mem::take(&mut ctx.argv[1]);
    let o = srv.lookup_read(ctx.db, &key);
    let bytes = match o.map(|o| &o.value) {
        None => {
            ctx.out.bulk(b"");
            ctx.argv[1] = key;
            return;
        }
        Some(Value::Str(s)) => s.to_bytes(),
        Some(_) => {
            ctx.out.error(WRONGTYPE);
            ctx.argv[1] = key;
            return;
        }
    };
    let strlen = bytes.len() as i64;
    let (mut start, mut end) = (start, end);
    // Like Redis: a negative range on both sides that is inverted is empty.
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        ctx.argv[1] = key;
        return;
    }
    if start < 0 {
        start += strlen;
    }
    if end < 0 {
        end += strlen;
    }
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= strlen {
        end = strlen - 1;
    }
    if start > end || strlen == 0 {
        ctx.out.bulk(b"");
    } else {
        ctx.out.bulk(&bytes[start as usize..=end as usize]);
    }
    ctx.argv[1] = key;
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub fn lcs_command(srv: &mut Server, ctx: &mut Ctx) {
    let k1 = ctx.arg(1).to_vec();
    let k2 = ctx.arg(2).to_vec();
    let a = srv
        .lookup_read(ctx.db, &k1)
        .map(|o| o.as_str().map(|s| s.to_bytes().into_owned()));
    let b = srv
        .lookup_read(ctx.db, &k2)
        .map(|o| o.as_str().map(|s| s.to_bytes().into_owned()));
    let (a, b) = match (a, b) {
        (Some(None), _) | (_, Some(None)) => {
            ctx.out
                .error("ERR The specified keys must contain string values");
            return;
        }
        (a, b) => (
            a.flatten().unwrap_or_default(),
            b.flatten().unwrap_or_default(),
        ),
    };
    let mut getidx = false;
    let mut getlen = false;
    let mut withmatchlen = false;
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let opt = ctx.arg(j);
        let more = ctx.argc() - 1 - j;
        if arg_eq(opt, "idx") {
            getidx = true;
        } else if arg_eq(opt, "len") {
            getlen = true;
        } else if arg_eq(opt, "withmatchlen") {
            withmatchlen = true;
        } else if arg_eq(opt, "minmatchlen") && more > 0 {
            minmatchlen = match parse_i64_arg(ctx, j + 1) {
                Some(v) => v.max(0),
                None => return,
            };
            j += 1;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    if getlen && getidx {
        ctx.out
            .error("ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > srv.config.proto_max_bulk_len {
        ctx.out
            .error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    // Classic dynamic programming table: lcs[i][j] is the LCS length of
    // a[..i] and b[..j].
    let w = blen + 1;
    let mut lcs = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for j in 1..=blen {
            lcs[i * w + j] = if a[i - 1] == b[j - 1] {
                lcs[(i - 1) * w + j - 1] + 1
            } else {
                lcs[(i - 1) * w + j].max(lcs[i * w + j - 1])
            };
        }
    }
    let total = lcs[alen * w + blen];
    if getlen {
        ctx.out.int(total as i64);
        return;
    }
    // Walk back from the end, collecting the LCS and the matching ranges.
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<[i64; 5]> = Vec::new();
    let (mut i, mut j) = (alen, blen);
    let unset = alen;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0usize, 0usize, 0usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                a_start = i - 1;
                a_end = i - 1;
                b_start = j - 1;
                b_end = j - 1;
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if lcs[(i - 1) * w + j] > lcs[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != unset {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if minmatchlen == 0 || match_len >= minmatchlen {
                ranges.push([
                    a_start as i64,
                    a_end as i64,
                    b_start as i64,
                    b_end as i64,
                    match_len,
                ]);
            }
            a_start = unset;
        }
    }
    if getidx {
        ctx.out.map_len(2);
        ctx.out.bulk(b"matches");
        ctx.out.array_len(ranges.len());
        for r in &ranges {
            ctx.out.array_len(if withmatchlen { 3 } else { 2 });
            ctx.out.array_len(2);
            ctx.out.int(r[0]);
            ctx.out.int(r[1]);
            ctx.out.array_len(2);
            ctx.out.int(r[2]);
            ctx.out.int(r[3]);
            if withmatchlen {
                ctx.out.int(r[4]);
            }
        }
        ctx.out.bulk(b"len");
        ctx.out.int(total as i64);
    } else {
        ctx.out.bulk(&result);
    }
}
