// The Redis stage on a real redis-server: latest version by key (cursor,
// emitted_at, deletions, TTL), event streams, the tail reader, outages.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "actors/pipeline/redis/connection.hpp"
#include "actors/pipeline/redis/latest.hpp"
#include "actors/pipeline/redis/tail.hpp"
#include "actors/pipeline/redis/writer.hpp"
#include "redis_server.hpp"

namespace rd = sophia::actors::pipeline::redis;
using sophia::tests::integration::redis_server;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

rd::table_record rec(json data, int64_t ms, bool deleted = false) {
  return {std::move(data), ms, deleted};
}

rd::table_batch batch(std::vector<rd::table_record> records,
                      std::vector<std::string> key = {"id"},
                      std::optional<std::string> cursor = "updated",
                      std::string table = "public.users") {
  return {std::move(table), std::move(key), std::move(cursor),
          std::move(records)};
}

rd::writer_options options(const redis_server& s) {
  rd::writer_options o;
  o.redis.uri = s.uri();
  o.redis.command_timeout = 3s;
  return o;
}

rd::write_stats write_ok(rd::writer& w, const rd::table_batch& b) {
  auto r = w.write(b);
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err);
  return std::get<rd::write_stats>(r);
}

rd::connection_options at(const std::string& uri) {
  rd::connection_options o;
  o.uri = uri;
  return o;
}

rd::connection connect(const redis_server& s) {
  auto c = rd::connection::open(at(s.uri()));
  if (auto* err = std::get_if<std::string>(&c))
    FAIL(*err);
  return std::move(std::get<rd::connection>(c));
}

// The latest version's data, or null when there is none.
json latest_data(rd::connection& c, const std::string& key,
                 const std::string& table = "public.users") {
  auto r = rd::latest(c, table, key);
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err);
  auto& v = std::get<std::optional<rd::latest_value>>(r);
  return v ? json::parse(v->data) : json{};
}

std::vector<rd::event> events_ok(const rd::events_result& r) {
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err);
  return std::get<std::vector<rd::event>>(r);
}

} // namespace

TEST_CASE("connection: replies, pipelined errors, errors name the command") {
  redis_server s;
  auto c = connect(s);
  auto set = c.command({"SET", "k", "v"});
  REQUIRE(std::holds_alternative<rd::reply>(set));
  CHECK(std::get<rd::reply>(set).is(rd::reply::kind::status));
  auto get = std::get<rd::reply>(c.command({"GET", "k"}));
  CHECK(get.is(rd::reply::kind::string));
  CHECK(get.text == "v");
  CHECK(std::get<rd::reply>(c.command({"GET", "none"})).is(rd::reply::kind::nil));
  auto n = std::get<rd::reply>(c.command({"INCRBY", "n", "41"}));
  CHECK(n.integer == 41);
  auto bad = c.command({"INCR", "k"});
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad).find("INCR: ERR") != std::string::npos);
  CHECK(std::get<std::string>(bad).find(std::to_string(s.port()))
        != std::string::npos);

  c.append({"RPUSH", "l", "a", "b"});
  c.append({"INCR", "k"}); // fails alone
  c.append({"LRANGE", "l", "0", "-1"});
  CHECK(c.pending() == 3);
  auto rs = c.flush();
  REQUIRE(std::holds_alternative<std::vector<rd::reply>>(rs));
  auto& v = std::get<std::vector<rd::reply>>(rs);
  REQUIRE(v.size() == 3);
  CHECK(v[0].integer == 2);
  CHECK(v[1].is(rd::reply::kind::error));
  REQUIRE(v[2].elements.size() == 2);
  CHECK(v[2].elements[1].text == "b");
  CHECK(c.pending() == 0);
  CHECK(c.in_flight() == 0);
  CHECK(c.alive());

  // Sent now, read later: the next commands can be prepared meanwhile.
  c.append({"INCR", "n"});
  REQUIRE_FALSE(c.send());
  CHECK(c.in_flight() == 1);
  CHECK(std::holds_alternative<std::string>(c.command({"PING"})));
  c.append({"INCR", "n"});
  REQUIRE_FALSE(c.send());
  auto both = std::get<std::vector<rd::reply>>(c.receive(5));
  REQUIRE(both.size() == 2);
  CHECK(both[1].integer == 43);

  // The same server over its Unix socket, in database 1.
  auto local = rd::connection::open(at("unix://" + s.socket() + "?db=1"));
  if (auto* err = std::get_if<std::string>(&local))
    FAIL(*err);
  auto& u = std::get<rd::connection>(local);
  CHECK(std::get<rd::reply>(u.command({"EXISTS", "n"})).integer == 0);
  CHECK(u.where().text() == s.socket());
}

