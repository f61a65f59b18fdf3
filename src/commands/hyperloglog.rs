//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST
//! (~ the command half of Redis's `hyperloglog.c`; the sketch itself is in
//! `db/hyperloglog.rs`).
//!
//! # Contracts
//! - A sketch is a string value (`raw` encoding once written). A string
//!   that is not a sketch (no "HYLL" magic, unknown encoding byte, dense of
//!   the wrong length, or an `int`) gets Redis's
//!   `WRONGTYPE Key is not a valid HyperLogLog string value.`; a non-string
//!   gets the ordinary WRONGTYPE. Sparse opcodes are only checked while
//!   they are read, and a bad run is `INVALIDOBJ Corrupted HLL object
//!   detected`.
//! - Writers unshare the string first (Redis's `dbUnshareStringValue`), so
//!   an `embstr` sketch written with SET becomes `raw` as in Redis.
//! - `srv.dirty`: PFADD adds one per changed register plus one for a new
//!   key (that many, like Redis, not one per call); PFMERGE adds one;
//!   PFCOUNT on one key adds one when it had to refresh the cached
//!   cardinality stored in the header (the bytes changed, so the command is
//!   propagated: it is flagged `may-replicate`); PFDEBUG GETREG/TODENSE add
//!   one when they convert a sparse sketch.
//! - Events: PFADD and PFMERGE both emit the string-class event `pfadd`
//!   (PFMERGE is a bulk add), plus `new` when they create the key.

use crate::commands::WRONGTYPE;
use crate::config::{NOTIFY_NEW, NOTIFY_STRING};
use crate::db::hyperloglog as hll;
use crate::db::{RObj, RStr, Value};
use crate::server::{Ctx, Server};

const HLL_WRONGTYPE: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALIDOBJ: &str = "INVALIDOBJ Corrupted HLL object detected";

/// The sketch bytes of a value, or the error to reply (Redis's
/// `checkType` + `isHLLObjectOrReply`).
fn hll_bytes(o: &RObj) -> Result<&[u8], &'static str> {
    match &o.value {
        Value::Str(s) if s.as_plain_bytes().is_some_and(hll::is_valid_header) => {
            Ok(s.as_plain_bytes().unwrap_or_default())
        }
        Value::Str(_) => Err(HLL_WRONGTYPE),
        #[allow(unreachable_patterns)]
        _ => Err(WRONGTYPE),
    }
}

/// Look `key` up for writing and check it is a sketch: `Ok(true)` if it
/// exists, `Ok(false)` if it does not.
fn check_for_write(srv: &mut Server, db: usize, key: &[u8]) -> Result<bool, &'static str> {
    match srv.lookup_write(db, key) {
        None => Ok(false),
        Some(o) => hll_bytes(o).map(|_| true),
    }
}

