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
const BACKENDS = ['auto', 'wasm', 'js'] as const;
const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;
/** Choices are listed in the help; the parser (set after them) checks them with its own message. */
const backendOption = (): Option => new Option('--backend <name>', 'kernels: auto (WebAssembly SIMD if available, else js)').choices(BACKENDS).default('auto').argParser(oneOf(BACKENDS));

const TRAIN_OUTPUT = `
Output:
  stdout   the run's record: the configuration, a line per validation with its
           sample, the result. Samples are shown as text: each line of the
           sample after a gutter (│), control characters as symbols (ESC → ␛).
  stderr   warnings, errors, and the progress: a live status line when stderr
           is a terminal, else a status line every 10 s.

  With --json, stdout has one JSON object per line and nothing else (no
  progress display; warnings and errors still on stderr):
    {"event":"start","config":{…},"train":{…},"budget":{"steps"?,"seconds"?},
     "data":{"source","trainCharacters","validationCharacters","vocabulary"},
     "parameters","backend","threads","checkpoint",
     "resumedFrom":null|{"step","elapsedSeconds"}}
    {"event":"validation","step","elapsedSeconds","trainLoss","valLoss","bitsPerChar","sample"}
    {"event":"checkpoint","path","step"}
    {"event":"done","step","elapsedSeconds","tokens","tokensPerSecond","valLoss",
     "bitsPerChar","perplexity","checkpoint","interrupted":null|"SIGINT"|"SIGTERM"}
  Losses in nats/char (null if not measured); elapsedSeconds = training time.

Budget: --steps overrides --epochs; with --time as well, the run stops at
whichever is reached first (a warning says so).`;

const EVAL_OUTPUT = `
With --json, stdout has one JSON object:
  {"data","checkpoint","characters","windows","window","loss","bitsPerChar","perplexity"}
(loss in nats/char; bitsPerChar = loss / ln 2; perplexity = e^loss).`;

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
  .addOption(new Option('--cell <type>', 'recurrent cell (rnn = rnn_tanh)').choices(['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn']).default('lstm').argParser(cellType))
  .option('--layers <n>', 'stacked recurrent layers', positiveInt, 2)
  .option('--hidden <n>', 'hidden units per layer', positiveInt, 256)
  .option('--embedding <n>', 'character embedding size', positiveInt, 64)
  .option('--seq-length <n>', 'characters per training window', positiveInt, 64)
  .option('--batch <n>', 'windows per step', positiveInt, 32)
  .addOption(new Option('--optimizer <name>', 'optimiser').choices(OPTIMIZERS).default('adam').argParser(oneOf(OPTIMIZERS)))
  .option('--lr <rate>', 'learning rate', positiveNumber, 2e-3)
  .option('--clip <norm>', 'clip the global gradient norm to this (0 = off)', nonNegativeNumber, 5)
  .option('--dropout <p>', 'dropout between layers and before the output', probability, 0)
  .option('--time <duration>', "training time budget: 90s, 15m, 1.5h (a bare number is seconds) (default: 5m, or on --resume the checkpoint's)", duration)
  .option('--epochs <n>', 'budget in passes over the training text (with --time: whichever is reached first)', positiveNumber)
  .option('--steps <n>', 'budget in optimisation steps (overrides --epochs; with --time: whichever is reached first)', positiveInt)
  .option('--threads <n>', 'threads for large products with the WebAssembly kernels (default: cores)', integerIn(1, 256))
  .option('--seed <n>', `seed of initialisation, batches and dropout (0 to ${MAX_SEED})`, seed, 1337)
  .option('--val-fraction <f>', 'last fraction of the text held out for validation', fraction, 0.1)
  .option('--val-windows <n>', 'cap on 256-character validation windows (default: all)', positiveInt)
  .addOption(new Option('--validate-every <duration>', 'training time between validations and samples').default(30, '30s').argParser(duration))
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .addOption(new Option('--checkpoint-every <duration>', 'wall time between checkpoints').default(60, '1m').argParser(duration))
  .option('--sample-length <n>', 'characters sampled at each validation (0 = none)', sampleLength, 200)
  .option('--resume', 'continue from --checkpoint exactly where it stopped (same text, configuration and validation)', false)
  .option('--force', 'train even when the model is estimated to need more than half of the memory', false)
  .addOption(backendOption())
  .option('--json', 'JSON lines on stdout (events below) instead of text; no progress display', false)
  .addHelpText('after', TRAIN_OUTPUT)
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
  .option('--json', 'print one JSON object on stdout', false)
  .addHelpText('after', EVAL_OUTPUT)
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
