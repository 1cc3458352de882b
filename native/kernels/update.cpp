#include "update.hpp"

#include <cmath>

#include "cpu_features.hpp"
#include "gemm_router.hpp"
#include "thread_pool.hpp"
#include "update_isa.hpp"

namespace dnn {
namespace update_isa {
namespace generic {
namespace {
#include "adam_kernel.inc"
}  // namespace
}  // namespace generic
}  // namespace update_isa

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
void momentum_update_into(T* next, const T* param, const T* __restrict grad, const T* velocity, T* velocity_out,
                          size_t len, T learning_rate, T beta) {
  const T one_minus_beta = T(1) - beta;
  // element by element; buffers the same (in place) or disjoint, as in adam_kernel.inc
#pragma GCC ivdep
  for (size_t i = 0; i < len; ++i) {
    const T v = beta * velocity[i] + one_minus_beta * grad[i];
    velocity_out[i] = v;
    next[i] = param[i] - learning_rate * v;
  }
}

namespace {

template <typename T>
void adam_on_isa(T* next, const T* param, const T* grad, const T* v, const T* s, T* v_out, T* s_out, size_t len,
                 T learning_rate, T beta1, T beta2, T epsilon, T correction1, T correction2) {
  // The same loop in every build (adam_kernel.inc), the widest the CPU has: the same bits, 4x the lanes with AVX-512.
  switch (active_isa()) {
    case Isa::Avx512:
      update_isa::adam_avx512(next, param, grad, v, s, v_out, s_out, len, learning_rate, beta1, beta2, epsilon,
                              correction1, correction2);
      return;
    case Isa::Avx2:
      update_isa::adam_avx2(next, param, grad, v, s, v_out, s_out, len, learning_rate, beta1, beta2, epsilon,
                            correction1, correction2);
      return;
    case Isa::Generic:
      break;
  }
  update_isa::generic::adam_loop(next, param, grad, v, s, v_out, s_out, len, learning_rate, beta1, beta2, epsilon,
                                 correction1, correction2);
}

// Below this many parameters one thread is done before a helper wakes up.
constexpr size_t kAdamSplitMin = size_t(1) << 16;
constexpr size_t kAdamSplitAlign = 64;  // whole cache lines per part

template <typename T>
struct AdamSplit {
  T* next;
  const T* param;
  const T* grad;
  const T *v, *s;
  T *v_out, *s_out;
  size_t len, per_part;
  T learning_rate, beta1, beta2, epsilon, correction1, correction2;
};

template <typename T>
void adam_part(void* context, int part) {
  const AdamSplit<T>& a = *static_cast<const AdamSplit<T>*>(context);
  const size_t begin = static_cast<size_t>(part) * a.per_part;
  if (begin >= a.len) return;
  const size_t count = a.len - begin < a.per_part ? a.len - begin : a.per_part;
  adam_on_isa(a.next + begin, a.param + begin, a.grad + begin, a.v + begin, a.s + begin, a.v_out + begin,
              a.s_out + begin, count, a.learning_rate, a.beta1, a.beta2, a.epsilon, a.correction1, a.correction2);
}

}  // namespace

template <typename T>
void adam_update_into(T* next, const T* param, const T* __restrict grad, const T* v, const T* s, T* v_out, T* s_out,
                      size_t len, T learning_rate, T beta1, T beta2, T epsilon, int64_t t) {
  // The bias corrections as numpy computes them: 1 - beta**t in double, then divided in T.
  const T correction1 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t)));
  const T correction2 = static_cast<T>(1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t)));
  const int threads = gemm_threads();
  if (threads <= 1 || len < kAdamSplitMin) {
    adam_on_isa(next, param, grad, v, s, v_out, s_out, len, learning_rate, beta1, beta2, epsilon, correction1,
                correction2);
    return;
  }
  // Element by element, so the split over the thread pool (OpenBLAS's count, idle between the GEMMs) changes no bit.
  size_t per_part = (len + threads - 1) / threads;
  per_part = (per_part + kAdamSplitAlign - 1) / kAdamSplitAlign * kAdamSplitAlign;
  AdamSplit<T> split{next,     param,         grad,  v,     s,       v_out,       s_out,      len,
                     per_part, learning_rate, beta1, beta2, epsilon, correction1, correction2};
  run_parts(static_cast<int>((len + per_part - 1) / per_part), &adam_part<T>, &split);
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

// Columns ahead of the one being copied whose lines are prefetched: a shuffled batch's columns are scattered over
// the whole data set, so each one starts with a trip to memory that the hardware prefetcher cannot foresee; asking
// for the next ones early overlaps those trips (60,000 MNIST-shaped float32 columns in batches of 128: an epoch of
// gathers 42 -> 29.5 ms).
constexpr size_t kGatherColumnsAhead = 4;

template <typename T>
void gather_columns(T* __restrict out, const T* __restrict X, int n, const uint32_t* indices, size_t count) {
  const size_t rows = static_cast<size_t>(n);
  constexpr size_t kLine = 64 / sizeof(T);
  const auto prefetch_column = [&](size_t j) {
    const T* column = X + rows * indices[j];
    for (size_t i = 0; i < rows; i += kLine) __builtin_prefetch(column + i);
  };
  for (size_t j = 0; j < kGatherColumnsAhead && j < count; ++j) prefetch_column(j);
  for (size_t j = 0; j < count; ++j) {
    if (j + kGatherColumnsAhead < count) prefetch_column(j + kGatherColumnsAhead);
    const T* column = X + rows * indices[j];
    T* target = out + rows * j;
    for (size_t i = 0; i < rows; ++i) target[i] = column[i];
  }
}

#define DNN_INSTANTIATE(T)                                                                                            \
  template void sgd_update<T>(T*, const T*, size_t, T);                                                               \
  template void sgd_update_into<T>(T*, const T*, const T*, size_t, T);                                                \
  template void momentum_update_into<T>(T*, const T*, const T*, const T*, T*, size_t, T, T);                          \
  template void adam_update_into<T>(T*, const T*, const T*, const T*, const T*, T*, T*, size_t, T, T, T, T, int64_t); \
  template void add_scaled<T>(T*, const T*, size_t, T);                                                               \
  template double sum_of_squares<T>(const T*, size_t);                                                                \
  template void gather_columns<T>(T*, const T*, int, const uint32_t*, size_t);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
