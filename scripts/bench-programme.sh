#!/usr/bin/env bash
# Programme benchmarks (BENCHMARKS.md, "The conversion programme over HTTP"): the yearly
# report (HTML and CSV), the year's overview and one area's KPIs, on a server holding N
# generated incidents (default 1,000,000, seed 138, 2023–2024) in SQLite with every sample
# complex area designated for its year. Timed by curl from request to last byte: the first
# request of a data version (which computes the city-wide Gi* hot sets: one for the year,
# one per month) and the median of 5 after it (hot sets cached per data version).
# Usage: bash scripts/bench-programme.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
OUT=target/bench-programme
BIN="${CARGO_TARGET_DIR:-target}/release/diemnong"
PORT=18125
mkdir -p "$OUT"
cargo build --release --locked -q

DB="$OUT/bench-$N.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "generating and importing $N incidents…" >&2
$BIN sample --out "$OUT/data" --incidents "$N" --end 2024-12-31 2>/dev/null
for layer in areas incidents cameras models; do
  file="$OUT/data/$layer.csv"
  [ "$layer" = areas ] && file="$OUT/data/areas.geojson"
  $BIN --database-url "sqlite://$DB" import "$layer" "$file" 2>/dev/null
done
EDITOR=$($BIN --database-url "sqlite://$DB" token create --role editor --name bench 2>/dev/null)

$BIN --database-url "sqlite://$DB" serve --bind "127.0.0.1:$PORT" >"$OUT/serve.out" 2>"$OUT/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
API="http://127.0.0.1:$PORT/api/v1"

# Designate every sample complex area (dbpt-YYYY-NN) for its year.
codes=$(curl -sf "$API/areas?kind=complex_area" | python3 -c 'import json,sys; print(" ".join(f["properties"]["code"] for f in json.load(sys.stdin)["features"]))')
n=0
for code in $codes; do
  year=${code:5:4}
  curl -sf -o /dev/null -H "Authorization: Bearer $EDITOR" -H 'Content-Type: application/json' \
    -d "{\"year\": $year, \"reasons\": [\"bench\"], \"unit\": \"bench\"}" "$API/areas/$code/designations"
  n=$((n + 1))
done
sleep 1 # the server picks the writes up on its next refresh (it made them itself: at once)

time_ms() { # path → milliseconds and bytes of one request
  curl -sf -o /dev/null -H "Authorization: Bearer $EDITOR" -w '%{time_total} %{size_download}\n' "$API/$1" |
    awk '{printf "%.1f %d\n", $1 * 1000, $2}'
}
median5() { # path → median milliseconds of 5 requests
  for _ in 1 2 3 4 5; do time_ms "$1" | cut -d' ' -f1; done | sort -n | sed -n 3p
}

first_code=$(echo "$codes" | tr ' ' '\n' | grep '^dbpt-2024' | head -1)
echo "| $N incidents, $n designations | first request | then (median of 5) | body |"
echo "|---|---|---|---|"
for path in "report?year=2024" "report?year=2024&format=csv" "programme/2024/areas" "areas/$first_code/kpis?year=2024"; do
  read -r first bytes < <(time_ms "$path")
  then=$(median5 "$path")
  echo "| \`/api/v1/$path\` | $first ms | $then ms | $((bytes / 1024)) KiB |"
done
