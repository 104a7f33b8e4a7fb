#include "actors/pipeline/vectors/sharded_index.hpp"

#include <algorithm>
#include <thread>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/pipeline/vectors/index_shard.hpp"
#include "runtime/vectors/blas_threads.hpp"
#include "runtime/vectors/exact_index.hpp"

namespace sophia::actors::pipeline::vectors {

namespace rv = runtime::vectors;

using clock_type = std::chrono::steady_clock;

/// Pipelined adds in flight before `add` waits for half of them.
constexpr size_t add_window = 1024;

size_t resolve_shards(size_t shards) {
  if (shards > 0)
    return shards;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

struct sharded_index::impl {
  explicit impl(caf::actor_system& sys)
    : self(sys) {}

  /// Sends every request: one sender, so each shard takes them in order.
  caf::scoped_actor self;
  size_t dim = 0;
  std::chrono::milliseconds timeout{ 0 };
  std::vector<caf::actor> shards;
  /// Every id added to a shard that took it (the index's size, known
  /// without waiting for the shards' replies).
  std::unordered_set<uint64_t> ids;
  /// Pipelined adds sent to each shard and not answered yet.
  std::vector<size_t> inflight;
  size_t inflight_total = 0;
  /// The first failure of a pipelined add, for the next `add` to return.
  std::optional<std::string> add_error;
  /// Why each shard is down; empty while it is up.
  std::vector<std::string> down;
  /// The last request's sequence number: replies to earlier ones are late.
  uint64_t seq = 0;

  std::string shard_error(size_t i, const std::string& why) const {
    return "sharded_index: shard " + std::to_string(i) + " of " +
           std::to_string(shards.size()) + ": " + why;
  }

  size_t shard_of(const caf::actor_addr& a) const {
    for (size_t i = 0; i < shards.size(); ++i)
      if (shards[i].address() == a)
        return i;
    return shards.size();
  }

  /// Marks the shard of a down message down; returns its number (or
  /// `shards.size()` for another actor).
  size_t on_down(const caf::down_msg& m) {
    auto i = shard_of(m.source);
    if (i < shards.size() && down[i].empty()) {
      down[i] = "down (" + caf::to_string(m.reason) + ")";
      // Its adds in flight are lost with it.
      if (inflight[i] > 0 && !add_error)
        add_error = shard_error(i, down[i]);
      inflight_total -= inflight[i];
      inflight[i] = 0;
    }
    return i;
  }

  /// Counts the reply to a pipelined add in; keeps its failure.
  void on_pipelined(const shard_reply& r) {
    if (inflight[r.shard] > 0) {
      --inflight[r.shard];
      --inflight_total;
    }
    if (!r.error.empty() && !add_error)
      add_error = shard_error(r.shard, r.error);
  }

  /// Waits until at most `at_most` pipelined adds are in flight, so that
  /// an owner adding faster than the shards take the rows holds at most a
  /// window of them in the mailboxes; an error once `timeout` passed.
  std::optional<std::string> drain(size_t at_most) {
    auto deadline = clock_type::now() + timeout;
    while (inflight_total > at_most) {
      auto left = deadline - clock_type::now();
      if (left <= clock_type::duration::zero())
        return "sharded_index: " + std::to_string(inflight_total) +
               " adds unanswered after " + std::to_string(timeout.count()) +
               " ms";
      self->receive(
        [&](shard_reply& r) {
          if (r.shard < shards.size() && r.pipelined)
            on_pipelined(r);
        },
        [&](caf::down_msg& m) { on_down(m); }, caf::after(left) >> [] {});
    }
    return std::nullopt;
  }

  /// Waits for the replies to request `s` of the shards marked in `wanted`
  /// (their requests sent), giving each to `on_reply`; returns the first
  /// error: a shard's, down, or silent past the timeout.
  template <class F>
  std::optional<std::string> collect(uint64_t s, std::vector<char> wanted,
                                     F&& on_reply) {
    std::optional<std::string> err;
    auto fail = [&](size_t i, const std::string& why) {
      if (!err)
        err = shard_error(i, why);
    };
    auto pending = static_cast<size_t>(std::count(wanted.begin(), wanted.end(), 1));
    auto deadline = clock_type::now() + timeout;
    while (pending > 0) {
      auto left = deadline - clock_type::now();
      if (left <= clock_type::duration::zero()) {
        for (size_t i = 0; i < wanted.size(); ++i)
          if (wanted[i])
            fail(i, "no reply within " + std::to_string(timeout.count()) + " ms");
        break;
      }
      self->receive(
        [&](shard_reply& r) {
          if (r.shard >= shards.size())
            return;
          if (r.pipelined) {
            on_pipelined(r);
            return;
          }
          if (r.seq != s || !wanted[r.shard])
            return; // late: its call gave up on it already
          wanted[r.shard] = 0;
          --pending;
          if (!r.error.empty())
            fail(r.shard, r.error);
          else
            on_reply(r);
        },
        [&](caf::down_msg& m) {
          auto i = on_down(m);
          if (i < shards.size() && wanted[i]) {
            wanted[i] = 0;
            --pending;
            fail(i, down[i]);
          }
        },
        caf::after(left) >> [] {
          // The loop's deadline check reports the silent shards.
        });
    }
    return err;
  }

  /// Sends `add` to shard `i` unless it is down; marks it in `wanted`.
  std::optional<std::string> send_add(size_t i, shard_add add,
                                      std::vector<char>& wanted) {
    if (!down[i].empty())
      return shard_error(i, down[i]);
    self->send(shards[i], std::move(add));
    wanted[i] = 1;
    return std::nullopt;
  }

  std::variant<std::vector<rv::hits>, std::string>
  search(std::span<const float> queries, size_t k);
};

namespace {

/// Best first; equal scores: lower id first (ids are unique: a total order).
bool better(const rv::hit& a, const rv::hit& b) {
  return a.score != b.score ? a.score > b.score : a.id < b.id;
}

} // namespace

std::variant<std::vector<rv::hits>, std::string>
sharded_index::impl::search(std::span<const float> queries, size_t k) {
  auto nq = queries.size() / dim;
  if (nq == 0)
    return std::vector<rv::hits>{};
  // A shard down holds vectors no other has: results would be wrong.
  for (size_t i = 0; i < shards.size(); ++i)
    if (!down[i].empty())
      return shard_error(i, down[i]);
  auto shared = std::make_shared<const std::vector<float>>(queries.begin(),
                                                           queries.end());
  auto s = ++seq;
  for (auto& shard : shards)
    self->send(shard, shard_search{ s, shared, k });
  std::vector<std::vector<rv::hits>> parts(shards.size());
  auto err = collect(s, std::vector<char>(shards.size(), 1),
                     [&](shard_reply& r) { parts[r.shard] = std::move(r.hits); });
  if (err)
    return *err;
  std::vector<rv::hits> out(nq);
  for (size_t q = 0; q < nq; ++q) {
    auto& merged = out[q];
    for (auto& part : parts) {
      if (part.size() != nq)
        return std::string{ "sharded_index: a shard answered for " } +
               std::to_string(part.size()) + " queries, not " +
               std::to_string(nq);
      merged.insert(merged.end(), part[q].begin(), part[q].end());
    }
    // Each shard sent its own best k: the best k of all are among them.
    auto keep = std::min(k, merged.size());
    std::partial_sort(merged.begin(), merged.begin() + keep, merged.end(),
                      better);
    merged.resize(keep);
  }
  return out;
}

sharded_index::sharded_index(std::unique_ptr<impl> p)
  : impl_(std::move(p)) {}

std::variant<std::unique_ptr<sharded_index>, std::string>
sharded_index::make(caf::actor_system& sys, size_t dimension, size_t shards,
                    std::chrono::milliseconds timeout) {
  shards = resolve_shards(shards);
  if (timeout.count() <= 0)
    return std::string{ "sharded_index: the timeout must be positive" };
  auto p = std::make_unique<impl>(sys);
  p->dim = dimension;
  p->timeout = timeout;
  for (size_t i = 0; i < shards; ++i) {
    auto index = rv::exact_index::make(dimension);
    if (auto* err = std::get_if<std::string>(&index))
      return *err; // the shards spawned so far stop with `p`'s scoped actor
    auto shard = spawn_index_shard(sys, static_cast<uint32_t>(i),
                                   std::move(std::get<rv::exact_index>(index)),
                                   p->self->address());
    p->self->monitor(shard);
    p->shards.push_back(std::move(shard));
  }
  p->inflight.assign(shards, 0);
  p->down.assign(shards, {});
  // The shards are the threads: a threaded BLAS call in each would compete
  // for the same cores.
  if (shards > 1)
    rv::set_blas_threads(1);
  return std::unique_ptr<sharded_index>{ new sharded_index{ std::move(p) } };
}

sharded_index::~sharded_index() {
  auto& p = *impl_;
  std::vector<char> up(p.shards.size(), 0);
  for (size_t i = 0; i < p.shards.size(); ++i) {
    if (!p.down[i].empty())
      continue;
    p.self->send_exit(p.shards[i], caf::exit_reason::user_shutdown);
    up[i] = 1;
  }
  // Wait for them, so that their memory and threads are gone when this
  // returns; a shard busy with a long search ends after it.
  auto deadline = clock_type::now() + p.timeout;
  while (std::count(up.begin(), up.end(), 1) > 0) {
    auto left = deadline - clock_type::now();
    if (left <= clock_type::duration::zero())
      break;
    p.self->receive(
      [&](shard_reply&) {
        // late
      },
      [&](caf::down_msg& m) {
        if (auto i = p.on_down(m); i < up.size())
          up[i] = 0;
      },
      caf::after(left) >> [] {});
  }
}

size_t sharded_index::dimension() const noexcept {
  return impl_->dim;
}

size_t sharded_index::size() const noexcept {
  return impl_->ids.size();
}

size_t sharded_index::shards() const noexcept {
  return impl_->shards.size();
}

std::vector<caf::actor> sharded_index::shard_actors() const {
  return impl_->shards;
}

namespace {

std::string wrong_size(const char* what, size_t got, size_t want) {
  return std::string{ "sharded_index: " } + what + " holds " +
         std::to_string(got) + " floats, expected " + std::to_string(want);
}

} // namespace

std::optional<std::string> sharded_index::add(uint64_t id,
                                              std::span<const float> v) {
  auto& p = *impl_;
  if (v.size() != p.dim)
    return wrong_size("vector", v.size(), p.dim);
  // Pipelined: a round trip per vector would cap adds at the scheduler's
  // message latency (the vectors stage adds chunk by chunk). A shard takes
  // its messages in order, so a later search still sees this vector.
  auto i = static_cast<size_t>(id % p.shards.size());
  if (!p.down[i].empty())
    return p.shard_error(i, p.down[i]);
  shard_add a{ ++p.seq, true, { id }, { v.begin(), v.end() } };
  p.self->send(p.shards[i], std::move(a));
  ++p.inflight[i];
  ++p.inflight_total;
  p.ids.insert(id);
  std::optional<std::string> err;
  if (p.inflight_total > add_window)
    err = p.drain(add_window / 2);
  if (p.add_error) {
    err = std::move(p.add_error);
    p.add_error.reset();
  }
  return err;
}

std::optional<std::string>
sharded_index::add_batch(std::span<const uint64_t> ids,
                         std::span<const float> rows) {
  auto& p = *impl_;
  if (rows.size() != ids.size() * p.dim)
    return wrong_size("batch", rows.size(), ids.size() * p.dim);
  auto n = p.shards.size();
  std::vector<shard_add> parts(n);
  auto s = ++p.seq;
  for (auto& part : parts) {
    part.seq = s;
    part.ids.reserve(ids.size() / n + 1);
    part.rows.reserve((ids.size() / n + 1) * p.dim);
  }
  for (size_t r = 0; r < ids.size(); ++r) {
    auto& part = parts[ids[r] % n];
    part.ids.push_back(ids[r]);
    auto row = rows.subspan(r * p.dim, p.dim);
    part.rows.insert(part.rows.end(), row.begin(), row.end());
  }
  std::optional<std::string> err;
  std::vector<char> wanted(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (parts[i].ids.empty())
      continue;
    auto taken = parts[i].ids;
    if (auto e = p.send_add(i, std::move(parts[i]), wanted)) {
      if (!err)
        err = std::move(e);
    } else {
      p.ids.insert(taken.begin(), taken.end());
    }
  }
  auto waited = p.collect(s, std::move(wanted), [](shard_reply&) {});
  return err ? err : waited;
}

std::variant<rv::hits, std::string>
sharded_index::search(std::span<const float> query, size_t k) const {
  if (query.size() != impl_->dim)
    return wrong_size("query", query.size(), impl_->dim);
  auto r = impl_->search(query, k);
  if (auto* err = std::get_if<std::string>(&r))
    return std::move(*err);
  return std::move(std::get<std::vector<rv::hits>>(r).front());
}

std::variant<std::vector<rv::hits>, std::string>
sharded_index::search_batch(std::span<const float> queries, size_t k) const {
  if (queries.size() % impl_->dim != 0)
    return "sharded_index: query batch holds " +
           std::to_string(queries.size()) + " floats, not a multiple of " +
           std::to_string(impl_->dim);
  return impl_->search(queries, k);
}

} // namespace sophia::actors::pipeline::vectors
