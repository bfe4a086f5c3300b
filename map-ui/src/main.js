// The map page: builds the controls, the map and its layers, keeps the URL in step with the
// view, and loads what the visible layers need from the API.
//
// Start-up order, for a fast first view: the wards and the catalogue are asked for at once;
// MapLibre is imported meanwhile (modulepreload has fetched it); the first camera is computed
// from the wards' extent without the map, so the layers' requests go out before the map's
// (slow, WebGL) construction; their answers are drawn once the map has loaded.

import * as api from './api.js';
import * as auth from './auth.js';
import { $, h } from './dom.js';
import { applyI18n, label, num, setLang, t } from './i18n.js';
import { EMPTY, LAYERS, byId, owner, style } from './layers.js';
import * as panels from './panels.js';
import * as S from './state.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content?.trim() || '';
const TZ = meta('diemnong-timezone') || 'Asia/Ho_Chi_Minh';
const BASEMAP = meta('diemnong-basemap') ? { url: meta('diemnong-basemap'), attribution: meta('diemnong-basemap-attribution') } : null;
const DAY = S.today(TZ);
const state = S.parse(location.search, DAY);
const HCMC = { lon: 106.68, lat: 10.79, zoom: 11 };

let map; // created once MapLibre is imported
let ML; // the MapLibre module
let view = null; // the camera until the map exists: { lon, lat, zoom }
let catalogue = { categories: [], model_kinds: [] };
let areas = EMPTY; // wards and districts
const loaded = {}; // layer id → key of the data on the map
const pending = {}; // layer id → AbortController
const data = {}; // layer id → last FeatureCollection applied
const errors = {}; // layer id → readable message
let incidentBbox = null;
let refreshTimer = null;
let firstView = null;
let styleReady = false; // the style's layers exist (isStyleLoaded() is false while a source loads)
let cameraReady = false; // the first view is placed, so the resolution and the box are known
let resolveReady;
const ready = new Promise((r) => {
  resolveReady = r;
});

// Who is signed in decides which layers may load: ask before the first request.
await auth.restore();
setLang(state.lang);
applyI18n();

// ---- helpers used by layers and panels -----------------------------------------------------

const catByCode = () => Object.fromEntries(catalogue.categories.map((c) => [c.code, c]));
let catIndex = {};
const ctxBase = {
  category: (code) => catIndex[code],
  modelKind: (code) => catalogue.model_kinds.find((k) => k.code === code),
  openArea: (code) => panels.openArea(code),
  openZone: (f) => panels.openZone(f),
};
function layerCtx() {
  return {
    ...ctxBase,
    s: state,
    res: effectiveRes(),
    signedIn: auth.signedIn(),
    bbox: incidentBbox,
  };
}
const currentZoom = () => (map ? map.getZoom() : (view || HCMC).zoom);
const effectiveRes = () => (state.res === 'auto' ? S.resForZoom(currentZoom()) : state.res);

// ---- URL -----------------------------------------------------------------------------------

