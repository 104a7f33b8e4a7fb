#include "actors/pipeline/status_board.hpp"

namespace sophia::actors::pipeline {

void status_board::publish(std::string doc) {
  std::lock_guard<std::mutex> guard{mtx_};
  doc_.swap(doc);
}

std::string status_board::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return doc_;
}

} // namespace sophia::actors::pipeline
