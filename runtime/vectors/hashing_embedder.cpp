#include "runtime/vectors/hashing_embedder.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/fnv1a.hpp"

namespace sophia::runtime::vectors {

namespace {

// Seeds keep a word and an n-gram with the same bytes ("<a>" as a 3-gram
// of "a" and a hypothetical word "<a>") in different buckets.
constexpr uint64_t word_seed = 0x9e3779b97f4a7c15ull;
constexpr uint64_t ngram_seed = 0xc2b2ae3d27d4eb4full;

/// 64-bit FNV-1a over `bytes` from a seeded basis, then murmur3's finaliser:
/// FNV-1a alone mixes its last bytes poorly into the high bits, which pick
/// the bucket. Fixed by specification, unlike std::hash.
uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = fnv1a(bytes, fnv1a_basis ^ seed);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

/// English function words, sorted for binary search: frequent in any text,
/// so they say little about what a text is about.
constexpr std::string_view stop_words[] = {
  "a",     "about", "after", "all",   "also",  "am",    "an",     "and",
  "any",   "are",   "as",    "at",    "be",    "been",  "before", "being",
  "both",  "but",   "by",    "can",   "could", "did",   "do",     "does",
  "for",   "from",  "had",   "has",   "have",  "he",    "her",    "here",
  "him",   "his",   "how",   "i",     "if",    "in",    "into",   "is",
  "it",    "its",   "just",  "me",    "more",  "most",  "my",     "no",
  "not",   "now",   "of",    "on",    "only",  "or",    "other",  "our",
  "out",   "over",  "she",   "so",    "some",  "such",  "than",   "that",
  "the",   "their", "them",  "then",  "there", "these", "they",   "this",
  "those", "to",    "too",   "up",    "us",    "very",  "was",    "we",
  "were",  "what",  "when",  "where", "which", "while", "who",    "why",
  "will",  "with",  "would", "you",   "your",
};

static_assert(std::is_sorted(std::begin(stop_words), std::end(stop_words)));

bool is_stop_word(std::string_view word) {
  return std::binary_search(std::begin(stop_words), std::end(stop_words), word);
}

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

/// The length of the valid UTF-8 sequence starting at `i`, 0 if invalid;
/// stores its code point in `cp`.
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if (!is_continuation(cc)) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  return len;
}

/// Whether code point `cp` belongs to a word.
bool is_word_char(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
           (cp >= 'A' && cp <= 'Z');
  // Latin-1 controls, no-break space and punctuation; x and / signs.
  if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return false;
  // General Punctuation (dashes, curly quotes, ellipsis, thin spaces) and
  // CJK Symbols and Punctuation (ideographic space, full stop, brackets).
  if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F))
    return false;
  // Fullwidth ASCII punctuation and the BOM.
  if (cp == 0xFEFF || (cp >= 0xFF01 && cp <= 0xFF0F)) return false;
  return true;
}

} // namespace

hashing_embedder::hashing_embedder()
  : hashing_embedder(hashing_embedder_config{}) {}

hashing_embedder::hashing_embedder(const hashing_embedder_config& cfg)
  : cfg_(cfg) {}

std::variant<hashing_embedder, std::string> hashing_embedder::make(
  const hashing_embedder_config& cfg) {
  if (cfg.dimension == 0) return std::string{ "hashing_embedder: dimension 0" };
  if (cfg.max_ngram > 0 &&
      (cfg.min_ngram == 0 || cfg.min_ngram > cfg.max_ngram))
    return "hashing_embedder: n-gram range " + std::to_string(cfg.min_ngram) +
           ".." + std::to_string(cfg.max_ngram) + " is empty";
  if (!(cfg.word_weight >= 0) || !(cfg.ngram_weight >= 0) ||
      !(cfg.stop_word_weight >= 0))
    return std::string{ "hashing_embedder: weights must be >= 0" };
  return hashing_embedder{ cfg };
}

