// Loading the visible layers and drawing them: each layer's request (a new one only when its
// key changes), its answer put on the map, its legend (or why there is none), and switching
// layers on and off. Requests go out as soon as the camera is placed, before the map's style
// has loaded; answers are drawn once it has (styleLoaded).

/** @import { Layer } from './layers.js' */

import * as api from './api.js';
import * as auth from './auth.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { byId, EMPTY, LAYERS } from './layers.js';
import { alertError, clearAlertIfLayer } from './notice.js';
import * as panels from './panels.js';
import { openSignIn } from './signin.js';
import * as S from './state.js';
import { layerCtx, source, styleLoaded, theMap, view, writeUrl } from './view.js';

/**
 * Whether a layer is switched on and may be shown (signed in, when it needs it).
 * @param {Layer} l
 */
function visible(l) {
  return view.state.layers.has(l.id) && !(l.needsAuth && !auth.signedIn());
}

/** Shows the style layers of the layers switched on, hides the others. */
export function setVisibility() {
  if (!view.styleReady) return;
  for (const l of LAYERS) for (const m of l.mapLayers) theMap().setLayoutProperty(m, 'visibility', visible(l) ? 'visible' : 'none');
}

/** A refresh once the controls have been still for a moment. */
export function scheduleRefresh() {
  clearTimeout(view.refreshTimer);
  view.refreshTimer = setTimeout(refresh, 250);
}

/**
 * Starts loading every visible layer whose request changed. Requests go out as soon as the
 * camera is settled (before the map's style has finished loading); answers are drawn once
 * it has. Resolves when every load under way has been drawn.
 * @returns {Promise<void>}
 */
export function refresh() {
  clearTimeout(view.refreshTimer);
  view.refreshTimer = undefined;
  if (!view.cameraReady) return Promise.resolve();
  if (view.map && view.state.layers.has('incidents') && auth.signedIn()) ensureIncidentBox();
  const ctx = layerCtx();
  let started = false;
  for (const l of LAYERS) {
    if (!visible(l)) continue;
    // The incidents are asked for the view's box: once the map exists.
    if (l.id === 'incidents' && !view.map) continue;
    if (l.filtered && S.noSeverity(view.state)) {
      clearLayer(l);
      continue;
    }
    const key = l.key(ctx);
    if (key === view.loaded[l.id] || (view.pending[l.id] && view.pending[l.id].key === key)) continue;
    view.pending[l.id]?.abort();
    const ac = /** @type {import('./view.js').Load} */ (new AbortController());
    ac.key = key;
    view.pending[l.id] = ac;
    delete view.errors[l.id];
    renderLegend(l.id);
    started = true;
    ac.done = l
      .load(ctx, ac.signal)
      .then(async (fc) => {
        performance.mark(`diemnong:data-${l.id}`);
        await styleLoaded.promise;
        if (view.pending[l.id] !== ac) return;
        performance.mark(`diemnong:apply-${l.id}`);
        source(l.id).setData(fc);
        l.apply(theMap(), fc);
        view.data[l.id] = fc;
        view.loaded[l.id] = key;
        delete view.pending[l.id];
        renderLegend(l.id);
        if (l.id === 'zones') reopenZoneFromUrl();
      })
      .catch((e) => {
        if (view.pending[l.id] !== ac) return;
        delete view.pending[l.id];
        if (e.name === 'AbortError') return;
        // Not retried by itself for the same request: the alert's button does that.
        view.loaded[l.id] = key;
        view.errors[l.id] = e instanceof api.ApiError ? e.readable : String(e.message || e);
        renderLegend(l.id);
        alertError(t('err_layer', { layer: t(`l_${l.id}`), msg: view.errors[l.id] }), retryFailed);
      });
  }
  if (started) clearAlertIfLayer();
  return drawn();
}

/**
 * Takes a layer's data off the map (no severity ticked: nothing of it to draw).
 * @param {Layer} l
 */
function clearLayer(l) {
  if (view.loaded[l.id] === 'none') return;
  view.pending[l.id]?.abort();
  delete view.pending[l.id];
  delete view.errors[l.id];
  delete view.data[l.id];
  view.loaded[l.id] = 'none';
  l.stats = null;
  if (view.styleReady) source(l.id).setData(EMPTY);
  renderLegend(l.id);
}

