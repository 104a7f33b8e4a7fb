#!/usr/bin/env bash
# The edge of a 2-node cluster against floods and hostile or broken clients:
# 20,000 initialize from one client (then the official SDK client works and
# memory stays bounded), 3,000 connections trickling their headers (closed
# after header_timeout_ms while a good client is served throughout), a 12 MiB
# body sent with Node's fetch (it reads the 413), JSON-RPC batches by version,
# and keep-alive comments on idle streams.
. "$(dirname "$0")/lib.sh"
HOSTILE="$SOPHIA_SOURCE_DIR/tests/integration/mcp/hostile.mjs"
SDK="$SOPHIA_SOURCE_DIR/tests/integration/mcp/sdk_client.mjs"
# 3,000 sockets here and as many in the edge: raise this shell's file limit
# (sophia-node raises its own).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
EDGE_EXTRA=$'header_timeout_ms = 2000\nsse_keepalive_ms = 300'
start_cluster || finish
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
js() { "$SOPHIA_NODE22" -e "const o = JSON.parse(process.argv[1]); console.log($2)" "$1"; }
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# -- a flood of sessions from one client
rss_before=$(rss_kb "$PID_a")
flood=$("$SOPHIA_NODE22" "$HOSTILE" flood "$URL" 20000)
rss_after=$(rss_kb "$PID_a")
echo "  flood: $flood; RSS of node a $((rss_before / 1024)) -> $((rss_after / 1024)) MB"
if [ "$(js "$flood" 'o.statuses["200"] || 0')" = 20000 ]; then
  ok "20,000 initialize from one client: every one answered 200 (older sessions evicted)"
else
  fail "flood: $flood"
fi
if [ -n "${SOPHIA_SANITIZED:-}" ]; then
  echo "  skipped the RSS bound: ASan keeps freed memory in quarantine"
elif [ $((rss_after - rss_before)) -lt $((100 * 1024)) ]; then
  ok "node a's RSS grew by $(((rss_after - rss_before) / 1024)) MB (< 100 MB)"
else
  fail "node a's RSS grew from $rss_before to $rss_after kB"
fi
if "$SOPHIA_NODE22" "$SDK" --http "$URL" --scenario list_tools,call_text,progress >"$WORK/sdk.out" 2>&1; then
  ok "after the flood, the official SDK client lists and calls tools"
else
  fail "the SDK client after the flood: $(cat "$WORK/sdk.out")"
fi
mcp_session
status=$(rpc tools/call '{"name":"sophia.cluster_status","arguments":{}}')
quota=$(echo "$status" | grep -o '"evicted_at_client_quota":[0-9]*' | head -n 1 | cut -d: -f2)
if [ "${quota:-0}" -ge 18000 ]; then
  ok "sophia.cluster_status counts the evictions ($quota at the client quota)"
else
  fail "no eviction count in sophia.cluster_status: ${status:0:600}"
fi
wait_until 15 "the log's summary of shed sessions" grep -q 'sessions shed in the last' "$WORK/a.log" &&
  ok "the log summarizes the evictions: $(grep -o 'sessions shed.*' "$WORK/a.log" | head -n 1 | cut -c1-120)"

# -- slow headers: 3,000 connections trickling bytes
if [ "$(ulimit -n)" -lt 7000 ]; then
  echo "  skipped the 3,000 slow connections: the file limit is $(ulimit -n) (need 7000)"
else
  slow=$("$SOPHIA_NODE22" "$HOSTILE" slowloris "$URL" 3000 20000)
  echo "  slowloris: $slow"
  if [ "$(js "$slow" 'o.closed_by_server === 3000 && o.closed_after_ms.max < 9000')" = true ]; then
    ok "3,000 trickling connections closed by the edge within $(js "$slow" 'o.closed_after_ms.max') ms (header_timeout_ms 2000)"
  else
    fail "trickling connections not all closed in time: $slow"
  fi
  if [ "$(js "$slow" 'o.failed_pings === 0 && o.good_pings > 0')" = true ]; then
    ok "a good client was served throughout ($(js "$slow" 'o.good_pings') pings, none failed)"
  else
    fail "the good client suffered: $slow"
  fi
fi

# -- a body over max_body_bytes, sent by Node's fetch
mcp_session
big=$("$SOPHIA_NODE22" "$HOSTILE" big-post "$URL" "$SESSION" $((12 * 1024 * 1024)))
if [ "$(js "$big" 'o.status')" = 413 ] && [[ "$big" == *max_body_bytes* ]]; then
  ok "a 12 MiB POST with fetch reads 413 naming max_body_bytes"
else
  fail "12 MiB POST with fetch: $big"
fi

# -- JSON-RPC batches: 2025-03-26 only
old=$(curl -s -D - -o /dev/null "${H[@]}" -X POST "$URL" \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' |
  tr -d '\r' | awk 'tolower($1)=="mcp-session-id:"{print $2}')
batch='[{"jsonrpc":"2.0","id":11,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}]'
out=$(curl -s "${H[@]}" -H "Mcp-Session-Id: $old" -H 'MCP-Protocol-Version: 2025-03-26' -X POST "$URL" -d "$batch")
if [[ "$out" == *'"id":11,"result":{}'* && "$out" == *'"id":12,"result":{"content":[{"type":"text","text":"This is a simple text response'* ]]; then
  ok "a 2025-03-26 batch gets both answers, across nodes"
else
  fail "2025-03-26 batch: ${out:0:400}"
fi
expect "a batch in a 2025-11-25 session -> 400" 400 'not supported in protocol version 2025-11-25' \
  "${H[@]}" -H "Mcp-Session-Id: $SESSION" -X POST "$URL" -d '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'

# -- keep-alive comments on an idle stream
curl -s -N --max-time 1.5 -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SESSION" "$URL" >"$WORK/idle.out" || true
n=$(grep -c '^: keepalive' "$WORK/idle.out" || true)
if [ "$n" -ge 2 ]; then ok "an idle SSE stream got $n keep-alive comments in 1.5 s (sse_keepalive_ms 300)"; else fail "keep-alive comments: $(head -c 300 "$WORK/idle.out")"; fi

expect_post() { expect "$1" "$2" "$3" "${H[@]}" -H "Mcp-Session-Id: $SESSION" -X POST "$URL" -d "$4"; }
expect_post "and the edge still serves" 200 '"result":{}' '{"jsonrpc":"2.0","id":99,"method":"ping"}'
finish
