/**
 * The browser entries bundle for a page: esbuild (platform 'browser') takes
 * `recurrent`, `recurrent/charlm` and `recurrent/translate` — resolved
 * through package.json's `exports` and `imports` by the `browser` condition
 * — and the worker module, with no `node:` module anywhere in the bundle;
 * the wasm builds and the worker are named by literal
 * `new URL('…', import.meta.url)` expressions (what Vite, webpack and
 * Parcel emit as assets) that resolve to the files. Skipped where esbuild
 * is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { projectRoot } from './helpers.js';

/** The part of esbuild's JavaScript API used here. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles: { text: string }[];
    metafile: { inputs: Record<string, unknown> };
  }>;
}

interface PluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => undefined): void;
}

const esbuild = await import('esbuild' as string).then((m) => m as Esbuild, () => null);

/** `new URL('literal', import.meta.url)`: the form bundlers turn into assets. */
const ASSET_URL = /new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;

interface Bundle {
  text: string;
  inputs: string[];
  /** Every asset URL literal found in the bundled files: the literal and the file it names, relative to the project. */
  assets: { literal: string; file: string }[];
}

async function bundle(eb: Esbuild, contents: string, platform: 'browser' | 'node'): Promise<Bundle> {
  const assets: Bundle['assets'] = [];
  const recordAssets = {
    name: 'record-asset-urls',
    setup(build: PluginBuild) {
      build.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
        for (const m of readFileSync(args.path, 'utf8').matchAll(ASSET_URL)) {
          assets.push({ literal: m[2] as string, file: relative(projectRoot, resolve(dirname(args.path), m[2] as string)) });
        }
        return undefined;
      });
    },
  };
  const result = await eb.build({
    stdin: { contents, resolveDir: projectRoot, loader: 'js' },
    bundle: true, format: 'esm', platform, write: false, metafile: true, logLevel: 'silent',
    outdir: join(projectRoot, 'dist', 'bundle-test'), absWorkingDir: projectRoot, plugins: [recordAssets],
  });
  return { text: result.outputFiles.map((f) => f.text).join('\n'), inputs: Object.keys(result.metafile.inputs), assets };
}

/** `node:` specifiers left in bundled code. */
function nodeImports(text: string): string[] {
  return [...new Set(text.match(/["']node:[\w/]+["']/g) ?? [])];
}

if (!esbuild) {
  test('browser bundle', { skip: 'esbuild is not installed (npm i -D -E esbuild@0.28.2)' }, () => {});
} else {
  const eb = esbuild;
  const entries = "export * from 'recurrent'; export * as charlm from 'recurrent/charlm'; export * as translate from 'recurrent/translate';";

  test('recurrent, recurrent/charlm and recurrent/translate bundle for the browser without a node: module', async () => {
    const b = await bundle(eb, entries, 'browser');
    assert.deepEqual(nodeImports(b.text), []);
    for (const entry of ['dist/src/browser.js', 'dist/src/charlm/browser.js', 'dist/src/seq2seq/browser.js', 'dist/src/host/browser.js']) {
      assert.ok(b.inputs.includes(entry), `${entry} is bundled`);
    }
    for (const nodeOnly of ['dist/src/index.js', 'dist/src/host/node.js', 'dist/src/io/files.js']) {
      assert.ok(!b.inputs.includes(nodeOnly), `${nodeOnly} is not bundled`);
    }
  });

  test('the wasm builds and the worker module are asset URLs that resolve to the files', async () => {
    const b = await bundle(eb, entries, 'browser');
    const files = [...new Set(b.assets.map((a) => a.file))].sort();
    assert.deepEqual(files, ['dist/src/backend/thread-worker.js', 'dist/src/wasm/recurrent-relaxed.wasm', 'dist/src/wasm/recurrent-simd.wasm']);
    for (const { literal, file } of b.assets) {
      assert.ok(existsSync(join(projectRoot, file)), `${file} exists`);
      assert.ok(b.text.includes(`new URL("${literal}", import.meta.url)`), `${literal} is still an asset URL in the bundle`);
    }
  });

  test('the worker module bundles for the browser on its own', async () => {
    const b = await bundle(eb, "import './dist/src/backend/thread-worker.js';", 'browser');
    assert.deepEqual(nodeImports(b.text), []);
    assert.ok(b.inputs.includes('dist/src/backend/thread-loop.js'));
  });

  test('for Node the same imports resolve to the full entries and the Node host', async () => {
    const b = await bundle(eb, entries, 'node');
    for (const entry of ['dist/src/index.js', 'dist/src/charlm/index.js', 'dist/src/seq2seq/index.js', 'dist/src/host/node.js']) {
      assert.ok(b.inputs.includes(entry), `${entry} is bundled`);
    }
    assert.ok(!b.inputs.includes('dist/src/host/browser.js'));
  });
}
