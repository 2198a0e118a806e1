/*
 * General matrix product `C = alpha · op(A) · op(B) + beta · C` on float32
 * row-major matrices, `op(A)` m×k (A stored k×m when transA), `op(B)` k×n
 * (B stored n×k when transB). Compiled once per instruction set (kernels.h):
 * the vector type is 16 floats under AVX-512, 8 under AVX2, 4 otherwise.
 *
 * Blocked in the manner of Goto & van de Geijn (2008), "Anatomy of
 * high-performance matrix multiplication": a KC-deep slice of op(A) is
 * packed into MR-row panels (`ap[p·MR + r]`), and the MR×NR micro-kernel
 * keeps MR × 2 vector accumulators in registers while it streams the
 * matching slice of op(B), NR = 2 vectors wide:
 *   - B stored k×n (no transB): read in place, row p at `b + p·ldb` — the
 *     recurrent products (`dh · W_hh`, the weight gradient `dGᵀ · X`) would
 *     otherwise copy a whole weight matrix per time step;
 *   - B stored n×k (transB, `h · W_hhᵀ`): packed once per call into
 *     NR-column panels, each NR×KC block transposed through registers.
 * Every element of C is computed the same way wherever its tile falls
 * (edge tiles run the same micro-kernel on zero-padded panels), so a
 * product split into blocks of rows or columns (threads.c) gives the
 * single-thread result bit for bit.
 *
 * With beta = 0, C's old contents (even NaN) are ignored; otherwise C is
 * scaled by beta first, then each KC slice adds alpha · (its partial sum).
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#if defined(__AVX512F__)
#define VL 16
#define MR 8
#elif defined(__AVX2__)
#define VL 8
#define MR 6
#else
#define VL 4
#define MR 4
#endif
#define NR (2 * VL)
/* Depth of a packed slice, rows of op(A) packed at once, columns of op(B) packed at once. */
#define KC 256
#define MC 96
#define NC 512
/* Fewer rows than this run as unpacked row products (rows_dot, rows_axpy). */
#define ROWS_MIN 4

typedef float vf __attribute__((vector_size(4 * VL), aligned(4)));

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
/* Transposes a 16×16 block held as 16 rows (unpack, 64-bit shuffle, then two 128-bit lane shuffles). */
static inline void tr16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) { t[2*i] = _mm512_unpacklo_ps(r[2*i], r[2*i+1]); t[2*i+1] = _mm512_unpackhi_ps(r[2*i], r[2*i+1]); }
  for (int i = 0; i < 4; i++) {
    r[4*i+0] = _mm512_shuffle_ps(t[4*i+0], t[4*i+2], _MM_SHUFFLE(1,0,1,0));
    r[4*i+1] = _mm512_shuffle_ps(t[4*i+0], t[4*i+2], _MM_SHUFFLE(3,2,3,2));
    r[4*i+2] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(1,0,1,0));
    r[4*i+3] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(3,2,3,2));
  }
  for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) {
    t[8*i+j] = _mm512_shuffle_f32x4(r[8*i+j], r[8*i+j+4], 0x88);
    t[8*i+j+4] = _mm512_shuffle_f32x4(r[8*i+j], r[8*i+j+4], 0xdd);
  }
  for (int i = 0; i < 8; i++) { r[i] = _mm512_shuffle_f32x4(t[i], t[i+8], 0x88); r[i+8] = _mm512_shuffle_f32x4(t[i], t[i+8], 0xdd); }
}

