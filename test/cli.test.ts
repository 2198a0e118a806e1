/**
 * The `recurrent` command line, run as a child process: resume is exact,
 * Ctrl-C saves a checkpoint that resumes, bad input gets a one-line message
 * (no stack trace, non-zero exit) and never costs a good checkpoint, and
 * eval / info / sample print what they claim.
 *
 * Tiny models (LSTM 1×16, embedding 8, batch 4 × 16) on generated text in a
 * temporary directory, always with the JavaScript kernels.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCharLM } from '../src/charlm/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { Random } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { projectRoot, wordText } from './helpers.js';

const CLI = join(projectRoot, 'dist/src/cli/main.js');
const TINY = ['--cell', 'lstm', '--layers', '1', '--hidden', '16', '--embedding', '8', '--batch', '4', '--seq-length', '16', '--backend', 'js', '--sample-length', '0', '--val-windows', '1'];

const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-'));
after(() => {
  chmodSync(dir, 0o700);
  for (const d of readdirSync(dir)) {
    try {
      chmodSync(join(dir, d), 0o700);
    } catch {
      // A file, or gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});
const at = (name: string): string => join(dir, name);

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  uid?: number;
  gid?: number;
  timeout?: number;
}

function collect(child: ChildProcess, onStdout?: (text: string) => void): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onStdout?.(stdout);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to completion (killed after `timeout` ms, default 30 s, so a hang fails instead of stalling the suite). */
function run(args: string[], o: RunOptions = {}): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: o.timeout ?? 30_000, killSignal: 'SIGKILL',
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid ?? o.uid } : {}),
  });
  return collect(child);
}

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what}: exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A failure reported as one `recurrent: …` message on stderr, no stack trace, exit 1. */
function failsCleanly(r: Result, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code} (signal ${r.signal}); stderr: ${r.stderr}`);
  const message = r.stderr.trim();
  assert.match(message, /^recurrent: /, `${what}: stderr starts with 'recurrent: ': ${message}`);
  assert.match(message, pattern, what);
  assert.doesNotMatch(message, /^\s+at .*:\d+(:\d+)?\)?$/m, `${what}: no stack trace in ${message}`);
  assert.doesNotMatch(message, /\n/, `${what}: a one-line message, got ${message}`);
}

const makeText = (lines: number, seed: number, words: string[]): string => wordText(lines, seed, words);

const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'and', 'cat', 'runs', 'far', 'away', 'home'];
const DATA = at('data.txt');
const OTHER = at('other.txt');
/** The checkpoint most tests read: 8 steps on DATA. */
const BASE = at('base.safetensors');

/** The parsed `recurrent` metadata document of a checkpoint. */
function documentOf(path: string): Record<string, any> {
  return JSON.parse(readSafetensors(path).metadata.recurrent!) as Record<string, any>;
}

/** Asserts two checkpoints hold the same tensors, bit for bit. */
function assertSameTensors(a: string, b: string): void {
  const ta = readSafetensors(a).tensors;
  const tb = readSafetensors(b).tensors;
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort());
  assert.ok(ta.has('rnn.weight_hh_l0') && ta.has('optimizer.expAvg'), `weights and optimizer buffers present: ${[...ta.keys()].join(', ')}`);
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    const x = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const y = Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength);
    assert.ok(x.equals(y), `${name} differs`);
  }
}

before(async () => {
  writeFileSync(DATA, makeText(140, 1, WORDS));
  writeFileSync(OTHER, makeText(140, 2, ['Zebra', 'Quilt', '42', 'yak']));
  ok(await run(['train', '--data', DATA, ...TINY, '--steps', '8', '--checkpoint', BASE]), 'base training');
});

describe('resume is exact', () => {
  test('train --steps 6 equals train --steps 3, then train --resume --steps 6: same weights, optimizer state, generators and final validation', async () => {
    const args = ['--data', DATA, ...TINY, '--dropout', '0.2', '--seed', '5'];
    const straight = at('straight.safetensors');
    const split = at('split.safetensors');
    const [a, b] = await Promise.all([
      run(['train', ...args, '--steps', '6', '--checkpoint', straight]),
      run(['train', ...args, '--steps', '3', '--checkpoint', split]),
    ]);
    ok(a, 'straight run');
    ok(b, 'first half');
    assert.equal(documentOf(split).trainer.step, 3);
    const c = ok(await run(['train', '--resume', '--data', DATA, '--backend', 'js', '--steps', '6', '--checkpoint', split]), 'resumed run');
    assert.match(c.stdout, /resuming from .*split\.safetensors at step 3/);
    assert.match(c.stdout, /done: 6 steps/);

    assertSameTensors(straight, split);
    const da = documentOf(straight);
    const db = documentOf(split);
    assert.equal(da.trainer.step, 6);
    assert.equal(db.trainer.step, 6);
    assert.equal(db.trainer.tokens, da.trainer.tokens);
    assert.equal(da.trainer.tokens, 6 * 4 * 16);
    assert.deepEqual(db.trainer.samplerRng, da.trainer.samplerRng);
    assert.deepEqual(db.trainer.dropoutRng, da.trainer.dropoutRng);
    assert.equal(db.trainer.optimizer.step, da.trainer.optimizer.step);
    assert.deepEqual(db.config, da.config);
    assert.deepEqual(db.train, da.train);
    assert.deepEqual(db.vocabulary, da.vocabulary);
    // Each run validates at its end: the split run has one more history point (step 3).
    assert.deepEqual(da.trainer.history.map((h: { step: number }) => h.step), [6]);
    assert.deepEqual(db.trainer.history.map((h: { step: number }) => h.step), [3, 6]);
    assert.ok(Object.is(db.trainer.history[1].validationLoss, da.trainer.history[0].validationLoss), 'final validation loss identical');
    assert.ok(Number.isFinite(da.trainer.history[0].validationLoss) && da.trainer.history[0].validationLoss > 0);
  });
});

describe('Ctrl-C', () => {
  test('SIGINT during training: exit 130, a checkpoint at the current step, and --resume continues from it', async () => {
    const ck = at('interrupted.safetensors');
    const child = spawn(process.execPath, [CLI, 'train', '--data', DATA, ...TINY, '--steps', '1000000', '--validate-every', '0.2', '--checkpoint', ck], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL',
    });
    let sent = false;
    const r = await collect(child, (out) => {
      // A validation line means training is under way (and the loop is running).
      if (!sent && /^step \d+ \(/m.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, `training never reported progress: ${r.stdout} ${r.stderr}`);
    assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const m = /Interrupted at step (\d+): checkpoint saved to .*interrupted\.safetensors\. Continue with: recurrent train --resume/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const step = Number(m[1]);
    assert.ok(step > 0 && step < 1_000_000);
    const saved = loadCharLM(ck);
    assert.equal(saved.trainer.step, step);
    assert.ok(saved.trainer.history.length >= 1, 'the validations before the interrupt are kept');

    const target = step + 3;
    const resumed = ok(await run(['train', '--resume', '--data', DATA, '--backend', 'js', '--steps', String(target), '--checkpoint', ck]), 'resume');
    assert.match(resumed.stdout, new RegExp(`resuming from .* at step ${step}`));
    assert.match(resumed.stdout, new RegExp(`done: ${target} steps`));
    assert.equal(loadCharLM(ck).trainer.step, target);
  });
});

describe('bad data files', () => {
  const cases: { name: string; file: string; contents: Buffer | null; pattern: RegExp }[] = [
    { name: 'missing', file: 'missing.txt', contents: null, pattern: /data: file not found: .*missing\.txt/ },
    { name: 'empty', file: 'empty.txt', contents: Buffer.alloc(0), pattern: /data: .*empty\.txt is empty/ },
    { name: 'binary (NUL bytes)', file: 'binary.bin', contents: Buffer.from([0x61, 0x62, 0x00, 0x01, 0x02, 0x63]), pattern: /data: .*binary\.bin looks binary \(a NUL byte at offset 2\)/ },
    { name: 'invalid UTF-8', file: 'latin1.txt', contents: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b, 0x0a]), pattern: /data: .*latin1\.txt is not valid UTF-8 text/ },
  ];
  for (const c of cases) {
    test(`${c.name}: train and eval refuse it, naming the file; no checkpoint is written`, async () => {
      const path = at(c.file);
      if (c.contents) writeFileSync(path, c.contents);
      const ck = at(`never-${c.file}.safetensors`);
      const [t, e] = await Promise.all([
        run(['train', '--data', path, ...TINY, '--steps', '2', '--checkpoint', ck]),
        run(['eval', '--data', path, '--checkpoint', BASE, '--backend', 'js']),
      ]);
      failsCleanly(t, c.pattern, `train on ${c.name}`);
      failsCleanly(e, c.pattern, `eval on ${c.name}`);
      assert.equal(existsSync(ck), false);
    });
  }

  test('a text too short to hold out one validation window fails before training, not after', async () => {
    const small = at('small.txt');
    writeFileSync(small, readFileSync(DATA, 'utf8').slice(0, 2000));
    const ck = at('small.safetensors');
    const r = await run(['train', '--data', small, ...TINY, '--steps', '100000', '--checkpoint', ck], { timeout: 20_000 });
    failsCleanly(r, /train: the validation text has 200 characters, fewer than one validation window of 257; .*--val-fraction/, 'small text');
    assert.doesNotMatch(r.stdout, /step \d+/);
    assert.equal(existsSync(ck), false);
    ok(await run(['train', '--data', small, ...TINY, '--val-fraction', '0.2', '--steps', '2', '--checkpoint', ck]), 'small text, larger validation fraction');
    assert.equal(loadCharLM(ck).trainer.step, 2);
  });

  test('eval on text with characters the model has never seen names them', async () => {
    const r = await run(['eval', '--data', OTHER, '--checkpoint', BASE, '--backend', 'js']);
    failsCleanly(r, /eval: .*other\.txt: 4 character\(s\) not in the model's vocabulary of \d+: /, 'eval on other text');
    for (const c of ['Z', 'Q', '4', '2']) assert.ok(r.stderr.includes(JSON.stringify(c)), `names ${c}: ${r.stderr}`);
  });

  test('sample --prompt with unknown characters names them', async () => {
    const r = await run(['sample', '--checkpoint', BASE, '--backend', 'js', '--prompt', 'fox QZ', '--length', '5']);
    failsCleanly(r, /sample: prompt: 2 character\(s\) not in the model's vocabulary of \d+: "Q", "Z"/, 'sample');
    assert.equal(r.stdout, '', 'nothing printed');
  });
});

describe('corrupted and truncated checkpoints', () => {
  interface Corruption {
    name: string;
    file: string;
    make(path: string): void;
    pattern: RegExp;
  }
  const rewrite = (path: string, edit: (tensors: Map<string, Tensor>, meta: Record<string, string>) => void): void => {
    const { tensors, metadata } = readSafetensors(BASE);
    edit(tensors, metadata);
    writeSafetensors(path, tensors, metadata);
  };
  const corruptions: Corruption[] = [
    {
      name: 'random bytes', file: 'random.safetensors',
      make: (p) => {
        const rng = new Random(3);
        writeFileSync(p, Uint8Array.from({ length: 4096 }, () => rng.int(256)));
      },
      pattern: /checkpoint \(.*random\.safetensors\): unreadable or corrupt: /,
    },
    {
      name: 'a safetensors file without recurrent metadata', file: 'plain.safetensors',
      make: (p) => rewrite(p, (_t, meta) => delete meta.recurrent),
      pattern: /checkpoint \(.*plain\.safetensors\): a safetensors file, but not a recurrent checkpoint/,
    },
    {
      name: 'damaged metadata JSON', file: 'badjson.safetensors',
      make: (p) => rewrite(p, (_t, meta) => {
        meta.recurrent = meta.recurrent!.slice(0, -25);
      }),
      pattern: /checkpoint \(.*badjson\.safetensors\): its metadata is not valid JSON/,
    },
    {
      name: 'a weight of the wrong shape', file: 'shape.safetensors',
      make: (p) => rewrite(p, (t) => {
        const w = t.get('decoder.weight')!;
        t.set('decoder.weight', { data: new Float32Array(w.shape[0]! * 32), shape: [w.shape[0]!, 32] });
      }),
      pattern: /checkpoint \(.*shape\.safetensors\): weights do not fit the model: .*decoder\.weight/,
    },
    {
      name: 'truncated (cut in half)', file: 'half.safetensors',
      make: (p) => {
        const bytes = readFileSync(BASE);
        writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
      },
      pattern: /checkpoint \(.*half\.safetensors\): unreadable or corrupt: .*(past the end|truncated|short|length)/i,
    },
  ];
  for (const c of corruptions) {
    test(`${c.name}: sample, info, eval and train --resume refuse it with a clear message; the file is left alone`, async () => {
      const path = at(c.file);
      c.make(path);
      const original = readFileSync(path);
      const results = await Promise.all([
        run(['sample', '--checkpoint', path, '--backend', 'js', '--length', '5']),
        run(['info', '--checkpoint', path]),
        run(['info', '--checkpoint', path, '--json']),
        run(['eval', '--checkpoint', path, '--data', DATA, '--backend', 'js']),
        run(['train', '--resume', '--checkpoint', path, '--data', DATA, '--backend', 'js', '--steps', '20']),
      ]);
      const names = ['sample', 'info', 'info --json', 'eval', 'train --resume'];
      results.forEach((r, i) => {
        failsCleanly(r, c.pattern, `${names[i]} on ${c.name}`);
        assert.equal(r.stdout, '', `${names[i]}: nothing on stdout`);
      });
      assert.ok(readFileSync(path).equals(original), 'the checkpoint file is unchanged');
    });
  }

  test('train --resume without a checkpoint says so', async () => {
    const r = await run(['train', '--resume', '--checkpoint', at('nothing.safetensors'), '--data', DATA, '--backend', 'js', '--steps', '2']);
    failsCleanly(r, /train --resume: no checkpoint at .*nothing\.safetensors/, 'resume from nothing');
    assert.equal(existsSync(at('nothing.safetensors')), false);
  });
});

describe('resuming must not change the model or its data', () => {
  test('a different --hidden, or a text with another vocabulary, is refused and the checkpoint is byte-identical', async () => {
    const ck = at('keep.safetensors');
    copyFileSync(BASE, ck);
    const original = readFileSync(ck);
    const [hidden, vocab] = await Promise.all([
      run(['train', '--resume', '--checkpoint', ck, '--data', DATA, '--backend', 'js', '--hidden', '32', '--steps', '20']),
      run(['train', '--resume', '--checkpoint', ck, '--data', OTHER, '--backend', 'js', '--steps', '20']),
    ]);
    failsCleanly(hidden, /train --resume: the checkpoint was trained with --hidden 16; a resumed run must keep its configuration/, '--hidden 32');
    failsCleanly(vocab, /train --resume: the data's vocabulary \(\d+ characters\) differs from the checkpoint's \(\d+\)/, 'other text');
    assert.ok(readFileSync(ck).equals(original));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('keep.safetensors.')), [], 'no temporary files left');
  });
});

describe('a diverging run keeps the previous checkpoint', () => {
  test('train --optimizer sgd --lr 1e38 on the path of a good checkpoint: the error names the step, the old file is byte-identical', async () => {
    const ck = at('diverge.safetensors');
    copyFileSync(BASE, ck);
    const original = readFileSync(ck);
    const r = await run(['train', '--data', DATA, ...TINY, '--optimizer', 'sgd', '--lr', '1e38', '--clip', '0', '--steps', '200', '--checkpoint', ck]);
    failsCleanly(r, /train: the (loss|gradient norm) became (NaN|Infinity) at step \d+; stopping before the parameters are updated/, 'diverging run');
    const step = Number(/at step (\d+)/.exec(r.stderr)![1]);
    assert.ok(step > 1 && step < 200, `diverged at step ${step}`);
    assert.ok(readFileSync(ck).equals(original), 'previous checkpoint byte-identical');
    assert.equal(loadCharLM(ck).trainer.step, 8);
  });
});

describe('unwritable checkpoint paths', () => {
  test('a path under /proc, and a path whose parent is a file, fail before training with a clear message', async () => {
    const [proc, file] = await Promise.all([
      run(['train', '--data', DATA, ...TINY, '--steps', '2', '--checkpoint', '/proc/recurrent-test/ck.safetensors'], { timeout: 20_000 }),
      run(['train', '--data', DATA, ...TINY, '--steps', '2', '--checkpoint', join(DATA, 'ck.safetensors')], { timeout: 20_000 }),
    ]);
    failsCleanly(proc, /train: cannot write the checkpoint \/proc\/recurrent-test\/ck\.safetensors: cannot create the directory \/proc\/recurrent-test/, '/proc path');
    failsCleanly(file, /train: cannot write the checkpoint .*data\.txt\/ck\.safetensors: .*data\.txt is not a directory/, 'parent is a file');
    assert.doesNotMatch(proc.stdout + file.stdout, /^done:/m);
  });

  test('a read-only directory holding a good checkpoint: resume fails cleanly and the old checkpoint is intact', async (t) => {
    const ro = at('readonly');
    mkdirSync(ro);
    const ck = join(ro, 'ck.safetensors');
    copyFileSync(BASE, ck);
    const original = readFileSync(ck);
    // As root, permissions do not stop writes: run the command as 'nobody' (uid 65534) instead.
    const asRoot = process.getuid?.() === 0;
    const user: RunOptions = asRoot ? { uid: 65534, gid: 65534 } : {};
    if (asRoot) {
      chmodSync(dir, 0o755);
      chmodSync(ro, 0o555);
    } else {
      chmodSync(ro, 0o500);
    }
    try {
      const probe = join(ro, 'probe');
      if (asRoot) {
        const reach = spawnSync(process.execPath, [CLI, '--help'], { uid: 65534, gid: 65534, encoding: 'utf8' });
        if (reach.status !== 0) {
          t.skip('uid 65534 cannot read this checkout (a private parent directory), so the read-only case cannot be run as an unprivileged user here');
          return;
        }
      }
      if (!asRoot) {
        let writable = false;
        try {
          writeFileSync(probe, 'x');
          rmSync(probe);
          writable = true;
        } catch {
          // Expected: the directory is read-only for us.
        }
        if (writable) {
          t.skip('chmod 0o500 does not stop writes here (privileged user); cannot test a failing write');
          return;
        }
      }
      const r = await run(['train', '--resume', '--checkpoint', ck, '--data', DATA, '--backend', 'js', '--steps', '12'], user);
      failsCleanly(r, /train: cannot write the checkpoint .*ck\.safetensors: the directory is not writable \(EACCES\)/, 'read-only directory');
      assert.ok(readFileSync(ck).equals(original), 'old checkpoint byte-identical');
      assert.deepEqual(readdirSync(ro), ['ck.safetensors'], 'no temporary files left');
    } finally {
      chmodSync(ro, 0o700);
      chmodSync(dir, 0o700);
    }
  });
});

describe('eval, info and sample', () => {
  test('eval: bits/char and perplexity agree with the loss in nats (bits = nats / ln 2, perplexity = e^nats)', async () => {
    const r = ok(await run(['eval', '--checkpoint', BASE, '--data', DATA, '--backend', 'js', '--window', '128']), 'eval');
    const head = /: (\d+) characters in (\d+) windows of 128/.exec(r.stdout);
    assert.ok(head, r.stdout);
    assert.equal(Number(head[1]), Number(head[2]) * 128);
    const m = /loss (\d+\.\d+) nats\/char = (\d+\.\d+) bits\/char, perplexity (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [nats, bitsPerChar, perplexity] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // After 8 steps the model is near uniform over the vocabulary: ln V ± a little.
    const V = documentOf(BASE).vocabulary.length as number;
    assert.ok(nats > 0.5 * Math.log(V) && nats < 1.5 * Math.log(V), `loss ${nats} vs ln ${V}`);
    // Printed to 4 decimals (perplexity 3): allow the rounding of nats.
    assert.ok(Math.abs(bitsPerChar - nats / Math.LN2) <= 1e-4, `${bitsPerChar} bits vs ${nats} nats`);
    assert.ok(Math.abs(perplexity - Math.exp(nats)) <= Math.exp(nats) * 6e-5 + 1e-3, `perplexity ${perplexity} vs e^${nats}`);
    assert.ok(Math.abs(perplexity - 2 ** bitsPerChar) <= perplexity * 1e-4 + 1e-3, `perplexity ${perplexity} vs 2^${bitsPerChar}`);
  });

  test('info --json reports the configuration, step, tokens and history; info prints the same step', async () => {
    const [j, plain] = await Promise.all([run(['info', '--checkpoint', BASE, '--json']), run(['info', '--checkpoint', BASE])]);
    const info = JSON.parse(ok(j, 'info --json').stdout) as Record<string, any>;
    assert.equal(info.step, 8);
    assert.equal(info.tokens, 8 * 4 * 16);
    assert.deepEqual(info.config, { cell: 'lstm', vocabSize: documentOf(BASE).vocabulary.length, embeddingSize: 8, hiddenSize: 16, numLayers: 1, dropout: 0, seed: 1337 });
    assert.deepEqual(info.train, { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.002, clip: 5, seed: 1337 });
    assert.equal(info.data.source, DATA);
    assert.deepEqual(info.data.budget, { steps: 8 });
    assert.equal(info.parameters, loadCharLM(BASE).model.params.size);
    assert.equal(info.history.length, 1);
    assert.equal(info.history[0].step, 8);
    assert.ok(info.seconds > 0 && info.history[0].seconds === info.seconds);
    assert.ok(Number.isFinite(info.history[0].validationLoss) && info.history[0].validationLoss > 0);
    assert.match(ok(plain, 'info').stdout, /progress: step 8, 512 tokens/);
    assert.match(plain.stdout, /model: LSTM 1×16, embedding 8/);
  });

  test('sample: a fixed seed repeats, another seed differs, --top-k 1 is greedy (the same for every seed)', async () => {
    const sample = (seed: number, extra: string[] = []): Promise<Result> =>
      run(['sample', '--checkpoint', BASE, '--backend', 'js', '--prompt', 'the ', '--length', '60', '--temperature', '1', '--seed', String(seed), ...extra]);
    const [a1, a2, b, g1, g2] = await Promise.all([sample(1), sample(1), sample(2), sample(1, ['--top-k', '1']), sample(7, ['--top-k', '1'])]);
    for (const r of [a1, a2, b, g1, g2]) {
      ok(r, 'sample');
      assert.ok(r.stdout.startsWith('the ') && r.stdout.endsWith('\n'), JSON.stringify(r.stdout));
      assert.equal([...r.stdout].length, 4 + 60 + 1);
    }
    assert.equal(a2.stdout, a1.stdout, 'same seed, same text');
    assert.notEqual(b.stdout, a1.stdout, 'another seed, other text');
    assert.equal(g2.stdout, g1.stdout, 'greedy decoding ignores the seed');
    const vocab = new Set(documentOf(BASE).vocabulary as string[]);
    for (const ch of a1.stdout.slice(4, -1)) assert.ok(vocab.has(ch), `sampled ${JSON.stringify(ch)} is in the vocabulary`);
  });
});
