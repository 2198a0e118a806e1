/*
 * Fused gate kernels on float64, for gradient checks: plain scalar C
 * following the reference backend (src/backend/js.ts) operation for
 * operation (Math.exp → exp, Math.tanh → tanh, the same order of products
 * and sums), so results equal the reference's to rounding of exp and tanh.
 *
 * The cell clip: every pre-activation is clamped to [−clip, clip] before
 * its activation; backward gives a zero gradient where the cached
 * activation equals the activation of ±clip (none when clip is ∞).
 */
/* Each product rounded before its sum: the reference's arithmetic has no fused multiply-adds (whatever -ffp-contract the build passes). */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <stddef.h>

#include "kernels.h"

/** σ(x) = 1 / (1 + e^−x). */
static double sigmoid(double x) {
  return 1 / (1 + exp(-x));
}

/** `min(max(x, −clip), clip)`, NaN propagating (as Math.min and Math.max). */
static double clamp(double x, double clip) {
  const double lo = x < -clip ? -clip : x;
  return lo > clip ? clip : lo;
}

/** The activation's values at ±clip: a cached activation equal to either counts as clamped. NaN (equal to nothing) when `clip` is ∞. */
typedef struct {
  double lo, hi;
} bounds;

static bounds sigmoid_bounds(double clip) {
  const bounds b = {clip == INFINITY ? NAN : sigmoid(-clip), clip == INFINITY ? NAN : sigmoid(clip)};
  return b;
}

static bounds tanh_bounds(double clip) {
  const bounds b = {clip == INFINITY ? NAN : tanh(-clip), clip == INFINITY ? NAN : tanh(clip)};
  return b;
}

/** 0 where `y` is at a clip bound, else 1. */
static double pass(double y, bounds b) {
  return y == b.lo || y == b.hi ? 0 : 1;
}

/**
 * LSTM gates forward, with or without peepholes (`peep` null: none):
 *   i = σ(a_i + p_i⊙c₋), f = σ(a_f + p_f⊙c₋), g = tanh(a_g), c = f⊙c₋ + i⊙g,
 *   o = σ(a_o + p_o⊙c), m = o⊙tanh(c)      (every pre-activation clamped to ±clip)
 * The activations overwrite the pre-activations in `gates` (rows × 4H, `[i f g o]`).
 */
static void lstm_gates_forward(int rows, int H, double clip, double *gates, const double *peep, const double *cPrev,
                               double *c, double *m) {
  for (int r = 0; r < rows; r++) {
    double *g0 = gates + (size_t)r * 4 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)r * H + j;
      const double cp = cPrev[s];
      const double ai = g0[j];
      const double af = g0[H + j];
      const double i = sigmoid(clamp(peep ? ai + peep[j] * cp : ai, clip));
      const double f = sigmoid(clamp(peep ? af + peep[H + j] * cp : af, clip));
      const double g = tanh(clamp(g0[2 * H + j], clip));
      const double ct = f * cp + i * g; /* c = f⊙c₋ + i⊙g */
      const double ao = g0[3 * H + j];
      const double o = sigmoid(clamp(peep ? ao + peep[2 * H + j] * ct : ao, clip));
      g0[j] = i;
      g0[H + j] = f;
      g0[2 * H + j] = g;
      g0[3 * H + j] = o;
      c[s] = ct;
      m[s] = o * tanh(ct); /* m = o⊙tanh(c) */
    }
  }
}

/**
 * LSTM gates backward, with or without peepholes: from `dm` and the carried
 * `dc`, the pre-activation gradients into `dGates` and the gradient of c₋ into `dc` (in place).
 */
