/**
 * Line charts as Vega-Lite specifications: learning curves, gradient norms,
 * anything that is y against x for a few named series. One colour per series
 * (in the order given) and a legend naming each; a series can be dashed.
 * {@link panelsSpec} puts several charts in one figure, each with its own
 * scales. Draw with `renderSvg` (src/figures/render.ts).
 *
 * A series of at most 30 points has each point marked (so a single point
 * shows). Points that cannot be drawn are left out, and the line joins their
 * neighbours: a y (or x) that is NaN or ±Infinity, and on a log axis a value
 * ≤ 0 (a series left with one point shows no line). Log axes label their
 * ticks as plain numbers between 0.001 and 10⁴, as `1e-8`-style exponents
 * outside.
 *
 * Example:
 *   const spec = lineChartSpec({ xTitle: 'step', yTitle: 'loss', yLog: true,
 *     series: [{ name: 'train', x: steps, y: train }, { name: 'validation', x: steps, y: valid, dash: true }] });
 */
import { FIGURE_FONTS } from './render.js';

export interface LineSeries {
  /** Named in the legend; unique within a chart. */
  readonly name: string;
  readonly x: ArrayLike<number>;
  /** One per x. */
  readonly y: ArrayLike<number>;
  /** Drawn dashed (e.g. validation beside training). */
  readonly dash?: boolean;
}

export interface LineChart {
  readonly title?: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly series: readonly LineSeries[];
  /** The y axis's range on a linear axis (e.g. [0, 1] for fractions); from the data unless given. */
  readonly yDomain?: readonly [number, number];
  /** Pixels of the plotting area; 400 × 250 unless given. */
  readonly width?: number;
  readonly height?: number;
}

export interface PanelsOptions {
  /** Charts per row; all in one row unless given. */
  readonly columns?: number;
  readonly title?: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = { font: FIGURE_FONTS, axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eeeeee' }, legend: { labelFontSize: 12, labelLimit: 0 } };
const DASH = [6, 4];
/** Series of at most this many points have each point marked. */
const FEW_POINTS = 30;
const SOLID = [1, 0];

/** Tick labels of a log axis: `0.001` … `1000` as plain numbers, `1e-8` or `1e+4` outside. */
const LOG_LABEL = "datum.label === '' ? '' : datum.value >= 1e-3 && datum.value < 1e4 ? format(datum.value, '~g') : format(datum.value, '~e')";
/** Labelled powers of ten on a log axis, at most. */
const MAX_DECADES = 10;

/** The Vega-Lite specification of one line chart (see the module comment). */
export function lineChartSpec(chart: LineChart): Record<string, unknown> {
  return { $schema: SCHEMA, ...lineChartUnit(chart, 'lineChartSpec'), config: CONFIG };
}

/** Several line charts in one figure, `columns` to a row, each with its own scales and legend. */
export function panelsSpec(charts: readonly LineChart[], options: PanelsOptions = {}): Record<string, unknown> {
  if (charts.length === 0) throw new Error('panelsSpec: expected at least one chart, got none');
  if (options.columns !== undefined && !(Number.isInteger(options.columns) && options.columns >= 1)) {
    throw new Error(`panelsSpec: columns must be a positive integer, got ${options.columns}`);
  }
  return {
    $schema: SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    columns: options.columns ?? charts.length,
    concat: charts.map((chart, i) => lineChartUnit(chart, `panelsSpec: chart ${i}`)),
    resolve: { scale: { x: 'independent', y: 'independent', color: 'independent', strokeDash: 'independent' }, legend: { color: 'independent', strokeDash: 'independent' } },
    config: CONFIG,
  };
}

/** A chart without the document-level fields ($schema, config); `where` names it in errors. */
function lineChartUnit(chart: LineChart, where: string): Record<string, unknown> {
  if (chart.series.length === 0) throw new Error(`${where}: expected at least one series, got none`);
  const rows: { series: string; x: number; y: number }[] = [];
  const names: string[] = [];
  for (const s of chart.series) {
    if (names.includes(s.name)) throw new Error(`${where}: two series are named '${s.name}'; the legend needs distinct names`);
    names.push(s.name);
    if (s.x.length !== s.y.length) throw new Error(`${where}: series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values; expected as many of each`);
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i] as number;
      const y = s.y[i] as number;
      if (drawable(x, chart.xLog) && drawable(y, chart.yLog)) rows.push({ series: s.name, x, y });
    }
  }
  // Few points: each one marked too, so a series of one point still shows — on every line when all
  // series have few, else on those series only (a validation loss every so often beside a loss per step).
  const few = chart.series.filter((s) => s.x.length <= FEW_POINTS).map((s) => s.name);
  const line = { type: 'line', strokeWidth: 1.5, ...(few.length === names.length ? { point: { size: 24 } } : {}) };
  const layered = few.length > 0 && few.length < names.length;
  const marks = layered
    ? { layer: [{ mark: line }, { mark: { type: 'point', filled: true, size: 24 }, transform: [{ filter: { field: 'series', oneOf: few } }] }] }
    : { mark: line };
  // The legend keeps showing lines (a layer of points would make its symbols dots).
  const legend = layered ? { legend: { symbolType: 'stroke' } } : {};
  return {
    ...(chart.title ? { title: chart.title } : {}),
    width: chart.width ?? 400,
    height: chart.height ?? 250,
    data: { values: rows },
    ...marks,
    encoding: {
      x: positionEncoding('x', chart.xTitle, chart.xLog, rows.map((r) => r.x)),
      y: positionEncoding('y', chart.yTitle, chart.yLog, rows.map((r) => r.y), chart.yDomain),
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names }, ...legend },
      strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain: names, range: chart.series.map((s) => (s.dash ? DASH : SOLID)) }, ...legend },
    },
  };
}

