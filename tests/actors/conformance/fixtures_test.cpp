// The MCP conformance fixtures provider (actors/conformance/fixtures.hpp),
// on CAF's test coordinator: a stand-in registry takes its registration and
// a stand-in channel plays the edge's side of a call (records notifications,
// answers asks), so that every timed step is checked at exact times.
#define CAF_SUITE actors.conformance.fixtures

#include "actors/conformance/fixtures.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/call/call.hpp"
#include "runtime/mcp/provider.hpp"
#include "tests/runtime/actor_fixture.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::test;
using nlohmann::json;
namespace fixtures = sophia::actors::conformance;

namespace {

/// Names registered with the stand-in registry.
using name_table = std::shared_ptr<std::map<std::string, caf::actor>>;

caf::behavior stand_in_registry(caf::event_based_actor*, name_table names) {
  return {
    [names](caf::put_atom, const std::string& name, caf::actor& a) {
      (*names)[name] = std::move(a);
      return caf::ok_atom::value;
    },
  };
}

/// What the stand-in channel saw, and how it answers asks.
struct channel_log {
  /// `(call_id, notification)` in arrival order.
  std::vector<std::pair<std::string, json>> notes;
  /// `(call_id, request)` in arrival order.
  std::vector<std::pair<std::string, json>> asks;
  /// The client's `result` per ask method; "hold" never answers; a method
  /// not listed gets an error.
  std::map<std::string, std::string> answers;

  /// The notifications whose method is `method`.
  std::vector<json> of(const std::string& method) const {
    std::vector<json> out;
    for (auto& [id, n] : notes)
      if (n.value("method", "") == method) out.push_back(n);
    return out;
  }
};

using channel_log_ptr = std::shared_ptr<channel_log>;

caf::behavior stand_in_channel(caf::event_based_actor* self,
                               channel_log_ptr log) {
  return {
    [log](mcp::notify, const std::string& call_id, const std::string& text) {
      log->notes.emplace_back(call_id, json::parse(text));
    },
    [=](mcp::ask,
        const std::string& call_id,
        const std::string& text) -> caf::result<std::string> {
      auto req = json::parse(text);
      log->asks.emplace_back(call_id, req);
      auto method = req.value("method", "");
      auto i = log->answers.find(method);
      if (i == log->answers.end())
        return make_error(errc::rejected,
                          "the client does not support " + method);
      if (i->second == "hold")
        return self->make_response_promise<std::string>();
      return i->second;
    },
  };
}

/// A reply that may come later than the call.
struct outcome {
  bool done = false;
  caf::expected<std::string> value{ make_error(errc::none) };
};

using outcome_ptr = std::shared_ptr<outcome>;

struct fixture : actor_fixture {
  name_table names = std::make_shared<std::map<std::string, caf::actor>>();
  channel_log_ptr log = std::make_shared<channel_log>();
  caf::actor registry = sys.spawn(stand_in_registry, names);
  caf::actor fx =
    fixtures::spawn_fixtures(sys, registry, "business_intelligence");
  caf::actor channel = sys.spawn(stand_in_channel, log);
  std::vector<caf::actor> callers;

  fixture() { consume_messages(); }

  ~fixture() override {
    for (auto& a : callers)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(fx, caf::exit_reason::kill);
    caf::anon_send_exit(channel, caf::exit_reason::kill);
    caf::anon_send_exit(registry, caf::exit_reason::kill);
    consume_messages();
  }

  /// Starts a call of `method` with `payload` (with the stand-in channel when
  /// `with_channel`) and lets every actor run; the outcome may come later.
  outcome_ptr start(std::string method,
                    std::string payload,
                    std::string trace = "trace-1",
                    bool with_channel = true) {
    call::request req;
    req.method = std::move(method);
    req.payload = std::move(payload);
    req.caller = "test";
    req.trace_id = std::move(trace);
    auto env = call::make_envelope(req);
    auto out = std::make_shared<outcome>();
    auto ch = with_channel ? channel : caf::actor{};
    auto target = fx;
    callers.push_back(
      sys.spawn([out, env, ch, target](caf::event_based_actor* s) {
        auto on_reply = [out](wire::buffer& b) {
          out->done = true;
          out->value = call::reply_payload(b);
        };
        auto on_error = [out](caf::error& err) {
          out->done = true;
          out->value = std::move(err);
        };
        if (ch)
          s->request(target, caf::infinite, atoms::call::value, env, ch)
            .then(on_reply, on_error);
        else
          s->request(target, caf::infinite, atoms::call::value, env)
            .then(on_reply, on_error);
      }));
    consume_messages();
    return out;
  }

  /// A call that must answer at once.
  caf::expected<std::string> call(std::string method,
                                  std::string payload,
                                  bool with_channel = true) {
    auto out =
      start(std::move(method), std::move(payload), "trace-1", with_channel);
    CAF_REQUIRE(out->done);
    return out->value;
  }

