// XOR: the function chapter 01's perceptron cannot learn, learned by a two-layer MLP.
//
// XOR's classes are not linearly separable (no line splits {(0,0),(1,1)} from {(0,1),(1,0)}),
// but one hidden layer bends the input space until they are: 2 -> 4 tanh -> 2 logits.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/sequential.hpp"
#include "common/flags.hpp"
#include "common/ops.hpp"

using namespace dlfs;

int main(int argc, char** argv) {
  CLI::App app{"Train a 2-4-2 MLP on XOR with full-batch gradient descent"};
  std::size_t hidden = 4, max_epochs = 2000;
  float lr = 0.5f;
  std::uint64_t seed = 42;
  app.add_option("--hidden", hidden, "hidden units")->check(CLI::Range(1, 1024));
  app.add_option("--epochs", max_epochs, "maximum epochs (stops early once all four are right)")->check(CLI::Range(1, 1000000));
  app.add_option("--lr", lr, "learning rate")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "random seed");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);

  const Tensor x({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});  // (4, 2)
  const std::vector<int> y = {0, 1, 1, 0};

  Rng rng(seed);
  Sequential model;
  model.emplace<Dense>(2, hidden, rng, Init::Xavier);
  model.emplace<Tanh>();
  model.emplace<Dense>(hidden, 2, rng, Init::Xavier);
  SGD sgd(model.parameters(), lr);

  std::size_t epoch = 0, correct = 0;
  double loss = 0.0;
  while (epoch < max_epochs) {
    ++epoch;
    const Tensor logits = model.forward(x);  // (4, 2)
    const LossAndGrad l = softmax_cross_entropy(logits, y);
    sgd.zero_grad();
    model.backward(l.grad);
    sgd.step();
    loss = l.loss;
    const auto predicted = argmax(logits, 1);
    correct = 0;
    for (std::size_t i = 0; i < 4; ++i) correct += predicted[i] == std::size_t(y[i]);
    if (epoch % 100 == 0 || correct == 4)
      std::printf("epoch %zu loss %.4f correct %zu/4\n", epoch, loss, correct);
    if (correct == 4 && loss < 0.1) break;  // all right, and confidently so
  }
  const Tensor final_logits = model.forward(x);
  const auto predicted = argmax(final_logits, 1);
  correct = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    std::printf("  xor(%g, %g) = %zu\n", double(x(i, 0)), double(x(i, 1)), predicted[i]);
    correct += predicted[i] == std::size_t(y[i]);
  }
  std::printf("result: model=mlp-2-%zu-2 dataset=xor accuracy=%.4f epochs=%zu loss=%.4f\n", hidden,
              double(correct) / 4.0, epoch, loss);
  return correct == 4 ? 0 : 1;
}
