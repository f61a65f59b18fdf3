//! Lua scripting: EVAL and friends (~ Redis's `eval.c`, `script.c`,
//! `script_lua.c`).
//!
//! # The design
//! One Lua 5.1 interpreter (through `mlua`, built from the vendored Lua
//! sources) serves every client, as in Redis. A script body is compiled once
//! into a function stored in the Lua registry under `f_<sha1>`; EVALSHA finds
//! it by that name and [`Scripting::scripts`] keeps the bodies and their
//! shebang flags.
//!
//! A script runs inside the EVAL command's handler, that is inside `call()`.
//! Its `redis.call()` goes through [`script_call`], which performs the
//! checks Redis does for scripts (`scriptCall`: arity, `noscript`, writes from
//! read-only scripts, OOM before the first write) and then runs the command
//! with the ordinary [`Server::call`] on behalf of the *script client*, a
//! connection-less client (shown as `lua` by MONITOR) whose reply buffer is
//! parsed back into Lua values (`convert.rs`). Going through `call()` gives
//! scripts the same commandstats, keyspace notifications, WATCH invalidation,
//! client-side-caching invalidation and propagation as clients get, with no
//! second code path.
//!
//! # Reaching the server from Lua
//! The Lua callbacks (`redis.call`, `redis.setresp`, the instruction hook...)
//! must be `'static` closures, but the server is borrowed by the running
//! handler. While a script runs, the handler lends the server to the
//! callbacks through a thread-local pointer ([`with_server`]); the lender
//! does not touch the server until the script returns, and `with_server`
//! clears the pointer while it is lent, so at most one `&mut Server` is ever
//! live. The interpreter itself is moved out of the server for the run
//! ([`Scripting::lua`] is `None` meanwhile), so lending the server never
//! aliases the Lua state.
//!
//! # Effects replication
//! As Redis 7.0 does, a script is propagated by its effects: each write
//! command it runs is propagated as itself, and when there is more than one
//! they are wrapped in MULTI/EXEC (the same buffer EXEC uses). The EVAL
//! itself is never propagated. `redis.set_repl(redis.REPL_NONE)` turns the
//! propagation of the following commands off.
//!
//! # Busy scripts
//! Every 100,000 Lua instructions a hook checks the run time. Past
//! `busy-reply-threshold` (`lua-time-limit`) the server keeps serving the
//! network from inside the hook (see [`Server::process_events_while_blocked`]
//! in `event_loop.rs`): other clients get `-BUSY` for everything except
//! SCRIPT KILL, SHUTDOWN NOSAVE and a few connection commands, and SCRIPT
//! KILL makes the next hook invocation abort the script — unless the script
//! already wrote, which makes it UNKILLABLE.
//!
//! # The sandbox
//! Stock Lua 5.1 has no read-only tables (Redis patches its Lua for them), so
//! `lua.rs` builds the protection from metatables: scripts see globals and
//! library tables through read-only proxies, reading an unknown global
//! raises "Script attempted to access nonexistent global variable", and any
//! assignment raises "Attempt to modify a readonly table". Bytecode never
//! loads: `chunk.rs` makes every path into `lua_load` parse text only.

pub mod chunk;
pub mod convert;
pub mod functions;
pub mod libs;
pub mod lua;
pub mod sandbox;

use std::cell::Cell;
use std::collections::HashMap;
use std::time::Instant;

use crate::commands::table;
use crate::server::{Ctx, Server};

/// Shebang flags (`#!lua flags=...`), Redis's SCRIPT_FLAG_*.
pub const FLAG_NO_WRITES: u32 = 1 << 0;
pub const FLAG_ALLOW_OOM: u32 = 1 << 1;
pub const FLAG_ALLOW_STALE: u32 = 1 << 2;
pub const FLAG_NO_CLUSTER: u32 = 1 << 3;
/// No shebang: the pre-7.0 behaviour (writes allowed, OOM judged per command).
pub const FLAG_EVAL_COMPAT_MODE: u32 = 1 << 4;
pub const FLAG_ALLOW_CROSS_SLOT: u32 = 1 << 5;

