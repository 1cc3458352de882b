// Parameter updates (gradient descent, momentum, Adam) and the small passes around them. Every buffer is flat,
// `len` elements; outputs first.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dnn {

// param (len) -= learning_rate · grad (len), in place   (the tutorial's update_parameters)
template <typename T>
void sgd_update(T* param, const T* grad, size_t len, T learning_rate);

// next (len) = param (len) - learning_rate · grad (len), leaving param untouched: the same arithmetic as
// sgd_update into a second buffer, so a step whose result turns out bad can be dropped exactly.
template <typename T>
void sgd_update_into(T* next, const T* param, const T* grad, size_t len, T learning_rate);

// Momentum (the course's form): velocity = beta · velocity + (1 - beta) · grad; next = param - learning_rate ·
// velocity. The new velocity goes to velocity_out: velocity itself (in place) or a second buffer, so that the state
// before the step survives it (a double-buffered state). next may equal param.
template <typename T>
void momentum_update_into(T* next, const T* param, const T* grad, const T* velocity, T* velocity_out, size_t len,
                          T learning_rate, T beta);

// Adam (the course's form), step t >= 1: v = β1 v + (1 - β1) g; s = β2 s + (1 - β2) g²;
// v̂ = v / (1 - β1^t); ŝ = s / (1 - β2^t); next = param - learning_rate · v̂ / (√ŝ + epsilon).
// The new moments go to v_out and s_out (v and s themselves, or second buffers); next may equal param.
template <typename T>
void adam_update_into(T* next, const T* param, const T* grad, const T* v, const T* s, T* v_out, T* s_out, size_t len,
                      T learning_rate, T beta1, T beta2, T epsilon, int64_t t);

// y (len) += alpha · x (len)
template <typename T>
void add_scaled(T* y, const T* x, size_t len, T alpha);

// Σ x², accumulated in double
template <typename T>
double sum_of_squares(const T* x, size_t len);

// out (n, count) = X (n, ·)[:, indices[0..count)]: columns gathered in the given order (a shuffled mini-batch
// pass); indices are trusted to be in range (the binding checks them).
template <typename T>
void gather_columns(T* out, const T* X, int n, const uint32_t* indices, size_t count);

}  // namespace dnn
