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

# shellcheck source=two_nodes.sh
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/two_nodes.sh"

# Extra curl arguments of every helper request (e.g. an Authorization header).
AUTH=()

# wait_until SECONDS WHAT CMD...: runs CMD until it succeeds; after SECONDS
# counts a failure naming WHAT and returns 1.
wait_until() {
  local max=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      fail "$what: not within $max s"
      return 1
    fi
    sleep 0.05
  done
}

# Starts nodes a and b (see start_two_nodes) and waits until the edge lists
# the fixtures of b. EDGE_EXTRA holds more keys of [edge]; $1 more TOML.
# Sets CONF, URL, PID_a, PID_b, PORT_A, PORT_B.
start_cluster() { # [EXTRA_TOML]
  if ! start_two_nodes "$SOPHIA_BIN_DIR/sophia-node" "$WORK" \
      $'heartbeat_ms = 100\nfailure_timeout_ms = 1000\nlog_level = "info"' \
      "${EDGE_EXTRA:-}" "${1:-}"; then
    FAILS=$((FAILS + 1))
    return 1
  fi
  CONF=$TWO_NODES_CONF
  URL=$TWO_NODES_URL
  PID_a=${TWO_NODES_PIDS[0]}
  PID_b=${TWO_NODES_PIDS[1]}
  PIDS+=("$PID_a" "$PID_b")
  PORT_A=${TWO_NODES_PORTS[0]}
  PORT_B=${TWO_NODES_PORTS[1]}
  if ! wait_fixtures "$URL" 30 "${AUTH[@]}"; then
    FAILS=$((FAILS + 1))
    return 1
  fi
}

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

# sdk_phase NAME PHASE ARGS...: runs tests/integration/mcp/NAME_client.mjs
# --phase PHASE ARGS... on Node 22, counts it as one check and shows its
# checks indented (its output also stays in $WORK/NAME-PHASE.out).
sdk_phase() {
  local name=$1 phase=$2
  shift 2
  if "$SOPHIA_NODE22" "$SOPHIA_SOURCE_DIR/tests/integration/mcp/${name}_client.mjs" \
      --phase "$phase" "$@" >"$WORK/$name-$phase.out" 2>&1; then
    ok "SDK client: the $name $phase scenarios"
  else
    fail "SDK client: the $name $phase scenarios"
  fi
  sed 's/^/  sdk: /' "$WORK/$name-$phase.out"
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
