#!/usr/bin/env bash
# Analysis benchmarks (BENCHMARKS.md, "Analysis core"): the Rust bench, the same
# computations in Python (h3 + esda, scipy, scikit-learn), and the counts per cell and DBSCAN
# in PostGIS (ST_ClusterDBSCAN, ST_HexagonGrid), all on the same generated incidents, then
# one table side by side with each time's ratio to the Rust's.
# Usage: bash scripts/bench-analysis.sh [N]   (N incidents, default 1000000)
#   VENV=/path      the Python venv (default /tmp/diemnong-bench-venv; created when missing)
#   SKIP_DBSCAN=1   leave scikit-learn's DBSCAN out (on 1M points it takes minutes and GBs)
#   PG_ADMIN_URL    a database on the PostgreSQL server (with PostGIS available: Debian's
#                   postgresql-15-postgis-3) from which scripts/bench/postgis_compare.py
#                   creates, and at its end drops, a throwaway database of its own
#                   (default postgresql://postgres@127.0.0.1:5432/postgres)
#   SKIP_POSTGIS=1  leave PostGIS out; SKIP_POSTGIS_DBSCAN=1 leaves only its DBSCAN out
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
VENV="${VENV:-/tmp/diemnong-bench-venv}"
OUT=target/bench-analysis
mkdir -p "$OUT"

# The bench writes its data to std::env::temp_dir() (TMPDIR, else /tmp) and reuses it;
# `diemnong sample --incidents N --end 2024-12-31` writes the same bytes (same generator,
# seed 138 and span).
CSV="${TMPDIR:-/tmp}/diemnong-bench-$N/incidents.csv"

echo "rust: cargo bench --bench analysis -- $N" >&2
cargo bench --locked --bench analysis -- "$N" | tee "$OUT/rust.txt"

# Python: a venv with the pinned packages, (re)installed only when the requirements change.
REQS=scripts/bench/requirements.txt
if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  python3 -m venv "$VENV"
fi
if ! cmp -s "$REQS" "$VENV/.bench-requirements.txt"; then
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$REQS"
  cp "$REQS" "$VENV/.bench-requirements.txt"
fi

echo "python: scripts/bench/python_compare.py on $CSV" >&2
extra=()
if [ -n "${SKIP_DBSCAN:-}" ]; then extra+=(--skip-dbscan); fi
"$VENV/bin/python" scripts/bench/python_compare.py --csv "$CSV" --json "$OUT/python.json" \
  "${extra[@]}" | tee "$OUT/python.txt"

# PostGIS: the same CSV loaded into a throwaway database (load timed apart), then the
# counts per cell and ST_ClusterDBSCAN timed in psql.
pg=()
if [ -z "${SKIP_POSTGIS:-}" ]; then
  PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
  command -v psql >/dev/null || { echo "psql is missing (apt-get install postgresql-client), or SKIP_POSTGIS=1" >&2; exit 1; }
  if [ "$(psql -X -At -d "$PG_ADMIN_URL" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" != 1 ]; then
    echo "PostGIS is not available on $PG_ADMIN_URL (apt-get install postgresql-15-postgis-3), or SKIP_POSTGIS=1" >&2
    exit 1
  fi
  echo "postgis: scripts/bench/postgis_compare.py on $CSV" >&2
  pgextra=()
  if [ -n "${SKIP_POSTGIS_DBSCAN:-}" ]; then pgextra+=(--skip-dbscan); fi
  "$VENV/bin/python" scripts/bench/postgis_compare.py --csv "$CSV" --json "$OUT/postgis.json" \
    --admin-url "$PG_ADMIN_URL" "${pgextra[@]}" | tee "$OUT/postgis.txt"
  pg=("$OUT/postgis.json")
fi

echo
echo "Rust, Python${pg:+ and PostGIS}, $N incidents ($(nproc) cores):"
"$VENV/bin/python" scripts/bench/side_by_side.py "$OUT/rust.txt" "$OUT/python.json" "${pg[@]}" \
  | tee "$OUT/side_by_side.txt"
