//! The command table (~ `redisCommandTable` in Redis's `commands.c` and the
//! lookup half of `server.c`).
//!
//! Every command is one [`CommandDef`] row: name, arity, flags, key
//! positions, ACL categories, documentation, handler, and subcommands for
//! container commands (CONFIG GET, CLIENT LIST...). The same rows answer
//! COMMAND / COMMAND INFO / COMMAND DOCS, so what clients are told and what
//! the server does cannot drift apart.
//!
//! Arity follows Redis: `N` means exactly N arguments counting the command
//! name, `-N` means at least N.
//!
//! [`CommandTable`] indexes the rows by lower-case name and keeps per-command
//! statistics (INFO commandstats) in a parallel vector indexed by
//! [`CmdId`].

use std::collections::HashMap;

use crate::server::{Ctx, Server};

/// A command implementation. Replies go to `ctx.out`; the server state is
/// reachable through `srv` (databases, clients, config).
pub type Handler = fn(&mut Server, &mut Ctx);

// Command flags (CMD_* in Redis).
pub const WRITE: u32 = 1 << 0;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
pub const PUBSUB: u32 = 1 << 4;
pub const NOSCRIPT: u32 = 1 << 5;
pub const BLOCKING: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
pub const SKIP_MONITOR: u32 = 1 << 9;
pub const SKIP_SLOWLOG: u32 = 1 << 10;
pub const FAST: u32 = 1 << 11;
pub const NO_AUTH: u32 = 1 << 12;
pub const MAY_REPLICATE: u32 = 1 << 13;
pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
pub const PROTECTED: u32 = 1 << 15;
pub const NO_ASYNC_LOADING: u32 = 1 << 16;
pub const NO_MULTI: u32 = 1 << 17;
pub const ALLOW_BUSY: u32 = 1 << 18;
pub const ASKING: u32 = 1 << 19;
pub const SENTINEL: u32 = 1 << 20;

/// Flag names in COMMAND INFO order.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (ASKING, "asking"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    // MAY_REPLICATE is deliberately absent: Redis 7.0 keeps it out of
    // COMMAND INFO (PUBLISH, PFCOUNT show no "may_replicate").
    (NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (NO_ASYNC_LOADING, "no_async_loading"),
    (NO_MULTI, "no_multi"),
    (ALLOW_BUSY, "allow_busy"),
];

// ACL categories (ACL_CATEGORY_* in Redis).
pub const ACL_KEYSPACE: u32 = 1 << 0;
pub const ACL_READ: u32 = 1 << 1;
pub const ACL_WRITE: u32 = 1 << 2;
pub const ACL_SET: u32 = 1 << 3;
pub const ACL_SORTEDSET: u32 = 1 << 4;
pub const ACL_LIST: u32 = 1 << 5;
pub const ACL_HASH: u32 = 1 << 6;
pub const ACL_STRING: u32 = 1 << 7;
pub const ACL_BITMAP: u32 = 1 << 8;
pub const ACL_HYPERLOGLOG: u32 = 1 << 9;
pub const ACL_GEO: u32 = 1 << 10;
pub const ACL_STREAM: u32 = 1 << 11;
pub const ACL_PUBSUB: u32 = 1 << 12;
pub const ACL_ADMIN: u32 = 1 << 13;
pub const ACL_FAST: u32 = 1 << 14;
pub const ACL_SLOW: u32 = 1 << 15;
pub const ACL_BLOCKING: u32 = 1 << 16;
pub const ACL_DANGEROUS: u32 = 1 << 17;
pub const ACL_CONNECTION: u32 = 1 << 18;
pub const ACL_TRANSACTION: u32 = 1 << 19;
pub const ACL_SCRIPTING: u32 = 1 << 20;

