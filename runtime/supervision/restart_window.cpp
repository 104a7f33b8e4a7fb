#include "runtime/supervision/restart_window.hpp"

namespace sophia::runtime::supervision {

restart_window::restart_window(int intensity, std::chrono::milliseconds period)
  : intensity_(intensity < 0 ? 0 : intensity)
  , period_(period) {}

void restart_window::record(time_point now) {
  auto threshold = now - period_;
  while (!times_.empty() && times_.front() < threshold)
    times_.pop_front();
  times_.push_back(now);
}

} // namespace sophia::runtime::supervision
