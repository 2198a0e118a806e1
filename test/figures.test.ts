/**
 * The figures: line charts and heatmaps as Vega-Lite specifications and as
 * SVG (well-formed XML; a legend naming each series, a path per series,
 * points a log axis cannot show left out; a rect per cell, sparse labels),
 * the units page (escaped, a coloured span per character per unit), and the
 * terminal drawings to the character.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmapSpec } from '../src/figures/heatmap.js';
import { lineChartSpec, panelsSpec, type LineChart } from '../src/figures/lines.js';
import { renderSvg } from '../src/figures/render.js';
import { seriesTable, shadedHeatmap, sparkline } from '../src/figures/terminal.js';
import { unitsPage } from '../src/figures/units-page.js';
import { find, parseXml, texts, type XmlNode } from './xml.js';

/** Groups whose class names all of `classes`. */
function groups(root: XmlNode, ...classes: string[]): XmlNode[] {
  const found: XmlNode[] = [];
  const visit = (n: XmlNode): void => {
    const names = (n.attrs.class ?? '').split(' ');
    if (n.name === 'g' && classes.every((c) => names.includes(c))) found.push(n);
    n.children.forEach(visit);
  };
  visit(root);
  return found;
}

/** The points of an SVG path made of M and L commands. */
function vertices(path: XmlNode): number {
  return (path.attrs.d ?? '').match(/[ML]/g)?.length ?? 0;
}

type Rows = { series: string; x: number; y: number }[];
const dataOf = (spec: Record<string, unknown>): Rows => (spec.data as { values: Rows }).values;

const steps = [1, 2, 3, 4, 5, 6];
const chart: LineChart = {
  title: 'gradient norm',
  xTitle: 'steps back',
  yTitle: 'norm',
  yLog: true,
  series: [
    { name: 'tanh RNN', x: steps, y: [1, 1e-2, 0, 1e-5, -3, 1e-8] },
    { name: 'LSTM <gated> & "long"', x: steps, y: [1, 0.5, NaN, 0.2, 0.1, Infinity], dash: true },
  ],
};

