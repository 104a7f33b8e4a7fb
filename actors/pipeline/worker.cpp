#include "actors/pipeline/worker.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/analytics/aggregates.hpp"
#include "actors/pipeline/analytics/redis_buckets.hpp"
#include "actors/pipeline/atoms.hpp"
#include "actors/pipeline/ingest_session.hpp"
#include "actors/pipeline/postgres/bookkeeping.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "actors/pipeline/redis/committed.hpp"
#include "actors/pipeline/redis/writer.hpp"
#include "actors/pipeline/sources/source_run.hpp"
#include "actors/pipeline/status_board.hpp"
#include "actors/pipeline/vectors/feed.hpp"
#include "runtime/error.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::actors::pipeline {

using nlohmann::json;
using runtime::errc;
using runtime::make_error;
namespace pg = postgres;

namespace {

/// What status says of one source's syncs.
struct source_run_status {
  uint64_t syncs = 0, failed = 0, last_records = 0;
  bool running = false;
  std::string last_sync_at, last_result, last_error;
  double last_seconds = 0;
  nlohmann::json last_state;
};

struct worker_state {
  worker_options opts;
  /// One writer per source: each keeps its tables and connection.
  std::map<std::string, std::unique_ptr<pg::writer>> writers;
  /// A connection for dead letters and the analytics refresh.
  std::unique_ptr<pg::connection> db;
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
  /// Per source of [pipeline.sources], its last sync.
  std::map<std::string, source_run_status> source_runs;
};

// Publishes the worker's counters and its sources' syncs (defined below).
void publish(const worker_state& st, const ingest_report* live = nullptr);

// What PostgreSQL committed, on to Redis: per stream, its records.
void to_redis(worker_state& st, pg::writer& w, const pg::batch& b) {
  if (!st.cache || b.records.empty())
    return;
  for (auto& t : redis::committed_tables(w, b)) {
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
  auto c = pg::reconnect(st.db, st.opts.postgres);
  if (auto* err = std::get_if<std::string>(&c))
    return make_error(errc::unavailable, *err);
  return std::get<pg::connection*>(c);
}

/// Feeds one sync's lines to `sink` (which returns false to stop), given
/// the source's writer, begun. Returns an error text when the lines stopped
/// short (a source that failed): what is not committed by then is dropped.
using line_feed = std::function<std::optional<std::string>(
  pg::writer&, const std::function<bool(std::string_view)>&)>;

// The refreshed analytics buckets on to Redis; like the records, a Redis
// failure is a status line, not a failed ingest.
void mirror_analytics(worker_state& st, pg::connection& db, int64_t from_ms,
                      int64_t to_ms) {
  auto c = redis::connection::open({st.opts.redis});
  std::optional<std::string> err;
  if (auto* e = std::get_if<std::string>(&c))
    err = *e;
  else
    err = analytics::mirror_to_redis(db, std::get<redis::connection>(c), from_ms,
                                     to_ms);
  if (err) {
    ++st.redis_failed_batches;
    st.redis_error = "analytics: " + *err;
  }
}

// One sync: the lines `feed` gives, committed batch by batch with their
// STATE. pipeline.ingest feeds the lines it was sent, a source's sync the
// stdout of its `read`, as it comes. `lines` is the ingested text when
// there is one (for the analytics stage).
caf::expected<std::string> run_sync(worker_state& st,
                                    const std::string& catalog_text,
                                    const line_feed& feed,
                                    const std::string& source,
                                    const std::string* lines,
                                    const std::vector<pg::bookkeeping::waiting_letter>*
                                      replays = nullptr) {
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
  limits.overlap = true;
  ingest_session session{*w, cat, limits};
  session.on_committed([&st, &w, &source, &session](const pg::batch& b) {
    to_redis(st, *w, b);
    // The vectors stage: waits while the stage is behind (vectors/feed.hpp).
    if (st.opts.vectors)
      st.opts.vectors->offer(*w, b, source);
    auto now = session.report();
    publish(st, &now);
  });
  auto started = std::chrono::steady_clock::now();
  // A failed commit is retried, with backoff, until PostgreSQL is back or
  // `retry_ms` passed: the caller waits meanwhile (that is the flow
  // control), and memory holds two batches (one committing, one read).
  // `again` is the session's flush, or its settle when what was read after
  // the last STATE must stay out.
  auto retry = [&](std::string err,
                   std::optional<std::string> (ingest_session::*again)() =
                     &ingest_session::flush) -> std::optional<std::string> {
    auto give_up = std::chrono::steady_clock::now()
                   + std::chrono::milliseconds{st.opts.retry_ms};
    auto pause = std::chrono::milliseconds{100};
    while (std::chrono::steady_clock::now() < give_up) {
      st.last_error = err;
      auto now = session.report();
      publish(st, &now);
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds{2000});
      auto failed = (session.*again)();
      if (!failed)
        return std::nullopt;
      err = *failed;
    }
    return err;
  };
  std::optional<std::string> commit_error;
  // One line in; a dead letter's line (`replay_id`) is taken back.
  auto take = [&](std::string_view line, const int64_t* replay_id) {
    if (auto err = replay_id ? session.replay(*replay_id, line) : session.line(line))
      if (auto last = retry(*err)) {
        commit_error = std::move(last);
        return false;
      }
    return true;
  };
  std::optional<std::string> stopped;
  if (replays) {
    for (auto& l : *replays)
      if (!take(l.line, &l.id))
        break;
  } else {
    stopped = feed(*w, [&](std::string_view line) { return take(line, nullptr); });
  }
  if (commit_error)
    return fail("PostgreSQL: " + *commit_error + " (retried for "
                + std::to_string(st.opts.retry_ms) + " ms; the batch was "
                "not committed; what was committed before stays, with "
                "its STATE)");
  // Records after the last STATE of a failed source are not committed:
  // its next read starts from that STATE again.
  if (auto err = stopped ? session.settle() : session.flush())
    if (auto last = retry(*err, stopped ? &ingest_session::settle : &ingest_session::flush))
      return fail("PostgreSQL: " + *last);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - started).count();
  auto r = session.report();
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
  if (stopped)
    return fail(*stopped + "\n(before that, " + std::to_string(r.rows)
                + " rows were committed in " + std::to_string(r.commits)
                + " commits, the last STATE committed being "
                + (r.last_state ? r.last_state->dump() : "none") + ")");
  // Tool-call records (the edges' spools): their analytics buckets follow
  // what was just committed. A failure here leaves the records committed
  // and the buckets stale until the next batch touching them.
  if (r.commits > 0 && lines)
    if (auto span = analytics::record_span(*lines))
      if (auto db = query_connection(st)) {
        if (auto err = analytics::refresh(**db, span->first, span->second))
          st.last_error = "analytics: " + *err;
        else if (st.cache)
          mirror_analytics(st, **db, span->first, span->second);
      }
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
              {"replayed", r.replayed},
              {"still_dead", r.still_dead},
              {"still_dead_reasons", r.still_dead_reasons},
              {"last_state", r.last_state ? *r.last_state : json()},
              {"tables", std::move(tables)},
              {"seconds", secs}}
    .dump();
}

