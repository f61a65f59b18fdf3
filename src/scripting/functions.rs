//! Function libraries: FUNCTION LOAD / DELETE / FLUSH / LIST / RESTORE and
//! FCALL (~ Redis's `functions.c` and `function_lua.c`).
//!
//! A library is Lua code starting with `#!lua name=<library>`. Loading runs
//! the code once; each `redis.register_function(name, callback)` (or the
//! table form with `function_name`, `callback`, `flags`, `description`)
//! during that run declares a function. The callbacks live in the Lua
//! registry as `fn_<name>`; FCALL runs one with `(KEYS, ARGV)` as its
//! arguments through the same runner, sandbox, `redis.call` path and busy
//! handling as EVAL. Functions use the shebang flag names of scripts
//! (`no-writes`, `allow-oom`, ...) and are never in "compat" mode.
//!
//! A load is all or nothing: the registrations are staged while the code
//! runs and only replace the library (and check name clashes with other
//! libraries) once it finished without error. FUNCTION RESTORE goes one step
//! further: every library of the payload compiles into a `Compiled` set
//! first, and the set joins the live libraries (Redis's `libraryJoin`) only
//! when no library or function name clashes, so a payload is installed
//! whole or not at all.

use std::cell::RefCell;
use std::collections::BTreeMap;

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::lua::{raise_err, Ret};
use super::Scripting;
use crate::server::Server;

/// One registered function.
#[derive(Clone)]
pub struct FunctionInfo {
    /// The name as registered (lookups are case-insensitive, as in Redis).
    pub name: String,
    pub library: String,
    pub flags: u32,
    pub description: Option<Vec<u8>>,
}

/// A loaded library.
pub struct Library {
    pub code: Vec<u8>,
    /// Function names, in registration order.
    pub functions: Vec<String>,
}

/// Every library and function (Redis's `functionsLibCtx`).
#[derive(Default)]
pub struct FunctionsState {
    pub libraries: BTreeMap<String, Library>,
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// A registration made while a library's code runs.
struct Staged {
    name: String,
    flags: u32,
    description: Option<Vec<u8>>,
}

thread_local! {
    /// The registrations of the library being loaded; `None` outside
    /// FUNCTION LOAD.
    static LOADING: RefCell<Option<Vec<Staged>>> = const { RefCell::new(None) };
}

/// How long a library's code may run at FUNCTION LOAD.
const LOAD_TIMEOUT_MS: u64 = 500;

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

fn flag_bits(lua: &Lua, flags: &Table) -> Result<u32, ()> {
    let mut bits = 0;
    for v in flags.clone().sequence_values::<Value>() {
        let v = v.map_err(|_| ())?;
        let name = match &v {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => return Err(()),
        };
        match super::FLAG_NAMES
            .iter()
            .find(|(n, _)| n.as_bytes() == name.as_slice())
        {
            Some((_, b)) => bits |= b,
            None => return Err(()),
        }
    }
    let _ = lua;
    Ok(bits)
}

/// `redis.register_function` (Redis's `luaRegisterFunction`). Returns
/// `(value, raise)` for the raising trampoline.
pub fn register_function_api<'lua>(lua: &'lua Lua, args: MultiValue<'lua>) -> Ret<'lua> {
    let args = args.into_vec();
    if args.is_empty() || args.len() > 2 {
        return raise_err(lua, "wrong number of arguments to redis.register_function");
    }
    if !LOADING.with(|l| l.borrow().is_some()) {
        return raise_err(
            lua,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    }
    let (name, callback, flags, description): (Vec<u8>, Function, u32, Option<Vec<u8>>) = if args
        .len()
        == 1
    {
        let t = match &args[0] {
                Value::Table(t) => t.clone(),
                _ => return raise_err(lua, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
            };
        let (mut name, mut cb, mut flags, mut desc) = (None, None, 0, None);
        for pair in t.pairs::<Value, Value>() {
            let (k, v) = pair?;
            let key = match &k {
                Value::String(s) => s.as_bytes().to_ascii_lowercase(),
                _ => {
                    return raise_err(
                        lua,
                        "named argument key given to redis.register_function is not a string",
                    )
                }
            };
            match key.as_slice() {
                    b"function_name" => match v {
                        Value::String(s) => name = Some(s.as_bytes().to_vec()),
                        _ => return raise_err(lua, "function_name argument given to redis.register_function must be a string"),
                    },
                    b"description" => match v {
                        Value::String(s) => desc = Some(s.as_bytes().to_vec()),
                        _ => return raise_err(lua, "description argument given to redis.register_function must be a string"),
                    },
                    b"callback" => match v {
                        Value::Function(f) => cb = Some(f),
                        _ => return raise_err(lua, "callback argument given to redis.register_function must be a function"),
                    },
                    b"flags" => match v {
                        Value::Table(ft) => match flag_bits(lua, &ft) {
                            Ok(b) => flags = b,
                            Err(()) => return raise_err(lua, "unknown flag given"),
                        },
                        _ => return raise_err(lua, "flags argument to redis.register_function must be a table representing function flags"),
                    },
                    _ => return raise_err(lua, "unknown argument given to redis.register_function"),
                }
        }
        let name = match name {
            Some(n) => n,
            None => {
                return raise_err(
                    lua,
                    "redis.register_function must get a function name argument",
                )
            }
        };
        let cb = match cb {
            Some(c) => c,
            None => return raise_err(lua, "redis.register_function must get a callback argument"),
        };
        (name, cb, flags, desc)
    } else {
        let name = match &args[0] {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => {
                return raise_err(
                    lua,
                    "first argument to redis.register_function must be a string",
                )
            }
        };
        let cb = match &args[1] {
            Value::Function(f) => f.clone(),
            _ => {
                return raise_err(
                    lua,
                    "second argument to redis.register_function must be a function",
                )
            }
        };
        (name, cb, 0, None)
    };
    if !valid_name(&name) {
        // Redis 7.0 says "Library names" here too.
        return raise_err(lua, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let dup = LOADING.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|v| v.iter().any(|s| s.name.eq_ignore_ascii_case(&name)))
    });
    if dup {
        return raise_err(lua, "Function already exists in the library");
    }
    let staging: Table = lua.named_registry_value("redis_fn_staging")?;
    staging.raw_set(name.as_str(), callback)?;
    LOADING.with(|l| {
        if let Some(v) = l.borrow_mut().as_mut() {
            v.push(Staged {
                name,
                flags,
                description,
            });
        }
    });
    Ok((Value::Nil, false))
}

/// Parse `#!<engine> name=<lib>`: the library name and where the code
/// starts (Redis's `functionExtractLibMetaData`).
fn parse_metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| "ERR Invalid library metadata".to_string())?;
    let parts = match crate::config::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for p in &parts[1..] {
        if p.len() >= 5 && p[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(p[5..].to_vec());
            continue;
        }
        return Err(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(p)
        ));
    }
    let name = name.ok_or_else(|| "ERR Library name was not given".to_string())?;
    if !valid_name(&name) {
        return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "ERR Engine '{}' not found",
            String::from_utf8_lossy(&engine)
        ));
    }
    Ok((String::from_utf8_lossy(&name).into_owned(), end))
}

