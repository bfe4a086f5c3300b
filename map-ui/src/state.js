// The view's state and its URL: every control writes here, and the query string carries
// all of it, so a copied link reproduces the view. Dates are calendar days in the
// committee's time zone, ISO YYYY-MM-DD in the URL whatever the page shows; `to` is
// exclusive, as the API takes it.
//
// Two defaults depend on the data, known only once GET /api/v1/extent has answered: the
// time range ("latest": the last 12 calendar months that hold incidents) and the programme
// year (the latest year with designations). `parse` leaves them open (t 'latest', py null)
// and `resolve` fills them in from the extent, so a plain link follows the data.

export const LAYER_IDS = ['density', 'hotspots', 'outliers', 'zones', 'emerging', 'kde', 'clusters', 'incidents', 'cameras', 'models', 'complex'];
export const SEVERITIES = ['less_serious', 'serious', 'very_serious', 'especially_serious'];
export const PRESETS = ['latest', 'all', 'this_month', 'this_year', 'last_12m', 'custom'];
export const DEFAULT_LAYERS = ['density', 'complex'];
/** How incidents weigh in the analyses: each one as one ('count'), or as its harm in days of custody ('harm'). */
export const WEIGHTS = ['count', 'harm'];
export const RES_MIN = 5;
export const RES_MAX = 11;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The view as a link carries it. Days are YYYY-MM-DD; `to` is exclusive.
 * @typedef {object} State
 * @property {string} lang  'vi' or 'en'
 * @property {Set<string>} layers  the layers switched on (LAYER_IDS)
 * @property {string} t  the time preset (PRESETS)
 * @property {string | null} from  the first day (null: open)
 * @property {string | null} to  the day after the last (null: open)
 * @property {string[]} cat  category codes (none: every category)
 * @property {string[]} sev  the severities ticked (none: none)
 * @property {'auto' | number} res  the H3 resolution, or 'auto' (from the zoom)
 * @property {'count' | 'harm'} weight  how the analyses weigh an incident (WEIGHTS; absent from the URL: count)
 * @property {number | null} py  the programme year (null until resolve)
 * @property {Camera | null} map  the camera (null: fit the city)
 * @property {string | null} panel  the side panel: 'area:<code>' or 'zone:<id>'
 */
/**
 * @typedef {object} Camera
 * @property {number} zoom
 * @property {number} lat
 * @property {number} lon
 */
/**
 * GET /api/v1/extent, the fields the page reads.
 * @typedef {object} Extent
 * @property {{ from?: string, to?: string } | null} [incidents]  the incidents' days, [from, to)
 * @property {number[]} [programme_years]  the years with designations
 * @property {number} [data_version]
 */
/** @typedef {{ from: string, to: string }} Range  [from, to) of days */

/**
 * Today as YYYY-MM-DD in `tz`.
 * @param {string} tz
 */
export function today(tz) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');
/**
 * The first day of month `m` (1-based, may overflow either way) of year `y`.
 * @param {number} y
 * @param {number} m
 */
