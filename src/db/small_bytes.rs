//! `SmallBytes`: an immutable byte string that keeps up to 15 bytes inside
//! itself and only longer ones on the heap. The keyspace stores its keys
//! this way.
//!
//! # Why
//!
//! Most keys are short (`user:1000`, `session:ab12`). As a `Box<[u8]>` each
//! one costs a separate heap allocation (8 or 16 bytes of a jemalloc size
//! class, plus the allocator's bookkeeping and a cache miss to reach it) on
//! top of the 16-byte pointer-and-length that sits in the dict entry. Redis
//! pays for an `sds` allocation per key too. Keeping short keys in those 16
//! bytes instead removes the allocation altogether: one million keys of a
//! dozen bytes save 16 MB, and comparing a key during a lookup touches no
//! other cache line than the entry's.
//!
//! # Layout
//!
//! Sixteen bytes, a union of
//! - inline: `[u8; 16]`: the bytes in `0..len`, and byte 15 holds
//!   `0x80 | len` (len <= 15);
//! - heap: a pointer and a length, the pair `Box<[u8]>::into_raw` gives.
//!
//! On a little-endian machine byte 15 of the heap form is the top byte of
//! the length, which is 0 for any length below 2^56; so byte 15 tells the
//! forms apart: high bit set = inline. (The module refuses to build on
//! big-endian targets rather than guess.)
//!
//! Hashing and equality are those of the byte slice, so a dict keyed by
//! `SmallBytes` is looked up with a plain `&[u8]` (`Borrow<[u8]>`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

#[cfg(not(target_endian = "little"))]
compile_error!("SmallBytes tells its two forms apart by the top byte of a little-endian length");

/// Longest string kept inline.
pub const INLINE_MAX: usize = 15;
const INLINE_TAG: u8 = 0x80;

#[derive(Clone, Copy)]
#[repr(C)]
struct Heap {
    ptr: *mut u8,
    len: usize,
}

#[repr(C)]
union Repr {
    inline: [u8; 16],
    heap: Heap,
}

/// A byte string stored inline up to [`INLINE_MAX`] bytes (see the module
/// comment).
pub struct SmallBytes {
    repr: Repr,
}

impl SmallBytes {
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE_MAX {
            let mut inline = [0u8; 16];
            inline[..b.len()].copy_from_slice(b);
            inline[15] = INLINE_TAG | b.len() as u8;
            SmallBytes {
                repr: Repr { inline },
            }
        } else {
            SmallBytes::from_box(b.into())
        }
    }

    fn from_box(b: Box<[u8]>) -> SmallBytes {
        if b.len() <= INLINE_MAX {
            return SmallBytes::new(&b);
        }
        let len = b.len();
        let ptr = Box::into_raw(b) as *mut u8;
        SmallBytes {
            repr: Repr {
                heap: Heap { ptr, len },
            },
        }
    }

    fn is_inline(&self) -> bool {
        // SAFETY: every bit pattern of the 16 bytes is a valid [u8; 16]
        // (both forms initialise all of them).
        unsafe { self.repr.inline[15] & INLINE_TAG != 0 }
    }

    pub fn as_bytes(&self) -> &[u8] {
        if self.is_inline() {
            // SAFETY: inline form, checked above; len <= 15 by construction.
            unsafe {
                let len = (self.repr.inline[15] & !INLINE_TAG) as usize;
                &self.repr.inline[..len]
            }
        } else {
            // SAFETY: heap form: ptr/len come from Box::into_raw of a live
            // boxed slice that this value owns.
            unsafe {
                let h = self.repr.heap;
                std::slice::from_raw_parts(h.ptr, h.len)
            }
        }
    }

    /// Heap bytes owned besides the 16 inline ones (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        if self.is_inline() {
            0
        } else {
            self.len()
        }
    }
}

impl Drop for SmallBytes {
    fn drop(&mut self) {
        if !self.is_inline() {
            // SAFETY: heap form owns the boxed slice it was built from.
            unsafe {
                let h = self.repr.heap;
                drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    h.ptr, h.len,
                )));
            }
        }
    }
}

impl Clone for SmallBytes {
    fn clone(&self) -> SmallBytes {
        SmallBytes::new(self.as_bytes())
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &SmallBytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &SmallBytes) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes exactly like `[u8]`, so `Borrow<[u8]>` lookups find it.
impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_bytes().hash(h)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> SmallBytes {
        SmallBytes::new(b)
    }
}

impl From<&Vec<u8>> for SmallBytes {
    fn from(b: &Vec<u8>) -> SmallBytes {
        SmallBytes::new(b)
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(b: Vec<u8>) -> SmallBytes {
        if b.len() <= INLINE_MAX {
            SmallBytes::new(&b)
        } else {
            SmallBytes::from_box(b.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for SmallBytes {
    fn from(b: Box<[u8]>) -> SmallBytes {
        SmallBytes::from_box(b)
    }
}

impl From<&SmallBytes> for Vec<u8> {
    fn from(b: &SmallBytes) -> Vec<u8> {
        b.as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn sixteen_bytes_and_both_forms_round_trip() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 16);
        for len in [0usize, 1, 7, 8, 14, 15, 16, 17, 100, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            for s in [
                SmallBytes::new(&data),
                SmallBytes::from(data.clone()),
                SmallBytes::from(data.clone().into_boxed_slice()),
            ] {
                assert_eq!(s.as_bytes(), &data[..]);
                assert_eq!(s.is_inline(), len <= INLINE_MAX, "len {len}");
                assert_eq!(s.heap_size(), if len <= INLINE_MAX { 0 } else { len });
                let c = s.clone();
                assert_eq!(c, s);
                assert_eq!(h(&c), h(&data[..]));
                drop(s);
                assert_eq!(c.as_bytes(), &data[..]);
            }
        }
    }

    #[test]
    fn bytes_with_high_bits_stay_intact() {
        // Byte 15 is the tag only in the inline form; content bytes may be
        // anything, including 0x80 | n patterns.
        let odd = [0xffu8; 15];
        assert_eq!(SmallBytes::new(&odd).as_bytes(), &odd);
        let long = [0x8fu8; 40];
        assert_eq!(SmallBytes::new(&long).as_bytes(), &long);
    }

    #[test]
    fn dict_lookup_by_slice() {
        let mut m = std::collections::HashMap::new();
        m.insert(SmallBytes::new(b"short"), 1);
        m.insert(SmallBytes::new(b"a key longer than fifteen bytes"), 2);
        assert_eq!(m.get(&b"short"[..]), Some(&1));
        assert_eq!(m.get(&b"a key longer than fifteen bytes"[..]), Some(&2));
        assert_eq!(m.get(&b"nope"[..]), None);
    }

    #[test]
    fn ordering_is_bytewise() {
        let mut v: Vec<SmallBytes> = ["b", "a", "aaaaaaaaaaaaaaaaaaaa", ""]
            .iter()
            .map(|s| SmallBytes::new(s.as_bytes()))
            .collect();
        v.sort();
        let got: Vec<&[u8]> = v.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(got, [&b""[..], b"a", b"aaaaaaaaaaaaaaaaaaaa", b"b"]);
    }
}
