// LLM calls become OpenInference spans in OTLP/HTTP protobuf, judged by a
// receiver that decodes them with the official OpenTelemetry definitions
// and checks attribute names against Arize's semantic conventions (npm).

#include <doctest/doctest.h>

#include <thread>

#include "actors/ai/trace_context.hpp"
#include "actors/ai/tracer.hpp"
#include "ai_fixture.hpp"
#include "runtime/metrics/registry.hpp"

using namespace sophia;
using namespace sophia::ai_test;

namespace {

/// Waits (bounded) until the receiver logged `n` exports with status 200.
json wait_for_exports(const standin_process& otlp, size_t n) {
  json log;
  for (int i = 0; i < 300; ++i) {
    log = otlp.control("GET", "/_otlp/requests")["requests"];
    size_t ok = 0;
    for (auto& r : log) ok += r["status"] == 200 ? 1 : 0;
    if (ok >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{ 20 });
  }
  return log;
}

actors::ai::tracer_options options(const standin_process& otlp, caf::actor http) {
  actors::ai::tracer_options o;
  o.endpoint = otlp.url() + "/v1/traces";
  o.space_id = "space-SECRET-1";
  o.api_key = "arize-SECRET-2";
  o.project = "sophia-tests";
  o.flush_interval = std::chrono::milliseconds{ 100 };
  o.http = std::move(http);
  return o;
}

} // namespace

TEST_CASE("chat calls are exported as OpenInference LLM spans") {
  ai_fixture f;
  standin_process otlp{ "otlp_receiver.mjs" };
  auto tracer = actors::ai::spawn_tracer(*f.sys, options(otlp, f.http));
  f.spawned.push_back(tracer);
  auto svc_cfg = f.service("openrouter", "openrouter/api/v1");
  auto kind = actors::ai::kind_of(svc_cfg);
  auto svc = actors::ai::spawn_provider(
    *f.sys, {}, f.http,
    actors::ai::make_profile(svc_cfg, *kind, svc_cfg.api_key, ""),
    "ai_intelligence", tracer);
  REQUIRE(svc);
  f.spawned.push_back(*svc);
  auto ok = call_tool(*f.sys, *svc, "chat",
                      { { "model", "openai/gpt-4o-mini" },
                        { "messages", { { { "role", "user" }, { "content", "Capital of France?" } } } },
                        { "max_tokens", 20 } });
  REQUIRE(ok);
  f.standin->scenario({ { "service", "openrouter" },
                        { "path", "/api/v1/chat/completions" },
                        { "steps", { { { "status", 402 } } } } });
  auto failed = call_tool(*f.sys, *svc, "chat", { { "model", "openai/gpt-4o-mini" }, { "prompt", "x" } });
  REQUIRE(failed);
  auto log = wait_for_exports(otlp, 1);
  json spans = json::array();
  for (auto& r : log)
    for (auto& s : r["spans"]) spans.push_back(s);
  for (int i = 0; i < 100 && spans.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{ 50 });
    spans = json::array();
    for (auto& r : otlp.control("GET", "/_otlp/requests")["requests"])
      for (auto& s : r["spans"]) spans.push_back(s);
  }
  INFO(log.dump(1));
  REQUIRE(spans.size() == 2);
  auto& first = log[0];
  CHECK(first["headers"]["space_id"] == "space-SECRET-1");
  CHECK(first["headers"]["api_key"] == "arize-SECRET-2");
  CHECK(first["headers"]["content-type"] == "application/x-protobuf");
  auto& s = spans[0];
  CHECK(s["unknown_attributes"].empty());
  CHECK(s["resource"]["openinference.project.name"] == "sophia-tests");
  CHECK(s["trace_id"].get<std::string>().size() == 32);
  auto& a = s["attributes"];
  CHECK(a["openinference.span.kind"] == "LLM");
  CHECK(a["llm.model_name"] == "openai/gpt-4o-mini");
  CHECK(a["llm.provider"] == "openrouter");
  CHECK(a["llm.token_count.total"].get<int>() ==
        a["llm.token_count.prompt"].get<int>() + a["llm.token_count.completion"].get<int>());
  CHECK(a["llm.cost.total"].get<double>() > 0);
  CHECK(a["llm.input_messages.0.message.role"] == "user");
  CHECK(a["llm.input_messages.0.message.content"] == "Capital of France?");
  CHECK(a["llm.output_messages.0.message.content"] == (*ok)["structuredContent"]["text"]);
  CHECK(json::parse(a["llm.invocation_parameters"].get<std::string>())["max_tokens"] == 20);
  CHECK(a["input.mime_type"] == "application/json");
  CHECK(s["status"]["code"] == 1);
  CHECK(std::stoull(s["end_ns"].get<std::string>()) >= std::stoull(s["start_ns"].get<std::string>()));
  auto& e = spans[1];
  CHECK(e["unknown_attributes"].empty());
  CHECK(e["status"]["code"] == 2);
  CHECK(e["status"]["message"].get<std::string>().find("openrouter: HTTP 402") == 0);
}

