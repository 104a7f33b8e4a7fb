#include "actors/edge/replay_buffer.hpp"

#include <charconv>

namespace sophia::actors::edge {

std::string replay_buffer::add(uint64_t stream, std::string data) {
  auto seq = next_seq_++;
  auto id = make_id(stream, seq);
  if (max_events_ == 0 || data.size() > max_bytes_) {
    dropped_up_to_ = seq;
    return id;
  }
  bytes_ += data.size();
  events_.push_back({ stream, seq, std::move(data) });
  while (events_.size() > max_events_ || bytes_ > max_bytes_) {
    bytes_ -= events_.front().data.size();
    dropped_up_to_ = events_.front().seq;
    events_.pop_front();
  }
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
