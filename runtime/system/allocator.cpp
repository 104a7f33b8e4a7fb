#include "runtime/system/allocator.hpp"

#include <malloc.h>

namespace sophia::runtime::system {

void keep_freed_memory() {
  // Setting either fixes both: glibc then no longer adapts the mapping
  // threshold to the sizes freed.
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

} // namespace sophia::runtime::system
