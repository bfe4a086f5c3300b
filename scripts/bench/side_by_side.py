#!/usr/bin/env python3
"""Rust vs Python, side by side: the output of `cargo bench --bench analysis` and the JSON
of python_compare.py, with the ratio python_time / rust_time for each computation.

    python scripts/bench/side_by_side.py RUST_OUTPUT.txt PYTHON.json

Only the standard library: it parses the bench's lines with regular expressions, which
follow its println! formats (the numbers change as the Rust is optimised; the wording
does not), e.g.

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

# key: (label, regex over the Rust output, how to read its groups, python json key)
ROWS = [
    ("Gi* res 9, k 1, kring", rf"gi\* res 9 k 1 Kring: {NUM} cells, {MS}", "cells", "gi_star"),
    ("Gi* res 9, k 1, kring, harm", rf"gi\* res 9 k 1 Kring harm: {NUM} cells, {MS}", "cells",
     "gi_star_harm"),
    ("local Moran res 9, k 1, 999 perm.",
     rf"moran res 9 k 1 Kring, 999 permutations: {NUM} cells, {MS}", "cells", "moran"),
    ("KDE quartic 500 m, res 9", rf"kde quartic 500 m res 9: {NUM} cells, {MS}", "cells", "kde"),
    ("DBSCAN eps 50 m, min 10",
     rf"dbscan eps 50 m, min_points 10: {NUM} clusters, {NUM} noise, {MS}", "dbscan", "dbscan"),
    ("published counts res 9 (cell key)",
     rf"public: count res 9 all time: {NUM} cells, plain {MS}, keyed {MS}, published {MS} "
     rf"\({NUM} cells shown, sum {NUM}\)", "published", "published"),
    ("emerging res 8, 24 months",
     rf"emerging res 8, 24 monthly slices, k 1, time_k 1: {NUM} cells, {MS}", "cells", "emerging"),
]


def num(s: str) -> float:
    return float(s.replace(",", ""))


def fmt_s(s: float) -> str:
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def rust_rows(text: str) -> dict:
    out = {}
    for label, rx, kind, key in ROWS:
        m = re.search(rx, text)
        if not m:
            out[key] = None
            continue
        g = m.groups()
        if kind == "published":
            out[key] = {"result": f"{int(num(g[4]))} cells, sum {int(num(g[5]))}",
                        "match": (int(num(g[4])), int(num(g[5]))), "seconds": num(g[3]) / 1e3}
            continue
        if kind == "dbscan":
            out[key] = {"result": f"{int(num(g[0]))} clusters, {int(num(g[1]))} noise",
                        "match": (int(num(g[0])), int(num(g[1]))), "seconds": num(g[2]) / 1e3}
        else:
            out[key] = {"result": f"{int(num(g[0]))} cells", "match": int(num(g[0])),
                        "seconds": num(g[1]) / 1e3}
    return out


def python_match(key: str, c: dict):
    if key == "dbscan":
        return (c["clusters"], c["noise"])
    if key == "published":
        return (c["cells"], c["sum"])
    return c["cells"]


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rust = rust_rows(f.read())
    with open(sys.argv[2]) as f:
        py = json.load(f)
    comp = py["computations"]
    head = ("computation", "Rust", "Rust time", "Python", "Python time", "Py/Rust", "same result")
    table = [head]
    for label, _, _, key in ROWS:
        r, p = rust.get(key), comp.get(key)
        if p:
            p_res = ("{clusters} clusters, {noise} noise".format(**p) if key == "dbscan"
                     else f"{p['cells']} cells, sum {p['sum']}" if key == "published"
                     else f"{p['cells']} cells")
        table.append((
            label,
            r["result"] if r else "(not found)",
            fmt_s(r["seconds"]) if r else "",
            p_res if p else "(not run)",
            fmt_s(p["seconds"]) if p else "",
            f"{p['seconds'] / r['seconds']:.1f}×" if r and p and r["seconds"] > 0 else "",
            ("yes" if python_match(key, p) == r["match"] else "NO") if r and p else "",
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for n, row in enumerate(table):
        print("  ".join(c.ljust(w) if i in (0, 1, 3, 6) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    extra = []
    if "cell_assignment" in comp:
        secs = comp["cell_assignment"]["seconds"]
        label = "latlng_to_cell res 9"
        if "cell_assignment_res8" in comp:
            secs += comp["cell_assignment_res8"]["seconds"]
            label += " and res 8"
        extra.append(f"Python cell assignment ({label}, 1 call a point): "
                     f"{fmt_s(secs)}, not in the Gi*/KDE/emerging "
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
    for line in extra:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
