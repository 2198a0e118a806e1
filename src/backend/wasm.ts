/**
 * The WebAssembly SIMD backend: the kernels of {@link ./backend.ts} compiled
 * from AssemblyScript (assembly/) in two builds of the same source —
 * `recurrent-relaxed.wasm` (relaxed-SIMD fused multiply-add) and
 * `recurrent-simd.wasm` (plain 128-bit SIMD) — and driven from here.
 *
 * Float32 only: a call with any Float64Array operand runs on the reference
 * {@link jsBackend} (gradient checks work in float64 there).
 *
 * Data movement, this first version: operands live in JavaScript memory, so
 * every call copies its inputs into the module's linear memory, runs the
 * kernel and copies its outputs back. The copies go through one reused
 * arena: a bump pointer reset per call, memory grown only when a call needs
 * more than ever before, and one Float32Array view over `memory.buffer`
 * re-created only after a grow. Strided operands are copied as the whole
 * span from their first to their last element, so the kernels see the
 * caller's leading dimensions unchanged. {@link WasmBackend.stats} counts
 * the floats moved.
 *
 * Do not pass views of `kernels.memory` to the Backend methods: the arena
 * may overwrite them, and growing the memory detaches them.
 *
 * Usage:
 *   const wasm = await loadWasmBackend();          // null if WebAssembly SIMD is unavailable
 *   const lstm = new LSTM({ inputSize: 64, hiddenSize: 256, backend: wasm ?? jsBackend });
 *   wasm?.name;                                     // 'wasm-relaxed-simd' or 'wasm-simd'
 */
import type { FloatArray } from '../tensor.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

/** The two builds of the kernels. */
export type WasmVariant = 'relaxed-simd' | 'simd';

/** The part of a `WebAssembly.Memory` used here. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
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
}

/** The backend returned by {@link loadWasmBackend}. */
export interface WasmBackend extends Backend {
  readonly name: 'wasm-relaxed-simd' | 'wasm-simd';
  /** Which build loaded. */
  readonly variant: WasmVariant;
  /** The raw kernels (for benchmarks and data kept resident in `kernels.memory`). */
  readonly kernels: WasmKernels;
  /** Copy counters since creation or {@link resetStats}. */
  readonly stats: WasmCopyStats;
  resetStats(): void;
}

/** The subset of the WebAssembly JS API used here (the project's `lib` does not declare it). */
interface WebAssemblyApi {
  validate(bytes: WasmBytes): boolean;
  instantiate(bytes: WasmBytes, imports: Record<string, Record<string, unknown>>): Promise<{ instance: { exports: unknown } }>;
}

interface FetchResponse {
  ok: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const FILES: Record<WasmVariant, string> = {
  'relaxed-simd': 'recurrent-relaxed.wasm',
  simd: 'recurrent-simd.wasm',
};

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

/**
 * Compiles and instantiates a fresh kernel module: relaxed SIMD when it
 * validates (unless `variant` says otherwise), else plain SIMD, else null.
 */
export async function instantiateWasmKernels(options: LoadWasmOptions = {}): Promise<{ variant: WasmVariant; kernels: WasmKernels } | null> {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  const want = options.variant ?? 'auto';
  const order: WasmVariant[] = want === 'auto' ? ['relaxed-simd', 'simd'] : [want];
  if (order.includes('relaxed-simd')) await enableRelaxedSimdOnNode();
  for (const variant of order) {
    const bytes = options.bytes?.[variant] ?? (await readBytes(variant));
    if (!bytes || !api.validate(bytes)) continue;
    try {
      const { instance } = await api.instantiate(bytes, {});
      return { variant, kernels: instance.exports as WasmKernels };
    } catch {
      // validated but failed to instantiate: try the next build
    }
  }
  return null;
}

/**
 * Loads the WebAssembly backend: relaxed SIMD if the runtime validates it,
 * else plain SIMD, else `null` (callers then use {@link jsBackend}).
 * `name` tells which build runs: `'wasm-relaxed-simd'` or `'wasm-simd'`.
 */
export async function loadWasmBackend(options: LoadWasmOptions = {}): Promise<WasmBackend | null> {
  const loaded = await instantiateWasmKernels(options);
  return loaded ? new WasmSimdBackend(loaded.variant, loaded.kernels) : null;
}

const PAGE = 65536;
/** Up to this many floats an element loop beats `set` of a fresh subarray (~120 ns on Node 20). */
const SMALL_COPY = 24;

/** Elements from the first to the last of a `rows×cols` block with row stride `ld`. */
function span(rows: number, cols: number, ld: number): number {
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
}

function isF32(a: FloatArray): a is Float32Array {
  return a instanceof Float32Array;
}

/**
 * A bump allocator over linear memory above a fixed base: `reset`, a few
 * `alloc`s, then `commit` grows the memory if needed and returns the (only)
 * Float32Array view, re-created only when the buffer changed.
 */
class Arena {
  private heap: Float32Array;
  private top: number;

