// Argument unwrapping for the binding: every check throws a JavaScript TypeError or RangeError naming the
// function and the argument, before any kernel runs, so no output is ever half-written.
#pragma once
#include <napi.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "activation.hpp"
#include "network.hpp"

namespace dnn::binding {

enum class DType { Float32, Float64 };

inline const char* dtype_name(DType dtype) { return dtype == DType::Float32 ? "Float32Array" : "Float64Array"; }

// A Float32Array or Float64Array, unwrapped.
struct FloatArray {
  DType dtype;
  void* data;
  size_t length;
  size_t byte_length() const { return length * (dtype == DType::Float32 ? 4 : 8); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// Names the function in every message: "linearForward: W has 6 elements, expected 12 (3 x 4)".
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function) : info_(info), env_(info.Env()), function_(function) {}

  Napi::Env env() const { return env_; }

  [[noreturn]] void type_error(const std::string& message) const {
    throw Napi::TypeError::New(env_, std::string(function_) + ": " + message);
  }
  [[noreturn]] void range_error(const std::string& message) const {
    throw Napi::RangeError::New(env_, std::string(function_) + ": " + message);
  }

  void require_count(size_t count) const {
    if (info_.Length() < count)
      type_error("expected " + std::to_string(count) + " arguments, got " + std::to_string(info_.Length()));
  }

  static std::string describe(const Napi::Value& value) {
    if (value.IsUndefined()) return "undefined";
    if (value.IsNull()) return "null";
    if (value.IsTypedArray()) {
      switch (value.As<Napi::TypedArray>().TypedArrayType()) {
        case napi_int8_array:
          return "Int8Array";
        case napi_uint8_array:
          return "Uint8Array";
        case napi_uint8_clamped_array:
          return "Uint8ClampedArray";
        case napi_int16_array:
          return "Int16Array";
        case napi_uint16_array:
          return "Uint16Array";
        case napi_int32_array:
          return "Int32Array";
        case napi_uint32_array:
          return "Uint32Array";
        case napi_float32_array:
          return "Float32Array";
        case napi_float64_array:
          return "Float64Array";
        default:
          return "a typed array";
      }
    }
    if (value.IsArray()) return "an Array";
    if (value.IsNumber()) return "a number";
    if (value.IsString()) return "a string";
    if (value.IsBoolean()) return "a boolean";
    if (value.IsFunction()) return "a function";
    return "an object";
  }

