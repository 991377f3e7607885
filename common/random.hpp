// A seeded random number generator whose stream is ours, not the standard library's.
//
// std::normal_distribution and friends may differ between library versions, so a fixed seed
// would not pin a learner's run. xoshiro256** (Blackman & Vigna, 2018) seeded by SplitMix64 is
// small, fast, statistically strong, and fully specified: same seed -> same stream, everywhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Rng(std::uint64_t seed = 42);

  std::uint64_t next_u64();
  float uniform();                      // [0, 1), 24 random bits
  float uniform(float lo, float hi);    // [lo, hi)
  float normal(float mean = 0.0f, float stddev = 1.0f);  // Box-Muller
  std::size_t below(std::size_t n);     // uniform integer in [0, n), unbiased; n > 0

  // Fisher-Yates: every permutation equally likely.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }
  std::vector<std::size_t> permutation(std::size_t n);

  void fill_uniform(Tensor& t, float lo, float hi);
  void fill_normal(Tensor& t, float mean, float stddev);

  // The whole generator state, for checkpoints: set_state(state()) resumes the same stream.
  State state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_;
};

}  // namespace dlfs
