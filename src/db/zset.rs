//! The sorted set value type and its two encodings (~ the `zzl*` and
//! `zset*` halves of Redis's `t_zset.c`).
//!
//! # Encodings
//!
//! A small sorted set is a [`Listpack`] of `member, score` pairs kept sorted
//! by (score, member) (`listpack` in OBJECT ENCODING). Scores are stored as
//! Redis's `zzlInsertAt` writes them: integral values within +/-2^62 as
//! listpack integers (so a `-0` score reads back as `0`, unlike in the
//! skiplist encoding), everything else as `d2string` text (`%.17g`, `inf`),
//! which round-trips exactly. Every
//! operation is a linear walk, which for at most 128 pairs beats pointer
//! chasing and costs a few bytes per member.
//!
//! It becomes a [`ZSkipList`] (`skiplist`: a dict member -> score plus the
//! [`SkipList`] ordered by (score, member), sharing each member) the first
//! time an insert would push it past `zset-max-listpack-entries` members or
//! add a member longer than `zset-max-listpack-value` bytes. Like hashes,
//! conversion is one way for in-place writes; only the STORE commands build
//! a fresh set and pick its encoding by its final size
//! ([`ZSetValue::convert_to_listpack_if_needed`]).
//!
//! Invariants: no NaN score is ever stored; members are unique; a key never
//! holds an empty sorted set (the commands delete it).

use std::cmp::Ordering;
use std::rc::Rc;

use super::compact::{Compact, Enc};
use super::dict::{random_below, Dict};
use super::listpack::{Listpack, LpEntry, Where};
use super::skiplist::{LexItem, LexRange, NodeId, ScoreRange, SkipList};
use crate::util::numbers;

/// The two configuration limits that decide the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZSetLimits {
    /// `zset-max-listpack-entries`.
    pub max_entries: usize,
    /// `zset-max-listpack-value`.
    pub max_value: usize,
}

/// The `skiplist` encoding: member -> score for O(1) lookups, and the
/// ordered skiplist for ranks and ranges (Redis's `zset` struct).
#[derive(Clone, Debug, Default)]
pub struct ZSkipList {
    pub dict: Dict<Rc<[u8]>, f64>,
    pub zsl: SkipList,
}

/// A sorted set: a listpack while small, dict + skiplist once big, in one
/// pointer (see `compact.rs`); [`ZSetValue::enc`] tells which.
#[derive(Clone)]
pub struct ZSetValue(Compact<ZSkipList>);

impl std::fmt::Debug for ZSetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.enc() {
            Enc::Listpack(lp) => f.debug_tuple("Listpack").field(lp).finish(),
            Enc::Big(z) => f.debug_tuple("SkipList").field(z).finish(),
        }
    }
}

/// Equal when the member -> score mappings are equal.
impl PartialEq for ZSetValue {
    fn eq(&self, other: &ZSetValue) -> bool {
        self.len() == other.len() && {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            self.for_each(|m, s| a.push((m.to_vec(), s.to_bits())));
            other.for_each(|m, s| b.push((m.to_vec(), s.to_bits())));
            a == b
        }
    }
}

/// ZADD's input flags (`ZADD_IN_*`).
#[derive(Clone, Copy, Debug, Default)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What [`ZSetValue::add`] did (`ZADD_OUT_*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// The (incremented) score is NaN: nothing changed.
    Nan,
    Added(f64),
    /// Existing member; `true` when the score changed.
    Updated(f64, bool),
    /// NX/XX/GT/LT prevented the operation.
    Nop,
}

/// A position in either encoding: a listpack member offset or a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cur {
    Lp(usize),
    Sl(NodeId),
}

/// The score stored at listpack position `sp` (`zzlGetScore`).
fn lp_score(lp: &Listpack, sp: usize) -> f64 {
    match lp.get(sp) {
        LpEntry::Int(v) => v as f64,
        LpEntry::Str(s) => numbers::parse_f64_strtod(s).unwrap_or(0.0),
    }
}

/// Compares a stored member with `s` as strings (`zzlCompareElements`).
fn entry_cmp(e: LpEntry<'_>, s: &[u8]) -> Ordering {
    match e {
        LpEntry::Str(v) => v.cmp(s),
        LpEntry::Int(v) => {
            let mut buf = Vec::with_capacity(20);
            numbers::fmt_i64(v, &mut buf);
            buf.as_slice().cmp(s)
        }
    }
}

