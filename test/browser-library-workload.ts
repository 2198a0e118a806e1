/**
 * What test/browser-library.test.ts runs twice — bundled into a blank page
 * in Chromium, and in Node — through the package's public name: the
 * README's character model (Embedding → LSTM → Linear, Adam, clipping) on
 * the WebAssembly backend, trained a few dozen steps from a fixed seed, then
 * one forward on a fixed batch. The same kernels on the same numbers give
 * the same losses and logits in both.
 */
import {
  Adam, Embedding, Linear, LSTM, ParameterStore, Random, availableThreads, clipGradNorm, crossEntropy, loadWasmBackend, noGrad,
  type WasmBackend,
} from 'recurrent';

export interface LibraryWorkloadOptions {
  /** Worker threads asked for: a number, or every one the host offers (`availableThreads()`). */
  threads: number | 'available';
  /** The kernel build to load ('auto': relaxed SIMD where it validates). */
  variant: 'auto' | WasmBackend['variant'];
  /** Let the loader turn on V8's relaxed-SIMD flag (Node 20 needs it; a browser ignores it). */
  setV8Flags: boolean;
  steps: number;
}

export interface LibraryWorkloadResult {
  backend: { name: string; variant: WasmBackend['variant']; threads: number; isolated: boolean; parallelCalls: number };
  /** Training loss at each step. */
  losses: number[];
  /** Logits (T, B, V) of the trained model on a fixed batch, flattened. */
  logits: number[];
}

const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
const T = 32;
const B = 8;

/** Trains the model `options.steps` Adam steps from seed 0 and reads its logits on the first T × B characters. */
export async function libraryWorkload(options: LibraryWorkloadOptions): Promise<LibraryWorkloadResult> {
  const threads = options.threads === 'available' ? await availableThreads() : options.threads;
  const backend = await loadWasmBackend({ threads, variant: options.variant, setV8Flags: options.setV8Flags });
  if (!backend) throw new Error('libraryWorkload: the WebAssembly backend did not load');
  await backend.startThreads();
  try {
    const chars = [...new Set(TEXT)].sort();
    const ids = [...TEXT].map((c) => chars.indexOf(c));
    const params = new ParameterStore();
    const embed = new Embedding({ numEmbeddings: chars.length, embeddingDim: 32, params, prefix: 'embed.', seed: 1, backend });
    const lstm = new LSTM({ inputSize: 32, hiddenSize: 64, params, prefix: 'lstm.', seed: 2, backend });
    const head = new Linear({ inFeatures: 64, outFeatures: chars.length, params, prefix: 'head.', seed: 3, backend });
    const opt = new Adam(params, { lr: 1e-2 });
    const rng = new Random(0);
    const x = new Int32Array(T * B);
    const y = new Int32Array(T * B);
    const losses: number[] = [];
    for (let step = 0; step < options.steps; step++) {
      for (let b = 0; b < B; b++) {
        const o = rng.int(ids.length - T - 1);
        for (let t = 0; t < T; t++) {
          x[t * B + b] = ids[o + t] as number;
          y[t * B + b] = ids[o + t + 1] as number;
        }
      }
      const logits = head.apply(lstm.apply(embed.apply({ data: x, shape: [T, B] })).output);
      const loss = crossEntropy(logits, { data: y, shape: [T, B] }, { backend });
      opt.zeroGrad();
      loss.backward();
      clipGradNorm(params, 5);
      opt.step();
      losses.push(loss.item());
    }
    const fixed = Int32Array.from({ length: T * B }, (_, i) => ids[i] as number);
    const logits = noGrad(() => head.apply(lstm.apply(embed.apply({ data: fixed, shape: [T, B] })).output).value);
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    return {
      backend: { name: backend.name, variant: backend.variant, threads: backend.threads, isolated, parallelCalls: backend.stats.parallel },
      losses,
      logits: Array.from(logits.data),
    };
  } finally {
    await backend.close();
  }
}
