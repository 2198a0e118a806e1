/**
 * Tatoeba files and the Chinese→English split: the reader's refusals (file and
 * line named), the split's invariants on made-up rows, and the benchmark split
 * of ../shared/data/tatoeba-cmn-eng/cmn.txt reproduced exactly — counts, every
 * pair and both vocabularies (by SHA-256), first pairs and vocabulary samples —
 * against what ../shared/bench/peers/torch_seq2seq.py makes of it
 * (test/fixtures/tatoeba_split.json, from scripts/gen_tatoeba_fixtures.py).
 * The last part skips when ../shared is absent.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranslationPair } from '../src/seq2seq/pair.js';
import { mulberry32, splitTatoeba } from '../src/seq2seq/split.js';
import { chineseToEnglish, parseTatoeba, type TatoebaRow } from '../src/seq2seq/tatoeba.js';
import { readTatoeba } from '../src/seq2seq/tatoeba-file.js';
import { loadFixture, projectRoot } from './helpers.js';

interface FixturePair {
  english: string;
  chinese: string;
  sourceTokens: string[];
  targetTokens: string[];
}
type SplitName = 'test' | 'dev' | 'train';
interface VocabularySample {
  first: string[];
  last: string[];
  every250: [number, string][];
}
interface SplitFixture {
  counts: {
    lines: number;
    pairs: Record<SplitName, number>;
    groups: Record<SplitName, number>;
    vocabularySource: number;
    vocabularyTarget: number;
    trainSourceTokens: number;
    trainTargetTokens: number;
    devSourceUnknown: number;
    testSourceUnknown: number;
  };
  sha256: Record<SplitName | 'vocabularySource' | 'vocabularyTarget', string>;
  head: Record<SplitName, FixturePair[]>;
  last: Record<SplitName, FixturePair>;
  vocabulary: { source: VocabularySample; target: VocabularySample };
  mulberry32: Record<string, number[]>;
}

const fixture = loadFixture<SplitFixture>('tatoeba_split.json');
const cmnPath = join(projectRoot, '..', 'shared', 'data', 'tatoeba-cmn-eng', 'cmn.txt');
const dir = mkdtempSync(join(tmpdir(), 'recurrent-tatoeba-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const ATTRIBUTION = 'CC-BY 2.0 (France) Attribution: tatoeba.org #1 (a) & #2 (b)';

describe('Tatoeba reader', () => {
  test('reads three columns, keeps the attribution, accepts CRLF, a BOM and empty lines', () => {
    const path = file('ok.txt', `\uFEFFHi.\t你好。\t${ATTRIBUTION}\r\n\r\nDon't go!\t别 走！\t${ATTRIBUTION} (x)\n`);
    const rows = readTatoeba(path);
    assert.deepEqual(rows, [
      { english: 'Hi.', chinese: '你好。', attribution: ATTRIBUTION, line: 1 },
      { english: "Don't go!", chinese: '别 走！', attribution: `${ATTRIBUTION} (x)`, line: 3 },
    ]);
    const pair = chineseToEnglish(rows[1]!);
    assert.deepEqual(pair, {
      source: '别 走！',
      target: "Don't go!",
      sourceTokens: ['别', '走', '！'],
      targetTokens: ['don', "'", 't', 'go', '!'],
      attribution: `${ATTRIBUTION} (x)`,
      line: 3,
    });
  });

  test('a malformed line is an error naming the file and its 1-based line', () => {
    const good = `Hi.\t你好。\t${ATTRIBUTION}\n`;
    const cases: [string, RegExp][] = [
      [`${good}Hi.\t你好。\n`, /bad\.txt:2: expected 3 tab-separated columns \(English, Chinese, attribution\), found 2/],
      [`${good}${good}Hi.\t你好。\tA\tB\n`, /bad\.txt:3: expected 3 .* found 4/],
      [`${good} \t你好。\t${ATTRIBUTION}\n`, /bad\.txt:2: the English sentence is empty/],
      [`Hi.\t\u3000\t${ATTRIBUTION}\n`, /bad\.txt:1: the Chinese sentence is empty/],
      [`Hi.\t你好。\t \n`, /bad\.txt:1: the attribution is empty/],
      [`${good}   \n`, /bad\.txt:2: expected 3 .* found 1/],
    ];
    for (const [content, message] of cases) {
      const path = file('bad.txt', content);
      assert.throws(() => readTatoeba(path), message);
    }
    assert.throws(() => parseTatoeba(`${good}\n\nx\n`, 'text'), /text:4: expected 3/);
  });

  test('refuses empty, binary, non-UTF-8, missing files, directories and devices with a clear message', () => {
    assert.throws(() => readTatoeba(file('empty.txt', '')), /empty\.txt is empty/);
    assert.throws(() => readTatoeba(file('lines.txt', '\n\r\n\n')), /lines\.txt has no sentence pairs/);
    assert.throws(() => readTatoeba(file('nul.txt', Buffer.from('Hi.\t你\0好\tA\n'))), /nul\.txt looks binary \(a NUL byte at offset 7\)/);
    assert.throws(() => readTatoeba(file('latin1.txt', Buffer.from([0x48, 0x69, 0x09, 0xe9, 0x09, 0x41, 0x0a]))), /latin1\.txt is not valid UTF-8/);
    assert.throws(() => readTatoeba(join(dir, 'absent.txt')), /file not found: .*absent\.txt/);
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    assert.throws(() => readTatoeba(sub), /sub is a directory/);
    assert.throws(() => readTatoeba('/dev/null'), /\/dev\/null is not a regular file/);
  });

  test('refuses a FIFO without blocking', (t) => {
    const fifo = join(dir, 'pipe');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      t.skip('mkfifo not available');
      return;
    }
    assert.throws(() => readTatoeba(fifo), /pipe is not a regular file \(a FIFO, socket or device\)/);
  });
});

/** Rows with made-up sentences: `groups` Chinese sentences, some with several translations, some too long. */
function madeUpRows(groups: number): TatoebaRow[] {
  const rows: TatoebaRow[] = [];
  for (let g = 0; g < groups; g++) {
    const translations = 1 + (g % 3);
    for (let k = 0; k < translations; k++) {
      const english = k === 2 && g % 2 === 0 ? 'one two three four five six seven eight nine ten eleven' : `sentence ${g} version ${k}.`;
      // Whitespace inside the Chinese side does not change its group.
      const chinese = k === 1 ? `句子 ${g}` : `句子${g}`;
      rows.push({ english, chinese, attribution: `#${g}-${k}`, line: rows.length + 1 });
    }
  }
  return rows;
}

