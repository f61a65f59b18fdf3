//! The set value type and its two encodings (~ the `setType*` half of Redis's
//! `t_set.c`, plus `setTypeCreate` / `setTypeConvert` / `setTypeDup`).
//!
//! A set is stored one of two ways, reported by OBJECT ENCODING:
//!
//! - `intset` ([`IntSet`]): a sorted packed array of integers, used while
//!   every member is the canonical decimal form of an i64 (Redis's
//!   `string2ll` rules: no `+`, no leading zeros, no spaces, no `-0`; see
//!   [`numbers::parse_i64`]) and there are at most `set-max-intset-entries`
//!   members (512 by default, capped at 2^30);
//! - `hashtable` ([`Dict`]): members are the keys of a dict with no values.
//!
//! # Conversion
//!
//! Conversion is one way, intset -> hashtable, and happens inside
//! [`SetValue::add`] when the member just added is not an integer or makes
//! the set one member too long. A hashtable set never goes back to an intset,
//! even after SREM leaves only a few integers in it: the conversion back
//! would cost a scan on a write path for a saving that the next write may
//! undo, and Redis's replies (OBJECT ENCODING, SSCAN paging) depend on the
//! encoding staying put. New sets are born as intsets when their first
//! member is an integer ([`SetValue::create_for`], Redis's `setTypeCreate`);
//! the results of SINTERSTORE / SUNIONSTORE / SDIFFSTORE (and the temporary
//! results of SUNION / SDIFF) start as an empty intset and convert as members
//! are added, exactly like Redis, so a store of intsets stays an intset.
//!
//! Members are handed around as [`MemberRef`], either the integer of an
//! intset or the bytes of a hashtable member, so iterating an intset never
//! formats integers that are only compared, and adding integers to an intset
//! never parses them back.

use std::borrow::Cow;

use super::dict::{self, Dict};
use super::intset::{self, IntSet};
use crate::util::numbers;

/// Largest `set-max-intset-entries` honoured: the intset length is a u32
/// and Redis caps the setting at 2^30 entries.
pub const MAX_INTSET_ENTRIES_CAP: usize = 1 << 30;

/// Members looked at to estimate a hashtable set's string bytes.
pub const MEMORY_SAMPLES: usize = 5;

/// A member as stored in a hashtable set.
pub type Member = Box<[u8]>;

/// The hashtable encoding: members are keys, there are no values.
pub type SetDict = Dict<Member, ()>;

/// A borrowed set member: an intset element or hashtable member bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRef<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl MemberRef<'_> {
    /// The member's string form.
    pub fn to_bytes(&self) -> Cow<'_, [u8]> {
        match *self {
            MemberRef::Int(v) => Cow::Owned(v.to_string().into_bytes()),
            MemberRef::Bytes(b) => Cow::Borrowed(b),
        }
    }

    /// The member as owned bytes.
    pub fn to_member(&self) -> Member {
        match *self {
            MemberRef::Int(v) => v.to_string().into_bytes().into_boxed_slice(),
            MemberRef::Bytes(b) => b.into(),
        }
    }

    /// The member as an i64, when it is one by `string2ll` rules.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            MemberRef::Int(v) => Some(v),
            MemberRef::Bytes(b) => numbers::parse_i64(b),
        }
    }
}

/// Formats `v` into `buf` without allocating; returns the digits.
fn int_str(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// A set value with Redis's encodings.
#[derive(Debug, Clone)]
pub enum SetValue {
    Intset(IntSet),
    Hashtable(SetDict),
}

impl PartialEq for SetValue {
    /// Same encoding and same members.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SetValue::Intset(a), SetValue::Intset(b)) => {
                a.len() == b.len() && a.iter().eq(b.iter())
            }
            (SetValue::Hashtable(a), SetValue::Hashtable(b)) => {
                a.len() == b.len() && a.keys().all(|k| b.contains_key(k))
            }
            _ => false,
        }
    }
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new_intset()
    }
}

