//! The quicklist: the one encoding of Redis 7.0 lists (~ Redis's
//! `quicklist.c` / `quicklist.h`; OBJECT ENCODING answers `quicklist` for
//! every list, however short).
//!
//! # The problem
//!
//! A list must push and pop at both ends in O(1), reach any index, and be
//! cheap per element: most lists hold short strings or small integers. A
//! classic doubly linked list of boxed strings costs two pointers plus an
//! allocation per element (40+ bytes of overhead for a 5-byte element); one
//! big [`Listpack`] costs ~2 bytes per element but every push at the head
//! moves the whole buffer, which is fine for 100 elements and hopeless for a
//! million.
//!
//! # The idea
//!
//! Chain many small listpacks: each *node* is a listpack of a bounded size,
//! so an edit moves at most one node's bytes, and the per-element overhead
//! stays that of the listpack. `list-max-listpack-size` (the `fill`) bounds a
//! node: a negative value -1..-5 limits its bytes to 4/8/16/32/64 KB
//! (Redis's `optimization_level`), a positive value limits its entry count,
//! with an 8 KB safety limit on the bytes (`SIZE_SAFETY_LIMIT`) so a count
//! limit cannot build huge nodes out of big elements. Values below -5 act as
//! -5, values above 32767 as 32767 (`quicklistSetFill`).
//!
//! An element at least `packed_threshold` bytes long (1 GB by default,
//! changed by `DEBUG QUICKLIST-PACKED-THRESHOLD`) gets a *plain* node of its
//! own: its raw bytes, no listpack framing, so a huge element is never
//! copied into or moved around inside a listpack (a listpack also cannot
//! exceed 4 GB).
//!
//! # Splits and merges
//!
//! - Push at an end: into the end node if it admits the element
//!   (`_quicklistNodeAllowInsert`: estimated new size within the limit),
//!   otherwise into a new node.
//! - Insert in the middle (LINSERT, LSET of a different size): into the
//!   node if it admits it; at a node's edge, into the neighbour if that one
//!   admits it, else a new node; strictly inside a full node, the node is
//!   split at the insertion point, the element goes into a node of its own
//!   between the halves, and then neighbours are merged back where the
//!   merged size fits (`_quicklistNodeAllowMerge`). A large element always
//!   gets a plain node, splitting a packed node around it if needed.
//! - Deletes never merge (as Redis): an emptied node is unlinked.
//!
//! # Choices
//!
//! The nodes live in a `VecDeque` rather than a linked list: the node
//! headers sit in one array (cache friendly, no per-node allocation beyond
//! the listpack itself), the ends are O(1) for pushes and pops, and a
//! middle insert or delete of a node moves node *headers* (32 bytes each),
//! never elements; with nodes of 8 KB a 10-million-element list has only
//! some tens of thousands of nodes. Reaching index i walks node counts from
//! the nearer end, as Redis does.
//!
//! Compression (`list-compress-depth`, LZF of inner nodes) is not
//! implemented: the setting is accepted and reported by CONFIG GET, but
//! nodes stay uncompressed. No command result depends on it; only memory
//! use does.

use std::cell::Cell;
use std::collections::VecDeque;

use super::listpack::{Listpack, LpEntry, Where};

/// Byte limits selected by fill -1..-5 (`optimization_level`).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte limit of a node when the fill is a count (`SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-element overestimate of listpack overhead (`SIZE_ESTIMATE_OVERHEAD`).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Largest positive fill (`FILL_MAX`).
const FILL_MAX: i32 = (1 << 15) - 1;
/// Default packed threshold: 1 GB.
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

thread_local! {
    /// Elements of at least this many bytes get a plain node. Server-wide
    /// like Redis's `packed_threshold` static (DEBUG
    /// QUICKLIST-PACKED-THRESHOLD); per thread only so parallel unit tests
    /// do not see each other's settings (the server has one thread).
    static PACKED_THRESHOLD: Cell<usize> = const { Cell::new(DEFAULT_PACKED_THRESHOLD) };
}

