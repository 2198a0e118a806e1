#!/usr/bin/env node
/**
 * Builds the native kernels (native/*.c) into native/build/recurrent.node
 * with this machine's C compiler and the running Node's own headers — the
 * package's `install` script, so `npm install` compiles them for the
 * processor it runs on. Nothing is downloaded.
 *
 * It never fails the install: without a compiler (tried: $CC, cc, gcc,
 * clang), without Node's headers, on a platform it does not build for, or
 * when a compile fails, it prints one line saying why and exits 0; the
 * library then runs on WebAssembly. native/build/status.json records the
 * outcome (src/backend/native.ts reports it when the native backend is
 * asked for and absent).
 *
 * On x86-64 the float32 kernels are compiled three times — AVX-512
 * (F/VL/DQ/BW), AVX2 + FMA, and the compiler's baseline — and the addon
 * picks at load time what the processor supports. Elsewhere the three are
 * the same portable build.
 *
 *   node scripts/build-native.mjs            build if sources or flags changed
 *   node scripts/build-native.mjs --force    rebuild
 *   node scripts/build-native.mjs --out DIR  build into DIR instead of native/build
 * Environment: RECURRENT_NATIVE=0 skips the build; CC names the compiler;
 * RECURRENT_NATIVE_CFLAGS adds flags (split on spaces) to every compile and
 * to the link, e.g. "-fsanitize=address,undefined -g" for a checked build
 * (loading that one needs the sanitizer runtime in LD_PRELOAD).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native');
const outArg = process.argv.indexOf('--out');
/** Where the addon and its status go (`--out DIR` for tests; the package's native/build by default). */
const outDir = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : join(sourceDir, 'build');
const target = join(outDir, 'recurrent.node');
const statusFile = join(outDir, 'status.json');

/** The float32 sources compiled once per instruction set, and the ones compiled once. */
const PER_BUILD = ['gemm.c', 'gates.c', 'train.c'];
const ONCE = ['gemm_f64.c', 'gates_f64.c', 'train_f64.c', 'threads.c', 'addon.c'];
const X86_BUILDS = {
  avx512: ['-mavx512f', '-mavx512vl', '-mavx512dq', '-mavx512bw', '-mavx2', '-mfma'],
  avx2: ['-mavx2', '-mfma'],
  base: [],
};
const COMMON = ['-O3', '-std=c11', '-fPIC', '-fvisibility=hidden', '-fno-math-errno', '-pthread', '-Wall', '-Wextra'];
/** Float32 kernels fuse multiply-adds (as the relaxed-SIMD WebAssembly build does); float64 ones follow the reference's arithmetic. */
const F32 = ['-ffp-contract=fast'];
const F64 = ['-ffp-contract=off'];
/** Extra flags for every compile and the link (RECURRENT_NATIVE_CFLAGS). */
const EXTRA = (process.env.RECURRENT_NATIVE_CFLAGS ?? '').split(' ').filter((f) => f !== '');

function say(line) {
  process.stdout.write(`recurrent: ${line}\n`);
}

function writeStatus(status) {
  try {
    mkdirSync(outDir, { recursive: true });
    const tmp = `${statusFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...status, node: process.version, platform: `${process.platform}-${process.arch}` }, null, 2)}\n`);
    renameSync(tmp, statusFile);
  } catch {
    // the status is informative only
  }
}

/** Not built: says why, once, and leaves no addon behind (as far as the folder lets it). */
function notBuilt(reason) {
  say(`native kernels not built (${reason}); using WebAssembly`);
  try {
    rmSync(target, { force: true });
  } catch {
    // an unwritable folder: the old addon stays, and so does the reason below if it can be written
  }
  writeStatus({ built: false, reason });
}

/** The first compiler that answers `--version`: `$CC` (a command and its arguments, e.g. `ccache gcc`), cc, gcc, clang. */
function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c) => typeof c === 'string' && c.trim() !== '');
  for (const candidate of candidates) {
    const [cc, ...args] = candidate.trim().split(/\s+/);
    const r = spawnSync(cc, [...args, '--version'], { encoding: 'utf8' });
    if (r.status === 0) return { cc, args, version: (r.stdout.split('\n')[0] ?? cc).trim() };
  }
  return null;
}

