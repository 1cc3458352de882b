// Element-wise activations and their derivatives.
// Every buffer is a flat array of `len` elements (any matrix shape, column-major); outputs come first.
#pragma once
#include <cstddef>

namespace dnn {

// The numeric codes are part of the binding's contract (binding.d.ts): append, never renumber.
enum class Activation : int { Linear = 0, Relu = 1, Sigmoid = 2 };
constexpr int kActivationCount = 3;

// A (len) = g(Z (len)); A may alias Z.
template <typename T>
void activation_forward(T* A, const T* Z, size_t len, Activation activation);

// dZ (len) = dA (len) * g'(Z (len)): the tutorial's relu_backward / sigmoid_backward.
template <typename T>
void activation_backward(T* dZ, const T* dA, const T* Z, size_t len, Activation activation);

// dZ (len) *= g'(.) computed from the activation's output A (len) instead of Z: relu' is [A > 0], sigmoid' is
// A (1 - A). Lets the training path keep only A for hidden layers (one buffer, one pass fewer).
template <typename T>
void activation_backward_from_output(T* dZ, const T* A, size_t len, Activation activation);

// Z (n, m) += b (n, 1) broadcast over columns, then A (n, m) = g(Z): one pass. A may alias Z, in which case
// only the activation's output is kept.
template <typename T>
void bias_activation_forward(T* A, T* Z, const T* b, int n, int m, Activation activation);

}  // namespace dnn
