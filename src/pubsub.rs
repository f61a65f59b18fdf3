//! Publish/subscribe and keyspace notifications (~ Redis's `pubsub.c` and
//! `notify.c`).
//!
//! # State
//! The server maps each channel to its subscribers in subscription order
//! (`pubsub_channels`, and `pubsubshard_channels` for SSUBSCRIBE); patterns
//! keep a list of (pattern, subscribers). Each client mirrors its own
//! subscriptions so UNSUBSCRIBE without arguments, CLIENT LIST and client
//! teardown need no server-wide scan.
//!
//! # Delivery
//! PUBLISH appends the message straight into every subscriber's reply
//! buffer (a RESP2 array, or a RESP3 push) and queues it for the write pass.
//! A subscriber that stops reading grows its buffer until the
//! `client-output-buffer-limit pubsub` hard limit (or the soft limit for
//! longer than its seconds) disconnects it, so one slow consumer cannot
//! exhaust memory (`Server::check_output_limits`).
//!
//! While a command runs, the calling client's reply buffer lives in its
//! `Ctx`; messages for the caller itself are written there, so they appear
//! before the command's own reply, as in Redis.
//!
//! # RESP2 subscriber mode
//! A RESP2 client with subscriptions may only run (P|S)SUBSCRIBE,
//! (P|S)UNSUBSCRIBE, PING, QUIT and RESET (checked in `process_command`);
//! RESP3 clients receive pushes and may run anything.
//!
//! # Keyspace notifications
//! `notify_keyspace_event` turns a key event into PUBLISHes on
//! `__keyspace@<db>__:<key>` (payload: the event) and
//! `__keyevent@<db>__:<event>` (payload: the key), filtered by the classes
//! of `notify-keyspace-events`.

use crate::commands::reply_help;
use crate::config;
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::glob::string_match;

/// Which family of subscription.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Shard,
}

impl Kind {
    fn subscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsubscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// Subscriptions counted in subscribe replies: channels + patterns for the
/// classic family, shard channels for the sharded one.
fn sub_count(srv: &Server, cid: usize, kind: Kind) -> i64 {
    let c = &srv.clients[cid];
    match kind {
        Kind::Channel => (c.sub_channels.len() + c.sub_patterns.len()) as i64,
        Kind::Shard => c.sub_shard.len() as i64,
    }
}

/// Write a 3-element subscription notice (`subscribe`/`unsubscribe`...).
fn notice(out: &mut ReplyBuf, kind_msg: &[u8], name: Option<&[u8]>, count: i64) {
    out.begin_push();
    out.push_len(3);
    out.bulk(kind_msg);
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count);
    out.end_push();
}

fn subscribe_one(srv: &mut Server, cid: usize, ch: &[u8], kind: Kind) {
    let c = &mut srv.clients[cid];
    let list = match kind {
        Kind::Channel => &mut c.sub_channels,
        Kind::Shard => &mut c.sub_shard,
    };
    if !list.iter().any(|x| x == ch) {
        list.push(ch.to_vec());
        let map = match kind {
            Kind::Channel => &mut srv.pubsub_channels,
            Kind::Shard => &mut srv.pubsubshard_channels,
        };
        map.entry(ch.to_vec()).or_default().push(cid);
    }
}

/// Remove one channel subscription; true if the client had it.
fn unsubscribe_one(srv: &mut Server, cid: usize, ch: &[u8], kind: Kind) -> bool {
    let c = match srv.clients.get_mut(cid) {
        Some(c) => c,
        None => return false,
    };
    let list = match kind {
        Kind::Channel => &mut c.sub_channels,
        Kind::Shard => &mut c.sub_shard,
    };
    let pos = match list.iter().position(|x| x == ch) {
        Some(p) => p,
        None => return false,
    };
    list.remove(pos);
    let map = match kind {
        Kind::Channel => &mut srv.pubsub_channels,
        Kind::Shard => &mut srv.pubsubshard_channels,
    };
    if let Some(subs) = map.get_mut(ch) {
        subs.retain(|&x| x != cid);
        if subs.is_empty() {
            map.remove(ch);
        }
    }
    true
}

fn subscribe_pattern(srv: &mut Server, cid: usize, pat: &[u8]) {
    let c = &mut srv.clients[cid];
    if c.sub_patterns.iter().any(|x| x == pat) {
        return;
    }
    c.sub_patterns.push(pat.to_vec());
    match srv.pubsub_patterns.iter_mut().find(|(p, _)| p == pat) {
        Some((_, subs)) => subs.push(cid),
        None => srv.pubsub_patterns.push((pat.to_vec(), vec![cid])),
    }
}

fn unsubscribe_pattern(srv: &mut Server, cid: usize, pat: &[u8]) -> bool {
    let c = match srv.clients.get_mut(cid) {
        Some(c) => c,
        None => return false,
    };
    let pos = match c.sub_patterns.iter().position(|x| x == pat) {
        Some(p) => p,
        None => return false,
    };
    c.sub_patterns.remove(pos);
    if let Some(i) = srv.pubsub_patterns.iter().position(|(p, _)| p == pat) {
        srv.pubsub_patterns[i].1.retain(|&x| x != cid);
        if srv.pubsub_patterns[i].1.is_empty() {
            srv.pubsub_patterns.remove(i);
        }
    }
    true
}

