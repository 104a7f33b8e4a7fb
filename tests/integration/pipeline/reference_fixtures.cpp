#include "reference_fixtures.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "pipeline_fixture.hpp"
#include "reference.hpp"

namespace sophia::tests::integration::pipeline {

using nlohmann::json;

std::string fixtures() {
  auto dir = sophia::testing::reference_dir("airbyte");
  return dir.empty() ? dir : dir + "/pg-2.4.0_2024-09";
}

std::vector<json> json_lines(const std::string& path) {
  std::ifstream in{path};
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line.compare(first, 2, "//") == 0)
      continue;
    out.push_back(json::parse(line));
  }
  return out;
}

std::vector<std::string> message_lines(const std::string& path,
                                       const std::string& stream,
                                       const std::string& ns) {
  std::vector<std::string> out;
  for (auto m : json_lines(path)) {
    if (m.value("type", "") == "RECORD") {
      m["record"]["stream"] = stream;
      if (!ns.empty())
        m["record"]["namespace"] = ns;
    }
    out.push_back(m.dump());
  }
  return out;
}

namespace {

// "2023-01-01T00:00:00Z" -> epoch milliseconds (the fixtures use Z only).
int64_t epoch_ms(const std::string& ts) {
  int y, mo, d, h, mi, s;
  REQUIRE(sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) == 6);
  // days from civil (Howard Hinnant)
  y -= mo <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000;
}

} // namespace

std::vector<std::string> raw_lines(const std::string& path,
                                   const std::string& stream) {
  std::vector<std::string> out;
  for (auto& raw : json_lines(path)) {
    json rec{{"stream", stream},
             {"data", raw["_airbyte_data"]},
             {"emitted_at", epoch_ms(raw["_airbyte_extracted_at"])}};
    if (raw.contains("_airbyte_meta") && raw["_airbyte_meta"].contains("changes"))
      rec["meta"] = {{"changes", raw["_airbyte_meta"]["changes"]}};
    out.push_back(json{{"type", "RECORD"}, {"record", rec}}.dump());
  }
  return out;
}

namespace {

bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number())
    return std::abs(a.get<double>() - b.get<double>())
           <= 1e-9 * std::max(1.0, std::abs(a.get<double>()));
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size())
      return false;
    for (auto& [k, v] : a.items())
      if (!b.contains(k) || !same(v, b[k]))
        return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i]))
        return false;
    return true;
  }
  return a == b;
}

const std::set<std::string> identity{"id1", "id2", "updated_at", "old_cursor",
                                     "_airbyte_extracted_at"};

json changes_set(const json& meta) {
  std::multiset<std::string> out;
  if (meta.is_object() && meta.contains("changes"))
    for (auto& c : meta["changes"])
      out.insert(c.dump());
  return out;
}

} // namespace

void compare(const std::vector<json>& actual, std::vector<json> expected,
             const std::set<std::string>& columns,
             const std::set<std::string>& ignore) {
  CHECK_MESSAGE(actual.size() == expected.size(),
                "rows: " << actual.size() << ", expected " << expected.size());
  std::vector<bool> used(actual.size());
  for (auto& e : expected) {
    e = canonical(e);
    // The actual row with the same identity tuple.
    size_t found = actual.size();
    for (size_t i = 0; i < actual.size() && found == actual.size(); ++i) {
      if (used[i])
        continue;
      bool match = true;
      for (auto& k : identity) {
        if (!columns.count(k) && k != "_airbyte_extracted_at")
          continue;
        auto a = actual[i].value(k, json());
        auto x = e.value(k, json());
        match = match && same(a, x);
      }
      if (match)
        found = i;
    }
    if (found == actual.size()) {
      FAIL_CHECK("no row matches expected " << e.dump());
      continue;
    }
    used[found] = true;
    auto& a = actual[found];
    for (auto& [k, v] : e.items()) {
      if (ignore.count(k) || k == "_airbyte_raw_id" || k == "_airbyte_loaded_at")
        continue;
      if (k == "_airbyte_meta") {
        CHECK_MESSAGE(changes_set(a[k]) == changes_set(v),
                      "row " << e.dump() << ": _airbyte_meta " << a[k].dump());
        continue;
      }
      CHECK_MESSAGE(same(a.value(k, json()), v),
                    "row " << e.dump() << ": " << k << " is "
                           << a.value(k, json()).dump());
    }
    for (auto& c : columns)
      if (!e.contains(c) && !ignore.count(c))
        CHECK_MESSAGE(a.value(c, json()).is_null(),
                      "row " << e.dump() << ": " << c << " should be NULL, is "
                             << a[c].dump());
  }
}

} // namespace sophia::tests::integration::pipeline