TEST_CASE("URIs: what is wrong is named, the password never") {
  auto err = [](const std::string& uri) {
    auto r = rd::parse_endpoint(uri);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
  };
  CHECK(err("rediss://h:6380").find("TLS") != std::string::npos);
  CHECK(err("http://h").find("scheme \"http\"") != std::string::npos);
  CHECK(err("h:6379").find("scheme") != std::string::npos);
  CHECK(err("redis://").find("no host") != std::string::npos);
  CHECK(err("redis://h:abc").find("port \"abc\"") != std::string::npos);
  CHECK(err("redis://h:70000").find("port") != std::string::npos);
  CHECK(err("redis://h/x").find("database \"x\"") != std::string::npos);
  CHECK(err("redis://h?timeout=1").find("query") != std::string::npos);
  CHECK(err("unix://relative").find("absolute") != std::string::npos);
  auto secret = err("redis://:hunter2@h:0");
  CHECK(secret.find("port") != std::string::npos);
  CHECK(secret.find("hunter2") == std::string::npos);

  auto ok = std::get<rd::endpoint>(
    rd::parse_endpoint("redis://app:p%40ss:w@cache.local:6380/3"));
  CHECK(ok.host == "cache.local");
  CHECK(ok.port == 6380);
  CHECK(ok.user == "app");
  CHECK(ok.password == "p@ss:w");
  CHECK(ok.db == 3);
  auto lone = std::get<rd::endpoint>(rd::parse_endpoint("redis://pw@h"));
  CHECK(lone.password == "pw");
  CHECK(lone.user.empty());
  CHECK(lone.port == 6379);
  auto v6 = std::get<rd::endpoint>(rd::parse_endpoint("redis://[::1]:7000"));
  CHECK(v6.host == "::1");
  CHECK(v6.text() == "[::1]:7000");
  auto sock = std::get<rd::endpoint>(
    rd::parse_endpoint("unix:///run/redis.sock?db=2"));
  CHECK(sock.socket == "/run/redis.sock");
  CHECK(sock.db == 2);

  // A bad URI, a server that is not there, a refused login: the writer's
  // error says which.
  rd::writer_options o;
  o.redis.uri = "redis://127.0.0.1:notaport";
  auto bad_uri = rd::writer{o}.write(batch({rec({{"id", 1}}, 1)}));
  REQUIRE(std::holds_alternative<std::string>(bad_uri));
  CHECK(std::get<std::string>(bad_uri).find("port \"notaport\"")
        != std::string::npos);

  redis_server s;
  auto port = std::to_string(s.port());
  s.stop();
  auto refused = rd::connection::open(at(s.uri()));
  REQUIRE(std::holds_alternative<std::string>(refused));
  CHECK(std::get<std::string>(refused).find("127.0.0.1:" + port
                                            + ": cannot connect")
        != std::string::npos);
  s.start();
  auto auth = rd::connection::open(at("redis://:wrong@127.0.0.1:" + port));
  REQUIRE(std::holds_alternative<std::string>(auth));
  CHECK(std::get<std::string>(auth).find("AUTH: ") != std::string::npos);
  CHECK(std::get<std::string>(auth).find("wrong@") == std::string::npos);
  auto db = connect(s); // SELECT: a database other than 0
  auto in_db = rd::connection::open(at(s.uri() + "/5"));
  REQUIRE(std::holds_alternative<rd::connection>(in_db));
  std::get<rd::connection>(in_db).command({"SET", "only-in-5", "1"});
  CHECK(s.cli({"-n", "5", "GET", "only-in-5"}) == "1");
  CHECK(std::get<rd::reply>(db.command({"EXISTS", "only-in-5"})).integer == 0);
}

