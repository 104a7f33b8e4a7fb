#include "gpu/device.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

namespace sophia::gpu {

inventory cuda_probe() {
  inventory result;
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess)
    result.nccl_version = nccl;
  // The count is left untouched on error (e.g. error 35 when libcuda is
  // missing), so it must start at 0.
  int count = 0;
  auto err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    result.note = err != cudaSuccess ? cudaGetErrorName(err) : "no CUDA device";
    return result;
  }
  result.backend = "cuda";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
      continue;
    result.devices.push_back(
      {i, prop.name, prop.totalGlobalMem, prop.major, prop.minor});
  }
  return result;
}

} // namespace sophia::gpu
