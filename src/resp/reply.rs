//! The reply encoder and the per-client output buffer (~ the `addReply*`
//! family and `_addReplyToBufferOrList` in Redis's `networking.c`).
//!
//! Handlers never touch a socket: they append encoded replies to a
//! [`ReplyBuf`], which the event loop later writes out. One type does both
//! jobs because encoding straight into the buffer that will be written avoids
//! an intermediate copy on the hot path (`+PONG`, `$3\r\nbar\r\n`).
//!
//! # Layout
//! Redis keeps a fixed 16 KiB buffer per client plus a linked list of 16 KiB
//! blocks for large replies. We keep a `VecDeque<Vec<u8>>` of chunks: the first
//! chunk is the "fixed" buffer (its allocation is reused once drained, so a
//! steady request/reply client allocates nothing), later chunks hold the
//! overflow of big replies. Appends go to the last chunk while it has room.
//!
//! # Protocol versions
//! The buffer knows the client's protocol (`resp`, 2 or 3, switched by HELLO),
//! so `null()`, `map_len()`, `double()` etc. pick the right encoding and
//! handlers stay protocol-agnostic.
//!
//! Invariant: `pending` always equals the number of unsent bytes.

use std::collections::VecDeque;
use std::io::{self, Write};

use crate::util::numbers;

/// Write the decimal form of `n` into `buf` (at least 20 bytes), returning
/// the length. Hot path of every `:`/`$`/`*` header.
#[inline]
pub fn write_i64(n: i64, buf: &mut [u8]) -> usize {
    let mut tmp = [0u8; 20];
    let mut v = n.unsigned_abs();
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut len = 0;
    if n < 0 {
        buf[0] = b'-';
        len = 1;
    }
    let digits = &tmp[i..];
    buf[len..len + digits.len()].copy_from_slice(digits);
    len + digits.len()
}

/// Size of one output chunk (Redis's PROTO_REPLY_CHUNK_BYTES).
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;
/// Smallest size the first chunk shrinks to (PROTO_REPLY_MIN_BYTES).
pub const REPLY_MIN_BYTES: usize = 1024;

/// Per-client output buffer plus the RESP encoder.
#[derive(Debug, Default)]
pub struct ReplyBuf {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of `chunks[0]` already written to the socket.
    sent: usize,
    /// Unsent bytes in all chunks.
    pending: usize,
    /// Protocol version: 2 or 3.
    pub resp: u8,
    /// Number of error replies appended since the counter was last taken
    /// (feeds `total_error_replies` and the errorstats section of INFO).
    pub errors: Vec<String>,
    /// CLIENT REPLY OFF/SKIP: ordinary replies are dropped, pushes
    /// (pub/sub messages, subscribe notices) still go out.
    pub suppress: bool,
    /// Inside `begin_push`/`end_push`.
    pushing: bool,
    /// Capacity of the first chunk, Redis's static reply buffer
    /// (`buf_usable_size`, CLIENT LIST's `rbs`): 16 KB at first, adapted by
    /// the clients cron to what the client uses ([`ReplyBuf::cron_resize`]).
    /// 0 means the default.
    buf_size: usize,
    /// Most bytes the first chunk held since the last peak reset
    /// (`buf_peak`, CLIENT LIST's `rbp`).
    buf_peak: usize,
    buf_peak_reset_ms: i64,
}

impl ReplyBuf {
    pub fn new() -> ReplyBuf {
        ReplyBuf {
            resp: 2,
            ..ReplyBuf::default()
        }
    }

    /// Unsent bytes.
    pub fn pending(&self) -> usize {
        self.pending
    }

    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// Capacity of the first chunk (`rbs` in CLIENT LIST).
    pub fn buf_size(&self) -> usize {
        if self.buf_size == 0 {
            REPLY_CHUNK_BYTES
        } else {
            self.buf_size
        }
    }

    /// Peak use of the first chunk (`rbp` in CLIENT LIST).
    pub fn buf_peak(&self) -> usize {
        if self.buf_size == 0 {
            REPLY_CHUNK_BYTES
        } else {
            self.buf_peak
        }
    }

