/**
 * Fused gate kernels (forward and backward of the LSTM, GRU and Elman
 * cells, and of the LSTM with peepholes and the GRU with the reset gate
 * before the recurrent product), bias broadcast and row sums. Semantics are those of the
 * reference backend (src/backend/js.ts); arguments are byte addresses of
 * float32 buffers in this module's memory. Each row of hidden size `H` is
 * processed four units at a time, the tail with partial loads.
 */
import { loadN, madd, sigmoid4, storeN, tanh4 } from './simd';

// @ts-ignore: decorator
@inline function one(): v128 {
  return f32x4.splat(1);
}

/** `x·(1 − x)`: σ' expressed through σ. */
// @ts-ignore: decorator
@inline function dsig(s: v128): v128 {
  return f32x4.mul(s, f32x4.sub(one(), s));
}

/** `1 − t²`: tanh' expressed through tanh. */
// @ts-ignore: decorator
@inline function dtanh(t: v128): v128 {
  return f32x4.sub(one(), f32x4.mul(t, t));
}

/** `min(max(a, −clip), clip)`: the cell clip on a pre-activation (`cl` = clip in every lane; ∞ leaves `a` as is). */
// @ts-ignore: decorator
@inline function clamp4(a: v128, cl: v128): v128 {
  return f32x4.min(f32x4.max(a, f32x4.neg(cl)), cl);
}

/**
 * σ at `x` = ±clip, in every lane: a cached σ equal to it came from a
 * clamped pre-activation. NaN (equal to nothing) when `clip` is ∞.
 */
// @ts-ignore: decorator
@inline function sigAt(clip: f32, x: f32): v128 {
  return clip == Infinity ? f32x4.splat(NaN) : sigmoid4(f32x4.splat(x));
}

/** tanh at `x` = ±clip, as {@link sigAt}. */
// @ts-ignore: decorator
@inline function tanhAt(clip: f32, x: f32): v128 {
  return clip == Infinity ? f32x4.splat(NaN) : tanh4(f32x4.splat(x));
}

/** `d`, zeroed in the lanes where the activation `y` is at a clip bound `lo` or `hi`. */
// @ts-ignore: decorator
@inline function unclamped(d: v128, y: v128, lo: v128, hi: v128): v128 {
  return v128.andnot(d, v128.or(f32x4.eq(y, lo), f32x4.eq(y, hi)));
}

// @ts-ignore: decorator
@inline function lstmForwardUnits(cl: v128, g: usize, hb: usize, cPrev: usize, c: usize, m: usize, n: i32): void {
  const i = sigmoid4(clamp4(loadN(g, n), cl));
  const f = sigmoid4(clamp4(loadN(g + hb, n), cl));
  const gg = tanh4(clamp4(loadN(g + 2 * hb, n), cl));
  const o = sigmoid4(clamp4(loadN(g + 3 * hb, n), cl));
  storeN(g, i, n);
  storeN(g + hb, f, n);
  storeN(g + 2 * hb, gg, n);
  storeN(g + 3 * hb, o, n);
  const ct = madd(f, loadN(cPrev, n), f32x4.mul(i, gg)); // c = f⊙c₋ + i⊙g
  storeN(c, ct, n);
  storeN(m, f32x4.mul(o, tanh4(ct)), n); // m = o⊙tanh(c)
}

/**
 * LSTM gates, forward, for `rows` rows: `gates` (rows × 4H, `[i f g o]`
 * pre-activations) is overwritten with `σ(i), σ(f), tanh(g), σ(o)`; then
 * `c = f ⊙ cPrev + i ⊙ g` and `m = o ⊙ tanh(c)` (rows × H each).
 */
