/**
 * A training run's history as one figure of panels, against the step of
 * each validation:
 *
 * Character model ({@link charLMTrainingSpec}):
 *   loss             training (the run's moving average) and validation, nats/char
 *   and, for the entries that recorded diagnostics (src/charlm/diagnostics.ts):
 *   gradient norm    before clipping, mean and max over the interval (log
 *                    scale), with the clip threshold
 *   clipping         fraction of steps clipped, mean factor of those clipped
 *                    (left out when no step was: the gradient panel says so)
 *   gates            saturated fraction of each gate, and the mean activation
 *                    of the gate that keeps the state (LSTM f, GRU z; dashed)
 *   start/end gradient   Σ‖∂L/∂h_0‖ / Σ‖∂L/∂h_T−1‖ of the first layer
 *
 * Translation model ({@link translationTrainingSpec}):
 *   loss             training loss between validations, nats/token
 *   dev score        BLEU, multi-reference BLEU and exact match, in points
 *
 * Specifications only (plain data in, Vega-Lite out): draw with `renderSvg`
 * (./render.ts).
 */
import type { HistoryEntry } from '../charlm/trainer.js';
import type { HistoryEntry as TranslationHistoryEntry } from '../seq2seq/run.js';
import { type LineChart, type LineSeries, panelsSpec } from './lines.js';

/** At least this many validations make a figure (a single one draws as points). */
export const MIN_HISTORY = 1;

const GATE_LABELS: Readonly<Record<string, string>> = {
  i: 'i (input)', f: 'f (forget)', g: 'g (candidate)', o: 'o (output)', r: 'r (reset)', z: 'z (update)', n: 'n (candidate)',
};

/** Checks there is something to draw. */
function checkHistory(length: number, where: string): void {
  if (length < MIN_HISTORY) {
    throw new Error(`${where}: the history has no validation; a figure needs at least ${MIN_HISTORY}`);
  }
}

function series(name: string, x: readonly number[], y: readonly number[], dash = false): LineSeries {
  return { name, x, y, ...(dash ? { dash: true } : {}) };
}

const WIDTH = 360;
const HEIGHT = 200;

/** `h₆₃` */
function state(t: number): string {
  return `h${String(t).replace(/\d/g, (d) => String.fromCodePoint(0x2080 + Number(d)))}`;
}

/** What the character model's panels need besides the history. */
export interface CharLMFigureOptions {
  /** The run's clip threshold (0 = none), drawn in the gradient panel. */
  clip?: number;
  /** The training window T, to name the last state h_{T−1}. */
  window?: number;
  title?: string;
}

/**
 * The panels of a character model's history (see the module comment).
 * @throws when the history has fewer than {@link MIN_HISTORY} entries.
 */
export function charLMTrainingCharts(history: readonly HistoryEntry[], options: CharLMFigureOptions = {}): LineChart[] {
  const clip = options.clip ?? 0;
  checkHistory(history.length, 'charLMTrainingCharts');
  const size = { width: WIDTH, height: HEIGHT };
  const steps = history.map((h) => h.step);
  const charts: LineChart[] = [{
    title: 'loss', xTitle: 'step', yTitle: 'nats/char', ...size,
    series: [series('train (moving average)', steps, history.map((h) => h.trainLoss)), series('validation', steps, history.map((h) => h.validationLoss), true)],
  }];
  const diagnosed = history.filter((h) => h.diagnostics);
  if (diagnosed.length === 0) return charts;
  const x = diagnosed.map((h) => h.step);
  const d = diagnosed.map((h) => h.diagnostics!);
  const clipped = d.some((v) => v.clipRate > 0);
  charts.push({
    title: clip === 0 ? 'gradient norm (no clipping)' : `gradient norm before clipping${clipped ? '' : ' (no step clipped)'}`,
    xTitle: 'step', yTitle: '‖∇L‖₂', yLog: true, ...size,
    series: [
      series('mean', x, d.map((v) => v.gradientNorm.mean)), series('max', x, d.map((v) => v.gradientNorm.max), true),
      ...(clip > 0 ? [series(`clip threshold ${clip}`, x, x.map(() => clip), true)] : []),
    ],
  });
  if (clipped) {
    charts.push({
      title: 'clipping', xTitle: 'step', yTitle: 'fraction', yDomain: [0, 1], ...size,
      series: [series('steps clipped', x, d.map((v) => v.clipRate)), series('factor when clipped', x, d.map((v) => (v.clipRate > 0 ? v.clipFactor : NaN)), true)],
    });
  }
  const gates = [...new Set(d.flatMap((v) => Object.keys(v.saturation)))];
  if (gates.length > 0) {
    const keep = d.some((v) => v.keepGate !== null) ? (gates.includes('f') ? 'forget gate' : 'update gate') : null;
    charts.push({
      title: 'gates: fraction saturated', xTitle: 'step', yTitle: 'fraction', yDomain: [0, 1], ...size,
      series: [
        ...gates.map((g) => series(GATE_LABELS[g] ?? g, x, d.map((v) => v.saturation[g as 'i'] ?? NaN))),
        ...(keep ? [series(`${keep}: mean activation`, x, d.map((v) => v.keepGate ?? NaN), true)] : []),
      ],
    });
  }
  const last = options.window ? state(options.window - 1) : 'h_T−1';
  charts.push({
    title: 'gradient of the first state / of the last (layer 0)', xTitle: 'step', yTitle: `‖∂L/∂h₀‖ / ‖∂L/∂${last}‖`, ...size,
    series: [series('first / last', x, d.map((v) => v.gradientStartToEnd))],
  });
  return charts;
}

/** A character model's history as one Vega-Lite figure (panels two to a row). */
export function charLMTrainingSpec(history: readonly HistoryEntry[], options: CharLMFigureOptions = {}): Record<string, unknown> {
  return panelsSpec(charLMTrainingCharts(history, options), { columns: 2, ...(options.title ? { title: options.title } : {}) });
}

/**
 * The panels of a translation model's history: training loss and dev scores.
 * @throws when the history has fewer than {@link MIN_HISTORY} entries.
 */
export function translationTrainingCharts(history: readonly TranslationHistoryEntry[]): LineChart[] {
  checkHistory(history.length, 'translationTrainingCharts');
  const size = { width: WIDTH, height: HEIGHT };
  const steps = history.map((h) => h.step);
  return [
    { title: 'training loss', xTitle: 'step', yTitle: 'nats/token', ...size, series: [series('train', steps, history.map((h) => h.trainLoss))] },
    {
      title: 'dev score', xTitle: 'step', yTitle: 'points (0–100)', yDomain: [0, 100], ...size,
      series: [
        series('BLEU', steps, history.map((h) => h.bleu)), series('multi-reference BLEU', steps, history.map((h) => h.multiReferenceBleu), true),
        series('exact match %', steps, history.map((h) => h.accuracy)),
      ],
    },
  ];
}

/** A translation model's history as one Vega-Lite figure. */
export function translationTrainingSpec(history: readonly TranslationHistoryEntry[], options: { title?: string } = {}): Record<string, unknown> {
  return panelsSpec(translationTrainingCharts(history), { columns: 2, ...(options.title ? { title: options.title } : {}) });
}
