// N-API glue for the per-layer kernels: unwrap, check every length and dtype, then call native/kernels.
#include "kernels_binding.hpp"

#include <algorithm>

#include "args.hpp"
#include "cost.hpp"
#include "linear.hpp"
#include "update.hpp"

namespace dnn::binding {
namespace {

// linearForward(Z, W, A_prev, b, n, nPrev, m)
Napi::Value LinearForward(const Napi::CallbackInfo& info) {
  Args args(info, "linearForward");
  args.require_count(7);
  const FloatArray Z = args.float_array(0, "Z"), W = args.float_array(1, "W"), A_prev = args.float_array(2, "A_prev"),
                   b = args.float_array(3, "b");
  const int n = args.dimension(4, "n"), n_prev = args.dimension(5, "nPrev"), m = args.dimension(6, "m");
  args.require_same_dtype(Z, "Z", W, "W");
  args.require_same_dtype(A_prev, "A_prev", W, "W");
  args.require_same_dtype(b, "b", W, "W");
  args.require_length(W, "W", n, n_prev);
  args.require_length(A_prev, "A_prev", n_prev, m);
  args.require_length(b, "b", n, 1);
  args.require_length(Z, "Z", n, m);
  args.require_disjoint(Z, "Z", W, "W");
  args.require_disjoint(Z, "Z", A_prev, "A_prev");
  args.require_disjoint(Z, "Z", b, "b");
  dispatch(W.dtype, [&](auto t) {
    using T = decltype(t);
    linear_forward(Z.as<T>(), W.as<T>(), A_prev.as<T>(), b.as<T>(), n, n_prev, m);
  });
  return info.Env().Undefined();
}

// linearActivationForward(A, Z, W, A_prev, b, n, nPrev, m, activation)
Napi::Value LinearActivationForward(const Napi::CallbackInfo& info) {
  Args args(info, "linearActivationForward");
  args.require_count(9);
  const FloatArray A = args.float_array(0, "A"), Z = args.float_array(1, "Z"), W = args.float_array(2, "W"),
                   A_prev = args.float_array(3, "A_prev"), b = args.float_array(4, "b");
  const int n = args.dimension(5, "n"), n_prev = args.dimension(6, "nPrev"), m = args.dimension(7, "m");
  const Activation activation = args.activation(8, "activation");
  for (auto [array, name] : {std::pair{A, "A"}, {Z, "Z"}, {A_prev, "A_prev"}, {b, "b"}})
    args.require_same_dtype(array, name, W, "W");
  args.require_length(W, "W", n, n_prev);
  args.require_length(A_prev, "A_prev", n_prev, m);
  args.require_length(b, "b", n, 1);
  args.require_length(Z, "Z", n, m);
  args.require_length(A, "A", n, m);
  for (auto [out, out_name] : {std::pair{A, "A"}, {Z, "Z"}})
    for (auto [in, in_name] : {std::pair{W, "W"}, {A_prev, "A_prev"}, {b, "b"}})
      args.require_disjoint(out, out_name, in, in_name);
  if (A.data != Z.data) args.require_disjoint(A, "A", Z, "Z");
  dispatch(W.dtype, [&](auto t) {
    using T = decltype(t);
    linear_activation_forward(A.as<T>(), Z.as<T>(), W.as<T>(), A_prev.as<T>(), b.as<T>(), n, n_prev, m, activation);
  });
  return info.Env().Undefined();
}

// activationForward(A, Z, activation): A may be Z itself.
Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Args args(info, "activationForward");
  args.require_count(3);
  const FloatArray A = args.float_array(0, "A"), Z = args.float_array(1, "Z");
  const Activation activation = args.activation(2, "activation");
  if (activation == Activation::Softmax)
    args.range_error("softmax works on whole columns; use softmaxForward(A, Z, n, m)");
  args.require_same_dtype(A, "A", Z, "Z");
  args.require_positive_length(Z, "Z");
  args.require_length(A, "A", Z.length);
  if (A.data != Z.data) args.require_disjoint(A, "A", Z, "Z");
  dispatch(Z.dtype, [&](auto t) {
    using T = decltype(t);
    activation_forward(A.as<T>(), Z.as<T>(), Z.length, activation);
  });
  return info.Env().Undefined();
}

// activationBackward(dZ, dA, Z, activation)
Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Args args(info, "activationBackward");
  args.require_count(4);
  const FloatArray dZ = args.float_array(0, "dZ"), dA = args.float_array(1, "dA"), Z = args.float_array(2, "Z");
  const Activation activation = args.activation(3, "activation");
  if (activation == Activation::Softmax)
    args.range_error(
        "softmax has no element-wise backward; with cross-entropy use sigmoidCrossEntropyBackward (dZ = AL - Y)");
  args.require_same_dtype(dZ, "dZ", Z, "Z");
  args.require_same_dtype(dA, "dA", Z, "Z");
  args.require_positive_length(Z, "Z");
  args.require_length(dA, "dA", Z.length);
  args.require_length(dZ, "dZ", Z.length);
  args.require_disjoint(dZ, "dZ", dA, "dA");
  args.require_disjoint(dZ, "dZ", Z, "Z");
  dispatch(Z.dtype, [&](auto t) {
    using T = decltype(t);
    activation_backward(dZ.as<T>(), dA.as<T>(), Z.as<T>(), Z.length, activation);
  });
  return info.Env().Undefined();
}