let urlTimer = null;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const q = S.serialize(state, DAY);
    history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}`);
  }, 150);
}

// ---- status: busy indicator and alert -----------------------------------------------------

const busyEl = $('#busy');
function setBusy(n) {
  busyEl.classList.toggle('on', n > 0);
  busyEl.querySelector('.busy-text').textContent = n > 0 ? t('loading') : '';
  document.body.dataset.busy = String(n);
}
api.onBusy(setBusy);
setBusy(0);

let retryFn = null;
function alertError(msg, retry) {
  $('#alert-msg').textContent = msg;
  $('#alert').hidden = false;
  retryFn = retry || null;
  $('#alert-retry').hidden = !retry;
}
function clearAlert() {
  $('#alert').hidden = true;
  retryFn = null;
}
$('#alert-close').addEventListener('click', clearAlert);
$('#alert-retry').addEventListener('click', () => {
  const f = retryFn;
  clearAlert();
  if (f) f();
});

// ---- controls: time --------------------------------------------------------------------------

// The slider runs by month from January five years back (or earlier, to reach a linked range)
// to the current month; the thumbs are the first and the last month included.
const thisYear = Number(DAY.slice(0, 4));
const minYear = Math.min(thisYear - 5, state.from ? Number(state.from.slice(0, 4)) : thisYear);
const monthCount = (thisYear - minYear) * 12 + Number(DAY.slice(5, 7));
const idxOf = (date) => (Number(date.slice(0, 4)) - minYear) * 12 + Number(date.slice(5, 7)) - 1;
const dateOf = (i) => S.monthStart(minYear, i + 1);
const mFrom = $('#m-from');
const mTo = $('#m-to');
for (const el of [mFrom, mTo]) el.max = String(monthCount - 1);

function renderPresets() {
  $('#presets').replaceChildren(
    ...S.PRESETS.filter((p) => p !== 'custom').map((p) =>
      h('button', { type: 'button', 'aria-pressed': String(state.t === p), 'data-preset': p, onclick: () => setPreset(p) }, t(`t_${p}`)),
    ),
  );
}
const dmy = (date) => date.split('-').reverse().join('/');
function monthLabel(date) {
  return `${date.slice(5, 7)}/${date.slice(0, 4)}`;
}
function syncTimeControls() {
  const clamp = (i) => Math.max(0, Math.min(monthCount - 1, i));
  const a = state.from ? clamp(idxOf(state.from)) : 0;
  const b = state.to ? clamp(idxOf(S.addDays(state.to, -1))) : monthCount - 1;
  mFrom.value = String(a);
  mTo.value = String(b);
  $('#d-from').value = state.from || '';
  $('#d-through').value = state.to ? S.addDays(state.to, -1) : '';
  $('#range-label').textContent =
    state.t === 'all' ? t('range_all') : t('range', { from: state.from ? dmy(state.from) : '…', to: state.to ? dmy(S.addDays(state.to, -1)) : '…' });
  for (const b2 of $('#presets').children) b2.setAttribute('aria-pressed', String(b2.dataset.preset === state.t));
  mFrom.setAttribute('aria-valuetext', monthLabel(dateOf(a)));
  mTo.setAttribute('aria-valuetext', monthLabel(dateOf(b)));
}
function setPreset(p) {
  state.t = p;
  const r = S.presetRange(p, DAY);
  state.from = r?.from ?? null;
  state.to = r?.to ?? null;
  timeChanged();
}
function setCustom(from, to) {
  state.t = 'custom';
  state.from = from;
  state.to = to;
  if (!from && !to) state.t = 'all';
  timeChanged();
}
function timeChanged() {
  syncTimeControls();
  writeUrl();
  scheduleRefresh();
}
function onSlider(which) {
  let a = Number(mFrom.value);
  let b = Number(mTo.value);
  if (a > b) {
    if (which === 'from') b = a;
    else a = b;
  }
  setCustom(dateOf(a), dateOf(b + 1));
}
mFrom.addEventListener('change', () => onSlider('from'));
mTo.addEventListener('change', () => onSlider('to'));
for (const el of [mFrom, mTo]) {
  el.addEventListener('input', () => {
    $('#range-label').textContent = t('range', { from: monthLabel(dateOf(Number(mFrom.value))), to: monthLabel(dateOf(Number(mTo.value))) });
  });
}
function onDates() {
  const f = $('#d-from').value || null;
  const th = $('#d-through').value || null;
  const to = th ? S.addDays(th, 1) : null;
  if (f && to && f >= to) return;
  setCustom(f, to);
}
$('#d-from').addEventListener('change', onDates);
$('#d-through').addEventListener('change', onDates);

// ---- controls: categories, severities, resolution -----------------------------------------

function renderFilters() {
  const cats = $('#cats');
  cats.querySelectorAll('label').forEach((l) => l.remove());
  for (const c of catalogue.categories) {
    cats.append(
      h('label', null, h('input', { type: 'checkbox', value: c.code, checked: state.cat.includes(c.code), onchange: onFilter }), ` ${label(c, c.code)}`),
    );
  }
  const sevs = $('#sevs');
  sevs.querySelectorAll('label').forEach((l) => l.remove());
  for (const v of S.SEVERITIES) {
    sevs.append(h('label', null, h('input', { type: 'checkbox', value: v, checked: state.sev.includes(v), onchange: onFilter }), ` ${t(`sev_${v}`)}`));
  }
  summarise();
}
function summarise() {
  const sum = (n, total) => (n === 0 || n === total ? t('all_selected') : t('n_selected', { n }));
  $('#cat-summary').textContent = sum(state.cat.length, catalogue.categories.length);
  $('#sev-summary').textContent = sum(state.sev.length, S.SEVERITIES.length);
}
function onFilter() {
  const picked = (sel) => [...document.querySelectorAll(`${sel} input:checked`)].map((i) => i.value);
  const cat = picked('#cats');
  const sev = picked('#sevs');
  // Every box ticked is the same as none: no filter.
  state.cat = cat.length === catalogue.categories.length ? [] : cat;
  state.sev = sev.length === S.SEVERITIES.length ? [] : sev;
  summarise();
  writeUrl();
  scheduleRefresh();
}

const resSel = $('#res');
function renderRes() {
  resSel.replaceChildren(
    h('option', { value: 'auto' }, t('res_auto', { res: S.resForZoom(currentZoom()) })),
    ...Array.from({ length: S.RES_MAX - S.RES_MIN + 1 }, (_, i) => h('option', { value: String(S.RES_MIN + i) }, t('res_n', { res: S.RES_MIN + i }))),
  );
  resSel.value = String(state.res);
}
resSel.addEventListener('change', () => {
  state.res = resSel.value === 'auto' ? 'auto' : Number(resSel.value);
  writeUrl();
  scheduleRefresh();
});

// ---- controls: layers ----------------------------------------------------------------------

function renderLayerList() {
  const ul = $('#layers');
  ul.replaceChildren(
    ...LAYERS.map((l) => {
      const locked = l.needsAuth && !auth.signedIn();
      const on = state.layers.has(l.id) && !locked;
      const cb = h('input', {
        type: 'checkbox',
        id: `ly-${l.id}`,
        checked: on,
        disabled: locked,
        'aria-describedby': `lg-${l.id}`,
        onchange: (e) => toggleLayer(l.id, e.target.checked),
      });
      return h(
        'li',
        { class: `layer${on ? ' on' : ''}`, 'data-layer': l.id },
        h('label', { for: `ly-${l.id}` }, cb, ' ', t(`l_${l.id}`), locked ? h('span', { class: 'needs' }, ` · ${t('needs_sign_in')}`) : null),
        l.id === 'complex' && auth.signedIn() ? programmeYear() : null,
        h('div', { class: 'legend', id: `lg-${l.id}` }),
      );
    }),
  );
  for (const l of LAYERS) renderLegend(l.id);
}
function programmeYear() {
  const sel = h(
    'select',
    {
      id: 'py',
      onchange: (e) => {
        state.py = Number(e.target.value);
        writeUrl();
        scheduleRefresh();
        panels.refresh();
      },
    },
    Array.from({ length: 8 }, (_, i) => thisYear + 1 - i).map((y) => h('option', { value: String(y) }, String(y))),
  );
  if (![...sel.options].some((o) => o.value === String(state.py))) sel.append(h('option', { value: String(state.py) }, String(state.py)));
  sel.value = String(state.py);
  return h('label', { class: 'py' }, `${t('programme_year')} `, sel);
}
function renderLegend(id) {
  const el = document.getElementById(`lg-${id}`);
  if (!el) return;
  const l = byId[id];
  const on = state.layers.has(id) && !(l.needsAuth && !auth.signedIn());
  el.closest('li').classList.toggle('on', on);
  if (!on) return el.replaceChildren();
  if (errors[id]) return el.replaceChildren(h('p', { class: 'error' }, t('layer_error', { msg: errors[id] })));
  if (pending[id] && !data[id]) return el.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  el.replaceChildren(l.legend?.(layerCtx()) || '');
}
function toggleLayer(id, on) {
  if (on) state.layers.add(id);
  else state.layers.delete(id);
  writeUrl();
  setVisibility();
  renderLegend(id);
  refresh();
}

// ---- layers: loading and drawing -----------------------------------------------------------

function visible(l) {
  return state.layers.has(l.id) && !(l.needsAuth && !auth.signedIn());
}
function setVisibility() {
  if (!styleReady) return;
  for (const l of LAYERS) for (const m of l.mapLayers) map.setLayoutProperty(m, 'visibility', visible(l) ? 'visible' : 'none');
}
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 250);
}

/**
 * Starts loading every visible layer whose request changed. Requests go out as soon as the
 * camera is settled (before the map's style has finished loading); answers are drawn once
 * it has. Resolves when every load under way has been drawn.
 */
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  if (!cameraReady) return Promise.resolve();
  if (map && state.layers.has('incidents') && auth.signedIn()) ensureIncidentBbox();
  const ctx = layerCtx();
  let started = false;
  for (const l of LAYERS) {
    if (!visible(l)) continue;
    // The incidents are asked for the view's box: once the map exists.
    if (l.id === 'incidents' && !map) continue;
    const key = l.key(ctx);
    if (key === loaded[l.id] || (pending[l.id] && pending[l.id].key === key)) continue;
    pending[l.id]?.abort();
    const ac = new AbortController();
    ac.key = key;
    pending[l.id] = ac;
    delete errors[l.id];
    renderLegend(l.id);
    started = true;
    ac.done = l
      .load(ctx, ac.signal)
      .then(async (fc) => {
        performance.mark(`diemnong:data-${l.id}`);
        await ready;
        if (pending[l.id] !== ac) return;
        performance.mark(`diemnong:apply-${l.id}`);
        map.getSource(l.id).setData(fc);
        l.apply(map, fc);
        data[l.id] = fc;
        loaded[l.id] = key;
        delete pending[l.id];
        renderLegend(l.id);
        if (l.id === 'zones') reopenZoneFromUrl();
      })
      .catch((e) => {
        if (pending[l.id] !== ac) return;
        delete pending[l.id];
        if (e.name === 'AbortError') return;
        // Not retried by itself for the same request: the alert's button does that.
        loaded[l.id] = key;
        errors[l.id] = e instanceof api.ApiError ? e.readable : String(e.message || e);
        renderLegend(l.id);
        alertError(t('err_layer', { layer: t(`l_${l.id}`), msg: errors[l.id] }), retryFailed);
      });
  }
  if (started) clearAlertIfLayer();
  return drawn();
}
/** Resolves when no layer is loading. */
async function drawn() {
  while (Object.keys(pending).length) await Promise.all(Object.values(pending).map((p) => p.done));
}
function retryFailed() {
  for (const id of Object.keys(errors)) {
    delete errors[id];
    delete loaded[id];
  }
  return refresh();
}
function clearAlertIfLayer() {
  if (!$('#alert').hidden && retryFn) clearAlert();
}

/** The incidents are fetched for the view and a margin around it; a new box when the view leaves it. */
function ensureIncidentBbox() {
  const b = map.getBounds();
  const inside = incidentBbox && b.getWest() >= incidentBbox[0] && b.getSouth() >= incidentBbox[1] && b.getEast() <= incidentBbox[2] && b.getNorth() <= incidentBbox[3];
  const capped = data.incidents && data.incidents.numberReturned < (data.incidents.numberMatched ?? 0);
  if (inside && !(capped && map.getZoom() > (ensureIncidentBbox.zoom ?? 0) + 1)) return;
  const dx = (b.getEast() - b.getWest()) * 0.5;
  const dy = (b.getNorth() - b.getSouth()) * 0.5;
  const r = (v) => Math.round(v * 1e4) / 1e4;
  incidentBbox = [r(b.getWest() - dx), r(b.getSouth() - dy), r(b.getEast() + dx), r(b.getNorth() + dy)];
  ensureIncidentBbox.zoom = map.getZoom();
}

function dropAuthData() {
  for (const l of LAYERS) {
    if (!l.needsAuth && l.id !== 'complex') continue;
    pending[l.id]?.abort();
    delete pending[l.id];
    delete loaded[l.id];
    delete data[l.id];
    delete errors[l.id];
    l.stats = null;
    if (styleReady) map.getSource(l.id).setData(EMPTY);
  }
}

// ---- map -----------------------------------------------------------------------------------

function createMap(camera) {
  performance.mark('diemnong:map-create');
  map = new ML.Map({
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
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new ML.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ML.ScaleControl({ unit: 'metric' }), 'bottom-left');
  if (BASEMAP) map.addControl(new ML.AttributionControl({ compact: false }), 'bottom-right');
  map.getCanvas().setAttribute('aria-label', t('title'));
  map.on('load', () => {
    styleReady = true;
    performance.mark('diemnong:map-load');
    resolveReady();
  });
  map.on('moveend', () => {
    const c = map.getCenter();
    state.map = { zoom: map.getZoom(), lat: c.lat, lon: c.lng };
    writeUrl();
    if (state.res === 'auto') resSel.options[0].textContent = t('res_auto', { res: S.resForZoom(map.getZoom()) });
    scheduleRefresh();
  });
  map.on('mousemove', onHover);
  map.getCanvas().addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
  map.on('click', onClick);
}

// Hover: the top feature's description in a tooltip.
const tip = $('#tip');
const interactive = ['incidents-point', 'incidents-cluster', 'cameras-circle', 'models-circle', 'clusters-fill', 'zones-fill', 'complex-fill', 'emerging-fill', 'hotspots-fill', 'kde-fill', 'density-fill', 'wards-fill'];
function topFeature(point) {
  const layers = interactive.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const fs = map.queryRenderedFeatures(point, { layers });
  return fs.find((f) => f.layer.id !== 'emerging-fill' || f.properties.category !== 'no_pattern');
}
function describe(f) {
  if (f.layer.id === 'wards-fill') return `${f.properties.name}${f.properties.population ? ` · ${t('population')} ${num(f.properties.population)}` : ''}`;
  const l = owner[f.layer.id];
  return l?.tip ? l.tip(f.properties, layerCtx()) : '';
}
function onHover(e) {
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

let popup = null;
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && popup?.isOpen()) {
    popup.remove();
    popup = null;
  }
});

async function onClick(e) {
  const f = topFeature(e.point);
  if (!f) return;
  const id = f.layer.id;
  if (id === 'zones-fill') {
    const z = data.zones?.features.find((x) => x.properties.id === f.properties.id);
    if (z) panels.openZone(z);
  } else if (id === 'complex-fill') {
    panels.openArea(f.properties.code);
  } else if (id === 'incidents-cluster') {
    const zoom = await map.getSource('incidents').getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: f.geometry.coordinates, zoom });
  } else if (id !== 'wards-fill') {
    popup?.remove();
    popup = new ML.Popup({ closeButton: true, maxWidth: '18rem' }).setLngLat(e.lngLat).setDOMContent(popupContent(f)).addTo(map);
  }
}
function popupContent(f) {
  const p = f.properties;
  if (f.layer.id === 'incidents-point') {
    return h('div', null, h('b', null, label(catIndex[p.category], p.category)), h('br'), `${t(`sev_${p.severity}`)} · ${String(p.occurred_at).slice(0, 16).replace('T', ' ')}`, p.address ? [h('br'), p.address] : null, p.ward ? [h('br'), p.ward] : null);
  }
  if (f.layer.id === 'clusters-fill') {
    const cats = typeof p.top_categories === 'string' ? JSON.parse(p.top_categories) : p.top_categories || [];
    return h(
      'div',
      null,
      h('b', null, `DBSCAN #${p.id}: ${num(p.count)} ${t('incidents').toLowerCase()}`),
      h('br'),
      t('first_last', { first: String(p.first).slice(0, 10), last: String(p.last).slice(0, 10) }),
      h('br'),
      cats.map((c) => `${label(catIndex[c.category], c.category)} (${num(c.count)})`).join(', '),
    );
  }
  return h('div', null, describe(f));
}

