//! Readers for the two compact encodings Redis used before listpacks, so
//! that RDB files and DUMP payloads from older Redis versions still load
//! (~ the validation and iteration parts of Redis's `ziplist.c` and
//! `zipmap.c`). We never write these formats; the loader converts their
//! contents to listpacks, like Redis 7.0 does.
//!
//! # Ziplist
//! `zlbytes` (u32 LE, the whole size), `zltail` (u32 LE, offset of the last
//! entry), `zllen` (u16 LE, the count, 65535 meaning "count them"), the
//! entries, and a 0xFF terminator. Each entry is the previous entry's size
//! (1 byte, or 0xFE and a u32 LE when 254 or more), an encoding header, and
//! the payload: strings with a 6-bit, 14-bit (big endian) or 32-bit (big
//! endian) length; integers as int8/16/24/32/64 little endian, or a 4-bit
//! immediate 0..12 inside the header.
//!
//! # Zipmap
//! A count byte (254 meaning "count them"), then key/value pairs: a length
//! (1 byte below 254, else 0xFE and a u32 LE), the key, a length, a "free"
//! byte counting unused bytes after the value, the value, the free bytes;
//! 0xFF ends the map.
//!
//! Both readers check every offset against the buffer and the redundant
//! fields (prevlen, zltail, counts, the final size) against what they
//! found, so corrupt blobs are rejected, never read out of bounds.

/// One ziplist element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZlEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

fn le(b: &[u8]) -> u64 {
    b.iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// Every element of a ziplist, or `None` when the blob is malformed
/// (`ziplistValidateIntegrity` with deep checks).
pub fn ziplist_entries(buf: &[u8]) -> Option<Vec<ZlEntry<'_>>> {
    const HEADER: usize = 10;
    if buf.len() < HEADER + 1 {
        return None;
    }
    let zlbytes = le(&buf[0..4]) as usize;
    let zltail = le(&buf[4..8]) as usize;
    let zllen = le(&buf[8..10]) as usize;
    if zlbytes != buf.len() || buf[zlbytes - 1] != 0xFF {
        return None;
    }
    let end = zlbytes - 1;
    let mut out = Vec::new();
    let mut p = HEADER;
    let mut prev_size = 0usize;
    let mut last_start = None;
    while p < end {
        let start = p;
        // prevlen
        let prevlen = if buf[p] < 254 {
            p += 1;
            usize::from(buf[start])
        } else if buf[p] == 254 {
            let b = buf.get(p + 1..p + 5)?;
            p += 5;
            le(b) as usize
        } else {
            return None;
        };
        if prevlen != prev_size {
            return None;
        }
        let h = *buf.get(p)?;
        let entry = match h >> 6 {
            0 => {
                let n = usize::from(h & 0x3f);
                p += 1;
                ZlEntry::Str(buf.get(p..p.checked_add(n)?)?)
            }
            1 => {
                let n = (usize::from(h & 0x3f) << 8) | usize::from(*buf.get(p + 1)?);
                p += 2;
                ZlEntry::Str(buf.get(p..p.checked_add(n)?)?)
            }
            2 => {
                if h != 0x80 {
                    return None;
                }
                let b = buf.get(p + 1..p + 5)?;
                let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                p += 5;
                ZlEntry::Str(buf.get(p..p.checked_add(n)?)?)
            }
            _ => {
                p += 1;
                let (size, v) = match h {
                    0xC0 => (
                        2,
                        buf.get(p..p + 2)
                            .map(|b| i16::from_le_bytes([b[0], b[1]]) as i64),
                    ),
                    0xD0 => (
                        4,
                        buf.get(p..p + 4)
                            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
                    ),
                    0xE0 => (8, buf.get(p..p + 8).map(|b| le(b) as i64)),
                    0xF0 => (3, buf.get(p..p + 3).map(|b| ((le(b) as i64) << 40) >> 40)),
                    0xFE => (1, buf.get(p).map(|&b| b as i8 as i64)),
                    0xF1..=0xFD => (0, Some(i64::from(h & 0x0f) - 1)),
                    _ => return None,
                };
                p += size;
                ZlEntry::Int(v?)
            }
        };
        if let ZlEntry::Str(s) = entry {
            p += s.len();
        }
        if p > end {
            return None;
        }
        prev_size = p - start;
        last_start = Some(start);
        out.push(entry);
    }
    if p != end {
        return None;
    }
    // zltail points at the last entry (at the terminator when empty).
    if zltail != last_start.unwrap_or(HEADER) {
        return None;
    }
    if zllen != 0xFFFF && zllen != out.len() {
        return None;
    }
    Some(out)
}

