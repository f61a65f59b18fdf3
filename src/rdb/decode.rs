//! The RDB reader for values and DUMP payloads (~ the `rdbLoad*` half of
//! Redis's `rdb.c`, `verifyDumpPayload` in `cluster.c`).
//!
//! [`Reader`] walks a byte slice; every read checks what remains first and
//! fails with [`RdbError::ShortRead`]. [`Reader::object`] turns a value body
//! into a [`Value`] in the encoding Redis 7.0 would pick for it under the
//! given [`Limits`]: compact blobs are adopted after validation and
//! converted when they exceed the limits; element-by-element encodings are
//! built up and converted down when small (sorted sets); the encodings of
//! older versions (ziplists, zipmaps, linked lists) are converted to
//! listpacks and quicklists.

use std::collections::HashSet;
use std::rc::Rc;

use super::ziplist::{self, ZlEntry};
use super::*;
use crate::db::listpack::{Listpack, LpEntry};
use crate::db::quicklist::Quicklist;
use crate::db::set::MemberRef;
use crate::db::stream::{Consumer, ConsumerGroup, Nack, Stream, StreamId};
use crate::db::zset::ZSkipList;
use crate::db::Enc;
use crate::db::{HashValue, RStr, SetValue, Value, ZSetValue};
use crate::util::{crc64, lzf, numbers};

/// A cursor over RDB bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

