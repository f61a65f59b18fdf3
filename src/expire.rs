//! Active expiry (~ `activeExpireCycle` in Redis's `expire.c`).
//!
//! # The problem
//! Lazy expiry (db/keyspace.rs) deletes a key when it is touched, but keys
//! that are never touched again would stay in memory forever. Scanning all
//! volatile keys every tick would stall the single thread on big datasets.
//!
//! # The idea
//! Sample. Each database's expires dict is walked with a persistent SCAN
//! cursor, a few buckets at a time; expired keys among the sampled ones are
//! deleted. If more than an acceptable fraction of the sample was stale
//! (10% at default effort), the same database is sampled again right away,
//! because it probably holds many more expired keys. Statistically this
//! keeps the share of logically-expired-but-present keys near that fraction.
//!
//! # The budget
//! - The *slow* cycle runs from the cron at `hz` and may use
//!   `25% + 2%·effort` of the CPU time between two cron ticks.
//! - The *fast* cycle runs from `before_sleep` for at most 1 ms (+25% per
//!   effort step), no more often than every 2 ms, and only when the previous
//!   cycle ran out of time or the stale estimate is above the acceptable
//!   level.
//! - The time limit is checked every 16 sampling rounds.
//!
//! `active-expire-effort` (1..10) scales keys per round, durations and the
//! acceptable stale percentage, as in Redis.
//!
//! # Stop conditions
//! A database is left when it has no volatile keys, when its expires table
//! is so sparse (<1% full) that sampling would mostly hit empty buckets
//! (the cron's resize will shrink it), when a round finds few stale keys, or
//! when the time budget is spent (`expired_time_cap_reached_count`).
//!
//! Rejected alternative: a sorted index by deadline (exact, but costs a
//! second ordered structure per key and O(log n) per TTL write; Redis's
//! sampling keeps writes O(1)).

use std::time::Instant;

use crate::server::{now_ms, Server};

const KEYS_PER_LOOP: u64 = 20;
const FAST_DURATION_US: u64 = 1000;
const SLOW_TIME_PERC: u64 = 25;
const ACCEPTABLE_STALE: u64 = 10;
const DBS_PER_CALL: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleType {
    Fast,
    Slow,
}

/// State kept between cycles (static variables in Redis's implementation).
#[derive(Debug, Default)]
pub struct ExpireState {
    current_db: usize,
    timelimit_exit: bool,
    last_fast_cycle_us: u64,
    epoch: Option<Instant>,
}

/// Run one active expire cycle.
pub fn active_expire_cycle(srv: &mut Server, kind: CycleType) {
    let effort = srv.config.active_expire_effort.clamp(1, 10) as u64 - 1;
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
    let slow_time_perc = SLOW_TIME_PERC + 2 * effort;
    let acceptable_stale = ACCEPTABLE_STALE - effort;

    // Paused clients: the dataset must not change under them.
    if srv.pause.is_some() {
        return;
    }
    // Cheap exit first: the fast cycle runs before every sleep.
    if kind == CycleType::Fast
        && !srv.expire_state.timelimit_exit
        && srv.stats.expired_stale_perc < acceptable_stale as f64
    {
        return;
    }
    let epoch = *srv.expire_state.epoch.get_or_insert_with(Instant::now);
    let start = Instant::now();
    let start_us = start.duration_since(epoch).as_micros() as u64;

    if kind == CycleType::Fast {
        if start_us < srv.expire_state.last_fast_cycle_us + fast_duration * 2
            && srv.expire_state.last_fast_cycle_us != 0
        {
            return;
        }
        srv.expire_state.last_fast_cycle_us = start_us.max(1);
    }

    let dbnum = srv.dbs.len();
    if dbnum == 0 {
        return;
    }
    let mut dbs_per_call = DBS_PER_CALL;
    if dbs_per_call > dbnum || srv.expire_state.timelimit_exit {
        dbs_per_call = dbnum;
    }
    let timelimit_us = match kind {
        CycleType::Fast => fast_duration,
        CycleType::Slow => (slow_time_perc * 1_000_000 / srv.hz.max(1) as u64 / 100).max(1),
    };
    srv.expire_state.timelimit_exit = false;

    let mut total_sampled = 0u64;
    let mut total_expired = 0u64;
    let mut iteration = 0u64;
    let mut expired_keys = Vec::new();
    let mut expire_del_ms = 0u64;

    for _ in 0..dbs_per_call {
        if srv.expire_state.timelimit_exit {
            break;
        }
        let dbi = srv.expire_state.current_db % dbnum;
        srv.expire_state.current_db = srv.expire_state.current_db.wrapping_add(1);
        loop {
            let db = &mut srv.dbs[dbi];
            let num = db.expires.len() as u64;
            if num == 0 {
                db.avg_ttl = 0;
                break;
            }
            let slots = db.expires.buckets() as u64;
            if slots > 4 && num * 100 / slots < 1 {
                break;
            }
            let now = now_ms();
            let target = num.min(keys_per_loop);
            let max_buckets = target * 20;
            let mut sampled = 0u64;
            let mut checked = 0u64;
            let mut ttl_sum = 0i64;
            let mut ttl_samples = 0i64;
            let mut stale: Vec<crate::db::Key> = Vec::new();
            while sampled < target && checked < max_buckets {
                let cursor = db.expires_cursor;
                db.expires_cursor = db.expires.scan(cursor, |k, when| {
                    sampled += 1;
                    let ttl = *when - now;
                    if ttl <= 0 {
                        stale.push(k.clone());
                    } else {
                        ttl_sum += ttl;
                        ttl_samples += 1;
                    }
                });
                checked += 1;
                if db.expires_cursor == 0 {
                    // Completed a full pass; the next cycle starts over.
                    break;
                }
            }
            let expired = stale.len() as u64;
            for k in stale {
                // Freeing a big value is the costly part (`expire-del`).
                let del_start = Instant::now();
                db.delete(&k);
                expire_del_ms = expire_del_ms.max(del_start.elapsed().as_millis() as u64);
                expired_keys.push((dbi, k));
            }
            total_sampled += sampled;
            total_expired += expired;
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                db.avg_ttl = if db.avg_ttl == 0 {
                    avg
                } else {
                    (db.avg_ttl / 50) * 49 + avg / 50
                };
            }
            iteration += 1;
            if iteration & 0xf == 0 && start.elapsed().as_micros() as u64 > timelimit_us {
                srv.expire_state.timelimit_exit = true;
                srv.stats.expired_time_cap_reached_count += 1;
                break;
            }
            if sampled != 0 && expired * 100 / sampled <= acceptable_stale {
                break;
            }
            if sampled == 0 && db.expires_cursor == 0 {
                break;
            }
        }
    }
    for (dbi, k) in expired_keys {
        srv.key_expired(dbi, k);
    }
    let elapsed_us = start.elapsed().as_micros() as u64;
    srv.stats.expire_cycle_time_used_us += elapsed_us;
    // The latency monitor: the slowest single deletion (several in one
    // second would keep the max anyway), then the whole cycle.
    crate::latency::add_sample_if_needed(srv, "expire-del", expire_del_ms);
    crate::latency::add_sample_if_needed(srv, "expire-cycle", elapsed_us / 1000);
    let current_perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    srv.stats.expired_stale_perc = current_perc * 0.05 + srv.stats.expired_stale_perc * 0.95;
}
