// Adam's update loop (adam_kernel.inc) for AVX-512 (-mavx512f -mavx512vl, 512-bit vectors preferred). Called only when
// cpu_features says the CPU and OS support it; the same bits as the baseline build.
#include <cstddef>

#include "update_isa.hpp"

namespace dnn::update_isa {
namespace avx512 {
namespace {
#include "adam_kernel.inc"
}  // namespace
}  // namespace avx512

void adam_avx512(float* next, const float* param, const float* grad, float* v, float* s, size_t len, float lr,
                 float beta1, float beta2, float epsilon, float correction1, float correction2) {
  avx512::adam_loop(next, param, grad, v, s, len, lr, beta1, beta2, epsilon, correction1, correction2);
}
void adam_avx512(double* next, const double* param, const double* grad, double* v, double* s, size_t len, double lr,
                 double beta1, double beta2, double epsilon, double correction1, double correction2) {
  avx512::adam_loop(next, param, grad, v, s, len, lr, beta1, beta2, epsilon, correction1, correction2);
}

}  // namespace dnn::update_isa
