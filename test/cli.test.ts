/**
 * The `recurrent` command line, run as a child process: resume is exact,
 * Ctrl-C and SIGTERM save a checkpoint that resumes, bad input gets a
 * one-line message (no stack trace, non-zero exit) and never costs a good
 * checkpoint — nor a device, FIFO or link target in its place — endless
 * inputs are refused, one run at a time writes a checkpoint, and
 * eval / info / sample print what they claim.
 *
 * Tiny models (LSTM 1×16, embedding 8, batch 4 × 16) on generated text in a
 * temporary directory, always with the JavaScript kernels.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { Random } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { CLI, collect, failsCleanly, ok, type Result, spawnCollect } from './cli-harness.js';
import { wordText } from './helpers.js';

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

function run(args: string[], o: { uid?: number; gid?: number; timeout?: number } = {}): Promise<Result> {
  return spawnCollect(args, { cwd: dir, timeout: o.timeout ?? 30_000, ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid ?? o.uid } : {}) });
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

/** Starts a long training run; resolves when it has printed a validation line (it is training, and holds its lock). */
function startLong(ck: string, extra: string[] = []): { child: ChildProcess; result: Promise<Result>; training: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'train', '--data', DATA, ...TINY, '--steps', '1000000', '--validate-every', '0.2', '--checkpoint', ck, ...extra], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL',
  });
  let started: () => void = () => {};
  const training = new Promise<void>((resolve) => {
    started = resolve;
  });
  const result = collect(child, (out) => {
    if (/^step \d+ \(/m.test(out)) started();
  });
  void result.then(() => started());
  return { child, result, training };
}

