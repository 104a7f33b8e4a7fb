#include "actors/pipeline/vectors/record.hpp"

#include "actors/pipeline/vectors/text.hpp"
#include "runtime/fnv1a.hpp"

namespace sophia::actors::pipeline::vectors {

namespace {

// An append record's identity digests its data with FNV-1a (collisions
// would merge two records with equal emitted_at: 2^-64 per pair). Its
// basis is the one these identities were first made with, a digit short of
// FNV's own: they name chunks in the vector stores, so it stays.
uint64_t digest(const std::string& s) {
  return runtime::fnv1a(s, 1469598103934665603ull);
}

} // namespace

std::string identity_of(const std::string& table, bool dedup,
                        const nlohmann::json& key, int64_t emitted_at_ms,
                        const nlohmann::json& data) {
  if (dedup)
    return table + "\nk" + key.dump();
  return table + "\na" + std::to_string(emitted_at_ms) + ":"
         + std::to_string(digest(data.dump()));
}

nlohmann::json key_of(const nlohmann::json& data,
                      const std::vector<std::string>& primary_key) {
  auto out = nlohmann::json::object();
  for (auto& f : primary_key) {
    auto i = data.is_object() ? data.find(f) : data.end();
    out[f] = data.is_object() && i != data.end() ? *i : nlohmann::json();
  }
  return out;
}

bool is_deletion(const nlohmann::json& data) {
  if (!data.is_object())
    return false;
  auto i = data.find("_ab_cdc_deleted_at");
  return i != data.end() && !i->is_null();
}

vector_record make_record(std::string source, std::string stream,
                          std::string table, bool dedup,
                          const std::vector<std::string>& primary_key,
                          const std::optional<std::string>& cursor,
                          const nlohmann::json& data, int64_t emitted_at_ms,
                          nlohmann::json fallback_key) {
  vector_record r;
  r.source = std::move(source);
  r.stream = std::move(stream);
  r.table = std::move(table);
  r.dedup = dedup && !primary_key.empty();
  auto pk = primary_key.empty() ? nlohmann::json() : key_of(data, primary_key);
  r.identity = identity_of(r.table, r.dedup, pk, emitted_at_ms, data);
  r.key = primary_key.empty() ? std::move(fallback_key) : std::move(pk);
  r.deleted = is_deletion(data);
  if (cursor && data.is_object())
    if (auto i = data.find(*cursor); i != data.end())
      r.cursor = *i;
  r.emitted_at_ms = emitted_at_ms;
  if (!r.deleted)
    r.text = extract_text(data);
  return r;
}

} // namespace sophia::actors::pipeline::vectors
