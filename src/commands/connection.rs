//! Connection commands (~ the connection parts of Redis's `networking.c`
//! and `server.c`): PING, ECHO, QUIT, RESET, HELLO, AUTH and CLIENT.

use crate::commands::{arg_eq, parse_i64_arg, reply_help, SYNTAX_ERR};
use crate::server::{Ctx, Server, REDIS_VERSION};

/// PING [message]
pub fn ping_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 2 {
        ctx.out
            .error("ERR wrong number of arguments for 'ping' command");
        return;
    }
    if ctx.out.resp == 2 && srv.clients[ctx.cid].is_subscribed() {
        // Subscriber mode (RESP2): a pong "message".
        ctx.out.array_len(2);
        ctx.out.bulk(b"pong");
        let m = if ctx.argc() == 1 {
            Vec::new()
        } else {
            ctx.arg(1).to_vec()
        };
        ctx.out.bulk(&m);
    } else if ctx.argc() == 1 {
        ctx.out.raw(b"+PONG\r\n");
    } else {
        let m = std::mem::take(&mut ctx.argv[1]);
        ctx.out.bulk(&m);
        ctx.argv[1] = m;
    }
}

/// ECHO message
pub fn echo_command(_srv: &mut Server, ctx: &mut Ctx) {
    let m = std::mem::take(&mut ctx.argv[1]);
    ctx.out.bulk(&m);
    ctx.argv[1] = m;
}

/// QUIT: reply OK, then close once the reply is written.
pub fn quit_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.ok();
    srv.clients[ctx.cid].flags.close_after_reply = true;
}

/// RESET: back to a fresh connection's state.
pub fn reset_command(srv: &mut Server, ctx: &mut Ctx) {
    crate::multi::discard_transaction(srv, ctx.cid);
    crate::pubsub::unsubscribe_all_silently(srv, ctx.cid);
    crate::tracking::disable(srv, ctx.cid);
    let c = &mut srv.clients[ctx.cid];
    c.name = None;
    c.resp = 2;
    ctx.out.resp = 2;
    ctx.db = 0;
    crate::commands::acl_cmd::set_default_auth(srv, ctx.cid);
    ctx.out.status("RESET");
}

/// Check `user`'s password and switch the connection to that user
/// (Redis's `ACLAuthenticateUser`).
fn authenticate(srv: &mut Server, ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    let name = ctx.arg(0).to_vec();
    crate::commands::acl_cmd::authenticate(srv, ctx.cid, user, pass, &name)
}

/// AUTH [username] password
pub fn auth_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    ctx.redact = (1..ctx.argc()).collect();
    let (user, pass) = if ctx.argc() == 2 {
        if srv.acl.default().nopass {
            ctx.out.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        (b"default".to_vec(), ctx.arg(1).to_vec())
    } else {
        (ctx.arg(1).to_vec(), ctx.arg(2).to_vec())
    };
    if authenticate(srv, ctx, &user, &pass) {
        ctx.out.ok();
    } else {
        ctx.out
            .error("WRONGPASS invalid username-password pair or user is disabled.");
    }
}

/// Validate and set a client name (Redis's `clientSetNameOrReply`).
fn set_client_name(srv: &mut Server, ctx: &mut Ctx, name: &[u8]) -> bool {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        ctx.out
            .error("ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    srv.clients[ctx.cid].name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    true
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut ver = 0i64;
    let mut next = 1;
    if ctx.argc() >= 2 {
        ver = match crate::util::numbers::parse_i64(ctx.arg(1)) {
            Some(v) => v,
            None => {
                ctx.out
                    .error("ERR Protocol version is not an integer or out of range");
                return;
            }
        };
        next = 2;
        if !(2..=3).contains(&ver) {
            ctx.out.error("NOPROTO unsupported protocol version");
            return;
        }
    }
    let mut j = next;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        let opt = ctx.arg(j).to_vec();
        if arg_eq(&opt, "auth") && more >= 2 {
            ctx.redact.extend([j + 1, j + 2]);
            let (u, p) = (ctx.arg(j + 1).to_vec(), ctx.arg(j + 2).to_vec());
            if !authenticate(srv, ctx, &u, &p) {
                ctx.out
                    .error("WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            j += 3;
        } else if arg_eq(&opt, "setname") && more >= 1 {
            let name = ctx.arg(j + 1).to_vec();
            if !set_client_name(srv, ctx, &name) {
                return;
            }
            j += 2;
        } else {
            ctx.out.error(&format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&opt)
            ));
            return;
        }
    }
    if !srv.clients[ctx.cid].flags.authenticated {
        ctx.out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if ver != 0 {
        srv.clients[ctx.cid].resp = ver as u8;
        ctx.out.resp = ver as u8;
    }
    let c = &srv.clients[ctx.cid];
    ctx.out.map_len(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(REDIS_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(c.resp as i64);
    ctx.out.bulk(b"id");
    ctx.out.int(c.id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array_len(0);
}

/// CLIENT HELP
pub fn client_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx, &lines);
}

/// CLIENT ID
pub fn client_id_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.clients[ctx.cid].id as i64);
}