describe('Chinese→English split', () => {
  test('mulberry32 draws what the reference script draws', () => {
    for (const [seed, expected] of Object.entries(fixture.mulberry32)) {
      const rng = mulberry32(Number(seed));
      assert.deepEqual(expected.map(() => rng()), expected, `seed ${seed}`);
    }
  });

  test('groups by Chinese sentence, keeps ≤ 10 English words, splits 5 % / 5 % / rest of the groups, file order inside groups', () => {
    const rows = madeUpRows(400);
    const split = splitTatoeba(rows);
    const kept = rows.filter((r) => !r.english.includes('eleven'));
    assert.equal(split.groups.test, 20);
    assert.equal(split.groups.dev, 20);
    assert.equal(split.groups.train, 360);
    const all = [...split.test, ...split.dev, ...split.train];
    assert.deepEqual(all.map((p) => p.line).sort((a, b) => a! - b!), kept.map((r) => r.line));
    const splitOf = new Map<string, string>();
    for (const [name, pairs] of Object.entries({ test: split.test, dev: split.dev, train: split.train })) {
      let previous: TranslationPair | undefined;
      for (const p of pairs) {
        const key = p.sourceTokens.join('');
        assert.equal(splitOf.get(key) ?? name, name, `group ${key} in two splits`);
        splitOf.set(key, name);
        if (previous && previous.sourceTokens.join('') === key) assert.ok(previous.line! < p.line!, 'file order inside a group');
        previous = p;
      }
    }
    assert.equal(splitOf.size, 400);
    // The shuffle moved groups: the test split is not the first groups of the file.
    assert.notDeepEqual(split.test.slice(0, 3).map((p) => p.line), [1, 2, 3]);
    assert.deepEqual(split.sourceVocabulary.tokens.slice(0, 6), ['<pad>', '<bos>', '<eos>', '<unk>', '句', '子']);
  });

  test('is deterministic and follows the seed', () => {
    const rows = madeUpRows(200);
    const lines = (seed: number) => splitTatoeba(rows, { seed }).test.map((p) => p.line);
    assert.deepEqual(lines(0), lines(0));
    assert.notDeepEqual(lines(0), lines(1));
    assert.throws(() => splitTatoeba(rows, { heldOutFraction: 0.5 }), /heldOutFraction must be in \(0, 0\.5\)/);
  });
});

