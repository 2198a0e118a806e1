/**
 * The worker module a browser starts for each worker thread of the
 * WebAssembly backend (../host/browser.ts names it with
 * `new URL('../backend/thread-worker.js', import.meta.url)`, which bundlers
 * follow): its first message is the {@link ThreadWorkerData}, and it then
 * runs {@link threadLoop} until the pool closes.
 */
import { threadLoop, type ThreadWorkerData } from './thread-loop.js';

/** The part of a dedicated worker's global scope used here (the project's `lib` does not declare it). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: ThreadWorkerData }) => void, options: { once: true }): void;
}

(globalThis as unknown as WorkerScope).addEventListener('message', (event) => threadLoop(event.data), { once: true });
