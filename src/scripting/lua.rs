//! The Lua state: libraries, the `redis` table, the sandbox and the script
//! runner (~ `scriptingInit`, `luaRegisterRedisAPI`, `luaCallFunction` in
//! Redis's `eval.c` / `script_lua.c`).
//!
//! The interpreter gets the libraries Redis loads (base, table, string,
//! math, and our Rust `cjson`, `struct`, `cmsgpack`, `bit`), minus `print`,
//! `dofile`, `loadfile` and — unless `lua-enable-deprecated-api` — `setfenv`,
//! `getfenv` and `newproxy`. `debug` is only kept by the error handler.
//! `load` and `loadstring` are replaced by text-only loaders (`chunk.rs`),
//! and `getmetatable`, `rawget`, `next`, `pairs` and `getfenv` by versions
//! that see through the read-only proxies without handing out the private
//! tables behind them (`sandbox.rs`).
//!
//! The Rust half of the API (`api.*` below) never raises a Lua error itself:
//! each function returns `(value, raise)`, and small Lua wrappers in
//! [`PRELUDE`] raise `value` when asked. That way errors are real Lua tables
//! (`{err="ERR ..."}`), as scripts and `pcall` expect, instead of opaque
//! Rust error objects.

use mlua::{ChunkMode, Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use super::convert::{self, ErrorInfo};
use super::with_server;

/// Initial `redisLrand48` state (Redis's `rand.c`: X2 X1 X0 = 0x1234 0xABCD
/// 0x330E).
pub const RAND48_INIT: u64 = 0x1234_ABCD_330E;
const RAND48_MASK: u64 = (1 << 48) - 1;
const LRAND48_MAX: i64 = i32::MAX as i64;

/// One step of the 48-bit linear congruential generator of `lrand48`.
pub fn lrand48(state: &mut u64) -> i64 {
    *state = (state.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & RAND48_MASK;
    ((*state >> 17) & 0x7FFF_FFFF) as i64
}

/// `srand48(seed)`: the seed's 32 bits above the fixed low word 0x330E.
pub fn srand48(seed: i32) -> u64 {
    ((seed as u32 as u64) << 16) | 0x330E
}

/// Lua source of the sandbox and the `redis` table. Receives the Rust API
/// table and returns a table of what the host needs (the script and
/// function environments, the runners, the tables `sandbox.rs` reads),
/// each stored in the registry as `redis_<name>`. Its chunk name is
/// `=[redis]`, which the error handler skips when it looks for the script
/// line that raised an error.
const PRELUDE: &str = r#"
local api = ...
local G = _G
local dbg = debug
local rawget, rawset, type, error, tostring, select, unpack, next =
      rawget, rawset, type, error, tostring, select, unpack, next
local orig_setmetatable, orig_xpcall = setmetatable, xpcall
local INTERNAL = '=[redis]'

-- Tables scripts may not modify: the proxies below and the global env.
local readonly = orig_setmetatable({}, {__mode = 'k'})
local function ro_error() error('Attempt to modify a readonly table', 2) end
local ro_empty = orig_setmetatable({}, {__newindex = ro_error, __metatable = false})
readonly[ro_empty] = true
local function nonexistent(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

-- Proxies whose own metatable getmetatable hides (sandbox.rs): Redis's
-- protected tables are the real ones, with no metatable.
local hidden_mt = orig_setmetatable({}, {__mode = 'k'})
-- What each proxy shows, for sandbox.rs's rawget, next and pairs: the
-- tables it presents, in order, with disjoint keys.
local views = orig_setmetatable({}, {__mode = 'k'})

local proxies = {}
local function protect(t)
  if readonly[t] then return t end
  local p = proxies[t]
  if p then return p end
  p = {}
  proxies[t] = p
  for k, v in next, t do
    if type(v) == 'table' then rawset(t, k, protect(v)) end
  end
  orig_setmetatable(p, {__index = t, __newindex = ro_error, __metatable = ro_empty})
  readonly[p] = true
  hidden_mt[p] = true
  views[p] = {t}
  return p
end

local function pack(...) return {n = select('#', ...), ...} end

-- The API functions that may raise are C trampolines (see lua.rs).
local function raiser(f) return f end

local redis = {
  call = raiser(api.call),
  pcall = raiser(api.pcall),
  sha1hex = raiser(api.sha1hex),
  error_reply = api.error_reply,
  status_reply = api.status_reply,
  log = raiser(api.log),
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  setresp = raiser(api.setresp),
  set_repl = raiser(api.set_repl),
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  acl_check_cmd = raiser(api.acl_check_cmd),
  replicate_commands = function() return true end,
  breakpoint = function() return false end,
  debug = function() end,
  REDIS_VERSION = api.version,
  REDIS_VERSION_NUM = api.version_num,
}
G.redis = redis

-- pcall hands back the message of error tables, as Redis 7 does for
-- compatibility with older versions; a killed script cannot catch its end
-- (sandbox.rs).
G.pcall = api.pcall_c

local env = {}

-- They refuse the read-only tables, as Redis's lua_setmetatable and
-- lua_rawset do; unpack counts without overflowing (sandbox.rs).
G.setmetatable, G.rawset, G.unpack = api.setmetatable, api.rawset, api.unpack
-- Text-only loaders whose chunks see the protected globals (chunk.rs).
G.loadstring, G.load = api.loadstring, api.load

G.math.random = api.random
G.math.randomseed = api.randomseed
-- table.insert writes with lua_rawseti, which does not see that a proxy is
-- read-only (sandbox.rs).
G.table.insert = api.table_insert

G.print, G.dofile, G.loadfile = nil, nil, nil
if not api.deprecated then
  G.setfenv, G.getfenv, G.newproxy = nil, nil, nil
end
G.debug = nil

for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'cjson', 'struct', 'cmsgpack', 'bit', 'redis'}) do
  if type(rawget(G, name)) == 'table' then rawset(G, name, protect(rawget(G, name))) end
end
-- Strings index the (protected) string library through their metatable,
-- which scripts see read-only, with that one field (as in Redis).
local smt = dbg.getmetatable('')
if smt then
  smt.__index = rawget(G, 'string')
  smt.__metatable = protect({__index = smt.__index})
end
local raw_next = next
G.getmetatable, G.rawget, G.next, G.pairs = api.getmetatable, api.rawget, api.next, api.pairs
if api.deprecated then G.getfenv = api.getfenv end

-- What getmetatable shows for the globals: Redis's error metatable, whose
-- __index raises for any name (luaSetErrorMetatable).
local globals_mt = protect({__index = api.nonexistent_global})

-- Globals of EVAL scripts only: _G, KEYS, ARGV (set for each run) and
-- the error handler Redis keeps there. Functions see their own _G only.
local eval_globals = {_G = env}
local fn_globals = {}
G._G = nil

-- Scripts run with `env` as their globals: reads go to G and fail for
-- unknown names, writes fail.
orig_setmetatable(env, {
  __index = function(_, k)
    local v = rawget(G, k)
    if v == nil then v = eval_globals[k] end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = ro_error,
  __metatable = globals_mt,
})
readonly[env] = true
views[env] = {G, eval_globals}

local function err_handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == INTERNAL) do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) == 'userdata' then err = api.errmsg(err) end
  if type(err) ~= 'table' or readonly[err] then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

