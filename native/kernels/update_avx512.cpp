// Adam's update loop (adam_kernel.inc) for AVX-512 (-mavx512f -mavx512vl, 512-bit vectors preferred). Called only when
// cpu_features says the CPU and OS support it; the same bits as the baseline build.
#include <cstddef>

#include "update_isa.hpp"

#define DNN_UPDATE_ISA avx512
#include "update_isa_entry.inc"
