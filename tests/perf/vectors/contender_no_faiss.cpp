// Stand-ins for the FAISS contenders where libfaiss-dev is not installed:
// the benchmark then runs our rows alone and says so.

#include "contender.hpp"

namespace sophia::bench::vectors {

std::unique_ptr<contender> make_faiss_flat() {
  return nullptr;
}

std::unique_ptr<contender> make_faiss_flat(int) {
  return nullptr;
}

std::unique_ptr<contender> make_faiss_hnsw(const hnsw_params&) {
  return nullptr;
}

bool have_faiss() {
  return false;
}

std::string faiss_note() {
  return "FAISS not found (install libfaiss-dev and reconfigure for the "
         "comparison rows)";
}

void set_faiss_threads(int) {}

} // namespace sophia::bench::vectors
