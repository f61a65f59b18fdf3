//! Latency monitoring (~ Redis's `latency.c`, `latency.h`, `sparkline.c`,
//! and the latency-histogram half of `server.c`): two independent tools.
//!
//! # Per-command latency histograms (`latency-tracking`)
//!
//! Every command `call()` executes records its duration into an HDR
//! histogram owned by its command-table entry (a subcommand such as
//! `client|id` has its own). The duration is measured in microseconds and
//! recorded as nanoseconds (µs × 1000), clamped to `[1, 10^9]`, exactly as
//! Redis does, so the bucket boundaries LATENCY HISTOGRAM and INFO
//! latencystats print are Redis's own (see [`crate::util::hdr`] for the
//! layout). A histogram costs 24 KiB, so it is allocated the first time its
//! command runs; CONFIG RESETSTAT drops them all. A command that blocks is
//! recorded once, when it is served, like its commandstats.
//!
//! LATENCY HISTOGRAM reports, per command, the call count and the
//! cumulative distribution at power-of-two levels from 1024 ns (printed in
//! whole µs), skipping levels that add nothing. INFO latencystats reports
//! the configured percentiles (`latency-tracking-info-percentiles`).
//!
//! # The latency monitor (`latency-monitor-threshold`)
//!
//! Code paths that can stall the event loop measure themselves in
//! milliseconds and, when the duration reaches the threshold (0 disables),
//! add a sample to a named *event*: `command` / `fast-command` (every
//! `call()`, by the command's `fast` flag), `expire-cycle` (one active expire
//! cycle) and `expire-del` (freeing an expired key, by the active cycle or
//! by lazy expiry; the slowest one of a cycle or of a command is sampled),
//! `eviction-cycle` and `eviction-del` (maxmemory eviction). Redis's other
//! events (fork, AOF fsync and rename, rdb-unlink-temp-file, module-acquire-GIL,
//! while-blocked-cron, command-unblocking) time code ferrodis does not have;
//! a served blocked command is re-executed by `call()` and sampled there. Each event keeps a ring of the last
//! 160 samples with at most one sample per second — a second sample in the
//! same second only raises that second's value — plus its all-time maximum.
//! Events are created on their first sample and forgotten by LATENCY RESET.
//!
//! The LATENCY subcommands read this state: LATEST (last sample and maximum
//! of every event), HISTORY (the ring, oldest first), GRAPH (an ASCII
//! sparkline of the ring, four rows high, with "seconds ago" labels written
//! vertically under each column), DOCTOR (a report in Redis's words: one
//! line of statistics per event, then advice chosen by which events
//! occurred). Replies and texts are Redis 7.0's byte for byte.
//!
//! Rejected alternative: recording into the histogram from a separate
//! timer or a sampled subset of commands. Redis records every call, and its
//! numbers are only comparable if ours come from the same inputs.

use std::fmt::Write;

use crate::commands::table::CmdId;
use crate::server::{Ctx, Server};
use crate::util::hdr::{Histogram, LATENCY_MAX_NS, LATENCY_MIN_NS};

/// Samples kept per event (`LATENCY_TS_LEN`).
pub const TS_LEN: usize = 160;

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    /// Unix time, seconds; 0 marks an empty slot.
    time: i64,
    /// Milliseconds.
    latency: u64,
}

/// The ring of one event.
struct TimeSeries {
    /// Slot of the next sample.
    idx: usize,
    /// All-time maximum since the event was created.
    max: u64,
    samples: [Sample; TS_LEN],
}

impl TimeSeries {
    fn new() -> TimeSeries {
        TimeSeries {
            idx: 0,
            max: 0,
            samples: [Sample::default(); TS_LEN],
        }
    }

    /// Samples oldest first.
    fn in_order(&self) -> impl Iterator<Item = &Sample> {
        (0..TS_LEN)
            .map(move |j| &self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.time != 0)
    }

