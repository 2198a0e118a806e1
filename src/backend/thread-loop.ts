/**
 * What every worker thread of the WebAssembly backend runs (./threads.ts):
 * instantiate the compiled kernel module on the shared memory, report
 * ready, then wait for jobs in the control block and run its own block of
 * each until told to exit.
 *
 * Self-contained on purpose: everything it needs arrives in
 * {@link ThreadWorkerData}, and it refers to nothing else in this module, so
 * Node runs it from its source text (no worker file to locate) and a
 * browser's worker module (./thread-worker.ts) simply calls it.
 */
import type { KernelExport, LAYOUT, OPS } from './threads.js';

/** What a worker is started with. */
export interface ThreadWorkerData {
  /** The compiled kernel module (a `WebAssembly.Module`). */
  module: unknown;
  /** The shared `WebAssembly.Memory` the module imports. */
  memory: { readonly buffer: ArrayBufferLike };
  /** Byte address of the control block. */
  ctl: number;
  /** This worker's index (block `index` is its own). */
  index: number;
  /** Byte address of this worker's scratch. */
  work: number;
  spin: number;
  /** The kernels a job may name, by index. */
  names: readonly string[];
  layout: typeof LAYOUT;
  ops: typeof OPS;
  argsByte: number;
  i32Slots: number;
}

/**
 * Runs jobs until the exit job: for each, units [lo, hi) of the split
 * argument, every address advanced by its stride per unit; then one
 * decrement of `PENDING` (the last one wakes the caller).
 */
export function threadLoop(data: ThreadWorkerData): void {
  const { module, memory, ctl, index, work, spin, names, layout: L, ops, argsByte, i32Slots } = data;
  const api = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, imports: object) => { exports: Record<string, KernelExport> } } }).WebAssembly;
  const kernels = new api.Instance(module, { env: { memory } }).exports;
  const I = new Int32Array(memory.buffer, ctl, i32Slots);
  const D = new Float64Array(memory.buffer, ctl + argsByte, 2 * L.STRIDES);
  let seq = Atomics.load(I, L.SEQ);
  Atomics.add(I, L.READY, 1);
  for (;;) {
    let spins = 0;
    while (Atomics.load(I, L.SEQ) === seq) {
      if (++spins > spin) {
        Atomics.wait(I, L.SEQ, seq);
        spins = 0;
      }
    }
    seq = Atomics.load(I, L.SEQ);
    if (I[L.OP] === ops.EXIT) break;
    try {
      const lo = I[L.BOUNDS + 2 * index] as number;
      const hi = I[L.BOUNDS + 2 * index + 1] as number;
      if (hi > lo) {
        const args: number[] = [];
        for (let i = 0; i < (I[L.NARGS] as number); i++) args.push((D[L.ARGS + i] as number) + lo * (D[L.STRIDES + i] as number));
        args[I[L.SPLIT] as number] = hi - lo;
        const scratch = I[L.SCRATCH] as number;
        if (scratch >= 0) args[scratch] = work;
        (kernels[names[I[L.KERNEL] as number] as string] as KernelExport)(...args);
      }
    } catch {
      Atomics.store(I, L.ERROR, 1);
    }
    if (Atomics.sub(I, L.PENDING, 1) === 1) Atomics.notify(I, L.PENDING);
  }
}
