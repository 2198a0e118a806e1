/**
 * When a training run ends: after some seconds of training (validation and
 * sampling excluded) and/or some number of steps, whichever comes first. A
 * resumed run counts what the checkpoint already did.
 */
import type { TrainConfig } from './trainer.js';

/** Seconds of training and/or steps (both → whichever is reached first). */
export interface Budget {
  seconds?: number;
  steps?: number;
}

/** How a budget may be asked for; `epochs` are passes over the training text. */
export interface BudgetRequest {
  seconds?: number;
  steps?: number;
  epochs?: number;
}

/** The budget when none is given: five minutes of training. */
export const DEFAULT_BUDGET_SECONDS = 300;

/**
 * The budget of a run:
 *   steps = `steps`, or ⌈epochs · trainCharacters / (seqLength · batchSize)⌉;
 *   with neither steps nor seconds, the budget `saved` in the checkpoint being
 *   resumed, else {@link DEFAULT_BUDGET_SECONDS}.
 */
export function resolveBudget(request: BudgetRequest, trainCharacters: number, train: Pick<TrainConfig, 'seqLength' | 'batchSize'>, saved?: Budget): Budget {
  const { seconds, epochs } = request;
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) throw new Error(`train: the time budget must be a positive number of seconds, got ${seconds}`);
  if (epochs !== undefined && !(Number.isFinite(epochs) && epochs > 0)) throw new Error(`train: epochs must be a positive number, got ${epochs}`);
  const steps = request.steps ?? (epochs !== undefined ? Math.ceil((epochs * trainCharacters) / (train.seqLength * train.batchSize)) : undefined);
  if (steps !== undefined && !(Number.isSafeInteger(steps) && steps > 0)) throw new Error(`train: the step budget must be a positive integer, got ${steps}`);
  if (seconds === undefined && steps === undefined) return saved ? { ...saved } : { seconds: DEFAULT_BUDGET_SECONDS };
  return { ...(seconds !== undefined ? { seconds } : {}), ...(steps !== undefined ? { steps } : {}) };
}

/** Whether a run at `step` after `seconds` of training has used its budget. */
export function budgetSpent(budget: Budget, step: number, seconds: number): boolean {
  return (budget.seconds !== undefined && seconds >= budget.seconds) || (budget.steps !== undefined && step >= budget.steps);
}

/** Fraction of the budget used, in [0, 1]. */
export function budgetFraction(budget: Budget, step: number, seconds: number): number {
  return Math.min(1, Math.max(
    budget.seconds !== undefined ? seconds / budget.seconds : 0,
    budget.steps !== undefined ? step / budget.steps : 0,
  ));
}

/** `8 steps`, `300 s of training`, `8 steps or 300 s of training`. */
export function describeBudget(budget: Budget): string {
  const parts: string[] = [];
  if (budget.steps !== undefined) parts.push(`${budget.steps} steps`);
  if (budget.seconds !== undefined) parts.push(`${budget.seconds} s of training`);
  return parts.join(' or ');
}
