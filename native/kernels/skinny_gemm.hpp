// The own GEMM kernel for a skinny product: C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C with few
// rows m (at most skinny_max_rows<T>(): 32 float64, 64 float32) against a long n or k, as the cat network's first
// layer makes them: Z1 = W1 · X (20 x 209 x 12288) and dW1 = dZ1 · Xᵀ (20 x 12288 x 209).
//
// Why own code: OpenBLAS packs the big operand on every call and splits these shapes badly across threads.
// Here a whole column of C (all m rows, in vector registers) is built from broadcasts of B against a packed
// panel of A, so B is read once, in place, and the columns of C split across threads with no reduction.
//
// Every element of C is the same sequence of operations whatever the column range, the blocking or the
// thread count, so a result never depends on the split; the AVX2 and AVX-512 kernels use the same fused
// multiply-adds in the same order (bit-identical), the generic one a multiply then an add.
#pragma once
#include <cstddef>

#include "cpu_features.hpp"

namespace dnn {

template <typename T>
struct SkinnyGemm {
  int m = 0, n = 0, k = 0;
  T alpha = T(1), beta = T(0);
  // element (i, p) of op(A) is a[i * a_row_step + p * a_col_step]; (p, j) of op(B) is b[p * b_row_step + j *
  // b_col_step]
  const T* a = nullptr;
  ptrdiff_t a_row_step = 0, a_col_step = 0;
  const T* b = nullptr;
  ptrdiff_t b_row_step = 0, b_col_step = 0;
  T* c = nullptr;  // column-major, leading dimension ldc
  int ldc = 0;
};

template <typename T>
constexpr int skinny_max_rows() {
  return static_cast<int>(256 / sizeof(T));
}

// Columns [j_begin, j_end) of C. False (nothing written) when m > skinny_max_rows<T>() or when beta != 0 with a k
// too long for one panel (the kernel keeps partial sums in C).
bool skinny_gemm(Isa isa, const SkinnyGemm<float>& g, int j_begin, int j_end);
bool skinny_gemm(Isa isa, const SkinnyGemm<double>& g, int j_begin, int j_end);

// Fraction of the vector lanes that hold rows of C (1 when m fills whole vectors) for the kernel `isa` uses.
double skinny_lane_use(Isa isa, int m, size_t element_size);

// Per-ISA entry points, each compiled with its own instruction-set flags.
namespace skinny {
bool gemm_generic(const SkinnyGemm<float>& g, int j_begin, int j_end);
bool gemm_generic(const SkinnyGemm<double>& g, int j_begin, int j_end);
bool gemm_avx2(const SkinnyGemm<float>& g, int j_begin, int j_end);
bool gemm_avx2(const SkinnyGemm<double>& g, int j_begin, int j_end);
bool gemm_avx512(const SkinnyGemm<float>& g, int j_begin, int j_end);
bool gemm_avx512(const SkinnyGemm<double>& g, int j_begin, int j_end);
}  // namespace skinny

}  // namespace dnn
