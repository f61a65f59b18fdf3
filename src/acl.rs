//! Access control lists: users, their permissions, and the checks
//! (~ Redis's `acl.c`).
//!
//! A **user** has a name, an on/off switch, a set of password hashes (or
//! `nopass`) and one or more **selectors**. The first selector is the
//! *root* one, the rules given outside parentheses; `(...)` rules add more.
//! A command is allowed when any one selector allows it entirely: the
//! command itself, every key it names with the access it needs, every
//! channel it publishes or subscribes to.
//!
//! A selector's commands are a bitmap indexed by [`CmdId`], subcommands
//! included (`config|get` has its own bit). Allowing or denying a container
//! command (`+config`) flips the bits of all its subcommands too; a category
//! (`+@read`) flips every command that carries it. `+@all` also sets a
//! "future commands" marker that only `-@all` clears: that is how a user
//! described as `+@all -get` differs from one described as `-@all +set ...`.
//!
//! Keys are checked against `~pattern` (read and write), `%R~pattern` or
//! `%W~pattern`, using the access flags the command's key specs give each
//! key (`access` needs read; `insert`, `delete`, `update` need write).
//! Channels are checked against `&pattern` globs, except that a
//! PSUBSCRIBE pattern must equal an allowed pattern literally.
//!
//! Invariants: the `default` user always exists; passwords are stored only
//! as lower-case hex SHA-256; `ACL LIST` / `ACL GETUSER` regenerate the
//! rules from the bitmap (Redis's `ACLDescribeSelectorCommandRules`), so a
//! described user set back with `ACL SETUSER` gets the same bitmap.

use std::collections::{BTreeMap, VecDeque};

use crate::commands::key_spec;
use crate::commands::table::{self, CmdId, CommandTable};
use crate::util::glob::string_match;

/// Key pattern permissions (`%R~`, `%W~`, `~` is both).
pub const PERM_READ: u8 = 1;
pub const PERM_WRITE: u8 = 2;
pub const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

#[derive(Clone, Debug, PartialEq)]
pub struct KeyPattern {
    pub flags: u8,
    pub pattern: Vec<u8>,
}

impl KeyPattern {
    fn describe(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.flags {
            PERM_READ => b"%R~".as_slice(),
            PERM_WRITE => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }
}

/// One set of command, key and channel permissions.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    /// Set by `+@all` / `allcommands`, cleared only by `-@all`: the user
    /// is described as starting from `+@all`.
    pub future: bool,
    /// One bit per command id.
    pub allowed: Vec<u64>,
    /// `+select|0`: first arguments allowed for an otherwise denied
    /// command, by command id.
    pub firstargs: BTreeMap<CmdId, Vec<Vec<u8>>>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

/// Why a rule could not be applied (Redis reports it through errno).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleError {
    UnknownName,
    Syntax,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    Duplicate,
    FirstArgOfSub,
}

impl RuleError {
    /// Redis's `ACLSetUserStringError` texts.
    pub fn text(self) -> &'static str {
        match self {
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::Duplicate => "Duplicate user found. A user can only be defined once in config files",
            RuleError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// What a permission check refused; the index is the offending argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Denied {
    Cmd,
    Key(usize),
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Cmd => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }

    /// Redis's `getAclErrorMessage`.
    pub fn message(self) -> &'static str {
        match self {
            Denied::Cmd => "can't run this command or subcommand",
            Denied::Key(_) => {
                "can't access at least one of the keys mentioned in the command arguments"
            }
            Denied::Channel(_) => "can't publish to the channel mentioned in the command",
        }
    }
}

fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

fn category_flag(name: &[u8]) -> Option<u32> {
    table::ACL_NAMES
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|(f, _)| *f)
}

/// What the selector code needs from the command table: the number of
/// ids, each command's subcommands and categories.
pub struct CmdIndex {
    pub count: usize,
    /// Top-level commands in table order.
    pub top: Vec<CmdId>,
    pub children: Vec<Vec<CmdId>>,
    pub categories: Vec<u32>,
    pub parent: Vec<Option<CmdId>>,
    pub fullname: Vec<String>,
}

