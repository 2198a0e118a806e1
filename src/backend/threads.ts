/**
 * Worker threads for the WebAssembly backend (Node's worker_threads, or a
 * browser's Web Workers when the page is cross-origin isolated; the host
 * starts them, ../host/host.ts): each worker runs ./thread-loop.ts, which
 * instantiates the same compiled kernel module on the same shared
 * `WebAssembly.Memory`, so operands are never copied between threads.
 *
 * A kernel call is split along one of its size arguments: a product
 * `C = op(A)·op(B)` into blocks of columns of C (when `n ≥ m`) or of rows,
 * the elementwise kernels (gates, optimiser updates, bias adds) into blocks
 * of rows or elements. Every thread runs the ordinary single-thread kernel
 * on its block — the size argument set to the block's length, each operand's
 * address advanced by its stride per unit — so each output element is
 * computed exactly as without threads, and the results are bit for bit the
 * single-thread ones.
 *
 * Synchronisation is one {@link CONTROL_BYTES}-byte control block in the
 * shared memory: the calling thread writes the job and its blocks, bumps
 * `SEQ` and wakes the workers (`Atomics.notify`), runs block 0 itself, then
 * waits for `PENDING` to reach zero. Workers spin briefly on `SEQ`, then
 * sleep in `Atomics.wait`; so does the caller, except on a browser's main
 * thread, which may not block and spins. One round trip costs a few
 * microseconds, which is why only work past the {@link THREAD_LIMITS} is split.
 *
 * Lifetime: workers are started on the first call large enough (or by
 * {@link ThreadPool.start}), never keep a process alive, and are used only
 * once all of them have instantiated the module (until then everything runs
 * on the calling thread). {@link ThreadPool.close} stops them.
 */
import type { Host, HostWorker } from '../host/host.js';
import type { ThreadWorkerData } from './thread-loop.js';

/** When and how kernels are split across threads: every limit, named once. */
export const THREAD_LIMITS = {
  /** Most threads, the calling one included (the control block has room for this many blocks). */
  maxThreads: 24,
  /** Products with fewer multiply-adds (m·n·k) than this run on one thread. */
  minProductWork: 1 << 20,
  /** Products with fewer rows than this (batch-1 steps) run on one thread. */
  minProductRows: 4,
  /** Elementwise kernels over fewer elements than this run on one thread. */
  minElements: 1 << 13,
  /** Products are cut into blocks of rows of C in multiples of this (the micro-tile's rows)… */
  productRowBlock: 4,
  /** …or of columns of C in multiples of this (the micro-tile's columns). */
  productColumnBlock: 8,
  /** Vector kernels (optimiser steps, scaling) are cut in multiples of this many elements (64 bytes). */
  vectorBlock: 16,
  /** Spins before sleeping, for the workers and for the waiting caller. */
  spin: 2000,
  /** Workers not all up after this long are given up on (everything stays on the calling thread). */
  startTimeoutMs: 30_000,
  /** A worker that has not finished its block this long after the caller finished its own is taken for dead. */
  jobTimeoutMs: 60_000,
} as const;

/** Slots of the control block: i32 slots, then from byte {@link ARGS_BYTE} the f64 arguments and their strides. */
export const LAYOUT = {
  SEQ: 0,
  PENDING: 1,
  READY: 2,
  OP: 3,
  ERROR: 4,
  /** Index of the kernel in the pool's kernel names. */
  KERNEL: 5,
  NARGS: 6,
  /** The argument cut into blocks. */
  SPLIT: 7,
  /** The argument each thread replaces with its own scratch address (−1: none). */
  SCRATCH: 8,
  /** First i32 slot of the per-thread block bounds: [start, end) pairs. */
  BOUNDS: 16,
  /** First f64 slot (from {@link ARGS_BYTE}) of the arguments, and of their byte strides per unit of the split. */
  ARGS: 0,
  STRIDES: 16,
} as const;
const I32_SLOTS = LAYOUT.BOUNDS + 2 * THREAD_LIMITS.maxThreads;
const ARGS_BYTE = 4 * I32_SLOTS;
/** Most arguments of a kernel. */
const MAX_ARGS = LAYOUT.STRIDES;
/** Bytes of the control block. */
export const CONTROL_BYTES = ARGS_BYTE + 8 * 2 * MAX_ARGS;