  constructor(private readonly memory: WasmMemory, private readonly base: number) {
    this.top = base;
    this.heap = new Float32Array(memory.buffer);
  }

  reset(): void {
    this.top = this.base;
  }

  /** Reserves `floats` floats, 64-byte aligned; returns the byte address. */
  alloc(floats: number): number {
    const p = this.top;
    this.top = p + Math.ceil(floats / 16) * 64;
    return p;
  }

  commit(): Float32Array {
    let buf = this.memory.buffer;
    if (this.top > buf.byteLength) {
      const pages = Math.ceil((this.top - buf.byteLength) / PAGE);
      // at least 1/8 more than now, so a slowly growing workload grows rarely
      this.memory.grow(Math.max(pages, Math.ceil(buf.byteLength / PAGE / 8)));
      buf = this.memory.buffer;
    }
    if (this.heap.buffer !== buf) this.heap = new Float32Array(buf);
    return this.heap;
  }
}

class WasmSimdBackend implements WasmBackend {
  readonly name: 'wasm-relaxed-simd' | 'wasm-simd';
  readonly stats: WasmCopyStats = { calls: 0, floatsIn: 0, floatsOut: 0, fallbacks: 0 };
  private readonly arena: Arena;
  /** Byte address of gemm's packing scratch. */
  private readonly work: number;
  private heap: Float32Array;

  constructor(readonly variant: WasmVariant, readonly kernels: WasmKernels) {
    this.name = variant === 'relaxed-simd' ? 'wasm-relaxed-simd' : 'wasm-simd';
    this.work = Math.ceil(kernels.heapBase() / 64) * 64;
    const base = this.work + Math.ceil(kernels.gemmWorkspaceBytes() / 64) * 64;
    this.arena = new Arena(kernels.memory, base);
    this.arena.reset();
    this.heap = this.arena.commit();
  }

  resetStats(): void {
    this.stats.calls = 0;
    this.stats.floatsIn = 0;
    this.stats.floatsOut = 0;
    this.stats.fallbacks = 0;
  }

  /** Copies `len` floats of `src` from `off` to byte address `ptr`. */
  private put(src: Float32Array, off: number, len: number, ptr: number): void {
    const heap = this.heap;
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
    const heap = this.heap;
    const src = ptr >>> 2;
    if (len <= SMALL_COPY) {
      for (let i = 0; i < len; i++) dst[off + i] = heap[src + i] as number;
    } else {
      dst.set(heap.subarray(src, src + len), off);
    }
    this.stats.floatsOut += len;
  }

