/**
 * Arbitrary text (a model's sample) shown as text on a terminal or in a log,
 * never as escapes and never as commands to the terminal:
 *
 *   newline          → a new line, indented under the first (a gutter `│`)
 *   tab              → spaces to the next multiple of 8 columns
 *   C0 control, DEL  → its Control Pictures symbol (U+2400 + code: ESC → ␛, CR → ␍; DEL → ␡)
 *   C1 control, line/paragraph separator, bidirectional override
 *                    → `⟨U+009B⟩`
 *
 * Widths count terminal columns: combining marks take 0, East Asian wide
 * characters and pictographs 2 (an approximation of Unicode's East Asian Width).
 */

const TAB_STOP = 8;

/** C1 controls, U+2028/U+2029 and the bidirectional marks, embeddings, overrides and isolates. */
const INVISIBLE = /[\u0080-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufeff]/u;
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** Terminal columns taken by one code point that is not a control character. */
export function columnsOf(ch: string): number {
  return ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
}

/** Terminal columns taken by a line of printable text. */
export function displayWidth(line: string): number {
  let w = 0;
  for (const ch of line) w += columnsOf(ch);
  return w;
}

/** One code point as printable text: a symbol for a control character, the character itself otherwise. */
function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  if (INVISIBLE.test(ch)) return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  return ch;
}

/** Text as one printable line: every control character (newlines and tabs too) as its symbol. */
export function visibleText(text: string): string {
  return Array.from(text, visible).join('');
}

/**
 * A line of text (no newline) as printable pieces, tabs expanded, cut into
 * rows of at most `width` columns (no limit when `width` is Infinity).
 */
function rows(line: string, width: number): string[] {
  const out: string[] = [];
  let row = '';
  let column = 0;
  const put = (piece: string, columns: number): void => {
    if (column + columns > width && column > 0) {
      out.push(row);
      row = '';
      column = 0;
    }
    row += piece;
    column += columns;
  };
  for (const ch of line) {
    if (ch === '\t') {
      const spaces = TAB_STOP - (column % TAB_STOP);
      put(' '.repeat(Math.min(spaces, width)), Math.min(spaces, width));
    } else {
      const shown = visible(ch);
      put(shown, shown === ch ? columnsOf(ch) : displayWidth(shown));
    }
  }
  out.push(row);
  return out;
}

/**
 * `text` as lines under a label: the first starts with `label` and `│ `, the
 * others with as many spaces and `│ `. With `width`, rows longer than that
 * many columns (label included) wrap onto further gutter lines.
 *
 *   quoteText('sample', 'one\ntwo') → ['sample │ one', '       │ two']
 */
export function quoteText(label: string, text: string, width = Infinity): string[] {
  const first = `${label} │ `;
  const rest = `${' '.repeat(displayWidth(label))} │ `;
  const room = Math.max(1, width - displayWidth(first));
  const lines = text.split('\n').flatMap((line) => rows(line, room));
  return lines.map((line, i) => `${i === 0 ? first : rest}${line}`.trimEnd());
}
