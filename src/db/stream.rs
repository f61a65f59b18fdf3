//! The stream value (~ the data-structure half of Redis's `t_stream.c`,
//! `stream.h`, and the rax that holds it).
//!
//! # Layout
//!
//! A stream is an append-mostly log of entries, each a list of field/value
//! pairs under a 128-bit ID (`<ms>-<seq>`), kept in ID order. Redis stores
//! it as a radix tree (rax) whose keys are the big-endian IDs of "master"
//! entries and whose values are listpacks holding a run of consecutive
//! entries. We keep exactly the same listpacks, byte for byte, but index
//! them with a `BTreeMap<StreamId, Listpack>`: the rax is only an ordered
//! map from 16-byte keys to nodes, and a B-tree gives the same ordered
//! seeks (`<=`, first, last) without a radix tree implementation. Keeping
//! Redis's listpack format inside the nodes is what makes RDB and DUMP
//! payloads identical to Redis's (they serialise each node as its key and
//! its listpack bytes), and it is also why a stream is cheap in memory:
//! IDs are delta-encoded against the node's master ID and, when an entry
//! has the same fields as the node's first entry, the field names are not
//! repeated.
//!
//! # The node format
//!
//! ```text
//! master entry:  count | deleted | num-fields | field_1 ... field_N | 0
//! each entry:    flags | ms-diff | seq-diff | [num-fields | field_1 value_1 ...] | lp-count
//!                flags | ms-diff | seq-diff | value_1 ... value_N | lp-count   (SAMEFIELDS)
//! ```
//!
//! `count` is the number of live entries in the node, `deleted` the number
//! of tombstones (entries flagged DELETED by XDEL or an exact trim but not
//! yet physically removed; Redis never compacts them, neither do we).
//! `lp-count` is the number of listpack elements of the entry minus one,
//! which lets Redis walk a node backwards; we walk it forwards only, but
//! write it so the bytes match. Differences are computed in wrapping u64
//! arithmetic and stored as i64, as Redis does.
//!
//! A new node starts when the tail node would reach
//! `stream-node-max-bytes` or already holds `stream-node-max-entries`
//! entries (live plus deleted), the same rule as `streamAppendItem`, so
//! the node boundaries (and thus RDB bytes and XINFO's radix-tree-keys)
//! match Redis's for the same command history.
//!
//! # Consumer groups
//!
//! A group has a last-delivered ID, an `entries_read` counter (-1 when
//! unknown), a pending entries list (PEL: ID -> delivery time, delivery
//! count, owning consumer) and consumers, each with its own PEL subset. In
//! Redis the group PEL and the consumer PELs share NACK structures through
//! pointers; here the group PEL owns the NACK (which names its consumer) and
//! a consumer's PEL is a set of IDs. Every mutation goes through the helpers
//! below so that the two views never disagree.
//!
//! Invariant: every ID in a consumer's `pel` is in the group `pel` with
//! `consumer` equal to that consumer's name, and vice versa.

use std::collections::{BTreeMap, BTreeSet};

use super::listpack::{Listpack, LpEntry};
use crate::util::numbers;