// linearBackward(dA_prev | null, dW, db, dZ, A_prev, W, n, nPrev, m)
Napi::Value LinearBackward(const Napi::CallbackInfo& info) {
  Args args(info, "linearBackward");
  args.require_count(9);
  const bool want_dA_prev = !args.is_null(0);
  const FloatArray dW = args.float_array(1, "dW"), db = args.float_array(2, "db"), dZ = args.float_array(3, "dZ"),
                   A_prev = args.float_array(4, "A_prev"), W = args.float_array(5, "W");
  const FloatArray dA_prev = want_dA_prev ? args.float_array(0, "dA_prev") : FloatArray{W.dtype, nullptr, 0};
  const int n = args.dimension(6, "n"), n_prev = args.dimension(7, "nPrev"), m = args.dimension(8, "m");
  for (auto [array, name] : {std::pair{dW, "dW"}, {db, "db"}, {dZ, "dZ"}, {A_prev, "A_prev"}})
    args.require_same_dtype(array, name, W, "W");
  args.require_length(W, "W", n, n_prev);
  args.require_length(dZ, "dZ", n, m);
  args.require_length(A_prev, "A_prev", n_prev, m);
  args.require_length(dW, "dW", n, n_prev);
  args.require_length(db, "db", n, 1);
  if (want_dA_prev) {
    args.require_same_dtype(dA_prev, "dA_prev", W, "W");
    args.require_length(dA_prev, "dA_prev", n_prev, m);
  }
  const std::pair<FloatArray, const char*> outputs[] = {{dA_prev, "dA_prev"}, {dW, "dW"}, {db, "db"}};
  const std::pair<FloatArray, const char*> inputs[] = {{dZ, "dZ"}, {A_prev, "A_prev"}, {W, "W"}};
  for (size_t i = 0; i < 3; ++i) {
    for (const auto& [in, in_name] : inputs) args.require_disjoint(outputs[i].first, outputs[i].second, in, in_name);
    for (size_t j = i + 1; j < 3; ++j)
      args.require_disjoint(outputs[i].first, outputs[i].second, outputs[j].first, outputs[j].second);
  }
  dispatch(W.dtype, [&](auto t) {
    using T = decltype(t);
    linear_backward(want_dA_prev ? dA_prev.as<T>() : nullptr, dW.as<T>(), db.as<T>(), dZ.as<T>(), A_prev.as<T>(),
                    W.as<T>(), n, n_prev, m);
  });
  return info.Env().Undefined();
}

// Shared checks of the cost functions: AL (or Z) and Y, both (n, m).
void check_prediction_and_labels(const Args& args, const FloatArray& prediction, const char* prediction_name,
                                 const FloatArray& Y, int n, int m) {
  args.require_same_dtype(Y, "Y", prediction, prediction_name);
  args.require_length(prediction, prediction_name, n, m);
  args.require_length(Y, "Y", n, m);
}

// The four costs share one shape: (prediction, Y, n, m) -> a number. `prediction` is AL or Z.
template <double (*Kernel32)(const float*, const float*, int, int),
          double (*Kernel64)(const double*, const double*, int, int)>
