// The page's URL state, time presets and typed dates (map-ui/src/state.js), without a browser.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDays,
  addMonths,
  filterParams,
  latestRange,
  noSeverity,
  parse,
  parseDate,
  periodKind,
  periodOf,
  presetRange,
  programmePeriod,
  publicEps,
  publicEpsChoices,
  publicLatest,
  publicRules,
  resForZoom,
  resolve,
  SEVERITIES,
  serialize,
  snapToPeriod,
  toPublic,
  weightParams,
} from '../../map-ui/src/state.js';

const DAY = '2026-11-23';
// What GET /api/v1/extent answers for a demo ending 2026-11-23.
const EXTENT = {
  time_zone: 'Asia/Ho_Chi_Minh',
  today: DAY,
  incidents: { from: '2024-12-01', to: '2026-12-01', bbox: [106.6, 10.72, 106.8, 10.86] },
  programme_years: [2025, 2026],
  data_version: 12,
};

describe('presets', () => {
  it('count whole months in the committee zone, `to` exclusive', () => {
    assert.deepEqual(presetRange('this_month', DAY), { from: '2026-11-01', to: '2026-12-01' });
    assert.deepEqual(presetRange('this_month', '2026-12-31'), { from: '2026-12-01', to: '2027-01-01' });
    assert.deepEqual(presetRange('this_year', DAY), { from: '2026-01-01', to: '2027-01-01' });
    assert.equal(presetRange('all', DAY), null);
    assert.equal(presetRange('custom', DAY), null);
  });
  it('"12 tháng qua" is the twelve months ending today, today included', () => {
    assert.deepEqual(presetRange('last_12m', DAY), { from: '2025-11-24', to: '2026-11-24' });
    assert.deepEqual(presetRange('last_12m', '2026-01-15'), { from: '2025-01-16', to: '2026-01-16' });
    assert.deepEqual(presetRange('last_12m', '2026-12-31'), { from: '2026-01-01', to: '2027-01-01' });
    // 29 February: a year back is 28 February, so the range starts on 1 March.
    assert.deepEqual(presetRange('last_12m', '2024-02-29'), { from: '2023-03-01', to: '2024-03-01' });
    assert.deepEqual(presetRange('last_12m', '2025-03-01'), { from: '2024-03-02', to: '2025-03-02' });
  });
  it('"latest" is the last 12 calendar months holding incidents, never empty, null without incidents', () => {
    assert.deepEqual(presetRange('latest', DAY, EXTENT), { from: '2025-12-01', to: '2026-12-01' });
    assert.deepEqual(latestRange({ incidents: { from: '2023-01-01', to: '2025-01-01' } }), { from: '2024-01-01', to: '2025-01-01' });
    // Less than a year of data: still twelve months, ending with the data.
    assert.deepEqual(latestRange({ incidents: { from: '2026-10-01', to: '2026-12-01' } }), { from: '2025-12-01', to: '2026-12-01' });
    assert.equal(latestRange({ incidents: null }), null);
    assert.equal(latestRange(null), null);
  });
  it('adds days and months across month ends and leap days', () => {
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addDays('2023-03-01', -1), '2023-02-28');
    assert.equal(addDays('2024-12-31', 1), '2025-01-01');
    assert.equal(addMonths('2024-02-29', -12), '2023-02-28');
    assert.equal(addMonths('2026-03-31', -1), '2026-02-28');
    assert.equal(addMonths('2026-01-15', -12), '2025-01-15');
    assert.equal(addMonths('2026-11-30', 3), '2027-02-28');
  });
  it('the programme KPIs count the year so far while it runs, the whole year once over', () => {
    assert.deepEqual(programmePeriod(2026, DAY), { from: '2026-01-01', to: '2026-11-24' });
    assert.deepEqual(programmePeriod(2026, '2026-01-01'), { from: '2026-01-01', to: '2026-01-02' });
    assert.equal(programmePeriod(2026, '2026-12-31'), null, 'the last day: the whole year');
    assert.equal(programmePeriod(2025, DAY), null);
    assert.equal(programmePeriod(2027, DAY), null);
  });
});

