//! Text-only chunk loading: every piece of code that reaches `lua_load` is
//! parsed as Lua source, never undumped as bytecode (~ Redis's patched
//! `f_parser` in `deps/lua/src/ldo.c`, which always calls the parser).
//!
//! # The problem
//! Stock Lua 5.1 picks the loader from the first byte of a chunk: ESC
//! (`"\27"`, `LUA_SIGNATURE[0]`) selects `luaU_undump`, which trusts its
//! input. Hand-made bytecode breaks out of any sandbox (CVE-2015-4335), and a
//! corrupt size field makes the undumper ask the allocator for exabytes,
//! which aborts the whole server. `string.dump` is part of the string
//! library scripts get, so producing bytecode is one call away.
//!
//! # The idea
//! Our interpreter is the unpatched Lua mlua vendors, but only the
//! look-ahead in `f_parser` treats a leading ESC specially: the lexer reads
//! it as an ordinary (unexpected) character. So whenever a chunk starts
//! with ESC we hand Lua one extra space first. The look-ahead sees the
//! space and takes the parser, the lexer skips the blank and then reports
//! the ESC exactly as Redis's interpreter does: `<chunk>:1: unexpected
//! symbol near 'char(27)'`, same line (a space is not a line break), same
//! chunk name. Everything that does not start with ESC loads unchanged.
//!
//! # The paths into `lua_load`
//! - EVAL / SCRIPT LOAD bodies (`lua::compile`) and FUNCTION LOAD bodies
//!   (`functions::run_library`) go through [`as_text`], and are loaded with
//!   mlua's `ChunkMode::Text` as a second lock.
//! - The script-visible `loadstring(s [, name])` and `load(reader [,
//!   name])` are the C functions [`loadstring`] and [`load`] below, which
//!   follow the base library's `luaB_loadstring` / `luaB_load` (same
//!   argument checks, same `nil, message` on failure, same chunk names) and
//!   insert the space. For `load`, only the first piece the reader returns
//!   decides (that is the byte the look-ahead sees), however the rest of
//!   the chunk is split. Loaded functions get the scripts' protected
//!   globals as their environment.
//! - `dofile`, `loadfile` and `require` do not exist in the sandbox (no io
//!   or package library; `lua.rs` removes the first two from the base
//!   library), and `debug` is removed before any script runs.

use std::borrow::Cow;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use mlua::ffi;

/// The byte that makes stock Lua undump a chunk (`LUA_SIGNATURE[0]`).
const ESC: u8 = 0x1b;

/// What a chunk starting with ESC is prefixed with.
const BLANK: &[u8] = b" ";

/// Registry key of the environment loaded chunks get (set by `lua.rs`).
const ENV_KEY: &[u8] = b"redis_env\0";

/// `code` as the parser must see it: unchanged, or with a leading space
/// when it starts with ESC, so that it can only be parsed as text.
pub fn as_text(code: &[u8]) -> Cow<'_, [u8]> {
    if code.first() == Some(&ESC) {
        let mut v = Vec::with_capacity(code.len() + 1);
        v.extend_from_slice(BLANK);
        v.extend_from_slice(code);
        Cow::Owned(v)
    } else {
        Cow::Borrowed(code)
    }
}

/// Pieces handed to `lua_load` in order (for `loadstring`): at most the
/// blank and the string itself, both alive on the Lua stack or static.
struct Pieces {
    items: [(*const c_char, usize); 2],
    next: usize,
}

unsafe extern "C-unwind" fn pieces_reader(
    _state: *mut ffi::lua_State,
    ud: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    let p = &mut *(ud as *mut Pieces);
    match p.items.get(p.next) {
        Some(&(ptr, len)) => {
            p.next += 1;
            *size = len;
            ptr
        }
        None => {
            *size = 0;
            ptr::null()
        }
    }
}

/// State of [`load`]'s reader: whether the script's reader has been called
/// yet, and a piece held back while the blank goes first.
struct Reader {
    first: bool,
    held: *const c_char,
    held_len: usize,
}

