/*
 * SIMD building blocks of the float32 kernels (gates.c, train.c), a port of
 * assembly/simd.ts to GCC vector extensions: the multiply-add, full and
 * partial vector loads/stores, and the vectorised exponential, sigmoid and
 * tanh with the same polynomials, constants, clamps, NaN propagation and
 * sign handling.
 *
 * The vector width follows the compiler flags: 16 float lanes under
 * AVX-512, 8 under AVX2, 4 otherwise (SSE2, or whatever 128-bit vectors the
 * target has). `vmadd` is fused where the target has FMA (as the relaxed
 * WebAssembly build's `relaxed_madd`), a separate multiply and add otherwise.
 * Comparisons give -1/0 lane masks; selection is by mask (`vselect`).
 */
#ifndef RECURRENT_VMATH_H
#define RECURRENT_VMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX2__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
/** Float lanes per vector. */
#define VLANES (VBYTES / 4)
/** Double lanes per vector. */
#define DLANES (VBYTES / 8)

typedef float vfloat __attribute__((vector_size(VBYTES), aligned(4)));
typedef int32_t vint __attribute__((vector_size(VBYTES), aligned(4)));
typedef double vdouble __attribute__((vector_size(VBYTES), aligned(8)));
/** What comparisons of double vectors give: -1/0 per lane. */
typedef int64_t vlong __attribute__((vector_size(VBYTES), aligned(8)));
/** Half a vector of floats: what converts to one vector of doubles. */
typedef float vhalf __attribute__((vector_size(VBYTES / 2), aligned(4)));

#define VINLINE static inline __attribute__((always_inline))

/** `x` in every lane. */
VINLINE vfloat vsplat(float x) {
  vfloat v;
  for (int i = 0; i < VLANES; i++) v[i] = x;
  return v;
}

/** `a` where the mask `m` is set (-1), else `b`. */
VINLINE vfloat vselect(vint m, vfloat a, vfloat b) {
  return (vfloat)(((vint)a & m) | ((vint)b & ~m));
}

/** `a · b + c`, fused where the target has FMA. */
VINLINE vfloat vmadd(vfloat a, vfloat b, vfloat c) {
#if defined(__AVX512F__)
  return (vfloat)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__AVX2__) && defined(__FMA__)
  return (vfloat)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
  return a * b + c;
#endif
}

/** `|x|` (the sign bit cleared; NaN stays NaN). */
VINLINE vfloat vabs(vfloat x) {
  return (vfloat)((vint)x & 0x7fffffff);
}

/** `b < a ? b : a` (WebAssembly's pmin: a NaN in `a` is kept). */
VINLINE vfloat vpmin(vfloat a, vfloat b) {
  return vselect(b < a, b, a);
}

/** `min(max(a, −cl), cl)`: the cell clip on a pre-activation; NaN propagates, `cl` = ∞ leaves `a` as is. */
VINLINE vfloat vclamp(vfloat a, vfloat cl) {
  const vfloat lo = -cl;
  const vfloat b = vselect(a < lo, lo, a);
  return vselect(b > cl, cl, b);
}

/** Loads `VLANES` consecutive floats from `p` (any alignment). */
VINLINE vfloat vload(const float *p) {
  vfloat v;
  memcpy(&v, p, sizeof v);
  return v;
}

/** Stores the `VLANES` lanes of `v` to `p` (any alignment). */
VINLINE void vstore(float *p, vfloat v) {
  memcpy(p, &v, sizeof v);
}

#if defined(__AVX2__) && !defined(__AVX512F__)
/** Lanes whose index is below `n`, as a -1/0 mask. */
VINLINE vint vfirst(int n) {
  const vint index = {0, 1, 2, 3, 4, 5, 6, 7};
  return index < n;
}
#endif

/** Loads `n` (0 to VLANES) consecutive floats from `p` into the low lanes; the other lanes are zero and their memory is not read. */
VINLINE vfloat vloadn(const float *p, int n) {
  if (n >= VLANES) return vload(p);
#if defined(__AVX512F__)
  return (vfloat)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif defined(__AVX2__)
  return (vfloat)_mm256_maskload_ps(p, (__m256i)vfirst(n));
#else
  vfloat v = {0};
  for (int i = 0; i < n; i++) v[i] = p[i];
  return v;
#endif
}

/** Stores the low `n` (0 to VLANES) lanes of `v` to `p`; the memory past them is not touched. */
VINLINE void vstoren(float *p, vfloat v, int n) {
  if (n >= VLANES) {
    vstore(p, v);
    return;
  }
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#elif defined(__AVX2__)
  _mm256_maskstore_ps(p, (__m256i)vfirst(n), (__m256)v);
#else
  for (int i = 0; i < n; i++) p[i] = v[i];
#endif
}

