//! Key specifications: where a command's keys are in its arguments and how
//! the command uses each of them (~ the `keySpec` half of Redis's
//! `server.h`, `getKeysUsingKeySpecs` / `getKeysFromCommandWithSpecs` in
//! `db.c`, `populateCommandLegacyRangeSpec` and `addReplyCommandKeySpecs`
//! in `server.c`).
//!
//! # The idea
//! The legacy (first, last, step) triple cannot describe ZUNIONSTORE
//! (`dst numkeys key...`), SORT's `STORE dst`, or say that LMOVE deletes
//! from its first key and inserts into its second. Redis 7 describes each
//! group of keys with a *key spec*: a `begin_search` step that finds where
//! the group starts (a fixed index, or the argument after a keyword, searched
//! from the front or the back), a `find_keys` step that says how many keys
//! follow (a range relative to the start, or a count read from a `numkeys`
//! argument), and flags: the access type (`RO`, `RW`, `OW`, `RM`) and what
//! happens to the data (`access`, `update`, `insert`, `delete`).
//!
//! The specs themselves are data, one list per command, in
//! [`super::key_spec_table`] (generated from Redis 7.0.15's command table);
//! this file holds their types and the code that reads them.
//!
//! # Finding a call's keys (`getKeysFromCommandWithSpecs`)
//! Specs come first when the command has any real key spec (not `not_key`)
//! and none whose flags vary with the arguments (`variable_flags`, e.g. SET
//! whose key is read too with GET). A spec that cannot be applied to the
//! arguments (an `unknown` search, a `numkeys` that is not a number or
//! names no key, a range running past the end) or an `incomplete` one makes
//! the whole walk fail, and the command's own key parser (Redis's getkeys
//! procedure) answers instead; those parsers give flags only where Redis's
//! do (SET, BITFIELD, SORT, SORT_RO), the others report no flags.

use super::key_spec_table::{GETKEYS_PROCS, KEY_SPECS, TIPS};
use super::table::{self, CmdId, CommandTable};

// Key-spec flags (`CMD_KEY_*`).
pub const RO: u32 = 1 << 0;
pub const RW: u32 = 1 << 1;
pub const OW: u32 = 1 << 2;
pub const RM: u32 = 1 << 3;
pub const ACCESS: u32 = 1 << 4;
pub const UPDATE: u32 = 1 << 5;
pub const INSERT: u32 = 1 << 6;
pub const DELETE: u32 = 1 << 7;
pub const NOT_KEY: u32 = 1 << 8;
pub const INCOMPLETE: u32 = 1 << 9;
pub const VARIABLE_FLAGS: u32 = 1 << 10;

/// Flag names in the order Redis replies them (`addReplyFlagsForKeyArgs`).
pub const KEY_FLAG_NAMES: &[(u32, &str)] = &[
    (RO, "RO"),
    (RW, "RW"),
    (OW, "OW"),
    (RM, "RM"),
    (ACCESS, "access"),
    (UPDATE, "update"),
    (INSERT, "insert"),
    (DELETE, "delete"),
    (NOT_KEY, "not_key"),
    (INCOMPLETE, "incomplete"),
    (VARIABLE_FLAGS, "variable_flags"),
];

/// Where a spec's keys start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index.
    Index(i32),
    /// After the first argument equal to the keyword (case-insensitively),
    /// searched from `startfrom` towards the end, or, when `startfrom` is
    /// negative, from `argc + startfrom` towards the front.
    Keyword(&'static str, i32),
    /// Only the command's own parser knows.
    Unknown,
}

/// How many keys follow the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` is relative to the start, or from the end when negative;
    /// with a `limit`, only the first 1/limit of the remaining arguments.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The count is the argument at `start + keynumidx`; the keys begin at
    /// `start + firstkey`.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    Unknown,
}

/// One key spec of a command (`keySpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub notes: Option<&'static str>,
    pub flags: u32,
    pub bs: BeginSearch,
    pub fk: FindKeys,
}

/// A key found in a call's arguments and how the call uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    pub pos: usize,
    pub flags: u32,
}

/// The key specs of a command by full name (`get`, `memory|usage`); empty
/// for a command without keys.
pub fn specs_of(fullname: &str) -> &'static [KeySpec] {
    KEY_SPECS
        .binary_search_by(|(n, _)| (*n).cmp(fullname))
        .map_or(&[], |i| KEY_SPECS[i].1)
}

/// A command's tips for clients (`nondeterministic_output`,
/// `request_policy:...`), as COMMAND INFO lists them.
pub fn tips_of(fullname: &str) -> &'static [&'static str] {
    TIPS.binary_search_by(|(n, _)| (*n).cmp(fullname))
        .map_or(&[], |i| TIPS[i].1)
}

/// Whether Redis gives the command a key parser of its own (getkeys_proc).
pub fn has_getkeys_proc(fullname: &str) -> bool {
    GETKEYS_PROCS.binary_search(&fullname).is_ok()
}