/// Entry flag: the entry is a tombstone.
pub const FLAG_DELETED: i64 = 1;
/// Entry flag: the entry has the master entry's fields (only values stored).
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Largest total size of one entry's fields and values (and of a node).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// `entries_read` value meaning "unknown" (SCG_INVALID_ENTRIES_READ).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A stream entry ID: milliseconds and sequence number, ordered as a pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID, or None past the last possible one (`streamIncrID`).
    pub fn incr(&self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID, or None before 0-0 (`streamDecrID`).
    pub fn decr(&self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// `<ms>-<seq>` as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(24);
        numbers::fmt_u64(self.ms, &mut v);
        v.push(b'-');
        numbers::fmt_u64(self.seq, &mut v);
        v
    }

    /// The 16-byte big-endian rax key (`streamEncodeID`).
    pub fn to_key(&self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.ms.to_be_bytes());
        k[8..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }

    /// Inverse of [`StreamId::to_key`]; None unless exactly 16 bytes.
    pub fn from_key(k: &[u8]) -> Option<StreamId> {
        if k.len() != 16 {
            return None;
        }
        let ms = u64::from_be_bytes(k[..8].try_into().ok()?);
        let seq = u64::from_be_bytes(k[8..].try_into().ok()?);
        Some(StreamId::new(ms, seq))
    }

    /// Parse an ID argument like `streamGenericParseIDOrReply`: `-` and `+`
    /// (unless `strict`), `<ms>` (sequence = `missing_seq`), `<ms>-<seq>`
    /// and, when `allow_star_seq`, `<ms>-*`. Returns the ID and whether the
    /// sequence was given (false only for `<ms>-*`).
    pub fn parse(
        s: &[u8],
        missing_seq: u64,
        strict: bool,
        allow_star_seq: bool,
    ) -> Option<(StreamId, bool)> {
        if s.len() > 127 {
            return None;
        }
        // The C code works on a NUL-terminated copy.
        let s = match s.iter().position(|&b| b == 0) {
            Some(end) => &s[..end],
            None => s,
        };
        if s == b"-" {
            return (!strict).then_some((StreamId::MIN, true));
        }
        if s == b"+" {
            return (!strict).then_some((StreamId::MAX, true));
        }
        match s.iter().position(|&b| b == b'-') {
            None => Some((StreamId::new(numbers::parse_u64(s)?, missing_seq), true)),
            Some(dash) => {
                let ms = numbers::parse_u64(&s[..dash])?;
                let rest = &s[dash + 1..];
                if allow_star_seq && rest == b"*" {
                    return Some((StreamId::new(ms, 0), false));
                }
                Some((StreamId::new(ms, numbers::parse_u64(rest)?), true))
            }
        }
    }
}

/// A pending (delivered, not yet acknowledged) entry of a group
/// (`streamNACK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// Unix time in ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// Name of the owning consumer.
    pub consumer: Vec<u8>,
}

/// A consumer of a group (`streamConsumer`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Consumer {
    /// Unix time in ms the consumer last did something.
    pub seen_time: i64,
    /// IDs of the group PEL entries this consumer owns.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group (`streamCG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub last_id: StreamId,
    /// Logical read counter of `last_id`, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> ConsumerGroup {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Remove a PEL entry from the group and from its consumer.
    pub fn remove_nack(&mut self, id: &StreamId) -> Option<Nack> {
        let nack = self.pel.remove(id)?;
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(id);
        }
        Some(nack)
    }

    /// Give the PEL entry `id` (which must exist) to `consumer` (which must
    /// exist), moving it out of its previous owner's PEL.
    pub fn assign_nack(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != consumer {
            let old = std::mem::replace(&mut nack.consumer, consumer.to_vec());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Delete a consumer and its pending entries (`streamDelConsumer`);
    /// returns how many entries it had pending.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }
}

/// Trimming strategy of XADD / XTRIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

/// How to trim (`streamAddTrimArgs` minus the XADD-only fields).
#[derive(Clone, Copy, Debug)]
pub struct TrimArgs {
    pub strategy: TrimStrategy,
    /// `~`: only whole nodes are removed.
    pub approx: bool,
    /// Most entries to delete; 0 = no limit.
    pub limit: u64,
}

/// Why [`Stream::append`] refused an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last ID (EDOM).
    IdTooSmall,
    /// The fields and values together are too large (ERANGE).
    TooLarge,
}

/// One entry's place inside a node, found by [`parse_node`].
#[derive(Clone, Copy, Debug)]
struct EntryPos {
    id: StreamId,
    flags: i64,
    /// Position of the flags element.
    flags_pos: usize,
    /// Position of the first field (or first value for SAMEFIELDS).
    data_pos: Option<usize>,
    numfields: usize,
}

/// A node's master entry and entries, decoded once.
struct NodeView {
    count: i64,
    deleted: i64,
    /// Positions of the master field names.
    master_fields: Vec<usize>,
    entries: Vec<EntryPos>,
}

