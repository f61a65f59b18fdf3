//! The listpack: a whole sequence of small strings and integers serialized
//! into one byte buffer (~ Redis's `listpack.c` / `listpack.h`), byte for
//! byte the format Redis 7.0 keeps in memory and writes into RDB files and
//! DUMP payloads.
//!
//! Small hashes use it today (field, value, field, value...); small lists
//! (quicklist nodes) and small sorted sets (member, score...) are meant to
//! share it, so the module knows nothing about pairs beyond the random
//! sampling helpers those types need.
//!
//! # Why a listpack
//!
//! The problem: most hashes, lists and sorted sets in real datasets are
//! tiny: a user record of ten short fields, a list of three ids. Stored in a
//! hash table, every field costs a dict entry (24 bytes in Redis, more in
//! Rust), two string allocations with their headers and allocator rounding,
//! and its share of the bucket array: easily 80-100 bytes of overhead for a
//! five-byte field. The idea: while a collection is small, give it one
//! allocation and pack the elements end to end, each with only the bytes
//! needed to find its neighbours. An element costs 1 to 9 bytes of overhead
//! (an encoding byte or two, plus a one-byte back-length for anything under
//! 128 bytes), and integers written in decimal are stored as binary
//! integers, so "42" takes one byte in total and "1700000000" five plus one.
//!
//! The price: no index. Finding a field is a linear scan, inserting or
//! deleting in the middle moves every later byte (and usually reallocates),
//! so every operation is O(n) in the buffer size. That is a good trade only
//! while n is small, which is why every type that uses a listpack also has a
//! limit (`hash-max-listpack-entries` / `-value`, `zset-max-listpack-*`,
//! `list-max-listpack-size`) beyond which it converts, once and for all, to
//! a real hash table, skiplist or chain of listpacks. The scan is also
//! cache-friendly: 128 short fields fit in a few cache lines, so below the
//! limits a listpack is usually *faster* than hashing.
//!
//! # Format
//!
//! ```text
//! <total-bytes: u32 LE> <num-elements: u16 LE> <entry> ... <entry> <0xFF>
//! ```
//!
//! `num-elements` saturates: 65535 means "count unknown, walk the list".
//! Each entry is `<encoding+data> <backlen>`. The encoding's first byte says
//! what follows:
//!
//! | first byte | meaning | size |
//! |---|---|---|
//! | `0xxxxxxx` | unsigned integer 0..=127 | 1 |
//! | `10LLLLLL` | string of up to 63 bytes | 1 + len |
//! | `110xxxxx` + 1 byte | signed 13-bit integer | 2 |
//! | `1110LLLL` + 1 byte | string of up to 4095 bytes | 2 + len |
//! | `0xF0` + u32 LE | longer string | 5 + len |
//! | `0xF1` / `0xF2` / `0xF3` / `0xF4` | 16 / 24 / 32 / 64-bit integer, LE | 3 / 4 / 5 / 9 |
//!
//! `backlen` is the size of `<encoding+data>` written as 1 to 5 bytes of
//! 7 bits each, most significant group first, with the high bit set on
//! every byte but the first: read from its last byte backwards it is a
//! varint, which is what lets iteration run from the tail to the head.
//! (Its size thresholds are Redis's, off by one at 16383 and beyond; we
//! keep them, or our payloads would differ from Redis's.)
//!
//! A string element is stored as an integer exactly when Redis's
//! `lpStringToInt64` accepts it (canonical decimal: no sign but `-`, no
//! leading zeros, no spaces, fits in i64), so reading it back as decimal
//! gives the same bytes; "007", "-0" and "+1" stay strings.
//!
//! # Positions
//!
//! Entries are addressed by their byte offset in the buffer (Redis uses raw
//! pointers). An offset is valid until the next mutation; mutating methods
//! return the offset the caller needs next, like Redis's `newp` out
//! parameters.
//!
//! # Trust
//!
//! A `Listpack` built through this API is well formed by construction; only
//! [`Listpack::from_bytes`] accepts outside bytes, and it validates every
//! entry first (Redis's `lpValidateIntegrity` with deep checking). Reading a
//! well-formed buffer never panics; slice bounds checks turn any remaining
//! bug into a caught panic rather than a wild read.

use std::fmt;

use crate::db::dict::random_below;
use crate::util::numbers;

/// Header size: 32-bit total bytes plus 16-bit element count.
pub const HDR_SIZE: usize = 6;
/// The terminator byte, also the "no entry" marker of a position.
pub const EOF: u8 = 0xFF;
/// Element count stored when the real count does not fit in 16 bits.
const NUMELE_UNKNOWN: u16 = u16::MAX;
/// Largest size a listpack may grow to (Redis's `LISTPACK_MAX_SAFETY_SIZE`):
/// callers convert to another encoding before crossing it, well before the
/// 32-bit total-bytes field could overflow.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;

/// One element as stored: an integer, or bytes borrowed from the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl LpEntry<'_> {
    /// Length of the element's string form (`"-12"` is 3).
    pub fn str_len(&self) -> usize {
        match self {
            LpEntry::Int(v) => numbers::digits10(v.unsigned_abs()) + usize::from(*v < 0),
            LpEntry::Str(s) => s.len(),
        }
    }

    /// Appends the string form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            LpEntry::Int(v) => numbers::fmt_i64(*v, out),
            LpEntry::Str(s) => out.extend_from_slice(s),
        }
    }

    /// The string form as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.str_len());
        self.write_to(&mut v);
        v
    }

    /// Whether the string form equals `s`.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match self {
            LpEntry::Str(v) => *v == s,
            LpEntry::Int(v) => numbers::parse_i64(s) == Some(*v),
        }
    }
}

/// Where [`Listpack::insert`] puts the new element relative to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    Before,
    After,
}

/// An element in its on-disk encoding, minus the backlen.
enum Encoded<'a> {
    /// Integer encodings are at most 9 bytes: the tag and 8 data bytes.
    Int([u8; 9], usize),
    Str(&'a [u8]),
}

