#!/usr/bin/env node
/**
 * The `recurrent` command line: train, sample, eval, info and export for
 * character-level language models; translate train, eval and run for
 * sequence-to-sequence translation with attention.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ATTENTION_KINDS } from '../attention/index.js';
import { CHARLM_KIND } from '../charlm/checkpoint.js';
import { MAX_SEED } from '../charlm/model.js';
import { MAX_SAMPLE_LENGTH } from '../charlm/sample.js';
import { CheckpointKindError } from '../io/checkpoint.js';
import { TRANSLATOR_KIND } from '../seq2seq/checkpoint.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { infoCommand } from './info.js';
import { labCommand } from './lab/index.js';
import {
  cellType, duration, fraction, integerIn, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber, probability, unitInterval,
} from './options.js';
import { sampleCommand } from './sample.js';
import { trainCommand, type TrainCommandOptions } from './train.js';
import { translateEvalCommand } from './translate/eval.js';
import { translateRunCommand } from './translate/run.js';
import { translateTrainCommand, type TranslateTrainOptions } from './translate/train.js';

const DEFAULT_CHECKPOINT = 'checkpoints/charlm.safetensors';
const seed = integerIn(0, MAX_SEED);
const sampleLength = integerIn(0, MAX_SAMPLE_LENGTH);
const BACKENDS = ['auto', 'native', 'wasm', 'js'] as const;
const ATTENTION_CHOICES = [...ATTENTION_KINDS, 'none'] as const;
const CELL_CHOICES = ['gru', 'lstm', 'rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'rnn'];
const beam = integerIn(1, 100);
/** What to use a checkpoint of the other kind with, for the message that refuses it. */
const KIND_HINT: Readonly<Record<string, string>> = {
  [CHARLM_KIND]: 'it is a character-level language model: use recurrent sample, eval or info with it',
  [TRANSLATOR_KIND]: 'it is a translation model: use recurrent translate run, translate eval or info with it',
};
const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;
/** Choices are listed in the help; the parser (set after them) checks them with its own message. */
const backendOption = (): Option => new Option('--backend <name>', 'kernels: auto (native if built at install, else WebAssembly SIMD, else js)').choices(BACKENDS).default('auto').argParser(oneOf(BACKENDS));

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
    {"event":"validation","step","elapsedSeconds","trainLoss","valLoss","bitsPerChar","sample",
     "diagnostics"?:{"steps","gradientNorm":{"mean","max"},"clipRate","clipFactor",
       "saturation":{"i","f","g","o"}|{"r","z","n"}|{},"keepGate","gradientStartToEnd"}}
    {"event":"checkpoint","path","step"}
    {"event":"done","step","elapsedSeconds","tokens","tokensPerSecond","valLoss",
     "bitsPerChar","perplexity","checkpoint","interrupted":null|"SIGINT"|"SIGTERM"}
  Losses in nats/char (null if not measured); elapsedSeconds = training time.

