/**
 * Worker threads for the WebAssembly backend (Node only): each worker
 * instantiates the same compiled kernel module on the same shared
 * `WebAssembly.Memory`, so operands are never copied between threads.
 *
 * A product `C = op(A)·op(B)` is split into column blocks of C (when
 * `n ≥ m`) or row blocks (otherwise); the elementwise kernels (gates,
 * optimiser updates, bias adds) into blocks of rows or elements. Every
 * thread runs the ordinary single-thread kernel on its block, and each
 * output element is computed exactly as without threads, so the results
 * are bit for bit the single-thread ones.
 *
 * Synchronisation is one 512-byte control block in the shared memory:
 * the calling thread writes the job and its blocks, bumps `SEQ` and wakes
 * the workers (`Atomics.notify`), runs block 0 itself, then waits for
 * `PENDING` to reach zero. Workers spin briefly on `SEQ`, then sleep in
 * `Atomics.wait`. One round trip costs a few microseconds, which is why
 * only products of at least {@link PARALLEL_MIN_WORK} multiply-adds with
 * at least {@link PARALLEL_MIN_ROWS} rows are split (batch-1 steps stay on
 * the calling thread), and elementwise kernels only from
 * {@link PARALLEL_MIN_ELEMENTS} elements.
 *
 * Lifetime: workers are started on the first product large enough (or by
 * {@link ThreadPool.start}), are `unref`'d so they never keep the process
 * alive, and are used only once all of them have instantiated the module
 * (until then everything runs on the calling thread). {@link ThreadPool.close}
 * stops them.
 */

/** Products with fewer multiply-adds (m·n·k) than this run on one thread. */
export const PARALLEL_MIN_WORK = 1 << 20;
/** Products with fewer rows than this (batch-1 steps) run on one thread. */
export const PARALLEL_MIN_ROWS = 4;
/** Elementwise kernels over fewer elements than this run on one thread. */
export const PARALLEL_MIN_ELEMENTS = 1 << 13;

// Control block layout (i32 slots).
const SEQ = 0;
const PENDING = 1;
const READY = 2;
const OP = 3;
const ERROR = 4;
// gemm arguments
const TRANS_A = 5;
const TRANS_B = 6;
const K = 7;
const LDA = 8;
const LDB = 9;
const LDC = 10;
const ALPHA = 11; // f32 bits
const BETA = 12; // f32 bits
const SPLIT_N = 13; // gemm: 1 for blocks of columns, 0 for rows; other kernels: the split argument
const A_PTR = 14;
const B_PTR = 15;
const C_PTR = 16;
const M = 17;
const N = 18; // other kernels: the number of arguments
// other kernels
const CALL_KERNEL = 19; // index into the kernel names
/** First slot of the per-thread block bounds: [start, end) pairs. */
const BOUNDS = 20;
const MAX_THREADS = 22; // (64 - BOUNDS) / 2
/** Kernel arguments (f64 slots from byte 256) and, from f64 slot 16, their byte strides per unit split. */
const ARGS_F64 = 32;
const MAX_ARGS = 16;
/** Bytes of the control block. */
export const CONTROL_BYTES = 512;

const OP_GEMM = 1;
const OP_EXIT = 2;
const OP_CALL = 3;

/** The kernels {@link ThreadPool.tryCall} can split (exports of the module). */
export const SPLIT_KERNELS = [
  'lstmForward', 'lstmBackward', 'gruForward', 'gruBackward', 'rnnForward', 'rnnBackward',
  'addRowVector', 'adamStep', 'sgdStep', 'scale',
] as const;
export type SplitKernel = (typeof SPLIT_KERNELS)[number];

/** Spins before sleeping, for the workers and for the waiting caller. */
const SPIN = 2000;

/**
 * The worker's program, run from source (`eval: true`, as a script or, when
 * the parent runs with `--input-type=module`, as a module: hence the
 * dynamic import), so the package needs no separate worker file.
 * `workerData` carries the compiled module, the shared memory, the control
 * block's address, this worker's index and its gemm scratch. The slots of
 * the control block are spelled out as numbers here (the function runs
 * detached from this file); see the constants above.
 */
