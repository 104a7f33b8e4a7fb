#include "gpu/device.hpp"

namespace sophia::gpu {

#ifdef SOPHIA_HAVE_CUDA
// Defined in cuda/probe.cu: the only place that touches the CUDA runtime.
inventory cuda_probe();
#endif

inventory probe() {
#ifdef SOPHIA_HAVE_CUDA
  return cuda_probe();
#else
  inventory result;
  result.note = "built without CUDA (SOPHIA_CUDA=OFF or no nvcc)";
  return result;
#endif
}

} // namespace sophia::gpu
