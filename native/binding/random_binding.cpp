// N-API glue for class RandomState (numpy's legacy RandomState, native/kernels/random.hpp).
#include "args.hpp"
#include "kernels_binding.hpp"
#include "random.hpp"

namespace dnn::binding {
namespace {

class RandomStateWrap : public Napi::ObjectWrap<RandomStateWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RandomState",
                       {InstanceMethod<&RandomStateWrap::StandardNormal>("standardNormal"),
                        InstanceMethod<&RandomStateWrap::Uniform>("uniform"),
                        InstanceMethod<&RandomStateWrap::Shuffle>("shuffle"),
                        InstanceMethod<&RandomStateWrap::Seed>("seed")});
  }

  // new RandomState(seed): np.random.seed(seed), 0 <= seed < 2^32
  explicit RandomStateWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RandomStateWrap>(info), state_(0) {
    Args args(info, "new RandomState");
    state_.reseed(seed_argument(args, info, 0));
  }

 private:
  static uint32_t seed_argument(const Args& args, const Napi::CallbackInfo& info, size_t index) {
    args.require_count(index + 1);
    if (!info[index].IsNumber()) args.type_error("seed must be an integer from 0 to 4294967295, got " + Args::describe(info[index]));
    const double seed = info[index].As<Napi::Number>().DoubleValue();
    if (!(seed >= 0 && seed <= 4294967295.0) || seed != static_cast<double>(static_cast<uint64_t>(seed)))
      args.range_error("seed must be an integer from 0 to 4294967295, got " + Args::number_text(seed));
    return static_cast<uint32_t>(seed);
  }

  Napi::Value Seed(const Napi::CallbackInfo& info) {
    Args args(info, "RandomState.seed");
    state_.reseed(seed_argument(args, info, 0));
    return info.Env().Undefined();
  }

  static double* float64_output(const Args& args, size_t* length) {
    args.require_count(1);
    const FloatArray out = args.float_array(0, "out");
    if (out.dtype != DType::Float64) args.type_error("out must be a Float64Array (numpy draws float64), got Float32Array");
    *length = out.length;
    return out.as<double>();
  }

  // standardNormal(out: Float64Array): out = randn(out.length), in order
  Napi::Value StandardNormal(const Napi::CallbackInfo& info) {
    Args args(info, "RandomState.standardNormal");
    size_t length = 0;
    double* out = float64_output(args, &length);
    state_.fill_standard_normal(out, length);
    return info.Env().Undefined();
  }

  // uniform(out: Float64Array): out = rand(out.length), in order
  Napi::Value Uniform(const Napi::CallbackInfo& info) {
    Args args(info, "RandomState.uniform");
    size_t length = 0;
    double* out = float64_output(args, &length);
    state_.fill_uniform(out, length);
    return info.Env().Undefined();
  }

  // shuffle(values: Uint32Array): numpy's legacy shuffle, in place
  Napi::Value Shuffle(const Napi::CallbackInfo& info) {
    Args args(info, "RandomState.shuffle");
    args.require_count(1);
    const auto [values, length] = args.uint32_array(0, "values");
    state_.shuffle(values, length);
    return info.Env().Undefined();
  }

  NumpyRandomState state_;
};

}  // namespace

void RegisterRandom(Napi::Env env, Napi::Object exports) { exports.Set("RandomState", RandomStateWrap::Define(env)); }

}  // namespace dnn::binding