impl SetValue {
    /// An empty intset-encoded set (Redis's `createIntsetObject`).
    pub fn new_intset() -> SetValue {
        SetValue::Intset(IntSet::new())
    }

    /// An empty hashtable-encoded set (Redis's `createSetObject`).
    pub fn new_hashtable() -> SetValue {
        SetValue::Hashtable(Dict::new())
    }

    /// An empty set in the encoding that can hold `first` (Redis's
    /// `setTypeCreate`): intset for an integer, hashtable otherwise.
    pub fn create_for(first: &[u8]) -> SetValue {
        if numbers::parse_i64(first).is_some() {
            SetValue::new_intset()
        } else {
            SetValue::new_hashtable()
        }
    }

    /// Number of members (SCARD).
    pub fn len(&self) -> usize {
        match self {
            SetValue::Intset(is) => is.len(),
            SetValue::Hashtable(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Intset(_) => "intset",
            SetValue::Hashtable(_) => "hashtable",
        }
    }

    /// Adds `member`; true if it was not present (Redis's `setTypeAdd`).
    /// Converts an intset to a hashtable when `member` is not an integer or
    /// the set grows past `max_intset_entries`.
    pub fn add(&mut self, member: &[u8], max_intset_entries: usize) -> bool {
        self.add_ref(MemberRef::Bytes(member), max_intset_entries)
    }

    /// [`SetValue::add`] for a member taken from another set.
    pub fn add_ref(&mut self, member: MemberRef<'_>, max_intset_entries: usize) -> bool {
        match self {
            SetValue::Intset(is) => match member.as_int() {
                Some(v) => {
                    if !is.insert(v) {
                        return false;
                    }
                    if is.len() > max_intset_entries.min(MAX_INTSET_ENTRIES_CAP) {
                        self.convert_to_hashtable();
                    }
                    true
                }
                None => {
                    self.convert_to_hashtable();
                    self.add_ref(member, max_intset_entries)
                }
            },
            SetValue::Hashtable(d) => {
                let key = member.to_member();
                d.insert_new(key, ()).is_ok()
            }
        }
    }

    /// Removes `member`; true if it was present (Redis's `setTypeRemove`).
    /// A hashtable that became sparse starts shrinking, as in Redis.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_ref(MemberRef::Bytes(member))
    }

    /// [`SetValue::remove`] for a member taken from another set.
    pub fn remove_ref(&mut self, member: MemberRef<'_>) -> bool {
        match self {
            SetValue::Intset(is) => member.as_int().is_some_and(|v| is.remove(v)),
            SetValue::Hashtable(d) => {
                let removed = match member {
                    MemberRef::Bytes(b) => d.remove(b).is_some(),
                    MemberRef::Int(v) => d.remove(int_str(v, &mut [0; 20])).is_some(),
                };
                if removed {
                    d.resize_if_needed();
                }
                removed
            }
        }
    }

