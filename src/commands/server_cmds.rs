//! Server commands (~ parts of Redis's `server.c` and `debug.c`): COMMAND,
//! DEBUG, TIME, SHUTDOWN, LASTSAVE.

use crate::commands::key_spec;
use crate::commands::table::{self, CmdId, CommandTable, ACL_NAMES, FLAG_NAMES};
use crate::commands::{arg_eq, reply_help, SYNTAX_ERR};
use crate::db::Value;
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;

/// Reply one command's COMMAND INFO entry.
fn reply_command_info(t: &CommandTable, id: CmdId, ctx: &mut Ctx) {
    let e = &t.entries[id];
    let def = e.def;
    let subs = t.subs_of(id);
    ctx.out.array_len(10);
    ctx.out.bulk(e.fullname.as_bytes());
    ctx.out.int(def.arity as i64);
    let flags: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(f, _)| def.flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    // The legacy key range and `movablekeys` follow from the key specs
    // (`populateCommandLegacyRangeSpec`); Redis lists `movablekeys` after
    // the table's flags.
    let specs = key_spec::specs_of(&e.fullname);
    let (keys, movable) = if specs.is_empty() {
        (def.keys, false)
    } else {
        key_spec::legacy_range(specs)
    };
    ctx.out.set_len(flags.len() + usize::from(movable));
    for f in flags {
        ctx.out.status(f);
    }
    if movable {
        ctx.out.status("movablekeys");
    }
    ctx.out.int(keys.first as i64);
    ctx.out.int(keys.last as i64);
    ctx.out.int(keys.step as i64);
    let acl = def.acl_categories();
    let cats: Vec<&str> = ACL_NAMES
        .iter()
        .filter(|(f, _)| acl & f != 0)
        .map(|(_, n)| *n)
        .collect();
    ctx.out.set_len(cats.len());
    for c in cats {
        ctx.out.status(&format!("@{}", c));
    }
    let tips = key_spec::tips_of(&e.fullname);
    ctx.out.set_len(tips.len());
    for t in tips {
        ctx.out.bulk(t.as_bytes());
    }
    reply_key_specs(specs, ctx);
    // No subcommands: an empty set (`addReplyCommandSubCommands`).
    if subs.is_empty() {
        ctx.out.set_len(0);
    } else {
        ctx.out.array_len(subs.len());
    }
    for s in subs {
        reply_command_info(t, s, ctx);
    }
}

/// A command's key specs as COMMAND INFO shows them
/// (`addReplyCommandKeySpecs`).
fn reply_key_specs(specs: &[key_spec::KeySpec], ctx: &mut Ctx) {
    use key_spec::{BeginSearch, FindKeys};
    ctx.out.set_len(specs.len());
    for spec in specs {
        ctx.out.map_len(3 + usize::from(spec.notes.is_some()));
        if let Some(n) = spec.notes {
            ctx.out.bulk(b"notes");
            ctx.out.bulk(n.as_bytes());
        }
        ctx.out.bulk(b"flags");
        reply_key_flags(spec.flags, ctx);
        ctx.out.bulk(b"begin_search");
        ctx.out.map_len(2);
        ctx.out.bulk(b"type");
        match spec.bs {
            BeginSearch::Unknown => {
                ctx.out.bulk(b"unknown");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(0);
            }
            BeginSearch::Index(pos) => {
                ctx.out.bulk(b"index");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(1);
                ctx.out.bulk(b"index");
                ctx.out.int(i64::from(pos));
            }
            BeginSearch::Keyword(kw, startfrom) => {
                ctx.out.bulk(b"keyword");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(2);
                ctx.out.bulk(b"keyword");
                ctx.out.bulk(kw.as_bytes());
                ctx.out.bulk(b"startfrom");
                ctx.out.int(i64::from(startfrom));
            }
        }
        ctx.out.bulk(b"find_keys");
        ctx.out.map_len(2);
        ctx.out.bulk(b"type");
        match spec.fk {
            FindKeys::Unknown => {
                ctx.out.bulk(b"unknown");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(0);
            }
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                ctx.out.bulk(b"range");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(3);
                ctx.out.bulk(b"lastkey");
                ctx.out.int(i64::from(lastkey));
                ctx.out.bulk(b"keystep");
                ctx.out.int(i64::from(keystep));
                ctx.out.bulk(b"limit");
                ctx.out.int(i64::from(limit));
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                ctx.out.bulk(b"keynum");
                ctx.out.bulk(b"spec");
                ctx.out.map_len(3);
                ctx.out.bulk(b"keynumidx");
                ctx.out.int(i64::from(keynumidx));
                ctx.out.bulk(b"firstkey");
                ctx.out.int(i64::from(firstkey));
                ctx.out.bulk(b"keystep");
                ctx.out.int(i64::from(keystep));
            }
        }
    }
}

/// Key-spec flags as a set of status strings (`addReplyFlagsForKeyArgs`).
fn reply_key_flags(flags: u32, ctx: &mut Ctx) {
    let names: Vec<&str> = key_spec::KEY_FLAG_NAMES
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    ctx.out.set_len(names.len());
    for n in names {
        ctx.out.status(n);
    }
}

