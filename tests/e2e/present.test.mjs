// The demo as a new user starts it: its data end today (run.sh starts it with no --end).
// The presets that count from today draw data, the programme year is this year, and the
// README's screenshots are taken here (DN_DOCS).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOCS, diffCount, dmy, lastRequest, launch, mapPixels, open, plusDays, saveDoc, server, settle, TODAY } from './lib.mjs';

const S = server('_PRESENT');
const YEAR = Number(TODAY.slice(0, 4));
let browser;

before(async () => {
  assert.ok(S.TOKEN, 'DN_TOKEN_PRESENT (the present demo admin token) is needed');
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A complex area designated this year with the given status. */
async function areaWithStatus(status) {
  const fc = (await S.api('GET', `/api/v1/programme/${YEAR}/areas`)).json;
  const f = fc.features.find((x) => x.properties.status === status);
  assert.ok(f, `an area ${status} in ${YEAR}`);
  return f;
}

describe('the present-day demo', () => {
  it('the extent ends this month and the programme runs this year', async () => {
    const e = (await S.api('GET', '/api/v1/extent', undefined, null)).json;
    assert.equal(e.today, TODAY);
    // The first day of next month (40 days after the first of this one is always next month).
    assert.equal(e.incidents.to, `${plusDays(`${TODAY.slice(0, 7)}-01`, 40).slice(0, 7)}-01`);
    assert.deepEqual(e.programme_years.slice(-2), [YEAR - 1, YEAR]);
  });

  it('the default view: the latest 12 months with data, which end this month (signed out on a public server: this year)', async () => {
    const { page, context, log } = await open(browser, '', { page: S.PAGE });
    const e = await page.evaluate(() => window.diemnong.extent);
    const q = lastRequest(log, '/api/v1/density').params;
    if (e.public) {
      // Anonymous visitors of a public server see one whole period: the year of the last data.
      assert.deepEqual([q.get('from'), q.get('to')], [`${YEAR}-01-01`, `${YEAR + 1}-01-01`]);
      assert.equal(await page.getAttribute('[data-preset=year]', 'aria-pressed'), 'true');
    } else {
      assert.equal(q.get('to'), e.incidents.to);
      assert.equal(await page.getAttribute('[data-preset=latest]', 'aria-pressed'), 'true');
    }
    assert.equal(new URL(page.url()).search, '', 'the default needs no parameters');
    assert.ok((await page.locator('#lg-density .legend-rows li').count()) >= 2, 'density classes');
    assert.deepEqual(log.errors, []);
    await saveDoc(page, 'map-density.png');
    await context.close();
  });

  it('"Tháng này", "Năm nay" and "12 tháng qua" each draw data', async () => {
    const { page, context, log } = await open(browser, '?layers=density', { page: S.PAGE, token: S.TOKEN });
    const base = await open(browser, '?layers=', { page: S.PAGE, token: S.TOKEN });
    const empty = await mapPixels(base.page);
    await base.context.close();
    const ranges = {
      this_month: [`${TODAY.slice(0, 7)}-01`, null],
      this_year: [`${YEAR}-01-01`, `${YEAR + 1}-01-01`],
      last_12m: [null, plusDays(TODAY, 1)],
    };
    for (const [preset, [from, to]] of Object.entries(ranges)) {
      await page.click(`[data-preset=${preset}]`);
      await settle(page);
      const q = lastRequest(log, '/api/v1/density').params;
      if (from) assert.equal(q.get('from'), from, preset);
      if (to) assert.equal(q.get('to'), to, preset);
      const drawn = diffCount(empty, await mapPixels(page));
      assert.ok(drawn > 400, `${preset} draws density (${drawn} pixels)`);
      const rows = await page.locator('#lg-density .legend-rows li').count();
      assert.ok(rows >= 1, `${preset}: a legend`);
      assert.doesNotMatch(await page.locator('#lg-density').innerText(), /Không có dữ liệu/);
    }
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('the programme year is this year, with its designations on the map and in the panel', async () => {
    const area = await areaWithStatus('in_progress');
    const { page, context, log } = await open(browser, '?layers=hotspots,zones,cameras,complex', { page: S.PAGE, token: S.TOKEN });
    assert.equal(await page.inputValue('#py'), String(YEAR));
    assert.ok(
      log.requests.some((r) => r.path === `/api/v1/programme/${YEAR}/areas`),
      'this year’s programme asked for',
    );
    const legend = await page.locator('#lg-complex').innerText();
    for (const st of ['Đã xác định', 'Đang chuyển hóa', 'Đã chuyển hóa']) {
      const m = legend.match(new RegExp(`${st} \\((\\d+)\\)`));
      assert.ok(m, `${st} in the legend: ${legend}`);
    }
    const known = await page.evaluate(() => window.diemnong.map.querySourceFeatures('complex').filter((f) => f.properties.status_known).length);
    assert.ok(known > 0, 'areas coloured by status');
    await saveDoc(page, 'map-hotspots.png');

    await page.click('#lg-complex summary');
    await page.click(`#lg-complex .pick-list button:text("${area.properties.name}")`);
    await page.waitForSelector('#panel table.kpis');
    const body = await page.locator('#panel-body').innerText();
    assert.match(body, new RegExp(`Trạng thái năm ${YEAR}`));
    assert.match(body, /Đang chuyển hóa/);
    // The indicators of this year so far, against the same days a year earlier.
    const kpi = log.requests.filter((r) => r.path.endsWith('/kpis')).at(-1).params;
    assert.deepEqual([kpi.get('from'), kpi.get('to')], [`${YEAR}-01-01`, plusDays(TODAY, 1)]);
    assert.ok(body.includes(`Chỉ số năm ${YEAR} (01/01/${YEAR} – ${dmy(TODAY)})`), body);
    // History: back-dated changes, each with its date and time, none in the future.
    const times = await page.locator('#panel .timeline .when time').allInnerTexts();
    assert.ok(times.length >= 2, `history: ${times}`);
    for (const x of times) {
      assert.match(x, /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
      const iso = `${x.slice(6, 10)}-${x.slice(3, 5)}-${x.slice(0, 2)}`;
      assert.ok(iso <= TODAY, `${x} is not after today`);
    }
    assert.ok(new Set(times).size > 1, `not one time for every change: ${times}`);
    await saveDoc(page, 'map-area-panel.png');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('a hotspot zone panel (screenshot)', async () => {
    const { page, context, log } = await open(browser, '?layers=zones', { page: S.PAGE });
    await page.waitForSelector('#lg-zones .pick-list button');
    await page.click('#lg-zones .pick-list button');
    await page.waitForSelector('#panel[data-kind=zone] .bars li');
    await saveDoc(page, 'map-zone-panel.png');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('at phone width (screenshots)', async () => {
    if (!DOCS) return;
    const viewport = { width: 390, height: 844 };
    const { page, context, log } = await open(browser, '', { page: S.PAGE, token: S.TOKEN, viewport });
    await saveDoc(page, 'map-phone.png');
    const area = await areaWithStatus('designated');
    await page.goto(`${S.PAGE}?panel=area:${area.properties.code}`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.waitForSelector('#panel table.kpis');
    await saveDoc(page, 'map-phone-panel.png');
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});
