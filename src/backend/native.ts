/**
 * The native backend (Node only): the kernels of ./backend.ts compiled in C
 * (native/) for this machine's processor when the package was installed
 * (scripts/build-native.mjs), through Node-API. Float32 kernels come in three
 * builds — AVX-512, AVX2 + FMA, portable — and the fastest one the
 * processor runs is used; float64 kernels (gradient checks) follow the
 * reference's arithmetic. Operands are used where they live: a typed
 * array's memory is passed to C as is, nothing is copied.
 *
 * Every call is checked here before it enters native code (and checked
 * again there): sizes are integers in range, each operand is an array of
 * the right element type, and its offset plus the elements the kernel
 * touches (./kernel-calls.ts, the same table the WebAssembly backend
 * uses) stays within the array. A bad call throws a RangeError or
 * TypeError naming the kernel and the operand.
 *
 * A call mixing float32 and float64 operands runs on the reference backend.
 * Threads: large matrix products are split into blocks of columns (or rows)
 * of C at the micro-tile's boundaries over a pool of POSIX threads, so the
 * results are bit for bit those of one thread.
 *
 * Usage:
 *   const native = loadNativeBackend({ threads: 2 });   // null when not built; nativeStatus() says why
 *   const lstm = new LSTM({ inputSize: 64, hiddenSize: 256, backend: native ?? jsBackend });
 *   native?.name;                                        // 'native-avx512', 'native-avx2' or 'native-base'
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DType, FloatArray } from '../tensor.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';
import { COMPILED, type CompiledKernel, lengthOf, MATRIX, readNumbers, withReusedParams } from './kernel-calls.js';
import { KERNEL_NAMES, type KernelName } from './wasm-kernels.js';

/** The float32 builds, fastest first. */
export type NativeBuild = 'avx512' | 'avx2' | 'base';
const BUILDS: readonly NativeBuild[] = ['avx512', 'avx2', 'base'];
/** Codes of native/addon.c: kernel · CODE_KERNEL + build · CODE_BUILD + threads. */
const CODE_BUILD = 64;
const CODE_KERNEL = CODE_BUILD * 4;
const BUILD_F64 = 3;
/** Largest size a kernel takes (C `int`). */
const MAX_SIZE = 0x7fffffff;

interface Addon {
  run(code: number, x: Float64Array, ...operands: unknown[]): number;
  kernels(): string[];
  builds(): string[];
  startThreads(n: number): number;
  fmaPeak(build: number, rounds: number): number;
}

/** Where the addon is, relative to this file (dist/src/backend/ → the package root). */
const ADDON = fileURLToPath(new URL('../../../native/build/recurrent.node', import.meta.url));
const STATUS = fileURLToPath(new URL('../../../native/build/status.json', import.meta.url));

/** Whether the native kernels can run here, and if not, why. */
export interface NativeStatus {
  readonly available: boolean;
  /** The float32 builds this processor runs, fastest first (empty when unavailable). */
  readonly builds: readonly NativeBuild[];
  /** Why not, when unavailable, to follow the words “native kernels”: `switched off by RECURRENT_NATIVE=0`, `not built at install: …`, `do not load: …`. */
  readonly reason: string;
}

let loaded: { addon: Addon; codes: Map<KernelName, number> } | null = null;
let status: NativeStatus | null = null;