pub const ACL_NAMES: &[(u32, &str)] = &[
    (ACL_KEYSPACE, "keyspace"),
    (ACL_READ, "read"),
    (ACL_WRITE, "write"),
    (ACL_SET, "set"),
    (ACL_SORTEDSET, "sortedset"),
    (ACL_LIST, "list"),
    (ACL_HASH, "hash"),
    (ACL_STRING, "string"),
    (ACL_BITMAP, "bitmap"),
    (ACL_HYPERLOGLOG, "hyperloglog"),
    (ACL_GEO, "geo"),
    (ACL_STREAM, "stream"),
    (ACL_PUBSUB, "pubsub"),
    (ACL_ADMIN, "admin"),
    (ACL_FAST, "fast"),
    (ACL_SLOW, "slow"),
    (ACL_BLOCKING, "blocking"),
    (ACL_DANGEROUS, "dangerous"),
    (ACL_CONNECTION, "connection"),
    (ACL_TRANSACTION, "transaction"),
    (ACL_SCRIPTING, "scripting"),
];

/// Legacy key positions: first key index, last key index (negative counts
/// from the end, -1 = last argument), step. `first == 0` means no keys.
#[derive(Debug, Clone, Copy)]
pub struct KeyPos {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

pub const NO_KEYS: KeyPos = KeyPos {
    first: 0,
    last: 0,
    step: 0,
};

/// One row of the command table.
pub struct CommandDef {
    /// Lower-case name (subcommands: the subcommand's own name).
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    /// Explicit ACL categories (implicit ones are derived from flags).
    pub acl: u32,
    pub keys: KeyPos,
    /// Command group for COMMAND DOCS (`string`, `generic`, `server`...).
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [CommandDef],
}

impl CommandDef {
    /// ACL categories including the ones Redis derives from the flags
    /// (`setImplicitACLCategories`).
    pub fn acl_categories(&self) -> u32 {
        let mut acl = self.acl;
        if self.flags & WRITE != 0 {
            acl |= ACL_WRITE;
        }
        if self.flags & READONLY != 0 && acl & ACL_SCRIPTING == 0 {
            acl |= ACL_READ;
        }
        if self.flags & ADMIN != 0 {
            acl |= ACL_ADMIN | ACL_DANGEROUS;
        }
        if self.flags & PUBSUB != 0 {
            acl |= ACL_PUBSUB;
        }
        if self.flags & FAST != 0 {
            acl |= ACL_FAST;
        }
        if self.flags & BLOCKING != 0 {
            acl |= ACL_BLOCKING;
        }
        if acl & ACL_FAST == 0 {
            acl |= ACL_SLOW;
        }
        acl
    }
}

/// Index of a command (or subcommand) in the table, for statistics.
pub type CmdId = usize;

/// Per-command statistics (INFO commandstats).
#[derive(Debug, Default, Clone, Copy)]
pub struct CmdStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

pub struct CmdEntry {
    pub def: &'static CommandDef,
    /// `get` or `config|get`.
    pub fullname: String,
    pub parent: Option<CmdId>,
    subs: HashMap<&'static str, CmdId, FnvBuild>,
    pub stats: CmdStats,
    /// Latency histogram (LATENCY HISTOGRAM, INFO latencystats), created
    /// by the first call; see latency.rs.
    pub latency_histogram: Option<Box<crate::util::hdr::Histogram>>,
}

/// Why a lookup failed: the reply text is Redis's.
pub enum LookupError {
    Unknown(String),
}

pub struct CommandTable {
    pub entries: Vec<CmdEntry>,
    top: HashMap<&'static str, CmdId, FnvBuild>,
}

/// FNV-1a: command names are short, trusted strings, so a keyed SipHash
/// buys nothing on this per-command hot path.
#[derive(Default, Clone, Copy)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = std::hash::BuildHasherDefault<FnvHasher>;

/// Longest command name we will try to look up; longer names are unknown.
const MAX_NAME: usize = 64;

fn lower<'a>(name: &[u8], buf: &'a mut [u8; MAX_NAME]) -> Option<&'a str> {
    if name.len() > MAX_NAME {
        return None;
    }
    for (i, &b) in name.iter().enumerate() {
        buf[i] = b.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..name.len()]).ok()
}

