#include "actors/pipeline/worker.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/atoms.hpp"
#include "actors/pipeline/ingest_session.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/read_query.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "actors/pipeline/redis/tail.hpp"
#include "actors/pipeline/redis/writer.hpp"
#include "runtime/error.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::actors::pipeline {

using nlohmann::json;
using runtime::errc;
using runtime::make_error;
namespace pg = postgres;

namespace {

struct worker_state {
  worker_options opts;
  /// One writer per source: each keeps its tables and connection.
  std::map<std::string, std::unique_ptr<pg::writer>> writers;
  /// A connection for queries and status.
  std::unique_ptr<pg::connection> db;
  bool reader_role = false;
  // Counters since the worker started.
  uint64_t records = 0, rows = 0, nulled = 0, dead_letters = 0, commits = 0,
           states = 0, syncs = 0, failed_syncs = 0;
  double last_records_per_s = 0;
  std::string last_error;
  std::string last_commit_at;
  /// The Redis stage (none when not configured).
  std::unique_ptr<redis::writer> cache;
  uint64_t redis_written = 0, redis_skipped = 0, redis_deleted = 0,
           redis_events = 0, redis_failed_batches = 0;
  std::string redis_error;
};

// What PostgreSQL committed, on to Redis: per stream, its records.
void to_redis(worker_state& st, pg::writer& w, const pg::batch& b) {
  if (!st.cache || b.records.empty())
    return;
  std::map<airbyte::stream_id, redis::table_batch> tables;
  for (auto& r : b.records) {
    auto& t = tables[r.stream];
    if (t.table.empty()) {
      auto* table = w.table_of(r.stream);
      if (!table)
        continue;
      t.table = table->schema() + "." + table->table();
      if (table->config().mode == airbyte::write_mode::append_dedup)
        t.key = table->config().primary_key;
      t.cursor = table->config().cursor;
    }
    t.records.push_back(redis::to_table_record(r));
  }
  for (auto& [id, t] : tables) {
    auto r = st.cache->write(t);
    if (auto* err = std::get_if<std::string>(&r)) {
      ++st.redis_failed_batches;
      st.redis_error = *err;
      continue;
    }
    auto& s = std::get<redis::write_stats>(r);
    st.redis_written += s.written;
    st.redis_skipped += s.skipped;
    st.redis_deleted += s.deleted;
    st.redis_events += s.events;
  }
}

std::string now_text() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

caf::expected<pg::connection*> query_connection(worker_state& st) {
  if (st.opts.postgres.empty())
    return make_error(errc::unavailable, st.opts.unconfigured);
  if (st.db && st.db->alive())
    return st.db.get();
  auto c = pg::connection::open(st.opts.postgres);
  if (auto* err = std::get_if<std::string>(&c))
    return make_error(errc::unavailable, *err);
  st.db = std::make_unique<pg::connection>(std::move(std::get<pg::connection>(c)));
  // Without the right to create roles, READ ONLY still guards the data.
  st.reader_role = !pg::ensure_reader_role(*st.db);
  return st.db.get();
}

caf::expected<std::string> ingest(worker_state& st, const std::string& catalog_text,
                                  const std::string& lines, const std::string& source) {
  if (st.opts.postgres.empty())
    return make_error(errc::unavailable, st.opts.unconfigured);
  auto doc = json::parse(catalog_text, nullptr, false);
  if (doc.is_discarded())
    return make_error(errc::rejected, "catalog: not JSON");
  auto parsed = airbyte::parse_catalog(doc);
  if (auto* err = std::get_if<std::string>(&parsed))
    return make_error(errc::rejected, "catalog" + *err);
  auto& cat = std::get<airbyte::configured_catalog>(parsed);
  auto& w = st.writers[source];
  if (!w)
    w = std::make_unique<pg::writer>(
      pg::writer_options{st.opts.postgres, st.opts.default_schema, source});
  ++st.syncs;
  auto fail = [&](const std::string& err) {
    ++st.failed_syncs;
    st.last_error = err;
    return make_error(errc::unavailable, err);
  };
  if (auto err = w->begin(cat))
    return fail("PostgreSQL: " + *err);
  ingest_limits limits;
  limits.batch_records = st.opts.batch_records;
  limits.max_line_bytes = st.opts.max_line_bytes;
  ingest_session session{*w, cat, limits};
  session.on_committed([&st, &w](const pg::batch& b) { to_redis(st, *w, b); });
  auto started = std::chrono::steady_clock::now();
  // A failed commit is retried, with backoff, until PostgreSQL is back or
  // `retry_ms` passed: the caller waits meanwhile (that is the flow
  // control), and memory holds one batch.
  auto retry = [&](std::string err) -> std::optional<std::string> {
    auto give_up = std::chrono::steady_clock::now()
                   + std::chrono::milliseconds{st.opts.retry_ms};
    auto pause = std::chrono::milliseconds{100};
    while (std::chrono::steady_clock::now() < give_up) {
      st.last_error = err;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds{2000});
      auto again = session.flush();
      if (!again)
        return std::nullopt;
      err = *again;
    }
    return err;
  };
  std::istringstream in{lines};
  std::string line;
  while (std::getline(in, line))
    if (auto err = session.line(line))
      if (auto last = retry(*err))
        return fail("PostgreSQL: " + *last + " (retried for "
                    + std::to_string(st.opts.retry_ms) + " ms; the batch was "
                    "not committed; what was committed before stays, with "
                    "its STATE)");
  if (auto err = session.flush())
    if (auto last = retry(*err))
      return fail("PostgreSQL: " + *last);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - started).count();
  auto& r = session.report();
  st.records += r.records;
  st.rows += r.rows;
  st.nulled += r.nulled;
  st.dead_letters += r.dead_letters;
  st.commits += r.commits;
  st.states += r.states;
  if (secs > 0 && r.records > 0)
    st.last_records_per_s = r.records / secs;
  if (r.commits > 0)
    st.last_commit_at = now_text();
  json tables = json::array();
  for (auto& s : cat.streams)
    if (auto* t = w->table_of(s.id))
      tables.push_back({{"stream", s.id.text()},
                        {"table", t->schema() + "." + t->table()}});
  return json{{"records", r.records},
              {"rows", r.rows},
              {"nulled", r.nulled},
              {"dead_letters", r.dead_letters},
              {"commits", r.commits},
              {"states", r.states},
              {"swapped", r.swapped},
              {"last_state", r.last_state ? *r.last_state : json()},
              {"tables", std::move(tables)},
              {"seconds", secs}}
    .dump();
}