Napi::Value Cost(const Napi::CallbackInfo& info, const char* function, const char* prediction_name) {
  Args args(info, function);
  args.require_count(4);
  const FloatArray prediction = args.float_array(0, prediction_name), Y = args.float_array(1, "Y");
  const int n = args.dimension(2, "n"), m = args.dimension(3, "m");
  check_prediction_and_labels(args, prediction, prediction_name, Y, n, m);
  const double cost = prediction.dtype == DType::Float32 ? Kernel32(prediction.as<float>(), Y.as<float>(), n, m)
                                                         : Kernel64(prediction.as<double>(), Y.as<double>(), n, m);
  return Napi::Number::New(info.Env(), cost);
}

// binaryCrossEntropy(AL, Y, n, m) -> cost
Napi::Value BinaryCrossEntropy(const Napi::CallbackInfo& info) {
  return Cost<binary_cross_entropy<float>, binary_cross_entropy<double>>(info, "binaryCrossEntropy", "AL");
}

// binaryCrossEntropyFromLogits(Z, Y, n, m) -> cost
Napi::Value BinaryCrossEntropyFromLogits(const Napi::CallbackInfo& info) {
  return Cost<binary_cross_entropy_from_logits<float>, binary_cross_entropy_from_logits<double>>(
      info, "binaryCrossEntropyFromLogits", "Z");
}

// categoricalCrossEntropy(AL, Y, n, m) -> cost
Napi::Value CategoricalCrossEntropy(const Napi::CallbackInfo& info) {
  return Cost<categorical_cross_entropy<float>, categorical_cross_entropy<double>>(info, "categoricalCrossEntropy",
                                                                                   "AL");
}

// categoricalCrossEntropyFromLogits(Z, Y, n, m) -> cost
Napi::Value CategoricalCrossEntropyFromLogits(const Napi::CallbackInfo& info) {
  return Cost<categorical_cross_entropy_from_logits<float>, categorical_cross_entropy_from_logits<double>>(
      info, "categoricalCrossEntropyFromLogits", "Z");
}

// softmaxForward(A, Z, n, m): each column of A = softmax of Z's; A may be Z
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxForward");
  args.require_count(4);
  const FloatArray A = args.float_array(0, "A"), Z = args.float_array(1, "Z");
  const int n = args.dimension(2, "n"), m = args.dimension(3, "m");
  args.require_same_dtype(A, "A", Z, "Z");
  args.require_length(Z, "Z", n, m);
  args.require_length(A, "A", n, m);
  if (A.data != Z.data) args.require_disjoint(A, "A", Z, "Z");
  dispatch(Z.dtype, [&](auto t) {
    using T = decltype(t);
    softmax_forward(A.as<T>(), Z.as<T>(), n, m);
  });
  return info.Env().Undefined();
}

// Checks shared by the optimiser updates: param, grad and each state buffer of one length and dtype, all disjoint.
void check_update_buffers(const Args& args, const FloatArray& param, const FloatArray& grad,
                          std::initializer_list<std::pair<FloatArray, const char*>> state) {
  args.require_same_dtype(grad, "grad", param, "param");
  args.require_positive_length(param, "param");
  args.require_length(grad, "grad", param.length);
  args.require_disjoint(param, "param", grad, "grad");
  for (const auto& [buffer, name] : state) {
    args.require_same_dtype(buffer, name, param, "param");
    args.require_length(buffer, name, param.length);
    args.require_disjoint(buffer, name, param, "param");
    args.require_disjoint(buffer, name, grad, "grad");
  }
}

double fraction(const Args& args, size_t index, const char* name) {
  const double v = args.finite_number(index, name);
  if (!(v >= 0 && v < 1)) args.range_error(std::string(name) + " must be in [0, 1), got " + Args::number_text(v));
  return v;
}

// momentumUpdate(param, grad, velocity, learningRate, beta): in place, the course's update_parameters_with_momentum
Napi::Value MomentumUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "momentumUpdate");
  args.require_count(5);
  const FloatArray param = args.float_array(0, "param"), grad = args.float_array(1, "grad"),
                   velocity = args.float_array(2, "velocity");
  const double learning_rate = args.finite_number(3, "learningRate");
  const double beta = fraction(args, 4, "beta");
  check_update_buffers(args, param, grad, {{velocity, "velocity"}});
  dispatch(param.dtype, [&](auto t) {
    using T = decltype(t);
    momentum_update_into(param.as<T>(), param.as<T>(), grad.as<T>(), velocity.as<T>(), velocity.as<T>(), param.length,
                         static_cast<T>(learning_rate), static_cast<T>(beta));
  });
  return info.Env().Undefined();
}

