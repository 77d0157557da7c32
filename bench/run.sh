#!/usr/bin/env bash
# Sesame's benchmark suite: ONE command, never run in CI.
#
#   bench/run.sh
#
# Builds the release binaries (sesame, bench/loadgen), installs and configures the peer
# IdPs (bench/peers/setup.sh: SimpleSAMLphp behind nginx + php-fpm, pysaml2 under
# gunicorn), then on 127.0.0.1 only:
#   1. openssl speed -seconds 5 -multi 1|2 rsa2048 (the signing limit, same run);
#   2. the hot path (SP-initiated SSO by HTTP-Redirect, one signed-in session, fresh
#      AuthnRequests) at concurrency 1, 4, 16, 64, interleaved: Sesame, SimpleSAMLphp,
#      pysaml2, Sesame again;
#   3. Sesame's IdP-initiated launch, App Federation Metadata URL, cold sign-in;
#   4. the hot path with sign-in logging off (SESAME_BENCH_SIGNIN_LOG=off), and on
#      without the SAML messages in the rows (=nomessages);
#   5. a callgrind profile of the hot path (short load);
#   6. scale: 1,000,000 users and 10,000 groups bulk-loaded; the hot path again (same
#      configuration), then with the user in 200 groups (group claims off, then on:
#      overage), idle and c64 memory;
# and writes bench/results/RESULTS.md (+ results.jsonl, profile.txt).
#
# Knobs (env): BENCH_SECONDS (8, measured seconds per level), BENCH_WARMUP (2),
# BENCH_LEVELS (1,4,16,64), BENCH_USERS (1000000), BENCH_GROUPS (10000),
# BENCH_PEERS (1; 0 skips the peers), BENCH_PROFILE (1; 0 skips callgrind),
# BENCH_SCALE (1; 0 skips the 1M-user phase), BENCH_WORK (/tmp/sesame-bench).
# A full run takes about 8 minutes on 2 cores with warm build caches (≤ 30 min; the first
# one also builds sesame in release, ≈ 12 min, and installs the peers, ≈ 2 min).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
W="${BENCH_WORK:-/tmp/sesame-bench}"
SECONDS_PER_LEVEL="${BENCH_SECONDS:-8}"
WARMUP="${BENCH_WARMUP:-2}"
LEVELS="${BENCH_LEVELS:-1,4,16,64}"
USERS="${BENCH_USERS:-1000000}"
GROUPS_N="${BENCH_GROUPS:-10000}"
PEERS="${BENCH_PEERS:-1}"
PROFILE="${BENCH_PROFILE:-1}"
SCALE="${BENCH_SCALE:-1}"
SESAME_PORT="${SESAME_PORT:-18080}"
export SSP_PORT="${SSP_PORT:-18081}"
export PYSAML2_PORT="${PYSAML2_PORT:-18082}"
export BENCH_WORK="$W"
export BENCH_USER="B.Simon@contoso.com"
export BENCH_PASSWORD="Demo-Password-42"
export SP_ENTITY="https://sp.bench.test/entity"
export SP_ACS="https://sp.bench.test/acs"
OUTDIR="$ROOT/bench/results"
RESULTS="$OUTDIR/results.jsonl"
SESAME="$ROOT/target/release/sesame"
LOADGEN="$ROOT/target/bench-loadgen/release/loadgen"
START=$(date +%s)

log() { echo "bench [$(( $(date +%s) - START ))s]: $*" >&2; }

# Every process this script starts is recorded here and stopped at exit, by PID.
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    sleep 0.5
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_http() { # url, tries of 0.1 s
    local i
    for ((i = 0; i < ${2:-300}; i++)); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        sleep 0.1
    done
    echo "not answering: $1" >&2
    return 1
}

# ---- build ---------------------------------------------------------------------------
log "building release binaries"
cargo build --release -q -p sesame --bin sesame
(cd bench/loadgen && CARGO_TARGET_DIR="$ROOT/target/bench-loadgen" cargo build --release -q)

