#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/edge/catalog.hpp"

using namespace sophia::actors::edge;
using nlohmann::json;

namespace {

provider make(std::string service,
              std::string node,
              json tools,
              std::string prefix = "-") {
  json d{ { "service", service },
          { "domain", "data_intelligence" },
          { "tools", std::move(tools) } };
  if (prefix != "-") d["prefix"] = prefix;
  return provider{ "mcp." + service + "@" + node, node, caf::actor{}, d };
}

json tool(const char* name) {
  return { { "name", name },
           { "description", "d" },
           { "inputSchema", { { "type", "object" } } } };
}

} // namespace

TEST_CASE("provider tools are namespaced service.tool unless a prefix is set") {
  catalog c;
  std::vector<std::string> warnings;
  auto ch = c.rebuild({ make("tavily", "b", { tool("search") }),
                        make("fixtures", "b", { tool("test_x") }, "") },
                      "a",
                      warnings);
  CHECK(ch.tools);
  CHECK(c.tool("tavily.search") != nullptr);
  CHECK(c.tool("tavily.search")->original == "search");
  CHECK(c.tool("test_x") != nullptr);
  CHECK(c.tool("search") == nullptr);
  CHECK(warnings.empty());
  // The same set again changes nothing (no list_changed).
  auto again = c.rebuild({ make("tavily", "b", { tool("search") }),
                           make("fixtures", "b", { tool("test_x") }, "") },
                         "a",
                         warnings);
  CHECK_FALSE(again.tools);
}

TEST_CASE("a name taken twice keeps the first and warns") {
  catalog c;
  std::vector<std::string> warnings;
  c.rebuild({ make("a", "n", { tool("dup") }, ""),
              make("b", "n", { tool("dup") }, "") },
            "n",
            warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("'dup'") != std::string::npos);
  CHECK(c.tool("dup")->service == "a");
}

TEST_CASE("a tool with an unusable schema is skipped with a warning") {
  catalog c;
  std::vector<std::string> warnings;
  json bad{ { "name", "t" },
            { "description", "d" },
            { "inputSchema", { { "type", 7 } } } };
  c.rebuild({ make("s", "n", { bad }) }, "n", warnings);
  CHECK(c.tool("s.t") == nullptr);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("unusable inputSchema") != std::string::npos);
}

TEST_CASE("pages follow cursors to the end and reject foreign cursors") {
  catalog c;
  std::vector<std::string> warnings;
  json tools = json::array();
  for (int i = 0; i < 5; ++i)
    tools.push_back(tool(("t" + std::to_string(i)).c_str()));
  c.rebuild({ make("s", "n", tools) }, "n", warnings);
  std::string err;
  std::vector<std::string> names;
  std::string cursor;
  int pages = 0;
  do {
    auto page = c.page("tools", {}, cursor, 2, err);
    REQUIRE(page.has_value());
    auto j = json::parse(*page);
    for (auto& t : j["tools"])
      names.push_back(t["name"]);
    cursor = j.value("nextCursor", "");
    ++pages;
  } while (!cursor.empty());
  CHECK(pages == 3);
  CHECK(names ==
        std::vector<std::string>{ "s.t0", "s.t1", "s.t2", "s.t3", "s.t4" });
  CHECK_FALSE(c.page("tools", {}, "zzz", 2, err).has_value());
  CHECK(err == "invalid cursor 'zzz'");
}

TEST_CASE("views filter by domain and by key patterns") {
  catalog c;
  c.set_builtins({ tool("sophia.echo") }, {});
  std::vector<std::string> warnings;
  c.rebuild({ make("s", "n", { tool("t") }) }, "n", warnings);
  std::vector<std::string> only_sophia{ "sophia.*" };
  std::string err;
  auto all = json::parse(*c.page("tools", {}, "", 10, err));
  CHECK(all["tools"].size() == 2);
  auto limited =
    json::parse(*c.page("tools", { {}, &only_sophia }, "", 10, err));
  REQUIRE(limited["tools"].size() == 1);
  CHECK(limited["tools"][0]["name"] == "sophia.echo");
  auto domain = json::parse(
    *c.page("tools", { "data_intelligence", nullptr }, "", 10, err));
  REQUIRE(domain["tools"].size() == 1);
  CHECK(domain["tools"][0]["name"] == "s.t");
  CHECK(glob_any({ "a*c" }, "abbc"));
  CHECK_FALSE(glob_any({ "a*c" }, "abcd"));
}

TEST_CASE("resource templates match URIs") {
  catalog c;
  std::vector<std::string> warnings;
  json d{ { "service", "f" },
          { "prefix", "" },
          { "resourceTemplates",
            json::array({ { { "uriTemplate", "test://template/{id}/data" },
                            { "name", "t" } } }) } };
  c.rebuild({ provider{ "mcp.f@n", "n", caf::actor{}, d } }, "n", warnings);
  CHECK(c.resource("test://template/123/data") != nullptr);
  CHECK(c.resource("test://template/1/2/data") == nullptr);
  CHECK(c.resource("test://other") == nullptr);
}
