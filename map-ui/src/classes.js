// Colour classes of the density and KDE layers. Pure functions (no DOM, no map), so the
// scheme is unit-tested without a browser.
//
// The scheme, for counts that are heavily skewed (most cells hold a few incidents, a few
// hold very many: in the demo at resolution 9 the cells' quintiles over two years are
// 1, 3, 4 and 7 incidents while the busiest cell holds 433):
//
// 1. Quantile classes, at most 5, weighted by incidents and taken from the WHOLE data
//    extent, not from what is on screen. The page asks the same layer (same resolution,
//    category and severity) for from = extent.from, to = extent.to (GET /api/v1/extent);
//    the bound of class j+1 is the cell value at which the cells, taken from the emptiest
//    up, hold j/5 of all its incidents (j = 1 … 4). So each colour covers about a fifth of
//    the record's incidents, and the classes spread over the cells where incidents are,
//    rather than four of five classes among near-empty cells as plain cell quantiles would
//    put them. Equal bounds merge, so a sparse layer may get fewer classes. (KDE: the same,
//    weighted by the estimated density.)
// 2. Scaled by time: the window on screen is a share f of the extent (in whole months when
//    both its ends are first days of a month, else in days; counted only where the window
//    overlaps the extent, as days without data are not days without incidents). A bound b
//    of the extent becomes b·f in the window, so one colour means the same incidents per
//    cell per day whatever the window, and a window of constant length keeps its classes
//    while it moves (the time slider).
// 3. Density counts are integers: a cell with c incidents is in a class with bound b·f when
//    c ≥ ⌈b·f⌉; classes that become empty after scaling are dropped, and every other class
//    keeps its colour, so a colour never changes its meaning. The legend shows integer
//    bounds ("1 – 3", "4 – 9", "≥ 40"); KDE values are continuous and shown to 2
//    significant digits ("< 0,12", "0,12 – 0,55", "≥ 3,1").
//
// The whole-extent answer is fetched once per (layer, resolution, category, severity,
// data version) and cached; when the window is the whole extent its own answer is used.

import { daysBetween, isMonthStart, monthsBetween } from './state.js';

/** @import { ExpressionSpecification } from 'maplibre-gl' */

export const MAX_CLASSES = 5;

/**
 * A colour class: values from `lo` (null: below the first bound) up to `hi` (null: and above).
 * @typedef {{ lo: number | null, hi: number | null, colour: string }} ColourClass
 */

/**
 * Lower bounds of classes 2 … k (ascending, distinct, above the smallest value): the value
 * of the cell at which the cells, in ascending order, first hold j/k of the total (each
 * cell weighs its own value: its incidents).
 * @param {number[]} values
 * @param {number} [k]
 * @returns {number[]}
 */
export function quantileBounds(values, k = MAX_CLASSES) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  const total = v.reduce((a, b) => a + b, 0);
  const out = [];
  let i = 0;
  let held = v.length ? v[0] : 0; // what cells 0 … i hold
  for (let j = 1; j < k; j++) {
    while (i < v.length - 1 && held < (total * j) / k) held += v[++i];
    const q = v[i];
    // Bounds closer than 0.1% are one (densities of nearly equal cells).
    if (q > v[0] * 1.001 && !(out.length && q <= out[out.length - 1] * 1.001)) out.push(q);
  }
  return out;
}

/**
 * The window's share of the extent, in [0, ∞): the part of the window inside the extent
 * over the extent's length. `window` has from/to (null = open), `extent` from/to (month starts).
 * @param {{ from: string | null, to: string | null }} window
 * @param {import('./state.js').Range} extent
 */
export function share(window, extent) {
  const a = window.from && window.from > extent.from ? window.from : extent.from;
  const b = window.to && window.to < extent.to ? window.to : extent.to;
  if (a >= b) return 0;
  if (isMonthStart(a) && isMonthStart(b)) return monthsBetween(a, b) / monthsBetween(extent.from, extent.to);
  return daysBetween(a, b) / daysBetween(extent.from, extent.to);
}

/**
 * k colours spread over a sequential palette (light to dark).
 * @param {string[]} palette
 * @param {number} k
 */
export function classColours(palette, k) {
  if (k >= palette.length) return palette.slice(0, k);
  if (k === 1) return [palette[Math.floor(palette.length / 2)]];
  return Array.from({ length: k }, (_, i) => palette[Math.round((i * (palette.length - 1)) / (k - 1))]);
}

/**
 * Integer classes of counts in the window: [{ lo, hi, colour }] (hi null: "and above"),
 * from the extent's bounds scaled by f, starting at `floor` (1, or the smallest count the
 * server discloses). Empty classes are dropped; the others keep their colour.
 * @param {number[]} bounds
 * @param {number} f
 * @param {string[]} palette
 * @param {number} [floor]
 * @returns {ColourClass[]}
 */
export function countClasses(bounds, f, palette, floor = 1) {
  const colours = classColours(palette, bounds.length + 1);
  const lows = [floor, ...bounds.map((b) => Math.max(floor, Math.ceil(b * f - 1e-9)))];
  const out = [];
  for (let i = 0; i < lows.length; i++) {
    const next = i + 1 < lows.length ? lows[i + 1] : null;
    if (next != null && next <= lows[i]) continue; // empty at this scale
    out.push({ lo: lows[i], hi: next == null ? null : next - 1, colour: colours[i] });
  }
  return out;
}

/**
 * Continuous classes in the window: [{ lo, hi, colour }] (lo null: "below", hi null: "and above").
 * @param {number[]} bounds
 * @param {number} f
 * @param {string[]} palette
 * @returns {ColourClass[]}
 */
export function valueClasses(bounds, f, palette) {
  const colours = classColours(palette, bounds.length + 1);
  const b = bounds.map((x) => x * f);
  return colours.map((colour, i) => ({ lo: i ? b[i - 1] : null, hi: i < b.length ? b[i] : null, colour }));
}

/**
 * A MapLibre `step` expression colouring `prop` by `classes` (their `lo`s ascending).
 * @param {string} prop
 * @param {ColourClass[]} classes
 * @returns {string | ExpressionSpecification}
 */
export function stepExpression(prop, classes) {
  if (!classes.length) return '#cccccc';
  /** @type {unknown[]} */
  const expr = ['step', ['get', prop], classes[0].colour];
  for (const c of classes.slice(1)) expr.push(c.lo, c.colour);
  return expr.length === 3 ? classes[0].colour : /** @type {ExpressionSpecification} */ (expr);
}

/**
 * A number to 2 significant digits (for continuous bounds).
 * @param {number | null | undefined} v
 */
export const sig2 = (v) => (v && Number.isFinite(v) ? Number(v.toPrecision(2)) : 0);
/**
 * Decimals that show `v` rounded by sig2 exactly.
 * @param {number | null | undefined} v
 */
export const sig2Digits = (v) => (v && Number.isFinite(v) ? Math.max(0, 1 - Math.floor(Math.log10(Math.abs(v)))) : 0);
