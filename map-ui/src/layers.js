// The map's layers: for each, what to ask the API, how to draw the answer, its legend and
// its hover text. Drawing order is the order of STYLE below; every layer is added once at
// start (empty) and toggled with its visibility, so toggling never reorders anything.

import * as api from './api.js';
import { h } from './dom.js';
import { label, num, t } from './i18n.js';
import { filterParams } from './state.js';

export const EMPTY = { type: 'FeatureCollection', features: [] };

// ColorBrewer YlGnBu and RdPu (sequential), RdBu (diverging, colour-blind safe) and the
// Okabe–Ito colours (colour-blind safe) for statuses and points.
const SEQ_DENSITY = ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#2c7fb8', '#253494'];
const SEQ_KDE = ['#feebe2', '#fcc5c0', '#fa9fb5', '#f768a1', '#c51b8a', '#7a0177'];
export const BIN_COLOURS = [
  [3, '#b2182b'], [2, '#ef8a62'], [1, '#fddbc7'], [0, '#f7f7f7'], [-1, '#d1e5f0'], [-2, '#67a9cf'], [-3, '#2166ac'],
];
export const STATUS_COLOURS = {
  designated: '#E69F00',
  in_progress: '#56B4E9',
  converted: '#009E73',
  not_converted: '#D55E00',
};
const NEUTRAL = '#8a8a8a';
const SEVERITY_COLOURS = {
  less_serious: '#fecc5c',
  serious: '#fd8d3c',
  very_serious: '#f03b20',
  especially_serious: '#bd0026',
};
const CAMERA = '#0072B2';
const MODEL = '#CC79A7';
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

const hidden = { visibility: 'none' };

/** Every source and style layer, bottom to top. */
export function style(basemap) {
  const sources = {
    areas: { type: 'geojson', data: EMPTY },
    selected: { type: 'geojson', data: EMPTY },
  };
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
  cellFill('hotspots', ['match', ['get', 'gi_bin'], ...BIN_COLOURS.flat(), '#f7f7f7'], [
    'case', ['==', ['get', 'gi_bin'], 0], 0.35, 0.85,
  ]);
  cellFill('emerging', ['match', ['get', 'category'], ...Object.entries(EMERGING_COLOURS).flat(), '#ffffff'], [
    'case', ['==', ['get', 'category'], 'no_pattern'], 0, 0.85,
  ]);
  layers.push(
    { id: 'wards-line', type: 'line', source: 'areas', filter: ['==', ['get', 'kind'], 'ward'], paint: { 'line-color': '#9b978e', 'line-width': 0.6 } },
    { id: 'districts-line', type: 'line', source: 'areas', filter: ['==', ['get', 'kind'], 'district'], paint: { 'line-color': '#4f4c46', 'line-width': 1.6 } },
  );
  sources.complex = { type: 'geojson', data: EMPTY };
  const statusColour = ['match', ['get', 'status'], ...Object.entries(STATUS_COLOURS).flat(), NEUTRAL];
  layers.push(
    { id: 'complex-fill', type: 'fill', source: 'complex', layout: hidden, paint: { 'fill-color': statusColour, 'fill-opacity': ['case', ['has', 'status_known'], 0.45, 0.18] } },
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
        'circle-color': ['match', ['get', 'severity'], ...Object.entries(SEVERITY_COLOURS).flat(), '#999'],
        'circle-stroke-color': '#333',
        'circle-stroke-width': 0.8,
      },
    },
    { id: 'selected-line', type: 'line', source: 'selected', paint: { 'line-color': '#111', 'line-width': 3.5 } },
  );
  return { version: 8, sources, layers };
}

// ---- classes -------------------------------------------------------------------------------

/** Up to n−1 ascending, distinct quantile breaks above the minimum. */
function quantileBreaks(values, n) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const out = [];
  for (let i = 1; i < n; i++) {
    const q = v[Math.floor((i * v.length) / n)];
    // Breaks closer than 1% are one break (counts are small integers over nearly equal cells).
    if (q > v[0] * 1.01 && !(q <= out[out.length - 1] * 1.01)) out.push(q);
  }
  return out;
}
function classColours(palette, k) {
  if (k >= palette.length) return palette;
  if (k === 1) return [palette[Math.floor(palette.length / 2)]];
  return Array.from({ length: k }, (_, i) => palette[Math.round((i * (palette.length - 1)) / (k - 1))]);
}
function stepPaint(prop, breaks, palette) {
  const cols = classColours(palette, breaks.length + 1);
  if (!breaks.length) return { colours: cols, expr: cols[0] };
  const expr = ['step', ['get', prop], cols[0]];
  breaks.forEach((b, i) => expr.push(b, cols[i + 1]));
  return { colours: cols, expr };
}

