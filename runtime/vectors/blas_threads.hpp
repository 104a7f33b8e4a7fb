#pragma once

namespace sophia::runtime::vectors {

/// Sets the threads OpenBLAS runs one BLAS call on, for the whole process
/// (OpenBLAS 0.3.21 has no per-thread setting). Callers that already run
/// several searches at once (one per shard) set 1: a threaded call would
/// compete with them for the cores, and OpenBLAS's pthread build lets one
/// threaded level-3 call run at a time.
void set_blas_threads(int n);

/// The threads OpenBLAS runs one BLAS call on.
int blas_threads();

} // namespace sophia::runtime::vectors
