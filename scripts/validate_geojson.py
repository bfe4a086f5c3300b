#!/usr/bin/env python3
"""An external RFC 7946 check of GeoJSON files (tests/it/geojson_valid.rs runs it on what the
server serves).

    validate_geojson.py [--bbox W,S,E,N] [--geometry-type T]... [--max-decimals N]
                        [--root FeatureCollection|Feature] [--allow-null-geometry] FILE...

Every file must be a FeatureCollection (or, with `--root Feature`, one Feature), and every
feature must pass:

- structure: geojson-validator's schema lint (types, members, coordinate nesting, position
  arity, bbox arity), plus: no `crs` member anywhere (RFC 7946 §4), none of the members
  §7.1 forbids (`coordinates`/`geometry`/`properties` on a FeatureCollection, and so on), no
  NaN/Infinity and no duplicate keys in the JSON text, `id` a string or a number;
- positions: two (or three) finite numbers, [longitude, latitude] within ±180 / ±90; with
  `--bbox` every position inside that envelope too (which catches swapped axes);
- polygons: every ring closed with at least 4 positions and 3 distinct ones, the exterior
  counter-clockwise and holes clockwise with non-zero area (the right-hand rule, §3.1.6),
  and valid in the OGC Simple Features sense (shapely/GEOS `is_valid`: no self-intersection,
  holes inside their shell, parts of a MultiPolygon not overlapping); geojson-validator's
  own criteria (unclosed, fewer than three distinct nodes, exterior not CCW, interior not
  CW, self-intersection, hole crossing the exterior, outside lat/lon ranges, crossing the
  antimeridian) are applied as well, so two independent implementations must agree;
- a `bbox` member, where present, must be [W, S, E, N] and contain the geometry;
- with `--geometry-type`, every geometry must be of one of the types given; with
  `--max-decimals`, no coordinate has more decimals than that.

Exit status: 0 when every file passes, 1 when a file has a problem (each printed to stderr
as `FILE: feature N (id …): problem`), 2 when a file cannot be read or the packages are
missing (install scripts/requirements-test.txt; `bash scripts/test.sh` does).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Iterator

try:
    import geojson_validator
    import shapely
    from geojson_validator.geometry_validation import INVALID_CRITERIA
    from shapely.geometry import shape
except ImportError as e:  # pragma: no cover - depends on the environment
    print(
        f"validate_geojson: {e}: install scripts/requirements-test.txt "
        "(bash scripts/test.sh makes a venv with them)",
        file=sys.stderr,
    )
    sys.exit(2)

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
# geojson-validator criteria: all of its "invalid" ones, and the "problematic" ones that
# RFC 7946 or the OGC Simple Features model (what GIS tools read polygons with) forbid.
VALIDATOR_PROBLEMATIC = [
    "self_intersection",
    "inner_and_exterior_ring_intersect",
    "outside_lat_lon_boundaries",
    "crosses_antimeridian",
]
MAX_SHOWN = 25


class Problems:
    """Problems of one file, each with the feature it is in."""

    def __init__(self, file: str, ids: list[Any]):
        self.file = file
        self.ids = ids
        self.found: list[tuple[int, str]] = []

    def add(self, feature: int | None, message: str) -> None:
        if feature is None:
            where = ""
        elif 0 <= feature < len(self.ids) and self.ids[feature] is not None:
            where = f" feature {feature} (id {json.dumps(self.ids[feature], ensure_ascii=False)}):"
        else:
            where = f" feature {feature}:"
        self.found.append((-1 if feature is None else feature, f"{self.file}:{where} {message}"))

    @property
    def items(self) -> list[str]:
        """By feature (the collection's own first), in the order found within one."""
        return [m for _, m in sorted(self.found, key=lambda x: x[0])]


def strict_load(path: Path) -> Any:
    """JSON with no NaN/Infinity and no duplicate keys (both break other readers)."""

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON (RFC 8259)")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
        seen: dict[str, Any] = {}
        for k, v in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r} in an object")
            seen[k] = v
        return seen

    with path.open(encoding="utf-8") as f:
        return json.load(f, parse_constant=no_constant, object_pairs_hook=no_duplicates)


def is_number(x: Any) -> bool:
    return type(x) in (int, float) and math.isfinite(x)


def positions(coords: Any) -> Iterator[Any]:
    """Every position (innermost array) of a coordinates member."""
    if isinstance(coords, list) and coords and all(not isinstance(c, list) for c in coords):
        yield coords
    elif isinstance(coords, list):
        for c in coords:
            yield from positions(c)


def signed_area2(ring: list[list[float]]) -> float:
    """Twice the shoelace area: positive when counter-clockwise."""
    return math.fsum(
        a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:])
    )


def decimals(x: float) -> int:
    r = repr(float(x))
    if "e" in r or "E" in r:
        mant, exp = r.lower().split("e")
        d = len(mant.split(".")[1]) if "." in mant else 0
        return max(0, d - int(exp))
    return len(r.split(".")[1].rstrip("0")) if "." in r else 0