  /// The JSON result of a call that must succeed at once.
  json ok(std::string method, const json& params, bool with_channel = true) {
    auto r = call(std::move(method), params.dump(), with_channel);
    if (!r) CAF_FAIL("call failed: " << sys.render(r.error()));
    return json::parse(*r);
  }

  json tool(const std::string& name, json args = json::object()) {
    return ok("tools/call",
              { { "name", name }, { "arguments", std::move(args) } });
  }

  /// The text of the single text item of a tool result.
  static std::string text_of(const json& result) {
    CAF_REQUIRE(result.contains("content"));
    CAF_REQUIRE_EQUAL(result["content"].size(), 1u);
    CAF_REQUIRE_EQUAL(result["content"][0]["type"], "text");
    return result["content"][0]["text"].get<std::string>();
  }

  static json parsed(const outcome_ptr& out) {
    CAF_REQUIRE(out->done);
    if (!out->value) CAF_FAIL("call failed");
    return json::parse(*out->value);
  }

  json describe() {
    auto d = ask<std::string>(fx, mcp::describe::value);
    CAF_REQUIRE(d);
    return json::parse(*d);
  }

  /// The error text of a failed call, for message checks.
  std::string rendered(const caf::expected<std::string>& r) {
    CAF_REQUIRE(!r);
    return sys.render(r.error());
  }

  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

const char* png_base64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8"
  "jx0gAAAABJRU5ErkJggg==";

} // namespace

CAF_TEST_FIXTURE_SCOPE(conformance_fixtures, fixture)

// -- registration and descriptor ----------------------------------------------

CAF_TEST(registers as mcp.conformance in the registry) {
  CAF_REQUIRE_EQUAL(names->count("mcp.conformance"), 1u);
  CAF_CHECK_EQUAL(names->at("mcp.conformance"), fx);
}

CAF_TEST(describe lists every tool with a description and an input schema) {
  auto d = describe();
  CAF_CHECK_EQUAL(d["service"], "conformance");
  CAF_CHECK_EQUAL(d["domain"], "business_intelligence");
  CAF_CHECK_EQUAL(d["prefix"], "");
  std::vector<std::string> expected = {
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_logging",
    "test_error_handling",
    "test_tool_with_progress",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "json_schema_2020_12_tool",
    "test_reconnection",
    "test_slow_tool",
  };
  std::vector<std::string> listed;
  for (auto& t : d["tools"]) {
    listed.push_back(t["name"]);
    CAF_CHECK(t["description"].is_string() && !t["description"].empty());
    CAF_CHECK(t["description"].get<std::string>().size() > 0);
    CAF_CHECK(t["inputSchema"].is_object());
    CAF_CHECK_EQUAL(t["inputSchema"]["type"], "object");
  }
  CAF_CHECK_EQUAL(listed, expected);
  auto find = [&](const std::string& name) {
    for (auto& t : d["tools"])
      if (t["name"] == name) return t;
    return json{};
  };
  // (CAF_CHECK_EQUAL keeps references: no subobjects of temporaries.)
  auto simple = find("test_simple_text");
  CAF_CHECK_EQUAL(simple["inputSchema"],
                  json::parse(R"({"type":"object","properties":{}})"));
  auto sampling = find("test_sampling");
  CAF_CHECK_EQUAL(sampling["inputSchema"]["required"],
                  json::array({ "prompt" }));
  auto elicitation = find("test_elicitation");
  CAF_CHECK_EQUAL(elicitation["inputSchema"]["required"],
                  json::array({ "message" }));
  auto slow = find("test_slow_tool")["inputSchema"];
  CAF_CHECK_EQUAL(slow["properties"]["ms"]["type"], "integer");
  CAF_CHECK_EQUAL(slow["properties"]["ms"]["maximum"], 600000);
  CAF_CHECK_EQUAL(slow["required"], json::array({ "ms" }));
}

CAF_TEST(the JSON Schema 2020 - 12 tool keeps its schema keywords) {
  auto d = describe();
  json schema;
  for (auto& t : d["tools"])
    if (t["name"] == "json_schema_2020_12_tool") schema = t["inputSchema"];
  CAF_CHECK_EQUAL(schema["$schema"],
                  "https://json-schema.org/draft/2020-12/schema");
  CAF_CHECK_EQUAL(schema["$defs"]["address"]["properties"]["city"]["type"],
                  "string");
  CAF_CHECK_EQUAL(schema["properties"]["address"]["$ref"], "#/$defs/address");
  CAF_CHECK_EQUAL(schema["additionalProperties"], false);
}

CAF_TEST(
  describe lists resources and the template and prompts with descriptions) {
  auto d = describe();
  std::vector<std::string> uris;
  for (auto& r : d["resources"]) {
    uris.push_back(r["uri"]);
    CAF_CHECK(!r["name"].get<std::string>().empty());
    CAF_CHECK(!r["description"].get<std::string>().empty());
  }
  CAF_CHECK_EQUAL(uris,
                  (std::vector<std::string>{ "test://static-text",
                                             "test://static-binary",
                                             "test://watched-resource" }));
  CAF_REQUIRE_EQUAL(d["resourceTemplates"].size(), 1u);
  CAF_CHECK_EQUAL(d["resourceTemplates"][0]["uriTemplate"],
                  "test://template/{id}/data");
  CAF_CHECK_EQUAL(d["resourceTemplates"][0]["mimeType"], "application/json");
  std::vector<std::string> prompts;
  for (auto& p : d["prompts"]) {
    prompts.push_back(p["name"]);
    CAF_CHECK(!p["description"].get<std::string>().empty());
  }
  CAF_CHECK_EQUAL(
    prompts,
    (std::vector<std::string>{ "test_simple_prompt",
                               "test_prompt_with_arguments",
                               "test_prompt_with_embedded_resource",
                               "test_prompt_with_image" }));
  auto args = d["prompts"][1]["arguments"];
  CAF_REQUIRE_EQUAL(args.size(), 2u);
  CAF_CHECK_EQUAL(args[0]["name"], "arg1");
  CAF_CHECK_EQUAL(args[0]["required"], true);
  CAF_CHECK_EQUAL(args[1]["name"], "arg2");
  CAF_CHECK_EQUAL(d["prompts"][2]["arguments"][0]["name"], "resourceUri");
}

// -- simple tools
// -----------------------------------------------------------------

CAF_TEST(test_simple_text returns the reference text and no error) {
  auto r = tool("test_simple_text");
  CAF_CHECK_EQUAL(text_of(r), "This is a simple text response for testing.");
  CAF_CHECK(!r.contains("isError"));
}

CAF_TEST(test_image_content returns a PNG image) {
  auto r = tool("test_image_content");
  CAF_REQUIRE_EQUAL(r["content"].size(), 1u);
  CAF_CHECK_EQUAL(r["content"][0]["type"], "image");
  CAF_CHECK_EQUAL(r["content"][0]["mimeType"], "image/png");
  CAF_CHECK_EQUAL(r["content"][0]["data"], png_base64);
}

CAF_TEST(test_audio_content returns a WAV with mimeType audio / wav) {
  auto r = tool("test_audio_content");
  CAF_REQUIRE_EQUAL(r["content"].size(), 1u);
  CAF_CHECK_EQUAL(r["content"][0]["type"], "audio");
  CAF_CHECK_EQUAL(r["content"][0]["mimeType"], "audio/wav");
  auto data = r["content"][0]["data"].get<std::string>();
  // "RIFF....WAVE" in base64.
  CAF_CHECK_EQUAL(data.substr(0, 5), "UklGR");
  CAF_CHECK_EQUAL(data.substr(8, 8), "AABXQVZF");
}

CAF_TEST(test_embedded_resource returns a text resource) {
  auto r = tool("test_embedded_resource");
  CAF_REQUIRE_EQUAL(r["content"].size(), 1u);
  auto& c = r["content"][0];
  CAF_CHECK_EQUAL(c["type"], "resource");
  CAF_CHECK_EQUAL(c["resource"]["uri"], "test://embedded-resource");
  CAF_CHECK_EQUAL(c["resource"]["mimeType"], "text/plain");
  CAF_CHECK_EQUAL(c["resource"]["text"],
                  "This is an embedded resource content.");
}

CAF_TEST(test_multiple_content_types returns text and image and resource) {
  auto r = tool("test_multiple_content_types");
  CAF_REQUIRE_EQUAL(r["content"].size(), 3u);
  CAF_CHECK_EQUAL(r["content"][0]["type"], "text");
  CAF_CHECK_EQUAL(r["content"][0]["text"], "Multiple content types test:");
  CAF_CHECK_EQUAL(r["content"][1]["type"], "image");
  CAF_CHECK_EQUAL(r["content"][2]["type"], "resource");
  CAF_CHECK_EQUAL(r["content"][2]["resource"]["uri"],
                  "test://mixed-content-resource");
  CAF_CHECK_EQUAL(
    json::parse(r["content"][2]["resource"]["text"].get<std::string>()),
    json::parse(R"({"test":"data","value":123})"));
}

CAF_TEST(test_error_handling returns a result with isError) {
  auto r = tool("test_error_handling");
  CAF_CHECK_EQUAL(r["isError"], true);
  CAF_CHECK_EQUAL(text_of(r),
                  "This tool intentionally returns an error for testing");
}

CAF_TEST(json_schema_2020_12_tool echoes its arguments and refuses others) {
  auto r = tool("json_schema_2020_12_tool",
                { { "name", "Ada" }, { "address", { { "city", "London" } } } });
  auto text = text_of(r);
  CAF_CHECK(has(text, "JSON Schema 2020-12 tool called with: "));
  CAF_CHECK(has(text, "\"city\":\"London\""));
  auto bad =
    call("tools/call",
         R"({"name":"json_schema_2020_12_tool","arguments":{"age":3}})");
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::rejected);
  CAF_CHECK(has(rendered(bad), "age"));
}

