/*
 * Training kernels on float32, a port of assembly/train.ts: the optimiser
 * updates (Adam/AdamW, SGD), the reductions and scaling of gradient
 * clipping, and fused softmax cross-entropy. Semantics are those of the
 * reference backend (src/backend/js.ts).
 *
 * The optimiser and clipping kernels compute in double on float storage, in
 * the reference's operation order: JavaScript evaluates `p[i] - lr * d` on
 * a Float32Array in double precision and rounds once when storing, and so
 * do these (promote, operate in double, round at the store; the values the
 * reference stores and reads back, m, v, v̂ and the momentum buffer, are
 * rounded to float where it stores them). So an update is bit-for-bit the
 * reference's on float32 buffers, and a trajectory does not depend on the
 * backend.
 *
 * Compiled once per instruction set (-DISA=avx512|avx2|base).
 */
/* Each product rounded before its sum: the updates are bit-for-bit the reference's only without fused multiply-adds (whatever -ffp-contract the build passes). */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <string.h>

#include "kernels.h"
#include "vmath.h"

#if defined(__AVX512F__)
#define VSQRT_PD(x) ((vdouble)_mm512_sqrt_pd((__m512d)(x)))
#elif defined(__AVX2__)
#define VSQRT_PD(x) ((vdouble)_mm256_sqrt_pd((__m256d)(x)))
#else
#include <emmintrin.h>
#define VSQRT_PD(x) ((vdouble)_mm_sqrt_pd((__m128d)(x)))
#endif

/** `x` in every double lane. */
VINLINE vdouble dsplat(double x) {
  vdouble v;
  for (int i = 0; i < DLANES; i++) v[i] = x;
  return v;
}

/** DLANES floats from `p`, as doubles. */
VINLINE vdouble dload(const float *p) {
  vhalf h;
  memcpy(&h, p, sizeof h);
  return __builtin_convertvector(h, vdouble);
}

/** `x` rounded to float and stored to `p` (DLANES floats). */
VINLINE void dstore(float *p, vdouble x) {
  const vhalf h = __builtin_convertvector(x, vhalf);
  memcpy(p, &h, sizeof h);
}

/** `x` rounded through float (what a store to and load from a Float32Array does). */
VINLINE vdouble via_float(vdouble x) {
  return __builtin_convertvector(__builtin_convertvector(x, vhalf), vdouble);
}

/** `a` where the mask `m` is set, else `b` (double lanes). */
VINLINE vdouble dselect(vlong m, vdouble a, vdouble b) {
  return (vdouble)(((vlong)a & m) | ((vlong)b & ~m));
}

/**
 * Adam / AdamW (decoupled) over `n` float parameters (Kingma & Ba, 2015;
 * Loshchilov & Hutter, 2019), PyTorch's order:
 *   θ ← θ(1 − γλ) (AdamW)  or  g ← g + λθ (Adam, λ ≠ 0)
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g·g,  v̂ ← max(v̂, v) (AMSGrad, `vMax` not null)
 *   θ ← θ + (−stepSize · m) / (√v / bias2Sqrt + ε)
 * where `stepSize = γ / (1 − β₁ᵗ)`, `bias2Sqrt = √(1 − β₂ᵗ)` come from the caller.
 */
