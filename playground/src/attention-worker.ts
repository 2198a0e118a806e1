/**
 * The translation worker: a sequence-to-sequence model with attention —
 * trained here on the built-in dates task, or loaded from the bytes of a
 * `recurrent translate` checkpoint — and its translations with their
 * attention weights.
 *
 * Training is `recurrent translate train`'s on the dates task, step for step:
 * its model (GRU 1×64, bidirectional encoder, Luong general attention,
 * embedding 32, seed 0), Adam at 1e-3, clipping at 5, batches of 64 pairs
 * bucketed by length and reshuffled every epoch by the same generator, and
 * validation by exact match on the 1,000 dev pairs — every
 * {@link VALIDATE_EVERY} seconds of training here (10 s in the command line).
 * The checkpoint is the one the command line writes, so `recurrent translate
 * run` and `translate eval` read it.
 */
import { Random, Seq2Seq, Seq2SeqTrainer, translate } from 'recurrent';
import {
  bucketedBatches, DATES_SOURCE, datesTask, detokenizeTarget, encodePairs, type EncodedPair, evaluateTranslation, EVALUATION_MAX_TOKENS,
  type HistoryEntry, parseTranslator, type RunProgress, serializeTranslator, type TaskSource, taskMetric, tokenizeSource,
  type TokenVocabulary, type TranslationTask, type TranslationTrainConfig,
} from 'recurrent/translate';
import type { AttentionReply, AttentionRequest, DevSample } from './protocol.ts';
import { loadKernels, messageOf, nextTask, onRequest, reply } from './worker.ts';

/** `recurrent translate train`'s model and training settings for the dates task. */
const MODEL = { embeddingSize: 32, hiddenSize: 64, numLayers: 1, cell: 'gru', bidirectional: true, attention: 'general', seed: 0 } as const;
const TRAIN: TranslationTrainConfig = { batchSize: 64, lr: 1e-3, clip: 5, teacherForcing: 1, seed: 0, maxLength: 50 };
/** Seconds of training between validations on the dev pairs. */
const VALIDATE_EVERY = 5;
const SLICE_MS = 40;
const PROGRESS_MS = 150;
/** Dev pairs shown at each validation. */
const SAMPLES = 3;
const post = (message: AttentionReply, transfer?: Transferable[]): void => reply(message, transfer);

/** The model held, and how it came. */
interface Session {
  model: Seq2Seq;
  source: TaskSource;
  sourceVocabulary: TokenVocabulary;
  targetVocabulary: TokenVocabulary;
  train: TranslationTrainConfig;
  /** Pairs per split, for the checkpoint's record. */
  pairs: { train: number; dev: number; test: number };
  history: HistoryEntry[];
  /** Training state, for a model trained here; null for one loaded and not trained since. */
  run: Run | null;
  /** The bytes it was loaded from, while it has not been trained here. */
  loadedBytes: Uint8Array | null;
  /** The loaded checkpoint's step. */
  loadedStep: number;
  /** Step the budget ends at, for the checkpoint's record. */
  budgetSteps: number;
}

/** What a run's next step depends on (as ../../src/seq2seq/run.ts keeps it). */
interface Run {
  task: TranslationTask;
  trainer: Seq2SeqTrainer;
  progress: RunProgress;
  pairs: EncodedPair[];
  shuffler: Random;
  batches: ReturnType<typeof bucketedBatches>;
}

const kernels = loadKernels();
let session: Session | null = null;
let training = false;
let stopRequested = false;

kernels.then(({ info }) => post({ type: 'backend', backend: info }), (e) => post({ type: 'error', about: 'train', message: `the kernels did not load: ${messageOf(e)}` }));

onRequest<AttentionRequest>((request) => {
  handle(request).catch((e) => post({ type: 'error', about: request.type, message: messageOf(e) }));
});

async function handle(request: AttentionRequest): Promise<void> {
  switch (request.type) {
    case 'train': return train(request.maxSteps);
    case 'stop':
      stopRequested = true;
      return;
    case 'translate': return translateText(request.text);
    case 'download': return download();
    case 'load': return load(request.name, new Uint8Array(request.bytes));
  }
}

function held(): Session {
  if (!session) throw new Error('there is no model yet: train one, or load a checkpoint');
  return session;
}

