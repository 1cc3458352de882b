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

}  // namespace blas

// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, as cblas_?gemm with CblasColMajor, by the route the
// GEMM router (gemm_router.hpp) picks for the shape and thread count.
template <typename T>
void gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
          const T* b, int ldb, T beta, T* c, int ldc);

}  // namespace dnn