describe('line charts', () => {
  test('the specification holds each series\' drawable points, one colour and one dash per series', () => {
    const spec = lineChartSpec(chart);
    const rows = dataOf(spec);
    assert.deepEqual(rows.filter((r) => r.series === 'tanh RNN').map((r) => r.y), [1, 1e-2, 1e-5, 1e-8], 'y ≤ 0 left out on a log axis');
    assert.deepEqual(rows.filter((r) => r.series !== 'tanh RNN').map((r) => [r.x, r.y]), [[1, 1], [2, 0.5], [4, 0.2], [5, 0.1]], 'non-finite y left out');
    const encoding = spec.encoding as Record<string, { scale: Record<string, unknown>; axis?: Record<string, unknown> }>;
    assert.deepEqual(encoding.color!.scale.domain, ['tanh RNN', 'LSTM <gated> & "long"']);
    assert.deepEqual(encoding.strokeDash!.scale.range, [[1, 0], [6, 4]]);
    assert.deepEqual(encoding.y!.axis!.values, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1], 'ticks at the powers of ten in range');
    const linear = lineChartSpec({ ...chart, yLog: false });
    assert.deepEqual(dataOf(linear).filter((r) => r.series === 'tanh RNN').map((r) => r.y), [1, 1e-2, 0, 1e-5, -3, 1e-8], 'a linear axis keeps 0 and negatives');
    const xLog = dataOf(lineChartSpec({ ...chart, yLog: false, xLog: true, series: [{ name: 'a', x: [0, 1, 10], y: [5, 6, 7] }] }));
    assert.deepEqual(xLog.map((r) => r.x), [1, 10], 'x ≤ 0 left out on a log x axis');
  });

  test('the SVG is well-formed, names every series in the legend, draws a path per series with its drawable points, labels log ticks 1e-8', async () => {
    const svg = await renderSvg(lineChartSpec(chart));
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    const root = parseXml(svg);
    assert.equal(root.name, 'svg');
    const legend = groups(root, 'role-legend')[0];
    assert.ok(legend, 'a legend');
    assert.deepEqual(texts(legend).filter((t) => t !== ''), ['tanh RNN', 'LSTM <gated> & "long"'], 'each name in full (escaped, not cut)');
    const lines = groups(root, 'mark-line', 'role-mark');
    assert.equal(lines.length, 2, 'a line mark per series');
    const paths = lines.flatMap((g) => g.children.filter((c) => c.name === 'path'));
    assert.equal(paths.length, 2);
    const path = (name: string): XmlNode => paths.find((p) => (p.attrs['aria-label'] ?? '').endsWith(`series: ${name}`))!;
    assert.deepEqual(chart.series.map((s) => vertices(path(s.name))), [4, 4], 'points at 0, −3, NaN and Infinity left out');
    assert.deepEqual(chart.series.map((s) => path(s.name).attrs['stroke-dasharray']), ['1,0', '6,4'], 'solid, dashed');
    const labels = texts(root);
    for (const label of ['1e-8', '1e-5', '0.001', '0.1', '1', 'steps back', 'norm', 'gradient norm']) assert.ok(labels.includes(label), `label ${label} in ${labels.join(' ')}`);
  });

  test('a series of few points beside a long one has its points marked, the long one not', async () => {
    const x = Array.from({ length: 100 }, (_, i) => i + 1);
    const spec = lineChartSpec({
      xTitle: 'step', yTitle: 'loss',
      series: [{ name: 'per step', x, y: x.map((i) => 4 / Math.sqrt(i)) }, { name: 'validation', x: [50, 100], y: [0.7, 0.5], dash: true }],
    });
    const root = parseXml(await renderSvg(spec));
    assert.deepEqual(groups(root, 'mark-line', 'role-mark').flatMap((g) => g.children.filter((c) => c.name === 'path')).map(vertices), [100, 2], 'a line per series');
    const symbols = groups(root, 'mark-symbol', 'role-mark').flatMap((g) => g.children.filter((c) => c.name === 'path'));
    assert.deepEqual(symbols.map((p) => (p.attrs['aria-label'] ?? '').replace(/^.*series: /, '')), ['validation', 'validation'], 'a point per validation, none on the long series');
    const legendSymbols = groups(root, 'role-legend-symbol').flatMap((g) => g.children.filter((c) => c.name === 'path'));
    assert.deepEqual(legendSymbols.map((p) => [p.attrs.d, p.attrs['stroke-dasharray']]), [['M-5,0L5,0', '1,0'], ['M-5,0L5,0', '6,4']], 'the legend shows a solid and a dashed line');
    const single = lineChartSpec({ xTitle: 'step', yTitle: 'loss', series: [{ name: 'per step', x, y: x }, { name: 'validation', x: [100], y: [1] }] });
    const root1 = parseXml(await renderSvg(single));
    assert.equal(groups(root1, 'mark-symbol', 'role-mark').flatMap((g) => g.children.filter((c) => c.name === 'path')).length, 1, 'a series of one point shows');
  });

  test('a log axis within one decade has a few labelled ticks, not a crowd', async () => {
    const x = Array.from({ length: 64 }, (_, i) => i);
    const spec = lineChartSpec({ xTitle: 't', yTitle: 'norm', yLog: true, series: [{ name: 'layer 1', x, y: x.map((i) => 0.0031 + (0.0011 * i) / 63) }] });
    const yAxis = groups(parseXml(await renderSvg(spec)), 'role-axis').find((g) => texts(g).includes('norm'))!;
    assert.deepEqual(texts(yAxis).filter((t) => /^[\d.e+-]+$/.test(t)), ['0.0035', '0.004'], 'round numbers, 0.0005 apart');
    const decade = lineChartSpec({ xTitle: 't', yTitle: 'norm', yLog: true, series: [{ name: 'a', x: [0, 1], y: [0.001, 0.03] }] });
    assert.deepEqual((decade.encoding as { y: { axis: { values: number[] } } }).y.axis.values, [0.001, 0.002, 0.005, 0.01, 0.02], '1, 2, 5 × 10^k in range');
  });

  test('panels: one figure of several charts, each with its own scales and legend', async () => {
    const linear: LineChart = { xTitle: 'step', yTitle: 'loss', series: [{ name: 'train', x: [0, 1, 2], y: [3, 2, 1.5] }] };
    const spec = panelsSpec([chart, linear], { columns: 1, title: 'two panels' });
    assert.equal((spec.concat as unknown[]).length, 2);
    assert.equal(spec.columns, 1);
    assert.deepEqual((spec.resolve as { scale: Record<string, string> }).scale, { x: 'independent', y: 'independent', color: 'independent', strokeDash: 'independent' });
    const root = parseXml(await renderSvg(spec));
    assert.deepEqual(groups(root, 'mark-line', 'role-mark').map((g) => vertices(g.children[0]!)), [4, 4, 3]);
    assert.equal(groups(root, 'role-legend').length, 2);
    assert.ok(texts(root).includes('two panels'));
  });

  test('bad charts are refused with the series named', () => {
    assert.throws(() => lineChartSpec({ ...chart, series: [] }), /lineChartSpec: expected at least one series, got none/);
    assert.throws(() => lineChartSpec({ ...chart, series: [{ name: 'train', x: [1, 2, 3], y: [1, 2] }] }), /series 'train' has 3 x values and 2 y values/);
    assert.throws(() => lineChartSpec({ ...chart, series: [chart.series[0]!, chart.series[0]!] }), /two series are named 'tanh RNN'/);
    assert.throws(() => panelsSpec([chart, { ...chart, series: [] }]), /panelsSpec: chart 1: expected at least one series/);
    assert.throws(() => panelsSpec([]), /expected at least one chart/);
    assert.throws(() => panelsSpec([chart], { columns: 0 }), /columns must be a positive integer, got 0/);
  });
});

