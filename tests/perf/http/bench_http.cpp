// sophia-bench-http: Sophia's HTTP client actor vs a plain libcurl multi
// loop, against a local nginx, same requests and concurrency, alternating
// rounds in one run.
//
//   sophia-bench-http [--out FILE.json] [--quick] [--rounds N] ...
//
// Every figure printed is measured in this run; nothing is carried over.

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http_load.hpp"
#include "runtime/http/client.hpp"
#include "runtime/system/allocator.hpp"
#include "runtime/system/io_scheduler.hpp"

namespace {

using namespace sophia::bench;
using namespace sophia::bench::http;
using json = nlohmann::ordered_json;

constexpr const char* usage = R"(usage: sophia-bench-http [options]

  --out FILE           JSON results (default: <build>/bench/http.json)
  --quick              small runs (~10 s), for a smoke test; figures are rough
  --rounds N           measured rounds; each runs both clients, in
                       alternating order (default 10)
  --concurrency LIST   concurrent callers (default 1,64)
  --requests N         requests per run at concurrency 1 (default 2000);
                       other concurrencies run 8x as many
  --threads N          CAF scheduler threads (default 1, as sophia-node)
  --policy NAME        CAF scheduler policy, stealing or sharing
                       (default sharing, as sophia-node)
  --nginx PATH         the nginx binary (default /usr/sbin/nginx)
  --no-pin             let the kernel place nginx and the clients (by
                       default nginx's worker runs on the last CPU and
                       both clients on the others, the same for both)
  --keep-logs          keep nginx's directory
  --only CLIENT        run one client, sophia, libcurl or actor (to
                       profile it alone, e.g. under perf); no comparison

Each round also runs the same callers against an actor that answers at
once, without HTTP ("actor"): what the actor hop alone costs per request.
)";

struct options {
  std::string out;
  std::string nginx = "/usr/sbin/nginx";
  bool quick = false;
  bool keep_logs = false;
  bool pin = true;
  /// Empty: both clients; else only this one.
  std::string only;
  // Many short rounds rather than a few long ones: a neighbour's burst on a
  // shared VM then skews one round of one client, not the pooled figure.
  size_t rounds = 10;
  std::vector<size_t> concurrency{ 1, 64 };
  size_t requests = 2000;
  // Sophia's node defaults (cluster.conf's scheduler section).
  size_t threads = 1;
  std::string policy = "sharing";
};

size_t to_count(const std::string& flag, const std::string& text) {
  size_t end = 0;
  auto n = std::stoull(text, &end);
  if (end != text.size() || n == 0)
    throw std::invalid_argument(flag + " needs a positive number, got '" + text
                                + "'");
  return n;
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return false;
    } else if (arg == "--quick") {
      o.quick = true;
      o.rounds = 1;
      o.requests = 500;
    } else if (arg == "--out") {
      o.out = value();
    } else if (arg == "--rounds") {
      o.rounds = to_count(arg, value());
    } else if (arg == "--requests") {
      o.requests = to_count(arg, value());
    } else if (arg == "--threads") {
      o.threads = to_count(arg, value());
    } else if (arg == "--policy") {
      o.policy = value();
      if (o.policy != "stealing" && o.policy != "sharing")
        throw std::invalid_argument("--policy: stealing or sharing, got '"
                                    + o.policy + "'");
    } else if (arg == "--nginx") {
      o.nginx = value();
    } else if (arg == "--no-pin") {
      o.pin = false;
    } else if (arg == "--only") {
      o.only = value();
      if (o.only != "sophia" && o.only != "libcurl" && o.only != "actor")
        throw std::invalid_argument("--only: sophia, libcurl or actor, got '"
                                    + o.only + "'");
    } else if (arg == "--keep-logs") {
      o.keep_logs = true;
    } else if (arg == "--concurrency") {
      o.concurrency.clear();
      std::istringstream in{ value() };
      for (std::string c; std::getline(in, c, ',');)
        o.concurrency.push_back(to_count(arg, c));
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (o.out.empty()) o.out = self_dir() + "/../bench/http.json";
  return true;
}

