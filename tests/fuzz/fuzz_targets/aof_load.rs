//! Fuzz target: the AOF loader (`load_from_bytes` in `src/aof.rs`, ~
//! Redis's `loadSingleAppendOnlyFile`): an optional RDB preamble, then
//! commands read from the bytes and run through `call()` for the loader's
//! connection-less client.
//!
//! # Input layout
//! `flags, file bytes`. Flag bit 0 turns `rdbchecksum` on (off by default,
//! so a fuzzed preamble is parsed whatever its CRC); bit 1 turns
//! `aof-load-truncated` off; bit 2 names the file like an old-style single
//! AOF (`appendonly.aof`) rather than an INCR file; bit 3 compresses
//! strings when the dataset is saved for the reload check.
//!
//! # Commands left out
//! An AOF can hold any command, and some do by design what a fuzzer reports
//! as a failure, or reach outside the process: SHUTDOWN and DEBUG (exit,
//! crash, sleep on request), REPLICAOF, MIGRATE, SYNC and FAILOVER (network),
//! CONFIG, SAVE, BGSAVE, BGREWRITEAOF and ACL (files), scripts (a Lua loop
//! runs as long as it likes), SETRANGE, SETBIT and BITFIELD (one command
//! allocates up to 512 MB) and the RANDMEMBER family (a negative count
//! replies that many elements). An input naming one of them anywhere is
//! skipped; a command name is contiguous bytes, so none slips through.
//! Everything else, MULTI/EXEC, blocking commands, SUBSCRIBE, MONITOR,
//! CLIENT, WATCH, RESTORE, runs.
//!
//! # What is checked
//! - Loading never panics, whatever the bytes.
//! - Afterwards the loader's client is gone and nothing still refers to it
//!   (monitors, subscriptions, blocked-client and tracking tables).
//! - The dataset the commands built is valid: SAVE of it loads back (the
//!   loader's deep validation accepts every value) to the same keys,
//!   values, encodings and TTLs, and its AOF rewrite is clean RESP.

#![no_main]

mod common;

use ferrodis::aof::{load_from_bytes, LoadStatus};
use ferrodis::config::Config;
use ferrodis::rdb::file::LoadClock;
use ferrodis::rdb::Limits;
use ferrodis::server::Server;
use libfuzzer_sys::fuzz_target;

const DENIED: &[&[u8]] = &[
    b"shutdown",
    b"debug",
    b"replicaof",
    b"slaveof",
    b"migrate",
    b"sync",
    b"failover",
    b"config",
    b"save",
    b"bgrewriteaof",
    b"acl",
    b"eval",
    b"fcall",
    b"function",
    b"script",
    b"setrange",
    b"setbit",
    b"bitfield",
    b"randmember",
    b"hrandfield",
    b"pfselftest",
];

/// Whether `bytes` name a denied command anywhere (ASCII case-insensitive).
/// A plain byte loop with a first-letter filter: comparing slices would go
/// through the sanitizer's memcmp hook, which is slow and, worse, steers the
/// fuzzer towards the very names that get an input skipped.
fn denied(bytes: &[u8]) -> bool {
    let mut first = [false; 256];
    for d in DENIED {
        first[usize::from(d[0])] = true;
    }
    for i in 0..bytes.len() {
        if !first[usize::from(bytes[i].to_ascii_lowercase())] {
            continue;
        }
        for d in DENIED {
            if bytes.len() - i >= d.len()
                && d.iter()
                    .zip(&bytes[i..])
                    .all(|(&a, &b)| a == b.to_ascii_lowercase())
            {
                return true;
            }
        }
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    if denied(file) {
        return;
    }
    let mut cfg = Config::default();
    cfg.save = Vec::new();
    cfg.rdbchecksum = flags & 1 != 0;
    cfg.aof_load_truncated = flags & 2 == 0;
    // A truncation attempt must not touch a real file.
    cfg.appenddirname = "/nonexistent/ferrodis-fuzz".to_string();
    let name = if flags & 4 != 0 {
        cfg.appendfilename.clone()
    } else {
        "appendonly.aof.1.incr.aof".to_string()
    };
    let mut srv = Server::new(cfg);
    let status = load_from_bytes(&mut srv, &name, file);
    assert!(status != LoadStatus::Empty || file.is_empty());

    // The loader's client is freed and forgotten.
    assert!(!srv.loading);
    assert_eq!(srv.clients.len(), 0, "loader client left behind");
    assert!(srv.client_by_id.is_empty());
    assert!(srv.monitors.is_empty(), "MONITOR kept a freed client");
    assert!(
        srv.pubsub_channels.is_empty(),
        "subscription of a freed client"
    );
    assert!(
        srv.pubsubshard_channels.is_empty(),
        "subscription of a freed client"
    );
    assert!(
        srv.pubsub_patterns.is_empty(),
        "subscription of a freed client"
    );
    assert!(
        srv.blocking.clients.is_empty(),
        "freed client still blocked"
    );
    assert!(srv.blocking.keys.is_empty(), "freed client still blocked");
    assert_eq!(srv.tracking.clients, 0, "freed client still tracking");
    assert!(srv.clients_pending_write.is_empty());
    assert!(srv.clients_to_close.is_empty());

    // Whatever the commands built is a dataset SAVE can write and the
    // loader accepts back. No key expires on reload: the clock is before
    // every TTL.
    let limits = Limits::from_config(&srv.config);
    let clock = LoadClock {
        now_ms: i64::MIN,
        lru_clock: 0,
        now_min: 0,
        lfu: false,
        default_lru: 0,
    };
    let functions: Vec<Vec<u8>> = srv
        .scripting
        .functions
        .libraries
        .values()
        .map(|l| l.code.clone())
        .collect();
    common::assert_save_reload(&srv.dbs, &functions, &limits, &clock, flags & 8 != 0);
    let libs: Vec<&[u8]> = functions.iter().map(|c| &c[..]).collect();
    let rewrite = ferrodis::aof::rewrite_as_commands(&srv.dbs, &libs, None);
    common::parse_commands(&rewrite);
});
