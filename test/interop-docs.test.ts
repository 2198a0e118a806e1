/**
 * docs/interop.md's examples run as written, in a folder whose node_modules
 * holds `recurrent` (this project) and the packages the page names
 * (onnxruntime-node, onnx-proto); each `console.log(…); // expected` line
 * must print what its comment says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { projectRoot } from './helpers.js';

const page = readFileSync(join(projectRoot, 'docs', 'interop.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'recurrent-interop-docs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(projectRoot, join(dir, 'node_modules', 'recurrent'), 'dir');
const packages = ['onnxruntime-node', 'onnx-proto'];
for (const name of packages) {
  const at = join(projectRoot, 'node_modules', name);
  if (existsSync(at)) symlinkSync(at, join(dir, 'node_modules', name), 'dir');
}

const blocks = [...page.matchAll(/^## (.+)\n[\s\S]*?```js\n([\s\S]*?)```/gm)].map((m) => ({ heading: m[1] as string, code: m[2] as string }));

test('docs/interop.md has an example for each direction', () => {
  assert.deepEqual(blocks.map((b) => b.heading), ['PyTorch ↔ recurrent: safetensors', 'recurrent → ONNX → onnxruntime', 'ONNX → recurrent', 'TensorFlow.js / Keras → recurrent']);
});

for (const [k, { heading, code }] of blocks.entries()) {
  test(`docs/interop.md '${heading}' prints what its comments promise`, (t) => {
    if (code.includes('onnxruntime-node') && !existsSync(join(dir, 'node_modules', 'onnxruntime-node'))) return t.skip('onnxruntime-node is not installed');
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)/g)].map((m) => m[1]);
    assert.ok(expected.length >= 1);
    const file = join(dir, `example-${k}.mjs`);
    writeFileSync(file, code);
    const lines = execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: dir }).trim().split('\n');
    assert.deepEqual(lines, expected);
  });
}
