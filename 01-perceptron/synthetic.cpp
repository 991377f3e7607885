#include "01-perceptron/synthetic.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

Dataset make_xor(std::size_t n, float noise, Rng& rng) {
  Dataset d;
  d.x = Tensor({n, 2});  // (n, 2)
  d.y.resize(n);
  d.feature_names = {"x1", "x2"};
  d.class_names = {"0", "1"};
  for (std::size_t i = 0; i < n; ++i) {
    // Cycle through the four corners so every corner gets n/4 points.
    const std::size_t a = (i >> 1) & 1, b = i & 1;
    d.x(i, 0) = float(a) + rng.normal(0.0f, noise);
    d.x(i, 1) = float(b) + rng.normal(0.0f, noise);
    d.y[i] = a ^ b;
  }
  return d;
}

SeparableProblem make_separable(std::size_t n, std::size_t features, float margin, Rng& rng) {
  SeparableProblem p;
  p.w_star = Tensor({features + 1});  // (F + 1): weights, then bias
  // A random direction; the bias entry is kept small so the plane passes through the cube
  // [-1, 1]^F and both classes appear.
  double norm2 = 0.0;
  for (std::size_t j = 0; j <= features; ++j) {
    p.w_star[j] = rng.normal() * (j == features ? 0.2f : 1.0f);
    norm2 += double(p.w_star[j]) * p.w_star[j];
  }
  for (float& w : p.w_star) w = float(w / std::sqrt(norm2));

  Dataset& d = p.data;
  d.x = Tensor({n, features});  // (n, F)
  d.y.resize(n);
  for (std::size_t j = 0; j < features; ++j) {
    std::string name = "x";
    name += std::to_string(j + 1);
    d.feature_names.push_back(name);
  }
  d.class_names = {"-1", "+1"};
  std::size_t attempts = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (;;) {
      if (++attempts > 1000 * (n + 1))
        throw std::invalid_argument("make_separable: margin " + std::to_string(margin) + " is too wide for this plane");
      double s = p.w_star[features];  // w_star . (x, 1) = w . x + b
      for (std::size_t j = 0; j < features; ++j) {
        d.x(i, j) = rng.uniform(-1.0f, 1.0f);
        s += double(p.w_star[j]) * d.x(i, j);
      }
      if (std::abs(s) >= margin) {
        d.y[i] = s > 0 ? 1 : 0;
        break;
      }
    }
  }
  return p;
}

}  // namespace dlfs
