#include "network.hpp"

#include <cmath>

#include "cost.hpp"
#include "dropout.hpp"
#include "linear.hpp"
#include "update.hpp"

namespace dnn {

LayoutOverflow network_layout(const int* dims, int num_layers, int capacity, LayerOffsets* layers,
                              NetworkLayout* layout) {
  const auto product = [](size_t a, size_t b, size_t* result) {
    return !__builtin_mul_overflow(a, b, result) && *result <= kMaxNetworkElements;
  };
  // The totals first, checked: every offset is below its buffer's total, so none can wrap after this.
  size_t parameters = 0, units = 0;
  for (int l = 1; l <= num_layers; ++l) {
    size_t layer;
    if (!product(static_cast<size_t>(dims[l]), static_cast<size_t>(dims[l - 1]) + 1, &layer))
      return LayoutOverflow::Layer;
    parameters += layer;
    if (parameters > kMaxNetworkElements) return LayoutOverflow::Parameters;
    units += static_cast<size_t>(dims[l]);
  }
  const size_t output_units = static_cast<size_t>(dims[num_layers]), columns = static_cast<size_t>(capacity);
  size_t workspace, masks;
  if (!product(2 * units + output_units, columns, &workspace)) return LayoutOverflow::Workspace;
  if (!product(units - output_units, columns, &masks)) return LayoutOverflow::Masks;

  // params: W_1 b_1 .. W_L b_L; workspace: A_1 .. A_L, Z_L, dZ_1 .. dZ_L; masks: D_1 .. D_{L-1}
  size_t parameter = 0, rows_before = 0;
  const size_t logits = units * columns, gradients = logits + output_units * columns;
  for (int l = 1; l <= num_layers; ++l) {
    const size_t n = static_cast<size_t>(dims[l]), weights = n * static_cast<size_t>(dims[l - 1]);
    layers[l - 1] = {parameter, parameter + weights, rows_before * columns, gradients + rows_before * columns,
                     rows_before * columns};
    parameter += weights + n;
    rows_before += n;
  }
  *layout = {num_layers, dims, capacity, layers, logits, parameters, workspace, masks};
  return LayoutOverflow::None;
}

namespace {

template <typename T>
const LayerOffsets& offsets(const NetworkView<T>& net, int layer /* 1..L */) {
  return net.layout->layers[layer - 1];
}

template <typename T>
T* activations_of(const NetworkView<T>& net, int layer /* 1..L */) {
  return net.workspace + offsets(net, layer).A;
}

template <typename T>
T* gradient_of_logits(const NetworkView<T>& net, int layer /* 1..L */) {
  return net.workspace + offsets(net, layer).dZ;
}

template <typename T>
bool drops(const NetworkView<T>& net, int layer /* 1..L-1 */) {
  return net.keep_prob != nullptr && net.keep_prob[layer - 1] < 1.0;
}

}  // namespace

template <typename T>
void network_forward(const NetworkView<T>& net, const T* X, int m, bool training) {
  const NetworkLayout& layout = *net.layout;
  const int L = layout.num_layers;
  const T* A_prev = X;
  for (int l = 1; l <= L; ++l) {
    const LayerOffsets& at = offsets(net, l);
    T* A = net.workspace + at.A;
    // Hidden layers keep only A (the backward pass reads g' from A); the output layer keeps its logits too,
    // for the stable cost.
    T* Z = l == L ? net.workspace + layout.logits : A;
    linear_activation_forward(A, Z, net.params + at.W, A_prev, net.params + at.b, layout.dims[l], layout.dims[l - 1], m,
                              net.activations[l - 1]);
    if (training && l < L && drops(net, l))
      dropout_forward(A, net.masks + at.mask, layout.dims[l], m, static_cast<T>(net.keep_prob[l - 1]),
                      *net.dropout_rng);
    A_prev = A;
  }
}

template <typename T>
double network_cost(const NetworkView<T>& net, const T* Y, int m, bool with_penalty) {
  const NetworkLayout& layout = *net.layout;
  const int L = layout.num_layers;
  const T* logits = net.workspace + layout.logits;
  const Activation output = net.activations[L - 1];
  // a linear output (regression) has AL = Z_L and half the mean squared error, whose gradient is the same AL - Y
  const double cross_entropy =
      output == Activation::Softmax  ? categorical_cross_entropy_from_logits(logits, Y, layout.dims[L], m)
      : output == Activation::Linear ? half_squared_error(logits, Y, layout.dims[L], m)
                                     : binary_cross_entropy_from_logits(logits, Y, layout.dims[L], m);
  if (!with_penalty || net.l2 == 0.0) return cross_entropy;
  double squares = 0.0;
  for (int l = 1; l <= L; ++l)
    squares += sum_of_squares(net.params + offsets(net, l).W, static_cast<size_t>(layout.dims[l]) * layout.dims[l - 1]);
  // the course's compute_cost_with_regularization: (1/m) (λ/2) Σ ||W||²
  return cross_entropy + (1.0 / m) * (net.l2 / 2) * squares;
}

template <typename T>
void network_backward(const NetworkView<T>& net, const T* X, const T* Y, int m, bool training) {
  const NetworkLayout& layout = *net.layout;
  const int L = layout.num_layers;
  T* dZ = gradient_of_logits(net, L);
  sigmoid_cross_entropy_backward(dZ, activations_of(net, L), Y, static_cast<size_t>(layout.dims[L]) * m);
  const T decay = static_cast<T>(net.l2 / m);
  for (int l = L; l >= 1; --l) {
    const int n = layout.dims[l], n_prev = layout.dims[l - 1];
    const LayerOffsets& at = offsets(net, l);
    const T* W = net.params + at.W;
    T* dW = net.grads + at.W;
    const T* A_prev = l == 1 ? X : activations_of(net, l - 1);
    T* dZ_prev = l == 1 ? nullptr : gradient_of_logits(net, l - 1);
    linear_backward(dZ_prev, dW, net.grads + at.b, dZ, A_prev, W, n, n_prev, m);
    if (net.l2 != 0.0) add_scaled(dW, W, static_cast<size_t>(n) * n_prev, decay);
    if (dZ_prev != nullptr) {
      // dA_{l-1} was written into dZ_{l-1}'s buffer; turn it into dZ_{l-1} in place.
      const size_t len = static_cast<size_t>(n_prev) * m;
      if (training && drops(net, l - 1))
        dropout_backward_from_output(dZ_prev, A_prev, net.masks + offsets(net, l - 1).mask, len,
                                     static_cast<T>(net.keep_prob[l - 2]), net.activations[l - 2]);
      else
        activation_backward_from_output(dZ_prev, A_prev, len, net.activations[l - 2]);
    }
    dZ = dZ_prev;
  }
}

template <typename T>
void network_update(const NetworkView<T>& net, T learning_rate) {
  const size_t count = net.layout->parameter_count;
  T* next = net.next_params != nullptr ? net.next_params : net.params;
  switch (net.optimizer) {
    case Optimizer::GradientDescent:
      if (next != net.params)
        sgd_update_into(next, net.params, net.grads, count, learning_rate);
      else
        sgd_update(net.params, net.grads, count, learning_rate);
      break;
    case Optimizer::Momentum:
      momentum_update_into(next, net.params, net.grads, net.velocity,
                           net.next_velocity != nullptr ? net.next_velocity : net.velocity, count, learning_rate,
                           static_cast<T>(net.beta1));
      break;
    case Optimizer::Adam:
      *net.adam_step += 1;
      adam_update_into(next, net.params, net.grads, net.velocity, net.squares,
                       net.next_velocity != nullptr ? net.next_velocity : net.velocity,
                       net.next_squares != nullptr ? net.next_squares : net.squares, count, learning_rate,
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
  template double network_cost<T>(const NetworkView<T>&, const T*, int, bool);             \
  template void network_backward<T>(const NetworkView<T>&, const T*, const T*, int, bool); \
  template void network_update<T>(const NetworkView<T>&, T);                               \
  template double network_train_step<T>(const NetworkView<T>&, const T*, const T*, int, T);
DNN_INSTANTIATE(float)
DNN_INSTANTIATE(double)
#undef DNN_INSTANTIATE

}  // namespace dnn
