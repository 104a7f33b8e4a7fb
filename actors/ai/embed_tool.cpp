#include "actors/ai/provider_state.hpp"

namespace sophia::actors::ai {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

/// The most texts one call embeds (providers cap a batch near here).
constexpr int max_inputs = 2048;

std::string input_schema() {
  json texts = { { "type", "array" },
                 { "items", { { "type", "string" } } },
                 { "minItems", 1 },
                 { "maxItems", max_inputs } };
  json input = { { "description", "One text, or a list of texts." },
                 { "anyOf", json::array({ { { "type", "string" } }, texts }) } };
  json model = { { "type", "string" },
                 { "minLength", 1 },
                 { "description", "The embedding model's id." } };
  json schema = { { "type", "object" },
                  { "properties", { { "model", model }, { "input", input } } },
                  { "required", json::array({ "model", "input" }) },
                  { "additionalProperties", false } };
  return schema.dump();
}

std::string output_schema() {
  json vector = { { "type", "array" }, { "items", { { "type", "number" } } } };
  json props = { { "model", { { "type", "string" } } },
                 { "provider", { { "type", "string" } } },
                 { "dimensions", { { "type", "integer" } } },
                 { "embeddings", { { "type", "array" }, { "items", vector } } } };
  json schema = { { "type", "object" },
                  { "properties", props },
                  { "required",
                    json::array({ "model", "provider", "dimensions", "embeddings" }) } };
  return schema.dump();
}

bool is_vector(const json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (auto& x : v)
    if (!x.is_number()) return false;
  return true;
}

/// The vectors of an OpenAI `{"data":[{"index","embedding"}]}` list, or
/// Hugging Face's bare vector / list of vectors; empty when neither.
std::vector<json> vectors_of(const json& body, size_t expected) {
  std::vector<json> out;
  if (body.is_object() && body.contains("data") && body["data"].is_array()) {
    out.resize(body["data"].size());
    for (size_t k = 0; k < body["data"].size(); ++k) {
      auto& item = body["data"][k];
      if (!item.is_object() || !is_vector(item.value("embedding", json()))) return {};
      auto index = item.value("index", static_cast<int64_t>(k));
      if (index < 0 || static_cast<size_t>(index) >= out.size()) return {};
      out[static_cast<size_t>(index)] = item["embedding"];
    }
  } else if (is_vector(body) && expected == 1) {
    out.push_back(body);
  } else if (body.is_array()) {
    for (auto& v : body) {
      if (!is_vector(v)) return {};
      out.push_back(v);
    }
  }
  for (auto& v : out)
    if (v.is_null()) return {};
  return out;
}

} // namespace

mcp::tool embed_tool(const state_ptr& st) {
  auto& d = st->p.display;
  return {
    .name = "embed",
    .title = d + " embeddings",
    .description =
      "Turns one text or a list of texts into embedding vectors with " + d +
      " (for semantic search, clustering, deduplication). Returns one "
      "vector per input, in order, in structuredContent.embeddings.",
    .input_schema = input_schema(),
    .output_schema = output_schema(),
    .hints = { .read_only = true,
               .destructive = false,
               .idempotent = true,
               .open_world = true },
    .run =
      [st](const mcp::call_ptr& c) {
        auto& args = c->arguments();
        auto model = args["model"].get<std::string>();
        auto& input = args["input"];
        size_t count = input.is_array() ? input.size() : 1;
        runtime::http::request req;
        if (st->p.kind == provider_kind::huggingface) {
          // The router's feature-extraction task (the model in the path).
          req = st->make_request("POST", "/hf-inference/models/" + model +
                                           "/pipeline/feature-extraction");
          req.body = json{ { "inputs", input } }.dump();
        } else {
          req = st->make_request("POST", "/embeddings");
          req.body = json{ { "model", model }, { "input", input } }.dump();
        }
        req.retry = true;
        send(st, c, std::move(req), [st, c, model, count](http_result r) {
          auto body = json_body(st, c, r);
          if (!body) return;
          auto vectors = vectors_of(*body, count);
          if (vectors.size() != count)
            return c->fail(st->p.service + ": expected " +
                           std::to_string(count) +
                           " embedding vectors, the response has " +
                           std::to_string(vectors.size()) +
                           " usable ones");
          auto dims = vectors.front().size();
          for (auto& v : vectors)
            if (v.size() != dims)
              return c->fail(st->p.service +
                             ": the vectors have different dimensions");
          json out = { { "model", body->is_object() ? body->value("model", model) : model },
                       { "provider", st->p.display },
                       { "dimensions", dims },
                       { "embeddings", std::move(vectors) } };
          c->reply(std::to_string(count) + " embedding" +
                     (count == 1 ? "" : "s") + " of " + std::to_string(dims) +
                     " dimensions from " + model + " via " + st->p.display +
                     " (vectors in structuredContent.embeddings)",
                   std::move(out));
        });
      },
  };
}

} // namespace sophia::actors::ai