// adamUpdate(param, grad, v, s, learningRate, beta1, beta2, epsilon, t): in place, the course's
// update_parameters_with_adam
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "adamUpdate");
  args.require_count(9);
  const FloatArray param = args.float_array(0, "param"), grad = args.float_array(1, "grad"),
                   v = args.float_array(2, "v"), s = args.float_array(3, "s");
  const double learning_rate = args.finite_number(4, "learningRate");
  const double beta1 = fraction(args, 5, "beta1"), beta2 = fraction(args, 6, "beta2");
  const double epsilon = args.finite_number(7, "epsilon");
  if (!(epsilon > 0)) args.range_error("epsilon must be positive, got " + Args::number_text(epsilon));
  const int t = args.dimension(8, "t");
  check_update_buffers(args, param, grad, {{v, "v"}, {s, "s"}});
  args.require_disjoint(v, "v", s, "s");
  dispatch(param.dtype, [&](auto tag) {
    using T = decltype(tag);
    adam_update_into(param.as<T>(), param.as<T>(), grad.as<T>(), v.as<T>(), s.as<T>(), v.as<T>(), s.as<T>(),
                     param.length, static_cast<T>(learning_rate), static_cast<T>(beta1), static_cast<T>(beta2),
                     static_cast<T>(epsilon), t);
  });
  return info.Env().Undefined();
}

// Element-wise (out, AL, Y) kernels with one shape: dAL or dZ from AL and Y.
template <typename Kernel32, typename Kernel64>
Napi::Value OutputGradient(const Napi::CallbackInfo& info, const char* function, const char* out_name,
                           Kernel32 kernel32, Kernel64 kernel64) {
  Args args(info, function);
  args.require_count(3);
  const FloatArray out = args.float_array(0, out_name), AL = args.float_array(1, "AL"), Y = args.float_array(2, "Y");
  args.require_same_dtype(out, out_name, AL, "AL");
  args.require_same_dtype(Y, "Y", AL, "AL");
  args.require_positive_length(AL, "AL");
  args.require_length(Y, "Y", AL.length);
  args.require_length(out, out_name, AL.length);
  args.require_disjoint(out, out_name, AL, "AL");
  args.require_disjoint(out, out_name, Y, "Y");
  if (AL.dtype == DType::Float32)
    kernel32(out.as<float>(), AL.as<float>(), Y.as<float>(), AL.length);
  else
    kernel64(out.as<double>(), AL.as<double>(), Y.as<double>(), AL.length);
  return info.Env().Undefined();
}

// binaryCrossEntropyBackward(dAL, AL, Y)
Napi::Value BinaryCrossEntropyBackward(const Napi::CallbackInfo& info) {
  return OutputGradient(info, "binaryCrossEntropyBackward", "dAL", binary_cross_entropy_backward<float>,
                        binary_cross_entropy_backward<double>);
}

// sigmoidCrossEntropyBackward(dZ, AL, Y)
Napi::Value SigmoidCrossEntropyBackward(const Napi::CallbackInfo& info) {
  return OutputGradient(info, "sigmoidCrossEntropyBackward", "dZ", sigmoid_cross_entropy_backward<float>,
                        sigmoid_cross_entropy_backward<double>);
}

// sgdUpdate(param, grad, learningRate): param -= learningRate * grad, in place
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "sgdUpdate");
  args.require_count(3);
  const FloatArray param = args.float_array(0, "param"), grad = args.float_array(1, "grad");
  const double learning_rate = args.finite_number(2, "learningRate");
  args.require_same_dtype(grad, "grad", param, "param");
  args.require_positive_length(param, "param");
  args.require_length(grad, "grad", param.length);
  args.require_disjoint(param, "param", grad, "grad");
  dispatch(param.dtype, [&](auto t) {
    using T = decltype(t);
    sgd_update(param.as<T>(), grad.as<T>(), param.length, static_cast<T>(learning_rate));
  });
  return info.Env().Undefined();
}

