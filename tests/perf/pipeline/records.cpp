#include "records.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

namespace sophia::bench::pipeline {

using nlohmann::json;

namespace {

// 2024-01-01T00:00:00Z: records' cursors and emission times start here.
constexpr int64_t base_ms = 1704067200000;

std::string iso_utc(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// 20 to 80 characters: words, now and then a quote, a backslash or an
// accented letter, so that both JSON and COPY escapes occur.
std::string random_name(std::mt19937_64& rng) {
  static constexpr const char* words[] = {
    "north", "river", "ledger", "Acme", "orbit", "maple", "quartz", "delta",
    "harbor", "signal", "cobalt", "Zürich", "amber", "\"prime\"", "stone",
    "C:\\data", "violet", "summit"};
  std::uniform_int_distribution<size_t> len(20, 80);
  std::uniform_int_distribution<size_t> pick(0, std::size(words) - 1);
  auto target = len(rng);
  std::string out;
  while (out.size() < target)
    out += (out.empty() ? "" : " ") + std::string{words[pick(rng)]};
  // Cut at a byte that does not split a UTF-8 sequence.
  auto cut = target;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
    --cut;
  out.resize(cut);
  return out;
}

json record_data(size_t i, const input_params& p, std::mt19937_64& rng) {
  static constexpr const char* statuses[] = {"pending", "paid", "shipped",
                                             "cancelled", "refunded"};
  static constexpr const char* cities[] = {"Lyon", "Osaka", "Porto",
                                           "Denver", "Tartu", "Recife"};
  std::uniform_int_distribution<int64_t> account(1, 5000000);
  std::uniform_int_distribution<int> qty(1, 500), coin(0, 1), small(0, 5);
  std::uniform_int_distribution<int64_t> cents(0, 9999999);
  std::uniform_int_distribution<int> zip(10000, 99999), jitter(0, 999);
  json tags = json::array();
  for (int t = 0, n = small(rng) % 3; t < n; ++t)
    tags.push_back("t" + std::to_string(small(rng)));
  json d = json::object();
  d["id"] = static_cast<int64_t>(i % p.keys);
  d["seq"] = static_cast<int64_t>(i);
  d["account_id"] = account(rng);
  d["quantity"] = qty(rng);
  d["name"] = random_name(rng);
  d["status"] = statuses[small(rng) % std::size(statuses)];
  d["amount"] = static_cast<double>(cents(rng)) / 100.0;
  d["active"] = coin(rng) == 1;
  d["updated_at"] = iso_utc(base_ms + static_cast<int64_t>(i) * 1000
                            + jitter(rng));
  d["attributes"] = {{"city", cities[small(rng)]},
                     {"zip", std::to_string(zip(rng))},
                     {"tags", tags}};
  return d;
}

} // namespace

const std::vector<std::string>& field_names() {
  static const std::vector<std::string> names{
    "id",     "seq",    "account_id", "quantity",   "name",
    "status", "amount", "active",     "updated_at", "attributes"};
  return names;
}

size_t input::distinct_keys() const {
  return std::min(params.records, params.keys);
}

input generate(const input_params& p) {
  input out;
  out.params = p;
  out.lines.reserve(p.records + p.records / p.state_every + 1);
  std::mt19937_64 rng{p.seed};
  for (size_t i = 0; i < p.records; ++i) {
    auto data = record_data(i, p, rng);
    json msg{{"type", "RECORD"},
             {"record",
              {{"stream", stream_name},
               {"data", data},
               {"emitted_at", base_ms + static_cast<int64_t>(i)}}}};
    out.lines.push_back(msg.dump());
    ++out.record_lines;
    if ((i + 1) % p.state_every == 0) {
      json st{{"type", "STATE"},
              {"state",
               {{"type", "STREAM"},
                {"stream",
                 {{"stream_descriptor", {{"name", stream_name}}},
                  {"stream_state", {{"updated_at", data["updated_at"]}}}}},
                {"sourceStats",
                 {{"recordCount", static_cast<double>(p.state_every)}}}}}};
      out.lines.push_back(st.dump());
      ++out.state_lines;
    }
  }
  for (auto& l : out.lines)
    out.bytes += l.size();
  return out;
}

json catalog_json(bool dedup) {
  json props{
    {"id", {{"type", "integer"}}},
    {"seq", {{"type", "integer"}}},
    {"account_id", {{"type", "integer"}}},
    {"quantity", {{"type", "integer"}}},
    {"name", {{"type", "string"}}},
    {"status", {{"type", "string"}}},
    {"amount", {{"type", "number"}}},
    {"active", {{"type", "boolean"}}},
    {"updated_at",
     {{"type", "string"},
      {"format", "date-time"},
      {"airbyte_type", "timestamp_with_timezone"}}},
    {"attributes",
     {{"type", "object"},
      {"properties",
       {{"city", {{"type", "string"}}},
        {"zip", {{"type", "string"}}},
        {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}},
  };
  json stream{{"stream",
               {{"name", stream_name},
                {"json_schema", {{"type", "object"}, {"properties", props}}},
                {"supported_sync_modes", {"full_refresh", "incremental"}}}},
              {"sync_mode", "incremental"},
              {"destination_sync_mode", dedup ? "append_dedup" : "append"},
              {"primary_key", dedup ? json{{"id"}} : json::array()},
              {"cursor_field", {"updated_at"}},
              {"generation_id", 1},
              {"minimum_generation_id", 0},
              {"sync_id", 1}};
  return {{"streams", {stream}}};
}

} // namespace sophia::bench::pipeline
