#include "actors/pipeline/postgres/stream_table.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/dedup.hpp"
#include "actors/pipeline/postgres/names.hpp"

namespace sophia::actors::pipeline::postgres {

using nlohmann::json;

namespace {

constexpr const char* cdc_deleted_field = "_ab_cdc_deleted_at";
constexpr const char* tmp_suffix = "_airbyte_tmp";

// A column as the database has it.
struct existing_column {
  std::string name;
  std::string type;
  std::string comment;
};

std::variant<std::vector<existing_column>, std::string>
columns_of(connection& db, const std::string& schema, const std::string& table) {
  auto r = db.query(
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
    "coalesce(col_description(a.attrelid, a.attnum), '') "
    "FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    {names::qualified(schema, table)});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& rows = std::get<result>(r);
  std::vector<existing_column> out;
  for (int i = 0; i < rows.rows(); ++i)
    out.push_back({rows.text(i, 0), rows.text(i, 1), rows.text(i, 2)});
  return out;
}

// The USING expression that re-types `name` to `kind` without failing.
std::string retype_sql(const std::string& target, const column& c) {
  auto q = names::quoted(c.name);
  auto expr = pg_type(c.kind) == "jsonb" ? "to_jsonb(" + q + ")"
                                         : q + "::" + std::string{pg_type(c.kind)};
  return "ALTER TABLE " + target + " ALTER COLUMN " + q + " TYPE "
         + std::string{pg_type(c.kind)} + " USING " + expr;
}

std::string add_sql(const std::string& target, const column& c) {
  return "ALTER TABLE " + target + " ADD COLUMN " + names::quoted(c.name) + " "
         + std::string{pg_type(c.kind)} + "; COMMENT ON COLUMN " + target + "."
         + names::quoted(c.name) + " IS " + literal(c.field);
}

bool has_properties(const json& schema) {
  auto p = schema.find("properties");
  return p != schema.end() && p->is_object() && !p->empty();
}

} // namespace

stream_table::stream_table(airbyte::configured_stream config,
                           const std::string& default_schema)
  : config_(std::move(config)) {
  schema_ = names::table_name(config_.id.ns.value_or(default_schema));
  table_ = names::table_name(config_.id.name);
  target_ = table_;
  for (auto* m : meta_columns)
    taken_.insert(m);
  declared_ = has_properties(config_.json_schema);
  if (declared_)
    for (auto& [field, property] : config_.json_schema["properties"].items())
      add(field, kind_of_schema(property));
}

column& stream_table::add(const std::string& field, column_kind kind) {
  auto name = names::unique(names::identifier(field), taken_);
  by_field_[field] = columns_.size();
  columns_.push_back({field, name, kind});
  ++version_;
  return columns_.back();
}

const column* stream_table::find(const std::string& field) const {
  auto i = by_field_.find(field);
  return i == by_field_.end() ? nullptr : &columns_[i->second];
}

std::vector<const column*> stream_table::key_columns() const {
  std::vector<const column*> out;
  for (auto& f : config_.primary_key)
    out.push_back(find(f));
  return out;
}

const column* stream_table::cursor_column() const {
  return config_.cursor ? find(*config_.cursor) : nullptr;
}

const column* stream_table::deleted_at_column() const {
  return find(cdc_deleted_field);
}

std::string stream_table::target() const {
  return names::qualified(schema_, target_);
}

std::optional<std::string> stream_table::create(connection& db,
                                                const std::string& name) {
  auto t = names::qualified(schema_, name);
  std::string sql = "CREATE SCHEMA IF NOT EXISTS " + names::quoted(schema_)
                    + "; CREATE TABLE " + t
                    + " (_airbyte_raw_id uuid NOT NULL, "
                      "_airbyte_extracted_at timestamptz NOT NULL, "
                      "_airbyte_generation_id bigint, "
                      "_airbyte_meta jsonb NOT NULL, "
                      "_airbyte_data jsonb NOT NULL";
  for (auto& c : columns_)
    sql += ", " + names::quoted(c.name) + " " + std::string{pg_type(c.kind)};
  sql += "); CREATE INDEX ON " + t + " (_airbyte_extracted_at)";
  for (auto& c : columns_)
    sql += "; COMMENT ON COLUMN " + t + "." + names::quoted(c.name) + " IS "
           + literal(c.field);
  sql += "; COMMENT ON TABLE " + t + " IS "
         + literal("Airbyte stream " + config_.id.text()
                   + ", written by the Sophia pipeline");
  return db.exec(sql);
}

std::optional<std::string>
stream_table::read_existing(connection& db, const std::string& name) {
  auto cols = columns_of(db, schema_, name);
  if (auto* err = std::get_if<std::string>(&cols))
    return *err;
  auto& existing = std::get<std::vector<existing_column>>(cols);
  if (existing.empty())
    return create(db, name);
  for (auto* m : meta_columns)
    if (std::none_of(existing.begin(), existing.end(),
                     [&](auto& e) { return e.name == m; }))
      return "table " + names::qualified(schema_, name)
             + " exists without the column " + m
             + ": it is not a pipeline table (rename it or choose another "
               "schema)";
  auto t = names::qualified(schema_, name);
  std::vector<std::string> ddl;
  auto declared = std::move(columns_);
  columns_.clear();
  by_field_.clear();
  taken_.clear();
  for (auto& e : existing)
    taken_.insert(e.name);
  auto matches = [&](const existing_column& e, const std::string& field) {
    return e.comment.empty() ? e.name == names::identifier(field)
                             : e.comment == field;
  };
  // Declared fields first: each finds its column, or gets a new one.
  std::vector<bool> used(existing.size());
  for (auto& d : declared) {
    auto i = std::find_if(existing.begin(), existing.end(),
                          [&](auto& e) { return matches(e, d.field); });
    if (i == existing.end()) {
      auto name_new = names::unique(names::identifier(d.field), taken_);
      columns_.push_back({d.field, name_new, d.kind});
      ddl.push_back(add_sql(t, columns_.back()));
      continue;
    }
    used[i - existing.begin()] = true;
    auto have = kind_of_pg_type(i->type).value_or(column_kind::unknown);
    column c{d.field, i->name, d.kind};
    if (pg_type(have) != pg_type(d.kind)) {
      if (holds(have, d.kind)) {
        c.kind = have; // already wide enough: values of d's type fit
      } else {
        c.kind = widen(have, d.kind);
        ddl.push_back(retype_sql(t, c));
      }
    }
    columns_.push_back(c);
  }
  // Inferred streams keep every column they have; declared ones leave
  // columns they no longer declare alone (NULL in new rows).
  if (!declared_)
    for (size_t i = 0; i < existing.size(); ++i) {
      auto& e = existing[i];
      if (used[i]
          || std::find(std::begin(meta_columns), std::end(meta_columns),
                       e.name)
               != std::end(meta_columns))
        continue;
      columns_.push_back({e.comment.empty() ? e.name : e.comment, e.name,
                          kind_of_pg_type(e.type).value_or(
                            column_kind::unknown)});
    }
  for (size_t i = 0; i < columns_.size(); ++i)
    by_field_[columns_[i].field] = i;
  ++version_;
  for (auto& s : ddl)
    if (auto err = db.exec(s))
      return err;
  return std::nullopt;
}

std::optional<std::string> stream_table::prepare(connection& db) {
  target_ = table_;
  if (auto err = read_existing(db, table_))
    return err;
  return ensure_index(db);
}

std::optional<std::string> stream_table::ensure_index(connection& db) {
  if (config_.mode != airbyte::write_mode::append_dedup)
    return std::nullopt;
  std::vector<std::string> cols;
  for (auto* c : key_columns()) {
    if (!c)
      return std::nullopt; // an inferred key field not seen yet
    cols.push_back(c->name);
  }
  auto t = target();
  std::string list;
  std::string quoted_list;
  for (auto& c : cols) {
    list += (list.empty() ? "" : ",") + literal(c);
    quoted_list += (quoted_list.empty() ? "" : ", ") + names::quoted(c);
  }
  // An index on exactly the key's columns, in order, whatever its name.
  auto r = db.query(
    "SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = "
    "to_regclass($1) AND i.indkey::text = (SELECT string_agg(a.attnum::text, "
    "' ' ORDER BY u.ord) FROM unnest(ARRAY[" + list + "]::text[]) WITH "
    "ORDINALITY u(n, ord) JOIN pg_attribute a ON a.attrelid = to_regclass($1) "
    "AND a.attname = u.n))",
    {t});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  if (std::get<result>(r).text(0, 0) == "t")
    return std::nullopt;
  return db.exec("CREATE INDEX ON " + t + " (" + quoted_list + ")");
}

std::variant<bool, std::string>
stream_table::only_current_generation(connection& db) {
  auto r = db.query("SELECT NOT EXISTS (SELECT 1 FROM " + target()
                    + " WHERE _airbyte_generation_id IS DISTINCT FROM "
                    + std::to_string(config_.generation_id) + ")");
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  return std::get<result>(r).text(0, 0) == "t";
}

void stream_table::infer(const json& data) {
  if (declared_ || !data.is_object())
    return;
  auto t = target();
  for (auto& [field, value] : data.items()) {
    auto k = kind_of_value(value);
    auto i = by_field_.find(field);
    if (i == by_field_.end()) {
      if (!k)
        continue; // null says nothing about the type yet
      ddl_.push_back(add_sql(t, add(field, *k)));
      continue;
    }
    if (!k)
      continue;
    auto& c = columns_[i->second];
    auto wider = widen(c.kind, *k);
    if (wider == c.kind)
      continue;
    bool retype = pg_type(wider) != pg_type(c.kind);
    c.kind = wider;
    ++version_;
    if (retype)
      ddl_.push_back(retype_sql(t, c));
  }
}

std::optional<std::string> stream_table::apply(connection& db) {
  for (auto& s : ddl_)
    if (auto err = db.exec(s))
      return err;
  ddl_.clear();
  return ensure_index(db);
}

std::optional<std::string> stream_table::use_tmp(connection& db) {
  auto tmp = table_.substr(0, 63 - std::char_traits<char>::length(tmp_suffix))
             + tmp_suffix;
  auto t = names::qualified(schema_, tmp);
  auto cols = columns_of(db, schema_, tmp);
  if (auto* err = std::get_if<std::string>(&cols))
    return *err;
  auto& existing = std::get<std::vector<existing_column>>(cols);
  bool keep = !existing.empty();
  if (keep) {
    // Resume an earlier attempt of this generation only if its columns
    // are the table's; anything else starts over.
    auto final_cols = columns_of(db, schema_, table_);
    if (auto* err = std::get_if<std::string>(&final_cols))
      return *err;
    auto same = [](const std::vector<existing_column>& a,
                   const std::vector<existing_column>& b) {
      if (a.size() != b.size())
        return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].type != b[i].type)
          return false;
      return true;
    };
    target_ = tmp;
    auto current = only_current_generation(db);
    if (auto* err = std::get_if<std::string>(&current))
      return *err;
    keep = std::get<bool>(current)
           && same(existing, std::get<std::vector<existing_column>>(final_cols));
    if (!keep)
      if (auto err = db.exec("DROP TABLE " + t))
        return err;
  }
  target_ = tmp;
  if (!keep)
    if (auto err = db.exec("CREATE TABLE " + t + " (LIKE "
                           + names::qualified(schema_, table_)
                           + " INCLUDING ALL)"))
      return err;
  return std::nullopt;
}

std::optional<std::string> stream_table::swap_in_tmp(connection& db) {
  if (!writing_tmp())
    return std::nullopt;
  auto tmp = target_;
  if (auto err = db.exec("DROP TABLE " + names::qualified(schema_, table_)
                         + "; ALTER TABLE " + names::qualified(schema_, tmp)
                         + " RENAME TO " + names::quoted(table_) + "; "
                         + dedup::move_tombstones(names::qualified(schema_, tmp),
                                                  names::qualified(schema_, table_))))
    return err;
  target_ = table_;
  return std::nullopt;
}

} // namespace sophia::actors::pipeline::postgres
