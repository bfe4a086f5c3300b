// End-to-end tests of the weight control (count or harm) and of the local Moran's I layer
// ("outliers"), against the pinned demo server (data 2023–2024). Signed in: harm, resolution 10
// and ranges that are not one whole period need a sign-in on a public server (issue 18), and
// the demo is public.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { diffCount, lastRequest, launch, mapPixels, open, ready, settle, TOKEN } from './lib.mjs';

const EXTENT = { from: '2023-01-01', to: '2025-01-01' };
// Every analysis layer that takes `weight`, and its endpoint.
const WEIGHTED = {
  density: '/api/v1/density',
  hotspots: '/api/v1/hotspots',
  outliers: '/api/v1/outliers',
  zones: '/api/v1/hotspots/zones',
  emerging: '/api/v1/hotspots/emerging',
  kde: '/api/v1/kde',
};
const QUARTER = 't=custom&from=2024-01-01&to=2024-04-01';
// Local Moran's I finds significant cells (after FDR) in the pinned demo at resolution 10 over
// 2024 (hundreds of HH, a few HL), none at resolution 8 over the first quarter.
const YEAR_2024 = 't=custom&from=2024-01-01&to=2025-01-01';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const legendRows = (page, id) => page.locator(`#lg-${id} .legend-rows li`).allInnerTexts();
const legendText = (page, id) => page.locator(`#lg-${id}`).innerText();

/**
 * Moves the mouse over a cell of `layer` drawn on top (`significant`: a significant one) and
 * returns the hover text; null when no such cell is in view.
 */
async function hoverCell(page, layer, { significant = false } = {}) {
  const pt = await page.evaluate(
    ({ layer, significant }) => {
      const map = window.diemnong.map;
      const c = map.getCanvas();
      const [w, h] = [c.clientWidth, c.clientHeight];
      for (const f of map.queryRenderedFeatures({ layers: [layer] })) {
        if (significant && f.properties.significant !== true) continue;
        const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
        const lon = ring.slice(1).reduce((a, p) => a + p[0], 0) / (ring.length - 1);
        const lat = ring.slice(1).reduce((a, p) => a + p[1], 0) / (ring.length - 1);
        const p = map.project([lon, lat]);
        if (p.x < 60 || p.y < 60 || p.x > w - 60 || p.y > h - 60) continue;
        const top = map.queryRenderedFeatures([p.x, p.y]);
        if (top[0]?.layer.id === layer && top[0].properties.h3 === f.properties.h3) return { x: p.x, y: p.y };
      }
      return null;
    },
    { layer, significant },
  );
  if (!pt) return null;
  const box = await page.locator('#map').boundingBox();
  await page.mouse.move(box.x + pt.x - 3, box.y + pt.y - 3);
  await page.mouse.move(box.x + pt.x, box.y + pt.y);
  await page.locator('#tip').waitFor({ state: 'visible', timeout: 5000 });
  return page.locator('#tip').innerText();
}

