// The edges' tool calls as data: every tools/call an edge serves goes
// through the edge node's spool into the pipeline's `sophia.tool_calls`,
// and `analytics.summary` counts them; a kill -9 of the edge node after
// the fsync interval loses nothing, and nothing is counted twice. An AI
// tool's model, tokens and cost come along, and what tools return lands
// in `sophia_results.TOOL`.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "actors/ai/standin_process.hpp"
#include "actors/pipeline/analytics/aggregates.hpp"
#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "harness.hpp"
#include "pipeline_fixture.hpp"
#include "redis_server.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

/// One HTTP/1.1 exchange with the edge (Connection: close): the status
/// line, headers and body as they came; empty when it could not connect.
std::string http_post(uint16_t port, const std::string& body,
                      const std::string& session) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port)
                    + "\r\nContent-Type: application/json\r\nAccept: "
                      "application/json, text/event-stream\r\nConnection: close\r\n";
  if (!session.empty())
    req += "Mcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: 2025-06-18\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t done = 0; done < req.size();) {
    auto n = ::send(fd, req.data() + done, req.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    done += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  // A chunked body (an SSE stream) as one piece.
  auto head_end = out.find("\r\n\r\n");
  if (head_end == std::string::npos)
    return out;
  auto head = out.substr(0, head_end + 4);
  std::string lower = head;
  for (auto& ch : lower)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("transfer-encoding: chunked") == std::string::npos)
    return out;
  std::string joined;
  for (size_t at = head_end + 4; at < out.size();) {
    auto eol = out.find("\r\n", at);
    if (eol == std::string::npos)
      break;
    auto size = std::stoul(out.substr(at, eol - at), nullptr, 16);
    if (size == 0)
      break;
    joined += out.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return head + joined;
}

/// An MCP client of one session on the edge, answers as JSON.
struct mcp_session {
  uint16_t port;
  std::string id;
  int next = 1;

  static std::string header(const std::string& reply, const std::string& name) {
    auto at = reply.find("\r\n" + name + ": ");
    if (at == std::string::npos) {
      // Header names are case-insensitive; Beast writes them as given.
      std::string lower = reply, want = "\r\n" + name + ": ";
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
      for (auto& ch : want) ch = static_cast<char>(std::tolower(ch));
      at = lower.find(want);
      if (at == std::string::npos)
        return {};
    }
    auto from = at + name.size() + 4;
    return reply.substr(from, reply.find("\r\n", from) - from);
  }

  // The JSON-RPC answer in a JSON body or in the SSE events.
  static json answer(const std::string& reply) {
    auto body = reply.substr(std::min(reply.size(), reply.find("\r\n\r\n") + 4));
    auto doc = json::parse(body, nullptr, false);
    if (doc.is_object())
      return doc;
    json last;
    for (size_t at = body.find("data: "); at != std::string::npos;
         at = body.find("data: ", at + 6)) {
      auto end = body.find('\n', at);
      auto ev = json::parse(body.substr(at + 6, end - at - 6), nullptr, false);
      if (ev.is_object() && ev.contains("id"))
        last = ev;
    }
    return last;
  }