// -- timed tools
// ----------------------------------------------------------------

CAF_TEST(test_tool_with_logging sends three info messages 50 ms apart) {
  auto out =
    start("tools/call", R"({"name":"test_tool_with_logging"})", "log-1");
  CAF_CHECK(!out->done);
  CAF_REQUIRE_EQUAL(log->of("notifications/message").size(), 1u);
  advance(40ms);
  CAF_CHECK_EQUAL(log->of("notifications/message").size(), 1u);
  advance(10ms);
  CAF_CHECK_EQUAL(log->of("notifications/message").size(), 2u);
  CAF_CHECK(!out->done);
  advance(50ms);
  CAF_REQUIRE(out->done);
  auto msgs = log->of("notifications/message");
  CAF_REQUIRE_EQUAL(msgs.size(), 3u);
  std::vector<std::string> texts;
  for (auto& m : msgs) {
    CAF_CHECK_EQUAL(m["jsonrpc"], "2.0");
    CAF_CHECK_EQUAL(m["params"]["level"], "info");
    texts.push_back(m["params"]["data"]);
  }
  CAF_CHECK_EQUAL(texts,
                  (std::vector<std::string>{ "Tool execution started",
                                             "Tool processing data",
                                             "Tool execution completed" }));
  for (auto& [id, n] : log->notes)
    CAF_CHECK_EQUAL(id, "log-1");
  CAF_CHECK_EQUAL(text_of(parsed(out)),
                  "Tool with logging executed successfully");
}

