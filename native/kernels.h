/*
 * The native kernels: the same contract as the Backend interface
 * (src/backend/backend.ts) and the WebAssembly exports (assembly/), as C
 * functions on raw pointers. They validate nothing: the JavaScript side
 * (src/backend/native.ts) checks every size, offset, extent and element
 * type before a call, and addon.c checks the types, spans and softmax
 * targets again before calling them.
 *
 * Float32 kernels are compiled once per instruction set from the same
 * source (vector width chosen by the compiler flags: AVX-512, AVX2+FMA, or
 * 128-bit portable vectors); NAME(x) gives each build its own symbols
 * (x_avx512, x_avx2, x_base). Float64 kernels (gradient checks) are
 * compiled once: `x_f64`, following the reference backend's arithmetic.
 *
 * No pointer is `restrict`: callers may pass overlapping operands where the
 * Backend contract allows it (in-place updates).
 */
#ifndef RECURRENT_KERNELS_H
#define RECURRENT_KERNELS_H

#include <stdint.h>

#ifndef ISA
#define ISA base
#endif
#define NAME_JOIN2(a, b) a##_##b
#define NAME_JOIN(a, b) NAME_JOIN2(a, b)
#define NAME(x) NAME_JOIN(x, ISA)

/* Adam's numbers as src/backend/wasm-kernels.ts derives them:
 * stepSize = lr / (1 − β₁ᵗ), bias2Sqrt = √(1 − β₂ᵗ), decay = 1 − lr·λ. */
typedef struct {
  int decoupled;
  double beta1, beta2, step_size, bias2_sqrt, eps, wd, decay;
} adam_numbers;

typedef struct {
  double lr, momentum, dampening;
  int nesterov;
  double wd;
  int first;
} sgd_numbers;

/* Declares the float32 kernels of one build (T = float, suffix S) or the float64 ones (T = double, suffix f64). */
#define RECURRENT_KERNEL_DECLS(T, N)                                                                                   \
  void N(gemm)(int transA, int transB, int m, int n, int k, double alpha, const T *a, int lda, const T *b, int ldb,    \
               double beta, T *c, int ldc);                                                                            \
  void N(add_row_vector)(int rows, int cols, const T *v, T *out);                                                     \
  void N(sum_rows)(int rows, int cols, const T *a, T *out);                                                           \
  void N(lstm_forward)(int rows, int H, double clip, T *gates, const T *cPrev, T *c, T *m);                            \
  void N(lstm_backward)(int rows, int H, double clip, const T *gates, const T *cPrev, const T *c, const T *dm, T *dc,  \
                        T *dGates);                                                                                    \
  void N(gru_forward)(int rows, int H, double clip, T *xw, const T *hw, const T *hPrev, T *h);                          \
  void N(gru_backward)(int rows, int H, double clip, const T *xw, const T *hw, const T *hPrev, const T *dh, T *dxw,    \
                       T *dhw, T *dhPrev);                                                                             \
  void N(lstm_peephole_forward)(int rows, int H, double clip, T *gates, const T *peep, const T *cPrev, T *c, T *m);   \
  void N(lstm_peephole_backward)(int rows, int H, double clip, const T *gates, const T *peep, const T *cPrev,          \
                                 const T *c, const T *dm, T *dc, T *dGates);                                          \
  void N(lstm_peephole_grad)(int rows, int H, const T *dGates, const T *cPrev, const T *c, T *dPeep);                 \
  void N(gru_reset_forward)(int rows, int H, double clip, T *gates, const T *hPrev, T *rh);                            \
  void N(gru_candidate_forward)(int rows, int H, double clip, T *gates, const T *hPrev, T *h);                        \
  void N(gru_candidate_backward)(int rows, int H, double clip, const T *gates, const T *hPrev, const T *dh,            \
                                 T *dGates, T *dhPrev);                                                                \
  void N(gru_reset_backward)(int rows, int H, double clip, const T *gates, const T *hPrev, const T *drh, T *dGates,   \
                             T *dhPrev);                                                                               \
  void N(rnn_forward)(int rows, int H, double slope, double clip, const T *pre, T *h);                                 \
  void N(rnn_backward)(int rows, int H, double slope, double clip, const T *h, const T *dh, T *dpre);                 \
  void N(adam_step)(int n, T *p, const T *g, T *m, T *v, T *vMax, const adam_numbers *o);                              \
  void N(sgd_step)(int n, T *p, const T *g, T *buf, const sgd_numbers *o);                                             \
  double N(sum_squares)(int n, const T *a);                                                                            \
  void N(scale)(int n, double alpha, T *a);                                                                            \
  double N(softmax_cross_entropy)(int rows, int V, const T *z, const int32_t *t, const double *w, T *probs);          \
  void N(softmax_cross_entropy_backward)(int rows, int V, double s, const int32_t *t, const double *w, T *probs);

#define NAME_AVX512(x) x##_avx512
#define NAME_AVX2(x) x##_avx2
#define NAME_BASE(x) x##_base
#define NAME_F64(x) x##_f64
RECURRENT_KERNEL_DECLS(float, NAME_AVX512)
RECURRENT_KERNEL_DECLS(float, NAME_AVX2)
RECURRENT_KERNEL_DECLS(float, NAME_BASE)
RECURRENT_KERNEL_DECLS(double, NAME_F64)

/* Tile sizes of each build's gemm: a product split at multiples of them is bit-identical to one call. */
int gemm_column_block_avx512(void), gemm_column_block_avx2(void), gemm_column_block_base(void);
int gemm_row_block_avx512(void), gemm_row_block_avx2(void), gemm_row_block_base(void);

/* Each build's multiply-add ceiling: runs `rounds` rounds of independent vector FMAs, returns the flops done. */
double fma_peak_avx512(long rounds), fma_peak_avx2(long rounds), fma_peak_base(long rounds);

/* Bytes of scratch each thread holds for gemm's packed panels (threads.c). */
#define RECURRENT_SCRATCH_BYTES (1u << 20)
void *recurrent_thread_scratch(void);

/* Runs fn(job, part) for every part in [0, parts): on the pool's threads (part 0 on the caller) when it is free and strong enough, else one after another. */
void recurrent_parallel(int parts, void (*fn)(void *job, int part), void *job);
/* Makes the pool `threads` strong (the caller included); returns the threads available (≥ 1). */
int recurrent_threads_start(int threads);

#endif