    /// A new client's buffer: full size, its peak counted as full, as
    /// Redis's `createClient` sets them. Redis also stamps the peak's reset
    /// clock, but in seconds where the cron compares milliseconds, so the
    /// first cron visit already resets the peak and the second shrinks an
    /// idle client's buffer, a second or two after it connected. Clients
    /// (and memory-per-connection figures) see that timing, so it is kept:
    /// the clock starts "long ago".
    pub fn start_peak_clock(&mut self, _now_ms: i64) {
        self.buf_size = REPLY_CHUNK_BYTES;
        self.buf_peak = REPLY_CHUNK_BYTES;
        self.buf_peak_reset_ms = 0;
    }

    /// The clients cron's resize of the first chunk (Redis's
    /// `clientsCronResizeOutputBuffer`): shrink to the peak use (at least
    /// 1 KB) when under half of it was used, double it (up to 16 KB) when it
    /// was filled; then, every `peak_reset_ms` (negative: never), restart
    /// the peak from the current use, so an idle client's buffer shrinks.
    /// Returns `Some(true)` for a shrink, `Some(false)` for an expansion.
    pub fn cron_resize(&mut self, now_ms: i64, peak_reset_ms: i64) -> Option<bool> {
        if self.buf_size == 0 {
            self.buf_size = REPLY_CHUNK_BYTES;
            self.buf_peak = REPLY_CHUNK_BYTES;
            self.buf_peak_reset_ms = now_ms;
        }
        let size = self.buf_size;
        let (new_size, shrink) = if size / 2 >= REPLY_MIN_BYTES && self.buf_peak < size / 2 {
            (REPLY_MIN_BYTES.max(self.buf_peak + 1), true)
        } else if size * 2 < REPLY_CHUNK_BYTES * 2 && self.buf_peak == size {
            (REPLY_CHUNK_BYTES.min(size * 2), false)
        } else {
            (0, false)
        };
        let first_len = if self.chunks.len() == 1 {
            self.chunks[0].len()
        } else {
            0
        };
        if peak_reset_ms >= 0 && now_ms - self.buf_peak_reset_ms >= peak_reset_ms {
            self.buf_peak = first_len;
            self.buf_peak_reset_ms = now_ms;
        }
        if new_size == 0 {
            return None;
        }
        self.buf_size = new_size;
        // An idle client's kept (empty) chunk is reallocated at the new
        // size; a chunk in use keeps its allocation until it is sent.
        if self.chunks.len() == 1 && self.chunks[0].is_empty() {
            self.chunks[0] = Vec::with_capacity(new_size);
        }
        Some(shrink)
    }

