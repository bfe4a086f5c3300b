#!/usr/bin/env python3
"""The analysis bench's computations done the way an analyst would in Python, timed.

This is the Python side of `cargo bench --bench analysis` (benches/analysis.rs): the same
1,000,000 generated incidents (seed 138), the same parameters, so the Rust figures in
BENCHMARKS.md have a reference. Run it from the repository root in a venv with the pinned
packages (scripts/bench/requirements.txt; scripts/bench-analysis.sh does all of this)::

    python scripts/bench/python_compare.py [--csv PATH] [--json out.json]

The CSV defaults to the one the Rust bench writes, $TMPDIR/diemnong-bench-1000000/incidents.csv
(Rust's std::env::temp_dir and Python's tempfile.gettempdir both honour TMPDIR). The CLI
`diemnong sample --incidents 1000000 --end 2024-12-31` writes a byte-identical file.

What is timed (time.perf_counter; the median of a few runs when a run is short, one run when
it is long; the number of runs is printed). Loading the CSV is timed on its own and left out
of every other figure, as the Rust bench leaves out its CSV parsing and index build.

* cell assignment: h3.latlng_to_cell(lat, lon, res) for every incident, at res 9 (Gi*, KDE)
  and res 8 (emerging): each incident goes to the cell that contains it, as the server and
  every H3 tool count it. Timed on its own (one h3-py call a point) and left out of the
  computations below, as the Rust bench leaves out its index build.
* counts per res-9 cell, all incidents and category = theft: np.unique over the res-9 cells
  (given, as the Rust index and the PostGIS column hold them; the theft filter on the
  category's integer codes is timed with it), to stand beside the Rust's pass and time
  cube and PostGIS's GROUP BY (scripts/bench/postgis_compare.py).
* Gi*, res 9, k 1, study set "kring": counting per cell (np.unique), the study set
  (every occupied cell and its k-disk, empty cells count 0), a libpysal W built from
  h3.grid_disk (binary, self included), esda G_Local(transform='B', star=True,
  permutations=0), two-sided p and Benjamini-Hochberg q as the Rust computes them.
* KDE, quartic, 500 m, res 9: candidate cell centres = k-disks of the occupied cells (k as
  src/analysis/kde.rs chooses it), cKDTree.query_ball_point per centre on 3D unit vectors
  (chord radius 2 sin(h/2R)), great-circle distances from the chords and the kernel summed
  with numpy.
  The tree build is reported apart (the Rust R-tree is part of its index, built untimed).
* DBSCAN, eps 50 m, min_samples 10: scikit-learn, metric='haversine', algorithm='ball_tree',
  one core (the Rust is single-threaded), in a child process so that its peak resident
  memory is its own. eps 100 m is not run: scikit-learn keeps every point's neighbour list
  and needs more than 15 GB there.
* Emerging hot spots cube, res 8, 24 monthly slices (2023-01 .. 2024-12 in
  Asia/Ho_Chi_Minh), k 1, time_k 1: space-time Gi* over the whole cube with scipy.sparse
  products, per-slice BH, and the Mann-Kendall trend of each cell's z series. The Rust
  also sorts each cell into one of 17 categories; that last step is not reproduced here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata

import numpy as np

# Only numpy is imported at module level: the DBSCAN child process (below) runs this same
# file and must not carry pandas, geopandas or esda in the resident memory it reports.

EARTH_RADIUS_M = 6_371_008.8  # the IUGG mean radius, as in src/analysis/kde.rs and dbscan.rs
N_DEFAULT = 1_000_000
PACKAGES = ["numpy", "scipy", "pandas", "h3", "libpysal", "esda", "scikit-learn"]

# ---------------------------------------------------------------------------------------
# Timing


def timed(fn, runs: int, budget_s: float = 2.0):
    """Median wall time of up to `runs` calls of fn, and fn's last result.

    A first call longer than `budget_s` is not repeated: expensive steps get one run, cheap
    ones the median of several (the machine is shared and noisy). When fn returns a dict
    with "parts" (sub-step times), the result's parts become the per-part medians."""
    times = []
    parts = []
    out = None
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if isinstance(out, dict) and "parts" in out:
            parts.append(out["parts"])
        if times[0] > budget_s:
            break
    if parts:
        out["parts"] = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    return statistics.median(times), len(times), out


