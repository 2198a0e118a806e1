/**
 * `recurrent export --onnx FILE --checkpoint CHECKPOINT`: a character
 * model's checkpoint as an ONNX model (src/onnx/export.ts), written
 * atomically. Translation checkpoints are refused.
 */
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { type CharLMCheckpoint } from '../charlm/checkpoint.js';
import { cellLabel } from '../charlm/model.js';
import { CheckpointKindError } from '../io/checkpoint.js';
import { exportCharLMONNX } from '../onnx/export.js';
import { saveONNX } from '../onnx/file.js';
import { TRANSLATOR_KIND } from '../seq2seq/checkpoint.js';

export interface ExportOptions {
  onnx: string;
  checkpoint: string;
}

export async function exportCommand(o: ExportOptions): Promise<number> {
  let c: CharLMCheckpoint;
  try {
    c = loadCharLM(o.checkpoint);
  } catch (e) {
    if (e instanceof CheckpointKindError && e.found === TRANSLATOR_KIND) {
      throw new Error(`export: ${o.checkpoint} is a translation model; ONNX export is for character-level language models only`);
    }
    throw e;
  }
  const bytes = await exportCharLMONNX(c.model);
  saveONNX(o.onnx, bytes);
  const { config } = c;
  const state = config.cell === 'lstm' ? `, h0 and c0 (${config.numLayers}, B, ${config.hiddenSize})` : `, h0 (${config.numLayers}, B, ${config.hiddenSize})`;
  console.log(`${o.onnx}: ${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}, ${bytes.length.toLocaleString('en-US')} bytes (ONNX opset 14)`);
  console.log(`  inputs  ids (T, B) int64 (vocabulary indices)${state}`);
  console.log(`  outputs logits (T, B, ${config.vocabSize}), h_n${config.cell === 'lstm' ? ', c_n' : ''}`);
  return 0;
}
