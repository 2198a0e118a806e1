/**
 * The README's command lines run as written, in order, in an empty folder:
 * every `npx recurrent …` of its shell blocks and sentences. Two things differ
 * from a user's run, and only these: `input.txt` is a small text written here
 * (instead of the download the README shows), and each `train` gets a step
 * budget appended (`--steps 3`; the README's `--time` then stops nothing
 * sooner) so the 2×256 model it trains takes seconds. Every option the README
 * lists for `train` must be one `recurrent train --help` knows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, wordText } from './helpers.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const main = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'recurrent-readme-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Splits a command line into words (double and single quotes group; no other shell syntax). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? (m[3] as string));
}

/** Every `npx recurrent …` command of the README, continuation lines joined, comments dropped, in order. */
function readmeCommands(): string[][] {
  const commands: string[][] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = (block[1] as string).replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const code = line.replace(/\s+#.*$/, '').trim();
      if (code.startsWith('npx recurrent ')) commands.push(words(code).slice(2));
    }
  }
  // Commands in running text, e.g. `npx recurrent sample --checkpoint … --prompt "…"`.
  for (const m of readme.matchAll(/`npx recurrent ([^`]+)`/g)) commands.push(words(m[1] as string));
  return commands;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the README's command lines", () => {
  before(() => {
    writeFileSync(join(dir, 'input.txt'), `ROMEO: ${wordText(300, 7)}`);
    // The checkpoint `npm start` leaves, made small: the built-in corpus, one tiny layer, two steps.
    const made = run(['train', '--layers', '1', '--hidden', '16', '--embedding', '8', '--steps', '2', '--val-windows', '1', '--checkpoint', 'checkpoints/sotu-lstm.safetensors']);
    assert.equal(made.status, 0, made.stderr);
  });

  const commands = readmeCommands();
  test('the README shows the commands', () => {
    const names = commands.map((c) => c[0]);
    for (const c of ['train', 'sample', 'eval', 'info']) assert.ok(names.includes(c), `a ${c} command`);
  });

  for (const args of commands) {
    const line = `recurrent ${args.join(' ')}`;
    test(line, () => {
      const runArgs = args[0] === 'train' ? [...args, '--steps', args.includes('--resume') ? '6' : '3'] : args;
      const r = run(runArgs);
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
      if (args[0] === 'sample') assert.ok(r.stdout.length > 0, 'a sample is printed');
      if (args[0] === 'eval') assert.match(r.stdout, /bits\/char/);
      if (args[0] === 'info') assert.match(r.stdout, /LSTM/);
    });
  }

  test("every train option the README lists is one the command knows", () => {
    const help = execFileSync(process.execPath, [main, 'train', '--help'], { encoding: 'utf8' });
    const paragraph = /`train` options: (.*?)\. Whole numbers/.exec(readme)?.[1];
    assert.ok(paragraph, 'the README lists the train options');
    const listed = [...paragraph.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
    assert.ok(listed.length >= 20, `${listed.length} options listed`);
    for (const option of listed) assert.match(help, new RegExp(`${option}\\b`), `${option} is in train --help`);
    for (const option of [...help.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1] as string)) {
      if (option !== '--help') assert.ok(listed.includes(option), `${option} (train --help) is in the README's list`);
    }
  });
});