/// `luaB_load`'s `generic_reader`, plus the blank before a first piece that
/// starts with ESC. The script's reader is at stack index 1 and the piece
/// being parsed is kept alive in slot 3.
unsafe extern "C-unwind" fn script_reader(
    state: *mut ffi::lua_State,
    ud: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    let r = &mut *(ud as *mut Reader);
    if !r.held.is_null() {
        let p = r.held;
        *size = r.held_len;
        r.held = ptr::null();
        return p;
    }
    ffi::luaL_checkstack_(state, 2, c"too many nested functions".as_ptr());
    ffi::lua_pushvalue(state, 1);
    ffi::lua_call(state, 0, 1);
    if ffi::lua_isnil(state, -1) != 0 {
        ffi::lua_pop(state, 1);
        *size = 0;
        return ptr::null();
    }
    if ffi::lua_isstring(state, -1) == 0 {
        ffi::luaL_error(state, c"reader function must return a string".as_ptr());
    }
    ffi::lua_replace(state, 3);
    let p = ffi::lua_tolstring(state, 3, size);
    let first = std::mem::replace(&mut r.first, false);
    if first && *size > 0 && *p as u8 == ESC {
        r.held = p;
        r.held_len = *size;
        *size = BLANK.len();
        return BLANK.as_ptr() as *const c_char;
    }
    p
}

/// After `lua_load`: the function with the scripts' globals as its
/// environment, or `nil, message` (`load_aux`).
unsafe fn load_result(state: *mut ffi::lua_State, status: c_int) -> c_int {
    if status != 0 {
        ffi::lua_pushnil(state);
        ffi::lua_insert(state, -2);
        return 2;
    }
    ffi::lua_getfield_(
        state,
        ffi::LUA_REGISTRYINDEX,
        ENV_KEY.as_ptr() as *const c_char,
    );
    if ffi::lua_type(state, -1) == ffi::LUA_TTABLE {
        ffi::lua_setfenv(state, -2);
    } else {
        ffi::lua_pop(state, 1);
    }
    1
}

/// `loadstring(s [, chunkname])` for scripts (`luaB_loadstring`, text only).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn loadstring(state: *mut ffi::lua_State) -> c_int {
    let mut len = 0usize;
    let s = ffi::luaL_checklstring(state, 1, &mut len);
    let name = ffi::luaL_optlstring(state, 2, s, ptr::null_mut());
    let status = if len > 0 && *s as u8 == ESC {
        let mut pieces = Pieces {
            items: [(BLANK.as_ptr() as *const c_char, BLANK.len()), (s, len)],
            next: 0,
        };
        ffi::lua_load(
            state,
            pieces_reader,
            &mut pieces as *mut Pieces as *mut c_void,
            name,
        )
    } else {
        ffi::luaL_loadbuffer(state, s, len, name)
    };
    load_result(state, status)
}

/// `load(reader [, chunkname])` for scripts (`luaB_load`, text only).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn load(state: *mut ffi::lua_State) -> c_int {
    let name = ffi::luaL_optlstring(state, 2, c"=(load)".as_ptr(), ptr::null_mut());
    ffi::luaL_checktype(state, 1, ffi::LUA_TFUNCTION);
    // The reader, the name, and the slot that keeps the current piece.
    ffi::lua_settop(state, 3);
    let mut reader = Reader {
        first: true,
        held: ptr::null(),
        held_len: 0,
    };
    let status = ffi::lua_load(
        state,
        script_reader,
        &mut reader as *mut Reader as *mut c_void,
        name,
    );
    load_result(state, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_leading_esc_gets_the_blank() {
        assert_eq!(&*as_text(b"return 1"), b"return 1");
        assert_eq!(&*as_text(b""), b"");
        assert_eq!(&*as_text(b"x\x1b"), b"x\x1b");
        assert_eq!(&*as_text(b"\x1bLuaQ"), b" \x1bLuaQ");
    }
}