# ---------------------------------------------------------------------------------------
# Data


def default_csv(n: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"diemnong-bench-{n}", "incidents.csv")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path: str):
    """lon, lat (degrees), occurred_at (Unix seconds), harm (days) as numpy arrays, and the
    category as a pandas Categorical (integer codes, as an analyst would keep it).

    The header is external_id, occurred_at, category, severity, solved, lon, lat, address,
    ward; the bench reads the same columns (1, 5, 6). occurred_at is RFC 3339 with an offset
    (+07:00), so it parses to an exact instant."""
    import pandas as pd

    df = pd.read_csv(
        path,
        usecols=["occurred_at", "category", "severity", "lon", "lat"],
        dtype={"lon": np.float64, "lat": np.float64, "occurred_at": str, "severity": str,
               "category": "category"},
    )
    t = pd.to_datetime(df["occurred_at"], format="ISO8601", utc=True)
    secs = t.dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    harm = df["severity"].map(HARM_DAYS).to_numpy(dtype=np.float64)
    return df["lon"].to_numpy(), df["lat"].to_numpy(), secs, harm, df["category"].array


# diemnong's default harm weights in days, by class (src/domain/harm.rs).
HARM_DAYS = {"less_serious": 548.0, "serious": 1826.0, "very_serious": 4018.0,
             "especially_serious": 6392.0}


# ---------------------------------------------------------------------------------------
# H3 helpers. The integer API (cells as 64-bit ints) maps straight onto numpy uint64 arrays,
# which makes counting a sort instead of a dict of strings.

def assign_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """h3.latlng_to_cell for every point (h3-py has no vectorised form: one call a point)."""
    import h3.api.basic_int as h3

    f = h3.latlng_to_cell
    return np.fromiter(
        (f(a, o, res) for a, o in zip(lat.tolist(), lon.tolist())),
        dtype=np.uint64,
        count=len(lat),
    )


def study_cells(occupied: np.ndarray, k: int) -> np.ndarray:
    """Every occupied cell and every cell of its k-disk, sorted (= by the 64-bit index)."""
    import h3.api.basic_int as h3

    out = set()
    for c in occupied.tolist():
        out.update(h3.grid_disk(c, k))
    return np.array(sorted(out), dtype=np.uint64)


def disk_neighbours(cells: np.ndarray, k: int) -> dict[int, list[int]]:
    """For each cell (by position), the positions of its k-disk cells that are in `cells`,
    itself included (Gi*'s "star")."""
    import h3.api.basic_int as h3

    pos = {c: i for i, c in enumerate(cells.tolist())}
    return {
        i: [pos[d] for d in h3.grid_disk(c, k) if d in pos]
        for i, c in enumerate(cells.tolist())
    }


def two_sided_p(z: np.ndarray) -> np.ndarray:
    from scipy.stats import norm

    return 2.0 * norm.sf(np.abs(z))


# ---------------------------------------------------------------------------------------
# 1. Gi*


def gi_star(cells9: np.ndarray, k: int = 1, weights: np.ndarray | None = None) -> dict:
    """Gi* on the res-9 cells of the incidents (latlng_to_cell(lat, lon, 9)); with
    `weights`, on each cell's sum of them (harm)."""
    from esda import G_Local
    from libpysal.weights import W
    from scipy.stats import false_discovery_control

    t0 = time.perf_counter()
    occ, inv = np.unique(cells9, return_inverse=True)
    counts = np.bincount(inv, weights=weights)
    t1 = time.perf_counter()
    cells = study_cells(occ, k)
    y = np.zeros(len(cells))
    y[np.searchsorted(cells, occ)] = counts
    w = W(disk_neighbours(cells, k), silence_warnings=True)
    t2 = time.perf_counter()
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    p = two_sided_p(g.Zs)
    q = false_discovery_control(p, method="bh")
    t3 = time.perf_counter()
    parts = {"counting": t1 - t0, "study_set_and_W": t2 - t1, "G_Local_p_q": t3 - t2}
    return {"cells": cells, "y": y, "z": g.Zs, "p": p, "q": q, "occupied": len(occ),
            "parts": parts}


