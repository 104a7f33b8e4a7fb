# Sourced by the MCP integration tests: starts a real 2-node cluster on free
# loopback ports (node a runs the edge, node b the conformance fixtures, so
# every fixture call crosses nodes) and offers small assertion helpers.
# Needs SOPHIA_BIN_DIR (ctest sets it) and the npm tools of tools/setup.
set -euo pipefail

: "${SOPHIA_BIN_DIR:?SOPHIA_BIN_DIR must point at the bin directory of the build}"
: "${SOPHIA_SOURCE_DIR:?SOPHIA_SOURCE_DIR must point at the source tree}"
# shellcheck source=/dev/null
. "$SOPHIA_SOURCE_DIR/tools/npm-env"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sophia-mcp.XXXXXX")
PIDS=()
FAILS=0

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$FAILS" -ne 0 ] || [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "logs kept in $WORK"
    for f in "$WORK"/*.log; do echo "--- tail of $f"; tail -n 30 "$f"; done
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# A port nothing listens on now (checked by connecting to it).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

# shellcheck source=two_nodes.sh
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/two_nodes.sh"

# write_config FILE EXTRA_TOML: the 2-node cluster of these tests; EDGE_EXTRA
# holds more keys of [edge].
write_config() {
  two_nodes_config "$PORT_A" "$PORT_B" "$MCP_PORT" \
    $'heartbeat_ms = 100\nfailure_timeout_ms = 1000\nlog_level = "info"' \
    "${EDGE_EXTRA:-}" "$2" >"$1"
}

start_node() { # NAME
  "$SOPHIA_BIN_DIR/sophia-node" --config "$CONF" --node "$1" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$1=$!"
}

# Starts nodes a and b and waits until the edge lists the fixtures of b.
start_cluster() { # [EXTRA_TOML]
  PORT_A=$(free_port); PORT_B=$(free_port); MCP_PORT=$(free_port)
  CONF="$WORK/cluster.conf"
  write_config "$CONF" "${1:-}"
  URL="http://127.0.0.1:$MCP_PORT/mcp"
  start_node a
  start_node b
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    if mcp_session 2>/dev/null && rpc tools/list '{}' 2>/dev/null | grep -q test_simple_text; then
      return 0
    fi
    sleep 0.2
  done
  echo "cluster did not come up with the fixtures within 30 s" >&2
  FAILS=$((FAILS + 1))
  return 1
}

# Extra curl arguments of every helper request (e.g. an Authorization header).
AUTH=()

# Opens a session; sets SESSION.
mcp_session() {
  local hdr="$WORK/init.hdr"
  curl -s "${AUTH[@]}" -D "$hdr" -o "$WORK/init.body" -X POST "$URL" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' || return 1
  SESSION=$(grep -i '^mcp-session-id:' "$hdr" | tr -d '\r' | awk '{print $2}')
  [ -n "$SESSION" ] || return 1
  curl -s "${AUTH[@]}" -o /dev/null -X POST "$URL" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SESSION" \
    -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}

# rpc METHOD PARAMS_JSON: one request in SESSION; prints the body.
rpc() {
  curl -s "${AUTH[@]}" -X POST "$URL" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SESSION" \
    -H 'MCP-Protocol-Version: 2025-11-25' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"$1\",\"params\":$2}"
}

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; FAILS=$((FAILS + 1)); }

# expect NAME WANT_STATUS WANT_BODY_SUBSTRING CURL_ARGS...: one HTTP exchange.
expect() {
  local name=$1 want_status=$2 want_body=$3
  shift 3
  local out status body
  out=$(curl -s -w '\n%{http_code}' "$@") || true
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  if [ "$status" = "$want_status" ] && [[ "$body" == *"$want_body"* ]]; then
    ok "$name"
  else
    fail "$name: want $want_status with '$want_body', got $status: ${body:0:300}"
  fi
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
