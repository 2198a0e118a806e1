/** Running the `recurrent` command line as a child process, and what the CLI tests assert of its result. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

/** The compiled command line. */
export const CLI = join(projectRoot, 'dist/src/cli/main.js');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory of the child. */
  cwd: string;
  /** Text written to its stdin (default: no stdin). */
  stdin?: string;
  /** Killed with SIGKILL after this many milliseconds (default 60 s). */
  timeout?: number;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Everything a child writes, and how it ended; `onStdout` sees stdout so far at each chunk. */
export function collect(child: ChildProcess, onStdout?: (text: string) => void): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onStdout?.(stdout);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Starts `command args` (default: `node CLI …args`) and collects its result. */
export function spawnCollect(args: string[], o: RunOptions, command?: string): Promise<Result> {
  const child = spawn(command ?? process.execPath, command ? args : [CLI, ...args], {
    cwd: o.cwd, env: o.env ?? process.env, stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: o.timeout ?? 60_000, killSignal: 'SIGKILL',
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid ?? o.uid } : {}),
  });
  if (o.stdin !== undefined) child.stdin!.end(o.stdin);
  return collect(child);
}

/** Asserts exit 0, showing both streams otherwise. */
export function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what}: exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A failure reported as one `recurrent: …` line on stderr (after any warnings), no stack trace, exit 1. */
export function failsCleanly(r: Result, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code} (signal ${r.signal}); stderr: ${r.stderr}`);
  const message = r.stderr.trim().split('\n').filter((l) => !l.startsWith('recurrent: warning: ')).join('\n');
  assert.match(message, /^recurrent: /, `${what}: stderr starts with 'recurrent: ': ${message}`);
  assert.match(message, pattern, what);
  assert.doesNotMatch(message, /^\s+at .*:\d+(:\d+)?\)?$/m, `${what}: no stack trace in ${message}`);
  assert.doesNotMatch(message, /\n/, `${what}: a one-line message, got ${message}`);
}
