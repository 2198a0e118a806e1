/** `recurrent info`: what a checkpoint holds — a character model's, or a translation model's (./translate/info.ts). */
import type { CharLMCheckpoint } from '../charlm/checkpoint.js';
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { CheckpointKindError } from '../io/checkpoint.js';
import { TRANSLATOR_KIND } from '../seq2seq/checkpoint.js';
import { loadTranslator } from '../seq2seq/checkpoint-file.js';
import { cellLabel } from '../charlm/model.js';
import { bits } from '../charlm/run.js';
import { formatSeconds } from './options.js';
import { translateInfo } from './translate/info.js';

export function infoCommand(o: { checkpoint: string; json: boolean }): number {
  let c: CharLMCheckpoint;
  try {
    c = loadCharLM(o.checkpoint);
  } catch (e) {
    if (e instanceof CheckpointKindError && e.found === TRANSLATOR_KIND) return translateInfo(o.checkpoint, loadTranslator(o.checkpoint), o.json);
    throw e;
  }
  const { config, train, trainer, data } = c;
  if (o.json) {
    console.log(JSON.stringify({ config, train, data, parameters: c.model.params.size, step: trainer.step, seconds: trainer.seconds, tokens: trainer.tokens, history: trainer.history }, null, 2));
    return 0;
  }
  console.log(`checkpoint: ${o.checkpoint}`);
  console.log(`model: ${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, dropout ${config.dropout}, vocabulary ${config.vocabSize}, ${c.model.params.size.toLocaleString('en-US')} parameters`);
  console.log(`training: batch ${train.batchSize} × ${train.seqLength}, ${train.optimizer} lr ${train.lr}, clip ${train.clip}, seed ${config.seed}`);
  const validation = `validation fraction ${data.validationFraction}${typeof data.validationWindows === 'number' ? `, at most ${data.validationWindows} windows` : ''}`;
  const text = data.fingerprint ? `, ${data.fingerprint.bytes.toLocaleString('en-US')} bytes, SHA-256 ${data.fingerprint.sha256.slice(0, 12)}…` : '';
  console.log(`data: ${data.source}${text} (${validation})`);
  console.log(`progress: step ${trainer.step}, ${trainer.tokens.toLocaleString('en-US')} tokens, ${formatSeconds(trainer.seconds)} of training`);
  if (trainer.history.length) {
    console.log('history:   step     time   train nats   val nats   val bits/char');
    for (const h of trainer.history) {
      console.log(`  ${String(h.step).padStart(10)} ${formatSeconds(h.seconds).padStart(8)}   ${fixed(h.trainLoss).padStart(10)}   ${fixed(h.validationLoss).padStart(8)}   ${fixed(bits(h.validationLoss)).padStart(13)}`);
    }
  }
  return 0;
}

/** Four decimals, or `–` for a loss that was not measured (NaN, saved as null). */
function fixed(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : '–';
}
