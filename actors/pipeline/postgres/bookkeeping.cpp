#include "actors/pipeline/postgres/bookkeeping.hpp"

#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/copy_text.hpp"

namespace sophia::actors::pipeline::postgres::bookkeeping {

using nlohmann::json;

std::optional<std::string> ensure(connection& db) {
  return db.exec(
    "CREATE SCHEMA IF NOT EXISTS sophia_pipeline; "
    "CREATE TABLE IF NOT EXISTS sophia_pipeline.state ("
    " source text NOT NULL, scope text NOT NULL, type text NOT NULL,"
    " state jsonb NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (source, scope)); "
    "CREATE TABLE IF NOT EXISTS sophia_pipeline.dead_letters ("
    " id bigserial PRIMARY KEY, source text NOT NULL, stream text,"
    " reason text NOT NULL, line text NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " replayed_at timestamptz); "
    // Committed CDC deletions of append_dedup tables (see dedup.hpp).
    "CREATE TABLE IF NOT EXISTS sophia_pipeline.tombstones ("
    " target text NOT NULL, key jsonb NOT NULL, cursor jsonb,"
    " extracted_at timestamptz NOT NULL, PRIMARY KEY (target, key))");
}

std::optional<std::string> save_state(connection& db,
                                      const std::string& source,
                                      const airbyte::state& s) {
  using kind = airbyte::state::kind;
  std::string scope;
  const char* type = "LEGACY";
  if (s.type == kind::stream) {
    scope = s.stream ? s.stream->text() : std::string{};
    type = "STREAM";
  } else if (s.type == kind::global) {
    type = "GLOBAL";
  }
  // A GLOBAL or LEGACY state covers the whole source; a STREAM state
  // supersedes those and keeps the other streams'.
  auto del = db.query(
    s.type == kind::stream
      ? "DELETE FROM sophia_pipeline.state WHERE source = $1 AND "
        "type <> 'STREAM'"
      : "DELETE FROM sophia_pipeline.state WHERE source = $1",
    {source});
  if (auto* err = std::get_if<std::string>(&del))
    return *err;
  auto r = db.query(
    "INSERT INTO sophia_pipeline.state (source, scope, type, state) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (source, scope) DO UPDATE SET "
    "type = EXCLUDED.type, state = EXCLUDED.state, committed_at = now()",
    {source, scope, std::string{type}, s.raw.dump()});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  return std::nullopt;
}

std::variant<json, std::string> load_state(connection& db,
                                           const std::string& source) {
  auto r = db.query("SELECT type, state FROM sophia_pipeline.state WHERE "
                    "source = $1 ORDER BY scope",
                    {source});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& rows = std::get<result>(r);
  if (rows.rows() == 0)
    return json();
  json all = json::array();
  for (int i = 0; i < rows.rows(); ++i) {
    auto state = json::parse(rows.text(i, 1), nullptr, false);
    if (rows.text(i, 0) == "LEGACY")
      return state.contains("data") ? state["data"] : state;
    all.push_back(std::move(state));
  }
  return all;
}

std::optional<std::string> add_dead_letters(
  connection& db, const std::string& source,
  const std::vector<dead_letter>& letters) {
  if (letters.empty())
    return std::nullopt;
  std::string rows;
  for (auto& l : letters) {
    copy_text::append_escaped(rows, source);
    rows += '\t';
    if (l.stream.empty())
      copy_text::append_null(rows);
    else
      copy_text::append_escaped(rows, l.stream);
    rows += '\t';
    copy_text::append_escaped(rows, l.reason);
    rows += '\t';
    copy_text::append_escaped(rows, l.line);
    rows += '\n';
  }
  return db.copy_in("COPY sophia_pipeline.dead_letters (source, stream, "
                    "reason, line) FROM STDIN",
                    rows);
}

std::optional<std::string> mark_replayed(connection& db,
                                         const std::vector<int64_t>& ids) {
  if (ids.empty())
    return std::nullopt;
  std::string list = "{";
  for (auto id : ids)
    list += (list.size() > 1 ? "," : "") + std::to_string(id);
  list += "}";
  auto r = db.query("UPDATE sophia_pipeline.dead_letters SET replayed_at = "
                    "now() WHERE id = ANY($1::bigint[])",
                    {list});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  return std::nullopt;
}

std::variant<std::vector<waiting_letter>, std::string>
waiting_letters(connection& db, const std::string& source, size_t limit) {
  auto r = db.query("SELECT id, line FROM sophia_pipeline.dead_letters WHERE "
                    "source = $1 AND replayed_at IS NULL ORDER BY id LIMIT $2",
                    {source, std::to_string(limit)});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& res = std::get<result>(r);
  std::vector<waiting_letter> out;
  out.reserve(res.rows());
  for (int i = 0; i < res.rows(); ++i)
    out.push_back({std::stoll(res.text(i, 0)), res.text(i, 1)});
  return out;
}

} // namespace sophia::actors::pipeline::postgres::bookkeeping
