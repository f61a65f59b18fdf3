//! The skiplist half of a big sorted set (~ the `zsl*` functions of Redis's
//! `t_zset.c`, `zskiplist` in `server.h`).
//!
//! # Why a skiplist (plus a dict)
//!
//! A sorted set must answer two kinds of question fast: "what is the score
//! of member M" (ZSCORE, ZADD's existence check) and "which members sit at
//! ranks 100..110, or between scores 1.5 and 3" (ZRANGE and friends, ZRANK).
//! A hash table answers the first in O(1) and cannot answer the second; an
//! ordered structure answers the second in O(log N). Redis keeps both: the
//! dict maps member -> score (see `zset.rs`), the skiplist orders the
//! (score, member) pairs. Members are shared between the two (here an
//! `Rc<[u8]>`, in Redis one `sds` pointed at twice), so the duplication
//! costs a pointer, not a copy of the bytes.
//!
//! A skiplist rather than a balanced tree because it is simpler to get
//! right, has the same expected costs, is cheap to walk in both directions
//! for range replies, and - the deciding point - its *spans* make rank
//! queries trivial.
//!
//! # Structure
//!
//! Level 0 is a sorted linked list of every node. Each node also appears in
//! levels 1..k with probability 1/4 per extra level (p = 1/4, at most 32
//! levels), so level i skips about 4^i nodes and a search descends from the
//! top level, moving right while the next node is still "before" the target:
//! O(log N) expected steps, with 1.33 pointers per node on average.
//!
//! Every forward link stores its *span*: how many level-0 steps it jumps.
//! Summing spans along a search path gives the rank of where the search
//! stopped (ZRANK in O(log N)), and walking down while the remaining rank
//! is at least the span finds the node at a given rank (ZRANGE start
//! index in O(log N) instead of O(N)). Insert and delete fix the spans of
//! the `update` nodes - the last node visited on each level - at the same
//! O(log N) cost. Each node also keeps a backward pointer on level 0, so
//! reverse ranges (ZREVRANGE, ZPOPMAX) walk the list from the tail.
//!
//! Order is by score, then by member bytes (memcmp), so equal scores are
//! ordered lexicographically: the property ZRANGEBYLEX relies on.
//!
//! # Safe Rust
//!
//! Nodes live in an arena (`Vec<Node>`) and link to each other by `u32`
//! index; index 0 is the header, `NIL` the null pointer. Freed slots go on a
//! free list and are reused, so there is no `unsafe` and no reference
//! counting on the links. The costs match Redis's pointer version: one
//! arena slot plus one level array per node.

use std::cmp::Ordering;
use std::rc::Rc;

/// Index of a node in the arena.
pub type NodeId = u32;

/// The null link.
const NIL: NodeId = u32::MAX;
/// The header node: holds the first forward link of every level.
const HEAD: NodeId = 0;
/// Most levels a node may have (ZSKIPLIST_MAXLEVEL).
pub const MAX_LEVEL: usize = 32;
/// Probability of one more level, as a fraction of 0xFFFF (ZSKIPLIST_P = 1/4).
const P_THRESHOLD: u32 = 0xFFFF / 4;

#[derive(Clone, Copy, Debug)]
struct Level {
    forward: NodeId,
    /// Level-0 steps this link jumps (0 for a NIL link at the end).
    span: usize,
}

#[derive(Clone, Debug)]
struct Node {
    ele: Rc<[u8]>,
    score: f64,
    backward: NodeId,
    levels: Box<[Level]>,
}

/// A score interval with optionally exclusive ends (`zrangespec`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// `value` is above the lower bound (`zslValueGteMin`).
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// `value` is below the upper bound (`zslValueLteMax`).
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// Ranges that can hold nothing whatever the set (min > max, or a
    /// single point with an exclusive end).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic range: `-`, `+` or a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexItem {
    NegInf,
    PosInf,
    Str(Vec<u8>),
}

/// A member interval for the BYLEX commands (`zlexrangespec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexItem,
    pub max: LexItem,
    pub minex: bool,
    pub maxex: bool,
}

