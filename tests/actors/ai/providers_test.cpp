// The AI provider clients against the stand-ins (tests/standins): the happy
// paths in each provider's real format, and the failures the issue lists:
// the service's error bodies, 401, 429 with Retry-After, 5xx retried then
// the breaker open then half-open recovery, timeout, malformed bodies,
// streaming, and cancellation aborting the HTTP request. Time bounds are
// generous lower bounds (a retry must wait at least Retry-After).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "ai_fixture.hpp"
#include "runtime/log.hpp"

#include <thread>

using namespace sophia;
using namespace sophia::ai_test;
using runtime::errc;

namespace {

struct quiet_logs {
  quiet_logs() { runtime::log::init("test", "warn"); }
} quiet;

/// OpenRouter's chat path: its provider also fetches /models (prices).
const std::string chat_path = "/api/v1/chat/completions";

const json hello = { { "model", "openai/gpt-4o-mini" },
                     { "prompt", "What is the capital of France?" },
                     { "max_tokens", 20 } };

double elapsed_ms(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(
           std::chrono::steady_clock::now() - t).count();
}

} // namespace

TEST_CASE("openrouter.chat returns the answer, usage and the reported cost") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  auto r = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(r);
  INFO(r->dump());
  CHECK_FALSE(r->value("isError", false));
  auto& s = (*r)["structuredContent"];
  CHECK(s["text"] == text_of(*r));
  CHECK(s["text"].get<std::string>().find("Paris") != std::string::npos);
  CHECK(s["model"] == "openai/gpt-4o-mini");
  CHECK(s["finish_reason"] == "stop");
  CHECK(s["usage"]["total_tokens"].get<int>() ==
        s["usage"]["prompt_tokens"].get<int>() +
          s["usage"]["completion_tokens"].get<int>());
  CHECK(s["cost_usd"].get<double>() > 0);
  CHECK(s["latency_ms"].get<double>() > 0);
  auto log = f.standin->requests("openrouter", chat_path);
  REQUIRE(log.size() == 1);
  CHECK(log[0]["path"] == "/api/v1/chat/completions");
  CHECK(log[0]["headers"]["authorization"] == "Bearer " + test_key);
  CHECK(log[0]["body"]["messages"][0]["content"] == hello["prompt"]);
  CHECK(log[0]["body"]["max_tokens"] == 20);
}

TEST_CASE("openrouter.models lists models with prices per million tokens") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  auto r = call_tool(*f.sys, svc, "models", { { "search", "gpt-4o-mini" } });
  REQUIRE(r);
  INFO(r->dump());
  auto& models = (*r)["structuredContent"]["models"];
  REQUIRE(models.size() >= 1);
  CHECK(models[0]["id"] == "openai/gpt-4o-mini");
  // "0.00000015" USD a token is 0.15 USD per million.
  CHECK(models[0]["prompt_usd_per_mtok"].get<double>() == doctest::Approx(0.15));
  CHECK(text_of(*r).find("openai/gpt-4o-mini: $0.15 / $0.6") != std::string::npos);
}

TEST_CASE("a streamed completion sends progress before it ends") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  caf::scoped_actor channel{ *f.sys };
  auto r = call_tool(*f.sys, svc, "chat", hello, channel, "stream-1", true);
  REQUIRE(r);
  INFO(r->dump());
  auto& s = (*r)["structuredContent"];
  CHECK(s["text"] == "The capital of France is Paris.");
  CHECK(s["cost_usd"].is_number());
  CHECK(s["first_token_ms"].get<double>() < s["latency_ms"].get<double>());
  std::string streamed;
  int notes = 0;
  bool more = true;
  while (more)
    channel->receive(
      [&](runtime::mcp::notify, const std::string&, const std::string& n) {
        auto j = json::parse(n);
        if (j["method"] != "notifications/progress") return;
        ++notes;
        streamed += j["params"]["message"].get<std::string>();
      },
      caf::after(std::chrono::milliseconds{ 200 }) >> [&] { more = false; });
  CHECK(notes >= 3);
  CHECK(streamed == "The capital of France is Paris.");
  auto log = f.standin->requests("openrouter", chat_path);
  CHECK(log[0]["body"]["stream"] == true);
}