    fn latest(&self) -> &Sample {
        &self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

/// All events, in the order they first occurred.
#[derive(Default)]
pub struct LatencyMonitor {
    events: Vec<(String, Box<TimeSeries>)>,
}

impl LatencyMonitor {
    /// `latencyAddSample`: record `latency_ms` for `event` at `now_s`.
    pub fn add_sample(&mut self, event: &str, latency_ms: u64, now_s: i64) {
        let pos = match self.events.iter().position(|(e, _)| e == event) {
            Some(p) => p,
            None => {
                self.events
                    .push((event.to_string(), Box::new(TimeSeries::new())));
                self.events.len() - 1
            }
        };
        let ts = &mut self.events[pos].1;
        ts.max = ts.max.max(latency_ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].time == now_s {
            let s = &mut ts.samples[prev];
            s.latency = s.latency.max(latency_ms);
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now_s,
            latency: latency_ms,
        };
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    /// `latencyResetEvent`: forget `event` (case-insensitively), or every
    /// event for None. Returns how many were dropped.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(name) => self
                .events
                .retain(|(e, _)| !e.as_bytes().eq_ignore_ascii_case(name)),
        }
        before - self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn get(&self, event: &[u8]) -> Option<&TimeSeries> {
        self.events
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(_, ts)| &**ts)
    }
}

/// `latencyAddSampleIfNeeded`: sample `event` when monitoring is on and
/// `latency_ms` reaches the threshold.
pub fn add_sample_if_needed(srv: &mut Server, event: &str, latency_ms: u64) {
    let threshold = srv.config.latency_monitor_threshold;
    if threshold != 0 && latency_ms >= threshold {
        srv.latency
            .add_sample(event, latency_ms, crate::server::now_ms() / 1000);
    }
}

/// `updateCommandLatencyHistogram`: record a call of command `id` that
/// took `usec` microseconds.
pub fn record_command(srv: &mut Server, id: CmdId, usec: u64) {
    let ns = (usec.saturating_mul(1000) as i64).clamp(LATENCY_MIN_NS, LATENCY_MAX_NS);
    srv.commands.entries[id]
        .latency_histogram
        .get_or_insert_with(|| Box::new(Histogram::for_command_latency()))
        .record(ns);
}

/// One `latency_percentiles_usec_<cmd>:...` line of INFO latencystats
/// (`fillPercentileDistributionLatencies`).
pub fn percentiles_line(out: &mut String, name: &str, h: &Histogram, percentiles: &[f64]) {
    let _ = write!(out, "latency_percentiles_usec_{name}:");
    for (j, &p) in percentiles.iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        let value = h.value_at_percentile(p) as f64 / 1000.0;
        let _ = write!(out, "p{}={:.3}", crate::config::format_percentile(p), value);
    }
    out.push_str("\r\n");
}

/// INFO latencystats body: every command with a histogram, parents before
/// their subcommands.
pub fn info_latencystats(srv: &Server, out: &mut String) {
    if !srv.config.latency_tracking {
        return;
    }
    let percentiles = &srv.config.latency_tracking_info_percentiles;
    for id in command_order(srv) {
        let e = &srv.commands.entries[id];
        if let Some(h) = &e.latency_histogram {
            percentiles_line(out, &info_safe(&e.fullname), h, percentiles);
        }
    }
}

/// Redis's `getSafeInfoString`: characters that would break INFO's
/// `name:value` lines become `_`.
fn info_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '#' | ':' | '\n' | '\r') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Every command id, each top-level command followed by its subcommands.
fn command_order(srv: &Server) -> Vec<CmdId> {
    let mut ids = Vec::new();
    for top in srv.commands.top_level() {
        ids.push(top);
        ids.extend(srv.commands.subs_of(top));
    }
    ids
}

/// `fillCommandCDF`: {calls, histogram_usec: {µs: cumulative count}}.
fn reply_command_cdf(ctx: &mut Ctx, h: &Histogram) {
    let mut points: Vec<(i64, u64)> = Vec::new();
    let mut previous = 0u64;
    for step in h.log_iter(1024, 2) {
        if step.cumulative > previous {
            points.push((step.highest_equivalent / 1000, step.cumulative));
        }
        previous = step.cumulative;
    }
    ctx.out.map_len(2);
    ctx.out.bulk(b"calls");
    ctx.out.int(h.total_count() as i64);
    ctx.out.bulk(b"histogram_usec");
    ctx.out.map_len(points.len());
    for (usec, count) in points {
        ctx.out.int(usec);
        ctx.out.int(count as i64);
    }
}

