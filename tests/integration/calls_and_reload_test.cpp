// Calls and configuration over real processes: calls across a failing node,
// adding and removing a node on reload, a rejected reload, start-up errors
// and an unreachable cluster. Part of integration_cluster_test (see
// cluster_test.cpp); the harness is in harness.hpp.

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace sophia::itest;

// -- 1. calls and node failures -----------------------------------------------

TEST_CASE("calls fail fast and clearly when the callee's node dies") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // The call path works at all, across nodes.
  {
    auto r =
      c.ctl({ "--node", "n1", "call", "runtime.echo@n2", "echo", "hello" });
    CHECK_MESSAGE(r.exit_code == 0, describe(r));
    CHECK(r.out == "hello\n");
  }
  // A deadline shorter than the work: deadline_exceeded, not a hang.
  {
    auto t0 = steady::now();
    auto r = c.ctl({ "--node",
                     "n1",
                     "call",
                     "runtime.echo@n2",
                     "sleep",
                     "3000",
                     "--deadline-ms",
                     "500" });
    auto took = ms_since(t0);
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    CHECK_MESSAGE(contains(r.err, "deadline_exceeded"), describe(r));
    CHECK_MESSAGE(took < 3000, "took " << took << " ms: " << describe(r));
  }
  // A call pending on n3 when n3 dies: node_down long before its deadline.
  auto call_log = c.dir() / "call.log";
  auto call = c.start_ctl({ "--node",
                            "n1",
                            "call",
                            "runtime.echo@n3",
                            "sleep",
                            "10000",
                            "--deadline-ms",
                            "8000" },
                          "call.log");
  REQUIRE_MESSAGE(wait_for([&] { return c.sleep_arrived("n1", "n3"); }, 10s),
                  "the call did not reach n3's echo actor within 10 s:\n"
                    << sophia::tests::integration::tail(call_log));
  REQUIRE_MESSAGE(call.is_running(),
                  "the call ended before n3 was killed:\n"
                    << sophia::tests::integration::tail(call_log));
  c.proc("n3").kill9();
  auto killed = steady::now();
  auto code = call.wait(8s);
  auto after_kill = ms_since(killed);
  auto out = sophia::tests::integration::tail(call_log);
  INFO("sophiactl call output: " << out);
  REQUIRE_MESSAGE(code, "the call still hangs 8 s after n3 was killed");
  CHECK(*code == 1);
  CHECK(contains(out, "node_down"));
  CHECK_MESSAGE(after_kill < 4000,
                "the call failed " << after_kill << " ms after the kill");
  note("pending call failed ", after_kill, " ms after the kill");
  // A fresh call to the dead node: not_found at once (its names are gone).
  REQUIRE(wait_for([&] { return c.state("n1", "n3") == "down"; }, 5s));
  {
    auto r = c.ctl({ "--node",
                     "n1",
                     "call",
                     "runtime.echo@n3",
                     "echo",
                     "hi",
                     "--deadline-ms",
                     "5000" });
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    CHECK_MESSAGE(contains(r.err, "not_found"), describe(r));
    auto took = call_took_ms(r.err);
    CHECK_MESSAGE(took >= 0, describe(r));
    CHECK_MESSAGE(took < 1000, describe(r));
  }
}

// -- 2. adding and removing a node --------------------------------------------

TEST_CASE(
  "a node added to cluster.conf joins on reload; a removed one leaves") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  const std::vector<std::string> all4{ "n1", "n2", "n3", "n4" };
  c.write_config(all4);
  c.start("n4");
  REQUIRE_MESSAGE(wait_for([&] { return c.status("n4").has_value(); }, 10s),
                  "n4 does not answer status");
  // Until the others re-read the file, n4 knocks in vain: they neither list
  // it nor let it in.
  auto t0 = steady::now();
  while (ms_since(t0) < 3000) {
    for (auto& from : n123) {
      auto view = c.status(from);
      REQUIRE(view);
      CHECK_MESSAGE(test_cluster::state_in(*view, "n4") == "absent",
                    from << " lists n4 before its reload");
    }
    if (auto view = c.status("n4"))
      for (auto& peer : n123)
        CHECK_MESSAGE(test_cluster::state_in(*view, peer) != "up",
                      "n4 sees " << peer << " up before it was accepted");
    std::this_thread::sleep_for(300ms);
  }
  for (auto& name : n123)
    REQUIRE(c.proc(name).signal(SIGHUP));
  auto t1 = steady::now();
  CHECK_MESSAGE(wait_for([&] { return c.state("n1", "n4") == "up"; }, 15s),
                "n1 does not see n4 up within 15 s of the reload");
  CHECK_MESSAGE(wait_for([&] { return c.converged(all4); }, 15s),
                "the four nodes do not all see each other up");
  note("n4 joined ", ms_since(t1), " ms after SIGHUP");

  // Remove n3: it leaves by itself, cleanly, when it re-reads the file.
  const std::vector<std::string> without3{ "n1", "n2", "n4" };
  c.write_config(without3);
  for (auto& name : { "n1", "n2", "n4", "n3" })
    REQUIRE(c.proc(name).signal(SIGHUP));
  auto code = c.proc("n3").wait(10s);
  CHECK_MESSAGE(code, "n3 still runs 10 s after it was removed");
  if (code) CHECK(*code == 0);
  CHECK_MESSAGE(wait_for(
                  [&] {
                    auto view = c.status("n1");
                    return view &&
                           test_cluster::state_in(*view, "n3") == "absent";
                  },
                  10s),
                "n1 still lists n3");
  CHECK_MESSAGE(wait_for([&] { return c.converged(without3); }, 10s),
                "n1, n2 and n4 do not all see each other up after n3 left");
  for (auto& name : without3)
    CHECK(c.proc(name).is_running());
}

