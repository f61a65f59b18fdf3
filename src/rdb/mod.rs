//! The RDB format: snapshots of the whole keyspace on disk and single
//! values in DUMP payloads (~ Redis's `rdb.c`, `rdb.h`).
//!
//! # Why byte-compatible
//! An RDB file written by redis-server 7.0 must load here and ours must load
//! there; a DUMP payload taken from one must RESTORE into the other. We write
//! RDB version 10, the version Redis 7.0 writes, and make the bytes the same
//! wherever Redis's output is deterministic: listpacks and intsets are
//! already byte-exact in memory, strings pick the same integer / LZF
//! encodings (our LZF compressor makes liblzf's choices), and sorted sets in
//! the skiplist encoding are written tail to head like Redis does. Only
//! hashtable-encoded hashes and sets come out in a different order: their
//! order is the dict's bucket order, which differs between any two Redis
//! processes too.
//!
//! # The format in one page
//! A *length* is 1, 2, 5 or 9 bytes: the top two bits of the first byte say
//! 6-bit, 14-bit (big endian), or a marker byte (0x80 / 0x81) followed by a
//! 32- or 64-bit big-endian number. The top bits `11` mark a *special
//! string encoding* instead: an 8/16/32-bit little-endian integer, or an LZF
//! blob (compressed length, original length, data).
//! A *string* is a length and the bytes, or one of those special encodings.
//! A *value* is a type byte and its body: a string; a list as its quicklist
//! nodes (each a container kind and the node bytes as a string); a set,
//! hash or sorted set either as one blob string holding the in-memory
//! compact encoding (intset, listpack) or as a count followed by its
//! elements (scores as 8 raw little-endian bytes).
//! A *file* is `REDIS0010`, AUX fields (name/value strings), and per
//! database a SELECTDB and RESIZEDB opcode followed by its keys, each
//! optionally preceded by an expire time, an LRU idle time or an LFU
//! counter; then EOF and an 8-byte little-endian CRC-64 of everything
//! before it (0 when `rdbchecksum no`).
//! A *DUMP payload* is a value (type byte + body), the 2-byte RDB version
//! and the CRC-64 of both.
//!
//! # Loading never trusts the input
//! A payload comes from a client (RESTORE) or a file that may be damaged.
//! The decoder checks every length against the bytes that remain, validates
//! every embedded listpack, intset, ziplist and zipmap entry by entry, and
//! rejects duplicates, NaN scores and unsorted sorted sets, so a corrupt
//! payload is an error, never a panic or a value that breaks an invariant
//! later. We always validate deeply, whatever `sanitize-dump-payload` says:
//! our data structure code is entitled to assume well-formed encodings.
//!
//! # Files
//! - [`encode`]: the writer (values, DUMP payloads).
//! - [`decode`]: the reader (values, DUMP payloads) and the conversions of
//!   older encodings (ziplists, zipmaps, linked lists) to ours.
//! - [`ziplist`]: parsers for the pre-7.0 ziplist and zipmap blobs.
//! - [`file`]: whole files: SAVE, loading at start-up, DEBUG RELOAD.

pub mod decode;
pub mod encode;
pub mod file;
pub mod ziplist;

use std::fmt;

/// The RDB version we write and the newest we read.
pub const RDB_VERSION: u16 = 10;

// Value types (`RDB_TYPE_*`).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Redis 7.2's stream type (consumers also carry an active time); loaded,
/// never written.
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

// File opcodes (`RDB_OPCODE_*`).
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

// Length encodings (`RDB_6BITLEN` ...) and special string encodings.
pub const LEN_6BIT: u8 = 0;
pub const LEN_14BIT: u8 = 1;
pub const LEN_32BIT: u8 = 0x80;
pub const LEN_64BIT: u8 = 0x81;
pub const LEN_ENCVAL: u8 = 3;
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

// Quicklist node containers in RDB_TYPE_LIST_QUICKLIST_2.
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

/// Why a value or file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbError {
    /// The value is a well-formed but empty collection: Redis skips such
    /// keys when loading a file and refuses them in RESTORE.
    EmptyKey,
    /// The bytes end before the structure they announce.
    ShortRead,
    /// Anything else; the text says what (for the log).
    Corrupt(String),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::EmptyKey => write!(f, "Empty keys are not allowed"),
            RdbError::ShortRead => write!(f, "Unexpected EOF reading RDB file"),
            RdbError::Corrupt(s) => f.write_str(s),
        }
    }
}

pub type Result<T> = std::result::Result<T, RdbError>;

pub(crate) fn corrupt<T>(msg: impl Into<String>) -> Result<T> {
    Err(RdbError::Corrupt(msg.into()))
}

/// The encoding limits a loaded value is converted to (the `*-max-*`
/// configuration at load time, like Redis's `rdbLoadObject`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub hash: crate::db::hash::HashLimits,
    pub zset: crate::db::zset::ZSetLimits,
    pub set_max_intset_entries: usize,
    pub list_fill: i32,
    pub list_compress_depth: u32,
}

impl Limits {
    pub fn from_config(c: &crate::config::Config) -> Limits {
        Limits {
            hash: crate::db::hash::HashLimits {
                max_entries: c.hash_max_listpack_entries,
                max_value: c.hash_max_listpack_value,
            },
            zset: crate::db::zset::ZSetLimits {
                max_entries: c.zset_max_listpack_entries,
                max_value: c.zset_max_listpack_value,
            },
            set_max_intset_entries: c.set_max_intset_entries,
            list_fill: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
        }
    }
}

impl Default for Limits {
    /// Redis's default configuration.
    fn default() -> Limits {
        Limits {
            hash: crate::db::hash::HashLimits {
                max_entries: 512,
                max_value: 64,
            },
            zset: crate::db::zset::ZSetLimits {
                max_entries: 128,
                max_value: 64,
            },
            set_max_intset_entries: 512,
            list_fill: -2,
            list_compress_depth: 0,
        }
    }
}
