// N-API glue for class RandomState (numpy's legacy RandomState, native/kernels/random.hpp).
#include "args.hpp"
#include "kernels_binding.hpp"
#include "random.hpp"

namespace dnn::binding {
namespace {

class RandomStateWrap : public Napi::ObjectWrap<RandomStateWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    // Methods check their receiver's type tag before unwrapping it (see network_binding.cpp).
    Napi::Function constructor = DefineClass(env, "RandomState", {});
    Napi::Object prototype = constructor.Get("prototype").As<Napi::Object>();
    const auto method = [&](const char* name, Napi::Value (*callback)(const Napi::CallbackInfo&)) {
      return Napi::PropertyDescriptor::Function(
          env, prototype, name, callback, static_cast<napi_property_attributes>(napi_writable | napi_configurable));
    };
    prototype.DefineProperties({method("standardNormal", Checked<&RandomStateWrap::StandardNormal>),
                                method("uniform", Checked<&RandomStateWrap::Uniform>),
                                method("shuffle", Checked<&RandomStateWrap::Shuffle>),
                                method("seed", Checked<&RandomStateWrap::Seed>)});
    return constructor;
  }

  static constexpr napi_type_tag kTypeTag = {0x2c7f4e1a9b3d5e60ULL, 0x81d2c3b4a5f60718ULL};

  template <Napi::Value (RandomStateWrap::*Method)(const Napi::CallbackInfo&)>
  static Napi::Value Checked(const Napi::CallbackInfo& info) {
    bool tagged = false;
    if (napi_check_object_type_tag(info.Env(), info.This(), &kTypeTag, &tagged) != napi_ok || !tagged)
      throw Napi::TypeError::New(info.Env(),
                                 "RandomState: a RandomState method was called on an object that is not a RandomState");
    return (RandomStateWrap::Unwrap(info.This().As<Napi::Object>())->*Method)(info);
  }

  // new RandomState(seed): np.random.seed(seed), 0 <= seed < 2^32
  explicit RandomStateWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RandomStateWrap>(info), state_(0) {
    Args args(info, "new RandomState");
    napi_type_tag_object(info.Env(), info.This(), &kTypeTag);
    state_.reseed(seed_argument(args, info, 0));
  }

 private:
  static uint32_t seed_argument(const Args& args, const Napi::CallbackInfo& info, size_t index) {
    args.require_count(index + 1);
    if (!info[index].IsNumber())
      args.type_error("seed must be an integer from 0 to 4294967295, got " + Args::describe(info[index]));
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
    if (out.dtype != DType::Float64)
      args.type_error("out must be a Float64Array (numpy draws float64), got Float32Array");
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
