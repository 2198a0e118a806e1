/**
 * `npm run bench`: the workloads W1–W5 for recurrent and its peers in the
 * same run, each process pinned with taskset, and the ratios between them.
 *
 *   npm run bench -- [--only W1,W3,S2S] [--timings 5] [--quick] [--write]
 *
 * First the native matrix product against the processor's multiply-add
 * ceiling (./native-gemm.ts), pinned to core 1. Then the systems: recurrent
 * native (1 and 2 threads) and WebAssembly (1 thread), PyTorch as installed
 * and with OPENBLAS_CORETYPE=SkylakeX, each with 1 and with 2 threads
 * (../shared/bench/peers/torch_rnn.py via /usr/bin/python3; its thread count
 * is set from outside, see {@link torchWithThreads}), TensorFlow.js with its wasm backend
 * (../shared/bench/peers/tfjs_rnn.js, run from bench/peers/, whose own
 * package.json holds TensorFlow.js: install it once with `npm run bench:peers`).
 * A peer that is absent is skipped with a note. `--write` puts the table into BENCHMARKS.md between
 * the bench markers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/backend/native.js';
import { nativeGemmTable, type NativeGemmReport } from './native-gemm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peers = join(root, '..', 'shared', 'bench', 'peers');
/** Where the JavaScript peers are installed (`npm run bench:peers`), apart from the project's own dependencies. */
const jsPeers = join(root, 'bench', 'peers');

interface Result {
  system: string;
  workload: string;
  tok_per_s: number;
  gflops: number;
  peak_rss_mb: number;
  cpu_over_wall?: number;
}

interface System {
  label: string;
  cpus: string;
  command: () => { file: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string } | null;
  note?: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const timings = Number(args.includes('--timings') ? args[args.indexOf('--timings') + 1] : quick ? 3 : 5);
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : ['W1', 'W2', 'W3', 'W4', 'W5', 'S2S'];

/** The widest x86 vector extension the CPU reports (every figure says which machine it is). */
function simdLevel(): string {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    return /\bavx512f\b/.test(flags) ? 'AVX-512' : /\bavx2\b/.test(flags) ? 'AVX2, no AVX-512' : 'no AVX2';
  } catch {
    return 'vector extensions unknown';
  }
}

