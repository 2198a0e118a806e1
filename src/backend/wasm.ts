/**
 * The WebAssembly SIMD backend: the kernels of {@link ./backend.ts} compiled
 * from AssemblyScript (assembly/) in two builds of the same source —
 * `recurrent-relaxed.wasm` (relaxed-SIMD fused multiply-add) and
 * `recurrent-simd.wasm` (plain 128-bit SIMD) — and driven from here.
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
 * copies.
 *
 * {@link WasmBackend.allocate} carves float32 buffers out of that memory.
 * The allocator keeps free lists by size class (64-byte multiples up to
 * 1 KiB, then four classes per power of two: at most 25 % slack) and a
 * bump pointer; blocks are recycled by {@link WasmBackend.release} where
 * the library knows a lifetime is over (the scan's caches after backward,
 * workspaces after use), and otherwise when the array is garbage-collected
 * (a `FinalizationRegistry`, which runs only between event-loop turns).
 * Recycled blocks are zeroed in WebAssembly (`memory.fill`); fresh pages
 * already are zero.
 *
 * Kernels use operands that live in this memory in place (their address is
 * `byteOffset`); other float32 arrays — user data, the reference backend's
 * buffers — are copied into a reused scratch block before the kernel runs
 * and, for outputs, copied back. {@link WasmBackend.stats} counts the
 * floats copied.
 *
 * Threads (Node): matrix products of at least 2²⁰ multiply-adds and 4 rows,
 * and the gate, bias and optimiser kernels from 8,192 elements, are split
 * across `threads` threads sharing the memory (see ./threads.ts); results
 * are bit for bit the single-thread ones.
 *
 * Usage:
 *   const wasm = await loadWasmBackend();          // null if WebAssembly SIMD is unavailable
 *   const lstm = new LSTM({ inputSize: 64, hiddenSize: 256, backend: wasm ?? jsBackend });
 *   wasm?.name;                                     // 'wasm-relaxed-simd' or 'wasm-simd'
 */
import type { DType, FloatArray } from '../tensor.js';
import type { AdamStepOptions, Backend, SgdStepOptions } from './backend.js';
import { jsBackend } from './js.js';
import { CONTROL_BYTES, PARALLEL_MIN_ELEMENTS, type SplitKernel, ThreadPool } from './threads.js';

/** The two builds of the kernels. */
export type WasmVariant = 'relaxed-simd' | 'simd';

/** The part of a `WebAssembly.Memory` used here. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/**
 * The raw exports of the kernel module. Pointers are byte offsets into
 * `memory`, leading dimensions are in elements, booleans are 0 or 1; the
 * semantics are those of the {@link Backend} method of the same name.
 */
export interface WasmKernels {
  readonly memory: WasmMemory;
  /** First byte free for the host. */
  heapBase(): number;
  /** Bytes of scratch `gemm` needs at its `work` argument. */
  gemmWorkspaceBytes(): number;
  gemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number,
  ): void;
  addRowVector(rows: number, cols: number, v: number, out: number): void;
  sumRows(rows: number, cols: number, a: number, out: number): void;
  lstmForward(rows: number, H: number, gates: number, cPrev: number, c: number, m: number): void;
  lstmBackward(rows: number, H: number, gates: number, cPrev: number, c: number, dm: number, dc: number, dGates: number): void;
  gruForward(rows: number, H: number, xw: number, hw: number, hPrev: number, h: number): void;
  gruBackward(rows: number, H: number, xw: number, hw: number, hPrev: number, dh: number, dxw: number, dhw: number, dhPrev: number): void;
  rnnForward(rows: number, H: number, relu: number, pre: number, h: number): void;
  rnnBackward(rows: number, H: number, relu: number, h: number, dh: number, dpre: number): void;
  /** `y = σ(x)` on `n` floats (the SIMD approximation used by the gate kernels). */
  sigmoidArray(n: number, x: number, y: number): void;
  /** `y = tanh(x)` on `n` floats (the SIMD approximation used by the gate kernels). */
  tanhArray(n: number, x: number, y: number): void;
  adamStep(
    n: number, p: number, g: number, m: number, v: number, vmax: number, decoupled: number,
    beta1: number, beta2: number, stepSize: number, bias2Sqrt: number, eps: number, wd: number, decay: number,
  ): void;
  sgdStep(n: number, p: number, g: number, buf: number, lr: number, mu: number, dampening: number, nesterov: number, wd: number, first: number): void;
  sumSquares(n: number, a: number): number;
  scale(n: number, alpha: number, a: number): void;
  softmaxCrossEntropy(rows: number, V: number, z: number, t: number, w: number, probs: number): number;
  softmaxCrossEntropyBackward(rows: number, V: number, s: number, t: number, w: number, probs: number): void;
  /** Zeroes `bytes` bytes from `p`. */
  zero(p: number, bytes: number): void;
}

/** Compiled module bytes. */
export type WasmBytes = ArrayBuffer | ArrayBufferView;

