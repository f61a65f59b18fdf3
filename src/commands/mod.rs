//! Command implementations and THE command table (~ Redis's `commands.c`
//! table plus the `t_*.c` / `db.c` / `server.c` command procs).
//!
//! [`TABLE`] is the single source of truth: dispatch (arity, flags),
//! COMMAND INFO/DOCS/COUNT/LIST and INFO commandstats all read it. One
//! module per command family, named after the Redis file it mirrors.

pub mod acl_cmd;
pub mod bitops;
pub mod config_cmd;
pub mod connection;
pub mod dump;
pub mod functions;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod info;
pub mod key_spec;
pub mod key_spec_table;
pub mod keys;
pub mod lists;
pub mod migrate;
pub mod scripting;
pub mod server_cmds;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod table;
pub mod zsets;

use table::*;

use crate::db::RStr;
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX_ERR: &str = "ERR syntax error";
pub const NOT_INT_ERR: &str = "ERR value is not an integer or out of range";

/// Case-insensitive comparison of an argument with an ASCII keyword.
#[inline]
pub fn arg_eq(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// Parse argument `i` as an i64 like `getLongLongFromObjectOrReply`;
/// replies the error and returns None when it is not one.
pub fn parse_i64_arg(ctx: &mut Ctx, i: usize) -> Option<i64> {
    match crate::util::numbers::parse_i64(ctx.arg(i)) {
        Some(v) => Some(v),
        None => {
            ctx.out.error(NOT_INT_ERR);
            None
        }
    }
}

/// `ERR wrong number of arguments for '<cmd>' command`, for arity rules
/// the table cannot express (pairs of arguments) (`addReplyErrorArity`).
pub fn arity_error(srv: &Server, ctx: &mut Ctx) {
    let name = &srv.commands.entries[ctx.cmd].fullname;
    ctx.out.error(&format!(
        "ERR wrong number of arguments for '{}' command",
        name
    ));
}

/// `ERR invalid expire time in '<cmd>' command`
pub fn expire_time_error(srv: &Server, ctx: &mut Ctx) {
    let name = &srv.commands.entries[ctx.cmd].fullname;
    ctx.out
        .error(&format!("ERR invalid expire time in '{}' command", name));
}

/// A key holds a value of another type than the command expects: the
/// caller replies WRONGTYPE.
pub struct WrongType;

/// Redis's `checkType` after a lookup: the value seen as the type `view`
/// selects; `Ok(None)` for a missing key, `Err(WrongType)` for another type.
pub fn typed<T: ?Sized>(
    o: Option<&mut crate::db::RObj>,
    view: fn(&mut crate::db::Value) -> Option<&mut T>,
) -> Result<Option<&mut T>, WrongType> {
    match o {
        None => Ok(None),
        Some(o) => view(&mut o.value).map(Some).ok_or(WrongType),
    }
}

/// Reply a string value as a bulk string.
#[inline]
pub fn reply_str(out: &mut ReplyBuf, s: &RStr) {
    match s {
        RStr::Int(n) => out.bulk_i64(*n),
        RStr::Emb(v) => out.bulk(v),
        RStr::Raw(v) => out.bulk(v),
    }
}

/// Reply a HELP text as an array of status lines (Redis's `addReplyHelp`).
pub fn reply_help(ctx: &mut Ctx, lines: &[&str]) {
    ctx.out.array_len(lines.len());
    for l in lines {
        ctx.out.status(l);
    }
}

const K1: KeyPos = KeyPos {
    first: 1,
    last: 1,
    step: 1,
};
const K12: KeyPos = KeyPos {
    first: 1,
    last: 2,
    step: 1,
};
const K3: KeyPos = KeyPos {
    first: 3,
    last: 3,
    step: 1,
};
const KALL: KeyPos = KeyPos {
    first: 1,
    last: -1,
    step: 1,
};
const KPAIRS: KeyPos = KeyPos {
    first: 1,
    last: -1,
    step: 2,
};

/// Row constructor, so the table reads as a table.
#[allow(clippy::too_many_arguments)]
const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: u32,
    keys: KeyPos,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        acl,
        keys,
        group,
        since,
        summary,
        complexity,
        handler,
        subcommands: &[],
    }
}

/// A container command (CONFIG, CLIENT, ...): the handler runs only when
/// the container is called alone (`COMMAND`), otherwise a subcommand runs.
const fn container(
    name: &'static str,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: Handler,
    subcommands: &'static [CommandDef],
) -> CommandDef {
    CommandDef {
        name,
        arity: -2,
        flags: 0,
        acl: 0,
        keys: NO_KEYS,
        group,
        since,
        summary,
        complexity: "Depends on subcommand.",
        handler,
        subcommands,
    }
}

use config_cmd as cfg;
use connection as conn;
use hashes as h;
use keys as k;
use lists as l;
use server_cmds as sv;
use sets as st;
use streams as x;
use strings as s;
use zsets as z;

const O1: &str = "O(1)";
const ON: &str = "O(N) where N is the number of keys";

