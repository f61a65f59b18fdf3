//! INFO (~ `genRedisInfoString` in Redis's `server.c`).
//!
//! Field names and section names are Redis 7.0's, so monitoring tools and
//! the test suite read them unchanged. Values that describe subsystems we do
//! not have yet (persistence, replication) report what Redis reports when
//! those are idle.

use std::fmt::Write;

use crate::alloc;
use crate::server::{Ctx, Server, FERRODIS_VERSION, REDIS_VERSION};

/// Sections in "default" order.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Sections that only "all"/"everything" or an explicit request include.
const EXTRA_SECTIONS: &[&str] = &["commandstats", "latencystats"];

/// The order `genRedisInfoString` emits sections in, whatever was asked.
const CANONICAL_ORDER: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// Redis's human-readable byte counts (`bytesToHuman`).
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{}B", n)
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / 1024f64.powi(3))
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1024f64.powi(4))
    } else {
        format!("{:.2}P", d / 1024f64.powi(5))
    }
}

/// Which sections a list of INFO arguments selects.
fn selected_sections(args: &[Vec<u8>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let add = |s: &str, out: &mut Vec<String>| {
        if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    };
    if args.is_empty() {
        for s in DEFAULT_SECTIONS {
            add(s, &mut out);
        }
        return out;
    }
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => {
                for s in DEFAULT_SECTIONS {
                    add(s, &mut out);
                }
            }
            "all" | "everything" => {
                for s in DEFAULT_SECTIONS.iter().chain(EXTRA_SECTIONS) {
                    add(s, &mut out);
                }
            }
            "modules" => add("module_list", &mut out),
            other => add(other, &mut out),
        }
    }
    out
}

/// Build the INFO text for the given arguments.
pub fn info_string(srv: &Server, args: &[Vec<u8>]) -> String {
    let sections = selected_sections(args);
    let mut s = String::new();
    // Emit in Redis's canonical order.
    for &name in CANONICAL_ORDER {
        if !sections.iter().any(|x| x == name) {
            continue;
        }
        if !s.is_empty() {
            s.push_str("\r\n");
        }
        section(srv, name, &mut s);
    }
    s
}