  bool open() {
    auto r = http_post(port, json{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                                  {"params", {{"protocolVersion", "2025-06-18"},
                                              {"capabilities", json::object()},
                                              {"clientInfo", {{"name", "itest"}, {"version", "1"}}}}}}
                                .dump(), "");
    id = header(r, "Mcp-Session-Id");
    if (id.empty())
      return false;
    http_post(port, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", id);
    return true;
  }

  json call(const std::string& tool, const json& args) {
    auto r = http_post(port, json{{"jsonrpc", "2.0"}, {"id", next++}, {"method", "tools/call"},
                                  {"params", {{"name", tool}, {"arguments", args}}}}
                                .dump(), id);
    return answer(r);
  }
};

int64_t tool_call_rows(const std::string& uri) {
  auto n = scalar(uri, "SELECT to_regclass('sophia.tool_calls') IS NOT NULL");
  return n == "t" ? std::stoll(scalar(uri, "SELECT count(*) FROM sophia.tool_calls")) : 0;
}

std::string last_summary;

// `analytics.summary` per tool, as sophiactl prints it with --json.
std::optional<json> summary_by_tool(test_cluster& c) {
  auto r = c.ctl({"analytics", "summary", "--period", "minute", "--group-by", "tool",
                  "--json"});
  last_summary = describe(r);
  if (r.exit_code != 0)
    return std::nullopt;
  auto doc = json::parse(r.out, nullptr, false);
  return doc.is_object() ? std::optional<json>{doc} : std::nullopt;
}

// A tool's calls in all the summary's buckets (the calls may straddle a
// minute).
json totals(const json& summary, const std::string& tool) {
  json t{{"calls", 0}, {"errors", 0}, {"p50_ms", nullptr}, {"rows", 0}};
  for (auto& row : summary["rows"])
    if (row.value("tool", "") == tool) {
      t["calls"] = t["calls"].get<int64_t>() + row["calls"].get<int64_t>();
      t["errors"] = t["errors"].get<int64_t>() + row["errors"].get<int64_t>();
      t["p50_ms"] = row["p50_ms"];
      t["service"] = row["service"];
      t["rows"] = t["rows"].get<int>() + 1;
    }
  return t;
}

size_t spooled_lines(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec})
    if (e.path().extension() == ".jsonl") {
      std::ifstream in{e.path()};
      std::string line;
      while (std::getline(in, line))
        ++n;
    }
  return n;
}

} // namespace