mkdir -p "$W" "$OUTDIR"
: > "$RESULTS"

# ---- Sesame --------------------------------------------------------------------------
SDIR="$W/sesame-data"
SESAME_PID=""
TENANT=""
start_sesame() { # [valgrind args…]: starts on $SDIR, sets SESAME_PID and TENANT
    port_free "$SESAME_PORT" || { echo "port $SESAME_PORT is busy" >&2; exit 1; }
    local out="$W/sesame.out"
    : > "$out"
    # The load comes from one address: the per-address rate limit of the SSO pages is off.
    SESAME_DEMO_PASSWORD="$BENCH_PASSWORD" SESAME_ADMIN_PASSWORD="Bench-Admin-Password-42" \
        SESAME_SSO_RATE_LIMIT=off "$@" "$SESAME" --data-dir "$SDIR" serve --demo \
        --listen "127.0.0.1:$SESAME_PORT" --public-url "http://127.0.0.1:$SESAME_PORT" \
        > "$out" 2> "$W/sesame.err" &
    SESAME_PID=$!
    PIDS+=("$SESAME_PID")
    local i
    for ((i = 0; i < 1200; i++)); do
        if grep -q '^sesame: Login URL ' "$out"; then break; fi
        kill -0 "$SESAME_PID" 2>/dev/null || { cat "$W/sesame.err" >&2; exit 1; }
        sleep 0.1
    done
    TENANT="$(grep '^sesame: Login URL ' "$out" | sed -E 's#.*/([^/]+)/saml2$#\1#')"
    wait_http "http://127.0.0.1:$SESAME_PORT/healthz" 1200
    sleep 1 # let it settle before reading its idle memory
}
stop_sesame() {
    kill -TERM "$SESAME_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 600; i++)); do
        kill -0 "$SESAME_PID" 2>/dev/null || break
        sleep 0.1
    done
}
cli() { "$SESAME" --data-dir "$SDIR" "$@"; }

rm -rf "$SDIR"
start_sesame
log "Sesame pid $SESAME_PID, tenant $TENANT"
APP="$(cli app add --custom --name "Bench SP" --identifier "$SP_ENTITY" --reply-url "$SP_ACS" \
    | grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1)"
cli app assign "$APP" --user "$BENCH_USER" > /dev/null
cli app cert "$APP" --pem > "$W/sesame-cert.pem"
sleep 1.5 # the server sees configuration changes within a second
SSO_URL="http://127.0.0.1:$SESAME_PORT/$TENANT/saml2"
COMMON=(--cert "$W/sesame-cert.pem" --user "$BENCH_USER" --password "$BENCH_PASSWORD"
    --sp-entity "$SP_ENTITY" --acs "$SP_ACS")
LOAD=(--levels "$LEVELS" --seconds "$SECONDS_PER_LEVEL" --warmup "$WARMUP")
"$LOADGEN" mem --label "sesame (1 app, 2 users)" --pid "$SESAME_PID" --out "$RESULTS" \
    --note "fresh start, before any request"

sesame_hot() { # label [note]
    # The cores' speed changes on a shared machine: measure one signature again, just
    # before the pass (the report divides by this one).
    "$LOADGEN" openssl --seconds 3 --multi 1 --out "$RESULTS"
    "$LOADGEN" run --label "$1" --sso-url "$SSO_URL" "${COMMON[@]}" --out "$RESULTS" "${LOAD[@]}" \
        --pid "$SESAME_PID" --note "${2:-}"
}

# ---- the signing limit ---------------------------------------------------------------
log "openssl speed rsa2048 (-multi 1, -multi 2)"
"$LOADGEN" openssl --seconds 5 --multi 1 --out "$RESULTS"
"$LOADGEN" openssl --seconds 5 --multi 2 --out "$RESULTS"

