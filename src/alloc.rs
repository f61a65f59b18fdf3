//! A counting global allocator (~ Redis's `zmalloc.c` used-memory counter).
//!
//! Every allocation and free adjusts one counter, so INFO's `used_memory`
//! (and `maxmemory` eviction) knows how much the process holds without
//! asking the allocator. Like Redis's zmalloc, the counter counts the bytes
//! the allocator really hands out: each request is rounded up to its
//! jemalloc size class by arithmetic ([`size_class`]), which costs a few
//! instructions instead of a call into the allocator.
//!
//! The underlying allocator is jemalloc, as in Redis (same size classes and
//! fragmentation behaviour, so memory figures compare like with like).
//!
//! The server is single-threaded, but a `GlobalAlloc` must be `Sync`, so the
//! counter is an atomic with relaxed ordering (one uncontended add per
//! allocation, the same cost Redis pays).

use std::alloc::{GlobalAlloc, Layout};

use std::sync::atomic::{AtomicUsize, Ordering};
use tikv_jemallocator::Jemalloc as System;

pub struct CountingAlloc;

static USED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The jemalloc size class that serves a request of `size` bytes: 8, then
/// multiples of 16 up to 128, then four classes per power of two (e.g.
/// 160, 192, 224, 256, 320...). Alignments above 16 are rare here and are
/// counted at their size class too.
#[inline]
pub fn size_class(size: usize) -> usize {
    if size <= 8 {
        return 8;
    }
    if size <= 128 {
        return (size + 15) & !15;
    }
    // Group (2^k, 2^(k+1)] is split into 4 classes of 2^(k-2) bytes.
    let k = usize::BITS - (size - 1).leading_zeros() - 1;
    let delta = 1usize << (k - 2);
    (size + delta - 1) & !(delta - 1)
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarding the caller's layout to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            USED.fetch_add(size_class(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr was returned by `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        USED.fetch_sub(size_class(layout.size()), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            USED.fetch_add(size_class(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: ptr/layout come from this allocator; contract forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let (old, new) = (size_class(layout.size()), size_class(new_size));
            if new > old {
                USED.fetch_add(new - old, Ordering::Relaxed);
            } else {
                USED.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Bytes currently allocated through the global allocator.
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// INFO's `mem_allocator`.
pub const ALLOCATOR_NAME: &str = "jemalloc-5.3.0";

/// `jemalloc-bg-thread` (Redis's `set_jemalloc_bg_thread`): jemalloc's own
/// background thread returns freed pages to the OS over time, so the RSS of
/// an idle server follows what it frees (after a crowd of clients left, or
/// a big key was deleted) instead of waiting for the next allocations. It
/// is the allocator's thread, never touching the keyspace.
pub fn set_background_thread(enable: bool) {
    let mut value = enable;
    // SAFETY: "background_thread" is a documented bool-valued mallctl; the
    // new-value pointer and length describe `value`, which outlives the
    // call, and no old value is requested.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"background_thread".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut value as *mut bool as *mut std::ffi::c_void,
            std::mem::size_of::<bool>(),
        );
    }
}

/// Highest `used_memory` observed by [`update_peak`].
pub fn peak_memory() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Record the current usage as the peak if it is higher (called from the
/// cron and INFO, like Redis's `stat_peak_memory`).
pub fn update_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Ordering::Relaxed);
    peak_memory()
}

/// Resident set size from /proc (0 where unavailable).
pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<usize>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Total physical memory from /proc/meminfo (0 where unavailable).
pub fn total_system_memory() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<usize>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// User and system CPU seconds of this process, from /proc/self/stat.
pub fn cpu_times() -> (f64, f64) {
    let s = match std::fs::read_to_string("/proc/self/stat") {
        Ok(s) => s,
        Err(_) => return (0.0, 0.0),
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = match s.rfind(')') {
        Some(i) => &s[i + 1..],
        None => return (0.0, 0.0),
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn jemalloc_size_classes() {
        let expect = [
            (1, 8),
            (8, 8),
            (9, 16),
            (24, 32),
            (48, 48),
            (100, 112),
            (128, 128),
            (129, 160),
            (200, 224),
            (257, 320),
            (1025, 1280),
            (4096, 4096),
            (4097, 5120),
            (16385, 20480),
            (1 << 20, 1 << 20),
        ];
        for (req, class) in expect {
            assert_eq!(size_class(req), class, "request {}", req);
        }
    }
}
