#!/usr/bin/env bash
# Streamable HTTP beyond the conformance suite, against a 2-node cluster:
# resuming a stream with Last-Event-ID, virtual servers per domain (paths and
# their own port), list_changed when a node goes, and a drain on SIGTERM.
. "$(dirname "$0")/lib.sh"
reserve_port || exit 1
DPORT=$RESERVED_PORT
EDGE_EXTRA="data_intelligence_port = $DPORT"
start_cluster || finish
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25')

# -- resumability: drop a stream mid-call, resume it on a GET
mcp_session
S=(-H "Mcp-Session-Id: $SESSION")
curl -s -N --max-time 0.7 "${H[@]}" "${S[@]}" -X POST "$URL" \
  -d '{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"test_slow_tool","arguments":{"ms":1500},"_meta":{"progressToken":"p-21"}}}' \
  >"$WORK/part.out" || true
last=$(grep '^id: ' "$WORK/part.out" | tail -1 | cut -d' ' -f2 | tr -d '\r')
seen=$(grep -c '"progressToken":"p-21"' "$WORK/part.out" || true)
if [ -n "$last" ] && [ "$seen" -ge 1 ] && ! grep -q '"id":21,"result"' "$WORK/part.out"; then
  ok "the first connection saw $seen progress events up to $last, no result"
else
  fail "the first connection: $(head -c 400 "$WORK/part.out")"
fi
curl -s -N --max-time 10 -H 'Accept: text/event-stream' "${S[@]}" -H "Last-Event-ID: $last" "$URL" >"$WORK/rest.out" || true
if grep -q '"id":21,"result":{"content":\[{"type":"text","text":"slept 1500 ms"}' "$WORK/rest.out" &&
   ! grep -q "^id: $last\$" "$WORK/rest.out"; then
  ok "GET with Last-Event-ID replays the rest and delivers the result ($(grep -c '"progressToken"' "$WORK/rest.out") progress events)"
else
  fail "resume: $(head -c 600 "$WORK/rest.out")"
fi
expect "a Last-Event-ID that is malformed -> 400" 400 "malformed Last-Event-ID" \
  -H 'Accept: text/event-stream' "${S[@]}" -H 'Last-Event-ID: nonsense' "$URL"

# -- subscriptions: a provider's resource update reaches the subscriber
mcp_session
S=(-H "Mcp-Session-Id: $SESSION")
curl -s -N --max-time 5 -H 'Accept: text/event-stream' "${S[@]}" "$URL" >"$WORK/sub.out" &
SUB=$!
wait_until 10 "the GET stream's priming event" grep -q '^id: ' "$WORK/sub.out"
rpc resources/subscribe '{"uri":"test://watched-resource"}' >/dev/null
for _ in $(seq 1 30); do grep -q 'resources/updated' "$WORK/sub.out" && break; sleep 0.1; done
kill "$SUB" 2>/dev/null || true
wait "$SUB" 2>/dev/null || true
if grep -q '"method":"notifications/resources/updated","params":{"uri":"test://watched-resource"}' "$WORK/sub.out"; then
  ok "a subscribed session gets notifications/resources/updated on its GET stream"
else
  fail "no resources/updated: $(head -c 300 "$WORK/sub.out")"
fi

# -- virtual servers
URL_ALL=$URL
URL="$URL_ALL/data_intelligence"; mcp_session
list=$(rpc tools/list '{}')
if [[ "$list" == *test_simple_text* && "$list" != *sophia.echo* ]]; then
  ok "/mcp/data_intelligence lists only that domain's tools"; else fail "/mcp/data_intelligence: ${list:0:300}"; fi
expect "a session of /mcp/data_intelligence is unknown at /mcp" 404 "Session not found on this endpoint" \
  "${H[@]}" -H "Mcp-Session-Id: $SESSION" -X POST "$URL_ALL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
URL="$URL_ALL/ai_intelligence"; mcp_session
list=$(rpc tools/list '{}')
if [[ "$list" == *'"tools":[]'* ]]; then ok "/mcp/ai_intelligence lists no tool (no provider)"; else fail "/mcp/ai_intelligence: ${list:0:300}"; fi
expect "an unknown domain -> 404" 404 "MCP is served at /mcp and /mcp/DOMAIN" \
  "${H[@]}" -X POST "$URL_ALL/marketing" -d '{}'
URL="http://127.0.0.1:$DPORT/mcp"; mcp_session
list=$(rpc tools/list '{}')
if [[ "$list" == *test_simple_text* && "$list" != *sophia.echo* ]]; then
  ok "the data_intelligence port serves only that domain"; else fail "domain port: ${list:0:300}"; fi
URL=$URL_ALL

# -- list_changed when the node with the fixtures goes
mcp_session
S=(-H "Mcp-Session-Id: $SESSION")
curl -s -N --max-time 15 -H 'Accept: text/event-stream' "${S[@]}" "$URL" >"$WORK/get.out" &
GET=$!
wait_until 10 "the GET stream's priming event" grep -q '^id: ' "$WORK/get.out"
kill -9 "$PID_b"
for _ in $(seq 1 60); do grep -q 'notifications/tools/list_changed' "$WORK/get.out" && break; sleep 0.1; done
if grep -q '"method":"notifications/tools/list_changed"' "$WORK/get.out"; then
  ok "the GET stream got notifications/tools/list_changed when node b died"
  list=$(rpc tools/list '{}')
  [[ "$list" != *test_simple_text* ]] && ok "its tools are gone from tools/list" || fail "tools of b still listed"
else
  fail "no list_changed: $(head -c 300 "$WORK/get.out")"
fi

# -- SIGTERM drains: the open stream ends cleanly, the node exits 0
kill -TERM "$PID_a"
if wait "$GET"; then ok "the SSE stream ended cleanly on SIGTERM"; else fail "the SSE stream was cut (curl exit $?)"; fi
if wait "$PID_a"; then ok "node a exited 0 after draining"; else fail "node a exited $?"; fi
finish
