// The skinny GEMM kernel (shapes in skinny_gemm.hpp) for AVX2 + FMA, compiled with -mavx2 -mfma: 16 ymm registers.
// Only called after cpuid and xgetbv said AVX2 and FMA are usable.
#include <immintrin.h>

#include "skinny_gemm.hpp"

namespace dnn::skinny {
namespace avx2 {
namespace {

constexpr int kRegisters = 16;

template <typename T>
struct Simd;
template <>
struct Simd<double> {
  using T = double;
  using R = __m256d;
  static constexpr int width = 4;
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, R r) { _mm256_storeu_pd(p, r); }
  static R broadcast(T s) { return _mm256_set1_pd(s); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
};
template <>
struct Simd<float> {
  using T = float;
  using R = __m256;
  static constexpr int width = 8;
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, R r) { _mm256_storeu_ps(p, r); }
  static R broadcast(T s) { return _mm256_set1_ps(s); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
};

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
