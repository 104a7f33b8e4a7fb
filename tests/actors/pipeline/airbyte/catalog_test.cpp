// ConfiguredAirbyteCatalogs as the destination reads them.
#include <doctest/doctest.h>

#include "actors/pipeline/airbyte/catalog.hpp"

using namespace sophia::actors::pipeline::airbyte;

namespace {

nlohmann::json stream(nlohmann::json fields) {
  nlohmann::json s = { { "stream", { { "name", "users" },
                                     { "namespace", "crm" },
                                     { "json_schema", { { "type", "object" } } } } },
                       { "sync_mode", "incremental" },
                       { "destination_sync_mode", "append" } };
  if (fields.is_object()) s.update(fields);
  return s;
}

std::string bad(nlohmann::json s) {
  auto r = parse_catalog({ { "streams", { std::move(s) } } });
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

configured_stream ok(nlohmann::json s) {
  auto r = parse_catalog({ { "streams", { std::move(s) } } });
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<configured_catalog>(r).streams.at(0);
}

} // namespace

TEST_CASE("a dedup stream: primary key, cursor, ids") {
  auto s = ok(stream({ { "destination_sync_mode", "append_dedup" },
                       { "primary_key", { { "id1" }, { "id2" } } },
                       { "cursor_field", { "updated_at" } },
                       { "generation_id", 43 },
                       { "minimum_generation_id", 0 },
                       { "sync_id", 42 } }));
  CHECK(s.id.text() == "crm.users");
  CHECK(s.mode == write_mode::append_dedup);
  CHECK(s.sync == sync_mode::incremental);
  CHECK(s.primary_key == std::vector<std::string>{ "id1", "id2" });
  CHECK(s.cursor == "updated_at");
  CHECK(s.generation_id == 43);
  CHECK(s.sync_id == 42);
  CHECK_FALSE(s.truncate);
}

TEST_CASE("overwrite and truncate refreshes replace, merge refreshes keep") {
  CHECK(ok(stream({ { "destination_sync_mode", "overwrite" } })).truncate);
  auto trunc = ok(stream({ { "generation_id", 44 }, { "minimum_generation_id", 44 } }));
  CHECK(trunc.truncate);
  CHECK(trunc.mode == write_mode::append);
  CHECK_FALSE(ok(stream({ { "generation_id", 44 }, { "minimum_generation_id", 0 } })).truncate);
  CHECK_FALSE(ok(stream({})).truncate); // no ids: 0, a hand-written catalog
  CHECK(bad(stream({ { "generation_id", 44 }, { "minimum_generation_id", 43 } }))
        == "/streams/0/minimum_generation_id: 43 is neither 0 (keep earlier"
           " generations) nor the generation_id 44 (replace them): hybrid"
           " refreshes are not supported");
}

TEST_CASE("what the destination refuses, by pointer") {
  CHECK(bad(stream({ { "sync_mode", "BLARGH" } }))
        == "/streams/0/sync_mode: 'BLARGH' is neither full_refresh nor incremental");
  CHECK(bad(stream({ { "destination_sync_mode", "soft_delete" } }))
        == "/streams/0/destination_sync_mode: 'soft_delete' is not supported by"
           " this destination (append, append_dedup or overwrite)");
  CHECK(bad(stream({ { "destination_sync_mode", "upsert" } }))
        == "/streams/0/destination_sync_mode: 'upsert' is none of append,"
           " append_dedup, overwrite");
  CHECK(bad(stream({ { "destination_sync_mode", "append_dedup" } }))
        == "/streams/0/primary_key: append_dedup needs a primary key");
  CHECK(bad(stream({ { "primary_key", nlohmann::json::array({ nlohmann::json::array(
                                         { "address", "city" }) }) } }))
        == "/streams/0/primary_key/0: [\"address\",\"city\"] is not one top-level"
           " field (nested fields are not supported)");
  CHECK(bad(stream({ { "cursor_field", "updated_at" } }))
        == "/streams/0/cursor_field: expected an array of field names, got string");
  CHECK(bad(stream({ { "generation_id", "1" } }))
        == "/streams/0/generation_id: expected an integer, got string");
  CHECK(bad(stream({ { "stream", { { "json_schema", {} } } } }))
        == "/streams/0/stream/name: missing");
  auto twice = parse_catalog({ { "streams", { stream({}), stream({}) } } });
  REQUIRE(std::holds_alternative<std::string>(twice));
  CHECK(std::get<std::string>(twice)
        == "/streams/1/stream: 'crm.users' is configured twice");
  auto no_streams = parse_catalog(nlohmann::json::object());
  CHECK(std::get<std::string>(no_streams) == "/streams: missing");
}

TEST_CASE("streams are found by name and namespace") {
  auto other = stream({});
  other["stream"]["namespace"] = nullptr;
  auto r = parse_catalog({ { "streams", { stream({}), other } } });
  REQUIRE(std::holds_alternative<configured_catalog>(r));
  auto& cat = std::get<configured_catalog>(r);
  REQUIRE(cat.find({ "users", "crm" }));
  REQUIRE(cat.find({ "users", std::nullopt }));
  CHECK_FALSE(cat.find({ "users", "other" }));
  CHECK_FALSE(cat.find({ "orders", "crm" }));
}