TEST_CASE("tool calls through the edge land in sophia.tool_calls and "
          "analytics.summary; a kill -9 of the edge node after the fsync "
          "interval loses nothing and counts nothing twice") {
  auto uri = fresh_database();
  sophia::tests::integration::redis_server redis;
  test_cluster c;
  c.write_config({"n1", "n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\nredis = \""
                                 + redis.uri() + "\"\nspool_fsync_ms = 100\nship_interval_ms = 200\n");
  c.start("n3");
  c.start("n1");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n1", "mcp.pipeline@n3") == true; }, 30s),
                  c.diagnostics());
  mcp_session s{c.mcp_port(), {}, 1};
  REQUIRE_MESSAGE(wait_for([&] { return s.open(); }, 20s), c.diagnostics());
  // The edge lists the pipeline's tools once its catalog refreshed.
  REQUIRE_MESSAGE(wait_for([&] {
                    auto r = s.call("pipeline.status", json::object());
                    return r.contains("result") && !r["result"].value("isError", false);
                  }, 20s),
                  c.diagnostics());
  for (int i = 0; i < 3; ++i) {
    auto r = s.call("sophia.echo", {{"text", "hi " + std::to_string(i)}});
    REQUIRE(r["result"]["structuredContent"]["text"] == "hi " + std::to_string(i));
  }
  for (int i = 0; i < 2; ++i) {
    auto r = s.call("pipeline.query", {{"sql", "DELETE FROM nothing"}});
    REQUIRE(r["result"].value("isError", false));
  }
  // 1 status (at least: the wait above may have called it more) + 3 + 2.
  auto statuses = [&] {
    return std::stoll(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE "
                                  "tool = 'pipeline.status'"));
  };
  REQUIRE_MESSAGE(wait_for([&] { return tool_call_rows(uri) >= 6; }, 30s), c.diagnostics());
  REQUIRE(wait_for([&] { return tool_call_rows(uri) == 5 + statuses(); }, 10s));
  auto before = tool_call_rows(uri);
  CHECK(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE tool = 'sophia.echo' "
                    "AND service = 'edge' AND outcome = 'ok' AND node = 'n1' AND "
                    "key IS NULL AND session = '" + s.id + "' AND error IS NULL AND "
                    "duration_ms >= 0 AND at > now() - interval '5 minutes'")
        == "3");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE tool = "
                    "'pipeline.query' AND service = 'pipeline' AND outcome = 'error' "
                    "AND error LIKE '%read-only%'")
        == "2");
  CHECK(scalar(uri, "SELECT count(DISTINCT id) FROM sophia.tool_calls")
        == std::to_string(before));

  // analytics.summary: calls, errors and latencies per tool.
  std::optional<json> sum;
  REQUIRE_MESSAGE(wait_for([&] {
    sum = summary_by_tool(c);
    return sum && totals(*sum, "pipeline.query")["calls"] == 2
           && totals(*sum, "sophia.echo")["calls"] == 3;
  }, 20s), last_summary);
  INFO(sum->dump(2));
  CHECK(totals(*sum, "pipeline.query")["errors"] == 2);
  CHECK(totals(*sum, "pipeline.query")["service"] == "pipeline");
  CHECK(totals(*sum, "sophia.echo")["errors"] == 0);
  CHECK(totals(*sum, "sophia.echo")["p50_ms"].is_number());
  auto all = c.ctl({"analytics", "summary", "--period", "day", "--json"});
  INFO(describe(all));
  REQUIRE(all.exit_code == 0);
  auto day = json::parse(all.out);
  REQUIRE(day["rows"].size() == 1);
  CHECK(day["rows"][0]["calls"] == before);
  CHECK(day["rows"][0]["errors"] == 2);
  CHECK(day["rows"][0]["p99_ms"].get<double>() >= day["rows"][0]["p50_ms"].get<double>());
  CHECK(day["rows"][0]["tokens_in"].is_null());
  // The same bucket in Redis: a hash per bucket, a field per group.
  auto day_key = "sophia:analytics:day:" + day["rows"][0]["bucket"].get<std::string>();
  CHECK(wait_for([&] {
    auto h = json::parse(redis.cli({"HGET", day_key, "all|||"}), nullptr, false);
    return h.is_object() && h["calls"] == before && h["errors"] == 2;
  }, 10s));
  auto echo = json::parse(redis.cli({"HGET", day_key, "tool|edge|sophia.echo|"}), nullptr, false);
  CHECK((echo.is_object() && echo["calls"] == 3));
  CHECK(c.ctl({"analytics", "summary", "--period", "week"}).exit_code == 2);

  // The pipeline goes away: the spool keeps what the edge serves meanwhile.
  c.proc("n3").kill9();
  auto spool = c.dir() / ".sophia" / "n1" / "tool_calls";
  auto on_disk = spooled_lines(spool);
  for (int i = 0; i < 4; ++i)
    REQUIRE(s.call("sophia.echo", {{"text", "later"}})["result"]["structuredContent"]["text"]
            == "later");
  // Past the fsync interval (100 ms) the records are on disk...
  REQUIRE(wait_for([&] { return spooled_lines(spool) >= on_disk + 4; }, 5s));
  std::this_thread::sleep_for(300ms);
  // ... so a kill -9 of the edge node loses none of them.
  c.proc("n1").kill9();
  CHECK(tool_call_rows(uri) == before);
  c.start("n3");
  c.start("n1");
  INFO(c.diagnostics());
  REQUIRE(wait_for([&] { return tool_call_rows(uri) >= before + 4; }, 60s));
  std::this_thread::sleep_for(1s); // a second shipment would show now
  CHECK(tool_call_rows(uri) == before + 4);
  CHECK(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE tool = 'sophia.echo'")
        == "7");
  // Every record once, by id and by content.
  CHECK(scalar(uri, "SELECT count(DISTINCT id) FROM sophia.tool_calls")
        == std::to_string(before + 4));
  REQUIRE(wait_for([&] {
    auto t = summary_by_tool(c);
    return t && totals(*t, "sophia.echo")["calls"] == 7;
  }, 20s));
  // Shipped whole: the spool keeps no segment but the one it writes.
  CHECK(wait_for([&] {
    auto st = c.ctl({"pipeline", "query",
                     "SELECT state FROM sophia_pipeline.state WHERE source = 'spool-n1'",
                     "--json"});
    return st.exit_code == 0 && contains(st.out, "offset");
  }, 10s));
}