describe('Ctrl-C and SIGTERM', () => {
  test('SIGINT and SIGTERM during training: exit 130 and 143, a checkpoint at the current step, and --resume continues from it', async () => {
    await Promise.all(([['SIGINT', 130], ['SIGTERM', 143]] as const).map(async ([signal, code]) => {
      const ck = at(`interrupted-${signal}.safetensors`);
      const long = startLong(ck);
      await long.training;
      long.child.kill(signal);
      const r = await long.result;
      assert.equal(r.code, code, `${signal}: exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      const m = new RegExp(`Interrupted at step (\\d+) \\(${signal}\\): checkpoint saved to .*interrupted-${signal}\\.safetensors\\.\nContinue with: recurrent train --resume --checkpoint .*interrupted-${signal}\\.safetensors$`, 'm').exec(r.stdout);
      assert.ok(m, r.stdout);
      const step = Number(m[1]);
      assert.ok(step > 0 && step < 1_000_000);
      const saved = loadCharLM(ck);
      assert.equal(saved.trainer.step, step);
      assert.ok(saved.trainer.history.length >= 1, 'the validations before the interrupt are kept');
      assert.equal(existsSync(`${ck}.lock`), false, 'the lock is released');

      const target = step + 3;
      const resumed = ok(await run(['train', '--resume', '--backend', 'js', '--steps', String(target), '--checkpoint', ck]), `${signal}: resume`);
      assert.match(resumed.stdout, new RegExp(`resuming from .* at step ${step}`));
      assert.match(resumed.stdout, new RegExp(`done: ${target} steps`));
      assert.equal(loadCharLM(ck).trainer.step, target);
    }));
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
  /** BASE edited as another program would (its checksum record dropped). */
  const rewrite = (path: string, edit: (tensors: Map<string, Tensor>, meta: Record<string, string>) => void): void => {
    const { tensors, metadata } = readSafetensors(BASE);
    delete metadata['recurrent.sha256'];
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
      pattern: /checkpoint \(.*shape\.safetensors\): weights do not fit the model .*'decoder\.weight' has shape \[\d+, 32\], the config needs \[\d+, 16\]/,
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
    failsCleanly(hidden, /train --resume: the checkpoint was trained with --hidden 16 \(this run: 32\); a resumed run must keep its configuration/, '--hidden 32');
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
    const user: { uid?: number; gid?: number } = asRoot ? { uid: 65534, gid: 65534 } : {};
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

/** A FIFO in the test directory (mkfifo from coreutils), or null where there is none. */
function fifo(name: string): string | null {
  const path = at(name);
  return spawnSync('mkfifo', [path]).status === 0 ? path : null;
}

/** The id of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/** A refusal by the option parser: exit 1 and commander's message naming the option and value. */
function rejectsOption(r: Result, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.equal(r.stdout, '', `${what}: nothing trained`);
}

describe('checkpoint paths that are not regular files', () => {
  test('a link to /dev/null, a FIFO and a path ending in / are refused before training, and left as they were', async (t) => {
    const toNull = at('to-null.safetensors');
    symlinkSync('/dev/null', toNull);
    const pipe = fifo('pipe.safetensors');
    if (!pipe) t.diagnostic('no mkfifo here: the FIFO case is skipped');
    const cases: [string, RegExp][] = [
      [toNull, /train: cannot write the checkpoint .*to-null\.safetensors: its link target \/dev\/null is a character device, which a write would replace/],
      [at('ckdir/'), /train: cannot write the checkpoint .*ckdir\/: the path ends with a separator, so it names a directory/],
      ...(pipe ? [[pipe, /train: cannot write the checkpoint .*pipe\.safetensors: it is a FIFO \(named pipe\), which a write would replace/] as [string, RegExp]] : []),
    ];
    const results = await Promise.all(cases.map(([ck]) => run(['train', '--data', DATA, ...TINY, '--steps', '3', '--checkpoint', ck])));
    results.forEach((r, i) => {
      failsCleanly(r, cases[i]![1], cases[i]![0]);
      assert.doesNotMatch(r.stdout, /^(step|done)/m, 'nothing trained');
    });
    assert.equal(readlinkSync(toNull), '/dev/null');
    assert.ok(lstatSync('/dev/null').isCharacterDevice());
    if (pipe) assert.ok(lstatSync(pipe).isFIFO());
    assert.equal(existsSync(at('ckdir')), false);
  });

  test('through a symbolic link, the target is written and the link stays a link', async () => {
    mkdirSync(at('real'));
    const target = join(at('real'), 'ck.safetensors');
    symlinkSync(target, at('link.safetensors'));
    ok(await run(['train', '--data', DATA, ...TINY, '--steps', '2', '--checkpoint', at('link.safetensors')]), 'train through a link');
    assert.equal(readlinkSync(at('link.safetensors')), target);
    assert.equal(loadCharLM(target).trainer.step, 2);
    assert.deepEqual(readdirSync(at('real')), ['ck.safetensors'], 'no lock or temporary file left');
  });
});

describe('endless inputs are refused', () => {
  test('--data /dev/zero or a FIFO, sample --checkpoint /dev/zero, sample --length beyond its bound: clear errors at once', async (t) => {
    const pipe = fifo('data-pipe');
    if (!pipe) t.diagnostic('no mkfifo here: the FIFO case is skipped');
    const o = { timeout: 20_000 };
    const [zero, fifoData, sample, long, huge] = await Promise.all([
      run(['train', '--data', '/dev/zero', ...TINY, '--steps', '2', '--checkpoint', at('zero.safetensors')], o),
      pipe ? run(['train', '--data', pipe, ...TINY, '--steps', '2', '--checkpoint', at('fifo.safetensors')], o) : Promise.resolve(null),
      run(['sample', '--checkpoint', '/dev/zero', '--backend', 'js'], o),
      run(['sample', '--checkpoint', BASE, '--backend', 'js', '--length', '1000001'], o),
      run(['sample', '--checkpoint', BASE, '--backend', 'js', '--length', '1e9'], o),
    ]);
    failsCleanly(zero, /data: \/dev\/zero is a character device, not a regular file; expected a text file/, '--data /dev/zero');
    if (fifoData) failsCleanly(fifoData, /data: .*data-pipe is a FIFO \(named pipe\), not a regular file/, '--data FIFO');
    failsCleanly(sample, /checkpoint \(\/dev\/zero\): cannot be read: is a character device, not a regular file/, 'sample /dev/zero');
    rejectsOption(long, /option '--length <n>' argument '1000001' is invalid\. expected a whole number from 0 to 1,000,000/, '--length 1000001');
    rejectsOption(huge, /option '--length <n>' argument '1e9' is invalid/, '--length 1e9');
  });
});

describe('a finished run', () => {
  test('resuming it says so and changes nothing; info prints a history with an unmeasured train loss', async () => {
    const ck = at('finished.safetensors');
    copyFileSync(BASE, ck);
    const original = readFileSync(ck);
    const [again, shorter] = await Promise.all([
      run(['train', '--resume', '--backend', 'js', '--checkpoint', ck]),
      run(['train', '--resume', '--backend', 'js', '--steps', '5', '--checkpoint', ck]),
    ]);
    failsCleanly(again, /train --resume: the run is already complete \(step 8, [\d.]+ s of training; budget 8 steps\); nothing was changed/, 'same budget');
    failsCleanly(shorter, /train --resume: the run is already complete \(step 8, .*budget 5 steps\)/, 'smaller budget');
    assert.ok(readFileSync(ck).equals(original), 'checkpoint byte-identical');
    // A history entry whose train loss was never measured (NaN, saved as null), as an earlier version wrote after such a resume.
    const { tensors, metadata } = readSafetensors(BASE);
    const doc = JSON.parse(metadata.recurrent!) as Record<string, any>;
    doc.trainer.history.push({ ...doc.trainer.history[0], trainLoss: null });
    writeSafetensors(at('null-loss.safetensors'), tensors, { recurrent: JSON.stringify(doc) });
    const [info, json] = await Promise.all([run(['info', '--checkpoint', at('null-loss.safetensors')]), run(['info', '--checkpoint', at('null-loss.safetensors'), '--json'])]);
    assert.match(ok(info, 'info').stdout, /^\s+8\s+\d+s\s+–\s+\d+\.\d{4}\s+\d+\.\d{4}$/m);
    assert.equal((JSON.parse(ok(json, 'info --json').stdout) as { history: { trainLoss: number | null }[] }).history[1]!.trainLoss, null);
  });
});

describe('temporary files and locks', () => {
  test('a temporary file left by a killed writer is removed at the next save; a live process\'s is kept', async () => {
    const ck = at('orphans.safetensors');
    copyFileSync(BASE, ck);
    const stale = `${ck}.${deadPid()}.x1y2z3w4.tmp`;
    const live = `${ck}.${process.pid}.q5r6s7t8.tmp`;
    writeFileSync(stale, 'half a checkpoint');
    writeFileSync(live, 'a write in progress');
    ok(await run(['train', '--resume', '--backend', 'js', '--steps', '10', '--checkpoint', ck]), 'resume');
    assert.equal(existsSync(stale), false, 'stale temporary removed');
    assert.ok(existsSync(live), 'live temporary kept');
  });

  test('a second run on a checkpoint being trained is refused; after a crash, the stale lock is taken over', async () => {
    const ck = at('contended.safetensors');
    const first = startLong(ck);
    await first.training;
    const second = await run(['train', '--data', DATA, ...TINY, '--steps', '3', '--checkpoint', ck]);
    failsCleanly(second, new RegExp(`train: .*contended\\.safetensors is in use by process ${first.child.pid} since .* \\(lock file .*contended\\.safetensors\\.lock\\)`), 'second writer');
    first.child.kill('SIGINT');
    assert.equal((await first.result).code, 130);
    const step = loadCharLM(ck).trainer.step;
    assert.ok(step > 0);
    // A run killed without cleanup leaves its lock behind: the next run sees its process is gone and takes over.
    writeFileSync(`${ck}.lock`, JSON.stringify({ pid: deadPid(), hostname: hostname(), since: new Date().toISOString() }));
    ok(await run(['train', '--resume', '--backend', 'js', '--steps', String(step + 2), '--checkpoint', ck]), 'resume after a stale lock');
    assert.equal(loadCharLM(ck).trainer.step, step + 2);
    assert.equal(existsSync(`${ck}.lock`), false);
  });
});

describe('resume keeps the text and the validation', () => {
  test('the text is recorded (path, size, SHA-256) and used when --data is omitted; another text with the same vocabulary, or another --val-windows, is refused', async () => {
    const info = JSON.parse(ok(await run(['info', '--checkpoint', BASE, '--json']), 'info').stdout) as Record<string, any>;
    const bytes = readFileSync(DATA);
    assert.deepEqual(info.data.fingerprint, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    assert.equal(info.data.validationWindows, 1);

    const ck = at('same-text.safetensors');
    copyFileSync(BASE, ck);
    const original = readFileSync(ck);
    const shuffled = at('shuffled.txt');
    writeFileSync(shuffled, readFileSync(DATA, 'utf8').split('\n').reverse().join('\n'));
    const [text, windows] = await Promise.all([
      run(['train', '--resume', '--backend', 'js', '--steps', '12', '--data', shuffled, '--checkpoint', ck]),
      run(['train', '--resume', '--backend', 'js', '--steps', '12', '--val-windows', '2', '--checkpoint', ck]),
    ]);
    failsCleanly(text, /train --resume: the text \([\d,]+ bytes, SHA-256 [0-9a-f]{12}…\) is not the one the checkpoint was trained on \(.*data\.txt: [\d,]+ bytes/, 'other text');
    failsCleanly(windows, /train --resume: the checkpoint was trained with --val-windows 1 \(this run: 2\)/, '--val-windows');
    assert.ok(readFileSync(ck).equals(original));

    const resumed = ok(await run(['train', '--resume', '--backend', 'js', '--steps', '10', '--checkpoint', ck]), 'resume without --data');
    assert.match(resumed.stdout, new RegExp(`^data: ${DATA.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.equal(loadCharLM(ck).trainer.step, 10);
  });
});

describe('options', () => {
  test('integers in decimal digits within range; seeds up to 2^32 − 1; --cell rnn is rnn_tanh', async () => {
    const common = ['train', '--data', DATA, ...TINY, '--steps', '1', '--checkpoint', at('never.safetensors')];
    const [wrap, huge, hex, rnn] = await Promise.all([
      run([...common, '--seed', '4294967296']),
      run([...common, '--seed', '1e20']),
      run([...common, '--hidden', '0x10']),
      run(['train', '--data', DATA, ...TINY, '--steps', '1', '--cell', 'rnn', '--seed', '4294967295', '--checkpoint', at('rnn.safetensors')]),
    ]);
    assert.match(ok(rnn, '--cell rnn').stdout, /^model: RNN \(tanh\) 1×16/m);
    assert.deepEqual([loadCharLM(at('rnn.safetensors')).config.cell, loadCharLM(at('rnn.safetensors')).config.seed], ['rnn_tanh', 4294967295]);
    rejectsOption(wrap, /option '--seed <n>' argument '4294967296' is invalid\. expected a whole number from 0 to 4,294,967,295/, 'seed 2^32');
    rejectsOption(huge, /option '--seed <n>' argument '1e20' is invalid/, 'seed 1e20');
    rejectsOption(hex, /option '--hidden <n>' argument '0x10' is invalid\. expected a whole number from 1 to .* in decimal digits/, 'hidden 0x10');
    assert.equal(existsSync(at('never.safetensors')), false);
  });

  test('a model too large for one store, or for the memory, is refused before anything is allocated (--force overrides the estimate only)', async () => {
    const common = ['train', '--data', DATA, ...TINY, '--steps', '1', '--checkpoint', at('big.safetensors')];
    const [store, memory] = await Promise.all([
      run([...common, '--hidden', '1000000000', '--force'], { timeout: 20_000 }),
      run([...common, '--hidden', '20000'], { timeout: 20_000 }),
    ]);
    failsCleanly(store, /CharLM: this configuration has [\d,]+ parameters, more than one parameter store holds \(4,294,967,296\)/, '--hidden 1e9');
    failsCleanly(memory, /train: this model would need about [\d.]+ GB of memory \(1,601,\d{3},\d{3} parameters\), more than the .* allowed; .*--force/, '--hidden 20000');
    assert.equal(existsSync(at('big.safetensors')), false);
  });

  test('--lr 1e308 names the step whose update overflowed', async () => {
    const r = await run(['train', '--data', DATA, ...TINY, '--lr', '1e308', '--steps', '5', '--checkpoint', at('overflow.safetensors')]);
    failsCleanly(r, /train: the update of step 1 made '[\w.]+' -?Infinity \(the learning rate 1e\+308 is too large\)/, '--lr 1e308');
    assert.equal(existsSync(at('overflow.safetensors')), false);
  });

  test('--threads reaches the WebAssembly backend', async (t) => {
    const common = ['train', '--data', DATA, ...TINY.filter((a) => a !== 'js' && a !== '--backend'), '--backend', 'wasm', '--steps', '1'];
    const [one, two] = await Promise.all([
      run([...common, '--threads', '1', '--checkpoint', at('t1.safetensors')]),
      run([...common, '--threads', '2', '--checkpoint', at('t2.safetensors')]),
    ]);
    if (/could not be loaded/.test(one.stderr)) {
      t.skip('no WebAssembly SIMD here');
      return;
    }
    assert.match(ok(one, '--threads 1').stdout, /^kernels: wasm[-\w]*, 1 thread$/m);
    // Two threads need shared WebAssembly memory; without it the backend runs on one.
    assert.match(ok(two, '--threads 2').stdout, /^kernels: wasm[-\w]*, [12] threads?$/m);
    if (!/2 threads/.test(two.stdout)) t.diagnostic('shared memory unavailable: the backend fell back to one thread');
  });
});