// ---- panels --------------------------------------------------------------------------------

panels.init({
  focusMap: () => map?.getCanvas().focus(),
  state: () => state,
  category: (c) => catIndex[c],
  area(code) {
    const f = data.complex?.features.find((x) => x.properties.code === code) || areas.features.find((x) => x.properties.code === code);
    return f ? { name: f.properties.name, properties: f.properties, geometry: f.geometry } : null;
  },
  zone: (id) => data.zones?.features.find((x) => x.properties.id === id),
  select(geometry) {
    if (!styleReady) return;
    map.getSource('selected').setData(geometry ? { type: 'Feature', geometry, properties: {} } : EMPTY);
    if (geometry) reveal(geometry);
  },
  onPanel(p) {
    state.panel = p;
    if (!p && styleReady) map.getSource('selected').setData(EMPTY);
    writeUrl();
  },
  programmeChanged() {
    delete loaded.complex;
    refresh();
  },
  signIn: () => openSignIn(),
});
/** Moves the map, if needed, so that a selected shape is not hidden by the panel. */
function reveal(geometry) {
  let w = 180;
  let so = 90;
  let e = -180;
  let n = -90;
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const poly of polys) {
    for (const [x, y] of poly[0]) {
      w = Math.min(w, x);
      e = Math.max(e, x);
      so = Math.min(so, y);
      n = Math.max(n, y);
    }
  }
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
function reopenZoneFromUrl() {
  if (state.panel?.startsWith('zone:') && !panels.openPanel()) {
    const z = data.zones?.features.find((x) => x.properties.id === state.panel.slice(5));
    if (z) panels.openZone(z);
  }
}

