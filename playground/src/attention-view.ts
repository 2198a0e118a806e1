/**
 * The Attention view: train the built-in dates task in the page (or load a
 * `recurrent translate` checkpoint), type a sentence, and see its
 * translation and the attention matrix — which source character the decoder
 * looked at for each output character. `#att-status` carries step, dev
 * accuracy (exact matches, percent) and state as data attributes. The model
 * lives in attention-worker.ts.
 */
import { attentionSpec } from 'recurrent';
import { clear, draw } from './charts.ts';
import { element, readNumber, saveFile } from './dom.ts';
import type { AttentionReply, AttentionRequest, AttentionState, BackendInfo } from './protocol.ts';

type Send = (request: AttentionRequest, transfer?: Transferable[]) => void;

export class AttentionView {
  private readonly status = element<HTMLElement>('att-status');
  private readonly trainButton = element<HTMLButtonElement>('att-train');
  private readonly input = element<HTMLInputElement>('att-input');
  private readonly output = element<HTMLElement>('att-output');
  private readonly chart = element<HTMLElement>('att-chart');
  private readonly message = element<HTMLElement>('att-message');
  private readonly samples = element<HTMLElement>('att-samples');
  private state: AttentionState = 'idle';
  private step = 0;
  private accuracy: number | null = null;
  private lastTranslation: Extract<AttentionReply, { type: 'translation' }> | null = null;
  /** Whether the latest translation waits to be drawn (the view was hidden). */
  private chartDirty = false;

  constructor(private readonly send: Send, private readonly visible: () => boolean) {
    this.trainButton.addEventListener('click', () => this.trainOrStop());
    element('att-translate').addEventListener('click', () => this.translate());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') this.translate();
    });
    element('att-download').addEventListener('click', () => this.send({ type: 'download' }));
    element<HTMLInputElement>('att-load').addEventListener('change', (event) => void this.load(event.target as HTMLInputElement));
    clear(this.chart, 'Train or load a model, then translate a sentence to see where it attends.');
    this.showStatus();
  }

  showBackend(b: BackendInfo): void {
    element('att-backend').textContent = `Kernels: ${b.name}, ${b.threads} thread${b.threads === 1 ? '' : 's'}.`;
  }

  /** The view was shown: draw the attention of the latest translation if it came while hidden. */
  refresh(): void {
    if (this.chartDirty && this.visible()) this.drawAttention();
  }

  receive(r: AttentionReply): void {
    switch (r.type) {
      case 'model':
        element('att-model').textContent = r.description;
        return;
      case 'progress':
        this.step = r.step;
        this.showStatus(`loss ${r.loss.toFixed(3)} nats/token · ${Math.round(r.pairsPerSecond).toLocaleString('en-US')} pairs/s · epoch ${r.epoch}`);
        return;
      case 'validation':
        this.step = r.step;
        this.accuracy = r.accuracy;
        this.showStatus();
        this.showSamples(r.samples);
        this.translate();
        return;
      case 'state':
        this.state = r.state;
        this.step = r.step;
        this.accuracy = r.accuracy;
        this.trainButton.textContent = r.state === 'training' ? 'Stop' : 'Train';
        this.trainButton.setAttribute('aria-pressed', String(r.state === 'training'));
        this.showStatus();
        if (r.state === 'done' || r.state === 'loaded') this.translate();
        return;
      case 'translation':
        this.lastTranslation = r;
        this.output.textContent = r.translation;
        this.say(r.unknown.length ? `Never seen in training, read as <unk>: ${r.unknown.map((u) => JSON.stringify(u)).join(', ')}` : '');
        this.drawAttention();
        return;
      case 'checkpoint':
        saveFile(r.name, r.bytes);
        this.say(`Downloaded ${r.name}: \`recurrent translate run --checkpoint ${r.name} "May 4, 1990"\` reads it.`);
        return;
      case 'loaded':
        this.say(`Loaded a checkpoint at step ${r.step}. Train starts a new model on the dates task.`);
        this.samples.replaceChildren();
        return;
      case 'error':
        this.say(`${r.about === 'translate' ? 'Translation' : r.about === 'load' ? 'Loading' : r.about === 'download' ? 'Download' : 'Training'} failed: ${r.message}`, true);
        return;
      default:
    }
  }

  private trainOrStop(): void {
    if (this.state === 'training') {
      this.send({ type: 'stop' });
      return;
    }
    try {
      const maxSteps = element<HTMLInputElement>('att-max-steps');
      this.say('');
      this.send({ type: 'train', maxSteps: maxSteps.value.trim() === '' ? null : readNumber(maxSteps, { integer: true, min: 1, max: 1e9 }) });
    } catch (e) {
      this.say((e as Error).message, true);
    }
  }

  private translate(): void {
    if (this.state === 'idle') return;
    this.send({ type: 'translate', text: this.input.value });
  }

  private async load(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    const bytes = await file.arrayBuffer();
    this.send({ type: 'load', name: file.name, bytes }, [bytes]);
    input.value = '';
  }

  private showStatus(detail = ''): void {
    const el = this.status;
    el.dataset.state = this.state;
    el.dataset.step = String(this.step);
    if (this.accuracy === null) delete el.dataset.accuracy;
    else el.dataset.accuracy = String(this.accuracy);
    const state = { idle: 'No model yet', training: 'Training', done: 'Trained', loaded: 'Loaded' }[this.state];
    const accuracy = this.accuracy === null ? '' : `dev exact match ${this.accuracy.toFixed(1)} %`;
    el.textContent = [`${state} · step ${this.step.toLocaleString('en-US')}`, accuracy, detail].filter((p) => p !== '').join(' · ');
  }

  private showSamples(samples: Extract<AttentionReply, { type: 'validation' }>['samples']): void {
    this.samples.replaceChildren(...samples.map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.correct ? '✓' : '✗'} ${s.source} → ${s.translation}${s.correct ? '' : ` (expected ${s.reference})`}`;
      li.className = s.correct ? 'correct' : 'wrong';
      return li;
    }));
  }

  private drawAttention(): void {
    const t = this.lastTranslation;
    if (!t) return;
    if (!t.weights || t.outputTokens.length === 0) {
      clear(this.chart, t.weights ? 'The translation is empty: nothing to show.' : 'This model has no attention.');
      return;
    }
    this.chartDirty = !this.visible();
    if (this.chartDirty) return;
    const spec = attentionSpec({ sourceTokens: t.sourceTokens, outputTokens: t.outputTokens, weights: t.weights });
    void draw(this.chart, spec, `Attention weights of ${t.outputTokens.length} output tokens over ${t.sourceTokens.length} source tokens of "${t.input}"`);
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', error);
  }
}