/// Owned string form of a member.
pub fn entry_bytes(e: LpEntry<'_>) -> Vec<u8> {
    e.to_vec()
}

/// Parses a score range bound pair (`zslParseRange`): `(` makes a bound
/// exclusive; the number is read like C `strtod`.
pub fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    fn bound(a: &[u8]) -> Option<(f64, bool)> {
        let (ex, body) = match a.first() {
            Some(b'(') => (true, &a[1..]),
            _ => (false, a),
        };
        let v = numbers::parse_f64_strtod(body)?;
        (!v.is_nan()).then_some((v, ex))
    }
    let (min, minex) = bound(min)?;
    let (max, maxex) = bound(max)?;
    Some(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// Parses a lex range bound pair (`zslParseLexRange`): `[x` inclusive,
/// `(x` exclusive, `-` and `+` the extremes; anything else is an error.
pub fn parse_lex_range(min: &[u8], max: &[u8]) -> Option<LexRange> {
    fn item(a: &[u8]) -> Option<(LexItem, bool)> {
        // Redis reads the C string: a NUL right after +/- ends it.
        let alone = a.len() == 1 || a.get(1) == Some(&0);
        match a.first()? {
            b'+' if alone => Some((LexItem::PosInf, true)),
            b'-' if alone => Some((LexItem::NegInf, true)),
            b'(' => Some((LexItem::Str(a[1..].to_vec()), true)),
            b'[' => Some((LexItem::Str(a[1..].to_vec()), false)),
            _ => None,
        }
    }
    let (min, minex) = item(min)?;
    let (max, maxex) = item(max)?;
    Some(LexRange {
        min,
        max,
        minex,
        maxex,
    })
}

impl ZSetValue {
    /// An empty listpack sorted set (`createZsetListpackObject`).
    pub fn new_listpack() -> ZSetValue {
        ZSetValue::from_listpack(Listpack::new())
    }

    /// An empty skiplist sorted set (`createZsetObject`).
    pub fn new_skiplist() -> ZSetValue {
        ZSetValue(Compact::from_big(Box::default()))
    }

    /// A listpack-encoded sorted set holding `lp` (an RDB payload's).
    pub fn from_listpack(lp: Listpack) -> ZSetValue {
        ZSetValue(Compact::from_listpack(lp))
    }

    /// A skiplist-encoded sorted set.
    pub fn from_skiplist(z: ZSkipList) -> ZSetValue {
        ZSetValue(Compact::from_big(Box::new(z)))
    }

    /// The encoding, to match on.
    pub fn enc(&self) -> Enc<&Listpack, &ZSkipList> {
        self.0.get()
    }

    /// The encoding, mutably.
    pub fn enc_mut(&mut self) -> Enc<&mut Listpack, &mut ZSkipList> {
        self.0.get_mut()
    }

    /// The encoding ZADD picks for a new key whose first member is
    /// `first_len` bytes long.
    pub fn create_for(limits: ZSetLimits, first_len: usize) -> ZSetValue {
        if limits.max_entries == 0 || limits.max_value < first_len {
            ZSetValue::new_skiplist()
        } else {
            ZSetValue::new_listpack()
        }
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self.enc() {
            Enc::Listpack(_) => "listpack",
            Enc::Big(_) => "skiplist",
        }
    }

    /// Number of members (`zsetLength`).
    pub fn len(&self) -> usize {
        match self.enc() {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::Big(z) => z.zsl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The listpack, when that is the encoding.
    pub fn as_listpack(&self) -> Option<&Listpack> {
        match self.enc() {
            Enc::Listpack(lp) => Some(lp),
            Enc::Big(_) => None,
        }
    }

    /// The dict, when skiplist-encoded (ZSCAN, DEBUG HTSTATS-KEY).
    pub fn as_dict(&self) -> Option<&Dict<Rc<[u8]>, f64>> {
        match self.enc() {
            Enc::Listpack(_) => None,
            Enc::Big(z) => Some(&z.dict),
        }
    }

    /// Position of `member` in a listpack set and its score (`zzlFind`).
    fn lp_find(lp: &Listpack, member: &[u8]) -> Option<(usize, f64)> {
        let p = lp.find(lp.first()?, member, 1)?;
        let sp = lp.next(p)?;
        Some((p, lp_score(lp, sp)))
    }

    /// Inserts a pair at its sorted place (`zzlInsert`).
    fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
        let mut p = lp.first();
        while let Some(ep) = p {
            let sp = lp.next(ep).expect("member followed by score");
            let s = lp_score(lp, sp);
            if s > score || (s == score && entry_cmp(lp.get(ep), member) == Ordering::Greater) {
                let at = lp.insert(ep, member, Where::Before);
                Self::lp_put_score(lp, Some(at), score);
                return;
            }
            p = lp.next(sp);
        }
        lp.append(member);
        Self::lp_put_score(lp, None, score);
    }

    /// Stores a score after the member at `after` (or at the tail) the way
    /// `zzlInsertAt` does: integral values within +/-2^62 as listpack
    /// integers (so -0 becomes 0), anything else as `d2string` text.
    fn lp_put_score(lp: &mut Listpack, after: Option<usize>, score: f64) {
        match (numbers::double2ll(score), after) {
            (Some(i), Some(at)) => {
                lp.insert_int(at, i, Where::After);
            }
            (Some(i), None) => lp.append_int(i),
            (None, at) => {
                let mut sbuf = Vec::with_capacity(24);
                numbers::d2string(score, &mut sbuf);
                match at {
                    Some(at) => {
                        lp.insert(at, &sbuf, Where::After);
                    }
                    None => lp.append(&sbuf),
                }
            }
        }
    }

    /// The score of `member` (`zsetScore`).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self.enc() {
            Enc::Listpack(lp) => Self::lp_find(lp, member).map(|(_, s)| s),
            Enc::Big(z) => z.dict.get(member).copied(),
        }
    }

    /// Converts a listpack set to a skiplist (`zsetConvert`).
    pub fn convert_to_skiplist(&mut self) {
        let Enc::Listpack(lp) = self.enc_mut() else {
            return;
        };
        let mut z = ZSkipList::default();
        z.dict.expand(lp.len() / 2);
        let mut it = lp.iter();
        while let (Some(m), Some(s)) = (it.next(), it.next()) {
            let score = match s {
                LpEntry::Int(v) => v as f64,
                LpEntry::Str(b) => numbers::parse_f64_strtod(b).unwrap_or(0.0),
            };
            let ele: Rc<[u8]> = Rc::from(m.to_vec());
            z.zsl.insert(score, ele.clone());
            z.dict.insert(ele, score);
        }
        *self = ZSetValue::from_skiplist(z);
    }

    /// Converts a freshly built skiplist set back to a listpack when it
    /// fits the limits (`zsetConvertToListpackIfNeeded`): used by the
    /// STORE commands, which build their result as a skiplist.
    pub fn convert_to_listpack_if_needed(
        &mut self,
        maxelelen: usize,
        totelelen: usize,
        limits: ZSetLimits,
    ) {
        let Enc::Big(z) = self.enc_mut() else {
            return;
        };
        if z.zsl.len() <= limits.max_entries
            && maxelelen <= limits.max_value
            && Listpack::new().safe_to_add(totelelen)
        {
            let mut lp = Listpack::new();
            for (m, s) in z.zsl.iter() {
                lp.append(m);
                Self::lp_put_score(&mut lp, None, s);
            }
            *self = ZSetValue::from_listpack(lp);
        }
    }

    /// Adds or updates `member` (`zsetAdd`); see [`AddOutcome`]. May
    /// convert the encoding before inserting.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        f: AddFlags,
        limits: ZSetLimits,
    ) -> AddOutcome {
        if score.is_nan() {
            return AddOutcome::Nan;
        }
        // Shared rules for an existing member.
        let existing = |cur: f64| -> Result<f64, AddOutcome> {
            if f.nx {
                return Err(AddOutcome::Nop);
            }
            let mut s = score;
            if f.incr {
                s += cur;
                if s.is_nan() {
                    return Err(AddOutcome::Nan);
                }
            }
            if (f.lt && s >= cur) || (f.gt && s <= cur) {
                return Err(AddOutcome::Nop);
            }
            Ok(s)
        };
        if let Enc::Listpack(lp) = self.enc_mut() {
            if let Some((p, cur)) = Self::lp_find(lp, member) {
                let s = match existing(cur) {
                    Ok(s) => s,
                    Err(o) => return o,
                };
                if s != cur {
                    lp.delete_range_with_entry(p, 2);
                    Self::lp_insert(lp, member, s);
                }
                return AddOutcome::Updated(s, s != cur);
            }
            if f.xx {
                return AddOutcome::Nop;
            }
            if lp.len() / 2 + 1 > limits.max_entries
                || member.len() > limits.max_value
                || !lp.safe_to_add(member.len())
            {
                self.convert_to_skiplist();
            } else {
                Self::lp_insert(lp, member, score);
                return AddOutcome::Added(score);
            }
        }
        let Enc::Big(z) = self.enc_mut() else {
            unreachable!("converted above");
        };
        if let Some(&cur) = z.dict.get(member) {
            let s = match existing(cur) {
                Ok(s) => s,
                Err(o) => return o,
            };
            if s != cur {
                z.zsl.update_score(cur, member, s);
                if let Some(v) = z.dict.get_mut(member) {
                    *v = s;
                }
            }
            return AddOutcome::Updated(s, s != cur);
        }
        if f.xx {
            return AddOutcome::Nop;
        }
        let ele: Rc<[u8]> = Rc::from(member);
        z.zsl.insert(score, ele.clone());
        z.dict.insert(ele, score);
        AddOutcome::Added(score)
    }

    /// Removes `member`; true if it was there (`zsetDel`).
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.enc_mut() {
            Enc::Listpack(lp) => match Self::lp_find(lp, member) {
                Some((p, _)) => {
                    lp.delete_range_with_entry(p, 2);
                    true
                }
                None => false,
            },
            Enc::Big(z) => match z.dict.remove(member) {
                Some((_, score)) => {
                    z.zsl.delete(score, member);
                    z.dict.resize_if_needed();
                    true
                }
                None => false,
            },
        }
    }

    /// 0-based rank of `member`, counted from the top when `reverse`
    /// (`zsetRank`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let len = self.len();
        let r = match self.enc() {
            Enc::Listpack(lp) => {
                let mut it = lp.iter();
                let mut i = 0;
                loop {
                    let m = it.next()?;
                    it.next();
                    if m.eq_bytes(member) {
                        break i;
                    }
                    i += 1;
                }
            }
            Enc::Big(z) => {
                let score = *z.dict.get(member)?;
                z.zsl.rank(score, member)? - 1
            }
        };
        Some(if reverse { len - 1 - r } else { r })
    }

    // ---- cursors: one walking vocabulary for both encodings ----

    fn cur_get(&self, c: Cur) -> (LpEntry<'_>, f64) {
        match (self.enc(), c) {
            (Enc::Listpack(lp), Cur::Lp(p)) => {
                let sp = lp.next(p).expect("member followed by score");
                (lp.get(p), lp_score(lp, sp))
            }
            (Enc::Big(z), Cur::Sl(id)) => (LpEntry::Str(z.zsl.ele(id)), z.zsl.score(id)),
            _ => unreachable!("cursor of the other encoding"),
        }
    }

    fn cur_member_bytes<'a>(&'a self, c: Cur, buf: &'a mut Vec<u8>) -> &'a [u8] {
        match self.cur_get(c).0 {
            LpEntry::Str(s) => s,
            LpEntry::Int(v) => {
                buf.clear();
                numbers::fmt_i64(v, buf);
                buf
            }
        }
    }

    fn cur_step(&self, c: Cur, reverse: bool) -> Option<Cur> {
        match (self.enc(), c) {
            (Enc::Listpack(lp), Cur::Lp(p)) => {
                if reverse {
                    let sp = lp.prev(p)?;
                    lp.prev(sp).map(Cur::Lp)
                } else {
                    let sp = lp.next(p)?;
                    lp.next(sp).map(Cur::Lp)
                }
            }
            (Enc::Big(z), Cur::Sl(id)) => {
                if reverse {
                    z.zsl.prev(id).map(Cur::Sl)
                } else {
                    z.zsl.next(id).map(Cur::Sl)
                }
            }
            _ => unreachable!("cursor of the other encoding"),
        }
    }

    fn cur_end(&self, reverse: bool) -> Option<Cur> {
        match self.enc() {
            Enc::Listpack(lp) => {
                if reverse {
                    lp.seek(-2).map(Cur::Lp)
                } else {
                    lp.first().map(Cur::Lp)
                }
            }
            Enc::Big(z) => {
                if reverse {
                    z.zsl.last().map(Cur::Sl)
                } else {
                    z.zsl.first().map(Cur::Sl)
                }
            }
        }
    }

    /// The element at 0-based `rank` counted from the chosen end.
    fn cur_at_rank(&self, rank: usize, reverse: bool) -> Option<Cur> {
        match self.enc() {
            Enc::Listpack(lp) => {
                let i = 2 * rank as i64;
                lp.seek(if reverse { -2 - i } else { i }).map(Cur::Lp)
            }
            Enc::Big(z) => {
                let len = z.zsl.len();
                let r = if reverse {
                    len.checked_sub(rank)?
                } else {
                    rank + 1
                };
                z.zsl.by_rank(r).map(Cur::Sl)
            }
        }
    }

    /// First element inside a score range, walking from the chosen end
    /// (`zzlFirstInRange` / `zzlLastInRange` / the `zsl` ones).
    fn cur_in_score_range(&self, r: &ScoreRange, reverse: bool) -> Option<Cur> {
        if r.is_empty() {
            return None;
        }
        match self.enc() {
            Enc::Big(z) => {
                let id = if reverse {
                    z.zsl.last_in_range(r)
                } else {
                    z.zsl.first_in_range(r)
                };
                id.map(Cur::Sl)
            }
            Enc::Listpack(_) => {
                let mut c = self.cur_end(reverse);
                while let Some(cur) = c {
                    let s = self.cur_get(cur).1;
                    if reverse {
                        if r.lte_max(s) {
                            return r.gte_min(s).then_some(cur);
                        }
                    } else if r.gte_min(s) {
                        return r.lte_max(s).then_some(cur);
                    }
                    c = self.cur_step(cur, reverse);
                }
                None
            }
        }
    }

    /// First element inside a lex range from the chosen end.
    fn cur_in_lex_range(&self, r: &LexRange, reverse: bool) -> Option<Cur> {
        if r.is_empty() {
            return None;
        }
        match self.enc() {
            Enc::Big(z) => {
                let id = if reverse {
                    z.zsl.last_in_lex_range(r)
                } else {
                    z.zsl.first_in_lex_range(r)
                };
                id.map(Cur::Sl)
            }
            Enc::Listpack(_) => {
                // `zzlIsInLexRange`: the last member must reach min and the
                // first must not pass max.
                let mut buf = Vec::new();
                let (Some(head), Some(tail)) = (self.cur_end(false), self.cur_end(true)) else {
                    return None;
                };
                if !r.gte_min(self.cur_member_bytes(tail, &mut buf))
                    || !r.lte_max(self.cur_member_bytes(head, &mut buf))
                {
                    return None;
                }
                let mut c = self.cur_end(reverse);
                while let Some(cur) = c {
                    let m = self.cur_member_bytes(cur, &mut buf);
                    if reverse {
                        if r.lte_max(m) {
                            return r.gte_min(m).then_some(cur);
                        }
                    } else if r.gte_min(m) {
                        return r.lte_max(m).then_some(cur);
                    }
                    c = self.cur_step(cur, reverse);
                }
                None
            }
        }
    }

    // ---- ranges ----

    /// Calls `f` for 0-based ranks `start..=end` (already clamped to the
    /// set) from the chosen end (`genericZrangebyrankCommand`).
    pub fn range_by_rank(
        &self,
        start: usize,
        end: usize,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>, f64),
    ) {
        let mut c = self.cur_at_rank(start, reverse);
        let mut n = end + 1 - start;
        while let (Some(cur), true) = (c, n > 0) {
            let (m, s) = self.cur_get(cur);
            f(m, s);
            n -= 1;
            c = self.cur_step(cur, reverse);
        }
    }

    /// Calls `f` for the members in a score range, skipping `offset` and
    /// stopping after `limit` (negative: no limit); a negative offset
    /// yields nothing, as in Redis. Returns how many were emitted.
    pub fn range_by_score(
        &self,
        r: &ScoreRange,
        offset: i64,
        limit: i64,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>, f64),
    ) -> usize {
        if offset < 0 || (offset > 0 && offset as u64 >= self.len() as u64) {
            return 0;
        }
        let mut c = self.cur_in_score_range(r, reverse);
        for _ in 0..offset {
            c = c.and_then(|cur| self.cur_step(cur, reverse));
        }
        let mut emitted = 0;
        let mut limit = limit;
        while let Some(cur) = c {
            if limit == 0 {
                break;
            }
            let (m, s) = self.cur_get(cur);
            let inside = if reverse { r.gte_min(s) } else { r.lte_max(s) };
            if !inside {
                break;
            }
            f(m, s);
            emitted += 1;
            limit -= 1;
            c = self.cur_step(cur, reverse);
        }
        emitted
    }

    /// Like [`range_by_score`](Self::range_by_score) for a lex range.
    pub fn range_by_lex(
        &self,
        r: &LexRange,
        offset: i64,
        limit: i64,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>, f64),
    ) -> usize {
        if offset < 0 || (offset > 0 && offset as u64 >= self.len() as u64) {
            return 0;
        }
        let mut c = self.cur_in_lex_range(r, reverse);
        for _ in 0..offset {
            c = c.and_then(|cur| self.cur_step(cur, reverse));
        }
        let mut emitted = 0;
        let mut limit = limit;
        let mut buf = Vec::new();
        while let Some(cur) = c {
            if limit == 0 {
                break;
            }
            let m = self.cur_member_bytes(cur, &mut buf);
            let inside = if reverse { r.gte_min(m) } else { r.lte_max(m) };
            if !inside {
                break;
            }
            let (m, s) = self.cur_get(cur);
            f(m, s);
            emitted += 1;
            limit -= 1;
            c = self.cur_step(cur, reverse);
        }
        emitted
    }

    /// Members in a score range (ZCOUNT): by rank arithmetic on a skiplist.
    pub fn count_in_score_range(&self, r: &ScoreRange) -> usize {
        match self.enc() {
            Enc::Big(z) => {
                let (Some(a), Some(b)) = (z.zsl.first_in_range(r), z.zsl.last_in_range(r)) else {
                    return 0;
                };
                let ra = z.zsl.rank(z.zsl.score(a), z.zsl.ele(a)).unwrap_or(0);
                let rb = z.zsl.rank(z.zsl.score(b), z.zsl.ele(b)).unwrap_or(0);
                rb + 1 - ra
            }
            Enc::Listpack(_) => self.range_by_score(r, 0, -1, false, |_, _| {}),
        }
    }

    /// Members in a lex range (ZLEXCOUNT).
    pub fn count_in_lex_range(&self, r: &LexRange) -> usize {
        match self.enc() {
            Enc::Big(z) => {
                let (Some(a), Some(b)) = (z.zsl.first_in_lex_range(r), z.zsl.last_in_lex_range(r))
                else {
                    return 0;
                };
                let ra = z.zsl.rank(z.zsl.score(a), z.zsl.ele(a)).unwrap_or(0);
                let rb = z.zsl.rank(z.zsl.score(b), z.zsl.ele(b)).unwrap_or(0);
                rb + 1 - ra
            }
            Enc::Listpack(_) => self.range_by_lex(r, 0, -1, false, |_, _| {}),
        }
    }

    /// Deletes the run starting at listpack cursor `c` while `inside`.
    fn lp_delete_run(&mut self, c: Option<Cur>, inside: impl Fn(&ZSetValue, Cur) -> bool) -> usize {
        let Some(Cur::Lp(start)) = c else {
            return 0;
        };
        let mut n = 0;
        let mut c = Some(Cur::Lp(start));
        while let Some(cur) = c {
            if !inside(self, cur) {
                break;
            }
            n += 1;
            c = self.cur_step(cur, false);
        }
        if let Enc::Listpack(lp) = self.enc_mut() {
            if n > 0 {
                lp.delete_range_with_entry(start, 2 * n);
            }
        }
        n
    }

    /// ZREMRANGEBYSCORE.
    pub fn delete_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match self.enc_mut() {
            Enc::Big(z) => {
                let ZSkipList { dict, zsl } = z;
                let n = zsl.delete_range_by_score(r, |e| {
                    dict.remove(&*e);
                });
                dict.resize_if_needed();
                n
            }
            Enc::Listpack(_) => {
                let c = self.cur_in_score_range(r, false);
                self.lp_delete_run(c, |z, cur| r.lte_max(z.cur_get(cur).1))
            }
        }
    }

    /// ZREMRANGEBYLEX.
    pub fn delete_range_by_lex(&mut self, r: &LexRange) -> usize {
        match self.enc_mut() {
            Enc::Big(z) => {
                let ZSkipList { dict, zsl } = z;
                let n = zsl.delete_range_by_lex(r, |e| {
                    dict.remove(&*e);
                });
                dict.resize_if_needed();
                n
            }
            Enc::Listpack(_) => {
                let c = self.cur_in_lex_range(r, false);
                self.lp_delete_run(c, |z, cur| {
                    let mut buf = Vec::new();
                    r.lte_max(z.cur_member_bytes(cur, &mut buf))
                })
            }
        }
    }

    /// ZREMRANGEBYRANK over 0-based `start..=end` (already clamped).
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        match self.enc_mut() {
            Enc::Big(z) => {
                let ZSkipList { dict, zsl } = z;
                let n = zsl.delete_range_by_rank(start + 1, end + 1, |e| {
                    dict.remove(&*e);
                });
                dict.resize_if_needed();
                n
            }
            Enc::Listpack(lp) => match lp.seek(2 * start as i64) {
                Some(p) => {
                    let n = end + 1 - start;
                    lp.delete_range_with_entry(p, 2 * n);
                    n
                }
                None => 0,
            },
        }
    }

    /// Every (member, score) in order.
    pub fn for_each(&self, mut f: impl FnMut(LpEntry<'_>, f64)) {
        match self.enc() {
            Enc::Listpack(lp) => {
                let mut it = lp.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    let score = match s {
                        LpEntry::Int(v) => v as f64,
                        LpEntry::Str(b) => numbers::parse_f64_strtod(b).unwrap_or(0.0),
                    };
                    f(m, score);
                }
            }
            Enc::Big(z) => {
                for (m, s) in z.zsl.iter() {
                    f(LpEntry::Str(m), s);
                }
            }
        }
    }

    /// Removes and returns the lowest (or highest) member.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let c = self.cur_end(max)?;
        let (m, s) = self.cur_get(c);
        let m = m.to_vec();
        self.remove(&m);
        Some((m, s))
    }

    /// One random (member, score) (`zsetTypeRandomElement`).
    pub fn random_element(&mut self) -> Option<(Vec<u8>, f64)> {
        match self.enc_mut() {
            Enc::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let (m, s) = lp.random_pair(n);
                Some((m.to_vec(), lp_entry_score(s)))
            }
            Enc::Big(z) => z.dict.fair_random_entry().map(|(m, s)| (m.to_vec(), *s)),
        }
    }

    /// Approximate bytes (`objectComputeSize`).
    pub fn memory_usage(&self, samples: usize) -> usize {
        const OBJ_HEADER: usize = 16;
        match self.enc() {
            Enc::Listpack(lp) => OBJ_HEADER + lp.heap_size(),
            Enc::Big(z) => {
                let base = OBJ_HEADER + z.dict.allocated_bytes() + z.zsl.heap_size();
                let limit = if samples == 0 { usize::MAX } else { samples };
                let (mut n, mut bytes) = (0usize, 0usize);
                for (m, _) in z.zsl.iter().take(limit) {
                    bytes += m.len() + 16;
                    n += 1;
                }
                if n == 0 {
                    base
                } else {
                    base + (bytes as f64 / n as f64 * z.zsl.len() as f64) as usize
                }
            }
        }
    }
}

