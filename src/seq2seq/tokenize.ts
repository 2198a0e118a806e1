/**
 * Tokenisers of the translation tasks, and their inverses for display.
 *
 *   English:  the lowercased text's matches of  [a-z0-9]+ | [^a-z0-9\s]
 *             runs of ASCII letters and digits are words; every other
 *             non-space character (code point) is a token of its own:
 *             "Don't stop, Tom!" → don ' t stop , tom !
 *   Chinese:  one token per character (code point) once whitespace is removed:
 *             "我 爱你。" → 我 爱 你 。
 *   chars:    one token per character, whitespace included (the date task).
 *
 * These are the rules of ../shared/bench/peers/torch_seq2seq.py (`tok_en`,
 * `tok_zh`), and they give the same tokens: whitespace is Python's (str.isspace,
 * which `\s` of Python's `re` and `str.split()` use — JavaScript's `\s` differs
 * by U+001C–U+001F, U+0085 and U+FEFF), lowercasing is Unicode's full case
 * mapping on both sides, and both iterate code points, not UTF-16 units.
 */

/** Python's whitespace (str.isspace), as the body of a character class. */
const WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const ENGLISH_TOKEN = new RegExp(`[a-z0-9]+|[^a-z0-9${WHITESPACE}]`, 'gu');
const WHITESPACE_RUN = new RegExp(`[${WHITESPACE}]+`, 'gu');
const WORD = /^[a-z0-9]+$/;
const DIGITS = /^[0-9]+$/;

/** English tokens of `text`: lowercased words and single punctuation characters. */
export function tokenizeEnglish(text: string): string[] {
  return text.toLowerCase().match(ENGLISH_TOKEN) ?? [];
}

/** Chinese tokens of `text`: its characters, whitespace removed. */
export function tokenizeChinese(text: string): string[] {
  return Array.from(text.replace(WHITESPACE_RUN, ''));
}

/** The characters of `text`, whitespace included. */
export function tokenizeCharacters(text: string): string[] {
  return Array.from(text);
}

/** The number of whitespace-separated words of `text` (Python's `len(text.split())`). */
export function countWords(text: string): number {
  return text.split(WHITESPACE_RUN).filter((word) => word.length > 0).length;
}

/** Tokens that attach to the token before them: "tom ." → "tom." */
const CLOSING = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%', '…']);
/** Tokens that attach to the token after them: "( yes" → "(yes" */
const OPENING = new Set(['(', '[', '{', '$', '#']);
/** Tokens that join two words without spaces: don ' t → don't, e - mail → e-mail */
const JOINING = new Set(["'", '-', '/']);
/** Tokens that join two numbers without spaces: 3 . 5 → 3.5, 10 : 30 → 10:30, 1 , 000 → 1,000 */
const NUMERIC_JOINING = new Set(['.', ':', ',']);

/**
 * English tokens as a sentence for display: tokens joined by spaces, except
 * that closing punctuation attaches to the token before it, opening
 * punctuation to the token after it, an apostrophe, hyphen or slash between
 * two words joins them, and `.`, `:` or `,` between two numbers joins them.
 * A double quote opens and closes in turn. Case is not restored (the tokens are
 * lowercase), so this is not the inverse of {@link tokenizeEnglish}.
 *
 *   ["don", "'", "t", "go", ",", "tom", "!"] → "don't go, tom!"
 */
export function detokenizeEnglish(tokens: readonly string[]): string {
  let text = '';
  let quoteOpen = false;
  let glueNext = true; // no space before the first token
  tokens.forEach((token, i) => {
    const before = tokens[i - 1] ?? '';
    const after = tokens[i + 1] ?? '';
    const joinsWords = JOINING.has(token) && WORD.test(before) && WORD.test(after);
    const joinsNumbers = NUMERIC_JOINING.has(token) && DIGITS.test(before) && DIGITS.test(after);
    let attachBefore = CLOSING.has(token) || joinsWords || joinsNumbers;
    let attachAfter = OPENING.has(token) || joinsWords || joinsNumbers;
    if (token === '"') {
      attachBefore = quoteOpen;
      attachAfter = !quoteOpen;
      quoteOpen = !quoteOpen;
    }
    text += glueNext || attachBefore ? token : ` ${token}`;
    glueNext = attachAfter;
  });
  return text;
}

/** Chinese (or character) tokens as text: joined without spaces. */
export function detokenizeChinese(tokens: readonly string[]): string {
  return tokens.join('');
}
