//! Key eviction under `maxmemory` (~ Redis's `evict.c`).
//!
//! # The problem
//! With `maxmemory` set, a write that would push memory over the limit must
//! first make room by deleting keys chosen by `maxmemory-policy`, cheaply,
//! without keeping a global LRU list (a per-key linked list would cost two
//! pointers per key and a relink on every read).
//!
//! # The idea: sampling plus a pool
//! Every value carries a 24-bit access clock (LRU) or a logarithmic access
//! counter with a decay stamp (LFU), see `db/value.rs`. To choose a victim
//! we sample `maxmemory-samples` random keys from every database (the whole
//! keyspace, or only keys with a TTL for `volatile-*` policies) and merge
//! them into a small pool of the 16 best candidates seen so far, ordered by
//! "idle score": idle time for LRU, 255 - frequency for LFU, and an inverted
//! deadline for `volatile-ttl`. The best candidate that still exists is
//! evicted. Because the pool survives between evictions, good candidates
//! found earlier are remembered, which makes the approximation close to a
//! true LRU with only a handful of samples. `*-random` policies just delete
//! random keys, visiting databases round-robin.
//!
//! # Budget and stop conditions
//! Evicting stops as soon as memory is back under the limit, when no
//! candidate can be found (e.g. `volatile-*` with no volatile keys: the
//! command then fails with OOM), or after a time budget derived from
//! `maxmemory-eviction-tenacity` (50 µs per tenacity step up to 10), after
//! which the command is allowed and the next one continues the work.
//!
//! Every eviction deletes the key, propagates a DEL (UNLINK with
//! `lazyfree-lazy-eviction`), fires the `evicted` keyspace event and counts
//! `evicted_keys`.

use std::time::Instant;

use crate::config::{MaxmemoryPolicy, NOTIFY_EVICTED};
use crate::db::value::{lfu_decr_and_return, lru_idle_seconds};
use crate::server::Server;

/// Candidates kept between evictions (EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

#[derive(Debug, Clone)]
struct Candidate {
    idle: u64,
    db: usize,
    key: crate::db::Key,
}

/// The eviction pool and the round-robin cursor of the random policies.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// Sorted by ascending idle score: the best victim is last.
    pool: Vec<Candidate>,
    next_db: usize,
}

/// Outcome of [`perform_evictions`].
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum EvictResult {
    /// Under the limit (or no limit).
    Ok,
    /// Still over the limit but work is progressing; allow the command.
    Running,
    /// Over the limit and nothing can be evicted.
    Fail,
}

/// Bytes over `maxmemory`, or 0.
fn bytes_to_free(srv: &Server) -> u64 {
    let used = crate::alloc::used_memory() as u64;
    let max = srv.config.maxmemory;
    if max == 0 || used <= max {
        0
    } else {
        used - max
    }
}

/// Sample keys of one database into the pool (Redis's `evictionPoolPopulate`).
fn populate_pool(srv: &mut Server, dbi: usize) {
    let policy = srv.config.maxmemory_policy;
    let samples = srv.config.maxmemory_samples.max(1) as usize;
    let clock = srv.lru_clock();
    let now_min = (srv.cmd_time_ms / 60000) as u32;
    let decay = u64::from(srv.config.lfu_decay_time);
    let db = &mut srv.dbs[dbi];
    let keys: Vec<crate::db::Key> = if policy.is_volatile() {
        db.expires
            .some_entries(samples)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect()
    } else {
        db.dict
            .some_entries(samples)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect()
    };
    for key in keys {
        let idle = if policy == MaxmemoryPolicy::VolatileTtl {
            match db.expires.get(&key[..]) {
                Some(&when) => u64::MAX - when.max(0) as u64,
                None => continue,
            }
        } else {
            let o = match db.dict.get(&key[..]) {
                Some(o) => o,
                None => continue,
            };
            if policy.is_lfu() {
                255 - u64::from(lfu_decr_and_return(o.lru, now_min, decay))
            } else {
                lru_idle_seconds(o.lru, clock)
            }
        };
        let pool = &mut srv.eviction.pool;
        if pool.iter().any(|c| c.db == dbi && c.key == key) {
            continue;
        }
        // Insertion point keeping the pool sorted by idle ascending.
        let pos = pool.partition_point(|c| c.idle < idle);
        if pool.len() < POOL_SIZE {
            pool.insert(pos, Candidate { idle, db: dbi, key });
        } else if pos > 0 {
            // Full: drop the worst (first) candidate to make room.
            pool.remove(0);
            pool.insert(pos - 1, Candidate { idle, db: dbi, key });
        }
    }
}