// ---- legends -------------------------------------------------------------------------------

const swatch = (colour, shape = 'box', extra = '') => h('span', { class: `sw sw-${shape}`, style: `--c:${colour};${extra}`, 'aria-hidden': 'true' });
const row = (sw, text) => h('li', null, sw, h('span', null, text));
const list = (...rows) => h('ul', { class: 'legend-rows' }, ...rows);

function classLegend(st, unitKey) {
  if (!st || !st.n) return h('p', { class: 'muted' }, t('no_data'));
  const { breaks, colours, min, max } = st;
  const digits = max < 1 ? 3 : max < 10 ? 2 : max < 100 ? 1 : 0;
  const bounds = [min, ...breaks, max];
  return h(
    'div',
    null,
    h('p', { class: 'legend-caption' }, t(unitKey)),
    list(...colours.map((c, i) => row(swatch(c), `${num(bounds[i], digits)} – ${num(bounds[i + 1], digits)}`))),
    h('p', { class: 'muted' }, t('cells', { n: num(st.n) })),
  );
}

// ---- layer definitions ---------------------------------------------------------------------

/** The time slice of an emerging-hotspot request: weeks for short ranges. */
export function sliceFor(s) {
  if (!s.from || !s.to) return 'month';
  const days = (Date.parse(s.to) - Date.parse(s.from)) / 864e5;
  return days <= 92 ? 'week' : 'month';
}

function cellLayer(id, path, maxRes, extra = () => ({})) {
  return {
    id,
    mapLayers: [`${id}-fill`],
    key: (c) => api.url(path, { ...filterParams(c.s), res: Math.min(c.res, maxRes), ...extra(c) }),
    load: (c, signal) => api.get(path, { ...filterParams(c.s), res: Math.min(c.res, maxRes), ...extra(c) }, { signal }),
  };
}

