//! The chained hash table behind the keyspace, the expires table and the
//! large hashes and sets. Redis counterpart: `dict.c` / `dict.h`.
//!
//! A [`Dict`] owns two bucket arrays (`ht[0]`, `ht[1]`). Outside a rehash only
//! `ht[0]` is allocated; during a rehash entries migrate from `ht[0]` to
//! `ht[1]` a few buckets at a time, and when `ht[0]` is empty `ht[1]` takes its
//! place. Every bucket holds a singly linked chain of boxed entries
//! (`key, value, next`), exactly like Redis's `dictEntry`.
//!
//! Invariants this file owns:
//! - bucket arrays are empty or a power of two (at least 4) in length;
//! - `ht[1]` is allocated if and only if a rehash is in progress;
//! - while rehashing, every bucket of `ht[0]` below `rehash_idx` is empty;
//! - every entry sits in bucket `hash(key) & (size - 1)` of its table;
//! - `ht[t].used` counts the entries of table `t` exactly;
//! - single-key operations and rehash steps touch a bounded number of
//!   buckets whatever the table size; only iteration, `clone`, `clear`, drop
//!   and `stats_string` walk a whole table.
//!
//! Process-wide knobs mirror Redis's globals but are thread-local (the server
//! is single threaded, and this keeps unit tests in separate threads
//! independent): [`set_resize_policy`] (Redis's `dictSetResizeEnabled`) and the
//! sampling PRNG ([`seed_random`]).
//!
//! # Incremental rehashing
//!
//! The problem: a keyspace with tens of millions of keys cannot be rehashed in
//! one go; moving 30M entries takes seconds, and the server would stop
//! answering. The idea (Redis's `dictRehash`): when the load factor reaches 1,
//! allocate the next power-of-two array as `ht[1]` and remember a cursor,
//! `rehash_idx`, into `ht[0]`. Every lookup, insert or delete that takes
//! `&mut self` first moves one non-empty bucket of `ht[0]` to `ht[1]`
//! ([`Dict::rehash_steps`] with n = 1), and the server cron spends about a
//! millisecond per call moving buckets 100 at a time ([`Dict::rehash_for`],
//! Redis's `dictRehashMilliseconds`). While both tables are live, lookups try
//! `ht[0]` then `ht[1]`, and new entries always go to `ht[1]` so `ht[0]` only
//! shrinks. The budget: one step moves at most `n` buckets and looks at at
//! most `10 * n` empty ones, so a sparse table (after mass deletion) cannot
//! turn a single step into a scan of millions of empty slots. The new array is
//! allocated zeroed (`calloc`), so the kernel hands out zero pages lazily and
//! even the allocation does not touch the whole array at once.
//!
//! Growth happens when `len >= buckets`. Shrinking is not automatic: the
//! server cron calls [`Dict::resize_if_needed`] (Redis's `htNeedsResize` +
//! `dictResize`), which starts a rehash into the smallest power of two holding
//! every element once fewer than 10% of the buckets would be used.
//!
//! Rejected alternatives: open addressing (SwissTable) needs a full rehash on
//! growth and cannot support the SCAN guarantee below across resizes; storing
//! the 64-bit hash in each entry would speed up rehashing but costs 8 bytes
//! per key, which Redis also declines to pay.
//!
//! # Resize policy and fork children
//!
//! While a fork child (RDB save, AOF rewrite) shares pages copy-on-write with
//! the parent, moving entries between tables dirties pages and duplicates
//! memory. [`ResizePolicy::Avoid`] (set with `set_resize_allowed(false)` while
//! a child exists) stops growth until the table is overloaded more than 5
//! times (`used / buckets > 5`) and stops rehash steps unless the two tables
//! differ in size by 5 times or more. [`ResizePolicy::Forbid`] (inside the
//! child itself) freezes both. Lookups stay correct either way; chains just
//! get longer.
//!
//! # Memory per entry
//!
//! An entry is one heap allocation of `size_of::<K>() + size_of::<V>() + 8`
//! bytes (rounded up to the allocator's size class); the `next` link is an
//! `Option<Box<_>>`, a single nullable pointer. Each bucket is another 8
//! bytes, and growth keeps the load factor between 0.5 and 1, i.e. 8 to 16
//! bytes of bucket per key (until deletions thin the table and the cron
//! shrinks it). With pointer-sized keys and values the entry is exactly
//! Redis's 24-byte `dictEntry`. Measured with `u64` keys and values: 32 bytes
//! requested per entry at load factor 1 (24 entry + 8 bucket), 38 at 0.57.

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::cell::Cell;
use std::fmt;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, RandomState};
use std::iter::{Chain, FusedIterator};
use std::mem;
use std::time::{Duration, Instant};

/// Size of the first bucket array (Redis's `DICT_HT_INITIAL_SIZE`).
pub const INITIAL_SIZE: usize = 4;

/// Under [`ResizePolicy::Avoid`], the load factor (integer division) above
/// which a table still grows, and the size ratio from which a rehash still
/// advances (Redis's `dict_force_resize_ratio`).
pub const FORCE_RESIZE_RATIO: usize = 5;

/// Percentage of used buckets below which [`Dict::needs_resize`] asks for a
/// shrink (Redis's `HASHTABLE_MIN_FILL`).
pub const MIN_FILL_PERCENT: usize = 10;

/// Most empty buckets a single rehash step may skip, per bucket requested.
const EMPTY_VISITS_PER_STEP: usize = 10;

/// Buckets moved between clock checks in [`Dict::rehash_for`].
const REHASH_BATCH: usize = 100;

/// Sample size of [`Dict::fair_random_entry`] (Redis's `GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 15;

/// Chain-length histogram width in [`Dict::stats_string`].
const STATS_VECTLEN: usize = 50;

/// When the tables may grow and rehash (Redis's `dictResizeEnable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResizePolicy {
    /// Normal operation: grow at load factor 1, shrink on request, rehash on
    /// every access.
    #[default]
    Enable,
    /// A fork child exists: grow only when `used / buckets > 5`, rehash only
    /// when the two tables differ in size by at least 5 times, never shrink.
    Avoid,
    /// We are the fork child: never grow (beyond the first allocation), never
    /// shrink, never rehash.
    Forbid,
}

thread_local! {
    static RESIZE_POLICY: Cell<ResizePolicy> = const { Cell::new(ResizePolicy::Enable) };
    static RNG_STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0x6469_6374_u64));
}

/// Sets the resize policy for every dict used by this thread (Redis's
/// `dictSetResizeEnabled`, called from `updateDictResizePolicy`).
pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_POLICY.with(|p| p.set(policy));
}

/// The current thread's resize policy.
pub fn resize_policy() -> ResizePolicy {
    RESIZE_POLICY.with(Cell::get)
}

/// Shorthand for the parent side of a fork: `false` while a child exists
/// ([`ResizePolicy::Avoid`]), `true` once it is gone ([`ResizePolicy::Enable`]).
pub fn set_resize_allowed(allowed: bool) {
    set_resize_policy(if allowed {
        ResizePolicy::Enable
    } else {
        ResizePolicy::Avoid
    });
}

/// Reseeds this thread's sampling PRNG, making [`Dict::random_entry`],
/// [`Dict::fair_random_entry`] and [`Dict::some_entries`] reproducible
/// (tests, `DEBUG` helpers). The initial seed is random.
pub fn seed_random(seed: u64) {
    RNG_STATE.with(|s| s.set(seed));
}