/** Trains the model trained here further, or a new one, for `maxSteps` more steps or until stopped. */
async function train(maxSteps: number | null): Promise<void> {
  if (training) return;
  training = true;
  stopRequested = false;
  try {
    const current = session?.run ? session : await newSession();
    session = current;
    current.loadedBytes = null;
    const run = current.run as Run;
    const from = run.trainer.steps;
    current.budgetSteps = maxSteps === null ? from : from + maxSteps;
    post({ type: 'state', state: 'training', step: from, accuracy: lastAccuracy(current) });
    await runSteps(current, run, maxSteps === null ? Infinity : from + maxSteps);
  } finally {
    training = false;
    post({ type: 'state', state: session?.run ? 'done' : session ? 'loaded' : 'idle', step: steps(session), accuracy: session ? lastAccuracy(session) : null });
  }
}

async function newSession(): Promise<Session> {
  const { backend } = await kernels;
  const task = datesTask(DATES_SOURCE);
  const model = new Seq2Seq({ ...MODEL, sourceVocabSize: task.sourceVocabulary.size, targetVocabSize: task.targetVocabulary.size }, { backend });
  const shuffler = new Random((TRAIN.seed + 1) >>> 0);
  const pairs = encodePairs(task.train, task.sourceVocabulary, task.targetVocabulary).pairs;
  const progress: RunProgress = { seconds: 0, epoch: 1, batch: 0, epochRandom: shuffler.getState(), lossSum: 0, lossCount: 0, best: null };
  const batches = bucketedBatches(pairs, { batchSize: TRAIN.batchSize, random: shuffler });
  const trainer = new Seq2SeqTrainer(model, { lr: TRAIN.lr, clip: TRAIN.clip, teacherForcing: TRAIN.teacherForcing, seed: TRAIN.seed });
  post({ type: 'model', description: describe(model, 'the built-in dates task: English dates → Chinese dates, 20,000 training pairs') });
  return {
    model, source: task.source, sourceVocabulary: task.sourceVocabulary, targetVocabulary: task.targetVocabulary, train: TRAIN,
    pairs: { train: task.train.length, dev: task.dev.length, test: task.test.length }, history: [],
    run: { task, trainer, progress, pairs, shuffler, batches }, loadedBytes: null, loadedStep: 0, budgetSteps: 0,
  };
}

/** The steps, as ../../src/seq2seq/run.ts takes them, in slices between which the page's requests run. */
async function runSteps(s: Session, run: Run, until: number): Promise<void> {
  const { trainer, progress } = run;
  let lastProgress = 0;
  let nextValidation = progress.seconds + VALIDATE_EVERY;
  let loss = Number.NaN;
  while (!stopRequested && trainer.steps < until) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const started = performance.now();
      if (progress.batch >= run.batches.length) {
        progress.epoch++;
        progress.batch = 0;
        progress.epochRandom = run.shuffler.getState();
        run.batches = bucketedBatches(run.pairs, { batchSize: s.train.batchSize, random: run.shuffler });
      }
      loss = trainer.step(run.batches[progress.batch] as (typeof run.batches)[number]);
      progress.batch++;
      progress.seconds += (performance.now() - started) / 1000;
      progress.lossSum += loss;
      progress.lossCount++;
    } while (performance.now() < sliceEnd && trainer.steps < until);
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_MS) {
      post({ type: 'progress', step: trainer.steps, loss, pairsPerSecond: trainer.pairs / Math.max(progress.seconds, 1e-9), epoch: progress.epoch });
      lastProgress = now;
    }
    if (progress.seconds >= nextValidation && trainer.steps < until) {
      validate(s, run);
      nextValidation = progress.seconds + VALIDATE_EVERY;
    }
    await nextTask();
  }
  post({ type: 'progress', step: trainer.steps, loss, pairsPerSecond: trainer.pairs / Math.max(progress.seconds, 1e-9), epoch: progress.epoch });
  if (s.history[s.history.length - 1]?.step !== trainer.steps && trainer.steps > 0) validate(s, run);
}

/** Exact match on the dev pairs, greedy decoding, as the command line validates; the history and the best as it records them. */
function validate(s: Session, run: Run): void {
  const { trainer, progress, task } = run;
  const started = performance.now();
  const scores = evaluateTranslation(s.model, task.dev, { source: s.sourceVocabulary, target: s.targetVocabulary }, { maxLength: EVALUATION_MAX_TOKENS });
  const entry: HistoryEntry = {
    step: trainer.steps, epoch: progress.epoch, seconds: progress.seconds,
    trainLoss: progress.lossCount > 0 ? progress.lossSum / progress.lossCount : Number.NaN,
    bleu: scores.bleu, multiReferenceBleu: scores.multiReferenceBleu, accuracy: scores.accuracy,
    evalSeconds: (performance.now() - started) / 1000,
  };
  s.history.push(entry);
  progress.lossSum = 0;
  progress.lossCount = 0;
  const score = taskMetric(s.source) === 'accuracy' ? entry.accuracy : entry.bleu;
  if (progress.best === null || score > progress.best.score) progress.best = { step: entry.step, seconds: entry.seconds, score };
  const n = scores.translations.length;
  const samples: DevSample[] = Array.from({ length: Math.min(SAMPLES, n) }, (_, k) => scores.translations[Math.floor((k * n) / SAMPLES)]!).map((t) => ({
    source: t.pair.source, reference: t.pair.target, translation: detokenizeTarget(s.source, t.tokens),
    correct: t.tokens.length === t.pair.targetTokens.length && t.tokens.every((token, i) => token === t.pair.targetTokens[i]),
  }));
  post({ type: 'validation', step: entry.step, accuracy: entry.accuracy, samples });
}

