/** Choosing the kernels for a command: the WebAssembly backend when it loads, else the reference one. */
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import { availableThreads, loadWasmBackend, type WasmBackend } from '../backend/wasm.js';

export type BackendChoice = 'auto' | 'wasm' | 'js';

/**
 * The backend to run on; `threads` (default: the cores) is what the WebAssembly
 * backend may use for large kernels. The command line owns its process, so it
 * lets the loader set V8's relaxed-SIMD flag where Node needs it.
 */
export async function chooseBackend(choice: BackendChoice, threads?: number): Promise<Backend> {
  if (choice === 'js') return jsBackend;
  const wasm = await loadWasmBackend({ threads: threads ?? (await availableThreads()), setV8Flags: true });
  if (wasm) return wasm;
  if (choice === 'wasm') throw new Error('backend: the WebAssembly backend could not be loaded (SIMD unsupported, or the .wasm files were not built: run npm run build)');
  return jsBackend;
}

/** Starts the backend's worker threads, if it has any, and returns the threads it runs on. */
export async function startThreads(backend: Backend): Promise<number> {
  const start = (backend as Partial<WasmBackend>).startThreads;
  return typeof start === 'function' ? start.call(backend) : 1;
}
