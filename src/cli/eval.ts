/** `recurrent eval`: bits/char and perplexity of a checkpoint on a text file. */
import { loadCharLM } from '../charlm/checkpoint.js';
import { readTextFile } from '../charlm/corpus.js';
import { bits } from '../charlm/run.js';
import { evaluateCharLM } from '../charlm/trainer.js';
import { type BackendChoice, chooseBackend } from './backend.js';

export interface EvalCommandOptions {
  checkpoint: string;
  data: string;
  window: number;
  backend: BackendChoice;
}

export async function evalCommand(o: EvalCommandOptions): Promise<number> {
  const { model, vocab } = loadCharLM(o.checkpoint, await chooseBackend(o.backend));
  const ids = vocab.encode(readTextFile(o.data), `eval: ${o.data}`);
  const nats = evaluateCharLM(model, ids, { window: o.window });
  const windows = Math.floor((ids.length - 1) / o.window);
  console.log(`${o.data}: ${windows * o.window} characters in ${windows} windows of ${o.window}`);
  console.log(`loss ${nats.toFixed(4)} nats/char = ${bits(nats).toFixed(4)} bits/char, perplexity ${Math.exp(nats).toFixed(3)}`);
  return 0;
}
