// hashing_embedder: deterministic, normalised, and similar texts close.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/vectors/hashing_embedder.hpp"

using namespace sophia::runtime::vectors;

namespace {

std::vector<float> embed(embedder& e, std::string_view text) {
  std::vector<float> v(e.dimension());
  auto err = e.embed(text, v);
  REQUIRE_FALSE(err);
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double{ a[i] } * b[i];
  return s;
}

double norm(const std::vector<float>& v) {
  return std::sqrt(dot(v, v));
}

hashing_embedder make(hashing_embedder_config cfg) {
  auto made = hashing_embedder::make(cfg);
  REQUIRE(std::holds_alternative<hashing_embedder>(made));
  return std::get<hashing_embedder>(std::move(made));
}

} // namespace

TEST_CASE("hashing_embedder: the same text gives the same vector") {
  hashing_embedder a;
  hashing_embedder b;
  auto text = "The quick brown fox jumps over the lazy dog";
  auto first = embed(a, text);
  embed(a, "something else in between, to dirty the scratch buffers");
  CHECK(embed(a, text) == first);
  CHECK(embed(b, text) == first);
}

TEST_CASE("hashing_embedder: fixed values, the same on every machine") {
  // Pinned: a change of hash, tokenizer or weights changes stored
  // embeddings, and must be a deliberate one.
  auto e = make({ .dimension = 16 });
  auto v = embed(e, "Hello, world! Naïve café");
  std::vector<float> want{
    0.378879249f,  -0.0169200636f, 0.0f,          0.109373018f,
    0.32811904f,   0.345039099f,   -0.218746036f, 0.109373018f,
    -0.488252252f, 0.235666096f,   -0.218746036f, 0.252586156f,
    0.235666096f,  -0.109373018f,  0.269506216f,  -0.109373018f,
  };
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(v[i] - want[i]) < 1e-6f);
  }
}

TEST_CASE("hashing_embedder: vectors have unit norm, and no NaN") {
  hashing_embedder e;
  for (auto text : { "a",
                     "Hello, world!",
                     "naïve café — ÜBER straße",
                     "日本語のテキスト",
                     "x x x x x x x x x x",
                     "a much longer text with many words that repeat, "
                     "words and words and more words" }) {
    CAPTURE(text);
    auto v = embed(e, text);
    CHECK(norm(v) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("hashing_embedder: a text without words is the zero vector") {
  hashing_embedder e;
  for (auto text : { "", "   ", "?!., ;-- ()", "\xff\xfe\x80" }) {
    CAPTURE(text);
    auto v = embed(e, text);
    for (auto x : v) {
      CHECK_FALSE(std::isnan(x));
      CHECK(x == 0.0f);
    }
  }
}

TEST_CASE("hashing_embedder: case and punctuation do not matter") {
  hashing_embedder e;
  CHECK(embed(e, "Hello, World!") == embed(e, "hello world"));
  CHECK(embed(e, "CAFÉ ÉTÉ") == embed(e, "café été"));
  // Curly quotes and dashes separate words like ASCII ones.
  CHECK(embed(e, "“quoted”—text") == embed(e, "quoted text"));
}

TEST_CASE("hashing_embedder: invalid UTF-8 is no problem") {
  hashing_embedder e;
  auto v = embed(e, "broken \xc3 sequence \xe2\x82 and \xf0\x9f\x98 end");
  CHECK(norm(v) == doctest::Approx(1.0).epsilon(1e-5));
  // The invalid bytes only separate words.
  CHECK(v == embed(e, "broken sequence and end"));
}

TEST_CASE("hashing_embedder: a paraphrase is near, an unrelated text far") {
  hashing_embedder e;
  std::vector<std::string> corpus{
    "How do I reset my account password?",
    "The weather in Paris is sunny with a light breeze today",
    "Quarterly revenue grew by twelve percent over last year",
    "Install the package with apt-get and restart the service",
    "Our cat sleeps on the sofa all afternoon",
  };
  std::vector<std::string> paraphrases{
    "reset password for my account",
    "sunny weather today in Paris",
    "revenue grew twelve percent this quarter",
    "restart the service after you install the package",
    "the cat sleeps all afternoon on our sofa",
  };
  std::vector<std::vector<float>> docs;
  for (auto& text : corpus)
    docs.push_back(embed(e, text));
  for (size_t i = 0; i < docs.size(); ++i)
    CHECK(dot(docs[i], docs[i]) == doctest::Approx(1.0).epsilon(1e-5));
  for (size_t i = 0; i < paraphrases.size(); ++i) {
    CAPTURE(paraphrases[i]);
    auto q = embed(e, paraphrases[i]);
    auto own = dot(q, docs[i]);
    CHECK(own > 0.4);
    for (size_t j = 0; j < docs.size(); ++j) {
      if (j == i) continue;
      CAPTURE(corpus[j]);
      // Clearly apart, not just in order.
      CHECK(own > dot(q, docs[j]) + 0.25);
      CHECK(dot(q, docs[j]) < 0.2);
    }
  }
}

TEST_CASE("hashing_embedder: inflected words stay close through n-grams") {
  hashing_embedder e;
  auto a = embed(e, "connection");
  auto b = embed(e, "connections");
  auto c = embed(e, "butterfly");
  CHECK(dot(a, b) > 0.3);
  CHECK(dot(a, b) > dot(a, c) + 0.25);
}

TEST_CASE("hashing_embedder: the dimension is configurable") {
  for (size_t dim : { 1, 16, 64, 100, 1024 }) {
    CAPTURE(dim);
    auto e = make({ .dimension = dim });
    CHECK(e.dimension() == dim);
    auto v = embed(e, "dimension test text");
    CHECK(v.size() == dim);
    CHECK(norm(v) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("hashing_embedder: bad settings and sizes are errors") {
  CHECK(std::holds_alternative<std::string>(
    hashing_embedder::make({ .dimension = 0 })));
  CHECK(std::holds_alternative<std::string>(
    hashing_embedder::make({ .min_ngram = 6, .max_ngram = 5 })));
  CHECK(std::holds_alternative<std::string>(
    hashing_embedder::make({ .min_ngram = 0 })));
  CHECK(std::holds_alternative<std::string>(
    hashing_embedder::make({ .word_weight = -1 })));
  // Words only: no n-grams.
  CHECK(std::holds_alternative<hashing_embedder>(
    hashing_embedder::make({ .min_ngram = 0, .max_ngram = 0 })));
  hashing_embedder e;
  std::vector<float> small(10);
  CHECK(e.embed("text", small).has_value());
}

TEST_CASE("hashing_embedder: a batch equals one text at a time") {
  hashing_embedder e;
  std::vector<std::string_view> texts{ "first text", "", "the third one" };
  std::vector<float> out(texts.size() * e.dimension());
  REQUIRE_FALSE(e.embed_batch(texts, out));
  for (size_t i = 0; i < texts.size(); ++i) {
    auto one = embed(e, texts[i]);
    CHECK(std::equal(one.begin(), one.end(), out.begin() + i * e.dimension()));
  }
  std::vector<float> wrong(5);
  CHECK(e.embed_batch(texts, wrong).has_value());
}