/// A library whose code ran and registered its functions, not yet
/// installed: FUNCTION LOAD and FUNCTION RESTORE compile first and touch
/// the live libraries only once everything compiled and no name clashes
/// (Redis builds a separate `functionsLibCtx` for the same reason).
struct Compiled {
    pub name: String,
    code: Vec<u8>,
    functions: Vec<(Staged, mlua::RegistryKey)>,
}

/// Compile a library whose metadata was parsed (Redis's
/// `functionsCreateWithLibraryCtx` minus the linking): run the code,
/// collect its registrations. A library that registers no function is an
/// error.
fn compile_body(
    lua: &Lua,
    name: String,
    code: &[u8],
    shebang_len: usize,
) -> Result<Compiled, String> {
    let staged = run_library(lua, &code[shebang_len..])?;
    let staging: Table = lua
        .named_registry_value("redis_fn_staging")
        .map_err(|e| e.to_string())?;
    let mut lib = Compiled {
        name,
        code: code.to_vec(),
        functions: Vec::with_capacity(staged.len()),
    };
    let mut failed = None;
    for s in staged {
        let key = staging
            .raw_get::<_, Function>(s.name.as_str())
            .and_then(|cb| lua.create_registry_value(cb));
        match key {
            Ok(k) => lib.functions.push((s, k)),
            Err(e) => {
                failed = Some(format!("ERR {}", e));
                break;
            }
        }
    }
    if let Ok(t) = lua.create_table() {
        let _ = lua.set_named_registry_value("redis_fn_staging", t);
    }
    if let Some(e) = failed {
        discard(lua, lib);
        return Err(e);
    }
    if lib.functions.is_empty() {
        return Err("ERR No functions registered".into());
    }
    Ok(lib)
}

