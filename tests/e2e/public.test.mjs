// End-to-end tests of the map page signed out on a public server (issue 18): the demo runs with
// --public-aggregates, and GET /api/v1/extent says what an anonymous visitor may ask for in
// `public`. Signed out the page offers only those choices and never sends a request the server
// refuses; signed in nothing changes. Against the pinned demo (data 2023–2024). The counts are
// perturbed with random record keys, so the drawing is checked for presence only.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, lastRequest, launch, open, settle, TOKEN } from './lib.mjs';

const ANALYSES = [
  '/api/v1/density',
  '/api/v1/hotspots',
  '/api/v1/outliers',
  '/api/v1/hotspots/zones',
  '/api/v1/hotspots/emerging',
  '/api/v1/kde',
  '/api/v1/clusters',
];
const ALL_LAYERS = 'density,hotspots,outliers,zones,emerging,kde,clusters,complex';
let browser;
let rules = null; // extent.public, as the server says it

/** `date` (YYYY-MM-DD, a first of a month) moved by `n` months; written here, not taken from the page. */
function plusMonths(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}

/** Whether [from, to) is all time or one whole calendar month, quarter or year. */
function wholePeriod(from, to) {
  if (!from && !to) return true;
  if (!from || !to || !from.endsWith('-01')) return false;
  const m = Number(from.slice(5, 7));
  return to === plusMonths(from, 1) || ((m - 1) % 3 === 0 && to === plusMonths(from, 3)) || (m === 1 && to === plusMonths(from, 12));
}

/** What in an analysis request the public rules of the contract (docs/plans/issue-18-public-api.md) refuse. */
function refusals(url) {
  const q = new URL(url, 'http://x').searchParams;
  const out = [];
  if (!wholePeriod(q.get('from'), q.get('to'))) out.push(`from/to ${q.get('from')} – ${q.get('to')}`);
  if (q.has('res') && Number(q.get('res')) > rules.max_res) out.push(`res ${q.get('res')}`);
  if ((q.get('category') || '').includes(',')) out.push(`category ${q.get('category')}`);
  if ((q.get('severity') || '').includes(',')) out.push(`severity ${q.get('severity')}`);
  if (q.has('weight') && q.get('weight') !== 'count') out.push(`weight ${q.get('weight')}`);
  if (q.has('slice') && !['month', 'quarter'].includes(q.get('slice'))) out.push(`slice ${q.get('slice')}`);
  const eps = q.get('eps_m');
  if (eps != null && (Number(eps) < 100 || Number(eps) % rules.eps_m_step !== 0)) out.push(`eps_m ${eps}`);
  if (q.has('min_points') && Number(q.get('min_points')) < rules.min_count) out.push(`min_points ${q.get('min_points')}`);
  if (q.has('bandwidth_m') && Number(q.get('bandwidth_m')) < 250) out.push(`bandwidth_m ${q.get('bandwidth_m')}`);
  return out;
}

/** Every API answer the page got was a 200, and every analysis it asked for is one the public rules allow. */
function assertAllAnswered(log, what) {
  const bad = log.responses.filter((r) => r.status !== 200 && r.status !== 304);
  assert.deepEqual(
    bad.map((r) => `${r.status} ${r.url}`),
    [],
    `${what}: every request answered 200`,
  );
  const refused = log.requests.filter((r) => ANALYSES.includes(r.path)).flatMap((r) => refusals(r.url).map((x) => `${r.url}: ${x}`));
  assert.deepEqual(refused, [], `${what}: every analysis request within the public rules`);
  assert.ok(log.requests.some((r) => ANALYSES.includes(r.path)));
}

/** The analysis requests the page made since request number `since`. */
const analysisRequests = (log, since = 0) => log.requests.slice(since).filter((r) => ANALYSES.includes(r.path));