/// Reply one command's COMMAND DOCS entry (name already written).
fn reply_command_docs(t: &CommandTable, id: CmdId, ctx: &mut Ctx) {
    let def = t.entries[id].def;
    let subs = t.subs_of(id);
    let n = 4 + usize::from(!subs.is_empty());
    ctx.out.map_len(n);
    ctx.out.bulk(b"summary");
    ctx.out.bulk(def.summary.as_bytes());
    ctx.out.bulk(b"since");
    ctx.out.bulk(def.since.as_bytes());
    ctx.out.bulk(b"group");
    ctx.out.bulk(def.group.as_bytes());
    ctx.out.bulk(b"complexity");
    ctx.out.bulk(def.complexity.as_bytes());
    if !subs.is_empty() {
        ctx.out.bulk(b"subcommands");
        ctx.out.map_len(subs.len());
        for s in subs {
            ctx.out.bulk(t.entries[s].fullname.as_bytes());
            reply_command_docs(t, s, ctx);
        }
    }
}

/// COMMAND (all commands' info)
pub fn command_command(srv: &mut Server, ctx: &mut Ctx) {
    let ids: Vec<CmdId> = srv.commands.top_level().collect();
    ctx.out.array_len(ids.len());
    for id in ids {
        reply_command_info(&srv.commands, id, ctx);
    }
}

/// COMMAND COUNT
pub fn command_count_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.commands.count() as i64);
}

/// COMMAND INFO [command-name ...]
pub fn command_info_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() == 2 {
        return command_command(srv, ctx);
    }
    ctx.out.array_len(ctx.argc() - 2);
    for i in 2..ctx.argc() {
        match srv.commands.find_fullname(ctx.arg(i)) {
            Some(id) => reply_command_info(&srv.commands, id, ctx),
            None => ctx.out.null_array(),
        }
    }
}