TEST_CASE("an AI tool's calls carry their model, tokens and cost into "
          "sophia.tool_calls and analytics by model; what service tools "
          "return lands in sophia_results.TOOL") {
  auto uri = fresh_database();
  sophia::ai_test::standin_process standin;
  ::setenv("SOPHIA_TEST_OPENROUTER_KEY", "sk-or-test", 1);
  test_cluster c;
  c.set_roles("n3", {"pipeline", "ai_intelligence"});
  c.write_config({"n1", "n3"},
                 "\n[pipeline]\npostgres = \"" + uri
                   + "\"\nspool_fsync_ms = 100\nship_interval_ms = 200\n"
                     "\n[services.openrouter]\napi_key = \"env:SOPHIA_TEST_OPENROUTER_KEY\"\n"
                     "base_url = \"" + standin.url() + "/openrouter/api/v1\"\n");
  c.start("n3");
  c.start("n1");
  mcp_session s{c.mcp_port(), {}, 1};
  REQUIRE_MESSAGE(wait_for([&] { return s.open(); }, 20s), c.diagnostics());
  json chat;
  REQUIRE_MESSAGE(wait_for([&] {
                    chat = s.call("openrouter.chat", {{"model", "openai/gpt-4o-mini"},
                                                      {"prompt", "Say hello"},
                                                      {"max_tokens", 16}});
                    return chat.contains("result") && !chat["result"].value("isError", false);
                  }, 30s),
                  chat.dump(), c.diagnostics());
  auto first = chat["result"]["structuredContent"];
  INFO(first.dump());
  REQUIRE(first["usage"]["prompt_tokens"].get<int64_t>() > 0);
  chat = s.call("openrouter.chat", {{"model", "openai/gpt-4o-mini"},
                                    {"prompt", "Say hello again, at more length"},
                                    {"max_tokens", 32}});
  REQUIRE(chat["result"].value("isError", false) == false);
  auto second = chat["result"]["structuredContent"];
  REQUIRE(s.call("sophia.echo", {{"text", "kept as a record"}})["result"]
            ["structuredContent"]["text"] == "kept as a record");
  REQUIRE(s.call("pipeline.query", {{"sql", "SELECT 1 AS one"}})["result"]
            .value("isError", false) == false);

  auto chats = [&] {
    auto n = scalar(uri, "SELECT to_regclass('sophia_results.openrouter_chat') IS NOT NULL");
    return n == "t" ? std::stoll(scalar(uri, "SELECT count(*) FROM sophia_results.openrouter_chat"))
                    : 0;
  };
  REQUIRE_MESSAGE(wait_for([&] { return chats() >= 2 && tool_call_rows(uri) >= 4; }, 30s),
                  c.diagnostics());
  // The calls' usage, as the tool reported it.
  auto in = first["usage"]["prompt_tokens"].get<int64_t>()
            + second["usage"]["prompt_tokens"].get<int64_t>();
  auto out = first["usage"]["completion_tokens"].get<int64_t>()
             + second["usage"]["completion_tokens"].get<int64_t>();
  CHECK(scalar(uri, "SELECT count(*) || '/' || sum(tokens_in) || '/' || sum(tokens_out) "
                    "FROM sophia.tool_calls WHERE tool = 'openrouter.chat' AND "
                    "service = 'openrouter' AND model = 'openai/gpt-4o-mini'")
        == "2/" + std::to_string(in) + "/" + std::to_string(out));
  if (first["cost_usd"].is_number())
    CHECK(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE tool = "
                      "'openrouter.chat' AND cost_usd > 0")
          == "2");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia.tool_calls WHERE tool = 'sophia.echo' "
                    "AND model IS NULL AND tokens_in IS NULL")
        == "1");
  // What the tools returned, as records of their own streams, keyed by
  // the call.
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_results.openrouter_chat r JOIN "
                    "sophia.tool_calls c ON c.id = r._call_id WHERE r.model = "
                    "'openai/gpt-4o-mini' AND r._tool = 'openrouter.chat' AND "
                    "length(r.text) > 0")
        == "2");
  auto quoted = second["text"].get<std::string>();
  for (size_t at = quoted.find('\''); at != std::string::npos;
       at = quoted.find('\'', at + 2))
    quoted.insert(at, 1, '\'');
  CHECK(scalar(uri, "SELECT text FROM sophia_results.openrouter_chat WHERE text = '"
                    + quoted + "'")
        == second["text"].get<std::string>());
  REQUIRE(wait_for([&] {
    return scalar(uri, "SELECT to_regclass('sophia_results.sophia_echo') IS NOT NULL") == "t";
  }, 10s));
  CHECK(scalar(uri, "SELECT text FROM sophia_results.sophia_echo") == "kept as a record");
  // The pipeline's own answers are its data already: not ingested again.
  CHECK(scalar(uri, "SELECT to_regclass('sophia_results.pipeline_query') IS NULL") == "t");

  // analytics.summary by model: the two chats, their tokens.
  std::optional<json> by_model;
  REQUIRE_MESSAGE(wait_for([&] {
    auto r = c.ctl({"analytics", "summary", "--period", "day", "--group-by", "model",
                    "--json"});
    last_summary = describe(r);
    if (r.exit_code != 0)
      return false;
    by_model = json::parse(r.out, nullptr, false);
    return by_model->is_object() && by_model->value("rows", json::array()).size() == 1
           && (*by_model)["rows"][0]["calls"] == 2;
  }, 20s), last_summary);
  auto& row = (*by_model)["rows"][0];
  CHECK(row["service"] == "openrouter");
  CHECK(row["model"] == "openai/gpt-4o-mini");
  CHECK(row["tokens_in"] == in);
  CHECK(row["tokens_out"] == out);
  auto text = c.ctl({"analytics", "summary", "--period", "day", "--group-by", "model"});
  CHECK(contains(text.out, "openrouter/openai/gpt-4o-mini"));
}

