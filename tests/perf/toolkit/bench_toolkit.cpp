// bench_toolkit: the service toolkit's own cost per call
// (`tools/sophia bench toolkit`). The same trivial tool served two ways, in
// one actor system, called back to back the way the edge's call helper
// delivers them (a call envelope; the reply buffer back):
//   raw:     a hand-written provider (decode the envelope, parse the params,
//            check the argument, build the result), as services were
//            written before the toolkit;
//   toolkit: runtime/mcp/service.hpp (the same, plus schema validation, the
//            call object, cancellation bookkeeping).
// Alternating rounds; prints a table and writes JSON (--out FILE).

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "runtime/call/call.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/mcp/service.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/wire/codec.hpp"

using namespace sophia;
using namespace sophia::bench;
using nlohmann::json;

namespace {

constexpr const char* schema =
  R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})";

/// The hand-written provider: what fixtures.cpp did before the toolkit.
caf::behavior raw_provider(caf::event_based_actor*) {
  return {
    [](runtime::atoms::call, const runtime::wire::buffer& buf)
      -> caf::result<runtime::wire::buffer> {
      auto env = runtime::wire::decode_call_envelope(buf);
      if (!env) return env.error();
      auto params = json::parse(env->payload, nullptr, false);
      if (!params.is_object())
        return runtime::make_error(runtime::errc::rejected, "not an object");
      auto& args = params["arguments"];
      if (!args.is_object() || !args.contains("text") || !args["text"].is_string())
        return runtime::make_error(runtime::errc::rejected, "text");
      return runtime::call::make_reply(
        runtime::mcp::text_result(args["text"].get<std::string>()));
    },
  };
}

caf::actor toolkit_provider(caf::actor_system& sys) {
  runtime::mcp::service_spec spec{ "bench", "tests" };
  spec.tools.push_back({ .name = "echo",
                         .description = "Echoes text.",
                         .input_schema = schema,
                         .run = [](const runtime::mcp::call_ptr& c) {
                           c->reply(c->arguments()["text"].get<std::string>());
                         } });
  return *runtime::mcp::spawn_service(sys, {}, std::move(spec));
}

struct run_result {
  double calls_per_s = 0;
  latency_summary lat;
};

run_result run(caf::actor_system& sys, const caf::actor& target, size_t n) {
  caf::scoped_actor self{ sys };
  runtime::call::request req;
  req.method = "tools/call";
  req.payload = R"({"name":"echo","arguments":{"text":"hello"}})";
  req.trace_id = "bench";
  auto env = runtime::call::make_envelope(req);
  std::vector<double> us;
  us.reserve(n);
  auto start = bench_clock::now();
  for (size_t i = 0; i < n; ++i) {
    auto t0 = bench_clock::now();
    self->request(target, caf::infinite, runtime::atoms::call::value, env)
      .receive([](const runtime::wire::buffer&) {},
               [](caf::error& e) { std::cerr << "error: " << to_string(e) << "\n"; });
    us.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - t0).count());
  }
  auto secs = std::chrono::duration<double>(bench_clock::now() - start).count();
  return { static_cast<double>(n) / secs, summarize(us) };
}

} // namespace

int main(int argc, char** argv) {
  std::string out = "build/bench/toolkit.json";
  size_t calls = 20000;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") out = next();
    else if (a == "--calls") calls = std::stoul(next());
    else if (a == "--rounds") rounds = std::stoi(next());
    else {
      std::cerr << "usage: sophia-bench-toolkit [--out FILE] [--calls N] [--rounds N]\n";
      return a == "--help" ? 0 : 2;
    }
  }
  runtime::log::init("bench", "warn");
  caf::actor_system_config cfg;
  runtime::system::announce(cfg);
  // As sophia-node: one sharing scheduler thread.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{ cfg };
  auto raw = sys.spawn(raw_provider);
  auto kit = toolkit_provider(sys);
  auto machine = probe_machine();
  run(sys, raw, 2000); // warm-up
  run(sys, kit, 2000);
  std::vector<run_result> raws, kits;
  for (int r = 0; r < rounds; ++r) {
    // Alternate which goes first.
    if (r % 2 == 0) {
      raws.push_back(run(sys, raw, calls));
      kits.push_back(run(sys, kit, calls));
    } else {
      kits.push_back(run(sys, kit, calls));
      raws.push_back(run(sys, raw, calls));
    }
  }
  auto median = [](std::vector<run_result> v, auto f) {
    std::vector<double> xs;
    for (auto& x : v) xs.push_back(f(x));
    return quantile(xs, 0.5);
  };
  auto rate = [](const run_result& r) { return r.calls_per_s; };
  auto p50 = [](const run_result& r) { return r.lat.p50; };
  auto p99 = [](const run_result& r) { return r.lat.p99; };
  double raw_rate = median(raws, rate), kit_rate = median(kits, rate);
  double raw_p50 = median(raws, p50), kit_p50 = median(kits, p50);
  std::cout << "Service toolkit cost per call - " << machine.nproc << " cores, "
            << machine.cpu_model << ", load " << machine.load1_at_start << " at start; "
            << rounds << " rounds of " << calls
            << " sequential calls each, alternating; medians; CAF sharing/1\n\n"
            << " provider   calls/s   p50 us   p99 us   per call us\n";
  auto row = [&](const char* name, double r, double a, double b) {
    std::printf(" %-8s %9.0f %8.1f %8.1f %12.2f\n", name, r, a, b, 1e6 / r);
  };
  row("raw", raw_rate, raw_p50, median(raws, p99));
  row("toolkit", kit_rate, kit_p50, median(kits, p99));
  auto cost = 1e6 / kit_rate - 1e6 / raw_rate;
  std::printf("\ntoolkit's own cost: %+.2f us per call (%+.1f %% of a raw call)\n",
              cost, 100.0 * cost / (1e6 / raw_rate));
  json doc = { { "machine", { { "nproc", machine.nproc }, { "cpu", machine.cpu_model },
                              { "load1_at_start", machine.load1_at_start } } },
               { "rounds", rounds },
               { "calls", calls },
               { "raw", { { "calls_per_s", raw_rate }, { "p50_us", raw_p50 } } },
               { "toolkit", { { "calls_per_s", kit_rate }, { "p50_us", kit_p50 } } },
               { "toolkit_cost_us_per_call", cost } };
  std::ofstream{ out } << doc.dump(2) << "\n";
  std::cout << "JSON: " << out << "\n";
  caf::anon_send_exit(raw, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(kit, caf::exit_reason::user_shutdown);
  return 0;
}
