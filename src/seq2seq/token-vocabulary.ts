/**
 * Token vocabulary of one side of a translation task: token ↔ id.
 *
 * Ids 0–3 are the specials <pad> <bos> <eos> <unk> (src/seq2seq/batch.ts);
 * the tokens of the training sequences follow (min count 1) by decreasing
 * count, ties in code-point order of the token — the order of
 * `SPECIALS + sorted(counter, key=lambda t: (-counter[t], t))` in
 * ../shared/bench/peers/torch_seq2seq.py, so ids agree with it.
 *
 * As JSON: `{ "tokens": ["<pad>", "<bos>", "<eos>", "<unk>", …] }` (index = id).
 */
import { EOS, BOS, PAD, SPECIAL_TOKENS, UNK } from './batch.js';

export class TokenVocabulary {
  readonly tokens: readonly string[];
  private readonly ids = new Map<string, number>();

  /** `tokens[id]` for every id; the first four must be {@link SPECIAL_TOKENS}, none empty or repeated. */
  constructor(tokens: readonly string[], where = 'TokenVocabulary') {
    SPECIAL_TOKENS.forEach((special, id) => {
      if (tokens[id] !== special) {
        throw new Error(`${where}: entry ${id} must be ${JSON.stringify(special)}, got ${JSON.stringify(tokens[id])}`);
      }
    });
    tokens.forEach((token, id) => {
      if (typeof token !== 'string' || token === '') throw new Error(`${where}: entry ${id} must be a non-empty string, got ${JSON.stringify(token)}`);
      const first = this.ids.get(token);
      if (first !== undefined) throw new Error(`${where}: token ${JSON.stringify(token)} appears twice (ids ${first} and ${id})`);
      this.ids.set(token, id);
    });
    this.tokens = [...tokens];
  }

  /** The vocabulary of `sequences`: specials, then tokens by decreasing count, ties by code point. */
  static fromSequences(sequences: Iterable<readonly string[]>): TokenVocabulary {
    const counts = new Map<string, number>();
    for (const sequence of sequences) {
      for (const token of sequence) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const ordered = [...counts.keys()].sort((a, b) => (counts.get(b) as number) - (counts.get(a) as number) || compareCodePoints(a, b));
    return new TokenVocabulary([...SPECIAL_TOKENS, ...ordered], 'TokenVocabulary.fromSequences');
  }

  /** Checks and loads the JSON form `{ tokens: [...] }`; `where` names the source in messages. */
  static fromJSON(value: unknown, where = 'TokenVocabulary.fromJSON'): TokenVocabulary {
    const tokens = (value as { tokens?: unknown } | null)?.tokens;
    if (typeof value !== 'object' || value === null || !Array.isArray(tokens)) {
      throw new Error(`${where}: expected an object { tokens: string[] }`);
    }
    return new TokenVocabulary(tokens as string[], where);
  }

  toJSON(): { tokens: string[] } {
    return { tokens: [...this.tokens] };
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or undefined if it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /**
   * Ids of `tokens`; a token not in the vocabulary becomes {@link UNK} and is
   * added to `unknown` when given, so callers can report what was mapped to <unk>.
   */
  encode(tokens: readonly string[], unknown?: Set<string>): Int32Array {
    const out = new Int32Array(tokens.length);
    tokens.forEach((token, i) => {
      const id = this.ids.get(token);
      if (id === undefined) unknown?.add(token);
      out[i] = id ?? UNK;
    });
    return out;
  }

  /**
   * Tokens of `ids` up to the first {@link EOS} (excluded); {@link PAD} and
   * {@link BOS} are dropped, {@link UNK} reads "<unk>". An id outside the
   * vocabulary is an error.
   */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id === EOS) break;
      if (id === PAD || id === BOS) continue;
      const token = this.tokens[id];
      if (token === undefined) throw new Error(`TokenVocabulary.decode: id ${id} at position ${i} is outside the vocabulary of ${this.size}`);
      out.push(token);
    }
    return out;
  }
}

/**
 * Orders strings by code point, as Python compares `str` (JavaScript's `<`
 * compares UTF-16 units, which puts astral characters before U+E000–U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's rank when strings are ordered by code point: surrogates after U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}
