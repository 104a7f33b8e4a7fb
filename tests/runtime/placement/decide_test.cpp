#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/placement/decide.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::placement;

namespace {

/// a (edge; standby ai), b (ai), c (pipeline; standby ai); ai fails over.
config::cluster_config three_nodes(bool move_back = false) {
  config::cluster_config c;
  c.name = "t";
  auto node = [&](std::string name,
                  std::vector<std::string> roles,
                  std::vector<std::string> standby) {
    config::node_config n;
    n.name = std::move(name);
    n.host = "127.0.0.1";
    n.port = static_cast<uint16_t>(c.nodes.size() + 1);
    n.roles = std::move(roles);
    n.standby = std::move(standby);
    c.nodes.push_back(n);
  };
  node("a", { "edge" }, { "ai_intelligence" });
  node("b", { "ai_intelligence" }, {});
  node("c", { "pipeline" }, { "ai_intelligence" });
  c.roles["edge"] = { "edge", false, false };
  c.roles["ai_intelligence"] = { "ai_intelligence", true, move_back };
  c.roles["pipeline"] = { "pipeline", false, false };
  return c;
}

view make(const config::cluster_config& c,
          std::string self,
          std::set<std::string> up,
          std::map<std::string, std::set<std::string>> running) {
  return view{ &c, std::move(self), std::move(up), std::move(running) };
}

} // namespace

TEST_CASE("registry names map to roles and back") {
  CHECK(registry_name("edge") == "role.edge");
  CHECK(role_of("role.edge") == "edge");
  CHECK_FALSE(role_of("role."));
  CHECK_FALSE(role_of("runtime.echo"));
}

TEST_CASE("the leader is the lowest-named up node of a strict majority") {
  auto c = three_nodes();
  CHECK(leader(make(c, "b", { "a", "b", "c" }, {})) == "a");
  CHECK(leader(make(c, "b", { "b", "c" }, {})) == "b");
  // One node of three is a minority: no leader, nothing is re-placed.
  CHECK_FALSE(leader(make(c, "c", { "c" }, {})));
  c.nodes.pop_back();
  // Two nodes: one alone is exactly half, not a majority.
  CHECK_FALSE(leader(make(c, "a", { "a" }, {})));
}

TEST_CASE("the leader re-places a fail-over role of a down node on the least "
          "loaded standby") {
  auto c = three_nodes();
  auto v = make(
    c, "a", { "a", "c" }, { { "a", { "edge" } }, { "c", { "pipeline" } } });
  auto r = replacements(v);
  REQUIRE(r.size() == 1);
  // a and c both run one role: the tie goes to the first in file order.
  CHECK(r["ai_intelligence"] == "a");
  v.running["a"].insert("monitoring");
  CHECK(replacements(v)["ai_intelligence"] == "c");
}

TEST_CASE(
  "only the leader re-places, and never a role that runs or is not fail-over") {
  auto c = three_nodes();
  // c is not the leader (a is up and lower).
  CHECK(replacements(make(c, "c", { "a", "c" }, {})).empty());
  // ai runs on c already.
  CHECK(
    replacements(make(c, "a", { "a", "c" }, { { "c", { "ai_intelligence" } } }))
      .empty());
  // edge's node a is down, but edge does not fail over.
  auto r = replacements(
    make(c, "b", { "b", "c" }, { { "b", { "ai_intelligence" } } }));
  CHECK(r.empty());
  // A minority re-places nothing.
  CHECK(replacements(make(c, "c", { "c" }, {})).empty());
  // The configured node is up (booting): it starts the role itself.
  CHECK(replacements(make(c, "a", { "a", "b", "c" }, {})).empty());
}

TEST_CASE("a node starts its configured roles unless they run elsewhere and "
          "stay there") {
  auto c = three_nodes();
  CHECK(own_roles_to_start(make(c, "b", { "a", "b", "c" }, {})) ==
        std::vector<std::string>{ "ai_intelligence" });
  // ai was failed over to a; b came back; move_back is off: it stays.
  CHECK(own_roles_to_start(make(c,
                                "b",
                                { "a", "b", "c" },
                                { { "a", { "edge", "ai_intelligence" } } }))
          .empty());
  auto mb = three_nodes(true);
  CHECK(own_roles_to_start(make(mb,
                                "b",
                                { "a", "b", "c" },
                                { { "a", { "edge", "ai_intelligence" } } })) ==
        std::vector<std::string>{ "ai_intelligence" });
}

TEST_CASE(
  "after a partition heals the lower node name keeps a role that runs twice") {
  auto c = three_nodes();
  auto running = std::map<std::string, std::set<std::string>>{
    { "a", { "ai_intelligence" } }, { "b", { "ai_intelligence" } }
  };
  CHECK(roles_to_stop(make(c, "b", { "a", "b", "c" }, running)) ==
        std::vector<std::string>{ "ai_intelligence" });
  CHECK(roles_to_stop(make(c, "a", { "a", "b", "c" }, running)).empty());
  // The other copy is on a node we see down: nothing to resolve.
  CHECK(roles_to_stop(make(c, "b", { "b", "c" }, running)).empty());
}

TEST_CASE("with move_back the configured node wins and the stand-in stops") {
  auto c = three_nodes(true);
  auto running = std::map<std::string, std::set<std::string>>{
    { "a", { "edge", "ai_intelligence" } }, { "b", { "ai_intelligence" } }
  };
  CHECK(roles_to_stop(make(c, "a", { "a", "b", "c" }, running)) ==
        std::vector<std::string>{ "ai_intelligence" });
  CHECK(roles_to_stop(make(c, "b", { "a", "b", "c" }, running)).empty());
}

TEST_CASE("a replicated role runs on every node that lists it") {
  auto c = three_nodes();
  c.nodes[1].roles.push_back("edge"); // b runs an edge of its own too
  c.roles["edge"].replicated = true;
  auto running = std::map<std::string, std::set<std::string>>{
    { "a", { "edge" } }, { "b", { "ai_intelligence" } }
  };
  CHECK(own_roles_to_start(make(c, "b", { "a", "b", "c" }, running)) ==
        std::vector<std::string>{ "edge" });
  running["b"].insert("edge");
  // Neither copy stops the other, whatever the node names.
  CHECK(roles_to_stop(make(c, "b", { "a", "b", "c" }, running)).empty());
  CHECK(roles_to_stop(make(c, "a", { "a", "b", "c" }, running)).empty());
  // A replicated role is never re-placed, even when its only node is down
  // and another stands by (the loader rejects failover with replicated).
  c.nodes[0].roles.clear();
  c.nodes[2].standby.push_back("edge");
  c.roles["edge"].failover = true;
  CHECK(replacements(make(c, "a", { "a", "c" }, { { "a", {} } })).count("edge") == 0);
  c.roles["edge"].replicated = false;
  CHECK(replacements(make(c, "a", { "a", "c" }, { { "a", {} } })).count("edge") == 1);
}
