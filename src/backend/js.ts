/**
 * The reference backend in plain TypeScript: the living definition of every
 * kernel. It stays in the tree for good; faster backends are tested against it.
 */
import { allocate, type FloatArray } from '../tensor.js';
import { type Backend, ELMAN_TANH } from './backend.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** `min(max(x, −clip), clip)`: the cell clip on a pre-activation. */
const clamp = (x: number, clip: number): number => Math.min(Math.max(x, -clip), clip);

/** `v` as stored in `a` (rounded to float32 for a float32 array). */
const stored = (a: FloatArray, v: number): number => (a instanceof Float32Array ? Math.fround(v) : v);

/**
 * The activation's values at the clip bounds, as stored in `a`: a cached
 * activation equal to either counts as clamped, its gradient zero (a
 * pre-activation within rounding of the bound is taken for the bound).
 * No bounds (NaN, equal to nothing) when `clip` is ∞.
 */
const bounds = (a: FloatArray, act: (x: number) => number, clip: number): readonly [number, number] =>
  clip === Infinity ? [NaN, NaN] : [stored(a, act(-clip)), stored(a, act(clip))];

/** 0 where `y` is at a clip bound, else 1. */
const pass = (y: number, b: readonly [number, number]): number => (y === b[0] || y === b[1] ? 0 : 1);

/**
 * LSTM gates forward, with or without peepholes (`peep` null: none):
 *   i = σ(a_i + p_i⊙c₋), f = σ(a_f + p_f⊙c₋), g = tanh(a_g), c = f⊙c₋ + i⊙g,
 *   o = σ(a_o + p_o⊙c), m = o⊙tanh(c)      (every pre-activation clamped to ±clip)
 * The activations overwrite the pre-activations in `gates`.
 */
function lstmGatesForward(
  rows: number, H: number, clip: number, gates: FloatArray, gOff: number, peep: FloatArray | null, pOff: number,
  cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, m: FloatArray, mOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = gOff + r * 4 * H;
    for (let j = 0; j < H; j++) {
      const cp = cPrev[cPrevOff + r * H + j] as number;
      const ai = gates[g0 + j] as number;
      const af = gates[g0 + H + j] as number;
      const i = sigmoid(clamp(peep ? ai + (peep[pOff + j] as number) * cp : ai, clip));
      const f = sigmoid(clamp(peep ? af + (peep[pOff + H + j] as number) * cp : af, clip));
      const g = Math.tanh(clamp(gates[g0 + 2 * H + j] as number, clip));
      const ct = f * cp + i * g; // c = f⊙c₋ + i⊙g
      const ao = gates[g0 + 3 * H + j] as number;
      const o = sigmoid(clamp(peep ? ao + (peep[pOff + 2 * H + j] as number) * ct : ao, clip));
      gates[g0 + j] = i;
      gates[g0 + H + j] = f;
      gates[g0 + 2 * H + j] = g;
      gates[g0 + 3 * H + j] = o;
      c[cOff + r * H + j] = ct;
      m[mOff + r * H + j] = o * Math.tanh(ct); // m = o⊙tanh(c)
    }
  }
}

/**
 * LSTM gates backward, with or without peepholes: from `dm` and the carried
 * `dc`, the pre-activation gradients into `dGates` and the gradient of c₋ into `dc`.
 */