export interface LoadWasmOptions {
  /** Build to load: `'auto'` (default) prefers relaxed SIMD and falls back to plain SIMD. */
  variant?: 'auto' | WasmVariant;
  /**
   * Module bytes to use instead of reading `dist/src/wasm/*.wasm` (for
   * bundlers or hosts without file or fetch access).
   */
  bytes?: Partial<Record<WasmVariant, WasmBytes>>;
  /**
   * Threads for large matrix products and elementwise kernels, the calling
   * one included (Node's worker_threads; needs shared memory). Default: the
   * cores this process may run on (`os.availableParallelism()`); 1 = no
   * workers. Results do not depend on it.
   */
  threads?: number;
  /** Use a shared memory: `'auto'` (default) when the host supports it, or force it on or off. */
  sharedMemory?: 'auto' | boolean;
  /** Memory reserved up front, in 64 KiB pages (default 16384 = 1 GiB; at most 65536). */
  initialPages?: number;
}

/** Counters of the data the backend moved (floats, not bytes). */
export interface WasmCopyStats {
  /** Kernel calls that ran in WebAssembly. */
  calls: number;
  /** Floats copied into linear memory. */
  floatsIn: number;
  /** Floats copied back out. */
  floatsOut: number;
  /** Calls handed to the JavaScript backend (float64 operands). */
  fallbacks: number;
  /** Kernel calls split across worker threads. */
  parallel: number;
}

/** What the allocator holds, in bytes. */
export interface WasmMemoryStats {
  /** Whether the memory is shared (threads possible, grows in place). */
  shared: boolean;
  /** Current size of the memory. */
  memoryBytes: number;
  /** Bytes ever handed out (the high-water mark of the heap). */
  heapBytes: number;
  /** Bytes in live blocks. */
  liveBytes: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes waiting in free lists. */
  freeBytes: number;
  /** Allocations that did not fit and became ordinary arrays. */
  fallbackAllocations: number;
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

/** The subset of the WebAssembly JS API used here (the project's `lib` does not declare it). */
interface WebAssemblyApi {
  validate(bytes: WasmBytes): boolean;
  compile(bytes: WasmBytes): Promise<unknown>;
  instantiate(module: unknown, imports: Record<string, Record<string, unknown>>): Promise<{ exports: unknown }>;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

interface FetchResponse {
  ok: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const FILES: Record<WasmVariant, string> = {
  'relaxed-simd': 'recurrent-relaxed.wasm',
  simd: 'recurrent-simd.wasm',
};

const PAGE = 65536;
/** The modules declare this maximum (4 GiB, all of wasm32). */
const MAX_PAGES = 65536;
const DEFAULT_PAGES = 16384;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Reads a build's bytes: from disk on Node, by fetch elsewhere; null if absent. */
async function readBytes(variant: WasmVariant): Promise<WasmBytes | null> {
  // Compiled layout: dist/src/backend/wasm.js and dist/src/wasm/*.wasm.
  const url = new URL(`../wasm/${FILES[variant]}`, import.meta.url);
  try {
    if (isNode()) {
      const { readFile } = await import('node:fs/promises');
      return await readFile(url);
    }
    // Browsers and workers: the same URL, resolved against this module's.
    const fetchFn = (globalThis as { fetch?: (u: URL) => Promise<FetchResponse> }).fetch;
    if (!fetchFn) return null;
    const res = await fetchFn(url);
    return res.ok ? await res.arrayBuffer() : null;
  } catch {
    return null;
  }
}

let relaxedFlagTried = false;

/**
 * Node 20 compiles relaxed-SIMD modules only behind a V8 flag, which must
 * be set before compiling (NODE_OPTIONS refuses it). Newer runtimes ship
 * the feature and ignore the flag; browsers need nothing.
 */
async function enableRelaxedSimdOnNode(): Promise<void> {
  if (relaxedFlagTried || !isNode()) return;
  relaxedFlagTried = true;
  try {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // no V8 flags here: validation below decides
  }
}

function readLeb(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++];
    if (byte === undefined) throw new Error('truncated');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, at];
  }
}

/**
 * The module bytes with the imported memory declared unshared (the builds
 * declare `(import "env" "memory" (memory 1 65536 shared))`; the flags byte
 * of the limits goes from 3 to 1, nothing else changes). Returns the bytes
 * unchanged if they are not such a module.
 */
export function unsharedMemoryBytes(bytes: WasmBytes): Uint8Array {
  const src = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b = src.slice();
  try {
    let at = 8;
    while (at < b.length) {
      const id = b[at] as number;
      const [size, body] = readLeb(b, at + 1);
      if (id === 2) {
        let [count, p] = readLeb(b, body);
        while (count-- > 0) {
          const [modLen, p1] = readLeb(b, p);
          const [fieldLen, p2] = readLeb(b, p1 + modLen);
          p = p2 + fieldLen;
          const kind = b[p++];
          if (kind === 2) {
            if (b[p] === 3) b[p] = 1;
            return b;
          }
          if (kind === 0) p = readLeb(b, p)[1];
          else if (kind === 1) {
            const flags = b[p + 1] as number;
            p = readLeb(b, p + 2)[1];
            if (flags & 1) p = readLeb(b, p)[1];
          } else if (kind === 3) p += 2;
          else return b;
        }
        return b;
      }
      at = body + size;
    }
  } catch {
    // not a module we know: leave it to validation
  }
  return b;
}

/** One kernel module compiled and instantiated on its memory. */
export interface LoadedKernels {
  variant: WasmVariant;
  kernels: WasmKernels;
  /** The compiled module (workers instantiate it again on the same memory). */
  module: unknown;
  memory: WasmMemory;
  shared: boolean;
}