/// Sets the plain-node threshold; 0 restores the 1 GB default. Refuses
/// (returns false) anything at or near 4 GB (`quicklistisSetPackedThreshold`).
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.with(|t| t.set(sz));
    true
}

fn is_large(sz: usize) -> bool {
    sz >= PACKED_THRESHOLD.with(Cell::get)
}

/// Clamp a configured fill to Redis's range (`quicklistSetFill`).
fn clamp_fill(fill: i32) -> i32 {
    fill.clamp(-5, FILL_MAX)
}

/// Whether a node of `sz` bytes meets a byte-based fill.
fn meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    OPTIMIZATION_LEVEL
        .get((-fill - 1) as usize)
        .is_some_and(|&lim| sz <= lim)
}

/// One node: a listpack of several elements, or one large element.
#[derive(Clone, Debug)]
pub enum Node {
    Packed(Listpack),
    Plain(Box<[u8]>),
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.len(),
            Node::Plain(_) => 1,
        }
    }

    fn single(v: &[u8]) -> Node {
        if is_large(v.len()) {
            Node::Plain(v.into())
        } else {
            let mut lp = Listpack::new();
            lp.append(v);
            Node::Packed(lp)
        }
    }

    /// `_quicklistNodeAllowInsert`: may an element of `sz` bytes join?
    fn allow_insert(&self, fill: i32, sz: usize) -> bool {
        let Node::Packed(lp) = self else {
            return false;
        };
        if is_large(sz) {
            return false;
        }
        let new_sz = lp.bytes().len() + sz + SIZE_ESTIMATE_OVERHEAD;
        if meets_optimization(new_sz, fill) {
            true
        } else if new_sz > SIZE_SAFETY_LIMIT {
            false
        } else {
            (lp.len() as i64) < i64::from(fill)
        }
    }

    /// The element at `k` within the node.
    fn get(&self, k: usize) -> LpEntry<'_> {
        match self {
            Node::Plain(b) => LpEntry::Str(b),
            Node::Packed(lp) => lp.get(lp.seek(k as i64).expect("index within node")),
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.heap_size(),
            Node::Plain(b) => b.len(),
        }
    }
}

/// `_quicklistNodeAllowMerge`: would `a` and `b` fit in one node?
fn allow_merge(a: &Node, b: &Node, fill: i32) -> bool {
    let (Node::Packed(x), Node::Packed(y)) = (a, b) else {
        return false;
    };
    // One listpack header and terminator (6 + 1) disappear; Redis subtracts 11.
    let merge_sz = (x.bytes().len() + y.bytes().len()).saturating_sub(11);
    if meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (x.len() + y.len()) as i64 <= i64::from(fill)
    }
}

fn lp_push_entry(lp: &mut Listpack, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => lp.append_int(v),
        LpEntry::Str(s) => lp.append(s),
    }
}

/// A list: a sequence of nodes. Never holds an empty node.
#[derive(Clone, Debug, Default)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    len: usize,
}

