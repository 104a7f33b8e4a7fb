#!/usr/bin/env bash
# bench_edge.sh: the MCP edge benchmark (`tools/sophia bench edge`).
#
# Drives, side by side and interleaved, two MCP servers over Streamable HTTP
# with sophia-mcp-load (keep-alive connections, tools/call back to back):
#   (a) the reference: @modelcontextprotocol/server-everything, started here
#       as `PORT=P node $SOPHIA_EVERYTHING streamableHttp`, tool `echo`;
#   (b) our edge: a 2-node cluster started here (edge on node a, the
#       conformance fixtures on node b), or one already running at
#       --sophia-url: a tool of the edge itself and a tool on another node.
# Modes: sequential (1 connection), 32 connections (closed loop) and, for
# ours, paced at --rate calls/s (open loop; p99 from the scheduled start).
# Each mode runs --rounds times, interleaved, and the table shows medians.
# Server CPU per call is utime+stime of the server pids (/proc/PID/stat)
# around the measured calls; RSS is VmRSS; after the rounds our edge takes
# --rss-calls more calls to show its RSS before and after.
#
# usage: bench_edge.sh [options]
#   --load-bin PATH          sophia-mcp-load (default $SOPHIA_MCP_LOAD, else
#                            $SOPHIA_BUILD_DIR/bin/sophia-mcp-load)
#   --out FILE               results as JSON (default $SOPHIA_BUILD_DIR/bench/edge.json)
#   --rounds N               repetitions of every mode (3)
#   --connections N          connections of the concurrent mode (32)
#   --no-ref                 skip the reference
#   --ref-url URL --ref-pid PID   use a running reference instead of starting one
#   --ref-tool NAME --ref-args JSON   (echo, {"message":"hi"})
#   --ref-calls N            sequential calls on the reference (2000)
#   --ref-conc-calls N       concurrent calls on the reference (4000)
#   --sophia-url URL         our edge's MCP endpoint (or $SOPHIA_EDGE_URL);
#                            without it a 2-node cluster is started here
#   --no-cluster             without --sophia-url: skip our edge
#   --sophia-pid PID[,PID..] processes counted as our server (or $SOPHIA_EDGE_PIDS;
#                            default: the process listening on the URL's port)
#   --sophia-tool NAME --sophia-args JSON        (sophia.echo, {"text":"hi"})
#   --sophia-remote-tool NAME --sophia-remote-args JSON
#                            a tool served by another node (test_simple_text, {});
#                            an empty NAME skips the cross-node rows
#   --sophia-calls N         sequential calls on ours (20000)
#   --sophia-conc-calls N    concurrent calls on ours (50000)
#   --rate R                 paced mode, calls/s (5000)
#   --paced-calls N          calls of the paced mode (25000)
#   --rss-calls N            calls of the final RSS run on ours (100000)
#   --quick                  small counts everywhere, for a smoke run
# Environment: SOPHIA_EVERYTHING (server-everything's dist/index.js; else from
# tools/npm-env, else the npm cache of tools/setup), SOPHIA_REF_NODE (the node
# that runs it, default `node`), SOPHIA_NPM_CACHE, SOPHIA_BUILD_DIR.
# Exit status: 0 when every run succeeded, 1 if any run had errors, 2 on a
# bad command line or a missing prerequisite.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${SOPHIA_BUILD_DIR:-$root/build}

