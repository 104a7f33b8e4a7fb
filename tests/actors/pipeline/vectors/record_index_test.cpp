#include <doctest/doctest.h>

#include <string>

#include "actors/pipeline/vectors/record.hpp"
#include "actors/pipeline/vectors/record_index.hpp"

namespace v = sophia::actors::pipeline::vectors;
using nlohmann::json;

namespace {

std::unique_ptr<v::record_index> make_index(const std::string& kind = "exact") {
  auto made = v::record_index::make(kind, 256);
  REQUIRE(std::holds_alternative<std::unique_ptr<v::record_index>>(made));
  return std::move(std::get<std::unique_ptr<v::record_index>>(made));
}

v::vector_record dedup(const json& data, int64_t emitted = 1) {
  return v::make_record("src", "docs", "public.docs", true, {"id"},
                        std::string{"updated"}, data, emitted);
}

v::vector_record append(const json& data, int64_t emitted = 1) {
  return v::make_record("src", "notes", "public.notes", false, {}, std::nullopt,
                        data, emitted);
}

std::vector<v::search_result> find(v::record_index& idx, const std::string& q,
                                   size_t k = 10, const std::string& s = "") {
  auto r = idx.search(q, k, s);
  REQUIRE(std::holds_alternative<std::vector<v::search_result>>(r));
  return std::get<std::vector<v::search_result>>(r);
}

} // namespace

TEST_CASE("vectors index: a bad kind or dimension is refused") {
  CHECK(std::holds_alternative<std::string>(v::record_index::make("faiss", 64)));
  CHECK(std::holds_alternative<std::string>(v::record_index::make("exact", 0)));
}

TEST_CASE("vectors index: finds a record by words of its text, with metadata") {
  for (auto kind : {"exact", "hnsw"}) {
    auto idx = make_index(kind);
    idx->apply(dedup({{"id", 1}, {"updated", 1}, {"body", "the giraffe eats acacia leaves"}}), false);
    idx->apply(dedup({{"id", 2}, {"updated", 1}, {"body", "submarine sonar engineering"}}), false);
    idx->apply(dedup({{"id", 3}, {"updated", 1}, {"n", 5}}), false); // no text
    CHECK(idx->records() == 2);
    auto hits = find(*idx, "giraffe acacia");
    REQUIRE(!hits.empty());
    CHECK(hits[0].key == json{{"id", 1}});
    CHECK(hits[0].source == "src");
    CHECK(hits[0].stream == "docs");
    CHECK(hits[0].table == "public.docs");
    CHECK(hits[0].text.find("giraffe") != std::string::npos);
    CHECK(hits[0].score > 0.2f);
    CHECK(find(*idx, "giraffe", 1).size() == 1);
    CHECK(find(*idx, "!!! ...").empty()); // no words
  }
}

TEST_CASE("vectors index: a dedup re-send replaces, an older one is stale") {
  auto idx = make_index();
  idx->apply(dedup({{"id", 1}, {"updated", 5}, {"body", "zebra stripes"}}), false);
  CHECK(idx->apply(dedup({{"id", 1}, {"updated", 6}, {"body", "volcano lava"}}), false)
        == v::record_index::outcome::indexed);
  CHECK(idx->records() == 1);
  CHECK(find(*idx, "zebra stripes").empty());
  CHECK(find(*idx, "volcano lava").size() == 1);
  CHECK(idx->apply(dedup({{"id", 1}, {"updated", 4}, {"body", "zebra stripes"}}), false)
        == v::record_index::outcome::stale);
  CHECK(find(*idx, "zebra stripes").empty());
}

TEST_CASE("vectors index: a CDC deletion removes the key, slots are reused") {
  auto idx = make_index();
  idx->apply(dedup({{"id", 1}, {"updated", 1}, {"body", "penguin colony"}}), false);
  idx->apply(dedup({{"id", 2}, {"updated", 1}, {"body", "penguin research"}}), false);
  auto before = idx->vectors();
  CHECK(idx->apply(dedup({{"id", 1}, {"updated", 2},
                          {"_ab_cdc_deleted_at", "2024-01-01T00:00:00Z"}}), false)
        == v::record_index::outcome::deleted);
  auto hits = find(*idx, "penguin");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].key == json{{"id", 2}});
  idx->apply(dedup({{"id", 3}, {"updated", 1}, {"body", "another penguin"}}), false);
  CHECK(idx->vectors() == before); // the removed slot was reused
  CHECK(find(*idx, "penguin").size() == 2);
}

TEST_CASE("vectors index: append records each stay; the same one read twice is one") {
  auto idx = make_index();
  idx->apply(append({{"msg", "harbor crane lifted containers"}}, 10), false);
  idx->apply(append({{"msg", "harbor crane lifted containers"}}, 11), false);
  CHECK(idx->records() == 2);
  // The rebuild reads the first again (with its raw id): one entry.
  auto again = v::make_record("src", "notes", "public.notes", false, {},
                              std::nullopt,
                              json{{"msg", "harbor crane lifted containers"}},
                              10, json{{"_airbyte_raw_id", "u1"}});
  idx->begin_rebuild();
  idx->apply(again, true);
  CHECK(idx->end_rebuild(true) == 1); // the other was not read: gone
  CHECK(idx->records() == 1);
  CHECK(find(*idx, "harbor")[0].key == json{{"_airbyte_raw_id", "u1"}});
}

TEST_CASE("vectors index: during a rebuild a live version wins over the read") {
  auto idx = make_index();
  idx->begin_rebuild();
  idx->apply(dedup({{"id", 1}, {"updated", 9}, {"body", "new orchid"}}), false);
  CHECK(idx->apply(dedup({{"id", 1}, {"updated", 8}, {"body", "old cactus"}}), true)
        == v::record_index::outcome::kept_live);
  CHECK(idx->end_rebuild(true) == 0);
  CHECK(find(*idx, "orchid").size() == 1);
  CHECK(find(*idx, "cactus").empty());
  // A failed rebuild removes nothing.
  idx->begin_rebuild();
  CHECK(idx->end_rebuild(false) == 0);
  CHECK(idx->records() == 1);
}

TEST_CASE("vectors index: the stream filter and one result per record") {
  auto idx = make_index();
  std::string long_text;
  for (int i = 0; i < 300; ++i)
    long_text += "telescope mirror ";
  idx->apply(dedup({{"id", 1}, {"updated", 1}, {"body", long_text}}), false);
  idx->apply(append({{"msg", "telescope mirror"}}), false);
  CHECK(idx->chunks() > 2);
  auto all = find(*idx, "telescope mirror");
  CHECK(all.size() == 2);
  auto notes = find(*idx, "telescope", 10, "notes");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].table == "public.notes");
  CHECK(find(*idx, "telescope", 10, "public.docs").size() == 1);
  CHECK(find(*idx, "telescope", 10, "nope").empty());
}
