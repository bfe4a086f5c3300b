// The side bar's controls and the header's: the time range (presets, the month slider, typed
// dates), the category and severity filters, the H3 resolution, the layer list with the
// programme year, the language and the menu on small screens. Each writes view.state, then
// the URL, then asks the layers to refresh. The weight (count or harm) is beside the
// resolution: it changes every analysis layer's request.
//
// Signed out on a public server (view.js: publicNow) the controls offer only what the server
// answers anonymously (state.js: public rules): the presets are month, quarter, year and all
// time, the slider moves one whole period, a list of periods replaces the typed dates, the
// resolutions stop at the limit, one category and one class at most, counts only, and DBSCAN
// radii in the server's steps. fitViewToAccess makes the view such (a link's range rounded,
// and said so) and gives back, on signing in, what the visitor has not changed since.

import * as auth from './auth.js';
import { $, h } from './dom.js';
import { applyI18n, dayText, label, monthText, num, setLang, t } from './i18n.js';
import { LAYERS, lockIcon } from './layers.js';
import { renderLegend, renderLegends, scheduleRefresh, toggleLayer } from './loader.js';
import * as panels from './panels.js';
import { renderAuth, signInOpen } from './signin.js';
import * as S from './state.js';
import { currentZoom, DAY, maxRes, publicNow, THIS_YEAR, view, writeUrl } from './view.js';

/** @import { PublicRules, State } from './state.js' */

/** @param {string} sel */
const field = (sel) => /** @type {HTMLInputElement} */ ($(sel));
const mFrom = () => field('#m-from');
const mTo = () => field('#m-to');
const dFrom = () => field('#d-from');
const dThrough = () => field('#d-through');
const resSel = () => /** @type {HTMLSelectElement} */ ($('#res'));
const periodSel = () => /** @type {HTMLSelectElement} */ ($('#d-period'));

// ---- time ----------------------------------------------------------------------------------

// The slider runs by month (view.slider); the thumbs are the first and the last month included.
/** @param {string} date */
const idxOf = (date) => (Number(date.slice(0, 4)) - view.slider.minYear) * 12 + Number(date.slice(5, 7)) - 1;
/** @param {number} i */
const dateOf = (i) => S.monthStart(view.slider.minYear, i + 1);

/** The slider's range: from January five years back, the linked range or the data, whichever is first, to this month or the data's last. */
export function setupSlider() {
  const { extent, state, slider } = view;
  const firsts = [THIS_YEAR - 5, state.from, extent?.incidents?.from].filter(Boolean).map((x) => Number(String(x).slice(0, 4)));
  slider.minYear = Math.min(...firsts);
  const lastData = extent?.incidents?.to ? S.addDays(extent.incidents.to, -1) : DAY;
  slider.count = Math.max(idxOf(DAY), idxOf(lastData)) + 1;
  for (const el of [mFrom(), mTo()]) el.max = String(slider.count - 1);
}

/** The presets on offer: a whole month, quarter, year or all time when public rules apply. */
function presets() {
  const rules = publicNow();
  if (rules) return S.PUBLIC_PRESETS.filter((p) => rules.periods.includes(p));
  return S.PRESETS.filter((p) => p !== 'custom' && (p !== 'latest' || S.latestRange(view.extent)));
}

/**
 * Whether a preset's button is pressed: under public rules, the kind of period shown.
 * @param {string} p
 */
function pressed(p) {
  if (!publicNow()) return view.state.t === p;
  return (view.state.t === 'all' ? 'all' : S.periodKind(view.state.from, view.state.to)) === p;
}

export function renderPresets() {
  $('#presets').replaceChildren(
    ...presets().map((p) => h('button', { type: 'button', 'aria-pressed': String(pressed(p)), 'data-preset': p, onclick: () => setPreset(p) }, t(`t_${p}`))),
  );
}

function rangeText() {
  const { state } = view;
  if (state.t === 'all') return t('range_all');
  return t('range', { from: state.from ? dayText(state.from) : '…', to: state.to ? dayText(S.addDays(state.to, -1)) : '…' });
}