TEST_CASE("latest by key: the higher cursor wins, stale records are skipped") {
  redis_server s;
  rd::writer w{options(s)};
  auto st = write_ok(w, batch({
    rec({{"id", 1}, {"updated", 5}, {"v", "a"}}, 1000),
    rec({{"id", 1}, {"updated", 3}, {"v", "old"}}, 2000),
    rec({{"id", 1}, {"updated", 7}, {"v", "b"}}, 900),
    rec({{"id", 2}, {"updated", 1}, {"v", "x"}}, 1000),
  }));
  CHECK(st.written == 3);
  CHECK(st.skipped == 1);
  CHECK(st.deleted == 0);
  CHECK(st.events == 4);
  auto c = connect(s);
  CHECK(latest_data(c, "[1]")["v"] == "b");
  CHECK(latest_data(c, "[2]")["v"] == "x");
  auto full = std::get<std::optional<rd::latest_value>>(
    rd::latest(c, "public.users", "[1]"));
  REQUIRE(full);
  CHECK(full->cursor == "7");
  CHECK(full->emitted_at_ms == 900);

  // A later batch: an older cursor loses; an equal cursor wins when
  // emitted at the same time or later.
  st = write_ok(w, batch({
    rec({{"id", 1}, {"updated", 6}, {"v", "older"}}, 5000),
    rec({{"id", 1}, {"updated", 7}, {"v", "earlier"}}, 800),
    rec({{"id", 1}, {"updated", 7}, {"v", "same"}}, 900),
    rec({{"id", 1}, {"updated", 7}, {"v", "later"}}, 950),
  }));
  CHECK(st.skipped == 2);
  CHECK(st.written == 2);
  CHECK(latest_data(c, "[1]")["v"] == "later");

  // 64-bit cursors compare exactly (not as doubles), ISO timestamps as
  // text, composite keys as a JSON array.
  write_ok(w, batch({rec({{"id", 3}, {"updated", 9007199254740993LL},
                          {"v", "big"}}, 1),
                     rec({{"id", 3}, {"updated", 9007199254740992LL},
                          {"v", "smaller"}}, 2)}));
  CHECK(latest_data(c, "[3]")["v"] == "big");
  write_ok(w, batch({rec({{"id", 4}, {"updated", "2024-05-01T10:00:00Z"},
                          {"v", "may"}}, 1),
                     rec({{"id", 4}, {"updated", "2024-04-30T23:00:00Z"},
                          {"v", "april"}}, 2)}));
  CHECK(latest_data(c, "[4]")["v"] == "may");
  write_ok(w, batch({rec({{"org", "o"}, {"id", 1}, {"updated", 1}}, 1)},
                    {"org", "id"}, "updated", "crm.members"));
  CHECK(latest_data(c, R"(["o",1])", "crm.members")["org"] == "o");
  CHECK(s.cli({"EXISTS", R"(sophia:crm.members:["o",1])"}) == "1");
}

TEST_CASE("a null cursor loses to any value; no cursor: emitted_at decides") {
  redis_server s;
  rd::writer w{options(s)};
  auto c = connect(s);
  auto st = write_ok(w, batch({
    rec({{"id", 1}, {"v", "no cursor"}}, 1000),
    rec({{"id", 1}, {"updated", 1}, {"v", "one"}}, 500),
    rec({{"id", 1}, {"updated", nullptr}, {"v", "null again"}}, 2000),
  }));
  CHECK(st.written == 2);
  CHECK(st.skipped == 1);
  CHECK(latest_data(c, "[1]")["v"] == "one");

  auto plain = [](std::vector<rd::table_record> rs) {
    return batch(std::move(rs), {"id"}, std::nullopt, "public.plain");
  };
  st = write_ok(w, plain({rec({{"id", 1}, {"v", "second"}}, 2000),
                          rec({{"id", 1}, {"v", "first"}}, 1000),
                          rec({{"id", 1}, {"v", "tie"}}, 2000)}));
  CHECK(st.written == 2);
  CHECK(st.skipped == 1);
  CHECK(latest_data(c, "[1]", "public.plain")["v"] == "tie");
  auto v = std::get<std::optional<rd::latest_value>>(
    rd::latest(c, "public.plain", "[1]"));
  CHECK(v->cursor == "null");
}

