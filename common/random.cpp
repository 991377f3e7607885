#include "common/random.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace dlfs {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed) {
  // SplitMix64 spreads any seed (even 0) over the 256-bit state, which must not be all zero.
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() {
  // The top 24 bits fill a float's mantissa exactly: k / 2^24 for k in [0, 2^24).
  return float(next_u64() >> 40) * (1.0f / 16777216.0f);
}

float Rng::uniform(float lo, float hi) {
  // lo + (hi - lo) u with u < 1 can still round up to hi in float: [lo, hi) is kept by stepping
  // back to the float below hi in that rare case (7 in 2^26 draws of uniform(1, 2)).
  const float x = lo + (hi - lo) * uniform();
  return x < hi ? x : std::nextafter(hi, lo);
}

float Rng::normal(float mean, float stddev) {
  // Box-Muller: for U1, U2 uniform on (0, 1], sqrt(-2 ln U1) cos(2 pi U2) is N(0, 1).
  const double u1 = 1.0 - double(next_u64() >> 11) * 0x1.0p-53;  // (0, 1]: log is finite
  const double u2 = double(next_u64() >> 11) * 0x1.0p-53;
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return mean + stddev * float(z);
}

std::size_t Rng::below(std::size_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below: n must be positive");
  // Lemire's rejection: discard the few draws that would make low values more likely.
  const std::uint64_t threshold = (0 - std::uint64_t(n)) % n;
  for (;;) {
    const std::uint64_t x = next_u64();
    const unsigned __int128 m = (unsigned __int128)x * n;
    if (std::uint64_t(m) >= threshold) return std::size_t(m >> 64);
  }
}

std::vector<std::size_t> Rng::permutation(std::size_t n) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  shuffle(p);
  return p;
}

void Rng::fill_uniform(Tensor& t, float lo, float hi) {
  for (float& v : t) v = uniform(lo, hi);
}

void Rng::fill_normal(Tensor& t, float mean, float stddev) {
  for (float& v : t) v = normal(mean, stddev);
}

}  // namespace dlfs