/// CLIENT GETNAME
pub fn client_getname_command(srv: &mut Server, ctx: &mut Ctx) {
    match &srv.clients[ctx.cid].name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
}

/// CLIENT SETNAME name
pub fn client_setname_command(srv: &mut Server, ctx: &mut Ctx) {
    let name = ctx.arg(2).to_vec();
    if set_client_name(srv, ctx, &name) {
        ctx.out.ok();
    }
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (as introduced in Redis 7.2;
/// modern client libraries send it on connect).
pub fn client_setinfo_command(srv: &mut Server, ctx: &mut Ctx) {
    let attr = ctx.arg(2).to_vec();
    let val = ctx.arg(3).to_vec();
    let is_name = arg_eq(&attr, "lib-name");
    if !is_name && !arg_eq(&attr, "lib-ver") {
        ctx.out.error(&format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(&attr)
        ));
        return;
    }
    if val.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        ctx.out.error(&format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            if is_name { "lib-name" } else { "lib-ver" }
        ));
        return;
    }
    let c = &mut srv.clients[ctx.cid];
    let v = if val.is_empty() { None } else { Some(val) };
    if is_name {
        c.lib_name = v;
    } else {
        c.lib_ver = v;
    }
    ctx.out.ok();
}

/// CLIENT INFO
pub fn client_info_command(srv: &mut Server, ctx: &mut Ctx) {
    let now = srv.cmd_time_ms;
    let mut line = srv.clients[ctx.cid].info_string(now, &srv.commands);
    line.push('\n');
    ctx.out.verbatim(line.as_bytes(), "txt");
}

/// A client type name of CLIENT LIST/KILL TYPE, as
/// [`Client::type_name`](crate::client::Client::type_name) reports it.
fn client_type_matches(ty: &[u8]) -> Option<&'static str> {
    if arg_eq(ty, "normal") {
        Some("normal")
    } else if arg_eq(ty, "master") {
        Some("master")
    } else if arg_eq(ty, "replica") || arg_eq(ty, "slave") {
        Some("replica")
    } else if arg_eq(ty, "pubsub") {
        Some("pubsub")
    } else {
        None
    }
}

/// CLIENT LIST [TYPE type] [ID id ...]
pub fn client_list_command(srv: &mut Server, ctx: &mut Ctx) {
    let now = srv.cmd_time_ms;
    let mut only_type: Option<&str> = None;
    let mut ids: Option<Vec<u64>> = None;
    if ctx.argc() == 4 && arg_eq(ctx.arg(2), "type") {
        match client_type_matches(ctx.arg(3)) {
            Some(t) => only_type = Some(t),
            None => {
                ctx.out.error(&format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(ctx.arg(3))
                ));
                return;
            }
        }
    } else if ctx.argc() > 3 && arg_eq(ctx.arg(2), "id") {
        let mut v = Vec::new();
        for i in 3..ctx.argc() {
            match crate::util::numbers::parse_i64(ctx.arg(i)) {
                Some(n) if n > 0 => v.push(n as u64),
                _ => {
                    ctx.out.error("ERR Invalid client ID");
                    return;
                }
            }
        }
        ids = Some(v);
    } else if ctx.argc() != 2 {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    let mut s = String::new();
    for (_, c) in srv.clients.iter() {
        if c.flags.script {
            continue;
        }
        if only_type.is_some_and(|t| t != c.type_name()) {
            continue;
        }
        if let Some(ids) = &ids {
            if !ids.contains(&c.id) {
                continue;
            }
        }
        s.push_str(&c.info_string(now, &srv.commands));
        s.push('\n');
    }
    ctx.out.verbatim(s.as_bytes(), "txt");
}

