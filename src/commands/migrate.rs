//! MIGRATE (~ `migrateCommand` in Redis's `cluster.c`): move keys to
//! another server as DUMP payloads carried by RESTORE.
//!
//! # Format
//! `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
//! [AUTH password | AUTH2 username password] [KEYS key [key ...]]`
//!
//! # Blocking I/O, on purpose
//! MIGRATE is the one command that talks to another server while it runs,
//! and Redis does it synchronously: connect, write, read replies, each
//! bounded by the command's `timeout`, with the event loop stopped. We do
//! the same with a blocking socket, for the same reason: the command's
//! reply and the deletion of the moved keys must happen atomically with
//! respect to every other client, which a single-threaded server gets only
//! by not serving anybody else meanwhile. The cost is the network round
//! trip, paid by the operator who asked for it.
//!
//! Connections are cached per `host:port` (at most 64, closed after 10
//! seconds unused, INFO's `migrate_cached_sockets`), remembering the
//! database last selected on them, so a series of MIGRATEs costs one
//! connect and one SELECT. On an I/O error the cached socket is dropped and
//! the whole exchange retried once on a fresh connection, unless the error
//! was a timeout.
//!
//! Moved keys (unless COPY) are deleted locally and the command propagates
//! as `DEL` of exactly the keys the target acknowledged.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::commands::{arg_eq, SYNTAX_ERR};
use crate::config::NOTIFY_GENERIC;
use crate::rdb::encode;
use crate::server::{now_ms, Ctx, Server};

/// Cached connections (MIGRATE_SOCKET_CACHE_ITEMS, _TTL).
const CACHE_ITEMS: usize = 64;
const CACHE_TTL_MS: i64 = 10_000;

/// One cached connection to a MIGRATE target.
#[derive(Debug)]
pub struct MigrateSocket {
    reader: BufReader<TcpStream>,
    /// Database selected on the target (-1: unknown, SELECT next time).
    last_dbid: i64,
    last_use_ms: i64,
}

/// Connections by `host:port`.
#[derive(Debug, Default)]
pub struct MigrateCache {
    sockets: HashMap<String, MigrateSocket>,
}

impl MigrateCache {
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Close connections unused for 10 seconds
    /// (`migrateCloseTimedoutSockets`, from the cron).
    pub fn close_timed_out(&mut self, now_ms: i64) {
        self.sockets
            .retain(|_, s| now_ms - s.last_use_ms <= CACHE_TTL_MS);
    }
}

/// Why an exchange with the target failed.
enum Failure {
    /// Socket error; `writing` picks the IOERR text, `timed_out` forbids
    /// the retry.
    Io { writing: bool, timed_out: bool },
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A cached connection to `host:port`, connecting if needed
/// (`migrateGetSocket`). `Ok(None)`: the error was replied.
fn get_socket<'a>(
    srv: &'a mut Server,
    ctx: &mut Ctx,
    name: &str,
    timeout: Duration,
) -> Result<Option<&'a mut MigrateSocket>, Failure> {
    if !srv.migrate.sockets.contains_key(name) {
        if srv.migrate.sockets.len() >= CACHE_ITEMS {
            // Too many: drop one at random, as Redis does.
            if let Some(k) = srv.migrate.sockets.keys().next().cloned() {
                srv.migrate.sockets.remove(&k);
            }
        }
        let host = String::from_utf8_lossy(ctx.arg(1)).into_owned();
        let port = std::str::from_utf8(ctx.arg(2))
            .ok()
            .and_then(|p| p.parse::<u16>().ok());
        let addr = port.and_then(|port| (host.as_str(), port).to_socket_addrs().ok()?.next());
        let stream = match addr.map(|a| TcpStream::connect_timeout(&a, timeout)) {
            Some(Ok(s)) => s,
            // Redis connects without blocking and learns of a refused
            // connection only when it writes: same error, same retry.
            Some(Err(e)) if !is_timeout(&e) => {
                return Err(Failure::Io {
                    writing: true,
                    timed_out: false,
                })
            }
            _ => {
                ctx.out
                    .error("IOERR error or timeout connecting to the client");
                return Ok(None);
            }
        };
        let _ = stream.set_nodelay(true);
        srv.migrate.sockets.insert(
            name.to_string(),
            MigrateSocket {
                reader: BufReader::new(stream),
                last_dbid: -1,
                last_use_ms: now_ms(),
            },
        );
    }
    let s = match srv.migrate.sockets.get_mut(name) {
        Some(s) => s,
        None => return Ok(None),
    };
    s.last_use_ms = now_ms();
    // The command's timeout applies to this exchange.
    let _ = s.reader.get_ref().set_read_timeout(Some(timeout));
    let _ = s.reader.get_ref().set_write_timeout(Some(timeout));
    Ok(Some(s))
}

