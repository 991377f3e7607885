#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "common/fast_math.hpp"

using namespace dlfs;

namespace {

// Points spread over [low, high], plus the ends: where the tests look.
std::vector<float> sweep(float low, float high, int count) {
  std::vector<float> xs;
  for (int k = 0; k <= count; ++k) xs.push_back(low + (high - low) * float(k) / float(count));
  return xs;
}

}  // namespace

TEST_CASE("fast_exp is within 2 ulp of e^x wherever e^x is a normal float", "[common][fast_math]") {
  double worst = 0.0;
  for (float x : sweep(-87.3f, 88.3f, 2'000'000)) {
    const double exact = std::exp(double(x));
    worst = std::max(worst, std::abs(double(fast_exp(x)) - exact) / exact);
  }
  INFO("worst relative error " << worst);
  CHECK(worst <= 2.0 * std::numeric_limits<float>::epsilon());  // 2 ulp: an ulp is at most 2^-23 relative
}

TEST_CASE("fast_exp gives 0 far below, saturates far above, keeps NaN and exact e^0", "[common][fast_math]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(fast_exp(0.0f) == 1.0f);
  CHECK(fast_exp(-100.0f) == 0.0f);
  CHECK(fast_exp(-inf) == 0.0f);
  CHECK(std::isfinite(fast_exp(100.0f)));
  CHECK(fast_exp(inf) > 2e38f);
  CHECK(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("fast_sigmoid and fast_tanh are within 2e-7 of the exact functions", "[common][fast_math]") {
  double worst_sigmoid = 0.0, worst_tanh = 0.0, worst_tanh_relative = 0.0;
  for (float x : sweep(-100.0f, 100.0f, 2'000'000)) {
    worst_sigmoid = std::max(worst_sigmoid, std::abs(double(fast_sigmoid(x)) - 1.0 / (1.0 + std::exp(-double(x)))));
    const double exact = std::tanh(double(x));
    worst_tanh = std::max(worst_tanh, std::abs(double(fast_tanh(x)) - exact));
    if (x != 0.0f) worst_tanh_relative = std::max(worst_tanh_relative, std::abs(double(fast_tanh(x)) - exact) / std::abs(exact));
  }
  INFO("sigmoid " << worst_sigmoid << ", tanh " << worst_tanh << " (relative " << worst_tanh_relative << ")");
  CHECK(worst_sigmoid <= 2e-7);
  CHECK(worst_tanh <= 2e-7);
  CHECK(worst_tanh_relative <= 3e-7);  // near 0 too, where tanh(x) ~ x is tiny
}

TEST_CASE("fast_tanh and fast_sigmoid at the extremes", "[common][fast_math]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(fast_tanh(0.0f) == 0.0f);
  CHECK(fast_tanh(1e-30f) == 1e-30f);
  CHECK(fast_tanh(inf) == 1.0f);
  CHECK(fast_tanh(-inf) == -1.0f);
  CHECK(fast_sigmoid(inf) == 1.0f);
  CHECK(fast_sigmoid(-inf) < 1e-37f);
  CHECK(fast_sigmoid(0.0f) == 0.5f);
  CHECK(std::isnan(fast_tanh(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isnan(fast_sigmoid(std::numeric_limits<float>::quiet_NaN())));
}
