// The map: its construction (the style from layers.js, its controls, the camera that fits
// the wards), what moving it changes, the hover text, clicks (a panel, a popup, a cluster's
// zoom), and moving it so that a selected shape is not under the panel.

/** @import { MapGeoJSONFeature, MapMouseEvent, PointLike } from 'maplibre-gl' */
/** @import { Camera } from './state.js' */

import { renderAutoRes } from './controls.js';
import { $, h } from './dom.js';
import { bounds, fitCamera } from './geo.js';
import { dateTime, label, num, t } from './i18n.js';
import { owner, style } from './layers.js';
import { scheduleRefresh } from './loader.js';
import * as panels from './panels.js';
import { BASEMAP, layerCtx, source, styleLoaded, theMap, view, writeUrl } from './view.js';

/** The camera that fits the wards in the map's box; null before they have loaded. */
export function cityCamera() {
  const b = bounds(view.areas.features.map((f) => f.geometry));
  if (!b) return null;
  const box = $('#map');
  return fitCamera(b, box.clientWidth, box.clientHeight);
}

/**
 * Creates the map at `camera` (view.ML is loaded); view.styleReady and styleLoaded follow
 * its style.
 * @param {Camera} camera
 */
export function createMap(camera) {
  performance.mark('diemnong:map-create');
  const ML = /** @type {typeof import('maplibre-gl')} */ (view.ML);
  const map = new ML.Map({
    container: 'map',
    style: style(BASEMAP),
    center: [camera.lon, camera.lat],
    zoom: camera.zoom,
    minZoom: 4,
    maxZoom: 18,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    attributionControl: false,
    fadeDuration: 0,
  });
  view.map = map;
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new ML.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ML.ScaleControl({ unit: 'metric' }), 'bottom-left');
  if (BASEMAP) map.addControl(new ML.AttributionControl({ compact: false }), 'bottom-right');
  map.getCanvas().setAttribute('aria-label', t('title'));
  map.on('load', () => {
    view.styleReady = true;
    performance.mark('diemnong:map-load');
    styleLoaded.resolve();
  });
  map.on('moveend', () => {
    const c = map.getCenter();
    view.state.map = { zoom: map.getZoom(), lat: c.lat, lon: c.lng };
    writeUrl();
    renderAutoRes(map.getZoom());
    scheduleRefresh();
  });
  map.on('mousemove', onHover);
  map.getCanvas().addEventListener('mouseleave', () => {
    $('#tip').hidden = true;
  });
  map.on('click', onClick);
}

// ---- hover and click -----------------------------------------------------------------------

const INTERACTIVE = [
  'incidents-point',
  'incidents-cluster',
  'cameras-circle',
  'models-circle',
  'clusters-fill',
  'zones-fill',
  'complex-fill',
  'emerging-fill',
  'outliers-fill',
  'hotspots-fill',
  'kde-fill',
  'density-fill',
  'wards-fill',
];

/**
 * The top visible feature under a point (an emerging cell without a pattern is not one).
 * @param {PointLike} point
 */
function topFeature(point) {
  const map = theMap();
  const layers = INTERACTIVE.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const fs = map.queryRenderedFeatures(point, { layers });
  return fs.find((f) => f.layer.id !== 'emerging-fill' || f.properties.category !== 'no_pattern');
}

/**
 * The hover text of a feature.
 * @param {MapGeoJSONFeature} f
 */
function describe(f) {
  if (f.layer.id === 'wards-fill') {
    return `${view.wardLabels.get(f.properties.code) || f.properties.name}${f.properties.population ? ` · ${t('population')} ${num(f.properties.population)}` : ''}`;
  }
  const l = owner[f.layer.id];
  return l?.tip ? l.tip(f.properties, layerCtx()) : '';
}