impl<'a> Encoded<'a> {
    /// Integer encoding when the bytes are a canonical i64, else a string.
    fn of_bytes(s: &'a [u8]) -> Encoded<'a> {
        match numbers::parse_i64(s) {
            Some(v) => Encoded::of_int(v),
            None => Encoded::Str(s),
        }
    }

    /// The smallest integer encoding holding `v` (`lpEncodeIntegerGetType`).
    fn of_int(v: i64) -> Encoded<'static> {
        let mut b = [0u8; 9];
        let n = if (0..=127).contains(&v) {
            b[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            // 13-bit two's complement split over the tag byte and one more.
            let u = (v as u16) & 0x1FFF;
            b[0] = ENC_13BIT_INT | (u >> 8) as u8;
            b[1] = u as u8;
            2
        } else if i64::from(i16::MIN) <= v && v <= i64::from(i16::MAX) {
            b[0] = ENC_16BIT_INT;
            b[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            b[0] = ENC_24BIT_INT;
            b[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if i64::from(i32::MIN) <= v && v <= i64::from(i32::MAX) {
            b[0] = ENC_32BIT_INT;
            b[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            b[0] = ENC_64BIT_INT;
            b[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Encoded::Int(b, n)
    }

    /// Bytes of encoding plus data (what the backlen records).
    fn len(&self) -> usize {
        match self {
            Encoded::Int(_, n) => *n,
            Encoded::Str(s) if s.len() < 64 => 1 + s.len(),
            Encoded::Str(s) if s.len() < 4096 => 2 + s.len(),
            Encoded::Str(s) => 5 + s.len(),
        }
    }

    /// Writes exactly `self.len()` bytes into `dst`.
    fn write(&self, dst: &mut [u8]) {
        match self {
            Encoded::Int(b, n) => dst[..*n].copy_from_slice(&b[..*n]),
            Encoded::Str(s) => {
                let len = s.len();
                let hdr = if len < 64 {
                    dst[0] = ENC_6BIT_STR | len as u8;
                    1
                } else if len < 4096 {
                    dst[0] = ENC_12BIT_STR | (len >> 8) as u8;
                    dst[1] = len as u8;
                    2
                } else {
                    dst[0] = ENC_32BIT_STR;
                    dst[1..5].copy_from_slice(&(len as u32).to_le_bytes());
                    5
                };
                dst[hdr..hdr + len].copy_from_slice(s);
            }
        }
    }
}

/// Bytes the backlen of an entry of `l` encoded bytes takes
/// (`lpEncodeBacklen` with a null buffer; note the `<` past 127).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Writes the backlen of `l` into `dst[..backlen_size(l)]`: 7-bit groups,
/// most significant first, continuation bit on all but the first byte.
fn write_backlen(dst: &mut [u8], l: usize) {
    let n = backlen_size(l);
    for (i, b) in dst[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        *b = ((l >> shift) & 127) as u8 | if i > 0 { 128 } else { 0 };
    }
}

/// Decodes the backlen whose last byte is `buf[end]`, reading backwards.
/// `None` if it runs off the buffer or exceeds 5 bytes.
fn decode_backlen(buf: &[u8], end: usize) -> Option<usize> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        let b = *buf.get(i)?;
        val |= usize::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        i = i.checked_sub(1)?;
    }
}

/// Size of the encoding plus data of the entry at `p`, or `None` for an
/// invalid encoding byte or a truncated length (`lpCurrentEncodedSizeUnsafe`
/// made safe). The EOF byte counts as 1.
fn encoded_size(buf: &[u8], p: usize) -> Option<usize> {
    let b = *buf.get(p)?;
    Some(if b & 0x80 == 0 {
        1
    } else if b & 0xC0 == ENC_6BIT_STR {
        1 + usize::from(b & 0x3F)
    } else if b & 0xE0 == ENC_13BIT_INT {
        2
    } else if b & 0xF0 == ENC_12BIT_STR {
        2 + ((usize::from(b & 0x0F) << 8) | usize::from(*buf.get(p + 1)?))
    } else {
        match b {
            ENC_32BIT_STR => {
                let len = buf.get(p + 1..p + 5)?;
                5 + u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize
            }
            ENC_16BIT_INT => 3,
            ENC_24BIT_INT => 4,
            ENC_32BIT_INT => 5,
            ENC_64BIT_INT => 9,
            EOF => 1,
            _ => return None,
        }
    })
}

/// Whole size of the (valid) entry at `p`: encoding, data and backlen.
#[inline]
fn entry_size(buf: &[u8], p: usize) -> usize {
    let enc = encoded_size(buf, p).unwrap_or(1);
    enc + backlen_size(enc)
}

/// Decodes the (valid) entry at `p` (`lpGet` without `intbuf`).
fn entry_at(buf: &[u8], p: usize) -> LpEntry<'_> {
    let b = buf[p];
    let le = |n: usize| -> u64 {
        buf[p + 1..p + 1 + n]
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
    };
    // Sign-extends the low `bits` bits of `u`.
    let signed = |u: u64, bits: u32| -> i64 { ((u << (64 - bits)) as i64) >> (64 - bits) };
    if b & 0x80 == 0 {
        LpEntry::Int(i64::from(b))
    } else if b & 0xC0 == ENC_6BIT_STR {
        let len = usize::from(b & 0x3F);
        LpEntry::Str(&buf[p + 1..p + 1 + len])
    } else if b & 0xE0 == ENC_13BIT_INT {
        let u = (u64::from(b & 0x1F) << 8) | u64::from(buf[p + 1]);
        LpEntry::Int(signed(u, 13))
    } else if b & 0xF0 == ENC_12BIT_STR {
        let len = (usize::from(b & 0x0F) << 8) | usize::from(buf[p + 1]);
        LpEntry::Str(&buf[p + 2..p + 2 + len])
    } else {
        match b {
            ENC_32BIT_STR => {
                let len = le(4) as usize;
                LpEntry::Str(&buf[p + 5..p + 5 + len])
            }
            ENC_16BIT_INT => LpEntry::Int(signed(le(2), 16)),
            ENC_24BIT_INT => LpEntry::Int(signed(le(3), 24)),
            ENC_32BIT_INT => LpEntry::Int(signed(le(4), 32)),
            ENC_64BIT_INT => LpEntry::Int(le(8) as i64),
            // Unreachable on a validated buffer; Redis returns this marker
            // value rather than crashing, and so do we.
            _ => LpEntry::Int(12_345_678_900_000_000 + i64::from(b)),
        }
    }
}

/// Start of the entry that ends right before `p` (`p` is an entry or EOF
/// and is not the first entry).
#[inline]
fn prev_start(buf: &[u8], p: usize) -> usize {
    let enc = decode_backlen(buf, p - 1).unwrap_or(0);
    p - (enc + backlen_size(enc))
}

/// A listpack: header, entries, terminator, in one exactly-sized heap
/// block ([`Buf`]); the value itself is a single pointer.
#[derive(Clone, PartialEq, Eq)]
#[repr(transparent)]
pub struct Listpack {
    buf: Buf,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Listpack {
    /// An empty listpack: 7 bytes (`lpNew`).
    pub fn new() -> Listpack {
        Listpack {
            buf: Buf::from_slice(&[7, 0, 0, 0, 0, 0, EOF]),
        }
    }

    /// Adopts outside bytes (an RDB or DUMP payload) after checking every
    /// entry, the header and the terminator; `None` if anything is off.
    pub fn from_bytes(buf: Vec<u8>) -> Option<Listpack> {
        if validate(&buf) {
            Some(Listpack {
                buf: Buf::from_slice(&buf),
            })
        } else {
            None
        }
    }

    /// The serialized form, header to terminator (what DUMP embeds).
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Heap bytes held (the exact buffer size; the allocator rounds up).
    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }

    /// Whether `add` more bytes keep the listpack under
    /// [`MAX_SAFETY_SIZE`] (`lpSafeToAdd`).
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    /// The total-bytes field always equals the buffer's size: [`Buf`]
    /// keeps it so on every resize (it is the buffer's length).
    fn check_total_bytes(&self, n: usize) {
        debug_assert_eq!(self.buf.len(), n);
    }

    fn header_count(&self) -> u16 {
        u16::from_le_bytes([self.buf[4], self.buf[5]])
    }

    fn set_header_count(&mut self, n: u16) {
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
    }

    /// Number of elements: the header, or a walk when it saturated
    /// (`lpLength`, which would also cache the count back into the header).
    pub fn len(&self) -> usize {
        match self.header_count() {
            NUMELE_UNKNOWN => self.iter().count(),
            n => usize::from(n),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.buf[HDR_SIZE] == EOF
    }

    /// Position of the first element (`lpFirst`).
    pub fn first(&self) -> Option<usize> {
        (self.buf[HDR_SIZE] != EOF).then_some(HDR_SIZE)
    }

    /// Position of the last element (`lpLast`).
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Position of the element after `p` (`lpNext`).
    pub fn next(&self, p: usize) -> Option<usize> {
        let n = p + entry_size(&self.buf, p);
        (self.buf[n] != EOF).then_some(n)
    }

    /// Position of the element before `p`, which may also be the EOF
    /// position (`lpPrev`).
    pub fn prev(&self, p: usize) -> Option<usize> {
        (p > HDR_SIZE).then(|| prev_start(&self.buf, p))
    }

    /// The element at `p`.
    pub fn get(&self, p: usize) -> LpEntry<'_> {
        entry_at(&self.buf, p)
    }

    /// Position of element `index`, negative counting from the tail
    /// (`lpSeek`): walks from whichever end is nearer when the count is
    /// known.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let mut index = index;
        let mut forward = index >= 0;
        let count = self.header_count();
        if count != NUMELE_UNKNOWN {
            let n = i64::from(count);
            if index < 0 {
                index += n;
            }
            if index < 0 || index >= n {
                return None;
            }
            forward = index <= n / 2;
            if !forward {
                index -= n;
            }
        }
        if forward {
            let mut p = self.first()?;
            for _ in 0..index {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(-index - 1) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// First element at or after `p` whose string form equals `s`, looking
    /// only at every `skip + 1`-th element (`skip = 1` visits the fields of
    /// a field/value listpack). Integer elements are compared as integers,
    /// so `s` is parsed at most once (`lpFind`).
    pub fn find(&self, p: usize, s: &[u8], skip: usize) -> Option<usize> {
        let buf = &self.buf[..];
        let mut p = p;
        let mut skipcnt = 0;
        // None: not parsed yet; Some(None): `s` cannot equal an integer.
        let mut as_int: Option<Option<i64>> = None;
        while buf[p] != EOF {
            if skipcnt == 0 {
                match entry_at(buf, p) {
                    LpEntry::Str(v) => {
                        if v == s {
                            return Some(p);
                        }
                    }
                    LpEntry::Int(v) => {
                        let want = *as_int.get_or_insert_with(|| numbers::parse_i64(s));
                        if want == Some(v) {
                            return Some(p);
                        }
                    }
                }
                skipcnt = skip;
            } else {
                skipcnt -= 1;
            }
            p += entry_size(buf, p);
        }
        None
    }

    /// Whether the element at `p` equals `s` (`lpCompare`).
    pub fn compare(&self, p: usize, s: &[u8]) -> bool {
        self.get(p).eq_bytes(s)
    }

    /// Replaces the `old_len` bytes at `p` with `ele` plus its backlen, or
    /// just removes them when `ele` is `None`: the one primitive behind
    /// every mutation (`lpInsert`). The buffer is grown exactly before the
    /// move, or shrunk after it, so capacity always equals length.
    fn splice(&mut self, p: usize, old_len: usize, ele: Option<&Encoded>) {
        let enc_len = ele.map_or(0, Encoded::len);
        let new_len = if ele.is_some() {
            enc_len + backlen_size(enc_len)
        } else {
            0
        };
        let old_total = self.buf.len();
        let new_total = old_total - old_len + new_len;
        assert!(
            new_total <= u32::MAX as usize,
            "listpack would exceed 4 GB; callers check safe_to_add first"
        );
        if new_len > old_len {
            self.buf.resize(new_total);
            self.buf.copy_within(p + old_len..old_total, p + new_len);
        } else if new_len < old_len {
            self.buf.copy_within(p + old_len..old_total, p + new_len);
            self.buf.resize(new_total);
        }
        if let Some(e) = ele {
            e.write(&mut self.buf[p..p + enc_len]);
            write_backlen(&mut self.buf[p + enc_len..p + new_len], enc_len);
        }
        self.check_total_bytes(new_total);
    }

    /// Adds `delta` (+1/-1) to the element count unless it is saturated.
    fn bump_count(&mut self, delta: i32) {
        let n = self.header_count();
        if n != NUMELE_UNKNOWN {
            self.set_header_count((i32::from(n) + delta) as u16);
        }
    }

    fn insert_encoded(&mut self, p: usize, e: &Encoded, wh: Where) -> usize {
        let at = match wh {
            Where::Before => p,
            Where::After => p + entry_size(&self.buf, p),
        };
        self.splice(at, 0, Some(e));
        self.bump_count(1);
        at
    }

    /// Inserts `s` before or after the element (or EOF) at `p`; returns the
    /// new element's position (`lpInsertString`).
    pub fn insert(&mut self, p: usize, s: &[u8], wh: Where) -> usize {
        self.insert_encoded(p, &Encoded::of_bytes(s), wh)
    }

    /// Inserts the integer `v` (`lpInsertInteger`).
    pub fn insert_int(&mut self, p: usize, v: i64, wh: Where) -> usize {
        self.insert_encoded(p, &Encoded::of_int(v), wh)
    }

    /// Appends `s` at the tail (`lpAppend`).
    pub fn append(&mut self, s: &[u8]) {
        let eof = self.buf.len() - 1;
        self.insert_encoded(eof, &Encoded::of_bytes(s), Where::Before);
    }

    /// Appends the integer `v` at the tail (`lpAppendInteger`).
    pub fn append_int(&mut self, v: i64) {
        let eof = self.buf.len() - 1;
        self.insert_encoded(eof, &Encoded::of_int(v), Where::Before);
    }

    /// Inserts `s` at the head (`lpPrepend`).
    pub fn prepend(&mut self, s: &[u8]) {
        self.insert_encoded(HDR_SIZE, &Encoded::of_bytes(s), Where::Before);
    }

    /// Inserts the integer `v` at the head (`lpPrependInteger`).
    pub fn prepend_int(&mut self, v: i64) {
        self.insert_encoded(HDR_SIZE, &Encoded::of_int(v), Where::Before);
    }

    /// Replaces the element at `p` with `s`; returns its position, which is
    /// still `p` (`lpReplace`).
    pub fn replace(&mut self, p: usize, s: &[u8]) -> usize {
        let old = entry_size(&self.buf, p);
        self.splice(p, old, Some(&Encoded::of_bytes(s)));
        p
    }

    /// Replaces the element at `p` with the integer `v` (`lpReplaceInteger`).
    pub fn replace_int(&mut self, p: usize, v: i64) -> usize {
        let old = entry_size(&self.buf, p);
        self.splice(p, old, Some(&Encoded::of_int(v)));
        p
    }

    /// Removes the element at `p`; returns the position of the element
    /// that followed it, if any (`lpDelete`).
    pub fn delete(&mut self, p: usize) -> Option<usize> {
        let old = entry_size(&self.buf, p);
        self.splice(p, old, None);
        self.bump_count(-1);
        (self.buf[p] != EOF).then_some(p)
    }

    /// Removes up to `num` elements starting with the one at `p`, in one
    /// move; returns the position of the element that followed them
    /// (`lpDeleteRangeWithEntry`).
    pub fn delete_range_with_entry(&mut self, p: usize, num: usize) -> Option<usize> {
        let mut tail = p;
        let mut deleted = 0;
        while deleted < num && self.buf[tail] != EOF {
            tail += entry_size(&self.buf, tail);
            deleted += 1;
        }
        if deleted > 0 {
            self.splice(p, tail - p, None);
            let n = self.header_count();
            if n != NUMELE_UNKNOWN {
                self.set_header_count(n - deleted as u16);
            }
        }
        (self.buf[p] != EOF).then_some(p)
    }

    /// Removes `num` elements starting at element `index` (negative from
    /// the tail). Deleting through the end just moves the terminator
    /// (`lpDeleteRange`).
    pub fn delete_range(&mut self, index: i64, num: usize) {
        if num == 0 {
            return;
        }
        let p = match self.seek(index) {
            Some(p) => p,
            None => return,
        };
        let count = self.header_count();
        if count != NUMELE_UNKNOWN {
            let n = usize::from(count);
            let idx = if index < 0 {
                (n as i64 + index) as usize
            } else {
                index as usize
            };
            if n - idx <= num {
                self.buf.resize(p + 1);
                self.buf[p] = EOF;
                self.set_header_count(idx as u16);
                return;
            }
        }
        self.delete_range_with_entry(p, num);
    }

    /// Front-to-back iterator over the elements; `.rev()` walks back to
    /// front using the backlens.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HDR_SIZE,
            back: self.buf.len() - 1,
        }
    }

    /// One random (element, next element) pair among the first `pairs`
    /// pairs: a random field and its value in a field/value listpack
    /// (`lpRandomPair`). `pairs` must be at least 1 and at most `len / 2`.
    pub fn random_pair(&self, pairs: usize) -> (LpEntry<'_>, LpEntry<'_>) {
        let k = self
            .seek(2 * random_below(pairs) as i64)
            .expect("random pair index within the listpack");
        let v = self.next(k).expect("a field is followed by its value");
        (self.get(k), self.get(v))
    }

    /// `count` pairs picked independently and uniformly (repeats allowed),
    /// in random order (`lpRandomPairs`). Redis sorts the picks to fetch
    /// them in one walk; a single pass collecting every pair's position is
    /// as cheap for the small listpacks this serves, and simpler.
    pub fn random_pairs(&self, count: usize) -> Vec<(LpEntry<'_>, LpEntry<'_>)> {
        let pairs = self.pairs();
        if pairs.is_empty() {
            return Vec::new();
        }
        (0..count)
            .map(|_| pairs[random_below(pairs.len())])
            .collect()
    }

    /// Up to `count` distinct pairs, uniformly chosen, in listpack order
    /// (`lpRandomPairsUnique`). One walk, selection sampling: each pair is
    /// taken with probability (still wanted) / (still unseen), which makes
    /// every subset of the requested size equally likely.
    pub fn random_pairs_unique(&self, count: usize) -> Vec<(LpEntry<'_>, LpEntry<'_>)> {
        let total = self.len() / 2;
        let count = count.min(total);
        let mut out = Vec::with_capacity(count);
        let mut it = self.iter();
        let mut seen = 0;
        while out.len() < count {
            let (k, v) = match (it.next(), it.next()) {
                (Some(k), Some(v)) => (k, v),
                _ => break,
            };
            let wanted = count - out.len();
            if random_below(total - seen) < wanted {
                out.push((k, v));
            }
            seen += 1;
        }
        out
    }

    /// Every (element, next element) pair, in order.
    fn pairs(&self) -> Vec<(LpEntry<'_>, LpEntry<'_>)> {
        let mut out = Vec::with_capacity(self.len() / 2);
        let mut it = self.iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k, v));
        }
        out
    }

    /// The human-readable dump DEBUG LISTPACK prints (`lpRepr`).
    pub fn repr(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{{total bytes {}}} {{num entries {}}}",
            self.buf.len(),
            self.len()
        );
        let mut p = self.first();
        let mut index = 0;
        while let Some(at) = p {
            let enc = encoded_size(&self.buf, at).unwrap_or(1);
            let back = backlen_size(enc);
            let hdr = match self.buf[at] {
                b if b & 0xF0 == ENC_12BIT_STR => 2,
                ENC_32BIT_STR => 5,
                _ => 1,
            };
            let _ = writeln!(
                s,
                "{{\n\taddr: 0x{:08x},\n\tindex: {:2},\n\toffset: {:1},\n\thdr+entrylen+backlen: {:2},\n\thdrlen: {:3},\n\tbacklen: {:2},\n\tpayload: {:1}",
                self.buf.as_ptr() as usize + at,
                index,
                at,
                enc + back,
                hdr,
                back,
                enc - hdr
            );
            s.push_str("\tbytes: ");
            for b in &self.buf[at..at + enc + back] {
                let _ = write!(s, "{:02x}|", b);
            }
            let text = self.get(at).to_vec();
            let shown = &text[..text.len().min(40)];
            let _ = write!(s, "\n\t[str]{}", String::from_utf8_lossy(shown));
            if text.len() > 40 {
                s.push_str("...");
            }
            s.push_str("\n}\n");
            index += 1;
            p = self.next(at);
        }
        s.push_str("{end}\n\n");
        s
    }
}

