/**
 * The playground as a Vite app. The page imports `recurrent`,
 * `recurrent/charlm` and `recurrent/translate` as a user would: the names
 * resolve through this package's own `exports` (a package may import itself
 * by name) under the `browser` condition, to dist/src/ — so `npm run build`
 * comes first. `optimizeDeps.exclude` keeps the library out of the dev
 * server's pre-bundling, so its `new URL('…', import.meta.url)` of the
 * WebAssembly builds and of the thread worker stay pointing at its files.
 * Both servers send COOP/COEP headers: the page is cross-origin isolated,
 * and the kernels run on Web Workers over shared memory.
 */
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { builtInTexts } from './texts.ts';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [builtInTexts()],
  resolve: { conditions: ['browser', ...defaultClientConditions] },
  optimizeDeps: { exclude: ['recurrent'] },
  worker: { format: 'es' },
  server: {
    headers: isolation,
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
  },
  preview: { headers: isolation },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
