/**
 * What `recurrent translate train` prints, in one of two forms:
 *
 * - text (default): the run's record on stdout — header, a line per
 *   validation with three dev translations, the result — and the live
 *   progress on stderr (../progress.ts);
 * - JSON lines (`--json`): one object per event on stdout, nothing else
 *   there, no progress display:
 *
 *   {"event":"start","task":"dates"|"tatoeba","metric":"accuracy"|"bleu","config":{…},"train":{…},
 *    "budget":{"steps"?,"seconds"?},"data":{"source","pairs":{"train","dev","test"},"vocabulary":{"source","target"}},
 *    "parameters","backend","threads","checkpoint","bestCheckpoint","resumedFrom":null|{"step","elapsedSeconds"}}
 *   {"event":"validation","step","epoch","elapsedSeconds","trainLoss","bleu","multiReferenceBleu","accuracy",
 *    "evalSeconds","best","samples":[{"source","reference","translation","correct"}]}
 *   {"event":"checkpoint","path","step","best"}
 *   {"event":"done","step","epoch","elapsedSeconds","pairs","pairsPerSecond",
 *    "best":null|{"step","elapsedSeconds","score"},"checkpoint","bestCheckpoint","interrupted":null|"SIGINT"|"SIGTERM"}
 *
 * Scores are points in [0, 100]: BLEU-4 with the n-gram-count denominator
 * (as the numbers of ../shared/BENCHMARKS.md), accuracy in percent; trainLoss in
 * nats per target token (null if not measured); elapsedSeconds = training
 * time (validation excluded).
 *
 * Warnings and errors go to stderr in both forms.
 */
import type { Budget } from '../../charlm/budget.js';
import { EVALUATION_MAX_TOKENS } from '../../seq2seq/evaluate.js';
import type { Seq2SeqConfig } from '../../seq2seq/model.js';
import type { BestValidation, StepProgress, TranslationTrainConfig, ValidationReport } from '../../seq2seq/run.js';
import type { TaskMetric } from '../../seq2seq/task.js';
import { visibleText } from '../../text-display.js';
import { formatSeconds } from '../options.js';
import { createStatusDisplay, type StatusDisplay } from '../progress.js';

export interface TranslateTrainStart {
  task: 'dates' | 'tatoeba';
  metric: TaskMetric;
  /** The data in words. */
  description: string;
  config: Seq2SeqConfig;
  train: TranslationTrainConfig;
  budget: Budget;
  /** The budget in words: `8 steps`, `1m00s of training`. */
  budgetLabel: string;
  validateEvery: number;
  data: { source: string; pairs: { train: number; dev: number; test: number }; vocabulary: { source: number; target: number } };
  parameters: number;
  backend: string;
  threads: number;
  /** Why the native kernels are not in use, when the choice was `auto` (empty otherwise). */
  backendNote: string;
  checkpoint: string;
  bestCheckpoint: string;
  resumedFrom: { step: number; elapsedSeconds: number } | null;
}

export interface TranslateTrainEnd {
  step: number;
  epoch: number;
  elapsedSeconds: number;
  pairs: number;
  best: BestValidation | null;
  metric: TaskMetric;
  checkpoint: string;
  bestCheckpoint: string;
  interrupted: NodeJS.Signals | null;
}

export interface TranslateTrainReport {
  start(s: TranslateTrainStart): void;
  step(p: StepProgress): void;
  validation(v: ValidationReport): void;
  checkpoint(path: string, step: number, which: 'last' | 'best'): void;
  end(e: TranslateTrainEnd): void;
  /** Ends any live display (after an error; idempotent). */
  close(): void;
}

export function createTranslateTrainReport(json: boolean): TranslateTrainReport {
  return json ? new JsonReport() : new TextReport();
}

/** A number for JSON: null when not measured (NaN). */
const measured = (x: number): number | null => (Number.isFinite(x) ? x : null);

class JsonReport implements TranslateTrainReport {
  start(s: TranslateTrainStart): void {
    emit({
      event: 'start', task: s.task, metric: s.metric, config: s.config, train: s.train, budget: s.budget, data: s.data,
      parameters: s.parameters, backend: s.backend, threads: s.threads, checkpoint: s.checkpoint, bestCheckpoint: s.bestCheckpoint, resumedFrom: s.resumedFrom,
    });
  }

  step(): void {}

  validation(v: ValidationReport): void {
    const e = v.entry;
    emit({
      event: 'validation', step: e.step, epoch: e.epoch, elapsedSeconds: e.seconds, trainLoss: measured(e.trainLoss),
      bleu: e.bleu, multiReferenceBleu: e.multiReferenceBleu, accuracy: e.accuracy, evalSeconds: e.evalSeconds, best: v.improved, samples: v.samples,
    });
  }

  checkpoint(path: string, step: number, which: 'last' | 'best'): void {
    emit({ event: 'checkpoint', path, step, best: which === 'best' });
  }

  end(e: TranslateTrainEnd): void {
    emit({
      event: 'done', step: e.step, epoch: e.epoch, elapsedSeconds: e.elapsedSeconds, pairs: e.pairs, pairsPerSecond: e.pairs / Math.max(e.elapsedSeconds, 1e-9),
      best: e.best ? { step: e.best.step, elapsedSeconds: e.best.seconds, score: e.best.score } : null,
      checkpoint: e.checkpoint, bestCheckpoint: e.bestCheckpoint, interrupted: e.interrupted,
    });
  }

