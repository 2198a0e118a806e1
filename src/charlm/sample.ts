/**
 * Generating text from a character model, one character at a time:
 *   p = softmax(logits / temperature), restricted to the top-k ids, renormalised;
 *   the next id is drawn from p and fed back.
 */
import { noGrad } from '../autograd/variable.js';
import { Random } from '../random.js';
import type { CharLM, CharLMState } from './model.js';
import type { Vocabulary } from './vocabulary.js';

/** Most characters one call generates (a million: minutes of output, not an endless stream). */
export const MAX_SAMPLE_LENGTH = 1_000_000;

export interface SampleOptions {
  /** Text the model reads first; the sample continues it (default: a newline if known). */
  prompt?: string;
  /** Characters to generate (default 200, at most {@link MAX_SAMPLE_LENGTH}). */
  length?: number;
  /** Softmax temperature > 0 (default 1; lower is more conservative). */
  temperature?: number;
  /** Keep only the k most likely characters (default 0 = all). */
  topK?: number;
  seed?: number;
}

/** Generates `length` characters, calling `onChar` as each is produced; returns them. */
export function sampleText(model: CharLM, vocab: Vocabulary, options: SampleOptions = {}, onChar?: (c: string) => void): string {
  const length = options.length ?? 200;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  if (!Number.isInteger(length) || length < 0 || length > MAX_SAMPLE_LENGTH) {
    throw new Error(`sample: length must be an integer in [0, ${MAX_SAMPLE_LENGTH}], got ${length}`);
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`sample: temperature must be a positive number, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`sample: top-k must be a non-negative integer, got ${topK}`);
  const prompt = options.prompt ?? (vocab.has('\n') ? '\n' : (vocab.chars[0] as string));
  if (prompt.length === 0) throw new Error('sample: the prompt must not be empty');
  const promptIds = vocab.encode(prompt, 'sample: prompt');
  const rng = new Random(options.seed ?? 0);
  const V = vocab.size;
  const probs = new Float64Array(V);
  const order = Array.from({ length: V }, (_, i) => i);
  const wasTraining = model.training;
  model.eval();
  let out = '';
  try {
    noGrad(() => {
      let { logits, state }: { logits: { data: ArrayLike<number> }; state: CharLMState } = model.apply({ data: promptIds, shape: [promptIds.length, 1] });
      let last = (promptIds.length - 1) * V;
      for (let n = 0; n < length; n++) {
        // p ∝ exp(z / temperature) over the top-k ids
        let max = -Infinity;
        for (let k = 0; k < V; k++) max = Math.max(max, logits.data[last + k] as number);
        for (let k = 0; k < V; k++) probs[k] = Math.exp(((logits.data[last + k] as number) - max) / temperature);
        if (topK > 0 && topK < V) {
          order.sort((a, b) => (probs[b] as number) - (probs[a] as number));
          for (let i = topK; i < V; i++) probs[order[i] as number] = 0;
        }
        let sum = 0;
        for (let k = 0; k < V; k++) sum += probs[k] as number;
        let u = rng.next() * sum;
        let id = V - 1;
        for (let k = 0; k < V; k++) {
          u -= probs[k] as number;
          if (u < 0) {
            id = k;
            break;
          }
        }
        const c = vocab.chars[id] as string;
        out += c;
        onChar?.(c);
        ({ logits, state } = model.apply({ data: [id], shape: [1, 1] }, state));
        last = 0;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}
