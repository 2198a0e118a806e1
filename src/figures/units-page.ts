/**
 * What single units respond to, as a web page: for each unit, the text the
 * model read with every character's background coloured by the unit's value
 * after reading it, as in Karpathy, Johnson & Fei-Fei, "Visualizing and
 * understanding recurrent networks" (2015). Values run from −1 (blue) through
 * 0 (white) to +1 (red), linearly in sRGB ({@link unitColour}, for pages of
 * one's own); values beyond ±1 take the end colours. Hovering a character
 * shows its value.
 *
 * The page is one self-contained HTML document (inline CSS, no scripts, no
 * fetched resources); all text is HTML-escaped. Newlines are kept, each shown
 * as a coloured `↵` before the line break; a tab stays a tab and other
 * control characters read as their symbols (U+2400 + code). The caller
 * writes it, e.g. with `writeFileAtomic` (src/io/files.ts).
 *
 * Example:
 *   unitsPage({ title: 'LSTM 512, layer 2', text, units: [{ label: 'cell 97', values: tanhOfCell97, note: 'inside quotes' }] });
 */

export interface UnitTrace {
  readonly label: string;
  /** One per character of the text (code point, `Array.from(text)`), in [−1, 1]. */
  readonly values: ArrayLike<number>;
  /** A line under the label: what the unit seems to track. */
  readonly note?: string;
}

export interface UnitsPage {
  readonly title: string;
  readonly text: string;
  readonly units: readonly UnitTrace[];
  /** A paragraph under the title. */
  readonly intro?: string;
}

/** The colours at −1, 0 and +1 (ColorBrewer RdBu, light enough for black text). */
const NEGATIVE = [67, 147, 195];
const ZERO = [255, 255, 255];
const POSITIVE = [214, 96, 77];
const LEGEND_VALUES = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1];

const STYLE = `
body { font-family: system-ui, 'DejaVu Sans', sans-serif; color: #222; margin: 2em auto; max-width: 64em; padding: 0 1em; }
h2 { font-size: 1.1em; margin: 1.6em 0 0.2em; }
p.note { margin: 0 0 0.4em; color: #555; }
pre { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 14px; line-height: 1.45;
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 0.5em; border: 1px solid #ddd; }
.legend span { display: inline-block; min-width: 3.2em; padding: 0.15em 0; text-align: center; font-family: ui-monospace, monospace; font-size: 13px; }
`;

/** The page (see the module comment). @throws Error when a unit's values do not match the text, one per character, or one is NaN. */
export function unitsPage(page: UnitsPage): string {
  const characters = Array.from(page.text);
  if (page.units.length === 0) throw new Error('unitsPage: expected at least one unit, got none');
  const sections = page.units.map((unit, u) => {
    const where = `unitsPage: unit ${u} ('${unit.label}')`;
    if (unit.values.length !== characters.length) {
      throw new Error(`${where} has ${unit.values.length} values; expected one per character of the text, ${characters.length}`);
    }
    const spans = characters.map((ch, i) => {
      const v = unit.values[i] as number;
      if (Number.isNaN(v)) throw new Error(`${where}: the value at character ${i} is NaN`);
      const shown = ch === '\n' ? '↵' : visible(ch);
      return `<span style="background:${unitColour(v)}" title="${v.toFixed(3)}">${escapeHtml(shown)}</span>${ch === '\n' ? '\n' : ''}`;
    });
    const note = unit.note ? `\n<p class="note">${escapeHtml(unit.note)}</p>` : '';
    return `<section>\n<h2>${escapeHtml(unit.label)}</h2>${note}\n<pre>${spans.join('')}</pre>\n</section>`;
  });
  const legend = LEGEND_VALUES.map((v) => `<span style="background:${unitColour(v)}">${v === 0 ? '0' : `${v > 0 ? '+' : '−'}${Math.abs(v)}`}</span>`).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    ...(page.intro ? [`<p>${escapeHtml(page.intro)}</p>`] : []),
    `<p class="legend">value: ${legend}</p>`,
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The background of a unit's value (`#rrggbb`): white at 0, blending linearly to {@link POSITIVE} at +1 or {@link NEGATIVE} at −1. */
export function unitColour(v: number): string {
  const t = Math.min(1, Math.abs(v));
  const end = v < 0 ? NEGATIVE : POSITIVE;
  const hex = ZERO.map((z, k) => Math.round(z + t * ((end[k] as number) - z)).toString(16).padStart(2, '0'));
  return `#${hex.join('')}`;
}

/** A character as shown: a tab as itself, other control characters as their Control Pictures symbol. */
function visible(ch: string): string {
  const code = ch.codePointAt(0) as number;
  if (ch === '\t') return ch;
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return ch;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}