eval_globals.__redis__err__handler = err_handler

local function run(f)
  return orig_xpcall(f, err_handler)
end

-- Functions (FUNCTION LOAD / FCALL). While a library's code runs at load
-- time its globals are only `redis` with register_function, log and the
-- version fields; afterwards its functions see the ordinary globals.
local load_redis = {
  register_function = api.register_function,
  log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = api.version,
  REDIS_VERSION_NUM = api.version_num,
}
local load_redis_proxy = orig_setmetatable({}, {
  __index = function(t, k)
    local v = rawget(load_redis, k)
    if v == nil then return nonexistent(t, k) end
    return v
  end,
  __newindex = ro_error,
  __metatable = globals_mt,
})
readonly[load_redis_proxy] = true
views[load_redis_proxy] = {load_redis}
local loading = false
local fenv = {}
orig_setmetatable(fenv, {
  __index = function(_, k)
    if loading then
      if k == 'redis' then return load_redis_proxy end
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    local v = rawget(G, k)
    if v == nil then v = fn_globals[k] end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = ro_error,
  __metatable = globals_mt,
})
readonly[fenv] = true
fn_globals._G = fenv
local fenv_view, fenv_load_view = {G, fn_globals}, {{redis = load_redis_proxy}}
views[fenv] = fenv_view

local function run_function(f, keys, args)
  return orig_xpcall(function() return f(keys, args) end, err_handler)
end