CAF_TEST(test_tool_with_progress reports 0 then 50 then 100 with the token) {
  auto out = start(
    "tools/call",
    R"({"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"progress-test-1"}})",
    "prog-1");
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 1u);
  advance(50ms);
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 2u);
  CAF_CHECK(!out->done);
  advance(50ms);
  CAF_REQUIRE(out->done);
  auto notes = log->of("notifications/progress");
  CAF_REQUIRE_EQUAL(notes.size(), 3u);
  std::vector<int> values;
  for (auto& n : notes) {
    CAF_CHECK_EQUAL(n["params"]["progressToken"], "progress-test-1");
    CAF_CHECK_EQUAL(n["params"]["total"], 100);
    values.push_back(n["params"]["progress"]);
  }
  CAF_CHECK_EQUAL(values, (std::vector<int>{ 0, 50, 100 }));
  CAF_CHECK_EQUAL(log->notes[0].first, "prog-1");
  CAF_CHECK_EQUAL(text_of(parsed(out)), "progress-test-1");
}

CAF_TEST(test_tool_with_progress keeps a numeric token) {
  auto out =
    start("tools/call",
          R"({"name":"test_tool_with_progress","_meta":{"progressToken":7}})");
  advance(100ms);
  CAF_REQUIRE(out->done);
  auto notes = log->of("notifications/progress");
  CAF_REQUIRE_EQUAL(notes.size(), 3u);
  CAF_CHECK_EQUAL(notes[2]["params"]["progressToken"], 7);
}

CAF_TEST(test_tool_with_progress without a token sends no notifications) {
  auto out = start("tools/call", R"({"name":"test_tool_with_progress"})");
  advance(100ms);
  CAF_REQUIRE(out->done);
  CAF_CHECK(log->notes.empty());
  CAF_CHECK(!text_of(parsed(out)).empty());
}

CAF_TEST(test_reconnection answers after 100 ms) {
  auto out = start("tools/call", R"({"name":"test_reconnection"})");
  advance(90ms);
  CAF_CHECK(!out->done);
  advance(10ms);
  CAF_REQUIRE(out->done);
  CAF_CHECK(
    has(text_of(parsed(out)), "Reconnection test completed successfully"));
}

CAF_TEST(test_slow_tool reports progress every 100 ms and then answers) {
  auto out = start(
    "tools/call",
    R"({"name":"test_slow_tool","arguments":{"ms":250},"_meta":{"progressToken":"s"}})");
  CAF_CHECK(log->notes.empty());
  advance(100ms);
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 1u);
  advance(100ms);
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 2u);
  advance(40ms);
  CAF_CHECK(!out->done);
  advance(10ms);
  CAF_REQUIRE(out->done);
  CAF_CHECK_EQUAL(text_of(parsed(out)), "slept 250 ms");
  auto notes = log->of("notifications/progress");
  CAF_REQUIRE_EQUAL(notes.size(), 2u);
  CAF_CHECK_EQUAL(notes[0]["params"]["progress"], 100);
  CAF_CHECK_EQUAL(notes[1]["params"]["progress"], 200);
  CAF_CHECK_EQUAL(notes[1]["params"]["total"], 250);
  CAF_CHECK_EQUAL(notes[1]["params"]["progressToken"], "s");
}

