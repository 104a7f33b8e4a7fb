# schemas/call.capnp as a newer release may write it: a field appended after
# `payload`. Used only by the schema evolution test.
@0xd72913c641124b5f;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas::v2");

struct CallEnvelope {
  traceId @0 :Text;
  caller @1 :Text;
  deadlineUnixNs @2 :Int64;
  method @3 :Text;
  payload @4 :Data;
  priority @5 :UInt8;
  tags @6 :List(Text);
}