TEST_CASE("a CDC deletion deletes the key when it is newer") {
  redis_server s;
  rd::writer w{options(s)};
  auto c = connect(s);
  json gone = {{"id", 1}, {"updated", 2},
               {"_ab_cdc_deleted_at", "2024-01-01T00:00:00Z"}};
  CHECK(rd::is_cdc_deletion(gone));
  CHECK_FALSE(rd::is_cdc_deletion({{"id", 1}, {"_ab_cdc_deleted_at", nullptr}}));
  auto st = write_ok(w, batch({
    rec({{"id", 1}, {"updated", 1}}, 1),
    rec({{"id", 2}, {"updated", 5}}, 1),
    rec(gone, 2, true),
    rec({{"id", 2}, {"updated", 4}, {"_ab_cdc_deleted_at", "x"}}, 2, true),
  }));
  CHECK(st.written == 2);
  CHECK(st.deleted == 1);
  CHECK(st.skipped == 1);
  CHECK(latest_data(c, "[1]").is_null());
  CHECK(latest_data(c, "[2]")["updated"] == 5);
  auto ev = events_ok(rd::last_events(c, "public.users", 10));
  REQUIRE(ev.size() == 4);
  CHECK(ev[2].op == "delete");
  CHECK(ev[2].key == "[1]");
  CHECK(ev[3].op == "delete");
  CHECK(ev[0].op == "insert");
}

TEST_CASE("TTL: latest versions expire when configured") {
  redis_server s;
  auto o = options(s);
  o.ttl = 60s;
  rd::writer with_ttl{o};
  write_ok(with_ttl, batch({rec({{"id", 1}, {"updated", 1}}, 1)}));
  auto pttl = std::stoll(s.cli({"PTTL", "sophia:public.users:[1]"}));
  CHECK(pttl > 50000);
  CHECK(pttl <= 60000);
  rd::writer forever{options(s)};
  write_ok(forever, batch({rec({{"id", 1}, {"updated", 2}}, 1)}));
  CHECK(s.cli({"PTTL", "sophia:public.users:[1]"}) == "-1");
}

TEST_CASE("streams without a key get events only") {
  redis_server s;
  rd::writer w{options(s)};
  auto st = write_ok(w, batch({rec({{"line", "a"}}, 1), rec({{"line", "b"}}, 2)},
                              {}, std::nullopt, "public.logs"));
  CHECK(st.events == 2);
  CHECK(st.written == 0);
  CHECK(st.skipped == 0);
  CHECK(s.cli({"DBSIZE"}) == "1");
  CHECK(s.cli({"XLEN", "sophia:events:public.logs"}) == "2");
  auto c = connect(s);
  auto ev = events_ok(rd::last_events(c, "public.logs", 5));
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].key == "[]");
  CHECK(json::parse(ev[1].data)["line"] == "b");
  CHECK(ev[1].emitted_at_ms == 2);
}

TEST_CASE("the event stream is trimmed to about MAXLEN") {
  redis_server s;
  auto o = options(s);
  o.stream_max_len = 1000;
  o.chunk_commands = 500;
  rd::writer w{o};
  std::vector<rd::table_record> rs;
  for (int i = 0; i < 5000; ++i)
    rs.push_back(rec({{"id", i % 100}, {"updated", i}}, i));
  auto st = write_ok(w, batch(std::move(rs)));
  CHECK(st.events == 5000);
  CHECK(st.written == 5000);
  auto len = std::stoll(s.cli({"XLEN", "sophia:events:public.users"}));
  // `~` trims whole radix-tree nodes (100 entries by default).
  CHECK(len >= 1000);
  CHECK(len < 1300);
  CHECK(s.cli({"DBSIZE"}) == "101");
}

TEST_CASE("tail: the last events, those after an id, follow mode") {
  redis_server s;
  rd::writer w{options(s)};
  std::vector<rd::table_record> rs;
  for (int i = 0; i < 10; ++i)
    rs.push_back(rec({{"id", i}, {"updated", i}}, 100 + i));
  write_ok(w, batch(std::move(rs)));
  auto c = connect(s);

  auto last = events_ok(rd::last_events(c, "public.users", 3));
  REQUIRE(last.size() == 3);
  CHECK(last[0].key == "[7]");
  CHECK(last[2].key == "[9]");
  CHECK(last[2].emitted_at_ms == 109);
  CHECK(last[0].id < last[1].id);

  auto all = events_ok(rd::last_events(c, "public.users", 100));
  REQUIRE(all.size() == 10);
  auto after = events_ok(rd::events_after(c, "public.users", all[4].id, 3));
  REQUIRE(after.size() == 3);
  CHECK(after[0].key == "[5]");
  CHECK(after[2].key == "[7]");
  CHECK(events_ok(rd::events_after(c, "public.users", all[9].id, 3)).empty());

  // Events already there come at once; nothing new: empty after `block`.
  auto t0 = std::chrono::steady_clock::now();
  auto caught_up = events_ok(rd::follow_events(c, "public.users", all[7].id,
                                               100, 5000ms));
  CHECK(caught_up.size() == 2);
  auto none = events_ok(rd::follow_events(c, "public.users", all[9].id, 100,
                                          200ms));
  CHECK(none.empty());
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);

  // Following from now on (`$`): an event written meanwhile arrives.
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    rd::writer other{options(s)};
    other.write(batch({rec({{"id", 42}, {"updated", 1}}, 4242)}));
  });
  auto fresh = rd::follow_events(c, "public.users", "$", 10, 10000ms);
  later.join();
  auto got = events_ok(fresh);
  REQUIRE(got.size() == 1);
  CHECK(got[0].key == "[42]");
  CHECK(got[0].emitted_at_ms == 4242);
  CHECK(events_ok(rd::last_events(c, "public.none", 5)).empty());
}