die() { echo "bench edge: $*" >&2; exit 2; }
usage() { sed -n '17,45p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

load_bin=${SOPHIA_MCP_LOAD:-$build/bin/sophia-mcp-load}
out=$build/bench/edge.json
rounds=3
conns=32
use_ref=1
ref_url=
ref_pid=
ref_tool='echo'
ref_args='{"message":"hi"}'
ref_calls=2000
ref_conc_calls=4000
sophia_url=${SOPHIA_EDGE_URL:-}
own_cluster=1
sophia_pids=${SOPHIA_EDGE_PIDS:-}
sophia_tool=sophia.echo
sophia_args='{"text":"hi"}'
sophia_remote_tool=test_simple_text
sophia_remote_args='{}'
sophia_calls=20000
sophia_conc_calls=50000
rate=5000
paced_calls=25000
rss_calls=100000

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "bad value for $1: '$2' (expected a positive integer)"; }
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --no-ref) use_ref=0; shift; continue ;;
    --no-cluster) own_cluster=0; shift; continue ;;
    --quick)
      rounds=1 ref_calls=200 ref_conc_calls=400 sophia_calls=2000
      sophia_conc_calls=5000 paced_calls=5000 rss_calls=10000
      shift; continue ;;
  esac
  case $opt in
    --load-bin|--out|--rounds|--connections|--ref-url|--ref-pid|--ref-tool|--ref-args|\
    --ref-calls|--ref-conc-calls|--sophia-url|--sophia-pid|--sophia-tool|--sophia-args|\
    --sophia-remote-tool|--sophia-remote-args|--sophia-calls|--sophia-conc-calls|--rate|\
    --paced-calls|--rss-calls) ;;
    *) die "unknown option '$opt' (see --help)" ;;
  esac
  [ $# -ge 2 ] || die "option $opt needs a value"
  val=$2
  case $opt in
    --load-bin) load_bin=$val ;;
    --out) out=$val ;;
    --rounds) posint "$opt" "$val"; rounds=$val ;;
    --connections) posint "$opt" "$val"; conns=$val ;;
    --ref-url) ref_url=$val ;;
    --ref-pid) posint "$opt" "$val"; ref_pid=$val ;;
    --ref-tool) ref_tool=$val ;;
    --ref-args) ref_args=$val ;;
    --ref-calls) posint "$opt" "$val"; ref_calls=$val ;;
    --ref-conc-calls) posint "$opt" "$val"; ref_conc_calls=$val ;;
    --sophia-url) sophia_url=$val ;;
    --sophia-pid) [[ $val =~ ^[0-9]+(,[0-9]+)*$ ]] || die "bad value for $opt: '$val' (expected PID[,PID...])"
                  sophia_pids=$val ;;
    --sophia-tool) sophia_tool=$val ;;
    --sophia-args) sophia_args=$val ;;
    --sophia-remote-tool) sophia_remote_tool=$val ;;
    --sophia-remote-args) sophia_remote_args=$val ;;
    --sophia-calls) posint "$opt" "$val"; sophia_calls=$val ;;
    --sophia-conc-calls) posint "$opt" "$val"; sophia_conc_calls=$val ;;
    --rate) [[ $val =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad value for $opt: '$val'"; rate=$val ;;
    --paced-calls) posint "$opt" "$val"; paced_calls=$val ;;
    --rss-calls) posint "$opt" "$val"; rss_calls=$val ;;
    *) die "unknown option '$opt' (see --help)" ;;
  esac
  shift 2
done

[ -x "$load_bin" ] || die "no load generator at $load_bin (build the sophia-mcp-load target, or pass --load-bin)"
command -v node >/dev/null || die "node is needed (run tools/setup)"
[ -z "$ref_url" ] || [ -n "$ref_pid" ] || die "--ref-url needs --ref-pid (the server whose CPU is measured)"
if [ -n "$sophia_url" ] && [ -z "$sophia_pids" ]; then
  # The process listening on the URL's port.
  port=$(echo "$sophia_url" | sed -nE 's#^http://(\[[^]]*\]|[^:/]*):([0-9]+).*#\2#p')
  [ -n "$port" ] || port=80
  sophia_pids=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  [ -n "$sophia_pids" ] || die "cannot tell which process serves $sophia_url: pass --sophia-pid PID[,PID]"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sophia-bench-edge.XXXXXX")
ref_started=
cluster_pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  for p in "${cluster_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "$ref_started" ] && kill -0 "$ref_started" 2>/dev/null; then
    kill -TERM "$ref_started" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$ref_started" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ref_started" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_mb() { awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo null; }

# -- the reference ----------------------------------------------------------------
if [ "$use_ref" = 1 ] && [ -z "$ref_url" ]; then
  if [ -z "${SOPHIA_EVERYTHING:-}" ] && [ -f "$root/tools/npm-env" ]; then
    # Sourced in a subshell: only the two paths come back.
    eval "$(bash -c '. "$1" >/dev/null 2>&1; declare -p SOPHIA_EVERYTHING 2>/dev/null' _ "$root/tools/npm-env" || true)"
  fi
  if [ -z "${SOPHIA_EVERYTHING:-}" ]; then
    guess=${SOPHIA_NPM_CACHE:-$HOME/.cache/sophia/npm}/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js
    [ -f "$guess" ] && SOPHIA_EVERYTHING=$guess
  fi
  [ -f "${SOPHIA_EVERYTHING:-}" ] ||
    die "server-everything not found: run tools/setup, or set SOPHIA_EVERYTHING to its dist/index.js (or pass --no-ref)"
  ref_node=${SOPHIA_REF_NODE:-node}
  # shellcheck source=../../integration/ports.sh
  . "$root/tests/integration/ports.sh"
  reserve_port || die "no free port for server-everything"
  ref_port=$RESERVED_PORT
  # exec: the pid is node's own, whose CPU and RSS are measured.
  (cd "$work" && PORT=$ref_port exec "$ref_node" "$SOPHIA_EVERYTHING" streamableHttp) >"$work/ref.log" 2>&1 &
  ref_started=$!
  ref_pid=$ref_started
  ref_url=http://127.0.0.1:$ref_port/mcp
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ref_port") 2>/dev/null && break
    kill -0 "$ref_pid" 2>/dev/null || { tail -20 "$work/ref.log" >&2; die "server-everything exited"; }
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$ref_port") 2>/dev/null || die "server-everything did not listen on $ref_port"
  echo "reference: server-everything ($SOPHIA_EVERYTHING) on node $("$ref_node" --version), pid $ref_pid, at $ref_url"