/** The time controls as view.state says. */
export function syncTimeControls() {
  const { state, slider } = view;
  /** @param {number} i */
  const clamp = (i) => Math.max(0, Math.min(slider.count - 1, i));
  const a = state.from ? clamp(idxOf(state.from)) : 0;
  const b = state.to ? clamp(idxOf(S.addDays(state.to, -1))) : slider.count - 1;
  mFrom().value = String(a);
  mTo().value = String(b);
  dFrom().value = dayText(state.from || '');
  dThrough().value = state.to ? dayText(S.addDays(state.to, -1)) : '';
  showDateError(null);
  $('#range-label').textContent = rangeText();
  for (const b2 of /** @type {HTMLCollectionOf<HTMLElement>} */ ($('#presets').children))
    b2.setAttribute('aria-pressed', String(pressed(/** @type {string} */ (b2.dataset.preset))));
  mFrom().setAttribute('aria-valuetext', monthText(dateOf(a)));
  mTo().setAttribute('aria-valuetext', monthText(dateOf(b)));
  const rules = publicNow();
  /** @type {HTMLElement} */ ($('.custom')).hidden = !!rules;
  $('#period-box').hidden = !rules;
  $('#public-time').hidden = !rules;
  if (rules) renderPeriods(rules);
  const note = $('#range-note');
  note.hidden = !(rules && view.rounded);
  note.textContent = rules && view.rounded ? t(`rounded_${view.rounded}`) : '';
}

/**
 * The kind of period the list offers: the one shown, or years for all time.
 * @param {PublicRules} rules
 */
function listedKind(rules) {
  const k = S.periodKind(view.state.from, view.state.to);
  if (k && k !== 'all') return k;
  return [...S.PERIODS].reverse().find((x) => rules.periods.includes(x)) ?? 'year';
}

/**
 * A whole period by name: "Tháng 3/2024", "Quý 1/2024", "Năm 2024" ("March 2024", "Q1 2024", "2024").
 * @param {string} kind
 * @param {string} from  its first day
 */
export function periodText(kind, from) {
  const y = from.slice(0, 4);
  const m = Number(from.slice(5, 7));
  return t(`period_${kind}`, { y, m, q: Math.ceil(m / 3), month: t(`month_${m}`) });
}

/**
 * The list of periods that stands for the typed dates under public rules: every period of the
 * kind shown over the slider's months, the latest first, and all time.
 * @param {PublicRules} rules
 */
function renderPeriods(rules) {
  const kind = listedKind(rules);
  const step = S.PERIOD_MONTHS[kind];
  const { minYear, count } = view.slider;
  /** @type {HTMLOptionElement[]} */
  const options = [];
  for (let i = Math.floor((count - 1) / step) * step; i >= 0; i -= step) {
    const from = S.periodOf(kind, S.monthStart(minYear, i + 1)).from;
    options.push(/** @type {HTMLOptionElement} */ (h('option', { value: from }, periodText(kind, from))));
  }
  if (rules.periods.includes('all')) options.push(/** @type {HTMLOptionElement} */ (h('option', { value: '' }, t('range_all'))));
  periodSel().replaceChildren(...options);
  periodSel().value = view.state.t === 'all' || !view.state.from ? '' : view.state.from;
}

/** A period chosen from the list (public rules). */
function onPeriod() {
  const rules = publicNow();
  if (!rules) return;
  const v = periodSel().value;
  if (!v) return setPreset('all');
  const p = S.periodOf(listedKind(rules), v);
  setCustom(p.from, p.to);
}

/** @param {string} p */
function setPreset(p) {
  if (publicNow() && p !== 'all') return setPeriod(p);
  const r = S.presetRange(p, DAY, view.extent);
  view.state.t = p === 'latest' && !r ? 'all' : p;
  view.state.from = r?.from ?? null;
  view.state.to = r?.to ?? null;
  timeChanged();
}

