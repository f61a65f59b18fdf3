//! Values stored in the keyspace (~ `robj` in Redis's `object.c`).
//!
//! A key maps to an [`RObj`]: the typed value plus the access metadata
//! Redis keeps in the object header (the 24-bit LRU clock, or LFU counter).
//! Strings keep Redis's three encodings so `OBJECT ENCODING` answers the same:
//! `int` (a 64-bit integer, also the fast path for INCR), `embstr` (short
//! strings created whole, up to 44 bytes) and `raw` (everything else, and any
//! string that was modified in place by APPEND or SETRANGE).
//!
//! Hashes are [`Value::Hash`] (see `hash.rs`: `listpack` or `hashtable`),
//! sets are [`Value::Set`] (see `set.rs`: `intset` or `hashtable`).
//! sorted sets are [`Value::ZSet`] (see `zset.rs`: `listpack` or `skiplist`),
//! lists are [`Value::List`] (see `quicklist.rs`: always `quicklist`).
//! streams are [`Value::Stream`] (see `stream.rs`: always `stream`).

use super::embstr::EmbStr;
use super::hash::HashValue;
use super::quicklist::Quicklist;
use super::set::SetValue;
use super::stream::Stream;
use super::zset::ZSetValue;
use crate::util::numbers;

/// Longest string stored with the `embstr` encoding
/// (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// A string value with its Redis encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RStr {
    /// `int`: the string is the canonical decimal form of this integer.
    Int(i64),
    /// `embstr`: created in one piece and never modified in place; up to
    /// 7 bytes kept inside the value itself (no allocation), see `embstr.rs`.
    Emb(EmbStr),
    /// `raw`: a growable buffer (boxed, so the value stays one word).
    Raw(Box<Vec<u8>>),
}

impl RStr {
    /// Build a string the way Redis's `tryObjectEncoding` leaves it after
    /// SET: integers that round-trip become `int`, short strings `embstr`.
    pub fn from_bytes(v: Vec<u8>) -> RStr {
        if v.len() <= 20 {
            if let Some(n) = numbers::parse_i64(&v) {
                return RStr::Int(n);
            }
        }
        if v.len() <= EMBSTR_SIZE_LIMIT {
            RStr::Emb(EmbStr::new(&v))
        } else {
            RStr::raw(v)
        }
    }

    /// [`RStr::from_bytes`] from borrowed bytes: a short string is copied
    /// into the value itself (no allocation up to 7 bytes), so the caller
    /// keeps its argument intact (SLOWLOG and MONITOR still see it).
    pub fn from_slice(v: &[u8]) -> RStr {
        if v.len() <= 20 {
            if let Some(n) = numbers::parse_i64(v) {
                return RStr::Int(n);
            }
        }
        if v.len() <= EMBSTR_SIZE_LIMIT {
            RStr::Emb(EmbStr::new(v))
        } else {
            RStr::raw(v.to_vec())
        }
    }

    /// A `raw` string holding `v`.
    pub fn raw(v: Vec<u8>) -> RStr {
        RStr::Raw(Box::new(v))
    }

    /// The bytes of an `embstr` or `raw` string; None for `int`.
    pub fn as_plain_bytes(&self) -> Option<&[u8]> {
        match self {
            RStr::Int(_) => None,
            RStr::Emb(v) => Some(v),
            RStr::Raw(v) => Some(v),
        }
    }

    /// Length in bytes of the string form.
    pub fn len(&self) -> usize {
        match self {
            RStr::Int(n) => numbers::digits10(n.unsigned_abs()) + usize::from(*n < 0),
            RStr::Emb(v) => v.len(),
            RStr::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string form (allocates only for `int`).
    pub fn to_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            RStr::Int(n) => std::borrow::Cow::Owned(n.to_string().into_bytes()),
            RStr::Emb(v) => std::borrow::Cow::Borrowed(v),
            RStr::Raw(v) => std::borrow::Cow::Borrowed(v),
        }
    }