fi
[ "$use_ref" = 1 ] || ref_url=
# -- ours: a 2-node cluster of our own unless --sophia-url names one -----------
# Node a runs the edge, node b the conformance fixtures: sophia.echo runs in
# the edge itself, test_simple_text on the other node (cross-node cost).
node_bin=$(dirname "$load_bin")/sophia-node
if [ -z "$sophia_url" ] && [ "$own_cluster" = 1 ] && [ -x "$node_bin" ]; then
  # shellcheck source=../../integration/mcp/two_nodes.sh
  . "$root/tests/integration/mcp/two_nodes.sh"
  start_two_nodes "$node_bin" "$work" 'log_level = "info"' ||
    die "our 2-node cluster did not start (logs in $work)"
  cluster_pids=("${TWO_NODES_PIDS[@]}")
  sophia_url=$TWO_NODES_URL
  sophia_pids="${cluster_pids[0]},${cluster_pids[1]}"
  # Ready when the edge lists the fixtures of node b.
  wait_fixtures "$sophia_url" 30 || die "the edge never listed node b's fixtures"
  echo "sophia: started a 2-node cluster (edge on a, fixtures on b) in $work"
fi
if [ -z "$sophia_url" ]; then
  echo "sophia: no --sophia-url (or SOPHIA_EDGE_URL) given: our edge is skipped; only the reference runs"
else
  echo "sophia: $sophia_url, server pids $sophia_pids"
fi
[ -n "$ref_url" ] || [ -n "$sophia_url" ] || die "nothing to measure: neither a reference nor --sophia-url"