/// Drop every subscription of a client without notices (client teardown,
/// RESET).
pub fn unsubscribe_all_silently(srv: &mut Server, cid: usize) {
    let (chans, pats, shard) = match srv.clients.get_mut(cid) {
        Some(c) => (
            c.sub_channels.clone(),
            c.sub_patterns.clone(),
            c.sub_shard.clone(),
        ),
        None => return,
    };
    for ch in chans {
        unsubscribe_one(srv, cid, &ch, Kind::Channel);
    }
    for p in pats {
        unsubscribe_pattern(srv, cid, &p);
    }
    for ch in shard {
        unsubscribe_one(srv, cid, &ch, Kind::Shard);
    }
}

/// Append a message to receiver `cid` (the caller's buffer if it is the
/// client running the current command).
/// The client running the current command and its reply buffer (which is
/// out of the client while the command runs).
pub type Current<'a> = Option<(usize, &'a mut ReplyBuf)>;

fn deliver(srv: &mut Server, cur: &mut Current, cid: usize, parts: &[&[u8]]) {
    let write = |out: &mut ReplyBuf| {
        out.begin_push();
        out.push_len(parts.len());
        for p in parts {
            out.bulk(p);
        }
        out.end_push();
    };
    match cur {
        Some((me, out)) if *me == cid => write(out),
        _ => {
            if let Some(c) = srv.clients.get_mut(cid) {
                c.reply.resp = c.resp;
                write(&mut c.reply);
                srv.mark_pending_write(cid);
                srv.check_output_limits(cid);
            }
        }
    }
}

/// PUBLISH to a channel: returns the number of receivers.
pub fn publish(srv: &mut Server, mut cur: Current, ch: &[u8], msg: &[u8], shard: bool) -> i64 {
    let mut receivers = 0;
    let map = if shard {
        &srv.pubsubshard_channels
    } else {
        &srv.pubsub_channels
    };
    let subs: Vec<usize> = map.get(ch).cloned().unwrap_or_default();
    let kind: &[u8] = if shard { b"smessage" } else { b"message" };
    for cid in subs {
        deliver(srv, &mut cur, cid, &[kind, ch, msg]);
        receivers += 1;
    }
    if shard {
        return receivers;
    }
    let matching: Vec<(Vec<u8>, Vec<usize>)> = srv
        .pubsub_patterns
        .iter()
        .filter(|(p, _)| string_match(p, ch, false))
        .cloned()
        .collect();
    for (pat, subs) in matching {
        for cid in subs {
            deliver(srv, &mut cur, cid, &[b"pmessage", &pat, ch, msg]);
            receivers += 1;
        }
    }
    receivers
}

/// Redis's `notifyKeyspaceEvent`.
pub fn notify_keyspace_event(
    srv: &mut Server,
    cur: Current,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
) {
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return;
    }
    let mut cur = cur;
    if flags & config::NOTIFY_KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{}__:", db).into_bytes();
        ch.extend_from_slice(key);
        let again = cur.as_mut().map(|(c, o)| (*c, &mut **o));
        publish(srv, again, &ch, event.as_bytes(), false);
    }
    if flags & config::NOTIFY_KEYEVENT != 0 {
        let ch = format!("__keyevent@{}__:{}", db, event).into_bytes();
        publish(srv, cur, &ch, key, false);
    }
}

fn subscribe_generic(srv: &mut Server, ctx: &mut Ctx, kind: Kind) {
    for i in 1..ctx.argc() {
        let ch = ctx.arg(i).to_vec();
        subscribe_one(srv, ctx.cid, &ch, kind);
        let n = sub_count(srv, ctx.cid, kind);
        notice(&mut ctx.out, kind.subscribe_msg(), Some(&ch), n);
    }
}

fn unsubscribe_generic(srv: &mut Server, ctx: &mut Ctx, kind: Kind) {
    let chans: Vec<Vec<u8>> = if ctx.argc() == 1 {
        let c = &srv.clients[ctx.cid];
        match kind {
            Kind::Channel => c.sub_channels.clone(),
            Kind::Shard => c.sub_shard.clone(),
        }
    } else {
        ctx.argv[1..].to_vec()
    };
    if chans.is_empty() {
        let n = sub_count(srv, ctx.cid, kind);
        notice(&mut ctx.out, kind.unsubscribe_msg(), None, n);
        return;
    }
    for ch in chans {
        unsubscribe_one(srv, ctx.cid, &ch, kind);
        let n = sub_count(srv, ctx.cid, kind);
        notice(&mut ctx.out, kind.unsubscribe_msg(), Some(&ch), n);
    }
}

/// SUBSCRIBE channel [channel ...]
pub fn subscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    subscribe_generic(srv, ctx, Kind::Channel);
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub fn ssubscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    subscribe_generic(srv, ctx, Kind::Shard);
}

