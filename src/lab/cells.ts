/**
 * Cells that can be named: the hidden and cell units of a character model
 * over a text, and the simple features of the text each one follows
 * (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and understanding
 * recurrent networks": quote, line-length and bracket cells).
 *
 * The model reads the text once, batch 1, under noGrad, in chunks that carry
 * the state; a probe records after each character t the state h_t of every
 * layer (and c_t, for an LSTM). Each feature f (one number per character, the
 * situation after reading character t) is compared with each unit v by
 * Pearson's correlation
 *
 *   r = Σ_t (f_t − f̄)(v_t − v̄) / √(Σ_t (f_t − f̄)² · Σ_t (v_t − v̄)²),
 *
 * over the raw values: h_t, and c_t unsquashed (a counting cell grows
 * without bound in c; tanh would bend the count it keeps). r is undefined
 * (NaN, never ranked) when the feature or the unit is constant.
 *
 * Shown values (pages, shading, saturation) lie in [−1, 1]: h as it is for
 * LSTM, GRU and tanh cells, tanh(c) for cell states and tanh(h) for
 * (leaky) relu cells. A unit is saturated at t when |shown| > 0.9.
 */
import { noGrad } from '../autograd/variable.js';
import type { CharLM, CharLMState } from '../charlm/model.js';
import type { Vocabulary } from '../charlm/vocabulary.js';
import type { CellType } from '../cells/index.js';
import type { UnitsPage } from '../figures/units-page.js';
import { watch } from '../insight/probe.js';

/** Characters a run reads at most unless told otherwise (states take layers × 2H floats per character). */
export const CELLS_MAX_CHARACTERS = 20_000;

/** Characters per forward call; the state carries from one call to the next. */
export const CELLS_CHUNK = 1_000;

/** |shown value| above which a unit counts as saturated. */
export const CELLS_SATURATION = 0.9;

/** The emitted state h, or an LSTM's cell state c. */
export type StateKind = 'h' | 'c';

/** One unit: layer (from 0, as in `weight_hh_l0`), state and index. */
export interface UnitId {
  readonly layer: number;
  readonly kind: StateKind;
  readonly unit: number;
}

/** The states of one kind of one layer after each character, time-major `(T, width)`, raw. */
export interface StateSeries {
  readonly layer: number;
  readonly kind: StateKind;
  readonly width: number;
  readonly values: Float32Array;
}

/** One number per character: the situation after reading it. */
export interface TextFeature {
  readonly name: string;
  readonly description: string;
  readonly values: Float64Array;
}

export interface UnitCorrelation extends UnitId {
  readonly r: number;
}

/** The units most correlated with one feature (by |r|, largest first); none when the feature is constant. */
export interface FeatureUnits {
  readonly feature: string;
  readonly description: string;
  readonly constant: boolean;
  readonly top: readonly UnitCorrelation[];
}

export interface UnitSaturation extends UnitId {
  /** Fraction of characters at which |shown value| > {@link CELLS_SATURATION}. */
  readonly fraction: number;
}

export interface CellsOptions {
  /** Layers to read (default all). */
  layers?: readonly number[];
  /** Units listed per feature and among the saturated (default 5). */
  top?: number;
  /** Longest text accepted, in characters (default {@link CELLS_MAX_CHARACTERS}). */
  maxCharacters?: number;
  /** Characters per forward call (default {@link CELLS_CHUNK}). */
  chunk?: number;
}

export interface CellsResult {
  /** The text, one code point per entry (the model's characters). */
  readonly characters: readonly string[];
  readonly cell: CellType;
  readonly layers: readonly number[];
  readonly series: readonly StateSeries[];
  readonly features: readonly TextFeature[];
  /** `r[feature][series][unit]`, in the order of `features` and `series`. */
  readonly r: readonly (readonly Float64Array[])[];
  readonly top: readonly FeatureUnits[];
  /** The units most often saturated (fraction > 0 only), most first. */
  readonly saturated: readonly UnitSaturation[];
}

