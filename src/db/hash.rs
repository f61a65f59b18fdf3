//! The hash value type and its two encodings (~ the "hash type API" half of
//! Redis's `t_hash.c`, the `hashType*` functions).
//!
//! # Encodings
//!
//! A hash starts as a [`Listpack`] of alternating fields and values
//! (`field1, value1, field2, value2, ...`) in insertion order: one
//! allocation, a few bytes of overhead per field, linear lookups. It
//! converts to a [`Dict`] of boxed byte strings (Redis's `OBJ_ENCODING_HT`,
//! reported as `hashtable`) the first time either limit is crossed:
//!
//! - more than `hash-max-listpack-entries` fields (checked after an insert);
//! - a field or value longer than `hash-max-listpack-value` bytes (checked
//!   on the arguments before a write, [`HashValue::try_conversion`], and again
//!   inside [`HashValue::set`] for values computed by HINCRBY/HINCRBYFLOAT);
//! - or, as a safety net, the listpack would pass 1 GB.
//!
//! Conversion is one way: deleting fields never turns a hashtable back
//! into a listpack (Redis only does that when loading an RDB file). Both
//! limits come from the configuration at the time of each write, so after
//! `CONFIG SET` existing hashes keep their encoding until the next write
//! that crosses the new limit.
//!
//! Memory: the listpack is one exactly-sized block (capacity always
//! equals length), and a `HashValue` is one pointer (to the listpack or to the boxed dict), so
//! a small hash costs its listpack plus nothing per field.
//!
//! Field order: listpack hashes iterate in insertion order (an updated value
//! keeps its field's place), exactly as Redis; hashtable order depends on
//! the hash function and differs from Redis's, as it differs between two
//! Redis processes.

use std::fmt;

use super::compact::{Compact, Enc};
use super::dict::{self, Dict};
use super::listpack::{self, Listpack, LpEntry};

/// The `hashtable` encoding: field -> value.
pub type HashTable = Dict<Box<[u8]>, Box<[u8]>>;

/// The two configuration limits that decide the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    /// `hash-max-listpack-entries`: most fields a listpack hash may hold.
    pub max_entries: usize,
    /// `hash-max-listpack-value`: longest field or value it may hold.
    pub max_value: usize,
}

/// A hash value: a listpack while small, a hash table once big, in one
/// pointer (see `compact.rs`); [`HashValue::enc`] and
/// [`HashValue::enc_mut`] tell which.
#[derive(Clone)]
pub struct HashValue(Compact<HashTable>);

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}

impl fmt::Debug for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal when the field -> value mappings are equal, whatever the
/// encodings and field orders.
impl PartialEq for HashValue {
    fn eq(&self, other: &HashValue) -> bool {
        self.len() == other.len()
            && self.iter().all(|(f, v)| {
                let f = f.to_vec();
                other.get(&f).map(|w| w.to_vec()) == Some(v.to_vec())
            })
    }
}

impl HashValue {
    /// An empty listpack-encoded hash (`createHashObject`).
    pub fn new() -> HashValue {
        HashValue(Compact::from_listpack(Listpack::new()))
    }

    /// A listpack-encoded hash holding `lp` (an RDB payload's listpack).
    pub fn from_listpack(lp: Listpack) -> HashValue {
        HashValue(Compact::from_listpack(lp))
    }

    /// A hashtable-encoded hash.
    pub fn from_table(d: HashTable) -> HashValue {
        HashValue(Compact::from_big(Box::new(d)))
    }

    /// The encoding, to match on.
    pub fn enc(&self) -> Enc<&Listpack, &HashTable> {
        self.0.get()
    }

    /// The encoding, mutably.
    pub fn enc_mut(&mut self) -> Enc<&mut Listpack, &mut HashTable> {
        self.0.get_mut()
    }