/* The VL×VL block at src (rows `sq` apart) transposed into rows `NR` apart at dst. */
static inline void transpose_block(const float *src, long sq, float *dst) {
  __m512 r[16];
  for (int q = 0; q < 16; q++) r[q] = _mm512_loadu_ps(src + q * sq);
  tr16(r);
  for (int p = 0; p < 16; p++) _mm512_storeu_ps(dst + p * NR, r[p]);
}
#elif defined(__AVX2__)
/* Transposes an 8×8 block held as 8 rows (unpack, 64-bit shuffle, then the 128-bit halves). */
static inline void tr8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; i++) { t[2*i] = _mm256_unpacklo_ps(r[2*i], r[2*i+1]); t[2*i+1] = _mm256_unpackhi_ps(r[2*i], r[2*i+1]); }
  for (int i = 0; i < 2; i++) {
    r[4*i+0] = _mm256_shuffle_ps(t[4*i+0], t[4*i+2], _MM_SHUFFLE(1,0,1,0));
    r[4*i+1] = _mm256_shuffle_ps(t[4*i+0], t[4*i+2], _MM_SHUFFLE(3,2,3,2));
    r[4*i+2] = _mm256_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(1,0,1,0));
    r[4*i+3] = _mm256_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(3,2,3,2));
  }
  for (int j = 0; j < 4; j++) { t[j] = _mm256_permute2f128_ps(r[j], r[j+4], 0x20); t[j+4] = _mm256_permute2f128_ps(r[j], r[j+4], 0x31); }
  for (int j = 0; j < 8; j++) r[j] = t[j];
}

static inline void transpose_block(const float *src, long sq, float *dst) {
  __m256 r[8];
  for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(src + q * sq);
  tr8(r);
  for (int p = 0; p < 8; p++) _mm256_storeu_ps(dst + p * NR, r[p]);
}
#else
static inline void transpose_block(const float *src, long sq, float *dst) {
  for (int p = 0; p < VL; p++)
    for (int q = 0; q < VL; q++) dst[p * NR + q] = src[q * sq + p];
}
#endif

static inline vf vload(const float *p) { return *(const vf *)p; }
static inline void vstore(float *p, vf v) { *(vf *)p = v; }

_Static_assert(sizeof(float) * ((size_t)MC * KC + (size_t)KC * NC) <= RECURRENT_SCRATCH_BYTES, "gemm's packed panels fit the thread scratch");

/* Columns of the micro-tile: products split across threads in multiples of this. */
int NAME(gemm_column_block)(void) { return NR; }
int NAME(gemm_row_block)(void) { return MR; }

/*
 * acc = Σ_p ap[p·MR + r] · B[p, 0:NR] over kc, then C[r, :] += alpha · acc
 * for the rows < mr and columns < nr (an edge tile goes through a small
 * buffer so nothing outside C is touched). `bs` is B's stride between rows p.
 */
static inline void micro_kernel(int kc, const float *ap, const float *bp, long bs, float *c, long ldc, int mr, int nr, float alpha) {
  vf acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    acc0[r] = (vf){0};
    acc1[r] = (vf){0};
  }
  for (int p = 0; p < kc; p++) {
    const vf b0 = vload(bp);
    const vf b1 = vload(bp + VL);
    bp += bs;
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const float a = ap[r];
      acc0[r] += a * b0;
      acc1[r] += a * b1;
    }
    ap += MR;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      float *cr = c + r * ldc;
      vstore(cr, vload(cr) + alpha * acc0[r]);
      vstore(cr + VL, vload(cr + VL) + alpha * acc1[r]);
    }
    return;
  }
  float tile[MR * NR];
  for (int r = 0; r < MR; r++) {
    vstore(tile + r * NR, alpha * acc0[r]);
    vstore(tile + r * NR + VL, alpha * acc1[r]);
  }
  for (int r = 0; r < mr; r++)
    for (int q = 0; q < nr; q++) c[r * ldc + q] += tile[r * NR + q];
}

/* Packs rows [0, rows) × depth [0, kc) of op(A) into MR-row panels (zero-padded), op(A)[r][p] at (r·sr + p·sp). */
static void pack_a(const float *a, long sr, long sp, int rows, int kc, float *ap) {
  for (int ir = 0; ir < rows; ir += MR) {
    const int mr = rows - ir < MR ? rows - ir : MR;
    const float *src = a + ir * sr;
    if (sp == 1) {
      for (int p = 0; p < kc; p++) {
        int r = 0;
        for (; r < mr; r++) ap[p * MR + r] = src[r * sr + p];
        for (; r < MR; r++) ap[p * MR + r] = 0;
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float *s = src + p * sp;
        int r = 0;
        for (; r < mr; r++) ap[p * MR + r] = s[r * sr];
        for (; r < MR; r++) ap[p * MR + r] = 0;
      }
    }
    ap += (long)MR * kc;
  }
}