async function workerMain(): Promise<void> {
  const { workerData } = await import('node:worker_threads');
  const { module, memory, ctl, index, work, spin, names } = workerData;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const inst = new (globalThis as any).WebAssembly.Instance(module, { env: { memory } });
  const kx = inst.exports;
  const I = new Int32Array(memory.buffer, ctl, 64);
  const F = new Float32Array(memory.buffer, ctl, 64);
  const D = new Float64Array(memory.buffer, ctl + 256, 32);
  let seq = Atomics.load(I, 0);
  Atomics.add(I, 2, 1); // READY
  for (;;) {
    let spins = 0;
    while (Atomics.load(I, 0) === seq) {
      if (++spins > spin) {
        Atomics.wait(I, 0, seq);
        spins = 0;
      }
    }
    seq = Atomics.load(I, 0);
    const op = I[3];
    if (op === 2) break; // OP_EXIT
    try {
      const lo = I[20 + 2 * index] as number;
      const hi = I[21 + 2 * index] as number;
      if (op === 1 && hi > lo) {
        const tA = I[5] as number, tB = I[6] as number, k = I[7] as number;
        const lda = I[8] as number, ldb = I[9] as number, ldc = I[10] as number;
        const alpha = F[11] as number, beta = F[12] as number;
        let a = I[14] as number, b = I[15] as number, c = I[16] as number;
        let m = I[17] as number, n = I[18] as number;
        if (I[13]) {
          // columns [lo, hi): op(B)[:, lo:hi] and C[:, lo:hi]
          b += tB ? lo * ldb * 4 : lo * 4;
          c += lo * 4;
          n = hi - lo;
        } else {
          // rows [lo, hi): op(A)[lo:hi, :] and C[lo:hi, :]
          a += tA ? lo * 4 : lo * lda * 4;
          c += lo * ldc * 4;
          m = hi - lo;
        }
        kx.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
      } else if (op === 3 && hi > lo) {
        // OP_CALL: units [lo, hi) of the split argument; pointers advance by their strides
        const nargs = I[18] as number;
        const split = I[13] as number;
        const args: number[] = [];
        for (let i = 0; i < nargs; i++) args.push((D[i] as number) + lo * (D[16 + i] as number));
        args[split] = hi - lo;
        kx[names[I[19] as number]](...args);
      }
    } catch {
      Atomics.store(I, 4, 1); // ERROR
    }
    if (Atomics.sub(I, 1, 1) === 1) Atomics.notify(I, 1);
  }
}

/** The module's exports used here: gemm (byte addresses) and the kernels that can be split. */
type KernelExports = {
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number,
  ): void;
} & Record<SplitKernel, (...args: number[]) => unknown>;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (...args: unknown[]) => void): void;
}

/** A pool of `threads − 1` workers plus the calling thread. */
export class ThreadPool {
  private readonly I: Int32Array;
  private readonly F: Float32Array;
  private readonly D: Float64Array;
  private workers: NodeWorker[] = [];
  private starting: Promise<number> | null = null;
  private failed = false;

  /**
   * @param threads total threads, the caller included (2 … 23).
   * @param ctl byte address of {@link CONTROL_BYTES} of zeroed shared memory.
   * @param works byte addresses of gemm scratch, one per worker (`threads − 1`).
   */
  constructor(
    readonly threads: number,
    private readonly module: unknown,
    private readonly memory: { readonly buffer: ArrayBufferLike },
    private readonly ctl: number,
    private readonly works: readonly number[],
    private readonly kernels: KernelExports,
    private readonly mainWork: number,
  ) {
    if (!(threads >= 2 && threads <= MAX_THREADS + 1)) throw new Error(`ThreadPool: threads must be in [2, ${MAX_THREADS + 1}], got ${threads}`);
    this.I = new Int32Array(memory.buffer, ctl, 64);
    this.F = new Float32Array(memory.buffer, ctl, 64);
    this.D = new Float64Array(memory.buffer, ctl + 256, ARGS_F64);
  }

  /** Whether every worker is up (products are split only then). */
  get ready(): boolean {
    return !this.failed && this.workers.length === this.threads - 1 && Atomics.load(this.I, READY) === this.threads - 1;
  }

