#include "pipeline_fixture.hpp"

#include <atomic>
#include <fstream>
#include <regex>

#include <doctest/doctest.h>

#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/postgres/names.hpp"

namespace sophia::tests::integration::pipeline {

using nlohmann::json;
namespace pg = ap::postgres;

postgres_server& server() {
  static postgres_server s;
  return s;
}

std::string fresh_database() {
  static std::atomic<int> n{0};
  auto name = "t" + std::to_string(++n);
  server().psql("CREATE DATABASE " + name);
  auto uri = server().uri();
  return uri.substr(0, uri.rfind('/') + 1) + name;
}

ap::airbyte::configured_catalog catalog(const json& doc) {
  auto c = ap::airbyte::parse_catalog(doc);
  if (auto* err = std::get_if<std::string>(&c))
    FAIL("catalog: " << *err);
  return std::get<ap::airbyte::configured_catalog>(c);
}

ap::ingest_report sync(const std::string& uri,
                       const ap::airbyte::configured_catalog& cat,
                       const std::vector<std::string>& lines, bool statuses,
                       const std::string& source) {
  pg::writer w{{uri, "public", source}};
  if (auto err = w.begin(cat))
    FAIL("begin: " << *err);
  // As the pipeline's worker runs it: a batch commits while the next is
  // read (postgres_writer_test covers the plain session too).
  ap::ingest_limits limits;
  limits.overlap = true;
  ap::ingest_session s{w, cat, limits};
  for (auto& l : lines)
    if (auto err = s.line(l))
      FAIL("commit: " << *err);
  if (statuses)
    for (auto& st : cat.streams) {
      json d{{"name", st.id.name}};
      if (st.id.ns)
        d["namespace"] = *st.id.ns;
      json m{{"type", "TRACE"},
             {"trace",
              {{"type", "STREAM_STATUS"},
               {"emitted_at", 0},
               {"stream_status",
                {{"stream_descriptor", d}, {"status", "COMPLETE"}}}}}};
      if (auto err = s.line(m.dump()))
        FAIL("commit: " << *err);
    }
  if (auto err = s.flush())
    FAIL("commit: " << *err);
  return s.report();
}

namespace {

pg::connection open(const std::string& uri) {
  auto c = pg::connection::open(uri);
  if (auto* err = std::get_if<std::string>(&c))
    FAIL(*err);
  return std::move(std::get<pg::connection>(c));
}

} // namespace

json canonical(const json& v) {
  if (v.is_object() || v.is_array()) {
    auto out = v;
    for (auto& x : out)
      x = canonical(x);
    return out;
  }
  if (!v.is_string())
    return v;
  // A timestamp or a time: UTC as Z, other offsets as ±HH:MM (PostgreSQL
  // prints timetz's as -08), the fraction without trailing zeros.
  static const std::regex ts{
    R"(^(.*\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d(:?\d\d)?)$)"};
  std::smatch m;
  auto s = v.get<std::string>();
  if (!std::regex_match(s, m, ts))
    return v;
  auto frac = m[2].str();
  while (!frac.empty() && (frac.back() == '0' || frac.back() == '.'))
    frac.pop_back();
  auto zone = m[3].str();
  if (zone != "Z") {
    auto mm = zone.size() > 3 ? zone.substr(zone.size() - 2) : "00";
    zone = zone.substr(0, 3) + ":" + mm;
    if (zone == "+00:00" || zone == "-00:00")
      zone = "Z";
  }
  return m[1].str() + frac + zone;
}

std::vector<json> rows(const std::string& uri, const std::string& schema,
                       const std::string& table, const std::string& order_by) {
  auto db = open(uri);
  auto r = db.query("SELECT to_jsonb(t)::text FROM "
                    + pg::names::qualified(schema, table) + " t"
                    + (order_by.empty() ? "" : " ORDER BY " + order_by));
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err);
  std::vector<json> out;
  auto& res = std::get<pg::result>(r);
  for (int i = 0; i < res.rows(); ++i)
    out.push_back(canonical(json::parse(res.text(i, 0))));
  return out;
}

std::string scalar(const std::string& uri, const std::string& sql) {
  auto db = open(uri);
  auto r = db.query(sql);
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err << " (" << sql << ")");
  auto& res = std::get<pg::result>(r);
  return res.rows() ? res.text(0, 0) : std::string{};
}

std::string record_line(const std::string& stream, const json& data,
                        int64_t emitted_at, const std::string& ns) {
  json rec{{"stream", stream}, {"data", data}, {"emitted_at", emitted_at}};
  if (!ns.empty())
    rec["namespace"] = ns;
  return json{{"type", "RECORD"}, {"record", rec}}.dump();
}

std::string state_line(const std::string& stream, const json& value) {
  return json{{"type", "STATE"},
              {"state",
               {{"type", "STREAM"},
                {"stream",
                 {{"stream_descriptor", {{"name", stream}}},
                  {"stream_state", {{"cursor", value}}}}}}}}
    .dump();
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out{file};
  out << text;
}

} // namespace sophia::tests::integration::pipeline
