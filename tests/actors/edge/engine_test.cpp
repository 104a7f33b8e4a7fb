// The MCP edge engine (actors/edge/engine.hpp) on CAF's test coordinator:
// transports are replaced by a recording exchange, the cluster by a stand-in
// membership actor, a stand-in registry (name list, lookups, call routing)
// and a stand-in provider whose behavior each call picks with its `mode`
// argument. Time only moves when a test says so (the engine has a 250 ms
// refresh timer, so the coordinator's `run()` is never used).
#define CAF_SUITE actors.edge.engine

#include "tests/actors/edge/engine_fixture.hpp"

using namespace sophia::edge_test;

CAF_TEST_FIXTURE_SCOPE(edge_engine, fixture)

// -- sessions -----------------------------------------------------------------

CAF_TEST(initialize echoes a supported version and sets a 32 hex session id) {
  auto out = initialize("2025-06-18");
  auto sets = out->of("set_session");
  CAF_REQUIRE_EQUAL(sets.size(), 1u);
  CAF_CHECK(is_hex32(sets[0].id));
  CAF_REQUIRE_EQUAL(out->count("reply"), 1u);
  CAF_CHECK_LESS(out->index_of("set_session"), out->index_of("reply"));
  auto a = *out->answer();
  auto version = a["result"]["protocolVersion"];
  CAF_CHECK_EQUAL(version, "2025-06-18");
  auto server = a["result"]["serverInfo"]["name"];
  CAF_CHECK_EQUAL(server, "sophia");
  auto list_changed = a["result"]["capabilities"]["tools"]["listChanged"];
  CAF_CHECK_EQUAL(list_changed, true);
  auto id = a["id"];
  CAF_CHECK_EQUAL(id, 1);
  // A second session gets another id.
  auto other = initialize("2025-06-18")->of("set_session");
  CAF_REQUIRE_EQUAL(other.size(), 1u);
  CAF_CHECK(is_hex32(other[0].id));
  CAF_CHECK_NOT_EQUAL(other[0].id, sets[0].id);
}

CAF_TEST(initialize answers an unknown version with 2025 - 11 - 25) {
  auto out = initialize("1999-01-01");
  auto a = out->answer();
  CAF_REQUIRE(a.has_value());
  auto version = (*a)["result"]["protocolVersion"];
  CAF_CHECK_EQUAL(version, "2025-11-25");
  CAF_CHECK_EQUAL(out->count("set_session"), 1u);
}

CAF_TEST(initialize with a session header is refused with 400) {
  auto sid = open_session();
  auto out =
    post(req("initialize", { { "protocolVersion", "2025-11-25" } }), sid);
  auto f = out->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 400);
  CAF_CHECK_EQUAL(out->count("set_session"), 0u);
}

CAF_TEST(a request with an unknown session id gets 404 with - 32001) {
  open_session();
  auto out = post(req("ping"), "0123456789abcdef0123456789abcdef");
  auto f = out->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 404);
  auto code = f->second["error"]["code"];
  CAF_CHECK_EQUAL(code, -32001);
  CAF_CHECK(!out->answer().has_value());
}

CAF_TEST(a request without a session gets 400) {
  open_session();
  auto out = post(req("ping"));
  auto f = out->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 400);
  auto code = f->second["error"]["code"];
  CAF_CHECK_EQUAL(code, -32000);
  // GET and DELETE without a session too.
  auto g = get("")->failure();
  CAF_REQUIRE(g.has_value());
  CAF_CHECK_EQUAL(g->first, 400);
  auto d = del("")->failure();
  CAF_REQUIRE(d.has_value());
  CAF_CHECK_EQUAL(d->first, 400);
}

CAF_TEST(DELETE ends the session and later requests get 404) {
  auto sid = open_session();
  auto gone = del(sid)->failure();
  CAF_REQUIRE(gone.has_value());
  CAF_CHECK_EQUAL(gone->first, 200);
  auto out = post(req("ping"), sid);
  auto f = out->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 404);
  auto code = f->second["error"]["code"];
  CAF_CHECK_EQUAL(code, -32001);
  auto again = del(sid)->failure();
  CAF_REQUIRE(again.has_value());
  CAF_CHECK_EQUAL(again->first, 404);
}

