/**
 * The host in a browser, a web worker, or any runtime that is not Node (see
 * ./host.ts): the package's files fetched by URL, Web Workers over a shared
 * memory when the page is cross-origin isolated (one thread otherwise), and
 * SHA-256 in TypeScript. Imports no `node:` module.
 *
 * The worker module is named by a literal
 * `new Worker(new URL('../backend/thread-worker.js', import.meta.url), { type: 'module' })`,
 * the form bundlers (Vite, webpack, Parcel) recognise and emit as a worker
 * chunk; unbundled, the URL resolves beside this module.
 */
import { sha256 } from '../io/sha256.js';
import type { Host, HostWorker } from './host.js';

/** The part of the DOM's Worker used here (the project's `lib` does not declare it). */
interface WebWorker extends HostWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'error', listener: () => void): void;
}

declare const Worker: new (url: URL, options: { type: 'module' }) => WebWorker;

interface FetchResponse {
  ok: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The globals this host reads, each absent somewhere. */
interface BrowserGlobals {
  fetch?: (url: URL) => Promise<FetchResponse>;
  crossOriginIsolated?: boolean;
  Worker?: unknown;
  navigator?: { hardwareConcurrency?: number };
}

const globals = globalThis as BrowserGlobals;

/** Shared memory reaches workers only in a cross-origin isolated page (COOP `same-origin` + COEP `require-corp`). */
function sharedMemory(): boolean {
  return globals.crossOriginIsolated === true && typeof globals.Worker === 'function';
}

export const host: Host = {
  kind: 'browser',

  async readPackageFile(url) {
    try {
      const res = await globals.fetch?.(url);
      return res?.ok ? await res.arrayBuffer() : null;
    } catch {
      return null;
    }
  },

  async enableRelaxedSimd() {
    // Browsers that have relaxed SIMD ship it; there is no flag to set.
  },

  sharedMemory,

  async availableThreads() {
    return sharedMemory() ? Math.max(1, Math.floor(globals.navigator?.hardwareConcurrency ?? 1)) : 1;
  },

  startWorker(data, onError) {
    const worker = new Worker(new URL('../backend/thread-worker.js', import.meta.url), { type: 'module' });
    worker.addEventListener('error', onError);
    worker.postMessage(data);
    return worker;
  },

  sha256,
};