ref_rss_start=null sophia_rss_start=null
[ -z "$ref_url" ] || ref_rss_start=$(rss_mb "$ref_pid")
if [ -n "$sophia_url" ]; then
  sophia_rss_start=0
  for p in ${sophia_pids//,/ }; do sophia_rss_start=$(awk -v a="$sophia_rss_start" -v b="$(rss_mb "$p")" 'BEGIN{printf "%.1f", a+b}'); done
fi

# -- runs ---------------------------------------------------------------------
failed=0
n=0
# run TARGET MODE ROUND URL PIDS TOOL ARGS CONNS CALLS WARMUP [RATE]
run() {
  local target=$1 mode=$2 round=$3 url=$4 pids=$5 tool=$6 args=$7 c=$8 calls=$9 warm=${10} r=${11:-}
  n=$((n + 1))
  local file; file=$(printf '%s/run-%03d.json' "$work" "$n")
  local cmd=("$load_bin" --url "$url" --tool "$tool" --args "$args" --connections "$c"
             --calls "$calls" --warmup "$warm" --json "$file.tmp" --label "$target $mode")
  [ -z "$r" ] || cmd+=(--rate "$r")
  for p in ${pids//,/ }; do cmd+=(--server-pid "$p"); done
  local rc=0
  "${cmd[@]}" >"$work/last.out" 2>"$work/last.err" || rc=$?
  sed 's/^/  /' "$work/last.out"
  if [ $rc -ne 0 ]; then
    failed=1
    echo "  FAILED (exit $rc): $(head -c 2000 "$work/last.err")" >&2
  fi
  # Wrap the generator's JSON with what this script knows.
  node -e '
    const fs = require("fs");
    const [file, target, mode, round, rc, errfile] = process.argv.slice(1);
    let r = {};
    try { r = JSON.parse(fs.readFileSync(file + ".tmp", "utf8")); } catch (e) {}
    const err = fs.readFileSync(errfile, "utf8").trim();
    const { mode: loop, ...rest } = r;
    fs.writeFileSync(file, JSON.stringify({ target, mode, round: +round, exit_code: +rc,
      stderr: err || null, loop: loop ?? null, ...rest }));
  ' "$file" "$target" "$mode" "$round" "$rc" "$work/last.err"
}

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s)
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds"
  # Interleaved: each mode of each target once per round, targets alternating.
  [ -z "$ref_url" ] || run reference sequential "$round" "$ref_url" "$ref_pid" "$ref_tool" "$ref_args" 1 "$ref_calls" 100
  if [ -n "$sophia_url" ]; then
    run sophia sequential "$round" "$sophia_url" "$sophia_pids" "$sophia_tool" "$sophia_args" 1 "$sophia_calls" 1000
    [ -z "$sophia_remote_tool" ] ||
      run sophia-remote sequential "$round" "$sophia_url" "$sophia_pids" "$sophia_remote_tool" "$sophia_remote_args" 1 "$sophia_calls" 1000
  fi
  [ -z "$ref_url" ] || run reference "${conns}-conn" "$round" "$ref_url" "$ref_pid" "$ref_tool" "$ref_args" "$conns" "$ref_conc_calls" $((conns * 10))
  if [ -n "$sophia_url" ]; then
    run sophia "${conns}-conn" "$round" "$sophia_url" "$sophia_pids" "$sophia_tool" "$sophia_args" "$conns" "$sophia_conc_calls" $((conns * 100))
    [ -z "$sophia_remote_tool" ] ||
      run sophia-remote "${conns}-conn" "$round" "$sophia_url" "$sophia_pids" "$sophia_remote_tool" "$sophia_remote_args" "$conns" "$sophia_conc_calls" $((conns * 100))
    run sophia "paced" "$round" "$sophia_url" "$sophia_pids" "$sophia_tool" "$sophia_args" "$conns" "$paced_calls" 1000 "$rate"
    [ -z "$sophia_remote_tool" ] ||
      run sophia-remote "paced" "$round" "$sophia_url" "$sophia_pids" "$sophia_remote_tool" "$sophia_remote_args" "$conns" "$paced_calls" 1000 "$rate"
  fi
done
if [ -n "$sophia_url" ]; then
  echo "RSS run: $rss_calls calls on ours"
  run sophia "rss-${rss_calls}" 1 "$sophia_url" "$sophia_pids" "$sophia_tool" "$sophia_args" "$conns" "$rss_calls" 0
fi
ref_rss_end=null
[ -z "$ref_url" ] || ref_rss_end=$(rss_mb "$ref_pid")
secs=$(( $(date +%s) - t0 ))

# -- summary: medians, table, JSON ---------------------------------------------
mkdir -p "$(dirname "$out")"
ref_version=null
[ -z "${SOPHIA_EVERYTHING:-}" ] || ref_version=$(node -e 'try{console.log(JSON.stringify(require(process.argv[1]).version))}catch(e){console.log("null")}' \
  "$(dirname "$(dirname "$SOPHIA_EVERYTHING")")/package.json")
meta=$(node -e 'console.log(JSON.stringify({
  started_at: process.argv[1], seconds: +process.argv[2], rounds: +process.argv[3],
  machine: { nproc: require("os").cpus().length, cpu_model: (require("os").cpus()[0]||{}).model,
             kernel: require("os").release(), load1_at_start: +process.argv[4], load1_at_end: require("os").loadavg()[0] },
  git_commit: process.argv[5] || null,
  reference: process.argv[6] ? { url: process.argv[6], pid: +process.argv[7], node: process.argv[8] || null,
    server_everything_version: JSON.parse(process.argv[9]), rss_mb_at_start: JSON.parse(process.argv[10]),
    rss_mb_at_end: JSON.parse(process.argv[11]) } : null,
  sophia: process.argv[12] ? { url: process.argv[12], pids: process.argv[13].split(",").map(Number),
    rss_mb_at_start: JSON.parse(process.argv[14]) } : null,
}))' "$started_at" "$secs" "$rounds" "$load_start" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)" \
  "$ref_url" "${ref_pid:-0}" "$([ -z "$ref_url" ] || [ -z "${ref_node:-}" ] || "$ref_node" --version)" "$ref_version" \
  "$ref_rss_start" "$ref_rss_end" "$sophia_url" "$sophia_pids" "$sophia_rss_start")

