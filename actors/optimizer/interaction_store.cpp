// The router's link to the pipeline: every interaction becomes a record of
// the stream `sophia.ai_interactions` (PostgreSQL is the system of record),
// and the outcome memory is rebuilt from that table at start-up and then
// follows it, so that every router of the cluster learns what any of them
// was told.

#include "actors/optimizer/router_state.hpp"
#include "actors/optimizer/sql_value.hpp"

#include <caf/all.hpp>

#include <chrono>

#include "actors/pipeline/airbyte/own_stream.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/call_tool.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

using ship_atom = caf::atom_constant<caf::atom("rship")>;
using sync_atom = caf::atom_constant<caf::atom("rsync")>;

constexpr const char* stream_namespace = "sophia";
constexpr const char* stream_name = "ai_interactions";
/// Records of one ingest call, and rows of one read.
constexpr size_t batch = 1000;
/// Outputs are kept for reading, not learning: the first 4 KiB.
constexpr size_t output_cap = 4096;
/// Each poll reads again what arrived in the last 10 s before its
/// watermark: records are stamped by the clocks of the routers' nodes,
/// which may be that far apart. Learning a row twice changes nothing.
constexpr int64_t skew_window_ms = 10000;
constexpr const char* min_uuid = "00000000-0000-0000-0000-000000000000";

const pipeline::airbyte::own_stream& stream() {
  static const pipeline::airbyte::own_stream s{
    stream_name, stream_namespace,
    json::parse(R"({"type":"object","properties":{
      "interaction_id":{"type":"string"},
      "model":{"type":"string"},
      "provider":{"type":["null","string"]},
      "task_type":{"type":"string"},
      "prompt":{"type":"string"},
      "output":{"type":["null","string"]},
      "feedback":{"type":["null","number"]},
      "cost_usd":{"type":["null","number"]},
      "prompt_tokens":{"type":["null","integer"]},
      "completion_tokens":{"type":["null","integer"]},
      "latency_ms":{"type":["null","number"]},
      "session_id":{"type":["null","string"]},
      "user_id":{"type":["null","string"]},
      "tags":{"type":["null","array"],"items":{"type":"string"}},
      "source":{"type":"string"},
      "api_key":{"type":["null","string"]},
      "served_model":{"type":["null","string"]},
      "at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}}})"),
    "interaction_id"};
  return s;
}

const json& catalog() {
  static const json c = pipeline::airbyte::own_catalog(stream());
  return c;
}

json record_of(const interaction& x) {
  json data{{"interaction_id", x.id},
            {"model", x.model},
            {"provider", x.provider.empty() ? json() : json(x.provider)},
            {"task_type", x.task_type},
            {"prompt", x.prompt},
            {"feedback", x.feedback ? json(*x.feedback) : json()},
            {"cost_usd", x.cost_usd >= 0 ? json(x.cost_usd) : json()}};
  for (auto& [k, v] : x.extra.items())
    data[k] = v;
  if (auto o = data.find("output"); o != data.end() && o->is_string()
                                    && o->get_ref<const std::string&>().size() > output_cap)
    *o = o->get<std::string>().substr(0, output_cap);
  return pipeline::airbyte::own_record(stream(), std::move(data),
                                       runtime::unix_ms_now());
}

