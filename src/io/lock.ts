/**
 * One writer per file: an advisory lock `TARGET.lock` beside the file, holding
 * `{"pid", "hostname", "since"}` of the process that writes it.
 *
 * The lock file is created whole and atomically (written to a temporary
 * file, then hard-linked to its name, which fails if it exists). A lock whose
 * process no longer runs on this machine (killed, crashed) is stale and is
 * taken over. Two processes taking over the same stale lock at the same
 * moment could both succeed; {@link FileLock.check} before each write catches
 * the one that lost. {@link lockCheckpoint} is what a training run does before
 * its first step: check that its checkpoint path can be written, and lock it.
 */
import { linkSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { prepareWrite, processAlive, removeQuietly, removeStaleTemporaries, temporaryName, writeAndSync } from './files.js';
import { parseBoundedJson } from './json.js';

/** Another process holds the lock, or it cannot be taken. */
export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockError';
  }
}

interface Holder {
  pid: number;
  hostname: string;
  since: string;
}

/** Lock files held by this process (a lock naming this process but not listed here is a stale one from an earlier process with the same id). */
const held = new Set<string>();

export class FileLock {
  private constructor(readonly path: string, private readonly holder: Holder) {}

  /**
   * Takes the lock of `target` (an absolute file path) for this process.
   * @throws LockError naming the live process that holds it.
   */
  static acquire(target: string): FileLock {
    const path = `${target}.lock`;
    const me: Holder = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
    const text = `${JSON.stringify(me)}\n`;
    removeStaleTemporaries(path);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createWhole(path, text)) {
        const lock = new FileLock(path, me);
        lock.check();
        held.add(path);
        return lock;
      }
      const holder = readHolder(path);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === null) {
        throw new LockError(`the lock file ${path} exists but is not a lock this program wrote; remove it if no other run writes ${target}`);
      }
      if (holder.hostname !== me.hostname) {
        throw new LockError(`${target} is in use by process ${holder.pid} on ${holder.hostname} since ${holder.since} (lock file ${path}); if that run is gone, remove the lock file`);
      }
      const mine = holder.pid === me.pid && held.has(path);
      if (mine || (holder.pid !== me.pid && processAlive(holder.pid))) {
        const who = mine ? 'another run in this process' : `process ${holder.pid}`;
        throw new LockError(`${target} is in use by ${who} since ${holder.since} (lock file ${path}); wait for it to finish, stop it, or use another path`);
      }
      // Stale: its process is gone. Remove it, unless another process already replaced it.
      if (sameText(path, holder)) removeQuietly(path);
    }
    throw new LockError(`could not take the lock ${path}: other processes keep taking it`);
  }

  /** Throws if the lock file no longer names this process (removed, or taken over by another). */
  check(): void {
    const holder = readHolder(this.path);
    if (!holder || holder.pid !== this.holder.pid || holder.hostname !== this.holder.hostname || holder.since !== this.holder.since) {
      const now = holder ? `process ${holder.pid} on ${holder.hostname} holds it now` : 'it is gone';
      throw new LockError(`lost the lock ${this.path} (${now}); not writing, so as not to overwrite another run's file`);
    }
  }

  /** Removes the lock file if it still names this process. */
  release(): void {
    if (sameText(this.path, this.holder)) removeQuietly(this.path);
    held.delete(this.path);
  }
}

/** Checks the checkpoint path can be written and takes its lock, before any training. */
export function lockCheckpoint(path: string): FileLock {
  let target: string;
  try {
    target = prepareWrite(path);
  } catch (e) {
    throw new Error(`train: cannot write the checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return FileLock.acquire(target);
  } catch (e) {
    throw new Error(`train: ${(e as Error).message}`, { cause: e });
  }
}

/** Creates `path` holding `text`, or returns false if it exists. */
function createWhole(path: string, text: string): boolean {
  const tmp = temporaryName(path);
  try {
    writeAndSync(tmp, new TextEncoder().encode(text));
    try {
      linkSync(tmp, path);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    }
    // No hard links on this file system: exclusive create (a reader may briefly see it empty).
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } catch (e) {
    throw new LockError(`cannot create the lock file ${path}: ${(e as Error).message}`);
  } finally {
    removeQuietly(tmp);
  }
}

/** The holder named in a lock file: undefined if there is none, null if it is not one of ours. */
function readHolder(path: string): Holder | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return null;
  }
  if (text.length > 4096) return null;
  let v: unknown;
  try {
    v = parseBoundedJson(text, 2, (reason) => {
      throw new Error(reason);
    });
  } catch {
    return null;
  }
  const h = v as Partial<Holder> | null;
  if (!h || typeof h !== 'object' || !Number.isSafeInteger(h.pid) || typeof h.hostname !== 'string' || typeof h.since !== 'string') return null;
  return h as Holder;
}

function sameText(path: string, holder: Holder): boolean {
  const now = readHolder(path);
  return !!now && now.pid === holder.pid && now.hostname === holder.hostname && now.since === holder.since;
}
