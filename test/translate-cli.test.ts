/**
 * `recurrent translate` as a child process: train, eval and run end to end on
 * the dates task (text and JSON), exact resume, Ctrl-C and SIGTERM, and bad
 * input — malformed, empty and binary data files, checkpoints of the other
 * kind (both ways), a vocabulary or configuration change on resume, sentences
 * over the length limit, characters never seen in training — each refused
 * with one clear message and no checkpoint lost.
 *
 * Tiny models (GRU 8, embedding 4, batch 16), reference kernels, temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors-file.js';
import { Random } from '../src/random.js';
import { loadTranslator } from '../src/seq2seq/checkpoint-file.js';
import { displayWidth } from '../src/text-display.js';
import { CLI, collect, failsCleanly, ok, type Result, spawnCollect } from './cli-harness.js';

const TINY = ['--hidden', '8', '--embedding', '4', '--batch', '16', '--backend', 'js'];

const dir = mkdtempSync(join(tmpdir(), 'recurrent-translate-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

function run(args: string[], stdin?: string): Promise<Result> {
  return spawnCollect(args, { cwd: dir, ...(stdin === undefined ? {} : { stdin }) });
}

/** A Tatoeba-format file of `n` pairs: English words TAB Chinese characters TAB attribution. */
function tatoebaText(n: number, seed: number, chinese: string): string {
  const rng = new Random(seed);
  const english = ['I', 'see', 'the', 'cat', 'dog', 'runs', 'we', 'like', 'tea', 'here'];
  return Array.from({ length: n }, (_, i) => {
    const en = Array.from({ length: 2 + rng.int(4) }, () => english[rng.int(english.length)]).join(' ');
    const zh = Array.from({ length: 2 + rng.int(5) }, () => chinese[rng.int(chinese.length)]).join('');
    return `${en}.\t${zh}。\tCC-BY 2.0 (France) Attribution: tatoeba.org #${i + 1} (a) & #${i + 1000} (b)`;
  }).join('\n') + '\n';
}

/** The checkpoint most tests read: 4 steps on the dates task, sentences of at most 30 tokens. */
const DATES = at('dates.safetensors');
const TATOEBA = at('cmn.txt');
let trained: Result;

before(async () => {
  writeFileSync(TATOEBA, tatoebaText(80, 1, '我你他是的猫狗茶喝看'));
  trained = ok(await run(['translate', 'train', ...TINY, '--steps', '4', '--max-length', '30', '--checkpoint', DATES]), 'dates training');
});

