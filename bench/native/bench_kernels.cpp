// Native benchmark of dnn-native's kernels against the raw BLAS ceiling, as plain C++ (no Node, no N-API).
//
// For float64 and float32 and the four workloads of the benchmark issue it measures, in one process:
//   (a) the ceiling: cblas_dgemm / cblas_sgemm called directly on the exact GEMMs a training iteration does
//       (per layer l: forward Z = W·A_prev, dW = dZ·A_prevᵀ, and dA_prev = Wᵀ·dZ for l >= 2), and their sum,
//       the ideal GEMM time of one iteration;
//   (b) the kernels (linear_forward, linear_activation_forward, linear_backward with and without dA_prev) as
//       GFLOP/s and % of the ceiling for the same shapes, plus the element-wise passes (bias + activation,
//       activation backward, dZ_L = AL - Y, column sums, cost, update) as time and GB/s;
//   (c) the whole network_train_step per iteration (forward + cost + backward + update, parameters double
//       buffered as the Model does), with its phases timed separately.
// Every time is the median over timed repeats after a warm-up; a repeat runs enough calls to last a few ms.
//
// Usage: dnn_bench_kernels [--quick] [--json <path>|-] [--threads N] [--only W1,W2] [--dtype float64|float32]
//                          [--sections ceiling,kernels,step] [--profile-step N]
//   --profile-step N   runs only N training steps per workload and dtype, timing nothing: for perf record or
//                      valgrind --tool=callgrind.
//   --json -   prints the JSON on stdout and the markdown on stderr.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "activation.hpp"
#include "blas.hpp"
#include "cost.hpp"
#include "dropout.hpp"
#include "gemm_router.hpp"
#include "linear.hpp"
#include "network.hpp"
#include "update.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- options

struct Options {
  bool quick = false;
  std::string json_path;          // empty: no JSON; "-": stdout
  int threads = 0;                // 0: leave OpenBLAS's own choice
  std::vector<std::string> only;  // workload names; empty: all
  std::vector<std::string> dtypes = {"float64", "float32"};
  bool ceiling = true, kernels = true, step = true;
  double sample_seconds = 0.02;  // a timed repeat lasts at least this long
  int repeats = 7;               // timed repeats per measurement
  double warmup_seconds = 0.02;
  int profile_iterations = 0;  // > 0: only run the step that many times (for a profiler)
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ','))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(
      stderr,
      "dnn_bench_kernels: %s\nusage: dnn_bench_kernels [--quick] [--json <path>|-] [--threads N] "
      "[--only W1,W2,W3,W4,W5] [--dtype float64|float32] [--sections ceiling,kernels,step] [--profile-step N]\n",
      message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--json") {
      options.json_path = value();
    } else if (arg == "--threads") {
      options.threads = std::atoi(value().c_str());
      if (options.threads < 1) usage_error("--threads must be a positive integer");
    } else if (arg == "--only") {
      options.only = split_list(value());
    } else if (arg == "--dtype") {
      options.dtypes = split_list(value());
      for (const auto& d : options.dtypes)
        if (d != "float64" && d != "float32") usage_error("unknown dtype " + d);
    } else if (arg == "--sections") {
      const auto sections = split_list(value());
      options.ceiling = options.kernels = options.step = false;
      for (const auto& s : sections) {
        if (s == "ceiling")
          options.ceiling = true;
        else if (s == "kernels")
          options.kernels = true;
        else if (s == "step")
          options.step = true;
        else
          usage_error("unknown section " + s);
      }
    } else if (arg == "--profile-step") {
      options.profile_iterations = std::atoi(value().c_str());
      if (options.profile_iterations < 1) usage_error("--profile-step needs a positive iteration count");
    } else if (arg == "--help" || arg == "-h") {
      usage_error("help");
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (options.quick) {
    options.sample_seconds = 0.005;
    options.repeats = 3;
    options.warmup_seconds = 0.005;
  }
  return options;
}

// ---------------------------------------------------------------- timing

struct Timing {
  double median = 0;  // seconds per call
  double min = 0;
  int calls_per_repeat = 0;
  int repeats = 0;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Warm up (caches, OpenBLAS's thread pool) and return the time of one call, estimated from a batch long enough
// for the clock (tiny calls) or from the last warm-up call (calls longer than a millisecond).
double warm_up(const Options& options, const std::function<void()>& call) {
  const auto warm_start = Clock::now();
  double one_call = 0;
  int warm_calls = 0;
  do {
    const auto t0 = Clock::now();
    call();
    one_call = seconds_since(t0);
    ++warm_calls;
  } while (one_call < options.sample_seconds && (warm_calls < 2 || seconds_since(warm_start) < options.warmup_seconds));
  if (one_call > 1e-3) return one_call;
  for (int probe = 4;; probe *= 4) {
    const auto t0 = Clock::now();
    for (int i = 0; i < probe; ++i) call();
    const double elapsed = seconds_since(t0);
    if (elapsed > 1e-3 || probe >= (1 << 20)) return elapsed / probe;
  }
}

int calls_per_repeat(const Options& options, double one_call) {
  return std::max(1, static_cast<int>(std::ceil(options.sample_seconds / std::max(one_call, 1e-9))));
}

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double time_calls(const std::function<void()>& call, int calls) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) call();
  return seconds_since(t0) / calls;
}

Timing timing_of(const std::vector<double>& per_call, int calls) {
  Timing timing;
  timing.median = median_of(per_call);
  timing.min = *std::min_element(per_call.begin(), per_call.end());
  timing.calls_per_repeat = calls;
  timing.repeats = static_cast<int>(per_call.size());
  return timing;
}

