// The linear step of a layer, forward and backward, as GEMMs on column-major buffers.
// Shapes (the tutorial's): W (n, n_prev), b (n, 1), A_prev (n_prev, m), Z and A (n, m); one column per example.
#pragma once
#include "activation.hpp"

namespace dnn {

// Z (n, m) = W (n, n_prev) · A_prev (n_prev, m) + b (n, 1)
template <typename T>
void linear_forward(T* Z, const T* W, const T* A_prev, const T* b, int n, int n_prev, int m);

// Z (n, m) = W · A_prev + b and A (n, m) = g(Z), the bias and activation fused into one pass after the GEMM.
// A may alias Z (then only g(Z) is kept).
template <typename T>
void linear_activation_forward(T* A, T* Z, const T* W, const T* A_prev, const T* b, int n, int n_prev, int m,
                               Activation activation);

// dW (n, n_prev) = (1/m) dZ (n, m) · A_prev (n_prev, m)ᵀ
// db (n, 1)      = (1/m) Σ_columns dZ
// dA_prev (n_prev, m) = Wᵀ (n_prev, n) · dZ (n, m), skipped when dA_prev is null.
// Transposes are BLAS flags; nothing is copied.
template <typename T>
void linear_backward(T* dA_prev, T* dW, T* db, const T* dZ, const T* A_prev, const T* W, int n, int n_prev, int m);

// db (n, 1) = scale · Σ_columns dZ (n, m)
template <typename T>
void sum_columns(T* db, const T* dZ, int n, int m, T scale);

}  // namespace dnn
