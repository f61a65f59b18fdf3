//! `EmbStr`: the bytes of an `embstr`-encoded string value in one machine
//! word (~ Redis's `createEmbeddedStringObject`, which puts the `robj`
//! header and the `sds` in a single allocation).
//!
//! # Why
//!
//! A string value lives inside its key's dict entry, next to the key and
//! the LRU clock; that entry fits jemalloc's 48-byte size class only if the
//! value is at most 16 bytes with its tag (see `compact.rs` for the same
//! reasoning about hashes and sorted sets). So an `embstr` gets 8 bytes:
//!
//! - up to 7 bytes are kept inside the word itself (no allocation: the
//!   3-byte values `redis-benchmark` writes, flags, small codes);
//! - longer ones (up to [`MAX_LEN`]) live in a block of `1 + len` bytes
//!   holding the length and the bytes, like a type-8 `sds` without the
//!   terminator. A 10-byte value costs 16 bytes, the same jemalloc class
//!   Redis's embstr `robj` + `sds` would use for its string part.
//!
//! # Layout
//!
//! A union of the block pointer (2-byte aligned, so its low bit is 0) and
//! eight raw bytes whose first byte is `len << 1 | 1` (low bit 1 = inline;
//! the machine is little endian, so that byte is also the pointer's low
//! byte) followed by the bytes themselves.

use std::ptr::NonNull;

#[cfg(not(target_endian = "little"))]
compile_error!("EmbStr tells its two forms apart by the low byte of a little-endian pointer");

/// Longest string kept inside the word.
pub const INLINE_MAX: usize = 7;
/// Longest string an `EmbStr` holds (its length is one byte).
pub const MAX_LEN: usize = 255;
const BLOCK_ALIGN: usize = 2;

#[derive(Clone, Copy)]
union Repr {
    block: NonNull<u8>,
    inline: [u8; 8],
}

/// An immutable short byte string in 8 bytes (see the module comment).
pub struct EmbStr {
    repr: Repr,
}

// SAFETY: an `EmbStr` owns its block outright and never shares it.
unsafe impl Send for EmbStr {}
// SAFETY: shared access only reads.
unsafe impl Sync for EmbStr {}

impl EmbStr {
    /// Copies `b` (at most [`MAX_LEN`] bytes: callers store longer strings
    /// as `raw`).
    pub fn new(b: &[u8]) -> EmbStr {
        assert!(b.len() <= MAX_LEN, "embstr longer than {MAX_LEN} bytes");
        if b.len() <= INLINE_MAX {
            let mut inline = [0u8; 8];
            inline[0] = (b.len() as u8) << 1 | 1;
            inline[1..=b.len()].copy_from_slice(b);
            return EmbStr {
                repr: Repr { inline },
            };
        }
        let layout = Self::layout(b.len());
        // SAFETY: the layout is at least 9 bytes.
        let raw = unsafe { std::alloc::alloc(layout) };
        let Some(block) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: the block is 1 + len bytes and does not overlap `b`.
        unsafe {
            *block.as_ptr() = b.len() as u8;
            std::ptr::copy_nonoverlapping(b.as_ptr(), block.as_ptr().add(1), b.len());
        }
        EmbStr {
            repr: Repr { block },
        }
    }

    fn layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(1 + len, BLOCK_ALIGN).expect("small layout")
    }

    #[inline]
    fn is_inline(&self) -> bool {
        // SAFETY: both forms are 8 initialized bytes; byte 0 tells them apart.
        unsafe { self.repr.inline[0] & 1 == 1 }
    }

    /// Heap bytes held (the block, or nothing when inline).
    pub fn heap_size(&self) -> usize {
        if self.is_inline() {
            0
        } else {
            1 + self.len()
        }
    }
}

impl std::ops::Deref for EmbStr {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: inline: byte 0 holds the length (<= 7), the bytes follow
        // inside `self`. Block: a live block of 1 + len bytes owned by `self`.
        unsafe {
            if self.is_inline() {
                let len = usize::from(self.repr.inline[0] >> 1);
                &self.repr.inline[1..=len]
            } else {
                let p = self.repr.block.as_ptr();
                std::slice::from_raw_parts(p.add(1), usize::from(*p))
            }
        }
    }
}

impl Drop for EmbStr {
    fn drop(&mut self) {
        if !self.is_inline() {
            let len = self.len();
            // SAFETY: the block was allocated with this layout and is freed once.
            unsafe { std::alloc::dealloc(self.repr.block.as_ptr(), Self::layout(len)) };
        }
    }
}

impl Clone for EmbStr {
    fn clone(&self) -> EmbStr {
        EmbStr::new(self)
    }
}

impl PartialEq for EmbStr {
    fn eq(&self, other: &EmbStr) -> bool {
        **self == **other
    }
}

impl Eq for EmbStr {}

impl std::fmt::Debug for EmbStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

impl From<&[u8]> for EmbStr {
    fn from(b: &[u8]) -> EmbStr {
        EmbStr::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_round_trips() {
        assert_eq!(std::mem::size_of::<EmbStr>(), 8);
        for n in 0..=MAX_LEN {
            let b: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
            let e = EmbStr::new(&b);
            assert_eq!(&*e, &b[..]);
            assert_eq!(e.heap_size(), if n <= INLINE_MAX { 0 } else { n + 1 });
            let c = e.clone();
            drop(e);
            assert_eq!(&*c, &b[..]);
        }
        // Inline bytes with the low bit set in the first data byte are
        // still read back as inline.
        assert_eq!(&*EmbStr::new(&[0xFF; 7]), &[0xFF; 7]);
    }
}
