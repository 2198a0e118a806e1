/**
 * The playground (playground/) in Chromium, through the ids of its elements
 * and its `window.__playground` hook: built by Vite into a temporary folder
 * and served as a static host would, with and without cross-origin
 * isolation. The page loads (Web Workers only when isolated) and its tabs
 * answer the keyboard; the language model trains (its loss falls, the loss
 * chart draws a vertex per step, a sample appears), and the checkpoint it
 * offers samples in `recurrent sample` exactly what the page samples; the
 * inside view draws ‖∂L/∂h_t‖ of a training step and the gates of a text; a
 * checkpoint `recurrent train` wrote loads, samples exactly the command
 * line's text and downloads as the same bytes; a `recurrent translate`
 * checkpoint translates as `recurrent translate run` does and draws its
 * attention — all with no console error. Skipped where Chromium,
 * playwright-core or Vite is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { THREAD_LIMITS } from '../src/backend/threads.js';
import { browserSkipReason, launchChromium, openPage, serveFolder, type StaticServer } from './browser-harness.js';
import { ok, spawnCollect } from './cli-harness.js';
import { projectRoot } from './helpers.js';

const vite = await import('vite').then((m) => m, () => null);
const playgroundRoot = join(projectRoot, 'playground');

const skip = browserSkipReason()
  ?? (vite ? null : 'vite is not installed (npm ci installs it)')
  ?? (existsSync(join(playgroundRoot, 'index.html')) ? null : 'no playground/index.html');

/** `window.__playground`: set by the page once its kernels are loaded. */
interface PlaygroundHook {
  ready: Promise<void>;
  backend: { name: string; threads: number; isolated: boolean };
}

/** The page's globals read here. */
declare const globalThis: {
  __playground?: PlaygroundHook;
  navigator: { hardwareConcurrency: number };
  document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
  MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: { attributes: boolean }): void };
  __losses?: number[];
};

interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  value?: string;
}

/** What the command line is asked to sample from its checkpoint, and what the page is given. */
const SAMPLING = { prompt: 'The ', seed: 7, temperature: 0.8, topK: 5, length: 80 };
/** A date the translation checkpoint is asked to translate. */
const DATE = 'March 3, 1999';

