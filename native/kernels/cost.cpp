#include "cost.hpp"

#include <cmath>

namespace dnn {

template <typename T>
double binary_cross_entropy(const T* AL, const T* Y, int n, int m) {
  const size_t len = static_cast<size_t>(n) * static_cast<size_t>(m);
  double sum = 0.0;
  for (size_t i = 0; i < len; ++i) {
    const double y = Y[i], a = AL[i];
    if (y != 0.0) sum += y * std::log(a);
    if (y != 1.0) sum += (1.0 - y) * std::log(1.0 - a);
  }
  return -sum / m;
}

template <typename T>
double binary_cross_entropy_from_logits(const T* Z, const T* Y, int n, int m) {
  const size_t len = static_cast<size_t>(n) * static_cast<size_t>(m);
  double sum = 0.0;
  for (size_t i = 0; i < len; ++i) {
    const double z = Z[i], y = Y[i];
    sum += (z > 0.0 ? z : 0.0) - y * z + std::log1p(std::exp(-std::fabs(z)));
  }
  return sum / m;
}

template <typename T>
double categorical_cross_entropy(const T* AL, const T* Y, int n, int m) {
  const size_t len = static_cast<size_t>(n) * static_cast<size_t>(m);
  double sum = 0.0;
  for (size_t i = 0; i < len; ++i)
    if (Y[i] != T(0)) sum += static_cast<double>(Y[i]) * std::log(static_cast<double>(AL[i]));
  return -sum / m;
}

template <typename T>
double categorical_cross_entropy_from_logits(const T* Z, const T* Y, int n, int m) {
  const size_t rows = static_cast<size_t>(n);
  double sum = 0.0;
  for (int j = 0; j < m; ++j) {
    const T* z = Z + rows * j;
    const T* y = Y + rows * j;
    double max = z[0];
    for (size_t i = 1; i < rows; ++i) max = z[i] > max ? static_cast<double>(z[i]) : max;
    double exps = 0.0, label_mass = 0.0, dot = 0.0;
    for (size_t i = 0; i < rows; ++i) {
      exps += std::exp(static_cast<double>(z[i]) - max);
      label_mass += y[i];
      if (y[i] != T(0)) dot += static_cast<double>(y[i]) * z[i];
    }
    sum += label_mass * (max + std::log(exps)) - dot;
  }
  return sum / m;
}

template <typename T>
void binary_cross_entropy_backward(T* __restrict dAL, const T* __restrict AL, const T* __restrict Y, size_t len) {
  for (size_t i = 0; i < len; ++i) dAL[i] = -(Y[i] / AL[i] - (T(1) - Y[i]) / (T(1) - AL[i]));
}

template <typename T>
void sigmoid_cross_entropy_backward(T* __restrict dZ, const T* __restrict AL, const T* __restrict Y, size_t len) {
  for (size_t i = 0; i < len; ++i) dZ[i] = AL[i] - Y[i];
}

template <typename T>
double half_squared_error(const T* AL, const T* Y, int n, int m) {
  const size_t len = static_cast<size_t>(n) * static_cast<size_t>(m);
  double sum = 0.0;
  for (size_t i = 0; i < len; ++i) {
    const double d = static_cast<double>(AL[i]) - static_cast<double>(Y[i]);
    sum += d * d;
  }
  return sum / (2.0 * m);
}

#define DNN_INSTANTIATE(T)                                                                \
  template double binary_cross_entropy<T>(const T*, const T*, int, int);                  \
  template double binary_cross_entropy_from_logits<T>(const T*, const T*, int, int);      \
  template double categorical_cross_entropy<T>(const T*, const T*, int, int);             \
  template double categorical_cross_entropy_from_logits<T>(const T*, const T*, int, int); \
  template double half_squared_error<T>(const T*, const T*, int, int);                    \
  template void binary_cross_entropy_backward<T>(T*, const T*, const T*, size_t);         \
  template void sigmoid_cross_entropy_backward<T>(T*, const T*, const T*, size_t);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
