// sophia-bench-runtime: measures Sophia's actor runtime on this machine, side
// by side with raw CAF, and judges each figure against its target.
//
//   sophia-bench-runtime [--out FILE.json] [--quick] [--node-bin PATH] ...
//
// 1. local message throughput per scheduler (raw ping-pong, call helper);
// 2. cross-node request/response against a real sophia-node process, RAW
//    CAF requests vs OURS (the call helper), sequential and pipelined;
// 3. failure detection: kill -9 and kill -STOP of that process.
//
// Every figure printed is measured in this run; nothing is carried over.
// See --help for the run sizes.

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

#include "bench_cross.hpp"
#include "bench_failure.hpp"
#include "bench_local.hpp"
#include "bench_report.hpp"
#include "bench_support.hpp"
#include "runtime/log.hpp"

namespace {

using namespace sophia::bench;

constexpr const char* usage = R"(usage: sophia-bench-runtime [options]

  --out FILE          JSON results (default: <build>/bench/runtime.json)
  --quick             small runs (~30 s), for a smoke test; figures are rough
  --node-bin PATH     the sophia-node binary (default: next to this binary)
  --only LIST         parts to run, of local,cross,failure (default: all)
  --local-scheds L    scheduler configs of part 1 (default:
                      sharing/1,sharing/2,stealing/1,stealing/2)
  --cross-scheds L    scheduler configs of part 2 (default:
                      sharing/1,sharing/2,stealing/2)
  --round-trips N     raw ping-pong round trips (default 1000000)
  --local-calls N     call-helper calls of part 1 (default 200000)
  --sequential N      sequential calls per side of part 2 (default 20000)
  --warmup N          warm-up calls per side of part 2 (default 1000)
  --pipelined N       pipelined calls per side and window (default 100000)
  --runs N            failure runs per kind (default 10)
  --payload BYTES     payload of every call (default 64)
  --keep-logs         keep the generated configs and the remote node's logs
  --verbose           the bench node logs at info level (default: error)
)";

struct options {
  std::string out;
  std::string node_bin;
  bool quick = false;
  bool keep_logs = false;
  bool verbose = false;
  std::set<std::string> parts{ "local", "cross", "failure" };
  std::string local_scheds = "sharing/1,sharing/2,stealing/1,stealing/2";
  std::string cross_scheds = "sharing/1,sharing/2,stealing/2";
  local_params local;
  cross_params cross;
  failure_params failure;
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
  // --quick first, so that explicit sizes given with it still win.
  for (int i = 1; i < argc; ++i)
    if (std::string{ argv[i] } == "--quick") {
      o.quick = true;
      o.local.round_trips = 100'000;
      o.local.calls = 20'000;
      o.cross.sequential = 2'000;
      o.cross.warmup = 200;
      o.cross.block = 500;
      o.cross.pipelined = 10'000;
      o.failure.runs = 2;
      o.failure.settle = std::chrono::milliseconds{ 500 };
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
        if (p != "local" && p != "cross" && p != "failure")
          throw std::invalid_argument("--only: unknown part '" + p +
                                      "' (local, cross, failure)");
        o.parts.insert(p);
      }
    } else if (arg == "--local-scheds") {
      o.local_scheds = value();
    } else if (arg == "--cross-scheds") {
      o.cross_scheds = value();
    } else if (arg == "--round-trips") {
      o.local.round_trips = to_count(arg, value());
    } else if (arg == "--local-calls") {
      o.local.calls = to_count(arg, value());
    } else if (arg == "--sequential") {
      o.cross.sequential = to_count(arg, value());
    } else if (arg == "--warmup") {
      o.cross.warmup = to_count(arg, value());
    } else if (arg == "--pipelined") {
      o.cross.pipelined = to_count(arg, value());
    } else if (arg == "--runs") {
      o.failure.runs = to_count(arg, value());
    } else if (arg == "--payload") {
      o.local.payload = o.cross.payload = to_count(arg, value());
    } else if (arg == "--keep-logs") {
      o.keep_logs = true;
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  auto dir = self_dir();
  if (o.out.empty()) o.out = dir + "/../bench/runtime.json";
  if (o.node_bin.empty()) o.node_bin = dir + "/sophia-node";
  return true;
}

std::string fmt_seconds(bench_clock::duration d) {
  char buf[32];
  std::snprintf(buf,
                sizeof(buf),
                ": done in %.1f s",
                std::chrono::duration<double>(d).count());
  return buf;
}

/// Runs `f`, then reports how long it took.
template <class F>
void timed_part(const std::string& what, F f) {
  progress(what);
  auto t0 = bench_clock::now();
  f();
  progress(what + fmt_seconds(bench_clock::now() - t0));
}

int run(const options& o, const std::string& command) {
  report rep;
  rep.command = command;
  rep.machine = probe_machine();
  rep.started_at = now_utc();
  rep.quick = o.quick;
  rep.node_bin = o.node_bin;
  rep.local_cfg = o.local;
  rep.cross_cfg = o.cross;
  rep.failure_cfg = o.failure;
  auto t0 = bench_clock::now();
  bool needs_node = o.parts.count("cross") || o.parts.count("failure");
  if (needs_node && access(o.node_bin.c_str(), X_OK) != 0)
    throw std::runtime_error(o.node_bin +
                             " is not an executable sophia-node "
                             "(build it, or pass --node-bin PATH)");
  auto work_dir = make_temp_dir("sophia-bench");
  auto cross = rep.cross_cfg;
  cross.node_bin = o.node_bin;
  cross.work_dir = work_dir;
  auto failure = rep.failure_cfg;
  failure.node_bin = o.node_bin;
  failure.work_dir = work_dir;
  bool trouble = false;
  if (o.parts.count("local"))
    for (auto& s : parse_scheds(o.local_scheds))
      timed_part("local " + s.label(), [&] {
        rep.local.push_back(run_local(s, o.local));
        trouble |= !rep.local.back().first_error.empty();
      });
  if (o.parts.count("cross"))
    for (auto& s : parse_scheds(o.cross_scheds))
      timed_part("cross-node " + s.label(), [&] {
        rep.cross.push_back(run_cross(s, cross));
        auto& c = rep.cross.back();
        trouble |= !c.failed.empty() || !c.first_error.empty();
        if (!c.failed.empty()) progress("failed: " + c.failed);
      });
  if (o.parts.count("failure"))
    timed_part("failure detection (" + std::to_string(failure.runs) +
                 " runs each of kill -9 and kill -STOP)",
               [&] {
                 rep.failure = run_failure(failure);
                 trouble |= !rep.failure->failed.empty();
               });
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
    "sophia-bench-runtime",
    usage,
    argc,
    argv,
    [&] {
      if (!parse(argc, argv, o)) return false;
      parse_scheds(o.local_scheds);
      parse_scheds(o.cross_scheds);
      return true;
    },
    [&](const std::string& command) {
      // Membership warns on every peer that goes down; part 3 does that on
      // purpose, and the table is the output that matters.
      sophia::runtime::log::init("bench", o.verbose ? "info" : "error");
      return run(o, command);
    });
}
