/**
 * Attention weights as a figure: a heatmap with the source tokens as columns
 * and the output tokens as rows, cell (t, s) shaded by the weight a_{t,s}
 * the decoder gave source token s when it wrote output token t (each row sums
 * to 1). {@link attentionSpec} builds the Vega-Lite specification (one `rect`
 * per cell); {@link attentionSvg} renders it to SVG (src/figures/render.ts).
 *
 * Tokens are labelled as text: a space reads `␣`, control characters read as
 * their Control Pictures symbol. The font list puts CJK fonts first, so
 * Chinese glyphs render wherever one of them is installed.
 *
 * Example:
 *   const svg = await attentionSvg({ sourceTokens: ['N', 'o', 'v'], outputTokens: ['1', '1', '月', '<eos>'], weights });
 */
import { FIGURE_FONTS, renderSvg } from './render.js';

export interface AttentionFigure {
  /** The columns: the source tokens, in order. */
  readonly sourceTokens: readonly string[];
  /** The rows: the output tokens, in order (`<eos>` included when it has a row). */
  readonly outputTokens: readonly string[];
  /** Row-major (outputTokens.length, sourceTokens.length) weights in [0, 1]. */
  readonly weights: ArrayLike<number>;
  readonly title?: string;
}

/** Pixels per cell. */
const CELL = 22;

/** A token as a visible label: space → ␣, control characters → their symbols. */
export function tokenLabel(token: string): string {
  return Array.from(token, (ch) => {
    const code = ch.codePointAt(0) as number;
    if (ch === ' ') return '␣';
    if (code < 0x20) return String.fromCodePoint(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return ch;
  }).join('');
}

/** The Vega-Lite specification of the heatmap: one `rect` per (output, source) cell. */
export function attentionSpec(f: AttentionFigure): Record<string, unknown> {
  const rows = f.outputTokens.length;
  const columns = f.sourceTokens.length;
  if (rows === 0 || columns === 0) throw new Error(`attentionSpec: expected at least one source and one output token, got ${columns} and ${rows}`);
  if (f.weights.length !== rows * columns) {
    throw new Error(`attentionSpec: expected ${rows} × ${columns} = ${rows * columns} weights (outputs × sources), got ${f.weights.length}`);
  }
  const cells: { row: number; column: number; source: string; output: string; weight: number }[] = [];
  for (let t = 0; t < rows; t++) {
    for (let s = 0; s < columns; s++) {
      const weight = f.weights[t * columns + s] as number;
      if (!Number.isFinite(weight)) throw new Error(`attentionSpec: weight (${t}, ${s}) is ${weight}`);
      cells.push({ row: t, column: s, source: tokenLabel(f.sourceTokens[s] as string), output: tokenLabel(f.outputTokens[t] as string), weight });
    }
  }
  /** Axis labels by position (tokens repeat, so positions are the scale's domain). */
  const labels = (tokens: readonly string[]): string => `${JSON.stringify(tokens.map(tokenLabel))}[datum.value]`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(f.title ? { title: f.title } : {}),
    data: { values: cells },
    width: { step: CELL },
    height: { step: CELL },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'column', type: 'ordinal', title: 'source', axis: { orient: 'top', labelAngle: 0, labelExpr: labels(f.sourceTokens), ticks: false, domain: false } },
      y: { field: 'row', type: 'ordinal', title: 'output', axis: { labelExpr: labels(f.outputTokens), ticks: false, domain: false } },
      color: { field: 'weight', type: 'quantitative', title: 'weight', scale: { domain: [0, 1], range: ['#ffffff', '#08306b'], interpolate: 'lab' } },
      tooltip: [{ field: 'output' }, { field: 'source' }, { field: 'weight', format: '.3f' }],
    },
    config: { font: FIGURE_FONTS, axis: { labelFontSize: 13, titleFontSize: 12, labelPadding: 4 }, view: { stroke: '#cccccc' } },
  };
}

/**
 * The heatmap as an SVG document (see {@link renderSvg}).
 * @throws Error saying how to install vega and vega-lite when they are missing.
 */
export async function attentionSvg(f: AttentionFigure): Promise<string> {
  return renderSvg(attentionSpec(f));
}
