#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/vectors/embedder.hpp"

namespace sophia::runtime::vectors {

/// The settings of a `hashing_embedder`.
struct hashing_embedder_config {
  /// The length of the vectors.
  size_t dimension = 384;
  /// The shortest character n-gram, in code points, boundary markers
  /// included.
  size_t min_ngram = 3;
  /// The longest character n-gram; 0 turns character n-grams off.
  size_t max_ngram = 5;
  /// The weight of a word itself.
  double word_weight = 1.0;
  /// The norm of all n-grams of one word together, relative to the word:
  /// long words then weigh no more than short ones.
  double ngram_weight = 1.0;
  /// The weight of common English function words ("the", "and", "is"),
  /// n-grams included, relative to other words: without it two unrelated
  /// short texts look alike through them alone (there is no corpus to
  /// learn IDF from). 1 turns this off.
  double stop_word_weight = 0.1;
};

/// The CPU default embedder: feature hashing of lower-cased words and of
/// their character n-grams (`<word>` with boundary markers), signed by a
/// second hash bit so that collisions cancel out on average, weighted by the
/// square root of each word's count (sublinear term frequency) and down for
/// English function words, then L2-normalised.
///
/// Deterministic across runs and machines: a fixed 64-bit hash (FNV-1a with
/// a murmur finaliser), words summed in byte order in double precision, and
/// only correctly rounded operations (sqrt, division).
///
/// Text is taken as UTF-8 bytes: n-grams never split a multi-byte sequence;
/// ASCII and Latin-1 letters are lower-cased, other letters are kept as
/// they are; ASCII and common Unicode punctuation and spaces separate words.
/// Invalid UTF-8 bytes separate words too. A text without words embeds to
/// the zero vector (its inner product with anything is 0).
///
/// Not thread-safe (it reuses scratch buffers between calls).
class hashing_embedder final : public embedder {
public:
  /// An embedder with the default settings (384 dimensions, 3- to 5-grams).
  hashing_embedder();

  /// An embedder with `cfg`, or the error text when `cfg` is invalid
  /// (dimension 0, min_ngram 0 or above max_ngram, a negative weight).
  static std::variant<hashing_embedder, std::string> make(
    const hashing_embedder_config& cfg);

  /// The settings this embedder uses.
  const hashing_embedder_config& config() const noexcept { return cfg_; }

  size_t dimension() const noexcept override { return cfg_.dimension; }

  /// Writes the embedding of `text`; fails only when `out` has not
  /// `dimension()` floats.
  std::optional<std::string> embed(std::string_view text,
                                   std::span<float> out) override;

private:
  explicit hashing_embedder(const hashing_embedder_config& cfg);

  /// Fills `lowered_` and `words_` with the lower-cased words of `text`.
  void split_words(std::string_view text);

  /// Adds `weight` to the signed bucket of feature hash `h`.
  void add_feature(uint64_t h, double weight);

  /// Adds the features of one distinct word seen `count` times.
  void add_word(std::string_view word, size_t count);

  hashing_embedder_config cfg_;
  // Scratch buffers, kept between calls to spare allocations.
  std::string lowered_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<std::string_view> words_;
  std::string bounded_;
  std::vector<size_t> starts_;
  std::vector<double> acc_;
};

} // namespace sophia::runtime::vectors