export function lstmForward(rows: i32, H: i32, clip: f32, gates: usize, cPrev: usize, c: usize, m: usize): void {
  const hb = <usize>H << 2;
  const cl = f32x4.splat(clip);
  for (let r = 0; r < rows; r++) {
    const g0 = gates + <usize>r * 4 * hb;
    const s0 = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      lstmForwardUnits(cl, g0 + o, hb, cPrev + s0 + o, c + s0 + o, m + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      lstmForwardUnits(cl, g0 + o, hb, cPrev + s0 + o, c + s0 + o, m + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmBackwardUnits(
  sLo: v128, sHi: v128, tLo: v128, tHi: v128, g: usize, hb: usize, cPrev: usize, c: usize, dm: usize, dc: usize, dg: usize, n: i32,
): void {
  const i = loadN(g, n);
  const f = loadN(g + hb, n);
  const gg = loadN(g + 2 * hb, n);
  const o = loadN(g + 3 * hb, n);
  const tc = tanh4(loadN(c, n));
  const dmv = loadN(dm, n);
  const dct = madd(f32x4.mul(dmv, o), dtanh(tc), loadN(dc, n)); // through m = o⊙tanh(c)
  storeN(dg, unclamped(f32x4.mul(f32x4.mul(dct, gg), dsig(i)), i, sLo, sHi), n); // through c = … + i⊙g, then σ (and the clip)
  storeN(dg + hb, unclamped(f32x4.mul(f32x4.mul(dct, loadN(cPrev, n)), dsig(f)), f, sLo, sHi), n); // through f⊙c₋, then σ
  storeN(dg + 2 * hb, unclamped(f32x4.mul(f32x4.mul(dct, i), dtanh(gg)), gg, tLo, tHi), n); // through i⊙g, then tanh
  storeN(dg + 3 * hb, unclamped(f32x4.mul(f32x4.mul(dmv, tc), dsig(o)), o, sLo, sHi), n); // through o⊙tanh(c), then σ
  storeN(dc, f32x4.mul(dct, f), n); // to c₋ through f⊙c₋
}

/**
 * LSTM gates, backward: from the activations left in `gates`, `cPrev`, `c`
 * and `dm`, writes the pre-activation gradients to `dGates` (rows × 4H) and
 * replaces `dc` (gradient of `c`, rows × H) in place by the gradient of `cPrev`.
 */
export function lstmBackward(rows: i32, H: i32, clip: f32, gates: usize, cPrev: usize, c: usize, dm: usize, dc: usize, dGates: usize): void {
  const hb = <usize>H << 2;
  const sLo = sigAt(clip, -clip);
  const sHi = sigAt(clip, clip);
  const tLo = tanhAt(clip, -clip);
  const tHi = tanhAt(clip, clip);
  for (let r = 0; r < rows; r++) {
    const g0 = gates + <usize>r * 4 * hb;
    const d0 = dGates + <usize>r * 4 * hb;
    const s0 = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      lstmBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, cPrev + s0 + o, c + s0 + o, dm + s0 + o, dc + s0 + o, d0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      lstmBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, cPrev + s0 + o, c + s0 + o, dm + s0 + o, dc + s0 + o, d0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function gruForwardUnits(cl: v128, x: usize, w: usize, hb: usize, hPrev: usize, h: usize, n: i32): void {
  const r = sigmoid4(clamp4(f32x4.add(loadN(x, n), loadN(w, n)), cl));
  const z = sigmoid4(clamp4(f32x4.add(loadN(x + hb, n), loadN(w + hb, n)), cl));
  const nn = tanh4(clamp4(madd(r, loadN(w + 2 * hb, n), loadN(x + 2 * hb, n)), cl));
  storeN(x, r, n);
  storeN(x + hb, z, n);
  storeN(x + 2 * hb, nn, n);
  // h = (1 − z)⊙n + z⊙h₋ = n + z⊙(h₋ − n)
  storeN(h, madd(z, f32x4.sub(loadN(hPrev, n), nn), nn), n);
}

/**
 * GRU gates, forward (reset-after): `r = σ(xw_r + hw_r)`,
 * `z = σ(xw_z + hw_z)`, `n = tanh(xw_n + r ⊙ hw_n)`,
 * `h = (1 − z) ⊙ n + z ⊙ hPrev`; `xw` (rows × 3H) is overwritten with `[r z n]`.
 */
export function gruForward(rows: i32, H: i32, clip: f32, xw: usize, hw: usize, hPrev: usize, h: usize): void {
  const hb = <usize>H << 2;
  const cl = f32x4.splat(clip);
  for (let row = 0; row < rows; row++) {
    const x0 = xw + <usize>row * 3 * hb;
    const w0 = hw + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruForwardUnits(cl, x0 + o, w0 + o, hb, hPrev + s0 + o, h + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruForwardUnits(cl, x0 + o, w0 + o, hb, hPrev + s0 + o, h + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function gruBackwardUnits(
  sLo: v128, sHi: v128, tLo: v128, tHi: v128, x: usize, w: usize, hb: usize, hPrev: usize, dh: usize, dx: usize, dw: usize, dhPrev: usize, n: i32,
): void {
  const r = loadN(x, n);
  const z = loadN(x + hb, n);
  const nn = loadN(x + 2 * hb, n);
  const hn = loadN(w + 2 * hb, n);
  const d = loadN(dh, n);
  const dnPre = unclamped(f32x4.mul(f32x4.mul(d, f32x4.sub(one(), z)), dtanh(nn)), nn, tLo, tHi); // through (1−z)⊙n, then tanh (and the clip)
  const dzPre = unclamped(f32x4.mul(f32x4.mul(d, f32x4.sub(loadN(hPrev, n), nn)), dsig(z)), z, sLo, sHi); // through z⊙(h₋ − n), then σ
  const drPre = unclamped(f32x4.mul(f32x4.mul(dnPre, hn), dsig(r)), r, sLo, sHi); // through r⊙hw_n, then σ
  storeN(dx, drPre, n);
  storeN(dx + hb, dzPre, n);
  storeN(dx + 2 * hb, dnPre, n);
  storeN(dw, drPre, n);
  storeN(dw + hb, dzPre, n);
  storeN(dw + 2 * hb, f32x4.mul(dnPre, r), n); // through r⊙hw_n
  storeN(dhPrev, f32x4.mul(d, z), n); // through z⊙h₋
}

/**
 * GRU gates, backward: from `[r z n]` in `xw`, `hw`, `hPrev` and `dh`,
 * writes `dxw`, `dhw` (rows × 3H) and the direct part `z ⊙ dh` of the
 * gradient of `hPrev` to `dhPrev`.
 */
export function gruBackward(
  rows: i32, H: i32, clip: f32, xw: usize, hw: usize, hPrev: usize, dh: usize, dxw: usize, dhw: usize, dhPrev: usize,
): void {
  const hb = <usize>H << 2;
  const sLo = sigAt(clip, -clip);
  const sHi = sigAt(clip, clip);
  const tLo = tanhAt(clip, -clip);
  const tHi = tanhAt(clip, clip);
  for (let row = 0; row < rows; row++) {
    const x0 = xw + <usize>row * 3 * hb;
    const w0 = hw + <usize>row * 3 * hb;
    const dx0 = dxw + <usize>row * 3 * hb;
    const dw0 = dhw + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruBackwardUnits(sLo, sHi, tLo, tHi, x0 + o, w0 + o, hb, hPrev + s0 + o, dh + s0 + o, dx0 + o, dw0 + o, dhPrev + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruBackwardUnits(sLo, sHi, tLo, tHi, x0 + o, w0 + o, hb, hPrev + s0 + o, dh + s0 + o, dx0 + o, dw0 + o, dhPrev + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmPeepholeForwardUnits(cl: v128, g: usize, hb: usize, p: usize, cPrev: usize, c: usize, m: usize, n: i32): void {
  const cp = loadN(cPrev, n);
  const i = sigmoid4(clamp4(madd(loadN(p, n), cp, loadN(g, n)), cl)); // i = σ(a_i + p_i⊙c₋)
  const f = sigmoid4(clamp4(madd(loadN(p + hb, n), cp, loadN(g + hb, n)), cl)); // f = σ(a_f + p_f⊙c₋)
  const gg = tanh4(clamp4(loadN(g + 2 * hb, n), cl));
  const ct = madd(f, cp, f32x4.mul(i, gg)); // c = f⊙c₋ + i⊙g
  const o = sigmoid4(clamp4(madd(loadN(p + 2 * hb, n), ct, loadN(g + 3 * hb, n)), cl)); // o = σ(a_o + p_o⊙c)
  storeN(g, i, n);
  storeN(g + hb, f, n);
  storeN(g + 2 * hb, gg, n);
  storeN(g + 3 * hb, o, n);
  storeN(c, ct, n);
  storeN(m, f32x4.mul(o, tanh4(ct)), n); // m = o⊙tanh(c)
}

/**
 * LSTM gates with peepholes, forward: as lstmForward, with `peep` (3 × H,
 * `[p_i; p_f; p_o]`): `i = σ(a_i + p_i⊙cPrev)`, `f = σ(a_f + p_f⊙cPrev)`,
 * `c = f⊙cPrev + i⊙g`, `o = σ(a_o + p_o⊙c)`, `m = o⊙tanh(c)`.
 */
export function lstmPeepholeForward(rows: i32, H: i32, clip: f32, gates: usize, peep: usize, cPrev: usize, c: usize, m: usize): void {
  const hb = <usize>H << 2;
  const cl = f32x4.splat(clip);
  for (let r = 0; r < rows; r++) {
    const g0 = gates + <usize>r * 4 * hb;
    const s0 = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      lstmPeepholeForwardUnits(cl, g0 + o, hb, peep + o, cPrev + s0 + o, c + s0 + o, m + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      lstmPeepholeForwardUnits(cl, g0 + o, hb, peep + o, cPrev + s0 + o, c + s0 + o, m + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmPeepholeBackwardUnits(
  sLo: v128, sHi: v128, tLo: v128, tHi: v128, g: usize, hb: usize, p: usize, cPrev: usize, c: usize, dm: usize, dc: usize, dg: usize, n: i32,
): void {
  const i = loadN(g, n);
  const f = loadN(g + hb, n);
  const gg = loadN(g + 2 * hb, n);
  const o = loadN(g + 3 * hb, n);
  const cp = loadN(cPrev, n);
  const tc = tanh4(loadN(c, n));
  const dmv = loadN(dm, n);
  const doPre = unclamped(f32x4.mul(f32x4.mul(dmv, tc), dsig(o)), o, sLo, sHi); // through o⊙tanh(c), then σ (and the clip)
  // through m = o⊙tanh(c), and through o's peephole p_o⊙c
  const dct = madd(doPre, loadN(p + 2 * hb, n), madd(f32x4.mul(dmv, o), dtanh(tc), loadN(dc, n)));
  const diPre = unclamped(f32x4.mul(f32x4.mul(dct, gg), dsig(i)), i, sLo, sHi); // through c = … + i⊙g, then σ
  const dfPre = unclamped(f32x4.mul(f32x4.mul(dct, cp), dsig(f)), f, sLo, sHi); // through f⊙c₋, then σ
  storeN(dg, diPre, n);
  storeN(dg + hb, dfPre, n);
  storeN(dg + 2 * hb, unclamped(f32x4.mul(f32x4.mul(dct, i), dtanh(gg)), gg, tLo, tHi), n); // through i⊙g, then tanh
  storeN(dg + 3 * hb, doPre, n);
  // to c₋ through f⊙c₋ and the peepholes p_i⊙c₋, p_f⊙c₋
  storeN(dc, madd(dfPre, loadN(p + hb, n), madd(diPre, loadN(p, n), f32x4.mul(dct, f))), n);
}

/**
 * LSTM gates with peepholes, backward: as lstmBackward, with the peepholes'
 * paths (through `o` into `c`, through `i` and `f` into `cPrev`).
 */
export function lstmPeepholeBackward(
  rows: i32, H: i32, clip: f32, gates: usize, peep: usize, cPrev: usize, c: usize, dm: usize, dc: usize, dGates: usize,
): void {
  const hb = <usize>H << 2;
  const sLo = sigAt(clip, -clip);
  const sHi = sigAt(clip, clip);
  const tLo = tanhAt(clip, -clip);
  const tHi = tanhAt(clip, clip);
  for (let r = 0; r < rows; r++) {
    const g0 = gates + <usize>r * 4 * hb;
    const d0 = dGates + <usize>r * 4 * hb;
    const s0 = <usize>r * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      lstmPeepholeBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, peep + o, cPrev + s0 + o, c + s0 + o, dm + s0 + o, dc + s0 + o, d0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      lstmPeepholeBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, peep + o, cPrev + s0 + o, c + s0 + o, dm + s0 + o, dc + s0 + o, d0 + o, H - j);
    }
  }
}

/**
 * The peepholes' weight gradient over `rows` rows: `dPeep[0] += Σ dGates_i⊙cPrev`,
 * `dPeep[1] += Σ dGates_f⊙cPrev`, `dPeep[2] += Σ dGates_o⊙c`, each column
 * summed in row order.
 */
export function lstmPeepholeGrad(rows: i32, H: i32, dGates: usize, cPrev: usize, c: usize, dPeep: usize): void {
  const hb = <usize>H << 2;
  for (let j = 0; j < H; j += 4) {
    const o = <usize>j << 2;
    const n = min(4, H - j);
    let si = loadN(dPeep + o, n);
    let sf = loadN(dPeep + hb + o, n);
    let so = loadN(dPeep + 2 * hb + o, n);
    for (let r = 0; r < rows; r++) {
      const d = dGates + <usize>r * 4 * hb + o;
      const s = <usize>r * hb + o;
      const cp = loadN(cPrev + s, n);
      si = madd(loadN(d, n), cp, si);
      sf = madd(loadN(d + hb, n), cp, sf);
      so = madd(loadN(d + 3 * hb, n), loadN(c + s, n), so);
    }
    storeN(dPeep + o, si, n);
    storeN(dPeep + hb + o, sf, n);
    storeN(dPeep + 2 * hb + o, so, n);
  }
}

// @ts-ignore: decorator
@inline function gruResetForwardUnits(cl: v128, g: usize, hb: usize, hPrev: usize, rh: usize, n: i32): void {
  const r = sigmoid4(clamp4(loadN(g, n), cl));
  storeN(g, r, n);
  storeN(g + hb, sigmoid4(clamp4(loadN(g + hb, n), cl)), n);
  storeN(rh, f32x4.mul(r, loadN(hPrev, n)), n); // r⊙h₋
}

/**
 * GRU with the reset gate before the recurrent product, first half of a step:
 * `r = σ(·)`, `z = σ(·)` in place on the first two blocks of `gates`
 * (rows × 3H), and `rh = r ⊙ hPrev`.
 */
export function gruResetForward(rows: i32, H: i32, clip: f32, gates: usize, hPrev: usize, rh: usize): void {
  const hb = <usize>H << 2;
  const cl = f32x4.splat(clip);
  for (let row = 0; row < rows; row++) {
    const g0 = gates + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruResetForwardUnits(cl, g0 + o, hb, hPrev + s0 + o, rh + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruResetForwardUnits(cl, g0 + o, hb, hPrev + s0 + o, rh + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function gruCandidateForwardUnits(cl: v128, g: usize, hb: usize, hPrev: usize, h: usize, n: i32): void {
  const z = loadN(g + hb, n);
  const nn = tanh4(clamp4(loadN(g + 2 * hb, n), cl));
  storeN(g + 2 * hb, nn, n);
  // h = (1 − z)⊙n + z⊙h₋ = n + z⊙(h₋ − n)
  storeN(h, madd(z, f32x4.sub(loadN(hPrev, n), nn), nn), n);
}

/** Second half: `n = tanh(n_pre)` in place on the third block, `h = (1 − z)⊙n + z⊙hPrev`. */
export function gruCandidateForward(rows: i32, H: i32, clip: f32, gates: usize, hPrev: usize, h: usize): void {
  const hb = <usize>H << 2;
  const cl = f32x4.splat(clip);
  for (let row = 0; row < rows; row++) {
    const g0 = gates + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruCandidateForwardUnits(cl, g0 + o, hb, hPrev + s0 + o, h + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruCandidateForwardUnits(cl, g0 + o, hb, hPrev + s0 + o, h + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function gruCandidateBackwardUnits(
  sLo: v128, sHi: v128, tLo: v128, tHi: v128, g: usize, hb: usize, hPrev: usize, dh: usize, dg: usize, dhPrev: usize, n: i32,
): void {
  const z = loadN(g + hb, n);
  const nn = loadN(g + 2 * hb, n);
  const d = loadN(dh, n);
  storeN(dg + hb, unclamped(f32x4.mul(f32x4.mul(d, f32x4.sub(loadN(hPrev, n), nn)), dsig(z)), z, sLo, sHi), n); // through z⊙(h₋ − n), then σ (and the clip)
  storeN(dg + 2 * hb, unclamped(f32x4.mul(f32x4.mul(d, f32x4.sub(one(), z)), dtanh(nn)), nn, tLo, tHi), n); // through (1−z)⊙n, then tanh
  storeN(dhPrev, f32x4.mul(d, z), n); // through z⊙h₋
}

/** Backward of gruCandidateForward: the `z` and `n` blocks of `dGates`, and `dhPrev = z⊙dh`. */
export function gruCandidateBackward(rows: i32, H: i32, clip: f32, gates: usize, hPrev: usize, dh: usize, dGates: usize, dhPrev: usize): void {
  const hb = <usize>H << 2;
  const sLo = sigAt(clip, -clip);
  const sHi = sigAt(clip, clip);
  const tLo = tanhAt(clip, -clip);
  const tHi = tanhAt(clip, clip);
  for (let row = 0; row < rows; row++) {
    const g0 = gates + <usize>row * 3 * hb;
    const d0 = dGates + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruCandidateBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, hPrev + s0 + o, dh + s0 + o, d0 + o, dhPrev + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruCandidateBackwardUnits(sLo, sHi, tLo, tHi, g0 + o, hb, hPrev + s0 + o, dh + s0 + o, d0 + o, dhPrev + s0 + o, H - j);
    }
  }
}

// @ts-ignore: decorator
@inline function gruResetBackwardUnits(sLo: v128, sHi: v128, g: usize, hPrev: usize, drh: usize, dg: usize, dhPrev: usize, n: i32): void {
  const r = loadN(g, n);
  const d = loadN(drh, n);
  storeN(dg, unclamped(f32x4.mul(f32x4.mul(d, loadN(hPrev, n)), dsig(r)), r, sLo, sHi), n); // through r⊙h₋, then σ (and the clip)
  storeN(dhPrev, madd(d, r, loadN(dhPrev, n)), n); // through r⊙h₋
}

/** Backward of gruResetForward: the `r` block of `dGates` from `drh` (gradient of r⊙hPrev), and `dhPrev += r⊙drh`. */
export function gruResetBackward(rows: i32, H: i32, clip: f32, gates: usize, hPrev: usize, drh: usize, dGates: usize, dhPrev: usize): void {
  const hb = <usize>H << 2;
  const sLo = sigAt(clip, -clip);
  const sHi = sigAt(clip, clip);
  for (let row = 0; row < rows; row++) {
    const g0 = gates + <usize>row * 3 * hb;
    const d0 = dGates + <usize>row * 3 * hb;
    const s0 = <usize>row * hb;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = <usize>j << 2;
      gruResetBackwardUnits(sLo, sHi, g0 + o, hPrev + s0 + o, drh + s0 + o, d0 + o, dhPrev + s0 + o, 4);
    }
    if (j < H) {
      const o = <usize>j << 2;
      gruResetBackwardUnits(sLo, sHi, g0 + o, hPrev + s0 + o, drh + s0 + o, d0 + o, dhPrev + s0 + o, H - j);
    }
  }
}

/**
 * Elman activation, forward, on `rows·H` contiguous values: `h = tanh(pre)`
 * when `slope` < 0, else `h = pre > 0 ? pre : slope·pre` (0: relu).
 */
export function rnnForward(rows: i32, H: i32, slope: f32, clip: f32, pre: usize, h: usize): void {
  const n = rows * H;
  const cl = f32x4.splat(clip);
  let i = 0;
  if (slope < 0) {
    for (; i + 4 <= n; i += 4) v128.store(h + (<usize>i << 2), tanh4(clamp4(v128.load(pre + (<usize>i << 2)), cl)));
    if (i < n) storeN(h + (<usize>i << 2), tanh4(clamp4(loadN(pre + (<usize>i << 2), n - i), cl)), n - i);
  } else if (slope == 0) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) v128.store(h + (<usize>i << 2), f32x4.max(zero, clamp4(v128.load(pre + (<usize>i << 2)), cl)));
    if (i < n) storeN(h + (<usize>i << 2), f32x4.max(zero, clamp4(loadN(pre + (<usize>i << 2), n - i), cl)), n - i);
  } else {
    const s = f32x4.splat(slope);
    for (; i + 4 <= n; i += 4) v128.store(h + (<usize>i << 2), leaky4(clamp4(v128.load(pre + (<usize>i << 2)), cl), s));
    if (i < n) storeN(h + (<usize>i << 2), leaky4(clamp4(loadN(pre + (<usize>i << 2), n - i), cl), s), n - i);
  }
}

/** `a > 0 ? a : s·a`, lane by lane. */
// @ts-ignore: decorator
@inline function leaky4(a: v128, s: v128): v128 {
  return v128.bitselect(a, f32x4.mul(s, a), f32x4.gt(a, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline function rnnBackwardUnits(slope: f32, lo: v128, hi: v128, h: usize, dh: usize, dpre: usize, n: i32): void {
  const hv = loadN(h, n);
  const d = loadN(dh, n);
  if (slope < 0) storeN(dpre, unclamped(f32x4.mul(d, dtanh(hv)), hv, lo, hi), n); // through tanh (and the clip)
  else if (slope == 0) storeN(dpre, unclamped(v128.and(d, f32x4.gt(hv, f32x4.splat(0))), hv, lo, hi), n);
  else storeN(dpre, unclamped(v128.bitselect(d, f32x4.mul(f32x4.splat(slope), d), f32x4.gt(hv, f32x4.splat(0))), hv, lo, hi), n);
}

/** Elman activation, backward from the output: `dpre = dh ⊙ act'(h)` on `rows·H` values (`slope` as in rnnForward). */
export function rnnBackward(rows: i32, H: i32, slope: f32, clip: f32, h: usize, dh: usize, dpre: usize): void {
  const n = rows * H;
  // the activation at ±clip (NaN, equal to nothing, for clip = ∞)
  const none = clip == Infinity;
  const lo = none ? f32x4.splat(NaN) : slope < 0 ? tanh4(f32x4.splat(-clip)) : f32x4.splat(slope * -clip);
  const hi = none ? f32x4.splat(NaN) : slope < 0 ? tanh4(f32x4.splat(clip)) : f32x4.splat(clip);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    rnnBackwardUnits(slope, lo, hi, h + o, dh + o, dpre + o, 4);
  }
  if (i < n) {
    const o = <usize>i << 2;
    rnnBackwardUnits(slope, lo, hi, h + o, dh + o, dpre + o, n - i);
  }
}

/** `out[r, :] += v` for `rows` rows of width `cols`. */
export function addRowVector(rows: i32, cols: i32, v: usize, out: usize): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const q = <usize>j << 2;
      v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(v + q)));
    }
    if (j < cols) {
      const q = <usize>j << 2;
      storeN(o + q, f32x4.add(loadN(o + q, cols - j), loadN(v + q, cols - j)), cols - j);
    }
  }
}

/**
 * `out += Σ_r a[r, :]` over `rows` rows of width `cols`. Each column is
 * summed in row order into `out`'s own value, as the reference does, so the
 * float32 result is the same bit for bit.
 */
export function sumRows(rows: i32, cols: i32, a: usize, out: usize): void {
  const rb = <usize>cols << 2;
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    const q = <usize>j << 2;
    let s0 = v128.load(out + q);
    let s1 = v128.load(out + q, 16);
    let s2 = v128.load(out + q, 32);
    let s3 = v128.load(out + q, 48);
    let p = a + q;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rb;
    }
    v128.store(out + q, s0);
    v128.store(out + q, s1, 16);
    v128.store(out + q, s2, 32);
    v128.store(out + q, s3, 48);
  }
  for (; j < cols; j += 4) {
    const q = <usize>j << 2;
    const w = min(4, cols - j);
    let s = loadN(out + q, w);
    let p = a + q;
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, loadN(p, w));
      p += rb;
    }
    storeN(out + q, s, w);
  }
}

/** `y = σ(x)` on `n` values (exposed for accuracy tests). */
export function sigmoidArray(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), sigmoid4(v128.load(x + (<usize>i << 2))));
  if (i < n) storeN(y + (<usize>i << 2), sigmoid4(loadN(x + (<usize>i << 2), n - i)), n - i);
}

/** `y = tanh(x)` on `n` values (exposed for accuracy tests). */
export function tanhArray(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), tanh4(v128.load(x + (<usize>i << 2))));
  if (i < n) storeN(y + (<usize>i << 2), tanh4(loadN(x + (<usize>i << 2), n - i)), n - i);
}