def check_ring(p: Problems, i: int, label: str, ring: Any, exterior: bool) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        p.add(i, f"{label}: a ring needs at least 4 positions, has {len(ring) if isinstance(ring, list) else ring!r} (§3.1.6)")
        return
    if ring[0] != ring[-1]:
        p.add(i, f"{label}: ring not closed: first {ring[0]} != last {ring[-1]} (§3.1.6)")
        return
    if len({tuple(q) for q in ring}) < 3:
        p.add(i, f"{label}: ring has fewer than 3 distinct positions (degenerate)")
        return
    a2 = signed_area2(ring)
    if a2 == 0:
        p.add(i, f"{label}: ring has zero area (collinear or coincident positions)")
    elif exterior and a2 < 0:
        p.add(i, f"{label}: exterior ring is clockwise; RFC 7946 §3.1.6 wants counter-clockwise")
    elif not exterior and a2 > 0:
        p.add(i, f"{label}: hole is counter-clockwise; RFC 7946 §3.1.6 wants clockwise")


def check_polygon(p: Problems, i: int, label: str, rings: Any) -> None:
    if not isinstance(rings, list) or not rings:
        p.add(i, f"{label}: a Polygon needs at least its exterior ring")
        return
    for k, ring in enumerate(rings):
        check_ring(p, i, f"{label} ring {k}", ring, exterior=k == 0)


def check_geometry(p: Problems, i: int, g: Any, args: argparse.Namespace, label: str = "geometry") -> None:
    if not isinstance(g, dict):
        p.add(i, f"{label} is {json.dumps(g)[:40]}, not an object")
        return
    t = g.get("type")
    if t not in GEOMETRY_TYPES:
        p.add(i, f"{label}: unknown type {t!r}")
        return
    if args.geometry_type and t not in args.geometry_type:
        p.add(i, f"{label}: type {t}, expected {' or '.join(args.geometry_type)}")
    for m in ("crs", "properties", "features", "geometry"):
        if m in g:
            p.add(i, f"{label}: has a {m!r} member (RFC 7946 §4/§7.1 forbid it on a geometry)")
    if t == "GeometryCollection":
        for k, sub in enumerate(g.get("geometries") or []):
            check_geometry(p, i, sub, args, f"{label}.geometries[{k}]")
        return
    coords = g.get("coordinates")
    for pos in positions(coords):
        if len(pos) not in (2, 3) or not all(is_number(x) for x in pos):
            p.add(i, f"{label}: position {pos} is not 2 or 3 finite numbers")
            continue
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            p.add(i, f"{label}: position {pos} is outside [lon -180..180, lat -90..90]")
        elif args.bbox and not (args.bbox[0] <= lon <= args.bbox[2] and args.bbox[1] <= lat <= args.bbox[3]):
            p.add(i, f"{label}: position {pos} is outside the expected envelope {args.bbox} (lon/lat swapped?)")
        if args.max_decimals is not None and any(decimals(x) > args.max_decimals for x in pos):
            p.add(i, f"{label}: position {pos} has more than {args.max_decimals} decimals")
    if t == "Polygon":
        check_polygon(p, i, label, coords)
    elif t == "MultiPolygon":
        if not isinstance(coords, list):
            return
        for k, poly in enumerate(coords):
            check_polygon(p, i, f"{label} polygon {k}", poly)
    elif t == "LineString" and isinstance(coords, list) and len(coords) < 2:
        p.add(i, f"{label}: a LineString needs at least 2 positions")
    if t in ("Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        try:
            geom = shape(g)
        except Exception as e:  # noqa: BLE001 - any parse failure is a finding
            p.add(i, f"{label}: shapely cannot read it: {e}")
            return
        reason = shapely.is_valid_reason(geom)
        if reason != "Valid Geometry":
            p.add(i, f"{label}: not a valid {t} (GEOS: {reason})")
    bbox = g.get("bbox")
    if bbox is not None:
        check_bbox(p, i, f"{label}.bbox", bbox, list(positions(coords)))


def check_bbox(p: Problems, i: int | None, label: str, bbox: Any, pos: list[Any]) -> None:
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(is_number(x) for x in bbox)):
        p.add(i, f"{label}: {bbox} is not [W, S, E, N]")
        return
    w, s, e, n = bbox
    if s > n or w > e:
        p.add(i, f"{label}: {bbox} is not [W, S, E, N] with S <= N (and W <= E here)")
    for q in pos:
        if len(q) >= 2 and all(is_number(x) for x in q[:2]):
            if not (w <= q[0] <= e and s <= q[1] <= n):
                p.add(i, f"{label}: {bbox} does not contain position {q}")
                return


