#include <catch2/catch.hpp>

#include "05-regularization/tests/layer_checks.hpp"
#include "06-transformer/tests/reference.hpp"
#include "06-transformer/transformer_block.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// LayerNorm weights near 1 and biases that are not 0, so that their gradients are not trivially tested.
void randomize(TransformerBlock& block, Rng& rng) {
  for (Parameter* p : block.parameters()) {
    if (p->name.find("bias") != std::string::npos) rng.fill_normal(p->value, 0.0f, 0.3f);
    else if (p->name.rfind("norm", 0) == 0)
      for (float& v : p->value) v = 1.0f + 0.3f * rng.normal();
  }
}

}  // namespace

TEST_CASE("the Transformer block matches its equations written with Eigen: x + Attn(LN(x)), then + MLP(LN(.))",
          "[06-transformer][block]") {
  Rng rng(1);
  const std::size_t B = 2, T = 4, D = 6, H = 2;
  TransformerBlock block(D, H, rng);
  randomize(block, rng);
  const Tensor x = random_tensor({B, T, D}, rng);
  const MatrixD X = to_matrix(x, B * T);
  MultiHeadSelfAttention& attn = block.self_attn();
  const MatrixD qkv = affine(layer_norm(X, block.norm1().weight().value, block.norm1().bias().value),
                             attn.in_proj().weight().value, attn.in_proj().bias().value);
  const MatrixD heads = attention_reference(from_eigen(qkv).reshaped({B, T, 3 * D}), H, true);
  const MatrixD h = X + affine(heads, attn.out_proj().weight().value, attn.out_proj().bias().value);
  const MatrixD hidden = gelu(affine(layer_norm(h, block.norm2().weight().value, block.norm2().bias().value),
                                     block.linear1().weight().value, block.linear1().bias().value));
  const MatrixD y = h + affine(hidden, block.linear2().weight().value, block.linear2().bias().value);
  require_close(block.forward(x), from_eigen(y).reshaped({B, T, D}), 1e-5, 1e-5);
}

TEST_CASE("the Transformer block's backward matches central differences for the input and every parameter",
          "[06-transformer][block][grad]") {
  Rng rng(2);
  TransformerBlock block(4, 2, rng);
  randomize(block, rng);
  check_layer_gradients(block, random_tensor({2, 3, 4}, rng), rng, 3e-3, 3e-3);
}

TEST_CASE("the Transformer block with dropout: backward matches central differences with the masks replayed",
          "[06-transformer][block][grad][dropout]") {
  Rng rng(3);
  TransformerBlock block(4, 2, rng, 0.2f);
  randomize(block, rng);
  Dropout* dropouts[] = {&block.self_attn().attention().weight_dropout(), &block.dropout1(), &block.dropout2()};
  Rng::State states[3];
  for (int i = 0; i < 3; ++i) states[i] = dropouts[i]->rng().state();
  check_layer_gradients(block, random_tensor({2, 3, 4}, rng), rng, 3e-3, 3e-3, [&] {
    for (int i = 0; i < 3; ++i) dropouts[i]->rng().set_state(states[i]);
  });
  CHECK(block.name() == "TransformerBlock(4, heads=2, dropout=0.2)");
}

TEST_CASE("a block whose two branches end in zero weights is the identity, forward and backward",
          "[06-transformer][block]") {
  // The residual stream at work: what a block adds is a correction to its input, and the gradient
  // reaches the input through the sums untouched.
  Rng rng(4);
  TransformerBlock block(6, 3, rng);
  block.self_attn().out_proj().weight().value.zero();
  block.self_attn().out_proj().bias().value.zero();
  block.linear2().weight().value.zero();
  block.linear2().bias().value.zero();
  const Tensor x = random_tensor({2, 5, 6}, rng);
  require_close(block.forward(x), x, 0.0, 0.0);
  const Tensor g = random_tensor({2, 5, 6}, rng);
  require_close(block.backward(g), g, 0.0, 0.0);
}

TEST_CASE("the Transformer block matches torch.nn.TransformerEncoderLayer (pre-LN, GELU, causal mask): output and all gradients",
          "[06-transformer][block][pytorch]") {
  Rng rng(5);
  TransformerBlock block(8, 2, rng);
  const SafetensorsFile file = read_fixture("block.safetensors");
  load_fixture_state(block, file);
  const double tol = 1e-5;
  require_close(block.forward(fixture_tensor(file, "input")), fixture_tensor(file, "output"), tol, tol);
  block.zero_grad();
  require_close(block.backward(fixture_tensor(file, "doutput")), fixture_tensor(file, "grad.input"), tol, tol);
  for (Parameter* p : block.parameters()) {
    INFO(p->name);
    require_close(p->grad, fixture_tensor(file, "grad." + p->name), tol, tol);
  }
}

TEST_CASE("the Transformer block has TransformerEncoderLayer's parameter names and shapes", "[06-transformer][block]") {
  Rng rng(6);
  TransformerBlock block(16, 4, rng);
  std::vector<std::string> names;
  for (Parameter* p : block.parameters()) names.push_back(p->name + shape_to_string(p->value.shape()));
  CHECK(names == std::vector<std::string>{
                     "norm1.weight(16)", "norm1.bias(16)", "self_attn.in_proj_weight(48, 16)",
                     "self_attn.in_proj_bias(48)", "self_attn.out_proj.weight(16, 16)", "self_attn.out_proj.bias(16)",
                     "norm2.weight(16)", "norm2.bias(16)", "linear1.weight(64, 16)", "linear1.bias(64)",
                     "linear2.weight(16, 64)", "linear2.bias(16)"});
  CHECK(block.name() == "TransformerBlock(16, heads=4)");
}
