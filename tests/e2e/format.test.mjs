// Numbers and dates as the page writes them (map-ui/src/i18n.js) and the density and KDE
// colour classes (map-ui/src/classes.js), without a browser.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countClasses, quantileBounds, share, sig2, sig2Digits, stepExpression, valueClasses } from '../../map-ui/src/classes.js';
import { dateTime, dayText, formatNumber, monthText } from '../../map-ui/src/i18n.js';

describe('numbers', () => {
  it('use Vietnamese separators in Vietnamese and English ones in English, whatever the locale', () => {
    assert.equal(formatNumber(1234, 0, 'vi'), '1.234');
    assert.equal(formatNumber(12.5, 1, 'vi'), '12,5');
    assert.equal(formatNumber(1234567.891, 2, 'vi'), '1.234.567,89');
    assert.equal(formatNumber(1234, 0, 'en'), '1,234');
    assert.equal(formatNumber(12.5, 1, 'en'), '12.5');
    assert.equal(formatNumber(1234567.891, 2, 'en'), '1,234,567.89');
  });
  it('drop trailing zeros, keep signs, and show a dash for nothing', () => {
    assert.equal(formatNumber(12, 2, 'vi'), '12');
    assert.equal(formatNumber(0.5, 3, 'vi'), '0,5');
    assert.equal(formatNumber(-5, 1, 'vi'), '-5');
    assert.equal(formatNumber(-0.01, 1, 'vi'), '0');
    assert.equal(formatNumber(999.96, 1, 'vi'), '1.000');
    assert.equal(formatNumber(0, 0, 'en'), '0');
    assert.equal(formatNumber(null), '–');
    assert.equal(formatNumber(Number.NaN), '–');
  });
});

describe('dates', () => {
  it('are dd/mm/yyyy (HH:mm) in the committee zone', () => {
    assert.equal(dateTime('2026-03-04T09:12:00+07:00'), '04/03/2026 09:12');
    assert.equal(dateTime('2026-03-03T23:30:00Z'), '04/03/2026 06:30');
    assert.equal(dateTime('2026-12-31T17:00:00Z', false), '01/01/2027');
    assert.equal(dateTime(1767225600), '01/01/2026 07:00');
    assert.equal(dayText('2024-02-29'), '29/02/2024');
    assert.equal(monthText('2024-02'), '02/2024');
  });
});

describe('density and KDE classes', () => {
  // Skewed counts of the whole extent: many small cells, a few large ones.
  const counts = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 9, 12, 15, 20, 30, 45, 80];
  const palette = ['#1', '#2', '#3', '#4', '#5'];

  it('quantile bounds weighted by incidents: at most 5 classes, each about a fifth of the incidents, ties merged', () => {
    // 260 incidents: the cells up to 12 hold the first fifth (60), up to 30 two fifths (125)…
    assert.deepEqual(quantileBounds(counts), [12, 30, 45, 80]);
    assert.deepEqual(quantileBounds([1, 1, 1, 1, 1, 1, 2]), [2]);
    assert.deepEqual(quantileBounds([1, 1, 1, 1, 2, 2, 3, 3, 3, 9]), [2, 3, 9]);
    assert.deepEqual(quantileBounds([5, 5, 5]), []);
    assert.deepEqual(quantileBounds([]), []);
    assert.deepEqual(quantileBounds([0.1, 0.2, 0.4, 0.8, 1.6, 3.2]), [0.8, 1.6, 3.2]);
  });

  it('the window share counts months for whole months, days otherwise, and only inside the extent', () => {
    const ext = { from: '2025-01-01', to: '2027-01-01' };
    assert.equal(share({ from: '2026-01-01', to: '2027-01-01' }, ext), 0.5);
    assert.equal(share({ from: '2026-02-01', to: '2026-05-01' }, ext), 3 / 24);
    assert.equal(share({ from: '2026-03-01', to: '2026-06-01' }, ext), 3 / 24, 'any three months are the same share');
    assert.equal(share({ from: null, to: null }, ext), 1);
    assert.equal(share({ from: '2020-01-01', to: '2030-01-01' }, ext), 1);
    assert.equal(share({ from: '2026-07-01', to: '2027-07-01' }, ext), 6 / 24, 'months without data do not count');
    assert.equal(share({ from: '2028-01-01', to: '2029-01-01' }, ext), 0);
    assert.equal(share({ from: '2025-12-08', to: '2026-12-08' }, ext), 365 / 730);
  });

  it('integer classes scale with the window and keep each colour’s meaning', () => {
    const b = quantileBounds(counts);
    assert.deepEqual(countClasses(b, 1, palette), [
      { lo: 1, hi: 11, colour: '#1' },
      { lo: 12, hi: 29, colour: '#2' },
      { lo: 30, hi: 44, colour: '#3' },
      { lo: 45, hi: 79, colour: '#4' },
      { lo: 80, hi: null, colour: '#5' },
    ]);
    // Half the extent: a cell needs half the incidents for the same colour.
    assert.deepEqual(countClasses(b, 0.5, palette), [
      { lo: 1, hi: 5, colour: '#1' },
      { lo: 6, hi: 14, colour: '#2' },
      { lo: 15, hi: 22, colour: '#3' },
      { lo: 23, hi: 39, colour: '#4' },
      { lo: 40, hi: null, colour: '#5' },
    ]);
    // A short window: classes that become empty go, the others keep their colour.
    assert.deepEqual(countClasses(b, 1 / 24, palette), [
      { lo: 1, hi: 1, colour: '#2' },
      { lo: 2, hi: 3, colour: '#4' },
      { lo: 4, hi: null, colour: '#5' },
    ]);
    // Cells under the disclosure threshold are not shown: classes start there.
    assert.deepEqual(countClasses(b, 1, palette, 3)[0], { lo: 3, hi: 11, colour: '#1' });
    assert.deepEqual(countClasses(b, 1 / 24, palette, 3), [
      { lo: 3, hi: 3, colour: '#4' },
      { lo: 4, hi: null, colour: '#5' },
    ]);
  });

  it('continuous classes and the step expression', () => {
    const v = valueClasses([0.2, 1, 5], 0.5, palette.slice(0, 4));
    assert.deepEqual(v, [
      { lo: null, hi: 0.1, colour: '#1' },
      { lo: 0.1, hi: 0.5, colour: '#2' },
      { lo: 0.5, hi: 2.5, colour: '#3' },
      { lo: 2.5, hi: null, colour: '#4' },
    ]);
    assert.deepEqual(stepExpression('density', v), ['step', ['get', 'density'], '#1', 0.1, '#2', 0.5, '#3', 2.5, '#4']);
    assert.equal(stepExpression('count', [{ lo: 1, hi: null, colour: '#5' }]), '#5');
  });

  it('two significant digits', () => {
    assert.deepEqual([0.012345, 0.35, 1.26, 12.5, 123, 4567].map(sig2), [0.012, 0.35, 1.3, 13, 120, 4600]);
    assert.deepEqual([0.012345, 0.35, 1.26, 12.5, 123].map(sig2Digits), [3, 2, 1, 0, 0]);
  });
});
