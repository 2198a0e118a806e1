/**
 * Character vocabulary: the distinct characters (Unicode code points) of a
 * corpus, sorted, each mapped to an id.
 */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  constructor(readonly chars: readonly string[]) {
    if (chars.length === 0) throw new Error('Vocabulary: needs at least one character');
    chars.forEach((c, i) => {
      if ([...c].length !== 1) throw new Error(`Vocabulary: entry ${i} (${JSON.stringify(c)}) is not a single character`);
      if (this.ids.has(c)) throw new Error(`Vocabulary: character ${JSON.stringify(c)} appears twice`);
      this.ids.set(c, i);
    });
  }

  /** The sorted distinct characters of `text`. */
  static fromText(text: string): Vocabulary {
    return new Vocabulary([...new Set(text)].sort());
  }

  get size(): number {
    return this.chars.length;
  }

  has(c: string): boolean {
    return this.ids.has(c);
  }

  /** Ids of every character of `text`; unknown characters are an error that lists them. */
  encode(text: string, where = 'Vocabulary.encode'): Int32Array {
    let count = 0;
    for (const _ of text) count++;
    const out = new Int32Array(count);
    const unknown = new Set<string>();
    let i = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) unknown.add(c);
      else out[i] = id;
      i++;
    }
    if (unknown.size) {
      const list = [...unknown].slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
      throw new Error(`${where}: ${unknown.size} character(s) not in the model's vocabulary of ${this.size}: ${list}${unknown.size > 10 ? ', …' : ''}`);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i] as number] ?? '';
    return s;
  }
}
