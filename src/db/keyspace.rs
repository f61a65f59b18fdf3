//! One logical database: the main dict plus the expires dict, with lazy
//! expiry on access (~ Redis's `db.c` and the lazy half of `expire.c`).
//!
//! # Invariants
//! - Every key in `expires` is also in `dict` (an expire is removed whenever
//!   its key is deleted or overwritten without KEEPTTL).
//! - No lookup ever returns a value whose deadline has passed: every read and
//!   write path goes through [`Db::expire_if_needed`] first (Redis's
//!   `expireIfNeeded`), which deletes the key and records it in
//!   `lazy_expired` so the server can propagate a `DEL` and count it.
//! - `now_ms` is passed in (the command's time snapshot), never read here, so
//!   one command sees one consistent clock and tests are deterministic.

use super::dict::Dict;
use super::value::RObj;

/// Key bytes as stored in the dicts: inline up to 15 bytes, so most keys
/// cost no allocation of their own (see `small_bytes`).
pub type Key = super::small_bytes::SmallBytes;

pub struct Db {
    pub id: usize,
    pub dict: Dict<Key, RObj>,
    pub expires: Dict<Key, i64>,
    /// Active expiry: cursor into `expires` (Redis's `expires_cursor`).
    pub expires_cursor: u64,
    /// Running estimate of the average TTL of keys sampled by the active
    /// expiry cycle (reported in INFO keyspace as `avg_ttl`).
    pub avg_ttl: i64,
    /// Keys deleted by lazy expiry since the server last drained this list.
    pub lazy_expired: Vec<Key>,
    /// Slowest of those deletions, ms (the latency monitor's `expire-del`).
    pub lazy_expire_del_ms: u64,
    /// Nothing expires while the dataset is being loaded (an AOF replays a
    /// key's history, which must not be cut short by its final TTL).
    pub expire_paused: bool,
    /// How expiry behaves on a replica (see `replication.rs`).
    pub replica_expiry: ReplicaExpiry,
}

