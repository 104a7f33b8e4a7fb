#pragma once

namespace sophia::runtime::system {

/// Keeps the memory a node frees for its next allocations. By default glibc
/// gives the top of a thread's heap back to the kernel as soon as 128 KiB
/// of it are free, and takes it back page fault by page fault: under load
/// the HTTP client's thread did so some 600 times in 40,000 requests
/// (madvise and mprotect calls, then faults). Up to 16 MiB free per arena
/// now stay in the process, and blocks under 4 MiB (response bodies among
/// them) come from the heap rather than from a mapping of their own.
/// Process-wide; called once at start, before any thread.
void keep_freed_memory();

} // namespace sophia::runtime::system
