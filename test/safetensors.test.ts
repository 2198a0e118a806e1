import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsError, halfToFloat, parseSafetensors, serializeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { type Tensor, tensor } from '../src/tensor.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

/** Builds a raw safetensors image from a header (object or raw text) and data bytes. */
function image(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: Uint8Array): Uint8Array {
  const headerBytes = rawHeader ?? new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** Little-endian bytes of 16-bit words. */
function words16(...words: number[]): Uint8Array {
  const out = new Uint8Array(2 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint16(2 * i, w, true));
  return out;
}

/** Asserts that parsing `bytes` throws a SafetensorsError matching `pattern`. */
function rejects(bytes: Uint8Array, pattern: RegExp, source = 'bad.safetensors'): void {
  assert.throws(
    () => parseSafetensors(bytes, source),
    (err: unknown) => {
      assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(`safetensors (${source}): `), err.message);
      return true;
    },
  );
}

function bitsOf32(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'recurrent-st-'));
}

const F32_ENTRY = (begin: number, end: number, shape: number[] = [(end - begin) / 4]) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, end],
});

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

test('F32 round trip is bit-exact and preserves shapes, metadata, key order', () => {
  const special = new Float32Array([1.5, -0, 1e-45, 3.4028234663852886e38, Math.fround(Math.PI), -Infinity, Infinity, NaN]);
  const tensors: Record<string, Tensor> = {
    'lstm.weight_ih_l0': { data: special, shape: [2, 4] },
    'a.bias': tensor([0.1, -0.2, 0.3], [3]),
    scalar: tensor([42], []),
    empty: { data: new Float32Array(0), shape: [0, 5] },
  };
  const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'héllo' });
  const { tensors: back, metadata } = parseSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', note: 'héllo' });
  assert.deepEqual([...back.keys()].sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const got = back.get(name);
    assert.ok(got);
    assert.ok(got.data instanceof Float32Array);
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual(bitsOf32(got.data), bitsOf32(t.data as Float32Array), name);
  }
  assert.ok(Object.is(back.get('lstm.weight_ih_l0')?.data[1], -0));
  assert.equal(back.get('lstm.weight_ih_l0')?.data[2], Math.fround(1e-45)); // smallest float32 subnormal
  assert.equal(back.get('scalar')?.data[0], 42);
});

test('serialization writes tensors key-sorted and contiguous', () => {
  const bytes = serializeSafetensors(new Map<string, Tensor>([
    ['b', tensor([1, 2], [2])],
    ['a', tensor([3], [1])],
    ['c', tensor([4, 5, 6], [3])],
  ]));
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(header['a']?.data_offsets, [0, 4]);
  assert.deepEqual(header['b']?.data_offsets, [4, 12]);
  assert.deepEqual(header['c']?.data_offsets, [12, 24]);
  assert.equal('__metadata__' in header, false);
  const data = new Float32Array(bytes.slice(8 + n).buffer);
  assert.deepEqual([...data], [3, 1, 2, 4, 5, 6]);
});

test('F32 serialization rounds float64 data to float32', () => {
  const t = tensor([0.1, 1 / 3], [2], 'float64');
  const back = parseSafetensors(serializeSafetensors({ t })).tensors.get('t');
  assert.ok(back?.data instanceof Float32Array);
  assert.deepEqual([...back.data], [Math.fround(0.1), Math.fround(1 / 3)]);
});

test('F64 round trip is exact and decodes to Float64Array', () => {
  const values = [0.1, -1 / 3, Number.MIN_VALUE, Number.MAX_VALUE, -0, 1e300];
  const bytes = serializeSafetensors({ w: tensor(values, [3, 2], 'float64') }, undefined, 'F64');
  const w = parseSafetensors(bytes).tensors.get('w');
  assert.ok(w?.data instanceof Float64Array);
  assert.deepEqual(w.shape, [3, 2]);
  assert.deepEqual([...w.data], values);
});