/// Next output of the thread's splitmix64 generator: one add and three
/// xor-multiply rounds, statistically solid, no dependency. Shared with the
/// data types that sample their own structures (intset members for SPOP and
/// SRANDMEMBER), so [`seed_random`] makes all of them reproducible at once.
pub fn random_u64() -> u64 {
    RNG_STATE.with(|s| {
        let state = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// Uniform value in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth
/// mentioning for any `n` a table can have).
pub fn random_below(n: usize) -> usize {
    ((u128::from(random_u64()) * n as u128) >> 64) as usize
}

/// One key/value pair and the rest of its bucket's chain (Redis's `dictEntry`).
struct Entry<K, V> {
    key: K,
    value: V,
    next: Link<K, V>,
}

/// A bucket or a `next` pointer: null or one owned entry.
type Link<K, V> = Option<Box<Entry<K, V>>>;

/// Drops a chain front to back. The derived drop of `Option<Box<Entry>>` would
/// recurse once per element, and a long chain (bad hasher, `Forbid` policy)
/// would overflow the stack.
fn drop_chain<K, V>(mut link: Link<K, V>) -> usize {
    let mut n = 0;
    while let Some(mut e) = link {
        link = e.next.take();
        n += 1;
    }
    n
}

/// Allocates `n` empty buckets, or `None` if the allocator refuses.
///
/// Zeroed memory rather than `vec![None; n]`: for a 2^25-bucket table that is
/// 256 MB, and writing it eagerly would stall the server for a noticeable
/// time, while `calloc` maps fresh zero pages that the kernel materialises
/// only as rehash steps touch them. It also makes the allocation fallible, so
/// growth can be skipped instead of aborting.
#[allow(unsafe_code)]
fn alloc_buckets<K, V>(n: usize) -> Option<Box<[Link<K, V>]>> {
    if n == 0 {
        return Some(Box::default());
    }
    let layout = Layout::array::<Link<K, V>>(n).ok()?;
    // SAFETY: `layout` has non-zero size (n > 0 and a link is one pointer).
    // The standard library guarantees that `Option<Box<T>>` for sized `T` is
    // represented with all-zero bits as `None` (see the "Representation"
    // section of `std::option`), so zeroed memory holds `n` initialised
    // `None` links. The pointer comes from the global allocator with exactly
    // `Layout::array::<Link>(n)`, which is the layout `Box<[Link]>` of length
    // `n` frees with, so ownership can be handed to the box.
    unsafe {
        let ptr = alloc::alloc_zeroed(layout).cast::<Link<K, V>>();
        if ptr.is_null() {
            return None;
        }
        Some(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, n)))
    }
}

/// One bucket array and its element count (Redis's `ht_table[i]`,
/// `ht_used[i]`).
struct Table<K, V> {
    buckets: Box<[Link<K, V>]>,
    used: usize,
}

impl<K, V> Table<K, V> {
    fn empty() -> Self {
        Table {
            buckets: Box::default(),
            used: 0,
        }
    }

    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// `size - 1`; only meaningful for an allocated table.
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn index(&self, hash: u64) -> usize {
        hash as usize & self.mask()
    }

    fn chain(&self, idx: usize) -> Option<&Entry<K, V>> {
        self.buckets.get(idx).and_then(|b| b.as_deref())
    }

    fn visit_chain<F: FnMut(&K, &V)>(&self, idx: usize, f: &mut F) {
        let mut cur = self.chain(idx);
        while let Some(e) = cur {
            f(&e.key, &e.value);
            cur = e.next.as_deref();
        }
    }

    fn find<Q>(&self, hash: u64, k: &Q) -> Option<&Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let mut cur = self.chain(self.index(hash));
        while let Some(e) = cur {
            if e.key.borrow() == k {
                return Some(e);
            }
            cur = e.next.as_deref();
        }
        None
    }

    fn find_mut<Q>(&mut self, hash: u64, k: &Q) -> Option<&mut Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let idx = self.index(hash);
        let mut cur = self.buckets.get_mut(idx)?.as_deref_mut();
        while let Some(e) = cur {
            if e.key.borrow() == k {
                return Some(e);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    /// Bucket index and depth in the chain of `k`, if present.
    fn position<Q>(&self, hash: u64, k: &Q) -> Option<(usize, usize)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let idx = self.index(hash);
        let mut cur = self.chain(idx);
        let mut depth = 0;
        while let Some(e) = cur {
            if e.key.borrow() == k {
                return Some((idx, depth));
            }
            cur = e.next.as_deref();
            depth += 1;
        }
        None
    }

    /// The link at `depth` in bucket `idx` (or the chain's tail link if the
    /// chain is shorter). `idx` must come from `index()` of this table.
    fn slot_at(&mut self, idx: usize, depth: usize) -> &mut Link<K, V> {
        let idx = idx & self.mask();
        let mut link = &mut self.buckets[idx];
        for _ in 0..depth {
            match link {
                Some(e) => link = &mut e.next,
                None => break,
            }
        }
        link
    }

    /// Unlinks and returns the entry for `k` (Redis's `dictUnlink` on one table).
    fn unlink<Q>(&mut self, hash: u64, k: &Q) -> Option<Box<Entry<K, V>>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let idx = self.index(hash);
        let mut link = self.buckets.get_mut(idx)?;
        loop {
            let hit = match link {
                None => return None,
                Some(e) => e.key.borrow() == k,
            };
            if hit {
                let mut e = link.take()?;
                *link = e.next.take();
                self.used -= 1;
                return Some(e);
            }
            link = &mut link.as_mut()?.next;
        }
    }

    /// Links a new entry at the head of its bucket: recently added keys are
    /// the likeliest to be read next. The table must be allocated.
    fn push_front(&mut self, hash: u64, key: K, value: V) -> &mut Entry<K, V> {
        let idx = self.index(hash);
        self.used += 1;
        let slot = &mut self.buckets[idx];
        let next = slot.take();
        slot.insert(Box::new(Entry { key, value, next }))
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // Stop as soon as every entry is freed: the array of a table that was
        // just emptied by a rehash is released without being walked.
        let mut left = self.used;
        for bucket in self.buckets.iter_mut() {
            if left == 0 {
                break;
            }
            left = left.saturating_sub(drop_chain(bucket.take()));
        }
    }
}

/// Optional veto on growth: called with the bytes the new bucket array would
/// take and the current load factor; returning `false` skips the growth
/// (Redis's `dictType.expandAllowed`, used with maxmemory).
pub type ExpandAllowedFn = fn(more_mem: usize, used_ratio: f64) -> bool;

/// Redis's `dict`: a chained hash table with incremental rehashing, the
/// reverse-binary SCAN cursor, and random sampling.
///
/// Methods taking `&mut self` that look keys up (`get_mut`, `find`, `insert`,
/// `remove`, sampling) first perform one rehash step when a rehash is in
/// progress; `&self` lookups (`get`, `contains_key`) cannot and do not.
pub struct Dict<K, V, S = RandomState> {
    ht: [Table<K, V>; 2],
    /// Next bucket of `ht[0]` to migrate; meaningful only while rehashing.
    rehash_idx: usize,
    hash_builder: S,
    expand_allowed: Option<ExpandAllowedFn>,
}

impl<K, V> Dict<K, V, RandomState> {
    /// An empty dict with a randomly keyed SipHash (no allocation until the
    /// first insert).
    pub fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }
}

impl<K, V, S: Default> Default for Dict<K, V, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K, V, S> Dict<K, V, S> {
    /// Bytes of one entry allocation before allocator rounding (Redis's
    /// `sizeof(dictEntry)` in `MEMORY USAGE` arithmetic).
    pub const ENTRY_SIZE: usize = mem::size_of::<Entry<K, V>>();

