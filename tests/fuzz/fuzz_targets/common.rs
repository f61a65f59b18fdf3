//! Helpers shared by the fuzz targets: encoding limits chosen by the input,
//! a fixed load clock, and the save-and-reload check of a whole dataset.

#![allow(dead_code)]

use ferrodis::db::hash::HashLimits;
use ferrodis::db::zset::ZSetLimits;
use ferrodis::db::Db;
use ferrodis::rdb::file::{load_from_bytes, save_to_bytes, LoadClock, LoadStats, SaveInfo};
use ferrodis::rdb::Limits;
use ferrodis::resp::parser::{ParseLimits, QueryBuf, RequestParser};

/// One of three `*-max-*` configurations, by `sel & 3`: Redis's defaults,
/// tiny limits (every compact encoding converts early), or huge ones
/// (nothing converts), so both sides of every conversion get exercised.
pub fn limits(sel: u8) -> Limits {
    match sel & 3 {
        1 => Limits {
            hash: HashLimits {
                max_entries: 2,
                max_value: 4,
            },
            zset: ZSetLimits {
                max_entries: 2,
                max_value: 4,
            },
            set_max_intset_entries: 2,
            list_fill: 2,
            list_compress_depth: 1,
        },
        2 => Limits {
            hash: HashLimits {
                max_entries: 1 << 20,
                max_value: 1 << 20,
            },
            zset: ZSetLimits {
                max_entries: 1 << 20,
                max_value: 1 << 20,
            },
            set_max_intset_entries: 1 << 20,
            list_fill: -5,
            list_compress_depth: 0,
        },
        _ => Limits::default(),
    }
}

/// A fixed clock (14 Nov 2023), so a run does not depend on the date.
pub const NOW_MS: i64 = 1_700_000_000_000;

pub fn clock(lfu: bool) -> LoadClock {
    LoadClock {
        now_ms: NOW_MS,
        lru_clock: ((NOW_MS / 1000) as u32) & ((1 << 24) - 1),
        now_min: (NOW_MS / 60_000) as u32,
        lfu,
        default_lru: 0,
    }
}

pub fn new_dbs() -> Vec<Db> {
    (0..16).map(Db::new).collect()
}

/// The RDB image of `dbs` and its function libraries, as SAVE writes it.
pub fn save(dbs: &[Db], functions: &[Vec<u8>], compress: bool) -> Vec<u8> {
    let info = SaveInfo {
        compress,
        checksum: true,
        now_s: NOW_MS / 1000,
        used_mem: 0,
        lru: false,
        lfu: false,
        lru_clock: 0,
        now_min: 0,
        lfu_decay_time: 1,
        aof_base: false,
        functions: functions.to_vec(),
        repl: None,
        key_save_delay: 0,
    };
    save_to_bytes(dbs, &info)
}

/// Assert that the two datasets hold the same keys with equal values, the
/// same encodings and the same expire times.
pub fn assert_same_dbs(a: &[Db], b: &[Db]) {
    assert_eq!(a.len(), b.len());
    for (da, db) in a.iter().zip(b) {
        assert_eq!(da.len(), db.len(), "db {} key count", da.id);
        for (key, obj) in da.dict.iter() {
            let other = db
                .peek(key)
                .unwrap_or_else(|| panic!("key {:?} lost in db {}", key, da.id));
            assert_eq!(obj.value, other.value, "key {:?}", key);
            assert_eq!(
                obj.value.encoding(),
                other.value.encoding(),
                "key {:?}",
                key
            );
            assert_eq!(da.get_expire(key), db.get_expire(key), "key {:?}", key);
        }
    }
}

/// Save `dbs`, load the image into fresh databases (no key may be
/// refused or dropped as expired: `clock_now_ms` is before every TTL the
/// caller kept), compare, and return the image.
pub fn assert_save_reload(
    dbs: &[Db],
    functions: &[Vec<u8>],
    limits: &Limits,
    clock: &LoadClock,
    compress: bool,
) -> Vec<u8> {
    let image = save(dbs, functions, compress);
    let mut again = new_dbs();
    let stats: LoadStats = load_from_bytes(&image, &mut again, limits, clock, false, true)
        .unwrap_or_else(|e| panic!("a saved image does not load: {}", e));
    assert_eq!(stats.functions, functions);
    assert_eq!(stats.keys_expired, 0);
    assert_eq!(stats.empty_keys_skipped, 0);
    assert_same_dbs(dbs, &again);
    image
}

/// Parse `buf` (commands in RESP, as an AOF rewrite writes them) and
/// assert it is a clean sequence of complete requests; returns them.
pub fn parse_commands(buf: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut qb = QueryBuf::new();
    let mut p = RequestParser::new();
    qb.extend(buf);
    let mut out = Vec::new();
    loop {
        match p.parse(&mut qb, &ParseLimits::default()) {
            Ok(Some(argv)) => out.push(argv),
            Ok(None) => break,
            Err(e) => panic!("generated commands do not parse: {}", e.reply),
        }
    }
    assert!(
        qb.is_empty() && !p.in_progress(),
        "generated commands end mid-request"
    );
    out
}
