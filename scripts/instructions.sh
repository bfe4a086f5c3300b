#!/usr/bin/env bash
# Instruction counts of the hot paths (benches/instructions.rs: 100,000 generated incidents,
# one thread) under callgrind, against the counts committed in benches/instructions.txt.
# Fails when any path runs more than 10% more instructions than committed; unlike a time,
# a count is the same on a busy shared machine (BENCHMARKS.md, "Instruction counts").
#
#   bash scripts/instructions.sh                 check every path
#   bash scripts/instructions.sh PATH...         check only these (names: the file's)
#   bash scripts/instructions.sh --update [PATH...]   write the counts measured now
#
# Needs valgrind (Debian: apt-get install valgrind; scripts/test.sh installs it). Builds the
# benchmark in release (cargo's own cache: incremental after the first build).
set -euo pipefail
cd "$(dirname "$0")/.."

committed=benches/instructions.txt
max_growth=10 # percent

update=""
paths=()
for a in "$@"; do
  case "$a" in
    --update) update=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $a (see --help)" >&2; exit 2 ;;
    *) paths+=("$a") ;;
  esac
done

if ! command -v valgrind >/dev/null; then
  echo "valgrind is missing (Debian: apt-get install valgrind)" >&2
  exit 1
fi

# The benchmark's executable, from cargo's JSON messages (its compiler messages still go to
# stderr as text).
bin="$(cargo bench --locked --no-run --bench instructions --message-format=json-render-diagnostics \
  | grep '"reason":"compiler-artifact"' | grep '"name":"instructions"' \
  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)"
if [ ! -x "$bin" ]; then
  echo "cargo built no benches/instructions executable" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The sample is generated natively (a second; under valgrind, minutes), afresh each time so
# that it always is what the generator makes now.
"$bin" generate "$work/sample"

# One process runs every path after one setup, each on a thread of its own with a fresh
# malloc arena; each path is one call of instructions::measured, and a dump on entering and
# on leaving it zeroes and writes the counters of every thread, so the profile written on
# leaving holds exactly the path's instructions, threads it spawned included. glibc's mmap
# threshold is fixed, as it would otherwise follow the largest block the setup freed
# (benches/instructions.rs says why each of these).
started=$SECONDS
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.arena_max=64 \
  valgrind --tool=callgrind --quiet \
  --callgrind-out-file="$work/callgrind.out" \
  --dump-before='instructions::measured' --dump-after='instructions::measured' \
  "$bin" "$work/sample" ${paths[@]+"${paths[@]}"} >"$work/ran"
took=$((SECONDS - started))

# The paths in the order they ran, and the dumps written on leaving measured, in order.
: >"$work/now"
mapfile -t ran < <(cut -d' ' -f1 "$work/ran")
i=0
for part in $(ls "$work"/callgrind.out.* | sed 's/.*\.//' | sort -n); do
  f="$work/callgrind.out.$part"
  grep -q '^desc: Trigger: --dump-after' "$f" || continue
  echo "${ran[$i]} $(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")" >>"$work/now"
  i=$((i + 1))
done
if [ "$i" != "${#ran[@]}" ]; then
  echo "$i profiles for ${#ran[@]} paths: callgrind did not see instructions::measured" >&2
  exit 1
fi

touch "$committed"
if [ -n "$update" ]; then
  # Keep the header and the counts of paths not run now; replace or add those run.
  {
    grep '^#' "$committed" || true
    awk 'NR == FNR { now[$1] = $2; order[++n] = $1; next }
         /^#/ || NF == 0 { next }
         $1 in now { print $1, now[$1]; done[$1] = 1; next }
         { print }
         END { for (k = 1; k <= n; k++) if (!(order[k] in done)) print order[k], now[order[k]] }' \
      "$work/now" "$committed"
  } >"$work/updated"
  mv "$work/updated" "$committed"
  echo "wrote $committed (callgrind ${took} s):"
  grep -v '^#' "$committed"
  exit 0
fi

# The table, and the verdict: a path fails when it grew by more than max_growth percent, or
# has no committed count (run --update and commit it).
awk -v max="$max_growth" -v took="$took" '
  NR == FNR { if ($0 !~ /^#/ && NF >= 2) was[$1] = $2; next }
  FNR == 1 { printf "%-26s %15s %15s %9s  (callgrind %d s)\n", "path", "committed", "now", "change", took }
  {
    if (!($1 in was)) {
      printf "%-26s %15s %15d %9s  FAIL: not committed\n", $1, "-", $2, "-"; bad++; next
    }
    change = 100 * ($2 - was[$1]) / was[$1]
    verdict = ""
    if (change > max) { verdict = "  FAIL: over +" max "%"; bad++ }
    else if (change < -max) { verdict = "  (lower: commit it with --update)" }
    printf "%-26s %15d %15d %+8.2f%%%s\n", $1, was[$1], $2, change, verdict
  }
  END {
    if (bad) { printf "%d path(s) over their committed instruction count (benches/instructions.txt)\n", bad > "/dev/stderr"; exit 1 }
  }' "$committed" "$work/now"
