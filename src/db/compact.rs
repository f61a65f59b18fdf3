//! `Compact<T>`: a small aggregate's two encodings in one machine word
//! (the storage behind [`HashValue`](super::hash::HashValue) and
//! [`ZSetValue`](super::zset::ZSetValue); in Redis, `robj->ptr` plus the
//! `encoding` field of the object header).
//!
//! # Why
//!
//! A key's value lives inside its dict entry (`dict.rs`), so every byte of
//! the value type is paid once per key. A plain Rust enum of "listpack or
//! boxed table" takes 16 bytes (an 8-byte tag word plus the pointer); the
//! value enum around it then needs another tag word, and the entry lands in
//! jemalloc's 64-byte size class. With both encodings folded into one
//! pointer, the value type is 16 bytes, the object header with its LRU
//! clock 24, and the whole entry (key, value, chain pointer) 48: 16 bytes
//! less per key than before, which is what puts a million small hashes
//! below Redis's memory use (Redis: 24-byte `dictEntry`, 16-byte `robj`,
//! an `sds` key).
//!
//! # Layout
//!
//! The word is the listpack's block pointer itself (2-byte aligned, low bit
//! 0), or the `Box<T>` pointer with its low bit set (`T` is at least 2-byte
//! aligned, checked at compile time). Because a listpack is nothing but
//! that pointer (`Listpack` and `Compact` are both `repr(transparent)` over
//! it), a `&Compact<T>` whose bit is clear can be lent out as a
//! `&Listpack`; the borrower may replace the listpack, and any listpack it
//! stores there keeps the bit clear.
//!
//! Callers never see the bit: [`Compact::get`], [`Compact::get_mut`] and
//! [`Compact::into_enc`] hand out an ordinary [`Enc`] to match on.

use std::marker::PhantomData;
use std::ptr::NonNull;

use super::listpack::Listpack;

/// A borrowed or owned view of the two encodings.
pub enum Enc<L, B> {
    /// The compact encoding.
    Listpack(L),
    /// The big encoding (hash table, skiplist).
    Big(B),
}

/// A listpack or a boxed `T`, in one pointer (see the module comment).
#[repr(transparent)]
pub struct Compact<T> {
    raw: NonNull<u8>,
    _owns: PhantomData<Box<T>>,
}

// SAFETY: `Compact<T>` owns either a listpack (Send + Sync) or a `Box<T>`.
unsafe impl<T: Send> Send for Compact<T> {}
// SAFETY: as above; shared access only reads.
unsafe impl<T: Sync> Sync for Compact<T> {}

const BIG_TAG: usize = 1;

impl<T> Compact<T> {
    const ALIGN_OK: () = assert!(
        std::mem::align_of::<T>() >= 2,
        "the low pointer bit is the tag"
    );

    pub fn from_listpack(lp: Listpack) -> Compact<T> {
        let raw = lp.into_raw();
        debug_assert_eq!(raw.as_ptr() as usize & BIG_TAG, 0);
        Compact {
            raw,
            _owns: PhantomData,
        }
    }

    pub fn from_big(b: Box<T>) -> Compact<T> {
        #[allow(clippy::let_unit_value)]
        let () = Self::ALIGN_OK;
        let p = Box::into_raw(b) as *mut u8;
        // Setting the low bit of an aligned, non-null pointer keeps it
        // non-null.
        let raw = NonNull::new(p.map_addr(|a| a | BIG_TAG)).expect("non-null box");
        Compact {
            raw,
            _owns: PhantomData,
        }
    }

    #[inline]
    fn is_big(&self) -> bool {
        self.raw.as_ptr() as usize & BIG_TAG != 0
    }

    #[inline]
    fn big_ptr(&self) -> *mut T {
        self.raw.as_ptr().map_addr(|a| a & !BIG_TAG) as *mut T
    }

    /// The encoding, borrowed.
    #[inline]
    pub fn get(&self) -> Enc<&Listpack, &T> {
        if self.is_big() {
            // SAFETY: the untagged pointer came from `Box::into_raw` and the
            // box is alive for as long as `self`.
            Enc::Big(unsafe { &*self.big_ptr() })
        } else {
            // SAFETY: with the bit clear, `self` holds exactly a listpack's
            // pointer, and both types are transparent over it.
            Enc::Listpack(unsafe { &*(self as *const Compact<T> as *const Listpack) })
        }
    }

    /// The encoding, mutably borrowed.
    #[inline]
    pub fn get_mut(&mut self) -> Enc<&mut Listpack, &mut T> {
        if self.is_big() {
            // SAFETY: as in `get`; `&mut self` makes the access unique.
            Enc::Big(unsafe { &mut *self.big_ptr() })
        } else {
            // SAFETY: as in `get`. Whatever listpack the caller stores
            // through this reference is again a clear-bit pointer.
            Enc::Listpack(unsafe { &mut *(self as *mut Compact<T> as *mut Listpack) })
        }
    }

    /// The encoding, owned.
    pub fn into_enc(self) -> Enc<Listpack, Box<T>> {
        let me = std::mem::ManuallyDrop::new(self);
        if me.is_big() {
            // SAFETY: the pointer came from `Box::into_raw`; `me` is never
            // dropped, so the box has one owner again.
            Enc::Big(unsafe { Box::from_raw(me.big_ptr()) })
        } else {
            // SAFETY: the pointer came from `Listpack::into_raw`, and `me`
            // is never dropped.
            Enc::Listpack(unsafe { Listpack::from_raw(me.raw) })
        }
    }
}

impl<T> Drop for Compact<T> {
    fn drop(&mut self) {
        if self.is_big() {
            // SAFETY: see `into_enc`; this is the last use of the pointer.
            drop(unsafe { Box::from_raw(self.big_ptr()) });
        } else {
            // SAFETY: see `into_enc`; this is the last use of the pointer.
            drop(unsafe { Listpack::from_raw(self.raw) });
        }
    }
}

impl<T: Clone> Clone for Compact<T> {
    fn clone(&self) -> Compact<T> {
        match self.get() {
            Enc::Listpack(lp) => Compact::from_listpack(lp.clone()),
            Enc::Big(b) => Compact::from_big(Box::new(b.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_both_ways() {
        assert_eq!(std::mem::size_of::<Compact<Vec<u8>>>(), 8);
        let mut lp = Listpack::new();
        lp.append(b"a");
        let mut c: Compact<Vec<u8>> = Compact::from_listpack(lp);
        match c.get_mut() {
            Enc::Listpack(lp) => {
                lp.append(b"bb");
                // Replacing the listpack through the reference keeps it one.
                let mut other = Listpack::new();
                other.append(b"c");
                other.append(b"d");
                other.append(b"e");
                *lp = other;
            }
            Enc::Big(_) => panic!("listpack expected"),
        }
        match c.get() {
            Enc::Listpack(lp) => assert_eq!(lp.len(), 3),
            Enc::Big(_) => panic!("listpack expected"),
        }
        let copy = c.clone();
        c = Compact::from_big(Box::new(vec![1, 2, 3]));
        match c.get_mut() {
            Enc::Big(v) => v.push(4),
            Enc::Listpack(_) => panic!("big expected"),
        }
        match c.into_enc() {
            Enc::Big(v) => assert_eq!(*v, vec![1, 2, 3, 4]),
            Enc::Listpack(_) => panic!("big expected"),
        }
        match copy.into_enc() {
            Enc::Listpack(lp) => assert_eq!(lp.len(), 3),
            Enc::Big(_) => panic!("listpack expected"),
        }
    }
}