/// A decoded length: a count, or the marker of a special string encoding.
enum Len {
    Plain(u64),
    Special(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(RdbError::ShortRead);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn len_or_special(&mut self) -> Result<Len> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.byte()?)),
            3 => Len::Special(b & 0x3f),
            _ => match b {
                LEN_32BIT => {
                    let v = self.take(4)?;
                    Len::Plain(u64::from(u32::from_be_bytes([v[0], v[1], v[2], v[3]])))
                }
                LEN_64BIT => {
                    let v = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(v);
                    Len::Plain(u64::from_be_bytes(a))
                }
                _ => return corrupt(format!("Unknown length encoding {} in rdbLoadLen()", b)),
            },
        })
    }

    /// A length (`rdbLoadLen`); a special encoding here is corrupt. (It
    /// reads from the stream, so it is not a container length.)
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_special()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => corrupt("Unexpected string encoding where a length was expected"),
        }
    }

    /// A count of things that each take at least one byte: larger than
    /// what remains means corrupt (and keeps us from pre-allocating
    /// absurd sizes).
    fn count(&mut self, min_bytes_each: usize) -> Result<usize> {
        let n = self.len()?;
        if n > (self.remaining() / min_bytes_each.max(1)) as u64 {
            return Err(RdbError::ShortRead);
        }
        Ok(n as usize)
    }

    /// A string in any encoding, as bytes (`rdbGenericLoadStringObject`).
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_special()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| RdbError::ShortRead)?;
                Ok(self.take(n)?.to_vec())
            }
            Len::Special(enc) => {
                let v = match enc {
                    ENC_INT8 => i64::from(self.byte()? as i8),
                    ENC_INT16 => {
                        let b = self.take(2)?;
                        i64::from(i16::from_le_bytes([b[0], b[1]]))
                    }
                    ENC_INT32 => {
                        let b = self.take(4)?;
                        i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    }
                    ENC_LZF => {
                        let clen = self.len()?;
                        let len = self.len()?;
                        let clen = usize::try_from(clen).map_err(|_| RdbError::ShortRead)?;
                        let data = self.take(clen)?;
                        // An LZF stream expands at most ~264/3 times:
                        // refuse announced sizes no stream this short
                        // could produce before allocating for them.
                        if len == 0 || len > (clen as u64 + 1) * 100 {
                            return corrupt("Invalid LZF compressed string");
                        }
                        return lzf::decompress(data, len as usize).ok_or_else(|| {
                            RdbError::Corrupt("Invalid LZF compressed string".into())
                        });
                    }
                    other => return corrupt(format!("Unknown RDB string encoding type {}", other)),
                };
                let mut out = Vec::with_capacity(20);
                numbers::fmt_i64(v, &mut out);
                Ok(out)
            }
        }
    }

    /// A string value with the encoding Redis's `tryObjectEncoding` picks.
    pub fn string_obj(&mut self) -> Result<RStr> {
        Ok(RStr::from_bytes(self.string()?))
    }

    /// An 8-byte little-endian double (`rdbLoadBinaryDoubleValue`).
    pub fn binary_double(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// A double as length-prefixed text (`rdbLoadDoubleValue`, RDB_TYPE_ZSET):
    /// 253 NaN, 254 +inf, 255 -inf.
    pub fn text_double(&mut self) -> Result<f64> {
        let n = self.byte()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let s = self.take(usize::from(n))?;
                numbers::parse_f64_strtod(s)
                    .ok_or_else(|| RdbError::Corrupt("Invalid double value".into()))
            }
        }
    }

    /// An 8-byte little-endian millisecond time.
    pub fn millis(&mut self) -> Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    /// A value body of type `rdbtype` (`rdbLoadObject`).
    pub fn object(&mut self, rdbtype: u8, limits: &Limits) -> Result<Value> {
        match rdbtype {
            TYPE_STRING => Ok(Value::Str(self.string_obj()?)),
            TYPE_LIST => self.linked_list(limits),
            TYPE_SET => self.set(limits),
            TYPE_ZSET | TYPE_ZSET_2 => self.zset(rdbtype == TYPE_ZSET_2, limits),
            TYPE_HASH => self.hash(limits),
            TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
                self.quicklist(rdbtype == TYPE_LIST_QUICKLIST_2, limits)
            }
            TYPE_HASH_ZIPMAP => {
                let blob = self.string()?;
                let pairs = ziplist::zipmap_pairs(&blob)
                    .ok_or_else(|| RdbError::Corrupt("Zipmap integrity check failed.".into()))?;
                let mut seen = HashSet::new();
                let mut lp = Listpack::new();
                let mut maxlen = 0;
                for (k, v) in pairs {
                    if !seen.insert(k) {
                        return corrupt("Hash zipmap with dup elements");
                    }
                    maxlen = maxlen.max(k.len()).max(v.len());
                    lp.append(k);
                    lp.append(v);
                }
                if lp.is_empty() {
                    return Err(RdbError::EmptyKey);
                }
                let mut h = HashValue::from_listpack(lp);
                if h.len() > limits.hash.max_entries || maxlen > limits.hash.max_value {
                    h.convert_to_table();
                }
                Ok(Value::Hash(h))
            }
            TYPE_LIST_ZIPLIST => {
                let blob = self.string()?;
                let lp = ziplist_to_listpack(&blob).ok_or_else(|| {
                    RdbError::Corrupt("List ziplist integrity check failed.".into())
                })?;
                if lp.is_empty() {
                    return Err(RdbError::EmptyKey);
                }
                let mut ql = Quicklist::with_options(limits.list_fill, limits.list_compress_depth);
                for e in lp.iter() {
                    ql.push(&e.to_vec(), false);
                }
                Ok(Value::List(Box::new(ql)))
            }
            TYPE_SET_INTSET => {
                let blob = self.string()?;
                let is = crate::db::intset::IntSet::from_bytes(&blob)
                    .ok_or_else(|| RdbError::Corrupt("Intset integrity check failed.".into()))?;
                if is.is_empty() {
                    return Err(RdbError::EmptyKey);
                }
                let mut s = SetValue::Intset(is);
                if s.len()
                    > limits
                        .set_max_intset_entries
                        .min(crate::db::set::MAX_INTSET_ENTRIES_CAP)
                {
                    s.convert_to_hashtable();
                }
                Ok(Value::Set(Box::new(s)))
            }
            TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
                let blob = self.string()?;
                let lp = if rdbtype == TYPE_ZSET_ZIPLIST {
                    ziplist_to_listpack(&blob)
                } else {
                    Listpack::from_bytes(blob)
                };
                let lp = lp.filter(valid_zset_listpack).ok_or_else(|| {
                    RdbError::Corrupt("Zset listpack integrity check failed.".into())
                })?;
                if lp.is_empty() {
                    return Err(RdbError::EmptyKey);
                }
                let mut z = ZSetValue::from_listpack(lp);
                if z.len() > limits.zset.max_entries {
                    z.convert_to_skiplist();
                }
                Ok(Value::ZSet(z))
            }
            TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
                let blob = self.string()?;
                let lp = if rdbtype == TYPE_HASH_ZIPLIST {
                    ziplist_to_listpack(&blob)
                } else {
                    Listpack::from_bytes(blob)
                };
                let lp = lp.filter(valid_pairs).ok_or_else(|| {
                    RdbError::Corrupt("Hash listpack integrity check failed.".into())
                })?;
                if lp.is_empty() {
                    return Err(RdbError::EmptyKey);
                }
                let mut h = HashValue::from_listpack(lp);
                if h.len() > limits.hash.max_entries {
                    h.convert_to_table();
                }
                Ok(Value::Hash(h))
            }
            TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
                self.stream(rdbtype)
            }
            TYPE_MODULE | TYPE_MODULE_2 => corrupt(format!(
                "Unsupported RDB value type {} (module value): modules are not supported",
                rdbtype
            )),
            other => corrupt(format!("Unknown RDB encoding type {}", other)),
        }
    }

    /// A raw 16-byte big-endian stream ID (PEL entries).
    fn raw_stream_id(&mut self) -> Result<StreamId> {
        StreamId::from_key(self.take(16)?).ok_or(RdbError::ShortRead)
    }

    /// RDB_TYPE_STREAM_LISTPACKS (Redis 5/6: no first ID, tombstone ID,
    /// entries-added or group read counters, which are derived as Redis
    /// does), _2 (Redis 7.0) and _3 (Redis 7.2: consumers also carry an
    /// active time, which 7.0 has no use for). Every node is checked with
    /// the stream structure rules before it is adopted.
    fn stream(&mut self, rdbtype: u8) -> Result<Value> {
        let mut s = Stream::new();
        let nodes = self.count(2)?;
        for _ in 0..nodes {
            let key = self.string()?;
            let Some(master) = StreamId::from_key(&key) else {
                return corrupt("Stream node key entry is not the size of a stream ID");
            };
            let Some(lp) = Listpack::from_bytes(self.string()?) else {
                return corrupt("Stream listpack integrity check failed.");
            };
            if lp.is_empty() {
                return corrupt("Empty listpack inside stream");
            }
            if s.nodes.insert(master, lp).is_some() {
                return corrupt("Listpack re-added with existing key");
            }
        }
        s.length = self.len()?;
        s.last_id = StreamId::new(self.len()?, self.len()?);
        if rdbtype == TYPE_STREAM_LISTPACKS {
            s.entries_added = s.length;
            s.first_id = s.edge_id(true).unwrap_or(StreamId::MIN);
        } else {
            s.first_id = StreamId::new(self.len()?, self.len()?);
            s.max_deleted_entry_id = StreamId::new(self.len()?, self.len()?);
            s.entries_added = self.len()?;
        }
        if s.length > 0 && s.nodes.is_empty() {
            return corrupt("Stream length inconsistent with rax entries");
        }
        let groups = self.count(1)?;
        for _ in 0..groups {
            let name = self.string()?;
            let last_id = StreamId::new(self.len()?, self.len()?);
            let entries_read = if rdbtype == TYPE_STREAM_LISTPACKS {
                s.estimate_distance_from_first_ever_entry(last_id)
            } else {
                self.len()? as i64
            };
            let mut cg = ConsumerGroup::new(last_id, entries_read);
            let pel = self.count(17)?;
            for _ in 0..pel {
                let id = self.raw_stream_id()?;
                let delivery_time = self.millis()?;
                let delivery_count = self.len()?;
                let nack = Nack {
                    delivery_time,
                    delivery_count,
                    consumer: Vec::new(),
                };
                if cg.pel.insert(id, nack).is_some() {
                    return corrupt("Duplicated global PEL entry loading stream consumer group");
                }
            }
            // PEL entries given an owner so far: each must get exactly one.
            let mut owned = HashSet::new();
            let consumers = self.count(1)?;
            for _ in 0..consumers {
                let cname = self.string()?;
                let seen_time = self.millis()?;
                if rdbtype == TYPE_STREAM_LISTPACKS_3 {
                    self.millis()?; // active-time
                }
                let mut c = Consumer {
                    seen_time,
                    pel: Default::default(),
                };
                let n = self.count(16)?;
                for _ in 0..n {
                    let id = self.raw_stream_id()?;
                    match cg.pel.get_mut(&id) {
                        Some(nack) if owned.insert(id) => nack.consumer = cname.clone(),
                        _ => {
                            return corrupt(
                                "Consumer PEL entry not in the group PEL, or owned twice",
                            )
                        }
                    }
                    c.pel.insert(id);
                }
                if cg.consumers.insert(cname, c).is_some() {
                    return corrupt("Duplicate stream consumer detected.");
                }
            }
            if s.cgroups.insert(name, cg).is_some() {
                return corrupt("Duplicated consumer group name");
            }
        }
        if !s.validate() {
            return corrupt("Stream integrity check failed.");
        }
        Ok(Value::Stream(Box::new(s)))
    }

    /// RDB_TYPE_LIST: a count and the elements.
    fn linked_list(&mut self, limits: &Limits) -> Result<Value> {
        let n = self.count(1)?;
        if n == 0 {
            return Err(RdbError::EmptyKey);
        }
        let mut ql = Quicklist::with_options(limits.list_fill, limits.list_compress_depth);
        for _ in 0..n {
            ql.push(&self.string()?, false);
        }
        Ok(Value::List(Box::new(ql)))
    }

    /// RDB_TYPE_SET: an intset while every member is an integer and the
    /// count allows, else a hashtable.
    fn set(&mut self, limits: &Limits) -> Result<Value> {
        let n = self.count(1)?;
        if n == 0 {
            return Err(RdbError::EmptyKey);
        }
        let max = limits
            .set_max_intset_entries
            .min(crate::db::set::MAX_INTSET_ENTRIES_CAP);
        let mut s = if n > max {
            let mut s = SetValue::new_hashtable();
            if let SetValue::Hashtable(d) = &mut s {
                d.expand(n);
            }
            s
        } else {
            SetValue::new_intset()
        };
        for _ in 0..n {
            let m = self.string()?;
            if !s.add_ref(MemberRef::Bytes(&m), max) {
                return corrupt("Duplicate set members detected");
            }
        }
        Ok(Value::Set(Box::new(s)))
    }

    /// RDB_TYPE_ZSET(_2): built as a skiplist, turned into a listpack when
    /// small enough.
    fn zset(&mut self, binary: bool, limits: &Limits) -> Result<Value> {
        let n = self.count(2)?;
        if n == 0 {
            return Err(RdbError::EmptyKey);
        }
        let mut z = ZSkipList::default();
        if n > limits.zset.max_entries {
            z.dict.expand(n);
        }
        let (mut maxelelen, mut totelelen) = (0usize, 0usize);
        for _ in 0..n {
            let m = self.string()?;
            let score = if binary {
                self.binary_double()?
            } else {
                self.text_double()?
            };
            if score.is_nan() {
                return corrupt("Zset with NAN score detected");
            }
            maxelelen = maxelelen.max(m.len());
            totelelen += m.len();
            let ele: Rc<[u8]> = Rc::from(m);
            if z.dict.insert_new(ele.clone(), score).is_err() {
                return corrupt("Duplicate zset fields detected");
            }
            z.zsl.insert(score, ele);
        }
        let mut v = ZSetValue::from_skiplist(z);
        v.convert_to_listpack_if_needed(maxelelen, totelelen, limits.zset);
        Ok(Value::ZSet(v))
    }

    /// RDB_TYPE_HASH: a listpack unless the count or an element is too
    /// big for one.
    fn hash(&mut self, limits: &Limits) -> Result<Value> {
        let n = self.count(2)?;
        if n == 0 {
            return Err(RdbError::EmptyKey);
        }
        let mut h = HashValue::new();
        if n > limits.hash.max_entries {
            h.convert_to_table();
            if let Enc::Big(d) = h.enc_mut() {
                d.expand(n);
            }
        }
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for _ in 0..n {
            let f = self.string()?;
            let v = self.string()?;
            match h.enc_mut() {
                Enc::Big(d) => {
                    if d.insert_new(f.into_boxed_slice(), v.into_boxed_slice())
                        .is_err()
                    {
                        return corrupt("Duplicate hash fields detected");
                    }
                }
                Enc::Listpack(lp) => {
                    if f.len() > limits.hash.max_value
                        || v.len() > limits.hash.max_value
                        || !lp.safe_to_add(f.len() + v.len())
                    {
                        h.convert_to_table();
                        if let Enc::Big(d) = h.enc_mut() {
                            if d.insert_new(f.into_boxed_slice(), v.into_boxed_slice())
                                .is_err()
                            {
                                return corrupt("Duplicate hash fields detected");
                            }
                        }
                        continue;
                    }
                    if !seen.insert(f.clone()) {
                        return corrupt("Hash with dup elements");
                    }
                    lp.append(&f);
                    lp.append(&v);
                }
            }
        }
        Ok(Value::Hash(h))
    }

    /// RDB_TYPE_LIST_QUICKLIST(_2): the nodes as saved; version 1 nodes are
    /// ziplists, version 2 nodes listpacks or plain elements.
    fn quicklist(&mut self, v2: bool, limits: &Limits) -> Result<Value> {
        let n = self.count(2)?;
        if n == 0 {
            return Err(RdbError::EmptyKey);
        }
        let mut ql = Quicklist::with_options(limits.list_fill, limits.list_compress_depth);
        for _ in 0..n {
            let container = if v2 { self.len()? } else { CONTAINER_PACKED };
            if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
                return corrupt("Quicklist integrity check failed.");
            }
            let data = self.string()?;
            if data.is_empty() {
                return corrupt("Quicklist node is empty");
            }
            if container == CONTAINER_PLAIN {
                ql.append_plain_node(data.into_boxed_slice());
                continue;
            }
            let lp = if v2 {
                Listpack::from_bytes(data)
                    .ok_or_else(|| RdbError::Corrupt("Listpack integrity check failed.".into()))?
            } else {
                ziplist_to_listpack(&data)
                    .ok_or_else(|| RdbError::Corrupt("Ziplist integrity check failed.".into()))?
            };
            // Empty nodes are skipped; an all-empty list is an empty key.
            ql.append_listpack_node(lp);
        }
        if ql.is_empty() {
            return Err(RdbError::EmptyKey);
        }
        Ok(Value::List(Box::new(ql)))
    }
}