void ship(caf::event_based_actor* self, const router_ptr& st) {
  auto& s = st->store;
  if (s.shipping || s.outbox.empty() || !st->opts.registry
      || runtime::unix_ms_now() < s.next_ship_ms)
    return;
  auto n = std::min(batch, s.outbox.size());
  json messages = json::array();
  for (size_t i = 0; i < n; ++i)
    messages.push_back(s.outbox[i]);
  mcp::tool_request req{
    .tool = "ingest",
    .arguments = {{"messages", std::move(messages)}, {"catalog", catalog()},
                  {"source", "ai-router"}},
    .deadline = std::chrono::minutes{1},
    .caller = "ai.router"};
  s.shipping = true;
  auto failed = [st](std::string why) {
    st->store.shipping = false;
    ++st->store.ship_failures;
    // Not every second while the pipeline is away: a batch is serialised
    // for each try.
    st->store.backoff = std::min(st->store.backoff + 1, 5u);
    st->store.next_ship_ms = runtime::unix_ms_now() + (int64_t{1000} << st->store.backoff);
    if (why != st->store.last_error)
      runtime::log::get("ai")->warn(
        "router: interactions not stored yet ({} waiting): {}; retrying",
        st->store.outbox.size(), why);
    st->store.last_error = std::move(why);
  };
  mcp::call_tool(
    self, st->opts.registry, "mcp.pipeline", req,
      [self, st, n](json&) {
        auto& s = st->store;
        s.shipping = false;
        s.backoff = 0;
        s.next_ship_ms = 0;
        auto done = std::min(n, s.outbox.size());
        s.outbox.erase(s.outbox.begin(), s.outbox.begin() + static_cast<ptrdiff_t>(done));
        s.shipped += done;
        s.last_error.clear();
        if (!s.outbox.empty())
          ship(self, st);
      },
      [failed](caf::error& err) {
        failed(runtime::code_of(err) == runtime::errc::call_failed
                 ? "pipeline.ingest: " + runtime::detail_of(err)
                 : "the pipeline is unreachable (" + runtime::detail_of(err) + ")");
      });
}

std::string string_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : std::string{};
}

/// Learns one row of the table: (interaction_id, prompt, task_type, model,
/// provider, feedback, cost_usd, extracted_at_ms, raw_id, the record).
void learn_row(router_state& st, const json& row) {
  if (!row.is_array() || row.size() < 9)
    return;
  interaction x;
  x.id = string_of(row[0]);
  x.prompt = string_of(row[1]);
  x.task_type = string_of(row[2]);
  x.model = string_of(row[3]);
  x.provider = string_of(row[4]);
  if (!row[5].is_null())
    x.feedback = number_of(row[5], -1);
  x.cost_usd = row[6].is_null() ? -1 : number_of(row[6], -1);
  if (x.id.empty() || x.model.empty())
    return;
  // The rest of the record, so that a later feedback sends it whole again.
  if (row.size() > 9 && row[9].is_string()) {
    auto data = json::parse(row[9].get<std::string>(), nullptr, false);
    if (data.is_object()) {
      for (auto* k : {"interaction_id", "prompt", "task_type", "model", "provider",
                      "feedback", "cost_usd"})
        data.erase(k);
      x.extra = std::move(data);
    }
  }
  if (x.feedback && *x.feedback >= 0 && *x.feedback <= 1)
    st.learn(x, *x.feedback);
  // Kept for ai.feedback unless this router knows it already.
  if (st.interactions.count(x.id) == 0)
    st.remember(std::move(x));
}

void schedule_sync(caf::event_based_actor* self, const router_ptr& st) {
  self->delayed_send(self, st->opts.store_poll, sync_atom::value);
}

