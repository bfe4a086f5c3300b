#!/usr/bin/env bash
# End-to-end tests of the map page: builds map-ui (npm ci), starts the diemnong demo on a
# fresh database and a free port, serves map-ui/dist in front of it (tests/e2e/serve.mjs,
# until the binary embeds map-ui/dist itself), and runs tests/e2e/*.test.mjs with node's
# test runner, driving Debian's chromium headless through playwright-core.
#
#   bash tests/e2e/run.sh
#
# Environment:
#   DIEMNONG_BIN        the server binary (default target/release/diemnong; it is copied to a
#                       temporary directory first, so a rebuild cannot disturb the run)
#   DN_E2E_SERVE=server test the page the server itself serves at / (once it embeds
#                       map-ui/dist) instead of serve.mjs's copy
#   DN_DOCS             where to write the screenshots (default docs/; empty: none)
#   DN_FIRST_VIEW_MAX_MS  first-view budget checked by the tests (default 2000)
#   DN_SKIP_BUILD=1     use map-ui/dist as it is (no npm ci, no build)
# Exits non-zero when anything fails.

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
demo_pid=""
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null || true
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null || true
  [[ -n "$demo_pid" ]] && wait "$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cp "$bin" "$work/diemnong"
log "starting the demo server"
(cd "$work" && exec ./diemnong demo --bind 127.0.0.1:0 --database-url "sqlite://$work/demo.db" >"$work/demo.out" 2>"$work/demo.err") &
demo_pid=$!

wait_for() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
if ! wait_for "$work/demo.out" 'map at http' 180 || ! wait_for "$work/demo.err" 'admin token' 180; then
  log "the demo did not start:"; cat "$work/demo.out" "$work/demo.err" >&2; exit 1
fi
api_url="$(grep -o 'http://[^ ]*' "$work/demo.out" | head -1)"
api_url="${api_url%/}"
token="$(grep -o 'dn_[0-9a-f]\{64\}' "$work/demo.err" | head -1)"
for _ in $(seq 1 100); do curl -fsS "$api_url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

if [[ "${DN_E2E_SERVE:-}" == server ]]; then
  page_url="$api_url/"
else
  node tests/e2e/serve.mjs --backend "$api_url" --port 0 >"$work/serve.out" 2>&1 &
  serve_pid=$!
  wait_for "$work/serve.out" '^serve: http' 20 || { log "serve.mjs did not start"; cat "$work/serve.out" >&2; exit 1; }
  page_url="$(grep -o 'http://[^ ]*' "$work/serve.out" | head -1)"
fi
if ! curl -fsS "$page_url" | grep -q 'src="app.js"'; then
  log "the page at $page_url is not map-ui/dist (does this server embed it yet?)"
  exit 1
fi
log "page $page_url, API $api_url"

export DN_PAGE_URL="$page_url" DN_API_URL="$api_url" DN_TOKEN="$token"
export DN_DOCS="${DN_DOCS-$root/docs}"
# One test file at a time: the browser and the software WebGL are heavy on two cores.
node --test --test-concurrency=1 tests/e2e/*.test.mjs
