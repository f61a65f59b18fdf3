//! Fuzz target: the RDB file loader (`load_from_bytes` in
//! `src/rdb/file.rs`, ~ Redis's `rdbLoadRio`).
//!
//! # Input layout
//! `flags, image`. Flags bits 0-1 pick the checksum: 0 or 3 append the
//! correct CRC-64 of the image (so a body that ends in the EOF opcode
//! passes the check and every input is parsed as far as it goes); 1 loads
//! the image as is with `rdbchecksum no`; 2 as is with the check on. Bits
//! 2-3 pick the encoding limits (see `common::limits`); bit 4 compresses
//! when saving again; bit 5 loads with an LFU policy (FREQ opcodes apply).
//!
//! # What is checked
//! - Loading never panics (or trips the sanitizer), whatever the bytes.
//! - A loaded dataset is consistent: as many keys as the loader counted,
//!   and SAVE of it loads back to the same keys, values, encodings and
//!   TTLs, with the same function libraries.
//! - The AOF rewrite of the dataset is a clean sequence of commands.

#![no_main]

mod common;

use ferrodis::rdb::file::load_from_bytes;
use ferrodis::util::crc64::crc64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let limits = common::limits(flags >> 2);
    let compress = flags & 0x10 != 0;
    let clock = common::clock(flags & 0x20 != 0);
    let (image, check_crc) = match flags & 3 {
        1 => (bytes.to_vec(), false),
        2 => (bytes.to_vec(), true),
        _ => {
            let mut p = bytes.to_vec();
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            (p, true)
        }
    };
    let mut dbs = common::new_dbs();
    let Ok(stats) = load_from_bytes(&image, &mut dbs, &limits, &clock, false, check_crc) else {
        return;
    };
    let keys: usize = dbs.iter().map(|d| d.len()).sum();
    assert_eq!(keys as u64, stats.keys_loaded);

    common::assert_save_reload(&dbs, &stats.functions, &limits, &clock, compress);

    let libs: Vec<&[u8]> = stats.functions.iter().map(|c| &c[..]).collect();
    let rewrite = ferrodis::aof::rewrite_as_commands(&dbs, &libs, Some(common::NOW_MS / 1000));
    // Skip the `#TS:` annotation line the rewrite starts with.
    let body = match rewrite.iter().position(|&b| b == b'\n') {
        Some(i) if rewrite.starts_with(b"#") => &rewrite[i + 1..],
        _ => &rewrite[..],
    };
    common::parse_commands(body);
});
