/**
 * Training progress for people, on stderr, so that stdout carries only the
 * run's record (header, validations, samples, result):
 *
 *   stderr is a terminal → one live status line (cli-progress), redrawn at
 *                          most 5 times a second and fitted to the terminal's width;
 *   otherwise            → a plain status line every 10 seconds.
 *
 * Lines of the record go through {@link ProgressDisplay.log}, which writes
 * them to stdout at once (clearing the live line first; the bar draws it
 * again at its next tick), so none is held back or lost, whatever the streams are.
 */
import { clearLine, cursorTo } from 'node:readline';
import cliProgress from 'cli-progress';
import { bits, type Progress } from '../charlm/run.js';
import { formatSeconds } from './options.js';

export interface ProgressDisplay {
  update(p: Progress): void;
  /** Writes a line of the run's record to stdout. */
  log(line: string): void;
  /** Draws the last state and ends the live line (idempotent). */
  stop(): void;
}

/** A part of the status line. */
interface StatusPart {
  text: string;
  /** Position in the line (parts are shown in this order). */
  order: number;
}

/** Live redraws per second at most. */
const REDRAWS_PER_SECOND = 5;
/** Seconds between status lines when stderr is not a terminal. */
const LINE_EVERY = 10;
const MIN_BAR = 10;
const MAX_BAR = 30;
const SEPARATOR = ' · ';

export function createProgress(budgetLabel: string, stderr: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stderr.isTTY ? new LiveStatus(budgetLabel, stderr) : new PeriodicStatus(budgetLabel, stderr);
}

/** The parts of a status line, most important first; the train loss is an average over recent steps. */
function statusParts(p: Progress, budgetLabel: string): StatusPart[] {
  const remaining = p.fraction > 0 ? (p.seconds * (1 - p.fraction)) / p.fraction : Number.NaN;
  const train = Number.isFinite(p.trainLoss) ? bits(p.trainLoss).toFixed(3) : '–';
  const val = p.lastValidation && Number.isFinite(p.lastValidation.validationLoss) ? bits(p.lastValidation.validationLoss).toFixed(3) : '–';
  return [
    { order: 0, text: `step ${p.step}` },
    { order: 3, text: `ETA ${formatSeconds(remaining)}` },
    { order: 1, text: `train ${train} · val ${val} bits/char` },
    { order: 2, text: `${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s` },
    { order: 4, text: `budget ${budgetLabel}` },
  ];
}

/** `[ 42%] step 1,234 · train 1.781 · val 1.851 bits/char · …`: the plain status line. */
export function statusText(p: Progress, budgetLabel: string): string {
  return `[${(p.fraction * 100).toFixed(0).padStart(3)}%] ${joinParts(statusParts(p, budgetLabel))}`;
}

/**
 * The live status line in at most `columns` columns: a bar of 10–30 cells,
 * the percentage, then as many parts as fit (the least important dropped
 * first); in fewer than 15 columns, the percentage alone.
 *
 *   ████████░░░░░░░░░░░░  42% step 1,234 · train 1.781 · val 1.851 bits/char · ETA 2m03s
 */
export function statusLine(p: Progress, budgetLabel: string, columns: number): string {
  const percent = `${(p.fraction * 100).toFixed(0).padStart(3)}%`;
  const parts = statusParts(p, budgetLabel);
  let text = '';
  while (parts.length > 0) {
    text = joinParts(parts);
    if (MIN_BAR + 1 + percent.length + 1 + text.length <= columns) break;
    parts.pop();
    text = '';
  }
  const used = percent.length + (text ? 1 + text.length : 0);
  const barCells = Math.min(MAX_BAR, columns - used - 1);
  if (barCells < MIN_BAR) return percent.slice(0, Math.max(0, columns));
  const full = Math.round(Math.min(1, Math.max(0, p.fraction)) * barCells);
  return `${'█'.repeat(full)}${'░'.repeat(barCells - full)} ${percent}${text ? ` ${text}` : ''}`;
}

function joinParts(parts: readonly StatusPart[]): string {
  return [...parts].sort((a, b) => a.order - b.order).map((s) => s.text).join(SEPARATOR);
}

/**
 * The live line on a terminal, drawn by cli-progress with {@link statusLine}
 * as its format. (A MultiBar with one bar: it redraws in place at the
 * cursor's line, where a SingleBar would jump back to where it started.)
 * A record line clears it (stdout and stderr share the screen); the bar
 * draws it again below at its next tick (`forceRedraw`).
 */
class LiveStatus implements ProgressDisplay {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;

  constructor(budgetLabel: string, private readonly stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar({
      stream,
      fps: REDRAWS_PER_SECOND,
      forceRedraw: true,
      hideCursor: true,
      linewrap: false,
      clearOnComplete: false,
      stopOnComplete: false,
      gracefulExit: false, // the command handles SIGINT and SIGTERM itself (and saves)
      // One column spare: writing the last column makes some terminals wrap.
      format: (_options, _params, payload: { progress?: Progress }) =>
        payload.progress ? statusLine(payload.progress, budgetLabel, (stream.columns || 80) - 1) : '',
    });
  }

  update(p: Progress): void {
    const fraction = Math.min(1, Math.max(0, p.fraction));
    if (this.bar) this.bar.update(fraction, { progress: p });
    else this.bar = this.bars.create(1, fraction, { progress: p });
  }

  log(line: string): void {
    if (this.bar) {
      clearLine(this.stream, 0);
      cursorTo(this.stream, 0);
    }
    process.stdout.write(`${line}\n`);
  }

  stop(): void {
    if (!this.bar) return;
    this.bar = null;
    this.bars.stop(); // draws the last state, ends the line, shows the cursor
  }
}

/** A status line every few seconds, and at the end. */
class PeriodicStatus implements ProgressDisplay {
  private lastLine = performance.now();

  constructor(private readonly budgetLabel: string, private readonly stream: NodeJS.WritableStream) {}

  update(p: Progress): void {
    const now = performance.now();
    if (now - this.lastLine < LINE_EVERY * 1000 && p.fraction < 1) return;
    this.lastLine = now;
    this.stream.write(`${statusText(p, this.budgetLabel)}\n`);
  }

  log(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  stop(): void {}
}
