// The side panel: a complex area (status, KPIs against targets, monthly trend, history, and
// the editor's status form) or a hotspot zone (its statistics and top categories).
// One panel at a time; Esc or the close button closes it and gives focus back.

import * as api from './api.js';
import * as auth from './auth.js';
import { trendChart } from './chart.js';
import { $, h } from './dom.js';
import { dateTime, dayText, label, num, pct, signedPct, t } from './i18n.js';
import { STATUS_COLOURS } from './layers.js';
import { addDays, programmePeriod } from './state.js';

/** @import { CatalogueEntry, Feature } from './layers.js' */
/** @import { State } from './state.js' */

/**
 * What the panel asks of the page (main.js gives it).
 * @typedef {object} PanelCtx
 * @property {() => void} focusMap
 * @property {() => State} state
 * @property {() => string} today  YYYY-MM-DD in the committee's zone
 * @property {(code: string) => CatalogueEntry | undefined} category
 * @property {(code: string) => { name: string, properties: Record<string, any>, geometry: any } | null} area  a ward, district or complex area the page has
 * @property {(id: string) => Feature | undefined} zone  a hotspot zone on the map
 * @property {(geometry: any) => void} select  outlines a shape on the map (null: none)
 * @property {(panel: string | null) => void} onPanel  the panel opened ('area:<code>', 'zone:<id>') or closed
 * @property {() => void} programmeChanged  a status was saved
 * @property {() => void} signIn  opens the sign-in dialog
 */

/** @type {PanelCtx} */
let ctx;
/** @type {{ type: 'area' | 'zone', id: string } | null} */
let current = null;
let generation = 0;
/** @type {HTMLElement | null} */
let returnFocus = null;

/**
 * Wires the panel to the page: its close button and Esc.
 * @param {PanelCtx} c
 */
export function init(c) {
  ctx = c;
  $('#panel-close').addEventListener('click', () => close());
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current && !e.defaultPrevented) {
      // Esc inside the sign-in dialog is the dialog's own.
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      close();
    }
  });
}

export const openPanel = () => current;

/**
 * Opens the panel on a loading text; returns its generation (a later open or close makes it stale).
 * @param {'area' | 'zone'} type
 * @param {string} id
 * @param {string} title
 */
function show(type, id, title) {
  const panel = $('#panel');
  if (!current) returnFocus = /** @type {HTMLElement | null} */ (document.activeElement);
  current = { type, id };
  generation += 1;
  panel.hidden = false;
  panel.dataset.kind = type;
  $('#panel-title').textContent = title;
  $('#panel-body').replaceChildren(h('p', { class: 'muted' }, t('loading')));
  $('#panel-title').focus();
  ctx.onPanel(`${type}:${id}`);
  return generation;
}

export function close() {
  if (!current) return;
  current = null;
  generation += 1;
  $('#panel').hidden = true;
  ctx.onPanel(null);
  const back = returnFocus && document.contains(returnFocus) ? returnFocus : null;
  returnFocus = null;
  if (back) back.focus();
  else ctx.focusMap();
}

/** Renders the panel again (after a language change or sign-in). */
export function refresh() {
  if (!current) return;
  if (current.type === 'area') openArea(current.id);
  else {
    const z = ctx.zone(current.id);
    if (z) openZone(z);
  }
}

