/**
 * Figures as SVG without a browser: a Vega-Lite specification is compiled by
 * vega-lite to Vega, and a vega `View` with renderer 'none' writes it as an
 * SVG document. vega and vega-lite are optional peer dependencies, imported
 * only when a figure is drawn (once; later calls reuse them).
 *
 * Without a canvas package vega guesses text widths at 0.8 em per character,
 * which leaves wide blank margins and cuts legend labels early; when it still
 * guesses, {@link figurePackages} gives it a closer guess (0.6 em per
 * character, 1 em per East Asian wide character) through vega's `textMetrics`
 * hook.
 *
 * The specifications come from the other files of this folder
 * (`lineChartSpec`, `panelsSpec`, `heatmapSpec`, `attentionSpec`); the text is
 * written by the caller, atomically, with `writeFileAtomic` (src/io/files.ts):
 *
 *   writeFileAtomic('loss.svg', new TextEncoder().encode(await renderSvg(lineChartSpec(chart))));
 */
import { columnsOf } from '../text-display.js';

/** Fonts for labels: CJK first (Linux, macOS, Windows), then any sans-serif. */
export const FIGURE_FONTS = 'Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, WenQuanYi Micro Hei, WenQuanYi Zen Hei, PingFang SC, Hiragino Sans GB, Microsoft YaHei, DejaVu Sans, Arial, sans-serif';

/**
 * The Vega-Lite specification `spec` drawn as an SVG document.
 * @throws Error saying how to install vega and vega-lite when they are missing.
 */
export async function renderSvg(spec: object): Promise<string> {
  const { vega, vegaLite } = await figurePackages();
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

type Modules = { vega: typeof import('vega'); 'vega-lite': typeof import('vega-lite') };

/**
 * Loads vega and vega-lite, so a program can find out before any work that
 * figures cannot be drawn.
 * @throws Error saying how to install them when they are missing.
 */
export async function figurePackages(): Promise<{ vega: Modules['vega']; vegaLite: Modules['vega-lite'] }> {
  const [vega, vegaLite] = await Promise.all([importOptional('vega'), importOptional('vega-lite')]);
  const metrics = (vega as unknown as { textMetrics: TextMetrics }).textMetrics;
  if (metrics.width === metrics.estimateWidth) metrics.width = estimateTextWidth;
  return { vega, vegaLite };
}

/** vega-scenegraph's text measurement, exported by vega but not in its typings. */
interface TextMetrics {
  width: (item: TextItem, text: unknown) => number;
  estimateWidth: (item: TextItem, text: unknown) => number;
}

interface TextItem {
  fontSize?: number;
  /** Pixels the text is cut to (with an ellipsis) when positive. */
  limit?: number;
}

/** Pixels taken by `text`: 0.6 em per character, 1 em per wide one, at most the item's `limit`. */
function estimateTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  let ems = 0;
  for (const ch of text == null ? '' : String(text).trim()) ems += columnsOf(ch) === 2 ? 1 : 0.6 * columnsOf(ch);
  const width = ems * size;
  return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
}

/** An optional peer dependency, or an error saying how to install it. */
async function importOptional<K extends keyof Modules>(name: K): Promise<Modules[K]> {
  try {
    // Resolved when drawing, not by a bundler: a page that draws imports vega and vega-lite itself.
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as Modules[K];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`figures: drawing SVG needs the packages vega and vega-lite, which are not installed ('${name}' is missing); install them with: npm install vega vega-lite`, { cause: e });
  }
}