impl CmdIndex {
    pub fn new(t: &CommandTable) -> CmdIndex {
        let count = t.entries.len();
        let mut children = vec![Vec::new(); count];
        let mut top = Vec::new();
        for (id, e) in t.entries.iter().enumerate() {
            match e.parent {
                Some(p) => children[p].push(id),
                None => top.push(id),
            }
        }
        CmdIndex {
            count,
            top,
            children,
            categories: t.entries.iter().map(|e| e.def.acl_categories()).collect(),
            parent: t.entries.iter().map(|e| e.parent).collect(),
            fullname: t.entries.iter().map(|e| e.fullname.clone()).collect(),
        }
    }

    /// Every id, each container followed by its subcommands.
    fn all(&self) -> impl Iterator<Item = CmdId> + '_ {
        self.top
            .iter()
            .flat_map(move |&id| std::iter::once(id).chain(self.children[id].iter().copied()))
    }

    /// `ACLLookupCommand`: `get` or `config|get`, case-insensitive.
    fn lookup(&self, t: &CommandTable, name: &[u8]) -> Option<CmdId> {
        let parts: Vec<&[u8]> = name.split(|&b| b == b'|').collect();
        match parts.len() {
            1 => t
                .find_fullname(name)
                .filter(|&id| self.parent[id].is_none()),
            2 => {
                let base = t.find_fullname(parts[0])?;
                if self.children[base].is_empty() {
                    return None;
                }
                t.find_fullname(name)
            }
            _ => None,
        }
    }
}

impl Selector {
    pub fn new(allchannels_default: bool) -> Selector {
        Selector {
            allchannels: allchannels_default,
            ..Selector::default()
        }
    }

