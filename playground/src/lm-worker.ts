/**
 * The language-model worker: one character model at a time — trained here
 * on a text, or loaded from a checkpoint's bytes — and everything done with
 * it: training with live loss and gradient norms, samples, the checkpoint's
 * bytes, and what its layers do while reading a text.
 *
 * Training is `recurrent train`'s, step for step: the same split (the last
 * 10 % of the text held out), vocabulary, model and optimiser (embedding 64,
 * dropout 0, Adam, clipping at 5, seed 1337 unless the page says otherwise),
 * `CharLMTrainer` drawing the same windows — so the same settings give the
 * same losses — and the moving average of the loss the command line prints.
 * Validation runs every few seconds of training on at most
 * {@link VALIDATION_WINDOWS} windows of 256 characters, and the checkpoint
 * records that cap, as `--val-windows` would.
 */
import { type Backend, crossEntropy, watch, type Probe } from 'recurrent';
import {
  CharLM, type CharLMConfig, CharLMTrainer, type DataInfo, type Fingerprint, fingerprint, parseCharLM, sampleText,
  serializeCharLM, splitText, type TrainConfig, Vocabulary,
} from 'recurrent/charlm';
import type { InsideLayer, LMReply, LMRequest, LMSettings, LossPoint, SampleSettings, TextChoice } from './protocol.ts';
import { loadKernels, messageOf, nextTask, onRequest, reply } from './worker.ts';

/** `recurrent train`'s defaults for what the page does not set. */
const DEFAULTS = { embeddingSize: 64, dropout: 0, seed: 1337, optimizer: 'adam', clip: 5, validationFraction: 0.1 } as const;
/** Validation windows of 256 characters, at most (the checkpoint's `validationWindows`). */
const VALIDATION_WINDOWS = 16;
/** Seconds of training between validations (and samples). */
const VALIDATE_EVERY = 4;
/** Milliseconds of training between looks at the page's requests, progress reports and watched steps. */
const SLICE_MS = 40;
const PROGRESS_MS = 150;
const GRADIENT_MS = 400;
/** Characters of the samples drawn while training (a full one is drawn at the end). */
const PREVIEW_LENGTH = 200;
/** Longest file accepted, and longest text read by Inside. */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;
const MAX_INSIDE_CHARACTERS = 2000;
const post = (message: LMReply, transfer?: Transferable[]): void => reply(message, transfer);

/** A text to learn and what identifies it. */
interface Text {
  /** Same key, same text. */
  key: string;
  text: string;
  source: string;
  fingerprint: Fingerprint;
}

/** The model held, and how it came. */
interface Session {
  model: CharLM;
  vocab: Vocabulary;
  /** The trainer, for a model trained here; null for one loaded and not trained since. */
  trainer: CharLMTrainer | null;
  /** The text it trains on (null: loaded). */
  text: Text | null;
  data: DataInfo;
  /** The bytes it was loaded from, while it has not been trained here, and their step. */
  loadedBytes: Uint8Array | null;
  loadedStep: number;
  /** Moving average of the training loss, as the command line's. */
  smoothed: number;
  /** Step the budget ends at, for the checkpoint's record. */
  budgetSteps: number;
}

const kernels = loadKernels();
let session: Session | null = null;
let textCache: Text | null = null;
let training = false;
let stopRequested = false;

kernels.then(({ info }) => post({ type: 'backend', backend: info }), (e) => post({ type: 'error', about: 'train', message: `the kernels did not load: ${messageOf(e)}` }));

onRequest<LMRequest>((request) => {
  handle(request).catch((e) => post({ type: 'error', about: request.type, message: messageOf(e) }));
});

async function handle(request: LMRequest): Promise<void> {
  switch (request.type) {
    case 'train': return train(request.text, request.settings, request.maxSteps, request.sample);
    case 'stop':
      stopRequested = true;
      return;
    case 'sample': return post({ type: 'sample', text: sample(held(), request.sample, request.sample.length) });
    case 'download': return download();
    case 'load': return load(request.name, new Uint8Array(request.bytes));
    case 'inside': return inside(request.text);
  }
}

function stepOf(s: Session | null): number {
  return s ? (s.trainer ? s.trainer.step : s.loadedStep) : 0;
}

function held(): Session {
  if (!session) throw new Error('there is no model yet: train one, or load a checkpoint');
  return session;
}

