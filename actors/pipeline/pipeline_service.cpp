#include "actors/pipeline/pipeline_service.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/atoms.hpp"
#include "actors/pipeline/vectors/search_tool.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/service.hpp"

namespace sophia::actors::pipeline {

namespace mcp = runtime::mcp;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Asks `to` (the worker or the reader; `msg...`, waiting at most
// `timeout`) for `c`: `done` shapes the JSON answer; an error is a tool
// error naming the pipeline.
template <class Done, class... Ts>
void forward(const mcp::call_ptr& c, const caf::actor& to,
             caf::duration timeout, Done done, Ts&&... msg) {
  c->self()
    ->request(to, timeout, std::forward<Ts>(msg)...)
    .then(
      [c, done](const std::string& out) {
        done(c, json::parse(out, nullptr, false));
      },
      [c](caf::error& err) {
        c->fail("pipeline: " + runtime::detail_of(err));
      });
}

std::string ingest_text(const json& r) {
  std::string out = "Ingested " + std::to_string(r.value("records", 0))
                    + " records in " + std::to_string(r.value("commits", 0))
                    + " commits";
  if (auto n = r.value("nulled", 0); n > 0)
    out += "; " + std::to_string(n)
           + " values did not fit their column and are NULL (see "
             "_airbyte_meta.changes)";
  if (auto d = r.value("dead_letters", 0); d > 0)
    out += "; " + std::to_string(d)
           + " messages could not be read and are in "
             "sophia_pipeline.dead_letters with the reason";
  if (r.contains("last_state") && !r["last_state"].is_null())
    out += "; last STATE committed: " + r["last_state"].dump();
  for (auto& t : r.value("tables", json::array()))
    out += "\n  " + t.value("stream", "") + " -> " + t.value("table", "");
  return out;
}

} // namespace

caf::expected<caf::actor> spawn_pipeline_service(caf::actor_system& sys,
                                                 caf::actor registry,
                                                 caf::actor worker,
                                                 caf::actor reader,
                                                 std::string domain,
                                                 caf::actor vectors) {
  mcp::service_spec spec{"pipeline", std::move(domain)};
  // The reader runs one query at a time, each cut off at query_timeout_ms:
  // a query may wait behind a few others, never behind a sync.
  const auto query_wait = caf::duration{std::chrono::minutes{10}};
  spec.prefix = "pipeline.";
  spec.tools.push_back(
    {.name = "ingest",
     .title = "Ingest Airbyte messages",
     .description =
       "Writes Airbyte protocol messages (RECORD, STATE, TRACE "
       "STREAM_STATUS) into PostgreSQL, one table per stream, with the "
       "semantics of Airbyte's Postgres destination: typed columns from the "
       "stream's JSON schema (inferred when there is none), "
       "append / append_dedup / overwrite per the configured catalog, and "
       "each STATE committed with the records before it. Messages that "
       "cannot be read go to dead letters with the reason; the rest is "
       "written. `source` names whose checkpoints these are (default mcp).",
     .input_schema = R"({"type":"object","properties":{
        "messages":{"type":"array","description":"AirbyteMessage objects, or JSON lines as strings","items":{"type":["object","string"]}},
        "catalog":{"type":"object","description":"a ConfiguredAirbyteCatalog: {streams: [{stream: {name, namespace?, json_schema}, sync_mode, destination_sync_mode, primary_key?, cursor_field?, generation_id?, minimum_generation_id?, sync_id?}]}"},
        "source":{"type":"string","pattern":"^[A-Za-z0-9_.-]{1,64}$"}},
        "required":["messages","catalog"],"additionalProperties":false})",
     .hints = {.read_only = false, .destructive = false, .idempotent = false,
               .open_world = false},
     .run = [worker](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       std::string lines;
       for (auto& m : args["messages"]) {
         lines += m.is_string() ? m.get<std::string>() : m.dump();
         lines += '\n';
       }
       forward(
         c, worker, caf::duration{std::chrono::minutes{10}},
         [](const mcp::call_ptr& c, json r) {
           auto text = ingest_text(r); // before r is moved from
           c->reply(std::move(text), std::move(r));
         },
         atoms::ingest::value, args["catalog"].dump(), std::move(lines),
         args.value("source", std::string{"mcp"}));
     }});
  // [pipeline.sources.NAME]: Airbyte sources run as commands. The worker
  // enforces each one's timeout_s; these wait as long as it may take.
  const auto source_schema = R"({"type":"object","properties":{
        "source":{"type":"string","pattern":"^[a-z0-9][a-z0-9_-]*$","description":"NAME of a [pipeline.sources.NAME] in cluster.conf"}},
        "required":["source"],"additionalProperties":false})";
  const auto source_wait = caf::duration{std::chrono::seconds{7 * 24 * 3600}};
  spec.tools.push_back(
    {.name = "check",
     .title = "Check an Airbyte source's connection",
     .description =
       "Runs the source's `check --config C` (its command and config from "
       "[pipeline.sources.NAME] in cluster.conf) and returns its "
       "connectionStatus {status, message}. A FAILED status is an error "
       "with the source's message.",
     .input_schema = source_schema,
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = true},
     .run = [worker, source_wait](const mcp::call_ptr& c) {
       auto name = c->arguments()["source"].get<std::string>();
       forward(
         c, worker, source_wait,
         [name](const mcp::call_ptr& c, json r) {
           auto status = r.value("status", "");
           auto message = r.value("message", "");
           if (status != "SUCCEEDED")
             return c->fail("source " + name + ": check " + status
                            + (message.empty() ? "" : ": " + message));
           auto text = "source " + name + ": connection SUCCEEDED"
                       + (message.empty() ? "" : " (" + message + ")");
           c->reply(std::move(text), std::move(r));
         },
         atoms::check::value, name);
     }});
  spec.tools.push_back(
    {.name = "discover",
     .title = "Discover an Airbyte source's streams",
     .description =
       "Runs the source's `discover --config C` and returns the catalog "
       "it reports: {streams: [{name, namespace?, json_schema, "
       "supported_sync_modes, ...}]}, from which a configured catalog is "
       "written.",
     .input_schema = source_schema,
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = true},
     .run = [worker, source_wait](const mcp::call_ptr& c) {
       auto name = c->arguments()["source"].get<std::string>();
       forward(
         c, worker, source_wait,
         [name](const mcp::call_ptr& c, json r) {
           std::string text = "source " + name + ": streams";
           for (auto& s : r.value("streams", json::array()))
             if (s.is_object())
               text += "\n  " + s.value("name", std::string{"?"});
           c->reply(std::move(text), std::move(r));
         },
         atoms::discover::value, name);
     }});
  spec.tools.push_back(
    {.name = "sync",
     .title = "Sync an Airbyte source into PostgreSQL",
     .description =
       "Runs the source's `read` with its configured catalog and the last "
       "STATE committed for it, and writes what it prints into PostgreSQL "
       "as pipeline.ingest does (batches committed with their STATE). The "
       "report is pipeline.ingest's. When the source fails or times out, "
       "the error says how, with its stderr; what was committed before "
       "stays, and the next sync resumes from its last committed STATE.",
     .input_schema = source_schema,
     .hints = {.read_only = false, .destructive = false, .idempotent = false,
               .open_world = true},
     .run = [worker, source_wait](const mcp::call_ptr& c) {
       auto name = c->arguments()["source"].get<std::string>();
       forward(
         c, worker, source_wait,
         [name](const mcp::call_ptr& c, json r) {
           auto text = "source " + name + ": " + ingest_text(r);
           c->reply(std::move(text), std::move(r));
         },
         atoms::sync::value, name);
     }});
  spec.tools.push_back(
    {.name = "status",
     .title = "Pipeline status",
     .description =
       "The pipeline's state: per stage the records, rows, commits, "
       "throughput of the last sync, dead letters and last error; the "
       "tables it writes with their estimated rows; whether PostgreSQL is "
       "reachable.",
     .input_schema = R"({"type":"object","properties":{},"additionalProperties":false})",
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = false},
     .run = [reader](const mcp::call_ptr& c) {
       forward(
         c, reader, caf::duration{30s},
         [](const mcp::call_ptr& c, json r) {
           auto text = r.dump(2);
           c->reply(std::move(text), std::move(r));
         },
         atoms::status::value);
     }});
  spec.tools.push_back(
    {.name = "tail",
     .title = "A table's latest events",
     .description =
       "The last `count` events (default 20) of a pipeline table's event "
       "stream in Redis, oldest first: {id, op (insert or delete), key, "
       "data, emitted_at}. `table` is SCHEMA.TABLE as pipeline.ingest "
       "reports it.",
     .input_schema = R"({"type":"object","properties":{
        "table":{"type":"string","minLength":1},
        "count":{"type":"integer","minimum":1,"maximum":10000}},
        "required":["table"],"additionalProperties":false})",
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = false},
     .run = [reader](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       forward(c, reader, caf::duration{30s}, [](const mcp::call_ptr& c, json r) {
         std::string text;
         for (auto& e : r["events"])
           text += e.value("id", "") + " " + e.value("op", "") + " "
                   + e["key"].dump() + " " + e["data"].dump() + "\n";
         if (text.empty())
           text = "no events";
         c->reply(std::move(text), std::move(r));
       }, atoms::tail::value, args["table"].get<std::string>(),
          args.value("count", int64_t{20}));
     }});
  spec.tools.push_back(
    {.name = "query",
     .title = "Query the pipeline's PostgreSQL (read-only)",
     .description =
       "Runs one read-only SQL query (SELECT, WITH, VALUES or TABLE) on the "
       "pipeline's PostgreSQL and returns {columns, rows, truncated}. It "
       "cannot write (a read-only transaction under a role that only "
       "reads), is cut off by a statement timeout, and returns at most "
       "max_rows rows ([pipeline] query_max_rows caps it). Stream tables "
       "are SCHEMA.STREAM; the record as it arrived is _airbyte_data.",
     .input_schema = R"({"type":"object","properties":{
        "sql":{"type":"string","minLength":1},
        "max_rows":{"type":"integer","minimum":1}},
        "required":["sql"],"additionalProperties":false})",
     .output_schema = R"({"type":"object","properties":{
        "columns":{"type":"array","items":{"type":"string"}},
        "rows":{"type":"array","items":{"type":"array"}},
        "truncated":{"type":"boolean"}},"required":["columns","rows","truncated"]})",
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = false},
     .run = [reader, query_wait](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       forward(c, reader, query_wait, [](const mcp::call_ptr& c, json r) {
         std::string text;
         for (auto& col : r["columns"])
           text += (text.empty() ? "" : "\t") + col.get<std::string>();
         for (auto& row : r["rows"]) {
           text += "\n";
           bool first = true;
           for (auto& v : row) {
             text += (first ? "" : "\t")
                     + (v.is_string() ? v.get<std::string>() : v.dump());
             first = false;
           }
         }
         if (r.value("truncated", false))
           text += "\n(more rows: raise max_rows or narrow the query)";
         c->reply(std::move(text), std::move(r));
       }, atoms::query::value, args["sql"].get<std::string>(),
          args.value("max_rows", int64_t{0}));
     }});
  spec.tools.push_back(
    {.name = "replay_dead_letters",
     .title = "Replay dead letters",
     .description =
       "Takes a source's waiting dead letters (lines that could not be read, "
       "in sophia_pipeline.dead_letters) again, oldest first, after the cause "
       "was fixed (a stream added to the catalog, max_line_bytes raised). "
       "Each line read now is committed with the dead letter marked replayed "
       "in the same transaction; the others keep waiting, with their reason. "
       "`catalog`: the ConfiguredAirbyteCatalog to read them with (default: "
       "the configured source's).",
     .input_schema = R"({"type":"object","properties":{
        "source":{"type":"string","pattern":"^[A-Za-z0-9_.-]{1,64}$"},
        "catalog":{"type":"object"},
        "limit":{"type":"integer","minimum":1,"maximum":100000}},
        "required":["source"],"additionalProperties":false})",
     .hints = {.read_only = false, .destructive = false, .idempotent = true,
               .open_world = false},
     .run = [worker](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       forward(c, worker, caf::duration{std::chrono::minutes{60}},
               [](const mcp::call_ptr& c, json r) {
         auto text = "Replayed " + std::to_string(r.value("replayed", 0))
                     + " of " + std::to_string(r.value("waiting", 0))
                     + " waiting dead letters";
         if (auto n = r.value("still_dead", 0); n > 0) {
           text += "; " + std::to_string(n) + " still cannot be read:";
           for (auto& why : r.value("still_dead_reasons", json::array()))
             text += "\n  " + why.get<std::string>();
         }
         c->reply(std::move(text), std::move(r));
       }, atoms::replay::value,
          args.contains("catalog") ? args["catalog"].dump() : std::string{},
          args["source"].get<std::string>(), args.value("limit", int64_t{10000}));
     }});
  if (vectors)
    spec.tools.push_back(vectors::search_tool(std::move(vectors)));
  return mcp::spawn_service(sys, std::move(registry), std::move(spec));
}

} // namespace sophia::actors::pipeline
