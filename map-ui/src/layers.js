// The map's layers: for each, what to ask the API, how to draw the answer, its legend and
// its hover text. Drawing order is the order of STYLE below; every layer is added once at
// start (empty) and toggled with its visibility, so toggling never reorders anything.

import * as api from './api.js';
import { countClasses, quantileBounds, share, sig2, sig2Digits, stepExpression, valueClasses } from './classes.js';
import { h } from './dom.js';
import { dateTime, dayText, label, num, t } from './i18n.js';
import { addDays, filterParams, weightParams } from './state.js';

/** @import { ExpressionSpecification, LayerSpecification, Map as MapLibreMap, SourceSpecification, StyleSpecification } from 'maplibre-gl' */
/** @import { ColourClass } from './classes.js' */
/** @import { Child } from './dom.js' */
/** @import { Extent, PublicRules, Range, State } from './state.js' */

/**
 * A GeoJSON feature as the API sends it.
 * @typedef {{ type: 'Feature', id?: string | number, geometry: any, properties: Record<string, any> }} Feature
 */
/**
 * A FeatureCollection as the API sends it, with what the page adds to it.
 * @typedef {object} FeatureCollection
 * @property {'FeatureCollection'} type
 * @property {Feature[]} features
 * @property {number} [numberMatched]  the features the query matched (listings)
 * @property {number} [numberReturned]  the features fetched (getAll)
 * @property {any} [diemnong]  the analysis' provenance: parameters, data version, bandwidth, …
 * @property {any} [links]
 * @property {any} [legendInfo]  the colour classes of the answer (density, KDE)
 * @property {any} [programme]  the programme year's summary (complex areas)
 */
/**
 * A catalogue entry (category or model kind): its code and labels.
 * @typedef {{ code: string, label_vi: string, label_en?: string }} CatalogueEntry
 */
/** @typedef {{ categories: CatalogueEntry[], model_kinds: CatalogueEntry[] }} Catalogue */
/**
 * What a layer's request, legend and hover text depend on (view.js: layerCtx).
 * @typedef {object} LayerCtx
 * @property {State} s  the view
 * @property {number} res  the H3 resolution in effect
 * @property {boolean} signedIn
 * @property {PublicRules | null} rules  the public rules the requests follow (signed out on a public server), or null
 * @property {number[] | null} bbox  the box the incidents are asked for
 * @property {Extent | null} extent
 * @property {number | null} dataVersion  the extent's
 * @property {(code: string) => CatalogueEntry | undefined} category
 * @property {(code: string) => CatalogueEntry | undefined} modelKind
 * @property {(code: string) => void} openArea
 * @property {(f: Feature) => void} openZone
 */
/**
 * One layer of the map.
 * @typedef {object} Layer
 * @property {string} id  also its source's id and its name in the URL
 * @property {string[]} mapLayers  its style layers (style())
 * @property {boolean} [filtered]  computed from incidents: follows the category and severity filters
 * @property {boolean} [needsAuth]  shown only to a signed-in user
 * @property {(c: LayerCtx) => string} key  identifies the request: a new key is a new load
 * @property {(c: LayerCtx, signal: AbortSignal) => Promise<FeatureCollection>} load
 * @property {(map: MapLibreMap, fc: FeatureCollection) => void} apply  after the data is on the map: paint and stats
 * @property {(ctx: LayerCtx) => Child} legend
 * @property {(p: Record<string, any>, ctx: LayerCtx) => string} tip  the hover text of a feature
 * @property {any} [stats]  what the legend shows of the data on the map (null: nothing loaded)
 */

/** @type {FeatureCollection} */
export const EMPTY = { type: 'FeatureCollection', features: [] };

// ColorBrewer YlGnBu and RdPu (sequential, 5 classes), RdBu (diverging, colour-blind safe)
// and the Okabe–Ito colours (colour-blind safe) for statuses and points.
const SEQ_DENSITY = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const SEQ_KDE = ['#feebe2', '#fbb4b9', '#f768a1', '#c51b8a', '#7a0177'];
/** @type {[number, string][]} */
export const BIN_COLOURS = [
  [3, '#b2182b'],
  [2, '#ef8a62'],
  [1, '#fddbc7'],
  [0, '#f7f7f7'],
  [-1, '#d1e5f0'],
  [-2, '#67a9cf'],
  [-3, '#2166ac'],
];
/** @type {Record<string, string>} */
export const STATUS_COLOURS = {
  designated: '#E69F00',
  in_progress: '#56B4E9',
  converted: '#009E73',
  not_converted: '#D55E00',
};
const NEUTRAL = '#8a8a8a';
/** @type {Record<string, string>} */
const SEVERITY_COLOURS = {
  less_serious: '#fecc5c',
  serious: '#fd8d3c',
  very_serious: '#f03b20',
  especially_serious: '#bd0026',
};
const CAMERA = '#0072B2';
const MODEL = '#CC79A7';
/** @type {Record<string, string>} */
const EMERGING_COLOURS = {
  new_hot_spot: '#67001f',
  consecutive_hot_spot: '#b2182b',
  intensifying_hot_spot: '#d6604d',
  persistent_hot_spot: '#f4a582',
  diminishing_hot_spot: '#fddbc7',
  sporadic_hot_spot: '#e08214',
  oscillating_hot_spot: '#fdb863',
  historical_hot_spot: '#8c510a',
  new_cold_spot: '#053061',
  consecutive_cold_spot: '#2166ac',
  intensifying_cold_spot: '#4393c3',
  persistent_cold_spot: '#92c5de',
  diminishing_cold_spot: '#d1e5f0',
  sporadic_cold_spot: '#542788',
  oscillating_cold_spot: '#8073ac',
  historical_cold_spot: '#35978f',
};
// Local Moran's I quadrants (ColorBrewer RdYlBu ends): a cell high or low among neighbours
// high or low. HH and LL are clusters, HL and LH outliers.
/** @type {Record<string, string>} */
export const QUADRANT_COLOURS = {
  HH: '#d7191c',
  HL: '#fdae61',
  LH: '#abd9e9',
  LL: '#2c7bb6',
};
const NOT_SIGNIFICANT = '#8a8a8a';

