//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (~ the command half of
//! Redis's `eval.c`). The engine lives in `src/scripting/`.

use crate::commands::{arg_eq, reply_help};
use crate::scripting;
use crate::server::{Ctx, Server};

/// EVAL script numkeys [key ...] [arg ...]
pub fn eval_command(srv: &mut Server, ctx: &mut Ctx) {
    scripting::eval_generic(srv, ctx, false, false);
}

/// EVAL_RO script numkeys [key ...] [arg ...]
pub fn eval_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    scripting::eval_generic(srv, ctx, false, true);
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha_command(srv: &mut Server, ctx: &mut Ctx) {
    scripting::eval_generic(srv, ctx, true, false);
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
pub fn evalsha_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    scripting::eval_generic(srv, ctx, true, true);
}

/// SCRIPT LOAD script
pub fn script_load_command(srv: &mut Server, ctx: &mut Ctx) {
    let body = ctx.arg(2).to_vec();
    match scripting::create_function(srv, &body) {
        Ok(sha) => ctx.out.bulk(sha.as_bytes()),
        Err(e) => ctx.out.error(&e),
    }
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub fn script_exists_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.array_len(ctx.argc() - 2);
    for i in 2..ctx.argc() {
        let sha = String::from_utf8_lossy(ctx.arg(i)).to_ascii_lowercase();
        let found = srv.scripting.scripts.contains_key(&sha);
        ctx.out.int(i64::from(found));
    }
}

/// SCRIPT FLUSH [ASYNC|SYNC]
pub fn script_flush_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3
        || (ctx.argc() == 3 && !arg_eq(ctx.arg(2), "sync") && !arg_eq(ctx.arg(2), "async"))
    {
        ctx.out
            .error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    scripting::reset(srv);
    ctx.out.ok();
}

/// SCRIPT KILL
pub fn script_kill_command(srv: &mut Server, ctx: &mut Ctx) {
    scripting::kill(srv, ctx, true);
}

/// SCRIPT HELP
pub fn script_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ],
    );
}
