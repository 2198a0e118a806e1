/**
 * ONNX import of models torch.onnx wrote (test/fixtures/torch_onnx.json, by
 * scripts/gen_torch_onnx_fixtures.py): PyTorch builds the zero initial
 * states inside the graph (Constant → Shape → Gather → Unsqueeze → Concat →
 * Expand) and joins layers with Transpose, Reshape, Slice, Concat and
 * Squeeze; the imported model must give PyTorch's outputs. Also the shape
 * operators on their own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, gather, shapeOf, unsqueeze } from '../src/onnx/glue.js';
import { importONNX } from '../src/onnx/import.js';
import { loadFixture } from './helpers.js';

interface TorchCase {
  name: string;
  onnx: string;
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
}

const fixture = loadFixture<{ torch: string; cases: TorchCase[] }>('torch_onnx.json');

for (const c of fixture.cases) {
  test(`an ONNX model torch.onnx.export wrote (${c.name}, PyTorch ${fixture.torch}) imports and gives PyTorch's output`, async () => {
    const model = await importONNX(Buffer.from(c.onnx, 'base64'));
    assert.deepEqual(model.inputs, ['X']);
    const y = model.run({ X: { data: c.x.data, shape: c.x.shape } }).Y;
    assert.ok(y, 'output Y');
    assert.deepEqual([...y.shape], c.y.shape);
    const scale = Math.max(...c.y.data.map(Math.abs));
    c.y.data.forEach((v, i) => assert.ok(Math.abs((y.data[i] as number) - v) <= 1e-5 * scale + 1e-6, `${c.name} Y[${i}] = ${y.data[i]}, PyTorch ${v}`));
  });
}

test('the shape operators: Shape, Gather (scalar and vector indices), Unsqueeze, Expand (NumPy broadcasting)', () => {
  const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
  assert.deepEqual([...shapeOf(x).data], [2, 3]);
  assert.deepEqual(gather(shapeOf(x), { data: Int32Array.of(1), shape: [] }, 0), { data: Int32Array.of(3), shape: [] });
  assert.deepEqual(gather(x, { data: Int32Array.of(2, 0), shape: [2] }, 1), { data: Float32Array.of(3, 1, 6, 4), shape: [2, 2] });
  assert.deepEqual(gather(x, { data: Int32Array.of(-1), shape: [1] }, 0).data, Float32Array.of(4, 5, 6));
  assert.throws(() => gather(x, { data: Int32Array.of(3), shape: [1] }, 1), /index 3 is out of range for an axis of 3/);
  assert.deepEqual(unsqueeze({ data: Int32Array.of(7), shape: [] }, [0]).shape, [1]);
  assert.deepEqual(unsqueeze(x, [0, -1]).shape, [1, 2, 3, 1]);
  assert.deepEqual(expand({ data: Float32Array.of(0.5), shape: [] }, [2, 1, 2]), { data: Float32Array.of(0.5, 0.5, 0.5, 0.5), shape: [2, 1, 2] });
  assert.deepEqual(expand({ data: Float32Array.of(1, 2), shape: [2, 1] }, [2, 3]).data, Float32Array.of(1, 1, 1, 2, 2, 2));
  assert.throws(() => expand(x, [4, 3]), /cannot be broadcast/);
});
