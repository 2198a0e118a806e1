/**
 * The library in a blank page of a real browser: a script importing
 * `recurrent` bundled by esbuild for the browser (./browser-page.ts), served
 * with and without cross-origin isolation, loads the WebAssembly backend,
 * trains the README's character LSTM (./browser-library-workload.ts) and
 * reads its logits — the same losses and logits as Node's run of the same
 * code on the same kernel build, Web Workers only when isolated, and no
 * console error. Skipped where Chromium, playwright-core or esbuild is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { THREAD_LIMITS } from '../src/backend/threads.js';
import { browserSkipReason, launchChromium, openPage, serveFolder, type StaticServer } from './browser-harness.js';
import { libraryWorkload, type LibraryWorkloadOptions, type LibraryWorkloadResult } from './browser-library-workload.js';
import { buildPage, pageSkipReason } from './browser-page.js';

const STEPS = 40;
const skip = browserSkipReason() ?? pageSkipReason();

/** The page's globals used here: what its script sets, and the cores the browser reports. */
declare const globalThis: {
  libraryWorkload: (options: LibraryWorkloadOptions) => Promise<LibraryWorkloadResult>;
  navigator: { hardwareConcurrency: number };
};

/**
 * Asserts |a_i − e_i| ≤ rtol·|e_i| for every element (no absolute floor: a
 * different kernel build, plain SIMD against relaxed, breaks it on the
 * logits); returns the largest relative difference.
 */
function assertRelative(actual: readonly number[], expected: readonly number[], rtol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as number;
    const rel = a === e ? 0 : Math.abs(a - e) / Math.abs(e);
    assert.ok(rel <= rtol, `${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol})`);
    worst = Math.max(worst, rel);
  }
  return worst;
}

if (skip) {
  test('the library in a browser page', { skip }, () => {});
} else {
  let dir = '';
  let browser: Browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recurrent-browser-library-'));
    await buildPage(dir, "import { libraryWorkload } from './dist/test/browser-library-workload.js'; globalThis.libraryWorkload = libraryWorkload;");
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The workload in a page served from `dir`, and the page's errors. */
  async function inPage(isolated: boolean): Promise<{ result: LibraryWorkloadResult; errors: string[] }> {
    const server: StaticServer = await serveFolder(dir, { isolated });
    try {
      const { page, errors } = await openPage(browser, server.url);
      await page.waitForFunction(() => typeof globalThis.libraryWorkload === 'function');
      const result = await page.evaluate(
        (steps) => globalThis.libraryWorkload({ threads: 'available', variant: 'auto', setV8Flags: false, steps }), STEPS);
      const hardwareConcurrency = await page.evaluate(() => globalThis.navigator.hardwareConcurrency);
      await page.context().close();
      assert.equal(result.backend.isolated, isolated, 'crossOriginIsolated follows the headers');
      assert.equal(result.backend.threads, isolated ? Math.min(hardwareConcurrency, THREAD_LIMITS.maxThreads) : 1, 'threads: the cores when isolated, else one');
      return { result, errors };
    } finally {
      await server.close();
    }
  }

  for (const isolated of [false, true]) {
    test(`a page ${isolated ? 'with' : 'without'} cross-origin isolation trains an LSTM and computes what Node computes`, async (t) => {
      const { result, errors } = await inPage(isolated);
      assert.deepEqual(errors, [], 'no console error');
      const { losses } = result;
      assert.equal(losses.length, STEPS);
      assert.ok(losses.every(Number.isFinite));
      const [first, last] = [losses[0] as number, losses.at(-1) as number];
      assert.ok(first > 2.5 && last < first / 2, `the loss falls: ${first.toFixed(3)} → ${last.toFixed(3)}`);
      if (result.backend.threads > 1) assert.ok(result.backend.parallelCalls > 0, 'kernels were split across the workers');

      const node = await libraryWorkload({ threads: 1, variant: result.backend.variant, setV8Flags: true, steps: STEPS });
      assert.equal(node.backend.name, result.backend.name, 'the same kernel build');
      const lossDiff = assertRelative(result.losses, node.losses, 1e-6, 'losses, page vs Node');
      const logitDiff = assertRelative(result.logits, node.logits, 1e-6, 'logits, page vs Node');
      t.diagnostic(`${result.backend.name}, ${result.backend.threads} thread(s), ${result.backend.parallelCalls} split calls; loss ${first.toFixed(3)} → ${last.toFixed(3)}; largest relative difference page vs Node: losses ${lossDiff}, logits ${logitDiff}`);
    });
  }
}
