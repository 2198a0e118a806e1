/**
 * The Inside the model view: the language model of the first view reads a
 * text, and the page shows what its layers did — each character coloured by
 * one unit's value after reading it (the colours of `recurrent lab cells`'
 * units page: −1 blue, 0 white, +1 red), the mean of each gate over time as
 * a heatmap, and ‖∂L/∂h_t‖ over t on a log scale, which the training steps
 * refresh live while the model trains.
 */
import { heatmapSpec, lineChartSpec, unitColour, vanishingExperiment, vanishingFigure } from 'recurrent';
import { clear, draw } from './charts.ts';
import { element } from './dom.ts';
import type { InsideLayer, LMReply, LMRequest } from './protocol.ts';

type Send = (request: LMRequest) => void;

/** Milliseconds between redraws of the live gradient chart. */
const REDRAW_MS = 800;
/** Most characters the gates chart labels one by one. */
const LABELLED_CHARACTERS = 80;

/** The gates a heatmap row shows: the sigmoid ones (LSTM i f o, GRU r z), not the tanh candidates g and n. */
const shownGate = (gate: string): boolean => gate !== 'g' && gate !== 'n';

export class InsideView {
  private readonly text = element<HTMLTextAreaElement>('inside-text');
  private readonly units = element<HTMLElement>('inside-units');
  private readonly layerSelect = element<HTMLSelectElement>('inside-layer');
  private readonly unitSelect = element<HTMLSelectElement>('inside-unit');
  private readonly stateSelect = element<HTMLSelectElement>('inside-state');
  private readonly message = element<HTMLElement>('inside-message');
  private readonly gatesChart = element<HTMLElement>('inside-gates-chart');
  private readonly gradientChart = element<HTMLElement>('inside-gradient-chart');
  /** What the model did with the text read last. */
  private read: { characters: string[]; layers: InsideLayer[] } | null = null;
  /** The gradient norms shown: of the text read, or of the latest training step. */
  private gradient: { title: string; xTitle: string; layers: Float64Array[] } | null = null;
  private gradientDirty = false;
  private lastGradientDraw = 0;
  /** Whether the text is still the page's suggestion (replaced by a passage of each new model's text). */
  private suggested = true;

  constructor(private readonly send: Send, private readonly visible: () => boolean) {
    element('inside-run').addEventListener('click', () => this.run());
    element('inside-vanishing-run').addEventListener('click', () => void this.runVanishing());
    this.text.addEventListener('input', () => {
      this.suggested = false;
    });
    this.layerSelect.addEventListener('change', () => this.showLayer(true));
    this.stateSelect.addEventListener('change', () => this.showLayer(true));
    this.unitSelect.addEventListener('change', () => this.colourText());
    element('inside-legend').replaceChildren(...[-1, -0.5, 0, 0.5, 1].map((v) => {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = unitColour(v);
      swatch.textContent = v === 0 ? '0' : `${v > 0 ? '+' : '−'}${Math.abs(v)}`;
      return swatch;
    }));
    clear(this.gatesChart, 'Read a text to see the gates.');
    clear(this.gradientChart, 'Read a text, or train the model, to see the gradient.');
  }

  /** The view was shown: draw the gradient chart if it changed while hidden. */
  refresh(): void {
    if (this.gradientDirty && this.visible()) this.drawGradient();
  }

  receive(r: LMReply): void {
    switch (r.type) {
      case 'model':
        if (r.text && this.suggested) this.text.value = r.text;
        return;
      case 'gradient':
        this.gradient = { title: `in training step ${r.step.toLocaleString('en-US')}, L = the batch's mean loss`, xTitle: 'position t in the training window', layers: r.layers };
        this.gradientChanged(false);
        return;
      case 'inside':
        this.read = { characters: r.characters, layers: r.layers };
        this.say('');
        this.setLayers(r.layers.length);
        this.showLayer(false);
        this.gradient = { title: 'for L = −log p(the last character)', xTitle: 'character t', layers: r.layers.map((l) => l.gradH) };
        this.gradientChanged(true);
        return;
      case 'error':
        if (r.about === 'inside') this.say(`Reading failed: ${r.message}`, true);
        return;
      default:
    }
  }

  private run(): void {
    this.send({ type: 'inside', text: this.text.value });
  }

