/** The README's example runs as written, through the package's public entry point. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

test('README example prints the shapes its comments promise', () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has a js block under ## Example');
  const code = match[1] as string;
  // The file sits in the project so `import … from 'recurrent'` resolves to this package.
  const file = join(projectRoot, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)/g)].map((m) => m[1]);
    assert.equal(expected.length, 3);
    assert.deepEqual(out.trim().split('\n'), expected);
  } finally {
    rmSync(file, { force: true });
  }
});