TEST_CASE("an outage is an error within the timeout; after it, writes work") {
  redis_server s;
  auto o = options(s);
  o.redis.connect_timeout = 1s;
  o.redis.command_timeout = 2s;
  rd::writer w{o};
  write_ok(w, batch({rec({{"id", 1}, {"updated", 1}}, 1)}));
  REQUIRE(w.redis());
  CHECK(w.redis()->alive());

  s.stop();
  CHECK_FALSE(w.redis()->alive());
  auto t0 = std::chrono::steady_clock::now();
  auto down = w.write(batch({rec({{"id", 1}, {"updated", 2}}, 2)}));
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  REQUIRE(std::holds_alternative<std::string>(down));
  INFO(std::get<std::string>(down));
  CHECK(std::get<std::string>(down).find(std::to_string(s.port()))
        != std::string::npos);
  auto again = w.write(batch({rec({{"id", 1}, {"updated", 2}}, 2)}));
  CHECK(std::holds_alternative<std::string>(again));

  // A fresh server (nothing kept, the script forgotten): the next write
  // reconnects and loads the script again.
  s.start();
  auto st = write_ok(w, batch({rec({{"id", 1}, {"updated", 3}, {"v", "back"}}, 3)}));
  CHECK(st.written == 1);
  CHECK(st.events == 1);
  auto c = connect(s);
  CHECK(latest_data(c, "[1]")["v"] == "back");

  // SCRIPT FLUSH behind the writer's back: NOSCRIPT, reload, retry.
  s.cli({"SCRIPT", "FLUSH"});
  st = write_ok(w, batch({rec({{"id", 1}, {"updated", 4}, {"v", "reloaded"}}, 4),
                          rec({{"id", 1}, {"updated", 5}, {"v", "last"}}, 5)}));
  CHECK(st.written == 2);
  CHECK(st.events == 2);
  CHECK(latest_data(c, "[1]")["v"] == "last");
}

TEST_CASE("a hung server: the command timeout ends the wait") {
  redis_server s;
  auto o = options(s);
  o.redis.command_timeout = 500ms;
  rd::writer w{o};
  write_ok(w, batch({rec({{"id", 1}, {"updated", 1}}, 1)}));
  s.freeze(); // its sockets stay open: connects and writes still succeed
  auto t0 = std::chrono::steady_clock::now();
  auto r = w.write(batch({rec({{"id", 1}, {"updated", 2}}, 2)}));
  auto took = std::chrono::steady_clock::now() - t0;
  s.thaw();
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("timed out") != std::string::npos);
  CHECK(took < 2500ms);
  // The timed-out connection is dropped; the next write starts afresh.
  auto st = write_ok(w, batch({rec({{"id", 1}, {"updated", 3}}, 3)}));
  CHECK(st.written == 1);
}

TEST_CASE("100k records in one batch") {
  redis_server s;
  rd::writer w{options(s)};
  std::vector<rd::table_record> rs;
  rs.reserve(100000);
  for (int i = 0; i < 100000; ++i)
    rs.push_back(rec({{"id", i}, {"updated", i}, {"name", "n" + std::to_string(i)}},
                     1700000000000 + i));
  auto b = batch(std::move(rs));
  auto t0 = std::chrono::steady_clock::now();
  auto st = write_ok(w, b);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - t0)
                .count();
  CHECK(st.written == 100000);
  CHECK(st.events == 100000);
  MESSAGE("redis writer: 100000 records in " << secs << " s, "
          << static_cast<long>(100000 / secs) << " records/s");
  CHECK(secs < 60);
  CHECK(s.cli({"XLEN", "sophia:events:public.users"}) == "100000");
  CHECK(s.cli({"HGET", "sophia:public.users:[99999]", "emitted_at"})
        == "1700000099999");
}