CAF_TEST(DELETE cancels the calls in flight and ends their streams) {
  auto sid = open_session();
  auto ex =
    post(req("tools/call",
             { { "name", "fake.work" },
               { "arguments", { { "text", "x" }, { "mode", "hold" } } } }),
         sid);
  auto call_id = last_call_id();
  del(sid);
  CAF_REQUIRE_EQUAL(plog->cancelled.size(), 1u);
  CAF_CHECK_EQUAL(plog->cancelled[0], call_id);
  CAF_CHECK_EQUAL(ex->count("end"), 1u);
  CAF_CHECK(!ex->answer().has_value());
}

// -- ping and answer formats
// ---------------------------------------------------

CAF_TEST(ping answers an empty result as an SSE event by default) {
  auto sid = open_session();
  auto out = post(req("ping", json::object(), 42), sid);
  CAF_CHECK_EQUAL(out->count("reply"), 0u);
  auto evs = out->of("reply_event");
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  CAF_CHECK(!evs[0].id.empty());
  auto a = json::parse(evs[0].data);
  auto expected = json::parse(R"({"jsonrpc":"2.0","id":42,"result":{}})");
  CAF_CHECK_EQUAL(a, expected);
}

CAF_TEST(ping answers a JSON body when responses is json) {
  config::edge_config cfg;
  cfg.responses = "json";
  start_edge(cfg);
  auto sid = open_session();
  auto out = post(req("ping", json::object(), 7), sid);
  CAF_CHECK_EQUAL(out->count("reply_event"), 0u);
  CAF_CHECK_EQUAL(out->count("event"), 0u);
  auto rs = out->of("reply");
  CAF_REQUIRE_EQUAL(rs.size(), 1u);
  auto a = json::parse(rs[0].data);
  auto expected = json::parse(R"({"jsonrpc":"2.0","id":7,"result":{}})");
  CAF_CHECK_EQUAL(a, expected);
}

CAF_TEST(json responses become a stream when a call sends notifications) {
  config::edge_config cfg;
  cfg.responses = "json";
  start_edge(cfg);
  auto sid = open_session();
  exchange_ptr ex;
  call_tool(sid, "fake.work", { { "text", "a" }, { "mode", "notify" } }, &ex);
  CAF_CHECK_EQUAL(ex->count("reply"), 0u);
  CAF_CHECK_EQUAL(ex->data_events().size(), 1u);
  CAF_CHECK_EQUAL(ex->count("reply_event"), 1u);
  // A call without notifications stays a plain JSON body.
  exchange_ptr plain;
  call_tool(sid, "fake.work", { { "text", "b" } }, &plain);
  CAF_CHECK_EQUAL(plain->count("reply"), 1u);
  CAF_CHECK_EQUAL(plain->count("event"), 0u);
}

CAF_TEST(an unknown method gets - 32601) {
  auto sid = open_session();
  auto out = post(req("no/such/method"), sid);
  auto a = out->answer();
  CAF_REQUIRE(a.has_value());
  auto code = (*a)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32601);
}

CAF_TEST(a second request with an id still in flight is refused) {
  auto sid = open_session();
  auto first =
    post(req("tools/call",
             { { "name", "fake.work" },
               { "arguments", { { "text", "x" }, { "mode", "hold" } } } },
             5),
         sid);
  auto second = post(req("ping", json::object(), 5), sid);
  auto a = second->answer();
  CAF_REQUIRE(a.has_value());
  auto code = (*a)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32600);
  CAF_CHECK(!first->answer().has_value());
  self->send(
    provider, caf::ok_atom::value, last_call_id(), std::string{ "ok" });
  consume_messages();
  CAF_CHECK(first->answer().has_value());
}

// -- the catalog
// ---------------------------------------------------------------

CAF_TEST(the engine reports ready with the number of providers) {
  auto n = ask<size_t>(engine, caf::get_atom::value, atoms::status::value);
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 1u);
}

CAF_TEST(tools / list shows the built ins and
         the provider tools under its prefix) {
  advance(600ms); // a couple of refresh ticks
  auto sid = open_session();
  auto r = result_of(sid, "tools/list");
  auto names = tool_names(r);
  CAF_CHECK(contains(names, "sophia.echo"));
  CAF_CHECK(contains(names, "sophia.cluster_status"));
  CAF_CHECK(contains(names, "fake.work"));
  CAF_CHECK(contains(names, "fake.other"));
  CAF_CHECK(!contains(names, "work"));
  CAF_CHECK_EQUAL(names.size(), 4u);
  CAF_CHECK(!r.contains("nextCursor"));
  for (auto& t : r["tools"])
    CAF_CHECK(t["inputSchema"].is_object());
}