TEST_CASE("together_ai: chat cost from the model's price, embeddings, models") {
  ai_fixture f;
  auto svc = f.provider(f.service("together_ai", "together_ai/v1"));
  auto m = call_tool(*f.sys, svc, "models", json::object());
  REQUIRE(m);
  INFO(m->dump());
  CHECK((*m)["structuredContent"]["total"].get<int>() >= 2);
  auto r = call_tool(*f.sys, svc, "chat",
                     { { "model", "Qwen/Qwen3.5-9B" },
                       { "messages", { { { "role", "user" }, { "content", "Hi" } } } } });
  REQUIRE(r);
  INFO(r->dump());
  auto& s = (*r)["structuredContent"];
  // 0.2 USD per million tokens, both ways.
  CHECK(s["cost_usd"].get<double>() ==
        doctest::Approx(s["usage"]["total_tokens"].get<double>() * 0.2e-6));
  auto e = call_tool(*f.sys, svc, "embed",
                     { { "model", "BAAI/bge-base-en-v1.5" },
                       { "input", { "a", "b" } } });
  REQUIRE(e);
  INFO(e->dump());
  auto& es = (*e)["structuredContent"];
  CHECK(es["dimensions"] == 768);
  REQUIRE(es["embeddings"].size() == 2);
  CHECK(es["embeddings"][0] != es["embeddings"][1]);
  auto again = call_tool(*f.sys, svc, "embed",
                         { { "model", "BAAI/bge-base-en-v1.5" }, { "input", "a" } });
  REQUIRE(again);
  CHECK((*again)["structuredContent"]["embeddings"][0] == es["embeddings"][0]);
}

TEST_CASE("a completion right after the start waits for the model prices") {
  ai_fixture f;
  // The price list comes late; the first completion is quick.
  f.standin->scenario({ { "service", "together_ai" },
                        { "path", "/v1/models" },
                        { "steps", { { { "delay_ms", 800 } } } } });
  auto svc = f.provider(f.service("together_ai", "together_ai/v1"));
  auto r = call_tool(*f.sys, svc, "chat",
                     { { "model", "Qwen/Qwen3.5-9B" }, { "prompt", "Hi" } });
  REQUIRE(r);
  INFO(r->dump());
  auto& s = (*r)["structuredContent"];
  REQUIRE(s["cost_usd"].is_number());
  CHECK(s["cost_usd"].get<double>() ==
        doctest::Approx(s["usage"]["total_tokens"].get<double>() * 0.2e-6));
  // Without a price list at all, a completion is not held up: no cost.
  ai_fixture g;
  g.standin->scenario({ { "service", "together_ai" },
                        { "path", "/v1/models" },
                        { "preset", "server_errors" } });
  auto unpriced = g.provider(g.service("together_ai", "together_ai/v1"));
  auto u = call_tool(*g.sys, unpriced, "chat",
                     { { "model", "Qwen/Qwen3.5-9B" }, { "prompt", "Hi" } });
  REQUIRE(u);
  INFO(u->dump());
  CHECK_FALSE(u->value("isError", false));
  CHECK((*u)["structuredContent"]["cost_usd"].is_null());
}

TEST_CASE("huggingface: router chat and feature-extraction embeddings") {
  ai_fixture f;
  auto svc = f.provider(f.service("huggingface", "huggingface"));
  auto r = call_tool(*f.sys, svc, "chat",
                     { { "model", "meta-llama/Llama-3.1-8B-Instruct:together" },
                       { "prompt", "Hi" } });
  REQUIRE(r);
  INFO(r->dump());
  CHECK((*r)["structuredContent"]["model"] ==
        "meta-llama/Llama-3.1-8B-Instruct:together");
  CHECK((*r)["structuredContent"]["cost_usd"].is_null());
  auto e = call_tool(*f.sys, svc, "embed",
                     { { "model", "sentence-transformers/all-MiniLM-L6-v2" },
                       { "input", "hello" } });
  REQUIRE(e);
  INFO(e->dump());
  CHECK((*e)["structuredContent"]["dimensions"] == 384);
  auto log = f.standin->requests("huggingface");
  CHECK(log.back()["path"] ==
        "/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction");
}

