#include "loaders.hpp"

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/airbyte/message.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/rows.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "bench_support.hpp"
#include "measure.hpp"

namespace sophia::bench::pipeline {

namespace ap = sophia::actors::pipeline;
namespace pg = sophia::actors::pipeline::postgres;

namespace {

// Sophia's COPY rows for every record, `_airbyte_data` (the 4th field)
// left out unless `with_data`. COPY escapes tabs within fields, so every
// tab in a row separates two fields.
std::string format_rows(const input& in, const pg::stream_table& t,
                        bool with_data) {
  std::string out, row;
  out.reserve(in.bytes + in.bytes / 2);
  pg::row_writer rows;
  bool null_key = false;
  for (auto& l : in.lines) {
    auto m = ap::airbyte::parse_message(l, size_t{16} << 20);
    auto* r = std::get_if<ap::airbyte::record>(
      std::get_if<ap::airbyte::message>(&m));
    if (!r)
      continue;
    if (with_data) {
      rows.append(out, t, *r, null_key);
      continue;
    }
    row.clear();
    rows.append(row, t, *r, null_key);
    size_t third = 0;
    for (int k = 0; k < 3; ++k)
      third = row.find('\t', third) + 1;
    auto fourth = row.find('\t', third);
    out.append(row, 0, third);
    out.append(row, fourth + 1);
  }
  return out;
}

} // namespace

load_result raw_copy(const std::string& uri, const input& in, bool with_data) {
  load_result out;
  auto cat = std::get<ap::airbyte::configured_catalog>(
    ap::airbyte::parse_catalog(catalog_json(false)));
  pg::writer w{{uri, "public", "bench"}};
  if (auto err = w.begin(cat)) {
    out.error = "begin: " + *err;
    return out;
  }
  auto& t = *w.table_of(cat.streams[0].id);
  auto* db = w.db();
  auto cols = pg::copy_columns(t);
  std::string list;
  for (auto& c : cols)
    if (with_data || c != "_airbyte_data")
      list += (list.empty() ? "" : ", ") + c;
  if (!with_data)
    if (auto err = db->exec("ALTER TABLE " + t.target()
                            + " DROP COLUMN _airbyte_data")) {
      out.error = *err;
      return out;
    }
  auto text = format_rows(in, t, with_data);
  auto r = db->query("SELECT pg_backend_pid()");
  pid_t backend = 0;
  if (auto* res = std::get_if<pg::result>(&r))
    backend = static_cast<pid_t>(std::stol(res->text(0, 0)));
  auto cpu0 = process_cpu_seconds();
  auto server0 = cpu_seconds_of(backend);
  auto t0 = bench_clock::now();
  auto err = db->copy_in("COPY " + t.target() + " (" + list + ") FROM STDIN",
                         text);
  out.seconds = ms_between(t0, bench_clock::now()) / 1000;
  out.cpu_seconds = process_cpu_seconds() - cpu0;
  out.server_cpu_seconds = cpu_seconds_of(backend) - server0;
  if (err)
    out.error = "COPY: " + *err;
  return out;
}

} // namespace sophia::bench::pipeline