/// The elements of a ziplist re-encoded as a listpack.
fn ziplist_to_listpack(blob: &[u8]) -> Option<Listpack> {
    let entries = ziplist::ziplist_entries(blob)?;
    let mut lp = Listpack::new();
    for e in entries {
        match e {
            ZlEntry::Int(v) => lp.append_int(v),
            ZlEntry::Str(s) => lp.append(s),
        }
        if lp.bytes().len() > crate::db::listpack::MAX_SAFETY_SIZE {
            return None;
        }
    }
    Some(lp)
}

/// A field/value (or member/score) listpack: an even count and unique
/// fields (`lpValidateIntegrityAndDups`).
fn valid_pairs(lp: &Listpack) -> bool {
    if !lp.len().is_multiple_of(2) {
        return false;
    }
    let mut seen = HashSet::new();
    let mut it = lp.iter();
    while let (Some(f), Some(_)) = (it.next(), it.next()) {
        if !seen.insert(f.to_vec()) {
            return false;
        }
    }
    true
}

/// A sorted-set listpack: valid pairs whose scores parse (no NaN) and
/// which are in (score, member) order, since every operation on the
/// encoding relies on that order.
fn valid_zset_listpack(lp: &Listpack) -> bool {
    if !valid_pairs(lp) {
        return false;
    }
    let mut prev: Option<(f64, Vec<u8>)> = None;
    let mut it = lp.iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let score = match s {
            LpEntry::Int(v) => v as f64,
            LpEntry::Str(b) => match numbers::parse_f64_strtod(b) {
                Some(v) if !v.is_nan() => v,
                _ => return false,
            },
        };
        let m = m.to_vec();
        if let Some((ps, pm)) = &prev {
            if *ps > score || (*ps == score && *pm >= m) {
                return false;
            }
        }
        prev = Some((score, m));
    }
    true
}

