/**
 * The WebAssembly SIMD backend: the kernels of {@link ./backend.ts} compiled
 * from AssemblyScript (assembly/) and driven from here:
 *   ./wasm-loader.ts   reads, compiles and instantiates a build (relaxed SIMD, else SIMD) on one memory
 *   ./wasm-heap.ts     the size-class allocator over that memory
 *   ./wasm-kernels.ts  the kernels, declared once: operands, their modes and extents, thread splits
 *   ./wasm-calls.ts    the one code path that calls them (addresses, copies, threads, fallback)
 *   ./threads.ts       worker threads for large calls
 * This file puts them together as a {@link WasmBackend}.
 *
 * Float32 only: a call with any Float64Array operand runs on the reference
 * {@link jsBackend} (gradient checks work in float64 there).
 *
 * Memory. The backend owns one `WebAssembly.Memory`, reserved large up
 * front (1 GiB by default: address space only, pages cost nothing until
 * touched). It is a shared memory where the host allows one — then worker
 * threads run kernels on it, and growing it keeps every existing view
 * valid, so it grows on demand up to 4 GiB. Where shared memory is not
 * available the memory is an ordinary one that is never grown (growing
 * would detach every view handed out); allocations beyond the reservation
 * then fall back to ordinary JavaScript arrays, which still work, through
 * copies. {@link WasmBackend.allocate} carves float32 buffers out of that
 * memory; {@link WasmBackend.release} recycles them where the library knows
 * a lifetime is over (the scan's caches after backward, workspaces after
 * use), and otherwise they are recycled once garbage-collected.
 *
 * Kernels use operands that live in this memory in place (their address is
 * `byteOffset`); other float32 arrays — user data, the reference backend's
 * buffers — are copied into a reused scratch block before the kernel runs
 * and, for outputs, copied back. {@link WasmBackend.stats} counts the
 * floats copied.
 *
 * Threads (Node, or a cross-origin isolated page): large matrix products
 * and the gate, bias and optimiser kernels over many elements (see
 * THREAD_LIMITS in ./threads.ts) are split across `threads` threads sharing
 * the memory; results are bit for bit the single-thread ones.
 *
 * Usage:
 *   const wasm = await loadWasmBackend();          // null if WebAssembly SIMD is unavailable
 *   const lstm = new LSTM({ inputSize: 64, hiddenSize: 256, backend: wasm ?? jsBackend });
 *   wasm?.name;                                     // 'wasm-relaxed-simd' or 'wasm-simd'
 */
import { host } from '#host';
import type { DType, FloatArray } from '../tensor.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';
import { CONTROL_BYTES, type KernelExport, THREAD_LIMITS, ThreadPool } from './threads.js';
import { type BackendKernels, KernelCaller, type WasmCopyStats } from './wasm-calls.js';
import { Heap, type WasmMemoryStats } from './wasm-heap.js';
import { KERNEL_NAMES, type KernelName } from './wasm-kernels.js';
import { instantiateWasmKernels, type LoadedKernels, type LoadWasmOptions, type WasmKernels, type WasmVariant } from './wasm-loader.js';

export type { WasmCopyStats } from './wasm-calls.js';
export type { WasmMemoryStats } from './wasm-heap.js';
export { instantiateWasmKernels, unsharedMemoryBytes, type LoadWasmOptions, type WasmKernels, type WasmVariant } from './wasm-loader.js';

/** Threads this process may run on (Node: its cores; a browser: `navigator.hardwareConcurrency` in a cross-origin isolated page, else 1). */
export function availableThreads(): Promise<number> {
  return host.availableThreads();
}

/** The backend returned by {@link loadWasmBackend}. */
export interface WasmBackend extends Backend {
  readonly name: 'wasm-relaxed-simd' | 'wasm-simd';
  /** Which build loaded. */
  readonly variant: WasmVariant;
  /** The raw kernels (for benchmarks). Their memory belongs to the allocator: place data with {@link allocate}. */
  readonly kernels: WasmKernels;
  /** Copy counters since creation or {@link resetStats}. */
  readonly stats: WasmCopyStats;
  resetStats(): void;
  /** Threads in use (1 until the workers are up, or when running single-threaded). */
  readonly threads: number;
  /** Starts the worker threads now instead of at the first large kernel; resolves with the threads in use. */
  startThreads(): Promise<number>;
  /** Stops the worker threads (everything then runs on the calling thread). */
  close(): Promise<void>;
  /** Whether `a` lives in this backend's memory (kernels use it without copying). */
  owns(a: FloatArray): boolean;
  /** The allocator's state. */
  memoryStats(): WasmMemoryStats;
}

