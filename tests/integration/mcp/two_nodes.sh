# shellcheck shell=bash
# Sourced: the 2-node cluster of the MCP tests and of the edge and soak
# benchmarks. Node a runs the edge; node b runs the conformance fixtures (as
# role data_intelligence), so every fixture call crosses nodes.
# TWO_NODES_A_ROLES and TWO_NODES_B_ROLES (TOML arrays) give the nodes other
# roles (node a keeps serving the edge the tests talk to).

# shellcheck source=../ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ports.sh"

# two_nodes_config PORT_A PORT_B MCP_PORT [CLUSTER_KEYS] [EDGE_KEYS] [MORE_TOML]
two_nodes_config() {
  local a_roles=${TWO_NODES_A_ROLES:-'["edge"]'}
  local b_roles=${TWO_NODES_B_ROLES:-'["data_intelligence"]'}
  cat <<CONF
[cluster]
name = "mcp-test"
${4:-}

[edge]
port = $3
${5:-}

[conformance]
enabled = true
role = "data_intelligence"

[[node]]
name = "a"
host = "127.0.0.1"
port = $1
roles = $a_roles

[[node]]
name = "b"
host = "127.0.0.1"
port = $2
roles = $b_roles
${6:-}
CONF
}

# start_two_nodes NODE_BIN DIR [CLUSTER_KEYS] [EDGE_KEYS] [MORE_TOML]
# Starts nodes a and b on reserved ports, with the edge on a port of the
# kernel's choosing, and waits until the edge says where it serves. A node
# that cannot bind its port (exit code 3) makes it start over on fresh ports,
# up to 3 times. Sets TWO_NODES_CONF, TWO_NODES_URL, TWO_NODES_PIDS (a, b)
# and TWO_NODES_PORTS (a, b); logs go to DIR/a.log and DIR/b.log (the
# edge's address is an info line: CLUSTER_KEYS must not set log_level above
# info). Returns 1, saying why, when the cluster does not come up.
start_two_nodes() {
  local bin=$1 dir=$2 attempt pa pb p rc
  shift 2
  TWO_NODES_CONF=$dir/cluster.conf
  for attempt in 1 2 3; do
    reserve_port || return 1
    pa=$RESERVED_PORT
    reserve_port || return 1
    pb=$RESERVED_PORT
    TWO_NODES_PORTS=("$pa" "$pb")
    two_nodes_config "$pa" "$pb" 0 "${1:-}" "${2:-}" "${3:-}" >"$TWO_NODES_CONF"
    echo "---- start_two_nodes: attempt $attempt, ports $pa $pb" >>"$dir/a.log"
    echo "---- start_two_nodes: attempt $attempt, ports $pa $pb" >>"$dir/b.log"
    # What node a logs from now on (the log may hold earlier runs).
    local from_line
    from_line=$(wc -l <"$dir/a.log")
    "$bin" --config "$TWO_NODES_CONF" --node a >>"$dir/a.log" 2>&1 &
    TWO_NODES_PIDS=($!)
    "$bin" --config "$TWO_NODES_CONF" --node b >>"$dir/b.log" 2>&1 &
    TWO_NODES_PIDS+=($!)
    TWO_NODES_URL=
    local deadline=$((SECONDS + 30)) taken=0 gone=0
    while [ $SECONDS -lt $deadline ] && [ -z "$TWO_NODES_URL" ]; do
      TWO_NODES_URL=$(tail -n +"$from_line" "$dir/a.log" | grep -o 'serving http://[^ ]*/mcp' | head -n 1 | cut -d' ' -f2 || true)
      for p in "${TWO_NODES_PIDS[@]}"; do
        if ! kill -0 "$p" 2>/dev/null; then
          rc=0
          wait "$p" 2>/dev/null || rc=$?
          gone=1
          [ "$rc" != 3 ] || taken=1
        fi
      done
      [ "$gone" = 0 ] || break
      [ -n "$TWO_NODES_URL" ] || sleep 0.05
    done
    [ "$gone" = 0 ] && [ -n "$TWO_NODES_URL" ] && return 0
    for p in "${TWO_NODES_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait "${TWO_NODES_PIDS[@]}" 2>/dev/null || true
    if [ "$taken" = 1 ]; then
      echo "start_two_nodes: a node's port was taken; starting over on fresh ports" >&2
      continue
    fi
    echo "start_two_nodes: the edge did not come up within 30 s (logs: $dir/a.log, $dir/b.log)" >&2
    return 1
  done
  echo "start_two_nodes: ports were taken 3 times in a row (logs: $dir/a.log, $dir/b.log)" >&2
  return 1
}

# fixtures_listed URL [CURL_ARGS...]: whether a fresh session at URL lists
# the fixtures of node b (they appear once b is up and the edge has described
# them); CURL_ARGS go with every request (an Authorization header).
fixtures_listed() {
  local url=$1 sid listed=1
  shift
  sid=$(curl -s "$@" -D - -o /dev/null -X POST "$url" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"harness","version":"1"}}}' 2>/dev/null |
    tr -d '\r' | awk 'tolower($1)=="mcp-session-id:"{print $2}' || true)
  [ -n "$sid" ] || return 1
  curl -s "$@" -X POST "$url" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
    -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' 2>/dev/null |
    grep -q test_simple_text && listed=0
  curl -s "$@" -o /dev/null -X DELETE "$url" -H "Mcp-Session-Id: $sid" 2>/dev/null || true
  return $listed
}

# wait_fixtures URL SECONDS [CURL_ARGS...]: waits until fixtures_listed.
wait_fixtures() {
  local url=$1 max=$2 deadline=$((SECONDS + $2))
  shift 2
  while [ $SECONDS -lt $deadline ]; do
    fixtures_listed "$url" "$@" && return 0
    sleep 0.1
  done
  echo "wait_fixtures: $url does not list the fixtures of node b after $max s" >&2
  return 1
}
