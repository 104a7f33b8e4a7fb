#include "actors/pipeline/vectors/loader.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <caf/all.hpp>

#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/vectors/feed.hpp"
#include "actors/pipeline/vectors/messages.hpp"

namespace sophia::actors::pipeline::vectors {

namespace pg = postgres;
using nlohmann::json;

namespace {

struct table_meta {
  std::string schema, name, stream, source;
  std::vector<std::string> key;
  std::optional<std::string> cursor;
  bool dedup = false;
};

struct loader_state {
  std::string uri;
  caf::actor stage;
  size_t page_rows = 1000;
  std::unique_ptr<pg::connection> db;
  std::vector<table_meta> tables;
  size_t at = 0;
  std::string last_id;
};

std::optional<std::string> list_tables(loader_state& st) {
  if (auto err = st.db->exec(vector_streams_ddl))
    return err;
  auto r = st.db->query(
    "SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class'), "
    "v.stream, v.source, v.primary_key::text, v.cursor_field, "
    "coalesce(v.dedup, false) FROM pg_class c JOIN pg_namespace n ON n.oid = "
    "c.relnamespace LEFT JOIN sophia_pipeline.vector_streams v ON "
    "v.table_name = n.nspname || '.' || c.relname WHERE c.relkind = 'r' AND "
    "obj_description(c.oid, 'pg_class') LIKE '%written by the Sophia "
    "pipeline' AND c.relname NOT LIKE '%\\_airbyte\\_tmp' AND n.nspname <> $1 "
    "ORDER BY 1, 2",
    {std::string{analytics::stream_namespace}});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& res = std::get<pg::result>(r);
  for (int i = 0; i < res.rows(); ++i) {
    table_meta t;
    t.schema = res.text(i, 0);
    t.name = res.text(i, 1);
    // "Airbyte stream NS.NAME, written by the Sophia pipeline"
    auto comment = res.text(i, 2);
    size_t from = comment.rfind("Airbyte stream ", 0) == 0 ? 15 : 0;
    auto to = comment.rfind(", written by");
    t.stream = res.get(i, 3) ? res.text(i, 3)
               : to != std::string::npos && to > from
                 ? comment.substr(from, to - from)
                 : t.name;
    t.source = res.text(i, 4);
    if (auto k = res.get(i, 5)) {
      auto doc = json::parse(*k, nullptr, false);
      if (doc.is_array())
        for (auto& f : doc)
          if (f.is_string())
            t.key.push_back(f.get<std::string>());
    }
    if (auto c = res.get(i, 6))
      t.cursor = std::string{*c};
    t.dedup = res.text(i, 7) == "t";
    st.tables.push_back(std::move(t));
  }
  return std::nullopt;
}

// The next page of the current table (empty when it has no more rows).
std::variant<vector_batch_ptr, std::string> next_page(loader_state& st) {
  auto& t = st.tables[st.at];
  // Quotes inside names are doubled, as PostgreSQL wants.
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s)
      out += c == '"' ? std::string{"\"\""} : std::string{c};
    return out + "\"";
  };
  auto qualified = quote(t.schema) + "." + quote(t.name);
  auto r = st.db->query(
    "SELECT _airbyte_raw_id::text, (extract(epoch FROM _airbyte_extracted_at) "
    "* 1000)::bigint, _airbyte_data::text FROM " + qualified
      + " WHERE $1::uuid IS NULL OR _airbyte_raw_id > $1::uuid ORDER BY "
        "_airbyte_raw_id LIMIT " + std::to_string(st.page_rows),
    {st.last_id.empty() ? std::nullopt : std::optional<std::string>{st.last_id}});
  if (auto* err = std::get_if<std::string>(&r))
    return t.schema + "." + t.name + ": " + *err;
  auto& res = std::get<pg::result>(r);
  auto out = std::make_shared<vector_batch>();
  auto table = t.schema + "." + t.name;
  for (int i = 0; i < res.rows(); ++i) {
    auto id = res.text(i, 0);
    st.last_id = id;
    auto data = json::parse(res.text(i, 2), nullptr, false);
    if (data.is_discarded())
      continue;
    int64_t emitted = 0;
    try {
      emitted = std::stoll(res.text(i, 1));
    } catch (...) {
    }
    out->records.push_back(make_record(t.source, t.stream, table, t.dedup,
                                       t.key, t.cursor, data, emitted,
                                       json{{"_airbyte_raw_id", id}}));
  }
  if (res.rows() == 0)
    out.reset();
  return vector_batch_ptr{std::move(out)};
}

caf::behavior loader_impl(caf::event_based_actor* self, std::string uri,
                          caf::actor stage, size_t page_rows) {
  auto st = std::make_shared<loader_state>();
  st->uri = std::move(uri);
  st->stage = std::move(stage);
  st->page_rows = std::max<size_t>(page_rows, 1);
  auto finish = [self, st](std::string err) {
    self->send(st->stage, atoms::rebuilt::value, std::move(err));
    self->quit();
  };
  // One page read, sent, and the next read once the stage indexed it.
  auto step = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak = step;
  *step = [self, st, finish, weak] {
    while (st->at < st->tables.size()) {
      std::variant<vector_batch_ptr, std::string> page;
      try {
        page = next_page(*st);
      } catch (const std::exception& e) {
        page = std::string{e.what()};
      }
      if (auto* err = std::get_if<std::string>(&page))
        return finish(*err);
      auto& b = std::get<vector_batch_ptr>(page);
      if (!b) {
        ++st->at;
        st->last_id.clear();
        continue;
      }
      self->request(st->stage, caf::infinite, atoms::page::value, b)
        .then([step = weak.lock()](caf::ok_atom) {
                if (step)
                  (*step)();
              },
              [finish](caf::error& e) { finish(caf::to_string(e)); });
      return;
    }
    finish("");
  };
  // Starts with the first message to itself, once the behaviour is set.
  self->send(self, atoms::rebuild::value);
  return {
    [self, st, finish, step](atoms::rebuild) {
      auto c = pg::connection::open(st->uri);
      if (auto* err = std::get_if<std::string>(&c))
        return finish(*err);
      st->db = std::make_unique<pg::connection>(std::move(std::get<pg::connection>(c)));
      if (auto err = list_tables(*st))
        return finish(*err);
      (*step)();
    },
  };
}

} // namespace

caf::actor spawn_loader(caf::actor_system& sys, std::string postgres,
                        caf::actor stage, size_t page_rows) {
  return sys.spawn<caf::detached>(loader_impl, std::move(postgres),
                                  std::move(stage), page_rows);
}

} // namespace sophia::actors::pipeline::vectors
