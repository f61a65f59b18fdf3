//! The event loop (~ Redis's `ae.c` plus the socket half of
//! `networking.c`: `acceptTcpHandler`, `readQueryFromClient`,
//! `handleClientsWithPendingWrites`, `beforeSleep`).
//!
//! One `mio::Poll` owns the listeners, the signal pipe and every client
//! socket. Each turn of the loop:
//!
//! 1. `before_sleep`: run the fast expire cycle, write pending replies
//!    directly to their sockets (most replies leave here without ever
//!    registering for WRITABLE), register WRITABLE only for sockets that
//!    would block, and free clients marked for closing.
//! 2. `poll` with a timeout that ends at the next cron tick (0 if some
//!    client still has output held back by the per-event write cap).
//! 3. File events: accept on listeners; on a readable client, read until
//!    `WouldBlock` (mio is edge-triggered), running every complete request
//!    after each read; on a writable client, queue it for the write pass.
//! 4. Time events: the server cron at `hz`.
//!
//! Tokens: a client's token is its slab key; listeners and the signal source
//! use tokens from the top of the range. Slab keys are only released in
//! `before_sleep`, after all events of a batch were handled, so a token seen
//! in a batch always refers to the client that was registered with it.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::client::Client;
use crate::expire::{active_expire_cycle, CycleType};
use crate::resp::parser::IOBUF_LEN;
use crate::server::{now_ms, Server};

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
/// The pipe of a diskless replication transfer (`fullsync.rs`).
pub const RDB_PIPE_TOKEN: Token = Token(usize::MAX - 2);
const LISTENER_BASE: usize = usize::MAX - 1024;
/// Per-client write cap per event (NET_MAX_WRITES_PER_EVENT).
const MAX_WRITE_PER_EVENT: usize = 64 * 1024;

pub struct EventLoop {
    poll: Poll,
    signals: Signals,
    /// Scratch vectors reused by `handle_pending_writes`.
    write_batch: Vec<usize>,
    write_again: Vec<usize>,
}

/// Resolve a `bind` entry: `-` prefix means "optional" (skip if
/// unavailable), as in Redis.
fn bind_addrs(binds: &[String], port: u16) -> Vec<(SocketAddr, bool)> {
    let mut v = Vec::new();
    for b in binds {
        let (optional, host) = match b.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, b.as_str()),
        };
        let host = if host == "*" { "0.0.0.0" } else { host };
        let host = if host == "::*" { "::" } else { host };
        let addr = if host.contains(':') {
            format!("[{}]:{}", host, port)
        } else {
            format!("{}:{}", host, port)
        };
        match addr.parse::<SocketAddr>() {
            Ok(a) => v.push((a, optional)),
            Err(_) => {
                // A host name: resolve it.
                use std::net::ToSocketAddrs;
                if let Ok(mut it) = (host, port).to_socket_addrs() {
                    if let Some(a) = it.next() {
                        v.push((a, optional));
                    }
                }
            }
        }
    }
    v
}

