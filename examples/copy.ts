/**
 * Delayed recall: at every step a random symbol (one of K, one-hot) comes in
 * and the network must output the symbol of L steps ago. The same tanh RNN is
 * trained three ways on the same stream of sequences:
 *
 *   bptt         full backpropagation through time, one update per sequence batch
 *   tbptt        truncated BPTT(k1, k2): an update every k1 steps, gradient cut k2 steps back
 *   rtrl         Real-Time Recurrent Learning: an update every k1 steps, gradient never cut
 *
 * With k2 < L + k1 no gradient connects the loss at t to the input at t − L
 * for some outputs (for none when k2 ≤ L): TBPTT(4, 4) stays near chance
 * (cross-entropy ln K, accuracy 1/K) while BPTT and RTRL learn the task.
 * Results and timings: docs/classic-tasks.md.
 *
 * Run (after `npx tsc -p tsconfig.json`):
 *   node dist/examples/copy.js                                # bptt, tbptt(4,4), tbptt(4,12), rtrl(4)
 *   node dist/examples/copy.js --method tbptt --k1 4 --k2 12
 * Options (each also as an environment variable: METHOD, CELL, LAG, ALPHABET,
 * HIDDEN, LENGTH, BATCH, EPISODES, LR, K1, K2, SEED, EVAL_EVERY):
 *   --method bptt|tbptt|rtrl|all   (default all)
 *   --cell rnn_tanh|rnn_relu|lstm|gru   (default rnn_tanh; 'tanh' also names rnn_tanh)
 *   --lag L        (default 8)      --alphabet K   (default 4)
 *   --hidden H     (default 16)     --length T     training sequence length (default 40)
 *   --batch B      (default 16)     --episodes N   training sequence batches (default 600)
 *   --lr γ         Adam learning rate (default 0.003)
 *   --k1 k1 --k2 k2   TBPTT / RTRL update interval and truncation (default 4, 4)
 *   --seed s       (default 1)      --eval-every n episodes between evaluations (default 50)
 */
import { isCellType, type RecallMethod, type RecallRunOptions, runRecall } from '../src/index.js';
import { numberOption, option } from './args.js';

const method = option('method', 'METHOD') ?? 'all';
const cellOption = option('cell', 'CELL') ?? 'rnn_tanh';
const cell = cellOption === 'tanh' ? 'rnn_tanh' : cellOption;
if (!isCellType(cell)) throw new Error(`copy: --cell must be rnn_tanh, rnn_relu, lstm or gru, got '${cellOption}'`);
const lag = numberOption('copy', 'lag', 'LAG', 8);
const alphabet = numberOption('copy', 'alphabet', 'ALPHABET', 4);
const hidden = numberOption('copy', 'hidden', 'HIDDEN', 16);
const length = numberOption('copy', 'length', 'LENGTH', 40);
const batch = numberOption('copy', 'batch', 'BATCH', 16);
const episodes = numberOption('copy', 'episodes', 'EPISODES', 600);
const lr = numberOption('copy', 'lr', 'LR', 0.003);
const k1 = numberOption('copy', 'k1', 'K1', 4);
const k2 = numberOption('copy', 'k2', 'K2', k1);
const seed = numberOption('copy', 'seed', 'SEED', 1);
const evalEvery = numberOption('copy', 'eval-every', 'EVAL_EVERY', 50);

interface Run { label: string; method: RecallMethod; k1?: number; k2?: number }
const runs: Run[] = method === 'all'
  ? [
    { label: 'bptt', method: 'bptt' },
    { label: `tbptt(${k1},${k2})`, method: 'tbptt', k1, k2 },
    { label: `tbptt(${k1},${lag + k1})`, method: 'tbptt', k1, k2: lag + k1 },
    { label: `rtrl(k1=${k1})`, method: 'rtrl', k1 },
  ]
  : method === 'bptt' ? [{ label: 'bptt', method: 'bptt' }]
    : method === 'tbptt' ? [{ label: `tbptt(${k1},${k2})`, method: 'tbptt', k1, k2 }]
      : method === 'rtrl' ? [{ label: `rtrl(k1=${k1})`, method: 'rtrl', k1 }]
        : (() => { throw new Error(`copy: --method must be bptt, tbptt, rtrl or all, got '${method}'`); })();

console.log(`delayed recall: lag ${lag}, ${alphabet} symbols, ${cell} net with ${hidden} units, sequences of ${length} × batch ${batch}, Adam lr ${lr}, seed ${seed}`);
console.log(`chance: cross-entropy ln ${alphabet} = ${Math.log(alphabet).toFixed(4)}, accuracy ${(1 / alphabet).toFixed(4)}`);
const summary: string[] = [];
for (const run of runs) {
  console.log(`\n== ${run.label}`);
  console.log(' episode  updates   test loss   accuracy   seconds');
  const options: RecallRunOptions = {
    method: run.method, cell, lag, alphabet, hiddenSize: hidden, length, batchSize: batch, episodes, lr, seed, evalEvery,
    onEval: (p) => {
      console.log(`${String(p.episode).padStart(8)} ${String(p.updates).padStart(8)}   ${p.testLoss.toFixed(4).padStart(9)}   ${p.testAccuracy.toFixed(4)}   ${p.seconds.toFixed(1).padStart(7)}`);
    },
  };
  if (run.k1 !== undefined) options.k1 = run.k1;
  if (run.k2 !== undefined) options.k2 = run.k2;
  const r = runRecall(options);
  const tail = r.curve.slice(-5);
  const meanAcc = tail.reduce((s, p) => s + p.testAccuracy, 0) / tail.length;
  summary.push(`${run.label.padEnd(14)} ${r.episodes} episodes, ${r.updates} updates, ${r.seconds.toFixed(1)} s: test loss ${r.finalLoss.toFixed(4)}, accuracy ${r.finalAccuracy.toFixed(4)} (mean of last ${tail.length} evaluations ${meanAcc.toFixed(4)})`);
}
console.log(`\n${summary.join('\n')}`);
