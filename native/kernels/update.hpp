// Parameter updates. Every buffer is flat, `len` elements.
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

// true when every element of x (len) is finite
template <typename T>
bool all_finite(const T* x, size_t len);

}  // namespace dnn

namespace dnn {

// out (n, count) = X (n, ·)[:, indices[0..count)]: columns gathered in the given order (a shuffled mini-batch
// pass); indices are trusted to be in range (the binding checks them).
template <typename T>
void gather_columns(T* out, const T* X, int n, const uint32_t* indices, size_t count);

}  // namespace dnn