describe('typed dates', () => {
  it('reads dd/mm/yyyy and d/m/yyyy as Vietnam writes them, and ISO', () => {
    assert.equal(parseDate('31/12/2024'), '2024-12-31');
    assert.equal(parseDate(' 1/2/2024 '), '2024-02-01');
    assert.equal(parseDate('01.02.2024'), '2024-02-01');
    assert.equal(parseDate('1-2-2024'), '2024-02-01');
    assert.equal(parseDate('29/02/2024'), '2024-02-29');
    assert.equal(parseDate('2024-02-29'), '2024-02-29');
  });
  it('refuses what is not a real day', () => {
    for (const bad of ['29/02/2023', '31/04/2024', '12/31/2024', '0/1/2024', '1/13/2024', '32/01/2024', '1/1/24', '2024/01/01', 'hôm qua', '', '2023-02-29']) {
      assert.equal(parseDate(bad), null, bad);
    }
  });
});

describe('URL state', () => {
  it('defaults: Vietnamese, density and complex areas, the latest 12 months with data, every severity, automatic resolution', () => {
    const s = parse('', DAY);
    assert.equal(s.lang, 'vi');
    assert.deepEqual([...s.layers], ['density', 'complex']);
    assert.equal(s.t, 'latest');
    assert.equal(s.from, null);
    assert.deepEqual(s.sev, SEVERITIES);
    assert.equal(s.res, 'auto');
    assert.equal(s.weight, 'count', 'incidents are counted unless the link says harm');
    assert.deepEqual(weightParams(s), { weight: null }, 'and no weight is asked for');
    assert.equal(s.py, null, 'the programme year waits for the data');
    resolve(s, DAY, EXTENT);
    assert.deepEqual([s.t, s.from, s.to], ['latest', '2025-12-01', '2026-12-01']);
    assert.equal(s.py, 2026, 'the latest programme year');
    assert.equal(serialize(s, DAY, EXTENT), '', 'the defaults are not written');
    assert.deepEqual(filterParams(s), { from: '2025-12-01', to: '2026-12-01', category: [], severity: [] });
  });
  it('falls back to all time without incidents, and to this year without designations', () => {
    const s = resolve(parse('', DAY), DAY, { incidents: null, programme_years: [], data_version: 1 });
    assert.deepEqual([s.t, s.from, s.to, s.py], ['all', null, null, 2026]);
    const old = resolve(parse('', DAY), DAY, null);
    assert.deepEqual([old.t, old.py], ['all', 2026]);
    const y = resolve(parse('', DAY), DAY, { ...EXTENT, programme_years: [2023, 2024] });
    assert.equal(y.py, 2024);
    assert.equal(serialize(y, DAY, { ...EXTENT, programme_years: [2023, 2024] }), '');
    assert.equal(serialize(y, DAY, EXTENT), 'py=2024', 'a year that is not the default is written');
  });
  it('round-trips every control', () => {
    const q =
      'lang=en&layers=density,zones,incidents&t=custom&from=2024-01-01&to=2024-04-01&cat=theft,snatching&sev=serious&res=9&weight=harm&py=2024&map=12.50/10.77800/106.69500&panel=area:dbpt-2024-01';
    const s = resolve(parse(q, DAY), DAY, EXTENT);
    assert.equal(s.lang, 'en');
    assert.deepEqual([...s.layers], ['density', 'zones', 'incidents']);
    assert.deepEqual([s.t, s.from, s.to], ['custom', '2024-01-01', '2024-04-01']);
    assert.deepEqual(s.cat, ['theft', 'snatching']);
    assert.deepEqual(s.sev, ['serious']);
    assert.equal(s.res, 9);
    assert.equal(s.weight, 'harm');
    assert.equal(s.py, 2024);
    assert.deepEqual(s.map, { zoom: 12.5, lat: 10.778, lon: 106.695 });
    assert.equal(s.panel, 'area:dbpt-2024-01');
    assert.equal(serialize(s, DAY, EXTENT), q);
  });
  it('"all" is written now that it is not the default; a preset link keeps its dates', () => {
    const all = resolve(parse('t=all', DAY), DAY, EXTENT);
    assert.deepEqual([all.t, all.from, all.to], ['all', null, null]);
    assert.equal(serialize(all, DAY, EXTENT), 't=all');
    assert.deepEqual(Object.values(parse('t=this_year', DAY)).slice(2, 5), ['this_year', '2026-01-01', '2027-01-01']);
    const old = parse('t=this_year&from=2024-01-01&to=2025-01-01', DAY);
    assert.deepEqual([old.t, old.from, old.to], ['custom', '2024-01-01', '2025-01-01']);
    const l12 = parse('t=last_12m', DAY);
    assert.deepEqual([l12.from, l12.to], ['2025-11-24', '2026-11-24']);
    assert.equal(serialize(l12, DAY, EXTENT), 't=last_12m&from=2025-11-24&to=2026-11-24');
  });
  it('dates in a link win over "latest" (and over no preset at all)', () => {
    const s = parse('from=2024-01-01&to=2024-02-01', DAY);
    assert.deepEqual([s.t, s.from, s.to], ['custom', '2024-01-01', '2024-02-01']);
    const l = parse('t=latest&from=2024-01-01', DAY);
    assert.deepEqual([l.t, l.from, l.to], ['custom', '2024-01-01', null]);
  });
  it('severities: all ticked is no filter, none ticked is "none" (and asks for nothing)', () => {
    const none = parse('sev=none', DAY);
    assert.deepEqual(none.sev, []);
    assert.ok(noSeverity(none));
    assert.equal(serialize(none, DAY, EXTENT), 'sev=none');
    const some = parse('sev=very_serious,serious', DAY);
    assert.deepEqual(some.sev, ['serious', 'very_serious']);
    assert.deepEqual(filterParams(some).severity, ['serious', 'very_serious']);
    const every = parse(`sev=${SEVERITIES.join(',')}`, DAY);
    assert.deepEqual(filterParams(every).severity, []);
    assert.equal(serialize(resolve(every, DAY, EXTENT), DAY, EXTENT), '');
    assert.ok(!noSeverity(every));
  });
  it('drops what it does not know instead of failing', () => {
    const s = parse('lang=fr&layers=density,nope&from=2024-13&to=x&sev=minor&res=42&py=1800&map=a/b/c&panel=<script>&cat=theft,DROP%20TABLE', DAY);
    assert.equal(s.lang, 'vi');
    assert.deepEqual([...s.layers], ['density']);
    assert.equal(s.t, 'latest');
    assert.deepEqual(s.sev, SEVERITIES, 'an unknown severity is no filter, not "none"');
    assert.deepEqual(s.cat, ['theft']);
    assert.equal(s.res, 'auto');
    assert.equal(s.py, null);
    assert.equal(s.map, null);
    assert.equal(s.panel, null);
    const backwards = parse('t=custom&from=2024-05-01&to=2024-01-01', DAY);
    assert.equal(backwards.to, null);
  });
  it('weight: harm is written and asked for; count, the default, neither; anything else is count', () => {
    const harm = parse('weight=harm&layers=outliers', DAY);
    assert.equal(harm.weight, 'harm');
    assert.deepEqual([...harm.layers], ['outliers'], 'the local Moran layer has a URL name');
    assert.deepEqual(weightParams(harm), { weight: 'harm' });
    assert.equal(serialize(resolve(harm, DAY, EXTENT), DAY, EXTENT), 'layers=outliers&weight=harm');
    for (const q of ['weight=count', 'weight=HARM', 'weight=', 'weight=days']) {
      const s = parse(q, DAY);
      assert.equal(s.weight, 'count', q);
      assert.equal(serialize(resolve(s, DAY, EXTENT), DAY, EXTENT), '', `${q} is not written`);
    }
  });
  it('no layers is a state of its own', () => {
    const s = parse('layers=', DAY);
    assert.equal(s.layers.size, 0);
    assert.equal(serialize(resolve(s, DAY, EXTENT), DAY, EXTENT), 'layers=');
  });
});

