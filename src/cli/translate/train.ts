/**
 * `recurrent translate train`: train a sequence-to-sequence model with
 * attention — on the built-in dates task, or on a Tatoeba file (Chinese →
 * English, the benchmark's split and model) — with validation on the dev
 * pairs, the best and the last checkpoint, and exact resume. The rules (the
 * schedule, what a resume must keep, the checkpoint's paths and locks) live
 * in the library (src/seq2seq/run.ts); this file turns options into a run
 * and prints it.
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { AttentionKind } from '../../attention/index.js';
import type { CellType } from '../../cells/index.js';
import { resolveBudget } from '../../charlm/budget.js';
import { ResumeError } from '../../charlm/resume.js';
import type { TranslatorCheckpoint } from '../../seq2seq/checkpoint.js';
import { bestCheckpointPath, loadTranslator } from '../../seq2seq/checkpoint-file.js';
import { checkSeq2SeqMemory } from '../../seq2seq/memory.js';
import { completeConfig, Seq2Seq, type Seq2SeqConfig } from '../../seq2seq/model.js';
import { runTranslationTraining, type TranslationTrainConfig } from '../../seq2seq/run.js';
import { datesTask, describeTask, taskMetric, type TranslationTask } from '../../seq2seq/task.js';
import { loadTask, tatoebaTask } from '../../seq2seq/task-file.js';
import { type BackendChoice, backendNote, chooseBackend, startThreads } from '../backend.js';
import { budgetLabel, budgetWarnings, isFile, listenForStop, SIGNAL_EXIT, warn } from '../training.js';
import { createTranslateTrainReport } from './report.js';

export interface TranslateTrainOptions {
  data?: string;
  attention: AttentionKind | 'none';
  cell: CellType;
  hidden?: number;
  embedding?: number;
  layers: number;
  bidirectional: boolean;
  batch: number;
  lr: number;
  clip: number;
  teacherForcing: number;
  maxLength: number;
  time?: number;
  epochs?: number;
  steps?: number;
  validateEvery?: number;
  checkpoint?: string;
  checkpointEvery: number;
  seed: number;
  threads?: number;
  backend: BackendChoice;
  resume: boolean;
  force: boolean;
  json: boolean;
}

/** What differs between the two tasks when no option says otherwise. */
export const TASK_DEFAULTS = {
  dates: { hidden: 64, embedding: 32, seconds: 60, validateEvery: 10, checkpoint: 'checkpoints/translate-dates.safetensors' },
  tatoeba: { hidden: 256, embedding: 128, seconds: 1200, validateEvery: 120, checkpoint: 'checkpoints/translate-zh-en.safetensors' },
} as const;

/** Refuse a run whose estimated memory is more than this fraction of the machine's (unless --force). */
const MEMORY_FRACTION = 0.5;

/** The option that sets each setting a resume must keep (see src/seq2seq/resume.ts). */
const OPTION_OF: Readonly<Record<string, string>> = {
  'config.embeddingSize': '--embedding', 'config.hiddenSize': '--hidden', 'config.attentionSize': '--hidden', 'config.numLayers': '--layers',
  'config.cell': '--cell', 'config.bidirectional': '--bidirectional', 'config.attention': '--attention', 'config.seed': '--seed',
  'train.batchSize': '--batch', 'train.lr': '--lr', 'train.clip': '--clip', 'train.teacherForcing': '--teacher-forcing',
  'train.seed': '--seed', 'train.maxLength': '--max-length',
};

