/**
 * `recurrent lab tasks`: the adding problem's learning curves for a tanh RNN,
 * an IRNN, an LSTM and a GRU, and delayed recall's accuracy against the
 * truncation of TBPTT beside full BPTT and RTRL (see src/lab/tasks.ts).
 * Prints both as tables; writes the figures `tasks-adding.svg` and
 * `tasks-recall.svg` and the numbers `tasks.json`.
 */
import { type Command, Option } from 'commander';
import { seriesTable } from '../../figures/terminal.js';
import {
  type AddingComparison, addingComparison, addingFigure, type RecallTruncation, recallFigure, recallTruncation, TASKS_FULL, TASKS_QUICK,
  type TasksSettings,
} from '../../lab/tasks.js';
import { type BackendChoice, chooseBackend } from '../backend.js';
import { formatSeconds, integerIn, oneOf } from '../options.js';
import { DEFAULT_LAB_FOLDER, LabOutput } from './output.js';

interface TasksCommandOptions {
  length?: number;
  steps?: number;
  episodes?: number;
  seed?: number;
  quick: boolean;
  out: string;
  json: boolean;
  backend: BackendChoice;
}

const BACKENDS = ['auto', 'wasm', 'js'] as const;

export function tasksCommand(lab: Command): void {
  const full = TASKS_FULL;
  const quick = TASKS_QUICK;
  lab
    .command('tasks')
    .description('the classic tasks: adding-problem learning curves (tanh RNN, IRNN, LSTM, GRU); delayed recall against the truncation of TBPTT, beside BPTT and RTRL')
    .option('--length <T>', `steps of the adding problem (default: ${full.adding.length}, ${quick.adding.length} with --quick)`, integerIn(2, 100_000))
    .option('--steps <n>', `updates per model on the adding problem (default: ${full.adding.steps}, ${quick.adding.steps} with --quick)`, integerIn(1, 10_000_000))
    .option('--episodes <n>', `training sequence batches per delayed-recall run (default: ${full.recall.episodes}, ${quick.recall.episodes} with --quick)`, integerIn(1, 10_000_000))
    .option('--seed <n>', `seed of the models and of the training streams (default: ${full.adding.seed})`, integerIn(0, 2 ** 31 - 1))
    .option('--quick', `a smaller run: T = ${quick.adding.length}, ${quick.adding.steps} updates; recall with ${quick.recall.episodes} episodes and k2 ∈ {${quick.recall.truncations.join(', ')}}`, false)
    .option('--out <dir>', 'folder for tasks-adding.svg, tasks-recall.svg and tasks.json', DEFAULT_LAB_FOLDER)
    .option('--json', 'print the result as JSON on stdout instead of the tables', false)
    .addOption(new Option('--backend <name>', 'kernels').choices(BACKENDS).default('auto').argParser(oneOf(BACKENDS)))
    .addHelpText('after', `
At T = 100 with seed 1 (WebAssembly kernels) the GRU leaves the trivial
plateau after about 300 updates, the LSTM after 1700, the IRNN after about
6000; the tanh RNN stays on it. The full run takes about 3 minutes on 2 busy
cores (RTRL alone half a minute), --quick about 20 seconds.`)
    .action(async (o: TasksCommandOptions) => {
      process.exitCode = await tasks(o);
    });
}

/** The preset, with the options given on the command line in place of its values. */
function settingsOf(o: TasksCommandOptions): TasksSettings {
  const preset = o.quick ? TASKS_QUICK : TASKS_FULL;
  return {
    adding: { ...preset.adding, ...(o.length !== undefined ? { length: o.length } : {}), ...(o.steps !== undefined ? { steps: o.steps } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) },
    recall: { ...preset.recall, ...(o.episodes !== undefined ? { episodes: o.episodes } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) },
  };
}