describe('translate train, eval and run', () => {
  test('train prints its record, keeps the best and the last checkpoint, releases its locks', () => {
    const r = trained;
    assert.match(r.stdout, /^data: built-in dates task \(English dates → Chinese dates, characters\)$/m);
    assert.match(r.stdout, /^pairs: 20,000 training, 1,000 dev, 1,000 test; vocabularies: \d+ source, \d+ target tokens$/m);
    assert.match(r.stdout, /^model: GRU 1×8, bidirectional encoder, general attention, embedding 4, [\d,]+ parameters$/m);
    assert.match(r.stdout, /^step 4 \(\d+s, epoch 1\): train \d+\.\d{3} nats\/token, dev accuracy \d+\.\d% \(BLEU \d+\.\d\d\), evaluated in [\d.]+ s ★ best$/m);
    assert.equal(r.stdout.match(/^ {2}[✓✗] .+ → /gm)?.length, 3, 'three dev translations');
    assert.match(r.stdout, /^training: batch 16, adam lr 0\.001, clip 5, teacher forcing 1, sentences of at most 30 tokens$/m);
    assert.match(r.stdout, /^done: 4 steps \(epoch 1\)/m);
    assert.match(r.stdout, /^best: dev accuracy \d+\.\d% at step 4 .* → .*dates\.best\.safetensors$/m);
    for (const f of ['dates.safetensors', 'dates.best.safetensors']) assert.equal(loadTranslator(at(f)).trainer.steps, 4);
    for (const f of ['dates.safetensors.lock', 'dates.best.safetensors.lock']) assert.equal(existsSync(at(f)), false);
  });

  test('--json: one event per line, nothing else on stdout', async () => {
    const r = ok(await run(['translate', 'train', ...TINY, '--steps', '2', '--json', '--checkpoint', at('json.safetensors')]), 'train --json');
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.deepEqual(events.map((e) => e.event), ['start', 'validation', 'checkpoint', 'checkpoint', 'done']);
    const [start, validation, best, last, done] = events as [Record<string, any>, Record<string, any>, Record<string, any>, Record<string, any>, Record<string, any>];
    assert.equal(start.task, 'dates');
    assert.equal(start.metric, 'accuracy');
    assert.deepEqual(start.data.pairs, { train: 20_000, dev: 1_000, test: 1_000 });
    assert.deepEqual(start.budget, { steps: 2 });
    assert.equal(start.config.hiddenSize, 8);
    assert.deepEqual([best.best, last.best], [true, false]);
    assert.equal(validation.step, 2);
    assert.ok(validation.accuracy >= 0 && validation.accuracy <= 100 && validation.bleu >= 0 && validation.bleu <= 100);
    assert.equal(validation.samples.length, 3);
    assert.deepEqual(Object.keys(validation.samples[0]), ['source', 'reference', 'translation', 'correct']);
    assert.equal(done.step, 2);
    assert.equal(done.interrupted, null);
    assert.equal(done.best.step, 2);
  });

  test('eval scores the test pairs (text and JSON), greedy or by beam search', async () => {
    const best = at('dates.best.safetensors');
    const [text, json, beam] = await Promise.all([
      run(['translate', 'eval', '--checkpoint', best, '--backend', 'js']),
      run(['translate', 'eval', '--checkpoint', best, '--backend', 'js', '--json', '--split', 'dev']),
      run(['translate', 'eval', '--checkpoint', best, '--backend', 'js', '--json', '--beam', '2']),
    ]);
    assert.match(ok(text, 'eval').stdout, /^data: built-in dates task .*, test split: 1,000 pairs, 1,000 distinct sources$/m);
    assert.match(text.stdout, /^exact match: \d+\.\d%\nBLEU-4: \d+\.\d\d \(corpus BLEU, one reference per pair; n-gram-count denominator, as the benchmark\)\nmulti-reference BLEU-4: /m);
    const j = JSON.parse(ok(json, 'eval --json').stdout) as Record<string, any>;
    assert.deepEqual([j.task, j.split, j.pairs, j.sources, j.beam, j.maxTokens, j.denominator, j.step], ['dates', 'dev', 1000, 1000, 1, 20, 'ngrams', 4]);
    // The date task's sources are distinct, so both BLEU are the same corpus BLEU.
    assert.equal(j.multiReferenceBleu, j.bleu);
    const history = loadTranslator(best).history;
    assert.equal(j.accuracy, history[history.length - 1]!.accuracy, 'dev accuracy as at training');
    assert.equal(j.bleu, history[history.length - 1]!.bleu);
    assert.equal((JSON.parse(ok(beam, 'eval --beam 2').stdout) as Record<string, any>).beam, 2);
  });

  test('run: one line per sentence, unknown characters named on stderr, heatmaps in 80 columns, one SVG per sentence', async () => {
    const sentences = ['Sunday, November 29, 2026', 'Qz 3, 2001'];
    const [plain, heat, svg] = await Promise.all([
      run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js', ...sentences]),
      run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js', '--show-attention', sentences[0]!]),
      run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js', '--attention', at('figure.svg'), ...sentences]),
    ]);
    assert.equal(ok(plain, 'run').stdout.split('\n').length, 3, plain.stdout);
    assert.match(plain.stderr, /^recurrent: warning: sentence 2: "Q", "z" never seen in training, read as <unk>$/m);
    const lines = ok(heat, 'run --show-attention').stdout.split('\n');
    assert.match(lines[1]!, /^ +S u n d a y , ␣ N o v e m b e r ␣ 2 9 , ␣ 2 0 2 6$/);
    assert.ok(lines.some((l) => l.startsWith('weights: ░ ≥ 0.125')));
    for (const l of lines) assert.ok(displayWidth(l) <= 80, `${displayWidth(l)} columns: ${l}`);
    ok(svg, 'run --attention');
    for (const [n, sentence] of sentences.entries()) {
      const text = readFileSync(at(`figure-${n + 1}.svg`), 'utf8');
      assert.match(text, /^<svg [^>]*>[\s\S]*<\/svg>$/);
      const cells = text.match(/aria-roledescription="rect mark"/g)?.length ?? 0;
      assert.ok(cells > 0 && cells % [...sentence].length === 0, `${cells} cells, a multiple of ${[...sentence].length} source tokens`);
    }
  });

  test('run reads stdin: a line of output per line of input, blank for blank', async () => {
    const r = ok(await run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js'], 'May 1, 2000\n\nJune 2, 1999\n'), 'run < stdin');
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 4, JSON.stringify(r.stdout));
    assert.equal(lines[1], '');
    assert.ok(lines[0]!.length > 0 && lines[2]!.length > 0);
  });
});

