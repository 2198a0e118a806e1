#!/usr/bin/env node
/**
 * Removes the compiled output of earlier builds (files whose source was moved
 * or deleted would otherwise linger in dist/ and be packed), keeping the
 * WebAssembly kernels, which build-wasm.mjs rebuilds only when their sources change.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const keep = join(dist, 'src', 'wasm');

function clean(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === keep) continue;
    if (entry.isDirectory() && keep.startsWith(path + '/')) clean(path);
    else rmSync(path, { recursive: true, force: true });
  }
}
clean(dist);
