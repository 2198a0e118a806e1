/**
 * The README's command lines run as written, in order, in an empty folder:
 * every `npx recurrent …` of its shell blocks and sentences. Two things differ
 * from a user's run, and only these: `input.txt` and `cmn.txt` are small
 * files written here (instead of the downloads the README shows), and each
 * `train` and `translate train` gets a step budget appended (`--steps 3`; the
 * README's `--time` then stops nothing sooner) so the models it trains take
 * seconds; each `lab` experiment gets small sizes. Every option the README lists for `train` and `translate train`
 * must be one their `--help` knows, and the other way round.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../src/random.js';
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

/** Sentence pairs in the Tatoeba/Anki format: English TAB Chinese TAB attribution. */
function tatoebaText(pairs: number): string {
  const rng = new Random(4);
  const english = ['we', 'go', 'tom', 'is', 'here', 'let', 'us', 'eat', 'now', 'where'];
  const chinese = '我们走吧汤姆在哪里吃饭现';
  const pick = (from: string | string[], n: number): string[] => Array.from({ length: n }, () => from[rng.int(from.length)] as string);
  return Array.from({ length: pairs }, (_, i) => `${pick(english, 2 + rng.int(4)).join(' ')}.\t${pick(chinese, 2 + rng.int(5)).join('')}。\tCC-BY 2.0 (France) Attribution: tatoeba.org #${i + 1} (a) & #${i + 501} (b)`).join('\n');
}

/**
 * A step budget for training commands (`train …`, `translate train …`; more
 * when resuming), and small sizes for the lab's experiments, each an option
 * of its own.
 */
function stepBudget(args: string[]): string[] {
  const training = args[0] === 'train' || (args[0] === 'translate' && args[1] === 'train');
  if (training) return ['--steps', args.includes('--resume') ? '6' : '3'];
  if (args[0] !== 'lab') return [];
  const sizes: Record<string, string[]> = {
    vanishing: ['--length', '30', '--hidden', '8', '--batch', '2', '--seeds', '1'],
    exploding: ['--steps', '20', '--length', '10'],
    tasks: ['--quick', '--length', '10', '--steps', '20', '--episodes', '5'],
    cells: [],
  };
  return sizes[args[1] as string] ?? [];
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the README's command lines", () => {
  before(() => {
    writeFileSync(join(dir, 'input.txt'), `ROMEO: ${wordText(300, 7)}`);
    writeFileSync(join(dir, 'cmn.txt'), tatoebaText(120));
    // The checkpoint `npm start` leaves, made small: the built-in corpus, one tiny layer, two steps.
    const made = run(['train', '--layers', '1', '--hidden', '16', '--embedding', '8', '--steps', '2', '--val-windows', '1', '--checkpoint', 'checkpoints/sotu-lstm.safetensors']);
    assert.equal(made.status, 0, made.stderr);
  });

  const commands = readmeCommands();
  test('the README shows the commands', () => {
    const names = commands.map((c) => c[0]);
    for (const c of ['train', 'sample', 'eval', 'info', 'translate']) assert.ok(names.includes(c), `a ${c} command`);
    for (const c of ['train', 'eval', 'run']) assert.ok(commands.some((a) => a[0] === 'translate' && a[1] === c), `a translate ${c} command`);
  });

  for (const args of commands) {
    const line = `recurrent ${args.join(' ')}`;
    test(line, () => {
      const r = run([...args, ...stepBudget(args)]);
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
      if (args[0] === 'sample') assert.ok(r.stdout.length > 0, 'a sample is printed');
      if (args[0] === 'eval') assert.match(r.stdout, /bits\/char/);
      if (args[0] === 'info') assert.match(r.stdout, /LSTM|translation model/);
      if (args[0] === 'translate' && args[1] === 'eval') assert.match(r.stdout, /^BLEU-4: /m);
      if (args[0] === 'translate' && args[1] === 'run') assert.ok(r.stdout.trim().length > 0, 'a translation is printed');
    });
  }

  for (const [command, listed] of [['train', '`train` options'], ['translate train', '`translate train` options']] as const) {
    test(`every ${command} option the README lists is one the command knows, and the other way round`, () => {
      const help = execFileSync(process.execPath, [main, ...command.split(' '), '--help'], { encoding: 'utf8' });
      const paragraph = new RegExp(`${listed}: (.*?)\\. Whole numbers`).exec(readme)?.[1];
      assert.ok(paragraph, `the README lists the ${command} options`);
      const options = [...paragraph.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
      assert.ok(options.length >= 20, `${options.length} options listed`);
      for (const option of options) assert.match(help, new RegExp(`${option}\\b`), `${option} is in ${command} --help`);
      for (const option of [...help.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1] as string)) {
        if (option !== '--help') assert.ok(options.includes(option), `${option} (${command} --help) is in the README's list`);
      }
    });
  }
});
