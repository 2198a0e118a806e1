/**
 * `recurrent lab vanishing`: how fast the gradient fades with distance, for
 * each cell and initialisation (see src/lab/vanishing.ts for the protocol).
 * Prints a table — the decay per step ρ fitted for each configuration, what
 * is left after 50 steps, σ₁ of W_hh, and log g(k) as a sparkline — and
 * writes the figure `vanishing.svg` and the numbers `vanishing.json`.
 */
import { type Command, Option } from 'commander';
import { sparkline } from '../../figures/terminal.js';
import { VANISHING_CONFIGS, vanishingExperiment, vanishingFigure, type VanishingResult } from '../../lab/vanishing.js';
import { type BackendChoice, chooseBackend } from '../backend.js';
import { integerIn, oneOf } from '../options.js';
import { DEFAULT_LAB_FOLDER, LabOutput } from './output.js';

interface VanishingCommandOptions {
  length: number;
  hidden: number;
  batch: number;
  seeds: number;
  configs?: string;
  float64: boolean;
  out: string;
  json: boolean;
  backend: BackendChoice;
}

const BACKENDS = ['auto', 'wasm', 'js'] as const;

export function vanishingCommand(lab: Command): void {
  lab
    .command('vanishing')
    .description('how fast ‖∂L_T/∂h_t‖ fades with distance: tanh RNN (default, orthogonal, identity), IRNN, leaky ReLU, LSTM (forget bias 0/1), GRU')
    .option('--length <T>', 'steps of the sequence (the loss is at the last one)', integerIn(2, 100_000), 200)
    .option('--hidden <n>', 'hidden units', integerIn(1, 4096), 128)
    .option('--batch <n>', 'sequences per run', integerIn(1, 4096), 16)
    .option('--seeds <n>', 'runs per configuration (seeds 0 … n−1)', integerIn(1, 100), 5)
    .option('--configs <names>', `comma-separated subset of: ${VANISHING_CONFIGS.map((c) => c.name).join(', ')}`)
    .option('--float64', 'compute in float64 (no underflow to 0 of tiny gradients)', false)
    .option('--out <dir>', 'folder for vanishing.svg and vanishing.json', DEFAULT_LAB_FOLDER)
    .option('--json', 'print the result as JSON on stdout instead of the table', false)
    .addOption(new Option('--backend <name>', 'kernels').choices(BACKENDS).default('auto').argParser(oneOf(BACKENDS)))
    .action(async (o: VanishingCommandOptions) => {
      process.exitCode = await vanishing(o);
    });
}

async function vanishing(o: VanishingCommandOptions): Promise<number> {
  const configs = o.configs?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const name of configs ?? []) {
    if (!VANISHING_CONFIGS.some((c) => c.name === name)) {
      throw new Error(`lab vanishing: --configs: no configuration '${name}' (have: ${VANISHING_CONFIGS.map((c) => c.name).join(', ')})`);
    }
  }
  const out = new LabOutput(o.out);
  const backend = await chooseBackend(o.backend, 1);
  const progress = !o.json && process.stderr.isTTY;
  const result = vanishingExperiment({
    length: o.length, hiddenSize: o.hidden, batch: o.batch,
    seeds: Array.from({ length: o.seeds }, (_, i) => i),
    ...(configs ? { configs } : {}),
    dtype: o.float64 ? 'float64' : 'float32',
    backend,
    onRun: (done, total, config) => {
      if (progress) process.stderr.write(`\rlab vanishing: ${done}/${total} runs (${config.label})`.padEnd(72));
    },
  });
  if (progress) process.stderr.write('\n');
  const json = out.json('vanishing', resultJson(result));
  const svg = await out.figure('vanishing', vanishingFigure(result));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...resultJson(result), files: [svg, json] })}\n`);
  } else {
    process.stdout.write(`${table(result).join('\n')}\n\nWrote ${svg} and ${json}\n`);
  }
  return 0;
}

/** The numbers of a result, curves as plain arrays. */
function resultJson(r: VanishingResult): Record<string, unknown> {
  const finite = (a: ArrayLike<number> | null): (number | null)[] | null => (a ? Array.from(a, (v) => (Number.isFinite(v) ? v : null)) : null);
  return {
    protocol: { length: r.length, hiddenSize: r.hiddenSize, inputSize: r.inputSize, batch: r.batch, seeds: r.seeds, dtype: r.dtype },
    configurations: r.curves.map((c) => ({
      name: c.config.name, label: c.config.label, cell: c.config.cell, init: c.config.init, forgetBias: c.config.forgetBias ?? null,
      rate: c.rate, rateRange: c.rateRange, logRates: c.logRates,
      log10Ratio50: Number.isFinite(c.log10Ratio50) ? c.log10Ratio50 : null,
      cellStateRate: c.cellStateRate, sigma1: c.sigma1, underflowSeeds: c.underflowSeeds,
      log10H: finite(c.log10H), log10C: finite(c.log10C),
    })),
  };
}

/** 1.2e-13 style. */
function sci(v: number): string {
  return Number.isFinite(v) ? v.toExponential(1) : v === -Infinity ? '0 (underflow)' : '–';
}

function table(r: VanishingResult): string[] {
  const width = Math.max(...r.curves.map((c) => c.config.label.length));
  const lines = [
    `Vanishing gradients: g(k) = ‖∂L_T/∂h_{T−k}‖, loss at the last of T = ${r.length} steps`,
    `H = ${r.hiddenSize}, I = ${r.inputSize}, B = ${r.batch}, x ~ N(0, 1), ${r.seeds.length} seeds, ${r.dtype}; ρ = decay per step (least squares on ln g)`,
    '',
    `${'configuration'.padEnd(width)}  ${'ρ per step (range)'.padEnd(22)}  ${'g(50)/g(0)'.padEnd(13)}  σ₁(W_hh)  log g(k), k = 0 → ${r.length - 1}`,
  ];
  for (const c of r.curves) {
    const rate = `${c.rate.toFixed(4)} (${c.rateRange[0].toFixed(3)}–${c.rateRange[1].toFixed(3)})`;
    const ratio = Number.isNaN(c.log10Ratio50) ? '–' : sci(10 ** c.log10Ratio50);
    lines.push(`${c.config.label.padEnd(width)}  ${rate.padEnd(22)}  ${ratio.padEnd(13)}  ${c.sigma1.toFixed(3).padEnd(8)}  ${sparkline(c.log10H, { width: 40 })}`);
  }
  const lstms = r.curves.filter((c) => c.cellStateRate !== null);
  if (lstms.length > 0) {
    lines.push('', 'LSTM cell state: ‖∂L_T/∂c_{T−k}‖ decays per step by');
    for (const c of lstms) lines.push(`  ${c.config.label.padEnd(width)}  ρ_c = ${(c.cellStateRate as number).toFixed(4)}   (h: ${c.rate.toFixed(4)})   ${sparkline(c.log10C as Float64Array, { width: 40 })}`);
  }
  const underflow = r.curves.filter((c) => c.underflowSeeds > 0);
  if (underflow.length > 0) {
    lines.push('', `Underflow: in ${underflow.map((c) => `${c.config.label} (${c.underflowSeeds} of ${r.seeds.length} seeds)`).join(', ')} the gradient fell below the smallest ${r.dtype} number and is exactly 0 far back; those points are left out of the fit (--float64 keeps them).`);
  }
  return lines;
}
