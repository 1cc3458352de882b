// Module entry: registers the kernels, Network, RandomState and the BLAS controls. Context-aware (no global
// JavaScript state), so it loads in worker threads.
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

// parameterCount(layerDims) and workspaceLength(layerDims, capacity): the sizes Network expects, so the lib
// and the kernels agree on one layout.
std::vector<int> layer_dims(const Args& args, const Napi::Value& value) {
  if (!value.IsArray())
    args.type_error("layerDims must be an array of positive integers, got " + Args::describe(value));
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() < 2) args.range_error("layerDims needs at least 2 entries, got " + std::to_string(array.Length()));
  std::vector<int> dims;
  for (uint32_t i = 0; i < array.Length(); ++i)
    dims.push_back(args.dimension_of(array.Get(i), "layerDims[" + std::to_string(i) + "]"));
  return dims;
}

// One of a network's checked sizes: layerDims, and a capacity unless the size is the parameter count.
template <size_t NetworkSizes::*Field>
Napi::Value NetworkSize(const Napi::CallbackInfo& info, const char* function) {
  Args args(info, function);
  const bool per_capacity = Field != &NetworkSizes::params;
  args.require_count(per_capacity ? 2 : 1);
  const std::vector<int> dims = layer_dims(args, info[0]);
  const int capacity = per_capacity ? args.dimension(1, "capacity") : 1;
  return Napi::Number::New(info.Env(), static_cast<double>(checked_network_sizes(args, dims, capacity).*Field));
}

Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
  return NetworkSize<&NetworkSizes::params>(info, "parameterCount");
}
Napi::Value WorkspaceLength(const Napi::CallbackInfo& info) {
  return NetworkSize<&NetworkSizes::workspace>(info, "workspaceLength");
}
Napi::Value MaskLength(const Napi::CallbackInfo& info) { return NetworkSize<&NetworkSizes::masks>(info, "maskLength"); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  check_kernel_settings(env);
  RegisterKernels(env, exports);
  RegisterNetwork(env, exports);
  RegisterRandom(env, exports);
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("parameterCount", Napi::Function::New(env, ParameterCount, "parameterCount"));
  exports.Set("workspaceLength", Napi::Function::New(env, WorkspaceLength, "workspaceLength"));
  exports.Set("maskLength", Napi::Function::New(env, MaskLength, "maskLength"));
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
