//! The keyspace: the dict, values, and databases (~ Redis's `dict.c`,
//! `object.c`, `db.c`), and the data type encodings (`intset.c`, the
//! `setType*` half of `t_set.c`, the `zsl*`/`zzl*` half of `t_zset.c`, `hyperloglog.c`).

pub mod compact;
pub mod dict;
pub mod embstr;
pub mod geohash;
pub mod hash;
pub mod hyperloglog;
pub mod intset;
pub mod keyspace;
pub mod listpack;
pub mod quicklist;
pub mod set;
pub mod skiplist;
pub mod small_bytes;
pub mod stream;
pub mod value;
pub mod zset;

pub use compact::Enc;
pub use hash::HashValue;
pub use keyspace::{Db, Key, ReplicaExpiry};
pub use quicklist::Quicklist;
pub use set::SetValue;
pub use value::{RObj, RStr, Value};
pub use zset::ZSetValue;