/// Drop a compiled library that will not be installed.
fn discard(lua: &Lua, lib: Compiled) {
    for (_, k) in lib.functions {
        let _ = lua.remove_registry_value(k);
    }
}

/// Remove a library and its functions (`libraryUnlink`).
fn unlink(lua: &Lua, functions: &mut FunctionsState, name: &str) {
    if let Some(old) = functions.libraries.remove(name) {
        for f in old.functions {
            let key = f.to_ascii_lowercase();
            functions.functions.remove(&key);
            let _ = lua.unset_named_registry_value(&format!("fn_{}", key));
        }
    }
}

/// Install a compiled library (`libraryLink`); its name and its functions'
/// names must be free.
fn link(lua: &Lua, functions: &mut FunctionsState, lib: Compiled) {
    let mut names = Vec::with_capacity(lib.functions.len());
    for (s, k) in lib.functions {
        let key = s.name.to_ascii_lowercase();
        if let Ok(cb) = lua.registry_value::<Function>(&k) {
            let _ = lua.set_named_registry_value(&format!("fn_{}", key), cb);
        }
        let _ = lua.remove_registry_value(k);
        functions.functions.insert(
            key,
            FunctionInfo {
                name: s.name.clone(),
                library: lib.name.clone(),
                flags: s.flags,
                description: s.description,
            },
        );
        names.push(s.name);
    }
    functions.libraries.insert(
        lib.name,
        Library {
            code: lib.code,
            functions: names,
        },
    );
}

/// The first function of `lib` whose name a library of `functions` other
/// than those in `leaving` already uses.
fn function_clash<'a>(
    functions: &FunctionsState,
    lib: &'a Compiled,
    leaving: &[&str],
) -> Option<&'a str> {
    lib.functions
        .iter()
        .map(|(s, _)| s.name.as_str())
        .find(|n| {
            functions
                .functions
                .get(&n.to_ascii_lowercase())
                .is_some_and(|f| !leaving.contains(&f.library.as_str()))
        })
}

/// FUNCTION LOAD: compile and run the library code, then install its
/// functions. Returns the library name or the error reply.
pub fn load(srv: &mut Server, code: &[u8], replace: bool) -> Result<String, String> {
    let (name, shebang_len) = parse_metadata(code)?;
    if !replace && srv.scripting.functions.libraries.contains_key(&name) {
        return Err(format!("ERR Library '{}' already exists", name));
    }
    super::ensure_lua(srv)?;
    let Scripting { lua, functions, .. } = &mut srv.scripting;
    let lua = lua
        .as_ref()
        .ok_or_else(|| "ERR Lua interpreter is busy".to_string())?;
    let lib = compile_body(lua, name.clone(), code, shebang_len)?;
    if let Some(f) = function_clash(functions, &lib, &[&name]) {
        let e = format!("ERR Function {} already exists", f);
        discard(lua, lib);
        return Err(e);
    }
    unlink(lua, functions, &name);
    link(lua, functions, lib);
    Ok(name)
}

/// What FUNCTION RESTORE does with the libraries already loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Add the payload's libraries; any library name clash is an error.
    Append,
    /// Add them, replacing libraries of the same name.
    Replace,
    /// Delete every library first.
    Flush,
}