/// Compares a member with a range end (`sdscmplex`).
fn cmp_lex(v: &[u8], item: &LexItem) -> Ordering {
    match item {
        LexItem::NegInf => Ordering::Greater,
        LexItem::PosInf => Ordering::Less,
        LexItem::Str(s) => v.cmp(s),
    }
}

impl LexRange {
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = cmp_lex(v, &self.min);
        if self.minex {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = cmp_lex(v, &self.max);
        if self.maxex {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }

    /// Ranges that can hold nothing (`min > max`, or equal with an
    /// exclusive end).
    pub fn is_empty(&self) -> bool {
        use LexItem::*;
        let c = match (&self.min, &self.max) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (PosInf, _) | (_, NegInf) => Ordering::Greater,
            (Str(a), Str(b)) => a.cmp(b),
        };
        c == Ordering::Greater || (c == Ordering::Equal && (self.minex || self.maxex))
    }
}

/// (score, member) order: by score, ties by member bytes.
#[inline]
fn before(score: f64, ele: &[u8], than_score: f64, than_ele: &[u8]) -> bool {
    score < than_score || (score == than_score && ele < than_ele)
}

/// A skiplist of (score, member) pairs with spans; see the module docs.
#[derive(Clone, Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<NodeId>,
    tail: NodeId,
    level: usize,
    len: usize,
    rng: u64,
    /// Placeholder member for freed slots (one allocation per list).
    empty: Rc<[u8]>,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

