#include "actors/pipeline/vectors/stage.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "actors/pipeline/vectors/loader.hpp"
#include "actors/pipeline/vectors/messages.hpp"
#include "actors/pipeline/vectors/record_index.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vectors {

using nlohmann::json;
using runtime::errc;
using runtime::make_error;

namespace {

std::string now_text() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct stage_state {
  stage_options opts;
  std::unique_ptr<record_index> index;
  caf::actor loader;
  /// A rebuild is wanted once the running one (if any) ended.
  bool rebuild_due = false;
};

void publish(stage_state& st) {
  st.opts.counters->update([&](stage_stats& s) {
    s.indexed_records = st.index->records();
    s.chunks = st.index->chunks();
    s.vectors = st.index->vectors();
  });
}

void maybe_rebuild(caf::event_based_actor* self, stage_state& st) {
  if (!st.rebuild_due || st.loader)
    return;
  st.rebuild_due = false;
  if (st.opts.postgres.empty()) {
    st.opts.counters->update([](stage_stats& s) { s.rebuild = "off"; });
    return;
  }
  st.index->begin_rebuild();
  st.loader = spawn_loader(self->system(), st.opts.postgres,
                           caf::actor_cast<caf::actor>(self), st.opts.page_rows);
  self->monitor(st.loader);
  st.opts.counters->update([](stage_stats& s) {
    s.rebuild = "running";
    s.rebuild_rows = 0;
  });
}

void rebuild_ended(caf::event_based_actor* self, stage_state& st,
                   const std::string& err) {
  if (!st.loader)
    return;
  self->demonitor(st.loader);
  st.loader = nullptr;
  auto removed = st.index->end_rebuild(err.empty());
  st.opts.counters->update([&](stage_stats& s) {
    s.rebuild = err.empty() ? "done" : "failed";
    ++s.rebuilds;
    s.rebuilt_at = now_text();
    s.deleted += removed;
    if (!err.empty())
      s.last_error = "rebuild: " + err;
  });
  publish(st);
  maybe_rebuild(self, st);
}

// Applies a batch's records; counts what happened.
void apply(stage_state& st, const vector_batch& b, bool from_rebuild) {
  uint64_t deleted = 0, no_text = 0, stale = 0, failed = 0;
  for (auto& r : b.records) {
    switch (st.index->apply(r, from_rebuild)) {
      case record_index::outcome::deleted: ++deleted; break;
      case record_index::outcome::no_text: ++no_text; break;
      case record_index::outcome::stale: ++stale; break;
      case record_index::outcome::failed: ++failed; break;
      default: break;
    }
  }
  st.opts.counters->update([&](stage_stats& s) {
    s.deleted += deleted;
    s.skipped_no_text += no_text;
    s.skipped_stale += stale;
    if (from_rebuild)
      s.rebuild_rows += b.records.size();
    else
      ++s.batches;
    s.failed_records += failed;
    if (failed > 0)
      s.last_error = st.index->last_error();
  });
  publish(st);
}

caf::expected<std::string> search(stage_state& st, const std::string& query,
                                  int64_t k, const std::string& stream) {
  auto r = st.index->search(query, static_cast<size_t>(std::clamp<int64_t>(k, 1, 100)),
                            stream);
  if (auto* err = std::get_if<std::string>(&r))
    return make_error(errc::call_failed, *err);
  json results = json::array();
  for (auto& x : std::get<std::vector<search_result>>(r))
    results.push_back({{"source", x.source},
                       {"stream", x.stream},
                       {"table", x.table},
                       {"key", x.key},
                       {"score", x.score},
                       {"text", x.text}});
  json out{{"results", std::move(results)},
           {"indexed_records", st.index->records()}};
  if (st.loader)
    out["rebuilding"] = true;
  return out.dump();
}

caf::behavior stage_impl(caf::event_based_actor* self,
                         std::shared_ptr<stage_state> st) {
  // A raw pointer: the index lives in the state (no cycle).
  st->index->on_change([p = st.get()](uint64_t id, const vector_record& r,
                            const std::string& text,
                            std::span<const float> v) {
    if (p->opts.sink)
      p->opts.sink(chunk_update{id, r.identity, r.source, r.stream, r.table, r.key.dump(),
                                 text, v});
  });
  // The index goes with the stage, not with the stage's last handle: a
  // sharded index's shards are actors that would run on until then.
  self->attach_functor([st] { st->index.reset(); });
  self->set_down_handler([self, st](caf::down_msg& m) {
    if (st->loader && m.source == st->loader.address())
      rebuild_ended(self, *st, "the reader stopped: " + caf::to_string(m.reason));
  });
  self->set_default_handler(caf::drop);
  st->rebuild_due = true;
  maybe_rebuild(self, *st);
  return {
    [self, st](atoms::batch, const vector_batch_ptr& b) {
      if (b) {
        apply(*st, *b, false);
        st->opts.counters->done(b->records.size());
        if (st->opts.flush)
          st->opts.flush(self);
      }
      if (st->opts.counters->take_dropped())
        st->rebuild_due = true;
      maybe_rebuild(self, *st);
    },
    [self, st](atoms::page, const vector_batch_ptr& b) {
      if (b && st->index->rebuilding()) {
        apply(*st, *b, true);
        if (st->opts.flush)
          st->opts.flush(self);
      }
      return caf::ok_atom::value;
    },
    [self, st](atoms::rebuilt, const std::string& err) {
      rebuild_ended(self, *st, err);
    },
    [self, st](atoms::rebuild) {
      st->rebuild_due = true;
      maybe_rebuild(self, *st);
    },
    [st](atoms::search, const std::string& query, int64_t k,
         const std::string& stream) { return search(*st, query, k, stream); },
  };
}

} // namespace

caf::expected<caf::actor> spawn_stage(caf::actor_system& sys,
                                      stage_options opts) {
  if (!opts.counters)
    return make_error(errc::start_failed, "vectors stage: no feed");
  auto made = record_index::make(
    opts.index, opts.dimension, {},
    shard_options{.shards = opts.shards, .sys = &sys});
  if (auto* err = std::get_if<std::string>(&made)) {
    opts.counters->update([&](stage_stats& s) { s.last_error = *err; });
    return make_error(errc::start_failed, "[pipeline] " + *err);
  }
  auto st = std::make_shared<stage_state>();
  st->index = std::move(std::get<std::unique_ptr<record_index>>(made));
  if (opts.embedder) {
    auto err = st->index->use_embedder(opts.embedder());
    if (err) {
      auto why = "embedder " + opts.embedder_name + ": " + *err;
      opts.counters->update([&](stage_stats& s) { s.last_error = why; });
      return make_error(errc::start_failed, "[pipeline] " + why);
    }
  }
  st->opts = std::move(opts);
  st->opts.counters->update([&](stage_stats& s) {
    s.index = st->index->kind();
    s.dimension = st->index->dimension();
    s.embedder = st->opts.embedder ? st->opts.embedder_name : "hashing";
    s.rebuild = "pending";
  });
  auto feed = st->opts.counters;
  auto stage = sys.spawn<caf::detached>(stage_impl, std::move(st));
  feed->attach(stage);
  return stage;
}

} // namespace sophia::actors::pipeline::vectors
