// Inverted dropout, as the course's forward_propagation_with_dropout / backward_propagation_with_dropout.
// A, D are (n, m), column-major; D holds 0 or 1.
#pragma once
#include <cstddef>

#include "activation.hpp"
#include "random.hpp"

namespace dnn {

// D (n, m) = [u < keep_prob] with u drawn as np.random.rand(n, m) (row by row, so a seeded RandomState gives the
// course's masks); A (n, m) = A · D / keep_prob, in place.
template <typename T>
void dropout_forward(T* A, T* D, int n, int m, T keep_prob, NumpyRandomState& rng);

// dZ (len) = dA · D / keep_prob · g'(.), in place on dZ (which holds dA on entry), with g' taken from the dropped
// output A (len): where D = 1 the activation's output is A · keep_prob; where D = 0 the gradient is 0 anyway.
template <typename T>
void dropout_backward_from_output(T* dZ, const T* A, const T* D, size_t len, T keep_prob, Activation activation);

}  // namespace dnn
