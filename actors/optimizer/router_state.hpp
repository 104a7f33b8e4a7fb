#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>
#include <nlohmann/json.hpp>

#include "actors/optimizer/catalog.hpp"
#include "actors/optimizer/decide.hpp"
#include "actors/optimizer/lease_book.hpp"
#include "actors/optimizer/limits.hpp"
#include "actors/optimizer/live_record.hpp"
#include "actors/optimizer/outcome_memory.hpp"
#include "actors/optimizer/router.hpp"
#include "runtime/mcp/service.hpp"
#include "runtime/vectors/hashing_embedder.hpp"

/// What the router's tool handlers share (one per router actor).
namespace sophia::actors::optimizer {

/// An interaction the router knows of, for `ai.feedback`.
struct interaction {
  std::string id;
  /// The prompt's text (what is embedded).
  std::string prompt;
  std::string task_type;
  std::string model;
  std::string provider;
  /// USD; negative: unknown.
  double cost_usd = -1;
  /// The score, once given.
  std::optional<double> feedback;
  /// The rest of the record in `sophia.ai_interactions` (output, tokens,
  /// latency, session_id, user_id, tags, source).
  nlohmann::json extra = nlohmann::json::object();
};

/// The link to the pipeline (`interaction_store.cpp`): interactions go to
/// the stream `sophia.ai_interactions`; the memory is rebuilt from its
/// table and follows what other routers write there.
struct store_state {
  /// Records waiting to be shipped (RECORD messages).
  std::vector<nlohmann::json> outbox;
  bool shipping = false;
  /// Failed shipments in a row: the next waits 2^n seconds (at most 32).
  unsigned backoff = 0;
  int64_t next_ship_ms = 0;
  uint64_t shipped = 0;
  uint64_t ship_failures = 0;
  /// Records dropped because the outbox was full (the pipeline was away).
  uint64_t dropped = 0;
  /// Whether the table has been read once from the start.
  bool rebuilt = false;
  bool syncing = false;
  uint64_t rows_read = 0;
  /// Keyset of the last row read: (extracted_at in ms, raw id).
  int64_t watermark_ms = 0;
  std::string watermark_id;
  std::string last_error;
};

struct router_state {
  router_state(router_options o, outcome_memory m);

  router_options opts;
  outcome_memory memory;
  runtime::vectors::hashing_embedder embedder;
  catalog models;
  live_record live;
  std::unordered_map<std::string, interaction> interactions;
  /// Ids in the order they came, to forget the oldest.
  std::deque<std::string> order;
  /// A provider's last refresh failure (none once it answered).
  std::map<std::string, std::string> refresh_errors;
  bool refreshing = false;
  /// Run when the refresh in progress ends (`ai.models` with refresh).
  std::vector<std::function<void()>> refresh_waiters;
  uint64_t id_seed = 0;
  uint64_t next_id = 0;
  /// Counters, for `ai.router_status`.
  uint64_t generated = 0;
  uint64_t fallbacks = 0;
  uint64_t failed = 0;
  uint64_t logged = 0;
  uint64_t feedbacks = 0;
  /// Decision times of the last calls, µs.
  std::deque<double> decision_us;
  store_state store;
  /// The cluster-wide limits as last read from the configuration, this
  /// router's leases of them, and the calls waiting for the limiter's
  /// answer about a limit (`ensure_leases`).
  limits_config limits;
  lease_book leases;
  std::map<std::string, std::vector<std::function<void()>>> lease_waiters;

  /// A new interaction id ("ai-" and 16 hex digits, unique per router).
  std::string new_id();
  /// Keeps `x` for feedback, forgetting the oldest past the limit.
  void remember(interaction x);
  /// The embedding of `text` (unit length, or zero for a text without words).
  std::vector<float> embed(const std::string& text);
  /// Adds `score` of `x` to the outcome memory; the error text.
  std::optional<std::string> learn(const interaction& x, double score);
  /// The price of `model` on `provider` from the catalog (USD per token);
  /// none when unknown.
  std::optional<std::pair<double, double>> price(const std::string& provider,
                                                 const std::string& model) const;
};

using router_ptr = std::shared_ptr<router_state>;

/// The prompt's text from tool arguments: `prompt`, or the `content` of
/// every message (strings, or the `text` of content parts) joined by
/// newlines; its first 32 KiB.
std::string prompt_text(const nlohmann::json& args, const char* messages_key,
                        const char* prompt_key);

/// The catalog's `entries` as the decision's candidates, with their live
/// record (success rate, completion tokens, breaker) and their configured
/// prior quality for `task_type`.
std::vector<candidate> candidates_of(const router_state& st,
                                     const std::vector<model_entry>& entries,
                                     const std::string& task_type);

/// The API key's name in a call's caller (`mcp:KEY/SESSION`), or
/// `internal` for a call that did not come through the edge.
std::string api_key_of(const std::string& caller);

/// Tops up this router's leases so that `needs` fit: one ask to the
/// limiter for every limit that falls short or runs low; `then` runs once
/// the answers about those that fell short are in (at once when none did).
/// It does not use them: see `lease_refusal` and `use_leases`.
void ensure_leases(caf::event_based_actor* self, const router_ptr& st,
                   const std::vector<need>& needs, std::function<void()> then,
                   int retries = 1);

/// Why `needs` do not fit this router's leases (empty: they fit).
std::string lease_refusal(router_state& st, const std::vector<need>& needs);

/// Uses `needs` (times `sign`: -1 gives an estimate back).
void use_leases(router_state& st, const std::vector<need>& needs, double sign = 1);

/// Gives the limiter back what this router holds unused of limits idle
/// for `idle_ms`.
void release_idle_leases(caf::event_based_actor* self, const router_ptr& st,
                         int64_t idle_ms);

/// The tools.
runtime::mcp::tool generate_tool(const router_ptr& st);
runtime::mcp::tool log_tool(const router_ptr& st);
runtime::mcp::tool feedback_tool(const router_ptr& st);
runtime::mcp::tool models_tool(const router_ptr& st);
runtime::mcp::tool status_tool(const router_ptr& st);
runtime::mcp::tool costs_tool(const router_ptr& st);
runtime::mcp::tool optimize_tool(const router_ptr& st);

/// Queues `x` for the stream `sophia.ai_interactions` (a record per
/// version: a later feedback sends it again, replacing it).
void store_interaction(const router_ptr& st, const interaction& x);

/// Starts the store's timers: shipping every second, and reading the table
/// (from the start, then what is new) every `opts.store_poll`.
void start_store(caf::event_based_actor* self, const router_ptr& st);

/// The store's message handlers (its timers).
caf::message_handler store_handlers(caf::event_based_actor* self,
                                    const router_ptr& st);

/// `ai.router_status`'s `store` object.
nlohmann::json store_status(const router_state& st);

/// Sends a logged interaction's span to Arize, when tracing is on.
void trace_interaction(const router_ptr& st, const interaction& x,
                       const nlohmann::json& args);

} // namespace sophia::actors::optimizer
