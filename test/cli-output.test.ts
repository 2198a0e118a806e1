/**
 * What `recurrent train` and `eval` print, piped and in a terminal: every
 * validation line and sample reaches stdout, in order, whatever the streams
 * are; the live status line (stderr, terminals only) fits the terminal's
 * width; samples are text, not JSON escapes, with control characters shown
 * as symbols; `--json` prints one parseable event per line and nothing else;
 * giving two budgets prints a warning that says which ends the run.
 *
 * The terminal is a pseudo-terminal from util-linux's `script` (or Python's
 * pty module), whose output is replayed on a small screen model that tracks
 * the cursor through `\r`, `\n` and erase-line. Tiny models (LSTM 1×16,
 * JavaScript kernels) on generated text in a temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import type { Progress } from '../src/charlm/run.js';
import { columnsOf, displayWidth, quoteText } from '../src/text-display.js';
import { statusLine, statusText } from '../src/cli/progress.js';
import { CLI, ok, type Result, spawnCollect } from './cli-harness.js';
import { wordText } from './helpers.js';

const TINY = ['--layers', '1', '--hidden', '16', '--embedding', '8', '--batch', '4', '--seq-length', '16', '--backend', 'js', '--val-windows', '1'];
/** Many validations in a short run: every 20 ms of training, each with a sample. */
const OFTEN = ['--steps', '300', '--validate-every', '0.02', '--sample-length', '80'];

const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-output-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);
/** Text with quotes and tabs, which a JSON-escaped sample would show as \" and \t. */
const DATA = at('data.txt');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return spawnCollect(args, { cwd: dir, env }, command);
}

const cli = (args: string[]): Promise<Result> => run(process.execPath, [CLI, ...args]);

/** Quotes an argument for `sh -c`. */
const sh = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;

/** Runs the CLI on a pseudo-terminal `columns` wide (stdin, stdout and stderr all on it); null when no pty tool is here. */
function inTerminal(args: string[], columns: number): Promise<Result> | null {
  const command = [process.execPath, CLI, ...args].map(sh).join(' ');
  if (/util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '')) {
    return run('script', ['-qfec', `stty cols ${columns} rows 24 && exec ${command}`, '/dev/null']);
  }
  if (existsSync('/usr/bin/python3')) {
    const program = [
      'import fcntl, os, pty, struct, sys, termios',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      `    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, ${columns}, 0, 0))`,
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'while True:',
      '    try: data = os.read(fd, 65536)',
      '    except OSError: break',
      '    if not data: break',
      '    sys.stdout.buffer.write(data)',
      'sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))',
    ].join('\n');
    return run('/usr/bin/python3', ['-c', program, process.execPath, CLI, ...args]);
  }
  return null;
}

/**
 * The screen a terminal would show after `output`: text overwrites from the
 * cursor, `\r` and `ESC[nG` move it to a column, `\n` starts a new line,
 * `ESC[K` / `ESC[0K` erase to the end of the line and `ESC[2K` the whole line;
 * other escape sequences draw nothing. Also the widest
 * column any line reached (a line wider than the terminal would have wrapped).
 */