/** A memory of `pages` pages (fewer, down to 1024, if the host refuses), shared or not; null if none. */
function createMemory(api: WebAssemblyApi, shared: boolean, pages: number): WasmMemory | null {
  for (let p = pages; p >= Math.min(pages, 1024); p = Math.floor(p / 4)) {
    try {
      return new api.Memory(shared ? { initial: p, maximum: MAX_PAGES, shared: true } : { initial: p, maximum: MAX_PAGES });
    } catch {
      // too large for this host, or no shared memory: try smaller
    }
    if (p <= 1024) break;
  }
  return null;
}

/**
 * Compiles and instantiates a fresh kernel module on a fresh memory:
 * relaxed SIMD when it validates (unless `variant` says otherwise), else
 * plain SIMD, else null. The memory is shared when possible (see
 * {@link LoadWasmOptions.sharedMemory}).
 */
export async function instantiateWasmKernels(options: LoadWasmOptions = {}): Promise<LoadedKernels | null> {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  const want = options.variant ?? 'auto';
  const order: WasmVariant[] = want === 'auto' ? ['relaxed-simd', 'simd'] : [want];
  if (order.includes('relaxed-simd')) await enableRelaxedSimdOnNode();
  const pages = Math.max(1, Math.min(MAX_PAGES, Math.floor(options.initialPages ?? DEFAULT_PAGES)));
  const sharing = options.sharedMemory ?? 'auto';
  for (const variant of order) {
    const bytes = options.bytes?.[variant] ?? (await readBytes(variant));
    if (!bytes) continue;
    for (const shared of sharing === 'auto' ? [true, false] : [sharing]) {
      const code = shared ? bytes : unsharedMemoryBytes(bytes);
      if (!api.validate(code)) continue;
      const memory = createMemory(api, shared, pages);
      if (!memory) continue;
      try {
        const module = await api.compile(code);
        const instance = await api.instantiate(module, { env: { memory } });
        return { variant, kernels: instance.exports as WasmKernels, module, memory, shared };
      } catch {
        // validated but failed to instantiate: try the next configuration
      }
    }
  }
  return null;
}

/** Threads this process may run on (Node), else 1. */
async function defaultThreads(): Promise<number> {
  if (!isNode()) return 1;
  try {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } catch {
    return 1;
  }
}

/**
 * Loads the WebAssembly backend: relaxed SIMD if the runtime validates it,
 * else plain SIMD, else `null` (callers then use {@link jsBackend}).
 * `name` tells which build runs: `'wasm-relaxed-simd'` or `'wasm-simd'`.
 */
export async function loadWasmBackend(options: LoadWasmOptions = {}): Promise<WasmBackend | null> {
  const loaded = await instantiateWasmKernels(options);
  if (!loaded) return null;
  const requested = options.threads ?? (await defaultThreads());
  if (!(Number.isInteger(requested) && requested >= 1)) throw new Error(`loadWasmBackend: threads must be an integer ≥ 1, got ${String(requested)}`);
  const threads = loaded.shared && isNode() ? Math.min(requested, 23) : 1;
  return new WasmSimdBackend(loaded, threads);
}

/** Up to this many floats an element loop beats `set` of a fresh subarray (~120 ns on Node 20). */
const SMALL_COPY = 24;

/** Elements from the first to the last of a `rows×cols` block with row stride `ld`. */
function span(rows: number, cols: number, ld: number): number {
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
}

function isF32(a: FloatArray): a is Float32Array {
  return a instanceof Float32Array;
}