TEST_CASE("a failed export is retried after Retry-After") {
  ai_fixture f;
  standin_process otlp{ "otlp_receiver.mjs" };
  otlp.control("POST", "/_otlp/fail", { { "count", 1 }, { "status", 503 }, { "retry_after", "1" } });
  auto tracer = actors::ai::spawn_tracer(*f.sys, options(otlp, f.http));
  f.spawned.push_back(tracer);
  auto call = std::make_shared<actors::ai::llm_call>();
  call->provider = "together_ai";
  call->model = "m";
  call->start = call->end = std::chrono::system_clock::now();
  caf::anon_send(tracer, actors::ai::record_span::value, actors::ai::llm_call_ptr{ call });
  auto log = wait_for_exports(otlp, 1);
  INFO(log.dump(1));
  REQUIRE(log.size() == 2);
  CHECK(log[0]["status"] == 503);
  CHECK(log[1]["status"] == 200);
  CHECK(log[1]["received_at_ms"].get<double>() - log[0]["received_at_ms"].get<double>() >= 950);
  CHECK(log[1]["spans"][0]["attributes"]["llm.provider"] == "together_ai");
}

TEST_CASE("a full queue drops spans and counts them, never blocking") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  actors::ai::tracer_options o;
  o.max_queue = 3;
  o.batch = 100;
  // No HTTP client: nothing leaves, so the queue fills.
  auto tracer = actors::ai::spawn_tracer(sys, o);
  auto& reg = runtime::metrics::registry::global();
  auto before = reg.value("sophia_trace_spans_dropped_total", { { "reason", "queue_full" } });
  auto call = std::make_shared<actors::ai::llm_call>();
  for (int i = 0; i < 5; ++i)
    caf::anon_send(tracer, actors::ai::record_span::value, actors::ai::llm_call_ptr{ call });
  caf::scoped_actor self{ sys };
  uint64_t queued = 0;
  self->request(tracer, std::chrono::seconds{ 5 }, actors::ai::flush_spans::value)
    .receive([&](uint64_t n) { queued = n; }, [](caf::error&) { FAIL("no answer"); });
  CHECK(queued == 3);
  CHECK(reg.value("sophia_trace_spans_dropped_total", { { "reason", "queue_full" } }) - before == 2);
  caf::anon_send_exit(tracer, caf::exit_reason::user_shutdown);
}

TEST_CASE("traceparent: a span's ids out and back, and what is not one") {
  auto trace = actors::ai::random_id(16), span = actors::ai::random_id(8);
  REQUIRE(trace.size() == 16);
  REQUIRE(span.size() == 8);
  auto text = actors::ai::traceparent(trace, span);
  CHECK(text.size() == 55);
  CHECK(text.substr(0, 3) == "00-");
  CHECK(text.substr(52) == "-01");
  std::string t, p;
  REQUIRE(actors::ai::parse_traceparent(text, t, p));
  CHECK(t == trace);
  CHECK(p == span);
  CHECK(actors::ai::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t, p));
  CHECK(actors::ai::traceparent(t, p) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  for (auto* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01"}) {
    CAPTURE(bad);
    CHECK_FALSE(actors::ai::parse_traceparent(bad, t, p));
  }
}