/** @type {{ visibility: 'none' }} */
const hidden = { visibility: 'none' };

/**
 * `['match', ['get', prop], key, value, key, value, …, fallback]` (MapLibre's types cannot
 * spell a match whose pairs come from a list).
 * @param {string} prop
 * @param {(string | number)[]} pairs
 * @param {string} fallback
 * @returns {ExpressionSpecification}
 */
const match = (prop, pairs, fallback) => /** @type {ExpressionSpecification} */ (/** @type {unknown} */ (['match', ['get', prop], ...pairs, fallback]));

/**
 * Every source and style layer, bottom to top.
 * @param {{ url: string, attribution: string } | null} basemap  an XYZ raster (none: a plain background)
 * @returns {StyleSpecification}
 */
export function style(basemap) {
  /** @type {Record<string, SourceSpecification>} */
  const sources = {
    areas: { type: 'geojson', data: EMPTY },
    selected: { type: 'geojson', data: EMPTY },
  };
  /** @type {LayerSpecification[]} */
  const layers = [{ id: 'bg', type: 'background', paint: { 'background-color': basemap ? '#ffffff' : '#e4e2dc' } }];
  if (basemap) {
    sources.basemap = { type: 'raster', tiles: [basemap.url], tileSize: 256, maxzoom: 19, attribution: basemap.attribution };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  layers.push({
    id: 'wards-fill',
    type: 'fill',
    source: 'areas',
    filter: ['==', ['get', 'kind'], 'ward'],
    paint: { 'fill-color': '#fbfaf7', 'fill-opacity': basemap ? 0.01 : 1 },
  });
  /**
   * @param {string} id
   * @param {any} colour  a colour or an expression
   * @param {any} [opacity]  a number or an expression
   */
  const cellFill = (id, colour, opacity = 0.78) => {
    sources[id] = { type: 'geojson', data: EMPTY };
    layers.push({
      id: `${id}-fill`,
      type: 'fill',
      source: id,
      layout: hidden,
      paint: { 'fill-color': colour, 'fill-opacity': opacity, 'fill-outline-color': 'rgba(60,60,60,0.12)' },
    });
  };
  cellFill('density', SEQ_DENSITY[0]);
  cellFill('kde', SEQ_KDE[0], 0.7);
  cellFill('hotspots', match('gi_bin', BIN_COLOURS.flat(), '#f7f7f7'), ['case', ['==', ['get', 'gi_bin'], 0], 0.35, 0.85]);
  // Cells not significant are tested too: a faint grey, so the layer shows where it looked
  // even when nothing stands out.
  cellFill(
    'outliers',
    ['case', ['==', ['get', 'significant'], true], match('quadrant', Object.entries(QUADRANT_COLOURS).flat(), NOT_SIGNIFICANT), NOT_SIGNIFICANT],
    ['case', ['==', ['get', 'significant'], true], 0.85, 0.12],
  );
  cellFill('emerging', match('category', Object.entries(EMERGING_COLOURS).flat(), '#ffffff'), ['case', ['==', ['get', 'category'], 'no_pattern'], 0, 0.85]);
  layers.push(
    { id: 'wards-line', type: 'line', source: 'areas', filter: ['==', ['get', 'kind'], 'ward'], paint: { 'line-color': '#9b978e', 'line-width': 0.6 } },
    { id: 'districts-line', type: 'line', source: 'areas', filter: ['==', ['get', 'kind'], 'district'], paint: { 'line-color': '#4f4c46', 'line-width': 1.6 } },
  );
  sources.complex = { type: 'geojson', data: EMPTY };
  const statusColour = match('status', Object.entries(STATUS_COLOURS).flat(), NEUTRAL);
  layers.push(
    {
      id: 'complex-fill',
      type: 'fill',
      source: 'complex',
      layout: hidden,
      paint: { 'fill-color': statusColour, 'fill-opacity': ['case', ['has', 'status_known'], 0.45, 0.18] },
    },
    {
      id: 'complex-line',
      type: 'line',
      source: 'complex',
      layout: hidden,
      paint: { 'line-color': statusColour, 'line-width': ['case', ['==', ['get', 'flagged'], true], 4, 2] },
    },
  );
  sources.zones = { type: 'geojson', data: EMPTY };
  layers.push(
    { id: 'zones-fill', type: 'fill', source: 'zones', layout: hidden, paint: { 'fill-color': '#b2182b', 'fill-opacity': 0.2 } },
    { id: 'zones-line', type: 'line', source: 'zones', layout: hidden, paint: { 'line-color': '#67001f', 'line-width': 2.2 } },
  );
  sources.clusters = { type: 'geojson', data: EMPTY };
  layers.push(
    { id: 'clusters-fill', type: 'fill', source: 'clusters', layout: hidden, paint: { 'fill-color': '#6a3d9a', 'fill-opacity': 0.18 } },
    { id: 'clusters-line', type: 'line', source: 'clusters', layout: hidden, paint: { 'line-color': '#6a3d9a', 'line-width': 1.6, 'line-dasharray': [3, 2] } },
  );
  sources.cameras = { type: 'geojson', data: EMPTY };
  sources.models = { type: 'geojson', data: EMPTY };
  layers.push(
    {
      id: 'cameras-circle',
      type: 'circle',
      source: 'cameras',
      layout: hidden,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 15, 5],
        'circle-color': ['case', ['==', ['get', 'active'], false], '#ffffff', CAMERA],
        'circle-stroke-color': ['case', ['==', ['get', 'active'], false], CAMERA, '#ffffff'],
        'circle-stroke-width': 1,
      },
    },
    {
      id: 'models-circle',
      type: 'circle',
      source: 'models',
      layout: hidden,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 15, 6],
        'circle-color': MODEL,
        'circle-stroke-color': '#4a2a3d',
        'circle-stroke-width': 1,
      },
    },
  );
  sources.incidents = { type: 'geojson', data: EMPTY, cluster: true, clusterMaxZoom: 14, clusterRadius: 36 };
  layers.push(
    {
      id: 'incidents-cluster',
      type: 'circle',
      source: 'incidents',
      filter: ['has', 'point_count'],
      layout: hidden,
      paint: {
        'circle-color': '#3d3d3d',
        'circle-opacity': 0.72,
        'circle-radius': ['step', ['get', 'point_count'], 9, 50, 13, 500, 18, 2000, 24],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.5,
      },
    },
    {
      id: 'incidents-point',
      type: 'circle',
      source: 'incidents',
      filter: ['!', ['has', 'point_count']],
      layout: hidden,
      paint: {
        'circle-radius': 4.5,
        'circle-color': match('severity', Object.entries(SEVERITY_COLOURS).flat(), '#999'),
        'circle-stroke-color': '#333',
        'circle-stroke-width': 0.8,
      },
    },
    { id: 'selected-line', type: 'line', source: 'selected', paint: { 'line-color': '#111', 'line-width': 3.5 } },
  );
  return { version: 8, sources, layers };
}

