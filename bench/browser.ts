/**
 * `npm run bench:browser`: W1's training step (./training-step.ts: LSTM
 * 256, batch 32 × 64 steps, Adam) in Chromium beside Node on the same
 * machine and the same kernel build — one thread each (the page served
 * without cross-origin isolation, Node with `--threads 1`, both pinned to
 * core 1), then two threads (the page isolated, so Web Workers; Node
 * `--threads 2`; cores 0 and 1). Node runs ./workloads.ts as `npm run bench`
 * does; the page is bundled by esbuild for the browser
 * (../test/browser-page.ts). Rounds alternate Node and Chromium.
 *
 *   npm run bench:browser -- [--timings 7] [--rounds 2]
 *
 * Prints a Markdown table of tokens/s (median of the timed steps, after 3
 * untimed ones) and Chromium / Node.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM, browserSkipReason, launchChromium, openPage, serveFolder } from '../test/browser-harness.js';
import { buildPage, pageSkipReason } from '../test/browser-page.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const timings = option('--timings', 7);
const rounds = option('--rounds', 2);

/** The page: W1 on the WebAssembly backend, `threads` asked for, `n` timed steps. */
const PAGE_SCRIPT = `
import { loadWasmBackend } from 'recurrent';
import { trainingStep } from './dist/bench/training-step.js';
globalThis.runW1 = async (threads, n) => {
  const backend = await loadWasmBackend({ threads });
  const used = await backend.startThreads();
  const { tokens, step } = trainingStep('lstm', 256, 1, backend);
  for (let i = 0; i < 3; i++) step();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    step();
    times.push((performance.now() - t) / 1000);
  }
  await backend.close();
  return { name: backend.name, threads: used, isolated: globalThis.crossOriginIsolated === true, tokens, times };
};
`;

interface Measured {
  name: string;
  threads: number;
  tokPerS: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `node dist/bench/workloads.js W1` on `cpus`, as `npm run bench` runs it. */
function nodeW1(threads: number, cpuList: string): Measured {
  const command = [process.execPath, join(root, 'dist/bench/workloads.js'), 'W1', String(timings), '--threads', String(threads)];
  const p = hasTaskset
    ? spawnSync('taskset', ['-c', cpuList, ...command], { cwd: root, encoding: 'utf8' })
    : spawnSync(command[0] as string, command.slice(1), { cwd: root, encoding: 'utf8' });
  const line = (p.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (p.status !== 0 || !line) throw new Error(`node W1 failed (exit ${p.status}): ${(p.stderr ?? '').trim()}`);
  const r = JSON.parse(line) as { system: string; tok_per_s: number; threads: number };
  return { name: r.system.replace(/^recurrent-/, ''), threads: r.threads, tokPerS: r.tok_per_s };
}

/** The page's W1 in `browser`, served from `dir` with or without isolation. */
async function browserW1(browser: Browser, dir: string, threads: number): Promise<Measured> {
  const server = await serveFolder(dir, { isolated: threads > 1 });
  try {
    const { page, errors } = await openPage(browser, server.url);
    await page.waitForFunction(() => 'runW1' in globalThis);
    const r = await page.evaluate(
      ([t, n]) => (globalThis as unknown as { runW1: (t: number, n: number) => Promise<{ name: string; threads: number; tokens: number; times: number[] }> }).runW1(t, n),
      [threads, timings] as const,
    );
    await page.context().close();
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
    return { name: r.name, threads: r.threads, tokPerS: median(r.times.map((s) => r.tokens / s)) };
  } finally {
    await server.close();
  }
}

/** A wrapper that starts Chromium pinned to `cpuList` (its every process inherits the affinity). */
function pinnedChromium(dir: string, cpuList: string): string {
  if (!hasTaskset) return CHROMIUM;
  const file = join(dir, `chromium-${cpuList.replace(/\W/g, '_')}.sh`);
  writeFileSync(file, `#!/bin/sh\nexec taskset -c ${cpuList} ${CHROMIUM} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

function simdLevel(): string {
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  return /\bavx512f\b/.test(flags) ? 'AVX-512' : /\bavx2\b/.test(flags) ? 'AVX2, no AVX-512' : 'no AVX2';
}

async function main(): Promise<void> {
  const skip = browserSkipReason() ?? pageSkipReason();
  if (skip) throw new Error(`bench:browser: ${skip}`);
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-bench-browser-'));
  const rows: string[] = [];
  let version = '';
  try {
    await buildPage(dir, PAGE_SCRIPT);
    for (const [threads, cpuList] of [[1, '1'], [2, '0,1']] as const) {
      const browser = await launchChromium(pinnedChromium(dir, cpuList));
      version = browser.version();
      try {
        for (let round = 1; round <= rounds; round++) {
          process.stderr.write(`${threads} thread(s), round ${round}: Node … `);
          const node = nodeW1(threads, cpuList);
          process.stderr.write(`${node.tokPerS} tok/s; Chromium … `);
          const page = await browserW1(browser, dir, threads);
          process.stderr.write(`${page.tokPerS.toFixed(1)} tok/s\n`);
          const fmt = (m: Measured): string => `${Math.round(m.tokPerS).toLocaleString('en-US')} (${m.name}, ${m.threads} thread${m.threads > 1 ? 's' : ''})`;
          rows.push(`| ${threads} | ${round} | ${fmt(node)} | ${fmt(page)} | ${(page.tokPerS / node.tokPerS).toFixed(2)} |`);
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'} (${simdLevel()}), ${cpus().length} cores; `
    + `Node ${process.version}, Chromium ${version}; W1 tokens/s, median of ${timings} timed steps; `
    + `${hasTaskset ? 'pinned with taskset (1 thread: core 1; 2 threads: cores 0,1)' : 'not pinned (no taskset)'}.`);
  console.log('');
  console.log('| threads | round | Node | Chromium | Chromium / Node |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