pub const FLAG_NAMES: &[(&str, u32)] = &[
    ("no-writes", FLAG_NO_WRITES),
    ("allow-oom", FLAG_ALLOW_OOM),
    ("allow-stale", FLAG_ALLOW_STALE),
    ("no-cluster", FLAG_NO_CLUSTER),
    ("allow-cross-slot-keys", FLAG_ALLOW_CROSS_SLOT),
];

pub const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// A cached script.
pub struct Script {
    pub body: Vec<u8>,
    pub flags: u32,
}

/// The state of the script being executed (Redis's `scriptRunCtx`).
pub struct RunCtx {
    /// Slab key of the client that sent EVAL.
    pub caller: usize,
    /// The script's SHA1 (named in error messages).
    pub sha: String,
    pub read_only: bool,
    pub allow_oom: bool,
    /// Memory was over `maxmemory` when the script started.
    pub oom_at_start: bool,
    /// The script ran a write command: it can no longer be killed, and OOM
    /// no longer stops it.
    pub write_dirty: bool,
    /// SCRIPT KILL was received.
    pub killed: bool,
    /// RESP version chosen with `redis.setresp` (2 by default).
    pub resp: u8,
    /// Propagate the script's writes (`redis.set_repl`).
    pub repl: u8,
    pub start: Instant,
    /// Past `busy-reply-threshold`: other clients are answered BUSY.
    pub timed_out: bool,
    /// The keys the script declared (what client-side caching tracks when
    /// the script reads).
    pub keys: Vec<Vec<u8>>,
    /// Run by FCALL (killed with FUNCTION KILL, not SCRIPT KILL).
    pub is_function: bool,
    /// The command that started it (FUNCTION STATS).
    pub argv: Vec<Vec<u8>>,
    /// The time every command of the script sees (ms).
    pub snapshot_ms: i64,
}

pub const REPL_NONE: u8 = 0;
pub const REPL_AOF: u8 = 1;
pub const REPL_REPLICA: u8 = 2;
pub const REPL_ALL: u8 = 3;

/// Everything the scripting engine keeps in the server.
#[derive(Default)]
pub struct Scripting {
    /// The interpreter; `None` before first use and while a script runs.
    pub lua: Option<mlua::Lua>,
    /// SHA1 -> body and flags.
    pub scripts: HashMap<String, Script>,
    /// Bytes of cached bodies and their names (`used_memory_scripts_eval`).
    pub scripts_mem: usize,
    /// The running script.
    pub run: Option<RunCtx>,
    /// Slab key of the script client.
    pub client: Option<usize>,
    /// `redisLrand48` state behind `math.random`.
    pub rand48: u64,
    /// FUNCTION libraries.
    pub functions: functions::FunctionsState,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: let scripts run `noscript` commands
    /// (a testing aid, as in Redis).
    pub disable_deny_script: bool,
}

thread_local! {
    /// The server lent to Lua callbacks while a script runs (see the module
    /// documentation); null otherwise and while a callback holds it.
    static CURRENT: Cell<*mut Server> = const { Cell::new(std::ptr::null_mut()) };
}

/// Run `f` with the server that is running the current script; `None` when
/// no script runs (or the server is already lent out, i.e. a re-entrant
/// call).
pub fn with_server<R>(f: impl FnOnce(&mut Server) -> R) -> Option<R> {
    let p = CURRENT.with(|c| c.replace(std::ptr::null_mut()));
    if p.is_null() {
        return None;
    }
    struct Restore(*mut Server);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(p);
    // SAFETY: `p` was derived from the `&mut Server` of the EVAL handler,
    // which does not use it until `lend_server` returns; the pointer is
    // cleared while this borrow is live, so no second `&mut` can be made.
    Some(f(unsafe { &mut *p }))
}

/// Lend `srv` to the Lua callbacks for the duration of `f`.
fn lend_server<R>(srv: &mut Server, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.with(|c| c.replace(srv as *mut Server));
    struct Restore(*mut Server);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(prev);
    f()
}