/** @param {...any} pairs  [term, description]; falsy ones are left out */
const dl = (...pairs) =>
  h(
    'dl',
    { class: 'facts' },
    pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
/**
 * @param {string} title
 * @param {...import('./dom.js').Child} content
 */
const section = (title, ...content) => h('section', null, h('h3', null, title), ...content);
/**
 * @param {string} l  green, amber or red
 * @param {string} [words]  instead of the light's own word
 */
const light = (l, words) => h('span', { class: `light light-${l}` }, words ?? t(`light_${l}`));
/** @param {any} e */
const errorBox = (e) => h('p', { class: 'error', role: 'alert' }, e instanceof api.ApiError ? e.readable : String(e.message || e));

/** @param {string} status */
function statusBadge(status) {
  return h('span', { class: 'badge', style: `--c:${STATUS_COLOURS[status] || '#8a8a8a'}` }, t(`st_${status}`));
}

// ---- complex areas -------------------------------------------------------------------------

/**
 * Opens the panel on a complex area: its status in the programme year, KPIs, trend, history
 * and (for an editor) the status form; signed out, its code and population.
 * @param {string} code
 */
export async function openArea(code) {
  const base = ctx.area(code);
  const gen = show('area', code, base?.name || code);
  ctx.select(base?.geometry || null);
  const year = /** @type {number} */ (ctx.state().py);
  /** @type {Node[]} */
  const body = [];
  try {
    /** @type {any} */
    let props = base?.properties;
    if (!props) {
      const f = await api.get(`/api/v1/areas/${encodeURIComponent(code)}`);
      if (gen !== generation) return;
      props = f.properties;
      $('#panel-title').textContent = props.name;
      ctx.select(f.geometry);
    }
    body.push(dl([t('area'), props.code], props.population != null && [t('population'), num(props.population)]));
    if (!auth.signedIn()) {
      body.push(h('p', null, t('sign_in_for_more')), h('button', { type: 'button', onclick: () => ctx.signIn() }, t('sign_in')));
      $('#panel-body').replaceChildren(...body);
      return;
    }
    // The KPIs follow the programme year (its status and targets are the year's), the year
    // so far while it runs; the heading names the exact days.
    const period = programmePeriod(year, ctx.today());
    const [hist, kpis] = await Promise.all([
      api.get(`/api/v1/areas/${encodeURIComponent(code)}/history`),
      api.get(`/api/v1/areas/${encodeURIComponent(code)}/kpis`, period || { year }),
    ]);
    if (gen !== generation) return;
    const d = hist.designations.find((/** @type {any} */ x) => x.year === year);
    body.push(designationSection(d, year));
    body.push(kpiSection(kpis, year));
    if (d && auth.canEdit()) body.push(editForm(code, d, year));
    body.push(historySection(hist.events));
  } catch (e) {
    if (gen !== generation) return;
    body.push(errorBox(e));
  }
  $('#panel-body').replaceChildren(...body);
}

/**
 * @param {any} d  the year's designation (GET …/history), or none
 * @param {number} year
 */
function designationSection(d, year) {
  if (!d) return h('p', { class: 'note' }, t('not_designated', { year }));
  return section(
    t('status', { year }),
    h('p', null, statusBadge(d.status)),
    d.years_not_converted > 0 ? h('p', null, t('years_not_converted', { n: d.years_not_converted })) : null,
    d.flagged ? h('p', { class: 'warn' }, t('flagged')) : null,
    dl(
      [t('unit'), d.unit],
      [t('reasons'), d.reasons.join('; ')],
      d.categories?.length && [t('focus_categories'), d.categories.map((/** @type {string} */ c) => label(ctx.category(c), c)).join(', ')],
    ),
  );
}

/**
 * A change from `prev` to `cur` cases in words, with whether the exact test finds it
 * significant (p < 0.05): "giảm 19%, có ý nghĩa thống kê". Whole percent from 10% up.
 * @param {number} cur
 * @param {number} prev
 * @param {number | null} p  the exact test's p value (null without cases in either period)
 */
function changeWords(cur, prev, p) {
  if (p == null) return '–';
  if (cur === prev) return t('ch_same');
  let change;
  if (prev === 0) change = t('ch_up_from_zero');
  else {
    const v = (Math.abs(cur - prev) / prev) * 100;
    change = t(cur < prev ? 'ch_down' : 'ch_up', { v: num(v, v >= 9.95 ? 0 : 1) });
  }
  return t(p < 0.05 ? 'ch_sig' : 'ch_not_sig', { change });
}

/**
 * A ratio: two decimals, or two significant digits below 0.1.
 * @param {number} v
 */
const ratio = (v) => num(v, v === 0 || v >= 0.095 ? 2 : Math.min(12, Math.ceil(-Math.log10(v)) + 1));

/**
 * The rate ratio with its 95% interval and the p value, or null when there is nothing to test.
 * @param {any} k  GET …/kpis
 */
function ratioLine(k) {
  if (k.change_p == null || k.rate_ratio_low == null) return null;
  const p = k.change_p < 0.001 ? t('p_below', { p: num(0.001, 3) }) : t('p_is', { p: num(k.change_p, 3) });
  const text =
    k.rate_ratio == null || k.rate_ratio_high == null
      ? t('rate_ratio_open', { low: ratio(k.rate_ratio_low), p })
      : t('rate_ratio', { rr: ratio(k.rate_ratio), low: ratio(k.rate_ratio_low), high: ratio(k.rate_ratio_high), p });
  return h('div', { class: 'muted' }, text);
}

/**
 * @param {any} k  GET …/kpis
 * @param {number} year
 */
function kpiSection(k, year) {
  const tg = k.targets;
  const L = k.traffic_lights;
  const rows = [
    [
      t('k_cases'),
      h(
        'div',
        null,
        t('cases_of', { n: num(k.incidents), prev: num(k.incidents_previous) }),
        ' ',
        h('b', null, k.change_p == null ? k.change_pct_text : changeWords(k.incidents, k.incidents_previous, k.change_p)),
        ratioLine(k),
      ),
      t('at_most', { v: signedPct(tg.case_change_pct) }),
      L.cases,
      k.target_significant ? t('target_met_sig') : undefined,
    ],
    [
      t('k_rate'),
      h(
        'div',
        null,
        `${num(k.rate_per_10k, 1)} (${signedPct(k.rate_per_10k_change_pct)})`,
        k.rate_per_10k_eb == null ? null : h('div', { class: 'muted' }, t('rate_eb', { eb: num(k.rate_per_10k_eb, 1), seb: num(k.rate_per_10k_seb, 1) })),
      ),
      t('lower_than_prev', { v: num(k.rate_per_10k_previous, 1) }),
      L.rate_per_10k,
    ],
    [t('k_clearance'), pct(k.clearance_rate), t('at_least', { v: pct(tg.clearance_rate, 0) }), L.clearance],
    [
      t('k_clearance_serious'),
      `${pct(k.clearance_rate_serious)} (${num(k.serious_solved)}/${num(k.serious)})`,
      t('at_least', { v: pct(tg.clearance_rate_serious, 0) }),
      L.clearance_serious,
    ],
    [t('k_hotspots'), `${num(k.hot_cells)} (${t('zones_n', { n: num(k.hotspot_zones.length) })})`, t('none_target'), L.hotspots],
    [t('k_cameras'), `${num(k.cameras)} (${num(k.cameras_per_km2, 1)})`, '–', null],
    [t('k_models'), num(k.models), '–', null],
  ];
  const from = String(k.period?.from ?? `${year}-01-01`).slice(0, 10);
  const to = String(k.period?.to ?? `${year + 1}-01-01`).slice(0, 10);
  return section(
    t('kpis', { year, from: dayText(from), to: dayText(addDays(to, -1)) }),
    h('p', { class: 'muted' }, t('kpis_note', { year })),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'kpis' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [t('indicator'), t('value'), t('target'), t('assessment')].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map(([name, v, target, l, words]) =>
            h('tr', null, h('th', { scope: 'row' }, name), h('td', null, v), h('td', null, target), h('td', null, l ? light(l, words) : '')),
          ),
        ),
      ),
    ),
    k.monthly?.length ? h('h4', null, t('trend')) : null,
    k.monthly?.length ? trendChart(k.monthly, year) : null,
  );
}

