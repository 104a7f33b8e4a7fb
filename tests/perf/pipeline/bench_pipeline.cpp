// sophia-bench-pipeline: the data pipeline's PostgreSQL ingest, records/s
// end to end (Airbyte message lines in -> committed in PostgreSQL), side by
// side in one run against a row-by-row loader and PostgreSQL's own COPY.
//
//   sophia-bench-pipeline [--records N] [--rounds N] [--out FILE.json] ...
//
// Every figure printed is measured in this run; nothing is carried over.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "loaders.hpp"
#include "measure.hpp"
#include "postgres_server.hpp"
#include "redis_server.hpp"
#include "records.hpp"
#include "runtime/system/allocator.hpp"

namespace {

using namespace sophia::bench;
using namespace sophia::bench::pipeline;
using json = nlohmann::ordered_json;

constexpr const char* usage = R"(usage: sophia-bench-pipeline [options]

  --records N        records in the stream (default 200000)
  --keys N           distinct primary keys, for append_dedup (default
                     records / 4)
  --state-every N    a STATE line after every N records (default 10000)
  --rounds N         measured rounds; each runs every row, in alternating
                     order, each in a fresh database (default 3)
  --only LIST        rows to run, of append,dedup,append-redis,
                     dedup-redis,row,copy,copy-nodata
                     (e.g. --only append to profile it); ratios need their
                     rows
  --out FILE         JSON results (default: <build>/bench/pipeline.json)

Rows: sophia append and append_dedup (lines -> ingest_session -> writer,
declared schema), and the same going on to Redis after each commit
(-> Redis, as the pipeline's worker does); row-by-row (nlohmann parse, one prepared INSERT per
record, a transaction per STATE interval); COPY (Sophia's rows for the
same records, formatted untimed, one COPY FROM STDIN: the ceiling); and
COPY without _airbyte_data (what the jsonb copy of the record costs the
server; not a target).
)";

struct options {
  input_params input;
  bool keys_given = false;
  size_t rounds = 3;
  std::vector<std::string> only;
  std::string out;
};

size_t to_count(const std::string& flag, const std::string& text) {
  size_t end = 0;
  auto n = std::stoull(text, &end);
  if (end != text.size() || n == 0)
    throw std::invalid_argument(flag + " needs a positive number, got '" + text
                                + "'");
  return n;
}

/// One row of the table.
struct row_spec {
  /// Its name in --only.
  std::string key;
  std::string label;
  bool dedup = false;
  /// Whether the row goes on to Redis (then checked there too).
  bool redis = false;
  std::function<load_result(const std::string&, const std::string&, const input&)>
    load;
};

std::vector<row_spec> all_rows() {
  return {
    {"append", "sophia append", false, false,
     [](auto& uri, auto&, auto& in) { return sophia_sync(uri, in, false); }},
    {"dedup", "sophia append_dedup", true, false,
     [](auto& uri, auto&, auto& in) { return sophia_sync(uri, in, true); }},
    {"append-redis", "sophia append -> Redis", false, true,
     [](auto& uri, auto& redis, auto& in) { return sophia_sync(uri, in, false, redis); }},
    {"dedup-redis", "sophia dedup -> Redis", true, true,
     [](auto& uri, auto& redis, auto& in) { return sophia_sync(uri, in, true, redis); }},
    {"row", "row-by-row INSERT", false, false,
     [](auto& uri, auto&, auto& in) { return row_by_row(uri, in); }},
    {"copy", "raw COPY (ceiling)", false, false,
     [](auto& uri, auto&, auto& in) { return raw_copy(uri, in, true); }},
    {"copy-nodata", "COPY w/o _airbyte_data", false, false,
     [](auto& uri, auto&, auto& in) { return raw_copy(uri, in, false); }},
  };
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
    } else if (arg == "--records") {
      o.input.records = to_count(arg, value());
    } else if (arg == "--keys") {
      o.input.keys = to_count(arg, value());
      o.keys_given = true;
    } else if (arg == "--state-every") {
      o.input.state_every = to_count(arg, value());
    } else if (arg == "--rounds") {
      o.rounds = to_count(arg, value());
    } else if (arg == "--out") {
      o.out = value();
    } else if (arg == "--only") {
      std::istringstream in{value()};
      auto rows = all_rows();
      for (std::string k; std::getline(in, k, ',');) {
        if (std::none_of(rows.begin(), rows.end(),
                         [&](auto& r) { return r.key == k; }))
          throw std::invalid_argument("--only: unknown row '" + k + "'");
        o.only.push_back(k);
      }
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (!o.keys_given) o.input.keys = std::max<size_t>(1, o.input.records / 4);
  if (o.out.empty()) o.out = self_dir() + "/../bench/pipeline.json";
  return true;
}

