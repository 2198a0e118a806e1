/*
 * Float64 matrix product `C = alpha · op(A) · op(B) + beta · C` (gradient
 * checks): the reference backend's loop — each element's dot product summed
 * in order of p, then `alpha · sum + beta · C` (C ignored when beta = 0).
 */
#include "kernels.h"

void gemm_f64(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda, const double *b, int ldb,
              double beta, double *c, int ldc) {
  const long sai = transA ? 1 : lda, sap = transA ? lda : 1;
  const long sbp = transB ? 1 : ldb, sbj = transB ? ldb : 1;
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int p = 0; p < k; p++) s += a[i * sai + p * sap] * b[p * sbp + j * sbj];
      double *cij = c + (long)i * ldc + j;
      *cij = beta == 0 ? alpha * s : alpha * s + beta * *cij;
    }
  }
}
