#!/usr/bin/env bash
# The official TypeScript SDK client against the edge, over Streamable HTTP
# and over stdio (`sophia-node --stdio`, which reaches the cluster from
# outside): list tools, call tools, progress, cancellation, resources.
. "$(dirname "$0")/lib.sh"
start_cluster
CLIENT="$SOPHIA_SOURCE_DIR/tests/integration/mcp/sdk_client.mjs"
if "$SOPHIA_NODE22" "$CLIENT" --http "$URL" >"$WORK/sdk-http.out" 2>&1; then
  ok "SDK client over Streamable HTTP"; else fail "SDK client over Streamable HTTP"; fi
sed 's/^/  http: /' "$WORK/sdk-http.out"
if "$SOPHIA_NODE22" "$CLIENT" --stdio -- "$SOPHIA_BIN_DIR/sophia-node" --stdio --config "$CONF" \
     >"$WORK/sdk-stdio.out" 2>"$WORK/stdio.log"; then
  ok "SDK client over stdio"; else fail "SDK client over stdio"; fi
sed 's/^/  stdio: /' "$WORK/sdk-stdio.out"
finish