impl Scripting {
    pub fn new() -> Scripting {
        Scripting {
            rand48: lua::RAND48_INIT,
            ..Default::default()
        }
    }

    /// Memory used by the Lua VM (`used_memory_lua`).
    pub fn lua_memory(&self) -> usize {
        self.lua
            .as_ref()
            .map_or(LUA_BASE_MEMORY, |l| l.used_memory())
    }
}

/// What an idle, freshly initialized VM reports before one exists.
const LUA_BASE_MEMORY: usize = 31744;

/// Parse the shebang line of a script body (Redis's
/// `evalExtractShebangFlags`): the flags and the length of the line (which
/// is stripped, keeping its newline so line numbers stay right).
pub fn extract_shebang_flags(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((FLAG_EVAL_COMPAT_MODE, 0));
    }
    let end = match body.iter().position(|&b| b == b'\n') {
        Some(e) => e,
        None => return Err("ERR Invalid script shebang".into()),
    };
    let parts = match crate::config::split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        match p.strip_prefix(b"flags=") {
            Some(list) => {
                if list.is_empty() {
                    continue;
                }
                for f in list.split(|&b| b == b',') {
                    match FLAG_NAMES.iter().find(|(n, _)| n.as_bytes() == f) {
                        Some((_, bit)) => flags |= bit,
                        None => {
                            return Err(format!(
                                "ERR Unexpected flag in script shebang: {}",
                                String::from_utf8_lossy(f)
                            ))
                        }
                    }
                }
            }
            None => {
                return Err(format!(
                    "ERR Unknown lua shebang option: {}",
                    String::from_utf8_lossy(p)
                ))
            }
        }
    }
    Ok((flags, end))
}

/// The command flags an EVAL-family call really has (Redis's
/// `evalGetCommandFlags`): a script that declares flags replaces the
/// command's `write`/`denyoom`/`stale` with what it declared.
pub fn eval_command_flags(srv: &Server, argv: &[Vec<u8>], cmd_flags: u32, evalsha: bool) -> u32 {
    if argv.len() < 2 {
        return cmd_flags;
    }
    let script_flags = if evalsha {
        if argv[1].len() != 40 {
            return cmd_flags;
        }
        let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        match srv.scripting.scripts.get(&sha) {
            Some(s) => s.flags,
            None => return cmd_flags,
        }
    } else {
        let sha = crate::util::sha1::sha1hex(&argv[1]);
        match srv.scripting.scripts.get(&sha) {
            Some(s) => s.flags,
            None => match extract_shebang_flags(&argv[1]) {
                Ok((f, _)) => f,
                Err(_) => return cmd_flags,
            },
        }
    };
    if script_flags & FLAG_EVAL_COMPAT_MODE != 0 {
        return cmd_flags;
    }
    let mut f = cmd_flags & !(table::STALE | table::DENYOOM | table::WRITE);
    if script_flags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES) == 0 {
        f |= table::DENYOOM;
    }
    if script_flags & FLAG_NO_WRITES == 0 {
        f |= table::WRITE;
    }
    if script_flags & FLAG_ALLOW_STALE != 0 {
        f |= table::STALE;
    }
    f & !table::MAY_REPLICATE
}

/// FCALL's real flags: the function's declared flags, like a shebang.
pub fn fcall_command_flags(srv: &Server, argv: &[Vec<u8>], cmd_flags: u32) -> u32 {
    let f = match argv.get(1).and_then(|n| {
        srv.scripting
            .functions
            .functions
            .get(&String::from_utf8_lossy(n).to_ascii_lowercase())
    }) {
        Some(f) => f.flags,
        None => return cmd_flags,
    };
    let mut out = cmd_flags & !(table::STALE | table::DENYOOM | table::WRITE);
    if f & (FLAG_ALLOW_OOM | FLAG_NO_WRITES) == 0 {
        out |= table::DENYOOM;
    }
    if f & FLAG_NO_WRITES == 0 {
        out |= table::WRITE;
    }
    if f & FLAG_ALLOW_STALE != 0 {
        out |= table::STALE;
    }
    out & !table::MAY_REPLICATE
}