/** @param {any[]} events  GET …/history, every year's */
function historySection(events) {
  const sorted = [...events].sort((a, b) => b.year - a.year || b.seq - a.seq);
  return section(
    t('history'),
    sorted.length
      ? h(
          'ol',
          { class: 'timeline' },
          sorted.map((e) =>
            h(
              'li',
              { style: `--c:${STATUS_COLOURS[e.to] || '#8a8a8a'}` },
              h(
                'p',
                { class: 'when' },
                h('time', { datetime: typeof e.at === 'number' ? new Date(e.at * 1000).toISOString() : String(e.at) }, dateTime(e.at)),
                ` · ${t('ev_year', { year: e.year })} · `,
                t('by', { who: e.by?.name ?? '?' }),
              ),
              h('p', null, h('b', null, t(`ev_${e.kind}`)), ': ', e.from ? `${t(`st_${e.from}`)} → ` : '', t(`st_${e.to}`)),
              e.note ? h('p', { class: 'quote' }, e.note) : null,
              e.evidence?.length
                ? h(
                    'p',
                    null,
                    `${t('evidence')}: `,
                    e.evidence.map((/** @type {string} */ u, /** @type {number} */ i) => [
                      i ? ', ' : '',
                      h('a', { href: u, rel: 'noopener noreferrer', target: '_blank' }, u),
                    ]),
                  )
                : null,
              e.changes && Object.keys(e.changes).length ? h('p', { class: 'muted' }, Object.keys(e.changes).join(', ')) : null,
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('no_history')),
  );
}

/**
 * The editor's status form: the legal next statuses, a note and evidence links.
 * @param {string} code
 * @param {any} d  the year's designation
 * @param {number} year
 */
function editForm(code, d, year) {
  if (!d.legal_next?.length) return h('p', { class: 'muted' }, t('no_moves'));
  const msg = h('p', { class: 'form-msg', role: 'status' });
  const form = h(
    'form',
    { class: 'edit', id: 'status-form' },
    h('h3', null, t('change_status')),
    h(
      'label',
      null,
      t('new_status'),
      h(
        'select',
        { name: 'to', required: true },
        d.legal_next.map((/** @type {string} */ s) => h('option', { value: s }, t(`st_${s}`))),
      ),
    ),
    h('label', null, t('note'), h('textarea', { name: 'note', rows: 2, maxlength: 2000 })),
    h('label', null, t('evidence_links'), h('textarea', { name: 'evidence', rows: 2, placeholder: 'https://…' })),
    h('button', { type: 'submit' }, t('save')),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const evidence = String(f.get('evidence') || '')
      .split(/\s+/)
      .filter(Boolean);
    const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    submit.disabled = true;
    msg.className = 'form-msg';
    msg.textContent = t('loading');
    try {
      await api.post(`/api/v1/areas/${encodeURIComponent(code)}/transitions`, {
        year,
        to: f.get('to'),
        note: String(f.get('note') || '').trim() || null,
        evidence,
      });
      ctx.programmeChanged();
      await openArea(code);
      const m = $('#panel .form-msg') || $('#panel-title');
      if (m.classList.contains('form-msg')) m.textContent = t('saved');
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 403) auth.refusedWrite();
      msg.className = 'form-msg error';
      msg.textContent = e instanceof api.ApiError ? (e.status === 403 ? t('editor_needed') : e.readable) : String(e);
      submit.disabled = false;
    }
  });
  return form;
}

