#include "actors/edge/replay_buffer.hpp"

#include <algorithm>
#include <charconv>

namespace sophia::actors::edge {

void replay_budget::trim() {
  while (used_ > max_bytes_ && !oldest_.empty()) {
    oldest_.begin()->second->drop_oldest();
    ++dropped_;
  }
}

replay_buffer::~replay_buffer() {
  if (budget_ == nullptr || events_.empty()) return;
  budget_->oldest_.erase({ events_.front().age, this });
  budget_->used_ -= bytes_;
}

void replay_buffer::drop_oldest() {
  auto& e = events_.front();
  bytes_ -= e.data.size();
  dropped_up_to_ = e.seq;
  if (budget_ != nullptr) {
    budget_->used_ -= e.data.size();
    budget_->oldest_.erase({ e.age, this });
  }
  events_.pop_front();
  if (budget_ != nullptr && !events_.empty())
    budget_->oldest_.emplace(events_.front().age, this);
}

std::string replay_buffer::add(uint64_t stream, std::string data) {
  auto seq = next_seq_++;
  auto id = make_id(stream, seq);
  auto limit = max_bytes_;
  if (budget_ != nullptr) limit = std::min(limit, budget_->max_bytes());
  if (max_events_ == 0 || data.size() > limit) {
    dropped_up_to_ = seq;
    return id;
  }
  uint64_t age = budget_ != nullptr ? budget_->next_age_++ : 0;
  bytes_ += data.size();
  if (budget_ != nullptr) {
    budget_->used_ += data.size();
    if (events_.empty()) budget_->oldest_.emplace(age, this);
  }
  events_.push_back({ stream, seq, age, std::move(data) });
  while (events_.size() > max_events_ || bytes_ > max_bytes_)
    drop_oldest();
  if (budget_ != nullptr) budget_->trim();
  return id;
}

std::optional<std::vector<const replay_buffer::event*>> replay_buffer::after(
  uint64_t stream,
  uint64_t seq) const {
  // Events newer than `seq` that were dropped may have belonged to `stream`:
  // we do not know, so the replay would have a hole.
  if (dropped_up_to_ > seq) return std::nullopt;
  std::vector<const event*> out;
  for (auto& e : events_)
    if (e.stream == stream && e.seq > seq) out.push_back(&e);
  return out;
}

std::optional<std::pair<uint64_t, uint64_t>> replay_buffer::parse_id(
  std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint64_t stream = 0;
  uint64_t seq = 0;
  auto first = id.data();
  auto [p1, e1] = std::from_chars(first, first + dash, stream);
  if (e1 != std::errc{} || p1 != first + dash || dash == 0) return std::nullopt;
  auto rest = id.substr(dash + 1);
  auto [p2, e2] = std::from_chars(rest.data(), rest.data() + rest.size(), seq);
  if (e2 != std::errc{} || p2 != rest.data() + rest.size() || rest.empty())
    return std::nullopt;
  return std::pair{ stream, seq };
}

std::string replay_buffer::make_id(uint64_t stream, uint64_t seq) {
  return std::to_string(stream) + "-" + std::to_string(seq);
}

} // namespace sophia::actors::edge
