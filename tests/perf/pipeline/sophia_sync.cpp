#include "loaders.hpp"

#include <memory>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/ingest_session.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "actors/pipeline/redis/committed.hpp"
#include "actors/pipeline/redis/writer.hpp"
#include "bench_support.hpp"
#include "measure.hpp"

namespace sophia::bench::pipeline {

namespace ap = sophia::actors::pipeline;

namespace {

// The backend serving `db` (the writer's own connection).
pid_t backend_of(ap::postgres::connection& db) {
  auto r = db.query("SELECT pg_backend_pid()");
  if (auto* res = std::get_if<ap::postgres::result>(&r))
    return static_cast<pid_t>(std::stol(res->text(0, 0)));
  return 0;
}

} // namespace

load_result sophia_sync(const std::string& uri, const input& in, bool dedup,
                        const std::string& redis) {
  load_result out;
  auto parsed = ap::airbyte::parse_catalog(catalog_json(dedup));
  if (auto* err = std::get_if<std::string>(&parsed)) {
    out.error = "catalog: " + *err;
    return out;
  }
  auto& cat = std::get<ap::airbyte::configured_catalog>(parsed);
  ap::postgres::writer w{{uri, "public", "bench"}};
  if (auto err = w.begin(cat)) {
    out.error = "begin: " + *err;
    return out;
  }
  auto backend = backend_of(*w.db());
  // As the pipeline's worker runs it: a batch commits while the next is read.
  ap::ingest_limits limits;
  limits.overlap = true;
  ap::ingest_session session{w, cat, limits};
  std::unique_ptr<ap::redis::writer> cache;
  std::string redis_error;
  if (!redis.empty()) {
    ap::redis::writer_options ro;
    ro.redis.uri = redis;
    ro.stream_max_len = 0; // every event kept: the check counts them
    cache = std::make_unique<ap::redis::writer>(std::move(ro));
    session.on_committed([&](const ap::postgres::batch& b) {
      for (auto& t : ap::redis::committed_tables(w, b))
        if (auto r = cache->write(t); auto* err = std::get_if<std::string>(&r))
          redis_error = *err;
    });
  }
  auto cpu0 = process_cpu_seconds();
  auto server0 = cpu_seconds_of(backend);
  auto t0 = bench_clock::now();
  for (auto& l : in.lines)
    if (auto err = session.line(l)) {
      out.error = "commit: " + *err;
      return out;
    }
  if (auto err = session.flush()) {
    out.error = "commit: " + *err;
    return out;
  }
  out.seconds = ms_between(t0, bench_clock::now()) / 1000;
  out.cpu_seconds = process_cpu_seconds() - cpu0;
  out.server_cpu_seconds = cpu_seconds_of(backend) - server0;
  if (!redis_error.empty()) {
    out.error = "Redis: " + redis_error;
    return out;
  }
  auto rep = session.report();
  if (rep.records != in.record_lines || rep.states != in.state_lines
      || rep.dead_letters != 0)
    out.error = "the session took " + std::to_string(rep.records)
                + " records and " + std::to_string(rep.states)
                + " states, with " + std::to_string(rep.dead_letters)
                + " dead letters";
  return out;
}

std::string verify_redis(const std::string& xlen, const std::string& keys,
                         const input& in, bool dedup) {
  if (xlen != std::to_string(in.record_lines))
    return "Redis: " + xlen + " events, not " + std::to_string(in.record_lines);
  if (dedup && keys != std::to_string(in.distinct_keys()))
    return "Redis: " + keys + " latest versions, not "
           + std::to_string(in.distinct_keys());
  return {};
}

} // namespace sophia::bench::pipeline