/// Iterator over a listpack's elements, from both ends.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Next entry to yield from the front.
    front: usize,
    /// One past the last entry still to yield from the back (an entry start
    /// or the EOF position).
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.front >= self.back {
            return None;
        }
        let e = entry_at(self.buf, self.front);
        self.front += entry_size(self.buf, self.front);
        Some(e)
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<LpEntry<'a>> {
        if self.back <= self.front {
            return None;
        }
        self.back = prev_start(self.buf, self.back);
        Some(entry_at(self.buf, self.back))
    }
}

impl std::iter::FusedIterator for Iter<'_> {}

/// The listpack's storage: one heap block of exactly the listpack's size
/// whose first four bytes, the listpack's own total-bytes field, double as
/// the block's length.
///
/// # Why not a `Vec<u8>`
///
/// A `Vec` spends 24 bytes (pointer, length, capacity) in whatever holds
/// it, and a listpack already knows its length. Every small hash and sorted
/// set keeps its listpack inside the key's value (see `compact.rs`), so the
/// 16 bytes saved per key decide whether a dict entry fits jemalloc's
/// 48-byte size class or needs the 64-byte one. Capacity always equals
/// length, as in Redis, whose `lpInsert` reallocates to the exact new size
/// on every change: a small realloc that stays in its size class is done in
/// place by jemalloc.
///
/// # Invariants
/// - The block is at least `HDR_SIZE + 1` bytes (callers never shrink
///   below an empty listpack) and at most `u32::MAX`.
/// - Bytes 0..4 hold the block's size (little endian) at all times:
///   [`Buf::resize`] rewrites them, and the listpack code never stores
///   another value there.
/// - Blocks are 2-byte aligned, so the lowest bit of the pointer is free
///   for `compact.rs`'s tag.
#[repr(transparent)]
struct Buf {
    ptr: std::ptr::NonNull<u8>,
}