    pub fn bit(&self, id: CmdId) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: CmdId, value: bool) {
        let word = id / 64;
        if self.allowed.len() <= word {
            self.allowed.resize(word + 1, 0);
        }
        if value {
            self.allowed[word] |= 1u64 << (id % 64);
        } else {
            self.allowed[word] &= !(1u64 << (id % 64));
            self.allcommands = false;
        }
    }

    /// `ACLChangeSelectorPerm`: a container takes its subcommands along.
    fn change_perm(&mut self, idx: &CmdIndex, id: CmdId, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        for &sub in &idx.children[id] {
            self.set_bit(sub, allow);
        }
    }

    fn set_category(&mut self, idx: &CmdIndex, flag: u32, allow: bool) {
        for &id in &idx.top {
            if idx.categories[id] & flag != 0 {
                self.change_perm(idx, id, allow);
            }
            for &sub in &idx.children[id] {
                if idx.categories[sub] & flag != 0 {
                    self.change_perm(idx, sub, allow);
                }
            }
        }
    }

    fn set_all(&mut self, idx: &CmdIndex, allow: bool) {
        let words = idx.count / 64 + 1;
        self.allowed = vec![if allow { u64::MAX } else { 0 }; words];
        self.allcommands = allow;
        self.future = allow;
        self.firstargs.clear();
    }

    fn count_category(&self, idx: &CmdIndex, flag: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for id in idx.all() {
            if idx.categories[id] & flag != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// `ACLSetSelector`: apply one rule.
    pub fn apply(&mut self, t: &CommandTable, idx: &CmdIndex, op: &[u8]) -> Result<(), RuleError> {
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(idx, true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(idx, false);
        } else if op[0] == b'~' || op[0] == b'%' {
            if self.allkeys {
                return Err(RuleError::KeyAfterAll);
            }
            let mut flags = 0u8;
            let mut offset = 1;
            if op[0] == b'%' {
                let mut ok = true;
                while offset < op.len() {
                    let c = op[offset].to_ascii_uppercase();
                    if c == b'R' && flags & PERM_READ == 0 {
                        flags |= PERM_READ;
                    } else if c == b'W' && flags & PERM_WRITE == 0 {
                        flags |= PERM_WRITE;
                    } else if op[offset] == b'~' {
                        offset += 1;
                        break;
                    } else {
                        ok = false;
                        break;
                    }
                    offset += 1;
                }
                if flags == 0 || !ok {
                    return Err(RuleError::Syntax);
                }
            } else {
                flags = PERM_ALL;
            }
            let pat = &op[offset.min(op.len())..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pat) {
                Some(p) => p.flags |= flags,
                None => self.patterns.push(KeyPattern {
                    flags,
                    pattern: pat.to_vec(),
                }),
            }
            self.allkeys = false;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
            let name = &op[1..];
            match name.iter().rposition(|&b| b == b'|') {
                None => {
                    let id = idx.lookup(t, name).ok_or(RuleError::UnknownName)?;
                    self.change_perm(idx, id, true);
                }
                Some(bar) => {
                    let (base, sub) = (&name[..bar], &name[bar + 1..]);
                    let id = idx.lookup(t, base).ok_or(RuleError::UnknownName)?;
                    if idx.parent[id].is_some() {
                        return Err(RuleError::FirstArgOfSub);
                    }
                    if sub.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if !idx.children[id].is_empty() {
                        let sid = idx.lookup(t, name).ok_or(RuleError::UnknownName)?;
                        self.change_perm(idx, sid, true);
                    } else {
                        log::warn!(
                            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
                            String::from_utf8_lossy(name)
                        );
                        let list = self.firstargs.entry(id).or_default();
                        if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                            list.push(sub.to_vec());
                        }
                    }
                }
            }
        } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
            let id = idx.lookup(t, &op[1..]).ok_or(RuleError::UnknownName)?;
            self.change_perm(idx, id, false);
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let flag = category_flag(&op[2..]).ok_or(RuleError::UnknownName)?;
            self.set_category(idx, flag, op[0] == b'+');
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// `ACLDescribeSelectorCommandRules`: the shortest-ish list of rules
    /// that rebuilds this bitmap. Start from `+@all` or `-@all`, greedily
    /// apply the category that fits best (more commands in common than
    /// different, fewest differences), then fix single commands.
    pub fn describe_commands(&self, t: &CommandTable, idx: &CmdIndex) -> String {
        let mut rules = String::new();
        let additive = !self.future;
        let mut fake = Selector::default();
        if additive {
            rules.push_str("-@all ");
            fake.set_all(idx, false);
        } else {
            rules.push_str("+@all ");
            fake.set_all(idx, true);
        }
        let mut temp = Selector {
            allowed: self.allowed.clone(),
            ..Selector::default()
        };
        let mut applied = [false; 32];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, &(flag, _)) in table::ACL_NAMES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(idx, flag);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            let (flag, name) = table::ACL_NAMES[j];
            fake.set_category(idx, flag, additive);
            temp.set_category(idx, flag, !additive);
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(name);
            rules.push(' ');
            applied[j] = true;
        }
        for id in idx.all() {
            let userbit = self.bit(id);
            if userbit != fake.bit(id) {
                rules.push(if userbit { '+' } else { '-' });
                rules.push_str(&idx.fullname[id]);
                rules.push(' ');
                fake.change_perm(idx, id, userbit);
            }
            if !userbit {
                if let Some(args) = self.firstargs.get(&id) {
                    for a in args {
                        rules.push('+');
                        rules.push_str(&idx.fullname[id]);
                        rules.push('|');
                        rules.push_str(&String::from_utf8_lossy(a));
                        rules.push(' ');
                    }
                }
            }
        }
        rules.pop();
        let _ = t;
        rules
    }

    /// Key patterns as GETUSER shows them (`~*` or space separated).
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.allkeys {
            return b"~*".to_vec();
        }
        let mut out = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            p.describe(&mut out);
        }
        out
    }

    pub fn describe_channels(&self) -> Vec<u8> {
        if self.allchannels {
            return b"&*".to_vec();
        }
        let mut out = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'&');
            out.extend_from_slice(c);
        }
        out
    }

    /// `ACLDescribeSelector`: keys, channels, then command rules.
    fn describe(&self, t: &CommandTable, idx: &CmdIndex) -> Vec<u8> {
        let mut out = Vec::new();
        if self.allkeys {
            out.extend_from_slice(b"~* ");
        } else {
            for p in &self.patterns {
                p.describe(&mut out);
                out.push(b' ');
            }
        }
        if self.allchannels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands(t, idx).as_bytes());
        out
    }

    fn check_key(&self, key: &[u8], spec_flags: u32) -> bool {
        if self.allkeys {
            return true;
        }
        let need = key_perm(spec_flags);
        self.patterns
            .iter()
            .any(|p| p.flags & need == need && string_match(&p.pattern, key, false))
    }

    /// `ACLSelectorHasUnrestrictedKeyAccess`.
    fn unrestricted_keys(&self, spec_flags: u32) -> bool {
        if self.allkeys {
            return true;
        }
        let need = key_perm(spec_flags);
        self.patterns
            .iter()
            .any(|p| p.flags & need == need && p.pattern == b"*")
    }

    /// `ACLSelectorCheckCmd`.
    fn check_cmd(
        &self,
        t: &CommandTable,
        id: CmdId,
        argv: &[Vec<u8>],
        keys: &mut Option<Vec<key_spec::KeyRef>>,
    ) -> Result<(), Denied> {
        let e = &t.entries[id];
        if !self.allcommands && e.def.flags & table::NO_AUTH == 0 && !self.bit(id) {
            let argpos = if e.parent.is_some() { 2 } else { 1 };
            let ok = argv.len() >= 2
                && self.firstargs.get(&id).is_some_and(|list| {
                    argv.get(argpos)
                        .is_some_and(|a| list.iter().any(|x| x.eq_ignore_ascii_case(a)))
                });
            if !ok {
                return Err(Denied::Cmd);
            }
        }
        if !self.allkeys && key_spec::command_has_keys(&e.fullname) {
            let keys = keys.get_or_insert_with(|| key_spec::keys_with_flags(t, id, argv));
            for k in keys.iter() {
                if let Some(key) = argv.get(k.pos) {
                    if !self.check_key(key, k.flags) {
                        return Err(Denied::Key(k.pos));
                    }
                }
            }
        }
        if !self.allchannels {
            for (pos, is_pattern) in channels_of(e.def.name, e.parent.is_some(), argv) {
                if !channel_allowed(&self.channels, &argv[pos], is_pattern) {
                    return Err(Denied::Channel(pos));
                }
            }
        }
        Ok(())
    }
}