-- Running a library's code at FUNCTION LOAD: errors come back as tables.
local function run_load(f)
  loading = true
  views[fenv] = fenv_load_view
  local r = pack(orig_xpcall(f, err_handler))
  loading = false
  views[fenv] = fenv_view
  return unpack(r, 1, r.n)
end

-- Stored in the registry as redis_<name>.
return {
  env = env, run = run, fenv = fenv, run_fn = run_function, run_load = run_load,
  hidden_mt = hidden_mt, views = views, readonly = readonly, eval_globals = eval_globals, raw_next = raw_next,
}
"#;

/// Define a C function that calls the Rust API function stored in the
/// registry under `$key` and raises its first result when the second is
/// true. Being a C function matters: `return redis.call(...)` is a tail
/// call, and only a C callee keeps the script's frame on the stack for the
/// error handler to report `@user_script:<line>` (a Lua wrapper would
/// replace it).
macro_rules! raising_trampoline {
    ($name:ident, $key:expr) => {
        unsafe extern "C-unwind" fn $name(state: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
            use mlua::ffi;
            let n = ffi::lua_gettop(state);
            ffi::lua_getfield(
                state,
                ffi::LUA_REGISTRYINDEX,
                concat!($key, "\0").as_ptr() as *const _,
            );
            ffi::lua_insert(state, 1);
            ffi::lua_call(state, n, 2);
            if ffi::lua_toboolean(state, -1) != 0 {
                ffi::lua_pop(state, 1);
                ffi::lua_error(state);
            }
            ffi::lua_pop(state, 1);
            1
        }
    };
}

raising_trampoline!(tramp_call, "redis_api_call");
raising_trampoline!(tramp_pcall, "redis_api_pcall");
raising_trampoline!(tramp_sha1hex, "redis_api_sha1hex");
raising_trampoline!(tramp_log, "redis_api_log");
raising_trampoline!(tramp_setresp, "redis_api_setresp");
raising_trampoline!(tramp_set_repl, "redis_api_set_repl");
raising_trampoline!(tramp_acl_check_cmd, "redis_api_acl_check_cmd");
raising_trampoline!(tramp_register_function, "redis_api_register_function");

/// Build a fresh interpreter with Redis's libraries, API and sandbox.
pub fn new_state(deprecated_api: bool) -> mlua::Result<Lua> {
    // SAFETY: the debug library is "unsafe" for mlua because it can break
    // its invariants; the prelude keeps it private to the error handler and
    // removes it from the globals before any script runs.
    let lua = unsafe {
        Lua::unsafe_new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
            LuaOptions::new(),
        )
    };
    {
        let g = lua.globals();
        g.raw_set("cjson", super::libs::cjson::open(&lua)?)?;
        g.raw_set("struct", super::libs::lua_struct::open(&lua)?)?;
        g.raw_set("cmsgpack", super::libs::cmsgpack::open(&lua)?)?;
        g.raw_set("bit", super::libs::bit::open(&lua)?)?;
        let api = make_api(&lua, deprecated_api)?;
        type Tramp = unsafe extern "C-unwind" fn(*mut mlua::ffi::lua_State) -> std::os::raw::c_int;
        let tramps: [(&str, Tramp); 8] = [
            ("register_function", tramp_register_function),
            ("call", tramp_call),
            ("pcall", tramp_pcall),
            ("sha1hex", tramp_sha1hex),
            ("log", tramp_log),
            ("setresp", tramp_setresp),
            ("set_repl", tramp_set_repl),
            ("acl_check_cmd", tramp_acl_check_cmd),
        ];
        for name in ["killed", "errmsg"] {
            let f: Function = api.raw_get(name)?;
            lua.set_named_registry_value(&format!("redis_api_{}", name), f)?;
        }
        for (name, f) in tramps {
            let target: Function = api.raw_get(name)?;
            lua.set_named_registry_value(&format!("redis_api_{}", name), target)?;
            // SAFETY: the trampolines only use the Lua C API on their own
            // stack and raise with lua_error, as any C library function does.
            let c = unsafe { lua.create_c_function(f)? };
            api.raw_set(name, c)?;
        }
        // SAFETY: as above, C functions written against the Lua C API.
        unsafe {
            api.raw_set("load", lua.create_c_function(super::chunk::load)?)?;
            api.raw_set(
                "loadstring",
                lua.create_c_function(super::chunk::loadstring)?,
            )?;
            api.raw_set(
                "getmetatable",
                lua.create_c_function(super::sandbox::getmetatable)?,
            )?;
            api.raw_set("getfenv", lua.create_c_function(super::sandbox::getfenv)?)?;
            api.raw_set("rawget", lua.create_c_function(super::sandbox::rawget)?)?;
            api.raw_set(
                "setmetatable",
                lua.create_c_function(super::sandbox::setmetatable)?,
            )?;
            api.raw_set("rawset", lua.create_c_function(super::sandbox::rawset)?)?;
            api.raw_set("unpack", lua.create_c_function(super::sandbox::unpack)?)?;
            api.raw_set("pcall_c", lua.create_c_function(super::sandbox::pcall)?)?;
            api.raw_set(
                "table_insert",
                lua.create_c_function(super::sandbox::table_insert)?,
            )?;
            api.raw_set(
                "nonexistent_global",
                lua.create_c_function(super::sandbox::nonexistent_global)?,
            )?;
            api.raw_set("pairs", lua.create_c_function(super::sandbox::pairs)?)?;
            let next = lua.create_c_function(super::sandbox::next)?;
            lua.set_named_registry_value("redis_next", next.clone())?;
            api.raw_set("next", next)?;
        }
        // The raw globals, which sandbox.rs never hands to scripts.
        lua.set_named_registry_value("redis_globals", lua.globals())?;
        let exports: Table = lua.load(PRELUDE).set_name("=[redis]").call(api)?;
        for pair in exports.pairs::<String, Value>() {
            let (name, v) = pair?;
            lua.set_named_registry_value(&format!("redis_{}", name), v)?;
        }
    }
    Ok(lua)
}