/// One row in one round.
struct round_result {
  std::string key;
  size_t round = 0;
  load_result load;
  double per_s = 0;
  double rss_before_mib = 0;
  double rss_after_mib = 0;
  /// The highest resident set during the round, over `rss_before_mib`.
  double peak_growth_mib = 0;
  size_t rows = 0;
  /// Empty when the table holds what it should.
  std::string problem;
};

/// A row's rounds, pooled.
struct row_summary {
  std::vector<double> per_s;
  std::vector<double> cpu_us;
  std::vector<double> server_us;
  double max_growth_mib = 0;
  double max_peak_growth_mib = 0;
  size_t failed = 0;
  /// Records/s up to the Redis stage ("-> in Redis"): that stage is being
  /// written separately; it fills this, and the table's last column.
  std::optional<double> in_redis_per_s;

  double median() const { return quantile(per_s, 0.5); }
};

std::string load_line() {
  std::ifstream in{"/proc/loadavg"};
  std::string s;
  std::getline(in, s);
  return s;
}

double mib(long kib) {
  return static_cast<double>(kib) / 1024;
}

/// Prints the table and writes the JSON (the server's directory went
/// with it: there is no work directory to keep, unlike `publish`'s).
void write_out(const std::string& table, const std::string& doc,
               const std::string& path) {
  std::cout << table << std::flush;
  std::filesystem::path out{path};
  if (out.has_parent_path())
    std::filesystem::create_directories(out.parent_path());
  std::ofstream file{out};
  file << doc << "\n";
  if (!file) throw std::runtime_error("cannot write " + path);
  std::cout << "JSON: " << std::filesystem::weakly_canonical(out).string()
            << "\n";
}

round_result run_round(sophia::tests::integration::postgres_server& srv,
                       sophia::tests::integration::redis_server* redis,
                       const row_spec& row, const input& in, size_t round) {
  round_result out;
  out.key = row.key;
  out.round = round;
  auto db = row.key;
  std::replace(db.begin(), db.end(), '-', '_'); // a plain SQL identifier
  auto name = fmt::format("bench_r{}_{}", round, db);
  srv.psql("CREATE DATABASE " + name);
  auto base = srv.uri();
  auto uri = base.substr(0, base.rfind('/') + 1) + name;
  bool peak_reset = reset_peak_rss();
  out.rss_before_mib = mib(rss_kib());
  std::string redis_uri;
  if (row.redis && redis) {
    redis->cli({"FLUSHALL"});
    redis_uri = redis->uri();
  }
  out.load = row.load(uri, redis_uri, in);
  out.rss_after_mib = mib(rss_kib());
  out.peak_growth_mib = peak_reset ? mib(peak_rss_kib()) - out.rss_before_mib
                                   : 0;
  if (out.load.seconds > 0)
    out.per_s = static_cast<double>(in.record_lines) / out.load.seconds;
  out.problem = out.load.error;
  if (out.problem.empty())
    out.problem = verify(uri, in, row.dedup, out.rows);
  if (out.problem.empty() && !redis_uri.empty())
    out.problem = verify_redis(
      redis->cli({"XLEN", std::string{"sophia:events:public."} + stream_name}),
      redis->cli({"EVAL", "return #redis.call('KEYS', ARGV[1])", "0",
                  std::string{"sophia:public."} + stream_name + ":*"}),
      in, row.dedup);
  // The tables go: the disk and the server's caches start alike each round.
  srv.psql("DROP DATABASE " + name);
  return out;
}