function lstmGatesBackward(
  rows: number, H: number, clip: number, gates: FloatArray, gOff: number, peep: FloatArray | null, pOff: number,
  cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, dm: FloatArray, dmOff: number,
  dc: FloatArray, dcOff: number, dGates: FloatArray, dgOff: number,
): void {
  const sb = bounds(gates, sigmoid, clip);
  const tb = bounds(gates, Math.tanh, clip);
  for (let r = 0; r < rows; r++) {
    const g0 = gOff + r * 4 * H;
    const d0 = dgOff + r * 4 * H;
    for (let j = 0; j < H; j++) {
      const i = gates[g0 + j] as number;
      const f = gates[g0 + H + j] as number;
      const g = gates[g0 + 2 * H + j] as number;
      const o = gates[g0 + 3 * H + j] as number;
      const cp = cPrev[cPrevOff + r * H + j] as number;
      const tc = Math.tanh(c[cOff + r * H + j] as number);
      const dmv = dm[dmOff + r * H + j] as number;
      const doPre = dmv * tc * o * (1 - o) * pass(o, sb); // through o⊙tanh(c), then σ (and the clip)
      // through m = o⊙tanh(c) (and o's peephole p_o⊙c)
      const direct = (dc[dcOff + r * H + j] as number) + dmv * o * (1 - tc * tc);
      const dct = peep ? direct + doPre * (peep[pOff + 2 * H + j] as number) : direct;
      const diPre = dct * g * i * (1 - i) * pass(i, sb); // through c = … + i⊙g, then σ
      const dfPre = dct * cp * f * (1 - f) * pass(f, sb); // through f⊙c₋, then σ
      dGates[d0 + j] = diPre;
      dGates[d0 + H + j] = dfPre;
      dGates[d0 + 2 * H + j] = dct * i * (1 - g * g) * pass(g, tb); // through i⊙g, then tanh
      dGates[d0 + 3 * H + j] = doPre;
      // to c₋ through f⊙c₋ (and the peepholes p_i⊙c₋, p_f⊙c₋)
      dc[dcOff + r * H + j] = peep ? dct * f + diPre * (peep[pOff + j] as number) + dfPre * (peep[pOff + H + j] as number) : dct * f;
    }
  }
}