describe('the benchmark split of cmn.txt', () => {
  const skip = existsSync(cmnPath) ? false : `${cmnPath} not found (the benchmark data lives in ../shared beside the project)`;
  const pairLine = (p: TranslationPair) => `${p.target}\t${p.source}\t${p.sourceTokens.join(' ')}\t${p.targetTokens.join(' ')}`;
  const sha256 = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');
  const asFixture = (p: TranslationPair): FixturePair => ({ english: p.target, chinese: p.source, sourceTokens: [...p.sourceTokens], targetTokens: [...p.targetTokens] });

  test('reproduces the reference script: counts, every pair, both vocabularies', { skip }, (t) => {
    const rows = readTatoeba(cmnPath);
    const split = splitTatoeba(rows);
    const c = fixture.counts;
    assert.equal(rows.length, c.lines);
    assert.equal(split.test.length + split.dev.length + split.train.length, 22_521);
    assert.equal(split.groups.test + split.groups.dev + split.groups.train, 20_772);
    assert.deepEqual({ test: split.test.length, dev: split.dev.length, train: split.train.length }, { test: 1_111, dev: 1_118, train: 20_292 });
    assert.deepEqual(split.groups, c.groups);
    assert.equal(split.sourceVocabulary.size, 3_368);
    assert.equal(split.targetVocabulary.size, 5_985);
    const tokens = (pairs: TranslationPair[], side: 'sourceTokens' | 'targetTokens') => pairs.reduce((n, p) => n + p[side].length, 0);
    assert.equal(tokens(split.train, 'sourceTokens'), c.trainSourceTokens);
    assert.equal(tokens(split.train, 'targetTokens'), c.trainTargetTokens);
    const unknown = (pairs: TranslationPair[]) => pairs.reduce((n, p) => n + p.sourceTokens.filter((x) => split.sourceVocabulary.id(x) === undefined).length, 0);
    assert.equal(unknown(split.dev), c.devSourceUnknown);
    assert.equal(unknown(split.test), c.testSourceUnknown);

    for (const name of ['test', 'dev', 'train'] as const) {
      assert.deepEqual(split[name].slice(0, 5).map(asFixture), fixture.head[name], `first pairs of ${name}`);
      assert.deepEqual(asFixture(split[name].at(-1)!), fixture.last[name], `last pair of ${name}`);
      assert.equal(sha256(split[name].map(pairLine)), fixture.sha256[name], `every pair of ${name}`);
      assert.ok(split[name].every((p) => p.attribution?.startsWith('CC-BY 2.0 (France)')), `attribution of every ${name} pair`);
    }
    for (const [side, vocabulary] of [['source', split.sourceVocabulary], ['target', split.targetVocabulary]] as const) {
      const sample = fixture.vocabulary[side];
      assert.deepEqual(vocabulary.tokens.slice(0, 40), sample.first, `${side} vocabulary head`);
      assert.deepEqual(vocabulary.tokens.slice(-10), sample.last, `${side} vocabulary tail`);
      for (const [id, token] of sample.every250) assert.equal(vocabulary.tokens[id], token, `${side} vocabulary id ${id}`);
    }
    assert.equal(sha256([...split.sourceVocabulary.tokens]), fixture.sha256.vocabularySource);
    assert.equal(sha256([...split.targetVocabulary.tokens]), fixture.sha256.vocabularyTarget);
    t.diagnostic(`${rows.length} lines → test ${split.test.length}, dev ${split.dev.length}, train ${split.train.length} pairs; vocabularies zh ${split.sourceVocabulary.size}, en ${split.targetVocabulary.size}`);
  });
});
