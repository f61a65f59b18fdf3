//! Full resynchronisation of a replica by a forked child (~ the full-sync
//! half of Redis's `replication.c`: `startBgsaveForReplication`,
//! `replicationSetupSlaveForFullResync`, `rdbSaveToSlavesSockets`,
//! `rdbPipeReadHandler`, `updateSlavesWaitingBgsave`, `sendBulkToSlave`).
//!
//! # The states of a replica being synchronised
//! ```text
//!  WaitBgsaveStart --fork--> WaitBgsaveEnd --disk: file written--> SendBulk --> Online
//!                                          \--socket: streamed----> WaitAck ---first ACK--> Online
//! ```
//! - `WaitBgsaveStart`: the replica asked (PSYNC/SYNC) but no child works
//!   for it yet. With diskless sync the start is delayed
//!   `repl-diskless-sync-delay` seconds so more replicas can share one child
//!   (`repl-diskless-sync-max-replicas` of them start it at once); the
//!   replication cron starts it.
//! - At the fork, the replica gets `+FULLRESYNC <replid> <offset>` with the
//!   offset of that instant: the child's snapshot is exactly the dataset at
//!   that offset, and from then on the replica's output buffer collects the
//!   live stream, *held* (nothing of it is written yet).
//! - Disk target: the child writes `dump.rdb` as a BGSAVE does; when it
//!   ends, each waiting replica gets `$<size>\r\n` and the file, streamed
//!   in the write pass as the socket takes it (`SendBulk`), then its held
//!   stream.
//! - Socket target (diskless, Redis 7.0's default, for replicas that said
//!   `capa eof`): the child writes `$EOF:<40 random chars>\r\n`, the image
//!   and the 40 chars again into a pipe; the parent reads the pipe and
//!   writes each chunk to every replica being served, pausing the pipe
//!   while any of them cannot take more. When the child is done, the
//!   replicas wait for their first `REPLCONF ACK` (they are loading the
//!   image) before the held stream flows.
//!
//! The parent never serializes anything: only the fork itself, and the
//! copying of bytes it is handed, happen on the event loop.

use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use crate::replication::SyncState;
use crate::server::Server;

/// Where the running replication snapshot goes (`RDB_CHILD_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdbTarget {
    /// A BGSAVE, or a disk-based sync: `dbfilename`.
    Disk,
    /// Diskless: through a pipe to the replicas' sockets.
    Socket,
}

/// Bytes of the pipe read at a time (PROTO_IOBUF_LEN).
const PIPE_CHUNK: usize = 16 * 1024;

/// The parent's end of a diskless transfer (`rdb_pipe_*`).
#[derive(Debug)]
pub struct RdbPipe {
    read: std::fs::File,
    /// The chunk being delivered, and how much of it each replica took.
    buf: Vec<u8>,
    /// Replicas (slab keys) receiving the transfer, with the bytes of
    /// `buf` each has written.
    conns: Vec<(usize, usize)>,
    /// The child closed its end: everything was read.
    eof: bool,
}

/// A replica's file transfer of a disk-based sync (`repldbfd`,
/// `repldboff`, `repldbsize`, `replpreamble`).
#[derive(Debug)]
pub struct BulkTransfer {
    file: std::fs::File,
    preamble: Vec<u8>,
    sent: u64,
    size: u64,
}

/// A replica that needs a full resynchronisation (`syncCommand` after a
/// refused PSYNC): attach it to a snapshot in progress when possible,
/// otherwise start one or wait for the next (delayed for diskless sync).
pub fn start_or_join(srv: &mut Server, cid: usize) {
    set_state(srv, cid, SyncState::WaitBgsaveStart);
    let eof_capable = replica_capa_eof(srv, cid);
    if srv.children.is(crate::child::ChildKind::Rdb) && srv.rdb_target == RdbTarget::Disk {
        // A disk snapshot runs: good for us only if another replica has
        // been collecting the stream since its fork.
        let donor = srv
            .repl
            .replicas
            .iter()
            .copied()
            .find(|&r| r != cid && state_of(srv, r) == Some(SyncState::WaitBgsaveEnd));
        match donor {
            Some(d) => {
                let held = srv.clients[d].reply.contents();
                let offset = srv.clients[d]
                    .repl
                    .as_ref()
                    .map_or(0, |r| r.psync_initial_offset);
                srv.clients[cid].reply.raw(&held);
                setup_for_full_resync(srv, cid, offset);
                log::info!("Waiting for end of BGSAVE for SYNC");
            }
            None => log::info!(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
            ),
        }
    } else if srv.children.is(crate::child::ChildKind::Rdb) {
        log::info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    } else if srv.config.repl_diskless_sync
        && eof_capable
        && srv.config.repl_diskless_sync_delay > 0
    {
        // The replication cron starts it, so more replicas can join.
        log::info!("Delay next BGSAVE for diskless SYNC");
    } else if srv.children.is_active() {
        log::info!(
            "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed"
        );
    } else {
        start_bgsave_for_replication(srv);
    }
}