CAF_TEST(test_slow_tool without a token or channel still answers) {
  auto out = start("tools/call",
                   R"({"name":"test_slow_tool","arguments":{"ms":120}})",
                   "slow-2",
                   false);
  advance(120ms);
  CAF_REQUIRE(out->done);
  CAF_CHECK_EQUAL(text_of(parsed(out)), "slept 120 ms");
  CAF_CHECK(log->notes.empty());
  CAF_CHECK_EQUAL(
    text_of(json::parse(*call(
      "tools/call", R"({"name":"test_slow_tool","arguments":{"ms":0}})"))),
    "slept 0 ms");
}

CAF_TEST(cancel stops test_slow_tool and delivers a cancelled error) {
  auto out = start(
    "tools/call",
    R"({"name":"test_slow_tool","arguments":{"ms":1000},"_meta":{"progressToken":1}})",
    "slow-1");
  auto other = start("tools/call",
                     R"({"name":"test_slow_tool","arguments":{"ms":300}})",
                     "other");
  advance(250ms);
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 2u);
  self->send(fx, mcp::cancel::value, std::string{ "slow-1" });
  consume_messages();
  CAF_REQUIRE(out->done);
  CAF_REQUIRE(!out->value);
  CAF_CHECK_EQUAL(code_of(out->value.error()), errc::cancelled);
  CAF_CHECK(has(sys.render(out->value.error()), "cancelled"));
  CAF_CHECK(!other->done);
  advance(1000ms);
  CAF_CHECK_EQUAL(log->of("notifications/progress").size(), 2u);
  // Only the named call was cancelled.
  CAF_REQUIRE(other->done);
  CAF_CHECK_EQUAL(text_of(parsed(other)), "slept 300 ms");
  // A cancel for an unknown call is ignored.
  self->send(fx, mcp::cancel::value, std::string{ "nobody" });
  consume_messages();
  CAF_CHECK_EQUAL(text_of(tool("test_simple_text")),
                  "This is a simple text response for testing.");
}

CAF_TEST(test_slow_tool refuses a missing or mistyped or out of range ms) {
  for (auto args : { R"({})",
                     R"({"ms":"10"})",
                     R"({"ms":-1})",
                     R"({"ms":600001})",
                     R"({"ms":1.5})" }) {
    auto r = call("tools/call",
                  std::string{ R"({"name":"test_slow_tool","arguments":)" } +
                    args + "}");
    CAF_CHECK_EQUAL(code_of(r.error()), errc::rejected);
    CAF_CHECK(has(rendered(r), "ms"));
  }
}

// -- asks ---------------------------------------------------------------------

CAF_TEST(test_sampling asks the client and returns its text) {
  log->answers["sampling/createMessage"] =
    R"({"role":"assistant","content":{"type":"text","text":"This is a test response from the client"},"model":"test-model","stopReason":"endTurn"})";
  auto out = start(
    "tools/call",
    R"({"name":"test_sampling","arguments":{"prompt":"Test prompt for sampling"}})",
    "samp-1");
  CAF_REQUIRE(out->done);
  CAF_CHECK_EQUAL(text_of(parsed(out)),
                  "LLM response: This is a test response from the client");
  CAF_REQUIRE_EQUAL(log->asks.size(), 1u);
  auto& [id, req] = log->asks[0];
  CAF_CHECK_EQUAL(id, "samp-1");
  CAF_CHECK_EQUAL(req["method"], "sampling/createMessage");
  CAF_CHECK_EQUAL(req["params"]["maxTokens"], 100);
  CAF_CHECK_EQUAL(
    req["params"]["messages"],
    json::parse(
      R"([{"role":"user","content":{"type":"text","text":"Test prompt for sampling"}}])"));
}

CAF_TEST(test_sampling accepts an array of content) {
  log->answers["sampling/createMessage"] =
    R"({"role":"assistant","content":[{"type":"text","text":"hello"}],"model":"m"})";
  auto r = tool("test_sampling", { { "prompt", "p" } });
  CAF_CHECK_EQUAL(text_of(r), "LLM response: hello");
}

CAF_TEST(test_sampling reports a refused ask or
         a missing channel as a tool error) {
  auto r = tool("test_sampling", { { "prompt", "p" } });
  CAF_CHECK_EQUAL(r["isError"], true);
  CAF_CHECK(has(text_of(r), "does not support sampling/createMessage"));
  auto no_channel =
    ok("tools/call",
       { { "name", "test_sampling" }, { "arguments", { { "prompt", "p" } } } },
       false);
  CAF_CHECK_EQUAL(no_channel["isError"], true);
  auto missing =
    call("tools/call", R"({"name":"test_sampling","arguments":{}})");
  CAF_CHECK_EQUAL(code_of(missing.error()), errc::rejected);
  CAF_CHECK(has(rendered(missing), "prompt"));
}

