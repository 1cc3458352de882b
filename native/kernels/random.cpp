#include "random.hpp"

#include <cmath>

namespace dnn {

void NumpyRandomState::reseed(uint32_t seed) {
  for (int i = 0; i < kStateLength; ++i) {
    key_[i] = seed;
    seed = 1812433253u * (seed ^ (seed >> 30)) + static_cast<uint32_t>(i) + 1u;
  }
  position_ = kStateLength;
  has_gauss_ = false;
  gauss_ = 0.0;
}

namespace {
constexpr uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
// at most 227 (the distance of the second run), so a chunk never reads what it writes
constexpr int kTwistChunk = 64;

// key[i] = far[i] ^ twist(key[i], next[i]) for i < count, where next = key + 1 and far lies at least a vector ahead or
// 227 behind: no element is written before it is read, so the loop vectorises (it runs 8 or 16 lanes wide).
void twist_run(uint32_t* key, const uint32_t* far, int count) {
  uint32_t out[kTwistChunk];
  for (int start = 0; start < count; start += kTwistChunk) {
    const int len = count - start < kTwistChunk ? count - start : kTwistChunk;
    for (int i = 0; i < len; ++i) {
      const uint32_t y = (key[start + i] & kUpper) | (key[start + i + 1] & kLower);
      out[i] = far[start + i] ^ (y >> 1) ^ (-(y & 1u) & kMatrixA);
    }
    for (int i = 0; i < len; ++i) key[start + i] = out[i];
  }
}
}  // namespace

void NumpyRandomState::regenerate() {
  constexpr int kShift = 397;
  // i < 227 reads key[i + 397] (not yet rewritten); 227 <= i < 623 reads key[i - 227] (already rewritten this pass)
  twist_run(key_, key_ + kShift, kStateLength - kShift);
  twist_run(key_ + (kStateLength - kShift), key_, kShift - 1);
  int i = kStateLength - 1;
  const uint32_t y = (key_[i] & kUpper) | (key_[0] & kLower);
  key_[i] = key_[kShift - 1] ^ (y >> 1) ^ (-(y & 1u) & kMatrixA);
  position_ = 0;
}

void NumpyRandomState::fill_uint32(uint32_t* out, size_t len) {
  while (len > 0) {
    if (position_ == kStateLength) regenerate();
    const size_t available = static_cast<size_t>(kStateLength - position_);
    const size_t run = available < len ? available : len;
    const uint32_t* key = key_ + position_;
    for (size_t i = 0; i < run; ++i) {
      uint32_t y = key[i];
      y ^= (y >> 11);
      y ^= (y << 7) & 0x9d2c5680u;
      y ^= (y << 15) & 0xefc60000u;
      y ^= (y >> 18);
      out[i] = y;
    }
    position_ += static_cast<int>(run);
    out += run;
    len -= run;
  }
}

uint32_t NumpyRandomState::next_uint32() {
  if (position_ == kStateLength) regenerate();
  uint32_t y = key_[position_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}

double NumpyRandomState::next_double() {
  const uint32_t a = next_uint32();
  return uniform_from_bits(a, next_uint32());
}

double NumpyRandomState::next_gaussian() {
  if (has_gauss_) {
    has_gauss_ = false;
    return gauss_;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * next_double() - 1.0;
    x2 = 2.0 * next_double() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

uint64_t NumpyRandomState::next_interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t value;
  if (max <= 0xffffffffu) {
    while ((value = (next_uint32() & mask)) > max) {
    }
  } else {
    // numpy's next_uint64 for MT19937: two 32-bit draws, high word first
    while ((value = (((static_cast<uint64_t>(next_uint32()) << 32) | next_uint32()) & mask)) > max) {
    }
  }
  return value;
}

void NumpyRandomState::fill_standard_normal(double* out, size_t len) {
  for (size_t i = 0; i < len; ++i) out[i] = next_gaussian();
}

void NumpyRandomState::fill_uniform(double* out, size_t len) {
  uint32_t bits[2 * kUniformChunk];
  while (len > 0) {
    const size_t count = len < kUniformChunk ? len : kUniformChunk;
    fill_uint32(bits, 2 * count);
    for (size_t i = 0; i < count; ++i) out[i] = uniform_from_bits(bits[2 * i], bits[2 * i + 1]);
    out += count;
    len -= count;
  }
}

void NumpyRandomState::shuffle(uint32_t* values, size_t len) {
  for (size_t i = len; i-- > 1;) {
    const size_t j = static_cast<size_t>(next_interval(i));
    const uint32_t tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
}

}  // namespace dnn
