/**
 * The Language model view: the text and the model's settings, Train / Stop,
 * the status (`#lm-status` carries step, loss, characters per second and
 * state as data attributes), the loss chart, sampling, and the checkpoint
 * downloaded or loaded. The model lives in lm-worker.ts; this file sends it
 * requests and shows its replies.
 */
import { lineChartSpec, type LineSeries } from 'recurrent';
import texts from 'virtual:texts';
import { clear, draw } from './charts.ts';
import { element, readNumber, saveFile } from './dom.ts';
import type { BackendInfo, LMReply, LMRequest, LMSettings, LMState, LossPoint, SampleSettings, TextChoice } from './protocol.ts';

/** The most points the training loss is drawn with (longer runs are averaged in buckets). */
const MAX_POINTS = 400;
/** Milliseconds between redraws of the loss chart while training. */
const REDRAW_MS = 600;
/** The value of `#lm-text` that stands for the file chosen in `#lm-file`. */
const OWN_FILE = 'file';

type Send = (request: LMRequest, transfer?: Transferable[]) => void;

export class LMView {
  private readonly status = element<HTMLElement>('lm-status');
  private readonly trainButton = element<HTMLButtonElement>('lm-train');
  private readonly message = element<HTMLElement>('lm-message');
  private readonly chart = element<HTMLElement>('lm-loss-chart');
  private readonly sampleOutput = element<HTMLElement>('lm-sample');
  private readonly textSelect = element<HTMLSelectElement>('lm-text');
  private readonly fileInput = element<HTMLInputElement>('lm-file');
  private state: LMState = 'idle';
  /** Per-step losses since the model was made (or loaded), and the validation points. */
  private steps: number[] = [];
  private losses: number[] = [];
  private validation: LossPoint[] = [];
  private chartDirty = false;
  private lastDraw = 0;

  constructor(private readonly send: Send, private readonly visible: () => boolean) {
    for (const t of texts) this.textSelect.add(new Option(t.label, t.id));
    this.fileInput.addEventListener('change', () => this.fileChosen());
    this.trainButton.addEventListener('click', () => void this.trainOrStop());
    element('lm-sample-button').addEventListener('click', () => this.act('sample', () => this.send({ type: 'sample', sample: this.sampleSettings() })));
    element('lm-download').addEventListener('click', () => this.send({ type: 'download' }));
    element<HTMLInputElement>('lm-load').addEventListener('change', (event) => void this.load(event.target as HTMLInputElement));
    element('lm-form').addEventListener('submit', (event) => event.preventDefault());
    clear(this.chart, 'The loss appears here once training starts.');
  }

  showBackend(b: BackendInfo): void {
    element('lm-backend').textContent = `Kernels: ${b.name}, ${b.threads} thread${b.threads === 1 ? '' : 's'}; ${b.isolated ? 'cross-origin isolated (Web Workers over shared memory)' : 'not cross-origin isolated, so one thread'}.`;
  }

  /** The view was shown: draw the chart if it changed while hidden. */
  refresh(): void {
    if (this.chartDirty && this.visible()) this.drawChart();
  }

