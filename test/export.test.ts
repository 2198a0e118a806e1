/**
 * Checkpoints written by `recurrent train` load into PyTorch: the fixture
 * script loaded test/fixtures/charlm_{lstm,gru}.safetensors into nn.Embedding,
 * nn.LSTM / nn.GRU and nn.Linear with load_state_dict and recorded the logits;
 * the same checkpoint run here gives the same logits.
 */
import { test } from 'node:test';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import { noGrad } from '../src/autograd/variable.js';
import { assertClose, type FixtureTensor, fixturePath, loadFixture } from './helpers.js';

interface ExportCase {
  name: string;
  checkpoint: string;
  ids: FixtureTensor;
  logits: FixtureTensor;
}

for (const c of loadFixture<{ cases: ExportCase[] }>('charlm_export.json').cases) {
  test(`${c.name} checkpoint: logits equal PyTorch's after load_state_dict`, (t) => {
    const { model } = loadCharLM(fixturePath(c.checkpoint));
    const logits = noGrad(() => model.eval().apply({ data: c.ids.data, shape: c.ids.shape }).logits);
    const r = assertClose(logits.value, c.logits, 1e-5, 'logits');
    t.diagnostic(`max |difference| ${r.maxAbs.toExponential(2)}`);
  });
}
