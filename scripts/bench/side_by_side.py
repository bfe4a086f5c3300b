#!/usr/bin/env python3
"""Rust, Python and PostGIS side by side: the output of `cargo bench --bench analysis`, the
JSON of python_compare.py and (when given) the JSON of postgis_compare.py, as one Markdown
table with each time's ratio to the Rust's and whether each result is the Rust's.

    python scripts/bench/side_by_side.py RUST_OUTPUT.txt PYTHON.json [POSTGIS.json]

Only the standard library: it parses the bench's lines with regular expressions, which
follow its println! formats (the numbers change as the Rust is optimised; the wording
does not), e.g.

    time cube: count res 9 all time: 2933 cells, pass 3.72 ms, cube 0.013 ms; keyed …
    count res 9, category=theft: 2926 cells, 5.97 ms
    gi* res 9 k 1 Kring: 3163 cells, 2.48 ms (counting included)
    kde quartic 500 m res 9: 3119 cells, 318.00 ms
    emerging res 8, 24 monthly slices, k 1, time_k 1: 542 cells, 52.00 ms
    dbscan eps 50 m, min_points 10: 1771 clusters, 60408 noise, 1620 ms (one run)
"""

from __future__ import annotations

import json
import re
import sys

NUM = r"([\d,]+)"
MS = r"([\d.,]+) ms"
COUNT9 = rf"time cube: count res 9 all time: {NUM} cells, pass {MS}, cube {MS}"

# (label, regex over the Rust output, how to read its groups, python key, postgis key)
ROWS = [
    ("count per res-9 cell, all (Rust: a pass over the rows)", COUNT9, "pass",
     "count_res9", "count_h3"),
    ("count per res-9 cell, all (Rust: the time cube)", COUNT9, "cube",
     "count_res9", "count_h3"),
    ("count per res-9 cell, `category=theft` (Rust: its attribute cube, built by the first such query)",
     rf"count res 9, category=theft: {NUM} cells, {MS}", "cells",
     "count_res9_theft", "count_h3_theft"),
    ("count per hexagon of res-9 area (PostGIS: ST_HexagonGrid join; Rust: res-9 pass)",
     COUNT9, "pass", None, "count_hexgrid"),
    ("Gi* res 9, k 1, kring", rf"gi\* res 9 k 1 Kring: {NUM} cells, {MS}", "cells",
     "gi_star", None),
    ("Gi* res 9, k 1, kring, harm", rf"gi\* res 9 k 1 Kring harm: {NUM} cells, {MS}", "cells",
     "gi_star_harm", None),
    ("local Moran res 9, k 1, 999 perm.",
     rf"moran res 9 k 1 Kring, 999 permutations: {NUM} cells, {MS}", "cells", "moran", None),
    ("KDE quartic 500 m, res 9", rf"kde quartic 500 m res 9: {NUM} cells, {MS}", "cells",
     "kde", None),
    ("DBSCAN eps 50 m, min 10",
     rf"dbscan eps 50 m, min_points 10: {NUM} clusters, {NUM} noise, {MS}", "dbscan",
     "dbscan", "dbscan"),
    ("DBSCAN eps 100 m, min 10",
     rf"dbscan eps 100 m, min_points 10: {NUM} clusters, {NUM} noise, {MS}", "dbscan",
     None, "dbscan100"),
    ("DBSCAN eps 50 m, min 10, PostGIS on the sphere (check: aeqd, R 6,371,008.8 m)",
     rf"dbscan eps 50 m, min_points 10: {NUM} clusters, {NUM} noise, {MS}", "dbscan",
     None, "dbscan_sphere"),
    ("published counts res 9 (cell key)",
     rf"public: count res 9 all time: {NUM} cells, plain {MS}, keyed {MS}, published {MS} "
     rf"\({NUM} cells shown, sum {NUM}\)", "published", "published", None),
    ("emerging res 8, 24 months",
     rf"emerging res 8, 24 monthly slices, k 1, time_k 1: {NUM} cells, {MS}", "cells",
     "emerging", None),
]


def num(s: str) -> float:
    return float(s.replace(",", ""))


def fmt_s(s: float) -> str:
    if s < 1e-4:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def fmt_n(n: int) -> str:
    return f"{n:,}"


def signed(d: int) -> str:
    return f"{d:+,}".replace("-", "−")


def pct(d: int, of: int) -> str:
    return f"{100 * d / of:+.1f}%".replace("-", "−") if of else ""


def rust_row(text: str, rx: str, kind: str) -> dict | None:
    m = re.search(rx, text)
    if not m:
        return None
    g = m.groups()
    if kind == "published":
        return {"result": f"{fmt_n(int(num(g[4])))} cells, sum {fmt_n(int(num(g[5])))}",
                "match": (int(num(g[4])), int(num(g[5]))), "seconds": num(g[3]) / 1e3}
    if kind == "dbscan":
        return {"result": f"{fmt_n(int(num(g[0])))} clusters, {fmt_n(int(num(g[1])))} noise",
                "match": (int(num(g[0])), int(num(g[1]))), "seconds": num(g[2]) / 1e3}
    secs = g[2] if kind == "cube" else g[1]
    return {"result": f"{fmt_n(int(num(g[0])))} cells", "match": int(num(g[0])),
            "seconds": num(secs) / 1e3}


def python_match(key: str, c: dict):
    if key == "dbscan":
        return (c["clusters"], c["noise"])
    if key == "published":
        return (c["cells"], c["sum"])
    return c["cells"]


