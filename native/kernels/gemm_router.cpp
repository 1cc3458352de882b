#include "gemm_router.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "blas.hpp"
#include "skinny_gemm.hpp"
#include "thread_pool.hpp"

namespace dnn {
namespace {

// Below this many multiply-adds a split's wake-up (tens of microseconds on a busy machine) costs more than it saves.
constexpr double kSplitMinMultiplyAdds = 1 << 21;
constexpr int kSkinnyMinInner = 16, kSkinnyMinColumns = 16;
// Below this many multiply-adds OpenBLAS's small-matrix path is as fast (measured: 10 x 128 x 128, W5's last layer).
constexpr double kSkinnyMinMultiplyAdds = kGemmRouteMinMultiplyAdds;
// With beta != 0 the kernel needs k in one packed panel (at least 512 columns whatever m).
constexpr int kSkinnyOnePanelInner = 512;
// Below this share of useful vector lanes (m rows padded to whole registers) OpenBLAS wins.
constexpr double kSkinnyMinLaneUse = 0.6;
// Parts get equal column counts, not rounded to a multiple of anything: rounding W2's 209 columns up to 8 gave one
// thread 112 columns and the other 97, and the step waits for the slower. No part gets fewer than this many columns
// (each part packs the whole panel of A again), so narrow products use fewer parts.
constexpr int kSplitMinColumnsPerPart = 8;

bool unit_dimension_route(GemmRoute route, int m, int n, int k) {
  if (route == GemmRoute::Gemv) return (m == 1 && n > 1 && k > 1) || (n == 1 && m > 1 && k > 1);
  if (route == GemmRoute::Ger) return k == 1 && m > 1 && n > 1;
  return false;
}

template <typename T>
void blas_route(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
                const T* b, int ldb, T beta, T* c, int ldc) {
  blas::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <typename T>
struct SkinnySplit {
  const SkinnyGemm<T>* gemm;
  Isa isa;
  int columns_per_part;
};

template <typename T>
void skinny_part(void* context, int part) {
  const SkinnySplit<T>& split = *static_cast<const SkinnySplit<T>*>(context);
  const int n = split.gemm->n;
  const int begin = part * split.columns_per_part;
  const int end = begin + split.columns_per_part < n ? begin + split.columns_per_part : n;
  if (begin < end) skinny_gemm(split.isa, *split.gemm, begin, end);
}

template <typename T>
bool skinny_route(Isa isa, int parts, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha,
                  const T* a, int lda, const T* b, int ldb, T beta, T* c, int ldc) {
  SkinnyGemm<T> g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.alpha = alpha;
  g.beta = beta;
  g.a = a;
  g.a_row_step = trans_a == CblasNoTrans ? 1 : lda;
  g.a_col_step = trans_a == CblasNoTrans ? lda : 1;
  g.b = b;
  g.b_row_step = trans_b == CblasNoTrans ? 1 : ldb;
  g.b_col_step = trans_b == CblasNoTrans ? ldb : 1;
  g.c = c;
  g.ldc = ldc;
  if (parts <= 1 || n < 2 * kSplitMinColumnsPerPart) return skinny_gemm(isa, g, 0, n);
  // check once that the kernel takes the product (nothing written when it does not)
  if (!skinny_gemm(isa, g, 0, 0)) return false;
  const int usable = parts < n / kSplitMinColumnsPerPart ? parts : n / kSplitMinColumnsPerPart;
  const int per_part = (n + usable - 1) / usable;
  SkinnySplit<T> split{&g, isa, per_part};
  run_parts((n + per_part - 1) / per_part, &skinny_part<T>, &split);
  return true;
}

}  // namespace

const char* gemm_route_name(GemmRoute route) {
  switch (route) {
    case GemmRoute::Gemv:
      return "gemv";
    case GemmRoute::Ger:
      return "ger";
    case GemmRoute::Skinny:
      return "skinny";
    case GemmRoute::Blas:
      break;
  }
  return "blas";
}

int gemm_threads() { return openblas_get_num_threads(); }

namespace {
GemmOverride read_override() {
  GemmOverride config;
  const char* route = std::getenv("DNN_NATIVE_GEMM");
  const char* parts = std::getenv("DNN_NATIVE_GEMM_PARTS");
  if (route != nullptr && *route != '\0') {
    config.route_text = route;
    if (std::strcmp(route, "blas") == 0) {
      config.forced = true;
      config.route = GemmRoute::Blas;
    } else if (std::strcmp(route, "skinny") == 0) {
      config.forced = true;
      config.route = GemmRoute::Skinny;
    } else if (std::strcmp(route, "auto") != 0) {
      config.valid = false;
    }
  }
  if (parts != nullptr && *parts != '\0') {
    config.parts_text = parts;
    char* end = nullptr;
    const long value = std::strtol(parts, &end, 10);
    if (*end != '\0' || value < 1 || value > 64)
      config.valid = false;
    else
      config.parts = static_cast<int>(value);
  }
  if (!config.valid) {
    config.forced = false;
    config.parts = 0;
  }
  return config;
}
}  // namespace

const GemmOverride& gemm_override() {
  static const GemmOverride config = read_override();  // once per process
  return config;
}

template <typename T>
GemmPlan plan_gemm(CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int m, int n, int k, bool beta_is_zero, int threads) {
  GemmPlan plan;
  plan.isa = active_isa();
  if (unit_dimension_route(GemmRoute::Gemv, m, n, k)) {
    plan.route = GemmRoute::Gemv;
  } else if (unit_dimension_route(GemmRoute::Ger, m, n, k)) {
    plan.route = GemmRoute::Ger;
  } else if (plan.isa != Isa::Generic && m <= skinny_max_rows<T>() && k >= kSkinnyMinInner && n >= kSkinnyMinColumns &&
             static_cast<double>(m) * n * k >= kSkinnyMinMultiplyAdds && (beta_is_zero || k <= kSkinnyOnePanelInner) &&
             skinny_lane_use(plan.isa, m, sizeof(T)) >= kSkinnyMinLaneUse) {
    plan.route = GemmRoute::Skinny;
    const double multiply_adds = static_cast<double>(m) * n * k;
    if (threads > 1 && multiply_adds >= kSplitMinMultiplyAdds && n >= 2 * kSplitMinColumnsPerPart) plan.parts = threads;
  }
  return plan;
}

template <typename T>
GemmRoute gemm_with_plan(const GemmPlan& plan, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k,
                         T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c, int ldc) {
  if (m <= 0 || n <= 0) return GemmRoute::Blas;
  switch (plan.route) {
    case GemmRoute::Gemv:
      if (!unit_dimension_route(GemmRoute::Gemv, m, n, k)) break;
      blas::gemv_product(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return GemmRoute::Gemv;
    case GemmRoute::Ger:
      if (!unit_dimension_route(GemmRoute::Ger, m, n, k)) break;
      blas::ger_product(trans_a, trans_b, m, n, alpha, a, lda, b, ldb, beta, c, ldc);
      return GemmRoute::Ger;
    case GemmRoute::Skinny:
      if (skinny_route(plan.isa, plan.parts, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
        return GemmRoute::Skinny;
      break;
    case GemmRoute::Blas:
      break;
  }
  blas_route(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return GemmRoute::Blas;
}

const bool gemm_small_products_to_blas = !gemm_override().forced && gemm_override().parts == 0;

template <typename T>
void gemm_routed(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n, int k, T alpha, const T* a, int lda,
                 const T* b, int ldb, T beta, T* c, int ldc) {
  const GemmOverride& forced = gemm_override();
  const int threads = gemm_threads();
  GemmPlan plan = plan_gemm<T>(trans_a, trans_b, m, n, k, beta == T(0), threads);
  if (forced.forced && plan.route != GemmRoute::Gemv && plan.route != GemmRoute::Ger) {
    plan.route = forced.route;
    if (plan.route == GemmRoute::Skinny && plan.parts == 1) plan.parts = threads;
  }
  if (forced.parts > 0) plan.parts = forced.parts;
  gemm_with_plan(plan, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#define DNN_INSTANTIATE(T)                                                                                            \
  template GemmPlan plan_gemm<T>(CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, bool, int);                         \
  template GemmRoute gemm_with_plan<T>(const GemmPlan&, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, T, const T*, \
                                       int, const T*, int, T, T*, int);                                               \
  template void gemm_routed<T>(CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, T, const T*, int, const T*, int, T,   \
                               T*, int);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