// ---- sign-in -------------------------------------------------------------------------------

const dlg = $('#signin');
function openSignIn() {
  $('#signin-err').hidden = true;
  $('#token').value = '';
  dlg.showModal();
  $('#token').focus();
}
$('#auth-btn').addEventListener('click', () => (auth.signedIn() ? auth.signOut() : openSignIn()));
$('#signin-cancel').addEventListener('click', () => dlg.close());
$('#signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('#signin-err');
  try {
    if (await auth.signIn($('#token').value)) dlg.close();
    else {
      err.textContent = t('token_bad');
      err.hidden = false;
    }
  } catch (x) {
    err.textContent = `${t('err_network')} ${x.message}`;
    err.hidden = false;
  }
});
function renderAuth() {
  $('#auth-btn').textContent = auth.signedIn() ? t('sign_out') : t('sign_in');
  $('#who').hidden = !auth.signedIn();
  $('#who').textContent = auth.name() ? `${t('signed_in')}: ${auth.name()}` : t('signed_in');
}
auth.onChange(() => {
  dropAuthData();
  renderAuth();
  renderLayerList();
  setVisibility();
  refresh();
  panels.refresh();
});

// ---- language and small screens ------------------------------------------------------------

const langBtn = $('#lang-btn');
function renderLangButton() {
  const other = state.lang === 'vi' ? 'en' : 'vi';
  langBtn.querySelector('.long').textContent = t('lang_switch');
  langBtn.querySelector('.short').textContent = other.toUpperCase();
  langBtn.setAttribute('lang', other);
  langBtn.setAttribute('aria-label', t('lang_switch_aria'));
}
langBtn.addEventListener('click', () => {
  state.lang = state.lang === 'vi' ? 'en' : 'vi';
  setLang(state.lang);
  writeUrl();
  renderAll();
  panels.refresh();
});
const menuBtn = $('#menu-btn');
menuBtn.addEventListener('click', () => {
  const open = !document.body.classList.contains('side-open');
  document.body.classList.toggle('side-open', open);
  menuBtn.setAttribute('aria-expanded', String(open));
  if (open) $('#side').querySelector('button, input, select, summary')?.focus();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('side-open') && !panels.openPanel() && !dlg.open) {
    document.body.classList.remove('side-open');
    menuBtn.setAttribute('aria-expanded', 'false');
    menuBtn.focus();
  }
});

