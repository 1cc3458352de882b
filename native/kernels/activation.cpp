#include "activation.hpp"

#include <cmath>

namespace dnn {
namespace {

// The tutorial's sigmoid, 1 / (1 + exp(-z)): no NaN for any finite z (exp overflows to inf, giving 0).
template <typename T>
inline T sigmoid(T z) {
  return T(1) / (T(1) + std::exp(-z));
}

// max(z, 0) that lets NaN through (as numpy's maximum does), so a NaN input surfaces as a NaN cost instead of
// being silently zeroed while it corrupts the weights.
template <typename T>
inline T relu(T z) {
  return !(z <= T(0)) ? z : T(0);
}

// z > 0 (or NaN): 1, else the slope. Multiplying by it, always, is exact (z · 1 = z) and gives slope · z otherwise;
// a multiply done only on one branch would not vectorise (the compiler may not run it where the source does not).
template <typename T>
inline T leaky_relu_scale(T z) {
  return std::islessequal(z, T(0)) ? T(kLeakyReluSlope) : T(1);
}

template <typename T>
inline T leaky_relu(T z) {
  return z * leaky_relu_scale(z);
}

template <typename T>
inline T apply(Activation activation, T z) {
  switch (activation) {
    case Activation::Relu:
      return relu(z);
    case Activation::Sigmoid:
      return sigmoid(z);
    case Activation::Tanh:
      return std::tanh(z);
    case Activation::LeakyRelu:
      return leaky_relu(z);
    default:
      return z;
  }
}

}  // namespace

template <typename T>
void activation_forward(T* A, const T* Z, size_t len, Activation activation) {
  switch (activation) {
    case Activation::Linear:
    case Activation::Softmax:  // rejected by the binding; kept total for safety
      if (A != Z)
        for (size_t i = 0; i < len; ++i) A[i] = Z[i];
      break;
    case Activation::Relu:
      for (size_t i = 0; i < len; ++i) A[i] = relu(Z[i]);
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < len; ++i) A[i] = sigmoid(Z[i]);
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < len; ++i) A[i] = std::tanh(Z[i]);
      break;
    case Activation::LeakyRelu:
      for (size_t i = 0; i < len; ++i) A[i] = leaky_relu(Z[i]);
      break;
  }
}

template <typename T>
void activation_backward(T* __restrict dZ, const T* __restrict dA, const T* __restrict Z, size_t len,
                         Activation activation) {
  switch (activation) {
    case Activation::Linear:
    case Activation::Softmax:
      for (size_t i = 0; i < len; ++i) dZ[i] = dA[i];
      break;
    case Activation::Relu:
      // The tutorial's rule, dZ[Z <= 0] = 0: a NaN in Z keeps dA, as numpy's masking does.
      for (size_t i = 0; i < len; ++i) dZ[i] = !(Z[i] <= T(0)) ? dA[i] : T(0);
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < len; ++i) {
        const T s = sigmoid(Z[i]);
        dZ[i] = dA[i] * s * (T(1) - s);
      }
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < len; ++i) {
        const T t = std::tanh(Z[i]);
        dZ[i] = dA[i] * (T(1) - t * t);
      }
      break;
    case Activation::LeakyRelu:
      for (size_t i = 0; i < len; ++i) dZ[i] = dA[i] * leaky_relu_scale(Z[i]);
      break;
  }
}

template <typename T>
void activation_backward_from_output(T* __restrict dZ, const T* __restrict A, size_t len, Activation activation) {
  switch (activation) {
    case Activation::Linear:
    case Activation::Softmax:
      break;
    case Activation::Relu:
      for (size_t i = 0; i < len; ++i) dZ[i] = !(A[i] <= T(0)) ? dZ[i] : T(0);
      break;
    case Activation::Sigmoid:
      for (size_t i = 0; i < len; ++i) dZ[i] = dZ[i] * A[i] * (T(1) - A[i]);
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < len; ++i) dZ[i] = dZ[i] * (T(1) - A[i] * A[i]);
      break;
    case Activation::LeakyRelu:
      // leaky relu keeps the sign of z, so A > 0 exactly where z > 0
      for (size_t i = 0; i < len; ++i) dZ[i] = dZ[i] * leaky_relu_scale(A[i]);
      break;
  }
}

template <typename T>
void softmax_forward(T* A, const T* Z, int n, int m) {
  const size_t rows = static_cast<size_t>(n);
  for (int j = 0; j < m; ++j) {
    const T* z = Z + rows * j;
    T* a = A + rows * j;
    T max = z[0];
    for (size_t i = 1; i < rows; ++i) max = z[i] > max ? z[i] : max;
    double sum = 0.0;
    for (size_t i = 0; i < rows; ++i) {
      a[i] = std::exp(z[i] - max);
      sum += a[i];
    }
    const T scale = static_cast<T>(1.0 / sum);
    for (size_t i = 0; i < rows; ++i) a[i] *= scale;
  }
}

// z += b, then a = g(z), for one column; g inlined (a separate loop per activation lets relu and leaky relu
// vectorise, where a switch inside the loop would not)
template <typename T, typename G>
inline void add_bias_then(T* a, T* z, const T* b, size_t rows, G g) {
  for (size_t i = 0; i < rows; ++i) {
    const T v = z[i] + b[i];
    z[i] = v;
    a[i] = g(v);
  }
}

template <typename T>
void bias_activation_forward(T* A, T* Z, const T* b, int n, int m, Activation activation) {
  const size_t rows = static_cast<size_t>(n);
  for (int j = 0; j < m; ++j) {
    T* z = Z + rows * j;
    T* a = A + rows * j;
    switch (activation) {
      case Activation::Linear:
      case Activation::Softmax:
        add_bias_then(a, z, b, rows, [](T v) { return v; });
        break;
      case Activation::Relu:
        add_bias_then(a, z, b, rows, [](T v) { return relu(v); });
        break;
      case Activation::LeakyRelu:
        add_bias_then(a, z, b, rows, [](T v) { return leaky_relu(v); });
        break;
      default:
        add_bias_then(a, z, b, rows, [activation](T v) { return apply(activation, v); });
        break;
    }
  }
  if (activation == Activation::Softmax) softmax_forward(A, Z, n, m);
}

#define DNN_INSTANTIATE(T)                                                            \
  template void activation_forward<T>(T*, const T*, size_t, Activation);              \
  template void activation_backward<T>(T*, const T*, const T*, size_t, Activation);   \
  template void activation_backward_from_output<T>(T*, const T*, size_t, Activation); \
  template void bias_activation_forward<T>(T*, T*, const T*, int, int, Activation);   \
  template void softmax_forward<T>(T*, const T*, int, int);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
