#include "actors/pipeline/pipeline_role.hpp"

#include <cstdlib>
#include <memory>

#include <caf/all.hpp>

#include "actors/pipeline/analytics/analytics_service.hpp"
#include "actors/pipeline/pipeline_service.hpp"
#include "actors/pipeline/reader.hpp"
#include "actors/pipeline/sources/scheduler.hpp"
#include "actors/pipeline/status_board.hpp"
#include "actors/pipeline/vectors/external_stores.hpp"
#include "actors/pipeline/vectors/service_embedder.hpp"
#include "actors/pipeline/vectors/stage.hpp"
#include "actors/pipeline/worker.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace sophia::actors::pipeline {

namespace sup = runtime::supervision;
namespace cfg = runtime::config;

namespace {

// [pipeline.sources.NAME] as the worker runs them (secrets in their config
// are resolved on each run, not here).
std::vector<sources::source_spec> sources_of(const cfg::pipeline_config& p) {
  std::vector<sources::source_spec> out;
  for (auto& [name, s] : p.sources)
    out.push_back({name, s.command, s.config_json, s.catalog, s.schedule_s,
                   s.timeout_s});
  return out;
}

// [pipeline] as the worker uses it, the PostgreSQL URI resolved now.
worker_options options_of(const cfg::pipeline_config& p) {
  worker_options o;
  o.sources = sources_of(p);
  o.default_schema = p.default_schema;
  o.batch_records = static_cast<size_t>(p.batch_records);
  o.max_line_bytes = static_cast<size_t>(p.max_line_bytes);
  o.retry_ms = p.retry_ms;
  o.redis_ttl_ms = p.redis_ttl_ms;
  o.redis_stream_max_len = static_cast<size_t>(p.redis_stream_max_len);
  // Redis is optional: unset (and no embedded one) means no Redis stage.
  if (p.redis.empty()) {
    if (auto* env = std::getenv("SOPHIA_PIPELINE_REDIS"); env && *env)
      o.redis = env;
  } else if (auto uri = cfg::resolve_secret(p.redis)) {
    o.redis = *uri;
  } else {
    o.redis_problem = "[pipeline] redis: " + runtime::detail_of(uri.error());
  }
  if (p.postgres.empty()) {
    if (auto* env = std::getenv("SOPHIA_PIPELINE_POSTGRES"); env && *env)
      o.postgres = env;
    else
      o.unconfigured = "no PostgreSQL configured: set [pipeline] postgres in "
                       "cluster.conf (a postgresql:// URI or env:VAR), or run "
                       "the cluster with `tools/sophia up`, which starts one";
    return o;
  }
  auto uri = cfg::resolve_secret(p.postgres);
  if (!uri)
    o.unconfigured = "[pipeline] postgres: " + runtime::detail_of(uri.error());
  else
    o.postgres = *uri;
  return o;
}

// [pipeline] as the reader uses it: the servers of the worker's options.
reader_options reader_options_of(const cfg::pipeline_config& p) {
  auto w = options_of(p);
  reader_options o;
  o.postgres = std::move(w.postgres);
  o.unconfigured = std::move(w.unconfigured);
  o.redis = std::move(w.redis);
  o.redis_problem = std::move(w.redis_problem);
  o.query_timeout_ms = p.query_timeout_ms;
  o.query_max_rows = static_cast<size_t>(p.query_max_rows);
  return o;
}

} // namespace