/// Compile a script body into `f_<sha>` in the registry; the error is Lua's
/// message (`user_script:1: ...`).
pub fn compile(lua: &Lua, sha: &str, code: &[u8]) -> Result<(), String> {
    let env: Table = lua
        .named_registry_value("redis_env")
        .map_err(|e| e.to_string())?;
    let f = lua
        .load(&*super::chunk::as_text(code))
        .set_name("@user_script")
        .set_mode(ChunkMode::Text)
        .set_environment(env)
        .into_function()
        .map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => message,
            other => other.to_string(),
        })?;
    lua.set_named_registry_value(&format!("f_{}", sha), f)
        .map_err(|e| e.to_string())
}

/// How a script ended.
pub enum Outcome<'lua> {
    Value(Value<'lua>),
    Error(ErrorInfo),
}

/// Run the compiled script `sha` with KEYS and ARGV set (Redis's
/// `luaCallFunction`). With `busy_threshold_ms > 0` the instruction hook
/// watches the run time.
pub fn call_script<'lua>(
    lua: &'lua Lua,
    sha: &str,
    keys: &[Vec<u8>],
    args: &[Vec<u8>],
    busy_threshold_ms: u64,
) -> mlua::Result<Outcome<'lua>> {
    call_generic(
        lua,
        &format!("f_{}", sha),
        false,
        keys,
        args,
        busy_threshold_ms,
    )
}

/// Run the function registered as `name` (FCALL): KEYS and ARGV are its
/// arguments instead of globals.
pub fn call_function<'lua>(
    lua: &'lua Lua,
    name: &str,
    keys: &[Vec<u8>],
    args: &[Vec<u8>],
    busy_threshold_ms: u64,
) -> mlua::Result<Outcome<'lua>> {
    call_generic(
        lua,
        &format!("fn_{}", name.to_ascii_lowercase()),
        true,
        keys,
        args,
        busy_threshold_ms,
    )
}

fn call_generic<'lua>(
    lua: &'lua Lua,
    registry_name: &str,
    function_mode: bool,
    keys: &[Vec<u8>],
    args: &[Vec<u8>],
    busy_threshold_ms: u64,
) -> mlua::Result<Outcome<'lua>> {
    let f: Function = lua.named_registry_value(registry_name)?;
    let keys_t = string_array(lua, keys)?;
    let args_t = string_array(lua, args)?;
    let run: Function = if function_mode {
        lua.named_registry_value("redis_run_fn")?
    } else {
        let g: Table = lua.named_registry_value("redis_eval_globals")?;
        g.raw_set("KEYS", keys_t.clone())?;
        g.raw_set("ARGV", args_t.clone())?;
        lua.named_registry_value("redis_run")?
    };
    if busy_threshold_ms > 0 {
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(100_000),
            |_lua, _debug| {
                let killed = with_server(|srv| srv.script_interrupt()).unwrap_or(false);
                if killed {
                    log::warn!("Lua script killed by user with SCRIPT KILL.");
                    return Err(mlua::Error::runtime(
                        "Script killed by user with SCRIPT KILL...",
                    ));
                }
                Ok(())
            },
        );
    }
    let res = if function_mode {
        run.call::<_, MultiValue>((f, keys_t, args_t))
    } else {
        run.call::<_, MultiValue>(f)
    };
    if busy_threshold_ms > 0 {
        lua.remove_hook();
    }
    let mut it = res?.into_iter();
    let ok = it.next().unwrap_or(Value::Nil);
    let v = it.next().unwrap_or(Value::Nil);
    Ok(outcome_of(ok, v))
}

