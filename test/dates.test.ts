/**
 * The date task: each format's source and target, true weekdays, character
 * tokens, distinct sources across splits, determinism, and refusals.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DATE_FORMATS, datePair, dateTask } from '../src/seq2seq/dates.js';

const day = (year: number, month: number, date: number) => Date.UTC(year, month - 1, date) / 86_400_000;

describe('date task', () => {
  test('each format of 29 November 2026 (a Sunday)', () => {
    const d = day(2026, 11, 29);
    assert.deepEqual(
      DATE_FORMATS.map((f) => [datePair(d, f).source, datePair(d, f).target]),
      [
        ['November 29, 2026', '2026年11月29日'],
        ['29 November 2026', '2026年11月29日'],
        ['Nov 29, 2026', '2026年11月29日'],
        ['Sunday, November 29, 2026', '2026年11月29日星期日'],
      ],
    );
    const pair = datePair(day(1969, 7, 20), 'weekday');
    assert.equal(pair.source, 'Sunday, July 20, 1969');
    assert.equal(pair.target, '1969年7月20日星期日');
    assert.equal(datePair(day(2000, 2, 29), 'weekday').source, 'Tuesday, February 29, 2000');
    assert.equal(datePair(day(2000, 2, 29), 'weekday').target, '2000年2月29日星期二');
    assert.deepEqual(datePair(day(2001, 9, 3), 'abbreviated').sourceTokens, ['S', 'e', 'p', ' ', '3', ',', ' ', '2', '0', '0', '1']);
    assert.deepEqual(datePair(day(2001, 9, 3), 'abbreviated').targetTokens, ['2', '0', '0', '1', '年', '9', '月', '3', '日']);
    assert.equal(pair.attribution, undefined);
  });

  test('splits of the asked sizes, distinct sources across them, every format and year range used', () => {
    const task = dateTask({ train: 3000, dev: 300, test: 300, seed: 5 });
    assert.deepEqual([task.train.length, task.dev.length, task.test.length], [3000, 300, 300]);
    const all = [...task.train, ...task.dev, ...task.test];
    assert.equal(new Set(all.map((p) => p.source)).size, all.length);
    for (const p of all) {
      assert.match(p.target, /^(19[5-9]\d|20[0-4]\d)年(1[0-2]|[1-9])月([1-9]|[12]\d|3[01])日(星期[一二三四五六日])?$/, p.source);
      assert.equal(p.targetTokens.join(''), p.target);
      assert.equal(p.sourceTokens.join(''), p.source);
    }
    assert.ok(all.some((p) => p.source.startsWith('Sep ')) && all.some((p) => /^\d/.test(p.source)) && all.some((p) => p.target.includes('星期')));
    assert.ok(all.some((p) => p.target.startsWith('1950')) && all.some((p) => p.target.startsWith('2049')));
  });

  test('deterministic given the seed; formats and years restrict the draw', () => {
    const sources = (seed: number) => dateTask({ train: 50, dev: 0, test: 10, seed }).test.map((p) => p.source);
    assert.deepEqual(sources(1), sources(1));
    assert.notDeepEqual(sources(1), sources(2));
    const narrow = dateTask({ train: 100, dev: 0, test: 0, seed: 0, formats: ['day-month-year'], fromYear: 2020, toYear: 2020 });
    assert.ok(narrow.train.every((p) => /^\d+ [A-Z][a-z]+ 2020$/.test(p.source)));
  });

  test('refuses impossible requests with a clear message', () => {
    assert.throws(() => dateTask({ train: 367, dev: 0, test: 0, seed: 0, formats: ['weekday'], fromYear: 2024, toYear: 2024 }), /367 distinct pairs asked for, but 2024…2024 in 1 format\(s\) has only 366/);
    assert.throws(() => dateTask({ train: -1, dev: 0, test: 0, seed: 0 }), /train must be a non-negative integer, got -1/);
    assert.throws(() => dateTask({ train: 1, dev: 0, test: 0, seed: 0, formats: [] }), /formats must be a non-empty list/);
    assert.throws(() => dateTask({ train: 1, dev: 0, test: 0, seed: 0, fromYear: 2050, toYear: 2049 }), /fromYear ≤ toYear/);
    assert.throws(() => dateTask({ train: 1, dev: 0, test: 0, seed: 1.5 }), /seed must be an integer/);
  });
});