describe('resolution from zoom', () => {
  it('grows with the zoom within 7–11', () => {
    assert.deepEqual(
      [8, 10, 11.6, 13, 15].map((z) => resForZoom(z)),
      [7, 8, 9, 10, 11],
    );
  });
  it('stops at the public limit', () => {
    assert.deepEqual(
      [8, 10, 11.6, 13, 15].map((z) => resForZoom(z, 9)),
      [7, 8, 9, 9, 9],
    );
  });
});

// What GET /api/v1/extent says on a server with --public-aggregates (issue 18's contract).
const PUBLIC = {
  ...EXTENT,
  public: {
    periods: ['month', 'quarter', 'year', 'all'],
    max_res: 9,
    min_count: 3,
    perturbed: true,
    eps_m_step: 50,
    note: { vi: 'Số liệu công khai đã được làm nhiễu để bảo vệ bí mật', en: 'Public figures are perturbed to protect confidentiality' },
  },
};
const RULES = publicRules(PUBLIC);

describe('public rules (signed out on a public server)', () => {
  it('are read from the extent, with the contract’s values for what is missing, and absent on a server that is not public', () => {
    assert.deepEqual(RULES, { periods: ['month', 'quarter', 'year', 'all'], maxRes: 9, minCount: 3, epsStep: 50 });
    assert.equal(publicRules(EXTENT), null);
    assert.equal(publicRules(null), null);
    assert.deepEqual(publicRules({ public: {} }), { periods: ['month', 'quarter', 'year', 'all'], maxRes: 9, minCount: 3, epsStep: 50 });
    assert.deepEqual(publicRules({ public: { periods: ['year', 'all'], max_res: 8 } }).periods, ['year', 'all']);
    assert.equal(publicRules({ public: { max_res: 8 } }).maxRes, 8);
  });
  it('whole calendar months, quarters and years', () => {
    assert.deepEqual(periodOf('month', '2024-02-29'), { from: '2024-02-01', to: '2024-03-01' });
    assert.deepEqual(periodOf('month', '2024-12-31'), { from: '2024-12-01', to: '2025-01-01' });
    assert.deepEqual(periodOf('quarter', '2024-05-15'), { from: '2024-04-01', to: '2024-07-01' });
    assert.deepEqual(periodOf('quarter', '2024-12-01'), { from: '2024-10-01', to: '2025-01-01' });
    assert.deepEqual(periodOf('year', '2024-07-01'), { from: '2024-01-01', to: '2025-01-01' });
    assert.equal(periodKind('2024-03-01', '2024-04-01'), 'month');
    assert.equal(periodKind('2024-01-01', '2024-04-01'), 'quarter');
    assert.equal(periodKind('2024-01-01', '2025-01-01'), 'year');
    assert.equal(periodKind(null, null), 'all');
    for (const [a, b] of [
      ['2024-03-05', '2024-03-06'],
      ['2024-01-01', '2024-07-01'],
      ['2024-02-01', '2024-05-01'],
      ['2024-01-01', null],
      ['2024-03-01', '2024-03-31'],
    ])
      assert.equal(periodKind(a, b), null, `${a} – ${b}`);
  });
  it('a range is rounded to the smallest whole period that holds it', () => {
    assert.deepEqual(snapToPeriod({ from: '2024-03-05', to: '2024-03-06' }), { kind: 'month', from: '2024-03-01', to: '2024-04-01' });
    assert.deepEqual(snapToPeriod({ from: '2024-03-05', to: '2024-04-01' }), { kind: 'month', from: '2024-03-01', to: '2024-04-01' });
    assert.deepEqual(snapToPeriod({ from: '2024-03-05', to: '2024-04-02' }), { kind: 'year', from: '2024-01-01', to: '2025-01-01' });
    assert.deepEqual(snapToPeriod({ from: '2024-02-10', to: '2024-03-20' }), { kind: 'quarter', from: '2024-01-01', to: '2024-04-01' });
    assert.deepEqual(snapToPeriod({ from: '2024-01-01', to: '2024-07-01' }), { kind: 'year', from: '2024-01-01', to: '2025-01-01' });
    assert.deepEqual(snapToPeriod({ from: '2023-06-01', to: '2024-06-01' }), { kind: 'all', from: null, to: null });
    assert.deepEqual(snapToPeriod({ from: '2024-01-01', to: null }), { kind: 'all', from: null, to: null });
    assert.deepEqual(snapToPeriod({ from: '2024-02-10', to: '2024-03-20' }, ['year', 'all']), { kind: 'year', from: '2024-01-01', to: '2025-01-01' });
  });
  it('the default is the calendar year of the last month with incidents', () => {
    assert.deepEqual(publicLatest(PUBLIC, RULES), { from: '2026-01-01', to: '2027-01-01' });
    assert.deepEqual(publicLatest({ incidents: { from: '2023-01-01', to: '2025-01-01' } }, RULES), { from: '2024-01-01', to: '2025-01-01' });
    assert.deepEqual(publicLatest({ incidents: { from: '2023-01-01', to: '2025-04-01' } }, RULES), { from: '2025-01-01', to: '2026-01-01' });
    assert.equal(publicLatest({ incidents: null }, RULES), null);
    const s = resolve(parse('', DAY), DAY, PUBLIC, RULES);
    assert.deepEqual([s.t, s.from, s.to], ['latest', '2026-01-01', '2027-01-01']);
    assert.equal(serialize(s, DAY, PUBLIC), '', 'still the default: not written');
  });
  it('DBSCAN radii are multiples of the step from 100 m', () => {
    assert.deepEqual(publicEpsChoices(RULES), [100, 150, 200, 250, 300, 400, 500]);
    assert.deepEqual(publicEpsChoices({ ...RULES, epsStep: 100 }), [100, 200, 300, 400, 500]);
    assert.deepEqual(
      [20, 50, 100, 101, 125, 150, 9999].map((e) => publicEps(e, RULES)),
      [100, 100, 100, 150, 150, 150, 5000],
    );
    assert.equal(parse('eps=125', DAY).eps, 125);
    assert.equal(parse('eps=0', DAY).eps, 100);
    assert.equal(serialize(resolve(parse('eps=150', DAY), DAY, EXTENT), DAY, EXTENT), 'eps=150');
  });
  it('a viewer’s link becomes one an anonymous visitor may ask for, and says when its time was rounded', () => {
    const s = resolve(
      parse('t=custom&from=2024-03-05&to=2024-03-20&cat=theft,snatching&sev=serious,very_serious&res=11&weight=harm&eps=20', DAY),
      DAY,
      PUBLIC,
      RULES,
    );
    assert.equal(toPublic(s, RULES, PUBLIC), 'month');
    assert.deepEqual([s.t, s.from, s.to], ['custom', '2024-03-01', '2024-04-01']);
    assert.deepEqual(s.cat, ['theft']);
    assert.deepEqual(s.sev, ['serious']);
    assert.equal(s.res, 9);
    assert.equal(s.weight, 'count');
    assert.equal(s.eps, 100);
    assert.deepEqual(filterParams(s), { from: '2024-03-01', to: '2024-04-01', category: ['theft'], severity: ['serious'] });
    // Already public: nothing to say.
    const q = resolve(parse('t=custom&from=2024-01-01&to=2024-04-01&res=8', DAY), DAY, PUBLIC, RULES);
    assert.equal(toPublic(q, RULES, PUBLIC), null);
    assert.deepEqual([q.t, q.from, q.to, q.res], ['custom', '2024-01-01', '2024-04-01', 8]);
    // Every class, no class and "all" stay as they are.
    for (const sev of ['', 'sev=none']) {
      const x = resolve(parse(sev, DAY), DAY, PUBLIC, RULES);
      const before = [...x.sev];
      toPublic(x, RULES, PUBLIC);
      assert.deepEqual(x.sev, before);
    }
    const all = resolve(parse('t=all', DAY), DAY, PUBLIC, RULES);
    assert.equal(toPublic(all, RULES, PUBLIC), null);
    assert.deepEqual([all.t, all.from, all.to], ['all', null, null]);
    // "12 tháng qua" spans two years: all time.
    const l12 = resolve(parse('t=last_12m', DAY), DAY, PUBLIC, RULES);
    assert.equal(toPublic(l12, RULES, PUBLIC), 'all');
    assert.deepEqual([l12.t, l12.from, l12.to], ['all', null, null]);
    // "Năm nay" is a whole year already.
    const y = resolve(parse('t=this_year', DAY), DAY, PUBLIC, RULES);
    assert.equal(toPublic(y, RULES, PUBLIC), null);
    assert.deepEqual([y.from, y.to], ['2026-01-01', '2027-01-01']);
  });
});