def python_result(key: str, c: dict) -> str:
    if key == "dbscan":
        return f"{fmt_n(c['clusters'])} clusters, {fmt_n(c['noise'])} noise"
    if key == "published":
        return f"{fmt_n(c['cells'])} cells, sum {fmt_n(c['sum'])}"
    return f"{fmt_n(c['cells'])} cells"


def postgis_result(key: str, c: dict, r: dict | None) -> str:
    if key.startswith("dbscan"):
        if not r:
            return f"{fmt_n(c['clusters'])} clusters, {fmt_n(c['noise'])} noise"
        rc, rn = r["match"]
        if (c["clusters"], c["noise"]) == (rc, rn):
            return "same"

        def diff(got: int, want: int) -> str:
            return "same" if got == want else f"{signed(got - want)}, {pct(got - want, want)}"

        return (f"{fmt_n(c['clusters'])} clusters ({diff(c['clusters'], rc)}), "
                f"{fmt_n(c['noise'])} noise ({diff(c['noise'], rn)})")
    if key == "count_hexgrid":
        return (f"{fmt_n(c['cells'])} hexagons of edge {c['edge_m']:.0f} m "
                f"(another grid), sum {fmt_n(c['sum'])}")
    same = r is not None and c["cells"] == r["match"] and c.get("same_as_h3py", True)
    return "same" if same else f"NO: {fmt_n(c['cells'])} cells"


def ratio(other: dict | None, r: dict | None) -> str:
    if not (other and r and r["seconds"] > 0):
        return ""
    x = other["seconds"] / r["seconds"]
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 1 else f"{x:.2f}×"


def main() -> int:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2]) as f:
        py = json.load(f)
    pg = None
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            pg = json.load(f)
    comp = py["computations"]
    pgc = pg["computations"] if pg else {}
    head = ("computation", "result (Rust)", "Rust", "Python", "Python ÷ Rust",
            "PostGIS", "PostGIS ÷ Rust", "Python's result", "PostGIS's result")
    table = [head]
    for label, rx, kind, pkey, gkey in ROWS:
        r = rust_row(text, rx, kind)
        p = comp.get(pkey) if pkey else None
        g = pgc.get(gkey) if gkey else None
        p_res = ""
        if p:
            p_res = ("same" if r and python_match(pkey, p) == r["match"]
                     else f"NO: {python_result(pkey, p)}")
        elif pkey:
            p_res = "(not run)"
        g_res = postgis_result(gkey, g, r) if g else ("(not run)" if gkey and pg else "")
        table.append((
            label,
            r["result"] if r else "(not found)",
            fmt_s(r["seconds"]) if r else "",
            fmt_s(p["seconds"]) if p else ("—" if not pkey else ""),
            ratio(p, r),
            fmt_s(g["seconds"]) if g else ("—" if not gkey else ""),
            ratio(g, r),
            p_res,
            g_res,
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    right = {2, 3, 4, 5, 6}
    for n, row in enumerate(table):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        print("| " + " | ".join(cells) + " |")
        if n == 0:
            print("|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2)
                                 for i, w in enumerate(widths)) + "|")
    extra = []
    if "cell_assignment" in comp:
        secs = comp["cell_assignment"]["seconds"]
        label = "latlng_to_cell res 9"
        if "cell_assignment_res8" in comp:
            secs += comp["cell_assignment_res8"]["seconds"]
            label += " and res 8"
        extra.append(f"Python cell assignment ({label}, 1 call a point): "
                     f"{fmt_s(secs)}, not in the count/Gi*/KDE/emerging "
                     "times (the Rust index holds each incident's cell)")
    if comp.get("kde_tree_build"):
        extra.append(f"Python KDE tree build: {fmt_s(comp['kde_tree_build']['seconds'])}, "
                     "not in the KDE time (the Rust R-tree is part of its index)")
    if comp.get("dbscan"):
        d = comp["dbscan"]
        extra.append(f"Python DBSCAN peak RSS {d['peak_rss_bytes'] / 2**20:.0f} MiB "
                     f"(process held {d['rss_before_fit_bytes'] / 2**20:.0f} MiB before fit); "
                     "eps 100 m not run in scikit-learn (> 15 GB)")
    extra.append(f"Python load (CSV → arrays) {fmt_s(py['load_seconds'])}, excluded; "
                 + ", ".join(f"{k} {v}" for k, v in py["versions"].items()))
    if pg:
        ld = pg["load_seconds"]
        extra.append("PostGIS load, excluded: " + ", ".join(
            f"{k.replace('_', ' ')} {fmt_s(v)}" for k, v in ld.items()))
        extra.append(f"PostGIS: {pg['crs']}; {pg['settings']} (one core, as the Rust and the "
                     "Python); " + ", ".join(f"{k} {v}" for k, v in pg["versions"].items()))
        u = pg["utm_metres_of_50m_haversine"]
        extra.append(f"PostGIS DBSCAN is planar in UTM 48N, the Rust's haversine on a sphere: "
                     f"50 m of haversine at the data's centre is {u['north_south']:.2f} m in "
                     f"UTM north-south and {u['east_west']:.2f} m east-west")
        one = [k for k in ("dbscan", "dbscan100", "dbscan_sphere") if pgc.get(k, {}).get("runs") == 1]
        if one:
            extra.append(f"PostGIS {', '.join(one)}: one run each (a run took over 10 s); the "
                         "counts: median of " + str(pgc.get("count_h3", {}).get("runs", "?")))
    for line in extra:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
