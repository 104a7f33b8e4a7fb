// The service embedder without a node: its transport is a function here,
// answering as an AI service's `embed` tool would (or failing as it may).

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/vectors/record.hpp"
#include "actors/pipeline/vectors/record_index.hpp"
#include "actors/pipeline/vectors/service_embedder.hpp"
#include "runtime/error.hpp"

namespace v = sophia::actors::pipeline::vectors;
using nlohmann::json;
using sophia::runtime::errc;
using sophia::runtime::make_error;

namespace {

constexpr size_t dim = 32;

v::service_embedder_options options(size_t batch = 64) {
  v::service_embedder_options o;
  o.service = "together_ai";
  o.model = "m1";
  o.dimension = dim;
  o.batch = batch;
  return o;
}

/// A vector for `text`: not of unit length (the embedder normalises), and
/// the same for the same text.
json vector_of(const std::string& text, size_t n = dim) {
  json v = json::array();
  auto h = std::hash<std::string>{}(text);
  for (size_t i = 0; i < n; ++i)
    v.push_back(static_cast<double>((h >> (i % 48)) & 0xff) + 1.0);
  return v;
}

/// The `embed` tool's success: a CallToolResult with the vectors.
std::string reply_of(const json& vectors) {
  return json{{"content", {{{"type", "text"}, {"text", "ok"}}}},
              {"structuredContent",
               {{"model", "m1"}, {"provider", "Together AI"},
                {"dimensions", dim}, {"embeddings", vectors}}}}
    .dump();
}

/// Records the calls' arguments; answers each text with `vector_of`.
struct fake_service {
  std::vector<json> calls;
  std::chrono::milliseconds deadline{0};

  v::service_embedder::transport transport() {
    return [this](const std::string& payload, std::chrono::milliseconds d)
             -> caf::expected<std::string> {
      deadline = d;
      auto req = json::parse(payload);
      calls.push_back(req);
      json out = json::array();
      for (auto& t : req["arguments"]["input"])
        out.push_back(vector_of(t.get<std::string>()));
      return reply_of(out);
    };
  }
};

v::service_embedder::transport answering(std::string reply) {
  return [reply](const std::string&, std::chrono::milliseconds)
           -> caf::expected<std::string> { return reply; };
}

std::optional<std::string> embed_one(v::service_embedder& e) {
  std::vector<float> out(dim);
  return e.embed("hello", out);
}

double norm(std::span<const float> v) {
  double s = 0;
  for (auto x : v)
    s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

} // namespace

TEST_CASE("service embedder: batches of `batch` texts, unit vectors") {
  fake_service svc;
  auto opts = options(4);
  opts.deadline = std::chrono::milliseconds{1234};
  v::service_embedder e{opts, svc.transport()};
  CHECK(e.dimension() == dim);
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i)
    texts.push_back("text " + std::to_string(i));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * dim);
  auto err = e.embed_batch(views, out);
  REQUIRE_MESSAGE(!err, *err);
  // 10 texts in batches of 4: 4, 4, 2; in order, with the model.
  REQUIRE(svc.calls.size() == 3);
  CHECK(svc.calls[0]["name"] == "embed");
  CHECK(svc.calls[0]["arguments"]["model"] == "m1");
  CHECK(svc.calls[0]["arguments"]["input"].size() == 4);
  CHECK(svc.calls[1]["arguments"]["input"][0] == "text 4");
  CHECK(svc.calls[2]["arguments"]["input"].size() == 2);
  CHECK(svc.deadline == std::chrono::milliseconds{1234});
  for (size_t i = 0; i < texts.size(); ++i) {
    auto row = std::span<const float>{out}.subspan(i * dim, dim);
    CHECK(norm(row) == doctest::Approx(1.0).epsilon(1e-5));
    // The direction is the service's vector's.
    auto raw = vector_of(texts[i]);
    CHECK(row[3] / row[0]
          == doctest::Approx(raw[3].get<double>() / raw[0].get<double>()));
  }
  // One text: one call.
  std::vector<float> one(dim);
  CHECK_FALSE(e.embed("text 3", one));
  CHECK(svc.calls.size() == 4);
  CHECK(std::equal(one.begin(), one.end(), out.begin() + 3 * dim));
}

TEST_CASE("service embedder: a vector of another dimension is an error") {
  json vectors = json::array({vector_of("hello", dim + 8)});
  v::service_embedder e{options(), answering(reply_of(vectors))};
  auto err = embed_one(e);
  REQUIRE(err);
  INFO(*err);
  CHECK(err->find("together_ai") != std::string::npos);
  CHECK(err->find("m1") != std::string::npos);
  CHECK(err->find("40 dimensions") != std::string::npos);
  CHECK(err->find("expected 32") != std::string::npos);
  CHECK(err->find("vector_dimension") != std::string::npos);
}