describe('resume and signals', () => {
  test('train --steps 6 equals --steps 3 then --resume --steps 6, tensor for tensor', async () => {
    const args = ['translate', 'train', ...TINY, '--teacher-forcing', '0.5', '--seed', '3'];
    const [a, b] = await Promise.all([
      run([...args, '--steps', '6', '--checkpoint', at('straight.safetensors')]),
      run([...args, '--steps', '3', '--checkpoint', at('split.safetensors')]),
    ]);
    ok(a, 'straight');
    ok(b, 'first half');
    const c = ok(await run(['translate', 'train', '--resume', '--backend', 'js', '--steps', '6', '--checkpoint', at('split.safetensors')]), 'resume');
    assert.match(c.stdout, /^resuming from .*split\.safetensors at step 3/m);
    const ta = readSafetensors(at('straight.safetensors')).tensors;
    const tb = readSafetensors(at('split.safetensors')).tensors;
    assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort());
    for (const [name, t] of ta) assert.ok(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(tb.get(name)!.data.buffer, tb.get(name)!.data.byteOffset, tb.get(name)!.data.byteLength)), name);
    const [sa, sb] = [loadTranslator(at('straight.safetensors')), loadTranslator(at('split.safetensors'))];
    assert.deepEqual(sb.history.map((h) => h.step), [3, 6]);
    assert.equal(sb.history[1]!.accuracy, sa.history[0]!.accuracy);
    assert.equal(sb.history[1]!.bleu, sa.history[0]!.bleu);
  });

  test('SIGINT and SIGTERM: exit 130 and 143, a checkpoint at that step, and --resume continues it', async () => {
    await Promise.all(([['SIGINT', 130], ['SIGTERM', 143]] as const).map(async ([signal, code]) => {
      const ck = at(`signal-${signal}.safetensors`);
      const child = spawn(process.execPath, [CLI, 'translate', 'train', ...TINY, '--steps', '1000000', '--validate-every', '0.2', '--checkpoint', ck], {
        cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL',
      });
      let signalled = false;
      const r = await collect(child, (out) => {
        if (!signalled && /^step [\d,]+ \(/m.test(out)) {
          signalled = true;
          child.kill(signal);
        }
      });
      assert.equal(r.code, code, `${signal}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const m = new RegExp(`^Interrupted at step (\\d+) \\(${signal}\\): checkpoint saved to .*\nContinue with: recurrent translate train --resume --checkpoint `, 'm').exec(r.stdout);
      assert.ok(m, r.stdout);
      const step = Number(m[1]);
      assert.equal(loadTranslator(ck).trainer.steps, step);
      assert.equal(existsSync(`${ck}.lock`), false);
      const resumed = ok(await run(['translate', 'train', '--resume', '--backend', 'js', '--steps', String(step + 2), '--checkpoint', ck]), `${signal}: resume`);
      assert.match(resumed.stdout, new RegExp(`^done: ${step + 2} steps`, 'm'));
    }));
  });
});

describe('bad input', () => {
  test('malformed, empty and binary data files: the file (and line) named, no checkpoint written', async () => {
    writeFileSync(at('bad.txt'), `Hi.\t你好。\tCC-BY 2.0 (France)\nno tabs here\n`);
    writeFileSync(at('empty.txt'), '');
    writeFileSync(at('binary.txt'), Buffer.from([0x48, 0x69, 0x00, 0x09, 0x01]));
    const results = await Promise.all(['bad.txt', 'empty.txt', 'binary.txt'].map((f) => run(['translate', 'train', ...TINY, '--data', at(f), '--steps', '2', '--checkpoint', at(`never-${f}.safetensors`)])));
    failsCleanly(results[0]!, /tatoeba: .*bad\.txt:2: expected 3 tab-separated columns \(English, Chinese, attribution\), found 1$/, 'malformed line');
    failsCleanly(results[1]!, /tatoeba: .*empty\.txt is empty$/, 'empty file');
    failsCleanly(results[2]!, /tatoeba: .*binary\.txt looks binary \(a NUL byte at offset 2\)/, 'binary file');
    for (const f of ['bad.txt', 'empty.txt', 'binary.txt']) assert.equal(existsSync(at(`never-${f}.safetensors`)), false);
  });

  test('checkpoints of the other kind are refused both ways, saying what they are; info reads both', async () => {
    writeFileSync(at('words.txt'), 'the quick brown fox jumps over the lazy dog\n'.repeat(100));
    const charlm = at('charlm.safetensors');
    ok(await run(['train', '--data', at('words.txt'), '--layers', '1', '--hidden', '8', '--embedding', '4', '--batch', '2', '--seq-length', '8', '--steps', '1', '--sample-length', '0', '--val-windows', '1', '--backend', 'js', '--checkpoint', charlm]), 'a character model');
    const before = readFileSync(charlm);
    const toTranslate = await Promise.all([
      run(['translate', 'eval', '--checkpoint', charlm, '--backend', 'js']),
      run(['translate', 'run', '--checkpoint', charlm, '--backend', 'js', 'May 1, 2000']),
      run(['translate', 'train', '--resume', '--checkpoint', charlm, '--backend', 'js', '--steps', '9']),
    ]);
    for (const r of toTranslate) failsCleanly(r, /holds 'recurrent\.charlm', expected 'recurrent\.translate': it is a character-level language model: use recurrent sample, eval or info with it$/, 'charlm → translate');
    assert.ok(readFileSync(charlm).equals(before), 'the character model is unchanged');
    const toCharLM = await Promise.all([
      run(['sample', '--checkpoint', DATES, '--backend', 'js', '--length', '5']),
      run(['eval', '--checkpoint', DATES, '--data', at('words.txt'), '--backend', 'js']),
      run(['train', '--resume', '--checkpoint', DATES, '--backend', 'js', '--steps', '9']),
    ]);
    for (const r of toCharLM) failsCleanly(r, /holds 'recurrent\.translate', expected 'recurrent\.charlm': it is a translation model: use recurrent translate run, translate eval or info with it$/, 'translate → charlm');
    const [info, json] = await Promise.all([run(['info', '--checkpoint', DATES]), run(['info', '--checkpoint', DATES, '--json'])]);
    assert.match(ok(info, 'info').stdout, /^checkpoint: .*dates\.safetensors \(translation model\)\nmodel: GRU 1×8, bidirectional encoder, general attention, embedding 4/m);
    assert.match(info.stdout, /^progress: step 4 \(epoch 1\)/m);
    const j = JSON.parse(ok(json, 'info --json').stdout) as Record<string, any>;
    assert.deepEqual([j.kind, j.step, j.train.maxLength, j.data.kind, j.history.length], ['translate', 4, 30, 'dates', 1]);
  });

  test('resuming with other data or another configuration is refused; the checkpoint stays byte-identical', async () => {
    const ck = at('zh.safetensors');
    ok(await run(['translate', 'train', ...TINY, '--data', TATOEBA, '--steps', '2', '--checkpoint', ck]), 'Tatoeba training');
    const before = readFileSync(ck);
    writeFileSync(at('other.txt'), tatoebaText(80, 2, '山水火木金土日月星云'));
    const [data, hidden, dates] = await Promise.all([
      run(['translate', 'train', '--resume', '--data', at('other.txt'), '--backend', 'js', '--steps', '9', '--checkpoint', ck]),
      run(['translate', 'train', '--resume', '--hidden', '16', '--no-bidirectional', '--backend', 'js', '--steps', '9', '--checkpoint', ck]),
      run(['translate', 'train', '--resume', '--backend', 'js', '--steps', '9', '--checkpoint', DATES, '--data', TATOEBA]),
    ]);
    failsCleanly(data, /translate train --resume: the data's vocabularies \(\d+ source and \d+ target tokens\) differ from the checkpoint's \(\d+ and \d+\); resume on the same data, or start a new model$/, 'other data');
    failsCleanly(hidden, /translate train --resume: the checkpoint was trained with --hidden 8 \(this run: --hidden 16\), --bidirectional \(this run: --no-bidirectional\); a resumed run must keep its configuration/, '--hidden');
    failsCleanly(dates, /translate train --resume: the checkpoint was trained on the built-in dates task .*, not on the .*cmn\.txt \(Tatoeba, Chinese → English\)/, 'dates → Tatoeba');
    assert.ok(readFileSync(ck).equals(before));
    const resumed = ok(await run(['translate', 'train', '--resume', '--backend', 'js', '--steps', '3', '--checkpoint', ck]), 'resume on the recorded file');
    assert.match(resumed.stdout, /^data: .*cmn\.txt \(Tatoeba, Chinese → English\)$/m);
    assert.match(resumed.stdout, /dev BLEU \d+\.\d\d \(multi-reference \d+\.\d\d\)/);
  });

  test('the length limit: training pairs over --max-length, and sentences over the model\'s limit, are refused', async () => {
    const [short, long] = await Promise.all([
      run(['translate', 'train', ...TINY, '--max-length', '10', '--steps', '2', '--checkpoint', at('short.safetensors')]),
      run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js', 'May 1, 2000', 'Wednesday, September 30, 2026, at noon']),
    ]);
    failsCleanly(short, /train: training pair \d+: the (source|target) sentence has \d+ tokens, more than the maximum length 10 \(--max-length\)$/, '--max-length 10');
    assert.equal(existsSync(at('short.safetensors')), false);
    failsCleanly(long, /translate run: sentence 2 has 38 tokens, more than this model's limit of 30 \(set by --max-length when it was trained\)$/, 'too long');
    assert.equal(long.stdout, '', 'nothing translated');
    const piped = await run(['translate', 'run', '--checkpoint', DATES, '--backend', 'js'], 'May 1, 2000\nWednesday, September 30, 2026, at noon\n');
    assert.equal(piped.code, 1);
    assert.match(piped.stderr, /^recurrent: translate run: line 2 has 38 tokens, more than this model's limit of 30/m);
    assert.deepEqual(piped.stdout.split('\n').map((l) => l.length > 0), [true, false, false], 'line 1 translated, line 2 empty');
  });

  test('options that cannot work are refused before training', async () => {
    const [dot, none] = await Promise.all([
      run(['translate', 'train', ...TINY, '--attention', 'dot', '--steps', '1', '--checkpoint', at('dot.safetensors')]),
      run(['translate', 'train', ...TINY, '--attention', 'none', '--steps', '1', '--checkpoint', at('none.safetensors')]),
    ]);
    failsCleanly(dot, /--attention dot scores decoder states against encoder outputs directly, .*add --no-bidirectional/, 'dot');
    ok(none, 'no attention');
    const svg = await run(['translate', 'run', '--checkpoint', at('none.safetensors'), '--backend', 'js', '--attention', at('none.svg'), 'May 1, 2000']);
    failsCleanly(svg, /translate run: --attention .*none\.svg: this model has no attention to draw/, 'no attention to draw');
    const [store, memory] = await Promise.all([
      run(['translate', 'train', '--hidden', '100000', '--force', '--steps', '1', '--checkpoint', at('huge.safetensors')]),
      run(['translate', 'train', '--hidden', '12000', '--steps', '1', '--checkpoint', at('huge.safetensors')]),
    ]);
    failsCleanly(store, /train: this model has [\d,]+ parameters, more than one parameter store holds \(4,294,967,296\); choose a smaller model$/, '--hidden 100000');
    failsCleanly(memory, /train: this model would need about [\d.]+ [GT]B of memory \([\d,]+ parameters\), more than the .* allowed; .*--force/, '--hidden 12000');
    assert.equal(existsSync(at('huge.safetensors')), false);
  });
});