/// Classify what the runner (xpcall) returned.
pub fn outcome_of<'lua>(ok: Value<'lua>, v: Value<'lua>) -> Outcome<'lua> {
    match ok {
        Value::Boolean(true) => Outcome::Value(v),
        _ => match v {
            Value::Table(t) => Outcome::Error(convert::extract_error_info(&t)),
            other => Outcome::Error(ErrorInfo {
                msg: Some(format!(
                    "ERR {}",
                    convert::lua_tostring(&other)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_else(|| "execution failure".into())
                )),
                ..Default::default()
            }),
        },
    }
}

thread_local! {
    static GC_COUNT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Housekeeping after each script: a small incremental GC step every 50
/// runs (Redis's LUA_GC_CYCLE_PERIOD), so garbage never piles up into a
/// long full collection.
pub fn after_script(lua: &Lua) {
    let n = GC_COUNT.with(|c| {
        let n = c.get() + 1;
        c.set(if n >= 50 { 0 } else { n });
        n
    });
    if n >= 50 {
        let _ = lua.gc_step_kbytes(50);
    }
}

pub fn string_array<'lua>(lua: &'lua Lua, items: &[Vec<u8>]) -> mlua::Result<Table<'lua>> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, s) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(s)?)?;
    }
    Ok(t)
}

/// `file:line: ` of the Lua code calling the current Rust function
/// (`luaL_where(L, 1)`), to prefix error messages like `luaL_error` does.
pub fn where_prefix(lua: &Lua) -> String {
    match lua.inspect_stack(1) {
        Some(d) => {
            let line = d.curr_line();
            let src = d.source().short_src.map(|s| s.into_owned());
            match src {
                Some(s) if line > 0 => format!("{}:{}: ", s, line),
                _ => String::new(),
            }
        }
        None => String::new(),
    }
}

/// A `luaL_error`-style error raised from Rust.
pub fn lua_error(lua: &Lua, msg: &str) -> mlua::Error {
    mlua::Error::runtime(format!("{}{}", where_prefix(lua), msg))
}

/// The value and "raise it" flag the Lua wrappers expect.
pub type Ret<'lua> = mlua::Result<(Value<'lua>, bool)>;

pub fn raise_err<'lua>(lua: &'lua Lua, msg: &str) -> Ret<'lua> {
    Ok((
        Value::Table(convert::error_table(lua, msg.as_bytes())?),
        true,
    ))
}

/// Script arguments to a command argv (Redis's `luaArgsToRedisArgv`):
/// strings as they are, numbers in `%.17g`.
fn args_to_argv(args: MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for v in args.into_iter() {
        match v {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(i) => {
                let mut b = Vec::new();
                crate::util::numbers::fmt_g(i as f64, 17, &mut b);
                argv.push(b);
            }
            Value::Number(n) => {
                let mut b = Vec::new();
                crate::util::numbers::fmt_g(n, 17, &mut b);
                argv.push(b);
            }
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// `redis.call` (raise = true) and `redis.pcall` (Redis's
/// `luaRedisGenericCommand`).
fn redis_generic<'lua>(lua: &'lua Lua, args: MultiValue<'lua>, raise: bool) -> Ret<'lua> {
    let argv = match args_to_argv(args) {
        Ok(a) => a,
        Err(msg) => {
            let t = convert::error_table(lua, msg.as_bytes())?;
            return Ok((Value::Table(t), raise));
        }
    };
    match with_server(|srv| super::script_call(srv, argv)) {
        None => raise_err(
            lua,
            "redis.call/pcall can only be called inside a script invocation",
        ),
        Some(Err(msg)) => {
            let t = convert::error_table(lua, msg.as_bytes())?;
            t.raw_set("ignore_error_stats_update", true)?;
            Ok((Value::Table(t), raise))
        }
        Some(Ok(reply)) => {
            let is_err = reply.first() == Some(&b'-');
            let v = convert::reply_to_lua(lua, &reply)?;
            Ok((v, raise && is_err))
        }
    }
}

/// Lua's `lua_tonumber`: numbers, and strings that parse as numbers.
fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let t = std::str::from_utf8(s.as_bytes()).ok()?.trim();
            if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return i64::from_str_radix(h, 16).ok().map(|v| v as f64);
            }
            t.parse::<f64>().ok()
        }
        _ => None,
    }
}