test('header is space-padded to a multiple of 8 bytes', () => {
  for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
    const bytes = serializeSafetensors({ [name]: tensor([1], [1]) }, { k: name });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, `header length ${n} for ${name}`);
    assert.equal((8 + n) % 8, 0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    assert.match(text, /^\{.*\} *$/s);
    assert.equal(bytes.length, 8 + n + 4);
  }
});

test('parsing does not depend on the alignment of the input view', () => {
  const bytes = serializeSafetensors({ x: tensor([1.25, -2.5, 3.75], [3]) }, undefined, 'F32');
  for (const shift of [1, 2, 3, 5]) {
    const backing = new Uint8Array(bytes.length + shift);
    backing.set(bytes, shift);
    const view = backing.subarray(shift);
    assert.deepEqual([...(parseSafetensors(view).tensors.get('x')?.data ?? [])], [1.25, -2.5, 3.75]);
  }
  const f64 = serializeSafetensors({ y: tensor([0.1, 0.2], [2], 'float64') }, undefined, 'F64');
  const backing = new Uint8Array(f64.length + 3);
  backing.set(f64, 3);
  assert.deepEqual([...(parseSafetensors(backing.subarray(3)).tensors.get('y')?.data ?? [])], [0.1, 0.2]);
});

// ---------------------------------------------------------------------------
// Half precision
// ---------------------------------------------------------------------------

test('F16 decodes known values exactly, including subnormals, infinities and NaN', () => {
  const words = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00, 0xfc00, 0x8000, 0x0000, 0x03ff, 0x0400, 0x3555];
  const bytes = image({ h: { dtype: 'F16', shape: [words.length], data_offsets: [0, 2 * words.length] } }, words16(...words));
  const h = parseSafetensors(bytes).tensors.get('h');
  assert.ok(h?.data instanceof Float32Array);
  const d = h.data;
  assert.equal(d[0], 1.0);
  assert.equal(d[1], -2.0);
  assert.equal(d[2], 65504);
  assert.equal(d[3], 5.960464477539063e-8);
  assert.equal(d[3], 2 ** -24);
  assert.equal(d[4], Infinity);
  assert.ok(Number.isNaN(d[5]));
  assert.equal(d[6], -Infinity);
  assert.ok(Object.is(d[7], -0));
  assert.ok(Object.is(d[8], 0));
  assert.equal(d[9], 1023 * 2 ** -24); // largest subnormal
  assert.equal(d[10], 2 ** -14); // smallest normal
  assert.equal(d[11], 0.333251953125); // nearest half to 1/3
});

test('halfToFloat agrees with a reference formula on every finite half', () => {
  for (let h = 0; h < 0x10000; h++) {
    const e = (h >> 10) & 0x1f;
    if (e === 0x1f) continue;
    const m = h & 0x3ff;
    const s = h & 0x8000 ? -1 : 1;
    const expected = e === 0 ? s * m * 2 ** -24 : s * (1024 + m) * 2 ** (e - 25);
    assert.ok(Object.is(halfToFloat(h), expected), `0x${h.toString(16)}`);
  }
});

test('BF16 decodes as the upper 16 bits of a float32', () => {
  const words = [0x3f80, 0xc0a0, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x3eab];
  const bytes = image({ b: { dtype: 'BF16', shape: [words.length], data_offsets: [0, 2 * words.length] } }, words16(...words));
  const b = parseSafetensors(bytes).tensors.get('b');
  assert.ok(b?.data instanceof Float32Array);
  const d = b.data;
  assert.equal(d[0], 1.0);
  assert.equal(d[1], -5.0);
  assert.equal(d[2], Infinity);
  assert.equal(d[3], -Infinity);
  assert.ok(Number.isNaN(d[4]));
  assert.equal(d[5], 2 ** -133); // float32 subnormal 0x00010000
  assert.equal(d[6], 0.333984375);
});