// Pick a call count so one repeat lasts options.sample_seconds, then time the repeats; median and minimum per call.
Timing measure(const Options& options, const std::function<void()>& call, int repeats_override = 0) {
  const int calls = calls_per_repeat(options, warm_up(options, call));
  const int repeats = repeats_override > 0 ? repeats_override : options.repeats;
  std::vector<double> per_call(repeats);
  for (int r = 0; r < repeats; ++r) per_call[r] = time_calls(call, calls);
  return timing_of(per_call, calls);
}

// Two things timed in alternation, repeat by repeat, so that a load from elsewhere on a shared machine hits both
// alike; `ratio` is the median over repeats of time(a) / time(b), measured seconds apart.
struct Paired {
  Timing a, b;
  double ratio = 0;
};

// OpenBLAS's workers spin (yielding) for up to 2^28 TSC ticks, about 0.1 s, after a threaded call: long enough to
// take the core a split route's helper needs for the first part of its timed block. A pause this long between the
// blocks lets them sleep, as they do in a training step where no threaded OpenBLAS call comes just before a split.
constexpr auto kOpenblasSpinSettle = std::chrono::milliseconds(150);

Paired measure_paired(const Options& options, const std::function<void()>& a, const std::function<void()>& b,
                      int repeats_override = 0, bool settle_between = false) {
  const int calls_a = calls_per_repeat(options, warm_up(options, a));
  const int calls_b = calls_per_repeat(options, warm_up(options, b));
  const int repeats = repeats_override > 0 ? repeats_override : options.repeats;
  std::vector<double> per_call_a(repeats), per_call_b(repeats), ratios(repeats);
  for (int r = 0; r < repeats; ++r) {
    per_call_a[r] = time_calls(a, calls_a);
    if (settle_between) std::this_thread::sleep_for(kOpenblasSpinSettle);
    per_call_b[r] = time_calls(b, calls_b);
    ratios[r] = per_call_a[r] / per_call_b[r];
  }
  return {timing_of(per_call_a, calls_a), timing_of(per_call_b, calls_b), median_of(ratios)};
}

// ---------------------------------------------------------------- workloads and results

struct Workload {
  std::string name;
  std::vector<int> dims;  // n_0 .. n_L
  int m;
  // the main job's mini-batch step (npm start): leaky relu, dropout keep 0.8 on hidden layers, softmax with one-hot
  // labels, Adam; otherwise relu, sigmoid, gradient descent (the tutorial's step)
  bool main_job = false;
};

const std::vector<Workload> kWorkloads = {
    {"W1", {4, 3, 2, 2, 1}, 4},         {"W2", {12288, 20, 7, 5, 1}, 209},      {"W3", {784, 128, 64, 1}, 1024},
    {"W4", {2048, 1024, 512, 1}, 2048}, {"W5", {784, 256, 128, 10}, 128, true},
};

// FLOPs of one training iteration as the benchmark counts them: forward and dW for every layer, dA_prev for
// layers 2..L (dA_0 is never computed): 2·m·(2·Σ_l n_l·n_{l-1} + Σ_{l≥2} n_l·n_{l-1}).
double iteration_flops(const Workload& w) {
  double all = 0, from_second = 0;
  for (size_t l = 1; l < w.dims.size(); ++l) {
    const double weights = static_cast<double>(w.dims[l]) * w.dims[l - 1];
    all += weights;
    if (l >= 2) from_second += weights;
  }
  return 2.0 * w.m * (2.0 * all + from_second);
}

struct Row {  // one measured thing
  std::string dtype, workload, section, name, shape;
  int layer = 0;     // 0: whole network
  double flops = 0;  // per call; 0 for passes
  double bytes = 0;  // per call, for passes (read + written once)
  Timing timing;
  double ceiling_seconds = 0;  // the raw-BLAS time of the same GEMM work, when it applies
  // step only: the iteration's GEMMs alone, called back to back on the network's own buffers, timed in
  // alternation with the step; gemm_ratio is the median of the paired ratios gemm-only / step.
  double gemm_sequence_seconds = 0;
  double gemm_ratio = 0;
  // kernels only: median of the paired ratios raw GEMM time / kernel time (timed in alternation)
  double paired_ratio = 0;
  // ceiling only: the route dnn::gemm takes (gemm_router.hpp) and plain OpenBLAS on the same product, timed in
  // alternation with it; route_speedup is the median of the paired ratios OpenBLAS time / routed time
  std::string route;
  double openblas_seconds = 0, route_speedup = 0;
};

std::string shape_text(int rows, int cols, int inner) {
  std::ostringstream s;
  s << rows << "x" << cols << "x" << inner;
  return s.str();
}

std::string dims_text(const std::vector<int>& dims) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < dims.size(); ++i) s << (i ? "," : "") << dims[i];
  s << "]";
  return s.str();
}

// ---------------------------------------------------------------- data

template <typename T>
std::vector<T> gaussian(size_t len, double scale, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<T> v(len);
  for (auto& x : v) x = static_cast<T>(scale * normal(rng));
  return v;
}

template <typename T>
std::vector<T> uniform01(size_t len, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<T> v(len);
  for (auto& x : v) x = static_cast<T>(uniform(rng));
  return v;
}

template <typename T>
std::vector<T> labels(size_t len, std::mt19937_64& rng) {
  std::bernoulli_distribution coin(0.5);
  std::vector<T> v(len);
  for (auto& x : v) x = coin(rng) ? T(1) : T(0);
  return v;
}

// Keeps a value alive so the compiler cannot drop a timed call whose result nobody reads.
volatile double g_sink = 0;

// ---------------------------------------------------------------- (a) + (b): per layer

struct LayerCeiling {
  double forward = 0, dW = 0, dA_prev = 0;  // seconds per call of the raw GEMM
};