/**
 * @param {string | null} from
 * @param {string | null} to
 */
function setCustom(from, to) {
  view.state.t = 'custom';
  view.state.from = from;
  view.state.to = to;
  if (!from && !to) view.state.t = 'all';
  timeChanged();
}

/**
 * A whole period of `kind` (public rules): the one holding the last day shown, or the last
 * month with incidents for all time.
 * @param {string} kind
 */
function setPeriod(kind) {
  const { state, extent } = view;
  const last = state.to ? S.addDays(state.to, -1) : extent?.incidents?.to ? S.addDays(extent.incidents.to, -1) : DAY;
  const p = S.periodOf(kind, last);
  setCustom(p.from, p.to);
}

function timeChanged() {
  view.rounded = null; // the visitor chose: the link's range is no longer shown
  syncTimeControls();
  writeUrl();
  scheduleRefresh();
}

/** @param {'from' | 'to'} which  the thumb moved */
function onSlider(which) {
  if (publicNow()) return onPublicSlider(which);
  let a = Number(mFrom().value);
  let b = Number(mTo().value);
  if (a > b) {
    if (which === 'from') b = a;
    else a = b;
  }
  setCustom(dateOf(a), dateOf(b + 1));
}

/**
 * The slider under public rules: both thumbs move together by one whole period of the kind
 * shown (years for all time), to the period under the thumb moved, or the next one in the
 * direction it moved when that is still the same period.
 * @param {'from' | 'to'} which  the thumb moved
 */
function onPublicSlider(which) {
  const { state, slider } = view;
  const rules = /** @type {PublicRules} */ (publicNow());
  const kind = listedKind(rules);
  const shown = S.periodKind(state.from, state.to);
  const [a, b] = state.from && state.to ? [idxOf(state.from), idxOf(S.addDays(state.to, -1))] : [0, slider.count - 1];
  const i = Number((which === 'from' ? mFrom() : mTo()).value);
  const moved = i - (which === 'from' ? a : b);
  if (!moved) return syncTimeControls();
  let p = S.periodOf(kind, dateOf(i));
  if (shown === kind && p.from === state.from) {
    const step = S.PERIOD_MONTHS[kind] * Math.sign(moved);
    p = S.periodOf(kind, S.monthStart(Number(p.from.slice(0, 4)), Number(p.from.slice(5, 7)) + step));
  }
  // Not past either end of the slider.
  if (idxOf(p.from) > slider.count - 1 || idxOf(S.addDays(p.to, -1)) < 0) return syncTimeControls();
  setCustom(p.from, p.to);
}

// Typed dates: dd/mm/yyyy (S.parseDate); a bad one is named next to the fields and changes nothing.
/**
 * @param {string | null} msg
 * @param {HTMLInputElement | null} [input]  the field at fault (none: both)
 */
function showDateError(msg, input = null) {
  const el = $('#d-error');
  el.textContent = msg || '';
  el.hidden = !msg;
  for (const i of [dFrom(), dThrough()]) i.setAttribute('aria-invalid', String(!!msg && (input == null || i === input)));
}

function onDates() {
  /** @param {HTMLInputElement} input */
  const read = (input) => {
    const text = input.value.trim();
    return { text, date: text ? S.parseDate(text) : null };
  };
  const f = read(dFrom());
  const th = read(dThrough());
  for (const [v, input] of /** @type {const} */ ([
    [f, dFrom()],
    [th, dThrough()],
  ])) {
    if (v.text && !v.date) return showDateError(t('date_bad', { text: v.text }), input);
  }
  const to = th.date ? S.addDays(th.date, 1) : null;
  if (f.date && to && f.date >= to) return showDateError(t('date_order'));
  setCustom(f.date, to);
}

// ---- categories, severities, resolution ----------------------------------------------------

