/**
 * Training progress on the terminal: a live bar when stdout is a terminal,
 * plain log lines (one every few seconds) when it is not.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { bits, type Progress } from '../charlm/run.js';
import { formatSeconds } from './options.js';

export interface ProgressReporter {
  update(p: Progress): void;
  /** Prints a message above the bar (or as a line). */
  log(text: string): void;
  stop(): void;
}

const SCALE = 1000;

export function createProgress(budgetLabel: string, interactive = Boolean(process.stdout.isTTY), lineEvery = 10): ProgressReporter {
  if (!interactive) return new LineProgress(budgetLabel, lineEvery);
  return new BarProgress(budgetLabel);
}

function describe(p: Progress): { tok: string; loss: string; val: string; eta: string } {
  const remaining = p.fraction > 0 ? (p.seconds * (1 - p.fraction)) / p.fraction : Number.NaN;
  return {
    tok: Math.round(p.tokensPerSecond).toLocaleString('en-US'),
    loss: Number.isFinite(p.trainLoss) ? p.trainLoss.toFixed(3) : '–',
    val: p.lastValidation ? bits(p.lastValidation.validationLoss).toFixed(3) : '–',
    eta: formatSeconds(remaining),
  };
}

class BarProgress implements ProgressReporter {
  private readonly multibar: MultiBar;
  private readonly bar: SingleBar;

  constructor(budgetLabel: string) {
    this.multibar = new MultiBar(
      {
        format: `{bar} {percentage}% | step {step} | {tok} tok/s | loss {loss} nats | val {val} bits/char | ETA {etaText} (${budgetLabel})`,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        barsize: 24,
        fps: 5,
      },
      Presets.shades_classic,
    );
    this.bar = this.multibar.create(SCALE, 0, { step: 0, tok: '–', loss: '–', val: '–', etaText: '–' });
  }

  update(p: Progress): void {
    const d = describe(p);
    this.bar.update(Math.round(p.fraction * SCALE), { step: p.step, tok: d.tok, loss: d.loss, val: d.val, etaText: d.eta });
  }

  log(text: string): void {
    this.multibar.log(text.endsWith('\n') ? text : `${text}\n`);
  }

  stop(): void {
    this.multibar.stop();
  }
}

class LineProgress implements ProgressReporter {
  private last = 0;

  constructor(private readonly budgetLabel: string, private readonly every: number) {}

  update(p: Progress): void {
    const now = performance.now();
    if (now - this.last < this.every * 1000 && p.fraction < 1) return;
    this.last = now;
    const d = describe(p);
    console.log(`[${(p.fraction * 100).toFixed(0).padStart(3)}%] step ${p.step} | ${d.tok} tok/s | loss ${d.loss} nats | val ${d.val} bits/char | ETA ${d.eta} (${this.budgetLabel})`);
  }

  log(text: string): void {
    console.log(text.replace(/\n$/, ''));
  }

  stop(): void {}
}