CAF_TEST(cancel ends a call that waits for the client) {
  log->answers["sampling/createMessage"] = "hold";
  auto out = start("tools/call",
                   R"({"name":"test_sampling","arguments":{"prompt":"p"}})",
                   "held");
  CAF_CHECK(!out->done);
  CAF_CHECK_EQUAL(log->asks.size(), 1u);
  self->send(fx, mcp::cancel::value, std::string{ "held" });
  consume_messages();
  CAF_REQUIRE(out->done);
  CAF_CHECK_EQUAL(code_of(out->value.error()), errc::cancelled);
}

CAF_TEST(test_elicitation asks for username and email and reports the answer) {
  log->answers["elicitation/create"] =
    R"({"action":"accept","content":{"username":"testuser","email":"test@example.com"}})";
  auto r = tool("test_elicitation",
                { { "message", "Please provide your information" } });
  // The content is echoed as JSON (its key order is the JSON library's).
  auto text = text_of(r);
  const std::string head = "User response: action=accept, content=";
  CAF_REQUIRE_EQUAL(text.substr(0, head.size()), head);
  CAF_CHECK_EQUAL(
    json::parse(text.substr(head.size())),
    json::parse(R"({"username":"testuser","email":"test@example.com"})"));
  CAF_REQUIRE_EQUAL(log->asks.size(), 1u);
  auto& req = log->asks[0].second;
  CAF_CHECK_EQUAL(req["method"], "elicitation/create");
  CAF_CHECK_EQUAL(req["params"]["message"], "Please provide your information");
  auto& schema = req["params"]["requestedSchema"];
  CAF_CHECK_EQUAL(schema["type"], "object");
  CAF_CHECK_EQUAL(schema["properties"]["username"]["type"], "string");
  CAF_CHECK_EQUAL(schema["properties"]["email"]["type"], "string");
  CAF_CHECK_EQUAL(schema["required"], json::array({ "username", "email" }));
}

CAF_TEST(test_elicitation reports a declined answer) {
  log->answers["elicitation/create"] = R"({"action":"decline"})";
  auto r = tool("test_elicitation", { { "message", "m" } });
  CAF_CHECK_EQUAL(text_of(r), "User response: action=decline, content={}");
}

CAF_TEST(the SEP-1034 elicitation carries a default for every primitive type) {
  log->answers["elicitation/create"] =
    R"({"action":"accept","content":{"name":"Jane Smith","age":25,"score":88,"status":"inactive","verified":false}})";
  auto r = tool("test_elicitation_sep1034_defaults");
  CAF_CHECK(has(text_of(r), "Elicitation completed: action=accept, content="));
  CAF_REQUIRE_EQUAL(log->asks.size(), 1u);
  auto p = log->asks[0].second["params"]["requestedSchema"]["properties"];
  CAF_CHECK_EQUAL(p["name"]["type"], "string");
  CAF_CHECK_EQUAL(p["name"]["default"], "John Doe");
  CAF_CHECK_EQUAL(p["age"]["type"], "integer");
  CAF_CHECK_EQUAL(p["age"]["default"], 30);
  CAF_CHECK_EQUAL(p["score"]["type"], "number");
  CAF_CHECK_EQUAL(p["score"]["default"], 95.5);
  CAF_CHECK_EQUAL(p["status"]["enum"],
                  json::array({ "active", "inactive", "pending" }));
  CAF_CHECK_EQUAL(p["status"]["default"], "active");
  CAF_CHECK_EQUAL(p["verified"]["type"], "boolean");
  CAF_CHECK_EQUAL(p["verified"]["default"], true);
}

CAF_TEST(the SEP - 1330 elicitation carries all five enum variants) {
  log->answers["elicitation/create"] = R"({"action":"accept","content":{}})";
  tool("test_elicitation_sep1330_enums");
  CAF_REQUIRE_EQUAL(log->asks.size(), 1u);
  auto p = log->asks[0].second["params"]["requestedSchema"]["properties"];
  CAF_CHECK_EQUAL(p["untitledSingle"]["type"], "string");
  CAF_CHECK(p["untitledSingle"]["enum"].is_array());
  CAF_CHECK(!p["untitledSingle"].contains("oneOf"));
  CAF_CHECK(!p["untitledSingle"].contains("enumNames"));
  CAF_CHECK_EQUAL(p["titledSingle"]["type"], "string");
  CAF_CHECK(!p["titledSingle"].contains("enum"));
  for (auto& o : p["titledSingle"]["oneOf"])
    CAF_CHECK(o["const"].is_string() && o["title"].is_string());
  CAF_CHECK_EQUAL(p["legacyEnum"]["enum"].size(),
                  p["legacyEnum"]["enumNames"].size());
  CAF_CHECK_EQUAL(p["untitledMulti"]["type"], "array");
  CAF_CHECK_EQUAL(p["untitledMulti"]["items"]["type"], "string");
  CAF_CHECK(p["untitledMulti"]["items"]["enum"].is_array());
  CAF_CHECK_EQUAL(p["titledMulti"]["type"], "array");
  for (auto& o : p["titledMulti"]["items"]["anyOf"])
    CAF_CHECK(o["const"].is_string() && o["title"].is_string());
}

