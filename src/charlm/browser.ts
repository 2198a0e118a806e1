/**
 * The character-level language model in any host (`recurrent/charlm` under
 * the `browser` condition): the model, its trainer, sampling, evaluation,
 * the budget and resume rules, a text's fingerprint and split, and
 * checkpoints as bytes — a page loads the
 * bytes of a checkpoint the command line wrote (`parseCharLM`) and writes
 * the same bytes (`serializeCharLM`). Reaches no `node:` module. On Node,
 * `recurrent/charlm` is ./index.ts: this, the training run and the files.
 */
export { CharLM, type CharLMConfig, type CharLMState, parameterCount } from './model.js';
export { Vocabulary } from './vocabulary.js';
export {
  CharLMTrainer, evaluateCharLM, makeOptimizer,
  type OptimizerName, type TrainConfig, type HistoryEntry, type TrainerSnapshot,
} from './trainer.js';
export { DiagnosticsRecorder, keepGateOf, type TrainingDiagnostics } from './diagnostics.js';
export { sampleText, MAX_SAMPLE_LENGTH, type SampleOptions } from './sample.js';
export { serializeCharLM, parseCharLM, CHARLM_KIND, type CharLMCheckpoint, type DataInfo } from './checkpoint.js';
export { exportCharLMONNX } from '../onnx/export.js';
export { resolveBudget, describeBudget, type Budget, type BudgetRequest } from './budget.js';
export { ResumeError, checkResume, resumeConflicts, type ResumeConflict, type ResumeRequest } from './resume.js';
export { fingerprint, splitText, type Fingerprint } from './text.js';