    /// Turn into a mutable `raw` buffer (Redis's `dbUnshareStringValue`).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, RStr::Raw(_)) {
            let bytes = match std::mem::replace(self, RStr::Int(0)) {
                RStr::Int(n) => n.to_string().into_bytes(),
                RStr::Emb(v) => v.to_vec(),
                RStr::Raw(v) => *v,
            };
            *self = RStr::raw(bytes);
        }
        match self {
            RStr::Raw(v) => v,
            _ => unreachable!("just converted to raw"),
        }
    }

    /// Redis's encoding name.
    pub fn encoding(&self) -> &'static str {
        match self {
            RStr::Int(_) => "int",
            RStr::Emb(_) => "embstr",
            RStr::Raw(_) => "raw",
        }
    }

    /// Approximate heap bytes owned (for memory accounting and MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            RStr::Int(_) => 0,
            RStr::Emb(v) => v.heap_size(),
            RStr::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}

/// A typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(RStr),
    Hash(HashValue),
    /// Boxed: a set (two dict tables) is much larger than the other
    /// variants, and every key pays for the largest variant.
    Set(Box<SetValue>),
    /// Inline like a hash: a small sorted set is one listpack, and a box
    /// would cost every such key another allocation.
    ZSet(ZSetValue),
    /// Boxed for the same reason.
    List(Box<Quicklist>),
    /// Boxed: node index, counters and consumer groups (see `stream.rs`).
    Stream(Box<Stream>),
}

impl Value {
    /// The list inside, if this is a list.
    pub fn list_mut(&mut self) -> Option<&mut Quicklist> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The stream inside, if this is a stream.
    pub fn stream_mut(&mut self) -> Option<&mut Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    /// The set inside, if this is a set.
    pub fn set_mut(&mut self) -> Option<&mut SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The sorted set inside, if this is a sorted set.
    pub fn zset_mut(&mut self) -> Option<&mut ZSetValue> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// How many allocations freeing this value takes, Redis's estimate
    /// (`lazyfreeGetFreeEffort`): UNLINK frees in the background only
    /// what costs more than 64.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::List(ql) => ql.node_count(),
            Value::Set(s) if s.as_intset().is_none() => s.len(),
            Value::ZSet(z) if z.as_listpack().is_none() => z.len(),
            Value::Hash(h) if h.as_listpack().is_none() => h.len(),
            Value::Stream(s) => {
                // Every node is an allocation; each group and its PEL
                // entries too, the first group's PEL standing for all.
                let mut effort = s.rax_nodes();
                if let Some(cg) = s.cgroups.values().next() {
                    effort += s.cgroups.len() * (1 + cg.pel.len());
                }
                effort
            }
            _ => 1,
        }
    }

    /// The TYPE command's name for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            // Redis 7.0 has no other list encoding, however short the list.
            Value::List(_) => "quicklist",
            Value::Stream(_) => "stream",
        }
    }
}

/// The value of one key plus its access metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct RObj {
    pub value: Value,
    /// LRU clock (seconds, 24 bits) of the last access, or the LFU state
    /// (16 bits of minutes << 8 | 8-bit log counter) when an LFU policy is set.
    pub lru: u32,
}

impl RObj {
    pub fn new(value: Value, lru: u32) -> RObj {
        RObj { value, lru }
    }

    pub fn string(s: RStr, lru: u32) -> RObj {
        RObj {
            value: Value::Str(s),
            lru,
        }
    }

