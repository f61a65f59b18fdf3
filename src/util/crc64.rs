//! CRC-64 as Redis computes it (~ Redis's `crc64.c`): the "Jones"
//! polynomial 0xad93d23594c935a9, bits reflected on input and output,
//! initial value 0, no final xor. It is the trailer of RDB files and of
//! DUMP payloads, so it must match bit for bit.
//!
//! # Table-driven, eight bytes at a time
//! A reflected CRC processes the message least-significant bit first. The
//! bitwise loop shifts the register right once per input bit and, when the
//! bit shifted out is 1, xors in the reflected polynomial. Eight such steps
//! depend only on the low byte of `register ^ input byte`, so they are
//! precomputed into a 256-entry table: per byte, one lookup, one shift and
//! one xor.
//!
//! That loop is a chain: each byte waits for the previous one. "Slicing by
//! 8" (what Redis's `crcspeed.c` does) breaks it: xor eight input bytes into
//! the register at once, then look each of its eight bytes up in its own
//! table, where table `k` holds the effect of a byte followed by `k` zero
//! bytes. The eight lookups are independent, so the processor runs them in
//! parallel; a whole-file checksum (every RDB file and full sync) costs a
//! fraction of what the byte loop did. The tail shorter than eight bytes
//! goes through the byte loop.

/// The Jones polynomial, bit-reversed (the "reflected" form).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0]` is the byte table; `TABLES[k][b]` is the CRC register after
/// byte `b` followed by `k` zero bytes. Built at compile time.
const TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continue the CRC `crc` over `data` (`crc64(crc, data, len)`); start a
/// fresh checksum with 0.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        let x = crc ^ u64::from_le_bytes(bytes);
        crc = TABLES[7][(x & 0xff) as usize]
            ^ TABLES[6][((x >> 8) & 0xff) as usize]
            ^ TABLES[5][((x >> 16) & 0xff) as usize]
            ^ TABLES[4][((x >> 24) & 0xff) as usize]
            ^ TABLES[3][((x >> 32) & 0xff) as usize]
            ^ TABLES[2][((x >> 40) & 0xff) as usize]
            ^ TABLES[1][((x >> 48) & 0xff) as usize]
            ^ TABLES[0][(x >> 56) as usize];
    }
    crc64_bytewise(crc, words.remainder())
}

/// The one-byte-at-a-time form (the tail of [`crc64`], and its reference
/// in the tests).
fn crc64_bytewise(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLES[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn sliced_equals_bytewise() {
        let data: Vec<u8> = (0..10_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in (0..64).chain([1000, 4097, 10_000]) {
            for start in 0..8 {
                let d = &data[start..start + len.min(data.len() - 8)];
                assert_eq!(crc64(7, d), crc64_bytewise(7, d), "len {len} start {start}");
            }
        }
    }

    #[test]
    fn incremental_equals_whole() {
        let data = b"This is a longer test input for the incremental CRC path.";
        let whole = crc64(0, data);
        for split in 0..data.len() {
            assert_eq!(crc64(crc64(0, &data[..split]), &data[split..]), whole);
        }
    }
}