/** Jobs (the `OP` slot). */
export const OPS = { CALL: 1, EXIT: 2 } as const;

/** A kernel export: numbers in (byte addresses, sizes, scalars), a number or nothing out. */
export type KernelExport = (...args: number[]) => unknown;

/** A pool of `threads − 1` workers plus the calling thread. */
export class ThreadPool {
  private readonly I: Int32Array;
  private readonly D: Float64Array;
  private workers: HostWorker[] = [];
  private starting: Promise<number> | null = null;
  private failed = false;
  /** Whether this thread may sleep in `Atomics.wait` (a browser's main thread may not). */
  private readonly canBlock: boolean;

  /**
   * @param threads total threads, the caller included (2 … {@link THREAD_LIMITS.maxThreads}).
   * @param ctl byte address of {@link CONTROL_BYTES} of zeroed shared memory.
   * @param works byte addresses of scratch, one per worker (`threads − 1`).
   * @param names the kernels {@link tryCall} may run, by index (exports of the module).
   * @param startWorker starts one worker running ./thread-loop.ts (the host's: ../host/host.ts).
   */
  constructor(
    readonly threads: number,
    private readonly module: unknown,
    private readonly memory: { readonly buffer: ArrayBufferLike },
    private readonly ctl: number,
    private readonly works: readonly number[],
    private readonly names: readonly string[],
    private readonly startWorker: Host['startWorker'],
  ) {
    const max = THREAD_LIMITS.maxThreads;
    if (!(Number.isInteger(threads) && threads >= 2 && threads <= max)) throw new Error(`ThreadPool: threads must be an integer in [2, ${max}], got ${threads}`);
    this.I = new Int32Array(memory.buffer, ctl, I32_SLOTS);
    this.D = new Float64Array(memory.buffer, ctl + ARGS_BYTE, 2 * MAX_ARGS);
    this.canBlock = mayBlock(this.I);
  }

  /** Whether every worker is up (calls are split only then). */
  get ready(): boolean {
    return !this.failed && this.workers.length === this.threads - 1 && Atomics.load(this.I, LAYOUT.READY) === this.threads - 1;
  }

