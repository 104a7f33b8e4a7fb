#!/usr/bin/env bash
# tools/sophia bench routing [--dataset FILE] [--models FILE] [--quick]: the
# router on real per-prompt outcomes (RouterBench by default, read by path
# from ../shared/reference/routing-data and never copied). Starts a 2-node
# cluster (node a: the edge; node b: ai_intelligence) and a stand-in
# OpenAI-compatible provider serving the dataset's models at their recorded
# costs; bench_routing.mjs drives the edge with the official SDK client.
# Writes the JSON report to --out (default build/bench/routing.json).
: "${SOPHIA_SOURCE_DIR:?}" "${SOPHIA_BIN_DIR:?}"
DATA_DIR="$SOPHIA_SOURCE_DIR/../shared/reference/routing-data"
DATASET="$DATA_DIR/routerbench_arc_wino_mbpp.jsonl"
MODELS="$DATA_DIR/models.json"
OUT=
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --dataset) DATASET=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quick) EXTRA+=(--quick); shift ;;
    --concurrency) EXTRA+=(--concurrency "$2"); shift 2 ;;
    *) echo "bench_routing: unknown argument $1 (--dataset F, --models F, --out F, --quick, --concurrency N)" >&2; exit 2 ;;
  esac
done
for f in "$DATASET" "$MODELS"; do
  if [ ! -f "$f" ]; then
    echo "bench_routing: skipped: $f is absent (the RouterBench reference lives in ../shared/reference/routing-data)" >&2
    exit 0
  fi
done
: "${OUT:=$SOPHIA_SOURCE_DIR/build/bench/routing.json}"
. "$SOPHIA_SOURCE_DIR/tests/integration/mcp/lib.sh"
mkfifo "$WORK/provider.in"
node "$SOPHIA_SOURCE_DIR/tests/perf/routing/routing_standin.mjs" --dataset "$DATASET" --models "$MODELS" \
  <"$WORK/provider.in" >"$WORK/provider.out" 2>"$WORK/provider.log" &
PIDS+=($!)
exec {PROVIDER_FD}>"$WORK/provider.in"
PROVIDER_URL=
for _ in $(seq 200); do
  PROVIDER_URL=$(grep -o 'http://[0-9.:]*' "$WORK/provider.out" 2>/dev/null | head -n 1 || true)
  [ -n "$PROVIDER_URL" ] && break
  sleep 0.05
done
[ -n "$PROVIDER_URL" ] || { fail "the stand-in provider did not start: $(cat "$WORK/provider.log")"; finish; }
export ROUTERBENCH_API_KEY=bench-key
export TWO_NODES_B_ROLES='["data_intelligence", "ai_intelligence"]'
start_cluster "
[services.routerbench]
kind = \"openai_compatible\"
api_key = \"env:ROUTERBENCH_API_KEY\"
base_url = \"$PROVIDER_URL/v1\"
max_concurrency = 64" || finish
mkdir -p "$(dirname "$OUT")"
# The decision alone at the issue's scale (300 models, 100k outcomes), first,
# on a quiet machine.
"$SOPHIA_BIN_DIR/sophia-bench-routing-decision" --out "$WORK/decision.json" ||
  fail "sophia-bench-routing-decision"
"$SOPHIA_NODE22" "$SOPHIA_SOURCE_DIR/tests/perf/routing/bench_routing.mjs" --url "$URL" \
  --service routerbench --dataset "$DATASET" --models "$MODELS" --out "$OUT" \
  --decision-json "$WORK/decision.json" "${EXTRA[@]}" ||
  fail "bench_routing.mjs"
finish