// ---- hotspot zones -------------------------------------------------------------------------

/**
 * Opens the panel on a hotspot zone: its statistics, top categories, busiest hours and days,
 * complex areas and wards.
 * @param {Feature} feature
 */
export function openZone(feature) {
  const p = feature.properties;
  show('zone', p.id, `${t('zone')} · ${num(p.incidents)} ${t('incidents').toLowerCase()}`);
  ctx.select(feature.geometry);
  /** @typedef {{ category: string, count: number }} CategoryCount */
  const maxCat = Math.max(1, ...(p.top_categories || []).map((/** @type {CategoryCount} */ c) => c.count));
  /** @param {string} code */
  const areaName = (code) => ctx.area(code)?.name || code;
  const parts = [
    dl(
      [t('incidents'), num(p.incidents)],
      [t('share'), pct(p.share)],
      // Under weight=harm the zone also says how much harm it holds, and what share of all.
      ...(p.harm == null
        ? []
        : [
            [t('harm_days'), num(p.harm)],
            [t('harm_share'), pct(p.harm_share)],
          ]),
      [t('area_km2'), t('km2', { v: num(p.area_km2, 2) })],
      [t('cells_label'), num(p.cells)],
      [t('cameras'), num(p.cameras)],
      [t('models'), num(p.models)],
    ),
    section(
      t('top_categories'),
      h(
        'ul',
        { class: 'bars' },
        (p.top_categories || []).map((/** @type {CategoryCount} */ c) =>
          h(
            'li',
            null,
            h('span', { class: 'bar-label' }, label(ctx.category(c.category), c.category)),
            h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: `width:${(100 * c.count) / maxCat}%` })),
            h('span', { class: 'bar-n' }, num(c.count)),
          ),
        ),
      ),
    ),
    // A public server leaves the busiest hours and weekdays out (empty lists): no section then.
    p.busiest_hours?.length
      ? section(
          t('busiest_hours'),
          h('p', null, p.busiest_hours.map((/** @type {{ hour: number, count: number }} */ x) => `${t('hour', { h: x.hour })} (${num(x.count)})`).join(' · ')),
        )
      : null,
    p.busiest_weekdays?.length
      ? section(
          t('busiest_days'),
          h(
            'p',
            null,
            p.busiest_weekdays.map((/** @type {{ iso_weekday: number, count: number }} */ x) => `${t(`wd_${x.iso_weekday}`)} (${num(x.count)})`).join(' · '),
          ),
        )
      : null,
    p.complex_areas?.length
      ? section(
          t('complex_areas'),
          h(
            'ul',
            { class: 'pick-list' },
            p.complex_areas.map((/** @type {string} */ c) => {
              const b = h('button', { type: 'button', class: 'link', onclick: () => openArea(c) }, areaName(c));
              // Complex areas whose layer is not loaded: their names one by one (there are few).
              if (!ctx.area(c)) {
                api.get(`/api/v1/areas/${encodeURIComponent(c)}`).then(
                  (f) => {
                    b.textContent = f.properties.name;
                  },
                  () => {},
                );
              }
              return h('li', null, b);
            }),
          ),
        )
      : null,
    p.wards?.length ? section(t('wards'), h('p', null, p.wards.map(areaName).join(', '))) : null,
  ];
  // A zone without complex areas (or wards) has no such section (replaceChildren would write "null").
  $('#panel-body').replaceChildren(...parts.filter((x) => x != null));
}
