// The skinny GEMM kernel (shapes in skinny_gemm.hpp) in plain C++ for any CPU: GCC/Clang vector extensions of 32
// bytes, which the compiler lowers to the baseline instruction set (two SSE2 or NEON operations each); a multiply
// then an add, no fused multiply-add. Also the reference the tests hold the other kernels to. Holds the dispatch.
#include <type_traits>  // the kernel's std::integral_constant (no code of its own)

#include "skinny_gemm.hpp"

namespace dnn {
namespace skinny {
namespace generic {
namespace {

constexpr int kRegisters = 8;  // 32-byte values in 16 128-bit registers

template <typename Element>
struct Simd {
  using T = Element;
  typedef T R __attribute__((vector_size(32)));
  static constexpr int width = static_cast<int>(32 / sizeof(T));
  static R load(const T* p) {
    R r;
    __builtin_memcpy(&r, p, sizeof r);
    return r;
  }
  using Mask = int;
  static Mask mask_first(int rows) { return rows; }
  static R load_first(const T* p, Mask rows) {
    R r{};
    for (int i = 0; i < rows; ++i) r[i] = p[i];
    return r;
  }
  static void store(T* p, R r) { __builtin_memcpy(p, &r, sizeof r); }
  static R broadcast(T s) { return R{} + s; }
  static R fma(R a, R b, R c) { return a * b + c; }
};

#include "skinny_gemm_kernel.inc"

template <typename T>
bool run(const SkinnyGemm<T>& g, int j_begin, int j_end) {
  return accepts(g, max_rows<Simd<T>>()) && run_vectors<Simd<T>>(g, j_begin, j_end);
}

}  // namespace
}  // namespace generic

bool gemm_generic(const SkinnyGemm<float>& g, int j_begin, int j_end) { return generic::run(g, j_begin, j_end); }
bool gemm_generic(const SkinnyGemm<double>& g, int j_begin, int j_end) { return generic::run(g, j_begin, j_end); }

}  // namespace skinny

namespace {
template <typename T>
bool dispatch(Isa isa, const SkinnyGemm<T>& g, int j_begin, int j_end) {
  if (!isa_supported(isa)) return false;
  switch (isa) {
    case Isa::Avx512:
      return skinny::gemm_avx512(g, j_begin, j_end);
    case Isa::Avx2:
      return skinny::gemm_avx2(g, j_begin, j_end);
    case Isa::Generic:
      break;
  }
  return skinny::gemm_generic(g, j_begin, j_end);
}

int padded_rows(int m, int width) { return (m + width - 1) / width * width; }
}  // namespace

bool skinny_gemm(Isa isa, const SkinnyGemm<float>& g, int j_begin, int j_end) {
  return dispatch(isa, g, j_begin, j_end);
}
bool skinny_gemm(Isa isa, const SkinnyGemm<double>& g, int j_begin, int j_end) {
  return dispatch(isa, g, j_begin, j_end);
}

double skinny_lane_use(Isa isa, int m, size_t element_size) {
  const int narrow = static_cast<int>(32 / element_size), wide = static_cast<int>(64 / element_size);
  int padded = padded_rows(m, narrow);
  if (isa == Isa::Avx512 && padded_rows(m, wide) <= padded) padded = padded_rows(m, wide);
  return padded > 0 ? static_cast<double>(m) / padded : 0.0;
}

}  // namespace dnn