/// `luaL_checkint` for argument `n` (1-based) of function `fname`.
fn check_int(lua: &Lua, args: &[Value], n: usize, fname: &str) -> mlua::Result<i32> {
    match args.get(n - 1).and_then(to_number) {
        Some(f) => Ok(f as i64 as i32),
        None => {
            let got = args.get(n - 1).map_or("no value", |v| v.type_name());
            Err(lua_error(
                lua,
                &format!(
                    "bad argument #{} to '{}' (number expected, got {})",
                    n, fname, got
                ),
            ))
        }
    }
}

fn make_api(lua: &Lua, deprecated_api: bool) -> mlua::Result<Table<'_>> {
    let api = lua.create_table()?;
    api.raw_set(
        "call",
        lua.create_function(|lua, args: MultiValue| redis_generic(lua, args, true))?,
    )?;
    api.raw_set(
        "pcall",
        lua.create_function(|lua, args: MultiValue| {
            let (v, _) = redis_generic(lua, args, false)?;
            // Only "not inside a script" is raised by redis.pcall.
            let outside = with_server(|_| ()).is_none();
            Ok((v, outside))
        })?,
    )?;
    api.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| -> Ret {
            if args.len() != 1 {
                return raise_err(lua, "wrong number of arguments");
            }
            let data = convert::lua_tostring(&args[0]).unwrap_or_default();
            let hex = crate::util::sha1::sha1hex(&data);
            Ok((Value::String(lua.create_string(&hex)?), false))
        })?,
    )?;
    api.raw_set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| -> mlua::Result<Table> {
            match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => {
                    let mut text = s.as_bytes().to_vec();
                    if text.first() != Some(&b'-') {
                        text.insert(0, b'-');
                    }
                    convert::error_table(lua, &text)
                }
                _ => convert::error_table(lua, b"wrong number or type of arguments"),
            }
        })?,
    )?;
    api.raw_set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| -> mlua::Result<Table> {
            match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => {
                    let t = lua.create_table()?;
                    t.raw_set("ok", s.clone())?;
                    Ok(t)
                }
                _ => convert::error_table(lua, b"wrong number or type of arguments"),
            }
        })?,
    )?;
    api.raw_set(
        "log",
        lua.create_function(|lua, args: MultiValue| -> Ret {
            if args.len() < 2 {
                return raise_err(lua, "redis.log() requires two arguments or more.");
            }
            let level = match to_number(&args[0]) {
                Some(l) => l as i64,
                None => return raise_err(lua, "First argument must be a number (log level)."),
            };
            if !(0..=3).contains(&level) {
                return raise_err(lua, "Invalid debug level.");
            }
            let mut msg = Vec::new();
            for (i, v) in args.iter().skip(1).enumerate() {
                if let Some(b) = convert::lua_tostring(v) {
                    if i > 0 {
                        msg.push(b' ');
                    }
                    msg.extend_from_slice(&b);
                }
            }
            let text = String::from_utf8_lossy(&msg);
            match level {
                0 => log::debug!("{}", text),
                1 => log::debug!("{}", text),
                2 => log::info!("{}", text),
                _ => log::warn!("{}", text),
            }
            Ok((Value::Nil, false))
        })?,
    )?;
    api.raw_set(
        "setresp",
        lua.create_function(|lua, args: MultiValue| -> Ret {
            if with_server(|_| ()).is_none() {
                return raise_err(
                    lua,
                    "redis.setresp can only be called inside a script invocation",
                );
            }
            if args.len() != 1 {
                return raise_err(lua, "redis.setresp() requires one argument.");
            }
            let resp = to_number(&args[0]).unwrap_or(0.0) as i64;
            if resp != 2 && resp != 3 {
                return raise_err(lua, "RESP version must be 2 or 3.");
            }
            with_server(|srv| {
                if let Some(r) = srv.scripting.run.as_mut() {
                    r.resp = resp as u8;
                }
            });
            Ok((Value::Nil, false))
        })?,
    )?;
    api.raw_set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| -> Ret {
            if with_server(|_| ()).is_none() {
                return raise_err(
                    lua,
                    "redis.set_repl can only be called inside a script invocation",
                );
            }
            if args.len() != 1 {
                return raise_err(lua, "redis.set_repl() requires two arguments.");
            }
            let flags = to_number(&args[0]).unwrap_or(0.0) as i64;
            if flags & !(super::REPL_ALL as i64) != 0 {
                return raise_err(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            with_server(|srv| {
                if let Some(r) = srv.scripting.run.as_mut() {
                    r.repl = flags as u8;
                }
            });
            Ok((Value::Nil, false))
        })?,
    )?;
    api.raw_set(
        "acl_check_cmd",
        lua.create_function(|lua, args: MultiValue| -> Ret {
            if with_server(|_| ()).is_none() {
                return raise_err(
                    lua,
                    "redis.acl_check_cmd can only be called inside a script invocation",
                );
            }
            let argv = match args_to_argv(args) {
                Ok(a) => a,
                Err(msg) => return raise_err(lua, msg),
            };
            // None: unknown command; Some(allowed) for the caller's user.
            let verdict = with_server(|srv| {
                let id = srv.commands.lookup(&argv).ok()?;
                let caller = srv.scripting.run.as_ref().map(|r| r.caller)?;
                let user = crate::commands::acl_cmd::user_of(srv, caller);
                Some(user.check_command(&srv.commands, id, &argv).is_ok())
            })
            .flatten();
            match verdict {
                Some(ok) => Ok((Value::Boolean(ok), false)),
                None => raise_err(lua, "Invalid command passed to redis.acl_check_cmd()"),
            }
        })?,
    )?;
    api.raw_set(
        "killed",
        lua.create_function(|_, ()| {
            Ok(
                with_server(|srv| srv.scripting.run.as_ref().is_some_and(|r| r.killed))
                    .unwrap_or(false),
            )
        })?,
    )?;
    api.raw_set(
        "random",
        lua.create_function(|lua, args: MultiValue| -> mlua::Result<f64> {
            let r = match with_server(|srv| lrand48(&mut srv.scripting.rand48)) {
                Some(r) => r,
                None => {
                    return Err(lua_error(
                        lua,
                        "math.random can only be called inside a script invocation",
                    ))
                }
            };
            let r = (r % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
            let args = args.into_vec();
            match args.len() {
                0 => Ok(r),
                1 => {
                    let u = check_int(lua, &args, 1, "random")?;
                    if u < 1 {
                        return Err(lua_error(
                            lua,
                            "bad argument #1 to 'random' (interval is empty)",
                        ));
                    }
                    Ok((r * u as f64).floor() + 1.0)
                }
                2 => {
                    let l = check_int(lua, &args, 1, "random")?;
                    let u = check_int(lua, &args, 2, "random")?;
                    if l > u {
                        return Err(lua_error(
                            lua,
                            "bad argument #2 to 'random' (interval is empty)",
                        ));
                    }
                    Ok((r * (u as f64 - l as f64 + 1.0)).floor() + l as f64)
                }
                _ => Err(lua_error(lua, "wrong number of arguments")),
            }
        })?,
    )?;
    api.raw_set(
        "randomseed",
        lua.create_function(|lua, args: MultiValue| -> mlua::Result<()> {
            let args = args.into_vec();
            let seed = check_int(lua, &args, 1, "randomseed")?;
            if with_server(|srv| srv.scripting.rand48 = srand48(seed)).is_none() {
                return Err(lua_error(
                    lua,
                    "math.randomseed can only be called inside a script invocation",
                ));
            }
            Ok(())
        })?,
    )?;
    api.raw_set(
        "errmsg",
        lua.create_function(|lua, v: Value| {
            let msg = match v {
                Value::Error(e) => root_message(&e),
                other => convert::lua_tostring(&other)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_else(|| other.type_name().to_string()),
            };
            lua.create_string(&msg)
        })?,
    )?;
    api.raw_set(
        "register_function",
        lua.create_function(super::functions::register_function_api)?,
    )?;
    api.raw_set("deprecated", deprecated_api)?;
    api.raw_set("version", crate::server::REDIS_VERSION)?;
    api.raw_set("version_num", redis_version_num())?;
    Ok(api)
}