impl EventLoop {
    /// Bind every configured address and prepare the poller.
    pub fn new(srv: &mut Server) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        srv.registry = Some(poll.registry().try_clone()?);
        let port = srv.config.port;
        match open_listeners(
            poll.registry(),
            &srv.config.bind,
            port,
            srv.config.tcp_backlog,
        ) {
            Ok(l) => srv.listeners = l,
            Err(e) => {
                log::warn!("Failed listening on port {} (TCP), aborting.", port);
                return Err(e);
            }
        }
        srv.port = port;
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        poll.registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        Ok(EventLoop {
            poll,
            signals,
            write_batch: Vec::new(),
            write_again: Vec::new(),
        })
    }

    /// Run until shutdown. Returns the process exit code.
    pub fn run(&mut self, srv: &mut Server) -> i32 {
        let mut events = Events::with_capacity(1024);
        let mut next_cron = Instant::now();
        // When the last poll that returned events happened.
        let mut last_busy = Instant::now();
        loop {
            self.before_sleep(srv);
            if let Some(code) = srv.exit_code {
                self.shutdown(srv);
                return code;
            }
            let now = Instant::now();
            let mut timeout = if !srv.clients_pending_write.is_empty() {
                Duration::ZERO
            } else {
                next_cron.saturating_duration_since(now)
            };
            // Never sleep past the nearest blocking-command deadline.
            if let Some(d) = crate::blocked::nearest_deadline(srv) {
                let until = Duration::from_millis((d - now_ms()).max(0) as u64);
                timeout = timeout.min(until);
            }
            // Busy polling (`busy-poll-us`, a ferrodis extension; Redis always
            // sleeps). Right after a batch of events the next request is
            // usually microseconds away: polling without a timeout until the
            // window passes keeps this thread off the sleep/wake path. That
            // saves the scheduler round trip here and, mostly, the cost of
            // waking us, which the kernel charges to the *sending* client's
            // write. An idle server still sleeps: the window only opens on
            // activity. The price is up to that many microseconds of CPU per
            // quiet gap under light load.
            // Not while a forked child works: on a small machine it shares
            // our CPU, and every spin both slows it down and costs us the
            // scheduler's preference for a thread that slept.
            let spin = if srv.children.is_active() {
                Duration::ZERO
            } else {
                Duration::from_micros(srv.config.busy_poll_us as u64)
            };
            let spinning = !timeout.is_zero() && now.saturating_duration_since(last_busy) < spin;
            if spinning {
                timeout = Duration::ZERO;
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::warn!("poll failed: {}", e);
                }
                continue;
            }
            if !events.is_empty() {
                last_busy = Instant::now();
            } else if spinning {
                // Nothing yet: let any other runnable thread on this CPU (a
                // client on a one-core machine) go first, so spinning never
                // delays the very request it waits for.
                std::thread::yield_now();
            }
            for ev in events.iter() {
                let tok = ev.token();
                if tok == SIGNAL_TOKEN {
                    self.handle_signals(srv);
                } else if tok == RDB_PIPE_TOKEN {
                    crate::fullsync::pipe_readable(srv);
                } else if tok.0 >= LISTENER_BASE {
                    self.accept(srv, tok.0 - LISTENER_BASE);
                } else {
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        // A close or an error that came with the data must
                        // be seen now: no further edge will report it.
                        let drain = ev.is_read_closed() || ev.is_error();
                        self.read_from_client(srv, tok.0, drain);
                    }
                    if ev.is_writable() && !crate::replication::master_writable(srv, tok.0) {
                        srv.mark_pending_write(tok.0);
                    }
                }
            }
            if Instant::now() >= next_cron {
                srv.cron();
                let period = Duration::from_micros(1_000_000 / srv.hz.max(1) as u64);
                next_cron += period;
                let now = Instant::now();
                if next_cron < now {
                    next_cron = now + period;
                }
            }
        }
    }

    fn handle_signals(&mut self, srv: &mut Server) {
        for sig in self.signals.pending() {
            let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
            if srv.shutdown_asap && sig == SIGINT {
                log::warn!("You insist... exiting now.");
                std::process::exit(1);
            }
            log::warn!(target: crate::server::SIGNAL_HANDLER_LOG, "Received {} scheduling shutdown...", name);
            srv.shutdown_asap = true;
            // Save first when save points are configured (Redis does this
            // in its cron via `prepareForShutdown`); a failed save keeps
            // the server running.
            if crate::commands::server_cmds::prepare_for_shutdown(srv, false, false, false) {
                srv.exit_code = Some(0);
            } else {
                srv.shutdown_asap = false;
                log::warn!("{} received but errors trying to shut down the server, check the logs for more information", name);
            }
        }
    }

    fn accept(&mut self, srv: &mut Server, idx: usize) {
        accept_clients(srv, self.poll.registry(), idx);
    }

    /// Read until the socket would block, running requests after each read
    /// (Redis's `readQueryFromClient` + `processInputBuffer`).
    ///
    /// Edge-triggered readiness is reported once per change, so this must
    /// not stop early while something is still to be seen. A read that
    /// filled less than the space offered emptied the socket buffer, and
    /// data arriving later raises a new event: the extra read that would
    /// only return `WouldBlock` is skipped. But when the event also said
    /// the peer closed (`drain`), the EOF behind that data raises no new
    /// event, so reading goes on until it is seen.
    fn read_from_client(&mut self, srv: &mut Server, cid: usize, drain: bool) {
        loop {
            let c = match srv.clients.get_mut(cid) {
                Some(c) => c,
                None => return,
            };
            if c.flags.close_asap || c.flags.close_after_reply {
                return;
            }
            let sock = match c.sock.as_mut() {
                Some(s) => s,
                None => return,
            };
            let (res, wanted) = if let Some(space) = c.parser.big_arg_space() {
                let wanted = space.len();
                let r = sock.read(space);
                if let Ok(n) = r {
                    c.parser.big_arg_filled(n);
                }
                (r, wanted)
            } else {
                let space = c.qb.spare(IOBUF_LEN);
                let wanted = space.len();
                let r = sock.read(space);
                if let Ok(n) = r {
                    c.qb.commit(n);
                }
                (r, wanted)
            };
            match res {
                Ok(0) => {
                    srv.client_eof(cid);
                    return;
                }
                Ok(n) => {
                    srv.stats.net_input_bytes += n as u64;
                    srv.stats.io_reads_processed += 1;
                    let c = &srv.clients[cid];
                    let limit = srv.config.client_query_buffer_limit as usize;
                    if c.flags.master {
                        crate::replication::master_read(srv, n);
                    } else if Server::query_buf_len(c) > limit {
                        let now = srv.clock_us / 1000;
                        log::warn!(
                            "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
                            c.info_string(now, &srv.commands),
                            crate::config::repr_bytes(&c.qb.pending()[..c.qb.len().min(64)])
                        );
                        srv.stats.client_qbuf_limit_disconnections += 1;
                        srv.close_client_async(cid);
                        return;
                    }
                    srv.process_input(cid);
                    // process_input read the clock: reuse it.
                    let now = srv.clock_us / 1000;
                    if let Some(c) = srv.clients.get_mut(cid) {
                        c.last_interaction_ms = now;
                    }
                    // A short read emptied the socket buffer (see above).
                    if n < wanted && !drain {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::debug!("Reading from client: {}", e);
                    srv.close_client_async(cid);
                    return;
                }
            }
        }
    }

    /// Work done before blocking in poll (Redis's `beforeSleep`).
    fn before_sleep(&mut self, srv: &mut Server) {
        if srv.pause.is_some() {
            let force = std::mem::take(&mut srv.pending_unpause);
            srv.check_unpause(force);
        }
        if srv.active_expire_enabled && !srv.repl.is_replica() {
            active_expire_cycle(srv, CycleType::Fast);
        }
        crate::blocked::handle_timeouts(srv, now_ms());
        crate::replication::before_sleep(srv);
        srv.serve_blocked();
        crate::tracking::broadcast_invalidations(srv);
        // The AOF is written (and with `appendfsync always` fsynced) before
        // any reply of the commands it logs reaches a socket.
        crate::aof::flush(srv, false);
        self.handle_pending_writes(srv);
        self.free_closed_clients(srv);
    }

    /// Write replies directly; register WRITABLE only where the socket would
    /// block (Redis's `handleClientsWithPendingWrites`).
    fn handle_pending_writes(&mut self, srv: &mut Server) {
        // Swap with a reused vector so the steady state allocates nothing.
        let mut pending = std::mem::take(&mut self.write_batch);
        std::mem::swap(&mut pending, &mut srv.clients_pending_write);
        let mut again = std::mem::take(&mut self.write_again);
        // Most recently served first, like Redis's list of pending writes
        // (clients are added at its head).
        for &cid in pending.iter().rev() {
            let c = match srv.clients.get_mut(cid) {
                Some(c) => c,
                None => continue,
            };
            c.flags.pending_write = false;
            if c.flags.close_asap {
                continue;
            }
            // A replica in its sync: the snapshot goes first, its held
            // stream only after (`fullsync.rs`). While a file or pipe chunk
            // is still to be sent, wait for the socket to be writable.
            if c.repl.as_ref().is_some_and(|r| r.holds_output())
                && !crate::fullsync::write_pending(srv, cid)
            {
                use crate::replication::SyncState;
                if let Some(c) = srv.clients.get_mut(cid) {
                    let sending = c.repl.as_ref().is_some_and(|r| {
                        matches!(r.sync, SyncState::SendBulk | SyncState::WaitBgsaveEnd)
                    });
                    if sending && !c.flags.write_registered {
                        if let Some(s) = c.sock.as_mut() {
                            let _ = self.poll.registry().reregister(
                                s,
                                Token(cid),
                                Interest::READABLE | Interest::WRITABLE,
                            );
                        }
                        c.flags.write_registered = true;
                    }
                }
                continue;
            }
            let Some(c) = srv.clients.get_mut(cid) else {
                continue;
            };
            let sock = match c.sock.as_mut() {
                Some(s) => s,
                None => {
                    c.reply.clear();
                    continue;
                }
            };
            match c.reply.write_to(sock, MAX_WRITE_PER_EVENT) {
                Ok(n) => {
                    srv.stats.net_output_bytes += n as u64;
                    if n > 0 {
                        srv.stats.io_writes_processed += 1;
                    }
                }
                Err(e) => {
                    log::debug!("Error writing to client: {}", e);
                    srv.close_client_async(cid);
                    continue;
                }
            }
            let c = &mut srv.clients[cid];
            if c.flags.peer_closed {
                // This pass wrote what the socket took; nothing waits for
                // a peer that hung up to read the rest (see `client_eof`).
                srv.close_client_async(cid);
            } else if c.reply.is_empty() {
                if c.flags.write_registered {
                    if let Some(s) = c.sock.as_mut() {
                        let _ = self
                            .poll
                            .registry()
                            .reregister(s, Token(cid), Interest::READABLE);
                    }
                    c.flags.write_registered = false;
                }
                if c.flags.close_after_reply {
                    srv.close_client_async(cid);
                }
            } else if !c.flags.write_registered {
                // Would block (or hit the cap): wait for WRITABLE.
                if let Some(s) = c.sock.as_mut() {
                    let _ = self.poll.registry().reregister(
                        s,
                        Token(cid),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
                c.flags.write_registered = true;
                again.push(cid);
            } else {
                again.push(cid);
            }
        }
        // Clients that still have output: retry on the next writable event
        // or, if they stopped at the cap, on the next loop turn.
        for &cid in &again {
            if let Some(c) = srv.clients.get_mut(cid) {
                c.flags.pending_write = true;
                srv.clients_pending_write.push(cid);
            }
        }
        again.clear();
        pending.clear();
        self.write_again = again;
        self.write_batch = pending;
    }

    fn free_closed_clients(&mut self, srv: &mut Server) {
        let list = std::mem::take(&mut srv.clients_to_close);
        for cid in list {
            if let Some(mut c) = srv.remove_client(cid) {
                if let Some(mut s) = c.sock.take() {
                    let _ = self.poll.registry().deregister(&mut s);
                }
            }
        }
    }

    /// Close everything and log, as Redis's `prepareForShutdown`.
    fn shutdown(&mut self, srv: &mut Server) {
        // Flush what we can to clients (e.g. the last replies), then close.
        self.handle_pending_writes(srv);
        let ids: Vec<usize> = srv.clients.iter().map(|(k, _)| k).collect();
        for cid in ids {
            srv.close_client_async(cid);
        }
        self.free_closed_clients(srv);
        for l in srv.listeners.iter_mut() {
            let _ = self.poll.registry().deregister(l);
        }
        srv.listeners.clear();
        log::warn!("Redis is now ready to exit, bye bye...");
    }
}

/// Bind one listener per `bind` address on `port` and register them with
/// listener tokens. All or nothing: on error, nothing stays bound.
fn open_listeners(
    registry: &mio::Registry,
    binds: &[String],
    port: u16,
    backlog: u32,
) -> io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    if port == 0 {
        return Ok(listeners);
    }
    for (addr, optional) in bind_addrs(binds, port) {
        match bind_listener(addr, backlog as i32) {
            Ok(mut l) => {
                registry.register(
                    &mut l,
                    Token(LISTENER_BASE + listeners.len()),
                    Interest::READABLE,
                )?;
                listeners.push(l);
            }
            Err(e) if optional && is_unavailable(&e) => {
                log::debug!("Skipping optional bind address {}: {}", addr, e);
            }
            Err(e) => {
                log::warn!(
                    "Warning: Could not create server TCP listening socket {}: {}",
                    addr,
                    e
                );
                for mut l in listeners {
                    let _ = registry.deregister(&mut l);
                }
                return Err(e);
            }
        }
    }
    Ok(listeners)
}

/// CONFIG SET port/bind: listen on the new addresses, then close the old
/// listeners (Redis's `changeListenPort` / `changeBindAddr`). On failure
/// the old listeners stay in place.
pub fn rebind_listeners(
    srv: &mut Server,
    old_binds: &[String],
    old_port: u16,
) -> Result<(), String> {
    if srv.config.bind == old_binds && srv.config.port == old_port {
        return Ok(());
    }
    let registry = match &srv.registry {
        Some(r) => r,
        None => return Ok(()),
    };
    // Close the old sockets first so the same addresses can be bound again
    // (e.g. a port change on the same interfaces); if the new ones fail,
    // listen on the old addresses again.
    for mut l in std::mem::take(&mut srv.listeners) {
        let _ = registry.deregister(&mut l);
    }
    let backlog = srv.config.tcp_backlog;
    match open_listeners(registry, &srv.config.bind, srv.config.port, backlog) {
        Ok(new) => {
            srv.listeners = new;
            srv.port = srv.config.port;
            Ok(())
        }
        Err(e) => {
            match open_listeners(registry, old_binds, old_port, backlog) {
                Ok(l) => srv.listeners = l,
                Err(e2) => log::warn!("Failed to restore the previous listeners: {}", e2),
            }
            Err(e.to_string())
        }
    }
}

/// A non-blocking listening socket on `addr` (Redis's `anetTcpServer`):
/// SO_REUSEADDR, IPv6 sockets limited to IPv6 (so `bind * ::*` can hold
/// both families on one port), and `tcp-backlog` as the listen queue.
/// std's `TcpListener::bind` would fix the queue at 128: under a connect
/// storm the kernel then drops SYNs, and each dropped one costs its client
/// a one-second retransmission.
fn bind_listener(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    use std::os::fd::{FromRawFd, OwnedFd};
    fn check(r: libc::c_int) -> io::Result<libc::c_int> {
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }
    let family = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket() takes no pointers; a valid descriptor it returns is
    // owned by `fd` from here on, which closes it on every error path.
    let fd = unsafe { OwnedFd::from_raw_fd(check(libc::socket(family, flags, 0))?) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    let setopt = |level, name| {
        let yes: libc::c_int = 1;
        // SAFETY: the option value points at a live c_int of the given size.
        check(unsafe {
            libc::setsockopt(
                raw,
                level,
                name,
                &yes as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
    };
    setopt(libc::SOL_SOCKET, libc::SO_REUSEADDR)?;
    // SAFETY (both arms): the sockaddr is a zero-initialised plain C struct
    // filled from `addr`, passed with its exact size.
    match addr {
        SocketAddr::V4(a) => {
            let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_port = a.port().to_be();
            sa.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            check(unsafe {
                libc::bind(
                    raw,
                    &sa as *const libc::sockaddr_in as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            })?;
        }
        SocketAddr::V6(a) => {
            setopt(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)?;
            let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sa.sin6_port = a.port().to_be();
            sa.sin6_addr.s6_addr = a.ip().octets();
            sa.sin6_scope_id = a.scope_id();
            check(unsafe {
                libc::bind(
                    raw,
                    &sa as *const libc::sockaddr_in6 as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            })?;
        }
    }
    // SAFETY: no pointers; `raw` is the socket bound above.
    check(unsafe { libc::listen(raw, backlog) })?;
    Ok(TcpListener::from_std(std::net::TcpListener::from(fd)))
}

/// Warn when the kernel caps the listen queue below `tcp-backlog` (Redis's
/// `checkTcpBacklogSettings`, same text).
pub fn check_tcp_backlog(backlog: u32) {
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
        return;
    };
    let somaxconn: i64 = text.trim().parse().unwrap_or(0);
    if somaxconn > 0 && somaxconn < backlog as i64 {
        log::warn!(
            "WARNING: The TCP backlog setting of {} cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of {}.",
            backlog,
            somaxconn
        );
    }
}

fn is_unavailable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::Unsupported
    ) || e.raw_os_error() == Some(97) // EAFNOSUPPORT
        || e.raw_os_error() == Some(99) // EADDRNOTAVAIL
}

const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Serve the network from inside a long-running script (Redis's
/// `processEventsWhileBlocked`, called from the Lua hook once the script
/// passed `busy-reply-threshold`).
///
/// The poller belongs to the loop that is, at this moment, deep in the
/// call stack running the script, so this pass does not poll: it tries a
/// non-blocking read on every client socket (until `WouldBlock`, which is
/// all edge-triggered readiness requires; the events the poller queues
/// meanwhile later turn into harmless empty reads), runs what arrived
/// through the normal `process_input` — where `process_command` answers
/// `-BUSY` to everything not flagged `allow-busy` — and writes replies
/// directly. The client running the script is protected: it is never read
/// from here, so its pipelined commands wait for the script to end.
/// New connections are accepted and served the same way.
pub fn serve_while_blocked(srv: &mut Server) {
    if let Some(registry) = srv.registry.take() {
        for idx in 0..srv.listeners.len() {
            accept_clients(srv, &registry, idx);
        }
        srv.registry = Some(registry);
    }
    let protected = srv.scripting.run.as_ref().map(|r| r.caller);
    let ids: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(cid, c)| {
            c.sock.is_some()
                && Some(*cid) != protected
                && !c.flags.master
                && !c.flags.close_asap
                && !c.flags.close_after_reply
        })
        .map(|(k, _)| k)
        .collect();
    for cid in ids {
        let mut got = false;
        while let Some(c) = srv.clients.get_mut(cid) {
            // A huge argument in flight keeps its own buffer: leave it to
            // the main loop.
            if c.parser.big_arg_space().is_some() {
                break;
            }
            let sock = match c.sock.as_mut() {
                Some(s) => s,
                None => break,
            };
            let space = c.qb.spare(IOBUF_LEN);
            match sock.read(space) {
                Ok(0) => {
                    srv.close_client_async(cid);
                    break;
                }
                Ok(n) => {
                    c.qb.commit(n);
                    srv.stats.net_input_bytes += n as u64;
                    srv.stats.io_reads_processed += 1;
                    got = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    srv.close_client_async(cid);
                    break;
                }
            }
        }
        if got {
            srv.process_input(cid);
        }
    }
    // Write what is ready; what would block stays queued for the main loop.
    let pending = std::mem::take(&mut srv.clients_pending_write);
    for cid in pending {
        let c = match srv.clients.get_mut(cid) {
            Some(c) => c,
            None => continue,
        };
        if let (Some(sock), false) = (c.sock.as_mut(), c.flags.close_asap) {
            match c.reply.write_to(sock, usize::MAX) {
                Ok(n) => srv.stats.net_output_bytes += n as u64,
                Err(_) => {
                    srv.close_client_async(cid);
                    continue;
                }
            }
        }
        let c = &mut srv.clients[cid];
        if c.reply.is_empty() && !c.flags.write_registered {
            c.flags.pending_write = false;
        } else {
            srv.clients_pending_write.push(cid);
        }
    }
}

/// Accept every pending connection on listener `idx` and register it
/// (Redis's `acceptTcpHandler`).
fn accept_clients(srv: &mut Server, registry: &mio::Registry, idx: usize) {
    loop {
        let accepted = match srv.listeners.get(idx) {
            Some(l) => l.accept(),
            None => return,
        };
        let (sock, _addr) = match accepted {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::warn!("Accepting client connection: {}", e);
                return;
            }
        };
        let _ = sock.set_nodelay(true);
        let now = now_ms();
        let client = Client::new(0, Some(sock), now);
        if srv.clients.len() - usize::from(srv.scripting.client.is_some())
            >= srv.config.maxclients as usize
        {
            srv.stats.rejected_conn += 1;
            if let Some(mut s) = client.sock {
                use std::io::Write;
                let _ = s.write(b"-ERR max number of clients reached\r\n");
            }
            continue;
        }
        if srv.config.protected_mode && !client.flags.local && srv.config.requirepass.is_none() {
            if let Some(mut s) = client.sock {
                use std::io::Write;
                let _ = s.write(PROTECTED_MODE_ERROR.as_bytes());
            }
            srv.stats.rejected_conn += 1;
            continue;
        }
        log::debug!("Accepted {}", client.addr);
        let cid = srv.add_client(client);
        if let Some(c) = srv.clients.get_mut(cid) {
            // clientSetDefaultAuth: authenticated when the default user
            // needs no password.
            c.flags.authenticated = !srv.acl.default_needs_auth();
            if let Some(s) = c.sock.as_mut() {
                if let Err(e) = registry.register(s, Token(cid), Interest::READABLE) {
                    log::warn!("register client: {}", e);
                    srv.close_client_async(cid);
                }
            }
        }
    }
}
