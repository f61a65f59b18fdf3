//! Self-contained helpers shared by the whole server, the counterpart of Redis's
//! `util.c` plus the number helpers of `object.c`.
//!
//! - [`glob`]: `stringmatchlen`, the glob matcher behind KEYS, SCAN MATCH, PSUBSCRIBE,
//!   CONFIG GET and ACL key patterns.
//! - [`numbers`]: `string2ll`/`string2ull`/`string2d` parsing and `ll2string`,
//!   `%.17g` (`addReplyDouble`), `d2string` and `fixedpoint_d2string` formatting.
//! - [`sha1`]: SHA-1 and `sha1hex`, the names of cached scripts.
//! - [`sha256`]: SHA-256, the hashes of ACL passwords.
//! - [`long_double`]: a software x87 `long double` for INCRBYFLOAT, HINCRBYFLOAT and
//!   GEOPOS, with `string2ld` parsing and `ld2string(LD_STR_HUMAN)` formatting.
//! - [`lzf`]: the LZF compressor and decompressor (quicklist node compression, RDB strings).
//! - [`crc64`]: Redis's CRC-64 (RDB file and DUMP payload checksums).
//! - [`hdr`]: the HDR histogram layout of `hdr_histogram` behind per-command latency tracking.
//!
//! Invariants: these modules depend on nothing but `std`, never panic on client
//! input, and reproduce Redis 7.0's output byte for byte (the tests hold cases
//! captured from a real redis-server 7.0.15).

pub mod crc64;
pub mod glob;
pub mod hdr;
pub mod long_double;
pub mod lzf;
pub mod numbers;
pub mod sha1;
pub mod sha256;

/// A minimal blocking RESP2 client for differential tests against a real
/// redis-server. Tests using it are skipped (with a printed reason) unless
/// `FERRODIS_REAL_REDIS_PORT` names the port of a running redis-server 7.0 on
/// 127.0.0.1 that may be written to (they only touch keys under `ferrodis-util-test:`).
#[cfg(test)]
pub(crate) mod real_redis {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    pub enum Reply {
        Status(String),
        Error(String),
        Int(i64),
        Bulk(Option<Vec<u8>>),
        Array(Vec<Reply>),
    }

    impl Reply {
        /// The payload of a bulk reply.
        pub fn bulk(&self) -> Option<&[u8]> {
            match self {
                Reply::Bulk(Some(b)) => Some(b),
                _ => None,
            }
        }

        /// The elements of an array reply (empty for anything else).
        pub fn items(&self) -> &[Reply] {
            match self {
                Reply::Array(items) => items,
                _ => &[],
            }
        }

        /// Bulk or status payload as text, errors as their message; for comparisons.
        pub fn text(&self) -> String {
            match self {
                Reply::Status(s) | Reply::Error(s) => s.clone(),
                Reply::Int(i) => i.to_string(),
                Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
                Reply::Bulk(None) => "(nil)".into(),
                Reply::Array(items) => {
                    let parts: Vec<String> = items.iter().map(Reply::text).collect();
                    format!("[{}]", parts.join(","))
                }
            }
        }
    }

