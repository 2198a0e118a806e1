/** Insight: measuring what happens inside recurrent networks. */
export { watch, recurrentModulesOf, Probe, type ProbeOptions, type ScanRecord, type Watchable } from './probe.js';
export { gateStatistics, isCandidate, SATURATION_THRESHOLD, type GateStatistics } from './gate-statistics.js';
export { singularValues, spectralNorm, recurrentSpectra, type WeightSpectrum } from './spectra.js';
export { gradientNorms, ClipStatistics, type ParameterGradientNorm, type ClipSummary } from './gradient-norms.js';
export { fitDecay, byDistanceFromEnd, type DecayFit } from './decay.js';
