#include "bench_report.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace sophia::bench {

namespace {

using json = nlohmann::ordered_json;

/// "2.51 M", "31.2 k" or "950".
std::string rate(double x) {
  if (x >= 1e6) return fmt::format("{:.2f} M", x / 1e6);
  if (x >= 1e3) return fmt::format("{:.1f} k", x / 1e3);
  return fmt::format("{:.0f}", x);
}

std::string pct(double x) {
  return fmt::format("{:+.1f} %", x);
}

std::vector<double> downs(const std::vector<failure_run>& runs) {
  std::vector<double> out;
  for (auto& r : runs)
    if (r.down_ms >= 0) out.push_back(r.down_ms);
  return out;
}

std::vector<double> ups(const std::vector<failure_run>& runs) {
  std::vector<double> out;
  for (auto& r : runs)
    if (r.up_ms >= 0) out.push_back(r.up_ms);
  return out;
}

double max_of(const std::vector<double>& xs) {
  return xs.empty() ? 0 : *std::max_element(xs.begin(), xs.end());
}

size_t flaps(const std::vector<failure_run>& runs) {
  size_t n = 0;
  for (auto& r : runs)
    n += r.extra_events;
  return n;
}

/// Median and max of one kind of failure event, with its verdict (on the
/// max: every run must meet the target, not just a typical one).
struct detection_row {
  const char* key;
  const char* label;
  std::vector<double> xs;
  double limit;
};

std::vector<detection_row> detection_rows(const failure_result& f,
                                          const targets& g) {
  return {
    { "kill9_down", "kill -9    -> down", downs(f.kill), g.kill_down_ms },
    { "restart_up", "restart    -> up", ups(f.kill), g.up_ms },
    { "stop_down",
      "kill -STOP -> down",
      downs(f.stop),
      static_cast<double>(f.failure_timeout_ms) + g.stop_grace_ms },
    { "cont_up", "SIGCONT    -> up", ups(f.stop), g.up_ms },
  };
}

json summary_json(const latency_summary& s) {
  return { { "count", s.count }, { "p50_us", s.p50 },   { "p90_us", s.p90 },
           { "p99_us", s.p99 },  { "p999_us", s.p999 }, { "mean_us", s.mean },
           { "max_us", s.max } };
}

json runs_json(const std::vector<failure_run>& runs) {
  json out = json::array();
  for (auto& r : runs)
    out.push_back({ { "down_ms", r.down_ms },
                    { "up_ms", r.up_ms },
                    { "down_reason", r.down_reason },
                    { "events_after_up", r.extra_events },
                    { "events_after_up_detail", r.extra } });
  return out;
}

} // namespace

double latency_overhead_pct(double raw, double ours) {
  return raw > 0 ? (ours / raw - 1.0) * 100.0 : 0;
}

double rate_overhead_pct(double raw_per_s, double ours_per_s) {
  return ours_per_s > 0 ? (raw_per_s / ours_per_s - 1.0) * 100.0 : 0;
}

std::vector<check> evaluate(const report& r) {
  auto& g = r.goal;
  std::vector<check> out;
  auto at_least =
    [&](std::string name, double v, std::string unit, double lim) {
      bench::at_least(out, std::move(name), v, std::move(unit), lim);
    };
  auto at_most = [&](std::string name, double v, std::string unit, double lim) {
    bench::at_most(out, std::move(name), v, std::move(unit), lim);
  };
  for (auto& l : r.local) {
    auto tag = "local " + l.config.label();
    at_least(
      tag + " raw ping-pong", l.raw_msgs_per_s, "msgs/s", g.local_msgs_per_s);
    at_least(
      tag + " call helper", l.call_msgs_per_s, "msgs/s", g.local_msgs_per_s);
  }
  for (auto& c : r.cross) {
    if (!c.failed.empty()) continue;
    auto tag = "cross " + c.config.label();
    at_most(tag + " sequential raw p50", c.raw_seq.p50, "us", g.seq_p50_us);
    at_most(tag + " sequential raw p99", c.raw_seq.p99, "us", g.seq_p99_us);
    at_most(tag + " sequential ours p50", c.ours_seq.p50, "us", g.seq_p50_us);
    at_most(tag + " sequential ours p99", c.ours_seq.p99, "us", g.seq_p99_us);
    at_most(tag + " sequential overhead p50",
            latency_overhead_pct(c.raw_seq.p50, c.ours_seq.p50),
            "%",
            g.overhead_pct);
    for (auto& p : c.pipelined) {
      auto w = tag + " pipelined " + std::to_string(p.in_flight);
      at_least(w + " raw", p.raw_per_s, "req/s", g.pipelined_per_s);
      at_least(w + " ours", p.ours_per_s, "req/s", g.pipelined_per_s);
      at_most(w + " overhead",
              rate_overhead_pct(p.raw_per_s, p.ours_per_s),
              "%",
              g.overhead_pct);
    }
  }
  if (r.failure && r.failure->failed.empty())
    for (auto& row : detection_rows(*r.failure, g))
      at_most(std::string{ "failure " } + row.key + " max",
              max_of(row.xs),
              "ms",
              row.limit);
  return out;
}

