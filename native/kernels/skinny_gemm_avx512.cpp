// The skinny GEMM kernel (shapes in skinny_gemm.hpp) for AVX-512 (F + VL), compiled with -mavx512f -mavx512vl -mfma:
// 32 vector registers, 512-bit zmm or 256-bit ymm, whichever wastes fewer lanes on m rows (m = 20 float32: three
// ymm hold 24 lanes where two zmm would hold 32). Only called after cpuid and xgetbv said AVX-512 is usable.
#include <immintrin.h>

#include <type_traits>  // the kernel's std::integral_constant (no code of its own)

#include "skinny_gemm.hpp"

namespace dnn::skinny {
namespace avx512 {
namespace {

constexpr int kRegisters = 32;

#include "simd_ymm.inc"

template <typename T, int Bytes>
struct Simd;
template <>
struct Simd<double, 64> {
  using T = double;
  using R = __m512d;
  static constexpr int width = 8;
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  using Mask = __mmask8;
  static Mask mask_first(int rows) { return static_cast<Mask>((1u << rows) - 1); }
  static R load_first(const T* p, Mask rows) { return _mm512_maskz_loadu_pd(rows, p); }
  static void store(T* p, R r) { _mm512_storeu_pd(p, r); }
  static R broadcast(T s) { return _mm512_set1_pd(s); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
};
template <>
struct Simd<float, 64> {
  using T = float;
  using R = __m512;
  static constexpr int width = 16;
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  using Mask = __mmask16;
  static Mask mask_first(int rows) { return static_cast<Mask>((1u << rows) - 1); }
  static R load_first(const T* p, Mask rows) { return _mm512_maskz_loadu_ps(rows, p); }
  static void store(T* p, R r) { _mm512_storeu_ps(p, r); }
  static R broadcast(T s) { return _mm512_set1_ps(s); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
};
template <>
struct Simd<double, 32> : Ymm<double> {};
template <>
struct Simd<float, 32> : Ymm<float> {};

#include "skinny_gemm_kernel.inc"

// padding lanes when m rows fill vectors of `bytes`
template <typename T>
int lanes_wasted(int m, int bytes) {
  const int width = bytes / static_cast<int>(sizeof(T));
  return (m + width - 1) / width * width - m;
}

// Bytes of one row of op(B) a column block reads per step p, with m rows in registers of `bytes`.
template <typename T>
int block_row_bytes(int m, int bytes) {
  const int width = bytes / static_cast<int>(sizeof(T));
  return columns_per_block((m + width - 1) / width) * static_cast<int>(sizeof(T));
}

template <typename T>
bool run(const SkinnyGemm<T>& g, int j_begin, int j_end) {
  if (!accepts(g, max_rows<Simd<T, 32>>())) return false;
  // With op(B) = Bᵀ (dW = dZ·Xᵀ) each step p reads a new cache line of B, far from the last: a block that uses all of
  // it beats full lanes (float64 m = 20: three zmm and 8 columns, 64 bytes, against five ymm and 5 columns, 40 bytes;
  // 2.9 against 3.3 ms for W2's dW1 at 1 thread, measured back to back).
  const bool whole_lines = g.b_row_step != 1 && block_row_bytes<T>(g.m, 32) < 64 && block_row_bytes<T>(g.m, 64) >= 64;
  if (whole_lines || lanes_wasted<T>(g.m, 64) <= lanes_wasted<T>(g.m, 32) || g.m > max_rows<Simd<T, 32>>())
    return run_vectors<Simd<T, 64>>(g, j_begin, j_end);
  return run_vectors<Simd<T, 32>>(g, j_begin, j_end);
}

}  // namespace
}  // namespace avx512

bool gemm_avx512(const SkinnyGemm<float>& g, int j_begin, int j_end) { return avx512::run(g, j_begin, j_end); }
bool gemm_avx512(const SkinnyGemm<double>& g, int j_begin, int j_end) { return avx512::run(g, j_begin, j_end); }

}  // namespace dnn::skinny