/// Where the benchmark's threads run.
struct placement {
  /// nginx's worker; -1: not pinned.
  int server_cpu = -1;
  std::vector<int> client_cpus;

  std::string text() const {
    if (server_cpu < 0) return "not pinned";
    std::string cpus;
    for (auto c : client_cpus)
      cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    return fmt::format("nginx on CPU {}, both clients on CPU {}", server_cpu,
                       cpus);
  }
};

/// Keeps the calling thread, and every thread it starts later, off the
/// last CPU it may use, which nginx gets. Left to itself the kernel puts a
/// ping-pong's two ends on one CPU in some runs and on two in others, and
/// on this 2-core VM a wake-up across CPUs costs some 35 us: one client
/// measured 15 us or 100 us per request from run to run. Pinned, both
/// clients see the same costs, as against a server on another machine.
placement pin_clients() {
  placement out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2)
    return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.client_cpus.push_back(c);
  out.server_cpu = out.client_cpus.back();
  out.client_cpus.pop_back();
  CPU_CLR(out.server_cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return placement{};
  return out;
}

/// User plus system CPU time of this process (nginx is another), seconds.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

size_t requests_at(const options& o, size_t c) {
  return c == 1 ? o.requests : o.requests * 8;
}

/// All runs of one client at one concurrency, pooled.
struct pooled {
  size_t requests = 0;
  size_t errors = 0;
  double seconds = 0;
  std::vector<double> rps;
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> cpu_us;

  void add(const run_result& r) {
    cpu_us.push_back(r.cpu_us_per_request);
    requests += r.requests;
    errors += r.errors;
    seconds += r.seconds;
    rps.push_back(r.rps);
    p50.push_back(r.latency.p50);
    p99.push_back(r.latency.p99);
  }

  double total_rps() const { return seconds > 0 ? requests / seconds : 0; }

  static double median(std::vector<double> xs) { return quantile(xs, 0.5); }
};

json run_json(const run_result& r) {
  return { { "client", r.client },         { "concurrency", r.concurrency },
           { "requests", r.requests },     { "errors", r.errors },
           { "seconds", r.seconds },       { "rps", r.rps },
           { "p50_us", r.latency.p50 },    { "p99_us", r.latency.p99 },
           { "max_us", r.latency.max },    { "new_connections", r.new_connections },
           { "cpu_us_per_request", r.cpu_us_per_request } };
}

