// Three Gaussian blobs in 2-D: a small classification problem an MLP learns in a few epochs.
// Chapter 02's training tests introduce it; later chapters' tests (07, 08) reuse it from here.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "02-mlp/train.hpp"
#include "common/random.hpp"

namespace dlfs::test {

inline Examples blobs(std::size_t n, Rng& rng) {
  Tensor x({n, 2});  // (N, 2)
  std::vector<int> y(n);
  const float centers[3][2] = {{0, 2}, {2, -1}, {-2, -1}};
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = int(i % 3);
    x(i, 0) = centers[y[i]][0] + rng.normal(0, 0.7f);
    x(i, 1) = centers[y[i]][1] + rng.normal(0, 0.7f);
  }
  return examples_from_tensor(std::move(x), std::move(y));
}

inline Examples blobs(std::size_t n, std::uint64_t seed = 7) {
  Rng rng(seed);
  return blobs(n, rng);
}

}  // namespace dlfs::test