/**
 * Runs `model` over `text` and relates its units to the text's features.
 * @throws when the text is empty, longer than `maxCharacters`, holds
 * characters outside the vocabulary, or a layer does not exist.
 */
export function cellsExperiment(model: CharLM, vocab: Vocabulary, text: string, options: CellsOptions = {}): CellsResult {
  const { numLayers, cell } = model.config;
  const layers = options.layers ?? Array.from({ length: numLayers }, (_, l) => l);
  const top = options.top ?? 5;
  const maxCharacters = options.maxCharacters ?? CELLS_MAX_CHARACTERS;
  const chunk = options.chunk ?? CELLS_CHUNK;
  if (!Number.isInteger(top) || top < 1) throw new Error(`cells: top must be a positive integer, got ${top}`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`cells: chunk must be a positive integer, got ${chunk}`);
  if (layers.length === 0) throw new Error('cells: no layer to read');
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l >= numLayers) throw new Error(`cells: layer ${l} does not exist; the model has layers 0 to ${numLayers - 1}`);
  }
  const characters = Array.from(text);
  if (characters.length === 0) throw new Error('cells: the text is empty');
  if (characters.length > maxCharacters) {
    throw new Error(`cells: the text has ${characters.length.toLocaleString('en-US')} characters, more than the ${maxCharacters.toLocaleString('en-US')} read at most; pass a shorter text or raise the limit`);
  }
  const ids = vocab.encode(text, 'cells: text');
  const series = collectStates(model, ids, layers, chunk);
  const features = textFeatures(characters);
  const T = characters.length;
  const r = features.map((f) => series.map((s) => correlations(f.values, s.values, T, s.width)));
  const topUnits = features.map((f, i): FeatureUnits => {
    const constant = isConstant(f.values);
    const ranked = constant ? [] : rankUnits(series, r[i] as Float64Array[]).slice(0, top);
    return { feature: f.name, description: f.description, constant, top: ranked };
  });
  const saturated = series
    .flatMap((s) => Array.from(saturationFractions(s, cell), (fraction, unit) => ({ layer: s.layer, kind: s.kind, unit, fraction })))
    .filter((u) => u.fraction > 0)
    .sort((a, b) => b.fraction - a.fraction)
    .slice(0, top);
  return { characters, cell, layers: [...layers], series, features, r, top: topUnits, saturated };
}

/**
 * The states of `layers` after each character of `ids`: h for every cell,
 * c as well for an LSTM, read `chunk` characters per forward call with the
 * state carried across calls (so the result does not depend on `chunk`).
 */
export function collectStates(model: CharLM, ids: Int32Array, layers: readonly number[], chunk = CELLS_CHUNK): StateSeries[] {
  const T = ids.length;
  const H = model.config.hiddenSize;
  const kinds: StateKind[] = model.config.cell === 'lstm' ? ['h', 'c'] : ['h'];
  const series: StateSeries[] = layers.flatMap((layer) => kinds.map((kind) => ({ layer, kind, width: H, values: new Float32Array(T * H) })));
  const probe = watch(model.rnn, { states: true, gradients: false, gates: false });
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      let state: CharLMState | null = null;
      for (let start = 0; start < T; start += chunk) {
        const n = Math.min(chunk, T - start);
        state = model.apply({ data: ids.subarray(start, start + n), shape: [n, 1] }, state).state;
        for (const s of series) {
          const record = probe.record(undefined, s.layer);
          const states = s.kind === 'h' ? record.h : record.c;
          if (!states || states.length !== n * H) throw new Error(`cells: layer ${s.layer} recorded no ${s.kind} states of ${n} steps`);
          s.values.set(states, start * H);
        }
      }
    });
  } finally {
    probe.detach();
    model.train(wasTraining);
  }
  return series;
}

const VOWELS = new Set('aeiouAEIOU');
const LETTER = /\p{L}/u;

