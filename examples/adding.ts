/**
 * The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015):
 * two input channels — U(0, 1) values and two markers, one in each half of the
 * sequence — and one target, the sum of the two marked values, read from the
 * last hidden state through a Linear. Always answering 1 scores MSE 1/6.
 *
 * Trains an LSTM, an IRNN (ReLU RNN, W_hh = I, zero biases, W_ih ~ N(0, 0.001²))
 * and a tanh RNN with PyTorch's default init ({@link ADDING_MODELS}), and
 * prints each one's held-out MSE curve and a summary. Results and timings:
 * docs/classic-tasks.md.
 *
 * Run (after `npx tsc -p tsconfig.json`):
 *   node dist/examples/adding.js                            # all three, defaults below
 *   node dist/examples/adding.js --model irnn --T 50 --steps 4000 --eval-every 250
 * Options (each also as an environment variable: MODEL, STEPS, HIDDEN, SEED, T,
 * LR, BATCH, CLIP, EVAL_EVERY, TEST_SIZE, TARGET):
 *   --model lstm|irnn|tanh|all   (default all)
 *   --steps N      optimiser updates                       (default per model)
 *   --hidden H     hidden units                            (default per model)
 *   --T T          sequence length                         (default 100)
 *   --lr γ         Adam learning rate                      (default per model)
 *   --batch B      sequences per update                    (default 32)
 *   --clip c       max global gradient norm                (default per model)
 *   --seed s       model and training-stream seed          (default 1)
 *   --eval-every k test MSE every k updates                (default 100)
 *   --test-size n  held-out sequences (seed 12345)         (default 1000)
 *   --target m     stop once the test MSE is ≤ m           (default 0: never)
 */
import { ADDING_MODELS, runAdding } from '../src/index.js';
import { numberOption, option } from './args.js';

type ModelName = keyof typeof ADDING_MODELS;

/** Per-model defaults: the settings of the runs in docs/classic-tasks.md. */
const DEFAULTS: Record<ModelName, { steps: number; hidden: number; lr: number; clip: number }> = {
  lstm: { steps: 3000, hidden: 32, lr: 1e-2, clip: 1 },
  irnn: { steps: 10000, hidden: 64, lr: 1e-3, clip: 1 },
  tanh: { steps: 10000, hidden: 64, lr: 1e-3, clip: 1 },
};

const which = option('model', 'MODEL') ?? 'all';
const models: ModelName[] = which === 'all' ? ['lstm', 'irnn', 'tanh'] : [which as ModelName];
for (const m of models) {
  if (!Object.hasOwn(ADDING_MODELS, m)) throw new Error(`adding: --model must be lstm, irnn, tanh or all, got '${m}'`);
}
const T = numberOption('adding', 'T', 'T', 100);
const batch = numberOption('adding', 'batch', 'BATCH', 32);
const seed = numberOption('adding', 'seed', 'SEED', 1);
const evalEvery = numberOption('adding', 'eval-every', 'EVAL_EVERY', 100);
const testSize = numberOption('adding', 'test-size', 'TEST_SIZE', 1000);
const target = numberOption('adding', 'target', 'TARGET', 0);

const summary: string[] = [];
for (const model of models) {
  const d = DEFAULTS[model];
  const steps = numberOption('adding', 'steps', 'STEPS', d.steps);
  const hidden = numberOption('adding', 'hidden', 'HIDDEN', d.hidden);
  const lr = numberOption('adding', 'lr', 'LR', d.lr);
  const clip = numberOption('adding', 'clip', 'CLIP', d.clip);
  console.log(`\n== ${model}: T = ${T}, hidden ${hidden}, batch ${batch}, Adam lr ${lr}, clip ${clip}, seed ${seed}, ${steps} steps`);
  console.log('  step   test MSE   train MSE   seconds');
  const r = runAdding({
    model: ADDING_MODELS[model], length: T, hiddenSize: hidden, steps, batchSize: batch, lr, clip, seed, evalEvery, testSize,
    ...(target > 0 ? { target } : {}),
    onEval: (p) => {
      const train = Number.isNaN(p.trainMse) ? '        -' : p.trainMse.toFixed(5).padStart(9);
      console.log(`${String(p.step).padStart(6)}   ${p.testMse.toFixed(5)}   ${train}   ${p.seconds.toFixed(1).padStart(7)}`);
    },
  });
  const best = Math.min(...r.curve.map((p) => p.testMse));
  console.log(`  ${r.parameters} parameters; test set of ${testSize}: predicting 1 scores ${r.trivialTestMse.toFixed(5)}, the best constant ${r.bestConstantTestMse.toFixed(5)}`);
  summary.push(`${model.padEnd(5)} T=${T} H=${hidden} lr=${lr} clip=${clip} batch=${batch} seed=${seed}: ${r.steps} steps, ${r.seconds.toFixed(0)} s, final test MSE ${r.finalTestMse.toFixed(5)} (best ${best.toFixed(5)}; trivial ${r.trivialTestMse.toFixed(5)})`);
}
console.log(`\n${summary.join('\n')}`);
