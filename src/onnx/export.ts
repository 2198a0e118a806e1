/**
 * ONNX export (opset 14) of recurrent layers and character language
 * models, as model bytes (any host; ./file.ts writes them to a file). The
 * bytes are encoded by onnx-proto, an optional peer dependency loaded on the
 * first export (./proto.ts); a missing one is an error saying how to install it.
 *
 * A layer's model (T, B dynamic; D = 2 if bidirectional; L = numLayers):
 *   inputs   input (T, B, I) float — (B, T, I) with batchFirst
 *            sequence_lens (B) int32, each in [1, T]
 *            h0 (L·D, B, H) float, and c0 (L·D, B, H) for an LSTM
 *   outputs  output (T, B, D·H) — (B, T, D·H) with batchFirst
 *            h_n (L·D, B, H), and c_n for an LSTM
 * — the values of the layer's `forward(input, { h0, c0, lengths })`.
 *
 * A character model's:
 *   inputs   ids (T, B) int64; h0 (L, B, H) and c0 (L, B, H) for an LSTM (zeros to start)
 *   outputs  logits (T, B, V), h_n, c_n
 *   ids → Gather(embedding.weight) → recurrent nodes → MatMul(decoder.weightᵀ) + Add(decoder.bias)
 * Dropout is a training-time operation and is not exported.
 */
import type { CharLM } from '../charlm/model.js';
import type { RecurrentLayer } from '../layers/stack.js';
import { GraphBuilder } from './graph.js';
import { emitRecurrent } from './recurrent.js';

/** The ONNX model of a recurrent layer (RNN, LSTM or GRU, any numLayers, directions and options but projSize). */
export async function exportRecurrentONNX(layer: RecurrentLayer): Promise<Uint8Array> {
  const g = new GraphBuilder();
  const D = layer.directions;
  const LD = layer.numLayers * D;
  const H = layer.hiddenSize;
  const lstm = layer.cell.hasCellState;
  const seq = (F: number): (string | number)[] => (layer.batchFirst ? ['B', 'T', F] : ['T', 'B', F]);
  const input = g.input('input', 'float', seq(layer.inputSize));
  const values = {
    input: layer.batchFirst ? 'input_time_major' : input,
    sequenceLens: g.input('sequence_lens', 'int32', ['B']),
    h0: g.input('h0', 'float', [LD, 'B', H]),
    c0: lstm ? g.input('c0', 'float', [LD, 'B', H]) : '',
    output: layer.batchFirst ? 'output_time_major' : 'output',
    hN: 'h_n',
    cN: lstm ? 'c_n' : '',
  };
  if (layer.batchFirst) g.node('Transpose', [input], [values.input], { perm: { ints: [1, 0, 2] } });
  emitRecurrent(g, layer, values, '');
  if (layer.batchFirst) g.node('Transpose', [values.output], ['output'], { perm: { ints: [1, 0, 2] } });
  g.output('output', seq(D * H));
  g.output('h_n', [LD, 'B', H]);
  if (lstm) g.output('c_n', [LD, 'B', H]);
  return g.encode(layer.moduleName, `${layer.moduleName}: ${layer.numLayers} layer(s) of ${H}, ${D === 2 ? 'bidirectional' : 'forward'}`);
}

/** The ONNX model of a character language model: next-character logits from ids and a state. */
export async function exportCharLMONNX(model: CharLM): Promise<Uint8Array> {
  const g = new GraphBuilder();
  const { vocabSize: V, embeddingSize: E, hiddenSize: H, numLayers: L } = model.config;
  const lstm = model.rnn.cell.hasCellState;
  const ids = g.input('ids', 'int64', ['T', 'B']);
  const values = {
    input: 'embedded',
    sequenceLens: '',
    h0: g.input('h0', 'float', [L, 'B', H]),
    c0: lstm ? g.input('c0', 'float', [L, 'B', H]) : '',
    output: 'hidden',
    hN: 'h_n',
    cN: lstm ? 'c_n' : '',
  };
  g.node('Gather', [g.floats('embedding.weight', [V, E], model.embedding.stateDict()['weight']!.data), ids], [values.input], { axis: 0 });
  emitRecurrent(g, model.rnn, values, 'rnn.');
  const decoder = model.decoder.stateDict();
  const weight = decoder['weight']!.data;
  const transposed = new Float32Array(H * V);
  for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) transposed[h * V + v] = weight[v * H + h] as number;
  g.node('MatMul', [values.output, g.floats('decoder.weight_transposed', [H, V], transposed)], ['decoder_product']);
  g.node('Add', ['decoder_product', g.floats('decoder.bias', [V], decoder['bias']!.data)], ['logits']);
  g.output('logits', ['T', 'B', V]);
  g.output('h_n', [L, 'B', H]);
  if (lstm) g.output('c_n', [L, 'B', H]);
  return g.encode('CharLM', `character language model: ${model.rnn.moduleName} ${L}×${H}, embedding ${E}, vocabulary ${V}`);
}
