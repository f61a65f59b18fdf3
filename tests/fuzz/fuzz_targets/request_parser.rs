//! Fuzz target: the request parser (`src/resp/parser.rs`, ~ Redis's
//! `processMultibulkBuffer` / `processInlineBuffer`).
//!
//! # Input layout
//! `flags, cut count k (low 4 bits of flags), k little-endian u16 cut
//! offsets, payload`. `proto-max-bulk-len` is 1 MiB, or 1000 with flag bit
//! 4. (Redis's default, 512 MiB, takes no other path through the parser,
//! but every mutated `$<huge>` header would then allocate that much and
//! the fuzzer would run a hundred times slower.) Bit 5 expands every
//! `0xff n` pair in the payload into `n * 512` bytes of `a` (72 KiB at most
//! in all: past 64 KiB every limit is reached), so a short input can carry a big argument (>= 32 KiB, the
//! exact-size buffer path).
//!
//! # What is checked
//! - `parse` never panics, whatever the bytes and the split.
//! - The payload fed whole, and fed in the pieces given by the cuts the way
//!   the event loop reads a socket (`read_from_client`: into the big
//!   argument's own buffer when `big_arg_space` offers one, else into the
//!   query buffer's spare room, at most what `spare(IOBUF_LEN)` gives per
//!   read, parsing after every read), give the same sequence of argvs and
//!   protocol errors, and end in the same state. The one split-dependent
//!   result, which Redis shares, is excluded: a header or inline line longer
//!   than 64 KiB is refused ("too big ...") only when its end has not
//!   arrived yet, so outcomes are compared up to the first such error.
//! - Every argv parsed, written back as a multibulk request, parses to the
//!   same argv.

#![no_main]

use ferrodis::resp::parser::{ParseLimits, QueryBuf, RequestParser, IOBUF_LEN};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Argv(Vec<Vec<u8>>),
    Error(String),
}

impl Outcome {
    fn is_too_big(&self) -> bool {
        matches!(self, Outcome::Error(e) if e.contains("too big"))
    }
}

/// Parse everything that is complete; true after a protocol error (the
/// connection would be closed).
fn drain(
    p: &mut RequestParser,
    qb: &mut QueryBuf,
    limits: &ParseLimits,
    out: &mut Vec<Outcome>,
) -> bool {
    loop {
        match p.parse(qb, limits) {
            Ok(Some(argv)) => out.push(Outcome::Argv(argv)),
            Ok(None) => return false,
            Err(e) => {
                out.push(Outcome::Error(e.reply));
                return true;
            }
        }
    }
}

/// Outcomes and the final (in progress, partial argc) state.
type Run = (Vec<Outcome>, Option<(bool, usize)>);

fn run_whole(payload: &[u8], limits: &ParseLimits) -> Run {
    let mut qb = QueryBuf::new();
    let mut p = RequestParser::new();
    let mut out = Vec::new();
    qb.extend(payload);
    if drain(&mut p, &mut qb, limits, &mut out) {
        return (out, None);
    }
    (out, Some((p.in_progress(), p.partial_argc())))
}

fn run_split(payload: &[u8], cuts: &[usize], limits: &ParseLimits) -> Run {
    let mut qb = QueryBuf::new();
    let mut p = RequestParser::new();
    let mut out = Vec::new();
    let mut prev = 0;
    for &cut in cuts.iter().chain(std::iter::once(&payload.len())) {
        let mut piece = &payload[prev..cut];
        prev = cut;
        while !piece.is_empty() {
            let n = if let Some(space) = p.big_arg_space() {
                let n = space.len().min(piece.len());
                space[..n].copy_from_slice(&piece[..n]);
                p.big_arg_filled(n);
                n
            } else {
                let space = qb.spare(IOBUF_LEN);
                let n = space.len().min(piece.len());
                space[..n].copy_from_slice(&piece[..n]);
                qb.commit(n);
                n
            };
            piece = &piece[n..];
            assert!(qb.len() <= qb.capacity());
            if drain(&mut p, &mut qb, limits, &mut out) {
                return (out, None);
            }
        }
    }
    (out, Some((p.in_progress(), p.partial_argc())))
}

const EXPAND_MAX: usize = 72 * 1024;

fn expand(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len());
    let mut i = 0;
    while i < payload.len() {
        if payload[i] == 0xff && i + 1 < payload.len() {
            let n = (usize::from(payload[i + 1]) * 512).min(EXPAND_MAX.saturating_sub(v.len()));
            v.resize(v.len() + n, b'a');
            i += 2;
        } else {
            v.push(payload[i]);
            i += 1;
        }
    }
    v
}

fn multibulk(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut b = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        b.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        b.extend_from_slice(a);
        b.extend_from_slice(b"\r\n");
    }
    b
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let k = usize::from(flags & 0x0f);
    if rest.len() < 2 * k {
        return;
    }
    let (cut_bytes, payload) = rest.split_at(2 * k);
    let payload = if flags & 0x20 != 0 {
        expand(payload)
    } else {
        payload.to_vec()
    };
    let mut cuts: Vec<usize> = cut_bytes
        .chunks(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (payload.len() + 1))
        .collect();
    cuts.sort_unstable();
    let limits = ParseLimits {
        proto_max_bulk_len: if flags & 0x10 != 0 { 1000 } else { 1 << 20 },
        // The tighter limits of a client that has not authenticated yet.
        auth_required: flags & 0x40 != 0,
    };

    let (whole, whole_end) = run_whole(&payload, &limits);
    let (split, split_end) = run_split(&payload, &cuts, &limits);
    let first_too_big = whole
        .iter()
        .position(Outcome::is_too_big)
        .into_iter()
        .chain(split.iter().position(Outcome::is_too_big))
        .min();
    match first_too_big {
        None => {
            assert_eq!(whole, split, "whole vs split (cuts {:?})", cuts);
            assert_eq!(whole_end, split_end, "final state (cuts {:?})", cuts);
        }
        Some(i) => {
            let i = i.min(whole.len()).min(split.len());
            assert_eq!(whole[..i], split[..i], "whole vs split (cuts {:?})", cuts);
        }
    }

    // What was parsed survives a round trip through the multibulk form.
    let argvs: Vec<Vec<Vec<u8>>> = whole
        .into_iter()
        .filter_map(|o| match o {
            Outcome::Argv(a) => Some(a),
            Outcome::Error(_) => None,
        })
        .collect();
    let mut encoded = Vec::new();
    for a in &argvs {
        encoded.extend_from_slice(&multibulk(a));
    }
    let (again, end) = run_whole(&encoded, &ParseLimits::default());
    let again: Vec<Vec<Vec<u8>>> = again
        .into_iter()
        .map(|o| match o {
            Outcome::Argv(a) => a,
            Outcome::Error(e) => panic!("re-encoded request refused: {}", e),
        })
        .collect();
    assert_eq!(again, argvs);
    assert_eq!(end, Some((false, 0)));
});
