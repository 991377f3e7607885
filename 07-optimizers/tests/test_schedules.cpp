#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/schedules.hpp"

using namespace dlfs;

TEST_CASE("Step decay multiplies the rate by gamma every step_size steps", "[07-optimizers][schedules]") {
  const Schedule s = step_decay_schedule(0.1f, 3, 0.5f);
  CHECK(s(0) == 0.1f);
  CHECK(s(2) == 0.1f);
  CHECK(s(3) == Approx(0.05f));
  CHECK(s(5) == Approx(0.05f));
  CHECK(s(6) == Approx(0.025f));
  CHECK(step_decay_schedule(1.0f, 10)(25) == Approx(0.01f));  // default gamma 0.1, as PyTorch's StepLR
  CHECK_THROWS_WITH(step_decay_schedule(0.1f, 0), Catch::Contains("step_size must be positive"));
}

TEST_CASE("Exponential decay gives lr gamma^t", "[07-optimizers][schedules]") {
  const Schedule s = exponential_schedule(0.2f, 0.9f);
  CHECK(s(0) == 0.2f);
  CHECK(s(1) == Approx(0.18f));
  CHECK(s(10) == Approx(0.2 * std::pow(0.9, 10)));
}

TEST_CASE("Linear warm-up rises to the full rate, then cosine decays it to zero", "[07-optimizers][schedules]") {
  const Schedule s = warmup_cosine_schedule(1.0f, 4, 12);  // 4 warm-up steps, 8 of cosine
  CHECK(s(0) == Approx(0.25f));
  CHECK(s(1) == Approx(0.5f));
  CHECK(s(3) == Approx(1.0f));
  CHECK(s(4) == Approx(1.0f));                               // cosine's start
  CHECK(s(6) == Approx(0.5 * (1 + std::cos(M_PI * 2 / 8))));  // 2 of 8 cosine steps done
  CHECK(s(8) == Approx(0.5f));                               // half way down
  CHECK(s(12) == Approx(0.0f).margin(1e-9));
  CHECK(s(100) == Approx(0.0f).margin(1e-9));
}

TEST_CASE("Cosine with no warm-up is chapter 02's cosine schedule", "[07-optimizers][schedules]") {
  // Against the formula, lr_t = lr (1 + cos(pi t / T)) / 2, and zero past T (the code passes a
  // zero-step warm-up straight through to cosine_schedule, so the two must not be compared).
  const Schedule s = warmup_cosine_schedule(0.1f, 0, 50);
  for (std::size_t t = 0; t <= 60; t += 5)
    CHECK(s(t) == Approx(t >= 50 ? 0.0 : 0.05 * (1 + std::cos(M_PI * double(t) / 50))).margin(1e-7));
}

TEST_CASE("Warm-up can precede any schedule and is rejected when longer than the run", "[07-optimizers][schedules]") {
  const Schedule s = linear_warmup(step_decay_schedule(0.1f, 10, 0.5f), 5);
  CHECK(s(0) == Approx(0.02f));
  CHECK(s(4) == Approx(0.1f));
  CHECK(s(5) == Approx(0.1f));
  CHECK(s(15) == Approx(0.05f));  // step decay's own t = 10
  CHECK_THROWS_WITH(warmup_cosine_schedule(0.1f, 20, 10), Catch::Contains("20 warm-up steps exceed the 10 steps"));
}
