#!/usr/bin/env bash
# Fuzz the live gateway from its OpenAPI document with schemathesis: no request may get a 5xx.
#
#   bench/fuzz_api.sh [seconds per run, default 120]
#
# Starts `python -m gateway serve` (embedded, SQLite in a throwaway var dir) on port 8123, runs schemathesis with
# a supervisor key, with a wrong key and with none, and prints any 500s the server logged. The short in-process
# run in the test suite is tests/gateway/test_openapi_fuzz.py; this one goes wider (coverage phase: boundary
# values such as case ids beyond 64 bits) and longer. Needs `pip install schemathesis` (requirements-dev.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ST=${ST:-.venv/bin/schemathesis}
SECONDS_PER_RUN=${1:-120}
PORT=${PORT:-8123}
VAR=$(mktemp -d)
LOG="$VAR/serve.log"

GATEWAY_VAR_DIR="$VAR" GATEWAY_API_KEYS=app:k1,ops:k2:operator,lead:k3:supervisor GATEWAY_WEBHOOK_SECRETS=110:s \
  DOWNSTREAM_SECRET=d WECHAT_TOKEN=t "$PY" -m gateway serve --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT

run() {
  "$ST" run "http://127.0.0.1:$PORT/openapi.json" --wait-for-schema 30 --checks not_a_server_error \
    --max-examples 100 --max-time "$SECONDS_PER_RUN" --request-timeout 10 --seed 1 --workers 4 "$@" || status=1
}
status=0
run -H "Authorization: Bearer k3"
run -H "Authorization: Bearer wrong-key"
run
# Conformance (status codes, content types, Allow on 405 …) as a report, not a gate.
"$ST" run "http://127.0.0.1:$PORT/openapi.json" --checks all --max-examples 30 --max-time "$SECONDS_PER_RUN" \
  --seed 2 -H "Authorization: Bearer k3" || true

if grep -q "Traceback" "$LOG"; then
  echo "server errors logged:"; grep -A40 "Traceback" "$LOG" | grep -E "^[A-Za-z.]*(Error|Exception)" | sort | uniq -c
  status=1
fi
exit $status
