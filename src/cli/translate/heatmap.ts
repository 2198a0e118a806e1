/**
 * Attention weights as text for a terminal: source tokens as columns, output
 * tokens as rows, each cell two columns of a Unicode shade block by weight:
 *
 *   '  ' below 0.125,  ░░ below 0.375,  ▒▒ below 0.625,  ▓▓ below 0.875,  ██ from 0.875
 *
 *             N o v ␣ 2 9 , ␣ 2 0 2 6
 *         2                      ██
 *         0                        ██
 *
 * Column headers are the tokens when each fits its two columns, else written
 * downwards, a character per line. Everything fits `width` columns: rows
 * labels are cut to at most 12 columns, and a source too long for one block
 * is shown in several blocks of columns, one under the other.
 */
import { type AttentionFigure, tokenLabel } from '../../figures/attention.js';
import { columnsOf, displayWidth } from '../../text-display.js';

const SHADES = ['  ', '░░', '▒▒', '▓▓', '██'];
const CELL = 2;
const MAX_LABEL = 12;

/** The shade of a weight in [0, 1]. */
export function shade(weight: number): string {
  return SHADES[Math.min(4, Math.max(0, Math.round(weight * 4)))] as string;
}

/** The heatmap as lines of at most `width` columns (see the module comment). */
export function attentionHeatmap(f: AttentionFigure, width = 80): string[] {
  const S = f.sourceTokens.length;
  const T = f.outputTokens.length;
  if (f.weights.length !== S * T) throw new Error(`attentionHeatmap: expected ${T} × ${S} weights, got ${f.weights.length}`);
  const rowLabels = f.outputTokens.map((t) => cut(tokenLabel(t), MAX_LABEL));
  const labelWidth = Math.max(...rowLabels.map(displayWidth));
  const perBlock = Math.max(1, Math.floor((width - labelWidth - 1) / CELL));
  const lines: string[] = [];
  for (let first = 0; first < S; first += perBlock) {
    const last = Math.min(S, first + perBlock);
    if (S > perBlock) lines.push(cut(`source tokens ${first + 1}–${last} of ${S}:`, width));
    for (const header of headers(f.sourceTokens.slice(first, last))) lines.push(`${' '.repeat(labelWidth + 1)}${header}`.trimEnd());
    rowLabels.forEach((label, t) => {
      let row = `${label}${' '.repeat(labelWidth - displayWidth(label))} `;
      for (let s = first; s < last; s++) row += shade(f.weights[t * S + s] as number);
      lines.push(row.trimEnd());
    });
  }
  lines.push(cut(`weights: ░ ≥ 0.125  ▒ ≥ 0.375  ▓ ≥ 0.625  █ ≥ 0.875`, width));
  return lines;
}

/** Header lines over the cells: the labels in one line if each fits a cell, else one character per line. */
function headers(tokens: readonly string[]): string[] {
  const labels = tokens.map(tokenLabel);
  const pad = (text: string): string => `${text}${' '.repeat(Math.max(0, CELL - displayWidth(text)))}`;
  if (labels.every((l) => displayWidth(l) <= CELL)) return [labels.map(pad).join('')];
  const chars = labels.map((l) => Array.from(l));
  const depth = Math.max(...chars.map((c) => c.length));
  return Array.from({ length: depth }, (_, k) => chars.map((c) => pad(c[k] ?? '')).join(''));
}

/** `text` cut to at most `max` columns, ending in `…` when cut. */
function cut(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    if (used + columnsOf(ch) > max - 1) break;
    out += ch;
    used += columnsOf(ch);
  }
  return `${out}…`;
}
