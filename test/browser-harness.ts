/**
 * Running pages in a real browser: Chromium found on the machine
 * (`CHROMIUM_PATH`, else /usr/bin/chromium) and driven by playwright-core, a
 * static HTTP server on 127.0.0.1 serving a folder with or without
 * cross-origin isolation, and the console errors and uncaught exceptions of
 * each page collected. Tests built on it skip, saying why, where Chromium or
 * playwright-core is missing ({@link browserSkipReason}).
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { Browser, BrowserType, Page } from 'playwright-core';

/** The Chromium binary: `CHROMIUM_PATH` if set, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const chromium = await import('playwright-core').then((m) => m.chromium as BrowserType, () => null);

/** Why browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (install it, e.g. apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!chromium) return 'playwright-core is not installed (npm ci installs it)';
  return null;
}

/** Flags for a quiet, reproducible headless run (no sandbox: CI runs as root). */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Starts headless Chromium (or `executablePath`: a wrapper that execs it,
 * e.g. under taskset); the caller closes it.
 */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  const reason = browserSkipReason();
  if (reason || !chromium) throw new Error(`launchChromium: ${reason}`);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Content types by extension; anything else is application/octet-stream. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.br': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/** The headers that make a page cross-origin isolated (and let it load its own resources). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface StaticServer {
  /** Base URL, ending in `/`. */
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { ...headers, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * Serves the files under `root` on 127.0.0.1 at a free port (a directory
 * serves its index.html); with `isolated`, every response carries
 * {@link ISOLATION_HEADERS}. Only GET and HEAD; nothing outside `root`.
 */
export async function serveFolder(root: string, options: { isolated: boolean }): Promise<StaticServer> {
  const base = resolve(root);
  const extra = options.isolated ? { ...ISOLATION_HEADERS } : {};
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, extra, 'method not allowed');
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      let file = resolve(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) return send(res, 403, extra, 'forbidden');
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        const body = await readFile(file);
        const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
        send(res, 200, { ...extra, 'Content-Type': type }, req.method === 'HEAD' ? Buffer.alloc(0) : body);
      } catch {
        send(res, 404, { ...extra, 'Content-Type': 'text/plain' }, `not found: ${path}`);
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

export interface OpenedPage {
  page: Page;
  /** Console errors (the page's and its workers') and uncaught exceptions, as they came. */
  errors: string[];
}

/** Opens `url` in a fresh context of `browser`, collecting its errors from the start. */
export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.worker() ? 'worker ' : ''}console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}