    /// Memory held by the chunks (reported as `omem`/`tot-mem`).
    pub fn memory(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity()).sum()
    }

    /// Number of chunks beyond the first (Redis's `oll`).
    pub fn list_len(&self) -> usize {
        self.chunks.len().saturating_sub(1)
    }

    /// The chunk to append to, ensuring it has room for at least `want` bytes
    /// or is fresh.
    #[inline]
    fn tail(&mut self, want: usize) -> &mut Vec<u8> {
        let need_new = match self.chunks.back() {
            None => true,
            Some(last) => {
                last.len() + want > last.capacity().max(REPLY_MIN_BYTES) && !last.is_empty()
            }
        };
        if need_new {
            let size = if self.chunks.is_empty() {
                self.buf_size()
            } else {
                // The first chunk overflowed: it counts as full (the
                // cron doubles a buffer whose peak reached its size).
                if self.chunks.len() == 1 {
                    self.buf_peak = self.buf_size();
                }
                REPLY_CHUNK_BYTES
            };
            self.chunks.push_back(Vec::with_capacity(size.max(want)));
        }
        let only = self.chunks.len() == 1;
        // Just ensured non-empty.
        let last = self.chunks.back_mut().expect("chunk present");
        if only {
            self.buf_peak = self.buf_peak.max(last.len() + want);
        }
        last
    }

    /// Mark the start of an out-of-band message that must be delivered even
    /// under CLIENT REPLY OFF (Redis's CLIENT_PUSHING).
    pub fn begin_push(&mut self) {
        self.pushing = true;
    }

    pub fn end_push(&mut self) {
        self.pushing = false;
    }

    /// Append raw protocol bytes.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        if self.suppress && !self.pushing {
            return;
        }
        self.pending += bytes.len();
        if bytes.len() > REPLY_CHUNK_BYTES {
            // Redis fills its static buffer first: it counts as full.
            if self.chunks.len() <= 1 {
                self.buf_peak = self.buf_size();
            }
            // Big payload: fill the current chunk, then one exact chunk.
            if let Some(last) = self.chunks.back_mut() {
                let room = REPLY_CHUNK_BYTES.saturating_sub(last.len());
                if room > 0 && last.capacity() >= REPLY_CHUNK_BYTES {
                    last.extend_from_slice(&bytes[..room]);
                    self.chunks.push_back(bytes[room..].to_vec());
                    return;
                }
            }
            self.chunks.push_back(bytes.to_vec());
            return;
        }
        self.tail(bytes.len()).extend_from_slice(bytes);
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        let mut tmp = [0u8; 24];
        tmp[0] = prefix;
        let len = 1 + write_i64(n, &mut tmp[1..]);
        tmp[len] = b'\r';
        tmp[len + 1] = b'\n';
        self.raw(&tmp[..len + 2]);
    }

    /// `+OK`
    #[inline]
    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    /// A status reply (`+text`). `text` must not contain CR or LF.
    pub fn status(&mut self, text: &str) {
        let mut v = Vec::with_capacity(text.len() + 3);
        v.push(b'+');
        v.extend_from_slice(text.as_bytes());
        v.extend_from_slice(b"\r\n");
        self.raw(&v);
    }

    /// An error reply. `msg` carries its own code (`ERR ...`, `WRONGTYPE ...`);
    /// a leading `-` is tolerated. Newlines are replaced by spaces, as Redis
    /// does, so user text cannot break the protocol.
    pub fn error(&mut self, msg: &str) {
        let msg = msg.strip_prefix('-').unwrap_or(msg);
        let code = msg.split(' ').next().unwrap_or("ERR").to_string();
        self.errors.push(code);
        if self.suppress && !self.pushing {
            return;
        }
        let mut v = Vec::with_capacity(msg.len() + 3);
        v.push(b'-');
        v.extend(
            msg.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        v.extend_from_slice(b"\r\n");
        self.raw(&v);
    }

    /// `:n`
    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    #[inline]
    pub fn bulk(&mut self, data: &[u8]) {
        if data.len() <= 256 {
            // Small strings (most replies, every LRANGE element): header,
            // bytes and CRLF go straight into the tail chunk, the same
            // bookkeeping as `raw` without a staging copy.
            if self.suppress && !self.pushing {
                return;
            }
            let mut hdr = [0u8; 8];
            hdr[0] = b'$';
            let n = 1 + write_i64(data.len() as i64, &mut hdr[1..]);
            hdr[n] = b'\r';
            hdr[n + 1] = b'\n';
            let total = n + 2 + data.len() + 2;
            self.pending += total;
            let t = self.tail(total);
            t.extend_from_slice(&hdr[..n + 2]);
            t.extend_from_slice(data);
            t.extend_from_slice(b"\r\n");
        } else {
            self.header(b'$', data.len() as i64);
            self.raw(data);
            self.raw(b"\r\n");
        }
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = [0u8; 24];
        let len = write_i64(n, &mut tmp);
        self.bulk(&tmp[..len]);
    }

    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    #[inline]
    pub fn null(&mut self) {
        if self.resp >= 3 {
            self.raw(b"_\r\n");
        } else {
            self.raw(b"$-1\r\n");
        }
    }

    /// The null array (`*-1` in RESP2, `_` in RESP3).
    pub fn null_array(&mut self) {
        if self.resp >= 3 {
            self.raw(b"_\r\n");
        } else {
            self.raw(b"*-1\r\n");
        }
    }

    /// Array header.
    #[inline]
    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// Map header: `%n` in RESP3, a flat array of 2n elements in RESP2.
    pub fn map_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// Set header: `~n` in RESP3, an array in RESP2.
    pub fn set_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'~', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// Push header: `>n` in RESP3, an array in RESP2.
    pub fn push_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'>', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// Attribute header (`|n`, RESP3 only; callers skip it in RESP2).
    pub fn attribute_len(&mut self, n: usize) {
        self.header(b'|', n as i64);
    }

    /// A double: `,1.5` in RESP3, a bulk string in RESP2 (Redis's
    /// `addReplyDouble`).
    pub fn double(&mut self, d: f64) {
        let mut s = Vec::with_capacity(32);
        numbers::fmt_f64(d, &mut s);
        if self.resp >= 3 {
            let mut v = Vec::with_capacity(s.len() + 3);
            v.push(b',');
            v.extend_from_slice(&s);
            v.extend_from_slice(b"\r\n");
            self.raw(&v);
        } else {
            self.bulk(&s);
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, b: bool) {
        if self.resp >= 3 {
            self.raw(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.raw(if b { b":1\r\n" } else { b":0\r\n" });
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, data: &[u8], format: &str) {
        if self.resp >= 3 {
            self.header(b'=', (data.len() + 4) as i64);
            self.raw(format.as_bytes());
            self.raw(b":");
            self.raw(data);
            self.raw(b"\r\n");
        } else {
            self.bulk(data);
        }
    }

    /// A big number in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &str) {
        if self.resp >= 3 {
            self.raw(b"(");
            self.raw(digits.as_bytes());
            self.raw(b"\r\n");
        } else {
            self.bulk(digits.as_bytes());
        }
    }

    /// Drop every unsent byte (used by RESET-like paths and tests).
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.sent = 0;
        self.pending = 0;
    }

    /// Everything unsent, concatenated (tests and diagnostics).
    pub fn contents(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.pending);
        for (i, c) in self.chunks.iter().enumerate() {
            let from = if i == 0 { self.sent } else { 0 };
            v.extend_from_slice(&c[from..]);
        }
        v
    }

    /// Move all of `other`'s unsent bytes to the end of `self`.
    pub fn append(&mut self, other: &mut ReplyBuf) {
        for (i, c) in other.chunks.iter().enumerate() {
            let from = if i == 0 { other.sent } else { 0 };
            self.raw(&c[from..]);
        }
        other.clear();
    }

    /// Write pending bytes to `w` until it would block, `max_bytes` have been
    /// written (fairness cap, Redis's NET_MAX_WRITES_PER_EVENT), or the
    /// buffer is empty. Returns the number of bytes written; `WouldBlock` is
    /// not an error here. A short write is normal and simply leaves data for
    /// the next writable event.
    pub fn write_to<W: Write>(&mut self, w: &mut W, max_bytes: usize) -> io::Result<usize> {
        let mut total = 0;
        while self.pending > 0 && total < max_bytes {
            let front = match self.chunks.front() {
                Some(f) => f,
                None => break,
            };
            let slice = &front[self.sent..];
            let slice = &slice[..slice.len().min(max_bytes - total)];
            if self.sent == front.len() {
                self.pop_front_chunk();
                continue;
            }
            match w.write(slice) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    total += n;
                    self.sent += n;
                    self.pending -= n;
                    if self.sent == self.chunks[0].len() {
                        self.pop_front_chunk();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Retire a fully sent front chunk. The last chunk's allocation is kept
    /// (when it is a normal-size one) so steady traffic does not allocate.
    fn pop_front_chunk(&mut self) {
        self.sent = 0;
        if self.chunks.len() == 1 {
            let size = self.buf_size();
            let c = &mut self.chunks[0];
            if c.capacity() <= size {
                c.clear();
                return;
            }
        }
        self.chunks.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp: u8, f: impl FnOnce(&mut ReplyBuf)) -> Vec<u8> {
        let mut r = ReplyBuf::new();
        r.resp = resp;
        f(&mut r);
        r.contents()
    }

    #[test]
    fn basic_encodings() {
        assert_eq!(enc(2, |r| r.ok()), b"+OK\r\n");
        assert_eq!(enc(2, |r| r.int(-42)), b":-42\r\n");
        assert_eq!(enc(2, |r| r.bulk(b"foo")), b"$3\r\nfoo\r\n");
        assert_eq!(enc(2, |r| r.bulk(b"")), b"$0\r\n\r\n");
        assert_eq!(enc(2, |r| r.null()), b"$-1\r\n");
        assert_eq!(enc(3, |r| r.null()), b"_\r\n");
        assert_eq!(enc(2, |r| r.null_array()), b"*-1\r\n");
        assert_eq!(enc(2, |r| r.map_len(2)), b"*4\r\n");
        assert_eq!(enc(3, |r| r.map_len(2)), b"%2\r\n");
        assert_eq!(enc(3, |r| r.set_len(1)), b"~1\r\n");
        assert_eq!(enc(3, |r| r.boolean(true)), b"#t\r\n");
        assert_eq!(enc(2, |r| r.boolean(false)), b":0\r\n");
        assert_eq!(enc(3, |r| r.verbatim(b"hi", "txt")), b"=6\r\ntxt:hi\r\n");
        assert_eq!(enc(2, |r| r.verbatim(b"hi", "txt")), b"$2\r\nhi\r\n");
        assert_eq!(enc(3, |r| r.double(1.5)), b",1.5\r\n");
        assert_eq!(enc(2, |r| r.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(enc(3, |r| r.big_number("123")), b"(123\r\n");
    }

    #[test]
    fn errors_are_sanitised_and_counted() {
        let mut r = ReplyBuf::new();
        r.error("ERR bad\r\nthing");
        r.error("-WRONGTYPE x");
        assert_eq!(r.contents(), b"-ERR bad  thing\r\n-WRONGTYPE x\r\n");
        assert_eq!(r.errors, vec!["ERR".to_string(), "WRONGTYPE".to_string()]);
    }

    /// A writer that accepts at most `cap` bytes per call and then blocks
    /// after `budget` bytes.
    struct Trickle {
        out: Vec<u8>,
        cap: usize,
        budget: usize,
    }
    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = b.len().min(self.cap).min(self.budget);
            self.out.extend_from_slice(&b[..n]);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn big_replies_survive_short_writes() {
        let mut r = ReplyBuf::new();
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        r.int(1);
        r.bulk(&big);
        for i in 0..5000 {
            r.int(i);
        }
        let expected = r.contents();
        let mut w = Trickle {
            out: vec![],
            cap: 7000,
            budget: 30_000,
        };
        let mut rounds = 0;
        while !r.is_empty() {
            r.write_to(&mut w, 64 * 1024).unwrap();
            w.budget = 30_000;
            rounds += 1;
            assert!(rounds < 1000);
        }
        assert_eq!(w.out, expected);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn fairness_cap_stops_early() {
        let mut r = ReplyBuf::new();
        r.bulk(&vec![b'x'; 200_000]);
        let mut w = Trickle {
            out: vec![],
            cap: usize::MAX,
            budget: usize::MAX,
        };
        let n = r.write_to(&mut w, 64 * 1024).unwrap();
        assert_eq!(n, 64 * 1024);
        assert!(!r.is_empty());
    }

    #[test]
    fn first_chunk_adapts_to_use() {
        let mut r = ReplyBuf::new();
        // Idle: the peak resets to nothing used, the buffer shrinks to 1 KB.
        assert_eq!(r.cron_resize(0, 100), None);
        assert_eq!(r.buf_size(), REPLY_CHUNK_BYTES);
        r.raw(b"+OK\r\n");
        let mut sink = Vec::new();
        r.write_to(&mut sink, usize::MAX).unwrap();
        // The first pass only restarts the peak (a new client counts as
        // having used all of it); the next one shrinks to the use seen.
        assert_eq!(r.cron_resize(200, 100), None);
        assert_eq!(r.cron_resize(300, 100), Some(true));
        assert_eq!(r.buf_size(), REPLY_MIN_BYTES);
        assert_eq!(r.memory(), REPLY_MIN_BYTES);
        // A big reply fills it: it doubles back up to 16 KB, never more.
        let mut sizes = Vec::new();
        for t in 0..6 {
            r.raw(&vec![b'x'; 40_000]);
            r.write_to(&mut sink, usize::MAX).unwrap();
            r.cron_resize(1000 + t, -1);
            sizes.push(r.buf_size());
        }
        assert_eq!(sizes, vec![2048, 4096, 8192, 16384, 16384, 16384]);
        // Replies are intact across the resizes.
        let mut r2 = ReplyBuf::new();
        r2.cron_resize(0, 0);
        r2.cron_resize(10, 0);
        for i in 0..1000 {
            r2.int(i);
        }
        let want: Vec<u8> = (0..1000)
            .flat_map(|i| format!(":{}\r\n", i).into_bytes())
            .collect();
        assert_eq!(r2.contents(), want);
    }
}
