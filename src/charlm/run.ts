/**
 * A whole training run of a character model: the loop the command line uses,
 * as a function an app can call. It owns the schedule — when to validate,
 * sample, checkpoint and stop — and reports through callbacks.
 *
 * Before the first step it refuses what would waste or lose a run: a resume
 * that would not continue its checkpoint (./resume.ts), a checkpoint path that
 * cannot be written (missing directory made, device or FIFO refused), and a
 * checkpoint another process is writing (a lock file beside it, see
 * ../io/lock.ts, held until the run ends).
 *
 * Budgets (./budget.ts) count training time only (validation and sampling
 * excluded), like the reference protocol; a resumed run counts the time
 * already spent.
 */
import { driveLoop } from '../train/drive.js';
import type { Backend } from '../backend/backend.js';
import { type FileLock, lockCheckpoint } from '../io/lock.js';
import { type Budget, budgetFraction, budgetSpent } from './budget.js';
import type { CharLMCheckpoint, DataInfo } from './checkpoint.js';
import { saveCharLM } from './checkpoint-file.js';
import type { CharLM } from './model.js';
import { checkResume } from './resume.js';
import { sampleText } from './sample.js';
import { CharLMTrainer, type HistoryEntry, type TrainConfig } from './trainer.js';
import type { Vocabulary } from './vocabulary.js';

export interface RunOptions {
  model: CharLM;
  vocab: Vocabulary;
  trainIds: Int32Array;
  validationIds: Int32Array;
  train: TrainConfig;
  budget: Budget;
  /** The text's source, validation fraction and fingerprint (the run adds its budget and validation cap when saving). */
  data: DataInfo;
  /** Checkpoint path (none = no checkpoints). */
  checkpoint?: string;
  /** Wall-clock seconds between checkpoints (default 60). */
  checkpointEvery?: number;
  /** Training seconds between validations (default 30). */
  validateEvery?: number;
  /** Cap on validation windows of 256 characters (default: all). */
  validationWindows?: number;
  /** Characters sampled at each validation (default 200; 0 = none). */
  sampleLength?: number;
  /**
   * Record training diagnostics in each history entry (./diagnostics.ts;
   * default false). A resumed run that recorded them goes on recording them
   * without it; one that did not starts at the resume (earlier entries have none).
   */
  diagnostics?: boolean;
  /**
   * A checkpoint to continue (see {@link loadCharLM}): its weights are copied
   * into `model` and its trainer state restored, after {@link checkResume}
   * has checked that this run continues it.
   */
  resume?: CharLMCheckpoint;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
  backend?: Backend;
}

export interface Progress {
  step: number;
  seconds: number;
  tokens: number;
  tokensPerSecond: number;
  /** Exponential moving average of the training loss (nats/char). */
  trainLoss: number;
  /** Fraction of the budget done, in [0, 1]. */
  fraction: number;
  lastValidation: HistoryEntry | null;
}

export interface RunCallbacks {
  onStep?(p: Progress): void;
  onValidation?(entry: HistoryEntry, sample: string): void;
  onCheckpoint?(path: string, step: number): void;
}

export interface RunResult {
  trainer: CharLMTrainer;
  stoppedEarly: boolean;
  /** Final validation loss in nats/char. */
  validationLoss: number;
}

const LN2 = Math.log(2);

/** nats → bits. */
export function bits(nats: number): number {
  return nats / LN2;
}

/** Runs the whole training synchronously (signals and timers wait until it returns; see {@link runTrainingAsync}). */
export function runTraining(o: RunOptions, cb: RunCallbacks = {}): RunResult {
  const loop = trainingLoop(o, cb);
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
  }
}

/**
 * Same run as {@link runTraining}, letting the event loop run between steps
 * (every few milliseconds), so a signal handler (Ctrl-C) can set what
 * `shouldStop` reads and timers (a progress bar) fire during training.
 */
export async function runTrainingAsync(o: RunOptions, cb: RunCallbacks = {}): Promise<RunResult> {
  return driveLoop(trainingLoop(o, cb));
}

