// The AI clients' parsing on its own: SSE framing, the chat request and
// result, error bodies, model lists.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/ai/chat.hpp"
#include "actors/ai/errors.hpp"
#include "actors/ai/provider_state.hpp"
#include "actors/ai/sse.hpp"

using namespace sophia::actors::ai;
using nlohmann::json;

TEST_CASE("SSE events split anywhere still parse") {
  std::string stream =
    ": OPENROUTER PROCESSING\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\nid: 3\n"
    "data: line1\ndata: line2\n\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    sse_parser p;
    auto a = p.feed(std::string_view{ stream }.substr(0, cut));
    auto b = p.feed(std::string_view{ stream }.substr(cut));
    a.insert(a.end(), b.begin(), b.end());
    REQUIRE(a.size() == 3);
    CHECK(a[0] == "{\"a\":1}");
    CHECK(a[1] == "line1\nline2");
    CHECK(a[2] == "[DONE]");
  }
}

TEST_CASE("the chat request: prompt becomes a message, stream asks for usage") {
  json body;
  CHECK_FALSE(build_chat_request({ { "model", "m" }, { "prompt", "hi" }, { "stop", "x" } },
                                 true, body));
  CHECK(body["messages"] == json::array({ { { "role", "user" }, { "content", "hi" } } }));
  CHECK_FALSE(body.contains("prompt"));
  CHECK(body["stop"] == "x");
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
  CHECK(*build_chat_request({ { "model", "m" } }, false, body) == "give messages or prompt");
  CHECK(*build_chat_request({ { "model", "m" }, { "prompt", "a" }, { "messages", json::array() } },
                            false, body) == "give either messages or prompt, not both");
}

TEST_CASE("the chat schemas have the shape the issue gives") {
  auto in = json::parse(chat_input_schema({ { "provider", { { "type", "object" } } } }));
  CHECK(in["required"] == json::array({ "model" }));
  CHECK(in["properties"]["messages"]["items"]["required"] == json::array({ "role", "content" }));
  CHECK(in["properties"]["stop"]["anyOf"].size() == 2);
  CHECK(in["properties"].contains("provider"));
  CHECK(in["additionalProperties"] == false);
  auto out = json::parse(chat_output_schema());
  CHECK(out["required"].size() == 8);
  CHECK(out["properties"]["cost_usd"]["type"] == json::array({ "number", "null" }));
}

TEST_CASE("chat results from whole responses and from chunks") {
  chat_result r;
  auto body = json::parse(R"({"id":"gen-1","model":"openai/gpt-4","provider":"OpenAI",
    "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Paris."}}],
    "usage":{"prompt_tokens":10,"completion_tokens":15,"total_tokens":25,"cost":0.0012}})");
  CHECK_FALSE(parse_chat_response(body, r));
  CHECK(r.text == "Paris.");
  CHECK(r.provider == "OpenAI");
  CHECK(r.total_tokens == 25);
  CHECK(*r.cost_usd == doctest::Approx(0.0012));
  chat_result missing;
  CHECK(*parse_chat_response(json::parse(R"({"choices":[]})"), missing) ==
        "the response has no choices");
  chat_result s;
  CHECK(add_chat_chunk(json::parse(R"({"model":"m","choices":[{"delta":{"content":"Pa"}}]})"), s) == "Pa");
  add_chat_chunk(json::parse(R"({"choices":[{"delta":{"content":"ris"},"finish_reason":"stop"}]})"), s);
  add_chat_chunk(json::parse(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}})"), s);
  CHECK(s.text == "Paris");
  CHECK(s.finish_reason == "stop");
  CHECK(s.total_tokens == 5);
  CHECK_FALSE(s.cost_usd);
  CHECK(s.to_json()["cost_usd"].is_null());
}

TEST_CASE("error bodies in each provider's format") {
  CHECK(message_of(R"({"error":{"code":402,"message":"Insufficient credits"}})") ==
        "Insufficient credits");
  CHECK(message_of(R"({"error":"Model not found"})") == "Model not found");
  CHECK(message_of(R"({"status":"failure","message":"Either x-portkey-config or x-portkey-provider header is required"})") ==
        "Either x-portkey-config or x-portkey-provider header is required");
  CHECK(message_of("<html>bad gateway</html>") == "<html>bad gateway</html>");
  CHECK(message_of("") == "(empty body)");
  sophia::runtime::http::response r;
  r.status = 401;
  r.body = R"({"error":{"message":"No auth credentials found"}})";
  CHECK(describe_status("openrouter", "env:OPENROUTER_API_KEY", r) ==
        "openrouter: HTTP 401: No auth credentials found (check the secret "
        "of [services.openrouter] api_key, env:OPENROUTER_API_KEY)");
}

TEST_CASE("model lists: OpenRouter's per-token strings, Together's per-million numbers") {
  provider_state st;
  auto rows = read_models(st, json::parse(R"({"data":[
    {"id":"a","name":"A","context_length":8192,"pricing":{"prompt":"0.00003","completion":"0.00006"}},
    {"id":"b","pricing":{"prompt":"oops"}}]})"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["prompt_usd_per_mtok"].get<double>() == doctest::Approx(30));
  CHECK(rows[1]["prompt_usd_per_mtok"].is_null());
  CHECK(st.prices.at("a").completion == doctest::Approx(0.00006));
  auto together = read_models(st, json::parse(R"([
    {"id":"q","display_name":"Q","pricing":{"input":0.2,"output":0.4}}])"));
  CHECK(together[0]["name"] == "Q");
  CHECK(together[0]["completion_usd_per_mtok"].get<double>() == doctest::Approx(0.4));
  CHECK(st.prices.at("q").prompt == doctest::Approx(0.2e-6));
}
