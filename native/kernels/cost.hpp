// Binary cross-entropy and its gradients. AL, Y, Z, dAL, dZ are (n, m), flat and column-major; the cost is
// summed over all n·m entries and divided by m (the tutorial's (1, m) case has n = 1).
#pragma once
#include <cstddef>

namespace dnn {

// cost = -(1/m) Σ [Y log AL + (1 - Y) log(1 - AL)]   (the tutorial's compute_cost)
// A term whose weight (Y or 1 - Y) is exactly 0 contributes 0, the limit of y·log(a) as y -> 0: AL of exactly
// 0 or 1 with an agreeing label gives a finite cost instead of the formula's 0·(-inf) = NaN.
template <typename T>
double binary_cross_entropy(const T* AL, const T* Y, int n, int m);

// The same cost from the logits Z (AL = sigmoid(Z)), in the stable form max(z, 0) - y·z + log(1 + exp(-|z|)):
// finite for every finite z, where log(sigmoid(z)) would round to log(0) for z below about -37 (float64).
template <typename T>
double binary_cross_entropy_from_logits(const T* Z, const T* Y, int n, int m);

// Categorical cross-entropy of softmax outputs AL (n, m) against one-hot (or soft) labels Y (n, m):
// cost = -(1/m) Σ Y log AL; zero-weight terms count 0.
template <typename T>
double categorical_cross_entropy(const T* AL, const T* Y, int n, int m);

// The same cost from the logits Z (AL = softmax of each column): Σ_columns [(Σ_k y_k) logsumexp(z) - Σ_k y_k z_k] / m,
// finite for every finite Z.
template <typename T>
double categorical_cross_entropy_from_logits(const T* Z, const T* Y, int n, int m);

// Half the mean squared error of a linear output AL (n, m) against targets Y (n, m): cost = (1/2m) Σ (AL - Y)²,
// summed in double. Its gradient with respect to the output is AL - Y (per example), so regression shares the
// fused dZ = AL - Y of the classifiers' outputs.
template <typename T>
double half_squared_error(const T* AL, const T* Y, int n, int m);

// dAL (len) = -(Y / AL - (1 - Y) / (1 - AL))   (the tutorial's dAL, fed to sigmoid_backward)
template <typename T>
void binary_cross_entropy_backward(T* dAL, const T* AL, const T* Y, size_t len);

// dZ (len) = AL - Y: the output activation's backward fused with its cross-entropy's backward, for sigmoid with
// binary cross-entropy and for softmax with categorical cross-entropy alike (for sigmoid, the same value as the
// dAL route without its division by AL (1 - AL)).
template <typename T>
void sigmoid_cross_entropy_backward(T* dZ, const T* AL, const T* Y, size_t len);

}  // namespace dnn
