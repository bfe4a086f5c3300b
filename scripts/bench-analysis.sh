#!/usr/bin/env bash
# Analysis benchmarks (BENCHMARKS.md, "Analysis core"): the Rust bench and the same
# computations in Python (h3 + esda, scipy, scikit-learn) on the same generated incidents,
# then both side by side with the ratio python_time / rust_time.
# Usage: bash scripts/bench-analysis.sh [N]   (N incidents, default 1000000)
#   VENV=/path      the Python venv (default /tmp/diemnong-bench-venv; created when missing)
#   SKIP_DBSCAN=1   leave scikit-learn's DBSCAN out (on 1M points it takes minutes and GBs)
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

echo
echo "Rust vs Python, $N incidents ($(nproc) cores):"
"$VENV/bin/python" scripts/bench/side_by_side.py "$OUT/rust.txt" "$OUT/python.json" \
  | tee "$OUT/side_by_side.txt"
