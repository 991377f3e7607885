// Shared by the optimizer tests: a parameter, a fixed sequence of gradients, and a loop that feeds
// them to an optimizer, so each test can replay the same sequence through its Eigen reference.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

namespace dlfs::test {

// A (2, 3) parameter "w" with N(0, 1) values.
inline Parameter random_parameter(std::uint64_t seed) {
  Rng rng(seed);
  return Parameter("w", random_tensor({2, 3}, rng));
}

// `steps` gradients for a (2, 3) parameter, with columns on different scales (0.01, 1, 100) so
// that per-parameter adaptive rates have something to adapt to.
inline std::vector<Tensor> random_gradients(int steps, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Tensor> grads;
  for (int t = 0; t < steps; ++t) {
    Tensor g = random_tensor({2, 3}, rng);  // (2, 3)
    for (std::size_t r = 0; r < 2; ++r) g(r, 0) *= 0.01f, g(r, 2) *= 100.0f;
    grads.push_back(std::move(g));
  }
  return grads;
}

// Three gradients for a (2, 3) parameter where an adaptive optimizer's eps matters: row 0 always
// zero (an unused embedding row), row 1 tiny, (1, 2, 3) times `scale`.
inline std::vector<Tensor> zero_and_tiny_gradients(float scale) {
  std::vector<Tensor> grads(3, Tensor({2, 3}));  // (2, 3)
  for (Tensor& g : grads)
    for (std::size_t j = 0; j < 3; ++j) g(1, j) = scale * float(j + 1);
  return grads;
}

// Sets p.grad = grads[t] and steps, for every t in order.
inline void run_steps(Optimizer& optimizer, Parameter& p, const std::vector<Tensor>& grads) {
  for (const Tensor& g : grads) {
    p.grad.copy_from(g);
    optimizer.step();
  }
}

// The parameter's value as a double-precision Eigen matrix, for the references.
inline MatrixD as_double(const Tensor& t) { return as_eigen(t).cast<double>(); }

// Replays the PyTorch fixture (tests/fixtures/optimizers.safetensors, make_fixtures.py) through the
// optimizer `make` builds for a parameter starting at the fixture's theta0: after each of its
// three gradients the parameter must be torch.optim's `name`.step<k>.
inline void check_against_torch(const std::string& name,
                                const std::function<std::unique_ptr<Optimizer>(Parameter&)>& make) {
  const SafetensorsFile file = read_fixture("optimizers.safetensors");
  Parameter p("w", fixture_tensor(file, "theta0"));
  const std::unique_ptr<Optimizer> optimizer = make(p);
  for (int k = 0; k < 3; ++k) {
    INFO(name << ", after step " << k);
    p.grad.copy_from(fixture_tensor(file, "grad" + std::to_string(k)));
    optimizer->step();
    require_close(p.value, fixture_tensor(file, name + ".step" + std::to_string(k)), 1e-6, 1e-5);
  }
}

}  // namespace dlfs::test
