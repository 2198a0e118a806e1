/**
 * What `recurrent train` prints, in one of two forms:
 *
 * - text (default): the run's record on stdout — header, a line per
 *   validation with its sample quoted as text, the result — and the live
 *   progress on stderr (./progress.ts);
 * - JSON lines (`--json`): one object per event on stdout, nothing else
 *   there, no progress display:
 *
 *   {"event":"start","config":{…},"train":{…},"budget":{"steps"?,"seconds"?},
 *    "data":{"source","trainCharacters","validationCharacters","vocabulary"},
 *    "parameters","backend","threads","checkpoint","resumedFrom":null|{"step","elapsedSeconds"}}
 *   {"event":"validation","step","elapsedSeconds","trainLoss","valLoss","bitsPerChar","sample",
 *    "diagnostics"?:{"steps","gradientNorm":{"mean","max"},"clipRate","clipFactor",
 *                        "saturation":{gate: fraction},"keepGate","gradientStartToEnd"}}
 *   {"event":"checkpoint","path","step"}
 *   {"event":"done","step","elapsedSeconds","tokens","tokensPerSecond","valLoss","bitsPerChar",
 *    "perplexity","checkpoint","interrupted":null|"SIGINT"|"SIGTERM"}
 *
 * Losses are in nats per character, bitsPerChar = valLoss / ln 2, perplexity
 * = e^valLoss; elapsedSeconds counts training time (validation excluded); a
 * loss not measured is null. `diagnostics` (only with --diagnostics) are those of
 * the history entry (src/charlm/diagnostics.ts); in text, two lines under the
 * validation line:
 *
 *   gradient norm 0.84 mean, 2.31 max; clipped 4% of steps, by ×0.62; ‖∂L/∂h_0‖/‖∂L/∂h_63‖ 1.87
 *   gates saturated i 2% f 5% g 31% o 3%; forget gate mean 0.58
 *
 * Warnings and errors go to stderr in both forms.
 */
import type { Budget } from '../charlm/budget.js';
import type { TrainingDiagnostics } from '../charlm/diagnostics.js';
import { type CharLMConfig, cellLabel } from '../charlm/model.js';
import { bits, type Progress } from '../charlm/run.js';
import type { HistoryEntry, TrainConfig } from '../charlm/trainer.js';
import { quoteText } from '../text-display.js';
import { formatSeconds } from './options.js';
import { createProgress, type ProgressDisplay } from './progress.js';

export interface TrainStart {
  config: CharLMConfig;
  train: TrainConfig;
  budget: Budget;
  /** The budget in words: `8 steps`, `5m00s of training`. */
  budgetLabel: string;
  data: { source: string; trainCharacters: number; validationCharacters: number; vocabulary: number };
  parameters: number;
  backend: string;
  threads: number;
  /** Why the native kernels are not in use, when the choice was `auto` (empty otherwise). */
  backendNote: string;
  checkpoint: string;
  resumedFrom: { step: number; elapsedSeconds: number } | null;
}

export interface TrainEnd {
  step: number;
  elapsedSeconds: number;
  tokens: number;
  /** Validation loss at the end (nats/char); on an interrupt, the last one measured (NaN if none). */
  valLoss: number;
  checkpoint: string;
  interrupted: NodeJS.Signals | null;
}

export interface TrainReport {
  start(s: TrainStart): void;
  step(p: Progress): void;
  validation(e: HistoryEntry, sample: string): void;
  checkpoint(path: string, step: number): void;
  end(e: TrainEnd): void;
  /** Ends any live display (after an error; idempotent). */
  close(): void;
}

export function createTrainReport(json: boolean): TrainReport {
  return json ? new JsonReport() : new TextReport();
}

/** A loss for JSON: null when not measured (NaN). */
const measured = (x: number): number | null => (Number.isFinite(x) ? x : null);

class JsonReport implements TrainReport {
  start(s: TrainStart): void {
    emit({
      event: 'start', config: s.config, train: s.train, budget: s.budget, data: s.data, parameters: s.parameters,
      backend: s.backend, threads: s.threads, checkpoint: s.checkpoint, resumedFrom: s.resumedFrom,
    });
  }

  step(): void {}

  validation(e: HistoryEntry, sample: string): void {
    emit({
      event: 'validation', step: e.step, elapsedSeconds: e.seconds, trainLoss: measured(e.trainLoss),
      valLoss: measured(e.validationLoss), bitsPerChar: measured(bits(e.validationLoss)), sample,
      ...(e.diagnostics ? { diagnostics: e.diagnostics } : {}), // a ratio not measured (NaN) becomes null
    });
  }

  checkpoint(path: string, step: number): void {
    emit({ event: 'checkpoint', path, step });
  }