export const jsBackend: Backend = {
  name: 'js',

  allocate(dtype, n) {
    return allocate(dtype, n);
  },

  release() {
    // garbage collection reclaims plain arrays
  },

  gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
    // op(A)[i, p] = a[aOff + i·sAi + p·sAp],  op(B)[p, j] = b[bOff + p·sBp + j·sBj]
    const sAi = transA ? 1 : lda;
    const sAp = transA ? lda : 1;
    const sBp = transB ? 1 : ldb;
    const sBj = transB ? ldb : 1;
    const store = (i: number, j: number, acc: number): void => {
      const ci = cOff + i * ldc + j;
      c[ci] = beta === 0 ? alpha * acc : alpha * acc + beta * (c[ci] as number);
    };
    const m4 = m - (m % 4);
    const n4 = n - (n % 4);
    // 4×4 tiles of C, sixteen running sums over p: C[i0+r, j0+s] = Σ_p op(A)[i0+r, p]·op(B)[p, j0+s]
    for (let i0 = 0; i0 < m4; i0 += 4) {
      for (let j0 = 0; j0 < n4; j0 += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let ap = aOff + i0 * sAi;
        let bp = bOff + j0 * sBj;
        for (let p = 0; p < k; p++, ap += sAp, bp += sBp) {
          const a0 = a[ap] as number, a1 = a[ap + sAi] as number, a2 = a[ap + 2 * sAi] as number, a3 = a[ap + 3 * sAi] as number;
          const b0 = b[bp] as number, b1 = b[bp + sBj] as number, b2 = b[bp + 2 * sBj] as number, b3 = b[bp + 3 * sBj] as number;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        store(i0, j0, c00); store(i0, j0 + 1, c01); store(i0, j0 + 2, c02); store(i0, j0 + 3, c03);
        store(i0 + 1, j0, c10); store(i0 + 1, j0 + 1, c11); store(i0 + 1, j0 + 2, c12); store(i0 + 1, j0 + 3, c13);
        store(i0 + 2, j0, c20); store(i0 + 2, j0 + 1, c21); store(i0 + 2, j0 + 2, c22); store(i0 + 2, j0 + 3, c23);
        store(i0 + 3, j0, c30); store(i0 + 3, j0 + 1, c31); store(i0 + 3, j0 + 2, c32); store(i0 + 3, j0 + 3, c33);
      }
    }
    // Edges: the rows and columns left over by the tiles, one dot product each.
    for (let i = 0; i < m; i++) {
      for (let j = i < m4 ? n4 : 0; j < n; j++) {
        let acc = 0;
        let ap = aOff + i * sAi;
        let bp = bOff + j * sBj;
        for (let p = 0; p < k; p++, ap += sAp, bp += sBp) acc += (a[ap] as number) * (b[bp] as number);
        store(i, j, acc);
      }
    }
  },

  addRowVector(rows, cols, v, vOff, out, outOff) {
    for (let r = 0; r < rows; r++) {
      const o = outOff + r * cols;
      for (let j = 0; j < cols; j++) out[o + j] = (out[o + j] as number) + (v[vOff + j] as number);
    }
  },

  sumRows(rows, cols, a, aOff, out, outOff) {
    for (let r = 0; r < rows; r++) {
      const o = aOff + r * cols;
      for (let j = 0; j < cols; j++) out[outOff + j] = (out[outOff + j] as number) + (a[o + j] as number);
    }
  },

  lstmForward(rows, H, clip, gates, gOff, cPrev, cPrevOff, c, cOff, m, mOff) {
    lstmGatesForward(rows, H, clip, gates, gOff, null, 0, cPrev, cPrevOff, c, cOff, m, mOff);
  },

  lstmBackward(rows, H, clip, gates, gOff, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff) {
    lstmGatesBackward(rows, H, clip, gates, gOff, null, 0, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff);
  },

  gruForward(rows, H, clip, xw, xwOff, hw, hwOff, hPrev, hPrevOff, h, hOff) {
    for (let row = 0; row < rows; row++) {
      const x0 = xwOff + row * 3 * H;
      const w0 = hwOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(clamp((xw[x0 + j] as number) + (hw[w0 + j] as number), clip));
        const z = sigmoid(clamp((xw[x0 + H + j] as number) + (hw[w0 + H + j] as number), clip));
        const n = Math.tanh(clamp((xw[x0 + 2 * H + j] as number) + r * (hw[w0 + 2 * H + j] as number), clip));
        xw[x0 + j] = r;
        xw[x0 + H + j] = z;
        xw[x0 + 2 * H + j] = n;
        h[hOff + row * H + j] = (1 - z) * n + z * (hPrev[hPrevOff + row * H + j] as number);
      }
    }
  },

  gruBackward(rows, H, clip, xw, xwOff, hw, hwOff, hPrev, hPrevOff, dh, dhOff, dxw, dxwOff, dhw, dhwOff, dhPrev, dhPrevOff) {
    const sb = bounds(xw, sigmoid, clip);
    const tb = bounds(xw, Math.tanh, clip);
    for (let row = 0; row < rows; row++) {
      const x0 = xwOff + row * 3 * H;
      const w0 = hwOff + row * 3 * H;
      const dx0 = dxwOff + row * 3 * H;
      const dw0 = dhwOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = xw[x0 + j] as number;
        const z = xw[x0 + H + j] as number;
        const n = xw[x0 + 2 * H + j] as number;
        const hn = hw[w0 + 2 * H + j] as number;
        const hp = hPrev[hPrevOff + row * H + j] as number;
        const d = dh[dhOff + row * H + j] as number;
        const dnPre = d * (1 - z) * (1 - n * n) * pass(n, tb); // through (1−z)⊙n, then tanh (and the clip)
        const dzPre = d * (hp - n) * z * (1 - z) * pass(z, sb); // through z⊙(h₋ − n), then σ
        const drPre = dnPre * hn * r * (1 - r) * pass(r, sb); // through r⊙hw_n, then σ
        dxw[dx0 + j] = drPre;
        dxw[dx0 + H + j] = dzPre;
        dxw[dx0 + 2 * H + j] = dnPre;
        dhw[dw0 + j] = drPre;
        dhw[dw0 + H + j] = dzPre;
        dhw[dw0 + 2 * H + j] = dnPre * r; // through r⊙hw_n
        dhPrev[dhPrevOff + row * H + j] = d * z; // through z⊙h₋
      }
    }
  },

  lstmPeepholeForward(rows, H, clip, gates, gOff, peep, pOff, cPrev, cPrevOff, c, cOff, m, mOff) {
    lstmGatesForward(rows, H, clip, gates, gOff, peep, pOff, cPrev, cPrevOff, c, cOff, m, mOff);
  },

  lstmPeepholeBackward(rows, H, clip, gates, gOff, peep, pOff, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff) {
    lstmGatesBackward(rows, H, clip, gates, gOff, peep, pOff, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff);
  },

  lstmPeepholeGrad(rows, H, dGates, dgOff, cPrev, cPrevOff, c, cOff, dPeep, dpOff) {
    for (let r = 0; r < rows; r++) {
      const d0 = dgOff + r * 4 * H;
      for (let j = 0; j < H; j++) {
        const cp = cPrev[cPrevOff + r * H + j] as number;
        dPeep[dpOff + j] = (dPeep[dpOff + j] as number) + (dGates[d0 + j] as number) * cp; // dp_i += da_i⊙c₋
        dPeep[dpOff + H + j] = (dPeep[dpOff + H + j] as number) + (dGates[d0 + H + j] as number) * cp; // dp_f += da_f⊙c₋
        dPeep[dpOff + 2 * H + j] = (dPeep[dpOff + 2 * H + j] as number) + (dGates[d0 + 3 * H + j] as number) * (c[cOff + r * H + j] as number); // dp_o += da_o⊙c
      }
    }
  },

  gruResetForward(rows, H, clip, gates, gOff, hPrev, hPrevOff, rh, rhOff) {
    for (let row = 0; row < rows; row++) {
      const g0 = gOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(clamp(gates[g0 + j] as number, clip));
        gates[g0 + j] = r;
        gates[g0 + H + j] = sigmoid(clamp(gates[g0 + H + j] as number, clip));
        rh[rhOff + row * H + j] = r * (hPrev[hPrevOff + row * H + j] as number); // r⊙h₋
      }
    }
  },

  gruCandidateForward(rows, H, clip, gates, gOff, hPrev, hPrevOff, h, hOff) {
    for (let row = 0; row < rows; row++) {
      const g0 = gOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const z = gates[g0 + H + j] as number;
        const n = Math.tanh(clamp(gates[g0 + 2 * H + j] as number, clip));
        gates[g0 + 2 * H + j] = n;
        h[hOff + row * H + j] = (1 - z) * n + z * (hPrev[hPrevOff + row * H + j] as number);
      }
    }
  },

  gruCandidateBackward(rows, H, clip, gates, gOff, hPrev, hPrevOff, dh, dhOff, dGates, dgOff, dhPrev, dhPrevOff) {
    const sb = bounds(gates, sigmoid, clip);
    const tb = bounds(gates, Math.tanh, clip);
    for (let row = 0; row < rows; row++) {
      const g0 = gOff + row * 3 * H;
      const d0 = dgOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const z = gates[g0 + H + j] as number;
        const n = gates[g0 + 2 * H + j] as number;
        const d = dh[dhOff + row * H + j] as number;
        dGates[d0 + H + j] = d * ((hPrev[hPrevOff + row * H + j] as number) - n) * z * (1 - z) * pass(z, sb); // through z⊙(h₋ − n), then σ (and the clip)
        dGates[d0 + 2 * H + j] = d * (1 - z) * (1 - n * n) * pass(n, tb); // through (1−z)⊙n, then tanh
        dhPrev[dhPrevOff + row * H + j] = d * z; // through z⊙h₋
      }
    }
  },

  gruResetBackward(rows, H, clip, gates, gOff, hPrev, hPrevOff, drh, drhOff, dGates, dgOff, dhPrev, dhPrevOff) {
    const sb = bounds(gates, sigmoid, clip);
    for (let row = 0; row < rows; row++) {
      const g0 = gOff + row * 3 * H;
      const d0 = dgOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = gates[g0 + j] as number;
        const d = drh[drhOff + row * H + j] as number;
        dGates[d0 + j] = d * (hPrev[hPrevOff + row * H + j] as number) * r * (1 - r) * pass(r, sb); // through r⊙h₋, then σ (and the clip)
        dhPrev[dhPrevOff + row * H + j] = (dhPrev[dhPrevOff + row * H + j] as number) + d * r; // through r⊙h₋
      }
    }
  },

  rnnForward(rows, H, slope, clip, pre, preOff, h, hOff) {
    const n = rows * H;
    if (slope === ELMAN_TANH) for (let i = 0; i < n; i++) h[hOff + i] = Math.tanh(clamp(pre[preOff + i] as number, clip));
    else if (slope === 0) for (let i = 0; i < n; i++) h[hOff + i] = Math.max(0, clamp(pre[preOff + i] as number, clip));
    else {
      for (let i = 0; i < n; i++) {
        const a = clamp(pre[preOff + i] as number, clip);
        h[hOff + i] = a > 0 ? a : slope * a;
      }
    }
  },

  rnnBackward(rows, H, slope, clip, h, hOff, dh, dhOff, dpre, dpreOff) {
    const n = rows * H;
    if (slope === ELMAN_TANH) {
      const tb = bounds(h, Math.tanh, clip);
      for (let i = 0; i < n; i++) {
        const hv = h[hOff + i] as number;
        dpre[dpreOff + i] = (dh[dhOff + i] as number) * (1 - hv * hv) * pass(hv, tb); // through tanh (and the clip)
      }
    } else {
      const rb = bounds(h, (x) => (x > 0 ? x : slope * x), clip);
      for (let i = 0; i < n; i++) {
        const d = dh[dhOff + i] as number;
        const hv = h[hOff + i] as number;
        // for slope > 0, h > 0 ⟺ pre > 0 (and the clip)
        dpre[dpreOff + i] = hv > 0 ? d * pass(hv, rb) : slope === 0 ? 0 : slope * d * pass(hv, rb);
      }
    }
  },

  adamStep(n, p, g, m, v, vMax, o) {
    const { lr, beta1, beta2, eps, weightDecay: wd, decoupled, step: t } = o;
    const bias1 = 1 - beta1 ** t;
    const bias2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / bias1;
    const decay = 1 - lr * wd;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let i = 0; i < n; i++) {
      let gi = g[i] as number;
      let pi = p[i] as number;
      if (decoupled) pi = pi * decay; // θ ← θ(1 − γλ)
      else if (wd !== 0) gi = gi + wd * pi; // g ← g + λθ
      m[i] = beta1 * (m[i] as number) + c1 * gi;
      v[i] = beta2 * (v[i] as number) + c2 * gi * gi;
      let second = v[i] as number;
      if (vMax) {
        if (second > (vMax[i] as number)) vMax[i] = second;
        second = vMax[i] as number;
      }
      const denom = Math.sqrt(second) / bias2Sqrt + eps;
      p[i] = pi + (-stepSize * (m[i] as number)) / denom;
    }
  },

  sgdStep(n, p, g, buf, o) {
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd, first } = o;
    if (mu === 0 || !buf) {
      for (let i = 0; i < n; i++) {
        let d = g[i] as number;
        if (wd !== 0) d = d + wd * (p[i] as number);
        p[i] = (p[i] as number) - lr * d;
      }
      return;
    }
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      let d = g[i] as number;
      if (wd !== 0) d = d + wd * (p[i] as number);
      buf[i] = first ? d : mu * (buf[i] as number) + keep * d;
      d = nesterov ? d + mu * (buf[i] as number) : (buf[i] as number);
      p[i] = (p[i] as number) - lr * d;
    }
  },

  sumSquares(n, a, aOff) {
    let s = 0;
    for (let i = aOff; i < aOff + n; i++) s += (a[i] as number) * (a[i] as number);
    return s;
  },

  scale(n, alpha, a, aOff) {
    for (let i = aOff; i < aOff + n; i++) a[i] = (a[i] as number) * alpha;
  },

  softmaxCrossEntropy(rows, V, z, zOff, t, w, probs) {
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      const zi = zOff + i * V;
      const o = i * V;
      let max = -Infinity;
      for (let k = 0; k < V; k++) max = Math.max(max, z[zi + k] as number);
      let sum = 0;
      for (let k = 0; k < V; k++) {
        const e = Math.exp((z[zi + k] as number) - max);
        probs[o + k] = e;
        sum += e;
      }
      for (let k = 0; k < V; k++) probs[o + k] = (probs[o + k] as number) / sum;
      const wi = w[i] as number;
      if (wi !== 0) loss += wi * (Math.log(sum) + max - (z[zi + (t[i] as number)] as number)); // ℓ = log Σ exp z − z_t
    }
    return loss;
  },

  softmaxCrossEntropyBackward(rows, V, s, t, w, probs) {
    for (let i = 0; i < rows; i++) {
      const wi = (w[i] as number) * s;
      const o = i * V;
      if (wi === 0) {
        probs.fill(0, o, o + V);
        continue;
      }
      for (let k = 0; k < V; k++) probs[o + k] = (probs[o + k] as number) * wi; // through softmax: (p − onehot)·w
      probs[o + (t[i] as number)] = (probs[o + (t[i] as number)] as number) - wi;
    }
  },
};
