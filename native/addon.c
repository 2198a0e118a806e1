/*
 * The Node-API face of the native kernels (src/backend/native.ts drives it).
 *
 *   kernels()            the kernel names, in the order of their codes
 *   builds()             the float32 builds this processor can run, fastest first:
 *                        "avx512" (AVX-512F/VL/DQ/BW), "avx2" (AVX2 + FMA), "base"
 *   startThreads(n)      makes the thread pool n strong; returns the threads available
 *   fmaPeak(build, r)    r rounds of the build's multiply-add ceiling loop; returns the flops done
 *   run(code, x, a0…a7)  runs one kernel: code = kernel · 256 + build · 64 + threads (CODE_* below);
 *                        x (Float64Array) holds the kernel's numbers, then for each operand
 *                        its offset and the extent (elements) the kernel touches from it.
 *
 * run checks again what the JavaScript side has checked — each operand's
 * element type, and offset + extent within the array — and checks the
 * targets of softmax cross-entropy (each read one within its row), so a
 * wrong call is an exception, never a stray read or write. Numbers are used
 * as given.
 */
#include <math.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels.h"

#define MAX_OPERANDS 8

typedef double (*wrapper)(const double *x, void *const *p, int threads);

/* Builds: the float32 kernels per instruction set, then float64. */
enum { BUILD_AVX512, BUILD_AVX2, BUILD_BASE, BUILD_F64, BUILDS };
static const char *const build_names[BUILDS] = {"avx512", "avx2", "base", "f64"};

/* One kernel: its name, how many numbers lead x, its operands' element types
 * ('f': the build's float type, 'i': int32, 'w': float64 whatever the build;
 * upper case: may be null), and its entry per build. */
typedef struct {
  const char *name;
  int numbers;
  const char *types;
  wrapper run[BUILDS];
} kernel_desc;

/* A size (checked to be an integer in int's range by the JavaScript side). Flags are
 * read as `x != 0`, as src/backend/kernel-calls.ts reads them: a transpose flag of 0.5
 * is a transpose on both sides, so the extents checked are the ones the kernel touches. */
#define I(v) ((int)(v))

/* ---- threads for large products ---------------------------------------- */

typedef struct {
  int transA, transB, m, n, k, lda, ldb, ldc;
  double alpha, beta;
  const void *a, *b;
  void *c;
  int by_columns, block, parts, total;
  void (*gemm)(int, int, int, int, int, double, const float *, int, const float *, int, double, float *, int);
} gemm_job;

/*
 * Part `part` of a product split into blocks of whole micro-tiles of C: `block`
 * columns (or rows) each, the last part taking what is left past the last whole
 * tile. So every part has at least one whole tile, and a block of rows never has
 * so few rows that it would take the few-rows path (rows_dot, rows_axpy) and sum
 * in another order than one call over all of C.
 */
static void gemm_part(void *arg, int part) {
  const gemm_job *j = (const gemm_job *)arg;
  const int units = j->total / j->block;
  const int from = (int)((long)units * part / j->parts) * j->block;
  const int to = part + 1 == j->parts ? j->total : (int)((long)units * (part + 1) / j->parts) * j->block;
  if (to <= from) return;
  const float *a = (const float *)j->a, *b = (const float *)j->b;
  float *c = (float *)j->c;
  if (j->by_columns) {
    j->gemm(j->transA, j->transB, j->m, to - from, j->k, j->alpha, a, j->lda, b + (j->transB ? (long)from * j->ldb : from), j->ldb,
            j->beta, c + from, j->ldc);
  } else {
    j->gemm(j->transA, j->transB, to - from, j->n, j->k, j->alpha, a + (j->transA ? from : (long)from * j->lda), j->lda, b, j->ldb,
            j->beta, c + (long)from * j->ldc, j->ldc);
  }
}

/* Products with fewer multiply-adds, or fewer rows, run on one thread (a round trip costs microseconds). */
#define MIN_PRODUCT_WORK (1L << 20)
#define MIN_PRODUCT_ROWS 4