/*
 * Packs columns [0, cols) × depth [0, kc) of op(B) into NR-column panels of kc×NR (zero-padded):
 * op(B)[p][q] at (q·sq + p·sp). Full panels from B stored n×k go through VL×VL register transposes.
 */
static void pack_b(const float *b, long sq, long sp, int cols, int kc, float *bp) {
  for (int jr = 0; jr < cols; jr += NR) {
    const int nr = cols - jr < NR ? cols - jr : NR;
    const float *src = b + jr * sq;
    if (sp == 1 && nr == NR) {
      /* NR rows of B (n×k storage), each contiguous in p: transpose VL×VL blocks */
      int p = 0;
      for (; p + VL <= kc; p += VL) {
        transpose_block(src + p, sq, bp + p * NR);
        transpose_block(src + VL * sq + p, sq, bp + p * NR + VL);
      }
      for (; p < kc; p++)
        for (int q = 0; q < NR; q++) bp[p * NR + q] = src[q * sq + p];
    } else {
      for (int p = 0; p < kc; p++) {
        int q = 0;
        for (; q < nr; q++) bp[p * NR + q] = src[q * sq + p * sp];
        for (; q < NR; q++) bp[p * NR + q] = 0;
      }
    }
    bp += (long)NR * kc;
  }
}

/* C[0:m, 0:n] ← beta · C (zeros when beta = 0, whatever C held). */
static void scale_c(int m, int n, float beta, float *c, long ldc) {
  if (beta == 1) return;
  for (int i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    if (beta == 0)
      memset(ci, 0, sizeof(float) * (size_t)n);
    else
      for (int j = 0; j < n; j++) ci[j] *= beta;
  }
}

/* Horizontal sum of a vector. */
static inline float hsum(vf v) {
  float s = 0;
  for (int q = 0; q < VL; q++) s += v[q];
  return s;
}

/*
 * Few rows (batch-1 steps), B stored n×k: C[i, j] += alpha · (op(A)[i, :] · B[j, :]),
 * four dot products at a time vectorised along k, B read in place.
 */
static void rows_dot(int m, int n, int k, float alpha, const float *a, long sai, long sap, const float *b, long ldb, float *c, long ldc) {
  (void)sap; /* 1: A's rows are contiguous */
  for (int i = 0; i < m; i++) {
    const float *ai = a + i * sai;
    float *ci = c + i * ldc;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
      vf s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
      int p = 0;
      for (; p + VL <= k; p += VL) {
        const vf x = vload(ai + p);
        s0 += x * vload(b0 + p);
        s1 += x * vload(b1 + p);
        s2 += x * vload(b2 + p);
        s3 += x * vload(b3 + p);
      }
      float t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (; p < k; p++) {
        t0 += ai[p] * b0[p];
        t1 += ai[p] * b1[p];
        t2 += ai[p] * b2[p];
        t3 += ai[p] * b3[p];
      }
      ci[j] += alpha * t0;
      ci[j + 1] += alpha * t1;
      ci[j + 2] += alpha * t2;
      ci[j + 3] += alpha * t3;
    }
    for (; j < n; j++) {
      const float *bj = b + j * ldb;
      vf s = {0};
      int p = 0;
      for (; p + VL <= k; p += VL) s += vload(ai + p) * vload(bj + p);
      float t = hsum(s);
      for (; p < k; p++) t += ai[p] * bj[p];
      ci[j] += alpha * t;
    }
  }
}

/*
 * Few rows, B stored k×n: C[i, :] += alpha · Σ_p op(A)[i, p] · B[p, :], four
 * vectors of columns at a time held in registers across the whole depth.
 */
