//! RESP: the request parser and the reply encoder (~ the protocol half of
//! Redis's `networking.c`).

pub mod parser;
pub mod reply;
