/**
 * Figures as plain text for a terminal or a log: a sparkline, a table of
 * sparklines for named series, and a heatmap of shade characters.
 *
 * Long sequences are resampled to `width` columns by averaging: column j
 * averages the finite values at indices ⌊j·n/w⌋ … ⌊(j+1)·n/w⌋ − 1; shorter
 * ones keep a column per value. Column widths assume one terminal column per
 * character (labels with East Asian wide characters are measured as two).
 *
 *   sparkline([1, 2, 3, 4, 5, 6, 7, 8])  →  '▁▂▃▄▅▆▇█'
 *
 *   seriesTable([{ name: 'train', x, y: [2.31, 1.5, …, 0.412] }, { name: 'validation', x, y: [2.35, …, 0.58] }], { log: true })  →
 *     train       █▆▅▄▃▃▂▁  2.31 → 0.412
 *     validation  █▆▅▄▃▂▁▁  2.35 → 0.58
 *
 *   shadedHeatmap([{ label: 'input', values: [0, 0.25, 0.5, 0.75, 1] }, { label: 'forget', values: [1, 1, 0.9, 0.2, 0] }])  →
 *     input    ░▒▓█
 *     forget  ███░
 *     shades: ' ' 0  ░ 0.25  ▒ 0.5  ▓ 0.75  █ 1
 *
 *   shadedHeatmap([{ label: 'h', values: [-1, -0.5, 0, 0.5, 1] }])  →
 *     h +    ▒█
 *       − █▒
 *     shades of |value|: ' ' 0  ░ 0.25  ▒ 0.5  ▓ 0.75  █ 1
 */
import { displayWidth, visibleText } from '../text-display.js';
import type { LineSeries } from './lines.js';

const BARS = '▁▂▃▄▅▆▇█';
const SHADES = ' ░▒▓█';
/** Shown for a column with no finite value: a gap in a sparkline, `·` in a heatmap. */
const MISSING_BAR = ' ';
const MISSING_SHADE = '·';
const DEFAULT_WIDTH = 60;

export interface SparklineOptions {
  /** Heights by log10 of the values (then ≤ 0 counts as missing); columns average the logs. */
  readonly log?: boolean;
  /** Columns at most; 60 unless given. */
  readonly width?: number;
}

export interface ShadedRow {
  readonly label: string;
  readonly values: ArrayLike<number>;
}

export interface ShadedHeatmapOptions {
  /** The values shaded ' ' and █; the least and greatest column unless given. */
  readonly domain?: readonly [number, number];
  /** Columns of cells at most (labels not counted); 60 unless given. */
  readonly width?: number;
}

/**
 * Values as a line of bars ▁▂▃▄▅▆▇█, the lowest column ▁ and the highest █
 * (level = round(7 · (v − min) / (max − min))); a constant line reads ▄.
 * Non-finite values are left out of averages; a column with none reads ' '.
 */
export function sparkline(values: ArrayLike<number>, options: SparklineOptions = {}): string {
  const columns = resample(logOf(values, options.log), checkedWidth(options.width, 'sparkline'));
  const [lo, hi] = extent(columns);
  return columns.map((v) => {
    if (Number.isNaN(v)) return MISSING_BAR;
    return BARS[hi === lo ? 3 : Math.round((7 * (v - lo)) / (hi - lo))] as string;
  }).join('');
}

/**
 * Named series as aligned lines `name  sparkline  first → last`, each series
 * on its own scale (the sparkline shows the shape; first and last, the finite
 * y values at either end, give the size). Only y is drawn, in order; x and
 * dash are not used.
 */
export function seriesTable(series: readonly LineSeries[], options: SparklineOptions = {}): string[] {
  const width = checkedWidth(options.width, 'seriesTable');
  const names = series.map((s) => visibleText(s.name));
  const nameWidth = Math.max(0, ...names.map(displayWidth));
  const lines = series.map((s) => {
    const finite = Array.from(s.y).filter((v) => Number.isFinite(v) && (!options.log || v > 0));
    return {
      spark: sparkline(s.y, { log: options.log, width }),
      first: finite.length > 0 ? formatValue(finite[0] as number) : '–',
      last: finite.length > 0 ? formatValue(finite[finite.length - 1] as number) : '–',
    };
  });
  const sparkWidth = Math.max(0, ...lines.map((l) => l.spark.length));
  const firstWidth = Math.max(0, ...lines.map((l) => l.first.length));
  return lines.map((l, i) => {
    const name = names[i] as string;
    return `${name}${' '.repeat(nameWidth - displayWidth(name))}  ${l.spark.padEnd(sparkWidth)}  ${l.first.padStart(firstWidth)} → ${l.last}`;
  });
}