/**
 * Loads the WebAssembly backend: relaxed SIMD if the runtime validates it,
 * else plain SIMD, else `null` (callers then use {@link jsBackend}).
 * `name` tells which build runs: `'wasm-relaxed-simd'` or `'wasm-simd'`.
 */
export async function loadWasmBackend(options: LoadWasmOptions = {}): Promise<WasmBackend | null> {
  const loaded = await instantiateWasmKernels(options);
  if (!loaded) return null;
  const requested = options.threads ?? 1;
  if (!(Number.isInteger(requested) && requested >= 1)) throw new Error(`loadWasmBackend: threads must be an integer ≥ 1, got ${String(requested)}`);
  const threads = loaded.shared ? Math.min(requested, THREAD_LIMITS.maxThreads) : 1;
  return new WasmSimdBackend(loaded, threads);
}

// The kernel methods come from the table in ./wasm-kernels.ts, installed by the constructor.
interface WasmSimdBackend extends BackendKernels {}

class WasmSimdBackend implements WasmBackend {
  readonly name: 'wasm-relaxed-simd' | 'wasm-simd';
  readonly variant: WasmVariant;
  readonly kernels: WasmKernels;
  readonly stats: WasmCopyStats = { calls: 0, floatsIn: 0, floatsOut: 0, fallbacks: 0, parallel: 0 };
  private readonly heap: Heap;
  /** Byte address of the calling thread's scratch for gemm's packing. */
  private readonly work: number;
  private pool: ThreadPool | null = null;

  constructor(private readonly loaded: LoadedKernels, private readonly requestedThreads: number) {
    this.variant = loaded.variant;
    this.kernels = loaded.kernels;
    this.name = loaded.variant === 'relaxed-simd' ? 'wasm-relaxed-simd' : 'wasm-simd';
    const k = loaded.kernels;
    this.heap = new Heap(loaded.memory, k.heapBase(), loaded.shared, (p, b) => k.zero(p, b));
    this.work = this.heap.mustAlloc(k.gemmWorkspaceBytes());
    const exports = k as unknown as Record<KernelName, KernelExport>;
    const parallel = requestedThreads > 1
      ? (...job: Parameters<ThreadPool['tryCall']>) => this.getPool().tryCall(...job)
      : null;
    Object.assign(this, new KernelCaller(exports, this.heap, this.work, this.stats, parallel).methods());
  }

  get threads(): number {
    return this.pool?.ready ? this.pool.threads : 1;
  }

  /** The thread pool, made on first use (its workers start on the first call large enough). */
  private getPool(): ThreadPool {
    if (this.pool) return this.pool;
    const T = this.requestedThreads;
    const ctl = this.heap.mustAlloc(CONTROL_BYTES);
    this.kernels.zero(ctl, CONTROL_BYTES);
    const works: number[] = [];
    for (let i = 1; i < T; i++) works.push(this.heap.mustAlloc(this.kernels.gemmWorkspaceBytes()));
    this.pool = new ThreadPool(T, this.loaded.module, this.loaded.memory, ctl, works, KERNEL_NAMES, host.startWorker);
    return this.pool;
  }

  async startThreads(): Promise<number> {
    return this.requestedThreads > 1 ? this.getPool().start() : 1;
  }

  async close(): Promise<void> {
    if (this.pool) await this.pool.close();
  }

  owns(a: FloatArray): boolean {
    return this.heap.owns(a);
  }

  memoryStats(): WasmMemoryStats {
    return this.heap.stats();
  }

  resetStats(): void {
    this.stats.calls = 0;
    this.stats.floatsIn = 0;
    this.stats.floatsOut = 0;
    this.stats.fallbacks = 0;
    this.stats.parallel = 0;
  }

  allocate(dtype: DType, n: number): FloatArray {
    if (dtype !== 'float32') return jsBackend.allocate(dtype, n);
    const a = this.heap.allocF32(n);
    if (a) return a;
    this.heap.noteFallback();
    return new Float32Array(n);
  }

  release(a: FloatArray): void {
    this.heap.release(a);
  }
}
