//! The ACL command and its server-side helpers (~ `aclCommand`,
//! `authCommand`, `ACLAuthenticateUser`, `ACLLoadFromFile`,
//! `ACLSaveToFile`, `addACLLogEntry` in Redis's `acl.c`).
//!
//! The rules and checks themselves live in [`crate::acl`]; this file
//! connects them to clients: who a connection runs as, what happens to the
//! connections of a user that is deleted or loses channels, the ACL LOG's
//! client descriptions, and the ACL file.

use crate::acl::{Denied, LogContext, LogEntry, LogReason, User};
use crate::commands::table::CmdId;
use crate::commands::{arg_eq, reply_help};
use crate::server::{Ctx, Server};

/// The user client `cid` runs as (the default user if it was removed
/// under it, which cannot last: such clients are being closed).
pub fn user_of(srv: &Server, cid: usize) -> &User {
    srv.clients
        .get(cid)
        .and_then(|c| srv.acl.users.get(&c.user))
        .unwrap_or_else(|| srv.acl.default())
}

/// `ACLCheckAllPerm` for client `cid` running `id` with `argv`. A client
/// without a user (the master link, the AOF loader: Redis's NULL user) may
/// run anything.
pub fn check_all_perm(srv: &Server, cid: usize, id: CmdId, argv: &[Vec<u8>]) -> Result<(), Denied> {
    if srv.clients.get(cid).is_some_and(|c| c.user.is_empty()) {
        return Ok(());
    }
    user_of(srv, cid).check_command(&srv.commands, id, argv)
}

/// Whether new connections start authenticated (`clientSetDefaultAuth`).
pub fn default_auth(srv: &Server) -> bool {
    !srv.acl.default_needs_auth()
}

/// Put client `cid` back on the default user (RESET, `clientSetDefaultAuth`).
pub fn set_default_auth(srv: &mut Server, cid: usize) {
    let auth = default_auth(srv);
    if let Some(c) = srv.clients.get_mut(cid) {
        c.user = b"default".to_vec();
        c.flags.authenticated = auth;
    }
}

/// `addACLLogEntry`. `object` overrides what the reason implies (the
/// command's full name, the offending argument, or argv[0] for AUTH).
pub fn add_log_entry(
    srv: &mut Server,
    cid: usize,
    reason: LogReason,
    context: LogContext,
    object: Vec<u8>,
    username: Option<Vec<u8>>,
) {
    // A script's command is attributed to the client running the script.
    let mut real = cid;
    if srv.clients.get(cid).is_some_and(|c| c.flags.script) {
        if let Some(r) = srv.scripting.run.as_ref() {
            real = r.caller;
        }
    }
    let now = crate::server::now_ms();
    let cinfo = srv
        .clients
        .get(real)
        .map(|c| c.info_string(now, &srv.commands))
        .unwrap_or_default();
    let username = username.unwrap_or_else(|| {
        srv.clients
            .get(cid)
            .map(|c| c.user.clone())
            .unwrap_or_default()
    });
    let max = srv.config.acllog_max_len as usize;
    srv.acl.add_log(
        LogEntry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime_ms: now,
            cinfo,
        },
        max,
    );
}

/// Log a refused command (`addACLLogEntry` after `ACLCheckAllPerm`).
pub fn log_denied(
    srv: &mut Server,
    cid: usize,
    d: Denied,
    context: LogContext,
    id: CmdId,
    argv: &[Vec<u8>],
) {
    let (reason, object) = match d {
        Denied::Cmd => (
            LogReason::Cmd,
            srv.commands.entries[id].fullname.as_bytes().to_vec(),
        ),
        Denied::Key(i) => (LogReason::Key, argv.get(i).cloned().unwrap_or_default()),
        Denied::Channel(i) => (LogReason::Channel, argv.get(i).cloned().unwrap_or_default()),
    };
    add_log_entry(srv, cid, reason, context, object, None);
}

/// The NOPERM error `processCommand` replies for a refusal.
pub fn noperm_error(srv: &Server, d: Denied, id: CmdId) -> String {
    match d {
        Denied::Cmd => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            srv.commands.entries[id].fullname
        ),
        Denied::Key(_) => {
            "NOPERM this user has no permissions to access one of the keys used as arguments"
                .to_string()
        }
        Denied::Channel(_) => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .to_string()
        }
    }
}

