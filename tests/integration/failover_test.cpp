// Role placement and supervision over real processes: fail-over of a role
// to a standby node when its node dies (staying there, or moving back), a
// frozen node's role re-placed by the majority without ever running twice,
// a role without fail-over left alone, and a crash-looping role escalating
// to the node supervisor while its node stays up. Part of
// integration_cluster_test (see cluster_test.cpp); the harness is in
// harness.hpp.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace sophia::itest;

namespace {

/// One [[node]] block of a role cluster.
struct role_node {
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> standby;
};

/// The fail-over role of these cases and the nodes it may run on.
const std::string ai = "ai_intelligence";

/// n1 runs edge and stands by for ai_intelligence, n2 runs
/// ai_intelligence, n3 runs pipeline and stands by for ai_intelligence.
std::vector<role_node> standard_nodes() {
  return { { "n1", { "edge" }, { ai } },
           { "n2", { ai }, {} },
           { "n3", { "pipeline" }, { ai } } };
}

std::string toml_list(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i ? ", \"" : "\"") + xs[i] + "\"";
  return out + "]";
}

/// Writes a cluster.conf with `nodes` (on the harness's ports, with its
/// heartbeat and failure timeout) and the [roles.X] tables `tables`.
void write_role_config(test_cluster& c,
                       const std::vector<role_node>& nodes,
                       const std::string& tables) {
  std::vector<std::string> names;
  for (auto& n : nodes)
    names.push_back(n.name);
  // Sets the members; the text is replaced below.
  c.write_config(names);
  std::ostringstream os;
  os << "# written by integration_cluster_test (failover_test.cpp)\n"
     << "[cluster]\n"
     << "name = \"itest\"\n"
     << "heartbeat_ms = " << heartbeat_ms << "\n"
     << "failure_timeout_ms = " << failure_timeout_ms << "\n";
  for (auto& n : nodes)
    os << "\n[[node]]\n"
       << "name = \"" << n.name << "\"\n"
       << "host = \"127.0.0.1\"\n"
       << "port = " << c.spec(n.name).port << "\n"
       << "roles = " << toml_list(n.roles) << "\n"
       << "standby = " << toml_list(n.standby) << "\n";
  os << "\n[edge]\nport = " << c.mcp_port() << "\n";
  os << "\n" << tables;
  c.write_file(c.conf(), os.str());
}

/// Where each role runs (`role.NAME` entries: role -> nodes) as node `from`'s
/// registry lists it, or nothing when `from` does not answer.
std::optional<std::map<std::string, std::set<std::string>>> role_map(
  test_cluster& c,
  const std::string& from) {
  auto reg = c.registry(from);
  if (!reg) return std::nullopt;
  std::map<std::string, std::set<std::string>> out;
  for (auto& x : *reg) {
    auto at = x.rfind('@');
    if (x.rfind("role.", 0) != 0 || at == std::string::npos) continue;
    out[x.substr(5, at - 5)].insert(x.substr(at + 1));
  }
  return out;
}

/// The nodes on which `from`'s registry lists `role.ROLE`.
std::optional<std::set<std::string>> placements(test_cluster& c,
                                                const std::string& from,
                                                const std::string& role) {
  auto m = role_map(c, from);
  if (!m) return std::nullopt;
  return (*m)[role];
}

std::string show(const std::set<std::string>& xs) {
  std::string out = "{";
  for (auto& x : xs)
    out += (out.size() > 1 ? "," : "") + x;
  return out + "}";
}

std::string show(const std::optional<std::set<std::string>>& xs) {
  return xs ? show(*xs) : "(no answer)";
}

/// Whether `from` lists `role.ROLE` on exactly the nodes `nodes`.
bool placed_on(test_cluster& c,
               const std::string& from,
               const std::string& role,
               const std::set<std::string>& nodes) {
  return placements(c, from, role) == nodes;
}

