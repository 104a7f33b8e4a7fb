#!/usr/bin/env bash
# The AI providers through the MCP edge, judged by the official SDK client:
# node a runs the edge, node b the role ai_intelligence, and every service
# points at the stand-ins. Portkey's key is left unset, so it must not be
# listed. The known secret values must appear in no log.
. "$(dirname "$0")/lib.sh"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/standins.sh"
start_standin "$WORK" || { fail "stand-in"; finish; }
PIDS+=("$STANDIN_PID")
export OPENROUTER_API_KEY=sk-or-v1-SECRET-openrouter-4f1e
export TOGETHER_API_KEY=SECRET-together-9c2d
export HF_TOKEN=hf_SECRET_huggingface_77aa
export VLLM_API_KEY=SECRET-vllm-1b3c
unset PORTKEY_API_KEY
export TWO_NODES_B_ROLES='["data_intelligence", "ai_intelligence"]'
reserve_port || { fail "no port for node b's admin endpoint"; finish; }
ADMIN_B=$RESERVED_PORT
# The first line belongs to node b's [[node]] table.
start_cluster "admin_port = $ADMIN_B
$(standin_services_toml "$STANDIN_URL")" || finish
mcp_session || fail "initialize"
listed() { [[ "$(rpc tools/list '{}')" == *together_ai.embed* ]]; }
wait_until 30 "the edge lists the AI tools of node b" listed && ok "the edge lists the AI tools of node b"
CLIENT="$SOPHIA_SOURCE_DIR/tests/integration/mcp/sdk_client.mjs"
if "$SOPHIA_NODE22" "$CLIENT" --http "$URL" --scenario ai >"$WORK/sdk-ai.out" 2>&1; then
  ok "SDK client: openrouter.chat and together_ai.embed answer with the stand-ins' data"
else
  fail "SDK client: AI tools"
fi
sed 's/^/  sdk: /' "$WORK/sdk-ai.out"
# Both nodes' metrics, checked by Prometheus's own linter.
curl -s "${URL%/mcp}/metrics" >"$WORK/a.metrics"
curl -s "http://127.0.0.1:$ADMIN_B/metrics" >"$WORK/b.metrics"
for n in a b; do
  if out=$(promtool check metrics <"$WORK/$n.metrics" 2>&1); then
    ok "promtool accepts node $n's /metrics"
  else
    fail "promtool on node $n's /metrics: $out"
  fi
done
has_metric() { # NODE PATTERN WHAT
  if grep -qE "$2" "$WORK/$1.metrics"; then ok "$3"; else fail "$3: no line matching $2 in node $1's /metrics"; fi
}
has_metric a '^sophia_tool_calls_total\{tool="openrouter.chat",outcome="ok"\} [1-9]' "the edge counts openrouter.chat calls"
has_metric a '^sophia_tool_call_duration_seconds_count\{tool="together_ai.embed"\} [1-9]' "the edge times together_ai.embed"
has_metric b '^sophia_llm_tokens_total\{provider="openrouter",model="openai/gpt-4o-mini",kind="completion"\} [1-9]' "node b counts LLM tokens"
has_metric b '^sophia_llm_cost_usd_total\{provider="openrouter",model="openai/gpt-4o-mini"\} [0-9.e-]+$' "node b counts LLM cost"
has_metric b '^sophia_service_requests_total\{service="openrouter",status="200"\} [1-9]' "node b counts requests to OpenRouter"
has_metric b '^sophia_service_breaker_state\{service="openrouter"\} 0' "node b shows OpenRouter's breaker closed"
has_metric b '^sophia_cluster_members\{state="up"\} 2' "node b sees 2 members up"
# sophiactl services: every service, configured or not, and what to set.
if "$SOPHIA_BIN_DIR/sophiactl" --config "$CONF" services >"$WORK/services.out" 2>&1 &&
   grep -qE '^openrouter +yes +closed +openrouter.chat, openrouter.models' "$WORK/services.out" &&
   grep -qE '^portkey +no .*export PORTKEY_API_KEY' "$WORK/services.out"; then
  ok "sophiactl services shows what is configured and what to set"
else
  fail "sophiactl services: $(cat "$WORK/services.out")"
fi
res=$(rpc resources/read '{"uri":"sophia://services"}')
[[ "$res" == *'\"service\": \"together_ai\"'* && "$res" == *'\"configured\": true'* ]] &&
  ok "the resource sophia://services lists the services" || fail "sophia://services: ${res:0:300}"
# The stand-in saw our requests with the credentials...
if grep -q "$OPENROUTER_API_KEY" <(curl -s "$STANDIN_URL/_standin/requests?service=openrouter"); then
  ok "the stand-in received the OpenRouter key"
else
  fail "the stand-in did not receive the OpenRouter key"
fi
# ...and no log of ours holds any of them.
leaks=0
for secret in "$OPENROUTER_API_KEY" "$TOGETHER_API_KEY" "$HF_TOKEN" "$VLLM_API_KEY"; do
  for f in "$WORK"/a.log "$WORK"/b.log "$WORK"/sdk-ai.out "$WORK"/services.out "$WORK"/*.metrics; do
    if grep -qF "$secret" "$f"; then
      fail "a secret appears in $(basename "$f")"
      leaks=1
    fi
  done
done
[ "$leaks" = 1 ] || ok "no secret value appears in the nodes' logs or the client's output"
grep -q 'service portkey is not configured: its api_key env:PORTKEY_API_KEY is not set' "$WORK/b.log" &&
  ok "node b says portkey is not configured and why" || fail "no 'portkey is not configured' line in b.log"
finish
