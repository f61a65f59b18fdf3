//! CONFIG GET/SET/RESETSTAT/HELP (~ the command half of Redis's
//! `config.c`). Parsing, validation, formatting and the all-or-nothing
//! semantics live in `config.rs`; this file wires them to the protocol and
//! applies side effects to the running server.

use crate::commands::{reply_help, SYNTAX_ERR};
use crate::config::SetContext;
use crate::server::{Ctx, Server};

/// CONFIG GET parameter [parameter ...]
pub fn config_get_command(srv: &mut Server, ctx: &mut Ctx) {
    let patterns: Vec<&[u8]> = ctx.argv[2..].iter().map(|a| a.as_slice()).collect();
    let pairs = srv.config.get(&patterns);
    ctx.out.map_len(pairs.len());
    for (k, v) in pairs {
        ctx.out.bulk(k.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
}

/// CONFIG SET parameter value [parameter value ...]
pub fn config_set_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() % 2 == 1 {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    // Secrets (requirepass, masterauth...) never reach SLOWLOG or MONITOR.
    for j in (2..ctx.argc()).step_by(2) {
        if crate::config::is_sensitive(ctx.arg(j)) {
            ctx.redact.push(j + 1);
        }
    }
    let pairs: Vec<(&[u8], &[u8])> = ctx.argv[2..]
        .chunks(2)
        .map(|p| (p[0].as_slice(), p[1].as_slice()))
        .collect();
    let set_ctx = SetContext {
        client_is_local: srv.clients[ctx.cid].flags.local,
        loading: false,
    };
    let backup = srv.config.clone();
    match srv.config.set_with(&pairs, set_ctx) {
        Ok(changed) => {
            // Side effects that can fail: restore the previous config and
            // report it like Redis's apply functions do.
            if changed.contains(&"port") || changed.contains(&"bind") {
                let (old_binds, old_port) = (backup.bind.clone(), backup.port);
                if let Err(e) = crate::event_loop::rebind_listeners(srv, &old_binds, old_port) {
                    let (name, reason) = if changed.contains(&"port") {
                        ("port", "Unable to listen on this port. Check server logs.")
                    } else {
                        ("bind", "Failed to bind to specified addresses.")
                    };
                    log::warn!("CONFIG SET {} failed: {}", name, e);
                    srv.config = backup;
                    ctx.out
                        .error(&crate::config::config_set_error(name, reason));
                    return;
                }
            }
            // appendonly: start (a synchronous rewrite) or stop the AOF
            // (Redis's updateAppendonly).
            // ACLUpdateDefaultUserPassword: requirepass is the default
            // user's password.
            if changed.contains(&"requirepass") {
                let pass = srv.config.requirepass.clone();
                srv.acl.set_default_password(&srv.commands, pass.as_deref());
            }
            if changed.contains(&"appendonly") {
                if !srv.config.appendonly {
                    crate::aof::stop(srv);
                } else if crate::aof::start(srv).is_err() {
                    srv.config = backup;
                    ctx.out.error(&crate::config::config_set_error(
                        "appendonly",
                        "Unable to turn on AOF. Check server logs.",
                    ));
                    return;
                }
            }
            if !changed.is_empty() {
                srv.apply_config();
            }
            // Like Redis's maxmemory apply function: start evicting now.
            if changed.contains(&"maxmemory") || changed.contains(&"maxmemory-policy") {
                crate::evict::perform_evictions(srv);
            }
            ctx.out.ok();
        }
        Err(e) => ctx.out.error(&e),
    }
}

/// CONFIG RESETSTAT
pub fn config_resetstat_command(srv: &mut Server, ctx: &mut Ctx) {
    srv.reset_stats();
    ctx.out.ok();
}

/// CONFIG HELP
pub fn config_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// CONFIG REWRITE (`configRewriteCommand`): write the running configuration
/// back to the file the server was started with (see
/// `Config::rewrite_content`), atomically: a temporary file in the same
/// directory, fsynced, renamed over the old one.
pub fn config_rewrite_command(srv: &mut Server, ctx: &mut Ctx) {
    let path = match srv.config_file.clone() {
        Some(p) => p,
        None => {
            ctx.out
                .error("ERR The server is running without a config file");
            return;
        }
    };
    let old = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {}", e);
            ctx.out.error(&format!("ERR Rewriting config file: {}", e));
            return;
        }
    };
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let master = srv.repl.master.as_ref().map(|m| (m.host.clone(), m.port));
    // Users go to the config file unless an ACL file holds them.
    let users = if srv.config.aclfile.is_empty() {
        crate::commands::acl_cmd::user_lines(srv)
    } else {
        Vec::new()
    };
    let content = srv.config.rewrite_content_with_users(
        &old,
        &cwd,
        master.as_ref().map(|(h, p)| (h.as_str(), *p)),
        Some(&users),
    );
    match replace_file(&path, content.as_bytes()) {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            ctx.out.ok();
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {}", e);
            ctx.out.error(&format!("ERR Rewriting config file: {}", e));
        }
    }
}

/// Replace `path` with `data` atomically: a temporary file beside it,
/// written and fsynced, then renamed over it (removed on failure).
fn replace_file(path: &str, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = format!("{}.tmp-{}", path, std::process::id());
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