function hasTorch(): boolean {
  if (!existsSync('/usr/bin/python3') || !existsSync(join(peers, 'torch_rnn.py'))) return false;
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function hasTfjs(): boolean {
  try {
    execFileSync(process.execPath, ['-e', "require.resolve('@tensorflow/tfjs-backend-wasm')"], { cwd: jsPeers, stdio: 'ignore' });
    return existsSync(join(peers, 'tfjs_rnn.js'));
  } catch {
    return false;
  }
}

const torch = hasTorch();
const avx512 = simdLevel() === 'AVX-512';
const native = nativeStatus().available;
const tfjs = hasTfjs();
const workloadsJs = join(root, 'dist', 'bench', 'workloads.js');
/**
 * The peer script fixes `torch.set_num_threads(1)`; this runs it unchanged
 * with that call pinned to `threads` instead (and OpenBLAS's own threads to match).
 */
function torchWithThreads(threads: number, skylake: boolean): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const script = join(peers, 'torch_rnn.py');
  const wrapper = [
    'import runpy, sys, torch',
    `n = ${threads}`,
    'set_threads = torch.set_num_threads',
    'torch.set_num_threads = lambda _: set_threads(n)',
    'sys.argv = [sys.argv[1]] + sys.argv[2:]',
    "runpy.run_path(sys.argv[0], run_name='__main__')",
  ].join('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  if (skylake) env.OPENBLAS_CORETYPE = 'SkylakeX';
  return { file: '/usr/bin/python3', args: ['-c', wrapper, script, '{W}', String(timings)], env };
}

const recurrent = (backend: 'native' | 'wasm', threads: number) => () =>
  ({ file: process.execPath, args: [workloadsJs, '{W}', String(timings), '--backend', backend, '--threads', String(threads)] });
const systems: System[] = [
  { label: 'recurrent native, 1 thread', cpus: '1', command: native ? recurrent('native', 1) : () => null, note: 'recurrent native skipped: the native kernels are not built here' },
  { label: 'recurrent native, 2 threads', cpus: '0,1', command: native ? recurrent('native', 2) : () => null },
  { label: 'recurrent wasm, 1 thread', cpus: '1', command: recurrent('wasm', 1) },
  {
    label: 'PyTorch as installed, 1 thread', cpus: '1',
    command: () => (torch ? torchWithThreads(1, false) : null),
    note: 'PyTorch skipped: /usr/bin/python3 with torch or ../shared/bench/peers/torch_rnn.py not found',
  },
  { label: 'PyTorch SkylakeX, 1 thread', cpus: '1', command: () => (torch && avx512 ? torchWithThreads(1, true) : null) },
  { label: 'PyTorch as installed, 2 threads', cpus: '0,1', command: () => (torch ? torchWithThreads(2, false) : null) },
  { label: 'PyTorch SkylakeX, 2 threads', cpus: '0,1', command: () => (torch && avx512 ? torchWithThreads(2, true) : null) },
  {
    label: 'TensorFlow.js wasm', cpus: '1',
    command: () => (tfjs ? { file: process.execPath, args: [join(peers, 'tfjs_rnn.js'), 'wasm', '{W}', String(timings)], env: { ...process.env, CAP_S: quick ? '30' : '120' }, cwd: jsPeers } : null),
    note: 'TensorFlow.js skipped: not installed in bench/peers (run `npm run bench:peers`) or ../shared/bench/peers/tfjs_rnn.js not found',
  },
];

/**
 * S2S, the seq2seq training step of ../shared/BENCHMARKS.md (Tatoeba zh→en,
 * bidirectional GRU 256 + GRU 256 + Luong general attention, batch 64):
 * pairs/s over a short run, reported in the tokens/s column (no GFLOP/s).
 * recurrent runs bench/seq2seq.ts for a fixed number of steps; PyTorch its
 * reference script for half a minute of training (without the dev evaluations).
 */
const s2sData = join(root, '..', 'shared', 'data', 'tatoeba-cmn-eng', 'cmn.txt');
function s2sCommand(system: System): { file: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string } | null {
  if (!existsSync(s2sData)) return null;
  if (system.label.startsWith('recurrent')) {
    const backend = system.label.includes('wasm') ? 'wasm' : 'native';
    return { file: process.execPath, args: [join(root, 'dist', 'bench', 'seq2seq.js'), '--steps', quick ? '20' : '60', '--threads', system.cpus === '1' ? '1' : '2', '--backend', backend] };
  }
  // the seq2seq script runs on one thread
  if (system.label.startsWith('PyTorch') && system.cpus === '1' && torch) {
    const base = system.command();
    return base ? { ...base, args: [join(peers, 'torch_seq2seq.py'), '--minutes', quick ? '0.5' : '1.5', '--eval_every', '1000', '--out', tmpdir()] } : null;
  }
  return null;
}

/** A peer's JSON line as a {@link Result}: S2S lines carry pairs/s. */
function asResult(line: string, w: string): Result {
  const r = JSON.parse(line) as Partial<Result> & { pairs_per_s?: number; params?: number };
  if (w !== 'S2S') return r as Result;
  return { system: r.system ?? '', workload: w, tok_per_s: r.pairs_per_s ?? Number.NaN, gflops: Number.NaN, peak_rss_mb: r.peak_rss_mb ?? Number.NaN };
}

function run(system: System, w: string): Result | null {
  const cmd = w === 'S2S' ? s2sCommand(system) : system.command();
  if (!cmd) return null;
  const argv = ['-c', system.cpus, cmd.file, ...cmd.args.map((a) => a.replace('{W}', w))];
  const p = spawnSync('taskset', argv, { cwd: cmd.cwd ?? root, env: cmd.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const jsonLines = (p.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{'));
  const line = w === 'S2S' ? jsonLines.filter((l) => l.includes('pairs_per_s')).pop() : jsonLines.pop();
  if (p.status !== 0 || !line) {
    process.stderr.write(`${system.label} ${w} failed (exit ${p.status}): ${(p.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  return asResult(line, w);
}

/** The native product and the ceiling, measured first in its own pinned process. */
function measureGemm(): NativeGemmReport | null {
  if (!native) return null;
  process.stderr.write('native matrix product and multiply-add ceiling … ');
  const p = spawnSync('taskset', ['-c', '1', process.execPath, join(root, 'dist', 'bench', 'native-gemm.js'), '--json'], { encoding: 'utf8' });
  const line = (p.stdout ?? '').trim().split('\n').pop() ?? '';
  if (p.status !== 0 || !line.startsWith('{')) {
    process.stderr.write(`failed: ${(p.stderr ?? '').trim()}\n`);
    return null;
  }
  const r = JSON.parse(line) as NativeGemmReport;
  process.stderr.write(`${r.builds[0]} ceiling ${(r.peak[r.builds[0] as string] as number).toFixed(1)} GFLOP/s\n`);
  return r;
}
const gemm = only.some((w) => w.startsWith('W')) ? measureGemm() : null;

const results = new Map<string, Map<string, Result | null>>();
for (const w of only) {
  const row = new Map<string, Result | null>();
  for (const s of systems) {
    process.stderr.write(`${w}: ${s.label} … `);
    const r = run(s, w);
    row.set(s.label, r);
    process.stderr.write(r ? `${r.tok_per_s} ${w === 'S2S' ? 'pairs/s' : 'tok/s'}\n` : 'skipped\n');
  }
  results.set(w, row);
}

const fmt = (r: Result | null | undefined): string =>
  (r ? `${Math.round(r.tok_per_s).toLocaleString('en-US')}${Number.isFinite(r.gflops) ? ` (${r.gflops.toFixed(1)})` : ''}` : '–');
const ratio = (a: Result | null | undefined, b: Result | null | undefined): string => (a && b ? `${(a.tok_per_s / b.tok_per_s).toFixed(2)}×` : '–');
const cpu = `${cpus()[0]?.model ?? 'unknown CPU'} (${simdLevel()})`;
const lines: string[] = [];
lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${timings} timed steps each, median; every process pinned with taskset (1 thread: core 1).`);
lines.push('');
lines.push(`| workload | ${systems.map((s) => s.label).join(' | ')} |`);
lines.push(`|---|${systems.map(() => '---').join('|')}|`);
for (const [w, row] of results) lines.push(`| ${w} ${w === 'S2S' ? 'pairs/s' : 'tokens/s (GFLOP/s)'} | ${systems.map((s) => fmt(row.get(s.label))).join(' | ')} |`);
lines.push('');
lines.push('| workload | native 1t / PyTorch 1t as installed | native 1t / PyTorch 1t SkylakeX | native 2t / PyTorch 2t as installed | native 2t / PyTorch 2t SkylakeX | native 1t / wasm 1t | native 1t / TensorFlow.js wasm | peak RSS MB: native 1t / PyTorch 1t / tfjs |');
lines.push('|---|---|---|---|---|---|---|---|');
for (const [w, row] of results) {
  const r1 = row.get('recurrent native, 1 thread');
  const r2 = row.get('recurrent native, 2 threads');
  const rw = row.get('recurrent wasm, 1 thread');
  const pt = row.get('PyTorch as installed, 1 thread');
  const sk = row.get('PyTorch SkylakeX, 1 thread');
  const pt2 = row.get('PyTorch as installed, 2 threads');
  const sk2 = row.get('PyTorch SkylakeX, 2 threads');
  const tf = row.get('TensorFlow.js wasm');
  const rss = [r1, pt, tf].map((r) => (r && Number.isFinite(r.peak_rss_mb) ? String(Math.round(r.peak_rss_mb)) : '–')).join(' / ');
  lines.push(`| ${w} | ${ratio(r1, pt)} | ${ratio(r1, sk)} | ${ratio(r2, pt2)} | ${ratio(r2, sk2)} | ${ratio(r1, rw)} | ${ratio(r1, tf)} | ${rss} |`);
}
if (gemm) lines.push('', '### The native matrix product against the core\'s ceiling (same run, core 1)', '', nativeGemmTable(gemm));
for (const s of systems) if (!s.command() && s.note) lines.push('', s.note);
const table = lines.join('\n');
console.log(table);
writeFileSync(join(root, 'bench', 'latest.json'), JSON.stringify({ gemm, ...Object.fromEntries([...results].map(([w, row]) => [w, Object.fromEntries(row)])) }, null, 2));
if (args.includes('--write')) {
  const file = join(root, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n<!-- bench:start -->\n<!-- bench:end -->\n';
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) throw new Error('BENCHMARKS.md: bench markers not found');
  writeFileSync(file, `${text.slice(0, start)}<!-- bench:start -->\n${table}\n${text.slice(end)}`);
  console.error('BENCHMARKS.md updated');
}
