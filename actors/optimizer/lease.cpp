#include "actors/optimizer/lease.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

using nlohmann::json;

namespace {

constexpr int64_t minute_ms = 60000;
constexpr int64_t day_ms = 86400000;

std::tm utc(int64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

} // namespace

int64_t window_of(period p, int64_t now_ms) {
  switch (p) {
    case period::minute:
      return now_ms / minute_ms;
    case period::day:
      return now_ms / day_ms;
    case period::month: {
      auto tm = utc(now_ms);
      return int64_t{tm.tm_year - 70} * 12 + tm.tm_mon;
    }
  }
  return 0;
}

std::string next_window(period p, int64_t now_ms) {
  switch (p) {
    case period::minute:
      return "in " + std::to_string((minute_ms - now_ms % minute_ms + 999) / 1000) + " s";
    case period::day:
      return "at 00:00 UTC";
    case period::month:
      return "on the 1st, 00:00 UTC";
  }
  return {};
}

std::string key_limit_id(const std::string& key, const std::string& what) {
  return "api_key/" + key + "/" + what;
}

std::string provider_limit_id(const std::string& provider, const std::string& what) {
  return "provider/" + provider + "/" + what;
}

std::string limit::show(double x) const {
  char buf[48];
  if (usd)
    std::snprintf(buf, sizeof buf, "$%.4f", x);
  else
    std::snprintf(buf, sizeof buf, "%.0f", std::floor(x + 1e-9));
  return buf;
}

std::string encode_asks(const std::string& holder, const std::vector<lease_ask>& asks) {
  auto xs = json::array();
  for (auto& a : asks)
    xs.push_back({{"id", a.id}, {"window", a.window}, {"amount", a.amount},
                  {"used", a.used}, {"granted", a.granted}, {"want", a.want}});
  return json{{"holder", holder}, {"asks", std::move(xs)}}.dump();
}

bool decode_asks(const std::string& text, std::string& holder,
                 std::vector<lease_ask>& asks, std::string& error) {
  auto doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("holder") || !doc["holder"].is_string()
      || doc["holder"].get_ref<const std::string&>().empty()) {
    error = "lease: the payload must be a JSON object with a non-empty string `holder`";
    return false;
  }
  holder = doc["holder"].get<std::string>();
  auto xs = doc.find("asks");
  if (xs == doc.end() || !xs->is_array()) {
    error = "lease: `asks` must be an array";
    return false;
  }
  asks.clear();
  for (size_t i = 0; i < xs->size(); ++i) {
    auto& x = (*xs)[i];
    auto num = [&](const char* k) { return x.contains(k) && x[k].is_number(); };
    if (!x.is_object() || !x.contains("id") || !x["id"].is_string() || !num("window")
        || !num("amount") || !num("used") || !num("granted") || !num("want")) {
      error = "lease: asks[" + std::to_string(i)
              + "] needs a string `id` and numbers `window`, `amount`, `used`, "
                "`granted`, `want`";
      return false;
    }
    lease_ask a{x["id"].get<std::string>(), x["window"].get<int64_t>(),
                x["amount"].get<double>(),  x["used"].get<double>(),
                x["granted"].get<double>(), x["want"].get<double>()};
    if (!std::isfinite(a.amount) || !std::isfinite(a.used) || !std::isfinite(a.granted)
        || !std::isfinite(a.want) || a.amount < 0 || a.used < 0 || a.granted < 0) {
      error = "lease: asks[" + std::to_string(i) + "] (" + a.id
              + "): amounts must be finite, `amount`, `used` and `granted` not negative";
      return false;
    }
    asks.push_back(std::move(a));
  }
  return true;
}

std::string encode_grants(const std::vector<lease_grant>& grants) {
  auto xs = json::array();
  for (auto& g : grants)
    xs.push_back({{"id", g.id}, {"window", g.window}, {"granted", g.granted},
                  {"committed", g.committed}, {"refused", g.refused}});
  return json{{"grants", std::move(xs)}}.dump();
}

bool decode_grants(const std::string& text, std::vector<lease_grant>& grants) {
  auto doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("grants") || !doc["grants"].is_array())
    return false;
  grants.clear();
  for (auto& x : doc["grants"]) {
    if (!x.is_object())
      return false;
    lease_grant g;
    g.id = x.value("id", "");
    g.window = x.value("window", int64_t{0});
    g.granted = x.value("granted", 0.0);
    g.committed = x.value("committed", 0.0);
    g.refused = x.value("refused", "");
    grants.push_back(std::move(g));
  }
  return true;
}

} // namespace sophia::actors::optimizer
