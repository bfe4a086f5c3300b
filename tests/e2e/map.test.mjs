// End-to-end tests of the map page against the pinned demo server (data 2023–2024; run.sh
// starts it with --end 2024-12-31). Drawing is checked on the screenshot's pixels, not only
// on the DOM. The README's screenshots are taken on the present-day demo (present.test.mjs).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { api, colourCount, diffCount, dmy, lastRequest, launch, mapPixels, open, PAGE, plusDays, ready, settle, TODAY, TOKEN, TZ } from './lib.mjs';

const YEAR = 2024; // the pinned sample's data run over 2023–2024
const EXTENT = { from: '2023-01-01', to: '2025-01-01' };
let browser;
let designated; // a complex area designated for YEAR by these tests, still in "designated"

/** A complex area with no designation for YEAR yet (the tests may run twice on one server). */
async function freshComplexArea() {
  const all = await api('GET', '/api/v1/areas?kind=complex_area&limit=1000');
  for (const f of all.json.features) {
    const h = await api('GET', `/api/v1/areas/${f.properties.code}/history`);
    if (!h.json.designations.some((d) => d.year === YEAR)) return f;
  }
  throw new Error('every complex area is already designated for the test year');
}

async function designate(feature) {
  const r = await api('POST', `/api/v1/areas/${feature.properties.code}/designations`, {
    year: YEAR,
    reasons: ['Nhiều vụ trộm cắp, cướp giật về đêm'],
    unit: 'Công an phường (e2e)',
    categories: ['theft', 'snatching'],
  });
  assert.equal(r.status, 201, r.text);
}