fn key_perm(spec_flags: u32) -> u8 {
    let mut need = 0;
    if spec_flags & key_spec::ACCESS != 0 {
        need |= PERM_READ;
    }
    if spec_flags & (key_spec::INSERT | key_spec::DELETE | key_spec::UPDATE) != 0 {
        need |= PERM_WRITE;
    }
    need
}

/// The channels a command publishes or subscribes to, as (argument index,
/// is a pattern) (`getChannelsFromCommand`, unsubscriptions excluded: they
/// are never refused).
fn channels_of(name: &str, is_sub: bool, argv: &[Vec<u8>]) -> Vec<(usize, bool)> {
    if is_sub {
        return Vec::new();
    }
    match name {
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// `ACLCheckChannelAgainstList`: a pattern subscription needs the same
/// pattern literally; a channel must match one of the globs.
fn channel_allowed(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p == channel
        } else {
            string_match(p, channel, false)
        }
    })
}

/// An ACL user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    /// `sanitize-payload` (true) / `skip-sanitize-payload` (false), if set.
    pub sanitize: Option<bool>,
    /// Lower-case hex SHA-256 hashes.
    pub passwords: Vec<String>,
    /// `selectors[0]` is the root selector.
    pub selectors: Vec<Selector>,
}

impl User {
    /// `ACLCreateUser`: off, no passwords, no permissions.
    pub fn new(name: &[u8], allchannels_default: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(allchannels_default)],
        }
    }

    /// `ACLSetUser`: apply one rule (user flags, passwords, selectors, or
    /// a root selector rule).
    pub fn apply(
        &mut self,
        t: &CommandTable,
        idx: &CmdIndex,
        op: &[u8],
        allchannels_default: bool,
    ) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                crate::util::sha256::sha256_hex(&op[1..])
            } else {
                valid_hash(&op[1..])?
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                crate::util::sha256::sha256_hex(&op[1..])
            } else {
                valid_hash(&op[1..])?
            };
            match self.passwords.iter().position(|p| *p == hash) {
                Some(i) => {
                    self.passwords.remove(i);
                }
                None => return Err(RuleError::NoSuchPassword),
            }
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let inner = &op[1..op.len() - 1];
            let args = crate::config::split_args(inner).ok_or(RuleError::Syntax)?;
            let mut s = Selector::new(allchannels_default);
            for a in args {
                s.apply(t, idx, &a)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.allkeys = false;
            root.patterns.clear();
            root.allchannels = allchannels_default;
            root.channels.clear();
            self.enabled = false;
            self.sanitize = Some(true);
            self.selectors.truncate(1);
            self.selectors[0].set_all(idx, false);
        } else {
            self.selectors[0].apply(t, idx, op)?;
        }
        Ok(())
    }

    /// `ACLDescribeUser`: the rules of ACL LIST and the ACL file.
    pub fn describe(&self, t: &CommandTable, idx: &CmdIndex) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flag_names() {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for (i, s) in self.selectors.iter().enumerate() {
            let d = s.describe(t, idx);
            if i == 0 {
                out.extend_from_slice(&d);
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&d);
                out.push(b')');
            }
        }
        out
    }

    /// User flags in Redis's order.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.sanitize {
            Some(false) => v.push("skip-sanitize-payload"),
            Some(true) => v.push("sanitize-payload"),
            None => {}
        }
        v
    }

    /// `ACLCheckAllUserCommandPerm`: allowed if any selector allows; else
    /// the most relevant refusal (channel over key over command, later
    /// argument first).
    pub fn check_command(
        &self,
        t: &CommandTable,
        id: CmdId,
        argv: &[Vec<u8>],
    ) -> Result<(), Denied> {
        let mut keys = None;
        let mut worst = Denied::Cmd;
        for s in &self.selectors {
            match s.check_cmd(t, id, argv, &mut keys) {
                Ok(()) => return Ok(()),
                Err(d) => {
                    if d.rank() > worst.rank() {
                        worst = d;
                    }
                }
            }
        }
        Err(worst)
    }

    /// `ACLUserCheckKeyPerm`.
    pub fn check_key(&self, key: &[u8], spec_flags: u32) -> bool {
        self.selectors.iter().any(|s| s.check_key(key, spec_flags))
    }

    /// `ACLUserCheckCmdWithUnrestrictedKeyAccess`.
    pub fn unrestricted_keys_for(
        &self,
        t: &CommandTable,
        id: CmdId,
        argv: &[Vec<u8>],
        spec_flags: u32,
    ) -> bool {
        let mut keys = None;
        self.selectors
            .iter()
            .any(|s| s.check_cmd(t, id, argv, &mut keys).is_ok() && s.unrestricted_keys(spec_flags))
    }

    /// `ACLUserCheckChannelPerm`.
    pub fn check_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.selectors
            .iter()
            .any(|s| s.allchannels || channel_allowed(&s.channels, channel, is_pattern))
    }

    /// Whether the password opens this user (`ACLCheckUserCredentials`,
    /// after the on/off test).
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if self.nopass {
            return true;
        }
        let h = crate::util::sha256::sha256_hex(pass);
        // Compare every hash in full: no early exit on the first byte.
        self.passwords.iter().fold(false, |found, p| {
            let diff = p.bytes().zip(h.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b));
            found | (diff == 0)
        })
    }
}