/// Check a DUMP payload's footer (`verifyDumpPayload`): at least the
/// 2-byte version and 8-byte CRC, a version we can read, and (unless
/// `skip_checksum`) the CRC-64 of everything before the CRC. Returns the
/// body (type byte and value) on success.
pub fn verify_dump_payload(p: &[u8], skip_checksum: bool) -> Option<&[u8]> {
    if p.len() < 10 {
        return None;
    }
    let footer = &p[p.len() - 10..];
    let ver = u16::from_le_bytes([footer[0], footer[1]]);
    if ver > RDB_VERSION {
        return None;
    }
    if !skip_checksum {
        let crc = crc64::crc64(0, &p[..p.len() - 8]);
        if crc.to_le_bytes() != footer[2..] {
            return None;
        }
    }
    Some(&p[..p.len() - 10])
}

/// Decode a DUMP payload's body into a value; the whole body must be used.
pub fn load_dump_body(body: &[u8], limits: &Limits) -> Result<Value> {
    let mut r = Reader::new(body);
    let t = r.byte()?;
    let v = r.object(t, limits)?;
    if r.remaining() != 0 {
        return corrupt("Trailing bytes after the value");
    }
    Ok(v)
}

/// The library codes in the body of a FUNCTION DUMP payload (the part
/// [`verify_dump_payload`] returns), for FUNCTION RESTORE. Each record is a
/// FUNCTION2 opcode and the code, or the 7.0 release candidates' FUNCTION
/// record (name, engine, optional description, code) which becomes the
/// equivalent `#!<engine> name=<name>` code, as `rdbFunctionLoad` does.
/// The error is Redis's reply text (without the `ERR ` prefix).
pub fn function_payload_codes(body: &[u8]) -> std::result::Result<Vec<Vec<u8>>, &'static str> {
    let mut r = Reader::new(body);
    let mut codes = Vec::new();
    while r.remaining() > 0 {
        let t = r.byte().map_err(|_| "can not read data type")?;
        match t {
            OPCODE_FUNCTION2 => {
                let code = r.string().map_err(|_| "Failed loading library payload")?;
                codes.push(code);
            }
            OPCODE_FUNCTION => {
                let name = r.string().map_err(|_| "Failed loading library name")?;
                let engine = r.string().map_err(|_| "Failed loading engine name")?;
                let has_desc = r
                    .len()
                    .map_err(|_| "Failed loading library description indicator")?;
                if has_desc != 0 {
                    r.string()
                        .map_err(|_| "Failed loading library description")?;
                }
                let blob = r.string().map_err(|_| "Failed loading library blob")?;
                let mut code = Vec::with_capacity(blob.len() + name.len() + engine.len() + 9);
                code.extend_from_slice(b"#!");
                code.extend_from_slice(&engine);
                code.extend_from_slice(b" name=");
                code.extend_from_slice(&name);
                code.push(b'\n');
                code.extend_from_slice(&blob);
                codes.push(code);
            }
            _ => return Err("given type is not a function"),
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::encode::{dump_payload, object_type, Writer};

    fn round_trip(v: &Value, limits: &Limits) -> Value {
        // A list keeps the compress depth of the server that loads it.
        let mut limits = *limits;
        if let Value::List(ql) = v {
            limits.list_compress_depth = ql.compress_depth();
        }
        let limits = &limits;
        for compress in [false, true] {
            let p = dump_payload(v, compress);
            let body = verify_dump_payload(&p, false).expect("valid footer");
            let back = load_dump_body(body, limits).expect("loads");
            assert_eq!(&back, v);
            assert_eq!(back.encoding(), v.encoding());
            // Re-encoding gives the same bytes (where the order is defined).
            if !matches!(v, Value::Hash(h) if matches!(h.enc(), Enc::Big(_)))
                && !matches!(v, Value::Set(s) if matches!(**s, SetValue::Hashtable(_)))
            {
                assert!(
                    dump_payload(&back, compress) == p,
                    "{:?} re-encodes differently",
                    v.encoding()
                );
            }
        }
        v.clone()
    }

    fn corrupt_everywhere(v: &Value) {
        let p = dump_payload(v, true);
        let body = &p[..p.len() - 10];
        for i in 0..body.len() {
            let _ = load_dump_body(&body[..i], &Limits::default());
            for b in [0u8, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc3, 0xfe, 0xff] {
                let mut c = body.to_vec();
                c[i] = b;
                if let Ok(v) = load_dump_body(&c, &Limits::default()) {
                    // Whatever loads must be usable.
                    let _ = dump_payload(&v, true);
                    let _ = v.encoding();
                }
            }
        }
    }

    fn samples() -> Vec<Value> {
        let lim = Limits::default();
        let mut out = vec![
            Value::Str(RStr::Int(5)),
            Value::Str(RStr::Int(-70000)),
            Value::Str(RStr::Int(i64::MIN)),
            Value::Str(RStr::Emb(b"hello"[..].into())),
            Value::Str(RStr::raw(b"abc".repeat(40))),
        ];
        let mut ql = Quicklist::new();
        for i in 0..2000 {
            ql.push(format!("element-{}", i % 37).as_bytes(), false);
        }
        ql.push(&[b'x'; 100], false);
        out.push(Value::List(Box::new(ql)));
        let mut ql = Quicklist::with_options(-2, 1);
        for i in 0..3000 {
            ql.push(format!("compressible {}", i % 5).as_bytes(), true);
        }
        out.push(Value::List(Box::new(ql)));
        let mut s = SetValue::new_intset();
        for i in [1i64, -5, 100000, 1 << 40] {
            s.add_ref(MemberRef::Int(i), 512);
        }
        out.push(Value::Set(Box::new(s)));
        let mut s = SetValue::new_intset();
        for m in ["a", "b", "1"] {
            s.add(m.as_bytes(), 512);
        }
        out.push(Value::Set(Box::new(s)));
        let mut h = HashValue::new();
        h.set(b"f", b"v", lim.hash);
        h.set(b"n", b"12", lim.hash);
        out.push(Value::Hash(h.clone()));
        h.set(b"long", &[b'z'; 100], lim.hash);
        out.push(Value::Hash(h));
        let mut z = ZSetValue::new_listpack();
        z.add(1.5, b"a", crate::db::zset::AddFlags::default(), lim.zset);
        z.add(-3.0, b"b", crate::db::zset::AddFlags::default(), lim.zset);
        out.push(Value::ZSet(z.clone()));
        for i in 0..200 {
            z.add(
                i as f64 / 3.0,
                format!("m{}", i).as_bytes(),
                crate::db::zset::AddFlags::default(),
                lim.zset,
            );
        }
        assert_eq!(z.encoding(), "skiplist");
        out.push(Value::ZSet(z));
        out.push(Value::Stream(Box::new(sample_stream())));
        out
    }

    /// A stream of several nodes with tombstones, a group with a PEL and
    /// two consumers.
    fn sample_stream() -> Stream {
        use crate::db::stream::NodeLimits;
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 4,
        };
        let mut st = Stream::new();
        for i in 1..=10u64 {
            let f: &[u8] = if i % 3 == 0 { b"other" } else { b"f" };
            st.append(
                &[(f, b"v"), (b"n", &i.to_string().into_bytes())],
                Some((StreamId::new(i, 0), true)),
                0,
                lim,
            )
            .unwrap();
        }
        st.delete(StreamId::new(2, 0));
        st.max_deleted_entry_id = StreamId::new(2, 0);
        let mut cg = ConsumerGroup::new(StreamId::new(5, 0), 4);
        for (id, c) in [(1u64, &b"alice"[..]), (4, b"bob"), (5, b"alice")] {
            cg.consumers
                .entry(c.to_vec())
                .or_default()
                .pel
                .insert(StreamId::new(id, 0));
            cg.pel.insert(
                StreamId::new(id, 0),
                Nack {
                    delivery_time: 1700000000000 + id as i64,
                    delivery_count: id,
                    consumer: c.to_vec(),
                },
            );
        }
        cg.consumers.insert(b"idle".to_vec(), Consumer::default());
        st.cgroups.insert(b"grp".to_vec(), cg);
        st
    }

    /// Redis 7.2's RDB_TYPE_STREAM_LISTPACKS_3 is type 19 plus an active
    /// time after each consumer's seen time: it loads, the extra field
    /// dropped.
    #[test]
    fn stream_listpacks_3_loads() {
        let st = sample_stream();
        let mut w = Writer::new(false);
        w.len(st.nodes.len() as u64);
        for (k, lp) in &st.nodes {
            w.raw_string(&k.to_key());
            w.raw_string(lp.bytes());
        }
        for v in [
            st.length,
            st.last_id.ms,
            st.last_id.seq,
            st.first_id.ms,
            st.first_id.seq,
            st.max_deleted_entry_id.ms,
            st.max_deleted_entry_id.seq,
            st.entries_added,
            st.cgroups.len() as u64,
        ] {
            w.len(v);
        }
        for (name, cg) in &st.cgroups {
            w.raw_string(name);
            w.len(cg.last_id.ms);
            w.len(cg.last_id.seq);
            w.len(cg.entries_read as u64);
            w.len(cg.pel.len() as u64);
            for (id, n) in &cg.pel {
                w.buf.extend_from_slice(&id.to_key());
                w.millis(n.delivery_time);
                w.len(n.delivery_count);
            }
            w.len(cg.consumers.len() as u64);
            for (cname, c) in &cg.consumers {
                w.raw_string(cname);
                w.millis(c.seen_time);
                w.millis(c.seen_time + 5); // active-time
                w.len(c.pel.len() as u64);
                for id in &c.pel {
                    w.buf.extend_from_slice(&id.to_key());
                }
            }
        }
        let v = Reader::new(&w.buf)
            .object(TYPE_STREAM_LISTPACKS_3, &Limits::default())
            .unwrap();
        assert_eq!(v, Value::Stream(Box::new(st)));
    }

    #[test]
    fn corrupt_streams_never_panic() {
        let p = dump_payload(&Value::Stream(Box::new(sample_stream())), false);
        let body = &p[..p.len() - 10];
        for i in 0..body.len() {
            for b in [0u8, 1, 2, 3, 0x40, 0x7f, 0x80, 0xfe, 0xff] {
                let mut c = body.to_vec();
                c[i] = b;
                if let Ok(Value::Stream(mut s)) = load_dump_body(&c, &Limits::default()) {
                    // Whatever loads must be usable.
                    s.range(StreamId::MIN, StreamId::MAX, true, |_, _| true);
                    let _ = s.rax_nodes();
                    s.delete(StreamId::new(5, 0));
                    let _ = s.append(
                        &[(b"f", b"v")],
                        None,
                        1 << 50,
                        crate::db::stream::NodeLimits {
                            max_bytes: 4096,
                            max_entries: 4,
                        },
                    );
                    s.trim(&crate::db::stream::TrimArgs {
                        strategy: crate::db::stream::TrimStrategy::MaxLen(2),
                        approx: false,
                        limit: 0,
                    });
                }
            }
        }
    }

    #[test]
    fn every_type_round_trips() {
        for v in samples() {
            round_trip(&v, &Limits::default());
        }
    }

    #[test]
    fn corrupt_payloads_never_panic() {
        for v in samples().iter().filter(|v| !matches!(v, Value::List(_))) {
            corrupt_everywhere(v);
        }
        // A short list keeps this test fast.
        let mut ql = Quicklist::new();
        for i in 0..20 {
            ql.push(format!("{}", i).as_bytes(), false);
        }
        corrupt_everywhere(&Value::List(Box::new(ql)));
    }

    #[test]
    fn footer_checks() {
        let p = dump_payload(&Value::Str(RStr::Int(1)), false);
        assert!(verify_dump_payload(&p, false).is_some());
        let mut bad = p.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(verify_dump_payload(&bad, false).is_none());
        assert!(verify_dump_payload(&bad, true).is_some());
        let mut newer = p.clone();
        let n = newer.len();
        newer[n - 10] = 11;
        assert!(verify_dump_payload(&newer, true).is_none());
        assert!(verify_dump_payload(&p[..9], true).is_none());
    }

    #[test]
    fn empty_and_unsupported() {
        let mut w = Writer::new(false);
        w.len(0);
        assert_eq!(
            Reader::new(&w.buf).object(TYPE_SET, &Limits::default()),
            Err(RdbError::EmptyKey)
        );
        let e = Reader::new(&[1]).object(TYPE_STREAM_LISTPACKS_2, &Limits::default());
        assert!(e.is_err());
    }

    #[test]
    fn limits_pick_encodings_on_load() {
        // A 3-member listpack zset loaded with max_entries 2 becomes a skiplist.
        let mut z = ZSetValue::new_listpack();
        let lim = Limits::default();
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            z.add(
                i as f64,
                m.as_bytes(),
                crate::db::zset::AddFlags::default(),
                lim.zset,
            );
        }
        let v = Value::ZSet(z);
        let p = dump_payload(&v, false);
        let mut small = Limits::default();
        small.zset.max_entries = 2;
        let back = load_dump_body(&p[..p.len() - 10], &small).unwrap();
        assert_eq!(back.encoding(), "skiplist");
        assert_eq!(back, v);
        // And a skiplist payload of a small set loads as a listpack.
        let p2 = dump_payload(&back, false);
        assert_eq!(p2[0], object_type(&back));
        let again = load_dump_body(&p2[..p2.len() - 10], &Limits::default()).unwrap();
        assert_eq!(again.encoding(), "listpack");
    }

    #[test]
    fn legacy_ziplist_hash_loads() {
        use crate::rdb::ziplist::ZlEntry;
        let zl = crate::rdb::ziplist::tests_support::build(&[
            ZlEntry::Str(b"f"),
            ZlEntry::Int(10),
            ZlEntry::Str(b"g"),
            ZlEntry::Str(b"x"),
        ]);
        let mut w = Writer::new(false);
        w.raw_string(&zl);
        let v = Reader::new(&w.buf)
            .object(TYPE_HASH_ZIPLIST, &Limits::default())
            .unwrap();
        let Value::Hash(h) = v else { panic!() };
        assert_eq!(h.get(b"f").map(|e| e.to_vec()), Some(b"10".to_vec()));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn function_payloads_round_trip_and_reject_other_records() {
        let long = b"#!lua name=l\nredis.register_function('f', function() return 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa' end)".to_vec();
        let codes = vec![b"#!lua name=a\nx".to_vec(), long];
        for compress in [false, true] {
            let p = crate::rdb::encode::functions_dump_payload(
                codes.iter().map(|c| c.as_slice()),
                compress,
            );
            let body = verify_dump_payload(&p, false).unwrap();
            assert_eq!(function_payload_codes(body).unwrap(), codes);
        }
        // A key's payload body starts with a value type.
        assert_eq!(
            function_payload_codes(b"\x00\x01v"),
            Err("given type is not a function")
        );
        // A record cut short.
        assert_eq!(
            function_payload_codes(b"\xf5\x05ab"),
            Err("Failed loading library payload")
        );
        // The release candidates' record: name, engine, no description, code.
        assert_eq!(
            function_payload_codes(b"\xf6\x01n\x03LUA\x00\x04body").unwrap(),
            vec![b"#!LUA name=n\nbody".to_vec()]
        );
        assert_eq!(
            function_payload_codes(b"\xf6\x01n\x03LUA\x01"),
            Err("Failed loading library description")
        );
    }
}
