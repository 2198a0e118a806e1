/**
 * Parity with PyTorch: every case of test/fixtures/layers.json and cells.json
 * (written by scripts/gen_fixtures.py from torch in float64) is replayed in
 * float64 (tight tolerance) and float32 (rtol 1e-5 on values, 1e-4 on gradients)
 * on the default (reference) backend. The cases and the checks live in
 * parity-cases.ts, shared with the other backends' tests.
 */
import { runParitySuites } from './parity-cases.js';

runParitySuites(undefined, [
  { dtype: 'float64', valueTol: 1e-10, gradTol: 1e-10 },
  { dtype: 'float32', valueTol: 1e-5, gradTol: 1e-4 },
]);
