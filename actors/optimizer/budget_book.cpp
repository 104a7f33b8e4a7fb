#include "actors/optimizer/budget_book.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

namespace {

constexpr int64_t day_ms = 86400000;

int64_t day_of(int64_t ms) {
  return ms / day_ms;
}

int64_t month_of(int64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return int64_t{tm.tm_year} * 12 + tm.tm_mon;
}

std::string usd(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", x);
  return buf;
}

} // namespace

void budget_book::set_limits(std::map<std::string, key_limits> limits) {
  limits_ = std::move(limits);
}

budget_book::account& budget_book::at(const std::string& key, int64_t now_ms) {
  auto& a = accounts_[key];
  if (a.day != day_of(now_ms)) {
    a.day = day_of(now_ms);
    a.day_spent = 0;
  }
  if (a.month != month_of(now_ms)) {
    a.month = month_of(now_ms);
    a.month_spent = 0;
  }
  while (!a.calls.empty() && a.calls.front() <= now_ms - 60000)
    a.calls.pop_front();
  return a;
}

std::variant<double, std::string> budget_book::admit(const std::string& key,
                                                     int64_t now_ms) {
  auto l = limits_.find(key);
  if (l == limits_.end())
    return unlimited;
  auto& lim = l->second;
  auto& a = at(key, now_ms);
  auto where = "[api_keys." + key + "] ";
  if (lim.calls_per_minute > 0
      && static_cast<int64_t>(a.calls.size()) >= lim.calls_per_minute) {
    auto wait_s = (a.calls.front() + 60000 - now_ms + 999) / 1000;
    return "API key " + key + " made " + std::to_string(a.calls.size())
           + " ai.intelligent_generate calls in the last minute (" + where
           + "ai_calls_per_minute = " + std::to_string(lim.calls_per_minute)
           + "); retry in " + std::to_string(wait_s) + " s";
  }
  double left = unlimited;
  if (lim.daily_usd > 0) {
    auto d = lim.daily_usd - a.day_spent - a.in_flight;
    if (d <= 0)
      return "API key " + key + " has spent its daily AI budget: " + usd(a.day_spent)
             + " spent and " + usd(a.in_flight) + " in flight of " + usd(lim.daily_usd)
             + " (" + where + "daily_budget_cents); it resets at 00:00 UTC";
    left = std::min(left, d);
  }
  if (lim.monthly_usd > 0) {
    auto m = lim.monthly_usd - a.month_spent - a.in_flight;
    if (m <= 0)
      return "API key " + key + " has spent its monthly AI budget: "
             + usd(a.month_spent) + " spent and " + usd(a.in_flight) + " in flight of "
             + usd(lim.monthly_usd) + " (" + where
             + "monthly_budget_cents); it resets on the 1st, 00:00 UTC";
    left = std::min(left, m);
  }
  if (lim.calls_per_minute > 0)
    a.calls.push_back(now_ms);
  return left;
}

std::string budget_book::refusal(const std::string& key, double estimate_usd,
                                 int64_t now_ms) {
  auto l = limits_.find(key);
  if (l == limits_.end())
    return {};
  auto& lim = l->second;
  auto& a = at(key, now_ms);
  auto check = [&](double limit, double spent, const char* what,
                   const char* cfg) -> std::string {
    if (limit <= 0 || estimate_usd <= limit - spent - a.in_flight)
      return {};
    return "API key " + key + ": the cheapest fitting call is estimated at "
           + usd(estimate_usd) + ", more than the " + usd(limit - spent - a.in_flight)
           + " left of its " + what + " budget of " + usd(limit) + " ([api_keys."
           + key + "] " + cfg + ")";
  };
  auto why = check(lim.daily_usd, a.day_spent, "daily", "daily_budget_cents");
  if (why.empty())
    why = check(lim.monthly_usd, a.month_spent, "monthly", "monthly_budget_cents");
  return why;
}

void budget_book::reserve(const std::string& key, double usd, int64_t now_ms) {
  at(key, now_ms).in_flight += usd;
}

void budget_book::settle(const std::string& key, double reserved, double actual,
                         int64_t now_ms) {
  auto& a = at(key, now_ms);
  a.in_flight = std::max(0.0, a.in_flight - reserved);
  a.day_spent += actual;
  a.month_spent += actual;
}

void budget_book::seed(const std::string& key, double day_usd, double month_usd,
                       int64_t now_ms) {
  auto& a = at(key, now_ms);
  a.day_spent = std::max(a.day_spent, day_usd);
  a.month_spent = std::max(a.month_spent, month_usd);
}

nlohmann::json budget_book::to_json(int64_t now_ms) {
  auto out = nlohmann::json::array();
  for (auto& [key, lim] : limits_) {
    auto& a = at(key, now_ms);
    out.push_back({{"api_key", key},
                   {"daily_budget_usd", lim.daily_usd},
                   {"monthly_budget_usd", lim.monthly_usd},
                   {"calls_per_minute", lim.calls_per_minute},
                   {"day_spent_usd", a.day_spent},
                   {"month_spent_usd", a.month_spent},
                   {"in_flight_usd", a.in_flight},
                   {"calls_last_minute", a.calls.size()}});
  }
  return out;
}

} // namespace sophia::actors::optimizer