/// `ACLAuthenticateUser`: on success client `cid` runs as `user`; on
/// failure an `auth` entry goes to the ACL LOG.
pub fn authenticate(
    srv: &mut Server,
    cid: usize,
    user: &[u8],
    pass: &[u8],
    cmd_name: &[u8],
) -> bool {
    let ok = srv
        .acl
        .users
        .get(user)
        .is_some_and(|u| u.enabled && u.password_ok(pass));
    if ok {
        if let Some(c) = srv.clients.get_mut(cid) {
            c.user = user.to_vec();
            c.flags.authenticated = true;
        }
    } else {
        let context = if crate::multi::in_multi(srv, cid) {
            LogContext::Multi
        } else {
            LogContext::Toplevel
        };
        add_log_entry(
            srv,
            cid,
            LogReason::Auth,
            context,
            cmd_name.to_vec(),
            Some(user.to_vec()),
        );
    }
    ok
}

/// `ACLFreeUserAndKillClients`: the clients of a removed user go back to
/// the default user, unauthenticated, and are closed (the caller after
/// its reply).
fn kill_clients_of(srv: &mut Server, name: &[u8], current: usize) {
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.user == name && !c.flags.script)
        .map(|(cid, _)| cid)
        .collect();
    for cid in victims {
        let c = &mut srv.clients[cid];
        c.user = b"default".to_vec();
        c.flags.authenticated = false;
        if cid == current {
            c.flags.close_after_reply = true;
        } else {
            srv.close_client_async(cid);
        }
    }
}

/// `ACLKillPubsubClientsIfNeeded`: when a user loses channel permissions,
/// its subscribed clients that no longer fit are closed.
fn kill_pubsub_clients_if_needed(srv: &mut Server, new: &User, old: &User) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let kept = old
        .selectors
        .iter()
        .all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
    if kept {
        return;
    }
    let glob = |p: &Vec<u8>, ch: &[u8]| crate::util::glob::string_match(p, ch, false);
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.user == old.name && c.is_subscribed())
        .filter(|(_, c)| {
            c.sub_patterns
                .iter()
                .any(|p| !upcoming.iter().any(|u| u == p))
                || c.sub_channels
                    .iter()
                    .chain(c.sub_shard.iter())
                    .any(|ch| !upcoming.iter().any(|u| glob(u, ch)))
        })
        .map(|(cid, _)| cid)
        .collect();
    for cid in victims {
        srv.close_client_async(cid);
    }
}

fn acl_pubsub_all(srv: &Server) -> bool {
    srv.config.acl_pubsub_default == crate::config::AclPubsubDefault::Allchannels
}

/// ACL SETUSER username [rule ...]
pub fn acl_setuser_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.redact = (2..ctx.argc()).collect();
    let name = ctx.arg(2).to_vec();
    if !crate::acl::is_valid_username(&name) {
        ctx.out
            .error("ERR Usernames can't contain spaces or null characters");
        return;
    }
    let ops: Vec<Vec<u8>> = ctx.argv[3..].to_vec();
    let all = acl_pubsub_all(srv);
    match srv.acl.set_user(&srv.commands, &name, &ops, all) {
        Ok(old) => {
            if let (Some(old), Some(new)) = (old, srv.acl.users.get(&name).cloned()) {
                kill_pubsub_clients_if_needed(srv, &new, &old);
            }
            ctx.out.ok();
        }
        Err(e) => ctx.out.error(&format!("ERR {e}")),
    }
}

/// ACL DELUSER username [username ...]
pub fn acl_deluser_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argv[2..].iter().any(|u| u == b"default") {
        ctx.out.error("ERR The 'default' user cannot be removed");
        return;
    }
    let mut deleted = 0;
    for j in 2..ctx.argc() {
        let name = ctx.arg(j).to_vec();
        if srv.acl.users.remove(&name).is_some() {
            kill_clients_of(srv, &name, ctx.cid);
            deleted += 1;
        }
    }
    ctx.out.int(deleted);
}