// ---- classes (the scheme is in classes.js) -----------------------------------------------

// Whole-extent answers by (layer, resolution, category, severity, weight, data version,
// signed in: anonymous answers differ, perturbed or withheld): promises, so loads share one
// request.
// Bounded: cleared when full.
/** @type {Map<string, Promise<FeatureCollection>>} */
const classSources = new Map();

/** @typedef {{ res: number, category: string[], severity: string[] } & Record<string, unknown>} CellParams */

/**
 * @param {string} id
 * @param {CellParams} params
 * @param {number | null | undefined} version
 * @param {boolean} signedIn
 */
const sourceKey = (id, params, version, signedIn) =>
  [id, params.res, params.category.join(','), params.severity.join(','), params.weight ?? 'count', version, signedIn].join('|');

/**
 * The whole extent's answer of a cell layer (cached).
 * @param {string} id
 * @param {string} path
 * @param {CellParams} params
 * @param {Range} ext
 * @param {number | null | undefined} version
 * @param {boolean} signedIn
 * @param {boolean} allTime  ask for all time rather than the extent's days (public rules)
 * @returns {Promise<FeatureCollection>}
 */
function classSource(id, path, params, ext, version, signedIn, allTime) {
  const key = sourceKey(id, params, version, signedIn);
  if (!classSources.has(key)) {
    if (classSources.size > 40) classSources.clear();
    // Not aborted with the window's request: the next window needs the same answer. Under
    // public rules the extent's months are not one period the server answers: all time
    // instead, which holds the same incidents.
    const whole = allTime ? { from: null, to: null } : { from: ext.from, to: ext.to };
    const p = api.get(path, { ...params, ...whole });
    p.catch(() => classSources.delete(key));
    classSources.set(key, p);
  }
  return /** @type {Promise<FeatureCollection>} */ (classSources.get(key));
}

/**
 * The incidents' extent as a [from, to) of days, or null (none, or an older server).
 * @param {Extent | null} extent
 * @returns {Range | null}
 */
const extentRange = (extent) => (extent?.incidents?.from && extent?.incidents?.to ? { from: extent.incidents.from, to: extent.incidents.to } : null);
/** @param {FeatureCollection | null | undefined} fc */
const versionOf = (fc) => fc?.diemnong?.data_version;
/**
 * The smallest positive count the server publishes to this caller: an older server withholds
 * cells below `small_cells_withheld_below`; a public server's perturbed counts are never
 * below its `min_count` (1 and 2 never appear).
 * @param {FeatureCollection | null | undefined} fc
 * @param {PublicRules | null} [rules]
 * @returns {number}
 */