function replay(output: string): { lines: string[]; widest: number } {
  const lines: string[][] = [[]];
  let column = 0;
  let widest = 0;
  for (const token of output.match(/\x1b\[[?\d;]*[A-Za-z]|[\s\S]/gu) ?? []) {
    const line = lines[lines.length - 1]!;
    const to = /^\x1b\[(\d*)G$/.exec(token);
    if (token === '\r') column = 0;
    else if (to) column = Math.max(0, Number(to[1] || 1) - 1);
    else if (token === '\x1b[2K') line.length = 0;
    else if (token === '\x1b[0K') line.length = Math.min(line.length, column);
    else if (token === '\n') {
      lines.push([]);
      column = 0;
    } else if (token === '\x1b[K') line.length = column;
    else if (!token.startsWith('\x1b')) {
      while (line.length < column) line.push(' ');
      line[column] = token;
      column += 1;
      widest = Math.max(widest, displayWidth(line.join('')));
    }
  }
  return { lines: lines.map((l) => l.join('').trimEnd()), widest };
}

/** The steps of the `step N (…): train … validation …` lines, in order. */
const validationSteps = (lines: readonly string[]): number[] =>
  lines.flatMap((l) => /^step (\d+) \([^)]*\): train [\d.–]+ nats, validation [\d.]+ nats = [\d.]+ bits\/char$/.exec(l)?.[1] ?? []).map(Number);

/** Every validation the checkpoint records appears once, in order, each followed by its sample; then the result. */
function assertRecord(lines: readonly string[], checkpoint: string, what: string): void {
  const history = loadCharLM(checkpoint).trainer.history.map((h) => h.step);
  assert.ok(history.length >= 3, `${what}: a run with several validations (got ${history.length})`);
  assert.deepEqual(validationSteps(lines), history, `${what}: validation lines`);
  lines.forEach((l, i) => {
    if (validationSteps([l]).length) assert.match(lines[i + 1] ?? '', /^ {2}sample │( |$)/, `${what}: a sample after line ${i}: ${l}`);
  });
  const done = lines.findIndex((l) => l.startsWith('done: 300 steps'));
  assert.deepEqual(validationSteps(lines.slice(done)), [], `${what}: the result follows the last validation`);
  assert.ok(done > 0, `${what}: a result line`);
  for (const l of lines) assert.doesNotMatch(l, /\\[nt"u]/, `${what}: no JSON escapes in ${l}`);
}

before(() => {
  const text = wordText(140, 4, ['the', '"quoted"', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', "it's", 'and'])
    .replace(/ a /g, '\ta ');
  writeFileSync(DATA, text);
});

describe('the status line', () => {
  const p: Progress = {
    step: 1_234_567, seconds: 4000, tokens: 9e9, tokensPerSecond: 123_456.7, trainLoss: 1.2346, fraction: 0.421,
    lastValidation: { step: 1_234_000, seconds: 3990, trainLoss: 1.3, validationLoss: 1.28 },
  };
  const label = '2,000,000 steps or 2h00m of training';

  test('fits any width from 1 to 200 columns, dropping the least important parts first (the percentage from 4 columns)', () => {
    for (let columns = 1; columns <= 200; columns++) {
      const line = statusLine(p, label, columns);
      assert.ok(displayWidth(line) <= columns, `${columns} columns: ${displayWidth(line)}: ${line}`);
      if (columns >= 4) assert.match(line, /42%/, `${columns} columns: the percentage is always there`);
    }
    const at79 = statusLine(p, label, 79);
    assert.match(at79, /^█{5}░{8} {2}42% step 1234567 · train 1\.781 · val 1\.847 bits\/char · ETA 1h31m$/);
    assert.doesNotMatch(at79, /tok\/s|2h00m of training/, 'tok/s and the budget dropped at 79 columns');
    const wide = statusLine(p, label, 200);
    assert.match(wide, /123,457 tok\/s · ETA 1h31m · budget 2,000,000 steps or 2h00m of training$/);
    assert.equal((wide.match(/[█░]/g) ?? []).length, 30, 'the bar is at most 30 cells');
    assert.equal((wide.match(/█/g) ?? []).length, Math.round(0.421 * 30));
  });

  test('the plain status line (stderr not a terminal) has every part', () => {
    assert.equal(statusText(p, label), '[ 42%] step 1234567 · train 1.781 · val 1.847 bits/char · 123,457 tok/s · ETA 1h31m · budget 2,000,000 steps or 2h00m of training');
  });
});

describe('samples as text', () => {
  test('newlines start gutter lines, tabs become spaces, quotes stay quotes, control characters become symbols', () => {
    assert.deepEqual(quoteText('  sample', 'say "hi"\nit\'s\tok\n\nend'), [
      '  sample │ say "hi"',
      '         │ it\'s    ok',
      '         │',
      '         │ end',
    ]);
    assert.deepEqual(quoteText('s', 'a\x1b[31mred\r\x07\x7f\u009b2J\u202eevil\u2028x'), ['s │ a␛[31mred␍␇␡⟨U+009B⟩2J⟨U+202E⟩evil⟨U+2028⟩x']);
  });

  test('with a width, long lines wrap onto gutter lines within it (wide characters count 2 columns)', () => {
    const text = `${'abcdefghij'.repeat(5)}\n${'日本語'.repeat(6)}`;
    const lines = quoteText('  sample', text, 20);
    for (const l of lines) assert.ok(displayWidth(l) <= 20, `${displayWidth(l)}: ${l}`);
    assert.deepEqual(lines, [
      '  sample │ abcdefghi', '         │ jabcdefgh', '         │ ijabcdefg', '         │ hijabcdef', '         │ ghijabcde', '         │ fghij',
      '         │ 日本語日', '         │ 本語日本', '         │ 語日本語', '         │ 日本語日', '         │ 本語',
    ]);
    assert.equal(lines.map((l) => l.slice(11)).join(''), text.replace('\n', ''), 'nothing lost in the wrapping');
    assert.deepEqual([columnsOf('a'), columnsOf('日'), columnsOf('\u0301')], [1, 2, 0]);
  });
});

describe('train: every line reaches stdout, piped and in a terminal', () => {
  test('piped: all validation lines and samples in order on stdout; progress only on stderr', async () => {
    const ck = at('piped.safetensors');
    const r = ok(await cli(['train', '--data', DATA, ...TINY, ...OFTEN, '--checkpoint', ck]), 'piped run');
    const lines = r.stdout.split('\n');
    assertRecord(lines, ck, 'piped');
    assert.doesNotMatch(r.stdout, /%\]|█|\x1b/, 'no status line or escape sequence on stdout');
    assert.doesNotMatch(r.stderr, /^step \d+ \(|sample │|\x1b/m, 'no record line or escape sequence on stderr');
    assert.match(r.stderr, /^\[100%\] step 300 · /m, 'a final plain status line on stderr');
  });

  test('in an 80- and a 50-column terminal: all validation lines and samples on the screen in order; the status line and samples within the width', async (t) => {
    const runs = [80, 50].map((columns) => ({ columns, ck: at(`tty-${columns}.safetensors`) }));
    const started = runs.map(({ columns, ck }) => inTerminal(['train', '--data', DATA, ...TINY, ...OFTEN, '--checkpoint', ck], columns));
    if (started.some((r) => r === null)) {
      t.skip('no pseudo-terminal tool here (util-linux script or /usr/bin/python3)');
      return;
    }
    const results = await Promise.all(started as Promise<Result>[]);
    results.forEach((r, i) => {
      const { columns, ck } = runs[i]!;
      ok(r, `${columns} columns`);
      const output = r.stdout.replace(/\r\n/g, '\n');
      const draws = [...output.matchAll(/\x1b\[1G([^\r\n\x1b]+)\x1b\[0K/g)].map((m) => m[1]!);
      assert.ok(draws.length >= 2 && draws.every((d) => /^[█░]+ +\d+% step [\d,]+/.test(d)), 'the live status line was drawn');
      for (const d of draws) assert.ok(displayWidth(d) < columns, `${columns} columns: a status line of ${displayWidth(d)}: ${d}`);
      const screen = replay(output);
      assertRecord(screen.lines, ck, `${columns} columns`);
      for (const l of screen.lines.filter((l) => / {2}│/.test(l))) assert.ok(displayWidth(l) <= columns, `${columns} columns: a sample line of ${displayWidth(l)}: ${l}`);
      // At 80 columns every line fits: the record's lines too.
      if (columns === 80) assert.ok(screen.widest <= 80, `80 columns: a line reached column ${screen.widest}`);
      const bar = screen.lines.findIndex((l) => /^[█░]+ 100% step 300/.test(l));
      assert.ok(bar > 0 && screen.lines[bar + 1]?.startsWith('done: 300 steps'), `the final status line stays, above the result:\n${screen.lines.slice(-6).join('\n')}`);
    });
  });
});

describe('--json', () => {
  test('train: one JSON event per line (start, validations, checkpoints, done) and nothing else; the text form prints the same final sample', async () => {
    const ck = at('json.safetensors');
    /** One validation, at the end (step 40), so the sample is the same in both forms. */
    const twin = ['train', '--data', DATA, ...TINY, '--steps', '40', '--validate-every', '1h', '--sample-length', '200'];
    const [j, jsonTwin, textTwin] = await Promise.all([
      cli(['train', '--data', DATA, ...TINY, ...OFTEN, '--json', '--checkpoint', ck]),
      cli([...twin, '--json', '--checkpoint', at('twin-json.safetensors')]),
      cli([...twin, '--checkpoint', at('twin-text.safetensors')]),
    ]);
    ok(j, 'train --json');
    assert.equal(j.stderr, '', 'no warning, no progress');
    assert.ok(j.stdout.endsWith('\n'));
    const events = j.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    const kinds = events.map((e) => e.event as string);
    assert.equal(kinds[0], 'start');
    assert.equal(kinds.at(-1), 'done');
    assert.deepEqual([...new Set(kinds)].sort(), ['checkpoint', 'done', 'start', 'validation']);

    const start = events[0]!;
    assert.deepEqual(start.config, { cell: 'lstm', vocabSize: start.data.vocabulary, embeddingSize: 8, hiddenSize: 16, numLayers: 1, dropout: 0, seed: 1337 });
    assert.deepEqual(start.train, { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.002, clip: 5, seed: 1337 });
    assert.deepEqual(start.budget, { steps: 300 });
    assert.equal(start.parameters, loadCharLM(ck).model.params.size);
    assert.deepEqual([start.backend, start.threads, start.checkpoint, start.resumedFrom], ['js', 1, ck, null]);
    assert.ok(start.data.trainCharacters > 0 && start.data.validationCharacters >= 257, JSON.stringify(start.data));

    const history = loadCharLM(ck).trainer.history;
    const validations = events.filter((e) => e.event === 'validation');
    assert.ok(validations.length >= 3);
    assert.deepEqual(validations.map((v) => v.step), history.map((h) => h.step));
    validations.forEach((v, i) => {
      assert.deepEqual(Object.keys(v).sort(), ['bitsPerChar', 'elapsedSeconds', 'event', 'sample', 'step', 'trainLoss', 'valLoss']);
      assert.equal(v.valLoss, history[i]!.validationLoss);
      assert.equal(v.elapsedSeconds, history[i]!.seconds);
      assert.ok(Math.abs(v.bitsPerChar - v.valLoss / Math.LN2) < 1e-12);
      assert.equal([...v.sample].length, 80);
    });
    const checkpoints = events.filter((e) => e.event === 'checkpoint');
    assert.deepEqual(checkpoints.at(-1), { event: 'checkpoint', path: ck, step: 300 });

    const done = events.at(-1)!;
    assert.equal(done.step, 300);
    assert.equal(done.tokens, 300 * 4 * 16);
    assert.equal(done.valLoss, history.at(-1)!.validationLoss);
    assert.ok(Math.abs(done.perplexity - Math.exp(done.valLoss)) < 1e-9 * done.perplexity);
    assert.ok(Math.abs(done.tokensPerSecond - done.tokens / done.elapsedSeconds) < 1e-6 * done.tokensPerSecond);
    assert.deepEqual([done.checkpoint, done.interrupted], [ck, null]);

    // The same run as text: its sample lines are the JSON sample, in full.
    const sample = (JSON.parse(ok(jsonTwin, 'json twin').stdout.split('\n').find((l) => l.includes('"validation"'))!) as { sample: string }).sample;
    assert.ok(sample.includes('\n'), 'a sample of several lines');
    const lines = ok(textTwin, 'text twin').stdout.split('\n');
    const first = lines.findIndex((l) => l.startsWith('  sample │'));
    assert.deepEqual(lines.slice(first, lines.findIndex((l) => l.startsWith('done: '))), quoteText('  sample', sample));
  });

  test('train interrupted (SIGTERM): the last event is done, with interrupted and the step the checkpoint holds', async () => {
    const ck = at('json-term.safetensors');
    const child = spawn(process.execPath, [CLI, 'train', '--data', DATA, ...TINY, '--steps', '1000000', '--validate-every', '0.1', '--sample-length', '0', '--json', '--checkpoint', ck], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL',
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('"event":"validation"') && child.signalCode === null && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 143, stdout);
    const events = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.interrupted, 'SIGTERM');
    assert.equal(done.step, loadCharLM(ck).trainer.step);
    assert.deepEqual(events.at(-2), { event: 'checkpoint', path: ck, step: done.step }, 'saved before done');
  });

  test('eval: one JSON object whose numbers are those the text form prints', async () => {
    const ck = at('eval.safetensors');
    ok(await cli(['train', '--data', DATA, ...TINY, '--steps', '5', '--sample-length', '0', '--checkpoint', ck]), 'train');
    const [j, text] = await Promise.all([
      cli(['eval', '--data', DATA, '--checkpoint', ck, '--backend', 'js', '--window', '128', '--json']),
      cli(['eval', '--data', DATA, '--checkpoint', ck, '--backend', 'js', '--window', '128']),
    ]);
    assert.equal(ok(j, 'eval --json').stdout.trimEnd().split('\n').length, 1, 'one line');
    const e = JSON.parse(j.stdout) as Record<string, number | string>;
    assert.deepEqual(Object.keys(e).sort(), ['bitsPerChar', 'characters', 'checkpoint', 'data', 'loss', 'perplexity', 'window', 'windows']);
    const m = /: (\d+) characters in (\d+) windows of 128\nloss (\d+\.\d+) nats\/char = (\d+\.\d+) bits\/char, perplexity (\d+\.\d+)/.exec(ok(text, 'eval').stdout);
    assert.ok(m, text.stdout);
    assert.deepEqual([e.characters, e.windows, e.window], [Number(m[1]), Number(m[2]), 128]);
    assert.equal((e.loss as number).toFixed(4), m[3]);
    assert.equal((e.bitsPerChar as number).toFixed(4), m[4]);
    assert.equal((e.perplexity as number).toFixed(3), m[5]);
    assert.ok(Math.abs((e.bitsPerChar as number) - (e.loss as number) / Math.LN2) < 1e-12);
  });
});

describe('two budgets', () => {
  test('--steps with --time: a warning that the first reached ends the run; --steps with --epochs: --steps wins', async () => {
    const [time, epochs] = await Promise.all([
      cli(['train', '--data', DATA, ...TINY, '--sample-length', '0', '--steps', '3', '--time', '1h', '--json', '--checkpoint', at('time.safetensors')]),
      cli(['train', '--data', DATA, ...TINY, '--sample-length', '0', '--steps', '4', '--epochs', '50', '--checkpoint', at('epochs.safetensors')]),
    ]);
    assert.equal(ok(time, '--steps --time').stderr, 'recurrent: warning: --time 1h00m and --steps both given: the run stops at whichever is reached first, 3 steps or 1h00m of training\n');
    const events = time.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.deepEqual(events[0]!.budget, { seconds: 3600, steps: 3 });
    assert.equal(events.at(-1)!.step, 3, 'the steps were reached first');
    assert.match(ok(epochs, '--steps --epochs').stderr, /^recurrent: warning: --steps 4 and --epochs 50 both given: --steps wins, --epochs is ignored$/m);
    assert.match(epochs.stdout, /^budget: 4 steps$/m);
    assert.match(epochs.stdout, /^done: 4 steps/m);
  });
});
