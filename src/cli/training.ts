/**
 * What the training commands (`train`, `translate train`) share: the budget
 * in words and the warnings about it, warnings on stderr, and Ctrl-C /
 * SIGTERM handling — the first signal asks the run to stop (it saves a
 * checkpoint, and the command exits 130 or 143), a second one exits at once.
 */
import { statSync } from 'node:fs';
import type { Budget } from '../charlm/budget.js';
import { formatSeconds } from './options.js';

/** Exit status after a signal: 128 + its number. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** A warning on stderr, apart from the run's record on stdout. */
export function warn(message: string): void {
  console.error(`recurrent: warning: ${message}`);
}

/** `8 steps`, `5m00s of training`, `8 steps or 5m00s of training`. */
export function budgetLabel(budget: Budget): string {
  return [budget.steps !== undefined ? `${budget.steps} steps` : '', budget.seconds !== undefined ? `${formatSeconds(budget.seconds)} of training` : '']
    .filter(Boolean).join(' or ');
}

/**
 * Which budget option ends the run when several are given (the rule of
 * resolveBudget in src/charlm/budget.ts): --steps overrides --epochs; a step
 * budget and --time both hold, and the first one reached ends the run.
 */
export function budgetWarnings(o: { time?: number | undefined; steps?: number | undefined; epochs?: number | undefined }, budget: Budget): string[] {
  const warnings: string[] = [];
  if (o.steps !== undefined && o.epochs !== undefined) {
    warnings.push(`--steps ${o.steps} and --epochs ${o.epochs} both given: --steps wins, --epochs is ignored`);
  }
  if (o.time !== undefined && budget.steps !== undefined) {
    const steps = o.steps !== undefined ? '--steps' : '--epochs';
    warnings.push(`--time ${formatSeconds(o.time)} and ${steps} both given: the run stops at whichever is reached first, ${budget.steps} steps or ${formatSeconds(o.time)} of training`);
  }
  return warnings;
}

/** The signal that asked a run to stop, if any; `dispose` removes the handlers. */
export interface StopSignals {
  readonly received: NodeJS.Signals | null;
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM: the first is recorded (the run polls
 * `received` and stops with a checkpoint); a second exits at once, after
 * `beforeExit` (which ends any live display).
 */
export function listenForStop(beforeExit: () => void): StopSignals {
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      beforeExit();
      console.error('Interrupted twice: exiting without a new checkpoint (the last one is intact).');
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    received = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Whether `path` is an existing regular file (a checkpoint a new run would replace). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