/// The mutable bytes of a sketch that [`check_for_write`] accepted (or
/// that was just created), unshared into a `raw` string.
fn sketch_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Vec<u8>> {
    match &mut srv.dbs[db].dict.get_mut(key)?.value {
        Value::Str(s) => Some(s.make_raw()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Create `key` holding an empty sparse sketch.
fn create_sketch(srv: &mut Server, db: usize, key: &[u8]) {
    let lru = srv.new_obj_lru();
    srv.dbs[db].add(key.into(), RObj::string(RStr::raw(hll::new_sparse()), lru));
}

/// Merge the sketches at `keys` into one register array (missing keys are
/// empty sketches). Also reports whether any input was dense. On error,
/// returns the text to reply.
fn union_of(
    srv: &mut Server,
    db: usize,
    keys: &[Vec<u8>],
) -> Result<(Box<[u8; hll::HLL_REGISTERS]>, bool), &'static str> {
    let mut max = Box::new([0u8; hll::HLL_REGISTERS]);
    let mut any_dense = false;
    for key in keys {
        let Some(o) = srv.lookup_read(db, key) else {
            continue;
        };
        let b = hll_bytes(o)?;
        any_dense |= hll::encoding(b) == hll::HLL_DENSE;
        hll::merge_into(&mut max, b).map_err(|_| INVALIDOBJ)?;
    }
    Ok((max, any_dense))
}

/// PFADD key [element ...]
///
/// Replies 1 if the key was created or a register changed, else 0.
pub fn pfadd_command(srv: &mut Server, ctx: &mut Ctx) {
    let key = ctx.arg(1).to_vec();
    let db = ctx.db;
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let existed = match check_for_write(srv, db, &key) {
        Ok(e) => e,
        Err(e) => return ctx.out.error(e),
    };
    let mut updated = 0u64;
    if !existed {
        create_sketch(srv, db, &key);
        updated += 1;
    }
    let Some(buf) = sketch_mut(srv, db, &key) else {
        return ctx.out.error(WRONGTYPE);
    };
    for ele in &ctx.argv[2..] {
        match hll::add(buf, ele, max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            // Registers set before the bad opcode stay set, as in Redis;
            // nothing is signalled or propagated.
            Err(_) => return ctx.out.error(INVALIDOBJ),
        }
    }
    if updated > 0 {
        hll::invalidate_cache(buf);
    }
    if !existed {
        srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
    }
    if updated > 0 {
        srv.signal_modified_key(db, &key);
        srv.notify(ctx, NOTIFY_STRING, "pfadd", &key, db);
        srv.dirty += updated;
    }
    ctx.out.int(i64::from(updated > 0));
}

/// PFCOUNT key [key ...]
///
/// One key: the cached cardinality, refreshed (and stored) when stale.
/// Several keys: the cardinality of their union, computed on the fly and
/// cached nowhere.
pub fn pfcount_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    if ctx.argc() > 2 {
        match union_of(srv, db, &ctx.argv[1..]) {
            Ok((max, _)) => ctx.out.int(hll::count_registers(&max) as i64),
            Err(e) => ctx.out.error(e),
        }
        return;
    }
    let key = ctx.arg(1).to_vec();
    match srv.lookup_read(db, &key) {
        None => return ctx.out.int(0),
        Some(o) => {
            if let Err(e) = hll_bytes(o) {
                return ctx.out.error(e);
            }
        }
    }
    let Some(buf) = sketch_mut(srv, db, &key) else {
        return ctx.out.error(WRONGTYPE);
    };
    if let Some(card) = hll::cached_card(buf) {
        return ctx.out.int(card as i64);
    }
    let card = match hll::count(buf) {
        Ok(c) => c,
        Err(_) => return ctx.out.error(INVALIDOBJ),
    };
    hll::set_cached_card(buf, card);
    // The value's bytes changed: a replica must store the same cache.
    srv.signal_modified_key(db, &key);
    srv.dirty += 1;
    ctx.out.int(card as i64);
}

/// PFMERGE destkey [sourcekey ...]
///
/// The destination is itself one of the inputs. The result is dense if any
/// input was dense; otherwise it stays sparse (until it outgrows
/// `hll-sparse-max-bytes`).
pub fn pfmerge_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let (max, use_dense) = match union_of(srv, db, &ctx.argv[1..]) {
        Ok(u) => u,
        Err(e) => return ctx.out.error(e),
    };
    let key = ctx.arg(1).to_vec();
    // The destination was checked as an input above.
    let created = srv.lookup_write(db, &key).is_none();
    if created {
        create_sketch(srv, db, &key);
        srv.notify(ctx, NOTIFY_NEW, "new", &key, db);
    }
    let Some(buf) = sketch_mut(srv, db, &key) else {
        return ctx.out.error(WRONGTYPE);
    };
    if use_dense && hll::sparse_to_dense(buf).is_err() {
        return ctx.out.error(INVALIDOBJ);
    }
    for (i, &v) in max.iter().enumerate() {
        if v != 0 {
            // Redis ignores a failure here: the destination's own opcodes
            // were validated when it was merged as an input.
            let _ = hll::set_register(buf, i, v, max_bytes);
        }
    }
    hll::invalidate_cache(buf);
    srv.signal_modified_key(db, &key);
    srv.notify(ctx, NOTIFY_STRING, "pfadd", &key, db);
    srv.dirty += 1;
    ctx.out.ok();
}

