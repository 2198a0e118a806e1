/**
 * Training progress for people, on stderr, so that stdout carries only the
 * run's record (header, validations, samples, result):
 *
 *   stderr is a terminal → one live status line (cli-progress), redrawn at
 *                          most 5 times a second and fitted to the terminal's width;
 *   otherwise            → a plain status line every 10 seconds.
 *
 * Lines of the record go through {@link StatusDisplay.log}, which writes
 * them to stdout at once (clearing the live line first; the bar draws it
 * again at its next tick), so none is held back or lost, whatever the streams are.
 */
import { clearLine, cursorTo } from 'node:readline';
import cliProgress from 'cli-progress';
import { bits, type Progress } from '../charlm/run.js';
import { formatSeconds } from './options.js';

/** A status display of a run whose progress reads as `P`. */
export interface StatusDisplay<P> {
  update(p: P): void;
  /** Writes a line of the run's record to stdout. */
  log(line: string): void;
  /** Draws the last state and ends the live line (idempotent). */
  stop(): void;
}

/** The status display of a character-model run. */
export type ProgressDisplay = StatusDisplay<Progress>;

/** A part of the status line. */
export interface StatusPart {
  text: string;
  /** Position in the line (parts are shown in this order). */
  order: number;
}

/** What a status line shows: the fraction of the budget done, and its parts, most important first. */
export interface Status {
  fraction: number;
  parts: StatusPart[];
}

/** Live redraws per second at most. */
const REDRAWS_PER_SECOND = 5;
/** Seconds between status lines when stderr is not a terminal. */
const LINE_EVERY = 10;
const MIN_BAR = 10;
const MAX_BAR = 30;
const SEPARATOR = ' · ';

export function createProgress(budgetLabel: string, stderr: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return createStatusDisplay((p: Progress) => ({ fraction: p.fraction, parts: statusParts(p, budgetLabel) }), stderr);
}

/** A status display for any run: `describe` turns its progress into a {@link Status}. */
export function createStatusDisplay<P>(describe: (p: P) => Status, stderr: NodeJS.WriteStream = process.stderr): StatusDisplay<P> {
  return stderr.isTTY ? new LiveStatus(describe, stderr) : new PeriodicStatus(describe, stderr);
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
  return plainStatus({ fraction: p.fraction, parts: statusParts(p, budgetLabel) });
}

/** A status as a plain line: `[ 42%] part · part · …`. */
export function plainStatus(status: Status): string {
  return `[${(status.fraction * 100).toFixed(0).padStart(3)}%] ${joinParts(status.parts)}`;
}

/**
 * The live status line in at most `columns` columns: a bar of 10–30 cells,
 * the percentage, then as many parts as fit (the least important dropped
 * first); in fewer than 15 columns, the percentage alone.
 *
 *   ████████░░░░░░░░░░░░  42% step 1,234 · train 1.781 · val 1.851 bits/char · ETA 2m03s
 */
export function statusLine(p: Progress, budgetLabel: string, columns: number): string {
  return fitStatus({ fraction: p.fraction, parts: statusParts(p, budgetLabel) }, columns);
}

/** A status as a live line of at most `columns` columns (see {@link statusLine}). */
export function fitStatus(status: Status, columns: number): string {
  const percent = `${(status.fraction * 100).toFixed(0).padStart(3)}%`;
  const parts = [...status.parts];
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
  const full = Math.round(Math.min(1, Math.max(0, status.fraction)) * barCells);
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
class LiveStatus<P> implements StatusDisplay<P> {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly describe: (p: P) => Status, private readonly stream: NodeJS.WriteStream) {
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
      format: (_options, _params, payload: { status?: Status }) =>
        payload.status ? fitStatus(payload.status, (stream.columns || 80) - 1) : '',
    });
  }

  update(p: P): void {
    const status = this.describe(p);
    const fraction = Math.min(1, Math.max(0, status.fraction));
    if (this.bar) this.bar.update(fraction, { status });
    else this.bar = this.bars.create(1, fraction, { status });
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
class PeriodicStatus<P> implements StatusDisplay<P> {
  private lastLine = performance.now();

  constructor(private readonly describe: (p: P) => Status, private readonly stream: NodeJS.WritableStream) {}

  update(p: P): void {
    const now = performance.now();
    const status = this.describe(p);
    if (now - this.lastLine < LINE_EVERY * 1000 && status.fraction < 1) return;
    this.lastLine = now;
    this.stream.write(`${plainStatus(status)}\n`);
  }

  log(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  stop(): void {}
}
