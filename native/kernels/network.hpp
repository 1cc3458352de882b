// A whole L-layer network's training step over flat buffers, for the Model's fast path: one call from
// JavaScript runs forward, cost, backward and update, with nothing allocated.
//
// Layer l = 1..L has n_l = dims[l] units; n_0 = dims[0] is the input size. Hidden layers use their activation;
// the output layer is sigmoid with binary cross-entropy, softmax with categorical cross-entropy, or linear with
// half the mean squared error (regression), and its backward is fused: dZ_L = AL - Y for all three. Every matrix
// is column-major.
//
// params (and next_params): for l = 1..L in order, W_l (n_l, n_{l-1}) then b_l (n_l, 1), back to back.
// grads, velocity, squares: the same layout.
// workspace, `capacity` columns each: A_1 .. A_L (n_l, capacity), then Z_L (n_L, capacity), then
// dZ_1 .. dZ_L (n_l, capacity). A batch of m <= capacity examples uses the first m columns of each.
// masks (only with dropout): D_1 .. D_{L-1} (n_l, capacity).
// X (n_0, m) and Y (n_L, m) are the batch.
// network_layout computes every offset once; NetworkLayout is the one place that knows them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "activation.hpp"
#include "random.hpp"

namespace dnn {

enum class Optimizer : int { GradientDescent = 0, Momentum = 1, Adam = 2 };
constexpr int kOptimizerCount = 3;

// Where layer l's matrices start in the network's flat buffers, in elements.
struct LayerOffsets {
  size_t W, b;  // in params, next_params, grads, velocity and squares: W_l (n_l, n_{l-1}), b_l (n_l, 1)
  size_t A;     // in the workspace: A_l (n_l, capacity)
  size_t dZ;    // in the workspace: dZ_l (n_l, capacity)
  size_t mask;  // in masks: D_l (n_l, capacity); hidden layers only (the output layer's is mask_length, past the end)
};

// A network's whole memory layout: computed once, when the network is built, and read by every step.
struct NetworkLayout {
  int num_layers = 0;                    // L
  const int* dims = nullptr;             // L + 1 sizes
  int capacity = 0;                      // columns in each workspace matrix
  const LayerOffsets* layers = nullptr;  // layer l at layers[l - 1]
  size_t logits = 0;                     // Z_L (n_L, capacity) in the workspace
  size_t parameter_count = 0, workspace_length = 0, mask_length = 0;
};

// What network_layout found larger than kMaxNetworkElements, if anything.
enum class LayoutOverflow { None, Layer, Parameters, Workspace, Masks };
constexpr size_t kMaxNetworkElements = size_t(1) << 53;  // every length stays exact as a JavaScript number

// Fills layers[0 .. num_layers - 1] (storage the caller owns) and *layout over it, unless some buffer would hold
// more than kMaxNetworkElements elements: then it says which, and *layout is left as it was.
LayoutOverflow network_layout(const int* dims, int num_layers, int capacity, LayerOffsets* layers,
                              NetworkLayout* layout);

template <typename T>
struct NetworkView {
  explicit NetworkView(const NetworkLayout& network_layout) : layout(&network_layout) {}
  const NetworkLayout* layout;              // shapes and offsets, from network_layout
  const Activation* activations = nullptr;  // L activations; the last is Sigmoid, Softmax or Linear
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
  // where a step writes the new velocity and squares (null: in place), so that the state before it survives
  T* next_velocity = nullptr;
  T* next_squares = nullptr;
  int64_t* adam_step = nullptr;
};

// A_1 .. A_L and Z_L for the batch X (n_0, m); with training and dropout configured, hidden outputs are dropped
// with fresh masks.
template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m, bool training);

// Cross-entropy of the last forward pass against Y (n_L, m), from the logits (stable); with_penalty adds the L2 term.
template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m, bool with_penalty);

// grads = d cost / d params after network_forward on the same X (training says whether that pass used dropout);
// dZ_L = AL - Y; dA_0 is never computed.
template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m, bool training);

// next_params = the optimiser's update of params with grads; the momentum/Adam state goes to next_velocity and
// next_squares when set (double-buffered), else is updated in place.
template <typename T>
void network_update(const NetworkView<T>& net, T learning_rate);

// One training step: forward (training), cost (with penalty) and, only if the cost is finite, backward and update.
// Returns the cost before the update.
template <typename T>
double network_train_step(const NetworkView<T>& net, const T* X, const T* Y, int m, T learning_rate);

}  // namespace dnn