/// Read one reply line (without CRLF).
fn read_line(r: &mut BufReader<TcpStream>) -> Result<Vec<u8>, io::Error> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...]
pub fn migrate_command(srv: &mut Server, ctx: &mut Ctx) {
    let (mut copy, mut replace) = (false, false);
    let mut user: Option<Vec<u8>> = None;
    let mut password: Option<Vec<u8>> = None;
    let mut first_key = 3;
    let mut num_keys = 1;
    let mut j = 6;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        let opt = ctx.arg(j);
        if arg_eq(opt, "copy") {
            copy = true;
        } else if arg_eq(opt, "replace") {
            replace = true;
        } else if arg_eq(opt, "auth") {
            if more < 1 {
                ctx.out.error(SYNTAX_ERR);
                return;
            }
            j += 1;
            password = Some(ctx.arg(j).to_vec());
            ctx.redact.push(j);
        } else if arg_eq(opt, "auth2") {
            if more < 2 {
                ctx.out.error(SYNTAX_ERR);
                return;
            }
            user = Some(ctx.arg(j + 1).to_vec());
            password = Some(ctx.arg(j + 2).to_vec());
            ctx.redact.push(j + 1);
            ctx.redact.push(j + 2);
            j += 2;
        } else if arg_eq(opt, "keys") {
            if !ctx.arg(3).is_empty() {
                ctx.out.error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
                return;
            }
            first_key = j + 1;
            num_keys = ctx.argc() - j - 1;
            break;
        } else {
            ctx.out.error(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    let parse_long = |b: &[u8]| crate::util::numbers::parse_i64(b);
    let (timeout, dbid) = match (parse_long(ctx.arg(5)), parse_long(ctx.arg(4))) {
        (Some(t), Some(d)) => (t, d),
        _ => {
            ctx.out.error("ERR value is not an integer or out of range");
            return;
        }
    };
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });

    // Keys that exist; none at all is not an error.
    let now = srv.cmd_time_ms;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for i in first_key..first_key + num_keys {
        let k = ctx.arg(i).to_vec();
        if srv.dbs[ctx.db].exists(&k, now) {
            keys.push(k);
        }
    }
    srv.drain_lazy_expired();
    if keys.is_empty() {
        ctx.out.raw(b"+NOKEY\r\n");
        return;
    }
    let name = format!(
        "{}:{}",
        String::from_utf8_lossy(ctx.arg(1)),
        String::from_utf8_lossy(ctx.arg(2))
    );
    let req = Request {
        name,
        dbid,
        timeout,
        user,
        password,
        replace,
        keys,
    };
    let mut may_retry = true;
    loop {
        match attempt(srv, ctx, &req) {
            Ok(None) => return,
            Ok(Some((sent, replies))) => {
                finish(srv, ctx, &req.name, dbid, copy, &sent, replies);
                return;
            }
            Err(Failure::Io { writing, timed_out }) => {
                srv.migrate.sockets.remove(&req.name);
                if may_retry && !timed_out {
                    may_retry = false;
                    continue;
                }
                ctx.out.error(&format!(
                    "IOERR error or timeout {} to target instance",
                    if writing { "writing" } else { "reading" }
                ));
                return;
            }
        }
    }
}

/// What one MIGRATE sends.
struct Request {
    /// `host:port`, the connection cache key.
    name: String,
    dbid: i64,
    timeout: Duration,
    user: Option<Vec<u8>>,
    password: Option<Vec<u8>>,
    replace: bool,
    /// Keys that existed when the command started.
    keys: Vec<Vec<u8>>,
}

/// The keys a try sent, and the target's replies.
type Sent = (Vec<Vec<u8>>, Replies);

/// One try: get a connection, send AUTH, SELECT and one RESTORE per key
/// still alive, read the replies. `Ok(None)`: an error was replied; on
/// success, the keys sent and the target's replies.
fn attempt(srv: &mut Server, ctx: &mut Ctx, req: &Request) -> Result<Option<Sent>, Failure> {
    let sock_db = match get_socket(srv, ctx, &req.name, req.timeout)? {
        Some(s) => s.last_dbid,
        None => return Ok(None),
    };
    let mut cmd = Vec::new();
    if let Some(pw) = &req.password {
        let mut argv = vec![b"AUTH".to_vec()];
        if let Some(u) = &req.user {
            argv.push(u.clone());
        }
        argv.push(pw.clone());
        crate::aof::cat_command(&mut cmd, &argv);
    }
    let select = sock_db != req.dbid;
    if select {
        crate::aof::cat_command(
            &mut cmd,
            &[b"SELECT".to_vec(), req.dbid.to_string().into_bytes()],
        );
    }
    let compress = srv.config.rdbcompression;
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let now = crate::server::now_ms();
    for k in &req.keys {
        let ttl = match srv.dbs[ctx.db].get_expire(k) {
            Some(at) if at - now < 0 => continue,
            Some(at) => (at - now).max(1),
            None => 0,
        };
        let payload = match srv.dbs[ctx.db].peek(k) {
            Some(o) => encode::dump_payload(&o.value, compress),
            None => continue,
        };
        let mut argv = vec![
            b"RESTORE".to_vec(),
            k.clone(),
            ttl.to_string().into_bytes(),
            payload,
        ];
        if req.replace {
            argv.push(b"REPLACE".to_vec());
        }
        crate::aof::cat_command(&mut cmd, &argv);
        sent.push(k.clone());
    }
    let replies = exchange(
        srv,
        &req.name,
        &cmd,
        req.password.is_some(),
        select,
        sent.len(),
    )?;
    Ok(Some((sent, replies)))
}