impl PartialEq for Quicklist {
    fn eq(&self, other: &Quicklist) -> bool {
        self.len == other.len && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Quicklist {
    pub fn new() -> Quicklist {
        Quicklist::default()
    }

    /// Number of elements (O(1)).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes (for tests and DEBUG output).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Element count of each node, head first (for tests).
    pub fn node_sizes(&self) -> Vec<usize> {
        self.nodes.iter().map(Node::count).collect()
    }

    /// Whether node `i` is a plain node (for tests).
    pub fn node_is_plain(&self, i: usize) -> bool {
        matches!(self.nodes.get(i), Some(Node::Plain(_)))
    }

    /// Approximate heap bytes owned (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// Listpack bytes of each packed node (DEBUG OBJECT's serializedlength).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Push `v` at the head (`head`) or tail (`quicklistPush`).
    pub fn push(&mut self, v: &[u8], head: bool, fill: i32) {
        let fill = clamp_fill(fill);
        self.len += 1;
        let end = if head {
            self.nodes.front_mut()
        } else {
            self.nodes.back_mut()
        };
        if let Some(node) = end {
            if node.allow_insert(fill, v.len()) {
                if let Node::Packed(lp) = node {
                    if head {
                        lp.prepend(v);
                    } else {
                        lp.append(v);
                    }
                }
                return;
            }
        }
        let n = Node::single(v);
        if head {
            self.nodes.push_front(n);
        } else {
            self.nodes.push_back(n);
        }
    }

    /// Pop the head (`head`) or tail element (`quicklistPop`).
    pub fn pop(&mut self, head: bool) -> Option<Vec<u8>> {
        let i = if head {
            0
        } else {
            self.nodes.len().checked_sub(1)?
        };
        let node = self.nodes.get_mut(i)?;
        let out = match node {
            Node::Plain(b) => {
                let v = b.to_vec();
                self.remove_node(i);
                v
            }
            Node::Packed(lp) => {
                let p = if head { lp.first() } else { lp.last() }.expect("no empty nodes");
                let v = lp.get(p).to_vec();
                lp.delete(p);
                if lp.is_empty() {
                    self.remove_node(i);
                }
                v
            }
        };
        self.len -= 1;
        Some(out)
    }

    fn remove_node(&mut self, i: usize) {
        self.nodes.remove(i);
    }

    /// Turn a possibly negative index into a position, None when out of range.
    pub fn normalize(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// Node and offset within it of element `i` (< len), walking node
    /// counts from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut acc = 0;
            for (n, node) in self.nodes.iter().enumerate() {
                let c = node.count();
                if i < acc + c {
                    return (n, i - acc);
                }
                acc += c;
            }
        } else {
            let mut acc = self.len;
            for (n, node) in self.nodes.iter().enumerate().rev() {
                let c = node.count();
                acc -= c;
                if i >= acc {
                    return (n, i - acc);
                }
            }
        }
        unreachable!("index {i} within length {}", self.len)
    }

    /// The element at `index` (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<LpEntry<'_>> {
        let i = self.normalize(index)?;
        let (n, k) = self.locate(i);
        Some(self.nodes[n].get(k))
    }

