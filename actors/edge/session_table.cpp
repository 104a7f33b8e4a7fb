#include "actors/edge/session_table.hpp"

namespace sophia::actors::edge {

session* session_table::find(const std::string& id) const {
  auto i = sessions_.find(id);
  return i == sessions_.end() ? nullptr : i->second.get();
}

void session_table::touch(session& s, time_point now) {
  s.last_used = now;
  lru_.splice(lru_.end(), lru_, s.lru_pos);
  auto c = per_client_.find(s.client);
  if (c != per_client_.end())
    c->second.lru.splice(c->second.lru.end(), c->second.lru, s.client_pos);
}

bool session_table::evictable(const session& s) {
  // stdio's one session lasts as long as its process.
  if (s.stdio || !s.requests.empty()) return false;
  for (auto& [sid, st] : s.streams)
    if (st.out && st.out->alive()) return false;
  return true;
}

session* session_table::oldest_evictable(const std::list<session*>& lru) {
  for (auto* s : lru)
    if (evictable(*s)) return s;
  return nullptr;
}

session_table::room session_table::make_room(std::string_view client,
                                             std::vector<std::string>& victims,
                                             end_reason& why) {
  auto c = per_client_.find(std::string{ client });
  if (c != per_client_.end() && c->second.lru.size() >= limits_.per_client) {
    // Over its quota, a client pays with its own sessions, never others'.
    auto* s = oldest_evictable(c->second.lru);
    if (s == nullptr) {
      ++counters_.refused_client_full;
      return room::client_full;
    }
    victims.push_back(s->id);
    why = end_reason::evicted_quota;
    return room::ok;
  }
  if (sessions_.size() < limits_.max_sessions) return room::ok;
  auto* s = oldest_evictable(lru_);
  if (s == nullptr) {
    ++counters_.refused_full;
    return room::full;
  }
  victims.push_back(s->id);
  why = end_reason::evicted_capacity;
  return room::ok;
}

session& session_table::insert(std::unique_ptr<session> s, time_point now) {
  auto& x = *s;
  x.last_used = now;
  x.lru_pos = lru_.insert(lru_.end(), &x);
  auto& c = per_client_[x.client];
  x.client_pos = c.lru.insert(c.lru.end(), &x);
  ++counters_.opened;
  sessions_.emplace(x.id, std::move(s));
  return x;
}

std::unique_ptr<session> session_table::erase(const std::string& id,
                                              end_reason why) {
  auto i = sessions_.find(id);
  if (i == sessions_.end()) return nullptr;
  auto s = std::move(i->second);
  sessions_.erase(i);
  lru_.erase(s->lru_pos);
  if (auto c = per_client_.find(s->client); c != per_client_.end()) {
    c->second.lru.erase(s->client_pos);
    if (c->second.lru.empty()) per_client_.erase(c);
  }
  switch (why) {
    case end_reason::deleted: ++counters_.deleted; break;
    case end_reason::idle: ++counters_.expired_idle; break;
    case end_reason::evicted_capacity: ++counters_.evicted_capacity; break;
    case end_reason::evicted_quota: ++counters_.evicted_quota; break;
  }
  return s;
}

std::vector<std::string> session_table::idle_since(time_point cutoff) const {
  std::vector<std::string> out;
  // Least recently active first: stop at the first one used since.
  for (auto* s : lru_) {
    if (s->last_used >= cutoff) break;
    if (!s->stdio && s->requests.empty()) out.push_back(s->id);
  }
  return out;
}

std::string_view session_table::to_string(end_reason r) {
  switch (r) {
    case end_reason::deleted: return "deleted by the client";
    case end_reason::idle: return "idle";
    case end_reason::evicted_capacity:
      return "evicted: the edge is at max_sessions";
    case end_reason::evicted_quota:
      return "evicted: its client is at max_sessions_per_client";
  }
  return "?";
}

} // namespace sophia::actors::edge
