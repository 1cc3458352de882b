// The skinny GEMM kernel (shapes in skinny_gemm.hpp) for AVX2 + FMA, compiled with -mavx2 -mfma: 16 ymm registers.
// Only called after cpuid and xgetbv said AVX2 and FMA are usable.
#include <immintrin.h>

#include <type_traits>  // the kernel's std::integral_constant (no code of its own)

#include "skinny_gemm.hpp"

namespace dnn::skinny {
namespace avx2 {
namespace {

constexpr int kRegisters = 16;

#include "simd_ymm.inc"
template <typename T>
using Simd = Ymm<T>;

#include "skinny_gemm_kernel.inc"

template <typename T>
bool run(const SkinnyGemm<T>& g, int j_begin, int j_end) {
  return accepts(g, max_rows<Simd<T>>()) && run_vectors<Simd<T>>(g, j_begin, j_end);
}

}  // namespace
}  // namespace avx2

bool gemm_avx2(const SkinnyGemm<float>& g, int j_begin, int j_end) { return avx2::run(g, j_begin, j_end); }
bool gemm_avx2(const SkinnyGemm<double>& g, int j_begin, int j_end) { return avx2::run(g, j_begin, j_end); }

}  // namespace dnn::skinny
