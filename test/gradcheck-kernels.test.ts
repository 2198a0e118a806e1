/**
 * Float64 central-difference checks of the variant cells' kernels on the
 * reference backend, each backward kernel against the forward one it inverts:
 *  - LSTM with peepholes: lstmPeepholeBackward (gradients of the gate
 *    pre-activations and of c₋) and lstmPeepholeGrad (of the peepholes), for
 *    L = Σ w_c ⊙ c + Σ w_m ⊙ m;
 *  - GRU with the reset gate before the product: gruResetForward, the product
 *    n += (r ⊙ h₋) W_hnᵀ, gruCandidateForward, and backwards
 *    gruCandidateBackward, d(r ⊙ h₋) = dn W_hn, gruResetBackward, for
 *    L = Σ w_h ⊙ h (gradients of the pre-activations, h₋ and W_hn).
 * Rows and sizes are awkward (not multiples of 4); offsets are nonzero.
 */
import { test } from 'node:test';
import { jsBackend as be } from '../src/backend/js.js';
import { Random } from '../src/random.js';
import { dot, gradcheck } from './gradcheck.js';

function random(rng: Random, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

test('LSTM peephole kernels: gate pre-activations, c₋ and the peepholes', (t) => {
  const rng = new Random(31);
  const [rows, H] = [3, 5];
  const n = rows * H;
  const gOff = 2;
  const pOff = 1;
  const a = random(rng, gOff + 4 * n, 2); // pre-activations [i f g o] per row
  const peep = random(rng, pOff + 3 * H, 1.5);
  const cPrev = random(rng, n, 1.5);
  const wc = random(rng, n);
  const wm = random(rng, n);
  const gates = new Float64Array(a.length);
  const c = new Float64Array(n);
  const m = new Float64Array(n);
  const forward = (): void => {
    gates.set(a);
    be.lstmPeepholeForward(rows, H, Infinity, gates, gOff, peep, pOff, cPrev, 0, c, 0, m, 0);
  };
  const loss = (): number => {
    forward();
    return dot(c, wc) + dot(m, wm);
  };
  forward();
  const dc = wc.slice();
  const dGates = new Float64Array(gOff + 4 * n);
  be.lstmPeepholeBackward(rows, H, Infinity, gates, gOff, peep, pOff, cPrev, 0, c, 0, wm, 0, dc, 0, dGates, gOff);
  const dPeep = new Float64Array(pOff + 3 * H);
  be.lstmPeepholeGrad(rows, H, dGates, gOff, cPrev, 0, c, 0, dPeep, pOff);
  const skip = (off: number, len: number): number[] => Array.from({ length: len }, (_, i) => off + i);
  const results = [
    gradcheck('pre-activations', a, dGates, loss, { indices: skip(gOff, 4 * n) }),
    gradcheck('c₋', cPrev, dc, loss),
    gradcheck('peepholes', peep, dPeep, loss, { indices: skip(pOff, 3 * H) }),
  ];
  t.diagnostic(`max relative error ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
});

test('GRU reset-before kernels with the product between them: pre-activations, h₋ and W_hn', (t) => {
  const rng = new Random(37);
  const [rows, H] = [3, 5];
  const n = rows * H;
  const gOff = 3;
  const a = random(rng, gOff + 3 * n, 2); // pre-activations [r z n] without n's recurrent part
  const hPrev = random(rng, n);
  const W_hn = random(rng, H * H, 0.8);
  const wh = random(rng, n);
  const gates = new Float64Array(a.length);
  const rh = new Float64Array(n);
  const h = new Float64Array(n);
  const forward = (): void => {
    gates.set(a);
    be.gruResetForward(rows, H, Infinity, gates, gOff, hPrev, 0, rh, 0); // r, z; r ⊙ h₋
    be.gemm(false, true, rows, H, H, 1, rh, 0, H, W_hn, 0, H, 1, gates, gOff + 2 * H, 3 * H); // n += (r ⊙ h₋) W_hnᵀ
    be.gruCandidateForward(rows, H, Infinity, gates, gOff, hPrev, 0, h, 0);
  };
  const loss = (): number => {
    forward();
    return dot(h, wh);
  };
  forward();
  const dGates = new Float64Array(gOff + 3 * n);
  const dhPrev = new Float64Array(n);
  const drh = new Float64Array(n);
  be.gruCandidateBackward(rows, H, Infinity, gates, gOff, hPrev, 0, wh, 0, dGates, gOff, dhPrev, 0);
  be.gemm(false, false, rows, H, H, 1, dGates, gOff + 2 * H, 3 * H, W_hn, 0, H, 0, drh, 0, H); // d(r ⊙ h₋) = dn W_hn
  be.gruResetBackward(rows, H, Infinity, gates, gOff, hPrev, 0, drh, 0, dGates, gOff, dhPrev, 0);
  const dW = new Float64Array(H * H);
  be.gemm(true, false, H, H, rows, 1, dGates, gOff + 2 * H, 3 * H, rh, 0, H, 0, dW, 0, H); // dW_hn = dnᵀ (r ⊙ h₋)
  const results = [
    gradcheck('pre-activations', a, dGates, loss, { indices: Array.from({ length: 3 * n }, (_, i) => gOff + i) }),
    gradcheck('h₋', hPrev, dhPrev, loss),
    gradcheck('W_hn', W_hn, dW, loss),
  ];
  t.diagnostic(`max relative error ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
});