/// Expiry on a replica: only the master deletes keys whose TTL passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplicaExpiry {
    /// A master: expired keys are deleted when touched.
    #[default]
    Normal,
    /// A replica serving an ordinary client: expired keys look absent but
    /// stay (the master will send their DEL).
    Hide,
    /// A replica applying its master's stream: TTLs are ignored, keys exist
    /// until the master deletes them.
    Master,
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            dict: Dict::new(),
            expires: Dict::new(),
            expires_cursor: 0,
            avg_ttl: 0,
            lazy_expired: Vec::new(),
            lazy_expire_del_ms: 0,
            expire_paused: false,
            replica_expiry: ReplicaExpiry::Normal,
        }
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.len() == 0
    }

    /// The absolute expire time of `key` in ms, if it has one.
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Has `key` passed its deadline (without deleting it)?
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        !self.expire_paused
            && self.replica_expiry != ReplicaExpiry::Master
            && matches!(self.get_expire(key), Some(when) if when <= now_ms)
    }

    /// Delete `key` if it has expired. Returns true when it was deleted.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        if !self.is_expired(key, now_ms) {
            return false;
        }
        if self.replica_expiry == ReplicaExpiry::Hide {
            return true;
        }
        // Timed: freeing a big expired value stalls the command that
        // touched it (Redis's `expire-del` latency event).
        let start = std::time::Instant::now();
        if let Some((k, value)) = self.dict.remove(key) {
            self.expires.remove(key);
            drop(value);
            self.lazy_expired.push(k);
        }
        let ms = start.elapsed().as_millis() as u64;
        self.lazy_expire_del_ms = self.lazy_expire_del_ms.max(ms);
        true
    }

    /// Look a key up for reading or writing, expiring it first if needed.
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<&mut RObj> {
        if self.expire_if_needed(key, now_ms) && self.replica_expiry == ReplicaExpiry::Hide {
            return None;
        }
        self.dict.get_mut(key)
    }

    /// Look a key up without touching expiry (the caller already did).
    pub fn peek(&self, key: &[u8]) -> Option<&RObj> {
        self.dict.get(key)
    }

    /// Does the key exist (expiring it first if needed)?
    pub fn exists(&mut self, key: &[u8], now_ms: i64) -> bool {
        if self.expire_if_needed(key, now_ms) && self.replica_expiry == ReplicaExpiry::Hide {
            return false;
        }
        self.dict.contains_key(key)
    }

    /// Redis's `setKey`: add or overwrite; the old TTL is dropped unless
    /// `keep_ttl`. Returns true if the key existed.
    pub fn set(&mut self, key: &[u8], obj: RObj, keep_ttl: bool) -> bool {
        let existed = if let Some(slot) = self.dict.get_mut(key) {
            *slot = obj;
            true
        } else {
            self.dict.insert(key.into(), obj);
            false
        };
        if existed && !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        existed
    }

    /// [`Db::set`] taking the key by value, so a new key is stored without
    /// copying it (the hot path of SET).
    pub fn set_owned(&mut self, key: Vec<u8>, obj: RObj, keep_ttl: bool) -> bool {
        if let Some(slot) = self.dict.get_mut(&key[..]) {
            *slot = obj;
            if !keep_ttl && !self.expires.is_empty() {
                self.expires.remove(&key[..]);
            }
            true
        } else {
            self.dict.insert(key.into(), obj);
            false
        }
    }

    /// Add a key that is known not to exist.
    pub fn add(&mut self, key: Key, obj: RObj) {
        self.dict.insert(key, obj);
    }

    /// Delete a key and its expire. Returns the value if it existed.
    pub fn delete(&mut self, key: &[u8]) -> Option<RObj> {
        let (_, v) = self.dict.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(v)
    }

    /// Set an absolute expire time on an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if let Some(slot) = self.expires.get_mut(key) {
            *slot = when_ms;
        } else if self.dict.contains_key(key) {
            self.expires.insert(key.into(), when_ms);
        }
    }

    /// Remove the expire of a key. Returns true if it had one.
    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// Remove every key. Returns how many were removed.
    pub fn flush(&mut self) -> usize {
        let n = self.dict.len();
        self.dict = Dict::new();
        self.expires = Dict::new();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
        n
    }

    /// A random key that is not expired (Redis's `dbRandomKey`): keys found
    /// expired along the way are deleted. Gives up after a bounded number of
    /// tries when every key is volatile and expired-but-not-yet-deleted.
    pub fn random_key(&mut self, now_ms: i64) -> Option<Key> {
        let mut tries = 0;
        loop {
            let key: Key = match self.dict.fair_random_entry() {
                Some((k, _)) => k.clone(),
                None => return None,
            };
            if self.expires.len() == self.dict.len() {
                tries += 1;
                if tries >= 100 {
                    // Every key is volatile: return this one even if
                    // logically expired, as Redis does on replicas.
                    return Some(key);
                }
            }
            if self.expire_if_needed(&key, now_ms) {
                continue;
            }
            return Some(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::value::RStr;

    fn s(v: &str) -> RObj {
        RObj::string(RStr::from_bytes(v.as_bytes().to_vec()), 0)
    }

    #[test]
    fn lazy_expiry_never_returns_stale_values() {
        let mut db = Db::new(0);
        db.set(b"k", s("v"), false);
        db.set_expire(b"k", 1000);
        assert!(db.lookup(b"k", 999).is_some());
        assert!(db.lookup(b"k", 1000).is_none());
        assert_eq!(db.lazy_expired.len(), 1);
        assert_eq!(db.len(), 0);
        assert!(db.expires.is_empty());
    }

    #[test]
    fn overwrite_drops_ttl_unless_kept() {
        let mut db = Db::new(0);
        db.set(b"k", s("v"), false);
        db.set_expire(b"k", 5000);
        db.set(b"k", s("w"), true);
        assert_eq!(db.get_expire(b"k"), Some(5000));
        db.set(b"k", s("x"), false);
        assert_eq!(db.get_expire(b"k"), None);
    }

    #[test]
    fn expire_needs_the_key() {
        let mut db = Db::new(0);
        db.set_expire(b"nokey", 5);
        assert!(db.expires.is_empty());
    }

    #[test]
    fn random_key_skips_expired() {
        let mut db = Db::new(0);
        db.set(b"a", s("1"), false);
        db.set(b"b", s("2"), false);
        db.set_expire(b"b", 10);
        for _ in 0..50 {
            assert_eq!(&*db.random_key(100).unwrap(), b"a");
        }
    }
}