/// LATENCY HISTOGRAM [command ...]
pub fn latency_histogram_command(srv: &mut Server, ctx: &mut Ctx) {
    let mut ids: Vec<CmdId> = Vec::new();
    if ctx.argv.len() == 2 {
        ids = command_order(srv);
    } else {
        for j in 2..ctx.argv.len() {
            // Unknown names are skipped; a container brings its subcommands.
            let Some(id) = srv.commands.find_fullname(ctx.arg(j)) else {
                continue;
            };
            ids.push(id);
            if srv.commands.entries[id].parent.is_none() {
                ids.extend(srv.commands.subs_of(id));
            }
        }
    }
    ids.retain(|&id| srv.commands.entries[id].latency_histogram.is_some());
    ctx.out.map_len(ids.len());
    for id in ids {
        let e = &srv.commands.entries[id];
        ctx.out.bulk(e.fullname.as_bytes());
        if let Some(h) = &e.latency_histogram {
            reply_command_cdf(ctx, h);
        }
    }
}

/// LATENCY LATEST
pub fn latency_latest_command(srv: &mut Server, ctx: &mut Ctx) {
    ctx.out.array_len(srv.latency.events.len());
    for (event, ts) in &srv.latency.events {
        let last = ts.latest();
        ctx.out.array_len(4);
        ctx.out.bulk(event.as_bytes());
        ctx.out.int(last.time);
        ctx.out.int(last.latency as i64);
        ctx.out.int(ts.max as i64);
    }
}

/// LATENCY HISTORY event
pub fn latency_history_command(srv: &mut Server, ctx: &mut Ctx) {
    let Some(ts) = srv.latency.get(ctx.arg(2)) else {
        ctx.out.array_len(0);
        return;
    };
    let samples: Vec<Sample> = ts.in_order().copied().collect();
    ctx.out.array_len(samples.len());
    for s in samples {
        ctx.out.array_len(2);
        ctx.out.int(s.time);
        ctx.out.int(s.latency as i64);
    }
}

/// LATENCY RESET [event ...]
pub fn latency_reset_command(srv: &mut Server, ctx: &mut Ctx) {
    let resets = if ctx.argv.len() == 2 {
        srv.latency.reset(None)
    } else {
        (2..ctx.argv.len())
            .map(|j| srv.latency.reset(Some(ctx.arg(j))))
            .sum()
    };
    ctx.out.int(resets as i64);
}

/// LATENCY GRAPH event
pub fn latency_graph_command(srv: &mut Server, ctx: &mut Ctx) {
    let now_s = crate::server::now_ms() / 1000;
    let found = srv
        .latency
        .events
        .iter()
        .find(|(e, _)| e.as_bytes() == ctx.arg(2));
    match found {
        Some((event, ts)) => {
            let graph = graph(event, ts, now_s);
            ctx.out.verbatim(graph.as_bytes(), "txt");
        }
        None => {
            let msg = format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(ctx.arg(2))
            );
            ctx.out.error(&msg);
        }
    }
}

/// LATENCY DOCTOR
pub fn latency_doctor_command(srv: &mut Server, ctx: &mut Ctx) {
    let report = doctor_report(
        srv,
        crate::server::now_ms() / 1000,
        anon_huge_pages_bytes() > 0,
    );
    ctx.out.verbatim(report.as_bytes(), "txt");
}

/// LATENCY HELP
pub fn latency_help_command(_srv: &mut Server, ctx: &mut Ctx) {
    let lines = [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];
    crate::commands::reply_help(ctx, &lines);
}

// ---------------------------------------------------------------------------------------------
// LATENCY GRAPH: the sparkline (~ sparkline.c)
// ---------------------------------------------------------------------------------------------