/** Bytes of the size class holding `bytes`: 64-byte steps to 1 KiB, then four classes per power of two. */
function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step = 2 ** (Math.ceil(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

/**
 * The allocator over the memory above the module's static data: free
 * lists by size class, a bump pointer, growth of a shared memory.
 */
class Heap {
  /** Every buffer object the memory has had (a shared memory gets a new one per grow; all stay valid). */
  private readonly buffers = new Set<ArrayBufferLike>();
  buf: ArrayBufferLike;
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Live blocks: address → allocation id (guards the finalizer against reuse). */
  private readonly live = new Map<number, number>();
  private readonly classOf = new Map<number, number>();
  private nextId = 1;
  private readonly registry: FinalizationRegistry<{ at: number; id: number }>;
  liveBytes = 0;
  freeBytes = 0;
  fallbacks = 0;

  constructor(private readonly memory: WasmMemory, base: number, readonly shared: boolean, private readonly zero: (p: number, bytes: number) => void) {
    this.buf = memory.buffer;
    this.buffers.add(this.buf);
    this.top = Math.ceil(base / 64) * 64;
    this.registry = new FinalizationRegistry(({ at, id }) => {
      if (this.live.get(at) === id) this.freeBlock(at);
    });
  }

  get heapBytes(): number {
    return this.top;
  }

  get liveBlocks(): number {
    return this.live.size;
  }

  /** Whether `a` is a view of this memory. */
  owns(a: FloatArray | Int32Array): boolean {
    return a.buffer === this.buf || this.buffers.has(a.buffer);
  }

  /** A block of at least `bytes` bytes (64-aligned, contents undefined), or −1 when the memory is full. */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    let at: number;
    if (list && list.length > 0) {
      at = list.pop() as number;
      this.freeBytes -= cls;
    } else {
      at = this.top;
      if (at + cls > this.buf.byteLength && !this.grow(at + cls)) return -1;
      this.top = at + cls;
    }
    this.live.set(at, this.nextId++);
    this.classOf.set(at, cls);
    this.liveBytes += cls;
    return at;
  }

  /** Returns a block to its free list. */
  freeBlock(at: number): void {
    const cls = this.classOf.get(at);
    if (cls === undefined || !this.live.has(at)) return;
    this.live.delete(at);
    this.liveBytes -= cls;
    this.freeBytes += cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(at);
  }

  /** A zeroed float32 array of `n` elements in the memory, tracked for release; null if full. */
  allocF32(n: number): Float32Array | null {
    const fresh = this.top;
    const at = this.alloc(n * 4);
    if (at < 0) return null;
    if (at < fresh && n > 0) this.zero(at, n * 4); // recycled: clear; fresh pages are zero
    const a = new Float32Array(this.buf, at, n);
    this.registry.register(a, { at, id: this.live.get(at) as number }, a);
    return a;
  }

  /** Releases an array returned by {@link allocF32}; anything else is ignored. */
  release(a: FloatArray): void {
    if (!this.owns(a)) return;
    // unregister succeeds only for the very array allocF32 returned (not a view of it)
    if (this.registry.unregister(a)) this.freeBlock(a.byteOffset);
  }

  private grow(end: number): boolean {
    if (!this.shared) return false;
    const have = this.buf.byteLength / PAGE;
    const need = Math.ceil(end / PAGE) - have;
    const pages = Math.min(MAX_PAGES - have, Math.max(need, Math.ceil(have / 8)));
    if (pages < need) return false;
    try {
      this.memory.grow(pages);
    } catch {
      return false;
    }
    this.buf = this.memory.buffer;
    this.buffers.add(this.buf);
    return true;
  }
}

const IN = 1;
const OUT = 2;
const INOUT = 3;

class WasmSimdBackend implements WasmBackend {
  readonly name: 'wasm-relaxed-simd' | 'wasm-simd';
  readonly variant: WasmVariant;
  readonly kernels: WasmKernels;
  readonly stats: WasmCopyStats = { calls: 0, floatsIn: 0, floatsOut: 0, fallbacks: 0, parallel: 0 };
  private readonly heap: Heap;
  /** Byte address of gemm's packing scratch (this thread's). */
  private readonly work: number;
  /** The whole memory as floats (re-created after a grow). */
  private f32: Float32Array;
  /** Scratch block for operands that live outside the memory. */
  private scratch = -1;
  private scratchBytes = 0;
  /** Targets and weights of the loss kernel. */
  private side: Float32Array | null = null;
  private pool: ThreadPool | null = null;
  private readonly requestedThreads: number;
  private readonly loaded: LoadedKernels;

  // The operands of the current call: array, element offset, length, mode, resolved address.
  private nOps = 0;
  private readonly opArr: (Float32Array | null)[] = new Array(8).fill(null);
  private readonly opOff = new Float64Array(8);
  private readonly opLen = new Float64Array(8);
  private readonly opMode = new Int32Array(8);
  private readonly opPtr = new Float64Array(8);

  constructor(loaded: LoadedKernels, threads: number) {
    this.loaded = loaded;
    this.variant = loaded.variant;
    this.kernels = loaded.kernels;
    this.name = loaded.variant === 'relaxed-simd' ? 'wasm-relaxed-simd' : 'wasm-simd';
    const k = loaded.kernels;
    this.heap = new Heap(loaded.memory, k.heapBase(), loaded.shared, (p, b) => k.zero(p, b));
    this.work = this.mustAlloc(k.gemmWorkspaceBytes());
    this.f32 = new Float32Array(this.heap.buf);
    this.requestedThreads = threads;
  }

  get threads(): number {
    return this.pool?.ready ? this.pool.threads : 1;
  }

  private mustAlloc(bytes: number): number {
    const at = this.heap.alloc(bytes);
    if (at < 0) throw new RangeError(`wasm backend: out of WebAssembly memory (needed ${bytes} more bytes)`);
    return at;
  }

  private getPool(): ThreadPool | null {
    if (this.pool || this.requestedThreads < 2) return this.pool;
    const T = this.requestedThreads;
    const ctl = this.mustAlloc(CONTROL_BYTES);
    this.kernels.zero(ctl, CONTROL_BYTES);
    const works: number[] = [];
    for (let i = 1; i < T; i++) works.push(this.mustAlloc(this.kernels.gemmWorkspaceBytes()));
    this.pool = new ThreadPool(T, this.loaded.module, this.loaded.memory, ctl, works, this.kernels as never, this.work);
    return this.pool;
  }

  /** Whether an elementwise kernel over `elements` elements may be split across threads. */
  private splitting(elements: number): boolean {
    return this.requestedThreads > 1 && elements >= PARALLEL_MIN_ELEMENTS;
  }

  /** Runs a kernel split across the threads (see {@link ThreadPool.tryCall}); false if it did not. */
  private parallel(name: SplitKernel, args: number[], split: number, strides: number[], align: number, elements: number): boolean {
    const pool = this.getPool();
    if (!pool || !pool.tryCall(name, args, split, strides, align, elements)) return false;
    this.stats.parallel++;
    return true;
  }

  async startThreads(): Promise<number> {
    const pool = this.getPool();
    return pool ? pool.start() : 1;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    if (pool) await pool.close();
  }

  owns(a: FloatArray): boolean {
    return this.heap.owns(a);
  }

  memoryStats(): WasmMemoryStats {
    const h = this.heap;
    return {
      shared: h.shared, memoryBytes: h.buf.byteLength, heapBytes: h.heapBytes, liveBytes: h.liveBytes,
      liveBlocks: h.liveBlocks, freeBytes: h.freeBytes, fallbackAllocations: h.fallbacks,
    };
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
    this.heap.fallbacks++;
    return new Float32Array(n);
  }

  release(a: FloatArray): void {
    this.heap.release(a);
  }

  // ---------------------------------------------------------------------------
  // operand binding

  private begin(): void {
    this.nOps = 0;
  }

  /** Declares an operand of the current call; returns its index for {@link ptr}. */
  private arg(a: Float32Array, off: number, len: number, mode: number): number {
    const i = this.nOps++;
    this.opArr[i] = a;
    this.opOff[i] = off;
    this.opLen[i] = len;
    this.opMode[i] = mode;
    return i;
  }

  /**
   * Resolves the operands' addresses: in place for arrays in the memory,
   * else in the scratch block (inputs copied in).
   */
  private bind(): void {
    const heap = this.heap;
    let need = 0;
    for (let i = 0; i < this.nOps; i++) {
      const a = this.opArr[i] as Float32Array;
      if (heap.owns(a)) this.opPtr[i] = a.byteOffset + this.opOff[i]! * 4;
      else {
        this.opPtr[i] = -1;
        need += Math.ceil(this.opLen[i]! / 16) * 64;
      }
    }
    if (need > 0) {
      if (need > this.scratchBytes) {
        if (this.scratch >= 0) heap.freeBlock(this.scratch);
        this.scratchBytes = 0;
        this.scratch = this.mustAlloc(Math.max(need, 1 << 16));
        this.scratchBytes = Math.max(need, 1 << 16);
      }
      let p = this.scratch;
      for (let i = 0; i < this.nOps; i++) {
        if (this.opPtr[i]! >= 0) continue;
        this.opPtr[i] = p;
        p += Math.ceil(this.opLen[i]! / 16) * 64;
      }
    }
    if (this.f32.buffer !== heap.buf) this.f32 = new Float32Array(heap.buf);
    if (need > 0) {
      for (let i = 0; i < this.nOps; i++) {
        const a = this.opArr[i] as Float32Array;
        if (this.opMode[i]! & IN && !heap.owns(a)) this.put(a, this.opOff[i]!, this.opLen[i]!, this.opPtr[i]!);
      }
    }
    this.stats.calls++;
  }

  private ptr(i: number): number {
    return this.opPtr[i] as number;
  }

  /** Copies outputs that live outside the memory back, and drops the references. */
  private finish(): void {
    const heap = this.heap;
    for (let i = 0; i < this.nOps; i++) {
      const a = this.opArr[i] as Float32Array;
      if (this.opMode[i]! & OUT && !heap.owns(a)) this.take(this.opPtr[i]!, this.opLen[i]!, a, this.opOff[i]!);
      this.opArr[i] = null;
    }
    this.nOps = 0;
  }

  /** Copies `len` floats of `src` from `off` to byte address `ptr`. */
  private put(src: Float32Array, off: number, len: number, ptr: number): void {
    const heap = this.f32;
    const dst = ptr >>> 2;
    if (len <= SMALL_COPY) {
      for (let i = 0; i < len; i++) heap[dst + i] = src[off + i] as number;
    } else if (off === 0 && len === src.length) {
      heap.set(src, dst);
    } else {
      heap.set(src.subarray(off, off + len), dst);
    }
    this.stats.floatsIn += len;
  }

  /** Copies `len` floats from byte address `ptr` to `dst` at `off`. */
  private take(ptr: number, len: number, dst: Float32Array, off: number): void {
    const heap = this.f32;
    const src = ptr >>> 2;
    if (len <= SMALL_COPY) {
      for (let i = 0; i < len; i++) dst[off + i] = heap[src + i] as number;
    } else {
      dst.set(heap.subarray(src, src + len), off);
    }
    this.stats.floatsOut += len;
  }

  // ---------------------------------------------------------------------------
  // kernels

  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: FloatArray, aOff: number, lda: number,
    b: FloatArray, bOff: number, ldb: number,
    beta: number, c: FloatArray, cOff: number, ldc: number,
  ): void {
    if (!isF32(a) || !isF32(b) || !isF32(c)) {
      this.stats.fallbacks++;
      jsBackend.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    if (m <= 0 || n <= 0) return;
    const product = k > 0 && alpha !== 0;
    // C is read when scaled, and when its row gaps must survive the copy back.
    const cMode = beta !== 0 || (m > 1 && ldc !== n) ? INOUT : OUT;
    this.begin();
    const ia = product ? this.arg(a, aOff, transA ? span(k, m, lda) : span(m, k, lda), IN) : -1;
    const ib = product ? this.arg(b, bOff, transB ? span(n, k, ldb) : span(k, n, ldb), IN) : -1;
    const ic = this.arg(c, cOff, span(m, n, ldc), cMode);
    this.bind();
    const pa = ia >= 0 ? this.ptr(ia) : 0;
    const pb = ib >= 0 ? this.ptr(ib) : 0;
    const pc = this.ptr(ic);
    const kk = product ? k : 0;
    const pool = this.requestedThreads > 1 ? this.getPool() : null;
    if (pool && pool.tryGemm(transA, transB, m, n, kk, alpha, pa, lda, pb, ldb, beta, pc, ldc)) this.stats.parallel++;
    else this.kernels.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, kk, alpha, pa, lda, pb, ldb, beta, pc, ldc, this.work);
    this.finish();
  }

  addRowVector(rows: number, cols: number, v: FloatArray, vOff: number, out: FloatArray, outOff: number): void {
    if (!isF32(v) || !isF32(out)) {
      this.stats.fallbacks++;
      jsBackend.addRowVector(rows, cols, v, vOff, out, outOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    this.begin();
    const iv = this.arg(v, vOff, cols, IN);
    const io = this.arg(out, outOff, rows * cols, INOUT);
    this.bind();
    const pv = this.ptr(iv);
    const po = this.ptr(io);
    if (!(this.splitting(rows * cols) && this.parallel('addRowVector', [rows, cols, pv, po], 0, [0, 0, 0, 4 * cols], 1, rows * cols))) {
      this.kernels.addRowVector(rows, cols, pv, po);
    }
    this.finish();
  }

  sumRows(rows: number, cols: number, a: FloatArray, aOff: number, out: FloatArray, outOff: number): void {
    if (!isF32(a) || !isF32(out)) {
      this.stats.fallbacks++;
      jsBackend.sumRows(rows, cols, a, aOff, out, outOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    this.begin();
    const ia = this.arg(a, aOff, rows * cols, IN);
    const io = this.arg(out, outOff, cols, INOUT);
    this.bind();
    this.kernels.sumRows(rows, cols, this.ptr(ia), this.ptr(io));
    this.finish();
  }

  lstmForward(
    rows: number, H: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, m: FloatArray, mOff: number,
  ): void {
    if (!isF32(gates) || !isF32(cPrev) || !isF32(c) || !isF32(m)) {
      this.stats.fallbacks++;
      jsBackend.lstmForward(rows, H, gates, gOff, cPrev, cPrevOff, c, cOff, m, mOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ig = this.arg(gates, gOff, 4 * n, INOUT);
    const icp = this.arg(cPrev, cPrevOff, n, IN);
    const ic = this.arg(c, cOff, n, OUT);
    const im = this.arg(m, mOff, n, OUT);
    this.bind();
    const pg = this.ptr(ig);
    const pcp = this.ptr(icp);
    const pc = this.ptr(ic);
    const pm = this.ptr(im);
    if (!(this.splitting(n) && this.parallel('lstmForward', [rows, H, pg, pcp, pc, pm], 0, [0, 0, 16 * H, 4 * H, 4 * H, 4 * H], 1, n))) {
      this.kernels.lstmForward(rows, H, pg, pcp, pc, pm);
    }
    this.finish();
  }

  lstmBackward(
    rows: number, H: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number,
    dm: FloatArray, dmOff: number, dc: FloatArray, dcOff: number, dGates: FloatArray, dgOff: number,
  ): void {
    if (!isF32(gates) || !isF32(cPrev) || !isF32(c) || !isF32(dm) || !isF32(dc) || !isF32(dGates)) {
      this.stats.fallbacks++;
      jsBackend.lstmBackward(rows, H, gates, gOff, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ig = this.arg(gates, gOff, 4 * n, IN);
    const icp = this.arg(cPrev, cPrevOff, n, IN);
    const ic = this.arg(c, cOff, n, IN);
    const idm = this.arg(dm, dmOff, n, IN);
    const idc = this.arg(dc, dcOff, n, INOUT);
    const idg = this.arg(dGates, dgOff, 4 * n, OUT);
    this.bind();
    const pg = this.ptr(ig);
    const pcp = this.ptr(icp);
    const pc = this.ptr(ic);
    const pdm = this.ptr(idm);
    const pdc = this.ptr(idc);
    const pdg = this.ptr(idg);
    if (!(this.splitting(n) && this.parallel('lstmBackward', [rows, H, pg, pcp, pc, pdm, pdc, pdg], 0, [0, 0, 16 * H, 4 * H, 4 * H, 4 * H, 4 * H, 16 * H], 1, n))) {
      this.kernels.lstmBackward(rows, H, pg, pcp, pc, pdm, pdc, pdg);
    }
    this.finish();
  }

  gruForward(
    rows: number, H: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, h: FloatArray, hOff: number,
  ): void {
    if (!isF32(xw) || !isF32(hw) || !isF32(hPrev) || !isF32(h)) {
      this.stats.fallbacks++;
      jsBackend.gruForward(rows, H, xw, xwOff, hw, hwOff, hPrev, hPrevOff, h, hOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ix = this.arg(xw, xwOff, 3 * n, INOUT);
    const iw = this.arg(hw, hwOff, 3 * n, IN);
    const ihp = this.arg(hPrev, hPrevOff, n, IN);
    const ih = this.arg(h, hOff, n, OUT);
    this.bind();
    const px = this.ptr(ix);
    const pw = this.ptr(iw);
    const php = this.ptr(ihp);
    const ph = this.ptr(ih);
    if (!(this.splitting(n) && this.parallel('gruForward', [rows, H, px, pw, php, ph], 0, [0, 0, 12 * H, 12 * H, 4 * H, 4 * H], 1, n))) {
      this.kernels.gruForward(rows, H, px, pw, php, ph);
    }
    this.finish();
  }

  gruBackward(
    rows: number, H: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, dh: FloatArray, dhOff: number,
    dxw: FloatArray, dxwOff: number, dhw: FloatArray, dhwOff: number, dhPrev: FloatArray, dhPrevOff: number,
  ): void {
    if (!isF32(xw) || !isF32(hw) || !isF32(hPrev) || !isF32(dh) || !isF32(dxw) || !isF32(dhw) || !isF32(dhPrev)) {
      this.stats.fallbacks++;
      jsBackend.gruBackward(rows, H, xw, xwOff, hw, hwOff, hPrev, hPrevOff, dh, dhOff, dxw, dxwOff, dhw, dhwOff, dhPrev, dhPrevOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ix = this.arg(xw, xwOff, 3 * n, IN);
    const iw = this.arg(hw, hwOff, 3 * n, IN);
    const ihp = this.arg(hPrev, hPrevOff, n, IN);
    const idh = this.arg(dh, dhOff, n, IN);
    const idx = this.arg(dxw, dxwOff, 3 * n, OUT);
    const idw = this.arg(dhw, dhwOff, 3 * n, OUT);
    const idhp = this.arg(dhPrev, dhPrevOff, n, OUT);
    this.bind();
    const px = this.ptr(ix);
    const pw = this.ptr(iw);
    const php = this.ptr(ihp);
    const pdh = this.ptr(idh);
    const pdx = this.ptr(idx);
    const pdw = this.ptr(idw);
    const pdhp = this.ptr(idhp);
    if (!(this.splitting(n) && this.parallel('gruBackward', [rows, H, px, pw, php, pdh, pdx, pdw, pdhp], 0, [0, 0, 12 * H, 12 * H, 4 * H, 4 * H, 12 * H, 12 * H, 4 * H], 1, n))) {
      this.kernels.gruBackward(rows, H, px, pw, php, pdh, pdx, pdw, pdhp);
    }
    this.finish();
  }

  rnnForward(rows: number, H: number, relu: boolean, pre: FloatArray, preOff: number, h: FloatArray, hOff: number): void {
    if (!isF32(pre) || !isF32(h)) {
      this.stats.fallbacks++;
      jsBackend.rnnForward(rows, H, relu, pre, preOff, h, hOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ip = this.arg(pre, preOff, n, IN);
    const ih = this.arg(h, hOff, n, OUT);
    this.bind();
    const act = relu ? 1 : 0;
    const pp = this.ptr(ip);
    const ph = this.ptr(ih);
    if (!(this.splitting(n) && this.parallel('rnnForward', [rows, H, act, pp, ph], 0, [0, 0, 0, 4 * H, 4 * H], 1, n))) {
      this.kernels.rnnForward(rows, H, act, pp, ph);
    }
    this.finish();
  }

  rnnBackward(
    rows: number, H: number, relu: boolean, h: FloatArray, hOff: number,
    dh: FloatArray, dhOff: number, dpre: FloatArray, dpreOff: number,
  ): void {
    if (!isF32(h) || !isF32(dh) || !isF32(dpre)) {
      this.stats.fallbacks++;
      jsBackend.rnnBackward(rows, H, relu, h, hOff, dh, dhOff, dpre, dpreOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    this.begin();
    const ih = this.arg(h, hOff, n, IN);
    const id = this.arg(dh, dhOff, n, IN);
    const ip = this.arg(dpre, dpreOff, n, OUT);
    this.bind();
    const act = relu ? 1 : 0;
    const ph = this.ptr(ih);
    const pd = this.ptr(id);
    const pp = this.ptr(ip);
    if (!(this.splitting(n) && this.parallel('rnnBackward', [rows, H, act, ph, pd, pp], 0, [0, 0, 0, 4 * H, 4 * H, 4 * H], 1, n))) {
      this.kernels.rnnBackward(rows, H, act, ph, pd, pp);
    }
    this.finish();
  }

  adamStep(n: number, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vMax: FloatArray | null, o: AdamStepOptions): void {
    if (!isF32(p) || !isF32(g) || !isF32(m) || !isF32(v) || (vMax && !isF32(vMax))) {
      this.stats.fallbacks++;
      jsBackend.adamStep(n, p, g, m, v, vMax, o);
      return;
    }
    if (n <= 0) return;
    // The derived constants exactly as the reference computes them.
    const { lr, beta1, beta2, eps, weightDecay: wd, decoupled, step: t } = o;
    const bias1 = 1 - beta1 ** t;
    const bias2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / bias1;
    const decay = 1 - lr * wd;
    this.begin();
    const ip = this.arg(p, 0, n, INOUT);
    const ig = this.arg(g, 0, n, IN);
    const im = this.arg(m, 0, n, INOUT);
    const iv = this.arg(v, 0, n, INOUT);
    const ix = vMax ? this.arg(vMax as Float32Array, 0, n, INOUT) : -1;
    this.bind();
    const args = [
      n, this.ptr(ip), this.ptr(ig), this.ptr(im), this.ptr(iv), ix >= 0 ? this.ptr(ix) : 0, decoupled ? 1 : 0,
      beta1, beta2, stepSize, bias2Sqrt, eps, wd, decay,
    ] as const;
    const strides = [0, 4, 4, 4, 4, ix >= 0 ? 4 : 0, 0, 0, 0, 0, 0, 0, 0, 0];
    if (!(this.splitting(n) && this.parallel('adamStep', [...args], 0, strides, 16, n))) this.kernels.adamStep(...args);
    this.finish();
  }

  sgdStep(n: number, p: FloatArray, g: FloatArray, buf: FloatArray | null, o: SgdStepOptions): void {
    if (!isF32(p) || !isF32(g) || (buf && !isF32(buf))) {
      this.stats.fallbacks++;
      jsBackend.sgdStep(n, p, g, buf, o);
      return;
    }
    if (n <= 0) return;
    const useBuf = o.momentum !== 0 && buf !== null;
    this.begin();
    const ip = this.arg(p, 0, n, INOUT);
    const ig = this.arg(g, 0, n, IN);
    const ib = useBuf ? this.arg(buf as Float32Array, 0, n, o.first ? OUT : INOUT) : -1;
    this.bind();
    const args = [
      n, this.ptr(ip), this.ptr(ig), ib >= 0 ? this.ptr(ib) : 0, o.lr, useBuf ? o.momentum : 0, o.dampening,
      o.nesterov ? 1 : 0, o.weightDecay, o.first ? 1 : 0,
    ] as const;
    const strides = [0, 4, 4, ib >= 0 ? 4 : 0, 0, 0, 0, 0, 0, 0];
    if (!(this.splitting(n) && this.parallel('sgdStep', [...args], 0, strides, 16, n))) this.kernels.sgdStep(...args);
    this.finish();
  }

  sumSquares(n: number, a: FloatArray, aOff: number): number {
    if (!isF32(a)) {
      this.stats.fallbacks++;
      return jsBackend.sumSquares(n, a, aOff);
    }
    if (n <= 0) return 0;
    this.begin();
    const ia = this.arg(a, aOff, n, IN);
    this.bind();
    const s = this.kernels.sumSquares(n, this.ptr(ia));
    this.finish();
    return s;
  }

  scale(n: number, alpha: number, a: FloatArray, aOff: number): void {
    if (!isF32(a)) {
      this.stats.fallbacks++;
      jsBackend.scale(n, alpha, a, aOff);
      return;
    }
    if (n <= 0) return;
    this.begin();
    const ia = this.arg(a, aOff, n, INOUT);
    this.bind();
    const pa = this.ptr(ia);
    if (!(this.splitting(n) && this.parallel('scale', [n, alpha, pa], 0, [0, 0, 4], 16, n))) this.kernels.scale(n, alpha, pa);
    this.finish();
  }

  /** Targets (i32) and weights (f32) of the loss kernels, side by side in the memory; returns the block's address. */
  private lossSide(rows: number, t: Int32Array, w: Float64Array): number {
    if (!this.side || this.side.length < 2 * rows) {
      if (this.side) this.heap.release(this.side);
      this.side = this.heap.allocF32(Math.max(2 * rows, 1024));
      if (!this.side) throw new RangeError('wasm backend: out of WebAssembly memory');
    }
    const side = this.side;
    new Int32Array(side.buffer, side.byteOffset, rows).set(t.subarray(0, rows));
    for (let i = 0; i < rows; i++) side[rows + i] = w[i] as number;
    return side.byteOffset;
  }

  softmaxCrossEntropy(rows: number, V: number, z: FloatArray, zOff: number, t: Int32Array, w: Float64Array, probs: FloatArray): number {
    if (!isF32(z) || !isF32(probs)) {
      this.stats.fallbacks++;
      return jsBackend.softmaxCrossEntropy(rows, V, z, zOff, t, w, probs);
    }
    if (rows <= 0) return 0;
    const ps = this.lossSide(rows, t, w);
    this.begin();
    const iz = this.arg(z, zOff, rows * V, IN);
    const ip = this.arg(probs, 0, rows * V, OUT);
    this.bind();
    const loss = this.kernels.softmaxCrossEntropy(rows, V, this.ptr(iz), ps, ps + 4 * rows, this.ptr(ip));
    this.finish();
    return loss;
  }

  softmaxCrossEntropyBackward(rows: number, V: number, s: number, t: Int32Array, w: Float64Array, probs: FloatArray): void {
    if (!isF32(probs)) {
      this.stats.fallbacks++;
      jsBackend.softmaxCrossEntropyBackward(rows, V, s, t, w, probs);
      return;
    }
    if (rows <= 0) return;
    const ps = this.lossSide(rows, t, w);
    this.begin();
    const ip = this.arg(probs, 0, rows * V, INOUT);
    this.bind();
    this.kernels.softmaxCrossEntropyBackward(rows, V, s, ps, ps + 4 * rows, this.ptr(ip));
    this.finish();
  }
}
