// Module entry: registers the kernels, Network (with its sizes and layout), RandomState and the BLAS controls.
// Context-aware (no global JavaScript state), so it loads in worker threads.
#include <cblas.h>

#include <cstdio>
#include <mutex>
#include <string>

#include "args.hpp"
#include "cpu_features.hpp"
#include "gemm_router.hpp"
#include "kernels_binding.hpp"
#include "network.hpp"

namespace dnn::binding {
namespace {

std::string isa_list(bool only_supported) {
  std::string text;
  for (int i = kIsaCount - 1; i >= 0; --i)
    if (!only_supported || isa_supported(static_cast<Isa>(i)))
      text += std::string(text.empty() ? "" : ", ") + isa_name(static_cast<Isa>(i));
  return text;
}

// The own kernels beside OpenBLAS: { isa, detected, supported, requestedIsa, route, parts } (gemm_router.hpp)
Napi::Object OwnKernels(Napi::Env env) {
  const IsaConfig& isa = isa_config();
  const GemmOverride& gemm = gemm_override();
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("isa", isa_name(isa.active));
  kernels.Set("detected", isa_name(isa.detected));
  Napi::Array supported = Napi::Array::New(env);
  for (int i = kIsaCount - 1; i >= 0; --i)
    if (isa_supported(static_cast<Isa>(i))) supported.Set(supported.Length(), isa_name(static_cast<Isa>(i)));
  kernels.Set("supported", supported);
  kernels.Set("requestedIsa", isa.requested ? Napi::Value(Napi::String::New(env, isa.requested)) : env.Null());
  kernels.Set("route", gemm.forced ? gemm_route_name(gemm.route) : "auto");
  kernels.Set("parts", gemm.parts > 0 ? Napi::Value(Napi::Number::New(env, gemm.parts)) : env.Null());
  return kernels;
}

// Refuses a DNN_NATIVE_ISA / DNN_NATIVE_GEMM / DNN_NATIVE_GEMM_PARTS that names nothing known (loading the addon
// throws); warns once per process when the forced ISA cannot run here and the detected one is used instead.
void check_kernel_settings(Napi::Env env) {
  const IsaConfig& isa = isa_config();
  if (!isa.valid)
    throw Napi::Error::New(env, std::string("dnn-native: DNN_NATIVE_ISA=") + isa.requested + " is not one of " +
                                    isa_list(false) + "; unset it to use what the CPU supports");
  const GemmOverride& gemm = gemm_override();
  if (!gemm.valid)
    throw Napi::Error::New(env, std::string("dnn-native: DNN_NATIVE_GEMM=") + (gemm.route_text ? gemm.route_text : "") +
                                    " / DNN_NATIVE_GEMM_PARTS=" + (gemm.parts_text ? gemm.parts_text : "") +
                                    ": the route must be auto, blas or skinny and the parts an integer from 1 to 64");
  if (isa.forced_unsupported) {
    static std::once_flag warned;
    std::call_once(warned, [&] {
      std::fprintf(stderr,
                   "dnn-native: DNN_NATIVE_ISA=%s, but this CPU (or OS) does not support it (it has %s); using %s\n",
                   isa.requested, isa_list(true).c_str(), isa_name(isa.active));
    });
  }
}

// blasInfo() -> { library, config, coreName, numThreads, numProcessors, parallel, kernels }
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("library", "OpenBLAS");
  result.Set("config", std::string(openblas_get_config()));
  result.Set("coreName", std::string(openblas_get_corename()));
  result.Set("numThreads", openblas_get_num_threads());
  result.Set("numProcessors", openblas_get_num_procs());
  // 0: sequential build, 1: pthreads, 2: OpenMP
  static const char* const kParallel[] = {"sequential", "pthreads", "openmp"};
  const int parallel = openblas_get_parallel();
  result.Set("parallel", parallel >= 0 && parallel <= 2 ? kParallel[parallel] : "unknown");
  result.Set("kernels", OwnKernels(env));
  return result;
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}

// setNumThreads(n): OpenBLAS's thread count for every following BLAS call in the process
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setNumThreads");
  args.require_count(1);
  const int n = args.dimension(0, "n");
  if (n > 1024) args.range_error("n must be at most 1024, got " + std::to_string(n));
  openblas_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  check_kernel_settings(env);
  RegisterKernels(env, exports);
  RegisterNetwork(env, exports);
  RegisterRandom(env, exports);
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  Napi::Object activation = Napi::Object::New(env);
  activation.Set("linear", static_cast<int>(Activation::Linear));
  activation.Set("relu", static_cast<int>(Activation::Relu));
  activation.Set("sigmoid", static_cast<int>(Activation::Sigmoid));
  activation.Set("tanh", static_cast<int>(Activation::Tanh));
  activation.Set("leakyRelu", static_cast<int>(Activation::LeakyRelu));
  activation.Set("softmax", static_cast<int>(Activation::Softmax));
  exports.Set("Activation", activation);
  Napi::Object optimizer = Napi::Object::New(env);
  optimizer.Set("gradientDescent", static_cast<int>(Optimizer::GradientDescent));
  optimizer.Set("momentum", static_cast<int>(Optimizer::Momentum));
  optimizer.Set("adam", static_cast<int>(Optimizer::Adam));
  exports.Set("Optimizer", optimizer);
  return exports;
}

}  // namespace
}  // namespace dnn::binding

static Napi::Object InitDnnNative(Napi::Env env, Napi::Object exports) { return dnn::binding::Init(env, exports); }

NODE_API_MODULE(dnn_native, InitDnnNative)