/** Loads the addon once; records why not. */
function load(): typeof loaded {
  if (loaded || status) return loaded;
  const fail = (reason: string): null => {
    status = { available: false, builds: [], reason };
    return null;
  };
  if (process.env.RECURRENT_NATIVE === '0') return fail('switched off by RECURRENT_NATIVE=0');
  if (!existsSync(ADDON)) {
    let reason = 'not built (in the package folder: node scripts/build-native.mjs)';
    try {
      const s = JSON.parse(readFileSync(STATUS, 'utf8')) as { built?: boolean; reason?: string };
      if (s.built === false && s.reason) reason = `not built at install: ${s.reason}`;
    } catch {
      // no status: never built
    }
    return fail(reason);
  }
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON) as Addon;
  } catch (e) {
    return fail(`do not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const names = addon.kernels();
  const codes = new Map<KernelName, number>();
  for (const name of KERNEL_NAMES) {
    const i = names.indexOf(name);
    if (i < 0) return fail(`lack the kernel ${name} (rebuild: node scripts/build-native.mjs --force)`);
    codes.set(name, i * CODE_KERNEL);
  }
  const builds = addon.builds().filter((b): b is NativeBuild => (BUILDS as readonly string[]).includes(b));
  status = { available: true, builds, reason: '' };
  loaded = { addon, codes };
  return loaded;
}

/**
 * The processor's multiply-add ceiling for a build's vectors, in GFLOP/s on
 * the calling thread: independent vector FMAs (no memory traffic) run for
 * about `seconds`. Null when the native kernels are not available.
 */
export function nativeFmaPeak(build: NativeBuild, seconds = 0.2): number | null {
  const l = load();
  if (!l || !(status as NativeStatus).builds.includes(build)) return null;
  const b = BUILDS.indexOf(build);
  let rounds = 1e5;
  for (;;) {
    const t0 = process.hrtime.bigint();
    const flops = l.addon.fmaPeak(b, rounds);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt >= seconds) return flops / dt / 1e9;
    rounds = Math.min(1e12, Math.ceil(rounds * Math.max(2, (1.2 * seconds) / Math.max(dt, 1e-6))));
  }
}

/** Whether the native backend is available, which builds it has, or why not. */
export function nativeStatus(): NativeStatus {
  load();
  return status as NativeStatus;
}

export interface LoadNativeOptions {
  /** Threads for large products, the calling one included (default 1). */
  readonly threads?: number;
  /** A float32 build other than the fastest (tests run each one). */
  readonly build?: NativeBuild;
}

/** The backend returned by {@link loadNativeBackend}. */
export interface NativeBackend extends Backend {
  readonly name: `native-${NativeBuild}`;
  readonly build: NativeBuild;
  /** Threads in use. */
  readonly threads: number;
  /** Calls handed to the reference backend (operands of mixed precision). */
  readonly fallbacks: number;
  /** Resolves with the threads in use (the pool starts with the backend). */
  startThreads(): Promise<number>;
  /** Nothing to stop: the pool is the process's, its threads sleep when idle. */
  close(): Promise<void>;
}

/**
 * The native backend, or `null` when the addon was not built or does not
 * load here ({@link nativeStatus} says why), or when `build` is not one
 * this processor runs.
 */
export function loadNativeBackend(options: LoadNativeOptions = {}): NativeBackend | null {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1 && threads < CODE_BUILD)) {
    throw new Error(`loadNativeBackend: threads must be an integer from 1 to ${CODE_BUILD - 1}, got ${String(threads)}`);
  }
  const l = load();
  if (!l) return null;
  const available = (status as NativeStatus).builds;
  const build = options.build ?? available[0];
  if (!build || !available.includes(build)) return null;
  const running = threads > 1 ? l.addon.startThreads(threads) : 1;
  return new Native(l.addon, l.codes, build, Math.min(threads, running));
}

// The kernel methods are installed by the constructor, one per entry of the kernel table.
interface Native extends Pick<Backend, KernelName> {}

/** A kernel's numbers and operands, checked, in the layout addon.c reads. */
class Native implements NativeBackend {
  readonly name: `native-${NativeBuild}`;
  /** The product reads B in place when it is stored k×n: no transposed copies wanted. */
  readonly prefersNT = false;
  fallbacks = 0;

  constructor(private readonly addon: Addon, codes: Map<KernelName, number>, readonly build: NativeBuild, readonly threads: number) {
    this.name = `native-${build}`;
    const b = BUILDS.indexOf(build);
    const self = this as unknown as Record<KernelName, unknown>;
    for (const name of KERNEL_NAMES) {
      const k = COMPILED[name];
      const code = (codes.get(name) as number) + threads;
      const numbers = new Float64Array(k.x.length + 2 * k.operands.length);
      const arrays: unknown[] = new Array(k.operands.length).fill(null);
      self[name] = withReusedParams((params) => this.call(k, code + b * CODE_BUILD, code + BUILD_F64 * CODE_BUILD, numbers, arrays, params));
    }
  }

  async startThreads(): Promise<number> {
    return this.threads;
  }

  async close(): Promise<void> {}

  allocate(dtype: DType, n: number): FloatArray {
    return jsBackend.allocate(dtype, n);
  }

  release(): void {
    // typed arrays are reclaimed by the garbage collector
  }

  private call(k: CompiledKernel, code32: number, code64: number, nx: Float64Array, arrays: unknown[], params: readonly unknown[]): unknown {
    const { x, operands } = k;
    readNumbers(k, params);
    // precision: float64 when every float operand is a Float64Array, float32 when every one is a Float32Array
    let f32 = 0;
    let f64 = 0;
    for (let i = 0; i < operands.length; i++) {
      const o = operands[i]!;
      const a = params[k.arrayParam[i] as number];
      if (a === null || a === undefined) {
        if (!o.optional) throw new TypeError(`${k.name}: ${o.name} must be an array, got ${String(a)}`);
        continue;
      }
      if (o.type !== 'f32') continue;
      if (a instanceof Float32Array) f32++;
      else if (a instanceof Float64Array) f64++;
      else throw new TypeError(`${k.name}: ${o.name} must be a Float32Array or Float64Array`);
    }
    if (f32 > 0 && f64 > 0) {
      this.fallbacks++;
      return (jsBackend[k.name] as (...p: unknown[]) => unknown)(...params);
    }
    if (lengthOf(k, operands[k.guard]!, x) <= 0) return 0; // nothing to compute, as in the reference
    checkSizes(k, x);
    const n = x.length;
    nx.set(x);
    for (let i = 0; i < operands.length; i++) {
      const o = operands[i]!;
      const a = params[k.arrayParam[i] as number] as Float32Array | Float64Array | Int32Array | null | undefined;
      arrays[i] = a ?? null;
      if (!a) {
        nx[n + 2 * i] = 0;
        nx[n + 2 * i + 1] = 0;
        continue;
      }
      if (o.type === 'i32' && !(a instanceof Int32Array)) throw new TypeError(`${k.name}: ${o.name} must be an Int32Array`);
      if (o.type === 'f64' && !(a instanceof Float64Array)) throw new TypeError(`${k.name}: ${o.name} must be a Float64Array`);
      const offParam = k.offsetParam[i] as number;
      const off = offParam >= 0 ? params[offParam] : 0;
      if (typeof off !== 'number' || !Number.isInteger(off) || off < 0) {
        throw new RangeError(`${k.name}: the offset of ${o.name} must be an integer ≥ 0, got ${String(off)}`);
      }
      const len = Math.max(0, lengthOf(k, o, x));
      if (off + len > a.length || off + len > MAX_SIZE) {
        throw new RangeError(`${k.name}: ${o.name} needs elements [${off}, ${off + len}) but has ${a.length}`);
      }
      nx[n + 2 * i] = off;
      nx[n + 2 * i + 1] = len;
    }
    const code = f64 > 0 ? code64 : code32;
    const a = arrays;
    let result: number;
    switch (a.length) {
      case 1: result = this.addon.run(code, nx, a[0]); break;
      case 2: result = this.addon.run(code, nx, a[0], a[1]); break;
      case 3: result = this.addon.run(code, nx, a[0], a[1], a[2]); break;
      case 4: result = this.addon.run(code, nx, a[0], a[1], a[2], a[3]); break;
      case 5: result = this.addon.run(code, nx, a[0], a[1], a[2], a[3], a[4]); break;
      case 6: result = this.addon.run(code, nx, a[0], a[1], a[2], a[3], a[4], a[5]); break;
      default: result = this.addon.run(code, nx, ...a);
    }
    a.fill(null);
    return result;
  }
}

/** The sizes a call's extents are made of: integers from 0 to {@link MAX_SIZE}. */
function checkSizes(k: CompiledKernel, x: Float64Array): void {
  const check = (slot: number): void => {
    if (slot < 0) return;
    const v = x[slot] as number;
    if (!(Number.isInteger(v) && v >= 0 && v <= MAX_SIZE)) throw new RangeError(`${k.name}: sizes must be integers from 0 to ${MAX_SIZE}, got ${v}`);
  };
  check(k.count);
  check(k.unit);
  for (const o of k.operands) {
    if (o.kind !== MATRIX) continue;
    check(o.rows);
    check(o.cols);
    check(o.ld);
  }
}
