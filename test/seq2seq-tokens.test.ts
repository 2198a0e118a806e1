/**
 * Tokenisers and token vocabularies of the translation tasks: the same tokens,
 * word counts and vocabulary order as ../shared/bench/peers/torch_seq2seq.py
 * on awkward strings (test/fixtures/tatoeba_split.json), detokenisation for
 * display, encode/decode with <unk>, and the JSON round trip with its checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EOS, PAD, BOS, UNK, SPECIAL_TOKENS } from '../src/seq2seq/batch.js';
import { compareCodePoints, TokenVocabulary } from '../src/seq2seq/token-vocabulary.js';
import { countWords, detokenizeChinese, detokenizeEnglish, tokenizeCharacters, tokenizeChinese, tokenizeEnglish } from '../src/seq2seq/tokenize.js';
import { loadFixture } from './helpers.js';

const fixture = loadFixture<{
  tokenizers: { text: string; english: string[]; chinese: string[]; words: number }[];
  vocabularyOrder: { sequences: string[][]; tokens: string[] };
}>('tatoeba_split.json');

describe('tokenisers', () => {
  test("give the reference script's tokens and word counts on awkward strings", () => {
    for (const c of fixture.tokenizers) {
      assert.deepEqual(tokenizeEnglish(c.text), c.english, `English tokens of ${JSON.stringify(c.text)}`);
      assert.deepEqual(tokenizeChinese(c.text), c.chinese, `Chinese tokens of ${JSON.stringify(c.text)}`);
      assert.equal(countWords(c.text), c.words, `words of ${JSON.stringify(c.text)}`);
    }
    assert.ok(fixture.tokenizers.some((c) => c.text.includes('\u001c') && c.text.includes('\ufeff')));
  });

  test('English: lowercased words, every other non-space character alone', () => {
    assert.deepEqual(tokenizeEnglish("Don't stop, Tom!"), ['don', "'", 't', 'stop', ',', 'tom', '!']);
    assert.deepEqual(tokenizeEnglish('   '), []);
  });

  test('Chinese: one token per code point, whitespace removed; characters keep whitespace', () => {
    assert.deepEqual(tokenizeChinese('我 爱\t你。'), ['我', '爱', '你', '。']);
    assert.deepEqual(tokenizeChinese('𠀀好'), ['𠀀', '好']);
    assert.deepEqual(tokenizeCharacters('Nov 1'), ['N', 'o', 'v', ' ', '1']);
  });

  test('detokenisation for display', () => {
    const cases: [string, string][] = [
      ["Don't go, Tom!", "don't go, tom!"],
      ["It's 3.5% at 10:30.", "it's 3.5% at 10:30."],
      ['He said "yes" (twice).', 'he said "yes" (twice).'],
      ['A well-known e-mail costs $5; really?', 'a well-known e-mail costs $5; really?'],
      ['1,000 and/or 2', '1,000 and/or 2'],
      ['Wait — what?', 'wait — what?'],
    ];
    for (const [text, display] of cases) assert.equal(detokenizeEnglish(tokenizeEnglish(text)), display, text);
    assert.equal(detokenizeEnglish([]), '');
    assert.equal(detokenizeChinese(tokenizeChinese('我 爱你。')), '我爱你。');
  });
});

describe('token vocabulary', () => {
  test("orders tokens by count, ties by code point — the reference script's order", () => {
    const v = TokenVocabulary.fromSequences(fixture.vocabularyOrder.sequences);
    assert.deepEqual(v.tokens, fixture.vocabularyOrder.tokens);
    // UTF-16 order would put the astral 𠀀 (a surrogate pair) before U+FF01.
    assert.ok(compareCodePoints('\uff01', '𠀀') < 0 && '\uff01' > '𠀀');
    assert.ok(compareCodePoints('ab', 'abc') < 0 && compareCodePoints('b', 'abc') > 0 && compareCodePoints('x', 'x') === 0);
  });

  test('specials first; encode maps unseen tokens to <unk> and reports them; decode stops at <eos>', () => {
    const v = TokenVocabulary.fromSequences([['a', 'b', 'a'], ['c', 'a']]);
    assert.deepEqual(v.tokens, [...SPECIAL_TOKENS, 'a', 'b', 'c']);
    const unknown = new Set<string>();
    assert.deepEqual([...v.encode(['a', 'x', 'c', 'y', 'x'], unknown)], [4, UNK, 6, UNK, UNK]);
    assert.deepEqual([...unknown], ['x', 'y']);
    assert.deepEqual([...v.encode([])], []);
    assert.deepEqual(v.decode([BOS, 4, UNK, 5, PAD, 6, EOS, 4]), ['a', '<unk>', 'b', 'c']);
    assert.throws(() => v.decode([4, 7]), /id 7 at position 1 is outside the vocabulary of 7/);
  });

  test('JSON round trip, and refusal of a malformed vocabulary', () => {
    const v = TokenVocabulary.fromSequences([['你', '好'], ['好']]);
    const back = TokenVocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokens, v.tokens);
    assert.equal(back.id('好'), 4);
    assert.throws(() => TokenVocabulary.fromJSON(null, 'vocab.json'), /vocab\.json: expected an object \{ tokens: string\[\] \}/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: 'abc' }), /expected an object/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: ['<pad>', '<bos>', '<unk>', '<eos>'] }), /entry 2 must be "<eos>", got "<unk>"/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: ['<pad>', '<bos>', '<eos>'] }), /entry 3 must be "<unk>", got undefined/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: [...SPECIAL_TOKENS, 'a', 'b', 'a'] }), /token "a" appears twice \(ids 4 and 6\)/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: [...SPECIAL_TOKENS, ''] }), /entry 4 must be a non-empty string/);
    assert.throws(() => TokenVocabulary.fromJSON({ tokens: [...SPECIAL_TOKENS, 7] }), /entry 4 must be a non-empty string, got 7/);
  });
});
