/** Choosing the kernels for a command: the WebAssembly backend when it loads, else the reference one. */
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import { loadWasmBackend } from '../backend/wasm.js';

export type BackendChoice = 'auto' | 'wasm' | 'js';

export async function chooseBackend(choice: BackendChoice): Promise<Backend> {
  if (choice === 'js') return jsBackend;
  const wasm = await loadWasmBackend();
  if (wasm) return wasm;
  if (choice === 'wasm') throw new Error('backend: the WebAssembly backend could not be loaded (SIMD unsupported, or the .wasm files were not built: run npm run build)');
  return jsBackend;
}
