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
import { applyI18n, dateTime, dayText, label, monthText, num, setLang, setZone, t } from './i18n.js';
import { EMPTY, LAYERS, byId, lockIcon, owner, style } from './layers.js';
import * as panels from './panels.js';
import * as S from './state.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content?.trim() || '';
const TZ = meta('diemnong-timezone') || 'Asia/Ho_Chi_Minh';
const BASEMAP = meta('diemnong-basemap') ? { url: meta('diemnong-basemap'), attribution: meta('diemnong-basemap-attribution') } : null;
const DAY = S.today(TZ);
// The one state of the view. The defaults that follow the data (time range, programme year)
// are filled in by S.resolve once the extent has answered (see "start" below).
const state = S.parse(location.search, DAY);
// GET /api/v1/extent: the data's time span and box, the programme years, the data version;
// null when the server could not say (the page then falls back to "all" and this year).
let extent = null;
const HCMC = { lon: 106.68, lat: 10.79, zoom: 11 };

let map; // created once MapLibre is imported
let ML; // the MapLibre module
let view = null; // the camera until the map exists: { lon, lat, zoom }
let catalogue = { categories: [], model_kinds: [] };
let areas = EMPTY; // wards and districts
let wardLabels = new Map(); // ward code → "name (district)" where the name alone is ambiguous
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
setZone(TZ);
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
    extent,
    dataVersion: extent?.data_version ?? null,
  };
}
const currentZoom = () => (map ? map.getZoom() : (view || HCMC).zoom);
const effectiveRes = () => (state.res === 'auto' ? S.resForZoom(currentZoom()) : state.res);

// ---- URL -----------------------------------------------------------------------------------

let urlTimer = null;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const q = S.serialize(state, DAY, extent);
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

// ---- controls: time ------------------------------------------------------------------------

// The slider runs by month from January five years back (or earlier, to reach the data or a
// linked range) to the current month (or the data's last); the thumbs are the first and the
// last month included. Set up once the extent is known (setupSlider).
const thisYear = Number(DAY.slice(0, 4));
const slider = { minYear: thisYear - 5, count: 1 };
const idxOf = (date) => (Number(date.slice(0, 4)) - slider.minYear) * 12 + Number(date.slice(5, 7)) - 1;
const dateOf = (i) => S.monthStart(slider.minYear, i + 1);
const mFrom = $('#m-from');
const mTo = $('#m-to');
const dFrom = $('#d-from');
const dThrough = $('#d-through');
function setupSlider() {
  const firsts = [thisYear - 5, state.from, extent?.incidents?.from].filter(Boolean).map((x) => Number(String(x).slice(0, 4)));
  slider.minYear = Math.min(...firsts);
  const lastData = extent?.incidents?.to ? S.addDays(extent.incidents.to, -1) : DAY;
  slider.count = Math.max(idxOf(DAY), idxOf(lastData)) + 1;
  for (const el of [mFrom, mTo]) el.max = String(slider.count - 1);
}
setupSlider();

function renderPresets() {
  $('#presets').replaceChildren(
    ...S.PRESETS.filter((p) => p !== 'custom' && (p !== 'latest' || S.latestRange(extent))).map((p) =>
      h('button', { type: 'button', 'aria-pressed': String(state.t === p), 'data-preset': p, onclick: () => setPreset(p) }, t(`t_${p}`)),
    ),
  );
}
function rangeText() {
  if (state.t === 'all') return t('range_all');
  return t('range', { from: state.from ? dayText(state.from) : '…', to: state.to ? dayText(S.addDays(state.to, -1)) : '…' });
}
function syncTimeControls() {
  const clamp = (i) => Math.max(0, Math.min(slider.count - 1, i));
  const a = state.from ? clamp(idxOf(state.from)) : 0;
  const b = state.to ? clamp(idxOf(S.addDays(state.to, -1))) : slider.count - 1;
  mFrom.value = String(a);
  mTo.value = String(b);
  dFrom.value = dayText(state.from || '');
  dThrough.value = state.to ? dayText(S.addDays(state.to, -1)) : '';
  showDateError(null);
  $('#range-label').textContent = rangeText();
  for (const b2 of $('#presets').children) b2.setAttribute('aria-pressed', String(b2.dataset.preset === state.t));
  mFrom.setAttribute('aria-valuetext', monthText(dateOf(a)));
  mTo.setAttribute('aria-valuetext', monthText(dateOf(b)));
}
function setPreset(p) {
  const r = S.presetRange(p, DAY, extent);
  state.t = p === 'latest' && !r ? 'all' : p;
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
    $('#range-label').textContent = t('range', { from: monthText(dateOf(Number(mFrom.value))), to: monthText(dateOf(Number(mTo.value))) });
  });
}