/// Pick the next victim, or None when no key qualifies.
fn select_victim(srv: &mut Server) -> Option<(usize, crate::db::Key)> {
    let policy = srv.config.maxmemory_policy;
    let ndb = srv.dbs.len();
    if policy.is_lru() || policy.is_lfu() || policy == MaxmemoryPolicy::VolatileTtl {
        for _ in 0..10 {
            let any = srv.dbs.iter().any(|d| {
                if policy.is_volatile() {
                    !d.expires.is_empty()
                } else {
                    !d.is_empty()
                }
            });
            if !any {
                return None;
            }
            for i in 0..ndb {
                let has = if policy.is_volatile() {
                    !srv.dbs[i].expires.is_empty()
                } else {
                    !srv.dbs[i].is_empty()
                };
                if has {
                    populate_pool(srv, i);
                }
            }
            // Best candidates first; skip ghosts (keys deleted since).
            while let Some(c) = srv.eviction.pool.pop() {
                let exists = if policy.is_volatile() {
                    srv.dbs[c.db].expires.contains_key(&c.key[..])
                } else {
                    srv.dbs[c.db].dict.contains_key(&c.key[..])
                };
                if exists {
                    return Some((c.db, c.key));
                }
            }
        }
        None
    } else {
        for _ in 0..ndb {
            let i = srv.eviction.next_db % ndb;
            srv.eviction.next_db = srv.eviction.next_db.wrapping_add(1);
            let db = &mut srv.dbs[i];
            let key = if policy == MaxmemoryPolicy::VolatileRandom {
                db.expires.random_entry().map(|(k, _)| k.clone())
            } else {
                db.dict.random_entry().map(|(k, _)| k.clone())
            };
            if let Some(k) = key {
                return Some((i, k));
            }
        }
        None
    }
}

/// Time budget in µs for one call (Redis's `evictionTimeLimitUs`).
fn time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        50 * u64::from(tenacity)
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// Evict keys until memory is under `maxmemory` (Redis's
/// `performEvictions`).
pub fn perform_evictions(srv: &mut Server) -> EvictResult {
    // A replica leaves eviction to its master (replica-ignore-maxmemory).
    if srv.repl.is_replica() && srv.config.replica_ignore_maxmemory {
        return EvictResult::Ok;
    }
    if bytes_to_free(srv) == 0 {
        return EvictResult::Ok;
    }
    if srv.config.maxmemory_policy == MaxmemoryPolicy::NoEviction {
        return EvictResult::Fail;
    }
    let start = Instant::now();
    let result = evict_until_done(srv, start);
    // The latency monitor times the whole cycle (`eviction-cycle`).
    crate::latency::add_sample_if_needed(srv, "eviction-cycle", start.elapsed().as_millis() as u64);
    result
}

/// The eviction loop of `perform_evictions`, started at `start`.
fn evict_until_done(srv: &mut Server, start: Instant) -> EvictResult {
    let limit = time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let mut evicted = 0u64;
    while bytes_to_free(srv) > 0 {
        let (dbi, key) = match select_victim(srv) {
            Some(v) => v,
            None => {
                return if evicted > 0 {
                    EvictResult::Running
                } else {
                    EvictResult::Fail
                };
            }
        };
        let del_start = Instant::now();
        srv.dbs[dbi].delete(&key);
        crate::latency::add_sample_if_needed(
            srv,
            "eviction-del",
            del_start.elapsed().as_millis() as u64,
        );
        srv.stats.evictedkeys += 1;
        evicted += 1;
        let cmd: &[u8] = if srv.config.lazyfree_lazy_eviction {
            b"UNLINK"
        } else {
            b"DEL"
        };
        srv.propagate(dbi, &[cmd.to_vec(), key.to_vec()]);
        if srv.config.notify_keyspace_events & NOTIFY_EVICTED != 0 {
            crate::pubsub::notify_keyspace_event(srv, None, NOTIFY_EVICTED, "evicted", &key, dbi);
        }
        srv.signal_deleted_by_server(dbi, &key);
        if evicted.is_multiple_of(16) && start.elapsed().as_micros() as u64 > limit {
            return EvictResult::Running;
        }
    }
    EvictResult::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_budget() {
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(0), 0);
        assert!(time_limit_us(20) > 500);
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}
