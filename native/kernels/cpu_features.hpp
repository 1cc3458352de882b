// Which vector instruction set the own kernels use, decided once per process.
// Detection asks the CPU (cpuid) and the OS (xgetbv: are the AVX / AVX-512 registers saved on a context
// switch?); a CPU flag alone is not enough, an OS that does not save zmm state makes AVX-512 unusable.
// DNN_NATIVE_ISA=avx512|avx2|generic forces a path (read once, at the first call).
#pragma once

namespace dnn {

enum class Isa : int { Generic = 0, Avx2 = 1, Avx512 = 2 };
constexpr int kIsaCount = 3;

struct IsaConfig {
  Isa detected = Isa::Generic;  // the best this CPU and OS support
  Isa active = Isa::Generic;    // what the kernels use
  // DNN_NATIVE_ISA as set (null when unset); valid is false for a value that names no ISA (active is then
  // `detected`), forced_unsupported is true when it names an ISA this machine lacks (active is then `detected`).
  const char* requested = nullptr;
  bool valid = true;
  bool forced_unsupported = false;
};

const IsaConfig& isa_config();
inline Isa active_isa() { return isa_config().active; }
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

}  // namespace dnn
