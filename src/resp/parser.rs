//! Incremental request parser (~ `processInputBuffer`,
//! `processMultibulkBuffer` and `processInlineBuffer` in Redis's
//! `networking.c`).
//!
//! # Model
//! Bytes arrive in arbitrary pieces. Each client owns a [`QueryBuf`] (the raw
//! bytes not yet parsed) and a [`RequestParser`] (how far into the current
//! request we are). [`RequestParser::parse`] consumes as much as it can and
//! returns one complete argv, `Ok(None)` when more bytes are needed ("incomplete
//! input is not an error"), or a [`ProtocolError`] carrying Redis's exact
//! reply text. After an error the connection is closed once the error reply is
//! written.
//!
//! Two request forms exist, chosen by the first byte of a request:
//! - multibulk: `*<argc>\r\n` then argc times `$<len>\r\n<bytes>\r\n`;
//! - inline: one line split like a shell (quotes, escapes), as typed in telnet.
//!
//! # Big arguments
//! A bulk of at least 32 KiB (Redis's PROTO_MBULK_BIG_ARG) that is not yet
//! fully buffered gets a buffer of its exact size; the reader then fills that
//! buffer straight from the socket ([`RequestParser::big_arg_space`]), and the
//! finished buffer becomes the argument without another copy. Redis does the
//! same by letting the query buffer itself become the argument.
//!
//! # Invariants
//! - `parse` never panics on any input and never reads past `QueryBuf::end`.
//! - State survives between calls, so a request split at any byte offset
//!   parses exactly like the unsplit request (tested exhaustively below).

/// Max size of an inline request or of a `*`/`$` header line (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Bulk size from which an argument gets its own exact-size buffer.
pub const MBULK_BIG_ARG: usize = 32 * 1024;
/// Size of one socket read (PROTO_IOBUF_LEN).
pub const IOBUF_LEN: usize = 16 * 1024;

/// Unparsed input of one client. `data[start..end]` are the pending bytes;
/// `data[end..]` is initialised spare room for the next read.
#[derive(Debug, Default)]
pub struct QueryBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
    /// Largest pending size seen since the last cron check (for resizing).
    pub peak: usize,
}

impl QueryBuf {
    pub fn new() -> QueryBuf {
        QueryBuf::default()
    }

    /// Pending (unparsed) bytes.
    pub fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Allocated size (`qbuf` + `qbuf-free` in CLIENT LIST).
    pub fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Spare room at the end, at least `want` bytes, for a socket read.
    /// Moves pending bytes to the front first when that frees enough room.
    pub fn spare(&mut self, want: usize) -> &mut [u8] {
        // The peak counts the room asked for, as Redis's counts the read
        // length (`querybuf_peak`).
        self.peak = self.peak.max(self.len() + want);
        if self.start > 0 && (self.start == self.end || self.data.len() - self.end < want) {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < want {
            let new_len = (self.end + want).max(self.data.len() * 2).max(IOBUF_LEN);
            self.data.resize(new_len, 0);
        }
        &mut self.data[self.end..]
    }

    /// Record that `n` bytes were written into the slice from [`spare`].
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.data.len());
        self.peak = self.peak.max(self.len());
    }

    /// Append bytes (tests and internal use).
    pub fn extend(&mut self, bytes: &[u8]) {
        let room = self.spare(bytes.len());
        room[..bytes.len()].copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// Mark `n` pending bytes as parsed. The space is reclaimed before the
    /// next read (`spare`), so during a batch `used()` still counts the
    /// requests being executed, as Redis's `qbuf` does.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Bytes held, parsed or not (`qbuf` in CLIENT LIST).
    pub fn used(&self) -> usize {
        self.end
    }

    /// Make room for at least `cap` bytes in all (Redis gives a client a
    /// query buffer the size of the big argument it just received, so the
    /// next one of that size needs no reallocation).
    pub fn grow_to(&mut self, cap: usize) {
        if self.data.len() < cap {
            let want = cap - self.len();
            self.spare(want);
        }
    }

    /// The cron's resize (Redis's `clientsCronResizeQueryBuffer`), once a
    /// second per client. Only a buffer wasting more than 4 KB is touched:
    /// after more than 2 seconds idle it shrinks to its content (freed
    /// entirely when empty); otherwise, once over 32 KB and more than twice
    /// the peak use of the last second, it shrinks to that peak. The peak
    /// then restarts from the current content.
    pub fn cron_resize(&mut self, idle_s: i64) {
        // Reclaim the parsed prefix first: what is left is the content.
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let len = self.end;
        let cap = self.data.len();
        if cap - len > 4 * 1024 {
            if idle_s > 2 {
                self.resize_to(len);
            } else if cap > 32 * 1024 && cap / 2 > self.peak {
                self.resize_to(len.max(self.peak));
            }
        }
        self.peak = len;
    }

    fn resize_to(&mut self, size: usize) {
        if size == 0 {
            self.data = Vec::new();
        } else {
            self.data.truncate(size);
            self.data.shrink_to_fit();
        }
    }
}

