/**
 * Drawing: a Vega-Lite specification — from the library's figure builders
 * (`lineChartSpec`, `heatmapSpec`, `attentionSpec`) — compiled by vega-lite
 * and drawn by a vega View as SVG into an element, replacing what was there.
 * Draws of one element may overlap (a chart refreshed while training): only
 * the latest one is shown.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const current = new WeakMap<HTMLElement, { view: View | null; draw: number }>();
let draws = 0;

/** Draws `spec` into `element` as SVG (`label`: what it shows, for screen readers). */
export async function draw(element: HTMLElement, spec: Record<string, unknown>, label: string): Promise<void> {
  const draw = ++draws;
  const before = current.get(element);
  current.set(element, { view: before?.view ?? null, draw });
  const holder = document.createElement('div');
  const view = new View(parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: 'svg', container: holder, hover: true });
  await view.runAsync();
  const now = current.get(element);
  if (now?.draw !== draw) {
    view.finalize();
    return;
  }
  now.view?.finalize();
  now.view = view;
  element.replaceChildren(holder);
  element.setAttribute('role', 'img');
  element.setAttribute('aria-label', label);
}

/** Empties `element`, leaving a line of text in place of the chart. */
export function clear(element: HTMLElement, text: string): void {
  const now = current.get(element);
  now?.view?.finalize();
  current.set(element, { view: null, draw: ++draws });
  const note = document.createElement('p');
  note.className = 'placeholder';
  note.textContent = text;
  element.replaceChildren(note);
  element.removeAttribute('role');
  element.removeAttribute('aria-label');
}