    /// Elements from position `start` toward the tail (or toward the head
    /// when `reverse`), lazily.
    pub fn iter_from(&self, start: usize, reverse: bool) -> Iter<'_> {
        if start >= self.len {
            return Iter {
                ql: self,
                node: 0,
                pos: None,
                remaining: 0,
                reverse,
            };
        }
        let (n, k) = self.locate(start);
        let pos = match &self.nodes[n] {
            Node::Plain(_) => Some(0),
            Node::Packed(lp) => lp.seek(k as i64),
        };
        let remaining = if reverse { start + 1 } else { self.len - start };
        Iter {
            ql: self,
            node: n,
            pos,
            remaining,
            reverse,
        }
    }

    /// All elements, head to tail.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Insert `v` before or after the element at position `i`
    /// (`_quicklistInsert`).
    pub fn insert(&mut self, i: usize, v: &[u8], after: bool, fill: i32) {
        let fill = clamp_fill(fill);
        let (n, k) = self.locate(i);
        self.len += 1;
        let cnt = self.nodes[n].count();
        let at_tail = k + 1 == cnt;
        let at_head = k == 0;
        // Boundary inside node n where the new element goes.
        let cut = if after { k + 1 } else { k };
        if is_large(v.len()) {
            let plain = Node::Plain(v.into());
            if matches!(self.nodes[n], Node::Plain(_)) || (after && at_tail) || (!after && at_head)
            {
                self.nodes.insert(if after { n + 1 } else { n }, plain);
            } else {
                self.split_at(n, cut);
                self.nodes.insert(n + 1, plain);
            }
            return;
        }
        if self.nodes[n].allow_insert(fill, v.len()) {
            if let Node::Packed(lp) = &mut self.nodes[n] {
                let p = lp.seek(k as i64).expect("index within node");
                lp.insert(p, v, if after { Where::After } else { Where::Before });
            }
            return;
        }
        if after && at_tail {
            match self.nodes.get_mut(n + 1) {
                Some(Node::Packed(lp)) if Self::lp_allows(lp, fill, v.len()) => lp.prepend(v),
                _ => self.nodes.insert(n + 1, Node::single(v)),
            }
        } else if !after && at_head {
            match n.checked_sub(1).and_then(|p| self.nodes.get_mut(p)) {
                Some(Node::Packed(lp)) if Self::lp_allows(lp, fill, v.len()) => lp.append(v),
                _ => self.nodes.insert(n, Node::single(v)),
            }
        } else {
            // Strictly inside a full node: split, put the element between
            // the halves, then merge what fits back together.
            self.split_at(n, cut);
            self.nodes.insert(n + 1, Node::single(v));
            self.merge_around(n + 1, fill);
        }
    }

    fn lp_allows(lp: &Listpack, fill: i32, sz: usize) -> bool {
        let new_sz = lp.bytes().len() + sz + SIZE_ESTIMATE_OVERHEAD;
        if meets_optimization(new_sz, fill) {
            true
        } else if new_sz > SIZE_SAFETY_LIMIT {
            false
        } else {
            (lp.len() as i64) < i64::from(fill)
        }
    }

    /// Split packed node `n` so its first `cut` elements stay and the rest
    /// form node `n + 1` (`_quicklistSplitNode`). `0 < cut < count`.
    fn split_at(&mut self, n: usize, cut: usize) {
        let Node::Packed(lp) = &self.nodes[n] else {
            return;
        };
        let mut left = Listpack::new();
        let mut right = Listpack::new();
        for (j, e) in lp.iter().enumerate() {
            lp_push_entry(if j < cut { &mut left } else { &mut right }, e);
        }
        self.nodes[n] = Node::Packed(left);
        self.nodes.insert(n + 1, Node::Packed(right));
    }

    /// Merge node `c` with its neighbours where the result fits the fill
    /// (`_quicklistMergeNodes`, centre variant).
    fn merge_around(&mut self, c: usize, fill: i32) {
        let mut c = c;
        if c > 0 && allow_merge(&self.nodes[c - 1], &self.nodes[c], fill) {
            self.merge_pair(c - 1);
            c -= 1;
        }
        if c + 1 < self.nodes.len() && allow_merge(&self.nodes[c], &self.nodes[c + 1], fill) {
            self.merge_pair(c);
        }
    }

    /// Append node `a + 1`'s elements to node `a` and drop node `a + 1`.
    fn merge_pair(&mut self, a: usize) {
        let Some(Node::Packed(b)) = self.nodes.remove(a + 1) else {
            return;
        };
        if let Node::Packed(lp) = &mut self.nodes[a] {
            for e in b.iter() {
                lp_push_entry(lp, e);
            }
        }
    }

    /// Replace the element at `index` (`quicklistReplaceAtIndex`); false
    /// when out of range.
    pub fn replace(&mut self, index: i64, v: &[u8], fill: i32) -> bool {
        let Some(i) = self.normalize(index) else {
            return false;
        };
        let (n, k) = self.locate(i);
        if let Node::Packed(lp) = &mut self.nodes[n] {
            if !is_large(v.len()) {
                let p = lp.seek(k as i64).expect("index within node");
                lp.replace(p, v);
                return true;
            }
        }
        if let Node::Plain(b) = &mut self.nodes[n] {
            if is_large(v.len()) {
                *b = v.into();
                return true;
            }
        }
        // Mixed plain / packed: insert the new element after the old one,
        // then delete the old one.
        self.insert(i, v, true, fill);
        self.delete_range(i, 1);
        true
    }

    /// Delete `count` elements starting at position `start`
    /// (`quicklistDelRange` with a normalized start).
    pub fn delete_range(&mut self, start: usize, count: usize) {
        let count = count.min(self.len.saturating_sub(start));
        if count == 0 {
            return;
        }
        let (mut n, mut k) = self.locate(start);
        let mut left = count;
        while left > 0 {
            let cnt = self.nodes[n].count();
            let take = left.min(cnt - k);
            if take == cnt {
                self.nodes.remove(n);
            } else {
                if let Node::Packed(lp) = &mut self.nodes[n] {
                    lp.delete_range(k as i64, take);
                }
                n += 1;
            }
            left -= take;
            k = 0;
        }
        self.len -= count;
    }

    /// Delete elements equal to `v`: up to `limit` of them (0 = all),
    /// scanning from the tail when `from_tail` (LREM). Returns how many.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        let mut emptied = Vec::new();
        'nodes: for n in order {
            match &mut self.nodes[n] {
                Node::Plain(b) => {
                    if &b[..] == v {
                        removed += 1;
                        emptied.push(n);
                    }
                }
                Node::Packed(lp) => {
                    let mut p = if from_tail { lp.last() } else { lp.first() };
                    while let Some(q) = p {
                        if limit != 0 && removed == limit {
                            break;
                        }
                        if lp.compare(q, v) {
                            removed += 1;
                            if from_tail {
                                // The element before q keeps its offset.
                                let prev = lp.prev(q);
                                lp.delete(q);
                                p = prev;
                            } else {
                                p = lp.delete(q);
                            }
                        } else {
                            p = if from_tail { lp.prev(q) } else { lp.next(q) };
                        }
                    }
                    if lp.is_empty() {
                        emptied.push(n);
                    }
                }
            }
            if limit != 0 && removed == limit {
                break 'nodes;
            }
        }
        emptied.sort_unstable();
        for n in emptied.into_iter().rev() {
            self.nodes.remove(n);
        }
        self.len -= removed;
        removed
    }
}