/// UNSUBSCRIBE [channel ...]
pub fn unsubscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    unsubscribe_generic(srv, ctx, Kind::Channel);
}

/// SUNSUBSCRIBE [shardchannel ...]
pub fn sunsubscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    unsubscribe_generic(srv, ctx, Kind::Shard);
}

/// PSUBSCRIBE pattern [pattern ...]
pub fn psubscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    for i in 1..ctx.argc() {
        let p = ctx.arg(i).to_vec();
        subscribe_pattern(srv, ctx.cid, &p);
        let n = sub_count(srv, ctx.cid, Kind::Channel);
        notice(&mut ctx.out, b"psubscribe", Some(&p), n);
    }
}

/// PUNSUBSCRIBE [pattern ...]
pub fn punsubscribe_command(srv: &mut Server, ctx: &mut Ctx) {
    let pats: Vec<Vec<u8>> = if ctx.argc() == 1 {
        srv.clients[ctx.cid].sub_patterns.clone()
    } else {
        ctx.argv[1..].to_vec()
    };
    if pats.is_empty() {
        let n = sub_count(srv, ctx.cid, Kind::Channel);
        notice(&mut ctx.out, b"punsubscribe", None, n);
        return;
    }
    for p in pats {
        unsubscribe_pattern(srv, ctx.cid, &p);
        let n = sub_count(srv, ctx.cid, Kind::Channel);
        notice(&mut ctx.out, b"punsubscribe", Some(&p), n);
    }
}

/// PUBLISH channel message
pub fn publish_command(srv: &mut Server, ctx: &mut Ctx) {
    let ch = ctx.arg(1).to_vec();
    let msg = ctx.arg(2).to_vec();
    let n = publish(srv, Some((ctx.cid, &mut ctx.out)), &ch, &msg, false);
    // Propagated to replicas even though the dataset did not change.
    ctx.force_propagate = true;
    ctx.out.int(n);
}

/// SPUBLISH shardchannel message
pub fn spublish_command(srv: &mut Server, ctx: &mut Ctx) {
    let ch = ctx.arg(1).to_vec();
    let msg = ctx.arg(2).to_vec();
    let n = publish(srv, Some((ctx.cid, &mut ctx.out)), &ch, &msg, true);
    ctx.force_propagate = true;
    ctx.out.int(n);
}

fn channel_list(ctx: &mut Ctx, names: Vec<&Vec<u8>>, pat: Option<&[u8]>) {
    let names: Vec<&Vec<u8>> = names
        .into_iter()
        .filter(|n| pat.is_none_or(|p| string_match(p, n, false)))
        .collect();
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(n);
    }
}

/// PUBSUB CHANNELS [pattern]
pub fn pubsub_channels_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        return subcommand_syntax_error(ctx, "PUBSUB");
    }
    let pat = (ctx.argc() == 3).then(|| ctx.arg(2).to_vec());
    let names: Vec<&Vec<u8>> = srv.pubsub_channels.keys().collect();
    channel_list(ctx, names, pat.as_deref());
}

/// PUBSUB SHARDCHANNELS [pattern]
pub fn pubsub_shardchannels_command(srv: &mut Server, ctx: &mut Ctx) {
    if ctx.argc() > 3 {
        return subcommand_syntax_error(ctx, "PUBSUB");
    }
    let pat = (ctx.argc() == 3).then(|| ctx.arg(2).to_vec());
    let names: Vec<&Vec<u8>> = srv.pubsubshard_channels.keys().collect();
    channel_list(ctx, names, pat.as_deref());
}

fn numsub(srv: &Server, ctx: &mut Ctx, shard: bool) {
    let map = if shard {
        &srv.pubsubshard_channels
    } else {
        &srv.pubsub_channels
    };
    ctx.out.array_len((ctx.argc() - 2) * 2);
    for i in 2..ctx.argc() {
        let n = map.get(ctx.arg(i)).map_or(0, |v| v.len());
        let name = ctx.arg(i).to_vec();
        ctx.out.bulk(&name);
        ctx.out.int(n as i64);
    }
}

/// PUBSUB NUMSUB [channel ...]
pub fn pubsub_numsub_command(srv: &mut Server, ctx: &mut Ctx) {
    numsub(srv, ctx, false);
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
pub fn pubsub_shardnumsub_command(srv: &mut Server, ctx: &mut Ctx) {
    numsub(srv, ctx, true);
}

/// PUBSUB NUMPAT
pub fn pubsub_numpat_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.int(srv.pubsub_patterns.len() as i64);
}

/// PUBSUB HELP
pub fn pubsub_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    reply_help(
        ctx,
        &[
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help.",
        ],
    );
}

/// Redis's `addReplySubcommandSyntaxError`: names the subcommand as the
/// client typed it.
pub fn subcommand_syntax_error(ctx: &mut Ctx, container: &str) {
    let sub: String = String::from_utf8_lossy(ctx.arg(1))
        .chars()
        .take(128)
        .collect();
    ctx.out.error(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        sub, container
    ));
}

/// Is this command allowed for a RESP2 client in subscriber mode?
pub fn allowed_in_resp2_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}
