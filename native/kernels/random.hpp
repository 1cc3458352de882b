// numpy's legacy RandomState, reproduced bit for bit: MT19937 seeded by init_genrand (np.random.seed(s) for
// 0 <= s < 2^32), 53-bit doubles from two 32-bit draws (random_sample / rand), the polar Box-Muller gaussian
// that returns f·x2 and caches f·x1 (randn), and the bounded draws behind shuffle / permutation.
// std::log and std::sqrt are glibc's, as numpy's are; a JavaScript Math.log differs in the last bit for a few
// percent of inputs, which is why this lives in C++.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dnn {

// numpy's random_sample from two consecutive 32-bit outputs: 53 random bits over 2^53, the first draw high.
inline double uniform_from_bits(uint32_t first, uint32_t second) {
  return ((first >> 5) * 67108864.0 + (second >> 6)) / 9007199254740992.0;
}

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) { reseed(seed); }

  void reseed(uint32_t seed);
  uint32_t next_uint32();
  // out (len) = the next len 32-bit outputs, in order: len calls of next_uint32, tempered a state block at a time
  void fill_uint32(uint32_t* out, size_t len);
  // uniform in [0, 1): numpy's random_sample
  double next_double();
  // standard normal: numpy's legacy gauss (randn)
  double next_gaussian();
  // uniform integer in [0, max]: numpy's random_interval (mask and reject)
  uint64_t next_interval(uint64_t max);

  // out (len) = randn(len), in order
  void fill_standard_normal(double* out, size_t len);
  // out (len) = rand(len), in order
  void fill_uniform(double* out, size_t len);
  // in-place Fisher-Yates as numpy's legacy shuffle: for i = len-1 .. 1, swap(values[i], values[interval(i)])
  void shuffle(uint32_t* values, size_t len);

 private:
  static constexpr int kStateLength = 624;
  static constexpr size_t kUniformChunk = 256;  // doubles drawn per bulk pass
  void regenerate();
  uint32_t key_[kStateLength];
  int position_ = kStateLength;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace dnn