fn lp_int(lp: &Listpack, p: usize) -> Option<i64> {
    match lp.get(p) {
        LpEntry::Int(v) => Some(v),
        LpEntry::Str(s) => numbers::parse_i64(s),
    }
}

/// Decode a node, checking its structure on the way (the checks of
/// `streamValidateListpackIntegrity`); None when it is malformed.
fn parse_node(master: StreamId, lp: &Listpack) -> Option<NodeView> {
    let mut p = lp.first()?;
    let count = lp_int(lp, p)?;
    p = lp.next(p)?;
    let deleted = lp_int(lp, p)?;
    p = lp.next(p)?;
    let nmaster = usize::try_from(lp_int(lp, p)?).ok()?;
    let mut master_fields = Vec::with_capacity(nmaster.min(1024));
    for _ in 0..nmaster {
        p = lp.next(p)?;
        master_fields.push(p);
    }
    p = lp.next(p)?;
    if lp_int(lp, p)? != 0 {
        return None;
    }
    let total = count.checked_add(deleted)?;
    if count < 0 || deleted < 0 {
        return None;
    }
    let mut entries = Vec::with_capacity((total as usize).min(4096));
    let mut cur = lp.next(p);
    for _ in 0..total {
        let fp = cur?;
        let flags = lp_int(lp, fp)?;
        let mp = lp.next(fp)?;
        let ms_diff = lp_int(lp, mp)?;
        let sp = lp.next(mp)?;
        let seq_diff = lp_int(lp, sp)?;
        let id = StreamId::new(
            master.ms.wrapping_add(ms_diff as u64),
            master.seq.wrapping_add(seq_diff as u64),
        );
        let mut q = lp.next(sp)?;
        let (numfields, elems, extra) = if flags & FLAG_SAMEFIELDS != 0 {
            (nmaster, nmaster, 3)
        } else {
            let n = usize::try_from(lp_int(lp, q)?).ok()?;
            q = lp.next(q)?;
            (n, n.checked_mul(2)?, n + 4)
        };
        let data_pos = if elems > 0 { Some(q) } else { None };
        for _ in 0..elems {
            q = lp.next(q)?;
        }
        // q is now the lp-count element.
        if lp_int(lp, q)? != (numfields + extra) as i64 {
            return None;
        }
        entries.push(EntryPos {
            id,
            flags,
            flags_pos: fp,
            data_pos,
            numfields,
        });
        cur = lp.next(q);
    }
    if cur.is_some() {
        return None;
    }
    Some(NodeView {
        count,
        deleted,
        master_fields,
        entries,
    })
}

/// The field/value pairs of an entry.
fn entry_fields<'a>(
    lp: &'a Listpack,
    view: &NodeView,
    e: &EntryPos,
) -> Vec<(LpEntry<'a>, LpEntry<'a>)> {
    let mut out = Vec::with_capacity(e.numfields);
    let Some(mut p) = e.data_pos else {
        return out;
    };
    let same = e.flags & FLAG_SAMEFIELDS != 0;
    for i in 0..e.numfields {
        if same {
            out.push((lp.get(view.master_fields[i]), lp.get(p)));
            if let Some(n) = lp.next(p) {
                p = n;
            }
        } else {
            let f = lp.get(p);
            let vp = lp.next(p).unwrap_or(p);
            out.push((f, lp.get(vp)));
            p = lp.next(vp).unwrap_or(vp);
        }
    }
    out
}

/// Visit the live entries of one node that fall in `start..=end`, in
/// order or reversed; false once `f` asked to stop or the range is past.
fn visit_node<'a>(
    k: StreamId,
    lp: &'a Listpack,
    start: StreamId,
    end: StreamId,
    rev: bool,
    f: &mut impl FnMut(StreamId, Vec<(LpEntry<'a>, LpEntry<'a>)>) -> bool,
) -> bool {
    let Some(view) = parse_node(k, lp) else {
        return false;
    };
    let mut go = |e: &EntryPos| -> bool {
        if e.flags & FLAG_DELETED != 0 {
            return true;
        }
        if rev {
            if e.id > end {
                return true;
            }
            if e.id < start {
                return false;
            }
        } else {
            if e.id < start {
                return true;
            }
            if e.id > end {
                return false;
            }
        }
        f(e.id, entry_fields(lp, &view, e))
    };
    if rev {
        view.entries.iter().rev().all(&mut go)
    } else {
        view.entries.iter().all(&mut go)
    }
}

