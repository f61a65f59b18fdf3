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
//! # Compression
//!
//! `list-compress-depth` d > 0 keeps the d nodes at each end as they are and
//! stores every node between them LZF-compressed ([`crate::util::lzf`]): a
//! queue is pushed and popped at its ends, so its middle is cold and, for
//! text, shrinks several times. A node is compressed only when that pays: at
//! least 48 bytes (`MIN_COMPRESS_BYTES`) and a result at least 8 bytes
//! smaller (`MIN_COMPRESS_IMPROVE`); otherwise it stays raw and is tried
//! again the next time it is touched. Like Redis, a list keeps the depth it
//! was created with; changing the setting affects new lists only.
//!
//! When compression happens follows Redis's `__quicklistCompress`: whenever
//! a node is inserted or removed, or an inner node was changed, the ends are
//! made raw again (a node that moved into the end zone is inflated) and the
//! nodes just inside the zone, plus the changed ones, are compressed. A push
//! into the existing end node changes nothing else.
//!
//! Reading a compressed node (LRANGE, LINDEX in the middle) must not need
//! `&mut`: the read paths share the list. The node therefore inflates into a
//! `OnceCell` beside its compressed bytes, and the list remembers (one
//! `Cell<bool>`) that some node holds such a copy; the next mutation drops
//! all copies. Between a read and the next write a list can thus hold both
//! forms of the nodes that were read, never more than its uncompressed size
//! on top of the compressed one.

use std::cell::{Cell, OnceCell};
use std::collections::VecDeque;

use super::listpack::{Listpack, LpEntry, Where};
use crate::util::lzf;

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
/// Nodes smaller than this are never compressed (`MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this much (`MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;

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

/// One node: a listpack of several elements, or one large element, either
/// raw or LZF-compressed.
#[derive(Clone, Debug)]
pub enum Node {
    Packed(Listpack),
    Plain(Box<[u8]>),
    Compressed(Box<Lzf>),
}

/// A compressed node (`quicklistLZF`).
#[derive(Clone, Debug)]
pub struct Lzf {
    data: Box<[u8]>,
    /// Bytes of the raw listpack or plain element.
    raw_len: usize,
    /// Elements in it (1 for a plain node).
    count: usize,
    plain: bool,
    /// The inflated node, filled by a read through `&self`, dropped by the
    /// next mutation of the list (boxed: most compressed nodes have none).
    cache: OnceCell<Box<Node>>,
}

