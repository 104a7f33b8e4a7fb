// The record of a finished tools/call the edge hands to the pipeline's
// tool-call spool: identity, timing and outcome.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/edge/session.hpp"
#include "actors/edge/tool_call_record.hpp"

using namespace sophia::actors::edge;
using json = nlohmann::json;

namespace {

json record_of(const session& s, const inflight& r, const std::string& answer) {
  auto now = std::chrono::steady_clock::now();
  auto wall = std::chrono::system_clock::time_point{ std::chrono::milliseconds{
    1700000000250 } };
  auto copy = r;
  copy.started = now - std::chrono::milliseconds{ 250 };
  return json::parse(
    tool_call_record("edge-1", s, copy, "svc", answer, wall, now));
}

} // namespace

TEST_CASE("tool-call record: an ok call with its key, session and latency") {
  session s{ "0123456789abcdef", 16, 1 << 16 };
  s.key = std::make_shared<const std::pair<std::string, std::vector<std::string>>>(
    "ci", std::vector<std::string>{ "*" });
  inflight r;
  r.tool = "svc.do";
  auto rec = record_of(
    s, r, R"({"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}})");
  CHECK(rec["node"] == "edge-1");
  CHECK(rec["key"] == "ci");
  CHECK(rec["session"] == "0123456789abcdef");
  CHECK(rec["tool"] == "svc.do");
  CHECK(rec["service"] == "svc");
  CHECK(rec["outcome"] == "ok");
  CHECK(rec["error"].is_null());
  CHECK(rec["duration_ms"].get<double>() == doctest::Approx(250).epsilon(0.01));
  // When it started: the answer's time less the duration.
  CHECK(rec["at"] == "2023-11-14T22:13:20.000Z");
}

TEST_CASE("tool-call record: tool errors, JSON-RPC errors and timeouts") {
  session s{ "sess", 16, 1 << 16 };
  inflight r;
  r.tool = "svc.do";
  auto tool_error = record_of(
    s, r,
    R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"boom"}],"isError":true}})");
  CHECK(tool_error["key"].is_null());
  CHECK(tool_error["outcome"] == "error");
  CHECK(tool_error["error"] == "boom");
  auto rpc_error = record_of(
    s, r, R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}})");
  CHECK(rpc_error["outcome"] == "error");
  CHECK(rpc_error["error"] == "bad");
  r.timed_out = true;
  auto timeout = record_of(
    s, r,
    R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"tool 'svc.do' timed out after 10 ms"}],"isError":true}})");
  CHECK(timeout["outcome"] == "timeout");
  CHECK(record_of(s, r, "not json")["error"] == "malformed answer");
}
