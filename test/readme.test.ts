/** The README's examples run as written, through the package's public entry point. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Runs the code as a module inside the project, so `import … from 'recurrent'` resolves to this package. */
function run(code: string): string[] {
  const file = join(projectRoot, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    return execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim().split('\n');
  } finally {
    rmSync(file, { force: true });
  }
}

for (const heading of ['## Example', '### Training a model', '## Train on your own data']) {
  test(`README '${heading}' prints what its comments promise`, () => {
    const code = blockAfter(heading);
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)/g)].map((m) => m[1]);
    assert.ok(expected.length >= 1);
    assert.deepEqual(run(code), expected);
  });
}