template <typename T>
void bench_layers(const Options& options, const std::string& dtype, const Workload& w, std::vector<Row>& rows,
                  double& ceiling_total) {
  const int L = static_cast<int>(w.dims.size()) - 1;
  const int m = w.m;
  std::mt19937_64 rng(1234);
  ceiling_total = 0;
  const bool do_kernels = options.kernels && !(options.quick && w.name == "W4");
  const int big_repeats = w.name == "W4" ? (options.quick ? 3 : 5) : 0;

  for (int l = 1; l <= L; ++l) {
    const int n = w.dims[l], n_prev = w.dims[l - 1];
    const size_t n_m = static_cast<size_t>(n) * m, prev_m = static_cast<size_t>(n_prev) * m;
    const dnn::Activation g = l == L ? dnn::Activation::Sigmoid : dnn::Activation::Relu;
    auto W = gaussian<T>(static_cast<size_t>(n) * n_prev, std::sqrt(2.0 / n_prev), rng);
    auto b = gaussian<T>(n, 0.01, rng);
    auto A_prev = l == 1 ? uniform01<T>(prev_m, rng) : gaussian<T>(prev_m, 1.0, rng);
    for (auto& x : A_prev) x = x > T(0) ? x : T(0);  // a relu output (or pixels) in [0, ...)
    std::vector<T> Z(n_m), A(n_m), dW(static_cast<size_t>(n) * n_prev), db(n), dA_prev(prev_m);
    auto dZ = gaussian<T>(n_m, 0.1, rng);
    auto Y = labels<T>(n_m, rng);
    const T inv_m = T(1) / T(m);

    const double flops_forward = 2.0 * n * m * n_prev;
    const double flops_dW = 2.0 * n * n_prev * m;
    const double flops_dA = 2.0 * n_prev * m * n;
    LayerCeiling ceiling;

    auto add = [&](const std::string& section, const std::string& name, const std::string& shape, double flops,
                   double bytes, const Timing& timing, double ceiling_seconds) {
      Row row;
      row.dtype = dtype;
      row.workload = w.name;
      row.section = section;
      row.name = name;
      row.shape = shape;
      row.layer = l;
      row.flops = flops;
      row.bytes = bytes;
      row.timing = timing;
      row.ceiling_seconds = ceiling_seconds;
      rows.push_back(row);
    };

    // (a) the ceiling: the same GEMMs as linear.cpp, called straight through CBLAS.
    auto gemm_forward = [&] {
      dnn::gemm(CblasNoTrans, CblasNoTrans, n, m, n_prev, T(1), W.data(), n, A_prev.data(), n_prev, T(0), Z.data(), n);
    };
    auto gemm_dW = [&] {
      dnn::gemm(CblasNoTrans, CblasTrans, n, n_prev, m, inv_m, dZ.data(), n, A_prev.data(), n_prev, T(0), dW.data(), n);
    };
    auto gemm_dA_prev = [&] {
      dnn::gemm(CblasTrans, CblasNoTrans, n_prev, m, n, T(1), W.data(), n, dZ.data(), n, T(0), dA_prev.data(), n_prev);
    };
    // Each product as dnn::gemm routes it (the ceiling the kernels are held to), timed in alternation with plain
    // OpenBLAS on the same operands.
    auto routed = [&](const char* name, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int rows_c, int cols_c, int inner,
                      double flops, const std::function<void()>& call, const std::function<void()>& openblas) {
      const dnn::GemmPlan plan = dnn::plan_gemm<T>(ta, tb, rows_c, cols_c, inner, true, dnn::gemm_threads());
      const Paired paired = measure_paired(options, openblas, call, big_repeats, plan.parts > 1);
      if (options.ceiling) {
        add("ceiling", name, shape_text(rows_c, cols_c, inner), flops, 0, paired.b, paired.b.median);
        Row& row = rows.back();
        row.route = std::string(dnn::gemm_route_name(plan.route)) +
                    (plan.route == dnn::GemmRoute::Skinny
                         ? std::string(" ") + dnn::isa_name(plan.isa) + " x" + std::to_string(plan.parts)
                         : "");
        row.openblas_seconds = paired.a.median;
        row.route_speedup = paired.ratio;
      }
      return paired.b.median;
    };
    ceiling.forward =
        routed("gemm forward W·A_prev", CblasNoTrans, CblasNoTrans, n, m, n_prev, flops_forward, gemm_forward, [&] {
          dnn::blas::gemm(CblasNoTrans, CblasNoTrans, n, m, n_prev, T(1), W.data(), n, A_prev.data(), n_prev, T(0),
                          Z.data(), n);
        });
    ceiling.dW = routed("gemm dW = dZ·A_prevᵀ", CblasNoTrans, CblasTrans, n, n_prev, m, flops_dW, gemm_dW, [&] {
      dnn::blas::gemm(CblasNoTrans, CblasTrans, n, n_prev, m, inv_m, dZ.data(), n, A_prev.data(), n_prev, T(0),
                      dW.data(), n);
    });
    if (l >= 2)
      ceiling.dA_prev =
          routed("gemm dA_prev = Wᵀ·dZ", CblasTrans, CblasNoTrans, n_prev, m, n, flops_dA, gemm_dA_prev, [&] {
            dnn::blas::gemm(CblasTrans, CblasNoTrans, n_prev, m, n, T(1), W.data(), n, dZ.data(), n, T(0),
                            dA_prev.data(), n_prev);
          });
    ceiling_total += ceiling.forward + ceiling.dW + ceiling.dA_prev;

    if (!do_kernels) continue;
    const char* g_name = g == dnn::Activation::Relu ? "relu" : "sigmoid";
    const std::string nm = std::to_string(n) + "x" + std::to_string(m);

    // (b) the kernels over the same shapes, each timed in alternation with its raw GEMM(s): the % of ceiling is
    // the median of the paired ratios, steadier than two separate medians on a shared machine.
    auto add_paired = [&](const std::string& name, const std::string& shape, double flops,
                          const std::function<void()>& raw, const std::function<void()>& kernel) {
      const Paired paired = measure_paired(options, raw, kernel, big_repeats);
      add("kernels", name, shape, flops, 0, paired.b, paired.a.median);
      rows.back().paired_ratio = paired.ratio;
    };
    add_paired("linear_forward", shape_text(n, m, n_prev), flops_forward, gemm_forward,
               [&] { dnn::linear_forward(Z.data(), W.data(), A_prev.data(), b.data(), n, n_prev, m); });
    add_paired(std::string("linear_activation_forward ") + g_name, shape_text(n, m, n_prev), flops_forward,
               gemm_forward, [&] {
                 // hidden layers write A over Z (as network_forward does); the output layer keeps Z and A
                 T* A_out = l == L ? A.data() : Z.data();
                 dnn::linear_activation_forward(A_out, Z.data(), W.data(), A_prev.data(), b.data(), n, n_prev, m, g);
               });
    add_paired("linear_backward no dA_prev", shape_text(n, n_prev, m), flops_dW, gemm_dW, [&] {
      dnn::linear_backward<T>(nullptr, dW.data(), db.data(), dZ.data(), A_prev.data(), W.data(), n, n_prev, m);
    });
    if (l >= 2) {
      add_paired(
          "linear_backward with dA_prev", shape_text(n, n_prev, m), flops_dW + flops_dA,
          [&] {
            gemm_dW();
            gemm_dA_prev();
          },
          [&] {
            dnn::linear_backward(dA_prev.data(), dW.data(), db.data(), dZ.data(), A_prev.data(), W.data(), n, n_prev,
                                 m);
          });
    }

    // The element-wise passes: memory traffic, no GEMM. Their time is shown against the layer's GEMM ceiling.
    const double layer_gemm = ceiling.forward + ceiling.dW + ceiling.dA_prev;
    const double elem = sizeof(T);
    add("passes", std::string("bias_activation_forward ") + g_name + (l == L ? " (Z kept)" : " (in place)"), nm, 0,
        elem * (l == L ? 3.0 : 2.0) * n_m,
        measure(options,
                [&] {
                  T* A_out = l == L ? A.data() : Z.data();
                  dnn::bias_activation_forward(A_out, Z.data(), b.data(), n, m, g);
                }),
        layer_gemm);
    if (l < L) {
      // A must hold relu outputs for the mask; refill it from Z once.
      for (size_t i = 0; i < n_m; ++i) A[i] = Z[i] > T(0) ? Z[i] : T(0);
      add("passes", "activation_backward_from_output relu", nm, 0, elem * 3.0 * n_m,
          measure(options, [&] { dnn::activation_backward_from_output(dZ.data(), A.data(), n_m, g); }), layer_gemm);
      // keep dZ non-trivial for later kernels (the relu mask zeroes part of it)
      dZ = gaussian<T>(n_m, 0.1, rng);
    } else {
      dnn::activation_forward(A.data(), Z.data(), n_m, dnn::Activation::Sigmoid);
      std::vector<T> dZ_out(n_m);
      add("passes", "sigmoid_cross_entropy_backward (AL - Y)", nm, 0, elem * 3.0 * n_m,
          measure(options, [&] { dnn::sigmoid_cross_entropy_backward(dZ_out.data(), A.data(), Y.data(), n_m); }),
          layer_gemm);
      add("passes", "binary_cross_entropy_from_logits", nm, 0, elem * 2.0 * n_m,
          measure(options, [&] { g_sink = dnn::binary_cross_entropy_from_logits(Z.data(), Y.data(), n, m); }),
          layer_gemm);
    }
    add("passes", "sum_columns (db)", nm, 0, elem * (n_m + n),
        measure(options, [&] { dnn::sum_columns(db.data(), dZ.data(), n, m, inv_m); }), layer_gemm);
    const size_t param_len = static_cast<size_t>(n) * (n_prev + 1);
    std::vector<T> params(param_len, T(0.5)), next(param_len), grads(param_len, T(0.001));
    add("passes", "sgd_update_into (W, b)", std::to_string(param_len), 0, elem * 3.0 * param_len,
        measure(options, [&] { dnn::sgd_update_into(next.data(), params.data(), grads.data(), param_len, T(0.0075)); }),
        layer_gemm);
  }
}

