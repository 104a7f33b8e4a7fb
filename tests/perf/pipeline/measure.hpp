#pragma once

// What a round costs besides its wall time: CPU of this process and of
// the PostgreSQL backend serving it, and this process's resident memory.

#include <sys/types.h>

namespace sophia::bench::pipeline {

/// User plus system CPU time of this process, seconds.
double process_cpu_seconds();

/// User plus system CPU time of process `pid` (a PostgreSQL backend, run
/// as another user: /proc/PID/stat is readable), seconds; 0 if gone.
double cpu_seconds_of(pid_t pid);

/// This process's resident set (VmRSS), KiB.
long rss_kib();

/// The highest resident set since the last `reset_peak_rss` (VmHWM), KiB.
long peak_rss_kib();

/// Starts a new peak (writes 5 to /proc/self/clear_refs); false when the
/// kernel refuses, and the peak is then the process's lifetime peak.
bool reset_peak_rss();

} // namespace sophia::bench::pipeline