/// Make sure the interpreter exists (created lazily, and again after
/// SCRIPT FLUSH).
pub(crate) fn ensure_lua(srv: &mut Server) -> Result<(), String> {
    if srv.scripting.lua.is_none() {
        let lua = lua::new_state(srv.config.lua_enable_deprecated_api)
            .map_err(|e| format!("ERR Failed to initialize the Lua interpreter: {}", e))?;
        srv.scripting.lua = Some(lua);
    }
    Ok(())
}

/// The slab key of the script client, created on first use.
pub fn script_client(srv: &mut Server) -> usize {
    if let Some(cid) = srv.scripting.client {
        if srv.clients.contains(cid) {
            return cid;
        }
    }
    let mut c = crate::client::Client::new(0, None, crate::server::now_ms());
    c.addr = "lua".into();
    c.flags.authenticated = true;
    c.flags.script = true;
    let cid = srv.add_client(c);
    srv.scripting.client = Some(cid);
    cid
}

/// Compile `body` and cache it (Redis's `luaCreateFunction`); returns the
/// SHA1, or the error reply text.
pub fn create_function(srv: &mut Server, body: &[u8]) -> Result<String, String> {
    let sha = crate::util::sha1::sha1hex(body);
    if srv.scripting.scripts.contains_key(&sha) {
        return Ok(sha);
    }
    let (flags, shebang_len) = extract_shebang_flags(body)?;
    ensure_lua(srv)?;
    let lua = match srv.scripting.lua.as_ref() {
        Some(l) => l,
        None => return Err("ERR Lua interpreter is busy".into()),
    };
    lua::compile(lua, &sha, &body[shebang_len..])
        .map_err(|msg| format!("ERR Error compiling script (new function): {}", msg))?;
    srv.scripting.scripts_mem += body.len() + 40 + 64;
    srv.scripting.scripts.insert(
        sha.clone(),
        Script {
            body: body.to_vec(),
            flags,
        },
    );
    Ok(sha)
}

/// SCRIPT FLUSH: forget every script and start a new interpreter.
pub fn reset(srv: &mut Server) {
    if srv.scripting.run.is_some() {
        return;
    }
    srv.scripting.scripts.clear();
    srv.scripting.scripts_mem = 0;
    srv.scripting.lua = None;
    // Function libraries share the interpreter: load them into the new one.
    let codes: Vec<Vec<u8>> = srv
        .scripting
        .functions
        .libraries
        .values()
        .map(|l| l.code.clone())
        .collect();
    srv.scripting.functions = Default::default();
    for code in codes {
        let _ = functions::load(srv, &code, true);
    }
}

/// Whether memory is over `maxmemory` (Redis's `pre_command_oom_state`).
fn over_maxmemory(srv: &Server) -> bool {
    srv.config.maxmemory > 0 && crate::alloc::used_memory() as u64 > srv.config.maxmemory
}

/// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO (Redis's `evalGenericCommand`).
pub fn eval_generic(srv: &mut Server, ctx: &mut Ctx, evalsha: bool, ro: bool) {
    // MONITOR sees the EVAL before the commands the script runs.
    if !srv.monitors.is_empty() {
        let t = srv.clock_us;
        srv.feed_monitors(ctx.cid, ctx.db, &ctx.argv, &[], t);
    }
    // The EVAL itself is never propagated: its effects are.
    ctx.prevent_propagation = true;
    if evalsha && ctx.arg(1).len() != 40 {
        ctx.out.error(NOSCRIPT_ERR);
        return;
    }
    let numkeys = match crate::commands::parse_i64_arg(ctx, 2) {
        Some(n) => n,
        None => return,
    };
    if numkeys > ctx.argc() as i64 - 3 {
        ctx.out
            .error("ERR Number of keys can't be greater than number of args");
        return;
    } else if numkeys < 0 {
        ctx.out.error("ERR Number of keys can't be negative");
        return;
    }
    if srv.scripting.run.is_some() {
        ctx.out.error("ERR a script is already running");
        return;
    }
    let sha = if evalsha {
        String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase()
    } else {
        crate::util::sha1::sha1hex(ctx.arg(1))
    };
    if !srv.scripting.scripts.contains_key(&sha) {
        if evalsha {
            ctx.out.error(NOSCRIPT_ERR);
            return;
        }
        let body = ctx.arg(1).to_vec();
        if let Err(e) = create_function(srv, &body) {
            ctx.out.error(&e);
            return;
        }
    }
    let flags = srv.scripting.scripts.get(&sha).map_or(0, |s| s.flags);
    let compat = flags & FLAG_EVAL_COMPAT_MODE != 0;
    let oom = over_maxmemory(srv);
    if !compat {
        if let Some(e) = flags_refusal(flags, ro, oom) {
            ctx.out.error(e);
            return;
        }
    }
    let keys = ctx.argv[3..3 + numkeys as usize].to_vec();
    let args = ctx.argv[3 + numkeys as usize..].to_vec();
    run_script(srv, ctx, &sha, false, flags, ro, oom, keys, args);
}

