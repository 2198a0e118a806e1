/**
 * What the two workers share: the kernels they load, how they reply, and how
 * a training loop lets requests in between its steps.
 */
import { availableThreads, type Backend, jsBackend, loadWasmBackend } from 'recurrent';
import type { BackendInfo } from './protocol.ts';

/** The part of a dedicated worker's global scope used here. */
interface WorkerScope {
  crossOriginIsolated: boolean;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

const scope = self as unknown as WorkerScope;

/**
 * The WebAssembly kernels on every thread the page may use (Web Workers over
 * shared memory when it is cross-origin isolated, else one), or the
 * reference kernels where WebAssembly SIMD is missing.
 */
export async function loadKernels(): Promise<{ backend: Backend; info: BackendInfo }> {
  const wasm = await loadWasmBackend({ threads: await availableThreads() });
  const threads = wasm ? await wasm.startThreads() : 1;
  const backend = wasm ?? jsBackend;
  return { backend, info: { name: backend.name, threads, isolated: scope.crossOriginIsolated === true } };
}

/** Posts a reply to the page, handing over the buffers in `transfer`. */
export function reply<T extends { type: string }>(message: T, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Calls `handle` with each request from the page. */
export function onRequest<T>(handle: (request: T) => void): void {
  scope.addEventListener('message', (event) => handle(event.data as T));
}

const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();

/**
 * Resolves after the requests already queued have run: a task of its own,
 * without the 4 ms a nested `setTimeout` waits (so a loop that yields every
 * few tens of milliseconds loses almost nothing to it).
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/** A message for an error of any kind. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
