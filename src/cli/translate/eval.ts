/**
 * `recurrent translate eval`: a translation checkpoint scored on its test (or
 * dev) pairs — BLEU-4 one reference per pair as the benchmark reports it,
 * multi-reference BLEU-4 as its reference script reports beside it, and exact
 * matches — as text or one JSON object.
 */
import { loadTranslator } from '../../seq2seq/checkpoint-file.js';
import { evaluateTranslation, EVALUATION_MAX_TOKENS } from '../../seq2seq/evaluate.js';
import { describeTask, type TatoebaSource, taskMetric, type TranslationTask } from '../../seq2seq/task.js';
import { loadTask, tatoebaTask } from '../../seq2seq/task-file.js';
import type { TranslatorCheckpoint } from '../../seq2seq/checkpoint.js';
import { type BackendChoice, chooseBackend } from '../backend.js';
import { formatSeconds } from '../options.js';
import { warn } from '../training.js';

export interface TranslateEvalOptions {
  checkpoint: string;
  data?: string;
  split: 'test' | 'dev';
  beam: number;
  backend: BackendChoice;
  json: boolean;
}

export async function translateEvalCommand(o: TranslateEvalOptions): Promise<number> {
  const saved = loadTranslator(o.checkpoint, await chooseBackend(o.backend));
  const task = evaluationTask(o.data, saved);
  const pairs = task[o.split];
  const started = performance.now();
  const scores = evaluateTranslation(saved.model, pairs, { source: saved.sourceVocabulary, target: saved.targetVocabulary }, { beam: o.beam });
  const seconds = (performance.now() - started) / 1000;
  const decoding = o.beam === 1 ? 'greedy' : `beam search, width ${o.beam}, GNMT length penalty α = 0.6`;
  const best = saved.progress.best;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({
      checkpoint: o.checkpoint, task: task.source.kind, data: task.source.kind === 'dates' ? 'dates' : task.source.path, split: o.split,
      step: saved.trainer.steps, trainingSeconds: saved.progress.seconds, pairs: scores.pairs, sources: scores.translations.length,
      beam: o.beam, maxTokens: EVALUATION_MAX_TOKENS, denominator: 'ngrams',
      bleu: scores.bleu, multiReferenceBleu: scores.multiReferenceBleu, accuracy: scores.accuracy,
      unknownSourceTokens: scores.unknownSourceTokens.size, seconds,
    })}\n`);
    return 0;
  }
  console.log(`checkpoint: ${o.checkpoint} (step ${saved.trainer.steps.toLocaleString('en-US')}, ${formatSeconds(saved.progress.seconds)} of training${best ? `; best dev at step ${best.step.toLocaleString('en-US')}` : ''})`);
  console.log(`data: ${describeTask(task.source)}, ${o.split} split: ${scores.pairs.toLocaleString('en-US')} pairs, ${scores.translations.length.toLocaleString('en-US')} distinct sources`);
  console.log(`decoding: ${decoding}, at most ${EVALUATION_MAX_TOKENS} tokens; ${seconds.toFixed(1)} s`);
  const lines = [
    `exact match: ${scores.accuracy.toFixed(1)}%`,
    `BLEU-4: ${scores.bleu.toFixed(2)} (corpus BLEU, one reference per pair; n-gram-count denominator, as the benchmark)`,
    `multi-reference BLEU-4: ${scores.multiReferenceBleu.toFixed(2)} (one segment per distinct source, all its references)`,
  ];
  for (const line of taskMetric(task.source) === 'accuracy' ? lines : [lines[1], lines[2], lines[0]]) console.log(line);
  if (scores.unknownSourceTokens.size) console.log(`source tokens never seen in training (read as <unk>): ${scores.unknownSourceTokens.size.toLocaleString('en-US')} distinct`);
  return 0;
}

/** The pairs to score: the checkpoint's task, or `--data` for a Tatoeba model (a warning if it is not the file it was trained on). */
function evaluationTask(data: string | undefined, saved: TranslatorCheckpoint): TranslationTask {
  const recorded = saved.data;
  if (recorded.kind === 'dates') {
    if (data !== undefined) throw new Error(`translate eval: this model was trained on the ${describeTask(recorded)}; --data does not apply to it`);
    return loadTask(recorded);
  }
  let task: TranslationTask;
  try {
    task = data !== undefined ? tatoebaTask(data) : loadTask(recorded);
  } catch (e) {
    throw new Error(`${(e as Error).message}${data === undefined ? ' (the data this checkpoint was trained on; if it moved, give it with --data)' : ''}`, { cause: e });
  }
  const now = task.source as TatoebaSource;
  if (now.fingerprint.bytes !== recorded.fingerprint.bytes || now.fingerprint.sha256 !== recorded.fingerprint.sha256) {
    warn(`${now.path} is not the file this model was trained on (${recorded.path}, ${recorded.fingerprint.bytes.toLocaleString('en-US')} bytes, SHA-256 ${recorded.fingerprint.sha256.slice(0, 12)}…): its split differs, so some of its test pairs may have been seen in training`);
  }
  return task;
}
