// sophia-bench-soak: a 3-node cluster under steady MCP load for many
// minutes, with a node killed (kill -9) and restarted every few minutes.
//
//   node a: the edge;  node b: the conformance fixtures (role
//   data_intelligence, which fails over);  node c: its standby.
//
// The load (soak_load.hpp) calls, at --rate calls/s in all, a tool the edge
// answers itself and a tool on the fixtures' node, in turn, from
// --connections clients that end their session and open a new one every
// 200 calls. Every --kill-every minutes, the node running the fixtures is
// killed with SIGKILL (its role fails over to the other one) and restarted a
// second later. Once a minute: calls, errors by kind, latency and the RSS of
// every node. Targets: RSS flat (the last 10 minutes within 10 % of minutes
// 5-10), no error but calls in flight on a killed node, each answered with
// an isError result within 1 s of the kill.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "runtime/testing/ports.hpp"
#include "tests/perf/edge/mcp_client.hpp"
#include "tests/perf/soak/soak_load.hpp"

namespace {

using namespace sophia::bench;
using namespace std::chrono_literals;
using ojson = nlohmann::ordered_json;
using soak::outcome;

constexpr const char* usage = R"(usage: sophia-bench-soak [options]
  --minutes N         how long (30)
  --rate R            calls/s in all, half to each tool (1000)
  --connections N     MCP clients (64)
  --kill-every N      minutes between kills of the fixtures' node (5)
  --remote-ms N       how long the tool on the other node works (50)
  --node-bin PATH     the sophia-node binary (default: next to this binary)
  --out FILE          JSON results (default soak.json)
  --keep              keep the nodes' logs (also kept when a target is missed)
)";

struct options {
  int minutes = 30;
  double rate = 1000;
  size_t connections = 64;
  int kill_every = 5;
  int remote_ms = 50;
  std::string node_bin;
  std::string out = "soak.json";
  bool keep = false;
};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// One node of the soak cluster.
struct node {
  std::string name;
  uint16_t port = 0;
  child_process proc;
  int starts = 0;
};

/// The cluster: a (edge), b (fixtures, fail-over role), c (standby).
class cluster {
public:
  cluster(std::string bin, std::string dir)
    : bin_(std::move(bin))
    , dir_(std::move(dir)) {
    for (auto n : { "a", "b", "c" })
      nodes_.push_back(
        node{ n, sophia::runtime::testing::reserve_port(), {}, 0 });
    std::ofstream conf{ conf_path() };
    conf << "[cluster]\nname = \"soak\"\nheartbeat_ms = 200\n"
            "failure_timeout_ms = 1500\nlog_level = \"info\"\n\n"
            "[edge]\nport = 0\n\n"
            "[conformance]\nenabled = true\nrole = \"data_intelligence\"\n\n"
            "[roles.data_intelligence]\nfailover = true\n";
    for (auto& n : nodes_)
      conf << "\n[[node]]\nname = \"" << n.name << "\"\nhost = \"127.0.0.1\"\n"
           << "port = " << n.port << "\nroles = "
           << (n.name == "a"   ? "[\"edge\"]"
               : n.name == "b" ? "[\"data_intelligence\"]"
                               : "[]")
           << "\nstandby = "
           << (n.name == "a" ? "[]" : "[\"data_intelligence\"]") << "\n";
    if (!conf) throw std::runtime_error("cannot write " + conf_path());
  }

  std::string conf_path() const { return dir_ + "/cluster.conf"; }
  std::string log_path(const std::string& n) const {
    return dir_ + "/" + n + ".log";
  }

  node& at(const std::string& name) {
    for (auto& n : nodes_)
      if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
  }

  std::vector<node>& nodes() { return nodes_; }

  void start(const std::string& name) {
    auto& n = at(name);
    n.proc = child_process::spawn(
      { bin_, "--config", conf_path(), "--node", name }, log_path(name));
    ++n.starts;
  }

