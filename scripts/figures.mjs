#!/usr/bin/env node
/**
 * `npm run figures`: the figures of docs/insight.md, written into
 * docs/figures/insight/ by the same commands a user runs:
 *
 *   recurrent lab vanishing | lab exploding | lab tasks        (their defaults)
 *   recurrent train --diagnostics  on a text (2,500 steps: 3 minutes on 2 cores), then
 *   recurrent info --plot training.svg  and  recurrent lab cells  on held-out text
 *
 * The text is Tiny Shakespeare (Karpathy's char-rnn data: input.txt of
 * github.com/karpathy/char-rnn, data/tinyshakespeare), given with --data, or
 * found at ../shared/data/tinyshakespeare/input.txt beside the project;
 * without it, the built-in State of the Union corpus. The model learns the
 * first 90 % and the cells are read on 5,000 characters of the last 10 %.
 * Takes about 8 minutes on 2 cores. Run after `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/src/cli/main.js');
const out = join(root, 'docs/figures/insight');
const args = process.argv.slice(2);
const dataArg = args.indexOf('--data') >= 0 ? args[args.indexOf('--data') + 1] : undefined;
const shared = join(root, '../shared/data/tinyshakespeare/input.txt');
const data = dataArg ?? (existsSync(shared) ? shared : null);

if (!existsSync(cli)) {
  console.error('figures: run npm run build first');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'recurrent-figures-'));

function run(...argv) {
  console.error(`\n$ recurrent ${argv.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...argv], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (r.status !== 0) {
    console.error(`figures: recurrent ${argv[0]} ${argv[1] ?? ''} failed (exit ${r.status})`);
    process.exit(1);
  }
}

try {
  run('lab', 'vanishing', '--out', out);
  run('lab', 'exploding', '--out', out);
  run('lab', 'tasks', '--out', out);

  const text = data ? readFileSync(data, 'utf8') : brotliDecompressSync(readFileSync(join(root, 'data/sotu-1945-2021.txt.br'))).toString('utf8');
  const split = Math.floor(text.length * 0.9);
  const train = join(work, 'train.txt');
  const held = join(work, 'held-out.txt');
  writeFileSync(train, text.slice(0, split));
  writeFileSync(held, text.slice(split, split + 5000));
  const checkpoint = join(work, 'charlm.safetensors');
  run('train', '--data', train, '--layers', '2', '--hidden', '128', '--steps', '2500', '--diagnostics', '--validate-every', '10s',
    '--seed', '1', '--sample-length', '0', '--checkpoint', checkpoint);
  run('info', '--checkpoint', checkpoint, '--plot', join(out, 'training.svg'));
  run('lab', 'cells', '--checkpoint', checkpoint, '--text', held, '--top', '1', '--page-chars', '1000', '--out', out);
  console.error(`\nfigures: written to ${out} (text: ${data ?? 'the built-in corpus'})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
