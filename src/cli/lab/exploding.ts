/**
 * `recurrent lab exploding`: a tanh RNN whose W_hh has spectral radius s > 1,
 * trained by plain SGD three times from the same weights on the same batches
 * — without clipping, clipped by value, clipped by global norm (see
 * src/lab/exploding.ts). Prints the gradient norm and loss of each run as
 * sparklines and a summary table; writes the figure `exploding.svg` and the
 * numbers `exploding.json`.
 */
import type { Command } from 'commander';
import { seriesTable } from '../../figures/terminal.js';
import {
  CLIP_MODE_LABELS, EXPLODING_DEFAULTS, explodingExperiment, explodingFigure, type ExplodingResult, type ExplodingRun,
} from '../../lab/exploding.js';
import { integerIn, positiveInt, positiveNumber } from '../options.js';
import { DEFAULT_LAB_FOLDER, LabOutput } from './output.js';

interface ExplodingCommandOptions {
  scale: number;
  length: number;
  steps: number;
  lr: number;
  clip: number;
  seed: number;
  out: string;
  json: boolean;
}

export function explodingCommand(lab: Command): void {
  const d = EXPLODING_DEFAULTS;
  lab
    .command('exploding')
    .description('exploding gradients and clipping: a tanh RNN with spectral radius > 1, SGD without clipping, clipped by value, clipped by global norm')
    .option('--scale <s>', 'W_hh = s × an orthogonal matrix: its spectral radius and every singular value', positiveNumber, d.scale)
    .option('--length <T>', 'steps of the adding problem', integerIn(2, 100_000), d.length)
    .option('--steps <n>', 'SGD steps per run', integerIn(1, 1_000_000), d.steps)
    .option('--lr <rate>', 'SGD learning rate γ', positiveNumber, d.lr)
    .option('--clip <c>', 'threshold: largest gradient element (by value) or global norm (by norm)', positiveNumber, d.clip)
    .option('--seed <n>', 'seed of the weights and of the batches', integerIn(0, 2 ** 31 - 1), d.seed)
    .option('--out <dir>', 'folder for exploding.svg and exploding.json', DEFAULT_LAB_FOLDER)
    .option('--json', 'print the result as JSON on stdout instead of the tables', false)
    .action(async (o: ExplodingCommandOptions) => {
      process.exitCode = await exploding(o);
    });
}

async function exploding(o: ExplodingCommandOptions): Promise<number> {
  const out = new LabOutput(o.out);
  const progress = !o.json && process.stderr.isTTY;
  const result = explodingExperiment({
    scale: o.scale, length: o.length, steps: o.steps, lr: o.lr, clip: o.clip, seed: o.seed,
    onStep: (mode, step) => {
      if (progress && (step % 20 === 0 || step === o.steps - 1)) {
        process.stderr.write(`\rlab exploding: ${CLIP_MODE_LABELS[mode]}, step ${step + 1}/${o.steps}`.padEnd(60));
      }
    },
  });
  if (progress) process.stderr.write('\n');
  const json = out.json('exploding', resultJson(result));
  const svg = await out.figure('exploding', explodingFigure(result));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...resultJson(result), files: [svg, json] })}\n`);
  } else {
    process.stdout.write(`${report(result).join('\n')}\n\nWrote ${svg} and ${json}\n`);
  }
  return 0;
}

/** The numbers of a result; non-finite values (none in the per-step arrays) as null. */
function resultJson(r: ExplodingResult): Record<string, unknown> {
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    config: r.config,
    parameters: r.parameters,
    spectralRadius: r.spectralRadius,
    sigma1: r.sigma1,
    trivialLoss: r.trivialLoss,
    normUpdateBound: r.normUpdateBound,
    valueUpdateBound: r.valueUpdateBound,
    runs: r.runs.map((run) => ({
      mode: run.mode,
      steps: run.loss.length,
      stopped: run.stopped,
      finalLoss: finite(run.finalLoss),
      bestLoss: finite(run.bestLoss),
      maxGradNorm: finite(run.maxGradNorm),
      maxUpdateNorm: finite(run.maxUpdateNorm),
      clipRate: run.clipRate,
      clipStatistics: run.clipStatistics,
      finalSigma1: finite(run.finalSigma1),
      seconds: run.seconds,
      loss: run.loss,
      gradNorm: run.gradNorm,
      updateNorm: run.updateNorm,
    })),
  };
}

/** 1.23e+4 style. */
function sci(v: number): string {
  return Number.isFinite(v) ? v.toExponential(2) : '–';
}

function summaryRow(run: ExplodingRun): string[] {
  return [
    CLIP_MODE_LABELS[run.mode], `${run.loss.length}${run.stopped ? ' (stopped)' : ''}`, run.finalLoss.toPrecision(4), run.bestLoss.toPrecision(4),
    sci(run.maxGradNorm), run.mode === 'none' ? '–' : `${(100 * run.clipRate).toFixed(1)} %`, sci(run.maxUpdateNorm),
    run.finalSigma1 < 1000 ? run.finalSigma1.toFixed(3) : sci(run.finalSigma1),
  ];
}

/** Columns padded to their widest cell, the first left-aligned and the others right-aligned. */
function aligned(rows: readonly string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, j) => Math.max(...rows.map((r) => (r[j] as string).length)));
  return rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number))).join('  '));
}

function report(r: ExplodingResult): string[] {
  const c = r.config;
  const name = (run: ExplodingRun): string => CLIP_MODE_LABELS[run.mode];
  return [
    'Exploding gradients and clipping (Pascanu, Mikolov & Bengio 2013)',
    `tanh RNN, H = ${c.hiddenSize} (${r.parameters} parameters with the readout); W_hh = ${c.scale} × an orthogonal matrix, so its spectral radius is ${c.scale}`,
    `(an orthogonal matrix's eigenvalues all have modulus 1) and so is every singular value: σ₁ measured ${r.sigma1.toFixed(4)}.`,
    `Adding problem, T = ${c.length}, batch ${c.batchSize}; plain SGD, γ = ${c.lr}, ${c.steps} steps; threshold c = ${c.clip}; seed ${c.seed}.`,
    'The three runs start from the same weights and see the same batches.',
    '',
    'Gradient norm ‖g‖ before clipping, log scale (first → last step):',
    ...seriesTable(r.runs.map((run) => ({ name: `  ${name(run)}`, x: [], y: run.gradNorm })), { log: true, width: 50 }),
    '',
    'Loss on the batch (MSE), log scale:',
    ...seriesTable(r.runs.map((run) => ({ name: `  ${name(run)}`, x: [], y: run.loss })), { log: true, width: 50 }),
    '',
    ...aligned([
      ['mode', 'steps', 'final loss', 'best loss', 'max ‖g‖', 'clip rate', 'max ‖Δθ‖', 'σ₁ after'],
      ...r.runs.map(summaryRow),
    ]),
    ...r.runs.filter((run) => run.stopped).map((run) => `${name(run)}: stopped at step ${run.stopped?.step}, ${run.stopped?.reason}.`),
    '',
    `Trivial loss (always answering 1): ${r.trivialLoss.toPrecision(4)}. Largest update allowed: γc = ${r.normUpdateBound.toPrecision(4)} by global norm,`,
    `γc√n = ${r.valueUpdateBound.toPrecision(4)} by value (n = ${r.parameters}); none without clipping. Clip rate: steps on which clipping changed the gradient.`,
  ];
}