static void lstm_gates_backward(int rows, int H, double clip, const double *gates, const double *peep,
                                const double *cPrev, const double *c, const double *dm, double *dc, double *dGates) {
  const bounds sb = sigmoid_bounds(clip);
  const bounds tb = tanh_bounds(clip);
  for (int r = 0; r < rows; r++) {
    const double *g0 = gates + (size_t)r * 4 * H;
    double *d0 = dGates + (size_t)r * 4 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)r * H + j;
      const double i = g0[j];
      const double f = g0[H + j];
      const double g = g0[2 * H + j];
      const double o = g0[3 * H + j];
      const double cp = cPrev[s];
      const double tc = tanh(c[s]);
      const double dmv = dm[s];
      const double doPre = dmv * tc * o * (1 - o) * pass(o, sb); /* through o⊙tanh(c), then σ (and the clip) */
      /* through m = o⊙tanh(c) (and o's peephole p_o⊙c) */
      const double direct = dc[s] + dmv * o * (1 - tc * tc);
      const double dct = peep ? direct + doPre * peep[2 * H + j] : direct;
      const double diPre = dct * g * i * (1 - i) * pass(i, sb); /* through c = … + i⊙g, then σ */
      const double dfPre = dct * cp * f * (1 - f) * pass(f, sb); /* through f⊙c₋, then σ */
      d0[j] = diPre;
      d0[H + j] = dfPre;
      d0[2 * H + j] = dct * i * (1 - g * g) * pass(g, tb); /* through i⊙g, then tanh */
      d0[3 * H + j] = doPre;
      /* to c₋ through f⊙c₋ (and the peepholes p_i⊙c₋, p_f⊙c₋) */
      dc[s] = peep ? dct * f + diPre * peep[j] + dfPre * peep[H + j] : dct * f;
    }
  }
}

/** LSTM gates, forward: lstm_gates_forward without peepholes. */
void NAME_F64(lstm_forward)(int rows, int H, double clip, double *gates, const double *cPrev, double *c, double *m) {
  lstm_gates_forward(rows, H, clip, gates, NULL, cPrev, c, m);
}

/** LSTM gates, backward: lstm_gates_backward without peepholes. */
void NAME_F64(lstm_backward)(int rows, int H, double clip, const double *gates, const double *cPrev, const double *c,
                             const double *dm, double *dc, double *dGates) {
  lstm_gates_backward(rows, H, clip, gates, NULL, cPrev, c, dm, dc, dGates);
}

/** LSTM gates with peepholes (`peep`: 3 × H, `[p_i; p_f; p_o]`), forward. */
void NAME_F64(lstm_peephole_forward)(int rows, int H, double clip, double *gates, const double *peep,
                                     const double *cPrev, double *c, double *m) {
  lstm_gates_forward(rows, H, clip, gates, peep, cPrev, c, m);
}

/** LSTM gates with peepholes, backward. */
void NAME_F64(lstm_peephole_backward)(int rows, int H, double clip, const double *gates, const double *peep,
                                      const double *cPrev, const double *c, const double *dm, double *dc,
                                      double *dGates) {
  lstm_gates_backward(rows, H, clip, gates, peep, cPrev, c, dm, dc, dGates);
}

/** The peepholes' weight gradient: `dp_i += Σ da_i⊙c₋`, `dp_f += Σ da_f⊙c₋`, `dp_o += Σ da_o⊙c`, in row order. */
void NAME_F64(lstm_peephole_grad)(int rows, int H, const double *dGates, const double *cPrev, const double *c,
                                  double *dPeep) {
  for (int r = 0; r < rows; r++) {
    const double *d0 = dGates + (size_t)r * 4 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)r * H + j;
      const double cp = cPrev[s];
      dPeep[j] = dPeep[j] + d0[j] * cp;                         /* dp_i += da_i⊙c₋ */
      dPeep[H + j] = dPeep[H + j] + d0[H + j] * cp;             /* dp_f += da_f⊙c₋ */
      dPeep[2 * H + j] = dPeep[2 * H + j] + d0[3 * H + j] * c[s]; /* dp_o += da_o⊙c */
    }
  }
}

/**
 * GRU gates, forward (reset-after): `r = σ(xw_r + hw_r)`,
 * `z = σ(xw_z + hw_z)`, `n = tanh(xw_n + r ⊙ hw_n)`,
 * `h = (1 − z) ⊙ n + z ⊙ hPrev`; `xw` (rows × 3H) is overwritten with `[r z n]`.
 */
