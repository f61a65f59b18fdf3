//! Base-library functions the sandbox replaces with its own C functions
//! (~ what Redis gets from its read-only tables, `lua_enablereadonlytable`,
//! and `luaSetTableProtectionRecursively` in `script_lua.c`).
//!
//! Redis protects the real global and library tables in place. Stock Lua
//! 5.1 cannot, so `lua.rs` shows scripts read-only proxies instead and keeps
//! the real, writable tables private. Two stock functions would hand those
//! private tables (or the proxies' plumbing) to a script:
//!
//! - `getfenv` (only with `lua-enable-deprecated-api`) returns the thread's
//!   global table for C functions and for level 0: that is the raw globals
//!   table, whose writes would persist into every later script. Ours shows
//!   the scripts' protected globals in its place, as Redis's `getfenv`
//!   returns its (read-only) `_G`.
//! - `getmetatable` of a proxy would show the proxy's `__metatable`; a
//!   Redis library table has no metatable, so ours answers nil for proxies.
//!
//! And three stock functions would see an empty proxy where Redis's scripts
//! see the table's contents: `rawget`, `next` and `pairs` (`rawget(_G,
//! name)` is the usual way to test a global without the "nonexistent
//! global" error). Ours read through a proxy: the prelude records, for each
//! proxy, the list of tables it presents (`views`, disjoint keys; the
//! scripts' globals are the shared globals plus the EVAL-only KEYS, ARGV
//! and error handler). What they return is what indexing the proxy
//! returns: nested tables are proxies themselves, the private tables never
//! leave. `#`, `ipairs` and `unpack` stay stock: the protected tables have
//! no array part.
//!
//! `setmetatable` and `rawset` refuse the read-only tables where Redis's
//! `lua_setmetatable` / `lua_rawset` do, after the stock argument checks
//! (a proxy's own `__metatable` must not answer "cannot change a protected
//! metatable" first: Redis's tables have none).
//!
//! `unpack(t, i, j)` is `luaB_unpack` with its element count computed in 64
//! bits: the vendored interpreter's `e - i + 1` overflows for ranges such
//! as `(-2, 2^31 - 1)`, the compiler drops the `n <= 0` check that should
//! catch it, and the loop then pushes until the process dies. Redis's
//! build answers "too many results to unpack", and so does this one.
//!
//! `pcall` is Redis's `luaRedisPcall` (a C function, so its results are not
//! bounded by a Lua wrapper's stack): an error table gives back its `err`
//! field. Two additions of ours: a script killed by SCRIPT KILL cannot
//! catch its end, and errors raised from Rust (mlua error objects) are
//! handed back as their message.
//!
//! `table.insert` is the one library function that writes into a table it
//! is given (`lua_rawseti`, which Redis's read-only flag refuses and a proxy
//! cannot see): ours refuses the sandbox's read-only tables first, as
//! Redis's does, instead of leaving the value in the proxy for every later
//! script to find.
//!
//! They are C functions, like the ones they replace, so argument errors and
//! `luaL_error` positions name the script's line exactly as the stock ones
//! do (a Lua wrapper would add a frame of its own).

use std::os::raw::{c_char, c_int};

use mlua::ffi;

/// Registry keys set by `lua::new_state`.
const GLOBALS_KEY: &[u8] = b"redis_globals\0";
const ENV_KEY: &[u8] = b"redis_env\0";
const HIDDEN_MT_KEY: &[u8] = b"redis_hidden_mt\0";
const VIEWS_KEY: &[u8] = b"redis_views\0";
const NEXT_KEY: &[u8] = b"redis_next\0";
const RAW_NEXT_KEY: &[u8] = b"redis_raw_next\0";
const READONLY_KEY: &[u8] = b"redis_readonly\0";

unsafe fn push_registry(state: *mut ffi::lua_State, key: &[u8]) {
    ffi::lua_getfield_(state, ffi::LUA_REGISTRYINDEX, key.as_ptr() as *const c_char);
}

