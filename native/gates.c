/*
 * Fused gate kernels on float32, a port of assembly/gates.ts: forward and
 * backward of the LSTM, GRU and Elman cells, of the LSTM with peepholes and
 * of the GRU with the reset gate before the recurrent product; bias
 * broadcast and row sums. Semantics are those of the reference backend
 * (src/backend/js.ts). Each row of hidden size `H` is processed VLANES
 * units at a time (vmath.h), the tail with partial loads and stores.
 *
 * Compiled once per instruction set (-DISA=avx512|avx2|base); NAME(x)
 * gives each build its own symbols.
 *
 * The cell clip: every pre-activation is clamped to [−clip, clip] before
 * its activation; backward gives a zero gradient where the cached
 * activation equals the activation of ±clip (none when clip is ∞).
 */
#include <math.h>

#include "kernels.h"
#include "vmath.h"

/** `s·(1 − s)`: σ' expressed through σ. */
VINLINE vfloat dsig(vfloat s) {
  return s * (1.0f - s);
}

/** `1 − t²`: tanh' expressed through tanh. */
VINLINE vfloat dtanh(vfloat t) {
  return 1.0f - t * t;
}

/** σ at `x` = ±clip, in every lane: a cached σ equal to it came from a clamped pre-activation. NaN (equal to nothing) when `clip` is ∞. */
static vfloat sig_at(float clip, float x) {
  return clip == INFINITY ? vsplat(NAN) : vsigmoid(vsplat(x));
}

/** tanh at `x` = ±clip, as sig_at. */
static vfloat tanh_at(float clip, float x) {
  return clip == INFINITY ? vsplat(NAN) : vtanh(vsplat(x));
}

/** `d`, zeroed in the lanes where the activation `y` is at a clip bound `lo` or `hi`. */
VINLINE vfloat unclamped(vfloat d, vfloat y, vfloat lo, vfloat hi) {
  return (vfloat)((vint)d & ~((y == lo) | (y == hi)));
}

/** The activations of ±clip, for the backward kernels. */
typedef struct {
  vfloat s_lo, s_hi, t_lo, t_hi;
} clip_bounds;

static clip_bounds bounds_of(float clip) {
  clip_bounds b = {sig_at(clip, -clip), sig_at(clip, clip), tanh_at(clip, -clip), tanh_at(clip, clip)};
  return b;
}

/** Calls `UNITS(…, n)` over one row of `H` units: full vectors, then the tail. `j` is the unit index inside the row. */
#define FOR_UNITS(H, UNITS)                                                                                            \
  do {                                                                                                                 \
    int j = 0;                                                                                                         \
    for (; j + VLANES <= (H); j += VLANES) UNITS(VLANES);                                                              \
    if (j < (H)) UNITS((H) - j);                                                                                       \
  } while (0)

/**
 * Calls `UNITS(n)` over each of `rows` rows of `H` units (FOR_UNITS per row). Inside, `AT(p, w)` is `p`
 * advanced to the current unit of the current row, for a tensor of `w` blocks of `H` per row.
 */
#define FOR_ROWS(rows, H, UNITS)                                                                                       \
  for (int row = 0; row < (rows); row++) FOR_UNITS(H, UNITS)
#define AT(p, w) ((p) + (size_t)row * (w) * H + j)

/*
 * LSTM gates, forward, on `n` units. `p` (the peepholes `[p_i; p_f; p_o]`, H apart) may be NULL: the calls
 * pass a constant NULL or not, so each kernel compiles to its own form, the plain LSTM without a test.
 */