  receive(r: LMReply): void {
    switch (r.type) {
      case 'model':
        element('lm-model').textContent = `${r.fresh ? 'New model' : `Continuing from step ${r.step}`}: ${r.description}.`;
        if (r.fresh) this.reset([]);
        this.setStatus({ step: r.step });
        return;
      case 'progress':
        for (const { step, loss } of r.losses) {
          this.steps.push(step);
          this.losses.push(loss);
        }
        this.setStatus({ step: r.step, loss: r.loss, tokensPerSecond: r.tokensPerSecond });
        this.chartChanged(false);
        return;
      case 'validation':
        this.validation.push(r.point);
        if (r.sample !== '') this.sampleOutput.textContent = r.sample;
        this.chartChanged(true);
        return;
      case 'state':
        this.state = r.state;
        this.trainButton.textContent = r.state === 'training' ? 'Stop' : 'Train';
        this.trainButton.setAttribute('aria-pressed', String(r.state === 'training'));
        this.setStatus({ step: r.step });
        this.chartChanged(true);
        return;
      case 'sample':
        this.sampleOutput.textContent = r.text;
        return;
      case 'checkpoint':
        saveFile(r.name, r.bytes);
        this.say(`Downloaded ${r.name} (${r.bytes.length.toLocaleString('en-US')} bytes): \`recurrent sample --checkpoint ${r.name}\` reads it.`);
        return;
      case 'loaded':
        this.showSettings(r.settings);
        this.reset(r.history);
        this.say(`Loaded a checkpoint at step ${r.step}, trained on ${r.source}. Train starts a new model.`);
        this.chartChanged(true);
        return;
      case 'error':
        if (r.about !== 'inside') this.say(`${r.about === 'train' ? 'Training' : r.about === 'sample' ? 'Sampling' : r.about === 'download' ? 'Download' : 'Loading'} failed: ${r.message}`, true);
        return;
      default:
    }
  }

  private async trainOrStop(): Promise<void> {
    if (this.state === 'training') {
      this.send({ type: 'stop' });
      return;
    }
    await this.actAsync('train', async () => {
      const settings = this.settings();
      const maxStepsInput = element<HTMLInputElement>('lm-max-steps');
      const maxSteps = maxStepsInput.value.trim() === '' ? null : readNumber(maxStepsInput, { integer: true, min: 1, max: 1e9 });
      const sample = this.sampleSettings();
      const text = await this.textChoice();
      this.say('');
      this.send({ type: 'train', text, settings, maxSteps, sample }, text.kind === 'file' ? [text.bytes] : []);
    });
  }

  private settings(): LMSettings {
    const number = (id: string, o: Parameters<typeof readNumber>[1]): number => readNumber(element<HTMLInputElement>(id), o);
    return {
      cell: element<HTMLSelectElement>('lm-cell').value as LMSettings['cell'],
      layers: number('lm-layers', { integer: true, min: 1, max: 8 }),
      hidden: number('lm-hidden', { integer: true, min: 1, max: 2048 }),
      seqLength: number('lm-seq-length', { integer: true, min: 1, max: 2048 }),
      batch: number('lm-batch', { integer: true, min: 1, max: 1024 }),
      lr: number('lm-lr', { min: 1e-8, max: 10 }),
    };
  }

  private showSettings(s: LMSettings): void {
    element<HTMLSelectElement>('lm-cell').value = s.cell;
    element<HTMLInputElement>('lm-layers').value = String(s.layers);
    element<HTMLInputElement>('lm-hidden').value = String(s.hidden);
    element<HTMLInputElement>('lm-seq-length').value = String(s.seqLength);
    element<HTMLInputElement>('lm-batch').value = String(s.batch);
    element<HTMLInputElement>('lm-lr').value = String(s.lr);
  }

  private sampleSettings(): SampleSettings {
    const number = (id: string, o: Parameters<typeof readNumber>[1]): number => readNumber(element<HTMLInputElement>(id), o);
    return {
      prompt: element<HTMLInputElement>('lm-prompt').value,
      temperature: number('lm-temperature', { min: 1e-6, max: 100 }),
      topK: number('lm-top-k', { integer: true, min: 0, max: 1e6 }),
      seed: number('lm-seed', { integer: true, min: 0, max: 0xffffffff }),
      length: number('lm-length', { integer: true, min: 0, max: 100_000 }),
    };
  }

  /** The text chosen: a built-in one, or the file of `#lm-file` (its bytes; the worker checks them). */
  private async textChoice(): Promise<TextChoice> {
    const file = this.fileInput.files?.[0];
    if (this.textSelect.value === OWN_FILE && file) return { kind: 'file', name: file.name, bytes: await file.arrayBuffer() };
    const t = texts.find((x) => x.id === this.textSelect.value) ?? texts[0];
    if (!t) throw new Error('the page has no built-in text');
    return { kind: 'built-in', id: t.id, url: new URL(t.url, location.href).href, source: t.source, fingerprint: t.fingerprint };
  }