void NAME_F64(gru_forward)(int rows, int H, double clip, double *xw, const double *hw, const double *hPrev,
                           double *h) {
  for (int row = 0; row < rows; row++) {
    double *x0 = xw + (size_t)row * 3 * H;
    const double *w0 = hw + (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double r = sigmoid(clamp(x0[j] + w0[j], clip));
      const double z = sigmoid(clamp(x0[H + j] + w0[H + j], clip));
      const double n = tanh(clamp(x0[2 * H + j] + r * w0[2 * H + j], clip));
      x0[j] = r;
      x0[H + j] = z;
      x0[2 * H + j] = n;
      h[s] = (1 - z) * n + z * hPrev[s];
    }
  }
}

/**
 * GRU gates, backward: from `[r z n]` in `xw`, `hw`, `hPrev` and `dh`,
 * writes `dxw`, `dhw` (rows × 3H) and the direct part `z ⊙ dh` of the
 * gradient of `hPrev` to `dhPrev`.
 */
void NAME_F64(gru_backward)(int rows, int H, double clip, const double *xw, const double *hw, const double *hPrev,
                            const double *dh, double *dxw, double *dhw, double *dhPrev) {
  const bounds sb = sigmoid_bounds(clip);
  const bounds tb = tanh_bounds(clip);
  for (int row = 0; row < rows; row++) {
    const size_t t0 = (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double r = xw[t0 + j];
      const double z = xw[t0 + H + j];
      const double n = xw[t0 + 2 * H + j];
      const double hn = hw[t0 + 2 * H + j];
      const double hp = hPrev[s];
      const double d = dh[s];
      const double dnPre = d * (1 - z) * (1 - n * n) * pass(n, tb); /* through (1−z)⊙n, then tanh (and the clip) */
      const double dzPre = d * (hp - n) * z * (1 - z) * pass(z, sb); /* through z⊙(h₋ − n), then σ */
      const double drPre = dnPre * hn * r * (1 - r) * pass(r, sb);  /* through r⊙hw_n, then σ */
      dxw[t0 + j] = drPre;
      dxw[t0 + H + j] = dzPre;
      dxw[t0 + 2 * H + j] = dnPre;
      dhw[t0 + j] = drPre;
      dhw[t0 + H + j] = dzPre;
      dhw[t0 + 2 * H + j] = dnPre * r; /* through r⊙hw_n */
      dhPrev[s] = d * z;              /* through z⊙h₋ */
    }
  }
}

/** GRU with the reset gate before the recurrent product, first half: `r = σ(·)`, `z = σ(·)` in place, `rh = r ⊙ hPrev`. */
void NAME_F64(gru_reset_forward)(int rows, int H, double clip, double *gates, const double *hPrev, double *rh) {
  for (int row = 0; row < rows; row++) {
    double *g0 = gates + (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double r = sigmoid(clamp(g0[j], clip));
      g0[j] = r;
      g0[H + j] = sigmoid(clamp(g0[H + j], clip));
      rh[s] = r * hPrev[s]; /* r⊙h₋ */
    }
  }
}

/** Second half: `n = tanh(n_pre)` in place on the third block, `h = (1 − z)⊙n + z⊙hPrev`. */
void NAME_F64(gru_candidate_forward)(int rows, int H, double clip, double *gates, const double *hPrev, double *h) {
  for (int row = 0; row < rows; row++) {
    double *g0 = gates + (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double z = g0[H + j];
      const double n = tanh(clamp(g0[2 * H + j], clip));
      g0[2 * H + j] = n;
      h[s] = (1 - z) * n + z * hPrev[s];
    }
  }
}

/** Backward of gru_candidate_forward: the `z` and `n` blocks of `dGates`, and `dhPrev = z⊙dh`. */
void NAME_F64(gru_candidate_backward)(int rows, int H, double clip, const double *gates, const double *hPrev,
                                      const double *dh, double *dGates, double *dhPrev) {
  const bounds sb = sigmoid_bounds(clip);
  const bounds tb = tanh_bounds(clip);
  for (int row = 0; row < rows; row++) {
    const size_t t0 = (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double z = gates[t0 + H + j];
      const double n = gates[t0 + 2 * H + j];
      const double d = dh[s];
      dGates[t0 + H + j] = d * (hPrev[s] - n) * z * (1 - z) * pass(z, sb); /* through z⊙(h₋ − n), then σ (and the clip) */
      dGates[t0 + 2 * H + j] = d * (1 - z) * (1 - n * n) * pass(n, tb);   /* through (1−z)⊙n, then tanh */
      dhPrev[s] = d * z;                                                  /* through z⊙h₋ */
    }
  }
}