sup::child_spec pipeline_supervisor(const cfg::cluster_config& cluster,
                                    caf::actor registry, std::string role) {
  auto settings = cluster.pipeline;
  auto whole = std::make_shared<const cfg::cluster_config>(cluster);
  sup::child_spec spec;
  spec.id = "pipeline";
  spec.kind = sup::child_kind::supervisor;
  spec.start = [settings, whole, registry, role](caf::actor_system& sys,
                                          const caf::message&) {
    auto worker = std::make_shared<caf::actor>();
    auto reader = std::make_shared<caf::actor>();
    // Outlives a restart of the worker: status shows its last word.
    auto board = std::make_shared<status_board>();
    std::vector<sup::child_spec> children;
    // The vectors stage first: when it restarts, the worker (which feeds
    // it) and the tools (which search it) restart with it.
    auto feed = std::make_shared<vectors::feed>(
      static_cast<size_t>(settings.vector_queue_records),
      std::chrono::milliseconds{5000});
    auto stage = std::make_shared<caf::actor>();
    sup::child_spec vs;
    vs.id = "vectors";
    vs.start = [settings, whole, feed, stage, registry](caf::actor_system& sys,
                                                        const caf::message&) {
      vectors::stage_options o;
      o.index = settings.vector_index;
      o.dimension = static_cast<size_t>(settings.vector_dimension);
      o.shards = static_cast<size_t>(settings.vector_shards);
      // [pipeline] embedder: an AI service's embed tool instead of hashing.
      if (settings.embedder != "hashing")
        vectors::use_service_embedder(
          sys, registry,
          {.service = settings.embedder,
           .model = settings.embedding_model,
           .batch = static_cast<size_t>(settings.embedding_batch),
           .deadline = std::chrono::milliseconds{settings.embedding_timeout_ms}},
          o);
      o.postgres = options_of(settings).postgres;
      o.counters = feed;
      // Pinecone / Weaviate, when configured: a copy of the index.
      if (auto why = vectors::connect_external_stores(sys, *whole, o); !why.empty())
        feed->update([&](vectors::stage_stats& s) { s.last_error = why; });
      auto a = vectors::spawn_stage(sys, std::move(o));
      if (a)
        *stage = *a;
      return a;
    };
    vs.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{5000});
    children.push_back(std::move(vs));
    sup::child_spec w;
    w.id = "worker";
    w.start = [settings, worker, feed, board](caf::actor_system& sys,
                                              const caf::message&) {
      auto o = options_of(settings);
      o.vectors = feed;
      o.board = board;
      *worker = spawn_worker(sys, std::move(o));
      return caf::expected<caf::actor>{*worker};
    };
    // A commit in flight finishes before the worker reads its exit.
    w.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{10000});
    children.push_back(std::move(w));
    // Queries, status, analytics and tail: never behind a sync.
    sup::child_spec r;
    r.id = "reader";
    r.start = [settings, reader, feed, board](caf::actor_system& sys,
                                              const caf::message&) {
      auto o = reader_options_of(settings);
      o.board = board;
      o.vectors = feed;
      *reader = spawn_reader(sys, std::move(o));
      return caf::expected<caf::actor>{*reader};
    };
    // A query runs at most query_timeout_ms; the reader quits after it.
    r.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{
      std::max<int64_t>(1000, settings.query_timeout_ms + 1000)});
    children.push_back(std::move(r));
    sup::child_spec tools;
    tools.id = "tools";
    tools.start = [registry, role, worker, reader, stage](caf::actor_system& sys,
                                                          const caf::message&) {
      return spawn_pipeline_service(sys, registry, *worker, *reader, role, *stage);
    };
    tools.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{1000});
    children.push_back(std::move(tools));
    // analytics.summary: the edges' tool calls, from the reader.
    sup::child_spec stats;
    stats.id = "analytics";
    stats.start = [registry, role, reader](caf::actor_system& sys,
                                           const caf::message&) {
      return analytics::spawn_analytics_service(sys, registry, *reader, role);
    };
    stats.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{1000});
    children.push_back(std::move(stats));
    // [pipeline.sources.NAME] schedule_s: syncs by themselves.
    sup::child_spec sched;
    sched.id = "sources";
    sched.start = [settings, worker](caf::actor_system& sys, const caf::message&) {
      return sources::spawn_scheduler(sys, *worker, sources_of(settings));
    };
    sched.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{1000});
    children.push_back(std::move(sched));
    return sup::spawn_supervisor(
      sys, "pipeline",
      sup::flags{sup::strategy::rest_for_one, 3, std::chrono::milliseconds{5000}},
      std::move(children));
  };
  return spec;
}

} // namespace sophia::actors::pipeline