def validator_findings(p: Problems, fc: dict, allow_null: bool) -> None:
    """geojson-validator (chrieke): its structure lint and geometry criteria."""
    structure = geojson_validator.validate_structure(fc, check_crs=True)
    for message, where in structure.items():
        features = where.get("feature") or [None] * len(where.get("path", []))
        for f, path in zip(features, where.get("path", [])):
            p.add(f, f"geojson-validator: {message} at {path or '/'}")
    if structure:
        return  # the geometry checks assume a sound structure
    geometries = geojson_validator.validate_geometries(
        fc,
        criteria_invalid=list(INVALID_CRITERIA),
        criteria_problematic=VALIDATOR_PROBLEMATIC,
    )
    for kind in ("invalid", "problematic"):
        for criterion, hits in geometries[kind].items():
            for hit in hits:
                if isinstance(hit, dict):
                    for f, parts in hit.items():
                        p.add(f, f"geojson-validator: {criterion} (parts {parts})")
                else:
                    p.add(hit, f"geojson-validator: {criterion}")
    features = fc["features"]
    for f in geometries["skipped_validation"]:
        if f < len(features) and features[f].get("geometry") is None and allow_null:
            continue
        p.add(f, "geojson-validator could not check this geometry")


class Unreadable(Exception):
    """A file that could not be read at all (exit status 2)."""


def validate(path: Path, args: argparse.Namespace) -> list[str]:
    try:
        fc = strict_load(path)
    except (OSError, UnicodeDecodeError) as e:
        raise Unreadable(f"validate_geojson: cannot read {path}: {e}") from e
    except ValueError as e:
        return [f"{path}: not valid JSON: {e}"]
    got = fc.get("type") if isinstance(fc, dict) else type(fc).__name__
    if got != args.root:
        return [f"{path}: the root is {got!r}, not a {args.root}"]
    if args.root == "Feature":
        # One feature (e.g. GET /api/v1/areas/{code}): checked as a collection of one.
        fc = {"type": "FeatureCollection", "features": [fc]}
    features = fc.get("features")
    if not isinstance(features, list):
        return [f"{path}: the FeatureCollection has no \"features\" array"]
    ids = [f.get("id") if isinstance(f, dict) else None for f in features]
    p = Problems(str(path), ids)

    for m in ("crs", "coordinates", "geometry", "properties", "geometries"):
        if m in fc:
            p.add(None, f"the FeatureCollection has a {m!r} member (RFC 7946 §4/§7.1 forbid it)")
    if "bbox" in fc:
        check_bbox(p, None, "FeatureCollection bbox", fc["bbox"], [
            q for f in features if isinstance(f, dict) and isinstance(f.get("geometry"), dict)
            for q in positions(f["geometry"].get("coordinates"))
        ])
    for i, f in enumerate(features):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            p.add(i, "not a Feature object")
            continue
        for m in ("crs", "coordinates", "features", "geometries"):
            if m in f:
                p.add(i, f"the Feature has a {m!r} member (RFC 7946 §4/§7.1 forbid it)")
        if "geometry" not in f or "properties" not in f:
            p.add(i, "a Feature needs \"geometry\" and \"properties\" members (§3.2)")
        if "id" in f and not (isinstance(f["id"], str) or is_number(f["id"])):
            p.add(i, f"id {f['id']!r} is neither a string nor a number (§3.2)")
        if f.get("properties") is not None and not isinstance(f.get("properties"), dict):
            p.add(i, "properties is neither an object nor null (§3.2)")
        g = f.get("geometry")
        if g is None:
            if not args.allow_null_geometry:
                p.add(i, "null geometry (pass --allow-null-geometry where that is meant)")
            continue
        try:
            check_geometry(p, i, g, args)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as e:
            p.add(i, f"malformed geometry ({e!r}); see geojson-validator's findings")
        if "bbox" in f and isinstance(g, dict):
            check_bbox(p, i, "Feature bbox", f["bbox"], list(positions(g.get("coordinates"))))
    validator_findings(p, fc, args.allow_null_geometry)
    return p.items


def parse_bbox(s: str) -> list[float]:
    v = [float(x) for x in s.split(",")]
    if len(v) != 4 or v[0] > v[2] or v[1] > v[3]:
        raise argparse.ArgumentTypeError("--bbox wants W,S,E,N")
    return v


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--bbox", type=parse_bbox, help="W,S,E,N every position must lie in")
    ap.add_argument("--geometry-type", action="append", default=[], help="an allowed geometry type (repeatable)")
    ap.add_argument("--max-decimals", type=int, help="most decimals a coordinate may have")
    ap.add_argument("--allow-null-geometry", action="store_true")
    ap.add_argument(
        "--root",
        choices=["FeatureCollection", "Feature"],
        default="FeatureCollection",
        help="what each file must be (default FeatureCollection)",
    )
    args = ap.parse_args(argv)
    geojson_validator.configure_logging(enabled=False)

    failed = 0
    for path in args.files:
        try:
            problems = validate(path, args)
        except Unreadable as e:
            print(e, file=sys.stderr)
            return 2
        if problems:
            failed += 1
            for line in problems[:MAX_SHOWN]:
                print(line, file=sys.stderr)
            if len(problems) > MAX_SHOWN:
                print(f"{path}: … and {len(problems) - MAX_SHOWN} more problems", file=sys.stderr)
        else:
            print(f"ok {path}")
    if failed:
        print(f"validate_geojson: {failed} of {len(args.files)} files are not valid RFC 7946 GeoJSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