void hashing_embedder::split_words(std::string_view text) {
  lowered_.clear();
  spans_.clear();
  words_.clear();
  size_t word_start = 0;
  bool in_word = false;
  auto close_word = [&] {
    if (in_word) spans_.emplace_back(word_start, lowered_.size() - word_start);
    in_word = false;
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    auto len = decode(text, i, cp);
    if (len == 0 || !is_word_char(cp)) {
      close_word();
      i += len == 0 ? 1 : len;
      continue;
    }
    if (!in_word) {
      word_start = lowered_.size();
      in_word = true;
    }
    if (cp >= 'A' && cp <= 'Z') {
      lowered_.push_back(static_cast<char>(cp + 32));
    } else if (cp >= 0xC0 && cp <= 0xDE) {
      // Latin-1 capitals (x sign excluded above): the small letter is
      // 0x20 above, still two bytes starting with 0xC3.
      lowered_.push_back(text[i]);
      lowered_.push_back(static_cast<char>(text[i + 1] + 0x20));
    } else {
      lowered_.append(text.substr(i, len));
    }
    i += len;
  }
  close_word();
  // Views only once `lowered_` no longer grows.
  for (auto [start, len] : spans_)
    words_.emplace_back(std::string_view{ lowered_ }.substr(start, len));
}

void hashing_embedder::add_feature(uint64_t h, double weight) {
  // High bits pick the bucket (multiply-shift: no modulo bias worth
  // noting), an independent low bit the sign.
  auto bucket = static_cast<size_t>(((h >> 32) * cfg_.dimension) >> 32);
  acc_[bucket] += (h & 1) ? weight : -weight;
}

void hashing_embedder::add_word(std::string_view word, size_t count) {
  auto tf = std::sqrt(static_cast<double>(count));
  if (is_stop_word(word)) tf *= cfg_.stop_word_weight;
  if (tf == 0) return;
  if (cfg_.word_weight > 0)
    add_feature(hash_bytes(word, word_seed), tf * cfg_.word_weight);
  if (cfg_.max_ngram == 0 || cfg_.ngram_weight <= 0) return;
  bounded_.assign(1, '<');
  bounded_.append(word);
  bounded_.push_back('>');
  starts_.clear();
  for (size_t i = 0; i < bounded_.size(); ++i)
    if (!is_continuation(static_cast<unsigned char>(bounded_[i])))
      starts_.push_back(i);
  auto points = starts_.size();
  starts_.push_back(bounded_.size());
  size_t grams = 0;
  for (auto n = cfg_.min_ngram; n <= cfg_.max_ngram && n <= points; ++n)
    grams += points - n + 1;
  if (grams == 0) return;
  // Each word's n-grams together weigh `ngram_weight` (in norm), however
  // long the word.
  auto w = tf * cfg_.ngram_weight / std::sqrt(static_cast<double>(grams));
  std::string_view b{ bounded_ };
  for (auto n = cfg_.min_ngram; n <= cfg_.max_ngram && n <= points; ++n)
    for (size_t i = 0; i + n <= points; ++i)
      add_feature(hash_bytes(b.substr(starts_[i], starts_[i + n] - starts_[i]),
                             ngram_seed),
                  w);
}

std::optional<std::string> hashing_embedder::embed(std::string_view text,
                                                   std::span<float> out) {
  if (out.size() != cfg_.dimension)
    return "hashing_embedder: output holds " + std::to_string(out.size()) +
           " floats, expected " + std::to_string(cfg_.dimension);
  split_words(text);
  // Sorted, equal words are adjacent (their count is the term frequency)
  // and the summation order depends on the text alone.
  std::sort(words_.begin(), words_.end());
  acc_.assign(cfg_.dimension, 0.0);
  for (size_t i = 0; i < words_.size();) {
    size_t j = i + 1;
    while (j < words_.size() && words_[j] == words_[i])
      ++j;
    add_word(words_[i], j - i);
    i = j;
  }
  double sq = 0;
  for (auto x : acc_)
    sq += x * x;
  if (sq == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return std::nullopt;
  }
  auto norm = std::sqrt(sq);
  for (size_t i = 0; i < acc_.size(); ++i)
    out[i] = static_cast<float>(acc_[i] / norm);
  return std::nullopt;
}

} // namespace sophia::runtime::vectors
