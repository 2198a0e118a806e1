/**
 * A page built the way a user's esbuild build makes one: a script bundled
 * for the browser (platform 'browser', ESM, the `browser` condition, so
 * `recurrent` resolves to dist/src/browser.js and `#host` to the browser
 * host), with the files its asset URLs name served where they point.
 *
 * esbuild keeps `new URL('../wasm/….wasm', import.meta.url)` and
 * `new URL('../backend/thread-worker.js', import.meta.url)` as written, so
 * relative to the bundle at `page/main.js` they name `wasm/*.wasm` and
 * `backend/thread-worker.js` at the folder's root: the wasm builds are
 * copied there and the worker module is bundled there on its own.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

const esbuild = await import('esbuild').then((m) => m, () => null);

/** Why a page cannot be built here, or null when it can. */
export function pageSkipReason(): string | null {
  return esbuild ? null : 'esbuild is not installed (npm ci installs it)';
}

async function bundle(entry: { contents: string } | { file: string }, outfile: string): Promise<void> {
  if (!esbuild) throw new Error(`buildPage: ${pageSkipReason()}`);
  await esbuild.build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: projectRoot, loader: 'js' } }),
    bundle: true, format: 'esm', platform: 'browser', conditions: ['browser'], target: 'es2022',
    outfile, absWorkingDir: projectRoot, logLevel: 'silent',
  });
}

/**
 * Writes into `dir` a page running `script` (JavaScript, resolved from the
 * project root: `import … from 'recurrent'` is the package itself):
 * index.html, page/main.js, wasm/recurrent-{relaxed,simd}.wasm and
 * backend/thread-worker.js. The page's URL is the folder's.
 */
export async function buildPage(dir: string, script: string): Promise<void> {
  mkdirSync(join(dir, 'page'), { recursive: true });
  mkdirSync(join(dir, 'wasm'), { recursive: true });
  await bundle({ contents: script }, join(dir, 'page', 'main.js'));
  await bundle({ file: join(projectRoot, 'dist/src/backend/thread-worker.js') }, join(dir, 'backend', 'thread-worker.js'));
  const wasm = join(projectRoot, 'dist/src/wasm');
  for (const name of readdirSync(wasm).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasm, name), join(dir, 'wasm', name));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>\n<meta charset="utf-8">\n<title>recurrent</title>\n<link rel="icon" href="data:,">\n<script type="module" src="page/main.js"></script>\n');
}
