//! What the benchmarks share: this process's memory, as the kernel counts it (Linux only; 0
//! elsewhere).

/// Resets the kernel's high-water mark of this process's resident memory to what it holds now.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The most resident memory this process held since it started or since [`reset_peak_memory`].
pub fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