/// Every (key, value) pair of a zipmap, or `None` when malformed
/// (`zipmapValidateIntegrity`).
pub fn zipmap_pairs(buf: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    fn read_len(buf: &[u8], p: &mut usize) -> Option<Option<usize>> {
        let b = *buf.get(*p)?;
        match b {
            0..=253 => {
                *p += 1;
                Some(Some(usize::from(b)))
            }
            254 => {
                let v = buf.get(*p + 1..*p + 5)?;
                *p += 5;
                Some(Some(le(v) as usize))
            }
            255 => Some(None),
        }
    }
    let count = usize::from(*buf.first()?);
    let mut p = 1;
    let mut out = Vec::new();
    while let Some(klen) = read_len(buf, &mut p)? {
        let key = buf.get(p..p.checked_add(klen)?)?;
        p += klen;
        let vlen = read_len(buf, &mut p)??;
        let free = usize::from(*buf.get(p)?);
        p += 1;
        let val = buf.get(p..p.checked_add(vlen)?)?;
        p += vlen + free;
        out.push((key, val));
    }
    // The terminator must be the last byte.
    if p + 1 != buf.len() {
        return None;
    }
    if count < 254 && count != out.len() {
        return None;
    }
    Some(out)
}

/// Test helpers shared with the decoder's tests.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// Builds a ziplist of the given entries with Redis's encodings.
    pub fn build(entries: &[ZlEntry<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last = 10;
        for e in entries {
            let start = body.len();
            last = 10 + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match *e {
                ZlEntry::Str(s) => {
                    assert!(s.len() < 64);
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Int(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
                ZlEntry::Int(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
            prev = body.len() - start;
        }
        let total = 10 + body.len() + 1;
        let mut out = Vec::new();
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(last as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xFF);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::build;
    use super::*;

    #[test]
    fn ziplist_round_trip_and_corruption() {
        let entries = [
            ZlEntry::Str(b"hello"),
            ZlEntry::Int(7),
            ZlEntry::Int(-123456789012),
            ZlEntry::Str(b""),
        ];
        let zl = build(&entries);
        assert_eq!(ziplist_entries(&zl).unwrap(), entries);
        assert_eq!(ziplist_entries(&build(&[])).unwrap(), []);
        // Every truncation and every single-byte change is handled.
        for i in 0..zl.len() {
            assert!(ziplist_entries(&zl[..i]).is_none());
            for b in [0u8, 1, 0x7f, 0xfe, 0xff] {
                let mut z = zl.clone();
                z[i] = b;
                let _ = ziplist_entries(&z);
            }
        }
    }

    #[test]
    fn zipmap_parse() {
        // {"a": "1", "bb": "xyz"} with one free byte after "xyz".
        let zm = b"\x02\x01a\x01\x001\x02bb\x03\x01xyzQ\xff";
        let pairs = zipmap_pairs(zm).unwrap();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b"1"[..]), (&b"bb"[..], &b"xyz"[..])]
        );
        for i in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..i]).is_none());
        }
        assert!(zipmap_pairs(b"\x03\x01a\x01\x001\xff").is_none());
    }
}
