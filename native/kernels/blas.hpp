// Thin type-dispatch over CBLAS so every kernel can be written once for float and double.
// All matrices are column-major; leading dimensions are the row counts of the stored matrices.
//
// dnn::gemm() is the one entry every kernel calls; gemm_router.cpp picks its route (OpenBLAS, gemv/ger for unit
// dimensions, or the own skinny kernel).
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

// C (m, n) = alpha · op(A) · op(B) + beta · C with one row or one column (m == 1 or n == 1, k > 1): gemv
template <typename T>
inline void gemv_product(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a,
                         int lda, const T* b, int ldb, T beta, T* c, int ldc) {
  const bool a_transposed = trans_a != CblasNoTrans, b_transposed = trans_b != CblasNoTrans;
  if (m == 1) {
    // c (1, n) = alpha · a (1, k) · op(B) (k, n): y = op(B)ᵀ x with x the row of op(A)
    const int incx = a_transposed ? 1 : lda;
    if (b_transposed)
      gemv(CblasNoTrans, n, k, alpha, b, ldb, a, incx, beta, c, ldc);
    else
      gemv(CblasTrans, k, n, alpha, b, ldb, a, incx, beta, c, ldc);
  } else {
    // c (m, 1) = alpha · op(A) (m, k) · b (k, 1)
    const int incx = b_transposed ? ldb : 1;
    if (a_transposed)
      gemv(CblasTrans, k, m, alpha, a, lda, b, incx, beta, c, 1);
    else
      gemv(CblasNoTrans, m, k, alpha, a, lda, b, incx, beta, c, 1);
  }
}

// C (m, n) with a unit inner dimension (k == 1, m, n > 1): beta applied, then ger
template <typename T>
inline void ger_product(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, T alpha, const T* a, int lda,
                        const T* b, int ldb, T beta, T* c, int ldc) {
  // C (m, n) = alpha · x (m) · yᵀ (n) + beta · C
  for (int j = 0; j < n; ++j) {
    T* column = c + static_cast<size_t>(ldc) * j;
    if (beta == T(0))
      for (int i = 0; i < m; ++i) column[i] = T(0);
    else if (beta != T(1))
      for (int i = 0; i < m; ++i) column[i] *= beta;
  }
  ger(m, n, alpha, a, trans_a != CblasNoTrans ? lda : 1, b, trans_b != CblasNoTrans ? 1 : ldb, c, ldc);
}

}  // namespace blas

// Below this many multiply-adds a product with no unit dimension goes straight to OpenBLAS (gemm_router.hpp).
constexpr double kGemmRouteMinMultiplyAdds = 1 << 20;
// False when DNN_NATIVE_GEMM / DNN_NATIVE_GEMM_PARTS force a route on every product (read once, at load).
extern const bool gemm_small_products_to_blas;

// The router's entry (gemm_router.cpp).
template <typename T>
void gemm_routed(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
                 const T* b, int ldb, T beta, T* c, int ldc);

// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, as cblas_?gemm with CblasColMajor, by the route the
// GEMM router (gemm_router.hpp) picks for the shape and thread count. Small products decide inline: the tutorial's
// tiny network makes 11 per step, each about 80 ns in OpenBLAS, and a call into the router would add to each.
template <typename T>
inline void gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
                 const T* b, int ldb, T beta, T* c, int ldc) {
  if (m > 1 && n > 1 && k > 1 && static_cast<double>(m) * n * k < kGemmRouteMinMultiplyAdds &&
      gemm_small_products_to_blas) {
    blas::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // unit dimensions: BLAS level 2, whatever route is forced (as gemm_router.cpp plans them)
  if (k > 1 && ((m == 1 && n > 1) || (n == 1 && m > 1))) {
    blas::gemv_product(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (k == 1 && m > 1 && n > 1) {
    blas::ger_product(trans_a, trans_b, m, n, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  gemm_routed(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace dnn
