/**
 * Training kernels: the optimiser updates (Adam/AdamW, SGD), the reductions
 * and scaling of gradient clipping, and fused softmax cross-entropy.
 * Semantics are those of the reference backend (src/backend/js.ts).
 *
 * The optimiser and clipping kernels compute in f64 on f32 storage, in the
 * reference's operation order: JavaScript evaluates `p[i] - lr * d` on a
 * Float32Array in double precision and rounds once when storing, and so do
 * these (promote, operate in f64x2 without fused multiply-add, demote at
 * the store). So an update is bit-for-bit the reference's on float32
 * buffers, and a trajectory does not depend on the backend.
 */
import { expNonPositive } from './simd';

/** Low two f32 lanes of `v` as f64. */
// @ts-ignore: decorator
@inline function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** High two f32 lanes of `v` as f64. */
// @ts-ignore: decorator
@inline function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** Rounds two f64 pairs to f32 and packs them as `[a0 a1 b0 b1]`. */
// @ts-ignore: decorator
@inline function pack(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** Rounds f64 lanes through f32 (what a store to and load from a Float32Array does). */
// @ts-ignore: decorator
@inline function viaF32(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/**
 * Adam / AdamW (decoupled) over `n` f32 parameters, PyTorch's order:
 *   θ ← θ(1 − γλ) (AdamW)  or  g ← g + λθ (Adam, λ ≠ 0)
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g·g,  v̂ ← max(v̂, v) (AMSGrad, `vmax ≠ 0`)
 *   θ ← θ + (−stepSize · m) / (√v / bias2Sqrt + ε)
 * where `stepSize = γ / (1 − β₁ᵗ)`, `bias2Sqrt = √(1 − β₂ᵗ)` come from the caller.
 */
export function adamStep(
  n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize, decoupled: bool,
  beta1: f64, beta2: f64, stepSize: f64, bias2Sqrt: f64, eps: f64, wd: f64, decay: f64,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const B1 = f64x2.splat(beta1);
  const B2 = f64x2.splat(beta2);
  const C1 = f64x2.splat(c1);
  const C2 = f64x2.splat(c2);
  const NS = f64x2.splat(-stepSize);
  const BS = f64x2.splat(bias2Sqrt);
  const EPS = f64x2.splat(eps);
  const WD = f64x2.splat(wd);
  const DEC = f64x2.splat(decay);
  const coupled = !decoupled && wd != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const gv = v128.load(g + o);
    const mv = v128.load(m + o);
    const vv = v128.load(v + o);
    let p0 = lo(pv);
    let p1 = hi(pv);
    let g0 = lo(gv);
    let g1 = hi(gv);
    if (decoupled) {
      p0 = f64x2.mul(p0, DEC);
      p1 = f64x2.mul(p1, DEC);
    } else if (coupled) {
      g0 = f64x2.add(g0, f64x2.mul(WD, p0));
      g1 = f64x2.add(g1, f64x2.mul(WD, p1));
    }
    // m ← β₁m + (1 − β₁)g, rounded to f32 as stored
    const m0 = viaF32(f64x2.add(f64x2.mul(B1, lo(mv)), f64x2.mul(C1, g0)));
    const m1 = viaF32(f64x2.add(f64x2.mul(B1, hi(mv)), f64x2.mul(C1, g1)));
    // v ← β₂v + ((1 − β₂)g)g
    let v0 = viaF32(f64x2.add(f64x2.mul(B2, lo(vv)), f64x2.mul(f64x2.mul(C2, g0), g0)));
    let v1 = viaF32(f64x2.add(f64x2.mul(B2, hi(vv)), f64x2.mul(f64x2.mul(C2, g1), g1)));
    v128.store(m + o, pack(m0, m1));
    v128.store(v + o, pack(v0, v1));
    if (vmax != 0) {
      const xv = v128.load(vmax + o);
      // v̂ ← v where v > v̂ (NaN in v leaves v̂, as the reference's comparison does)
      v0 = v128.bitselect(v0, lo(xv), f64x2.gt(v0, lo(xv)));
      v1 = v128.bitselect(v1, hi(xv), f64x2.gt(v1, hi(xv)));
      v128.store(vmax + o, pack(v0, v1));
    }
    const d0 = f64x2.add(f64x2.div(f64x2.sqrt(v0), BS), EPS);
    const d1 = f64x2.add(f64x2.div(f64x2.sqrt(v1), BS), EPS);
    const q0 = f64x2.add(p0, f64x2.div(f64x2.mul(NS, m0), d0));
    const q1 = f64x2.add(p1, f64x2.div(f64x2.mul(NS, m1), d1));
    v128.store(p + o, pack(q0, q1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pi = <f64>load<f32>(p + o);
    let gi = <f64>load<f32>(g + o);
    if (decoupled) pi = pi * decay;
    else if (coupled) gi = gi + wd * pi;
    const mi = <f64><f32>(beta1 * <f64>load<f32>(m + o) + c1 * gi);
    let vi = <f64><f32>(beta2 * <f64>load<f32>(v + o) + c2 * gi * gi);
    store<f32>(m + o, <f32>mi);
    store<f32>(v + o, <f32>vi);
    if (vmax != 0) {
      const x = <f64>load<f32>(vmax + o);
      if (!(vi > x)) vi = x;
      store<f32>(vmax + o, <f32>vi);
    }
    const denom = Math.sqrt(vi) / bias2Sqrt + eps;
    store<f32>(p + o, <f32>(pi + (-stepSize * mi) / denom));
  }
}

/**
 * SGD over `n` f32 parameters, PyTorch's order: `d = g (+ λθ)`; with
 * momentum μ ≠ 0, `b ← d` on the first step (`first`), else
 * `b ← μb + (1 − τ)d`, then `d = d + μb` (Nesterov) or `d = b`;
 * finally `θ ← θ − γd`. Without momentum (μ = 0, or no buffer: `buf = 0`)
 * `buf` is not touched.
 */
export function sgdStep(
  n: i32, p: usize, g: usize, buf: usize, lr: f64, mu: f64, dampening: f64, nesterov: bool, wd: f64, first: bool,
): void {
  const keep = 1 - dampening;
  const LR = f64x2.splat(lr);
  const MU = f64x2.splat(mu);
  const KEEP = f64x2.splat(keep);
  const WD = f64x2.splat(wd);
  const decay = wd != 0;
  const momentum = mu != 0 && buf != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const gv = v128.load(g + o);
    const p0 = lo(pv);
    const p1 = hi(pv);
    let d0 = lo(gv);
    let d1 = hi(gv);
    if (decay) {
      d0 = f64x2.add(d0, f64x2.mul(WD, p0));
      d1 = f64x2.add(d1, f64x2.mul(WD, p1));
    }
    if (momentum) {
      let b0 = d0;
      let b1 = d1;
      if (!first) {
        const bv = v128.load(buf + o);
        b0 = f64x2.add(f64x2.mul(MU, lo(bv)), f64x2.mul(KEEP, d0));
        b1 = f64x2.add(f64x2.mul(MU, hi(bv)), f64x2.mul(KEEP, d1));
      }
      b0 = viaF32(b0);
      b1 = viaF32(b1);
      v128.store(buf + o, pack(b0, b1));
      if (nesterov) {
        d0 = f64x2.add(d0, f64x2.mul(MU, b0));
        d1 = f64x2.add(d1, f64x2.mul(MU, b1));
      } else {
        d0 = b0;
        d1 = b1;
      }
    }
    v128.store(p + o, pack(f64x2.sub(p0, f64x2.mul(LR, d0)), f64x2.sub(p1, f64x2.mul(LR, d1))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = <f64>load<f32>(p + o);
    let d = <f64>load<f32>(g + o);
    if (decay) d = d + wd * pi;
    if (momentum) {
      const b = <f64><f32>(first ? d : mu * <f64>load<f32>(buf + o) + keep * d);
      store<f32>(buf + o, <f32>b);
      d = nesterov ? d + mu * b : b;
    }
    store<f32>(p + o, <f32>(pi - lr * d));
  }
}

/**
 * `Σ a[i]²` over `n` f32 values, accumulated in f64 (eight partial sums,
 * so the order differs from a sequential loop by rounding only). The sum
 * is finite exactly when every value is (an f32 square cannot overflow f64).
 */
export function sumSquares(n: i32, a: usize): f64 {
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    const y = v128.load(a + o, 16);
    const x0 = lo(x);
    const x1 = hi(x);
    const y0 = lo(y);
    const y1 = hi(y);
    s0 = f64x2.add(s0, f64x2.mul(x0, x0));
    s1 = f64x2.add(s1, f64x2.mul(x1, x1));
    s2 = f64x2.add(s2, f64x2.mul(y0, y0));
    s3 = f64x2.add(s3, f64x2.mul(y1, y1));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const x = <f64>load<f32>(a + (<usize>i << 2));
    total += x * x;
  }
  return total;
}

/** `a[i] ← a[i] · alpha` on `n` f32 values, the product taken in f64 and rounded once. */
export function scale(n: i32, alpha: f64, a: usize): void {
  const al = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    v128.store(a + o, pack(f64x2.mul(lo(x), al), f64x2.mul(hi(x), al)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(a + o, <f32>(<f64>load<f32>(a + o) * alpha));
  }
}

const SQRT_HALF: f64 = 0.7071067811865476;
const LN2: f64 = 0.6931471805599453;

/**
 * Natural logarithm of a positive, finite, normal f64 (relative error
 * < 1e-14): `x = 2ᵉ·m` with `m ∈ [√½, √2)`, `log m = 2 atanh s` with
 * `s = (m − 1)/(m + 1)`, `|s| < 0.172`, by its odd series to s¹⁷. Written
 * here rather than `Math.log` so the module keeps no lookup tables (no data
 * segments to re-initialise when worker threads instantiate it on the
 * shared memory).
 */
function logPositive(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000); // [1, 2)
  if (m > 2 * SQRT_HALF) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const u = s * s;
  const series = 1 + u * (1.0 / 3 + u * (1.0 / 5 + u * (1.0 / 7 + u * (1.0 / 9 + u * (1.0 / 11 + u * (1.0 / 13 + u * (1.0 / 15 + u * (1.0 / 17))))))));
  return <f64>e * LN2 + 2 * s * series;
}

/**
 * Softmax cross-entropy, forward, over `rows` rows of `V` logits `z`: writes
 * `probs[i, :] = softmax(z[i, :])` and returns
 * `Σ_i w[i] · (log Σ_k exp(z[i,k]) − z[i, t[i]])` in f64, for weights `w`
 * (f32) and targets `t` (i32); rows with zero weight add nothing and their
 * target is not read. The exponentials use the SIMD approximation of the
 * gate kernels.
 */
export function softmaxCrossEntropy(rows: i32, V: i32, z: usize, t: usize, w: usize, probs: usize): f64 {
  let loss: f64 = 0;
  const rb = <usize>V << 2;
  const V4 = V & ~3;
  const LOW = f32x4.splat(-87);
  for (let r = 0; r < rows; r++) {
    const zr = z + <usize>r * rb;
    const pr = probs + <usize>r * rb;
    // max
    let mx = f32x4.splat(-Infinity);
    let k = 0;
    for (; k < V4; k += 4) mx = f32x4.max(mx, v128.load(zr + (<usize>k << 2)));
    let zmax = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    for (; k < V; k++) zmax = max(zmax, load<f32>(zr + (<usize>k << 2)));
    // e = exp(z − max) and its sum
    const M = f32x4.splat(zmax);
    let sv = f32x4.splat(0);
    k = 0;
    for (; k < V4; k += 4) {
      const e = expNonPositive(f32x4.max(f32x4.sub(v128.load(zr + (<usize>k << 2)), M), LOW));
      v128.store(pr + (<usize>k << 2), e);
      sv = f32x4.add(sv, e);
    }
    let sum: f64 = <f64>f32x4.extract_lane(sv, 0) + <f64>f32x4.extract_lane(sv, 1) + <f64>f32x4.extract_lane(sv, 2) + <f64>f32x4.extract_lane(sv, 3);
    for (; k < V; k++) {
      const e = f32x4.extract_lane(expNonPositive(f32x4.splat(max(load<f32>(zr + (<usize>k << 2)) - zmax, <f32>-87))), 0);
      store<f32>(pr + (<usize>k << 2), e);
      sum += e;
    }
    const wr = load<f32>(w + (<usize>r << 2));
    if (wr != 0) {
      const zt = <f64>load<f32>(zr + (<usize>load<i32>(t + (<usize>r << 2)) << 2));
      loss += <f64>wr * (logPositive(sum) + <f64>zmax - zt); // ℓ = log Σ exp z − z_t
    }
    // p = e / sum
    const inv = <f32>(1 / sum);
    const I = f32x4.splat(inv);
    k = 0;
    for (; k < V4; k += 4) v128.store(pr + (<usize>k << 2), f32x4.mul(v128.load(pr + (<usize>k << 2)), I));
    for (; k < V; k++) store<f32>(pr + (<usize>k << 2), load<f32>(pr + (<usize>k << 2)) * inv);
  }
  return loss;
}

/**
 * Softmax cross-entropy, backward, in place over `probs`:
 * `probs[i, :] ← s·w[i] · (probs[i, :] − onehot(t[i]))` (zeros where `w[i] = 0`).
 */
export function softmaxCrossEntropyBackward(rows: i32, V: i32, s: f64, t: usize, w: usize, probs: usize): void {
  const rb = <usize>V << 2;
  const V4 = V & ~3;
  for (let r = 0; r < rows; r++) {
    const pr = probs + <usize>r * rb;
    const wi = <f32>(<f64>load<f32>(w + (<usize>r << 2)) * s);
    if (wi == 0) {
      memory.fill(pr, 0, rb);
      continue;
    }
    const W = f32x4.splat(wi);
    let k = 0;
    for (; k < V4; k += 4) v128.store(pr + (<usize>k << 2), f32x4.mul(v128.load(pr + (<usize>k << 2)), W)); // through softmax: (p − onehot)·w
    for (; k < V; k++) store<f32>(pr + (<usize>k << 2), load<f32>(pr + (<usize>k << 2)) * wi);
    const pt = pr + (<usize>load<i32>(t + (<usize>r << 2)) << 2);
    store<f32>(pt, load<f32>(pt) - wi);
  }
}

/** `memory[p, p + bytes) ← 0`. */
export function zero(p: usize, bytes: usize): void {
  memory.fill(p, 0, bytes);
}
