// sophia-bench-supervision: measures how fast Sophia recovers from failures
// on this machine, and judges each figure against its target.
//
//   sophia-bench-supervision [--out FILE.json] [--quick] [--node-bin PATH] ...
//
// 1. restart latency of a crashed worker under a local one_for_one
//    supervisor, per scheduler configuration;
// 2. role fail-over in a three-node cluster: kill -9 and kill -STOP of the
//    node running a fail-over role, until a caller reaches the role again.
//
// Every figure printed is measured in this run; nothing is carried over
// (the other runtimes' defaults printed for scale are marked as such).

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "bench_support.hpp"
#include "report.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/log.hpp"

namespace {

using namespace sophia::bench;

constexpr const char* usage = R"(usage: sophia-bench-supervision [options]

  --out FILE          JSON results (default: <build>/bench/supervision.json)
  --quick             small runs (~15 s), for a smoke test; figures are rough
  --node-bin PATH     the sophia-node binary (default: next to this binary)
  --only LIST         parts to run, of restart,failover (default: both)
  --scheds L          scheduler configs of part 1 (default: a node's default,
                      then sharing/1,stealing/2)
  --restarts N        measured crashes per scheduler (default 5000)
  --warmup N          crashes before those, not measured (default 100)
  --runs N            fail-over runs per kind of failure (default 10)
  --takeover-on-n3    list n3 before n1 in cluster.conf, so that the leader
                      (n1) hands the role to n3 instead of taking it itself
  --keep-logs         keep the generated config and the nodes' logs
  --verbose           the bench node logs at info level (default: error)
)";

struct options {
  std::string out;
  std::string node_bin;
  bool quick = false;
  bool keep_logs = false;
  bool verbose = false;
  std::set<std::string> parts{ "restart", "failover" };
  std::string scheds;
  restart_params restart;
  failover_params failover;
};

uint64_t to_count(const std::string& flag, const char* text) {
  size_t end = 0;
  auto n = std::stoull(text, &end);
  if (end != std::string{ text }.size() || n == 0)
    throw std::invalid_argument(flag + " needs a positive number, got '" +
                                text + "'");
  return n;
}

/// Parses the command line; returns false after printing help.
bool parse(int argc, char** argv, options& o) {
  sophia::runtime::config::cluster_config defaults;
  o.scheds = defaults.scheduler_policy + "/" +
             std::to_string(defaults.scheduler_threads) +
             ",sharing/1,stealing/2";
  // --quick first, so that explicit sizes given with it still win.
  for (int i = 1; i < argc; ++i)
    if (std::string{ argv[i] } == "--quick") {
      o.quick = true;
      o.restart.runs = 1000;
      o.restart.warmup = 50;
      o.failover.runs = 2;
      o.failover.settle = std::chrono::milliseconds{ 500 };
    }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return false;
    } else if (arg == "--quick") {
      // handled above
    } else if (arg == "--out") {
      o.out = value();
    } else if (arg == "--node-bin") {
      o.node_bin = value();
    } else if (arg == "--only") {
      o.parts.clear();
      std::istringstream in{ value() };
      for (std::string p; std::getline(in, p, ',');) {
        if (p != "restart" && p != "failover")
          throw std::invalid_argument("--only: unknown part '" + p +
                                      "' (restart, failover)");
        o.parts.insert(p);
      }
    } else if (arg == "--scheds") {
      o.scheds = value();
    } else if (arg == "--restarts") {
      o.restart.runs = to_count(arg, value());
    } else if (arg == "--warmup") {
      o.restart.warmup = to_count(arg, value());
    } else if (arg == "--runs") {
      o.failover.runs = to_count(arg, value());
    } else if (arg == "--takeover-on-n3") {
      o.failover.takeover_on_n3 = true;
    } else if (arg == "--keep-logs") {
      o.keep_logs = true;
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  auto dir = self_dir();
  if (o.out.empty()) o.out = dir + "/../bench/supervision.json";
  if (o.node_bin.empty()) o.node_bin = dir + "/sophia-node";
  return true;
}

/// Runs `f`, then reports how long it took.
template <class F>
void timed_part(const std::string& what, F f) {
  progress(what);
  auto t0 = bench_clock::now();
  f();
  char buf[32];
  std::snprintf(buf,
                sizeof(buf),
                ": done in %.1f s",
                std::chrono::duration<double>(bench_clock::now() - t0).count());
  progress(what + buf);
}

int run(const options& o, const std::string& command) {
  supervision_report rep;
  rep.command = command;
  rep.machine = probe_machine();
  rep.started_at = now_utc();
  rep.quick = o.quick;
  rep.node_bin = o.node_bin;
  rep.restart_cfg = o.restart;
  rep.failover_cfg = o.failover;
  auto t0 = bench_clock::now();
  if (o.parts.count("failover") && access(o.node_bin.c_str(), X_OK) != 0)
    throw std::runtime_error(o.node_bin +
                             " is not an executable sophia-node "
                             "(build it, or pass --node-bin PATH)");
  auto work_dir = make_temp_dir("sophia-bench-supervision");
  bool trouble = false;
  if (o.parts.count("restart"))
    for (auto& s : parse_scheds(o.scheds))
      timed_part("restart " + s.label(), [&] {
        rep.restart.push_back(run_restart(s, o.restart));
        trouble |= !rep.restart.back().failed.empty();
      });
  if (o.parts.count("failover")) {
    auto params = o.failover;
    params.node_bin = o.node_bin;
    params.work_dir = work_dir;
    timed_part("fail-over (" + std::to_string(params.runs) +
                 " runs each of kill -9 and kill -STOP)",
               [&] {
                 rep.failover = run_failover(params);
                 trouble |= !rep.failover->failed.empty();
               });
  }
  rep.total_seconds =
    std::chrono::duration<double>(bench_clock::now() - t0).count();
  publish(render_table(rep),
          to_json(rep).dump(2),
          o.out,
          work_dir,
          o.keep_logs || trouble);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  return bench_main(
    "sophia-bench-supervision",
    usage,
    argc,
    argv,
    [&] {
      if (!parse(argc, argv, o)) return false;
      parse_scheds(o.scheds);
      return true;
    },
    [&](const std::string& command) {
      // Each restart logs a warning and each fail-over a few: at the
      // default level they would bury the table (and the restart figure
      // would include writing them to the terminal).
      sophia::runtime::log::init("bench", o.verbose ? "info" : "error");
      return run(o, command);
    });
}
