#include "dropout.hpp"

namespace dnn {

template <typename T>
void dropout_forward(T* A, T* D, int n, int m, T keep_prob, NumpyRandomState& rng) {
  const size_t rows = static_cast<size_t>(n);
  const size_t len = rows * static_cast<size_t>(m);
  // The draws in bulk, a chunk at a time: u = x / 2^53 with x an integer, so u < keep ⟺ x < keep · 2^53, exactly.
  constexpr size_t kChunk = 256;
  uint32_t bits[2 * kChunk];
  T kept[kChunk];
  const double threshold = static_cast<double>(keep_prob) * 9007199254740992.0;
  size_t i = 0, j = 0;  // the draws fill D row by row, as np.random.rand(n, m)
  for (size_t done = 0; done < len;) {
    const size_t count = len - done < kChunk ? len - done : kChunk;
    rng.fill_uint32(bits, 2 * count);
    for (size_t t = 0; t < count; ++t) {
      const double x = (bits[2 * t] >> 5) * 67108864.0 + (bits[2 * t + 1] >> 6);
      kept[t] = x < threshold ? T(1) : T(0);
    }
    for (size_t t = 0; t < count; ++t) {
      D[i + rows * j] = kept[t];
      if (++j == static_cast<size_t>(m)) {
        j = 0;
        ++i;
      }
    }
    done += count;
  }
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