VINLINE void lstm_forward_units(vfloat cl, float *g, int H, const float *p, const float *cPrev, float *c, float *m,
                                int n) {
  const vfloat cp = vloadn(cPrev, n);
  vfloat ai = vloadn(g, n), af = vloadn(g + H, n);
  if (p) {
    ai = vmadd(vloadn(p, n), cp, ai);     /* a_i + p_i⊙c₋ */
    af = vmadd(vloadn(p + H, n), cp, af); /* a_f + p_f⊙c₋ */
  }
  const vfloat i = vsigmoid(vclamp(ai, cl));
  const vfloat f = vsigmoid(vclamp(af, cl));
  const vfloat gg = vtanh(vclamp(vloadn(g + 2 * H, n), cl));
  const vfloat ct = vmadd(f, cp, i * gg); /* c = f⊙c₋ + i⊙g */
  vfloat ao = vloadn(g + 3 * H, n);
  if (p) ao = vmadd(vloadn(p + 2 * H, n), ct, ao); /* a_o + p_o⊙c */
  const vfloat o = vsigmoid(vclamp(ao, cl));
  vstoren(g, i, n);
  vstoren(g + H, f, n);
  vstoren(g + 2 * H, gg, n);
  vstoren(g + 3 * H, o, n);
  vstoren(c, ct, n);
  vstoren(m, o * vtanh(ct), n); /* m = o⊙tanh(c) */
}

/**
 * LSTM gates, forward, for `rows` rows: `gates` (rows × 4H, `[i f g o]`
 * pre-activations) is overwritten with `σ(i), σ(f), tanh(g), σ(o)`; then
 * `c = f ⊙ cPrev + i ⊙ g` and `m = o ⊙ tanh(c)` (rows × H each).
 */