/// CLIENT KILL addr | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a]
/// [USER u] [SKIPME yes|no]
pub fn client_kill_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut id: Option<u64> = None;
    let mut addr: Option<String> = None;
    let mut laddr: Option<String> = None;
    let mut ty: Option<&str> = None;
    let mut user: Option<Vec<u8>> = None;
    let mut skipme = true;
    let old_style = ctx.argc() == 3;
    if old_style {
        addr = Some(String::from_utf8_lossy(ctx.arg(2)).into_owned());
        skipme = false;
    } else if ctx.argc() > 3 && ctx.argc().is_multiple_of(2) {
        let mut i = 2;
        while i < ctx.argc() {
            let opt = ctx.arg(i).to_vec();
            let val = ctx.arg(i + 1).to_vec();
            if arg_eq(&opt, "id") {
                match crate::util::numbers::parse_i64(&val) {
                    Some(n) if n > 0 => id = Some(n as u64),
                    _ => {
                        ctx.out.error("ERR client-id should be greater than 0");
                        return;
                    }
                }
            } else if arg_eq(&opt, "type") {
                match client_type_matches(&val) {
                    Some(t) => ty = Some(t),
                    None => {
                        ctx.out.error(&format!(
                            "ERR Unknown client type '{}'",
                            String::from_utf8_lossy(&val)
                        ));
                        return;
                    }
                }
            } else if arg_eq(&opt, "addr") {
                addr = Some(String::from_utf8_lossy(&val).into_owned());
            } else if arg_eq(&opt, "laddr") {
                laddr = Some(String::from_utf8_lossy(&val).into_owned());
            } else if arg_eq(&opt, "user") {
                if !srv.acl.users.contains_key(&val) {
                    ctx.out.error(&format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(&val)
                    ));
                    return;
                }
                user = Some(val);
            } else if arg_eq(&opt, "skipme") {
                if arg_eq(&val, "yes") {
                    skipme = true;
                } else if arg_eq(&val, "no") {
                    skipme = false;
                } else {
                    ctx.out.error(SYNTAX_ERR);
                    return;
                }
            } else {
                ctx.out.error(SYNTAX_ERR);
                return;
            }
            i += 2;
        }
    } else {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    let mut victims = Vec::new();
    for (cid, c) in srv.clients.iter() {
        if c.flags.script {
            continue;
        }
        if let Some(a) = &addr {
            if &c.addr != a {
                continue;
            }
        }
        if let Some(a) = &laddr {
            if &c.laddr != a {
                continue;
            }
        }
        if let Some(i) = id {
            if c.id != i {
                continue;
            }
        }
        if ty.is_some_and(|t| t != c.type_name()) {
            continue;
        }
        if let Some(u) = &user {
            if *u != c.user {
                continue;
            }
        }
        if cid == ctx.cid && skipme {
            continue;
        }
        victims.push(cid);
    }
    let killed = victims.len();
    for cid in victims {
        if cid == ctx.cid {
            srv.clients[cid].flags.close_after_reply = true;
        } else {
            srv.close_client_async(cid);
        }
    }
    if old_style {
        if killed == 0 {
            ctx.out.error("ERR No such client");
        } else {
            ctx.out.ok();
        }
    } else {
        ctx.out.int(killed as i64);
    }
}

/// CLIENT NO-EVICT ON|OFF
pub fn client_no_evict_command(_srv: &mut Server, ctx: &mut Ctx) {
    if arg_eq(ctx.arg(2), "on") || arg_eq(ctx.arg(2), "off") {
        ctx.out.ok();
    } else {
        ctx.out.error(SYNTAX_ERR);
    }
}

/// CLIENT REPLY ON|OFF|SKIP
pub fn client_reply_command(srv: &mut Server, ctx: &mut Ctx) {
    let mode = ctx.arg(2).to_vec();
    let c = &mut srv.clients[ctx.cid];
    if arg_eq(&mode, "on") {
        c.reply_mode = crate::client::ReplyMode::On;
        ctx.out.suppress = false;
        ctx.out.ok();
    } else if arg_eq(&mode, "off") {
        c.reply_mode = crate::client::ReplyMode::Off;
    } else if arg_eq(&mode, "skip") {
        if c.reply_mode == crate::client::ReplyMode::On {
            c.reply_mode = crate::client::ReplyMode::SkipNext;
        }
    } else {
        ctx.out.error(SYNTAX_ERR);
    }
}

/// Parse a non-negative integer argument (helper for subcommands).
pub fn parse_nonneg(ctx: &mut Ctx, i: usize) -> Option<i64> {
    let v = parse_i64_arg(ctx, i)?;
    if v < 0 {
        ctx.out.error("ERR value is out of range, must be positive");
        return None;
    }
    Some(v)
}

/// CLIENT PAUSE timeout [WRITE|ALL]
pub fn client_pause_command(srv: &mut Server, ctx: &mut Ctx) {
    let timeout = match crate::util::numbers::parse_i64(ctx.arg(2)) {
        Some(v) if v >= 0 => v,
        Some(_) => {
            ctx.out.error("ERR timeout is negative");
            return;
        }
        None => {
            ctx.out
                .error("ERR timeout is not an integer or out of range");
            return;
        }
    };
    let mut writes_only = false;
    if ctx.argc() == 4 {
        if arg_eq(ctx.arg(3), "write") {
            writes_only = true;
        } else if !arg_eq(ctx.arg(3), "all") {
            ctx.out.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    } else if ctx.argc() > 4 {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    let end = srv.cmd_time_ms.saturating_add(timeout);
    // A stricter (ALL) or longer pause wins over the current one.
    let p = match srv.pause {
        Some(cur) => crate::server::Pause {
            end_ms: cur.end_ms.max(end),
            writes_only: cur.writes_only && writes_only,
        },
        None => crate::server::Pause {
            end_ms: end,
            writes_only,
        },
    };
    srv.pause = Some(p);
    ctx.out.ok();
}

/// CLIENT UNPAUSE
pub fn client_unpause_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.ok();
    if srv.pause.is_some() {
        // Run held commands after this reply is queued.
        srv.pending_unpause = true;
    }
}