/// The replies of one exchange: AUTH's, SELECT's, then one per RESTORE
/// (fewer if the connection failed part-way, with the error).
struct Replies {
    auth: Option<Vec<u8>>,
    select: Option<Vec<u8>>,
    restores: Vec<Vec<u8>>,
    /// The connection broke after some RESTORE replies.
    broken: bool,
}

/// Write the request in 64 KB pieces and read the replies.
fn exchange(
    srv: &mut Server,
    name: &str,
    cmd: &[u8],
    auth: bool,
    select: bool,
    restores: usize,
) -> Result<Replies, Failure> {
    let s = match srv.migrate.sockets.get_mut(name) {
        Some(s) => s,
        None => {
            return Err(Failure::Io {
                writing: true,
                timed_out: false,
            })
        }
    };
    for piece in cmd.chunks(64 * 1024) {
        if let Err(e) = s.reader.get_mut().write_all(piece) {
            return Err(Failure::Io {
                writing: true,
                timed_out: is_timeout(&e),
            });
        }
    }
    let read_err = |e: io::Error| Failure::Io {
        writing: false,
        timed_out: is_timeout(&e),
    };
    let auth = if auth {
        Some(read_line(&mut s.reader).map_err(read_err)?)
    } else {
        None
    };
    let select = if select {
        Some(read_line(&mut s.reader).map_err(read_err)?)
    } else {
        None
    };
    let mut out = Replies {
        auth,
        select,
        restores: Vec::new(),
        broken: false,
    };
    for i in 0..restores {
        match read_line(&mut s.reader) {
            Ok(l) => out.restores.push(l),
            // Nothing processed yet: safe to retry on a new connection.
            Err(e) if i == 0 => return Err(read_err(e)),
            Err(_) => {
                out.broken = true;
                break;
            }
        }
    }
    Ok(out)
}

/// Apply the target's answers: delete acknowledged keys (unless COPY),
/// propagate them as DEL, reply.
fn finish(
    srv: &mut Server,
    ctx: &mut Ctx,
    name: &str,
    dbid: i64,
    copy: bool,
    sent: &[Vec<u8>],
    r: Replies,
) {
    let mut error: Option<Vec<u8>> = None;
    let mut deleted: Vec<Vec<u8>> = Vec::new();
    for (i, line) in r.restores.iter().enumerate() {
        let failed = r.auth.as_ref().is_some_and(|a| a.first() == Some(&b'-'))
            || r.select.as_ref().is_some_and(|s| s.first() == Some(&b'-'))
            || line.first() == Some(&b'-');
        if failed {
            if error.is_none() {
                let src = match (&r.auth, &r.select) {
                    (Some(a), _) if a.first() == Some(&b'-') => a,
                    (_, Some(s)) if s.first() == Some(&b'-') => s,
                    _ => line,
                };
                error = Some(src[1..].to_vec());
            }
        } else if !copy {
            let k = &sent[i];
            if srv.dbs[ctx.db].delete(k).is_some() {
                srv.signal_modified_key(ctx.db, k);
                let dbi = ctx.db;
                srv.notify(ctx, NOTIFY_GENERIC, "del", k, dbi);
                srv.dirty += 1;
                deleted.push(k.clone());
            }
        }
    }
    if r.broken {
        srv.migrate.sockets.remove(name);
    }
    if !copy && !deleted.is_empty() {
        let mut argv = vec![b"DEL".to_vec()];
        argv.extend(deleted);
        ctx.rewrite_as(argv);
    }
    match error {
        Some(e) => {
            if let Some(s) = srv.migrate.sockets.get_mut(name) {
                s.last_dbid = -1;
            }
            ctx.out.error(&format!(
                "ERR Target instance replied with error: {}",
                String::from_utf8_lossy(&e)
            ));
        }
        None if r.broken => {
            ctx.out
                .error("IOERR error or timeout reading to target instance");
        }
        None => {
            if let Some(s) = srv.migrate.sockets.get_mut(name) {
                s.last_dbid = dbid;
            }
            ctx.out.ok();
        }
    }
}

/// Key positions of MIGRATE (`migrateGetKeys`): argument 3, or what follows
/// KEYS when argument 3 is empty.
pub fn migrate_get_keys(argv: &[Vec<u8>]) -> Option<Vec<usize>> {
    let mut i = 6;
    while i < argv.len() {
        let a = &argv[i];
        if arg_eq(a, "keys") {
            if !argv[3].is_empty() {
                return Some(Vec::new());
            }
            return Some((i + 1..argv.len()).collect());
        } else if arg_eq(a, "auth") {
            i += 1;
        } else if arg_eq(a, "auth2") {
            i += 2;
        }
        i += 1;
    }
    Some(vec![3])
}
