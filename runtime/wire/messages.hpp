#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sophia::runtime::wire {

// Plain C++ mirrors of the Cap'n Proto schemas in schemas/. Actors work with
// these; only the codec touches Cap'n Proto (whose readers throw on corrupt
// input, which must never reach a message handler).

/// schemas/membership.capnp NodeInfo.
struct node_info {
  std::string name;
  std::string cluster;
  uint64_t incarnation = 0;
  uint32_t pid = 0;
  std::string host;
  uint16_t port = 0;
  std::string version;
};

/// schemas/membership.capnp Hello.
struct hello {
  node_info from;
};

/// schemas/membership.capnp Heartbeat.
struct heartbeat {
  std::string from;
  uint64_t incarnation = 0;
  uint64_t seq = 0;
  int64_t sent_unix_ns = 0;
};

/// schemas/membership.capnp Leave.
struct leave {
  std::string from;
  uint64_t incarnation = 0;
  std::string reason;
};

/// schemas/membership.capnp MemberState.
enum class member_state : uint8_t { up, suspect, down };

/// Returns "up", "suspect" or "down".
const char* to_string(member_state x);

/// schemas/membership.capnp MemberStatus.
struct member_status {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::vector<std::string> roles;
  member_state state = member_state::down;
  int64_t since_unix_ms = 0;
  /// -1 when no heartbeat was ever received.
  int64_t heartbeat_age_ms = -1;
  uint64_t incarnation = 0;
};

/// schemas/membership.capnp MembershipView.
struct membership_view {
  std::string cluster;
  std::string seen_from;
  std::vector<member_status> members;
};

/// schemas/registry.capnp RegistryEntry.
struct registry_entry {
  std::string name;
  uint32_t handle = 0;
};

/// schemas/registry.capnp RegistrySnapshot.
struct registry_snapshot {
  std::string node;
  uint64_t incarnation = 0;
  uint64_t version = 0;
  std::vector<registry_entry> entries;
};

/// schemas/call.capnp CallEnvelope.
struct call_envelope {
  std::string trace_id;
  std::string caller;
  int64_t deadline_unix_ns = 0;
  std::string method;
  std::string payload;
};

/// schemas/call.capnp CallReply.
struct call_reply {
  std::string payload;
};

} // namespace sophia::runtime::wire
