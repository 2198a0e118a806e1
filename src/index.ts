/** recurrent: RNN, LSTM and GRU with exact backpropagation through time and PyTorch-compatible weights. */
export { type Tensor, type DType, type FloatArray, tensor, zeros, numel, toNested } from './tensor.js';
export { Random, type RandomState } from './random.js';
export { ParameterStore, type ParamRef, type TensorLike } from './params.js';
export type { Backend } from './backend/backend.js';
export { jsBackend } from './backend/js.js';
export { uniformInit, defaultRecurrentInit } from './init.js';
export { RNNCell } from './cells/rnn.js';
export { LSTMCell } from './cells/lstm.js';
export { GRUCell } from './cells/gru.js';
export type { CellModule, CellModuleOptions, CellOutput, CellContext, CellInputGradients } from './cells/module.js';
export {
  RecurrentLayer, type RecurrentOptions, type RecurrentState, type RecurrentOutput,
  type RecurrentContext, type RecurrentGradients, type RecurrentInputGradients,
} from './layers/recurrent.js';
export { RNN, type RNNOptions } from './layers/rnn.js';
export { LSTM, type LSTMOptions } from './layers/lstm.js';
export { GRU } from './layers/gru.js';
export {
  SafetensorsError, parseSafetensors, serializeSafetensors, readSafetensors, writeSafetensors,
  type SafetensorsContents,
} from './io/safetensors.js';
