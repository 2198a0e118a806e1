/**
 * The host on Node (see ./host.ts): files read from disk, V8's flag for
 * relaxed SIMD, worker_threads, the cores this process may use, and
 * node:crypto's SHA-256 (about eight times the speed of ../io/sha256.ts,
 * same digests). The only module of the library's core that imports `node:`
 * modules; package.json's `imports` hands it out under the `node` condition.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { threadLoop } from '../backend/thread-loop.js';
import type { Host } from './host.js';

let relaxedFlagSet = false;

export const host: Host = {
  kind: 'node',

  async readPackageFile(url) {
    try {
      return await readFile(url);
    } catch {
      return null;
    }
  },

  /**
   * Node 20 compiles relaxed-SIMD modules only behind a V8 flag, set before
   * compiling (NODE_OPTIONS refuses it). Newer versions ship the feature and
   * ignore the flag.
   */
  async enableRelaxedSimd() {
    if (relaxedFlagSet) return;
    relaxedFlagSet = true;
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // no V8 flags here: validation decides
    }
  },

  sharedMemory() {
    return true;
  },

  async availableThreads() {
    return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  },

  /**
   * The worker runs {@link threadLoop} from its source text (`eval`), so the
   * package needs no worker file on Node. The source imports
   * worker_threads dynamically because it runs as a script, or as a module
   * when the parent runs with `--input-type=module`.
   */
  startWorker(data, onError) {
    const source = `import('node:worker_threads').then((threads) => (${threadLoop.toString()})(threads.workerData));`;
    const worker = new Worker(source, { eval: true, workerData: data });
    worker.unref();
    worker.on('error', onError);
    return worker;
  },

  sha256(data) {
    return createHash('sha256').update(data).digest('hex');
  },
};