function findHeaders() {
  const prefix = resolve(dirname(process.execPath), '..');
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

/** Runs the compiler; resolves with its error output (empty on success) or rejects with it. */
function compile(cc, args) {
  return new Promise((ok, fail) => {
    const child = spawn(cc, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => fail(e.message));
    child.on('close', (code) => (code === 0 ? ok(err) : fail(err.trim().split('\n').slice(0, 3).join(' ') || `exit ${code}`)));
  });
}

/** Runs `jobs` (functions returning promises) at most `limit` at a time. */
async function pool(jobs, limit) {
  const queue = jobs.slice();
  const run = async () => {
    while (queue.length) await queue.shift()();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, run));
}

async function main() {
  if (process.env.RECURRENT_NATIVE === '0') return notBuilt('RECURRENT_NATIVE=0');
  const missing = [...PER_BUILD, ...ONCE].filter((f) => !existsSync(join(sourceDir, f)));
  if (missing.length > 0) return say(`native kernels not built (their sources are missing: ${missing.join(', ')}); using WebAssembly`);
  if (!['linux', 'darwin', 'freebsd'].includes(process.platform)) return notBuilt(`no native build for ${process.platform}`);
  const compiler = findCompiler();
  if (!compiler) return notBuilt('no C compiler found: install gcc or clang, or set CC');
  const headers = findHeaders();
  if (!headers) return notBuilt(`Node's headers (node_api.h) not found beside ${process.execPath}`);
  const x86 = process.arch === 'x64';
  const builds = x86 ? X86_BUILDS : { avx512: [], avx2: [], base: [] };

  const sources = [...PER_BUILD, ...ONCE].map((f) => join(sourceDir, f));
  const headerFiles = readdirSync(sourceDir).filter((f) => f.endsWith('.h')).map((f) => join(sourceDir, f));
  const hash = createHash('sha256');
  for (const f of [...sources, ...headerFiles, fileURLToPath(import.meta.url)]) hash.update(readFileSync(f));
  hash.update(JSON.stringify([compiler.version, headers, process.version, process.arch, EXTRA]));
  const digest = hash.digest('hex');
  if (!process.argv.includes('--force') && existsSync(target) && existsSync(statusFile)) {
    try {
      const previous = JSON.parse(readFileSync(statusFile, 'utf8'));
      if (previous.built && previous.digest === digest) return;
    } catch {
      // rebuild
    }
  }

  const started = Date.now();
  const work = join(tmpdir(), `recurrent-native-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    const include = ['-I', headers, '-I', sourceDir];
    const objects = [];
    const jobs = [];
    for (const [name, flags] of Object.entries(builds)) {
      for (const f of PER_BUILD) {
        const obj = join(work, `${f.replace(/\.c$/, '')}-${name}.o`);
        objects.push(obj);
        jobs.push(() => compile(compiler.cc, [...compiler.args, ...COMMON, ...F32, ...flags, `-DISA=${name}`, ...EXTRA, ...include, '-c', join(sourceDir, f), '-o', obj]));
      }
    }
    for (const f of ONCE) {
      const obj = join(work, f.replace(/\.c$/, '.o'));
      objects.push(obj);
      jobs.push(() => compile(compiler.cc, [...compiler.args, ...COMMON, ...(f.includes('_f64') ? F64 : []), ...EXTRA, ...include, '-c', join(sourceDir, f), '-o', obj]));
    }
    await pool(jobs, Math.max(1, availableParallelism()));
    const linked = join(work, 'recurrent.node');
    const linkFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared'];
    await compile(compiler.cc, [...compiler.args, ...linkFlags, '-pthread', ...EXTRA, '-o', linked, ...objects, '-lm']);
    // Load it in a separate process before keeping it: an addon that cannot load must not replace WebAssembly.
    const check = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(linked)}); process.stdout.write(m.builds().join(','))`], { encoding: 'utf8' });
    if (check.status !== 0) throw (check.stderr || 'the built addon does not load').trim().split('\n')[0];
    try {
      mkdirSync(outDir, { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, readFileSync(linked));
      renameSync(tmp, target);
    } catch (e) {
      return notBuilt(`built, but ${outDir} cannot be written: ${e instanceof Error ? e.message : String(e)}`);
    }
    const available = check.stdout.split(',').filter((b) => b !== 'f64');
    writeStatus({ built: true, digest, compiler: compiler.version, builds: available });
    say(`native kernels built with ${compiler.version} in ${((Date.now() - started) / 1000).toFixed(1)} s (this processor runs: ${available.join(', ')})`);
  } catch (e) {
    notBuilt(`the compile failed: ${String(e instanceof Error ? e.message : e).slice(0, 300)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  try {
    notBuilt(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  } catch {
    // never fail the install
  }
}
process.exitCode = 0;