/// scriptPrepareForRun's refusals for a script or function with declared
/// flags: a possibly-writing one through a `*_RO` command, or one without
/// `allow-oom` (and not `no-writes`) while over maxmemory.
fn flags_refusal(flags: u32, ro: bool, oom: bool) -> Option<&'static str> {
    if flags & FLAG_NO_WRITES == 0 && ro {
        Some("ERR Can not execute a script with write flag using *_ro command.")
    } else if oom && flags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES) == 0 {
        Some("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'")
    } else {
        None
    }
}

/// FCALL / FCALL_RO (Redis's `fcallCommandGeneric`).
pub fn fcall_generic(srv: &mut Server, ctx: &mut Ctx, ro: bool) {
    if !srv.monitors.is_empty() {
        let t = srv.clock_us;
        srv.feed_monitors(ctx.cid, ctx.db, &ctx.argv, &[], t);
    }
    ctx.prevent_propagation = true;
    let key = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    let (name, flags) = match srv.scripting.functions.functions.get(&key) {
        Some(f) => (f.name.clone(), f.flags),
        None => {
            ctx.out.error("ERR Function not found");
            return;
        }
    };
    let numkeys = match crate::util::numbers::parse_i64(ctx.arg(2)) {
        Some(n) => n,
        None => {
            ctx.out.error("ERR Bad number of keys provided");
            return;
        }
    };
    if numkeys > ctx.argc() as i64 - 3 {
        ctx.out
            .error("ERR Number of keys can't be greater than number of args");
        return;
    } else if numkeys < 0 {
        ctx.out.error("ERR Number of keys can't be negative");
        return;
    }
    if srv.scripting.run.is_some() {
        ctx.out.error("ERR a script is already running");
        return;
    }
    let oom = over_maxmemory(srv);
    if let Some(e) = flags_refusal(flags, ro, oom) {
        ctx.out.error(e);
        return;
    }
    let keys = ctx.argv[3..3 + numkeys as usize].to_vec();
    let args = ctx.argv[3 + numkeys as usize..].to_vec();
    run_script(srv, ctx, &name, true, flags, ro, oom, keys, args);
}

