//! A cache prefetch hint (one of the two places darkscope uses `unsafe`;
//! the other maps input files, in `source::input`).
//!
//! Prefetching the hash-table slots of a batch of packets before touching
//! them lets their cache misses overlap; `benches/pipeline.rs` measures the
//! aggregate stage with and without it (see the README's performance notes).

/// Asks the CPU to bring every cache line of `value` closer.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    let start = value as *const T as usize;
    let end = start + std::mem::size_of::<T>().max(1);
    let mut line = start & !63;
    while line < end {
        prefetch_line(line);
        line += 64;
    }
}

#[inline(always)]
fn prefetch_line(address: usize) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: `_mm_prefetch` is only a hint: it never faults, not even on an
    // invalid address, and it neither reads nor writes program-visible
    // memory. The addresses come from the lines of a live reference anyway.
    // SSE is part of the x86_64 baseline, so the target feature is present.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(address as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
