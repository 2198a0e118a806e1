/**
 * `recurrent lab cells`: which hidden and cell units of a character model
 * follow which features of a text (Karpathy, Johnson & Fei-Fei 2015).
 *
 *   units.html   the text's first --page-chars characters coloured by each unit found
 *   cells.json   the top units per feature, the most saturated, every r
 *   stdout       the table of top units per feature, the most saturated, and
 *                for the best unit of each feature a shaded excerpt of the text
 *                (with --json: the results as one JSON object instead)
 *   stderr       what is read, by what
 */
import { basename } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadCharLM } from '../../charlm/checkpoint-file.js';
import { readTextFile } from '../../charlm/corpus.js';
import { cellLabel } from '../../charlm/model.js';
import { visibleText } from '../../text-display.js';
import { shadedHeatmap } from '../../figures/terminal.js';
import { unitsPage } from '../../figures/units-page.js';
import {
  CELLS_MAX_CHARACTERS, CELLS_SATURATION, cellsExperiment, cellsPage, type CellsResult, cellsSummary, formatR,
  liveliestWindow, shownValues, unitLabel,
} from '../../lab/cells.js';
import { type BackendChoice, chooseBackend } from '../backend.js';
import { integerIn, nonNegativeInt, oneOf } from '../options.js';
import { DEFAULT_LAB_FOLDER, LabOutput } from './output.js';

/** The checkpoint the character-model commands use unless told otherwise. */
const DEFAULT_CHECKPOINT = 'checkpoints/charlm.safetensors';
const BACKENDS = ['auto', 'wasm', 'js'] as const;
/** Characters of each excerpt shaded in the terminal. */
const EXCERPT_WIDTH = 60;
/** Most characters --max-chars allows: the states take layers × 2 × hidden floats per character. */
const MAX_CHARACTERS_LIMIT = 1_000_000;

export interface CellsCommandOptions {
  checkpoint: string;
  text: string;
  layer: number | 'all';
  top: number;
  maxChars: number;
  pageChars: number;
  out: string;
  json: boolean;
  backend: BackendChoice;
}

function layerChoice(value: string): number | 'all' {
  if (value === 'all') return 'all';
  try {
    return nonNegativeInt(value);
  } catch {
    throw new InvalidArgumentError(`expected all or a layer number from 0, got '${value}'`);
  }
}

export function cellsCommand(lab: Command): void {
  lab
    .command('cells')
    .description("which hidden and cell units of a character model follow quotes, parentheses, line and word position, … in a text")
    .requiredOption('--text <file>', 'UTF-8 text for the model to read (best held out: not what it learnt)')
    .option('--checkpoint <file>', 'character-model checkpoint', DEFAULT_CHECKPOINT)
    .option('--layer <n>', 'the layer to read, from 0, or all', layerChoice, 'all')
    .option('--top <n>', 'units listed per feature', integerIn(1, 100), 5)
    .option('--max-chars <n>', 'refuse a longer text (characters)', integerIn(1, MAX_CHARACTERS_LIMIT), CELLS_MAX_CHARACTERS)
    .option('--page-chars <n>', 'characters of the text shown per unit on the page (its first ones)', integerIn(1, 100_000), 2_000)
    .option('--out <dir>', 'folder for units.html and cells.json', DEFAULT_LAB_FOLDER)
    .option('--json', 'print the results as one JSON object instead of the table', false)
    .addOption(new Option('--backend <name>', 'kernels: auto (native if built at install, else WebAssembly SIMD, else js)').choices(BACKENDS).default('auto').argParser(oneOf(BACKENDS)))
    .addHelpText('after', `
Features of each character (the situation after reading it): inside double
quotes (" toggles, “ opens, ” closes, a newline closes), inside parentheses,
characters since the last newline, position within a word (letters), and
whether it is a newline, a space, a vowel, a digit. Units are ranked by |r|,
Pearson's correlation of the unit's raw value (h, or c of an LSTM) with the
feature over every character read. Shown values lie in [-1, 1]: h of LSTM,
GRU and tanh cells as it is, tanh(c), and tanh(h) of relu cells; saturated
means |shown| > ${CELLS_SATURATION}.`)
    .action(async (opts: CellsCommandOptions) => {
      process.exitCode = await cellsRun(opts);
    });
}

