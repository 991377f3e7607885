// Two toy tasks for the other kinds of target (02-mlp/targets.hpp), beside blobs.hpp's classes:
// a copy task labelled per position and a straight line to regress. Chapter 02's training tests
// introduce them; chapter 08's Trainer tests reuse them from here.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/sequential.hpp"
#include "02-mlp/train.hpp"
#include "common/random.hpp"

namespace dlfs::test {

// A copy task, labelled per position: each example is T one-hot tokens (N, T, C) and the target at
// every position is that position's own token; the last position of every third example is
// padding (kIgnoreIndex). Dense layers act on the last axis, so logits come out (N, T, C).
inline Examples copy_task(std::size_t n, std::size_t T, std::size_t C, Rng& rng) {
  Tensor x({n, T, C});  // (N, T, C)
  std::vector<int> labels(n * T);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t token = rng.below(C);
      x(i, t, token) = 1.0f;
      labels[i * T + t] = (i % 3 == 0 && t == T - 1) ? kIgnoreIndex : int(token);
    }
  return examples_from_tensor(std::move(x), Targets::per_position(std::move(labels), T));
}

// A model for the copy task: Dense layers act on the last axis, (N, T, C) -> (N, T, C).
inline Sequential copy_model(std::size_t C, Rng& rng) {
  Sequential model;
  model.emplace<Dense>(C, 8, rng, Init::Xavier);
  model.emplace<Tanh>();
  model.emplace<Dense>(8, C, rng, Init::Xavier);
  return model;
}

// y = 2 x0 - x1 + 0.5: a regression a single Dense(2, 1) can fit exactly.
inline Examples line(std::size_t n, Rng& rng) {
  Tensor x({n, 2}), y({n, 1});  // (N, 2), (N, 1)
  for (std::size_t i = 0; i < n; ++i) {
    x(i, 0) = rng.normal(0, 1), x(i, 1) = rng.normal(0, 1);
    y(i, 0) = 2 * x(i, 0) - x(i, 1) + 0.5f;
  }
  return examples_from_tensor(std::move(x), std::move(y));
}

}  // namespace dlfs::test
