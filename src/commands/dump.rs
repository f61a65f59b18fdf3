//! DUMP and RESTORE (~ `dumpCommand` / `restoreCommand` in Redis's
//! `cluster.c`): a value serialized in the RDB format, carried by a client
//! between servers.
//!
//! The payload is the value's RDB type byte and body, the RDB version (2
//! bytes) and a CRC-64 (8 bytes); see `crate::rdb`. RESTORE checks the
//! footer first ("DUMP payload version or checksum are wrong"), then decodes
//! the body with the same validating loader as RDB files ("Bad data
//! format" for anything malformed, including an empty collection), and
//! only then touches the keyspace, so a rejected payload changes nothing.
//!
//! Propagation: a relative TTL is rewritten to the absolute time with
//! ABSTTL, and a RESTORE whose absolute TTL is already in the past behaves
//! as DEL of the replaced key (or as nothing at all), as in Redis.

use crate::commands::{arg_eq, SYNTAX_ERR};
use crate::config::NOTIFY_GENERIC;
use crate::db::{Key, RObj};
use crate::rdb::{self, decode, encode};
use crate::server::{Ctx, Server};
use crate::util::numbers;

/// DUMP key
pub fn dump_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = std::mem::take(&mut ctx.argv[1]);
    let compress = srv.config.rdbcompression;
    match srv.lookup_read(ctx.db, &key) {
        Some(o) => {
            let payload = encode::dump_payload(&o.value, compress);
            ctx.out.bulk(&payload);
        }
        None => ctx.out.null(),
    }
    ctx.argv[1] = key;
}

fn parse_ll(ctx: &mut Ctx, i: usize) -> Option<i64> {
    crate::commands::parse_i64_arg(ctx, i)
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn restore_command(srv: &mut Server, ctx: &mut Ctx) {
    let (mut replace, mut absttl) = (false, false);
    let (mut lru_idle, mut lfu_freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < ctx.argc() {
        let additional = ctx.argc() - j - 1;
        let a = ctx.arg(j);
        if arg_eq(a, "replace") {
            replace = true;
        } else if arg_eq(a, "absttl") {
            absttl = true;
        } else if arg_eq(a, "idletime") && additional >= 1 && lfu_freq.is_none() {
            let Some(v) = parse_ll(ctx, j + 1) else {
                return;
            };
            if v < 0 {
                ctx.out.error("ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            lru_idle = Some(v);
            j += 1;
        } else if arg_eq(a, "freq") && additional >= 1 && lru_idle.is_none() {
            let Some(v) = parse_ll(ctx, j + 1) else {
                return;
            };
            if !(0..=255).contains(&v) {
                ctx.out
                    .error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            lfu_freq = Some(v);
            j += 1;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    let key = ctx.arg(1).to_vec();
    if !replace && srv.lookup_write(ctx.db, &key).is_some() {
        ctx.out.error("BUSYKEY Target key name already exists.");
        return;
    }
    let Some(mut ttl) = parse_ll(ctx, 2) else {
        return;
    };
    if ttl < 0 {
        ctx.out.error("ERR Invalid TTL value, must be >= 0");
        return;
    }
    let skip_crc = srv.skip_checksum_validation;
    let Some(body) = decode::verify_dump_payload(ctx.arg(3), skip_crc) else {
        ctx.out
            .error("ERR DUMP payload version or checksum are wrong");
        return;
    };
    let limits = rdb::Limits::from_config(&srv.config);
    let value = match decode::load_dump_body(body, &limits) {
        Ok(v) => v,
        Err(e) => {
            log::debug!("RESTORE rejected a payload: {}", e);
            ctx.out.error("ERR Bad data format");
            return;
        }
    };
    let dbi = ctx.db;
    let deleted = replace && srv.dbs[dbi].delete(&key).is_some();
    let now = srv.cmd_time_ms;
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now && !srv.loading && !srv.repl.is_replica() {
        if deleted {
            ctx.rewrite_as(vec![b"DEL".to_vec(), key.clone()]);
            srv.signal_modified_key(dbi, &key);
            srv.notify(ctx, NOTIFY_GENERIC, "del", &key, dbi);
            srv.dirty += 1;
        }
        ctx.out.ok();
        return;
    }
    // Access metadata: IDLETIME under an LRU-style policy, FREQ under LFU
    // (`objectSetLRUOrLFU`), else a fresh object's.
    let clock = rdb::file::LoadClock::for_server(srv);
    let freq = lfu_freq.map(|f| f as u8);
    let idle = lru_idle.map(|i| i as u64);
    let lru = clock.lru_for(freq, idle);
    srv.dbs[dbi].add(Key::from(&key[..]), RObj::new(value, lru));
    if ttl != 0 {
        srv.dbs[dbi].set_expire(&key, ttl);
        if !absttl {
            let mut v = ctx.argv.clone();
            let mut t = Vec::with_capacity(20);
            numbers::fmt_i64(ttl, &mut t);
            v[2] = t;
            v.push(b"ABSTTL".to_vec());
            ctx.rewrite_as(v);
        }
    }
    srv.signal_modified_key(dbi, &key);
    srv.notify(ctx, NOTIFY_GENERIC, "restore", &key, dbi);
    ctx.out.ok();
    srv.dirty += 1;
}