async function tasks(o: TasksCommandOptions): Promise<number> {
  const settings = settingsOf(o);
  const out = new LabOutput(o.out);
  const backend = await chooseBackend(o.backend, 1);
  const progress = !o.json && process.stderr.isTTY;
  const status = (text: string): void => {
    if (progress) process.stderr.write(`\rlab tasks: ${text}`.padEnd(78));
  };
  const started = performance.now();
  const adding = addingComparison({
    ...settings.adding, backend,
    onEval: (model, p) => status(`adding, ${model}: ${p.step}/${settings.adding.steps} updates, test MSE ${p.testMse.toFixed(4)}`),
  });
  const recall = recallTruncation({
    ...settings.recall, backend,
    onRun: (run) => status(`recall: ${run.label} accuracy ${run.accuracy.toFixed(3)}`),
  });
  if (progress) process.stderr.write('\n');
  const seconds = (performance.now() - started) / 1000;
  const result = { settings: { ...settings, adding: { ...settings.adding, models: settings.adding.models.map((m) => m.name) } }, adding, recall, seconds };
  const json = out.json('tasks', result);
  const addingSvg = await out.figure('tasks-adding', addingFigure(adding));
  const recallSvg = await out.figure('tasks-recall', recallFigure(recall));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...result, files: [addingSvg, recallSvg, json] })}\n`);
  } else {
    const lines = [...addingReport(adding, settings), '', ...recallReport(recall, settings), '', `Total ${formatSeconds(seconds)}.`];
    process.stdout.write(`${lines.join('\n')}\n\nWrote ${addingSvg}, ${recallSvg} and ${json}\n`);
  }
  return 0;
}

/** Columns padded to their widest cell, the first left-aligned and the others right-aligned. */
function aligned(rows: readonly string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, j) => Math.max(...rows.map((r) => (r[j] as string).length)));
  return rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number))).join('  '));
}

/** 10^v as 1.2e-13, or 'underflow'. */
function ratio(log10: number): string {
  return Number.isFinite(log10) ? (10 ** log10).toExponential(1) : '0 (underflow)';
}

function addingReport(a: AddingComparison, s: TasksSettings): string[] {
  const o = s.adding;
  return [
    `Adding problem, T = ${a.length}: ${o.steps} updates per model, batch ${o.batchSize}, Adam, clip ${o.clip}, seed ${o.seed};`,
    `test MSE on ${o.testSize} held-out sequences every ${o.evalEvery} updates. Always answering 1 scores ${a.trivialTestMse.toFixed(4)} on them.`,
    '',
    'Test MSE, log scale (first → last evaluation):',
    ...seriesTable(a.curves.map((c) => ({ name: `  ${c.name}`, x: c.steps, y: c.testMse })), { log: true, width: 50 }),
    '',
    ...aligned([
      ['model', 'H', 'parameters', 'Adam lr', 'final MSE', 'best MSE', 'first ≤ trivial/10', 'time'],
      ...a.curves.map((c) => [
        c.name, String(c.hiddenSize), String(c.parameters), String(c.lr), c.finalTestMse.toFixed(5), c.bestTestMse.toFixed(5),
        c.firstStepBelowTenth === null ? 'never' : `update ${c.firstStepBelowTenth}`, `${c.seconds.toFixed(1)} s`,
      ]),
    ]),
    '',
    `How far back the prediction's gradient reaches, g(k) = ‖∂ŷ/∂h_{T−k}‖ on 64 sequences: decay per step ρ and g(${a.length - 1})/g(0)`,
    ...aligned([
      ['model', 'ρ before training', 'after', `g(${a.length - 1})/g(0) before`, 'after'],
      ...a.curves.map((c) => [
        c.name, c.decayBefore.rate.toFixed(4), c.decayAfter.rate.toFixed(4), ratio(c.decayBefore.log10FirstToLast), ratio(c.decayAfter.log10FirstToLast),
      ]),
    ]),
  ];
}

function recallReport(r: RecallTruncation, s: TasksSettings): string[] {
  const o = s.recall;
  const row = (run: RecallTruncation['truncated'][number]): string[] => [
    run.label, run.k2 === null ? '–' : String(run.k2), run.accuracy.toFixed(4), run.loss.toFixed(4), String(run.updates), `${run.seconds.toFixed(1)} s`,
  ];
  return [
    `Delayed recall: output the symbol of L = ${r.lag} steps ago (K = ${o.alphabet} symbols); ${o.cell}, H = ${o.hiddenSize}, sequences of ${o.length},`,
    `batch ${o.batchSize}, Adam ${o.lr}, ${o.episodes} episodes per run, seed ${o.seed}; accuracy on ${o.testSize} test sequences.`,
    `TBPTT(k1, k2) updates every k1 = ${r.k1} steps; its gradient reaches x_{t−L} from no output when k2 ≤ L, from every output when k2 ≥ L + k1.`,
    '',
    ...aligned([
      ['method', 'k2', 'accuracy', 'loss', 'updates', 'time'],
      ...r.truncated.map(row),
      ...r.untruncated.map(row),
    ]),
    `chance: accuracy ${r.chanceAccuracy}, loss ln ${o.alphabet} = ${r.chanceLoss.toFixed(4)}`,
  ];
}