def moran_local(cells9: np.ndarray, k: int = 1, permutations: int = 999) -> dict:
    """Local Moran's I on the res-9 counts, esda's Moran_Local with row-standardised k-disk
    weights (self excluded) and `permutations` conditional permutations, as an analyst
    runs it (n_jobs=1, esda's default)."""
    from esda import Moran_Local
    from libpysal.weights import W

    t0 = time.perf_counter()
    occ, counts = np.unique(cells9, return_counts=True)
    cells = study_cells(occ, k)
    y = np.zeros(len(cells))
    y[np.searchsorted(cells, occ)] = counts
    nb = {i: [j for j in js if j != i] for i, js in disk_neighbours(cells, k).items()}
    w = W(nb, silence_warnings=True)
    t1 = time.perf_counter()
    m = Moran_Local(y, w, transformation="r", permutations=permutations, seed=0)
    t2 = time.perf_counter()
    return {"cells": cells, "Is": m.Is, "p_sim": m.p_sim, "q": m.q,
            "parts": {"counting_study_set_and_W": t1 - t0, "Moran_Local": t2 - t1}}


def gi_reference_z(cells: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """The formula of src/analysis/gistar.rs with numpy, to check esda's Zs (untimed)."""
    nb = disk_neighbours(cells, k)
    n = len(y)
    mean = y.mean()
    s = np.sqrt((y * y).mean() - mean * mean)
    local = np.array([y[nb[i]].sum() for i in range(n)])
    wi = np.array([len(nb[i]) for i in range(n)], dtype=float)
    return (local - mean * wi) / (s * np.sqrt((n * wi - wi * wi) / (n - 1)))


# ---------------------------------------------------------------------------------------
# 2. KDE


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    c = np.cos(la)
    return np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def kde_candidates(occupied: list[int], support_m: float) -> np.ndarray:
    """Every cell whose centre may lie within support_m of a point of an occupied cell: its
    k-disk with k = ceil((s + radius) / (0.9 * 1.5 * shortest edge)) + 1, the bound
    src/analysis/kde.rs uses (so both sides evaluate a superset of the same cells)."""
    import h3.api.basic_int as h3

    out = set()
    for c in occupied:
        centre = h3.cell_to_latlng(c)
        edge = min(h3.edge_length(e, "m") for e in h3.origin_to_directed_edges(c))
        radius = max(h3.great_circle_distance(centre, v, "m") for v in h3.cell_to_boundary(c))
        k = int(np.ceil((support_m + radius) / (0.9 * 1.5 * edge))) + 1
        out.update(h3.grid_disk(c, k))
    return np.array(sorted(out), dtype=np.uint64)


def kde_quartic(tree, cells9: np.ndarray, h_m: float) -> dict:
    """Quartic KDE at res-9 cell centres, incidents per km², positive cells only.

    One ball query per candidate centre, then that centre's kernel sum in numpy. (One
    batched query with every centre's hits flattened into a single array was slower here:
    the 6.5 million hit rows and their copies no longer fit in cache, 1.2-2.7 s against
    ~0.8 s, and cost ~400 MB more.)"""
    import h3.api.basic_int as h3

    t0 = time.perf_counter()
    occ = np.unique(cells9)
    cand = kde_candidates(occ.tolist(), h_m)
    centres = np.array([h3.cell_to_latlng(c) for c in cand.tolist()])
    cxyz = unit_vectors(centres[:, 0], centres[:, 1])
    t1 = time.perf_counter()
    # Chord of the support: points with chord <= this are within h on the sphere (the
    # ball query is inclusive; d < h is enforced below on the exact distance).
    chord = 2.0 * np.sin(h_m / (2.0 * EARTH_RADIUS_M))
    data = tree.data
    sums = np.zeros(len(cand))
    pairs = 0
    t_query = 0.0
    for i, c in enumerate(cxyz):
        tq = time.perf_counter()
        hit = tree.query_ball_point(c, r=chord, return_sorted=False)
        t_query += time.perf_counter() - tq
        if not hit:
            continue
        pairs += len(hit)
        # Great-circle distance from the chord: d = 2R asin(|p - c| / 2), the same number
        # as the haversine of lat/lon (the identity is exact).
        diff = data[hit] - c
        d = 2.0 * EARTH_RADIUS_M * np.arcsin(
            np.minimum(np.sqrt(np.einsum("ij,ij->i", diff, diff)) / 2.0, 1.0))
        u = 1.0 - (d[d < h_m] / h_m) ** 2
        sums[i] = (u * u).sum()
    density = sums * (3.0 / (np.pi * h_m * h_m) * 1e6)
    keep = density > 0.0
    t2 = time.perf_counter()
    return {
        "parts": {"candidates_and_centres": t1 - t0, "ball_queries": t_query,
                  "distances_and_sums": t2 - t1 - t_query},
        "cells": cand[keep],
        "density": density[keep],
        "candidates": len(cand),
        "pairs": pairs,
    }


def kde_reference(lat, lon, cells: np.ndarray, h_m: float) -> np.ndarray:
    """Brute-force quartic density at the given cells: haversine from lat/lon to every
    point, as src/analysis/kde.rs writes it (untimed check)."""
    import h3.api.basic_int as h3

    p2, l2 = np.radians(lat), np.radians(lon)
    out = []
    for c in cells.tolist():
        la, lo = (np.radians(v) for v in h3.cell_to_latlng(c))
        a = np.sin((p2 - la) / 2) ** 2 + np.cos(la) * np.cos(p2) * np.sin((l2 - lo) / 2) ** 2
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        u = 1 - (d[d < h_m] / h_m) ** 2
        out.append((u * u).sum() * 3 / (np.pi * h_m * h_m) * 1e6)
    return np.array(out)


# ---------------------------------------------------------------------------------------
# 3. DBSCAN, in a child process


def dbscan_child(npy: str, eps_m: float, min_samples: int) -> None:
    """Runs in a fresh interpreter (numpy + scikit-learn only); prints one JSON line."""
    from sklearn.cluster import DBSCAN

    x = np.load(npy)

    def vm(field: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    before = vm("VmRSS")
    t0 = time.perf_counter()
    labels = DBSCAN(
        eps=eps_m / EARTH_RADIUS_M,
        min_samples=min_samples,
        metric="haversine",
        algorithm="ball_tree",
        n_jobs=1,
    ).fit(x).labels_
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": secs,
                "clusters": int(labels.max() + 1),
                "noise": int((labels < 0).sum()),
                "points": int(len(labels)),
                "rss_before_fit_bytes": before,
                "peak_rss_bytes": peak,
            }
        )
    )


