/*
 * Training kernels on float64, for gradient checks: plain scalar C
 * following the reference backend (src/backend/js.ts) operation for
 * operation: the optimiser updates (Adam/AdamW, SGD), the reductions and
 * scaling of gradient clipping, and fused softmax cross-entropy
 * (Math.exp → exp, Math.log → log, sums in index order).
 */
/* Each product rounded before its sum: the reference's arithmetic has no fused multiply-adds (whatever -ffp-contract the build passes). */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <string.h>

#include "kernels.h"

/**
 * Adam / AdamW (decoupled) over `n` parameters (Kingma & Ba, 2015;
 * Loshchilov & Hutter, 2019), PyTorch's order:
 *   θ ← θ(1 − γλ) (AdamW)  or  g ← g + λθ (Adam, λ ≠ 0)
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g·g,  v̂ ← max(v̂, v) (AMSGrad, `vMax` not null)
 *   θ ← θ + (−stepSize · m) / (√v / bias2Sqrt + ε)
 * where `stepSize = γ / (1 − β₁ᵗ)`, `bias2Sqrt = √(1 − β₂ᵗ)` come from the caller.
 */
void NAME_F64(adam_step)(int n, double *p, const double *g, double *m, double *v, double *vMax,
                         const adam_numbers *o) {
  const double beta1 = o->beta1, beta2 = o->beta2, c1 = 1 - beta1, c2 = 1 - beta2;
  const double stepSize = o->step_size, bias2Sqrt = o->bias2_sqrt, eps = o->eps, wd = o->wd, decay = o->decay;
  for (int i = 0; i < n; i++) {
    double gi = g[i];
    double pi = p[i];
    if (o->decoupled) pi = pi * decay; /* θ ← θ(1 − γλ) */
    else if (wd != 0) gi = gi + wd * pi; /* g ← g + λθ */
    m[i] = beta1 * m[i] + c1 * gi;
    v[i] = beta2 * v[i] + c2 * gi * gi;
    double second = v[i];
    if (vMax) {
      if (second > vMax[i]) vMax[i] = second;
      second = vMax[i];
    }
    const double denom = sqrt(second) / bias2Sqrt + eps;
    p[i] = pi + (-stepSize * m[i]) / denom;
  }
}

/**
 * SGD over `n` parameters, PyTorch's order: `d = g (+ λθ)`; with momentum
 * μ ≠ 0, `b ← d` on the first step (`first`), else `b ← μb + (1 − τ)d`, then
 * `d = d + μb` (Nesterov) or `d = b`; finally `θ ← θ − γd`. Without momentum
 * (μ = 0, or no buffer: `buf` null) `buf` is not touched.
 */
void NAME_F64(sgd_step)(int n, double *p, const double *g, double *buf, const sgd_numbers *o) {
  const double lr = o->lr, mu = o->momentum, wd = o->wd;
  if (mu == 0 || !buf) {
    for (int i = 0; i < n; i++) {
      double d = g[i];
      if (wd != 0) d = d + wd * p[i];
      p[i] = p[i] - lr * d;
    }
    return;
  }
  const double keep = 1 - o->dampening;
  for (int i = 0; i < n; i++) {
    double d = g[i];
    if (wd != 0) d = d + wd * p[i];
    buf[i] = o->first ? d : mu * buf[i] + keep * d;
    d = o->nesterov ? d + mu * buf[i] : buf[i];
    p[i] = p[i] - lr * d;
  }
}

/** `Σ a[i]²` over `n` values, in index order. */
double NAME_F64(sum_squares)(int n, const double *a) {
  double s = 0;
  for (int i = 0; i < n; i++) s += a[i] * a[i];
  return s;
}

/** `a[i] ← a[i] · alpha` on `n` values. */
void NAME_F64(scale)(int n, double alpha, double *a) {
  for (int i = 0; i < n; i++) a[i] = a[i] * alpha;
}

/**
 * Softmax cross-entropy, forward, over `rows` rows of `V` logits `z`: writes
 * `probs[i, :] = softmax(z[i, :])` and returns
 * `Σ_i w[i] · (log Σ_k exp(z[i,k]) − z[i, t[i]])`; rows with zero weight
 * add nothing and their target is not read.
 */
double NAME_F64(softmax_cross_entropy)(int rows, int V, const double *z, const int32_t *t, const double *w,
                                       double *probs) {
  double loss = 0;
  for (int i = 0; i < rows; i++) {
    const double *zi = z + (size_t)i * V;
    double *pi = probs + (size_t)i * V;
    double max = -INFINITY;
    for (int k = 0; k < V; k++) max = zi[k] > max || zi[k] != zi[k] ? zi[k] : max; /* Math.max: NaN propagates */
    double sum = 0;
    for (int k = 0; k < V; k++) {
      const double e = exp(zi[k] - max);
      pi[k] = e;
      sum += e;
    }
    for (int k = 0; k < V; k++) pi[k] = pi[k] / sum;
    const double wi = w[i];
    if (wi != 0) {
      const int32_t ti = t[i]; /* read once: checked by addon.c, and a shared array changed since stays inside the row */
      loss += (uint32_t)ti < (uint32_t)V ? wi * (log(sum) + max - zi[ti]) : NAN; /* ℓ = log Σ exp z − z_t */
    }
  }
  return loss;
}

/**
 * Softmax cross-entropy, backward, in place over `probs`:
 * `probs[i, :] ← s·w[i] · (probs[i, :] − onehot(t[i]))` (zeros where `w[i] = 0`).
 */
void NAME_F64(softmax_cross_entropy_backward)(int rows, int V, double s, const int32_t *t, const double *w,
                                              double *probs) {
  for (int i = 0; i < rows; i++) {
    const double wi = w[i] * s;
    double *pi = probs + (size_t)i * V;
    if (wi == 0) {
      memset(pi, 0, (size_t)V * sizeof *pi);
      continue;
    }
    for (int k = 0; k < V; k++) pi[k] = pi[k] * wi; /* through softmax: (p − onehot)·w */
    const int32_t ti = t[i];
    if ((uint32_t)ti < (uint32_t)V) pi[ti] = pi[ti] - wi;
  }
}
