#!/usr/bin/env bash
# Sesame's test command (README: "test"). On a fresh Debian 12 machine with Rust it first
# installs what the tests need, when missing:
#   - Debian packages: xmlsec1 (+ its OpenSSL engine), python3-venv, python3-lxml,
#     python3-xmlsec, nodejs, npm
#   - .venv: /usr/bin/python3 -m venv --system-site-packages, then the pinned
#     tests/interop/requirements.txt (signxml, lxml, pytest) and, when present,
#     tests/interop/sp/requirements.txt (the SP libraries) and tests/api/requirements.txt
#     (schemathesis)
#   - tests/interop/node_modules: `npm ci` from the committed package-lock.json
#     (xml-crypto, @xmldom/xmldom)
#   - Debian package postgresql (scripts/postgres.sh) for the PostgreSQL pass
#   - Debian package chromium and tests/e2e/node_modules (`npm ci`: playwright-core) for
#     the end-to-end browser tests
# then runs: cargo fmt --check, clippy -D warnings, cargo test (SQLite), cargo test -p
# sesame again on a throw-away PostgreSQL server (with the multi-node tests), the interop suite
# (tests/interop, against target/debug/sesame), schemathesis against the REST API's
# OpenAPI document (tests/api/schemathesis.sh) and the fuzz corpus replay when fuzz/
# exists. It never skips: whatever cannot be had is a loud failure.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'test.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

# ---- Debian packages ------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
pkg_installed libxmlsec1-openssl || missing+=(libxmlsec1-openssl)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
pkg_installed python3-lxml || missing+=(python3-lxml)
pkg_installed python3-xmlsec || missing+=(python3-xmlsec)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The end-to-end browser tests drive Debian's Chromium (never a downloaded browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)  # tests/api/schemathesis.sh
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q || die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
fi
command -v xmlsec1 >/dev/null 2>&1 || die "xmlsec1 is still missing"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 18 ] || die "Node.js >= 18 is needed by xml-crypto 6 (found: $(node --version 2>&1))"

# ---- Python venv ----------------------------------------------------------------------
# Debian's python, with its site packages visible (see the stack notes: Debian's lxml and
# xmlsec bindings are built against the system libxml2), plus the pinned requirements.
requirements=(tests/interop/requirements.txt)
if [ -f tests/interop/sp/requirements.txt ]; then
  requirements+=(tests/interop/sp/requirements.txt)
fi
requirements+=(tests/api/requirements.txt)
venv_ok() { [ -x .venv/bin/python ] && .venv/bin/python -c 'import signxml, lxml, pytest, schemathesis, pyotp, aiosmtpd' >/dev/null 2>&1; }
stale=false
for r in "${requirements[@]}"; do
  if [ "$r" -nt .venv/.installed ]; then stale=true; fi
done
if ! venv_ok || $stale; then
  say "preparing .venv"
  [ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv \
    || die "cannot create .venv with /usr/bin/python3 -m venv"
  for r in "${requirements[@]}"; do
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$r" \
      || die "pip install -r $r failed"
  done
  venv_ok || die ".venv still lacks signxml/lxml/pytest/schemathesis/pyotp/aiosmtpd"
  touch .venv/.installed
fi

# ---- npm packages ---------------------------------------------------------------------
if [ ! -f tests/interop/node_modules/.package-lock.json ] \
  || [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
  say "npm ci (tests/interop)"
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/interop"
fi

if [ ! -f tests/e2e/node_modules/.package-lock.json ] \
  || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
  say "npm ci (tests/e2e: playwright-core)"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/e2e"
fi

# ---- Rust -----------------------------------------------------------------------------
# A CI build is used once: incremental state would only take disk (gigabytes here).
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
df -h . 2>/dev/null | awk 'NR==2 { print "test.sh: disk free where the build runs: " $4 }' || true
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt || die "rustfmt is missing"
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy || die "clippy is missing"

say "cargo fmt --all --check"
cargo fmt --all --check

say "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

say "cargo test --workspace (SQLite)"
# The multi-node tests need PostgreSQL: they run in the PostgreSQL pass below.
cargo test --workspace -- --skip multinode::

# ---- PostgreSQL -----------------------------------------------------------------------
# The storage and integration suites again, on a real PostgreSQL server (Debian's
# postgresql package, installed when missing; a temporary data directory owned by an
# unprivileged user, a free loopback port, removed at exit), plus the multi-node tests:
# scripts/postgres.sh exports SESAME_TEST_DATABASE_URL and each test creates a database
# of its own on it. The interop suite runs on SQLite only.
say "cargo test -p sesame (PostgreSQL)"
# The multi-node tests run after the others, alone: one of them restarts the database
# server, which would fail the tests of other modules running beside it in the same
# binary.
scripts/postgres.sh bash -c 'cargo test -p sesame -- --skip multinode:: \
  && cargo test -p sesame --test integration multinode::'

# ---- interop --------------------------------------------------------------------------
say "interop suite (tests/interop)"
cargo build -q -p sesame --bin sesame
junit=target/interop-junit.xml
rm -f "$junit"
interop_rc=0
SESAME_BIN="$PWD/target/debug/sesame" .venv/bin/python -m pytest tests/interop -q \
  -p no:cacheprovider --junitxml="$junit" || interop_rc=$?

# ---- end-to-end browser tests ---------------------------------------------------------
# The admin portal and My Apps in headless Chromium (playwright-core), against the real
# binary: tests/e2e/*.test.mjs, node's test runner. Screenshots go to tests/e2e/screenshots.
say "end-to-end browser tests (tests/e2e)"
e2e_rc=0
SESAME_BIN="$PWD/target/debug/sesame" node --test --test-concurrency=1 tests/e2e/ || e2e_rc=$?
if [ "$e2e_rc" -ne 0 ]; then
  echo "test.sh: the end-to-end browser tests FAILED (node --test exit $e2e_rc): see above" >&2
fi
# ---- REST API: schemathesis -----------------------------------------------------------
# A throw-away server and a Global Administrator token; requests generated from
# /api/openapi.json (a bounded number per operation). Any 5xx or any response that breaks
# the document fails the script (after the summary line below).
say "schemathesis (tests/api/schemathesis.sh)"
schemathesis_rc=0
tests/api/schemathesis.sh || schemathesis_rc=$?
if [ "$schemathesis_rc" -ne 0 ]; then
  echo "test.sh: schemathesis FAILED against the REST API (exit $schemathesis_rc): see above" >&2
fi

# ---- fuzz corpus replay (hook) --------------------------------------------------------
# The fuzz targets live in fuzz/; scripts/fuzz-replay.sh replays their corpora as tests.
if [ -d fuzz ]; then
  say "fuzz corpus replay"
  [ -x scripts/fuzz-replay.sh ] || die "fuzz/ exists but scripts/fuzz-replay.sh is missing"
  scripts/fuzz-replay.sh
fi

# ---- summary: the last line -----------------------------------------------------------
[ -f "$junit" ] || die "the interop suite did not run (pytest exit $interop_rc)"
read -r passed failed skipped < <(.venv/bin/python - "$junit" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for suite in suites:
    t += int(suite.get("tests", 0))
    f += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    s += int(suite.get("skipped", 0))
print(t - f - s, f, s)
PY
)
if [ "$skipped" -gt 0 ]; then
  failed=$((failed + skipped))
  echo "test.sh: $skipped interop test(s) skipped; skipping is not allowed" >&2
fi
[ "$passed" -gt 0 ] || failed=$((failed + 1))
echo "interop: $passed passed, $failed failed"
[ "$interop_rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$schemathesis_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