TEST_CASE("analytics tables of the layout before the model grain are rebuilt "
          "from sophia.tool_calls, old buckets included") {
  auto uri = fresh_database();
  auto db = sophia::actors::pipeline::postgres::connection::open(uri);
  REQUIRE(std::holds_alternative<sophia::actors::pipeline::postgres::connection>(db));
  auto& conn = std::get<sophia::actors::pipeline::postgres::connection>(db);
  auto setup = conn.exec("CREATE SCHEMA sophia; CREATE TABLE sophia.tool_calls (id text, at "
              "timestamptz, service text, tool text, key text, session text, model "
              "text, outcome text, duration_ms float8, tokens_in bigint, tokens_out "
              "bigint, cost_usd numeric); INSERT INTO sophia.tool_calls VALUES "
              "('a', '2026-01-01T10:00:00Z', 'openrouter', 'openrouter.chat', 'k1', "
              "'s', 'm1', 'ok', 12, 10, 20, 0.5), ('b', '2026-12-01T10:00:00Z', "
              "'edge', 'sophia.echo', 'k1', 's', NULL, 'ok', 1, NULL, NULL, NULL); "
              "CREATE SCHEMA sophia_analytics; CREATE TABLE sophia_analytics.by_minute "
              "(bucket timestamptz, grain text, service text, tool text, caller text, "
              "calls bigint, PRIMARY KEY (bucket, grain, service, tool, caller)); "
              "CREATE TABLE sophia_analytics.by_hour (LIKE sophia_analytics.by_minute); "
              "CREATE TABLE sophia_analytics.by_day (LIKE sophia_analytics.by_minute);");
  REQUIRE_MESSAGE(!setup, *setup);
  // A batch of December: the January bucket comes back too.
  auto err = sophia::actors::pipeline::analytics::refresh(
    conn, sophia::actors::pipeline::analytics::parse_utc_ms("2026-12-01T10:00:00Z"),
    sophia::actors::pipeline::analytics::parse_utc_ms("2026-12-01T10:00:00Z"));
  REQUIRE_MESSAGE(!err, *err);
  CHECK(scalar(uri, "SELECT calls || '/' || tokens_in || '/' || cost_usd FROM "
                    "sophia_analytics.by_day WHERE grain = 'model' AND model = 'm1' "
                    "AND bucket = '2026-01-01'")
        == "1/10/0.5");
  CHECK(scalar(uri, "SELECT sum(calls) FROM sophia_analytics.by_day WHERE grain = 'all'")
        == "2");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_analytics.by_day WHERE grain = 'model'")
        == "1");
}