  end(e: TrainEnd): void {
    emit({
      event: 'done', step: e.step, elapsedSeconds: e.elapsedSeconds, tokens: e.tokens, tokensPerSecond: e.tokens / Math.max(e.elapsedSeconds, 1e-9),
      valLoss: measured(e.valLoss), bitsPerChar: measured(bits(e.valLoss)), perplexity: measured(Math.exp(e.valLoss)),
      checkpoint: e.checkpoint, interrupted: e.interrupted,
    });
  }

  close(): void {}
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const count = (n: number): string => n.toLocaleString('en-US');
const nats = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** The diagnostics of a validation as text lines (see the module comment); `T` is the training window. */
export function diagnosticsLines(d: TrainingDiagnostics, T: number): string[] {
  const percent = (x: number): string => `${Math.round(100 * x)}%`;
  const clipped = d.clipRate > 0 ? `clipped ${percent(d.clipRate)} of steps, by ×${d.clipFactor.toFixed(2)}` : 'not clipped';
  const lines = [
    `  gradient norm ${significant(d.gradientNorm.mean)} mean, ${significant(d.gradientNorm.max)} max; ${clipped}; ‖∂L/∂h_0‖/‖∂L/∂h_${T - 1}‖ ${significant(d.gradientStartToEnd)}`,
  ];
  const gates = Object.entries(d.saturation).map(([gate, f]) => `${gate} ${percent(f)}`);
  if (gates.length) {
    const keep = d.keepGate === null ? '' : `; ${'f' in d.saturation ? 'forget' : 'update'} gate mean ${d.keepGate.toFixed(2)}`;
    lines.push(`  gates saturated ${gates.join(' ')}${keep}`);
  }
  return lines;
}

/** Three significant digits (`0.841`, `2.31`, `1.2e+3`), or `–` when not measured. */
function significant(x: number): string {
  return Number.isFinite(x) ? (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3) ? x.toExponential(1) : String(Number(x.toPrecision(3)))) : '–';
}

class TextReport implements TrainReport {
  private progress: ProgressDisplay | null = null;
  private window = 0;

  start(s: TrainStart): void {
    const { config, train, data } = s;
    this.window = train.seqLength;
    console.log(`data: ${data.source}`);
    console.log(`text: ${count(data.trainCharacters)} training and ${count(data.validationCharacters)} validation characters, vocabulary ${data.vocabulary}`);
    console.log(`model: ${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, ${count(s.parameters)} parameters`);
    console.log(`kernels: ${s.backend}, ${s.threads} thread${s.threads === 1 ? '' : 's'}${s.backendNote ? ` (${s.backendNote})` : ''}`);
    console.log(`training: batch ${train.batchSize} × ${train.seqLength} characters, ${train.optimizer} lr ${train.lr}, clip ${train.clip}`);
    console.log(`budget: ${s.budgetLabel}`);
    if (s.resumedFrom) console.log(`resuming from ${s.checkpoint} at step ${s.resumedFrom.step} (${formatSeconds(s.resumedFrom.elapsedSeconds)} trained)`);
    this.progress = createProgress(s.budgetLabel);
  }

  step(p: Progress): void {
    this.progress?.update(p);
  }

  validation(e: HistoryEntry, sample: string): void {
    const log = (line: string): void => (this.progress ? this.progress.log(line) : console.log(line));
    log(`step ${e.step} (${formatSeconds(e.seconds)}): train ${nats(e.trainLoss, 3)} nats, validation ${nats(e.validationLoss, 3)} nats = ${nats(bits(e.validationLoss), 3)} bits/char`);
    if (e.diagnostics) for (const line of diagnosticsLines(e.diagnostics, this.window)) log(line);
    if (!sample) return;
    const width = process.stdout.isTTY ? process.stdout.columns || 80 : Infinity;
    for (const line of quoteText('  sample', sample, width)) log(line);
  }

  checkpoint(): void {}

  end(e: TrainEnd): void {
    this.close();
    if (e.interrupted) {
      console.log(`Interrupted at step ${e.step} (${e.interrupted}): checkpoint saved to ${e.checkpoint}.`);
      console.log(`Continue with: recurrent train --resume --checkpoint ${e.checkpoint}`);
      return;
    }
    console.log(`done: ${e.step} steps, ${formatSeconds(e.elapsedSeconds)} of training, ${count(Math.round(e.tokens / e.elapsedSeconds))} tokens/s`);
    console.log(`validation: ${nats(e.valLoss, 4)} nats/char = ${nats(bits(e.valLoss), 4)} bits/char (perplexity ${nats(Math.exp(e.valLoss), 2)})`);
    console.log(`checkpoint: ${e.checkpoint}`);
  }

  close(): void {
    this.progress?.stop();
  }
}