  /**
   * Starts the workers (once); resolves with the number of threads in use
   * once all have instantiated the module (1 if they could not start).
   */
  start(): Promise<number> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      try {
        const { Worker } = await import('node:worker_threads');
        const source = `(${workerMain.toString()})();`;
        for (let i = 1; i < this.threads; i++) {
          const w = new Worker(source, {
            eval: true,
            workerData: { module: this.module, memory: this.memory, ctl: this.ctl, index: i, work: this.works[i - 1], spin: SPIN, names: SPLIT_KERNELS },
          }) as unknown as NodeWorker;
          w.unref();
          w.on('error', () => {
            this.failed = true;
          });
          this.workers.push(w);
        }
        // Wait (asynchronously) for every worker to report in.
        const deadline = Date.now() + 30_000;
        while (Atomics.load(this.I, READY) < this.threads - 1 && !this.failed && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2));
        }
        if (Atomics.load(this.I, READY) < this.threads - 1) this.failed = true;
      } catch {
        this.failed = true;
      }
      return this.ready ? this.threads : 1;
    })();
    return this.starting;
  }

  /** Block bounds of `units` (in multiples of `align`) for each thread; false if too few for every thread. */
  private split(units: number, align: number): boolean {
    const I = this.I;
    const T = this.threads;
    const blocks = Math.ceil(units / align);
    if (blocks < T) return false;
    for (let t = 0; t < T; t++) {
      I[BOUNDS + 2 * t] = Math.min(units, Math.floor((blocks * t) / T) * align);
      I[BOUNDS + 2 * t + 1] = Math.min(units, Math.floor((blocks * (t + 1)) / T) * align);
    }
    return true;
  }

  /**
   * Wakes the workers on the job now in the control block, runs block 0 on
   * this thread (`own(hi)`, the block being [0, hi)), and waits for the rest.
   */
  private run(op: number, own: (hi: number) => void): void {
    const I = this.I;
    I[OP] = op;
    Atomics.store(I, PENDING, this.threads - 1);
    Atomics.add(I, SEQ, 1);
    Atomics.notify(I, SEQ);
    const hi = I[BOUNDS + 1] as number;
    if (hi > 0) own(hi);
    // Wait for the workers' blocks. A worker that does not finish within a minute
    // of this thread's block is taken for dead: the pool is shut off and the call fails.
    const deadline = Date.now() + 60_000;
    let spins = 0;
    for (;;) {
      const left = Atomics.load(I, PENDING);
      if (left === 0) break;
      if (++spins > SPIN) {
        Atomics.wait(I, PENDING, left, 100);
        spins = 0;
        if (Date.now() > deadline) {
          this.failed = true;
          throw new Error('wasm backend: a worker thread did not finish its part of a kernel within 60 s; threads are now off');
        }
      }
    }
    if (Atomics.load(I, ERROR)) {
      Atomics.store(I, ERROR, 0);
      throw new Error('wasm backend: a kernel failed in a worker thread');
    }
  }

  /** Whether the pool can take a job now (starting the workers on first demand). */
  private available(): boolean {
    if (this.ready) return true;
    if (!this.starting) void this.start();
    return false;
  }

  /**
   * Runs `C = alpha·op(A)·op(B) + beta·C` (byte addresses in the shared
   * memory) split across the threads, if the pool is ready and the product
   * large enough; returns false (having done nothing) otherwise.
   */
  tryGemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): boolean {
    if (m < PARALLEL_MIN_ROWS || m * n * k < PARALLEL_MIN_WORK || !this.available()) return false;
    const splitN = n >= m;
    if (!this.split(splitN ? n : m, splitN ? 8 : 4)) return false;
    const I = this.I;
    I[TRANS_A] = transA ? 1 : 0;
    I[TRANS_B] = transB ? 1 : 0;
    I[K] = k;
    I[LDA] = lda;
    I[LDB] = ldb;
    I[LDC] = ldc;
    this.F[ALPHA] = alpha;
    this.F[BETA] = beta;
    I[SPLIT_N] = splitN ? 1 : 0;
    I[A_PTR] = a;
    I[B_PTR] = b;
    I[C_PTR] = c;
    I[M] = m;
    I[N] = n;
    const tA = transA ? 1 : 0;
    const tB = transB ? 1 : 0;
    this.run(OP_GEMM, (hi) => {
      if (splitN) this.kernels.gemm(tA, tB, m, hi, k, alpha, a, lda, b, ldb, beta, c, ldc, this.mainWork);
      else this.kernels.gemm(tA, tB, hi, n, k, alpha, a, lda, b, ldb, beta, c, ldc, this.mainWork);
    });
    return true;
  }

  /**
   * Runs the kernel `name` on `args` split across the threads: argument
   * `split` is a count of units (rows, elements), cut into blocks of
   * multiples of `align`; every argument `i` with a nonzero `strides[i]`
   * is a byte address advanced by `strides[i]` per unit. Only when the pool
   * is ready and `elements` (the work, in elements) reaches
   * {@link PARALLEL_MIN_ELEMENTS}; returns false (having done nothing) otherwise.
   */
  tryCall(name: SplitKernel, args: readonly number[], split: number, strides: readonly number[], align: number, elements: number): boolean {
    if (elements < PARALLEL_MIN_ELEMENTS || args.length > MAX_ARGS || !this.available()) return false;
    if (!this.split(args[split] as number, align)) return false;
    const I = this.I;
    const D = this.D;
    for (let i = 0; i < args.length; i++) {
      D[i] = args[i] as number;
      D[MAX_ARGS + i] = strides[i] ?? 0;
    }
    I[N] = args.length;
    I[SPLIT_N] = split;
    I[CALL_KERNEL] = SPLIT_KERNELS.indexOf(name);
    this.run(OP_CALL, (hi) => {
      const own = args.slice();
      own[split] = hi;
      this.kernels[name](...own);
    });
    return true;
  }

  /** Stops the workers; later products run on the calling thread. */
  async close(): Promise<void> {
    this.failed = true;
    if (this.starting) await this.starting;
    const I = this.I;
    I[OP] = OP_EXIT;
    Atomics.add(I, SEQ, 1);
    Atomics.notify(I, SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
