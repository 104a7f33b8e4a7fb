# shellcheck shell=bash
# Sourced: starts tests/standins/standin.mjs on a loopback port the kernel
# picks and sets STANDIN_URL; the stand-in ends with the shell (it watches
# its stdin, a pipe this shell holds open) and with cleanup's kill -9.

# start_standin DIR: logs to DIR/standin.log. Returns 1 when it does not come up.
start_standin() {
  local dir=$1 deadline=$((SECONDS + 20))
  mkfifo "$dir/standin.in"
  node "$SOPHIA_SOURCE_DIR/tests/standins/standin.mjs" --port 0 --exit-with-stdin \
    <"$dir/standin.in" >"$dir/standin.out" 2>"$dir/standin.log" &
  STANDIN_PID=$!
  # Hold the stand-in's stdin open for as long as this shell lives.
  exec {STANDIN_FD}>"$dir/standin.in"
  STANDIN_URL=
  while [ $SECONDS -lt $deadline ] && [ -z "$STANDIN_URL" ]; do
    STANDIN_URL=$(grep -o 'http://[0-9.:]*' "$dir/standin.out" 2>/dev/null | head -n 1 || true)
    kill -0 "$STANDIN_PID" 2>/dev/null || break
    [ -n "$STANDIN_URL" ] || sleep 0.05
  done
  if [ -z "$STANDIN_URL" ]; then
    echo "start_standin: the stand-in did not start: $(cat "$dir/standin.log")" >&2
    return 1
  fi
}

# standin_chat_toml URL: OpenRouter and Together AI on the stand-in (keys in
# OPENROUTER_API_KEY and TOGETHER_API_KEY), Together AI's table last so that
# the caller may add keys to it.
standin_chat_toml() {
  cat <<TOML

[services.openrouter]
api_key = "env:OPENROUTER_API_KEY"
base_url = "$1/openrouter/api/v1"

[services.together_ai]
api_key = "env:TOGETHER_API_KEY"
base_url = "$1/together_ai/v1"
TOML
}

# standin_services_toml URL: [services.NAME] of every stand-in service.
standin_services_toml() {
  standin_chat_toml "$1"
  cat <<TOML

[services.portkey]
api_key = "env:PORTKEY_API_KEY"
base_url = "$1/portkey/v1"
provider = "openai"

[services.huggingface]
api_key = "env:HF_TOKEN"
base_url = "$1/huggingface"

[services.vllm]
kind = "openai_compatible"
api_key = "env:VLLM_API_KEY"
base_url = "$1/openai_compatible/v1"
TOML
}