int run(const options& o, const std::string& command) {
  auto machine = probe_machine();
  auto started_at = now_utc();
  auto load_at_start = load_line();
  auto t_start = bench_clock::now();
  // The node's allocator settings (runtime/system/setup.cpp): the pipeline
  // runs in a node, and every row gets them alike.
  sophia::runtime::system::keep_freed_memory();
  std::vector<row_spec> rows;
  for (auto& r : all_rows())
    if (o.only.empty()
        || std::find(o.only.begin(), o.only.end(), r.key) != o.only.end())
      rows.push_back(r);
  progress(fmt::format("generating {} records ({} keys, a STATE every {})",
                       o.input.records, o.input.keys, o.input.state_every));
  auto in = generate(o.input);
  progress(fmt::format("{} lines, {:.1f} MiB", in.lines.size(),
                       static_cast<double>(in.bytes) / (1 << 20)));
  sophia::tests::integration::postgres_server srv;
  // Redis only for the rows that go on to it.
  std::unique_ptr<sophia::tests::integration::redis_server> redis;
  if (std::any_of(rows.begin(), rows.end(), [](auto& r) { return r.redis; }))
    redis = std::make_unique<sophia::tests::integration::redis_server>();
  auto settings = srv.psql(
    "SELECT string_agg(n || '=' || current_setting(n), ', ') FROM unnest("
    "ARRAY['server_version', 'fsync', 'synchronous_commit', "
    "'full_page_writes', 'wal_level', 'shared_buffers', 'max_wal_size', "
    "'autovacuum']) n");
  progress("PostgreSQL on " + srv.uri() + ": " + settings);
  std::vector<round_result> runs;
  for (size_t round = 1; round <= o.rounds; ++round) {
    // Alternate the order, so that drift hits every row alike.
    auto order = rows;
    if (round % 2 == 0) std::reverse(order.begin(), order.end());
    for (auto& r : order) {
      auto res = run_round(srv, redis.get(), r, in, round);
      progress(fmt::format(
        "round {} {:24}: {:9.0f} rec/s, {:.2f} s, cpu {:.2f} us/rec, pg {:.2f}"
        " us/rec, RSS {:.1f} -> {:.1f} MiB (peak +{:.1f}), {} rows{}",
        round, r.label, res.per_s, res.load.seconds,
        res.load.cpu_seconds * 1e6 / in.record_lines,
        res.load.server_cpu_seconds * 1e6 / in.record_lines,
        res.rss_before_mib, res.rss_after_mib, res.peak_growth_mib, res.rows,
        res.problem.empty() ? "" : " WRONG: " + res.problem));
      runs.push_back(std::move(res));
    }
  }
  std::map<std::string, row_summary> sums;
  for (auto& r : runs) {
    auto& s = sums[r.key];
    if (!r.problem.empty()) {
      ++s.failed;
      continue;
    }
    s.per_s.push_back(r.per_s);
    s.cpu_us.push_back(r.load.cpu_seconds * 1e6 / in.record_lines);
    s.server_us.push_back(r.load.server_cpu_seconds * 1e6 / in.record_lines);
    s.max_growth_mib = std::max(s.max_growth_mib,
                                r.rss_after_mib - r.rss_before_mib);
    s.max_peak_growth_mib = std::max(s.max_peak_growth_mib, r.peak_growth_mib);
  }
  auto median_of = [&](const std::string& key) -> double {
    auto i = sums.find(key);
    return i == sums.end() ? 0 : i->second.median();
  };
  // The "-> Redis" column: the same sync with the Redis stage after each
  // commit (its own rows, whose medians it shows beside the plain ones).
  for (auto [plain, with] : {std::pair{"append", "append-redis"},
                             std::pair{"dedup", "dedup-redis"}})
    if (sums.count(plain) && sums.count(with) && !sums[with].per_s.empty())
      sums[plain].in_redis_per_s = sums[with].median();
  double naive = median_of("row");
  double ceiling = median_of("copy");
  std::string table;
  auto line = [&](const std::string& s) { table += s + "\n"; };
  auto total_s = ms_between(t_start, bench_clock::now()) / 1000;
  line(title_line("pipeline ingest (PostgreSQL)", started_at, machine, total_s,
                  false));
  line("/proc/loadavg at start: " + load_at_start + "; at end: " + load_line());
  line(fmt::format("{} records of stream '{}' ({} fields: integers, a 20-80 "
                   "char string, a number, a boolean, an ISO timestamp, a "
                   "nested object), {:.1f} MiB of lines, {} STATE lines; "
                   "append_dedup over {} keys, cursor updated_at",
                   in.record_lines, stream_name, field_names().size(),
                   static_cast<double>(in.bytes) / (1 << 20), in.state_lines,
                   in.distinct_keys()));
  line("PostgreSQL started by this benchmark (the tests' settings, for speed, "
       "not durability): " + settings);
  line(fmt::format("{} round(s), rows in alternating order, each in a fresh "
                   "database; median and min-max of the rounds; bench and "
                   "PostgreSQL not pinned",
                   o.rounds));
  line("");
  line(fmt::format("{:24}  {:>9}  {:>17}  {:>8}  {:>7}  {:>8}  {:>8}  {:>9}  "
                   "{:>9}  {:>6}  {:>9}",
                   "row", "rec/s", "min-max", "vs row", "vs COPY", "cpu us",
                   "pg us", "RSS +MiB", "peak +MiB", "failed",
                   "-> Redis"));
  json summary = json::object();
  for (auto& r : rows) {
    auto& s = sums[r.key];
    auto med = s.median();
    auto [lo, hi] = s.per_s.empty()
                      ? std::pair{0.0, 0.0}
                      : std::pair{*std::min_element(s.per_s.begin(),
                                                    s.per_s.end()),
                                  *std::max_element(s.per_s.begin(),
                                                    s.per_s.end())};
    double vs_row = naive > 0 ? med / naive : 0;
    double vs_copy = ceiling > 0 ? 100 * med / ceiling : 0;
    line(fmt::format(
      "{:24}  {:>9.0f}  {:>8.0f}-{:<8.0f}  {:>7.1f}x  {:>6.1f}%  {:>8.2f}  "
      "{:>8.2f}  {:>9.1f}  {:>9.1f}  {:>6}  {:>9}",
      r.label, med, lo, hi, vs_row, vs_copy, quantile(s.cpu_us, 0.5),
      quantile(s.server_us, 0.5), s.max_growth_mib, s.max_peak_growth_mib,
      s.failed,
      s.in_redis_per_s ? fmt::format("{:.0f}", *s.in_redis_per_s) : "-"));
    summary[r.key] = {
      {"label", r.label},
      {"records_per_s_median", med},
      {"records_per_s_min", lo},
      {"records_per_s_max", hi},
      {"vs_row_by_row", vs_row},
      {"vs_copy_pct", vs_copy},
      {"cpu_us_per_record_median", quantile(s.cpu_us, 0.5)},
      {"server_cpu_us_per_record_median", quantile(s.server_us, 0.5)},
      {"rss_growth_mib_max", s.max_growth_mib},
      {"peak_rss_growth_mib_max", s.max_peak_growth_mib},
      {"failed_rounds", s.failed},
      {"in_redis_per_s", s.in_redis_per_s ? json(*s.in_redis_per_s) : json()},
    };
  }
  line("cpu us: this process's CPU per record; pg us: the serving "
       "PostgreSQL backend's. RSS +MiB: the largest after-minus-before of a "
       "round; peak +MiB: the largest peak over before (VmHWM, reset each "
       "round). The input lines stay in memory throughout.");
  if (sums.count("copy") && sums.count("copy-nodata")) {
    auto with = quantile(sums["copy"].server_us, 0.5);
    auto without = quantile(sums["copy-nodata"].server_us, 0.5);
    line(fmt::format("_airbyte_data (the record as jsonb, kept: nothing may "
                     "be lost) costs the server {:.2f} of {:.2f} us per row "
                     "of raw COPY ({:.0f} %).",
                     with - without, with,
                     with > 0 ? 100 * (with - without) / with : 0));
  }
  line("-> Redis: records/s of the same sync going on to Redis after each "
       "commit (latest version by key, one event per record; the -> Redis "
       "rows), checked there; Redis started by this benchmark, no "
       "persistence.");
  std::vector<check> checks;
  size_t failed = 0;
  for (auto& [k, s] : sums)
    failed += s.failed;
  at_most(checks, "rounds_with_wrong_rows", static_cast<double>(failed),
          "rounds", 0);
  if (sums.count("append")) {
    auto& s = sums["append"];
    at_least(checks, "append_records_per_s", s.median(), "rec/s", 150000);
    if (naive > 0)
      at_least(checks, "append_vs_row_by_row", s.median() / naive, "x", 10);
    if (ceiling > 0)
      at_least(checks, "append_vs_copy", 100 * s.median() / ceiling, "%", 40);
    // A batch (a STATE interval, at most 50000 records) is all the
    // pipeline holds: its growth is bounded by that, not by the records.
    at_most(checks, "append_peak_rss_growth", s.max_peak_growth_mib, "MiB",
            64);
  }
  if (sums.count("dedup"))
    at_most(checks, "dedup_peak_rss_growth", sums["dedup"].max_peak_growth_mib,
            "MiB", 64);
  line("");
  size_t passed = 0;
  for (auto& ch : checks) {
    passed += ch.pass;
    line(fmt::format("  {} {:32} {:>12.1f} {} {} {}", verdict(ch.pass),
                     ch.name, ch.value, ch.op, ch.limit, ch.unit));
  }
  line(fmt::format("Targets met: {} of {}", passed, checks.size()));
  for (auto& r : runs)
    if (!r.problem.empty())
      line(fmt::format("WRONG: round {} {}: {}", r.round, r.key, r.problem));
  json doc;
  doc["benchmark"] = "pipeline";
  doc["command"] = command;
  doc["started_at"] = started_at;
  doc["seconds"] = total_s;
  doc["machine"] = machine_json(machine);
  doc["machine"]["loadavg_at_start"] = load_at_start;
  doc["machine"]["loadavg_at_end"] = load_line();
  doc["postgres"] = {{"settings", settings}, {"started_by", "the benchmark"}};
  doc["input"] = {{"records", in.record_lines},
                  {"state_lines", in.state_lines},
                  {"keys", in.distinct_keys()},
                  {"bytes", in.bytes},
                  {"fields", field_names()}};
  doc["rounds"] = o.rounds;
  doc["summary"] = summary;
  json jruns = json::array();
  for (auto& r : runs)
    jruns.push_back({{"row", r.key},
                     {"round", r.round},
                     {"seconds", r.load.seconds},
                     {"records_per_s", r.per_s},
                     {"cpu_seconds", r.load.cpu_seconds},
                     {"server_cpu_seconds", r.load.server_cpu_seconds},
                     {"rss_before_mib", r.rss_before_mib},
                     {"rss_after_mib", r.rss_after_mib},
                     {"peak_rss_growth_mib", r.peak_growth_mib},
                     {"rows", r.rows},
                     {"problem", r.problem}});
  doc["runs"] = jruns;
  json jchecks = json::array();
  for (auto& ch : checks)
    jchecks.push_back({{"name", ch.name},
                       {"value", ch.value},
                       {"unit", ch.unit},
                       {"op", ch.op},
                       {"limit", ch.limit},
                       {"pass", ch.pass}});
  doc["checks"] = jchecks;
  write_out(table, doc.dump(2), o.out);
  return failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  return bench_main(
    "sophia-bench-pipeline", usage, argc, argv,
    [&] { return parse(argc, argv, o); },
    [&](const std::string& command) { return run(o, command); });
}