/// PFSELFTEST
///
/// Checks the dense register accessors and the estimator's error bounds
/// (10 million elements, like Redis: this blocks the server for a while).
pub fn pfselftest_command(srv: &mut Server, ctx: &mut Ctx) {
    let seed = (crate::server::now_us() as u64) ^ 0x9e37_79b9_7f4a_7c15;
    match hll::self_test(srv.config.hll_sparse_max_bytes, 1000, 10_000_000, seed) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.out.error(&format!("ERR {}", msg)),
    }
}

/// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
///
/// The key must exist and be a sketch whatever the subcommand (even an
/// unknown one), and is unshared into a `raw` string first, as in Redis.
pub fn pfdebug_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.arg(2).to_vec();
    match check_for_write(srv, db, &key) {
        Ok(true) => {}
        Ok(false) => return ctx.out.error("ERR The specified key does not exist"),
        Err(e) => return ctx.out.error(e),
    }
    let Some(buf) = sketch_mut(srv, db, &key) else {
        return ctx.out.error(WRONGTYPE);
    };
    let sub = ctx.arg(1).to_ascii_lowercase();
    match &sub[..] {
        b"getreg" => {
            let converted = match hll::sparse_to_dense(buf) {
                Ok(c) => c,
                Err(_) => return ctx.out.error(INVALIDOBJ),
            };
            let regs = &buf[hll::HLL_HDR_SIZE..];
            ctx.out.array_len(hll::HLL_REGISTERS);
            for i in 0..hll::HLL_REGISTERS {
                ctx.out.int(i64::from(hll::dense_get(regs, i)));
            }
            if converted {
                // The encoding changed: propagate so replicas convert too.
                srv.dirty += 1;
            }
        }
        b"decode" => {
            if hll::encoding(buf) != hll::HLL_SPARSE {
                return ctx.out.error("ERR HLL encoding is not sparse");
            }
            let text = hll::decode_sparse(buf);
            ctx.out.bulk(text.as_bytes());
        }
        b"encoding" => {
            let name = if hll::encoding(buf) == hll::HLL_DENSE {
                "dense"
            } else {
                "sparse"
            };
            ctx.out.status(name);
        }
        b"todense" => match hll::sparse_to_dense(buf) {
            Ok(converted) => {
                if converted {
                    srv.dirty += 1;
                }
                ctx.out.int(i64::from(converted));
            }
            Err(_) => ctx.out.error(INVALIDOBJ),
        },
        _ => {
            let name = String::from_utf8_lossy(ctx.arg(1)).into_owned();
            ctx.out
                .error(&format!("ERR Unknown PFDEBUG subcommand '{}'", name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> RObj {
        RObj::new(v, 0)
    }

    #[test]
    fn which_values_are_sketches() {
        let sketch = hll::new_sparse();
        assert!(hll_bytes(&obj(Value::Str(RStr::Emb(sketch.as_slice().into())))).is_ok());
        assert!(hll_bytes(&obj(Value::Str(RStr::raw(sketch)))).is_ok());
        // An integer never is one, even where its digits could be.
        assert_eq!(
            hll_bytes(&obj(Value::Str(RStr::Int(7)))).err(),
            Some(HLL_WRONGTYPE)
        );
        assert_eq!(
            hll_bytes(&obj(Value::Str(RStr::Emb(b"HYLL"[..].into())))).err(),
            Some(HLL_WRONGTYPE)
        );
        // Other types get the generic WRONGTYPE.
        assert_eq!(
            hll_bytes(&obj(Value::List(Box::new(crate::db::Quicklist::new())))).err(),
            Some(WRONGTYPE)
        );
    }
}
