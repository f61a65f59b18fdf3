//! # ferrodis — redis-server 7.0, in Rust, on one thread
//!
//! ferrodis is a drop-in replacement for `redis-server`: same protocol,
//! same replies byte for byte, same config file syntax. It is also meant to
//! be read: each module mirrors one Redis source file, so a reader who knows
//! Redis finds each idea where they expect it, and a reader who does not can
//! learn Redis's architecture here.
//!
//! ## Reading order
//!
//! | module | role | Redis file |
//! |---|---|---|
//! | [`acl`] | ACL users, selectors, permission checks, ACL LOG | `acl.c` |
//! | [`config`] | redis.conf parser, CONFIG GET/SET registry | `config.c` |
//! | [`event_loop`] | mio poll loop: accept, read, write, timers | `ae.c`, `networking.c` |
//! | [`server`] | server state, `process_command`, `call()`, cron | `server.c` |
//! | [`client`] | one connection: query buffer, reply buffer, flags | `networking.c` |
//! | [`resp::parser`] | incremental request parser (multibulk + inline) | `networking.c` |
//! | [`resp::reply`] | RESP2/RESP3 reply encoder and output buffer | `networking.c` |
//! | [`commands::table`] | the command table and lookup | `commands.c`, `server.c` |
//! | [`commands::key_spec`] | key specs: where a call's keys are and how it uses them | `commands.c` (key specs), `db.c` (`getKeysFromCommandWithSpecs`) |
//! | [`commands`] | command implementations, one file per family | `t_string.c`, `t_list.c`, `t_hash.c`, `t_set.c`, `t_stream.c`, `geo.c`, `db.c`, ... |
//! | [`db::dict`] | hash table with incremental rehash, SCAN, sampling | `dict.c` |
//! | [`db::listpack`] | compact serialized sequence for small collections | `listpack.c` |
//! | [`db::hash`] | the hash value: listpack or hashtable encoding | `t_hash.c` |
//! | [`db::keyspace`] | databases, lazy expiry | `db.c` |
//! | [`db::value`] | values and their encodings | `object.c` |
//! | [`db::set`] | the set type: `intset` / `hashtable` encodings | `t_set.c` (`setType*`) |
//! | [`db::intset`] | sorted packed integer array | `intset.c` |
//! | [`db::zset`] | the sorted set type: `listpack` / `skiplist` encodings | `t_zset.c` (`zzl*`, `zset*`) |
//! | [`db::geohash`] | 52-bit interleaved geohash scores, 9-cell area search, haversine | `geohash.c`, `geohash_helper.c` |
//! | [`db::skiplist`] | skiplist with spans: ranks and ranges in O(log N) | `t_zset.c` (`zsl*`) |
//! | [`db::hyperloglog`] | HyperLogLog sketches: sparse / dense encodings, estimator | `hyperloglog.c` |
//! | [`db::quicklist`] | the list type: a chain of listpack nodes, inner ones LZF-compressed | `quicklist.c`, `t_list.c` (`listType*`) |
//! | [`db::stream`] | the stream type: listpack nodes by master ID, consumer groups, PELs | `t_stream.c`, `stream.h`, `rax.c` |
//! | [`db::small_bytes`] | keys of up to 15 bytes stored inline, no allocation | (`sds.c` for keys) |
//! | [`db::compact`] | a hash's or sorted set's listpack-or-table in one pointer | `robj->ptr` + `encoding` |
//! | [`db::embstr`] | `embstr` string bytes in one word (inline up to 7 bytes) | `object.c` (`createEmbeddedStringObject`) |
//! | [`rdb`] | RDB files and DUMP payloads: encoder, validating decoder, SAVE / load | `rdb.c`, `cluster.c` (DUMP/RESTORE) |
//! | [`bio`] | background I/O thread: closing unlinked files, fsync of retired files | `bio.c` |
//! | [`child`] | forked children: fork, the info pipe, collecting and killing them | `server.c` (`redisFork`, `checkChildrenDone`), `childinfo.c` |
//! | [`aof`] | append-only file: multi-part layout, manifest, logging, fsync, rewrite, replay | `aof.c` |
//! | [`fullsync`] | a replica's full resynchronisation by a forked child: disk or diskless (pipe) | `replication.c` (`startBgsaveForReplication`, `rdbPipeReadHandler`, `sendBulkToSlave`) |
//! | [`replication`] | the replication stream and backlog, SYNC/PSYNC, REPLICAOF and the master link, WAIT, ROLE | `replication.c` |
//! | [`expire`] | active expiry cycle | `expire.c` |
//! | [`evict`] | maxmemory eviction (sampled LRU/LFU/TTL/random) | `evict.c` |
//! | [`multi`] | MULTI/EXEC/WATCH | `multi.c` |
//! | [`blocked`] | blocking commands: parked clients, ready keys, timeouts | `blocked.c`, `timeout.c` |
//! | [`pubsub`] | publish/subscribe, keyspace notifications | `pubsub.c`, `notify.c` |
//! | [`tracking`] | client-side caching invalidation | `tracking.c` |
//! | [`scripting`] | Lua scripting: EVAL, the `redis` API, RESP<->Lua, sandbox, cjson/cmsgpack/bit/struct | `eval.c`, `script.c`, `script_lua.c` |
//! | [`slowlog`] | SLOWLOG: commands slower than a threshold | `slowlog.c` |
//! | [`latency`] | LATENCY: per-command histograms, latency monitor events, DOCTOR | `latency.c`, `sparkline.c` |
//! | [`util`] | glob matching, number parsing/formatting, long double, LZF, SHA1, CRC-64, HDR histogram | `util.c`, `lzf_*.c`, `sha1.c`, `crc64.c`, `hdr_histogram.c` |
//! | [`alloc`] | counting allocator behind `used_memory` | `zmalloc.c` |
//!
//! A request's life: [`event_loop`] reads bytes into the client's
//! [`resp::parser::QueryBuf`]; [`server::Server::process_input`] parses
//! complete requests and calls [`server::Server::process_command`], which
//! looks the command up in [`commands::table`], checks arity and flags, and
//! runs [`server::Server::call`]; the handler appends to the client's
//! [`resp::reply::ReplyBuf`]; `before_sleep` in [`event_loop`] writes it out.
//! See `docs/architecture.md` for the full walkthrough.

pub mod acl;
pub mod alloc;
pub mod aof;
pub mod bio;
pub mod blocked;
pub mod child;
pub mod client;
pub mod commands;
pub mod config;
pub mod db;
pub mod event_loop;
pub mod evict;
pub mod expire;
pub mod fullsync;
pub mod latency;
pub mod multi;
pub mod pubsub;
pub mod rdb;
pub mod replication;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod slowlog;
pub mod tracking;
pub mod util;
