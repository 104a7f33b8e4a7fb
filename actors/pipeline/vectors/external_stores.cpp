#include "actors/pipeline/vectors/external_stores.hpp"

#include <map>
#include <optional>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/vector_stores/sink.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vectors {

namespace vs = vector_stores;
using nlohmann::json;

namespace {

struct store {
  std::string name;
  caf::actor sink;
};

// What the stage changed since the last flush, per slot: a chunk to
// upsert, or none (removed). Slots are reused, so only the last counts.
struct pending {
  std::map<uint64_t, std::optional<json>> slots;
};

void report(const std::shared_ptr<feed>& counters, const std::string& what) {
  if (counters)
    counters->update([&](stage_stats& s) { s.last_error = what; });
}

} // namespace

std::string connect_external_stores(caf::actor_system& sys,
                                    const runtime::config::cluster_config& cfg,
                                    stage_options& o) {
  std::vector<store> stores;
  std::string problems;
  caf::actor http;
  for (const char* name : {"pinecone", "weaviate"}) {
    auto i = cfg.services.find(name);
    if (i == cfg.services.end() || i->second.base_url.empty())
      continue;
    auto& svc = i->second;
    std::string key;
    if (!svc.api_key.empty()) {
      auto resolved = runtime::config::resolve_secret(svc.api_key);
      if (!resolved) {
        problems += std::string{problems.empty() ? "" : "; "} + "[services."
                    + name + "] api_key: " + runtime::detail_of(resolved.error());
        continue;
      }
      key = *resolved;
    }
    auto settings = vs::sink_settings_of(svc, key);
    if (!settings) {
      problems += std::string{problems.empty() ? "" : "; "}
                  + runtime::detail_of(settings.error());
      continue;
    }
    if (!http)
      http = runtime::http::spawn_client(sys);
    stores.push_back({name, vs::spawn_sink(sys, http, std::move(*settings))});
  }
  if (stores.empty())
    return problems;
  auto buf = std::make_shared<pending>();
  o.sink = [buf](const chunk_update& u) {
    if (u.vector.empty()) {
      buf->slots[u.id] = std::nullopt;
      return;
    }
    buf->slots[u.id] = json{
      {"id", std::to_string(u.id)},
      {"values", std::vector<float>(u.vector.begin(), u.vector.end())},
      {"metadata", {{"source", u.source}, {"stream", u.stream},
                    {"table", u.table}, {"key", u.key_json}, {"text", u.text}}}};
  };
  auto counters = o.counters;
  o.flush = [buf, stores, counters](caf::event_based_actor* self) {
    if (buf->slots.empty())
      return;
    json upserts = json::array();
    std::vector<std::string> removed;
    for (auto& [id, chunk] : buf->slots)
      if (chunk)
        upserts.push_back(std::move(*chunk));
      else
        removed.push_back(std::to_string(id));
    buf->slots.clear();
    auto text = upserts.dump();
    for (auto& s : stores) {
      auto failed = [counters, name = s.name](caf::error& err) {
        report(counters, name + ": " + runtime::detail_of(err));
      };
      // Removals first: a slot both removed and refilled is an upsert here.
      if (!removed.empty())
        self->request(s.sink, caf::infinite, vs::atoms::remove::value, removed)
          .then([](uint64_t) {}, failed);
      if (!upserts.empty())
        self->request(s.sink, caf::infinite, vs::atoms::upsert::value, text)
          .then([](uint64_t) {}, failed);
    }
  };
  return problems;
}

} // namespace sophia::actors::pipeline::vectors