/// Reads the next page after the keyset (`cursor_ms`, `cursor_id`).
void sync(caf::event_based_actor* self, const router_ptr& st, int64_t cursor_ms,
          std::string cursor_id) {
  auto& s = st->store;
  s.syncing = true;
  std::string sql =
    "SELECT interaction_id, prompt, task_type, model, provider, feedback, cost_usd, "
    "(extract(epoch FROM _airbyte_extracted_at) * 1000)::bigint, "
    "_airbyte_raw_id::text, _airbyte_data::text FROM sophia.ai_interactions "
    "WHERE (_airbyte_extracted_at, _airbyte_raw_id) > (to_timestamp("
    + std::to_string(cursor_ms) + " / 1000.0), '" + cursor_id
    + "'::uuid) ORDER BY _airbyte_extracted_at, _airbyte_raw_id LIMIT "
    + std::to_string(batch);
  auto failed = [self, st](std::string why) {
    auto& s = st->store;
    s.syncing = false;
    // No table yet: nothing was ever stored, so nothing to rebuild.
    if (why.find("does not exist") != std::string::npos) {
      s.rebuilt = true;
    } else if (why != s.last_error) {
      runtime::log::get("ai")->info("router: cannot read sophia.ai_interactions yet: {}", why);
      s.last_error = why;
    }
    schedule_sync(self, st);
  };
  mcp::call_tool(
    self, st->opts.registry, "mcp.pipeline",
    {.tool = "query", .arguments = {{"sql", sql}, {"max_rows", batch}},
     .deadline = std::chrono::seconds{30}, .caller = "ai.router"},
      [self, st](json& doc) {
        auto rows = doc.value("structuredContent", json::object())
                      .value("rows", json::array());
        auto& s = st->store;
        int64_t last_ms = 0;
        std::string last_id;
        for (auto& row : rows) {
          learn_row(*st, row);
          ++s.rows_read;
          if (row.is_array() && row.size() >= 9) {
            last_ms = static_cast<int64_t>(number_of(row[7], 0));
            last_id = string_of(row[8]);
            s.watermark_ms = std::max(s.watermark_ms, last_ms);
          }
        }
        if (rows.size() >= batch && !last_id.empty())
          return sync(self, st, last_ms, last_id);
        if (!s.rebuilt)
          runtime::log::get("ai")->info(
            "router: outcome memory rebuilt from sophia.ai_interactions: {} outcomes of {} prompts",
            st->memory.outcomes(), st->memory.prompts());
        s.rebuilt = true;
        s.syncing = false;
        schedule_sync(self, st);
      },
      [failed](caf::error& err) { failed(runtime::detail_of(err)); });
}

} // namespace

void store_interaction(const router_ptr& st, const interaction& x) {
  auto& s = st->store;
  s.outbox.push_back(record_of(x));
  // While the pipeline is away the oldest records go first; a batch in
  // flight is erased by count when acknowledged, so none is dropped then.
  if (!s.shipping && s.outbox.size() > st->opts.outbox_limit) {
    auto n = s.outbox.size() - st->opts.outbox_limit;
    s.outbox.erase(s.outbox.begin(), s.outbox.begin() + static_cast<ptrdiff_t>(n));
    s.dropped += n;
  }
}

void start_store(caf::event_based_actor* self, const router_ptr&) {
  self->send(self, ship_atom::value);
  self->send(self, sync_atom::value);
}

caf::message_handler store_handlers(caf::event_based_actor* self,
                                    const router_ptr& st) {
  return {
    [self, st](ship_atom) {
      ship(self, st);
      // Once a second; a full batch ships at once (see `ship`).
      self->delayed_send(self, std::chrono::seconds{1}, ship_atom::value);
    },
    [self, st](sync_atom) {
      if (st->opts.limits)
        st->limits = st->opts.limits();
      if (st->opts.model_overrides)
        st->models.set_overrides(st->opts.model_overrides());
      // A lease unused for 10 s goes back, for the routers of other nodes.
      release_idle_leases(self, st, 10000);
      if (st->store.syncing)
        return;
      auto& s = st->store;
      if (!s.rebuilt)
        return sync(self, st, 0, min_uuid);
      sync(self, st, std::max<int64_t>(0, s.watermark_ms - skew_window_ms), min_uuid);
    },
  };
}

json store_status(const router_state& st) {
  auto& s = st.store;
  return {{"stream", std::string{stream_namespace} + "." + stream_name},
          {"waiting", s.outbox.size()},
          {"shipped", s.shipped},
          {"ship_failures", s.ship_failures},
          {"dropped", s.dropped},
          {"rebuilt", s.rebuilt},
          {"rows_read", s.rows_read},
          {"last_error", s.last_error}};
}

} // namespace sophia::actors::optimizer
