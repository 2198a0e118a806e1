/**
 * The browser host (src/host/browser.ts) at work, in Node: a child process
 * runs under `--conditions=browser`, so `recurrent` and `#host` resolve as a
 * bundler for the web resolves them, with a page's globals made from Node's
 * parts (./browser-globals.ts). The wasm builds are fetched by their URLs,
 * no V8 flag is set, and in a cross-origin isolated page the products split
 * across Web Workers equal the single-thread ones bit for bit; without
 * isolation there is one thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { projectRoot } from './helpers.js';

interface PageRun {
  host: string;
  threads: number;
  relaxedValidates: boolean;
  name: string | null;
  started: number;
  split: number;
  equal: boolean;
  nonzero: boolean;
  isolationOff: { threads: number; backendThreads: number; started: number };
}

/** Runs `body` (an async function body ending in `return` of a JSON value) in a page-like child process. */
function inPage(isolated: boolean, cores: number, body: string): PageRun {
  const script = `
    const { installBrowserGlobals } = await import(${JSON.stringify(new URL('./browser-globals.js', import.meta.url).href)});
    installBrowserGlobals(${isolated}, ${cores});
    const result = await (async () => { ${body} })();
    console.log(JSON.stringify(result));
  `;
  // The timeout only ends a process that would otherwise hang.
  const r = spawnSync(process.execPath, ['--conditions=browser', '--input-type=module', '-e', script], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, 'exited by itself');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as PageRun;
}

test('in a cross-origin isolated page: wasm by URL, no V8 flag, Web Workers give the single-thread products bit for bit', () => {
  const run = inPage(true, 3, `
    const { loadWasmBackend, availableThreads } = await import('recurrent');
    const { host } = await import('#host');
    const { readFile } = await import('node:fs/promises');
    const relaxed = await readFile(new URL('dist/src/wasm/recurrent-relaxed.wasm', 'file://' + process.cwd() + '/'));
    const relaxedValidates = WebAssembly.validate(relaxed);
    const be = await loadWasmBackend({ threads: 2, setV8Flags: true });
    const one = await loadWasmBackend({ threads: 1 });
    const started = await be.startThreads();
    const [m, n, k] = [64, 600, 64];
    let s = 1;
    const draw = (len) => Float32Array.from({ length: len }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
    const a = draw(m * k), b = draw(k * n), c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
    one.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c1, 0, n);
    be.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c2, 0, n);
    const result = {
      host: host.kind, threads: await availableThreads(), relaxedValidates, name: be.name, started,
      split: be.stats.parallel, equal: c1.every((v, i) => Object.is(v, c2[i])), nonzero: c1.some((v) => v !== 0),
    };
    await be.close();
    globalThis.crossOriginIsolated = false;
    const single = await loadWasmBackend({ threads: 2 });
    result.isolationOff = { threads: await availableThreads(), backendThreads: single.threads, started: await single.startThreads() };
    return result;
  `);
  assert.equal(run.host, 'browser');
  assert.equal(run.threads, 3, 'availableThreads = navigator.hardwareConcurrency');
  assert.equal(run.name, run.relaxedValidates ? 'wasm-relaxed-simd' : 'wasm-simd', 'relaxed SIMD only where the engine has it: no V8 flag set');
  assert.equal(run.started, 2, 'two threads: the page and one Web Worker');
  assert.equal(run.split, 1, 'the product was split');
  assert.ok(run.nonzero);
  assert.ok(run.equal, 'split product equals the single-thread one bit for bit');
  assert.deepEqual(run.isolationOff, { threads: 1, backendThreads: 1, started: 1 }, 'one thread without cross-origin isolation');
});
