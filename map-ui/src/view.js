// The page's one mutable state, and the URL that mirrors it. `view.state` is what a link
// carries (state.js reads and writes it); the other fields are what the page has learned or
// built since it started: the data's extent, the catalogue, the map, each layer's load.
// The other modules keep no state of their own at module level, except for what is wholly
// theirs: who is signed in (auth.js), the open panel (panels.js), the requests in flight
// (api.js), the language and time zone (i18n.js), each layer's legend figures and the
// whole-extent answers its classes come from (layers.js: `stats`, `classSources`).

/** @import { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl' */
/** @import { Catalogue, CatalogueEntry, FeatureCollection, LayerCtx } from './layers.js' */
/** @import { Camera, Extent, PublicRules, State } from './state.js' */

import * as auth from './auth.js';
import { EMPTY } from './layers.js';
import * as panels from './panels.js';
import * as S from './state.js';

/** @param {string} name */
const meta = (name) => /** @type {HTMLMetaElement | null} */ (document.querySelector(`meta[name="${name}"]`))?.content?.trim() || '';
/** The committee's time zone (the server fills the page's <meta>). */
export const TZ = meta('diemnong-timezone') || 'Asia/Ho_Chi_Minh';
/** The basemap, an XYZ raster; null: none (a plain background). */
export const BASEMAP = meta('diemnong-basemap') ? { url: meta('diemnong-basemap'), attribution: meta('diemnong-basemap-attribution') } : null;
/** Today in the committee's zone, YYYY-MM-DD. */
export const DAY = S.today(TZ);
export const THIS_YEAR = Number(DAY.slice(0, 4));
/** The camera when neither the link nor the wards say where to look. */
export const HCMC = { lon: 106.68, lat: 10.79, zoom: 11 };

/**
 * A layer's request under way: its key and the promise of its answer drawn.
 * @typedef {AbortController & { key: string, done?: Promise<void> }} Load
 */

/**
 * @typedef {object} View
 * @property {State} state  the view as the URL carries it; the defaults that follow the data
 *   (time range, programme year) are filled in by S.resolve once the extent has answered
 * @property {Extent | null} extent  GET /api/v1/extent: the data's time span and box, the
 *   programme years, the data version; null when the server could not say (the page then
 *   falls back to "all" and this year)
 * @property {Catalogue} catalogue  categories and model kinds
 * @property {Record<string, CatalogueEntry>} catIndex  category code → entry
 * @property {FeatureCollection} areas  wards and districts
 * @property {Map<string, string>} wardLabels  ward code → "name (district)" where the name alone is ambiguous
 * @property {typeof import('maplibre-gl') | null} ML  the MapLibre module, once imported
 * @property {MapLibreMap | null} map  created once MapLibre is imported and the camera placed
 * @property {Camera | null} camera  the first camera, known before the map exists
 * @property {boolean} cameraReady  the first view is placed, so the resolution and the box are known
 * @property {boolean} styleReady  the style's layers exist (isStyleLoaded() is false while a source loads)
 * @property {number | null} firstView  performance.now() when the first view was drawn
 * @property {{ minYear: number, count: number }} slider  the month slider: its first year and its number of months
 * @property {Record<string, string>} loaded  layer id → key of the data on the map
 * @property {Record<string, Load>} pending  layer id → its load under way
 * @property {Record<string, FeatureCollection>} data  layer id → the last answer drawn
 * @property {Record<string, string>} errors  layer id → readable message
 * @property {{ bbox: number[], zoom: number } | null} incidentBox  the box the incidents were asked for, and the zoom then
 * @property {number | undefined} refreshTimer  a refresh waiting for the controls to settle
 * @property {number | undefined} urlTimer  a URL write waiting for the controls to settle
 * @property {(() => void) | null} retry  what the alert's button does (null: no button)
 * @property {{ before: Partial<State>, after: Partial<State> } | null} publicAdjusted  what public rules changed of
 *   the view (a link's range rounded, …), so a sign-in can give back what the visitor has not changed since
 * @property {string | null} rounded  the kind of period a link's range was rounded to for public viewing (said under the range)
 * @property {import('maplibre-gl').Popup | null} popup  the open popup
 */

/** @type {View} */
export const view = {
  state: S.parse(location.search, DAY),
  extent: null,
  catalogue: { categories: [], model_kinds: [] },
  catIndex: {},
  areas: EMPTY,
  wardLabels: new Map(),
  ML: null,
  map: null,
  camera: null,
  cameraReady: false,
  styleReady: false,
  firstView: null,
  // The slider runs by month from January five years back (or earlier, to reach the data or a
  // linked range) to the current month (or the data's last); controls.js sets it up once the
  // extent is known.
  slider: { minYear: THIS_YEAR - 5, count: 1 },
  loaded: {},
  pending: {},
  data: {},
  errors: {},
  incidentBox: null,
  refreshTimer: undefined,
  urlTimer: undefined,
  retry: null,
  popup: null,
  publicAdjusted: null,
  rounded: null,
};

/** Resolves once the map's style has loaded: its sources and layers exist. */
export const styleLoaded = deferred();

/** A promise and the function that resolves it. */
function deferred() {
  /** @type {(value: void) => void} */
  let resolve = () => {};
  /** @type {Promise<void>} */
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Writes the view into the URL (replacing the history entry) once the controls are still for a moment. */
export function writeUrl() {
  clearTimeout(view.urlTimer);
  view.urlTimer = setTimeout(() => {
    const q = S.serialize(view.state, DAY, view.extent);
    history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}`);
  }, 150);
}

/** The map, for code that runs only once it exists. */
export const theMap = () => /** @type {MapLibreMap} */ (view.map);
/**
 * A GeoJSON source of the map (every layer's, `areas`, `selected`).
 * @param {string} id
 */
export const source = (id) => /** @type {GeoJSONSource} */ (theMap().getSource(id));

export const currentZoom = () => (view.map ? view.map.getZoom() : (view.camera || HCMC).zoom);

/**
 * The rules the page's requests follow now: the server's public rules for a visitor who is
 * signed out (state.js: publicRules), null when signed in or the server is not public.
 * @returns {PublicRules | null}
 */
export const publicNow = () => (auth.signedIn() ? null : S.publicRules(view.extent));
/** The finest resolution the page may ask for now. */
export const maxRes = () => publicNow()?.maxRes ?? S.RES_MAX;
/** The H3 resolution in effect: the chosen one, or the zoom's (never finer than allowed). */
export const effectiveRes = () => Math.min(view.state.res === 'auto' ? S.resForZoom(currentZoom()) : view.state.res, maxRes());

/**
 * What the layers' requests, legends and hover texts depend on, now.
 * @returns {LayerCtx}
 */
export function layerCtx() {
  return {
    category: (code) => view.catIndex[code],
    modelKind: (code) => view.catalogue.model_kinds.find((k) => k.code === code),
    openArea: (code) => panels.openArea(code),
    openZone: (f) => panels.openZone(f),
    s: view.state,
    res: effectiveRes(),
    signedIn: auth.signedIn(),
    rules: publicNow(),
    bbox: view.incidentBox?.bbox ?? null,
    extent: view.extent,
    dataVersion: view.extent?.data_version ?? null,
  };
}