TEST_CASE("portkey.chat sends the gateway's headers") {
  ai_fixture f;
  auto cfg = f.service("portkey", "portkey/v1");
  cfg.provider = "openai";
  auto svc = f.provider(cfg);
  auto r = call_tool(*f.sys, svc, "chat", { { "model", "gpt-4o-mini" }, { "prompt", "Hi" } });
  REQUIRE(r);
  INFO(r->dump());
  CHECK_FALSE(r->value("isError", false));
  auto log = f.standin->requests("portkey");
  CHECK(log[0]["headers"]["x-portkey-api-key"] == test_key);
  CHECK(log[0]["headers"]["x-portkey-provider"] == "openai");
  // Without provider or config the gateway refuses, in its own words.
  auto bare = f.service("portkey", "portkey/v1");
  bare.name = "portkey";
  auto svc2 = f.provider(bare);
  auto refused = call_tool(*f.sys, svc2, "chat", { { "model", "m" }, { "prompt", "Hi" } });
  REQUIRE(refused);
  CHECK((*refused)["isError"] == true);
  CHECK(text_of(*refused).find("x-portkey-provider header is required") != std::string::npos);
}

TEST_CASE("an OpenAI-compatible endpoint: chat and embed") {
  ai_fixture f;
  auto cfg = f.service("vllm", "openai_compatible/v1");
  cfg.kind = "openai_compatible";
  auto svc = f.provider(cfg);
  auto r = call_tool(*f.sys, svc, "chat", { { "model", "meta-llama/Llama-3.1-8B-Instruct" }, { "prompt", "Hi" } });
  REQUIRE(r);
  CHECK_FALSE(r->value("isError", false));
  auto e = call_tool(*f.sys, svc, "embed", { { "model", "BAAI/bge-base-en-v1.5" }, { "input", "x" } });
  REQUIRE(e);
  CHECK_FALSE(e->value("isError", false));
}

TEST_CASE("the service's error body and a 401 read clearly") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "steps", { { { "status", 402 } } } } });
  auto r = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(r);
  CHECK((*r)["isError"] == true);
  CHECK(text_of(*r) ==
        "openrouter: HTTP 402: Insufficient credits. Add more using "
        "https://openrouter.ai/credits");
  auto cfg = f.service("openrouter", "openrouter/api/v1");
  cfg.api_key = "invalid";
  auto bad = f.provider(cfg);
  auto u = call_tool(*f.sys, bad, "chat", hello);
  REQUIRE(u);
  CHECK((*u)["isError"] == true);
  CHECK(text_of(*u).find("openrouter: HTTP 401") == 0);
  CHECK(text_of(*u).find("check the secret of [services.openrouter] api_key") !=
        std::string::npos);
  // Invalid arguments never reach the service.
  auto v = call_tool(*f.sys, svc, "chat", { { "model", "m" } });
  REQUIRE_FALSE(v);
  CHECK(runtime::detail_of(v.error()).find("give messages or prompt") != std::string::npos);
}

TEST_CASE("429 is retried after Retry-After") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "preset", "rate_limited_then_ok" } });
  auto t0 = std::chrono::steady_clock::now();
  auto r = call_tool(*f.sys, svc, "chat", hello);
  auto took = elapsed_ms(t0);
  REQUIRE(r);
  INFO(r->dump());
  CHECK_FALSE(r->value("isError", false));
  CHECK(took >= 950); // retry-after: 1
  auto log = f.standin->requests("openrouter", chat_path);
  REQUIRE(log.size() == 2);
  CHECK(log[0]["status"] == 429);
  CHECK(log[1]["received_at_ms"].get<double>() -
          log[0]["received_at_ms"].get<double>() >= 950);
}

