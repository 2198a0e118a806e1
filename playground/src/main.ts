/**
 * The playground page: two workers — the language model (lm-worker.ts) and
 * the translation model (attention-worker.ts), each with its WebAssembly
 * kernels — and three views drawing what they report. Once both workers have
 * their kernels, `window.__playground.ready` resolves and
 * `window.__playground.backend` says which kernels, how many threads, and
 * whether the page is cross-origin isolated.
 */
import { AttentionView } from './attention-view.ts';
import { element } from './dom.ts';
import { InsideView } from './inside-view.ts';
import { LMView } from './lm-view.ts';
import type { AttentionReply, AttentionRequest, BackendInfo, LMReply, LMRequest } from './protocol.ts';
import { setUpTabs } from './tabs.ts';

declare global {
  interface Window {
    __playground: { ready: Promise<void>; backend: BackendInfo };
  }
}

const lmWorker = new Worker(new URL('./lm-worker.ts', import.meta.url), { type: 'module', name: 'language model' });
const attentionWorker = new Worker(new URL('./attention-worker.ts', import.meta.url), { type: 'module', name: 'attention' });
const sendLM = (request: LMRequest, transfer: Transferable[] = []): void => lmWorker.postMessage(request, transfer);
const sendAttention = (request: AttentionRequest, transfer: Transferable[] = []): void => attentionWorker.postMessage(request, transfer);

const shows = (id: string) => (): boolean => !element(id).hidden;
const lm = new LMView(sendLM, shows('panel-lm'));
const inside = new InsideView(sendLM, shows('panel-inside'));
const attention = new AttentionView(sendAttention, shows('panel-attention'));
setUpTabs(element('tabs'), () => {
  lm.refresh();
  inside.refresh();
  attention.refresh();
});

const backend: BackendInfo = { name: '', threads: 0, isolated: globalThis.crossOriginIsolated === true };
const loaded = (worker: Worker): Promise<BackendInfo> => new Promise((resolve) => {
  worker.addEventListener('message', function first(event: MessageEvent<LMReply | AttentionReply>) {
    if (event.data.type !== 'backend') return;
    worker.removeEventListener('message', first);
    resolve(event.data.backend);
  });
});
const ready = Promise.all([loaded(lmWorker), loaded(attentionWorker)]).then(([b, a]) => {
  Object.assign(backend, b);
  lm.showBackend(b);
  attention.showBackend(a);
});
window.__playground = { ready, backend };

/** A worker that fails to start or dies says so where its view shows messages. */
lmWorker.addEventListener('error', (event) => lm.receive({ type: 'error', about: 'train', message: `the worker stopped: ${event.message}` }));
attentionWorker.addEventListener('error', (event) => attention.receive({ type: 'error', about: 'train', message: `the worker stopped: ${event.message}` }));
lmWorker.addEventListener('message', (event: MessageEvent<LMReply>) => {
  lm.receive(event.data);
  inside.receive(event.data);
});
attentionWorker.addEventListener('message', (event: MessageEvent<AttentionReply>) => attention.receive(event.data));