/// `call role.ROLE info` through node `via`, parsed; nothing when the call
/// fails or the answer is no JSON object.
std::optional<json> role_info(test_cluster& c,
                              const std::string& via,
                              const std::string& role) {
  auto r = c.ctl(
    { "--node", via, "call", "role." + role, "info", "--deadline-ms", "2000" });
  if (r.exit_code != 0) return std::nullopt;
  auto doc = json::parse(r.out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

/// Whether a call of `role.ROLE info` through `via` answers naming `node`.
bool answers_from(test_cluster& c,
                  const std::string& via,
                  const std::string& role,
                  const std::string& node) {
  auto doc = role_info(c, via, role);
  return doc && doc->value("role", "") == role &&
         doc->value("node", "") == node;
}

/// Starts n1..n3 of a role cluster and waits until they see each other up
/// and every node lists every role of `expected` (role -> node) exactly
/// there.
void start_roles(test_cluster& c,
                 const std::vector<role_node>& nodes,
                 const std::string& tables,
                 const std::map<std::string, std::string>& expected) {
  write_role_config(c, nodes, tables);
  c.start_all();
  REQUIRE_MESSAGE(wait_for([&] { return c.converged(); }, 20s),
                  "n1..n3 did not all see each other up within 20 s");
  auto t0 = steady::now();
  REQUIRE_MESSAGE(wait_for(
                    [&] {
                      for (auto& from : c.members()) {
                        auto m = role_map(c, from);
                        if (!m || m->size() != expected.size()) return false;
                        for (auto& [role, node] : expected)
                          if ((*m)[role] != std::set<std::string>{ node })
                            return false;
                      }
                      return true;
                    },
                    15s),
                  "the configured roles are not each placed once, on their "
                  "configured node, in every registry within 15 s");
  note("roles placed ", ms_since(t0), " ms after convergence");
}

/// Each role of `roles` exactly once in `m`, and no other role.
bool one_each(const std::map<std::string, std::set<std::string>>& m,
              const std::set<std::string>& roles) {
  if (m.size() != roles.size()) return false;
  for (auto& [role, nodes] : m)
    if (!roles.count(role) || nodes.size() != 1) return false;
  return true;
}

std::string show(const std::map<std::string, std::set<std::string>>& m) {
  std::string out;
  for (auto& [role, nodes] : m)
    out += (out.empty() ? "" : " ") + role + "@" + show(nodes);
  return out;
}

/// Checks that the nodes `names` still run: a node whose supervisor gives
/// up exits with code 1.
void check_running(test_cluster& c, const std::vector<std::string>& names) {
  for (auto& name : names) {
    auto& p = c.proc(name);
    CHECK_MESSAGE(p.is_running(),
                  name << " exited with code " << p.exit_code().value_or(-1)
                       << "; its log ends:\n"
                       << sophia::tests::integration::tail(c.log(name), 8));
  }
}

const std::string ai_failover = "[roles.ai_intelligence]\n"
                                "failover = true\n"
                                "move_back = false\n";

const std::map<std::string, std::string> standard_placement{ { "edge", "n1" },
                                                             { ai, "n2" },
                                                             { "pipeline",
                                                               "n3" } };

} // namespace

// -- 1. fail-over to a standby node, staying there ----------------------------

TEST_CASE("a fail-over role moves to a standby node and stays there") {
  test_cluster c;
  INFO(c.diagnostics());
  start_roles(c, standard_nodes(), ai_failover, standard_placement);
  c.proc("n2").kill9();
  auto t0 = steady::now();
  // n1 and n3 both run one role: the tie goes to n1, first in the file.
  std::string placed;
  CHECK_MESSAGE(wait_for(
                  [&] {
                    auto p1 = placements(c, "n1", ai);
                    auto p3 = placements(c, "n3", ai);
                    if (!p1 || p1 != p3 || p1->size() != 1) return false;
                    auto node = *p1->begin();
                    if (node != "n1" && node != "n3") return false;
                    placed = node;
                    return true;
                  },
                  10s),
                "role.ai_intelligence is not registered on exactly one "
                "standby node within 10 s of killing n2: n1 lists "
                  << show(placements(c, "n1", ai)) << ", n3 lists "
                  << show(placements(c, "n3", ai)));
  REQUIRE(!placed.empty());
  note("ai_intelligence re-placed on ",
       placed,
       " ",
       ms_since(t0),
       " ms after kill -9 n2");
  CHECK_MESSAGE(placed == "n1",
                "the tie between n1 and n3 (one role each) "
                "should go to n1, first in file order");
  // A caller that retries reaches the role wherever it runs now.
  for (std::string via : { "n1", "n3" }) {
    CAPTURE(via);
    CHECK_MESSAGE(
      wait_for([&] { return answers_from(c, via, ai, placed); }, 10s),
      "call role.ai_intelligence info via " << via << " does not answer from "
                                            << placed << " within 10 s");
  }
  note("calls via n1 and n3 answered from ",
       placed,
       " ",
       ms_since(t0),
       " ms after the kill");
  // n2 rejoins; move_back is false, so the role stays where it is.
  auto starts_on_n2 = count_lines(c.log("n2"), "starting role=" + ai);
  c.start("n2");
  auto t1 = steady::now();
  std::string violations;
  size_t samples = 0;
  auto sample = [&] {
    for (auto& from : n123) {
      auto p = placements(c, from, ai);
      if (!p) continue; // n2 still starting
      ++samples;
      // A restarted n2 may list nothing before its first registry sync;
      // anything but the one placement is a violation.
      if (from == "n2" && p->empty()) continue;
      if (*p != std::set<std::string>{ placed })
        violations += " " + from + " lists " + show(*p) + " at " +
                      std::to_string(ms_since(t1)) + " ms;";
    }
  };
  bool rejoined = wait_for(
    [&] {
      sample();
      return c.converged();
    },
    10s);
  CHECK_MESSAGE(rejoined, "the restarted n2 is not up everywhere within 10 s");
  if (rejoined) note("n2 rejoined ", ms_since(t1), " ms after its restart");
  auto t2 = steady::now();
  while (ms_since(t2) < 10'000) {
    sample();
    std::this_thread::sleep_for(200ms);
  }
  note(samples, " registry samples in ", ms_since(t1), " ms after the restart");
  CHECK_MESSAGE(violations.empty(),
                "not exactly one placement on " << placed << ":" << violations);
  for (auto& from : n123) {
    CAPTURE(from);
    CHECK(placed_on(c, from, ai, { placed }));
  }
  CHECK(answers_from(c, "n2", ai, placed));
  CHECK_MESSAGE(count_lines(c.log("n2"), "starting role=" + ai) == starts_on_n2,
                "the restarted n2 started its own copy of ai_intelligence "
                "although it runs on "
                  << placed << " and move_back is false");
  CHECK(c.sees_up("n1", n123));
  check_running(c, n123);
}

// -- 2. fail-over and back ----------------------------------------------------

TEST_CASE("a move_back role returns to its node when the node rejoins") {
  test_cluster c;
  INFO(c.diagnostics());
  start_roles(c,
              standard_nodes(),
              "[roles.ai_intelligence]\n"
              "failover = true\n"
              "move_back = true\n",
              standard_placement);
  c.proc("n2").kill9();
  auto t0 = steady::now();
  REQUIRE_MESSAGE(wait_for(
                    [&] {
                      return placed_on(c, "n1", ai, { "n1" }) &&
                             placed_on(c, "n3", ai, { "n1" });
                    },
                    10s),
                  "role.ai_intelligence is not on n1 alone within 10 s of "
                  "killing n2: n1 lists "
                    << show(placements(c, "n1", ai)) << ", n3 lists "
                    << show(placements(c, "n3", ai)));
  note("ai_intelligence failed over to n1 ", ms_since(t0), " ms after kill");
  c.start("n2");
  auto t1 = steady::now();
  bool back = wait_for(
    [&] {
      for (auto& from : n123)
        if (!placed_on(c, from, ai, { "n2" })) return false;
      return true;
    },
    15s);
  CHECK_MESSAGE(back,
                "role.ai_intelligence did not move back to n2 alone within "
                "15 s: n1 lists "
                  << show(placements(c, "n1", ai)) << ", n2 lists "
                  << show(placements(c, "n2", ai)) << ", n3 lists "
                  << show(placements(c, "n3", ai)));
  if (back)
    note("ai_intelligence back on n2 alone ",
         ms_since(t1),
         " ms after n2's restart");
  for (std::string via : { "n1", "n3" }) {
    CAPTURE(via);
    CHECK_MESSAGE(wait_for([&] { return answers_from(c, via, ai, "n2"); }, 5s),
                  "call role.ai_intelligence info via "
                    << via << " does not answer from n2");
  }
  // And it stays there: n1 stopped its copy for good.
  std::this_thread::sleep_for(2s);
  for (auto& from : n123) {
    CAPTURE(from);
    CHECK(placed_on(c, from, ai, { "n2" }));
  }
  CHECK(count_lines(c.log("n1"), "stopping role=" + ai) >= 1);
  check_running(c, n123);
}

// -- 3. a frozen node: never two placements -----------------------------------

TEST_CASE("a frozen role node's role is re-placed without running twice") {
  test_cluster c;
  INFO(c.diagnostics());
  start_roles(c, standard_nodes(), ai_failover, standard_placement);
  auto owner = placements(c, "n1", ai);
  REQUIRE(owner);
  REQUIRE(owner->size() == 1);
  auto frozen = *owner->begin();
  std::vector<std::string> live;
  for (auto& n : n123)
    if (n != frozen) live.push_back(n);
  c.proc(frozen).stop();
  auto t0 = steady::now();
  std::string doubles;
  std::string replaced;
  size_t samples = 0;
  // Sample every 200 ms (a round may take longer: it runs sophiactl).
  auto tick = steady::now();
  while (ms_since(t0) < 15'000) {
    std::set<std::string> on;
    bool both = true;
    for (auto& from : live) {
      auto p = placements(c, from, ai);
      if (!p) {
        both = false;
        continue;
      }
      ++samples;
      if (p->size() > 1)
        doubles += " " + from + " lists " + show(*p) + " at " +
                   std::to_string(ms_since(t0)) + " ms;";
      if (p->size() != 1 || p->count(frozen)) both = false;
      on.insert(p->begin(), p->end());
    }
    if (both && on.size() == 1) {
      replaced = *on.begin();
      break;
    }
    tick += 200ms;
    std::this_thread::sleep_until(tick);
  }
  CHECK_MESSAGE(!replaced.empty(),
                "the majority did not re-place role.ai_intelligence off the "
                "frozen "
                  << frozen << " within 15 s");
  if (!replaced.empty())
    note("ai_intelligence re-placed on ",
         replaced,
         " ",
         ms_since(t0),
         " ms after kill -STOP ",
         frozen);
  // Keep watching the majority a while with the node still frozen.
  auto t1 = steady::now();
  while (ms_since(t1) < 3000) {
    for (auto& from : live) {
      auto p = placements(c, from, ai);
      if (!p) continue;
      ++samples;
      if (p->size() > 1)
        doubles += " " + from + " lists " + show(*p) + " at " +
                   std::to_string(ms_since(t0)) + " ms;";
    }
    tick += 200ms;
    std::this_thread::sleep_until(std::max(tick, steady::now()));
  }
  note(samples, " majority registry samples while ", frozen, " was frozen");
  CHECK_MESSAGE(doubles.empty(),
                "the majority's registry showed two placements:" << doubles);

  c.proc(frozen).cont();
  auto t2 = steady::now();
  const std::set<std::string> roles{ "edge", ai, "pipeline" };
  auto all_one_each = [&] {
    std::optional<std::set<std::string>> ai_on;
    for (auto& from : n123) {
      auto m = role_map(c, from);
      if (!m || !one_each(*m, roles)) return false;
      if (ai_on && *ai_on != (*m)[ai]) return false;
      ai_on = (*m)[ai];
    }
    return true;
  };
  bool settled = wait_for([&] { return c.converged() && all_one_each(); }, 15s);
  CHECK_MESSAGE(settled,
                "the cluster did not converge to one placement per role "
                "within 15 s of SIGCONT");
  if (settled) {
    note("one placement per role everywhere ",
         ms_since(t2),
         " ms after kill -CONT ",
         frozen);
    std::string unstable;
    auto t3 = steady::now();
    while (ms_since(t3) < 5000) {
      for (auto& from : n123) {
        auto m = role_map(c, from);
        if (!m)
          unstable += " " + from + " did not answer;";
        else if (!one_each(*m, roles))
          unstable += " " + from + " lists " + show(*m) + " at " +
                      std::to_string(ms_since(t3)) + " ms;";
      }
      std::this_thread::sleep_for(200ms);
    }
    CHECK_MESSAGE(unstable.empty(),
                  "not one placement per role after convergence:" << unstable);
  }
  check_running(c, n123);
}

// -- 4. no fail-over, no re-placement -----------------------------------------

TEST_CASE("a role without fail-over is not re-placed when its node dies") {
  test_cluster c;
  INFO(c.diagnostics());
  // n3 stands by for edge too: only `failover = false` keeps it off n3.
  auto nodes = standard_nodes();
  nodes[2].standby.push_back("edge");
  start_roles(c,
              nodes,
              ai_failover + "\n[roles.edge]\nfailover = false\n",
              standard_placement);
  c.proc("n1").kill9();
  auto t0 = steady::now();
  REQUIRE_MESSAGE(wait_for(
                    [&] {
                      return c.state("n2", "n1") == "down" &&
                             c.state("n3", "n1") == "down";
                    },
                    5s),
                  "n2 and n3 do not both see n1 down within 5 s");
  note("n1 seen down ", ms_since(t0), " ms after kill -9");
  // Many placement rounds (one per heartbeat) with n2 as the new leader.
  std::string replaced;
  auto t1 = steady::now();
  while (ms_since(t1) < 6000) {
    for (std::string from : { "n2", "n3" }) {
      auto m = role_map(c, from);
      if (!m) continue;
      if (m->count("edge"))
        replaced += " " + from + " lists role.edge@" + show((*m)["edge"]) +
                    " at " + std::to_string(ms_since(t0)) + " ms;";
    }
    std::this_thread::sleep_for(300ms);
  }
  CHECK_MESSAGE(replaced.empty(), "edge was re-placed:" << replaced);
  for (std::string from : { "n2", "n3" }) {
    CAPTURE(from);
    auto m = role_map(c, from);
    REQUIRE(m);
    CHECK(m->count("edge") == 0);
    CHECK((*m)[ai] == std::set<std::string>{ "n2" });
    CHECK((*m)["pipeline"] == std::set<std::string>{ "n3" });
  }
  CHECK(count_lines(c.log("n2"), "re-places role=edge") == 0);
  CHECK(count_lines(c.log("n3"), "starting role=edge") == 0);
  auto r = c.ctl(
    { "--node", "n2", "call", "role.edge", "info", "--deadline-ms", "2000" });
  CHECK_MESSAGE(r.exit_code == 1, describe(r));
  check_running(c, { "n2", "n3" });
}

// -- 5. a crash-looping role --------------------------------------------------

TEST_CASE("a crash-looping role escalates to the node supervisor, node stays") {
  test_cluster c;
  INFO(c.diagnostics());
  start_roles(c, standard_nodes(), ai_failover, standard_placement);
  REQUIRE(
    wait_for([&] { return answers_from(c, "n3", "pipeline", "n3"); }, 5s));
  auto log = c.log("n3");
  const std::string escalate =
    "supervisor=role.pipeline child=endpoint event=escalate";
  const std::string escalated =
    "supervisor=node.n3 child=role.pipeline event=child_escalated";
  const std::string node_restart =
    "supervisor=node.n3 child=role.pipeline event=restart";
  REQUIRE(count_lines(log, escalate) == 0);
  // Five crashes, each of a live endpoint: a call that finds no endpoint
  // (not registered again yet, or its stale entry) is retried at once.
  size_t crashes = 0;
  size_t retries = 0;
  std::string others;
  auto t0 = steady::now();
  while (crashes < 5 && ms_since(t0) < 20'000) {
    auto r = c.ctl({ "--node",
                     "n3",
                     "call",
                     "role.pipeline@n3",
                     "crash",
                     "--deadline-ms",
                     "2000" });
    if (r.exit_code == 1 && contains(r.err, "crashing as asked")) {
      ++crashes;
      continue;
    }
    ++retries;
    if (!contains(r.err, "not_found")) others += "\n  " + describe(r);
    std::this_thread::sleep_for(20ms);
  }
  auto took = ms_since(t0);
  note(crashes,
       " crashes of role.pipeline in ",
       took,
       " ms (",
       retries,
       " calls retried)");
  if (!others.empty()) note("crash calls that failed otherwise:", others);
  REQUIRE_MESSAGE(crashes == 5,
                  "only " << crashes << " crash calls of 5 "
                          << "reached a live endpoint");
  CHECK_MESSAGE(took < 5000,
                "the five crashes took " << took
                                         << " ms, more than the "
                                            "role's 5 s window");
  // The role supervisor gives up; the node supervisor restarts the role.
  CHECK_MESSAGE(wait_for([&] { return count_lines(log, escalate) >= 1; }, 5s),
                "no '" << escalate << "' in n3's log");
  CHECK_MESSAGE(wait_for([&] { return count_lines(log, escalated) >= 1; }, 5s),
                "no '" << escalated << "' in n3's log");
  CHECK_MESSAGE(
    wait_for([&] { return count_lines(log, node_restart) >= 1; }, 5s),
    "no '" << node_restart << "' in n3's log");
  auto t1 = steady::now();
  CHECK_MESSAGE(
    wait_for([&] { return answers_from(c, "n1", "pipeline", "n3"); }, 10s),
    "role.pipeline does not answer from n3 again within 10 s");
  note("role.pipeline answers again ", ms_since(t1), " ms after the crashes");
  for (auto& from : n123) {
    CAPTURE(from);
    CHECK(placed_on(c, from, "pipeline", { "n3" }));
  }
  // The node survives the escalation: still running, and up everywhere.
  std::this_thread::sleep_for(2s);
  check_running(c, n123);
  CHECK(c.converged());
  CHECK(count_lines(log, "node supervisor gave up") == 0);
  // The escalation shows in the supervision tree, where sophiactl has it.
  auto help = c.ctl({ "--help" });
  if (contains(help.out, "tree")) {
    auto r = c.ctl({ "--node", "n3", "tree", "--json" });
    CHECK_MESSAGE(r.exit_code == 0, describe(r));
    auto doc = json::parse(r.out, nullptr, false);
    bool has_tree =
      !doc.is_discarded() && doc.contains("tree") && doc["tree"].is_object();
    REQUIRE_MESSAGE(has_tree, describe(r));
    CHECK(doc.value("node", "") == "n3");
    auto& tree = doc["tree"];
    CHECK(tree.value("name", "") == "node.n3");
    CHECK_MESSAGE(tree.value("escalations", 0) >= 1, tree.dump());
    CHECK(tree.value("running", false));
  } else {
    note("sophiactl has no `tree` command: escalation checked in the log");
  }
}
