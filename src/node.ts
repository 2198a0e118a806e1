/**
 * `recurrent/node`: what only Node can do — files. Safetensors, models and
 * checkpoints read from and written to files (atomically: temporary file,
 * fsync, rename), the regular-file helpers under them, and the readers of
 * training data files, and Keras / TensorFlow.js models read from their
 * model.json and weight files. Everything here is bytes functions of the other
 * entries plus a file; in a browser, fetch the bytes and use those. And the
 * native backend: kernels compiled for this machine's processor at install.
 */
export { FileError, readRegularFile, writeFileAtomic } from './io/files.js';
export { readSafetensors, writeSafetensors } from './io/safetensors-file.js';
export { saveModel, loadModel } from './models/model-file.js';
export { saveCharLM, loadCharLM } from './charlm/checkpoint-file.js';
export { saveONNX } from './onnx/file.js';
export { loadKerasModel } from './interop/keras-file.js';
export { loadCorpus, readTextFile, defaultCorpus } from './charlm/corpus.js';
export { saveTranslator, loadTranslator, bestCheckpointPath } from './seq2seq/checkpoint-file.js';
export { readTatoeba } from './seq2seq/tatoeba-file.js';
export { tatoebaTask, loadTask } from './seq2seq/task-file.js';
export { loadNativeBackend, nativeStatus, type NativeBackend, type NativeBuild, type NativeStatus, type LoadNativeOptions } from './backend/native.js';
