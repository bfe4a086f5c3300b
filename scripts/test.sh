#!/usr/bin/env bash
# The whole test suite, on a fresh machine as on a developer's: installs what the tests
# need when it is missing (Debian packages), makes sure PostgreSQL is up, then runs every
# test on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

apt_updated=""
apt_install() {
  echo "installing: $*" >&2
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v ogrinfo >/dev/null || need+=(gdal-bin)
command -v python3 >/dev/null || need+=(python3 python3-venv)
# The yearly report is printed to PDF by Debian's chromium (tests/it/report.rs) and read back
# with poppler's pdftotext/pdfinfo; DejaVu covers Vietnamese in the printed report.
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
# The instruction-count check (scripts/instructions.sh, below) runs the hot paths under
# callgrind.
if [ $# -eq 0 ]; then command -v valgrind >/dev/null || need+=(valgrind); fi
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# The external GeoJSON validator (scripts/validate_geojson.py; tests/it/geojson_valid.rs runs
# it): a venv with the pinned packages, (re)installed when missing or when the requirements
# change. The tests find its Python through DIEMNONG_TEST_PYTHON.
venv="${DIEMNONG_TEST_VENV:-$PWD/.venv-test}"
reqs=scripts/requirements-test.txt
if ! "$venv/bin/python" -c '' 2>/dev/null; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 makes venvs only with python3-venv (ensurepip) installed.
    rm -rf "$venv"
    apt_install python3-venv
    python3 -m venv "$venv"
  fi
fi
want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements-test.sha256" 2>/dev/null)" != "$want" ]; then
  echo "installing $reqs into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
  echo "$want" >"$venv/.requirements-test.sha256"
fi
export DIEMNONG_TEST_PYTHON="$venv/bin/python"

# The PostgreSQL tests create (and drop) one database per test on this server.
export DIEMNONG_TEST_POSTGRES_URL="${DIEMNONG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

cargo test --locked "$@"

# The map page in Debian's chromium (tests/e2e/, playwright-core), against the server binary
# cargo just built, which embeds map-ui/dist. First, its sources and the tests' must pass
# Biome (formatted, linted; a warning fails too) and map-ui's must type-check (tsc through
# their JSDoc); then the committed dist must be what map-ui/src builds (the build is
# deterministic): a stale dist would test an old page.
if [ $# -eq 0 ]; then
  command -v node >/dev/null || apt_install nodejs npm
  (cd map-ui && npm ci --no-audit --no-fund --loglevel=error)
  (cd map-ui && npx biome ci --error-on-warnings . && npx tsc -p .)
  (cd tests/e2e && ../../map-ui/node_modules/.bin/biome ci --error-on-warnings .)
  (cd map-ui && node build.mjs >/dev/null)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
    && { ! git diff --quiet -- map-ui/dist || [ -n "$(git ls-files --others --exclude-standard map-ui/dist)" ]; }; then
    echo "map-ui/dist is stale: run (cd map-ui && npm ci && node build.mjs) and commit it" >&2
    git status --short -- map-ui/dist >&2
    exit 1
  fi
  # The first-view time is a benchmark (BENCHMARKS.md), not a pass/fail: shared machines
  # are too noisy for a timed test, so the budget here only catches a page that hangs.
  DIEMNONG_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/diemnong" DN_E2E_SERVE=server DN_SKIP_BUILD=1 DN_DOCS= \
    DN_FIRST_VIEW_MAX_MS="${DN_FIRST_VIEW_MAX_MS:-30000}" bash tests/e2e/run.sh
  # Instruction counts of the hot paths against benches/instructions.txt: a path more than
  # 10% over its committed count fails (a release build of the benchmark, then ~40 s of
  # callgrind).
  bash scripts/instructions.sh
fi
