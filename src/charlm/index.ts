/**
 * The character-level language model as a library (`import … from 'recurrent/charlm'`):
 * the model, its trainer, the training loop with budget, validation, samples,
 * checkpoints and resume rules, sampling, evaluation and the corpus helpers.
 * On Node: ./browser.ts (what runs anywhere) and the training run and files.
 */
export * from './browser.js';
export { runTraining, runTrainingAsync, bits, type RunOptions, type RunCallbacks, type RunResult, type Progress } from './run.js';
export { saveCharLM, loadCharLM } from './checkpoint-file.js';
export { loadCorpus, readTextFile, defaultCorpus, DEFAULT_CORPUS_NAME, type Corpus } from './corpus.js';