/// Whether a call of the command can name keys at all
/// (`doesCommandHaveKeys`).
pub fn command_has_keys(fullname: &str) -> bool {
    has_getkeys_proc(fullname) || specs_of(fullname).iter().any(|s| s.flags & NOT_KEY == 0)
}

/// The legacy (first, last, step) triple of COMMAND INFO and whether the
/// command is `movablekeys` (`populateCommandLegacyRangeSpec`): the index
/// range specs glued together when they follow each other with step 1;
/// any other spec, or an incomplete one, makes the keys movable. `last` is
/// absolute (negative: from the end), as COMMAND INFO shows it.
pub fn legacy_range(specs: &[KeySpec]) -> (table::KeyPos, bool) {
    let none = table::NO_KEYS;
    if specs.is_empty() {
        return (none, false);
    }
    if let [s] = specs {
        if let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey, keystep, ..
            },
        ) = (s.bs, s.fk)
        {
            let kp = table::KeyPos {
                first: pos,
                last: if lastkey >= 0 { lastkey + pos } else { lastkey },
                step: keystep,
            };
            return (kp, s.flags & INCOMPLETE != 0);
        }
    }
    let mut movable = false;
    let (mut first, mut last, mut prev_last) = (i32::MAX, 0i32, 0i32);
    for s in specs {
        let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey, keystep, ..
            },
        ) = (s.bs, s.fk)
        else {
            movable = true;
            continue;
        };
        if keystep != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        if s.flags & INCOMPLETE != 0 {
            movable = true;
        }
        first = first.min(pos);
        let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
        // Unsigned, as in Redis: a negative (from the end) last key wins.
        last = (last as u32).max(abs as u32) as i32;
        prev_last = last;
    }
    if first == i32::MAX {
        return (none, true);
    }
    let kp = table::KeyPos {
        first,
        last,
        step: 1,
    };
    (kp, movable)
}

/// The keys of a call by its key specs (`getKeysUsingKeySpecs` without
/// partial results); `None` when a spec does not apply or is incomplete.
/// `argv[0]` is the command name.
pub fn keys_by_specs(specs: &[KeySpec], argv: &[Vec<u8>], arity: i32) -> Option<Vec<KeyRef>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & NOT_KEY != 0 {
            continue;
        }
        let mut first: i64 = match spec.bs {
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword(kw, startfrom) => {
                let startfrom = i64::from(startfrom);
                let (start, end) = if startfrom > 0 {
                    (startfrom, argc - 1)
                } else {
                    (argc + startfrom, 1)
                };
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match spec.fk {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let lastkey = i64::from(lastkey);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / i64::from(limit) + lastkey)
                };
                (last, i64::from(keystep))
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let at = first + i64::from(keynumidx);
                if i64::from(keynumidx) >= argc || at >= argc {
                    return None;
                }
                let n = crate::util::numbers::parse_i64(&argv[at as usize])?;
                if n < 0 {
                    return None;
                }
                first += i64::from(firstkey);
                (first + n - 1, i64::from(keystep))
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            if i >= argc || i < first {
                // Only reachable for variadic commands given too few
                // arguments: the command itself reports the error.
                if arity < 0 {
                    i += step.max(1);
                    continue;
                }
                return None;
            }
            keys.push(KeyRef {
                pos: i as usize,
                flags: spec.flags,
            });
            i += step.max(1);
        }
        if spec.flags & INCOMPLETE != 0 {
            return None;
        }
    }
    Some(keys)
}

/// The keys of a call with their flags (`getKeysFromCommandWithSpecs`).
/// `argv[0]` is the command name; arity is assumed checked.
pub fn keys_with_flags(t: &CommandTable, id: CmdId, argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let e = &t.entries[id];
    let specs = specs_of(&e.fullname);
    let has_keyspec = specs.iter().any(|s| s.flags & NOT_KEY == 0);
    let has_varflags = specs.iter().any(|s| s.flags & VARIABLE_FLAGS != 0);
    if has_keyspec && !has_varflags {
        if let Some(keys) = keys_by_specs(specs, argv, e.def.arity) {
            return keys;
        }
    }
    if has_getkeys_proc(&e.fullname) {
        return getkeys_proc(e.def.name, argv);
    }
    if specs.is_empty() {
        // A command of ours that Redis's table has no spec for: its
        // legacy range, without flags.
        return t
            .key_indexes(id, argv.len())
            .into_iter()
            .map(|pos| KeyRef { pos, flags: 0 })
            .collect();
    }
    Vec::new()
}

