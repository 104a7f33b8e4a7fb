#include "actors/pipeline/postgres/read_query.hpp"

#include <cctype>

#include "actors/pipeline/postgres/connection.hpp"

namespace sophia::actors::pipeline::postgres {

using nlohmann::json;

namespace {

constexpr const char* reader = "sophia_pipeline_reader";

// The first word of `sql`, lower-cased, past blanks, comments and '('.
std::string first_word(const std::string& sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      while (i < sql.size() && sql[i] != '\n')
        ++i;
    } else if (sql.compare(i, 2, "/*") == 0) {
      auto end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string w;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    w += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  return w;
}

// The row's columns as JSON: numbers and booleans typed, jsonb parsed,
// everything else as PostgreSQL prints it.
json cell(const result& r, int row, int col, const std::string& type) {
  auto v = r.get(row, col);
  if (!v)
    return nullptr;
  if (type == "bool")
    return *v == "t";
  if (type == "int2" || type == "int4" || type == "int8" || type == "oid") {
    return json::parse(*v, nullptr, false);
  }
  if (type == "float4" || type == "float8" || type == "numeric") {
    auto j = json::parse(*v, nullptr, false);
    return j.is_number() ? j : json(std::string{*v}); // NaN, Infinity
  }
  if (type == "json" || type == "jsonb") {
    auto j = json::parse(*v, nullptr, false);
    return j.is_discarded() ? json(std::string{*v}) : j;
  }
  return std::string{*v};
}

} // namespace

std::optional<std::string> ensure_reader_role(connection& db) {
  return db.exec(
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
    "'sophia_pipeline_reader') THEN CREATE ROLE sophia_pipeline_reader "
    "NOLOGIN; END IF; GRANT pg_read_all_data TO sophia_pipeline_reader; "
    "GRANT sophia_pipeline_reader TO CURRENT_USER; END $$");
}

std::variant<json, std::string> read_query(connection& db,
                                           const std::string& sql,
                                           size_t max_rows, int64_t timeout_ms,
                                           bool reader_role) {
  auto word = first_word(sql);
  if (word != "select" && word != "with" && word != "values"
      && word != "table")
    return "pipeline.query runs one read-only query (SELECT, WITH, VALUES "
           "or TABLE); got "
           + (word.empty() ? std::string{"no statement"} : "'" + word + "'");
  auto fail = [&](std::string err) -> std::variant<json, std::string> {
    db.exec("ROLLBACK");
    if (err.find("canceling statement due to statement timeout")
        != std::string::npos)
      err += " (query_timeout_ms in [pipeline] is "
             + std::to_string(timeout_ms) + ")";
    return err;
  };
  std::string begin = "BEGIN READ ONLY; SET LOCAL statement_timeout = "
                      + std::to_string(timeout_ms);
  if (reader_role)
    begin += std::string{"; SET LOCAL ROLE "} + reader;
  if (auto err = db.exec(begin))
    return fail(*err);
  // A cursor fetches no more than asked; one statement only, as the
  // extended protocol takes no second command.
  auto declared = db.query("DECLARE sophia_q NO SCROLL CURSOR FOR " + sql);
  if (auto* err = std::get_if<std::string>(&declared))
    return fail(*err);
  auto fetched = db.query("FETCH " + std::to_string(max_rows + 1)
                          + " FROM sophia_q");
  if (auto* err = std::get_if<std::string>(&fetched))
    return fail(*err);
  auto& r = std::get<result>(fetched);
  // Column names and type names for typing the cells.
  json columns = json::array();
  std::vector<std::string> types;
  for (int c = 0; c < r.columns(); ++c) {
    columns.push_back(r.column_name(c));
    types.push_back(r.column_type(c));
  }
  auto names = db.query("SELECT oid, typname FROM pg_type WHERE oid = ANY($1::oid[])",
                        {"{" + [&] {
                           std::string s;
                           for (auto& t : types)
                             s += (s.empty() ? "" : ",") + t;
                           return s;
                         }() + "}"});
  if (auto* n = std::get_if<result>(&names))
    for (auto& t : types)
      for (int i = 0; i < n->rows(); ++i)
        if (n->text(i, 0) == t)
          t = n->text(i, 1);
  json rows = json::array();
  bool truncated = static_cast<size_t>(r.rows()) > max_rows;
  for (int i = 0; i < r.rows() && static_cast<size_t>(i) < max_rows; ++i) {
    json row = json::array();
    for (int c = 0; c < r.columns(); ++c)
      row.push_back(cell(r, i, c, types[c]));
    rows.push_back(std::move(row));
  }
  db.exec("ROLLBACK");
  return json{{"columns", std::move(columns)},
              {"rows", std::move(rows)},
              {"truncated", truncated}};
}

} // namespace sophia::actors::pipeline::postgres