function renderAll() {
  applyI18n();
  map?.getCanvas().setAttribute('aria-label', t('title'));
  renderLangButton();
  renderAuth();
  renderPresets();
  syncTimeControls();
  renderFilters();
  renderRes();
  renderLayerList();
}

// ---- start ---------------------------------------------------------------------------------

renderAll();

/** The camera that fits the wards in the map's box (MapLibre's 512-px Web Mercator world). */
function cityCamera() {
  let w = 180;
  let so = 90;
  let e = -180;
  let n = -90;
  for (const f of areas.features) {
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const poly of polys) {
      for (const [x, y] of poly[0]) {
        if (x < w) w = x;
        if (x > e) e = x;
        if (y < so) so = y;
        if (y > n) n = y;
      }
    }
  }
  if (w > e) return null;
  const box = $('#map');
  const pad = 20;
  const merc = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const zx = Math.log2(((box.clientWidth - 2 * pad) * 360) / (512 * Math.max(e - w, 1e-9)));
  const zy = Math.log2(((box.clientHeight - 2 * pad) * 2 * Math.PI) / (512 * Math.max(merc(n) - merc(so), 1e-9)));
  const zoom = Math.max(4, Math.min(18, zx, zy));
  const lat = (Math.atan(Math.sinh((merc(n) + merc(so)) / 2)) * 180) / Math.PI;
  return { lon: (w + e) / 2, lat, zoom };
}

