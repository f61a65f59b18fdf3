//! The intset: a sorted array of distinct 64-bit integers packed at the
//! narrowest width that holds them all (~ Redis's `intset.c` / `intset.h`).
//!
//! Sets whose members are all integers, and that are small, are stored this
//! way instead of in a hash table (see `db/set.rs`, OBJECT ENCODING
//! `intset`).
//!
//! # Layout (byte for byte what Redis keeps in memory and writes into RDB)
//!
//! ```text
//! +----------------+----------------+-------------------------------+
//! | encoding: u32  | length: u32    | contents: length * encoding   |
//! | little endian  | little endian  | little-endian signed ints,    |
//! | 2, 4 or 8      | element count  | strictly ascending            |
//! +----------------+----------------+-------------------------------+
//! ```
//!
//! Invariants this file owns:
//! - `encoding` is 2, 4 or 8 and is the width of every element;
//! - the buffer is exactly `8 + length * encoding` bytes;
//! - elements are strictly ascending (so distinct);
//! - the encoding only ever grows: removing the last wide element does not
//!   narrow the array again (Redis never downgrades either, and the RDB
//!   bytes of a set depend on it).
//!
//! # Why an intset, and its limits
//!
//! The problem: a set of a few hundred small integers held in a hash table
//! costs a dict entry (24 bytes), a bucket slot (8 to 16 bytes) and a string
//! allocation per member, easily 60 bytes for a value that needs 2. The idea:
//! keep such sets as one flat sorted array. Membership is a binary search,
//! O(log N), with no pointer chasing; iteration is in ascending order for
//! free; the whole set is one allocation, so it is also cheap to copy, free
//! and serialize (RDB stores the blob verbatim).
//!
//! Width adapts to the data: the array starts at 16 bits per element and is
//! *upgraded* to 32 or 64 bits the first time a value needs it. An upgrade
//! rewrites every element at the new width, walking from the back so that
//! no element is overwritten before it has been moved; the value that caused
//! the upgrade is out of the old range, so it always goes to one end (the
//! front if negative, the back if positive) and needs no search.
//!
//! The price: inserting or removing in the middle moves the tail of the
//! array, O(N) bytes per write. That is why the set layer converts to a hash
//! table, one way, as soon as the set holds more than
//! `set-max-intset-entries` members (512 by default) or a member that is not
//! the canonical decimal form of an i64 (`string2ll`): at that point the
//! memory saving no longer pays for the linear writes. A buffer of more than
//! 2^32 elements cannot be described by the u32 length, which is why Redis
//! caps the setting at 2^30.
//!
//! Rejected alternatives: a `Vec<i64>` (simpler, but four times the memory
//! for small values and not the RDB format), or a `BTreeSet` (per-node
//! overhead defeats the purpose).

/// Width in bytes of one element.
pub type Encoding = u8;

/// 16-bit elements (INTSET_ENC_INT16).
pub const ENC_INT16: Encoding = 2;
/// 32-bit elements (INTSET_ENC_INT32).
pub const ENC_INT32: Encoding = 4;
/// 64-bit elements (INTSET_ENC_INT64).
pub const ENC_INT64: Encoding = 8;

/// Bytes of the header (encoding + length).
pub const HEADER_SIZE: usize = 8;

/// The narrowest width that holds `v` (Redis's `_intsetValueEncoding`).
pub fn value_encoding(v: i64) -> Encoding {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        ENC_INT64
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        ENC_INT32
    } else {
        ENC_INT16
    }
}