/// Iterator over elements in one direction (`quicklistIter`).
pub struct Iter<'a> {
    ql: &'a Quicklist,
    node: usize,
    /// Offset in the current packed node (0 for a plain node).
    pos: Option<usize>,
    remaining: usize,
    reverse: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let node = &self.ql.nodes[self.node];
        let (item, next) = match node {
            Node::Plain(b) => (LpEntry::Str(&b[..]), None),
            Node::Packed(lp) => {
                let p = self.pos.expect("iterator position");
                let nx = if self.reverse { lp.prev(p) } else { lp.next(p) };
                (lp.get(p), nx)
            }
        };
        if next.is_some() {
            self.pos = next;
        } else if self.remaining > 0 {
            self.node = if self.reverse {
                self.node - 1
            } else {
                self.node + 1
            };
            self.pos = match &self.ql.nodes[self.node] {
                Node::Plain(_) => Some(0),
                Node::Packed(lp) => {
                    if self.reverse {
                        lp.last()
                    } else {
                        lp.first()
                    }
                }
            };
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(ql: &Quicklist) -> Vec<String> {
        ql.iter()
            .map(|e| String::from_utf8(e.to_vec()).unwrap())
            .collect()
    }

    fn from(items: &[&str], fill: i32) -> Quicklist {
        let mut ql = Quicklist::new();
        for s in items {
            ql.push(s.as_bytes(), false, fill);
        }
        ql
    }

    fn check(ql: &Quicklist) {
        assert_eq!(ql.node_sizes().iter().sum::<usize>(), ql.len());
        assert!(ql.node_sizes().iter().all(|&c| c > 0));
    }

    #[test]
    fn count_fill_splits_nodes() {
        let items: Vec<String> = (0..10).map(|i| format!("e{i}")).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let ql = from(&refs, 3);
        assert_eq!(ql.node_sizes(), vec![3, 3, 3, 1]);
        assert_eq!(strs(&ql), items);
        let mut ql = Quicklist::new();
        for s in &refs {
            ql.push(s.as_bytes(), true, 3);
        }
        assert_eq!(ql.node_sizes(), vec![1, 3, 3, 3]);
        assert_eq!(ql.get(0).unwrap().to_vec(), b"e9");
    }

    #[test]
    fn byte_fill_splits_at_size_limit() {
        // -1 = 4 KB: 100-byte elements, about 38 per node.
        let big = "x".repeat(100);
        let mut ql = Quicklist::new();
        for _ in 0..200 {
            ql.push(big.as_bytes(), false, -1);
        }
        check(&ql);
        assert!(ql.node_count() > 4);
        for n in ql.nodes() {
            if let Node::Packed(lp) = n {
                assert!(lp.bytes().len() <= 4096);
            }
        }
        // Count fill never exceeds the 8 KB safety limit.
        let mut ql = Quicklist::new();
        for _ in 0..200 {
            ql.push(big.as_bytes(), false, 1000);
        }
        for n in ql.nodes() {
            if let Node::Packed(lp) = n {
                assert!(lp.bytes().len() <= SIZE_SAFETY_LIMIT);
            }
        }
    }

    #[test]
    fn index_from_both_ends_and_iterate() {
        let items: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let ql = from(&refs, 4);
        for i in 0..50i64 {
            assert_eq!(ql.get(i).unwrap().to_vec(), items[i as usize].as_bytes());
            assert_eq!(
                ql.get(-i - 1).unwrap().to_vec(),
                items[49 - i as usize].as_bytes()
            );
        }
        assert!(ql.get(50).is_none());
        assert!(ql.get(-51).is_none());
        let back: Vec<Vec<u8>> = ql.iter_from(49, true).map(|e| e.to_vec()).collect();
        assert_eq!(back.len(), 50);
        assert_eq!(back[0], b"49");
        let mid: Vec<Vec<u8>> = ql
            .iter_from(10, false)
            .take(3)
            .map(|e| e.to_vec())
            .collect();
        assert_eq!(mid, vec![b"10".to_vec(), b"11".to_vec(), b"12".to_vec()]);
    }

    #[test]
    fn insert_in_middle_splits_and_merges() {
        let mut ql = from(&["a", "b", "c", "d", "e", "f"], 3);
        assert_eq!(ql.node_sizes(), vec![3, 3]);
        ql.insert(1, b"X", true, 3); // after "b", inside a full node
        check(&ql);
        assert_eq!(strs(&ql), ["a", "b", "X", "c", "d", "e", "f"]);
        ql.insert(2, b"Y", false, 3); // at a node edge
        ql.insert(0, b"H", false, 3);
        ql.insert(ql.len() - 1, b"T", true, 3);
        check(&ql);
        assert_eq!(
            strs(&ql),
            ["H", "a", "b", "Y", "X", "c", "d", "e", "f", "T"]
        );
        assert!(ql.node_sizes().iter().all(|&c| c <= 3));
    }

    #[test]
    fn plain_nodes_for_large_elements() {
        set_packed_threshold(10);
        let mut ql = from(&["a", "bb"], -2);
        ql.push(b"0123456789", false, -2);
        ql.push(b"c", false, -2);
        assert_eq!(ql.node_sizes(), vec![2, 1, 1]);
        assert!(ql.node_is_plain(1));
        // A large insert inside a packed node splits it.
        ql.insert(0, b"LLLLLLLLLLLL", true, -2);
        assert_eq!(strs(&ql), ["a", "LLLLLLLLLLLL", "bb", "0123456789", "c"]);
        check(&ql);
        // Replace plain by small and packed by large.
        assert!(ql.replace(1, b"s", -2));
        assert!(ql.replace(-1, b"CCCCCCCCCCCC", -2));
        assert_eq!(strs(&ql), ["a", "s", "bb", "0123456789", "CCCCCCCCCCCC"]);
        check(&ql);
        assert_eq!(ql.pop(false).unwrap(), b"CCCCCCCCCCCC");
        assert_eq!(ql.pop(true).unwrap(), b"a");
        set_packed_threshold(0);
    }

    #[test]
    fn delete_range_and_remove_matching() {
        let items: Vec<String> = (0..20).map(|i| (i % 3).to_string()).collect();
        let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        let mut ql = from(&refs, 4);
        ql.delete_range(2, 9);
        check(&ql);
        assert_eq!(ql.len(), 11);
        let mut expect: Vec<String> = items.clone();
        expect.drain(2..11);
        assert_eq!(strs(&ql), expect);
        assert_eq!(ql.remove_matching(b"1", 2, true), 2);
        check(&ql);
        assert_eq!(ql.remove_matching(b"0", 0, false), 4);
        check(&ql);
        assert!(strs(&ql).iter().all(|s| s != "0"));
        ql.delete_range(0, 100);
        assert!(ql.is_empty());
        assert_eq!(ql.node_count(), 0);
    }
}
