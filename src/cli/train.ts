/**
 * `recurrent train`: train a character model on a text file (or the built-in
 * corpus), with checkpoints and resume. The rules — what a resume must keep,
 * the budget, the checkpoint's path and lock — live in the library
 * (src/charlm/); this file turns options into a run and prints it.
 */
import { existsSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { CellType } from '../cells/index.js';
import { type CharLMCheckpoint, loadCharLM } from '../charlm/checkpoint.js';
import { type Corpus, loadCorpus, splitText } from '../charlm/corpus.js';
import { resolveBudget } from '../charlm/budget.js';
import { checkTrainingMemory } from '../charlm/memory.js';
import { CharLM, type CharLMConfig, cellLabel, checkConfig } from '../charlm/model.js';
import { ResumeError } from '../charlm/resume.js';
import { bits, runTrainingAsync } from '../charlm/run.js';
import type { OptimizerName, TrainConfig } from '../charlm/trainer.js';
import { Vocabulary } from '../charlm/vocabulary.js';
import { type BackendChoice, chooseBackend, startThreads } from './backend.js';
import { formatSeconds } from './options.js';
import { createProgress } from './progress.js';

export interface TrainCommandOptions {
  data?: string;
  cell: CellType;
  layers: number;
  hidden: number;
  embedding: number;
  seqLength: number;
  batch: number;
  optimizer: OptimizerName;
  lr: number;
  clip: number;
  dropout: number;
  time?: number;
  epochs?: number;
  steps?: number;
  threads?: number;
  seed: number;
  valFraction: number;
  valWindows?: number;
  validateEvery: number;
  checkpoint: string;
  checkpointEvery: number;
  resume: boolean;
  sampleLength: number;
  backend: BackendChoice;
  force: boolean;
}

/** The option that sets each setting a resume must keep (see src/charlm/resume.ts). */
const OPTION_OF: Readonly<Record<string, string>> = {
  'config.cell': '--cell', 'config.numLayers': '--layers', 'config.hiddenSize': '--hidden', 'config.embeddingSize': '--embedding',
  'config.dropout': '--dropout', 'config.seed': '--seed', 'train.seqLength': '--seq-length', 'train.batchSize': '--batch',
  'train.optimizer': '--optimizer', 'train.lr': '--lr', 'train.clip': '--clip', 'train.seed': '--seed',
  'data.validationFraction': '--val-fraction', 'data.validationWindows': '--val-windows',
};

/** Exit status after a signal: 128 + its number. */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Refuse a model whose estimated memory is more than this fraction of the machine's (unless --force). */
const MEMORY_FRACTION = 0.5;

export async function trainCommand(o: TrainCommandOptions, explicit: ReadonlySet<string>): Promise<number> {
  if (o.resume && !existsSync(o.checkpoint)) throw new Error(`train --resume: no checkpoint at ${o.checkpoint}`);
  const saved = o.resume ? loadCharLM(o.checkpoint) : null;
  /** On resume, an option not given keeps the checkpoint's value; one given is checked against it by the run. */
  const pick = <K extends keyof TrainCommandOptions>(key: K, kept: TrainCommandOptions[K] | undefined): TrainCommandOptions[K] =>
    saved && !explicit.has(key) && kept !== undefined ? kept : o[key];

  const corpus = readCorpus(o.data, saved);
  const valFraction = pick('valFraction', saved?.data.validationFraction);
  const valWindows = pick('valWindows', saved?.data.validationWindows ?? undefined);
  const { train, validation } = splitText(corpus.text, valFraction);
  const vocab = Vocabulary.fromText(corpus.text);
  const trainIds = vocab.encode(train, 'train: data');
  const validationIds = vocab.encode(validation, 'train: data');

  const config: CharLMConfig = {
    cell: pick('cell', saved?.config.cell), vocabSize: vocab.size, embeddingSize: pick('embedding', saved?.config.embeddingSize),
    hiddenSize: pick('hidden', saved?.config.hiddenSize), numLayers: pick('layers', saved?.config.numLayers),
    dropout: pick('dropout', saved?.config.dropout), seed: pick('seed', saved?.config.seed),
  };
  const trainConfig: TrainConfig = {
    seqLength: pick('seqLength', saved?.train.seqLength), batchSize: pick('batch', saved?.train.batchSize), optimizer: pick('optimizer', saved?.train.optimizer),
    lr: pick('lr', saved?.train.lr), clip: pick('clip', saved?.train.clip), seed: pick('seed', saved?.train.seed),
  };
  const budget = resolveBudget({ seconds: o.time, steps: o.steps, epochs: o.epochs }, trainIds.length, trainConfig, saved?.data.budget);
  const budgetLabel = [budget.steps !== undefined ? `${budget.steps} steps` : '', budget.seconds !== undefined ? `${formatSeconds(budget.seconds)} of training` : '']
    .filter(Boolean).join(' or ');

  checkConfig(config);
  if (!o.force) checkTrainingMemory(config, trainConfig, MEMORY_FRACTION * totalmem());
  const backend = await chooseBackend(o.backend, o.threads);
  const threads = await startThreads(backend);
  const model = new CharLM(config, backend);

  const params = model.params.size.toLocaleString('en-US');
  console.log(`data: ${corpus.source} — ${trainIds.length.toLocaleString('en-US')} training and ${validationIds.length.toLocaleString('en-US')} validation characters, vocabulary ${vocab.size}`);
  console.log(`model: ${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, ${params} parameters, ${backend.name} kernels, ${threads} thread${threads === 1 ? '' : 's'}`);
  console.log(`training: batch ${trainConfig.batchSize} × ${trainConfig.seqLength} characters, ${trainConfig.optimizer} lr ${trainConfig.lr}, clip ${trainConfig.clip}, budget ${budgetLabel}`);
  if (!saved && isFile(o.checkpoint)) console.log(`note: ${o.checkpoint} exists and will be replaced by this new model (use --resume to continue it instead)`);
  if (saved) {
    console.log(`resuming from ${o.checkpoint} at step ${saved.trainer.step} (${formatSeconds(saved.trainer.seconds)} trained)`);
    if (!saved.data.fingerprint) console.log('note: this checkpoint records no fingerprint of its text, so only its vocabulary can be checked');
  }

  let stopSignal: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal) {
      console.error('\nInterrupted twice: exiting without a new checkpoint (the last one is intact).');
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    stopSignal = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgress(budgetLabel);
  try {
    const result = await runTrainingAsync(
      {
        model, vocab, trainIds, validationIds, train: trainConfig, budget,
        data: { source: corpus.source, validationFraction: valFraction, fingerprint: corpus.fingerprint },
        checkpoint: o.checkpoint, checkpointEvery: o.checkpointEvery, validateEvery: o.validateEvery,
        ...(valWindows !== undefined ? { validationWindows: valWindows } : {}),
        sampleLength: o.sampleLength,
        ...(saved ? { resume: saved } : {}),
        shouldStop: () => stopSignal !== null,
        backend,
      },
      {
        onStep: (p) => progress.update(p),
        onValidation: (e, sample) => {
          progress.log(`step ${e.step} (${formatSeconds(e.seconds)}): train ${e.trainLoss.toFixed(3)} nats, validation ${e.validationLoss.toFixed(3)} nats = ${bits(e.validationLoss).toFixed(3)} bits/char`);
          if (sample) progress.log(`  sample: ${JSON.stringify(sample).slice(1, -1).slice(0, 300)}`);
        },
      },
    );
    progress.stop();
    const t = result.trainer;
    if (result.stoppedEarly) {
      const signal = stopSignal as NodeJS.Signals | null;
      console.log(`Interrupted at step ${t.step} (${signal}): checkpoint saved to ${o.checkpoint}. Continue with: recurrent train --resume --checkpoint ${o.checkpoint}`);
      return SIGNAL_EXIT[signal ?? 'SIGINT'] ?? 130;
    }
    console.log(`done: ${t.step} steps, ${formatSeconds(t.seconds)} of training, ${Math.round(t.tokens / t.seconds).toLocaleString('en-US')} tokens/s`);
    console.log(`validation: ${result.validationLoss.toFixed(4)} nats/char = ${bits(result.validationLoss).toFixed(4)} bits/char (perplexity ${Math.exp(result.validationLoss).toFixed(2)})`);
    console.log(`checkpoint: ${o.checkpoint}`);
    return 0;
  } catch (e) {
    progress.stop();
    if (e instanceof ResumeError) throw new Error(`train --resume: ${resumeMessage(e)}`, { cause: e });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The text to learn: `--data`, else on resume the text the checkpoint records, else the built-in corpus. */
function readCorpus(data: string | undefined, saved: CharLMCheckpoint | null): Corpus {
  if (data !== undefined || !saved) return loadCorpus(data);
  try {
    return loadCorpus(saved.data.source);
  } catch (e) {
    throw new Error(`${(e as Error).message} (the text this checkpoint was trained on; if it moved, give it with --data)`, { cause: e });
  }
}

/** A resume conflict in terms of options: `the checkpoint was trained with --hidden 16 (this run: 32)`. */
function resumeMessage(e: ResumeError): string {
  if (e.conflicts.length === 0) return e.message.replace(/^resume: /, '');
  const list = e.conflicts.map((c) => `${OPTION_OF[c.setting] ?? c.setting} ${c.saved ?? 'all'} (this run: ${c.requested ?? 'all'})`);
  return `the checkpoint was trained with ${[...new Set(list)].join(', ')}; a resumed run must keep its configuration (drop those options, or train a new model with another --checkpoint)`;
}
