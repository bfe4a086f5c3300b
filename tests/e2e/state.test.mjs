// The page's URL state and time presets (map-ui/src/state.js), without a browser.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, parse, presetRange, resForZoom, serialize } from '../../map-ui/src/state.js';

const DAY = '2026-11-23';

describe('presets', () => {
  it('count whole months in the committee zone, `to` exclusive', () => {
    assert.deepEqual(presetRange('this_month', DAY), { from: '2026-11-01', to: '2026-12-01' });
    assert.deepEqual(presetRange('this_month', '2026-12-31'), { from: '2026-12-01', to: '2027-01-01' });
    assert.deepEqual(presetRange('this_year', DAY), { from: '2026-01-01', to: '2027-01-01' });
    assert.deepEqual(presetRange('last_12m', DAY), { from: '2025-12-01', to: '2026-12-01' });
    assert.deepEqual(presetRange('last_12m', '2026-01-15'), { from: '2025-02-01', to: '2026-02-01' });
    assert.equal(presetRange('all', DAY), null);
  });
  it('adds days across month ends and leap days', () => {
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addDays('2023-03-01', -1), '2023-02-28');
    assert.equal(addDays('2024-12-31', 1), '2025-01-01');
  });
});

describe('URL state', () => {
  it('defaults: Vietnamese, density and complex areas, all time, automatic resolution', () => {
    const s = parse('', DAY);
    assert.equal(s.lang, 'vi');
    assert.deepEqual([...s.layers], ['density', 'complex']);
    assert.equal(s.t, 'all');
    assert.equal(s.from, null);
    assert.equal(s.res, 'auto');
    assert.equal(s.py, 2026);
    assert.equal(serialize(s, DAY), '');
  });
  it('round-trips every control', () => {
    const q = 'lang=en&layers=density,zones,incidents&t=custom&from=2024-01-01&to=2024-04-01&cat=theft,snatching&sev=serious&res=9&py=2024&map=12.50/10.77800/106.69500&panel=area:dbpt-2024-01';
    const s = parse(q, DAY);
    assert.equal(s.lang, 'en');
    assert.deepEqual([...s.layers], ['density', 'zones', 'incidents']);
    assert.deepEqual([s.t, s.from, s.to], ['custom', '2024-01-01', '2024-04-01']);
    assert.deepEqual(s.cat, ['theft', 'snatching']);
    assert.deepEqual(s.sev, ['serious']);
    assert.equal(s.res, 9);
    assert.equal(s.py, 2024);
    assert.deepEqual(s.map, { zoom: 12.5, lat: 10.778, lon: 106.695 });
    assert.equal(s.panel, 'area:dbpt-2024-01');
    assert.equal(serialize(s, DAY), q);
  });
  it('a preset link keeps its dates; dates that are not the preset any more make it custom', () => {
    assert.deepEqual(Object.values(parse('t=this_year', DAY)).slice(2, 5), ['this_year', '2026-01-01', '2027-01-01']);
    const old = parse('t=this_year&from=2024-01-01&to=2025-01-01', DAY);
    assert.deepEqual([old.t, old.from, old.to], ['custom', '2024-01-01', '2025-01-01']);
  });
  it('drops what it does not know instead of failing', () => {
    const s = parse('lang=fr&layers=density,nope&from=2024-13&to=x&sev=minor&res=42&py=1800&map=a/b/c&panel=<script>&cat=theft,DROP%20TABLE', DAY);
    assert.equal(s.lang, 'vi');
    assert.deepEqual([...s.layers], ['density']);
    assert.equal(s.t, 'all');
    assert.deepEqual(s.sev, []);
    assert.deepEqual(s.cat, ['theft']);
    assert.equal(s.res, 'auto');
    assert.equal(s.py, 2026);
    assert.equal(s.map, null);
    assert.equal(s.panel, null);
    const backwards = parse('t=custom&from=2024-05-01&to=2024-01-01', DAY);
    assert.equal(backwards.to, null);
  });
  it('no layers is a state of its own', () => {
    const s = parse('layers=', DAY);
    assert.equal(s.layers.size, 0);
    assert.equal(serialize(s, DAY), 'layers=');
  });
});

describe('resolution from zoom', () => {
  it('grows with the zoom within 7–11', () => {
    assert.deepEqual([8, 10, 11.6, 13, 15].map(resForZoom), [7, 8, 9, 10, 11]);
  });
});
