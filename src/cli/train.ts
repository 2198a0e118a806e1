/** `recurrent train`: train a character model on a text file (or the built-in corpus), with checkpoints and resume. */
import { closeSync, existsSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type CharLMCheckpoint, loadCharLM } from '../charlm/checkpoint.js';
import { DEFAULT_CORPUS_NAME, defaultCorpus, readTextFile, splitText } from '../charlm/corpus.js';
import { CharLM, type CellType, type CharLMConfig } from '../charlm/model.js';
import { bits, type Budget, runTrainingAsync } from '../charlm/run.js';
import type { OptimizerName, TrainConfig } from '../charlm/trainer.js';
import { Vocabulary } from '../charlm/vocabulary.js';
import { type BackendChoice, chooseBackend } from './backend.js';
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
}

/** Options that define the model or the optimisation; resuming must not change them. */
const FIXED_ON_RESUME: readonly (keyof TrainCommandOptions)[] = ['cell', 'layers', 'hidden', 'embedding', 'dropout', 'seqLength', 'batch', 'optimizer', 'lr', 'clip', 'seed', 'valFraction'];

export async function trainCommand(o: TrainCommandOptions, explicit: ReadonlySet<string>): Promise<number> {
  const text = o.data ? readTextFile(o.data) : defaultCorpus();
  const source = o.data ?? DEFAULT_CORPUS_NAME;
  let resumed: CharLMCheckpoint | null = null;
  if (o.resume) {
    if (!existsSync(o.checkpoint)) throw new Error(`train --resume: no checkpoint at ${o.checkpoint}`);
    resumed = loadCharLM(o.checkpoint);
    const saved = resumed;
    const differs = FIXED_ON_RESUME.filter((k) => explicit.has(k) && String(o[k]) !== String(savedOption(saved, k)));
    if (differs.length) {
      throw new Error(`train --resume: the checkpoint was trained with ${differs.map((k) => `--${kebab(k)} ${savedOption(saved, k)}`).join(', ')}; a resumed run must keep its configuration (drop those options, or train a new model with another --checkpoint)`);
    }
  }
  const valFraction = resumed ? resumed.data.validationFraction : o.valFraction;
  const { train, validation } = splitText(text, valFraction);
  const vocab = resumed ? resumed.vocab : Vocabulary.fromText(text);
  if (resumed) {
    const fresh = Vocabulary.fromText(text);
    if (fresh.chars.join('') !== vocab.chars.join('')) {
      throw new Error(`train --resume: the data's vocabulary (${fresh.size} characters) differs from the checkpoint's (${vocab.size}); resume on the same text, or start a new model`);
    }
  }
  const trainIds = vocab.encode(train, 'train: data');
  const validationIds = vocab.encode(validation, 'train: data');

  const backend = await chooseBackend(o.backend);
  const config: CharLMConfig = resumed
    ? resumed.config
    : { cell: o.cell, vocabSize: vocab.size, embeddingSize: o.embedding, hiddenSize: o.hidden, numLayers: o.layers, dropout: o.dropout, seed: o.seed };
  const model = new CharLM(config, backend);
  if (resumed) model.params.data.set(resumed.model.params.data);
  const trainConfig: TrainConfig = resumed
    ? resumed.train
    : { seqLength: o.seqLength, batchSize: o.batch, optimizer: o.optimizer, lr: o.lr, clip: o.clip, seed: o.seed };
  const steps = o.steps ?? (o.epochs !== undefined ? Math.ceil((o.epochs * trainIds.length) / (trainConfig.seqLength * trainConfig.batchSize)) : undefined);
  const given = o.time !== undefined || steps !== undefined;
  const budget: Budget = !given && resumed?.data.budget ? { ...resumed.data.budget } : steps !== undefined ? { steps } : { seconds: o.time ?? 300 };
  if (o.time !== undefined && steps !== undefined) budget.seconds = o.time;
  const budgetLabel = budget.steps !== undefined ? `${budget.steps} steps` : `${formatSeconds(budget.seconds ?? 0)} of training`;

  prepareCheckpointPath(o.checkpoint);
  const params = model.params.size.toLocaleString('en-US');
  console.log(`data: ${source} — ${trainIds.length.toLocaleString('en-US')} training and ${validationIds.length.toLocaleString('en-US')} validation characters, vocabulary ${vocab.size}`);
  console.log(`model: ${config.cell.toUpperCase()} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, ${params} parameters, ${backend.name} kernels`);
  console.log(`training: batch ${trainConfig.batchSize} × ${trainConfig.seqLength} characters, ${trainConfig.optimizer} lr ${trainConfig.lr}, clip ${trainConfig.clip}, budget ${budgetLabel}`);
  if (!resumed && existsSync(o.checkpoint)) console.log(`note: ${o.checkpoint} exists and will be replaced by this new model (use --resume to continue it instead)`);
  if (resumed) console.log(`resuming from ${o.checkpoint} at step ${resumed.trainer.step} (${formatSeconds(resumed.trainer.seconds)} trained)`);

  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) {
      console.error('\nInterrupted twice: exiting without a new checkpoint (the last one is intact).');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  const progress = createProgress(budgetLabel);
  try {
    const result = await runTrainingAsync(
      {
        model, vocab, trainIds, validationIds, train: trainConfig, budget,
        data: { source, validationFraction: valFraction, budget },
        checkpoint: o.checkpoint, checkpointEvery: o.checkpointEvery, validateEvery: o.validateEvery,
        ...(o.valWindows !== undefined ? { validationWindows: o.valWindows } : {}),
        sampleLength: o.sampleLength,
        ...(resumed ? { resume: resumed.trainer } : {}),
        shouldStop: () => interrupts > 0,
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
      console.log(`Interrupted at step ${t.step}: checkpoint saved to ${o.checkpoint}. Continue with: recurrent train --resume --checkpoint ${o.checkpoint}${o.data ? ` --data ${o.data}` : ''}`);
      return 130;
    }
    console.log(`done: ${t.step} steps, ${formatSeconds(t.seconds)} of training, ${Math.round(t.tokens / t.seconds).toLocaleString('en-US')} tokens/s`);
    console.log(`validation: ${result.validationLoss.toFixed(4)} nats/char = ${bits(result.validationLoss).toFixed(4)} bits/char (perplexity ${Math.exp(result.validationLoss).toFixed(2)})`);
    console.log(`checkpoint: ${o.checkpoint}`);
    return 0;
  } catch (e) {
    progress.stop();
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function savedOption(c: CharLMCheckpoint, k: keyof TrainCommandOptions): string | number {
  switch (k) {
    case 'cell': return c.config.cell;
    case 'layers': return c.config.numLayers;
    case 'hidden': return c.config.hiddenSize;
    case 'embedding': return c.config.embeddingSize;
    case 'dropout': return c.config.dropout;
    case 'seed': return c.config.seed;
    case 'seqLength': return c.train.seqLength;
    case 'batch': return c.train.batchSize;
    case 'optimizer': return c.train.optimizer;
    case 'lr': return c.train.lr;
    case 'clip': return c.train.clip;
    case 'valFraction': return c.data.validationFraction;
    default: return '';
  }
}

/**
 * Creates the checkpoint's directory if needed and checks that a file can be
 * written there, so an unwritable path fails now, not after the training.
 * (Not `mkdirSync(…, { recursive: true })`: it never returns for paths under /proc.)
 */
function prepareCheckpointPath(path: string): void {
  const fail = (why: string): Error => new Error(`train: cannot write the checkpoint ${path}: ${why}`);
  const missing: string[] = [];
  let dir = resolve(dirname(path) || '.');
  while (!existsSync(dir)) {
    missing.unshift(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw fail(`${dir} is not a directory`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw fail(`cannot create the directory ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw fail('it is a directory');
  const probe = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw fail(`the directory is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