before(async () => {
  const e = await api('GET', '/api/v1/extent', undefined, null);
  assert.equal(e.status, 200);
  rules = e.json.public ?? null;
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe('signed out on a public server', () => {
  it('the extent says what an anonymous visitor may ask for', (t) => {
    if (!rules) return t.skip('the server is not public (no extent.public): an older binary?');
    assert.deepEqual(rules.periods, ['month', 'quarter', 'year', 'all']);
    assert.equal(rules.max_res, 9);
    assert.equal(rules.min_count, 3);
    assert.equal(rules.perturbed, true);
    assert.equal(rules.eps_m_step, 50);
  });

  it('every request the page sends is answered 200 while the visitor uses every control', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const { page, context, log } = await open(browser, `?layers=${ALL_LAYERS}`);
    assertAllAnswered(log, 'first view');
    // The presets are whole periods; the latest year with data is the default.
    assert.deepEqual(await page.locator('#presets button').evaluateAll((bs) => bs.map((b) => b.dataset.preset)), ['month', 'quarter', 'year', 'all']);
    assert.equal(await page.getAttribute('[data-preset=year]', 'aria-pressed'), 'true');
    let q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-01-01', '2025-01-01']);
    // The density classes come from all time (the extent's two years are not one period).
    assert.ok(log.requests.some((r) => r.path === '/api/v1/density' && !r.params.has('from')));

    for (const [preset, from, to] of [
      ['quarter', '2024-10-01', '2025-01-01'],
      ['month', '2024-12-01', '2025-01-01'],
      ['year', '2024-01-01', '2025-01-01'],
      ['all', null, null],
      ['month', '2024-12-01', '2025-01-01'],
    ]) {
      await page.click(`[data-preset=${preset}]`);
      await settle(page);
      q = lastRequest(log, '/api/v1/density').params;
      assert.deepEqual([q.get('from'), q.get('to')], [from, to], preset);
      assert.equal(await page.getAttribute(`[data-preset=${preset}]`, 'aria-pressed'), 'true');
    }
    // A period from the list that stands for the typed dates.
    assert.ok(await page.locator('#d-from').isHidden(), 'no typed dates');
    const periods = await page.locator('#d-period option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
    assert.ok(
      periods.some(([v, text]) => v === '2024-03-01' && text === 'Tháng 3/2024'),
      JSON.stringify(periods.slice(0, 5)),
    );
    await page.selectOption('#d-period', '2024-03-01');
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-03-01', '2024-04-01']);
    // One category, one class, the finest resolution allowed, a DBSCAN radius.
    await page.click('#cat-box summary');
    assert.equal(await page.locator('#cats input[type=checkbox]').count(), 0, 'categories are one choice');
    await page.check('#cats input[value=theft]');
    await page.check('#cats input[value=snatching]');
    await page.check('#sevs input[value=serious]');
    await page.check('#sevs input[value=very_serious]');
    await page.selectOption('#res', String(rules.max_res));
    await page.selectOption('#eps', '150');
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('category'), q.get('severity'), q.get('res')], ['snatching', 'very_serious', String(rules.max_res)]);
    assert.equal(lastRequest(log, '/api/v1/clusters').params.get('eps_m'), '150');
    assert.deepEqual(await page.locator('#eps option').evaluateAll((os) => os.map((o) => Number(o.value))), [100, 150, 200, 250, 300, 400, 500]);
    // Back to every category and class; the zoom's resolution stops at the limit.
    await page.check('#cats input[value=""]');
    await page.check('#sevs input[value=""]');
    await page.selectOption('#res', 'auto');
    await page.evaluate(() => window.diemnong.map.jumpTo({ zoom: 14.5 }));
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.equal(q.get('res'), String(rules.max_res));
    assert.ok(!q.has('category') && !q.has('severity'));
    assertAllAnswered(log, 'after every control');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('the slider moves one whole period and lands on month starts', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const { page, context, log } = await open(browser, '?layers=density,emerging&t=custom&from=2024-06-01&to=2024-07-01');
    const steps = [
      ['#m-to', 'ArrowRight', '2024-07-01', '2024-08-01'],
      ['#m-from', 'ArrowRight', '2024-08-01', '2024-09-01'],
      ['#m-from', 'ArrowLeft', '2024-07-01', '2024-08-01'],
      ['#m-to', 'ArrowLeft', '2024-06-01', '2024-07-01'],
    ];
    for (const [thumb, key, from, to] of steps) {
      await page.focus(thumb);
      await page.keyboard.press(key);
      await settle(page);
      const q = lastRequest(log, '/api/v1/density').params;
      assert.deepEqual([q.get('from'), q.get('to')], [from, to], `${thumb} ${key}`);
      const [a, b] = await page.evaluate(() => [document.querySelector('#m-from').value, document.querySelector('#m-to').value]);
      assert.equal(a, b, 'both thumbs on the one month');
    }
    // A quarter moves by quarters, both thumbs together.
    await page.click('[data-preset=quarter]');
    await settle(page);
    let q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-04-01', '2024-07-01']);
    await page.focus('#m-from');
    await page.keyboard.press('ArrowRight');
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to')], ['2024-07-01', '2024-10-01']);
    // Every request the slider made: on month starts, one whole period; emerging by months.
    for (const r of analysisRequests(log)) {
      if (r.params.has('from')) assert.match(r.params.get('from'), /-01$/, r.url);
      assert.ok(wholePeriod(r.params.get('from'), r.params.get('to')), r.url);
    }
    assert.equal(lastRequest(log, '/api/v1/hotspots/emerging').params.get('slice'), 'month');
    assertAllAnswered(log, 'slider');
    await context.close();
  });

  it('the resolution list ends at the limit; harm is locked; the perturbation note shows in both languages', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const { page, context, log } = await open(browser, '?layers=density,zones');
    const res = await page.locator('#res option').evaluateAll((os) => os.map((o) => o.value));
    assert.equal(res.at(-1), String(rules.max_res), `resolutions ${res}`);
    assert.ok(await page.locator('#weight input[value=harm]').isDisabled());
    assert.equal(await page.locator('#weight-harm .lock').getAttribute('aria-label'), 'Cần đăng nhập để tính theo mức độ thiệt hại');
    const note = page.locator('#public-note');
    assert.ok(await note.isVisible());
    assert.equal(await note.innerText(), 'Số liệu công khai đã được làm nhiễu để bảo vệ bí mật.');
    // Under the legends: after the layer list.
    const [list, below] = [await page.locator('#layers').boundingBox(), await note.boundingBox()];
    assert.ok(below.y >= list.y + list.height - 1, 'the note is under the legends');
    await page.click('#lang-btn');
    assert.equal(await note.innerText(), 'Public figures are perturbed to protect confidentiality.');
    assert.equal(await page.locator('#weight-harm .lock').getAttribute('aria-label'), 'Sign in to weigh by harm');
    assert.deepEqual(await page.locator('#presets button').allInnerTexts(), ['Month', 'Quarter', 'Year', 'All']);
    // A hotspot zone's panel: no busiest hours or days (the public answer has none).
    await page.waitForSelector('#lg-zones .pick-list button');
    await page.click('#lg-zones .pick-list button');
    await page.waitForSelector('#panel[data-kind=zone] .bars li');
    const body = await page.locator('#panel-body').innerText();
    assert.doesNotMatch(body, /Busiest hours|Busiest days/);
    assert.match(body, /Top categories/);
    assertAllAnswered(log, 'note and zone');
    assert.deepEqual(log.errors, []);
    await context.close();
  });

  it('clusters: the popup says what the public answer has (no dates)', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const { page, context, log } = await open(browser, '?layers=clusters&t=all&map=11.5/10.78/106.68');
    const pt = await page.evaluate(() => {
      const m = window.diemnong.map;
      const c = m.getCanvas();
      for (let y = 40; y < c.clientHeight - 40; y += 8) {
        for (let x = 40; x < c.clientWidth - 40; x += 8) {
          const f = m.queryRenderedFeatures([x, y], { layers: ['clusters-fill'] })[0];
          if (f) return { x, y, props: f.properties };
        }
      }
      return null;
    });
    assert.ok(pt, 'a cluster on the map');
    assert.equal(pt.props.first, undefined, 'no first date in the public answer');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    const popup = page.locator('.maplibregl-popup-content');
    await popup.waitFor();
    const text = await popup.innerText();
    assert.match(text, /DBSCAN #\d+: [\d.]+ vụ việc/);
    assert.doesNotMatch(text, /Từ .* đến/);
    assert.doesNotMatch(text, /undefined|NaN|–/);
    assertAllAnswered(log, 'clusters');
    await context.close();
  });

  it('a viewer’s link opened signed out is rounded to a whole period, said in both languages; signing in gives the link back', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const link = '?layers=density,emerging&t=custom&from=2024-03-05&to=2024-03-20&res=11&cat=theft,snatching&weight=harm';
    const { page, context, log } = await open(browser, link);
    let q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual(
      [q.get('from'), q.get('to'), q.get('res'), q.get('category'), q.get('weight')],
      ['2024-03-01', '2024-04-01', String(rules.max_res), 'theft', null],
    );
    assert.equal(await page.getAttribute('[data-preset=month]', 'aria-pressed'), 'true');
    const note = page.locator('#range-note');
    assert.match(await note.innerText(), /làm tròn theo tháng cho người xem công khai/);
    await page.click('#lang-btn');
    assert.match(await note.innerText(), /rounded to a whole month for public viewing/i);
    await page.click('#lang-btn');
    assertAllAnswered(log, 'a viewer’s link');
    // A range over two years: all time.
    const wide = await open(browser, '?layers=density&t=custom&from=2023-06-01&to=2024-06-01&lang=en');
    assert.ok(!lastRequest(wide.log, '/api/v1/density').params.has('from'));
    assert.match(await wide.page.locator('#range-note').innerText(), /widened to all time for public viewing/i);
    await wide.context.close();
    // Choosing a period takes the notice away.
    await page.click('[data-preset=quarter]');
    await settle(page);
    assert.ok(await note.isHidden());
    await page.click('[data-preset=month]');
    await settle(page);
    // Signing in: the link's own range, resolution, categories and weight again.
    const n = log.requests.length;
    await page.click('#auth-btn');
    await page.fill('#token', TOKEN);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#signin', { state: 'hidden' });
    await settle(page);
    q = lastRequest(log, '/api/v1/density').params;
    assert.ok(log.requests.length > n);
    assert.equal(q.get('res'), '11');
    assert.equal(q.get('category'), 'theft,snatching');
    assert.equal(q.get('weight'), 'harm');
    assert.ok(await page.locator('#public-note').isHidden());
    assert.ok(await page.locator('#weight input[value=harm]').isEnabled());
    assert.ok(await page.locator('#d-from').isVisible(), 'typed dates again');
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});

describe('signed in on a public server: nothing changes', () => {
  it('a range shorter than a month, resolution 10, several categories and harm are asked as they are', async (t) => {
    if (!rules) return t.skip('the server is not public');
    const { page, context, log } = await open(browser, '?layers=density,emerging&t=custom&from=2024-03-05&to=2024-03-20&res=10&cat=theft,snatching', {
      token: TOKEN,
    });
    const q = lastRequest(log, '/api/v1/density').params;
    assert.deepEqual([q.get('from'), q.get('to'), q.get('res'), q.get('category')], ['2024-03-05', '2024-03-20', '10', 'theft,snatching']);
    assert.equal(lastRequest(log, '/api/v1/hotspots/emerging').params.get('slice'), 'week');
    assert.ok(await page.locator('#range-note').isHidden());
    assert.ok(await page.locator('#public-note').isHidden());
    assert.equal((await page.locator('#res option').evaluateAll((os) => os.map((o) => o.value))).at(-1), '11');
    assert.ok(await page.locator('#weight input[value=harm]').isEnabled());
    assert.equal(await page.locator('[data-preset=latest]').count(), 1);
    assert.equal(await page.locator('#cats input[type=checkbox]').count(), await page.locator('#cats input').count());
    await page.locator('#weight label', { hasText: 'Mức độ thiệt hại' }).click();
    await settle(page);
    assert.equal(lastRequest(log, '/api/v1/density').params.get('weight'), 'harm');
    const bad = log.responses.filter((r) => r.status >= 400);
    assert.deepEqual(
      bad.map((r) => `${r.status} ${r.url}`),
      [],
    );
    assert.deepEqual(log.errors, []);
    await context.close();
  });
});
