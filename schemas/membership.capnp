# Messages between the membership actors of two nodes, and the membership view
# that `sophiactl status` reads. Fields are only ever appended, never renumbered:
# nodes of different versions talk to each other during a rolling upgrade.
@0xefa718210691a694;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas");

# Who a node is; sent in both directions of the hello handshake.
struct NodeInfo {
  name @0 :Text;
  cluster @1 :Text;
  # Start time of the process (unix ns): tells a restarted node from the old one.
  incarnation @2 :UInt64;
  pid @3 :UInt32;
  host @4 :Text;
  port @5 :UInt16;
  # Sophia version of the sender.
  version @6 :Text;
}

struct Hello {
  from @0 :NodeInfo;
}

struct Heartbeat {
  from @0 :Text;
  incarnation @1 :UInt64;
  seq @2 :UInt64;
  sentUnixNs @3 :Int64;
}

# A node that leaves the cluster on purpose (removed from cluster.conf, or shut down).
struct Leave {
  from @0 :Text;
  incarnation @1 :UInt64;
  reason @2 :Text;
}

enum MemberState {
  up @0;
  suspect @1;
  down @2;
}

struct MemberStatus {
  name @0 :Text;
  host @1 :Text;
  port @2 :UInt16;
  roles @3 :List(Text);
  state @4 :MemberState;
  # When the member entered its current state (unix ms).
  sinceUnixMs @5 :Int64;
  # Time since its last heartbeat; -1 when none was ever received.
  heartbeatAgeMs @6 :Int64;
  incarnation @7 :UInt64;
}

struct MembershipView {
  cluster @0 :Text;
  seenFrom @1 :Text;
  members @2 :List(MemberStatus);
}