fn section(srv: &Server, name: &str, s: &mut String) {
    let now_us = crate::server::now_us();
    match name {
        "server" => {
            let uptime = srv.uptime_s();
            let _ = write!(
                s,
                "# Server\r\nredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:ferrodis-{}\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nferrodis_version:{}\r\n",
                REDIS_VERSION,
                FERRODIS_VERSION,
                std::env::consts::OS,
                std::env::consts::ARCH,
                srv.pid,
                srv.run_id,
                srv.port,
                now_us,
                uptime,
                uptime / 86400,
                srv.hz,
                srv.config.hz,
                ((now_us / 1_000_000) as u32) & ((1 << 24) - 1),
                srv.executable,
                srv.config_file.as_deref().unwrap_or(""),
                FERRODIS_VERSION,
            );
        }
        "clients" => {
            let (mut max_in, mut max_out) = (0usize, 0usize);
            for (_, c) in srv.clients.iter() {
                max_in = max_in.max(c.qb.capacity());
                max_out = max_out.max(c.reply.memory());
            }
            let _ = write!(
                s,
                "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:0\r\n",
                srv.clients.iter().filter(|(_, c)| !c.flags.script).count(),
                srv.config.maxclients,
                max_in,
                max_out,
                // Clients held by CLIENT PAUSE count as blocked, as in Redis.
                srv.blocking.clients.len()
                    + srv.clients.iter().filter(|(_, c)| c.held.is_some()).count(),
                srv.tracking.clients,
            );
        }
        "memory" => {
            let used = alloc::used_memory() as u64;
            let peak = alloc::update_peak() as u64;
            let rss = alloc::rss_bytes() as u64;
            let total = alloc::total_system_memory() as u64;
            let startup = srv.startup_memory as u64;
            let overhead = startup;
            let dataset = used.saturating_sub(overhead);
            let lua = srv.scripting.lua_memory() as u64;
            let lua_h = bytes_to_human(lua);
            let aof_buf = srv.aof.buf.capacity();
            let scripts = srv.scripting.scripts_mem as u64;
            let nscripts = srv.scripting.scripts.len();
            let vm_total = lua + 32768;
            let vm_total_h = bytes_to_human(vm_total);
            let scripts_all = scripts + 184;
            let scripts_all_h = bytes_to_human(scripts_all);
            let frag = if used > 0 {
                rss as f64 / used as f64
            } else {
                0.0
            };
            let _ = write!(
                s,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{used}\r\nallocator_active:{rss}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{total}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:{lua}\r\nused_memory_vm_eval:{lua}\r\nused_memory_lua_human:{lua_h}\r\nused_memory_scripts_eval:{scripts}\r\nnumber_of_cached_scripts:{nscripts}\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:32768\r\nused_memory_vm_total:{vm_total}\r\nused_memory_vm_total_human:{vm_total_h}\r\nused_memory_functions:184\r\nused_memory_scripts:{scripts_all}\r\nused_memory_scripts_human:{scripts_all_h}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:1.00\r\nallocator_rss_bytes:0\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:{backlog}\r\nmem_total_replication_buffers:{backlog}\r\nmem_clients_slaves:{slaves}\r\nmem_clients_normal:{}\r\nmem_cluster_links:0\r\nmem_aof_buffer:{aof_buf}\r\nmem_allocator:{}\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:{lazyfreed}\r\n",
                bytes_to_human(used),
                bytes_to_human(rss),
                bytes_to_human(peak),
                if peak > 0 { used as f64 * 100.0 / peak as f64 } else { 0.0 },
                if used > startup { dataset as f64 * 100.0 / (used - startup) as f64 } else { 0.0 },
                bytes_to_human(total),
                srv.config.maxmemory,
                bytes_to_human(srv.config.maxmemory),
                srv.config.maxmemory_policy,
                frag,
                rss as i64 - used as i64,
                srv.clients
                    .iter()
                    .filter(|(_, c)| !c.flags.replica)
                    .map(|(_, c)| c.qb.capacity() + c.reply.memory())
                    .sum::<usize>(),
                alloc::ALLOCATOR_NAME,
                backlog = srv.repl.backlog.as_ref().map_or(0, |b| b.capacity()),
                slaves = srv
                    .clients
                    .iter()
                    .filter(|(_, c)| c.flags.replica)
                    .map(|(_, c)| c.qb.capacity() + c.reply.memory())
                    .sum::<usize>(),
                lazyfreed = srv.stats.lazyfreed_objects,
            );
        }
        "persistence" => {
            use crate::child::ChildKind;
            let aof_on = srv.aof.state != crate::aof::AofState::Off;
            let ch = &srv.children;
            // Seconds the running child of that kind has been at it, or -1.
            let running_for = |kind: ChildKind| {
                ch.active
                    .as_ref()
                    .filter(|c| c.kind == kind)
                    .map_or(-1, |c| c.started.elapsed().as_secs() as i64)
            };
            let _ = write!(
                s,
                "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:{}\r\ncurrent_cow_size:{}\r\ncurrent_cow_size_age:{}\r\ncurrent_fork_perc:{:.2}\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:{}\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
                ch.current_cow_peak,
                ch.current_cow_bytes,
                ch.current_cow_updated.map_or(0, |t| t.elapsed().as_secs()),
                ch.fork_perc(),
                ch.current_save_keys_processed,
                ch.current_save_keys_total,
                srv.dirty,
                u8::from(ch.is(ChildKind::Rdb)),
                srv.lastsave_s,
                if srv.rdb_last_save_ok { "ok" } else { "err" },
                srv.rdb_last_bgsave_time_s,
                running_for(ChildKind::Rdb),
                srv.stat_rdb_saves,
                ch.rdb_last_cow_size,
                srv.rdb_last_load_keys_expired,
                srv.rdb_last_load_keys_loaded,
                u8::from(aof_on),
                u8::from(ch.is(ChildKind::Aof)),
                u8::from(srv.aof.rewrite_scheduled),
                srv.aof.last_rewrite_time_s,
                running_for(ChildKind::Aof),
                if srv.aof.last_rewrite_ok { "ok" } else { "err" },
                srv.aof.rewrites,
                srv.aof.rewrites_consecutive_failures,
                if srv.aof.last_write_error.is_none() { "ok" } else { "err" },
                ch.aof_last_cow_size,
            );
            // The sizes are only shown while the AOF is on.
            if aof_on {
                let _ = write!(
                    s,
                    "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
                    srv.aof.current_size,
                    srv.aof.rewrite_base_size,
                    u8::from(srv.aof.rewrite_scheduled),
                    srv.aof.buf.len(),
                );
            }
        }
        "stats" => {
            let st = &srv.stats;
            let _ = write!(
                s,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:{}\r\ntotal_forks:{}\r\nmigrate_cached_sockets:{}\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:{}\r\nreply_buffer_expands:{}\r\n",
                st.numconnections,
                st.numcommands,
                st.inst_ops.get() as u64,
                st.net_input_bytes,
                st.net_output_bytes,
                st.inst_net_in.get() / 1024.0,
                st.inst_net_out.get() / 1024.0,
                st.rejected_conn,
                srv.repl.stat_sync_full,
                srv.repl.stat_sync_partial_ok,
                srv.repl.stat_sync_partial_err,
                st.expiredkeys,
                st.expired_stale_perc * 100.0,
                st.expired_time_cap_reached_count,
                st.expire_cycle_time_used_us / 1000,
                st.evictedkeys,
                st.keyspace_hits,
                st.keyspace_misses,
                srv.pubsub_channels.len(),
                srv.pubsub_patterns.len(),
                srv.pubsubshard_channels.len(),
                srv.children.latest_fork_usec,
                srv.children.total_forks,
                srv.migrate.len(),
                srv.tracking.table.len(),
                srv.tracking.total_items,
                srv.tracking.prefixes.len(),
                st.unexpected_error_replies,
                st.total_error_replies,
                st.io_reads_processed,
                st.io_writes_processed,
                st.reply_buffer_shrinks,
                st.reply_buffer_expands,
            );
        }
        "replication" => s.push_str(&crate::replication::info_section(srv)),
        "cpu" => {
            let (user, sys) = alloc::cpu_times();
            let _ = write!(
                s,
                "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
                sys, user, sys, user
            );
        }
        "module_list" => s.push_str("# Modules\r\n"),
        "errorstats" => {
            s.push_str("# Errorstats\r\n");
            for (code, count) in &srv.stats.errors {
                let _ = write!(s, "errorstat_{}:count={}\r\n", code, count);
            }
        }
        "cluster" => s.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        "keyspace" => {
            s.push_str("# Keyspace\r\n");
            for db in &srv.dbs {
                if !db.is_empty() {
                    let _ = write!(
                        s,
                        "db{}:keys={},expires={},avg_ttl={}\r\n",
                        db.id,
                        db.len(),
                        db.expires.len(),
                        db.avg_ttl
                    );
                }
            }
        }
        "commandstats" => {
            s.push_str("# Commandstats\r\n");
            for e in &srv.commands.entries {
                let st = e.stats;
                if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
                    continue;
                }
                let per = if st.calls > 0 {
                    st.usec as f64 / st.calls as f64
                } else {
                    0.0
                };
                let _ = write!(
                    s,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                    e.fullname, st.calls, st.usec, per, st.rejected_calls, st.failed_calls
                );
            }
        }
        "latencystats" => {
            s.push_str("# Latencystats\r\n");
            crate::latency::info_latencystats(srv, s);
        }
        _ => {}
    }
}

/// INFO [section ...]
pub fn info_command(srv: &mut Server, ctx: &mut Ctx) {
    let text = info_string(srv, &ctx.argv[1..]);
    ctx.out.verbatim(text.as_bytes(), "txt");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(1000), "1000B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(1024 * 1024 * 3 / 2), "1.50M");
    }

    #[test]
    fn section_selection() {
        let v = |a: &[&str]| {
            selected_sections(&a.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>())
        };
        assert!(!v(&[]).contains(&"commandstats".to_string()));
        assert!(v(&["all"]).contains(&"commandstats".to_string()));
        assert!(v(&["commandSTATS"]).contains(&"commandstats".to_string()));
        assert_eq!(v(&["cpu", "cpu"]), vec!["cpu".to_string()]);
        // Every selectable section has a place in the output order.
        for s in DEFAULT_SECTIONS.iter().chain(EXTRA_SECTIONS) {
            assert!(CANONICAL_ORDER.contains(s), "{s}");
        }
    }
}
