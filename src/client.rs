//! One connection's state (~ `client` in Redis's `server.h`, managed by
//! `networking.c`).
//!
//! A client owns its socket, its unparsed input ([`QueryBuf`] plus the
//! incremental [`RequestParser`]) and its pending output ([`ReplyBuf`]).
//! The event loop moves bytes between the socket and these buffers; `call()`
//! in the server turns parsed requests into replies. Handlers never see the
//! socket.
//!
//! Invariants:
//! - `close_asap` clients are never read from or executed again; they are
//!   reaped in `before_sleep`, so a slab slot (and its mio token) is never
//!   reused inside one batch of events.
//! - `close_after_reply` clients execute nothing more, flush their pending
//!   replies, then close (protocol errors, QUIT).

use mio::net::TcpStream;

use crate::resp::parser::{QueryBuf, RequestParser};
use crate::resp::reply::ReplyBuf;

#[derive(Debug, Default, Clone, Copy)]
pub struct ClientFlags {
    /// Close once the pending output is written (CLIENT_CLOSE_AFTER_REPLY).
    pub close_after_reply: bool,
    /// Close at the next `before_sleep` without writing (CLIENT_CLOSE_ASAP).
    pub close_asap: bool,
    /// The peer closed its side (read returned EOF). Such a client runs
    /// nothing more; the replies of what it sent before are written once,
    /// as far as the socket takes them without blocking, and it is freed in
    /// the same `before_sleep` (Redis writes them in `beforeSleep` and frees
    /// the client at the next read, which returns 0).
    pub peer_closed: bool,
    /// Queued in the server's pending-write list.
    pub pending_write: bool,
    /// Registered for WRITABLE with the poller.
    pub write_registered: bool,
    /// Authenticated (always true when no password is configured).
    pub authenticated: bool,
    /// Connected over loopback (for protected mode and `local` options).
    pub local: bool,
    /// A WATCHed key changed: the next EXEC fails (CLIENT_DIRTY_CAS).
    pub dirty_cas: bool,
    /// The connection-less client scripts run their commands with
    /// (CLIENT_SCRIPT); hidden from CLIENT LIST and client counts.
    pub script: bool,
    /// A replica attached with SYNC/PSYNC (CLIENT_SLAVE).
    pub replica: bool,
    /// Our connection to our master (CLIENT_MASTER).
    pub master: bool,
}

pub struct Client {
    /// Unique, monotonically increasing id (CLIENT ID).
    pub id: u64,
    pub sock: Option<TcpStream>,
    /// Peer address `ip:port`.
    pub addr: String,
    /// Local address `ip:port`.
    pub laddr: String,
    pub fd: i32,
    pub name: Option<Vec<u8>>,
    /// The ACL user this connection runs as (`default` until AUTH; empty
    /// for the master link and the AOF loader, which ACLs never restrict).
    pub user: Vec<u8>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// Selected database index.
    pub db: usize,
    /// Protocol version (2 or 3), switched by HELLO.
    pub resp: u8,
    pub qb: QueryBuf,
    pub parser: RequestParser,
    pub reply: ReplyBuf,
    pub flags: ClientFlags,
    /// Creation and last-interaction times, ms since the epoch.
    pub ctime_ms: i64,
    pub last_interaction_ms: i64,
    /// Table id of the last command executed (`cmd=` in CLIENT LIST).
    pub last_cmd: Option<crate::commands::table::CmdId>,
    /// Bytes of argument data of the command being executed (`argv-mem`).
    pub argv_mem: usize,
    /// A parsed command held back by CLIENT PAUSE.
    pub held: Option<Vec<Vec<u8>>>,
    /// CLIENT REPLY state.
    pub reply_mode: ReplyMode,
    /// MULTI state: the queued commands (None outside MULTI).
    pub multi: Option<crate::multi::MultiState>,
    /// Keys this client WATCHes, as (db, key).
    pub watched_keys: Vec<(usize, Box<[u8]>)>,
    /// Pub/sub subscriptions, in subscription order.
    pub sub_channels: Vec<Vec<u8>>,
    pub sub_patterns: Vec<Vec<u8>>,
    pub sub_shard: Vec<Vec<u8>>,
    /// Since when the output buffer has been over the soft limit.
    pub obuf_soft_limit_since_ms: Option<i64>,
    /// CLIENT TRACKING state.
    pub tracking: crate::tracking::ClientTracking,
    /// Parked by a blocking command (BLPOP...).
    pub blocked: Option<crate::blocked::BlockedState>,
    /// The last command name sent and its table id (lookup cache).
    pub last_lookup: Option<(Vec<u8>, crate::commands::table::CmdId)>,
    /// Replication offset right after this client's last propagated write
    /// (what WAIT waits for).
    pub woff: i64,
    /// Replica state (REPLCONF options, acks), for replicas.
    pub repl: Option<Box<crate::replication::ReplicaInfo>>,
}

/// CLIENT REPLY ON|OFF|SKIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: the next command's reply is dropped.
    SkipNext,
    /// The current command's reply is dropped.
    Skip,
}