/// Run a cached script for the client of `ctx` and write its reply.
#[allow(clippy::too_many_arguments)]
fn run_script(
    srv: &mut Server,
    ctx: &mut Ctx,
    sha: &str,
    is_function: bool,
    flags: u32,
    ro: bool,
    oom: bool,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
) {
    let compat = flags & FLAG_EVAL_COMPAT_MODE != 0;
    if let Err(e) = ensure_lua(srv) {
        ctx.out.error(&e);
        return;
    }
    let sc = script_client(srv);
    {
        let c = &mut srv.clients[sc];
        c.db = ctx.db;
        c.resp = 2;
        c.reply.clear();
    }
    srv.scripting.run = Some(RunCtx {
        caller: ctx.cid,
        sha: sha.to_string(),
        read_only: ro || (!compat && flags & FLAG_NO_WRITES != 0),
        allow_oom: !compat && flags & FLAG_ALLOW_OOM != 0,
        oom_at_start: oom,
        write_dirty: false,
        killed: false,
        resp: 2,
        repl: REPL_ALL,
        start: Instant::now(),
        timed_out: false,
        keys: keys.clone(),
        is_function,
        argv: ctx.argv.clone(),
        snapshot_ms: srv.cmd_time_ms,
    });
    // Effects replication: collect what the script's commands propagate.
    let outer_exec = srv.in_exec;
    if !outer_exec {
        srv.in_exec = true;
        srv.exec_propagated.clear();
    }
    let lua_state = match srv.scripting.lua.take() {
        Some(l) => l,
        None => {
            srv.scripting.run = None;
            srv.in_exec = outer_exec;
            ctx.out.error("ERR Lua interpreter unavailable");
            return;
        }
    };
    let threshold = srv.config.busy_reply_threshold;
    // A panic inside a callback must not leave the interpreter moved out
    // of the server or a script marked as running: catch it here, put
    // everything back, then let call() turn it into an error reply.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lend_server(srv, || {
            if is_function {
                lua::call_function(&lua_state, sha, &keys, &args, threshold)
            } else {
                lua::call_script(&lua_state, sha, &keys, &args, threshold)
            }
        })
    }));
    let script_resp = srv.scripting.run.as_ref().map_or(2, |r| r.resp);
    let panic = finish_run(ctx, sha, script_resp, &lua_state, outcome);
    srv.scripting.lua = Some(lua_state);
    if let Some(p) = panic {
        srv.scripting.run = None;
        srv.in_exec = outer_exec;
        std::panic::resume_unwind(p);
    }
    let run = srv.scripting.run.take();
    if let Some(run) = &run {
        if run.timed_out {
            srv.script_timedout_end(run.caller);
        }
    }
    if !outer_exec {
        srv.in_exec = false;
        let queued = std::mem::take(&mut srv.exec_propagated);
        if queued.len() == 1 {
            let (db, argv) = &queued[0];
            srv.propagate(*db, argv);
        } else if queued.len() > 1 {
            let first_db = queued[0].0;
            srv.propagate(first_db, &[b"MULTI".to_vec()]);
            for (db, argv) in &queued {
                srv.propagate(*db, argv);
            }
            srv.propagate(first_db, &[b"EXEC".to_vec()]);
        }
    }
}

/// The reply of a run that returned, or the panic of one that did not.
fn finish_run(
    ctx: &mut Ctx,
    sha: &str,
    script_resp: u8,
    lua_state: &mlua::Lua,
    outcome: std::thread::Result<mlua::Result<lua::Outcome>>,
) -> Option<Box<dyn std::any::Any + Send>> {
    match outcome {
        Ok(outcome) => {
            reply_outcome(ctx, sha, script_resp, outcome);
            lua::after_script(lua_state);
            None
        }
        Err(p) => {
            lua_state.remove_hook();
            Some(p)
        }
    }
}

/// Write a script's result (or error) as the EVAL reply.
fn reply_outcome(ctx: &mut Ctx, sha: &str, script_resp: u8, outcome: mlua::Result<lua::Outcome>) {
    match outcome {
        Ok(lua::Outcome::Value(v)) => {
            // A returned error table relayed from redis.pcall: the error
            // was counted by the command, the EVAL still failed.
            if let mlua::Value::Table(t) = &v {
                if matches!(
                    t.raw_get::<_, mlua::Value>("ignore_error_stats_update"),
                    Ok(mlua::Value::Boolean(true))
                ) && matches!(
                    t.raw_get::<_, mlua::Value>("err"),
                    Ok(mlua::Value::String(_))
                ) {
                    ctx.failed_uncounted = true;
                }
            }
            convert::lua_to_reply(&mut ctx.out, &v, script_resp)
        }
        Ok(lua::Outcome::Error(info)) => {
            let mut msg = info.msg.unwrap_or_default();
            if let (Some(line), Some(source)) = (&info.line, &info.source) {
                msg = format!("{} script: {}, on {}:{}.", msg, sha, source, line);
            }
            if info.ignore_stats {
                convert::error_no_stats(&mut ctx.out, &msg);
                ctx.failed_uncounted = true;
            } else {
                ctx.out.error(&msg);
            }
        }
        Err(e) => ctx.out.error(&format!(
            "ERR Error running script {}, {:.100}",
            sha,
            e.to_string()
        )),
    }
}

