#pragma once

// Reading and writing Cap'n Proto messages in `wire::buffer`s: shared by the
// codecs of every schema. Include only from .cpp files (capnp is heavy).

#include <cstring>
#include <string>
#include <utility>

#include <caf/expected.hpp>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include "runtime/error.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::wire {

/// Builds a message of root type `Schema` and flattens it into a buffer.
template <class Schema, class Fill>
inline buffer build(Fill&& fill) {
  capnp::MallocMessageBuilder mb{ 128 };
  fill(mb.initRoot<Schema>());
  auto flat = capnp::messageToFlatArray(mb);
  buffer out;
  out.words.resize(flat.size());
  std::memcpy(
    out.words.data(), flat.begin(), flat.size() * sizeof(capnp::word));
  return out;
}

/// Reads a root of type `Schema`; Cap'n Proto throws on corrupt input, which
/// becomes an error here so that no handler ever sees an exception.
template <class Schema, class Extract>
auto read(const buffer& buf, Extract&& extract)
  -> caf::expected<decltype(extract(std::declval<typename Schema::Reader>()))> {
  try {
    kj::ArrayPtr<const capnp::word> words{
      reinterpret_cast<const capnp::word*>(buf.words.data()), buf.words.size()
    };
    capnp::ReaderOptions opts;
    // Bounds the work, and the memory the decoded message takes, by the
    // buffer's own size: a message that is read once traverses each of its
    // words once. A larger limit let a list of zero-sized structs claim a
    // million elements in 160 bytes (found by fuzzing: tests/fuzz/wire.cpp).
    opts.traversalLimitInWords = 2 * buf.words.size() + 64;
    capnp::FlatArrayMessageReader reader{ words, opts };
    return extract(reader.getRoot<Schema>());
  } catch (const kj::Exception& e) {
    return make_error(errc::decode_failed, e.getDescription().cStr());
  } catch (const std::exception& e) {
    return make_error(errc::decode_failed, e.what());
  }
}

inline std::string str(capnp::Text::Reader x) {
  return std::string{ x.cStr(), x.size() };
}

inline std::string bytes(capnp::Data::Reader x) {
  return std::string{ reinterpret_cast<const char*>(x.begin()), x.size() };
}

inline capnp::Data::Reader as_data(const std::string& x) {
  return capnp::Data::Reader{ reinterpret_cast<const kj::byte*>(x.data()),
                              x.size() };
}

} // namespace sophia::runtime::wire
