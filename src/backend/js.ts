/**
 * The reference backend in plain TypeScript: the living definition of every
 * kernel. It stays in the tree for good; faster backends are tested against it.
 */
import type { FloatArray } from '../tensor.js';
import type { Backend } from './backend.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const jsBackend: Backend = {
  name: 'js',

  gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
    // Scale or clear C first, so the loops below only accumulate.
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) c.fill(0, row, row + n);
      else if (beta !== 1) for (let j = 0; j < n; j++) c[row + j] = (c[row + j] as number) * beta;
    }
    if (alpha === 0 || k === 0) return;
    if (!transA && !transB) {
      // C[i,:] += alpha·A[i,p]·B[p,:]  (rows of B streamed contiguously)
      for (let i = 0; i < m; i++) {
        const cRow = cOff + i * ldc;
        for (let p = 0; p < k; p++) {
          const s = alpha * (a[aOff + i * lda + p] as number);
          if (s === 0) continue;
          const bRow = bOff + p * ldb;
          for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + s * (b[bRow + j] as number);
        }
      }
    } else if (!transA && transB) {
      // C[i,j] += alpha·⟨A[i,:], B[j,:]⟩
      for (let i = 0; i < m; i++) {
        const aRow = aOff + i * lda;
        const cRow = cOff + i * ldc;
        for (let j = 0; j < n; j++) {
          const bRow = bOff + j * ldb;
          let s = 0;
          for (let p = 0; p < k; p++) s += (a[aRow + p] as number) * (b[bRow + p] as number);
          c[cRow + j] = (c[cRow + j] as number) + alpha * s;
        }
      }
    } else if (transA && !transB) {
      // C[i,:] += alpha·A[p,i]·B[p,:]
      for (let p = 0; p < k; p++) {
        const aRow = aOff + p * lda;
        const bRow = bOff + p * ldb;
        for (let i = 0; i < m; i++) {
          const s = alpha * (a[aRow + i] as number);
          if (s === 0) continue;
          const cRow = cOff + i * ldc;
          for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + s * (b[bRow + j] as number);
        }
      }
    } else {
      // C[i,j] += alpha·Σ_p A[p,i]·B[j,p]
      for (let i = 0; i < m; i++) {
        const cRow = cOff + i * ldc;
        for (let j = 0; j < n; j++) {
          const bRow = bOff + j * ldb;
          let s = 0;
          for (let p = 0; p < k; p++) s += (a[aOff + p * lda + i] as number) * (b[bRow + p] as number);
          c[cRow + j] = (c[cRow + j] as number) + alpha * s;
        }
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

  lstmForward(rows, H, gates, gOff, cPrev, cPrevOff, c, cOff, m, mOff) {
    for (let r = 0; r < rows; r++) {
      const g0 = gOff + r * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g0 + j] as number);
        const f = sigmoid(gates[g0 + H + j] as number);
        const g = Math.tanh(gates[g0 + 2 * H + j] as number);
        const o = sigmoid(gates[g0 + 3 * H + j] as number);
        gates[g0 + j] = i;
        gates[g0 + H + j] = f;
        gates[g0 + 2 * H + j] = g;
        gates[g0 + 3 * H + j] = o;
        const ct = f * (cPrev[cPrevOff + r * H + j] as number) + i * g; // c = f⊙c₋ + i⊙g
        c[cOff + r * H + j] = ct;
        m[mOff + r * H + j] = o * Math.tanh(ct); // m = o⊙tanh(c)
      }
    }
  },

  lstmBackward(rows, H, gates, gOff, cPrev, cPrevOff, c, cOff, dm, dmOff, dc, dcOff, dGates, dgOff) {
    for (let r = 0; r < rows; r++) {
      const g0 = gOff + r * 4 * H;
      const d0 = dgOff + r * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = gates[g0 + j] as number;
        const f = gates[g0 + H + j] as number;
        const g = gates[g0 + 2 * H + j] as number;
        const o = gates[g0 + 3 * H + j] as number;
        const tc = Math.tanh(c[cOff + r * H + j] as number);
        const dmv = dm[dmOff + r * H + j] as number;
        const dct = (dc[dcOff + r * H + j] as number) + dmv * o * (1 - tc * tc); // through m = o⊙tanh(c)
        dGates[d0 + j] = dct * g * i * (1 - i); // through c = … + i⊙g, then σ
        dGates[d0 + H + j] = dct * (cPrev[cPrevOff + r * H + j] as number) * f * (1 - f); // through f⊙c₋, then σ
        dGates[d0 + 2 * H + j] = dct * i * (1 - g * g); // through i⊙g, then tanh
        dGates[d0 + 3 * H + j] = dmv * tc * o * (1 - o); // through o⊙tanh(c), then σ
        dc[dcOff + r * H + j] = dct * f; // to c₋ through f⊙c₋
      }
    }
  },

  gruForward(rows, H, xw, xwOff, hw, hwOff, hPrev, hPrevOff, h, hOff) {
    for (let row = 0; row < rows; row++) {
      const x0 = xwOff + row * 3 * H;
      const w0 = hwOff + row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid((xw[x0 + j] as number) + (hw[w0 + j] as number));
        const z = sigmoid((xw[x0 + H + j] as number) + (hw[w0 + H + j] as number));
        const n = Math.tanh((xw[x0 + 2 * H + j] as number) + r * (hw[w0 + 2 * H + j] as number));
        xw[x0 + j] = r;
        xw[x0 + H + j] = z;
        xw[x0 + 2 * H + j] = n;
        h[hOff + row * H + j] = (1 - z) * n + z * (hPrev[hPrevOff + row * H + j] as number);
      }
    }
  },

  gruBackward(rows, H, xw, xwOff, hw, hwOff, hPrev, hPrevOff, dh, dhOff, dxw, dxwOff, dhw, dhwOff, dhPrev, dhPrevOff) {
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
        const dnPre = d * (1 - z) * (1 - n * n); // through (1−z)⊙n, then tanh
        const dzPre = d * (hp - n) * z * (1 - z); // through z⊙(h₋ − n), then σ
        const drPre = dnPre * hn * r * (1 - r); // through r⊙hw_n, then σ
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

  rnnForward(rows, H, relu, pre, preOff, h, hOff) {
    const n = rows * H;
    if (relu) for (let i = 0; i < n; i++) h[hOff + i] = Math.max(0, pre[preOff + i] as number);
    else for (let i = 0; i < n; i++) h[hOff + i] = Math.tanh(pre[preOff + i] as number);
  },

  rnnBackward(rows, H, relu, h, hOff, dh, dhOff, dpre, dpreOff) {
    const n = rows * H;
    if (relu) for (let i = 0; i < n; i++) dpre[dpreOff + i] = (h[hOff + i] as number) > 0 ? (dh[dhOff + i] as number) : 0;
    else {
      for (let i = 0; i < n; i++) {
        const hv = h[hOff + i] as number;
        dpre[dpreOff + i] = (dh[dhOff + i] as number) * (1 - hv * hv); // through tanh
      }
    }
  },
};