TEST_CASE("service embedder: every failure is an error text, never a throw") {
  SUBCASE("the call fails") {
    v::service_embedder e{
      options(), [](const std::string&, std::chrono::milliseconds)
                   -> caf::expected<std::string> {
        return make_error(errc::deadline_exceeded, "no reply in 30000 ms");
      }};
    auto err = embed_one(e);
    REQUIRE(err);
    CHECK(err->find("together_ai.embed (model m1)") != std::string::npos);
    CHECK(err->find("deadline_exceeded: no reply in 30000 ms")
          != std::string::npos);
  }
  SUBCASE("the tool fails") {
    v::service_embedder e{
      options(),
      answering(R"({"content":[{"type":"text","text":"together_ai: HTTP 503 overloaded"}],"isError":true})")};
    auto err = embed_one(e);
    REQUIRE(err);
    CHECK(err->find("HTTP 503 overloaded") != std::string::npos);
  }
  SUBCASE("malformed replies") {
    for (auto reply : {std::string{"not json"}, std::string{"[1,2]"},
                       std::string{R"({"content":[]})"},
                       std::string{R"({"structuredContent":{"embeddings":7}})"},
                       reply_of(json::array()), // no vector for the text
                       reply_of(json::array({json::array({"x"})})),
                       reply_of(json::array({json::array({1, 2})})),
                       reply_of(json::array({std::vector<double>(dim, 0.0)}))}) {
      v::service_embedder e{options(), answering(reply)};
      std::optional<std::string> err;
      CHECK_NOTHROW(err = embed_one(e));
      CHECK_MESSAGE(err.has_value(), reply);
    }
  }
  SUBCASE("a wrong output size") {
    fake_service svc;
    v::service_embedder e{options(), svc.transport()};
    std::vector<float> out(dim - 1);
    CHECK(e.embed("x", out));
    CHECK(svc.calls.empty());
  }
}

TEST_CASE("vectors index with a service embedder: one call per record, "
          "failures kept apart") {
  auto made = v::record_index::make("exact", dim);
  REQUIRE(std::holds_alternative<std::unique_ptr<v::record_index>>(made));
  auto idx = std::move(std::get<std::unique_ptr<v::record_index>>(made));
  // Another dimension than the index's is refused.
  auto wrong = options();
  wrong.dimension = dim * 2;
  fake_service svc;
  CHECK(idx->use_embedder(
    std::make_unique<v::service_embedder>(wrong, svc.transport())));
  CHECK(idx->use_embedder(
          std::make_unique<v::service_embedder>(options(), svc.transport()))
        == std::nullopt);
  // A record of several chunks is embedded in one call.
  std::string body;
  for (int i = 0; i < 300; ++i)
    body += "word" + std::to_string(i) + " ";
  auto rec = v::make_record("src", "docs", "public.docs", true, {"id"},
                            std::string{"updated"},
                            {{"id", 1}, {"updated", 1}, {"body", body}}, 1);
  CHECK(idx->apply(rec, false) == v::record_index::outcome::indexed);
  CHECK(idx->chunks() > 1);
  REQUIRE(svc.calls.size() == 1);
  CHECK(svc.calls[0]["arguments"]["input"].size() == idx->chunks());
  // A query that is exactly a chunk's text finds it with score ~1.
  auto first = svc.calls[0]["arguments"]["input"][0].get<std::string>();
  auto hits = idx->search(first, 1, "");
  REQUIRE(std::holds_alternative<std::vector<v::search_result>>(hits));
  auto& found = std::get<std::vector<v::search_result>>(hits);
  REQUIRE(found.size() == 1);
  CHECK(found[0].score == doctest::Approx(1.0).epsilon(1e-4));

  // With the service failing, a record is not indexed (the old version
  // stays) and a search fails, both with the service's error.
  made = v::record_index::make("exact", dim);
  auto failing = std::move(std::get<std::unique_ptr<v::record_index>>(made));
  REQUIRE_FALSE(failing->use_embedder(std::make_unique<v::service_embedder>(
    options(), answering(R"({"content":[{"type":"text","text":"boom"}],"isError":true})"))));
  CHECK(failing->apply(rec, false) == v::record_index::outcome::failed);
  CHECK(failing->records() == 0);
  CHECK(failing->last_error().find("boom") != std::string::npos);
  CHECK(idx->use_embedder(std::make_unique<v::service_embedder>(
          options(), answering(R"({"content":[{"type":"text","text":"boom"}],"isError":true})")))
        == std::nullopt);
  auto newer = v::make_record("src", "docs", "public.docs", true, {"id"},
                              std::string{"updated"},
                              {{"id", 1}, {"updated", 2}, {"body", "new"}}, 2);
  CHECK(idx->apply(newer, false) == v::record_index::outcome::failed);
  CHECK(idx->records() == 1);
  auto r = idx->search("anything", 3, "");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("embedding the query") != std::string::npos);
  CHECK(std::get<std::string>(r).find("boom") != std::string::npos);
}
