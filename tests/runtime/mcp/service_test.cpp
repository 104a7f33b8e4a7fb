// The service toolkit on a real actor system: what a service author gets
// from runtime/mcp/service.hpp (descriptor, validation, dispatch, async
// answers, cancellation, progress, asks, error mapping).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/mcp/service.hpp"
#include "runtime/system/setup.hpp"

using namespace sophia::runtime;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct quiet_logs {
  quiet_logs() { log::init("test", "warn"); }
} quiet;

struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  system_fixture() {
    system::announce(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// A peer: the handler's answer waits for its reply.
caf::behavior doubler(caf::event_based_actor*) {
  return {
    [](int n) { return n * 2; },
  };
}

/// A client channel that answers every ask with `{"action":"accept"}`.
caf::behavior accepting_channel(caf::event_based_actor*) {
  return {
    [](mcp::ask, const std::string&, const std::string& body) {
      auto j = json::parse(body);
      return json{ { "action", "accept" }, { "asked", j["method"] } }.dump();
    },
    [](mcp::notify, const std::string&, const std::string&) {},
  };
}

struct shared_flags {
  std::atomic<bool> cancelled{ false };
};

mcp::service_spec demo_spec(caf::actor peer,
                            std::shared_ptr<shared_flags> flags) {
  mcp::service_spec spec{ "demo", "tests" };
  spec.tools.push_back(
    { .name = "add",
      .title = "Add",
      .description = "Adds two integers.",
      .input_schema = R"({"type":"object","properties":{
        "a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]})",
      .output_schema = R"({"type":"object","properties":{
        "sum":{"type":"integer"}},"required":["sum"]})",
      .hints = { .read_only = true, .idempotent = true },
      .run = [](const mcp::call_ptr& c) {
        auto sum = c->arguments()["a"].get<int>() +
                   c->arguments()["b"].get<int>();
        c->reply(std::to_string(sum), { { "sum", sum } });
      } });
  spec.tools.push_back(
    { .name = "double_later",
      .description = "Doubles n by asking another actor.",
      .input_schema = R"({"type":"object","properties":{"n":{"type":"integer"}}})",
      .run = [peer](const mcp::call_ptr& c) {
        c->progress(0, 1, "asking the peer");
        c->self()
          ->request(peer, caf::infinite, c->arguments().value("n", 0))
          .then([c](int r) { c->reply(std::to_string(r)); },
                [c](caf::error& e) { c->fail(to_string(e)); });
      } });
  spec.tools.push_back({ .name = "hang",
                         .description = "Never answers until cancelled.",
                         .run = [flags](const mcp::call_ptr& c) {
                           // Whoever answers later holds the call; here
                           // that is the cancel hook itself.
                           c->on_cancel([flags, c] { flags->cancelled = true; });
                         } });
  spec.tools.push_back({ .name = "throws",
                         .description = "A buggy handler.",
                         .run = [](const mcp::call_ptr& c) {
                           (void) c->arguments().at("missing").get<int>();
                         } });
  spec.tools.push_back({ .name = "drops",
                         .description = "Forgets to answer.",
                         .run = [](const mcp::call_ptr&) {} });
  spec.tools.push_back(
    { .name = "bad_output",
      .description = "Returns data its output schema forbids.",
      .output_schema = R"({"type":"object","required":["sum"]})",
      .run = [](const mcp::call_ptr& c) { c->reply("x", { { "y", 1 } }); } });
  spec.tools.push_back({ .name = "asks",
                         .description = "Elicits from the client.",
                         .run = [](const mcp::call_ptr& c) {
                           c->elicit({ { "message", "ok?" } },
                                     [c](caf::expected<json> r) {
                                       if (!r) return c->fail("refused");
                                       c->reply(r->dump());
                                     });
                         } });
  spec.methods["resources/read"] = [](const mcp::call_ptr& c) {
    c->reply_result({ { "contents", json::array() } });
  };
  return spec;
}

