/**
 * Figures as SVG without a browser: a Vega-Lite specification is compiled by
 * vega-lite to Vega, and a vega `View` with renderer 'none' writes it as an
 * SVG document. vega and vega-lite are optional peer dependencies, imported
 * only when a figure is drawn (once; later calls reuse them).
 *
 * The specifications come from the other files of this folder
 * (`lineChartSpec`, `panelsSpec`, `heatmapSpec`, `attentionSpec`); the text is
 * written by the caller, atomically, with `writeFileAtomic` (src/io/files.ts):
 *
 *   writeFileAtomic('loss.svg', new TextEncoder().encode(await renderSvg(lineChartSpec(chart))));
 */

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
  return { vega, vegaLite };
}

/** An optional peer dependency, or an error saying how to install it. */
async function importOptional<K extends keyof Modules>(name: K): Promise<Modules[K]> {
  try {
    return (await import(name)) as Modules[K];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`figures: drawing SVG needs the packages vega and vega-lite, which are not installed ('${name}' is missing); install them with: npm install vega vega-lite`, { cause: e });
  }
}
