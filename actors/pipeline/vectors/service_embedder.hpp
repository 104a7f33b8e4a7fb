#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/pipeline/vectors/stage.hpp"
#include "runtime/vectors/embedder.hpp"

/// The vectors stage's embedder when `[pipeline] embedder` names an AI
/// service: texts go to that service's MCP tool `embed` (`together_ai`,
/// `huggingface`, an `openai_compatible` service) through the node's
/// registry, so that one model embeds both the records' chunks and the
/// search queries.
namespace sophia::actors::pipeline::vectors {

/// The settings of a `service_embedder` (`[pipeline] embedder`,
/// `embedding_model`, `embedding_batch`, `embedding_timeout_ms`,
/// `vector_dimension`).
struct service_embedder_options {
  /// The service whose `embed` tool is called (registered as `mcp.NAME`).
  std::string service;
  /// The model's id, as the service's `embed` tool takes it.
  std::string model;
  /// The length every vector must have: the model's own, which the
  /// index was made for (a mismatch is an error, never truncated).
  size_t dimension = 384;
  /// Texts of one call at most.
  size_t batch = 64;
  /// Deadline of one call.
  std::chrono::milliseconds deadline{30000};
};

/// Calls the `embed` tool of a service, blocking the calling thread (the
/// stage runs detached, so blocking it holds up no scheduler thread).
/// Every vector is checked against the configured dimension and
/// L2-normalised (the index scores by inner product, i.e. cosine). Every
/// failure (deadline, the tool's error, a malformed reply, the service's
/// node down) is returned as the error text, naming the service and the
/// model; nothing throws. Not thread-safe: the stage's thread uses it.
class service_embedder : public runtime::vectors::embedder {
public:
  /// Sends one `tools/call` payload with a deadline; returns the reply's
  /// payload (a `CallToolResult` as JSON text) or why there is none. The
  /// seam between the embedder's checks and the registry.
  using transport = std::function<caf::expected<std::string>(
    const std::string& payload, std::chrono::milliseconds deadline)>;

  service_embedder(service_embedder_options opts, transport send);

  size_t dimension() const noexcept override { return opts_.dimension; }

  std::optional<std::string> embed(std::string_view text,
                                   std::span<float> out) override;

  /// One call per `batch` texts.
  std::optional<std::string> embed_batch(
    std::span<const std::string_view> texts,
    std::span<float> out) override;

  /// "SERVICE.embed (model MODEL)": how errors and the status name it.
  std::string name() const { return name_of(opts_); }
  static std::string name_of(const service_embedder_options& opts);

private:
  /// One call for `texts` (at most `batch`), into `out`.
  std::optional<std::string> call(std::span<const std::string_view> texts,
                                  std::span<float> out);

  service_embedder_options opts_;
  transport send_;
};

/// A transport that calls `mcp.SERVICE` through `registry` (see
/// `runtime/call/call.hpp`), with a blocking actor made at its first use,
/// in the thread that uses it.
service_embedder::transport
registry_transport(caf::actor_system& sys, caf::actor registry,
                   std::string service);

/// A `service_embedder` that calls through `registry`.
std::unique_ptr<runtime::vectors::embedder>
make_service_embedder(caf::actor_system& sys, caf::actor registry,
                      service_embedder_options opts);

/// Makes the stage of `o` embed with a `service_embedder` of `opts`
/// (`o.embedder`, `o.embedder_name`); `opts.dimension` is `o.dimension`.
void use_service_embedder(caf::actor_system& sys, caf::actor registry,
                          service_embedder_options opts, stage_options& o);

} // namespace sophia::actors::pipeline::vectors