// ---------------------------------------------------------------- (c): the whole training step

template <typename T>
void bench_step(const Options& options, const std::string& dtype, const Workload& w, double ceiling_total,
                std::vector<Row>& rows) {
  const int L = static_cast<int>(w.dims.size()) - 1;
  const int m = w.m;
  std::mt19937_64 rng(42);
  std::vector<dnn::Activation> activations(L, w.main_job ? dnn::Activation::LeakyRelu : dnn::Activation::Relu);
  activations[L - 1] = w.main_job ? dnn::Activation::Softmax : dnn::Activation::Sigmoid;
  std::vector<dnn::LayerOffsets> offsets(L);
  dnn::NetworkLayout layout;
  dnn::network_layout(w.dims.data(), L, m, offsets.data(), &layout);
  const size_t param_count = layout.parameter_count;
  std::vector<T> params[2] = {std::vector<T>(param_count), std::vector<T>(param_count)};
  {
    size_t offset = 0;  // He initialisation, b = 0: a realistic relu network whose cost stays finite
    for (int l = 1; l <= L; ++l) {
      const size_t weights = static_cast<size_t>(w.dims[l]) * w.dims[l - 1];
      auto W = gaussian<T>(weights, std::sqrt(2.0 / w.dims[l - 1]), rng);
      std::copy(W.begin(), W.end(), params[0].begin() + offset);
      offset += weights + w.dims[l];
    }
  }
  std::vector<T> grads(param_count);
  std::vector<T> workspace(layout.workspace_length);
  const auto X = uniform01<T>(static_cast<size_t>(w.dims[0]) * m, rng);
  auto Y = labels<T>(static_cast<size_t>(w.dims[L]) * m, rng);
  if (w.main_job)  // one-hot columns
    for (int j = 0; j < m; ++j)
      for (int i = 0; i < w.dims[L]; ++i) Y[static_cast<size_t>(j) * w.dims[L] + i] = i == j % w.dims[L] ? T(1) : T(0);

  dnn::NetworkView<T> net(layout);  // the view's defaults: gradient descent, no L2, no dropout (the tutorial's step)
  net.activations = activations.data();
  net.grads = grads.data();
  net.workspace = workspace.data();
  int current = 0;
  net.params = params[0].data();
  net.next_params = params[1].data();
  // the main job: dropout on the hidden layers, Adam
  std::vector<double> keep_prob(L, 1.0);
  for (int l = 0; l + 1 < L; ++l) keep_prob[l] = 0.8;
  std::vector<T> masks(layout.mask_length), velocity(param_count), squares(param_count);
  dnn::NumpyRandomState dropout_rng(1);
  int64_t adam_step = 0;
  if (w.main_job) {
    net.keep_prob = keep_prob.data();
    net.masks = masks.data();
    net.dropout_rng = &dropout_rng;
    net.optimizer = dnn::Optimizer::Adam;
    net.velocity = velocity.data();
    net.squares = squares.data();
    net.adam_step = &adam_step;
  }
  const T learning_rate = T(w.main_job ? 1e-3 : 0.0075);
  double last_cost = 0;
  bool non_finite = false;

  const int repeats = w.name == "W4" ? (options.quick ? 3 : 5) : 0;
  // As the Model does with nextParams: the step writes the other buffer and the two swap roles.
  auto step = [&] {
    last_cost = dnn::network_train_step(net, X.data(), Y.data(), m, learning_rate);
    if (!std::isfinite(last_cost)) non_finite = true;
    current = 1 - current;
    net.params = params[current].data();
    net.next_params = params[1 - current].data();
  };
  const double flops = iteration_flops(w);

  if (options.profile_iterations > 0) {  // for perf / callgrind: the step alone, nothing timed
    const auto t0 = Clock::now();
    for (int i = 0; i < options.profile_iterations; ++i) step();
    std::fprintf(stderr, "  profile: %d steps of %s %s, %.4f ms each, cost %g\n", options.profile_iterations,
                 dtype.c_str(), w.name.c_str(), seconds_since(t0) * 1e3 / options.profile_iterations, last_cost);
    return;
  }
  auto add = [&](const std::string& name, double row_flops, const Timing& timing, double ceiling_seconds) {
    Row row;
    row.dtype = dtype;
    row.workload = w.name;
    row.section = "phase";
    row.name = name;
    row.shape = dims_text(w.dims) + " m=" + std::to_string(m);
    row.flops = row_flops;
    row.timing = timing;
    row.ceiling_seconds = ceiling_seconds;
    rows.push_back(row);
  };
  // The iteration's GEMMs and nothing else, with the step's own operands and transposes (linear.cpp's calls):
  // what the step would cost if bias, activations, cost, column sums and update were free.
  // Offsets in the flat buffers, as network.cpp lays them out: params W_l then b_l; workspace A_1..A_L, Z_L,
  // dZ_1..dZ_L, each (n_l, capacity).
  std::vector<size_t> param_offset(L + 1, 0), unit_offset(L + 1, 0);
  for (int l = 2; l <= L; ++l) {
    param_offset[l] = param_offset[l - 1] + static_cast<size_t>(w.dims[l - 1]) * (w.dims[l - 2] + 1);
    unit_offset[l] = unit_offset[l - 1] + w.dims[l - 1];
  }
  const size_t total_units = unit_offset[L] + w.dims[L];
  auto activations_of = [&](int l) { return workspace.data() + unit_offset[l] * m; };
  auto dZ_of = [&](int l) { return workspace.data() + (total_units + w.dims[L] + unit_offset[l]) * m; };
  auto gemm_only = [&] {
    for (int l = 1; l <= L; ++l) {
      const int n = w.dims[l], n_prev = w.dims[l - 1];
      const T* A_prev = l == 1 ? X.data() : activations_of(l - 1);
      dnn::gemm(CblasNoTrans, CblasNoTrans, n, m, n_prev, T(1), net.params + param_offset[l], n, A_prev, n_prev, T(0),
                activations_of(l), n);
    }
    for (int l = L; l >= 1; --l) {
      const int n = w.dims[l], n_prev = w.dims[l - 1];
      const T* A_prev = l == 1 ? X.data() : activations_of(l - 1);
      dnn::gemm(CblasNoTrans, CblasTrans, n, n_prev, m, T(1) / T(m), dZ_of(l), n, A_prev, n_prev, T(0),
                grads.data() + param_offset[l], n);
      if (l >= 2)
        dnn::gemm(CblasTrans, CblasNoTrans, n_prev, m, n, T(1), net.params + param_offset[l], n, dZ_of(l), n, T(0),
                  dZ_of(l - 1), n_prev);
    }
  };
  const Paired paired = measure_paired(options, gemm_only, step, repeats);
  if (non_finite)
    std::fprintf(stderr, "warning: %s %s: non-finite cost during the step benchmark\n", dtype.c_str(), w.name.c_str());
  g_sink = last_cost;
  {
    Row row;
    row.dtype = dtype;
    row.workload = w.name;
    row.section = "step";
    row.name = "network_train_step";
    row.shape = dims_text(w.dims) + " m=" + std::to_string(m);
    row.flops = flops;
    row.timing = paired.b;
    row.ceiling_seconds = ceiling_total;
    row.gemm_sequence_seconds = paired.a.median;
    row.gemm_ratio = paired.ratio;
    rows.push_back(row);
  }
  // A run of the step on fresh (valid) activations for the phases below.
  step();
  if (options.quick && w.name == "W4") return;

  // The phases, for where the time goes (the GEMM FLOPs split: forward 2·m·Σ n_l n_{l-1}, the rest backward).
  double forward_flops = 0;
  for (int l = 1; l <= L; ++l) forward_flops += 2.0 * m * w.dims[l] * w.dims[l - 1];
  add("network_forward", forward_flops,
      measure(
          options, [&] { dnn::network_forward(net, X.data(), m, true); }, repeats),
      0);
  add("network_cost", 0, measure(options, [&] { g_sink = dnn::network_cost(net, Y.data(), m, true); }), 0);
  add("network_backward", flops - forward_flops,
      measure(
          options, [&] { dnn::network_backward(net, X.data(), Y.data(), m, true); }, repeats),
      0);
  add(w.main_job ? "network_update (Adam)" : "network_update (gradient descent)", 0,
      measure(options, [&] { dnn::network_update(net, learning_rate); }), 0);
  if (w.main_job) {
    // the dropout masks alone (numpy's MT19937 draws, in its order): part of network_forward above
    T* A1 = workspace.data();
    add("↳ dropout masks, layer 1", 0,
        measure(options, [&] { dnn::dropout_forward(A1, masks.data(), w.dims[1], m, T(0.8), dropout_rng); }), 0);
  }
}

