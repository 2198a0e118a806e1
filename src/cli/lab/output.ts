/**
 * Where a lab experiment's results go: each figure rendered to SVG and
 * written atomically into the output folder, each result as JSON beside it,
 * and a line on stdout naming every file written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from '../../figures/render.js';
import { writeFileAtomic } from '../../io/files.js';

/** The folder figures go to unless `--out` says otherwise. */
export const DEFAULT_LAB_FOLDER = 'lab';

export class LabOutput {
  /** Paths written, in order. */
  readonly written: string[] = [];

  constructor(readonly folder: string) {
    mkdirSync(folder, { recursive: true });
  }

  /** Writes `name`.svg from a Vega-Lite specification; returns its path. */
  async figure(name: string, spec: object): Promise<string> {
    return this.file(`${name}.svg`, await renderSvg(spec));
  }

  /** Writes `name`.json (numbers as measured); returns its path. */
  json(name: string, value: unknown): string {
    return this.file(`${name}.json`, `${JSON.stringify(value, null, 1)}\n`);
  }

  /** Writes any text file (e.g. an HTML page); returns its path. */
  file(fileName: string, text: string): string {
    const path = join(this.folder, fileName);
    writeFileAtomic(path, new TextEncoder().encode(text));
    this.written.push(path);
    return path;
  }
}