fn valid_hash(h: &[u8]) -> Result<String, RuleError> {
    if h.len() != 64
        || !h
            .iter()
            .all(|&c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(h).into_owned())
}

/// Why an ACL LOG entry was written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogReason {
    Cmd,
    Key,
    Channel,
    Auth,
}

/// Where the refused call came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogContext {
    Toplevel,
    Multi,
    Lua,
}

/// One ACL LOG entry (`ACLLogEntry`).
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub count: u64,
    pub reason: LogReason,
    pub context: LogContext,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub ctime_ms: i64,
    pub cinfo: String,
}

/// Entries this close in time with the same reason, context, object and
/// user are counted as one (`ACL_LOG_GROUPING_MAX_TIME_DELTA`).
const LOG_GROUPING_MS: i64 = 60_000;

/// The ACL subsystem's state (Redis's `Users`, `DefaultUser`, `ACLLog`).
pub struct Acl {
    /// Users by name, in byte order (Redis keeps them in a radix tree).
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: VecDeque<LogEntry>,
    pub idx: CmdIndex,
}

impl Acl {
    /// `ACLInit` + `ACLCreateDefaultUser`.
    pub fn new(t: &CommandTable) -> Acl {
        let idx = CmdIndex::new(t);
        let mut acl = Acl {
            users: BTreeMap::new(),
            log: VecDeque::new(),
            idx,
        };
        acl.users.insert(b"default".to_vec(), acl.default_user(t));
        acl
    }