fn replica_capa_eof(srv: &Server, cid: usize) -> bool {
    srv.clients
        .get(cid)
        .and_then(|c| c.repl.as_ref())
        .is_some_and(|r| r.capa_eof)
}

fn state_of(srv: &Server, cid: usize) -> Option<SyncState> {
    srv.clients.get(cid)?.repl.as_ref().map(|r| r.sync)
}

fn set_state(srv: &mut Server, cid: usize, state: SyncState) {
    if let Some(r) = srv.clients.get_mut(cid).and_then(|c| c.repl.as_mut()) {
        r.sync = state;
    }
}

/// The replicas waiting for a snapshot to start.
fn waiting_to_start(srv: &Server) -> Vec<usize> {
    srv.repl
        .replicas
        .iter()
        .copied()
        .filter(|&r| state_of(srv, r) == Some(SyncState::WaitBgsaveStart))
        .collect()
}

/// From the replication cron and after a child ended
/// (`replicationStartPendingFork`): start the snapshot replicas wait for,
/// once the diskless delay passed for the longest-waiting one or enough of
/// them are there.
pub fn start_pending(srv: &mut Server) {
    if srv.children.is_active() {
        return;
    }
    let waiting = waiting_to_start(srv);
    if waiting.is_empty() {
        return;
    }
    let now = crate::server::now_ms();
    let max_idle_s = waiting
        .iter()
        .filter_map(|&r| srv.clients.get(r))
        .map(|c| (now - c.last_interaction_ms) / 1000)
        .max()
        .unwrap_or(0);
    let max = srv.config.repl_diskless_sync_max_replicas as usize;
    if !srv.config.repl_diskless_sync
        || (max > 0 && waiting.len() >= max)
        || max_idle_s >= i64::from(srv.config.repl_diskless_sync_delay)
    {
        start_bgsave_for_replication(srv);
    }
}

/// `startBgsaveForReplication`: fork the child for every replica waiting
/// to start. Diskless only when all of them can read an EOF-marked
/// payload.
fn start_bgsave_for_replication(srv: &mut Server) {
    let waiting = waiting_to_start(srv);
    if waiting.is_empty() {
        return;
    }
    let socket = srv.config.repl_diskless_sync && waiting.iter().all(|&r| replica_capa_eof(srv, r));
    log::info!(
        "Starting BGSAVE for SYNC with target: {}",
        if socket { "replicas sockets" } else { "disk" }
    );
    let started = if socket {
        save_to_replica_sockets(srv, &waiting)
    } else {
        srv.rdb_target = RdbTarget::Disk;
        crate::rdb::file::background_save(srv).is_ok()
    };
    if !started {
        log::warn!("BGSAVE for replication failed");
        for r in waiting {
            if let Some(c) = srv.clients.get_mut(r) {
                c.reply.clear();
                c.reply
                    .error("ERR BGSAVE failed, replication can't continue");
                c.flags.close_after_reply = true;
                c.repl = None;
                c.flags.replica = false;
            }
            srv.repl.replicas.retain(|&x| x != r);
            srv.mark_pending_write(r);
        }
        return;
    }
    if !socket {
        let offset = srv.repl.master_repl_offset;
        for r in waiting {
            setup_for_full_resync(srv, r, offset);
        }
    }
}