/// `getmetatable(v)` (`luaB_getmetatable`), answering nil for the
/// sandbox's proxies.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn getmetatable(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checkany(state, 1);
    if ffi::lua_getmetatable(state, 1) == 0 {
        ffi::lua_pushnil(state);
        return 1;
    }
    push_registry(state, HIDDEN_MT_KEY);
    if ffi::lua_type(state, -1) == ffi::LUA_TTABLE {
        ffi::lua_pushvalue(state, 1);
        ffi::lua_rawget(state, -2);
        let hidden = ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_pop(state, 2);
        if hidden {
            ffi::lua_pushnil(state);
            return 1;
        }
    } else {
        ffi::lua_pop(state, 1);
    }
    // Either the __metatable field, or (when it has none) the metatable
    // itself, already on the stack.
    ffi::luaL_getmetafield_(state, 1, c"__metatable".as_ptr());
    1
}

/// `getfenv([f])` (`luaB_getfenv`), with the raw globals replaced by the
/// scripts' protected ones.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn getfenv(state: *mut ffi::lua_State) -> c_int {
    if ffi::lua_type(state, 1) == ffi::LUA_TFUNCTION {
        ffi::lua_pushvalue(state, 1);
    } else {
        let level = ffi::luaL_optinteger(state, 1, 1) as c_int;
        if level < 0 {
            ffi::luaL_argerror(state, 1, c"level must be non-negative".as_ptr());
        }
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        if ffi::lua_getstack(state, level, &mut ar) == 0 {
            ffi::luaL_argerror(state, 1, c"invalid level".as_ptr());
        }
        ffi::lua_getinfo(state, c"f".as_ptr(), &mut ar);
        if ffi::lua_isnil(state, -1) != 0 {
            ffi::luaL_error(
                state,
                c"no function environment for tail call at level %d".as_ptr(),
                level,
            );
        }
    }
    if ffi::lua_iscfunction(state, -1) != 0 {
        ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
    } else {
        ffi::lua_getfenv(state, -1);
    }
    push_registry(state, GLOBALS_KEY);
    let raw = ffi::lua_rawequal(state, -1, -2) != 0;
    ffi::lua_pop(state, 1);
    if raw {
        ffi::lua_pop(state, 1);
        push_registry(state, ENV_KEY);
    }
    1
}

/// Push the list of tables the proxy at `idx` (a positive index) presents
/// and return true, or push nothing and return false for any other table.
unsafe fn push_view(state: *mut ffi::lua_State, idx: c_int) -> bool {
    push_registry(state, VIEWS_KEY);
    if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
        ffi::lua_pop(state, 1);
        return false;
    }
    ffi::lua_pushvalue(state, idx);
    ffi::lua_rawget(state, -2);
    ffi::lua_remove(state, -2);
    if ffi::lua_type(state, -1) == ffi::LUA_TTABLE {
        true
    } else {
        ffi::lua_pop(state, 1);
        false
    }
}

/// `rawget(t, k)` (`luaB_rawget`), reading through proxies.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn rawget(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(state, 2);
    ffi::lua_settop(state, 2);
    if !push_view(state, 1) {
        ffi::lua_rawget(state, 1);
        return 1;
    }
    // Stack: proxy, key, list.
    let n = ffi::lua_objlen(state, 3) as c_int;
    for i in 1..=n {
        ffi::lua_rawgeti_(state, 3, i);
        ffi::lua_pushvalue(state, 2);
        ffi::lua_rawget(state, -2);
        if ffi::lua_isnil(state, -1) == 0 {
            return 1;
        }
        ffi::lua_pop(state, 2);
    }
    ffi::lua_pushnil(state);
    1
}

