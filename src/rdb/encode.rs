//! The RDB writer for values and DUMP payloads (~ the `rdbSave*` half of
//! Redis's `rdb.c` and `createDumpPayload` in `cluster.c`).
//!
//! Everything appends to one `Vec<u8>`: a DUMP payload is built in memory
//! anyway, and SAVE writes the finished buffer with one `write_all` (see
//! `file.rs` for why that is acceptable).
//!
//! String encoding choices follow `rdbSaveRawString` exactly, since they
//! decide the bytes: up to 11 bytes that are the canonical decimal form of
//! an integer fitting 32 bits are stored as that integer (1, 2 or 4 bytes);
//! with `rdbcompression yes`, strings over 20 bytes are stored LZF-compressed
//! when liblzf fits the result in 4 bytes less than the input; everything
//! else is a length and the bytes.

use super::*;
use crate::db::quicklist::{Node, Quicklist};
use crate::db::stream::Stream;
use crate::db::Enc;
use crate::db::{RStr, SetValue, Value};
use crate::util::{crc64, lzf, numbers};

/// An RDB byte stream under construction.
pub struct Writer {
    pub buf: Vec<u8>,
    /// `rdbcompression`: try LZF on strings over 20 bytes.
    pub compress: bool,
}

/// The integer encoding of `v` when it fits 32 bits (`rdbEncodeInteger`).
fn encode_integer(v: i64, out: &mut Vec<u8>) -> bool {
    let special = LEN_ENCVAL << 6;
    if let Ok(b) = i8::try_from(v) {
        out.push(special | ENC_INT8);
        out.push(b as u8);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(special | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(special | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `s` as an integer when it is exactly the canonical decimal form of one
/// (`string2ll` plus the `ll2string` round trip of `rdbTryIntegerEncoding`).
fn canonical_int(s: &[u8]) -> Option<i64> {
    let v = numbers::parse_i64(s)?;
    let mut back = Vec::with_capacity(20);
    numbers::fmt_i64(v, &mut back);
    (back == s).then_some(v)
}

impl Writer {
    pub fn new(compress: bool) -> Writer {
        Writer {
            buf: Vec::new(),
            compress,
        }
    }

    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// A length (`rdbSaveLen`).
    pub fn len(&mut self, len: u64) {
        if len < 1 << 6 {
            self.buf.push((LEN_6BIT << 6) | len as u8);
        } else if len < 1 << 14 {
            self.buf.push((LEN_14BIT << 6) | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else if len <= u64::from(u32::MAX) {
            self.buf.push(LEN_32BIT);
            self.buf.extend_from_slice(&(len as u32).to_be_bytes());
        } else {
            self.buf.push(LEN_64BIT);
            self.buf.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// An LZF blob: the special marker, the compressed and original
    /// lengths, the data (`rdbSaveLzfBlob`).
    pub fn lzf_blob(&mut self, data: &[u8], raw_len: usize) {
        self.buf.push((LEN_ENCVAL << 6) | ENC_LZF);
        self.len(data.len() as u64);
        self.len(raw_len as u64);
        self.buf.extend_from_slice(data);
    }

    /// A string with Redis's encoding choices (`rdbSaveRawString`).
    pub fn raw_string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(v) = canonical_int(s) {
                if encode_integer(v, &mut self.buf) {
                    return;
                }
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(c) = lzf::compress(s, s.len() - 4) {
                self.lzf_blob(&c, s.len());
                return;
            }
        }
        self.len(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    /// An integer as a string (`rdbSaveLongLongAsStringObject`): the
    /// integer encoding when it fits 32 bits, else its decimal text.
    pub fn int_string(&mut self, v: i64) {
        if !encode_integer(v, &mut self.buf) {
            let mut s = Vec::with_capacity(20);
            numbers::fmt_i64(v, &mut s);
            self.len(s.len() as u64);
            self.buf.extend_from_slice(&s);
        }
    }

    /// A string value (`rdbSaveStringObject`).
    pub fn string_obj(&mut self, s: &RStr) {
        match s {
            RStr::Int(v) => self.int_string(*v),
            RStr::Emb(b) => self.raw_string(b),
            RStr::Raw(b) => self.raw_string(b),
        }
    }

    /// A double as its 8 little-endian IEEE bytes (`rdbSaveBinaryDoubleValue`).
    pub fn binary_double(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A millisecond timestamp, 8 bytes little endian.
    pub fn millis(&mut self, ms: i64) {
        self.buf.extend_from_slice(&ms.to_le_bytes());
    }

    /// An AUX field with a string value (`rdbSaveAuxFieldStrStr`).
    pub fn aux(&mut self, key: &str, val: &[u8]) {
        self.byte(OPCODE_AUX);
        self.raw_string(key.as_bytes());
        self.raw_string(val);
    }

    /// An AUX field with an integer value, written as its decimal text
    /// (`rdbSaveAuxFieldStrInt`).
    pub fn aux_int(&mut self, key: &str, val: i64) {
        let mut s = Vec::with_capacity(20);
        numbers::fmt_i64(val, &mut s);
        self.aux(key, &s);
    }

    /// A value's body (`rdbSaveObject`); its type byte comes from
    /// [`object_type`].
    pub fn object(&mut self, v: &Value) {
        match v {
            Value::Str(s) => self.string_obj(s),
            Value::List(ql) => self.quicklist(ql),
            Value::Set(s) => match &**s {
                SetValue::Intset(is) => self.raw_string(is.as_bytes()),
                SetValue::Hashtable(d) => {
                    self.len(d.len() as u64);
                    for (m, _) in d.iter() {
                        self.raw_string(m);
                    }
                }
            },
            Value::ZSet(z) => match z.enc() {
                Enc::Listpack(lp) => self.raw_string(lp.bytes()),
                Enc::Big(z) => {
                    self.len(z.zsl.len() as u64);
                    // Tail to head, as Redis does, so that loading (which
                    // inserts each element) finds the insertion point at
                    // the head of the skiplist in O(1).
                    for (m, score) in z.zsl.iter().rev() {
                        self.raw_string(m);
                        self.binary_double(score);
                    }
                }
            },
            Value::Hash(h) => match h.enc() {
                Enc::Listpack(lp) => self.raw_string(lp.bytes()),
                Enc::Big(d) => {
                    self.len(d.len() as u64);
                    for (f, val) in d.iter() {
                        self.raw_string(f);
                        self.raw_string(val);
                    }
                }
            },
            Value::Stream(s) => self.stream(s),
        }
    }

    /// A stream (RDB_TYPE_STREAM_LISTPACKS_2): the nodes as (16-byte
    /// big-endian master ID, listpack) pairs, the counters, then every
    /// consumer group with its PEL (raw 16-byte IDs, delivery time and
    /// count) and its consumers (name, seen time, PEL IDs only: the NACKs
    /// are shared with the group PEL).
    fn stream(&mut self, s: &Stream) {
        self.len(s.nodes.len() as u64);
        for (k, lp) in &s.nodes {
            self.raw_string(&k.to_key());
            self.raw_string(lp.bytes());
        }
        self.len(s.length);
        self.len(s.last_id.ms);
        self.len(s.last_id.seq);
        self.len(s.first_id.ms);
        self.len(s.first_id.seq);
        self.len(s.max_deleted_entry_id.ms);
        self.len(s.max_deleted_entry_id.seq);
        self.len(s.entries_added);
        self.len(s.cgroups.len() as u64);
        for (name, cg) in &s.cgroups {
            self.raw_string(name);
            self.len(cg.last_id.ms);
            self.len(cg.last_id.seq);
            // -1 ("unknown") is written as the 64-bit length 2^64-1.
            self.len(cg.entries_read as u64);
            self.len(cg.pel.len() as u64);
            for (id, nack) in &cg.pel {
                self.buf.extend_from_slice(&id.to_key());
                self.millis(nack.delivery_time);
                self.len(nack.delivery_count);
            }
            self.len(cg.consumers.len() as u64);
            for (cname, c) in &cg.consumers {
                self.raw_string(cname);
                self.millis(c.seen_time);
                self.len(c.pel.len() as u64);
                for id in &c.pel {
                    self.buf.extend_from_slice(&id.to_key());
                }
            }
        }
    }

    /// A list as its nodes (RDB_TYPE_LIST_QUICKLIST_2): node count, then per
    /// node its container kind and bytes. A node compressed in memory is
    /// written as the LZF blob it already is.
    fn quicklist(&mut self, ql: &Quicklist) {
        self.len(ql.node_count() as u64);
        for node in ql.nodes() {
            let container = if node.is_plain() {
                CONTAINER_PLAIN
            } else {
                CONTAINER_PACKED
            };
            self.len(container);
            match node {
                Node::Packed(lp) => self.raw_string(lp.bytes()),
                Node::Plain(b) => self.raw_string(b),
                Node::Compressed(c) => self.lzf_blob(c.data(), c.raw_len()),
            }
        }
    }
}

/// The type byte of a value in its current encoding (`rdbSaveObjectType`).
pub fn object_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            SetValue::Intset(_) => TYPE_SET_INTSET,
            SetValue::Hashtable(_) => TYPE_SET,
        },
        Value::ZSet(z) => match z.enc() {
            Enc::Listpack(_) => TYPE_ZSET_LISTPACK,
            Enc::Big(_) => TYPE_ZSET_2,
        },
        Value::Hash(h) => match h.enc() {
            Enc::Listpack(_) => TYPE_HASH_LISTPACK,
            Enc::Big(_) => TYPE_HASH,
        },
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// The DUMP payload of a value (`createDumpPayload`): type byte and body,
/// the RDB version as 2 little-endian bytes, and the CRC-64 of all that as 8
/// little-endian bytes.
pub fn dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let mut w = Writer::new(compress);
    w.byte(object_type(v));
    w.object(v);
    w.buf.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(0, &w.buf);
    w.buf.extend_from_slice(&crc.to_le_bytes());
    w.buf
}

/// The FUNCTION DUMP payload of some libraries (`functionDumpCommand`):
/// one FUNCTION2 record per library (the opcode and the library's code as
/// a string, exactly as `rdbSaveFunctions` writes them into an RDB file),
/// then the RDB version and the CRC-64 like a key's DUMP payload.
pub fn functions_dump_payload<'a>(
    codes: impl Iterator<Item = &'a [u8]>,
    compress: bool,
) -> Vec<u8> {
    let mut w = Writer::new(compress);
    for code in codes {
        w.byte(OPCODE_FUNCTION2);
        w.raw_string(code);
    }
    w.buf.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(0, &w.buf);
    w.buf.extend_from_slice(&crc.to_le_bytes());
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_len(n: u64) -> Vec<u8> {
        let mut w = Writer::new(false);
        w.len(n);
        w.buf
    }

    fn enc_str(s: &[u8], compress: bool) -> Vec<u8> {
        let mut w = Writer::new(compress);
        w.raw_string(s);
        w.buf
    }

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(enc_len(0), [0]);
        assert_eq!(enc_len(63), [63]);
        assert_eq!(enc_len(64), [0x40, 64]);
        assert_eq!(enc_len(16383), [0x7f, 0xff]);
        assert_eq!(enc_len(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc_len(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn strings_pick_redis_encodings() {
        assert_eq!(enc_str(b"12", false), [0xc0, 12]);
        assert_eq!(enc_str(b"-129", false), [0xc1, 0x7f, 0xff]);
        assert_eq!(enc_str(b"100000", false), [0xc2, 0xa0, 0x86, 1, 0]);
        // Not canonical, or too long for 32 bits: plain strings.
        assert_eq!(enc_str(b"012", false), [3, b'0', b'1', b'2']);
        assert_eq!(enc_str(b"4294967296", false)[0], 10);
        let long = vec![b'a'; 100];
        assert_eq!(enc_str(&long, false).len(), 102);
        let c = enc_str(&long, true);
        assert_eq!(c[0], 0xc3);
        assert!(c.len() < 20);
    }

    #[test]
    fn dump_payload_has_version_and_crc() {
        let p = dump_payload(&Value::Str(RStr::Emb(b"hello"[..].into())), true);
        // Type 0, "hello", version 10, crc.
        assert_eq!(&p[..7], b"\x00\x05hello");
        assert_eq!(&p[7..9], &[10, 0]);
        assert_eq!(p.len(), 17);
        let crc = crc64::crc64(0, &p[..9]);
        assert_eq!(&p[9..], &crc.to_le_bytes());
    }
}