caf::expected<const sources::source_spec*> source_of(worker_state& st,
                                                     const std::string& name);

// Takes `source`'s waiting dead letters (oldest first, at most `limit`)
// again with `catalog_text` (empty: the configured source's catalog):
// those read now are committed and marked replayed in one transaction,
// the others keep waiting with their reason.
caf::expected<std::string> replay_dead_letters(worker_state& st,
                                               std::string catalog_text,
                                               const std::string& source,
                                               size_t limit) {
  if (catalog_text.empty()) {
    auto s = source_of(st, source);
    if (!s)
      return make_error(errc::rejected,
                        "no catalog given, and " + runtime::detail_of(s.error())
                          + ": give one (--catalog FILE)");
    auto text = sources::read_catalog(**s);
    if (auto* err = std::get_if<1>(&text))
      return make_error(errc::rejected, *err);
    catalog_text = std::get<0>(std::move(text));
  }
  auto db = query_connection(st);
  if (!db)
    return db.error();
  if (auto err = pg::bookkeeping::ensure(**db))
    return make_error(errc::unavailable, "PostgreSQL: " + *err);
  auto letters = pg::bookkeeping::waiting_letters(**db, source, limit);
  if (auto* err = std::get_if<std::string>(&letters))
    return make_error(errc::unavailable, "PostgreSQL: " + *err);
  auto& waiting = std::get<0>(letters);
  auto no_feed = [](pg::writer&, const std::function<bool(std::string_view)>&)
    -> std::optional<std::string> { return std::nullopt; };
  auto out = run_sync(st, catalog_text, no_feed, source, nullptr, &waiting);
  if (!out)
    return out;
  auto doc = json::parse(*out);
  doc["waiting"] = waiting.size();
  return doc.dump();
}