    /// An empty dict hashing with `hash_builder`.
    pub fn with_hasher(hash_builder: S) -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: 0,
            hash_builder,
            expand_allowed: None,
        }
    }

    /// The hasher builder.
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// Installs (or removes) a veto on automatic growth; see [`ExpandAllowedFn`].
    pub fn set_expand_allowed(&mut self, f: Option<ExpandAllowedFn>) {
        self.expand_allowed = f;
    }

    /// Number of entries (Redis's `dictSize`).
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    /// True when the dict holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets in both tables (Redis's `dictSlots`).
    pub fn buckets(&self) -> usize {
        self.ht[0].size() + self.ht[1].size()
    }

    /// Bucket counts of `ht[0]` and `ht[1]` (the latter is 0 unless rehashing).
    pub fn table_sizes(&self) -> [usize; 2] {
        [self.ht[0].size(), self.ht[1].size()]
    }

    /// True while entries are migrating from `ht[0]` to `ht[1]`.
    pub fn is_rehashing(&self) -> bool {
        !self.ht[1].buckets.is_empty()
    }

    /// Approximate bytes owned by the table itself: bucket arrays plus entry
    /// allocations (not counting heap data owned by keys and values).
    pub fn allocated_bytes(&self) -> usize {
        mem::size_of::<Self>()
            + self.buckets() * mem::size_of::<Link<K, V>>()
            + self.len() * Self::ENTRY_SIZE
    }

    /// Removes every entry, synchronously, and frees the tables. For a large
    /// dict prefer [`Dict::take`] and drop the result elsewhere.
    pub fn clear(&mut self) {
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = 0;
    }

    /// Moves the whole contents out, leaving an empty dict with a clone of the
    /// hasher and the same growth veto. This is the cheap half of an async
    /// flush: hand the returned dict to a background thread to drop it.
    pub fn take(&mut self) -> Self
    where
        S: Clone,
    {
        let mut fresh = Self::with_hasher(self.hash_builder.clone());
        fresh.expand_allowed = self.expand_allowed;
        mem::replace(self, fresh)
    }

    /// Iterates over every entry of both tables in bucket order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            buckets: self.ht[0].buckets.iter().chain(self.ht[1].buckets.iter()),
            entry: None,
            remaining: self.len(),
        }
    }

    /// Like [`Dict::iter`] with mutable values.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.ht;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            entry: None,
            remaining,
        }
    }

    /// Iterates over the keys.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Empties the dict, returning its entries by value. The dict is empty
    /// as soon as this returns; entries not consumed are dropped with the
    /// iterator.
    pub fn drain(&mut self) -> IntoIter<K, V> {
        let remaining = self.len();
        let b0 = mem::take(&mut self.ht[0].buckets);
        let b1 = mem::take(&mut self.ht[1].buckets);
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = 0;
        IntoIter {
            buckets: b0.into_vec().into_iter().chain(b1.into_vec()),
            entry: None,
            remaining,
        }
    }

    /// One call of Redis's `dictScan`: emits every entry of the bucket(s)
    /// addressed by `cursor` and returns the next cursor, 0 when the scan is
    /// complete. Start with cursor 0.
    ///
    /// Guarantee: an entry present from the first call to the last is emitted
    /// at least once, whatever inserts, deletes, growths, shrinks and rehash
    /// steps happen between calls. Entries may be emitted more than once.
    ///
    /// # The reverse-binary cursor
    ///
    /// The problem: the cursor must survive the table changing size between
    /// calls, without the dict keeping any per-scan state. A key lives in
    /// bucket `hash & mask`, so in a table of 2^n buckets it is addressed by
    /// the low n bits of its hash. When the table doubles, the keys of bucket
    /// `b` spread over buckets `b` and `b | 2^n`, both sharing the low n
    /// bits. The idea (Pieter Noordhuis's): walk bucket indexes incrementing
    /// the *high* bits first, i.e. reverse the bits, add one, reverse back.
    /// Then the set of already-visited buckets is always "every index whose
    /// low bits are a prefix already completed", a set that maps cleanly to
    /// any other power-of-two size: after growing, the expansions of visited
    /// buckets are exactly the indexes the cursor will skip; after shrinking,
    /// a smaller bucket is skipped only if all of its larger preimages were
    /// visited (at worst some are visited twice, hence duplicates). Setting
    /// the bits above the mask before incrementing makes the carry propagate
    /// only through the masked bits.
    ///
    /// During a rehash both tables hold entries. We visit the bucket of the
    /// smaller table, then every bucket of the larger table that expands it
    /// (same low bits, all combinations of the extra high bits), advancing
    /// the cursor over those extra bits; the larger table is thus just a
    /// finer view of the smaller one and the single-table argument applies.
    ///
    /// The budget: one call visits one bucket, or one bucket plus its
    /// `big / small` expansions while rehashing; it never performs a rehash
    /// step (`&self`), so callers may scan and look up freely in between.
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.is_empty() || self.ht[0].size() == 0 {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let t = &self.ht[0];
            let m0 = t.mask() as u64;
            t.visit_chain((v & m0) as usize, &mut f);
            v = next_cursor(v, m0);
        } else {
            let (small, big) = if self.ht[0].size() <= self.ht[1].size() {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = small.mask() as u64;
            let m1 = big.mask() as u64;
            small.visit_chain((v & m0) as usize, &mut f);
            loop {
                big.visit_chain((v & m1) as usize, &mut f);
                v = next_cursor(v, m1);
                // Done once the bits that only the larger table has wrap to 0.
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// The loop of Redis's `scanGenericCommand` over [`Dict::scan`]: scans
    /// until at least `count` keys were collected, the scan completed, or
    /// `10 * count` calls returned nothing much (sparse tables). Returns the
    /// next cursor and the keys, cloned so the caller may delete them.
    pub fn scan_keys(&self, mut cursor: u64, count: usize) -> (u64, Vec<K>)
    where
        K: Clone,
    {
        let count = count.max(1);
        let mut keys = Vec::new();
        let mut max_iterations = count.saturating_mul(10);
        loop {
            cursor = self.scan(cursor, |k, _| keys.push(k.clone()));
            if cursor == 0 || max_iterations == 0 || keys.len() >= count {
                return (cursor, keys);
            }
            max_iterations -= 1;
        }
    }

    /// Visits bucket `cursor & mask` of `ht[0]` and, while rehashing, of
    /// `ht[1]`, returning how many buckets were checked (0, 1 or 2).
    ///
    /// This is the access pattern of Redis's active expire cycle, which walks
    /// the expires table with a plain incrementing cursor (`expires_cursor`)
    /// and a budget of `20 * keys_per_loop` buckets. Deleting is not possible
    /// from inside the callback (`&self`): collect the expired keys, delete
    /// them after the call, then move to `cursor + 1`. A rehash step between
    /// two calls may move unvisited keys to buckets already passed, so, as
    /// in Redis, one sweep samples rather than enumerates.
    pub fn visit_bucket<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> usize {
        let mut checked = 0;
        for (t, table) in self.ht.iter().enumerate() {
            if (t == 1 && !self.is_rehashing()) || table.size() == 0 {
                break;
            }
            table.visit_chain(table.index(cursor), &mut f);
            checked += 1;
        }
        checked
    }

    /// True when the table is worth shrinking: more than the initial buckets
    /// and under 10% of them used (Redis's `htNeedsResize`).
    pub fn needs_resize(&self) -> bool {
        let size = self.buckets();
        size > INITIAL_SIZE && self.len().saturating_mul(100) / size < MIN_FILL_PERCENT
    }

    /// Redis's `dictGetStats` text for `DEBUG HTSTATS`: one block
    /// per live table with size, element count, chain length figures and a
    /// chain length histogram.
    pub fn stats_string(&self) -> String {
        let mut out = String::new();
        table_stats(&mut out, &self.ht[0], 0);
        if self.is_rehashing() {
            table_stats(&mut out, &self.ht[1], 1);
        }
        out
    }

    /// Whether the policy lets a rehash step move anything now.
    fn rehash_allowed(&self) -> bool {
        match resize_policy() {
            ResizePolicy::Enable => true,
            ResizePolicy::Forbid => false,
            ResizePolicy::Avoid => {
                let s0 = self.ht[0].size().max(1);
                let s1 = self.ht[1].size().max(1);
                s0.max(s1) / s0.min(s1) >= FORCE_RESIZE_RATIO
            }
        }
    }

    /// Starts using a bucket array sized for `size` entries (the next power of
    /// two, at least 4), Redis's `dictTryExpand`: on an empty dict it becomes
    /// `ht[0]` directly, otherwise it becomes the rehash target. Refused
    /// (false) while rehashing, when `size` is below the element count, when
    /// the size would not change, or when the allocation fails.
    /// Useful before bulk loads (RDB) to skip the intermediate growths.
    pub fn expand(&mut self, size: usize) -> bool {
        if self.is_rehashing() || self.ht[0].used > size {
            return false;
        }
        let Some(new_size) = size.max(INITIAL_SIZE).checked_next_power_of_two() else {
            return false;
        };
        if new_size == self.ht[0].size() {
            return false;
        }
        let Some(buckets) = alloc_buckets(new_size) else {
            return false;
        };
        let table = Table { buckets, used: 0 };
        if self.ht[0].size() == 0 {
            self.ht[0] = table;
        } else {
            self.ht[1] = table;
            self.rehash_idx = 0;
        }
        true
    }

    /// Starts a rehash into the smallest table holding every element (at
    /// least 4 buckets), Redis's `dictResize`. Refused (false) unless the
    /// policy is [`ResizePolicy::Enable`] and no rehash is in progress.
    pub fn shrink_to_fit(&mut self) -> bool {
        if resize_policy() != ResizePolicy::Enable || self.is_rehashing() {
            return false;
        }
        self.expand(self.ht[0].used.max(INITIAL_SIZE))
    }

    /// The server cron's shrink hook (Redis's `tryResizeHashTables`): starts a
    /// shrinking rehash when [`Dict::needs_resize`] says so. Returns whether
    /// a rehash was started.
    pub fn resize_if_needed(&mut self) -> bool {
        self.needs_resize() && self.shrink_to_fit()
    }

    /// Grows `ht[0]` when the load factor calls for it (Redis's
    /// `_dictExpandIfNeeded`), and allocates the first table of an empty dict.
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht[0].size();
        if size == 0 {
            if !self.expand(INITIAL_SIZE) {
                // Four buckets could not be allocated: the process is out of
                // memory, exactly like a failing `Box::new`.
                alloc::handle_alloc_error(Layout::new::<[Link<K, V>; INITIAL_SIZE]>());
            }
            return;
        }
        let used = self.ht[0].used;
        let policy = resize_policy();
        let grow = (policy == ResizePolicy::Enable && used >= size)
            || (policy != ResizePolicy::Forbid && used / size > FORCE_RESIZE_RATIO);
        if !grow {
            return;
        }
        if let Some(allowed) = self.expand_allowed {
            let next = used
                .saturating_add(1)
                .checked_next_power_of_two()
                .unwrap_or(usize::MAX);
            let more_mem = next.saturating_mul(mem::size_of::<Link<K, V>>());
            if !allowed(more_mem, used as f64 / size as f64) {
                return;
            }
        }
        // A refused allocation leaves the table as is: chains grow longer but
        // everything keeps working, and the next insert tries again.
        self.expand(used.saturating_add(1));
    }
}

/// Advances a reverse-binary cursor over the bits of `mask`.
fn next_cursor(v: u64, mask: u64) -> u64 {
    (v | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}

fn table_stats<K, V>(out: &mut String, t: &Table<K, V>, idx: usize) {
    let name = if idx == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    if t.used == 0 {
        let _ = write!(
            out,
            "Hash table {idx} stats ({name}):\nNo stats available for empty dictionaries\n"
        );
        return;
    }
    let mut histogram = [0usize; STATS_VECTLEN];
    let (mut slots, mut max_chain, mut total_chain) = (0usize, 0usize, 0usize);
    for b in t.buckets.iter() {
        let mut len = 0;
        let mut cur = b.as_deref();
        while let Some(e) = cur {
            len += 1;
            cur = e.next.as_deref();
        }
        histogram[len.min(STATS_VECTLEN - 1)] += 1;
        if len > 0 {
            slots += 1;
            max_chain = max_chain.max(len);
            total_chain += len;
        }
    }
    let _ = write!(
        out,
        "Hash table {idx} stats ({name}):\n table size: {}\n number of elements: {}\n \
         different slots: {slots}\n max chain length: {max_chain}\n \
         avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n \
         Chain length distribution:\n",
        t.size(),
        t.used,
        total_chain as f32 / slots as f32,
        t.used as f32 / slots as f32,
    );
    // Like Redis, the last histogram cell (chains of 49 or more) is counted
    // but not printed.
    for (len, &n) in histogram.iter().enumerate().take(STATS_VECTLEN - 1) {
        if n > 0 {
            let pct = n as f32 / t.size() as f32 * 100.0;
            let _ = writeln!(out, "   {len}: {n} ({pct:.2}%)");
        }
    }
}

impl<K, V, S> Dict<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    fn hash_of<Q: ?Sized + Hash>(&self, k: &Q) -> u64 {
        self.hash_builder.hash_one(k)
    }

    /// Performs up to `n` rehash steps (Redis's `dictRehash`): each step
    /// migrates one non-empty bucket of `ht[0]`, and the call gives up after
    /// skipping `10 * n` empty buckets. Returns true while entries remain to
    /// migrate (false when not rehashing, finished, or the policy forbids
    /// progress).
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        if !self.is_rehashing() || !self.rehash_allowed() {
            return false;
        }
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        let Dict {
            ht: [t0, t1],
            rehash_idx,
            hash_builder,
            ..
        } = self;
        'steps: for _ in 0..n {
            if t0.used == 0 {
                break;
            }
            loop {
                match t0.buckets.get(*rehash_idx) {
                    Some(Some(_)) => break,
                    Some(None) => {
                        *rehash_idx += 1;
                        empty_visits = empty_visits.saturating_sub(1);
                        if empty_visits == 0 {
                            return true;
                        }
                    }
                    // Unreachable while the invariants hold (entries left
                    // means a non-empty bucket at or after rehash_idx).
                    // Rather than index out of bounds, start over.
                    None => {
                        *rehash_idx = 0;
                        break 'steps;
                    }
                }
            }
            let mut chain = t0.buckets[*rehash_idx].take();
            while let Some(mut e) = chain {
                chain = e.next.take();
                let idx = t1.index(hash_builder.hash_one(&e.key));
                e.next = t1.buckets[idx].take();
                t1.buckets[idx] = Some(e);
                t0.used -= 1;
                t1.used += 1;
            }
            *rehash_idx += 1;
        }
        if t0.used == 0 {
            // The old array is empty: dropping it is a single free.
            *t0 = mem::replace(t1, Table::empty());
            *rehash_idx = 0;
            return false;
        }
        true
    }

    /// Rehashes in batches of 100 buckets until done or `budget` has elapsed
    /// (checked after each batch, so it may overrun by one batch), Redis's
    /// `dictRehashMilliseconds` as used by `incrementallyRehash` in the cron.
    /// Returns the number of steps requested (a multiple of 100).
    pub fn rehash_for(&mut self, budget: Duration) -> usize {
        let start = Instant::now();
        let mut steps = 0;
        while self.rehash_steps(REHASH_BATCH) {
            steps += REHASH_BATCH;
            if start.elapsed() > budget {
                break;
            }
        }
        steps
    }

    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash_steps(1);
        }
    }

    fn find_ref<Q>(&self, k: &Q) -> Option<&Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash_of(k);
        self.ht[0].find(hash, k).or_else(|| {
            if self.is_rehashing() {
                self.ht[1].find(hash, k)
            } else {
                None
            }
        })
    }

    fn find_entry_mut<Q>(&mut self, hash: u64, k: &Q) -> Option<&mut Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let rehashing = self.is_rehashing();
        let [t0, t1] = &mut self.ht;
        if let Some(e) = t0.find_mut(hash, k) {
            return Some(e);
        }
        if rehashing {
            t1.find_mut(hash, k)
        } else {
            None
        }
    }

    /// (table, bucket, depth) of `k`.
    fn locate<Q>(&self, hash: u64, k: &Q) -> Option<(usize, usize, usize)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        if self.ht[0].size() == 0 {
            return None;
        }
        if let Some((idx, depth)) = self.ht[0].position(hash, k) {
            return Some((0, idx, depth));
        }
        if !self.is_rehashing() {
            return None;
        }
        self.ht[1]
            .position(hash, k)
            .map(|(idx, depth)| (1, idx, depth))
    }

    /// Adds an entry known to be absent, to `ht[1]` while rehashing.
    fn push_front(&mut self, hash: u64, key: K, value: V) -> &mut Entry<K, V> {
        let t = usize::from(self.is_rehashing());
        self.ht[t].push_front(hash, key, value)
    }

    /// The value for `k`, without a rehash step.
    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.find_ref(k).map(|e| &e.value)
    }

    /// The stored key and value for `k`, without a rehash step.
    pub fn get_key_value<Q>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.find_ref(k).map(|e| (&e.key, &e.value))
    }

    /// Whether `k` is present, without a rehash step.
    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.find_ref(k).is_some()
    }

    /// The value for `k`, mutable; performs a rehash step first.
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.find(k).map(|(_, v)| v)
    }

    /// Redis's `dictFind`: the stored key and mutable value for `k`, after a
    /// rehash step.
    pub fn find<Q>(&mut self, k: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = self.hash_of(k);
        self.find_entry_mut(hash, k).map(|e| (&e.key, &mut e.value))
    }

    /// Redis's `dictReplace`: sets the value for `key`, returning the old
    /// value if the key was present. An existing key object is kept and the
    /// passed one dropped (the keyspace relies on the stored key's identity).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.rehash_step();
        self.expand_if_needed();
        let hash = self.hash_of(&key);
        if let Some(e) = self.find_entry_mut(hash, &key) {
            return Some(mem::replace(&mut e.value, value));
        }
        self.push_front(hash, key, value);
        None
    }

    /// Redis's `dictAdd`: inserts only if `key` is absent, returning the new
    /// value's slot, or gives `key` and `value` back if it is present.
    pub fn insert_new(&mut self, key: K, value: V) -> Result<&mut V, (K, V)> {
        self.rehash_step();
        self.expand_if_needed();
        let hash = self.hash_of(&key);
        if self.locate(hash, &key).is_some() {
            return Err((key, value));
        }
        Ok(&mut self.push_front(hash, key, value).value)
    }

    /// Redis's `dictAddOrFind`: the value for `key`, inserting `default()`
    /// first if absent. The flag is true when the entry was created.
    pub fn get_or_insert_with<F: FnOnce() -> V>(&mut self, key: K, default: F) -> (&mut V, bool) {
        self.rehash_step();
        self.expand_if_needed();
        let hash = self.hash_of(&key);
        if let Some((t, idx, depth)) = self.locate(hash, &key) {
            // `locate` just found the entry at this position and nothing moved
            // since, so the slot is occupied; the fallback only keeps this
            // total without an unwrap.
            let slot = self.ht[t].slot_at(idx, depth);
            let e = slot.get_or_insert_with(|| {
                Box::new(Entry {
                    key,
                    value: default(),
                    next: None,
                })
            });
            return (&mut e.value, false);
        }
        (&mut self.push_front(hash, key, default()).value, true)
    }

    /// Redis's `dictUnlink`: removes `k`, returning the stored key and value.
    /// Never shrinks the table (see [`Dict::resize_if_needed`]).
    pub fn remove<Q>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = self.hash_of(k);
        let rehashing = self.is_rehashing();
        let e = match self.ht[0].unlink(hash, k) {
            Some(e) => e,
            None if rehashing => self.ht[1].unlink(hash, k)?,
            None => return None,
        };
        let Entry { key, value, .. } = *e;
        Some((key, value))
    }

    /// Redis's `dictGetRandomKey`: after a rehash step, picks a uniformly
    /// random non-empty bucket, then a uniformly random entry of its chain.
    /// Entries in longer chains are proportionally less likely; see
    /// [`Dict::fair_random_entry`].
    pub fn random_entry(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.pick_random().map(|e| (&e.key, &e.value))
    }

    /// Redis's `dictGetFairRandomKey`: samples a run of up to 15 consecutive
    /// entries from a random spot ([`Dict::some_entries`]) and picks one
    /// uniformly, which smooths out chain-length bias; falls back to
    /// [`Dict::random_entry`]'s method if the sample came back empty.
    pub fn fair_random_entry(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_for_sampling(FAIR_SAMPLE);
        let this = &*self;
        let sample = this.sample_some(FAIR_SAMPLE);
        let e = if sample.is_empty() {
            this.pick_random()
        } else {
            sample.get(random_below(sample.len())).copied()
        };
        e.map(|e| (&e.key, &e.value))
    }

    /// Redis's `dictGetSomeKeys`: up to `count` entries from consecutive
    /// buckets starting at a random index, looking at both tables, jumping
    /// elsewhere after long empty runs, and giving up after `10 * count`
    /// bucket positions. May return fewer than `count` entries or repeats;
    /// cheap, but not a uniform sample (eviction and expiry use it).
    pub fn some_entries(&mut self, count: usize) -> Vec<(&K, &V)> {
        self.rehash_for_sampling(count);
        self.sample_some(count)
            .into_iter()
            .map(|e| (&e.key, &e.value))
            .collect()
    }

    /// Rehash work proportional to the sample size, as Redis does.
    fn rehash_for_sampling(&mut self, count: usize) {
        for _ in 0..count.min(self.len()) {
            if !self.is_rehashing() {
                break;
            }
            self.rehash_steps(1);
        }
    }

    fn pick_random(&self) -> Option<&Entry<K, V>> {
        let head = self.random_bucket()?;
        let mut len = 0;
        let mut cur = Some(head);
        while let Some(e) = cur {
            len += 1;
            cur = e.next.as_deref();
        }
        let mut e = head;
        for _ in 0..random_below(len) {
            e = e.next.as_deref()?;
        }
        Some(e)
    }

    /// A uniformly random non-empty bucket. While rehashing, the two arrays
    /// are seen as one index space `[rehash_idx, size0 + size1)`: buckets of
    /// `ht[0]` below `rehash_idx` are known to be empty.
    fn random_bucket(&self) -> Option<&Entry<K, V>> {
        if self.is_empty() {
            return None;
        }
        let (t0, t1) = (&self.ht[0], &self.ht[1]);
        let s0 = t0.size();
        let lo = if self.is_rehashing() {
            self.rehash_idx.min(s0)
        } else {
            0
        };
        let slots = s0 + t1.size();
        let bucket = |h: usize| {
            if h < s0 {
                t0.chain(h)
            } else {
                t1.chain(h - s0)
            }
        };
        if slots <= lo {
            return None;
        }
        let span = slots - lo;
        // Redis retries until it hits a non-empty bucket, which terminates
        // with probability 1. Expected tries are buckets / non-empty buckets;
        // after eight times the bucket count (odds below 0.04% even for a
        // single key) fall back to a walk that is certain to end.
        let tries = span.saturating_mul(8).max(64);
        for _ in 0..tries {
            if let Some(e) = bucket(lo + random_below(span)) {
                return Some(e);
            }
        }
        let start = random_below(span);
        (0..span).find_map(|i| bucket(lo + (start + i) % span))
    }

    fn sample_some(&self, count: usize) -> Vec<&Entry<K, V>> {
        let count = count.min(self.len());
        let mut out: Vec<&Entry<K, V>> = Vec::with_capacity(count);
        if count == 0 || self.ht[0].size() == 0 {
            return out;
        }
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let mut max_mask = self.ht[0].mask();
        if tables == 2 {
            max_mask = max_mask.max(self.ht[1].mask());
        }
        let mut i = random_u64() as usize & max_mask;
        let mut empty_run = 0;
        let mut stored = 0;
        let mut steps = count.saturating_mul(10);
        'walk: while stored < count && steps > 0 {
            steps -= 1;
            for t in 0..tables {
                // Below rehash_idx, ht[0] is empty. If ht[1] is also out of
                // range here (shrinking), nothing lives at this index in
                // either table: jump ahead to rehash_idx.
                if tables == 2 && t == 0 && i < self.rehash_idx {
                    if i >= self.ht[1].size() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let table = &self.ht[t];
                if i >= table.size() {
                    continue;
                }
                let mut cur = table.chain(i);
                if cur.is_none() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = random_u64() as usize & max_mask;
                        empty_run = 0;
                    }
                    continue;
                }
                empty_run = 0;
                while let Some(e) = cur {
                    // Take the whole chain, reservoir-sampling once full, so
                    // the tail of a long chain is not systematically missed.
                    if stored < count {
                        out.push(e);
                    } else {
                        let r = random_below(stored + 1);
                        if r < count {
                            out[r] = e;
                        }
                    }
                    stored += 1;
                    cur = e.next.as_deref();
                }
                if stored >= count {
                    break 'walk;
                }
            }
            i = (i + 1) & max_mask;
        }
        out
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Dict<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Clone, V: Clone, S: Clone> Clone for Dict<K, V, S> {
    /// A structural copy: same table sizes, same bucket positions, same
    /// rehash progress (so no rehashing is needed to clone).
    fn clone(&self) -> Self {
        let mut copy = Dict::with_hasher(self.hash_builder.clone());
        copy.expand_allowed = self.expand_allowed;
        copy.rehash_idx = self.rehash_idx;
        let mut chain: Vec<&Entry<K, V>> = Vec::new();
        for (src, dst) in self.ht.iter().zip(copy.ht.iter_mut()) {
            if src.size() == 0 {
                continue;
            }
            dst.buckets = alloc_buckets(src.size()).unwrap_or_else(|| {
                let layout = Layout::array::<Link<K, V>>(src.size());
                alloc::handle_alloc_error(layout.unwrap_or(Layout::new::<Link<K, V>>()));
            });
            let mut left = src.used;
            for (s, d) in src.buckets.iter().zip(dst.buckets.iter_mut()) {
                if left == 0 {
                    break;
                }
                chain.clear();
                let mut cur = s.as_deref();
                while let Some(e) = cur {
                    chain.push(e);
                    cur = e.next.as_deref();
                }
                // Rebuild back to front so the order matches and nothing
                // recurses.
                for e in chain.iter().rev() {
                    *d = Some(Box::new(Entry {
                        key: e.key.clone(),
                        value: e.value.clone(),
                        next: d.take(),
                    }));
                    dst.used += 1;
                }
                left = left.saturating_sub(chain.len());
            }
        }
        copy
    }
}

