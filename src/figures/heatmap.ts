/**
 * A matrix as a heatmap: rows × columns of cells, cell (r, c) coloured by
 * values[r · columns + c] — gate activations with units or gates as rows and
 * time steps as columns, say. {@link heatmapSpec} builds the Vega-Lite
 * specification (one `rect` per cell); draw it with `renderSvg`
 * (src/figures/render.ts).
 *
 * Colours: 'sequential' runs viridis from the low end of the domain to the
 * high end (the values' minimum and maximum unless given); 'diverging' runs
 * blue (negative) through white (0) to red (positive), over [−m, m] with m
 * the largest |value| unless given. Values outside a given domain take the
 * colour of its nearer end.
 *
 * Cells are 18 pixels at most and shrink to keep the figure about 800 × 400
 * (a pixel and a half per column for 500 time steps); axes then label every
 * 2nd, 5th, 10th, … row or column, so labels never overlap. A label that is
 * one space reads `␣`, control characters read as their symbols (`\n` → ␊).
 *
 * Example:
 *   heatmapSpec({ rowLabels: ['i', 'f', 'g', 'o'], columnLabels: Array.from('hello'), values: gates, scheme: 'sequential', xTitle: 'character', yTitle: 'gate' });
 */
import { visibleText } from '../text-display.js';
import { FIGURE_FONTS } from './render.js';

export interface Heatmap {
  readonly title?: string;
  /** One per row, top to bottom. */
  readonly rowLabels: readonly string[];
  /** One per column, left to right; column indices 0, 1, … unless given. */
  readonly columnLabels?: readonly string[];
  /** Row-major (rows, columns), finite. */
  readonly values: ArrayLike<number>;
  /** The values at the two ends of the colour scale. */
  readonly domain?: readonly [number, number];
  readonly scheme: 'sequential' | 'diverging';
  readonly xTitle: string;
  readonly yTitle: string;
}

/** Largest cell side, and the size cells shrink to fit, in pixels. */
const MAX_CELL = 18;
const FIT_WIDTH = 800;
const FIT_HEIGHT = 400;
/** Axis label font size; a label takes about 0.6 em per character. */
const LABEL_SIZE = 11;

/** The Vega-Lite specification of the heatmap (see the module comment). */
export function heatmapSpec(h: Heatmap): Record<string, unknown> {
  const rows = h.rowLabels.length;
  if (rows === 0) throw new Error('heatmapSpec: expected at least one row label, got none');
  const columns = h.columnLabels ? h.columnLabels.length : h.values.length / rows;
  if (columns === 0 || !Number.isInteger(columns) || h.values.length !== rows * columns) {
    const expected = h.columnLabels ? `${rows} × ${columns} = ${rows * columns} values (rows × columns)` : `a multiple of ${rows} values (one row per row label), at least one row's worth`;
    throw new Error(`heatmapSpec: expected ${expected}, got ${h.values.length}`);
  }
  const cells: { row: number; column: number; value: number }[] = [];
  let largest = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const value = h.values[r * columns + c] as number;
      if (!Number.isFinite(value)) throw new Error(`heatmapSpec: value (${r}, ${c}) (row '${h.rowLabels[r]}', column ${c}) is ${value}`);
      largest = Math.max(largest, Math.abs(value));
      cells.push({ row: r, column: c, value });
    }
  }
  if (h.domain && !(Number.isFinite(h.domain[0]) && Number.isFinite(h.domain[1]) && h.domain[0] < h.domain[1])) {
    throw new Error(`heatmapSpec: domain must be two finite numbers, low < high; got [${h.domain.join(', ')}]`);
  }
  const rowNames = h.rowLabels.map(label);
  const columnNames = h.columnLabels ? h.columnLabels.map(label) : Array.from({ length: columns }, (_, c) => String(c));
  const columnStep = Math.min(MAX_CELL, FIT_WIDTH / columns);
  const rowStep = Math.min(MAX_CELL, FIT_HEIGHT / rows);
  const colour = h.scheme === 'diverging'
    ? { scheme: 'redblue', reverse: true, domain: h.domain ?? [-(largest || 1), largest || 1], domainMid: 0 }
    : { scheme: 'viridis', ...(h.domain ? { domain: h.domain } : {}) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(h.title ? { title: h.title } : {}),
    data: { values: cells },
    width: { step: columnStep },
    height: { step: rowStep },
    // each cell outlined in its own colour: no light seams between cells a fraction of a pixel wide
    mark: { type: 'rect', strokeWidth: 0.5, stroke: { expr: "scale('color', datum.value)" } },
    encoding: {
      x: { field: 'column', type: 'ordinal', title: h.xTitle, axis: sparseAxis(columnNames, columnStep, widest(columnNames) + 8, { labelAngle: 0 }) },
      y: { field: 'row', type: 'ordinal', title: h.yTitle, axis: sparseAxis(rowNames, rowStep, LABEL_SIZE + 2, {}) },
      color: { field: 'value', type: 'quantitative', title: null, scale: { ...colour, clamp: true } },
    },
    config: { font: FIGURE_FONTS, axis: { labelFontSize: LABEL_SIZE, titleFontSize: 12, ticks: true, domain: false }, view: { stroke: '#cccccc' } },
  };
}

/** An axis over positions 0, 1, … that shows the labels of every k-th, k in 1, 2, 5, 10, 20, …, at least `spacing` pixels apart. */
function sparseAxis(labels: readonly string[], step: number, spacing: number, extra: Record<string, unknown>): Record<string, unknown> {
  const stride = niceStride(spacing / step);
  return {
    ...extra,
    values: Array.from({ length: Math.ceil(labels.length / stride) }, (_, k) => k * stride),
    labelExpr: `${JSON.stringify(labels)}[datum.value]`,
  };
}

/** The least of 1, 2, 5, 10, 20, 50, … that is ≥ `least`. */
function niceStride(least: number): number {
  for (let power = 1; ; power *= 10) {
    for (const m of [1, 2, 5]) if (m * power >= least) return m * power;
  }
}

/** Pixels of the widest label, at about 0.6 em per character. */
function widest(labels: readonly string[]): number {
  return labels.reduce((most, l) => Math.max(most, Array.from(l).length), 0) * 0.6 * LABEL_SIZE;
}

/** A label as visible text: one space → ␣, control characters → their symbols. */
function label(text: string): string {
  return text === ' ' ? '␣' : visibleText(text);
}
