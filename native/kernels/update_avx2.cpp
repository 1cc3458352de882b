// Adam's update loop (adam_kernel.inc) for AVX2 (-mavx2 -mfma; no contraction: -ffp-contract=off stays). Called only
// when cpu_features says the CPU and OS support it; the same bits as the baseline build.
#include <cstddef>

#include "update_isa.hpp"

#define DNN_UPDATE_ISA avx2
#include "update_isa_entry.inc"
