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
/** The time choices of an anonymous visitor on a public server: one whole calendar period, or all time. */
export const PUBLIC_PRESETS = ['month', 'quarter', 'year', 'all'];
/** Whole calendar periods, smallest first, and their length in months. */
export const PERIODS = /** @type {const} */ (['month', 'quarter', 'year']);
/** @type {Record<string, number>} */
export const PERIOD_MONTHS = { month: 1, quarter: 3, year: 12 };
/** DBSCAN's neighbourhood radius in metres when the link does not say (the API's default). */
export const EPS_DEFAULT = 100;

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
 * @property {number} eps  the clusters' DBSCAN radius in metres (absent from the URL: EPS_DEFAULT)
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
 * @property {PublicWire} [public]  what an anonymous visitor may ask for (a server with --public-aggregates; absent otherwise)
 */
/**
 * `public` of GET /api/v1/extent, as the server sends it.
 * @typedef {object} PublicWire
 * @property {string[]} [periods]  'month', 'quarter', 'year', 'all'
 * @property {number} [max_res]  the finest H3 resolution
 * @property {number} [min_count]  the smallest positive count published
 * @property {boolean} [perturbed]
 * @property {number} [eps_m_step]  the clusters' eps_m must be a multiple of this (from 100)
 * @property {{ vi?: string, en?: string }} [note]
 */
/**
 * The rules an anonymous visitor's requests follow (publicRules), every field known.
 * @typedef {object} PublicRules
 * @property {string[]} periods  the whole periods allowed, of PUBLIC_PRESETS
 * @property {number} maxRes
 * @property {number} minCount
 * @property {number} epsStep
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
    eps: EPS_DEFAULT,
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
  const eps = Number(q.get('eps'));
  if (q.get('eps') && Number.isInteger(eps) && eps >= 1 && eps <= 5000) s.eps = eps;
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
 * programme year. Under public rules (`rules`: an anonymous visitor of a public server)
 * "latest" is the latest calendar year with incidents instead (publicLatest).
 * @param {State} s
 * @param {string} day
 * @param {Extent | null} extent
 * @param {PublicRules | null} [rules]
 */