def dbscan(lat: np.ndarray, lon: np.ndarray, eps_m: float, min_samples: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        npy = os.path.join(d, "latlon_rad.npy")
        np.save(npy, np.radians(np.column_stack((lat, lon))))
        r = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--dbscan-child", npy,
             "--eps-m", str(eps_m), "--min-samples", str(min_samples)],
            capture_output=True, text=True,
        )
    if r.returncode != 0:
        sys.exit(f"DBSCAN child process failed ({r.returncode}):\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# 4. Emerging hot spots cube


def month_bounds(first: str, end: str, tz: str) -> np.ndarray:
    """Unix seconds of local midnight on the first of each month, first .. end inclusive."""
    import pandas as pd

    b = pd.date_range(first, end, freq="MS", tz=tz)
    return b.tz_convert(None).to_numpy().astype("datetime64[s]").astype(np.int64)


def mann_kendall_rows(z: np.ndarray):
    """Mann-Kendall S, Z and two-sided p of each row (tie-corrected, continuity ±1, as
    src/analysis/mann_kendall.rs and pymannkendall's original_test), vectorised."""
    from scipy.stats import norm

    rows, n = z.shape
    iu, ju = np.triu_indices(n, 1)
    s = np.sign(z[:, ju] - z[:, iu]).sum(axis=1)
    # Tie groups: in each sorted row, runs of equal values.
    srt = np.sort(z, axis=1)
    new = np.ones_like(srt, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    group = np.cumsum(new, axis=1) - 1 + (np.arange(rows) * n)[:, None]
    t = np.bincount(group.ravel(), minlength=rows * n).reshape(rows, n).astype(float)
    ties = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        zmk = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    zmk = np.where(var > 0, zmk, np.nan)
    return s, zmk, 2.0 * norm.sf(np.abs(zmk))


def emerging(cells8: np.ndarray, secs: np.ndarray, bounds: np.ndarray,
             k: int = 1, time_k: int = 1, alpha: float = 0.05) -> dict:
    """Space-time Gi* on the res-8 cells of the incidents (latlng_to_cell(lat, lon, 8))."""
    import scipy.sparse as sp
    from scipy.stats import false_discovery_control

    t0 = time.perf_counter()
    t_n = len(bounds) - 1
    inside = (secs >= bounds[0]) & (secs < bounds[-1])
    slice_ = np.searchsorted(bounds, secs[inside], side="right") - 1
    occ, inv = np.unique(cells8[inside], return_inverse=True)
    cells = study_cells(occ, k)
    n_cells = len(cells)
    ci = np.searchsorted(cells, occ)[inv]
    x = np.bincount(ci * t_n + slice_, minlength=n_cells * t_n).astype(float)
    x = x.reshape(n_cells, t_n)
    t1 = time.perf_counter()
    # Cylinder sums: spatial k-disk (self included) times the current and time_k previous
    # slices, i.e. A @ X @ B^T with A the binary disk adjacency and B lower-banded.
    nb = disk_neighbours(cells, k)
    rows = np.repeat(np.arange(n_cells), [len(nb[i]) for i in range(n_cells)])
    cols = np.fromiter((j for i in range(n_cells) for j in nb[i]), dtype=np.int64)
    a = sp.csr_array((np.ones(len(cols)), (rows, cols)), shape=(n_cells, n_cells))
    b = sp.csr_array(
        sum(np.eye(t_n, k=-d) for d in range(time_k + 1))  # b[s, u] = 1 for s-time_k <= u <= s
    )
    t2 = time.perf_counter()
    local = (a @ x) @ b.T
    w = np.outer(a.sum(axis=1), b.sum(axis=1))  # existing neighbours of each bin
    nf = float(x.size)
    mean = x.mean()
    sd = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    denom = sd * np.sqrt((nf * w - w * w) / (nf - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (local - mean * w) / denom, 0.0)
    t3 = time.perf_counter()
    p = two_sided_p(z)
    q = false_discovery_control(p, axis=0, method="bh")  # per slice (columns)
    bins = np.where(q <= alpha, np.sign(z), 0).astype(np.int8)
    mk_s, mk_z, mk_p = mann_kendall_rows(z)
    t4 = time.perf_counter()
    parts = {"slicing_counting_study_set": t1 - t0, "adjacency": t2 - t1,
             "gi_z": t3 - t2, "bh_and_mann_kendall": t4 - t3}
    return {"parts": parts, "cells": cells, "x": x, "z": z, "bins": bins, "mk_s": mk_s, "mk_p": mk_p}


def emerging_reference_z(cells: np.ndarray, x: np.ndarray, k: int, time_k: int) -> np.ndarray:
    """The loops of src/analysis/cube.rs in plain Python, to check the sparse version."""
    nb = disk_neighbours(cells, k)
    n_cells, t_n = x.shape
    nf = float(x.size)
    mean = x.mean()
    sd = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    z = np.zeros_like(x)
    for ci in range(n_cells):
        for s in range(t_n):
            block = x[nb[ci], max(0, s - time_k): s + 1]
            w = float(block.size)
            denom = sd * np.sqrt((nf * w - w * w) / (nf - 1.0))
            z[ci, s] = (block.sum() - mean * w) / denom if denom > 0 else 0.0
    return z


# ---------------------------------------------------------------------------------------


def record_keys(n: int) -> np.ndarray:
    """The keys the Rust bench's index gives rows 1…n (src/index/rows.rs `derived_key`:
    splitmix64 of the id, low 32 bits), as uint64."""
    z = np.arange(1, n + 1, dtype=np.uint64) ^ np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z & np.uint64(0xFFFFFFFF)


def published_counts(cells: np.ndarray, keys: np.ndarray, table: dict) -> dict:
    """The cell-key method with numpy: per cell its count and key (the sum of its records'
    keys mod 2^32; the float64 sums are exact below 2^53), then the p-table entry whose key
    range holds the cell key, in the row min(count, imax); zeros dropped."""
    t0 = time.perf_counter()
    occ, inv, counts = np.unique(cells, return_inverse=True, return_counts=True)
    ksum = np.bincount(inv, weights=keys.astype(np.float64))
    ckey = ksum.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    t1 = time.perf_counter()
    imax = table["imax"]
    rows = np.minimum(counts, imax)
    out = counts.astype(np.int64)
    for i in range(imax + 1):
        ub = np.array([e[2] for e in table["entries"] if e[0] == i], dtype=np.uint64)
        v = np.array([e[1] for e in table["entries"] if e[0] == i], dtype=np.int64)
        sel = rows == i
        at = np.minimum(np.searchsorted(ub, ckey[sel], side="right"), len(ub) - 1)
        out[sel] = counts[sel] + v[at]
    keep = out > 0
    t2 = time.perf_counter()
    return {"cells": occ[keep], "counts": out[keep],
            "parts": {"count_and_key": t1 - t0, "perturb": t2 - t1}}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def fmt_s(s: float) -> str:
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", help="incidents.csv (default: the Rust bench's file for -n)")
    ap.add_argument("-n", type=int, default=N_DEFAULT, help="incidents, to find the default CSV")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--runs", type=int, default=5, help="runs of each cheap step (median)")
    ap.add_argument("--skip-dbscan", action="store_true")
    ap.add_argument("--dbscan-child", help=argparse.SUPPRESS)
    ap.add_argument("--eps-m", type=float, default=50.0, help="DBSCAN eps in metres")
    ap.add_argument("--min-samples", type=int, default=10)
    args = ap.parse_args()

    if args.dbscan_child:
        dbscan_child(args.dbscan_child, args.eps_m, args.min_samples)
        return 0

    warnings.filterwarnings("ignore", category=FutureWarning)
    path = args.csv or default_csv(args.n)
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run `cargo bench --bench analysis` or "
                 f"`diemnong sample --incidents {args.n} --end 2024-12-31 --out DIR` first")
    res: dict = {
        "csv": os.path.abspath(path),
        "csv_sha256": sha256(path),
        "versions": versions(),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
    }
    comp: dict = {}
    res["computations"] = comp
    rows = []  # (name, seconds, runs, result, step medians or None), for the table

    def record(key, name, secs, runs, result, **extra):
        comp[key] = {"seconds": secs, "runs": runs, "result": result, **extra}
        rows.append((name, secs, runs, result, extra.get("parts_median")))

    # Import everything before the first timer starts: the computations import lazily
    # (see the note at the top), and a first run must not pay for esda's import.
    import esda  # noqa: F401
    import h3.api.basic_int as h3
    import libpysal.weights  # noqa: F401
    import scipy.sparse  # noqa: F401
    import scipy.stats  # noqa: F401
    from scipy.spatial import cKDTree

    t0 = time.perf_counter()
    lon, lat, secs, harm, category = load(path)
    res["load_seconds"] = time.perf_counter() - t0
    res["incidents"] = n = len(lon)
    print(f"{n} incidents from {path} (sha256 {res['csv_sha256'][:16]}…), "
          f"loaded in {fmt_s(res['load_seconds'])} (not counted below)", flush=True)

    # Cell assignment, the containing cell at each analysed resolution. 1M Python-level
    # calls each: one run each.
    s, r, cells9 = timed(lambda: assign_cells(lat, lon, 9), 1)
    record("cell_assignment", "cell assignment, latlng_to_cell res 9", s, r,
           f"{n} points", checks={"occupied_cells_res9": len(np.unique(cells9))})
    s8, r8, cells8 = timed(lambda: assign_cells(lat, lon, 8), 1)
    record("cell_assignment_res8", "cell assignment, latlng_to_cell res 8", s8, r8,
           f"{n} points", checks={"occupied_cells_res8": len(np.unique(cells8))})

    # 0. Counts per res-9 cell, the cells given (as the Rust index and the PostGIS column
    # hold them): np.unique over the cell column, all incidents and category = theft.
    s, r, (occ, cnt) = timed(lambda: np.unique(cells9, return_counts=True), args.runs)
    record("count_res9", "count per res-9 cell, all incidents (cells given)", s, r,
           f"{len(occ)} cells", cells=len(occ), sum=int(cnt.sum()))
    theft = category.categories.get_loc("theft")
    s, r, (occ, cnt) = timed(
        lambda: np.unique(cells9[category.codes == theft], return_counts=True), args.runs)
    record("count_res9_theft", "count per res-9 cell, category = theft (cells given)", s, r,
           f"{len(occ)} cells", cells=len(occ), sum=int(cnt.sum()))

    # 1. Gi*
    s, r, g = timed(lambda: gi_star(cells9), args.runs)
    ref = gi_reference_z(g["cells"], g["y"], 1)
    record("gi_star", "Gi* res 9, k 1, kring (counting included)", s, r,
           f"{len(g['cells'])} cells",
           cells=len(g["cells"]), parts_median=g["parts"],
           checks={"occupied_cells": g["occupied"],
                   "incidents_counted": int(g["y"].sum()),
                   "max_abs_diff_vs_formula": float(np.max(np.abs(g["z"] - ref))),
                   "z_max": float(g["z"].max()), "z_min": float(g["z"].min()),
                   "hot_q_le_0.05": int(((g["q"] <= 0.05) & (g["z"] > 0)).sum()),
                   "cold_q_le_0.05": int(((g["q"] <= 0.05) & (g["z"] < 0)).sum())})

    s, r, g = timed(lambda: gi_star(cells9, weights=harm), args.runs)
    ref = gi_reference_z(g["cells"], g["y"], 1)
    record("gi_star_harm", "Gi* res 9, k 1, kring, harm (counting included)", s, r,
           f"{len(g['cells'])} cells",
           cells=len(g["cells"]), parts_median=g["parts"],
           checks={"harm_total_days": float(g["y"].sum()),
                   "max_abs_diff_vs_formula": float(np.max(np.abs(g["z"] - ref)))})

    # 1b. Local Moran's I, 999 permutations (one run: tens of seconds).
    s, r, mo = timed(lambda: moran_local(cells9), 1)
    record("moran", "local Moran res 9, k 1, kring, 999 permutations (one run)", s, r,
           f"{len(mo['cells'])} cells", cells=len(mo["cells"]), parts_median=mo["parts"],
           checks={"HH_p_le_0.05": int(((mo["q"] == 1) & (mo["p_sim"] <= 0.05)).sum()),
                   "HL_p_le_0.05": int(((mo["q"] == 4) & (mo["p_sim"] <= 0.05)).sum()),
                   "I_max": float(np.max(mo["Is"]))})

    # 2. KDE
    xyz = unit_vectors(lat, lon)
    st, rt, tree = timed(lambda: cKDTree(xyz), 3)
    record("kde_tree_build", "KDE: cKDTree build (unit vectors given)", st, rt, f"{n} points")
    s, r, kd = timed(lambda: kde_quartic(tree, cells9, 500.0), 3, budget_s=5.0)
    # Check 20 cells (the densest and 19 others) against the brute-force haversine sum.
    pick = np.unique(np.r_[kd["density"].argmax(),
                           np.random.default_rng(0).choice(len(kd["cells"]), 19)])
    ref = kde_reference(lat, lon, kd["cells"][pick], 500.0)
    record("kde", "KDE quartic 500 m, res 9 (tree excluded)", s, r,
           f"{len(kd['cells'])} cells", cells=len(kd["cells"]), parts_median=kd["parts"],
           checks={"candidates": kd["candidates"], "pairs_in_reach": kd["pairs"],
                   "max_density_per_km2": float(kd["density"].max()),
                   "sum_density_per_km2": float(kd["density"].sum()),
                   "max_rel_diff_vs_haversine_20_cells":
                       float(np.max(np.abs(kd["density"][pick] - ref) / ref)),
                   "max_density_cell": h3.int_to_str(int(kd["cells"][kd["density"].argmax()]))})

    # 2b. The counts anonymous callers are published (issue 18), with the same keys and
    # the same p-table the Rust bench used (it writes the table next to the CSV).
    ptable_path = os.path.join(os.path.dirname(os.path.abspath(path)), "ptable.json")
    if os.path.exists(ptable_path):
        with open(ptable_path) as f:
            table = json.load(f)
        keys = record_keys(n)
        s, r, pc = timed(lambda: published_counts(cells9, keys, table), args.runs)
        record("published", "published counts res 9, all time (cell-key method)", s, r,
               f"{len(pc['cells'])} cells, sum {int(pc['counts'].sum())}",
               cells=len(pc["cells"]), sum=int(pc["counts"].sum()), parts_median=pc["parts"],
               checks={"smallest_published": int(pc["counts"].min())})

    # 3. DBSCAN
    if args.skip_dbscan:
        comp["dbscan"] = None
    else:
        db = dbscan(lat, lon, args.eps_m, args.min_samples)
        record("dbscan", f"DBSCAN eps {args.eps_m:g} m, min_samples {args.min_samples} "
               "(sklearn, one run)", db["seconds"], 1,
               f"{db['clusters']} clusters, {db['noise']} noise, "
               f"peak RSS {db['peak_rss_bytes'] / 2**20:.0f} MiB",
               clusters=db["clusters"], noise=db["noise"],
               peak_rss_bytes=db["peak_rss_bytes"],
               rss_before_fit_bytes=db["rss_before_fit_bytes"],
               note="eps 100 m is not run: scikit-learn holds every neighbour list "
                    "(more than 15 GB on this data)")

    # 4. Emerging
    bounds = month_bounds("2023-01-01", "2025-01-01", "Asia/Ho_Chi_Minh")
    s, r, em = timed(lambda: emerging(cells8, secs, bounds), args.runs)
    ref = emerging_reference_z(em["cells"], em["x"], 1, 1)
    record("emerging", "emerging res 8, 24 monthly slices, k 1, time_k 1", s, r,
           f"{len(em['cells'])} cells", cells=len(em["cells"]), parts_median=em["parts"],
           checks={"slices": len(bounds) - 1, "bins": int(em["x"].size),
                   "incidents_in_cube": int(em["x"].sum()),
                   "hot_bins": int((em["bins"] > 0).sum()),
                   "cold_bins": int((em["bins"] < 0).sum()),
                   "cells_with_mk_p_le_0.05": int((em["mk_p"] <= 0.05).sum()),
                   "z_max": float(em["z"].max()),
                   "max_abs_diff_vs_loops": float(np.max(np.abs(em["z"] - ref)))},
           note="17-category classification not reproduced")

    res["python_peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    width = max(len(x[0]) for x in rows)
    print(f"\nPython, {n} incidents; load {fmt_s(res['load_seconds'])} (excluded)")
    print(f"{'computation':<{width}}  {'time':>10}  runs  result")
    for name, s, r, result, parts in rows:
        print(f"{name:<{width}}  {fmt_s(s):>10}  {r:>4}  {result}")
        if parts:
            print("    medians of the steps: "
                  + ", ".join(f"{k} {fmt_s(v)}" for k, v in parts.items()))
    v = res["versions"]
    print("versions: " + ", ".join(f"{k} {v[k]}" for k in v))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
