#include "network.hpp"

#include <cmath>

#include "blas.hpp"
#include "cost.hpp"
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
  for (int l = 1; l < layer; ++l) offset += static_cast<size_t>(dims[l]) * (dims[l - 1] + 1);
  T* W = base + offset;
  return {W, W + static_cast<size_t>(dims[layer]) * dims[layer - 1]};
}

template <typename T>
T* activations_of(const NetworkView<T>& net, int layer /* 1..L */) {
  size_t offset = 0;
  for (int l = 1; l < layer; ++l) offset += static_cast<size_t>(net.dims[l]);
  return net.workspace + offset * net.capacity;
}

template <typename T>
T* output_logits(const NetworkView<T>& net) {
  return net.workspace + total_units(net.dims, net.num_layers) * net.capacity;
}

template <typename T>
T* gradient_of_logits(const NetworkView<T>& net, int layer /* 1..L */) {
  size_t offset = total_units(net.dims, net.num_layers) + static_cast<size_t>(net.dims[net.num_layers]);
  for (int l = 1; l < layer; ++l) offset += static_cast<size_t>(net.dims[l]);
  return net.workspace + offset * net.capacity;
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

template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m) {
  const int L = net.num_layers;
  const T* A_prev = X;
  for (int l = 1; l <= L; ++l) {
    const LayerPointers<T> p = layer_params(net.params, net.dims, l);
    T* A = activations_of(net, l);
    // Hidden layers keep only A (the backward pass reads g' from A); the output layer keeps its logits too,
    // for the stable cost.
    T* Z = l == L ? output_logits(net) : A;
    linear_activation_forward(A, Z, p.W, A_prev, p.b, net.dims[l], net.dims[l - 1], m, net.activations[l - 1]);
    A_prev = A;
  }
}

template <typename T>
const T* network_output(const NetworkView<T>& net) {
  return activations_of(net, net.num_layers);
}

template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m) {
  return binary_cross_entropy_from_logits(output_logits(net), Y, net.dims[net.num_layers], m);
}

template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m) {
  const int L = net.num_layers;
  const size_t n_out = static_cast<size_t>(net.dims[L]);
  T* dZ = gradient_of_logits(net, L);
  sigmoid_cross_entropy_backward(dZ, activations_of(net, L), Y, n_out * m);
  for (int l = L; l >= 1; --l) {
    const int n = net.dims[l], n_prev = net.dims[l - 1];
    const LayerPointers<T> p = layer_params(net.params, net.dims, l);
    const LayerPointers<T> g = layer_params(net.grads, net.dims, l);
    const T* A_prev = l == 1 ? X : activations_of(net, l - 1);
    T* dZ_prev = l == 1 ? nullptr : gradient_of_logits(net, l - 1);
    linear_backward(dZ_prev, g.W, g.b, dZ, A_prev, p.W, n, n_prev, m);
    if (dZ_prev != nullptr) {
      // dA_{l-1} was written into dZ_{l-1}'s buffer; turn it into dZ_{l-1} in place.
      activation_backward_from_output(dZ_prev, A_prev, static_cast<size_t>(n_prev) * m, net.activations[l - 2]);
    }
    dZ = dZ_prev;
  }
}

template <typename T>
double network_train_step(const NetworkView<T>& net, const T* X, const T* Y, int m, T learning_rate) {
  network_forward(net, X, m);
  const double cost = network_cost(net, Y, m);
  if (!std::isfinite(cost)) return cost;
  network_backward(net, X, Y, m);
  const size_t count = network_parameter_count(net.dims, net.num_layers);
  if (net.next_params != nullptr)
    sgd_update_into(net.next_params, net.params, net.grads, count, learning_rate);
  else
    sgd_update(net.params, net.grads, count, learning_rate);
  return cost;
}

#define DNN_INSTANTIATE(T)                                                                   \
  template void network_forward<T>(const NetworkView<T>&, const T*, int);                    \
  template const T* network_output<T>(const NetworkView<T>&);                                \
  template double network_cost<T>(const NetworkView<T>&, const T*, int);                     \
  template void network_backward<T>(const NetworkView<T>&, const T*, const T*, int);         \
  template double network_train_step<T>(const NetworkView<T>&, const T*, const T*, int, T);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