  /// The edge's URL, once its log says where it serves.
  std::string edge_url(std::chrono::seconds max) {
    auto until = std::chrono::steady_clock::now() + max;
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in{ log_path("a") };
      std::string line;
      while (std::getline(in, line))
        if (auto at = line.find("serving http://"); at != std::string::npos) {
          auto url = line.substr(at + 8);
          return url.substr(0, url.find(' '));
        }
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("the edge did not say where it serves within " +
                             std::to_string(max.count()) + " s:\n" +
                             tail_file(log_path("a"), 20));
  }

private:
  std::string bin_;
  std::string dir_;
  std::vector<node> nodes_;
};

/// Whether a fresh session at `url` lists `tool`.
bool lists(const std::string& url, const std::string& tool) {
  namespace mcp = sophia::bench::mcp;
  auto ep = mcp::parse_url(url);
  mcp::asio::io_context io;
  mcp::tcp::resolver res(io);
  auto to = res.resolve(ep.host, ep.port);
  bool found = false;
  mcp::asio::co_spawn(
    io,
    [&]() -> mcp::awaitable<void> {
      mcp::connection c{ io };
      std::string error;
      if (!co_await mcp::open(c, to, ep, error) ||
          !co_await mcp::initialize(c, to, ep, "soak-probe", error))
        co_return;
      c.req.body() = R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})";
      c.req.prepare_payload();
      mcp::beast::error_code ec;
      auto r = co_await mcp::roundtrip(c, 2, ec);
      found = !ec && r.message &&
              r.message->dump().find('"' + tool + '"') != std::string::npos;
      co_await mcp::end_session(c, ep);
    },
    mcp::asio::detached);
  io.run();
  return found;
}

/// One minute of the run.
struct minute {
  int index = 0;
  soak::tally t;
  std::vector<double> rss_mb; // a, b, c
  std::string event;
};

/// A kill of the fixtures' node.
struct kill_record {
  int minute = 0;
  std::string node;
  int64_t at_unix_ms = 0;
  size_t failed_in_flight = 0;
  int64_t max_answer_ms = 0;
};

double mean(const std::vector<double>& xs) {
  return xs.empty() ? 0
                    : std::accumulate(xs.begin(), xs.end(), 0.0) /
                        static_cast<double>(xs.size());
}