#define GEMM_F32(S)                                                                                                    \
  static double run_gemm_##S(const double *x, void *const *p, int threads) {                                           \
    gemm_job j = {x[0] != 0, x[1] != 0, I(x[2]), I(x[3]), I(x[4]), I(x[6]), I(x[7]), I(x[9]), x[5], x[8],            \
                  p[0], p[1], p[2], 0, 0, 0, 0, gemm_##S};                                                             \
    if (threads > 1 && j.m >= MIN_PRODUCT_ROWS && (long)j.m * j.n * j.k >= MIN_PRODUCT_WORK) {                         \
      j.by_columns = j.n >= j.m;                                                                                       \
      j.block = j.by_columns ? gemm_column_block_##S() : gemm_row_block_##S();                                         \
      j.total = j.by_columns ? j.n : j.m;                                                                              \
      const int units = j.total / j.block;                                                                             \
      j.parts = threads < units ? threads : units;                                                                     \
      if (j.parts > 1) {                                                                                               \
        recurrent_parallel(j.parts, gemm_part, &j);                                                                    \
        return 0;                                                                                                      \
      }                                                                                                                \
    }                                                                                                                  \
    gemm_##S(j.transA, j.transB, j.m, j.n, j.k, j.alpha, p[0], j.lda, p[1], j.ldb, j.beta, p[2], j.ldc);               \
    return 0;                                                                                                          \
  }

static double run_gemm_f64(const double *x, void *const *p, int threads) {
  (void)threads;
  gemm_f64(x[0] != 0, x[1] != 0, I(x[2]), I(x[3]), I(x[4]), x[5], p[0], I(x[6]), p[1], I(x[7]), x[8], p[2], I(x[9]));
  return 0;
}

/* ---- the other kernels: numbers from x, operands from p ---------------------- */

