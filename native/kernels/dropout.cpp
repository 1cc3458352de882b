#include "dropout.hpp"

namespace dnn {

template <typename T>
void dropout_forward(T* A, T* D, int n, int m, T keep_prob, NumpyRandomState& rng) {
  const size_t rows = static_cast<size_t>(n);
  for (size_t i = 0; i < rows; ++i)
    for (int j = 0; j < m; ++j) D[i + rows * j] = rng.next_double() < static_cast<double>(keep_prob) ? T(1) : T(0);
  const size_t len = rows * static_cast<size_t>(m);
  for (size_t k = 0; k < len; ++k) A[k] = A[k] * D[k] / keep_prob;
}

template <typename T>
void dropout_backward_from_output(T* __restrict dZ, const T* __restrict A, const T* __restrict D, size_t len,
                                  T keep_prob, Activation activation) {
  for (size_t k = 0; k < len; ++k) dZ[k] = dZ[k] * D[k] / keep_prob;
  switch (activation) {
    case Activation::Relu:
    case Activation::LeakyRelu:
    case Activation::Linear:
    case Activation::Softmax:
      // the sign of the output is unchanged by the positive scale 1 / keep_prob
      activation_backward_from_output(dZ, A, len, activation);
      break;
    case Activation::Sigmoid:
      for (size_t k = 0; k < len; ++k) {
        const T a = A[k] * keep_prob;
        dZ[k] = dZ[k] * a * (T(1) - a);
      }
      break;
    case Activation::Tanh:
      for (size_t k = 0; k < len; ++k) {
        const T a = A[k] * keep_prob;
        dZ[k] = dZ[k] * (T(1) - a * a);
      }
      break;
  }
}

#define DNN_INSTANTIATE(T)                                                  \
  template void dropout_forward<T>(T*, T*, int, int, T, NumpyRandomState&); \
  template void dropout_backward_from_output<T>(T*, const T*, const T*, size_t, T, Activation);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