describe('heatmap', () => {
  test('a rect per cell, the labels visible (␣ for a space, ␊ for a newline), colours over the given domain', async () => {
    const values = Float64Array.from({ length: 3 * 7 }, (_, k) => Math.sin(k) * 2);
    const spec = heatmapSpec({ title: 'gates', rowLabels: ['i', 'f', 'o'], columnLabels: Array.from('a b\nc月d'), values, domain: [-1, 1], scheme: 'diverging', xTitle: 'character', yTitle: 'gate' });
    const color = (spec.encoding as { color: { scale: Record<string, unknown> } }).color.scale;
    assert.deepEqual([color.domain, color.domainMid, color.clamp], [[-1, 1], 0, true]);
    const root = parseXml(await renderSvg(spec));
    const cells = groups(root, 'mark-rect', 'role-mark').flatMap((g) => g.children.filter((c) => c.name === 'path'));
    assert.equal(cells.length, 21);
    const labels = texts(root);
    for (const label of ['a', '␣', 'b', '␊', '月', 'i', 'f', 'o', 'gates', 'character', 'gate']) assert.ok(labels.includes(label), `label ${label} in ${labels.join(' ')}`);
    assert.ok(find(root, (n) => (n.attrs.class ?? '').includes('role-legend-gradient')), 'a colour gradient legend');
  });

  test('500 columns: thin cells in about 800 pixels, every 20th column labelled', async () => {
    const columns = 500;
    const values = Float64Array.from({ length: 2 * columns }, (_, k) => (k % columns) / columns);
    const spec = heatmapSpec({ rowLabels: ['unit 0', 'unit 1'], values, scheme: 'sequential', xTitle: 'time step', yTitle: 'unit' });
    assert.deepEqual(spec.width, { step: 1.6 });
    const root = parseXml(await renderSvg(spec));
    const cells = groups(root, 'mark-rect', 'role-mark').flatMap((g) => g.children.filter((c) => c.name === 'path'));
    assert.equal(cells.length, 2 * columns);
    const xLabels = texts(groups(root, 'role-axis').find((g) => texts(g).includes('time step'))!).filter((t) => /^\d+$/.test(t));
    assert.deepEqual(xLabels, Array.from({ length: 25 }, (_, k) => String(20 * k)));
  });

  test('bad matrices are refused with the cell named', () => {
    const base = { rowLabels: ['a', 'b'], scheme: 'sequential' as const, xTitle: 'x', yTitle: 'y' };
    assert.throws(() => heatmapSpec({ ...base, values: [1, 2, 3] }), /expected a multiple of 2 values \(one row per row label\), at least one row's worth, got 3/);
    assert.throws(() => heatmapSpec({ ...base, columnLabels: ['p', 'q'], values: [1, 2, 3] }), /expected 2 × 2 = 4 values \(rows × columns\), got 3/);
    assert.throws(() => heatmapSpec({ ...base, values: [1, 2, NaN, 4] }), /value \(1, 0\) \(row 'b', column 0\) is NaN/);
    assert.throws(() => heatmapSpec({ ...base, values: [1, 2], domain: [1, 1] }), /domain must be two finite numbers, low < high; got \[1, 1\]/);
    assert.throws(() => heatmapSpec({ ...base, rowLabels: [], values: [] }), /at least one row label/);
  });
});

describe('units page', () => {
  const text = 'if (a < b && c > "d") {\n\t月𝑥 }';
  const characters = Array.from(text);

  test('one coloured span per character per unit, everything escaped, newlines kept', () => {
    const ramp = Float64Array.from(characters, (_, i) => -1 + (2 * i) / (characters.length - 1));
    const html = unitsPage({ title: 'cells <2> & "3"', intro: 'a < b', text, units: [{ label: 'cell <97>', values: ramp, note: 'x & y' }, { label: 'cell 3', values: ramp.map((v) => 3 * v) }] });
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.doesNotMatch(html, /<script|<link|src=|href=/, 'nothing fetched, nothing run');
    assert.match(html, /<title>cells &lt;2&gt; &amp; &quot;3&quot;<\/title>/);
    assert.match(html, /<h2>cell &lt;97&gt;<\/h2>\n<p class="note">x &amp; y<\/p>/);
    assert.match(html, /<p>a &lt; b<\/p>/);
    const blocks = [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => m[1]!);
    assert.equal(blocks.length, 2);
    for (const block of blocks) {
      const spans = [...block.matchAll(/<span style="background:(#[0-9a-f]{6})" title="(-?\d+\.\d{3})">([^<]*)<\/span>/g)];
      assert.equal(spans.length, characters.length, 'a span per character (月 and 𝑥 one each)');
      assert.equal(block.replace(/<span[^>]*>[^<]*<\/span>/g, ''), '\n', 'nothing between the spans but the newline');
      assert.deepEqual(spans.map((s) => s[3]), characters.map((c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', '\n': '↵' })[c] ?? c));
    }
    const first = [...blocks[0]!.matchAll(/background:(#[0-9a-f]{6})/g)].map((m) => m[1]);
    assert.equal(first[0], '#4393c3', '−1 blue');
    assert.equal(first[characters.length - 1], '#d6604d', '+1 red');
    const second = [...blocks[1]!.matchAll(/background:(#[0-9a-f]{6})/g)].map((m) => m[1]);
    assert.equal(second[characters.length - 1], '#d6604d', '+3 as +1');
    const zero = unitsPage({ title: 't', text: 'ab', units: [{ label: 'u', values: [0, 0.5] }] });
    assert.match(zero, /background:#ffffff" title="0\.000">a<.*background:#ebb0a6" title="0\.500">b</, '0 white, 0.5 halfway to red');
  });

  test('values that do not match the text are refused with the unit named', () => {
    assert.throws(() => unitsPage({ title: 't', text: 'a月𝑥b', units: [{ label: 'cell 5', values: [0, 0, 0] }] }), /unit 0 \('cell 5'\) has 3 values; expected one per character of the text, 4/);
    assert.throws(() => unitsPage({ title: 't', text: 'ab', units: [{ label: 'u', values: [0, NaN] }] }), /the value at character 1 is NaN/);
    assert.throws(() => unitsPage({ title: 't', text: 'ab', units: [] }), /at least one unit/);
  });
});

describe('terminal drawings', () => {
  test('sparkline: eight levels, resampled by averaging, gaps for non-finite values, log10 heights', () => {
    assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8], { width: 8 }), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8], { width: 4 }), '▁▃▆█', 'means 1.5, 3.5, 5.5, 7.5');
    assert.equal(sparkline([1, NaN, 3, Infinity, 2]), '▁ █ ▅');
    assert.equal(sparkline([1, 10, 100, 0, 1000], { log: true }), '▁▃▆ █');
    assert.equal(sparkline([5, 5, 5]), '▄▄▄');
    assert.equal(sparkline(Array.from({ length: 1000 }, (_, i) => i)).length, 60);
    assert.throws(() => sparkline([1], { width: 0 }), /sparkline: width must be a positive integer, got 0/);
  });

  test('seriesTable: names, sparklines and first → last aligned', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8];
    const table = seriesTable([
      { name: 'loss', x, y: [1, 2, 3, 4, 5, 6, 7, 8] },
      { name: 'grad norm', x, y: [8, 7, 6, 5, 4, 3, 2, NaN] },
      { name: 'tiny', x: [1, 2], y: [1.23456e-8, 0.5] },
    ]);
    assert.deepEqual(table, [
      'loss       ▁▂▃▄▅▆▇█         1 → 8',
      'grad norm  █▇▆▅▃▂▁          8 → 2',
      'tiny       ▁█        1.235e-8 → 0.5',
    ]);
  });

  test('shadedHeatmap: one line per row for one sign, + and − lines for both, resampled columns, a legend', () => {
    assert.deepEqual(shadedHeatmap([{ label: 'input', values: [0, 0.25, 0.5, 0.75, 1] }, { label: 'forget', values: [1, 1, 0.9, 0.2, 0] }]), [
      'input    ░▒▓█',
      'forget  ███░',
      "shades: ' ' 0  ░ 0.25  ▒ 0.5  ▓ 0.75  █ 1",
    ]);
    assert.deepEqual(shadedHeatmap([{ label: 'h', values: [-1, -0.5, 0, 0.5, 1] }, { label: 'c', values: [NaN, 0.3, -2] }]), [
      'h +    ░▒',
      '  − ▒░',
      'c + ·░',
      '  − · █',
      "shades of |value|: ' ' 0  ░ 0.5  ▒ 1  ▓ 1.5  █ 2",
    ]);
    assert.deepEqual(shadedHeatmap([{ label: 'a', values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }], { width: 5, domain: [0, 8] }), [
      'a   ░▒▓█',
      "shades: ' ' 0  ░ 2  ▒ 4  ▓ 6  █ 8",
    ]);
    assert.throws(() => shadedHeatmap([]), /at least one row/);
    assert.throws(() => shadedHeatmap([{ label: 'a', values: [1] }], { domain: [2, 1] }), /domain must be two finite numbers, low < high; got \[2, 1\]/);
  });
});

test('a linear y axis can be given its range: a flat series of zeros reads 0 … 1, not 0.000000', async () => {
  const spec = lineChartSpec({ xTitle: 'step', yTitle: 'fraction', yDomain: [0, 1], series: [{ name: 'clipped', x: [0, 1, 2], y: [0, 0, 0] }] });
  const labels = texts(parseXml(await renderSvg(spec)));
  assert.ok(labels.includes('1.0') || labels.includes('1'), `labels: ${labels.join(' ')}`);
  assert.ok(!labels.includes('0.000000'));
  assert.throws(() => lineChartSpec({ xTitle: 'x', yTitle: 'y', yDomain: [1, 1], series: [{ name: 'a', x: [0], y: [0] }] }), /domain must be two finite numbers, low < high/);
});