fn reply_selector(srv: &Server, ctx: &mut Ctx, s: &crate::acl::Selector) {
    ctx.out.bulk(b"commands");
    let rules = s.describe_commands(&srv.commands, &srv.acl.idx);
    ctx.out.bulk(rules.as_bytes());
    ctx.out.bulk(b"keys");
    ctx.out.bulk(&s.describe_keys());
    ctx.out.bulk(b"channels");
    ctx.out.bulk(&s.describe_channels());
}

/// ACL GETUSER username
pub fn acl_getuser_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(u) = srv.acl.users.get(ctx.arg(2)).cloned() else {
        ctx.out.null();
        return;
    };
    ctx.out.map_len(6);
    ctx.out.bulk(b"flags");
    let flags = u.flag_names();
    ctx.out.set_len(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"passwords");
    ctx.out.array_len(u.passwords.len());
    for p in &u.passwords {
        ctx.out.bulk(p.as_bytes());
    }
    reply_selector(srv, ctx, &u.selectors[0]);
    ctx.out.bulk(b"selectors");
    ctx.out.array_len(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        ctx.out.map_len(3);
        reply_selector(srv, ctx, s);
    }
}

/// The `user <name> <rules>` line of ACL LIST and the ACL file.
fn user_line(srv: &Server, u: &User) -> Vec<u8> {
    let mut line = b"user ".to_vec();
    line.extend_from_slice(&u.name);
    line.push(b' ');
    line.extend_from_slice(&u.describe(&srv.commands, &srv.acl.idx));
    line
}

/// Every user as a `user` line, for CONFIG REWRITE.
pub fn user_lines(srv: &Server) -> Vec<String> {
    srv.acl
        .users
        .values()
        .map(|u| String::from_utf8_lossy(&user_line(srv, u)).into_owned())
        .collect()
}

/// ACL LIST
pub fn acl_list_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.array_len(srv.acl.users.len());
    for u in srv.acl.users.values() {
        let line = user_line(srv, u);
        ctx.out.bulk(&line);
    }
}

/// ACL USERS
pub fn acl_users_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.array_len(srv.acl.users.len());
    for name in srv.acl.users.keys() {
        ctx.out.bulk(name);
    }
}

/// ACL WHOAMI
pub fn acl_whoami_command(srv: &mut Server, ctx: &mut Ctx) {
    let name = srv.clients[ctx.cid].user.clone();
    ctx.out.bulk(&name);
}

/// ACL CAT [category]
pub fn acl_cat_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() == 2 {
        ctx.out.array_len(crate::commands::table::ACL_NAMES.len());
        for (_, n) in crate::commands::table::ACL_NAMES {
            ctx.out.bulk(n.as_bytes());
        }
        return;
    }
    if ctx.argc() != 3 {
        crate::pubsub::subcommand_syntax_error(ctx, "ACL");
        return;
    }
    let cat = ctx.arg(2);
    let Some(&(flag, _)) = crate::commands::table::ACL_NAMES
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(cat))
    else {
        let c: String = String::from_utf8_lossy(cat).chars().take(128).collect();
        ctx.out.error(&format!("ERR Unknown category '{c}'"));
        return;
    };
    let names: Vec<&String> = srv
        .commands
        .entries
        .iter()
        .filter(|e| e.def.acl_categories() & flag != 0)
        .map(|e| &e.fullname)
        .collect();
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
}

/// Random bytes from the kernel, or a time-seeded fallback.
fn random_hex_chars(n: usize) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; n.div_ceil(2)];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok();
    if !ok {
        return crate::server::random_hex(n);
    }
    let mut s: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    s.truncate(n);
    s
}

/// ACL GENPASS [bits]
pub fn acl_genpass_command(_srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        crate::pubsub::subcommand_syntax_error(ctx, "ACL");
        return;
    }
    let mut bits = 256i64;
    if ctx.argc() == 3 {
        match crate::util::numbers::parse_i64(ctx.arg(2)) {
            Some(b) => bits = b,
            None => {
                ctx.out.error(crate::commands::NOT_INT_ERR);
                return;
            }
        }
    }
    if bits <= 0 || bits > 4096 {
        ctx.out.error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
        return;
    }
    let chars = (bits as usize).div_ceil(4);
    ctx.out.bulk(random_hex_chars(chars).as_bytes());
}