void NAME(adam_step)(int n, float *p, const float *g, float *m, float *v, float *vMax, const adam_numbers *o) {
  const int decoupled = o->decoupled;
  const int coupled = !decoupled && o->wd != 0;
  const double beta1 = o->beta1, beta2 = o->beta2, c1 = 1 - beta1, c2 = 1 - beta2;
  const double stepSize = o->step_size, bias2Sqrt = o->bias2_sqrt, eps = o->eps, wd = o->wd, decay = o->decay;
  const vdouble B1 = dsplat(beta1), B2 = dsplat(beta2), C1 = dsplat(c1), C2 = dsplat(c2);
  const vdouble NS = dsplat(-stepSize), BS = dsplat(bias2Sqrt), EPS = dsplat(eps), WD = dsplat(wd), DEC = dsplat(decay);
  int i = 0;
  for (; i + DLANES <= n; i += DLANES) {
    vdouble pi = dload(p + i);
    vdouble gi = dload(g + i);
    if (decoupled) pi = pi * DEC;
    else if (coupled) gi = gi + WD * pi;
    /* m ← β₁m + (1 − β₁)g, rounded to float as stored */
    const vdouble mi = via_float(B1 * dload(m + i) + C1 * gi);
    /* v ← β₂v + ((1 − β₂)g)g */
    vdouble vi = via_float(B2 * dload(v + i) + C2 * gi * gi);
    dstore(m + i, mi);
    dstore(v + i, vi);
    if (vMax) {
      const vdouble x = dload(vMax + i);
      /* v̂ ← v where v > v̂ (NaN in v leaves v̂, as the reference's comparison does) */
      vi = dselect(vi > x, vi, x);
      dstore(vMax + i, vi);
    }
    const vdouble denom = VSQRT_PD(vi) / BS + EPS;
    dstore(p + i, pi + (NS * mi) / denom);
  }
  for (; i < n; i++) {
    double pi = p[i];
    double gi = g[i];
    if (decoupled) pi = pi * decay;
    else if (coupled) gi = gi + wd * pi;
    const double mi = (float)(beta1 * m[i] + c1 * gi);
    double vi = (float)(beta2 * v[i] + c2 * gi * gi);
    m[i] = (float)mi;
    v[i] = (float)vi;
    if (vMax) {
      const double x = vMax[i];
      if (!(vi > x)) vi = x;
      vMax[i] = (float)vi;
    }
    const double denom = sqrt(vi) / bias2Sqrt + eps;
    p[i] = (float)(pi + (-stepSize * mi) / denom);
  }
}

/**
 * SGD over `n` float parameters, PyTorch's order: `d = g (+ λθ)`; with
 * momentum μ ≠ 0, `b ← d` on the first step (`first`), else
 * `b ← μb + (1 − τ)d`, then `d = d + μb` (Nesterov) or `d = b`;
 * finally `θ ← θ − γd`. Without momentum (μ = 0, or no buffer: `buf` null)
 * `buf` is not touched.
 */
void NAME(sgd_step)(int n, float *p, const float *g, float *buf, const sgd_numbers *o) {
  const double lr = o->lr, mu = o->momentum, keep = 1 - o->dampening, wd = o->wd;
  const int nesterov = o->nesterov, first = o->first;
  const int decay = wd != 0;
  const int momentum = mu != 0 && buf;
  for (int i = 0; i < n; i++) {
    const double pi = p[i];
    double d = g[i];
    if (decay) d = d + wd * pi;
    if (momentum) {
      const double b = (float)(first ? d : mu * buf[i] + keep * d);
      buf[i] = (float)b;
      d = nesterov ? d + mu * b : b;
    }
    p[i] = (float)(pi - lr * d);
  }
}

/**
 * `Σ a[i]²` over `n` float values, accumulated in double (four vectors of
 * partial sums, so the order differs from a sequential loop by rounding
 * only). The sum is finite exactly when every value is (a float square
 * cannot overflow a double).
 */
