//! A High Dynamic Range histogram with the exact layout of the C library
//! `hdr_histogram` that Redis links (`deps/hdr_histogram`), reduced to what
//! Redis's per-command latency tracking uses: `hdr_init`,
//! `hdr_record_value`, `hdr_value_at_percentile` and the logarithmic
//! iterator. Reproducing the layout bit for bit matters because LATENCY
//! HISTOGRAM and INFO latencystats print bucket boundaries, not the
//! recorded values: the same durations must give the same numbers as Redis.
//!
//! # The layout
//!
//! Values are integers. With `s` significant figures the histogram must
//! tell apart any two values that differ by more than one part in `10^s`,
//! so it needs `2·10^s` distinct slots per "magnitude", rounded up to a
//! power of two: the *sub-bucket count* (256 for `s = 2`). Bucket 0 covers
//! `[0, 256)` one unit per slot; bucket `b > 0` covers
//! `[128·2^b, 256·2^b)` in 128 slots of width `2^b` (its lower half would
//! repeat the previous bucket, so only the upper half is stored). Hence the
//! flat index of a value is `(b + 1)·128 + (sub − 128)` where
//! `sub = value >> b` and `b` is found from the value's highest set bit.
//! Every value maps to a slot whose *equivalent range* is `[low, low+2^b)`;
//! a query answers with an end of that range, never with the value itself.
//! `lowest_discernible_value` (1 in Redis) scales everything by
//! `2^unit_magnitude`; with 1 the unit is one nanosecond.
//!
//! Redis uses lowest 1, highest 1,000,000,000 (one second in ns) and 2
//! significant figures: 23 buckets, 3,072 counters (24 KiB), allocated the
//! first time a command runs.
//!
//! # Percentiles
//!
//! The value at percentile `p` is found by walking the counters until the
//! running count reaches `round(p/100 · total)` (at least 1), and answering
//! the *highest* value equivalent to that slot (the lowest for `p = 0`).
//!
//! # The logarithmic iterator
//!
//! `LATENCY HISTOGRAM` walks the counters reporting at levels 1024, 2048,
//! 4096... (ns). At each level the iterator has consumed every slot up to and
//! including the slot holding the level itself, and it reports the running
//! count together with the *highest equivalent value of the last slot it
//! consumed* — so the level 1024 reports slot `[1024, 1032)` and prints as
//! 1 µs (1031 / 1000), the level 1,048,576 prints as 1056 µs. It stops once
//! every count was consumed and the next slot lies below the next level.
//! When the counters run out before a level is reached (values above
//! 2^29 ns) it reports one last time with the state of the final slot
//! (1,073,741,823 ns, printed as 1073741 µs). [`Histogram::log_iter`]
//! reproduces these steps, quirks included.

/// A histogram of non-negative integer values.
#[derive(Clone)]
pub struct Histogram {
    unit_magnitude: u32,
    sub_bucket_half_count_magnitude: u32,
    sub_bucket_half_count: i64,
    sub_bucket_count: i64,
    sub_bucket_mask: i64,
    counts: Vec<u64>,
    total_count: u64,
}

impl Histogram {
    /// `hdr_init`: track values from `lowest` to `highest` with
    /// `sig_figs` (1..=5) significant decimal figures. None for the
    /// parameter combinations the C library refuses.
    pub fn new(lowest: i64, highest: i64, sig_figs: u32) -> Option<Histogram> {
        if lowest < 1 || !(1..=5).contains(&sig_figs) || lowest.checked_mul(2)? > highest {
            return None;
        }
        let single_unit_range = 2 * 10i64.pow(sig_figs);
        // ceil(log2(single_unit_range)): the smallest m with 2^m >= it.
        let mut sub_bucket_count_magnitude = 0u32;
        while (1i64 << sub_bucket_count_magnitude) < single_unit_range {
            sub_bucket_count_magnitude += 1;
        }
        let sub_bucket_half_count_magnitude = sub_bucket_count_magnitude.max(1) - 1;
        // floor(log2(lowest)).
        let unit_magnitude = 63 - lowest.leading_zeros();
        if unit_magnitude + sub_bucket_half_count_magnitude > 61 {
            return None;
        }
        let sub_bucket_count = 1i64 << (sub_bucket_half_count_magnitude + 1);
        let sub_bucket_half_count = sub_bucket_count / 2;
        let sub_bucket_mask = (sub_bucket_count - 1) << unit_magnitude;
        // Buckets needed so that the first untrackable value exceeds `highest`.
        let mut smallest_untrackable = sub_bucket_count << unit_magnitude;
        let mut bucket_count = 1i64;
        while smallest_untrackable <= highest {
            if smallest_untrackable > i64::MAX / 2 {
                bucket_count += 1;
                break;
            }
            smallest_untrackable <<= 1;
            bucket_count += 1;
        }
        let counts_len = usize::try_from((bucket_count + 1) * sub_bucket_half_count).ok()?;
        Some(Histogram {
            unit_magnitude,
            sub_bucket_half_count_magnitude,
            sub_bucket_half_count,
            sub_bucket_count,
            sub_bucket_mask,
            counts: vec![0; counts_len],
            total_count: 0,
        })
    }

