//! Fuzz target: RESTORE's payload decoder (`verify_dump_payload` and
//! `load_dump_body` in `src/rdb/decode.rs`, ~ Redis's `verifyDumpPayload`
//! and `rdbLoadObject`).
//!
//! # Input layout
//! `flags, bytes`. Flags bits 0-1 pick the footer: 0 or 3 append a valid
//! one (RDB version 10 and the CRC-64 of the bytes), so every input reaches
//! the value decoder; 1 takes the bytes as a whole payload with the CRC
//! check off (`skip_checksum_validation`); 2 takes them as a whole payload
//! with the check on. Bits 2-3 pick the encoding limits (see
//! `common::limits`); bit 4 compresses when re-encoding.
//!
//! # What is checked
//! - Decoding never panics (or trips the sanitizer), whatever the bytes.
//! - A value that decodes is usable: DUMP of it verifies and decodes back
//!   to an equal value in the same encoding, and the AOF rewrite of a key
//!   holding it produces well-formed commands.

#![no_main]

mod common;

use ferrodis::db::{Db, Key, RObj};
use ferrodis::rdb::decode::{load_dump_body, verify_dump_payload};
use ferrodis::rdb::encode::dump_payload;
use ferrodis::util::crc64::crc64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let limits = common::limits(flags >> 2);
    let compress = flags & 0x10 != 0;
    let (payload, skip_crc) = match flags & 3 {
        1 => (bytes.to_vec(), true),
        2 => (bytes.to_vec(), false),
        _ => {
            let mut p = bytes.to_vec();
            p.extend_from_slice(&ferrodis::rdb::RDB_VERSION.to_le_bytes());
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            (p, false)
        }
    };
    let Some(body) = verify_dump_payload(&payload, skip_crc) else {
        return;
    };
    let Ok(value) = load_dump_body(body, &limits) else {
        return;
    };

    let again = dump_payload(&value, compress);
    let body2 = verify_dump_payload(&again, false).expect("DUMP output fails its own footer check");
    let value2 = load_dump_body(body2, &limits)
        .unwrap_or_else(|e| panic!("DUMP output does not decode: {}", e));
    assert_eq!(value, value2);
    assert_eq!(value.encoding(), value2.encoding());

    let mut db = Db::new(0);
    db.add(Key::from(&b"k"[..]), RObj::new(value, 0));
    let rewrite = ferrodis::aof::rewrite_as_commands(std::slice::from_ref(&db), &[], None);
    let cmds = common::parse_commands(&rewrite);
    assert!(!cmds.is_empty());
});
