#include <catch2/catch.hpp>

#include "02-mlp/mlp.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "07-optimizers/tests/optimizer_steps.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("make_optimizer builds every named optimizer and names unknown ones", "[07-optimizers][make_optimizer]") {
  Parameter p = random_parameter(1);
  const std::vector<std::string> expected = {"sgd", "sgd-momentum", "sgd-nesterov", "rmsprop", "adagrad", "adam", "adamw"};
  REQUIRE(kOptimizerNames.size() == expected.size());
  for (std::size_t i = 0; i < kOptimizerNames.size(); ++i) {
    const auto optimizer = make_optimizer(kOptimizerNames[i], {&p}, 0.01f);
    CHECK(optimizer->name() == expected[i]);
    CHECK(optimizer->learning_rate() == 0.01f);
  }
  CHECK_THROWS_WITH(make_optimizer("adamax", {&p}, 0.01f),
                    Catch::Contains("unknown optimizer 'adamax'") && Catch::Contains("adamw"));
}

TEST_CASE("Every optimizer resumes exactly from a copy of its parameters and state", "[07-optimizers][make_optimizer][state]") {
  // What chapter 08's checkpoints rely on: after k steps, copying the parameters and every
  // state() tensor into a fresh model and optimizer makes the next steps bit-identical.
  const auto grads = random_gradients(6, 2);
  const std::vector<Tensor> first(grads.begin(), grads.begin() + 3), rest(grads.begin() + 3, grads.end());
  for (const std::string& name : kOptimizerNames) {
    DYNAMIC_SECTION(name) {
      Parameter original = random_parameter(3), resumed = random_parameter(4);
      const auto a = make_optimizer(name, {&original}, 0.01f);
      run_steps(*a, original, first);
      const auto b = make_optimizer(name, {&resumed}, 0.01f);
      resumed.value.copy_from(original.value);
      auto from = a->state(), to = b->state();
      REQUIRE(from.size() == to.size());
      for (std::size_t i = 0; i < from.size(); ++i) {
        REQUIRE(from[i].first == to[i].first);
        to[i].second->copy_from(*from[i].second);
      }
      run_steps(*a, original, rest);
      run_steps(*b, resumed, rest);
      require_close(resumed.value, original.value, 0.0, 0.0);
    }
  }
}

TEST_CASE("Every optimizer's step shared by threads (begin_step, then update_part on each part) gives step()'s bits",
          "[07-optimizers][make_optimizer][threads]") {
  // What chapter 02's training step relies on when its threads take the step they have just
  // summed the gradients for. The parts are taken in reverse order, as a thread may finish first.
  Rng rng(6);
  std::vector<Tensor> grads;
  for (int t = 0; t < 3; ++t) grads.push_back(random_tensor({37, 29}, rng));  // odd sizes: ragged parts
  const Tensor start = random_tensor({37, 29}, rng);
  for (const std::string& name : kOptimizerNames) {
    for (const bool clipped : {false, true}) {
      DYNAMIC_SECTION(name << (clipped ? "+clip" : "")) {
        Parameter whole("w", start), shared("w", start), bias_whole("b", Tensor({5})),
            bias_shared("b", Tensor({5}));  // 5 elements in 3 parts: one part holds 1
        const auto a = make_optimizer(name, {&whole, &bias_whole}, 0.01f);
        const auto b = make_optimizer(name, {&shared, &bias_shared}, 0.01f);
        ClipGradNorm clip_a(*a, {&whole, &bias_whole}, 1.0f), clip_b(*b, {&shared, &bias_shared}, 1.0f);
        Optimizer& one = clipped ? static_cast<Optimizer&>(clip_a) : *a;
        Optimizer& parts = clipped ? static_cast<Optimizer&>(clip_b) : *b;
        for (const Tensor& g : grads) {
          whole.grad.copy_from(g), shared.grad.copy_from(g);
          bias_whole.grad.fill(0.5f), bias_shared.grad.fill(0.5f);
          one.step();
          parts.begin_step();
          for (std::size_t part = 3; part-- > 0;) parts.update_part(part, 3);
        }
        require_close(shared.value, whole.value, 0.0, 0.0);
        require_close(bias_shared.value, bias_whole.value, 0.0, 0.0);
        CHECK_FALSE(std::equal(whole.value.begin(), whole.value.end(), start.begin()));  // it did step
      }
    }
  }
}

TEST_CASE("Adaptive optimizers name their state after the 02 MLP's parameters", "[07-optimizers][make_optimizer][state]") {
  Rng rng(5);
  Sequential model = make_mlp(4, {3}, 2, "relu", rng);
  const auto adam = make_optimizer("adam", model.parameters(), 1e-3f);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : adam->state()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"1.weight.exp_avg", "1.bias.exp_avg", "3.weight.exp_avg", "3.bias.exp_avg",
                                          "1.weight.exp_avg_sq", "1.bias.exp_avg_sq", "3.weight.exp_avg_sq",
                                          "3.bias.exp_avg_sq", "step"});
}
