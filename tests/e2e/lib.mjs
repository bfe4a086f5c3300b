// Shared by the map page's end-to-end tests: the browser, pages with their console and
// requests recorded, waiting for the map to settle, screenshots decoded to pixels, and the
// API called directly with a demo's admin token.
//
// Environment (run.sh sets it): DN_PAGE_URL (the page), DN_API_URL (the diemnong server),
// DN_TOKEN (its admin token) of the pinned demo (data 2023–2024); the same with _PRESENT
// (the demo up to today) and _OLD (the demo up to a year ago); DN_TODAY and DN_TZ (today in
// the committee's zone); DN_DOCS (where screenshots for the docs go; unset = none),
// DN_CHROMIUM (default /usr/bin/chromium).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

/** One demo server: its page, its API and its admin token. */
export function server(suffix = '') {
  const page = (process.env[`DN_PAGE_URL${suffix}`] || 'http://127.0.0.1:8090/').replace(/\/?$/, '/');
  const base = (process.env[`DN_API_URL${suffix}`] || page).replace(/\/?$/, '');
  const token = process.env[`DN_TOKEN${suffix}`] || '';
  return { PAGE: page, API: base, TOKEN: token, api: (method, path, body, tok = token) => call(base, method, path, body, tok) };
}
const main = server('');
export const PAGE = main.PAGE;
export const API = main.API;
export const TOKEN = main.TOKEN;
export const DOCS = process.env.DN_DOCS || '';
export const TZ = process.env.DN_TZ || 'Asia/Ho_Chi_Minh';
/** Today in the committee's zone, YYYY-MM-DD. */
export const TODAY =
  process.env.DN_TODAY || new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

export async function launch() {
  return chromium.launch({
    executablePath: process.env.DN_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Software WebGL (ANGLE on SwiftShader) for MapLibre; no GPU here. --no-sandbox: CI runs as root.
    args: ['--enable-unsafe-swiftshader', '--no-sandbox'],
  });
}

/**
 * A new page (own context: own cookies) opened at `query` on `page` (default: the pinned
 * demo's), signed in with `token` when given, waited on until the first view is drawn.
 * Records console errors, page errors, every /api request and every /api response (its
 * status: `log.responses`). `locale`: the browser's.
 */
export async function open(browser, query = '', { token = null, viewport = { width: 1366, height: 768 }, before, locale = 'vi-VN', page: at = PAGE } = {}) {
  const context = await browser.newContext({ viewport, locale, timezoneId: TZ });
  if (token) {
    // Signed in as the page would be: the server's HttpOnly session cookie in this context.
    const r = await context.request.post(new URL('/api/v1/session', at).href, { data: { token } });
    if (!r.ok()) throw new Error(`sign-in failed: ${r.status()}`);
  }
  const page = await context.newPage();
  const log = { errors: [], requests: [], all: [], responses: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    log.all.push(r.url());
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) log.requests.push({ method: r.method(), path: u.pathname, params: u.searchParams, url: u.pathname + u.search });
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) log.responses.push({ status: r.status(), path: u.pathname, url: u.pathname + u.search });
  });
  if (before) await before(page);
  await page.goto(at + query);
  await ready(page);
  return { page, context, log };
}

export async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60000 });
  await settle(page);
}

/** Waits until nothing is loading and the map has drawn. */
export const settle = (page) => page.evaluate(() => window.diemnong.settled());

/** The map's pixels (RGBA) as drawn now. */
export async function mapPixels(page) {
  const png = await page.locator('#map canvas').screenshot();
  return decodePng(png);
}

/** Pixels whose colour differs by more than `tol` in any channel. */
export function diffCount(a, b, tol = 24) {
  if (a.width !== b.width || a.height !== b.height) throw new Error('different sizes');
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i] - b.data[i]) > tol || Math.abs(a.data[i + 1] - b.data[i + 1]) > tol || Math.abs(a.data[i + 2] - b.data[i + 2]) > tol) n++;
  }
  return n;
}

/** Pixels within `tol` of an RGB colour. */
export function colourCount(img, [r, g, b], tol = 12) {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (Math.abs(img.data[i] - r) <= tol && Math.abs(img.data[i + 1] - g) <= tol && Math.abs(img.data[i + 2] - b) <= tol) n++;
  }
  return n;
}

export async function saveDoc(page, name, options = {}) {
  if (!DOCS) return;
  mkdirSync(DOCS, { recursive: true });
  await page.mouse.move(1, 1); // no hover tooltip in the picture
  await settle(page);
  writeFileSync(join(DOCS, name), await page.screenshot(options));
}

/** Calls the pinned demo's API directly, with the admin token unless another (or null: none) is given. */
export const api = (method, path, body, token = TOKEN) => call(API, method, path, body, token);

async function call(base, method, path, body, token) {
  const r = await fetch(base + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, json, text };
}

/** The last request the page made to `path`. */
export const lastRequest = (log, path) => log.requests.filter((r) => r.path === path).at(-1);

/** YYYY-MM-DD → dd/mm/yyyy, written here independently of the page's code. */
export const dmy = (d) => d.split('-').reverse().join('/');
/** `date` plus `n` days. */
export function plusDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// ---- PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes) -------------------------

export function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('unsupported PNG (bit depth or interlace)');
      colourType = body[9];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const bpp = { 2: 3, 6: 4 }[colourType];
  if (!bpp) throw new Error(`unsupported PNG colour type ${colourType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let v = line[i];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = line[x * bpp];
      out[o + 1] = line[x * bpp + 1];
      out[o + 2] = line[x * bpp + 2];
      out[o + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, data: out };
}
