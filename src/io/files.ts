/**
 * Regular files only: bounded reads and atomic replacement.
 *
 * Reading opens without blocking and checks the opened file, so a device
 * (`/dev/zero`), a FIFO or a socket is refused instead of read forever or
 * waited on, and a file is read up to the size it had when opened.
 *
 * Writing never replaces anything but a regular file: the bytes go to a
 * temporary file `NAME.PID.RANDOM.tmp` beside the target, are fsynced, and
 * the temporary file is renamed over the target. A symbolic link is followed
 * and its target replaced. Temporary files left by processes that died
 * during a write are removed by the next write to the same name.
 */
import {
  closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync, renameSync, type Stats,
  statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A file that cannot be read or written as asked; `code` is the errno code, or `ENOTREG` / `EFBIG` / `ETARGET`. */
export class FileError extends Error {
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileError';
  }
}

/** Symbolic links followed at most, like the kernel's limit. */
const MAX_LINKS = 40;

/** `a directory`, `a character device`, … for a file that is not regular. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function fromErrno(e: unknown): FileError {
  const err = e as NodeJS.ErrnoException;
  return new FileError(err.message, err.code ?? 'EIO', { cause: e });
}

/**
 * The bytes of the regular file at `path` (symbolic links followed), at most
 * `maxBytes`. Messages do not repeat the path; callers put it in context.
 * @throws FileError: `ENOENT`, `EACCES`, … (the system's message), `ENOTREG`
 *   (`is a FIFO (named pipe), not a regular file`), `EFBIG` (larger than `maxBytes`).
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fromErrno(e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileError(`is ${kindOf(st)}, not a regular file`, st.isDirectory() ? 'EISDIR' : 'ENOTREG');
    if (st.size > maxBytes) {
      throw new FileError(`is ${st.size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} bytes allowed`, 'EFBIG');
    }
    const out = Buffer.allocUnsafe(st.size);
    let filled = 0;
    while (filled < out.length) {
      const n = readSync(fd, out, filled, Math.min(out.length - filled, 1 << 30), null);
      if (n === 0) break; // shrank while we read: keep what is there
      filled += n;
    }
    return out.subarray(0, filled);
  } catch (e) {
    throw e instanceof FileError ? e : fromErrno(e);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file a write to `path` replaces: `path` itself, or the end of its chain
 * of symbolic links (absolute). Refuses a path ending in a separator and
 * anything but a regular file or nothing.
 * @throws FileError `EISDIR`, `ENOTREG`, `ELOOP`, or the system's error.
 */
export function writeTarget(path: string): string {
  if (/[\\/]$/.test(path)) throw new FileError('the path ends with a separator, so it names a directory, not a file', 'EISDIR');
  let target = resolve(path);
  for (let links = 0; ; links++) {
    let st: Stats;
    try {
      st = lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return target;
      throw fromErrno(e);
    }
    if (st.isFile()) return target;
    if (!st.isSymbolicLink()) {
      const where = target === resolve(path) ? 'it' : `its link target ${target}`;
      throw new FileError(`${where} is ${kindOf(st)}, which a write would replace; give the path of a regular file`, st.isDirectory() ? 'EISDIR' : 'ENOTREG');
    }
    if (links >= MAX_LINKS) throw new FileError(`more than ${MAX_LINKS} symbolic links to follow`, 'ELOOP');
    target = resolve(dirname(target), readlinkSync(target));
  }
}

/**
 * Makes `path` ready to be written later, so that a long job fails before it
 * starts rather than at its first save: creates the missing directories (one
 * by one: a recursive mkdir never returns under /proc), resolves the target
 * ({@link writeTarget}) and checks a file can be created beside it.
 * Returns the target.
 * @throws FileError whose message says why, without the path.
 */
export function prepareWrite(path: string): string {
  if (/[\\/]$/.test(path)) throw new FileError('the path ends with a separator, so it names a directory, not a file', 'EISDIR');
  const missing: string[] = [];
  let dir = resolve(dirname(path));
  for (;;) {
    let st: Stats | null = null;
    try {
      st = statSync(dir);
    } catch {
      // Missing (or unreachable): create it below.
    }
    if (st) {
      if (!st.isDirectory()) throw new FileError(`${dir} is not a directory`, 'ENOTDIR');
      break;
    }
    missing.unshift(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new FileError(`cannot create the directory ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'EDIR', { cause: e });
    }
  }
  const target = writeTarget(path);
  const probe = join(dirname(target), `.${basename(target)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new FileError(`the directory is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'EACCES', { cause: e });
  }
  return target;
}

/**
 * Replaces the regular file at `path` (or creates it) with `bytes`
 * atomically: temporary file, fsync, rename, fsync of the directory. On
 * failure the temporary file is removed and the old file is untouched.
 * @throws FileError
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const target = writeTarget(path);
  removeStaleTemporaries(target);
  const tmp = temporaryName(target);
  try {
    writeAndSync(tmp, bytes);
    renameSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    throw fromErrno(e);
  }
  syncDirectoryQuietly(dirname(target));
}

/** `TARGET.PID.RANDOM.tmp`: the process that writes it is in the name. */
export function temporaryName(target: string): string {
  return `${target}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
}

/**
 * Removes the temporary files of `target` ({@link temporaryName}) whose
 * process no longer runs: what a kill during a write leaves behind. Those of
 * live processes (a write in progress) are kept. Best effort.
 */
export function removeStaleTemporaries(target: string): void {
  const dir = dirname(target);
  const prefix = `${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-z]{1,16}\.tmp$/.exec(name.slice(prefix.length));
    if (m && !processAlive(Number(m[1]))) removeQuietly(join(dir, name));
  }
}

/** Whether a process with this id runs on this machine (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `file` exclusively, writes all of `bytes`, fsyncs and closes it. */
export function writeAndSync(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Never created, or already gone.
  }
}

/** Best-effort fsync of a directory so the rename itself is durable (unsupported on some platforms). */
function syncDirectoryQuietly(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Durability of the directory entry is best effort.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
