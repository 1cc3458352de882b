// A whole L-layer network's training step over flat buffers, for the Model's fast path: one call from
// JavaScript runs forward, cost, backward and update, with nothing allocated.
//
// Layer l = 1..L has n_l = dims[l] units; n_0 = dims[0] is the input size. Hidden layers use their activation;
// the output layer is sigmoid with binary cross-entropy or softmax with categorical cross-entropy, and its
// backward is fused: dZ_L = AL - Y. Every matrix is column-major.
//
// params (and next_params): for l = 1..L in order, W_l (n_l, n_{l-1}) then b_l (n_l, 1), back to back.
// grads, velocity, squares: the same layout.
// workspace, `capacity` columns each: A_1 .. A_L (n_l, capacity), then Z_L (n_L, capacity), then
// dZ_1 .. dZ_L (n_l, capacity). A batch of m <= capacity examples uses the first m columns of each.
// masks (only with dropout): D_1 .. D_{L-1} (n_l, capacity).
// X (n_0, m) and Y (n_L, m) are the batch.
#pragma once
#include <cstddef>
#include <cstdint>

#include "activation.hpp"
#include "random.hpp"

namespace dnn {

enum class Optimizer : int { GradientDescent = 0, Momentum = 1, Adam = 2 };
constexpr int kOptimizerCount = 3;

template <typename T>
struct NetworkView {
  int num_layers = 0;                       // L
  const int* dims = nullptr;                // L + 1 sizes
  const Activation* activations = nullptr;  // L activations; the last is Sigmoid or Softmax
  int capacity = 0;                         // columns in each workspace matrix
  T* params = nullptr;                      // current parameters
  T* next_params = nullptr;                 // where a step writes the updated parameters (null: in place)
  T* grads = nullptr;
  T* workspace = nullptr;

  // Regularisation: L2 weight decay λ (cost + (λ / 2m) Σ ||W||², dW += (λ/m) W), and inverted dropout on hidden
  // layers with keep probability keep_prob[l - 1] (< 1 turns it on for layer l; masks and dropout_rng needed then).
  double l2 = 0.0;
  const double* keep_prob = nullptr;
  T* masks = nullptr;
  NumpyRandomState* dropout_rng = nullptr;

  // Optimiser: momentum uses velocity (beta1); Adam uses velocity and squares (beta1, beta2, epsilon, and the step
  // count *adam_step, incremented by each update).
  Optimizer optimizer = Optimizer::GradientDescent;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  T* velocity = nullptr;
  T* squares = nullptr;
  int64_t* adam_step = nullptr;
};

size_t network_parameter_count(const int* dims, int num_layers);
size_t network_workspace_length(const int* dims, int num_layers, int capacity);
size_t network_mask_length(const int* dims, int num_layers, int capacity);

// A_1 .. A_L and Z_L for the batch X (n_0, m); with training and dropout configured, hidden outputs are dropped
// with fresh masks.
template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m, bool training);

// The last layer's activations AL (n_L, capacity) after network_forward; the batch is its first m columns.
template <typename T>
const T* network_output(const NetworkView<T>& net);

// Cross-entropy of the last forward pass against Y (n_L, m), from the logits (stable); with_penalty adds the L2 term.
template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m, bool with_penalty);

// grads = d cost / d params after network_forward on the same X (training says whether that pass used dropout);
// dZ_L = AL - Y; dA_0 is never computed.
template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m, bool training);

// next_params = the optimiser's update of params with grads (momentum/Adam state updated in place).
template <typename T>
void network_update(const NetworkView<T>& net, T learning_rate);

// One training step: forward (training), cost (with penalty) and, only if the cost is finite, backward and update.
// Returns the cost before the update.
template <typename T>
double network_train_step(const NetworkView<T>& net, const T* X, const T* Y, int m, T learning_rate);

}  // namespace dnn
