/**
 * What a page gives the library, made from Node's parts, so that the
 * browser host (src/host/browser.ts) runs under `node --conditions=browser`:
 * `Worker` (module workers on worker_threads; in the worker, a global
 * `addEventListener('message', …)` fed by the parent port), `fetch` of
 * `file:` URLs (the wasm builds by their URLs), `crossOriginIsolated` and
 * `navigator.hardwareConcurrency`.
 */
import { readFile } from 'node:fs/promises';
import { Worker as NodeWorker } from 'node:worker_threads';

/** Inside each worker: the global a module worker listens on, then the module itself. */
const WORKER_BOOTSTRAP = `import('node:worker_threads').then(({ parentPort, workerData }) => {
  globalThis.addEventListener = (type, listener) => parentPort.on(type, (data) => listener({ data }));
  return import(workerData);
});`;

class ModuleWorker {
  private readonly worker: NodeWorker;

  constructor(url: URL, options: { type?: string }) {
    if (options.type !== 'module') throw new Error(`Worker: expected { type: 'module' }, got ${JSON.stringify(options)}`);
    this.worker = new NodeWorker(WORKER_BOOTSTRAP, { eval: true, workerData: url.href });
    this.worker.unref();
  }

  postMessage(message: unknown): void {
    this.worker.postMessage(message);
  }

  addEventListener(type: 'error', listener: () => void): void {
    this.worker.on(type, listener);
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

async function fetchFile(url: URL): Promise<{ ok: boolean; arrayBuffer(): Promise<ArrayBuffer> }> {
  if (url.protocol !== 'file:') throw new TypeError(`fetch: only file: URLs here, got ${url.href}`);
  try {
    const bytes = await readFile(url);
    return { ok: true, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  } catch {
    return { ok: false, arrayBuffer: async () => new ArrayBuffer(0) };
  }
}

/** Installs the page's globals: `isolated` is `crossOriginIsolated`, `cores` is `navigator.hardwareConcurrency`. */
export function installBrowserGlobals(isolated: boolean, cores: number): void {
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  };
  define('Worker', ModuleWorker);
  define('fetch', fetchFile);
  define('crossOriginIsolated', isolated);
  define('navigator', { hardwareConcurrency: cores });
}
