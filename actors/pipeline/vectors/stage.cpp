#include "actors/pipeline/vectors/stage.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

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

constexpr std::chrono::milliseconds retry_first_pause{1000};
constexpr std::chrono::milliseconds retry_max_pause{60000};

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
  /// Records whose embedding failed (the embedding service down, not yet
  /// registered at start-up, or failing), by identity: retried with
  /// backoff, so that they need no rebuild (which would embed everything
  /// again). A later version of a record takes its place or clears it.
  std::unordered_map<std::string, vector_record> retry;
  bool retry_scheduled = false;
  std::chrono::milliseconds retry_pause = retry_first_pause;
  /// Records failed while the list was full: a rebuild takes them, once
  /// the list is through (the embedder works again), not before: a
  /// rebuild while it fails would only fail again, embedding everything.
  bool retry_overflowed = false;
};

/// At most this many records wait for a retry; beyond, the stage
/// rebuilds from PostgreSQL once the embedder works again.
constexpr size_t retry_max_records = 10000;

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
  // The rebuild reads every record again, those waiting for a retry too.
  st.retry.clear();
  st.retry_overflowed = false;
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

// Keeps `r`, whose embedding failed, for a retry; false when the retry
// list is full (a rebuild will take it).
bool keep_for_retry(stage_state& st, const vector_record& r) {
  auto it = st.retry.find(r.identity);
  if (it != st.retry.end()) {
    it->second = r;
    return true;
  }
  if (st.retry.size() >= retry_max_records)
    return false;
  st.retry.emplace(r.identity, r);
  return true;
}

// Applies a batch's records; counts what happened.
void apply(stage_state& st, const vector_batch& b, bool from_rebuild) {
  uint64_t deleted = 0, no_text = 0, stale = 0, failed = 0;
  for (auto& r : b.records) {
    auto outcome = st.index->apply(r, from_rebuild);
    switch (outcome) {
      case record_index::outcome::deleted: ++deleted; break;
      case record_index::outcome::no_text: ++no_text; break;
      case record_index::outcome::stale: ++stale; break;
      case record_index::outcome::failed: ++failed; break;
      default: break;
    }
    if (outcome == record_index::outcome::failed) {
      if (!keep_for_retry(st, r))
        st.retry_overflowed = true;
    } else if (outcome != record_index::outcome::stale
               && outcome != record_index::outcome::kept_live) {
      // This version is in (or deleted): an older one must not come back.
      st.retry.erase(r.identity);
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
    s.retry_waiting = st.retry.size();
    if (failed > 0)
      s.last_error = st.index->last_error();
  });
  publish(st);
}

void schedule_retry(caf::event_based_actor* self, stage_state& st) {
  if (st.retry.empty() || st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, st.retry_pause, atoms::retry::value);
}

// Embeds the waiting records again (the newest version of each): those
// that fail wait longer, up to a minute between tries; one that works
// makes the next try come soon again.
void retry_failed(stage_state& st) {
  std::unordered_map<std::string, vector_record> waiting;
  waiting.swap(st.retry);
  uint64_t indexed = 0;
  for (auto& [identity, r] : waiting) {
    auto outcome = st.index->apply(r, false);
    if (outcome == record_index::outcome::failed)
      st.retry.emplace(identity, std::move(r));
    else if (outcome == record_index::outcome::indexed)
      ++indexed;
  }
  st.retry_pause = indexed > 0 ? retry_first_pause
                               : std::min(st.retry_pause * 2, retry_max_pause);
  st.opts.counters->update([&](stage_stats& s) {
    s.retried += indexed;
    s.retry_waiting = st.retry.size();
    if (!st.retry.empty())
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
      schedule_retry(self, *st);
    },
    [self, st](atoms::retry) {
      st->retry_scheduled = false;
      retry_failed(*st);
      if (st->opts.flush)
        st->opts.flush(self);
      // Overflowed earlier: the rebuild takes what did not fit.
      if (st->retry.empty() && st->retry_overflowed) {
        st->retry_overflowed = false;
        st->rebuild_due = true;
        maybe_rebuild(self, *st);
      }
      schedule_retry(self, *st);
    },
    [self, st](atoms::page, const vector_batch_ptr& b) {
      if (b && st->index->rebuilding()) {
        apply(*st, *b, true);
        if (st->opts.flush)
          st->opts.flush(self);
        schedule_retry(self, *st);
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
