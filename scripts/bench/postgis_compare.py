#!/usr/bin/env python3
"""The analysis bench's counts and DBSCAN in PostGIS, timed: the third column of
`bash scripts/bench-analysis.sh` beside the Rust and the Python.

    python scripts/bench/postgis_compare.py --csv incidents.csv --json postgis.json \
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--skip-dbscan]

It needs `psql` and a PostgreSQL server with the PostGIS extension available (Debian:
`postgresql-15-postgis-3`), and runs in the bench venv (numpy, pandas, h3, pyproj). It
creates a throwaway database of its own, `diemnong_bench_postgis_<pid>`, through the
admin URL, and drops it when it ends (also on an error or Ctrl-C); it touches no other
database.

The load, timed step by step and reported apart (none of it is in the query times):
  1. COPY the CSV as it is into `incidents` (an identity id numbers the rows in file
     order, as a fresh diemnong import does);
  2. each incident's H3 res-9 cell, computed with h3-py's `latlng_to_cell` (there is no
     H3 extension for PostgreSQL in Debian), COPY'd into a side table: the "precomputed
     cell column" that the Rust index holds too (as a res-15 cell);
  3. `pts`: id, category, the H3 cell and the point as geometry(Point, 32648), i.e.
     ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32648): UTM zone 48N, the
     projected metric CRS of Ho Chi Minh City (central meridian 105°E; the city lies at
     ~106.7°E, inside the zone), so that ST_ClusterDBSCAN's eps and the grid's size are
     metres;
  4. a GiST index on the geometry, and ANALYZE.

The queries, each in its own psql session with `\\timing` (client round trip, tiny
results: each query is wrapped in an aggregate so that no rows travel),
`max_parallel_workers_per_gather = 0` (one core, like the Rust and the Python) and
`work_mem = 256MB`:
  * count per H3 res-9 cell, all incidents and category = theft: GROUP BY the cell column
    (the same cells as h3-py and the Rust; median of --runs);
  * count per hexagon of an ST_HexagonGrid whose hexagons have the area of an H3 res-9
    cell at the data's centre, through a spatial join on the GiST index (the PostGIS way
    to count per hexagon; not the same cells: a different grid; median of --runs);
  * ST_ClusterDBSCAN(geom, eps, minpoints 10) OVER () for eps 50 m and 100 m: one run when
    a run takes longer than 10 s. Planar distance in UTM 48N against the Rust's haversine
    on a sphere of radius 6,371,008.8 m: at the city a 50 m haversine step is 49.74 m in
    UTM north-south and 50.06 m east-west (printed), so pairs within ~0.5% of eps may be
    neighbours on one side only, and the cluster and noise counts differ a little;
  * the check of that explanation (--no-sphere-check leaves it out): eps 50 m once more on
    an azimuthal equidistant projection of the Rust's sphere centred on the data (planar
    distance = haversine to ~1e-5 across the city), which should give the Rust's counts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
SRID = 32648  # WGS 84 / UTM zone 48N
SPHERE_SRID = 900001  # the check's projection of the Rust's sphere, in the throwaway database
SESSION = "SET max_parallel_workers_per_gather = 0;\nSET work_mem = '256MB';\n"
TIME_RX = re.compile(r"^Time: ([\d.]+) ms", re.M)


class Psql:
    def __init__(self, url: str):
        self.url = url

    def run(self, script: str, *, timed: bool = False) -> tuple[list[str], float | None]:
        """Runs a psql script (SESSION first); returns its output lines (unaligned, tuples
        only) and, when `timed`, the one \\timing figure of the statement after it."""
        body = SESSION + ("\\timing on\n" if timed else "") + script
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url],
            input=body, capture_output=True, text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(f"psql failed ({r.returncode}):\n{script}\n{r.stderr}")
        out = r.stdout
        secs = None
        if timed:
            times = [float(t) for t in TIME_RX.findall(out)]
            if len(times) != 1:
                raise RuntimeError(f"expected one timing in:\n{out}")
            secs = times[0] / 1e3
            out = TIME_RX.sub("", out)
        return [ln for ln in out.splitlines() if ln.strip()], secs

    def one(self, sql: str) -> list[str]:
        lines, _ = self.run(sql)
        return lines[0].split("|") if lines else []


def timed_query(db: Psql, sql: str, runs: int, budget_s: float = 10.0):
    """Median seconds of up to `runs` runs (one when the first exceeds budget_s), the
    last run's single result row and the run count."""
    times, row = [], None
    for _ in range(max(1, runs)):
        lines, secs = db.run(sql + "\n", timed=True)
        times.append(secs)
        row = lines[0].split("|")
        if times[0] > budget_s:
            break
    return statistics.median(times), row, len(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a database on the server to CREATE/DROP the throwaway database from")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-dbscan", action="store_true")
    ap.add_argument("--no-sphere-check", dest="sphere_check", action="store_false",
                    help="leave out the DBSCAN on the sphere's projection (a check, ~1 min)")
    args = ap.parse_args()
    csv = os.path.abspath(args.csv)

    admin = Psql(args.admin_url)
    name = f"diemnong_bench_postgis_{os.getpid()}"
    url, _, params = args.admin_url.partition("?")
    db = Psql(f"{url.rpartition('/')[0]}/{name}" + (f"?{params}" if params else ""))

    # Ctrl-C and kill end in the finally below, which drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    admin.run(f'CREATE DATABASE "{name}";\n')
    try:
        res = run(db, csv, args)
        res["database"] = f"{name} (created and dropped by this script)"
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}";\n')
    with open(args.json, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    return 0


def run(db: Psql, csv: str, args) -> dict:
    import h3.api.basic_int as h3
    import pandas as pd
    from pyproj import Transformer

    db.run("CREATE EXTENSION postgis;\n")
    pg, postgis, geos, proj = db.one(
        "SELECT current_setting('server_version'), postgis_lib_version(), "
        "postgis_geos_version(), postgis_proj_version();")
    versions = {"postgresql": pg, "postgis": postgis, "geos": geos, "proj": proj}
    print(f"PostGIS: PostgreSQL {pg}, PostGIS {postgis}, GEOS {geos}", flush=True)

    load: dict = {}
    # 1. The CSV as it is.
    db.run("""
CREATE TABLE incidents (
  id bigint GENERATED ALWAYS AS IDENTITY, external_id text, occurred_at timestamptz,
  category text, severity text, solved boolean, lon float8, lat float8, address text,
  ward text);
""")
    copy = (f"\\copy incidents (external_id, occurred_at, category, severity, solved, lon, "
            f"lat, address, ward) FROM '{csv}' WITH (FORMAT csv, HEADER true)\n")
    t0 = time.perf_counter()
    db.run(copy)
    load["copy_csv"] = time.perf_counter() - t0

    # 2. Each incident's H3 res-9 cell from h3-py, in file order (= id order).
    df = pd.read_csv(csv, usecols=["lon", "lat", "category"],
                     dtype={"lon": np.float64, "lat": np.float64, "category": str})
    n = len(df)
    t0 = time.perf_counter()
    f = h3.latlng_to_cell
    cells = np.fromiter((f(a, o, 9) for a, o in zip(df["lat"].tolist(), df["lon"].tolist())),
                        dtype=np.uint64, count=n)
    load["h3_latlng_to_cell_python"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "cells.csv")
        # H3 indexes are below 2^63: they fit PostgreSQL's signed bigint as they are.
        np.savetxt(path, np.column_stack((np.arange(1, n + 1, dtype=np.uint64), cells)),
                   fmt="%d", delimiter=",")
        db.run("CREATE TABLE h3_9 (id bigint PRIMARY KEY, cell bigint);\n")
        t0 = time.perf_counter()
        db.run(f"\\copy h3_9 FROM '{path}' WITH (FORMAT csv)\n")
        load["copy_cells"] = time.perf_counter() - t0

    # 3. The table the queries read; 4. its index and statistics.
    for key, sql in [
        ("table_with_utm_geometry", f"""
CREATE TABLE pts AS
SELECT i.id, i.category, c.cell AS h3_9,
       ST_Transform(ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326), {SRID})::geometry(Point, {SRID}) AS geom
FROM incidents i JOIN h3_9 c USING (id);
"""),
        ("gist_index", "CREATE INDEX pts_geom ON pts USING gist (geom);\n"),
        ("vacuum_analyze", "VACUUM ANALYZE pts;\n"),
    ]:
        t0 = time.perf_counter()
        db.run(sql)
        load[key] = time.perf_counter() - t0
    load["total"] = sum(load.values())
    rows = int(db.one("SELECT count(*) FROM pts;")[0])
    if rows != n:
        raise RuntimeError(f"{rows} rows loaded, {n} in the CSV")
    print("PostGIS load (not in the query times): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in load.items()), flush=True)

    comp: dict = {}
    # Counts per H3 res-9 cell (the column), checked per cell against numpy on h3-py's cells.
    occ, counts = np.unique(cells, return_counts=True)
    expected = dict(zip(occ.tolist(), counts.tolist()))
    occ_t, counts_t = np.unique(cells[(df["category"] == "theft").to_numpy()], return_counts=True)
    for key, where, exp in [("count_h3", "", expected),
                            ("count_h3_theft", "WHERE category = 'theft'",
                             dict(zip(occ_t.tolist(), counts_t.tolist())))]:
        inner = f"SELECT h3_9, count(*) AS n FROM pts {where} GROUP BY h3_9"
        secs, row, runs = timed_query(db, f"SELECT count(*), sum(n) FROM ({inner}) s;", args.runs)
        got, _ = db.run(f"\\copy ({inner}) TO STDOUT WITH (FORMAT csv)\n")
        per_cell = {int(c): int(k) for c, k in (ln.split(",") for ln in got)}
        same = per_cell == exp
        comp[key] = {"seconds": secs, "runs": runs, "cells": int(row[0]), "sum": int(row[1]),
                     "same_as_h3py": same}
        print(f"PostGIS {key}: {row[0]} cells, sum {row[1]}, {secs * 1e3:.1f} ms "
              f"(median of {runs}); per cell as numpy on h3-py's cells: {same}", flush=True)

    # Hexagons of the same area as a res-9 cell at the data's centre (a regular hexagon of
    # edge a has area 3√3/2·a²; ST_HexagonGrid's size is the edge).
    lat0, lon0 = float(df["lat"].mean()), float(df["lon"].mean())
    area = h3.cell_area(h3.latlng_to_cell(lat0, lon0, 9), "m^2")
    edge = math.sqrt(area / (3 * math.sqrt(3) / 2))
    hexq = f"""SELECT count(*), sum(n) FROM (
  SELECT h.i, h.j, count(*) AS n
  FROM ST_HexagonGrid({edge:.3f}, (SELECT ST_SetSRID(ST_Extent(geom)::geometry, {SRID}) FROM pts)) h
  JOIN pts p ON ST_Intersects(h.geom, p.geom)
  GROUP BY h.i, h.j) s;"""
    secs, row, runs = timed_query(db, hexq, args.runs)
    comp["count_hexgrid"] = {"seconds": secs, "runs": runs, "cells": int(row[0]),
                             "sum": int(row[1]), "edge_m": edge, "area_m2": area,
                             "note": "ST_HexagonGrid of the res-9 area: not H3's cells; a point "
                                     "on a shared edge counts in both hexagons"}
    print(f"PostGIS hexagon grid (edge {edge:.1f} m, {area:.0f} m²): {row[0]} hexagons, "
          f"sum {row[1]}, {secs * 1e3:.1f} ms (median of {runs})", flush=True)

    if not args.skip_dbscan:
        for eps, key, col, crs in [(50, "dbscan", "geom", "UTM 48N"),
                                   (100, "dbscan100", "geom", "UTM 48N"),
                                   (50, "dbscan_sphere", "geom_sphere", "sphere check")]:
            if col == "geom_sphere":
                if not args.sphere_check:
                    continue
                # Where a difference comes from: the same DBSCAN on an azimuthal
                # equidistant projection of the Rust's sphere (radius 6,371,008.8 m, lat/lon
                # taken as on the sphere, as the Rust takes them), centred on the data: its
                # planar distances are the haversine ones to ~1e-5 across the city (0.4 mm
                # at 50 m).
                aeqd = (f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +R={EARTH_RADIUS_M} "
                        "+units=m +no_defs")
                # As an SRID of this throwaway database (ST_Transform to a PROJ text
                # builds the transformation again for every row: minutes).
                t0 = time.perf_counter()
                db.run(f"INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, proj4text) "
                       f"VALUES ({SPHERE_SRID}, 'diemnong-bench', {SPHERE_SRID}, '{aeqd}');\n"
                       "CREATE TABLE pts_sphere AS SELECT id, ST_Transform(ST_SetSRID("
                       f"ST_MakePoint(lon, lat), 4326), {SPHERE_SRID}) AS geom FROM incidents;\n")
                column_s = time.perf_counter() - t0
            table = "pts_sphere" if col == "geom_sphere" else "pts"
            q = (f"SELECT count(DISTINCT cid), count(*) FILTER (WHERE cid IS NULL) FROM ("
                 f"SELECT ST_ClusterDBSCAN(geom, {eps}, 10) OVER () AS cid FROM {table}) s;")
            secs, row, runs = timed_query(db, q, 3)
            comp[key] = {"seconds": secs, "runs": runs, "clusters": int(row[0]),
                         "noise": int(row[1]), "eps_m": eps}
            if col == "geom_sphere":
                comp[key].update(projection=aeqd, column_seconds=column_s)
            print(f"PostGIS ST_ClusterDBSCAN eps {eps} m, minpoints 10 ({crs}): {row[0]} "
                  f"clusters, {row[1]} noise, {secs:.2f} s ({runs} run"
                  f"{'s, median' if runs > 1 else ''})", flush=True)

    # How far UTM 48N's planar metres are from the Rust's haversine metres at the centre.
    tr = Transformer.from_crs(4326, SRID, always_xy=True)
    x0, y0 = tr.transform(lon0, lat0)
    step = math.degrees(50.0 / EARTH_RADIUS_M)
    ns = math.dist((x0, y0), tr.transform(lon0, lat0 + step))
    ew = math.dist((x0, y0), tr.transform(lon0 + step / math.cos(math.radians(lat0)), lat0))
    return {"versions": versions, "incidents": n, "crs": f"EPSG:{SRID} (UTM zone 48N)",
            "settings": SESSION.strip().replace("\n", " "), "load_seconds": load,
            "computations": comp,
            "utm_metres_of_50m_haversine": {"north_south": ns, "east_west": ew,
                                            "at": [lon0, lat0]}}


if __name__ == "__main__":
    sys.exit(main())