/** Backward of gru_reset_forward: the `r` block of `dGates` from `drh` (gradient of r⊙hPrev), and `dhPrev += r⊙drh`. */
void NAME_F64(gru_reset_backward)(int rows, int H, double clip, const double *gates, const double *hPrev,
                                  const double *drh, double *dGates, double *dhPrev) {
  const bounds sb = sigmoid_bounds(clip);
  for (int row = 0; row < rows; row++) {
    const size_t t0 = (size_t)row * 3 * H;
    for (int j = 0; j < H; j++) {
      const size_t s = (size_t)row * H + j;
      const double r = gates[t0 + j];
      const double d = drh[s];
      dGates[t0 + j] = d * hPrev[s] * r * (1 - r) * pass(r, sb); /* through r⊙h₋, then σ (and the clip) */
      dhPrev[s] = dhPrev[s] + d * r;                             /* through r⊙h₋ */
    }
  }
}

/**
 * Elman activation, forward, on `rows·H` contiguous values: `h = tanh(pre)`
 * when `slope` < 0, else `h = pre > 0 ? pre : slope·pre` (0: relu); `pre`
 * clamped to [−clip, clip] first.
 */
void NAME_F64(rnn_forward)(int rows, int H, double slope, double clip, const double *pre, double *h) {
  const int n = rows * H;
  if (slope < 0) {
    for (int i = 0; i < n; i++) h[i] = tanh(clamp(pre[i], clip));
  } else if (slope == 0) {
    for (int i = 0; i < n; i++) {
      const double a = clamp(pre[i], clip);
      h[i] = a > 0 || a != a ? a : 0; /* Math.max(0, a): NaN kept, +0 otherwise */
    }
  } else {
    for (int i = 0; i < n; i++) {
      const double a = clamp(pre[i], clip);
      h[i] = a > 0 ? a : slope * a;
    }
  }
}

/** Elman activation, backward from the output: `dpre = dh ⊙ act'(h)` on `rows·H` values (`slope` as in rnn_forward). */
void NAME_F64(rnn_backward)(int rows, int H, double slope, double clip, const double *h, const double *dh,
                            double *dpre) {
  const int n = rows * H;
  if (slope < 0) {
    const bounds tb = tanh_bounds(clip);
    for (int i = 0; i < n; i++) dpre[i] = dh[i] * (1 - h[i] * h[i]) * pass(h[i], tb); /* through tanh (and the clip) */
  } else {
    /* the rectifier's values at ±clip */
    const bounds rb = {clip == INFINITY ? NAN : -clip > 0 ? -clip : slope * -clip, clip == INFINITY ? NAN : clip > 0 ? clip : slope * clip};
    for (int i = 0; i < n; i++) {
      /* for slope > 0, h > 0 ⟺ pre > 0 (and the clip) */
      dpre[i] = h[i] > 0 ? dh[i] * pass(h[i], rb) : slope == 0 ? 0 : slope * dh[i] * pass(h[i], rb);
    }
  }
}

/** `out[r, :] += v` for `rows` rows of width `cols`. */
void NAME_F64(add_row_vector)(int rows, int cols, const double *v, double *out) {
  for (int r = 0; r < rows; r++) {
    double *o = out + (size_t)r * cols;
    for (int j = 0; j < cols; j++) o[j] = o[j] + v[j];
  }
}

/** `out += Σ_r a[r, :]`, each column summed in row order into `out`'s own value. */
void NAME_F64(sum_rows)(int rows, int cols, const double *a, double *out) {
  for (int r = 0; r < rows; r++) {
    const double *o = a + (size_t)r * cols;
    for (int j = 0; j < cols; j++) out[j] = out[j] + o[j];
  }
}