/// The commands' own key parsers (Redis's `*GetKeys` procedures), with the
/// flags those give.
fn getkeys_proc(name: &str, argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let at = |pos: usize, flags: u32| KeyRef { pos, flags };
    match name {
        // `setGetKeys`: the key is read too when GET is given.
        "set" => {
            let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            let flags = if get {
                RW | ACCESS | UPDATE
            } else {
                OW | UPDATE
            };
            vec![at(1, flags)]
        }
        // `bitfieldGetKeys`: read-only when every operation is a GET.
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                let a = &argv[i];
                if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
                    i += 2;
                } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby"))
                    && rem >= 3
                {
                    readonly = false;
                    break;
                } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
                    i += 1;
                } else {
                    readonly = false;
                    break;
                }
                i += 1;
            }
            let flags = if readonly {
                RO | ACCESS
            } else {
                RW | ACCESS | UPDATE
            };
            vec![at(1, flags)]
        }
        // `migrateGetKeys`: every key is read and deleted here.
        "migrate" => match table::movable_key_indexes(name, argv) {
            Some(Some(keys)) => keys
                .into_iter()
                .map(|pos| at(pos, RW | ACCESS | DELETE))
                .collect(),
            _ => Vec::new(),
        },
        "sort_ro" => vec![at(1, RO | ACCESS)],
        "sort" => crate::commands::sort::sort_get_keys(argv)
            .into_iter()
            .map(|pos| at(pos, if pos == 1 { RO | ACCESS } else { OW | UPDATE }))
            .collect(),
        _ => {
            // The numkeys parsers (`genericGetKeys`) find nothing when
            // numkeys is below 1, even with a destination key before it.
            let numkeys_at = match name {
                "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
                    Some(1)
                }
                "zunionstore" | "zinterstore" | "zdiffstore" | "blmpop" | "bzmpop" | "eval"
                | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => Some(2),
                _ => None,
            };
            if let Some(i) = numkeys_at {
                let n = argv.get(i).and_then(|a| crate::util::numbers::parse_i64(a));
                if n.is_none_or(|n| n < 1) {
                    return Vec::new();
                }
            }
            match table::movable_key_indexes(name, argv) {
                Some(Some(keys)) => keys.into_iter().map(|pos| at(pos, 0)).collect(),
                _ => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn table_is_sorted_and_found() {
        assert!(KEY_SPECS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(GETKEYS_PROCS.windows(2).all(|w| w[0] < w[1]));
        assert!(TIPS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(tips_of("hgetall"), ["nondeterministic_output_order"]);
        assert_eq!(specs_of("lmove").len(), 2);
        assert_eq!(specs_of("memory|usage").len(), 1);
        assert!(specs_of("ping").is_empty());
        assert!(has_getkeys_proc("sort") && !has_getkeys_proc("get"));
    }

    #[test]
    fn specs_find_keys_and_flags() {
        let k = keys_by_specs(specs_of("lmove"), &argv("lmove a b left right"), 5).unwrap();
        assert_eq!(
            k,
            vec![
                KeyRef {
                    pos: 1,
                    flags: RW | ACCESS | DELETE
                },
                KeyRef {
                    pos: 2,
                    flags: RW | INSERT
                }
            ]
        );
        // numkeys: the destination, then two sources.
        let k = keys_by_specs(specs_of("zunionstore"), &argv("zunionstore d 2 a b"), -4).unwrap();
        assert_eq!(k.iter().map(|k| k.pos).collect::<Vec<_>>(), [1, 3, 4]);
        // A numkeys past the end, zero or not a number: the spec fails.
        for bad in [
            "zunionstore d 3 a b",
            "zunionstore d 0 a",
            "zunionstore d x a",
        ] {
            assert_eq!(keys_by_specs(specs_of("zunionstore"), &argv(bad), -4), None);
        }
        // SORT's STORE spec is unknown: the parser answers.
        assert_eq!(
            keys_by_specs(specs_of("sort"), &argv("sort a store b"), -2),
            None
        );
        // Every other key (MSET) and keys to the end (DEL).
        let k = keys_by_specs(specs_of("mset"), &argv("mset a 1 b 2"), -3).unwrap();
        assert_eq!(k.iter().map(|k| k.pos).collect::<Vec<_>>(), [1, 3]);
        let k = keys_by_specs(specs_of("del"), &argv("del a b c"), -2).unwrap();
        assert_eq!(k.iter().map(|k| k.pos).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn legacy_ranges_and_movable_keys() {
        let (k, m) = legacy_range(specs_of("get"));
        assert_eq!((k.first, k.last, k.step, m), (1, 1, 1, false));
        let (k, m) = legacy_range(specs_of("lmove"));
        assert_eq!((k.first, k.last, k.step, m), (1, 2, 1, false));
        let (k, m) = legacy_range(specs_of("zunionstore"));
        assert_eq!((k.first, k.last, k.step, m), (1, 1, 1, true));
        let (k, m) = legacy_range(specs_of("mset"));
        assert_eq!((k.first, k.last, k.step, m), (1, -1, 2, false));
        let (k, m) = legacy_range(specs_of("object|encoding"));
        assert_eq!((k.first, k.last, k.step, m), (2, 2, 1, false));
        let (k, m) = legacy_range(specs_of("bitop"));
        assert_eq!((k.first, k.last, k.step, m), (2, -1, 1, false));
        let (k, m) = legacy_range(specs_of("sort"));
        assert_eq!((k.first, k.last, k.step, m), (1, 1, 1, true));
        let (k, m) = legacy_range(specs_of("lmpop"));
        assert_eq!((k.first, k.last, k.step, m), (0, 0, 0, true));
    }
}
