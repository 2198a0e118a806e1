/**
 * `recurrent translate run`: translations of the sentences given as
 * arguments, or of each line of stdin, one line of output per input.
 *
 * Source tokens the model never saw in training are read as `<unk>` and
 * named on stderr. A sentence longer than the model's limit (its
 * `--max-length` at training) is refused: given as arguments, before anything
 * is translated; on stdin, that line gets an empty output line and the
 * command exits 1 at the end. With `--show-attention` each translation is
 * followed by its attention weights as a heatmap of shade blocks; with
 * `--attention FILE.svg` they are drawn as SVG (vega and vega-lite needed),
 * one file per sentence (`FILE-1.svg`, `FILE-2.svg`, … when there are
 * several, and for the lines of stdin).
 */
import { createInterface } from 'node:readline';
import { prepareWrite, writeFileAtomic } from '../../io/files.js';
import { attentionSvg, type AttentionFigure } from '../../figures/attention.js';
import { figurePackages } from '../../figures/render.js';
import type { TranslatorCheckpoint } from '../../seq2seq/checkpoint.js';
import { loadTranslator } from '../../seq2seq/checkpoint-file.js';
import { detokenizeTarget, tokenizeSource } from '../../seq2seq/task.js';
import { translate } from '../../seq2seq/translate.js';
import { type BackendChoice, chooseBackend } from '../backend.js';
import { visibleText } from '../../text-display.js';
import { warn } from '../training.js';
import { attentionHeatmap } from './heatmap.js';

export interface TranslateRunOptions {
  checkpoint: string;
  beam: number;
  showAttention: boolean;
  /** Path of the SVG to write. */
  attention?: string;
  backend: BackendChoice;
}

/** An input sentence and where it came from (`sentence 2`, `line 7`). */
interface Input {
  text: string;
  where: string;
}

/** Lines of stdin translated together when stdin is not a terminal. */
const STDIN_BATCH = 64;

export async function translateRunCommand(sentences: readonly string[], o: TranslateRunOptions): Promise<number> {
  const saved = loadTranslator(o.checkpoint, await chooseBackend(o.backend));
  if (o.attention !== undefined && saved.config.attention === 'none') {
    throw new Error(`translate run: --attention ${o.attention}: this model has no attention to draw (it was trained with --attention none)`);
  }
  if (o.attention !== undefined) {
    await figurePackages();
    try {
      prepareWrite(o.attention);
    } catch (e) {
      throw new Error(`translate run: cannot write the figure ${o.attention}: ${(e as Error).message}`, { cause: e });
    }
  }
  const translator = new Translator(saved, o);
  if (sentences.length > 0) {
    const inputs = sentences.map((text, i) => ({ text, where: `sentence ${i + 1}` }));
    const problems = inputs.map((input) => translator.problem(input)).filter((p) => p !== null);
    if (problems.length) throw new Error(`translate run: ${problems.join('; ')}`);
    for (const r of await translator.translate(inputs, sentences.length > 1)) console.log(r.lines.join('\n'));
    return 0;
  }
  const interactive = process.stdin.isTTY === true;
  if (interactive) console.error('Type a sentence to translate and press Enter; Ctrl-D ends.');
  let failed = false;
  let pending: Input[] = [];
  /** Translates the pending lines; a blank or refused line gets an empty output line. */
  const flush = async (): Promise<void> => {
    const lines = pending;
    pending = [];
    const valid = lines.filter((input) => {
      if (input.text.trim() === '') return false;
      const problem = translator.problem(input);
      if (problem) console.error(`recurrent: translate run: ${problem}`);
      failed ||= problem !== null;
      return problem === null;
    });
    const translated = new Map((await translator.translate(valid, true)).map((r) => [r.input, r.lines]));
    for (const input of lines) console.log((translated.get(input) ?? ['']).join('\n'));
  };
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    pending.push({ text: line, where: `line ${++n}` });
    if (interactive || pending.length >= STDIN_BATCH) await flush();
  }
  await flush();
  return failed ? 1 : 0;
}

/** Translates inputs with one checkpoint, as the options ask: text, heatmaps, SVG files. */
class Translator {
  private readonly maxLength: number;
  private figures = 0;

  constructor(private readonly saved: TranslatorCheckpoint, private readonly o: TranslateRunOptions) {
    this.maxLength = saved.train.maxLength;
  }

  /** Why an input cannot be translated (empty, or longer than the model's limit), or null. */
  problem(input: Input): string | null {
    const tokens = tokenizeSource(this.saved.data, input.text);
    if (tokens.length === 0) return `${input.where} is empty`;
    if (tokens.length > this.maxLength) {
      return `${input.where} has ${tokens.length} tokens, more than this model's limit of ${this.maxLength} (set by --max-length when it was trained)`;
    }
    return null;
  }

  /**
   * Translates the inputs (each valid), naming unknown tokens on stderr and
   * writing any SVG (`numbered`: one file per input); returns each input's
   * output lines: the translation, then its heatmap if asked for.
   */
  async translate(inputs: readonly Input[], numbered: boolean): Promise<{ input: Input; lines: string[] }[]> {
    if (inputs.length === 0) return [];
    const { saved, o } = this;
    const tokens = inputs.map((input) => tokenizeSource(saved.data, input.text));
    const ids = tokens.map((t, i) => {
      const unknown = new Set<string>();
      const encoded = saved.sourceVocabulary.encode(t, unknown);
      if (unknown.size) warn(`${(inputs[i] as Input).where}: ${[...unknown].map((u) => JSON.stringify(u)).join(', ')} never seen in training, read as <unk>`);
      return encoded;
    });
    const hypotheses = translate(saved.model, ids, { beam: o.beam, maxLength: this.maxLength + 1 });
    const out: { input: Input; lines: string[] }[] = [];
    for (const [i, h] of hypotheses.entries()) {
      const input = inputs[i] as Input;
      const target = saved.targetVocabulary.decode(h.tokens);
      const lines = [visibleText(detokenizeTarget(saved.data, target))];
      const figure: AttentionFigure | null = h.attention
        ? { sourceTokens: tokens[i] as string[], outputTokens: h.finished ? [...target, '<eos>'] : target, weights: h.attention.data }
        : null;
      if (figure && o.showAttention) lines.push(...attentionHeatmap(figure, process.stdout.isTTY ? process.stdout.columns || 80 : 80), '');
      if (figure && o.attention !== undefined) {
        const path = numbered ? numberedPath(o.attention, ++this.figures) : o.attention;
        const svg = await attentionSvg({ ...figure, title: visibleText(input.text) });
        try {
          writeFileAtomic(path, new TextEncoder().encode(svg));
        } catch (e) {
          throw new Error(`translate run: cannot write the figure ${path}: ${(e as Error).message}`, { cause: e });
        }
      }
      out.push({ input, lines });
    }
    return out;
  }
}

/** `attention.svg`, 2 → `attention-2.svg`. */
function numberedPath(path: string, n: number): string {
  const m = /^(.*[^/\\.])(\.[^./\\]+)$/.exec(path);
  return m ? `${m[1]}-${n}${m[2]}` : `${path}-${n}`;
}