/// Run one command for the current script (Redis's `scriptCall`): the
/// script-specific checks, then the ordinary `call()` on the script client.
/// Returns the reply bytes, or the text of a rejection (already counted in
/// the error statistics).
pub fn script_call(srv: &mut Server, argv: Vec<Vec<u8>>) -> Result<Vec<u8>, String> {
    let reject =
        |srv: &mut Server, id: Option<table::CmdId>, msg: &str| -> Result<Vec<u8>, String> {
            let code = msg
                .strip_prefix('-')
                .map_or("ERR", |m| m.split(' ').next().unwrap_or("ERR"));
            srv.count_errors(vec![code.to_string()]);
            if let Some(id) = id {
                srv.commands.entries[id].stats.rejected_calls += 1;
            }
            Err(msg.to_string())
        };
    let id = match srv.commands.lookup(&argv) {
        Ok(id) => id,
        Err(_) => return reject(srv, None, "Unknown Redis command called from script"),
    };
    if srv.commands.check_arity(id, argv.len()).is_err() {
        return reject(
            srv,
            Some(id),
            "Wrong number of args calling Redis command from script",
        );
    }
    let flags = srv.commands.entries[id].def.flags;
    if flags & table::NOSCRIPT != 0 && !srv.scripting.disable_deny_script {
        return reject(
            srv,
            Some(id),
            "This Redis command is not allowed from script",
        );
    }
    // scriptVerifyACL: the script's commands run as the caller's user.
    let caller = srv.scripting.run.as_ref().map(|r| r.caller);
    let sc = script_client(srv);
    let user = caller
        .and_then(|c| srv.clients.get(c))
        .map(|c| c.user.clone())
        .unwrap_or_else(|| b"default".to_vec());
    srv.clients[sc].user = user;
    if let Err(d) = crate::commands::acl_cmd::check_all_perm(srv, sc, id, &argv) {
        crate::commands::acl_cmd::log_denied(srv, sc, d, crate::acl::LogContext::Lua, id, &argv);
        let msg = format!("The user executing the script {}", d.message());
        return reject(srv, Some(id), &msg);
    }
    let (read_only, allow_oom, write_dirty, oom_at_start, resp) = match &srv.scripting.run {
        Some(r) => (
            r.read_only,
            r.allow_oom,
            r.write_dirty,
            r.oom_at_start,
            r.resp,
        ),
        None => {
            return Err("redis.call/pcall can only be called inside a script invocation".into())
        }
    };
    if read_only && flags & (table::WRITE | table::MAY_REPLICATE) != 0 {
        return reject(
            srv,
            Some(id),
            "Write commands are not allowed from read-only scripts.",
        );
    }
    if !allow_oom
        && srv.config.maxmemory > 0
        && !write_dirty
        && oom_at_start
        && flags & table::DENYOOM != 0
    {
        return reject(
            srv,
            Some(id),
            "-OOM command not allowed when used memory > 'maxmemory'.",
        );
    }
    // Until the script has written, a write may still be refused for the
    // server's state (scriptVerifyWriteCommandAllow): only scripts without
    // a shebang get here with too few replicas, the others were refused
    // before they started.
    if flags & table::WRITE != 0 && !write_dirty {
        if let Some(msg) = srv.write_denied_error() {
            return reject(srv, Some(id), &format!("-{msg}"));
        }
    }
    if flags & table::WRITE != 0 && !write_dirty && srv.lacks_good_replicas() {
        return reject(
            srv,
            Some(id),
            "-NOREPLICAS Not enough good replicas to write.",
        );
    }
    if flags & table::WRITE != 0 {
        if let Some(r) = srv.scripting.run.as_mut() {
            r.write_dirty = true;
        }
    }
    srv.clients[sc].resp = resp;
    srv.call(sc, id, argv);
    let c = &mut srv.clients[sc];
    let reply = c.reply.contents();
    c.reply.clear();
    c.reply.errors.clear();
    Ok(reply)
}