export const LAYERS = [
  {
    ...cellLayer('density', '/api/v1/density', 11),
    apply(map, fc) {
      const values = fc.features.map((f) => f.properties.per_km2);
      const br = quantileBreaks(values, 6);
      const p = stepPaint('per_km2', br, SEQ_DENSITY);
      map.setPaintProperty('density-fill', 'fill-color', p.expr);
      this.stats = { n: values.length, breaks: br, colours: p.colours, min: Math.min(...values), max: Math.max(...values) };
    },
    legend() {
      return classLegend(this.stats, 'density_legend');
    },
    tip: (p) => `${num(p.count)} ${t('incidents').toLowerCase()} · ${num(p.per_km2, 1)} ${t('per_km2')}`,
  },
  {
    ...cellLayer('hotspots', '/api/v1/hotspots', 10),
    apply(map, fc) {
      const counts = {};
      for (const f of fc.features) counts[f.properties.gi_bin] = (counts[f.properties.gi_bin] || 0) + 1;
      this.stats = { n: fc.features.length, counts };
    },
    legend() {
      if (!this.stats?.n) return h('p', { class: 'muted' }, t('no_data'));
      return h(
        'div',
        null,
        list(...BIN_COLOURS.map(([b, c]) => row(swatch(c), `${t(b < 0 ? `bin_m${-b}` : `bin_${b}`)} (${num(this.stats.counts[b] || 0)})`))),
        h('p', { class: 'muted' }, t('fdr_note')),
      );
    },
    tip: (p) => `${t(p.gi_bin < 0 ? `bin_m${-p.gi_bin}` : `bin_${p.gi_bin}`)} · z = ${num(p.gi_z, 2)} · ${num(p.count)} ${t('incidents').toLowerCase()}`,
  },
  {
    id: 'zones',
    mapLayers: ['zones-fill', 'zones-line'],
    key: (c) => api.url('/api/v1/hotspots/zones', { ...filterParams(c.s), res: Math.min(c.res, 10) }),
    load: (c, signal) => api.get('/api/v1/hotspots/zones', { ...filterParams(c.s), res: Math.min(c.res, 10) }, { signal }),
    apply(map, fc) {
      this.stats = { n: fc.features.length, top: [...fc.features].sort((a, b) => b.properties.incidents - a.properties.incidents).slice(0, 5) };
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
          this.stats.top.map((f) =>
            h('li', null, h('button', { type: 'button', class: 'link', onclick: () => ctx.openZone(f) }, `${num(f.properties.incidents)} ${t('incidents').toLowerCase()} · ${num(f.properties.area_km2, 2)} km²`)),
          ),
        ),
      );
    },
    tip: (p) => `${t('zone')}: ${num(p.incidents)} ${t('incidents').toLowerCase()} (${num(p.share * 100, 1)}%)`,
  },
  {
    ...cellLayer('emerging', '/api/v1/hotspots/emerging', 9, (c) => ({ slice: sliceFor(c.s) })),
    apply(map, fc) {
      const counts = {};
      for (const f of fc.features) counts[f.properties.category] = (counts[f.properties.category] || 0) + 1;
      this.stats = { n: fc.features.length, counts, slice: fc.diemnong?.parameters?.slice };
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
        h('p', { class: 'muted' }, t('em_slices', { slice: t(`slice_${sliceFor(ctx.s)}`) })),
      );
    },
    tip: (p) => `${t(`em_${p.category}`)} · ${num(p.count)} ${t('incidents').toLowerCase()}`,
  },
  {
    ...cellLayer('kde', '/api/v1/kde', 9),
    apply(map, fc) {
      const values = fc.features.map((f) => f.properties.density);
      const br = quantileBreaks(values, 6);
      const p = stepPaint('density', br, SEQ_KDE);
      map.setPaintProperty('kde-fill', 'fill-color', p.expr);
      this.stats = { n: values.length, breaks: br, colours: p.colours, min: Math.min(...values), max: Math.max(...values), bw: fc.diemnong?.bandwidth_m };
    },
    legend() {
      const el = classLegend(this.stats, 'kde_unit');
      if (this.stats?.bw) el.append(h('p', { class: 'muted' }, `h = ${num(this.stats.bw)} m`));
      return el;
    },
    tip: (p) => `${num(p.density, 2)} ${t('kde_unit')}`,
  },
  {
    id: 'clusters',
    mapLayers: ['clusters-fill', 'clusters-line'],
    key: (c) => api.url('/api/v1/clusters', filterParams(c.s)),
    load: (c, signal) => api.get('/api/v1/clusters', filterParams(c.s), { signal }),
    apply(map, fc) {
      this.stats = { n: fc.features.length, noise: fc.diemnong?.noise ?? 0 };
    },
    legend() {
      if (!this.stats) return null;
      return list(row(swatch('#6a3d9a', 'box', 'border:2px dashed #6a3d9a'), t('clusters_n', { n: num(this.stats.n), noise: num(this.stats.noise) })));
    },
    tip: (p) => `DBSCAN #${p.id}: ${num(p.count)} ${t('incidents').toLowerCase()}`,
  },
  {
    id: 'incidents',
    needsAuth: true,
    mapLayers: ['incidents-cluster', 'incidents-point'],
    key: (c) => api.url('/api/v1/incidents', { ...filterParams(c.s), bbox: c.bbox }),
    load: (c, signal) => api.getAll('/api/v1/incidents', { ...filterParams(c.s), bbox: c.bbox }, { signal, maxFeatures: 30000 }),
    apply(map, fc) {
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
    tip: (p, ctx) => (p.point_count ? `${num(p.point_count)} ${t('incidents').toLowerCase()}` : `${label(ctx.category(p.category), p.category)} · ${t(`sev_${p.severity}`)} · ${p.occurred_at.slice(0, 10)}`),
  },
  {
    id: 'cameras',
    needsAuth: true,
    mapLayers: ['cameras-circle'],
    key: () => '/api/v1/cameras',
    load: (c, signal) => api.getAll('/api/v1/cameras', {}, { signal }),
    apply(map, fc) {
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
    load: (c, signal) => api.getAll('/api/v1/models', {}, { signal }),
    apply(map, fc) {
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
        api.get('/api/v1/areas', { kind: 'complex_area', limit: 10000 }, { signal }),
        c.signedIn ? api.get('/api/v1/areas', { kind: 'complex_area', year: c.s.py }, { signal }) : null,
      ]);
      const byCode = new Map((year?.features || []).map((f) => [f.properties.code, f.properties]));
      for (const f of all.features) {
        const d = byCode.get(f.properties.code);
        if (d) f.properties = { ...d, status_known: true };
        else f.properties.status = c.signedIn ? 'none' : 'unknown';
      }
      all.programme = year?.diemnong?.programme || null;
      return all;
    },
    apply(map, fc) {
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
        : [row(swatch(NEUTRAL, 'box', 'opacity:.4'), t('st_unknown'))];
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

export const byId = Object.fromEntries(LAYERS.map((l) => [l.id, l]));

/** Map layer id → its layer definition (for hover and click). */
export const owner = {};
for (const l of LAYERS) for (const m of l.mapLayers) owner[m] = l;
