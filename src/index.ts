/**
 * recurrent: RNN, LSTM and GRU with exact backpropagation through time and
 * PyTorch-compatible weights. On Node (and wherever `recurrent` does not
 * resolve to the browser entry): the whole of ./browser.ts, and the file
 * functions of ./node.ts that this entry has always exported.
 */
export * from './browser.js';
export { readSafetensors, writeSafetensors } from './io/safetensors-file.js';
export { saveModel, loadModel } from './models/model-file.js';
