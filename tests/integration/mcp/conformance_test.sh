#!/usr/bin/env bash
# The official MCP conformance suite (0.1.16, Node 22) against a 2-node
# cluster whose fixtures run on the node without the edge: the active suite
# five times (no flake allowed), then --suite all with the baseline of
# pending, warning-only scenarios.
. "$(dirname "$0")/lib.sh"
start_cluster

RUNS=${CONFORMANCE_RUNS:-5}
for i in $(seq 1 "$RUNS"); do
  if (cd "$WORK" && "$SOPHIA_NODE22" "$SOPHIA_CONFORMANCE" server --url "$URL") >"$WORK/active-$i.out" 2>&1; then
    total=$(grep -E '^Total' "$WORK/active-$i.out" | tail -1)
    ok "active suite run $i: $total"
  else
    fail "active suite run $i"
    grep -E '✗|FAIL|failed' "$WORK/active-$i.out" | head -20
  fi
done

if (cd "$WORK" && "$SOPHIA_NODE22" "$SOPHIA_CONFORMANCE" server --url "$URL" --suite all \
      --expected-failures "$SOPHIA_SOURCE_DIR/tests/integration/mcp/baseline.yml") >"$WORK/all.out" 2>&1; then
  ok "--suite all: $(grep -E '^Total' "$WORK/all.out" | tail -1)"
else
  fail "--suite all"
  tail -40 "$WORK/all.out"
fi
finish
