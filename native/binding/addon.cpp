// Module entry: registers the kernels, Network (with its sizes and layout), RandomState and the BLAS controls.
// Context-aware (no global JavaScript state), so it loads in worker threads.
#include <cblas.h>

#include <string>

#include "args.hpp"
#include "kernels_binding.hpp"
#include "network.hpp"

namespace dnn::binding {
namespace {

// blasInfo() -> { library, config, coreName, numThreads, numProcessors, parallel }
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