export function renderFilters() {
  const { state, catalogue } = view;
  // Under public rules one category and one class at most: radio buttons, "all" first.
  const single = !!publicNow();
  const type = single ? 'radio' : 'checkbox';
  const cats = $('#cats');
  for (const l of cats.querySelectorAll('label')) l.remove();
  if (single) {
    cats.append(h('label', null, h('input', { type, name: 'cat', value: '', checked: state.cat.length === 0, onchange: onFilter }), ` ${t('all_categories')}`));
  }
  for (const c of catalogue.categories) {
    cats.append(
      h(
        'label',
        null,
        h('input', { type, name: single ? 'cat' : null, value: c.code, checked: state.cat.includes(c.code), onchange: onFilter }),
        ` ${label(c, c.code)}`,
      ),
    );
  }
  const sevs = $('#sevs');
  for (const l of sevs.querySelectorAll('label')) l.remove();
  const every = state.sev.length === S.SEVERITIES.length;
  if (single) {
    sevs.append(h('label', null, h('input', { type, name: 'sev', value: '', checked: every, onchange: onFilter }), ` ${t('all_severities')}`));
  }
  for (const v of S.SEVERITIES) {
    const checked = single ? !every && state.sev.includes(v) : state.sev.includes(v);
    sevs.append(h('label', null, h('input', { type, name: single ? 'sev' : null, value: v, checked, onchange: onFilter }), ` ${t(`sev_${v}`)}`));
  }
  summarise();
}

function summarise() {
  // Categories: none ticked is no filter (ticking one narrows to it). Severities start all
  // ticked, and none ticked is none: the incident-based layers then draw nothing.
  const n = view.state.cat.length;
  $('#cat-summary').textContent = n === 0 || n === view.catalogue.categories.length ? t('all_selected') : t('n_selected', { n });
  const k = view.state.sev.length;
  $('#sev-summary').textContent = k === 0 ? t('none_selected') : k === S.SEVERITIES.length ? t('all_selected') : t('n_selected', { n: k });
}

function onFilter() {
  /** @param {string} sel */
  const picked = (sel) => [.../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll(`${sel} input:checked`))].map((i) => i.value);
  const cat = picked('#cats').filter(Boolean);
  // Every category ticked is the same as none: no filter.
  view.state.cat = cat.length === view.catalogue.categories.length ? [] : cat;
  const sev = picked('#sevs');
  // The radio "all classes" (public rules) is every class: no filter.
  view.state.sev = sev.includes('') ? [...S.SEVERITIES] : sev;
  summarise();
  writeUrl();
  scheduleRefresh();
  for (const l of LAYERS) if (l.filtered) renderLegend(l.id);
}

export function renderRes() {
  const max = maxRes();
  resSel().replaceChildren(
    h('option', { value: 'auto' }, t('res_auto', { res: S.resForZoom(currentZoom(), max) })),
    ...Array.from({ length: max - S.RES_MIN + 1 }, (_, i) => h('option', { value: String(S.RES_MIN + i) }, t('res_n', { res: S.RES_MIN + i }))),
  );
  resSel().value = String(view.state.res);
}

/** The weight's radios as view.state says; harm locked (needs a sign-in) under public rules. */
export function renderWeight() {
  const locked = !!publicNow();
  for (const r of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#weight input[name=weight]'))) {
    r.checked = r.value === view.state.weight;
    if (r.value === 'harm') r.disabled = locked;
  }
  const harm = $('#weight-harm');
  harm.classList.toggle('locked', locked);
  harm.querySelector('.lock')?.remove();
  if (locked) harm.append(' ', lockIcon(t('lock_harm')));
}

/**
 * The "automatic" option names the resolution of the zoom `zoom` (after the map moved).
 * @param {number} zoom
 */
export function renderAutoRes(zoom) {
  if (view.state.res === 'auto') resSel().options[0].textContent = t('res_auto', { res: S.resForZoom(zoom, maxRes()) });
}

// ---- layers --------------------------------------------------------------------------------