/** @param {MapMouseEvent} e */
function onHover(e) {
  const map = theMap();
  const tip = $('#tip');
  const f = topFeature(e.point);
  const text = f ? describe(f) : '';
  map.getCanvas().style.cursor = f && f.layer.id !== 'wards-fill' ? 'pointer' : '';
  if (!text) {
    tip.hidden = true;
    return;
  }
  tip.textContent = text;
  tip.hidden = false;
  const r = map.getContainer().getBoundingClientRect();
  tip.style.left = `${Math.min(r.left + e.point.x + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
  tip.style.top = `${r.top + e.point.y + 14}px`;
}

/** Esc closes a popup (registered before the panel's Esc). */
export function initPopupKeys() {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && view.popup?.isOpen()) {
      view.popup.remove();
      view.popup = null;
    }
  });
}

/** @param {MapMouseEvent} e */
async function onClick(e) {
  const map = theMap();
  const f = topFeature(e.point);
  if (!f) return;
  const id = f.layer.id;
  if (id === 'zones-fill') {
    const z = view.data.zones?.features.find((x) => x.properties.id === f.properties.id);
    if (z) panels.openZone(z);
  } else if (id === 'complex-fill') {
    panels.openArea(f.properties.code);
  } else if (id === 'incidents-cluster') {
    const zoom = await source('incidents').getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: /** @type {[number, number]} */ (/** @type {GeoJSON.Point} */ (f.geometry).coordinates), zoom });
  } else if (id !== 'wards-fill') {
    const ML = /** @type {typeof import('maplibre-gl')} */ (view.ML);
    view.popup?.remove();
    view.popup = new ML.Popup({ closeButton: true, maxWidth: '18rem' }).setLngLat(e.lngLat).setDOMContent(popupContent(f)).addTo(map);
  }
}

/**
 * What a click on a point or a cluster shows.
 * @param {MapGeoJSONFeature} f
 */
function popupContent(f) {
  const p = f.properties;
  const catIndex = view.catIndex;
  if (f.layer.id === 'incidents-point') {
    return h(
      'div',
      null,
      h('b', null, label(catIndex[p.category], p.category)),
      h('br'),
      `${t(`sev_${p.severity}`)} · ${dateTime(p.occurred_at)}`,
      p.address ? [h('br'), p.address] : null,
      p.ward ? [h('br'), p.ward] : null,
    );
  }
  if (f.layer.id === 'clusters-fill') {
    /** @type {{ category: string, count: number }[]} */
    const cats = typeof p.top_categories === 'string' ? JSON.parse(p.top_categories) : p.top_categories || [];
    // A public server's clusters carry `incidents` (published counts of their cells) and no
    // count, first or last: say only what the answer has.
    return h(
      'div',
      null,
      h('b', null, `DBSCAN #${p.id}: ${num(p.count ?? p.incidents)} ${t('incidents').toLowerCase()}`),
      p.first != null && p.last != null ? [h('br'), t('first_last', { first: dateTime(p.first, false), last: dateTime(p.last, false) })] : null,
      cats.length ? [h('br'), cats.map((c) => `${label(catIndex[c.category], c.category)} (${num(c.count)})`).join(', ')] : null,
    );
  }
  return h('div', null, describe(f));
}

/**
 * Moves the map, if needed, so that a selected shape is not hidden by the panel.
 * @param {any} geometry  a Polygon or MultiPolygon
 */
export function reveal(geometry) {
  const map = theMap();
  const b = bounds([geometry]);
  if (!b) return;
  const [w, so, e, n] = b;
  /** @type {[number, number]} */
  const centre = [(w + e) / 2, (so + n) / 2];
  const p = map.project(centre);
  const box = map.getContainer().getBoundingClientRect();
  const panel = $('#panel').getBoundingClientRect();
  const sheet = panel.width >= box.width - 1; // phones: the panel is a bottom sheet
  const visW = sheet ? box.width : box.width - panel.width;
  const visH = sheet ? box.height - panel.height : box.height;
  if (p.x > 24 && p.x < visW - 24 && p.y > 24 && p.y < visH - 24) return;
  const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
  map.easeTo({ center: centre, offset: sheet ? [0, -panel.height / 2] : [-panel.width / 2, 0], duration: still ? 0 : 400 });
}