export async function translateTrainCommand(o: TranslateTrainOptions, explicit: ReadonlySet<string>): Promise<number> {
  const checkpoint = o.checkpoint ?? TASK_DEFAULTS[o.data === undefined ? 'dates' : 'tatoeba'].checkpoint;
  if (o.resume && !existsSync(checkpoint)) throw new Error(`translate train --resume: no checkpoint at ${checkpoint}`);
  const saved = o.resume ? loadTranslator(checkpoint) : null;
  const task = readTask(o.data, saved);
  const defaults = TASK_DEFAULTS[task.source.kind];
  /** On resume, an option not given keeps the checkpoint's value; one given is checked against it by the run. */
  const pick = <K extends keyof TranslateTrainOptions, V>(key: K, kept: V | undefined, fallback: V): V =>
    saved && !explicit.has(key) && kept !== undefined ? kept : ((o[key] as V | undefined) ?? fallback);

  const bidirectional = pick('bidirectional', saved?.config.bidirectional, o.bidirectional);
  const config: Seq2SeqConfig = completeConfig({
    sourceVocabSize: task.sourceVocabulary.size, targetVocabSize: task.targetVocabulary.size,
    embeddingSize: pick('embedding', saved?.config.embeddingSize, defaults.embedding), hiddenSize: pick('hidden', saved?.config.hiddenSize, defaults.hidden),
    numLayers: pick('layers', saved?.config.numLayers, o.layers), cell: pick('cell', saved?.config.cell, o.cell),
    bidirectional, attention: checkedAttention(pick('attention', saved?.config.attention, o.attention), bidirectional),
    seed: pick('seed', saved?.config.seed, o.seed),
  });
  const train: TranslationTrainConfig = {
    batchSize: pick('batch', saved?.train.batchSize, o.batch), lr: pick('lr', saved?.train.lr, o.lr), clip: pick('clip', saved?.train.clip, o.clip),
    teacherForcing: pick('teacherForcing', saved?.train.teacherForcing, o.teacherForcing), seed: pick('seed', saved?.train.seed, o.seed),
    maxLength: pick('maxLength', saved?.train.maxLength, o.maxLength),
  };
  const batchesPerEpoch = Math.ceil(task.train.length / train.batchSize);
  // An epoch is batchesPerEpoch steps: resolveBudget's `epochs · characters / (seqLength · batchSize)` with characters = batches, 1 × 1.
  const budget = resolveBudget({ seconds: o.time, steps: o.steps, epochs: o.epochs }, batchesPerEpoch, { seqLength: 1, batchSize: 1 }, saved?.budget ?? { seconds: defaults.seconds });
  const validateEvery = o.validateEvery ?? defaults.validateEvery;

  checkSeq2SeqMemory(config, train, MEMORY_FRACTION * totalmem(), o.force);
  const backend = await chooseBackend(o.backend, o.threads);
  const threads = await startThreads(backend);
  const model = new Seq2Seq(config, { backend });
  for (const w of budgetWarnings(o, budget)) warn(w);
  if (!saved && isFile(checkpoint)) warn(`${checkpoint} exists and will be replaced by this new model (use --resume to continue it instead)`);
  const best = bestCheckpointPath(checkpoint);
  const report = createTranslateTrainReport(o.json);
  report.start({
    task: task.source.kind, metric: taskMetric(task.source), description: describeTask(task.source), config: model.config, train, budget, budgetLabel: budgetLabel(budget), validateEvery,
    data: {
      source: task.source.kind === 'dates' ? 'dates' : task.source.path,
      pairs: { train: task.train.length, dev: task.dev.length, test: task.test.length },
      vocabulary: { source: task.sourceVocabulary.size, target: task.targetVocabulary.size },
    },
    parameters: model.params.size, backend: backend.name, threads, backendNote: backendNote(o.backend, backend), checkpoint, bestCheckpoint: best,
    resumedFrom: saved ? { step: saved.trainer.steps, elapsedSeconds: saved.progress.seconds } : null,
  });

  const stop = listenForStop(() => report.close());
  try {
    const result = await runTranslationTraining(
      {
        model, task, train, budget, checkpoint, checkpointEvery: o.checkpointEvery, validateEvery,
        ...(saved ? { resume: saved } : {}),
        shouldStop: () => stop.received !== null,
      },
      {
        onStep: (p) => report.step(p),
        onValidation: (v) => report.validation(v),
        onCheckpoint: (path, step, which) => report.checkpoint(path, step, which),
      },
    );
    const interrupted = result.stoppedEarly ? stop.received ?? 'SIGINT' : null;
    report.end({
      step: result.trainer.steps, epoch: result.progress.epoch, elapsedSeconds: result.progress.seconds, pairs: result.trainer.pairs,
      best: result.progress.best, metric: taskMetric(task.source), checkpoint, bestCheckpoint: best, interrupted,
    });
    return interrupted ? SIGNAL_EXIT[interrupted] ?? 130 : 0;
  } catch (e) {
    report.close();
    if (e instanceof ResumeError) throw new Error(`translate train --resume: ${resumeMessage(e)}`, { cause: e });
    throw e;
  } finally {
    stop.dispose();
  }
}

/** The data: `--data`, else on resume the data the checkpoint records, else the dates task. */
function readTask(data: string | undefined, saved: TranslatorCheckpoint | null): TranslationTask {
  if (data !== undefined) return tatoebaTask(data);
  if (!saved) return datesTask();
  try {
    return loadTask(saved.data);
  } catch (e) {
    throw new Error(`${(e as Error).message} (the data this checkpoint was trained on; if it moved, give it with --data)`, { cause: e });
  }
}

/** Dot attention compares decoder states with encoder outputs directly, so they must have one size. */
function checkedAttention(attention: AttentionKind | 'none', bidirectional: boolean): AttentionKind | 'none' {
  if (attention === 'dot' && bidirectional) {
    throw new Error('translate train: --attention dot scores decoder states against encoder outputs directly, and a bidirectional encoder\'s are twice as long: add --no-bidirectional, or use --attention general');
  }
  return attention;
}

/** A resume conflict in terms of options: `the checkpoint was trained with --hidden 64 (this run: 32)`. */
function resumeMessage(e: ResumeError): string {
  if (e.conflicts.length === 0) return e.message.replace(/^resume: /, '');
  const shown = (setting: string, value: string | number | null): string =>
    setting === 'config.bidirectional' ? (value === 'true' ? '--bidirectional' : '--no-bidirectional') : `${OPTION_OF[setting] ?? setting} ${value}`;
  const list = e.conflicts.map((c) => `${shown(c.setting, c.saved)} (this run: ${shown(c.setting, c.requested)})`);
  return `the checkpoint was trained with ${[...new Set(list)].join(', ')}; a resumed run must keep its configuration (drop those options, or train a new model with another --checkpoint)`;
}
