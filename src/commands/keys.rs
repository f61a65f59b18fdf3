//! Generic keyspace commands (~ Redis's `db.c` and `expire.c` command
//! procs): DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, MOVE, COPY,
//! SELECT, SWAPDB, FLUSHDB/FLUSHALL, DBSIZE, TTL family, EXPIRE family,
//! PERSIST, TOUCH, OBJECT.

use crate::commands::{arg_eq, expire_time_error, parse_i64_arg, NOT_INT_ERR, SYNTAX_ERR};
use crate::config::{NOTIFY_GENERIC, NOTIFY_NEW};
use crate::db::{Db, RStr, Value};
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;
use crate::util::numbers;

/// DEL key [key ...] / UNLINK key [key ...]
pub fn del_command(srv: &mut Server, ctx: &mut Ctx) {
    // Values costlier to free than this go to the lazyfree thread in
    // Redis (LAZYFREE_THRESHOLD).
    const LAZYFREE_THRESHOLD: usize = 64;
    let unlink = arg_eq(ctx.arg(0), "unlink");
    let now = srv.cmd_time_ms;
    let mut deleted = 0;
    for i in 1..ctx.argc() {
        let key = std::mem::take(&mut ctx.argv[i]);
        let db = &mut srv.dbs[ctx.db];
        db.expire_if_needed(&key, now);
        if let Some(old) = db.delete(&key) {
            if unlink && old.value.free_effort() > LAZYFREE_THRESHOLD {
                srv.stats.lazyfreed_objects += 1;
            }
            let dbi = ctx.db;
            srv.notify(ctx, NOTIFY_GENERIC, "del", &key, dbi);
            srv.signal_modified_key(ctx.db, &key);
            srv.dirty += 1;
            deleted += 1;
        }
        ctx.argv[i] = key;
    }
    ctx.out.int(deleted);
}

/// EXISTS key [key ...]
pub fn exists_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut count = 0;
    for i in 1..ctx.argc() {
        let key = std::mem::take(&mut ctx.argv[i]);
        if srv.lookup_read_notouch(ctx.db, &key).is_some() {
            count += 1;
        }
        ctx.argv[i] = key;
    }
    ctx.out.int(count);
}

/// TOUCH key [key ...]
pub fn touch_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut count = 0;
    for i in 1..ctx.argc() {
        let key = std::mem::take(&mut ctx.argv[i]);
        if srv.lookup_read(ctx.db, &key).is_some() {
            count += 1;
        }
        ctx.argv[i] = key;
    }
    ctx.out.int(count);
}

/// TYPE key
pub fn type_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = std::mem::take(&mut ctx.argv[1]);
    let t = match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => o.value.type_name(),
        None => "none",
    };
    ctx.out.status(t);
    ctx.argv[1] = key;
}

/// KEYS pattern
pub fn keys_command(srv: &mut Server, ctx: &mut Ctx) {
    let pattern = ctx.arg(1).to_vec();
    let all = pattern == b"*";
    let now = srv.cmd_time_ms;
    let db = &srv.dbs[ctx.db];
    let mut found: Vec<&[u8]> = Vec::new();
    for (k, _) in db.dict.iter() {
        if (all || string_match(&pattern, k, false)) && !db.is_expired(k, now) {
            found.push(k);
        }
    }
    ctx.out.array_len(found.len());
    for k in found {
        ctx.out.bulk(k);
    }
}