std::string render_table(const report& r) {
  auto& g = r.goal;
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  line(
    title_line("runtime", r.started_at, r.machine, r.total_seconds, r.quick));
  if (!r.local.empty()) {
    line("");
    line(
      fmt::format("1. Local throughput in one process, msgs/s. Target >= {}.",
                  rate(g.local_msgs_per_s)));
    line(
      fmt::format("   ping-pong: raw CAF, {} round trips (2 msgs each). "
                  "call helper: async_call to a local runtime.echo, {} calls, "
                  "{} in flight ({} msgs each).",
                  r.local_cfg.round_trips,
                  r.local_cfg.calls,
                  r.local_cfg.in_flight,
                  msgs_per_local_call));
    line(
      fmt::format("   For reference, CAF request/response (2 msgs each, same "
                  "window) without a timeout and with a {} s one.",
                  local_timeout_s));
    line(fmt::format(
      "  {:<11} {:>10} {:<5} {:>10} {:>10} {:<5} {:>6} | {:>10} {:>10}",
      "scheduler",
      "ping-pong",
      "",
      "calls/s",
      "msgs/s",
      "",
      "errors",
      "req",
      "timed req"));
    for (auto& l : r.local)
      line(fmt::format(
        "  {:<11} {:>10} {:<5} {:>10} {:>10} {:<5} {:>6} | {:>10} {:>10}",
        l.config.label(),
        rate(l.raw_msgs_per_s),
        verdict(l.raw_msgs_per_s >= g.local_msgs_per_s),
        rate(l.calls_per_s),
        rate(l.call_msgs_per_s),
        verdict(l.call_msgs_per_s >= g.local_msgs_per_s),
        l.call_errors,
        rate(l.untimed_msgs_per_s),
        rate(l.timed_msgs_per_s)));
    for (auto& l : r.local)
      if (!l.first_error.empty())
        line(fmt::format(
          "  {}: first error: {}", l.config.label(), l.first_error));
  }
  if (!r.cross.empty()) {
    line("");
    line(
      fmt::format("2. Cross-node request/response, bench <-> remote "
                  "sophia-node on 127.0.0.1. RAW = CAF request to the remote "
                  "echo handle; OURS = call helper by name via the local "
                  "registry. Both nodes on the same scheduler."));
    line(fmt::format("  a) sequential from a scoped_actor, {} calls per side "
                     "after {} warm-up, latency in us. Targets p50 <= {:.0f}, "
                     "p99 <= {:.0f}, overhead <= {:.0f} %.",
                     r.cross_cfg.sequential,
                     r.cross_cfg.warmup,
                     g.seq_p50_us,
                     g.seq_p99_us,
                     g.overhead_pct));
    line(fmt::format(
      "  {:<11} {:<5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}  {:<8} {}",
      "scheduler",
      "path",
      "p50",
      "p90",
      "p99",
      "p99.9",
      "max",
      "errors",
      "p50",
      "p99"));
    for (auto& c : r.cross) {
      if (!c.failed.empty()) {
        line(fmt::format("  {:<11} FAILED: {}", c.config.label(), c.failed));
        continue;
      }
      auto row = [&](const char* path,
                     const latency_summary& s,
                     uint64_t errors,
                     const std::string& sched_label) {
        line(fmt::format("  {:<11} {:<5} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} "
                         "{:>8.1f} {:>6}  {:<8} {}",
                         sched_label,
                         path,
                         s.p50,
                         s.p90,
                         s.p99,
                         s.p999,
                         s.max,
                         errors,
                         verdict(s.p50 <= g.seq_p50_us),
                         verdict(s.p99 <= g.seq_p99_us)));
      };
      row("raw", c.raw_seq, c.raw_seq_errors, c.config.label());
      row("ours", c.ours_seq, c.ours_seq_errors, "");
      auto ov = latency_overhead_pct(c.raw_seq.p50, c.ours_seq.p50);
      line(
        fmt::format("  {:<11} {:<5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}  {:<8} "
                    "(p50, ours vs raw)",
                    "",
                    "ovh",
                    pct(ov),
                    "",
                    "",
                    "",
                    "",
                    "",
                    verdict(ov <= g.overhead_pct)));
    }
    line(fmt::format("  b) pipelined from an event-based actor, {} calls per "
                     "side and window, requests/s. Target >= {}, overhead "
                     "<= {:.0f} %.",
                     r.cross_cfg.pipelined,
                     rate(g.pipelined_per_s),
                     g.overhead_pct));
    line(fmt::format("  {:<11} {:>9} {:>10} {:<5} {:>10} {:<5} {:>9} {:<5} {}",
                     "scheduler",
                     "in flight",
                     "raw",
                     "",
                     "ours",
                     "",
                     "overhead",
                     "",
                     "errors raw/ours"));
    for (auto& c : r.cross) {
      if (!c.failed.empty()) continue;
      bool first = true;
      for (auto& p : c.pipelined) {
        auto ov = rate_overhead_pct(p.raw_per_s, p.ours_per_s);
        line(fmt::format(
          "  {:<11} {:>9} {:>10} {:<5} {:>10} {:<5} {:>9} {:<5} {}/{}",
          first ? c.config.label() : "",
          p.in_flight,
          rate(p.raw_per_s),
          verdict(p.raw_per_s >= g.pipelined_per_s),
          rate(p.ours_per_s),
          verdict(p.ours_per_s >= g.pipelined_per_s),
          pct(ov),
          verdict(ov <= g.overhead_pct),
          p.raw_errors,
          p.ours_errors));
        first = false;
      }
    }
    for (auto& c : r.cross)
      if (!c.first_error.empty())
        line(fmt::format(
          "  {}: first error: {}", c.config.label(), c.first_error));
    line("  overhead = extra time per call of OURS over RAW: ours/raw - 1 for "
         "latency, raw/ours - 1 for throughput.");
  }
  if (r.failure) {
    auto& f = *r.failure;
    line("");
    line(fmt::format("3. Failure detection by node bench's membership events "
                     "({}, heartbeat {} ms, failure timeout {} ms, {} "
                     "runs each). Verdict on the max.",
                     f.config.label(),
                     f.heartbeat_ms,
                     f.failure_timeout_ms,
                     r.failure_cfg.runs));
    if (!f.failed.empty()) line("  FAILED: " + f.failed);
    line(fmt::format("  {:<20} {:>5} {:>10} {:>10} {:>12}  {}",
                     "event",
                     "runs",
                     "median ms",
                     "max ms",
                     "target ms",
                     ""));
    for (auto& row : detection_rows(f, g))
      line(fmt::format("  {:<20} {:>5} {:>10.1f} {:>10.1f} {:>12}  {}",
                       row.label,
                       row.xs.size(),
                       quantile(row.xs, 0.5),
                       max_of(row.xs),
                       fmt::format("<= {:.0f}", row.limit),
                       row.xs.empty() ? "n/a"
                                      : verdict(max_of(row.xs) <= row.limit)));
    line(fmt::format("  state changes after recovery (flaps): {} after kill -9 "
                     "runs, {} after STOP runs",
                     flaps(f.kill),
                     flaps(f.stop)));
    for (auto* kind : { &f.kill, &f.stop })
      for (auto& run : *kind)
        if (!run.extra.empty()) {
          line("    e.g. " + run.extra);
          break;
        }
    // Either the failure detector ("no heartbeat for N ms") or CAF's own
    // connection timeout ("connection lost: ...") may see a hung peer first.
    std::map<std::string, size_t> causes;
    for (auto& run : f.stop) {
      auto& why = run.down_reason;
      if (why.rfind("no heartbeat", 0) == 0)
        ++causes["failure detector"];
      else if (why.rfind("connection lost", 0) == 0)
        ++causes["CAF connection timeout"];
      else
        ++causes[why];
    }
    std::string text;
    for (auto& [cause, n] : causes)
      text += fmt::format("{}{} {}x", text.empty() ? "" : ", ", cause, n);
    if (!text.empty()) line("  STOP detected by: " + text);
  }
  auto checks = evaluate(r);
  auto passed = std::count_if(
    checks.begin(), checks.end(), [](const check& c) { return c.pass; });
  line("");
  line(fmt::format("Targets met: {} of {}", passed, checks.size()));
  return out;
}

