// The side bar's controls and the header's: the time range (presets, the month slider, typed
// dates), the category and severity filters, the H3 resolution, the layer list with the
// programme year, the language and the menu on small screens. Each writes view.state, then
// the URL, then asks the layers to refresh. The weight (count or harm) is beside the
// resolution: it changes every analysis layer's request.

import * as auth from './auth.js';
import { $, h } from './dom.js';
import { applyI18n, dayText, label, monthText, setLang, t } from './i18n.js';
import { LAYERS, lockIcon } from './layers.js';
import { renderLegend, renderLegends, scheduleRefresh, toggleLayer } from './loader.js';
import * as panels from './panels.js';
import { renderAuth, signInOpen } from './signin.js';
import * as S from './state.js';
import { currentZoom, DAY, THIS_YEAR, view, writeUrl } from './view.js';

/** @param {string} sel */
const field = (sel) => /** @type {HTMLInputElement} */ ($(sel));
const mFrom = () => field('#m-from');
const mTo = () => field('#m-to');
const dFrom = () => field('#d-from');
const dThrough = () => field('#d-through');
const resSel = () => /** @type {HTMLSelectElement} */ ($('#res'));

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

export function renderPresets() {
  $('#presets').replaceChildren(
    ...S.PRESETS.filter((p) => p !== 'custom' && (p !== 'latest' || S.latestRange(view.extent))).map((p) =>
      h('button', { type: 'button', 'aria-pressed': String(view.state.t === p), 'data-preset': p, onclick: () => setPreset(p) }, t(`t_${p}`)),
    ),
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
    b2.setAttribute('aria-pressed', String(b2.dataset.preset === state.t));
  mFrom().setAttribute('aria-valuetext', monthText(dateOf(a)));
  mTo().setAttribute('aria-valuetext', monthText(dateOf(b)));
}

/** @param {string} p */
function setPreset(p) {
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

function timeChanged() {
  syncTimeControls();
  writeUrl();
  scheduleRefresh();
}

/** @param {'from' | 'to'} which  the thumb moved */
function onSlider(which) {
  let a = Number(mFrom().value);
  let b = Number(mTo().value);
  if (a > b) {
    if (which === 'from') b = a;
    else a = b;
  }
  setCustom(dateOf(a), dateOf(b + 1));
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
  const cats = $('#cats');
  for (const l of cats.querySelectorAll('label')) l.remove();
  for (const c of catalogue.categories) {
    cats.append(
      h('label', null, h('input', { type: 'checkbox', value: c.code, checked: state.cat.includes(c.code), onchange: onFilter }), ` ${label(c, c.code)}`),
    );
  }
  const sevs = $('#sevs');
  for (const l of sevs.querySelectorAll('label')) l.remove();
  for (const v of S.SEVERITIES) {
    sevs.append(h('label', null, h('input', { type: 'checkbox', value: v, checked: state.sev.includes(v), onchange: onFilter }), ` ${t(`sev_${v}`)}`));
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
  const cat = picked('#cats');
  // Every category ticked is the same as none: no filter.
  view.state.cat = cat.length === view.catalogue.categories.length ? [] : cat;
  view.state.sev = picked('#sevs');
  summarise();
  writeUrl();
  scheduleRefresh();
  for (const l of LAYERS) if (l.filtered) renderLegend(l.id);
}

export function renderRes() {
  resSel().replaceChildren(
    h('option', { value: 'auto' }, t('res_auto', { res: S.resForZoom(currentZoom()) })),
    ...Array.from({ length: S.RES_MAX - S.RES_MIN + 1 }, (_, i) => h('option', { value: String(S.RES_MIN + i) }, t('res_n', { res: S.RES_MIN + i }))),
  );
  resSel().value = String(view.state.res);
}

/** The weight's radios as view.state says. */
export function renderWeight() {
  for (const r of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#weight input[name=weight]')))
    r.checked = r.value === view.state.weight;
}

/**
 * The "automatic" option names the resolution of the zoom `zoom` (after the map moved).
 * @param {number} zoom
 */
export function renderAutoRes(zoom) {
  if (view.state.res === 'auto') resSel().options[0].textContent = t('res_auto', { res: S.resForZoom(zoom) });
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
        h('div', { class: 'legend', id: `lg-${l.id}` }),
      );
    }),
  );
  renderLegends();
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