caf::expected<std::string> ingest(worker_state& st, const std::string& catalog_text,
                                  const std::string& lines, const std::string& source) {
  auto feed = [&lines](pg::writer&, const std::function<bool(std::string_view)>& sink)
    -> std::optional<std::string> {
    std::istringstream in{lines};
    std::string line;
    while (std::getline(in, line))
      if (!sink(line))
        break;
    return std::nullopt;
  };
  return run_sync(st, catalog_text, feed, source, &lines);
}

// -- Airbyte sources run as commands ([pipeline.sources.NAME]) -----------------

caf::expected<const sources::source_spec*> source_of(worker_state& st,
                                                     const std::string& name) {
  std::string names;
  for (auto& s : st.opts.sources) {
    if (s.name == name)
      return &s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  return make_error(errc::rejected,
                    "no source '" + name + "' in cluster.conf ("
                      + (names.empty() ? std::string{"no [pipeline.sources.NAME] is configured"}
                                       : "sources: " + names)
                      + ")");
}

caf::expected<std::string> check_source(worker_state& st, const std::string& name) {
  auto s = source_of(st, name);
  if (!s)
    return s.error();
  auto r = sources::check(**s);
  if (auto* err = std::get_if<std::string>(&r))
    return make_error(errc::call_failed, *err);
  return std::get<json>(r).dump();
}

caf::expected<std::string> discover_source(worker_state& st, const std::string& name) {
  auto s = source_of(st, name);
  if (!s)
    return s.error();
  auto r = sources::discover(**s);
  if (auto* err = std::get_if<std::string>(&r))
    return make_error(errc::call_failed, *err);
  return std::get<json>(r).dump();
}

// A sync of source `name`: its `read` with its catalog and the STATE last
// committed for it; each stdout line goes into the session as it comes.
caf::expected<std::string> sync_source(worker_state& st, const std::string& name) {
  auto s = source_of(st, name);
  if (!s)
    return s.error();
  const auto& spec = **s;
  auto& runs = st.source_runs[name];
  ++runs.syncs;
  runs.running = true;
  publish(st);
  auto started = std::chrono::steady_clock::now();
  auto catalog = sources::read_catalog(spec);
  caf::expected<std::string> out{std::string{}};
  if (catalog.index() == 1) {
    out = make_error(errc::rejected, std::get<1>(catalog));
  } else {
    const auto& catalog_text = std::get<0>(catalog);
    auto feed = [&](pg::writer& w, const std::function<bool(std::string_view)>& sink)
      -> std::optional<std::string> {
      auto state = w.committed_state();
      if (auto* err = std::get_if<std::string>(&state))
        return "source " + name + ": its committed STATE could not be read: "
               + *err;
      auto r = sources::read(spec, catalog_text, std::get<json>(state), sink,
                             st.opts.max_line_bytes);
      if (auto* err = std::get_if<std::string>(&r))
        return *err;
      auto& o = std::get<sources::read_outcome>(r);
      if (!o.error.empty())
        return o.error;
      return std::nullopt;
    };
    out = run_sync(st, catalog_text, feed, name, nullptr);
  }
  runs.running = false;
  runs.last_sync_at = now_text();
  runs.last_seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - started).count();
  if (out) {
    runs.last_result = "ok";
    runs.last_error.clear();
    auto report = json::parse(*out, nullptr, false);
    if (report.is_object()) {
      runs.last_records = report.value("records", uint64_t{0});
      runs.last_state = report.value("last_state", json());
    }
  } else {
    ++runs.failed;
    runs.last_result = "failed";
    runs.last_error = runtime::detail_of(out.error());
    runs.last_records = 0;
  }
  return out;
}