impl SkipList {
    /// An empty list (`zslCreate`).
    pub fn new() -> SkipList {
        let empty: Rc<[u8]> = Rc::from(&[][..]);
        let head = Node {
            ele: empty.clone(),
            score: 0.0,
            backward: NIL,
            levels: vec![
                Level {
                    forward: NIL,
                    span: 0
                };
                MAX_LEVEL
            ]
            .into_boxed_slice(),
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
            rng: 0x2545_F491_4F6C_DD1D,
            empty,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    #[inline]
    fn fwd(&self, id: NodeId, lvl: usize) -> NodeId {
        self.nodes[id as usize].levels[lvl].forward
    }

    #[inline]
    fn opt(id: NodeId) -> Option<NodeId> {
        (id != NIL).then_some(id)
    }

    /// Lowest-ranked node.
    pub fn first(&self) -> Option<NodeId> {
        Self::opt(self.fwd(HEAD, 0))
    }

    /// Highest-ranked node.
    pub fn last(&self) -> Option<NodeId> {
        Self::opt(self.tail)
    }

    pub fn next(&self, id: NodeId) -> Option<NodeId> {
        Self::opt(self.fwd(id, 0))
    }

    pub fn prev(&self, id: NodeId) -> Option<NodeId> {
        Self::opt(self.node(id).backward)
    }

    pub fn score(&self, id: NodeId) -> f64 {
        self.node(id).score
    }

    pub fn ele(&self, id: NodeId) -> &Rc<[u8]> {
        &self.node(id).ele
    }

    /// Every (member, score) in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Rc<[u8]>, f64)> + '_ {
        // Collecting ids keeps the iterator simple and double-ended; the
        // callers walk the whole list anyway.
        let mut ids = Vec::with_capacity(self.len);
        let mut x = self.fwd(HEAD, 0);
        while x != NIL {
            ids.push(x);
            x = self.fwd(x, 0);
        }
        ids.into_iter()
            .map(move |id| (self.ele(id), self.score(id)))
    }

    /// 1..=32, each extra level with probability 1/4 (`zslRandomLevel`).
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            // xorshift64*
            let mut x = self.rng;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.rng = x;
            let r = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32 & 0xFFFF;
            if r < P_THRESHOLD && level < MAX_LEVEL {
                level += 1;
            } else {
                return level;
            }
        }
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as NodeId
            }
        }
    }

    /// For each level, the last node strictly before (score, ele), and the
    /// rank of that node.
    fn search(&self, pred: impl Fn(&Node) -> bool) -> ([NodeId; MAX_LEVEL], [usize; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0usize; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.fwd(x, i);
                if f != NIL && pred(self.node(f)) {
                    rank[i] += self.node(x).levels[i].span;
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Inserts a member that is not already present (the dict guarantees
    /// it) and returns its node (`zslInsert`).
    pub fn insert(&mut self, score: f64, ele: Rc<[u8]>) -> NodeId {
        debug_assert!(!score.is_nan());
        let (mut update, mut rank) = self.search(|n| before(n.score, &n.ele, score, &ele));
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].levels[i].span = self.len;
            }
            self.level = level;
        }
        let id = self.alloc(Node {
            ele,
            score,
            backward: NIL,
            levels: vec![
                Level {
                    forward: NIL,
                    span: 0
                };
                level
            ]
            .into_boxed_slice(),
        });
        for i in 0..level {
            let u = update[i] as usize;
            let ulevel = self.nodes[u].levels[i];
            self.nodes[id as usize].levels[i] = Level {
                forward: ulevel.forward,
                // update[i] jumped `ulevel.span` steps; the new node sits
                // (rank[0] - rank[i]) + 1 steps after it.
                span: ulevel.span - (rank[0] - rank[i]),
            };
            self.nodes[u].levels[i] = Level {
                forward: id,
                span: rank[0] - rank[i] + 1,
            };
        }
        // Levels the new node does not reach jump over it: one step more.
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.nodes[u as usize].levels[i].span += 1;
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        self.nodes[id as usize].backward = back;
        let next = self.fwd(id, 0);
        if next != NIL {
            self.nodes[next as usize].backward = id;
        } else {
            self.tail = id;
        }
        self.len += 1;
        id
    }

    /// Unlinks node `x` given the `update` array of its search
    /// (`zslDeleteNode`), frees its slot and returns its member.
    fn delete_node(&mut self, x: NodeId, update: &[NodeId; MAX_LEVEL]) -> Rc<[u8]> {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let u = u as usize;
            if self.nodes[u].levels[i].forward == x {
                let xl = self.nodes[x as usize].levels[i];
                self.nodes[u].levels[i].span += xl.span;
                self.nodes[u].levels[i].span -= 1;
                self.nodes[u].levels[i].forward = xl.forward;
            } else {
                self.nodes[u].levels[i].span -= 1;
            }
        }
        let next = self.fwd(x, 0);
        let back = self.node(x).backward;
        if next != NIL {
            self.nodes[next as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.fwd(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let ele = std::mem::replace(&mut self.nodes[x as usize].ele, self.empty.clone());
        self.nodes[x as usize].levels = Box::new([]);
        if self.len == 0 {
            // Drop the whole arena: a set emptied by range deletions does
            // not keep its peak memory.
            self.nodes.truncate(1);
            self.free.clear();
        } else {
            self.free.push(x);
        }
        ele
    }

    /// Removes (score, ele); returns the member if it was there (`zslDelete`).
    pub fn delete(&mut self, score: f64, ele: &[u8]) -> Option<Rc<[u8]>> {
        let (update, _) = self.search(|n| before(n.score, &n.ele, score, ele));
        let x = self.fwd(update[0], 0);
        if x != NIL && self.node(x).score == score && &*self.node(x).ele == ele {
            Some(self.delete_node(x, &update))
        } else {
            None
        }
    }

    /// Changes the score of an existing member (`zslUpdateScore`): in place
    /// when the node stays between its neighbours, else delete + insert
    /// (reusing the member).
    pub fn update_score(&mut self, cur: f64, ele: &[u8], new: f64) -> NodeId {
        let (update, _) = self.search(|n| before(n.score, &n.ele, cur, ele));
        let x = self.fwd(update[0], 0);
        assert!(
            x != NIL && self.node(x).score == cur && &*self.node(x).ele == ele,
            "zset dict and skiplist disagree"
        );
        let back = self.node(x).backward;
        let next = self.fwd(x, 0);
        let back_ok = back == NIL || self.node(back).score < new;
        let next_ok = next == NIL || self.node(next).score > new;
        if back_ok && next_ok {
            self.nodes[x as usize].score = new;
            return x;
        }
        let member = self.delete_node(x, &update);
        self.insert(new, member)
    }

    /// 1-based rank of (score, ele), if present (`zslGetRank`).
    pub fn rank(&self, score: f64, ele: &[u8]) -> Option<usize> {
        let mut rank = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let n = self.node(f);
                if n.score < score || (n.score == score && &*n.ele <= ele) {
                    rank += self.node(x).levels[i].span;
                    x = f;
                } else {
                    break;
                }
            }
            if x != HEAD && self.node(x).score == score && &*self.node(x).ele == ele {
                return Some(rank);
            }
        }
        None
    }

    /// The node at 1-based `rank` (`zslGetElementByRank`).
    pub fn by_rank(&self, rank: usize) -> Option<NodeId> {
        if rank == 0 || rank > self.len {
            return None;
        }
        let mut traversed = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                let span = self.node(x).levels[i].span;
                if f != NIL && traversed + span <= rank {
                    traversed += span;
                    x = f;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return Some(x);
            }
        }
        None
    }

    /// First node with `!below(node)`, given that `below` holds for a
    /// prefix of the list.
    fn first_not(&self, below: impl Fn(&Node) -> bool) -> Option<NodeId> {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && below(self.node(f)) {
                    x = f;
                } else {
                    break;
                }
            }
        }
        Self::opt(self.fwd(x, 0))
    }

    /// Last node with `within(node)`, given that it holds for a prefix.
    fn last_within(&self, within: impl Fn(&Node) -> bool) -> Option<NodeId> {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && within(self.node(f)) {
                    x = f;
                } else {
                    break;
                }
            }
        }
        (x != HEAD).then_some(x)
    }

    /// First node inside the score range (`zslFirstInRange`).
    pub fn first_in_range(&self, r: &ScoreRange) -> Option<NodeId> {
        if r.is_empty() {
            return None;
        }
        let x = self.first_not(|n| !r.gte_min(n.score))?;
        r.lte_max(self.score(x)).then_some(x)
    }

    /// Last node inside the score range (`zslLastInRange`).
    pub fn last_in_range(&self, r: &ScoreRange) -> Option<NodeId> {
        if r.is_empty() {
            return None;
        }
        let x = self.last_within(|n| r.lte_max(n.score))?;
        r.gte_min(self.score(x)).then_some(x)
    }

    /// Whether the range can hold anything: not empty, the last member
    /// above min and the first below max (`zslIsInLexRange`). With
    /// unequal scores lex order is not list order, and this early check is
    /// part of what Redis answers then.
    fn lex_overlaps(&self, r: &LexRange) -> bool {
        match (self.first(), self.last()) {
            (Some(a), Some(b)) => !r.is_empty() && r.gte_min(self.ele(b)) && r.lte_max(self.ele(a)),
            _ => false,
        }
    }

    /// First node inside the lex range (`zslFirstInLexRange`).
    pub fn first_in_lex_range(&self, r: &LexRange) -> Option<NodeId> {
        if !self.lex_overlaps(r) {
            return None;
        }
        let x = self.first_not(|n| !r.gte_min(&n.ele))?;
        r.lte_max(self.ele(x)).then_some(x)
    }

    /// Last node inside the lex range (`zslLastInLexRange`).
    pub fn last_in_lex_range(&self, r: &LexRange) -> Option<NodeId> {
        if !self.lex_overlaps(r) {
            return None;
        }
        let x = self.last_within(|n| r.lte_max(&n.ele))?;
        r.gte_min(self.ele(x)).then_some(x)
    }

    /// Deletes the run of nodes that starts after the nodes "before" the
    /// range and continues while `inside(node, rank)`; each removed member
    /// goes to `removed`. Returns how many were deleted.
    fn delete_run(
        &mut self,
        before_range: impl Fn(&Node) -> bool,
        inside: impl Fn(&Node, usize) -> bool,
        mut removed: impl FnMut(Rc<[u8]>),
    ) -> usize {
        let (update, rank) = self.search(before_range);
        let mut traversed = rank[0] + 1;
        let mut x = self.fwd(update[0], 0);
        let mut deleted = 0;
        while x != NIL && inside(self.node(x), traversed) {
            let next = self.fwd(x, 0);
            removed(self.delete_node(x, &update));
            deleted += 1;
            traversed += 1;
            x = next;
            if self.len == 0 {
                break;
            }
        }
        deleted
    }

    /// `zslDeleteRangeByScore`.
    pub fn delete_range_by_score(
        &mut self,
        r: &ScoreRange,
        removed: impl FnMut(Rc<[u8]>),
    ) -> usize {
        if r.is_empty() {
            return 0;
        }
        self.delete_run(|n| !r.gte_min(n.score), |n, _| r.lte_max(n.score), removed)
    }

    /// `zslDeleteRangeByLex`.
    pub fn delete_range_by_lex(&mut self, r: &LexRange, removed: impl FnMut(Rc<[u8]>)) -> usize {
        if r.is_empty() {
            return 0;
        }
        self.delete_run(|n| !r.gte_min(&n.ele), |n, _| r.lte_max(&n.ele), removed)
    }

    /// Deletes 1-based ranks `start..=end` (`zslDeleteRangeByRank`).
    pub fn delete_range_by_rank(
        &mut self,
        start: usize,
        end: usize,
        removed: impl FnMut(Rc<[u8]>),
    ) -> usize {
        // "Before the range" needs the rank, which `search` tracks only
        // per level; find the node at start-1 by rank instead.
        if start == 0 || start > end || start > self.len {
            return 0;
        }
        let mut update = [HEAD; MAX_LEVEL];
        let mut traversed = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                let span = self.node(x).levels[i].span;
                if f != NIL && traversed + span < start {
                    traversed += span;
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let mut removed = removed;
        let mut rank = traversed + 1;
        let mut x = self.fwd(x, 0);
        let mut deleted = 0;
        while x != NIL && rank <= end {
            let next = self.fwd(x, 0);
            removed(self.delete_node(x, &update));
            deleted += 1;
            rank += 1;
            x = next;
            if self.len == 0 {
                break;
            }
        }
        deleted
    }

    /// Approximate heap bytes: arena slots and level arrays (members are
    /// counted by the caller).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self
                .nodes
                .iter()
                .map(|n| n.levels.len() * std::mem::size_of::<Level>())
                .sum::<usize>()
    }

    /// Checks every structural invariant (tests only).
    #[cfg(test)]
    fn check(&self) {
        let mut ids = vec![];
        let mut x = self.fwd(HEAD, 0);
        let mut prev = NIL;
        while x != NIL {
            assert_eq!(self.node(x).backward, prev);
            ids.push(x);
            prev = x;
            x = self.fwd(x, 0);
        }
        assert_eq!(ids.len(), self.len);
        assert_eq!(self.tail, prev);
        for w in ids.windows(2) {
            let (a, b) = (self.node(w[0]), self.node(w[1]));
            assert!(before(a.score, &a.ele, b.score, &b.ele));
        }
        let pos = |id: NodeId| -> usize {
            if id == HEAD {
                0
            } else {
                ids.iter().position(|&i| i == id).unwrap() + 1
            }
        };
        for lvl in 0..self.level {
            let mut x = HEAD;
            loop {
                let l = self.node(x).levels[lvl];
                if l.forward == NIL {
                    break;
                }
                assert_eq!(l.span, pos(l.forward) - pos(x), "span at level {}", lvl);
                x = l.forward;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn model_insert(m: &mut Vec<(f64, Vec<u8>)>, s: f64, e: Vec<u8>) {
        let i = m.partition_point(|(ms, me)| before(*ms, me, s, &e));
        m.insert(i, (s, e));
    }

    #[test]
    fn random_ops_match_a_sorted_vec() {
        let mut rng = Rng(0x1234_5678);
        let mut sl = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        for step in 0..4000 {
            let op = rng.next() % 10;
            let member = format!("m{}", rng.next() % 300).into_bytes();
            let score = (rng.next() % 50) as f64 / 2.0;
            let existing = model.iter().position(|(_, e)| *e == member);
            match (op, existing) {
                (0..=4, None) => {
                    sl.insert(score, Rc::from(&member[..]));
                    model_insert(&mut model, score, member);
                }
                (0..=4, Some(i)) | (5..=6, Some(i)) => {
                    let (old, e) = model.remove(i);
                    sl.update_score(old, &e, score);
                    model_insert(&mut model, score, e);
                }
                (7..=8, Some(i)) => {
                    let (s, e) = model.remove(i);
                    assert_eq!(sl.delete(s, &e).as_deref(), Some(&e[..]));
                    assert!(sl.delete(s, &e).is_none());
                }
                (9, _) if step % 50 == 0 => {
                    let r = ScoreRange {
                        min: 3.0,
                        max: 6.0,
                        minex: true,
                        maxex: false,
                    };
                    let mut gone = vec![];
                    let n = sl.delete_range_by_score(&r, |e| gone.push(e.to_vec()));
                    let before_len = model.len();
                    model.retain(|(s, _)| !(r.gte_min(*s) && r.lte_max(*s)));
                    assert_eq!(n, before_len - model.len());
                    assert_eq!(gone.len(), n);
                }
                (9, _) if step % 70 == 1 && model.len() > 5 => {
                    let n = sl.delete_range_by_rank(2, 4, |_| {});
                    model.drain(1..4);
                    assert_eq!(n, 3);
                }
                _ => {}
            }
            sl.check();
            assert_eq!(sl.len(), model.len());
            if step % 20 == 0 {
                for (i, (s, e)) in model.iter().enumerate() {
                    assert_eq!(sl.rank(*s, e), Some(i + 1));
                    let id = sl.by_rank(i + 1).unwrap();
                    assert_eq!(&**sl.ele(id), &e[..]);
                    assert_eq!(sl.score(id), *s);
                }
                assert!(sl.by_rank(model.len() + 1).is_none());
                let r = ScoreRange {
                    min: 5.0,
                    max: 10.0,
                    minex: false,
                    maxex: true,
                };
                let first = model
                    .iter()
                    .position(|(s, _)| r.gte_min(*s) && r.lte_max(*s));
                let last = model
                    .iter()
                    .rposition(|(s, _)| r.gte_min(*s) && r.lte_max(*s));
                assert_eq!(
                    sl.first_in_range(&r).map(|id| sl.score(id)),
                    first.map(|i| model[i].0)
                );
                assert_eq!(
                    sl.last_in_range(&r)
                        .map(|id| sl.rank(sl.score(id), sl.ele(id)).unwrap()),
                    last.map(|i| i + 1)
                );
                let rev: Vec<Vec<u8>> = sl.iter().rev().map(|(e, _)| e.to_vec()).collect();
                let mut want: Vec<Vec<u8>> = model.iter().map(|(_, e)| e.clone()).collect();
                want.reverse();
                assert_eq!(rev, want);
            }
        }
    }

    #[test]
    fn lex_ranges() {
        let mut sl = SkipList::new();
        for m in ["a", "b", "c", "d", "e"] {
            sl.insert(0.0, Rc::from(m.as_bytes()));
        }
        let r = LexRange {
            min: LexItem::Str(b"b".to_vec()),
            max: LexItem::Str(b"d".to_vec()),
            minex: true,
            maxex: false,
        };
        assert_eq!(&**sl.ele(sl.first_in_lex_range(&r).unwrap()), b"c");
        assert_eq!(&**sl.ele(sl.last_in_lex_range(&r).unwrap()), b"d");
        let all = LexRange {
            min: LexItem::NegInf,
            max: LexItem::PosInf,
            minex: true,
            maxex: true,
        };
        assert!(!all.is_empty());
        assert_eq!(sl.delete_range_by_lex(&r, |_| {}), 2);
        sl.check();
        assert_eq!(sl.delete_range_by_lex(&all, |_| {}), 3);
        assert!(sl.is_empty());
        let empty = LexRange {
            min: LexItem::PosInf,
            max: LexItem::NegInf,
            minex: true,
            maxex: true,
        };
        assert!(empty.is_empty());
    }
}