/**
 * The features of each character t, as the situation after reading it:
 *   inQuotes       1 from an opening double quote up to (not including) its closing one:
 *                  `"` toggles, `“` opens, `”` closes; a newline closes any quote
 *                  (prose re-opens a quote that runs on in the next paragraph)
 *   inParentheses  1 while more `(` than `)` have been read (a `)` with none open is ignored)
 *   linePosition   characters since the last newline (0 at the newline, 1 at a line's
 *                  first character), raw: Pearson's r is the same for any scale
 *   wordPosition   position of t in its run of letters (1, 2, …), 0 at a non-letter
 *   newline, space, vowel (aeiou, either case), digit (0–9)   1 when t is one, else 0
 */
export function textFeatures(characters: readonly string[]): TextFeature[] {
  const T = characters.length;
  const inQuotes = new Float64Array(T);
  const inParentheses = new Float64Array(T);
  const linePosition = new Float64Array(T);
  const wordPosition = new Float64Array(T);
  const newline = new Float64Array(T);
  const space = new Float64Array(T);
  const vowel = new Float64Array(T);
  const digit = new Float64Array(T);
  let quoted = false;
  let depth = 0;
  let column = 0;
  let inWord = 0;
  for (let t = 0; t < T; t++) {
    const ch = characters[t] as string;
    if (ch === '\n') quoted = false;
    else if (ch === '"') quoted = !quoted;
    else if (ch === '“') quoted = true;
    else if (ch === '”') quoted = false;
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    column = ch === '\n' ? 0 : column + 1;
    inWord = LETTER.test(ch) ? inWord + 1 : 0;
    inQuotes[t] = quoted ? 1 : 0;
    inParentheses[t] = depth > 0 ? 1 : 0;
    linePosition[t] = column;
    wordPosition[t] = inWord;
    newline[t] = ch === '\n' ? 1 : 0;
    space[t] = ch === ' ' ? 1 : 0;
    vowel[t] = VOWELS.has(ch) ? 1 : 0;
    digit[t] = ch >= '0' && ch <= '9' ? 1 : 0;
  }
  return [
    { name: 'inQuotes', description: 'inside double quotes', values: inQuotes },
    { name: 'inParentheses', description: 'inside parentheses', values: inParentheses },
    { name: 'linePosition', description: 'characters since the last newline', values: linePosition },
    { name: 'wordPosition', description: 'position within a word', values: wordPosition },
    { name: 'newline', description: 'the character is a newline', values: newline },
    { name: 'space', description: 'the character is a space', values: space },
    { name: 'vowel', description: 'the character is a vowel', values: vowel },
    { name: 'digit', description: 'the character is a digit', values: digit },
  ];
}

/**
 * Pearson's r of `feature` (T) with each column of `values` (T, width),
 * accumulated in float64; NaN for a column (or a feature) that is constant.
 */
