/**
 * A whole training run of a translation model: the loop the command line
 * uses (`recurrent translate train`), as a function an app can call. It owns
 * the schedule — epochs of bucketed batches, when to validate, checkpoint
 * and stop — and reports through callbacks.
 *
 *   each step      one batch (./batches.ts, reshuffled every epoch), one
 *                  Seq2SeqTrainer step (Adam, clipping, teacher forcing)
 *   validation     every `validateEvery` seconds of training and at the end:
 *                  the dev pairs translated greedily (./evaluate.ts), BLEU,
 *                  multi-reference BLEU and exact-match accuracy; the task's
 *                  metric (./task.ts: accuracy for dates, BLEU for Tatoeba)
 *                  picks the best
 *   checkpoints    CHECKPOINT every `checkpointEvery` seconds of wall time,
 *                  at the end and when stopped; CHECKPOINT with `.best` before
 *                  its extension whenever the dev score improves (the
 *                  benchmark reports the test score of that one)
 *
 * The budget (../charlm/budget.ts) counts training time only — validation
 * excluded, as the benchmark's reference script counts it — and a resumed run
 * counts the time already spent. Resuming continues exactly: the epoch's
 * batches are drawn again from the shuffler's state at the epoch's start and
 * the run goes on from the next batch, with the trainer's state restored, so
 * the losses are those of an uninterrupted run, bit for bit.
 *
 * Before the first step it refuses what would waste or lose a run: a resume
 * that would not continue its checkpoint (./resume.ts), training pairs longer
 * than `maxLength`, a checkpoint path that cannot be written, and a
 * checkpoint another process is writing (lock files, ../io/lock.ts).
 */
import { driveLoop } from '../train/drive.js';
import { type Budget, budgetFraction, budgetSpent } from '../charlm/budget.js';
import { type FileLock, lockCheckpoint } from '../io/lock.js';
import { Random, type RandomState } from '../random.js';
import { bucketedBatches, type EncodedPair } from './batches.js';
import type { PairBatch } from './batch.js';
import type { TranslatorCheckpoint } from './checkpoint.js';
import { bestCheckpointPath, saveTranslator } from './checkpoint-file.js';
import { evaluateTranslation, EVALUATION_MAX_TOKENS } from './evaluate.js';
import type { Seq2Seq } from './model.js';
import { checkTranslationResume } from './resume.js';
import { detokenizeTarget, type TaskMetric, taskMetric, type TranslationTask } from './task.js';
import { Seq2SeqTrainer } from './trainer.js';

/** How a translation model is trained (the model's own configuration is its Seq2SeqConfig). */
export interface TranslationTrainConfig {
  batchSize: number;
  lr: number;
  /** Global L2 norm the gradients are clipped to (0 = no clipping). */
  clip: number;
  /** Probability that a decoder input is the reference token. */
  teacherForcing: number;
  /** Seed of the teacher-forcing draws; the batch shuffler's generator is seeded with seed + 1. */
  seed: number;
  /** Longest source and target sentence, in tokens, trained on and translated. */
  maxLength: number;
}

/** The benchmark's training settings (../shared/BENCHMARKS.md), and a length limit above every pair it keeps. */
export const TRANSLATION_TRAIN_DEFAULTS: Readonly<TranslationTrainConfig> = { batchSize: 64, lr: 1e-3, clip: 5, teacherForcing: 1, seed: 0, maxLength: 50 };

/** One validation on the dev pairs. */
export interface HistoryEntry {
  step: number;
  /** The epoch being trained (1 = the first pass over the training pairs). */
  epoch: number;
  /** Training seconds so far (validation excluded). */
  seconds: number;
  /** Mean training loss (nats per target token) of the steps since the previous validation; NaN if none. */
  trainLoss: number;
  /** Dev corpus BLEU-4 in points (one segment per pair). */
  bleu: number;
  /** Dev corpus BLEU-4 in points, all references of each distinct source. */
  multiReferenceBleu: number;
  /** Dev exact matches, in percent. */
  accuracy: number;
  /** Wall-clock seconds the validation took. */
  evalSeconds: number;
}

/** The best validation so far. */
export interface BestValidation {
  step: number;
  seconds: number;
  /** The task's metric, in points. */
  score: number;
}

/** Where a run is: what the trainer's snapshot does not hold. */
export interface RunProgress {
  /** Training seconds so far (validation excluded). */
  seconds: number;
  /** The epoch being trained, from 1. */
  epoch: number;
  /** Index of the next batch in the epoch. */
  batch: number;
  /** The batch shuffler's state when the epoch's batches were drawn. */
  epochRandom: RandomState;
  /** Training losses summed since the last validation, and their number. */
  lossSum: number;
  lossCount: number;
  best: BestValidation | null;
}

