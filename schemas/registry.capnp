# Replication of the cluster registry: each node sends the full set of names its
# own actors registered. Actor handles travel beside the message (CAF serializes
# them as proxies); an entry refers to one by its index.
@0xbe444c1c7301ae65;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas");

struct RegistryEntry {
  name @0 :Text;
  # Index into the handles attached to the message.
  handle @1 :UInt32;
}

struct RegistrySnapshot {
  node @0 :Text;
  incarnation @1 :UInt64;
  # Grows with every local change; a receiver ignores older snapshots.
  version @2 :UInt64;
  entries @3 :List(RegistryEntry);
}