node - "$work" "$out" "$meta" <<'JS'
const fs = require("fs");
const [dir, out, metaText] = process.argv.slice(2);
const meta = JSON.parse(metaText);
const runs = fs.readdirSync(dir).filter(f => /^run-\d+\.json$/.test(f)).sort()
  .map(f => JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8")));
const median = xs => {
  xs = xs.filter(x => typeof x === "number" && isFinite(x)).sort((a, b) => a - b);
  if (!xs.length) return null;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
};
const groups = new Map();
for (const r of runs) {
  const k = `${r.target}\u0000${r.mode}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const rows = [];
for (const rs of groups.values()) {
  const last = rs[rs.length - 1];
  rows.push({
    target: last.target, mode: last.mode, tool: last.tool ?? null, connections: last.connections ?? null,
    rate_target: last.rate_target ?? null, runs: rs.length,
    calls_per_run: last.calls ?? null,
    calls_per_s: median(rs.map(r => r.calls_per_s)),
    p50_us: median(rs.map(r => r.latency_us?.p50)),
    p90_us: median(rs.map(r => r.latency_us?.p90)),
    p99_us: median(rs.map(r => r.latency_us?.p99)),
    max_us: median(rs.map(r => r.latency_us?.max)),
    server_cpu_us_per_call: median(rs.map(r => r.server_cpu_us_per_call)),
    loadgen_cpu_us_per_call: median(rs.map(r => r.loadgen_cpu_us_per_call)),
    rss_mb_before: rs[0].server_rss_mb_before ?? null,
    rss_mb_after: last.server_rss_mb_after ?? null,
    errors: rs.reduce((a, r) => a + (r.errors ?? 0), 0),
    failed_runs: rs.filter(r => r.exit_code !== 0).length,
    first_error: (rs.find(r => r.first_error || r.stderr) || {}).first_error
      ?? (rs.find(r => r.stderr) || {}).stderr ?? null,
  });
}
const find = (t, m) => rows.find(r => r.target === t && r.mode === m);
const ref = find("reference", "sequential"), ours = find("sophia", "sequential");
const ratio = ref && ours && ref.calls_per_s && ours.calls_per_s ? ours.calls_per_s / ref.calls_per_s : null;

const f0 = x => x == null ? "-" : x.toFixed(0);
const f1 = x => x == null ? "-" : x.toFixed(1);
const ms = x => x == null ? "-" : x >= 10000 ? (x / 1000).toFixed(1) + " ms" : x.toFixed(0) + " us";
const rss = r => r.rss_mb_after == null ? "-" :
  (r.mode.startsWith("rss-") ? `${f1(r.rss_mb_before)} -> ${f1(r.rss_mb_after)}` : f1(r.rss_mb_after));
const m = meta.machine;
console.log(`\nMCP edge benchmark (${meta.started_at}) - ${m.nproc} cores, ${m.cpu_model}, load ${m.load1_at_start} ` +
  `at start and ${m.load1_at_end.toFixed(2)} at end, ${meta.seconds} s; medians of ${meta.rounds} interleaved round(s)`);
const hdr = ["target", "mode", "tool", "calls/s", "p50", "p99", "CPU us/call", "RSS MB", "gen us/call", "errors"];
const w = [14, 10, 18, 10, 10, 10, 11, 16, 11, 6];
const line = cells => "  " + cells.map((c, i) => i < 3 ? String(c).padEnd(w[i]) : String(c).padStart(w[i])).join(" ");
console.log(line(hdr));
for (const r of rows)
  console.log(line([r.target, r.mode, (r.tool ?? "-").slice(0, 18), f0(r.calls_per_s), ms(r.p50_us), ms(r.p99_us),
    f0(r.server_cpu_us_per_call), rss(r), f0(r.loadgen_cpu_us_per_call), r.errors + (r.failed_runs ? "!" : "")]));
console.log("  (paced rows: open loop at rate_target calls/s, latency from each call's scheduled start;" +
  " CPU = server utime+stime per call; gen = the load generator's own CPU per call)");
if (ratio != null)
  console.log(`\nsequential calls/s, ours / reference: ${ratio.toFixed(2)}x ` +
    `(${f0(ours.calls_per_s)} vs ${f0(ref.calls_per_s)})`);
for (const r of rows)
  if (r.first_error) console.log(`first error, ${r.target} ${r.mode}: ${String(r.first_error).slice(0, 500)}`);
const doc = { ...meta, ratio_sequential_ours_over_reference: ratio, summary: rows, runs };
fs.writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
console.log(`\nwrote ${out}`);
JS
exit $failed