// A large square GEMM: the machine's peak, for reference next to the per-shape ceilings.
template <typename T>
Row bench_peak(const Options& options, const std::string& dtype) {
  const int size = options.quick ? 1024 : 2048;
  std::mt19937_64 rng(7);
  auto A = gaussian<T>(static_cast<size_t>(size) * size, 1.0, rng);
  auto B = gaussian<T>(static_cast<size_t>(size) * size, 1.0, rng);
  std::vector<T> C(static_cast<size_t>(size) * size);
  Row row;
  row.dtype = dtype;
  row.workload = "peak";
  row.section = "peak";
  row.name = "square gemm";
  row.shape = shape_text(size, size, size);
  row.flops = 2.0 * size * size * size;
  row.timing = measure(
      options,
      [&] {
        dnn::gemm(CblasNoTrans, CblasNoTrans, size, size, size, T(1), A.data(), size, B.data(), size, T(0), C.data(),
                  size);
      },
      options.quick ? 3 : 5);
  row.ceiling_seconds = row.timing.median;
  return row;
}

// ---------------------------------------------------------------- machine description

std::string fixed(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

struct Machine {
  std::string date, cpu, blas_config, blas_core, compiler;
  std::string load_average;  // /proc/loadavg at the start: other work on a shared machine skews every number
  unsigned cores = 0;
  int blas_threads = 0;
  int blas_parallel = -1;  // OpenBLAS: 0 sequential, 1 pthreads, 2 OpenMP
  std::vector<std::pair<std::string, std::string>> env;
};

Machine describe_machine() {
  Machine machine;
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  machine.date = date;
  machine.cpu = cpu_model();
  machine.cores = std::thread::hardware_concurrency();
  {
    std::ifstream loadavg("/proc/loadavg");
    double one = 0, five = 0, fifteen = 0;
    if (loadavg >> one >> five >> fifteen)
      machine.load_average = fixed(one, 2) + " " + fixed(five, 2) + " " + fixed(fifteen, 2);
  }
#if defined(OPENBLAS_VERSION)
  machine.blas_config = openblas_get_config();
  machine.blas_core = openblas_get_corename();
  machine.blas_threads = openblas_get_num_threads();
  machine.blas_parallel = openblas_get_parallel();
#else
  machine.blas_config = "non-OpenBLAS CBLAS";
#endif
#if defined(__clang__)
  machine.compiler = "clang " __VERSION__;
#elif defined(__GNUC__)
  machine.compiler = "gcc " __VERSION__;
#else
  machine.compiler = __VERSION__;
#endif
  for (const char* name : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "OPENBLAS_CORETYPE",
                           "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE"}) {
    const char* value = std::getenv(name);
    if (value != nullptr) machine.env.emplace_back(name, value);
  }
  return machine;
}