/// A protocol violation: the reply text (without `-ERR `) and a short reason
/// for the log, as Redis's `setProtocolError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub reply: String,
    pub log_reason: &'static str,
}

impl ProtocolError {
    fn new(reply: &str, log_reason: &'static str) -> ProtocolError {
        ProtocolError {
            reply: format!("Protocol error: {}", reply),
            log_reason,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ReqType {
    #[default]
    None,
    Inline,
    Multibulk,
}

/// Per-client parse state.
#[derive(Debug)]
pub struct RequestParser {
    reqtype: ReqType,
    /// Bulk items still to read in the current multibulk request.
    multibulk_len: i64,
    /// Length of the bulk being read, or -1 while its `$` line is pending.
    bulk_len: i64,
    argv: Vec<Vec<u8>>,
    /// Exact-size buffer of a big argument being filled from the socket,
    /// and how many of its bytes (payload + CRLF) are filled.
    big: Option<(Vec<u8>, usize)>,
    /// Whether this connection carries a master's stream (no bulk limit).
    pub is_master: bool,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser {
            reqtype: ReqType::None,
            multibulk_len: 0,
            bulk_len: -1,
            argv: Vec::new(),
            big: None,
            is_master: false,
        }
    }
}

/// Most arguments a request may have before the client authenticated.
pub const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// Largest argument a request may carry before the client authenticated.
pub const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// Limits that come from the configuration and the client's state.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub proto_max_bulk_len: u64,
    /// The client must still authenticate (Redis's `authRequired`): until
    /// then a request has at most [`UNAUTH_MAX_MULTIBULK`] arguments of at
    /// most [`UNAUTH_MAX_BULK`] bytes, so a stranger cannot make the server
    /// buffer megabytes on its behalf.
    pub auth_required: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            auth_required: false,
        }
    }
}