// -- errors
// -------------------------------------------------------------------------

CAF_TEST(an unknown tool or method is not_found and names it) {
  auto tool_r = call("tools/call", R"({"name":"no_such_tool"})");
  CAF_CHECK_EQUAL(code_of(tool_r.error()), errc::not_found);
  CAF_CHECK(has(rendered(tool_r), "no_such_tool"));
  auto method_r = call("tools/list", "{}");
  CAF_CHECK_EQUAL(code_of(method_r.error()), errc::not_found);
  CAF_CHECK(has(rendered(method_r), "tools/list"));
}

CAF_TEST(a bad payload is rejected with the reason) {
  auto not_json = call("tools/call", "{nope");
  CAF_CHECK_EQUAL(code_of(not_json.error()), errc::rejected);
  CAF_CHECK(has(rendered(not_json), "not a JSON object"));
  auto array = call("tools/call", "[1,2]");
  CAF_CHECK_EQUAL(code_of(array.error()), errc::rejected);
  CAF_CHECK(has(rendered(array), "object"));
  auto no_name = call("tools/call", R"({"arguments":{}})");
  CAF_CHECK_EQUAL(code_of(no_name.error()), errc::rejected);
  CAF_CHECK(has(rendered(no_name), "name"));
  auto bad_args =
    call("tools/call", R"({"name":"test_simple_text","arguments":[]})");
  CAF_CHECK_EQUAL(code_of(bad_args.error()), errc::rejected);
  CAF_CHECK(has(rendered(bad_args), "arguments"));
}

// -- resources
// ---------------------------------------------------------------------

CAF_TEST(resources read returns text and blob and template contents) {
  auto text = ok("resources/read", { { "uri", "test://static-text" } });
  CAF_REQUIRE_EQUAL(text["contents"].size(), 1u);
  CAF_CHECK_EQUAL(text["contents"][0]["uri"], "test://static-text");
  CAF_CHECK_EQUAL(text["contents"][0]["mimeType"], "text/plain");
  CAF_CHECK_EQUAL(text["contents"][0]["text"],
                  "This is the content of the static text resource.");
  auto blob = ok("resources/read", { { "uri", "test://static-binary" } });
  CAF_CHECK_EQUAL(blob["contents"][0]["mimeType"], "image/png");
  CAF_CHECK_EQUAL(blob["contents"][0]["blob"], png_base64);
  CAF_CHECK(!blob["contents"][0].contains("text"));
  auto tpl = ok("resources/read", { { "uri", "test://template/123/data" } });
  CAF_CHECK_EQUAL(tpl["contents"][0]["uri"], "test://template/123/data");
  CAF_CHECK_EQUAL(tpl["contents"][0]["mimeType"], "application/json");
  CAF_CHECK_EQUAL(
    tpl["contents"][0]["text"],
    R"({"id":"123","templateTest":true,"data":"Data for ID: 123"})");
  auto watched = ok("resources/read", { { "uri", "test://watched-resource" } });
  CAF_CHECK(!watched["contents"][0]["text"].get<std::string>().empty());
}

CAF_TEST(reading an unknown resource is not_found) {
  for (auto uri :
       { "test://nope", "test://template//data", "test://template/1/2/data" }) {
    auto r = call("resources/read", json{ { "uri", uri } }.dump());
    CAF_CHECK_EQUAL(code_of(r.error()), errc::not_found);
    CAF_CHECK(has(rendered(r), std::string{ "resource not found: " } + uri));
  }
}

CAF_TEST(subscribing to the watched resource announces an update 100 ms later) {
  auto r = call("resources/subscribe", R"({"uri":"test://watched-resource"})");
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(*r, "{}");
  advance(90ms);
  CAF_CHECK(log->notes.empty());
  advance(10ms);
  CAF_REQUIRE_EQUAL(log->notes.size(), 1u);
  CAF_CHECK_EQUAL(log->notes[0].first, "");
  CAF_CHECK_EQUAL(
    log->notes[0].second,
    json::parse(
      R"({"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"test://watched-resource"}})"));
  advance(500ms);
  CAF_CHECK_EQUAL(log->notes.size(), 1u);
}

