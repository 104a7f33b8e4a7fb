#include "actors/pipeline/vectors/search_tool.hpp"

#include <chrono>
#include <cstdio>

#include <caf/all.hpp>

#include "actors/pipeline/vectors/messages.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vectors {

namespace mcp = runtime::mcp;
using nlohmann::json;

std::string search_text(const json& answer) {
  std::string out;
  size_t n = 0;
  for (auto& r : answer.value("results", json::array())) {
    char score[32];
    std::snprintf(score, sizeof score, "%.3f", r.value("score", 0.0));
    out += std::to_string(++n) + ". [" + score + "] " + r.value("table", "")
           + " " + r.value("key", json()).dump() + " (source "
           + r.value("source", "") + ")\n";
    auto text = r.value("text", "");
    if (text.size() > 300)
      text = text.substr(0, 300) + "...";
    for (auto& c : text)
      if (c == '\n')
        c = ' ';
    out += "   " + text + "\n";
  }
  if (n == 0)
    out = "no matching records";
  if (answer.value("rebuilding", false))
    out += "\n(the index is being rebuilt from PostgreSQL: results may be "
           "incomplete)";
  return out;
}

mcp::tool search_tool(caf::actor stage) {
  return {
    .name = "search",
    .title = "Search the pipeline's records by meaning",
    .description =
      "Finds the ingested records whose text is nearest to `query` (vector "
      "search over the records' string fields, cut into chunks and "
      "embedded as they are committed; a restarted node rebuilds the index "
      "from PostgreSQL). Returns up to `k` records (default 10, at most "
      "100), best first, each once with its best chunk: {source, stream, "
      "table, key, score (cosine similarity, 0 to 1), text}. `stream` "
      "keeps one stream's (or SCHEMA.TABLE's) records. Use pipeline.query "
      "for exact matches and the full rows.",
    .input_schema = R"({"type":"object","properties":{
        "query":{"type":"string","minLength":1,"maxLength":10000},
        "k":{"type":"integer","minimum":1,"maximum":100},
        "stream":{"type":"string","minLength":1}},
        "required":["query"],"additionalProperties":false})",
    .output_schema = R"({"type":"object","properties":{
        "results":{"type":"array","items":{"type":"object","properties":{
          "source":{"type":"string"},"stream":{"type":"string"},
          "table":{"type":"string"},"key":{},"score":{"type":"number"},
          "text":{"type":"string"}}}}},"required":["results"]})",
    .hints = {.read_only = true, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [stage](const mcp::call_ptr& c) {
        auto& args = c->arguments();
        // The schema was checked; these guard direct calls all the same.
        if (!args.contains("query") || !args["query"].is_string()
            || args["query"].get<std::string>().empty())
          return c->fail("query: expected a non-empty string");
        auto k = int64_t{10};
        if (args.contains("k")) {
          if (!args["k"].is_number_integer() || args["k"].get<int64_t>() < 1
              || args["k"].get<int64_t>() > 100)
            return c->fail("k: expected an integer from 1 to 100, got "
                           + args["k"].dump());
          k = args["k"].get<int64_t>();
        }
        std::string stream;
        if (args.contains("stream")) {
          if (!args["stream"].is_string())
            return c->fail("stream: expected a string, got "
                           + args["stream"].dump());
          stream = args["stream"].get<std::string>();
        }
        c->self()
          ->request(stage, caf::duration{std::chrono::seconds{30}},
                    atoms::search::value, args["query"].get<std::string>(), k,
                    std::move(stream))
          .then(
            [c](const std::string& out) {
              auto r = json::parse(out, nullptr, false);
              auto text = search_text(r);
              r.erase("indexed_records");
              c->reply(std::move(text), std::move(r));
            },
            [c](caf::error& err) {
              c->fail("pipeline.search: " + runtime::detail_of(err));
            });
      },
  };
}

} // namespace sophia::actors::pipeline::vectors
