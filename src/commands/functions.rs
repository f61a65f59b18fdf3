//! FUNCTION FLUSH / LIST / HELP (~ Redis's `functions.c`).
//!
//! ferrodis has no script engine yet, so no function library can ever be
//! loaded: FUNCTION LOAD and friends do not exist (unknown subcommand), and
//! the subcommands here answer exactly as Redis does with an empty library
//! set. Clients and the test suite call FUNCTION FLUSH to reset a server.

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
    srv.dirty += 1;
    ctx.out.ok();
}

/// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]
pub fn function_list_command(_srv: &mut Server, ctx: &mut Ctx) {
    let (mut with_code, mut name) = (false, false);
    let mut i = 2;
    while i < ctx.argc() {
        let a = ctx.arg(i);
        if !with_code && arg_eq(a, "withcode") {
            with_code = true;
        } else if !name && arg_eq(a, "libraryname") {
            if i >= ctx.argc() - 1 {
                ctx.out.error("ERR library name argument was not given");
                return;
            }
            name = true;
            i += 1;
        } else {
            let msg = format!("ERR Unknown argument {}", String::from_utf8_lossy(a));
            ctx.out.error(&msg);
            return;
        }
        i += 1;
    }
    ctx.out.array_len(0);
}

/// FUNCTION HELP
pub fn function_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LIST [WITHCODE] [LIBRARYNAME <pattern>]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "FLUSH [ASYNC|SYNC]",
            "    Deletes all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// FUNCTION KILL: no function can be running (FUNCTION LOAD does not
/// exist); a running EVAL script answers BUSY, as Redis does when the
/// wrong kind of script is asked to die.
pub fn function_kill_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.scripting.run.is_none() {
        ctx.out.error("NOTBUSY No scripts in execution right now.");
    } else {
        ctx.out.error(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        );
    }
}