#define WRAPPERS(S, T)                                                                                                 \
  static double run_add_row_vector_##S(const double *x, void *const *p, int t) {                                      \
    (void)t;                                                                                                           \
    add_row_vector_##S(I(x[0]), I(x[1]), p[0], p[1]);                                                                  \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_sum_rows_##S(const double *x, void *const *p, int t) {                                            \
    (void)t;                                                                                                           \
    sum_rows_##S(I(x[0]), I(x[1]), p[0], p[1]);                                                                        \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_lstm_forward_##S(const double *x, void *const *p, int t) {                                        \
    (void)t;                                                                                                           \
    lstm_forward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3]);                                                  \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_lstm_backward_##S(const double *x, void *const *p, int t) {                                       \
    (void)t;                                                                                                           \
    lstm_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4], p[5]);                                     \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_forward_##S(const double *x, void *const *p, int t) {                                         \
    (void)t;                                                                                                           \
    gru_forward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3]);                                                   \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_backward_##S(const double *x, void *const *p, int t) {                                        \
    (void)t;                                                                                                           \
    gru_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4], p[5], p[6]);                                \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_lstm_peephole_forward_##S(const double *x, void *const *p, int t) {                               \
    (void)t;                                                                                                           \
    lstm_peephole_forward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4]);                                   \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_lstm_peephole_backward_##S(const double *x, void *const *p, int t) {                              \
    (void)t;                                                                                                           \
    lstm_peephole_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4], p[5], p[6]);                      \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_lstm_peephole_grad_##S(const double *x, void *const *p, int t) {                                  \
    (void)t;                                                                                                           \
    lstm_peephole_grad_##S(I(x[0]), I(x[1]), p[0], p[1], p[2], p[3]);                                                  \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_reset_forward_##S(const double *x, void *const *p, int t) {                                   \
    (void)t;                                                                                                           \
    gru_reset_forward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2]);                                                   \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_candidate_forward_##S(const double *x, void *const *p, int t) {                               \
    (void)t;                                                                                                           \
    gru_candidate_forward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2]);                                               \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_candidate_backward_##S(const double *x, void *const *p, int t) {                              \
    (void)t;                                                                                                           \
    gru_candidate_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4]);                                  \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_gru_reset_backward_##S(const double *x, void *const *p, int t) {                                  \
    (void)t;                                                                                                           \
    gru_reset_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2], p[3], p[4]);                                      \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_rnn_forward_##S(const double *x, void *const *p, int t) {                                         \
    (void)t;                                                                                                           \
    rnn_forward_##S(I(x[0]), I(x[1]), x[2], x[3], p[0], p[1]);                                                         \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_rnn_backward_##S(const double *x, void *const *p, int t) {                                        \
    (void)t;                                                                                                           \
    rnn_backward_##S(I(x[0]), I(x[1]), x[2], x[3], p[0], p[1], p[2]);                                                  \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_adam_step_##S(const double *x, void *const *p, int t) {                                           \
    (void)t;                                                                                                           \
    const adam_numbers o = {x[1] != 0, x[2], x[3], x[4], x[5], x[6], x[7], x[8]};                                      \
    adam_step_##S(I(x[0]), p[0], p[1], p[2], p[3], p[4], &o);                                                          \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_sgd_step_##S(const double *x, void *const *p, int t) {                                            \
    (void)t;                                                                                                           \
    const sgd_numbers o = {x[1], x[2], x[3], x[4] != 0, x[5], x[6] != 0};                                              \
    sgd_step_##S(I(x[0]), p[0], p[1], p[2], &o);                                                                       \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_sum_squares_##S(const double *x, void *const *p, int t) {                                         \
    (void)t;                                                                                                           \
    return sum_squares_##S(I(x[0]), p[0]);                                                                             \
  }                                                                                                                    \
  static double run_scale_##S(const double *x, void *const *p, int t) {                                               \
    (void)t;                                                                                                           \
    scale_##S(I(x[0]), x[1], p[0]);                                                                                    \
    return 0;                                                                                                          \
  }                                                                                                                    \
  static double run_softmax_cross_entropy_##S(const double *x, void *const *p, int t) {                               \
    (void)t;                                                                                                           \
    return softmax_cross_entropy_##S(I(x[0]), I(x[1]), p[0], p[1], p[2], p[3]);                                        \
  }                                                                                                                    \
  static double run_softmax_cross_entropy_backward_##S(const double *x, void *const *p, int t) {                      \
    (void)t;                                                                                                           \
    softmax_cross_entropy_backward_##S(I(x[0]), I(x[1]), x[2], p[0], p[1], p[2]);                                      \
    return 0;                                                                                                          \
  }

GEMM_F32(avx512)
GEMM_F32(avx2)
GEMM_F32(base)
WRAPPERS(avx512, float)
WRAPPERS(avx2, float)
WRAPPERS(base, float)
WRAPPERS(f64, double)

#define ENTRY(js, c, numbers, types) {js, numbers, types, {run_##c##_avx512, run_##c##_avx2, run_##c##_base, run_##c##_f64}}