    /// The histogram Redis keeps per command: 1 ns to 1 s, 2 figures.
    pub fn for_command_latency() -> Histogram {
        Histogram::new(LATENCY_MIN_NS, LATENCY_MAX_NS, 2).expect("constant parameters are valid")
    }

    /// Number of recorded values.
    pub fn total_count(&self) -> u64 {
        self.total_count
    }

    /// Number of counters (the memory is 8 bytes each).
    pub fn counts_len(&self) -> usize {
        self.counts.len()
    }

    fn bucket_index(&self, value: i64) -> i32 {
        let pow2ceiling = 64 - (value | self.sub_bucket_mask).leading_zeros() as i32;
        pow2ceiling - self.unit_magnitude as i32 - (self.sub_bucket_half_count_magnitude as i32 + 1)
    }

    fn sub_bucket_index(&self, value: i64, bucket: i32) -> i64 {
        value >> (bucket + self.unit_magnitude as i32)
    }

    fn counts_index(&self, bucket: i32, sub: i64) -> i64 {
        (((bucket + 1) as i64) << self.sub_bucket_half_count_magnitude)
            + (sub - self.sub_bucket_half_count)
    }

    /// The lowest value that maps to counter `index`.
    fn value_at_index(&self, index: i64) -> i64 {
        let mut bucket = (index >> self.sub_bucket_half_count_magnitude) - 1;
        let mut sub = (index & (self.sub_bucket_half_count - 1)) + self.sub_bucket_half_count;
        if bucket < 0 {
            sub -= self.sub_bucket_half_count;
            bucket = 0;
        }
        sub << (bucket + self.unit_magnitude as i64)
    }

    fn range_size(&self, bucket: i32, sub: i64) -> i64 {
        let adjusted = if sub >= self.sub_bucket_count {
            bucket + 1
        } else {
            bucket
        };
        1i64 << (self.unit_magnitude as i32 + adjusted)
    }

    /// `lowest_equivalent_value`: the start of `value`'s slot.
    pub fn lowest_equivalent(&self, value: i64) -> i64 {
        let b = self.bucket_index(value);
        let sub = self.sub_bucket_index(value, b);
        sub << (b + self.unit_magnitude as i32)
    }

    /// `highest_equivalent_value`: the last value of `value`'s slot.
    pub fn highest_equivalent(&self, value: i64) -> i64 {
        let b = self.bucket_index(value);
        let sub = self.sub_bucket_index(value, b);
        self.lowest_equivalent(value) + self.range_size(b, sub) - 1
    }

    /// `hdr_record_value`: count one occurrence of `value`. False (and
    /// nothing recorded) when the value is negative or beyond the range.
    pub fn record(&mut self, value: i64) -> bool {
        if value < 0 {
            return false;
        }
        let b = self.bucket_index(value);
        let idx = self.counts_index(b, self.sub_bucket_index(value, b));
        match usize::try_from(idx)
            .ok()
            .and_then(|i| self.counts.get_mut(i))
        {
            Some(c) => {
                *c += 1;
                self.total_count += 1;
                true
            }
            None => false,
        }
    }

