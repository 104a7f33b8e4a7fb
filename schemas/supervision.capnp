# A snapshot of a node's supervision tree, as `sophiactl tree` reads it.
@0xeffdcb283591edd1;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sophia::schemas");

enum ChildKind {
  worker @0;
  supervisor @1;
}

enum Strategy {
  oneForOne @0;
  oneForAll @1;
  restForOne @2;
  simpleOneForOne @3;
}

struct TreeNode {
  name @0 :Text;
  kind @1 :ChildKind;
  # Supervisors only.
  strategy @2 :Strategy;
  running @3 :Bool;
  # How many times the parent started this child again.
  restarts @4 :UInt64;
  # Supervisors only: restarts made, and child supervisors that gave up.
  totalRestarts @5 :UInt64;
  escalations @6 :UInt64;
  uptimeMs @7 :Int64;
  # Why a subtree is missing (its supervisor did not answer).
  detail @8 :Text;
  children @9 :List(TreeNode);
}

struct TreeSnapshot {
  node @0 :Text;
  root @1 :TreeNode;
}