/// ACL LOG [count | RESET]
pub fn acl_log_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        crate::pubsub::subcommand_syntax_error(ctx, "ACL");
        return;
    }
    let mut count = 10i64;
    if ctx.argc() == 3 {
        if arg_eq(ctx.arg(2), "reset") {
            srv.acl.log.clear();
            ctx.out.ok();
            return;
        }
        match crate::util::numbers::parse_i64(ctx.arg(2)) {
            Some(n) => count = n.max(0),
            None => {
                ctx.out.error(crate::commands::NOT_INT_ERR);
                return;
            }
        }
    }
    let n = (count as usize).min(srv.acl.log.len());
    let now = crate::server::now_ms();
    ctx.out.array_len(n);
    for e in srv.acl.log.iter().take(n) {
        ctx.out.map_len(7);
        ctx.out.bulk(b"count");
        ctx.out.int(e.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(match e.reason {
            LogReason::Cmd => b"command".as_slice(),
            LogReason::Key => b"key",
            LogReason::Channel => b"channel",
            LogReason::Auth => b"auth",
        });
        ctx.out.bulk(b"context");
        ctx.out.bulk(match e.context {
            LogContext::Toplevel => b"toplevel".as_slice(),
            LogContext::Multi => b"multi",
            LogContext::Lua => b"lua",
        });
        ctx.out.bulk(b"object");
        ctx.out.bulk(&e.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&e.username);
        ctx.out.bulk(b"age-seconds");
        ctx.out.double((now - e.ctime_ms) as f64 / 1000.0);
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(e.cinfo.as_bytes());
    }
}

/// ACL DRYRUN username command [arg ...]
pub fn acl_dryrun_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(u) = srv.acl.users.get(ctx.arg(2)) else {
        ctx.out.error(&format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(ctx.arg(2))
        ));
        return;
    };
    let argv = &ctx.argv[3..];
    let id = match srv.commands.lookup(argv) {
        Ok(id) => id,
        Err(_) => {
            ctx.out.error(&format!(
                "ERR Command '{}' not found",
                String::from_utf8_lossy(ctx.arg(3))
            ));
            return;
        }
    };
    let arity = srv.commands.entries[id].def.arity;
    let n = argv.len() as i32;
    if (arity > 0 && arity != n) || n < -arity {
        ctx.out.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            srv.commands.entries[id].fullname
        ));
        return;
    }
    match u.check_command(&srv.commands, id, argv) {
        Ok(()) => ctx.out.ok(),
        Err(d) => {
            let msg = match d {
                Denied::Cmd => format!(
                    "This user has no permissions to run the '{}' command",
                    srv.commands.entries[id].fullname
                ),
                Denied::Key(i) => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(&argv[i])
                ),
                Denied::Channel(i) => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(&argv[i])
                ),
            };
            ctx.out.bulk(msg.as_bytes());
        }
    }
}

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// ACL LOAD
pub fn acl_load_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.config.aclfile.is_empty() {
        ctx.out.error(NO_ACLFILE);
        return;
    }
    let file = srv.config.aclfile.clone();
    match load_from_file(srv, &file, Some(ctx.cid)) {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.out.error(&format!("ERR {e}")),
    }
}

/// ACL SAVE
pub fn acl_save_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.config.aclfile.is_empty() {
        ctx.out.error(NO_ACLFILE);
        return;
    }
    let file = srv.config.aclfile.clone();
    match save_to_file(srv, &file) {
        Ok(()) => ctx.out.ok(),
        Err(e) => {
            log::warn!("ACL SAVE: {e}");
            ctx.out.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
        }
    }
}

/// ACL HELP
pub fn acl_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    let lines = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx, &lines);
}