const floorOf = (fc, rules = null) => Math.max(1, fc?.diemnong?.small_cells_withheld_below ?? 1, rules?.minCount ?? 1);
/**
 * Whether the server withholds small cells from this caller (an older server's rule, said in the legend).
 * @param {FeatureCollection | null | undefined} fc
 */
const withholds = (fc) => (fc?.diemnong?.small_cells_withheld_below ?? 1) > 1;

/**
 * A cell layer's window answer with the whole extent's answer beside it (`source`), or
 * alone when the window is the whole record or the extent is unknown. `bandwidth`: ask the
 * window with the source's KDE bandwidth, so both surfaces are smoothed alike.
 * @param {string} id
 * @param {string} path
 * @param {CellParams} params
 * @param {LayerCtx} c
 * @param {AbortSignal} signal
 * @param {{ bandwidth?: boolean }} [options]
 * @returns {Promise<ClassSourced>}
 */
async function withClassSource(id, path, params, c, signal, { bandwidth = false } = {}) {
  const ext = extentRange(c.extent);
  if (!ext) return { fc: await api.get(path, params, { signal }), source: null, ext, f: 1 };
  if (!c.s.from && !c.s.to) {
    // All time is the whole extent: its own answer is the classes' source (and kept as such).
    const fc = await api.get(path, params, { signal });
    classSources.set(sourceKey(id, params, versionOf(fc), c.signedIn), Promise.resolve(fc));
    return { fc, source: fc, ext, f: 1 };
  }
  let source = classSource(id, path, params, ext, c.dataVersion, c.signedIn, !!c.rules);
  let fc;
  if (bandwidth) {
    const bw = (await source).diemnong?.bandwidth_m;
    fc = await api.get(path, { ...params, bandwidth_m: bw }, { signal });
  } else {
    [fc] = await Promise.all([api.get(path, params, { signal }), source]);
  }
  // The data changed since the extent was read: classes of the same version as the window.
  if (versionOf(fc) != null && versionOf(await source) !== versionOf(fc)) source = classSource(id, path, params, ext, versionOf(fc), c.signedIn, !!c.rules);
  return { fc, source: await source, ext, f: share(c.s, ext) };
}

// ---- legends -------------------------------------------------------------------------------

/**
 * A padlock with its meaning as the accessible name (and a tooltip).
 * @param {string} text
 */
export function lockIcon(text) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = '<rect x="3" y="7" width="10" height="8" rx="1.5"/><path d="M5.2 7V5a2.8 2.8 0 0 1 5.6 0v2" fill="none" stroke-width="1.8"/>';
  return h('span', { class: 'lock', role: 'img', 'aria-label': text, title: text }, svg);
}

/**
 * @param {string} colour
 * @param {'box' | 'dot'} [shape]
 * @param {string} [extra]  more CSS
 */
const swatch = (colour, shape = 'box', extra = '') => h('span', { class: `sw sw-${shape}`, style: `--c:${colour};${extra}`, 'aria-hidden': 'true' });
/**
 * @param {Node} sw
 * @param {string} text
 */
const row = (sw, text) => h('li', null, sw, h('span', null, text));
/** @param {...Node} rows */
const list = (...rows) => h('ul', { class: 'legend-rows' }, ...rows);

/**
 * "1 – 3", "5", "≥ 40" (integers) or "< 0,12", "0,12 – 0,55", "≥ 3,1" (2 significant digits).
 * @param {ColourClass} c
 * @param {boolean} integers
 */
function boundsText({ lo, hi }, integers) {
  /** @type {(v: number | null) => string} */
  const f = integers ? (v) => num(v) : (v) => num(sig2(v), sig2Digits(v));
  if (lo == null) return `< ${f(hi)}`;
  if (hi == null) return `≥ ${f(lo)}`;
  if (integers && hi === lo) return f(lo);
  return `${f(lo)} – ${f(hi)}`;
}

/**
 * A class legend: caption, one row per class with its bounds, the scheme in one line, notes.
 * @param {any} st  the layer's stats
 * @param {string} captionKey
 * @param {boolean} integers
 */
function classLegend(st, captionKey, integers) {
  if (!st?.n) return h('p', { class: 'muted' }, t('no_data'));
  const through = st.ext ? addDays(st.ext.to, -1) : null;
  return h(
    'div',
    null,
    h('p', { class: 'legend-caption' }, t(captionKey)),
    list(...st.classes.map((/** @type {ColourClass} */ c) => row(swatch(c.colour), boundsText(c, integers)))),
    h(
      'p',
      { class: 'muted scheme' },
      st.fromExtent
        ? t(st.harm ? 'classes_note_harm' : 'classes_note', { from: dayText(st.ext.from), to: dayText(through) })
        : t(st.harm ? 'classes_note_window_harm' : 'classes_note_window'),
    ),
    st.withheld ? h('p', { class: 'muted' }, t('withheld_note', { n: num(st.floor) })) : null,
    h('p', { class: 'muted' }, t('cells', { n: num(st.n) })),
  );
}