TEST_CASE("5xx is retried, then the breaker opens, then a probe recovers") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "preset", "fail_twice_then_ok" } });
  auto r = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(r);
  CHECK_FALSE(r->value("isError", false));
  CHECK(f.standin->requests("openrouter", chat_path).size() == 3);
  f.standin->reset();
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "preset", "server_errors" } });
  // max_retries 2: three attempts, all 503; breaker_failures 3 opens it.
  auto failed = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(failed);
  CHECK((*failed)["isError"] == true);
  CHECK(text_of(*failed).find("openrouter: HTTP 503") == 0);
  auto sent = f.standin->requests("openrouter", chat_path).size();
  auto open = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(open);
  CHECK((*open)["isError"] == true);
  CHECK(text_of(*open).find("breaker") != std::string::npos);
  CHECK(f.standin->requests("openrouter", chat_path).size() == sent); // failed fast
  f.standin->reset();
  std::this_thread::sleep_for(std::chrono::milliseconds{ 1700 }); // cooldown 1500
  auto probe = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(probe);
  INFO(probe->dump());
  CHECK_FALSE(probe->value("isError", false));
}

TEST_CASE("a response slower than the timeout, and a malformed body") {
  ai_fixture f;
  auto cfg = f.service("openrouter", "openrouter/api/v1");
  cfg.timeout_ms = 300;
  cfg.max_retries = 0;
  auto svc = f.provider(cfg);
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "steps", { { { "delay_ms", 3000 } }, { { "malformed", true } } } } });
  auto t0 = std::chrono::steady_clock::now();
  auto slow = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(slow);
  CHECK(elapsed_ms(t0) < 2500);
  CHECK((*slow)["isError"] == true);
  INFO(slow->dump());
  CHECK(text_of(*slow).find("openrouter") == 0);
  CHECK(text_of(*slow).find("timeout_ms") != std::string::npos);
  auto bad = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(bad);
  CHECK((*bad)["isError"] == true);
  CHECK(text_of(*bad).find("not valid JSON") != std::string::npos);
  // And the service goes on.
  auto ok = call_tool(*f.sys, svc, "chat", hello);
  REQUIRE(ok);
  CHECK_FALSE(ok->value("isError", false));
}

TEST_CASE("cancelling a call aborts its HTTP request") {
  ai_fixture f;
  auto svc = f.provider(f.service("openrouter", "openrouter/api/v1"));
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "steps", { { { "delay_ms", 10000 } } } } });
  caf::scoped_actor self{ *f.sys };
  runtime::call::request req;
  req.method = "tools/call";
  req.payload = json{ { "name", "chat" }, { "arguments", hello } }.dump();
  req.trace_id = "cancel-me";
  auto pending = self->request(svc, 20s, runtime::atoms::call::value,
                               runtime::call::make_envelope(req));
  // Wait until the stand-in has the request, then cancel.
  for (int i = 0; i < 200 && f.standin->requests("openrouter", chat_path).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{ 25 });
  self->send(svc, runtime::mcp::cancel::value, std::string{ "cancel-me" });
  std::optional<caf::error> err;
  pending.receive([](const runtime::wire::buffer&) { FAIL("answered"); },
                  [&](caf::error& e) { err = e; });
  REQUIRE(err);
  CHECK(runtime::code_of(*err) == errc::cancelled);
  bool aborted = false;
  for (int i = 0; i < 200 && !aborted; ++i) {
    auto log = f.standin->requests("openrouter", chat_path);
    aborted = !log.empty() && log[0]["aborted"] == true;
    if (!aborted) std::this_thread::sleep_for(std::chrono::milliseconds{ 25 });
  }
  CHECK(aborted);
}
