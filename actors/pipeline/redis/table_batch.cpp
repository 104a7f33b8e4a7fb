#include "actors/pipeline/redis/table_batch.hpp"

namespace sophia::actors::pipeline::redis {

bool is_cdc_deletion(const nlohmann::json& data) {
  if (!data.is_object())
    return false;
  auto it = data.find("_ab_cdc_deleted_at");
  return it != data.end() && !it->is_null();
}

table_record to_table_record(const airbyte::record& r) {
  return {r.data, r.emitted_at_ms, is_cdc_deletion(r.data)};
}

} // namespace sophia::actors::pipeline::redis