/// Alignment of listpack blocks (see [`Buf`]).
const BUF_ALIGN: usize = 2;

// SAFETY: a `Buf` owns its block outright, like a `Vec<u8>` does.
unsafe impl Send for Buf {}
// SAFETY: shared access is read-only, like a `&[u8]`.
unsafe impl Sync for Buf {}

impl Buf {
    fn layout(n: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(n, BUF_ALIGN).expect("listpack size fits a layout")
    }

    /// A block holding `bytes`, whose first four bytes are set to its size.
    fn from_slice(bytes: &[u8]) -> Buf {
        let n = bytes.len();
        assert!((HDR_SIZE + 1..=u32::MAX as usize).contains(&n));
        let layout = Self::layout(n);
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { std::alloc::alloc(layout) };
        let Some(ptr) = std::ptr::NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: the block is `n` bytes long and does not overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), n) };
        let mut b = Buf { ptr };
        b.set_len_field(n);
        b
    }

    /// Stores `n` in the length field. Written through the raw pointer, not
    /// through `DerefMut`: the slice that would build reads the *old*
    /// length, which after a shrinking realloc is past the block's end.
    fn set_len_field(&mut self, n: usize) {
        // SAFETY: every block is at least 7 bytes long.
        unsafe {
            std::ptr::write_unaligned(self.ptr.as_ptr() as *mut [u8; 4], (n as u32).to_le_bytes())
        };
    }

    /// Size of the block (the listpack's total bytes).
    #[inline]
    fn len(&self) -> usize {
        // SAFETY: every block is at least 7 bytes long.
        let head = unsafe { std::ptr::read_unaligned(self.ptr.as_ptr() as *const [u8; 4]) };
        u32::from_le_bytes(head) as usize
    }

    /// Reallocates to exactly `n` bytes: growth is zero-filled, shrinking
    /// drops the tail; the length field follows.
    fn resize(&mut self, n: usize) {
        assert!((HDR_SIZE + 1..=u32::MAX as usize).contains(&n));
        let old = self.len();
        if n == old {
            return;
        }
        // SAFETY: the block was allocated with `layout(old)`, and `n` is
        // non-zero and fits a layout of the same alignment.
        let raw = unsafe { std::alloc::realloc(self.ptr.as_ptr(), Self::layout(old), n) };
        let Some(ptr) = std::ptr::NonNull::new(raw) else {
            std::alloc::handle_alloc_error(Self::layout(n))
        };
        self.ptr = ptr;
        if n > old {
            // SAFETY: bytes old..n are inside the new block.
            unsafe { std::ptr::write_bytes(ptr.as_ptr().add(old), 0, n - old) };
        }
        self.set_len_field(n);
    }

    /// The raw pointer, given up (see `compact.rs`).
    pub(crate) fn into_raw(self) -> std::ptr::NonNull<u8> {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }
}