/**
 * Rows of values as shade characters ' ░▒▓█', a character per column,
 * labels aligned on the left, and a last line naming the shades.
 *
 * When the domain [lo, hi] holds values of both signs (lo < 0 < hi) each row
 * takes two lines: `+` shades the positive values and `−` the negative ones,
 * both by |v| / max(|lo|, hi), so 0 is blank on both. Otherwise one line per
 * row, shaded by (v − lo) / (hi − lo). Shades are the nearest of 0, ¼, ½, ¾,
 * 1 of the way; values beyond the domain take the end shade; a column with no
 * finite value reads `·`.
 */
export function shadedHeatmap(rows: readonly ShadedRow[], options: ShadedHeatmapOptions = {}): string[] {
  if (rows.length === 0) throw new Error('shadedHeatmap: expected at least one row, got none');
  const width = checkedWidth(options.width, 'shadedHeatmap');
  const columns = rows.map((r) => resample(Array.from(r.values, (v) => (Number.isFinite(v) ? v : NaN)), width));
  const [lo, hi] = options.domain ? checkedDomain(options.domain) : dataDomain(columns);
  const labels = rows.map((r) => visibleText(r.label));
  const labelWidth = Math.max(...labels.map(displayWidth));
  const pad = (label: string): string => `${label}${' '.repeat(labelWidth - displayWidth(label))}`;
  const shade = (t: number): string => (Number.isNaN(t) ? MISSING_SHADE : SHADES[Math.round(4 * Math.min(1, Math.max(0, t)))] as string);
  const lines: string[] = [];
  if (lo < 0 && hi > 0) {
    const m = Math.max(-lo, hi);
    columns.forEach((c, r) => {
      lines.push(`${pad(labels[r] as string)} + ${c.map((v) => shade(Math.max(0, v) / m)).join('')}`.trimEnd());
      lines.push(`${pad('')} − ${c.map((v) => shade(Math.max(0, -v) / m)).join('')}`.trimEnd());
    });
    lines.push(`shades of |value|: ${legend(0, m)}`);
  } else {
    columns.forEach((c, r) => lines.push(`${pad(labels[r] as string)}  ${c.map((v) => shade((v - lo) / (hi - lo))).join('')}`.trimEnd()));
    lines.push(`shades: ${legend(lo, hi)}`);
  }
  return lines;
}

/** `' ' lo  ░ …  ▒ …  ▓ …  █ hi`: each shade (the blank one quoted) and the value it stands for. */
function legend(lo: number, hi: number): string {
  return Array.from(SHADES, (s, k) => `${s === ' ' ? "' '" : s} ${formatValue(lo + ((hi - lo) * k) / 4)}`).join('  ');
}

/** The values, non-finite (and with `log`, ≤ 0) ones as NaN, log10 of the others with `log`. */
function logOf(values: ArrayLike<number>, log: boolean | undefined): number[] {
  return Array.from(values, (v) => (!Number.isFinite(v) || (log && v <= 0) ? NaN : log ? Math.log10(v) : v));
}

/** At most `width` columns, each the mean of the finite values of its stretch (NaN when there are none). */
function resample(values: readonly number[], width: number): number[] {
  const n = values.length;
  const w = Math.min(n, width);
  return Array.from({ length: w }, (_, j) => {
    let sum = 0;
    let count = 0;
    for (let i = Math.floor((j * n) / w); i < Math.floor(((j + 1) * n) / w); i++) {
      const v = values[i] as number;
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    return count > 0 ? sum / count : NaN;
  });
}

/** [min, max] of the non-NaN values; [0, 0] when there are none. */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/** The columns' [min, max], widened to take in 0 when they are all one value (to [0, 1] when that value is 0). */
function dataDomain(columns: readonly number[][]): [number, number] {
  const [lo, hi] = extent(columns.flat());
  if (lo < hi) return [lo, hi];
  return lo === 0 ? [0, 1] : [Math.min(0, lo), Math.max(0, hi)];
}

function checkedDomain(domain: readonly [number, number]): [number, number] {
  const [lo, hi] = domain;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`shadedHeatmap: domain must be two finite numbers, low < high; got [${domain.join(', ')}]`);
  return [lo, hi];
}

function checkedWidth(width: number | undefined, where: string): number {
  if (width === undefined) return DEFAULT_WIDTH;
  if (!(Number.isInteger(width) && width >= 1)) throw new Error(`${where}: width must be a positive integer, got ${width}`);
  return width;
}

/** A value in at most 4 significant digits: `0.4123`, `1.235e-8`, `2310`. */
function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6 || (a > 0 && a < 1e-4)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}
