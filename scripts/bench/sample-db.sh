# Sourced by scripts/bench-http.sh and scripts/bench-first-view.sh: the SQLite database of N
# generated incidents (seed 138, 2023–2024) with the sample's areas, cameras and models,
# imported once into OUT/bench-N.db and reused by both (delete it to import again).
#   sample_db BIN OUT N   → makes OUT/bench-N.db when missing; prints its path
sample_db() {
  local bin="$1" out="$2" n="$3" db="$2/bench-$3.db"
  if [ ! -f "$db" ]; then
    echo "generating and importing $n incidents…" >&2
    mkdir -p "$out"
    "$bin" sample --out "$out/data" --incidents "$n" --end 2024-12-31 2>/dev/null
    "$bin" --database-url "sqlite://$db" import areas "$out/data/areas.geojson" 2>/dev/null
    "$bin" --database-url "sqlite://$db" import incidents "$out/data/incidents.csv" 2>/dev/null
    "$bin" --database-url "sqlite://$db" import cameras "$out/data/cameras.csv" 2>/dev/null
    "$bin" --database-url "sqlite://$db" import models "$out/data/models.csv" 2>/dev/null
  fi
  echo "$db"
}
