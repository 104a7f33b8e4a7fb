#!/usr/bin/env bash
# The AI router through the MCP edge, judged by the official SDK client
# (router_client.mjs): node a runs the edge, node b the role ai_intelligence
# with OpenRouter and Together AI pointing at the stand-ins and Arize at the
# OTLP receiver. The catalog, the documented cold choice, feedback that
# changes later decisions, max_cost_usd, fallback to another provider with
# the breaker opening, and spans of logged interactions at Arize.
. "$(dirname "$0")/lib.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/standins.sh"
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
export TWO_NODES_B_ROLES='["data_intelligence", "ai_intelligence"]'
start_cluster "
[services.openrouter]
api_key = \"env:OPENROUTER_API_KEY\"
base_url = \"$STANDIN_URL/openrouter/api/v1\"

[services.together_ai]
api_key = \"env:TOGETHER_API_KEY\"
base_url = \"$STANDIN_URL/together_ai/v1\"

[services.arize]
api_key = \"env:ARIZE_API_KEY\"
space_id = \"env:ARIZE_SPACE_ID\"
base_url = \"$OTLP_URL\"" || finish
if "$SOPHIA_NODE22" "$SOPHIA_SOURCE_DIR/tests/integration/mcp/router_client.mjs" \
    --http "$URL" --standin "$STANDIN_URL" --otlp "$OTLP_URL" >"$WORK/router.out" 2>&1; then
  ok "SDK client: the router's scenarios"
else
  fail "SDK client: the router's scenarios"
fi
sed 's/^/  sdk: /' "$WORK/router.out"
finish
