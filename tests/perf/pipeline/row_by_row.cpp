#include "loaders.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <libpq-fe.h>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/postgres/names.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "bench_support.hpp"
#include "measure.hpp"

namespace sophia::bench::pipeline {

namespace ap = sophia::actors::pipeline;
using nlohmann::json;

namespace {

struct pg_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// Runs `sql`; the server's message when it fails.
std::optional<std::string> exec(PGconn* c, const char* sql) {
  auto* r = PQexec(c, sql);
  std::optional<std::string> err;
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    err = PQerrorMessage(c);
  PQclear(r);
  return err;
}

} // namespace

load_result row_by_row(const std::string& uri, const input& in) {
  load_result out;
  // The table, created untimed by Sophia's writer: the same as the others.
  auto cat = std::get<ap::airbyte::configured_catalog>(
    ap::airbyte::parse_catalog(catalog_json(false)));
  std::vector<ap::postgres::column> columns;
  {
    ap::postgres::writer w{{uri, "public", "bench"}};
    if (auto err = w.begin(cat)) {
      out.error = "begin: " + *err;
      return out;
    }
    columns = w.table_of(cat.streams[0].id)->columns();
  }
  std::unique_ptr<PGconn, pg_deleter> conn{PQconnectdb(uri.c_str())};
  auto* c = conn.get();
  if (PQstatus(c) != CONNECTION_OK) {
    out.error = PQerrorMessage(c);
    return out;
  }
  if (auto err = exec(c, "SET TimeZone = 'UTC'")) {
    out.error = *err;
    return out;
  }
  std::string sql = "INSERT INTO public.orders (_airbyte_raw_id, "
                    "_airbyte_extracted_at, _airbyte_generation_id, "
                    "_airbyte_meta, _airbyte_data";
  std::string values = "gen_random_uuid(), to_timestamp($1::bigint / "
                       "1000.0), 1, '{\"changes\":[],\"sync_id\":1}', $2";
  for (size_t i = 0; i < columns.size(); ++i) {
    sql += ", " + ap::postgres::names::quoted(columns[i].name);
    values += ", $" + std::to_string(i + 3);
  }
  sql += ") VALUES (" + values + ")";
  auto nparams = static_cast<int>(columns.size() + 2);
  auto* prep = PQprepare(c, "ins", sql.c_str(), nparams, nullptr);
  bool prepared = PQresultStatus(prep) == PGRES_COMMAND_OK;
  PQclear(prep);
  if (!prepared) {
    out.error = "prepare: " + std::string{PQerrorMessage(c)};
    return out;
  }
  auto backend = PQbackendPID(c);
  std::vector<std::string> text(columns.size() + 2);
  std::vector<const char*> params(columns.size() + 2);
  auto cpu0 = process_cpu_seconds();
  auto server0 = cpu_seconds_of(backend);
  auto t0 = bench_clock::now();
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (auto err = exec(c, "BEGIN"))
    return fail(*err);
  for (auto& l : in.lines) {
    auto msg = json::parse(l, nullptr, false);
    if (msg.is_discarded())
      return fail("not JSON: " + l.substr(0, 80));
    auto& type = msg["type"];
    if (type == "STATE") {
      if (auto err = exec(c, "COMMIT"))
        return fail(*err);
      if (auto err = exec(c, "BEGIN"))
        return fail(*err);
      continue;
    }
    if (type != "RECORD")
      continue;
    auto& rec = msg["record"];
    auto& data = rec["data"];
    text[0] = std::to_string(rec["emitted_at"].get<int64_t>());
    params[0] = text[0].c_str();
    text[1] = data.dump();
    params[1] = text[1].c_str();
    for (size_t i = 0; i < columns.size(); ++i) {
      auto f = data.find(columns[i].field);
      if (f == data.end() || f->is_null()) {
        params[i + 2] = nullptr;
        continue;
      }
      text[i + 2] = f->is_string() ? f->get<std::string>() : f->dump();
      params[i + 2] = text[i + 2].c_str();
    }
    auto* r = PQexecPrepared(c, "ins", nparams, params.data(), nullptr,
                             nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
      return fail("insert: " + std::string{PQerrorMessage(c)});
  }
  if (auto err = exec(c, "COMMIT"))
    return fail(*err);
  out.seconds = ms_between(t0, bench_clock::now()) / 1000;
  out.cpu_seconds = process_cpu_seconds() - cpu0;
  out.server_cpu_seconds = cpu_seconds_of(backend) - server0;
  return out;
}

} // namespace sophia::bench::pipeline
