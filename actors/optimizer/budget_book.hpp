#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json_fwd.hpp>

/// The AI spend of each API key against its limits (`[api_keys.NAME]`
/// daily_budget_cents, monthly_budget_cents, ai_calls_per_minute): before a
/// call, what the key may still commit (the spend plus the estimates of
/// its calls in flight, against each budget); after it, the estimate is
/// replaced by the actual cost. Periods are UTC days and calendar months.
namespace sophia::actors::optimizer {

/// One key's limits; 0 is no limit.
struct key_limits {
  double daily_usd = 0;
  double monthly_usd = 0;
  int64_t calls_per_minute = 0;
};

class budget_book {
public:
  static constexpr double unlimited = std::numeric_limits<double>::infinity();

  /// Replaces the limits (the configuration was reloaded); spend stays.
  void set_limits(std::map<std::string, key_limits> limits);

  /// What `key` may still commit now (USD; `unlimited` without budgets),
  /// or why it may make no call at all (a budget spent, the calls of the
  /// last minute used up), naming the key, the limit and when it resets.
  /// Counts the call against the per-minute limit when it is allowed.
  std::variant<double, std::string> admit(const std::string& key, int64_t now_ms);

  /// Why `estimate_usd` does not fit what `key` has left (empty: it fits).
  std::string refusal(const std::string& key, double estimate_usd,
                      int64_t now_ms);

  /// A call of `key` estimated at `usd` is on its way.
  void reserve(const std::string& key, double usd, int64_t now_ms);

  /// The call reserved at `reserved` ended: `actual` USD was spent (0 for
  /// a failure).
  void settle(const std::string& key, double reserved, double actual,
              int64_t now_ms);

  /// Spend known from before this process (the table of interactions):
  /// raises this day's and month's spend to at least these.
  void seed(const std::string& key, double day_usd, double month_usd,
            int64_t now_ms);

  /// Per key: limits, spend, in flight.
  nlohmann::json to_json(int64_t now_ms);

private:
  struct account {
    int64_t day = -1;
    int64_t month = -1;
    double day_spent = 0;
    double month_spent = 0;
    double in_flight = 0;
    std::deque<int64_t> calls;
  };
  /// The account of `key` with its periods rolled to `now_ms`.
  account& at(const std::string& key, int64_t now_ms);

  std::map<std::string, key_limits> limits_;
  std::map<std::string, account> accounts_;
};

} // namespace sophia::actors::optimizer
