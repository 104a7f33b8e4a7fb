#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sophia::runtime::wire {

/// A serialized Cap'n Proto message. Stored as 64-bit words so the bytes are
/// always word-aligned, which `capnp::FlatArrayMessageReader` requires; CAF
/// carries it across nodes like any vector of integers.
struct buffer {
  std::vector<uint64_t> words;

  friend bool operator==(const buffer&, const buffer&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, buffer& x) {
  return f(caf::meta::type_name("sophia.buf"), x.words);
}

} // namespace sophia::runtime::wire
