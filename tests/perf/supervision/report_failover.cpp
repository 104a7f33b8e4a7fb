#include "report.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

// Part 2's share of the report: the fail-over table, verdicts and JSON.

namespace sophia::bench {

namespace {

using json = nlohmann::ordered_json;

/// Defaults of other runtimes, from their documentation (see
/// shared/reference/otp-supervisors-and-failure-detection.md): printed
/// beside our figures for scale, never measured here.
constexpr const char* anchors =
  "Akka/Pekko ~5.5 s to unreachable (~25 s to Down), Orleans ~15 s, "
  "Ray ~15-55 s, Erlang distribution 45-75 s";

/// One kind of failure with its derived samples and limits.
struct failover_row {
  const char* key;
  const char* label;
  const std::vector<failover_run>* runs;
  /// On the fail-over time: detection target plus the grace.
  double limit;
  std::vector<double> down, failover, after_down, back;
};

failover_row make_row(const char* key,
                      const char* label,
                      const std::vector<failover_run>& runs,
                      double detect,
                      const supervision_targets& g) {
  failover_row row{ key, label, &runs, detect + g.failover_grace_ms,
                    {},  {},    {},    {} };
  for (auto& r : runs) {
    if (r.down_ms >= 0) row.down.push_back(r.down_ms);
    if (r.failover_ms >= 0) row.failover.push_back(r.failover_ms);
    if (r.down_ms >= 0 && r.failover_ms >= 0)
      row.after_down.push_back(r.failover_ms - r.down_ms);
    if (r.converge_ms >= 0) row.back.push_back(r.converge_ms);
  }
  return row;
}

std::vector<failover_row> rows(const failover_result& f,
                               const supervision_targets& g) {
  return { make_row("kill9", "kill -9", f.kill, g.kill_detect_ms, g),
           make_row("stop",
                    "kill -STOP",
                    f.stop,
                    static_cast<double>(f.failure_timeout_ms),
                    g) };
}

double max_of(const std::vector<double>& xs) {
  return xs.empty() ? 0 : *std::max_element(xs.begin(), xs.end());
}

double median(const std::vector<double>& xs) {
  return quantile(xs, 0.5);
}

/// `f(xs)` in whole milliseconds, or "-" for no sample.
std::string ms(const std::vector<double>& xs,
               double (*f)(const std::vector<double>&)) {
  return xs.empty() ? "-" : fmt::format("{:.0f}", f(xs));
}

/// "n1 10x" or "n1 9x, n3 1x".
std::string answered_by(const std::vector<failover_run>& runs) {
  std::map<std::string, size_t> n;
  for (auto& r : runs)
    ++n[r.answered_by.empty() ? "none" : r.answered_by];
  std::string out;
  for (auto& [node, count] : n)
    out += fmt::format("{}{} {}x", out.empty() ? "" : ", ", node, count);
  return out;
}

/// One line of the table: 14 cells; a column's width and alignment, and
/// the separator before it.
std::string table_row(const std::vector<std::string>& cells) {
  struct column {
    int width;
    bool left;
    const char* sep;
  };
  static constexpr column columns[] = {
    { 10, true, "  " }, { 4, false, " " },   { 7, false, " | " },
    { 7, false, " " },  { 9, false, " | " }, { 7, false, " " },
    { 9, false, " " },  { 4, true, " " },    { 12, false, " | " },
    { 7, false, " " },  { 4, true, " " },    { 7, false, " | " },
    { 7, false, " " },  { 7, false, " " },
  };
  std::string out;
  for (size_t i = 0; i < std::size(columns) && i < cells.size(); ++i) {
    auto& c = columns[i];
    out += c.sep;
    out += c.left ? fmt::format("{:<{}}", cells[i], c.width)
                  : fmt::format("{:>{}}", cells[i], c.width);
  }
  return out;
}

} // namespace

void evaluate_failover(const supervision_report& r, std::vector<check>& out) {
  if (!r.failover || !r.failover->failed.empty()) return;
  auto at_most = [&](std::string name, double v, std::string unit, double lim) {
    bench::at_most(out, std::move(name), v, std::move(unit), lim);
  };
  for (auto& row : rows(*r.failover, r.goal)) {
    at_most(std::string{ "failover " } + row.key + " max",
            max_of(row.failover),
            "ms",
            row.limit);
    at_most(std::string{ "failover " } + row.key + " after detection max",
            max_of(row.after_down),
            "ms",
            r.goal.failover_grace_ms);
    at_most(std::string{ "failover " } + row.key + " runs not back to n2",
            static_cast<double>(row.runs->size() - row.back.size()),
            "runs",
            0);
  }
}

void render_failover(const supervision_report& r, std::string& out) {
  auto& g = r.goal;
  auto line = [&](std::string s) { out += s + "\n"; };
  auto& f = *r.failover;
  auto& p = r.failover_cfg;
  line("");
  line(fmt::format(
    "2. Role fail-over: n1 (this process) + n2, n3 (sophia-node processes) "
    "on 127.0.0.1, scheduler {}, heartbeat {} ms, failure timeout {} ms. "
    "{} runs on n2 (failover, move_back); n1 and n3 stand by; n1 leads{}. "
    "Fail-over = signal to n2 -> first successful `call role.{} info` from "
    "n1 (a new call every {} ms, {} ms deadline each). detect = n1's "
    "membership reports n2 down. {} runs per kind, ms; verdicts on the max.",
    f.config.label(),
    f.heartbeat_ms,
    f.failure_timeout_ms,
    f.role,
    f.takeover_on_n3 ? " and hands the role to n3" : "",
    f.role,
    p.retry.count(),
    p.call_deadline.count(),
    p.runs));
  if (!f.failed.empty()) line("  FAILED: " + f.failed);
  line(table_row({ "failure",
                   "runs",
                   "detect",
                   "max",
                   "fail-over",
                   "max",
                   "target",
                   "",
                   "after detect",
                   "target",
                   "",
                   "back",
                   "max",
                   "back" }));
  line(table_row(
    { "", "", "p50", "", "p50", "", "", "", "max", "", "", "p50", "", "ok" }));
  for (auto& row : rows(f, g)) {
    auto ok = !row.failover.empty();
    line(table_row(
      { row.label,
        std::to_string(row.runs->size()),
        ms(row.down, median),
        ms(row.down, max_of),
        ms(row.failover, median),
        ms(row.failover, max_of),
        fmt::format("<= {:.0f}", row.limit),
        ok ? verdict(max_of(row.failover) <= row.limit) : "n/a",
        ms(row.after_down, max_of),
        fmt::format("<= {:.0f}", g.failover_grace_ms),
        ok ? verdict(max_of(row.after_down) <= g.failover_grace_ms) : "n/a",
        ms(row.back, median),
        ms(row.back, max_of),
        fmt::format("{}/{}", row.back.size(), row.runs->size()) }));
  }
  for (auto& row : rows(f, g)) {
    std::string xs;
    for (auto& run : *row.runs)
      xs += fmt::format(" {:.0f}", run.failover_ms);
    if (!xs.empty())
      line(fmt::format("  {} fail-over per run:{} (answered by {})",
                       row.label,
                       xs,
                       answered_by(*row.runs)));
  }
  for (auto& row : rows(f, g)) {
    auto bad = row.runs->size() - row.back.size();
    auto first = std::find_if(
      row.runs->begin(), row.runs->end(), [](const failover_run& x) {
        return !x.back_failure.empty();
      });
    if (bad > 0 && first != row.runs->end())
      line(fmt::format("  {}: {} of {} runs did not get back to the role on "
                       "n2 alone; first: {}",
                       row.label,
                       bad,
                       row.runs->size(),
                       first->back_failure));
  }
  if (f.rebuilds > 0)
    line(fmt::format("  The cluster was started afresh {} time(s), each "
                     "after a run that did not get back.",
                     f.rebuilds));
  line(fmt::format("  target = detection target ({:.0f} ms for kill -9, the "
                   "failure timeout for STOP) + {:.0f} ms. back = n2 "
                   "restarted or SIGCONT -> n1 sees the role on n2 alone "
                   "again.",
                   g.kill_detect_ms,
                   g.failover_grace_ms));
  line(std::string{ "  For scale, other runtimes' default time to declare a "
                    "crashed or hung node down (their docs, not measured): " } +
       anchors + ". A fail-over starts only after that.");
}

json failover_json(const supervision_report& r) {
  auto& f = *r.failover;
  json kinds = json::object();
  for (auto& row : rows(f, r.goal)) {
    json runs = json::array();
    for (auto& x : *row.runs)
      runs.push_back({ { "down_ms", x.down_ms },
                       { "failover_ms", x.failover_ms },
                       { "answered_by", x.answered_by },
                       { "attempts", x.attempts },
                       { "last_error", x.last_error },
                       { "back_ms", x.converge_ms },
                       { "back_failure", x.back_failure } });
    kinds[row.key] = { { "failure", row.label },
                       { "detect_median_ms", median(row.down) },
                       { "detect_max_ms", max_of(row.down) },
                       { "failover_median_ms", median(row.failover) },
                       { "failover_max_ms", max_of(row.failover) },
                       { "failover_target_ms", row.limit },
                       { "after_detect_max_ms", max_of(row.after_down) },
                       { "back_median_ms", median(row.back) },
                       { "runs", runs } };
  }
  return { { "scheduler", f.config.label() },
           { "load1_at_start", f.load1 },
           { "heartbeat_ms", f.heartbeat_ms },
           { "failure_timeout_ms", f.failure_timeout_ms },
           { "role", f.role },
           { "startup_ms", f.startup_ms },
           { "failed", f.failed },
           { "rebuilds", f.rebuilds },
           { "kinds", kinds },
           { "reference_anchors", anchors } };
}

} // namespace sophia::bench
