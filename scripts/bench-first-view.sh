#!/usr/bin/env bash
# The map page's first view on N incidents (BENCHMARKS.md, "The map page"; default
# 1,000,000), in Debian's chromium through playwright-core (scripts/bench/first_view.mjs):
# from navigation start to MapLibre's `idle` with the default layers (density and complex
# areas) drawn, the page's own `window.diemnong.firstView`, as the e2e's first-view test
# reads it. The release server serves its embedded page on the SQLite database that
# scripts/bench-http.sh builds (reused when present), with --public-aggregates:
#   - signed out (anonymous: published counts of the latest calendar year with data) and
#     signed in (a viewer's session cookie: the latest 12 months with data);
#   - "computed": result cache off (--cache-entries 0), every load computes its layers;
#     "cached": cache on, after one untimed load.
# Each: median of RUNS (default 3) loads, each in a fresh browser context.
# Usage: bash scripts/bench-first-view.sh [N]     (bench-http.sh runs it at its end)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
RUNS="${RUNS:-3}"
OUT=target/bench-http
BIN="${CARGO_TARGET_DIR:-target}/release/diemnong"
PORT=18125
mkdir -p "$OUT"
cargo build --release --locked -q

if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

. scripts/bench/sample-db.sh
DB=$(sample_db "$BIN" "$OUT" "$N")
TOKEN=$($BIN --database-url "sqlite://$DB" token create --role viewer --name bench-first-view 2>/dev/null)

PID=
start() { # cache-entries
  $BIN --database-url "sqlite://$DB" serve --bind "127.0.0.1:$PORT" --cache-entries "$1" --public-aggregates \
    >"$OUT/first-view.out" 2>"$OUT/first-view.log" &
  PID=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server did not start" >&2; exit 1; }
  # As bench-http.sh: time the page once the containment lists and time cubes are built.
  for _ in $(seq 1 300); do grep -q "time cubes built" "$OUT/first-view.log" && return; sleep 0.1; done
  echo "the containment lists and time cubes were not built within 30 s" >&2; exit 1
}
stop() { if [ -n "$PID" ]; then kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; fi; }
trap stop EXIT

URL="http://127.0.0.1:$PORT/"
declare -A med times
for cache in 0 64; do
  start "$cache"
  warm=()
  if [ "$cache" != 0 ]; then warm=(--warm); fi
  for who in public viewer; do
    tok=()
    if [ "$who" = viewer ]; then tok=(--token "$TOKEN"); fi
    node scripts/bench/first_view.mjs --url "$URL" --runs "$RUNS" "${warm[@]}" "${tok[@]}" \
      --label "$who cache=$cache" >"$OUT/first-view-$who-$cache.json"
    read -r med[$who$cache] times[$who$cache] < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.median, r.times.join("/"));' "$OUT/first-view-$who-$cache.json")
  done
  stop
done

echo "| first view, $N incidents, chromium $(/usr/bin/chromium --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1) | computed (cache off) | cached |"
echo "|---|---|---|"
for who in public viewer; do
  label="signed out (public, published counts)"
  if [ "$who" = viewer ]; then label="signed in (viewer)"; fi
  echo "| $label | ${times[${who}0]} ms, median **${med[${who}0]} ms** | ${times[${who}64]} ms, median **${med[${who}64]} ms** |"
done
echo
echo "API requests of the last computed load (ms from navigation start → response end, bytes as sent):"
for who in public viewer; do
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`  ${r.label}: ` + r.requests.map((q) => `${q.path.split("?")[0].replace("/api/v1/", "")} ${q.start}→${q.end} (${Math.round(q.bytes / 1024)} KiB)`).join(", "));' \
    "$OUT/first-view-$who-0.json"
done
