//! FUNCTION LOAD / DELETE / FLUSH / LIST / KILL / STATS / DUMP / RESTORE /
//! HELP and FCALL, FCALL_RO (~ Redis's `functions.c`). The engine is in
//! `src/scripting/functions.rs`; the DUMP payload format in `crate::rdb`.

use crate::commands::{arg_eq, reply_help};
use crate::server::{Ctx, Server};

/// FUNCTION FLUSH [ASYNC|SYNC]
pub fn function_flush_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        crate::pubsub::subcommand_syntax_error(ctx, "FUNCTION");
        return;
    }
    if ctx.argc() == 3 && !arg_eq(ctx.arg(2), "sync") && !arg_eq(ctx.arg(2), "async") {
        ctx.out
            .error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    crate::scripting::functions::flush(srv);
    srv.dirty += 1;
    ctx.out.ok();
}

/// FUNCTION LOAD [REPLACE] code
pub fn function_load_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut replace = false;
    let mut i = 2;
    while i < ctx.argc() - 1 {
        if arg_eq(ctx.arg(i), "replace") {
            replace = true;
            i += 1;
            continue;
        }
        let msg = format!(
            "ERR Unknown option given: {}",
            String::from_utf8_lossy(ctx.arg(i))
        );
        ctx.out.error(&msg);
        return;
    }
    if i >= ctx.argc() {
        ctx.out.error("ERR Function code is missing");
        return;
    }
    let code = ctx.arg(i).to_vec();
    match crate::scripting::functions::load(srv, &code, replace) {
        Ok(name) => {
            srv.dirty += 1;
            ctx.out.bulk(name.as_bytes());
        }
        Err(e) => ctx.out.error(&e),
    }
}

/// FUNCTION DELETE library-name
pub fn function_delete_command(srv: &mut Server, ctx: &mut Ctx) {
    let name = ctx.arg(2).to_vec();
    match crate::scripting::functions::delete(srv, &name) {
        Ok(()) => {
            srv.dirty += 1;
            ctx.out.ok();
        }
        Err(e) => ctx.out.error(&e),
    }
}

/// FUNCTION STATS: the running script and per-engine counts.
pub fn function_stats_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.map_len(2);
    ctx.out.bulk(b"running_script");
    match &srv.scripting.run {
        None => ctx.out.null(),
        Some(r) => {
            ctx.out.map_len(3);
            ctx.out.bulk(b"name");
            ctx.out.bulk(r.sha.as_bytes());
            ctx.out.bulk(b"command");
            ctx.out.array_len(r.argv.len());
            for a in &r.argv {
                ctx.out.bulk(a);
            }
            ctx.out.bulk(b"duration_ms");
            ctx.out.int(r.start.elapsed().as_millis() as i64);
        }
    }
    ctx.out.bulk(b"engines");
    ctx.out.map_len(1);
    ctx.out.bulk(b"LUA");
    ctx.out.map_len(2);
    ctx.out.bulk(b"libraries_count");
    ctx.out.int(srv.scripting.functions.libraries.len() as i64);
    ctx.out.bulk(b"functions_count");
    ctx.out.int(srv.scripting.functions.functions.len() as i64);
}

/// FCALL function numkeys [key ...] [arg ...]
pub fn fcall_command(srv: &mut Server, ctx: &mut Ctx) {
    crate::scripting::fcall_generic(srv, ctx, false);
}

/// FCALL_RO function numkeys [key ...] [arg ...]
pub fn fcall_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    crate::scripting::fcall_generic(srv, ctx, true);
}

/// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]
pub fn function_list_command(srv: &mut Server, ctx: &mut Ctx) {
    let (mut with_code, mut pattern): (bool, Option<Vec<u8>>) = (false, None);
    let mut i = 2;
    while i < ctx.argc() {
        let a = ctx.arg(i);
        if !with_code && arg_eq(a, "withcode") {
            with_code = true;
        } else if pattern.is_none() && arg_eq(a, "libraryname") {
            if i >= ctx.argc() - 1 {
                ctx.out.error("ERR library name argument was not given");
                return;
            }
            pattern = Some(ctx.arg(i + 1).to_vec());
            i += 1;
        } else {
            let msg = format!("ERR Unknown argument {}", String::from_utf8_lossy(a));
            ctx.out.error(&msg);
            return;
        }
        i += 1;
    }
    let fs = &srv.scripting.functions;
    let libs: Vec<(&String, &crate::scripting::functions::Library)> = fs
        .libraries
        .iter()
        .filter(|(name, _)| {
            pattern
                .as_ref()
                .is_none_or(|p| crate::util::glob::string_match(p, name.as_bytes(), false))
        })
        .collect();
    ctx.out.array_len(libs.len());
    for (name, lib) in libs {
        ctx.out.map_len(if with_code { 4 } else { 3 });
        ctx.out.bulk(b"library_name");
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(b"engine");
        ctx.out.bulk(b"LUA");
        ctx.out.bulk(b"functions");
        ctx.out.array_len(lib.functions.len());
        for f in &lib.functions {
            let info = fs.functions.get(&f.to_ascii_lowercase());
            ctx.out.map_len(3);
            ctx.out.bulk(b"name");
            ctx.out.bulk(f.as_bytes());
            ctx.out.bulk(b"description");
            match info.and_then(|i| i.description.as_ref()) {
                Some(d) => ctx.out.bulk(d),
                None => ctx.out.null(),
            }
            ctx.out.bulk(b"flags");
            let flags = info.map_or(0, |i| i.flags);
            let names: Vec<&str> = crate::scripting::FLAG_NAMES
                .iter()
                .filter(|(_, b)| flags & b != 0)
                .map(|(n, _)| *n)
                .collect();
            ctx.out.set_len(names.len());
            for n in names {
                ctx.out.status(n);
            }
        }
        if with_code {
            ctx.out.bulk(b"library_code");
            ctx.out.bulk(&lib.code);
        }
    }
}

/// FUNCTION DUMP: every library as a payload of FUNCTION2 RDB records,
/// the RDB version and a CRC-64 (`functionDumpCommand`).
pub fn function_dump_command(srv: &mut Server, ctx: &mut Ctx) {
    let payload = crate::rdb::encode::functions_dump_payload(
        srv.scripting
            .functions
            .libraries
            .values()
            .map(|l| l.code.as_slice()),
        srv.config.rdbcompression,
    );
    ctx.out.bulk(&payload);
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
/// (`functionRestoreCommand`): the default policy is APPEND. A bad payload
/// or a name clash changes nothing.
pub fn function_restore_command(srv: &mut Server, ctx: &mut Ctx) {
    use crate::scripting::functions::RestorePolicy;
    if ctx.argc() > 4 {
        crate::pubsub::subcommand_syntax_error(ctx, "FUNCTION");
        return;
    }
    let mut policy = RestorePolicy::Append;
    if ctx.argc() == 4 {
        let p = ctx.arg(3);
        policy = if arg_eq(p, "append") {
            RestorePolicy::Append
        } else if arg_eq(p, "replace") {
            RestorePolicy::Replace
        } else if arg_eq(p, "flush") {
            RestorePolicy::Flush
        } else {
            ctx.out.error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return;
        };
    }
    let skip_crc = srv.skip_checksum_validation;
    let Some(body) = crate::rdb::decode::verify_dump_payload(ctx.arg(2), skip_crc) else {
        ctx.out
            .error("ERR DUMP payload version or checksum are wrong");
        return;
    };
    let codes = match crate::rdb::decode::function_payload_codes(body) {
        Ok(c) => c,
        Err(e) => {
            ctx.out.error(&format!("ERR {}", e));
            return;
        }
    };
    match crate::scripting::functions::restore(srv, &codes, policy) {
        Ok(()) => {
            srv.dirty += 1;
            ctx.out.ok();
        }
        Err(e) => ctx.out.error(&e),
    }
}

/// FUNCTION HELP
pub fn function_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// FUNCTION KILL: kill the running function (not an EVAL script).
pub fn function_kill_command(srv: &mut Server, ctx: &mut Ctx) {
    crate::scripting::kill(srv, ctx, false);
}