# ---- peers ---------------------------------------------------------------------------
SSP_PIDS=()
PY_PIDS=()
if [ "$PEERS" = 1 ]; then
    log "setting up the peers"
    bench/peers/setup.sh
    S="$W/ssp"
    port_free "$SSP_PORT" || { echo "port $SSP_PORT is busy" >&2; exit 1; }
    port_free "$PYSAML2_PORT" || { echo "port $PYSAML2_PORT is busy" >&2; exit 1; }
    rm -f "$S"/sessions/sess_*
    php-fpm8.2 -R -F -y "$S/php-fpm.conf" -d opcache.enable=1 -d opcache.validate_timestamps=0 \
        > "$S/log/fpm.out" 2>&1 &
    SSP_PIDS+=($!)
    nginx -c "$S/nginx.conf" > "$S/log/nginx.out" 2>&1 &
    SSP_PIDS+=($!)
    PIDS+=("${SSP_PIDS[@]}")
    P="$W/pysaml2"
    (cd "$P" && BENCH_IDP_BASE="http://127.0.0.1:$PYSAML2_PORT" BENCH_IDP_DIR="$P" \
        BENCH_IDP_SECRET="$(cat "$P/secret")" BENCH_IDP_USER="$BENCH_USER" \
        BENCH_IDP_PASSWORD="$BENCH_PASSWORD" PYTHONWARNINGS=ignore \
        exec "$W/venv/bin/gunicorn" -w 5 -b "127.0.0.1:$PYSAML2_PORT" pysaml2_idp:app \
        > "$P/gunicorn.log" 2>&1) &
    PY_PIDS+=($!)
    PIDS+=("${PY_PIDS[@]}")
    wait_http "http://127.0.0.1:$SSP_PORT/simplesaml/saml2/idp/metadata.php"
    wait_http "http://127.0.0.1:$PYSAML2_PORT/"
    "$LOADGEN" mem --label "SimpleSAMLphp (nginx + 5 php-fpm)" --pid "${SSP_PIDS[0]}" \
        --pid "${SSP_PIDS[1]}" --out "$RESULTS" --note "before any request"
    "$LOADGEN" mem --label "pysaml2 (gunicorn, 5 workers)" --pid "${PY_PIDS[0]}" \
        --out "$RESULTS" --note "before any request"
fi

# ---- the hot path, interleaved --------------------------------------------------------
log "hot path: Sesame"
sesame_hot sesame "sign-in logging on"
if [ "$PEERS" = 1 ]; then
    log "hot path: SimpleSAMLphp"
    "$LOADGEN" run --label ssp --sso-url "http://127.0.0.1:$SSP_PORT/simplesaml/saml2/idp/SSOService.php" \
        --cert "$W/ssp/cert/cert.pem" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
        --sp-entity "$SP_ENTITY" --acs "$SP_ACS" --out "$RESULTS" "${LOAD[@]}" \
        --pid "${SSP_PIDS[0]}" --pid "${SSP_PIDS[1]}"
    log "hot path: pysaml2"
    "$LOADGEN" run --label pysaml2 --sso-url "http://127.0.0.1:$PYSAML2_PORT/sso/redirect" \
        --cert "$W/pysaml2/cert.pem" --user "$BENCH_USER" --password "$BENCH_PASSWORD" \
        --sp-entity "$SP_ENTITY" --acs "$SP_ACS" --out "$RESULTS" "${LOAD[@]}" \
        --pid "${PY_PIDS[0]}"
fi
log "hot path: Sesame again"
sesame_hot "sesame#2" "sign-in logging on"

# ---- other endpoints -----------------------------------------------------------------
log "IdP-initiated launch, metadata, cold sign-in"
"$LOADGEN" run --label sesame --workload launch --sso-url "$SSO_URL" "${COMMON[@]}" --out "$RESULTS" \
    --url "http://127.0.0.1:$SESAME_PORT/$TENANT/apps/$APP/launch?mode=idp" \
    --levels 1,16 --seconds "$SECONDS_PER_LEVEL" --warmup "$WARMUP" --pid "$SESAME_PID"
