/**
 * Loading the WebAssembly kernels: the two builds of assembly/ —
 * `recurrent-relaxed.wasm` (relaxed-SIMD fused multiply-add) and
 * `recurrent-simd.wasm` (plain 128-bit SIMD) — read from disk on Node or
 * fetched in a browser (the host's, ../host/host.ts; or passed in as bytes),
 * compiled, and instantiated on one fresh memory: relaxed SIMD where it
 * validates, else plain SIMD.
 *
 * Each build is named by one literal `new URL('../wasm/….wasm',
 * import.meta.url)`, the form bundlers (Vite, webpack, Parcel) recognise
 * and emit as an asset; unbundled, it resolves to dist/src/wasm/ beside
 * this module's dist/src/backend/.
 *
 * The memory is reserved large up front (1 GiB by default: address space
 * only, pages cost nothing until touched) and is shared where the host
 * allows, so worker threads can run the same module on it and it can grow
 * in place; elsewhere the module is patched to import an unshared memory
 * ({@link unsharedMemoryBytes}).
 */
import { host } from '#host';

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
 * semantics are those of the Backend method of the same name (./backend.ts).
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
  lstmForward(rows: number, H: number, clip: number, gates: number, cPrev: number, c: number, m: number): void;
  lstmBackward(rows: number, H: number, clip: number, gates: number, cPrev: number, c: number, dm: number, dc: number, dGates: number): void;
  gruForward(rows: number, H: number, clip: number, xw: number, hw: number, hPrev: number, h: number): void;
  gruBackward(rows: number, H: number, clip: number, xw: number, hw: number, hPrev: number, dh: number, dxw: number, dhw: number, dhPrev: number): void;
  lstmPeepholeForward(rows: number, H: number, clip: number, gates: number, peep: number, cPrev: number, c: number, m: number): void;
  lstmPeepholeBackward(rows: number, H: number, clip: number, gates: number, peep: number, cPrev: number, c: number, dm: number, dc: number, dGates: number): void;
  lstmPeepholeGrad(rows: number, H: number, dGates: number, cPrev: number, c: number, dPeep: number): void;
  gruResetForward(rows: number, H: number, clip: number, gates: number, hPrev: number, rh: number): void;
  gruCandidateForward(rows: number, H: number, clip: number, gates: number, hPrev: number, h: number): void;
  gruCandidateBackward(rows: number, H: number, clip: number, gates: number, hPrev: number, dh: number, dGates: number, dhPrev: number): void;
  gruResetBackward(rows: number, H: number, clip: number, gates: number, hPrev: number, drh: number, dGates: number, dhPrev: number): void;
  rnnForward(rows: number, H: number, slope: number, clip: number, pre: number, h: number): void;
  rnnBackward(rows: number, H: number, slope: number, clip: number, h: number, dh: number, dpre: number): void;
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
  /**
   * Build to load: `'auto'` (default) prefers relaxed SIMD and falls back to
   * plain SIMD. Asking for `'relaxed-simd'` by name allows {@link setV8Flags}.
   */
  variant?: 'auto' | WasmVariant;
  /**
   * Whether the loader may turn on V8's `--experimental-wasm-relaxed-simd`
   * where the runtime needs it for relaxed SIMD (Node 20; newer runtimes
   * need nothing, and in a browser this option does nothing). The flag is
   * process-wide, so a library leaves it alone unless asked (default false:
   * plain SIMD on Node 20); the `recurrent` command line sets it.
   */
  setV8Flags?: boolean;
  /**
   * Module bytes to use instead of reading or fetching `dist/src/wasm/*.wasm`
   * (for bundlers that do not emit them, or hosts without file or fetch access).
   */
  bytes?: Partial<Record<WasmVariant, WasmBytes>>;
  /**
   * Threads for large matrix products and elementwise kernels, the calling
   * one included (Node's worker_threads, or Web Workers in a cross-origin
   * isolated page; needs shared memory, else one thread). Default 1: no
   * workers unless asked; the `recurrent` command line uses every core this
   * process may run on (see `availableThreads`). Results do not depend on it.
   */
  threads?: number;
  /** Use a shared memory: `'auto'` (default) when the host supports it (in a browser: a cross-origin isolated page), or force it on or off. */
  sharedMemory?: 'auto' | boolean;
  /** Memory reserved up front, in 64 KiB pages (default 16384 = 1 GiB; at most 65536). */
  initialPages?: number;
}

/** The subset of the WebAssembly JS API used here (the project's `lib` does not declare it). */
interface WebAssemblyApi {
  validate(bytes: WasmBytes): boolean;
  compile(bytes: WasmBytes): Promise<unknown>;
  instantiate(module: unknown, imports: Record<string, Record<string, unknown>>): Promise<{ exports: unknown }>;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** Bytes of a WebAssembly page. */
export const PAGE = 65536;
/** The modules declare this maximum (4 GiB, all of wasm32). */
export const MAX_PAGES = 65536;
const DEFAULT_PAGES = 16384;

/** Where each build is: one literal URL per file, for bundlers to find (see the module comment). */
function buildUrl(variant: WasmVariant): URL {
  return variant === 'relaxed-simd'
    ? new URL('../wasm/recurrent-relaxed.wasm', import.meta.url)
    : new URL('../wasm/recurrent-simd.wasm', import.meta.url);
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
  if (want === 'relaxed-simd' || (want === 'auto' && options.setV8Flags === true)) await host.enableRelaxedSimd();
  const pages = Math.max(1, Math.min(MAX_PAGES, Math.floor(options.initialPages ?? DEFAULT_PAGES)));
  const sharing = options.sharedMemory ?? 'auto';
  for (const variant of order) {
    const bytes = options.bytes?.[variant] ?? (await host.readPackageFile(buildUrl(variant)));
    if (!bytes) continue;
    for (const shared of sharing === 'auto' ? (host.sharedMemory() ? [true, false] : [false]) : [sharing]) {
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
