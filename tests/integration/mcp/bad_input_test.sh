#!/usr/bin/env bash
# Bad input against the edge of a 2-node cluster with API keys: each case
# has its exact expected answer, and the node keeps serving afterwards.
. "$(dirname "$0")/lib.sh"
export SOPHIA_TEST_KEY_ALL="all-$RANDOM$RANDOM"
KEY_FILE="$WORK/limited.key"
echo "limited-$RANDOM$RANDOM" >"$KEY_FILE"
AUTH=(-H "Authorization: Bearer $SOPHIA_TEST_KEY_ALL")
start_cluster "
[api_keys.ops]
key = \"env:SOPHIA_TEST_KEY_ALL\"
tools = [\"*\"]

[api_keys.limited]
key = \"file:$KEY_FILE\"
tools = [\"sophia.*\"]
" || finish
mcp_session
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25')
S=(-H "Mcp-Session-Id: $SESSION")
post() { curl -s "${AUTH[@]}" "${H[@]}" "${S[@]}" -X POST "$URL" "$@"; }
# expect_post NAME STATUS BODY_SUBSTRING JSON: one POST in the session.
expect_post() { expect "$1" "$2" "$3" "${AUTH[@]}" "${H[@]}" "${S[@]}" -X POST "$URL" -d "$4"; }

# -- JSON-RPC framing
expect_post "invalid JSON -> 400 -32700" 400 '"code":-32700' '{"jsonrpc":"2.0",'
expect_post "JSON array batch -> 400 -32600" 400 '"code":-32600,"message":"Invalid Request: JSON-RPC batches are not supported' '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'
expect_post "missing jsonrpc -> 400 -32600" 400 "missing member 'jsonrpc'" '{"id":1,"method":"ping"}'
expect_post "id of the wrong type -> 400 -32600" 400 "member 'id' must be a string or an integer" '{"jsonrpc":"2.0","id":{},"method":"ping"}'
expect_post "params of the wrong type -> 400 -32600" 400 "member 'params' must be an object" '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}'
expect_post "tool name of the wrong type -> -32602" 200 '"id":"x","error":{"code":-32602,"message":"Invalid params: name must be a string"' '{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":5}}'
expect_post "unknown method -> -32601" 200 '"error":{"code":-32601,"message":"Method not found: nope/nope"}' '{"jsonrpc":"2.0","id":2,"method":"nope/nope"}'
expect_post "notification -> 202 and no body" 202 '' '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}'
expect_post "string id echoed as given" 200 '{"jsonrpc":"2.0","id":"abc","result":{}}' '{"jsonrpc":"2.0","id":"abc","method":"ping"}'
head -c 5000000 /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
expect "huge body -> 413" 413 'exceeds 4194304 bytes' \
  "${AUTH[@]}" "${H[@]}" "${S[@]}" -X POST "$URL" --data-binary @"$WORK/huge.json"

# -- schema validation
expect_post "arguments violating the schema -> -32602" 200 '"code":-32602,"message":"Invalid arguments for tool test_slow_tool: ' '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_slow_tool","arguments":{"ms":"soon"}}}'
expect_post "unknown tool -> -32602" 200 '"message":"Unknown tool: no_such_tool"' '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool"}}'

# -- HTTP: sessions, headers, security
expect "unknown session -> 404" 404 '"code":-32001,"message":"Session not found' \
  "${AUTH[@]}" "${H[@]}" -H 'Mcp-Session-Id: 0000' -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "missing session -> 400" 400 'Mcp-Session-Id header is required' \
  "${AUTH[@]}" "${H[@]}" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "Accept without text/event-stream -> 406" 406 'Not Acceptable' \
  "${AUTH[@]}" -H 'Content-Type: application/json' -H 'Accept: application/json' "${S[@]}" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "unsupported MCP-Protocol-Version -> 400" 400 'Unsupported protocol version: 1999-01-01 (supported versions: 2025-11-25' \
  "${AUTH[@]}" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 1999-01-01' "${S[@]}" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "foreign Host -> 403" 403 "Host 'evil.example.com' is not allowed" \
  "${AUTH[@]}" "${H[@]}" "${S[@]}" -H 'Host: evil.example.com' -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "foreign Origin -> 403" 403 "Origin 'http://evil.example.com' is not allowed" \
  "${AUTH[@]}" "${H[@]}" "${S[@]}" -H 'Origin: http://evil.example.com' -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "missing API key -> 401" 401 'an API key is required' \
  "${H[@]}" "${S[@]}" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect "wrong API key -> 401" 401 'the API key is not valid' \
  -H 'Authorization: Bearer wrong' "${H[@]}" "${S[@]}" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
if curl -s -D - -o /dev/null "${H[@]}" -X POST "$URL" -d '{}' | grep -qi '^www-authenticate: Bearer realm="sophia"'; then
  ok "401 carries WWW-Authenticate"; else fail "401 carries WWW-Authenticate"; fi
expect "wrong path -> 404" 404 'MCP is served at /mcp' \
  "${AUTH[@]}" "${H[@]}" -X POST "${URL%/mcp}/other" -d '{}'
expect "PUT -> 405" 405 'Method Not Allowed' \
  "${AUTH[@]}" "${H[@]}" -X PUT "$URL" -d '{}'

# -- a limited key sees and calls only its tools
LIMITED=(-H "Authorization: Bearer $(cat "$KEY_FILE")")
SAVED=("${AUTH[@]}"); SAVED_SESSION=$SESSION
AUTH=("${LIMITED[@]}"); mcp_session
list=$(rpc tools/list '{}')
if [[ "$list" == *sophia.cluster_status* && "$list" != *test_simple_text* ]]; then
  ok "limited key lists only sophia.* tools"; else fail "limited key lists only sophia.* tools: ${list:0:300}"; fi
expect "limited key cannot call other tools" 200 '"message":"Unknown tool: test_simple_text"' \
  "${AUTH[@]}" "${H[@]}" -H "Mcp-Session-Id: $SESSION" -X POST "$URL" -d '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"test_simple_text"}}'
expect "a session is bound to its key" 403 'belongs to another API key' \
  "${SAVED[@]}" "${H[@]}" -H "Mcp-Session-Id: $SESSION" -X POST "$URL" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
AUTH=("${SAVED[@]}"); SESSION=$SAVED_SESSION

# -- DELETE ends the session
expect "DELETE -> 200" 200 '' "${AUTH[@]}" "${S[@]}" -X DELETE "$URL"
expect_post "terminated session -> 404" 404 'Session not found' '{"jsonrpc":"2.0","id":1,"method":"ping"}'

# -- the tool's node dies mid-call: a clear tool error, no hang
mcp_session
S=(-H "Mcp-Session-Id: $SESSION")
curl -s -N "${AUTH[@]}" "${H[@]}" "${S[@]}" -X POST "$URL" \
  -d '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"test_slow_tool","arguments":{"ms":20000},"_meta":{"progressToken":"p9"}}}' >"$WORK/midcall.out" &
CALL=$!
# Its first progress event: the call runs on node b.
wait_until 10 "the slow call's first progress event" grep -q '"progressToken":"p9"' "$WORK/midcall.out"
kill -9 "$PID_b"
start=$SECONDS
wait "$CALL" || true
if grep -q '"isError":true' "$WORK/midcall.out" && grep -q 'went down during the call' "$WORK/midcall.out" && [ $((SECONDS - start)) -lt 10 ]; then
  ok "node died mid-call -> isError result in $((SECONDS - start)) s"
else
  fail "node died mid-call: $(head -c 400 "$WORK/midcall.out")"
fi

# -- and the node still serves
expect_post "still serving after all of it" 200 '"result":{}' '{"jsonrpc":"2.0","id":10,"method":"ping"}'
finish