json sources_status(const worker_state& st) {
  json out = json::array();
  for (auto& s : st.opts.sources) {
    json x{{"source", s.name}, {"schedule_s", s.schedule_s},
           {"timeout_s", s.timeout_s}};
    if (auto i = st.source_runs.find(s.name); i != st.source_runs.end()) {
      auto& r = i->second;
      x["syncs"] = r.syncs;
      x["failed_syncs"] = r.failed;
      x["running"] = r.running;
      x["last_sync_at"] = r.last_sync_at;
      x["last_result"] = r.last_result;
      x["last_error"] = r.last_error;
      x["last_records"] = r.last_records;
      x["last_seconds"] = r.last_seconds;
    } else {
      x["syncs"] = 0;
      x["last_result"] = "never synced";
    }
    out.push_back(std::move(x));
  }
  return out;
}

// What the worker tells of itself on its status board (status_board.hpp):
// the postgres and redis stages and the sources' syncs; `live`, the
// session of a sync in progress, counted in.
void publish(const worker_state& st, const ingest_report* live) {
  if (!st.opts.board)
    return;
  ingest_report none;
  auto& l = live ? *live : none;
  json stages = json::array(
    {{{"stage", "postgres"},
      {"records", st.records + l.records},
      {"rows", st.rows + l.rows},
      {"nulled", st.nulled + l.nulled},
      {"commits", st.commits + l.commits},
      {"states", st.states + l.states},
      {"syncs", st.syncs},
      {"failed_syncs", st.failed_syncs},
      {"running", live != nullptr},
      {"records_per_s", st.last_records_per_s},
      {"dead_letters", st.dead_letters + l.dead_letters},
      {"last_commit_at", st.last_commit_at},
      {"last_error", st.last_error}}});
  if (st.cache)
    stages.push_back({{"stage", "redis"},
                      {"written", st.redis_written},
                      {"skipped_stale", st.redis_skipped},
                      {"deleted", st.redis_deleted},
                      {"events", st.redis_events},
                      {"failed_batches", st.redis_failed_batches},
                      {"last_error", st.redis_error}});
  json doc{{"stages", std::move(stages)}};
  if (!st.opts.sources.empty())
    doc["sources"] = sources_status(st);
  st.opts.board->publish(doc.dump());
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
  publish(*st);
  self->set_default_handler(caf::drop);
  return {
    [st](atoms::ingest, const std::string& catalog, const std::string& lines,
         const std::string& source) {
      auto r = ingest(*st, catalog, lines, source);
      publish(*st);
      return r;
    },
    [st](atoms::replay, const std::string& catalog, const std::string& source,
         int64_t limit) {
      auto r = replay_dead_letters(*st, catalog, source,
                                   static_cast<size_t>(std::clamp<int64_t>(limit, 1, 100000)));
      publish(*st);
      return r;
    },
    [st](atoms::check, const std::string& name) { return check_source(*st, name); },
    [st](atoms::discover, const std::string& name) {
      return discover_source(*st, name);
    },
    [st](atoms::sync, const std::string& name) {
      auto r = sync_source(*st, name);
      publish(*st);
      return r;
    },
  };
}

} // namespace

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts) {
  return sys.spawn<caf::detached>(worker_impl, std::move(opts));
}

} // namespace sophia::actors::pipeline