wire::buffer envelope(const std::string& method,
                      json params,
                      const std::string& id = "t-1") {
  call::request req;
  req.method = method;
  req.payload = params.dump();
  req.trace_id = id;
  return call::make_envelope(req);
}

/// Calls `tool` and returns the result object, or the error.
caf::expected<json> call_tool(caf::scoped_actor& self,
                              const caf::actor& svc,
                              const std::string& tool,
                              json args,
                              const caf::actor& channel = {},
                              const std::string& id = "t-1") {
  caf::expected<json> out{ json{} };
  auto env = envelope("tools/call",
                      { { "name", tool },
                        { "arguments", std::move(args) },
                        { "_meta", { { "progressToken", "p1" } } } },
                      id);
  auto on_reply = [&](const wire::buffer& buf) {
    auto payload = call::reply_payload(buf);
    if (!payload)
      out = payload.error();
    else
      out = json::parse(*payload);
  };
  auto on_error = [&](caf::error& e) { out = std::move(e); };
  if (channel)
    self->request(svc, 10s, atoms::call::value, env, channel)
      .receive(on_reply, on_error);
  else
    self->request(svc, 10s, atoms::call::value, env)
      .receive(on_reply, on_error);
  return out;
}

} // namespace

TEST_CASE("the descriptor lists the tools with their schemas and hints") {
  system_fixture f;
  auto svc = mcp::spawn_service(
    *f.sys, {}, demo_spec({}, std::make_shared<shared_flags>()));
  REQUIRE(svc);
  caf::scoped_actor self{ *f.sys };
  std::string text;
  self->request(*svc, 5s, mcp::describe::value)
    .receive([&](const std::string& d) { text = d; },
             [&](caf::error&) { FAIL("no descriptor"); });
  auto d = json::parse(text);
  CHECK(d["service"] == "demo");
  CHECK(d["prefix"] == "demo.");
  CHECK(d["tools"][0]["name"] == "add");
  CHECK(d["tools"][0]["title"] == "Add");
  CHECK(d["tools"][0]["annotations"]["readOnlyHint"] == true);
  CHECK(d["tools"][0]["annotations"]["idempotentHint"] == true);
  CHECK_FALSE(d["tools"][0]["annotations"].contains("destructiveHint"));
  CHECK(d["tools"][0]["outputSchema"]["required"][0] == "sum");
  anon_send_exit(*svc, caf::exit_reason::user_shutdown);
}

TEST_CASE("arguments are validated before the handler runs") {
  system_fixture f;
  auto svc = mcp::spawn_service(
    *f.sys, {}, demo_spec({}, std::make_shared<shared_flags>()));
  REQUIRE(svc);
  caf::scoped_actor self{ *f.sys };
  auto ok = call_tool(self, *svc, "add", { { "a", 2 }, { "b", 3 } });
  REQUIRE(ok);
  CHECK((*ok)["content"][0]["text"] == "5");
  CHECK((*ok)["structuredContent"]["sum"] == 5);
  auto bad = call_tool(self, *svc, "add", { { "a", "two" }, { "b", 3 } });
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == errc::rejected);
  CHECK(detail_of(bad.error()).find("/a") != std::string::npos);
  auto missing = call_tool(self, *svc, "add", { { "a", 1 } });
  REQUIRE_FALSE(missing);
  CHECK(detail_of(missing.error()).find("b") != std::string::npos);
  auto unknown = call_tool(self, *svc, "nope", json::object());
  REQUIRE_FALSE(unknown);
  CHECK(code_of(unknown.error()) == errc::not_found);
  CHECK(detail_of(unknown.error()).find("add") != std::string::npos);
  anon_send_exit(*svc, caf::exit_reason::user_shutdown);
}