export function renderLayerList() {
  const { state } = view;
  $('#layers').replaceChildren(
    ...LAYERS.map((l) => {
      const locked = l.needsAuth && !auth.signedIn();
      const on = state.layers.has(l.id) && !locked;
      const cb = h('input', {
        type: 'checkbox',
        id: `ly-${l.id}`,
        checked: on,
        disabled: locked,
        'aria-describedby': `lg-${l.id}`,
        onchange: (/** @type {Event} */ e) => toggleLayer(l.id, /** @type {HTMLInputElement} */ (e.target).checked),
      });
      // The complex areas' outlines are public; their programme colours need a sign-in.
      const lock = locked ? lockIcon(t('lock_layer')) : l.id === 'complex' && !auth.signedIn() ? lockIcon(t('lock_status')) : null;
      return h(
        'li',
        { class: `layer${on ? ' on' : ''}`, 'data-layer': l.id },
        h(
          'label',
          { for: `ly-${l.id}` },
          cb,
          h('span', null, t(`l_${l.id}`), lock ? [' ', h('span', { class: 'needs' }, lock, locked ? ` ${t('needs_sign_in')}` : null)] : null),
        ),
        l.id === 'complex' && auth.signedIn() && state.py != null ? programmeYear() : null,
        l.id === 'clusters' ? epsControl() : null,
        h('div', { class: 'legend', id: `lg-${l.id}` }),
      );
    }),
  );
  // Signed out on a public server: the figures are perturbed, and the page says so.
  $('#public-note').hidden = !publicNow();
  renderLegends();
}

/** DBSCAN's radius: multiples of the server's step from 100 m under public rules. */
function epsControl() {
  const rules = publicNow();
  const choices = rules ? S.publicEpsChoices(rules) : [25, 50, 75, 100, 150, 200, 300, 500];
  const values = [...new Set([...choices, view.state.eps])].sort((a, b) => a - b);
  const sel = h(
    'select',
    {
      id: 'eps',
      onchange: (/** @type {Event} */ e) => {
        view.state.eps = Number(/** @type {HTMLSelectElement} */ (e.target).value);
        writeUrl();
        scheduleRefresh();
      },
    },
    values.map((v) => h('option', { value: String(v) }, t('metres', { v: num(v) }))),
  );
  sel.value = String(view.state.eps);
  return h('label', { class: 'eps' }, `${t('eps_m')} `, sel);
}

/** The programme years to offer: around this year, and every year with designations. */
function programmeYears() {
  const ys = new Set([...Array.from({ length: 8 }, (_, i) => THIS_YEAR + 1 - i), ...(view.extent?.programme_years || []), view.state.py]);
  return /** @type {number[]} */ ([...ys].filter(Number.isInteger)).sort((a, b) => b - a);
}

function programmeYear() {
  const sel = h(
    'select',
    {
      id: 'py',
      onchange: (/** @type {Event} */ e) => {
        view.state.py = Number(/** @type {HTMLSelectElement} */ (e.target).value);
        writeUrl();
        scheduleRefresh();
        panels.refresh();
      },
    },
    programmeYears().map((y) => h('option', { value: String(y) }, String(y))),
  );
  sel.value = String(view.state.py);
  return h('label', { class: 'py' }, `${t('programme_year')} `, sel);
}

// ---- language and small screens ------------------------------------------------------------

function renderLangButton() {
  const langBtn = $('#lang-btn');
  const other = view.state.lang === 'vi' ? 'en' : 'vi';
  $('.long', langBtn).textContent = t('lang_switch');
  $('.short', langBtn).textContent = other.toUpperCase();
  langBtn.setAttribute('lang', other);
  langBtn.setAttribute('aria-label', t('lang_switch_aria'));
}

// ---- who may ask for what -------------------------------------------------------------------

/**
 * The fields public rules may change, copied.
 * @param {State} s
 * @returns {Partial<State>}
 */