json to_json(const report& r) {
  json doc;
  doc["benchmark"] = "sophia-bench-runtime";
  doc["command"] = r.command;
  doc["started_at"] = r.started_at;
  doc["total_seconds"] = r.total_seconds;
  doc["quick"] = r.quick;
  doc["machine"] = machine_json(r.machine);
  doc["params"] = {
    { "node_bin", r.node_bin },
    { "local",
      { { "round_trips", r.local_cfg.round_trips },
        { "calls", r.local_cfg.calls },
        { "in_flight", r.local_cfg.in_flight },
        { "payload_bytes", r.local_cfg.payload } } },
    { "cross",
      { { "sequential", r.cross_cfg.sequential },
        { "warmup", r.cross_cfg.warmup },
        { "block", r.cross_cfg.block },
        { "pipelined", r.cross_cfg.pipelined },
        { "windows", r.cross_cfg.windows },
        { "rounds", r.cross_cfg.rounds },
        { "payload_bytes", r.cross_cfg.payload } } },
    { "failure",
      { { "runs", r.failure_cfg.runs },
        { "settle_ms", r.failure_cfg.settle.count() },
        { "heartbeat_ms", r.failure_cfg.heartbeat_ms },
        { "failure_timeout_ms", r.failure_cfg.failure_timeout_ms } } }
  };
  json local = json::array();
  for (auto& l : r.local)
    local.push_back({ { "scheduler", l.config.label() },
                      { "load1_at_start", l.load1 },
                      { "raw",
                        { { "round_trips", l.round_trips },
                          { "seconds", l.raw_seconds },
                          { "msgs_per_s", l.raw_msgs_per_s } } },
                      { "call_helper",
                        { { "calls", l.calls },
                          { "seconds", l.call_seconds },
                          { "calls_per_s", l.calls_per_s },
                          { "msgs_per_s", l.call_msgs_per_s },
                          { "msgs_per_call", msgs_per_local_call },
                          { "errors", l.call_errors } } },
                      { "caf_request",
                        { { "requests", l.requests },
                          { "msgs_per_s_no_timeout", l.untimed_msgs_per_s },
                          { "msgs_per_s_timeout", l.timed_msgs_per_s },
                          { "timeout_s", local_timeout_s } } },
                      { "first_error", l.first_error } });
  doc["local"] = local;
  json cross = json::array();
  for (auto& c : r.cross) {
    json pipes = json::array();
    for (auto& p : c.pipelined)
      pipes.push_back(
        { { "in_flight", p.in_flight },
          { "calls_per_side", p.calls },
          { "raw_per_s", p.raw_per_s },
          { "ours_per_s", p.ours_per_s },
          { "overhead_pct", rate_overhead_pct(p.raw_per_s, p.ours_per_s) },
          { "raw_errors", p.raw_errors },
          { "ours_errors", p.ours_errors } });
    cross.push_back(
      { { "scheduler", c.config.label() },
        { "load1_at_start", c.load1 },
        { "failed", c.failed },
        { "remote_startup_ms", c.startup_ms },
        { "sequential",
          { { "raw", summary_json(c.raw_seq) },
            { "ours", summary_json(c.ours_seq) },
            { "raw_errors", c.raw_seq_errors },
            { "ours_errors", c.ours_seq_errors },
            { "overhead_p50_pct",
              latency_overhead_pct(c.raw_seq.p50, c.ours_seq.p50) } } },
        { "pipelined", pipes },
        { "first_error", c.first_error } });
  }
  doc["cross_node"] = cross;
  if (r.failure) {
    auto& f = *r.failure;
    json kinds = json::object();
    for (auto& row : detection_rows(f, r.goal))
      kinds[row.key] = { { "event", row.label },
                         { "runs", row.xs.size() },
                         { "median_ms", quantile(row.xs, 0.5) },
                         { "max_ms", max_of(row.xs) },
                         { "target_ms", row.limit } };
    doc["failure_detection"] = { { "scheduler", f.config.label() },
                                 { "load1_at_start", f.load1 },
                                 { "heartbeat_ms", f.heartbeat_ms },
                                 { "failure_timeout_ms", f.failure_timeout_ms },
                                 { "failed", f.failed },
                                 { "summary", kinds },
                                 { "kill9", runs_json(f.kill) },
                                 { "stop", runs_json(f.stop) } };
  }
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
