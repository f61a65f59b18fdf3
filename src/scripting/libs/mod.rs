//! The extra Lua libraries Redis embeds (Redis's `deps/lua/src/lua_*.c`),
//! written in Rust against mlua: `bit` (LuaBitOp), `cjson` (lua-cjson),
//! `cmsgpack` (lua-cmsgpack) and `struct` (Roberto Ierusalimschy's struct).
//! Each `open` returns the library table; `lua.rs` installs and protects it.

pub mod bit;
pub mod capi;
pub mod cjson;
pub mod cmsgpack;
pub mod lua_struct;