/// A sorted set of distinct i64 stored in Redis's intset byte layout.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    /// Header and contents, exactly as described in the module docs.
    buf: Vec<u8>,
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntSet")
            .field("encoding", &self.encoding())
            .field("values", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

impl IntSet {
    /// An empty intset with 16-bit encoding (Redis's `intsetNew`).
    pub fn new() -> IntSet {
        let mut buf = Vec::with_capacity(HEADER_SIZE);
        buf.extend_from_slice(&u32::from(ENC_INT16).to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        IntSet { buf }
    }

    /// Adopts a serialized intset (an RDB / DUMP blob), checking the
    /// header, the size and, element by element, the strict ordering
    /// (Redis's `intsetValidateIntegrity` with `deep`). Unlike Redis we
    /// accept an empty intset: rejecting empty sets is the loader's policy.
    pub fn from_bytes(bytes: &[u8]) -> Option<IntSet> {
        if bytes.len() < HEADER_SIZE {
            return None;
        }
        let enc = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if !matches!(enc, 2 | 4 | 8) {
            return None;
        }
        if len.checked_mul(enc as usize)?.checked_add(HEADER_SIZE)? != bytes.len() {
            return None;
        }
        let is = IntSet {
            buf: bytes.to_vec(),
        };
        let mut prev: Option<i64> = None;
        for v in is.iter() {
            if prev.is_some_and(|p| v <= p) {
                return None;
            }
            prev = Some(v);
        }
        Some(is)
    }

    /// The blob: header plus contents (what RDB stores).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Size of the blob in bytes (Redis's `intsetBlobLen`).
    pub fn blob_len(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes reserved for the blob.
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    /// Element width in bytes: 2, 4 or 8.
    pub fn encoding(&self) -> Encoding {
        self.buf[0]
    }

    /// Number of elements (Redis's `intsetLen`).
    pub fn len(&self) -> usize {
        u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_len(&mut self, len: usize) {
        self.buf[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    }

    /// Element `pos` read at width `enc` (the caller guarantees bounds).
    fn get_encoded(&self, pos: usize, enc: Encoding) -> i64 {
        let at = HEADER_SIZE + pos * enc as usize;
        let b = &self.buf[at..at + enc as usize];
        match enc {
            ENC_INT64 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            ENC_INT32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i16::from_le_bytes([b[0], b[1]]) as i64,
        }
    }

    /// Writes `v` at `pos` at the current width (`v` must fit).
    fn put(&mut self, pos: usize, v: i64) {
        let enc = self.encoding();
        let at = HEADER_SIZE + pos * enc as usize;
        match enc {
            ENC_INT64 => self.buf[at..at + 8].copy_from_slice(&v.to_le_bytes()),
            ENC_INT32 => self.buf[at..at + 4].copy_from_slice(&(v as i32).to_le_bytes()),
            _ => self.buf[at..at + 2].copy_from_slice(&(v as i16).to_le_bytes()),
        }
    }

    /// Element at `pos`, if in range (Redis's `intsetGet`).
    pub fn get(&self, pos: usize) -> Option<i64> {
        (pos < self.len()).then(|| self.get_encoded(pos, self.encoding()))
    }

    /// Smallest element.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// Largest element.
    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|last| self.get(last))
    }

    /// Binary search (Redis's `intsetSearch`): `Ok(pos)` when found,
    /// `Err(pos)` with the insertion point otherwise. Values beyond either
    /// end are answered without searching, which makes appending ascending
    /// values (the common bulk-load pattern) O(1) per probe.
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        let enc = self.encoding();
        if v > self.get_encoded(len - 1, enc) {
            return Err(len);
        }
        if v < self.get_encoded(0, enc) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let cur = self.get_encoded(mid, enc);
            if cur < v {
                lo = mid + 1;
            } else if cur > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    /// Membership test (Redis's `intsetFind`): a value wider than the
    /// encoding cannot be present, so no search is needed for it.
    pub fn contains(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Inserts `v`; false if it was already present (Redis's `intsetAdd`).
    pub fn insert(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            self.upgrade_and_add(v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let enc = self.encoding() as usize;
        let len = self.len();
        let at = HEADER_SIZE + pos * enc;
        // Open a gap of one element at `pos` by shifting the tail.
        self.buf.resize(self.buf.len() + enc, 0);
        self.buf.copy_within(at..HEADER_SIZE + len * enc, at + enc);
        self.put(pos, v);
        self.set_len(len + 1);
        true
    }

    /// Widens every element to the encoding `v` needs, then adds `v` at the
    /// front (negative) or the back (positive): being out of the old range,
    /// it is smaller or larger than every element (Redis's
    /// `intsetUpgradeAndAdd`).
    fn upgrade_and_add(&mut self, v: i64) {
        let old = self.encoding();
        let new = value_encoding(v);
        let len = self.len();
        let prepend = usize::from(v < 0);
        self.buf.resize(HEADER_SIZE + (len + 1) * new as usize, 0);
        // Back to front: the widened element i lands at or after the bytes
        // of the old elements still to be read.
        for i in (0..len).rev() {
            let x = self.get_encoded(i, old);
            let at = HEADER_SIZE + (i + prepend) * new as usize;
            match new {
                ENC_INT64 => self.buf[at..at + 8].copy_from_slice(&x.to_le_bytes()),
                _ => self.buf[at..at + 4].copy_from_slice(&(x as i32).to_le_bytes()),
            }
        }
        self.buf[0..4].copy_from_slice(&u32::from(new).to_le_bytes());
        if prepend == 1 {
            self.put(0, v);
        } else {
            self.put(len, v);
        }
        self.set_len(len + 1);
    }

    /// Removes `v`; false if it was not present (Redis's `intsetRemove`).
    /// The encoding is kept even if no remaining element needs it.
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let pos = match self.search(v) {
            Ok(pos) => pos,
            Err(_) => return false,
        };
        self.remove_at(pos);
        true
    }

    /// Removes the element at `pos` (in range), closing the gap.
    pub fn remove_at(&mut self, pos: usize) {
        let enc = self.encoding() as usize;
        let len = self.len();
        let at = HEADER_SIZE + pos * enc;
        self.buf.copy_within(at + enc..HEADER_SIZE + len * enc, at);
        self.buf.truncate(HEADER_SIZE + (len - 1) * enc);
        self.set_len(len - 1);
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            is: self,
            pos: 0,
            len: self.len(),
            enc: self.encoding(),
        }
    }

    /// Gives back memory after many removals.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }
}

/// Ascending iterator over an [`IntSet`].
pub struct Iter<'a> {
    is: &'a IntSet,
    pos: usize,
    len: usize,
    enc: Encoding,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.pos >= self.len {
            return None;
        }
        let v = self.is.get_encoded(self.pos, self.enc);
        self.pos += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len - self.pos;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn build(vals: &[i64]) -> IntSet {
        let mut is = IntSet::new();
        for &v in vals {
            is.insert(v);
        }
        is
    }

    /// Blobs cut out of `DUMP` payloads of real redis-server 7.0.15
    /// (`rdbcompression no`; type byte 11 = RDB_TYPE_SET_INTSET, then a
    /// 6-bit length byte, then the blob), for `SADD k <members>` in the
    /// order given.
    #[test]
    fn byte_exact_against_redis_dump_payloads() {
        let cases: &[(&[i64], &str)] = &[
            (&[1, 2, 3], "0200000003000000010002000300"),
            (&[5, -3, 100], "0200000003000000fdff05006400"),
            (&[70000, 1], "04000000020000000100000070110100"),
            (
                &[-2147483649, 0],
                "0800000002000000ffffff7fffffffff0000000000000000",
            ),
            (&[32767, -32768], "02000000020000000080ff7f"),
            (&[32768], "040000000100000000800000"),
            (
                &[i64::MIN, i64::MAX, 0],
                "08000000030000000000000000000080\
                 0000000000000000ffffffffffffff7f",
            ),
        ];
        for (vals, blob) in cases {
            let is = build(vals);
            assert_eq!(is.as_bytes(), &hex(blob)[..], "intset of {:?}", vals);
            assert_eq!(IntSet::from_bytes(&hex(blob)).as_ref(), Some(&is));
        }
    }

    #[test]
    fn insert_keeps_order_and_uniqueness() {
        let mut is = IntSet::new();
        assert!(is.insert(5));
        assert!(is.insert(6));
        assert!(is.insert(4));
        assert!(!is.insert(4));
        assert!(is.insert(-1));
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![-1, 4, 5, 6]);
        assert_eq!(is.len(), 4);
        assert_eq!(is.blob_len(), HEADER_SIZE + 4 * 2);
        assert_eq!(is.min(), Some(-1));
        assert_eq!(is.max(), Some(6));
        assert_eq!(is.get(4), None);
    }

    #[test]
    fn value_encoding_boundaries() {
        assert_eq!(value_encoding(i16::MAX as i64), ENC_INT16);
        assert_eq!(value_encoding(i16::MIN as i64), ENC_INT16);
        assert_eq!(value_encoding(i16::MAX as i64 + 1), ENC_INT32);
        assert_eq!(value_encoding(i16::MIN as i64 - 1), ENC_INT32);
        assert_eq!(value_encoding(i32::MAX as i64), ENC_INT32);
        assert_eq!(value_encoding(i32::MIN as i64), ENC_INT32);
        assert_eq!(value_encoding(i32::MAX as i64 + 1), ENC_INT64);
        assert_eq!(value_encoding(i32::MIN as i64 - 1), ENC_INT64);
        assert_eq!(value_encoding(i64::MIN), ENC_INT64);
    }

    #[test]
    fn upgrades_preserve_values_and_place_the_new_one_at_an_end() {
        // Positive upgrade goes to the back, negative to the front.
        let mut is = build(&[-5, 0, 7]);
        assert!(is.insert(65535));
        assert_eq!(is.encoding(), ENC_INT32);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![-5, 0, 7, 65535]);
        assert!(is.insert(-4294967296));
        assert_eq!(is.encoding(), ENC_INT64);
        assert_eq!(
            is.iter().collect::<Vec<_>>(),
            vec![-4294967296, -5, 0, 7, 65535]
        );
        // 16 -> 64 directly.
        let mut is = build(&[1, 2]);
        assert!(is.insert(i64::MIN));
        assert_eq!(is.encoding(), ENC_INT64);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![i64::MIN, 1, 2]);
        assert_eq!(is.blob_len(), HEADER_SIZE + 3 * 8);
        // Empty set upgrade.
        let mut is = IntSet::new();
        assert!(is.insert(1 << 40));
        assert_eq!(is.as_bytes().len(), HEADER_SIZE + 8);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![1 << 40]);
    }

    #[test]
    fn never_downgrades() {
        let mut is = build(&[1, 2, 1 << 20]);
        assert_eq!(is.encoding(), ENC_INT32);
        assert!(is.remove(1 << 20));
        assert_eq!(is.encoding(), ENC_INT32);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(is.blob_len(), HEADER_SIZE + 2 * 4);
    }

    #[test]
    fn remove_and_contains() {
        let mut is = build(&[10, 20, 30, 40]);
        assert!(!is.remove(25));
        assert!(!is.remove(1 << 40)); // wider than the encoding
        assert!(is.remove(10));
        assert!(is.remove(40));
        assert!(!is.remove(40));
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![20, 30]);
        assert!(is.contains(20) && is.contains(30));
        assert!(!is.contains(10) && !is.contains(1 << 40) && !is.contains(i64::MIN));
        assert!(is.remove(20) && is.remove(30));
        assert!(is.is_empty());
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn search_reports_insertion_points() {
        let is = build(&[2, 4, 6]);
        assert_eq!(is.search(1), Err(0));
        assert_eq!(is.search(2), Ok(0));
        assert_eq!(is.search(3), Err(1));
        assert_eq!(is.search(6), Ok(2));
        assert_eq!(is.search(7), Err(3));
        assert_eq!(IntSet::new().search(0), Err(0));
    }

    #[test]
    fn from_bytes_validates() {
        assert!(IntSet::from_bytes(&[2, 0, 0]).is_none());
        assert!(IntSet::from_bytes(&[3, 0, 0, 0, 0, 0, 0, 0]).is_none());
        // Length says 2 elements, one present.
        assert!(IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_none());
        // Out of order / duplicate.
        assert!(IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_none());
        assert!(IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_none());
        assert!(IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]).is_some());
    }

    /// Random operations against a `BTreeSet` model, across all widths.
    #[test]
    fn matches_a_model_under_random_operations() {
        use std::collections::BTreeSet;
        let mut state: u64 = 0x1234_5678_9abc_def1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20 {
            let mut is = IntSet::new();
            let mut model = BTreeSet::new();
            for _ in 0..400 {
                let r = next();
                let v = match (r >> 8) % 4 {
                    0 => (r >> 16) as i16 as i64 % 50,
                    1 => (r >> 16) as i16 as i64,
                    2 => (r >> 16) as i32 as i64,
                    _ if round % 2 == 0 => (r >> 1) as i64 * if r & 1 == 0 { 1 } else { -1 },
                    _ => (r >> 16) as i16 as i64,
                };
                if r % 3 == 0 {
                    assert_eq!(is.remove(v), model.remove(&v));
                } else {
                    assert_eq!(is.insert(v), model.insert(v));
                }
                assert_eq!(is.contains(v), model.contains(&v));
            }
            assert_eq!(
                is.iter().collect::<Vec<_>>(),
                model.iter().copied().collect::<Vec<_>>()
            );
            assert_eq!(is.len(), model.len());
            let width = model.iter().map(|&v| value_encoding(v)).max().unwrap_or(2);
            assert!(is.encoding() >= width);
            assert_eq!(
                is.blob_len(),
                HEADER_SIZE + is.len() * is.encoding() as usize
            );
            assert_eq!(IntSet::from_bytes(is.as_bytes()).as_ref(), Some(&is));
        }
    }
}