export interface TranslationRunOptions {
  model: Seq2Seq;
  task: TranslationTask;
  train: TranslationTrainConfig;
  budget: Budget;
  /** Checkpoint path (none = no checkpoints); the best one goes to {@link bestCheckpointPath} of it. */
  checkpoint?: string;
  /** Wall-clock seconds between checkpoints (default 60). */
  checkpointEvery?: number;
  /** Training seconds between validations (default 30). */
  validateEvery?: number;
  /** Dev translations shown at each validation (default 3). */
  samples?: number;
  /** A checkpoint to continue: its weights and states are restored after {@link checkTranslationResume}. */
  resume?: TranslatorCheckpoint;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
}

export interface StepProgress {
  step: number;
  /** This step's training loss (nats per target token). */
  loss: number;
  epoch: number;
  seconds: number;
  pairs: number;
  pairsPerSecond: number;
  /** Mean training loss since the last validation (nats per target token). */
  trainLoss: number;
  /** Fraction of the budget done, in [0, 1]. */
  fraction: number;
  last: HistoryEntry | null;
  best: BestValidation | null;
}

/** A dev pair as text, and the model's translation of its source. */
export interface SampleTranslation {
  source: string;
  reference: string;
  translation: string;
  /** Whether the translation's tokens are the reference's. */
  correct: boolean;
}

export interface ValidationReport {
  entry: HistoryEntry;
  metric: TaskMetric;
  /** The entry's score by the task's metric. */
  score: number;
  /** Whether it beats every earlier validation (the best checkpoint was written). */
  improved: boolean;
  samples: SampleTranslation[];
}

export interface TranslationRunCallbacks {
  onStep?(p: StepProgress): void;
  onValidation?(v: ValidationReport): void;
  onCheckpoint?(path: string, step: number, which: 'last' | 'best'): void;
}

export interface TranslationRunResult {
  trainer: Seq2SeqTrainer;
  progress: RunProgress;
  history: HistoryEntry[];
  stoppedEarly: boolean;
}

/**
 * Trains until the budget is spent or `shouldStop` returns true, letting the
 * event loop run between steps (every few milliseconds) so a signal handler
 * or a progress display can run during training.
 */
export async function runTranslationTraining(o: TranslationRunOptions, cb: TranslationRunCallbacks = {}): Promise<TranslationRunResult> {
  return driveLoop(trainingLoop(o, cb));
}

/** The training pairs as ids, each refused if longer than `maxLength` tokens on either side. */
export function encodeTrainingPairs(task: TranslationTask, maxLength: number): EncodedPair[] {
  return task.train.map((p, i) => {
    const where = (): string => (task.source.kind === 'tatoeba' ? `${task.source.path}:${p.line ?? '?'}` : `training pair ${i + 1}`);
    for (const [side, tokens] of [['source', p.sourceTokens], ['target', p.targetTokens]] as const) {
      if (tokens.length > maxLength) {
        throw new Error(`train: ${where()}: the ${side} sentence has ${tokens.length} tokens, more than the maximum length ${maxLength} (--max-length)`);
      }
    }
    return { source: task.sourceVocabulary.encode(p.sourceTokens), target: task.targetVocabulary.encode(p.targetTokens), ...(p.line === undefined ? {} : { line: p.line }) };
  });
}

/** The run, pausing (yielding) before each step. */
function* trainingLoop(o: TranslationRunOptions, cb: TranslationRunCallbacks): Generator<void, TranslationRunResult, void> {
  const { model, task, train, budget } = o;
  if (budget.seconds === undefined && budget.steps === undefined) throw new Error('train: give a time budget or a number of steps/epochs');
  if (o.resume) checkTranslationResume(o.resume, { config: model.config, train, task }, budget);
  const pairs = encodeTrainingPairs(task, train.maxLength);
  const shuffler = new Random((train.seed + 1) >>> 0);
  const trainer = new Seq2SeqTrainer(model, { lr: train.lr, clip: train.clip, teacherForcing: train.teacherForcing, seed: train.seed });
  const progress: RunProgress = o.resume
    ? structuredClone(o.resume.progress)
    : { seconds: 0, epoch: 1, batch: 0, epochRandom: shuffler.getState(), lossSum: 0, lossCount: 0, best: null };
  const history: HistoryEntry[] = o.resume ? [...o.resume.history] : [];
  const locks: FileLock[] = [];
  try {
    if (o.checkpoint) locks.push(lockCheckpoint(o.checkpoint), lockCheckpoint(bestCheckpointPath(o.checkpoint)));
    if (o.resume) {
      model.params.data.set(o.resume.model.params.data);
      try {
        trainer.restore(o.resume.trainer);
      } catch (e) {
        throw new Error(`resume: the checkpoint's trainer state cannot be restored: ${(e as Error).message}`, { cause: e });
      }
    }
    shuffler.setState(progress.epochRandom);
    const batches = bucketedBatches(pairs, { batchSize: train.batchSize, random: shuffler });
    return yield* runSteps(o, cb, { trainer, progress, history, pairs, shuffler, batches, locks });
  } finally {
    for (const lock of locks) lock.release();
  }
}