export function resolve(s, day, extent, rules = null) {
  if (s.t === 'latest') {
    const r = rules ? publicLatest(extent, rules) : latestRange(extent);
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
  if (s.eps !== EPS_DEFAULT) q.set('eps', String(s.eps));
  if (s.py != null && s.py !== defaultProgrammeYear(extent, day)) q.set('py', String(s.py));
  if (s.map) q.set('map', `${s.map.zoom.toFixed(2)}/${s.map.lat.toFixed(5)}/${s.map.lon.toFixed(5)}`);
  if (s.panel) q.set('panel', s.panel);
  return q.toString().replaceAll('%2C', ',').replaceAll('%2F', '/').replaceAll('%3A', ':');
}

/**
 * The H3 resolution that suits a zoom level, at most `max`.
 * @param {number} z
 * @param {number} [max]
 */
export function resForZoom(z, max = RES_MAX) {
  let r = 11;
  if (z < 9.5) r = 7;
  else if (z < 11) r = 8;
  else if (z < 12.5) r = 9;
  else if (z < 14) r = 10;
  return Math.min(r, max);
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

// ---- public rules ----------------------------------------------------------------------------
//
// A server started with --public-aggregates answers anonymous visitors, with perturbed counts,
// only for one whole calendar month, quarter or year (or all time), res ≤ max_res, at most one
// category and one class, counts (no harm), and DBSCAN radii in steps of eps_m_step from 100
// (GET /api/v1/extent says so in `public`). Signed out on such a server the page offers only
// those choices, so it never sends a request the server would refuse; signed in, none of this
// applies.

/**
 * The rules of `extent.public`, every field filled in (the contract's values when one is
 * missing); null when the server is not public.
 * @param {Extent | null | undefined} extent
 * @returns {PublicRules | null}
 */
export function publicRules(extent) {
  const p = extent?.public;
  if (!p || typeof p !== 'object') return null;
  const periods = Array.isArray(p.periods) ? PUBLIC_PRESETS.filter((x) => /** @type {string[]} */ (p.periods).includes(x)) : [];
  const int = (/** @type {unknown} */ v, /** @type {number} */ d) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : d);
  return {
    periods: periods.length ? periods : [...PUBLIC_PRESETS],
    maxRes: Math.max(RES_MIN, Math.min(RES_MAX, int(p.max_res, 9))),
    minCount: int(p.min_count, 3),
    epsStep: int(p.eps_m_step, 50),
  };
}

/**
 * The whole calendar period of `kind` ('month', 'quarter', 'year') holding `day`.
 * @param {string} kind
 * @param {string} day  YYYY-MM-DD
 * @returns {Range}
 */
export function periodOf(kind, day) {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  if (kind === 'year') return { from: `${y}-01-01`, to: `${y + 1}-01-01` };
  const first = kind === 'quarter' ? m - ((m - 1) % 3) : m;
  return { from: monthStart(y, first), to: monthStart(y, first + PERIOD_MONTHS[kind]) };
}

/**
 * What [from, to) is: 'all' (both open), one whole 'month', 'quarter' or 'year', or null (none of them).
 * @param {string | null} from
 * @param {string | null} to
 * @returns {string | null}
 */
export function periodKind(from, to) {
  if (!from && !to) return 'all';
  if (!from || !to) return null;
  for (const k of PERIODS) {
    const p = periodOf(k, from);
    if (p.from === from && p.to === to) return k;
  }
  return null;
}

/**
 * The smallest whole period of `periods` holding all of [from, to) (an open end: all time),
 * with its kind; all time when no month, quarter or year holds it.
 * @param {{ from: string | null, to: string | null }} range
 * @param {string[]} [periods]
 * @returns {{ kind: string, from: string | null, to: string | null }}
 */
export function snapToPeriod(range, periods = PUBLIC_PRESETS) {
  if (range.from && range.to) {
    const last = addDays(range.to, -1);
    for (const k of PERIODS) {
      if (!periods.includes(k)) continue;
      const p = periodOf(k, range.from);
      if (p.to > last) return { kind: k, ...p };
    }
  }
  return { kind: 'all', from: null, to: null };
}

/**
 * Whether an anonymous visitor may ask for [from, to) under `rules`.
 * @param {{ from: string | null, to: string | null }} range
 * @param {PublicRules} rules
 */
export function isPublicRange(range, rules) {
  const k = periodKind(range.from, range.to);
  return k != null && rules.periods.includes(k);
}

/**
 * The default time of an anonymous visitor: the calendar year of the last month with incidents
 * (the largest period allowed, when years are not); null without incidents (then all time).
 * @param {Extent | null | undefined} extent
 * @param {PublicRules} rules
 * @returns {Range | null}
 */
export function publicLatest(extent, rules) {
  const to = extent?.incidents?.to;
  if (!to || !DATE.test(to)) return null;
  const kind = [...PERIODS].reverse().find((k) => rules.periods.includes(k));
  return kind ? periodOf(kind, addDays(to, -1)) : null;
}

/**
 * The DBSCAN radii an anonymous visitor may choose: multiples of the step from 100 m.
 * @param {PublicRules} rules
 */
export const publicEpsChoices = (rules) => [100, 150, 200, 250, 300, 400, 500].filter((v) => v % rules.epsStep === 0);

/**
 * `eps` made one an anonymous visitor may ask for: the next multiple of the step, 100 m at least.
 * @param {number} eps
 * @param {PublicRules} rules
 */
export const publicEps = (eps, rules) =>
  Math.min(5000, Math.max(Math.ceil(100 / rules.epsStep) * rules.epsStep, Math.ceil(eps / rules.epsStep) * rules.epsStep));

/** The fields of State that public rules may change (and a sign-in gives back). */
export const PUBLIC_FIELDS = /** @type {const} */ (['t', 'from', 'to', 'cat', 'sev', 'res', 'weight', 'eps']);

/**
 * Makes `s` a view an anonymous visitor may ask for under `rules`: a range that is not one
 * whole period becomes the smallest that holds it (the visitor is told: the kind is returned),
 * "latest" the latest year with incidents, a resolution finer than the limit the limit, the
 * first category and class of several, harm counts, and the DBSCAN radius the next allowed.
 * Returns the kind the time was rounded to, or null when it was not rounded.
 * @param {State} s
 * @param {PublicRules} rules
 * @param {Extent | null} extent
 * @returns {string | null}
 */
export function toPublic(s, rules, extent) {
  let rounded = null;
  if (s.t === 'latest') {
    const r = publicLatest(extent, rules);
    Object.assign(s, r ? { from: r.from, to: r.to } : { t: 'all', from: null, to: null });
  } else if (s.t === 'all' || (!s.from && !s.to)) {
    Object.assign(s, { t: 'all', from: null, to: null });
  } else if (!isPublicRange(s, rules)) {
    const p = snapToPeriod(s, rules.periods);
    rounded = p.kind;
    Object.assign(s, { t: p.kind === 'all' ? 'all' : 'custom', from: p.from, to: p.to });
  }
  if (typeof s.res === 'number' && s.res > rules.maxRes) s.res = rules.maxRes;
  if (s.cat.length > 1) s.cat = s.cat.slice(0, 1);
  if (s.sev.length > 1 && s.sev.length < SEVERITIES.length) s.sev = s.sev.slice(0, 1);
  s.weight = 'count';
  s.eps = publicEps(s.eps, rules);
  return rounded;
}
