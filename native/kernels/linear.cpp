#include "linear.hpp"

#include "blas.hpp"

namespace dnn {

template <typename T>
void linear_forward(T* Z, const T* W, const T* A_prev, const T* b, int n, int n_prev, int m) {
  gemm(CblasNoTrans, CblasNoTrans, n, m, n_prev, T(1), W, n, A_prev, n_prev, T(0), Z, n);
  bias_activation_forward(Z, Z, b, n, m, Activation::Linear);
}

template <typename T>
void linear_activation_forward(T* A, T* Z, const T* W, const T* A_prev, const T* b, int n, int n_prev, int m,
                               Activation activation) {
  gemm(CblasNoTrans, CblasNoTrans, n, m, n_prev, T(1), W, n, A_prev, n_prev, T(0), Z, n);
  bias_activation_forward(A, Z, b, n, m, activation);
}

template <typename T>
void sum_columns(T* __restrict db, const T* __restrict dZ, int n, int m, T scale) {
  const size_t rows = static_cast<size_t>(n);
  // Accumulate in double whatever T is: a float32 sum over thousands of examples would lose digits.
  constexpr int kBlock = 256;
  double acc[kBlock];
  for (size_t i0 = 0; i0 < rows; i0 += kBlock) {
    const size_t len = rows - i0 < kBlock ? rows - i0 : kBlock;
    for (size_t i = 0; i < len; ++i) acc[i] = 0.0;
    for (int j = 0; j < m; ++j) {
      const T* col = dZ + rows * j + i0;
      for (size_t i = 0; i < len; ++i) acc[i] += col[i];
    }
    for (size_t i = 0; i < len; ++i) db[i0 + i] = static_cast<T>(scale * acc[i]);
  }
}

template <typename T>
void linear_backward(T* dA_prev, T* dW, T* db, const T* dZ, const T* A_prev, const T* W, int n, int n_prev, int m) {
  const T inv_m = T(1) / T(m);
  gemm(CblasNoTrans, CblasTrans, n, n_prev, m, inv_m, dZ, n, A_prev, n_prev, T(0), dW, n);
  sum_columns(db, dZ, n, m, inv_m);
  if (dA_prev != nullptr) gemm(CblasTrans, CblasNoTrans, n_prev, m, n, T(1), W, n, dZ, n, T(0), dA_prev, n_prev);
}

#define DNN_INSTANTIATE(T)                                                                                     \
  template void linear_forward<T>(T*, const T*, const T*, const T*, int, int, int);                            \
  template void linear_activation_forward<T>(T*, T*, const T*, const T*, const T*, int, int, int, Activation); \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, int, int, int);                   \
  template void sum_columns<T>(T*, const T*, int, int, T);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
