#include "actors/pipeline/vectors/feed.hpp"

#include <caf/all.hpp>

#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "actors/pipeline/vectors/messages.hpp"

namespace sophia::actors::pipeline::vectors {

using nlohmann::json;

const char* const vector_streams_ddl =
  "CREATE SCHEMA IF NOT EXISTS sophia_pipeline; "
  "CREATE TABLE IF NOT EXISTS sophia_pipeline.vector_streams ("
  "table_name text PRIMARY KEY, stream text NOT NULL, source text NOT NULL, "
  "primary_key jsonb NOT NULL, cursor_field text, dedup boolean NOT NULL)";

feed::feed(size_t max_queued, std::chrono::milliseconds max_wait)
  : max_queued_(std::max<size_t>(max_queued, 1)), max_wait_(max_wait) {
}

void feed::attach(caf::actor stage) {
  std::lock_guard<std::mutex> guard{mtx_};
  stage_ = std::move(stage);
  queued_ = 0;
}

bool feed::remember_table(postgres::writer& w, const std::string& table,
                          const json& row) {
  auto text = row.dump();
  if (auto i = tables_.find(table); i != tables_.end() && i->second == text)
    return true;
  auto* db = w.db();
  if (!db)
    return false;
  if (!table_ready_) {
    if (auto err = db->exec(vector_streams_ddl)) {
      update([&](stage_stats& s) { s.last_error = "vector_streams: " + *err; });
      return false;
    }
    table_ready_ = true;
  }
  auto r = db->query(
    "INSERT INTO sophia_pipeline.vector_streams VALUES ($1, $2, $3, $4::jsonb, "
    "$5, $6::boolean) ON CONFLICT (table_name) DO UPDATE SET stream = "
    "EXCLUDED.stream, source = EXCLUDED.source, primary_key = "
    "EXCLUDED.primary_key, cursor_field = EXCLUDED.cursor_field, dedup = "
    "EXCLUDED.dedup",
    {table, row["stream"].get<std::string>(), row["source"].get<std::string>(),
     row["primary_key"].dump(),
     row["cursor"].is_null() ? std::nullopt
                             : std::optional<std::string>{row["cursor"]},
     row["dedup"].get<bool>() ? "true" : "false"});
  if (auto* err = std::get_if<std::string>(&r)) {
    update([&](stage_stats& s) { s.last_error = "vector_streams: " + *err; });
    table_ready_ = false; // the connection may have been replaced
    return false;
  }
  tables_[table] = std::move(text);
  return true;
}

void feed::offer(postgres::writer& w, const postgres::batch& b,
                 const std::string& source) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!stage_)
      return;
  }
  auto out = std::make_shared<vector_batch>();
  // The tables' settings, looked up once per stream of the batch.
  struct table_info {
    std::string stream, table;
    bool dedup = false;
    std::vector<std::string> key;
    std::optional<std::string> cursor;
  };
  std::map<airbyte::stream_id, std::optional<table_info>> infos;
  try {
    for (auto& r : b.records) {
      // The system's own streams (the edges' tool calls) are not content.
      if (r.stream.ns == analytics::stream_namespace)
        continue;
      auto& info = infos[r.stream];
      if (!info) {
        auto* t = w.table_of(r.stream);
        if (!t)
          continue;
        info = table_info{r.stream.text(), t->schema() + "." + t->table(),
                          t->config().mode == airbyte::write_mode::append_dedup,
                          t->config().primary_key, t->config().cursor};
        remember_table(w, info->table,
                       json{{"stream", info->stream},
                            {"source", source},
                            {"primary_key", info->key},
                            {"cursor", info->cursor ? json(*info->cursor)
                                                    : json()},
                            {"dedup", info->dedup}});
      }
      out->records.push_back(make_record(source, info->stream, info->table,
                                         info->dedup, info->key, info->cursor,
                                         r.data, r.emitted_at_ms));
    }
  } catch (const std::exception& e) {
    update([&](stage_stats& s) { s.last_error = std::string{"feed: "} + e.what(); });
    return;
  }
  if (out->records.empty())
    return;
  auto n = out->records.size();
  std::unique_lock<std::mutex> lock{mtx_};
  auto fits = [&] { return queued_ == 0 || queued_ + n <= max_queued_; };
  if (!room_.wait_for(lock, max_wait_, fits)) {
    // Dropped: the stage rebuilds from PostgreSQL once it caught up.
    dropped_ = true;
    stats_.dropped_records += n;
    ++stats_.dropped_batches;
    return;
  }
  queued_ += n;
  caf::anon_send(stage_, atoms::batch::value, vector_batch_ptr{std::move(out)});
}

void feed::done(size_t n) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    queued_ = n > queued_ ? 0 : queued_ - n;
  }
  room_.notify_all();
}

bool feed::take_dropped() {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::exchange(dropped_, false);
}

void feed::update(const std::function<void(stage_stats&)>& f) {
  std::lock_guard<std::mutex> guard{mtx_};
  f(stats_);
}

json feed::status() const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& s = stats_;
  return json{{"stage", "vectors"},
              {"index", s.index},
              {"dimension", s.dimension},
              {"embedder", s.embedder},
              {"indexed_records", s.indexed_records},
              {"chunks", s.chunks},
              {"vectors", s.vectors},
              {"deleted", s.deleted},
              {"skipped_no_text", s.skipped_no_text},
              {"skipped_stale", s.skipped_stale},
              {"failed_records", s.failed_records},
              {"retry_waiting", s.retry_waiting},
              {"retried", s.retried},
              {"batches", s.batches},
              {"queue_records", queued_},
              {"queue_max_records", max_queued_},
              {"dropped_records", s.dropped_records},
              {"dropped_batches", s.dropped_batches},
              {"rebuild", s.rebuild},
              {"rebuild_rows", s.rebuild_rows},
              {"rebuilds", s.rebuilds},
              {"rebuilt_at", s.rebuilt_at},
              {"last_error", s.last_error}};
}

} // namespace sophia::actors::pipeline::vectors
