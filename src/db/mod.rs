//! The keyspace: the dict, values, and databases (~ Redis's `dict.c`,
//! `object.c`, `db.c`).

pub mod dict;
pub mod hash;
pub mod keyspace;
pub mod listpack;
pub mod value;

pub use hash::HashValue;
pub use keyspace::{Db, Key};
pub use value::{RObj, RStr, Value};