// ---------------------------------------------------------------- output

double gflops(const Row& row) { return row.flops > 0 ? row.flops / row.timing.median * 1e-9 : 0; }

std::string format_time(double seconds) {
  char text[32];
  if (seconds < 1e-6)
    std::snprintf(text, sizeof text, "%.0f ns", seconds * 1e9);
  else if (seconds < 1e-3)
    std::snprintf(text, sizeof text, "%.2f µs", seconds * 1e6);
  else
    std::snprintf(text, sizeof text, "%.3f ms", seconds * 1e3);
  return text;
}

void print_markdown(FILE* out, const Options& options, const Machine& machine, const std::vector<Row>& rows) {
  std::fprintf(out, "# dnn-native kernel benchmark (%s)\n\n", options.quick ? "quick" : "full");
  std::fprintf(out, "%s · %s · %u cores · BLAS: %s (core %s, %d threads) · %s", machine.date.c_str(),
               machine.cpu.c_str(), machine.cores, machine.blas_config.c_str(), machine.blas_core.c_str(),
               machine.blas_threads, machine.compiler.c_str());
  for (const auto& [name, value] : machine.env) std::fprintf(out, " · %s=%s", name.c_str(), value.c_str());
  if (!machine.load_average.empty()) std::fprintf(out, " · load average at start %s", machine.load_average.c_str());
  std::fprintf(out, "\n\nTimes are medians of %d repeats after warm-up (W4: 5, or 3 with --quick).\n\n",
               options.repeats);

  std::fprintf(out, "## Training step (network_train_step: forward + cost + backward + update)\n\n");
  std::fprintf(out,
               "GFLOP/s counts 2·m·(2·Σ n_l·n_{l-1} + Σ_{l≥2} n_l·n_{l-1}). 'GEMM-only' is the same iteration's "
               "GEMMs alone on the step's buffers, timed in alternation with the step ('%% of GEMM-only' is the median "
               "of the paired ratios); 'ceiling' is the sum of the per-shape raw GEMM medians below.\n\n");
  std::fprintf(out,
               "| dtype | workload | ms / iter | GFLOP/s | GEMM-only ms | %% of GEMM-only | ceiling ms | ceiling "
               "GFLOP/s | %% of ceiling |\n");
  std::fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& row : rows) {
    if (row.section != "step" || row.name != "network_train_step") continue;
    std::fprintf(out, "| %s | %s %s | %s | %s | %s | %s | %s | %s | %s |\n", row.dtype.c_str(), row.workload.c_str(),
                 row.shape.c_str(), fixed(row.timing.median * 1e3, 4).c_str(), fixed(gflops(row), 2).c_str(),
                 fixed(row.gemm_sequence_seconds * 1e3, 4).c_str(), fixed(100 * row.gemm_ratio, 1).c_str(),
                 fixed(row.ceiling_seconds * 1e3, 4).c_str(), fixed(row.flops / row.ceiling_seconds * 1e-9, 2).c_str(),
                 fixed(100 * row.ceiling_seconds / row.timing.median, 1).c_str());
  }

  std::fprintf(out,
               "\n### Phases of the step\n\n| dtype | workload | phase | time | GFLOP/s |\n|---|---|---|---:|---:|\n");
  for (const auto& row : rows) {
    if (row.section != "step" && row.section != "phase") continue;
    std::fprintf(out, "| %s | %s | %s%s | %s | %s |\n", row.dtype.c_str(), row.workload.c_str(),
                 row.section == "phase" ? "↳ " : "", row.name.c_str(), format_time(row.timing.median).c_str(),
                 row.flops > 0 ? fixed(gflops(row), 2).c_str() : "");
  }

  bool any_ceiling = false;
  for (const auto& row : rows) any_ceiling = any_ceiling || row.section == "ceiling" || row.section == "peak";
  if (any_ceiling) {
    std::fprintf(out,
                 "\n## Ceiling: each GEMM as dnn::gemm routes it (M x N x K), beside plain OpenBLAS\n\n"
                 "Route: blas (OpenBLAS as is), gemv/ger (unit dimensions), skinny <isa> x<parts> (the own kernel, its "
                 "columns split over <parts> threads). '%% of peak' is the routed GFLOP/s over this run's square GEMM; "
                 "'× OpenBLAS' the median of the paired ratios OpenBLAS time / routed time.\n\n");
    std::fprintf(
        out,
        "| dtype | workload | layer | GEMM | M x N x K | route | time | GFLOP/s | %% of peak | OpenBLAS time | "
        "× OpenBLAS |\n|---|---|---:|---|---|---|---:|---:|---:|---:|---:|\n");
    for (const auto& row : rows) {
      if (row.section != "ceiling" && row.section != "peak") continue;
      double peak = 0;
      for (const auto& p : rows)
        if (p.section == "peak" && p.dtype == row.dtype) peak = gflops(p);
      std::fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.dtype.c_str(),
                   row.workload.c_str(), row.layer ? std::to_string(row.layer).c_str() : "", row.name.c_str(),
                   row.shape.c_str(), row.route.c_str(), format_time(row.timing.median).c_str(),
                   fixed(gflops(row), 2).c_str(), peak > 0 ? fixed(100 * gflops(row) / peak, 1).c_str() : "",
                   row.openblas_seconds > 0 ? format_time(row.openblas_seconds).c_str() : "",
                   row.route_speedup > 0 ? fixed(row.route_speedup, 2).c_str() : "");
    }
  }

  bool any_kernels = false;
  for (const auto& row : rows) any_kernels = any_kernels || row.section == "kernels" || row.section == "passes";
  if (any_kernels) {
    std::fprintf(out, "\n## Kernels on the same shapes\n\n");
    std::fprintf(
        out,
        "GEMM kernels: %% of ceiling = raw GEMM time / kernel time, each kernel timed in alternation with its "
        "raw GEMM(s) (median of the paired ratios). Passes (no GEMM): GB/s counts each "
        "buffer read or written once; '%% of layer GEMM' is the pass's time over the layer's summed GEMM ceiling.\n\n");
    std::fprintf(
        out,
        "| dtype | workload | layer | kernel | shape | time | GFLOP/s | %% of ceiling | GB/s | %% of layer GEMM |\n");
    std::fprintf(out, "|---|---|---:|---|---|---:|---:|---:|---:|---:|\n");
    for (const auto& row : rows) {
      if (row.section == "kernels") {
        std::fprintf(out, "| %s | %s | %d | %s | %s | %s | %s | %s | | |\n", row.dtype.c_str(), row.workload.c_str(),
                     row.layer, row.name.c_str(), row.shape.c_str(), format_time(row.timing.median).c_str(),
                     fixed(gflops(row), 2).c_str(), fixed(100 * row.paired_ratio, 1).c_str());
      } else if (row.section == "passes") {
        std::fprintf(out, "| %s | %s | %d | %s | %s | %s | | | %s | %s |\n", row.dtype.c_str(), row.workload.c_str(),
                     row.layer, row.name.c_str(), row.shape.c_str(), format_time(row.timing.median).c_str(),
                     fixed(row.bytes / row.timing.median * 1e-9, 2).c_str(),
                     fixed(100 * row.timing.median / row.ceiling_seconds, 1).c_str());
      }
    }
  }
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
    } else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[40];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string to_json(const Options& options, const Machine& machine, const std::vector<Row>& rows) {
  std::ostringstream j;
  j << "{\n  \"benchmark\": \"dnn-native native kernels\",\n";
  j << "  \"quick\": " << (options.quick ? "true" : "false") << ",\n";
  j << "  \"repeats\": " << options.repeats << ",\n";
  j << "  \"flops_formula\": " << json_string("2*m*(2*sum_l n_l*n_{l-1} + sum_{l>=2} n_l*n_{l-1})") << ",\n";
  j << "  \"machine\": {\"date\": " << json_string(machine.date) << ", \"cpu\": " << json_string(machine.cpu)
    << ", \"cores\": " << machine.cores << ", \"load_average\": " << json_string(machine.load_average)
    << ", \"blas_config\": " << json_string(machine.blas_config)
    << ", \"blas_core\": " << json_string(machine.blas_core) << ", \"blas_threads\": " << machine.blas_threads
    << ", \"blas_parallel\": " << machine.blas_parallel << ", \"compiler\": " << json_string(machine.compiler)
    << ", \"env\": {";
  for (size_t i = 0; i < machine.env.size(); ++i)
    j << (i ? ", " : "") << json_string(machine.env[i].first) << ": " << json_string(machine.env[i].second);
  j << "}},\n  \"results\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    j << "    {\"dtype\": " << json_string(row.dtype) << ", \"workload\": " << json_string(row.workload)
      << ", \"section\": " << json_string(row.section) << ", \"name\": " << json_string(row.name)
      << ", \"layer\": " << row.layer << ", \"shape\": " << json_string(row.shape)
      << ", \"median_ms\": " << json_number(row.timing.median * 1e3)
      << ", \"min_ms\": " << json_number(row.timing.min * 1e3)
      << ", \"calls_per_repeat\": " << row.timing.calls_per_repeat << ", \"repeats\": " << row.timing.repeats;
    if (row.flops > 0) j << ", \"flops\": " << json_number(row.flops) << ", \"gflops\": " << json_number(gflops(row));
    if (!row.route.empty())
      j << ", \"route\": " << json_string(row.route) << ", \"openblas_ms\": " << json_number(row.openblas_seconds * 1e3)
        << ", \"route_speedup\": " << json_number(row.route_speedup);
    if (row.bytes > 0)
      j << ", \"bytes\": " << json_number(row.bytes)
        << ", \"gbytes_per_s\": " << json_number(row.bytes / row.timing.median * 1e-9);
    if (row.gemm_sequence_seconds > 0)
      j << ", \"gemm_only_ms\": " << json_number(row.gemm_sequence_seconds * 1e3)
        << ", \"percent_of_gemm_only\": " << json_number(100 * row.gemm_ratio);
    if (row.ceiling_seconds > 0) {
      j << ", \"ceiling_ms\": " << json_number(row.ceiling_seconds * 1e3);
      if (row.section == "passes")
        j << ", \"percent_of_layer_gemm\": " << json_number(100 * row.timing.median / row.ceiling_seconds);
      else if (row.paired_ratio > 0)
        j << ", \"percent_of_ceiling\": " << json_number(100 * row.paired_ratio);
      else
        j << ", \"percent_of_ceiling\": " << json_number(100 * row.ceiling_seconds / row.timing.median);
    }
    j << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  j << "  ]\n}\n";
  return j.str();
}

template <typename T>
void bench_dtype(const Options& options, const std::string& dtype, std::vector<Row>& rows) {
  if (options.ceiling && options.profile_iterations == 0) rows.push_back(bench_peak<T>(options, dtype));
  for (const auto& w : kWorkloads) {
    if (!options.only.empty() && std::find(options.only.begin(), options.only.end(), w.name) == options.only.end())
      continue;
    std::fprintf(stderr, "  %s %s ...\n", dtype.c_str(), w.name.c_str());
    double ceiling_total = 0;
    // The per-shape ceilings are measured even when only the step is asked for: the step's % needs them.
    if (options.profile_iterations == 0) bench_layers<T>(options, dtype, w, rows, ceiling_total);
    if (options.step) bench_step<T>(options, dtype, w, ceiling_total, rows);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
#if defined(OPENBLAS_VERSION)
  if (options.threads > 0) openblas_set_num_threads(options.threads);
#endif
  const Machine machine = describe_machine();
  std::vector<Row> rows;
  std::fprintf(stderr, "dnn_bench_kernels: %s run\n", options.quick ? "quick" : "full");
  for (const auto& dtype : options.dtypes) {
    if (dtype == "float64")
      bench_dtype<double>(options, dtype, rows);
    else
      bench_dtype<float>(options, dtype, rows);
  }
  if (options.profile_iterations > 0) return 0;
  const bool json_to_stdout = options.json_path == "-";
  print_markdown(json_to_stdout ? stderr : stdout, options, machine, rows);
  if (!options.json_path.empty()) {
    const std::string json = to_json(options, machine, rows);
    if (json_to_stdout) {
      std::fwrite(json.data(), 1, json.size(), stdout);
    } else {
      std::ofstream file(options.json_path);
      file << json;
      if (!file) {
        std::fprintf(stderr, "dnn_bench_kernels: cannot write %s\n", options.json_path.c_str());
        return 1;
      }
    }
  }
  return 0;
}
