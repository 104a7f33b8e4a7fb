#include "actors/pipeline/vectors/record_index.hpp"

#include <algorithm>
#include <map>

#include "runtime/vectors/exact_index.hpp"
#include "runtime/vectors/hashing_embedder.hpp"
#include "runtime/vectors/hnsw_index.hpp"

namespace sophia::actors::pipeline::vectors {

namespace rv = runtime::vectors;

std::variant<std::unique_ptr<record_index>, std::string>
record_index::make(const std::string& kind, size_t dimension,
                   text_limits limits, shard_options shards) {
  std::unique_ptr<record_index> out{new record_index};
  out->kind_ = kind;
  out->limits_ = limits;
  rv::hashing_embedder_config ec;
  ec.dimension = dimension;
  auto e = rv::hashing_embedder::make(ec);
  if (auto* err = std::get_if<std::string>(&e))
    return "vector_dimension: " + *err;
  out->embedder_ = std::make_unique<rv::hashing_embedder>(
    std::move(std::get<rv::hashing_embedder>(e)));
  if (kind == "exact" && resolve_shards(shards.shards) > 1) {
    if (!shards.sys)
      return std::string{"vector_shards: shards need an actor system"};
    auto i = sharded_index::make(*shards.sys, dimension, shards.shards,
                                 shards.timeout);
    if (auto* err = std::get_if<std::string>(&i))
      return "vector_index: " + *err;
    out->index_ = std::move(std::get<std::unique_ptr<sharded_index>>(i));
  } else if (kind == "exact") {
    auto i = rv::exact_index::make(dimension);
    if (auto* err = std::get_if<std::string>(&i))
      return "vector_index: " + *err;
    out->index_ = std::make_unique<rv::exact_index>(
      std::move(std::get<rv::exact_index>(i)));
  } else if (kind == "hnsw") {
    auto i = rv::hnsw_index::make(dimension);
    if (auto* err = std::get_if<std::string>(&i))
      return "vector_index: " + *err;
    out->index_ = std::make_unique<rv::hnsw_index>(
      std::move(std::get<rv::hnsw_index>(i)));
  } else {
    return "vector_index: expected \"exact\" or \"hnsw\", got \"" + kind + "\"";
  }
  out->zeros_.assign(dimension, 0.0f);
  out->scratch_.assign(dimension, 0.0f);
  return out;
}

std::optional<std::string>
record_index::use_embedder(std::unique_ptr<rv::embedder> e) {
  if (!e)
    return "no embedder";
  if (e->dimension() != zeros_.size())
    return "the embedder's dimension " + std::to_string(e->dimension())
           + " is not the index's " + std::to_string(zeros_.size());
  embedder_ = std::move(e);
  return std::nullopt;
}

namespace {

// -1, 0, 1: how cursor `a` compares with `b` (values of different types,
// or not numbers or strings, compare equal).
int compare_cursor(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) {
    auto x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    auto c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return 0;
}

} // namespace

bool record_index::newer(const vector_record& r, const entry& e) const {
  // As the table's dedup: a null cursor loses, then the cursor, then the
  // later emitted_at (equal: the later arrival).
  auto& old = e.meta.cursor;
  if (r.cursor.is_null() != old.is_null())
    return old.is_null();
  if (!r.cursor.is_null())
    if (auto c = compare_cursor(r.cursor, old); c != 0)
      return c > 0;
  return r.emitted_at_ms >= e.meta.emitted_at_ms;
}

void record_index::remove(std::unordered_map<std::string, entry>::iterator it) {
  for (auto id : it->second.ids) {
    // The index cannot delete: the slot gets the zero vector (score 0,
    // never a result) and is reused by the next chunk added.
    index_->add(id, zeros_);
    if (sink_)
      sink_(id, it->second.meta, chunks_[id].text, {});
    chunks_[id] = chunk{};
    free_.push_back(id);
    --live_chunks_;
  }
  entries_.erase(it);
}

record_index::outcome record_index::apply(const vector_record& r,
                                          bool from_rebuild) {
  if (rebuilding_) {
    if (from_rebuild && touched_.count(r.identity))
      return outcome::kept_live;
    if (!from_rebuild)
      touched_.insert(r.identity);
  }
  auto it = entries_.find(r.identity);
  if (it != entries_.end() && r.dedup && !from_rebuild && !newer(r, it->second))
    return outcome::stale;
  if (r.deleted || r.text.empty()) {
    if (it != entries_.end())
      remove(it);
    return r.deleted ? outcome::deleted : outcome::no_text;
  }
  auto pieces = chunk_text(r.text, limits_);
  if (pieces.empty()) {
    if (it != entries_.end())
      remove(it);
    return outcome::no_text;
  }
  // Embed first: on failure the old version stays.
  auto dim = dimension();
  std::vector<float> rows(pieces.size() * dim);
  std::vector<std::string_view> views(pieces.begin(), pieces.end());
  if (auto err = embedder_->embed_batch(views, rows)) {
    last_error_ = *err;
    return outcome::failed;
  }
  if (it != entries_.end())
    remove(it);
  auto [at, inserted] = entries_.try_emplace(r.identity);
  auto& e = at->second;
  e.meta = r;
  e.meta.text.clear();
  e.generation = generation_;
  for (size_t i = 0; i < pieces.size(); ++i) {
    uint64_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = chunks_.size();
      chunks_.emplace_back();
    }
    auto v = std::span<const float>{rows}.subspan(i * dim, dim);
    if (auto err = index_->add(id, v)) {
      last_error_ = *err;
      free_.push_back(id);
      continue;
    }
    chunks_[id] = chunk{&at->first, std::move(pieces[i])};
    e.ids.push_back(id);
    ++live_chunks_;
    if (sink_)
      sink_(id, e.meta, chunks_[id].text, v);
  }
  return outcome::indexed;
}