/// The buckets of `ht[0]` followed by those of `ht[1]`.
type BothTables<I> = Chain<I, I>;

/// Borrowing iterator over a [`Dict`]; see [`Dict::iter`].
pub struct Iter<'a, K, V> {
    buckets: BothTables<std::slice::Iter<'a, Link<K, V>>>,
    entry: Option<&'a Entry<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.entry {
                self.entry = e.next.as_deref();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((&e.key, &e.value));
            }
            // Past the last entry, the rest of the arrays is all empty.
            if self.remaining == 0 {
                return None;
            }
            self.entry = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

/// Iterator with mutable values; see [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    buckets: BothTables<std::slice::IterMut<'a, Link<K, V>>>,
    entry: Option<&'a mut Entry<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.entry.take() {
                let Entry { key, value, next } = e;
                self.entry = next.as_deref_mut();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((&*key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.entry = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

/// Owning iterator; see [`Dict::drain`] and `Dict::into_iter`.
pub struct IntoIter<K, V> {
    buckets: BothTables<std::vec::IntoIter<Link<K, V>>>,
    entry: Link<K, V>,
    remaining: usize,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(mut e) = self.entry.take() {
                self.entry = e.next.take();
                self.remaining = self.remaining.saturating_sub(1);
                let Entry { key, value, .. } = *e;
                return Some((key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.entry = self.buckets.next()?;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}
impl<K, V> FusedIterator for IntoIter<K, V> {}

impl<K, V> Drop for IntoIter<K, V> {
    fn drop(&mut self) {
        // Free leftover chains iteratively (see `drop_chain`).
        self.remaining = self.remaining.saturating_sub(drop_chain(self.entry.take()));
        while self.remaining > 0 {
            match self.buckets.next() {
                Some(link) => {
                    self.remaining = self.remaining.saturating_sub(drop_chain(link));
                }
                None => break,
            }
        }
    }
}

impl<K, V, S> IntoIterator for Dict<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(mut self) -> IntoIter<K, V> {
        self.drain()
    }
}

impl<'a, K, V, S> IntoIterator for &'a Dict<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};

    /// Deterministic SipHash (zero keys) so statistical tests see the same
    /// bucket layout on every run.
    type Fixed = BuildHasherDefault<DefaultHasher>;

    fn fixed<K, V>() -> Dict<K, V, Fixed> {
        Dict::default()
    }

    /// Every key hashes to the same bucket: the worst case for chains.
    #[derive(Clone, Default)]
    struct ConstState;
    struct ConstHasher;
    impl Hasher for ConstHasher {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }
    impl BuildHasher for ConstState {
        type Hasher = ConstHasher;
        fn build_hasher(&self) -> ConstHasher {
            ConstHasher
        }
    }

    /// Test-side PRNG for choosing operations (separate from the dict's).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Resets the thread's policy even if the test fails midway.
    struct PolicyGuard;
    impl Drop for PolicyGuard {
        fn drop(&mut self) {
            set_resize_policy(ResizePolicy::Enable);
        }
    }

    /// Checks every structural invariant listed in the module docs.
    fn check_invariants<K: Hash + Eq, V, S: BuildHasher>(d: &Dict<K, V, S>) {
        for (t, table) in d.ht.iter().enumerate() {
            let size = table.size();
            assert!(size == 0 || (size.is_power_of_two() && size >= INITIAL_SIZE));
            let mut count = 0;
            for (idx, b) in table.buckets.iter().enumerate() {
                if t == 0 && d.is_rehashing() && idx < d.rehash_idx {
                    assert!(b.is_none(), "bucket {idx} below rehash_idx not empty");
                }
                let mut cur = b.as_deref();
                while let Some(e) = cur {
                    assert_eq!(table.index(d.hash_of(&e.key)), idx, "entry in wrong bucket");
                    count += 1;
                    cur = e.next.as_deref();
                }
            }
            assert_eq!(count, table.used, "used of table {t} is wrong");
        }
        if !d.is_rehashing() {
            assert_eq!(d.ht[1].used, 0);
        } else {
            assert!(d.rehash_idx < d.ht[0].size());
        }
        assert_eq!(d.iter().count(), d.len());
    }

    #[test]
    fn insert_get_remove_100k_across_rehashes() {
        let mut d: Dict<u64, u64> = Dict::new();
        let n = 100_000u64;
        let mut saw_rehash = false;
        for i in 0..n {
            assert_eq!(d.insert(i, i * 2), None);
            saw_rehash |= d.is_rehashing();
            if i % 9_973 == 0 {
                check_invariants(&d);
                // Every key inserted so far is findable, mid-rehash or not.
                for j in (0..=i).step_by(7) {
                    assert_eq!(d.get(&j), Some(&(j * 2)));
                }
            }
        }
        assert!(saw_rehash);
        assert_eq!(d.len(), n as usize);
        // Load factor stays at most 1 once rehashing is done.
        while d.rehash_steps(1000) {}
        assert!(d.len() <= d.buckets());
        check_invariants(&d);

        for i in 0..n {
            *d.get_mut(&i).unwrap() += 1;
        }
        for i in (0..n).filter(|i| i % 10 != 0) {
            assert_eq!(d.remove(&i), Some((i, i * 2 + 1)));
            if i % 9_973 == 1 {
                check_invariants(&d);
            }
        }
        assert_eq!(d.len(), 10_000);
        assert_eq!(d.remove(&1), None);
        // 10% of 131072 buckets used: below the fill threshold only after a
        // few more deletions.
        for i in (0..n).filter(|i| i % 20 == 0) {
            d.remove(&i);
        }
        assert!(d.needs_resize());
        assert!(d.resize_if_needed());
        assert!(d.is_rehashing());
        let mut i = 10;
        while d.is_rehashing() {
            // Lookups keep working while the shrink is under way.
            assert_eq!(d.get(&i), Some(&(i * 2 + 1)));
            assert_eq!(d.find(&i).map(|(k, _)| *k), Some(i));
            i = (i + 20) % n;
        }
        assert_eq!(d.buckets(), 8192); // next power of two >= 5000
        check_invariants(&d);
        for i in 0..n {
            assert_eq!(d.contains_key(&i), i % 20 == 10);
        }
    }

    #[test]
    fn borrowed_lookup_and_key_identity() {
        let mut d: Dict<String, i32> = Dict::new();
        d.insert("a".to_string(), 1);
        assert_eq!(d.get("a"), Some(&1));
        assert_eq!(d.get_key_value("a"), Some((&"a".to_string(), &1)));
        assert!(!d.contains_key("b"));

        // Keys equal by id, told apart by tag: insert keeps the stored key.
        #[derive(Debug)]
        struct Tagged(u32, &'static str);
        impl PartialEq for Tagged {
            fn eq(&self, o: &Self) -> bool {
                self.0 == o.0
            }
        }
        impl Eq for Tagged {}
        impl Hash for Tagged {
            fn hash<H: Hasher>(&self, h: &mut H) {
                self.0.hash(h);
            }
        }
        let mut t: Dict<Tagged, i32> = Dict::new();
        assert_eq!(t.insert(Tagged(1, "first"), 10), None);
        assert_eq!(t.insert(Tagged(1, "second"), 20), Some(10));
        let (k, v) = t.get_key_value(&Tagged(1, "")).unwrap();
        assert_eq!((k.1, *v), ("first", 20));
        match t.insert_new(Tagged(1, "third"), 30) {
            Err((k, v)) => assert_eq!((k.1, v), ("third", 30)),
            Ok(_) => panic!("insert_new replaced an existing key"),
        }
        let (v, created) = t.get_or_insert_with(Tagged(1, "fourth"), || 40);
        assert_eq!((*v, created), (20, false));
        *v = 21;
        let (v, created) = t.get_or_insert_with(Tagged(2, "fifth"), || 50);
        assert_eq!((*v, created), (50, true));
        assert_eq!(t.len(), 2);
        let (k, v) = t.remove(&Tagged(1, "")).unwrap();
        assert_eq!((k.1, v), ("first", 21));
        *t.insert_new(Tagged(3, "x"), 1).unwrap() += 1;
        assert_eq!(t.get(&Tagged(3, "")), Some(&2));
    }

    #[test]
    fn get_or_insert_with_during_rehash() {
        let mut d = fixed::<u32, u32>();
        for i in 0..1000 {
            let (v, created) = d.get_or_insert_with(i % 700, || 0);
            *v += 1;
            assert_eq!(created, i < 700);
        }
        for i in 0..700 {
            assert_eq!(d.get(&i), Some(&if i < 300 { 2 } else { 1 }));
        }
        check_invariants(&d);
    }

    /// Runs a scan to completion while `mutate` changes the dict between
    /// calls; returns the set of keys emitted.
    fn scan_with<S: BuildHasher>(
        d: &mut Dict<u64, u64, S>,
        mut mutate: impl FnMut(&mut Dict<u64, u64, S>, usize),
    ) -> HashSet<u64> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, v| {
                assert_eq!(k, v);
                seen.insert(*k);
            });
            if cursor == 0 {
                return seen;
            }
            mutate(d, calls);
            calls += 1;
            assert!(calls < 10_000_000, "scan does not terminate");
        }
    }

    #[test]
    fn scan_empty_returns_zero() {
        let mut d: Dict<u64, u64> = Dict::new();
        assert_eq!(d.scan(0, |_, _| panic!("emitted from empty dict")), 0);
        assert_eq!(d.scan(12345, |_, _| panic!("emitted from empty dict")), 0);
        d.insert(1, 1);
        d.remove(&1);
        assert_eq!(d.scan(0, |_, _| panic!("emitted from empty dict")), 0);
        assert_eq!(d.scan_keys(0, 10), (0, vec![]));
    }

    #[test]
    fn scan_static_dict_emits_each_key_exactly_once() {
        // Not rehashing, mid-growth and mid-shrink: with no changes between
        // calls every key comes back exactly once.
        let mut d = fixed::<u64, u64>();
        for i in 0..1000 {
            d.insert(i, i);
        }
        while d.rehash_steps(100) {}
        type Change = dyn Fn(&mut Dict<u64, u64, Fixed>);
        let states: [&Change; 3] = [
            &|_| {},
            &|d| {
                for i in 1000..1100 {
                    d.insert(i, i);
                }
            },
            &|d| {
                for i in 0..1100 {
                    if i % 16 != 0 {
                        d.remove(&i);
                    }
                }
                assert!(d.resize_if_needed());
            },
        ];
        for state in states {
            state(&mut d);
            let mut count: HashMap<u64, usize> = HashMap::new();
            let mut cursor = 0;
            loop {
                cursor = d.scan(cursor, |k, _| *count.entry(*k).or_default() += 1);
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(count.len(), d.len());
            assert!(count.values().all(|&c| c == 1));
        }
        assert!(d.is_rehashing(), "the last state should be mid-shrink");
    }

    /// The SCAN guarantee under random mutation between cursor calls: stable
    /// keys (never deleted) must all be emitted, while volatile keys come and
    /// go in bulk, forcing growths, shrinks and partial rehashes.
    #[test]
    fn scan_guarantee_with_growth_and_shrink_between_calls() {
        let (mut grew, mut shrank, mut mid_rehash_calls) = (0, 0, 0);
        for seed in 0..40u64 {
            let mut rng = Rng(seed);
            let mut d: Dict<u64, u64> = Dict::new();
            let stable = 200 + rng.below(300);
            for i in 0..stable {
                d.insert(i, i);
            }
            let mut next_volatile = 1_000_000u64;
            let mut volatile: Vec<u64> = Vec::new();
            for _ in 0..rng.below(3000) {
                d.insert(next_volatile, next_volatile);
                volatile.push(next_volatile);
                next_volatile += 1;
            }
            let seen = scan_with(&mut d, |d, _| {
                mid_rehash_calls += usize::from(d.is_rehashing());
                match rng.below(100) {
                    0..=2 => {
                        // Bulk insert: likely to trigger growth mid-scan.
                        let before = d.table_sizes();
                        for _ in 0..rng.below(1500) {
                            d.insert(next_volatile, next_volatile);
                            volatile.push(next_volatile);
                            next_volatile += 1;
                        }
                        grew += usize::from(d.table_sizes() != before);
                    }
                    3..=5 => {
                        // Bulk delete, then shrink if allowed.
                        let keep = rng.below(volatile.len() as u64 / 4 + 1) as usize;
                        for k in volatile.drain(keep..) {
                            assert_eq!(d.remove(&k), Some((k, k)));
                        }
                        shrank += usize::from(d.resize_if_needed());
                    }
                    6..=15 => {
                        d.rehash_steps(rng.below(50) as usize);
                    }
                    16..=30 => {
                        if let Some(k) = volatile.pop() {
                            d.remove(&k);
                        }
                    }
                    31..=35 => {
                        shrank += usize::from(d.resize_if_needed());
                    }
                    _ => {
                        // A few reads, each performing a rehash step.
                        for _ in 0..rng.below(5) {
                            let k = rng.below(stable);
                            assert_eq!(d.get_mut(&k), Some(&mut k.clone()));
                        }
                    }
                }
            });
            for k in 0..stable {
                assert!(seen.contains(&k), "seed {seed}: stable key {k} missed");
            }
            check_invariants(&d);
        }
        // The schedule really exercised what it claims to.
        assert!(
            grew > 20 && shrank > 20 && mid_rehash_calls > 1000,
            "{grew} {shrank} {mid_rehash_calls}"
        );
    }

    /// A more targeted schedule: grow by a large factor, then shrink, at
    /// chosen points of the scan, checking the guarantee each time.
    #[test]
    fn scan_guarantee_forced_resizes_at_every_phase() {
        for switch_at in [0usize, 1, 2, 3, 5, 8, 13, 40, 100] {
            for shrink_first in [false, true] {
                let mut d = fixed::<u64, u64>();
                for i in 0..64 {
                    d.insert(i, i);
                }
                if shrink_first {
                    for i in 10_000..20_000 {
                        d.insert(i, i);
                    }
                    while d.rehash_steps(100) {}
                }
                let seen = scan_with(&mut d, |d, call| {
                    if call == switch_at {
                        if shrink_first {
                            for i in 10_000..20_000 {
                                d.remove(&i);
                            }
                            assert!(d.resize_if_needed());
                        } else {
                            for i in 10_000..20_000 {
                                d.insert(i, i);
                            }
                        }
                        d.rehash_steps(3);
                    } else if call > switch_at {
                        d.rehash_steps(1);
                    }
                });
                for k in 0..64 {
                    assert!(
                        seen.contains(&k),
                        "switch {switch_at}/{shrink_first}: {k} missed"
                    );
                }
            }
        }
    }

    #[test]
    fn scan_keys_and_visit_bucket() {
        let mut d: Dict<u64, u64> = Dict::new();
        for i in 0..5000 {
            d.insert(i, i);
        }
        let mut all = HashSet::new();
        let mut cursor = 0;
        loop {
            let (next, keys) = d.scan_keys(cursor, 100);
            assert!(keys.len() >= 100 || next == 0);
            all.extend(keys);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(all.len(), 5000);

        // Active-expire pattern: linear cursor, collect, then delete.
        let mut d = fixed::<u64, u64>();
        for i in 0..1000 {
            d.insert(i, i);
        }
        let mut cursor = 0u64;
        let mut checked = 0;
        while !d.is_empty() {
            let mut expired = Vec::new();
            checked += d.visit_bucket(cursor, |k, _| {
                if k % 2 == 0 {
                    expired.push(*k);
                }
            });
            for k in expired {
                d.remove(&k);
            }
            cursor += 1;
            if cursor as usize > 4 * d.buckets() {
                break;
            }
        }
        assert!(checked > 0);
        assert!(d.iter().all(|(k, _)| k % 2 == 1));
        assert_eq!(d.len(), 500);
        assert_eq!(Dict::<u64, u64>::new().visit_bucket(0, |_, _| {}), 0);
    }

    #[test]
    fn random_entry_covers_keys_with_expected_frequencies() {
        seed_random(42);
        let mut d = fixed::<u64, u64>();
        for i in 0..100 {
            d.insert(i, i);
        }
        while d.rehash_steps(100) {}
        assert!(!d.is_rehashing());
        // Probability of a key: 1 / (non-empty buckets * its chain length).
        let mut chain_len: HashMap<u64, usize> = HashMap::new();
        let mut nonempty = 0;
        for b in d.ht[0].buckets.iter() {
            let mut keys = vec![];
            let mut cur = b.as_deref();
            while let Some(e) = cur {
                keys.push(e.key);
                cur = e.next.as_deref();
            }
            nonempty += usize::from(!keys.is_empty());
            for k in &keys {
                chain_len.insert(*k, keys.len());
            }
        }
        let draws = 200_000;
        let mut hits: HashMap<u64, usize> = HashMap::new();
        for _ in 0..draws {
            let (k, v) = d.random_entry().unwrap();
            assert_eq!(k, v);
            *hits.entry(*k).or_default() += 1;
        }
        assert_eq!(hits.len(), 100, "some key never drawn");
        for (k, &n) in &hits {
            let expected = draws as f64 / (nonempty * chain_len[k]) as f64;
            let sigma = expected.sqrt();
            assert!(
                (n as f64 - expected).abs() < 6.0 * sigma + 5.0,
                "key {k}: {n} draws, expected {expected:.0}"
            );
        }
    }

    #[test]
    fn fair_random_entry_and_sampling_cover_all_keys() {
        seed_random(7);
        let mut d = fixed::<u64, u64>();
        for i in 0..100 {
            d.insert(i, i);
        }
        let draws = 100_000;
        let mut hits: HashMap<u64, usize> = HashMap::new();
        for _ in 0..draws {
            let (k, _) = d.fair_random_entry().unwrap();
            *hits.entry(*k).or_default() += 1;
        }
        assert_eq!(hits.len(), 100);
        let mean = draws as f64 / 100.0;
        for (k, &n) in &hits {
            let r = n as f64 / mean;
            assert!((0.2..5.0).contains(&r), "key {k}: {n} draws, mean {mean}");
        }

        let sample = d.some_entries(10);
        assert!(!sample.is_empty() && sample.len() <= 10);
        assert!(sample.iter().all(|(k, v)| k == v && **k < 100));
        assert!(d.some_entries(0).is_empty());
        assert!(d.some_entries(1000).len() <= 100);

        // Mid-rehash (grow) sampling still reaches keys in both tables.
        for i in 100..129 {
            d.insert(i, i);
        }
        assert!(d.is_rehashing());
        let mut seen = HashSet::new();
        for _ in 0..50_000 {
            // Draw without rehash steps to keep both tables populated.
            let e = d.pick_random().unwrap();
            seen.insert(e.key);
            for e in d.sample_some(5) {
                assert!(d.contains_key(&e.key));
            }
        }
        assert_eq!(seen.len(), 129);
        assert!(d.is_rehashing());
        let mut empty: Dict<u64, u64> = Dict::new();
        assert!(empty.random_entry().is_none());
        assert!(empty.fair_random_entry().is_none());
        assert!(empty.some_entries(5).is_empty());
    }

    #[test]
    fn rehash_steps_do_bounded_work() {
        let mut d = fixed::<u64, u64>();
        for i in 0..5000 {
            d.insert(i, i);
        }
        while d.rehash_steps(100) {}
        for i in 10..5000 {
            d.remove(&i);
        }
        assert!(d.resize_if_needed());
        let big = d.ht[0].size();
        assert_eq!(big, 8192);
        assert_eq!(d.ht[1].size(), INITIAL_SIZE.max(16));
        let nonempty = |d: &Dict<u64, u64, Fixed>| d.ht[0].buckets.iter().flatten().count();
        let mut calls = 0;
        loop {
            let (idx, before) = (d.rehash_idx, nonempty(&d));
            let more = d.rehash_steps(1);
            calls += 1;
            if !more {
                break;
            }
            // One step: at most 10 empty buckets skipped, one bucket moved.
            assert!(d.rehash_idx <= idx + 11, "{idx} -> {}", d.rehash_idx);
            assert!(before - nonempty(&d) <= 1);
        }
        assert!(calls >= big / 11 - 10, "rehash finished in {calls} calls");
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 16);
        assert_eq!(d.len(), 10);
        check_invariants(&d);

        // rehash_for with a zero budget still makes one batch of progress.
        for i in 0..20_000 {
            d.insert(i, i);
        }
        if d.is_rehashing() {
            let before = d.ht[0].used;
            assert!(d.rehash_for(Duration::ZERO) >= REHASH_BATCH || !d.is_rehashing());
            assert!(d.ht[0].used < before || !d.is_rehashing());
        }
        d.rehash_for(Duration::from_secs(10));
        assert!(!d.is_rehashing());
        assert_eq!(d.rehash_for(Duration::ZERO), 0);
        assert!(!d.rehash_steps(10));
    }

    #[test]
    fn resize_policy_avoid_forbid_enable() {
        let _guard = PolicyGuard;
        let mut d = fixed::<u64, u64>();
        for i in 0..3 {
            d.insert(i, i);
        }
        assert_eq!(d.buckets(), 4);
        set_resize_allowed(false);
        assert_eq!(resize_policy(), ResizePolicy::Avoid);
        // Growth only once used / buckets > 5, i.e. with 24 entries in 4.
        for i in 3..24 {
            d.insert(i, i);
            assert_eq!(d.buckets(), 4, "grew at {i} under Avoid");
        }
        d.insert(24, 24);
        assert_eq!(d.table_sizes(), [4, 32]);
        // Ratio 8 >= 5: the forced rehash proceeds even under Avoid.
        while d.rehash_steps(10) {}
        assert_eq!(d.table_sizes(), [32, 0]);
        assert!(!d.shrink_to_fit());

        // A mild growth started under Enable stalls under Avoid.
        set_resize_allowed(true);
        for i in 25..32 {
            d.insert(i, i);
        }
        d.insert(32, 32);
        assert_eq!(d.table_sizes(), [32, 64]);
        set_resize_policy(ResizePolicy::Avoid);
        let used0 = d.ht[0].used;
        assert!(!d.rehash_steps(100));
        d.get_mut(&1);
        assert_eq!(d.ht[0].used, used0);
        for i in 0..33 {
            assert_eq!(d.get(&i), Some(&i));
        }

        // Forbid: nothing grows or moves, but everything stays correct.
        set_resize_policy(ResizePolicy::Forbid);
        for i in 33..2000 {
            d.insert(i, i);
        }
        assert_eq!(d.table_sizes(), [32, 64]);
        assert_eq!(d.ht[0].used, used0);
        for i in 0..2000 {
            assert_eq!(d.get(&i), Some(&i));
        }
        for i in 1000..2000 {
            assert_eq!(d.remove(&i), Some((i, i)));
        }
        assert!(!d.resize_if_needed());
        check_invariants(&d);

        // Enable: the rehash resumes, growth and shrink work again.
        set_resize_policy(ResizePolicy::Enable);
        while d.rehash_steps(100) {}
        for i in 1000..2000 {
            d.insert(i, i);
        }
        while d.rehash_steps(100) {}
        assert!(d.len() <= d.buckets());
        for i in 10..2000 {
            d.remove(&i);
        }
        assert!(d.resize_if_needed());
        while d.rehash_steps(100) {}
        assert_eq!(d.buckets(), 16);
        check_invariants(&d);
    }

    #[test]
    fn expand_veto_and_explicit_expand() {
        let mut d = fixed::<u64, u64>();
        fn never(_: usize, _: f64) -> bool {
            false
        }
        d.set_expand_allowed(Some(never));
        for i in 0..100 {
            d.insert(i, i);
        }
        assert_eq!(d.buckets(), 4);
        d.set_expand_allowed(None);
        assert!(!d.expand(50), "smaller than len");
        assert!(d.expand(1000));
        assert!(!d.expand(5000), "already rehashing");
        assert_eq!(d.table_sizes(), [4, 1024]);
        assert!(!d.expand(usize::MAX));
        while d.rehash_steps(10) {}
        assert!(!d.expand(1000), "same size");
        let mut e = fixed::<u64, u64>();
        assert!(e.expand(100_000));
        assert_eq!(e.table_sizes(), [131_072, 0]);
        for i in 0..100_000 {
            e.insert(i, i);
        }
        assert_eq!(e.table_sizes(), [131_072, 0]);
        assert!(!e.expand(usize::MAX / 2), "allocation too large is refused");
    }

    #[test]
    fn iterators_clear_take_drain_clone() {
        let mut d = fixed::<u64, String>();
        for i in 0..300 {
            d.insert(i, i.to_string());
        }
        assert!(d.is_rehashing());
        assert_eq!(d.iter().len(), 300);
        let keys: HashSet<u64> = d.keys().copied().collect();
        assert_eq!(keys.len(), 300);
        for (k, v) in d.iter_mut() {
            v.push_str(&format!("-{k}"));
        }
        assert_eq!(d.get(&7).map(String::as_str), Some("7-7"));
        assert_eq!((&d).into_iter().count(), 300);

        let c = d.clone();
        assert_eq!(c.table_sizes(), d.table_sizes());
        assert_eq!(c.len(), 300);
        check_invariants(&c);
        assert!(c.iter().all(|(k, v)| d.get(k) == Some(v)));

        let taken = d.take();
        assert!(d.is_empty() && d.buckets() == 0);
        assert_eq!(taken.len(), 300);
        d.insert(1, "x".into());
        assert_eq!(d.len(), 1);
        d.clear();
        assert!(d.is_empty() && d.buckets() == 0 && d.get(&1).is_none());

        let mut c2 = c.clone();
        let mut drained: Vec<u64> = c2.drain().map(|(k, _)| k).collect();
        drained.sort_unstable();
        assert_eq!(drained, (0..300).collect::<Vec<_>>());
        assert!(c2.is_empty());
        // Partially consumed owning iterators free the rest.
        let mut it = c.into_iter();
        assert_eq!(it.len(), 300);
        it.next();
        assert_eq!(it.len(), 299);
        drop(it);
        drop(taken);
        assert!(format!("{d:?}").starts_with('{'));
    }

    #[test]
    fn stats_string_format() {
        let mut d = fixed::<u64, u64>();
        assert_eq!(
            d.stats_string(),
            "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
        );
        for i in 0..4 {
            d.insert(i, i);
        }
        let s = d.stats_string();
        assert!(s.starts_with("Hash table 0 stats (main hash table):\n table size: 4\n"));
        assert!(s.contains(" number of elements: 4\n"));
        assert!(s.contains(" Chain length distribution:\n"));
        d.insert(4, 4);
        let s = d.stats_string();
        assert!(s.contains("Hash table 1 stats (rehashing target):"), "{s}");
        assert!(s.contains(" table size: 8\n"));
    }

    #[test]
    fn constant_hash_long_chains() {
        let mut d: Dict<u32, u32, ConstState> = Dict::default();
        for i in 0..600 {
            d.insert(i, i);
        }
        for i in 0..600 {
            assert_eq!(d.get(&i), Some(&i));
        }
        let mut cursor = 0;
        let mut seen = HashSet::new();
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 600);
        seed_random(3);
        let mut drawn = HashSet::new();
        for _ in 0..20_000 {
            drawn.insert(*d.random_entry().unwrap().0);
        }
        assert!(drawn.len() > 590);
        for i in (0..600).step_by(2) {
            assert_eq!(d.remove(&i), Some((i, i)));
        }
        check_invariants(&d);
        let s = d.stats_string();
        assert!(s.contains(" max chain length: 300\n"), "{s}");
    }

    #[test]
    fn dropping_a_million_entry_chain_does_not_recurse() {
        fn long_chain() -> Dict<u32, u32, ConstState> {
            let mut d: Dict<u32, u32, ConstState> = Dict::default();
            d.insert(0, 0);
            let n = 1_000_000u32;
            let mut head = d.ht[0].buckets[7 & 3].take();
            for i in 1..n {
                head = Some(Box::new(Entry {
                    key: i,
                    value: i,
                    next: head,
                }));
            }
            d.ht[0].buckets[3] = head;
            d.ht[0].used = n as usize;
            d
        }
        drop(long_chain());
        let d = long_chain();
        let c = d.clone();
        assert_eq!(c.len(), 1_000_000);
        drop(d);
        let mut it = c.into_iter();
        it.next();
        drop(it);
        let mut d = long_chain();
        d.clear();
        drop(long_chain().drain());
    }

    /// Random operation sequences against a `HashMap` model, with policy
    /// changes, sampling and scans thrown in: nothing panics, contents agree.
    #[test]
    fn differential_fuzz_against_hashmap() {
        let _guard = PolicyGuard;
        for seed in 0..12u64 {
            let mut rng = Rng(seed * 7919);
            seed_random(seed);
            let mut d: Dict<u16, u32> = Dict::new();
            let mut model: HashMap<u16, u32> = HashMap::new();
            let mut cursor = 0u64;
            for step in 0..40_000u32 {
                let k = rng.below(if step % 10_000 < 5_000 { 4096 } else { 300 }) as u16;
                match rng.below(100) {
                    0..=39 => assert_eq!(d.insert(k, step), model.insert(k, step)),
                    40..=59 => assert_eq!(d.remove(&k).map(|e| e.1), model.remove(&k)),
                    60..=69 => assert_eq!(d.get(&k), model.get(&k)),
                    70..=74 => assert_eq!(d.get_mut(&k).copied(), model.get(&k).copied()),
                    75..=77 => {
                        let fresh = !model.contains_key(&k);
                        assert_eq!(d.insert_new(k, step).is_ok(), fresh);
                        model.entry(k).or_insert(step);
                    }
                    78..=79 => {
                        let (v, created) = d.get_or_insert_with(k, || step);
                        assert_eq!(created, !model.contains_key(&k));
                        assert_eq!(*v, *model.entry(k).or_insert(step));
                    }
                    80..=84 => match d.random_entry() {
                        Some((k, v)) => assert_eq!(model.get(k), Some(v)),
                        None => assert!(model.is_empty()),
                    },
                    85 => {
                        for (k, v) in d.some_entries(rng.below(30) as usize) {
                            assert_eq!(model.get(k), Some(v));
                        }
                        if let Some((k, v)) = d.fair_random_entry() {
                            assert_eq!(model.get(k), Some(v));
                        }
                    }
                    86..=88 => {
                        cursor = d.scan(cursor, |k, v| assert_eq!(model.get(k), Some(v)));
                    }
                    89 => {
                        d.resize_if_needed();
                    }
                    90 => {
                        d.rehash_steps(rng.below(20) as usize);
                    }
                    91 => {
                        let p = [
                            ResizePolicy::Enable,
                            ResizePolicy::Enable,
                            ResizePolicy::Avoid,
                            ResizePolicy::Forbid,
                        ];
                        set_resize_policy(p[rng.below(4) as usize]);
                    }
                    92 => {
                        d.expand(rng.below(10_000) as usize);
                    }
                    93 => {
                        d.shrink_to_fit();
                    }
                    94 if rng.below(50) == 0 => {
                        if rng.below(2) == 0 {
                            d.clear();
                        } else {
                            drop(d.take());
                        }
                        model.clear();
                    }
                    _ => {
                        d.visit_bucket(rng.next(), |k, v| assert_eq!(model.get(k), Some(v)));
                    }
                }
                assert_eq!(d.len(), model.len());
                if step % 5000 == 0 {
                    check_invariants(&d);
                }
            }
            check_invariants(&d);
            let got: HashMap<u16, u32> = d.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(got, model);
            set_resize_policy(ResizePolicy::Enable);
        }
    }
}
