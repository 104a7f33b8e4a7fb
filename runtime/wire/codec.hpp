#pragma once

#include <caf/expected.hpp>

#include "runtime/wire/buffer.hpp"
#include "runtime/wire/messages.hpp"

namespace sophia::runtime::wire {

// Encoders never fail. Decoders return `errc::decode_failed` for truncated,
// misaligned or corrupt buffers instead of throwing. A buffer written by an
// older or newer schema version decodes: missing fields read as defaults,
// unknown ones are skipped.

buffer encode(const hello& x);
buffer encode(const heartbeat& x);
buffer encode(const leave& x);
buffer encode(const membership_view& x);
buffer encode(const registry_snapshot& x);
buffer encode(const call_envelope& x);
buffer encode(const call_reply& x);

caf::expected<hello> decode_hello(const buffer& buf);
caf::expected<heartbeat> decode_heartbeat(const buffer& buf);
caf::expected<leave> decode_leave(const buffer& buf);
caf::expected<membership_view> decode_membership_view(const buffer& buf);
caf::expected<registry_snapshot> decode_registry_snapshot(const buffer& buf);
caf::expected<call_envelope> decode_call_envelope(const buffer& buf);
caf::expected<call_reply> decode_call_reply(const buffer& buf);

} // namespace sophia::runtime::wire
