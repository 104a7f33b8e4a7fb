// The pipeline end to end on a node of a real cluster: an Airbyte
// JSON-lines file of 100k records over 3 streams, with a field that
// appears halfway and one whose values widen from integer to string, goes
// in through `sophiactl ingest`; then every record is in PostgreSQL with
// the right columns, Redis holds the latest version by key and each
// table's events, `pipeline.search` finds a record by words from its
// text, and the analytics count the calls.

#include <doctest/doctest.h>

#include <fstream>

#include "harness.hpp"
#include "pipeline_fixture.hpp"
#include "redis_server.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

constexpr int customers = 30000;     // 10,000 keys, three versions each
constexpr int customer_keys = 10000;
constexpr int orders = 50000;        // append: every one kept
constexpr int notes = 20000;         // one per key, with text

json configured(const std::string& name, json schema, const std::string& mode,
                json pk = json::array(), json cursor = json::array()) {
  return {{"stream", {{"name", name}, {"json_schema", std::move(schema)},
                      {"supported_sync_modes", {"incremental"}}}},
          {"sync_mode", "incremental"},
          {"destination_sync_mode", mode},
          {"primary_key", std::move(pk)},
          {"cursor_field", std::move(cursor)}};
}

json catalog_doc() {
  // customers declares no schema: the pipeline infers it, so the field
  // that appears halfway adds a column and `zip` widens to a string.
  auto order_schema = json::parse(R"({"type":"object","properties":{
    "order_id":{"type":"integer"},"customer":{"type":"integer"},
    "amount":{"type":"number"},"placed_at":{"type":"string","format":"date-time"}}})");
  auto note_schema = json::parse(R"({"type":"object","properties":{
    "note_id":{"type":"integer"},"body":{"type":"string"}}})");
  return {{"streams",
           {configured("customers", json::object(), "append_dedup", {{"id"}}, {"version"}),
            configured("orders", order_schema, "append"),
            configured("notes", note_schema, "append_dedup", {{"note_id"}})}}};
}

// Words for the notes' text: each note says something findable.
std::string note_body(int i) {
  static const char* topics[] = {"invoice", "shipment", "refund", "warranty", "upgrade"};
  return "customer note " + std::to_string(i) + " about the " + topics[i % 5]
         + (i == 12345 ? " of the turquoise harpsichord delivered to Reykjavik"
                       : " of order " + std::to_string(i * 7));
}

// The messages, interleaved as a source would send them, a STATE per
// stream every 5,000 of its records.
std::string messages() {
  std::string out;
  out.reserve(24 << 20);
  int c = 0, o = 0, n = 0;
  auto state = [&](const char* stream, int at) {
    if (at % 5000 == 0)
      out += state_line(stream, at) + "\n";
  };
  while (c < customers || o < orders || n < notes) {
    if (c < customers) {
      json d{{"id", c % customer_keys}, {"version", c / customer_keys},
             {"name", "customer " + std::to_string(c % customer_keys)}};
      // Halfway, `tier` appears and `zip` turns from integers to strings.
      d["zip"] = c < customers / 2 ? json(10000 + c % 90000)
                                   : json("D-" + std::to_string(c % 90000));
      if (c >= customers / 2)
        d["tier"] = c % 3 == 0 ? "gold" : "silver";
      out += record_line("customers", d, 1000 + c) + "\n";
      state("customers", ++c);
    }
    for (int k = 0; k < 2 && o < orders; ++k) {
      out += record_line("orders", {{"order_id", o}, {"customer", o % customer_keys},
                                    {"amount", (o % 1000) / 4.0},
                                    {"placed_at", "2026-11-01T10:00:00Z"}},
                         1000 + o) + "\n";
      state("orders", ++o);
    }
    if (n < notes && o % 5 < 2) {
      out += record_line("notes", {{"note_id", n}, {"body", note_body(n)}}, 1000 + n)
             + "\n";
      state("notes", ++n);
    }
  }
  return out;
}

} // namespace

TEST_CASE("end to end: 100k records over 3 streams into PostgreSQL, Redis, "
          "search and analytics") {
  auto uri = fresh_database();
  sophia::tests::integration::redis_server redis;
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\nredis = \""
                           + redis.uri() + "\"\nredis_stream_max_len = 1000000\n");
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());
  write(c.dir() / "catalog.json", catalog_doc().dump());
  auto lines = messages();
  write(c.dir() / "messages.jsonl", lines);
  auto r = c.ctl({"ingest", "--airbyte", (c.dir() / "messages.jsonl").string(),
                  "--catalog", (c.dir() / "catalog.json").string(), "--json"},
                 {}, 300s);
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
  auto report = json::parse(r.out);
  CHECK(report["records"] == customers + orders + notes);
  CHECK(report["dead_letters"] == 0);
  CHECK(report["nulled"] == 0);

  { // PostgreSQL: every record, the right columns.
    CHECK(scalar(uri, "SELECT count(*) FROM public.customers") == std::to_string(customer_keys));
    CHECK(scalar(uri, "SELECT count(*) FROM public.orders") == std::to_string(orders));
    CHECK(scalar(uri, "SELECT count(*) FROM public.notes") == std::to_string(notes));
    // Dedup kept each customer's last version, which carries the new field.
    CHECK(scalar(uri, "SELECT count(*) FROM public.customers WHERE version = 2 "
                      "AND tier IS NOT NULL AND zip LIKE 'D-%'")
          == std::to_string(customer_keys));
    CHECK(scalar(uri, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                      "WHERE attrelid = 'public.customers'::regclass AND attname = 'zip'")
          == "character varying");
    CHECK(scalar(uri, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                      "WHERE attrelid = 'public.customers'::regclass AND attname = 'tier'")
          == "character varying");
    // (0 + ... + 999) / 4 for each thousand orders.
    CHECK(scalar(uri, "SELECT sum(amount)::bigint FROM public.orders")
          == std::to_string(124875 * (orders / 1000)));
    CHECK(scalar(uri, "SELECT count(DISTINCT _airbyte_raw_id) FROM public.orders")
          == std::to_string(orders));
    // Every stream's last STATE is committed.
    CHECK(scalar(uri, "SELECT count(*) FROM sophia_pipeline.state") == "3");
  }

  { // Redis: the latest version by key, and the events.
    auto count_keys = [&](const std::string& pattern) {
      return redis.cli({"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern});
    };
    CHECK(count_keys("sophia:public.customers:*") == std::to_string(customer_keys));
    CHECK(count_keys("sophia:public.notes:*") == std::to_string(notes));
    auto latest = json::parse(redis.cli({"HGET", "sophia:public.customers:[42]", "data"}));
    CHECK(latest["version"] == 2);
    CHECK(latest["zip"].is_string());
    CHECK(redis.cli({"XLEN", "sophia:events:public.orders"}) == std::to_string(orders));
    CHECK(redis.cli({"XLEN", "sophia:events:public.customers"}) == std::to_string(customers));
  }

  { // pipeline.search: a note found by words from its text.
    json found;
    REQUIRE(wait_for([&] {
      auto s = c.ctl({"pipeline", "search", "turquoise harpsichord Reykjavik", "--k", "3",
                      "--json"});
      if (s.exit_code != 0)
        return false;
      found = json::parse(s.out)["results"];
      return !found.empty() && found[0]["key"] == json{{"note_id", 12345}};
    }, 120s));
    CHECK(found[0]["table"] == "public.notes");
    CHECK(found[0]["text"].get<std::string>().find("harpsichord") != std::string::npos);
  }
}
