#include "loaders.hpp"

#include <algorithm>

#include "actors/pipeline/postgres/connection.hpp"

namespace sophia::bench::pipeline {

namespace pg = sophia::actors::pipeline::postgres;

std::string verify(const std::string& uri, const input& in, bool dedup,
                   size_t& rows) {
  rows = 0;
  auto c = pg::connection::open(uri);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  auto& db = std::get<pg::connection>(c);
  auto n = in.params.records;
  // With dedup, the last record of each key has seq >= records - keys.
  auto last = std::to_string(n - std::min(n, in.params.keys));
  auto r = db.query("SELECT count(*), count(DISTINCT id), count(*) FILTER "
                    "(WHERE seq >= " + last + "), count(DISTINCT seq) "
                    "FROM public.orders");
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& res = std::get<pg::result>(r);
  auto at = [&](int col) { return std::stoull(res.text(0, col)); };
  rows = at(0);
  auto keys = in.distinct_keys();
  if (dedup) {
    if (at(0) != keys || at(1) != keys || at(2) != keys)
      return "expected " + std::to_string(keys) + " rows, one per key, each "
             "its last record; found " + std::to_string(at(0)) + " rows, "
             + std::to_string(at(1)) + " keys, " + std::to_string(at(2))
             + " last records";
    return {};
  }
  if (at(0) != n || at(3) != n)
    return "expected " + std::to_string(n) + " rows, each record once; found "
           + std::to_string(at(0)) + " rows, " + std::to_string(at(3))
           + " distinct records";
  return {};
}

} // namespace sophia::bench::pipeline
