#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

/// A limit that holds across the cluster (an API key's budgets and rates, a
/// provider's cluster rates) and the messages between the nodes that use it
/// and the limiter that owns it. The limiter (`limiter.hpp`) hands each
/// node a lease, a share of the limit it may use without asking; a node
/// asks again when its lease runs low (`lease_book.hpp`), telling the
/// limiter what it used. So the cluster stays within the limit plus the
/// leases outstanding, and almost no call waits for a round trip.
namespace sophia::actors::optimizer {

/// The period a limit counts over: a UTC minute, day or calendar month
/// (fixed windows: a new one starts from zero).
enum class period { minute, day, month };

/// The window of `p` that contains `now_ms` (minutes, days or months since
/// the epoch).
int64_t window_of(period p, int64_t now_ms);

/// When the window of `p` after the current one starts, for people:
/// "in 12 s", "at 00:00 UTC", "on the 1st, 00:00 UTC".
std::string next_window(period p, int64_t now_ms);

/// The id of an API key's limit `what` ("daily_usd", "monthly_usd",
/// "calls", "tokens") and of a provider's ("requests", "tokens").
std::string key_limit_id(const std::string& key, const std::string& what);
std::string provider_limit_id(const std::string& provider, const std::string& what);

/// One cluster-wide limit.
struct limit {
  /// Its name across the cluster, e.g. "api_key/team/daily_usd".
  std::string id;
  /// What the period allows; USD or a count.
  double amount = 0;
  period per = period::day;
  /// When the limiter cannot be reached and the lease is used up: go on
  /// (counted locally) or refuse.
  bool fail_open = false;
  /// For errors: what it limits ("API key team's daily AI budget") and
  /// where it is set ("[api_keys.team] daily_budget_cents").
  std::string what;
  std::string config;
  /// Whether amounts are USD (rendered $0.0123) rather than counts.
  bool usd = false;

  /// `x` in this limit's unit, for people.
  std::string show(double x) const;
};

/// A node's request for (more of) a lease.
struct lease_ask {
  std::string id;
  int64_t window = 0;
  /// The limit as the node's configuration has it.
  double amount = 0;
  /// What the node used in this window and was granted so far, so that a
  /// limiter that restarted (failed over) learns the node's holdings.
  double used = 0;
  double granted = 0;
  /// How much more it would like; negative: it gives back what it holds
  /// beyond what it used.
  double want = 0;
};

/// The limiter's answer.
struct lease_grant {
  std::string id;
  int64_t window = 0;
  /// Everything the node may use in this window (its earlier grants
  /// included).
  double granted = 0;
  /// What the whole cluster has committed: used, or held in leases.
  double committed = 0;
  /// Set when the limiter could give less than asked: why.
  std::string refused;
};

/// The refusal of a grant because the limit is reached.
constexpr const char* lease_ledger_full = "the limit is reached across the cluster";

/// The payload of the limiter's `lease` method and its reply.
std::string encode_asks(const std::string& holder, const std::vector<lease_ask>& asks);
/// False, with why in `error`, when `text` is not a valid request.
bool decode_asks(const std::string& text, std::string& holder,
                 std::vector<lease_ask>& asks, std::string& error);
std::string encode_grants(const std::vector<lease_grant>& grants);
bool decode_grants(const std::string& text, std::vector<lease_grant>& grants);

} // namespace sophia::actors::optimizer