/* In the order of src/backend/wasm-kernels.ts (the JavaScript side maps names to codes and checks). */
static const kernel_desc kernels[] = {
    ENTRY("gemm", gemm, 10, "fff"),
    ENTRY("addRowVector", add_row_vector, 2, "ff"),
    ENTRY("sumRows", sum_rows, 2, "ff"),
    ENTRY("lstmForward", lstm_forward, 3, "ffff"),
    ENTRY("lstmBackward", lstm_backward, 3, "ffffff"),
    ENTRY("gruForward", gru_forward, 3, "ffff"),
    ENTRY("gruBackward", gru_backward, 3, "fffffff"),
    ENTRY("lstmPeepholeForward", lstm_peephole_forward, 3, "fffff"),
    ENTRY("lstmPeepholeBackward", lstm_peephole_backward, 3, "fffffff"),
    ENTRY("lstmPeepholeGrad", lstm_peephole_grad, 2, "ffff"),
    ENTRY("gruResetForward", gru_reset_forward, 3, "fff"),
    ENTRY("gruCandidateForward", gru_candidate_forward, 3, "fff"),
    ENTRY("gruCandidateBackward", gru_candidate_backward, 3, "fffff"),
    ENTRY("gruResetBackward", gru_reset_backward, 3, "fffff"),
    ENTRY("rnnForward", rnn_forward, 4, "ff"),
    ENTRY("rnnBackward", rnn_backward, 4, "fff"),
    ENTRY("adamStep", adam_step, 9, "ffffF"),
    ENTRY("sgdStep", sgd_step, 7, "ffF"),
    ENTRY("sumSquares", sum_squares, 1, "f"),
    ENTRY("scale", scale, 2, "f"),
    ENTRY("softmaxCrossEntropy", softmax_cross_entropy, 2, "fiwf"),
    ENTRY("softmaxCrossEntropyBackward", softmax_cross_entropy_backward, 3, "iwf"),
};
#define KERNEL_COUNT ((int)(sizeof(kernels) / sizeof(kernels[0])))

/* Codes: kernel · CODE_KERNEL + build · CODE_BUILD + threads (1…CODE_BUILD − 1). */
#define CODE_BUILD 64
#define CODE_KERNEL (CODE_BUILD * BUILDS)

static int build_available(int build) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (build == BUILD_AVX512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw");
  if (build == BUILD_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return build == BUILD_BASE || build == BUILD_F64;
}

/* Throws `message` as a RangeError or TypeError and returns NULL. */
static napi_value fail(napi_env env, int range, const char *message) {
  if (range)
    napi_throw_range_error(env, "ERR_NATIVE_KERNEL", message);
  else
    napi_throw_type_error(env, "ERR_NATIVE_KERNEL", message);
  return NULL;
}

/*
 * Softmax cross-entropy reads (and its backward writes) z and probs at each
 * row's target: every row whose weight (times s, backward) is nonzero must
 * have a target in [0, V), or the call would reach outside its row. Those
 * kernels take `rows V` first (the backward one `s` third) and their
 * targets ('i') just before their weights ('w'). Returns 0, or 1 with
 * `message` naming the first target out of range.
 */
static int target_out_of_range(const kernel_desc *k, const double *x, void *const *p, char *message, size_t size) {
  const char *i = strchr(k->types, 'i');
  if (!i) return 0;
  const int32_t *t = (const int32_t *)p[i - k->types];
  const double *w = (const double *)p[i - k->types + 1];
  const int rows = I(x[0]), V = I(x[1]);
  const double s = k->numbers > 2 ? x[2] : 1;
  for (int r = 0; r < rows; r++) {
    if (w[r] * s != 0 && !(t[r] >= 0 && t[r] < V)) {
      snprintf(message, size, "%s: target t[%d] = %d is outside [0, %d)", k->name, r, (int)t[r], V);
      return 1;
    }
  }
  return 0;
}

static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2 + MAX_OPERANDS;
  napi_value argv[2 + MAX_OPERANDS];
  char message[256];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, 0, "run(code, numbers, ...operands)");
  uint32_t code;
  if (napi_get_value_uint32(env, argv[0], &code) != napi_ok) return fail(env, 0, "run: the code must be a number");
  const int threads = (int)(code % CODE_BUILD);
  const int build = (int)(code / CODE_BUILD % BUILDS);
  const int index = (int)(code / CODE_KERNEL);
  if (index >= KERNEL_COUNT || !build_available(build) || threads < 1) return fail(env, 1, "run: no such kernel, build or thread count");
  const kernel_desc *k = &kernels[index];
  const int operands = (int)strlen(k->types);
  if ((int)argc < 2 + operands) {
    snprintf(message, sizeof message, "%s: expected %d operands, got %d", k->name, operands, (int)argc - 2);
    return fail(env, 0, message);
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      length < (size_t)(k->numbers + 2 * operands))
    return fail(env, 0, "run: numbers must be a Float64Array of the kernel's numbers, offsets and extents");
  const double *x = (const double *)data;
  void *p[MAX_OPERANDS] = {0};
  for (int i = 0; i < operands; i++) {
    const char t = k->types[i];
    const int optional = t >= 'A' && t <= 'Z';
    const char base = optional ? (char)(t - 'A' + 'a') : t;
    napi_valuetype vt;
    napi_typeof(env, argv[2 + i], &vt);
    if (optional && (vt == napi_null || vt == napi_undefined)) continue;
    const napi_typedarray_type want = base == 'i' ? napi_int32_array
                                      : base == 'w' || build == BUILD_F64 ? napi_float64_array
                                                                          : napi_float32_array;
    if (napi_get_typedarray_info(env, argv[2 + i], &type, &length, &data, NULL, NULL) != napi_ok || type != want) {
      snprintf(message, sizeof message, "%s: operand %d must be a %s", k->name, i,
               want == napi_int32_array ? "Int32Array" : want == napi_float64_array ? "Float64Array" : "Float32Array");
      return fail(env, 0, message);
    }
    const double offset = x[k->numbers + 2 * i], extent = x[k->numbers + 2 * i + 1];
    if (!(offset >= 0 && extent >= 0 && offset == floor(offset) && extent == floor(extent) && offset + extent <= (double)length)) {
      snprintf(message, sizeof message, "%s: operand %d spans [%.0f, %.0f) of an array of %zu elements", k->name, i, offset,
               offset + extent, length);
      return fail(env, 1, message);
    }
    const size_t size = want == napi_float32_array || want == napi_int32_array ? 4 : 8;
    p[i] = (char *)data + (size_t)offset * size;
  }
  if (target_out_of_range(k, x, p, message, sizeof message)) return fail(env, 1, message);
  const double result = k->run[build](x, p, threads);
  napi_value out;
  napi_create_double(env, result, &out);
  return out;
}