// -- 3. a bad reload ----------------------------------------------------------

TEST_CASE("a bad cluster.conf on reload is rejected and the running one kept") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // sophiactl reads its own copy: it must reach the nodes, which then find
  // the bad file. The bad file also drops n3, to show nothing of it applies.
  auto ctl_conf = c.dir() / "ctl.conf";
  c.write_file(ctl_conf, c.config_text(n123));
  c.set_ctl_config(ctl_conf);
  c.write_file(c.conf(), c.config_text({ "n1", "n2" }, "bogus_key = 1\n"));
  auto bad_line = line_of(c.conf(), "bogus_key");
  REQUIRE(bad_line > 0);
  auto diag = c.conf().string() + ":" + std::to_string(bad_line) + ":";
  {
    auto r = c.ctl({ "reload" });
    CHECK_MESSAGE(r.exit_code != 0, describe(r));
    CHECK_MESSAGE(contains(r.out + r.err, diag),
                  "expected " << diag << "\n"
                              << describe(r));
    CHECK_MESSAGE(contains(r.out + r.err, ": error: "), describe(r));
    for (auto& name : n123) // every node answered, and refused
      CHECK_MESSAGE(contains(r.out, name + ": "), describe(r));
  }
  // SIGHUP takes the same path: the node logs the rejection and runs on.
  REQUIRE(c.proc("n2").signal(SIGHUP));
  CHECK_MESSAGE(
    wait_for([&] { return count_lines(c.log("n2"), diag) > 0; }, 10s),
    "n2 did not log the rejected file's diagnostic");
  for (auto& name : n123)
    CHECK(c.proc(name).is_running());
  CHECK_MESSAGE(c.converged(n123),
                "the cluster is not all up on its old config after the "
                "rejected reload");
  // sophiactl itself refuses the bad file the same way (exit 2).
  {
    auto r = c.ctl({ "status" }, c.conf());
    CHECK_MESSAGE(r.exit_code == 2, describe(r));
    CHECK_MESSAGE(contains(r.err, diag), describe(r));
  }
  // Fixing the file makes reload work again.
  c.write_config(n123);
  c.set_ctl_config({});
  auto r = c.ctl({ "reload" });
  CHECK_MESSAGE(r.exit_code == 0, describe(r));
  CHECK(c.converged(n123));
}

// -- 4. start-up errors and an unreachable cluster ----------------------------

TEST_CASE("bad config, --check and an unreachable cluster") {
  test_cluster c;
  INFO(c.diagnostics());
  auto bad = c.dir() / "bad.conf";
  c.write_file(bad, c.config_text(n123, "heartbeat_msec = 200\n"));
  auto bad_line = line_of(bad, "heartbeat_msec");
  {
    auto r = sophia::tests::integration::run(
      { c.node_bin().string(), "--config", bad.string(), "--node", "n1" }, 30s);
    CHECK_MESSAGE(r.exit_code == 2, describe(r));
    CHECK_MESSAGE(
      contains(r.err, bad.string() + ":" + std::to_string(bad_line) + ":"),
      describe(r));
    CHECK_MESSAGE(contains(r.err, ": error: "), describe(r));
  }
  c.write_config(n123);
  {
    auto r = sophia::tests::integration::run(
      { c.node_bin().string(), "--config", c.conf().string(), "--check" }, 30s);
    CHECK_MESSAGE(r.exit_code == 0, describe(r));
    // The effective config: ours, with the defaults filled in.
    CHECK_MESSAGE(contains(r.out, "name = \"itest\""), describe(r));
    CHECK_MESSAGE(contains(r.out, "heartbeat_ms = 200"), describe(r));
    CHECK_MESSAGE(contains(r.out, "failure_timeout_ms = 1500"), describe(r));
    CHECK_MESSAGE(contains(r.out, "connect_timeout_ms = "), describe(r));
    for (auto& name : n123) {
      CHECK_MESSAGE(contains(r.out, "name = \"" + name + "\""), describe(r));
      CHECK_MESSAGE(
        contains(r.out, "port = " + std::to_string(c.spec(name).port)),
        describe(r));
    }
  }
  {
    // Nothing runs: sophiactl says so and names every node it tried.
    auto r = c.ctl({ "status", "--json" });
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    for (auto& name : n123)
      CHECK_MESSAGE(contains(r.err,
                             name + " (127.0.0.1:" +
                               std::to_string(c.spec(name).port) + ")"),
                    describe(r));
    CHECK(r.out.empty());
  }
}
