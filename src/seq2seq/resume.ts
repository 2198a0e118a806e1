/**
 * What a resumed translation run must share with its checkpoint, so that it
 * continues the same run exactly (the rules of ../charlm/resume.ts, for pairs):
 *   - the data: the same task; for a file, the same vocabularies and the same
 *     bytes (size and SHA-256), so the split is the same;
 *   - the model configuration and the training configuration;
 *   - a budget not yet spent.
 * {@link runTranslationTraining} applies them; the command line names the options.
 */
import { type Budget, budgetSpent, describeBudget } from '../charlm/budget.js';
import { type ResumeConflict, ResumeError } from '../charlm/resume.js';
import type { TranslatorCheckpoint } from './checkpoint.js';
import type { Seq2SeqConfig } from './model.js';
import type { TranslationTrainConfig } from './run.js';
import { describeTask, type TranslationTask } from './task.js';

export interface TranslationResumeRequest {
  config: Seq2SeqConfig;
  train: TranslationTrainConfig;
  task: TranslationTask;
}

const CONFIG_KEYS = ['embeddingSize', 'hiddenSize', 'numLayers', 'cell', 'bidirectional', 'attention', 'attentionSize', 'scaled', 'seed'] as const;
const TRAIN_KEYS = ['batchSize', 'lr', 'clip', 'teacherForcing', 'seed', 'maxLength'] as const;

/** The model and training settings of `request` that differ from the checkpoint's (`config.hiddenSize`, `train.lr`, …). */
export function translationResumeConflicts(saved: TranslatorCheckpoint, request: TranslationResumeRequest): ResumeConflict[] {
  const out: ResumeConflict[] = [];
  const compare = (setting: string, a: string | number | boolean, b: string | number | boolean): void => {
    if (a !== b) out.push({ setting, saved: String(a), requested: String(b) });
  };
  for (const key of CONFIG_KEYS) compare(`config.${key}`, saved.config[key], request.config[key]);
  for (const key of TRAIN_KEYS) compare(`train.${key}`, saved.train[key], request.train[key]);
  return out;
}

/**
 * Throws unless `request` continues the checkpoint's run within `budget`.
 * Nothing is changed either way.
 * @throws ResumeError saying what differs (settings listed in `conflicts`), or that the budget is spent.
 */
export function checkTranslationResume(saved: TranslatorCheckpoint, request: TranslationResumeRequest, budget: Budget): void {
  const want = saved.data;
  const have = request.task.source;
  if (want.kind !== have.kind || (want.kind === 'dates' && JSON.stringify(want) !== JSON.stringify(have))) {
    throw new ResumeError(`resume: the checkpoint was trained on the ${describeTask(want)}, not on the ${describeTask(have)}; resume on the same data, or start a new model`, []);
  }
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((t, i) => t === b[i]);
  const { sourceVocabulary: sv, targetVocabulary: tv } = request.task;
  if (!same(sv.tokens, saved.sourceVocabulary.tokens) || !same(tv.tokens, saved.targetVocabulary.tokens)) {
    throw new ResumeError(
      `resume: the data's vocabularies (${sv.size} source and ${tv.size} target tokens) differ from the checkpoint's ` +
        `(${saved.sourceVocabulary.size} and ${saved.targetVocabulary.size}); resume on the same data, or start a new model`,
      [],
    );
  }
  if (want.kind === 'tatoeba' && have.kind === 'tatoeba' && (want.fingerprint.bytes !== have.fingerprint.bytes || want.fingerprint.sha256 !== have.fingerprint.sha256)) {
    throw new ResumeError(
      `resume: the data (${have.fingerprint.bytes.toLocaleString('en-US')} bytes, SHA-256 ${have.fingerprint.sha256.slice(0, 12)}…) is not the file the checkpoint was trained on ` +
        `(${want.path}: ${want.fingerprint.bytes.toLocaleString('en-US')} bytes, SHA-256 ${want.fingerprint.sha256.slice(0, 12)}…); resume on the same data, or start a new model`,
      [],
    );
  }
  const conflicts = translationResumeConflicts(saved, request);
  if (conflicts.length) {
    const list = conflicts.map((c) => `${c.setting} ${c.saved} (this run: ${c.requested})`).join(', ');
    throw new ResumeError(`resume: the checkpoint was trained with ${list}; a resumed run must keep its configuration`, conflicts);
  }
  const { steps } = saved.trainer;
  const { seconds } = saved.progress;
  if (budgetSpent(budget, steps, seconds)) {
    throw new ResumeError(
      `resume: the run is already complete (step ${steps}, ${seconds.toFixed(1)} s of training; budget ${describeBudget(budget)}); nothing was changed — give a larger budget to train further`,
      [],
    );
  }
}