  /**
   * Starts the workers (once); resolves with the number of threads in use
   * once all have instantiated the module (1 if they could not start).
   */
  start(): Promise<number> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      try {
        const onError = (): void => {
          this.failed = true;
        };
        for (let i = 1; i < this.threads; i++) {
          const data: ThreadWorkerData = {
            module: this.module, memory: this.memory, ctl: this.ctl, index: i, work: this.works[i - 1] as number,
            spin: THREAD_LIMITS.spin, names: this.names, layout: LAYOUT, ops: OPS, argsByte: ARGS_BYTE, i32Slots: I32_SLOTS,
          };
          this.workers.push(this.startWorker(data, onError));
        }
        // Wait (asynchronously) for every worker to report in.
        const deadline = Date.now() + THREAD_LIMITS.startTimeoutMs;
        while (Atomics.load(this.I, LAYOUT.READY) < this.threads - 1 && !this.failed && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2));
        }
        if (Atomics.load(this.I, LAYOUT.READY) < this.threads - 1) this.failed = true;
      } catch {
        this.failed = true;
      }
      return this.ready ? this.threads : 1;
    })();
    return this.starting;
  }

  /**
   * Block bounds of `units` for each thread: whole multiples of `align`, the
   * last thread also taking the rest past the last whole one (so no block is
   * a sliver that a kernel would compute by another path, in another order,
   * than the whole call); false if there are too few for every thread.
   */
  private split(units: number, align: number): boolean {
    const I = this.I;
    const T = this.threads;
    const blocks = Math.floor(units / align);
    if (blocks < T) return false;
    for (let t = 0; t < T; t++) {
      I[LAYOUT.BOUNDS + 2 * t] = Math.floor((blocks * t) / T) * align;
      I[LAYOUT.BOUNDS + 2 * t + 1] = t === T - 1 ? units : Math.floor((blocks * (t + 1)) / T) * align;
    }
    return true;
  }

  /** Whether the pool can take a job now (starting the workers on first demand). */
  private available(): boolean {
    if (this.ready) return true;
    if (!this.starting) void this.start();
    return false;
  }

  /**
   * Runs kernel `names[kernel]` on `args` split across the threads:
   * argument `split` is a count of units (rows, columns, elements), cut into
   * blocks of multiples of `align`; every argument `i` with a nonzero
   * `strides[i]` is a byte address advanced by `strides[i]` per unit, and
   * argument `scratch` (unless −1) is replaced by each worker's own scratch.
   * The calling thread runs block 0 with `args` as given. Returns false,
   * having done nothing, when the pool is not ready or the units are too few
   * for every thread.
   */
  tryCall(kernel: number, fn: KernelExport, args: number[], split: number, strides: ArrayLike<number>, align: number, scratch: number): boolean {
    if (args.length > MAX_ARGS || !this.available()) return false;
    const units = args[split] as number;
    if (!this.split(units, align)) return false;
    const I = this.I;
    const D = this.D;
    for (let i = 0; i < args.length; i++) {
      D[LAYOUT.ARGS + i] = args[i] as number;
      D[LAYOUT.STRIDES + i] = strides[i] ?? 0;
    }
    I[LAYOUT.KERNEL] = kernel;
    I[LAYOUT.NARGS] = args.length;
    I[LAYOUT.SPLIT] = split;
    I[LAYOUT.SCRATCH] = scratch;
    I[LAYOUT.OP] = OPS.CALL;
    Atomics.store(I, LAYOUT.PENDING, this.threads - 1);
    Atomics.add(I, LAYOUT.SEQ, 1);
    Atomics.notify(I, LAYOUT.SEQ);
    const own = I[LAYOUT.BOUNDS + 1] as number;
    try {
      if (own > 0) {
        args[split] = own;
        fn(...args);
      }
    } finally {
      args[split] = units;
      this.wait();
    }
    return true;
  }

  /**
   * Waits for the workers' blocks. A worker that does not finish within
   * {@link THREAD_LIMITS.jobTimeoutMs} of this thread's block is taken for
   * dead: the pool is shut off and the call fails.
   */
  private wait(): void {
    const I = this.I;
    const deadline = Date.now() + THREAD_LIMITS.jobTimeoutMs;
    let spins = 0;
    for (;;) {
      const left = Atomics.load(I, LAYOUT.PENDING);
      if (left === 0) break;
      if (++spins > THREAD_LIMITS.spin) {
        if (this.canBlock) Atomics.wait(I, LAYOUT.PENDING, left, 100);
        spins = 0;
        if (Date.now() > deadline) {
          this.failed = true;
          throw new Error(`wasm backend: a worker thread did not finish its part of a kernel within ${THREAD_LIMITS.jobTimeoutMs / 1000} s; threads are now off`);
        }
      }
    }
    if (Atomics.load(I, LAYOUT.ERROR)) {
      Atomics.store(I, LAYOUT.ERROR, 0);
      throw new Error('wasm backend: a kernel failed in a worker thread');
    }
  }

  /** Stops the workers; later calls run on the calling thread. */
  async close(): Promise<void> {
    this.failed = true;
    if (this.starting) await this.starting;
    const I = this.I;
    I[LAYOUT.OP] = OPS.EXIT;
    Atomics.add(I, LAYOUT.SEQ, 1);
    Atomics.notify(I, LAYOUT.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}

/**
 * Whether the calling thread may block in `Atomics.wait`: a wait on a value
 * the slot does not hold returns at once where blocking is allowed, and
 * throws where it is not (a browser's main thread).
 */
function mayBlock(I: Int32Array): boolean {
  try {
    Atomics.wait(I, LAYOUT.READY, ~Atomics.load(I, LAYOUT.READY), 0);
    return true;
  } catch {
    return false;
  }
}