static napi_value kernel_names(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list, s;
  napi_create_array_with_length(env, KERNEL_COUNT, &list);
  for (int i = 0; i < KERNEL_COUNT; i++) {
    napi_create_string_utf8(env, kernels[i].name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, (uint32_t)i, s);
  }
  return list;
}

static napi_value builds(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list, s;
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (int b = 0; b < BUILDS; b++) {
    if (!build_available(b)) continue;
    napi_create_string_utf8(env, build_names[b], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, n++, s);
  }
  return list;
}

static napi_value start_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, out;
  uint32_t n = 1;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc < 1 || napi_get_value_uint32(env, arg, &n) != napi_ok || n < 1 || n >= CODE_BUILD) return fail(env, 1, "startThreads(n): n from 1 to 63");
  napi_create_uint32(env, (uint32_t)recurrent_threads_start((int)n), &out);
  return out;
}

/* fmaPeak(build, rounds): runs the build's multiply-add ceiling loop (gemm.c) and returns the flops it did; the caller times it. */
static napi_value fma_peak(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  uint32_t build;
  double rounds;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_uint32(env, argv[0], &build) != napi_ok ||
      napi_get_value_double(env, argv[1], &rounds) != napi_ok || build >= BUILD_F64 || !build_available((int)build) || !(rounds >= 1 && rounds <= 1e12))
    return fail(env, 1, "fmaPeak(build, rounds): a float32 build this processor runs, rounds from 1 to 1e12");
  double (*peak[])(long) = {fma_peak_avx512, fma_peak_avx2, fma_peak_base};
  napi_create_double(env, peak[build]((long)rounds), &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"run", NULL, run, NULL, NULL, NULL, napi_default, NULL},
      {"kernels", NULL, kernel_names, NULL, NULL, NULL, napi_default, NULL},
      {"builds", NULL, builds, NULL, NULL, NULL, napi_default, NULL},
      {"startThreads", NULL, start_threads, NULL, NULL, NULL, napi_default, NULL},
      {"fmaPeak", NULL, fma_peak, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
