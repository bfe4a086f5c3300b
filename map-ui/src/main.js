// The map page's start: wires the parts together and starts them in the order that makes the
// first view fast. The parts: view.js (the page's one state and the URL), controls.js (the
// side bar and the header), loader.js (loading and drawing the layers, their legends),
// map.js (the map, hover and click), panels.js (the side panel), signin.js, notice.js, geo.js.
//
// Start-up order, for a fast first view: the wards and the catalogue are asked for at once;
// MapLibre is imported meanwhile (modulepreload has fetched it); the first camera is computed
// from the wards' extent without the map, so the layers' requests go out before the map's
// (slow, WebGL) construction; their answers are drawn once the map has loaded.

/** @import { CatalogueEntry } from './layers.js' */
/** @import { Camera } from './state.js' */

import * as api from './api.js';
import * as auth from './auth.js';
import { fitViewToAccess, initControls, initHeader, renderAll, renderFilters, renderRes, setupSlider } from './controls.js';
import { labelWards } from './geo.js';
import { applyI18n, setLang, setZone } from './i18n.js';
import { EMPTY } from './layers.js';
import { dropAuthData, refresh, renderLegends, reopenZoneFromUrl, setVisibility, toggleLayer } from './loader.js';
import { cityCamera, createMap, initPopupKeys, reveal } from './map.js';
import { alertError, initNotice } from './notice.js';
import * as panels from './panels.js';
import { initSignIn, openSignIn } from './signin.js';
import * as S from './state.js';
import { DAY, HCMC, publicNow, source, styleLoaded, TZ, theMap, view, writeUrl } from './view.js';

// Who is signed in decides which layers may load: ask before the first request.
await auth.restore();
setZone(TZ);
setLang(view.state.lang);
applyI18n();

// ---- wiring (the order of the Esc listeners matters: popup, panel, then the menu) ----------

initNotice();
setupSlider();
initControls();
initPopupKeys();
panels.init({
  focusMap: () => view.map?.getCanvas().focus(),
  state: () => view.state,
  today: () => DAY,
  category: (c) => view.catIndex[c],
  area(code) {
    const f = view.data.complex?.features.find((x) => x.properties.code === code) || view.areas.features.find((x) => x.properties.code === code);
    return f ? { name: view.wardLabels.get(code) || f.properties.name, properties: f.properties, geometry: f.geometry } : null;
  },
  zone: (id) => view.data.zones?.features.find((x) => x.properties.id === id),
  select(geometry) {
    if (!view.styleReady) return;
    source('selected').setData(geometry ? { type: 'Feature', geometry, properties: {} } : EMPTY);
    if (geometry) reveal(geometry);
  },
  onPanel(p) {
    view.state.panel = p;
    if (!p && view.styleReady) source('selected').setData(EMPTY);
    writeUrl();
  },
  programmeChanged() {
    delete view.loaded.complex;
    refresh();
  },
  signIn: () => openSignIn(),
});
initSignIn();
auth.onChange(() => {
  dropAuthData();
  // Signed out on a public server the view follows the public rules; signed in, it gets back
  // what they changed. Every control then shows what may be chosen now.
  fitViewToAccess();
  setupSlider();
  renderAll();
  setVisibility();
  refresh();
  panels.refresh();
});
initHeader();

// ---- start ---------------------------------------------------------------------------------

renderAll();

/** @param {unknown} e */
const fatal = (e) => alertError(e instanceof api.ApiError ? e.readable : String(e), () => location.reload());

const areasLoaded = api.getAll('/api/v1/areas', { kind: 'ward,district' }).then((fc) => {
  performance.mark('diemnong:areas');
  view.areas = fc;
  view.wardLabels = labelWards(fc);
}, fatal);
// The data's extent decides the default time range and programme year, so the layers wait
// for it too: one small request, sent alongside the wards and the catalogue.
const extentLoaded = api
  .get('/api/v1/extent')
  .then(
    (e) => {
      view.extent = e;
    },
    () => {
      view.extent = null; // a server without it: "all" and this year, as before
    },
  )
  .then(() => {
    S.resolve(view.state, DAY, view.extent, publicNow());
    // A signed-out visitor of a public server: only what the server answers anonymously.
    fitViewToAccess();
    setupSlider();
    renderAll();
  });
// The layers' requests go out once the camera is placed and the time range known: the
// camera at once for a link with a view, after the wards (whose extent is the first view)
// otherwise.
const placed = Promise.all([view.state.map ? null : areasLoaded, extentLoaded]).then(() => {
  view.camera = view.state.map || cityCamera() || HCMC;
  view.cameraReady = true;
  renderRes();
  refresh();
});

const catalogueLoaded = api.get('/api/v1/catalogue').then((c) => {
  view.catalogue = c;
  /** @type {CatalogueEntry[]} */
  const categories = c.categories;
  view.catIndex = Object.fromEntries(categories.map((x) => [x.code, x]));
  const codes = categories.map((x) => x.code);
  view.state.cat = view.state.cat.filter((x) => codes.includes(x));
  renderFilters();
  renderLegends();
}, fatal);

view.ML = await import('maplibre-gl');
await placed;
createMap(/** @type {Camera} */ (view.camera));

const boot = Promise.all([catalogueLoaded, areasLoaded, styleLoaded.promise]);

boot.then(async () => {
  const map = theMap();
  source('areas').setData(view.areas);
  setVisibility();
  await refresh();
  await new Promise((r) => {
    map.once('idle', r);
    map.triggerRepaint();
  });
  view.firstView = performance.now();
  performance.mark('diemnong:first-view');
  document.body.dataset.ready = 'true';
  const panel = view.state.panel;
  if (panel?.startsWith('area:')) panels.openArea(panel.slice(5));
  else if (panel?.startsWith('zone:')) {
    if (!view.state.layers.has('zones')) toggleLayer('zones', true);
    reopenZoneFromUrl();
  }
});

/** Resolves when nothing is loading or waiting to load and the map has drawn (for tests and tools). */
async function settled() {
  await boot;
  const map = theMap();
  const idle = () => !view.refreshTimer && api.busy() === 0 && !Object.keys(view.pending).length;
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 30));
    if (!idle()) continue;
    await new Promise((r) => {
      map.once('idle', r);
      map.triggerRepaint();
    });
    if (idle()) return;
  }
}

// For tests and tools: the map, the view, the extent, settled() and the first view's time.
/** @type {Window & { diemnong?: object }} */ (window).diemnong = {
  map: view.map,
  state: view.state,
  get extent() {
    return view.extent;
  },
  settled,
  get firstView() {
    return view.firstView;
  },
};
