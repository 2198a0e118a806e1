/** The README's examples run as written, through the package's public entry point. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

/** The first ```js block after `heading`. */
function blockAfter(heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has a section '${heading}'`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `README has a js block under '${heading}'`);
  return match[1] as string;
}

/**
 * A temporary directory whose `node_modules/recurrent` links to this project, so a
 * script there imports the package through its `exports`, as a user's would.
 */
const dir = mkdtempSync(join(tmpdir(), 'recurrent-readme-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(projectRoot, join(dir, 'node_modules', 'recurrent'), 'dir');

/** Runs the code as a module in the temporary directory and returns its output lines. */
function run(code: string, name: string): string[] {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: dir }).trim().split('\n');
}

for (const [k, heading] of ['## Install and use in your project', '### The language model from code', '### Translation from code', '### Watching a model from code', '## Example', '### Training a model', '## Train on your own data'].entries()) {
  test(`README '${heading}' prints what its comments promise`, () => {
    const code = blockAfter(heading);
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)/g)].map((m) => m[1]);
    assert.ok(expected.length >= 1);
    assert.deepEqual(run(code, `example-${k}`), expected);
  });
}