caf::expected<std::string> status(worker_state& st) {
  json out{{"configured", !st.opts.postgres.empty()},
           {"stages",
            json::array({{{"stage", "postgres"},
                          {"records", st.records},
                          {"rows", st.rows},
                          {"nulled", st.nulled},
                          {"commits", st.commits},
                          {"states", st.states},
                          {"syncs", st.syncs},
                          {"failed_syncs", st.failed_syncs},
                          {"records_per_s", st.last_records_per_s},
                          {"dead_letters", st.dead_letters},
                          {"last_commit_at", st.last_commit_at},
                          {"last_error", st.last_error}}})}};
  if (st.cache)
    out["stages"].push_back({{"stage", "redis"},
                             {"written", st.redis_written},
                             {"skipped_stale", st.redis_skipped},
                             {"deleted", st.redis_deleted},
                             {"events", st.redis_events},
                             {"failed_batches", st.redis_failed_batches},
                             {"last_error", st.redis_error}});
  if (st.opts.postgres.empty()) {
    out["reason"] = st.opts.unconfigured;
    return out.dump();
  }
  auto db = query_connection(st);
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
  auto d = (*db)->query("SELECT count(*) FILTER (WHERE replayed_at IS NULL), "
                        "coalesce(max(received_at)::text, '') FROM "
                        "sophia_pipeline.dead_letters");
  if (auto* res = std::get_if<pg::result>(&d)) {
    out["dead_letters_waiting"] = std::stoll(res->text(0, 0));
    out["last_dead_letter_at"] = res->text(0, 1);
  }
  return out.dump();
}

caf::expected<std::string> tail(worker_state& st, const std::string& table,
                                size_t count) {
  if (!st.cache)
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

caf::behavior worker_impl(caf::event_based_actor* self, worker_options opts) {
  auto st = std::make_shared<worker_state>();
  st->opts = std::move(opts);
  if (!st->opts.redis.empty()) {
    redis::writer_options ro;
    ro.redis.uri = st->opts.redis;
    ro.ttl = std::chrono::milliseconds{st->opts.redis_ttl_ms};
    ro.stream_max_len = st->opts.redis_stream_max_len;
    st->cache = std::make_unique<redis::writer>(std::move(ro));
  }
  st->redis_error = st->opts.redis_problem;
  self->set_default_handler(caf::drop);
  return {
    [st](atoms::ingest, const std::string& catalog, const std::string& lines,
         const std::string& source) { return ingest(*st, catalog, lines, source); },
    [st](atoms::query, const std::string& sql,
         int64_t max_rows) -> caf::expected<std::string> {
      auto db = query_connection(*st);
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
    [st](atoms::tail, const std::string& table, int64_t count) {
      return tail(*st, table, static_cast<size_t>(std::clamp<int64_t>(count, 1, 10000)));
    },
  };
}

} // namespace

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts) {
  return sys.spawn<caf::detached>(worker_impl, std::move(opts));
}

} // namespace sophia::actors::pipeline
