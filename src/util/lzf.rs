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
//! compatible with every decoder, so ours need not find the same matches as
//! liblzf; it finds them the same way (a hash of the next three bytes into a
//! table of recent positions, one probe, no chains), which keeps it fast and
//! its ratio close.
//!
//! # Guarantees
//!
//! [`compress`] gives up (returns `None`) when the output would not be smaller
//! than `max_out` bytes; callers use that to keep incompressible data as it
//! is. [`decompress`] validates every chunk against both buffers and returns
//! `None` for corrupt input instead of panicking: the bytes may one day come
//! from a file or a client (RESTORE).

/// Longest literal run one control byte can announce.
const MAX_LIT: usize = 32;
/// Farthest a back reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest match one back reference can copy.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// log2 of the match-finder's table size.
const HASH_LOG: u32 = 14;

fn hash3(b: &[u8], i: usize) -> usize {
    let v = (u32::from(b[i]) << 16) | (u32::from(b[i + 1]) << 8) | u32::from(b[i + 2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize
}

/// Append the pending literal run `input[start..end]` in chunks of at most
/// [`MAX_LIT`] bytes.
fn flush_literals(out: &mut Vec<u8>, input: &[u8], start: usize, end: usize) {
    for chunk in input[start..end].chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Compress `input`; `None` if the result would need `max_out` bytes or more
/// (or the input is empty).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(max_out.min(n + n / 16 + 64));
    // Position + 1 of the last place each hash was seen (0 = never).
    let mut table = vec![0u32; 1 << HASH_LOG];
    let mut lit_start = 0;
    let mut i = 0;
    while i + 2 < n {
        let h = hash3(input, i);
        let cand = table[h] as usize;
        table[h] = (i + 1) as u32;
        if cand > 0 {
            let r = cand - 1;
            let off = i - r;
            if off <= MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max_len = MAX_REF.min(n - i);
                let mut len = 3;
                while len < max_len && input[r + len] == input[i + len] {
                    len += 1;
                }
                flush_literals(&mut out, input, lit_start, i);
                let (l, o) = (len - 2, off - 1);
                if l < 7 {
                    out.push(((l as u8) << 5) | (o >> 8) as u8);
                } else {
                    out.push((7 << 5) | (o >> 8) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((o & 0xff) as u8);
                if out.len() >= max_out {
                    return None;
                }
                // Remember the positions inside the match too (cheaply: the
                // last two), so the next match can start right after it.
                let end = i + len;
                for j in end.saturating_sub(2).max(i + 1)..end {
                    if j + 2 < n {
                        table[hash3(input, j)] = (j + 1) as u32;
                    }
                }
                i = end;
                lit_start = i;
                continue;
            }
        }
        i += 1;
    }
    flush_literals(&mut out, input, lit_start, n);
    (out.len() < max_out).then_some(out)
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
        for len in [3usize, 4, 31, 32, 33, 100, 263, 264, 265, 300, 8191, 8193, 20000] {
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
