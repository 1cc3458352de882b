// N-API glue for class Network: a model's buffers are bound once (the lib allocates them), then each
// method is one call into native/kernels/network.hpp with only the batch to check.
#include <cstring>
#include <vector>

#include "args.hpp"
#include "kernels_binding.hpp"
#include "network.hpp"

namespace dnn::binding {
namespace {

// The engine's own `ArrayBuffer.prototype.resizable` and `SharedArrayBuffer.prototype.growable` getters, taken
// once when the module loads (the module's instance data): a property defined later on a buffer or on a
// prototype cannot make a shrinkable buffer look fixed.
struct BufferGetters {
  Napi::FunctionReference resizable, growable;
};

Napi::FunctionReference own_getter(Napi::Env env, const char* constructor, const char* property) {
  const Napi::Value type = env.Global().Get(constructor);
  const Napi::Value describe = env.Global().Get("Object").As<Napi::Object>().Get("getOwnPropertyDescriptor");
  if (!type.IsFunction() || !describe.IsFunction()) return {};
  const Napi::Value prototype = type.As<Napi::Object>().Get("prototype");
  const Napi::Value descriptor = describe.As<Napi::Function>().Call({prototype, Napi::String::New(env, property)});
  if (!descriptor.IsObject()) return {};  // an engine without resizable buffers
  const Napi::Value getter = descriptor.As<Napi::Object>().Get("get");
  return getter.IsFunction() ? Napi::Persistent(getter.As<Napi::Function>()) : Napi::FunctionReference();
}

enum class Resizability { Fixed, Resizable, Growable };

Resizability buffer_resizability(Napi::Env env, napi_value buffer) {
  bool is_array_buffer = false;  // false: a SharedArrayBuffer (the only other backing of a typed array)
  napi_is_arraybuffer(env, buffer, &is_array_buffer);
  const BufferGetters* getters = env.GetInstanceData<BufferGetters>();
  const Napi::FunctionReference& getter = is_array_buffer ? getters->resizable : getters->growable;
  if (getter.IsEmpty() || !getter.Call(buffer, {}).ToBoolean().Value()) return Resizability::Fixed;
  return is_array_buffer ? Resizability::Resizable : Resizability::Growable;
}

// layerDims: an array of at least 2 positive integers (the input size, then each layer's units).
std::vector<int> layer_dims(const Args& args, const Napi::Value& value) {
  if (!value.IsArray())
    args.type_error("layerDims must be an array of positive integers, got " + Args::describe(value));
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() < 2)
    args.range_error("layerDims needs at least 2 entries (input and output sizes), got " +
                     std::to_string(array.Length()));
  std::vector<int> dims;
  for (uint32_t i = 0; i < array.Length(); ++i)
    dims.push_back(args.dimension_of(array.Get(i), "layerDims[" + std::to_string(i) + "]"));
  return dims;
}

// The layout as JavaScript sees it: { offset, rows, cols, length } for each matrix, in elements.
Napi::Object layout_object(Napi::Env env, const NetworkLayout& layout) {
  const auto slot = [&](size_t offset, int rows, int cols) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("offset", static_cast<double>(offset));
    result.Set("rows", rows);
    result.Set("cols", cols);
    result.Set("length", static_cast<double>(rows) * cols);
    return result;
  };
  const int L = layout.num_layers;
  Napi::Array parameters = Napi::Array::New(env, L), activations = Napi::Array::New(env, L),
              gradients = Napi::Array::New(env, L), masks = Napi::Array::New(env, L - 1);
  for (int l = 1; l <= L; ++l) {
    const LayerOffsets& at = layout.layers[l - 1];
    const int n = layout.dims[l];
    Napi::Object parameter = Napi::Object::New(env);
    parameter.Set("W", slot(at.W, n, layout.dims[l - 1]));
    parameter.Set("b", slot(at.b, n, 1));
    parameters.Set(l - 1, parameter);
    activations.Set(l - 1, slot(at.A, n, layout.capacity));
    gradients.Set(l - 1, slot(at.dZ, n, layout.capacity));
    if (l < L) masks.Set(l - 1, slot(at.mask, n, layout.capacity));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("capacity", layout.capacity);
  result.Set("parameterCount", static_cast<double>(layout.parameter_count));
  result.Set("workspaceLength", static_cast<double>(layout.workspace_length));
  result.Set("maskLength", static_cast<double>(layout.mask_length));
  result.Set("parameters", parameters);
  result.Set("activations", activations);
  result.Set("output", activations.Get(L - 1));
  result.Set("logits", slot(layout.logits, layout.dims[L], layout.capacity));
  result.Set("gradients", gradients);
  result.Set("masks", masks);
  return result;
}

class NetworkWrap : public Napi::ObjectWrap<NetworkWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    // The prototype's methods check their receiver's type tag before unwrapping it: called on another object
    // (Network.prototype.trainStep.call(x), a borrowed prototype), they throw instead of reading foreign memory.
    Napi::Function constructor = DefineClass(env, "Network", {});
    Napi::Object prototype = constructor.Get("prototype").As<Napi::Object>();
    const auto method = [&](const char* name, Napi::Value (*callback)(const Napi::CallbackInfo&)) {
      return Napi::PropertyDescriptor::Function(
          env, prototype, name, callback, static_cast<napi_property_attributes>(napi_writable | napi_configurable));
    };
    prototype.DefineProperties({
        method("forward", Checked<&NetworkWrap::Forward>),
        method("cost", Checked<&NetworkWrap::Cost>),
        method("backward", Checked<&NetworkWrap::Backward>),
        method("trainStep", Checked<&NetworkWrap::TrainStep>),
        method("trainSteps", Checked<&NetworkWrap::TrainSteps>),
        method("syncParameters", Checked<&NetworkWrap::SyncParameters>),
        method("resetOptimizer", Checked<&NetworkWrap::ResetOptimizer>),
        method("reseedDropout", Checked<&NetworkWrap::ReseedDropout>),
        Napi::PropertyDescriptor::Accessor<Checked<&NetworkWrap::Current>>("current", napi_configurable),
        Napi::PropertyDescriptor::Accessor<Checked<&NetworkWrap::Layout>>("layout", napi_configurable),
        Napi::PropertyDescriptor::Accessor<Checked<&NetworkWrap::Step>, SetStepChecked>("step", napi_configurable),
    });
    return constructor;
  }

  static constexpr napi_type_tag kTypeTag = {0x6b1d2f0c5e3a4d77ULL, 0x9e4c1a8b2f6d3e51ULL};

  static NetworkWrap* Receiver(const Napi::CallbackInfo& info) {
    bool tagged = false;
    if (napi_check_object_type_tag(info.Env(), info.This(), &kTypeTag, &tagged) != napi_ok || !tagged)
      throw Napi::TypeError::New(info.Env(), "Network: a Network method was called on an object that is not a Network");
    return NetworkWrap::Unwrap(info.This().As<Napi::Object>());
  }

  template <Napi::Value (NetworkWrap::*Method)(const Napi::CallbackInfo&)>
  static Napi::Value Checked(const Napi::CallbackInfo& info) {
    return (Receiver(info)->*Method)(info);
  }

  static void SetStepChecked(const Napi::CallbackInfo& info) { Receiver(info)->SetStep(info, info[0]); }

  // new Network({ layerDims, activations, capacity, params, nextParams, grads, workspace, ... }); training options and
  // the optimiser's buffers (velocity, squares, nextVelocity, nextSquares) in read_training_options
  explicit NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
    Args args(info, "new Network");
    napi_type_tag_object(info.Env(), info.This(), &kTypeTag);
    args.require_count(1);
    if (!info[0].IsObject() || info[0].IsArray())
      args.type_error("expects one options object, got " + Args::describe(info[0]));
    const Napi::Object spec = info[0].As<Napi::Object>();

    dims_ = layer_dims(args, spec.Get("layerDims"));
    const int L = static_cast<int>(dims_.size()) - 1;

    const Napi::Value activations_value = spec.Get("activations");
    if (!activations_value.IsArray())
      args.type_error("activations must be an array of activation codes, got " + Args::describe(activations_value));
    const Napi::Array activations_array = activations_value.As<Napi::Array>();
    if (activations_array.Length() != static_cast<uint32_t>(L))
      args.range_error("activations has " + std::to_string(activations_array.Length()) +
                       " entries, expected one per layer (" + std::to_string(L) + ")");
    for (uint32_t i = 0; i < activations_array.Length(); ++i) {
      const Napi::Value code = activations_array.Get(i);
      if (!code.IsNumber())
        args.type_error("activations[" + std::to_string(i) + "] must be an activation code (a number), got " +
                        Args::describe(code));
      const double v = code.As<Napi::Number>().DoubleValue();
      if (!(v >= 0 && v < kActivationCount) || v != static_cast<int>(v))
        args.range_error("activations[" + std::to_string(i) + "] must be an activation code from 0 to " +
                         std::to_string(kActivationCount - 1));
      activations_.push_back(static_cast<Activation>(static_cast<int>(v)));
    }
    for (int l = 0; l + 1 < L; ++l)
      if (activations_[l] == Activation::Softmax)
        args.range_error("activations[" + std::to_string(l) + "]: softmax is only for the output layer");
    if (activations_.back() != Activation::Sigmoid && activations_.back() != Activation::Softmax &&
        activations_.back() != Activation::Linear)
      args.range_error("the output layer's activation must be sigmoid (2), softmax (5) or linear (0)");
    if (activations_.back() == Activation::Softmax && dims_.back() < 2)
      args.range_error("activations: a softmax output needs at least 2 units (classes), but layerDims ends in " +
                       std::to_string(dims_.back()));

    const int capacity = args.dimension_of(spec.Get("capacity"), "capacity");
    layout_ = checked_network_layout(args, dims_, capacity, layer_offsets_);
    params_[0] = bind(args, spec, "params", layout_.parameter_count);
    dtype_ = params_[0].dtype;
    const Napi::Value next = spec.Get("nextParams");
    if (!next.IsNull() && !next.IsUndefined()) params_[1] = bind(args, spec, "nextParams", params_[0].length);
    grads_ = bind(args, spec, "grads", params_[0].length);
    workspace_ = bind(args, spec, "workspace", layout_.workspace_length);
    read_training_options(args, spec, L);
    const std::pair<FloatArray, const char*> all[] = {{params_[0], "params"},      {params_[1], "nextParams"},
                                                      {grads_, "grads"},           {workspace_, "workspace"},
                                                      {masks_, "masks"},           {velocity_[0], "velocity"},
                                                      {squares_[0], "squares"},    {velocity_[1], "nextVelocity"},
                                                      {squares_[1], "nextSquares"}};
    constexpr size_t kBuffers = sizeof all / sizeof all[0];
    for (size_t i = 0; i < kBuffers; ++i)
      for (size_t j = i + 1; j < kBuffers; ++j)
        args.require_disjoint(all[i].first, all[i].second, all[j].first, all[j].second);
  }

 private:
  FloatArray bind(const Args& args, const Napi::Object& spec, const char* name, size_t expected_length) {
    const Napi::Value value = spec.Get(name);
    const FloatArray array = args.float_array_of(value, name);
    if (!bound_.empty() && array.dtype != dtype_)
      args.type_error(std::string(name) + " is a " + dtype_name(array.dtype) + " but params is a " +
                      dtype_name(dtype_) + "; use one dtype per network");
    args.require_length(array, name, expected_length);
    // A resizable buffer could shrink under the addresses this network keeps: refuse it. The buffer comes from
    // Node-API, not from the (redefinable) `buffer` property, and its kind from the engine's own getters.
    napi_value buffer = nullptr;
    napi_get_typedarray_info(args.env(), value, nullptr, nullptr, nullptr, &buffer, nullptr);
    switch (buffer_resizability(args.env(), buffer)) {
      case Resizability::Fixed:
        break;
      case Resizability::Resizable:
        args.type_error(std::string(name) +
                        " is a view of a resizable ArrayBuffer; a network needs fixed-size buffers");
      case Resizability::Growable:
        args.type_error(std::string(name) +
                        " is a view of a growable SharedArrayBuffer; a network needs fixed-size buffers");
    }
    // Keep the array (and so its memory) alive for as long as this network holds its address.
    bound_.push_back({Napi::Persistent(value.As<Napi::Object>()), name, array.data, array.length});
    return array;
  }

  static double optional_number(const Args& args, const Napi::Object& spec, const char* name, double fallback,
                                double low, double high, bool low_inclusive, bool high_inclusive) {
    const Napi::Value value = spec.Get(name);
    if (value.IsUndefined() || value.IsNull()) return fallback;
    if (!value.IsNumber()) args.type_error(std::string(name) + " must be a number, got " + Args::describe(value));
    const double v = value.As<Napi::Number>().DoubleValue();
    const bool above = low_inclusive ? v >= low : v > low;
    const bool below = high_inclusive ? v <= high : v < high;
    if (!(above && below))
      args.range_error(std::string(name) + " must be in " + (low_inclusive ? "[" : "(") + Args::number_text(low) +
                       ", " + Args::number_text(high) + (high_inclusive ? "]" : ")") + ", got " + Args::number_text(v));
    return v;
  }

  // l2, keepProb + masks + dropoutSeed, optimizer + beta1/beta2/epsilon + velocity/squares
  void read_training_options(const Args& args, const Napi::Object& spec, int L) {
    l2_ = optional_number(args, spec, "l2", 0.0, 0.0, 1e300, true, true);
    const Napi::Value keep = spec.Get("keepProb");
    if (!keep.IsUndefined() && !keep.IsNull()) {
      if (!keep.IsArray())
        args.type_error("keepProb must be an array of one keep probability per layer, got " + Args::describe(keep));
      const Napi::Array keep_array = keep.As<Napi::Array>();
      if (keep_array.Length() != static_cast<uint32_t>(L))
        args.range_error("keepProb has " + std::to_string(keep_array.Length()) + " entries, expected one per layer (" +
                         std::to_string(L) + ")");
      bool any = false;
      for (uint32_t i = 0; i < keep_array.Length(); ++i) {
        const Napi::Value k = keep_array.Get(i);
        if (!k.IsNumber())
          args.type_error("keepProb[" + std::to_string(i) + "] must be a number in (0, 1], got " + Args::describe(k));
        const double v = k.As<Napi::Number>().DoubleValue();
        if (!(v > 0 && v <= 1))
          args.range_error("keepProb[" + std::to_string(i) + "] must be in (0, 1], got " +
                           (k.IsNumber() ? Args::number_text(v) : Args::describe(k)));
        if (i + 1 == keep_array.Length() && v != 1)
          args.range_error("keepProb for the output layer must be 1 (dropout applies to hidden layers)");
        keep_prob_.push_back(v);
        any = any || v < 1;
      }
      if (any) {
        masks_ = bind(args, spec, "masks", layout_.mask_length);
        const double seed = optional_number(args, spec, "dropoutSeed", 0, 0, 4294967295.0, true, true);
        if (seed != static_cast<double>(static_cast<uint32_t>(seed)))
          args.range_error("dropoutSeed must be an integer from 0 to 4294967295");
        dropout_rng_.reseed(static_cast<uint32_t>(seed));
      } else {
        keep_prob_.clear();
      }
    }
    const double optimizer = optional_number(args, spec, "optimizer", 0, 0, kOptimizerCount - 1, true, true);
    if (optimizer != static_cast<int>(optimizer))
      args.range_error("optimizer must be 0 (gradient descent), 1 (momentum) or 2 (Adam)");
    optimizer_ = static_cast<Optimizer>(static_cast<int>(optimizer));
    beta1_ = optional_number(args, spec, "beta1", 0.9, 0, 1, true, false);
    beta2_ = optional_number(args, spec, "beta2", 0.999, 0, 1, true, false);
    epsilon_ = optional_number(args, spec, "epsilon", 1e-8, 0, 1, false, true);
    if (optimizer_ != Optimizer::GradientDescent) velocity_[0] = bind(args, spec, "velocity", params_[0].length);
    if (optimizer_ == Optimizer::Adam) squares_[0] = bind(args, spec, "squares", params_[0].length);
    // With nextParams, the optimiser's state can be double-buffered too (nextVelocity, nextSquares): a step then
    // writes the new state beside the old, and a non-finite cost returns to the state of the parameters it keeps.
    const auto optional_state = [&](const char* name, FloatArray* slot) {
      const Napi::Value value = spec.Get(name);
      if (value.IsNull() || value.IsUndefined()) return;
      if (params_[1].data == nullptr) args.type_error(std::string(name) + " needs nextParams");
      *slot = bind(args, spec, name, params_[0].length);
    };
    if (optimizer_ != Optimizer::GradientDescent) optional_state("nextVelocity", &velocity_[1]);
    if (optimizer_ == Optimizer::Adam) optional_state("nextSquares", &squares_[1]);
    if (optimizer_ == Optimizer::Adam && (velocity_[1].data == nullptr) != (squares_[1].data == nullptr))
      args.type_error("nextVelocity and nextSquares go together: pass both or neither");
  }

  // Each call re-reads every bound array, each view on its own: a detached (transferred) buffer reports length 0
  // and no longer owns the memory this network points at, and a view that a shrunk buffer no longer covers
  // reports length 0 too (even when another view of the same buffer is still whole).
  void require_attached(const Args& args) {
    for (const BoundArray& bound : bound_) {
      napi_typedarray_type type;
      size_t length = 0;
      void* data = nullptr;
      if (napi_get_typedarray_info(args.env(), bound.array.Value(), &type, &length, &data, nullptr, nullptr) !=
              napi_ok ||
          length != bound.length || data != bound.data)
        args.type_error(std::string(bound.name) +
                        "'s buffer was detached (transferred) or changed; build a new network");
    }
  }

  // The batch must not overlap any buffer the network writes.
  void require_outside_network(const Args& args, const FloatArray& batch, const char* name) const {
    for (const BoundArray& bound : bound_)
      args.require_disjoint(batch, name, FloatArray{dtype_, bound.data, bound.length}, bound.name);
  }

  template <typename T>
  NetworkView<T> view() {
    NetworkView<T> net(layout_);
    net.activations = activations_.data();
    net.params = params_[current_].as<T>();
    net.next_params = params_[1].data == nullptr ? nullptr : params_[1 - current_].as<T>();
    net.grads = grads_.as<T>();
    net.workspace = workspace_.as<T>();
    net.l2 = l2_;
    if (!keep_prob_.empty()) {
      net.keep_prob = keep_prob_.data();
      net.masks = masks_.as<T>();
      net.dropout_rng = &dropout_rng_;
    }
    net.optimizer = optimizer_;
    net.beta1 = beta1_;
    net.beta2 = beta2_;
    net.epsilon = epsilon_;
    // the optimiser's state follows the parameters' buffer when it is double-buffered
    const int state = velocity_[1].data != nullptr ? current_ : 0;
    net.velocity = velocity_[state].as<T>();
    net.squares = squares_[state].as<T>();
    if (velocity_[1].data != nullptr) {
      net.next_velocity = velocity_[1 - state].as<T>();
      if (squares_[1].data != nullptr) net.next_squares = squares_[1 - state].as<T>();
    }
    net.adam_step = &adam_step_;
    return net;
  }

  // The batch arguments every method takes: X (n_0, m) and optionally Y (n_L, m), starting at `first`.
  struct Batch {
    FloatArray X, Y;
    int m;
  };
  Batch batch(const Args& args, size_t x_index, size_t y_index, size_t m_index) {
    require_attached(args);  // first: a detached buffer's memory may already be reused by the batch
    Batch b{args.float_array(x_index, "X"), {}, args.dimension(m_index, "m")};
    if (b.m > layout_.capacity)
      args.range_error("m = " + std::to_string(b.m) + " exceeds the network's batch capacity " +
                       std::to_string(layout_.capacity));
    if (b.X.dtype != dtype_)
      args.type_error(std::string("X is a ") + dtype_name(b.X.dtype) + " but the network is " + dtype_name(dtype_));
    args.require_length(b.X, "X", dims_.front(), b.m);
    require_outside_network(args, b.X, "X");
    if (y_index != SIZE_MAX) {
      b.Y = args.float_array(y_index, "Y");
      if (b.Y.dtype != dtype_)
        args.type_error(std::string("Y is a ") + dtype_name(b.Y.dtype) + " but the network is " + dtype_name(dtype_));
      args.require_length(b.Y, "Y", dims_.back(), b.m);
      require_outside_network(args, b.Y, "Y");
    }
    require_attached(args);
    return b;
  }

  // forward(X, m, training = false): A_1..A_L and the output logits in the workspace; training applies dropout
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Args args(info, "Network.forward");
    args.require_count(2);
    const Batch b = batch(args, 0, SIZE_MAX, 1);
    const bool training = info.Length() > 2 && info[2].ToBoolean().Value();
    dispatch(dtype_, [&](auto t) {
      using T = decltype(t);
      network_forward(view<T>(), b.X.as<T>(), b.m, training);
    });
    last_forward_training_ = training;
    return info.Env().Undefined();
  }

  // cost(Y, m, withPenalty = true): the cost of the last forward pass (with the L2 term unless withPenalty is false)
  Napi::Value Cost(const Napi::CallbackInfo& info) {
    Args args(info, "Network.cost");
    args.require_count(2);
    const int m = args.dimension(1, "m");
    const FloatArray Y = args.float_array(0, "Y");
    if (m > layout_.capacity)
      args.range_error("m = " + std::to_string(m) + " exceeds the network's batch capacity " +
                       std::to_string(layout_.capacity));
    if (Y.dtype != dtype_)
      args.type_error(std::string("Y is a ") + dtype_name(Y.dtype) + " but the network is " + dtype_name(dtype_));
    args.require_length(Y, "Y", dims_.back(), m);
    require_outside_network(args, Y, "Y");
    require_attached(args);
    const bool with_penalty = info.Length() <= 2 || info[2].ToBoolean().Value();
    double cost = 0;
    dispatch(dtype_, [&](auto t) {
      using T = decltype(t);
      cost = network_cost(view<T>(), Y.as<T>(), m, with_penalty);
    });
    return Napi::Number::New(info.Env(), cost);
  }

  // backward(X, Y, m): grads for the current parameters (forward must have run on the same X)
  Napi::Value Backward(const Napi::CallbackInfo& info) {
    Args args(info, "Network.backward");
    args.require_count(3);
    const Batch b = batch(args, 0, 1, 2);
    dispatch(dtype_, [&](auto t) {
      using T = decltype(t);
      network_backward(view<T>(), b.X.as<T>(), b.Y.as<T>(), b.m, last_forward_training_);
    });
    return info.Env().Undefined();
  }

  // trainStep(X, Y, m, learningRate) -> the cost before the update. With nextParams, the update goes to the
  // other buffer and the two swap roles; a non-finite cost updates nothing and returns to the parameters of the
  // previous step, the last ones whose cost was finite.
  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    Args args(info, "Network.trainStep");
    args.require_count(4);
    const Batch b = batch(args, 0, 1, 2);
    const double learning_rate = args.finite_number(3, "learningRate");
    double cost = 0;
    dispatch(dtype_, [&](auto t) {
      using T = decltype(t);
      cost = network_train_step(view<T>(), b.X.as<T>(), b.Y.as<T>(), b.m, static_cast<T>(learning_rate));
    });
    last_forward_training_ = true;
    after_step(cost);
    return Napi::Number::New(info.Env(), cost);
  }

  // trainSteps(X, Y, m, learningRate, count, costs): `count` steps on the same batch in one call (full-batch
  // training without a crossing into JavaScript per step); costs[k] = the cost before step k. Stops at the first
  // non-finite cost, as trainStep does, and returns the number of steps completed.
  Napi::Value TrainSteps(const Napi::CallbackInfo& info) {
    Args args(info, "Network.trainSteps");
    args.require_count(6);
    const Batch b = batch(args, 0, 1, 2);
    const double learning_rate = args.finite_number(3, "learningRate");
    const int count = args.dimension(4, "count");
    const FloatArray costs = args.float_array(5, "costs");
    if (costs.dtype != DType::Float64) args.type_error("costs must be a Float64Array");
    if (costs.length < static_cast<size_t>(count))
      args.range_error("costs has " + std::to_string(costs.length) +
                       " elements, fewer than count = " + std::to_string(count));
    require_outside_network(args, costs, "costs");
    args.require_disjoint(costs, "costs", b.X, "X");
    args.require_disjoint(costs, "costs", b.Y, "Y");
    int completed = 0;
    for (; completed < count; ++completed) {
      double cost = 0;
      dispatch(dtype_, [&](auto t) {
        using T = decltype(t);
        cost = network_train_step(view<T>(), b.X.as<T>(), b.Y.as<T>(), b.m, static_cast<T>(learning_rate));
      });
      costs.as<double>()[completed] = cost;
      last_forward_training_ = true;
      if (!after_step(cost)) break;
    }
    return Napi::Number::New(info.Env(), completed);
  }

  // The parameter buffers' roles after a step with this cost; false when the cost was not finite.
  bool after_step(double cost) {
    if (params_[1].data == nullptr) return std::isfinite(cost);
    if (std::isfinite(cost)) {
      current_ = 1 - current_;
      has_previous_ = true;
      return true;
    }
    if (has_previous_) {
      // back to the parameters (and, double-buffered, the optimiser state) before the last update, whose cost was
      // finite
      current_ = 1 - current_;
      has_previous_ = false;
      // the step count goes back only with a state that went back too (an in-place state already holds the update)
      if (optimizer_ == Optimizer::Adam && velocity_[1].data != nullptr && adam_step_ > 0) --adam_step_;
    }
    return false;
  }

  // syncParameters(): make `params` (buffer 0) hold the current parameters again
  Napi::Value SyncParameters(const Napi::CallbackInfo& info) {
    Args args(info, "Network.syncParameters");
    require_attached(args);
    if (current_ == 1) {
      std::memcpy(params_[0].data, params_[1].data, params_[0].byte_length());
      for (FloatArray* state : {velocity_, squares_})
        if (state[1].data != nullptr) std::memcpy(state[0].data, state[1].data, state[0].byte_length());
      current_ = 0;
    }
    has_previous_ = false;
    return info.Env().Undefined();
  }

  // layout: where each matrix sits in this network's buffers (as networkLayout(layerDims, capacity) gives it)
  Napi::Value Layout(const Napi::CallbackInfo& info) { return layout_object(info.Env(), layout_); }

  // current: 0 when `params` holds the current parameters, 1 when `nextParams` does
  Napi::Value Current(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), current_); }

  // step: updates done by Adam so far (its bias-correction t)
  Napi::Value Step(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(adam_step_));
  }

  void SetStep(const Napi::CallbackInfo& info, const Napi::Value& value) {
    Args args(info, "Network.step");
    if (!value.IsNumber()) args.type_error("step must be a non-negative integer, got " + Args::describe(value));
    const double v = value.As<Napi::Number>().DoubleValue();
    if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      args.range_error("step must be a non-negative integer, got " + Args::number_text(v));
    adam_step_ = static_cast<int64_t>(v);
  }

  // resetOptimizer(): zero the momentum / Adam state and Adam's step count
  Napi::Value ResetOptimizer(const Napi::CallbackInfo& info) {
    Args args(info, "Network.resetOptimizer");
    require_attached(args);
    for (FloatArray* state : {velocity_, squares_})
      for (int k = 0; k < 2; ++k)
        if (state[k].data != nullptr) std::memset(state[k].data, 0, state[k].byte_length());
    adam_step_ = 0;
    return info.Env().Undefined();
  }

  // reseedDropout(seed): restart the dropout masks' random stream
  Napi::Value ReseedDropout(const Napi::CallbackInfo& info) {
    Args args(info, "Network.reseedDropout");
    args.require_count(1);
    if (!info[0].IsNumber())
      args.type_error("seed must be an integer from 0 to 4294967295, got " + Args::describe(info[0]));
    const double seed = info[0].As<Napi::Number>().DoubleValue();
    if (!(seed >= 0 && seed <= 4294967295.0) || seed != static_cast<double>(static_cast<uint64_t>(seed)))
      args.range_error("seed must be an integer from 0 to 4294967295, got " + Args::number_text(seed));
    dropout_rng_.reseed(static_cast<uint32_t>(seed));
    return info.Env().Undefined();
  }

  std::vector<int> dims_;
  std::vector<Activation> activations_;
  DType dtype_ = DType::Float64;
  FloatArray params_[2] = {{DType::Float64, nullptr, 0}, {DType::Float64, nullptr, 0}};
  FloatArray grads_{DType::Float64, nullptr, 0};
  FloatArray workspace_{DType::Float64, nullptr, 0};
  struct BoundArray {
    Napi::ObjectReference array;
    const char* name;
    void* data;
    size_t length;
  };
  std::vector<BoundArray> bound_;
  std::vector<LayerOffsets> layer_offsets_;  // the storage layout_ points at
  NetworkLayout layout_;
  double l2_ = 0.0;
  std::vector<double> keep_prob_;
  FloatArray masks_{DType::Float64, nullptr, 0};
  NumpyRandomState dropout_rng_{0};
  Optimizer optimizer_ = Optimizer::GradientDescent;
  double beta1_ = 0.9, beta2_ = 0.999, epsilon_ = 1e-8;
  // [0]: velocity / squares, [1]: nextVelocity / nextSquares (null when not double-buffered)
  FloatArray velocity_[2] = {{DType::Float64, nullptr, 0}, {DType::Float64, nullptr, 0}};
  FloatArray squares_[2] = {{DType::Float64, nullptr, 0}, {DType::Float64, nullptr, 0}};
  int64_t adam_step_ = 0;
  bool last_forward_training_ = false;
  int current_ = 0;
  bool has_previous_ = false;
};