impl CommandTable {
    pub fn new(defs: &'static [CommandDef]) -> CommandTable {
        let mut t = CommandTable {
            entries: Vec::new(),
            top: HashMap::default(),
        };
        for def in defs {
            let id = t.entries.len();
            t.entries.push(CmdEntry {
                def,
                fullname: def.name.to_string(),
                parent: None,
                subs: HashMap::default(),
                stats: CmdStats::default(),
                latency_histogram: None,
            });
            t.top.insert(def.name, id);
            for sub in def.subcommands {
                let sid = t.entries.len();
                t.entries.push(CmdEntry {
                    def: sub,
                    fullname: format!("{}|{}", def.name, sub.name),
                    parent: Some(id),
                    subs: HashMap::default(),
                    stats: CmdStats::default(),
                    latency_histogram: None,
                });
                t.entries[id].subs.insert(sub.name, sid);
            }
        }
        t
    }

    /// Find a top-level command by name, case-insensitively.
    pub fn find(&self, name: &[u8]) -> Option<CmdId> {
        let mut buf = [0u8; MAX_NAME];
        let lname = lower(name, &mut buf)?;
        self.top.get(lname).copied()
    }

    /// Find a subcommand of `parent`.
    pub fn find_sub(&self, parent: CmdId, name: &[u8]) -> Option<CmdId> {
        let mut buf = [0u8; MAX_NAME];
        let lname = lower(name, &mut buf)?;
        self.entries[parent].subs.get(lname).copied()
    }

    /// Subcommand ids of a container, in table order.
    pub fn subs_of(&self, parent: CmdId) -> Vec<CmdId> {
        let mut v: Vec<CmdId> = self.entries[parent].subs.values().copied().collect();
        v.sort_unstable();
        v
    }

    /// Redis's `lookupCommand` plus `commandCheckExistence`: resolve
    /// argv[0] (and argv[1] for containers) to a command, or produce the
    /// exact error text.
    pub fn lookup(&self, argv: &[Vec<u8>]) -> Result<CmdId, LookupError> {
        let base = match self.find(&argv[0]) {
            Some(id) => id,
            None => return Err(LookupError::Unknown(unknown_command_error(argv))),
        };
        let def = self.entries[base].def;
        if def.subcommands.is_empty() || argv.len() == 1 {
            return Ok(base);
        }
        match self.find_sub(base, &argv[1]) {
            Some(id) => Ok(id),
            None => {
                let sub = String::from_utf8_lossy(&argv[1]);
                let sub: String = sub.chars().take(128).collect();
                Err(LookupError::Unknown(sanitize(format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    sub,
                    def.name.to_uppercase()
                ))))
            }
        }
    }

    /// Resolve a name like `config|get` (COMMAND INFO / DOCS arguments).
    pub fn find_fullname(&self, name: &[u8]) -> Option<CmdId> {
        let s = String::from_utf8_lossy(name).to_ascii_lowercase();
        let mut parts = s.splitn(2, '|');
        let base = self.find(parts.next()?.as_bytes())?;
        match parts.next() {
            None => Some(base),
            Some(sub) => self.find_sub(base, sub.as_bytes()),
        }
    }

    /// Check argc against the arity; the error names the full command name.
    pub fn check_arity(&self, id: CmdId, argc: usize) -> Result<(), String> {
        let arity = self.entries[id].def.arity;
        let argc = argc as i64;
        let arity64 = arity as i64;
        if (arity > 0 && arity64 != argc) || argc < -arity64 {
            return Err(format!(
                "ERR wrong number of arguments for '{}' command",
                self.entries[id].fullname
            ));
        }
        Ok(())
    }

    /// Number of top-level commands (COMMAND COUNT).
    pub fn count(&self) -> usize {
        self.top.len()
    }

    /// Top-level command ids in table order.
    pub fn top_level(&self) -> impl Iterator<Item = CmdId> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.parent.is_none())
            .map(|(i, _)| i)
    }

    /// Key positions of a call by the legacy (first, last, step) spec;
    /// `None` when argc is too small for the spec.
    /// Key positions of a call: movable keys parsed from the arguments,
    /// otherwise the fixed range (empty when the arguments are invalid).
    pub fn keys_of(&self, id: CmdId, argv: &[Vec<u8>]) -> Vec<usize> {
        match movable_key_indexes(self.entries[id].def.name, argv) {
            Some(keys) => keys.unwrap_or_default(),
            None => self.key_indexes(id, argv.len()),
        }
    }

    pub fn key_indexes(&self, id: CmdId, argc: usize) -> Vec<usize> {
        let k = self.entries[id].def.keys;
        if k.first <= 0 {
            return Vec::new();
        }
        let last = if k.last < 0 {
            argc as i64 + k.last as i64
        } else {
            k.last as i64
        };
        let step = k.step.max(1) as usize;
        let mut v = Vec::new();
        let mut i = k.first as i64;
        while i <= last && (i as usize) < argc {
            v.push(i as usize);
            i += step as i64;
        }
        v
    }
}

