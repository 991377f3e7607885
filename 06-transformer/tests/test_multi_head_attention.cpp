#include <catch2/catch.hpp>
#include <cmath>

#include "05-regularization/tests/layer_checks.hpp"
#include "06-transformer/multi_head_attention.hpp"
#include "06-transformer/tests/reference.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

void randomize_biases(MultiHeadSelfAttention& mha, Rng& rng) {
  rng.fill_normal(mha.in_proj().bias().value, 0.0f, 0.5f);
  rng.fill_normal(mha.out_proj().bias().value, 0.0f, 0.5f);
}

}  // namespace

TEST_CASE("multi-head self-attention matches explicit matrices in Eigen: project, split, attend, merge, project",
          "[06-transformer][mha]") {
  Rng rng(1);
  const std::size_t B = 2, T = 5, D = 6, H = 3;
  MultiHeadSelfAttention mha(D, H, rng);
  randomize_biases(mha, rng);
  const Tensor x = random_tensor({B, T, D}, rng);
  const MatrixD qkv = affine(to_matrix(x, B * T), mha.in_proj().weight().value, mha.in_proj().bias().value);
  const MatrixD o = attention_reference(from_eigen(qkv).reshaped({B, T, 3 * D}), H, true);
  const MatrixD expected = affine(o, mha.out_proj().weight().value, mha.out_proj().bias().value);
  require_close(mha.forward(x), from_eigen(expected).reshaped({B, T, D}), 1e-5, 1e-5);
}

TEST_CASE("multi-head self-attention backward matches central differences for the input and all four parameters",
          "[06-transformer][mha][grad]") {
  Rng rng(2);
  MultiHeadSelfAttention mha(4, 2, rng);
  randomize_biases(mha, rng);
  check_layer_gradients(mha, random_tensor({2, 3, 4}, rng), rng, 2e-3, 2e-3);
}

TEST_CASE("multi-head self-attention matches torch.nn.MultiheadAttention: output, every head's weights, all gradients",
          "[06-transformer][mha][pytorch]") {
  Rng rng(3);
  MultiHeadSelfAttention mha(8, 2, rng);
  const SafetensorsFile file = read_fixture("mha.safetensors");
  load_fixture_state(mha, file);
  const double tol = 1e-5;
  require_close(mha.forward(fixture_tensor(file, "input")), fixture_tensor(file, "output"), tol, tol);
  require_close(mha.attention().attention_weights(), fixture_tensor(file, "weights"), tol, tol);
  mha.zero_grad();
  require_close(mha.backward(fixture_tensor(file, "doutput")), fixture_tensor(file, "grad.input"), tol, tol);
  for (Parameter* p : mha.parameters()) {
    INFO(p->name);
    require_close(p->grad, fixture_tensor(file, "grad." + p->name), tol, tol);
  }
}

TEST_CASE("multi-head self-attention has torch.nn.MultiheadAttention's names, shapes and initial values",
          "[06-transformer][mha]") {
  Rng rng(4);
  MultiHeadSelfAttention mha(64, 4, rng);
  const std::vector<Parameter*> ps = mha.parameters();
  REQUIRE(ps.size() == 4);
  CHECK(ps[0]->name == "in_proj_weight");
  CHECK(ps[0]->value.shape() == Shape{192, 64});
  CHECK(ps[1]->name == "in_proj_bias");
  CHECK(ps[2]->name == "out_proj.weight");
  CHECK(ps[2]->value.shape() == Shape{64, 64});
  CHECK(ps[3]->name == "out_proj.bias");
  // in_proj_weight: Xavier-uniform, |w| <= sqrt(6 / (64 + 192)); out_proj.weight: |w| <= 1 / sqrt(64);
  // both biases zero.
  const auto largest = [](const Tensor& t) {
    float m = 0.0f;
    for (float v : t) m = std::max(m, std::fabs(v));
    return m;
  };
  CHECK(largest(ps[0]->value) <= std::sqrt(6.0f / 256.0f));
  CHECK(largest(ps[0]->value) > 0.9f * std::sqrt(6.0f / 256.0f));
  CHECK(largest(ps[2]->value) <= 0.125f);
  CHECK(largest(ps[2]->value) > 0.9f * 0.125f);
  CHECK(largest(ps[1]->value) == 0.0f);
  CHECK(largest(ps[3]->value) == 0.0f);
  CHECK(mha.name() == "MultiHeadSelfAttention(64, heads=4, causal)");
}

TEST_CASE("multi-head self-attention refuses a width that is not a multiple of the heads", "[06-transformer][mha]") {
  Rng rng(5);
  CHECK_THROWS_WITH(MultiHeadSelfAttention(10, 4, rng), Catch::Contains("the width 10 must be a positive multiple of the 4 heads"));
  MultiHeadSelfAttention mha(8, 2, rng);
  CHECK_THROWS_WITH(mha.forward(Tensor({2, 3, 6})), Catch::Contains("does not end in 8 features"));
}