CAF_TEST(tools / list with page_size 1 walks every tool with nextCursor) {
  config::edge_config cfg;
  cfg.page_size = 1;
  start_edge(cfg);
  auto sid = open_session();
  std::vector<std::string> names;
  json params = json::object();
  size_t pages = 0;
  for (;;) {
    auto r = result_of(sid, "tools/list", params);
    ++pages;
    CAF_REQUIRE_LESS_OR_EQUAL(pages, 10u);
    auto page = tool_names(r);
    CAF_CHECK_EQUAL(page.size(), 1u);
    names.insert(names.end(), page.begin(), page.end());
    if (!r.contains("nextCursor")) break;
    CAF_REQUIRE(r["nextCursor"].is_string());
    params = { { "cursor", r["nextCursor"] } };
  }
  CAF_CHECK_EQUAL(pages, 4u);
  auto expected = std::vector<std::string>{
    "fake.other", "fake.work", "sophia.cluster_status", "sophia.echo"
  };
  CAF_CHECK_EQUAL(names, expected);
  // A cursor the engine did not issue.
  auto bad = post(req("tools/list", { { "cursor", "zzz" } }), sid)->answer();
  CAF_REQUIRE(bad.has_value());
  auto code = (*bad)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32602);
}

// -- tools/call
// ----------------------------------------------------------------