/** The text of a choice: a built-in one fetched, or a file's bytes checked as `recurrent train --data` checks a file. */
async function readText(choice: TextChoice): Promise<Text> {
  if (choice.kind === 'built-in') {
    const key = `built-in:${choice.id}`;
    if (textCache?.key === key) return textCache;
    const response = await fetch(choice.url);
    if (!response.ok) throw new Error(`the text ${choice.source} could not be fetched (${response.status} ${response.statusText})`);
    return (textCache = { key, text: await response.text(), source: choice.source, fingerprint: choice.fingerprint });
  }
  const bytes = new Uint8Array(choice.bytes);
  if (bytes.length === 0) throw new Error(`${choice.name} is empty; a character model needs text to learn from`);
  if (bytes.length > MAX_TEXT_BYTES) throw new Error(`${choice.name} has ${bytes.length.toLocaleString('en-US')} bytes, more than the ${MAX_TEXT_BYTES / 2 ** 20} MiB the page reads`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`${choice.name} looks binary (a NUL byte at offset ${nul}); expected UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\r\n/g, '\n');
  } catch {
    throw new Error(`${choice.name} is not valid UTF-8 text`);
  }
  const print = fingerprint(text);
  const key = `file:${print.sha256}`;
  if (textCache?.key === key) return textCache;
  return (textCache = { key, text, source: choice.name, fingerprint: print });
}

/** Trains the held model if it was trained here on the same text with the same settings, else a new one, until `maxSteps` more steps or a stop. */
async function train(choice: TextChoice, settings: LMSettings, maxSteps: number | null, sampling: SampleSettings): Promise<void> {
  if (training) return;
  training = true;
  stopRequested = false;
  post({ type: 'state', state: 'training', step: stepOf(session) });
  try {
    const { backend } = await kernels;
    const text = await readText(choice);
    const continuing = session?.trainer && session.text?.key === text.key && sameSettings(session, settings) ? session : null;
    const current = continuing ?? newSession(text, settings, backend);
    session = current;
    const trainer = current.trainer as CharLMTrainer;
    current.loadedBytes = null;
    current.budgetSteps = maxSteps === null ? trainer.step : trainer.step + maxSteps;
    post({
      type: 'model', description: describe(current.model.config, current.model.params.size, text.source), step: trainer.step,
      layers: current.model.config.numLayers, fresh: !continuing, text: passage(trainer.validationIds, current.vocab),
    });
    await runSteps(current, trainer, maxSteps === null ? Infinity : trainer.step + maxSteps, sampling);
  } finally {
    training = false;
    post({ type: 'state', state: session?.trainer ? 'done' : session ? 'loaded' : 'idle', step: stepOf(session) });
  }
}

function sameSettings(s: Session, settings: LMSettings): boolean {
  const model = s.model.config;
  const train = (s.trainer as CharLMTrainer).config;
  return model.cell === settings.cell && model.numLayers === settings.layers && model.hiddenSize === settings.hidden
    && train.seqLength === settings.seqLength && train.batchSize === settings.batch && train.lr === settings.lr;
}

function newSession(text: Text, settings: LMSettings, backend: Backend): Session {
  const { train, validation } = splitText(text.text, DEFAULTS.validationFraction);
  if (validation.length < 257) {
    throw new Error(`the validation text (the last 10 %) has ${validation.length} characters, fewer than one validation window of 257; use a longer text`);
  }
  const vocab = Vocabulary.fromText(text.text);
  const config: CharLMConfig = {
    cell: settings.cell, vocabSize: vocab.size, embeddingSize: DEFAULTS.embeddingSize, hiddenSize: settings.hidden,
    numLayers: settings.layers, dropout: DEFAULTS.dropout, seed: DEFAULTS.seed,
  };
  const trainConfig: TrainConfig = {
    seqLength: settings.seqLength, batchSize: settings.batch, optimizer: DEFAULTS.optimizer, lr: settings.lr, clip: DEFAULTS.clip, seed: DEFAULTS.seed,
  };
  const model = new CharLM(config, backend);
  const trainer = new CharLMTrainer(model, vocab.encode(train, 'data'), vocab.encode(validation, 'data'), trainConfig);
  return {
    model, vocab, trainer, text, loadedBytes: null, loadedStep: 0, smoothed: Number.NaN, budgetSteps: 0,
    data: { source: text.source, validationFraction: DEFAULTS.validationFraction, fingerprint: text.fingerprint, validationWindows: VALIDATION_WINDOWS },
  };
}

/**
 * The steps, in slices between which the page's requests run; progress,
 * validations and samples on the way, and every {@link GRADIENT_MS} (and at
 * the last step) one step watched for its ‖∂L/∂h_t‖ — watching every step
 * would cost a sixth of the speed.
 */
async function runSteps(s: Session, trainer: CharLMTrainer, until: number, sampling: SampleSettings): Promise<void> {
  let losses: { step: number; loss: number }[] = [];
  let lastProgress = 0;
  let lastGradient = 0;
  let lastValidated = -1;
  let nextValidation = trainer.seconds + VALIDATE_EVERY;
  const validate = (length: number): void => {
    const validationLoss = trainer.evaluate(undefined, { maxWindows: VALIDATION_WINDOWS });
    const entry = trainer.record(s.smoothed, validationLoss);
    lastValidated = trainer.step;
    post({ type: 'validation', point: { step: entry.step, trainLoss: entry.trainLoss, validationLoss }, sample: sampleOrMessage(s, sampling, length) });
  };
  const progress = (): void => {
    post({ type: 'progress', step: trainer.step, loss: s.smoothed, tokensPerSecond: trainer.tokens / Math.max(trainer.seconds, 1e-9), losses });
    losses = [];
    lastProgress = performance.now();
  };
  while (!stopRequested && trainer.step < until) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const probe = performance.now() - lastGradient >= GRADIENT_MS || trainer.step + 1 === until ? watch(s.model.rnn, { gates: false }) : null;
      const loss = trainer.trainStep();
      if (probe) {
        postGradient(probe, trainer.step, s.model.config.numLayers);
        probe.detach();
        lastGradient = performance.now();
      }
      s.smoothed = Number.isNaN(s.smoothed) ? loss : 0.98 * s.smoothed + 0.02 * loss;
      losses.push({ step: trainer.step, loss });
    } while (performance.now() < sliceEnd && trainer.step < until);
    if (performance.now() - lastProgress >= PROGRESS_MS) progress();
    if (trainer.seconds >= nextValidation && trainer.step < until) {
      validate(Math.min(PREVIEW_LENGTH, sampling.length));
      nextValidation = trainer.seconds + VALIDATE_EVERY;
    }
    await nextTask();
  }
  if (losses.length) progress();
  if (lastValidated !== trainer.step && trainer.step > 0) validate(sampling.length);
  else post({ type: 'sample', text: sampleOrMessage(s, sampling, sampling.length) });
}

/** ‖∂L/∂h_t‖ of each layer in the latest training step. */
function postGradient(probe: Probe, step: number, layers: number): void {
  const norms: Float64Array[] = [];
  for (let l = 0; l < layers; l++) {
    const g = probe.record('rnn', l, 0).gradH;
    if (!g) return;
    norms.push(g.slice());
  }
  post({ type: 'gradient', step, layers: norms }, norms.map((n) => n.buffer));
}

/** The prompt and what the model writes after it: `recurrent sample`'s output without its final newline. */
function sample(s: Session, o: SampleSettings, length: number): string {
  const prompt = o.prompt === '' ? undefined : o.prompt;
  const text = sampleText(s.model, s.vocab, { ...(prompt !== undefined ? { prompt } : {}), length, temperature: o.temperature, topK: o.topK, seed: o.seed });
  return (prompt ?? '') + text;
}

function sampleOrMessage(s: Session, o: SampleSettings, length: number): string {
  try {
    return sample(s, o, length);
  } catch (e) {
    post({ type: 'error', about: 'sample', message: messageOf(e) });
    return '';
  }
}

/** The checkpoint's bytes: those loaded, or the trainer's as `recurrent train` writes them. */
function download(): void {
  const s = held();
  const { config } = s.model;
  const step = stepOf(s);
  const name = `charlm-${config.cell}-${config.numLayers}x${config.hiddenSize}-step${step}.safetensors`;
  const bytes = s.trainer
    ? serializeCharLM(s.trainer, s.vocab, { ...s.data, budget: { steps: Math.max(s.budgetSteps, s.trainer.step) } }, name)
    : (s.loadedBytes as Uint8Array).slice();
  post({ type: 'checkpoint', name, bytes }, [bytes.buffer]);
}

/** A checkpoint's bytes, checked as `recurrent sample` checks the file, become the held model. */
async function load(name: string, bytes: Uint8Array): Promise<void> {
  if (training) throw new Error('stop training before loading a checkpoint');
  const { backend } = await kernels;
  const saved = parseCharLM(bytes, backend, name);
  session = {
    model: saved.model, vocab: saved.vocab, trainer: null, text: null, data: saved.data, loadedBytes: bytes, loadedStep: saved.trainer.step,
    smoothed: Number.NaN, budgetSteps: 0,
  };
  const { config, train } = saved;
  post({
    type: 'loaded', step: saved.trainer.step, source: saved.data.source,
    settings: { cell: config.cell, layers: config.numLayers, hidden: config.hiddenSize, seqLength: train.seqLength, batch: train.batchSize, lr: train.lr },
    history: saved.trainer.history.map((h): LossPoint => ({ step: h.step, trainLoss: h.trainLoss, validationLoss: h.validationLoss })),
  });
  post({ type: 'model', description: describe(config, saved.model.params.size, saved.data.source), step: saved.trainer.step, layers: config.numLayers, fresh: true, text: null });
  post({ type: 'state', state: 'loaded', step: saved.trainer.step });
}

/**
 * The held model reads `text`: each layer's states and gate means at every
 * character, and ‖∂L/∂h_t‖ for L = −log p(last character | the ones before
 * it) — how much each earlier state counts for that one prediction, the
 * gradient's reach — recorded by `watch`. Nothing is updated.
 */
function inside(text: string): void {
  const s = held();
  const characters = Array.from(text);
  if (characters.length < 2) throw new Error('give at least two characters: the loss is of the last one, given the others');
  if (characters.length > MAX_INSIDE_CHARACTERS) throw new Error(`the text has ${characters.length} characters; give at most ${MAX_INSIDE_CHARACTERS}`);
  const ids = s.vocab.encode(text, 'the text');
  const T = ids.length;
  const targets = new Int32Array(T).fill(-1);
  targets[T - 2] = ids[T - 1] as number;
  const { model } = s;
  const wasTraining = model.training;
  const probe = watch(model.rnn, { states: true });
  try {
    model.eval();
    const { logits } = model.apply({ data: ids, shape: [T, 1] });
    crossEntropy(logits, { data: targets, shape: [T, 1] }, { ignoreIndex: -1, backend: model.rnn.backend }).backward();
    model.params.zeroGrad();
    const layers: InsideLayer[] = [];
    for (let l = 0; l < model.config.numLayers; l++) {
      const r = probe.record('rnn', l, 0);
      layers.push({
        cell: r.cell, units: r.P, h: Float32Array.from(r.h ?? []), c: r.c ? Float32Array.from(r.c) : null,
        gates: r.gates.map((g) => ({ gate: g.gate, mean: g.mean })), gradH: r.gradH ?? new Float64Array(T),
      });
    }
    const transfer = layers.flatMap((l) => [l.h.buffer, l.gradH.buffer, ...(l.c ? [l.c.buffer] : []), ...l.gates.map((g) => g.mean.buffer)]);
    post({ type: 'inside', characters, layers }, transfer);
  } finally {
    probe.detach();
    model.train(wasTraining);
  }
}

/** `LSTM 1×128, embedding 64, 103,000 parameters; text: …`. */
function describe(config: CharLMConfig, parameters: number, source: string): string {
  const cell = config.cell === 'lstm' || config.cell === 'gru' ? config.cell.toUpperCase() : `RNN (${config.cell.slice(4).replace('_', ' ')})`;
  return `${cell} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, vocabulary ${config.vocabSize}, ${parameters.toLocaleString('en-US')} parameters; text: ${source}`;
}

/** About 400 characters of the validation text, from the start of a line to the end of a line or sentence, for Inside to read. */
function passage(validationIds: Int32Array, vocab: Vocabulary): string {
  let from = 0;
  if (vocab.has('\n')) {
    const newline = vocab.encode('\n')[0];
    while (from < validationIds.length - 1 && validationIds[from] !== newline) from++;
    while (from < validationIds.length - 1 && validationIds[from] === newline) from++;
  }
  const text = vocab.decode(validationIds.subarray(from, from + 400));
  const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('. ') + 1);
  return end > 200 ? text.slice(0, end) : text;
}