/// Positions of the keys following a `numkeys` argument at `at`, after the
/// keys before it (`before`); None when numkeys is not a non-negative
/// integer or names more keys than there are arguments.
fn numkeys_keys(argv: &[Vec<u8>], at: usize, before: &[usize]) -> Option<Vec<usize>> {
    let n = crate::util::numbers::parse_i64(argv.get(at)?)?;
    let n = usize::try_from(n).ok()?;
    if n > argv.len().saturating_sub(at + 1) {
        return None;
    }
    let mut keys = before.to_vec();
    keys.extend(at + 1..at + 1 + n);
    Some(keys)
}

/// Key positions of a command whose keys cannot be read off the fixed
/// first/last/step range (they follow a `numkeys` argument or an option
/// keyword: Redis's getkeys procedures); `Some(None)` when its arguments
/// are invalid, None for other commands. COMMAND GETKEYS goes through the
/// key specs first (`key_spec.rs`).
pub fn movable_key_indexes(name: &str, argv: &[Vec<u8>]) -> Option<Option<Vec<usize>>> {
    Some(match name {
        "zunionstore" | "zinterstore" | "zdiffstore" => numkeys_keys(argv, 2, &[1]),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            numkeys_keys(argv, 1, &[])
        }
        "blmpop" | "bzmpop" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall"
        | "fcall_ro" => numkeys_keys(argv, 2, &[]),
        "sort" | "sort_ro" => Some(crate::commands::sort::sort_get_keys(argv)),
        "georadius" => Some(crate::commands::geo::georadius_get_keys(argv, 6)),
        "georadiusbymember" => Some(crate::commands::geo::georadius_get_keys(argv, 5)),
        "xread" | "xreadgroup" => crate::commands::streams::xread_get_keys(argv),
        "migrate" => crate::commands::migrate::migrate_get_keys(argv),
        _ => return None,
    })
}

fn sanitize(s: String) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Redis's unknown-command error: the name (up to 128 chars) and the first
/// arguments quoted, up to 128 characters of arguments in total.
pub fn unknown_command_error(argv: &[Vec<u8>]) -> String {
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(a);
        let bytes = text.as_bytes();
        let cut = &bytes[..bytes.len().min(room)];
        args.push('\'');
        args.push_str(&String::from_utf8_lossy(cut));
        args.push_str("' ");
    }
    let name = String::from_utf8_lossy(&argv[0]);
    let name_bytes = name.as_bytes();
    let name = String::from_utf8_lossy(&name_bytes[..name_bytes.len().min(128)]);
    sanitize(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        name, args
    ))
}
