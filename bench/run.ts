/**
 * `npm run bench`: the workloads W1–W5 for recurrent and its peers in the
 * same run, each process pinned with taskset, and the ratios between them.
 *
 *   npm run bench -- [--only W1,W3,S2S] [--timings 5] [--quick] [--write]
 *
 * Systems: recurrent (WebAssembly, 1 and 2 threads), PyTorch as installed and
 * with OPENBLAS_CORETYPE=SkylakeX (../shared/bench/peers/torch_rnn.py via
 * /usr/bin/python3), TensorFlow.js with its wasm backend
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
const tfjs = hasTfjs();
const workloadsJs = join(root, 'dist', 'bench', 'workloads.js');
const systems: System[] = [
  { label: 'recurrent, 1 thread', cpus: '1', command: () => ({ file: process.execPath, args: [workloadsJs, '{W}', String(timings), '--threads', '1'] }) },
  { label: 'recurrent, 2 threads', cpus: '0,1', command: () => ({ file: process.execPath, args: [workloadsJs, '{W}', String(timings), '--threads', '2'] }) },
  {
    label: 'PyTorch as installed', cpus: '1',
    command: () => (torch ? { file: '/usr/bin/python3', args: [join(peers, 'torch_rnn.py'), '{W}', String(timings)] } : null),
    note: 'PyTorch skipped: /usr/bin/python3 with torch or ../shared/bench/peers/torch_rnn.py not found',
  },
  {
    label: 'PyTorch, OPENBLAS_CORETYPE=SkylakeX', cpus: '1',
    command: () => (torch ? { file: '/usr/bin/python3', args: [join(peers, 'torch_rnn.py'), '{W}', String(timings)], env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' } } : null),
  },
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
    return { file: process.execPath, args: [join(root, 'dist', 'bench', 'seq2seq.js'), '--steps', quick ? '20' : '60', '--threads', system.cpus === '1' ? '1' : '2'] };
  }
  if (system.label.startsWith('PyTorch') && torch) {
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
lines.push('| workload | recurrent 1t / PyTorch as installed | recurrent 1t / PyTorch SkylakeX | recurrent 2t / PyTorch SkylakeX | recurrent 1t / TensorFlow.js wasm | peak RSS MB: recurrent / PyTorch / tfjs |');
lines.push('|---|---|---|---|---|---|');
for (const [w, row] of results) {
  const r1 = row.get('recurrent, 1 thread');
  const r2 = row.get('recurrent, 2 threads');
  const pt = row.get('PyTorch as installed');
  const sk = row.get('PyTorch, OPENBLAS_CORETYPE=SkylakeX');
  const tf = row.get('TensorFlow.js wasm');
  const rss = [r1, pt, tf].map((r) => (r && Number.isFinite(r.peak_rss_mb) ? String(Math.round(r.peak_rss_mb)) : '–')).join(' / ');
  lines.push(`| ${w} | ${ratio(r1, pt)} | ${ratio(r1, sk)} | ${ratio(r2, sk)} | ${ratio(r1, tf)} | ${rss} |`);
}
for (const s of systems) if (!s.command() && s.note) lines.push('', s.note);
const table = lines.join('\n');
console.log(table);
writeFileSync(join(root, 'bench', 'latest.json'), JSON.stringify(Object.fromEntries([...results].map(([w, row]) => [w, Object.fromEntries(row)])), null, 2));
if (args.includes('--write')) {
  const file = join(root, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n<!-- bench:start -->\n<!-- bench:end -->\n';
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) throw new Error('BENCHMARKS.md: bench markers not found');
  writeFileSync(file, `${text.slice(0, start)}<!-- bench:start -->\n${table}\n${text.slice(end)}`);
  console.error('BENCHMARKS.md updated');
}