/// FUNCTION RESTORE (`functionRestoreCommand`): `codes` are the payload's
/// libraries. All of them compile into a staging set first (a library
/// name or function name repeated inside the payload is an error there),
/// then the set joins the live libraries under `policy`
/// (`libraryJoin`). On any error nothing changed.
pub fn restore(srv: &mut Server, codes: &[Vec<u8>], policy: RestorePolicy) -> Result<(), String> {
    super::ensure_lua(srv)?;
    let Scripting { lua, functions, .. } = &mut srv.scripting;
    let lua = lua
        .as_ref()
        .ok_or_else(|| "ERR Lua interpreter is busy".to_string())?;
    let mut staged: Vec<Compiled> = Vec::with_capacity(codes.len());
    let fail = |staged: Vec<Compiled>, e: String| {
        for lib in staged {
            discard(lua, lib);
        }
        Err(e)
    };
    // The staging set behaves like an empty library context of its own.
    for code in codes {
        let (name, shebang_len) = match parse_metadata(code) {
            Ok(m) => m,
            Err(e) => return fail(staged, e),
        };
        if staged.iter().any(|l| l.name == name) {
            return fail(staged, format!("ERR Library '{}' already exists", name));
        }
        let lib = match compile_body(lua, name, code, shebang_len) {
            Ok(l) => l,
            Err(e) => return fail(staged, e),
        };
        let clash = lib.functions.iter().map(|(s, _)| &s.name).find(|n| {
            staged
                .iter()
                .flat_map(|l| l.functions.iter())
                .any(|(o, _)| o.name.eq_ignore_ascii_case(n))
        });
        if let Some(n) = clash {
            let e = format!("ERR Function {} already exists", n);
            discard(lua, lib);
            return fail(staged, e);
        }
        staged.push(lib);
    }
    if policy == RestorePolicy::Flush {
        let names: Vec<String> = functions.libraries.keys().cloned().collect();
        for n in names {
            unlink(lua, functions, &n);
        }
    } else {
        // `libraryJoin`: library names first, then function names against
        // the libraries that stay.
        let leaving: Vec<String> = staged
            .iter()
            .filter(|l| functions.libraries.contains_key(&l.name))
            .map(|l| l.name.clone())
            .collect();
        if policy == RestorePolicy::Append {
            if let Some(n) = leaving.first() {
                let e = format!("ERR Library {} already exists", n);
                return fail(staged, e);
            }
        }
        let refs: Vec<&str> = leaving.iter().map(String::as_str).collect();
        let clash = staged
            .iter()
            .find_map(|lib| function_clash(functions, lib, &refs))
            .map(|f| format!("ERR Function {} already exists", f));
        if let Some(e) = clash {
            return fail(staged, e);
        }
        for n in &leaving {
            unlink(lua, functions, n);
        }
    }
    for lib in staged {
        link(lua, functions, lib);
    }
    Ok(())
}

/// Compile and run a library's code with registrations staged.
fn run_library(lua: &Lua, body: &[u8]) -> Result<Vec<Staged>, String> {
    let fenv: Table = lua
        .named_registry_value("redis_fenv")
        .map_err(|e| e.to_string())?;
    let f = lua
        .load(&*super::chunk::as_text(body))
        .set_name("@user_function")
        .set_mode(mlua::ChunkMode::Text)
        .set_environment(fenv)
        .into_function()
        .map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => {
                format!("ERR Error compiling function: {}", message)
            }
            other => format!("ERR Error compiling function: {}", other),
        })?;
    let staging = lua.create_table().map_err(|e| e.to_string())?;
    lua.set_named_registry_value("redis_fn_staging", staging)
        .map_err(|e| e.to_string())?;
    let run_load: Function = lua
        .named_registry_value("redis_run_load")
        .map_err(|e| e.to_string())?;
    LOADING.with(|l| *l.borrow_mut() = Some(Vec::new()));
    // A library's top level gets 500 ms (Redis's LOAD_TIMEOUT_MS).
    let start = std::time::Instant::now();
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(100_000),
        move |_lua, _debug| {
            if start.elapsed() > std::time::Duration::from_millis(LOAD_TIMEOUT_MS) {
                return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
            }
            Ok(())
        },
    );
    let res = run_load.call::<_, MultiValue>(f);
    lua.remove_hook();
    let staged = LOADING.with(|l| l.borrow_mut().take()).unwrap_or_default();
    let mut it = res
        .map_err(|e| format!("ERR Error registering functions: {}", e))?
        .into_iter();
    let ok = it.next().unwrap_or(Value::Nil);
    let v = it.next().unwrap_or(Value::Nil);
    if let super::lua::Outcome::Error(info) = super::lua::outcome_of(ok, v) {
        return Err(format!(
            "ERR Error registering functions: {}",
            info.msg.unwrap_or_default()
        ));
    }
    Ok(staged)
}

/// FUNCTION DELETE library
pub fn delete(srv: &mut Server, name: &[u8]) -> Result<(), String> {
    let name = String::from_utf8_lossy(name).into_owned();
    let Scripting { lua, functions, .. } = &mut srv.scripting;
    let lib = functions
        .libraries
        .remove(&name)
        .ok_or_else(|| "ERR Library not found".to_string())?;
    for f in lib.functions {
        let key = f.to_ascii_lowercase();
        functions.functions.remove(&key);
        if let Some(lua) = lua.as_ref() {
            let _ = lua.unset_named_registry_value(&format!("fn_{}", key));
        }
    }
    Ok(())
}

/// FUNCTION FLUSH
pub fn flush(srv: &mut Server) {
    let Scripting { lua, functions, .. } = &mut srv.scripting;
    for name in functions.functions.keys() {
        if let Some(lua) = lua.as_ref() {
            let _ = lua.unset_named_registry_value(&format!("fn_{}", name));
        }
    }
    functions.functions.clear();
    functions.libraries.clear();
}