/* exp on [−ln2/2, ln2/2]: 1 + r + r²·(E0 + E1 r + E2 r² + E3 r³ + E4 r⁴), a weighted
 * least-squares fit of (eʳ − 1 − r)/r² on Chebyshev nodes (max relative error 1.2e-7 in f32). */
#define VMATH_E0 0.49999988079071045f
#define VMATH_E1 0.166665181517601f
#define VMATH_E2 0.04166953265666962f
#define VMATH_E3 0.008368918672204018f
#define VMATH_E4 0.00137514085508883f
#define VMATH_LOG2E 1.4426950408889634f
/* ln 2 split so that n·LN2_HI is exact for |n| < 2¹⁴ (Cody–Waite reduction). */
#define VMATH_LN2_HI 0.693359375f
#define VMATH_LN2_LO -2.12194440e-4f
/* 1.5·2²³: adding and subtracting it rounds |x| < 2²² to the nearest integer, ties to even. */
#define VMATH_ROUND 12582912.0f

/**
 * `eᵗ` for `t ≤ 0` (lanes must already be clamped to `t ≥ −87`, so the
 * result stays a normal float). Range reduction `t = n·ln2 + r`,
 * `|r| ≤ ln2/2`, then a degree-6 polynomial and `2ⁿ` built in the exponent
 * bits. NaN lanes give NaN.
 */
VINLINE vfloat vexp_nonpositive(vfloat t) {
  const vfloat n = (t * VMATH_LOG2E + VMATH_ROUND) - VMATH_ROUND;
  vfloat r = t - n * VMATH_LN2_HI;
  r = r - n * VMATH_LN2_LO;
  vfloat p = vmadd(vsplat(VMATH_E4), r, vsplat(VMATH_E3));
  p = vmadd(p, r, vsplat(VMATH_E2));
  p = vmadd(p, r, vsplat(VMATH_E1));
  p = vmadd(p, r, vsplat(VMATH_E0));
  const vfloat e = vmadd(r * r, p, r) + 1.0f;
  /* 2ⁿ: (n + 127) in the exponent field; n ∈ [−126, 0] here. */
  const vint scale = (__builtin_convertvector(n, vint) + 127) << 23;
  return e * (vfloat)scale;
}

/** Largest |x| passed to the exponential: e^−87 ≈ 1.6e-38 is still a normal float. */
#define VMATH_EXP_CLAMP 87.0f

/**
 * Logistic sigmoid `1 / (1 + e^−x)`, relative error ≤ ~3e-7. Computed from
 * `e = e^−|x|` as `1/(1+e)` for `x ≥ 0` and `e/(1+e)` for `x < 0`, so
 * neither tail overflows nor cancels. NaN propagates.
 */
VINLINE vfloat vsigmoid(vfloat x) {
  const vfloat ax = vpmin(vabs(x), vsplat(VMATH_EXP_CLAMP));
  const vfloat e = vexp_nonpositive(-ax);
  const vfloat q = 1.0f / (e + 1.0f);
  return vselect(x >= 0.0f, q, e * q);
}

/* tanh(x) = x + x³·(T0 + T1 x² + T2 x⁴ + T3 x⁶ + T4 x⁸) for |x| < TANH_SMALL: a weighted
 * least-squares fit of relative error (max 8e-8 in f32), avoiding the cancellation of
 * the exponential form near 0. */
#define VMATH_T0 -0.3333328068256378f
#define VMATH_T1 0.13331380486488342f
#define VMATH_T2 -0.05373530462384224f
#define VMATH_T3 0.02062624879181385f
#define VMATH_T4 -0.005691935773938894f
#define VMATH_TANH_SMALL 0.625f

/**
 * Hyperbolic tangent, relative error ≤ ~3e-7: the odd polynomial above for
 * `|x| < 0.625`, else `sign(x)·(1 − e)/(1 + e)` with `e = e^−2|x|`. NaN
 * propagates.
 */
VINLINE vfloat vtanh(vfloat x) {
  const vfloat ax = vabs(x);
  /* small |x|: odd polynomial, on |x| so the sign (also of −0) is restored below */
  const vfloat u = x * x;
  vfloat p = vmadd(vsplat(VMATH_T4), u, vsplat(VMATH_T3));
  p = vmadd(p, u, vsplat(VMATH_T2));
  p = vmadd(p, u, vsplat(VMATH_T1));
  p = vmadd(p, u, vsplat(VMATH_T0));
  const vfloat small = vmadd(ax * u, p, ax);
  /* large |x| */
  const vfloat t = vpmin(ax, vsplat(VMATH_EXP_CLAMP / 2));
  const vfloat e = vexp_nonpositive(t * -2.0f);
  const vfloat large = (1.0f - e) / (1.0f + e);
  const vfloat y = vselect(ax < VMATH_TANH_SMALL, small, large);
  return (vfloat)((vint)y | ((vint)x & (int32_t)0x80000000u));
}

#endif
