#include "actors/pipeline/redis/committed.hpp"

#include <map>

#include "actors/pipeline/postgres/stream_table.hpp"
#include "actors/pipeline/postgres/writer.hpp"

namespace sophia::actors::pipeline::redis {

std::vector<table_batch> committed_tables(const postgres::writer& w,
                                          const postgres::batch& b) {
  std::map<airbyte::stream_id, table_batch> tables;
  for (auto& r : b.records) {
    auto& t = tables[r.stream];
    if (t.table.empty()) {
      auto* table = w.table_of(r.stream);
      if (!table)
        continue;
      t.table = table->schema() + "." + table->table();
      if (table->config().mode == airbyte::write_mode::append_dedup)
        t.key = table->config().primary_key;
      t.cursor = table->config().cursor;
    }
    t.records.push_back(to_table_record(r));
  }
  std::vector<table_batch> out;
  out.reserve(tables.size());
  for (auto& [id, t] : tables)
    if (!t.table.empty())
      out.push_back(std::move(t));
  return out;
}

} // namespace sophia::actors::pipeline::redis