const areasLoaded = api.getAll('/api/v1/areas', { kind: 'ward,district' }).then(
  (fc) => {
    performance.mark('diemnong:areas');
    areas = fc;
  },
  (e) => alertError(e instanceof api.ApiError ? e.readable : String(e), () => location.reload()),
);
// The layers' requests go out once the camera is placed: at once for a link with a view,
// after the wards (whose extent is the first view) otherwise.
const placed = (state.map ? Promise.resolve() : areasLoaded).then(() => {
  view = state.map || cityCamera() || HCMC;
  cameraReady = true;
  renderRes();
  refresh();
});

const catalogueLoaded = api.get('/api/v1/catalogue').then(
  (c) => {
    catalogue = c;
    catIndex = catByCode();
    const codes = c.categories.map((x) => x.code);
    state.cat = state.cat.filter((x) => codes.includes(x));
    renderFilters();
    for (const l of LAYERS) renderLegend(l.id);
  },
  (e) => alertError(e instanceof api.ApiError ? e.readable : String(e), () => location.reload()),
);

ML = await import('maplibre-gl');
await placed;
createMap(view);

const boot = Promise.all([catalogueLoaded, areasLoaded, ready]);

boot.then(async () => {
  map.getSource('areas').setData(areas);
  setVisibility();
  await refresh();
  await new Promise((r) => {
    map.once('idle', r);
    map.triggerRepaint();
  });
  firstView = performance.now();
  performance.mark('diemnong:first-view');
  document.body.dataset.ready = 'true';
  if (state.panel?.startsWith('area:')) panels.openArea(state.panel.slice(5));
  else if (state.panel?.startsWith('zone:')) {
    if (!state.layers.has('zones')) toggleLayer('zones', true);
    reopenZoneFromUrl();
  }
});

/** Resolves when nothing is loading or waiting to load and the map has drawn (for tests and tools). */
async function settled() {
  await boot;
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 30));
    if (refreshTimer || api.busy() > 0 || Object.keys(pending).length) continue;
    await new Promise((r) => {
      map.once('idle', r);
      map.triggerRepaint();
    });
    if (!refreshTimer && api.busy() === 0 && !Object.keys(pending).length) return;
  }
}

window.diemnong = {
  map,
  state,
  settled,
  get firstView() {
    return firstView;
  },
};
