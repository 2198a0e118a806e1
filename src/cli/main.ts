#!/usr/bin/env node
/** The `recurrent` command line: train, sample, eval and info for character-level language models. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { MAX_SEED } from '../charlm/model.js';
import { MAX_SAMPLE_LENGTH } from '../charlm/sample.js';
import { evalCommand } from './eval.js';
import { infoCommand } from './info.js';
import {
  cellType, duration, fraction, integerIn, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber, probability,
} from './options.js';
import { sampleCommand } from './sample.js';
import { trainCommand, type TrainCommandOptions } from './train.js';

const DEFAULT_CHECKPOINT = 'checkpoints/charlm.safetensors';
const seed = integerIn(0, MAX_SEED);
const sampleLength = integerIn(0, MAX_SAMPLE_LENGTH);
const backendOption = (): Option => new Option('--backend <name>', 'kernels: auto (WebAssembly SIMD if available), wasm or js').default('auto').argParser(oneOf(['auto', 'wasm', 'js'] as const));

/** The package's version, from its package.json (three levels above dist/src/cli/). */
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('recurrent')
  .version(version, '-V, --version', 'print the version and exit')
  .description('Character-level language models with recurrent networks (LSTM, GRU, RNN).')
  .showHelpAfterError();

program
  .command('train')
  .description('train a character-level language model (default data: State of the Union addresses since 1945)')
  .option('--data <file>', 'UTF-8 text file to learn (default: the built-in corpus)')
  .addOption(new Option('--cell <type>', 'recurrent cell: lstm, gru, rnn_tanh (or rnn), rnn_relu').default('lstm').argParser(cellType))
  .option('--layers <n>', 'stacked recurrent layers', positiveInt, 2)
  .option('--hidden <n>', 'hidden units per layer', positiveInt, 256)
  .option('--embedding <n>', 'character embedding size', positiveInt, 64)
  .option('--seq-length <n>', 'characters per training window', positiveInt, 64)
  .option('--batch <n>', 'windows per step', positiveInt, 32)
  .addOption(new Option('--optimizer <name>', 'optimiser').default('adam').argParser(oneOf(['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const)))
  .option('--lr <rate>', 'learning rate', positiveNumber, 2e-3)
  .option('--clip <norm>', 'clip the global gradient norm to this (0 = off)', nonNegativeNumber, 5)
  .option('--dropout <p>', 'dropout between layers and before the output', probability, 0)
  .option('--time <duration>', 'training time budget, e.g. 90s, 15m, 1h (default 5m)', duration)
  .option('--epochs <n>', 'passes over the training text instead of a time budget', positiveNumber)
  .option('--steps <n>', 'optimisation steps instead of a time budget', positiveInt)
  .option('--threads <n>', 'threads for large products with the WebAssembly kernels (default: cores)', integerIn(1, 256))
  .option('--seed <n>', `seed of initialisation, batches and dropout (0 to ${MAX_SEED})`, seed, 1337)
  .option('--val-fraction <f>', 'last fraction of the text held out for validation', fraction, 0.1)
  .option('--val-windows <n>', 'cap on 256-character validation windows (default: all)', positiveInt)
  .option('--validate-every <duration>', 'training time between validations and samples', duration, 30)
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .option('--checkpoint-every <duration>', 'wall time between checkpoints', duration, 60)
  .option('--sample-length <n>', 'characters sampled at each validation (0 = none)', sampleLength, 200)
  .option('--resume', 'continue from --checkpoint exactly where it stopped (same text, configuration and validation)', false)
  .option('--force', 'train even when the model is estimated to need more than half of the memory', false)
  .addOption(backendOption())
  .action(async (opts: TrainCommandOptions, cmd: Command) => {
    const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
    process.exitCode = await trainCommand(opts, explicit);
  });

program
  .command('sample')
  .description('generate text from a checkpoint, streaming it as it is produced')
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .option('--prompt <text>', 'text to continue')
  .option('--length <n>', `characters to generate (at most ${MAX_SAMPLE_LENGTH.toLocaleString('en-US')})`, sampleLength, 500)
  .option('--temperature <t>', 'softmax temperature (lower = safer)', positiveNumber, 0.8)
  .option('--top-k <k>', 'sample only among the k likeliest characters (0 = all)', nonNegativeInt, 0)
  .option('--seed <n>', 'sampling seed', seed, 0)
  .addOption(backendOption())
  .action(async (opts) => {
    process.exitCode = await sampleCommand(opts);
  });

program
  .command('eval')
  .description('bits/char and perplexity of a checkpoint on a text file')
  .requiredOption('--data <file>', 'UTF-8 text file')
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .option('--window <n>', 'characters per evaluation window', positiveInt, 256)
  .addOption(backendOption())
  .action(async (opts) => {
    process.exitCode = await evalCommand(opts);
  });

program
  .command('info')
  .description("a checkpoint's configuration, parameter count and training history")
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .option('--json', 'print as JSON', false)
  .action((opts) => {
    process.exitCode = infoCommand(opts);
  });

try {
  await program.parseAsync();
} catch (e) {
  console.error(`recurrent: ${(e as Error).message}`);
  process.exitCode = 1;
}
