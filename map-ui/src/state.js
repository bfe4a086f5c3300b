// The view's state and its URL: every control writes here, and the query string carries
// all of it, so a copied link reproduces the view. Dates are calendar days in the
// committee's time zone; `to` is exclusive, as the API takes it.

export const LAYER_IDS = ['density', 'hotspots', 'zones', 'emerging', 'kde', 'clusters', 'incidents', 'cameras', 'models', 'complex'];
export const SEVERITIES = ['less_serious', 'serious', 'very_serious', 'especially_serious'];
export const PRESETS = ['all', 'this_month', 'this_year', 'last_12m', 'custom'];
export const DEFAULT_LAYERS = ['density', 'complex'];
export const RES_MIN = 5;
export const RES_MAX = 11;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Today as YYYY-MM-DD in `tz`. */
export function today(tz) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

const pad = (n) => String(n).padStart(2, '0');
/** The first day of month `m` (1-based, may overflow either way) of year `y`. */
export function monthStart(y, m) {
  const d = new Date(Date.UTC(y, m - 1, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-01`;
}
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The [from, to) of a preset, seen on `day`; null for "all" and "custom". */
export function presetRange(preset, day) {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  switch (preset) {
    case 'this_month':
      return { from: monthStart(y, m), to: monthStart(y, m + 1) };
    case 'this_year':
      return { from: `${y}-01-01`, to: `${y + 1}-01-01` };
    case 'last_12m':
      return { from: monthStart(y, m - 11), to: monthStart(y, m + 1) };
    default:
      return null;
  }
}

export function defaults(day) {
  return {
    lang: 'vi',
    layers: new Set(DEFAULT_LAYERS),
    t: 'all',
    from: null,
    to: null,
    cat: [],
    sev: [],
    res: 'auto',
    py: Number(day.slice(0, 4)),
    map: null,
    panel: null,
  };
}

/** The state a query string describes; anything unknown or malformed falls back to the default. */
export function parse(search, day, categories = null) {
  const s = defaults(day);
  const q = new URLSearchParams(search);
  const list = (k) => (q.get(k) || '').split(',').map((x) => x.trim()).filter(Boolean);
  if (q.get('lang') === 'en' || q.get('lang') === 'vi') s.lang = q.get('lang');
  if (q.has('layers')) s.layers = new Set(list('layers').filter((l) => LAYER_IDS.includes(l)));
  const from = q.get('from');
  const to = q.get('to');
  if (PRESETS.includes(q.get('t'))) s.t = q.get('t');
  if (from && DATE.test(from)) s.from = from;
  if (to && DATE.test(to)) s.to = to;
  if (s.from && s.to && s.from >= s.to) s.to = null;
  if (s.t === 'all') {
    s.from = null;
    s.to = null;
  } else if (s.t !== 'custom' && !s.from && !s.to) {
    Object.assign(s, presetRange(s.t, day));
  } else if (s.t !== 'custom') {
    // Explicit dates win over the preset's name: the link shows what its author saw.
    const r = presetRange(s.t, day);
    if (!r || r.from !== s.from || r.to !== s.to) s.t = 'custom';
  }
  if (s.t === 'custom' && !s.from && !s.to) s.t = 'all';
  s.cat = list('cat').filter((c) => /^[a-z0-9_]+$/.test(c) && (!categories || categories.includes(c)));
  s.sev = list('sev').filter((v) => SEVERITIES.includes(v));
  const res = Number(q.get('res'));
  if (Number.isInteger(res) && res >= RES_MIN && res <= RES_MAX) s.res = res;
  const py = Number(q.get('py'));
  if (Number.isInteger(py) && py >= 2000 && py <= 2100) s.py = py;
  const m = (q.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 90 && Math.abs(m[2]) <= 180 && m[0] >= 0 && m[0] <= 22) {
    s.map = { zoom: m[0], lat: m[1], lon: m[2] };
  }
  const panel = q.get('panel');
  if (panel && /^(area|zone):[\w.-]{1,100}$/.test(panel)) s.panel = panel;
  return s;
}

/** The query string of `s` (defaults left out, so plain links stay short). */
export function serialize(s, day) {
  const d = defaults(day);
  const q = new URLSearchParams();
  if (s.lang !== d.lang) q.set('lang', s.lang);
  const layers = LAYER_IDS.filter((l) => s.layers.has(l));
  if (layers.join(',') !== DEFAULT_LAYERS.join(',')) q.set('layers', layers.join(','));
  if (s.t !== 'all') q.set('t', s.t);
  if (s.from) q.set('from', s.from);
  if (s.to) q.set('to', s.to);
  if (s.cat.length) q.set('cat', s.cat.join(','));
  if (s.sev.length) q.set('sev', s.sev.join(','));
  if (s.res !== 'auto') q.set('res', String(s.res));
  if (s.py !== d.py) q.set('py', String(s.py));
  if (s.map) q.set('map', `${s.map.zoom.toFixed(2)}/${s.map.lat.toFixed(5)}/${s.map.lon.toFixed(5)}`);
  if (s.panel) q.set('panel', s.panel);
  return q.toString().replaceAll('%2C', ',').replaceAll('%2F', '/').replaceAll('%3A', ':');
}

/** The H3 resolution that suits a zoom level. */
export function resForZoom(z) {
  if (z < 9.5) return 7;
  if (z < 11) return 8;
  if (z < 12.5) return 9;
  if (z < 14) return 10;
  return 11;
}

/** Query parameters every incident-based request shares. */
export function filterParams(s) {
  return { from: s.from, to: s.to, category: s.cat, severity: s.sev };
}