  /** Grows memory for this call's allocations and refreshes the view. */
  private commit(): void {
    this.heap = this.arena.commit();
    this.stats.calls++;
  }

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
    const aLen = product ? (transA ? span(k, m, lda) : span(m, k, lda)) : 0;
    const bLen = product ? (transB ? span(n, k, ldb) : span(k, n, ldb)) : 0;
    const cLen = span(m, n, ldc);
    // C is read when scaled, and when its row gaps must survive the copy back.
    const cIn = beta !== 0 || (m > 1 && ldc !== n);
    const ar = this.arena;
    ar.reset();
    const pa = ar.alloc(aLen);
    const pb = ar.alloc(bLen);
    const pc = ar.alloc(cLen);
    this.commit();
    if (product) {
      this.put(a, aOff, aLen, pa);
      this.put(b, bOff, bLen, pb);
    }
    if (cIn) this.put(c, cOff, cLen, pc);
    this.kernels.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, product ? k : 0, alpha, pa, lda, pb, ldb, beta, pc, ldc, this.work);
    this.take(pc, cLen, c, cOff);
  }

  addRowVector(rows: number, cols: number, v: FloatArray, vOff: number, out: FloatArray, outOff: number): void {
    if (!isF32(v) || !isF32(out)) {
      this.stats.fallbacks++;
      jsBackend.addRowVector(rows, cols, v, vOff, out, outOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    const ar = this.arena;
    ar.reset();
    const pv = ar.alloc(cols);
    const po = ar.alloc(rows * cols);
    this.commit();
    this.put(v, vOff, cols, pv);
    this.put(out, outOff, rows * cols, po);
    this.kernels.addRowVector(rows, cols, pv, po);
    this.take(po, rows * cols, out, outOff);
  }

  sumRows(rows: number, cols: number, a: FloatArray, aOff: number, out: FloatArray, outOff: number): void {
    if (!isF32(a) || !isF32(out)) {
      this.stats.fallbacks++;
      jsBackend.sumRows(rows, cols, a, aOff, out, outOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    const ar = this.arena;
    ar.reset();
    const pa = ar.alloc(rows * cols);
    const po = ar.alloc(cols);
    this.commit();
    this.put(a, aOff, rows * cols, pa);
    this.put(out, outOff, cols, po);
    this.kernels.sumRows(rows, cols, pa, po);
    this.take(po, cols, out, outOff);
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
    const ar = this.arena;
    ar.reset();
    const pg = ar.alloc(4 * n);
    const pcp = ar.alloc(n);
    const pc = ar.alloc(n);
    const pm = ar.alloc(n);
    this.commit();
    this.put(gates, gOff, 4 * n, pg);
    this.put(cPrev, cPrevOff, n, pcp);
    this.kernels.lstmForward(rows, H, pg, pcp, pc, pm);
    this.take(pg, 4 * n, gates, gOff);
    this.take(pc, n, c, cOff);
    this.take(pm, n, m, mOff);
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
    const ar = this.arena;
    ar.reset();
    const pg = ar.alloc(4 * n);
    const pcp = ar.alloc(n);
    const pc = ar.alloc(n);
    const pdm = ar.alloc(n);
    const pdc = ar.alloc(n);
    const pdg = ar.alloc(4 * n);
    this.commit();
    this.put(gates, gOff, 4 * n, pg);
    this.put(cPrev, cPrevOff, n, pcp);
    this.put(c, cOff, n, pc);
    this.put(dm, dmOff, n, pdm);
    this.put(dc, dcOff, n, pdc);
    this.kernels.lstmBackward(rows, H, pg, pcp, pc, pdm, pdc, pdg);
    this.take(pdg, 4 * n, dGates, dgOff);
    this.take(pdc, n, dc, dcOff);
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
    const ar = this.arena;
    ar.reset();
    const px = ar.alloc(3 * n);
    const pw = ar.alloc(3 * n);
    const php = ar.alloc(n);
    const ph = ar.alloc(n);
    this.commit();
    this.put(xw, xwOff, 3 * n, px);
    this.put(hw, hwOff, 3 * n, pw);
    this.put(hPrev, hPrevOff, n, php);
    this.kernels.gruForward(rows, H, px, pw, php, ph);
    this.take(px, 3 * n, xw, xwOff);
    this.take(ph, n, h, hOff);
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
    const ar = this.arena;
    ar.reset();
    const px = ar.alloc(3 * n);
    const pw = ar.alloc(3 * n);
    const php = ar.alloc(n);
    const pdh = ar.alloc(n);
    const pdx = ar.alloc(3 * n);
    const pdw = ar.alloc(3 * n);
    const pdhp = ar.alloc(n);
    this.commit();
    this.put(xw, xwOff, 3 * n, px);
    this.put(hw, hwOff, 3 * n, pw);
    this.put(hPrev, hPrevOff, n, php);
    this.put(dh, dhOff, n, pdh);
    this.kernels.gruBackward(rows, H, px, pw, php, pdh, pdx, pdw, pdhp);
    this.take(pdx, 3 * n, dxw, dxwOff);
    this.take(pdw, 3 * n, dhw, dhwOff);
    this.take(pdhp, n, dhPrev, dhPrevOff);
  }

  rnnForward(rows: number, H: number, relu: boolean, pre: FloatArray, preOff: number, h: FloatArray, hOff: number): void {
    if (!isF32(pre) || !isF32(h)) {
      this.stats.fallbacks++;
      jsBackend.rnnForward(rows, H, relu, pre, preOff, h, hOff);
      return;
    }
    if (rows <= 0 || H <= 0) return;
    const n = rows * H;
    const ar = this.arena;
    ar.reset();
    const pp = ar.alloc(n);
    const ph = ar.alloc(n);
    this.commit();
    this.put(pre, preOff, n, pp);
    this.kernels.rnnForward(rows, H, relu ? 1 : 0, pp, ph);
    this.take(ph, n, h, hOff);
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
    const ar = this.arena;
    ar.reset();
    const ph = ar.alloc(n);
    const pd = ar.alloc(n);
    const pp = ar.alloc(n);
    this.commit();
    this.put(h, hOff, n, ph);
    this.put(dh, dhOff, n, pd);
    this.kernels.rnnBackward(rows, H, relu ? 1 : 0, ph, pd, pp);
    this.take(pp, n, dpre, dpreOff);
  }
}
