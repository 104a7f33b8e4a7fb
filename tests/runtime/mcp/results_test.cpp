// The CallToolResult texts every tool answers with: their keys in MCP's
// order, the structured result as written, invalid UTF-8 replaced.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/mcp/results.hpp"

using nlohmann::json;
namespace mcp = sophia::runtime::mcp;

TEST_CASE("text_result: content first, then the structured result whole") {
  json sc{{"model", "m"},
          {"candidates", json::array({{{"quality", 0.91}, {"breaker", "closed"}},
                                      {{"quality", 0.5}, {"neighbours", 20}}})},
          {"usage", {{"prompt_tokens", 12}}},
          {"text", "line\nwith \"quotes\" and \xc3\xa9"},
          {"empty", json::object()}};
  auto out = mcp::text_result("done", sc);
  CHECK(out.rfind(R"({"content":[{"type":"text","text":"done"}],"structuredContent":{)", 0) == 0);
  auto back = json::parse(out);
  CHECK(back["structuredContent"] == sc);
  CHECK(back["content"][0]["text"] == "done");
  CHECK(back.size() == 2);
  // Without a structured result: the content alone.
  CHECK(mcp::text_result("done", json{}) == R"({"content":[{"type":"text","text":"done"}]})");
  // A string that is not UTF-8 (a provider's odd byte) is kept, replaced.
  auto odd = json::parse(mcp::text_result("a\xff", json{{"t", "b\xfe"}}));
  CHECK(odd["content"][0]["text"] == "a\xef\xbf\xbd");
  CHECK(odd["structuredContent"]["t"] == "b\xef\xbf\xbd");
}