/// A listpack score element as a double.
pub fn lp_entry_score(s: LpEntry<'_>) -> f64 {
    match s {
        LpEntry::Int(v) => v as f64,
        LpEntry::Str(b) => numbers::parse_f64_strtod(b).unwrap_or(0.0),
    }
}

/// `random_below` re-exported for the commands' sampling.
pub fn random_index(n: usize) -> usize {
    random_below(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: ZSetLimits = ZSetLimits {
        max_entries: 4,
        max_value: 8,
    };

    fn pairs(z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
        let mut v = vec![];
        z.for_each(|m, s| v.push((m.to_vec(), s)));
        v
    }

    #[test]
    fn listpack_sorted_and_converts_on_count_and_length() {
        let mut z = ZSetValue::create_for(SMALL, 1);
        assert_eq!(z.encoding(), "listpack");
        let f = AddFlags::default();
        assert_eq!(z.add(2.0, b"b", f, SMALL), AddOutcome::Added(2.0));
        assert_eq!(z.add(1.5, b"a", f, SMALL), AddOutcome::Added(1.5));
        assert_eq!(z.add(2.0, b"10", f, SMALL), AddOutcome::Added(2.0));
        assert_eq!(z.add(2.0, b"b", f, SMALL), AddOutcome::Updated(2.0, false));
        assert_eq!(
            pairs(&z),
            vec![
                (b"a".to_vec(), 1.5),
                (b"10".to_vec(), 2.0),
                (b"b".to_vec(), 2.0)
            ]
        );
        assert_eq!(z.rank(b"b", false), Some(2));
        assert_eq!(z.rank(b"b", true), Some(0));
        z.add(0.0, b"c", f, SMALL);
        assert_eq!(z.encoding(), "listpack");
        z.add(0.0, b"d", f, SMALL);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.len(), 5);
        assert_eq!(z.score(b"10"), Some(2.0));
        assert_eq!(z.rank(b"b", false), Some(4));
        let mut w = ZSetValue::create_for(SMALL, 1);
        w.add(1.0, b"123456789", f, SMALL);
        assert_eq!(w.encoding(), "skiplist");
        assert_eq!(ZSetValue::create_for(SMALL, 9).encoding(), "skiplist");
        // Back to listpack only through the STORE path.
        let mut big = z.clone();
        big.convert_to_listpack_if_needed(
            2,
            10,
            ZSetLimits {
                max_entries: 10,
                max_value: 8,
            },
        );
        assert_eq!(big.encoding(), "listpack");
        assert_eq!(big, z);
    }

    #[test]
    fn both_encodings_agree_on_ranges() {
        let f = AddFlags::default();
        let big = ZSetLimits {
            max_entries: 1000,
            max_value: 64,
        };
        let mut lp = ZSetValue::new_listpack();
        for i in 0..40 {
            lp.add(
                (i % 7) as f64 * 0.5,
                format!("m{:02}", i).as_bytes(),
                f,
                big,
            );
        }
        let mut sl = lp.clone();
        sl.convert_to_skiplist();
        let r = parse_score_range(b"(0.5", b"2").unwrap();
        let lx = parse_lex_range(b"[m05", b"(m30").unwrap();
        assert_eq!(sl.count_in_score_range(&r), lp.count_in_score_range(&r));
        // Lex ranges assume equal scores.
        let mut flat = ZSetValue::new_listpack();
        for i in 0..40 {
            flat.add(0.0, format!("m{:02}", i).as_bytes(), f, big);
        }
        let mut flat_sl = flat.clone();
        flat_sl.convert_to_skiplist();
        for z in [&flat, &flat_sl] {
            assert_eq!(z.count_in_lex_range(&lx), 25);
            let mut v = vec![];
            z.range_by_lex(&lx, 1, 2, true, |m, _| v.push(m.to_vec()));
            assert_eq!(v, vec![b"m28".to_vec(), b"m27".to_vec()]);
        }
        let collect = |z: &ZSetValue, rev: bool| {
            let mut v = vec![];
            z.range_by_score(&r, 2, 5, rev, |m, s| v.push((m.to_vec(), s)));
            z.range_by_rank(3, 9, rev, |m, s| v.push((m.to_vec(), s)));
            v
        };
        assert_eq!(collect(&lp, false), collect(&sl, false));
        assert_eq!(collect(&lp, true), collect(&sl, true));
        let (mut a, mut b) = (lp.clone(), sl.clone());
        assert_eq!(a.delete_range_by_score(&r), b.delete_range_by_score(&r));
        assert_eq!(a, b);
        assert_eq!(a.delete_range_by_rank(1, 3), b.delete_range_by_rank(1, 3));
        assert_eq!(a, b);
        assert_eq!(a.pop(true), b.pop(true));
        assert_eq!(a, b);
    }

    #[test]
    fn add_flags_and_nan() {
        let f = AddFlags::default();
        let mut z = ZSetValue::new_listpack();
        z.add(f64::INFINITY, b"x", f, SMALL);
        let incr = AddFlags { incr: true, ..f };
        assert_eq!(z.add(f64::NEG_INFINITY, b"x", incr, SMALL), AddOutcome::Nan);
        let gt = AddFlags { gt: true, ..f };
        assert_eq!(z.add(1.0, b"x", gt, SMALL), AddOutcome::Nop);
        let nx = AddFlags { nx: true, ..f };
        assert_eq!(z.add(1.0, b"x", nx, SMALL), AddOutcome::Nop);
        let xx = AddFlags { xx: true, ..f };
        assert_eq!(z.add(1.0, b"y", xx, SMALL), AddOutcome::Nop);
        assert_eq!(z.score(b"x"), Some(f64::INFINITY));
        assert!(parse_score_range(b"nan", b"1").is_none());
        assert_eq!(parse_score_range(b"(", b"1").unwrap().min, 0.0);
        assert!(parse_lex_range(b"a", b"+").is_none());
        assert!(parse_lex_range(b"+x", b"+").is_none());
    }
}
