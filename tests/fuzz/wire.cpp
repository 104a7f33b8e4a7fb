// Every Cap'n Proto decoder of a message that crosses nodes, fed any bytes:
// the first byte picks the decoder. A decoded message must encode and
// decode again.
#include <cstring>

#include "runtime/supervision/tree_codec.hpp"
#include "runtime/wire/codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"

using namespace sophia::runtime;

namespace {

template <class Decode>
void round_trip(const wire::buffer& buf, Decode decode) {
  auto x = decode(buf);
  if (!x) return;
  auto again = decode(wire::encode(*x));
  SOPHIA_FUZZ_CHECK(static_cast<bool>(again));
}

} // namespace

SOPHIA_FUZZ_TARGET(wire) {
  if (size == 0) return 0;
  wire::buffer buf;
  buf.words.resize((size - 1 + 7) / 8);
  if (size > 1) std::memcpy(buf.words.data(), data + 1, size - 1);
  switch (data[0] % 8) {
    case 0: round_trip(buf, wire::decode_hello); break;
    case 1: round_trip(buf, wire::decode_heartbeat); break;
    case 2: round_trip(buf, wire::decode_leave); break;
    case 3: round_trip(buf, wire::decode_membership_view); break;
    case 4: round_trip(buf, wire::decode_registry_snapshot); break;
    case 5: round_trip(buf, wire::decode_call_envelope); break;
    case 6: round_trip(buf, wire::decode_call_reply); break;
    default: {
      auto t = supervision::decode_tree_snapshot(buf);
      if (t) {
        auto again = supervision::decode_tree_snapshot(supervision::encode(*t));
        SOPHIA_FUZZ_CHECK(static_cast<bool>(again));
      }
      break;
    }
  }
  return 0;
}