async function cellsRun(o: CellsCommandOptions): Promise<number> {
  const { model, config, vocab } = loadCharLM(o.checkpoint, await chooseBackend(o.backend));
  const text = readTextFile(o.text);
  const characters = Array.from(text).length;
  if (characters > o.maxChars) {
    throw new Error(`lab cells: ${o.text} has ${characters.toLocaleString('en-US')} characters, more than --max-chars ${o.maxChars.toLocaleString('en-US')}; pass a shorter text or a larger --max-chars`);
  }
  vocab.encode(text, `lab cells: ${o.text}`); // unknown characters: fail before reading anything
  if (o.layer !== 'all' && o.layer >= config.numLayers) throw new Error(`lab cells: --layer ${o.layer}: the model has layers 0 to ${config.numLayers - 1}`);
  const modelName = `${cellLabel(config.cell)} ${config.numLayers}×${config.hiddenSize}`;
  process.stderr.write(`lab cells: ${modelName} (${o.checkpoint}) reading ${characters.toLocaleString('en-US')} characters of ${o.text}\n`);
  const result = cellsExperiment(model, vocab, text, {
    ...(o.layer === 'all' ? {} : { layers: [o.layer] }), top: o.top, maxCharacters: o.maxChars,
  });
  const about = `${modelName} (${basename(o.checkpoint)}) read ${basename(o.text)}.`;
  const out = new LabOutput(o.out);
  const page = out.file('units.html', unitsPage(cellsPage(result, { title: `Units of ${modelName} over ${basename(o.text)}`, about, characters: o.pageChars })));
  const summary = { checkpoint: o.checkpoint, text: o.text, ...cellsSummary(result) };
  const json = out.json('cells', summary);
  if (o.json) {
    const { correlations: _all, ...compact } = summary;
    process.stdout.write(`${JSON.stringify({ ...compact, files: [page, json] })}\n`);
    return 0;
  }
  for (const line of report(result, modelName)) console.log(line);
  console.log(`wrote ${page}, ${json}`);
  return 0;
}

/** The table of top units per feature, the saturated units, and a shaded excerpt for each feature's best unit. */
function report(result: CellsResult, modelName: string): string[] {
  const T = result.characters.length;
  const lines = [`${modelName}, layers ${result.layers.join(', ')}: Pearson's r of each unit with each feature over ${T.toLocaleString('en-US')} characters`, ''];
  const nameWidth = Math.max('feature'.length, ...result.top.map((f) => f.feature.length));
  const cells = result.top.map((f) => f.top.map((u) => `${unitLabel(u)} ${formatR(u.r)}`));
  const cellWidth = Math.max(0, ...cells.flat().map((c) => c.length));
  const ranks = Math.max(0, ...cells.map((c) => c.length));
  lines.push(`${'feature'.padEnd(nameWidth)}  ${Array.from({ length: ranks }, (_, k) => `#${k + 1}`.padEnd(cellWidth)).join('  ')}`.trimEnd());
  result.top.forEach((f, i) => {
    const row = f.constant ? '(constant over this text)' : (cells[i] as string[]).map((c) => c.padEnd(cellWidth)).join('  ');
    lines.push(`${f.feature.padEnd(nameWidth)}  ${row}`.trimEnd());
  });
  lines.push('', result.saturated.length === 0
    ? `saturated (|shown value| > ${CELLS_SATURATION}): none`
    : `most often saturated (|shown value| > ${CELLS_SATURATION}): ${result.saturated.map((u) => `${unitLabel(u)} ${(100 * u.fraction).toFixed(0)}%`).join(', ')}`);

  const best = result.top.filter((f) => f.top.length > 0);
  if (best.length === 0) return lines;
  const width = Math.min(EXCERPT_WIDTH, T);
  const excerpts = best.map((f) => {
    const feature = result.features.find((x) => x.name === f.feature)!;
    const start = liveliestWindow(feature.values, width);
    const unit = f.top[0]!;
    return {
      name: f.feature, label: `${unitLabel(unit)} ${formatR(unit.r)}`,
      text: visibleText(result.characters.slice(start, start + width).join('')),
      values: shownValues(result, unit).subarray(start, start + width),
    };
  });
  const labelWidth = Math.max(...excerpts.flatMap((e) => [e.name.length, e.label.length]));
  const shaded = shadedHeatmap(excerpts.map((e) => ({ label: e.label.padEnd(labelWidth), values: e.values })), { domain: [-1, 1], width });
  lines.push('', `the best unit of each feature where the feature changes most (${width} characters; + positive, − negative values):`);
  excerpts.forEach((e, i) => lines.push(`${e.name.padEnd(labelWidth)}   ${e.text}`, shaded[2 * i] as string, shaded[2 * i + 1] as string));
  lines.push(shaded[shaded.length - 1] as string);
  return lines;
}