"$LOADGEN" run --label sesame --workload metadata --sso-url "$SSO_URL" "${COMMON[@]}" --out "$RESULTS" \
    --url "http://127.0.0.1:$SESAME_PORT/$TENANT/federationmetadata/2007-06/federationmetadata.xml?appid=$APP" \
    --levels 1,16 --seconds "$SECONDS_PER_LEVEL" --warmup "$WARMUP" --pid "$SESAME_PID"
"$LOADGEN" run --label sesame --workload cold --sso-url "$SSO_URL" "${COMMON[@]}" --out "$RESULTS" \
    --iterations 30 --pid "$SESAME_PID" \
    --note "Argon2id m=19456 KiB, t=2, p=1 (crates/sesame/src/directory/password.rs); p50/p99 of the password POST to the SAML Response; CPU per whole sign-in"
sleep 2
"$LOADGEN" mem --label "sesame after 30 cold sign-ins" --pid "$SESAME_PID" --out "$RESULTS" \
    --note "idle again, 2 s after the cold sign-ins (Argon2id blocks of 19 MiB each)"

# ---- sign-in logging off -------------------------------------------------------------
log "hot path: Sesame with sign-in logging off"
stop_sesame
start_sesame env SESAME_BENCH_SIGNIN_LOG=off
"$LOADGEN" mem --label "sesame (restart, 1 app, 2 users)" --pid "$SESAME_PID" --out "$RESULTS" \
    --note "restart on the same store, before any request"
sesame_hot sesame-nolog "SESAME_BENCH_SIGNIN_LOG=off"
stop_sesame
# Logging on, but rows without their SAML messages: what keeping them costs.
log "hot path: Sesame with sign-in logging on, without the SAML messages in the rows"
start_sesame env SESAME_BENCH_SIGNIN_LOG=nomessages
sesame_hot sesame-nomsg "SESAME_BENCH_SIGNIN_LOG=nomessages"
stop_sesame

# ---- profile -------------------------------------------------------------------------
# callgrind (instructions, user space only; AWS-LC sees no AVX-512 under valgrind, so its
# RSA code path and share differ from a native run) and, where perf can sample the
# software clock (no hardware counters in this VM), a perf cpu-clock profile of the native
# server, kernel included: the one that shows where the CPU time goes.
PROFILE_TXT="$OUTDIR/profile.txt"
# The summaries below cut reports short with head: no pipefail (SIGPIPE) there.
set +o pipefail
PROFILE_SECONDS="${BENCH_PROFILE_SECONDS:-20}"
if [ "$PROFILE" = 1 ]; then
    : > "$PROFILE_TXT"
    if command -v perf > /dev/null && perf record -e cpu-clock -o "$W/perf-check.data" -- true > /dev/null 2>&1; then
        log "perf cpu-clock profile of the hot path (concurrency 16, ${PROFILE_SECONDS} s)"
        start_sesame
        "$LOADGEN" run --label perf --sso-url "$SSO_URL" "${COMMON[@]}" --out "$W/perf.jsonl" \
            --levels 16 --seconds $((PROFILE_SECONDS + 4)) --warmup 0 --pid "$SESAME_PID" &
        LG=$!
        sleep 2
        perf record -e cpu-clock -F 1999 -g -p "$SESAME_PID" -o "$W/perf.data" -- sleep "$PROFILE_SECONDS" > /dev/null 2>&1
        wait "$LG"
        stop_sesame
        {
            echo "== perf record -e cpu-clock -F 1999 -g: 'sesame serve' (release) under SP-initiated SSO at concurrency 16, ${PROFILE_SECONDS} s"
            echo
            echo "-- by thread --"
            perf report -i "$W/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
            echo
            echo "-- by object (kernel = system calls, futex wake-ups, context switches) --"
            perf report -i "$W/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
            echo
            echo "-- top functions (self time) --"
            perf report -i "$W/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
            echo
            echo "-- where the kernel's context-switch time comes from (callers) --"
            perf report -i "$W/perf.data" --stdio --no-children --sort sym -g caller,2,callee \
                --symbol-filter=finish_task_switch 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
            echo
        } >> "$PROFILE_TXT"
    fi
    if command -v valgrind > /dev/null; then
        log "callgrind profile of the hot path (concurrency 4, ${PROFILE_SECONDS} s under valgrind)"
        rm -f "$W"/callgrind.out.*
        start_sesame valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out.%p" \
            --dump-instr=no --collect-atstart=yes
        "$LOADGEN" run --label callgrind --sso-url "$SSO_URL" "${COMMON[@]}" --out "$W/callgrind.jsonl" \
            --levels 4 --seconds "$PROFILE_SECONDS" --warmup 0 --pid "$SESAME_PID"
        stop_sesame
        CG="$(ls -t "$W"/callgrind.out.* | head -1)"
        callgrind_annotate --inclusive=yes --threshold=100 "$CG" > "$W/callgrind-inclusive.txt" 2>/dev/null || true
        {
            echo "== callgrind (instructions executed, user space): 'sesame serve' (release) under SP-initiated SSO at concurrency 4, ${PROFILE_SECONDS} s; start-up and one cold sign-in included"
            echo
            grep -m1 'PROGRAM TOTALS' "$W/callgrind-inclusive.txt" || true
            echo
            echo "-- Sesame's functions and SQLite by inclusive cost (recursion cycles left out) --"
            grep -E '\(' "$W/callgrind-inclusive.txt" | grep -v "'2 " | grep -v 'PROGRAM TOTALS' \
                | grep -E 'sesame::|sesame_saml::|sqlite3_step|argon2::Argon2::hash_password_into|sqlx_sqlite::connection::worker' \
                | sed -E 's# \[/[^]]*\]$##; s#\?\?\?:##' | head -40
        } >> "$PROFILE_TXT"
    fi
