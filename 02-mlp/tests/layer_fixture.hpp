// A layer against a PyTorch fixture (tests/fixtures/*.safetensors, written by the chapter's
// make_fixtures.py): the module's weights loaded by their PyTorch names, then the forward pass and
// the backward pass of L = sum(output * doutput) compared with PyTorch's. Chapters 02 and 03 share it.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "02-mlp/layer.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/require_close.hpp"

namespace dlfs::test {

// The fixture holds, under `prefix`: input, output, doutput, grad.input, and for every parameter
// of the layer its value (prefix + name, e.g. "linear.weight") and gradient ("linear.grad.weight").
inline void check_layer_against_fixture(Layer& layer, const SafetensorsFile& file, const std::string& prefix,
                                        double atol = 1e-6, double rtol = 1e-5) {
  for (Parameter* p : layer.parameters()) {
    INFO("parameter " << p->name);
    const Tensor& value = fixture_tensor(file, prefix + p->name);
    REQUIRE(value.shape() == p->value.shape());  // PyTorch's layout, e.g. (out, in), (OC, C, KH, KW)
    p->value.copy_from(value);
  }
  const Tensor y = layer.forward(fixture_tensor(file, prefix + "input"));
  {
    INFO(prefix << "output");
    require_close(y, fixture_tensor(file, prefix + "output"), atol, rtol);
  }
  layer.zero_grad();
  const Tensor dx = layer.backward(fixture_tensor(file, prefix + "doutput"));
  {
    INFO(prefix << "grad.input");
    require_close(dx, fixture_tensor(file, prefix + "grad.input"), atol, rtol);
  }
  for (Parameter* p : layer.parameters()) {
    INFO(prefix << "grad." << p->name);
    require_close(p->grad, fixture_tensor(file, prefix + "grad." + p->name), atol, rtol);
  }
}

}  // namespace dlfs::test