    fn default_user(&self, t: &CommandTable) -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(t, &self.idx, op.as_bytes(), false);
        }
        u
    }

    pub fn default(&self) -> &User {
        // The default user can be modified but never removed.
        self.users
            .get(b"default".as_slice())
            .expect("the default user always exists")
    }

    /// Whether clients must authenticate (`authRequired`, the user part).
    pub fn default_needs_auth(&self) -> bool {
        let d = self.default();
        !d.nopass || !d.enabled
    }

    /// `ACLUpdateDefaultUserPassword` (requirepass).
    pub fn set_default_password(&mut self, t: &CommandTable, pass: Option<&str>) {
        let idx = &self.idx;
        if let Some(u) = self.users.get_mut(b"default".as_slice()) {
            let _ = u.apply(t, idx, b"resetpass", false);
            match pass {
                Some(p) => {
                    let mut op = b">".to_vec();
                    op.extend_from_slice(p.as_bytes());
                    let _ = u.apply(t, idx, &op, false);
                }
                None => {
                    let _ = u.apply(t, idx, b"nopass", false);
                }
            }
        }
    }

    /// `ACLStringSetUser`: apply `ops` to a copy of user `name` (a new
    /// user if there is none), and install it only if every rule applied.
    /// Returns the installed user and the previous version.
    pub fn set_user(
        &mut self,
        t: &CommandTable,
        name: &[u8],
        ops: &[Vec<u8>],
        allchannels_default: bool,
    ) -> Result<Option<User>, String> {
        let merged = merge_selector_args(ops).map_err(|start| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(start)
            )
        })?;
        let old = self.users.get(name).cloned();
        let mut u = old
            .clone()
            .unwrap_or_else(|| User::new(name, allchannels_default));
        for op in &merged {
            if let Err(e) = u.apply(t, &self.idx, op, allchannels_default) {
                return Err(format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.text()
                ));
            }
        }
        self.users.insert(name.to_vec(), u);
        Ok(old)
    }

    /// `addACLLogEntry`: group with a recent identical entry, else add
    /// at the head and trim to `max_len`.
    pub fn add_log(&mut self, mut e: LogEntry, max_len: usize) {
        let found = self.log.iter().take(10).position(|c| {
            c.reason == e.reason
                && c.context == e.context
                && (c.ctime_ms - e.ctime_ms).abs() <= LOG_GROUPING_MS
                && c.object == e.object
                && c.username == e.username
        });
        if let Some(i) = found {
            if let Some(mut m) = self.log.remove(i) {
                m.cinfo = std::mem::take(&mut e.cinfo);
                m.ctime_ms = e.ctime_ms;
                m.count += 1;
                self.log.push_front(m);
            }
        } else {
            self.log.push_front(e);
            while self.log.len() > max_len {
                self.log.pop_back();
            }
        }
    }
}