    /// Membership without a rehash step (for multi-set algorithms that hold
    /// several sets at once).
    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_ref(MemberRef::Bytes(member))
    }

    /// [`SetValue::contains`] for a member taken from another set.
    pub fn contains_ref(&self, member: MemberRef<'_>) -> bool {
        match self {
            SetValue::Intset(is) => member.as_int().is_some_and(|v| is.contains(v)),
            SetValue::Hashtable(d) => match member {
                MemberRef::Bytes(b) => d.contains_key(b),
                MemberRef::Int(v) => d.contains_key(int_str(v, &mut [0; 20])),
            },
        }
    }

    /// Membership as SISMEMBER asks it (Redis's `setTypeIsMember`): like
    /// Redis's `dictFind`, a lookup in a rehashing table moves it one step.
    pub fn is_member(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(is) => numbers::parse_i64(member).is_some_and(|v| is.contains(v)),
            SetValue::Hashtable(d) => d.find(member).is_some(),
        }
    }

    /// A random member, `None` if empty (Redis's `setTypeRandomElement`):
    /// uniform for an intset, `dictGetFairRandomKey` for a hashtable.
    pub fn random_member(&mut self) -> Option<MemberRef<'_>> {
        match self {
            SetValue::Intset(is) => {
                if is.is_empty() {
                    return None;
                }
                is.get(dict::random_below(is.len())).map(MemberRef::Int)
            }
            SetValue::Hashtable(d) => d.fair_random_entry().map(|(k, _)| MemberRef::Bytes(k)),
        }
    }

    /// Members in storage order: ascending for an intset, bucket order for
    /// a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            SetValue::Intset(is) => Iter::Int(is.iter()),
            SetValue::Hashtable(d) => Iter::Hash(d.iter()),
        }
    }

    /// Turns an intset into a hashtable presized for its members (Redis's
    /// `setTypeConvert`); a no-op for a hashtable.
    pub fn convert_to_hashtable(&mut self) {
        let is = match self {
            SetValue::Intset(is) => is,
            SetValue::Hashtable(_) => return,
        };
        let mut d: SetDict = Dict::new();
        d.expand(is.len());
        let mut buf = [0u8; 20];
        for v in is.iter() {
            d.insert(int_str(v, &mut buf).into(), ());
        }
        *self = SetValue::Hashtable(d);
    }

    /// The intset, if that is the encoding.
    pub fn as_intset(&self) -> Option<&IntSet> {
        match self {
            SetValue::Intset(is) => Some(is),
            SetValue::Hashtable(_) => None,
        }
    }

    /// The dict, if that is the encoding.
    pub fn as_dict(&self) -> Option<&SetDict> {
        match self {
            SetValue::Hashtable(d) => Some(d),
            SetValue::Intset(_) => None,
        }
    }

    /// Approximate bytes owned by the value (MEMORY USAGE), in the spirit of
    /// Redis's `objectComputeSize`: the blob for an intset; for a hashtable
    /// the table and entries, plus the member strings estimated from the
    /// first [`MEMORY_SAMPLES`] members (Redis's default `SAMPLES 5`), so the
    /// cost does not grow with the set.
    pub fn heap_size(&self) -> usize {
        match self {
            SetValue::Intset(is) => is.heap_size(),
            SetValue::Hashtable(d) => {
                let (n, bytes) = d
                    .keys()
                    .take(MEMORY_SAMPLES)
                    .fold((0usize, 0usize), |(n, b), k| (n + 1, b + k.len()));
                let members = (bytes * d.len()).checked_div(n).unwrap_or(0);
                d.allocated_bytes() + members
            }
        }
    }
}