/// Parse a SCAN cursor like Redis's `parseScanCursorOrReply`, which is
/// `strtoul` on the argument as a C string: it ends at the first NUL, an
/// optional `+` or `-` may precede the digits (`-1` wraps to 2^64 - 1), the
/// empty string is 0, and leading whitespace, trailing garbage or a value
/// past 2^64 - 1 are errors.
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let s = match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    };
    let (negative, digits) = match s.first() {
        None => return Some(0),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// The options shared by SCAN, HSCAN, SSCAN and ZSCAN.
pub struct ScanOpts {
    /// COUNT: how much work one call should do (default 10).
    pub count: i64,
    /// MATCH pattern; `None` when absent or `*`.
    pub pattern: Option<Vec<u8>>,
    /// TYPE (SCAN only), lower-cased.
    pub typ: Option<Vec<u8>>,
}

/// Parse `[MATCH pattern] [COUNT count] [TYPE type]` from argument `start`
/// on (step 1 of Redis's `scanGenericCommand`); TYPE is only accepted when
/// scanning the keyspace. Replies the error and returns None when invalid.
pub fn parse_scan_options(ctx: &mut Ctx, start: usize, allow_type: bool) -> Option<ScanOpts> {
    let mut opts = ScanOpts {
        count: 10,
        pattern: None,
        typ: None,
    };
    let mut i = start;
    while i < ctx.argc() {
        let more = ctx.argc() - i - 1;
        let opt = ctx.arg(i);
        if arg_eq(opt, "count") && more >= 1 {
            opts.count = match numbers::parse_i64(ctx.arg(i + 1)) {
                Some(c) => c,
                None => {
                    ctx.out.error(NOT_INT_ERR);
                    return None;
                }
            };
            if opts.count < 1 {
                ctx.out.error(SYNTAX_ERR);
                return None;
            }
            i += 2;
        } else if arg_eq(opt, "match") && more >= 1 {
            let p = ctx.arg(i + 1).to_vec();
            opts.pattern = if p == b"*" { None } else { Some(p) };
            i += 2;
        } else if arg_eq(opt, "type") && allow_type && more >= 1 {
            opts.typ = Some(ctx.arg(i + 1).to_ascii_lowercase());
            i += 2;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return None;
        }
    }
    Some(opts)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan_command(srv: &mut Server, ctx: &mut Ctx) {
    let cursor = match parse_scan_cursor(ctx.arg(1)) {
        Some(c) => c,
        None => {
            ctx.out.error("ERR invalid cursor");
            return;
        }
    };
    let ScanOpts {
        count,
        pattern,
        typ,
    } = match parse_scan_options(ctx, 2, true) {
        Some(o) => o,
        None => return,
    };
    let db = &mut srv.dbs[ctx.db];
    let mut keys: Vec<crate::db::Key> = Vec::new();
    let mut cur = cursor;
    let mut max_iterations = count.saturating_mul(10);
    loop {
        cur = db.dict.scan(cur, |k, _| keys.push(k.clone()));
        max_iterations -= 1;
        if cur == 0 || max_iterations <= 0 || keys.len() as i64 >= count {
            break;
        }
    }
    let now = srv.cmd_time_ms;
    let mut out_keys = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(p) = &pattern {
            if !string_match(p, &k, false) {
                continue;
            }
        }
        if let Some(t) = &typ {
            match db.peek(&k) {
                Some(o) if o.value.type_name().as_bytes() == &t[..] => {}
                _ => continue,
            }
        }
        if db.expire_if_needed(&k, now) {
            continue;
        }
        out_keys.push(k);
    }
    ctx.out.array_len(2);
    ctx.out.bulk(cur.to_string().as_bytes());
    ctx.out.array_len(out_keys.len());
    for k in out_keys {
        ctx.out.bulk(&k);
    }
}

/// RANDOMKEY
pub fn randomkey_command(srv: &mut Server, ctx: &mut Ctx) {
    let now = srv.cmd_time_ms;
    match srv.dbs[ctx.db].random_key(now) {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
}

fn rename_generic(srv: &mut Server, ctx: &mut Ctx, nx: bool) {
    let src = ctx.arg(1).to_vec();
    let dst = ctx.arg(2).to_vec();
    let now = srv.cmd_time_ms;
    let db = &mut srv.dbs[ctx.db];
    if db.lookup(&src, now).is_none() {
        ctx.out.error("ERR no such key");
        return;
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return;
    }
    let expire = db.get_expire(&src);
    if db.exists(&dst, now) {
        if nx {
            ctx.out.int(0);
            return;
        }
        db.delete(&dst);
    }
    let val = db.delete(&src).expect("source exists");
    db.add(crate::db::Key::from(&dst), val);
    if let Some(when) = expire {
        db.set_expire(&dst, when);
    }
    srv.signal_modified_key(ctx.db, &src);
    srv.signal_modified_key(ctx.db, &dst);
    let dbi = ctx.db;
    srv.notify(ctx, NOTIFY_NEW, "new", &dst, dbi);
    srv.notify(ctx, NOTIFY_GENERIC, "rename_from", &src, dbi);
    srv.notify(ctx, NOTIFY_GENERIC, "rename_to", &dst, dbi);
    srv.dirty += 1;
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
}

/// RENAME key newkey
pub fn rename_command(srv: &mut Server, ctx: &mut Ctx) {
    rename_generic(srv, ctx, false);
}

/// RENAMENX key newkey
pub fn renamenx_command(srv: &mut Server, ctx: &mut Ctx) {
    rename_generic(srv, ctx, true);
}

/// Parse a database index argument like `getIntFromObjectOrReply`, then
/// range-check it.
fn parse_db_index(srv: &Server, ctx: &mut Ctx, i: usize, not_int: &str) -> Option<usize> {
    let id = match numbers::parse_i64(ctx.arg(i)) {
        Some(v) if v >= i32::MIN as i64 && v <= i32::MAX as i64 => v,
        _ => {
            ctx.out.error(not_int);
            return None;
        }
    };
    if id < 0 || id as usize >= srv.dbs.len() {
        ctx.out.error("ERR DB index is out of range");
        return None;
    }
    Some(id as usize)
}

/// MOVE key db
pub fn move_command(srv: &mut Server, ctx: &mut Ctx) {
    let dst = match parse_db_index(srv, ctx, 2, NOT_INT_ERR) {
        Some(d) => d,
        None => return,
    };
    if dst == ctx.db {
        ctx.out
            .error("ERR source and destination objects are the same");
        return;
    }
    let key = ctx.arg(1).to_vec();
    let now = srv.cmd_time_ms;
    if srv.dbs[ctx.db].lookup(&key, now).is_none() {
        ctx.out.int(0);
        return;
    }
    let expire = srv.dbs[ctx.db].get_expire(&key);
    if srv.dbs[dst].exists(&key, now) {
        ctx.out.int(0);
        return;
    }
    let val = srv.dbs[ctx.db].delete(&key).expect("exists");
    srv.dbs[dst].add(crate::db::Key::from(&key), val);
    if let Some(when) = expire {
        srv.dbs[dst].set_expire(&key, when);
    }
    srv.signal_modified_key(ctx.db, &key);
    srv.signal_modified_key(dst, &key);
    let dbi = ctx.db;
    srv.notify(ctx, NOTIFY_NEW, "new", &key, dst);
    srv.notify(ctx, NOTIFY_GENERIC, "move_from", &key, dbi);
    srv.notify(ctx, NOTIFY_GENERIC, "move_to", &key, dst);
    srv.dirty += 1;
    ctx.out.int(1);
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut replace = false;
    let mut dst_db = ctx.db;
    let mut j = 3;
    while j < ctx.argc() {
        let additional = ctx.argc() - j - 1;
        if arg_eq(ctx.arg(j), "replace") {
            replace = true;
        } else if arg_eq(ctx.arg(j), "db") && additional >= 1 {
            dst_db = match parse_db_index(srv, ctx, j + 1, NOT_INT_ERR) {
                Some(d) => d,
                None => return,
            };
            j += 1;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    let key = ctx.arg(1).to_vec();
    let newkey = ctx.arg(2).to_vec();
    if dst_db == ctx.db && key == newkey {
        ctx.out
            .error("ERR source and destination objects are the same");
        return;
    }
    let obj = match srv.lookup_read(ctx.db, &key) {
        Some(o) => o.clone(),
        None => {
            ctx.out.int(0);
            return;
        }
    };
    let expire = srv.dbs[ctx.db].get_expire(&key);
    let now = srv.cmd_time_ms;
    if srv.dbs[dst_db].exists(&newkey, now) {
        if !replace {
            ctx.out.int(0);
            return;
        }
        srv.dbs[dst_db].delete(&newkey);
    }
    srv.dbs[dst_db].add(crate::db::Key::from(&newkey), obj);
    if let Some(when) = expire {
        srv.dbs[dst_db].set_expire(&newkey, when);
    }
    srv.signal_modified_key(dst_db, &newkey);
    srv.notify(ctx, NOTIFY_NEW, "new", &newkey, dst_db);
    srv.notify(ctx, NOTIFY_GENERIC, "copy_to", &newkey, dst_db);
    srv.dirty += 1;
    ctx.out.int(1);
}

/// SELECT index
pub fn select_command(srv: &mut Server, ctx: &mut Ctx) {
    let id = match parse_db_index(srv, ctx, 1, NOT_INT_ERR) {
        Some(d) => d,
        None => return,
    };
    ctx.db = id;
    ctx.out.ok();
}

/// SWAPDB index1 index2
pub fn swapdb_command(srv: &mut Server, ctx: &mut Ctx) {
    let a = match parse_db_index(srv, ctx, 1, "ERR invalid first DB index") {
        Some(d) => d,
        None => return,
    };
    let b = match parse_db_index(srv, ctx, 2, "ERR invalid second DB index") {
        Some(d) => d,
        None => return,
    };
    if a != b {
        crate::multi::touch_all_watched_keys_in_db(srv, a, Some(b));
        crate::multi::touch_all_watched_keys_in_db(srv, b, Some(a));
        crate::blocked::scan_database_for_deleted_streams(srv, a, Some(b));
        crate::blocked::scan_database_for_deleted_streams(srv, b, Some(a));
        srv.dbs.swap(a, b);
        srv.dbs[a].id = a;
        srv.dbs[b].id = b;
        // Clients blocked on keys that now exist in either database wake up
        // (Redis's `scanDatabaseForReadyKeys`).
        crate::blocked::scan_database_for_ready_keys(srv, a);
        crate::blocked::scan_database_for_ready_keys(srv, b);
        srv.dirty += 1;
    }
    ctx.out.ok();
}

/// Parse the optional ASYNC|SYNC of FLUSHDB/FLUSHALL.
fn flush_flags(ctx: &mut Ctx) -> bool {
    if ctx.argc() > 2 {
        ctx.out.error(SYNTAX_ERR);
        return false;
    }
    if ctx.argc() == 2 && !arg_eq(ctx.arg(1), "async") && !arg_eq(ctx.arg(1), "sync") {
        ctx.out.error(SYNTAX_ERR);
        return false;
    }
    true
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb_command(srv: &mut Server, ctx: &mut Ctx) {
    if !flush_flags(ctx) {
        return;
    }
    srv.signal_flushed_db(Some(ctx.db));
    let n = srv.dbs[ctx.db].flush();
    srv.dirty += n as u64;
    ctx.out.ok();
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall_command(srv: &mut Server, ctx: &mut Ctx) {
    if !flush_flags(ctx) {
        return;
    }
    srv.signal_flushed_db(None);
    let mut n = 0;
    for db in srv.dbs.iter_mut() {
        n += db.flush();
    }
    srv.dirty += n as u64;
    // A snapshot being written would bring the keys back at the next
    // restart (`flushAllDataAndResetRDB`): stop it.
    if srv.children.is(crate::child::ChildKind::Rdb) {
        crate::child::kill_child(srv, false);
    }
    // With save points configured the emptied dataset is saved right away
    // (`flushAllDataAndResetRDB`), so a restart does not bring the keys
    // back. The save resets `dirty`: force the propagation.
    if !srv.config.save.is_empty() {
        let _ = crate::rdb::file::save(srv);
        ctx.force_propagate = true;
    }
    srv.dirty += 1;
    ctx.out.ok();
}

/// DBSIZE
pub fn dbsize_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.dbs[ctx.db].len() as i64);
}

/// The shared body of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT
/// (Redis's `expireGenericCommand`).
fn expire_generic(srv: &mut Server, ctx: &mut Ctx, basetime: i64, seconds: bool) {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for j in 3..ctx.argc() {
        let opt = ctx.arg(j);
        if arg_eq(opt, "nx") {
            nx = true;
        } else if arg_eq(opt, "xx") {
            xx = true;
        } else if arg_eq(opt, "gt") {
            gt = true;
        } else if arg_eq(opt, "lt") {
            lt = true;
        } else {
            let o = String::from_utf8_lossy(opt).into_owned();
            ctx.out.error(&format!("ERR Unsupported option {}", o));
            return;
        }
    }
    if nx && (xx || gt || lt) {
        ctx.out
            .error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if gt && lt {
        ctx.out
            .error("ERR GT and LT options at the same time are not compatible");
        return;
    }
    let mut when = match parse_i64_arg(ctx, 2) {
        Some(v) => v,
        None => return,
    };
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            expire_time_error(srv, ctx);
            return;
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        expire_time_error(srv, ctx);
        return;
    }
    when += basetime;
    let key = ctx.arg(1).to_vec();
    let now = srv.cmd_time_ms;
    let loading = srv.loading;
    let db = &mut srv.dbs[ctx.db];
    if db.lookup(&key, now).is_none() {
        ctx.out.int(0);
        return;
    }
    if nx || xx || gt || lt {
        let cur = db.get_expire(&key);
        if (nx && cur.is_some())
            || (xx && cur.is_none())
            || (gt && cur.is_none_or(|c| when <= c))
            || (lt && cur.is_some_and(|c| when >= c))
        {
            ctx.out.int(0);
            return;
        }
    }
    // Redis's checkAlreadyExpired: a deadline in the past deletes the key,
    // except while loading an AOF, whose later commands may still use it,
    // and on a replica, which waits for its master's DEL (the master's
    // PEXPIREAT may well arrive after its deadline).
    let already_expired = when <= now && !loading && !srv.repl.is_replica();
    if already_expired {
        db.delete(&key);
        let cmd: &[u8] = if srv.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        ctx.rewrite_as(vec![cmd.to_vec(), key.clone()]);
    } else {
        db.set_expire(&key, when);
        let mut v = ctx.argv.clone();
        v[0] = b"PEXPIREAT".to_vec();
        v[2] = when.to_string().into_bytes();
        ctx.rewrite_as(v);
    }
    let dbi = ctx.db;
    let event = if already_expired { "del" } else { "expire" };
    srv.notify(ctx, NOTIFY_GENERIC, event, &key, dbi);
    srv.signal_modified_key(ctx.db, &key);
    srv.dirty += 1;
    ctx.out.int(1);
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub fn expire_command(srv: &mut Server, ctx: &mut Ctx) {
    let now = srv.cmd_time_ms;
    expire_generic(srv, ctx, now, true);
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub fn pexpire_command(srv: &mut Server, ctx: &mut Ctx) {
    let now = srv.cmd_time_ms;
    expire_generic(srv, ctx, now, false);
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub fn expireat_command(srv: &mut Server, ctx: &mut Ctx) {
    expire_generic(srv, ctx, 0, true);
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub fn pexpireat_command(srv: &mut Server, ctx: &mut Ctx) {
    expire_generic(srv, ctx, 0, false);
}

/// The shared body of TTL, PTTL, EXPIRETIME, PEXPIRETIME.
fn ttl_generic(srv: &mut Server, ctx: &mut Ctx, ms: bool, absolute: bool) {
    let key = ctx.arg(1).to_vec();
    if srv.lookup_read_notouch(ctx.db, &key).is_none() {
        ctx.out.int(-2);
        return;
    }
    let now = srv.cmd_time_ms;
    match srv.dbs[ctx.db].get_expire(&key) {
        None => ctx.out.int(-1),
        Some(when) => {
            let ttl = if absolute { when } else { when - now }.max(0);
            ctx.out.int(if ms { ttl } else { (ttl + 500) / 1000 });
        }
    }
}

/// TTL key
pub fn ttl_command(srv: &mut Server, ctx: &mut Ctx) {
    ttl_generic(srv, ctx, false, false);
}

/// PTTL key
pub fn pttl_command(srv: &mut Server, ctx: &mut Ctx) {
    ttl_generic(srv, ctx, true, false);
}

/// EXPIRETIME key
pub fn expiretime_command(srv: &mut Server, ctx: &mut Ctx) {
    ttl_generic(srv, ctx, false, true);
}

/// PEXPIRETIME key
pub fn pexpiretime_command(srv: &mut Server, ctx: &mut Ctx) {
    ttl_generic(srv, ctx, true, true);
}

/// PERSIST key
pub fn persist_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let now = srv.cmd_time_ms;
    let db = &mut srv.dbs[ctx.db];
    if db.lookup(&key, now).is_none() {
        ctx.out.int(0);
        return;
    }
    if db.remove_expire(&key) {
        let dbi = ctx.db;
        srv.notify(ctx, NOTIFY_GENERIC, "persist", &key, dbi);
        srv.signal_modified_key(ctx.db, &key);
        srv.dirty += 1;
        ctx.out.int(1);
    } else {
        ctx.out.int(0);
    }
}

/// OBJECT HELP
pub fn object_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    let lines = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::reply_help(ctx, &lines);
}

/// OBJECT ENCODING key
pub fn object_encoding_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(2).to_vec();
    match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => {
            let e = o.value.encoding();
            ctx.out.bulk(e.as_bytes());
        }
        None => ctx.out.null(),
    }
}

/// OBJECT REFCOUNT key
pub fn object_refcount_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(2).to_vec();
    let shared_ints = srv.shared_integers_allowed();
    match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => {
            let shared = shared_ints
                && matches!(o.value, Value::Str(RStr::Int(n)) if (0..10000).contains(&n));
            ctx.out.int(if shared { i32::MAX as i64 } else { 1 });
        }
        None => ctx.out.null(),
    }
}

/// OBJECT IDLETIME key
pub fn object_idletime_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(2).to_vec();
    let lfu = srv.config.maxmemory_policy.is_lfu();
    let clock = srv.lru_clock();
    match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => {
            if lfu {
                ctx.out.error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
                return;
            }
            let idle = crate::db::value::lru_idle_seconds(o.lru, clock);
            ctx.out.int(idle as i64);
        }
        None => ctx.out.null(),
    }
}

/// OBJECT FREQ key
pub fn object_freq_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(2).to_vec();
    let lfu = srv.config.maxmemory_policy.is_lfu();
    let decay = u64::from(srv.config.lfu_decay_time);
    let now_min = (srv.cmd_time_ms / 60000) as u32;
    match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => {
            if !lfu {
                ctx.out.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
                return;
            }
            let f = crate::db::value::lfu_decr_and_return(o.lru, now_min, decay);
            ctx.out.int(f as i64);
        }
        None => ctx.out.null(),
    }
}

/// Helper for tests and DEBUG: total keys with an expire in `db`.
pub fn volatile_count(db: &Db) -> usize {
    db.expires.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_cursor_parses_like_strtoul() {
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b"007"), Some(7));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_scan_cursor(b"12\0junk"), Some(12));
        for bad in [
            &b"-"[..],
            b"+",
            b" 1",
            b"1 ",
            b"abc",
            b"1.0",
            b"18446744073709551616",
            b"-18446744073709551616",
        ] {
            assert_eq!(parse_scan_cursor(bad), None, "{:?}", bad);
        }
    }
}