/// `replicationSetupSlaveForFullResync`: the replica's snapshot is the
/// dataset at `offset`; it is told so (`+FULLRESYNC`, written straight to
/// the socket ahead of anything held), and collects the stream from here.
fn setup_for_full_resync(srv: &mut Server, cid: usize, offset: i64) {
    // The held stream starts with a SELECT.
    srv.repl.slave_seldb = -1;
    let replid = srv.repl.replid.clone();
    let Some(c) = srv.clients.get_mut(cid) else {
        return;
    };
    let Some(r) = c.repl.as_mut() else {
        return;
    };
    r.sync = SyncState::WaitBgsaveEnd;
    r.psync_initial_offset = offset;
    if !r.pre_psync {
        let line = format!("+FULLRESYNC {} {}\r\n", replid, offset);
        let ok = c
            .sock
            .as_mut()
            .is_some_and(|s| matches!(s.write(line.as_bytes()), Ok(n) if n == line.len()));
        if !ok {
            srv.close_client_async(cid);
        }
    }
}

/// `rdbSaveToSlavesSockets`: fork a child that writes the EOF-marked image
/// into a pipe the parent forwards to `replicas`.
fn save_to_replica_sockets(srv: &mut Server, replicas: &[usize]) -> bool {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return false;
    }
    // SAFETY: pipe2 succeeded; both descriptors are owned from here on.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let offset = srv.repl.master_repl_offset;
    for &r in replicas {
        setup_for_full_resync(srv, r, offset);
    }
    let info = crate::rdb::file::save_info(srv);
    srv.rdb_target = RdbTarget::Socket;
    match crate::child::fork(srv, crate::child::ChildKind::Rdb) {
        Ok(crate::child::Forked::Child(mut reporter)) => {
            drop(read_end);
            let mut out = io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(write_end));
            let mark = crate::server::random_hex(40);
            let ok = out
                .write_all(format!("$EOF:{}\r\n", mark).as_bytes())
                .and_then(|()| {
                    crate::rdb::file::save_rio(&mut out, &srv.dbs, &info, &mut |k| {
                        reporter.progress(k)
                    })
                })
                .and_then(|()| out.write_all(mark.as_bytes()))
                .and_then(|()| out.flush())
                .is_ok();
            if ok {
                reporter.finish();
            }
            crate::child::exit_child(if ok { 0 } else { 1 });
        }
        Ok(crate::child::Forked::Parent(pid)) => {
            drop(write_end);
            log::info!("Background RDB transfer started by pid {}", pid);
            let mut read = std::fs::File::from(read_end);
            // SAFETY: a valid descriptor; setting O_NONBLOCK takes no pointers.
            unsafe {
                let fd = std::os::fd::AsRawFd::as_raw_fd(&read);
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
            if let Some(reg) = srv.registry.as_ref() {
                let fd = std::os::fd::AsRawFd::as_raw_fd(&read);
                let _ = reg.register(
                    &mut mio::unix::SourceFd(&fd),
                    crate::event_loop::RDB_PIPE_TOKEN,
                    mio::Interest::READABLE,
                );
            }
            let _ = &mut read;
            srv.repl.rdb_pipe = Some(RdbPipe {
                read,
                buf: Vec::with_capacity(PIPE_CHUNK),
                conns: replicas.iter().map(|&r| (r, 0)).collect(),
                eof: false,
            });
            // Data may already be there: edge-triggered readiness only
            // reports what arrives after registration.
            pipe_readable(srv);
            true
        }
        Err(e) => {
            log::warn!(
                "Can't save in background: fork: {}",
                crate::aof::strerror(&e)
            );
            for &r in replicas {
                // Back to waiting (`+FULLRESYNC` went out, so no retry
                // can fix this connection: close it).
                srv.close_client_async(r);
            }
            false
        }
    }
}

/// A diskless transfer is being forwarded: the child is not collected
/// before the pipe is drained, or a new fork could start too early.
pub fn pipe_active(srv: &Server) -> bool {
    srv.repl.rdb_pipe.is_some()
}