// parameterCount(layerDims), workspaceLength(layerDims, capacity), maskLength(layerDims, capacity) and
// networkLayout(layerDims, capacity): the sizes and offsets a Network expects, from the same network_layout.
struct LayoutCall {
  std::vector<int> dims;
  std::vector<LayerOffsets> layers;
  NetworkLayout layout;
};

LayoutCall layout_call(const Napi::CallbackInfo& info, const char* function, bool per_capacity) {
  Args args(info, function);
  args.require_count(per_capacity ? 2 : 1);
  LayoutCall call;
  call.dims = layer_dims(args, info[0]);
  call.layout = checked_network_layout(args, call.dims, per_capacity ? args.dimension(1, "capacity") : 1, call.layers);
  return call;
}

Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(layout_call(info, "parameterCount", false).layout.parameter_count));
}
Napi::Value WorkspaceLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(layout_call(info, "workspaceLength", true).layout.workspace_length));
}
Napi::Value MaskLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(layout_call(info, "maskLength", true).layout.mask_length));
}
Napi::Value NetworkLayoutOf(const Napi::CallbackInfo& info) {
  const LayoutCall call = layout_call(info, "networkLayout", true);
  return layout_object(info.Env(), call.layout);
}

}  // namespace

void RegisterNetwork(Napi::Env env, Napi::Object exports) {
  exports.Set("parameterCount", Napi::Function::New(env, ParameterCount, "parameterCount"));
  exports.Set("workspaceLength", Napi::Function::New(env, WorkspaceLength, "workspaceLength"));
  exports.Set("maskLength", Napi::Function::New(env, MaskLength, "maskLength"));
  exports.Set("networkLayout", Napi::Function::New(env, NetworkLayoutOf, "networkLayout"));
  env.SetInstanceData(
      new BufferGetters{own_getter(env, "ArrayBuffer", "resizable"), own_getter(env, "SharedArrayBuffer", "growable")});
  exports.Set("Network", NetworkWrap::Define(env));
}

}  // namespace dnn::binding