/**
 * A window's answer, with the whole extent's (`source`) scaled by `f` when there is one.
 * @typedef {{ fc: FeatureCollection, source: FeatureCollection | null, ext: Range | null, f: number }} ClassSourced
 */
/**
 * Classes for a window answer: from the whole extent when there is one, else from the window itself.
 * @param {ClassSourced} r
 * @param {string} prop
 * @param {string[]} palette
 * @param {boolean} integers
 * @param {PublicRules | null} rules
 */
function classesOf(r, prop, palette, integers, rules) {
  const src = r.source || r.fc;
  const bounds = quantileBounds(src.features.map((x) => x.properties[prop]));
  const f = r.source ? r.f : 1;
  const floor = floorOf(r.fc, rules);
  // A window outside the extent has no data; its own classes keep the expression valid.
  const classes = f > 0 ? (integers ? countClasses(bounds, f, palette, floor) : valueClasses(bounds, f, palette)) : [];
  return { classes, fromExtent: !!r.source && f > 0, ext: r.ext, floor, withheld: withholds(r.fc) };
}

// ---- layer definitions ---------------------------------------------------------------------

/**
 * The time slice of an emerging-hotspot request: weeks for short ranges; months under
 * public rules (which allow months and quarters only).
 * @param {State} s
 * @param {PublicRules | null} [rules]
 */
export function sliceFor(s, rules = null) {
  if (rules || !s.from || !s.to) return 'month';
  const days = (Date.parse(s.to) - Date.parse(s.from)) / 864e5;
  return days <= 92 ? 'week' : 'month';
}

/**
 * @param {LayerCtx} c
 * @param {number} maxRes  the finest resolution the endpoint computes
 * @param {Record<string, unknown>} [extra]
 * @returns {CellParams}
 */
const cellParams = (c, maxRes, extra = {}) => ({ ...filterParams(c.s), res: Math.min(c.res, maxRes), ...weightParams(c.s), ...extra });

/**
 * The clusters' request: the filters, and DBSCAN's radius always (the API's default differs
 * for anonymous callers, 400 m, and the control shows the radius asked for).
 * @param {LayerCtx} c
 */
const clusterParams = (c) => ({ ...filterParams(c.s), eps_m: c.s.eps });

/**
 * Whether an answer is weighted by harm (its provenance says so; an answer without it counts).
 * @param {FeatureCollection | null | undefined} fc
 */
export const isHarm = (fc) => fc?.diemnong?.weights?.kind === 'harm';
/**
 * "1.234 ngày thiệt hại" (harm in days, rounded to whole days).
 * @param {number} v
 */
const harmText = (v) => `${num(v)} ${t('harm_days')}`;
/**
 * A continuous value to two significant digits.
 * @param {number} v
 */
const sig2Text = (v) => num(sig2(v), sig2Digits(v));
/**
 * "12 vụ" (a count of incidents).
 * @param {number} n
 */
const incidentsText = (n) => `${num(n)} ${t('incidents').toLowerCase()}`;
/**
 * A local Moran's I quadrant in words.
 * @param {string} q
 */
const quadrantText = (q) => t(`lisa_${q}`);

/**
 * The request of a layer of H3 cells.
 * @param {string} id
 * @param {string} path
 * @param {number} maxRes
 * @param {(c: LayerCtx) => Record<string, unknown>} [extra]  more parameters
 * @returns {Pick<Layer, 'id' | 'mapLayers' | 'key' | 'load'>}
 */
function cellLayer(id, path, maxRes, extra = () => ({})) {
  return {
    id,
    mapLayers: [`${id}-fill`],
    key: (c) => api.url(path, cellParams(c, maxRes, extra(c))),
    load: (c, signal) => api.get(path, cellParams(c, maxRes, extra(c)), { signal }),
  };
}