export function monthStart(y, m) {
  const d = new Date(Date.UTC(y, m - 1, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-01`;
}
/**
 * `date` plus `n` days.
 * @param {string} date
 * @param {number} n
 */
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
/**
 * @param {number} y
 * @param {number} m
 */
const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();
/**
 * `date` moved by `n` calendar months; a day the target month lacks becomes its last (29/02 → 28/02).
 * @param {string} date
 * @param {number} n
 */
export function addMonths(date, n) {
  const first = monthStart(Number(date.slice(0, 4)), Number(date.slice(5, 7)) + n);
  const y = Number(first.slice(0, 4));
  const m = Number(first.slice(5, 7));
  return `${first.slice(0, 8)}${pad(Math.min(Number(date.slice(8, 10)), daysIn(y, m)))}`;
}
/** @param {string} date */
export const isMonthStart = (date) => date.endsWith('-01');
/**
 * Whole months from `a` to `b` (both first days of a month).
 * @param {string} a
 * @param {string} b
 */
export const monthsBetween = (a, b) => (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
/**
 * Days from `a` to `b`.
 * @param {string} a
 * @param {string} b
 */
export const daysBetween = (a, b) => Math.round((Date.parse(b) - Date.parse(a)) / 864e5);

/**
 * A real calendar day as YYYY-MM-DD, or null.
 * @param {number} y
 * @param {number} m
 * @param {number} d
 */
function isoDay(y, m, d) {
  if (!(y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m))) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/**
 * A date as a person types it: dd/mm/yyyy or d/m/yyyy (also with "." or "-"), as Vietnam
 * writes dates whatever the browser's locale; YYYY-MM-DD is accepted too (pasted from a
 * link). Returns YYYY-MM-DD, or null when it is not a real day.
 * @param {unknown} text
 */
export function parseDate(text) {
  const s = String(text ?? '').trim();
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (m) return isoDay(Number(m[3]), Number(m[2]), Number(m[1]));
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return isoDay(Number(m[1]), Number(m[2]), Number(m[3]));
  return null;
}
/**
 * YYYY-MM-DD → dd/mm/yyyy.
 * @param {string | null | undefined} date
 */
export const dmy = (date) => (date ? `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}` : '');

/**
 * The range of the last 12 calendar months that hold incidents: up to the first day after
 * the last month with an incident, 12 months back from there (so never an empty range).
 * Null without incidents.
 * @param {Extent | null | undefined} extent
 * @returns {Range | null}
 */
export function latestRange(extent) {
  const to = extent?.incidents?.to;
  if (!to || !DATE.test(to)) return null;
  return { from: monthStart(Number(to.slice(0, 4)), Number(to.slice(5, 7)) - 12), to };
}

/**
 * The programme year a view starts on: the latest with designations, else this year.
 * @param {Extent | null | undefined} extent
 * @param {string} day
 */
export function defaultProgrammeYear(extent, day) {
  const ys = extent?.programme_years;
  return Array.isArray(ys) && ys.length ? Math.max(...ys) : Number(day.slice(0, 4));
}

/**
 * The [from, to) of a preset, seen on `day`; null for "all", "custom", and "latest" without data.
 * @param {string} preset
 * @param {string} day
 * @param {Extent | null} [extent]
 * @returns {Range | null}
 */
export function presetRange(preset, day, extent = null) {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  switch (preset) {
    case 'latest':
      return latestRange(extent);
    case 'this_month':
      return { from: monthStart(y, m), to: monthStart(y, m + 1) };
    case 'this_year':
      return { from: `${y}-01-01`, to: `${y + 1}-01-01` };
    case 'last_12m':
      // The twelve months ending today, today included: 24/11/2025 – 23/11/2026.
      return { from: addDays(addMonths(day, -12), 1), to: addDays(day, 1) };
    default:
      return null;
  }
}

/** @returns {State} */
export function defaults() {
  return {
    lang: 'vi',
    layers: new Set(DEFAULT_LAYERS),
    t: 'latest',
    from: null,
    to: null,
    cat: [],
    // Every severity ticked is no filter; none ticked draws nothing (see noSeverity).
    sev: [...SEVERITIES],
    res: 'auto',
    weight: 'count',
    py: null, // null until resolve(): the latest programme year of the data
    map: null,
    panel: null,
  };
}

/**
 * The state a query string describes; anything unknown or malformed falls back to the default.
 * @param {string} search
 * @param {string} day
 * @param {string[] | null} [categories]
 * @returns {State}
 */
export function parse(search, day, categories = null) {
  const s = defaults();
  const q = new URLSearchParams(search);
  /** @param {string} k */
  const list = (k) =>
    (q.get(k) || '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const lang = q.get('lang');
  if (lang === 'en' || lang === 'vi') s.lang = lang;
  if (q.has('layers')) s.layers = new Set(list('layers').filter((l) => LAYER_IDS.includes(l)));
  const from = q.get('from');
  const to = q.get('to');
  const t = q.get('t');
  if (t != null && PRESETS.includes(t)) s.t = t;
  if (from && DATE.test(from)) s.from = from;
  if (to && DATE.test(to)) s.to = to;
  if (s.from && s.to && s.from >= s.to) s.to = null;
  if (s.t === 'latest' && (s.from || s.to)) s.t = 'custom'; // dates in the link: what its author saw
  if (s.t === 'all' || s.t === 'latest') {
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
  if (q.get('sev') === 'none') s.sev = [];
  else if (q.has('sev')) {
    const sev = SEVERITIES.filter((v) => list('sev').includes(v));
    if (sev.length) s.sev = sev;
  }
  const res = Number(q.get('res'));
  if (Number.isInteger(res) && res >= RES_MIN && res <= RES_MAX) s.res = res;
  if (q.get('weight') === 'harm') s.weight = 'harm';
  const py = Number(q.get('py'));
  if (q.get('py') && Number.isInteger(py) && py >= 2000 && py <= 2100) s.py = py;
  const m = (q.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 90 && Math.abs(m[2]) <= 180 && m[0] >= 0 && m[0] <= 22) {
    s.map = { zoom: m[0], lat: m[1], lon: m[2] };
  }
  const panel = q.get('panel');
  if (panel && /^(area|zone):[\w.-]{1,100}$/.test(panel)) s.panel = panel;
  return s;
}

/**
 * Fills in the defaults that follow the data (`extent`: GET /api/v1/extent, or null when it
 * could not be had): the latest 12 months with incidents ("all" without any) and the
 * programme year.
 * @param {State} s
 * @param {string} day
 * @param {Extent | null} extent
 */
export function resolve(s, day, extent) {
  if (s.t === 'latest') {
    const r = latestRange(extent);
    if (r) Object.assign(s, r);
    else Object.assign(s, { t: 'all', from: null, to: null });
  }
  if (s.py == null) s.py = defaultProgrammeYear(extent, day);
  return s;
}

/**
 * The query string of `s` (defaults left out, so plain links stay short).
 * @param {State} s
 * @param {string} day
 * @param {Extent | null} [extent]
 */
export function serialize(s, day, extent = null) {
  const d = defaults();
  const q = new URLSearchParams();
  if (s.lang !== d.lang) q.set('lang', s.lang);
  const layers = LAYER_IDS.filter((l) => s.layers.has(l));
  if (layers.join(',') !== DEFAULT_LAYERS.join(',')) q.set('layers', layers.join(','));
  // "latest" is the default and follows the data: neither its name nor its dates are written.
  if (s.t !== 'latest') {
    q.set('t', s.t);
    if (s.from) q.set('from', s.from);
    if (s.to) q.set('to', s.to);
  }
  if (s.cat.length) q.set('cat', s.cat.join(','));
  if (!s.sev.length) q.set('sev', 'none');
  else if (s.sev.length < SEVERITIES.length) q.set('sev', SEVERITIES.filter((v) => s.sev.includes(v)).join(','));
  if (s.res !== 'auto') q.set('res', String(s.res));
  if (s.weight === 'harm') q.set('weight', 'harm');
  if (s.py != null && s.py !== defaultProgrammeYear(extent, day)) q.set('py', String(s.py));
  if (s.map) q.set('map', `${s.map.zoom.toFixed(2)}/${s.map.lat.toFixed(5)}/${s.map.lon.toFixed(5)}`);
  if (s.panel) q.set('panel', s.panel);
  return q.toString().replaceAll('%2C', ',').replaceAll('%2F', '/').replaceAll('%3A', ':');
}

/**
 * The H3 resolution that suits a zoom level.
 * @param {number} z
 */
export function resForZoom(z) {
  if (z < 9.5) return 7;
  if (z < 11) return 8;
  if (z < 12.5) return 9;
  if (z < 14) return 10;
  return 11;
}

/**
 * No severity ticked: the incident-based layers draw nothing and ask for nothing.
 * @param {State} s
 */
export const noSeverity = (s) => s.sev.length === 0;

/**
 * Query parameters every incident-based request shares (every severity ticked: no filter).
 * @param {State} s
 */
export function filterParams(s) {
  return { from: s.from, to: s.to, category: s.cat, severity: s.sev.length === SEVERITIES.length ? [] : s.sev };
}

/**
 * The `weight` parameter of the analyses that take one: none for counts (the API's default,
 * so the requests and their keys stay those of a page without the control), 'harm' for harm.
 * @param {State} s
 */
export const weightParams = (s) => ({ weight: s.weight === 'harm' ? 'harm' : null });

/**
 * The days from which programme KPIs are counted for `year`, seen on `day`: the whole year
 * once it is over, the year so far while it runs (so "the same period a year earlier" is
 * the same days), null for a year not begun (then the API's `year` is asked for).
 * @param {number} year
 * @param {string} day
 * @returns {Range | null}
 */
export function programmePeriod(year, day) {
  const from = `${year}-01-01`;
  const end = `${year + 1}-01-01`;
  const tomorrow = addDays(day, 1);
  if (tomorrow <= from || tomorrow >= end) return null;
  return { from, to: tomorrow };
}