const publicFields = (s) => structuredClone(Object.fromEntries(S.PUBLIC_FIELDS.map((k) => [k, s[k]])));
/**
 * @param {unknown} a
 * @param {unknown} b
 */
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Fits the view to who is looking. Signed out on a public server: what the server answers
 * anonymously (S.toPublic; a link's range rounded to a whole period is said under the range).
 * Signed in: the view as it was before public rules changed it, where the visitor has not
 * changed it since, and "latest" the latest 12 months again. The URL follows.
 */
export function fitViewToAccess() {
  const { state } = view;
  const before = S.serialize(state, DAY, view.extent);
  const rules = publicNow();
  if (rules) {
    const old = publicFields(state);
    view.rounded = S.toPublic(state, rules, view.extent);
    const now = publicFields(state);
    if (!same(old, now)) view.publicAdjusted = { before: old, after: now };
  } else {
    view.rounded = null;
    const adj = view.publicAdjusted;
    view.publicAdjusted = null;
    if (adj) {
      // The time is one thing (preset and days together); the others one by one.
      const time = /** @type {const} */ (['t', 'from', 'to']);
      if (time.every((k) => same(state[k], adj.after[k]))) Object.assign(state, Object.fromEntries(time.map((k) => [k, adj.before[k]])));
      for (const k of /** @type {const} */ (['cat', 'sev', 'res', 'weight', 'eps'])) {
        if (same(state[k], adj.after[k])) Object.assign(state, { [k]: adj.before[k] });
      }
    }
    S.resolve(state, DAY, view.extent);
  }
  if (S.serialize(state, DAY, view.extent) !== before) writeUrl();
}

/** Every control, in the current language and as view.state says. */
export function renderAll() {
  applyI18n();
  view.map?.getCanvas().setAttribute('aria-label', t('title'));
  renderLangButton();
  renderAuth();
  renderPresets();
  syncTimeControls();
  renderFilters();
  renderRes();
  renderWeight();
  renderLayerList();
}

/** The time, filter and resolution controls' listeners. */
export function initControls() {
  mFrom().addEventListener('change', () => onSlider('from'));
  mTo().addEventListener('change', () => onSlider('to'));
  for (const el of [mFrom(), mTo()]) {
    el.addEventListener('input', () => {
      $('#range-label').textContent = t('range', { from: monthText(dateOf(Number(mFrom().value))), to: monthText(dateOf(Number(mTo().value))) });
    });
  }
  periodSel().addEventListener('change', onPeriod);
  for (const input of [dFrom(), dThrough()]) {
    input.addEventListener('change', onDates);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onDates();
    });
  }
  resSel().addEventListener('change', () => {
    view.state.res = resSel().value === 'auto' ? 'auto' : Number(resSel().value);
    writeUrl();
    scheduleRefresh();
  });
  // The weight is part of each analysis layer's key: a change reloads them (their legends
  // say "loading" meanwhile, then name the new unit).
  $('#weight').addEventListener('change', (e) => {
    const v = /** @type {HTMLInputElement} */ (e.target).value;
    view.state.weight = v === 'harm' ? 'harm' : 'count';
    writeUrl();
    scheduleRefresh();
  });
}

/**
 * The header's language button and the menu button of small screens. Esc closes the menu
 * (registered after the panel's Esc, which it lets go first).
 */
export function initHeader() {
  $('#lang-btn').addEventListener('click', () => {
    view.state.lang = view.state.lang === 'vi' ? 'en' : 'vi';
    setLang(view.state.lang);
    writeUrl();
    renderAll();
    panels.refresh();
  });
  const menuBtn = $('#menu-btn');
  menuBtn.addEventListener('click', () => {
    const open = !document.body.classList.contains('side-open');
    document.body.classList.toggle('side-open', open);
    menuBtn.setAttribute('aria-expanded', String(open));
    if (open) /** @type {HTMLElement | null} */ ($('#side').querySelector('button, input, select, summary'))?.focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('side-open') && !panels.openPanel() && !signInOpen()) {
      document.body.classList.remove('side-open');
      menuBtn.setAttribute('aria-expanded', 'false');
      menuBtn.focus();
    }
  });
}
