// Element-wise activations and their derivatives, and the column-wise softmax.
// Every buffer is a flat array of `len` elements (any matrix shape, column-major); outputs come first.
#pragma once
#include <cstddef>

namespace dnn {

// The numeric codes are part of the binding's contract (binding.d.ts): append, never renumber.
// Softmax works on whole columns, so it is only available where the shape is known (bias_activation_forward,
// linear_activation_forward and a network's output layer).
enum class Activation : int { Linear = 0, Relu = 1, Sigmoid = 2, Tanh = 3, LeakyRelu = 4, Softmax = 5 };
constexpr int kActivationCount = 6;
// Leaky ReLU's slope for z < 0.
constexpr double kLeakyReluSlope = 0.01;

// A (len) = g(Z (len)); A may alias Z. Not for Softmax.
template <typename T>
void activation_forward(T* A, const T* Z, size_t len, Activation activation);

// dZ (len) = dA (len) * g'(Z (len)): the tutorial's relu_backward / sigmoid_backward. Not for Softmax.
template <typename T>
void activation_backward(T* dZ, const T* dA, const T* Z, size_t len, Activation activation);

// dZ (len) *= g'(.) computed from the activation's output A (len) instead of Z: relu' is [A > 0], sigmoid' is
// A (1 - A), tanh' is 1 - A². Lets the training path keep only A for hidden layers (one buffer, one pass fewer).
template <typename T>
void activation_backward_from_output(T* dZ, const T* A, size_t len, Activation activation);

// Z (n, m) += b (n, 1) broadcast over columns, then A (n, m) = g(Z): one pass (softmax: per column). A may alias
// Z, in which case only the activation's output is kept.
template <typename T>
void bias_activation_forward(T* A, T* Z, const T* b, int n, int m, Activation activation);

// A (n, m) = softmax of each column of Z (n, m), computed as exp(z - max) / Σ exp(z - max); A may alias Z.
template <typename T>
void softmax_forward(T* A, const T* Z, int n, int m);

}  // namespace dnn
