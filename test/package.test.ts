/**
 * The package as a user meets it: `npm pack`, installed into an empty project,
 * then used from ESM, CommonJS and strict TypeScript and from its command line.
 * Every `import { … } from 'recurrent…'` in the README must resolve there.
 *
 * The install reads commander and cli-progress from npm's cache (filled by the
 * project's own install) and falls back to the registry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000, env: { ...process.env, npm_config_loglevel: 'error' } });

const dir = mkdtempSync(join(tmpdir(), 'recurrent-package-'));
const project = join(dir, 'project');
let tarball = '';
let files: string[] = [];

before(() => {
  // The tests run after the build, so pack what is built without building again.
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], projectRoot)) as { filename: string; files: { path: string }[] }[];
  const info = packed[0];
  assert.ok(info);
  tarball = join(dir, info.filename);
  files = info.files.map((f) => f.path);
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Size in bytes of everything under `path`. */
function diskUsage(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + diskUsage(join(path, name)), 0);
}

/** `{ specifier → names }` of every `import { … } from 'recurrent…'` in the README's code blocks. */
function readmeImports(): Map<string, Set<string>> {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const out = new Map<string, Set<string>>();
  for (const m of readme.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(recurrent(?:\/[\w-]+)?)'/g)) {
    const names = (m[1] as string).split(',').map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0] as string).filter(Boolean);
    const set = out.get(m[2] as string) ?? new Set<string>();
    for (const n of names) set.add(n);
    out.set(m[2] as string, set);
  }
  return out;
}

describe('the packed package', () => {
  test('ships the build, the corpus and the licence, and nothing else', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'data/sotu-1945-2021.txt.br', 'dist/src/wasm/recurrent-simd.wasm', 'dist/src/wasm/recurrent-relaxed.wasm', 'dist/src/cli/main.js', 'dist/src/browser.js', 'dist/src/node.js', 'dist/src/host/browser.js', 'dist/src/backend/thread-worker.js', 'native/addon.c', 'native/gemm.c', 'native/kernels.h', 'scripts/build-native.mjs']) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    const stray = files.filter((f) => f.endsWith('.map') || f.startsWith('native/build/') || f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.startsWith('src/') || f.startsWith('test/'));
    assert.deepEqual(stray, [], 'no source maps, tests or benchmarks');
  });

  test('installs small: its own dependencies only', (t) => {
    const modules = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    const bytes = diskUsage(join(project, 'node_modules'));
    t.diagnostic(`installed: ${modules.length} top-level packages (${modules.join(', ')}), ${(bytes / 1e6).toFixed(1)} MB`);
    assert.ok(!modules.includes('@stdlib') && !modules.includes('@tensorflow'), 'no corpus or benchmark packages');
    assert.ok(bytes < 5e6, `installed size ${(bytes / 1e6).toFixed(1)} MB < 5 MB`);
  });

  test("every README import resolves from ESM", () => {
    const imports = readmeImports();
    assert.ok(imports.has('recurrent'), 'the README imports from recurrent');
    const script = [...imports].map(([spec, names], k) =>
      `import * as m${k} from '${spec}';\nfor (const n of ${JSON.stringify([...names])}) if (!(n in m${k})) missing.push('${spec}: ' + n);`).join('\n');
    writeFileSync(join(project, 'imports.mjs'), `const missing = [];\n${script}\nconsole.log(JSON.stringify(missing));\n`);
    const missing = JSON.parse(execFileSync(process.execPath, ['imports.mjs'], { cwd: project, encoding: 'utf8' })) as string[];
    assert.deepEqual(missing, []);
  });

  test('under the browser condition the entries resolve to the browser ones, the file functions only in recurrent/node', () => {
    writeFileSync(join(project, 'browser.mjs'), [
      "const [main, charlm, translate, node] = await Promise.all(['recurrent', 'recurrent/charlm', 'recurrent/translate', 'recurrent/node'].map((s) => import(s)));",
      "console.log(['parseModel' in main, 'readSafetensors' in main, 'parseCharLM' in charlm, 'saveCharLM' in charlm, 'parseTranslator' in translate, 'loadTranslator' in translate, 'saveCharLM' in node].join(' '));",
    ].join('\n'));
    const run = (conditions: string[]): string => execFileSync(process.execPath, [...conditions, 'browser.mjs'], { cwd: project, encoding: 'utf8' }).trim();
    assert.equal(run(['--conditions=browser']), 'true false true false true false true');
    assert.equal(run([]), 'true true true true true true true');
  });

  test('works from CommonJS (require of an ES module, Node ≥ 20.19)', () => {
    writeFileSync(join(project, 'use.cjs'), [
      "const { LSTM, tensor } = require('recurrent');",
      'const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });',
      'const { output, cN } = lstm.forward(tensor([[[1, 2]], [[3, 4]]]));',
      'console.log(output.shape.join(","), cN.shape.join(","));',
    ].join('\n'));
    const out = execFileSync(process.execPath, ['use.cjs'], { cwd: project, encoding: 'utf8' }).trim();
    assert.equal(out, '2,1,3 1,1,3');
  });

  test('type-checks under strict TypeScript', () => {
    writeFileSync(join(project, 'use.ts'), [
      "import { LSTM, GRU, tensor, type Tensor } from 'recurrent';",
      'const lstm = new LSTM({ inputSize: 2, hiddenSize: 3 });',
      'const cN: Tensor = lstm.forward(tensor([[[1, 2]]])).cN;',
      'const gru = new GRU({ inputSize: 2, hiddenSize: 3 });',
      '// @ts-expect-error a GRU has no cell state',
      'gru.forward(tensor([[[1, 2]]])).cN;',
      '// @ts-expect-error unknown option',
      'new LSTM({ inputSize: 2, hiddenSize: 3, bidirectonal: true });',
      'console.log(cN.shape);',
    ].join('\n'));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: [] },
      files: ['use.ts'],
    }));
    const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
  });

  test('the install compiled the native kernels for this processor, and the package uses them', (t) => {
    const status = JSON.parse(readFileSync(join(project, 'node_modules', 'recurrent', 'native', 'build', 'status.json'), 'utf8')) as { built: boolean; reason?: string };
    if (!status.built) {
      // no compiler here: the install must still have succeeded, on WebAssembly
      t.diagnostic(`not built at install: ${status.reason ?? ''}`);
      return;
    }
    const script = "import { loadNativeBackend } from 'recurrent/node'; process.stdout.write(loadNativeBackend()?.name ?? 'none');";
    const name = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    assert.match(name, /^native-(avx512|avx2|base)$/);
  });

  test('the command line runs from the installed package', () => {
    const bin = join(project, 'node_modules', '.bin', 'recurrent');
    const version = execFileSync(bin, ['--version'], { cwd: project, encoding: 'utf8' }).trim();
    assert.equal(version, (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
