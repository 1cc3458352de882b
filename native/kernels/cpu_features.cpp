#include "cpu_features.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DNN_X86 1
#endif

namespace dnn {
namespace {

#if DNN_X86
// XCR0 through xgetbv, written out so this file needs no -mxsave.
unsigned long long read_xcr0() {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

Isa detect() {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::Generic;
  const bool osxsave = ecx & (1u << 27), avx = ecx & (1u << 28), fma = ecx & (1u << 12);
  if (!osxsave || !avx || !fma) return Isa::Generic;
  const unsigned long long xcr0 = read_xcr0();
  const bool os_saves_ymm = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
  const bool os_saves_zmm = (xcr0 & 0xe6) == 0xe6;  // plus opmask, zmm0-15 upper halves, zmm16-31
  if (!os_saves_ymm || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return Isa::Generic;
  // the AVX-512 kernels also use 256-bit registers 16-31, so they need AVX512VL beside AVX512F
  const bool avx2 = ebx & (1u << 5), avx512f = ebx & (1u << 16), avx512vl = ebx & (1u << 31);
  if (avx512f && avx512vl && os_saves_zmm && avx2) return Isa::Avx512;
  return avx2 ? Isa::Avx2 : Isa::Generic;
}
#else
Isa detect() { return Isa::Generic; }
#endif

IsaConfig configure() {
  IsaConfig config;
  config.detected = detect();
  config.active = config.detected;
  const char* requested = std::getenv("DNN_NATIVE_ISA");
  if (requested == nullptr || *requested == '\0') return config;
  config.requested = requested;
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (std::strcmp(requested, isa_name(isa)) != 0) continue;
    if (static_cast<int>(isa) <= static_cast<int>(config.detected))
      config.active = isa;
    else
      config.forced_unsupported = true;
    return config;
  }
  config.valid = false;
  return config;
}

}  // namespace

const IsaConfig& isa_config() {
  static const IsaConfig config = configure();  // thread-safe, once per process
  return config;
}

bool isa_supported(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(isa_config().detected); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Generic:
      break;
  }
  return "generic";
}

}  // namespace dnn
