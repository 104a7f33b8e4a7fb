#include "runtime/membership/view_format.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

namespace sophia::runtime::membership {

namespace {

std::vector<std::string> running_on(const running_roles* running,
                                    const std::string& node) {
  if (!running) return {};
  auto i = running->find(node);
  return i == running->end() ? std::vector<std::string>{} : i->second;
}

} // namespace

std::string to_json(const wire::membership_view& view,
                    int indent,
                    const running_roles* running) {
  nlohmann::json nodes = nlohmann::json::array();
  for (auto& m : view.members) {
    nodes.push_back({
      { "name", m.name },
      { "host", m.host },
      { "port", m.port },
      { "roles", m.roles },
      { "state", to_string(m.state) },
      { "since_ms", m.since_unix_ms },
      { "heartbeat_age_ms",
        m.heartbeat_age_ms < 0 ? nlohmann::json(nullptr)
                               : nlohmann::json(m.heartbeat_age_ms) },
    });
    if (running) nodes.back()["running_roles"] = running_on(running, m.name);
  }
  nlohmann::json doc{ { "cluster", view.cluster },
                      { "seen_from", view.seen_from },
                      { "nodes", std::move(nodes) } };
  return doc.dump(indent);
}

namespace {

std::string age(int64_t ms) {
  char buf[32];
  if (ms < 0) return "-";
  if (ms < 10'000)
    std::snprintf(buf, sizeof(buf), "%lld ms", static_cast<long long>(ms));
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof(buf), "%.1f s", ms / 1000.0);
  else
    std::snprintf(buf, sizeof(buf), "%.1f h", ms / 3'600'000.0);
  return buf;
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + x;
  return out.empty() ? "-" : out;
}

} // namespace

std::string to_table(const wire::membership_view& view,
                     int64_t now_unix_ms,
                     const running_roles* running) {
  std::vector<std::vector<std::string>> rows{
    { "NODE", "ADDRESS", "ROLES", "STATE", "SINCE", "LAST HEARTBEAT" }
  };
  if (running) rows[0].push_back("RUNNING");
  for (auto& m : view.members) {
    auto name = m.name == view.seen_from ? m.name + " *" : m.name;
    rows.push_back(
      { name,
        m.host + ":" + std::to_string(m.port),
        join(m.roles),
        to_string(m.state),
        age(std::max<int64_t>(0, now_unix_ms - m.since_unix_ms)) + " ago",
        m.heartbeat_age_ms < 0 ? "never" : age(m.heartbeat_age_ms) + " ago" });
    if (running) rows.back().push_back(join(running_on(running, m.name)));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  std::string out =
    "cluster " + view.cluster + ", seen from " + view.seen_from + " (*)\n";
  for (auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

} // namespace sophia::runtime::membership