#[rustfmt::skip]
static CONFIG_SUBS: [CommandDef; 5] = [
    cmd("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.0.0", "Get the values of configuration parameters", "O(N) when N is the number of configuration parameters provided", cfg::config_get_command),
    cmd("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.0.0", "Set configuration parameters to the given values", "O(N) when N is the number of configuration parameters provided", cfg::config_set_command),
    cmd("resetstat", 2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.0.0", "Reset the stats returned by INFO", O1, cfg::config_resetstat_command),
    cmd("rewrite", 2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.0", "Rewrite the configuration file with the in memory configuration", O1, cfg::config_rewrite_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "server", "5.0.0", "Show helpful text about the different subcommands", O1, cfg::config_help_command),
];

#[rustfmt::skip]
static CLIENT_SUBS: [CommandDef; 17] = [
    cmd("id", 2, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "5.0.0", "Returns the client ID for the current connection", O1, conn::client_id_command),
    cmd("getname", 2, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "2.6.9", "Get the current connection name", O1, conn::client_getname_command),
    cmd("setname", 3, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "2.6.9", "Set the current connection name", O1, conn::client_setname_command),
    cmd("setinfo", 4, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "7.2.0", "Set client or connection specific info", O1, conn::client_setinfo_command),
    cmd("info", 2, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.2.0", "Returns information about the current client connection.", O1, conn::client_info_command),
    cmd("list", -2, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "2.4.0", "Get the list of client connections", "O(N) where N is the number of client connections", conn::client_list_command),
    cmd("kill", -3, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "2.4.0", "Kill the connection of a client", "O(N) where N is the number of client connections", conn::client_kill_command),
    cmd("no-evict", 3, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "7.0.0", "Set client eviction mode for the current connection", O1, conn::client_no_evict_command),
    cmd("getredir", 2, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.0.0", "Get tracking notifications redirection client ID if any", O1, crate::tracking::client_getredir_command),
    cmd("reply", 3, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "3.2.0", "Instruct the server whether to reply to commands", O1, conn::client_reply_command),
    cmd("help", 2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "5.0.0", "Show helpful text about the different subcommands", O1, conn::client_help_command),
    cmd("pause", -3, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "3.0.0", "Stop processing commands from clients for some time", O1, conn::client_pause_command),
    cmd("unpause", 2, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.2.0", "Resume processing of clients that were paused", "O(N) Where N is the number of paused clients", conn::client_unpause_command),
    cmd("tracking", -3, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.0.0", "Enable or disable server assisted client side caching support", "O(1). Some options may introduce additional complexity.", crate::tracking::client_tracking_command),
    cmd("caching", 3, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.0.0", "Instruct the server about tracking or not keys in the next request", O1, crate::tracking::client_caching_command),
    cmd("trackinginfo", 2, NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "6.2.0", "Return information about server assisted client side caching for the current connection", O1, crate::tracking::client_trackinginfo_command),
    cmd("unblock", -3, ADMIN | NOSCRIPT | LOADING | STALE, ACL_CONNECTION, NO_KEYS, "connection", "5.0.0", "Unblock a client blocked in a blocking command from a different connection", "O(log N) where N is the number of client connections", crate::blocked::client_unblock_command),
];

#[rustfmt::skip]
static COMMAND_SUBS: [CommandDef; 7] = [
    cmd("count", 2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "2.8.13", "Get total number of Redis commands", O1, sv::command_count_command),
    cmd("info", -2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "2.8.13", "Get array of specific Redis command details, or all when no argument is given.", "O(N) where N is the number of commands to look up", sv::command_info_command),
    cmd("docs", -2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "7.0.0", "Get array of specific Redis command documentation", "O(N) where N is the number of commands to look up", sv::command_docs_command),
    cmd("list", -2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "7.0.0", "Get an array of Redis command names", "O(N) where N is the total number of Redis commands", sv::command_list_command),
    cmd("getkeys", -4, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "2.8.13", "Extract keys given a full Redis command", "O(N) where N is the number of arguments to the command", sv::command_getkeys_command),
    cmd("getkeysandflags", -4, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "7.0.0", "Extract keys and access flags given a full Redis command", "O(N) where N is the number of arguments to the command", sv::command_getkeysandflags_command),
    cmd("help", 2, LOADING | STALE, ACL_CONNECTION, NO_KEYS, "server", "5.0.0", "Show helpful text about the different subcommands", O1, sv::command_help_command),
];

#[rustfmt::skip]
static OBJECT_SUBS: [CommandDef; 5] = [
    cmd("encoding", 3, READONLY, ACL_KEYSPACE, KeyPos { first: 2, last: 2, step: 1 }, "generic", "2.2.3", "Inspect the internal encoding of a Redis object", O1, k::object_encoding_command),
    cmd("freq", 3, READONLY, ACL_KEYSPACE, KeyPos { first: 2, last: 2, step: 1 }, "generic", "4.0.0", "Get the logarithmic access frequency counter of a Redis object", O1, k::object_freq_command),
    cmd("idletime", 3, READONLY, ACL_KEYSPACE, KeyPos { first: 2, last: 2, step: 1 }, "generic", "2.2.3", "Get the time since a Redis object was last accessed", O1, k::object_idletime_command),
    cmd("refcount", 3, READONLY, ACL_KEYSPACE, KeyPos { first: 2, last: 2, step: 1 }, "generic", "2.2.3", "Get the number of references to the value of the key", O1, k::object_refcount_command),
    cmd("help", 2, LOADING | STALE, ACL_KEYSPACE, NO_KEYS, "generic", "6.2.0", "Show helpful text about the different subcommands", O1, k::object_help_command),
];

#[rustfmt::skip]
static LATENCY_SUBS: [CommandDef; 7] = [
    cmd("doctor", 2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Return a human readable latency analysis report.", O1, crate::latency::latency_doctor_command),
    cmd("graph", 3, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Return a latency graph for the event.", O1, crate::latency::latency_graph_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Show helpful text about the different subcommands.", O1, crate::latency::latency_help_command),
    cmd("histogram", -2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "7.0.0", "Return the cumulative distribution of latencies of a subset of commands or all.", "O(N) where N is the number of commands with latency information being retrieved.", crate::latency::latency_histogram_command),
    cmd("history", 3, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Return timestamp-latency samples for the event.", O1, crate::latency::latency_history_command),
    cmd("latest", 2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Return the latest latency samples for all events.", O1, crate::latency::latency_latest_command),
    cmd("reset", -2, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "2.8.13", "Reset latency data for one or more events.", O1, crate::latency::latency_reset_command),
];

#[rustfmt::skip]
static ACL_SUBS: [CommandDef; 13] = [
    cmd("cat", -2, NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "List the ACL categories or the commands inside a category", "O(1) since the categories and commands are a fixed set.", acl_cmd::acl_cat_command),
    cmd("deluser", -3, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Remove the specified ACL users and the associated rules", "O(1) amortized time considering the typical user.", acl_cmd::acl_deluser_command),
    cmd("dryrun", -4, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "7.0.0", "Returns whether the user can execute the given command without executing the command.", "O(1).", acl_cmd::acl_dryrun_command),
    cmd("genpass", -2, NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Generate a pseudorandom secure password to use for ACL users", O1, acl_cmd::acl_genpass_command),
    cmd("getuser", 3, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Get the rules for a specific ACL user", "O(N). Where N is the number of password, command and pattern rules that the user has.", acl_cmd::acl_getuser_command),
    cmd("help", 2, LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Show helpful text about the different subcommands", O1, acl_cmd::acl_help_command),
    cmd("list", 2, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "List the current ACL rules in ACL config file format", "O(N). Where N is the number of configured users.", acl_cmd::acl_list_command),
    cmd("load", 2, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Reload the ACLs from the configured ACL file", "O(N). Where N is the number of configured users.", acl_cmd::acl_load_command),
    cmd("log", -2, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "List latest events denied because of ACLs in place", "O(N) with N being the number of entries shown.", acl_cmd::acl_log_command),
    cmd("save", 2, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Save the current ACL rules in the configured ACL file", "O(N). Where N is the number of configured users.", acl_cmd::acl_save_command),
    cmd("setuser", -3, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Modify or create the rules for a specific ACL user", "O(N). Where N is the number of rules provided.", acl_cmd::acl_setuser_command),
    cmd("users", 2, ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "List the username of all the configured ACL rules", "O(N). Where N is the number of configured users.", acl_cmd::acl_users_command),
    cmd("whoami", 2, NOSCRIPT | LOADING | STALE | SENTINEL, 0, NO_KEYS, "server", "6.0.0", "Return the name of the user associated to the current connection", O1, acl_cmd::acl_whoami_command),
];

#[rustfmt::skip]
static SLOWLOG_SUBS: [CommandDef; 4] = [
    cmd("get", -2, ADMIN | LOADING | STALE, 0, NO_KEYS, "server", "2.2.12", "Get the slow log's entries", "O(N) where N is the number of entries returned", crate::slowlog::slowlog_get_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "server", "6.2.0", "Show helpful text about the different subcommands", O1, crate::slowlog::slowlog_help_command),
    cmd("len", 2, ADMIN | LOADING | STALE, 0, NO_KEYS, "server", "2.2.12", "Get the slow log's length", O1, crate::slowlog::slowlog_len_command),
    cmd("reset", 2, ADMIN | LOADING | STALE, 0, NO_KEYS, "server", "2.2.12", "Clear all entries from the slow log", "O(N) where N is the number of entries in the slowlog", crate::slowlog::slowlog_reset_command),
];

#[rustfmt::skip]
static FUNCTION_SUBS: [CommandDef; 9] = [
    cmd("load", -3, WRITE | DENYOOM | NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Create a function with the given arguments (name, code, description)", "O(1) (considering compilation time is redundant)", functions::function_load_command),
    cmd("delete", 3, WRITE | NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Delete a function by name", O1, functions::function_delete_command),
    cmd("stats", 2, NOSCRIPT | ALLOW_BUSY, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Return information about the function currently running (name, description, duration)", O1, functions::function_stats_command),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Kill the function currently in execution.", O1, functions::function_kill_command),
    cmd("flush", -2, WRITE | NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Deleting all functions", "O(N) where N is the number of functions deleted", functions::function_flush_command),
    cmd("list", -2, NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "List information about all the functions", "O(N) where N is the number of functions", functions::function_list_command),
    cmd("help", 2, LOADING | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Show helpful text about the different subcommands", O1, functions::function_help_command),
    cmd("dump", 2, NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Dump all functions into a serialized binary payload", "O(N) where N is the number of functions", functions::function_dump_command),
    cmd("restore", -3, WRITE | DENYOOM | NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Restore all the functions on the given payload", "O(N) where N is the number of functions on the payload", functions::function_restore_command),
];

#[rustfmt::skip]
static MEMORY_SUBS: [CommandDef; 6] = [
    cmd("usage", -3, READONLY, 0, KeyPos { first: 2, last: 2, step: 1 }, "server", "4.0.0", "Estimate the memory usage of a key", "O(N) where N is the number of samples.", sv::memory_usage_command),
    cmd("stats", 2, 0, 0, NO_KEYS, "server", "4.0.0", "Show memory usage details", O1, sv::memory_stats_command),
    cmd("doctor", 2, 0, 0, NO_KEYS, "server", "4.0.0", "Outputs memory problems report", O1, sv::memory_doctor_command),
    cmd("malloc-stats", 2, 0, 0, NO_KEYS, "server", "4.0.0", "Show allocator internal stats", "Depends on how much memory is allocated, could be slow", sv::memory_malloc_stats_command),
    cmd("purge", 2, 0, 0, NO_KEYS, "server", "4.0.0", "Ask the allocator to release memory", "Depends on how much memory is allocated, could be slow", sv::memory_purge_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "server", "4.0.0", "Show helpful text about the different subcommands", O1, sv::memory_help_command),
];

#[rustfmt::skip]
static PUBSUB_SUBS: [CommandDef; 6] = [
    cmd("channels", -2, PUBSUB | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.8.0", "List active channels", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", crate::pubsub::pubsub_channels_command),
    cmd("numsub", -2, PUBSUB | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.8.0", "Get the count of subscribers for channels", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", crate::pubsub::pubsub_numsub_command),
    cmd("numpat", 2, PUBSUB | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.8.0", "Get the count of unique patterns pattern subscriptions", O1, crate::pubsub::pubsub_numpat_command),
    cmd("shardchannels", -2, PUBSUB | LOADING | STALE, 0, NO_KEYS, "pubsub", "7.0.0", "List active shard channels", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", crate::pubsub::pubsub_shardchannels_command),
    cmd("shardnumsub", -2, PUBSUB | LOADING | STALE, 0, NO_KEYS, "pubsub", "7.0.0", "Get the count of subscribers for shard channels", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", crate::pubsub::pubsub_shardnumsub_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "pubsub", "6.2.0", "Show helpful text about the different subcommands", O1, crate::pubsub::pubsub_help_command),
];

#[rustfmt::skip]
static CLUSTER_SUBS: [CommandDef; 27] = [
    cmd("addslots", -3, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Assign new hash slots to receiving node", "O(N) where N is the total number of hash slot arguments", sv::cluster_disabled_command),
    cmd("addslotsrange", -4, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "7.0.0", "Assign new hash slots to receiving node", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", sv::cluster_disabled_command),
    cmd("bumpepoch", 2, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Advance the cluster config epoch", "O(1)", sv::cluster_disabled_command),
    cmd("count-failure-reports", 3, ADMIN | STALE, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Return the number of failure reports active for a given node", "O(N) where N is the number of failure reports", sv::cluster_disabled_command),
    cmd("countkeysinslot", 3, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Return the number of local keys in the specified hash slot", "O(1)", sv::cluster_disabled_command),
    cmd("delslots", -3, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Set hash slots as unbound in receiving node", "O(N) where N is the total number of hash slot arguments", sv::cluster_disabled_command),
    cmd("delslotsrange", -4, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "7.0.0", "Set hash slots as unbound in receiving node", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", sv::cluster_disabled_command),
    cmd("failover", -2, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Forces a replica to perform a manual failover of its master.", "O(1)", sv::cluster_disabled_command),
    cmd("flushslots", 2, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Delete a node's own slots information", "O(1)", sv::cluster_disabled_command),
    cmd("forget", 3, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Remove a node from the nodes table", "O(1)", sv::cluster_disabled_command),
    cmd("getkeysinslot", 4, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Return local key names in the specified hash slot", "O(log(N)) where N is the number of requested keys", sv::cluster_disabled_command),
    cmd("help", 2, LOADING | STALE, 0, NO_KEYS, "cluster", "5.0.0", "Show helpful text about the different subcommands", "O(1)", sv::cluster_disabled_command),
    cmd("info", 2, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Provides info about Redis Cluster node state", "O(1)", sv::cluster_disabled_command),
    cmd("keyslot", 3, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Returns the hash slot of the specified key", "O(N) where N is the number of bytes in the key", sv::cluster_disabled_command),
    cmd("links", 2, STALE, 0, NO_KEYS, "cluster", "7.0.0", "Returns a list of all TCP links to and from peer nodes in cluster", "O(N) where N is the total number of Cluster nodes", sv::cluster_disabled_command),
    cmd("meet", -4, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Force a node cluster to handshake with another node", "O(1)", sv::cluster_disabled_command),
    cmd("myid", 2, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Return the node id", "O(1)", sv::cluster_disabled_command),
    cmd("nodes", 2, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Get Cluster config for the node", "O(N) where N is the total number of Cluster nodes", sv::cluster_disabled_command),
    cmd("replicas", 3, ADMIN | STALE, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "5.0.0", "List replica nodes of the specified master node", "O(1)", sv::cluster_disabled_command),
    cmd("replicate", 3, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Reconfigure a node as a replica of the specified master node", "O(1)", sv::cluster_disabled_command),
    cmd("reset", -2, ADMIN | NOSCRIPT | STALE, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Reset a Redis Cluster node", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", sv::cluster_disabled_command),
    cmd("saveconfig", 2, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Forces the node to save cluster state on disk", "O(1)", sv::cluster_disabled_command),
    cmd("set-config-epoch", 3, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Set the configuration epoch in a new node", "O(1)", sv::cluster_disabled_command),
    cmd("setslot", -4, ADMIN | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "Bind a hash slot to a specific node", "O(1)", sv::cluster_disabled_command),
    cmd("shards", 2, STALE, 0, NO_KEYS, "cluster", "7.0.0", "Get array of cluster slots to node mappings", "O(N) where N is the total number of cluster nodes", sv::cluster_disabled_command),
    cmd("slaves", 3, ADMIN | STALE, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "cluster", "3.0.0", "List replica nodes of the specified master node", "O(1)", sv::cluster_disabled_command),
    cmd("slots", 2, STALE, 0, NO_KEYS, "cluster", "3.0.0", "Get array of Cluster slot to node mappings", "O(N) where N is the total number of Cluster nodes", sv::cluster_disabled_command),
];

#[rustfmt::skip]
static SCRIPT_SUBS: [CommandDef; 5] = [
    cmd("exists", -3, NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Check existence of scripts in the script cache.", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", scripting::script_exists_command),
    cmd("flush", -2, NOSCRIPT, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Remove all the scripts from the script cache.", "O(N) with N being the number of scripts in cache", scripting::script_flush_command),
    cmd("help", 2, LOADING | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "5.0.0", "Show helpful text about the different subcommands", O1, scripting::script_help_command),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Kill the script currently in execution.", O1, scripting::script_kill_command),
    cmd("load", 3, NOSCRIPT | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Load the specified Lua script into the script cache.", "O(N) with N being the length in bytes of the script body.", scripting::script_load_command),
];

const K2: KeyPos = KeyPos {
    first: 2,
    last: 2,
    step: 1,
};

#[rustfmt::skip]
static XGROUP_SUBS: [CommandDef; 6] = [
    cmd("create", -5, WRITE | DENYOOM, ACL_STREAM, K2, "stream", "5.0.0", "Create a consumer group.", O1, x::xgroup_command),
    cmd("setid", -5, WRITE, ACL_STREAM, K2, "stream", "5.0.0", "Set a consumer group to an arbitrary last delivered ID value.", O1, x::xgroup_command),
    cmd("destroy", 4, WRITE, ACL_STREAM, K2, "stream", "5.0.0", "Destroy a consumer group.", "O(N) where N is the number of entries in the group's pending entries list (PEL).", x::xgroup_command),
    cmd("createconsumer", 5, WRITE | DENYOOM, ACL_STREAM, K2, "stream", "6.2.0", "Create a consumer in a consumer group.", O1, x::xgroup_command),
    cmd("delconsumer", 5, WRITE, ACL_STREAM, K2, "stream", "5.0.0", "Delete a consumer from a consumer group.", O1, x::xgroup_command),
    cmd("help", 2, LOADING | STALE, ACL_STREAM, NO_KEYS, "stream", "5.0.0", "Show helpful text about the different subcommands", O1, x::xgroup_help_command),
];

#[rustfmt::skip]
static XINFO_SUBS: [CommandDef; 4] = [
    cmd("consumers", 4, READONLY, ACL_STREAM, K2, "stream", "5.0.0", "List the consumers in a consumer group", O1, x::xinfo_command),
    cmd("groups", 3, READONLY, ACL_STREAM, K2, "stream", "5.0.0", "List the consumer groups of a stream", O1, x::xinfo_command),
    cmd("stream", -3, READONLY, ACL_STREAM, K2, "stream", "5.0.0", "Get information about a stream", O1, x::xinfo_command),
    cmd("help", 2, LOADING | STALE, ACL_STREAM, NO_KEYS, "stream", "5.0.0", "Show helpful text about the different subcommands", O1, x::xinfo_help_command),
];

/// Handler for a container called without a subcommand: arity (-2) makes
/// this unreachable except for COMMAND, which lists everything.
fn container_alone(srv: &mut Server, ctx: &mut Ctx) {
    arity_error(srv, ctx);
}

/// The command table.
#[rustfmt::skip]
pub static TABLE: &[CommandDef] = &[
    // Strings (t_string.c)
    cmd("get", 2, READONLY | FAST, ACL_STRING, K1, "string", "1.0.0", "Get the value of a key", O1, s::get_command),
    cmd("set", -3, WRITE | DENYOOM, ACL_STRING, K1, "string", "1.0.0", "Set the string value of a key", O1, s::set_command),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Set the value of a key, only if the key does not exist", O1, s::setnx_command),
    cmd("setex", 4, WRITE | DENYOOM, ACL_STRING, K1, "string", "2.0.0", "Set the value and expiration of a key", O1, s::setex_command),
    cmd("psetex", 4, WRITE | DENYOOM, ACL_STRING, K1, "string", "2.6.0", "Set the value and expiration in milliseconds of a key", O1, s::psetex_command),
    cmd("getex", -2, WRITE | FAST, ACL_STRING, K1, "string", "6.2.0", "Get the value of a key and optionally set its expiration", O1, s::getex_command),
    cmd("getdel", 2, WRITE | FAST, ACL_STRING, K1, "string", "6.2.0", "Get the value of a key and delete the key", O1, s::getdel_command),
    cmd("getset", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Set the string value of a key and return its old value", O1, s::getset_command),
    cmd("mget", -2, READONLY | FAST, ACL_STRING, KALL, "string", "1.0.0", "Get the values of all the given keys", "O(N) where N is the number of keys to retrieve.", s::mget_command),
    cmd("mset", -3, WRITE | DENYOOM, ACL_STRING, KPAIRS, "string", "1.0.1", "Set multiple keys to multiple values", "O(N) where N is the number of keys to set.", s::mset_command),
    cmd("msetnx", -3, WRITE | DENYOOM, ACL_STRING, KPAIRS, "string", "1.0.1", "Set multiple keys to multiple values, only if none of the keys exist", "O(N) where N is the number of keys to set.", s::msetnx_command),
    cmd("incr", 2, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Increment the integer value of a key by one", O1, s::incr_command),
    cmd("decr", 2, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Decrement the integer value of a key by one", O1, s::decr_command),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Increment the integer value of a key by the given amount", O1, s::incrby_command),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "1.0.0", "Decrement the integer value of a key by the given number", O1, s::decrby_command),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "2.6.0", "Increment the float value of a key by the given amount", O1, s::incrbyfloat_command),
    cmd("append", 3, WRITE | DENYOOM | FAST, ACL_STRING, K1, "string", "2.0.0", "Append a value to a key", O1, s::append_command),
    cmd("strlen", 2, READONLY | FAST, ACL_STRING, K1, "string", "2.2.0", "Get the length of the value stored in a key", O1, s::strlen_command),
    cmd("setrange", 4, WRITE | DENYOOM, ACL_STRING, K1, "string", "2.2.0", "Overwrite part of a string at key starting at the specified offset", O1, s::setrange_command),
    cmd("getrange", 4, READONLY, ACL_STRING, K1, "string", "2.4.0", "Get a substring of the string stored at a key", "O(N) where N is the length of the returned string.", s::getrange_command),
    cmd("substr", 4, READONLY, ACL_STRING, K1, "string", "1.0.0", "Get a substring of the string stored at a key", "O(N) where N is the length of the returned string.", s::getrange_command),
    cmd("lcs", -3, READONLY, ACL_STRING, K12, "string", "7.0.0", "Find longest common substring", "O(N*M) where N and M are the lengths of s1 and s2, respectively", s::lcs_command),
    // Bitmaps (bitops.c)
    cmd("setbit", 4, WRITE | DENYOOM, ACL_BITMAP, K1, "bitmap", "2.2.0", "Sets or clears the bit at offset in the string value stored at key", O1, bitops::setbit_command),
    cmd("getbit", 3, READONLY | FAST, ACL_BITMAP, K1, "bitmap", "2.2.0", "Returns the bit value at offset in the string value stored at key", O1, bitops::getbit_command),
    cmd("bitcount", -2, READONLY, ACL_BITMAP, K1, "bitmap", "2.6.0", "Count set bits in a string", "O(N)", bitops::bitcount_command),
    cmd("bitpos", -3, READONLY, ACL_BITMAP, K1, "bitmap", "2.8.7", "Find first bit set or clear in a string", "O(N)", bitops::bitpos_command),
    cmd("bitop", -4, WRITE | DENYOOM, ACL_BITMAP, KeyPos { first: 2, last: -1, step: 1 }, "bitmap", "2.6.0", "Perform bitwise operations between strings", "O(N)", bitops::bitop_command),
    cmd("bitfield", -2, WRITE | DENYOOM, ACL_BITMAP, K1, "bitmap", "3.2.0", "Perform arbitrary bitfield integer operations on strings", "O(1) for each subcommand specified", bitops::bitfield_command),
    cmd("bitfield_ro", -2, READONLY | FAST, ACL_BITMAP, K1, "bitmap", "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "O(1) for each subcommand specified", bitops::bitfield_ro_command),
    // HyperLogLog (hyperloglog.c)
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, ACL_HYPERLOGLOG, K1, "hyperloglog", "2.8.9", "Adds the specified elements to the specified HyperLogLog.", "O(1) to add every element.", hyperloglog::pfadd_command),
    cmd("pfcount", -2, READONLY | MAY_REPLICATE, ACL_HYPERLOGLOG, KALL, "hyperloglog", "2.8.9", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", hyperloglog::pfcount_command),
    cmd("pfmerge", -2, WRITE | DENYOOM, ACL_HYPERLOGLOG, KALL, "hyperloglog", "2.8.9", "Merge N different HyperLogLogs into a single one.", "O(N) to merge N HyperLogLogs, but with high constant times.", hyperloglog::pfmerge_command),
    cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN, ACL_HYPERLOGLOG, KeyPos { first: 2, last: 2, step: 1 }, "hyperloglog", "2.8.9", "Internal commands for debugging HyperLogLog values", "N/A", hyperloglog::pfdebug_command),
    cmd("pfselftest", 1, ADMIN, ACL_HYPERLOGLOG, NO_KEYS, "hyperloglog", "2.8.9", "An internal command for testing HyperLogLog values", "N/A", hyperloglog::pfselftest_command),
    // Hashes (t_hash.c)
    cmd("hset", -4, WRITE | DENYOOM | FAST, ACL_HASH, K1, "hash", "2.0.0", "Set the string value of a hash field", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", h::hset_command),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, ACL_HASH, K1, "hash", "2.0.0", "Set the value of a hash field, only if the field does not exist", O1, h::hsetnx_command),
    cmd("hget", 3, READONLY | FAST, ACL_HASH, K1, "hash", "2.0.0", "Get the value of a hash field", O1, h::hget_command),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, ACL_HASH, K1, "hash", "2.0.0", "Set multiple hash fields to multiple values", "O(N) where N is the number of fields being set.", h::hmset_command),
    cmd("hmget", -3, READONLY | FAST, ACL_HASH, K1, "hash", "2.0.0", "Get the values of all the given hash fields", "O(N) where N is the number of fields being requested.", h::hmget_command),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, ACL_HASH, K1, "hash", "2.0.0", "Increment the integer value of a hash field by the given number", O1, h::hincrby_command),
    cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, ACL_HASH, K1, "hash", "2.6.0", "Increment the float value of a hash field by the given amount", O1, h::hincrbyfloat_command),
    cmd("hdel", -3, WRITE | FAST, ACL_HASH, K1, "hash", "2.0.0", "Delete one or more hash fields", "O(N) where N is the number of fields to be removed.", h::hdel_command),
    cmd("hlen", 2, READONLY | FAST, ACL_HASH, K1, "hash", "2.0.0", "Get the number of fields in a hash", O1, h::hlen_command),
    cmd("hstrlen", 3, READONLY | FAST, ACL_HASH, K1, "hash", "3.2.0", "Get the length of the value of a hash field", O1, h::hstrlen_command),
    cmd("hkeys", 2, READONLY, ACL_HASH, K1, "hash", "2.0.0", "Get all the fields in a hash", "O(N) where N is the size of the hash.", h::hkeys_command),
    cmd("hvals", 2, READONLY, ACL_HASH, K1, "hash", "2.0.0", "Get all the values in a hash", "O(N) where N is the size of the hash.", h::hvals_command),
    cmd("hgetall", 2, READONLY, ACL_HASH, K1, "hash", "2.0.0", "Get all the fields and values in a hash", "O(N) where N is the size of the hash.", h::hgetall_command),
    cmd("hexists", 3, READONLY | FAST, ACL_HASH, K1, "hash", "2.0.0", "Determine if a hash field exists", O1, h::hexists_command),
    cmd("hrandfield", -2, READONLY, ACL_HASH, K1, "hash", "6.2.0", "Get one or multiple random fields from a hash", "O(N) where N is the number of fields returned", h::hrandfield_command),
    cmd("hscan", -3, READONLY, ACL_HASH, K1, "hash", "2.8.0", "Incrementally iterate hash fields and associated values", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", h::hscan_command),
    // Sets (t_set.c)
    cmd("sadd", -3, WRITE | DENYOOM | FAST, ACL_SET, K1, "set", "1.0.0", "Add one or more members to a set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", st::sadd_command),
    cmd("scard", 2, READONLY | FAST, ACL_SET, K1, "set", "1.0.0", "Get the number of members in a set", O1, st::scard_command),
    cmd("sdiff", -2, READONLY, ACL_SET, KALL, "set", "1.0.0", "Subtract multiple sets", "O(N) where N is the total number of elements in all given sets.", st::sdiff_command),
    cmd("sdiffstore", -3, WRITE | DENYOOM, ACL_SET, KALL, "set", "1.0.0", "Subtract multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", st::sdiffstore_command),
    cmd("sinter", -2, READONLY, ACL_SET, KALL, "set", "1.0.0", "Intersect multiple sets", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", st::sinter_command),
    // SINTERCARD's keys follow a numkeys argument: no legacy key range (Redis reports 0 0 0 and movablekeys).
    cmd("sintercard", -3, READONLY, ACL_SET, NO_KEYS, "set", "7.0.0", "Intersect multiple sets and return the cardinality of the result", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", st::sintercard_command),
    cmd("sinterstore", -3, WRITE | DENYOOM, ACL_SET, KALL, "set", "1.0.0", "Intersect multiple sets and store the resulting set in a key", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", st::sinterstore_command),
    cmd("sismember", 3, READONLY | FAST, ACL_SET, K1, "set", "1.0.0", "Determine if a given value is a member of a set", O1, st::sismember_command),
    cmd("smembers", 2, READONLY, ACL_SET, K1, "set", "1.0.0", "Get all the members in a set", "O(N) where N is the set cardinality.", st::smembers_command),
    cmd("smismember", -3, READONLY | FAST, ACL_SET, K1, "set", "6.2.0", "Returns the membership associated with the given elements for a set", "O(N) where N is the number of elements being checked for membership", st::smismember_command),
    cmd("smove", 4, WRITE | FAST, ACL_SET, K12, "set", "1.0.0", "Move a member from one set to another", O1, st::smove_command),
    cmd("spop", -2, WRITE | FAST, ACL_SET, K1, "set", "1.0.0", "Remove and return one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", st::spop_command),
    cmd("srandmember", -2, READONLY, ACL_SET, K1, "set", "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", st::srandmember_command),
    cmd("srem", -3, WRITE | FAST, ACL_SET, K1, "set", "1.0.0", "Remove one or more members from a set", "O(N) where N is the number of members to be removed.", st::srem_command),
    cmd("sscan", -3, READONLY, ACL_SET, K1, "set", "2.8.0", "Incrementally iterate Set elements", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", st::sscan_command),
    cmd("sunion", -2, READONLY, ACL_SET, KALL, "set", "1.0.0", "Add multiple sets", "O(N) where N is the total number of elements in all given sets.", st::sunion_command),
    cmd("sunionstore", -3, WRITE | DENYOOM, ACL_SET, KALL, "set", "1.0.0", "Add multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets.", st::sunionstore_command),
    // Sorted sets (t_zset.c); BZPOPMIN/BZPOPMAX/BZMPOP are not implemented.
    // Commands whose keys follow a numkeys argument have no legacy key range.
    cmd("bzpopmin", -3, WRITE | NOSCRIPT | FAST | BLOCKING, ACL_SORTEDSET, KeyPos { first: 1, last: -2, step: 1 }, "sorted_set", "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set.", z::bzpopmin_command),
    cmd("bzpopmax", -3, WRITE | NOSCRIPT | FAST | BLOCKING, ACL_SORTEDSET, KeyPos { first: 1, last: -2, step: 1 }, "sorted_set", "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set.", z::bzpopmax_command),
    cmd("bzmpop", -5, WRITE | BLOCKING, ACL_SORTEDSET, NO_KEYS, "sorted_set", "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", z::bzmpop_command),
    cmd("zadd", -4, WRITE | DENYOOM | FAST, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", z::zadd_command),
    cmd("zcard", 2, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Get the number of members in a sorted set", "O(1)", z::zcard_command),
    cmd("zcount", 4, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Count the members in a sorted set with scores within the given values", "O(log(N)) with N being the number of elements in the sorted set.", z::zcount_command),
    cmd("zdiff", -3, READONLY, ACL_SORTEDSET, NO_KEYS, "sorted_set", "6.2.0", "Subtract multiple sorted sets", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", z::zdiff_command),
    cmd("zdiffstore", -4, WRITE | DENYOOM, ACL_SORTEDSET, K1, "sorted_set", "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", z::zdiffstore_command),
    cmd("zincrby", 4, WRITE | DENYOOM | FAST, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Increment the score of a member in a sorted set", "O(log(N)) where N is the number of elements in the sorted set.", z::zincrby_command),
    cmd("zinter", -3, READONLY, ACL_SORTEDSET, NO_KEYS, "sorted_set", "6.2.0", "Intersect multiple sorted sets", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", z::zinter_command),
    cmd("zintercard", -3, READONLY, ACL_SORTEDSET, NO_KEYS, "sorted_set", "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", z::zintercard_command),
    cmd("zinterstore", -4, WRITE | DENYOOM, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", z::zinterstore_command),
    cmd("zlexcount", 4, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", "O(log(N)) with N being the number of elements in the sorted set.", z::zlexcount_command),
    cmd("zmpop", -4, WRITE, ACL_SORTEDSET, NO_KEYS, "sorted_set", "7.0.0", "Remove and return members with scores in a sorted set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", z::zmpop_command),
    cmd("zmscore", -3, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "6.2.0", "Get the score associated with the given members in a sorted set", "O(N) where N is the number of members being requested.", z::zmscore_command),
    cmd("zpopmax", -2, WRITE | FAST, ACL_SORTEDSET, K1, "sorted_set", "5.0.0", "Remove and return members with the highest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", z::zpopmax_command),
    cmd("zpopmin", -2, WRITE | FAST, ACL_SORTEDSET, K1, "sorted_set", "5.0.0", "Remove and return members with the lowest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", z::zpopmin_command),
    cmd("zrandmember", -2, READONLY, ACL_SORTEDSET, K1, "sorted_set", "6.2.0", "Get one or multiple random elements from a sorted set", "O(N) where N is the number of elements returned", z::zrandmember_command),
    cmd("zrange", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Return a range of members in a sorted set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", z::zrange_command),
    cmd("zrangebylex", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", z::zrangebylex_command),
    cmd("zrangebyscore", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "1.0.5", "Return a range of members in a sorted set, by score", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", z::zrangebyscore_command),
    cmd("zrangestore", -5, WRITE | DENYOOM, ACL_SORTEDSET, K12, "sorted_set", "6.2.0", "Store a range of members from sorted set into another key", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", z::zrangestore_command),
    cmd("zrank", 3, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Determine the index of a member in a sorted set", "O(log(N))", z::zrank_command),
    cmd("zrem", -3, WRITE | FAST, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Remove one or more members from a sorted set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", z::zrem_command),
    cmd("zremrangebylex", 4, WRITE, ACL_SORTEDSET, K1, "sorted_set", "2.8.9", "Remove all members in a sorted set between the given lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", z::zremrangebylex_command),
    cmd("zremrangebyrank", 4, WRITE, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Remove all members in a sorted set within the given indexes", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", z::zremrangebyrank_command),
    cmd("zremrangebyscore", 4, WRITE, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Remove all members in a sorted set within the given scores", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", z::zremrangebyscore_command),
    cmd("zrevrange", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", z::zrevrange_command),
    cmd("zrevrangebylex", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", z::zrevrangebylex_command),
    cmd("zrevrangebyscore", -4, READONLY, ACL_SORTEDSET, K1, "sorted_set", "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", z::zrevrangebyscore_command),
    cmd("zrevrank", 3, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", "O(log(N))", z::zrevrank_command),
    cmd("zscan", -3, READONLY, ACL_SORTEDSET, K1, "sorted_set", "2.8.0", "Incrementally iterate sorted sets elements and associated scores", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", z::zscan_command),
    cmd("zscore", 3, READONLY | FAST, ACL_SORTEDSET, K1, "sorted_set", "1.2.0", "Get the score associated with the given member in a sorted set", "O(1)", z::zscore_command),
    cmd("zunion", -3, READONLY, ACL_SORTEDSET, NO_KEYS, "sorted_set", "6.2.0", "Add multiple sorted sets", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", z::zunion_command),
    cmd("zunionstore", -4, WRITE | DENYOOM, ACL_SORTEDSET, K1, "sorted_set", "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", z::zunionstore_command),
    // Geo (geo.c): a geo set is a sorted set scored by 52-bit geohashes.
    // GEORADIUS[BYMEMBER]'s STORE key moves with its options (COMMAND GETKEYS asks geo::georadius_get_keys).
    cmd("geoadd", -5, WRITE | DENYOOM, ACL_GEO, K1, "geo", "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", geo::geoadd_command),
    cmd("geodist", -4, READONLY, ACL_GEO, K1, "geo", "3.2.0", "Returns the distance between two members of a geospatial index", "O(log(N))", geo::geodist_command),
    cmd("geohash", -2, READONLY, ACL_GEO, K1, "geo", "3.2.0", "Returns members of a geospatial index as standard geohash strings", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", geo::geohash_command),
    cmd("geopos", -2, READONLY, ACL_GEO, K1, "geo", "3.2.0", "Returns longitude and latitude of members of a geospatial index", "O(N) where N is the number of members requested.", geo::geopos_command),
    cmd("georadius", -6, WRITE | DENYOOM, ACL_GEO, K1, "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", geo::georadius_command),
    cmd("georadius_ro", -6, READONLY, ACL_GEO, K1, "geo", "3.2.10", "A read-only variant for GEORADIUS", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", geo::georadius_ro_command),
    cmd("georadiusbymember", -5, WRITE | DENYOOM, ACL_GEO, K1, "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", geo::georadiusbymember_command),
    cmd("georadiusbymember_ro", -5, READONLY, ACL_GEO, K1, "geo", "3.2.10", "A read-only variant for GEORADIUSBYMEMBER", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", geo::georadiusbymember_ro_command),
    cmd("geosearch", -7, READONLY, ACL_GEO, K1, "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", geo::geosearch_command),
    cmd("geosearchstore", -8, WRITE | DENYOOM, ACL_GEO, K12, "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", geo::geosearchstore_command),
    // Lists (t_list.c); the blocking variants are not implemented yet.
    cmd("lindex", 3, READONLY, ACL_LIST, K1, "list", "1.0.0", "Get an element from a list by its index", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", l::lindex_command),
    cmd("linsert", 5, WRITE | DENYOOM, ACL_LIST, K1, "list", "2.2.0", "Insert an element before or after another element in a list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", l::linsert_command),
    cmd("llen", 2, READONLY | FAST, ACL_LIST, K1, "list", "1.0.0", "Get the length of a list", O1, l::llen_command),
    cmd("lmove", 5, WRITE | DENYOOM, ACL_LIST, K12, "list", "6.2.0", "Pop an element from a list, push it to another list and return it", O1, l::lmove_command),
    // LMPOP's keys follow a numkeys argument: no legacy key range (Redis reports 0 0 0 and movablekeys).
    cmd("lmpop", -4, WRITE, ACL_LIST, NO_KEYS, "list", "7.0.0", "Pop elements from a list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", l::lmpop_command),
    cmd("lpop", -2, WRITE | FAST, ACL_LIST, K1, "list", "1.0.0", "Remove and get the first elements in a list", "O(N) where N is the number of elements returned", l::lpop_command),
    cmd("lpos", -3, READONLY, ACL_LIST, K1, "list", "6.0.6", "Return the index of matching elements on a list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", l::lpos_command),
    cmd("lpush", -3, WRITE | DENYOOM | FAST, ACL_LIST, K1, "list", "1.0.0", "Prepend one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", l::lpush_command),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, ACL_LIST, K1, "list", "2.2.0", "Prepend an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", l::lpushx_command),
    cmd("lrange", 4, READONLY, ACL_LIST, K1, "list", "1.0.0", "Get a range of elements from a list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", l::lrange_command),
    cmd("lrem", 4, WRITE, ACL_LIST, K1, "list", "1.0.0", "Remove elements from a list", "O(N+M) where N is the length of the list and M is the number of elements removed.", l::lrem_command),
    cmd("lset", 4, WRITE | DENYOOM, ACL_LIST, K1, "list", "1.0.0", "Set the value of an element in a list by its index", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", l::lset_command),
    cmd("ltrim", 4, WRITE, ACL_LIST, K1, "list", "1.0.0", "Trim a list to the specified range", "O(N) where N is the number of elements to be removed by the operation.", l::ltrim_command),
    cmd("rpop", -2, WRITE | FAST, ACL_LIST, K1, "list", "1.0.0", "Remove and get the last elements in a list", "O(N) where N is the number of elements returned", l::rpop_command),
    cmd("rpoplpush", 3, WRITE | DENYOOM, ACL_LIST, K12, "list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it", O1, l::rpoplpush_command),
    cmd("blpop", -3, WRITE | NOSCRIPT | BLOCKING, ACL_LIST, KeyPos { first: 1, last: -2, step: 1 }, "list", "2.0.0", "Remove and get the first element in a list, or block until one is available", "O(N) where N is the number of provided keys.", l::blpop_command),
    cmd("brpop", -3, WRITE | NOSCRIPT | BLOCKING, ACL_LIST, KeyPos { first: 1, last: -2, step: 1 }, "list", "2.0.0", "Remove and get the last element in a list, or block until one is available", "O(N) where N is the number of provided keys.", l::brpop_command),
    cmd("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, ACL_LIST, K12, "list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", O1, l::brpoplpush_command),
    cmd("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, ACL_LIST, K12, "list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", O1, l::blmove_command),
    cmd("blmpop", -5, WRITE | BLOCKING, ACL_LIST, NO_KEYS, "list", "7.0.0", "Pop elements from a list, or block until one is available", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", l::blmpop_command),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, ACL_LIST, K1, "list", "1.0.0", "Append one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", l::rpush_command),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, ACL_LIST, K1, "list", "2.2.0", "Append an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", l::rpushx_command),
    // Streams (t_stream.c). XREAD/XREADGROUP keys follow STREAMS: no legacy key range (movablekeys).
    cmd("xadd", -5, WRITE | DENYOOM | FAST, ACL_STREAM, K1, "stream", "5.0.0", "Appends a new entry to a stream", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", x::xadd_command),
    cmd("xrange", -4, READONLY, ACL_STREAM, K1, "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", x::xrange_command),
    cmd("xrevrange", -4, READONLY, ACL_STREAM, K1, "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", x::xrevrange_command),
    cmd("xlen", 2, READONLY | FAST, ACL_STREAM, K1, "stream", "5.0.0", "Return the number of entries in a stream", O1, x::xlen_command),
    cmd("xdel", -3, WRITE | FAST, ACL_STREAM, K1, "stream", "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", "O(1) for each single item to delete in the stream, regardless of the stream size.", x::xdel_command),
    cmd("xtrim", -4, WRITE, ACL_STREAM, K1, "stream", "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", x::xtrim_command),
    cmd("xread", -4, READONLY | BLOCKING, ACL_STREAM, NO_KEYS, "stream", "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", x::xread_command),
    cmd("xreadgroup", -7, WRITE | BLOCKING, ACL_STREAM, NO_KEYS, "stream", "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", x::xreadgroup_command),
    cmd("xack", -4, WRITE | FAST, ACL_STREAM, K1, "stream", "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", "O(1) for each message ID processed.", x::xack_command),
    cmd("xpending", -3, READONLY, ACL_STREAM, K1, "stream", "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", x::xpending_command),
    cmd("xclaim", -6, WRITE | FAST, ACL_STREAM, K1, "stream", "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", "O(log N) with N being the number of messages in the PEL of the consumer group.", x::xclaim_command),
    cmd("xautoclaim", -6, WRITE | FAST, ACL_STREAM, K1, "stream", "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", "O(1) if COUNT is small.", x::xautoclaim_command),
    cmd("xsetid", -3, WRITE | DENYOOM | FAST, ACL_STREAM, K1, "stream", "5.0.0", "An internal command for replicating stream values", O1, x::xsetid_command),
    container("xgroup", "stream", "5.0.0", "A container for consumer groups commands", container_alone, &XGROUP_SUBS),
    container("xinfo", "stream", "5.0.0", "A container for stream introspection commands", container_alone, &XINFO_SUBS),
    // Keyspace (db.c, expire.c)
    cmd("del", -2, WRITE, ACL_KEYSPACE, KALL, "generic", "1.0.0", "Delete a key", ON, k::del_command),
    cmd("sort", -2, WRITE | DENYOOM, ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS, K1, "generic", "1.0.0", "Sort the elements in a list, set or sorted set", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", sort::sort_command),
    cmd("sort_ro", -2, READONLY, ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS, K1, "generic", "7.0.0", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", sort::sort_ro_command),
    cmd("unlink", -2, WRITE | FAST, ACL_KEYSPACE, KALL, "generic", "4.0.0", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", ON, k::del_command),
    cmd("exists", -2, READONLY | FAST, ACL_KEYSPACE, KALL, "generic", "1.0.0", "Determine if a key exists", ON, k::exists_command),
    cmd("touch", -2, READONLY | FAST, ACL_KEYSPACE, KALL, "generic", "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified.", ON, k::touch_command),
    cmd("type", 2, READONLY | FAST, ACL_KEYSPACE, K1, "generic", "1.0.0", "Determine the type stored at key", O1, k::type_command),
    cmd("keys", 2, READONLY, ACL_KEYSPACE | ACL_DANGEROUS, NO_KEYS, "generic", "1.0.0", "Find all keys matching the given pattern", "O(N) with N being the number of keys in the database", k::keys_command),
    cmd("scan", -2, READONLY, ACL_KEYSPACE, NO_KEYS, "generic", "2.8.0", "Incrementally iterate the keys space", "O(1) for every call. O(N) for a complete iteration", k::scan_command),
    cmd("randomkey", 1, READONLY, ACL_KEYSPACE, NO_KEYS, "generic", "1.0.0", "Return a random key from the keyspace", O1, k::randomkey_command),
    cmd("rename", 3, WRITE, ACL_KEYSPACE, K12, "generic", "1.0.0", "Rename a key", O1, k::rename_command),
    cmd("renamenx", 3, WRITE | FAST, ACL_KEYSPACE, K12, "generic", "1.0.0", "Rename a key, only if the new key does not exist", O1, k::renamenx_command),
    cmd("move", 3, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "1.0.0", "Move a key to another database", O1, k::move_command),
    cmd("dump", 2, READONLY, ACL_KEYSPACE, K1, "generic", "2.6.0", "Return a serialized version of the value stored at the specified key.", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", dump::dump_command),
    cmd("migrate", -6, WRITE, ACL_KEYSPACE | ACL_DANGEROUS, K3, "generic", "2.6.0", "Atomically transfer a key from a Redis instance to another one.", "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.", migrate::migrate_command),
    cmd("restore", -4, WRITE | DENYOOM, ACL_KEYSPACE | ACL_DANGEROUS, K1, "generic", "2.6.0", "Create a key using the provided serialized value, previously obtained using DUMP.", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", dump::restore_command),
    cmd("copy", -3, WRITE | DENYOOM, ACL_KEYSPACE, K12, "generic", "6.2.0", "Copy a key", "O(N) worst case for collections", k::copy_command),
    cmd("expire", -3, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "1.0.0", "Set a key's time to live in seconds", O1, k::expire_command),
    cmd("pexpire", -3, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "2.6.0", "Set a key's time to live in milliseconds", O1, k::pexpire_command),
    cmd("expireat", -3, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "1.2.0", "Set the expiration for a key as a UNIX timestamp", O1, k::expireat_command),
    cmd("pexpireat", -3, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", O1, k::pexpireat_command),
    cmd("ttl", 2, READONLY | FAST, ACL_KEYSPACE, K1, "generic", "1.0.0", "Get the time to live for a key in seconds", O1, k::ttl_command),
    cmd("pttl", 2, READONLY | FAST, ACL_KEYSPACE, K1, "generic", "2.6.0", "Get the time to live for a key in milliseconds", O1, k::pttl_command),
    cmd("expiretime", 2, READONLY | FAST, ACL_KEYSPACE, K1, "generic", "7.0.0", "Get the expiration Unix timestamp for a key", O1, k::expiretime_command),
    cmd("pexpiretime", 2, READONLY | FAST, ACL_KEYSPACE, K1, "generic", "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds", O1, k::pexpiretime_command),
    cmd("persist", 2, WRITE | FAST, ACL_KEYSPACE, K1, "generic", "2.2.0", "Remove the expiration from a key", O1, k::persist_command),
    container("object", "generic", "2.2.3", "A container for object introspection commands", container_alone, &OBJECT_SUBS),
    cmd("select", 2, LOADING | STALE | FAST, ACL_CONNECTION, NO_KEYS, "connection", "1.0.0", "Change the selected database for the current connection", O1, k::select_command),
    cmd("swapdb", 3, WRITE | FAST, ACL_KEYSPACE | ACL_DANGEROUS, NO_KEYS, "server", "4.0.0", "Swaps two Redis databases", "O(N) where N is the count of clients watching or blocking on keys from both databases.", k::swapdb_command),
    cmd("dbsize", 1, READONLY | FAST, ACL_KEYSPACE, NO_KEYS, "server", "1.0.0", "Return the number of keys in the selected database", O1, k::dbsize_command),
    cmd("flushdb", -1, WRITE, ACL_KEYSPACE | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Remove all keys from the current database", "O(N) where N is the number of keys in the selected database", k::flushdb_command),
    cmd("flushall", -1, WRITE, ACL_KEYSPACE | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Remove all keys from all databases", "O(N) where N is the total number of keys in all databases", k::flushall_command),
    // Connection
    cmd("ping", -1, FAST | SENTINEL, ACL_CONNECTION, NO_KEYS, "connection", "1.0.0", "Ping the server", O1, conn::ping_command),
    cmd("echo", 2, LOADING | STALE | FAST, ACL_CONNECTION, NO_KEYS, "connection", "1.0.0", "Echo the given string", O1, conn::echo_command),
    cmd("quit", -1, ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, ACL_CONNECTION, NO_KEYS, "connection", "1.0.0", "Close the connection", O1, conn::quit_command),
    cmd("reset", 1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, ACL_CONNECTION, NO_KEYS, "connection", "6.2.0", "Reset the connection", O1, conn::reset_command),
    cmd("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY, ACL_CONNECTION, NO_KEYS, "connection", "6.0.0", "Handshake with Redis", O1, conn::hello_command),
    cmd("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY, ACL_CONNECTION, NO_KEYS, "connection", "1.0.0", "Authenticate to the server", "O(N) where N is the number of passwords defined for the user", conn::auth_command),
    container("client", "connection", "2.4.0", "A container for client connection commands", container_alone, &CLIENT_SUBS),
    // Pub/Sub (pubsub.c)
    cmd("subscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.0.0", "Listen for messages published to the given channels", "O(N) where N is the number of channels to subscribe to.", crate::pubsub::subscribe_command),
    cmd("unsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.0.0", "Stop listening for messages posted to the given channels", "O(N) where N is the number of clients already subscribed to a channel.", crate::pubsub::unsubscribe_command),
    cmd("psubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.0.0", "Listen for messages published to channels matching the given patterns", "O(N) where N is the number of patterns the client is already subscribed to.", crate::pubsub::psubscribe_command),
    cmd("punsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "pubsub", "2.0.0", "Stop listening for messages posted to channels matching the given patterns", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", crate::pubsub::punsubscribe_command),
    cmd("publish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL, 0, NO_KEYS, "pubsub", "2.0.0", "Post a message to a channel", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", crate::pubsub::publish_command),
    cmd("ssubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, 0, KALL, "pubsub", "7.0.0", "Listen for messages published to the given shard channels", "O(N) where N is the number of shard channels to subscribe to.", crate::pubsub::ssubscribe_command),
    cmd("sunsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, 0, KALL, "pubsub", "7.0.0", "Stop listening for messages posted to the given shard channels", "O(N) where N is the number of clients already subscribed to a shard channel.", crate::pubsub::sunsubscribe_command),
    cmd("spublish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, 0, K1, "pubsub", "7.0.0", "Post a message to a shard channel", "O(N) where N is the number of clients subscribed to the receiving shard channel.", crate::pubsub::spublish_command),
    container("pubsub", "pubsub", "2.8.0", "A container for Pub/Sub commands", container_alone, &PUBSUB_SUBS),
    // Cluster (cluster.c): this server runs without cluster support, and
    // says so as Redis does with `cluster-enabled no`.
    container("cluster", "cluster", "3.0.0", "A container for cluster commands", container_alone, &CLUSTER_SUBS),
    cmd("readonly", 1, LOADING | STALE | FAST, ACL_CONNECTION, NO_KEYS, "cluster", "3.0.0", "Enables read queries for a connection to a cluster replica node", O1, sv::cluster_disabled_command),
    cmd("readwrite", 1, LOADING | STALE | FAST, ACL_CONNECTION, NO_KEYS, "cluster", "3.0.0", "Disables read queries for a connection to a cluster replica node", O1, sv::cluster_disabled_command),
    cmd("asking", 1, FAST, ACL_CONNECTION, NO_KEYS, "cluster", "3.0.0", "Sent by cluster clients after an -ASK redirect", O1, sv::cluster_disabled_command),
    // Transactions (multi.c)
    cmd("multi", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, ACL_TRANSACTION, NO_KEYS, "transactions", "1.2.0", "Mark the start of a transaction block", O1, crate::multi::multi_command),
    cmd("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, ACL_TRANSACTION, NO_KEYS, "transactions", "1.2.0", "Execute all commands issued after MULTI", "Depends on commands in the transaction", crate::multi::exec_command),
    cmd("discard", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, ACL_TRANSACTION, NO_KEYS, "transactions", "2.0.0", "Discard all commands issued after MULTI", "O(N), when N is the number of queued commands", crate::multi::discard_command),
    cmd("watch", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, ACL_TRANSACTION, KALL, "transactions", "2.2.0", "Watch the given keys to determine execution of the MULTI/EXEC block", "O(1) for every key.", crate::multi::watch_command),
    cmd("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, ACL_TRANSACTION, NO_KEYS, "transactions", "2.2.0", "Forget about all watched keys", O1, crate::multi::unwatch_command),
    // Scripting (eval.c)
    cmd("eval", -3, NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Execute a Lua script server side", "Depends on the script that is executed.", scripting::eval_command),
    cmd("evalsha", -3, NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "2.6.0", "Execute a Lua script server side", "Depends on the script that is executed.", scripting::evalsha_command),
    cmd("eval_ro", -3, NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Execute a read-only Lua script server side", "Depends on the script that is executed.", scripting::eval_ro_command),
    cmd("evalsha_ro", -3, NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Execute a read-only Lua script server side", "Depends on the script that is executed.", scripting::evalsha_ro_command),
    container("script", "scripting", "2.6.0", "A container for Lua scripts management commands", container_alone, &SCRIPT_SUBS),
    cmd("fcall", -3, NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Invoke a function", "Depends on the function that is executed.", functions::fcall_command),
    cmd("fcall_ro", -3, NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY, ACL_SCRIPTING, NO_KEYS, "scripting", "7.0.0", "Invoke a read-only function", "Depends on the function that is executed.", functions::fcall_ro_command),
    container("function", "scripting", "7.0.0", "A container for function commands", container_alone, &FUNCTION_SUBS),
    // Server
    CommandDef { arity: -1, flags: LOADING | STALE, acl: ACL_CONNECTION, complexity: "O(N) where N is the total number of Redis commands", ..container("command", "server", "2.8.13", "Get array of Redis command details", sv::command_command, &COMMAND_SUBS) },
    container("config", "server", "2.0.0", "A container for server configuration commands", container_alone, &CONFIG_SUBS),
    container("memory", "server", "4.0.0", "A container for memory diagnostics commands", container_alone, &MEMORY_SUBS),
    cmd("info", -1, LOADING | STALE | SENTINEL, ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Get information and statistics about the server", O1, info::info_command),
    container("acl", "server", "6.0.0", "A container for Access List Control commands ", container_alone, &ACL_SUBS),
    container("slowlog", "server", "2.2.12", "A container for slow log commands", container_alone, &SLOWLOG_SUBS),
    container("latency", "server", "2.8.13", "A container for latency diagnostics commands", container_alone, &LATENCY_SUBS),
    cmd("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, 0, NO_KEYS, "server", "1.0.0", "Listen for all requests received by the server in real time", "", sv::monitor_command),
    cmd("time", 1, LOADING | STALE | FAST, 0, NO_KEYS, "server", "2.6.0", "Return the current server time", O1, sv::time_command),
    cmd("bgrewriteaof", 1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Asynchronously rewrite the append-only file", O1, sv::bgrewriteaof_command),
    cmd("save", 1, NOSCRIPT | ADMIN | NO_ASYNC_LOADING | NO_MULTI, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Synchronously save the dataset to disk", "O(N) where N is the total number of keys in all databases", sv::save_command),
    cmd("bgsave", -1, NOSCRIPT | ADMIN | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Asynchronously save the dataset to disk", "O(1)", sv::bgsave_command),
    cmd("lastsave", 1, LOADING | STALE | FAST, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Get the UNIX time stamp of the last successful save to disk", O1, sv::lastsave_command),
    cmd("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY, 0, NO_KEYS, "server", "1.0.0", "Synchronously save the dataset to disk and then shut down the server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", sv::shutdown_command),
    // Replication (replication.c)
    cmd("sync", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Internal command used for replication", "", crate::replication::sync_command),
    cmd("psync", -3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "2.8.0", "Internal command used for replication", "", crate::replication::sync_command),
    cmd("replconf", -1, ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "3.0.0", "An internal command for configuring the replication stream", O1, crate::replication::replconf_command),
    cmd("wait", 3, NOSCRIPT, ACL_CONNECTION, NO_KEYS, "generic", "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", O1, crate::replication::wait_command),
    cmd("role", 1, NOSCRIPT | LOADING | STALE | FAST, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "2.8.12", "Return the role of the instance in the context of replication", O1, crate::replication::role_command),
    cmd("replicaof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "5.0.0", "Make the server a replica of another instance, or promote it as master.", O1, crate::replication::replicaof_command),
    cmd("slaveof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, ACL_ADMIN | ACL_DANGEROUS, NO_KEYS, "server", "1.0.0", "Make the server a replica of another instance, or promote it as master.", O1, crate::replication::replicaof_command),
    cmd("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED, 0, NO_KEYS, "server", "1.0.0", "A container for debugging commands", "Depends on subcommand.", sv::debug_command),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn check_rows(rows: &[CommandDef], seen: &mut HashSet<String>, prefix: &str) {
        for c in rows {
            let full = format!("{}{}", prefix, c.name);
            assert_eq!(c.name, c.name.to_lowercase(), "{} not lower-case", c.name);
            assert!(seen.insert(full.clone()), "duplicate {}", full);
            assert!(c.arity != 0, "{} has arity 0", full);
            assert!(
                !(c.flags & WRITE != 0 && c.flags & READONLY != 0),
                "{} is both write and readonly",
                full
            );
            assert!(!c.summary.is_empty() && !c.since.is_empty() && !c.group.is_empty());
            if !c.subcommands.is_empty() {
                check_rows(c.subcommands, seen, &format!("{}|", full));
            }
        }
    }

    #[test]
    fn table_rules() {
        let mut seen = HashSet::new();
        check_rows(TABLE, &mut seen, "");
    }

    #[test]
    fn lookup_and_errors() {
        let t = CommandTable::new(TABLE);
        let argv = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert!(t.lookup(&argv(&["GeT", "x"])).is_ok());
        match t.lookup(&argv(&["foo", "a", "b"])) {
            Err(LookupError::Unknown(m)) => assert_eq!(
                m,
                "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
            ),
            Ok(_) => panic!(),
        }
        match t.lookup(&argv(&["config", "xyz"])) {
            Err(LookupError::Unknown(m)) => {
                assert_eq!(m, "ERR unknown subcommand 'xyz'. Try CONFIG HELP.")
            }
            Ok(_) => panic!(),
        }
        let id = t.lookup(&argv(&["config", "get"])).ok().unwrap();
        assert_eq!(
            t.check_arity(id, 2).unwrap_err(),
            "ERR wrong number of arguments for 'config|get' command"
        );
        let id = t.lookup(&argv(&["mset", "a", "b", "c"])).ok().unwrap();
        assert_eq!(t.key_indexes(id, 5), vec![1, 3]);
    }
}
