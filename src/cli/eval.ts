/** `recurrent eval`: bits/char and perplexity of a checkpoint on a text file, as text or one JSON object. */
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { readTextFile } from '../charlm/corpus.js';
import { bits } from '../charlm/run.js';
import { evaluateCharLM } from '../charlm/trainer.js';
import { type BackendChoice, chooseBackend } from './backend.js';

export interface EvalCommandOptions {
  checkpoint: string;
  data: string;
  window: number;
  backend: BackendChoice;
  json: boolean;
}

export async function evalCommand(o: EvalCommandOptions): Promise<number> {
  const { model, vocab } = loadCharLM(o.checkpoint, await chooseBackend(o.backend));
  const ids = vocab.encode(readTextFile(o.data), `eval: ${o.data}`);
  const nats = evaluateCharLM(model, ids, { window: o.window });
  const windows = Math.floor((ids.length - 1) / o.window);
  const characters = windows * o.window;
  if (o.json) {
    const event = { data: o.data, checkpoint: o.checkpoint, characters, windows, window: o.window, loss: nats, bitsPerChar: bits(nats), perplexity: Math.exp(nats) };
    process.stdout.write(`${JSON.stringify(event)}\n`);
    return 0;
  }
  console.log(`${o.data}: ${characters} characters in ${windows} windows of ${o.window}`);
  console.log(`loss ${nats.toFixed(4)} nats/char = ${bits(nats).toFixed(4)} bits/char, perplexity ${Math.exp(nats).toFixed(3)}`);
  return 0;
}
