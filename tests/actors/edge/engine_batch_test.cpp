// JSON-RPC batches: valid in protocol 2025-03-26 sessions only (added by
// that version, removed by 2025-06-18), each element answered as if it had
// come alone, notifications not at all.
#define CAF_SUITE actors.edge.engine.batch

#include "tests/actors/edge/engine_fixture.hpp"

using namespace sophia::edge_test;

namespace {

config::edge_config json_responses() {
  config::edge_config cfg;
  cfg.responses = "json";
  return cfg;
}

/// The answers of a batch sent as one JSON body, by id.
std::map<int, json> by_id(const json& answers) {
  std::map<int, json> out;
  for (auto& a : answers)
    if (a.contains("id") && a["id"].is_number_integer())
      out[a["id"].get<int>()] = a;
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(edge_engine_batch, fixture)

CAF_TEST(a 2025 - 03 - 26 batch is answered as one JSON array) {
  start_edge(json_responses());
  auto sid = open_session("2025-03-26");
  auto batch = json::array(
    { req("ping", json::object(), 1),
      note("notifications/roots/list_changed"),
      req("tools/call",
          { { "name", "sophia.echo" }, { "arguments", { { "text", "hi" } } } },
          2),
      req("tools/call",
          { { "name", "fake.work" }, { "arguments", { { "text", "there" } } } },
          3),
      req("no/such/method", json::object(), 4) });
  auto out = post(batch, sid);
  CAF_REQUIRE_EQUAL(out->count("reply"), 1u);
  auto answers = json::parse(out->of("reply")[0].data);
  CAF_REQUIRE(answers.is_array());
  CAF_CHECK_EQUAL(answers.size(), 4u); // the notification gets none
  auto a = by_id(answers);
  CAF_CHECK(a[1].contains("result"));
  auto echoed = a[2]["result"]["structuredContent"]["text"];
  CAF_CHECK_EQUAL(echoed, "hi");
  auto text = a[3]["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "fake: there");
  auto code = a[4]["error"]["code"];
  CAF_CHECK_EQUAL(code, -32601);
}

CAF_TEST(a 2025 - 03 - 26 batch streams its answers with sse responses) {
  auto sid = open_session("2025-03-26");
  auto batch = json::array(
    { req("ping", json::object(), 1),
      req("tools/call",
          { { "name", "fake.work" },
            { "arguments", { { "text", "x" }, { "mode", "notify" } } } },
          2) });
  auto out = post(batch, sid);
  CAF_CHECK_EQUAL(out->count("reply"), 0u);
  CAF_CHECK_EQUAL(out->count("end"), 1u);
  std::vector<json> msgs;
  for (auto& e : out->data_events())
    msgs.push_back(json::parse(e.data));
  // A progress notification and the two answers.
  CAF_REQUIRE_EQUAL(msgs.size(), 3u);
  int answers = 0;
  for (auto& m : msgs)
    answers += m.contains("id") ? 1 : 0;
  CAF_CHECK_EQUAL(answers, 2);
}

CAF_TEST(a batch of notifications only gets 202) {
  start_edge(json_responses());
  auto sid = open_session("2025-03-26");
  auto out = post(json::array({ note("notifications/roots/list_changed"),
                                note("notifications/roots/list_changed") }),
                  sid);
  CAF_CHECK_EQUAL(out->count("accepted"), 1u);
  CAF_CHECK_EQUAL(out->count("reply"), 0u);
}

CAF_TEST(a json batch streams once an element sends a notification) {
  start_edge(json_responses());
  auto sid = open_session("2025-03-26");
  auto out =
    post(json::array(
           { req("ping", json::object(), 1),
             req("tools/call",
                 { { "name", "fake.work" },
                   { "arguments", { { "text", "x" }, { "mode", "notify" } } } },
                 2) }),
         sid);
  CAF_CHECK_EQUAL(out->count("reply"), 0u);
  CAF_CHECK_EQUAL(out->data_events().size(), 3u);
  CAF_CHECK_EQUAL(out->count("end"), 1u);
}

CAF_TEST(batches are refused in later versions and without a session) {
  auto sid = open_session("2025-11-25");
  auto out = post(json::array({ req("ping", json::object(), 1) }), sid);
  auto f = out->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 400);
  auto msg = f->second["error"]["message"].get<std::string>();
  CAF_CHECK(msg.find("protocol version 2025-11-25") != std::string::npos);
  auto code = f->second["error"]["code"];
  CAF_CHECK_EQUAL(code, -32600);
  // 2025-06-18 removed them.
  auto old = open_session("2025-06-18");
  auto f2 =
    post(json::array({ req("ping", json::object(), 1) }), old)->failure();
  CAF_REQUIRE(f2.has_value());
  CAF_CHECK_EQUAL(f2->first, 400);
  // initialize must not be batched.
  auto f3 =
    post(json::array(
           { req("initialize", { { "protocolVersion", "2025-03-26" } }, 1) }))
      ->failure();
  CAF_REQUIRE(f3.has_value());
  CAF_CHECK_EQUAL(f3->first, 400);
}

CAF_TEST(bad elements of a batch get their own errors) {
  start_edge(json_responses());
  auto sid = open_session("2025-03-26");
  auto out =
    post(json::array(
           { json{ { "jsonrpc", "1.0" }, { "id", 9 } },
             req("initialize", { { "protocolVersion", "2025-03-26" } }, 10),
             json::array(),
             req("ping", json::object(), 11) }),
         sid);
  CAF_REQUIRE_EQUAL(out->count("reply"), 1u);
  auto answers = json::parse(out->of("reply")[0].data);
  CAF_REQUIRE_EQUAL(answers.size(), 4u);
  int errors = 0;
  for (auto& a : answers)
    errors += a.contains("error") && a["error"]["code"] == -32600 ? 1 : 0;
  CAF_CHECK_EQUAL(errors, 3);
  // An empty batch is one invalid request.
  auto f = post(json::array(), sid)->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 400);
}

CAF_TEST_FIXTURE_SCOPE_END()