/// `next(t [, k])` (`luaB_next`), iterating through proxies: the tables of
/// a view one after the other.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn next(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    ffi::lua_settop(state, 2);
    if !push_view(state, 1) {
        if ffi::lua_next(state, 1) != 0 {
            return 2;
        }
        ffi::lua_pushnil(state);
        return 1;
    }
    // Stack: proxy, key, list. Continue in the table that holds the key
    // (an unknown key goes to the first, whose lua_next rejects it).
    let n = ffi::lua_objlen(state, 3) as c_int;
    let mut i = 1;
    if ffi::lua_isnil(state, 2) == 0 {
        for j in 1..=n {
            ffi::lua_rawgeti_(state, 3, j);
            ffi::lua_pushvalue(state, 2);
            ffi::lua_rawget(state, -2);
            let found = ffi::lua_isnil(state, -1) == 0;
            ffi::lua_pop(state, 2);
            if found {
                i = j;
                break;
            }
        }
    }
    while i <= n {
        ffi::lua_rawgeti_(state, 3, i);
        ffi::lua_pushvalue(state, 2);
        if ffi::lua_next(state, 4) != 0 {
            return 2;
        }
        // This table is done (lua_next popped the key): the next one from
        // its start.
        ffi::lua_pop(state, 1);
        ffi::lua_pushnil(state);
        ffi::lua_replace(state, 2);
        i += 1;
    }
    ffi::lua_pushnil(state);
    1
}

/// `pairs(t)` (`luaB_pairs`): the stock `next` for ordinary tables, ours
/// for proxies.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn pairs(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    let viewed = push_view(state, 1);
    if viewed {
        ffi::lua_pop(state, 1);
    }
    push_registry(state, if viewed { NEXT_KEY } else { RAW_NEXT_KEY });
    ffi::lua_pushvalue(state, 1);
    ffi::lua_pushnil(state);
    3
}

/// The `__index` of the globals' metatable as getmetatable shows it
/// (Redis's `luaProtectedTableError`): any name is a nonexistent global.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn nonexistent_global(state: *mut ffi::lua_State) -> c_int {
    if ffi::lua_gettop(state) != 2 {
        ffi::luaL_error(
            state,
            c"Wrong number of arguments to luaProtectedTableError".as_ptr(),
        );
    }
    if ffi::lua_isstring(state, -1) == 0 {
        ffi::luaL_error(
            state,
            c"Second argument to luaProtectedTableError must be a string or number".as_ptr(),
        );
    }
    let name = ffi::lua_tolstring(state, -1, std::ptr::null_mut());
    ffi::luaL_error(
        state,
        c"Script attempted to access nonexistent global variable '%s'".as_ptr(),
        name,
    );
    0
}

/// Whether the table at `idx` (a positive index) is one of the sandbox's
/// read-only tables.
unsafe fn is_readonly(state: *mut ffi::lua_State, idx: c_int) -> bool {
    push_registry(state, READONLY_KEY);
    if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
        ffi::lua_pop(state, 1);
        return false;
    }
    ffi::lua_pushvalue(state, idx);
    ffi::lua_rawget(state, -2);
    let ro = ffi::lua_toboolean(state, -1) != 0;
    ffi::lua_pop(state, 2);
    ro
}

/// Raise Redis's error for a write to a read-only table (from inside a C
/// function, so without a position).
unsafe fn readonly_error(state: *mut ffi::lua_State) -> ! {
    ffi::lua_pushstring_(state, c"Attempt to modify a readonly table".as_ptr());
    ffi::lua_error(state)
}

/// `setmetatable(t, mt)` (`luaB_setmetatable`).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn setmetatable(state: *mut ffi::lua_State) -> c_int {
    let t = ffi::lua_type(state, 2);
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
        ffi::luaL_argerror(state, 2, c"nil or table expected".as_ptr());
    }
    if is_readonly(state, 1) {
        readonly_error(state);
    }
    if ffi::luaL_getmetafield_(state, 1, c"__metatable".as_ptr()) != 0 {
        ffi::luaL_error(state, c"cannot change a protected metatable".as_ptr());
    }
    ffi::lua_settop(state, 2);
    ffi::lua_setmetatable(state, 1);
    1
}

/// `rawset(t, k, v)` (`luaB_rawset`).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn rawset(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(state, 2);
    ffi::luaL_checkany(state, 3);
    ffi::lua_settop(state, 3);
    if is_readonly(state, 1) {
        readonly_error(state);
    }
    ffi::lua_rawset(state, 1);
    1
}