/** Resolves when no layer is loading. */
export async function drawn() {
  while (Object.keys(view.pending).length) await Promise.all(Object.values(view.pending).map((p) => p.done));
}

/** Loads the layers that failed again (the alert's retry). */
function retryFailed() {
  for (const id of Object.keys(view.errors)) {
    delete view.errors[id];
    delete view.loaded[id];
  }
  return refresh();
}

/** The incidents are fetched for the view and a margin around it; a new box when the view leaves it. */
function ensureIncidentBox() {
  const map = theMap();
  const b = map.getBounds();
  const box = view.incidentBox?.bbox;
  const inside = box && b.getWest() >= box[0] && b.getSouth() >= box[1] && b.getEast() <= box[2] && b.getNorth() <= box[3];
  const incidents = view.data.incidents;
  const capped = incidents && /** @type {number} */ (incidents.numberReturned) < (incidents.numberMatched ?? 0);
  if (inside && !(capped && map.getZoom() > (view.incidentBox?.zoom ?? 0) + 1)) return;
  const dx = (b.getEast() - b.getWest()) * 0.5;
  const dy = (b.getNorth() - b.getSouth()) * 0.5;
  /** @param {number} v */
  const r = (v) => Math.round(v * 1e4) / 1e4;
  view.incidentBox = { bbox: [r(b.getWest() - dx), r(b.getSouth() - dy), r(b.getEast() + dx), r(b.getNorth() + dy)], zoom: map.getZoom() };
}

/** Forgets what a sign-in or sign-out changes: the layers that need it, and the complex areas' statuses. */
export function dropAuthData() {
  for (const l of LAYERS) {
    if (!l.needsAuth && l.id !== 'complex') continue;
    view.pending[l.id]?.abort();
    delete view.pending[l.id];
    delete view.loaded[l.id];
    delete view.data[l.id];
    delete view.errors[l.id];
    l.stats = null;
    if (view.styleReady) source(l.id).setData(EMPTY);
  }
}

/**
 * A layer's legend: what its data on the map shows, or why there is none (locked, no
 * severity ticked, an error, loading).
 * @param {string} id
 */
export function renderLegend(id) {
  const el = document.getElementById(`lg-${id}`);
  if (!el) return;
  const l = byId[id];
  const locked = l.needsAuth && !auth.signedIn();
  const on = view.state.layers.has(id) && !locked;
  el.closest('li')?.classList.toggle('on', on);
  // Asked for (a link) but not shown: say why rather than stay silently empty.
  if (locked && view.state.layers.has(id)) {
    return el.replaceChildren(
      h('p', { class: 'muted locked' }, t('locked_legend'), ' ', h('button', { type: 'button', class: 'link', onclick: () => openSignIn() }, t('sign_in'))),
    );
  }
  if (!on) return el.replaceChildren();
  if (l.filtered && S.noSeverity(view.state)) return el.replaceChildren(h('p', { class: 'note no-sev' }, t('no_severity')));
  if (view.errors[id]) return el.replaceChildren(h('p', { class: 'error' }, t('layer_error', { msg: view.errors[id] })));
  if (view.pending[id] && !view.data[id]) return el.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  el.replaceChildren(/** @type {Node | string} */ (l.legend?.(layerCtx()) || ''));
}

/** Every layer's legend. */
export function renderLegends() {
  for (const l of LAYERS) renderLegend(l.id);
}

/**
 * Switches a layer on or off.
 * @param {string} id
 * @param {boolean} on
 */
export function toggleLayer(id, on) {
  if (on) view.state.layers.add(id);
  else view.state.layers.delete(id);
  writeUrl();
  setVisibility();
  renderLegend(id);
  refresh();
}

/** Opens the zone a link names once the zones have loaded (and no other panel is open). */
export function reopenZoneFromUrl() {
  const panel = view.state.panel;
  if (panel?.startsWith('zone:') && !panels.openPanel()) {
    const z = view.data.zones?.features.find((x) => x.properties.id === panel.slice(5));
    if (z) panels.openZone(z);
  }
}
