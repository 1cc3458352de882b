#include "network.hpp"

#include <cmath>

#include "cost.hpp"
#include "dropout.hpp"
#include "linear.hpp"
#include "update.hpp"

namespace dnn {
namespace {

size_t total_units(const int* dims, int num_layers) {
  size_t units = 0;
  for (int l = 1; l <= num_layers; ++l) units += static_cast<size_t>(dims[l]);
  return units;
}

// Offsets of the per-layer matrices inside the flat buffers, walked in layer order.
template <typename T>
struct LayerPointers {
  T* W;
  T* b;
};

template <typename T>
LayerPointers<T> layer_params(T* base, const int* dims, int layer /* 1..L */) {
  size_t offset = 0;
  for (int l = 1; l < layer; ++l) offset += static_cast<size_t>(dims[l]) * (static_cast<size_t>(dims[l - 1]) + 1);
  T* W = base + offset;
  return {W, W + static_cast<size_t>(dims[layer]) * dims[layer - 1]};
}

// The rows of layers 1 .. layer-1 stacked: where layer's block starts in a per-layer (n_l, capacity) buffer.
size_t rows_before(const int* dims, int layer /* 1..L */) {
  size_t rows = 0;
  for (int l = 1; l < layer; ++l) rows += static_cast<size_t>(dims[l]);
  return rows;
}

template <typename T>
T* activations_of(const NetworkView<T>& net, int layer /* 1..L */) {
  return net.workspace + rows_before(net.dims, layer) * net.capacity;
}

template <typename T>
T* output_logits(const NetworkView<T>& net) {
  return net.workspace + total_units(net.dims, net.num_layers) * net.capacity;
}

template <typename T>
T* gradient_of_logits(const NetworkView<T>& net, int layer /* 1..L */) {
  const size_t offset = total_units(net.dims, net.num_layers) + static_cast<size_t>(net.dims[net.num_layers]);
  return net.workspace + (offset + rows_before(net.dims, layer)) * net.capacity;
}

template <typename T>
T* mask_of(const NetworkView<T>& net, int layer /* 1..L-1 */) {
  return net.masks + rows_before(net.dims, layer) * net.capacity;
}

template <typename T>
bool drops(const NetworkView<T>& net, int layer /* 1..L-1 */) {
  return net.keep_prob != nullptr && net.keep_prob[layer - 1] < 1.0;
}

}  // namespace

size_t network_parameter_count(const int* dims, int num_layers) {
  size_t count = 0;
  for (int l = 1; l <= num_layers; ++l) count += static_cast<size_t>(dims[l]) * (static_cast<size_t>(dims[l - 1]) + 1);
  return count;
}

size_t network_workspace_length(const int* dims, int num_layers, int capacity) {
  return (2 * total_units(dims, num_layers) + static_cast<size_t>(dims[num_layers])) * static_cast<size_t>(capacity);
}

size_t network_mask_length(const int* dims, int num_layers, int capacity) {
  return rows_before(dims, num_layers) * static_cast<size_t>(capacity);
}

template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m, bool training) {
  const int L = net.num_layers;
  const T* A_prev = X;
  for (int l = 1; l <= L; ++l) {
    const LayerPointers<T> p = layer_params(net.params, net.dims, l);
    T* A = activations_of(net, l);
    // Hidden layers keep only A (the backward pass reads g' from A); the output layer keeps its logits too,
    // for the stable cost.
    T* Z = l == L ? output_logits(net) : A;
    linear_activation_forward(A, Z, p.W, A_prev, p.b, net.dims[l], net.dims[l - 1], m, net.activations[l - 1]);
    if (training && l < L && drops(net, l))
      dropout_forward(A, mask_of(net, l), net.dims[l], m, static_cast<T>(net.keep_prob[l - 1]), *net.dropout_rng);
    A_prev = A;
  }
}

template <typename T>
const T* network_output(const NetworkView<T>& net) {
  return activations_of(net, net.num_layers);
}