/// SCRIPT KILL and FUNCTION KILL (Redis's `scriptKill`): each kills only
/// its own kind of script.
pub fn kill(srv: &mut Server, ctx: &mut Ctx, is_eval: bool) {
    match srv.scripting.run.as_mut() {
        None => ctx.out.error("NOTBUSY No scripts in execution right now."),
        Some(r) if r.write_dirty => ctx.out.error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."),
        Some(r) if is_eval && r.is_function => ctx.out.error("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."),
        Some(r) if !is_eval && !r.is_function => ctx.out.error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
        Some(r) => {
            r.killed = true;
            ctx.out.ok();
        }
    }
}

impl Server {
    /// Called from the Lua instruction hook (Redis's `scriptInterrupt`):
    /// once the script has run longer than `busy-reply-threshold`, keep
    /// serving other clients (who get BUSY) so SCRIPT KILL can arrive.
    /// Returns true when the script must be aborted.
    pub fn script_interrupt(&mut self) -> bool {
        let threshold = self.config.busy_reply_threshold;
        let (elapsed_ms, timed_out) = match &self.scripting.run {
            Some(r) => (r.start.elapsed().as_millis() as u64, r.timed_out),
            None => return false,
        };
        if !timed_out {
            if elapsed_ms < threshold {
                return false;
            }
            log::warn!(
                "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the SCRIPT KILL command.",
                elapsed_ms
            );
            if let Some(r) = self.scripting.run.as_mut() {
                r.timed_out = true;
            }
        }
        self.process_events_while_blocked();
        // SHUTDOWN NOSAVE during the script ends it too.
        self.exit_code.is_some() || self.scripting.run.as_ref().is_some_and(|r| r.killed)
    }

    /// The script that timed out ended: clients parked while it ran get
    /// their input processed again (Redis's `exitScriptTimedoutMode`).
    pub fn script_timedout_end(&mut self, _caller: usize) {
        log::warn!("Slow script finished.");
    }

    /// Serve the network while a script runs (Redis's
    /// `processEventsWhileBlocked`); see `event_loop::serve_while_blocked`.
    pub fn process_events_while_blocked(&mut self) {
        crate::event_loop::serve_while_blocked(self);
    }

    /// A timed-out script blocks this command (Redis's check in
    /// `processCommand`): everything but `allow-busy` commands, and
    /// SHUTDOWN only with NOSAVE.
    /// The BUSY error for the running script's kind.
    pub fn busy_error(&self) -> &'static str {
        if self.scripting.run.as_ref().is_some_and(|r| r.is_function) {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        } else {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }
    }

    pub fn busy_script_rejects(&self, cid: usize, flags: u32, argv: &[Vec<u8>]) -> bool {
        let timed_out = self.scripting.run.as_ref().is_some_and(|r| r.timed_out);
        if !timed_out || self.scripting.client == Some(cid) {
            return false;
        }
        if flags & table::ALLOW_BUSY == 0 {
            return true;
        }
        argv[0].eq_ignore_ascii_case(b"shutdown")
            && !argv[1..].iter().any(|a| a.eq_ignore_ascii_case(b"nosave"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags() {
        assert_eq!(
            extract_shebang_flags(b"return 1").unwrap(),
            (FLAG_EVAL_COMPAT_MODE, 0)
        );
        assert_eq!(extract_shebang_flags(b"#!lua\nreturn 1").unwrap(), (0, 5));
        assert_eq!(
            extract_shebang_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1")
                .unwrap()
                .0,
            FLAG_NO_WRITES | FLAG_ALLOW_OOM
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua flags=\nreturn 1").unwrap().0,
            0
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua").unwrap_err(),
            "ERR Invalid script shebang"
        );
        assert_eq!(
            extract_shebang_flags(b"#!python\n").unwrap_err(),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua flags=bad\n").unwrap_err(),
            "ERR Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua foo=bar\n").unwrap_err(),
            "ERR Unknown lua shebang option: foo=bar"
        );
    }
}