/// `ACLSaveToFile`: every user as a `user` line, written to a temporary
/// file and renamed over the ACL file.
pub fn save_to_file(srv: &Server, file: &str) -> std::io::Result<()> {
    let mut text = Vec::new();
    for u in srv.acl.users.values() {
        text.extend_from_slice(&user_line(srv, u));
        text.push(b'\n');
    }
    let tmp = format!(
        "{}.tmp-{}-{}",
        file,
        std::process::id(),
        crate::server::now_ms()
    );
    if let Err(e) = std::fs::write(&tmp, &text) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// `ACLLoadFromFile`: replace every user with the file's, or change
/// nothing and report every error. Clients of the replaced users (other
/// than `default`) are closed, `current` after its reply.
pub fn load_from_file(srv: &mut Server, file: &str, current: Option<usize>) -> Result<(), String> {
    let text = std::fs::read(file).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{}': {}",
            file,
            crate::config::strerror(&e)
        )
    })?;
    let all = acl_pubsub_all(srv);
    let mut users: std::collections::BTreeMap<Vec<u8>, User> = Default::default();
    let mut errors = String::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim(line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(|a| a.to_vec()).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{file}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1].clone();
        if !crate::acl::is_valid_username(&name) {
            errors.push_str(&format!(
                "'{file}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(&name)
            ));
            continue;
        }
        if users.contains_key(&name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(&name)
            ));
            continue;
        }
        let mut u = User::new(&name, all);
        let merged = match crate::acl::merge_selector_args(&argv[2..]) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!(
                    "{file}:{linenum}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim(op, b"\t\r\n");
            if let Err(e) = u.apply(&srv.commands, &srv.acl.idx, op, all) {
                if e == crate::acl::RuleError::UnknownName {
                    errors.push_str(&format!(
                        "{file}:{linenum}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.text()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{file}:{linenum}: {}. ", e.text()));
                    syntax_error = true;
                }
            }
        }
        users.insert(name, u);
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(errors);
    }
    if !users.contains_key(b"default".as_slice()) {
        let mut d = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = d.apply(&srv.commands, &srv.acl.idx, op.as_bytes(), false);
        }
        users.insert(b"default".to_vec(), d);
    }
    let old = std::mem::replace(&mut srv.acl.users, users);
    for name in old.keys().filter(|n| n.as_slice() != b"default") {
        kill_clients_of(srv, name, current.unwrap_or(usize::MAX));
    }
    Ok(())
}

fn trim<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let Some((&f, rest)) = s.split_first() {
        if !set.contains(&f) {
            break;
        }
        s = rest;
    }
    while let Some((&l, rest)) = s.split_last() {
        if !set.contains(&l) {
            break;
        }
        s = rest;
    }
    s
}

/// `ACLLoadUsersAtStartup`: `user` directives from the config file, then
/// the ACL file. Errors are fatal at start-up.
pub fn load_users_at_startup(srv: &mut Server) -> Result<(), String> {
    if !srv.config.aclfile.is_empty() && !srv.config.users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    let all = acl_pubsub_all(srv);
    let configured = srv.config.users.clone();
    for line in configured {
        let name = line[0].as_bytes().to_vec();
        if !crate::acl::is_valid_username(&name) {
            return Err(
                "Spaces not allowed in ACL usernames\nCritical error while loading ACLs. Exiting."
                    .into(),
            );
        }
        let ops: Vec<Vec<u8>> = line[1..].iter().map(|s| s.as_bytes().to_vec()).collect();
        let merged = crate::acl::merge_selector_args(&ops)
            .map_err(|_| "Unmatched parenthesis in acl selector".to_string())?;
        let idx = &srv.acl.idx;
        let u = srv
            .acl
            .users
            .entry(name.clone())
            .or_insert_with(|| User::new(&name, all));
        if name == b"default" {
            let _ = u.apply(&srv.commands, idx, b"reset", all);
        }
        for op in &merged {
            if let Err(e) = u.apply(&srv.commands, idx, op, all) {
                return Err(format!(
                    "Error loading ACL rule '{}' for the user named '{}': {}\nCritical error while loading ACLs. Exiting.",
                    String::from_utf8_lossy(op),
                    line[0],
                    e.text()
                ));
            }
        }
        if !u.enabled {
            log::info!("The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", line[0]);
        }
    }
    if !srv.config.aclfile.is_empty() {
        let file = srv.config.aclfile.clone();
        load_from_file(srv, &file, None)
            .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
    }
    Ok(())
}