  /** A file chosen becomes the selected text. */
  private fileChosen(): void {
    const file = this.fileInput.files?.[0];
    const option = [...this.textSelect.options].find((o) => o.value === OWN_FILE);
    if (!file) {
      option?.remove();
      return;
    }
    const label = `Your file: ${file.name}`;
    if (option) option.text = label;
    else this.textSelect.add(new Option(label, OWN_FILE));
    this.textSelect.value = OWN_FILE;
  }

  private async load(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    await this.actAsync('load', async () => {
      const bytes = await file.arrayBuffer();
      this.send({ type: 'load', name: file.name, bytes }, [bytes]);
    });
    input.value = '';
  }

  private setStatus(s: { step: number; loss?: number; tokensPerSecond?: number }): void {
    const el = this.status;
    el.dataset.state = this.state;
    el.dataset.step = String(s.step);
    if (s.loss !== undefined) el.dataset.loss = String(s.loss);
    if (s.tokensPerSecond !== undefined) el.dataset.tokensPerSecond = String(Math.round(s.tokensPerSecond));
    const loss = el.dataset.loss ? `loss ${Number(el.dataset.loss).toFixed(3)} nats/char (${(Number(el.dataset.loss) / Math.LN2).toFixed(3)} bits)` : 'no loss yet';
    const speed = el.dataset.tokensPerSecond ? `${Number(el.dataset.tokensPerSecond).toLocaleString('en-US')} characters/s` : '';
    const state = { idle: 'No model yet', training: 'Training', done: 'Trained', loaded: 'Loaded' }[this.state];
    el.textContent = [`${state} · step ${s.step.toLocaleString('en-US')}`, loss, speed].filter((p) => p !== '').join(' · ');
  }

  private reset(history: LossPoint[]): void {
    this.steps = [];
    this.losses = [];
    this.validation = [...history];
    delete this.status.dataset.loss;
    delete this.status.dataset.tokensPerSecond;
    if (history.length === 0) clear(this.chart, 'The loss appears here once training starts.');
  }

  private chartChanged(now: boolean): void {
    this.chartDirty = true;
    if (this.visible() && (now || performance.now() - this.lastDraw >= REDRAW_MS)) this.drawChart();
  }

  private drawChart(): void {
    this.chartDirty = false;
    this.lastDraw = performance.now();
    const series: LineSeries[] = [];
    if (this.steps.length) {
      const [x, y] = thin(this.steps, this.losses);
      series.push({ name: 'training', x, y });
    } else if (this.validation.length) {
      series.push({ name: 'training, moving average', x: this.validation.map((p) => p.step), y: this.validation.map((p) => p.trainLoss) });
    }
    if (this.validation.length) series.push({ name: 'validation', x: this.validation.map((p) => p.step), y: this.validation.map((p) => p.validationLoss), dash: true });
    if (series.length === 0) return;
    const spec = lineChartSpec({ xTitle: 'step', yTitle: 'loss (nats per character)', series, width: 600, height: 250 });
    void draw(this.chart, spec, `Loss against step: ${series.map((s) => `${s.name}, last ${Number(s.y[s.y.length - 1]).toFixed(3)}`).join('; ')}`);
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', error);
  }

  private act(about: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.say(`${about}: ${(e as Error).message}`, true);
    }
  }

  private async actAsync(about: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.say(`${about}: ${(e as Error).message}`, true);
    }
  }
}

/** At most {@link MAX_POINTS} points: consecutive runs of points averaged. */
function thin(x: readonly number[], y: readonly number[]): [number[], number[]] {
  if (x.length <= MAX_POINTS) return [[...x], [...y]];
  const size = x.length / MAX_POINTS;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < MAX_POINTS; k++) {
    const from = Math.floor(k * size);
    const to = Math.floor((k + 1) * size);
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += x[i] as number;
      sy += y[i] as number;
    }
    xs.push(sx / (to - from));
    ys.push(sy / (to - from));
  }
  return [xs, ys];
}
