/** `recurrent sample`: stream text from a checkpoint. */
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { sampleText } from '../charlm/sample.js';
import { type BackendChoice, chooseBackend } from './backend.js';

export interface SampleCommandOptions {
  checkpoint: string;
  prompt?: string;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
  backend: BackendChoice;
}

export async function sampleCommand(o: SampleCommandOptions): Promise<number> {
  const { model, vocab } = loadCharLM(o.checkpoint, await chooseBackend(o.backend));
  if (o.prompt !== undefined) {
    vocab.encode(o.prompt, 'sample: prompt'); // unknown characters: fail before printing anything
    process.stdout.write(o.prompt);
  }
  sampleText(model, vocab, {
    ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
    length: o.length, temperature: o.temperature, topK: o.topK, seed: o.seed,
  }, (c) => process.stdout.write(c));
  process.stdout.write('\n');
  return 0;
}
