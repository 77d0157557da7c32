#!/usr/bin/env bash
# A quick A/B of the hot path, for development (not the benchmark suite: bench/run.sh).
#
#   bench/quick.sh [BINARY]            # default target/release/sesame
#
# Starts BINARY on a fresh data dir with the bench's SP and user, then runs the hot path
# (loadgen run) at QUICK_LEVELS (default 1,16) for QUICK_SECONDS (5) each and prints the
# records. QUICK_CALLGRIND=1 runs the server under valgrind --tool=callgrind instead
# (instruction counts are repeatable on a loaded machine: divide by the responses) and
# prints the inclusive summary of Sesame's functions; QUICK_PERF=1 records a perf
# cpu-clock profile of the native server during the run (use one level). QUICK_ENV adds environment
# variables for the server; QUICK_COLD=1 adds 30 cold sign-ins and the idle memory after (e.g. QUICK_ENV="SESAME_BENCH_SIGNIN_LOG=off").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/release/sesame}"
W="${QUICK_WORK:-/tmp/sesame-quick}"
PORT="${QUICK_PORT:-18090}"
LEVELS="${QUICK_LEVELS:-1,16}"
SECS="${QUICK_SECONDS:-5}"
LOADGEN="$ROOT/target/bench-loadgen/release/loadgen"
USER_UPN="B.Simon@contoso.com"
PASSWORD="Demo-Password-42"
SP_ENTITY="https://sp.bench.test/entity"
SP_ACS="https://sp.bench.test/acs"
rm -rf "$W"
mkdir -p "$W"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

PRE=()
WARM=1
if [ "${QUICK_CALLGRIND:-0}" = 1 ]; then
    PRE=(valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out")
    WARM=0 # every response is counted: instructions ÷ responses is the figure
fi
# shellcheck disable=SC2086
# The load comes from one address: the per-address rate limit of the SSO pages is off.
env SESAME_DEMO_PASSWORD="$PASSWORD" SESAME_ADMIN_PASSWORD="Bench-Admin-Password-42" \
    SESAME_SSO_RATE_LIMIT=off ${QUICK_ENV:-} \
    "${PRE[@]}" "$BIN" --data-dir "$W/data" serve --demo --listen "127.0.0.1:$PORT" \
    --public-url "http://127.0.0.1:$PORT" > "$W/out" 2> "$W/err" &
PID=$!
for _ in $(seq 1 1200); do
    grep -q '^sesame: Login URL ' "$W/out" 2>/dev/null && break
    sleep 0.1
done
TENANT="$(grep '^sesame: Login URL ' "$W/out" | sed -E 's#.*/([^/]+)/saml2$#\1#')"
cli() { "$BIN" --data-dir "$W/data" "$@"; }
APP="$(cli app add --custom --name "Bench SP" --identifier "$SP_ENTITY" --reply-url "$SP_ACS" \
    | grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1)"
cli app assign "$APP" --user "$USER_UPN" > /dev/null
cli app cert "$APP" --pem > "$W/cert.pem"
sleep 1.5
PERF_PID=""
if [ "${QUICK_PERF:-0}" = 1 ]; then
    # The native profile, kernel included (cpu-clock: no hardware counters in this VM).
    (sleep 1; exec perf record -e cpu-clock -F 999 -g -p "$PID" -o "$W/perf.data" -- sleep "$((SECS - 1))") \
        > /dev/null 2>&1 &
    PERF_PID=$!
fi
"$LOADGEN" run --label "${QUICK_LABEL:-quick}" --sso-url "http://127.0.0.1:$PORT/$TENANT/saml2" \
    --cert "$W/cert.pem" --user "$USER_UPN" --password "$PASSWORD" --sp-entity "$SP_ENTITY" \
    --acs "$SP_ACS" --out "$W/results.jsonl" --levels "$LEVELS" --seconds "$SECS" --warmup "$WARM" \
    --pid "$PID"
if [ "${QUICK_COLD:-0}" = 1 ]; then
    # 30 cold sign-ins (Argon2id), then the idle memory.
    "$LOADGEN" run --label quick --workload cold --sso-url "http://127.0.0.1:$PORT/$TENANT/saml2" \
        --cert "$W/cert.pem" --user "$USER_UPN" --password "$PASSWORD" --sp-entity "$SP_ENTITY" \
        --acs "$SP_ACS" --out "$W/results.jsonl" --iterations 30 --pid "$PID"
    sleep 2
    "$LOADGEN" mem --label "after 30 cold sign-ins" --pid "$PID" --out "$W/results.jsonl"
fi
[ -n "$PERF_PID" ] && wait "$PERF_PID"
kill -TERM "$PID"
wait "$PID" || true
if [ "${QUICK_PERF:-0}" = 1 ]; then
    perf report -i "$W/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
    perf report -i "$W/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
fi
PID=""
if [ "${QUICK_CALLGRIND:-0}" = 1 ]; then
    callgrind_annotate --inclusive=yes --threshold=100 "$W/callgrind.out" > "$W/callgrind.txt" 2>/dev/null || true
    grep -m1 'PROGRAM TOTALS' "$W/callgrind.txt" || true
    grep -E 'sesame::|sqlx|sqlite3_step|sesame_saml::(messages::response::build_response|crypto::SigningKey::sign|bindings)|tokio::runtime::task|hyper::' \
        "$W/callgrind.txt" | grep -v "'2 " | head -40 || true
fi
echo "records: $W/results.jsonl"
