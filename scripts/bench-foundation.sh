#!/usr/bin/env bash
# Foundation benchmarks (BENCHMARKS.md): import of 1,000,000 generated incidents into SQLite
# and PostgreSQL, and the start-up of a server holding them. Deterministic data (seed 138).
# Usage: bash scripts/bench-foundation.sh [N]   (N incidents, default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
PG="${DIEMNONG_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT=target/bench-foundation
BIN="${CARGO_TARGET_DIR:-target}/release/diemnong"
mkdir -p "$OUT"
cargo build --release --locked -q
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

echo "generating $N incidents…" >&2
$BIN sample --out "$OUT/data" --incidents "$N" --end 2024-12-31 2>/dev/null
CSV="$OUT/data/incidents.csv"
echo "csv: $(du -h "$CSV" | cut -f1), $(nproc) cores, $(uname -r)"

run_import() { # url label
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" $BIN --database-url "$1" import incidents "$CSV" 2>"$OUT/import.log"
  read -r secs kb < "$OUT/time.txt"
  line=$(grep -E "^incidents:" "$OUT/import.log")
  echo "| import $2 | $line | wall ${secs} s | peak RSS $((kb / 1024)) MiB |"
}

rm -f "$OUT"/bench.db*
run_import "sqlite://$OUT/bench.db" sqlite
run_import "sqlite://$OUT/bench.db" "sqlite, again (idempotent)"

DB="dn_bench_$$"
psql "$PG" -qc "CREATE DATABASE $DB" >/dev/null
PGDB="${PG%/*}/$DB"
run_import "$PGDB" postgres

# Start-up: time to a built index (logged by the server) and resident memory once serving.
run_startup() { # url label
  PORT=18123
  RUST_LOG=info $BIN --database-url "$1" serve --bind "127.0.0.1:$PORT" >"$OUT/serve.out" 2>"$OUT/serve.log" &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  built=$(grep -o 'index built.*' "$OUT/serve.log" | head -n1)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  kill $PID; wait $PID 2>/dev/null || true
  echo "| start-up ($2) | $built | server RSS $((rss / 1024)) MiB |"
}
run_startup "sqlite://$OUT/bench.db" sqlite
run_startup "$PGDB" postgres
psql "$PG" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
