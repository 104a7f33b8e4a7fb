# schemas/call.capnp as an older release wrote it: CallEnvelope had no
# `payload` yet. Used only by the schema evolution test.
@0xb84a96d341885186;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas::v0");

struct CallEnvelope {
  traceId @0 :Text;
  caller @1 :Text;
  deadlineUnixNs @2 :Int64;
  method @3 :Text;
}
