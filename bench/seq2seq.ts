/**
 * The seq2seq quality workload of ../shared/BENCHMARKS.md, run by recurrent
 * beside ../shared/bench/peers/torch_seq2seq.py (same split, model, optimiser,
 * budget rule and BLEU), printing the same JSON lines:
 *
 *   node dist/bench/seq2seq.js [--attention general|none] [--minutes 20] [--eval-every 2]
 *                              [--threads 1] [--data PATH] [--out DIR] [--steps N]
 *
 * Chinese→English Tatoeba pairs (≤ 10 English words, grouped split), embeddings
 * 128, bidirectional GRU 256 encoder, GRU 256 decoder, Luong general attention
 * (or none), Adam 1e-3, clip 5, batch 64, teacher forcing 1. The budget counts
 * training steps only; every `--eval-every` minutes of training the dev BLEU is
 * measured (greedy, ≤ 20 tokens, corpus BLEU-4 with the reference script's
 * n-gram denominator, × 100); the test BLEU is that of the best-dev weights.
 * Batches are bucketed by length (the reference script draws random batches).
 * `--steps N` instead of minutes times N training steps (the `npm run bench` workload).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/backend/backend.js';
import { chooseBackend, type BackendChoice } from '../src/cli/backend.js';
import { Random } from '../src/random.js';
import { type EncodedPair, bucketedBatches, encodePairs } from '../src/seq2seq/batches.js';
import { corpusBleu } from '../src/seq2seq/bleu.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import type { TranslationPair } from '../src/seq2seq/pair.js';
import { splitTatoeba } from '../src/seq2seq/split.js';
import { readTatoeba } from '../src/seq2seq/tatoeba-file.js';
import type { TokenVocabulary } from '../src/seq2seq/token-vocabulary.js';
import { Seq2SeqTrainer } from '../src/seq2seq/trainer.js';
import { translate } from '../src/seq2seq/translate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? (args[args.indexOf(name) + 1] ?? fallback) : fallback);
const attention = option('--attention', 'general') as 'general' | 'none';
const minutes = Number(option('--minutes', '20'));
const evalEvery = Number(option('--eval-every', '2')) * 60;
const threads = Number(option('--threads', '1'));
const stepsOnly = args.includes('--steps') ? Number(option('--steps', '0')) : 0;
const root = fileURLToPath(new URL('../../', import.meta.url));
const data = option('--data', join(root, '..', 'shared', 'data', 'tatoeba-cmn-eng', 'cmn.txt'));
const out = option('--out', '');

const split = splitTatoeba(readTatoeba(data));
const zh = split.sourceVocabulary;
const en = split.targetVocabulary;
const train = encodePairs(split.train, zh, en).pairs;
console.log(JSON.stringify({
  pairs: { train: split.train.length, dev: split.dev.length, test: split.test.length },
  unique_zh: split.groups, vocab_zh: zh.size, vocab_en: en.size,
}));

const backend = (await chooseBackend(option('--backend', 'auto') as BackendChoice, threads)) as Backend & { threads?: number; close?: () => Promise<void> };
const model = new Seq2Seq({ sourceVocabSize: zh.size, targetVocabSize: en.size, attention }, { backend });
console.log(`params ${model.params.size}`);
const trainer = new Seq2SeqTrainer(model, { lr: 1e-3, clip: 5 });

/** Pair BLEU (one segment per pair) and multi-reference BLEU (one per distinct source), × 100; the hypotheses by source. */
function evaluate(pairs: readonly TranslationPair[], vocab: TokenVocabulary): { pair: number; multi: number; hyps: Map<string, string[]> } {
  const unique = new Map<string, { source: readonly string[]; refs: (readonly string[])[] }>();
  for (const p of pairs) {
    const key = p.sourceTokens.join('');
    const entry = unique.get(key) ?? { source: p.sourceTokens, refs: [] };
    entry.refs.push(p.targetTokens);
    unique.set(key, entry);
  }
  const keys = [...unique.keys()];
  const sources = keys.map((k) => vocab.encode((unique.get(k) as { source: readonly string[] }).source));
  const decoded = translate(model, sources, { maxLength: 20, batchSize: 256 });
  const hyps = new Map(keys.map((k, i) => [k, en.decode((decoded[i] as { tokens: number[] }).tokens)]));
  const ngrams = { denominator: 'ngrams' } as const;
  const pair = corpusBleu(pairs.map((p) => [p.targetTokens]), pairs.map((p) => hyps.get(p.sourceTokens.join('')) as string[]), ngrams);
  const multi = corpusBleu(keys.map((k) => (unique.get(k) as { refs: (readonly string[])[] }).refs), keys.map((k) => hyps.get(k) as string[]), ngrams);
  return { pair: 100 * pair, multi: 100 * multi, hyps };
}