/// The message of a Rust-side error as Lua's `luaL_error` would have
/// produced it: the innermost cause, without mlua's decorations.
fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => root_message(cause),
        mlua::Error::RuntimeError(s) => s.clone(),
        mlua::Error::WithContext { cause, .. } => root_message(cause),
        other => other.to_string(),
    }
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
fn redis_version_num() -> i64 {
    let mut parts = crate::server::REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand48_matches_libc_sequence() {
        // Values printed by glibc's srand48/lrand48.
        let mut s = srand48(0);
        assert_eq!(lrand48(&mut s), 366850414);
        assert_eq!(lrand48(&mut s), 1610402240);
        assert_eq!(lrand48(&mut s), 206956554);
        let mut s = srand48(10);
        assert_eq!(lrand48(&mut s), 1887318415);
    }

    #[test]
    fn binary_chunks_are_parsed_as_text() {
        let lua = new_state(false).unwrap();
        assert_eq!(
            compile(&lua, "b", b"\x1bLuaQ\0").unwrap_err(),
            "user_script:1: unexpected symbol near 'char(27)'"
        );
        let dumped = b"local s = string.dump(function() return 1 end) \
            local f1, e1 = loadstring(s) \
            local f2, e2 = load(function() local r = s s = nil return r end) \
            return {type(f1), e1, type(f2), e2}";
        compile(&lua, "d", dumped).unwrap();
        let Outcome::Value(Value::Table(t)) = call_script(&lua, "d", &[], &[], 0).unwrap() else {
            panic!("expected a table");
        };
        let e1: String = t.get(2).unwrap();
        assert!(
            e1.ends_with(":1: unexpected symbol near 'char(27)'"),
            "{}",
            e1
        );
        assert_eq!(
            t.get::<_, String>(4).unwrap(),
            "(load):1: unexpected symbol near 'char(27)'"
        );
        assert_eq!(t.get::<_, String>(1).unwrap(), "nil");
        assert_eq!(t.get::<_, String>(3).unwrap(), "nil");
    }

    #[test]
    fn proxies_read_through_and_never_hand_out_raw_tables() {
        let lua = new_state(true).unwrap();
        let code = b"local n = 0 for k in pairs(string) do n = n + 1 end \
            local ok, e = pcall(function() getfenv(0).redis = 1 end) \
            return {n, type(rawget(_G, 'redis')), getfenv(0) == _G, \
                    getfenv(tostring) == _G, ok, getmetatable(string) == nil}";
        compile(&lua, "p", code).unwrap();
        let Outcome::Value(Value::Table(t)) = call_script(&lua, "p", &[], &[], 0).unwrap() else {
            panic!("expected a table");
        };
        assert_eq!(t.get::<_, i64>(1).unwrap(), 15);
        assert_eq!(t.get::<_, String>(2).unwrap(), "table");
        assert!(t.get::<_, bool>(3).unwrap());
        assert!(t.get::<_, bool>(4).unwrap());
        assert!(!t.get::<_, bool>(5).unwrap());
        assert!(t.get::<_, bool>(6).unwrap());
    }

    #[test]
    fn sandbox_basics() {
        let lua = new_state(false).unwrap();
        compile(&lua, "x", b"return a").unwrap();
        let out = call_script(&lua, "x", &[], &[], 0).unwrap();
        match out {
            Outcome::Error(e) => {
                let m = e.msg.unwrap();
                assert!(
                    m.contains("Script attempted to access nonexistent global variable 'a'"),
                    "{}",
                    m
                );
                assert_eq!(e.source.as_deref(), Some("@user_script"));
                assert_eq!(e.line.as_deref(), Some("1"));
            }
            Outcome::Value(_) => panic!("expected an error"),
        }
        compile(&lua, "y", b"redis.call = 1").unwrap();
        match call_script(&lua, "y", &[], &[], 0).unwrap() {
            Outcome::Error(e) => assert!(e
                .msg
                .unwrap()
                .contains("Attempt to modify a readonly table")),
            Outcome::Value(_) => panic!("expected an error"),
        }
        compile(&lua, "z", b"return {KEYS[1], ARGV[1], string.upper('x')}").unwrap();
        let out = call_script(&lua, "z", &[b"k".to_vec()], &[b"a".to_vec()], 0).unwrap();
        match out {
            Outcome::Value(Value::Table(t)) => {
                assert_eq!(t.get::<_, String>(1).unwrap(), "k");
                assert_eq!(t.get::<_, String>(3).unwrap(), "X");
            }
            _ => panic!("expected a table"),
        };
    }
}
