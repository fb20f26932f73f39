//! Peak resident memory of this process, for summaries and manifests.

pub use hexmatrix_contract::peak_rss_bytes;

/// Formats a byte count as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Resets the kernel's peak-RSS mark of this process (`/proc/self/clear_refs` = 5),
/// so the next [`peak_rss_bytes`] reports the peak of one stage, not of the run.
/// Returns whether the kernel accepted it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}