/// Iterator over a [`SetValue`]'s members; see [`SetValue::iter`].
pub enum Iter<'a> {
    Int(intset::Iter<'a>),
    Hash(dict::Iter<'a, Member, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = MemberRef<'a>;

    fn next(&mut self) -> Option<MemberRef<'a>> {
        match self {
            Iter::Int(it) => it.next().map(MemberRef::Int),
            Iter::Hash(it) => it.next().map(|(k, _)| MemberRef::Bytes(k)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Int(it) => it.size_hint(),
            Iter::Hash(it) => it.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &SetValue) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_bytes().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn integers_stay_intset_until_the_limit() {
        let mut s = SetValue::create_for(b"1");
        assert_eq!(s.encoding(), "intset");
        for i in 0..4 {
            assert!(s.add(i.to_string().as_bytes(), 4));
        }
        assert!(!s.add(b"3", 4));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 4));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);
        assert!(s.contains(b"4") && s.contains(b"0") && !s.contains(b"5"));
        // Never back, even when emptied down to integers.
        for i in 0..4 {
            assert!(s.remove(i.to_string().as_bytes()));
        }
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), vec![b"4".to_vec()]);
    }

    #[test]
    fn non_canonical_integers_are_strings() {
        for m in [
            &b"007"[..],
            b"+1",
            b" 1",
            b"-0",
            b"1.0",
            b"9223372036854775808",
            b"",
        ] {
            let mut s = SetValue::create_for(b"1");
            s.add(b"1", 512);
            assert!(s.add(m, 512), "{:?}", m);
            assert_eq!(
                s.encoding(),
                "hashtable",
                "{:?}",
                String::from_utf8_lossy(m)
            );
            assert!(s.contains(m) && s.contains(b"1"));
        }
        assert_eq!(SetValue::create_for(b"a").encoding(), "hashtable");
        let mut s = SetValue::create_for(b"-9223372036854775808");
        assert!(s.add(b"-9223372036854775808", 512));
        assert_eq!(s.encoding(), "intset");
    }

    #[test]
    fn zero_limit_converts_on_first_member() {
        let mut s = SetValue::create_for(b"5");
        assert!(s.add(b"5", 0));
        assert_eq!(s.encoding(), "hashtable");
        // The cap protects the u32 length even for absurd settings.
        let mut s = SetValue::new_intset();
        assert!(s.add(b"5", usize::MAX));
        assert_eq!(s.encoding(), "intset");
    }

    #[test]
    fn member_refs_cross_encodings() {
        let mut ints = SetValue::new_intset();
        let mut strs = SetValue::new_hashtable();
        for m in ["1", "2", "-3"] {
            ints.add(m.as_bytes(), 512);
            strs.add(m.as_bytes(), 512);
        }
        strs.add(b"x", 512);
        for m in ints.iter() {
            assert!(strs.contains_ref(m));
        }
        assert!(ints.contains_ref(MemberRef::Bytes(b"-3")));
        assert!(!ints.contains_ref(MemberRef::Bytes(b"x")));
        assert!(strs.remove_ref(MemberRef::Int(-3)));
        assert!(!strs.contains(b"-3"));
        assert!(!ints.remove_ref(MemberRef::Bytes(b"x")));
        let mut copy = SetValue::new_intset();
        for m in strs.iter() {
            copy.add_ref(m, 512);
        }
        assert_eq!(copy.encoding(), "hashtable");
        assert_eq!(members(&copy), members(&strs));
        assert_eq!(
            ints.iter().collect::<Vec<_>>(),
            vec![MemberRef::Int(-3), MemberRef::Int(1), MemberRef::Int(2)]
        );
    }

    #[test]
    fn conversion_keeps_members_and_is_member_works() {
        let mut s = SetValue::new_intset();
        for i in -50..50 {
            s.add(i.to_string().as_bytes(), 512);
        }
        let before = members(&s);
        s.convert_to_hashtable();
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), before);
        assert!(s.is_member(b"-50") && !s.is_member(b"50"));
        assert!(s.as_dict().is_some() && s.as_intset().is_none());
    }

    #[test]
    fn random_member_covers_the_set() {
        dict::seed_random(42);
        for mut s in [SetValue::new_intset(), SetValue::new_hashtable()] {
            assert!(s.random_member().is_none());
            for i in 0..10 {
                s.add(i.to_string().as_bytes(), 512);
            }
            let mut seen = std::collections::HashSet::new();
            for _ in 0..500 {
                let m = s.random_member().map(|m| m.to_member()).unwrap();
                assert!(s.contains(&m));
                seen.insert(m);
            }
            assert_eq!(seen.len(), 10);
        }
    }

    #[test]
    fn equality_and_clone() {
        let mut a = SetValue::new_hashtable();
        let mut b = SetValue::new_hashtable();
        a.add(b"x", 512);
        a.add(b"y", 512);
        b.add(b"y", 512);
        assert_ne!(a, b);
        b.add(b"x", 512);
        assert_eq!(a, b);
        assert_eq!(a.clone(), a);
        assert_ne!(SetValue::new_intset(), SetValue::new_hashtable());
    }

    #[test]
    fn int_str_formats_extremes() {
        let mut buf = [0u8; 20];
        assert_eq!(int_str(0, &mut buf), b"0");
        assert_eq!(int_str(-7, &mut buf), b"-7");
        assert_eq!(int_str(i64::MIN, &mut buf), b"-9223372036854775808");
        assert_eq!(int_str(i64::MAX, &mut buf), b"9223372036854775807");
    }
}