test('NaN values are decoded, not rejected', () => {
  const bytes = serializeSafetensors({ n: tensor([NaN, 1], [2]) });
  const d = parseSafetensors(bytes).tensors.get('n')?.data;
  assert.ok(d !== undefined && Number.isNaN(d[0]) && d[1] === 1);
});

// ---------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------

test('rejects a file shorter than 8 bytes', () => {
  rejects(new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length prefix/);
  rejects(new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length prefix/);
});

test('rejects a header length past the end of the file', () => {
  const bytes = new Uint8Array(120);
  new DataView(bytes.buffer).setBigUint64(0, 9999n, true);
  rejects(bytes, /^safetensors \(model\.safetensors\): header length 9999 runs past the end of the file \(120 bytes\)$/, 'model.safetensors');
});

test('rejects an absurd header length', () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
  rejects(bytes, /header length 18446744073709551615 exceeds the 100 MB limit/);
  new DataView(bytes.buffer).setBigUint64(0, 200_000_000n, true);
  rejects(bytes, /header length 200000000 exceeds the 100 MB limit/);
});

test('rejects a header that is not UTF-8, not JSON, or not an object', () => {
  rejects(image(null, undefined, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /header \(4 bytes\) is not valid UTF-8/);
  rejects(image(null, undefined, new TextEncoder().encode('{"a": ')), /header is not valid JSON: /);
  rejects(image([1, 2]), /header must be a JSON object, found \[1,2\]/);
  rejects(image(null), /header must be a JSON object, found null/);
  rejects(image(7), /header must be a JSON object, found 7/);
});

test('rejects malformed metadata', () => {
  rejects(image({ __metadata__: [] }), /"__metadata__" must be an object of strings, found \[\]/);
  rejects(image({ __metadata__: { epoch: 3 } }), /"__metadata__" value for "epoch" must be a string, found 3/);
});

test('rejects entries with missing or mistyped fields', () => {
  const data = new Uint8Array(4);
  rejects(image({ w: 5 }, data), /tensor "w": entry must be an object, found 5/);
  rejects(image({ w: { shape: [1], data_offsets: [0, 4] } }, data), /tensor "w": missing "dtype"/);
  rejects(image({ w: { dtype: 'F32', data_offsets: [0, 4] } }, data), /tensor "w": missing "shape"/);
  rejects(image({ w: { dtype: 'F32', shape: [1] } }, data), /tensor "w": missing "data_offsets"/);
  rejects(image({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, data), /tensor "w": "dtype" must be a string, found 32/);
  rejects(image({ w: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, data), /tensor "w": "shape" must be an array of non-negative integers, found "1"/);
});

test('rejects an unsupported dtype, naming it and the supported ones', () => {
  rejects(
    image({ w: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "w": unsupported dtype "I8" \(supported: F32, F64, F16, BF16\)/,
  );
});

test('rejects negative or non-integer shape dimensions', () => {
  const data = new Uint8Array(4);
  rejects(image({ w: F32_ENTRY(0, 4, [1, -1]) }, data), /tensor "w": shape\[1\] must be a non-negative integer, found -1/);
  rejects(image({ w: F32_ENTRY(0, 4, [1.5]) }, data), /tensor "w": shape\[0\] must be a non-negative integer, found 1\.5/);
  rejects(image({ w: F32_ENTRY(0, 4, [null as unknown as number]) }, data), /shape\[0\] must be a non-negative integer, found null/);
});

test('rejects malformed data_offsets', () => {
  const data = new Uint8Array(8);
  const entry = (offsets: unknown) => ({ w: { dtype: 'F32', shape: [2], data_offsets: offsets } });
  const twoInts = /tensor "w": "data_offsets" must be two non-negative integers \[begin, end\], found /;
  rejects(image(entry([0]), data), twoInts);
  rejects(image(entry([0, 4, 8]), data), twoInts);
  rejects(image(entry([0, 7.5]), data), twoInts);
  rejects(image(entry([-4, 4]), data), twoInts);
  rejects(image(entry('0-8'), data), twoInts);
  rejects(image(entry([8, 0]), data), /tensor "w": data_offsets begin 8 is greater than end 0/);
  rejects(image(entry([0, 16]), data), /tensor "w": data_offsets end 16 runs past the end of the data buffer \(8 bytes\)/);
});

test('rejects a byte length that does not match numel × element size', () => {
  rejects(
    image({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)),
    /tensor "w": F32 shape \[2, 3\] needs 24 bytes \(6 × 4\), but data_offsets \[0, 20\] span 20 bytes/,
  );
  rejects(
    image({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /tensor "h": F16 shape \[3\] needs 6 bytes \(3 × 2\), but data_offsets \[0, 8\] span 8 bytes/,
  );
});

test('rejects overlapping tensors, naming both', () => {
  rejects(
    image({ a: F32_ENTRY(0, 16), b: F32_ENTRY(8, 24) }, new Uint8Array(24)),
    /tensors "a" \[0, 16\) and "b" \[8, 24\) overlap/,
  );
  rejects(
    image({ a: F32_ENTRY(0, 8), b: F32_ENTRY(0, 8) }, new Uint8Array(8)),
    /tensors "[ab]" \[0, 8\) and "[ab]" \[0, 8\) overlap/,
  );
});

test('rejects gaps in the data buffer, reporting where', () => {
  rejects(
    image({ a: F32_ENTRY(0, 8), b: F32_ENTRY(16, 24) }, new Uint8Array(24)),
    /bytes \[8, 16\) of the data buffer are not covered by any tensor \(gap between "a" and "b"\)/,
  );
  rejects(
    image({ b: F32_ENTRY(4, 8) }, new Uint8Array(8)),
    /bytes \[0, 4\) of the data buffer are not covered by any tensor \(gap before "b"\)/,
  );
  rejects(
    image({ a: F32_ENTRY(0, 8) }, new Uint8Array(12)),
    /bytes \[8, 12\) of the data buffer are not covered by any tensor \(trailing gap, after "a"\)/,
  );
  rejects(image({}, new Uint8Array(4)), /bytes \[0, 4\) .* \(trailing gap, the header lists no tensors\)/);
});

test('accepts an empty file with no tensors and zero-size tensors', () => {
  assert.equal(parseSafetensors(image({})).tensors.size, 0);
  const parsed = parseSafetensors(image({ z: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } }));
  assert.deepEqual(parsed.tensors.get('z')?.shape, [0, 3]);
  assert.equal(parsed.tensors.get('z')?.data.length, 0);
});

test('serialization rejects bad tensors with SafetensorsError', () => {
  assert.throws(() => serializeSafetensors({ w: { data: new Float32Array(3), shape: [2, 2] } }), {
    name: 'SafetensorsError',
    message: /tensor "w": 3 values do not fill shape \[2, 2\] \(4 elements\)/,
  });
  assert.throws(() => serializeSafetensors({ __metadata__: tensor([1], [1]) }), {
    name: 'SafetensorsError',
    message: /"__metadata__" is reserved/,
  });
  assert.throws(() => serializeSafetensors({}, { epoch: 3 as unknown as string }), {
    name: 'SafetensorsError',
    message: /metadata value for "epoch" must be a string, found 3/,
  });
});

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

test('atomic write replaces content and leaves no temporary files', () => {
  const dir = tmpDir();
  try {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, 'old contents');
    writeSafetensors(path, { w: tensor([1, 2, 3, 4], [2, 2]) }, { format: 'pt' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    const { tensors, metadata } = readSafetensors(path);
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual([...(tensors.get('w')?.data ?? [])], [1, 2, 3, 4]);

    writeSafetensors(path, { v: tensor([0.5], [1], 'float64') }, undefined, 'F64');
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    const again = readSafetensors(path);
    assert.deepEqual([...again.tensors.keys()], ['v']);
    assert.ok(again.tensors.get('v')?.data instanceof Float64Array);
    assert.deepEqual(readFileSync(path), Buffer.from(serializeSafetensors({ v: tensor([0.5], [1], 'float64') }, undefined, 'F64')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic write to an unwritable path throws clearly and leaves nothing behind', () => {
  const dir = tmpDir();
  try {
    const missing = join(dir, 'no-such-dir', 'model.safetensors');
    assert.throws(() => writeSafetensors(missing, { w: tensor([1], [1]) }), (err: unknown) => {
      assert.ok(err instanceof SafetensorsError);
      assert.match(err.message, /^safetensors \(.*no-such-dir\/model\.safetensors\): cannot write file: ENOENT/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'no-such-dir')), false);
    assert.deepEqual(readdirSync(dir), []);

    // A directory is never replaced, and nothing is left beside it.
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const sub = 'occupied';
    mkdirSync(join(dir, sub, 'child'), { recursive: true });
    assert.throws(() => writeSafetensors(join(dir, sub), { w: tensor([1], [1]) }), {
      name: 'SafetensorsError',
      message: /cannot write file: it is a directory, which a write would replace/,
    });
    assert.deepEqual(readdirSync(dir).sort(), ['keep.txt', sub].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed serialization during write leaves the original file untouched', () => {
  const dir = tmpDir();
  try {
    const path = join(dir, 'model.safetensors');
    writeSafetensors(path, { w: tensor([7], [1]) });
    const before = readFileSync(path);
    assert.throws(() => writeSafetensors(path, { w: { data: new Float32Array(2), shape: [3] } }), {
      name: 'SafetensorsError',
      message: /model\.safetensors\): tensor "w": 2 values do not fill shape \[3\]/,
    });
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSafetensors names the path in errors', () => {
  const dir = tmpDir();
  try {
    const missing = join(dir, 'absent.safetensors');
    assert.throws(() => readSafetensors(missing), {
      name: 'SafetensorsError',
      message: new RegExp(`^safetensors \\(${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): cannot read file: ENOENT`),
    });
    const short = join(dir, 'short.safetensors');
    writeFileSync(short, 'abc');
    assert.throws(() => readSafetensors(short), {
      name: 'SafetensorsError',
      message: /short\.safetensors\): file is 3 bytes, shorter than the 8-byte header length prefix/,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// PyTorch fixtures (produced separately by scripts/gen_fixtures.py)
// ---------------------------------------------------------------------------

interface FixtureTensor {
  shape: number[];
  data: unknown;
}

type FixtureSection = Record<string, FixtureTensor>;

function flatten(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v as number);
  return out;
}

const FIXTURE_CASES: ReadonlyArray<[file: string, section: string]> = [
  ['torch_lstm.safetensors', 'stateDict'],
  ['torch_lstm_f16.safetensors', 'f16'],
  ['torch_lstm_bf16.safetensors', 'bf16'],
];

for (const [file, section] of FIXTURE_CASES) {
  const path = join(FIXTURES, file);
  const jsonPath = join(FIXTURES, 'torch_safetensors.json');
  const missing = [path, jsonPath].filter((p) => !existsSync(p));
  const skip = missing.length > 0 ? `fixture not generated yet: ${missing.join(', ')} (run npm run fixtures)` : false;
  test(`loads PyTorch fixture ${file} exactly (${section})`, { skip }, (t) => {
    const expected = (JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, FixtureSection | undefined>)[section];
    if (expected === undefined) {
      t.skip(`torch_safetensors.json has no "${section}" section`);
      return;
    }
    const { tensors } = readSafetensors(path);
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors.get(name);
      assert.ok(got, name);
      assert.deepEqual(got.shape, want.shape, `${name} shape`);
      const values = flatten(want.data);
      assert.equal(got.data.length, values.length, `${name} length`);
      for (let i = 0; i < values.length; i++) {
        const w = values[i] as number;
        const g = got.data[i] as number;
        if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${name}[${i}]`);
        else assert.equal(g, got.data instanceof Float64Array ? w : Math.fround(w), `${name}[${i}]`);
      }
    }
  });
}
