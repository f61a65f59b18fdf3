//! CRC-64 as Redis computes it (~ Redis's `crc64.c`): the "Jones"
//! polynomial 0xad93d23594c935a9, bits reflected on input and output,
//! initial value 0, no final xor. It is the trailer of RDB files and of
//! DUMP payloads, so it must match bit for bit.
//!
//! # Table-driven, one byte at a time
//! A reflected CRC processes the message least-significant bit first. The
//! bitwise loop shifts the register right once per input bit and, when the
//! bit shifted out is 1, xors in the reflected polynomial. Eight such steps
//! depend only on the low byte of `register ^ input byte`, so they are
//! precomputed into a 256-entry table: per byte, one lookup, one shift and
//! one xor. (Redis uses a slice-by-8 variant; the result is the same, and a
//! whole-file checksum is not our bottleneck.)

/// The Jones polynomial, bit-reversed (the "reflected" form).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// The byte table, built at compile time.
const TABLE: [u64; 256] = build_table();

const fn build_table() -> [u64; 256] {
    let mut table = [0u64; 256];
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
        table[i] = crc;
        i += 1;
    }
    table
}

/// Continue the CRC `crc` over `data` (`crc64(crc, data, len)`); start a
/// fresh checksum with 0.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLE[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
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
    fn incremental_equals_whole() {
        let data = b"This is a longer test input for the incremental CRC path.";
        let whole = crc64(0, data);
        for split in 0..data.len() {
            assert_eq!(crc64(crc64(0, &data[..split]), &data[split..]), whole);
        }
    }
}
