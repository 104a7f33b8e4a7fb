#include "nodes/ctl_pipeline.hpp"

#include <fstream>
#include <iostream>

#include "runtime/error.hpp"

namespace sophia::nodes {

using nlohmann::json;

namespace {

int failed(const std::string& what) {
  std::cerr << "sophiactl: " << what << "\n";
  return 1;
}

// The text of a CallToolResult, and whether it is an error.
std::string text_of(const json& result) {
  std::string out;
  for (auto& c : result.value("content", json::array()))
    if (c.value("type", "") == "text")
      out += c.value("text", "");
  return out;
}

// Runs one tool call; prints its text (or structured content with
// --json). Returns the exit code.
int run(const tool_caller& call, const std::string& tool, const json& args,
        int64_t deadline_ms, bool as_json) {
  auto r = call("pipeline", tool, args, deadline_ms);
  if (!r)
    return failed("pipeline." + tool + ": " + runtime::detail_of(r.error()));
  if (r->value("isError", false))
    return failed(text_of(*r));
  if (as_json)
    std::cout << r->value("structuredContent", json()).dump(2) << "\n";
  else
    std::cout << text_of(*r) << "\n";
  return 0;
}

} // namespace

int ctl_ingest(const ingest_args& a, const tool_caller& call) {
  std::ifstream cat_file{a.catalog};
  if (!cat_file)
    return std::cerr << "sophiactl: cannot read the catalog " << a.catalog << "\n", 2;
  auto catalog = json::parse(cat_file, nullptr, false);
  if (catalog.is_discarded())
    return std::cerr << "sophiactl: " << a.catalog << ": not JSON\n", 2;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.airbyte != "-") {
    file.open(a.airbyte);
    if (!file)
      return std::cerr << "sophiactl: cannot read " << a.airbyte << "\n", 2;
    in = &file;
  }
  json total{{"records", 0}, {"rows", 0}, {"nulled", 0}, {"dead_letters", 0},
             {"commits", 0}, {"states", 0}, {"calls", 0}};
  json last_state;
  // Lines go as strings: the pipeline reads (or dead-letters) each itself.
  json messages = json::array();
  size_t bytes = 0;
  auto send = [&]() -> int {
    if (messages.empty())
      return 0;
    json args{{"messages", std::move(messages)}, {"catalog", catalog},
              {"source", a.source}};
    messages = json::array();
    bytes = 0;
    auto r = call("pipeline", "ingest", args, 30 * 60 * 1000);
    if (!r)
      return failed("pipeline.ingest: " + runtime::detail_of(r.error()));
    if (r->value("isError", false))
      return failed(text_of(*r));
    auto s = r->value("structuredContent", json::object());
    for (auto& [k, v] : total.items())
      if (s.contains(k) && s[k].is_number())
        v = v.get<int64_t>() + s[k].get<int64_t>();
    total["calls"] = total["calls"].get<int64_t>() + 1;
    if (s.contains("last_state") && !s["last_state"].is_null())
      last_state = s["last_state"];
    total["tables"] = s.value("tables", json::array());
    return 0;
  };
  std::string line;
  while (std::getline(*in, line)) {
    bytes += line.size();
    messages.push_back(std::move(line));
    if (bytes >= a.chunk_bytes)
      if (int rc = send())
        return rc;
  }
  if (int rc = send())
    return rc;
  total["last_state"] = last_state;
  if (a.json) {
    std::cout << total.dump(2) << "\n";
  } else {
    std::cout << "ingested " << total["records"] << " records ("
              << total["dead_letters"] << " dead letters, " << total["nulled"]
              << " values NULLED) in " << total["commits"] << " commits";
    if (!last_state.is_null())
      std::cout << "; last STATE committed: " << last_state.dump();
    std::cout << "\n";
  }
  return 0;
}

int ctl_pipeline(const std::vector<std::string>& operands, int64_t max_rows,
                 bool as_json, const tool_caller& call,
                 const std::string& catalog_file) {
  auto usage = [] {
    std::cerr << "sophiactl: pipeline needs status, query SQL, tail "
                 "SCHEMA.TABLE, search QUERY, or check|discover|sync "
                 "SOURCE, or replay-dead-letters SOURCE\n";
    return 2;
  };
  if (operands.empty())
    return usage();
  if (operands[0] == "status" && operands.size() == 1)
    return run(call, "status", json::object(), 30000, as_json);
  if (operands[0] == "query" && operands.size() == 2) {
    json args{{"sql", operands[1]}};
    if (max_rows > 0)
      args["max_rows"] = max_rows;
    return run(call, "query", args, 60 * 60 * 1000, as_json);
  }
  // [pipeline.sources.NAME]: they run as long as the source may.
  for (auto verb : {"check", "discover", "sync"})
    if (operands[0] == verb && operands.size() == 2)
      return run(call, verb, json{{"source", operands[1]}},
                 int64_t{24} * 3600 * 1000, as_json);
  if (operands[0] == "search" && operands.size() == 2) {
    json args{{"query", operands[1]}};
    if (max_rows > 0) // --k (or --max-rows): results at most
      args["k"] = max_rows;
    return run(call, "search", args, 60000, as_json);
  }
  if (operands[0] == "replay-dead-letters" && operands.size() == 2) {
    json args{{"source", operands[1]}};
    if (max_rows > 0)
      args["limit"] = max_rows;
    if (!catalog_file.empty()) {
      std::ifstream in{catalog_file};
      if (!in)
        return std::cerr << "sophiactl: cannot read the catalog " << catalog_file << "\n", 2;
      auto cat = json::parse(in, nullptr, false);
      if (cat.is_discarded() || !cat.is_object())
        return std::cerr << "sophiactl: " << catalog_file << ": not a JSON object\n", 2;
      args["catalog"] = std::move(cat);
    }
    return run(call, "replay_dead_letters", args, 60 * 60 * 1000, as_json);
  }
  if (operands[0] == "tail" && operands.size() == 2) {
    json args{{"table", operands[1]}};
    if (max_rows > 0)
      args["count"] = max_rows;
    return run(call, "tail", args, 30000, as_json);
  }
  return usage();
}

} // namespace sophia::nodes
