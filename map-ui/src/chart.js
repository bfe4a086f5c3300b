// The monthly trend of an area as plain SVG: incidents per month as bars, the same month a
// year earlier as a line. No chart library; the numbers are also in the SVG's <title>s.

import { $ } from './dom.js';
import { monthText, num, t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';
/**
 * An SVG element with attributes and children.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, /** @type {string} */ (v));
  for (const c of children) el.append(c);
  return el;
}

/**
 * A "nice" upper bound and step for an axis from 0 to `max`.
 * @param {number} max
 */
function axis(max) {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = /** @type {number} */ ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw));
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * One month of an area's trend (GET /api/v1/areas/{code}/kpis, `monthly`).
 * @typedef {{ month: string, incidents: number, incidents_previous: number }} Month
 */

/**
 * The monthly trend of `year` as a figure: bars this year, a line a year earlier.
 * @param {Month[]} monthly
 * @param {number} year
 */
export function trendChart(monthly, year) {
  const W = 340;
  const H = 170;
  const L = 34;
  const R = 8;
  const T = 10;
  const B = 24;
  const n = monthly.length;
  const max = Math.max(1, ...monthly.map((m) => Math.max(m.incidents, m.incidents_previous)));
  const { top, step } = axis(max);
  /** @param {number} i */
  const x = (i) => L + ((W - L - R) * (i + 0.5)) / n;
  /** @param {number} v */
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const bw = Math.max(2, ((W - L - R) / n) * 0.62);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': t('trend_aria', { year }) });
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(
      s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: L - 4, y: y(v) + 3.5, 'text-anchor': 'end', class: 'tick' }, num(v)),
    );
  }
  monthly.forEach((m, i) => {
    const bar = s('rect', { x: x(i) - bw / 2, y: y(m.incidents), width: bw, height: Math.max(0, y(0) - y(m.incidents)), class: 'bar' });
    bar.append(s('title', {}, `${monthText(m.month)}: ${num(m.incidents)} (${t('prev_period').toLowerCase()}: ${num(m.incidents_previous)})`));
    svg.append(bar);
    const label = n <= 12 || i % Math.ceil(n / 12) === 0 ? t('month_short', { m: Number(m.month.slice(5, 7)) }) : '';
    if (label) svg.append(s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, label));
  });
  const pts = monthly.map((m, i) => `${x(i).toFixed(1)},${y(m.incidents_previous).toFixed(1)}`).join(' ');
  svg.append(s('polyline', { points: pts, class: 'prev' }));
  for (const [i, m] of monthly.entries()) svg.append(s('circle', { cx: x(i), cy: y(m.incidents_previous), r: 2.2, class: 'prev-dot' }));
  const wrap = document.createElement('figure');
  wrap.className = 'chart-wrap';
  const cap = document.createElement('figcaption');
  cap.innerHTML = '<span class="key key-bar"></span> <span class="k1"></span> <span class="key key-line"></span> <span class="k2"></span>';
  $('.k1', cap).textContent = t('this_period', { year });
  $('.k2', cap).textContent = t('prev_period');
  wrap.append(svg, cap);
  return wrap;
}