fi

set -o pipefail

# ---- scale ---------------------------------------------------------------------------
if [ "$SCALE" = 1 ]; then
    log "bulk load: $USERS users, $GROUPS_N groups"
    "$LOADGEN" seed --db "$SDIR/sesame.db" --users "$USERS" --groups "$GROUPS_N" \
        --member "$BENCH_USER" --member-groups 0 --out "$RESULTS"
    start_sesame
    "$LOADGEN" mem --label "sesame (1M users, 10k groups)" --pid "$SESAME_PID" \
        --out "$RESULTS" --note "fresh start on the loaded store, before any request"
    log "hot path: Sesame with 1M users"
    sesame_hot sesame-1M "1M users, 10k groups; same configuration as the small run"
    # Memberships are directory data, read per request: added while the server runs.
    "$LOADGEN" seed --db "$SDIR/sesame.db" --users 0 --groups 0 \
        --member "$BENCH_USER" --member-groups 200 --out "$RESULTS"
    log "hot path: Sesame with 1M users, $BENCH_USER in 200 groups"
    sesame_hot sesame-1M-in200 "the user in 200 groups, group claims off"
    cli app claims "$APP" groups --all --as id > /dev/null
    sleep 1.5
    log "hot path: Sesame with 1M users, group claims on (200 groups: overage)"
    sesame_hot sesame-1M-groups200 "group claims on: 200 groups > 150, the groups.link overage claim"
    stop_sesame
fi

# ---- report --------------------------------------------------------------------------
HEADER="Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr); sesame $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') release build; ${SECONDS_PER_LEVEL} s measured + ${WARMUP} s warm-up per level; the load generator (1 thread) shares the cores with the server. Command: \`bench/run.sh\`; total $(( $(date +%s) - START )) s."
"$LOADGEN" report --results "$RESULTS" --out "$OUTDIR/RESULTS.md" --header "$HEADER"
if [ -f "$PROFILE_TXT" ]; then
    {
        echo
        echo "## Profile of the hot path"
        echo
        echo '```'
        cat "$PROFILE_TXT"
        echo '```'
    } >> "$OUTDIR/RESULTS.md"
fi
log "done: $OUTDIR/RESULTS.md"