// gatherColumns(out, X, n, indices): out (n, indices.length) = X (n, ·)[:, indices]
Napi::Value GatherColumns(const Napi::CallbackInfo& info) {
  Args args(info, "gatherColumns");
  args.require_count(4);
  const FloatArray out = args.float_array(0, "out"), X = args.float_array(1, "X");
  const int n = args.dimension(2, "n");
  const std::pair<uint32_t*, size_t> indices = args.uint32_array(3, "indices");
  const uint32_t* const index = indices.first;
  const size_t count = indices.second;
  args.require_same_dtype(out, "out", X, "X");
  args.require_positive_length(X, "X");
  if (X.length % static_cast<size_t>(n) != 0)
    args.range_error("X has " + std::to_string(X.length) +
                     " elements, not a whole number of columns of n = " + std::to_string(n));
  const size_t columns = X.length / n;
  if (count == 0) args.range_error("indices is empty");
  args.require_length(out, "out", n, count);
  // indices may live on a SharedArrayBuffer that another thread writes while this call runs: every index is read
  // once, checked, and only that checked copy reaches the kernel. The first pass refuses a bad index before out is
  // written; the second copies chunks onto the stack, checks each copy again (the memory may have changed since)
  // and gathers from the copies.
  const auto column_at = [&](size_t j) {
    const uint32_t column = __atomic_load_n(index + j, __ATOMIC_RELAXED);
    if (column >= columns)
      args.range_error("indices[" + std::to_string(j) + "] = " + std::to_string(column) +
                       " is not a column of X (it has " + std::to_string(columns) + ")");
    return column;
  };
  for (size_t j = 0; j < count; ++j) column_at(j);
  args.require_disjoint(out, "out", X, "X");
  // out must not overlap indices either: writing out would overwrite indices not yet read
  const uint8_t* out_begin = static_cast<const uint8_t*>(out.data);
  const uint8_t* index_begin = reinterpret_cast<const uint8_t*>(index);
  if (out_begin < index_begin + count * sizeof(uint32_t) && index_begin < out_begin + out.byte_length())
    args.range_error("out and indices share memory; pass separate buffers");
  constexpr size_t kChunk = 256;
  uint32_t checked[kChunk];
  for (size_t first = 0; first < count; first += kChunk) {
    const size_t length = std::min(kChunk, count - first);
    for (size_t k = 0; k < length; ++k) checked[k] = column_at(first + k);
    dispatch(X.dtype, [&](auto t) {
      using T = decltype(t);
      gather_columns(out.as<T>() + first * static_cast<size_t>(n), X.as<T>(), n, checked, length);
    });
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("linearForward", Napi::Function::New(env, LinearForward, "linearForward"));
  exports.Set("linearActivationForward", Napi::Function::New(env, LinearActivationForward, "linearActivationForward"));
  exports.Set("activationForward", Napi::Function::New(env, ActivationForward, "activationForward"));
  exports.Set("activationBackward", Napi::Function::New(env, ActivationBackward, "activationBackward"));
  exports.Set("linearBackward", Napi::Function::New(env, LinearBackward, "linearBackward"));
  exports.Set("binaryCrossEntropy", Napi::Function::New(env, BinaryCrossEntropy, "binaryCrossEntropy"));
  exports.Set("binaryCrossEntropyFromLogits",
              Napi::Function::New(env, BinaryCrossEntropyFromLogits, "binaryCrossEntropyFromLogits"));
  exports.Set("binaryCrossEntropyBackward",
              Napi::Function::New(env, BinaryCrossEntropyBackward, "binaryCrossEntropyBackward"));
  exports.Set("sigmoidCrossEntropyBackward",
              Napi::Function::New(env, SigmoidCrossEntropyBackward, "sigmoidCrossEntropyBackward"));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate, "sgdUpdate"));
  exports.Set("gatherColumns", Napi::Function::New(env, GatherColumns, "gatherColumns"));
  exports.Set("categoricalCrossEntropy", Napi::Function::New(env, CategoricalCrossEntropy, "categoricalCrossEntropy"));
  exports.Set("categoricalCrossEntropyFromLogits",
              Napi::Function::New(env, CategoricalCrossEntropyFromLogits, "categoricalCrossEntropyFromLogits"));
  exports.Set("softmaxForward", Napi::Function::New(env, SoftmaxForward, "softmaxForward"));
  exports.Set("momentumUpdate", Napi::Function::New(env, MomentumUpdate, "momentumUpdate"));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate, "adamUpdate"));
}

}  // namespace dnn::binding