TEST_CASE("handlers answer later, report progress, and ask the client") {
  system_fixture f;
  auto peer = f.sys->spawn(doubler);
  auto svc = mcp::spawn_service(
    *f.sys, {}, demo_spec(peer, std::make_shared<shared_flags>()));
  REQUIRE(svc);
  caf::scoped_actor self{ *f.sys };
  caf::scoped_actor channel{ *f.sys };
  auto r = call_tool(self, *svc, "double_later", { { "n", 21 } }, channel);
  REQUIRE(r);
  CHECK((*r)["content"][0]["text"] == "42");
  bool progressed = false;
  channel->receive(
    [&](mcp::notify, const std::string& id, const std::string& n) {
      auto j = json::parse(n);
      progressed = id == "t-1" && j["method"] == "notifications/progress" &&
                   j["params"]["progressToken"] == "p1";
    },
    caf::after(5s) >> [] {});
  CHECK(progressed);
  auto asker = f.sys->spawn(accepting_channel);
  auto a = call_tool(self, *svc, "asks", json::object(), asker);
  REQUIRE(a);
  auto answer = json::parse((*a)["content"][0]["text"].get<std::string>());
  CHECK(answer["action"] == "accept");
  CHECK(answer["asked"] == "elicitation/create");
  auto no_channel = call_tool(self, *svc, "asks", json::object());
  REQUIRE(no_channel);
  CHECK((*no_channel)["isError"] == true);
  for (auto& a : { peer, asker, *svc })
    anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("cancellation runs the handler's hooks and answers cancelled") {
  system_fixture f;
  auto flags = std::make_shared<shared_flags>();
  auto svc = mcp::spawn_service(*f.sys, {}, demo_spec({}, flags));
  REQUIRE(svc);
  caf::scoped_actor self{ *f.sys };
  auto env = envelope("tools/call", { { "name", "hang" } }, "c-9");
  std::optional<caf::error> err;
  self->send(*svc, mcp::cancel::value, std::string{ "other" });
  auto pending = self->request(*svc, 10s, atoms::call::value, env);
  self->send(*svc, mcp::cancel::value, std::string{ "c-9" });
  pending.receive([&](const wire::buffer&) { FAIL("answered"); },
                  [&](caf::error& e) { err = e; });
  REQUIRE(err);
  CHECK(code_of(*err) == errc::cancelled);
  CHECK(flags->cancelled);
  anon_send_exit(*svc, caf::exit_reason::user_shutdown);
}

TEST_CASE("bugs in handlers become clear errors and the service goes on") {
  system_fixture f;
  auto svc = mcp::spawn_service(
    *f.sys, {}, demo_spec({}, std::make_shared<shared_flags>()));
  REQUIRE(svc);
  caf::scoped_actor self{ *f.sys };
  auto thrown = call_tool(self, *svc, "throws", json::object());
  REQUIRE(thrown);
  CHECK((*thrown)["isError"] == true);
  CHECK((*thrown)["content"][0]["text"].get<std::string>().find(
          "demo: internal error in 'throws'") == 0);
  auto dropped = call_tool(self, *svc, "drops", json::object());
  REQUIRE_FALSE(dropped);
  CHECK(code_of(dropped.error()) == errc::call_failed);
  auto bad = call_tool(self, *svc, "bad_output", json::object());
  REQUIRE(bad);
  CHECK((*bad)["isError"] == true);
  CHECK((*bad)["content"][0]["text"].get<std::string>().find(
          "output schema") != std::string::npos);
  auto ok = call_tool(self, *svc, "add", { { "a", 1 }, { "b", 1 } });
  REQUIRE(ok);
  CHECK((*ok)["structuredContent"]["sum"] == 2);
  anon_send_exit(*svc, caf::exit_reason::user_shutdown);
}

TEST_CASE("a declaration with a broken schema is refused, naming the tool") {
  system_fixture f;
  mcp::service_spec spec{ "broken", "tests" };
  spec.tools.push_back({ .name = "t",
                         .description = "d",
                         .input_schema = R"({"type":"str"})",
                         .run = [](const mcp::call_ptr&) {} });
  auto svc = mcp::spawn_service(*f.sys, {}, std::move(spec));
  REQUIRE_FALSE(svc);
  CHECK(code_of(svc.error()) == errc::bad_config);
  CHECK(detail_of(svc.error()).find("broken: tool 't': inputSchema") == 0);
}