static void rows_axpy(int m, int n, int k, float alpha, const float *a, long sai, long sap, const float *b, long ldb, float *c, long ldc) {
  for (int i = 0; i < m; i++) {
    const float *ai = a + i * sai;
    float *ci = c + i * ldc;
    int j = 0;
    for (; j + 4 * VL <= n; j += 4 * VL) {
      vf s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
      const float *bp = b + j;
      for (int p = 0; p < k; p++, bp += ldb) {
        const float x = ai[p * sap];
        s0 += x * vload(bp);
        s1 += x * vload(bp + VL);
        s2 += x * vload(bp + 2 * VL);
        s3 += x * vload(bp + 3 * VL);
      }
      vstore(ci + j, vload(ci + j) + alpha * s0);
      vstore(ci + j + VL, vload(ci + j + VL) + alpha * s1);
      vstore(ci + j + 2 * VL, vload(ci + j + 2 * VL) + alpha * s2);
      vstore(ci + j + 3 * VL, vload(ci + j + 3 * VL) + alpha * s3);
    }
    for (; j + VL <= n; j += VL) {
      vf s = {0};
      const float *bp = b + j;
      for (int p = 0; p < k; p++, bp += ldb) s += ai[p * sap] * vload(bp);
      vstore(ci + j, vload(ci + j) + alpha * s);
    }
    for (; j < n; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += ai[p * sap] * b[p * ldb + j];
      ci[j] += alpha * s;
    }
  }
}

void NAME(gemm)(int transA, int transB, int m, int n, int k, double alpha_, const float *a, int lda, const float *b, int ldb,
                double beta_, float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  const float alpha = (float)alpha_;
  scale_c(m, n, (float)beta_, c, ldc);
  if (alpha == 0 || k <= 0) return;

  const long sai = transA ? 1 : lda, sap = transA ? lda : 1;
  if (m < ROWS_MIN && !(transA && transB)) {
    if (transB) rows_dot(m, n, k, alpha, a, sai, sap, b, ldb, c, ldc);
    else rows_axpy(m, n, k, alpha, a, sai, sap, b, ldb, c, ldc);
    return;
  }

  float *scratch = (float *)recurrent_thread_scratch();
  float *apack = scratch;
  float *bpack = apack + (size_t)MC * KC;
  /* op(A)[i][p] = a[i·sai + p·sap]; op(B)[p][j] = b[p·sbp + j·sbj] */
  const long sbp = transB ? 1 : ldb, sbj = transB ? ldb : 1;
  /* equal slices no deeper than KC */
  const int slices = (k + KC - 1) / KC;
  const int depth = (k + slices - 1) / slices;

  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += depth) {
      const int kc = k - pc < depth ? k - pc : depth;
      const float *bslice = b + pc * sbp + jc * sbj;
      if (transB) pack_b(bslice, sbj, sbp, nc, kc, bpack);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        pack_a(a + ic * sai + pc * sap, sai, sap, mc, kc, apack);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          const float *bp;
          long bs;
          if (transB) {
            bp = bpack + (long)jr * kc;
            bs = NR;
          } else if (nr == NR) {
            bp = bslice + jr;
            bs = ldb;
          } else {
            /* the last, narrow panel: padded copy, so nothing past column n is read */
            pack_b(bslice + jr, 1, ldb, nr, kc, bpack);
            bp = bpack;
            bs = NR;
          }
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, apack + (long)ir * kc, bp, bs, c + (long)(ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha);
          }
        }
      }
    }
  }
}

/*
 * The processor's multiply-add ceiling for this build's vectors: 2·MR·2
 * independent accumulators (more than the FMA latency × throughput needs)
 * updated `rounds` times. Returns the floating-point operations done
 * (2 per lane per multiply-add); the caller times it.
 */
double NAME(fma_peak)(long rounds) {
  vf acc[2 * MR];
  for (int r = 0; r < 2 * MR; r++) acc[r] = (vf){0} + (float)r * 1e-3f;
  const vf x = (vf){0} + 0.999999f, y = (vf){0} + 1e-7f;
  for (long i = 0; i < rounds; i++) {
#pragma GCC unroll 32
    for (int r = 0; r < 2 * MR; r++) acc[r] = acc[r] * x + y;
  }
  float sink = 0;
  for (int r = 0; r < 2 * MR; r++) sink += acc[r][0];
  __asm__ volatile("" : : "r"(&sink) : "memory");
  return 2.0 * VL * 2 * MR * (double)rounds + (sink == 12345.f ? 1 : 0);
}
