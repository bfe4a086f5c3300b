// Plane geometry of the areas, without the map: boxes, the camera that fits a box, and the
// names of wards that share a name.

/** @import { Camera } from './state.js' */
/** @import { FeatureCollection } from './layers.js' */

/** @typedef {[number, number, number, number]} Box  west, south, east, north */

/**
 * The outer rings of a Polygon or MultiPolygon.
 * @param {any} g
 * @returns {number[][][]}
 */
const outerRings = (g) => (g.type === 'Polygon' ? [g.coordinates[0]] : g.coordinates.map((/** @type {number[][][]} */ p) => p[0]));

/**
 * The box of the outer rings of Polygons and MultiPolygons; null when they have no point.
 * @param {Iterable<any>} geometries
 * @returns {Box | null}
 */
export function bounds(geometries) {
  let w = 180;
  let so = 90;
  let e = -180;
  let n = -90;
  for (const g of geometries) {
    for (const ring of outerRings(g)) {
      for (const [x, y] of ring) {
        if (x < w) w = x;
        if (x > e) e = x;
        if (y < so) so = y;
        if (y > n) n = y;
      }
    }
  }
  return w > e ? null : [w, so, e, n];
}

/**
 * The camera that fits `box` in a map of `width` × `height` pixels with `pad` around it
 * (MapLibre's 512-px Web Mercator world).
 * @param {Box} box
 * @param {number} width
 * @param {number} height
 * @param {number} [pad]
 * @returns {Camera}
 */
export function fitCamera([w, so, e, n], width, height, pad = 20) {
  /** @param {number} lat */
  const merc = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const zx = Math.log2(((width - 2 * pad) * 360) / (512 * Math.max(e - w, 1e-9)));
  const zy = Math.log2(((height - 2 * pad) * 2 * Math.PI) / (512 * Math.max(merc(n) - merc(so), 1e-9)));
  const zoom = Math.max(4, Math.min(18, zx, zy));
  const lat = (Math.atan(Math.sinh((merc(n) + merc(so)) / 2)) * 180) / Math.PI;
  return { lon: (w + e) / 2, lat, zoom };
}

/**
 * Whether a point is inside a ring (even-odd rule).
 * @param {number[]} point
 * @param {number[][]} ring
 */
function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Wards of the same name in different districts ("Phường 1") named with their district,
 * which is found by the district polygon holding the ward's vertex average.
 * @param {FeatureCollection} fc  wards and districts
 * @returns {Map<string, string>} ward code → "name (district)"
 */
export function labelWards(fc) {
  const wards = fc.features.filter((f) => f.properties.kind === 'ward');
  const districts = fc.features.filter((f) => f.properties.kind === 'district');
  /** @type {Record<string, number>} */
  const seen = {};
  for (const w of wards) seen[w.properties.name] = (seen[w.properties.name] || 0) + 1;
  const out = new Map();
  for (const w of wards) {
    if (seen[w.properties.name] < 2) continue;
    const ring = outerRings(w.geometry)[0];
    const p = [0, 1].map((k) => ring.slice(1).reduce((a, c) => a + c[k], 0) / (ring.length - 1));
    const d = districts.find((x) => outerRings(x.geometry).some((r) => inRing(p, r)));
    if (d) out.set(w.properties.code, `${w.properties.name} (${d.properties.name})`);
  }
  return out;
}
