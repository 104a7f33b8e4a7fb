#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

/// Text embedders and vector indexes: dense vectors for records' text and
/// prompts, and the nearest-neighbour search over them.
namespace sophia::runtime::vectors {

/// Turns text into a dense, L2-normalised vector of `dimension()` floats, so
/// that the inner product of two embeddings is their cosine similarity.
///
/// Implemented on the CPU by `hashing_embedder` and by remote embedding
/// services (the pipeline's `service_embedder`, through an AI service's
/// `embed` tool), hence virtual and minimal. Not thread-safe unless an
/// implementation says so: the owning actor serialises calls.
class embedder {
public:
  virtual ~embedder() = default;

  /// The length of every vector this embedder writes.
  virtual size_t dimension() const noexcept = 0;

  /// Writes the embedding of `text` to `out` (`out.size() == dimension()`).
  /// Returns the error text on failure (a wrong `out` size, or whatever a
  /// remote service reports); `out` is then unspecified.
  virtual std::optional<std::string> embed(std::string_view text,
                                           std::span<float> out) = 0;

  /// Embeds every text of `texts` into consecutive rows of `out`
  /// (`out.size() == texts.size() * dimension()`). Remote services override
  /// this to send one request per batch; the default embeds one by one.
  virtual std::optional<std::string> embed_batch(
    std::span<const std::string_view> texts,
    std::span<float> out) {
    auto dim = dimension();
    if (out.size() != texts.size() * dim)
      return "embed_batch: output holds " + std::to_string(out.size()) +
             " floats, expected " + std::to_string(texts.size() * dim);
    for (size_t i = 0; i < texts.size(); ++i)
      if (auto err = embed(texts[i], out.subspan(i * dim, dim))) return err;
    return std::nullopt;
  }
};

} // namespace sophia::runtime::vectors
