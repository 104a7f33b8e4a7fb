#include "actors/pipeline/postgres/writer.hpp"

#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/dedup.hpp"
#include "actors/pipeline/postgres/names.hpp"
#include "actors/pipeline/postgres/rows.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"

namespace sophia::actors::pipeline::postgres {

namespace {

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

} // namespace

writer::writer(writer_options opts)
  : opts_(std::move(opts)), rows_(std::make_unique<row_writer>()) {}

writer::~writer() = default;
writer::writer(writer&&) noexcept = default;

connection* writer::db() {
  return db_.get();
}

std::optional<std::string> writer::connect() {
  if (db_ && db_->alive())
    return std::nullopt;
  db_.reset();
  auto c = connection::open(opts_.uri);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  db_ = std::make_unique<connection>(std::move(std::get<connection>(c)));
  return std::nullopt;
}

std::optional<std::string> writer::begin(const airbyte::configured_catalog& cat) {
  catalog_ = cat;
  stale_ = true;
  return prepare_streams();
}

// Brings every stream's table to the catalog, in one transaction.
std::optional<std::string> writer::prepare_streams() {
  if (auto err = connect())
    return err;
  tables_.clear();
  stages_.clear();
  auto fail = [&](std::string err) {
    db_->exec("ROLLBACK");
    return std::optional<std::string>{std::move(err)};
  };
  if (auto err = db_->exec("BEGIN"))
    return err;
  if (auto err = bookkeeping::ensure(*db_))
    return fail(*err);
  for (auto& s : catalog_.streams) {
    auto t = std::make_unique<stream_table>(s, opts_.default_schema);
    if (auto err = t->prepare(*db_))
      return fail(s.id.text() + ": " + *err);
    if (s.truncate) {
      auto only = t->only_current_generation(*db_);
      if (auto* err = std::get_if<std::string>(&only))
        return fail(s.id.text() + ": " + *err);
      // A table holding earlier generations stays visible until the
      // stream ends COMPLETE; the new one is written beside it.
      if (!std::get<bool>(only))
        if (auto err = t->use_tmp(*db_))
          return fail(s.id.text() + ": " + *err);
    }
    tables_.emplace(s.id, std::move(t));
  }
  if (auto err = db_->exec("COMMIT"))
    return fail(*err);
  stale_ = false;
  return std::nullopt;
}

const stream_table* writer::table_of(const airbyte::stream_id& id) const {
  auto i = tables_.find(id);
  return i == tables_.end() ? nullptr : i->second.get();
}

std::optional<std::string>
writer::write_stream(stream_table& t, const std::vector<size_t>& idx,
                     const batch& b, commit_stats& st) {
  for (auto i : idx)
    t.infer(b.records[i].data);
  if (t.pending_ddl())
    if (auto err = t.apply(*db_))
      return err;
  auto cols = copy_columns(t);
  auto dedup = t.config().mode != airbyte::write_mode::append;
  // append_dedup: stage, then merge.
  std::string stage_table;
  if (dedup) {
    auto& stage = stages_[t.config().id];
    auto stage_version = t.layout_version() * 2 + (t.writing_tmp() ? 1 : 0);
    if (stage.first.empty() || stage.second != stage_version) {
      if (stage.first.empty())
        stage.first = "_sophia_stage_" + std::to_string(stages_.size());
      if (auto err = db_->exec(
            "DROP TABLE IF EXISTS " + stage.first + "; CREATE TEMP TABLE "
            + stage.first + " (LIKE " + t.target()
            + ") ON COMMIT DELETE ROWS; ALTER TABLE " + stage.first
            + " ADD COLUMN _sophia_seq bigserial"))
        return err;
      stage.second = stage_version;
    }
    stage_table = stage.first;
  }
  // The rows go out as they are made, 256 KiB at a time, so that the
  // server stores one piece while the next is formatted (and the batch's
  // COPY text is never all in memory).
  constexpr size_t piece = 1024 * 1024;
  bool null_key = false;
  size_t next = 0;
  auto more = [&]() -> std::optional<std::string_view> {
    if (next == idx.size())
      return std::nullopt;
    buffer_.clear();
    for (; next < idx.size() && buffer_.size() < piece; ++next)
      st.nulled += rows_->append(buffer_, t, b.records[idx[next]], null_key);
    return buffer_;
  };
  if (auto err = db_->copy_in("COPY " + (dedup ? stage_table : t.target()) + " ("
                                + join(cols) + ") FROM STDIN",
                              more))
    return err;
  st.rows += idx.size();
  if (!dedup)
    return std::nullopt;
  dedup::plan p;
  p.target = t.target();
  p.stage = stage_table;
  for (auto* k : t.key_columns())
    if (k)
      p.key.push_back(names::quoted(k->name));
  if (p.key.empty()) // no key field seen yet: every key is NULL
    p.key.push_back("_airbyte_generation_id");
  if (auto* c = t.cursor_column())
    p.cursor = names::quoted(c->name);
  if (auto* d = t.deleted_at_column())
    p.deleted_at = names::quoted(d->name);
  p.columns = cols;
  p.null_keys = null_key;
  for (auto& sql : dedup::statements(p))
    if (auto err = db_->exec(sql))
      return err;
  return std::nullopt;
}

std::variant<commit_stats, std::string> writer::commit(const batch& b) {
  if (stale_)
    if (auto err = prepare_streams())
      return *err;
  commit_stats st;
  auto fail = [&](std::string err) -> std::variant<commit_stats, std::string> {
    if (db_->alive())
      db_->exec("ROLLBACK");
    // What this transaction did to the tables and the temp tables is
    // gone: the next commit reads them again.
    stale_ = true;
    return err;
  };
  if (auto err = db_->exec("BEGIN"))
    return fail(*err);
  // Records by stream, each stream's in arrival order.
  std::map<airbyte::stream_id, std::vector<size_t>> by_stream;
  for (size_t i = 0; i < b.records.size(); ++i)
    by_stream[b.records[i].stream].push_back(i);
  for (auto& [id, idx] : by_stream) {
    auto i = tables_.find(id);
    if (i == tables_.end())
      return fail("stream " + id.text() + " is not in the catalog");
    if (auto err = write_stream(*i->second, idx, b, st))
      return fail(id.text() + ": " + *err);
  }
  for (auto& s : b.statuses) {
    auto i = tables_.find(s.stream);
    if (i == tables_.end()
        || s.status != airbyte::stream_status::value::complete
        || !i->second->writing_tmp())
      continue;
    if (auto err = i->second->swap_in_tmp(*db_))
      return fail(s.stream.text() + ": " + *err);
    ++st.swapped;
  }
  if (b.state)
    if (auto err = bookkeeping::save_state(*db_, opts_.source, *b.state))
      return fail(*err);
  if (auto err = bookkeeping::add_dead_letters(*db_, opts_.source,
                                               b.dead_letters))
    return fail(*err);
  if (auto err = bookkeeping::mark_replayed(*db_, b.replayed))
    return fail(*err);
  if (auto err = db_->exec("COMMIT"))
    return fail(*err);
  return st;
}

std::variant<nlohmann::json, std::string> writer::committed_state() {
  if (auto err = connect())
    return *err;
  if (auto err = bookkeeping::ensure(*db_))
    return *err;
  return bookkeeping::load_state(*db_, opts_.source);
}

} // namespace sophia::actors::pipeline::postgres