/** @type {Layer[]} */
export const LAYERS = [
  {
    ...cellLayer('density', '/api/v1/density', 11),
    filtered: true,
    async load(c, signal) {
      const r = await withClassSource('density', '/api/v1/density', cellParams(c, 11), c, signal);
      // Counts per cell (integers), or harm per km² under weight=harm: the colour follows the
      // value the legend and the hover text name.
      const harm = isHarm(r.fc);
      const prop = harm ? 'harm_per_km2' : 'count';
      r.fc.legendInfo = { ...classesOf(r, prop, SEQ_DENSITY, !harm, c.rules), harm, prop };
      return r.fc;
    },
    apply(map, fc) {
      const { classes, fromExtent, ext, harm, prop, floor, withheld } = fc.legendInfo;
      map.setPaintProperty('density-fill', 'fill-color', stepExpression(prop, classes));
      this.stats = { n: fc.features.length, classes, fromExtent, ext, floor, withheld, harm };
    },
    legend() {
      return classLegend(this.stats, this.stats?.harm ? 'density_legend_harm' : 'density_legend', !this.stats?.harm);
    },
    tip: (p) =>
      p.harm_per_km2 != null
        ? `${harmText(p.harm)} · ${sig2Text(p.harm_per_km2)} ${t('harm_per_km2')} · ${incidentsText(p.count)}`
        : `${incidentsText(p.count)} · ${num(p.per_km2, 1)} ${t('per_km2')}`,
  },
  {
    ...cellLayer('hotspots', '/api/v1/hotspots', 10),
    filtered: true,
    apply(_map, fc) {
      /** @type {Record<string, number>} */
      const counts = {};
      for (const f of fc.features) counts[f.properties.gi_bin] = (counts[f.properties.gi_bin] || 0) + 1;
      this.stats = { n: fc.features.length, counts, harm: isHarm(fc) };
    },
    legend() {
      if (!this.stats?.n) return h('p', { class: 'muted' }, t('no_data'));
      return h(
        'div',
        null,
        list(...BIN_COLOURS.map(([b, c]) => row(swatch(c), `${t(b < 0 ? `bin_m${-b}` : `bin_${b}`)} (${num(this.stats.counts[b] || 0)})`))),
        this.stats.harm ? h('p', { class: 'muted weight-note' }, t('gi_harm_note')) : null,
        h('p', { class: 'muted' }, t('fdr_note')),
      );
    },
    tip: (p) =>
      `${t(p.gi_bin < 0 ? `bin_m${-p.gi_bin}` : `bin_${p.gi_bin}`)} · z = ${num(p.gi_z, 2)} · ${incidentsText(p.count)}${p.harm != null ? ` · ${harmText(p.harm)}` : ''}`,
  },
  {
    // Local Moran's I (Anselin's LISA): each cell against its neighbours. Significant cells
    // take their quadrant's colour; the others a faint grey.
    ...cellLayer('outliers', '/api/v1/outliers', 10),
    filtered: true,
    apply(_map, fc) {
      /** @type {Record<string, number>} */
      const counts = {};
      let significant = 0;
      for (const f of fc.features) {
        if (f.properties.significant !== true) continue;
        significant++;
        counts[f.properties.quadrant] = (counts[f.properties.quadrant] || 0) + 1;
      }
      const params = fc.diemnong?.parameters || {};
      this.stats = {
        n: fc.features.length,
        counts,
        quiet: fc.features.length - significant,
        harm: isHarm(fc),
        fdr: params.fdr !== 'false',
        permutations: Number(params.permutations || 999),
      };
    },
    legend() {
      const st = this.stats;
      if (!st?.n) return h('p', { class: 'muted' }, t('no_data'));
      return h(
        'div',
        null,
        h('p', { class: 'legend-caption' }, t(st.harm ? 'lisa_caption_harm' : 'lisa_caption')),
        list(
          ...Object.entries(QUADRANT_COLOURS).map(([q, c]) => row(swatch(c), `${quadrantText(q)} (${num(st.counts[q] || 0)})`)),
          row(swatch(NOT_SIGNIFICANT, 'box', 'opacity:.25'), `${t('lisa_ns')} (${num(st.quiet)})`),
        ),
        st.quiet === st.n ? h('p', { class: 'note' }, t('lisa_none')) : null,
        h('p', { class: 'muted' }, t('lisa_reading')),
        h('p', { class: 'muted' }, t(st.fdr ? 'lisa_note_fdr' : 'lisa_note', { n: num(st.permutations) })),
      );
    },
    tip: (p) =>
      [
        p.significant === true ? quadrantText(p.quadrant) : t('lisa_ns'),
        incidentsText(p.count),
        p.harm != null ? harmText(p.harm) : null,
        `I = ${num(p.local_i, 2)}`,
        `p = ${num(p.p_sim, 4)}`,
        p.q_fdr != null ? `q = ${num(p.q_fdr, 4)}` : null,
      ]
        .filter(Boolean)
        .join(' · '),
  },
  {
    id: 'zones',
    filtered: true,
    mapLayers: ['zones-fill', 'zones-line'],
    key: (c) => api.url('/api/v1/hotspots/zones', { ...filterParams(c.s), res: Math.min(c.res, 10), ...weightParams(c.s) }),
    load: (c, signal) => api.get('/api/v1/hotspots/zones', { ...filterParams(c.s), res: Math.min(c.res, 10), ...weightParams(c.s) }, { signal }),
    apply(_map, fc) {
      // The largest zones: by harm under weight=harm, else by incidents.
      const harm = isHarm(fc);
      /** @param {Feature} f */
      const size = (f) => (harm ? f.properties.harm : f.properties.incidents) ?? 0;
      this.stats = { n: fc.features.length, harm, top: [...fc.features].sort((a, b) => size(b) - size(a)).slice(0, 5) };
    },
    legend(ctx) {
      if (!this.stats?.n) return h('p', { class: 'muted' }, t('no_data'));
      return h(
        'div',
        null,
        list(row(swatch('#b2182b', 'box', 'border:2px solid #67001f'), t('zones_n', { n: num(this.stats.n) }))),
        h('p', { class: 'legend-caption' }, t('zones_list')),
        h(
          'ul',
          { class: 'pick-list' },
          this.stats.top.map((/** @type {Feature} */ f) =>
            h(
              'li',
              null,
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => ctx.openZone(f) },
                this.stats.harm && f.properties.harm != null
                  ? `${harmText(f.properties.harm)} · ${incidentsText(f.properties.incidents)} · ${num(f.properties.area_km2, 2)} km²`
                  : `${incidentsText(f.properties.incidents)} · ${num(f.properties.area_km2, 2)} km²`,
              ),
            ),
          ),
        ),
      );
    },
    tip: (p) =>
      p.harm != null
        ? `${t('zone')}: ${harmText(p.harm)} (${num(p.harm_share * 100, 1)}%) · ${incidentsText(p.incidents)} (${num(p.share * 100, 1)}%)`
        : `${t('zone')}: ${incidentsText(p.incidents)} (${num(p.share * 100, 1)}%)`,
  },
  {
    ...cellLayer('emerging', '/api/v1/hotspots/emerging', 9, (c) => ({ slice: sliceFor(c.s, c.rules) })),
    filtered: true,
    apply(_map, fc) {
      /** @type {Record<string, number>} */
      const counts = {};
      for (const f of fc.features) counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
      this.stats = { n: fc.features.length, counts, slice: fc.diemnong?.parameters?.slice, harm: isHarm(fc) };
    },
    legend(ctx) {
      if (!this.stats?.n) return h('p', { class: 'muted' }, t('no_data'));
      const present = Object.keys(EMERGING_COLOURS).filter((k) => this.stats.counts[k]);
      return h(
        'div',
        null,
        list(
          ...present.map((k) => row(swatch(EMERGING_COLOURS[k]), `${t(`em_${k}`)} (${num(this.stats.counts[k])})`)),
          row(swatch('transparent'), `${t('em_no_pattern')} (${num(this.stats.counts.no_pattern || 0)})`),
        ),
        this.stats.harm ? h('p', { class: 'muted weight-note' }, t('em_harm_note')) : null,
        h('p', { class: 'muted' }, t('em_slices', { slice: t(`slice_${sliceFor(ctx.s, ctx.rules)}`) })),
      );
    },
    tip: (p) => `${t(`em_${p.category}`)} · ${incidentsText(p.count)}${p.harm != null ? ` · ${harmText(p.harm)}` : ''}`,
  },
  {
    ...cellLayer('kde', '/api/v1/kde', 9),
    filtered: true,
    async load(c, signal) {
      const r = await withClassSource('kde', '/api/v1/kde', cellParams(c, 9), c, signal, { bandwidth: true });
      // Under weight=harm the surface is harm-days per km²: same property, another unit.
      r.fc.legendInfo = { ...classesOf(r, 'density', SEQ_KDE, false, c.rules), harm: isHarm(r.fc) };
      return r.fc;
    },
    apply(map, fc) {
      const { classes, fromExtent, ext, harm } = fc.legendInfo;
      map.setPaintProperty('kde-fill', 'fill-color', stepExpression('density', classes));
      this.stats = { n: fc.features.length, classes, fromExtent, ext, bw: fc.diemnong?.bandwidth_m, harm };
    },
    legend() {
      const el = classLegend(this.stats, this.stats?.harm ? 'kde_unit_harm' : 'kde_unit', false);
      if (this.stats?.bw) el.append(h('p', { class: 'muted' }, `h = ${num(this.stats.bw)} m`));
      return el;
    },
    tip(p) {
      return `${sig2Text(p.density)} ${t(this.stats?.harm ? 'kde_unit_harm' : 'kde_unit')}`;
    },
  },
  {
    // DBSCAN. Anonymous callers of a public server get DBSCAN of the published cell counts, each
    // cluster as its H3 cells, with `incidents` (the cells' published counts) and `top_categories`, and no
    // count, core, first or last: the hover text and popup say what the answer has.
    id: 'clusters',
    filtered: true,
    mapLayers: ['clusters-fill', 'clusters-line'],
    key: (c) => api.url('/api/v1/clusters', clusterParams(c)),
    load: (c, signal) => api.get('/api/v1/clusters', clusterParams(c), { signal }),
    apply(_map, fc) {
      this.stats = { n: fc.features.length, noise: fc.diemnong?.noise ?? null };
    },
    legend() {
      if (!this.stats) return null;
      const text =
        this.stats.noise == null ? t('clusters_cells', { n: num(this.stats.n) }) : t('clusters_n', { n: num(this.stats.n), noise: num(this.stats.noise) });
      return list(row(swatch('#6a3d9a', 'box', 'border:2px dashed #6a3d9a'), text));
    },
    tip: (p) => `DBSCAN #${p.id}: ${incidentsText(p.count ?? p.incidents)}`,
  },
  {
    id: 'incidents',
    needsAuth: true,
    filtered: true,
    mapLayers: ['incidents-cluster', 'incidents-point'],
    key: (c) => api.url('/api/v1/incidents', { ...filterParams(c.s), bbox: c.bbox }),
    load: (c, signal) => api.getAll('/api/v1/incidents', { ...filterParams(c.s), bbox: c.bbox }, { signal, maxFeatures: 30000 }),
    apply(_map, fc) {
      this.stats = { shown: fc.features.length, total: fc.numberMatched ?? fc.features.length };
    },
    legend() {
      if (!this.stats) return null;
      return h(
        'div',
        null,
        list(
          ...Object.entries(SEVERITY_COLOURS).map(([k, c]) => row(swatch(c, 'dot'), t(`sev_${k}`))),
          row(swatch('#3d3d3d', 'dot', 'width:1rem;height:1rem'), t('cluster_point')),
        ),
        h('p', { class: 'muted' }, t('incidents_n', { shown: num(this.stats.shown), total: num(this.stats.total) })),
        this.stats.shown < this.stats.total ? h('p', { class: 'muted' }, t('incidents_capped')) : null,
      );
    },
    tip: (p, ctx) =>
      p.point_count
        ? `${num(p.point_count)} ${t('incidents').toLowerCase()}`
        : `${label(ctx.category(p.category), p.category)} · ${t(`sev_${p.severity}`)} · ${dateTime(p.occurred_at)}`,
  },
  {
    id: 'cameras',
    needsAuth: true,
    mapLayers: ['cameras-circle'],
    key: () => '/api/v1/cameras',
    load: (_c, signal) => api.getAll('/api/v1/cameras', {}, { signal }),
    apply(_map, fc) {
      this.stats = { n: fc.features.length, active: fc.features.filter((f) => f.properties.active !== false).length };
    },
    legend() {
      if (!this.stats) return null;
      return list(
        row(swatch(CAMERA, 'dot'), `${t('camera_active')} (${num(this.stats.active)})`),
        row(swatch('#fff', 'dot', `border:1px solid ${CAMERA}`), `${t('camera_inactive')} (${num(this.stats.n - this.stats.active)})`),
      );
    },
    tip: (p) => `${t('cameras')} ${p.external_id} · ${p.kind}${p.active === false ? ` · ${t('camera_inactive')}` : ''}`,
  },
  {
    id: 'models',
    needsAuth: true,
    mapLayers: ['models-circle'],
    key: () => '/api/v1/models',
    load: (_c, signal) => api.getAll('/api/v1/models', {}, { signal }),
    apply(_map, fc) {
      this.stats = { n: fc.features.length };
    },
    legend() {
      if (!this.stats) return null;
      return list(row(swatch(MODEL, 'dot'), t('models_n', { n: num(this.stats.n) })));
    },
    tip: (p, ctx) => `${p.name || p.external_id} · ${label(ctx.modelKind(p.kind), p.kind)}`,
  },
  {
    id: 'complex',
    mapLayers: ['complex-fill', 'complex-line'],
    key: (c) => `complex:${c.signedIn ? c.s.py : 'public'}`,
    async load(c, signal) {
      const [all, year] = await Promise.all([
        api.get('/api/v1/areas', { kind: 'complex_area' }, { signal }),
        c.signedIn && c.s.py !== null ? api.get(`/api/v1/programme/${c.s.py}/areas`, {}, { signal }) : null,
      ]);
      const byCode = new Map((year?.features || []).map((/** @type {Feature} */ f) => [f.properties.code, f.properties]));
      for (const f of all.features) {
        const d = byCode.get(f.properties.code);
        if (d) f.properties = { ...d, status_known: true };
        else f.properties.status = c.signedIn ? 'none' : 'unknown';
      }
      all.programme = year?.diemnong?.programme || null;
      return all;
    },
    apply(_map, fc) {
      /** @type {Record<string, number>} */
      const counts = {};
      for (const f of fc.features) counts[f.properties.status] = (counts[f.properties.status] || 0) + 1;
      this.stats = { counts, areas: fc.features.map((f) => f.properties), flagged: fc.features.some((f) => f.properties.flagged) };
    },
    legend(ctx) {
      if (!this.stats) return null;
      const c = this.stats.counts;
      const rows = ctx.signedIn
        ? [
            ...Object.entries(STATUS_COLOURS).map(([k, col]) => row(swatch(col), `${t(`st_${k}`)} (${num(c[k] || 0)})`)),
            row(swatch(NEUTRAL, 'box', 'opacity:.4'), `${t('st_none')} (${num(c.none || 0)})`),
            row(swatch('transparent', 'box', `border:3px solid ${NEUTRAL}`), t('flagged')),
          ]
        : [row(swatch(NEUTRAL, 'box', 'opacity:.4'), t('complex_outline')), row(lockIcon(t('lock_status')), t('locked_status_legend'))];
      const sorted = [...this.stats.areas].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
      return h(
        'div',
        null,
        list(...rows),
        h(
          'details',
          { class: 'pick' },
          h('summary', null, `${t('areas_list')} (${num(sorted.length)})`),
          h(
            'ul',
            { class: 'pick-list' },
            sorted.map((a) =>
              h(
                'li',
                null,
                h('button', { type: 'button', class: 'link', onclick: () => ctx.openArea(a.code) }, swatch(STATUS_COLOURS[a.status] || NEUTRAL), ` ${a.name}`),
              ),
            ),
          ),
        ),
      );
    },
    tip: (p) => `${p.name}${p.status_known || p.status === 'none' ? ` · ${t(`st_${p.status}`)}` : ''}`,
  },
];

/** @type {Record<string, Layer>} */
export const byId = Object.fromEntries(LAYERS.map((l) => [l.id, l]));

/** Map layer id → its layer definition (for hover and click). @type {Record<string, Layer>} */
export const owner = {};
for (const l of LAYERS) for (const m of l.mapLayers) owner[m] = l;