int run(const options& o, const std::string& command) {
  auto machine = probe_machine();
  auto started_at = now_utc();
  auto t_start = bench_clock::now();
  if (access(o.nginx.c_str(), X_OK) != 0)
    throw std::runtime_error(o.nginx + " is not executable (install nginx-light:"
                                       " tools/setup, or pass --nginx PATH)");
  // Before any thread starts: they all inherit the clients' CPUs.
  auto pin = o.pin ? pin_clients() : placement{};
  // The node's allocator settings (runtime/system/setup.cpp), for both.
  sophia::runtime::system::keep_freed_memory();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto dir = make_temp_dir("sophia-bench-http");
  std::vector<run_result> runs;
  json doc;
  long ours_new = 0;
  long server_new = 0;
  {
    nginx_server srv{ o.nginx, dir, pin.server_cpu };
    auto url = srv.url();
    progress("nginx on " + url);
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", o.threads);
    cfg.set("scheduler.policy", caf::atom_from_string(o.policy));
    // As sophia-node does (runtime/system/setup.cpp).
    if (o.policy == "sharing") sophia::runtime::system::load_io_scheduler(cfg);
    caf::actor_system sys{ cfg };
    auto client = sophia::runtime::http::spawn_client(sys);
    plain_curl plain;
    // Warm-up: every connection either client will need is opened here.
    bool run_plain = o.only.empty() || o.only == "libcurl";
    bool run_ours = o.only.empty() || o.only == "sophia";
    bool run_actor = o.only.empty() || o.only == "actor";
    auto answering = spawn_answering_actor(sys);
    for (auto c : o.concurrency) {
      if (run_plain) plain.run(url, c, c * 20);
      if (run_ours) {
        open_connections(sys, client, url, c);
        run_sophia(sys, client, url, c, c * 20);
      }
    }
    auto ours0 = sophia_connections(sys, client);
    auto server0 = srv.accepted();
    for (size_t round = 0; round < o.rounds; ++round)
      for (auto c : o.concurrency) {
        auto n = requests_at(o, c);
        // Alternate which client goes first, so drift hits both alike.
        bool ours_first = (round + (c > 1)) % 2 == 0;
        for (int k = 0; k < 2; ++k) {
          bool ours = (k == 0) == ours_first;
          if (!(ours ? run_ours : run_plain)) continue;
          auto cpu0 = process_cpu_seconds();
          auto r = ours ? run_sophia(sys, client, url, c, n)
                        : plain.run(url, c, n);
          if (r.requests > 0)
            r.cpu_us_per_request = (process_cpu_seconds() - cpu0) * 1e6
                                   / static_cast<double>(r.requests);
          progress(fmt::format("round {} c={} {:8}: {:.0f} req/s, p50 {:.0f} us,"
                               " p99 {:.0f} us, {:.1f} cpu us/req, {} errors",
                               round + 1, c, r.client, r.rps, r.latency.p50,
                               r.latency.p99, r.cpu_us_per_request, r.errors));
          runs.push_back(std::move(r));
        }
        if (!run_actor) continue;
        auto cpu0 = process_cpu_seconds();
        auto r = run_sophia(sys, answering, url, c, n, "actor");
        if (r.requests > 0)
          r.cpu_us_per_request = (process_cpu_seconds() - cpu0) * 1e6
                                 / static_cast<double>(r.requests);
        progress(fmt::format("round {} c={} actor   : {:.0f} req/s, {:.1f} cpu"
                             " us/req", round + 1, c, r.rps,
                             r.cpu_us_per_request));
        runs.push_back(std::move(r));
      }
    ours_new = sophia_connections(sys, client) - ours0;
    // The status reads use one connection of their own, opened in warm-up.
    server_new = srv.accepted() - server0;
    for (auto& r : runs)
      if (r.client == "sophia") r.new_connections = -1; // per run: see total
    caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(answering, caf::exit_reason::user_shutdown);
  }
  // Pool per (concurrency, client).
  std::map<size_t, std::map<std::string, pooled>> pools;
  for (auto& r : runs)
    pools[r.concurrency][r.client].add(r);
  std::vector<check> checks;
  std::string table;
  auto line = [&](const std::string& s) { table += s + "\n"; };
  auto total_s = std::chrono::duration<double>(bench_clock::now() - t_start)
                   .count();
  line(title_line("HTTP client", started_at, machine, total_s, o.quick));
  line(fmt::format("nginx {} on loopback, GET of a 17-byte body, keep-alive;"
                   " {} round(s), alternating order; CAF scheduler {}/{}; {}",
                   o.nginx, o.rounds, o.policy, o.threads, pin.text()));
  line("");
  line(fmt::format("{:>5}  {:8}  {:>12}  {:>10}  {:>10}  {:>12}  {:>8}  {:>6}",
                   "conc", "client", "req/s", "p50 us", "p99 us",
                   "cpu us/req", "errors", "vs curl"));
  json summary = json::object();
  std::vector<std::string> spreads;
  for (auto& [c, by] : pools) {
    auto& plain = by["libcurl"];
    auto& ours = by["sophia"];
    double ratio = plain.total_rps() > 0 ? 100 * ours.total_rps()
                                             / plain.total_rps()
                                         : 0;
    for (auto* name : { "libcurl", "sophia", "actor" }) {
      if (!o.only.empty() && o.only != name) continue;
      if (by.count(name) == 0) continue;
      auto& p = by[name];
      line(fmt::format("{:>5}  {:8}  {:>12.0f}  {:>10.0f}  {:>10.0f}  {:>12.1f}"
                       "  {:>8}  {:>6}",
                       c, name, p.total_rps(), pooled::median(p.p50),
                       pooled::median(p.p99), pooled::median(p.cpu_us),
                       p.errors,
                       std::string{ name } == "sophia" && o.only.empty()
                         ? fmt::format("{:.1f} %", ratio)
                         : std::string{ "" }));
      summary[std::to_string(c)][name] = {
        { "rps", p.total_rps() },
        { "p50_us_median", pooled::median(p.p50) },
        { "p99_us_median", pooled::median(p.p99) },
        { "cpu_us_per_request_median", pooled::median(p.cpu_us) },
        { "errors", p.errors },
      };
    }
    if (!o.only.empty()) continue; // nothing to compare with
    summary[std::to_string(c)]["throughput_ratio_pct"] = ratio;
    // Round by round (both clients ran back to back): how much the
    // machine moved under the pooled figure.
    std::vector<double> per_round;
    for (size_t i = 0; i < ours.rps.size() && i < plain.rps.size(); ++i)
      if (plain.rps[i] > 0) per_round.push_back(100 * ours.rps[i] / plain.rps[i]);
    if (!per_round.empty()) {
      auto [lo, hi] = std::minmax_element(per_round.begin(), per_round.end());
      auto mid = pooled::median(per_round);
      spreads.push_back(fmt::format("c={}: sophia/libcurl per round {:.0f} to"
                                    " {:.0f} %, median {:.1f} %",
                                    c, *lo, *hi, mid));
      summary[std::to_string(c)]["round_ratio_pct"] = {
        { "min", *lo }, { "median", mid }, { "max", *hi } };
    }
    at_least(checks, fmt::format("throughput_vs_libcurl_c{}", c), ratio, "%",
             90);
  }
  for (auto& sp : spreads)
    line(sp);
  at_most(checks, "sophia_new_connections_after_warmup",
          static_cast<double>(ours_new), "connections", 0);
  at_most(checks, "server_accepted_after_warmup",
          static_cast<double>(server_new), "connections", 0);
  line("");
  line(fmt::format("new connections after warm-up: sophia {} (CURLINFO_NUM_"
                   "CONNECTS), nginx accepted {} (both clients)",
                   ours_new, server_new));
  size_t passed = 0;
  for (auto& ch : checks) {
    passed += ch.pass;
    line(fmt::format("  {} {:40} {:>10.1f} {} {} {}", verdict(ch.pass), ch.name,
                     ch.value, ch.op, ch.limit, ch.unit));
  }
  line(fmt::format("Targets met: {} of {}", passed, checks.size()));
  doc["benchmark"] = "http";
  doc["command"] = command;
  doc["started_at"] = started_at;
  doc["seconds"] = total_s;
  doc["quick"] = o.quick;
  doc["machine"] = machine_json(machine);
  doc["server"] = { { "nginx", o.nginx } };
  doc["placement"] = { { "server_cpu", pin.server_cpu },
                       { "client_cpus", pin.client_cpus },
                       { "text", pin.text() } };
  doc["scheduler"] = { { "policy", o.policy }, { "threads", o.threads } };
  doc["summary"] = summary;
  doc["new_connections_after_warmup"] = { { "sophia", ours_new },
                                          { "nginx_accepted", server_new } };
  json jruns = json::array();
  for (auto& r : runs)
    jruns.push_back(run_json(r));
  doc["runs"] = jruns;
  json jchecks = json::array();
  for (auto& ch : checks)
    jchecks.push_back({ { "name", ch.name }, { "value", ch.value },
                        { "unit", ch.unit }, { "op", ch.op },
                        { "limit", ch.limit }, { "pass", ch.pass } });
  doc["checks"] = jchecks;
  publish(table, doc.dump(2), o.out, dir, o.keep_logs);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  return bench_main(
    "sophia-bench-http", usage, argc, argv, [&] { return parse(argc, argv, o); },
    [&](const std::string& command) { return run(o, command); });
}
