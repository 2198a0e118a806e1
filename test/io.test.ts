/**
 * Files a long run depends on: writes replace only regular files (a device,
 * a FIFO or a directory is refused untouched; a symbolic link's target is
 * replaced), reads refuse what never ends, temporaries of killed writers are
 * cleaned up, one writer holds a checkpoint's lock, checksums name the
 * damaged tensor, and JSON from files is bounded in depth and checked field
 * by field.
 *
 * Everything happens in a temporary directory; `/dev/null` and `/dev/zero`
 * are only reached through links made there, or read.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../src/io/checkpoint.js';
import { readCheckpoint, writeCheckpoint } from '../src/io/checkpoint-file.js';
import { FileError, prepareWrite, readRegularFile, writeFileAtomic, writeTarget } from '../src/io/files.js';
import { jsonDepth, parseBoundedJson } from '../src/io/json.js';
import { FileLock, LockError } from '../src/io/lock.js';
import { SafetensorsError, serializeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { arrayOf, integer, listSome, nullable, number, object, optional, SchemaError, string } from '../src/io/schema.js';
import { tensor } from '../src/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

/** A FIFO in the test directory (mkfifo from coreutils), or null where there is none. */
function fifo(name: string): string | null {
  const path = at(name);
  const r = spawnSync('mkfifo', [path]);
  return r.status === 0 ? path : null;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid && r.pid > 0);
  return r.pid;
}

describe('writes replace only regular files', () => {
  test('a link to a character device (/dev/null), a FIFO, a directory and a path ending in / are refused, and stay as they were', (t) => {
    const toNull = at('null-link.safetensors');
    symlinkSync('/dev/null', toNull);
    const cases: [string, RegExp][] = [
      [toNull, /its link target \/dev\/null is a character device, which a write would replace/],
      [at('adir'), /it is a directory/],
      [`${at('newdir')}/`, /ends with a separator/],
    ];
    mkdirSync(at('adir'));
    const pipe = fifo('pipe.safetensors');
    if (pipe) cases.push([pipe, /it is a FIFO \(named pipe\), which a write would replace/]);
    else t.diagnostic('no mkfifo here: the FIFO case is skipped');
    for (const [path, pattern] of cases) {
      assert.throws(() => writeSafetensors(path, { w: tensor([1], [1]) }), (e: unknown) => e instanceof SafetensorsError && pattern.test(e.message), path);
      assert.throws(() => prepareWrite(path), (e: unknown) => e instanceof FileError && pattern.test(e.message), path);
    }
    assert.equal(readlinkSync(toNull), '/dev/null', 'the link is still a link to /dev/null');
    assert.ok(lstatSync('/dev/null').isCharacterDevice(), '/dev/null is still a device');
    if (pipe) assert.ok(lstatSync(pipe).isFIFO());
    assert.ok(lstatSync(at('adir')).isDirectory());
    assert.equal(existsSync(at('newdir')), false, 'no directory was made for a path ending in /');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files');
  });

  test('through a symbolic link (and a chain of two), the target is replaced atomically and the links stay links', () => {
    mkdirSync(at('real'));
    const target = join(at('real'), 'model.safetensors');
    writeFileSync(target, 'old');
    symlinkSync(target, at('link1'));
    symlinkSync(at('link1'), at('link2'));
    writeSafetensors(at('link2'), { w: tensor([1, 2], [2]) });
    assert.equal(readlinkSync(at('link2')), at('link1'));
    assert.equal(readlinkSync(at('link1')), target);
    assert.deepEqual([...readSafetensors(target).tensors.get('w')!.data], [1, 2]);
    assert.equal(writeTarget(at('link2')), target);
    // A dangling link: its target is created.
    symlinkSync(join(at('real'), 'new.safetensors'), at('dangling'));
    writeSafetensors(at('dangling'), { v: tensor([3], [1]) });
    assert.deepEqual([...readSafetensors(join(at('real'), 'new.safetensors')).tensors.get('v')!.data], [3]);
    assert.ok(lstatSync(at('dangling')).isSymbolicLink());
  });

  test('temporary files of dead writers are removed by the next write; a live process\'s and unrelated files are kept', () => {
    const path = at('tidy.safetensors');
    const stale = `${path}.${deadPid()}.k3j9x0qa.tmp`;
    const live = `${path}.${process.pid}.a1b2c3d4.tmp`;
    const other = `${path}.notes.tmp`;
    for (const f of [stale, live, other]) writeFileSync(f, 'partial');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.equal(existsSync(stale), false, 'stale temporary removed');
    assert.ok(existsSync(live), 'a live process\'s temporary kept');
    assert.ok(existsSync(other), 'a file not named like a temporary kept');
    assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
  });
});