/// COMMAND DOCS [command-name ...]
pub fn command_docs_command(srv: &mut Server, ctx: &mut Ctx) {
    let ids: Vec<CmdId> = if ctx.argc() == 2 {
        srv.commands.top_level().collect()
    } else {
        (2..ctx.argc())
            .filter_map(|i| srv.commands.find_fullname(ctx.arg(i)))
            .collect()
    };
    ctx.out.map_len(ids.len());
    for id in ids {
        ctx.out.bulk(srv.commands.entries[id].fullname.as_bytes());
        reply_command_docs(&srv.commands, id, ctx);
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern]
pub fn command_list_command(srv: &mut Server, ctx: &mut Ctx) {
    enum Filter {
        None,
        Module,
        Acl(u32),
        Pattern(Vec<u8>),
    }
    let filter = if ctx.argc() == 2 {
        Filter::None
    } else if ctx.argc() == 5 && arg_eq(ctx.arg(2), "filterby") {
        let kind = ctx.arg(3);
        if arg_eq(kind, "module") {
            Filter::Module
        } else if arg_eq(kind, "aclcat") {
            let cat = String::from_utf8_lossy(ctx.arg(4)).to_ascii_lowercase();
            match ACL_NAMES.iter().find(|(_, n)| *n == cat) {
                Some((f, _)) => Filter::Acl(*f),
                None => Filter::Acl(0),
            }
        } else if arg_eq(kind, "pattern") {
            Filter::Pattern(ctx.arg(4).to_vec())
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
    } else {
        ctx.out.error(SYNTAX_ERR);
        return;
    };
    let mut names = Vec::new();
    for (i, e) in srv.commands.entries.iter().enumerate() {
        let _ = i;
        let keep = match &filter {
            Filter::None => true,
            Filter::Module => false,
            Filter::Acl(f) => *f != 0 && e.def.acl_categories() & f != 0,
            Filter::Pattern(p) => string_match(p, e.fullname.as_bytes(), true),
        };
        if keep {
            names.push(e.fullname.clone());
        }
    }
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
}

/// COMMAND GETKEYS command [arg ...]
pub fn command_getkeys_command(srv: &mut Server, ctx: &mut Ctx) {
    getkeys_generic(srv, ctx, false);
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn command_getkeysandflags_command(srv: &mut Server, ctx: &mut Ctx) {
    getkeys_generic(srv, ctx, true);
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS (`getKeysSubcommandImpl`): the keys
/// the command would access, found by its key specs or its own parser (see
/// `key_spec.rs`), each with its flags when asked.
fn getkeys_generic(srv: &mut Server, ctx: &mut Ctx, with_flags: bool) {
    let argv = ctx.argv[2..].to_vec();
    let argv = argv.as_slice();
    let id = match srv.commands.lookup(argv) {
        Ok(id) => id,
        Err(_) => {
            ctx.out.error("ERR Invalid command specified");
            return;
        }
    };
    let e = &srv.commands.entries[id];
    // A command Redis's table has no key spec for falls back on its legacy
    // key range.
    let has_keys = key_spec::command_has_keys(&e.fullname)
        || (key_spec::specs_of(&e.fullname).is_empty() && e.def.keys.first > 0);
    if !has_keys {
        ctx.out.error("ERR The command has no key arguments");
        return;
    }
    if srv.commands.check_arity(id, argv.len()).is_err() {
        ctx.out
            .error("ERR Invalid number of arguments specified for command");
        return;
    }
    let keys = key_spec::keys_with_flags(&srv.commands, id, argv);
    if keys.is_empty() {
        if e.def.flags & table::NO_MANDATORY_KEYS != 0 {
            ctx.out.array_len(0);
        } else {
            ctx.out.error("ERR Invalid arguments specified for command");
        }
        return;
    }
    ctx.out.array_len(keys.len());
    for k in keys {
        if with_flags {
            ctx.out.array_len(2);
            ctx.out.bulk(&argv[k.pos]);
            reply_key_flags(k.flags, ctx);
        } else {
            ctx.out.bulk(&argv[k.pos]);
        }
    }
}

/// COMMAND HELP
pub fn command_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// TIME
pub fn time_command(_srv: &mut Server, ctx: &mut Ctx) {
    let us = crate::server::now_us();
    ctx.out.array_len(2);
    ctx.out.bulk((us / 1_000_000).to_string().as_bytes());
    ctx.out.bulk((us % 1_000_000).to_string().as_bytes());
}

/// LASTSAVE
pub fn lastsave_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.lastsave_s);
}

/// BGREWRITEAOF (`bgrewriteaofCommand`). The rewrite runs synchronously
/// (no fork, see aof.rs), but the reply is Redis's.
pub fn bgrewriteaof_command(srv: &mut Server, ctx: &mut Ctx) {
    match crate::aof::bgrewriteaof(srv) {
        Ok(status) => ctx.out.status(status),
        Err(e) => ctx.out.error(e),
    }
}

/// SAVE: write the RDB file synchronously (`saveCommand`).
pub fn save_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.children.is(crate::child::ChildKind::Rdb) {
        ctx.out.error("ERR Background save already in progress");
        return;
    }
    srv.stat_rdb_saves += 1;
    match crate::rdb::file::save(srv) {
        Ok(()) => ctx.out.ok(),
        Err(_) => ctx.out.error("ERR"),
    }
}

/// BGSAVE [SCHEDULE] (`bgsaveCommand`): fork a child that writes the
/// snapshot. While another kind of child runs (an AOF rewrite), or inside a
/// transaction or a script, the save can only be scheduled for the cron.
pub fn bgsave_command(srv: &mut Server, ctx: &mut Ctx) {
    let schedule = ctx.argc() == 2 && arg_eq(ctx.arg(1), "schedule");
    if ctx.argc() > 2 || (ctx.argc() == 2 && !schedule) {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    let in_exec = srv.in_exec || srv.scripting.run.is_some();
    if srv.children.is(crate::child::ChildKind::Rdb) {
        ctx.out.error("ERR Background save already in progress");
    } else if srv.children.is_active() || in_exec {
        if schedule || in_exec {
            srv.rdb_bgsave_scheduled = true;
            ctx.out.status("Background saving scheduled");
        } else {
            ctx.out.error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if crate::rdb::file::background_save(srv).is_ok() {
        ctx.out.status("Background saving started");
    } else {
        ctx.out.error("ERR");
    }
}

/// The save step of shutting down (`prepareForShutdown`): with save points
/// configured and no NOSAVE, or with SAVE, the dataset is saved first; if
/// that fails the server does not exit, unless `force`. Returns whether
/// the shutdown may proceed.
pub fn prepare_for_shutdown(srv: &mut Server, save: bool, nosave: bool, force: bool) -> bool {
    log::warn!("User requested shutdown...");
    // A snapshot child could overwrite the save made below: stop it (its
    // temp file goes with it).
    if srv.children.is(crate::child::ChildKind::Rdb) {
        log::warn!("There is a child saving an .rdb. Killing it!");
        if let Some(pid) = crate::child::kill_child(srv, true) {
            let _ = std::fs::remove_file(crate::rdb::file::temp_file_name(pid as u32));
        }
    }
    // Append only file: write out the buffer and fsync before exiting.
    crate::aof::flush_for_shutdown(srv);
    if (!srv.config.save.is_empty() && !nosave) || save {
        log::info!("Saving the final RDB snapshot before exiting.");
        if crate::rdb::file::save(srv).is_err() {
            if force {
                log::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                log::warn!("Error trying to save the DB, can't exit.");
                return false;
            }
        }
    }
    true
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown_command(srv: &mut Server, ctx: &mut Ctx) {
    let (mut abort, mut save, mut nosave, mut force) = (false, false, false, false);
    for i in 1..ctx.argc() {
        let a = ctx.arg(i);
        if arg_eq(a, "nosave") {
            nosave = true;
        } else if arg_eq(a, "save") {
            save = true;
        } else if arg_eq(a, "now") {
        } else if arg_eq(a, "force") {
            force = true;
        } else if arg_eq(a, "abort") {
            abort = true;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
    }
    if (abort && ctx.argc() != 2) || (save && nosave) {
        ctx.out.error(SYNTAX_ERR);
        return;
    }
    if abort {
        ctx.out.error("ERR No shutdown in progress.");
        return;
    }
    if !prepare_for_shutdown(srv, save, nosave, force) {
        ctx.out.error("ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    srv.shutdown_asap = true;
    srv.exit_code = Some(0);
    // Like Redis, a successful SHUTDOWN sends no reply: the connection closes.
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the databases,
/// load the file back (Redis's debug.c).
fn debug_reload(srv: &mut Server, ctx: &mut Ctx) {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for j in 2..ctx.argc() {
        let o = ctx.arg(j);
        if arg_eq(o, "merge") {
            merge = true;
        } else if arg_eq(o, "noflush") {
            flush = false;
        } else if arg_eq(o, "nosave") {
            save = false;
        } else {
            ctx.out
                .error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if save && crate::rdb::file::save(srv).is_err() {
        ctx.out.error("ERR");
        return;
    }
    if flush {
        srv.signal_flushed_db(None);
        for db in srv.dbs.iter_mut() {
            db.flush();
        }
        // Redis's emptyData clears the function libraries too.
        crate::scripting::functions::flush(srv);
    }
    match crate::rdb::file::load(srv, merge) {
        Ok(Some(_)) => {
            log::warn!("DB reloaded by DEBUG RELOAD");
            ctx.out.ok();
        }
        Ok(None) | Err(_) => {
            ctx.out.error("ERR Error trying to load the RDB dump");
        }
    }
}

/// A deterministic 160-bit digest of bytes, for DEBUG DIGEST(-VALUE).
/// Only equality between digests is meaningful (as in Redis's use of it).
fn digest_bytes(parts: &[&[u8]]) -> [u8; 20] {
    use std::hash::{Hash, Hasher};
    let mut out = [0u8; 20];
    for (round, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::hash::DefaultHasher::new();
        round.hash(&mut h);
        for p in parts {
            p.hash(&mut h);
        }
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{:02x}", b)).collect()
}

fn value_digest(v: &Value) -> Vec<u8> {
    match v {
        Value::Str(s) => {
            let mut b = b"string:".to_vec();
            b.extend_from_slice(&s.to_bytes());
            b
        }
        Value::Hash(h) => {
            // XOR of one digest per (field, value) pair, so the result does
            // not depend on the field order, which differs between
            // encodings (Redis's `xorDigest` over `mixDigest`ed pairs).
            let mut acc = [0u8; 20];
            let (mut f, mut v) = (Vec::new(), Vec::new());
            for (field, value) in h.iter() {
                f.clear();
                v.clear();
                field.write_to(&mut f);
                value.write_to(&mut v);
                for (a, d) in acc.iter_mut().zip(digest_bytes(&[&f, &v])) {
                    *a ^= d;
                }
            }
            let mut b = b"hash:".to_vec();
            b.extend_from_slice(&acc);
            b
        }
        Value::Set(set) => {
            // Members are unordered: XOR their digests (as Redis's
            // `xorDigest`), so equal sets digest equally whatever the
            // encoding or insertion history.
            let mut acc = [0u8; 20];
            for m in set.iter() {
                let d = digest_bytes(&[&m.to_bytes()]);
                for (a, b) in acc.iter_mut().zip(d) {
                    *a ^= b;
                }
            }
            let mut b = b"set:".to_vec();
            b.extend_from_slice(&acc);
            b
        }
        Value::ZSet(z) => {
            // Ordered: the digest of the (member, score) sequence, scores
            // in their exact bit pattern.
            let mut parts: Vec<Vec<u8>> = Vec::with_capacity(2 * z.len());
            z.for_each(|m, s| {
                parts.push(m.to_vec());
                parts.push(s.to_bits().to_le_bytes().to_vec());
            });
            let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
            let mut b = b"zset:".to_vec();
            b.extend_from_slice(&digest_bytes(&refs));
            b
        }
        Value::List(ql) => {
            // Ordered: digest the elements in sequence, each prefixed by
            // its length so ["ab"] and ["a","b"] differ.
            let mut b = b"list:".to_vec();
            for e in ql.iter() {
                let before = b.len();
                b.extend_from_slice(&[0; 8]);
                e.write_to(&mut b);
                let n = (b.len() - before - 8) as u64;
                b[before..before + 8].copy_from_slice(&n.to_le_bytes());
            }
            b
        }
        Value::Stream(st) => {
            // Like Redis's digest: the entries only (IDs, fields, values),
            // not the node layout nor the consumer groups.
            let mut parts: Vec<Vec<u8>> = Vec::new();
            st.range(
                crate::db::stream::StreamId::MIN,
                crate::db::stream::StreamId::MAX,
                false,
                |id, fv| {
                    parts.push(id.to_bytes());
                    for (f, v) in fv {
                        parts.push(f.to_vec());
                        parts.push(v.to_vec());
                    }
                    true
                },
            );
            let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
            let mut b = b"stream:".to_vec();
            b.extend_from_slice(&digest_bytes(&refs));
            b
        }
    }
}

/// Bytes of an RDB length prefix (`rdbSaveLen`).
fn rdb_len_size(n: usize) -> usize {
    match n {
        0..=63 => 1,
        64..=16383 => 2,
        _ if n <= u32::MAX as usize => 5,
        _ => 9,
    }
}

/// DEBUG OBJECT's `serializedlength`: the uncompressed size the value
/// would take in an RDB file (Redis's `rdbSavedObjectLen`, without LZF).
fn serialized_len(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len() + 1,
        Value::Hash(h) => match h.as_listpack() {
            Some(lp) => rdb_len_size(lp.bytes().len()) + lp.bytes().len(),
            None => {
                let pairs: usize = h
                    .iter()
                    .map(|(f, v)| {
                        let (a, b) = (f.str_len(), v.str_len());
                        rdb_len_size(a) + a + rdb_len_size(b) + b
                    })
                    .sum();
                rdb_len_size(h.len()) + pairs
            }
        },
        Value::Set(set) => match set.as_intset() {
            Some(is) => rdb_len_size(is.blob_len()) + is.blob_len(),
            None => {
                rdb_len_size(set.len())
                    + set
                        .iter()
                        .map(|m| rdb_string_size(&m.to_bytes()))
                        .sum::<usize>()
            }
        },
        Value::ZSet(z) => match z.as_listpack() {
            Some(lp) => rdb_len_size(lp.bytes().len()) + lp.bytes().len(),
            None => {
                // RDB_TYPE_ZSET_2: member strings and 8-byte binary scores.
                let mut n = rdb_len_size(z.len());
                z.for_each(|m, _| n += rdb_string_size(&m.to_vec()) + 8);
                n
            }
        },
        // RDB_TYPE_LIST_QUICKLIST_2: node count, then per node its
        // container type and its listpack (or plain element) as a string;
        // a compressed node as its LZF blob (encoding byte, compressed and
        // raw lengths, data).
        Value::List(ql) => {
            use crate::db::quicklist::Node;
            rdb_len_size(ql.node_count())
                + ql.nodes()
                    .map(|n| match n {
                        Node::Compressed(c) => {
                            let d = c.data().len();
                            2 + rdb_len_size(d) + rdb_len_size(c.raw_len()) + d
                        }
                        _ => 1 + rdb_len_size(n.raw_len()) + n.raw_len(),
                    })
                    .sum::<usize>()
        }
        // RDB_TYPE_STREAM_LISTPACKS_2 has many parts: measure the real
        // serialization, LZF included as Redis's `rdbSavedObjectLen` does
        // (with the default `rdbcompression yes`).
        Value::Stream(_) => {
            let mut w = crate::rdb::encode::Writer::new(true);
            w.object(v);
            w.buf.len()
        }
    }
}

/// Bytes of a string in RDB without compression (`rdbSaveRawString`):
/// short integer strings use the 1 + 1/2/4 byte integer encodings.
fn rdb_string_size(s: &[u8]) -> usize {
    if s.len() <= 11 {
        if let Some(v) = crate::util::numbers::parse_i64(s) {
            if v >= i8::MIN as i64 && v <= i8::MAX as i64 {
                return 2;
            } else if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
                return 3;
            } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
                return 5;
            }
        }
    }
    rdb_len_size(s.len()) + s.len()
}

/// DEBUG <subcommand> ... (the subcommands the test suite and operators use)
/// DEBUG POPULATE count [prefix] [size]: create `count` string keys
/// `<prefix>:<n>` (prefix `key`) holding `value:<n>`, or with `size` that
/// text cut or zero-padded to `size` bytes. Keys that exist are left alone;
/// nothing is propagated (Redis's debug.c).
fn debug_populate(srv: &mut Server, ctx: &mut Ctx) {
    // getPositiveLongFromObjectOrReply: one text for both failures.
    let positive = |ctx: &mut Ctx, i: usize| match crate::util::numbers::parse_i64(ctx.arg(i)) {
        Some(v) if v >= 0 => Some(v as u64),
        _ => {
            ctx.out.error("ERR value is out of range, must be positive");
            None
        }
    };
    let Some(count) = positive(ctx, 2) else {
        return;
    };
    let size = if ctx.argc() == 5 {
        match positive(ctx, 4) {
            Some(v) => v as usize,
            None => return,
        }
    } else {
        0
    };
    let prefix = if ctx.argc() >= 4 {
        ctx.arg(3).to_vec()
    } else {
        b"key".to_vec()
    };
    let db = ctx.db;
    let now = crate::server::now_ms();
    for n in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{n}").as_bytes());
        // Redis formats the name into a 128-byte buffer.
        key.truncate(127);
        if srv.dbs[db].exists(&key, now) {
            continue;
        }
        let mut value = format!("value:{n}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        // createStringObject: embstr up to 44 bytes, raw above, never int.
        let v = if value.len() <= crate::db::value::EMBSTR_SIZE_LIMIT {
            crate::db::RStr::Emb(crate::db::embstr::EmbStr::new(&value))
        } else {
            crate::db::RStr::raw(value)
        };
        let lru = srv.new_obj_lru();
        srv.dbs[db].set(&key, crate::db::value::RObj::string(v, lru), false);
        srv.signal_modified_key(db, &key);
    }
    ctx.out.ok();
}

pub fn debug_command(srv: &mut Server, ctx: &mut Ctx) {
    let sub = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    let argc = ctx.argc();
    match (sub.as_str(), argc) {
        ("help", 2) => reply_help(
            ctx,
            &[
                "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "HTSTATS-KEY <key>",
                "    Like HTSTATS but for the hash table stored at <key>'s value.",
                "LOADAOF",
                "    Flush the AOF buffers on disk and reload the AOF in memory.",
                "JMAP",
                "    No-op (kept for compatibility).",
                "LISTPACK <key>",
                "    Show low level info about the listpack encoding of <key>.",
                "QUICKLIST-PACKED-THRESHOLD <size>",
                "    Sets the threshold for elements to be inserted as plain vs packed nodes",
                "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
                "RELOAD [option ...]",
                "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
                "    * MERGE: conflicting keys will be loaded from RDB.",
                "    * NOFLUSH: the existing database will not be removed before load, but",
                "      conflicting keys will generate an exception and kill the server.",
                "    * NOSAVE: the database will be loaded from an existing RDB file.",
                "    Examples:",
                "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
                "      the database.",
                "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
                "      existing RDB file.",
                "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
                "      file to the database.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "OBJECT <key>",
                "    Show low level info about the <key> and associated value.",
                "PAUSE-CRON <0|1>",
                "    Stop periodic cron job processing.",
                "POPULATE <count> [<prefix>] [<size>]",
                "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                "    it is used instead of the 'key' prefix. These are not propagated to",
                "    replicas. Cluster slots are not respected so keys not belonging to the",
                "    current node can be created in cluster mode.",
                "PROTOCOL <type>",
                "    Reply with a test value of the specified type.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "CHANGE-REPL-ID",
                "    Change the replication IDs of the instance.",
                "STRINGMATCH-LEN <pattern> <string>",
                "    Run a fuzz tester against the stringmatchlen() function.",
                "HELP",
                "    Prints this help.",
            ],
        ),
        ("set-active-expire", 3) => {
            srv.active_expire_enabled =
                crate::util::numbers::parse_i64(ctx.arg(2)).unwrap_or(0) != 0;
            ctx.out.ok();
        }
        ("sleep", 3) => {
            let secs: f64 = String::from_utf8_lossy(ctx.arg(2))
                .trim()
                .parse()
                .unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(1e6)));
            }
            ctx.out.ok();
        }
        ("jmap", 2) => ctx.out.ok(),
        ("change-repl-id", 2) => {
            crate::replication::change_replid_and_clear(srv);
            ctx.out.ok();
        }
        ("replybuffer", 4) => {
            let what = ctx.arg(2).to_ascii_lowercase();
            let val = ctx.arg(3).to_vec();
            if what == b"peak-reset-time" {
                srv.reply_buffer_peak_reset_ms = if arg_eq(&val, "never") {
                    -1
                } else if arg_eq(&val, "reset") {
                    5000
                } else {
                    match crate::util::numbers::parse_i64(&val) {
                        Some(v) => v,
                        None => {
                            ctx.out
                                .error("ERR value is not an integer or out of range");
                            return;
                        }
                    }
                };
            } else if what == b"resizing" {
                srv.reply_buffer_resizing = atoi(&val) != 0;
            } else {
                crate::pubsub::subcommand_syntax_error(ctx, "DEBUG");
                return;
            }
            ctx.out.ok();
        }
        ("pause-cron", 3) => {
            srv.pause_cron = atoi(ctx.arg(2)) != 0;
            ctx.out.ok();
        }
        ("populate", 3..=5) => debug_populate(srv, ctx),
        ("reload", _) => debug_reload(srv, ctx),
        ("loadaof", 2) => {
            crate::aof::debug_loadaof(srv);
            ctx.out.ok();
        }
        ("set-skip-checksum-validation", 3) => {
            srv.skip_checksum_validation =
                crate::util::numbers::parse_i64(ctx.arg(2)).unwrap_or(0) != 0;
            ctx.out.ok();
        }
        ("log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            ctx.out.ok();
        }
        ("object", 3) => {
            let key = ctx.arg(2).to_vec();
            match srv.dbs[ctx.db].peek(&key) {
                None => ctx.out.error("ERR no such key"),
                Some(o) => {
                    let idle = crate::db::value::lru_idle_seconds(o.lru, srv.lru_clock());
                    let mut s = format!(
                        "Value at:0x{:x} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                        o as *const _ as usize,
                        o.value.encoding(),
                        serialized_len(&o.value),
                        o.lru,
                        idle
                    );
                    if let Value::List(ql) = &o.value {
                        // The quicklist's shape, as Redis appends it.
                        let nodes = ql.node_count();
                        let raw: usize = ql.nodes().map(|n| n.raw_len()).sum();
                        s.push_str(&format!(
                            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
                            nodes,
                            ql.len() as f64 / nodes.max(1) as f64,
                            ql.fill(),
                            u8::from(ql.compress_depth() != 0),
                            raw
                        ));
                    }
                    ctx.out.status(&s);
                }
            }
        }
        ("digest", 2) => {
            let mut acc = [0u8; 20];
            let mut any = false;
            for db in &srv.dbs {
                for (k, o) in db.dict.iter() {
                    any = true;
                    let exp = db.get_expire(k).map(|e| e.to_string()).unwrap_or_default();
                    let d = digest_bytes(&[
                        &(db.id as u64).to_le_bytes(),
                        k,
                        &value_digest(&o.value),
                        exp.as_bytes(),
                    ]);
                    for i in 0..20 {
                        acc[i] ^= d[i];
                    }
                }
            }
            if !any {
                acc = [0u8; 20];
            }
            ctx.out.status(&hex(&acc));
        }
        ("digest-value", n) if n >= 2 => {
            ctx.out.array_len(n - 2);
            for i in 2..n {
                let d = match srv.dbs[ctx.db].peek(ctx.arg(i)) {
                    Some(o) => digest_bytes(&[&value_digest(&o.value)]),
                    None => [0u8; 20],
                };
                ctx.out.status(&hex(&d));
            }
        }
        ("listpack", 3) => match srv.dbs[ctx.db].peek(ctx.arg(2)) {
            None => ctx.out.error("ERR no such key"),
            Some(o) => match &o.value {
                Value::Hash(h) if h.as_listpack().is_some() => {
                    if let Some(lp) = h.as_listpack() {
                        print!("{}", lp.repr());
                    }
                    ctx.out.status("Listpack structure printed on stdout");
                }
                Value::ZSet(z) if z.as_listpack().is_some() => {
                    if let Some(lp) = z.as_listpack() {
                        print!("{}", lp.repr());
                    }
                    ctx.out.status("Listpack structure printed on stdout");
                }
                _ => ctx.out.error("ERR Not a listpack encoded object."),
            },
        },
        ("quicklist-packed-threshold", 3) => {
            match crate::config::memtoull(ctx.arg(2)) {
                Some(sz) if crate::db::quicklist::set_packed_threshold(sz) => ctx.out.ok(),
                _ => ctx.out.error(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ),
            }
        }
        ("htstats-key", 3) => match srv.dbs[ctx.db].peek(ctx.arg(2)) {
            None => ctx.out.error("ERR no such key"),
            Some(o) => match &o.value {
                Value::Hash(h) if h.as_table().is_some() => {
                    let stats = h.as_table().map(|d| d.stats_string()).unwrap_or_default();
                    ctx.out.verbatim(stats.as_bytes(), "txt");
                }
                Value::Set(set) if matches!(**set, crate::db::SetValue::Hashtable(_)) => {
                    if let crate::db::SetValue::Hashtable(d) = &**set {
                        ctx.out.verbatim(d.stats_string().as_bytes(), "txt")
                    }
                }
                Value::ZSet(z) if z.as_dict().is_some() => {
                    let stats = z.as_dict().map(|d| d.stats_string()).unwrap_or_default();
                    ctx.out.verbatim(stats.as_bytes(), "txt")
                }
                _ => ctx.out.error(
                    "ERR The value stored at the specified key is not represented using an hash table",
                ),
            },
        },
        ("stringmatch-len", 4) => {
            let r = string_match(ctx.arg(2), ctx.arg(3), false);
            ctx.out.int(r as i64);
        }
        ("protocol", 3) => debug_protocol(ctx),
        ("set-disable-deny-scripts", 3) => {
            srv.scripting.disable_deny_script = crate::util::numbers::parse_i64(ctx.arg(2)).unwrap_or(0) != 0;
            ctx.out.ok();
        }
        _ => {
            let msg = format!(
                "ERR unknown subcommand '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(ctx.arg(1))
                    .chars()
                    .take(128)
                    .collect::<String>()
            );
            ctx.out.error(&msg);
        }
    }
}

fn debug_protocol(ctx: &mut Ctx) {
    let name = String::from_utf8_lossy(ctx.arg(2)).to_ascii_lowercase();
    let out = &mut ctx.out;
    match name.as_str() {
        "string" => out.bulk(b"Hello World"),
        "integer" => out.int(12345),
        // Redis's literal, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => out.double(3.141),
        "bignum" => out.big_number("1234567999999999999999999999999999999"),
        "null" => out.null(),
        "array" => {
            out.array_len(3);
            for j in 0..3 {
                out.int(j);
            }
        }
        "set" => {
            out.set_len(3);
            for j in 0..3 {
                out.int(j);
            }
        }
        "map" => {
            out.map_len(3);
            for j in 0..3 {
                out.int(j);
                out.boolean(j == 1);
            }
        }
        "attrib" => {
            if out.resp >= 3 {
                out.attribute_len(1);
                out.bulk(b"key-popularity");
                out.array_len(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if out.resp < 3 {
                out.error("ERR RESP2 is not supported by this command");
                return;
            }
            out.push_len(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        "true" => out.boolean(true),
        "false" => out.boolean(false),
        "verbatim" => out.verbatim(b"This is a verbatim\nstring", "txt"),
        _ => out.error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

/// Approximate bytes used by a key and its value, in the spirit of Redis's
/// `objectComputeSize` + key + dict entry (MEMORY USAGE).
/// Collections are sampled: up to `samples` elements (0 = all) are
/// measured and the average scaled to the whole value.
pub fn key_memory_usage(key: &[u8], o: &crate::db::RObj, samples: usize) -> usize {
    const OBJ_HEADER: usize = 16;
    const DICT_ENTRY: usize = 24;
    let value = match &o.value {
        Value::Str(s) => match s {
            crate::db::RStr::Int(_) => OBJ_HEADER,
            crate::db::RStr::Emb(v) => OBJ_HEADER + v.len() + 3,
            crate::db::RStr::Raw(v) => OBJ_HEADER + v.capacity() + 9,
        },
        Value::Hash(h) => h.memory_usage(samples),
        Value::Set(set) => OBJ_HEADER + set.heap_size(),
        Value::ZSet(z) => z.memory_usage(samples),
        Value::List(ql) => OBJ_HEADER + 40 + ql.heap_size(),
        Value::Stream(st) => OBJ_HEADER + st.heap_size(),
    };
    value + key.len() + 3 + DICT_ENTRY
}

/// MEMORY USAGE key [SAMPLES count]
pub fn memory_usage_command(srv: &mut Server, ctx: &mut Ctx) {
    // OBJ_COMPUTE_SIZE_DEF_SAMPLES; 0 means every element.
    let mut samples = 5usize;
    let mut j = 3;
    while j < ctx.argc() {
        if arg_eq(ctx.arg(j), "samples") && j + 1 < ctx.argc() {
            match crate::util::numbers::parse_i64(ctx.arg(j + 1)) {
                Some(n) if n >= 0 => samples = usize::try_from(n).unwrap_or(usize::MAX),
                Some(_) => {
                    ctx.out.error(SYNTAX_ERR);
                    return;
                }
                None => {
                    ctx.out.error(crate::commands::NOT_INT_ERR);
                    return;
                }
            }
            j += 2;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
    }
    let key = ctx.arg(2).to_vec();
    match srv.lookup_read_notouch(ctx.db, &key) {
        Some(o) => {
            let n = key_memory_usage(&key, o, samples);
            ctx.out.int(n as i64);
        }
        None => ctx.out.null(),
    }
}

/// MEMORY STATS
pub fn memory_stats_command(srv: &mut Server, ctx: &mut Ctx) {
    let used = crate::alloc::used_memory() as i64;
    let peak = crate::alloc::update_peak() as i64;
    let startup = srv.startup_memory as i64;
    let clients: i64 = srv
        .clients
        .iter()
        .map(|(_, c)| (c.qb.capacity() + c.reply.memory()) as i64)
        .sum();
    let keys: i64 = srv.dbs.iter().map(|d| d.len() as i64).sum();
    let dataset = (used - startup - clients).max(0);
    let dbs: Vec<(usize, i64, i64)> = srv
        .dbs
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| {
            (
                d.id,
                d.dict.allocated_bytes() as i64,
                d.expires.allocated_bytes() as i64,
            )
        })
        .collect();
    ctx.out.map_len(17 + dbs.len());
    let kv = |out: &mut crate::resp::reply::ReplyBuf, k: &str, v: i64| {
        out.bulk(k.as_bytes());
        out.int(v);
    };
    kv(&mut ctx.out, "peak.allocated", peak);
    kv(&mut ctx.out, "total.allocated", used);
    kv(&mut ctx.out, "startup.allocated", startup);
    kv(&mut ctx.out, "replication.backlog", 0);
    kv(&mut ctx.out, "clients.slaves", 0);
    kv(&mut ctx.out, "clients.normal", clients);
    kv(&mut ctx.out, "cluster.links", 0);
    kv(&mut ctx.out, "aof.buffer", 0);
    kv(&mut ctx.out, "lua.caches", 0);
    kv(&mut ctx.out, "functions.caches", 0);
    for (id, main, exp) in dbs {
        ctx.out.bulk(format!("db.{}", id).as_bytes());
        ctx.out.map_len(2);
        kv(&mut ctx.out, "overhead.hashtable.main", main);
        kv(&mut ctx.out, "overhead.hashtable.expires", exp);
    }
    kv(&mut ctx.out, "overhead.total", startup + clients);
    kv(&mut ctx.out, "keys.count", keys);
    kv(
        &mut ctx.out,
        "keys.bytes-per-key",
        if keys > 0 { dataset / keys } else { 0 },
    );
    kv(&mut ctx.out, "dataset.bytes", dataset);
    ctx.out.bulk(b"dataset.percentage");
    ctx.out.double(if used > startup {
        dataset as f64 * 100.0 / (used - startup) as f64
    } else {
        0.0
    });
    ctx.out.bulk(b"peak.percentage");
    ctx.out.double(if peak > 0 {
        used as f64 * 100.0 / peak as f64
    } else {
        0.0
    });
    kv(&mut ctx.out, "fragmentation", 1);
}

/// MEMORY DOCTOR
pub fn memory_doctor_command(_srv: &mut Server, ctx: &mut Ctx) {
    let text = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
    ctx.out.verbatim(text.as_bytes(), "txt");
}

/// MEMORY MALLOC-STATS
pub fn memory_malloc_stats_command(_srv: &mut Server, ctx: &mut Ctx) {
    ctx.out
        .verbatim(b"Stats not supported for the current allocator", "txt");
}

/// MEMORY PURGE
pub fn memory_purge_command(_srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.ok();
}

/// MEMORY HELP
pub fn memory_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// MONITOR: stream every executed command to this connection.
pub fn monitor_command(srv: &mut Server, ctx: &mut Ctx) {
    if srv.monitors.contains(&ctx.cid) {
        return;
    }
    srv.monitors.push(ctx.cid);
    ctx.out.ok();
}

/// CLUSTER ..., READONLY, READWRITE, ASKING: this server has no cluster
/// mode, and answers them as Redis does with `cluster-enabled no`.
pub fn cluster_disabled_command(_srv: &mut Server, ctx: &mut Ctx) {
    ctx.out
        .error("ERR This instance has cluster support disabled");
}

/// C's `atoi()`: a leading (signed) number, anything else is 0.
fn atoi(arg: &[u8]) -> i64 {
    let arg = String::from_utf8_lossy(arg).into_owned();
    let t = arg.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse::<i64>().unwrap_or(0)
}
