/**
 * A built-in translation task that needs no download: English dates →
 * Chinese dates. The year moves from the end to the front and the month's
 * name becomes a number, so a model's attention has to reorder — which its
 * attention weights show plainly.
 *
 *   month-day-year   "November 29, 2026"          → "2026年11月29日"
 *   day-month-year   "29 November 2026"           → "2026年11月29日"
 *   abbreviated      "Nov 29, 2026"               → "2026年11月29日"
 *   weekday          "Sunday, November 29, 2026"  → "2026年11月29日星期日"
 *
 * Tokens are characters on both sides (spaces and commas included), so every
 * output digit has one source character to attend to. Dates are drawn
 * uniformly from the days of [fromYear, toYear] (proleptic Gregorian, weekdays
 * true) and the format uniformly from `formats`, by a seeded {@link Random}.
 * Sources are distinct across train, dev and test, so held-out scores measure
 * generalisation, not recall.
 */
import { Random, checkSeed } from '../random.js';
import type { TranslationPair } from './pair.js';
import { tokenizeCharacters } from './tokenize.js';

export type DateFormat = 'month-day-year' | 'day-month-year' | 'abbreviated' | 'weekday';

export const DATE_FORMATS: readonly DateFormat[] = ['month-day-year', 'day-month-year', 'abbreviated', 'weekday'];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** Sunday first, as Date.getUTCDay counts. */
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const WEEKDAYS_ZH = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const DAY_MS = 86_400_000;

/** The pair for a date given as a UTC day (days since 1970-01-01) in one format. */
export function datePair(day: number, format: DateFormat): TranslationPair {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const dayOfMonth = date.getUTCDate();
  const weekday = date.getUTCDay();
  const monthName = MONTHS[month] as string;
  const sources: Record<DateFormat, string> = {
    'month-day-year': `${monthName} ${dayOfMonth}, ${year}`,
    'day-month-year': `${dayOfMonth} ${monthName} ${year}`,
    abbreviated: `${monthName.slice(0, 3)} ${dayOfMonth}, ${year}`,
    weekday: `${WEEKDAYS[weekday] as string}, ${monthName} ${dayOfMonth}, ${year}`,
  };
  const source = sources[format];
  const target = `${year}年${month + 1}月${dayOfMonth}日${format === 'weekday' ? (WEEKDAYS_ZH[weekday] as string) : ''}`;
  return { source, target, sourceTokens: tokenizeCharacters(source), targetTokens: tokenizeCharacters(target) };
}

export interface DateTaskOptions {
  train: number;
  dev: number;
  test: number;
  seed: number;
  /** Default: all of {@link DATE_FORMATS}. */
  formats?: readonly DateFormat[];
  /** First year drawn. Default 1950. */
  fromYear?: number;
  /** Last year drawn. Default 2049. */
  toYear?: number;
}

/** Train, dev and test pairs of the date task with distinct sources, drawn in that order. */
export function dateTask(options: DateTaskOptions): { train: TranslationPair[]; dev: TranslationPair[]; test: TranslationPair[] } {
  const { train, dev, test, seed, formats = DATE_FORMATS, fromYear = 1950, toYear = 2049 } = options;
  checkSeed('dateTask', seed);
  for (const [name, count] of [['train', train], ['dev', dev], ['test', test]] as const) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`dateTask: ${name} must be a non-negative integer, got ${count}`);
  }
  if (formats.length === 0 || formats.some((f) => !DATE_FORMATS.includes(f))) {
    throw new Error(`dateTask: formats must be a non-empty list of ${DATE_FORMATS.join(', ')}; got ${JSON.stringify(formats)}`);
  }
  if (!Number.isInteger(fromYear) || !Number.isInteger(toYear) || fromYear < 1000 || toYear > 9999 || fromYear > toYear) {
    throw new Error(`dateTask: years must be integers with 1000 ≤ fromYear ≤ toYear ≤ 9999, got ${fromYear}…${toYear}`);
  }
  const firstDay = Date.UTC(fromYear, 0, 1) / DAY_MS;
  const days = Date.UTC(toYear + 1, 0, 1) / DAY_MS - firstDay;
  const distinct = days * new Set(formats).size;
  const total = train + dev + test;
  if (total > distinct) throw new Error(`dateTask: ${total} distinct pairs asked for, but ${fromYear}…${toYear} in ${formats.length} format(s) has only ${distinct}`);

  const random = new Random(seed);
  const seen = new Set<string>();
  const pairs: TranslationPair[] = [];
  while (pairs.length < total) {
    const pair = datePair(firstDay + random.int(days), formats[random.int(formats.length)] as DateFormat);
    if (seen.has(pair.source)) continue;
    seen.add(pair.source);
    pairs.push(pair);
  }
  return { train: pairs.slice(0, train), dev: pairs.slice(train, train + dev), test: pairs.slice(train + dev) };
}