/// A stream (`stream` in `stream.h`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Master ID -> node listpack.
    pub nodes: BTreeMap<StreamId, Listpack>,
    /// Live entries.
    pub length: u64,
    /// First live entry's ID (0-0 when empty).
    pub first_id: StreamId,
    /// Largest ID ever added (or set by XSETID).
    pub last_id: StreamId,
    /// Largest ID ever deleted by XDEL (or set by XSETID).
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub cgroups: BTreeMap<Vec<u8>, ConsumerGroup>,
}

/// Node size limits from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: u64,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Append an entry (`streamAppendItem`). `use_id`: an explicit ID and
    /// whether its sequence was given (`ms-*` leaves it to us); `None`
    /// generates an ID from `now_ms`.
    pub fn append(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        use_id: Option<(StreamId, bool)>,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let id = match use_id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        // Redis fails here without setting errno, so XADD
                        // reports the other error ("Elements are too
                        // large"); we answer the same.
                        return Err(AppendError::TooLarge);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    // Past the last possible ID this wraps to 0-0, which the
                    // comparison below refuses, as in Redis.
                    self.last_id.incr().unwrap_or(StreamId::MIN)
                }
            }
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let totelelen: usize = pairs.iter().map(|(f, v)| f.len() + v.len()).sum();
        if totelelen > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }

        // Can the tail node take one more entry?
        let mut tail = self.nodes.last_key_value().map(|(k, _)| *k);
        if let Some(k) = tail {
            let lp = &self.nodes[&k];
            let mut max_bytes = limits.max_bytes;
            if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
                max_bytes = LISTPACK_MAX_SIZE;
            }
            let full = if lp.bytes().len() + totelelen >= max_bytes {
                true
            } else if limits.max_entries > 0 {
                let p = lp.first();
                let count = p.and_then(|p| lp_int(lp, p)).unwrap_or(0);
                let deleted = p
                    .and_then(|p| lp.next(p))
                    .and_then(|p| lp_int(lp, p))
                    .unwrap_or(0);
                count.saturating_add(deleted) as u64 >= limits.max_entries
            } else {
                false
            };
            if full {
                tail = None;
            }
        }

        let mut flags = 0;
        let master_id;
        match tail {
            None => {
                master_id = id;
                let mut lp = Listpack::new();
                lp.append_int(1);
                lp.append_int(0);
                lp.append_int(pairs.len() as i64);
                for (f, _) in pairs {
                    lp.append(f);
                }
                lp.append_int(0);
                self.nodes.insert(id, lp);
                flags |= FLAG_SAMEFIELDS;
            }
            Some(k) => {
                master_id = k;
                let lp = self.nodes.get_mut(&k).expect("tail node exists");
                if let Some(p) = lp.first() {
                    let count = lp_int(lp, p).unwrap_or(0);
                    lp.replace_int(p, count.saturating_add(1));
                }
                // Same fields as the master entry?
                let mut same = false;
                if let Some(np) = lp.first().and_then(|p| lp.next(p)).and_then(|p| lp.next(p)) {
                    let n = lp_int(lp, np).unwrap_or(-1);
                    if n == pairs.len() as i64 {
                        same = true;
                        let mut p = lp.next(np);
                        for (f, _) in pairs {
                            match p {
                                Some(q) if lp.get(q).eq_bytes(f) => {
                                    p = lp.next(q);
                                }
                                _ => {
                                    same = false;
                                    break;
                                }
                            }
                        }
                    }
                }
                if same {
                    flags |= FLAG_SAMEFIELDS;
                }
            }
        }
        let lp = self.nodes.get_mut(&master_id).expect("node exists");
        lp.append_int(flags);
        lp.append_int(id.ms.wrapping_sub(master_id.ms) as i64);
        lp.append_int(id.seq.wrapping_sub(master_id.seq) as i64);
        if flags & FLAG_SAMEFIELDS == 0 {
            lp.append_int(pairs.len() as i64);
        }
        for (f, v) in pairs {
            if flags & FLAG_SAMEFIELDS == 0 {
                lp.append(f);
            }
            lp.append(v);
        }
        let mut lp_count = pairs.len() as i64 + 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            lp_count += pairs.len() as i64 + 1;
        }
        lp.append_int(lp_count);

        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Visit live entries with `start <= id <= end`, in order or reversed,
    /// until `f` returns false (`streamIterator`).
    pub fn range<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(StreamId, Vec<(LpEntry<'a>, LpEntry<'a>)>) -> bool,
    ) {
        if start > end {
            return;
        }
        // The node holding `start` (or `end` when reversed) is the last
        // whose master ID is <= it; earlier nodes hold only smaller IDs.
        if rev {
            for (k, lp) in self.nodes.range(..=end).rev() {
                if !visit_node(*k, lp, start, end, true, &mut f) || *k <= start {
                    return;
                }
            }
        } else {
            let from = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::MIN);
            for (k, lp) in self.nodes.range(from..) {
                if *k > end || !visit_node(*k, lp, start, end, false, &mut f) {
                    return;
                }
            }
        }
    }

    /// The fields of the live entry `id`, if there is one.
    pub fn get(&self, id: StreamId) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = None;
        self.range(id, id, false, |_, fv| {
            out = Some(fv.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect());
            false
        });
        out
    }

    /// Whether a live entry `id` exists (`streamEntryExists`).
    pub fn entry_exists(&self, id: StreamId) -> bool {
        let mut found = false;
        self.range(id, id, false, |_, _| {
            found = true;
            false
        });
        found
    }

    /// First (or last) live entry ID (`streamGetEdgeID` skipping
    /// tombstones); None when empty.
    pub fn edge_id(&self, first: bool) -> Option<StreamId> {
        let mut out = None;
        self.range(StreamId::MIN, StreamId::MAX, !first, |id, _| {
            out = Some(id);
            false
        });
        out
    }

    /// Last live ID, or 0-0 (`streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.edge_id(false).unwrap_or(StreamId::MIN)
    }

    /// Mark entry `id` deleted (`streamDeleteItem`); true when it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&k, _)) = self.nodes.range(..=id).next_back() else {
            return false;
        };
        let lp = self.nodes.get_mut(&k).expect("node exists");
        let Some(view) = parse_node(k, lp) else {
            return false;
        };
        let Some(e) = view
            .entries
            .iter()
            .find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        if view.count == 1 {
            self.nodes.remove(&k);
        } else {
            lp.replace_int(e.flags_pos, e.flags | FLAG_DELETED);
            if let Some(p) = lp.first() {
                lp.replace_int(p, view.count - 1);
                if let Some(q) = lp.next(p) {
                    lp.replace_int(q, view.deleted + 1);
                }
            }
        }
        self.length -= 1;
        true
    }

    /// Trim from the head (`streamTrim`); returns entries removed.
    pub fn trim(&mut self, args: &TrimArgs) -> u64 {
        if args.strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: u64 = 0;
        // Always the head node: each round either removes it whole or
        // marks entries inside it and stops.
        while let Some((&k, _)) = self.nodes.first_key_value() {
            if let TrimStrategy::MaxLen(maxlen) = args.strategy {
                if self.length <= maxlen {
                    break;
                }
            }
            let Some(view) = parse_node(k, &self.nodes[&k]) else {
                break;
            };
            let entries = view.count.max(0) as u64;
            if args.limit > 0 && deleted + entries > args.limit {
                break;
            }
            let remove_node = match args.strategy {
                TrimStrategy::MaxLen(maxlen) => self.length - entries >= maxlen,
                TrimStrategy::MinId(minid) => {
                    view.entries.last().map(|e| e.id < minid).unwrap_or(true)
                }
                TrimStrategy::None => false,
            };
            if remove_node {
                self.nodes.remove(&k);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if args.approx {
                break;
            }
            // Mark entries deleted inside this node, then stop.
            let lp = self.nodes.get_mut(&k).expect("node exists");
            let mut deleted_here: i64 = 0;
            for e in &view.entries {
                let stop = match args.strategy {
                    TrimStrategy::MaxLen(maxlen) => self.length <= maxlen,
                    TrimStrategy::MinId(minid) => e.id >= minid,
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 {
                    // Replacing an integer with one of the same encoded size
                    // keeps every later position valid.
                    lp.replace_int(e.flags_pos, e.flags | FLAG_DELETED);
                    deleted_here += 1;
                    self.length -= 1;
                }
            }
            deleted += deleted_here as u64;
            if let Some(p) = lp.first() {
                lp.replace_int(p, view.count - deleted_here);
                if let Some(q) = lp.next(p) {
                    lp.replace_int(q, view.deleted + deleted_here);
                }
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true).unwrap_or(StreamId::MIN);
        }
        deleted
    }

    /// First entry ID including tombstones (`streamGetEdgeID(s,1,0,..)`),
    /// used to rewrite an approximate MINID for propagation.
    pub fn first_id_with_tombstones(&self) -> StreamId {
        for (k, lp) in &self.nodes {
            if let Some(v) = parse_node(*k, lp) {
                if let Some(e) = v.entries.first() {
                    return e.id;
                }
            }
        }
        StreamId::MAX
    }

    /// `streamRangeHasTombstones`.
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the logical read counter
    /// of `id`, or [`INVALID_ENTRIES_READ`] when it cannot be known.
    pub fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag (`streamReplyWithCGLag`): None when unknown.
    pub fn group_lag(&self, cg: &ConsumerGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if cg.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(cg.last_id, StreamId::MAX)
        {
            return Some(self.entries_added as i64 - cg.entries_read);
        }
        let er = self.estimate_distance_from_first_ever_entry(cg.last_id);
        if er != INVALID_ENTRIES_READ {
            Some(self.entries_added as i64 - er)
        } else {
            None
        }
    }

    /// Number of nodes Redis's rax would have for these keys
    /// (XINFO's radix-tree-nodes), assuming the rax is fully compressed,
    /// which Redis's insert and remove keep it.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_key()).collect();
        if keys.is_empty() {
            return 1;
        }
        fn count(keys: &[[u8; 16]], d: usize, parent_branching: bool) -> usize {
            if d == 16 {
                return 1;
            }
            let mut groups = Vec::new();
            let mut i = 0;
            while i < keys.len() {
                let mut j = i + 1;
                while j < keys.len() && keys[j][d] == keys[i][d] {
                    j += 1;
                }
                groups.push((i, j));
                i = j;
            }
            let branching = groups.len() >= 2;
            let me = usize::from(d == 0 || branching || parent_branching);
            me + groups
                .iter()
                .map(|&(a, b)| count(&keys[a..b], d + 1, branching))
                .sum::<usize>()
        }
        count(&keys, 0, false)
    }

    /// Approximate heap bytes (MEMORY USAGE, maxmemory accounting).
    pub fn heap_size(&self) -> usize {
        let mut n = 64;
        for lp in self.nodes.values() {
            n += lp.heap_size() + 48;
        }
        for (name, cg) in &self.cgroups {
            n += name.len() + 64 + cg.pel.len() * 64;
            for (cname, c) in &cg.consumers {
                n += cname.len() + 48 + c.pel.len() * 32;
            }
        }
        n
    }

    /// Check a loaded stream: every node well formed, its master ID equal
    /// to its first entry's, counts consistent with `length`, and every
    /// PEL entry owned by an existing consumer.
    pub fn validate(&self) -> bool {
        let mut live = 0u64;
        for (k, lp) in &self.nodes {
            let Some(v) = parse_node(*k, lp) else {
                return false;
            };
            if v.entries.is_empty() {
                return false;
            }
            let d = v
                .entries
                .iter()
                .filter(|e| e.flags & FLAG_DELETED != 0)
                .count() as i64;
            if d != v.deleted {
                return false;
            }
            live += v.count as u64;
        }
        if live != self.length {
            return false;
        }
        for cg in self.cgroups.values() {
            for (id, nack) in &cg.pel {
                match cg.consumers.get(&nack.consumer) {
                    Some(c) if c.pel.contains(id) => {}
                    _ => return false,
                }
            }
            let owned: usize = cg.consumers.values().map(|c| c.pel.len()).sum();
            if owned != cg.pel.len() {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn add(s: &mut Stream, ms: u64, seq: u64, pairs: &[(&[u8], &[u8])]) -> StreamId {
        s.append(pairs, Some((StreamId::new(ms, seq), true)), 0, LIM)
            .unwrap()
    }

    fn ids(s: &Stream, rev: bool) -> Vec<StreamId> {
        let mut v = Vec::new();
        s.range(StreamId::MIN, StreamId::MAX, rev, |id, _| {
            v.push(id);
            true
        });
        v
    }

    #[test]
    fn id_parsing() {
        assert_eq!(
            StreamId::parse(b"-", 0, false, false),
            Some((StreamId::MIN, true))
        );
        assert_eq!(StreamId::parse(b"+", 0, true, false), None);
        assert_eq!(
            StreamId::parse(b"5", 7, false, false),
            Some((StreamId::new(5, 7), true))
        );
        assert_eq!(
            StreamId::parse(b"5-*", 0, true, true),
            Some((StreamId::new(5, 0), false))
        );
        assert_eq!(StreamId::parse(b"5-*", 0, true, false), None);
        assert_eq!(StreamId::parse(b"abc", 0, false, false), None);
        assert_eq!(StreamId::parse(b"1-2-3", 0, false, false), None);
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::MIN.decr(), None);
        assert_eq!(StreamId::new(3, 4).to_bytes(), b"3-4".to_vec());
    }

    #[test]
    fn append_range_delete() {
        let mut s = Stream::new();
        add(&mut s, 1, 0, &[(b"a", b"1")]);
        add(&mut s, 2, 0, &[(b"a", b"2")]);
        add(&mut s, 3, 0, &[(b"b", b"3"), (b"c", b"x")]);
        assert_eq!(s.length, 3);
        assert_eq!(ids(&s, false).len(), 3);
        assert_eq!(ids(&s, true)[0], StreamId::new(3, 0));
        assert_eq!(
            s.get(StreamId::new(3, 0)).unwrap(),
            vec![
                (b"b".to_vec(), b"3".to_vec()),
                (b"c".to_vec(), b"x".to_vec())
            ]
        );
        assert!(s
            .append(&[(b"a", b"1")], Some((StreamId::new(3, 0), true)), 0, LIM)
            .is_err());
        assert!(s.delete(StreamId::new(2, 0)));
        assert!(!s.delete(StreamId::new(2, 0)));
        assert_eq!(
            ids(&s, false),
            vec![StreamId::new(1, 0), StreamId::new(3, 0)]
        );
        assert!(s.validate());
        assert_eq!(s.rax_nodes(), 2);
    }

    #[test]
    fn nodes_split_and_trim() {
        let mut s = Stream::new();
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 10,
        };
        for i in 1..=95u64 {
            s.append(&[(b"f", b"v")], Some((StreamId::new(i, 0), true)), 0, lim)
                .unwrap();
        }
        assert_eq!(s.nodes.len(), 10);
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MaxLen(50),
            approx: true,
            limit: 0,
        });
        assert_eq!(n, 40);
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MaxLen(50),
            approx: false,
            limit: 0,
        });
        assert_eq!(n, 5);
        assert_eq!(s.length, 50);
        assert_eq!(s.first_id, StreamId::new(46, 0));
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MinId(StreamId::new(60, 0)),
            approx: false,
            limit: 0,
        });
        assert_eq!(n, 14);
        assert!(s.validate());
        assert_eq!(ids(&s, false)[0], StreamId::new(60, 0));
    }
}