int run(const options& o, const std::string& command) {
  auto machine = probe_machine();
  auto started_at = now_utc();
  auto t_start = bench_clock::now();
  auto dir = make_temp_dir("sophia-soak");
  cluster c{ o.node_bin, dir };
  for (auto n : { "a", "b", "c" })
    c.start(n);
  auto url = c.edge_url(30s);
  auto deadline = bench_clock::now() + 30s;
  while (!lists(url, "test_slow_tool")) {
    if (bench_clock::now() > deadline)
      throw std::runtime_error("the edge does not list the fixtures within "
                               "30 s; logs in " +
                               dir);
    std::this_thread::sleep_for(200ms);
  }
  std::cout << "soak: 3 nodes in " << dir << ", MCP at " << url << "; "
            << o.rate << " calls/s for " << o.minutes << " min, a kill every "
            << o.kill_every << " min\n"
            << std::flush;

  soak::load_options lo;
  lo.url = url;
  lo.rate = o.rate;
  lo.connections = o.connections;
  lo.remote_args = "{\"ms\":" + std::to_string(o.remote_ms) + "}";
  soak::load load{ lo };

  std::vector<minute> minutes;
  std::vector<kill_record> kills;
  std::string fixtures_on = "b"; // where the fail-over role runs now
  auto begin = bench_clock::now();
  for (int m = 1; m <= o.minutes; ++m) {
    std::this_thread::sleep_until(begin + std::chrono::minutes{ m });
    minute rec;
    rec.index = m;
    rec.t = load.take();
    for (auto& n : c.nodes())
      rec.rss_mb.push_back(sophia::bench::mcp::proc_rss_mb(n.proc.pid()));
    if (m % o.kill_every == 0 && m < o.minutes) {
      auto victim = fixtures_on;
      auto& n = c.at(victim);
      kill_record k;
      k.minute = m;
      k.node = victim;
      k.at_unix_ms = unix_ms();
      n.proc.signal(SIGKILL);
      n.proc.wait(5s);
      kills.push_back(k);
      rec.event = "kill -9 " + victim;
      fixtures_on = victim == "b" ? "c" : "b";
      std::this_thread::sleep_for(1s);
      c.start(victim);
      rec.event += ", restarted";
    }
    std::cout << fmt::format(
                   "  minute {:3}: {:6} calls, {:3} node_down, {:3} other "
                   "errors, RSS a {:.1f} b {:.1f} c {:.1f} MB{}",
                   m,
                   rec.t.calls(),
                   rec.t.by_outcome[static_cast<size_t>(outcome::node_down)],
                   rec.t.errors() -
                     rec.t.by_outcome[static_cast<size_t>(outcome::node_down)],
                   rec.rss_mb[0],
                   rec.rss_mb[1],
                   rec.rss_mb[2],
                   rec.event.empty() ? "" : "  <- " + rec.event)
              << "\n"
              << std::flush;
    minutes.push_back(std::move(rec));
  }
  load.stop();
  auto rest = load.take(); // what finished after the last minute's reading

  // -- totals and verdicts ----------------------------------------------------
  soak::tally total;
  std::vector<int64_t> node_down_at;
  auto add = [&](const soak::tally& t) {
    for (size_t i = 0; i < soak::outcome_count; ++i)
      total.by_outcome[i] += t.by_outcome[i];
    total.local_calls += t.local_calls;
    total.remote_calls += t.remote_calls;
    total.sessions_opened += t.sessions_opened;
    total.sessions_closed += t.sessions_closed;
    node_down_at.insert(
      node_down_at.end(), t.node_down_at_ms.begin(), t.node_down_at_ms.end());
    for (auto& [k, xs] : t.samples)
      for (auto& x : xs)
        if (total.samples[k].size() < 3) total.samples[k].push_back(x);
  };
  for (auto& m : minutes)
    add(m.t);
  add(rest);
  // Each node_down answer belongs to the last kill before it.
  size_t unmatched = 0;
  for (auto at : node_down_at) {
    kill_record* k = nullptr;
    for (auto& x : kills)
      if (x.at_unix_ms <= at) k = &x;
    if (k == nullptr) {
      ++unmatched;
      continue;
    }
    ++k->failed_in_flight;
    k->max_answer_ms = std::max(k->max_answer_ms, at - k->at_unix_ms);
  }
  auto node_down = total.by_outcome[static_cast<size_t>(outcome::node_down)];
  auto others = total.errors() - node_down;
  int64_t max_answer = 0;
  for (auto& k : kills)
    max_answer = std::max(max_answer, k.max_answer_ms);

  // RSS flat: the last 10 minutes against minutes 5-10 (scaled down for a
  // short run: the last third against the second quarter).
  int base_from = 5, base_to = 10, last_from = o.minutes - 9;
  bool short_run = o.minutes < 20;
  if (short_run) {
    base_from = std::max(1, o.minutes / 4);
    base_to = std::max(base_from, o.minutes / 2);
    last_from = std::max(base_to + 1, o.minutes - o.minutes / 3 + 1);
  }
  std::vector<check> checks;
  ojson rss_json = ojson::array();
  for (size_t n = 0; n < 3; ++n) {
    std::vector<double> base, last;
    for (auto& m : minutes) {
      if (m.index >= base_from && m.index <= base_to)
        base.push_back(m.rss_mb[n]);
      if (m.index >= last_from) last.push_back(m.rss_mb[n]);
    }
    auto b = mean(base);
    auto l = last.empty() ? 0 : *std::max_element(last.begin(), last.end());
    auto growth = b > 0 ? 100.0 * (l - b) / b : 0;
    auto name = c.nodes()[n].name;
    at_most(checks,
            "RSS growth of node " + name + " (max of minutes " +
              std::to_string(last_from) + "-" + std::to_string(o.minutes) +
              " vs mean of " + std::to_string(base_from) + "-" +
              std::to_string(base_to) + ")",
            growth,
            "%",
            10);
    rss_json.push_back({ { "node", name },
                         { "baseline_mb", b },
                         { "last_max_mb", l },
                         { "growth_percent", growth } });
  }
  at_most(checks,
          "errors other than calls in flight on a killed node",
          static_cast<double>(others + unmatched),
          "calls",
          0);
  at_most(checks,
          "slowest isError answer of a call in flight, after its kill",
          static_cast<double>(max_answer),
          "ms",
          1000);
  auto seconds =
    std::chrono::duration<double>(bench_clock::now() - begin).count();
  at_least(checks,
           "calls per second",
           static_cast<double>(total.calls()) / seconds,
           "calls/s",
           0.95 * o.rate);

  // -- the table -------------------------------------------------------------
  std::ostringstream table;
  auto total_s =
    std::chrono::duration<double>(bench_clock::now() - t_start).count();
  table << "\n"
        << title_line("soak", started_at, machine, total_s, short_run) << "\n"
        << fmt::format("  {:>6} {:>8} {:>8} {:>9} {:>7} {:>9} {:>9} {:>7} "
                       "{:>7} {:>7}  {}\n",
                       "minute",
                       "calls",
                       "ok",
                       "node_down",
                       "other",
                       "p50 us",
                       "p99 us",
                       "RSS a",
                       "RSS b",
                       "RSS c",
                       "event");
  ojson minutes_json = ojson::array();
  for (auto& m : minutes) {
    auto lat = m.t.latency_us;
    auto s = summarize(lat);
    auto nd = m.t.by_outcome[static_cast<size_t>(outcome::node_down)];
    table << fmt::format(
      "  {:>6} {:>8} {:>8} {:>9} {:>7} {:>9.0f} {:>9.0f} {:>7.1f} {:>7.1f} "
      "{:>7.1f}  {}\n",
      m.index,
      m.t.calls(),
      m.t.by_outcome[0],
      nd,
      m.t.errors() - nd,
      s.p50,
      s.p99,
      m.rss_mb[0],
      m.rss_mb[1],
      m.rss_mb[2],
      m.event);
    ojson errors = ojson::object();
    for (size_t i = 1; i < soak::outcome_count; ++i)
      if (m.t.by_outcome[i] > 0)
        errors[soak::to_string(static_cast<outcome>(i))] = m.t.by_outcome[i];
    minutes_json.push_back(
      { { "minute", m.index },
        { "calls", m.t.calls() },
        { "ok", m.t.by_outcome[0] },
        { "errors", errors },
        { "sessions_opened", m.t.sessions_opened },
        { "sessions_closed", m.t.sessions_closed },
        { "latency_us", { { "p50", s.p50 }, { "p99", s.p99 } } },
        { "rss_mb",
          { { "a", m.rss_mb[0] },
            { "b", m.rss_mb[1] },
            { "c", m.rss_mb[2] } } },
        { "event", m.event } });
  }
  table << fmt::format(
    "  calls {} ({} local, {} remote), ok {}, sessions opened {} and closed "
    "{}\n",
    total.calls(),
    total.local_calls,
    total.remote_calls,
    total.by_outcome[0],
    total.sessions_opened,
    total.sessions_closed);
  for (size_t i = 1; i < soak::outcome_count; ++i)
    if (total.by_outcome[i] > 0)
      table << fmt::format(
        "  {}: {}{}\n",
        soak::to_string(static_cast<outcome>(i)),
        total.by_outcome[i],
        total.samples.count(soak::to_string(static_cast<outcome>(i)))
          ? " (e.g. " +
              total.samples[soak::to_string(static_cast<outcome>(i))][0] + ")"
          : "");
  ojson kills_json = ojson::array();
  for (auto& k : kills) {
    table << fmt::format("  kill -9 {} at minute {}: {} calls in flight "
                         "failed, the last answered {} ms after the kill\n",
                         k.node,
                         k.minute,
                         k.failed_in_flight,
                         k.max_answer_ms);
    kills_json.push_back({ { "minute", k.minute },
                           { "node", k.node },
                           { "calls_in_flight_failed", k.failed_in_flight },
                           { "slowest_answer_ms", k.max_answer_ms } });
  }
  bool all = true;
  ojson checks_json = ojson::array();
  for (auto& x : checks) {
    all = all && x.pass;
    table << fmt::format("  {} {} = {:.1f} {} (target {} {:.0f})\n",
                         verdict(x.pass),
                         x.name,
                         x.value,
                         x.unit,
                         x.op,
                         x.limit);
    checks_json.push_back({ { "name", x.name },
                            { "value", x.value },
                            { "unit", x.unit },
                            { "op", x.op },
                            { "limit", x.limit },
                            { "pass", x.pass } });
  }
  ojson errors_total = ojson::object();
  for (size_t i = 1; i < soak::outcome_count; ++i)
    errors_total[soak::to_string(static_cast<outcome>(i))] =
      total.by_outcome[i];
  ojson out{
    { "benchmark", "soak" },
    { "started_at", started_at },
    { "command", command },
    { "machine",
      { { "nproc", machine.nproc },
        { "cpu", machine.cpu_model },
        { "kernel", machine.kernel },
        { "load1_at_start", machine.load1_at_start },
        { "load1_at_end", load_average() } } },
    { "settings",
      { { "minutes", o.minutes },
        { "rate", o.rate },
        { "connections", o.connections },
        { "kill_every_minutes", o.kill_every },
        { "local_tool", lo.local_tool },
        { "remote_tool", lo.remote_tool + " " + lo.remote_args },
        { "calls_per_session", lo.calls_per_session } } },
    { "calls", total.calls() },
    { "ok", total.by_outcome[0] },
    { "errors", errors_total },
    { "error_samples", total.samples },
    { "sessions_opened", total.sessions_opened },
    { "sessions_closed", total.sessions_closed },
    { "minutes", minutes_json },
    { "kills", kills_json },
    { "rss", rss_json },
    { "checks", checks_json },
  };
  for (auto& n : c.nodes())
    n.proc.terminate(3s);
  publish(table.str(), out.dump(2), o.out, dir, o.keep || !all);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  auto parse = [&] {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      auto number = [&](double lo) {
        auto v = value();
        size_t used = 0;
        double x = std::stod(v, &used);
        if (used != v.size() || x < lo)
          throw std::invalid_argument("bad value for " + a + ": '" + v + "'");
        return x;
      };
      if (a == "--help" || a == "-h") {
        std::cout << usage;
        return false;
      } else if (a == "--minutes") {
        o.minutes = static_cast<int>(number(1));
      } else if (a == "--rate") {
        o.rate = number(1);
      } else if (a == "--connections") {
        o.connections = static_cast<size_t>(number(1));
      } else if (a == "--kill-every") {
        o.kill_every = static_cast<int>(number(1));
      } else if (a == "--remote-ms") {
        o.remote_ms = static_cast<int>(number(0));
      } else if (a == "--node-bin") {
        o.node_bin = value();
      } else if (a == "--out") {
        o.out = value();
      } else if (a == "--keep") {
        o.keep = true;
      } else {
        throw std::invalid_argument("unknown argument '" + a + "'");
      }
    }
    if (o.node_bin.empty()) o.node_bin = self_dir() + "/sophia-node";
    return true;
  };
  return bench_main(
    "sophia-bench-soak", usage, argc, argv, parse, [&](auto cmd) {
      return run(o, cmd);
    });
}
