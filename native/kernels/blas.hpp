// Thin type-dispatch over CBLAS so every kernel can be written once for float and double.
// All matrices are column-major; leading dimensions are the row counts of the stored matrices.
//
// gemm() sends the degenerate shapes a network's first and last layers produce to BLAS level 2, which OpenBLAS
// handles far better than a GEMM with a unit dimension (measured here: a 512 x 2048 x 1 dgemm runs at 0.35
// GFLOP/s): a single-row or single-column result is a matrix-vector product (gemv), a unit inner dimension an
// outer product (ger).
#pragma once
#include <cblas.h>

#include <cstddef>

namespace dnn {

namespace blas {

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemv(CBLAS_TRANSPOSE t, int rows, int cols, double alpha, const double* a, int lda, const double* x,
                 int incx, double beta, double* y, int incy) {
  cblas_dgemv(CblasColMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
inline void gemv(CBLAS_TRANSPOSE t, int rows, int cols, float alpha, const float* a, int lda, const float* x, int incx,
                 float beta, float* y, int incy) {
  cblas_sgemv(CblasColMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
inline void ger(int rows, int cols, double alpha, const double* x, int incx, const double* y, int incy, double* a,
                int lda) {
  cblas_dger(CblasColMajor, rows, cols, alpha, x, incx, y, incy, a, lda);
}
inline void ger(int rows, int cols, float alpha, const float* x, int incx, const float* y, int incy, float* a,
                int lda) {
  cblas_sger(CblasColMajor, rows, cols, alpha, x, incx, y, incy, a, lda);
}

}  // namespace blas

// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, as cblas_?gemm with CblasColMajor.
template <typename T>
void gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
          const T* b, int ldb, T beta, T* c, int ldc) {
  const bool a_transposed = trans_a != CblasNoTrans, b_transposed = trans_b != CblasNoTrans;
  if (m == 1 && n > 1 && k > 1) {
    // c (1, n) = alpha · a (1, k) · op(B) (k, n): y = op(B)ᵀ x with x the row of op(A)
    const int incx = a_transposed ? 1 : lda;
    if (b_transposed)
      blas::gemv(CblasNoTrans, n, k, alpha, b, ldb, a, incx, beta, c, ldc);
    else
      blas::gemv(CblasTrans, k, n, alpha, b, ldb, a, incx, beta, c, ldc);
  } else if (n == 1 && m > 1 && k > 1) {
    // c (m, 1) = alpha · op(A) (m, k) · b (k, 1)
    const int incx = b_transposed ? ldb : 1;
    if (a_transposed)
      blas::gemv(CblasTrans, k, m, alpha, a, lda, b, incx, beta, c, 1);
    else
      blas::gemv(CblasNoTrans, m, k, alpha, a, lda, b, incx, beta, c, 1);
  } else if (k == 1 && m > 1 && n > 1) {
    // C (m, n) = alpha · x (m) · yᵀ (n) + beta · C
    for (int j = 0; j < n; ++j) {
      T* column = c + static_cast<size_t>(ldc) * j;
      if (beta == T(0))
        for (int i = 0; i < m; ++i) column[i] = T(0);
      else if (beta != T(1))
        for (int i = 0; i < m; ++i) column[i] *= beta;
    }
    blas::ger(m, n, alpha, a, a_transposed ? lda : 1, b, b_transposed ? 1 : ldb, c, ldc);
  } else {
    blas::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

}  // namespace dnn