/// The pipe has data, or a replica that was behind caught up
/// (`rdbPipeReadHandler`): deliver chunk after chunk to every replica in
/// the transfer, stopping while any of them has not taken the whole chunk.
pub fn pipe_readable(srv: &mut Server) {
    loop {
        let Some(p) = srv.repl.rdb_pipe.as_mut() else {
            return;
        };
        if p.conns.iter().any(|&(_, sent)| sent < p.buf.len()) {
            return; // a replica is behind: its writable event resumes us
        }
        if p.eof {
            finish_pipe(srv);
            return;
        }
        p.buf.resize(PIPE_CHUNK, 0);
        match p.read.read(&mut p.buf) {
            Ok(0) => {
                p.buf.clear();
                p.eof = true;
                log::info!(
                    "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                    p.conns.len()
                );
                continue;
            }
            Ok(n) => {
                p.buf.truncate(n);
                for c in p.conns.iter_mut() {
                    c.1 = 0;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                p.buf.clear();
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                p.buf.clear();
                return;
            }
            Err(e) => {
                p.buf.clear();
                log::warn!(
                    "Diskless rdb transfer, read error sending DB to replicas: {}",
                    crate::aof::strerror(&e)
                );
                crate::child::kill_child(srv, false);
                abort_pipe(srv);
                return;
            }
        }
        let conns: Vec<usize> = srv
            .repl
            .rdb_pipe
            .as_ref()
            .map_or(Vec::new(), |p| p.conns.iter().map(|c| c.0).collect());
        for cid in conns {
            write_pipe_chunk(srv, cid);
        }
    }
}

/// Write what replica `cid` still owes of the current chunk. Returns
/// whether it took all of it.
fn write_pipe_chunk(srv: &mut Server, cid: usize) -> bool {
    let Some(p) = srv.repl.rdb_pipe.as_mut() else {
        return true;
    };
    let Some(entry) = p.conns.iter_mut().find(|c| c.0 == cid) else {
        return true;
    };
    let Some(sock) = srv.clients.get_mut(cid).and_then(|c| c.sock.as_mut()) else {
        return true;
    };
    while entry.1 < p.buf.len() {
        match sock.write(&p.buf[entry.1..]) {
            Ok(0) => break,
            Ok(n) => {
                entry.1 += n;
                srv.stats.net_output_bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => {
                log::warn!(
                    "Diskless rdb transfer, write error sending DB to replica: {}",
                    crate::aof::strerror(&e)
                );
                entry.1 = p.buf.len();
                srv.close_client_async(cid);
                return true;
            }
        }
    }
    let done = entry.1 >= p.buf.len();
    if !done {
        srv.want_writable(cid);
    }
    done
}

/// Everything was read and delivered: stop watching the pipe. The child
/// is collected by the cron; its handler brings the replicas online.
fn finish_pipe(srv: &mut Server) {
    if let Some(mut p) = srv.repl.rdb_pipe.take() {
        if let Some(reg) = srv.registry.as_ref() {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&p.read);
            let _ = reg.deregister(&mut mio::unix::SourceFd(&fd));
        }
        p.buf.clear();
    }
}

fn abort_pipe(srv: &mut Server) {
    let conns: Vec<usize> = srv
        .repl
        .rdb_pipe
        .as_ref()
        .map_or(Vec::new(), |p| p.conns.iter().map(|c| c.0).collect());
    finish_pipe(srv);
    for cid in conns {
        srv.close_client_async(cid);
    }
}

/// The write pass reached replica `cid` while its sync holds its output.
/// Returns true when the normal output (the held stream) may be written.
pub fn write_pending(srv: &mut Server, cid: usize) -> bool {
    match state_of(srv, cid) {
        Some(SyncState::SendBulk) => send_bulk(srv, cid),
        Some(SyncState::WaitBgsaveEnd) => {
            // A diskless transfer catching up on this replica.
            if srv
                .repl
                .rdb_pipe
                .as_ref()
                .is_some_and(|p| p.conns.iter().any(|c| c.0 == cid))
                && write_pipe_chunk(srv, cid)
            {
                pipe_readable(srv);
            }
            false
        }
        Some(SyncState::WaitBgsaveStart | SyncState::WaitAck) => false,
        _ => true,
    }
}

/// A replica left (`client_freed`): out of the pipe transfer; the last one
/// gone stops the child.
pub fn replica_gone(srv: &mut Server, cid: usize) {
    let Some(p) = srv.repl.rdb_pipe.as_mut() else {
        return;
    };
    p.conns.retain(|c| c.0 != cid);
    if p.conns.is_empty() {
        log::warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
        crate::child::kill_child(srv, false);
        finish_pipe(srv);
    } else {
        pipe_readable(srv);
    }
}

/// A replication snapshot ended (`updateSlavesWaitingBgsave`): disk target,
/// each waiting replica starts receiving the file; socket target, they
/// already have the image and wait for their first ACK. On failure they
/// are disconnected (they retry).
pub fn snapshot_done(srv: &mut Server, ok: bool, target: RdbTarget) {
    let waiting: Vec<usize> = srv
        .repl
        .replicas
        .iter()
        .copied()
        .filter(|&r| state_of(srv, r) == Some(SyncState::WaitBgsaveEnd))
        .collect();
    for cid in waiting {
        if !ok {
            log::warn!("SYNC failed. BGSAVE child returned an error");
            srv.close_client_async(cid);
            continue;
        }
        match target {
            RdbTarget::Socket => {
                let addr = srv
                    .clients
                    .get(cid)
                    .map(|c| c.addr.clone())
                    .unwrap_or_default();
                log::info!(
                    "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming",
                    addr
                );
                set_state(srv, cid, SyncState::WaitAck);
                crate::replication::put_online(srv, cid, false);
            }
            RdbTarget::Disk => {
                let opened = std::fs::File::open(&srv.config.dbfilename)
                    .and_then(|f| f.metadata().map(|m| (f, m.len())));
                match opened {
                    Ok((file, size)) => {
                        if let Some(r) = srv.clients.get_mut(cid).and_then(|c| c.repl.as_mut()) {
                            r.sync = SyncState::SendBulk;
                            r.bulk = Some(Box::new(BulkTransfer {
                                file,
                                preamble: format!("${}\r\n", size).into_bytes(),
                                sent: 0,
                                size,
                            }));
                        }
                        srv.want_writable(cid);
                    }
                    Err(e) => {
                        log::warn!(
                            "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                            crate::aof::strerror(&e)
                        );
                        srv.close_client_async(cid);
                    }
                }
            }
        }
    }
    start_pending(srv);
}

/// Stream the RDB file to a replica as far as its socket takes it
/// (`sendBulkToSlave`). Returns true once it is all sent (the replica is
/// then online and its held stream may follow).
fn send_bulk(srv: &mut Server, cid: usize) -> bool {
    let Some(c) = srv.clients.get_mut(cid) else {
        return false;
    };
    let (Some(sock), Some(r)) = (c.sock.as_mut(), c.repl.as_mut()) else {
        return false;
    };
    let Some(b) = r.bulk.as_mut() else {
        return true;
    };
    let mut chunk = vec![0u8; PIPE_CHUNK];
    loop {
        let (data, from_preamble) = if !b.preamble.is_empty() {
            (b.preamble.clone(), true)
        } else if b.sent < b.size {
            let n = match b.file.read(&mut chunk) {
                Ok(0) => {
                    log::warn!("Premature EOF reading the RDB file to send to the replica");
                    srv.close_client_async(cid);
                    return false;
                }
                Ok(n) => n,
                Err(e) => {
                    log::warn!(
                        "Read error sending DB to replica: {}",
                        crate::aof::strerror(&e)
                    );
                    srv.close_client_async(cid);
                    return false;
                }
            };
            (chunk[..n].to_vec(), false)
        } else {
            break;
        };
        let mut off = 0;
        while off < data.len() {
            match sock.write(&data[off..]) {
                Ok(0) => break,
                Ok(n) => off += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    log::warn!(
                        "Write error sending DB to replica: {}",
                        crate::aof::strerror(&e)
                    );
                    srv.close_client_async(cid);
                    return false;
                }
            }
        }
        srv.stats.net_output_bytes += off as u64;
        if from_preamble {
            b.preamble.drain(..off);
        } else {
            b.sent += off as u64;
            if off < data.len() {
                // Not all taken: read the rest again next time.
                use std::io::Seek;
                let _ = b
                    .file
                    .seek(io::SeekFrom::Current(-((data.len() - off) as i64)));
            }
        }
        if off < data.len() {
            srv.want_writable(cid);
            return false;
        }
    }
    r.bulk = None;
    r.sync = SyncState::Online;
    crate::replication::put_online(srv, cid, true);
    true
}