const random = new Random(0);
const budget = minutes * 60;
let trainSeconds = 0;
let nextEval = evalEvery;
let steps = 0;
let pairsSeen = 0;
let lossSum = 0;
let lossCount = 0;
let epoch = 0;
let best = { bleu: -1, atMinutes: 0, weights: null as Float32Array | null };
const history: Record<string, number>[] = [];
const wall0 = performance.now();
let stop = false;
while (!stop) {
  epoch++;
  for (const batch of bucketedBatches(train as EncodedPair[], { batchSize: 64, random })) {
    const t0 = performance.now();
    lossSum += trainer.step(batch);
    trainSeconds += (performance.now() - t0) / 1000;
    lossCount++;
    steps++;
    pairsSeen += batch.batchSize;
    if (stepsOnly > 0) {
      if (steps >= stepsOnly) stop = true;
      if (stop) break;
      continue;
    }
    const last = trainSeconds >= budget;
    if (trainSeconds >= nextEval || last) {
      const e0 = performance.now();
      const dev = evaluate(split.dev, zh);
      const record = {
        train_min: +(trainSeconds / 60).toFixed(2), epoch, steps, pairs_per_s: +(pairsSeen / trainSeconds).toFixed(1),
        train_loss: +(lossSum / lossCount).toFixed(4), dev_bleu: +dev.pair.toFixed(2), dev_bleu_multiref: +dev.multi.toFixed(2),
        eval_s: +((performance.now() - e0) / 1000).toFixed(1),
      };
      history.push(record);
      console.log(JSON.stringify(record));
      lossSum = lossCount = 0;
      if (dev.pair > best.bleu) best = { bleu: dev.pair, atMinutes: record.train_min, weights: Float32Array.from(model.params.data) };
      while (nextEval <= trainSeconds) nextEval += evalEvery;
    }
    if (last) {
      stop = true;
      break;
    }
  }
}
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 102.4) / 10;
if (stepsOnly > 0) {
  console.log(JSON.stringify({ system: `recurrent-${backend.name}`, workload: 'S2S', pairs_per_s: +(pairsSeen / trainSeconds).toFixed(1), steps, peak_rss_mb: peakRssMb, threads: backend.threads ?? 1 }));
} else {
  const finalWeights = Float32Array.from(model.params.data);
  const final = evaluate(split.test, zh);
  if (best.weights) model.params.data.set(best.weights);
  const test = evaluate(split.test, zh);
  model.params.data.set(finalWeights);
  const result = {
    model: attention === 'none' ? 'noattn' : 'attn', system: `recurrent-${backend.name}`, params: model.params.size,
    train_seconds: +trainSeconds.toFixed(1), wall_seconds: +((performance.now() - wall0) / 1000).toFixed(1),
    steps, epochs_started: epoch, pairs_seen: pairsSeen, pairs_per_s: +(pairsSeen / trainSeconds).toFixed(1),
    best_dev_bleu: +best.bleu.toFixed(2), best_at_min: best.atMinutes,
    test_bleu: +test.pair.toFixed(2), test_bleu_multiref: +test.multi.toFixed(2),
    test_bleu_final_ckpt: +final.pair.toFixed(2), test_bleu_multiref_final_ckpt: +final.multi.toFixed(2),
    peak_rss_mb: peakRssMb, threads: backend.threads ?? 1, history,
  };
  console.log(JSON.stringify(result));
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `result_${result.model}.json`), JSON.stringify(result, null, 1));
    writeFileSync(join(out, `test_hyps_${result.model}.tsv`), split.test.map((p) => `${p.sourceTokens.join('')}\t${p.target}\t${(test.hyps.get(p.sourceTokens.join('')) ?? []).join(' ')}`).join('\n') + '\n');
  }
}
await backend.close?.();
