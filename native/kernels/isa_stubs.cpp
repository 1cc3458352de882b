// Non-x86 builds: the AVX2 / AVX-512 entry points exist (so the dispatch compiles) but are never called, since
// cpu_features reports only the generic instruction set there. The Adam ones still compute, with the baseline loop.
#include <cstddef>

#include "skinny_gemm.hpp"
#include "update_isa.hpp"

namespace dnn {
namespace skinny {
bool gemm_avx2(const SkinnyGemm<float>&, int, int) { return false; }
bool gemm_avx2(const SkinnyGemm<double>&, int, int) { return false; }
bool gemm_avx512(const SkinnyGemm<float>&, int, int) { return false; }
bool gemm_avx512(const SkinnyGemm<double>&, int, int) { return false; }
}  // namespace skinny

namespace update_isa {
namespace {
#include "adam_kernel.inc"
}  // namespace

#define DNN_DEFINE_ADAM_STUB(suffix, T)                                                                             \
  void adam_##suffix(T* next, const T* param, const T* grad, T* v, T* s, size_t len, T lr, T beta1, T beta2, T eps, \
                     T correction1, T correction2) {                                                                \
    adam_loop(next, param, grad, v, s, len, lr, beta1, beta2, eps, correction1, correction2);                       \
  }
DNN_DEFINE_ADAM_STUB(avx2, float)
DNN_DEFINE_ADAM_STUB(avx2, double)
DNN_DEFINE_ADAM_STUB(avx512, float)
DNN_DEFINE_ADAM_STUB(avx512, double)
#undef DNN_DEFINE_ADAM_STUB
}  // namespace update_isa
}  // namespace dnn