describe('reads take regular files only', () => {
  test('/dev/zero and a FIFO are refused at once (no endless read, no wait); an oversized file is refused by its size', (t) => {
    assert.throws(() => readRegularFile('/dev/zero', 1 << 20), (e: unknown) => e instanceof FileError && e.code === 'ENOTREG' && /is a character device, not a regular file/.test(e.message));
    assert.throws(() => readSafetensors('/dev/zero'), { name: 'SafetensorsError', message: /\/dev\/zero\): cannot read file: is a character device/ });
    const pipe = fifo('read-pipe');
    if (pipe) assert.throws(() => readRegularFile(pipe, 1 << 20), (e: unknown) => e instanceof FileError && /is a FIFO/.test(e.message));
    else t.diagnostic('no mkfifo here: the FIFO case is skipped');
    writeFileSync(at('big'), Buffer.alloc(1000));
    assert.throws(() => readRegularFile(at('big'), 999), (e: unknown) => e instanceof FileError && e.code === 'EFBIG' && /1,000 bytes, more than the 999 bytes allowed/.test(e.message));
    assert.equal(readRegularFile(at('big'), 1000).length, 1000);
  });
});

describe('one writer per file', () => {
  test('a second lock is refused naming the holder; release frees it', () => {
    const target = at('locked.safetensors');
    const lock = FileLock.acquire(target);
    const holder = JSON.parse(readFileSync(`${target}.lock`, 'utf8')) as { pid: number; hostname: string };
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.hostname, hostname());
    assert.throws(() => FileLock.acquire(target), (e: unknown) => e instanceof LockError && /is in use by another run in this process/.test(e.message));
    lock.check();
    lock.release();
    assert.equal(existsSync(`${target}.lock`), false);
    FileLock.acquire(target).release();
  });

  test('a lock held by a live process is refused; a stale one (dead process) is taken over', () => {
    const target = at('shared.safetensors');
    const since = new Date().toISOString();
    // The parent of this process is alive: its lock is in force.
    writeFileSync(`${target}.lock`, JSON.stringify({ pid: process.ppid, hostname: hostname(), since }));
    assert.throws(() => FileLock.acquire(target), (e: unknown) => e instanceof LockError && new RegExp(`in use by process ${process.ppid} since`).test(e.message));
    const dead = deadPid();
    writeFileSync(`${target}.lock`, JSON.stringify({ pid: dead, hostname: hostname(), since }));
    const lock = FileLock.acquire(target);
    assert.equal((JSON.parse(readFileSync(`${target}.lock`, 'utf8')) as { pid: number }).pid, process.pid);
    // Taken over by someone else meanwhile: check() refuses to let this process write.
    writeFileSync(`${target}.lock`, JSON.stringify({ pid: process.ppid, hostname: hostname(), since }));
    assert.throws(() => lock.check(), (e: unknown) => e instanceof LockError && new RegExp(`lost the lock .*process ${process.ppid}`).test(e.message));
    lock.release();
    assert.ok(existsSync(`${target}.lock`), 'release leaves another holder\'s lock alone');
    writeFileSync(`${target}.lock`, 'garbage');
    assert.throws(() => FileLock.acquire(target), (e: unknown) => e instanceof LockError && /is not a lock this program wrote/.test(e.message));
  });
});