impl Client {
    pub fn new(id: u64, sock: Option<TcpStream>, now_ms: i64) -> Client {
        let (addr, laddr, local) = match &sock {
            Some(s) => {
                let peer = s.peer_addr().ok();
                let local = peer.map(|p| p.ip().is_loopback()).unwrap_or(false);
                (
                    peer.map(|a| a.to_string()).unwrap_or_default(),
                    s.local_addr().map(|a| a.to_string()).unwrap_or_default(),
                    local,
                )
            }
            None => (String::new(), String::new(), true),
        };
        #[cfg(unix)]
        let fd = {
            use std::os::unix::io::AsRawFd;
            sock.as_ref().map(|s| s.as_raw_fd()).unwrap_or(-1)
        };
        #[cfg(not(unix))]
        let fd = -1;
        Client {
            id,
            sock,
            addr,
            laddr,
            fd,
            name: None,
            user: b"default".to_vec(),
            lib_name: None,
            lib_ver: None,
            db: 0,
            resp: 2,
            qb: QueryBuf::new(),
            parser: RequestParser::new(),
            reply: {
                let mut r = ReplyBuf::new();
                r.start_peak_clock(now_ms);
                r
            },
            flags: ClientFlags {
                local,
                ..ClientFlags::default()
            },
            ctime_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: None,
            argv_mem: 0,
            held: None,
            reply_mode: ReplyMode::On,
            multi: None,
            watched_keys: Vec::new(),
            sub_channels: Vec::new(),
            sub_patterns: Vec::new(),
            sub_shard: Vec::new(),
            obuf_soft_limit_since_ms: None,
            tracking: Default::default(),
            blocked: None,
            last_lookup: None,
            woff: 0,
            repl: None,
        }
    }

    /// Subscribed to any channel, pattern or shard channel (CLIENT_PUBSUB).
    pub fn is_subscribed(&self) -> bool {
        !self.sub_channels.is_empty() || !self.sub_patterns.is_empty() || !self.sub_shard.is_empty()
    }

    /// The client's type for CLIENT LIST/KILL TYPE and output buffer
    /// limits (Redis's `getClientType`).
    pub fn type_name(&self) -> &'static str {
        if self.flags.master {
            "master"
        } else if self.flags.replica {
            "replica"
        } else if self.is_subscribed() {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// Flags letters as CLIENT LIST shows them.
    pub fn flags_string(&self) -> String {
        let mut s = String::new();
        if self.flags.replica {
            s.push('S');
        }
        if self.flags.master {
            s.push('M');
        }
        if self.is_subscribed() {
            s.push('P');
        }
        if self.multi.is_some() {
            s.push('x');
        }
        if self.blocked.is_some() || self.held.is_some() {
            s.push('b');
        }
        if self.tracking.on {
            s.push('t');
        }
        if self.tracking.broken_redir {
            s.push('R');
        }
        if self.tracking.bcast {
            s.push('B');
        }
        if self.flags.dirty_cas {
            s.push('d');
        }
        if self.flags.close_after_reply {
            s.push('c');
        }
        if self.flags.close_asap {
            s.push('A');
        }
        if s.is_empty() {
            s.push('N');
        }
        s
    }

    /// One line of CLIENT LIST / CLIENT INFO (Redis's `catClientInfoString`).
    /// `table` names the last command (`cmd=`).
    pub fn info_string(&self, now_ms: i64, table: &crate::commands::table::CommandTable) -> String {
        let events = if self.flags.write_registered {
            "rw"
        } else {
            "r"
        };
        let omem = self
            .reply
            .memory()
            .saturating_sub(self.reply.buf_size().min(self.reply.memory()));
        let qbuf = self.qb.used();
        let qbuf_free = self.qb.capacity() - self.qb.used();
        let tot_mem = self.qb.capacity() + self.reply.memory() + self.argv_mem + 1024;
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(self.name.as_deref().unwrap_or(b"")),
            (now_ms - self.ctime_ms) / 1000,
            (now_ms - self.last_interaction_ms) / 1000,
            self.flags_string(),
            self.db,
            self.sub_channels.len(),
            self.sub_patterns.len(),
            self.sub_shard.len(),
            self.multi.as_ref().map_or(-1, |m| m.commands.len() as i64),
            qbuf,
            qbuf_free,
            self.argv_mem,
            self.multi.as_ref().map_or(0, |m| m.argv_bytes),
            self.reply.buf_size(),
            self.reply.buf_peak(),
            self.reply.pending().min(self.reply.buf_size()),
            self.reply.list_len(),
            omem,
            tot_mem,
            events,
            self.last_cmd
                .map_or("NULL", |id| table.entries[id].fullname.as_str()),
            if self.user.is_empty() {
                "(superuser)".into()
            } else {
                String::from_utf8_lossy(&self.user)
            },
            if self.tracking.on {
                self.tracking.redirect as i64
            } else {
                -1
            },
            self.resp,
        )
    }
}
