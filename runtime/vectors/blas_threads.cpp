#include "runtime/vectors/blas_threads.hpp"

#include <cblas.h>

namespace sophia::runtime::vectors {

void set_blas_threads(int n) {
  openblas_set_num_threads(n < 1 ? 1 : n);
}

int blas_threads() {
  return openblas_get_num_threads();
}

} // namespace sophia::runtime::vectors