/** A point inside a polygon: the centre of its bounding box if inside, else a vertex average. */
function inside(geometry) {
  const ring = (geometry.type === 'Polygon' ? geometry.coordinates : geometry.coordinates[0])[0];
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

/** Clicks the map at a longitude/latitude. */
async function clickAt(page, lngLat) {
  const box = await page.locator('#map').boundingBox();
  const p = await page.evaluate((ll) => window.diemnong.map.project(ll), lngLat);
  await page.mouse.click(box.x + p.x, box.y + p.y);
}

before(async () => {
  assert.ok(TOKEN, 'DN_TOKEN (the demo admin token) is needed');
  browser = await launch();
  designated = await freshComplexArea();
  await designate(designated);
});
after(async () => {
  await browser?.close();
});

describe('first view', () => {
  it('loads with no console errors, asks only its own server, and draws density within the time budget', async (t) => {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const { page, context, log } = await open(browser);
      const origin = new URL(PAGE).origin;
      const external = log.all.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
      assert.deepEqual(log.errors, [], 'console errors');
      assert.ok(
        log.requests.some((r) => r.path === '/api/v1/density'),
        'density requested',
      );
      assert.ok(
        log.requests.some((r) => r.path === '/api/v1/areas'),
        'areas requested',
      );
      assert.deepEqual(external, [], 'requests outside the server');
      const fv = await page.evaluate(() => window.diemnong.firstView);
      times.push(fv);
      assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
      assert.match(await page.locator('h1').innerText(), /Bản đồ điểm nóng/);
      if (i === 0) {
        const drawn = await mapPixels(page);
        const base = await open(browser, '?layers=');
        const empty = await mapPixels(base.page);
        await base.context.close();
        assert.ok(diffCount(drawn, empty) > 20000, 'density hexagons are drawn over the wards');
        assert.ok(
          log.requests.some((r) => r.path === '/api/v1/extent'),
          'the extent asked for',
        );
        // The default range is the latest 12 months with data: 2024 here (signed out on a public
        // server the calendar year of the last data: 2024 too).
        const q = lastRequest(log, '/api/v1/density').params;
        assert.deepEqual([q.get('from'), q.get('to')], ['2024-01-01', '2025-01-01']);
      }
      await context.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    t.diagnostic(
      `first view (navigation start → map idle with density drawn): ${times.map((x) => Math.round(x)).join(', ')} ms; median ${Math.round(sorted[1])} ms`,
    );
    // The best of three: other work on the machine (a build, a benchmark) only ever adds time.
    const budget = Number(process.env.DN_FIRST_VIEW_MAX_MS || 2000);
    assert.ok(sorted[0] < budget, `first view ${Math.round(sorted[0])} ms (best of 3) ≥ ${budget} ms`);
  });
});

describe('layers', () => {
  it('each layer draws when switched on and disappears when switched off', async (t) => {
    const { page, context, log } = await open(browser, `?layers=&py=${YEAR}`, { token: TOKEN });
    const base = await mapPixels(page);
    for (const id of ['density', 'hotspots', 'zones', 'emerging', 'kde', 'clusters', 'incidents', 'cameras', 'models', 'complex']) {
      await page.click(`#ly-${id}`);
      await settle(page);
      const on = await mapPixels(page);
      const changed = diffCount(base, on);
      await page.click(`#ly-${id}`);
      await settle(page);
      const off = diffCount(base, await mapPixels(page));
      t.diagnostic(`${id}: ${changed} pixels changed when on, ${off} after switching off`);
      assert.ok(changed > 400, `${id} draws (${changed} pixels changed)`);
      assert.ok(off < 50, `${id} disappears when switched off (${off} pixels differ)`);
      assert.ok(await page.locator(`#lg-${id}`).isHidden(), `${id} legend hides when off`);
    }
    assert.deepEqual(log.errors, [], 'console errors');
    await context.close();
  });

  it('opens a link with several layers, incidents included, each with its legend (screenshot)', async () => {
    const { page, context, log } = await open(browser, `?layers=hotspots,zones,incidents,cameras,complex&py=${YEAR}`, { token: TOKEN });
    assert.deepEqual(log.errors, []);
    for (const id of ['hotspots', 'zones', 'incidents', 'complex', 'cameras'])
      assert.ok((await page.locator(`#lg-${id} .legend-rows li`).count()) > 0, `${id} legend`);
    const inc = lastRequest(log, '/api/v1/incidents');
    assert.ok(inc?.params.get('bbox'), 'incidents asked for the view with a margin');
    assert.match(await page.locator('#lg-incidents').innerText(), /Hiển thị [\d.]+ \/ [\d.]+ vụ/);
    assert.match(await page.locator('#lg-hotspots').innerText(), /Nóng, tin cậy 99%/);
    await context.close();
  });

  it('a signed-out visitor sees no incident points and asks for none', async () => {
    const { page, context, log } = await open(browser, '?layers=density,incidents,cameras,models');
    const reqs = log.requests.map((r) => r.path);
    for (const p of ['/api/v1/incidents', '/api/v1/cameras', '/api/v1/models']) assert.ok(!reqs.includes(p), `${p} requested while signed out`);
    assert.ok(await page.locator('#ly-incidents').isDisabled());
    assert.ok(!(await page.locator('#ly-incidents').isChecked()));
    assert.match(await page.locator('li[data-layer=incidents]').innerText(), /Cần đăng nhập/);
    const points = await page.evaluate(() => window.diemnong.map.queryRenderedFeatures({ layers: ['incidents-point', 'incidents-cluster'] }).length);
    assert.equal(points, 0);
    const withLink = await mapPixels(page);
    const plain = await open(browser, '?layers=density');
    const diff = diffCount(withLink, await mapPixels(plain.page));
    assert.ok(diff < 50, `the page draws the same as density alone (${diff} pixels differ)`);
    assert.deepEqual(log.errors, [], 'console errors');
    await plain.context.close();
    await context.close();
  });
});

describe('controls', () => {
  it('time range and category filters change the API requests, the drawing and the URL; the URL reproduces the view', async () => {
    // Signed in: typed days, a two-month window and two categories need a sign-in on a public
    // server (issue 18; the demo is public). Signed out: public.test.mjs.
    const { page, context, log } = await open(browser, '?layers=density&t=all', { token: TOKEN });
    const all = await mapPixels(page);
    assert.ok(!lastRequest(log, '/api/v1/density').params.has('from'));
    assert.equal(await page.getAttribute('[data-preset=all]', 'aria-pressed'), 'true');

    await page.fill('#d-from', '01/01/2024');
    await page.fill('#d-through', '31/03/2024');
    await page.press('#d-through', 'Enter');
    await settle(page);
    let q = lastRequest(log, '/api/v1/density').params;
    assert.equal(q.get('from'), '2024-01-01');
    assert.equal(q.get('to'), '2024-04-01');
    const quarter = await mapPixels(page);
    assert.ok(diffCount(all, quarter) > 5000, 'a shorter range draws differently');
    assert.match(await page.locator('#range-label').innerText(), /01\/01\/2024 – 31\/03\/2024/);

    // The month slider: the last month one step back (keyboard) → through February.
    await page.focus('#m-to');
    await page.keyboard.press('ArrowLeft');
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.equal(q.get('from'), '2024-01-01');
    assert.equal(q.get('to'), '2024-03-01');

    await page.click('#cat-box summary');
    await page.check('#cats input[value=theft]');
    await page.check('#cats input[value=snatching]');
    // Every severity starts ticked; untick all but "serious".
    for (const v of ['less_serious', 'very_serious', 'especially_serious']) await page.uncheck(`#sevs input[value=${v}]`);
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.equal(q.get('category'), 'theft,snatching');
    assert.equal(q.get('severity'), 'serious');
    const filtered = await mapPixels(page);
    assert.ok(diffCount(quarter, filtered) > 5000, 'the category filter draws differently');
    assert.match(await page.locator('#cat-summary').innerText(), /2 đã chọn/);
    assert.match(await page.locator('#sev-summary').innerText(), /1 đã chọn/);

    const url = page.url();
    assert.match(url, /t=custom/);
    assert.match(url, /from=2024-01-01/);
    assert.match(url, /to=2024-03-01/);
    assert.match(url, /cat=theft,snatching/);
    assert.match(url, /sev=serious/);

    const again = await open(browser, url.slice(PAGE.length), { token: TOKEN });
    const q2 = lastRequest(again.log, '/api/v1/density').params;
    for (const k of ['from', 'to', 'category', 'severity', 'res']) assert.equal(q2.get(k), q.get(k), k);
    assert.equal(await again.page.inputValue('#d-from'), '01/01/2024');
    assert.equal(await again.page.inputValue('#d-through'), '29/02/2024');
    assert.ok(await again.page.isChecked('#cats input[value=theft]'));
    assert.ok(!(await again.page.isChecked('#sevs input[value=less_serious]')));
    const diff = diffCount(filtered, await mapPixels(again.page));
    assert.ok(diff < 200, `the link reproduces the drawing (${diff} pixels differ)`);
    await again.context.close();

    // A preset sets the range relative to today; "All" removes it.
    await page.click('[data-preset=this_year]');
    await settle(page);
    const year = TODAY.slice(0, 4);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('from'), `${year}-01-01`);
    assert.equal(await page.getAttribute('[data-preset=this_year]', 'aria-pressed'), 'true');
    await page.click('[data-preset=all]');
    await settle(page);
    assert.ok(!lastRequest(log, '/api/v1/density').params.has('from'));
    // And back to the default, which the URL does not need to name.
    await page.click('[data-preset=latest]');
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-01-01', '2025-01-01']);
    await page.waitForURL((u) => !u.searchParams.has('t') && !u.searchParams.has('from'));
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('H3 resolution follows the zoom unless fixed', async () => {
    // Signed in: resolution 10 needs a sign-in on a public server (signed out: public.test.mjs).
    const { page, context, log } = await open(browser, '?layers=density&map=10.0/10.79/106.68', { token: TOKEN });
    assert.equal(lastRequest(log, '/api/v1/density').params.get('res'), '8');
    await page.evaluate(() => window.diemnong.map.jumpTo({ zoom: 13.2 }));
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('res'), '10');
    await page.selectOption('#res', '7');
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('res'), '7');
    assert.match(page.url(), /res=7/);
    await context.close();
  });

  it('switches language and keeps it in the URL', async () => {
    const { page, context } = await open(browser);
    await page.click('#lang-btn');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.match(await page.locator('h1').innerText(), /Hotspot map/);
    assert.match(await page.locator('li[data-layer=density]').innerText(), /Incident density/);
    assert.match(await page.locator('#cat-summary').innerText(), /All/);
    await page.waitForURL(/lang=en/);
    await page.reload();
    await ready(page);
    assert.match(await page.locator('h1').innerText(), /Hotspot map/);
    await page.click('#lang-btn');
    assert.match(await page.locator('h1').innerText(), /Bản đồ điểm nóng/);
    await context.close();
  });

  it('shows a loading indicator, and a readable message when the API fails, with a working retry', async () => {
    let fail = true;
    const { page, context } = await open(browser, '?layers=', {
      before: (p) =>
        p.route('**/api/v1/density**', async (route) => {
          if (fail) {
            return route.fulfill({
              status: 503,
              contentType: 'application/problem+json',
              body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database is restarting' }),
            });
          }
          await new Promise((r) => setTimeout(r, 1200));
          return route.continue();
        }),
    });
    const blank = await mapPixels(page);
    await page.click('#ly-density');
    await settle(page);
    const alert = page.locator('#alert');
    assert.ok(await alert.isVisible());
    const text = await alert.innerText();
    assert.match(text, /Mật độ vụ việc/);
    assert.match(text, /the database is restarting/);
    assert.match(text, /503/);
    assert.match(await page.locator('#lg-density').innerText(), /Lỗi/);
    fail = false;
    await page.click('#alert-retry');
    await page.waitForSelector('#busy.on', { timeout: 1000 });
    assert.match(await page.locator('#busy').innerText(), /Đang tải/);
    await settle(page);
    assert.ok(await page.locator('#busy').evaluate((el) => !el.classList.contains('on')));
    assert.ok(await alert.isHidden());
    assert.ok(diffCount(blank, await mapPixels(page)) > 20000, 'density drawn after the retry');
    await context.close();
  });

  it('draws an XYZ basemap with its attribution when the page names one', async () => {
    const tile = solidPng([170, 220, 160]);
    let tiles = 0;
    const { page, context, log } = await open(browser, '?layers=', {
      before: async (p) => {
        await p.route(
          (u) => u.pathname === '/',
          async (route) => {
            const res = await route.fetch();
            const html = (await res.text())
              .replace('<meta name="diemnong-basemap" content="">', '<meta name="diemnong-basemap" content="http://tiles.test/{z}/{x}/{y}.png">')
              .replace('<meta name="diemnong-basemap-attribution" content="">', '<meta name="diemnong-basemap-attribution" content="© Test tiles">');
            await route.fulfill({ response: res, body: html });
          },
        );
        await p.route(/^http:\/\/tiles\.test\//, (route) => {
          tiles++;
          return route.fulfill({ status: 200, contentType: 'image/png', body: tile });
        });
      },
    });
    assert.ok(tiles > 0, 'tiles requested');
    assert.match(await page.locator('.maplibregl-ctrl-attrib').innerText(), /© Test tiles/);
    const px = await mapPixels(page);
    assert.ok(colourCount(px, [170, 220, 160], 14) > 10000, 'the basemap shows (outside the wards, which stay nearly transparent)');
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

describe('panels', () => {
  it('a complex area opens its status, KPIs against targets and the monthly trend', async () => {
    const code = designated.properties.code;
    const { page, context, log } = await open(browser, `?layers=complex&py=${YEAR}`, { token: TOKEN });
    await clickAt(page, inside(designated.geometry));
    await page.waitForSelector('#panel table.kpis');
    assert.equal(await page.locator('#panel-title').innerText(), designated.properties.name);
    const kpis = (await api('GET', `/api/v1/areas/${code}/kpis?year=${YEAR}`)).json;
    const body = await page.locator('#panel-body').innerText();
    const vi = new Intl.NumberFormat('vi-VN');
    assert.match(body, /Đã xác định/);
    assert.ok(body.includes(`${vi.format(kpis.incidents)} vụ (cùng kỳ ${vi.format(kpis.incidents_previous)})`), 'cases against the year before');
    assert.match(body, /Tỷ lệ điều tra làm rõ/);
    assert.match(body, /≥ 75%/);
    assert.match(body, /≤ -5%/);
    assert.equal(await page.locator('#panel table.kpis tbody tr').count(), 7);
    assert.equal(await page.locator('#panel svg.chart rect.bar').count(), kpis.monthly.length);
    assert.match(body, /Công an phường \(e2e\)/);
    await page.waitForURL(new RegExp(`panel=area:${code}`));
    assert.ok(log.requests.some((r) => r.path === `/api/v1/areas/${code}/kpis` && r.params.get('year') === String(YEAR)));
    // The heading says which period the indicators are of: the programme year, all of it.
    assert.match(body, /Chỉ số năm 2024 \(01\/01\/2024 – 31\/12\/2024\)/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it("an editor's status change is saved and persists after a reload", async () => {
    const code = designated.properties.code;
    const note = `e2e: bắt đầu chuyển hóa ${Date.now()}`;
    const { page, context, log } = await open(browser, `?layers=complex&py=${YEAR}&panel=area:${code}`, { token: TOKEN });
    await page.waitForSelector('#status-form');
    assert.deepEqual(await page.locator('#status-form select[name=to] option').evaluateAll((os) => os.map((o) => o.value)), ['in_progress']);
    await page.fill('#status-form textarea[name=note]', note);
    await page.fill('#status-form textarea[name=evidence]', 'https://example.org/bien-ban-1');
    await page.click('#status-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#panel .badge')?.textContent === 'Đang chuyển hóa');
    assert.ok(log.requests.some((r) => r.method === 'POST' && r.path === `/api/v1/areas/${code}/transitions`));
    await page.waitForSelector('#status-form .form-msg:text("Đã lưu.")');
    await page.reload();
    await ready(page);
    await page.waitForSelector('#panel .timeline');
    assert.equal(await page.locator('#panel .badge').innerText(), 'Đang chuyển hóa');
    assert.match(await page.locator('#panel .timeline').innerText(), new RegExp(note));
    const hist = (await api('GET', `/api/v1/areas/${code}/history`)).json;
    const ev = hist.events.find((e) => e.note === note);
    assert.ok(ev, 'the event is in the server history');
    assert.equal(ev.to, 'in_progress');
    assert.deepEqual(ev.evidence, ['https://example.org/bien-ban-1']);
    // The layer shows the new status too.
    const st = await page.evaluate((c) => window.diemnong.map.querySourceFeatures('complex').find((f) => f.properties.code === c)?.properties.status, code);
    assert.equal(st, 'in_progress');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('signs in with a token through the form into an HttpOnly cookie; a viewer cannot change a status', async () => {
    const code = designated.properties.code;
    const viewer = await api('POST', '/api/v1/tokens', { role: 'viewer', name: 'e2e viewer' });
    assert.equal(viewer.status, 201, viewer.text);
    const before = (await api('GET', `/api/v1/areas/${code}/history`)).json.events.length;
    const { page, context } = await open(browser, `?layers=complex&py=${YEAR}&panel=area:${code}`);
    assert.match(await page.locator('#panel-body').innerText(), /Đăng nhập để xem/);
    await page.click('#panel-body button');
    await page.fill('#token', 'dn_not_a_token');
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#signin-err:not([hidden])');
    assert.match(await page.locator('#signin-err').innerText(), /không hợp lệ/);
    await page.fill('#token', viewer.json.token);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#signin', { state: 'hidden' });
    assert.equal(await page.locator('#auth-btn').innerText(), 'Đăng xuất');
    assert.ok(await page.locator('#ly-incidents').isEnabled());
    // The sign-in is an HttpOnly, SameSite=Strict cookie: no script on the page can read it.
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'dn_session');
    assert.ok(session, JSON.stringify(cookies));
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('dn_session')), false);
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0, 'the token is not kept by the page');
    // A viewer is shown the area but no status form; a write with the cookie is refused.
    await page.waitForSelector('#panel-body table');
    assert.equal(await page.locator('#status-form').count(), 0);
    const status = await page.evaluate(
      (c) =>
        fetch(`/api/v1/areas/${c.code}/transitions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ year: c.year, to: 'in_progress' }),
        }).then((r) => r.status),
      { code, year: YEAR },
    );
    assert.equal(status, 403);
    assert.equal((await api('GET', `/api/v1/areas/${code}/history`)).json.events.length, before, 'nothing written');
    // Signing out clears the cookie.
    await page.click('#auth-btn');
    await page.waitForFunction(() => document.querySelector('#auth-btn').textContent === 'Đăng nhập');
    assert.equal(
      (await context.cookies()).some((c) => c.name === 'dn_session' && c.value),
      false,
    );
    assert.ok(await page.locator('#ly-incidents').isDisabled());
    await context.close();
  });

  it('a hotspot zone opens its statistics and top categories', async () => {
    // Signed in: a public server leaves a zone's busiest hours out for anonymous visitors
    // (public.test.mjs checks the panel without them).
    const { page, context, log } = await open(browser, '?layers=zones', { token: TOKEN });
    // As the page sees them: with the viewer's exact counts.
    const zones = (await api('GET', lastRequest(log, '/api/v1/hotspots/zones').url)).json;
    // Find a pixel of a zone on the map and click it.
    const pt = await page.evaluate(() => {
      const m = window.diemnong.map;
      const c = m.getCanvas();
      for (let y = 20; y < c.clientHeight; y += 12) {
        for (let x = 20; x < c.clientWidth; x += 12) {
          const f = m.queryRenderedFeatures([x, y], { layers: ['zones-fill'] })[0];
          // Well inside the zone, not on its edge (the click lands within a pixel of here).
          const around = [
            [-4, -4],
            [4, -4],
            [-4, 4],
            [4, 4],
          ].map(([dx, dy]) => m.queryRenderedFeatures([x + dx, y + dy], { layers: ['zones-fill'] })[0]?.properties.id);
          if (f && around.every((id) => id === f.properties.id)) return { x, y, id: f.properties.id };
        }
      }
      return null;
    });
    assert.ok(pt, 'a zone is on the map');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.waitForSelector('#panel[data-kind=zone] .bars li');
    const zone = zones.features.find((f) => f.properties.id === pt.id).properties;
    const body = await page.locator('#panel-body').innerText();
    assert.ok(body.includes(new Intl.NumberFormat('vi-VN').format(zone.incidents)));
    assert.equal(await page.locator('#panel .bars li').count(), zone.top_categories.length);
    const cat = (await api('GET', '/api/v1/catalogue')).json.categories.find((c) => c.code === zone.top_categories[0].category);
    assert.match(body, new RegExp(cat.label_vi));
    assert.match(body, /Giờ cao điểm/);
    await page.waitForURL(new RegExp(`panel=zone:${pt.id}`));
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

/** dd/mm/yyyy HH:mm of an instant in the committee's zone (written here, not taken from the page). */
function localTime(at) {
  const d = typeof at === 'number' ? new Date(at * 1000) : new Date(at);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}
const legendRows = (page, id) => page.locator(`#lg-${id} .legend-rows li`).allInnerTexts();

describe('sign-in said where it matters', () => {
  it('locks the layers that need a sign-in, says so in their legends, and drops the locks once signed in', async () => {
    const { page, context, log } = await open(browser, '?layers=density,incidents,complex');
    for (const id of ['incidents', 'cameras', 'models']) {
      const lock = page.locator(`li[data-layer=${id}] .lock`);
      assert.equal(await lock.count(), 1, `${id} has a lock`);
      assert.equal(await lock.getAttribute('role'), 'img');
      assert.equal(await lock.getAttribute('aria-label'), 'Cần đăng nhập để xem lớp này');
      assert.equal(await lock.getAttribute('title'), 'Cần đăng nhập để xem lớp này');
      assert.ok(await lock.isVisible());
    }
    // The complex areas are public; their programme colours are not.
    assert.match(await page.locator('li[data-layer=complex] label .lock').getAttribute('aria-label'), /^Cần đăng nhập/);
    assert.match(await page.locator('#lg-complex').innerText(), /Màu trạng thái chương trình chỉ hiện khi đã đăng nhập/);
    for (const id of ['density', 'hotspots', 'zones', 'emerging', 'kde', 'clusters'])
      assert.equal(await page.locator(`li[data-layer=${id}] .lock`).count(), 0, `${id} is public`);
    // Asked for by the link but not shown: the legend says why, with a way to sign in.
    const legend = page.locator('#lg-incidents');
    assert.ok(await legend.isVisible());
    assert.match(await legend.innerText(), /chỉ hiện khi đã đăng nhập/);
    assert.ok(!log.requests.some((r) => r.path === '/api/v1/incidents'));
    await page.click('#lang-btn');
    assert.equal(await page.locator('li[data-layer=incidents] .lock').getAttribute('aria-label'), 'Sign in to see this layer');
    assert.match(await legend.innerText(), /once you are signed in/);
    await page.click('#lang-btn');
    // Signing in from the legend: no locks any more, and the incidents load.
    await legend.locator('button').click();
    await page.fill('#token', TOKEN);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#signin', { state: 'hidden' });
    await settle(page);
    assert.equal(await page.locator('#layers .lock').count(), 0, 'no lock when signed in');
    assert.ok(await page.isChecked('#ly-incidents'));
    assert.ok(log.requests.some((r) => r.path === '/api/v1/incidents'));
    assert.match(await legend.innerText(), /Hiển thị/);
    assert.match(await page.locator('#lg-complex').innerText(), /Đã xác định/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

describe('legends a planner can read', () => {
  it('density classes: integer bounds from the whole extent, unchanged while the slider moves a window of the same length', async () => {
    // Signed in: the slider's three-month window moved by a month is not one whole quarter, which
    // a public server needs without a sign-in.
    const { page, context, log } = await open(browser, '?layers=density&t=custom&from=2024-01-01&to=2024-04-01&res=8', { token: TOKEN });
    const first = await legendRows(page, 'density');
    assert.ok(first.length >= 2 && first.length <= 5, `2–5 classes: ${first}`);
    for (const r of first) assert.match(r, /^(\d{1,3}(\.\d{3})*( – \d{1,3}(\.\d{3})*)?|≥ \d{1,3}(\.\d{3})*)$/, 'integer bounds');
    assert.match(first.at(-1), /^≥ /);
    const text = await page.locator('#lg-density').innerText();
    assert.match(text, /1\/5 số vụ của toàn bộ dữ liệu \(01\/01\/2023 – 31\/12\/2024\)/, 'the scheme in one line');
    // The classes come from the same layer over the whole extent.
    const whole = (r) => r.path === '/api/v1/density' && r.params.get('from') === EXTENT.from && r.params.get('to') === EXTENT.to;
    assert.equal(log.requests.filter(whole).length, 1);
    assert.equal(log.requests.find(whole).params.get('res'), '8');
    // Move the three months one month on with the slider: Feb–Apr.
    const pixelsJan = await mapPixels(page);
    await page.focus('#m-to');
    await page.keyboard.press('ArrowRight');
    await settle(page);
    await page.focus('#m-from');
    await page.keyboard.press('ArrowRight');
    await settle(page);
    const q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-02-01', '2024-05-01']);
    assert.ok(diffCount(pixelsJan, await mapPixels(page)) > 1000, 'the map changed');
    assert.deepEqual(await legendRows(page, 'density'), first, 'the same classes');
    assert.equal(log.requests.filter(whole).length, 1, 'the whole-extent answer is cached');
    // A twelve-month window: twice… four times the incidents per class.
    await page.click('[data-preset=latest]');
    await settle(page);
    assert.notDeepEqual(await legendRows(page, 'density'), first, 'a longer window scales the classes');
    // A category filter: classes from the whole extent of that category.
    await page.click('#cat-box summary');
    await page.check('#cats input[value=theft]');
    await settle(page);
    assert.ok(log.requests.some((r) => whole(r) && r.params.get('category') === 'theft'));
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('KDE classes: bounds to two significant digits, with the whole record’s bandwidth', async () => {
    // Signed in: March–May is not one whole quarter (signed out the classes come from all time).
    const { page, context, log } = await open(browser, '?layers=kde&t=custom&from=2024-03-01&to=2024-06-01', { token: TOKEN });
    const rows = await legendRows(page, 'kde');
    assert.ok(rows.length >= 2 && rows.length <= 5, `2–5 classes: ${rows}`);
    assert.match(rows[0], /^< /);
    assert.match(rows.at(-1), /^≥ /);
    for (const r of rows) {
      for (const n of r.match(/[\d.,]+/g)) {
        const digits = n.replace(/[.,]/g, '').replace(/^0+/, '');
        assert.ok(digits.replace(/0+$/, '').length <= 2, `${n} has at most 2 significant digits (${r})`);
      }
    }
    const reqs = log.requests.filter((r) => r.path === '/api/v1/kde');
    const whole = reqs.find((r) => r.params.get('from') === EXTENT.from);
    const win = reqs.find((r) => r.params.get('from') === '2024-03-01');
    assert.ok(whole && win);
    assert.ok(win.params.get('bandwidth_m'), 'the window is smoothed as the whole record');
    assert.match(await page.locator('#lg-kde').innerText(), /toàn bộ dữ liệu/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('no severity ticked reads "none", draws no incident data and asks for none', async () => {
    // Signed in: several classes ticked need a sign-in on a public server.
    const { page, context, log } = await open(browser, '?layers=density,hotspots', { token: TOKEN });
    const base = await open(browser, '?layers=');
    const empty = await mapPixels(base.page);
    await base.context.close();
    assert.equal(await page.locator('#sev-summary').innerText(), 'Tất cả');
    const sevs = await page.locator('#sevs input').evaluateAll((els) => els.map((e) => e.checked));
    assert.deepEqual(sevs, [true, true, true, true], 'every severity ticked at first');
    for (const v of ['less_serious', 'serious', 'very_serious']) await page.uncheck(`#sevs input[value=${v}]`);
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('severity'), 'especially_serious');
    const before = log.requests.length;
    await page.uncheck('#sevs input[value=especially_serious]');
    await settle(page);
    assert.equal(await page.locator('#sev-summary').innerText(), 'Không chọn mức nào');
    assert.deepEqual(
      log.requests
        .slice(before)
        .map((r) => r.path)
        .filter((p) => p !== '/api/v1/extent'),
      [],
      'no request',
    );
    const diff = diffCount(empty, await mapPixels(page));
    assert.ok(diff < 50, `nothing drawn (${diff} pixels differ from no layer)`);
    for (const id of ['density', 'hotspots']) assert.match(await page.locator(`#lg-${id}`).innerText(), /Chưa chọn mức độ nào/);
    await page.waitForURL(/sev=none/);
    // The link keeps it.
    const again = await open(browser, new URL(page.url()).search, { token: TOKEN });
    assert.equal(await again.page.locator('#sev-summary').innerText(), 'Không chọn mức nào');
    assert.ok(!again.log.requests.some((r) => r.path === '/api/v1/density' || r.path === '/api/v1/hotspots'));
    await again.context.close();
    // Ticking one brings it back, filtered.
    await page.check('#sevs input[value=serious]');
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('severity'), 'serious');
    assert.ok(diffCount(empty, await mapPixels(page)) > 5000, 'drawn again');
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

describe('Vietnamese everywhere the page speaks', () => {
  it('dates are typed and shown as dd/mm/yyyy whatever the browser locale (en-US), with a clear error for a bad one; the URL stays ISO', async () => {
    for (const lang of ['vi', 'en']) {
      // Signed in: typed days need a sign-in on a public server (signed out: a list of periods).
      const { page, context, log } = await open(browser, `?layers=density&t=all${lang === 'en' ? '&lang=en' : ''}`, { locale: 'en-US', token: TOKEN });
      assert.equal(await page.evaluate(() => navigator.language), 'en-US');
      assert.equal(await page.getAttribute('#d-from', 'type'), 'text');
      assert.equal(await page.getAttribute('#d-from', 'placeholder'), 'dd/mm/yyyy');
      await page.fill('#d-from', '1/2/2024');
      await page.fill('#d-through', '29/02/2024');
      await page.press('#d-through', 'Enter');
      await settle(page);
      const q = lastRequest(log, '/api/v1/density').params;
      assert.deepEqual([q.get('from'), q.get('to')], ['2024-02-01', '2024-03-01']);
      assert.equal(await page.inputValue('#d-from'), '01/02/2024');
      assert.equal(await page.inputValue('#d-through'), '29/02/2024');
      assert.equal(await page.locator('#range-label').innerText(), '01/02/2024 – 29/02/2024');
      await page.waitForURL(/from=2024-02-01&to=2024-03-01/);
      // 31 February: refused where it was typed, nothing asked, nothing changed.
      const n = log.requests.length;
      await page.fill('#d-from', '31/02/2024');
      await page.press('#d-from', 'Enter');
      const err = page.locator('#d-error');
      await err.waitFor({ state: 'visible' });
      assert.match(await err.innerText(), lang === 'vi' ? /Ngày không hợp lệ: “31\/02\/2024”.*dd\/mm\/yyyy/ : /Not a valid date: “31\/02\/2024”.*dd\/mm\/yyyy/);
      assert.equal(await page.getAttribute('#d-from', 'aria-invalid'), 'true');
      await settle(page);
      assert.equal(log.requests.length, n, 'no request for a bad date');
      assert.match(page.url(), /from=2024-02-01/);
      // Backwards: said too.
      await page.fill('#d-from', '15/03/2024');
      await page.press('#d-from', 'Enter');
      assert.match(await err.innerText(), lang === 'vi' ? /trước hoặc bằng ngày kết thúc/ : /must not be after/);
      // Fixed: the error goes.
      await page.fill('#d-from', '15/01/2024');
      await page.press('#d-from', 'Enter');
      await settle(page);
      assert.ok(await err.isHidden());
      assert.equal(lastRequest(log, '/api/v1/density').params.get('from'), '2024-01-15');
      assert.deepEqual(log.errors, []);
      await context.close();
    }
  });

  it('numbers use Vietnamese separators in Vietnamese and English ones in English, not the browser’s', async () => {
    for (const lang of ['vi', 'en']) {
      const { page, context } = await open(browser, `?layers=zones,incidents${lang === 'en' ? '&lang=en' : ''}`, {
        token: TOKEN,
        locale: lang === 'vi' ? 'en-US' : 'vi-VN',
      });
      const inc = await page.locator('#lg-incidents').innerText();
      const zones = await page.locator('#lg-zones .pick-list').innerText();
      if (lang === 'vi') {
        assert.match(inc, /Hiển thị \d{1,3}(\.\d{3})+ \/ \d{1,3}(\.\d{3})+ vụ/, inc);
        assert.match(zones, /\d,\d{1,2} km²/, zones);
        assert.doesNotMatch(zones, /\d\.\d{1,2} km²/);
      } else {
        assert.match(inc, /Showing \d{1,3}(,\d{3})+ of \d{1,3}(,\d{3})+ incidents/, inc);
        assert.match(zones, /\d\.\d{1,2} km²/, zones);
        assert.doesNotMatch(zones, /\d,\d{1,2} km²/);
      }
      await context.close();
    }
  });

  it('history entries show the date and time of each change in the committee’s zone', async () => {
    // A seeded area with a designation, a review and a re-designation: several changes.
    const all = (await api('GET', '/api/v1/areas?kind=complex_area')).json.features;
    let hist = null;
    let code = null;
    for (const f of all) {
      const h = (await api('GET', `/api/v1/areas/${f.properties.code}/history`)).json;
      if (h.events.length >= 3 && h.designations.some((d) => d.year === YEAR)) {
        hist = h;
        code = f.properties.code;
        break;
      }
    }
    assert.ok(hist, 'a seeded area with a history');
    const { page, context, log } = await open(browser, `?layers=complex&panel=area:${code}`, { token: TOKEN, locale: 'en-US' });
    await page.waitForSelector('#panel .timeline li');
    const shown = await page.locator('#panel .timeline .when time').allInnerTexts();
    const expected = [...hist.events].sort((a, b) => b.year - a.year || b.seq - a.seq).map((e) => localTime(e.at));
    assert.deepEqual(shown, expected);
    const whens = await page.locator('#panel .timeline .when').allInnerTexts();
    assert.match(whens[0], /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2} · năm chương trình \d{4} · bởi /);
    assert.ok(new Set(shown).size > 1, `back-dated changes, not one time: ${shown}`);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('"12 tháng qua" is the twelve months ending today', async () => {
    // Signed in: a public server offers whole months, quarters and years only without a sign-in.
    const { page, context, log } = await open(browser, '?layers=density', { token: TOKEN });
    await page.click('[data-preset=last_12m]');
    await settle(page);
    const q = lastRequest(log, '/api/v1/density').params;
    // A year back from today, plus a day; up to tomorrow (exclusive).
    const y = Number(TODAY.slice(0, 4)) - 1;
    let back = `${y}${TODAY.slice(4)}`;
    if (back.endsWith('-02-29')) back = `${y}-02-28`;
    const from = plusDays(back, 1);
    assert.deepEqual([q.get('from'), q.get('to')], [from, plusDays(TODAY, 1)]);
    assert.equal(await page.locator('#range-label').innerText(), `${dmy(from)} – ${dmy(TODAY)}`);
    assert.equal(await page.getAttribute('[data-preset=last_12m]', 'aria-pressed'), 'true');
    await page.waitForURL(/t=last_12m/);
    await context.close();
  });
});

describe('keyboard and screen sizes', () => {
  it('is usable by keyboard: skip link, layer toggles, area list, Esc closes the panel and focus returns', async () => {
    const { page, context, log } = await open(browser, `?layers=complex&py=${YEAR}`, { token: TOKEN });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    const skipBox = await page.locator('.skip').boundingBox();
    assert.ok(skipBox.x >= 0 && skipBox.y >= 0, 'the skip link shows when focused');
    // Tab to the hotspot layer's checkbox and switch it on with Space.
    let found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.id === 'ly-hotspots');
    }
    assert.ok(found, 'the hotspot toggle is reachable by Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Space');
    await settle(page);
    assert.ok(await page.isChecked('#ly-hotspots'));
    assert.ok(log.requests.some((r) => r.path === '/api/v1/hotspots'));
    // On to the complex areas' list, open it, open an area.
    found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => !!document.activeElement?.closest('#lg-complex summary'));
    }
    assert.ok(found, 'the list of complex areas is reachable by Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => document.activeElement.textContent.trim());
    await page.keyboard.press('Enter');
    await page.waitForSelector('#panel:not([hidden])');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'panel-title');
    assert.equal(await page.locator('#panel-title').innerText(), name);
    await page.keyboard.press('Escape');
    assert.ok(await page.locator('#panel').isHidden());
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), name, 'focus returns to the button');
    await page.waitForURL((u) => !u.search.includes('panel='));
    await context.close();
  });

  it('is readable at 1366×768: controls and map side by side, nothing scrolls but the sidebar', async () => {
    const { page, context } = await open(browser, '', { viewport: { width: 1366, height: 768 } });
    const side = await page.locator('#side').boundingBox();
    const map = await page.locator('#map').boundingBox();
    assert.ok(side.width >= 260 && side.width <= 340, `sidebar ${side.width}px`);
    assert.ok(map.width >= 1000 && map.height >= 650, `map ${map.width}×${map.height}`);
    const overflow = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
    assert.ok(overflow[0] <= 1366 && overflow[1] <= 768, `page overflows: ${overflow}`);
    const font = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(font >= 14);
    await context.close();
  });

  it('works at phone width: the controls slide over the map, the panel is a bottom sheet', async () => {
    const viewport = { width: 390, height: 844 };
    const { page, context, log } = await open(browser, `?py=${YEAR}`, { token: TOKEN, viewport });
    assert.ok(await page.locator('#menu-btn').isVisible());
    assert.ok(await page.locator('#side').isHidden(), 'controls hidden at first');
    const map = await page.locator('#map').boundingBox();
    assert.ok(map.width >= 388 && map.height >= 700, `map ${map.width}×${map.height}`);
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(sw <= 390, `no sideways scrolling (${sw})`);
    await page.click('#menu-btn');
    await page.waitForFunction(() => document.getElementById('side').getBoundingClientRect().left >= 0);
    assert.ok(await page.locator('#side').isVisible());
    assert.equal(await page.getAttribute('#menu-btn', 'aria-expanded'), 'true');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('side').getBoundingClientRect().right <= 0);
    await page.goto(`${PAGE}?py=${YEAR}&panel=area:${designated.properties.code}`);
    await ready(page);
    await page.waitForSelector('#panel table.kpis');
    const panel = await page.locator('#panel').boundingBox();
    assert.ok(panel.width <= 390 && panel.height < 844 * 0.7, `panel ${panel.width}×${panel.height}`);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

/** A 16×16 PNG of one colour. */
function solidPng([r, g, b]) {
  const w = 16;
  const raw = Buffer.alloc((w * 3 + 1) * w);
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, body) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type), body]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(tb));
    return Buffer.concat([head, tb, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
