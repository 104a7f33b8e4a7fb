#!/usr/bin/env bash
# The AI router through the MCP edge, judged by the official SDK client
# (router_client.mjs): node a runs the edge, node b the role ai_intelligence
# with OpenRouter and Together AI pointing at the stand-ins and Arize at the
# OTLP receiver, and the pipeline on a PostgreSQL of the test's own. The
# catalog, the documented cold choice, feedback that changes later decisions,
# max_cost_usd, fallback to another provider with the breaker opening, spans
# of logged interactions at Arize; then node b is killed (-9) and restarted:
# the memory is rebuilt from sophia.ai_interactions. API key `team` has a
# daily budget of one cent: spent, refused, and still spent after the
# restart (the limiter, role monitoring, runs on node a).
. "$(dirname "$0")/lib.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/standins.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/postgres.sh"
start_test_postgres || { fail "PostgreSQL"; finish; }
start_standin "$WORK" || { fail "stand-in"; finish; }
PIDS+=("$STANDIN_PID")
mkfifo "$WORK/otlp.in"
"$SOPHIA_NODE22" "$SOPHIA_SOURCE_DIR/tests/standins/otlp_receiver.mjs" --exit-with-stdin \
  <"$WORK/otlp.in" >"$WORK/otlp.out" 2>"$WORK/otlp.log" &
PIDS+=($!)
exec {OTLP_FD}>"$WORK/otlp.in"
otlp_up() { OTLP_URL=$(grep -o 'http://[0-9.:]*' "$WORK/otlp.out" 2>/dev/null | head -n 1); [ -n "$OTLP_URL" ]; }
wait_until 20 "the OTLP receiver starts" otlp_up || finish
export OPENROUTER_API_KEY=sk-or-v1-router-test
export TOGETHER_API_KEY=together-router-test
export ARIZE_API_KEY=arize-router-test
export ARIZE_SPACE_ID=space-router-test
export ROUTER_OPS_KEY=ops-router-test-key
export ROUTER_TEAM_KEY=team-router-test-key
AUTH=(-H "Authorization: Bearer $ROUTER_OPS_KEY")
export TWO_NODES_A_ROLES='["edge", "monitoring"]'
export TWO_NODES_B_ROLES='["data_intelligence", "ai_intelligence", "pipeline"]'
start_cluster "
[api_keys.ops]
key = \"env:ROUTER_OPS_KEY\"

[api_keys.team]
key = \"env:ROUTER_TEAM_KEY\"
daily_budget_cents = 1

[pipeline]
postgres = \"$PG_URL\"
$(standin_chat_toml "$STANDIN_URL")

[services.arize]
api_key = \"env:ARIZE_API_KEY\"
space_id = \"env:ARIZE_SPACE_ID\"
base_url = \"$OTLP_URL\"" || finish
client() { # PHASE
  sdk_phase router "$1" --http "$URL" --standin "$STANDIN_URL" --otlp "$OTLP_URL" \
    --key "$ROUTER_OPS_KEY" --team-key "$ROUTER_TEAM_KEY"
}
client learn
kill -9 "$PID_b"
wait "$PID_b" 2>/dev/null || true
echo "---- router_test: node b restarted" >>"$WORK/b.log"
"$SOPHIA_BIN_DIR/sophia-node" --config "$CONF" --node b >>"$WORK/b.log" 2>&1 &
PIDS+=($!)
client restarted
grep -q 'outcome memory rebuilt from sophia.ai_interactions' "$WORK/b.log" &&
  ok "node b says it rebuilt the outcome memory" || fail "no 'outcome memory rebuilt' line in b.log"
finish