/** Greedy decoding of one sentence, as `recurrent translate run` does it, with the attention weights of every output token. */
function translateText(input: string): void {
  const s = held();
  const tokens = tokenizeSource(s.source, input);
  if (tokens.length === 0) throw new Error('type a sentence to translate');
  if (tokens.length > s.train.maxLength) throw new Error(`the sentence has ${tokens.length} tokens, more than this model's limit of ${s.train.maxLength}`);
  const unknown = new Set<string>();
  const ids = s.sourceVocabulary.encode(tokens, unknown);
  const [h] = translate(s.model, [ids], { maxLength: s.train.maxLength + 1 });
  if (!h) throw new Error('the model returned no translation');
  const target = s.targetVocabulary.decode(h.tokens);
  const weights = h.attention ? Float32Array.from(h.attention.data) : null;
  post({
    type: 'translation', input, translation: detokenizeTarget(s.source, target), sourceTokens: tokens,
    outputTokens: h.finished ? [...target, '<eos>'] : target, weights, unknown: [...unknown],
  }, weights ? [weights.buffer] : []);
}

/** The checkpoint's bytes: those loaded, or the run's as `recurrent translate train` writes them. */
function download(): void {
  const s = held();
  const name = `translate-dates-step${steps(s)}.safetensors`;
  let bytes: Uint8Array;
  if (s.run) {
    const { trainer, progress } = s.run;
    bytes = serializeTranslator(trainer, {
      train: s.train, sourceVocabulary: s.sourceVocabulary, targetVocabulary: s.targetVocabulary, data: s.source, pairs: s.pairs,
      budget: { steps: Math.max(s.budgetSteps, trainer.steps) }, progress, history: s.history,
    }, name);
  } else {
    bytes = (s.loadedBytes as Uint8Array).slice();
  }
  post({ type: 'checkpoint', name: s.run ? name : 'translate.safetensors', bytes }, [bytes.buffer]);
}

/** A checkpoint's bytes, checked as `recurrent translate run` checks the file, become the held model. */
async function load(name: string, bytes: Uint8Array): Promise<void> {
  if (training) throw new Error('stop training before loading a checkpoint');
  const { backend } = await kernels;
  const saved = parseTranslator(bytes, backend, name);
  session = {
    model: saved.model, source: saved.data, sourceVocabulary: saved.sourceVocabulary, targetVocabulary: saved.targetVocabulary,
    train: saved.train, pairs: saved.pairs, history: [...saved.history], run: null, loadedBytes: bytes, loadedStep: saved.trainer.steps, budgetSteps: 0,
  };
  const description = describe(saved.model, saved.data.kind === 'dates' ? 'the dates task' : `${saved.data.path} (Tatoeba, Chinese → English)`);
  post({ type: 'model', description });
  post({ type: 'loaded', step: saved.trainer.steps, accuracy: lastAccuracy(session), description });
  post({ type: 'state', state: 'loaded', step: saved.trainer.steps, accuracy: lastAccuracy(session) });
}

function steps(s: Session | null): number {
  return s ? (s.run ? s.run.trainer.steps : s.loadedStep) : 0;
}

function lastAccuracy(s: Session): number | null {
  return s.history[s.history.length - 1]?.accuracy ?? null;
}

/** `GRU 1×64, bidirectional encoder, general attention, 89,113 parameters; data: …`. */
function describe(model: Seq2Seq, data: string): string {
  const c = model.config;
  const cell = c.cell === 'lstm' || c.cell === 'gru' ? c.cell.toUpperCase() : `RNN (${c.cell.slice(4).replace('_', ' ')})`;
  const attention = c.attention === 'none' ? 'no attention' : `${c.attention} attention`;
  return `${cell} ${c.numLayers}×${c.hiddenSize}, ${c.bidirectional ? 'bidirectional' : 'unidirectional'} encoder, ${attention}, embedding ${c.embeddingSize}, ${model.params.size.toLocaleString('en-US')} parameters; data: ${data}`;
}
