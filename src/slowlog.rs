//! The slow log (~ Redis's `slowlog.c`): the most recent commands whose
//! execution took at least `slowlog-log-slower-than` microseconds, newest
//! first, at most `slowlog-max-len` of them.
//!
//! # What is measured
//!
//! Only the time spent executing the command inside `call()`: not the time
//! its request waited in the query buffer, nor the time spent writing the
//! reply. A command that blocks (BLPOP) is logged when it is finally served,
//! with its original arguments. EXEC itself is never logged (its command
//! table entry has `skip_slowlog`), but each command it runs is, and so is
//! every command a script runs, like the script's EVAL.
//!
//! # What is kept
//!
//! Each entry stores a copy of the arguments as the client sent them (not
//! the form rewritten for propagation), with arguments that must not leak
//! (CONFIG SET masterauth values...) replaced by `(redacted)`. To bound the
//! memory a log of big commands can take, at most 32 arguments are kept
//! (the 32nd becomes `... (N more arguments)`) and each is cut at 128 bytes
//! (`... (N more bytes)` appended), as Redis does.
//!
//! Entry ids grow for the life of the server; SLOWLOG RESET clears the log
//! but not the id counter.

use std::collections::VecDeque;

use crate::server::{Ctx, Server};

/// Arguments kept per entry (`SLOWLOG_ENTRY_MAX_ARGC`).
const MAX_ARGC: usize = 32;
/// Bytes kept per argument (`SLOWLOG_ENTRY_MAX_STRING`).
const MAX_STRING: usize = 128;

pub struct Entry {
    pub id: u64,
    /// Unix time (seconds) when the entry was made.
    pub time: i64,
    /// Execution time, microseconds.
    pub duration: u64,
    pub argv: Vec<Vec<u8>>,
    /// "ip:port" of the client.
    pub peer: String,
    /// CLIENT SETNAME name, or empty.
    pub name: Vec<u8>,
}

#[derive(Default)]
pub struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drop every entry (the id counter keeps counting).
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// Drop the oldest entries beyond `max_len`.
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

/// The arguments as an entry keeps them: trimmed and redacted.
fn entry_argv(argv: &[Vec<u8>], redact: &[usize], trimmed: Option<(usize, usize)>) -> Vec<Vec<u8>> {
    let keep = argv.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(keep);
    for (j, a) in argv.iter().enumerate().take(keep) {
        if j == keep - 1 && keep < argv.len() {
            out.push(format!("... ({} more arguments)", argv.len() - keep + 1).into_bytes());
        } else if redact.contains(&j) {
            out.push(b"(redacted)".to_vec());
        } else if a.len() > MAX_STRING || trimmed.is_some_and(|(i, _)| i == j) {
            // A moved-out argument left its first bytes and its length.
            let full = trimmed.filter(|&(i, _)| i == j).map_or(a.len(), |(_, n)| n);
            let mut s = a[..MAX_STRING.min(a.len())].to_vec();
            if full > MAX_STRING {
                s.extend_from_slice(format!("... ({} more bytes)", full - MAX_STRING).as_bytes());
            }
            out.push(s);
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// Log the command client `cid` just ran with `argv`, which took
/// `duration` µs, at least `slowlog-log-slower-than` (the caller, `call()`,
/// checks that on its hot path), then trim the log to `slowlog-max-len`
/// (`slowlogPushEntryIfNeeded`).
pub fn push(
    srv: &mut Server,
    cid: usize,
    argv: &[Vec<u8>],
    redact: &[usize],
    trimmed: Option<(usize, usize)>,
    duration: u64,
) {
    let (peer, name) = srv
        .clients
        .get(cid)
        .map_or((String::new(), Vec::new()), |c| {
            (c.addr.clone(), c.name.clone().unwrap_or_default())
        });
    let log = &mut srv.slowlog;
    let entry = Entry {
        id: log.next_id,
        time: crate::server::now_ms() / 1000,
        duration,
        argv: entry_argv(argv, redact, trimmed),
        peer,
        name,
    };
    log.next_id += 1;
    log.entries.push_front(entry);
    let max = usize::try_from(srv.config.slowlog_max_len).unwrap_or(usize::MAX);
    srv.slowlog.trim(max);
}

/// SLOWLOG GET [count]
pub fn slowlog_get_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut count: usize = 10;
    if ctx.argv.len() == 3 {
        match crate::util::numbers::parse_i64(ctx.arg(2)) {
            Some(-1) => count = srv.slowlog.len(),
            Some(n) if n >= 0 => count = usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                ctx.out
                    .error("ERR count should be greater than or equal to -1");
                return;
            }
        }
    }
    let n = count.min(srv.slowlog.len());
    ctx.out.array_len(n);
    for e in srv.slowlog.iter().take(n) {
        ctx.out.array_len(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time);
        ctx.out.int(e.duration as i64);
        ctx.out.array_len(e.argv.len());
        for a in &e.argv {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
}

/// SLOWLOG LEN
pub fn slowlog_len_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.slowlog.len() as i64);
}

/// SLOWLOG RESET
pub fn slowlog_reset_command(srv: &mut Server, ctx: &mut Ctx) {
    srv.slowlog.reset();
    ctx.out.ok();
}

/// SLOWLOG HELP
pub fn slowlog_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    let lines = [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::reply_help(ctx, &lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn long_argument_lists_keep_31_plus_a_summary() {
        let mut args = vec!["sadd".to_string(), "set".to_string()];
        args.extend((3..=33).map(|i| i.to_string()));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let out = entry_argv(&v(&refs), &[], None);
        assert_eq!(out.len(), 32);
        assert_eq!(out[30], b"31");
        assert_eq!(out[31], b"... (2 more arguments)");
        // Exactly 32 arguments are kept as they are.
        let out = entry_argv(&v(&refs[..32]), &[], None);
        assert_eq!(out.len(), 32);
        assert_eq!(out[31], b"32");
    }

    #[test]
    fn long_arguments_are_cut_and_redacted_ones_hidden() {
        let long = "A".repeat(129);
        let out = entry_argv(&v(&["config", "set", "masterauth", &long]), &[3], None);
        assert_eq!(out[3], b"(redacted)");
        let out = entry_argv(&v(&["sadd", "set", "foo", &long]), &[], None);
        assert_eq!(
            out[3],
            format!("{}... (1 more bytes)", "A".repeat(128)).as_bytes()
        );
        // A value SET moved out: 128 bytes left behind, full length known.
        let kept = "B".repeat(128);
        let out = entry_argv(&v(&["set", "k", &kept]), &[], Some((2, 1000)));
        assert_eq!(out[2], format!("{kept}... (872 more bytes)").as_bytes());
    }
}
