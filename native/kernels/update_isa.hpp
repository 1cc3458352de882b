// Adam's update loop (adam_kernel.inc) compiled for each instruction set; update.cpp picks one with active_isa().
// Arguments as adam_update_into's, with the bias corrections 1 - β^t already computed.
#pragma once
#include <cstddef>

namespace dnn::update_isa {

#define DNN_DECLARE_ADAM(suffix)                                                                                       \
  void adam_##suffix(float* next, const float* param, const float* grad, const float* v, const float* s, float* v_out, \
                     float* s_out, size_t len, float lr, float beta1, float beta2, float epsilon, float correction1,   \
                     float correction2);                                                                               \
  void adam_##suffix(double* next, const double* param, const double* grad, const double* v, const double* s,          \
                     double* v_out, double* s_out, size_t len, double lr, double beta1, double beta2, double epsilon,  \
                     double correction1, double correction2);
DNN_DECLARE_ADAM(avx2)
DNN_DECLARE_ADAM(avx512)
#undef DNN_DECLARE_ADAM

}  // namespace dnn::update_isa
