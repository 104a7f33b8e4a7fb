// The vector store sink against the stand-ins' stateful Pinecone and
// Weaviate (tests/standins/lib/vector_dbs.mjs), through Sophia's HTTP
// client: batching on the wire, query, delete, and the errors an operator
// sees (a bad key, an unreachable host, the breaker opening).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "../../ai/standin_process.hpp"
#include "actors/pipeline/vector_stores/sink.hpp"
#include "actors/pipeline/vector_stores/vector_store.hpp"
#include "actors/pipeline/vector_stores/weaviate.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/system/setup.hpp"

namespace vs = sophia::actors::pipeline::vector_stores;
using nlohmann::json;
using namespace std::chrono_literals;
using sophia::runtime::code_of;
using sophia::runtime::detail_of;
using sophia::runtime::errc;

namespace {

const std::string test_key = "pc-test-SECRET-51b2";

/// A unit vector pointing mostly along axis `i` of `dim`, so that chunk i is
/// the nearest to a query along axis i.
std::vector<float> axis(size_t i, size_t dim) {
  std::vector<float> v(dim, 0.01f);
  v[i % dim] = 1.0f;
  float norm = 0;
  for (auto x : v)
    norm += x * x;
  for (auto& x : v)
    x /= std::sqrt(norm);
  return v;
}

std::string chunks_json(size_t n, size_t dim, const std::string& table) {
  auto out = json::array();
  for (size_t i = 0; i < n; ++i)
    out.push_back(
      { { "id", table + "/" + std::to_string(i) + "#0" },
        { "values", axis(i, dim) },
        { "metadata",
          { { "source", "shop" },
            { "stream", table },
            { "table", table },
            { "key", std::to_string(i) },
            { "text", "row " + std::to_string(i) + " of " + table } } } });
  return out.dump();
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<sophia::ai_test::standin_process> standin;
  caf::actor http;
  std::vector<caf::actor> sinks;

  fixture() {
    sophia::runtime::system::announce(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    standin = std::make_unique<sophia::ai_test::standin_process>();
    http = sophia::runtime::http::spawn_client(*sys);
  }

  ~fixture() {
    for (auto& a : sinks)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(http, caf::exit_reason::user_shutdown);
  }

  /// `[services.NAME]` pointing at the stand-in, with quick retries.
  sophia::runtime::config::service_config service(const std::string& name) {
    sophia::runtime::config::service_config svc;
    svc.name = name;
    svc.api_key = "env:VS_TEST_KEY";
    svc.base_url = standin->url() + "/" + name + "/";
    svc.backoff_ms = 20;
    svc.timeout_ms = 5000;
    svc.connect_timeout_ms = 1000;
    svc.breaker_failures = 3;
    svc.breaker_cooldown_ms = 60000;
    return svc;
  }

  caf::actor sink(const sophia::runtime::config::service_config& svc,
                  const std::string& key = test_key) {
    auto settings = vs::sink_settings_of(svc, key);
    REQUIRE_MESSAGE(settings, detail_of(settings.error()));
    auto a = vs::spawn_sink(*sys, http, *settings);
    sinks.push_back(a);
    return a;
  }

  caf::expected<uint64_t> upsert(const caf::actor& sink,
                                 const std::string& chunks) {
    caf::scoped_actor self{ *sys };
    caf::expected<uint64_t> out{ uint64_t{ 0 } };
    self->request(sink, 30s, vs::atoms::upsert::value, chunks)
      .receive([&](uint64_t n) { out = n; },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  caf::expected<std::vector<vs::match>> query(const caf::actor& sink,
                                              const std::vector<float>& v,
                                              uint64_t k,
                                              const std::string& filter = {}) {
    caf::scoped_actor self{ *sys };
    caf::expected<std::vector<vs::match>> out{ std::vector<vs::match>{} };
    auto on_text = [&](const std::string& text) {
      std::vector<vs::match> ms;
      REQUIRE(vs::matches_from_json(json::parse(text), ms));
      out = std::move(ms);
    };
    auto on_error = [&](caf::error& e) { out = std::move(e); };
    if (filter.empty())
      self->request(sink, 30s, vs::atoms::query::value, v, k)
        .receive(on_text, on_error);
    else
      self->request(sink, 30s, vs::atoms::query::value, v, k, filter)
        .receive(on_text, on_error);
    return out;
  }

  caf::expected<uint64_t> remove(const caf::actor& sink,
                                 std::vector<std::string> ids) {
    caf::scoped_actor self{ *sys };
    caf::expected<uint64_t> out{ uint64_t{ 0 } };
    self->request(sink, 30s, vs::atoms::remove::value, std::move(ids))
      .receive([&](uint64_t n) { out = n; },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }
};

constexpr size_t dim = 8;

void check_store(fixture& f,
                 const std::string& name,
                 const std::string& upsert_path) {
  auto svc = f.service(name);
  svc.collection = name == "pinecone" ? "ns-test" : "OrderChunk";
  auto sink = f.sink(svc);
  f.standin->reset();
  SUBCASE("250 chunks go in 3 requests; the nearest comes back with metadata") {
    auto n = f.upsert(sink, chunks_json(250, dim, "orders"));
    REQUIRE_MESSAGE(n, detail_of(n.error()));
    CHECK(*n == 250);
    auto reqs = f.standin->requests(name, upsert_path);
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0]["status"] == 200);
    if (name == "pinecone") {
      CHECK(reqs[0]["body"]["vectors"].size() == 100);
      CHECK(reqs[2]["body"]["vectors"].size() == 50);
      CHECK(reqs[0]["body"]["namespace"] == "ns-test");
      CHECK(reqs[0]["headers"]["api-key"] == test_key);
    } else {
      CHECK(reqs[0]["body"]["objects"].size() == 100);
      CHECK(reqs[0]["headers"]["authorization"] == "Bearer " + test_key);
    }
    auto ms = f.query(sink, axis(3, dim), 5);
    REQUIRE_MESSAGE(ms, detail_of(ms.error()));
    REQUIRE(ms->size() == 5);
    // Chunks 3, 11, 19, ... share axis 3: all as near; one of them first.
    CHECK((*ms)[0].score == doctest::Approx(1.0).epsilon(1e-4));
    auto first = std::stoul((*ms)[0].metadata.key);
    CHECK(first % dim == 3);
    CHECK((*ms)[0].id == "orders/" + (*ms)[0].metadata.key + "#0");
    CHECK((*ms)[0].metadata.table == "orders");
    CHECK((*ms)[0].metadata.text ==
          "row " + (*ms)[0].metadata.key + " of orders");
    for (size_t i = 1; i < ms->size(); ++i)
      CHECK((*ms)[i - 1].score >= (*ms)[i].score);

    // A filter narrows the candidates.
    auto other = f.upsert(sink, chunks_json(3, dim, "users"));
    REQUIRE(other);
    ms = f.query(sink, axis(1, dim), 3, R"({"table":"users"})");
    REQUIRE_MESSAGE(ms, detail_of(ms.error()));
    REQUIRE(ms->size() == 3);
    for (auto& m : *ms)
      CHECK(m.metadata.table == "users");
    CHECK((*ms)[0].id == "users/1#0");

    // Deleting removes.
    auto d = f.remove(sink, { "users/1#0", "users/0#0" });
    REQUIRE_MESSAGE(d, detail_of(d.error()));
    CHECK(*d == 2);
    ms = f.query(sink, axis(1, dim), 3, R"({"table":"users"})");
    REQUIRE(ms);
    REQUIRE(ms->size() == 1);
    CHECK((*ms)[0].id == "users/2#0");
  }
  SUBCASE("a wrong key gives a clear error") {
    auto bad = f.sink(svc, "invalid");
    auto n = f.upsert(bad, chunks_json(2, dim, "orders"));
    REQUIRE_FALSE(n);
    CHECK(code_of(n.error()) == errc::service_error);
    auto text = detail_of(n.error());
    INFO(text);
    CHECK(text.rfind(name + ": HTTP 401: ", 0) == 0);
    CHECK(text.find("check the secret of [services." + name +
                    "] api_key, env:VS_TEST_KEY") != std::string::npos);
    CHECK(text.find("invalid") == std::string::npos); // the key itself never
  }
  SUBCASE("a store error names the status and the store's message") {
    // Another dimension than the stored vectors': Pinecone 400, Weaviate a
    // failed object in a 200.
    REQUIRE(f.upsert(sink, chunks_json(1, dim, "orders")));
    auto n = f.upsert(sink, chunks_json(1, dim + 1, "orders"));
    REQUIRE_FALSE(n);
    auto text = detail_of(n.error());
    INFO(text);
    CHECK(code_of(n.error()) == errc::service_error);
    if (name == "pinecone")
      CHECK(text.rfind("pinecone: HTTP 400: Vector dimension 9", 0) == 0);
    else
      CHECK(text.rfind("weaviate: 1 of 1 objects failed: orders/0#0: ", 0) ==
            0);
  }
}

} // namespace

TEST_CASE("pinecone through the sink") {
  fixture f;
  check_store(f, "pinecone", "/vectors/upsert");
}

TEST_CASE("weaviate through the sink") {
  fixture f;
  check_store(f, "weaviate", "/v1/batch/objects");
}

TEST_CASE("an unreachable store: a clear error, then the breaker opens") {
  fixture f;
  auto svc = f.service("pinecone");
  // A port nothing listens on: the stand-in's, after it is gone.
  auto url = f.standin->url();
  f.standin.reset();
  svc.base_url = url + "/pinecone";
  svc.max_retries = 0;
  auto sink = f.sink(svc);
  for (int i = 0; i < 3; ++i) {
    auto n = f.upsert(sink, chunks_json(1, dim, "orders"));
    REQUIRE_FALSE(n);
    INFO(detail_of(n.error()));
    CHECK(code_of(n.error()) == errc::unreachable);
    CHECK(detail_of(n.error()).rfind("pinecone: ", 0) == 0);
    CHECK(detail_of(n.error()).find("check [services.pinecone] base_url " +
                                    url) != std::string::npos);
  }
  auto n = f.upsert(sink, chunks_json(1, dim, "orders"));
  REQUIRE_FALSE(n);
  INFO(detail_of(n.error()));
  CHECK(code_of(n.error()) == errc::unavailable);
  CHECK(detail_of(n.error()).rfind("pinecone: ", 0) == 0);
  CHECK(detail_of(n.error()).find("stopped sending it requests") !=
        std::string::npos);
}

TEST_CASE("settings: what a [services.NAME] table must say") {
  sophia::runtime::config::service_config svc;
  svc.name = "weaviate";
  auto s = vs::sink_settings_of(svc, "");
  REQUIRE_FALSE(s);
  CHECK(detail_of(s.error()).find("[services.weaviate] base_url is not set") ==
        0);
  svc.base_url = "https://x.weaviate.cloud/v1/";
  s = vs::sink_settings_of(svc, ""); // anonymous access
  REQUIRE(s);
  CHECK(s->base_url == "https://x.weaviate.cloud");
  CHECK(s->collection == "SophiaChunk");
  svc.collection = "bad-name";
  s = vs::sink_settings_of(svc, "");
  REQUIRE_FALSE(s);
  CHECK(code_of(s.error()) == errc::bad_config);
  svc.name = "pinecone";
  svc.collection = "any namespace";
  CHECK_FALSE(vs::sink_settings_of(svc, "")); // Pinecone needs a key
  CHECK(vs::sink_settings_of(svc, "k")->collection == "any namespace");
  svc.name = "redis";
  CHECK(code_of(vs::sink_settings_of(svc, "k").error()) == errc::not_found);
}
