/**
 * `recurrent train`: train a character model on a text file (or the built-in
 * corpus), with checkpoints and resume. The rules — what a resume must keep,
 * the budget, the checkpoint's path and lock — live in the library
 * (src/charlm/); this file turns options into a run and prints it.
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { CellType } from '../cells/index.js';
import type { CharLMCheckpoint } from '../charlm/checkpoint.js';
import { loadCharLM } from '../charlm/checkpoint-file.js';
import { type Corpus, loadCorpus } from '../charlm/corpus.js';
import { splitText } from '../charlm/text.js';
import { resolveBudget } from '../charlm/budget.js';
import { checkTrainingMemory } from '../charlm/memory.js';
import { CharLM, type CharLMConfig, checkConfig } from '../charlm/model.js';
import { ResumeError } from '../charlm/resume.js';
import { runTrainingAsync } from '../charlm/run.js';
import type { OptimizerName, TrainConfig } from '../charlm/trainer.js';
import { Vocabulary } from '../charlm/vocabulary.js';
import { type BackendChoice, backendNote, chooseBackend, startThreads } from './backend.js';
import { createTrainReport } from './train-report.js';
import { budgetLabel, budgetWarnings, isFile, listenForStop, SIGNAL_EXIT, warn } from './training.js';

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
  diagnostics: boolean;
  sampleLength: number;
  backend: BackendChoice;
  force: boolean;
  json: boolean;
}

/** The option that sets each setting a resume must keep (see src/charlm/resume.ts). */
const OPTION_OF: Readonly<Record<string, string>> = {
  'config.cell': '--cell', 'config.numLayers': '--layers', 'config.hiddenSize': '--hidden', 'config.embeddingSize': '--embedding',
  'config.dropout': '--dropout', 'config.seed': '--seed', 'train.seqLength': '--seq-length', 'train.batchSize': '--batch',
  'train.optimizer': '--optimizer', 'train.lr': '--lr', 'train.clip': '--clip', 'train.seed': '--seed',
  'data.validationFraction': '--val-fraction', 'data.validationWindows': '--val-windows',
};

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

  checkConfig(config);
  if (!o.force) checkTrainingMemory(config, trainConfig, MEMORY_FRACTION * totalmem());
  const backend = await chooseBackend(o.backend, o.threads);
  const threads = await startThreads(backend);
  const model = new CharLM(config, backend);

  for (const w of budgetWarnings(o, budget)) warn(w);
  if (!saved && isFile(o.checkpoint)) warn(`${o.checkpoint} exists and will be replaced by this new model (use --resume to continue it instead)`);
  if (saved && !saved.data.fingerprint) warn('this checkpoint records no fingerprint of its text, so only its vocabulary can be checked');
  const report = createTrainReport(o.json);
  report.start({
    config, train: trainConfig, budget, budgetLabel: budgetLabel(budget),
    data: { source: corpus.source, trainCharacters: trainIds.length, validationCharacters: validationIds.length, vocabulary: vocab.size },
    parameters: model.params.size, backend: backend.name, threads, backendNote: backendNote(o.backend, backend), checkpoint: o.checkpoint,
    resumedFrom: saved ? { step: saved.trainer.step, elapsedSeconds: saved.trainer.seconds } : null,
  });

  const stop = listenForStop(() => report.close());
  try {
    const result = await runTrainingAsync(
      {
        model, vocab, trainIds, validationIds, train: trainConfig, budget,
        data: { source: corpus.source, validationFraction: valFraction, fingerprint: corpus.fingerprint },
        checkpoint: o.checkpoint, checkpointEvery: o.checkpointEvery, validateEvery: o.validateEvery,
        ...(valWindows !== undefined ? { validationWindows: valWindows } : {}),
        sampleLength: o.sampleLength, diagnostics: o.diagnostics,
        ...(saved ? { resume: saved } : {}),
        shouldStop: () => stop.received !== null,
        backend,
      },
      {
        onStep: (p) => report.step(p),
        onValidation: (e, sample) => report.validation(e, sample),
        onCheckpoint: (path, step) => report.checkpoint(path, step),
      },
    );
    const t = result.trainer;
    const interrupted = result.stoppedEarly ? stop.received ?? 'SIGINT' : null;
    report.end({ step: t.step, elapsedSeconds: t.seconds, tokens: t.tokens, valLoss: result.validationLoss, checkpoint: o.checkpoint, interrupted });
    return interrupted ? SIGNAL_EXIT[interrupted] ?? 130 : 0;
  } catch (e) {
    report.close();
    if (e instanceof ResumeError) throw new Error(`train --resume: ${resumeMessage(e)}`, { cause: e });
    throw e;
  } finally {
    stop.dispose();
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