/// `table.insert(t, [pos,] value)` (`tinsert`), refusing read-only tables
/// with the error Redis's `lua_rawseti` raises (no position: it comes from
/// inside a C function).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn table_insert(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    let mut e = ffi::lua_objlen(state, 1) as c_int + 1;
    let pos = match ffi::lua_gettop(state) {
        2 => e,
        3 => {
            let pos = ffi::luaL_checkinteger(state, 2) as c_int;
            e = e.max(pos);
            pos
        }
        _ => {
            return ffi::luaL_error(state, c"wrong number of arguments to 'insert'".as_ptr());
        }
    };
    if is_readonly(state, 1) {
        readonly_error(state);
    }
    let mut i = e;
    while i > pos {
        ffi::lua_rawgeti_(state, 1, i - 1);
        ffi::lua_rawseti_(state, 1, i);
        i -= 1;
    }
    ffi::lua_rawseti_(state, 1, pos);
    0
}

/// `unpack(t [, i [, j]])` (`luaB_unpack`), its count without overflow.
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn unpack(state: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
    let i = ffi::luaL_optinteger(state, 2, 1) as c_int;
    let e = if ffi::lua_type(state, 3) <= ffi::LUA_TNIL {
        ffi::lua_objlen(state, 1) as c_int
    } else {
        ffi::luaL_checkinteger(state, 3) as c_int
    };
    if i > e {
        return 0;
    }
    let n = e as i64 - i as i64 + 1;
    if n > c_int::MAX as i64 || ffi::lua_checkstack(state, n as c_int) == 0 {
        return ffi::luaL_error(state, c"too many results to unpack".as_ptr());
    }
    for k in i..=e {
        ffi::lua_rawgeti_(state, 1, k);
    }
    n as c_int
}

/// Call the Rust API function `redis_api_<key>` with the value at `idx`,
/// leaving its one result on the stack.
unsafe fn call_api(state: *mut ffi::lua_State, key: &[u8], arg: Option<c_int>) {
    // As an absolute index: the pushes below move relative ones.
    let arg = arg.map(|i| {
        if i < 0 {
            ffi::lua_gettop(state) + 1 + i
        } else {
            i
        }
    });
    ffi::luaL_checkstack_(state, 2, c"in pcall".as_ptr());
    push_registry(state, key);
    match arg {
        Some(idx) => {
            ffi::lua_pushvalue(state, idx);
            ffi::lua_call(state, 1, 1);
        }
        None => ffi::lua_call(state, 0, 1),
    }
}

/// `pcall(f, ...)` (Redis's `luaRedisPcall`).
///
/// # Safety
/// A `lua_CFunction`: only to be called by Lua.
pub unsafe extern "C-unwind" fn pcall(state: *mut ffi::lua_State) -> c_int {
    let argc = ffi::lua_gettop(state);
    if argc == 0 {
        // Redis's lua_pcall is then handed -1 arguments and calls the slot
        // past its placeholder, a boolean.
        ffi::lua_pushboolean(state, 0);
        ffi::lua_pushstring_(state, c"attempt to call a boolean value".as_ptr());
        return 2;
    }
    ffi::lua_pushboolean(state, 1);
    ffi::lua_insert(state, 1);
    if ffi::lua_pcall(state, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
        call_api(state, b"redis_api_killed\0", None);
        let killed = ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_pop(state, 1);
        if killed {
            ffi::lua_error(state);
        }
        ffi::lua_remove(state, 1);
        match ffi::lua_type(state, -1) {
            ffi::LUA_TTABLE => {
                ffi::lua_getfield_(state, -1, c"err".as_ptr());
                if ffi::lua_isstring(state, -1) != 0 {
                    ffi::lua_replace(state, -2);
                }
            }
            ffi::LUA_TUSERDATA => {
                call_api(state, b"redis_api_errmsg\0", Some(-1));
                ffi::lua_replace(state, -2);
            }
            _ => {}
        }
        ffi::lua_pushboolean(state, 0);
        ffi::lua_insert(state, 1);
    }
    ffi::lua_gettop(state)
}