    /// `hdr_value_at_percentile`.
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let requested = if percentile < 100.0 {
            percentile
        } else {
            100.0
        };
        let wanted = ((requested / 100.0) * self.total_count as f64 + 0.5) as i64;
        let wanted = wanted.max(1) as u64;
        let mut running = 0u64;
        let mut found = 0i64;
        for (i, &c) in self.counts.iter().enumerate() {
            running += c;
            if running >= wanted {
                found = self.value_at_index(i as i64);
                break;
            }
        }
        if percentile == 0.0 {
            self.lowest_equivalent(found)
        } else {
            self.highest_equivalent(found)
        }
    }

    /// `hdr_iter_log_init` + `hdr_iter_next`: report levels `first`,
    /// `first·base`, ... (see the module docs for what each step holds).
    pub fn log_iter(&self, first: i64, base: i64) -> LogIter<'_> {
        LogIter {
            h: self,
            index: -1,
            cumulative: 0,
            highest_equivalent: 0,
            value: 0,
            next_level: first,
            next_level_lowest: self.lowest_equivalent(first),
            base,
        }
    }
}

/// Redis's `LATENCY_HISTOGRAM_MIN_VALUE` (ns).
pub const LATENCY_MIN_NS: i64 = 1;
/// Redis's `LATENCY_HISTOGRAM_MAX_VALUE` (ns): one second.
pub const LATENCY_MAX_NS: i64 = 1_000_000_000;

/// One step of the logarithmic iterator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStep {
    /// Highest value equivalent to the last counter consumed.
    pub highest_equivalent: i64,
    /// Values counted so far (every counter up to that one).
    pub cumulative: u64,
}

/// The logarithmic iterator (see [`Histogram::log_iter`]).
pub struct LogIter<'a> {
    h: &'a Histogram,
    index: i64,
    cumulative: u64,
    highest_equivalent: i64,
    value: i64,
    next_level: i64,
    next_level_lowest: i64,
    base: i64,
}

impl LogIter<'_> {
    /// Consume the next counter; false when there is none.
    fn move_next(&mut self) -> bool {
        self.index += 1;
        let Some(&count) = usize::try_from(self.index)
            .ok()
            .and_then(|i| self.h.counts.get(i))
        else {
            return false;
        };
        self.cumulative += count;
        let value = self.h.value_at_index(self.index);
        let b = self.h.bucket_index(value);
        let sub = self.h.sub_bucket_index(value, b);
        let low = sub << (b + self.h.unit_magnitude as i32);
        self.value = value;
        self.highest_equivalent = low + self.h.range_size(b, sub) - 1;
        true
    }

    fn step(&self) -> LogStep {
        LogStep {
            highest_equivalent: self.highest_equivalent,
            cumulative: self.cumulative,
        }
    }
}

