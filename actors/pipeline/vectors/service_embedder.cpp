#include "actors/pipeline/vectors/service_embedder.hpp"

#include <algorithm>
#include <cmath>

#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"

namespace sophia::actors::pipeline::vectors {

using nlohmann::json;

namespace {

/// An error's code and detail, e.g. "deadline_exceeded: ...".
std::string render(const caf::error& err) {
  auto code = runtime::code_of(err);
  auto detail = runtime::detail_of(err);
  if (code == runtime::errc::none)
    return detail.empty() ? caf::to_string(err) : detail;
  std::string out = runtime::to_string(code);
  if (!detail.empty())
    out += ": " + detail;
  return out;
}

} // namespace

service_embedder::service_embedder(service_embedder_options opts,
                                   transport send)
  : opts_(std::move(opts)), send_(std::move(send)) {
  opts_.batch = std::max<size_t>(opts_.batch, 1);
}

std::string service_embedder::name_of(const service_embedder_options& opts) {
  return opts.service + ".embed (model " + opts.model + ")";
}

std::optional<std::string> service_embedder::embed(std::string_view text,
                                                   std::span<float> out) {
  std::string_view one[] = {text};
  return embed_batch(one, out);
}

std::optional<std::string>
service_embedder::embed_batch(std::span<const std::string_view> texts,
                              std::span<float> out) {
  auto dim = opts_.dimension;
  if (out.size() != texts.size() * dim)
    return name() + ": output holds " + std::to_string(out.size())
           + " floats, expected " + std::to_string(texts.size() * dim);
  for (size_t i = 0; i < texts.size(); i += opts_.batch) {
    auto n = std::min(opts_.batch, texts.size() - i);
    if (auto err = call(texts.subspan(i, n), out.subspan(i * dim, n * dim)))
      return err;
  }
  return std::nullopt;
}

std::optional<std::string>
service_embedder::call(std::span<const std::string_view> texts,
                       std::span<float> out) {
  if (!send_)
    return name() + ": no way to call the service";
  json input = json::array();
  for (auto t : texts)
    input.push_back(std::string{t});
  json req{{"name", "embed"},
           {"arguments", {{"model", opts_.model}, {"input", std::move(input)}}}};
  // A chunk cut inside a UTF-8 sequence must not make dump() throw.
  auto payload = req.dump(-1, ' ', false, json::error_handler_t::replace);
  auto reply = send_(payload, opts_.deadline);
  if (!reply)
    return name() + ": " + render(reply.error());
  auto doc = json::parse(*reply, nullptr, false);
  if (!doc.is_object())
    return name() + ": the reply is not a JSON object";
  if (doc.value("isError", false)) {
    auto text = runtime::mcp::result_text(doc);
    return name() + " failed: " + (text.empty() ? "no message" : text);
  }
  auto sc = doc.find("structuredContent");
  if (sc == doc.end() || !sc->is_object() || !sc->contains("embeddings")
      || !(*sc)["embeddings"].is_array())
    return name() + ": the reply has no structuredContent.embeddings";
  auto& vectors = (*sc)["embeddings"];
  if (vectors.size() != texts.size())
    return name() + ": " + std::to_string(vectors.size())
           + " vectors for " + std::to_string(texts.size()) + " texts";
  auto dim = opts_.dimension;
  for (size_t i = 0; i < vectors.size(); ++i) {
    auto& v = vectors[i];
    if (!v.is_array())
      return name() + ": vector " + std::to_string(i) + " is not an array";
    if (v.size() != dim)
      return name() + ": the model's vectors have " + std::to_string(v.size())
             + " dimensions, expected " + std::to_string(dim)
             + " ([pipeline] vector_dimension must be the model's)";
    auto row = out.subspan(i * dim, dim);
    double norm = 0;
    for (size_t k = 0; k < dim; ++k) {
      if (!v[k].is_number())
        return name() + ": vector " + std::to_string(i)
               + " holds a value that is not a number";
      row[k] = v[k].get<float>();
      norm += static_cast<double>(row[k]) * row[k];
    }
    // Unit length, whatever the service sends: the index scores by inner
    // product, which is the cosine only between unit vectors.
    norm = std::sqrt(norm);
    if (!(norm > 0) || !std::isfinite(norm))
      return name() + ": vector " + std::to_string(i)
             + " has no direction (zero or not finite)";
    for (auto& x : row)
      x = static_cast<float>(x / norm);
  }
  return std::nullopt;
}

service_embedder::transport
registry_transport(caf::actor_system& sys, caf::actor registry,
                   std::string service) {
  // Made at the first call, in the stage's thread: the blocking actor
  // receives in the thread that calls it. Hidden: it lives as long as the
  // stage's state and must not hold up the actor system's shutdown.
  auto self = std::make_shared<std::unique_ptr<caf::scoped_actor>>();
  return [&sys, self, registry = std::move(registry),
          target = "mcp." + service](const std::string& payload,
                                     std::chrono::milliseconds deadline)
           -> caf::expected<std::string> {
    if (!registry)
      return runtime::make_error(runtime::errc::unavailable, "no registry");
    if (!*self)
      *self = std::make_unique<caf::scoped_actor>(sys, true);
    runtime::call::request req;
    req.method = "tools/call";
    req.payload = payload;
    req.deadline = deadline;
    req.caller = "pipeline.vectors";
    return runtime::call::call(**self, registry, target, req);
  };
}

std::unique_ptr<runtime::vectors::embedder>
make_service_embedder(caf::actor_system& sys, caf::actor registry,
                      service_embedder_options opts) {
  auto send = registry_transport(sys, std::move(registry), opts.service);
  return std::make_unique<service_embedder>(std::move(opts), std::move(send));
}

void use_service_embedder(caf::actor_system& sys, caf::actor registry,
                          service_embedder_options opts, stage_options& o) {
  opts.dimension = o.dimension;
  o.embedder_name = service_embedder::name_of(opts);
  o.embedder = [&sys, registry = std::move(registry), opts] {
    return make_service_embedder(sys, registry, opts);
  };
}

} // namespace sophia::actors::pipeline::vectors
