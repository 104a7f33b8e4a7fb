#include "report.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sophia::bench {

namespace {

using json = nlohmann::ordered_json;

json summary_json(const latency_summary& s) {
  return { { "count", s.count }, { "p50_us", s.p50 },   { "p90_us", s.p90 },
           { "p99_us", s.p99 },  { "p999_us", s.p999 }, { "mean_us", s.mean },
           { "max_us", s.max } };
}

std::string default_sched() {
  runtime::config::cluster_config c;
  return c.scheduler_policy + "/" + std::to_string(c.scheduler_threads);
}

} // namespace

std::vector<check> evaluate(const supervision_report& r) {
  std::vector<check> out;
  auto at_most = [&](std::string name, double v, std::string unit, double lim) {
    bench::at_most(out, std::move(name), v, std::move(unit), lim);
  };
  for (auto& x : r.restart)
    if (x.failed.empty())
      at_most("restart " + x.config.label() + " p99",
              x.from_exit.p99,
              "us",
              r.goal.restart_p99_us);
  evaluate_failover(r, out);
  return out;
}

std::string render_table(const supervision_report& r) {
  auto& g = r.goal;
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  line(title_line(
    "supervision", r.started_at, r.machine, r.total_seconds, r.quick));
  if (!r.restart.empty()) {
    line("");
    line(fmt::format(
      "1. Restart of a crashed local worker: one_for_one supervisor "
      "(intensity 1000000 per 1 s: it never gives up), one permanent worker. "
      "The worker quits with an error, the supervisor starts a new one, a "
      "probe actor pings it. {} crashes per scheduler after {} warm-up. "
      "Latency in us from the worker's exit to the new worker's answer; "
      "'send' counts from sending the crash message. Target p99 <= {:.0f}.",
      r.restart_cfg.runs,
      r.restart_cfg.warmup,
      g.restart_p99_us));
    line(fmt::format("  {:<11} {:>8} {:>8} {:>8} {:>8} {:>8}  {:<7} {:>9} "
                     "{:>9} {:>9}",
                     "scheduler",
                     "p50",
                     "p90",
                     "p99",
                     "p99.9",
                     "max",
                     "p99",
                     "send p50",
                     "send p99",
                     "restarts"));
    for (auto& x : r.restart) {
      if (!x.failed.empty()) {
        line(fmt::format("  {:<11} FAILED: {}", x.config.label(), x.failed));
        continue;
      }
      auto& s = x.from_exit;
      line(fmt::format("  {:<11} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f}"
                       "  {:<7} {:>9.1f} {:>9.1f} {:>9}",
                       x.config.label(),
                       s.p50,
                       s.p90,
                       s.p99,
                       s.p999,
                       s.max,
                       verdict(s.p99 <= g.restart_p99_us),
                       x.from_send.p50,
                       x.from_send.p99,
                       x.restarts_reported));
    }
    line(fmt::format("  {} is a node's default scheduler. restarts = what the "
                     "supervisor reports afterwards; expected {} (warm-up "
                     "included).",
                     default_sched(),
                     r.restart_cfg.warmup + r.restart_cfg.runs));
  }
  if (r.failover) render_failover(r, out);
  auto checks = evaluate(r);
  auto passed = std::count_if(
    checks.begin(), checks.end(), [](const check& c) { return c.pass; });
  line("");
  line(fmt::format("Targets met: {} of {}", passed, checks.size()));
  return out;
}

json to_json(const supervision_report& r) {
  json doc;
  doc["benchmark"] = "sophia-bench-supervision";
  doc["command"] = r.command;
  doc["started_at"] = r.started_at;
  doc["total_seconds"] = r.total_seconds;
  doc["quick"] = r.quick;
  doc["machine"] = machine_json(r.machine);
  auto& p = r.failover_cfg;
  doc["params"] = { { "node_bin", r.node_bin },
                    { "restart",
                      { { "runs", r.restart_cfg.runs },
                        { "warmup", r.restart_cfg.warmup } } },
                    { "failover",
                      { { "role", p.role },
                        { "runs", p.runs },
                        { "retry_ms", p.retry.count() },
                        { "call_deadline_ms", p.call_deadline.count() },
                        { "settle_ms", p.settle.count() },
                        { "takeover_on_n3", p.takeover_on_n3 },
                        { "heartbeat_ms", p.heartbeat_ms },
                        { "failure_timeout_ms", p.failure_timeout_ms } } } };
  json restart = json::array();
  for (auto& x : r.restart)
    restart.push_back({ { "scheduler", x.config.label() },
                        { "load1_at_start", x.load1 },
                        { "failed", x.failed },
                        { "seconds", x.seconds },
                        { "from_exit", summary_json(x.from_exit) },
                        { "from_send", summary_json(x.from_send) },
                        { "restarts_reported", x.restarts_reported } });
  doc["restart"] = restart;
  if (r.failover) doc["failover"] = failover_json(r);
  json checks = json::array();
  for (auto& c : evaluate(r))
    checks.push_back({ { "name", c.name },
                       { "value", c.value },
                       { "unit", c.unit },
                       { "op", c.op },
                       { "limit", c.limit },
                       { "verdict", verdict(c.pass) } });
  doc["checks"] = checks;
  return doc;
}

} // namespace sophia::bench
