#!/usr/bin/env bash
# An Airbyte source for the tests, in bash only: stream `counter` (or
# config `stream`) with
# records {id, label} for ids 1..total, resumable from a STATE {cursor}.
#
#   counter_source.sh spec
#   counter_source.sh check --config C
#   counter_source.sh discover --config C
#   counter_source.sh read --config C --catalog CAT [--state S]
#
# Config (flat JSON; integers and booleans):
#   total        ids to emit at most (default 10)
#   total_file   a file holding `total` instead (the test grows it)
#   state_every  a STATE after every this many records (default 5), and at
#                the end
#   fail         check reports FAILED with `message` (default false)
#   fail_after   read exits 3 after emitting this id, saying why on stderr
#   hang_after   read sleeps for ever after emitting this id
#   log_file     each read appends "read cursor=N" (or "none") here
#   stream       the stream's name (default counter)
set -u

verb=${1:-}
shift || true
config= catalog= state=
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --catalog) catalog=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    *) echo "counter: unknown argument $1" >&2; exit 2 ;;
  esac
done

# The value of a flat JSON key: number, boolean or string.
value() {
  [ -n "$config" ] || return 0
  sed -n -e "s/.*\"$1\":\([0-9a-z][0-9a-z]*\).*/\1/p" \
         -e "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$config" | head -n 1
}

emit_status() {
  printf '{"type":"CONNECTION_STATUS","connectionStatus":{"status":"%s"%s}}\n' \
    "$1" "${2:+,\"message\":\"$2\"}"
}

stream=$(value stream); stream=${stream:-counter}
schema='{"type":"object","properties":{"id":{"type":"integer"},"label":{"type":"string"}}}'

case "$verb" in
  spec)
    echo '{"type":"SPEC","spec":{"connectionSpecification":{"type":"object","properties":{"total":{"type":"integer"}}}}}'
    ;;
  check)
    [ -r "$config" ] || { echo "counter: cannot read --config" >&2; exit 2; }
    echo '{"type":"LOG","log":{"level":"INFO","message":"checking"}}'
    if [ "$(value fail)" = "true" ]; then
      emit_status FAILED "$(value message)"
    else
      emit_status SUCCEEDED
    fi
    ;;
  discover)
    [ -r "$config" ] || { echo "counter: cannot read --config" >&2; exit 2; }
    printf '{"type":"CATALOG","catalog":{"streams":[{"name":"%s","json_schema":%s,"supported_sync_modes":["full_refresh","incremental"],"source_defined_cursor":true,"default_cursor_field":["id"],"source_defined_primary_key":[["id"]]}]}}\n' "${stream}" "$schema"
    ;;
  read)
    [ -r "$config" ] || { echo "counter: cannot read --config" >&2; exit 2; }
    [ -r "$catalog" ] || { echo "counter: cannot read --catalog" >&2; exit 2; }
    total=$(value total); total=${total:-10}
    tf=$(value total_file)
    [ -n "$tf" ] && total=$(cat "$tf")
    every=$(value state_every); every=${every:-5}
    fail_after=$(value fail_after)
    hang_after=$(value hang_after)
    log=$(value log_file)
    cursor=0
    if [ -n "$state" ]; then
      c=$(grep -o '"cursor": *[0-9]*' "$state" | grep -o '[0-9]*$' | head -n 1)
      cursor=${c:-0}
    fi
    if [ -n "$log" ]; then
      if [ -n "$state" ]; then echo "read cursor=$cursor" >> "$log"
      else echo "read cursor=none" >> "$log"; fi
    fi
    echo '{"type":"LOG","log":{"level":"INFO","message":"reading"}}'
    state_msg() {
      printf '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"%s"},"stream_state":{"cursor":%d}}}}\n' "$stream" "$1"
    }
    id=$cursor
    while [ "$id" -lt "$total" ]; do
      id=$((id + 1))
      printf '{"type":"RECORD","record":{"stream":"%s","data":{"id":%d,"label":"n%d"},"emitted_at":1700000000000}}\n' "$stream" "$id" "$id"
      [ $((id % every)) -eq 0 ] && state_msg "$id"
      if [ -n "$fail_after" ] && [ "$id" -eq "$fail_after" ]; then
        echo "counter: lost the upstream connection after id $id" >&2
        exit 3
      fi
      if [ -n "$hang_after" ] && [ "$id" -eq "$hang_after" ]; then
        echo "counter: waiting for the upstream for ever" >&2
        sleep 100000
      fi
    done
    state_msg "$id"
    ;;
  *)
    echo "counter: unknown command '$verb' (spec, check, discover, read)" >&2
    exit 2
    ;;
esac