interface RunState {
  trainer: Seq2SeqTrainer;
  progress: RunProgress;
  history: HistoryEntry[];
  pairs: EncodedPair[];
  shuffler: Random;
  /** The current epoch's batches. */
  batches: PairBatch[];
  locks: FileLock[];
}

function* runSteps(o: TranslationRunOptions, cb: TranslationRunCallbacks, s: RunState): Generator<void, TranslationRunResult, void> {
  const { model, task, train, budget } = o;
  const { trainer, progress, history } = s;
  const validateEvery = o.validateEvery ?? 30;
  const checkpointEvery = o.checkpointEvery ?? 60;
  const sampleCount = o.samples ?? 3;
  const metric = taskMetric(task.source);
  const vocabularies = { source: task.sourceVocabulary, target: task.targetVocabulary };
  let nextValidation = Math.floor(progress.seconds / validateEvery + 1) * validateEvery;
  let lastCheckpoint = performance.now();
  const done = (): boolean => budgetSpent(budget, trainer.steps, progress.seconds);

  const save = (path: string, which: 'last' | 'best'): void => {
    for (const lock of s.locks) lock.check();
    saveTranslator(path, trainer, {
      train, sourceVocabulary: task.sourceVocabulary, targetVocabulary: task.targetVocabulary, data: task.source,
      pairs: { train: task.train.length, dev: task.dev.length, test: task.test.length }, budget, progress, history,
    });
    if (which === 'last') lastCheckpoint = performance.now();
    cb.onCheckpoint?.(path, trainer.steps, which);
  };
  const validate = (): void => {
    const started = performance.now();
    const scores = evaluateTranslation(model, task.dev, vocabularies, { maxLength: EVALUATION_MAX_TOKENS });
    const entry: HistoryEntry = {
      step: trainer.steps, epoch: progress.epoch, seconds: progress.seconds,
      trainLoss: progress.lossCount > 0 ? progress.lossSum / progress.lossCount : Number.NaN,
      bleu: scores.bleu, multiReferenceBleu: scores.multiReferenceBleu, accuracy: scores.accuracy,
      evalSeconds: (performance.now() - started) / 1000,
    };
    history.push(entry);
    progress.lossSum = 0;
    progress.lossCount = 0;
    const score = metric === 'accuracy' ? entry.accuracy : entry.bleu;
    const improved = progress.best === null || score > progress.best.score;
    if (improved) progress.best = { step: entry.step, seconds: entry.seconds, score };
    const n = scores.translations.length;
    const samples = Array.from({ length: Math.min(sampleCount, n) }, (_, k) => scores.translations[Math.floor((k * n) / sampleCount)]!).map((t) => ({
      source: t.pair.source, reference: t.pair.target, translation: detokenizeTarget(task.source, t.tokens),
      correct: t.tokens.length === t.pair.targetTokens.length && t.tokens.every((token, i) => token === t.pair.targetTokens[i]),
    }));
    cb.onValidation?.({ entry, metric, score, improved, samples });
    if (improved && o.checkpoint) save(bestCheckpointPath(o.checkpoint), 'best');
  };

  let stoppedEarly = false;
  while (!done()) {
    yield;
    if (o.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const started = performance.now();
    if (progress.batch >= s.batches.length) {
      progress.epoch++;
      progress.batch = 0;
      progress.epochRandom = s.shuffler.getState();
      s.batches = bucketedBatches(s.pairs, { batchSize: train.batchSize, random: s.shuffler });
    }
    const loss = trainer.step(s.batches[progress.batch] as PairBatch);
    progress.batch++;
    progress.seconds += (performance.now() - started) / 1000;
    progress.lossSum += loss;
    progress.lossCount++;
    cb.onStep?.({
      step: trainer.steps, loss, epoch: progress.epoch, seconds: progress.seconds, pairs: trainer.pairs,
      pairsPerSecond: trainer.pairs / Math.max(progress.seconds, 1e-9), trainLoss: progress.lossSum / progress.lossCount,
      fraction: budgetFraction(budget, trainer.steps, progress.seconds), last: history[history.length - 1] ?? null, best: progress.best,
    });
    if (progress.seconds >= nextValidation && !done()) {
      validate();
      nextValidation = Math.floor(progress.seconds / validateEvery + 1) * validateEvery;
    }
    if (o.checkpoint && (performance.now() - lastCheckpoint) / 1000 >= checkpointEvery) save(o.checkpoint, 'last');
  }
  if (!stoppedEarly && history[history.length - 1]?.step !== trainer.steps) validate();
  if (o.checkpoint) save(o.checkpoint, 'last');
  return { trainer, progress, history, stoppedEarly };
}