    pub fn as_str(&self) -> Option<&RStr> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str_mut(&mut self) -> Option<&mut RStr> {
        match &mut self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_set(&self) -> Option<&SetValue> {
        match &self.value {
            Value::Set(s) => Some(s),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut SetValue> {
        match &mut self.value {
            Value::Set(s) => Some(s),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// Largest value of the 24-bit LRU clock.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Initial LFU counter of a new object (LFU_INIT_VAL).
pub const LFU_INIT_VAL: u32 = 5;

/// Seconds since the object's last access, given the current LRU clock;
/// the clock wraps every 194 days (Redis's `estimateObjectIdleTime`).
pub fn lru_idle_seconds(lru: u32, clock: u32) -> u64 {
    if clock >= lru {
        (clock - lru) as u64
    } else {
        (clock as u64) + (LRU_CLOCK_MAX - lru) as u64
    }
}

/// LFU metadata for a new object created at minute `now_min`.
pub fn lfu_init(now_min: u32) -> u32 {
    ((now_min & 0xffff) << 8) | LFU_INIT_VAL
}

/// Minutes elapsed since the 16-bit minute stamp `ldt`, with wrap-around.
fn lfu_time_elapsed(ldt: u32, now_min: u32) -> u32 {
    let now = now_min & 0xffff;
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The LFU counter after applying decay: one unit per `decay_time` minutes
/// since the last access (Redis's `LFUDecrAndReturn`).
pub fn lfu_decr_and_return(lru: u32, now_min: u32, decay_time: u64) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let periods = (lfu_time_elapsed(ldt, now_min) as u64)
        .checked_div(decay_time)
        .unwrap_or(0);
    if periods > counter as u64 {
        0
    } else {
        counter - periods as u32
    }
}

thread_local! {
    static LFU_RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0x9E37_79B9_7F4A_7C15) };
}

fn lfu_random() -> f64 {
    LFU_RNG.with(|s| {
        // xorshift64*: plenty for a probabilistic counter.
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Logarithmic increment of the 8-bit LFU counter: the higher the counter,
/// the less likely an access increments it (Redis's `LFULogIncr`).
pub fn lfu_log_incr(counter: u32, log_factor: u64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if lfu_random() < p {
        counter + 1
    } else {
        counter
    }
}

/// Update LFU metadata on access (Redis's `updateLFU`).
pub fn lfu_touch(lru: u32, now_min: u32, log_factor: u64, decay_time: u64) -> u32 {
    let c = lfu_decr_and_return(lru, now_min, decay_time);
    let c = lfu_log_incr(c, log_factor);
    ((now_min & 0xffff) << 8) | c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(RStr::from_bytes(b"123".to_vec()).encoding(), "int");
        assert_eq!(
            RStr::from_bytes(b"-9223372036854775808".to_vec()).encoding(),
            "int"
        );
        assert_eq!(RStr::from_bytes(b"007".to_vec()).encoding(), "embstr");
        assert_eq!(RStr::from_bytes(b" 1".to_vec()).encoding(), "embstr");
        assert_eq!(RStr::from_bytes(vec![b'a'; 44]).encoding(), "embstr");
        assert_eq!(RStr::from_bytes(vec![b'a'; 45]).encoding(), "raw");
        let mut s = RStr::from_bytes(b"12".to_vec());
        s.make_raw().push(b'3');
        assert_eq!(s, RStr::raw(b"123".to_vec()));
        assert_eq!(RStr::Int(-15).len(), 3);
    }

    /// Every key pays for the largest `Value` variant: every variant is one
    /// word (boxed, or folded into one pointer like `compact.rs`), so the
    /// value is 16 bytes, the object 24 with its LRU clock, and a key's
    /// dict entry fits jemalloc's 48-byte class (key 16 + object 24 +
    /// next 8).
    #[test]
    fn value_stays_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<RObj>(), 24);
        assert_eq!(
            crate::db::dict::Dict::<crate::db::Key, RObj>::ENTRY_SIZE,
            48
        );
    }

    #[test]
    fn lru_and_lfu_arithmetic() {
        assert_eq!(lru_idle_seconds(100, 160), 60);
        assert_eq!(lru_idle_seconds(LRU_CLOCK_MAX - 10, 5), 15);
        let o = lfu_init(1000);
        assert_eq!(o & 255, LFU_INIT_VAL);
        // 3 minutes later with decay 1: counter drops by 3.
        assert_eq!(lfu_decr_and_return(o, 1003, 1), LFU_INIT_VAL - 3);
        assert_eq!(lfu_decr_and_return(o, 1003, 0), LFU_INIT_VAL);
        // With log factor 0 every access increments.
        let mut v = o;
        for _ in 0..10 {
            v = lfu_touch(v, 1000, 0, 1);
        }
        assert_eq!(v & 255, LFU_INIT_VAL + 10);
        assert_eq!(lfu_log_incr(255, 10), 255);
    }
}
