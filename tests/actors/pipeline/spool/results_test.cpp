// What a successful tool call's answer adds: the usage of an AI tool in
// the tool-call record, and the tool's structuredContent as a record of
// its own stream.

#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "actors/pipeline/spool/results.hpp"

using nlohmann::json;
namespace sp = sophia::actors::pipeline::spool;

namespace {

std::string answer_with(const json& structured) {
  return json{{"jsonrpc", "2.0"},
              {"id", 7},
              {"result",
               {{"content", {{{"type", "text"}, {"text", "done"}}}},
                {"structuredContent", structured}}}}
    .dump();
}

json edge_record(const std::string& tool, const std::string& service) {
  return {{"at", "2026-12-05T10:00:00.000Z"}, {"tool", tool},
          {"service", service}, {"outcome", "ok"}};
}

} // namespace

TEST_CASE("an AI tool's answer gives the record its model, tokens and cost") {
  auto rec = edge_record("openrouter.chat", "openrouter");
  auto sc = json{{"text", "hello"}, {"model", "openai/gpt-4o-mini"},
                 {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 30}}},
                 {"cost_usd", 0.00042}};
  sp::add_answer(rec, answer_with(sc), {});
  CHECK(rec["model"] == "openai/gpt-4o-mini");
  CHECK(rec["tokens_in"] == 12);
  CHECK(rec["tokens_out"] == 30);
  CHECK(rec["cost_usd"].get<double>() == doctest::Approx(0.00042));
  CHECK(rec["result"] == sc);
  // Anthropic-style usage names too; a null cost stays out.
  auto other = edge_record("x.chat", "x");
  sp::add_answer(other,
                 answer_with({{"model", "m"},
                              {"usage", {{"input_tokens", 3}, {"output_tokens", 4}}},
                              {"cost_usd", nullptr}}),
                 {});
  CHECK(other["tokens_in"] == 3);
  CHECK(other["tokens_out"] == 4);
  CHECK_FALSE(other.contains("cost_usd"));
}

TEST_CASE("results: kept whole, cut past the limit, off when asked, never "
          "for the pipeline's own tools") {
  auto big = json{{"n", 1}, {"name", "x"}, {"ok", true},
                  {"rows", json::array()}, {"long", std::string(5000, 'a')}};
  for (int i = 0; i < 500; ++i)
    big["rows"].push_back({{"i", i}});
  auto rec = edge_record("tavily.search", "tavily");
  sp::add_answer(rec, answer_with(big), {true, 2048});
  REQUIRE(rec.contains("result"));
  auto& cut = rec["result"];
  CHECK(cut["_truncated"] == true);
  CHECK(cut["_bytes"].get<size_t>() > 2048);
  CHECK(cut["n"] == 1);
  CHECK(cut["name"] == "x");
  CHECK(cut["ok"] == true);
  CHECK_FALSE(cut.contains("rows"));
  CHECK_FALSE(cut.contains("long")); // a string over 1000 bytes
  CHECK_FALSE(rec.contains("model"));

  // An answer over the limit whose result is within it (a long text
  // beside a small result): the result is kept whole.
  auto wordy = edge_record("openrouter.chat", "openrouter");
  auto small = json{{"model", "m"}, {"cost_usd", 0.5}};
  sp::add_answer(wordy,
                 json{{"jsonrpc", "2.0"},
                      {"id", 8},
                      {"result",
                       {{"content", {{{"type", "text"}, {"text", std::string(5000, 'w')}}}},
                        {"structuredContent", small}}}}
                   .dump(),
                 {true, 2048});
  CHECK(wordy["result"] == small);

  auto off = edge_record("tavily.search", "tavily");
  sp::add_answer(off, answer_with({{"n", 1}}), {false, 2048});
  CHECK_FALSE(off.contains("result"));

  auto own = edge_record("pipeline.query", "pipeline");
  sp::add_answer(own, answer_with({{"columns", {"a"}}, {"rows", {{1}}}}), {});
  CHECK_FALSE(own.contains("result"));
}

TEST_CASE("answers that are errors, malformed or without structuredContent add "
          "nothing") {
  for (std::string a : {std::string{}, std::string{"not json"},
                        std::string{R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602}})"},
                        std::string{R"({"jsonrpc":"2.0","id":1,"result":{"content":[]}})"},
                        std::string{R"({"result":{"structuredContent":[1,2]}})"}}) {
    auto rec = edge_record("t.x", "t");
    auto before = rec;
    sp::add_answer(rec, a, {});
    CHECK(rec == before);
  }
}

TEST_CASE("a spooled record with a result ships as two RECORDs; each result "
          "stream joins the catalog once") {
  json catalog{{"streams", json::array()}};
  std::set<std::string> streams;
  std::vector<std::string> out;
  for (int i = 0; i < 2; ++i) {
    auto data = edge_record("openrouter.chat", "openrouter");
    data["id"] = "n1-b-" + std::to_string(i);
    data["result"] = {{"text", "hi"}};
    sp::record_messages(data, 1000 + i, out, catalog, streams);
  }
  auto plain = edge_record("sophia.echo", "edge");
  plain["id"] = "n1-b-9";
  sp::record_messages(plain, 2000, out, catalog, streams);
  REQUIRE(out.size() == 5);
  REQUIRE(catalog["streams"].size() == 1);
  auto& entry = catalog["streams"][0];
  CHECK(entry["stream"]["name"] == "openrouter_chat");
  CHECK(entry["stream"]["namespace"] == "sophia_results");
  CHECK_FALSE(entry["stream"].contains("json_schema")); // inferred
  CHECK(entry["destination_sync_mode"] == "append_dedup");
  CHECK(entry["primary_key"] == json{{"_call_id"}});
  int results = 0, calls = 0;
  for (auto& line : out) {
    auto m = json::parse(line);
    REQUIRE(m["type"] == "RECORD");
    auto& r = m["record"];
    if (r["namespace"] == "sophia_results") {
      ++results;
      CHECK(r["data"]["text"] == "hi");
      CHECK(r["data"]["_tool"] == "openrouter.chat");
      CHECK(r["data"]["_called_at"] == "2026-12-05T10:00:00.000Z");
      CHECK(r["data"]["_call_id"].get<std::string>().rfind("n1-b-", 0) == 0);
    } else {
      ++calls;
      CHECK(r["stream"] == "tool_calls");
      CHECK_FALSE(r["data"].contains("result"));
    }
  }
  CHECK(results == 2);
  CHECK(calls == 3);
  CHECK(sp::results_stream("a.b.c") == "a_b_c");
}
