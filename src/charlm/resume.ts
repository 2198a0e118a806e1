/**
 * What a resumed run must share with its checkpoint, so that resuming
 * continues the same run exactly instead of silently starting another:
 *   - the text: the same vocabulary, and the same fingerprint (size and
 *     SHA-256) when the checkpoint records one;
 *   - the model configuration (cell, sizes, dropout, seed);
 *   - the training configuration (window, batch, optimiser, learning rate,
 *     clipping, sampler seed);
 *   - the validation split and the cap on validation windows, so losses
 *     before and after stay comparable;
 *   - and a budget not yet spent.
 * {@link runTraining} applies these rules; the command line only names the
 * options in its messages.
 */
import { type Budget, budgetSpent, describeBudget } from './budget.js';
import type { CharLMCheckpoint, DataInfo } from './checkpoint.js';
import type { CharLMConfig } from './model.js';
import type { TrainConfig } from './trainer.js';
import type { Vocabulary } from './vocabulary.js';

/** A setting the resumed run would change: `config.hiddenSize`, `train.lr`, `data.validationFraction`, `data.validationWindows`. */
export interface ResumeConflict {
  setting: string;
  saved: string | number | null;
  requested: string | number | null;
}

/** A resumed run that would not continue its checkpoint's run. */
export class ResumeError extends Error {
  constructor(message: string, readonly conflicts: readonly ResumeConflict[]) {
    super(message);
    this.name = 'ResumeError';
  }
}

/** What a run would continue with. */
export interface ResumeRequest {
  config: CharLMConfig;
  train: TrainConfig;
  vocab: Vocabulary;
  data: DataInfo;
  /** Cap on validation windows (undefined = all). */
  validationWindows?: number;
}

/** The settings of `request` that differ from the checkpoint's. */
export function resumeConflicts(saved: CharLMCheckpoint, request: ResumeRequest): ResumeConflict[] {
  const out: ResumeConflict[] = [];
  const compare = (setting: string, a: string | number | null, b: string | number | null): void => {
    if (a !== b) out.push({ setting, saved: a, requested: b });
  };
  for (const key of ['cell', 'embeddingSize', 'hiddenSize', 'numLayers', 'dropout', 'seed'] as const) compare(`config.${key}`, saved.config[key], request.config[key]);
  for (const key of ['seqLength', 'batchSize', 'optimizer', 'lr', 'clip', 'seed'] as const) compare(`train.${key}`, saved.train[key], request.train[key]);
  compare('data.validationFraction', saved.data.validationFraction, request.data.validationFraction);
  if (saved.data.validationWindows !== undefined) compare('data.validationWindows', saved.data.validationWindows, request.validationWindows ?? null);
  return out;
}

/**
 * Throws unless `request` continues the checkpoint's run (see the rules
 * above) within `budget`. Nothing is changed either way.
 * @throws ResumeError saying what differs (listed in `conflicts` for settings), or that the budget is spent.
 */
export function checkResume(saved: CharLMCheckpoint, request: ResumeRequest, budget: Budget): void {
  if (saved.vocab.chars.join('') !== request.vocab.chars.join('')) {
    throw new ResumeError(`resume: the data's vocabulary (${request.vocab.size} characters) differs from the checkpoint's (${saved.vocab.size}); resume on the same text, or start a new model`, []);
  }
  const want = saved.data.fingerprint;
  const have = request.data.fingerprint;
  if (want && have && (want.bytes !== have.bytes || want.sha256 !== have.sha256)) {
    throw new ResumeError(
      `resume: the text (${have.bytes.toLocaleString('en-US')} bytes, SHA-256 ${have.sha256.slice(0, 12)}…) is not the one the checkpoint was trained on ` +
        `(${saved.data.source}: ${want.bytes.toLocaleString('en-US')} bytes, SHA-256 ${want.sha256.slice(0, 12)}…); resume on the same text, or start a new model`,
      [],
    );
  }
  const conflicts = resumeConflicts(saved, request);
  if (conflicts.length) {
    const list = conflicts.map((c) => `${c.setting} ${c.saved ?? 'all'} (this run: ${c.requested ?? 'all'})`).join(', ');
    throw new ResumeError(`resume: the checkpoint was trained with ${list}; a resumed run must keep its configuration`, conflicts);
  }
  const { step, seconds } = saved.trainer;
  if (budgetSpent(budget, step, seconds)) {
    throw new ResumeError(
      `resume: the run is already complete (step ${step}, ${seconds.toFixed(1)} s of training; budget ${describeBudget(budget)}); nothing was changed — give a larger budget to train further`,
      [],
    );
  }
}
