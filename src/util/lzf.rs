//! LZF: the small, fast compressor Redis uses for quicklist nodes
//! (`list-compress-depth`) and, later, for long strings in RDB files
//! (`rdbcompression`).
//!
//! # The format
//!
//! A compressed stream is a sequence of chunks, each starting with a control
//! byte `c`:
//!
//! - `c < 32`: a *literal run*: the next `c + 1` bytes are copied as they are
//!   (1 to 32 bytes).
//! - `c >= 32`: a *back reference*: copy `len` bytes starting `off` bytes back
//!   in the output produced so far, where
//!   - `len - 2 = c >> 5` (1..6), or, when those three bits are all ones (7),
//!     `len - 2 = 7 + next byte` (so up to 264 bytes);
//!   - `off - 1 = ((c & 0x1f) << 8) | following byte` (so up to 8192 bytes
//!     back).
//!
//! A reference may overlap the bytes it produces (`off < len`): copying byte
//! by byte then repeats a short pattern, which is how a run of one byte costs
//! three bytes.
//!
//! Nothing frames the stream: the reader must know the uncompressed length
//! (Redis stores it next to the data). Any encoder that emits valid chunks is
//! compatible with every decoder, but ours makes liblzf's exact choices (see
//! [`compress`]) so DUMP payloads and RDB files are byte-identical to Redis's.
//!
//! # Guarantees
//!
//! [`compress`] gives up (returns `None`) when the output does not fit in
//! `out_len` bytes; callers use that to keep incompressible data as it
//! is. [`decompress`] validates every chunk against both buffers and returns
//! `None` for corrupt input instead of panicking: the bytes may come
//! from a file or a client (RESTORE).

/// Longest literal run one control byte can announce.
const MAX_LIT: usize = 32;
/// Farthest a back reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest match one back reference can copy.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// log2 of the match-finder's table size (liblzf's `HLOG` as Redis builds it).
const HASH_LOG: u32 = 16;

/// liblzf's "very fast" slot function of the three bytes in the low 24 bits
/// of `h` (higher bits never reach the masked result).
#[inline]
fn slot(h: u32) -> usize {
    ((h >> (24 - HASH_LOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HASH_LOG) - 1)) as usize
}

/// The match finder's table, kept between calls: clearing (or allocating)
/// `1 << HASH_LOG` slots for every string would cost more than compressing
/// a short one, and was what made SAVE ten times slower than Redis's.
///
/// Instead of clearing, every call gets a fresh range of positions: a slot
/// holds `base + position`, and a slot below the current call's `base` was
/// written by an earlier call, so it reads as empty. `base` grows by the
/// input length (plus one) per call; a u64 never wraps in practice.
struct MatchTable {
    slots: Vec<u64>,
    next_base: u64,
}

thread_local! {
    static MATCH_TABLE: std::cell::RefCell<MatchTable> = const {
        std::cell::RefCell::new(MatchTable { slots: Vec::new(), next_base: 1 })
    };
}

/// Compress `input` into at most `out_len` bytes; `None` if it does not fit
/// (or the input or the room is empty), exactly when liblzf's
/// `lzf_compress(in, len, out, out_len)` returns 0.
///
/// # Why byte-exact
/// Redis stores LZF output in RDB files and DUMP payloads (strings over 20
/// bytes, quicklist nodes) and ships the same bytes to replicas; producing
/// liblzf's exact choices makes our payloads identical to Redis's and our
/// compressed list nodes the same size. The match finder is liblzf's as
/// Redis compiles it: one table slot per 3-byte hash, no chains, a
/// candidate accepted when it lies within the window, strictly after the
/// first input byte, and its first three bytes agree; after a match only the
/// last two positions inside it are hashed ("very fast" mode). liblzf leaves
/// its table uninitialized; every call here sees an empty one (the reused
/// [`MatchTable`] reads as empty), which is what a fresh table behaves like.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 {
        return None;
    }
    MATCH_TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if t.slots.is_empty() {
            t.slots = vec![0; 1 << HASH_LOG];
        }
        let base = t.next_base;
        t.next_base += input.len() as u64 + 1;
        compress_with(&mut t.slots, base, input, out_len)
    })
}

