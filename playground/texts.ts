/**
 * The playground's built-in texts, as a Vite plugin (it runs in Node, in the
 * dev server and at build time): the package's own corpus (Brotli-compressed
 * in data/), decompressed and served (dev) or emitted (build) as a plain
 * UTF-8 asset; the virtual module `virtual:texts` lists them:
 *
 *   import texts from 'virtual:texts';   // BuiltInText[]: id, label, source, fingerprint, url
 *
 * `source` and `fingerprint` are what `recurrent train` records for the same
 * text — the built-in corpus is the library's own `loadCorpus()` — so a
 * checkpoint written in the page describes its text as the command line does.
 */
import { fingerprint } from 'recurrent/charlm';
import { loadCorpus } from 'recurrent/node';
import type { Plugin } from 'vite';
import type { BuiltInText } from './src/protocol.ts';

interface TextFile {
  readonly id: string;
  readonly label: string;
  /** The text and how a checkpoint names it. */
  read(): { text: string; source: string };
}

const TEXTS: readonly TextFile[] = [
  {
    id: 'sotu',
    label: 'State of the Union, 1945–2021 (2.9 MB)',
    read: () => loadCorpus(),
  },
];

const VIRTUAL_ID = 'virtual:texts';
const RESOLVED_ID = `\0${VIRTUAL_ID}`;
/** Where the dev server serves the texts. */
const DEV_PATH = '/texts/';

export function builtInTexts(): Plugin {
  const cache = new Map<string, { text: string; source: string }>();
  const read = (file: TextFile): { text: string; source: string } => {
    const hit = cache.get(file.id);
    if (hit) return hit;
    const { text, source } = file.read();
    cache.set(file.id, { text, source });
    return { text, source };
  };
  /** The entry of `virtual:texts` for a text, without its URL. */
  const describe = (file: TextFile): Omit<BuiltInText, 'url'> => {
    const { text, source } = read(file);
    return { id: file.id, label: file.label, source, fingerprint: fingerprint(text) };
  };
  let serving = false;
  return {
    name: 'recurrent-playground-texts',
    configureServer(server) {
      serving = true;
      server.middlewares.use((req, res, next) => {
        const file = TEXTS.find((f) => req.url === `${DEV_PATH}${f.id}.txt`);
        if (!file) return next();
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(read(file).text);
      });
    },
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null;
    },
    load(id) {
      if (id !== RESOLVED_ID) return null;
      const entries = TEXTS.map((f) => {
        if (serving) return JSON.stringify({ ...describe(f), url: `${DEV_PATH}${f.id}.txt` });
        const ref = this.emitFile({ type: 'asset', name: `${f.id}.txt`, source: read(f).text });
        return `{ ...${JSON.stringify(describe(f))}, url: import.meta.ROLLUP_FILE_URL_${ref} }`;
      });
      return `export default [${entries.join(', ')}];`;
    },
  };
}
