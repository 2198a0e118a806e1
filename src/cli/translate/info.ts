/** What a translation checkpoint holds (`recurrent info` on a translation model). */
import type { TranslatorCheckpoint } from '../../seq2seq/checkpoint.js';
import { describeTask, taskMetric } from '../../seq2seq/task.js';
import { formatSeconds } from '../options.js';
import { modelLabel, scoreLabel } from './report.js';

export function translateInfo(path: string, c: TranslatorCheckpoint, json: boolean): number {
  const { config, train, data, pairs, budget, progress, trainer, history } = c;
  if (json) {
    console.log(JSON.stringify({
      kind: 'translate', config, train, data: { ...data, pairs }, vocabulary: { source: c.sourceVocabulary.size, target: c.targetVocabulary.size },
      budget, parameters: c.model.params.size, step: trainer.steps, epoch: progress.epoch, seconds: progress.seconds, pairs: trainer.pairs,
      best: progress.best, history: history.map((h) => ({ ...h, trainLoss: Number.isFinite(h.trainLoss) ? h.trainLoss : null })),
    }, null, 2));
    return 0;
  }
  const metric = taskMetric(data);
  console.log(`checkpoint: ${path} (translation model)`);
  console.log(`model: ${modelLabel(config)}, vocabularies ${c.sourceVocabulary.size.toLocaleString('en-US')} → ${c.targetVocabulary.size.toLocaleString('en-US')}, ${c.model.params.size.toLocaleString('en-US')} parameters`);
  console.log(`training: batch ${train.batchSize}, adam lr ${train.lr}, clip ${train.clip}, teacher forcing ${train.teacherForcing}, seed ${train.seed}, sentences of at most ${train.maxLength} tokens`);
  const file = data.kind === 'tatoeba' ? `, ${data.fingerprint.bytes.toLocaleString('en-US')} bytes, SHA-256 ${data.fingerprint.sha256.slice(0, 12)}…` : '';
  console.log(`data: ${describeTask(data)}${file}; ${pairs.train.toLocaleString('en-US')} training, ${pairs.dev.toLocaleString('en-US')} dev, ${pairs.test.toLocaleString('en-US')} test pairs`);
  console.log(`progress: step ${trainer.steps.toLocaleString('en-US')} (epoch ${progress.epoch}), ${trainer.pairs.toLocaleString('en-US')} pairs, ${formatSeconds(progress.seconds)} of training`);
  if (progress.best) console.log(`best: dev ${scoreLabel(metric, progress.best.score)} at step ${progress.best.step.toLocaleString('en-US')} (${formatSeconds(progress.best.seconds)})`);
  if (history.length) {
    console.log('history:   step     time   train nats   dev BLEU   multi-ref   accuracy');
    for (const h of history) {
      const cells = [fixed(h.trainLoss, 4).padStart(10), fixed(h.bleu, 2).padStart(8), fixed(h.multiReferenceBleu, 2).padStart(9), `${fixed(h.accuracy, 1)}%`.padStart(8)];
      console.log(`  ${String(h.step).padStart(10)} ${formatSeconds(h.seconds).padStart(8)}   ${cells.join('   ')}`);
    }
  }
  return 0;
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