/// [`compress`] with the match table: slot values below `base` are empty.
fn compress_with(table: &mut [u64], base: u64, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let n = input.len();
    // Every write below is bounds-checked against out_len first, so the
    // buffer only needs a few bytes of slack for the run-start byte.
    let mut out = vec![0u8; out_len + 4];
    let mut ip = 0usize;
    let mut op = 1usize; // byte 0 is reserved for the first run's length
    let mut lit = 0usize;
    let mut hval: u32 = if n >= 2 {
        (u32::from(input[0]) << 8) | u32::from(input[1])
    } else {
        0
    };
    while ip + 2 < n {
        hval = (hval << 8) | u32::from(input[ip + 2]);
        let s = slot(hval);
        let stored = table[s];
        table[s] = base + ip as u64;
        let r = if stored >= base {
            (stored - base) as usize
        } else {
            usize::MAX
        };
        let found = r != usize::MAX
            && r < ip
            && ip - r - 1 < MAX_OFF
            && r > 0
            && input[r + 2] == input[ip + 2]
            && input[r] == input[ip]
            && input[r + 1] == input[ip + 1];
        if found {
            let off = ip - r - 1;
            let maxlen = (n - ip - 2).min(MAX_REF);
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            // Close the literal run (or take back its unused length byte).
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= usize::from(lit == 0);
            // Extend the match. liblzf checks 16 bytes unrolled before it
            // looks at `maxlen` when more than 16 remain; replicate that
            // so matches end where its do.
            let mut len = 3;
            if maxlen > 16 {
                while len <= 18 && input[r + len] == input[ip + len] {
                    len += 1;
                }
                if len == 19 {
                    while len < maxlen && input[r + len] == input[ip + len] {
                        len += 1;
                    }
                }
            } else {
                while len < maxlen && input[r + len] == input[ip + len] {
                    len += 1;
                }
            }
            let code = len - 2;
            if code < 7 {
                out[op] = ((off >> 8) + (code << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (code - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start the next run
            ip += len;
            if ip + 2 >= n {
                break;
            }
            // Hash the last two positions inside the match.
            ip -= 2;
            hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
            hval = (hval << 8) | u32::from(input[ip + 2]);
            table[slot(hval)] = base + ip as u64;
            ip += 1;
            hval = (hval << 8) | u32::from(input[ip + 2]);
            table[slot(hval)] = base + ip as u64;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < n {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    if op > out_len {
        return None;
    }
    out.truncate(op);
    Some(out)
}

/// Decompress `input`, which must expand to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let c = usize::from(input[i]);
        i += 1;
        if c < 32 {
            let run = c + 1;
            let lit = input.get(i..i + run)?;
            if out.len() + run > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            i += run;
        } else {
            let mut len = c >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            len += 2;
            let off = ((c & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            if off > out.len() || out.len() + len > out_len {
                return None;
            }
            let from = out.len() - off;
            if off >= len {
                out.extend_from_within(from..from + len);
            } else {
                for k in 0..len {
                    let b = out[from + k];
                    out.push(b);
                }
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Option<usize> {
        let c = compress(data, data.len())?;
        assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        Some(c.len())
    }

    #[test]
    fn reused_table_never_leaks_between_calls() {
        // Each result must not depend on what was compressed before.
        let inputs: Vec<Vec<u8>> = vec![
            b"abcabcabcabcabcabcabcabcabcabcabcabc".to_vec(),
            (0..5000u32).map(|i| (i * 7 % 251) as u8).collect(),
            b"xyzxyzxyzxyz-abcabcabcabc-xyzxyzxyz".repeat(40),
            vec![b'q'; 300],
        ];
        let first: Vec<_> = inputs.iter().map(|x| compress(x, x.len())).collect();
        for round in 0..3 {
            for (i, x) in inputs.iter().enumerate().rev() {
                assert_eq!(compress(x, x.len()), first[i], "round {round} input {i}");
            }
        }
        // The same with a table nobody used: a fresh thread.
        let again = std::thread::spawn(move || {
            inputs
                .iter()
                .map(|x| compress(x, x.len()))
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        assert_eq!(again, first);
    }

    #[test]
    fn repetitive_data_shrinks_and_round_trips() {
        let data = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(20);
        let n = round_trip(&data).expect("compressible");
        assert!(n < data.len() / 10, "{n}");
        // A run of one byte uses overlapping references.
        let run = vec![b'x'; 5000];
        assert!(round_trip(&run).expect("compressible") < 100);
    }

    #[test]
    fn incompressible_data_is_refused() {
        // A xorshift byte stream has no 3-byte repeats to speak of.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<u8> = (0..4096)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s as u8
            })
            .collect();
        assert_eq!(compress(&data, data.len()), None);
        // With room to spare it still round-trips (literal runs only).
        let c = compress(&data, data.len() * 2).expect("fits");
        assert_eq!(decompress(&c, data.len()).as_deref(), Some(&data[..]));
    }

    #[test]
    fn mixed_inputs_round_trip() {
        let mut s = 7u64;
        for len in [
            3usize, 4, 31, 32, 33, 100, 263, 264, 265, 300, 8191, 8193, 20000,
        ] {
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    if (i / 50) % 2 == 0 {
                        b"hello world "[i % 12]
                    } else {
                        (s >> 59) as u8
                    }
                })
                .collect();
            let c = compress(&data, data.len() * 2 + 16).expect("room");
            assert_eq!(decompress(&c, len).as_deref(), Some(&data[..]), "len {len}");
        }
    }

    #[test]
    fn output_matches_liblzf_byte_for_byte() {
        // What redis-server 7.0.15 stored for this 95-byte value in its
        // DUMP payload (liblzf with Redis's build options).
        let input: Vec<u8> = (0..60u32)
            .map(|i| b'a' + ((i * 7919 % 251) % 26) as u8)
            .chain(b"hello world hello world hello world".iter().copied())
            .collect();
        let expected = [
            0x14, 0x61, 0x69, 0x7a, 0x68, 0x79, 0x67, 0x78, 0x66, 0x77, 0x65, 0x76, 0x6d, 0x75,
            0x6c, 0x74, 0x6b, 0x73, 0x6a, 0x72, 0x69, 0x71, 0xc0, 0x11, 0x00, 0x64, 0xe0, 0x01,
            0x11, 0x00, 0x70, 0x80, 0x23, 0x02, 0x64, 0x75, 0x63, 0xc0, 0x23, 0x0d, 0x70, 0x67,
            0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x20, 0xe0, 0x0c,
            0x0b, 0x01, 0x6c, 0x64,
        ];
        assert_eq!(
            compress(&input, input.len() - 4).as_deref(),
            Some(&expected[..])
        );
        assert_eq!(
            decompress(&expected, input.len()).as_deref(),
            Some(&input[..])
        );
    }

    #[test]
    fn known_stream_from_liblzf_decodes() {
        // "aaaaaaaaaa": one literal 'a', then a reference of length 9 at
        // offset 1 (control (9-2)=7 -> extended length byte 0).
        let stream = [0x00, b'a', 0xe0, 0x00, 0x00];
        assert_eq!(decompress(&stream, 10).as_deref(), Some(&b"aaaaaaaaaa"[..]));
    }

    #[test]
    fn corrupt_input_is_rejected_not_panicking() {
        assert_eq!(decompress(&[5, b'a'], 6), None); // literal past the end
        assert_eq!(decompress(&[0x20, 0x05], 3), None); // reference before start
        assert_eq!(decompress(&[0, b'a', 0xe0], 10), None); // truncated
        assert_eq!(decompress(&[0, b'a'], 2), None); // too short
        assert_eq!(decompress(&[1, b'a', b'b'], 1), None); // too long
        for b in 0..=255u8 {
            let _ = decompress(&[b, b, b, b], 16);
        }
    }
}
