/**
 * The schema of a character-LM checkpoint's JSON document: every field a
 * loader reads, with its type and range, so a malformed or incomplete file
 * is refused on load with the field named (`train.batchSize: missing`)
 * instead of failing later inside the trainer.
 *
 * Older documents load too: `cell: "rnn"` means `rnn_tanh`; `data.fingerprint`
 * and `data.validationWindows` may be absent; losses saved as NaN are `null`.
 * A history entry's `diagnostics` (./diagnostics.ts) and the trainer's
 * `diagnostics` flag are present only in runs that record them.
 */
import { CELL_TYPES } from '../cells/index.js';
import type { CellType, GateName } from '../cells/cell.js';
import { arrayOf, boolean, type Check, integer, nullable, number, object, oneOf, optional, record, SchemaError, string } from '../io/schema.js';
import { optimizerStateSchema, randomStateSchema } from '../io/training-state.js';
import { MAX_SEED } from './model.js';
import type { OptimizerName } from './trainer.js';

const MAX_SIZE = 2 ** 32;
const uint32 = integer(0, MAX_SEED);
const count = integer(0, Number.MAX_SAFE_INTEGER);
const positive = integer(1, MAX_SIZE);

/** A cell type; `rnn`, as earlier versions wrote it, is `rnn_tanh`. */
const cell: Check<CellType> = (v, path) => {
  if (v === 'rnn') return 'rnn_tanh';
  if ((CELL_TYPES as readonly unknown[]).includes(v)) return v as CellType;
  throw new SchemaError(path, `expected one of ${CELL_TYPES.join(', ')} (or rnn), got ${JSON.stringify(v) ?? 'nothing'}`);
};

/** A loss of the history: NaN was written as null. */
const loss: Check<number> = (v, path) => nullable(number())(v, path) ?? Number.NaN;

const fraction = number({ min: 0, max: 1 });
const GATE_NAMES: readonly string[] = ['i', 'f', 'g', 'o', 'r', 'z', 'n'];

/** Saturated fractions by gate name. */
const saturation: Check<Partial<Record<GateName, number>>> = (v, path) => {
  const out = record(fraction)(v, path);
  const unknown = Object.keys(out).find((k) => !GATE_NAMES.includes(k));
  if (unknown !== undefined) throw new SchemaError(`${path}[${JSON.stringify(unknown)}]`, `expected a gate name (${GATE_NAMES.join(', ')})`);
  return out;
};

/** A history entry's diagnostics: a ratio saved as NaN is `null`. */
const diagnostics = object({
  steps: integer(1, Number.MAX_SAFE_INTEGER),
  gradientNorm: object({ mean: number({ min: 0 }), max: number({ min: 0 }) }),
  clipRate: fraction,
  clipFactor: fraction,
  saturation,
  keepGate: nullable(fraction),
  gradientStartToEnd: (v, path) => nullable(number({ min: 0 }))(v, path) ?? Number.NaN,
});

const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'];

export const charLMDocument = object({
  config: object({
    cell,
    vocabSize: positive,
    embeddingSize: positive,
    hiddenSize: positive,
    numLayers: positive,
    dropout: number({ min: 0, max: 1, exclusiveMax: true }),
    seed: uint32,
  }),
  train: object({
    seqLength: positive,
    batchSize: positive,
    optimizer: oneOf(OPTIMIZER_NAMES),
    lr: number({ min: 0, exclusiveMin: true }),
    clip: number({ min: 0 }),
    seed: uint32,
  }),
  vocabulary: arrayOf(string({ maxLength: 2 })),
  data: object({
    source: string(),
    validationFraction: number({ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    validationWindows: optional(nullable(positive)),
    fingerprint: optional(object({ bytes: count, sha256: string({ pattern: /^[0-9a-f]{64}$/ }) })),
    budget: optional(object({ seconds: optional(number({ min: 0, exclusiveMin: true })), steps: optional(integer(1, Number.MAX_SAFE_INTEGER)) })),
  }),
  trainer: object({
    step: count,
    seconds: number({ min: 0 }),
    tokens: count,
    samplerRng: randomStateSchema,
    dropoutRng: randomStateSchema,
    optimizer: optimizerStateSchema,
    history: arrayOf(object({ step: count, seconds: number({ min: 0 }), trainLoss: loss, validationLoss: loss, diagnostics: optional(diagnostics) })),
    diagnostics: optional(boolean()),
  }),
});

/** A checked document. */
export type CharLMDocument = ReturnType<typeof charLMDocument>;