double NAME(sum_squares)(int n, const float *a) {
  vdouble s0 = dsplat(0), s1 = s0, s2 = s0, s3 = s0;
  int i = 0;
  for (; i + 4 * DLANES <= n; i += 4 * DLANES) {
    const vdouble x0 = dload(a + i), x1 = dload(a + i + DLANES);
    const vdouble x2 = dload(a + i + 2 * DLANES), x3 = dload(a + i + 3 * DLANES);
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  const vdouble s = (s0 + s1) + (s2 + s3);
  double total = 0;
  for (int k = 0; k < DLANES; k++) total += s[k];
  for (; i < n; i++) {
    const double x = a[i];
    total += x * x;
  }
  return total;
}

/** `a[i] ← a[i] · alpha` on `n` float values, the product taken in double and rounded once. */
void NAME(scale)(int n, double alpha, float *a) {
  for (int i = 0; i < n; i++) a[i] = (float)(a[i] * alpha);
}

/** NaN-propagating maximum, lane by lane: a NaN in either operand gives NaN. */
VINLINE vfloat vmax_nan(vfloat a, vfloat b) {
  return vselect((b > a) | (b != b), b, a);
}

/**
 * Softmax cross-entropy, forward, over `rows` rows of `V` logits `z`: writes
 * `probs[i, :] = softmax(z[i, :])` and returns
 * `Σ_i w[i] · (log Σ_k exp(z[i,k]) − z[i, t[i]])` in double, for weights `w`
 * and targets `t`; rows with zero weight add nothing and their target is
 * not read. The exponentials use the vector approximation of the gate
 * kernels (arguments clamped to ≥ −87); the sum and the loss are in double.
 */
double NAME(softmax_cross_entropy)(int rows, int V, const float *z, const int32_t *t, const double *w, float *probs) {
  double loss = 0;
  const int Vfull = V - V % VLANES;
  const vfloat low = vsplat(-VMATH_EXP_CLAMP);
  for (int r = 0; r < rows; r++) {
    const float *zr = z + (size_t)r * V;
    float *pr = probs + (size_t)r * V;
    /* max */
    vfloat mx = vsplat(-INFINITY);
    int k = 0;
    for (; k < Vfull; k += VLANES) mx = vmax_nan(mx, vload(zr + k));
    float zmax = -INFINITY;
    for (int l = 0; l < VLANES; l++) zmax = mx[l] > zmax || mx[l] != mx[l] ? mx[l] : zmax;
    for (; k < V; k++) zmax = zr[k] > zmax || zr[k] != zr[k] ? zr[k] : zmax;
    /* e = exp(z − max) and its sum */
    const vfloat M = vsplat(zmax);
    vfloat sv = vsplat(0);
    for (k = 0; k < Vfull; k += VLANES) {
      const vfloat d = vload(zr + k) - M;
      const vfloat e = vexp_nonpositive(vselect(d < low, low, d));
      vstore(pr + k, e);
      sv += e;
    }
    double sum = 0;
    for (int l = 0; l < VLANES; l++) sum += sv[l];
    if (k < V) {
      const vfloat d = vloadn(zr + k, V - k) - M;
      const vfloat e = vexp_nonpositive(vselect(d < low, low, d));
      vstoren(pr + k, e, V - k);
      for (int l = 0; l < V - k; l++) sum += e[l];
    }
    const double wr = w[r];
    if (wr != 0) {
      /* the target is read once: addon.c checked it, and a shared array changed since cannot send this outside the row */
      const int32_t tr = t[r];
      loss += (uint32_t)tr < (uint32_t)V ? wr * (log(sum) + (double)zmax - (double)zr[tr]) : NAN; /* ℓ = log Σ exp z − z_t */
    }
    /* p = e / sum */
    const float inv = (float)(1 / sum);
    for (k = 0; k < Vfull; k += VLANES) vstore(pr + k, vload(pr + k) * inv);
    if (k < V) vstoren(pr + k, vloadn(pr + k, V - k) * inv, V - k);
  }
  return loss;
}

/**
 * Softmax cross-entropy, backward, in place over `probs`:
 * `probs[i, :] ← s·w[i] · (probs[i, :] − onehot(t[i]))` (zeros where
 * `w[i] = 0`), each product taken in double and rounded once, as the
 * reference does.
 */
void NAME(softmax_cross_entropy_backward)(int rows, int V, double s, const int32_t *t, const double *w, float *probs) {
  for (int r = 0; r < rows; r++) {
    float *pr = probs + (size_t)r * V;
    const double wi = w[r] * s;
    if (wi == 0) {
      memset(pr, 0, (size_t)V * sizeof *pr);
      continue;
    }
    for (int k = 0; k < V; k++) pr[k] = (float)(pr[k] * wi); /* through softmax: (p − onehot)·w */
    const int32_t tr = t[r]; /* read once, as above */
    if ((uint32_t)tr < (uint32_t)V) pr[tr] = (float)(pr[tr] - wi);
  }
}