Diagnostics (with --diagnostics only): over the steps since the previous
validation (steps), the global gradient norm before clipping (mean, max), the
fraction of steps clipped (clipRate) and the mean factor they were scaled by
(clipFactor, 1 if none), per gate the fraction of saturated activations
(sigmoid < 0.1 or > 0.9, |tanh| > 0.9) over layers, positions and steps, the
mean activation of LSTM's forget or GRU's update gate (keepGate; null for an
RNN), and Σ‖∂L/∂h_0‖ / Σ‖∂L/∂h_T−1‖ of the first layer (gradientStartToEnd:
how much more gradient a window's first state gets than its last, whose only
gradient is its own prediction's; not a vanishing rate). They are saved in
the checkpoint's history; a resumed run keeps recording them, and --resume
--diagnostics on a run without them starts recording at the resume.

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
  .description('Character-level language models and translation with recurrent networks (LSTM, GRU, RNN).')
  .showHelpAfterError();

program
  .command('train')
  .description('train a character-level language model (default data: State of the Union addresses since 1945)')
  .option('--data <file>', 'UTF-8 text file to learn (default: the built-in corpus)')
  .addOption(new Option('--cell <type>', 'recurrent cell (rnn = rnn_tanh; rnn_leaky_relu has slope 0.01)').choices(['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'rnn']).default('lstm').argParser(cellType))
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
  .option('--threads <n>', 'threads for large products with the native or WebAssembly kernels (default: cores)', integerIn(1, 256))
  .option('--seed <n>', `seed of initialisation, batches and dropout (0 to ${MAX_SEED})`, seed, 1337)
  .option('--val-fraction <f>', 'last fraction of the text held out for validation', fraction, 0.1)
  .option('--val-windows <n>', 'cap on 256-character validation windows (default: all)', positiveInt)
  .addOption(new Option('--validate-every <duration>', 'training time between validations and samples').default(30, '30s').argParser(duration))
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .addOption(new Option('--checkpoint-every <duration>', 'wall time between checkpoints').default(60, '1m').argParser(duration))
  .option('--sample-length <n>', 'characters sampled at each validation (0 = none)', sampleLength, 200)
  .option('--resume', 'continue from --checkpoint exactly where it stopped (same text, configuration and validation)', false)
  .option('--diagnostics', 'record gradient norms, clipping and gate saturation at each validation (below); the training is unchanged', false)
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
  .option('--plot <file>', 'also draw the training history as an SVG figure: losses, and the diagnostics when recorded (dev scores for translation); needs vega and vega-lite')
  .action(async (opts) => {
    process.exitCode = await infoCommand(opts);
  });

program
  .command('export')
  .description("a character model's checkpoint as an ONNX model (opset 14): ids and state in, logits and state out")
  .requiredOption('--onnx <file>', 'ONNX model file to write')
  .option('--checkpoint <file>', 'checkpoint path', DEFAULT_CHECKPOINT)
  .action(async (opts) => {
    process.exitCode = await exportCommand(opts);
  });

const TRANSLATE_TRAIN_OUTPUT = `
Data: without --data, the built-in dates task (English dates → Chinese dates,
characters; 20,000 training, 1,000 dev and 1,000 test pairs). With --data, a
Tatoeba/Anki file (English TAB Chinese TAB attribution, e.g. cmn.txt from
manythings.org/anki) learnt Chinese → English with the benchmark's split:
≤ 10 English words, pairs grouped by Chinese sentence, 5 % dev, 5 % test,
vocabularies from the training pairs.

Output:
  stdout   the run's record: the configuration, a line per dev evaluation
           with three dev translations, the result.
  stderr   warnings, errors, and the progress.
  Dev scores: exact match (dates) or corpus BLEU-4 with the paper's
  n-gram-count denominator (Tatoeba; as the benchmark and sacreBLEU), greedy
  decoding of at most 20 tokens. The best by that score is saved beside the
  checkpoint (.best before its extension); the budget counts training time
  only, not evaluation.

  With --json, stdout has one JSON object per line:
    {"event":"start","task","metric","config","train","budget","data","parameters",
     "backend","threads","checkpoint","bestCheckpoint","resumedFrom"}
    {"event":"validation","step","epoch","elapsedSeconds","trainLoss","bleu",
     "multiReferenceBleu","accuracy","evalSeconds","best","samples"}
    {"event":"checkpoint","path","step","best"}
    {"event":"done","step","epoch","elapsedSeconds","pairs","pairsPerSecond","best",
     "checkpoint","bestCheckpoint","interrupted"}`;

const translate = program
  .command('translate')
  .description('sequence-to-sequence translation with attention: train, eval, run');

translate
  .command('train')
  .description('train a translation model (default data: the built-in English → Chinese dates task)')
  .option('--data <file>', 'Tatoeba/Anki sentence pairs to learn Chinese → English (default: the dates task)')
  .addOption(new Option('--attention <kind>', 'attention: Luong general (sᵀW h) or dot (sᵀh), projected (scaled dot of projections), Bahdanau (additive), or none').choices(ATTENTION_CHOICES).default('general').argParser(oneOf(ATTENTION_CHOICES)))
  .addOption(new Option('--cell <type>', 'recurrent cell of encoder and decoder (rnn = rnn_tanh)').choices(CELL_CHOICES).default('gru').argParser(cellType))
  .option('--hidden <n>', 'hidden units of the decoder and of each encoder direction (default: 64 for dates, 256 with --data)', positiveInt)
  .option('--embedding <n>', 'token embedding size (default: 32 for dates, 128 with --data)', positiveInt)
  .option('--layers <n>', 'stacked layers of the encoder and of the decoder', positiveInt, 1)
  .option('--bidirectional', 'the encoder reads the source in both directions', true)
  .option('--no-bidirectional', 'the encoder reads the source left to right only')
  .option('--batch <n>', 'pairs per step', positiveInt, 64)
  .option('--lr <rate>', 'Adam learning rate', positiveNumber, 1e-3)
  .option('--clip <norm>', 'clip the global gradient norm to this (0 = off)', nonNegativeNumber, 5)
  .option('--teacher-forcing <p>', 'probability that a decoder input is the reference token rather than its own prediction', unitInterval, 1)
  .option('--max-length <n>', 'longest source or target sentence, in tokens, to train on and to translate', integerIn(1, 10_000), 50)
  .option('--time <duration>', "training time budget: 90s, 15m, 1.5h (default: 1m for dates, 20m with --data; on --resume the checkpoint's)", duration)
  .option('--epochs <n>', 'budget in passes over the training pairs (with --time: whichever is reached first)', positiveNumber)
  .option('--steps <n>', 'budget in optimisation steps (overrides --epochs; with --time: whichever is reached first)', positiveInt)
  .option('--validate-every <duration>', 'training time between dev evaluations (default: 10s for dates, 2m with --data)', duration)
  .option('--checkpoint <file>', 'checkpoint path; the best by dev score goes beside it (default: checkpoints/translate-dates.safetensors, or checkpoints/translate-zh-en.safetensors with --data)')
  .addOption(new Option('--checkpoint-every <duration>', 'wall time between checkpoints').default(60, '1m').argParser(duration))
  .option('--seed <n>', `seed of initialisation, batches and teacher forcing (0 to ${MAX_SEED})`, seed, 0)
  .option('--threads <n>', 'threads for large products with the native or WebAssembly kernels (default: cores)', integerIn(1, 256))
  .addOption(backendOption())
  .option('--resume', 'continue from --checkpoint exactly where it stopped (same data and configuration)', false)
  .option('--force', 'train even when the model is estimated to need more than half of the memory', false)
  .option('--json', 'JSON lines on stdout (events below) instead of text; no progress display', false)
  .addHelpText('after', TRANSLATE_TRAIN_OUTPUT)
  .action(async (opts: TranslateTrainOptions, cmd: Command) => {
    const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
    process.exitCode = await translateTrainCommand(opts, explicit);
  });

translate
  .command('eval')
  .description('BLEU and exact match of a translation checkpoint on its test (or dev) pairs')
  .requiredOption('--checkpoint <file>', 'checkpoint path (the best one: CHECKPOINT with .best before its extension)')
  .option('--data <file>', "the Tatoeba file (default: the one the checkpoint records)")
  .addOption(new Option('--split <name>', 'pairs to score').choices(['test', 'dev']).default('test').argParser(oneOf(['test', 'dev'] as const)))
  .option('--beam <k>', 'beam width (1 = greedy, as the benchmark)', beam, 1)
  .addOption(backendOption())
  .option('--json', 'print one JSON object on stdout', false)
  .addHelpText('after', `
Scores in points (0–100): BLEU-4 with one reference per pair (the benchmark's
number), multi-reference BLEU-4 with one segment per distinct source and all
its references, exact match in percent. Both BLEU use the paper's n-gram-count
denominator; at most 20 tokens are decoded per source.
With --json: {"checkpoint","task","data","split","step","trainingSeconds","pairs","sources",
"beam","maxTokens","denominator","bleu","multiReferenceBleu","accuracy","unknownSourceTokens","seconds"}`)
  .action(async (opts) => {
    process.exitCode = await translateEvalCommand(opts);
  });

translate
  .command('run')
  .description('translate the sentences given, or each line of stdin')
  .argument('[sentences...]', 'sentences to translate (default: the lines of stdin)')
  .requiredOption('--checkpoint <file>', 'checkpoint path')
  .option('--beam <k>', 'beam width (1 = greedy)', beam, 1)
  .option('--show-attention', 'print the attention weights after each translation, as a heatmap of shade blocks', false)
  .option('--attention <file>', 'draw the attention weights as an SVG figure (FILE-1.svg, FILE-2.svg, … for several sentences or stdin); needs vega and vega-lite')
  .addOption(backendOption())
  .action(async (sentences: string[], opts) => {
    process.exitCode = await translateRunCommand(sentences, opts);
  });

labCommand(program);

try {
  await program.parseAsync();
} catch (e) {
  const hint = e instanceof CheckpointKindError ? KIND_HINT[e.found] : undefined;
  console.error(`recurrent: ${(e as Error).message}${hint ? `: ${hint}` : ''}`);
  process.exitCode = 1;
}
