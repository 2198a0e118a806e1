/** Choosing the kernels for a command: native when built, else WebAssembly, else the reference. */
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import { loadNativeBackend, nativeStatus } from '../backend/native.js';
import { availableThreads, loadWasmBackend, type WasmBackend } from '../backend/wasm.js';

export type BackendChoice = 'auto' | 'native' | 'wasm' | 'js';

/**
 * The backend to run on; `threads` (default: the cores) is what the native or
 * WebAssembly backend may use for large kernels. `auto` prefers native, then
 * WebAssembly. The command line owns its process, so it lets the WebAssembly
 * loader set V8's relaxed-SIMD flag where Node needs it.
 */
export async function chooseBackend(choice: BackendChoice, threads?: number): Promise<Backend> {
  if (choice === 'js') return jsBackend;
  const count = threads ?? (await availableThreads());
  if (choice === 'native' || choice === 'auto') {
    const native = loadNativeBackend({ threads: Math.min(count, 63) });
    if (native) return native;
    if (choice === 'native') throw new Error(`backend: the native kernels are not available: ${nativeStatus().reason}`);
  }
  const wasm = await loadWasmBackend({ threads: count, setV8Flags: true });
  if (wasm) return wasm;
  if (choice === 'wasm') throw new Error('backend: the WebAssembly backend could not be loaded (SIMD unsupported, or the .wasm files were not built: run npm run build)');
  return jsBackend;
}

/**
 * Why a run on `auto` is not on the native kernels (`native kernels not
 * built at install: no C compiler found …`), or '' when it is, or when the
 * backend was chosen by name.
 */
export function backendNote(choice: BackendChoice, backend: Backend): string {
  if (choice !== 'auto' || backend.name.startsWith('native')) return '';
  const status = nativeStatus();
  return status.available ? '' : `native kernels ${status.reason}`;
}

/** Starts the backend's worker threads, if it has any, and returns the threads it runs on. */
export async function startThreads(backend: Backend): Promise<number> {
  const start = (backend as Partial<WasmBackend>).startThreads;
  return typeof start === 'function' ? start.call(backend) : 1;
}