impl std::ops::Deref for Buf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: the block is `len()` initialized bytes owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }
}

impl std::ops::DerefMut for Buf {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        let n = self.len();
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), n) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout and not freed before.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len())) };
    }
}

impl Clone for Buf {
    fn clone(&self) -> Buf {
        Buf::from_slice(self)
    }
}

impl PartialEq for Buf {
    fn eq(&self, other: &Buf) -> bool {
        **self == **other
    }
}

impl Eq for Buf {}

impl Listpack {
    /// Gives up the block as a raw pointer (2-byte aligned), for
    /// `compact.rs`, which rebuilds the listpack with [`Listpack::from_raw`].
    pub(crate) fn into_raw(self) -> std::ptr::NonNull<u8> {
        self.buf.into_raw()
    }

    /// # Safety
    /// `p` must come from [`Listpack::into_raw`] and not be used again.
    pub(crate) unsafe fn from_raw(p: std::ptr::NonNull<u8>) -> Listpack {
        Listpack {
            buf: Buf { ptr: p },
        }
    }
}

/// Full structural check of outside bytes (`lpValidateIntegrity` with
/// `deep`): header total matches the buffer, every entry's encoding fits
/// inside the buffer and its backlen agrees with its size, the terminator
/// sits exactly at the end, and a non-saturated count is exact.
pub fn validate(buf: &[u8]) -> bool {
    if buf.len() < HDR_SIZE + 1 {
        return false;
    }
    let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if total != buf.len() || buf[total - 1] != EOF {
        return false;
    }
    let count = u16::from_le_bytes([buf[4], buf[5]]);
    let mut p = HDR_SIZE;
    let mut seen: usize = 0;
    while p < total - 1 {
        let enc = match encoded_size(buf, p) {
            Some(n) if buf[p] != EOF => n,
            _ => return false,
        };
        let back = backlen_size(enc);
        let end = match p.checked_add(enc + back) {
            Some(e) if e < total => e,
            _ => return false,
        };
        if decode_backlen(buf, end - 1) != Some(enc) {
            return false;
        }
        p = end;
        seen += 1;
    }
    p == total - 1 && (count == NUMELE_UNKNOWN || usize::from(count) == seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn of(items: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for i in items {
            lp.append(i);
        }
        lp
    }

    /// Walks forward and backward and checks both agree with `want`.
    fn check(lp: &Listpack, want: &[Vec<u8>]) {
        assert!(validate(lp.bytes()), "invalid: {:?}", lp.bytes());
        assert_eq!(lp.len(), want.len());
        let fwd: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        assert_eq!(fwd, want);
        let mut back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
        back.reverse();
        assert_eq!(back, want);
        assert_eq!(lp.bytes().len(), lp.heap_size(), "capacity must be exact");
    }

    #[test]
    fn empty() {
        let lp = Listpack::new();
        assert_eq!(lp.bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert!(lp.is_empty());
        assert_eq!(lp.first(), None);
        assert_eq!(lp.last(), None);
        assert_eq!(lp.seek(0), None);
        assert_eq!(lp.seek(-1), None);
        assert_eq!(lp.iter().next(), None);
    }

    /// Byte images taken from a real redis-server 7.0.15 with
    /// `rdbcompression no`: the listpack inside `DUMP` of an HSET-built hash.
    #[test]
    fn matches_redis_bytes() {
        let lp = of(&[b"a", b"1"]);
        assert_eq!(lp.bytes(), &hex("0c00000002008161020101ff")[..]);

        let ints: &[&[u8]] = &[
            b"0",
            b"127",
            b"128",
            b"-1",
            b"4095",
            b"-4096",
            b"4096",
            b"-4097",
            b"32767",
            b"-32768",
            b"32768",
            b"-32769",
            b"8388607",
            b"-8388608",
            b"8388608",
            b"-8388609",
            b"2147483647",
            b"-2147483648",
            b"2147483648",
            b"-2147483649",
            b"9223372036854775807",
            b"-9223372036854775808",
        ];
        let want = hex(concat!(
            "7b00000016000001",
            "7f01",
            "c08002",
            "dfff02",
            "cfff02",
            "d00002",
            "f1001003",
            "f1ffef03",
            "f1ff7f03",
            "f1008003",
            "f200800004",
            "f2ff7fff04",
            "f2ffff7f04",
            "f200008004",
            "f30000800005",
            "f3ffff7fff05",
            "f3ffffff7f05",
            "f30000008005",
            "f4000000800000000009",
            "f4ffffff7fffffffff09",
            "f4ffffffffffffff7f09",
            "f4000000000000008009",
            "ff"
        ));
        assert_eq!(of(ints).bytes(), &want[..]);

        // 63/64-byte strings, non-canonical numbers, the empty string.
        let mut want = hex("b20000000800bf");
        want.extend(std::iter::repeat_n(b'x', 63));
        want.extend(hex("40e040"));
        want.extend(std::iter::repeat_n(b'y', 64));
        want.extend(hex(concat!(
            "42",
            "812d02",
            "8330303704",
            "933932323333373230333638353437373538303814",
            "82203103",
            "8001",
            "822d3003",
            "ff"
        )));
        let strs = of(&[
            &[b'x'; 63],
            &[b'y'; 64],
            b"-",
            b"007",
            b"9223372036854775808",
            b" 1",
            b"",
            b"-0",
        ]);
        assert_eq!(strs.bytes(), &want[..]);

        // Backlen boundaries: 127 -> 1 byte, 128 -> 2, 4097 -> 2.
        let mut want = hex("0f1100000400e07d");
        want.extend(std::iter::repeat_n(b'a', 125));
        want.extend(hex("7fe07e"));
        want.extend(std::iter::repeat_n(b'b', 126));
        want.extend(hex("0180efff"));
        want.extend(std::iter::repeat_n(b'c', 4095));
        want.extend(hex("2081816402ff"));
        let back = of(&[&[b'a'; 125], &[b'b'; 126], &[b'c'; 4095], b"d"]);
        assert_eq!(back.bytes(), &want[..]);

        // 32-bit string header and a 3-byte backlen (16388).
        let mut want = hex("155000000200f000100000");
        want.extend(std::iter::repeat_n(b'z', 4096));
        want.extend(hex("2085f0ff3f0000"));
        want.extend(std::iter::repeat_n(b'w', 16383));
        want.extend(hex("018084ff"));
        let big = of(&[&[b'z'; 4096], &[b'w'; 16383]]);
        assert_eq!(big.bytes(), &want[..]);
    }

    #[test]
    fn every_integer_boundary_round_trips() {
        let bounds: &[i64] = &[
            0,
            1,
            127,
            128,
            -1,
            4095,
            4096,
            -4096,
            -4097,
            i16::MAX as i64,
            i16::MAX as i64 + 1,
            i16::MIN as i64,
            i16::MIN as i64 - 1,
            (1 << 23) - 1,
            1 << 23,
            -(1 << 23),
            -(1 << 23) - 1,
            i32::MAX as i64,
            i32::MAX as i64 + 1,
            i32::MIN as i64,
            i32::MIN as i64 - 1,
            i64::MAX,
            i64::MIN,
        ];
        let sizes = [
            1, 1, 1, 2, 2, 2, 3, 2, 3, 3, 4, 3, 4, 4, 5, 4, 5, 5, 9, 5, 9, 9, 9,
        ];
        for (&v, &size) in bounds.iter().zip(sizes.iter()) {
            let mut a = Listpack::new();
            a.append_int(v);
            let mut b = Listpack::new();
            b.append(v.to_string().as_bytes());
            assert_eq!(a.bytes(), b.bytes(), "{}", v);
            assert_eq!(a.bytes().len(), HDR_SIZE + size + 1 + 1, "size of {}", v);
            assert_eq!(a.get(HDR_SIZE), LpEntry::Int(v));
            assert_eq!(a.iter().next_back(), Some(LpEntry::Int(v)));
            assert_eq!(LpEntry::Int(v).str_len(), v.to_string().len());
        }
    }

    #[test]
    fn every_string_and_backlen_boundary_round_trips() {
        // String header changes at 64 and 4096 bytes; backlen size at
        // encoded sizes 128, 16383, 2097151.
        let lens = [
            0, 1, 62, 63, 64, 125, 126, 127, 4094, 4095, 4096, 16377, 16378, 16379, 2_097_145,
            2_097_146, 2_097_147,
        ];
        let mut lp = Listpack::new();
        let mut want = Vec::new();
        for &n in &lens {
            let s = vec![b'q'; n];
            lp.append(&s);
            want.push(s);
            lp.append_int(n as i64);
            want.push(n.to_string().into_bytes());
        }
        check(&lp, &want);
        for (i, &n) in lens.iter().enumerate() {
            let p = lp.seek(2 * i as i64).unwrap();
            assert_eq!(lp.get(p).str_len(), n);
        }
    }

    #[test]
    fn backlen_encoding_reads_back() {
        for l in [
            0usize,
            1,
            127,
            128,
            16382,
            16383,
            2_097_150,
            2_097_151,
            268_435_454,
            268_435_455,
            u32::MAX as usize,
        ] {
            let n = backlen_size(l);
            let mut b = [0u8; 5];
            write_backlen(&mut b, l);
            assert_eq!(decode_backlen(&b, n - 1), Some(l), "{}", l);
            assert_eq!(b[0] & 128, 0);
        }
        assert_eq!(backlen_size(16382), 2);
        assert_eq!(backlen_size(16383), 3);
    }

    #[test]
    fn insert_replace_delete_at_positions() {
        let mut lp = of(&[b"b", b"d"]);
        let p = lp.first().unwrap();
        let a = lp.insert(p, b"a", Where::Before);
        assert_eq!(lp.get(a), LpEntry::Str(b"a"));
        let d = lp.seek(-1).unwrap();
        let c = lp.insert(d, b"c", Where::Before);
        assert_eq!(lp.get(c), LpEntry::Str(b"c"));
        let d = lp.last().unwrap();
        let e = lp.insert(d, b"12345", Where::After);
        assert_eq!(lp.get(e), LpEntry::Int(12345));
        lp.prepend(b"start");
        lp.prepend_int(-7);
        lp.append_int(99);
        let want: Vec<Vec<u8>> = ["-7", "start", "a", "b", "c", "d", "12345", "99"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        check(&lp, &want);

        // Replace with bigger and smaller encodings.
        let p = lp.seek(2).unwrap();
        lp.replace(p, &[b'x'; 200]);
        let p = lp.seek(3).unwrap();
        lp.replace_int(p, i64::MIN);
        let p = lp.seek(2).unwrap();
        assert_eq!(lp.replace(p, b"1"), p);
        let want: Vec<Vec<u8>> = [
            "-7",
            "start",
            "1",
            &i64::MIN.to_string(),
            "c",
            "d",
            "12345",
            "99",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        check(&lp, &want);

        // Delete returns the next position, None at the tail.
        let p = lp.seek(1).unwrap();
        let next = lp.delete(p).unwrap();
        assert_eq!(lp.get(next), LpEntry::Int(1));
        let last = lp.last().unwrap();
        assert_eq!(lp.delete(last), None);
        let p = lp.seek(1).unwrap();
        let next = lp.delete_range_with_entry(p, 2).unwrap();
        assert_eq!(lp.get(next), LpEntry::Str(b"c"));
        let want: Vec<Vec<u8>> = ["-7", "c", "d", "12345"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        check(&lp, &want);
        lp.delete_range(-3, 1);
        check(&lp, &[b"-7".to_vec(), b"d".to_vec(), b"12345".to_vec()]);
        lp.delete_range(1, 100);
        check(&lp, &[b"-7".to_vec()]);
        let p = lp.first().unwrap();
        assert_eq!(lp.delete_range_with_entry(p, 5), None);
        assert_eq!(lp.bytes(), Listpack::new().bytes());
    }

    #[test]
    fn seek_from_both_ends() {
        let items: Vec<Vec<u8>> = (0..11).map(|i| format!("e{}", i).into_bytes()).collect();
        let refs: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
        let lp = of(&refs);
        for i in 0..11i64 {
            let p = lp.seek(i).unwrap();
            assert_eq!(lp.get(p).to_vec(), items[i as usize]);
            let q = lp.seek(i - 11).unwrap();
            assert_eq!(p, q);
        }
        assert_eq!(lp.seek(11), None);
        assert_eq!(lp.seek(-12), None);
        let mut p = lp.last();
        let mut n = 0;
        while let Some(at) = p {
            n += 1;
            p = lp.prev(at);
        }
        assert_eq!(n, 11);
    }

    #[test]
    fn find_with_skip_compares_integers_as_integers() {
        let lp = of(&[b"f1", b"v1", b"10", b"x", b"007", b"y", b"v1", b"z"]);
        let first = lp.first().unwrap();
        // Fields only: "v1" as a value is skipped, found as the 4th field.
        let p = lp.find(first, b"v1", 1).unwrap();
        assert_eq!(p, lp.seek(6).unwrap());
        assert_eq!(lp.find(first, b"10", 1), lp.seek(2));
        assert_eq!(lp.find(first, b"007", 1), lp.seek(4));
        assert_eq!(lp.find(first, b"7", 1), None);
        assert_eq!(lp.find(first, b"x", 1), None);
        assert_eq!(lp.find(first, b"x", 0), lp.seek(3));
        assert!(lp.compare(lp.seek(2).unwrap(), b"10"));
        assert!(!lp.compare(lp.seek(2).unwrap(), b"010"));
    }

    #[test]
    fn saturated_count_is_walked() {
        let mut lp = Listpack::new();
        for i in 0..65_540 {
            lp.append_int(i % 100);
        }
        assert_eq!(lp.header_count(), NUMELE_UNKNOWN);
        assert_eq!(lp.len(), 65_540);
        assert_eq!(lp.seek(65_539).map(|p| lp.get(p)), Some(LpEntry::Int(39)));
        assert_eq!(lp.seek(-1).map(|p| lp.get(p)), Some(LpEntry::Int(39)));
        let p = lp.first().unwrap();
        lp.delete(p);
        assert_eq!(lp.header_count(), NUMELE_UNKNOWN);
        assert_eq!(lp.len(), 65_539);
        assert!(validate(lp.bytes()));
    }

    #[test]
    fn random_sampling() {
        crate::db::dict::seed_random(7);
        let lp = of(&[b"a", b"1", b"b", b"2", b"c", b"3", b"d", b"4"]);
        let mut hits = [0usize; 4];
        for _ in 0..4000 {
            let (k, v) = lp.random_pair(4);
            let i = (k.to_vec()[0] - b'a') as usize;
            assert_eq!(v, LpEntry::Int(i as i64 + 1));
            hits[i] += 1;
        }
        assert!(hits.iter().all(|&h| h > 800), "{:?}", hits);
        let picks = lp.random_pairs(1000);
        assert_eq!(picks.len(), 1000);
        for n in 0..6 {
            let u = lp.random_pairs_unique(n);
            assert_eq!(u.len(), n.min(4));
            let mut keys: Vec<Vec<u8>> = u.iter().map(|(k, _)| k.to_vec()).collect();
            let sorted = {
                let mut s = keys.clone();
                s.sort();
                s
            };
            assert_eq!(keys, sorted, "listpack order");
            keys.dedup();
            assert_eq!(keys.len(), n.min(4), "no repeats");
        }
        assert!(Listpack::new().random_pairs(3).is_empty());
    }

    #[test]
    fn validate_rejects_corruption_without_panicking() {
        let lp = of(&[b"hello", b"12", &[b'z'; 300], b"-5000000"]);
        let good = lp.bytes().to_vec();
        assert!(Listpack::from_bytes(good.clone()).is_some());
        assert!(Listpack::from_bytes(vec![]).is_none());
        assert!(Listpack::from_bytes(vec![7, 0, 0, 0, 1, 0, 0xFF]).is_none());
        // Flip every byte of every position in turn: never a panic, and
        // whatever validates still iterates cleanly.
        for i in 0..good.len() {
            for delta in [1u8, 0x40, 0x80, 0xFF] {
                let mut bad = good.clone();
                bad[i] = bad[i].wrapping_add(delta);
                if let Some(lp) = Listpack::from_bytes(bad) {
                    let n = lp.iter().count();
                    assert_eq!(n, lp.iter().rev().count());
                }
            }
        }
        for cut in 0..good.len() {
            assert!(Listpack::from_bytes(good[..cut].to_vec()).is_none());
        }
    }

    #[test]
    fn repr_lists_entries() {
        let lp = of(&[b"a", b"1"]);
        let r = lp.repr();
        assert!(r.starts_with("{total bytes 12} {num entries 2}\n"));
        assert!(r.contains("\tbytes: 81|61|02|\n\t[str]a\n"));
        assert!(r.contains("\tbytes: 01|01|\n\t[str]1\n"));
        assert!(r.ends_with("{end}\n\n"));
    }

    #[test]
    fn randomized_against_a_vec_model() {
        crate::db::dict::seed_random(42);
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        let gen = |r: usize| -> Vec<u8> {
            match r % 5 {
                0 => (random_below(1 << 20) as i64 - (1 << 19))
                    .to_string()
                    .into_bytes(),
                1 => vec![b'k'; random_below(70)],
                2 => vec![b's'; random_below(5000)],
                3 => i64::MIN
                    .wrapping_add(random_below(1000) as i64)
                    .to_string()
                    .into_bytes(),
                _ => format!("0{}", random_below(100)).into_bytes(),
            }
        };
        for step in 0..3000 {
            let op = random_below(10);
            if op < 4 || model.is_empty() {
                let v = gen(random_below(5));
                if model.is_empty() || op == 0 {
                    lp.append(&v);
                    model.push(v);
                } else {
                    let i = random_below(model.len());
                    let p = lp.seek(i as i64).unwrap();
                    let wh = if op == 1 { Where::Before } else { Where::After };
                    let at = lp.insert(p, &v, wh);
                    let mi = if wh == Where::Before { i } else { i + 1 };
                    assert!(lp.compare(at, &v));
                    model.insert(mi, v);
                }
            } else if op < 7 {
                let i = random_below(model.len());
                let p = lp.seek(i as i64).unwrap();
                let v = gen(random_below(5));
                lp.replace(p, &v);
                model[i] = v;
            } else {
                let i = random_below(model.len());
                let n = 1 + random_below(3);
                lp.delete_range(i as i64, n);
                model.drain(i..(i + n).min(model.len()));
            }
            if step % 97 == 0 {
                check(&lp, &model);
            }
        }
        check(&lp, &model);
    }
}