void record_index::begin_rebuild() {
  rebuilding_ = true;
  ++generation_;
  touched_.clear();
}

size_t record_index::end_rebuild(bool complete) {
  if (!rebuilding_)
    return 0;
  rebuilding_ = false;
  size_t removed = 0;
  if (complete) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto next = std::next(it);
      if (it->second.generation != generation_ && !touched_.count(it->first)) {
        remove(it);
        ++removed;
      }
      it = next;
    }
  }
  touched_.clear();
  return removed;
}

std::variant<std::vector<search_result>, std::string>
record_index::search(const std::string& query, size_t k,
                     const std::string& stream) {
  std::vector<search_result> out;
  if (k == 0 || live_chunks_ == 0)
    return out;
  if (auto err = embedder_->embed(query, scratch_))
    return "embedding the query: " + *err;
  if (std::all_of(scratch_.begin(), scratch_.end(), [](float x) { return x == 0; }))
    return out; // no words: nothing is similar
  auto matches = [&](const vector_record& m) {
    if (stream.empty())
      return true;
    if (m.stream == stream || m.table == stream)
      return true;
    auto dot = m.stream.rfind('.');
    return dot != std::string::npos && m.stream.substr(dot + 1) == stream;
  };
  // Fetch more than k: removed slots, other chunks of one record and
  // other streams take places; widen until k records or everything.
  auto total = index_->size();
  size_t want = std::min(total, k * 4 + free_.size());
  for (;;) {
    auto r = index_->search(scratch_, want);
    if (auto* err = std::get_if<std::string>(&r))
      return *err;
    out.clear();
    std::unordered_set<const std::string*> seen;
    bool unrelated = false; // the rest scores 0 or less
    for (auto& h : std::get<runtime::vectors::hits>(r)) {
      if (out.size() == k)
        break;
      if (h.score <= 0) {
        unrelated = true;
        break;
      }
      if (h.id >= chunks_.size() || !chunks_[h.id].identity)
        continue;
      auto& c = chunks_[h.id];
      if (!seen.insert(c.identity).second)
        continue; // a better chunk of this record is in already
      auto& m = entries_.at(*c.identity).meta;
      if (!matches(m))
        continue;
      out.push_back({m.source, m.stream, m.table, m.key, h.score, c.text});
    }
    if (out.size() >= k || unrelated || want >= total)
      break;
    want = std::min(total, want * 4);
  }
  return out;
}

} // namespace sophia::actors::pipeline::vectors