describe('checkpoint checksums', () => {
  const tensors = () => new Map([['a', tensor([1, 2, 3], [3])], ['b', tensor([4, 5], [2])]]);
  const write = (name: string): string => {
    const path = at(name);
    writeCheckpoint(path, { kind: 'test.kind', version: 1, meta: { lr: 0.002, chars: ['x', 'y'] }, tensors: tensors() });
    return path;
  };

  test('a flipped bit in a tensor names that tensor; in the document, the document', () => {
    const path = write('sum.safetensors');
    const good = readCheckpoint(path, 'test.kind', 1);
    assert.deepEqual(good.meta, { lr: 0.002, chars: ['x', 'y'] });
    const bytes = readFileSync(path);
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    const flipped = Buffer.from(bytes);
    flipped[dataStart + 12 + 1]! ^= 0x01; // 'b' starts after a's 12 bytes
    writeFileSync(at('flip-b.safetensors'), flipped);
    assert.throws(() => readCheckpoint(at('flip-b.safetensors'), 'test.kind', 1), (e: unknown) =>
      e instanceof CheckpointError && /tensor 'b' is damaged \(SHA-256 differs/.test(e.message) && !/'a'/.test(e.message));
    // "lr":0.002 → "lr":0.003 inside the header: valid JSON, valid safetensors, wrong value.
    const text = bytes.toString('latin1');
    const i = text.indexOf('0.002');
    const edited = Buffer.from(bytes);
    edited[i + 4] = '3'.charCodeAt(0);
    writeFileSync(at('flip-doc.safetensors'), edited);
    assert.throws(() => readCheckpoint(at('flip-doc.safetensors'), 'test.kind', 1), (e: unknown) =>
      e instanceof CheckpointError && /its metadata document is damaged/.test(e.message));
  });

  test('a file without checksums (written by another program) loads unverified', () => {
    const document = JSON.stringify({ kind: 'test.kind', version: 1, lr: 1 });
    writeFileSync(at('plain.safetensors'), serializeSafetensors(tensors(), { recurrent: document }));
    assert.deepEqual(readCheckpoint(at('plain.safetensors'), 'test.kind', 1).meta, { lr: 1 });
  });
});

describe('JSON from files', () => {
  test('depth is measured ignoring brackets in strings; 100 000 levels are refused before parsing', () => {
    assert.equal(jsonDepth('{"a": [1, {"b": "[[[{{"}]}'), 3);
    assert.equal(jsonDepth('"\\"[" '), 0);
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assert.throws(() => parseBoundedJson(deep, 16, (r) => {
      throw new Error(r);
    }), /nests 100001 levels deep, more than the 16 allowed/);
    // The same header in a safetensors file: a SafetensorsError, not a stack overflow.
    const header = new TextEncoder().encode(deep);
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    writeFileSync(at('deep.safetensors'), bytes);
    assert.throws(() => readSafetensors(at('deep.safetensors')), { name: 'SafetensorsError', message: /header nests 100001 levels deep/ });
  });

  test('schema checks name the field, the expectation and the value', () => {
    const check = object({ n: integer(1, 10), x: nullable(number({ min: 0 })), tags: optional(arrayOf(string())), inner: object({ s: string() }) });
    assert.deepEqual(check({ n: 3, x: null, inner: { s: 'k' }, extra: 1 }, 'doc'), { n: 3, x: null, inner: { s: 'k' } });
    const fails = (v: unknown, pattern: RegExp): void => {
      assert.throws(() => check(v, 'doc'), (e: unknown) => e instanceof SchemaError && pattern.test(e.message), pattern.source);
    };
    fails({ x: 1, inner: { s: '' } }, /^doc\.n: missing$/);
    fails({ n: 11, x: 1, inner: { s: '' } }, /^doc\.n: expected an integer in \[1, 10\], got 11$/);
    fails({ n: 1, x: -1, inner: { s: '' } }, /^doc\.x: expected a finite number in \[0, Infinity\], got -1$/);
    fails({ n: 1, x: 1, tags: ['a', 2], inner: { s: '' } }, /^doc\.tags\[1\]: expected a string, got 2$/);
    fails({ n: 1, x: 1, inner: [] }, /^doc\.inner: expected an object, got an array of 0$/);
    fails(null, /^doc: expected an object, got null$/);
  });

  test('lists in messages stay short: 100 000 names become 10 and a count', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `tensor.${i}`);
    const text = listSome(names);
    assert.match(text, /^'tensor\.0', 'tensor\.1', .*'tensor\.9' and 99,990 more$/);
    assert.ok(text.length < 200, `${text.length} characters`);
  });
});
