/**
 * Entry point of the WebAssembly kernels of `recurrent` (see
 * src/backend/wasm.ts for the loader). All buffers are float32, addressed
 * by byte offset into the exported memory; the module allocates nothing:
 * the host owns everything from {@link heapBase} up.
 */
export { gemm, gemmWorkspaceBytes } from './gemm';
export {
  lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward,
  addRowVector, sumRows, sigmoidArray, tanhArray,
} from './gates';

/** First byte of memory free for the host (after the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
