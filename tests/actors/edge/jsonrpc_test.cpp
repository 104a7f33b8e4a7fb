#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/edge/jsonrpc.hpp"

using namespace sophia::actors::edge;
using nlohmann::json;
namespace rpc = jsonrpc;

namespace {

rpc::classified classify(const char* text) {
  return rpc::classify(json::parse(text));
}

} // namespace

TEST_CASE("requests, notifications and responses are told apart") {
  CHECK(classify(R"({"jsonrpc":"2.0","id":1,"method":"ping"})").what ==
        rpc::kind::request);
  CHECK(
    classify(R"({"jsonrpc":"2.0","id":"a","method":"x","params":{}})").what ==
    rpc::kind::request);
  CHECK(classify(R"({"jsonrpc":"2.0","method":"notifications/initialized"})")
          .what == rpc::kind::notification);
  CHECK(classify(R"({"jsonrpc":"2.0","id":"s-1","result":{}})").what ==
        rpc::kind::response);
  CHECK(classify(R"({"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"m"}})")
          .what == rpc::kind::response);
}

TEST_CASE("invalid messages name the offending member") {
  auto check = [](const char* text, const char* why) {
    auto c = classify(text);
    CHECK(c.what == rpc::kind::invalid);
    CHECK(c.error == why);
  };
  check(R"([])", "expected a JSON-RPC message object, got array");
  check(R"({"id":1,"method":"ping"})",
        "missing member 'jsonrpc' (must be \"2.0\")");
  check(R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
        "member 'jsonrpc' must be \"2.0\"");
  check(R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
        "member 'id' must be a string or an integer, not null");
  check(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
        "member 'id' must be a string or an integer");
  check(R"({"jsonrpc":"2.0","id":1,"method":7})",
        "member 'method' must be a string");
  check(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})",
        "member 'params' must be an object");
  check(R"({"jsonrpc":"2.0"})", "missing member 'method'");
  check(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})",
        "a response must have exactly one of 'result' and 'error'");
}

TEST_CASE("answers echo the id exactly as given") {
  CHECK(rpc::result("\"abc\"", "{}") ==
        R"({"jsonrpc":"2.0","id":"abc","result":{}})");
  CHECK(rpc::result("42", R"({"x":1})") ==
        R"({"jsonrpc":"2.0","id":42,"result":{"x":1}})");
  CHECK(
    rpc::error("null", rpc::parse_error, "Parse error") ==
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  CHECK(
    rpc::error("7", rpc::invalid_params, "bad \"x\"", R"({"a":1})") ==
    R"({"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad \"x\"","data":{"a":1}}})");
  CHECK(rpc::id_of(json::parse(R"({"id":"q"})")) == "\"q\"");
  CHECK(rpc::id_of(json::parse(R"({"id":[1]})")) == "null");
  CHECK(rpc::id_of(json::parse("[]")) == "null");
  CHECK(
    rpc::notification("notifications/tools/list_changed", "{}") ==
    R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{}})");
}
