/**
 * recurrent in any host — a browser, a web worker, Node: RNN, LSTM and GRU
 * with exact backpropagation through time and PyTorch-compatible weights.
 * Everything of the library that needs no file system; weights and models
 * go in and out as bytes (`parseSafetensors`, `serializeModel`, …).
 * Reaches no `node:` module.
 *
 * `import … from 'recurrent'` resolves here under the `browser` condition
 * (bundlers for the web); elsewhere to ./index.ts, which is this and the
 * file functions.
 */
export { type Tensor, type DType, type FloatArray, tensor, zeros, numel, toNested } from './tensor.js';
export { Random, manualSeed, type RandomState } from './random.js';
export { ParameterStore, type ParamRef, type TensorLike } from './params.js';
export type { Backend } from './backend/backend.js';
export { jsBackend } from './backend/js.js';
export { loadWasmBackend, availableThreads, type WasmBackend, type LoadWasmOptions } from './backend/wasm.js';
export {
  uniformInit, defaultRecurrentInit, calculateGain, fans, xavierUniform, xavierNormal, kaimingUniform, kaimingNormal,
  orthogonal, identity, forgetGateBias, constantInit, zerosInit,
  type Nonlinearity, type KaimingOptions, type BlockInitOptions,
} from './init.js';
export { Module, type ModuleOptions } from './module.js';
export { Variable, Node, constant, leaf, noGrad, isGradEnabled } from './autograd/variable.js';
export { concat, slice, stack, reshape, selectRows, dropout } from './autograd/ops.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Embedding, type EmbeddingOptions, type TokenIds } from './layers/embedding.js';
export { crossEntropy, mse, assertFiniteLoss, type CrossEntropyOptions } from './train/loss.js';
export {
  Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad,
  type OptimizerType, type OptimizerState, type HyperValue,
  type SGDOptions, type AdamOptions, type RMSpropOptions, type AdagradOptions,
} from './train/optim.js';
export {
  LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau,
  type LrTarget, type SchedulerType, type SchedulerState, type ReduceLROnPlateauOptions,
} from './train/schedule.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type ClipGradValueOptions } from './train/clip.js';
export { truncatedBPTT, type TBPTTOptions, type TBPTTWindow, type TBPTTResult } from './train/tbptt.js';
export { cellKinds, CELL_TYPES, isCellType, type CellType, type CellKind } from './cells/index.js';
export { RNNCell } from './layers/rnn.js';
export { LSTMCell, type LSTMCellOptions } from './layers/lstm.js';
export { GRUCell, type GRUResetOptions } from './layers/gru.js';
export type {
  CellModule, CellModuleOptions, CellOutput, CellContext, CellInputGradients, CellState, CellGradients, CellSignature,
  LSTMCellOutput, LSTMCellState, LSTMCellGradients, LSTMCellInputGradients, LSTMCellSignature, AnyCellModuleSignature,
  CellApplyState, CellApplyOutput, LSTMCellApplyState, LSTMCellApplyOutput,
} from './layers/cell-module.js';
export {
  RecurrentLayer, type RecurrentOptions, type RecurrentState, type RecurrentOutput, type RecurrentApplyOutput,
  type RecurrentContext, type RecurrentGradients, type RecurrentInputGradients, type RecurrentApplyState,
  type LSTMState, type LSTMOutput, type LSTMGradients, type LSTMInputGradients, type LSTMApplyState, type LSTMApplyOutput,
  type LayerSignature, type LSTMSignature, type ElmanOrGRUSignature, type AnyCellSignature,
} from './layers/stack.js';
export { RNN, type RNNOptions } from './layers/rnn.js';
export { LSTM, type LSTMOptions } from './layers/lstm.js';
export { GRU, type GRUOptions } from './layers/gru.js';
export { recurrentLayer } from './layers/recurrent-layer.js';
export { SafetensorsError, parseSafetensors, serializeSafetensors, type SafetensorsContents } from './io/safetensors.js';
export type { ForwardModeLayer, ForwardModeOptions } from './train/cell-jacobians.js';
export { RTRL } from './train/rtrl.js';
export { OnlineRTRL, type OnlineRTRLOptions } from './train/online-rtrl.js';
export { UORO, type UOROOptions } from './train/uoro.js';
export { addingProblem, constantPredictionMse, ADDING_TRIVIAL_MSE, type AddingProblemOptions, type AddingBatch } from './tasks/adding.js';
export { delayedRecall, recallChanceLoss, accuracy as recallAccuracy, RECALL_IGNORE, type DelayedRecallOptions, type DelayedRecallBatch } from './tasks/copy.js';
export {
  VANISHING_CONFIGS, vanishingExperiment, vanishingFigure, vanishingLayer, gradientByDistance,
  type VanishingConfig, type VanishingOptions, type VanishingCurve, type VanishingResult,
} from './lab/vanishing.js';
export {
  ADDING_MODELS, addingModelName, addingNet, runAdding, type AddingModel, type AddingNet, type AddingPoint, type AddingRunOptions, type AddingRunResult,
} from './tasks/adding-run.js';
export {
  recallNet, runRecall, type RecallMethod, type RecallNet, type RecallPoint, type RecallRunOptions, type RecallRunResult,
} from './tasks/recall-run.js';
export { add, sub, mul, broadcastShape, type Operand } from './autograd/elementwise.js';
export { tanh, sigmoid, relu, softmax, logSoftmax } from './autograd/activations.js';
export { sum, mean } from './autograd/reduce.js';
export { matmul } from './autograd/matmul.js';
export { lastStep, type LastStepOptions } from './autograd/last-step.js';
export {
  type LayerSpec, type EmbeddingSpec, type RecurrentSpec, type TakeLastSpec, type LinearSpec, type ActivationSpec, type DropoutSpec,
  type ActivationName, type RecurrentType, type SequentialConfig, type ModelSignature,
} from './models/layer-spec.js';
export { Sequential, type SequentialOptions, type SequentialApplyOptions } from './models/sequential.js';
export { type Dataset, type Example, type Target, type LossName } from './models/batch.js';
export {
  fit, progressPrinter,
  type FitOptions, type FitCallbacks, type EpochLog, type BatchLog, type History, type EarlyStoppingOptions, type OptimizerName,
} from './models/fit.js';
export { predict, evaluate, type PredictOptions, type EvaluateOptions, type Evaluation } from './models/predict.js';
export { serializeModel, parseModel } from './models/saved-model.js';
export {
  ATTENTION_KINDS, type Attention, type AttentionKind, type AttentionMemory, type AttentionOutput,
  type AttentionOptions, type ProjectedAttentionOptions,
} from './attention/attention.js';
export { createAttention } from './attention/index.js';
export { DotAttention } from './attention/dot.js';
export { GeneralAttention } from './attention/general.js';
export { ProjectedDotAttention, type ProjectedDotAttentionOptions } from './attention/projected.js';
export { BahdanauAttention } from './attention/bahdanau.js';
export { PAD, BOS, EOS, UNK, SPECIAL_TOKENS, type PairBatch } from './seq2seq/batch.js';
export { Encoder, type EncoderOptions, type EncoderOutput } from './seq2seq/encoder.js';
export { Bridge, type BridgeOptions, type BridgedState } from './seq2seq/bridge.js';
export { Decoder, type DecoderOptions, type DecoderState, type DecoderOutput, type DecoderFeatures, type TeacherForcing } from './seq2seq/decoder.js';
export {
  Seq2Seq, SEQ2SEQ_DEFAULTS, type Seq2SeqConfig, type Seq2SeqOptions, type EncodedSource, type ForwardOptions,
} from './seq2seq/model.js';
export type { Hypothesis } from './seq2seq/hypothesis.js';
export { greedyDecode, type GreedyOptions } from './seq2seq/greedy.js';
export { beamSearch, lengthPenalty, type BeamSearchOptions, type LengthPenalty } from './seq2seq/beam-search.js';
export { translate, type TranslateOptions } from './seq2seq/translate.js';
export { Seq2SeqTrainer, type Seq2SeqTrainerOptions, type Seq2SeqTrainerSnapshot } from './seq2seq/trainer.js';
export {
  watch, recurrentModulesOf, Probe, gateStatistics, SATURATION_THRESHOLD, singularValues, spectralNorm, recurrentSpectra,
  gradientNorms, ClipStatistics, fitDecay, byDistanceFromEnd,
  type ProbeOptions, type ScanRecord, type Watchable, type GateStatistics, type WeightSpectrum,
  type ParameterGradientNorm, type ClipSummary, type DecayFit,
} from './insight/index.js';
export { exportRecurrentONNX } from './onnx/export.js';
export { fromKerasModel, type KerasModelOptions, type KerasWeightData } from './interop/keras.js';
export { importONNX, type ImportedONNX, type ImportedRecurrent, type Feed as ONNXFeed, type Value as ONNXValue } from './onnx/import.js';
export { renderSvg, figurePackages, FIGURE_FONTS } from './figures/render.js';
export { lineChartSpec, panelsSpec, type LineSeries, type LineChart, type PanelsOptions } from './figures/lines.js';
export { heatmapSpec, type Heatmap } from './figures/heatmap.js';
export { unitsPage, unitColour, type UnitsPage, type UnitTrace } from './figures/units-page.js';
export { sparkline, seriesTable, shadedHeatmap, type SparklineOptions, type ShadedRow, type ShadedHeatmapOptions } from './figures/terminal.js';
export { attentionSpec, attentionSvg, tokenLabel, type AttentionFigure } from './figures/attention.js';