CAF_TEST(unsubscribing before the update cancels it) {
  auto reply = [&](const char* method, const char* uri) {
    auto r = call(method, json{ { "uri", uri } }.dump());
    return r ? *r : sys.render(r.error());
  };
  CAF_CHECK_EQUAL(reply("resources/subscribe", "test://watched-resource"),
                  "{}");
  CAF_CHECK_EQUAL(reply("resources/unsubscribe", "test://watched-resource"),
                  "{}");
  advance(200ms);
  CAF_CHECK(log->notes.empty());
  // Unsubscribing twice is fine, as is subscribing to another resource.
  CAF_CHECK_EQUAL(reply("resources/unsubscribe", "test://watched-resource"),
                  "{}");
  CAF_CHECK_EQUAL(reply("resources/subscribe", "test://static-text"), "{}");
  auto unknown = call("resources/subscribe", R"({"uri":"test://nope"})");
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
}

// -- prompts and completion
// -------------------------------------------------------

CAF_TEST(prompts get substitutes arguments) {
  auto r = ok("prompts/get",
              { { "name", "test_prompt_with_arguments" },
                { "arguments",
                  { { "arg1", "testValue1" }, { "arg2", "testValue2" } } } });
  CAF_REQUIRE_EQUAL(r["messages"].size(), 1u);
  CAF_CHECK_EQUAL(r["messages"][0]["role"], "user");
  CAF_CHECK_EQUAL(
    r["messages"][0]["content"]["text"],
    "Prompt with arguments: arg1='testValue1', arg2='testValue2'");
  auto missing =
    call("prompts/get",
         R"({"name":"test_prompt_with_arguments","arguments":{"arg1":"x"}})");
  CAF_CHECK_EQUAL(code_of(missing.error()), errc::rejected);
  CAF_CHECK(has(rendered(missing), "arg2"));
}

CAF_TEST(prompts get returns the simple and resource and image prompts) {
  auto simple = ok("prompts/get", { { "name", "test_simple_prompt" } });
  CAF_CHECK_EQUAL(simple["messages"][0]["content"]["text"],
                  "This is a simple prompt for testing.");
  auto res =
    ok("prompts/get",
       { { "name", "test_prompt_with_embedded_resource" },
         { "arguments", { { "resourceUri", "test://example-resource" } } } });
  CAF_REQUIRE_EQUAL(res["messages"].size(), 2u);
  CAF_CHECK_EQUAL(res["messages"][0]["content"]["type"], "resource");
  CAF_CHECK_EQUAL(res["messages"][0]["content"]["resource"]["uri"],
                  "test://example-resource");
  auto img = ok("prompts/get", { { "name", "test_prompt_with_image" } });
  CAF_CHECK_EQUAL(img["messages"][0]["content"]["type"], "image");
  CAF_CHECK_EQUAL(img["messages"][0]["content"]["mimeType"], "image/png");
  CAF_CHECK(!img["messages"][0]["content"]["data"].get<std::string>().empty());
  auto unknown = call("prompts/get", R"({"name":"nope"})");
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
  CAF_CHECK(has(rendered(unknown), "nope"));
}

CAF_TEST(completion filters candidates by prefix) {
  auto complete = [&](const std::string& value) {
    return ok("completion/complete",
              { { "ref",
                  { { "type", "ref/prompt" },
                    { "name", "test_prompt_with_arguments" } } },
                { "argument",
                  { { "name", "arg1" }, { "value", value } } } })["completion"];
  };
  auto par = complete("par");
  CAF_CHECK_EQUAL(par["values"], json::array({ "paris", "park", "party" }));
  CAF_CHECK_EQUAL(par["total"], 3);
  CAF_CHECK_EQUAL(par["hasMore"], false);
  auto pari = complete("pari");
  CAF_CHECK_EQUAL(pari["values"], json::array({ "paris" }));
  auto all = complete("");
  CAF_CHECK_EQUAL(all["values"].size(), 3u);
  auto none = complete("test");
  CAF_CHECK(none["values"].is_array() && none["values"].empty());
  CAF_CHECK_EQUAL(none["total"], 0);
  auto ids = ok("completion/complete",
                { { "ref",
                    { { "type", "ref/resource" },
                      { "uri", "test://template/{id}/data" } } },
                  { "argument", { { "name", "id" }, { "value", "1" } } } });
  CAF_CHECK_EQUAL(ids["completion"]["values"], json::array({ "123" }));
  auto unknown = call(
    "completion/complete",
    R"({"ref":{"type":"ref/prompt","name":"nope"},"argument":{"name":"a","value":""}})");
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
  auto bad =
    call("completion/complete",
         R"({"ref":{"type":"ref/other"},"argument":{"name":"a","value":""}})");
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::rejected);
}

CAF_TEST_FIXTURE_SCOPE_END()
