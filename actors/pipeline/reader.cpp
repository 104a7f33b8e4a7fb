#include "actors/pipeline/reader.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/analytics/aggregates.hpp"
#include "actors/pipeline/atoms.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/read_query.hpp"
#include "actors/pipeline/redis/tail.hpp"
#include "actors/pipeline/status_board.hpp"
#include "actors/pipeline/vectors/feed.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline {

using nlohmann::json;
using runtime::errc;
using runtime::make_error;
namespace pg = postgres;

namespace {

struct reader_state {
  reader_options opts;
  std::unique_ptr<pg::connection> db;
  /// Whether `pipeline.query` runs as the role that cannot write.
  bool reader_role = false;
};

// The reader's connection, opened again when PostgreSQL dropped it.
caf::expected<pg::connection*> connection(reader_state& st) {
  if (st.opts.postgres.empty())
    return make_error(errc::unavailable, st.opts.unconfigured);
  auto fresh = !st.db || !st.db->alive();
  auto c = pg::reconnect(st.db, st.opts.postgres);
  if (auto* err = std::get_if<std::string>(&c))
    return make_error(errc::unavailable, *err);
  // Without the right to create roles, READ ONLY still guards the data.
  if (fresh)
    st.reader_role = !pg::ensure_reader_role(*st.db);
  return st.db.get();
}

caf::expected<std::string> status(reader_state& st) {
  auto board = json::parse(st.opts.board ? st.opts.board->snapshot() : "{}",
                           nullptr, false);
  json out{{"configured", !st.opts.postgres.empty()},
           {"stages", board.is_object() ? board.value("stages", json::array())
                                        : json::array()}};
  if (st.opts.vectors)
    out["stages"].push_back(st.opts.vectors->status());
  if (board.is_object() && board.contains("sources"))
    out["sources"] = board["sources"];
  if (st.opts.postgres.empty()) {
    out["reason"] = st.opts.unconfigured;
    return out.dump();
  }
  auto db = connection(st);
  if (!db) {
    out["reachable"] = false;
    out["reason"] = runtime::detail_of(db.error());
    return out.dump();
  }
  out["reachable"] = true;
  // Tables the pipeline wrote (their comment says so), with estimated rows.
  auto r = (*db)->query(
    "SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint, "
    "obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON "
    "n.oid = c.relnamespace WHERE c.relkind = 'r' AND obj_description(c.oid, "
    "'pg_class') LIKE '%written by the Sophia pipeline' ORDER BY 1, 2");
  json tables = json::array();
  if (auto* res = std::get_if<pg::result>(&r))
    for (int i = 0; i < res->rows(); ++i)
      tables.push_back({{"table", res->text(i, 0) + "." + res->text(i, 1)},
                        {"rows_estimate", std::stoll(res->text(i, 2))}});
  out["tables"] = std::move(tables);
  // The worker makes this table at its first sync: none yet, none waiting.
  auto d = (*db)->query("SELECT count(*) FILTER (WHERE replayed_at IS NULL), "
                        "coalesce(max(received_at)::text, '') FROM "
                        "sophia_pipeline.dead_letters");
  if (auto* res = std::get_if<pg::result>(&d)) {
    out["dead_letters_waiting"] = std::stoll(res->text(0, 0));
    out["last_dead_letter_at"] = res->text(0, 1);
  }
  return out.dump();
}

caf::expected<std::string> tail(reader_state& st, const std::string& table,
                                size_t count) {
  if (st.opts.redis.empty())
    return make_error(errc::unavailable,
                      st.opts.redis_problem.empty()
                        ? "no Redis stage: set [pipeline] redis, or run the "
                          "cluster with `tools/sophia up`, which starts one"
                        : st.opts.redis_problem);
  auto c = redis::connection::open({st.opts.redis});
  if (auto* err = std::get_if<std::string>(&c))
    return make_error(errc::unavailable, *err);
  auto r = redis::last_events(std::get<redis::connection>(c), table, count);
  if (auto* err = std::get_if<std::string>(&r))
    return make_error(errc::unavailable, *err);
  json events = json::array();
  for (auto& e : std::get<std::vector<redis::event>>(r))
    events.push_back({{"id", e.id},
                      {"op", e.op},
                      {"key", json::parse(e.key, nullptr, false)},
                      {"data", json::parse(e.data, nullptr, false)},
                      {"emitted_at", e.emitted_at_ms}});
  return json{{"table", table}, {"events", std::move(events)}}.dump();
}

caf::behavior reader_impl(caf::event_based_actor* self, reader_options opts) {
  auto st = std::make_shared<reader_state>();
  st->opts = std::move(opts);
  self->set_default_handler(caf::drop);
  return {
    [st](atoms::query, const std::string& sql,
         int64_t max_rows) -> caf::expected<std::string> {
      auto db = connection(*st);
      if (!db)
        return db.error();
      auto limit = max_rows > 0 ? std::min<size_t>(max_rows, st->opts.query_max_rows)
                                : st->opts.query_max_rows;
      auto r = pg::read_query(**db, sql, limit, st->opts.query_timeout_ms,
                              st->reader_role);
      if (auto* err = std::get_if<std::string>(&r))
        return make_error(errc::rejected, *err);
      return std::get<json>(r).dump();
    },
    [st](atoms::status) { return status(*st); },
    [st](atoms::analytics, const std::string& period, const std::string& since,
         const std::string& group_by, int64_t max_rows) -> caf::expected<std::string> {
      auto db = connection(*st);
      if (!db)
        return db.error();
      auto r = analytics::summary(**db, period, since, group_by,
                                  static_cast<size_t>(std::clamp<int64_t>(max_rows, 1, 10000)));
      if (auto* err = std::get_if<std::string>(&r))
        return make_error(errc::rejected, "analytics.summary: " + *err);
      return std::get<json>(r).dump();
    },
    [st](atoms::tail, const std::string& table, int64_t count) {
      return tail(*st, table, static_cast<size_t>(std::clamp<int64_t>(count, 1, 10000)));
    },
  };
}

} // namespace

caf::actor spawn_reader(caf::actor_system& sys, reader_options opts) {
  return sys.spawn<caf::detached>(reader_impl, std::move(opts));
}

} // namespace sophia::actors::pipeline
