/**
 * What differs between Node and a browser, in one interface: how the
 * package's own files (the WebAssembly builds) are read, whether memory can
 * be shared with worker threads and how a worker is started, how many
 * threads there are, and SHA-256. Everything else in the library is the same
 * code everywhere.
 *
 * Two implementations, chosen when the package is resolved (the `#host`
 * entry of package.json's `imports`): ./node.ts under the `node` condition
 * (Node, and runtimes that present themselves as Node), ./browser.ts
 * otherwise (browsers, web workers, bundles for them). Nothing reachable
 * from ./browser.ts imports a `node:` module.
 */
import type { ThreadWorkerData } from '../backend/thread-loop.js';

/** A worker thread started by {@link Host.startWorker}. */
export interface HostWorker {
  /** Stops the worker. */
  terminate(): Promise<unknown> | void;
}

export interface Host {
  readonly kind: 'node' | 'browser';
  /**
   * The bytes of one of this package's files, given its URL (made with
   * `new URL('…', import.meta.url)` where it is named); null if absent or
   * unreadable. Node reads the file; a browser fetches the URL.
   */
  readPackageFile(url: URL): Promise<ArrayBuffer | Uint8Array | null>;
  /**
   * Turns on relaxed SIMD where the runtime needs a flag for it (V8's
   * `--experimental-wasm-relaxed-simd` on Node 20); nothing elsewhere.
   */
  enableRelaxedSimd(): Promise<void>;
  /** Whether a shared `WebAssembly.Memory` can be made and handed to workers here (in a browser: when the page is cross-origin isolated). */
  sharedMemory(): boolean;
  /** Threads this process or page may run on (1 where workers cannot share memory). */
  availableThreads(): Promise<number>;
  /**
   * Starts a worker that runs `threadLoop(data)` (../backend/thread-loop.ts).
   * `onError` is called if it fails to start or dies. The worker never keeps
   * a process alive.
   */
  startWorker(data: ThreadWorkerData, onError: () => void): HostWorker;
  /** Hex SHA-256 of a string (as UTF-8) or of bytes. */
  sha256(data: string | Uint8Array): string;
}