/// `ACLMergeSelectorArguments`: join `(` ... `)` spread over several
/// arguments into one rule. Err carries the argument that opened an
/// unterminated selector.
pub fn merge_selector_args(ops: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, &[u8]> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in ops.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                if let Some((_, sel)) = open.take() {
                    out.push(sel);
                }
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((j, _)) => Err(&ops[j]),
        None => Ok(out),
    }
}

/// Split a line of the ACL file or a `user` directive into rules.
pub fn is_valid_username(name: &[u8]) -> bool {
    !has_spaces(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CommandTable {
        CommandTable::new(crate::commands::TABLE)
    }

    fn user(t: &CommandTable, idx: &CmdIndex, ops: &[&str]) -> User {
        let mut u = User::new(b"u", false);
        for op in ops {
            u.apply(t, idx, op.as_bytes(), false).unwrap();
        }
        u
    }

    #[test]
    fn describe_round_trips() {
        let t = table();
        let idx = CmdIndex::new(&t);
        let u = user(&t, &idx, &["+@all", "-get", "-@dangerous", "+config|get"]);
        let d = u.selectors[0].describe_commands(&t, &idx);
        assert!(d.starts_with("+@all "), "{d}");
        let mut v = User::new(b"v", false);
        for op in d.split(' ') {
            v.apply(&t, &idx, op.as_bytes(), false).unwrap();
        }
        assert_eq!(v.selectors[0].allowed, u.selectors[0].allowed);
        let u = user(&t, &idx, &["-@all", "+set", "+@hash"]);
        assert_eq!(
            u.selectors[0].describe_commands(&t, &idx),
            "-@all +@hash +set"
        );
    }

    #[test]
    fn key_and_channel_checks() {
        let t = table();
        let idx = CmdIndex::new(&t);
        let u = user(&t, &idx, &["+@all", "%R~r*", "~k*", "&ch*"]);
        let get = t.find_fullname(b"get").unwrap();
        let set = t.find_fullname(b"set").unwrap();
        let publish = t.find_fullname(b"publish").unwrap();
        let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert!(u.check_command(&t, get, &a(&["get", "r1"])).is_ok());
        assert_eq!(
            u.check_command(&t, set, &a(&["set", "r1", "v"])),
            Err(Denied::Key(1))
        );
        assert!(u.check_command(&t, set, &a(&["set", "k1", "v"])).is_ok());
        assert!(u
            .check_command(&t, publish, &a(&["publish", "chx", "m"]))
            .is_ok());
        assert_eq!(
            u.check_command(&t, publish, &a(&["publish", "x", "m"])),
            Err(Denied::Channel(1))
        );
    }

    #[test]
    fn passwords_are_sha256() {
        let t = table();
        let idx = CmdIndex::new(&t);
        let u = user(&t, &idx, &[">foo"]);
        assert_eq!(
            u.passwords,
            vec!["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".to_string()]
        );
        assert!(u.password_ok(b"foo"));
        assert!(!u.password_ok(b"bar"));
    }

    #[test]
    fn merge_selectors() {
        let ops: Vec<Vec<u8>> = ["on", "(~x", "+get)", "(+set)"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let m = merge_selector_args(&ops).unwrap();
        assert_eq!(
            m,
            vec![b"on".to_vec(), b"(~x +get)".to_vec(), b"(+set)".to_vec()]
        );
        let bad = vec![b"(~x".to_vec()];
        assert!(merge_selector_args(&bad).is_err());
    }
}
