#!/usr/bin/env bash
# Cluster-wide limits through two edges (limits_client.mjs, the official SDK
# client): nodes a and b each run an edge and an AI router (both roles
# replicated), node a the limiter (role monitoring), node b the pipeline on
# a PostgreSQL of the test's own. API key `team` spends its 3-cent daily
# budget through both edges at once: the total stays within the budget plus
# the leases; Together AI's cluster_requests_per_minute holds across both
# edges. Then node a is killed (-9) and restarted: its new limiter reads the
# day's spend from sophia.ai_interactions and still refuses the key. The
# catalog carries the file's [models."ID"] (a prior quality, a model Together
# AI serves without listing it).
. "$(dirname "$0")/lib.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/standins.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/postgres.sh"
start_test_postgres || { fail "PostgreSQL"; finish; }
start_standin "$WORK" || { fail "stand-in"; finish; }
PIDS+=("$STANDIN_PID")
export OPENROUTER_API_KEY=sk-or-v1-limits-test
export TOGETHER_API_KEY=together-limits-test
export LIMITS_OPS_KEY=ops-limits-test-key
export LIMITS_TEAM_KEY=team-limits-test-key
AUTH=(-H "Authorization: Bearer $LIMITS_OPS_KEY")
export TWO_NODES_A_ROLES='["edge", "ai_intelligence", "monitoring"]'
export TWO_NODES_B_ROLES='["edge", "ai_intelligence", "data_intelligence", "pipeline"]'
start_cluster "
[roles.edge]
replicated = true

[roles.ai_intelligence]
replicated = true

[api_keys.ops]
key = \"env:LIMITS_OPS_KEY\"

[api_keys.team]
key = \"env:LIMITS_TEAM_KEY\"
daily_budget_cents = 3

[pipeline]
postgres = \"$PG_URL\"
$(standin_chat_toml "$STANDIN_URL")
cluster_requests_per_minute = 6

[models.\"deepseek-ai/DeepSeek-V3\"]
quality_code = 0.85

[models.\"sophia/house-model\"]
provider = \"together_ai\"
prompt_usd_per_mtok = 0.05
completion_usd_per_mtok = 0.1
capabilities = [\"chat\", \"code\"]
quality_code = 0.8" || finish
# Node b's own edge (port 0: the kernel's choice), from its log.
url_of() { grep -o 'serving http://[^ ]*/mcp' "$1" | tail -n 1 | cut -d' ' -f2; }
b_up() { URL_B=$(url_of "$WORK/b.log"); [ -n "$URL_B" ]; }
wait_until 30 "node b's edge serves" b_up || finish
client() { # PHASE URL_A
  sdk_phase limits "$1" --a "$2" --b "$URL_B" --standin "$STANDIN_URL" \
    --key "$LIMITS_OPS_KEY" --team-key "$LIMITS_TEAM_KEY"
}
client spend "$URL"
kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null || true
: >"$WORK/a2.log"
"$SOPHIA_BIN_DIR/sophia-node" --config "$CONF" --node a >"$WORK/a2.log" 2>&1 &
PIDS+=($!)
a_up() { URL_A2=$(url_of "$WORK/a2.log"); [ -n "$URL_A2" ]; }
wait_until 30 "node a's edge serves again" a_up || finish
client restarted "$URL_A2"
grep -q 'limiter: read this month' "$WORK/a2.log" &&
  ok "node a's new limiter says it read the spend" || fail "no 'limiter: read this month' line in a2.log"
finish