if (skip) {
  test('the playground in a browser', { skip }, () => {});
} else {
  let dir = '';
  let site = '';
  let browser: Browser;
  const lmCheckpoint = (): string => join(dir, 'lm.safetensors');
  const translateCheckpoint = (): string => join(dir, 'dates.safetensors');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recurrent-playground-'));
    site = join(dir, 'site');
    const cli = async (args: string[]): Promise<string> => ok(await spawnCollect(args, { cwd: dir }), `recurrent ${args.join(' ')}`).stdout;
    await Promise.all([
      // configLoader 'runner': vite.config.ts is loaded without writing a bundled copy under node_modules/.
      vite!.build({ root: playgroundRoot, configLoader: 'runner', logLevel: 'error', build: { outDir: site, emptyOutDir: true } }),
      cli(['train', '--steps', '20', '--layers', '1', '--hidden', '32', '--val-windows', '4', '--sample-length', '0', '--threads', '1', '--checkpoint', lmCheckpoint()]),
      cli(['translate', 'train', '--steps', '300', '--hidden', '32', '--embedding', '16', '--threads', '1', '--checkpoint', translateCheckpoint()]),
    ]);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The built playground served (isolated or not) and opened, its backend loaded. */
  async function openPlayground(isolated: boolean): Promise<{ page: Page; errors: string[]; server: StaticServer; hook: PlaygroundHook['backend'] }> {
    const server = await serveFolder(site, { isolated });
    try {
      const { page, errors } = await openPage(browser, server.url);
      await page.waitForFunction(() => globalThis.__playground !== undefined);
      const hook = await page.evaluate(async () => {
        await globalThis.__playground!.ready;
        return globalThis.__playground!.backend;
      });
      return { page, errors, server, hook };
    } catch (e) {
      await server.close();
      throw e;
    }
  }

  async function close(opened: { page: Page; server: StaticServer }): Promise<void> {
    await opened.page.context().close();
    await opened.server.close();
  }

  /** The vertices of the line marks of the vega SVG in `selector`. */
  function lineVertices(page: Page, selector: string): Promise<number> {
    return page.evaluate((s) => {
      let n = 0;
      for (const p of Array.from(globalThis.document.querySelectorAll(`${s} svg g.mark-line.role-mark path`))) n += (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0;
      return n;
    }, selector);
  }

  /** The cells (rect marks) of the vega SVG in `selector`. */
  function rectMarks(page: Page, selector: string): Promise<number> {
    return page.evaluate((s) => globalThis.document.querySelectorAll(`${s} svg g.mark-rect.role-mark path`).length, selector);
  }

  /** The text of an element, or its value if it is a form field. */
  function textOf(page: Page, selector: string): Promise<string> {
    return page.locator(selector).evaluate((el: PageElement) => el.value ?? el.textContent ?? '');
  }

  /** `recurrent sample` of `checkpoint` with {@link SAMPLING}: its stdout without the final newline (the prompt, then the sample). */
  async function cliSample(checkpoint: string): Promise<string> {
    const { prompt, seed, temperature, topK, length } = SAMPLING;
    const r = ok(await spawnCollect(['sample', '--checkpoint', checkpoint, '--prompt', prompt, '--seed', String(seed),
      '--temperature', String(temperature), '--top-k', String(topK), '--length', String(length)], { cwd: dir }), 'recurrent sample');
    assert.ok(r.stdout.startsWith(prompt) && r.stdout.endsWith('\n'));
    return r.stdout.slice(0, -1);
  }

  /** `#lm-sample` after sampling with {@link SAMPLING} by `#lm-sample-button`, given time to become `expected`. */
  async function pageSample(page: Page, expected: string): Promise<string> {
    const { prompt, seed, temperature, topK, length } = SAMPLING;
    await page.fill('#lm-prompt', prompt);
    await page.fill('#lm-seed', String(seed));
    await page.fill('#lm-temperature', String(temperature));
    await page.fill('#lm-top-k', String(topK));
    await page.fill('#lm-length', String(length));
    await page.click('#lm-sample-button');
    await page.waitForFunction((e) => globalThis.document.querySelector('#lm-sample')?.textContent === e, expected, { timeout: 10_000 })
      .catch(() => undefined); // the assertion that follows shows the difference
    return textOf(page, '#lm-sample');
  }

  /** The checkpoint `#lm-download` offers, saved as `name` in the test's folder. */
  async function downloadCheckpoint(page: Page, name: string): Promise<string> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#lm-download')]);
    const file = join(dir, name);
    await download.saveAs(file);
    return file;
  }

  for (const isolated of [false, true]) {
    test(`the page loads ${isolated ? 'with' : 'without'} cross-origin isolation: ${isolated ? 'Web Workers' : 'one thread'}`, async () => {
      const opened = await openPlayground(isolated);
      const { page, errors, hook } = opened;
      try {
        assert.equal(hook.isolated, isolated);
        assert.match(hook.name, /^wasm-/, 'the WebAssembly backend loaded');
        const cores = await page.evaluate(() => globalThis.navigator.hardwareConcurrency);
        assert.equal(hook.threads, isolated ? Math.min(cores, THREAD_LIMITS.maxThreads) : 1);
        assert.ok((await textOf(page, '#lm-backend')).includes(hook.name), '#lm-backend names the backend');
        for (const id of ['lm', 'inside', 'attention']) assert.equal(await page.locator(`#tab-${id}`).getAttribute('role'), 'tab');
        await page.locator('#tab-lm').focus();
        await page.keyboard.press('ArrowRight');
        assert.equal(await page.locator('#tab-inside').getAttribute('aria-selected'), 'true', 'ArrowRight selects the next tab');
        assert.ok(await page.locator('#panel-inside').isVisible());
        assert.ok(!(await page.locator('#panel-lm').isVisible()));
        assert.deepEqual(errors, [], 'no console error');
      } finally {
        await close(opened);
      }
    });
  }

  test('the language model trains: data-loss falls, the charts draw, its checkpoint samples in the command line what it samples in the page', async (t) => {
    const opened = await openPlayground(true);
    const { page, errors } = opened;
    try {
      const steps = 40;
      await page.selectOption('#lm-cell', 'lstm');
      for (const [id, value] of [['layers', '1'], ['hidden', '32'], ['seq-length', '32'], ['batch', '8'], ['lr', '0.01'], ['max-steps', String(steps)]]) {
        await page.fill(`#lm-${id}`, value as string);
      }
      await page.evaluate(() => {
        const status = globalThis.document.querySelector('#lm-status')!;
        const losses: number[] = (globalThis.__losses = []);
        new globalThis.MutationObserver(() => {
          const loss = Number(status.getAttribute('data-loss'));
          if (status.getAttribute('data-loss') && loss !== losses.at(-1)) losses.push(loss);
        }).observe(status, { attributes: true });
      });
      await page.click('#lm-train');
      await page.waitForSelector('#lm-status[data-state="done"]', { timeout: 30_000 });
      const status = page.locator('#lm-status');
      assert.equal(await status.getAttribute('data-step'), String(steps));
      assert.ok(Number(await status.getAttribute('data-tokens-per-second')) > 0);
      const losses = await page.evaluate(() => globalThis.__losses!);
      assert.ok(losses.length >= 2 && losses.every(Number.isFinite), `data-loss was updated during training: ${losses.join(', ')}`);
      const [first, last] = [losses[0] as number, losses.at(-1) as number];
      assert.ok(last < first - 0.3, `data-loss falls: ${first.toFixed(3)} → ${last.toFixed(3)}`);
      assert.ok((await textOf(page, '#lm-sample')).length > 0, 'a sample appears');
      const lossVertices = await lineVertices(page, '#lm-loss-chart');
      t.diagnostic(`data-loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${steps} steps`);
      assert.ok(lossVertices >= steps, 'the loss chart draws a vertex per step');

      const downloaded = await downloadCheckpoint(page, 'page-trained.safetensors');
      const expected = await cliSample(downloaded);
      assert.equal(await pageSample(page, expected), expected, 'the page samples what the command line samples from the checkpoint the page wrote');

      await page.click('#tab-inside');
      await page.waitForFunction(() => globalThis.document.querySelectorAll('#inside-gradient-chart svg g.mark-line.role-mark path').length > 0);
      const gradientVertices = await lineVertices(page, '#inside-gradient-chart');
      assert.equal(gradientVertices, 32, 'the gradient chart draws ‖∂L/∂h_t‖ at each of the 32 steps of a training window');
      const text = 'the state of the union';
      await page.fill('#inside-text', text);
      await page.click('#inside-run');
      await page.waitForFunction(() => globalThis.document.querySelectorAll('#inside-gates-chart svg g.mark-rect.role-mark path').length > 0);
      assert.equal(await rectMarks(page, '#inside-gates-chart'), 3 * text.length, 'a heatmap cell per character and gate (LSTM: i, f, o)');
      assert.ok((await textOf(page, '#inside-units')).includes(text), 'the text coloured by a unit');

      await page.click('#inside-vanishing-run');
      await page.waitForFunction(() => (globalThis.document.querySelector('#inside-vanishing-status')?.textContent ?? '').startsWith('done'), null, { timeout: 30_000 });
      const paths = await page.evaluate(() => globalThis.document.querySelectorAll('#inside-vanishing-chart svg g.mark-line.role-mark path').length);
      assert.equal(paths, 8 + 4, 'the vanishing experiment draws a line per configuration, and h and c of both LSTMs');
      assert.match(await textOf(page, '#inside-vanishing-status'), /tanh RNN ρ = 0\.\d+; .*IRNN \(ReLU, identity W_hh\) ρ = 0\.9\d+/);
      assert.deepEqual(errors, [], 'no console error');
    } finally {
      await close(opened);
    }
  });

  test("a checkpoint the command line wrote loads, samples the command line's text and downloads as the same bytes", async () => {
    const expected = await cliSample(lmCheckpoint());
    const opened = await openPlayground(false);
    const { page, errors } = opened;
    try {
      await page.setInputFiles('#lm-load', lmCheckpoint());
      await page.waitForSelector('#lm-status[data-state="loaded"]');
      assert.equal(await page.locator('#lm-status').getAttribute('data-step'), '20');
      assert.equal(await pageSample(page, expected), expected);
      const downloaded = await downloadCheckpoint(page, 'page-loaded.safetensors');
      assert.ok(readFileSync(downloaded).equals(readFileSync(lmCheckpoint())), 'the download is the file the command line wrote, byte for byte');
      assert.deepEqual(errors, [], 'no console error');
    } finally {
      await close(opened);
    }
  });

  test('a translation checkpoint translates as the command line does and draws its attention; the dates task trains in the page', async () => {
    const r = ok(await spawnCollect(['translate', 'run', '--checkpoint', translateCheckpoint(), DATE], { cwd: dir }), 'recurrent translate run');
    const expected = r.stdout.trim();
    assert.ok(expected.length > 0);

    const opened = await openPlayground(true);
    const { page, errors } = opened;
    try {
      await page.click('#tab-attention');
      await page.setInputFiles('#att-load', translateCheckpoint());
      await page.waitForSelector('#att-status[data-state="loaded"]');
      await page.fill('#att-input', DATE);
      await page.click('#att-translate');
      await page.waitForFunction(() => (globalThis.document.querySelector('#att-output')?.textContent ?? '').length > 0);
      assert.equal((await textOf(page, '#att-output')).trim(), expected);
      await page.waitForFunction(() => globalThis.document.querySelectorAll('#att-chart svg g.mark-rect.role-mark path').length > 0);
      const cells = await rectMarks(page, '#att-chart');
      const rows = cells / [...DATE].length;
      assert.ok([...expected].length <= rows && rows <= [...expected].length + 1, `a cell per source character and output character (and the end): ${cells}`);

      // The dates task trained in the page: a few steps, then it translates (whatever it has learnt so far) and draws.
      await page.fill('#att-max-steps', '10');
      await page.click('#att-train');
      await page.waitForSelector('#att-status[data-state="done"]', { timeout: 30_000 });
      assert.equal(await page.locator('#att-status').getAttribute('data-step'), '10');
      await page.waitForFunction(() => globalThis.document.querySelectorAll('#att-chart svg g.mark-rect.role-mark path').length > 0);
      assert.deepEqual(errors, [], 'no console error');
    } finally {
      await close(opened);
    }
  });
}