  FloatArray float_array(size_t index, const char* name) const {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env_, info_[index], &type, &length, &data, nullptr, nullptr) == napi_ok &&
        (type == napi_float32_array || type == napi_float64_array))
      return {type == napi_float32_array ? DType::Float32 : DType::Float64, length == 0 ? nullptr : data, length};
    return float_array_of(info_[index], name);  // throws the named TypeError
  }

  // Works for typed arrays over ArrayBuffers and SharedArrayBuffers alike (napi_get_typedarray_info gives the data
  // pointer for both). A detached buffer reports length 0; every caller requires a positive length.
  // One Node-API call on the fast path: napi_get_typedarray_info fails (without a JavaScript exception) on anything
  // that is not a typed array.
  FloatArray float_array_of(const Napi::Value& value, const std::string& name) const {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env_, value, &type, &length, &data, nullptr, nullptr) == napi_ok &&
        (type == napi_float32_array || type == napi_float64_array))
      return {type == napi_float32_array ? DType::Float32 : DType::Float64, length == 0 ? nullptr : data, length};
    type_error(name + " must be a Float32Array or Float64Array, got " + describe(value));
  }

  // The value of a JavaScript number, in one Node-API call (napi_get_value_double refuses anything else).
  bool number_value(const Napi::Value& value, double* out) const {
    return napi_get_value_double(env_, value, out) == napi_ok;
  }

  // A Float32Array/Float64Array or null (an optional output).
  bool is_null(size_t index) const { return info_[index].IsNull() || info_[index].IsUndefined(); }

  // A Uint32Array (over an ArrayBuffer or a SharedArrayBuffer): its data and length.
  std::pair<uint32_t*, size_t> uint32_array(size_t index, const char* name) const {
    const Napi::Value value = info_[index];
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (!value.IsTypedArray() ||
        napi_get_typedarray_info(env_, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint32_array)
      type_error(std::string(name) + " must be a Uint32Array, got " + describe(value));
    return {static_cast<uint32_t*>(data), length};
  }

  // A positive integer that fits BLAS's int.
  int dimension(size_t index, const char* name) const {
    // the common case without building a std::string for the name
    double v;
    if (number_value(info_[index], &v) && v >= 1 && v <= 2147483647.0 &&
        v == static_cast<double>(static_cast<int64_t>(v)))
      return static_cast<int>(v);
    return dimension_of(info_[index], name);
  }

  int dimension_of(const Napi::Value& value, const std::string& name) const {
    double v;
    if (!number_value(value, &v)) type_error(name + " must be a positive integer, got " + describe(value));
    if (!(v >= 1) || v != static_cast<double>(static_cast<int64_t>(v)) || v > 2147483647.0)
      range_error(name + " must be a positive integer (at most 2147483647), got " + number_text(v));
    return static_cast<int>(v);
  }

  dnn::Activation activation(size_t index, const char* name) const {
    const Napi::Value value = info_[index];
    if (!value.IsNumber())
      type_error(std::string(name) + " must be an activation code (number), got " + describe(value));
    const double v = value.As<Napi::Number>().DoubleValue();
    if (!(v >= 0 && v < dnn::kActivationCount) || v != static_cast<double>(static_cast<int>(v)))
      range_error(std::string(name) + " must be an activation code from 0 to " +
                  std::to_string(dnn::kActivationCount - 1) + ", got " + number_text(v));
    return static_cast<dnn::Activation>(static_cast<int>(v));
  }

  double finite_number(size_t index, const char* name) const {
    const Napi::Value value = info_[index];
    double v;
    if (!number_value(value, &v)) type_error(std::string(name) + " must be a finite number, got " + describe(value));
    if (!std::isfinite(v)) range_error(std::string(name) + " must be a finite number, got " + number_text(v));
    return v;
  }

  void require_length(const FloatArray& array, const char* name, size_t rows, size_t cols) const {
    const size_t expected = rows * cols;
    if (array.length != expected)
      range_error(std::string(name) + " has " + std::to_string(array.length) + " elements, expected " +
                  std::to_string(expected) + " (" + std::to_string(rows) + " x " + std::to_string(cols) + ")");
  }

  void require_length(const FloatArray& array, const char* name, size_t expected) const {
    if (array.length != expected)
      range_error(std::string(name) + " has " + std::to_string(array.length) + " elements, expected " +
                  std::to_string(expected));
  }

  void require_positive_length(const FloatArray& array, const char* name) const {
    if (array.length == 0) range_error(std::string(name) + " is empty (or its buffer is detached)");
  }

  void require_same_dtype(const FloatArray& array, const char* name, const FloatArray& reference,
                          const char* reference_name) const {
    if (array.dtype != reference.dtype)
      type_error(std::string(name) + " is a " + dtype_name(array.dtype) + " but " + reference_name + " is a " +
                 dtype_name(reference.dtype) + "; use one dtype per call");
  }

  // Outputs must not overlap inputs or each other: the kernels read and write with no aliasing.
  void require_disjoint(const FloatArray& a, const char* a_name, const FloatArray& b, const char* b_name) const {
    const uint8_t* a0 = static_cast<const uint8_t*>(a.data);
    const uint8_t* b0 = static_cast<const uint8_t*>(b.data);
    if (a0 == nullptr || b0 == nullptr) return;
    if (a0 < b0 + b.byte_length() && b0 < a0 + a.byte_length())
      range_error(std::string(a_name) + " and " + b_name + " share memory; pass separate buffers");
  }

  // The shortest text that reads back as v, as JavaScript prints it: 3, 0.5, 1e+301, 1e-7 (never 300 digits).
  static std::string number_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    char text[32];
    const std::to_chars_result end = std::to_chars(text, text + sizeof text, v);
    std::string result(text, end.ptr);
    // to_chars writes at least two exponent digits ("1e-07"); JavaScript writes "1e-7"
    const size_t e = result.find('e');
    if (e != std::string::npos && e + 2 < result.size() && result[e + 2] == '0' && e + 3 < result.size())
      result.erase(e + 2, 1);
    if (e != std::string::npos && result[e + 1] != '-' && result[e + 1] != '+') result.insert(e + 1, "+");
    return result;
  }

 private:
  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* function_;
};

// Calls body(float{}) or body(double{}) for a dtype: each kernel is called once per element type.
template <typename Body>
void dispatch(DType dtype, Body&& body) {
  if (dtype == DType::Float32)
    body(float{});
  else
    body(double{});
}

// A network's memory layout (network_layout, the one owner of it), or a RangeError naming layerDims or capacity
// when a buffer would hold more than 2^53 elements. `layers` receives the per-layer offsets the layout points at.
inline NetworkLayout checked_network_layout(const Args& args, const std::vector<int>& dims, int capacity,
                                            std::vector<LayerOffsets>& layers) {
  layers.resize(dims.size() - 1);
  NetworkLayout layout;
  switch (network_layout(dims.data(), static_cast<int>(dims.size()) - 1, capacity, layers.data(), &layout)) {
    case LayoutOverflow::None:
      break;
    case LayoutOverflow::Layer:
      args.range_error("layerDims: a layer is too large (more than 2^53 elements)");
    case LayoutOverflow::Parameters:
      args.range_error("layerDims: the network is too large (more than 2^53 parameters)");
    case LayoutOverflow::Workspace:
      args.range_error("layerDims and capacity: the workspace is too large (more than 2^53 elements)");
    case LayoutOverflow::Masks:
      args.range_error("layerDims and capacity: the dropout masks are too large (more than 2^53 elements)");
  }
  return layout;
}

}  // namespace dnn::binding