export function correlations(feature: ArrayLike<number>, values: ArrayLike<number>, T: number, width: number): Float64Array {
  if (feature.length !== T || values.length !== T * width) {
    throw new Error(`correlations: expected a feature of ${T} and values of ${T}×${width}, got ${feature.length} and ${values.length}`);
  }
  let fMean = 0;
  for (let t = 0; t < T; t++) fMean += feature[t] as number;
  fMean /= T;
  let fSquares = 0;
  for (let t = 0; t < T; t++) fSquares += ((feature[t] as number) - fMean) ** 2;
  const mean = new Float64Array(width);
  for (let t = 0; t < T; t++) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (values[t * width + j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / T;
  const squares = new Float64Array(width);
  const products = new Float64Array(width);
  for (let t = 0; t < T; t++) {
    const f = (feature[t] as number) - fMean;
    for (let j = 0; j < width; j++) {
      const v = (values[t * width + j] as number) - (mean[j] as number);
      squares[j] = (squares[j] as number) + v * v;
      products[j] = (products[j] as number) + f * v;
    }
  }
  const r = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    const denominator = Math.sqrt(fSquares * (squares[j] as number));
    r[j] = denominator > 0 ? Math.max(-1, Math.min(1, (products[j] as number) / denominator)) : Number.NaN;
  }
  return r;
}

/** Pearson's r of two series of equal length (NaN when either is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`pearson: the series differ in length (${x.length} and ${y.length})`);
  return correlations(x, y, x.length, 1)[0] as number;
}

/** Every unit with a defined r, by |r| (largest first; ties in series order). */
function rankUnits(series: readonly StateSeries[], r: readonly Float64Array[]): UnitCorrelation[] {
  return series
    .flatMap((s, i) => Array.from(r[i] as Float64Array, (value, unit) => ({ layer: s.layer, kind: s.kind, unit, r: value })))
    .filter((u) => !Number.isNaN(u.r))
    .sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
}

function isConstant(values: Float64Array): boolean {
  return values.every((v) => v === values[0]);
}

/** Whether a cell type's h already lies in [−1, 1] (LSTM, GRU, tanh), so it is shown as it is. */
function boundedH(cell: CellType): boolean {
  return cell === 'lstm' || cell === 'gru' || cell === 'rnn_tanh';
}

/** A raw state value as shown, in [−1, 1]: h of a bounded cell as it is, tanh of anything else. */
function shown(value: number, kind: StateKind, cell: CellType): number {
  return kind === 'h' && boundedH(cell) ? value : Math.tanh(value);
}

/** The shown values (in [−1, 1]) of one unit over the first `length` characters (default all). */
export function shownValues(result: CellsResult, id: UnitId, length = result.characters.length): Float64Array {
  const s = result.series.find((x) => x.layer === id.layer && x.kind === id.kind);
  if (!s || !(id.unit >= 0 && id.unit < s.width)) throw new Error(`cells: no unit ${unitLabel(id)} was recorded`);
  const n = Math.min(length, result.characters.length);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = shown(s.values[t * s.width + id.unit] as number, id.kind, result.cell);
  return out;
}

/** Per unit of `s`, the fraction of steps at which |shown value| > {@link CELLS_SATURATION}. */
function saturationFractions(s: StateSeries, cell: CellType): Float64Array {
  const T = s.values.length / s.width;
  const counts = new Float64Array(s.width);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < s.width; j++) if (Math.abs(shown(s.values[t * s.width + j] as number, s.kind, cell)) > CELLS_SATURATION) counts[j] = (counts[j] as number) + 1;
  }
  return counts.map((c) => c / T);
}

/** r with its sign and two decimals: `+0.83`, `-0.41`. */
export function formatR(r: number): string {
  return `${r >= 0 ? '+' : ''}${r.toFixed(2)}`;
}

/** What a unit's shown value is: `h`, `tanh(c)` or `tanh(h)`. */
function shownAs(id: UnitId, cell: CellType): string {
  return id.kind === 'h' && boundedH(cell) ? 'h' : `tanh(${id.kind})`;
}

export interface CellsPageOptions {
  readonly title: string;
  /** A sentence on what read what (model, text), put before the page's explanation. */
  readonly about: string;
  /** Characters shown per unit: the text's first ones. */
  readonly characters: number;
}

/**
 * The page of the units found: one block per distinct unit among the
 * features' top units (in feature order), labelled with its best feature
 * and r, the text's first `characters` characters coloured by its shown value.
 */
