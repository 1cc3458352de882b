#include "update.hpp"

#include <cmath>

namespace dnn {

template <typename T>
void sgd_update(T* __restrict param, const T* __restrict grad, size_t len, T learning_rate) {
  for (size_t i = 0; i < len; ++i) param[i] = param[i] - learning_rate * grad[i];
}

template <typename T>
void sgd_update_into(T* __restrict next, const T* __restrict param, const T* __restrict grad, size_t len,
                     T learning_rate) {
  for (size_t i = 0; i < len; ++i) next[i] = param[i] - learning_rate * grad[i];
}

template <typename T>
void momentum_update_into(T* next, const T* param, const T* __restrict grad, T* __restrict velocity, size_t len,
                          T learning_rate, T beta) {
  const T one_minus_beta = T(1) - beta;
  for (size_t i = 0; i < len; ++i) {
    velocity[i] = beta * velocity[i] + one_minus_beta * grad[i];
    next[i] = param[i] - learning_rate * velocity[i];
  }
}

template <typename T>
void adam_update_into(T* next, const T* param, const T* __restrict grad, T* __restrict v, T* __restrict s, size_t len,
                      T learning_rate, T beta1, T beta2, T epsilon, int64_t t) {
  // The bias corrections as numpy computes them: 1 - beta**t in double, then divided in T.
  const T correction1 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t)));
  const T correction2 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t)));
  const T one_minus_beta1 = T(1) - beta1, one_minus_beta2 = T(1) - beta2;
  for (size_t i = 0; i < len; ++i) {
    const T g = grad[i];
    v[i] = beta1 * v[i] + one_minus_beta1 * g;
    s[i] = beta2 * s[i] + one_minus_beta2 * (g * g);
    const T v_corrected = v[i] / correction1;
    const T s_corrected = s[i] / correction2;
    next[i] = param[i] - learning_rate * v_corrected / (std::sqrt(s_corrected) + epsilon);
  }
}

template <typename T>
void add_scaled(T* __restrict y, const T* __restrict x, size_t len, T alpha) {
  for (size_t i = 0; i < len; ++i) y[i] += alpha * x[i];
}

template <typename T>
double sum_of_squares(const T* x, size_t len) {
  double sum = 0.0;
  for (size_t i = 0; i < len; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

template <typename T>
void gather_columns(T* __restrict out, const T* __restrict X, int n, const uint32_t* indices, size_t count) {
  const size_t rows = static_cast<size_t>(n);
  for (size_t j = 0; j < count; ++j) {
    const T* column = X + rows * indices[j];
    T* target = out + rows * j;
    for (size_t i = 0; i < rows; ++i) target[i] = column[i];
  }
}

#define DNN_INSTANTIATE(T)                                                                        \
  template void sgd_update<T>(T*, const T*, size_t, T);                                           \
  template void sgd_update_into<T>(T*, const T*, const T*, size_t, T);                            \
  template void momentum_update_into<T>(T*, const T*, const T*, T*, size_t, T, T);                \
  template void adam_update_into<T>(T*, const T*, const T*, T*, T*, size_t, T, T, T, T, int64_t); \
  template void add_scaled<T>(T*, const T*, size_t, T);                                           \
  template double sum_of_squares<T>(const T*, size_t);                                            \
  template void gather_columns<T>(T*, const T*, int, const uint32_t*, size_t);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