  close(): void {}
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const count = (n: number): string => n.toLocaleString('en-US');
const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** `dev accuracy 99.7%` or `dev BLEU 21.3`: a score by the task's metric. */
export function scoreLabel(metric: TaskMetric, score: number): string {
  return metric === 'accuracy' ? `accuracy ${fixed(score, 1)}%` : `BLEU ${fixed(score, 2)}`;
}

/** How the dev pairs are scored, in words. */
export function metricDescription(metric: TaskMetric, maxTokens: number): string {
  const decoding = `greedy decoding (≤ ${maxTokens} tokens)`;
  return metric === 'accuracy'
    ? `exact match, ${decoding}`
    : `corpus BLEU-4 with the paper's n-gram-count denominator (as sacreBLEU and the benchmark; multi-reference BLEU beside it), ${decoding}`;
}

/** The model in words: `GRU 1×64, bidirectional encoder, general attention, embedding 32`. */
export function modelLabel(c: Seq2SeqConfig): string {
  const cell = { gru: 'GRU', lstm: 'LSTM', rnn_tanh: 'RNN (tanh)', rnn_relu: 'RNN (ReLU)', rnn_leaky_relu: 'RNN (leaky ReLU)' }[c.cell];
  const attention = c.attention === 'none' ? 'no attention' : `${c.attention} attention`;
  return `${cell} ${c.numLayers}×${c.hiddenSize}, ${c.bidirectional ? 'bidirectional' : 'one-direction'} encoder, ${attention}, embedding ${c.embeddingSize}`;
}

class TextReport implements TranslateTrainReport {
  private progress: StatusDisplay<StepProgress> | null = null;
  private metric: TaskMetric = 'bleu';

  start(s: TranslateTrainStart): void {
    const { data, train } = s;
    this.metric = s.metric;
    console.log(`data: ${s.description}`);
    console.log(`pairs: ${count(data.pairs.train)} training, ${count(data.pairs.dev)} dev, ${count(data.pairs.test)} test; vocabularies: ${count(data.vocabulary.source)} source, ${count(data.vocabulary.target)} target tokens`);
    console.log(`model: ${modelLabel(s.config)}, ${count(s.parameters)} parameters`);
    console.log(`kernels: ${s.backend}, ${s.threads} thread${s.threads === 1 ? '' : 's'}${s.backendNote ? ` (${s.backendNote})` : ''}`);
    console.log(`training: batch ${train.batchSize}, adam lr ${train.lr}, clip ${train.clip}, teacher forcing ${train.teacherForcing}, sentences of at most ${train.maxLength} tokens`);
    console.log(`budget: ${s.budgetLabel}; dev every ${formatSeconds(s.validateEvery)}: ${metricDescription(s.metric, EVALUATION_MAX_TOKENS)}`);
    if (s.resumedFrom) console.log(`resuming from ${s.checkpoint} at step ${s.resumedFrom.step} (${formatSeconds(s.resumedFrom.elapsedSeconds)} trained)`);
    const metric = s.metric;
    this.progress = createStatusDisplay((p: StepProgress) => ({
      fraction: p.fraction,
      parts: [
        { order: 0, text: `step ${count(p.step)}` },
        { order: 3, text: `ETA ${formatSeconds(p.fraction > 0 ? (p.seconds * (1 - p.fraction)) / p.fraction : Number.NaN)}` },
        { order: 1, text: `train ${fixed(p.trainLoss, 3)} · dev ${p.last ? scoreLabel(metric, metric === 'accuracy' ? p.last.accuracy : p.last.bleu) : '–'}` },
        { order: 2, text: `${count(Math.round(p.pairsPerSecond))} pairs/s` },
        { order: 4, text: `epoch ${p.epoch}` },
        { order: 5, text: `budget ${s.budgetLabel}` },
      ],
    }));
  }

  step(p: StepProgress): void {
    this.progress?.update(p);
  }

  validation(v: ValidationReport): void {
    const log = (line: string): void => (this.progress ? this.progress.log(line) : console.log(line));
    const e = v.entry;
    const beside = v.metric === 'accuracy' ? `BLEU ${fixed(e.bleu, 2)}` : `multi-reference ${fixed(e.multiReferenceBleu, 2)}`;
    log(`step ${count(e.step)} (${formatSeconds(e.seconds)}, epoch ${e.epoch}): train ${fixed(e.trainLoss, 3)} nats/token, dev ${scoreLabel(v.metric, v.score)} (${beside}), evaluated in ${e.evalSeconds.toFixed(1)} s${v.improved ? ' ★ best' : ''}`);
    for (const s of v.samples) {
      log(`  ${s.correct ? '✓' : '✗'} ${visibleText(s.source)} → ${visibleText(s.translation)}${s.correct ? '' : `   (reference: ${visibleText(s.reference)})`}`);
    }
  }

  checkpoint(): void {}

  end(e: TranslateTrainEnd): void {
    this.close();
    if (e.interrupted) {
      console.log(`Interrupted at step ${e.step} (${e.interrupted}): checkpoint saved to ${e.checkpoint}.`);
      console.log(`Continue with: recurrent translate train --resume --checkpoint ${e.checkpoint}`);
      return;
    }
    console.log(`done: ${count(e.step)} steps (epoch ${e.epoch}), ${formatSeconds(e.elapsedSeconds)} of training, ${count(Math.round(e.pairs / Math.max(e.elapsedSeconds, 1e-9)))} pairs/s`);
    if (e.best) console.log(`best: dev ${scoreLabel(e.metric, e.best.score)} at step ${count(e.best.step)} (${formatSeconds(e.best.seconds)}) → ${e.bestCheckpoint}`);
    console.log(`checkpoint: ${e.checkpoint}`);
    console.log(`test: recurrent translate eval --checkpoint ${e.bestCheckpoint}`);
  }

  close(): void {
    this.progress?.stop();
  }
}