// Typed dates: dd/mm/yyyy (S.parseDate); a bad one is named next to the fields and changes nothing.
function showDateError(msg, input = null) {
  const el = $('#d-error');
  el.textContent = msg || '';
  el.hidden = !msg;
  for (const i of [dFrom, dThrough]) i.setAttribute('aria-invalid', String(!!msg && (input == null || i === input)));
}
function onDates() {
  const read = (input) => {
    const text = input.value.trim();
    return { text, date: text ? S.parseDate(text) : null };
  };
  const f = read(dFrom);
  const th = read(dThrough);
  for (const [v, input] of [[f, dFrom], [th, dThrough]]) {
    if (v.text && !v.date) return showDateError(t('date_bad', { text: v.text }), input);
  }
  const to = th.date ? S.addDays(th.date, 1) : null;
  if (f.date && to && f.date >= to) return showDateError(t('date_order'));
  setCustom(f.date, to);
}
for (const input of [dFrom, dThrough]) {
  input.addEventListener('change', onDates);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') onDates();
  });
}

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
  // Categories: none ticked is no filter (ticking one narrows to it). Severities start all
  // ticked, and none ticked is none: the incident-based layers then draw nothing.
  const n = state.cat.length;
  $('#cat-summary').textContent = n === 0 || n === catalogue.categories.length ? t('all_selected') : t('n_selected', { n });
  const k = state.sev.length;
  $('#sev-summary').textContent = k === 0 ? t('none_selected') : k === S.SEVERITIES.length ? t('all_selected') : t('n_selected', { n: k });
}
function onFilter() {
  const picked = (sel) => [...document.querySelectorAll(`${sel} input:checked`)].map((i) => i.value);
  const cat = picked('#cats');
  // Every category ticked is the same as none: no filter.
  state.cat = cat.length === catalogue.categories.length ? [] : cat;
  state.sev = picked('#sevs');
  summarise();
  writeUrl();
  scheduleRefresh();
  for (const l of LAYERS) if (l.filtered) renderLegend(l.id);
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
      // The complex areas' outlines are public; their programme colours need a sign-in.
      const lock = locked ? lockIcon(t('lock_layer')) : l.id === 'complex' && !auth.signedIn() ? lockIcon(t('lock_status')) : null;
      return h(
        'li',
        { class: `layer${on ? ' on' : ''}`, 'data-layer': l.id },
        h('label', { for: `ly-${l.id}` }, cb, h('span', null, t(`l_${l.id}`), lock ? [' ', h('span', { class: 'needs' }, lock, locked ? ` ${t('needs_sign_in')}` : null)] : null)),
        l.id === 'complex' && auth.signedIn() && state.py != null ? programmeYear() : null,
        h('div', { class: 'legend', id: `lg-${l.id}` }),
      );
    }),
  );
  for (const l of LAYERS) renderLegend(l.id);
}
/** The programme years to offer: around this year, and every year with designations. */
function programmeYears() {
  const ys = new Set([...Array.from({ length: 8 }, (_, i) => thisYear + 1 - i), ...(extent?.programme_years || []), state.py]);
  return [...ys].filter(Number.isInteger).sort((a, b) => b - a);
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
    programmeYears().map((y) => h('option', { value: String(y) }, String(y))),
  );
  sel.value = String(state.py);
  return h('label', { class: 'py' }, `${t('programme_year')} `, sel);
}
function renderLegend(id) {
  const el = document.getElementById(`lg-${id}`);
  if (!el) return;
  const l = byId[id];
  const locked = l.needsAuth && !auth.signedIn();
  const on = state.layers.has(id) && !locked;
  el.closest('li').classList.toggle('on', on);
  // Asked for (a link) but not shown: say why rather than stay silently empty.
  if (locked && state.layers.has(id)) {
    return el.replaceChildren(h('p', { class: 'muted locked' }, t('locked_legend'), ' ', h('button', { type: 'button', class: 'link', onclick: () => openSignIn() }, t('sign_in'))));
  }
  if (!on) return el.replaceChildren();
  if (l.filtered && S.noSeverity(state)) return el.replaceChildren(h('p', { class: 'note no-sev' }, t('no_severity')));
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
    if (l.filtered && S.noSeverity(state)) {
      clearLayer(l);
      continue;
    }
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
/** Takes a layer's data off the map (no severity ticked: nothing of it to draw). */
function clearLayer(l) {
  if (loaded[l.id] === 'none') return;
  pending[l.id]?.abort();
  delete pending[l.id];
  delete errors[l.id];
  delete data[l.id];
  loaded[l.id] = 'none';
  l.stats = null;
  if (styleReady) map.getSource(l.id).setData(EMPTY);
  renderLegend(l.id);
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
  if (f.layer.id === 'wards-fill') return `${wardLabels.get(f.properties.code) || f.properties.name}${f.properties.population ? ` · ${t('population')} ${num(f.properties.population)}` : ''}`;
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
    return h('div', null, h('b', null, label(catIndex[p.category], p.category)), h('br'), `${t(`sev_${p.severity}`)} · ${dateTime(p.occurred_at)}`, p.address ? [h('br'), p.address] : null, p.ward ? [h('br'), p.ward] : null);
  }
  if (f.layer.id === 'clusters-fill') {
    const cats = typeof p.top_categories === 'string' ? JSON.parse(p.top_categories) : p.top_categories || [];
    return h(
      'div',
      null,
      h('b', null, `DBSCAN #${p.id}: ${num(p.count)} ${t('incidents').toLowerCase()}`),
      h('br'),
      t('first_last', { first: dateTime(p.first, false), last: dateTime(p.last, false) }),
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
  today: () => DAY,
  category: (c) => catIndex[c],
  area(code) {
    const f = data.complex?.features.find((x) => x.properties.code === code) || areas.features.find((x) => x.properties.code === code);
    return f ? { name: wardLabels.get(code) || f.properties.name, properties: f.properties, geometry: f.geometry } : null;
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

/** The outer rings of a Polygon or MultiPolygon. */
const outerRings = (g) => (g.type === 'Polygon' ? [g.coordinates[0]] : g.coordinates.map((p) => p[0]));
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
 */
function labelWards(fc) {
  const wards = fc.features.filter((f) => f.properties.kind === 'ward');
  const districts = fc.features.filter((f) => f.properties.kind === 'district');
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

const areasLoaded = api.getAll('/api/v1/areas', { kind: 'ward,district' }).then(
  (fc) => {
    performance.mark('diemnong:areas');
    areas = fc;
    wardLabels = labelWards(fc);
  },
  (e) => alertError(e instanceof api.ApiError ? e.readable : String(e), () => location.reload()),
);
// The data's extent decides the default time range and programme year, so the layers wait
// for it too: one small request, sent alongside the wards and the catalogue.
const extentLoaded = api
  .get('/api/v1/extent')
  .then(
    (e) => {
      extent = e;
    },
    () => {
      extent = null; // a server without it: "all" and this year, as before
    },
  )
  .then(() => {
    S.resolve(state, DAY, extent);
    setupSlider();
    renderPresets();
    syncTimeControls();
    renderLayerList();
  });
// The layers' requests go out once the camera is placed and the time range known: the
// camera at once for a link with a view, after the wards (whose extent is the first view)
// otherwise.
const placed = Promise.all([state.map ? null : areasLoaded, extentLoaded]).then(() => {
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
  get extent() {
    return extent;
  },
  settled,
  get firstView() {
    return firstView;
  },
};