template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m, bool with_penalty) {
  const int L = net.num_layers;
  const double cross_entropy = net.activations[L - 1] == Activation::Softmax
                                   ? categorical_cross_entropy_from_logits(output_logits(net), Y, net.dims[L], m)
                                   : binary_cross_entropy_from_logits(output_logits(net), Y, net.dims[L], m);
  if (!with_penalty || net.l2 == 0.0) return cross_entropy;
  double squares = 0.0;
  for (int l = 1; l <= L; ++l)
    squares +=
        sum_of_squares(layer_params(net.params, net.dims, l).W, static_cast<size_t>(net.dims[l]) * net.dims[l - 1]);
  // the course's compute_cost_with_regularization: (1/m) (λ/2) Σ ||W||²
  return cross_entropy + (1.0 / m) * (net.l2 / 2) * squares;
}

template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m, bool training) {
  const int L = net.num_layers;
  T* dZ = gradient_of_logits(net, L);
  sigmoid_cross_entropy_backward(dZ, activations_of(net, L), Y, static_cast<size_t>(net.dims[L]) * m);
  const T decay = static_cast<T>(net.l2 / m);
  for (int l = L; l >= 1; --l) {
    const int n = net.dims[l], n_prev = net.dims[l - 1];
    const LayerPointers<T> p = layer_params(net.params, net.dims, l);
    const LayerPointers<T> g = layer_params(net.grads, net.dims, l);
    const T* A_prev = l == 1 ? X : activations_of(net, l - 1);
    T* dZ_prev = l == 1 ? nullptr : gradient_of_logits(net, l - 1);
    linear_backward(dZ_prev, g.W, g.b, dZ, A_prev, p.W, n, n_prev, m);
    if (net.l2 != 0.0) add_scaled(g.W, p.W, static_cast<size_t>(n) * n_prev, decay);
    if (dZ_prev != nullptr) {
      // dA_{l-1} was written into dZ_{l-1}'s buffer; turn it into dZ_{l-1} in place.
      const size_t len = static_cast<size_t>(n_prev) * m;
      if (training && drops(net, l - 1))
        dropout_backward_from_output(dZ_prev, A_prev, mask_of(net, l - 1), len, static_cast<T>(net.keep_prob[l - 2]),
                                     net.activations[l - 2]);
      else
        activation_backward_from_output(dZ_prev, A_prev, len, net.activations[l - 2]);
    }
    dZ = dZ_prev;
  }
}

template <typename T>
void network_update(const NetworkView<T>& net, T learning_rate) {
  const size_t count = network_parameter_count(net.dims, net.num_layers);
  T* next = net.next_params != nullptr ? net.next_params : net.params;
  switch (net.optimizer) {
    case Optimizer::GradientDescent:
      if (next != net.params)
        sgd_update_into(next, net.params, net.grads, count, learning_rate);
      else
        sgd_update(net.params, net.grads, count, learning_rate);
      break;
    case Optimizer::Momentum:
      momentum_update_into(next, net.params, net.grads, net.velocity, count, learning_rate, static_cast<T>(net.beta1));
      break;
    case Optimizer::Adam:
      *net.adam_step += 1;
      adam_update_into(next, net.params, net.grads, net.velocity, net.squares, count, learning_rate,
                       static_cast<T>(net.beta1), static_cast<T>(net.beta2), static_cast<T>(net.epsilon),
                       *net.adam_step);
      break;
  }
}

template <typename T>
double network_train_step(const NetworkView<T>& net, const T* X, const T* Y, int m, T learning_rate) {
  network_forward(net, X, m, true);
  const double cost = network_cost(net, Y, m, true);
  if (!std::isfinite(cost)) return cost;
  network_backward(net, X, Y, m, true);
  network_update(net, learning_rate);
  return cost;
}

#define DNN_INSTANTIATE(T)                                                                 \
  template void network_forward<T>(const NetworkView<T>&, const T*, int, bool);            \
  template const T* network_output<T>(const NetworkView<T>&);                              \
  template double network_cost<T>(const NetworkView<T>&, const T*, int, bool);             \
  template void network_backward<T>(const NetworkView<T>&, const T*, const T*, int, bool); \
  template void network_update<T>(const NetworkView<T>&, T);                               \
  template double network_train_step<T>(const NetworkView<T>&, const T*, const T*, int, T);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
