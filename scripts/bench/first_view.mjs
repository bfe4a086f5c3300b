// The map page's first view, timed in Debian's chromium through playwright-core: the bench
// counterpart of the e2e's "first view" test (tests/e2e/map.test.mjs), on whatever server
// it is pointed at (scripts/bench-first-view.sh starts one on 1,000,000 incidents).
//
//   node scripts/bench/first_view.mjs --url http://127.0.0.1:PORT/ [--token dn_…] [--runs 3]
//        [--warm] [--label TEXT]
//
// "First view" is the page's own figure, `window.diemnong.firstView`: performance.now() (ms
// since navigation start) when, after the wards, the extent, the catalogue and the default
// layers (density and complex areas) were fetched and drawn, MapLibre fired `idle`; the
// page then sets body[data-ready]. Each run is a fresh browser context (no HTTP cache, no
// cookies), 1366×768, vi-VN, Asia/Ho_Chi_Minh, as the e2e's. With --token the context is
// signed in first (the session cookie, as the sign-in dialog leaves it); without, the
// visitor is anonymous (the server must run with --public-aggregates). --warm loads the
// page once, untimed, before the timed runs (for a server whose result cache is on).
// Prints one JSON line: the times, their median, and the last run's API requests (start,
// end and size, from the page's resource timing).
//
// playwright-core comes from tests/e2e/node_modules (`cd tests/e2e && npm ci`).

import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');

function args() {
  const a = { url: '', token: '', runs: 3, warm: false, label: '' };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '--url') a.url = v[++i];
    else if (v[i] === '--token') a.token = v[++i];
    else if (v[i] === '--runs') a.runs = Number(v[++i]);
    else if (v[i] === '--warm') a.warm = true;
    else if (v[i] === '--label') a.label = v[++i];
    else throw new Error(`unknown argument ${v[i]}`);
  }
  if (!a.url) throw new Error('--url is needed');
  a.url = a.url.replace(/\/?$/, '/');
  return a;
}

async function once(browser, a) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  if (a.token) {
    const r = await context.request.post(new URL('/api/v1/session', a.url).href, { data: { token: a.token } });
    if (!r.ok()) throw new Error(`sign-in failed: ${r.status()}`);
  }
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/') && r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(a.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120000 });
  const fv = await page.evaluate(() => window.diemnong.firstView);
  const requests = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/api/'))
      .map((e) => {
        const u = new URL(e.name);
        return { path: u.pathname + u.search, start: Math.round(e.startTime), end: Math.round(e.responseEnd), bytes: e.encodedBodySize };
      }),
  );
  await context.close();
  if (errors.length || failed.length) throw new Error(`the page failed: ${[...errors, ...failed].join('; ')}`);
  if (!requests.some((r) => r.path.startsWith('/api/v1/density'))) throw new Error('no density request in the first view');
  return { fv, requests };
}

const a = args();
const browser = await chromium.launch({
  executablePath: process.env.DN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Software WebGL (ANGLE on SwiftShader) for MapLibre, as in the e2e; --no-sandbox: root.
  args: ['--enable-unsafe-swiftshader', '--no-sandbox'],
});
try {
  if (a.warm) await once(browser, a);
  const times = [];
  let last = null;
  for (let i = 0; i < a.runs; i++) {
    last = await once(browser, a);
    times.push(Math.round(last.fv));
  }
  const sorted = [...times].sort((x, y) => x - y);
  console.log(JSON.stringify({ label: a.label, times, median: sorted[Math.floor(sorted.length / 2)], requests: last.requests }));
} finally {
  await browser.close();
}
