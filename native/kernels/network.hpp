// A whole L-layer network's training step over flat buffers, for the Model's fast path: one call from
// JavaScript runs forward, cost, backward and update, with nothing allocated.
//
// Layer l = 1..L has n_l = dims[l] units; n_0 = dims[0] is the input size. Hidden layers use their activation,
// the output layer (l = L) is sigmoid with binary cross-entropy. Every matrix is column-major.
//
// params (and next_params): for l = 1..L in order, W_l (n_l, n_{l-1}) then b_l (n_l, 1), back to back.
// grads: the same layout (dW_l, db_l).
// workspace, `capacity` columns each: A_1 .. A_L (n_l, capacity), then Z_L (n_L, capacity), then
// dZ_1 .. dZ_L (n_l, capacity). A batch of m <= capacity examples uses the first m columns of each.
// X (n_0, m) and Y (n_L, m) are the batch.
#pragma once
#include <cstddef>

#include "activation.hpp"

namespace dnn {

template <typename T>
struct NetworkView {
  int num_layers = 0;                       // L
  const int* dims = nullptr;                // L + 1 sizes
  const Activation* activations = nullptr;  // L activations; the last must be Sigmoid
  int capacity = 0;                         // columns in each workspace matrix
  T* params = nullptr;                      // current parameters
  T* next_params = nullptr;                 // where a step writes the updated parameters (null: in place)
  T* grads = nullptr;
  T* workspace = nullptr;
};

size_t network_parameter_count(const int* dims, int num_layers);
size_t network_workspace_length(const int* dims, int num_layers, int capacity);

// A_1 .. A_L and Z_L for the batch X (n_0, m)
template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m);

// The last layer's activations AL (n_L, capacity) after network_forward; the batch is its first m columns.
template <typename T>
const T* network_output(const NetworkView<T>& net);

// Binary cross-entropy of the last forward pass against Y (n_L, m), from the logits (stable).
template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m);

// grads = d cost / d params after network_forward on the same X; dZ_L = AL - Y (fused sigmoid and
// cross-entropy); dA_0 is never computed.
template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m);

// One gradient-descent step: forward, cost, and, only if the cost is finite, backward and
// next_params = params - learning_rate · grads. Returns the cost before the update.
template <typename T>
double network_train_step(const NetworkView<T>& net, const T* X, const T* Y, int m, T learning_rate);

}  // namespace dnn
