// A demo whose data stop a year before today (run.sh: --end <today a year ago>): the
// default view must still show data, over the last 12 months that have some, and say so.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { diffCount, dmy, lastRequest, launch, mapPixels, open, plusDays, server } from './lib.mjs';

const S = server('_OLD');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe('a demo whose data end a year ago', () => {
  it('the default view shows density over the last 12 months with data (signed out on a public server: the last year with data), not an empty range', async () => {
    const e = (await S.api('GET', '/api/v1/extent', undefined, null)).json;
    assert.ok(e.incidents, 'the server has incidents');
    assert.ok(e.incidents.to < e.today, `data end (${e.incidents.to}) before today (${e.today})`);
    // Twelve months back from the first day after the data.
    const to = e.incidents.to;
    const from = `${Number(to.slice(0, 4)) - 1}${to.slice(4)}`;

    const { page, context, log } = await open(browser, '', { page: S.PAGE });
    const q = lastRequest(log, '/api/v1/density').params;
    if (e.public) {
      // Signed out on a public server (issue 18): one whole period, the calendar year of the
      // last month with data, chosen from a list rather than typed.
      const y = Number(plusDays(to, -1).slice(0, 4));
      assert.deepEqual([q.get('from'), q.get('to')], [`${y}-01-01`, `${y + 1}-01-01`]);
      assert.equal(await page.getAttribute('[data-preset=year]', 'aria-pressed'), 'true');
      assert.equal(await page.locator('#range-label').innerText(), `01/01/${y} – 31/12/${y}`);
      assert.ok(await page.locator('#d-from').isHidden(), 'no typed dates signed out');
      assert.equal(await page.inputValue('#d-period'), `${y}-01-01`);
      const [a, b] = await page.evaluate(() => [
        document.querySelector('#m-from').getAttribute('aria-valuetext'),
        document.querySelector('#m-to').getAttribute('aria-valuetext'),
      ]);
      assert.deepEqual([a, b], [`01/${y}`, `12/${y}`]);
    } else {
      assert.deepEqual([q.get('from'), q.get('to')], [from, to]);
      assert.equal(await page.getAttribute('[data-preset=latest]', 'aria-pressed'), 'true');
      assert.equal(await page.locator('[data-preset=latest]').innerText(), '12 tháng có dữ liệu gần nhất');
      assert.equal(await page.locator('#range-label').innerText(), `${dmy(from)} – ${dmy(plusDays(to, -1))}`);
      assert.equal(await page.inputValue('#d-from'), dmy(from));
      assert.equal(await page.inputValue('#d-through'), dmy(plusDays(to, -1)));
      // The slider's thumbs on the first and the last month of the range.
      const [a, b] = await page.evaluate(() => [
        document.querySelector('#m-from').getAttribute('aria-valuetext'),
        document.querySelector('#m-to').getAttribute('aria-valuetext'),
      ]);
      assert.deepEqual([a, b], [`${from.slice(5, 7)}/${from.slice(0, 4)}`, `${plusDays(to, -1).slice(5, 7)}/${plusDays(to, -1).slice(0, 4)}`]);
    }
    const drawn = await mapPixels(page);
    const base = await open(browser, '?layers=', { page: S.PAGE });
    const empty = await mapPixels(base.page);
    await base.context.close();
    assert.ok(diffCount(drawn, empty) > 20000, 'density drawn');
    const rows = await page.locator('#lg-density .legend-rows li').count();
    assert.ok(rows >= 2, 'density classes in the legend');
    assert.doesNotMatch(await page.locator('#lg-density').innerText(), /Không có dữ liệu/);
    assert.equal(new URL(page.url()).search, '');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('the programme year is the latest with designations, not this year', async () => {
    const e = (await S.api('GET', '/api/v1/extent', undefined, S.TOKEN)).json;
    const latest = Math.max(...e.programme_years);
    assert.ok(latest < Number(e.today.slice(0, 4)), `${latest} is before this year`);
    const { page, context, log } = await open(browser, '?layers=complex', { page: S.PAGE, token: S.TOKEN });
    assert.equal(await page.inputValue('#py'), String(latest));
    assert.ok(log.requests.some((r) => r.path === `/api/v1/programme/${latest}/areas`));
    assert.match(await page.locator('#lg-complex').innerText(), /Đã xác định \((\d+)\)/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});