fn find(hay: &[u8], needle: u8) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Redis's `string2ll` for protocol headers: optional `-`, digits, no
/// leading zeros except "0", fits in i64.
fn parse_header_int(s: &[u8]) -> Option<i64> {
    crate::util::numbers::parse_i64(s)
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// True when a request is partially parsed (for `CLIENT LIST`'s view and
    /// for deciding whether the query buffer may be trimmed).
    pub fn in_progress(&self) -> bool {
        self.reqtype != ReqType::None
    }

    /// Number of arguments gathered so far for the pending request.
    pub fn partial_argc(&self) -> usize {
        self.argv.len()
    }

    /// When a big argument is being received, the unfilled part of its buffer;
    /// the reader should `read` into it and then call [`big_arg_filled`].
    pub fn big_arg_space(&mut self) -> Option<&mut [u8]> {
        match &mut self.big {
            Some((buf, filled)) if *filled < buf.len() => Some(&mut buf[*filled..]),
            _ => None,
        }
    }

    /// Bytes of a big argument received so far (0 when none is pending).
    pub fn big_arg_filled_len(&self) -> usize {
        self.big.as_ref().map_or(0, |(_, filled)| *filled)
    }

    /// Record `n` bytes read into the slice returned by [`big_arg_space`].
    pub fn big_arg_filled(&mut self, n: usize) {
        if let Some((buf, filled)) = &mut self.big {
            *filled = (*filled + n).min(buf.len());
        }
    }

    /// Parse the next complete request from `qb`. Returns `Ok(Some(argv))`
    /// for a request (argv may be empty for an empty line or `*0`),
    /// `Ok(None)` when more input is needed.
    pub fn parse(
        &mut self,
        qb: &mut QueryBuf,
        limits: &ParseLimits,
    ) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        if self.reqtype == ReqType::None {
            let first = match qb.pending().first() {
                None => return Ok(None),
                Some(&b) => b,
            };
            self.reqtype = if first == b'*' {
                ReqType::Multibulk
            } else {
                ReqType::Inline
            };
        }
        let res = match self.reqtype {
            ReqType::Inline => self.parse_inline(qb),
            _ => self.parse_multibulk(qb, limits),
        };
        match res {
            Ok(Some(argv)) => {
                self.reset();
                Ok(Some(argv))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.reset();
                Err(e)
            }
        }
    }

    fn reset(&mut self) {
        self.reqtype = ReqType::None;
        self.multibulk_len = 0;
        self.bulk_len = -1;
        self.big = None;
    }

    fn parse_inline(&mut self, qb: &mut QueryBuf) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        let pending = qb.pending();
        let nl = match find(pending, b'\n') {
            Some(i) => i,
            None => {
                if pending.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::new(
                        "too big inline request",
                        "too big inline request",
                    ));
                }
                return Ok(None);
            }
        };
        let line_end = if nl > 0 && pending[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let argv = match crate::config::split_args(&pending[..line_end]) {
            Some(a) => a,
            None => {
                return Err(ProtocolError::new(
                    "unbalanced quotes in request",
                    "unbalanced quotes in inline request",
                ))
            }
        };
        qb.consume(nl + 1);
        Ok(Some(argv))
    }

    fn parse_multibulk(
        &mut self,
        qb: &mut QueryBuf,
        limits: &ParseLimits,
    ) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        if self.multibulk_len == 0 {
            let pending = qb.pending();
            let cr = match find(pending, b'\r') {
                Some(i) => i,
                None => {
                    if pending.len() > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new(
                            "too big mbulk count string",
                            "too big mbulk count string",
                        ));
                    }
                    return Ok(None);
                }
            };
            // The line must be followed by its '\n' too.
            if cr + 1 >= pending.len() {
                return Ok(None);
            }
            let n = match parse_header_int(&pending[1..cr]) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => {
                    return Err(ProtocolError::new(
                        "invalid multibulk length",
                        "invalid mbulk count",
                    ))
                }
            };
            if n > UNAUTH_MAX_MULTIBULK && limits.auth_required {
                return Err(ProtocolError::new(
                    "unauthenticated multibulk length",
                    "unauth mbulk count",
                ));
            }
            qb.consume(cr + 2);
            if n <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.multibulk_len = n;
            self.argv = Vec::with_capacity((n as usize).min(1024));
        }

        while self.multibulk_len > 0 {
            if self.bulk_len == -1 {
                let pending = qb.pending();
                let cr = match find(pending, b'\r') {
                    Some(i) => i,
                    None => {
                        if pending.len() > INLINE_MAX_SIZE {
                            return Err(ProtocolError::new(
                                "too big bulk count string",
                                "too big bulk count string",
                            ));
                        }
                        return Ok(None);
                    }
                };
                if cr + 1 >= pending.len() {
                    return Ok(None);
                }
                if pending[0] != b'$' {
                    let got = pending[0] as char;
                    return Err(ProtocolError {
                        reply: format!("Protocol error: expected '$', got '{}'", got),
                        log_reason: "expected $ but got something else",
                    });
                }
                let len = match parse_header_int(&pending[1..cr]) {
                    Some(l)
                        if l >= 0 && (self.is_master || l as u64 <= limits.proto_max_bulk_len) =>
                    {
                        l
                    }
                    _ => {
                        return Err(ProtocolError::new(
                            "invalid bulk length",
                            "invalid bulk length",
                        ))
                    }
                };
                if len > UNAUTH_MAX_BULK && limits.auth_required {
                    return Err(ProtocolError::new(
                        "unauthenticated bulk length",
                        "unauth bulk length",
                    ));
                }
                qb.consume(cr + 2);
                self.bulk_len = len;
                let want = len as usize + 2;
                if len as usize >= MBULK_BIG_ARG && qb.len() < want {
                    // Give the argument its own exact-size buffer and move what
                    // we already have of it there.
                    let mut buf = vec![0u8; want];
                    let have = qb.len();
                    buf[..have].copy_from_slice(qb.pending());
                    qb.consume(have);
                    self.big = Some((buf, have));
                }
            }

            let want = self.bulk_len as usize + 2;
            if let Some((buf, filled)) = &mut self.big {
                if *filled < buf.len() {
                    // Bytes may also have landed in the query buffer (e.g.
                    // when the reader did not use big_arg_space).
                    let take = (buf.len() - *filled).min(qb.len());
                    if take > 0 {
                        buf[*filled..*filled + take].copy_from_slice(&qb.pending()[..take]);
                        *filled += take;
                        qb.consume(take);
                    }
                    if *filled < buf.len() {
                        return Ok(None);
                    }
                }
                let (mut buf, _) = self.big.take().expect("big buffer present");
                buf.truncate(self.bulk_len as usize);
                // As in Redis, the client keeps a query buffer of this size
                // (the cron shrinks it back when it stays unused).
                qb.grow_to(want);
                qb.peak = qb.peak.max(want);
                self.argv.push(buf);
            } else {
                if qb.len() < want {
                    return Ok(None);
                }
                // Like Redis, the two bytes after the payload are skipped
                // without checking that they are CRLF.
                self.argv.push(qb.pending()[..want - 2].to_vec());
                qb.consume(want);
            }
            self.bulk_len = -1;
            self.multibulk_len -= 1;
        }
        Ok(Some(std::mem::take(&mut self.argv)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = Vec<Result<Vec<Vec<u8>>, String>>;

    /// Feed `input` in pieces given by `cuts` and collect every outcome.
    fn run(input: &[u8], cuts: &[usize]) -> Outcome {
        let mut qb = QueryBuf::new();
        let mut p = RequestParser::new();
        let limits = ParseLimits::default();
        let mut out = Vec::new();
        let mut prev = 0;
        let mut points: Vec<usize> = cuts.to_vec();
        points.push(input.len());
        'feed: for &cut in &points {
            let piece = &input[prev..cut];
            prev = cut;
            // Alternate between the query buffer and the big-arg fast path.
            let mut piece = piece;
            while !piece.is_empty() {
                if let Some(space) = p.big_arg_space() {
                    let n = space.len().min(piece.len());
                    space[..n].copy_from_slice(&piece[..n]);
                    p.big_arg_filled(n);
                    piece = &piece[n..];
                } else {
                    qb.extend(piece);
                    piece = &[];
                }
                loop {
                    match p.parse(&mut qb, &limits) {
                        Ok(Some(argv)) => out.push(Ok(argv)),
                        Ok(None) => break,
                        Err(e) => {
                            out.push(Err(e.reply));
                            break 'feed;
                        }
                    }
                }
            }
        }
        out
    }

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_and_inline() {
        let r = run(
            b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\nPING\r\nset a \"b c\"\n",
            &[],
        );
        assert_eq!(
            r,
            vec![
                Ok(args(&["GET", "foo"])),
                Ok(args(&["PING"])),
                Ok(args(&["set", "a", "b c"]))
            ]
        );
    }

    #[test]
    fn empty_requests() {
        assert_eq!(
            run(b"\r\n*0\r\n*-1\r\n", &[]),
            vec![Ok(vec![]), Ok(vec![]), Ok(vec![])]
        );
    }

    #[test]
    fn split_at_every_offset_gives_same_result() {
        let big = vec![b'x'; MBULK_BIG_ARG + 10];
        let mut input = Vec::new();
        input.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$");
        input.extend_from_slice((big.len()).to_string().as_bytes());
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(&big);
        input.extend_from_slice(
            b"\r\n*1\r\n$4\r\nPING\r\ninline 'q' x\r\n*2\r\n$0\r\n\r\n$2\r\nab\r\n",
        );
        let whole = run(&input, &[]);
        assert_eq!(whole.len(), 4);
        // Every single split point, and every pair of split points in the
        // small (non-big) tail.
        for cut in 0..=input.len() {
            assert_eq!(run(&input, &[cut]), whole, "cut at {}", cut);
        }
        let tail_start = input.len() - 60;
        for a in tail_start..input.len() {
            for b in a..input.len() {
                assert_eq!(run(&input, &[a, b]), whole);
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let input = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n";
        let cuts: Vec<usize> = (1..input.len()).collect();
        assert_eq!(
            run(input, &cuts),
            vec![Ok(args(&["ECHO", "hello"])), Ok(args(&["PING"]))]
        );
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        let e = |s: &[u8]| run(s, &[]).pop().unwrap().unwrap_err();
        assert_eq!(e(b"*-x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(
            e(b"*3000000000\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(e(b"*1\r\nfoo\r\n"), "Protocol error: expected '$', got 'f'");
        assert_eq!(e(b"*1\r\n$-10\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(
            e(b"*1\r\n$2000000000\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            e(b"*1\r\n$blabla\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            e(b"set a \"b\n"),
            "Protocol error: unbalanced quotes in request"
        );
        let big = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(e(&big), "Protocol error: too big inline request");
        let mut mb = b"*".to_vec();
        mb.extend_from_slice(&big);
        assert_eq!(e(&mb), "Protocol error: too big mbulk count string");
        let mut bb = b"*1\r\n$".to_vec();
        bb.extend_from_slice(&big);
        assert_eq!(e(&bb), "Protocol error: too big bulk count string");
    }

    #[test]
    fn bulk_limit_follows_config() {
        let mut qb = QueryBuf::new();
        let mut p = RequestParser::new();
        qb.extend(b"*1\r\n$11\r\n");
        let limits = ParseLimits {
            proto_max_bulk_len: 10,
            ..Default::default()
        };
        assert!(p.parse(&mut qb, &limits).is_err());
    }

    #[test]
    fn unauthenticated_limits() {
        let unauth = ParseLimits {
            auth_required: true,
            ..Default::default()
        };
        let parse = |input: &[u8], limits: &ParseLimits| {
            let mut qb = QueryBuf::new();
            qb.extend(input);
            RequestParser::new()
                .parse(&mut qb, limits)
                .map_err(|e| e.reply)
        };
        // At the limits: fine (or waiting for more input).
        assert_eq!(parse(b"*10\r\n", &unauth), Ok(None));
        assert_eq!(parse(b"*1\r\n$16384\r\n", &unauth), Ok(None));
        // Past them: refused before any payload is buffered.
        assert_eq!(
            parse(b"*11\r\n", &unauth),
            Err("Protocol error: unauthenticated multibulk length".into())
        );
        assert_eq!(
            parse(b"*1\r\n$16385\r\n", &unauth),
            Err("Protocol error: unauthenticated bulk length".into())
        );
        // An invalid length is reported as such first, as Redis does.
        assert_eq!(
            parse(b"*1\r\n$-2\r\n", &unauth),
            Err("Protocol error: invalid bulk length".into())
        );
        // Authenticated clients have the usual limits.
        let auth = ParseLimits::default();
        assert_eq!(parse(b"*20\r\n$1000000\r\n", &auth), Ok(None));
    }

    #[test]
    fn query_buffer_cron_resize() {
        // Idle for more than 2 seconds and empty: freed.
        let mut qb = QueryBuf::new();
        qb.extend(b"PING\r\n");
        let n = qb.len();
        qb.consume(n);
        assert!(qb.capacity() >= IOBUF_LEN);
        qb.cron_resize(1);
        assert!(qb.capacity() >= IOBUF_LEN, "not idle long enough");
        qb.cron_resize(3);
        assert_eq!(qb.capacity(), 0);

        // A big argument leaves a buffer of its size, which shrinks once
        // the peak use stays small.
        let mut qb = QueryBuf::new();
        let mut p = RequestParser::new();
        let big = vec![b'A'; 400_000];
        let mut req = format!("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n${}\r\n", big.len()).into_bytes();
        req.extend_from_slice(&big);
        req.extend_from_slice(b"\r\n");
        qb.extend(&req);
        let limits = ParseLimits::default();
        assert!(p.parse(&mut qb, &limits).unwrap().is_some());
        assert!(qb.capacity() >= 400_002);
        qb.cron_resize(0); // resets the peak to the (empty) content
        qb.extend(b"*1\r\n$4\r\nPING\r\n");
        assert!(p.parse(&mut qb, &limits).unwrap().is_some());
        qb.cron_resize(0);
        assert!(qb.capacity() < 400_002);
    }
}
