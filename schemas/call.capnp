# The generic call envelope: every request made through the call helper.
@0xa48d47160e45ad0c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas");

struct CallEnvelope {
  traceId @0 :Text;
  # Who is calling: a node, actor or MCP client identity.
  caller @1 :Text;
  # Absolute deadline (unix ns); the callee may give up once it passed.
  deadlineUnixNs @2 :Int64;
  method @3 :Text;
  payload @4 :Data;
}

struct CallReply {
  payload @0 :Data;
}
