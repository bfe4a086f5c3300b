#!/usr/bin/env bash
# HTTP benchmarks (BENCHMARKS.md, "Endpoints over HTTP"): every analysis endpoint of a server
# holding N generated incidents (default 1,000,000, seed 138) in SQLite, timed by curl from
# request to last byte: "computed" with the result cache off (--cache-entries 0, median of 5
# requests), "cached" with the cache on (median of 5 requests after a first one), and the
# size of the body.
# Then the map page's first view in chromium on the same database (scripts/bench-first-view.sh;
# SKIP_FIRST_VIEW=1 leaves it out).
# Usage: bash scripts/bench-http.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
OUT=target/bench-http
BIN="${CARGO_TARGET_DIR:-target}/release/diemnong"
PORT=18124
mkdir -p "$OUT"
cargo build --release --locked -q

. scripts/bench/sample-db.sh
DB=$(sample_db "$BIN" "$OUT" "$N")
TOKEN=$($BIN --database-url "sqlite://$DB" token create --role viewer --name bench-http 2>/dev/null)

# Two years, city-wide, as in the analysis bench.
R="from=2023-01-01&to=2025-01-01"
ENDPOINTS=(
  "density?res=9&$R"
  "hotspots?res=9&$R"
  "hotspots?res=9&weight=harm&$R"
  "outliers?res=9&$R"
  "hotspots/zones?res=9&$R"
  "hotspots/emerging?res=8&slice=month&$R"
  "kde?res=9&bandwidth_m=500&$R"
  "clusters?eps_m=50&min_points=10&$R"
  "density?res=9&$R&format=csv"
)
# Anonymous callers (issue 18): one whole year, answers from the published counts; each
# against the same request with the viewer's token.
Y="from=2024-01-01&to=2025-01-01"
PUBLIC=(
  "density?res=9&$Y"
  "hotspots?res=9&$Y"
  "hotspots/zones?res=9&$Y"
  "hotspots/emerging?res=8&slice=month&$Y"
  "kde?res=9&bandwidth_m=500&$Y"
  "clusters?eps_m=100&min_points=10&$Y"
)

start() { # cache-entries
  $BIN --database-url "sqlite://$DB" serve --bind "127.0.0.1:$PORT" --cache-entries "$1" --public-aggregates \
    >"$OUT/serve.out" 2>"$OUT/serve.log" &
  PID=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server did not start" >&2; exit 1; }
  # The containment lists and the time cubes of res 7–9 are built in the background after
  # start-up; time the endpoints once counting runs at full speed, as it does after.
  for _ in $(seq 1 300); do grep -q "time cubes built" "$OUT/serve.log" && return; sleep 0.1; done
  echo "the containment lists and time cubes were not built within 30 s" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

# median milliseconds of 5 requests, and the body size of the last; AUTH="" for anonymous
AUTH="Authorization: Bearer $TOKEN"
measure() { # path
  local times=() size=0 t s
  for _ in 1 2 3 4 5; do
    read -r t s < <(curl -sf -o /dev/null ${AUTH:+-H "$AUTH"} \
      -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$PORT/api/v1/$1")
    times+=("$t"); size=$s
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk -v s="$size" '{printf "%.1f %d\n", $1 * 1000, s}'
}

declare -A computed size public public_size
start 0
for e in "${ENDPOINTS[@]}"; do read -r computed[$e] size[$e] < <(measure "$e"); done
for e in "${PUBLIC[@]}"; do
  read -r computed[$e] size[$e] < <(measure "$e")
  read -r public[$e] public_size[$e] < <(AUTH="" measure "$e")
done
stop

start 64
echo "| endpoint ($N incidents) | computed | cached | body |"
echo "|---|---|---|---|"
for e in "${ENDPOINTS[@]}"; do
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/$e"
  read -r cached _ < <(measure "$e")
  kib=$(awk -v b="${size[$e]}" 'BEGIN {printf "%.0f KiB", b / 1024}')
  echo "| \`/api/v1/$e\` | ${computed[$e]} ms | $cached ms | $kib |"
done
stop

echo
echo "| anonymous vs viewer, uncached ($N incidents) | viewer | anonymous (published counts) | bodies |"
echo "|---|---|---|---|"
for e in "${PUBLIC[@]}"; do
  echo "| \`/api/v1/$e\` | ${computed[$e]} ms | ${public[$e]} ms | $((size[$e] / 1024)) / $((public_size[$e] / 1024)) KiB |"
done

# The data's extent (what the map page asks first): never cached, one pass over the index's
# columns. Against it, in the same run, what a script would do: Python's sqlite3 running
# the same aggregate over the same database file (min/max of time and position).
start 64
read -r extent_ms extent_size < <(measure "extent")
stop
py_ms=$(python3 - "$DB" <<'PY'
import sqlite3, statistics, sys, time
con = sqlite3.connect(sys.argv[1])
q = "SELECT count(*), min(occurred_at), max(occurred_at), min(lon), min(lat), max(lon), max(lat) FROM incidents"
times = []
for _ in range(5):
    t = time.perf_counter(); con.execute(q).fetchone(); times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f}")
PY
)
echo
echo "| \`/api/v1/extent\` ($N incidents) | $extent_ms ms | body $extent_size B | Python sqlite3, same aggregate, same file: $py_ms ms |"

if [ -z "${SKIP_FIRST_VIEW:-}" ]; then
  echo
  bash scripts/bench-first-view.sh "$N"
fi
