// The GEMM router behind dnn::gemm (blas.hpp): for each product it picks the route by shape and thread count.
//
//   blas    cblas_?gemm as is (OpenBLAS's own threads); the default for everything not below
//   gemv    one row or one column of C: a matrix-vector product (a unit-dimension dgemm runs at 0.35 GFLOP/s)
//   ger     a unit inner dimension: an outer product
//   skinny  few rows of C (m <= 32 float64, 64 float32) against n, k >= 16 and at least 2^20 multiply-adds: the own
//           kernel (skinny_gemm.hpp) on the active ISA (not generic), its columns split over the thread pool from
//           2^21 multiply-adds
//
// Every route gives the same result run after run at a given thread count; skinny's result does not even depend on
// the thread count.
//
// For tests and for users who need it, two variables, read once, force the route of every product:
// DNN_NATIVE_GEMM=auto|blas|skinny (a product the forced route cannot take runs as blas; gemv and ger stay for unit
// dimensions) and DNN_NATIVE_GEMM_PARTS=1..64 (skinny's split, default: the thread count). The kernels' ISA follows
// DNN_NATIVE_ISA (cpu_features.hpp).
#pragma once
#include <cblas.h>

#include "cpu_features.hpp"

namespace dnn {

enum class GemmRoute : int { Blas = 0, Gemv = 1, Ger = 2, Skinny = 3 };
constexpr int kGemmRouteCount = 4;
const char* gemm_route_name(GemmRoute route);

struct GemmPlan {
  GemmRoute route = GemmRoute::Blas;
  Isa isa = Isa::Generic;  // skinny's kernel
  int parts = 1;           // skinny's column split over the thread pool
};

// The route dnn::gemm takes for this product with `threads` threads (OpenBLAS's count) on the active ISA.
template <typename T>
GemmPlan plan_gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, bool beta_is_zero,
                   int threads);

// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C by the given plan; a plan that cannot run this product
// (gemv without a unit dimension, skinny with too many rows, an ISA this CPU lacks) runs as blas. Returns the route
// that ran.
template <typename T>
GemmRoute gemm_with_plan(const GemmPlan& plan, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k,
                         T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c, int ldc);

// The thread count the router plans for: OpenBLAS's (setNumThreads).
int gemm_threads();

struct GemmOverride {
  const char* route_text = nullptr;  // DNN_NATIVE_GEMM as set, or null
  const char* parts_text = nullptr;  // DNN_NATIVE_GEMM_PARTS as set, or null
  bool valid = true;                 // false: one of them names nothing known (the router then ignores both)
  bool forced = false;               // a route other than auto is forced
  GemmRoute route = GemmRoute::Blas;
  int parts = 0;  // 0: the plan's own split
};
const GemmOverride& gemm_override();

}  // namespace dnn
