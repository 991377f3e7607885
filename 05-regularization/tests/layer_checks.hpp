// Checks that chapter 05's tests share: PyTorch fixtures, and a layer's backward against central
// differences with a random upstream gradient.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "02-mlp/layer.hpp"
#include "common/ops.hpp"
#include "common/safetensors.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/require_close.hpp"

namespace dlfs::test {

// ---- PyTorch fixtures (written by make_fixtures.py; meson test sets DLFS_FIXTURES) ---------------

// Copies PyTorch's state_dict values into the layer by name: every parameter of the layer, trainable
// or not, must be in the file under the same name with the same shape (a saved model maps one to one).
inline void load_fixture_state(Layer& layer, const SafetensorsFile& file) {
  for (Parameter* p : layer.parameters()) {
    INFO("parameter " << p->name);
    const Tensor& value = fixture_tensor(file, p->name);
    REQUIRE(value.shape() == p->value.shape());
    p->value.copy_from(value);
  }
}

// ---- Backward against central differences -------------------------------------------------------

// With a fixed random G shaped like the output, L = sum(y G) has dL/dy = G, so backward(G) must
// give dL/dx and (added into .grad) dL/dtheta for every trainable parameter. (Never L = sum(y): a
// normalization's output sums to a constant, so that gradient is zero and would prove nothing.)
// forward_hook runs before every forward (e.g. to replay a dropout mask). h is the probe's step: a
// smaller one for networks with ReLUs inside, so that a probe rarely crosses a kink.
//
// Backward must ADD into .grad, never overwrite it: micro-batches and replicas (chapter 02's
// train_on_batch) call backward once per slice and rely on the sums. So the same forward and
// backward run once more without zeroing, and every gradient must have doubled.
template <class Hook = void (*)()>
void check_layer_gradients(Layer& layer, Tensor x, Rng& rng, double atol = 1e-3, double rtol = 1e-3,
                           Hook forward_hook = [] {}, double h = 1e-2) {
  forward_hook();
  const Tensor y = layer.forward(x);
  const Tensor g = random_tensor(y.shape(), rng);
  auto loss = [&] {
    forward_hook();
    return dot(layer.forward(x), g);
  };
  loss();
  layer.zero_grad();
  const Tensor dx = layer.backward(g);
  {
    INFO("dL/dx");
    require_close(dx, numerical_gradient(loss, x, h), atol, rtol);
  }
  std::vector<Tensor> analytic;  // each trainable parameter's gradient, in order
  for (Parameter* p : layer.parameters()) {
    if (!p->trainable) continue;  // running statistics: no gradient, not learned
    INFO("dL/d" << p->name);
    analytic.push_back(p->grad);
    require_close(analytic.back(), numerical_gradient(loss, p->value, h), atol, rtol);
  }
  loss();  // the forward pass of x itself again: the probes left the layer's caches at x + h
  layer.backward(g);
  std::size_t i = 0;
  for (Parameter* p : layer.parameters()) {
    if (!p->trainable) continue;
    INFO("dL/d" << p->name << " after a second backward without zero_grad: must be twice the first");
    require_close(p->grad, analytic[i++] * 2.0f, 1e-6, 1e-5);
  }
}

}  // namespace dlfs::test