/** The run, pausing (yielding) before each step; each `next()` runs one step. */
function* trainingLoop(o: RunOptions, cb: RunCallbacks): Generator<void, RunResult, void> {
  const { budget } = o;
  if (budget.seconds === undefined && budget.steps === undefined) throw new Error('train: give a time budget or a number of steps/epochs');
  // Validation needs one window of 256 + 1 characters: fail now, not after the whole budget (with nothing saved).
  if (o.validationIds.length < 257) {
    throw new Error(`train: the validation text has ${o.validationIds.length} characters, fewer than one validation window of 257; use a longer text or hold out a larger fraction for validation (--val-fraction)`);
  }
  if (o.resume) {
    checkResume(o.resume, { config: o.model.config, train: o.train, vocab: o.vocab, data: o.data, ...(o.validationWindows !== undefined ? { validationWindows: o.validationWindows } : {}) }, budget);
  }
  const trainer = new CharLMTrainer(o.model, o.trainIds, o.validationIds, o.train, { diagnostics: o.diagnostics === true });
  const lock = o.checkpoint ? lockCheckpoint(o.checkpoint) : null;
  try {
    if (o.resume) {
      o.model.params.data.set(o.resume.model.params.data);
      try {
        trainer.restore(o.resume.trainer);
      } catch (e) {
        throw new Error(`resume: the checkpoint's trainer state cannot be restored: ${(e as Error).message}`, { cause: e });
      }
    }
    return yield* runSteps(o, cb, trainer, lock);
  } finally {
    lock?.release();
  }
}

/** The steps until the budget is spent or `shouldStop`, with validations, samples and checkpoints on schedule. */
function* runSteps(o: RunOptions, cb: RunCallbacks, trainer: CharLMTrainer, lock: FileLock | null): Generator<void, RunResult, void> {
  const { budget } = o;
  const validateEvery = o.validateEvery ?? 30;
  const checkpointEvery = o.checkpointEvery ?? 60;
  const evalOptions = { maxWindows: o.validationWindows ?? Infinity };
  const sampleLength = o.sampleLength ?? 200;
  const data: DataInfo = { ...o.data, validationWindows: o.validationWindows ?? null, budget };
  let smoothed = Number.NaN;
  let nextValidation = Math.floor(trainer.seconds / validateEvery + 1) * validateEvery;
  let lastCheckpoint = performance.now();
  let lastValidation: HistoryEntry | null = trainer.history[trainer.history.length - 1] ?? null;
  const done = (): boolean => budgetSpent(budget, trainer.step, trainer.seconds);
  const save = (): void => {
    if (!o.checkpoint) return;
    lock?.check();
    saveCharLM(o.checkpoint, trainer, o.vocab, data);
    lastCheckpoint = performance.now();
    cb.onCheckpoint?.(o.checkpoint, trainer.step);
  };
  const validate = (): HistoryEntry => {
    const entry = trainer.record(smoothed, trainer.evaluate(undefined, evalOptions));
    lastValidation = entry;
    const sample = sampleLength > 0 ? sampleText(o.model, o.vocab, { length: sampleLength, temperature: 0.8, seed: trainer.step }) : '';
    cb.onValidation?.(entry, sample);
    return entry;
  };

  let stoppedEarly = false;
  while (!done()) {
    yield;
    if (o.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const loss = trainer.trainStep();
    smoothed = Number.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
    cb.onStep?.({
      step: trainer.step, seconds: trainer.seconds, tokens: trainer.tokens,
      tokensPerSecond: trainer.tokens / Math.max(trainer.seconds, 1e-9), trainLoss: smoothed,
      fraction: budgetFraction(budget, trainer.step, trainer.seconds), lastValidation,
    });
    if (trainer.seconds >= nextValidation && !done()) {
      validate();
      nextValidation = Math.floor(trainer.seconds / validateEvery + 1) * validateEvery;
    }
    if ((performance.now() - lastCheckpoint) / 1000 >= checkpointEvery) save();
  }
  const final = stoppedEarly ? (lastValidation?.validationLoss ?? Number.NaN) : validate().validationLoss;
  save();
  return { trainer, stoppedEarly, validationLoss: final };
}
