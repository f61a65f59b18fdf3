//! The keyspace: the dict, values, and databases (~ Redis's `dict.c`,
//! `object.c`, `db.c`), and the data type encodings (`intset.c`).

pub mod dict;
pub mod intset;
pub mod keyspace;
pub mod value;

pub use keyspace::{Db, Key};
pub use value::{RObj, RStr, Value};