CAF_TEST(tools / call of sophia.echo returns the text) {
  auto sid = open_session();
  auto a = call_tool(sid, "sophia.echo", { { "text", "hello edge" } });
  auto text = a["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "hello edge");
  auto structured = a["result"]["structuredContent"]["text"];
  CAF_CHECK_EQUAL(structured, "hello edge");
  CAF_CHECK(!a["result"].contains("isError"));
  CAF_CHECK(reg->routed.empty());
}

CAF_TEST(tools / call with arguments violating the schema gives - 32602) {
  auto sid = open_session();
  auto wrong_type = call_tool(sid, "sophia.echo", { { "text", 5 } });
  auto c1 = wrong_type["error"]["code"];
  CAF_CHECK_EQUAL(c1, -32602);
  CAF_CHECK(wrong_type["error"].contains("data"));
  auto extra =
    call_tool(sid, "sophia.echo", { { "text", "x" }, { "loud", true } });
  auto c2 = extra["error"]["code"];
  CAF_CHECK_EQUAL(c2, -32602);
  auto missing = call_tool(sid, "fake.work", { { "mode", "reply" } });
  auto c3 = missing["error"]["code"];
  CAF_CHECK_EQUAL(c3, -32602);
  auto unknown = call_tool(sid, "fake.nothing", json::object());
  auto c4 = unknown["error"]["code"];
  CAF_CHECK_EQUAL(c4, -32602);
  // Refused before any provider saw them.
  CAF_CHECK(plog->calls.empty());
  CAF_CHECK(reg->routed.empty());
}

CAF_TEST(tools / call of a provider tool routes through the registry) {
  auto sid = open_session();
  exchange_ptr ex;
  auto a = call_tool(sid, "fake.work", { { "text", "hi" } }, &ex);
  auto text = a["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "fake: hi");
  CAF_REQUIRE_EQUAL(plog->calls.size(), 1u);
  auto& c = plog->calls[0];
  CAF_CHECK_EQUAL(c.method, "tools/call");
  auto expected = json::parse(R"({"name":"work","arguments":{"text":"hi"}})");
  CAF_CHECK_EQUAL(c.params, expected);
  CAF_CHECK_EQUAL(c.caller.rfind("mcp:anonymous/", 0), 0u);
  CAF_REQUIRE_EQUAL(reg->routed.size(), 1u);
  CAF_CHECK_EQUAL(reg->routed[0], c.trace_id);
  // 2025-11-25: a priming event (an id, no data) opened the stream.
  auto evs = ex->of("event");
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  CAF_CHECK(evs[0].data.empty());
  CAF_CHECK_EQUAL(evs[0].id.substr(evs[0].id.find('-')), "-0");
  auto rs = ex->of("reply_event");
  CAF_REQUIRE_EQUAL(rs.size(), 1u);
  // The macro keeps a reference: the records must outlive it.
  auto last_ex = ex->records().back().what;
  CAF_CHECK_EQUAL(last_ex, "reply_event");
}

CAF_TEST(a provider notification is an event before the final answer) {
  auto sid = open_session();
  exchange_ptr ex;
  auto a =
    call_tool(sid, "fake.work", { { "text", "n" }, { "mode", "notify" } }, &ex);
  auto text = a["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "fake: n");
  auto evs = ex->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto n = json::parse(evs[0].data);
  auto expected = progress(1);
  CAF_CHECK_EQUAL(n, expected);
  auto rs = ex->records();
  CAF_REQUIRE(!rs.empty());
  CAF_CHECK_EQUAL(rs.back().what, "reply_event");
  // Event ids are STREAM-SEQ and grow along the stream.
  auto stream = evs[0].id.substr(0, evs[0].id.find('-'));
  auto last = rs.back().id;
  CAF_CHECK_EQUAL(last.substr(0, last.find('-')), stream);
  CAF_CHECK_LESS(std::stoull(evs[0].id.substr(evs[0].id.find('-') + 1)),
                 std::stoull(last.substr(last.find('-') + 1)));
}

CAF_TEST(notifications of a call never reach another session) {
  auto one = open_session();
  auto two = open_session();
  auto g = get(two);
  exchange_ptr ex;
  call_tool(one, "fake.work", { { "text", "n" }, { "mode", "notify" } }, &ex);
  CAF_CHECK_EQUAL(ex->data_events().size(), 1u);
  CAF_CHECK_EQUAL(g->data_events().size(), 0u);
}

CAF_TEST(notifications / cancelled tells the provider and ends the exchange) {
  auto sid = open_session();
  auto ex =
    post(req("tools/call",
             { { "name", "fake.work" },
               { "arguments", { { "text", "x" }, { "mode", "hold" } } } },
             9),
         sid);
  CAF_CHECK(!ex->answer().has_value());
  auto call_id = last_call_id();
  auto cancel = post(note("notifications/cancelled",
                          { { "requestId", 9 }, { "reason", "bored" } }),
                     sid);
  CAF_CHECK_EQUAL(cancel->count("accepted"), 1u);
  CAF_REQUIRE_EQUAL(plog->cancelled.size(), 1u);
  CAF_CHECK_EQUAL(plog->cancelled[0], call_id);
  CAF_CHECK_EQUAL(ex->count("end"), 1u);
  CAF_CHECK(!ex->answer().has_value());
  // The provider's late result goes nowhere.
  self->send(provider, caf::ok_atom::value, call_id, std::string{ "late" });
  consume_messages();
  CAF_CHECK(!ex->answer().has_value());
  // The macro keeps a reference: the records must outlive it.
  auto last_ex = ex->records().back().what;
  CAF_CHECK_EQUAL(last_ex, "end");
  // The id is free again and the session still works.
  auto again = post(req("ping", json::object(), 9), sid)->answer();
  CAF_REQUIRE(again.has_value());
  CAF_CHECK(again->contains("result"));
}

// -- server-to-client requests
// --------------------------------------------------

CAF_TEST(a provider ask reaches the client and its response the provider) {
  auto sid = open_session("2025-11-25", { { "sampling", json::object() } });
  auto ex = post(
    req("tools/call",
        { { "name", "fake.work" },
          { "arguments", { { "text", "what is 6x7" }, { "mode", "ask" } } } }),
    sid);
  CAF_CHECK(!ex->answer().has_value());
  auto evs = ex->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto q = json::parse(evs[0].data);
  auto method = q["method"];
  CAF_CHECK_EQUAL(method, "sampling/createMessage");
  CAF_REQUIRE(q.contains("id"));
  CAF_REQUIRE(q["id"].is_string());
  auto ask_id = q["id"].get<std::string>();
  auto question = q["params"]["messages"][0]["content"]["text"];
  CAF_CHECK_EQUAL(question, "what is 6x7");
  auto client_result = json::parse(
    R"({"role":"assistant","content":{"type":"text","text":"42"},"model":"m"})");
  auto resp = post(
    json{ { "jsonrpc", "2.0" }, { "id", ask_id }, { "result", client_result } },
    sid);
  CAF_CHECK_EQUAL(resp->count("accepted"), 1u);
  CAF_REQUIRE_EQUAL(plog->answers.size(), 1u);
  auto got = json::parse(plog->answers[0]);
  CAF_CHECK_EQUAL(got, client_result);
  auto a = ex->answer();
  CAF_REQUIRE(a.has_value());
  auto text = (*a)["result"]["content"][0]["text"].get<std::string>();
  CAF_CHECK_EQUAL(text, "client said " + client_result.dump());
  CAF_CHECK(plog->ask_errors.empty());
}

CAF_TEST(a client error response to an ask fails the provider ask) {
  auto sid = open_session("2025-11-25", { { "sampling", json::object() } });
  auto ex =
    post(req("tools/call",
             { { "name", "fake.work" },
               { "arguments", { { "text", "q" }, { "mode", "ask" } } } }),
         sid);
  auto evs = ex->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto ask_id = json::parse(evs[0].data)["id"];
  post(json{ { "jsonrpc", "2.0" },
             { "id", ask_id },
             { "error", { { "code", -1 }, { "message", "user declined" } } } },
       sid);
  CAF_REQUIRE_EQUAL(plog->ask_errors.size(), 1u);
  CAF_CHECK(plog->ask_errors[0].find("user declined") != std::string::npos);
  CAF_CHECK(ex->answer().has_value());
}

CAF_TEST(an ask is refused when the client did not declare sampling) {
  auto sid = open_session();
  exchange_ptr ex;
  auto a =
    call_tool(sid, "fake.work", { { "text", "q" }, { "mode", "ask" } }, &ex);
  CAF_CHECK(ex->data_events().empty());
  CAF_REQUIRE_EQUAL(plog->ask_errors.size(), 1u);
  CAF_CHECK(plog->ask_errors[0].find("sampling") != std::string::npos);
  auto is_error = a["result"]["isError"];
  CAF_CHECK_EQUAL(is_error, true);
}

// ENGINE BUG (reported, fails until fixed): notifications/cancelled does not
// reject the asks of the cancelled call (engine.cpp `engine::notification`,
// lines 303-321, unlike `finish` and `end_session`): the asks_ entry and the
// provider's ask stay pending until the session ends, and a late client
// response is still delivered to the provider.
CAF_TEST(cancelling a call rejects its pending ask) {
  auto sid = open_session("2025-11-25", { { "sampling", json::object() } });
  post(req("tools/call",
           { { "name", "fake.work" },
             { "arguments", { { "text", "q" }, { "mode", "ask" } } } },
           11),
       sid);
  CAF_REQUIRE_EQUAL(plog->calls.size(), 1u);
  post(note("notifications/cancelled", { { "requestId", 11 } }), sid);
  CAF_REQUIRE_EQUAL(plog->cancelled.size(), 1u);
  CAF_CHECK_EQUAL(plog->ask_errors.size(), 1u);
}

// -- logging
// -------------------------------------------------------------------

CAF_TEST(logging / setLevel error filters out info messages) {
  auto quiet = open_session();
  auto set = result_of(quiet, "logging/setLevel", { { "level", "error" } });
  CAF_CHECK_EQUAL(set, json::object());
  exchange_ptr ex;
  call_tool(quiet, "fake.work", { { "text", "l" }, { "mode", "log" } }, &ex);
  auto evs = ex->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto level = json::parse(evs[0].data)["params"]["level"];
  CAF_CHECK_EQUAL(level, "error");
  // A session that set no level gets both.
  auto chatty = open_session();
  exchange_ptr ex2;
  call_tool(chatty, "fake.work", { { "text", "l" }, { "mode", "log" } }, &ex2);
  CAF_CHECK_EQUAL(ex2->data_events().size(), 2u);
  // An unknown level is refused.
  auto bad =
    post(req("logging/setLevel", { { "level", "loud" } }), quiet)->answer();
  CAF_REQUIRE(bad.has_value());
  auto code = (*bad)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32602);
}

// ENGINE BUG (reported, fails until fixed): `engine::on_notify`
// (engine_methods.cpp line 484) calls
// `msg["params"].value("level", "")` on a notifications/message without an
// object `params`; nlohmann throws type_error 306 and the exception escapes
// the message handler, so CAF terminates the edge actor with every session.
CAF_TEST(a notifications / message without params does not take the edge down) {
  auto sid = open_session();
  result_of(sid, "logging/setLevel", { { "level", "error" } });
  post(req("tools/call",
           { { "name", "fake.work" },
             { "arguments", { { "text", "b" }, { "mode", "badlog" } } } }),
       sid);
  auto ping = post(req("ping"), sid)->answer();
  CAF_CHECK(ping.has_value());
}

// ENGINE BUG (reported, fails until fixed): same as above for a resource
// update tied to no call (`msg["params"].value("uri", "")`,
// engine_methods.cpp line 467).
CAF_TEST(a resources / updated without params does not take the edge down) {
  auto sid = open_session();
  post(req("tools/call",
           { { "name", "fake.work" },
             { "arguments", { { "text", "b" }, { "mode", "badupdate" } } } }),
       sid);
  auto ping = post(req("ping"), sid)->answer();
  CAF_CHECK(ping.has_value());
}

// -- resumability
// --------------------------------------------------------------

CAF_TEST(a GET with Last - Event - ID replays the stream and takes its answer) {
  auto sid = open_session();
  auto ex = post(
    req("tools/call",
        { { "name", "fake.work" },
          { "arguments", { { "text", "r" }, { "mode", "notify2hold" } } } }),
    sid);
  auto evs = ex->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 2u);
  auto first = json::parse(evs[0].data);
  auto p1 = progress(1);
  CAF_CHECK_EQUAL(first, p1);
  CAF_CHECK(!ex->answer().has_value());
  // The connection drops; the client saw only the first event.
  ex->drop();
  auto before = ex->records().size();
  auto ex2 = get(sid, evs[0].id);
  CAF_CHECK_EQUAL(ex2->count("fail"), 0u);
  auto replayed = ex2->data_events();
  CAF_REQUIRE_EQUAL(replayed.size(), 1u);
  CAF_CHECK_EQUAL(replayed[0].id, evs[1].id);
  CAF_CHECK_EQUAL(replayed[0].data, evs[1].data);
  CAF_CHECK(!ex2->answer().has_value());
  // The provider finishes: the answer goes to the new exchange.
  self->send(
    provider, caf::ok_atom::value, last_call_id(), std::string{ "fin" });
  consume_messages();
  auto a = ex2->answer();
  CAF_REQUIRE(a.has_value());
  auto text = (*a)["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "fin");
  // The macro keeps a reference: the records must outlive it.
  auto last_ex2 = ex2->records().back().what;
  CAF_CHECK_EQUAL(last_ex2, "reply_event");
  CAF_CHECK_EQUAL(ex->records().size(), before);
  CAF_CHECK(!ex->answer().has_value());
  // Resuming the finished stream replays the rest, answer included.
  auto ex3 = get(sid, evs[0].id);
  auto rs = ex3->records();
  CAF_CHECK_EQUAL(ex3->data_events().size(), 2u);
  CAF_REQUIRE(!rs.empty());
  CAF_CHECK_EQUAL(rs.back().what, "end");
}

CAF_TEST(a malformed Last - Event - ID gets 400) {
  auto sid = open_session();
  auto f = get(sid, "garbage")->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 400);
}

// -- the standalone GET stream
// ---------------------------------------------------

CAF_TEST(the GET stream gets tools / list_changed when the provider leaves) {
  auto sid = open_session();
  auto g = get(sid);
  CAF_CHECK_EQUAL(g->count("fail"), 0u);
  // 2025-11-25: a priming event, no data.
  CAF_CHECK_EQUAL(g->count("event"), 1u);
  CAF_CHECK(g->data_events().empty());
  // Refreshes that change nothing send nothing.
  advance(600ms);
  CAF_CHECK(g->data_events().empty());
  // A second GET stream while the first is open is refused.
  auto g2 = get(sid)->failure();
  CAF_REQUIRE(g2.has_value());
  CAF_CHECK_EQUAL(g2->first, 409);
  reg->names = { "edge@n1", "membership@n2" };
  advance(300ms);
  auto evs = g->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto method = json::parse(evs[0].data)["method"];
  CAF_CHECK_EQUAL(method, "notifications/tools/list_changed");
  auto names = tool_names(result_of(sid, "tools/list"));
  CAF_CHECK(!contains(names, "fake.work"));
  CAF_CHECK(contains(names, "sophia.echo"));
  // It comes back when the registry lists it again.
  reg->names = { provider_key, "edge@n1", "membership@n2" };
  advance(300ms);
  CAF_CHECK_EQUAL(g->data_events().size(), 2u);
  auto back = tool_names(result_of(sid, "tools/list"));
  CAF_CHECK(contains(back, "fake.work"));
}

CAF_TEST(a provider that terminates is dropped from the catalog) {
  auto sid = open_session();
  auto g = get(sid);
  caf::anon_send_exit(provider, caf::exit_reason::kill);
  consume_messages();
  auto evs = g->data_events();
  CAF_REQUIRE_EQUAL(evs.size(), 1u);
  auto method = json::parse(evs[0].data)["method"];
  CAF_CHECK_EQUAL(method, "notifications/tools/list_changed");
  // The registry still lists it, but describing a dead actor fails: it stays
  // out of the catalog.
  advance(600ms);
  auto names = tool_names(result_of(sid, "tools/list"));
  CAF_CHECK(!contains(names, "fake.work"));
  CAF_CHECK_EQUAL(names.size(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()