const GRAPH_COLS: usize = 80;
const GRAPH_ROWS: usize = 4;
/// Characters of one row, lowest level first (Redis's filled charset).
const FILL_CHARS: [u8; 3] = [b'_', b'o', b'#'];

/// `latencyCommandGenSparkeline`: header, a ruler, then the graph.
fn graph(event: &str, ts: &TimeSeries, now_s: i64) -> String {
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for s in ts.in_order() {
        values.push(s.latency as f64);
        let elapsed = now_s - s.time;
        labels.push(if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        });
    }
    let max = ts.in_order().map(|s| s.latency).max().unwrap_or(0);
    let min = ts.in_order().map(|s| s.latency).min().unwrap_or(0);
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    sparkline(&mut out, &values, &labels, GRAPH_COLS, GRAPH_ROWS);
    out
}

/// `sparklineRender` with the fill style: the samples in chunks of
/// `columns`, each chunk `rows` rows of bars (a full row cell is `|`, the
/// top cell of a bar `_`, `o` or `#` by height) followed by a blank line and
/// the labels written top to bottom.
fn sparkline(out: &mut String, values: &[f64], labels: &[String], columns: usize, rows: usize) {
    if values.is_empty() {
        return;
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut start = 0;
    while start < values.len() {
        let end = (start + columns).min(values.len());
        if start != 0 {
            out.push('\n');
        }
        sparkline_range(
            out,
            &values[start..end],
            &labels[start..end],
            min,
            max,
            rows,
        );
        start = end;
    }
}

fn sparkline_range(
    out: &mut String,
    values: &[f64],
    labels: &[String],
    min: f64,
    max: f64,
    rows: usize,
) {
    let charset_len = FILL_CHARS.len() as i64;
    let steps = charset_len * rows as i64;
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let has_labels = labels.iter().any(|l| !l.is_empty());
    let mut row = 0usize;
    loop {
        let mut more = false;
        let mut line = vec![b' '; values.len()];
        for (j, &v) in values.iter().enumerate() {
            if row < rows {
                // Truncations as in C: (int)(relval * steps) / relmax, then to int.
                let scaled = ((v - min) * steps as f64) as i64;
                let step = ((scaled as f64 / relmax) as i64).clamp(0, steps - 1);
                let charidx = step - (rows - row - 1) as i64 * charset_len;
                more = true;
                if (0..charset_len).contains(&charidx) {
                    line[j] = FILL_CHARS[charidx as usize];
                } else if charidx >= charset_len {
                    line[j] = b'|';
                }
            } else {
                // One blank line between the bars and the labels.
                if has_labels && row - rows < 1 {
                    more = true;
                    break;
                }
                // Without labels the first row past the bars has no label
                // row to show (and none below it).
                let label = labels[j].as_bytes();
                if let Some(label_row) = (row - rows).checked_sub(1) {
                    if label.len() > label_row {
                        more = true;
                        line[j] = label[label_row];
                    }
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&line));
        out.push('\n');
    }
}

// ---------------------------------------------------------------------------------------------
// LATENCY DOCTOR (~ createLatencyReport)
// ---------------------------------------------------------------------------------------------

/// `analyzeLatencyForEvent`: statistics over the samples in the ring.
struct EventStats {
    avg: u64,
    mad: u64,
    samples: u64,
    /// Seconds from the oldest sample to now (at least 1).
    period: i64,
}

fn analyze(ts: &TimeSeries, now_s: i64) -> EventStats {
    let samples: Vec<&Sample> = ts.samples.iter().filter(|s| s.time != 0).collect();
    let n = samples.len() as u64;
    if n == 0 {
        return EventStats {
            avg: 0,
            mad: 0,
            samples: 0,
            period: 0,
        };
    }
    let sum: u64 = samples.iter().map(|s| s.latency).sum();
    let avg = sum / n;
    let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now_s);
    let period = match now_s - oldest {
        0 => 1,
        p => p,
    };
    let dev: u64 = samples
        .iter()
        .map(|s| (avg as i64 - s.latency as i64).unsigned_abs())
        .sum();
    EventStats {
        avg,
        mad: dev / n,
        samples: n,
        period,
    }
}

/// The advice paragraphs, in the order the report prints them.
#[derive(Default)]
struct Advice {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    disable_thp: bool,
}

/// `createLatencyReport` for the events ferrodis can produce.
fn doctor_report(srv: &Server, now_s: i64, thp: bool) -> String {
    let threshold = srv.config.latency_monitor_threshold;
    if srv.latency.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    let mut report = String::new();
    let mut adv = Advice::default();
    let mut advices = 0;
    let mut eventnum = 0;
    for (event, ts) in &srv.latency.events {
        eventnum += 1;
        if eventnum == 1 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let st = analyze(ts, now_s);
        let _ = write!(
            report,
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            eventnum,
            event,
            st.samples,
            st.avg,
            st.mad,
            st.period as f64 / st.samples as f64,
            ts.max
        );
        let ev = event.to_ascii_lowercase();
        match ev.as_str() {
            "command" => {
                let slower_than = srv.config.slowlog_log_slower_than;
                if slower_than < 0 {
                    adv.slowlog_enabled = true;
                    advices += 1;
                } else if slower_than / 1000 > threshold as i64 {
                    adv.slowlog_tuning = true;
                    advices += 1;
                }
                adv.slowlog_inspect = true;
                adv.large_objects = true;
                advices += 2;
            }
            "fast-command" => {
                adv.scheduler = true;
                advices += 1;
            }
            "expire-cycle" => {
                adv.hz = true;
                adv.large_objects = true;
                advices += 2;
            }
            "eviction-del" => {
                adv.large_objects = true;
                advices += 1;
            }
            "eviction-cycle" => {
                adv.mass_eviction = true;
                advices += 1;
            }
            _ => {}
        }
        report.push('\n');
    }
    if thp {
        adv.disable_thp = true;
        advices += 1;
    }
    if eventnum == 0 && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if eventnum > 0 && advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        report.push_str("\nI have a few advices for you:\n\n");
        let suggested = threshold.saturating_mul(1000);
        if adv.slowlog_enabled {
            let _ = writeln!(report, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {suggested}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.");
        }
        if adv.slowlog_tuning {
            let _ = writeln!(report, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {suggested}'.");
        }
        if adv.slowlog_inspect {
            report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if adv.scheduler {
            report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if adv.hz && srv.config.hz < 100 {
            report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }
        if adv.large_objects {
            report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        if adv.mass_eviction {
            report.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
        }
        if adv.disable_thp {
            report.push_str("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
        }
    }
    report
}

/// Bytes of transparent huge pages backing this process (the sum of the
/// `AnonHugePages:` fields of /proc/self/smaps; 0 where there is none).
fn anon_huge_pages_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter(|rest| rest.contains('k'))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_second_samples_keep_the_max() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 300, 1000);
        m.add_sample("command", 250, 1000);
        m.add_sample("command", 400, 1000);
        m.add_sample("command", 100, 1001);
        let ts = m.get(b"command").unwrap();
        let got: Vec<(i64, u64)> = ts.in_order().map(|s| (s.time, s.latency)).collect();
        assert_eq!(got, vec![(1000, 400), (1001, 100)]);
        assert_eq!(ts.max, 400);
        assert_eq!(ts.latest().latency, 100);
    }

    #[test]
    fn ring_keeps_the_last_160() {
        let mut m = LatencyMonitor::default();
        for t in 1..=200 {
            m.add_sample("expire-cycle", t as u64, t);
        }
        let ts = m.get(b"expire-cycle").unwrap();
        let times: Vec<i64> = ts.in_order().map(|s| s.time).collect();
        assert_eq!(times.len(), TS_LEN);
        assert_eq!(times[0], 41);
        assert_eq!(times[159], 200);
        assert_eq!(ts.max, 200);
    }

    #[test]
    fn reset_is_case_insensitive_and_counts() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 1, 1);
        m.add_sample("fast-command", 1, 1);
        assert_eq!(m.reset(Some(b"nope")), 0);
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert!(m.get(b"command").is_none());
        // Lookups by HISTORY / GRAPH are case-sensitive, like Redis's dict.
        assert!(m.get(b"FAST-COMMAND").is_none());
        assert_eq!(m.reset(None), 1);
        assert!(m.is_empty());
    }

    #[test]
    fn graph_matches_redis_layout() {
        // Two samples, 300 ms 2 s ago and 500 ms now: min 300, max 500.
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 300, 98);
        m.add_sample("command", 500, 100);
        let ts = m.get(b"command").unwrap();
        let g = graph("command", ts, 100);
        let expected = format!(
            "command - high 500 ms, low 300 ms (all time high 500 ms)\n{}\n #\n |\n |\n_|\n  \n20\nss\n",
            "-".repeat(80)
        );
        assert_eq!(g, expected);
    }

    #[test]
    fn sparkline_steps() {
        // Values 0..=11 over 12 steps: each value is one step higher.
        let values: Vec<f64> = (0..12).map(|v| v as f64).collect();
        let labels = vec![String::new(); 12];
        let mut out = String::new();
        sparkline(&mut out, &values, &labels, 80, 4);
        // relmax 11: step = trunc(trunc(v*12)/11): 0,1,2,3,4,5,6,7,8,9,10,12->11.
        assert_eq!(
            out,
            "         _o#\n      _o#|||\n   _o#||||||\n_o#|||||||||\n"
        );
    }

    #[test]
    fn doctor_texts() {
        let mut srv = Server::new(crate::config::Config::default());
        let r = doctor_report(&srv, 100, false);
        assert!(r.starts_with("I'm sorry, Dave, I can't do that."));
        srv.config.latency_monitor_threshold = 200;
        let r = doctor_report(&srv, 100, false);
        assert!(r.starts_with("Dave, no latency spike was observed"));
        srv.latency.add_sample("command", 300, 90);
        srv.latency.add_sample("command", 500, 100);
        let r = doctor_report(&srv, 100, false);
        let expected = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n\
            1. command: 2 latency spikes (average 400ms, mean deviation 100ms, period 5.00 sec). Worst all time event 500ms.\n\
            \nI have a few advices for you:\n\n\
            - Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n\
            - Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
        assert_eq!(r, expected);
        // Slow log off: the advice names threshold * 1000 microseconds.
        srv.config.slowlog_log_slower_than = -1;
        let r = doctor_report(&srv, 100, false);
        assert!(r.contains("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 200000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n- Check your Slow Log"), "{r}");
        // Slow log threshold above the monitor's: tuning advice instead.
        srv.config.slowlog_log_slower_than = 300_000;
        let r = doctor_report(&srv, 100, false);
        assert!(
            r.contains(
                "monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 200000'.\n"
            ),
            "{r}"
        );
        // Expire cycles with hz < 100, and transparent huge pages.
        srv.latency.add_sample("expire-cycle", 250, 100);
        let r = doctor_report(&srv, 100, true);
        assert!(r.contains("2. expire-cycle: 1 latency spikes (average 250ms, mean deviation 0ms, period 1.00 sec). Worst all time event 250ms.\n"), "{r}");
        assert!(r.contains("'CONFIG SET hz 100'.\n"), "{r}");
        assert!(
            r.ends_with("to get rid of the huge pages already created.\n"),
            "{r}"
        );
    }

    #[test]
    fn info_percentile_line() {
        let mut h = Histogram::for_command_latency();
        h.record(1000);
        h.record(2000);
        let mut s = String::new();
        percentiles_line(&mut s, "set", &h, &[50.0, 99.0, 99.9]);
        // p50: 1st value, slot [1000, 1004) -> 1.003; p99: 2000 in [2000, 2008).
        assert_eq!(
            s,
            "latency_percentiles_usec_set:p50=1.003,p99=2.007,p99.9=2.007\r\n"
        );
    }
}
