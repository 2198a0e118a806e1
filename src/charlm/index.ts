/**
 * The character-level language model as a library (`import … from 'recurrent/charlm'`):
 * the model, its trainer, the training loop with budget, validation, samples,
 * checkpoints and resume rules, sampling, evaluation and the corpus helpers.
 * Node only (it reads and writes files).
 */
export { CharLM, type CharLMConfig, type CharLMState, parameterCount } from './model.js';
export { Vocabulary } from './vocabulary.js';
export {
  CharLMTrainer, evaluateCharLM, makeOptimizer,
  type OptimizerName, type TrainConfig, type HistoryEntry, type TrainerSnapshot, type TrainerOptions,
} from './trainer.js';
export { DiagnosticsRecorder, keepGateOf, type TrainingDiagnostics } from './diagnostics.js';
export { runTraining, runTrainingAsync, bits, type RunOptions, type RunCallbacks, type RunResult, type Progress } from './run.js';
export { sampleText, MAX_SAMPLE_LENGTH, type SampleOptions } from './sample.js';
export { saveCharLM, loadCharLM, CHARLM_KIND, type CharLMCheckpoint, type DataInfo } from './checkpoint.js';
export { resolveBudget, describeBudget, type Budget, type BudgetRequest } from './budget.js';
export { ResumeError, checkResume, resumeConflicts, type ResumeConflict, type ResumeRequest } from './resume.js';
export { loadCorpus, readTextFile, defaultCorpus, splitText, fingerprint, DEFAULT_CORPUS_NAME, type Corpus, type Fingerprint } from './corpus.js';
