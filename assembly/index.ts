/**
 * Entry point of the WebAssembly kernels of `recurrent` (see
 * src/backend/wasm-loader.ts for the loader). All buffers are float32 (targets of
 * the loss: i32), addressed by byte offset into the memory. The memory is
 * imported (`env.memory`, declared shared so that worker threads can run
 * instances of this module on it; the loader clears the shared flag when
 * the host has no shared memory). The module has no globals and no data
 * segments and allocates nothing: the host owns everything from
 * {@link heapBase} up, so any number of instances can share one memory.
 */
export { gemm, gemmWorkspaceBytes } from './gemm';
export {
  lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward,
  lstmPeepholeForward, lstmPeepholeBackward, lstmPeepholeGrad,
  gruResetForward, gruCandidateForward, gruCandidateBackward, gruResetBackward,
  addRowVector, sumRows, sigmoidArray, tanhArray,
} from './gates';
export { adamStep, sgdStep, sumSquares, scale, softmaxCrossEntropy, softmaxCrossEntropyBackward, zero } from './train';

/** First byte of memory free for the host (after the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