describe('weight: count or harm', () => {
  it('switching to harm asks every analysis layer again with weight=harm, keeps it in the URL, and a reload restores it', async (t) => {
    const layers = Object.keys(WEIGHTED).join(',');
    const { page, context, log } = await open(browser, `?layers=${layers},clusters&${QUARTER}&res=8`, { token: TOKEN });
    assert.equal(await page.locator('#weight legend').innerText(), 'Trọng số');
    assert.ok(await page.locator('#weight input[value=count]').isChecked(), 'count by default');
    for (const [id, path] of Object.entries(WEIGHTED)) {
      const r = lastRequest(log, path);
      assert.ok(r, `${id} asked for`);
      assert.ok(!r.params.has('weight'), `${id}: no weight asked for by default`);
    }
    assert.match(await legendText(page, 'density'), /Số vụ mỗi ô/);
    const counted = await mapPixels(page);
    const before = log.requests.length;

    await page.locator('#weight label', { hasText: 'Mức độ thiệt hại' }).click();
    await settle(page);
    const after = log.requests.slice(before);
    for (const [id, path] of Object.entries(WEIGHTED)) {
      const r = after.filter((x) => x.path === path).at(-1);
      assert.ok(r, `${id} asked for again`);
      assert.equal(r.params.get('weight'), 'harm', `${id} weighted by harm`);
      assert.equal(r.params.get('from'), '2024-01-01', `${id} keeps the window`);
    }
    // The classes come from the whole extent weighted alike.
    for (const path of [WEIGHTED.density, WEIGHTED.kde]) {
      assert.ok(
        after.some((r) => r.path === path && r.params.get('from') === EXTENT.from && r.params.get('to') === EXTENT.to && r.params.get('weight') === 'harm'),
        `${path}: the whole extent asked for with weight=harm`,
      );
    }
    assert.ok(!after.some((r) => r.path === '/api/v1/clusters'), 'DBSCAN takes no weight: not asked again');
    await page.waitForURL(/[?&]weight=harm(&|$)/);
    t.diagnostic(`count → harm: ${diffCount(counted, await mapPixels(page))} pixels changed`);

    // A reload restores the weight, and asks for harm straight away.
    const again = await open(browser, new URL(page.url()).search, { token: TOKEN });
    assert.ok(await again.page.locator('#weight input[value=harm]').isChecked(), 'harm ticked after a reload');
    for (const [id, path] of Object.entries(WEIGHTED)) {
      assert.ok(
        again.log.requests.filter((r) => r.path === path).every((r) => r.params.get('weight') === 'harm'),
        `${id}: every request weighted by harm`,
      );
    }
    assert.deepEqual(again.log.errors, []);
    await again.context.close();

    // Back to counts: asked without the weight, and the URL drops it.
    const before2 = log.requests.length;
    await page.locator('#weight label', { hasText: 'Số vụ' }).click();
    await settle(page);
    for (const [id, path] of Object.entries(WEIGHTED)) {
      const r = log.requests
        .slice(before2)
        .filter((x) => x.path === path)
        .at(-1);
      assert.ok(r && !r.params.has('weight'), `${id} asked for counts again`);
    }
    await page.waitForURL((u) => !u.searchParams.has('weight'));
    assert.match(await legendText(page, 'density'), /Số vụ mỗi ô/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('under harm the density and KDE legends and hover texts name harm-days per km², and the colours follow harm per km²', async () => {
    const { page, context, log } = await open(browser, `?layers=density&${QUARTER}&res=8&weight=harm`, { token: TOKEN });
    const text = await legendText(page, 'density');
    assert.match(text, /ngày thiệt hại\/km²/, 'the unit');
    assert.match(text, /1\/5 tổng thiệt hại của toàn bộ dữ liệu \(01\/01\/2023 – 31\/12\/2024\)/, 'the scheme, in harm');
    assert.doesNotMatch(text, /Số vụ mỗi ô/);
    const rows = await legendRows(page, 'density');
    assert.ok(rows.length >= 2 && rows.length <= 5, `2–5 classes: ${rows}`);
    assert.match(rows[0], /^< /, 'continuous classes');
    const paint = JSON.stringify(await page.evaluate(() => window.diemnong.map.getPaintProperty('density-fill', 'fill-color')));
    assert.match(paint, /"harm_per_km2"/, 'coloured by harm per km²');
    // The legend's bounds are those of the colour expression (the value shown is the value coloured).
    const stops = JSON.parse(paint).filter((x) => typeof x === 'number');
    assert.equal(stops.length, rows.length - 1, `one stop per class bound: ${paint}`);

    const tip = await hoverCell(page, 'density-fill');
    assert.ok(tip, 'a cell to hover');
    assert.match(tip, /[\d.]+ ngày thiệt hại · [\d.,]+ ngày thiệt hại\/km² · [\d.]+ vụ việc/, `hover text: ${tip}`);

    // Counts: integers per cell, and the hover text without harm.
    const count = await open(browser, `?layers=density&${QUARTER}&res=8`, { token: TOKEN });
    const countTip = await hoverCell(count.page, 'density-fill');
    assert.match(countTip, /vụ việc · [\d.,]+ vụ\/km²/);
    assert.doesNotMatch(countTip, /thiệt hại/);
    assert.match(JSON.stringify(await count.page.evaluate(() => window.diemnong.map.getPaintProperty('density-fill', 'fill-color'))), /"count"/);
    await count.context.close();

    // KDE: the same property, in harm-days per km².
    await page.click('#ly-density');
    await page.click('#ly-kde');
    await settle(page);
    assert.match(await legendText(page, 'kde'), /ngày thiệt hại\/km² \(ước lượng\)/);
    const kdeTip = await hoverCell(page, 'kde-fill');
    assert.match(kdeTip, /ngày thiệt hại\/km² \(ước lượng\)/);
    assert.equal(lastRequest(log, '/api/v1/kde').params.get('weight'), 'harm');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it("under harm a hotspot zone's panel shows its harm and its share of all the harm", async () => {
    const { page, context, log } = await open(browser, `?layers=zones&${YEAR_2024}&res=9&weight=harm`, { token: TOKEN });
    const zones = lastRequest(log, '/api/v1/hotspots/zones');
    assert.equal(zones.params.get('weight'), 'harm');
    await page.locator('#lg-zones .pick-list button').first().click();
    await page.waitForSelector('#panel dl.facts');
    const facts = await page.locator('#panel dl.facts').innerText();
    assert.match(facts, /ngày thiệt hại\s+[\d.,]+/);
    assert.match(facts, /Tỷ trọng thiệt hại\s+[\d.,]+\s*%/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('speaks English too', async () => {
    const { page, context } = await open(browser, `?lang=en&layers=density,hotspots&${QUARTER}&res=8&weight=harm`, { token: TOKEN });
    assert.equal(await page.locator('#weight legend').innerText(), 'Weight');
    assert.deepEqual(await page.locator('#weight label').allInnerTexts(), ['Count', 'Harm']);
    assert.match(await legendText(page, 'density'), /^Harm: harm-days per km² in each cell/);
    assert.match(await legendText(page, 'hotspots'), /Gi\* compares the harm/);
    await context.close();
  });
});

describe("outliers: local Moran's I", () => {
  it('loads from /api/v1/outliers, draws the significant hexagons in their quadrant colours, with a legend and hover text', async () => {
    const { page, context, log } = await open(browser, `?layers=&${YEAR_2024}&res=10`, { token: TOKEN });
    const base = await mapPixels(page);
    const label = await page.locator('li[data-layer=outliers] label').innerText();
    assert.match(label, /Cụm và điểm bất thường \(Moran cục bộ\)/);
    await page.click('#ly-outliers');
    await settle(page);
    const r = lastRequest(log, '/api/v1/outliers');
    assert.ok(r, 'asked for');
    assert.equal(r.params.get('res'), '10');
    assert.equal(r.params.get('from'), '2024-01-01');
    assert.ok(!r.params.has('weight'));
    assert.ok(!r.params.has('permutations') && !r.params.has('fdr'), "the API's defaults: 999 permutations, FDR");
    const on = await mapPixels(page);
    const changed = diffCount(base, on);
    assert.ok(changed > 400, `hexagons drawn (${changed} pixels changed)`);
    const drawn = await page.evaluate(() => {
      const fs = window.diemnong.map.queryRenderedFeatures({ layers: ['outliers-fill'] });
      const q = {};
      for (const f of fs) if (f.properties.significant === true) q[f.properties.quadrant] = (q[f.properties.quadrant] || 0) + 1;
      return q;
    });
    assert.ok((drawn.HH || 0) > 0, `hot clusters among the cells drawn: ${JSON.stringify(drawn)}`);
    await page.waitForURL(/layers=outliers/);

    const rows = await legendRows(page, 'outliers');
    assert.equal(rows.length, 5, `four quadrants and "not significant": ${rows}`);
    assert.match(rows[0], /^Cụm nóng: cao, xung quanh cũng cao \([\d.]+\)$/);
    assert.match(rows[1], /^Điểm bất thường: cao, xung quanh thấp/);
    assert.match(rows[2], /^Điểm trũng: thấp, xung quanh cao/);
    assert.match(rows[3], /^Cụm lạnh: thấp, xung quanh cũng thấp/);
    assert.match(rows[4], /^Không có ý nghĩa thống kê/);
    assert.ok(Number(rows[0].match(/\(([\d.]+)\)$/)[1].replaceAll('.', '')) > 0, 'hot clusters counted');
    const text = await legendText(page, 'outliers');
    assert.match(text, /số vụ của ô so với ô trung bình/);
    assert.match(text, /999 lần; đã hiệu chỉnh so sánh bội \(FDR\)/);
    const swatches = await page.locator('#lg-outliers .sw').evaluateAll((els) => els.map((e) => getComputedStyle(e).getPropertyValue('--c').trim()));
    assert.deepEqual(swatches.slice(0, 4), ['#d7191c', '#fdae61', '#abd9e9', '#2c7bb6']);

    const tip = await hoverCell(page, 'outliers-fill', { significant: true });
    assert.ok(tip, 'a significant cell to hover');
    assert.match(tip, /^(Cụm nóng|Điểm bất thường|Điểm trũng|Cụm lạnh): .* · [\d.]+ vụ việc · I = -?[\d.,]+ · p = [\d,]+ · q = [\d,]+$/, `hover text: ${tip}`);

    // Under harm: asked with weight=harm, and the legend says what high and low mean.
    await page.locator('#weight label', { hasText: 'Mức độ thiệt hại' }).click();
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/outliers').params.get('weight'), 'harm');
    assert.match(await legendText(page, 'outliers'), /mức độ thiệt hại \(ngày\) của ô/);
    const harmTip = await hoverCell(page, 'outliers-fill', { significant: true });
    assert.match(harmTip, /ngày thiệt hại · I = /, `hover text under harm: ${harmTip}`);

    // Switched off: gone.
    await page.click('#ly-outliers');
    await settle(page);
    assert.ok(diffCount(base, await mapPixels(page)) < 50, 'gone when switched off');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('its legend and layer name in English; a reload keeps it on', async () => {
    const { page, context, log } = await open(browser, `?lang=en&layers=outliers&${YEAR_2024}&res=10`, { token: TOKEN });
    assert.ok(lastRequest(log, '/api/v1/outliers'));
    assert.match(await page.locator('li[data-layer=outliers] label').innerText(), /Clusters and outliers \(local Moran's I\)/);
    const rows = await legendRows(page, 'outliers');
    assert.match(rows[0], /^Hot cluster: high, surrounded by high/);
    assert.match(rows[1], /^Hot outlier: high, surrounded by low/);
    assert.match(rows[2], /^Low outlier: low, surrounded by high/);
    assert.match(rows[3], /^Cold cluster: low, surrounded by low/);
    assert.match(rows[4], /^Not significant/);
    assert.match(await legendText(page, 'outliers'), /a hot outlier is one cell standing out in a quiet area/);
    await page.reload();
    await ready(page);
    assert.ok(await page.locator('#ly-outliers').isChecked());
    // Nothing significant (resolution 8, one quarter): the legend says so and what to try.
    await page.selectOption('#res', '8');
    await page.fill('#d-through', '31/03/2024');
    await page.press('#d-through', 'Enter');
    await settle(page);
    const q = lastRequest(log, '/api/v1/outliers').params;
    assert.deepEqual([q.get('res'), q.get('to')], ['8', '2024-04-01']);
    assert.match(await legendText(page, 'outliers'), /No cell differs significantly from its neighbours at this resolution and period/);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});