void NAME(lstm_forward)(int rows, int H, double clip, float *gates, const float *cPrev, float *c, float *m) {
  const vfloat cl = vsplat((float)clip);
#define UNITS(n) lstm_forward_units(cl, AT(gates, 4), H, NULL, AT(cPrev, 1), AT(c, 1), AT(m, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

/* LSTM gates, backward, on `n` units; `p` as in lstm_forward_units. */
VINLINE void lstm_backward_units(const clip_bounds *b, const float *g, int H, const float *p, const float *cPrev,
                                 const float *c, const float *dm, float *dc, float *dg, int n) {
  const vfloat i = vloadn(g, n);
  const vfloat f = vloadn(g + H, n);
  const vfloat gg = vloadn(g + 2 * H, n);
  const vfloat o = vloadn(g + 3 * H, n);
  const vfloat cp = vloadn(cPrev, n);
  const vfloat tc = vtanh(vloadn(c, n));
  const vfloat dmv = vloadn(dm, n);
  const vfloat doPre = unclamped(dmv * tc * dsig(o), o, b->s_lo, b->s_hi); /* through o⊙tanh(c), then σ (and the clip) */
  vfloat dct = vmadd(dmv * o, dtanh(tc), vloadn(dc, n)); /* through m = o⊙tanh(c) */
  if (p) dct = vmadd(doPre, vloadn(p + 2 * H, n), dct);  /* and through o's peephole p_o⊙c */
  const vfloat diPre = unclamped(dct * gg * dsig(i), i, b->s_lo, b->s_hi); /* through c = … + i⊙g, then σ */
  const vfloat dfPre = unclamped(dct * cp * dsig(f), f, b->s_lo, b->s_hi); /* through f⊙c₋, then σ */
  vstoren(dg, diPre, n);
  vstoren(dg + H, dfPre, n);
  vstoren(dg + 2 * H, unclamped(dct * i * dtanh(gg), gg, b->t_lo, b->t_hi), n); /* through i⊙g, then tanh */
  vstoren(dg + 3 * H, doPre, n);
  vfloat dcp = dct * f; /* to c₋ through f⊙c₋ */
  if (p) dcp = vmadd(dfPre, vloadn(p + H, n), vmadd(diPre, vloadn(p, n), dcp)); /* and the peepholes p_i⊙c₋, p_f⊙c₋ */
  vstoren(dc, dcp, n);
}

/**
 * LSTM gates, backward: from the activations left in `gates`, `cPrev`, `c`
 * and `dm`, writes the pre-activation gradients to `dGates` (rows × 4H) and
 * replaces `dc` (gradient of `c`, rows × H) in place by the gradient of `cPrev`.
 */
void NAME(lstm_backward)(int rows, int H, double clip, const float *gates, const float *cPrev, const float *c,
                         const float *dm, float *dc, float *dGates) {
  const clip_bounds b = bounds_of((float)clip);
#define UNITS(n)                                                                                                       \
  lstm_backward_units(&b, AT(gates, 4), H, NULL, AT(cPrev, 1), AT(c, 1), AT(dm, 1), AT(dc, 1), AT(dGates, 4), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

VINLINE void gru_forward_units(vfloat cl, float *x, const float *w, int H, const float *hPrev, float *h, int n) {
  const vfloat r = vsigmoid(vclamp(vloadn(x, n) + vloadn(w, n), cl));
  const vfloat z = vsigmoid(vclamp(vloadn(x + H, n) + vloadn(w + H, n), cl));
  const vfloat nn = vtanh(vclamp(vmadd(r, vloadn(w + 2 * H, n), vloadn(x + 2 * H, n)), cl));
  vstoren(x, r, n);
  vstoren(x + H, z, n);
  vstoren(x + 2 * H, nn, n);
  /* h = (1 − z)⊙n + z⊙h₋ = n + z⊙(h₋ − n) */
  vstoren(h, vmadd(z, vloadn(hPrev, n) - nn, nn), n);
}

/**
 * GRU gates, forward (reset-after): `r = σ(xw_r + hw_r)`,
 * `z = σ(xw_z + hw_z)`, `n = tanh(xw_n + r ⊙ hw_n)`,
 * `h = (1 − z) ⊙ n + z ⊙ hPrev`; `xw` (rows × 3H) is overwritten with `[r z n]`.
 */
void NAME(gru_forward)(int rows, int H, double clip, float *xw, const float *hw, const float *hPrev, float *h) {
  const vfloat cl = vsplat((float)clip);
#define UNITS(n) gru_forward_units(cl, AT(xw, 3), AT(hw, 3), H, AT(hPrev, 1), AT(h, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

VINLINE void gru_backward_units(const clip_bounds *b, const float *x, const float *w, int H, const float *hPrev,
                                const float *dh, float *dx, float *dw, float *dhPrev, int n) {
  const vfloat r = vloadn(x, n);
  const vfloat z = vloadn(x + H, n);
  const vfloat nn = vloadn(x + 2 * H, n);
  const vfloat hn = vloadn(w + 2 * H, n);
  const vfloat hp = vloadn(hPrev, n);
  const vfloat d = vloadn(dh, n);
  const vfloat dnPre = unclamped(d * (1.0f - z) * dtanh(nn), nn, b->t_lo, b->t_hi); /* through (1−z)⊙n, then tanh (and the clip) */
  const vfloat dzPre = unclamped(d * (hp - nn) * dsig(z), z, b->s_lo, b->s_hi); /* through z⊙(h₋ − n), then σ */
  const vfloat drPre = unclamped(dnPre * hn * dsig(r), r, b->s_lo, b->s_hi); /* through r⊙hw_n, then σ */
  vstoren(dx, drPre, n);
  vstoren(dx + H, dzPre, n);
  vstoren(dx + 2 * H, dnPre, n);
  vstoren(dw, drPre, n);
  vstoren(dw + H, dzPre, n);
  vstoren(dw + 2 * H, dnPre * r, n); /* through r⊙hw_n */
  vstoren(dhPrev, d * z, n); /* through z⊙h₋ */
}

/**
 * GRU gates, backward: from `[r z n]` in `xw`, `hw`, `hPrev` and `dh`,
 * writes `dxw`, `dhw` (rows × 3H) and the direct part `z ⊙ dh` of the
 * gradient of `hPrev` to `dhPrev`.
 */
void NAME(gru_backward)(int rows, int H, double clip, const float *xw, const float *hw, const float *hPrev,
                        const float *dh, float *dxw, float *dhw, float *dhPrev) {
  const clip_bounds b = bounds_of((float)clip);
#define UNITS(n)                                                                                                       \
  gru_backward_units(&b, AT(xw, 3), AT(hw, 3), H, AT(hPrev, 1), AT(dh, 1), AT(dxw, 3), AT(dhw, 3), AT(dhPrev, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

/**
 * LSTM gates with peepholes, forward: as lstm_forward, with `peep` (3 × H,
 * `[p_i; p_f; p_o]`): `i = σ(a_i + p_i⊙cPrev)`, `f = σ(a_f + p_f⊙cPrev)`,
 * `c = f⊙cPrev + i⊙g`, `o = σ(a_o + p_o⊙c)`, `m = o⊙tanh(c)`.
 */
void NAME(lstm_peephole_forward)(int rows, int H, double clip, float *gates, const float *peep, const float *cPrev,
                                 float *c, float *m) {
  const vfloat cl = vsplat((float)clip);
#define UNITS(n) lstm_forward_units(cl, AT(gates, 4), H, peep + j, AT(cPrev, 1), AT(c, 1), AT(m, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

/**
 * LSTM gates with peepholes, backward: as lstm_backward, with the peepholes'
 * paths (through `o` into `c`, through `i` and `f` into `cPrev`).
 */
void NAME(lstm_peephole_backward)(int rows, int H, double clip, const float *gates, const float *peep,
                                  const float *cPrev, const float *c, const float *dm, float *dc, float *dGates) {
  const clip_bounds b = bounds_of((float)clip);
#define UNITS(n)                                                                                                       \
  lstm_backward_units(&b, AT(gates, 4), H, peep + j, AT(cPrev, 1), AT(c, 1), AT(dm, 1), AT(dc, 1),            \
      AT(dGates, 4), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

/**
 * The peepholes' weight gradient over `rows` rows: `dPeep[0] += Σ dGates_i⊙cPrev`,
 * `dPeep[1] += Σ dGates_f⊙cPrev`, `dPeep[2] += Σ dGates_o⊙c`, each column
 * summed in row order.
 */
void NAME(lstm_peephole_grad)(int rows, int H, const float *dGates, const float *cPrev, const float *c,
                              float *dPeep) {
  for (int j = 0; j < H; j += VLANES) {
    const int n = H - j < VLANES ? H - j : VLANES;
    vfloat si = vloadn(dPeep + j, n);
    vfloat sf = vloadn(dPeep + H + j, n);
    vfloat so = vloadn(dPeep + 2 * H + j, n);
    for (int r = 0; r < rows; r++) {
      const float *d = dGates + (size_t)r * 4 * H + j;
      const size_t s = (size_t)r * H + j;
      const vfloat cp = vloadn(cPrev + s, n);
      si = vmadd(vloadn(d, n), cp, si);
      sf = vmadd(vloadn(d + H, n), cp, sf);
      so = vmadd(vloadn(d + 3 * H, n), vloadn(c + s, n), so);
    }
    vstoren(dPeep + j, si, n);
    vstoren(dPeep + H + j, sf, n);
    vstoren(dPeep + 2 * H + j, so, n);
  }
}

VINLINE void gru_reset_forward_units(vfloat cl, float *g, int H, const float *hPrev, float *rh, int n) {
  const vfloat r = vsigmoid(vclamp(vloadn(g, n), cl));
  vstoren(g, r, n);
  vstoren(g + H, vsigmoid(vclamp(vloadn(g + H, n), cl)), n);
  vstoren(rh, r * vloadn(hPrev, n), n); /* r⊙h₋ */
}

/**
 * GRU with the reset gate before the recurrent product, first half of a step:
 * `r = σ(·)`, `z = σ(·)` in place on the first two blocks of `gates`
 * (rows × 3H), and `rh = r ⊙ hPrev`.
 */
void NAME(gru_reset_forward)(int rows, int H, double clip, float *gates, const float *hPrev, float *rh) {
  const vfloat cl = vsplat((float)clip);
#define UNITS(n) gru_reset_forward_units(cl, AT(gates, 3), H, AT(hPrev, 1), AT(rh, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

VINLINE void gru_candidate_forward_units(vfloat cl, float *g, int H, const float *hPrev, float *h, int n) {
  const vfloat z = vloadn(g + H, n);
  const vfloat nn = vtanh(vclamp(vloadn(g + 2 * H, n), cl));
  vstoren(g + 2 * H, nn, n);
  /* h = (1 − z)⊙n + z⊙h₋ = n + z⊙(h₋ − n) */
  vstoren(h, vmadd(z, vloadn(hPrev, n) - nn, nn), n);
}

/** Second half: `n = tanh(n_pre)` in place on the third block, `h = (1 − z)⊙n + z⊙hPrev`. */
void NAME(gru_candidate_forward)(int rows, int H, double clip, float *gates, const float *hPrev, float *h) {
  const vfloat cl = vsplat((float)clip);
#define UNITS(n) gru_candidate_forward_units(cl, AT(gates, 3), H, AT(hPrev, 1), AT(h, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

VINLINE void gru_candidate_backward_units(const clip_bounds *b, const float *g, int H, const float *hPrev,
                                          const float *dh, float *dg, float *dhPrev, int n) {
  const vfloat z = vloadn(g + H, n);
  const vfloat nn = vloadn(g + 2 * H, n);
  const vfloat d = vloadn(dh, n);
  vstoren(dg + H, unclamped(d * (vloadn(hPrev, n) - nn) * dsig(z), z, b->s_lo, b->s_hi), n); /* through z⊙(h₋ − n), then σ (and the clip) */
  vstoren(dg + 2 * H, unclamped(d * (1.0f - z) * dtanh(nn), nn, b->t_lo, b->t_hi), n); /* through (1−z)⊙n, then tanh */
  vstoren(dhPrev, d * z, n); /* through z⊙h₋ */
}

/** Backward of gru_candidate_forward: the `z` and `n` blocks of `dGates`, and `dhPrev = z⊙dh`. */
void NAME(gru_candidate_backward)(int rows, int H, double clip, const float *gates, const float *hPrev,
                                  const float *dh, float *dGates, float *dhPrev) {
  const clip_bounds b = bounds_of((float)clip);
#define UNITS(n)                                                                                                       \
  gru_candidate_backward_units(&b, AT(gates, 3), H, AT(hPrev, 1), AT(dh, 1), AT(dGates, 3), AT(dhPrev, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

VINLINE void gru_reset_backward_units(const clip_bounds *b, const float *g, const float *hPrev, const float *drh,
                                      float *dg, float *dhPrev, int n) {
  const vfloat r = vloadn(g, n);
  const vfloat d = vloadn(drh, n);
  vstoren(dg, unclamped(d * vloadn(hPrev, n) * dsig(r), r, b->s_lo, b->s_hi), n); /* through r⊙h₋, then σ (and the clip) */
  vstoren(dhPrev, vmadd(d, r, vloadn(dhPrev, n)), n); /* through r⊙h₋ */
}

/** Backward of gru_reset_forward: the `r` block of `dGates` from `drh` (gradient of r⊙hPrev), and `dhPrev += r⊙drh`. */
void NAME(gru_reset_backward)(int rows, int H, double clip, const float *gates, const float *hPrev, const float *drh,
                              float *dGates, float *dhPrev) {
  const clip_bounds b = bounds_of((float)clip);
#define UNITS(n) gru_reset_backward_units(&b, AT(gates, 3), AT(hPrev, 1), AT(drh, 1), AT(dGates, 3), AT(dhPrev, 1), n)
  FOR_ROWS(rows, H, UNITS);
#undef UNITS
}

/** `max(0, a)` lane by lane: +0 for a ≤ 0, NaN kept. */
VINLINE vfloat relu(vfloat a) {
  return vselect((a > 0.0f) | (a != a), a, vsplat(0.0f));
}

/** `a > 0 ? a : s·a`, lane by lane. */
VINLINE vfloat leaky(vfloat a, vfloat s) {
  return vselect(a > 0.0f, a, s * a);
}

/**
 * Elman activation, forward, on `rows·H` contiguous values: `h = tanh(pre)`
 * when `slope` < 0, else `h = pre > 0 ? pre : slope·pre` (0: relu); `pre`
 * clamped to [−clip, clip] first.
 */
void NAME(rnn_forward)(int rows, int H, double slope, double clip, const float *pre, float *h) {
  const int total = rows * H;
  const vfloat cl = vsplat((float)clip);
  const vfloat s = vsplat((float)slope);
#define UNITS(n)                                                                                                       \
  do {                                                                                                                 \
    const vfloat a = vclamp(vloadn(pre + j, n), cl);                                                                   \
    vstoren(h + j, slope < 0 ? vtanh(a) : slope == 0 ? relu(a) : leaky(a, s), n);                                      \
  } while (0)
  FOR_UNITS(total, UNITS);
#undef UNITS
}

VINLINE void rnn_backward_units(float slope, vfloat lo, vfloat hi, const float *h, const float *dh, float *dpre, int n) {
  const vfloat hv = vloadn(h, n);
  const vfloat d = vloadn(dh, n);
  if (slope < 0) vstoren(dpre, unclamped(d * dtanh(hv), hv, lo, hi), n); /* through tanh (and the clip) */
  else if (slope == 0) vstoren(dpre, unclamped((vfloat)((vint)d & (hv > 0.0f)), hv, lo, hi), n); /* through relu */
  else vstoren(dpre, unclamped(vselect(hv > 0.0f, d, slope * d), hv, lo, hi), n); /* through the leaky relu */
}

/** Elman activation, backward from the output: `dpre = dh ⊙ act'(h)` on `rows·H` values (`slope` as in rnn_forward). */
void NAME(rnn_backward)(int rows, int H, double slope, double clip, const float *h, const float *dh, float *dpre) {
  const int total = rows * H;
  const float s = (float)slope;
  const float cl = (float)clip;
  /* the activation at ±clip (NaN, equal to nothing, for clip = ∞) */
  const int none = cl == INFINITY;
  const vfloat lo = none ? vsplat(NAN) : s < 0 ? vtanh(vsplat(-cl)) : vsplat(s * -cl);
  const vfloat hi = none ? vsplat(NAN) : s < 0 ? vtanh(vsplat(cl)) : vsplat(cl);
#define UNITS(n) rnn_backward_units(s, lo, hi, h + j, dh + j, dpre + j, n)
  FOR_UNITS(total, UNITS);
#undef UNITS
}

/** `out[r, :] += v` for `rows` rows of width `cols`. */
void NAME(add_row_vector)(int rows, int cols, const float *v, float *out) {
  for (int r = 0; r < rows; r++) {
    float *o = out + (size_t)r * cols;
#define UNITS(n) vstoren(o + j, vloadn(o + j, n) + vloadn(v + j, n), n)
    FOR_UNITS(cols, UNITS);
#undef UNITS
  }
}

/**
 * `out += Σ_r a[r, :]` over `rows` rows of width `cols`. Each column is
 * summed in row order into `out`'s own value, as the reference does, so the
 * float32 result is the same bit for bit.
 */
void NAME(sum_rows)(int rows, int cols, const float *a, float *out) {
  int j = 0;
  for (; j + 4 * VLANES <= cols; j += 4 * VLANES) {
    vfloat s0 = vload(out + j);
    vfloat s1 = vload(out + j + VLANES);
    vfloat s2 = vload(out + j + 2 * VLANES);
    vfloat s3 = vload(out + j + 3 * VLANES);
    const float *p = a + j;
    for (int r = 0; r < rows; r++, p += cols) {
      s0 += vload(p);
      s1 += vload(p + VLANES);
      s2 += vload(p + 2 * VLANES);
      s3 += vload(p + 3 * VLANES);
    }
    vstore(out + j, s0);
    vstore(out + j + VLANES, s1);
    vstore(out + j + 2 * VLANES, s2);
    vstore(out + j + 3 * VLANES, s3);
  }
  for (; j < cols; j += VLANES) {
    const int n = cols - j < VLANES ? cols - j : VLANES;
    vfloat s = vloadn(out + j, n);
    const float *p = a + j;
    for (int r = 0; r < rows; r++, p += cols) s += vloadn(p, n);
    vstoren(out + j, s, n);
  }
}
