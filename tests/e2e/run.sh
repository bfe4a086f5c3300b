#!/usr/bin/env bash
# End-to-end tests of the map page: builds map-ui (npm ci), starts three diemnong demo
# servers, each on its own fresh SQLite file and a free port, serves map-ui/dist in front of
# each (tests/e2e/serve.mjs) unless DN_E2E_SERVE=server, and runs tests/e2e/*.test.mjs with
# node's test runner, driving Debian's chromium headless through playwright-core.
#
#   main     demo --end 2024-12-31: the pinned sample (2023–2024), reproducible, for the
#            pixel tests (DN_PAGE_URL, DN_API_URL, DN_TOKEN)
#   present  demo with no --end: the 24 months up to today, as a new user sees it
#            (DN_PAGE_URL_PRESENT, DN_API_URL_PRESENT, DN_TOKEN_PRESENT)
#   old      demo --end <today a year ago>: data that stops a year before today
#            (DN_PAGE_URL_OLD, DN_API_URL_OLD, DN_TOKEN_OLD)
#
#   bash tests/e2e/run.sh
#
# Environment:
#   DIEMNONG_BIN        the server binary (default target/release/diemnong; it is copied to a
#                       temporary directory first, so a rebuild cannot disturb the run)
#   DN_E2E_SERVE=server test the page the server itself serves at / (map-ui/dist as embedded
#                       when the binary was built) instead of serve.mjs's copy of map-ui/dist
#   DN_DOCS             where to write the screenshots (default docs/; empty: none)
#   DN_FIRST_VIEW_MAX_MS  first-view budget checked by the tests (default 2000)
#   DN_SKIP_BUILD=1     use map-ui/dist as it is (no npm ci, no build)
#   DN_TZ               the committee's time zone (default Asia/Ho_Chi_Minh), for "today"
# Exits non-zero when anything fails; every server it started is stopped on exit.

set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

log() { printf 'e2e: %s\n' "$*" >&2; }

if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    log "installing chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    log "chromium is missing: apt-get install chromium"
    exit 1
  fi
fi
command -v node >/dev/null || { log "node is missing"; exit 1; }

if [[ "${DN_SKIP_BUILD:-}" != 1 ]]; then
  log "building map-ui"
  (cd map-ui && npm ci --no-audit --no-fund --loglevel=error && node build.mjs --size)
fi
[[ -f map-ui/dist/index.html ]] || { log "map-ui/dist is not built"; exit 1; }
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

bin="${DIEMNONG_BIN:-$root/target/release/diemnong}"
[[ -x "$bin" ]] || { log "no server binary at $bin (cargo build --release, or set DIEMNONG_BIN)"; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$bin" "$work/diemnong"
tz="${DN_TZ:-Asia/Ho_Chi_Minh}"
today="$(TZ="$tz" date +%Y-%m-%d)"
# A year before today (29 February → 28 February).
year_ago="$(TZ="$tz" date -d "$today -1 year" +%Y-%m-%d)"

start_demo() { # name [demo args…]
  local name="$1"
  shift
  log "starting the $name demo server ($*)"
  # No DIEMNONG_SAMPLE_END from the environment: each server says its own --end.
  (cd "$work" && exec env -u DIEMNONG_SAMPLE_END ./diemnong --timezone "$tz" demo --bind 127.0.0.1:0 --database-url "sqlite://$work/$name.db" "$@" \
    >"$work/$name.out" 2>"$work/$name.err") &
  pids+=("$!")
}
start_demo main --end 2024-12-31
start_demo present
start_demo old --end "$year_ago"

wait_for() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Waits for the demo `name`, puts a page in front of it, and exports its URLs and token
# with the suffix (DN_PAGE_URL$suffix, DN_API_URL$suffix, DN_TOKEN$suffix).
expose() { # name suffix
  local name="$1" suffix="$2" api_url token page_url
  if ! wait_for "$work/$name.out" 'map at http' 240 || ! wait_for "$work/$name.err" 'admin token' 240; then
    log "the $name demo did not start:"; cat "$work/$name.out" "$work/$name.err" >&2; exit 1
  fi
  api_url="$(grep -o 'http://[^ ]*' "$work/$name.out" | head -1)"
  api_url="${api_url%/}"
  token="$(grep -o 'dn_[0-9a-f]\{64\}' "$work/$name.err" | head -1)"
  for _ in $(seq 1 100); do curl -fsS "$api_url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  if [[ "${DN_E2E_SERVE:-}" == server ]]; then
    page_url="$api_url/"
  else
    node tests/e2e/serve.mjs --backend "$api_url" --port 0 >"$work/serve-$name.out" 2>&1 &
    pids+=("$!")
    wait_for "$work/serve-$name.out" '^serve: http' 20 || { log "serve.mjs did not start"; cat "$work/serve-$name.out" >&2; exit 1; }
    page_url="$(grep -o 'http://[^ ]*' "$work/serve-$name.out" | head -1)"
  fi
  # Read the whole page first: `curl | grep -q` under pipefail fails when grep stops early.
  page_html="$(curl -fsS "$page_url" || true)"
  if [[ "$page_html" != *'src="app.js"'* ]]; then
    log "the page at $page_url is not map-ui/dist (does this server embed it yet?)"
    exit 1
  fi
  # The binary embeds map-ui/dist as it was when it was built: testing an older page
  # against today's tests only produces confusing failures.
  if ! curl -fsS "${page_url}app.js" | cmp -s - map-ui/dist/app.js; then
    log "the page served at $page_url is not map-ui/dist as it is now: rebuild the server (or run without DN_E2E_SERVE=server)"
    exit 1
  fi
  if ! curl -fsS "$api_url/api/v1/extent" >/dev/null; then
    log "the $name server has no /api/v1/extent (an older binary?)"
    exit 1
  fi
  log "$name: page $page_url, API $api_url"
  export "DN_PAGE_URL$suffix=$page_url" "DN_API_URL$suffix=$api_url" "DN_TOKEN$suffix=$token"
}
expose main ''
expose present _PRESENT
expose old _OLD
export DN_TODAY="$today" DN_TZ="$tz"
export DN_DOCS="${DN_DOCS-$root/docs}"
# One test file at a time: the browser and the software WebGL are heavy on two cores.
node --test --test-concurrency=1 tests/e2e/*.test.mjs
