#!/usr/bin/env node
/**
 * Builds the WebAssembly kernels (assembly/) twice with AssemblyScript:
 *   dist/src/wasm/recurrent-simd.wasm      128-bit SIMD, separate multiply and add
 *   dist/src/wasm/recurrent-relaxed.wasm   the same with relaxed-SIMD fused multiply-add
 * next to the compiled loader (dist/src/backend/wasm-loader.js finds them through
 * import.meta.url, and `files` in package.json ships dist/src).
 * Skips the compile when both outputs are newer than every source; `--force` rebuilds.
 */
import { readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root); // asc resolves the entry and config against the working directory
const outDir = join(root, 'dist', 'src', 'wasm');
const targets = [
  { target: 'simd', file: 'recurrent-simd.wasm' },
  { target: 'relaxed', file: 'recurrent-relaxed.wasm' },
];

function newestSource() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const name of readdirSync(join(root, 'assembly'))) newest = Math.max(newest, statSync(join(root, 'assembly', name)).mtimeMs);
  return newest;
}

const force = process.argv.includes('--force');
const sourcesTime = newestSource();
const fresh = targets.every(({ file }) => existsSync(join(outDir, file)) && statSync(join(outDir, file)).mtimeMs > sourcesTime);
if (fresh && !force) {
  console.log('build-wasm: up to date');
} else {
  mkdirSync(outDir, { recursive: true });
  for (const { target, file } of targets) {
    const { error } = await asc.main([
      'assembly/index.ts', '--config', 'assembly/asconfig.json', '--target', target,
      '--outFile', join(outDir, file),
    ], { stdout: process.stdout, stderr: process.stderr });
    if (error) {
      console.error(`build-wasm: ${target} failed: ${error.message}`);
      process.exit(1);
    }
    console.log(`build-wasm: ${join('dist', 'src', 'wasm', file)}`);
  }
}
