/**
 * `recurrent info`: what a checkpoint holds — a character model's, or a
 * translation model's (./translate/info.ts) — and with `--plot FILE.svg` its
 * training history drawn as one figure (src/figures/training.ts), written
 * atomically.
 */
import { basename } from 'node:path';
import type { CharLMCheckpoint } from '../charlm/checkpoint.js';
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { charLMTrainingSpec, MIN_HISTORY, translationTrainingSpec } from '../figures/training.js';
import { renderSvg } from '../figures/render.js';
import { CheckpointKindError } from '../io/checkpoint.js';
import { prepareWrite, writeFileAtomic } from '../io/files.js';
import { TRANSLATOR_KIND } from '../seq2seq/checkpoint.js';
import { loadTranslator } from '../seq2seq/checkpoint-file.js';
import { cellLabel } from '../charlm/model.js';
import { bits } from '../charlm/run.js';
import { formatSeconds } from './options.js';
import { translateInfo } from './translate/info.js';

export interface InfoOptions {
  checkpoint: string;
  json: boolean;
  /** Draw the history into this SVG file. */
  plot?: string;
}

export async function infoCommand(o: InfoOptions): Promise<number> {
  if (o.plot !== undefined && !/\.svg$/i.test(o.plot)) throw new Error(`info --plot: the figure is SVG; give a file name ending in .svg (got ${o.plot})`);
  let c: CharLMCheckpoint;
  try {
    c = loadCharLM(o.checkpoint);
  } catch (e) {
    if (!(e instanceof CheckpointKindError && e.found === TRANSLATOR_KIND)) throw e;
    const t = loadTranslator(o.checkpoint);
    if (o.plot !== undefined) await drawFigure(o.plot, t.history.length, () => translationTrainingSpec(t.history, { title: `${basename(o.checkpoint)}: translation` }));
    translateInfo(o.checkpoint, t, o.json);
    if (o.plot !== undefined && !o.json) console.log(`figure: ${o.plot}`);
    return 0;
  }
  const { config, train } = c;
  if (o.plot !== undefined) {
    const title = `${basename(o.checkpoint)}: ${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}`;
    await drawFigure(o.plot, c.trainer.history.length, () => charLMTrainingSpec(c.trainer.history, { clip: train.clip, window: train.seqLength, title }));
  }
  charLMInfo(o.checkpoint, c, o.json);
  if (o.plot !== undefined && !o.json) console.log(`figure: ${o.plot}`);
  return 0;
}

/** Prints what a character model's checkpoint holds, as text or JSON. */
function charLMInfo(path: string, c: CharLMCheckpoint, json: boolean): void {
  const { config, train, trainer, data } = c;
  if (json) {
    console.log(JSON.stringify({ config, train, data, parameters: c.model.params.size, step: trainer.step, seconds: trainer.seconds, tokens: trainer.tokens, history: trainer.history }, null, 2));
    return;
  }
  console.log(`checkpoint: ${path}`);
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
}

/**
 * Draws a history of `length` validations (at least one) and writes the SVG
 * atomically (missing directories made, anything but a regular file
 * refused), before anything is printed.
 */
async function drawFigure(path: string, length: number, spec: () => Record<string, unknown>): Promise<void> {
  if (length < MIN_HISTORY) {
    throw new Error(`info --plot: the checkpoint's history has no validation yet; a figure needs at least ${MIN_HISTORY} (train longer, or validate more often with --validate-every)`);
  }
  const svg = await renderSvg(spec());
  try {
    writeFileAtomic(prepareWrite(path), new TextEncoder().encode(svg));
  } catch (e) {
    throw new Error(`info --plot: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Four decimals, or `–` for a loss that was not measured (NaN, saved as null). */
function fixed(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : '–';
}
