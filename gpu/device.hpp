#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sophia::gpu {

/// One CUDA device as the runtime reports it.
struct device_info {
  int index = 0;
  std::string name;
  size_t memory_bytes = 0;
  int compute_major = 0;
  int compute_minor = 0;
};

/// What this process can use for GPU work.
struct inventory {
  /// "cuda" when built with CUDA and a device answered, else "cpu".
  std::string backend = "cpu";
  std::vector<device_info> devices;
  /// NCCL version (e.g. 22809), 0 when built without NCCL.
  int nccl_version = 0;
  /// Why there is no GPU, for the log (e.g. "built without CUDA",
  /// "cudaErrorInsufficientDriver").
  std::string note;
};

/// Probes the CUDA runtime once. Never fails: a machine without a GPU, a
/// driver or nvcc at build time gets the CPU backend.
inventory probe();

} // namespace sophia::gpu