export function cellsPage(result: CellsResult, options: CellsPageOptions): UnitsPage {
  const n = Math.min(options.characters, result.characters.length);
  const found = new Map<string, { id: UnitId; findings: string[] }>();
  for (const f of result.top) {
    for (const u of f.top) {
      const label = unitLabel(u);
      if (!found.has(label)) found.set(label, { id: u, findings: [] });
      found.get(label)?.findings.push(`${f.description} (r = ${formatR(u.r)})`);
    }
  }
  const units = [...found.entries()].map(([label, { id, findings }]) => ({
    label: `${label}: ${findings[0] as string}`,
    values: shownValues(result, id, n),
    note: `${findings.length > 1 ? `also ${findings.slice(1).join('; ')}; ` : ''}shown: ${shownAs(id, result.cell)}`,
  }));
  const T = result.characters.length;
  const shownText = n < T ? `the first ${n.toLocaleString('en-US')} characters of the ${T.toLocaleString('en-US')} read` : `all ${T.toLocaleString('en-US')} characters`;
  const intro = `${options.about} Each block below colours ${shownText} by one unit's value after reading each character `
    + '(−1 blue, 0 white, +1 red; hover for the value). A unit is listed under the features of the text it correlates with most '
    + "(Pearson's r of its raw value, h or c, over every character read; the block's title gives the strongest). "
    + `Features: ${result.features.map((f) => f.description).join('; ')}.`;
  return { title: options.title, text: result.characters.slice(0, n).join(''), units, intro };
}

/** A unit as plain data: its label (`l1.c[37]`) and coordinates. */
export interface UnitData {
  readonly unit: string;
  readonly layer: number;
  readonly kind: StateKind;
  readonly index: number;
}

/** The results as plain data, ready for JSON (NaN becomes null there). */
export interface CellsSummary {
  readonly characters: number;
  readonly cell: CellType;
  readonly layers: readonly number[];
  readonly features: readonly { name: string; description: string; constant: boolean; top: (UnitData & { r: number })[] }[];
  readonly saturationThreshold: number;
  readonly saturated: readonly (UnitData & { fraction: number })[];
  /** Per recorded layer and state, each feature's r with every unit, by unit index. */
  readonly correlations: readonly { layer: number; kind: StateKind; r: Record<string, number[]> }[];
}

function unitData(id: UnitId): UnitData {
  return { unit: unitLabel(id), layer: id.layer, kind: id.kind, index: id.unit };
}

export function cellsSummary(result: CellsResult): CellsSummary {
  return {
    characters: result.characters.length,
    cell: result.cell,
    layers: result.layers,
    features: result.top.map((f) => ({
      name: f.feature, description: f.description, constant: f.constant,
      top: f.top.map((u) => ({ ...unitData(u), r: u.r })),
    })),
    saturationThreshold: CELLS_SATURATION,
    saturated: result.saturated.map((u) => ({ ...unitData(u), fraction: u.fraction })),
    correlations: result.series.map((s, i) => ({
      layer: s.layer, kind: s.kind,
      r: Object.fromEntries(result.features.map((f, k) => [f.name, Array.from(result.r[k]?.[i] ?? [])])),
    })),
  };
}

/** `l1.c[37]`: layer 1, cell state, unit 37. */
export function unitLabel(id: UnitId): string {
  return `l${id.layer}.${id.kind}[${id.unit}]`;
}

/**
 * Start of the window of `width` values where `values` vary most (largest
 * variance; the first such window) — where a feature, and a unit that
 * follows it, can be seen to change.
 */
export function liveliestWindow(values: ArrayLike<number>, width: number): number {
  const T = values.length;
  if (T <= width) return 0;
  let sum = 0;
  let squares = 0;
  for (let t = 0; t < width; t++) {
    sum += values[t] as number;
    squares += (values[t] as number) ** 2;
  }
  let best = 0;
  let bestVariance = squares / width - (sum / width) ** 2;
  for (let start = 1; start + width <= T; start++) {
    const leaving = values[start - 1] as number;
    const entering = values[start + width - 1] as number;
    sum += entering - leaving;
    squares += entering * entering - leaving * leaving;
    const variance = squares / width - (sum / width) ** 2;
    if (variance > bestVariance + 1e-12) {
      best = start;
      bestVariance = variance;
    }
  }
  return best;
}