/**
 * The x or y encoding: linear (not forced to include 0), or log over the
 * data's range with ticks at powers of ten when there are three or more
 * (every second, third, … beyond {@link MAX_DECADES}), else a few round
 * numbers ({@link ticksWithinDecades}).
 */
function positionEncoding(field: 'x' | 'y', title: string, log: boolean | undefined, values: readonly number[], domain?: readonly [number, number]): Record<string, unknown> {
  if (domain && !(Number.isFinite(domain[0]) && Number.isFinite(domain[1]) && domain[0] < domain[1])) {
    throw new Error(`lineChartSpec: the ${field} domain must be two finite numbers, low < high, got [${domain.join(', ')}]`);
  }
  if (!log) return { field, type: 'quantitative', title, scale: domain ? { domain: [...domain], clamp: true } : { zero: false } };
  const axis: Record<string, unknown> = { labelExpr: LOG_LABEL };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  if (hi - lo >= 2) {
    const stride = Math.ceil((hi - lo + 1) / MAX_DECADES);
    axis.values = Array.from({ length: Math.floor((hi - lo) / stride) + 1 }, (_, k) => Number(`1e${lo + k * stride}`));
  } else if (min > 0 && max > min) {
    axis.values = ticksWithinDecades(min, max);
  }
  return { field, type: 'quantitative', title, scale: { type: 'log', nice: false }, axis };
}

/**
 * Ticks for a log axis over less than three powers of ten (where vega would
 * put ten linear ticks, a crowd of labels): the 1, 2, 5 × 10^k in range when
 * there are three or more, else evenly spaced round numbers (about four).
 */
function ticksWithinDecades(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number(`${m}e${e}`);
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  if (ticks.length >= 3) return ticks;
  const step = roundStep((max - min) / 4);
  const out: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The least of 1, 2, 5 × 10^k that is ≥ `least` (> 0). */
function roundStep(least: number): number {
  const e = Math.floor(Math.log10(least));
  for (const m of [1, 2, 5, 10]) if (Number(`${m}e${e}`) >= least) return Number(`${m}e${e}`);
  return Number(`1e${e + 1}`);
}

/** A value that can be placed on a linear (or, with `log`, a log) axis. */
function drawable(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}
