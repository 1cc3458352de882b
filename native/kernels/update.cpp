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
bool all_finite(const T* x, size_t len) {
  // x - x is 0 for finite x and NaN for inf or NaN; summing keeps the loop branch-free and vectorisable.
  T acc = T(0);
  for (size_t i = 0; i < len; ++i) acc += x[i] - x[i];
  return acc == T(0);
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

#define DNN_INSTANTIATE(T)                                                        \
  template void sgd_update<T>(T*, const T*, size_t, T);                           \
  template void sgd_update_into<T>(T*, const T*, const T*, size_t, T);            \
  template bool all_finite<T>(const T*, size_t);                                  \
  template void gather_columns<T>(T*, const T*, int, const uint32_t*, size_t);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