impl Iterator for LogIter<'_> {
    type Item = LogStep;

    fn next(&mut self) -> Option<LogStep> {
        let more_counts = self.cumulative < self.h.total_count;
        let next_slot_beyond_level = (self.index as i128) < self.h.counts.len() as i128
            && self.h.value_at_index(self.index + 1) > self.next_level_lowest;
        if !more_counts && !next_slot_beyond_level {
            return None;
        }
        loop {
            if self.value >= self.next_level_lowest {
                self.next_level = self.next_level.saturating_mul(self.base);
                self.next_level_lowest = self.h.lowest_equivalent(self.next_level);
                return Some(self.step());
            }
            if !self.move_next() {
                return Some(self.step());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(h: &Histogram) -> Vec<(i64, u64)> {
        h.log_iter(1024, 2)
            .map(|s| (s.highest_equivalent / 1000, s.cumulative))
            .collect()
    }

    #[test]
    fn redis_parameters_give_the_c_layout() {
        let h = Histogram::for_command_latency();
        // 2 figures: 256 sub-buckets, 23 buckets, (23 + 1) * 128 counters.
        assert_eq!(h.sub_bucket_count, 256);
        assert_eq!(h.sub_bucket_half_count_magnitude, 7);
        assert_eq!(h.unit_magnitude, 0);
        assert_eq!(h.counts_len(), 3072);
        // Values below 256 are exact; above, slots double with each bucket.
        assert_eq!(h.lowest_equivalent(255), 255);
        assert_eq!(h.highest_equivalent(255), 255);
        assert_eq!(h.lowest_equivalent(257), 256);
        assert_eq!(h.highest_equivalent(257), 257);
        assert_eq!(h.lowest_equivalent(1000), 1000);
        assert_eq!(h.highest_equivalent(1000), 1003);
        assert_eq!(h.highest_equivalent(1024), 1031);
        // 1e9 = 238 * 2^22 + 1,755,648: slot [998244352, 1002438656).
        assert_eq!(h.lowest_equivalent(1_000_000_000), 998_244_352);
        assert_eq!(h.highest_equivalent(1_000_000_000), 1_002_438_655);
        // Last counter: bucket 22, sub 255.
        assert_eq!(h.value_at_index(3071), 255 << 22);
        assert_eq!(h.value_at_index(127), 127);
        assert_eq!(h.value_at_index(128), 128);
        assert_eq!(h.value_at_index(256), 256);
        assert_eq!(h.value_at_index(384), 512);
    }

    #[test]
    fn record_rejects_out_of_range() {
        let mut h = Histogram::for_command_latency();
        assert!(!h.record(-1));
        assert!(h.record(1_000_000_000));
        // 2^30 needs bucket 23, which Redis's histogram does not have.
        assert!(!h.record(1 << 30));
        assert_eq!(h.total_count(), 1);
        assert!(Histogram::new(0, 10, 2).is_none());
        assert!(Histogram::new(1, 1, 2).is_none());
        assert!(Histogram::new(1, 10, 6).is_none());
    }

    #[test]
    fn percentiles_answer_slot_ends() {
        let mut h = Histogram::for_command_latency();
        // 1 µs, 2 µs, 3 µs, 4 µs, 100 ms.
        for v in [1000, 2000, 3000, 4000, 100_000_000] {
            h.record(v);
        }
        // p50: (0.5 * 5 + 0.5) = 3rd value = 3000; 3000 < 2^12 is in
        // bucket 4 (slots of 16): 3000 >> 4 = 187, slot [2992, 3008).
        assert_eq!(h.value_at_percentile(50.0), 3007);
        // p99: 4.95 + 0.5 -> 5th value. 2^26 < 1e8 < 2^27: bucket 19,
        // 1e8 >> 19 = 190, slot [190 * 2^19, 191 * 2^19).
        assert_eq!(h.value_at_percentile(99.0), 100_139_007);
        assert_eq!(h.value_at_percentile(100.0), 100_139_007);
        assert_eq!(h.value_at_percentile(150.0), 100_139_007);
        // p0 answers the lowest end of the first slot.
        assert_eq!(h.value_at_percentile(0.0), 1000);
        // p10: (0.5 + 0.5) -> 1st value, 1000 in bucket 2: slot [1000, 1004).
        assert_eq!(h.value_at_percentile(10.0), 1003);
    }

    #[test]
    fn log_iterator_reports_like_latency_histogram() {
        let mut h = Histogram::for_command_latency();
        // One value below the first level: reported at level 1024 as 1 µs.
        h.record(500);
        assert_eq!(steps(&h), vec![(1, 1)]);
        // Values inside [1024,1032) are counted at level 1024 too.
        h.record(1031);
        assert_eq!(steps(&h), vec![(1, 2)]);
        // 1032 belongs to level 2048 (slot [2048, 2064) -> 2 µs). Every
        // level is still visited; Redis prints only growing counts.
        h.record(1032);
        assert_eq!(steps(&h), vec![(1, 2), (2, 3)]);
        h.record(5_000);
        assert_eq!(steps(&h), vec![(1, 2), (2, 3), (4, 3), (8, 4)]);
    }

    #[test]
    fn log_iterator_level_labels() {
        // The label of each level is the end of the slot holding the level.
        let mut h = Histogram::for_command_latency();
        h.record(536_870_912);
        let all: Vec<i64> = steps(&h).into_iter().map(|s| s.0).collect();
        assert_eq!(
            all,
            vec![
                1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633,
                135266, 270532, 541065
            ]
        );
    }

    #[test]
    fn log_iterator_past_the_last_level() {
        // A one-second value lies beyond the 2^29 level and before 2^30,
        // which the counters never reach: the last step reports the final
        // counter's end, 1,073,741,823 ns.
        let mut h = Histogram::for_command_latency();
        h.record(1_000_000_000);
        let all = steps(&h);
        assert_eq!(all.len(), 21);
        assert_eq!(all[19], (541_065, 0));
        assert_eq!(all[20], (1_073_741, 1));
    }

    #[test]
    fn empty_histogram_iterates_nothing() {
        let h = Histogram::for_command_latency();
        assert_eq!(steps(&h), vec![]);
    }
}