impl Lzf {
    /// The compressed bytes (what an RDB file stores for this node).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Size of the node once decompressed.
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }

    fn inflate(&self) -> Node {
        let raw =
            lzf::decompress(&self.data, self.raw_len).expect("a node we compressed decompresses");
        if self.plain {
            Node::Plain(raw.into())
        } else {
            Node::Packed(Listpack::from_bytes(raw).expect("a node we compressed is a listpack"))
        }
    }
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.len(),
            Node::Plain(_) => 1,
            Node::Compressed(c) => c.count,
        }
    }

    /// Whether this is a plain (single large element) node.
    pub fn is_plain(&self) -> bool {
        match self {
            Node::Plain(_) => true,
            Node::Packed(_) => false,
            Node::Compressed(c) => c.plain,
        }
    }

    /// Size of the node's raw form (`quicklistNode.sz`).
    pub fn raw_len(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.bytes().len(),
            Node::Plain(b) => b.len(),
            Node::Compressed(c) => c.raw_len,
        }
    }

    /// The raw node: itself, or the inflated copy of a compressed one.
    fn raw(&self) -> &Node {
        match self {
            Node::Compressed(c) => c.cache.get_or_init(|| Box::new(c.inflate())),
            other => other,
        }
    }

    /// Make the node raw so it can be changed (`quicklistDecompressNode`).
    fn decompress(&mut self) {
        if let Node::Compressed(c) = self {
            let raw = c.cache.take().map_or_else(|| c.inflate(), |b| *b);
            *self = raw;
        }
    }

    /// Compress the node if that pays (`__quicklistCompressNode`); a
    /// compressed node just drops its inflated copy.
    fn compress(&mut self) {
        let (raw, count, plain) = match self {
            Node::Compressed(c) => {
                c.cache.take();
                return;
            }
            Node::Packed(lp) => (lp.bytes(), lp.len(), false),
            Node::Plain(b) => (&b[..], 1, true),
        };
        if raw.len() < MIN_COMPRESS_BYTES {
            return;
        }
        if let Some(data) =
            lzf::compress(raw, raw.len()).filter(|d| d.len() + MIN_COMPRESS_IMPROVE < raw.len())
        {
            *self = Node::Compressed(Box::new(Lzf {
                data: data.into(),
                raw_len: raw.len(),
                count,
                plain,
                cache: OnceCell::new(),
            }));
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
        let Node::Packed(lp) = self.raw() else {
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
        match self.raw() {
            Node::Packed(lp) => lp.get(lp.seek(k as i64).expect("index within node")),
            Node::Plain(b) => LpEntry::Str(b),
            Node::Compressed(_) => unreachable!("raw() never returns a compressed node"),
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.heap_size(),
            Node::Plain(b) => b.len(),
            Node::Compressed(c) => {
                std::mem::size_of::<Lzf>()
                    + c.data.len()
                    + c.cache
                        .get()
                        .map_or(0, |n| std::mem::size_of::<Node>() + n.heap_size())
            }
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
#[derive(Clone, Debug)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    len: usize,
    /// `list-max-listpack-size` when the list was created (clamped).
    fill: i32,
    /// `list-compress-depth` when the list was created (0: no compression).
    compress: u32,
    /// Some compressed node holds an inflated copy (made by a read).
    inflated: Cell<bool>,
}

impl PartialEq for Quicklist {
    fn eq(&self, other: &Quicklist) -> bool {
        self.len == other.len && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Default for Quicklist {
    /// Redis's defaults: 8 KB nodes (fill -2), no compression.
    fn default() -> Quicklist {
        Quicklist::with_options(-2, 0)
    }
}

impl Quicklist {
    pub fn new() -> Quicklist {
        Quicklist::default()
    }

    /// An empty list with node size limit `fill` (`list-max-listpack-size`)
    /// whose inner nodes are compressed beyond `depth` nodes from either end
    /// (`list-compress-depth`, 0: never). Like Redis, a list keeps the
    /// options it was created with (`quicklistSetOptions`).
    pub fn with_options(fill: i32, depth: u32) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            len: 0,
            fill: clamp_fill(fill),
            compress: depth,
            inflated: Cell::new(false),
        }
    }

    /// The node size limit the list was created with.
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// The compress depth the list was created with.
    pub fn compress_depth(&self) -> u32 {
        self.compress
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
        self.nodes.get(i).is_some_and(Node::is_plain)
    }

    /// Whether node `i` is stored compressed (for tests).
    pub fn node_is_compressed(&self, i: usize) -> bool {
        matches!(self.nodes.get(i), Some(Node::Compressed(_)))
    }

    /// Approximate heap bytes owned (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// The nodes, head first, as stored (DEBUG OBJECT's sizes).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Node `n` in raw form (inflating a compressed node into its cache).
    fn raw(&self, n: usize) -> &Node {
        let node = &self.nodes[n];
        if let Node::Compressed(c) = node {
            if c.cache.get().is_none() {
                self.inflated.set(true);
            }
        }
        node.raw()
    }

    /// Before any mutation: drop the inflated copies reads left behind.
    fn drop_inflated(&mut self) {
        if self.inflated.replace(false) {
            for node in &mut self.nodes {
                if let Node::Compressed(c) = node {
                    c.cache.take();
                }
            }
        }
    }

    /// Node `n`, made raw for a change.
    fn raw_mut(&mut self, n: usize) -> &mut Node {
        let node = &mut self.nodes[n];
        node.decompress();
        node
    }

    /// After nodes were inserted or removed, or inner nodes `lo..=hi` were
    /// changed: the end zones raw, the nodes just inside them and the
    /// changed inner nodes compressed (`__quicklistCompress`).
    fn recompress(&mut self, lo: usize, hi: usize) {
        let d = self.compress as usize;
        let len = self.nodes.len();
        if d == 0 || len == 0 {
            return;
        }
        if len <= 2 * d {
            for node in &mut self.nodes {
                node.decompress();
            }
            return;
        }
        for i in (0..d).chain(len - d..len) {
            self.nodes[i].decompress();
        }
        self.nodes[d].compress();
        self.nodes[len - 1 - d].compress();
        for i in lo.max(d)..=hi.min(len - 1 - d) {
            self.nodes[i].compress();
        }
    }

    /// Push `v` at the head (`head`) or tail (`quicklistPush`).
    pub fn push(&mut self, v: &[u8], head: bool) {
        let fill = self.fill;
        self.drop_inflated();
        self.len += 1;
        let end = self
            .nodes
            .len()
            .checked_sub(1)
            .map(|last| if head { 0 } else { last });
        if let Some(i) = end {
            let node = self.raw_mut(i);
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
            self.recompress(0, 0);
        } else {
            self.nodes.push_back(n);
            let last = self.nodes.len() - 1;
            self.recompress(last, last);
        }
    }

    /// Append a whole listpack as a new tail node, as loaded from an RDB
    /// file or DUMP payload (`quicklistAppendListpack`): nodes are kept as
    /// they were saved, not re-split by this list's fill. An empty listpack
    /// adds nothing.
    pub fn append_listpack_node(&mut self, lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        self.drop_inflated();
        self.len += lp.len();
        self.nodes.push_back(Node::Packed(lp));
        let last = self.nodes.len() - 1;
        self.recompress(last, last);
    }

    /// Append one element as its own plain tail node, as loaded from an RDB
    /// file (`quicklistAppendPlainNode`).
    pub fn append_plain_node(&mut self, v: Box<[u8]>) {
        self.drop_inflated();
        self.len += 1;
        self.nodes.push_back(Node::Plain(v));
        let last = self.nodes.len() - 1;
        self.recompress(last, last);
    }

    /// Pop the head (`head`) or tail element (`quicklistPop`).
    pub fn pop(&mut self, head: bool) -> Option<Vec<u8>> {
        let last = self.nodes.len().checked_sub(1)?;
        let i = if head { 0 } else { last };
        self.drop_inflated();
        let out = match self.raw_mut(i) {
            Node::Packed(lp) => {
                let p = if head { lp.first() } else { lp.last() }.expect("no empty nodes");
                let v = lp.get(p).to_vec();
                lp.delete(p);
                if lp.is_empty() {
                    self.remove_node(i);
                }
                v
            }
            Node::Plain(b) => {
                let v = b.to_vec();
                self.remove_node(i);
                v
            }
            Node::Compressed(_) => unreachable!("raw_mut() decompresses"),
        };
        self.len -= 1;
        Some(out)
    }

    fn remove_node(&mut self, i: usize) {
        self.nodes.remove(i);
        self.recompress(usize::MAX, 0);
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
        Some(self.raw(n).get(k))
    }

    /// Position within raw node `n` of its element `k`.
    fn seek_in(&self, n: usize, k: usize) -> Option<usize> {
        match self.raw(n) {
            Node::Packed(lp) => lp.seek(k as i64),
            _ => Some(0),
        }
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
        let remaining = if reverse { start + 1 } else { self.len - start };
        Iter {
            ql: self,
            node: n,
            pos: self.seek_in(n, k),
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
    pub fn insert(&mut self, i: usize, v: &[u8], after: bool) {
        self.drop_inflated();
        let (lo, hi) = self.insert_raw(i, v, after);
        self.recompress(lo, hi);
    }

    /// [`Quicklist::insert`] without the compression step; returns the
    /// range of nodes it touched.
    fn insert_raw(&mut self, i: usize, v: &[u8], after: bool) -> (usize, usize) {
        let fill = self.fill;
        let (n, k) = self.locate(i);
        self.len += 1;
        let cnt = self.nodes[n].count();
        let at_tail = k + 1 == cnt;
        let at_head = k == 0;
        // Boundary inside node n where the new element goes.
        let cut = if after { k + 1 } else { k };
        // Every branch reports a range covering node n and whatever it
        // inflated or created next to it, so all of it gets recompressed.
        if is_large(v.len()) {
            let plain = Node::Plain(v.into());
            if self.nodes[n].is_plain() || (after && at_tail) || (!after && at_head) {
                self.nodes.insert(if after { n + 1 } else { n }, plain);
                return (n, n + 1);
            }
            self.split_at(n, cut);
            self.nodes.insert(n + 1, plain);
            return (n, n + 2);
        }
        if self.raw_mut(n).allow_insert(fill, v.len()) {
            if let Node::Packed(lp) = self.raw_mut(n) {
                let p = lp.seek(k as i64).expect("index within node");
                lp.insert(p, v, if after { Where::After } else { Where::Before });
            }
            return (n, n);
        }
        if after && at_tail {
            if n + 1 < self.nodes.len() && self.raw_mut(n + 1).allow_insert(fill, v.len()) {
                if let Node::Packed(lp) = self.raw_mut(n + 1) {
                    lp.prepend(v);
                }
            } else {
                self.nodes.insert(n + 1, Node::single(v));
            }
            (n, n + 1)
        } else if !after && at_head {
            if n > 0 && self.raw_mut(n - 1).allow_insert(fill, v.len()) {
                if let Node::Packed(lp) = self.raw_mut(n - 1) {
                    lp.append(v);
                }
                (n - 1, n)
            } else {
                self.nodes.insert(n, Node::single(v));
                (n, n + 1)
            }
        } else {
            // Strictly inside a full node: split, put the element between
            // the halves, then merge what fits back together.
            self.split_at(n, cut);
            self.nodes.insert(n + 1, Node::single(v));
            self.merge_around(n + 1);
            (n, n + 2)
        }
    }

    /// Split packed node `n` so its first `cut` elements stay and the rest
    /// form node `n + 1` (`_quicklistSplitNode`). `0 < cut < count`.
    fn split_at(&mut self, n: usize, cut: usize) {
        let Node::Packed(lp) = self.raw_mut(n) else {
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
    /// (`_quicklistMergeNodes`, centre variant). The neighbours are left
    /// raw; the caller recompresses.
    fn merge_around(&mut self, c: usize) {
        let fill = self.fill;
        let mut c = c;
        if c > 0 && {
            self.raw_mut(c - 1);
            allow_merge(&self.nodes[c - 1], &self.nodes[c], fill)
        } {
            self.merge_pair(c - 1);
            c -= 1;
        }
        if c + 1 < self.nodes.len() {
            self.raw_mut(c + 1);
            if allow_merge(&self.nodes[c], &self.nodes[c + 1], fill) {
                self.merge_pair(c);
            }
        }
    }

    /// Append node `a + 1`'s elements to node `a` and drop node `a + 1`.
    fn merge_pair(&mut self, a: usize) {
        self.raw_mut(a + 1);
        let Some(Node::Packed(b)) = self.nodes.remove(a + 1) else {
            return;
        };
        if let Node::Packed(lp) = self.raw_mut(a) {
            for e in b.iter() {
                lp_push_entry(lp, e);
            }
        }
    }

    /// Replace the element at `index` (`quicklistReplaceAtIndex`); false
    /// when out of range.
    pub fn replace(&mut self, index: i64, v: &[u8]) -> bool {
        let Some(i) = self.normalize(index) else {
            return false;
        };
        self.drop_inflated();
        let (n, k) = self.locate(i);
        let large = is_large(v.len());
        match self.raw_mut(n) {
            Node::Packed(lp) if !large => {
                let p = lp.seek(k as i64).expect("index within node");
                lp.replace(p, v);
                self.recompress(n, n);
                return true;
            }
            Node::Plain(b) if large => {
                *b = v.into();
                self.recompress(n, n);
                return true;
            }
            _ => {}
        }
        // Mixed plain / packed: insert the new element after the old one,
        // then delete the old one.
        let (lo, hi) = self.insert_raw(i, v, true);
        self.delete_range_raw(i, 1);
        self.recompress(lo.saturating_sub(1), hi);
        true
    }

    /// Delete `count` elements starting at position `start`
    /// (`quicklistDelRange` with a normalized start).
    pub fn delete_range(&mut self, start: usize, count: usize) {
        self.drop_inflated();
        if let Some((lo, hi)) = self.delete_range_raw(start, count) {
            self.recompress(lo, hi);
        }
    }

    /// [`Quicklist::delete_range`] without the compression step; returns
    /// the nodes it changed.
    fn delete_range_raw(&mut self, start: usize, count: usize) -> Option<(usize, usize)> {
        let count = count.min(self.len.saturating_sub(start));
        if count == 0 {
            return None;
        }
        let (mut n, mut k) = self.locate(start);
        let first = n;
        let mut left = count;
        while left > 0 {
            let cnt = self.nodes[n].count();
            let take = left.min(cnt - k);
            if take == cnt {
                self.nodes.remove(n);
            } else {
                if let Node::Packed(lp) = self.raw_mut(n) {
                    lp.delete_range(k as i64, take);
                }
                n += 1;
            }
            left -= take;
            k = 0;
        }
        self.len -= count;
        Some((first, n))
    }

    /// Delete elements equal to `v`: up to `limit` of them (0 = all),
    /// scanning from the tail when `from_tail` (LREM). Returns how many.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        self.drop_inflated();
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        let mut emptied = Vec::new();
        let (mut lo, mut hi) = (usize::MAX, 0);
        'nodes: for n in order {
            (lo, hi) = (lo.min(n), hi.max(n));
            match self.raw_mut(n) {
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
                Node::Compressed(_) => unreachable!("raw_mut() decompresses"),
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
        self.recompress(lo, hi.min(self.nodes.len().saturating_sub(1)));
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
        let node: &'a Node = self.ql.raw(self.node);
        let (item, next) = match node {
            Node::Packed(lp) => {
                let p = self.pos.expect("iterator position");
                let nx = if self.reverse { lp.prev(p) } else { lp.next(p) };
                (lp.get(p), nx)
            }
            Node::Plain(b) => (LpEntry::Str(&b[..]), None),
            Node::Compressed(_) => unreachable!("raw() never returns a compressed node"),
        };
        if next.is_some() {
            self.pos = next;
        } else if self.remaining > 0 {
            self.node = if self.reverse {
                self.node - 1
            } else {
                self.node + 1
            };
            self.pos = match self.ql.raw(self.node) {
                Node::Packed(lp) => {
                    if self.reverse {
                        lp.last()
                    } else {
                        lp.first()
                    }
                }
                _ => Some(0),
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
        let mut ql = Quicklist::with_options(fill, 0);
        for s in items {
            ql.push(s.as_bytes(), false);
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
        let mut ql = Quicklist::with_options(3, 0);
        for s in &refs {
            ql.push(s.as_bytes(), true);
        }
        assert_eq!(ql.node_sizes(), vec![1, 3, 3, 3]);
        assert_eq!(ql.get(0).unwrap().to_vec(), b"e9");
    }

    #[test]
    fn byte_fill_splits_at_size_limit() {
        // -1 = 4 KB: 100-byte elements, about 38 per node.
        let big = "x".repeat(100);
        let mut ql = Quicklist::with_options(-1, 0);
        for _ in 0..200 {
            ql.push(big.as_bytes(), false);
        }
        check(&ql);
        assert!(ql.node_count() > 4);
        for n in ql.nodes() {
            if let Node::Packed(lp) = n {
                assert!(lp.bytes().len() <= 4096);
            }
        }
        // Count fill never exceeds the 8 KB safety limit.
        let mut ql = Quicklist::with_options(1000, 0);
        for _ in 0..200 {
            ql.push(big.as_bytes(), false);
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
        ql.insert(1, b"X", true); // after "b", inside a full node
        check(&ql);
        assert_eq!(strs(&ql), ["a", "b", "X", "c", "d", "e", "f"]);
        ql.insert(2, b"Y", false); // at a node edge
        ql.insert(0, b"H", false);
        ql.insert(ql.len() - 1, b"T", true);
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
        ql.push(b"0123456789", false);
        ql.push(b"c", false);
        assert_eq!(ql.node_sizes(), vec![2, 1, 1]);
        assert!(ql.node_is_plain(1));
        // A large insert inside a packed node splits it.
        ql.insert(0, b"LLLLLLLLLLLL", true);
        assert_eq!(strs(&ql), ["a", "LLLLLLLLLLLL", "bb", "0123456789", "c"]);
        check(&ql);
        // Replace plain by small and packed by large.
        assert!(ql.replace(1, b"s"));
        assert!(ql.replace(-1, b"CCCCCCCCCCCC"));
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

    /// The compression invariant: with depth d, the d nodes at each end are
    /// raw; only inner nodes may be compressed.
    fn check_compression(ql: &Quicklist) {
        let d = ql.compress_depth() as usize;
        let n = ql.node_count();
        for i in 0..n {
            let inner = d > 0 && i >= d && i + d < n;
            if !inner {
                assert!(
                    !ql.node_is_compressed(i),
                    "end node {i} of {n} compressed (d={d})"
                );
            }
        }
    }

    fn padded(i: usize) -> Vec<u8> {
        format!("element-{:04}-{}", i, "pad".repeat(10)).into_bytes()
    }

    #[test]
    fn inner_nodes_compress_and_ends_stay_raw() {
        let mut ql = Quicklist::with_options(4, 1);
        for i in 0..200 {
            ql.push(&padded(i), false);
            check_compression(&ql);
        }
        check(&ql);
        check_compression(&ql);
        let n = ql.node_count();
        assert_eq!(n, 50);
        assert!((1..n - 1).all(|i| ql.node_is_compressed(i)));
        let raw: usize = ql.nodes().map(Node::raw_len).sum();
        assert!(ql.heap_size() < raw * 3 / 4, "{} vs {raw}", ql.heap_size());
        // Reads through &self inflate into the cache; the next write drops it.
        assert_eq!(ql.get(101).unwrap().to_vec(), padded(101));
        assert_eq!(ql.iter().count(), 200);
        assert!(ql.inflated.get());
        ql.push(b"tail", false);
        assert!(!ql.inflated.get());
        assert!((1..ql.node_count() - 1).all(|i| ql.node_is_compressed(i)));
        // Popping everything inflates nodes as they reach the ends.
        for i in 0..200 {
            assert_eq!(ql.pop(true).unwrap(), padded(i));
            check_compression(&ql);
        }
        assert_eq!(ql.pop(true).unwrap(), b"tail");
        assert!(ql.is_empty());
    }

    #[test]
    fn small_nodes_stay_raw() {
        let mut ql = Quicklist::with_options(1, 1);
        for i in 0..10 {
            ql.push(format!("{i}").as_bytes(), false);
        }
        // One-digit nodes are far below 48 bytes.
        assert!((0..ql.node_count()).all(|i| !ql.node_is_compressed(i)));
    }

    /// Random operations on lists of every depth and several fills, against
    /// a VecDeque model: contents, node counts and the compression invariant
    /// after every step (plain nodes included via a low packed threshold).
    #[test]
    fn random_operations_match_model_at_every_depth() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut rnd = move |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        set_packed_threshold(2000);
        for depth in 0..4u32 {
            for fill in [-1, 1, 3, 16] {
                let mut ql = Quicklist::with_options(fill, depth);
                let mut model: VecDeque<Vec<u8>> = VecDeque::new();
                for step in 0..1200 {
                    let v: Vec<u8> = match rnd(4) {
                        0 => format!("{}", rnd(1000)).into_bytes(),
                        1 => "abc".repeat(rnd(40) + 1).into_bytes(),
                        2 => vec![b'z'; rnd(3000) + 1],
                        _ => format!("value-{step}-{}", "q".repeat(rnd(100))).into_bytes(),
                    };
                    let len = model.len();
                    match rnd(12) {
                        0 | 1 => {
                            ql.push(&v, true);
                            model.push_front(v);
                        }
                        2..=4 => {
                            ql.push(&v, false);
                            model.push_back(v);
                        }
                        5 => {
                            let head = rnd(2) == 0;
                            let want = if head {
                                model.pop_front()
                            } else {
                                model.pop_back()
                            };
                            assert_eq!(ql.pop(head), want);
                        }
                        6 if len > 0 => {
                            let i = rnd(len);
                            let after = rnd(2) == 0;
                            ql.insert(i, &v, after);
                            model.insert(if after { i + 1 } else { i }, v);
                        }
                        7 if len > 0 => {
                            let i = rnd(len);
                            assert!(ql.replace(i as i64, &v));
                            model[i] = v;
                        }
                        8 if len > 0 => {
                            let (start, count) = (rnd(len), rnd(5) + 1);
                            ql.delete_range(start, count);
                            let end = (start + count).min(len);
                            model.drain(start..end);
                        }
                        9 if len > 0 => {
                            let target = model[rnd(len)].clone();
                            let from_tail = rnd(2) == 0;
                            let limit = rnd(3);
                            let got = ql.remove_matching(&target, limit, from_tail);
                            let mut removed = 0;
                            let idx: Vec<usize> = if from_tail {
                                (0..len).rev().collect()
                            } else {
                                (0..len).collect()
                            };
                            let mut gone = Vec::new();
                            for i in idx {
                                if (limit == 0 || removed < limit) && model[i] == target {
                                    removed += 1;
                                    gone.push(i);
                                }
                            }
                            gone.sort_unstable();
                            for i in gone.into_iter().rev() {
                                model.remove(i);
                            }
                            assert_eq!(got, removed);
                        }
                        10 if len > 0 => {
                            let i = rnd(len);
                            assert_eq!(ql.get(i as i64).map(|e| e.to_vec()).as_ref(), model.get(i));
                        }
                        _ => {
                            let start = rnd(len + 1);
                            let got: Vec<Vec<u8>> = ql
                                .iter_from(start, false)
                                .take(7)
                                .map(|e| e.to_vec())
                                .collect();
                            let want: Vec<Vec<u8>> =
                                model.iter().skip(start).take(7).cloned().collect();
                            assert_eq!(got, want);
                        }
                    }
                    assert_eq!(ql.len(), model.len());
                    check(&ql);
                    check_compression(&ql);
                }
                let all: Vec<Vec<u8>> = ql.iter().map(|e| e.to_vec()).collect();
                assert_eq!(all, Vec::from(model), "depth {depth} fill {fill}");
            }
        }
        set_packed_threshold(0);
    }
}
