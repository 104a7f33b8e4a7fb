#include <doctest/doctest.h>

#include <string>

#include "actors/pipeline/vectors/text.hpp"

namespace v = sophia::actors::pipeline::vectors;
using nlohmann::json;

TEST_CASE("vectors text: string fields with their names, metadata left out") {
  auto data = json::parse(R"({"id": 7, "title": "Quarterly report",
    "body": "Revenue grew", "score": 1.5, "ok": true, "blank": "  ",
    "_ab_cdc_updated_at": "2024-01-01", "_airbyte_x": "hidden",
    "author": {"name": "Ada", "tags": ["math", "engines"]}})");
  CHECK(v::extract_text(data)
        == "author.name: Ada\nauthor.tags: math\nauthor.tags: engines\n"
           "body: Revenue grew\ntitle: Quarterly report");
}

TEST_CASE("vectors text: a record without text gives none") {
  CHECK(v::extract_text(json::parse(R"({"id": 1, "n": 2.5, "b": null})")).empty());
  CHECK(v::extract_text(json::object()).empty());
  CHECK(v::extract_text(json("not an object")) == ": not an object");
  CHECK(v::extract_text(json()).empty());
}

TEST_CASE("vectors text: nesting deeper than the limit is not read") {
  json deep = "bottom";
  for (int i = 0; i < 20; ++i)
    deep = json{{"x", deep}};
  CHECK(v::extract_text(deep).empty());
  v::text_limits lim;
  lim.max_depth = 64;
  CHECK(v::extract_text(deep, lim).find("bottom") != std::string::npos);
}

TEST_CASE("vectors chunks: short text is one chunk, empty none") {
  CHECK(v::chunk_text("").empty());
  CHECK(v::chunk_text("   ").empty());
  auto c = v::chunk_text("hello world");
  REQUIRE(c.size() == 1);
  CHECK(c[0] == "hello world");
}

TEST_CASE("vectors chunks: long text is cut at words, with overlap") {
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += "word" + std::to_string(i) + " ";
  v::text_limits lim;
  lim.chunk_bytes = 200;
  lim.overlap_bytes = 50;
  auto chunks = v::chunk_text(text, lim);
  REQUIRE(chunks.size() > 10);
  for (size_t i = 0; i < chunks.size(); ++i) {
    CHECK(chunks[i].size() <= 200);
    // Cuts fall on whitespace: every chunk starts with a whole word.
    CHECK(chunks[i].rfind("word", 0) == 0);
  }
  // Each chunk starts inside the one before (the overlap).
  for (size_t i = 1; i < chunks.size(); ++i) {
    auto first = chunks[i].substr(0, chunks[i].find(' '));
    CHECK(chunks[i - 1].find(first + " ") != std::string::npos);
  }
  // Every word is in some chunk.
  for (int i = 0; i < 400; i += 37) {
    auto w = "word" + std::to_string(i) + " ";
    bool found = false;
    for (auto& c : chunks)
      found = found || (c + " ").find(w) != std::string::npos;
    CHECK_MESSAGE(found, w);
  }
}

TEST_CASE("vectors chunks: no cut inside a UTF-8 sequence, bounded count") {
  std::string text;
  for (int i = 0; i < 3000; ++i)
    text += "\xc3\xa9"; // é, no spaces at all
  v::text_limits lim;
  lim.chunk_bytes = 101;
  lim.overlap_bytes = 20;
  lim.max_chunks = 5;
  auto chunks = v::chunk_text(text, lim);
  CHECK(chunks.size() == 5);
  for (auto& c : chunks) {
    CHECK(c.size() % 2 == 0);
    CHECK(static_cast<unsigned char>(c[0]) == 0xc3);
  }
}
