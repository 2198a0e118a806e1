/**
 * Parameter initialisers.
 *
 * `defaultUniform` is PyTorch's rule for its recurrent modules: every weight
 * and bias drawn from U(−1/√H, 1/√H) where H is the hidden size.
 */
import type { ParameterStore } from './params.js';
import type { Random } from './random.js';

/** Fills the named parameters (all when `names` is omitted) with U(−bound, bound). */
export function uniformInit(store: ParameterStore, rng: Random, bound: number, names: readonly string[] = store.names()): void {
  for (const name of names) {
    const r = store.ref(name);
    for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.uniform(-bound, bound);
  }
}

/** PyTorch's default for RNN, LSTM and GRU: U(−1/√H, 1/√H) for every parameter. */
export function defaultRecurrentInit(store: ParameterStore, rng: Random, hiddenSize: number, names: readonly string[] = store.names()): void {
  uniformInit(store, rng, 1 / Math.sqrt(hiddenSize), names);
}