    /// xorshift64: deterministic test randomness without dependencies.
    pub fn next_rand(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// A random number-like string: mostly valid decimal or hex floats across the
    /// whole exponent range (up to `max_exp`), some specials and near misses.
    pub fn random_float_text(state: &mut u64, max_exp: u64) -> Vec<u8> {
        const SPECIAL: &[&str] = &[
            "inf", "-inf", "+inf", "INFINITY", "nan", "-nan", "infin", "1e", "1e+", ".", "e1",
            "0x", "0x.p1", "1..2", "--1", " 1", "1 ", "0x1p", "", "0", "-0", "0.0", ".0", "0.",
            "00012", "1_0", "0e-99999", "-0e99999", "0x0p9999", "1e-400", "1e400",
        ];
        let mut r = |n: u64| (next_rand(state) % n.max(1)) as usize;
        let sign = ["", "", "-", "+"][r(4)];
        let mut out = sign.as_bytes().to_vec();
        let kind = r(10);
        if kind == 0 {
            out = SPECIAL[r(SPECIAL.len() as u64)].as_bytes().to_vec();
        } else if kind <= 2 {
            out.extend_from_slice(b"0x");
            let hex = b"0123456789abcdefABCDEF";
            for _ in 0..r(18) {
                out.push(hex[r(22)]);
            }
            if r(2) == 0 {
                out.push(b'.');
                for _ in 0..r(18) {
                    out.push(hex[r(16)]);
                }
            }
            if out.ends_with(b"x") || out.ends_with(b"x.") {
                out.push(b'1');
            }
            if r(4) != 0 {
                let e = [r(20), r(1100), r(17000)][r(3)];
                out.extend_from_slice(format!("p{}{e}", ["", "-", "+"][r(3)]).as_bytes());
            }
        } else {
            let digits = |n: usize, r: &mut dyn FnMut(u64) -> usize| -> Vec<u8> {
                (0..n).map(|_| b'0' + r(10) as u8).collect()
            };
            let int = digits([0, 1, 1, 2, 5, 10, 20][r(7)], &mut r);
            let frac = digits([0, 0, 1, 2, 5, 17, 18, 25][r(8)], &mut r);
            out.extend_from_slice(&int);
            if !frac.is_empty() || int.is_empty() || r(10) == 0 {
                out.push(b'.');
                out.extend_from_slice(&frac);
                if int.is_empty() && frac.is_empty() {
                    out.push(b'5');
                }
            }
            if r(2) == 0 {
                let e = [r(30), r(max_exp + 1), r(40) + 290, r(70) + 4900][r(4)];
                out.extend_from_slice(format!("e{}{e}", ["", "-", "+"][r(3)]).as_bytes());
            }
        }
        out
    }

    pub struct Conn {
        reader: BufReader<TcpStream>,
        writer: TcpStream,
    }

    /// Connects if the environment names a server; prints why not otherwise.
    pub fn connect(test: &str) -> Option<Conn> {
        let Ok(port) = std::env::var("FERRODIS_REAL_REDIS_PORT") else {
            println!("{test}: skipped, FERRODIS_REAL_REDIS_PORT is not set");
            return None;
        };
        match TcpStream::connect(("127.0.0.1", port.parse::<u16>().ok()?)) {
            Ok(stream) => {
                let writer = stream.try_clone().ok()?;
                Some(Conn {
                    reader: BufReader::new(stream),
                    writer,
                })
            }
            Err(e) => {
                println!("{test}: skipped, cannot reach redis on port {port}: {e}");
                None
            }
        }
    }

    impl Conn {
        pub fn send(&mut self, args: &[&[u8]]) {
            let mut buf = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                buf.extend_from_slice(a);
                buf.extend_from_slice(b"\r\n");
            }
            self.writer.write_all(&buf).expect("write to redis");
        }

        pub fn read(&mut self) -> Reply {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).expect("read");
            let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
            match line[0] {
                b'+' => Reply::Status(body),
                b'-' => Reply::Error(body),
                b':' => Reply::Int(body.parse().expect("int")),
                b'$' => {
                    let n: i64 = body.parse().expect("len");
                    if n < 0 {
                        return Reply::Bulk(None);
                    }
                    let mut data = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut data).expect("read bulk");
                    data.truncate(n as usize);
                    Reply::Bulk(Some(data))
                }
                b'*' => {
                    let n: i64 = body.parse().expect("len");
                    Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
                }
                other => panic!("unexpected RESP type byte {other}"),
            }
        }

        pub fn cmd(&mut self, args: &[&[u8]]) -> Reply {
            self.send(args);
            self.read()
        }

        /// Sends all commands, then reads all replies (pipelined).
        pub fn pipeline(&mut self, cmds: &[Vec<Vec<u8>>]) -> Vec<Reply> {
            for chunk in cmds.chunks(1000) {
                for c in chunk {
                    let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
                    self.send(&args);
                }
            }
            cmds.iter().map(|_| self.read()).collect()
        }
    }
}
