// The edges' tool calls as data: every tools/call an edge serves goes
// through the edge node's spool into the pipeline's `sophia.tool_calls`,
// and `analytics.summary` counts them; a kill -9 of the edge node after
// the fsync interval loses nothing, and nothing is counted twice.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

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