  /** `lab vanishing` at page size, on this thread (about a second), drawn as the command line draws it. */
  private async runVanishing(): Promise<void> {
    const status = element<HTMLElement>('inside-vanishing-status');
    const button = element<HTMLButtonElement>('inside-vanishing-run');
    button.disabled = true;
    status.textContent = 'running…';
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the status show before the work
    try {
      const started = performance.now();
      const result = vanishingExperiment({ length: 100, hiddenSize: 64, batch: 8, seeds: [0, 1] });
      await draw(element('inside-vanishing-chart'), vanishingFigure(result), 'Vanishing gradients by cell');
      status.textContent = `done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.curves.map((c) => `${c.config.label} ρ = ${c.rate.toFixed(3)}`).join('; ')}`;
    } catch (e) {
      status.textContent = `failed: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  }

  private setLayers(count: number): void {
    if (this.layerSelect.options.length === count) return;
    this.layerSelect.replaceChildren(...Array.from({ length: count }, (_, l) => new Option(`layer ${l + 1} of ${count}`, String(l))));
  }

  private layer(): InsideLayer | null {
    return this.read?.layers[Number(this.layerSelect.value) || 0] ?? null;
  }

  /** The layer's units in the unit list (the one that varies most first chosen), its text colouring and its gates. */
  private showLayer(keepUnit: boolean): void {
    const layer = this.layer();
    if (!layer) return;
    this.stateSelect.disabled = layer.c === null;
    if (layer.c === null) this.stateSelect.value = 'h';
    const values = this.states(layer);
    const T = values.length / layer.units;
    const spread = Array.from({ length: layer.units }, (_, u) => {
      let sum = 0;
      let squares = 0;
      for (let t = 0; t < T; t++) {
        const v = values[t * layer.units + u] as number;
        sum += v;
        squares += v * v;
      }
      return squares / T - (sum / T) ** 2;
    });
    const kept = keepUnit ? Number(this.unitSelect.value) : Number.NaN;
    const busiest = spread.indexOf(Math.max(...spread));
    this.unitSelect.replaceChildren(...spread.map((s, u) => new Option(`unit ${u} (std ${Math.sqrt(Math.max(s, 0)).toFixed(2)})`, String(u))));
    this.unitSelect.value = String(Number.isInteger(kept) && kept < layer.units ? kept : busiest);
    this.colourText();
    this.drawGates(layer);
  }

  /** h_t, or tanh(c_t) for an LSTM's cell state (as the units page shows it). */
  private states(layer: InsideLayer): Float32Array {
    if (this.stateSelect.value === 'c' && layer.c) return layer.c.map(Math.tanh);
    return layer.h;
  }

  /** Each character's background: the chosen unit's value after reading it. */
  private colourText(): void {
    const layer = this.layer();
    if (!this.read || !layer) return;
    const values = this.states(layer);
    const u = Number(this.unitSelect.value) || 0;
    const spans = this.read.characters.map((ch, t) => {
      const v = values[t * layer.units + u] as number;
      const span = document.createElement('span');
      span.style.background = unitColour(v);
      span.title = `${JSON.stringify(ch)}: ${v.toFixed(3)}`;
      span.textContent = ch === '\n' ? '↵\n' : ch;
      return span;
    });
    this.units.replaceChildren(...spans);
    this.units.setAttribute('aria-label', `The text coloured by unit ${u} of ${this.stateSelect.value === 'c' ? 'tanh(c)' : 'h'}`);
  }

  private drawGates(layer: InsideLayer): void {
    const gates = layer.gates.filter((g) => shownGate(g.gate));
    if (gates.length === 0) {
      clear(this.gatesChart, 'An Elman RNN has no gates.');
      return;
    }
    const characters = this.read?.characters ?? [];
    const T = characters.length;
    const values = new Float64Array(gates.length * T);
    gates.forEach((g, k) => values.set(g.mean, k * T));
    const spec = heatmapSpec({
      rowLabels: gates.map((g) => g.gate), values, domain: [0, 1], scheme: 'sequential', yTitle: 'gate (mean over units)',
      // Characters label the columns while they can be read one by one; positions beyond.
      ...(T <= LABELLED_CHARACTERS ? { columnLabels: characters, xTitle: 'character read' } : { xTitle: 'character t' }),
    });
    void draw(this.gatesChart, spec, `Mean activation of gates ${gates.map((g) => g.gate).join(', ')} at each of ${T} characters`);
  }

  private gradientChanged(now: boolean): void {
    this.gradientDirty = true;
    if (this.visible() && (now || performance.now() - this.lastGradientDraw >= REDRAW_MS)) this.drawGradient();
  }

  private drawGradient(): void {
    const g = this.gradient;
    if (!g) return;
    this.gradientDirty = false;
    this.lastGradientDraw = performance.now();
    const series = g.layers.map((norms, l) => ({ name: `layer ${l + 1}`, x: Array.from(norms, (_, t) => t), y: norms }));
    const spec = lineChartSpec({ title: `‖∂L/∂h_t‖ ${g.title}`, xTitle: g.xTitle, yTitle: '‖∂L/∂h_t‖', yLog: true, series, width: 560, height: 170 });
    void draw(this.gradientChart, spec, `The norm of the loss gradient with respect to each state h_t, ${g.title}, log scale`);
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', error);
  }
}