    /// OBJECT ENCODING's name for the current encoding.
    pub fn encoding(&self) -> &'static str {
        match self.enc() {
            Enc::Listpack(_) => "listpack",
            Enc::Big(_) => "hashtable",
        }
    }

    /// Number of fields (`hashTypeLength`).
    pub fn len(&self) -> usize {
        match self.enc() {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::Big(d) => d.len(),
        }
    }

    /// True when there are no fields (the key is then deleted).
    pub fn is_empty(&self) -> bool {
        match self.enc() {
            Enc::Listpack(lp) => lp.is_empty(),
            Enc::Big(d) => d.is_empty(),
        }
    }

    /// Position of `field` in a listpack hash (a field, never a value).
    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.find(lp.first()?, field, 1)
    }

    /// The value of `field` (`hashTypeGetValue`): integers stored in a
    /// listpack come back as [`LpEntry::Int`], everything else as bytes.
    pub fn get(&self, field: &[u8]) -> Option<LpEntry<'_>> {
        match self.enc() {
            Enc::Listpack(lp) => {
                let f = Self::lp_find(lp, field)?;
                let v = lp.next(f).expect("every field has a value");
                Some(lp.get(v))
            }
            Enc::Big(d) => d.get(field).map(|v| LpEntry::Str(v)),
        }
    }

    /// Whether `field` exists (`hashTypeExists`).
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Length of the value of `field` in bytes, 0 if absent
    /// (`hashTypeGetValueLength`, HSTRLEN).
    pub fn value_len(&self, field: &[u8]) -> usize {
        self.get(field).map_or(0, |v| v.str_len())
    }

    /// Converts a listpack hash to a hashtable before a write whose
    /// arguments would not fit (`hashTypeTryConversion`): any argument
    /// longer than `max_value`, or a total that would push the listpack
    /// past its safety size.
    pub fn try_conversion<'a, I>(&mut self, args: I, max_value: usize)
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let lp = match self.enc_mut() {
            Enc::Listpack(lp) => lp,
            Enc::Big(_) => return,
        };
        let mut sum = 0usize;
        let mut convert = false;
        for a in args {
            if a.len() > max_value {
                convert = true;
                break;
            }
            sum = sum.saturating_add(a.len());
        }
        if convert || !lp.safe_to_add(sum) {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`, converting to a hashtable if either is too
    /// long or the hash grows past `max_entries` fields (`hashTypeSet`).
    /// Returns true when the field existed (an update), false on insert.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if matches!(self.enc(), Enc::Listpack(_))
            && (field.len() > limits.max_value || value.len() > limits.max_value)
        {
            self.convert_to_table();
        }
        match self.enc_mut() {
            Enc::Listpack(lp) => {
                let update = match Self::lp_find(lp, field) {
                    Some(f) => {
                        let v = lp.next(f).expect("every field has a value");
                        lp.replace(v, value);
                        true
                    }
                    None => {
                        lp.append(field);
                        lp.append(value);
                        false
                    }
                };
                if lp.len() / 2 > limits.max_entries {
                    self.convert_to_table();
                }
                update
            }
            Enc::Big(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = value.into();
                    true
                }
                None => {
                    d.insert(field.into(), value.into());
                    false
                }
            },
        }
    }

    /// Removes `field`; true if it existed (`hashTypeDelete`). A hashtable
    /// shrinks right away when it becomes sparse, as Redis's does.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self.enc_mut() {
            Enc::Listpack(lp) => match Self::lp_find(lp, field) {
                Some(f) => {
                    lp.delete_range_with_entry(f, 2);
                    true
                }
                None => false,
            },
            Enc::Big(d) => {
                let found = d.remove(field).is_some();
                if found {
                    d.resize_if_needed();
                }
                found
            }
        }
    }

    /// Turns a listpack hash into a hashtable sized for its fields
    /// (`hashTypeConvertListpack`); a hashtable stays as it is.
    pub fn convert_to_table(&mut self) {
        let lp = match self.enc_mut() {
            Enc::Listpack(lp) => lp,
            Enc::Big(_) => return,
        };
        let mut d: HashTable = Dict::new();
        d.expand(lp.len() / 2);
        let mut it = lp.iter();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            let fresh = d
                .insert_new(f.to_vec().into_boxed_slice(), v.to_vec().into_boxed_slice())
                .is_ok();
            debug_assert!(fresh, "listpack hash with a duplicate field");
        }
        *self = HashValue::from_table(d);
    }

    /// Every (field, value) pair: insertion order for a listpack, bucket
    /// order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self.enc() {
            Enc::Listpack(lp) => Iter::Listpack(lp.iter()),
            Enc::Big(d) => Iter::Table(d.iter()),
        }
    }

    /// One random (field, value) pair of a non-empty hash
    /// (`hashTypeRandomElement`): uniform over a listpack, Redis's "fair"
    /// sampling over a hashtable. `None` only when empty.
    pub fn random_pair(&mut self) -> Option<(LpEntry<'_>, LpEntry<'_>)> {
        match self.enc_mut() {
            Enc::Listpack(lp) => {
                let n = lp.len() / 2;
                (n > 0).then(|| lp.random_pair(n))
            }
            Enc::Big(d) => d
                .fair_random_entry()
                .map(|(f, v)| (LpEntry::Str(f), LpEntry::Str(v))),
        }
    }

    /// Approximate bytes used by the value (`objectComputeSize`): the
    /// object header plus the listpack, or plus the table and an average of
    /// up to `samples` entries (0 = all) scaled to the whole hash.
    pub fn memory_usage(&self, samples: usize) -> usize {
        const OBJ_HEADER: usize = 16;
        match self.enc() {
            Enc::Listpack(lp) => OBJ_HEADER + lp.heap_size(),
            Enc::Big(d) => {
                let base = OBJ_HEADER + d.allocated_bytes() - d.len() * HashTable::ENTRY_SIZE;
                let limit = if samples == 0 { usize::MAX } else { samples };
                let (mut n, mut bytes) = (0usize, 0usize);
                for (f, v) in d.iter().take(limit) {
                    bytes += HashTable::ENTRY_SIZE + f.len() + v.len();
                    n += 1;
                }
                if n == 0 {
                    base
                } else {
                    base + (bytes as f64 / n as f64 * d.len() as f64) as usize
                }
            }
        }
    }

    /// The listpack, when that is the encoding (DEBUG LISTPACK, DUMP).
    pub fn as_listpack(&self) -> Option<&Listpack> {
        match self.enc() {
            Enc::Listpack(lp) => Some(lp),
            Enc::Big(_) => None,
        }
    }

    /// The hash table, when that is the encoding (DEBUG HTSTATS-KEY).
    pub fn as_table(&self) -> Option<&HashTable> {
        match self.enc() {
            Enc::Listpack(_) => None,
            Enc::Big(d) => Some(d),
        }
    }
}

/// Iterator over a hash's (field, value) pairs; see [`HashValue::iter`].
pub enum Iter<'a> {
    Listpack(listpack::Iter<'a>),
    Table(dict::Iter<'a, Box<[u8]>, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (LpEntry<'a>, LpEntry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => {
                let f = it.next()?;
                let v = it.next()?;
                Some((f, v))
            }
            Iter::Table(it) => it.next().map(|(f, v)| (LpEntry::Str(f), LpEntry::Str(v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: HashLimits = HashLimits {
        max_entries: 4,
        max_value: 8,
    };

    fn pairs(h: &HashValue) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn listpack_keeps_insertion_order_and_updates_in_place() {
        let mut h = HashValue::new();
        assert!(!h.set(b"a", b"1", SMALL));
        assert!(!h.set(b"b", b"two", SMALL));
        assert!(!h.set(b"c", b"-300", SMALL));
        assert!(h.set(b"a", b"one", SMALL));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.len(), 3);
        assert_eq!(
            pairs(&h),
            vec![
                (b"a".to_vec(), b"one".to_vec()),
                (b"b".to_vec(), b"two".to_vec()),
                (b"c".to_vec(), b"-300".to_vec()),
            ]
        );
        assert_eq!(h.get(b"c"), Some(LpEntry::Int(-300)));
        assert_eq!(h.value_len(b"c"), 4);
        assert_eq!(h.value_len(b"zz"), 0);
        // A value is never matched as a field.
        assert!(!h.contains(b"one"));
        assert!(h.delete(b"b"));
        assert!(!h.delete(b"b"));
        assert_eq!(h.len(), 2);
        assert!(h.delete(b"a") && h.delete(b"c"));
        assert!(h.is_empty());
        assert_eq!(h.as_listpack().unwrap().bytes(), Listpack::new().bytes());
    }

    #[test]
    fn converts_on_entry_count_after_the_insert() {
        let mut h = HashValue::new();
        for i in 0..4 {
            h.set(format!("f{}", i).as_bytes(), b"v", SMALL);
        }
        assert_eq!(h.encoding(), "listpack");
        // Updating the fifth time is not an insert: still a listpack.
        h.set(b"f0", b"w", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f0"), Some(LpEntry::Str(b"w")));
        // One way: deleting back to one field keeps the hashtable.
        for i in 1..5 {
            h.delete(format!("f{}", i).as_bytes());
        }
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(pairs(&h), vec![(b"f0".to_vec(), b"w".to_vec())]);
    }

    #[test]
    fn converts_on_long_field_or_value() {
        let mut h = HashValue::new();
        h.set(b"f", b"12345678", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"g", b"123456789", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::new();
        h.set(b"123456789", b"x", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"123456789"), Some(LpEntry::Str(b"x")));
    }

    #[test]
    fn try_conversion_checks_every_argument() {
        let mut h = HashValue::new();
        h.try_conversion([&b"short"[..], b"ok"], 8);
        assert_eq!(h.encoding(), "listpack");
        h.try_conversion([&b"short"[..], b"way too long"], 8);
        assert_eq!(h.encoding(), "hashtable");
        // Hashtables are left alone.
        h.try_conversion([&b"x"[..]], 8);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn equality_ignores_encoding_and_order() {
        let mut a = HashValue::new();
        let mut b = HashValue::new();
        a.set(b"x", b"1", SMALL);
        a.set(b"y", b"2", SMALL);
        b.set(b"y", b"2", SMALL);
        b.set(b"x", b"1", SMALL);
        assert_eq!(a, b);
        b.convert_to_table();
        assert_eq!(a, b);
        b.set(b"x", b"3", SMALL);
        assert_ne!(a, b);
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn random_pair_covers_every_field() {
        dict::seed_random(3);
        for table in [false, true] {
            let mut h = HashValue::new();
            for i in 0..4 {
                h.set(
                    format!("f{}", i).as_bytes(),
                    format!("{}", i).as_bytes(),
                    SMALL,
                );
            }
            if table {
                h.convert_to_table();
            }
            let mut seen = [0; 4];
            for _ in 0..400 {
                let (f, v) = h.random_pair().unwrap();
                let i = (f.to_vec()[1] - b'0') as usize;
                assert_eq!(v.to_vec(), i.to_string().into_bytes());
                seen[i] += 1;
            }
            assert!(seen.iter().all(|&n| n > 40), "{:?}", seen);
        }
        assert!(HashValue::new().random_pair().is_none());
    }

    #[test]
    fn memory_usage_grows_with_content() {
        let mut h = HashValue::new();
        let empty = h.memory_usage(5);
        h.set(b"field", b"value", SMALL);
        assert!(h.memory_usage(5) > empty);
        h.convert_to_table();
        let one = h.memory_usage(0);
        h.set(b"other", b"value", SMALL);
        assert!(h.memory_usage(0) > one);
        assert!(h.as_table().is_some() && h.as_listpack().is_none());
    }

    #[test]
    fn value_stays_small() {
        assert_eq!(std::mem::size_of::<HashValue>(), 8);
    }
}
