/**
 * SIMD building blocks shared by the kernels: the multiply-add that the two
 * builds differ in, partial vector loads/stores for row tails, and the
 * vectorised exponential, sigmoid and tanh.
 *
 * Built twice from the same source: with `--enable relaxed-simd`,
 * {@link madd} is `f32x4.relaxed_madd` (a fused multiply-add where the
 * hardware has one); without it, a separate multiply and add.
 */

/** `a · b + c` on four f32 lanes (fused in the relaxed-SIMD build). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Loads `n` (0–4) consecutive f32 from `p` into the low lanes; the other lanes are zero. */
// @ts-ignore: decorator
@inline export function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = v128.load32_lane(p, v, 0);
  if (n > 1) v = v128.load32_lane(p, v, 1, 4);
  if (n > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}

/** Stores the low `n` (0–4) lanes of `v` to `p`. */
// @ts-ignore: decorator
@inline export function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  if (n > 0) v128.store32_lane(p, v, 0);
  if (n > 1) v128.store32_lane(p, v, 1, 4);
  if (n > 2) v128.store32_lane(p, v, 2, 8);
}

// exp on [−ln2/2, ln2/2]: 1 + r + r²·(E0 + E1 r + E2 r² + E3 r³ + E4 r⁴), a weighted
// least-squares fit of (eʳ − 1 − r)/r² on Chebyshev nodes (max relative error 1.2e-7 in f32).
const E0: f32 = 0.49999988079071045;
const E1: f32 = 0.166665181517601;
const E2: f32 = 0.04166953265666962;
const E3: f32 = 0.008368918672204018;
const E4: f32 = 0.00137514085508883;
const LOG2E: f32 = 1.4426950408889634;
// ln 2 split so that n·LN2_HI is exact for |n| < 2¹⁴ (Cody–Waite reduction).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

/**
 * `eᵗ` for `t ≤ 0` (lanes must already be clamped to `t ≥ −87`, so the
 * result stays a normal float). Range reduction `t = n·ln2 + r`,
 * `|r| ≤ ln2/2`, then a degree-6 polynomial and `2ⁿ` built in the exponent
 * bits. NaN lanes give NaN.
 */
// @ts-ignore: decorator
@inline export function expNonPositive(t: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(t, f32x4.splat(LOG2E)));
  let r = f32x4.sub(t, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = madd(f32x4.splat(E4), r, f32x4.splat(E3));
  p = madd(p, r, f32x4.splat(E2));
  p = madd(p, r, f32x4.splat(E1));
  p = madd(p, r, f32x4.splat(E0));
  const e = f32x4.add(madd(f32x4.mul(r, r), p, r), f32x4.splat(1));
  // 2ⁿ: (n + 127) in the exponent field; n ∈ [−126, 0] here.
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(e, scale);
}

/** Largest |x| passed to the exponential: e^−87 ≈ 1.6e-38 is still a normal float. */
const EXP_CLAMP: f32 = 87;

/**
 * Logistic sigmoid `1 / (1 + e^−x)` on four lanes, relative error ≤ ~3e-7.
 * Computed from `e = e^−|x|` as `1/(1+e)` for `x ≥ 0` and `e/(1+e)` for
 * `x < 0`, so neither tail overflows nor cancels. NaN propagates.
 */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const ax = f32x4.pmin(f32x4.abs(x), f32x4.splat(EXP_CLAMP));
  const e = expNonPositive(f32x4.neg(ax));
  const q = f32x4.div(f32x4.splat(1), f32x4.add(e, f32x4.splat(1)));
  return v128.bitselect(q, f32x4.mul(e, q), f32x4.ge(x, f32x4.splat(0)));
}

// tanh(x) = x + x³·(T0 + T1 x² + T2 x⁴ + T3 x⁶ + T4 x⁸) for |x| < TANH_SMALL: a weighted
// least-squares fit of relative error (max 8e-8 in f32), avoiding the cancellation of
// the exponential form near 0.
const T0: f32 = -0.3333328068256378;
const T1: f32 = 0.13331380486488342;
const T2: f32 = -0.05373530462384224;
const T3: f32 = 0.02062624879181385;
const T4: f32 = -0.005691935773938894;
const TANH_SMALL: f32 = 0.625;

/**
 * Hyperbolic tangent on four lanes, relative error ≤ ~3e-7: the odd
 * polynomial above for `|x| < 0.625`, else `sign(x)·(1 − e)/(1 + e)` with
 * `e = e^−2|x|`. NaN propagates.
 */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  // small |x|: odd polynomial, on |x| so the sign (also of −0) is restored below
  const u = f32x4.mul(x, x);
  let p = madd(f32x4.splat(T4), u, f32x4.splat(T3));
  p = madd(p, u, f32x4.splat(T2));
  p = madd(p, u, f32x4.splat(T1));
  p = madd(p, u, f32x4.splat(T0));
  const small = madd(f32x4.mul(ax, u), p, ax);
  // large |x|
  const t = f32x4.pmin(ax, f32x4.splat(EXP_CLAMP / 2));
  const e = expNonPositive(f32x4.mul(t, f32x4.splat(-2)));
  const large = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
  const y = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000)));
}
