// Convergence on two classic test functions, each optimizer with a rate chosen for it (the
// tables below state the rate, the step budget and the bound it must meet).
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "07-optimizers/make_optimizer.hpp"
#include "07-optimizers/schedules.hpp"

using namespace dlfs;

namespace {

struct Run {
  double distance = 0;       // |theta - theta*| after the last step
  int steps_to_reach = -1;   // first step with |theta - theta*| < reach_tolerance, -1 if never
};

// Runs `steps` updates of the named optimizer from theta0, with gradient(theta, grad) filling
// dL/dtheta, and measures the distance to the known minimum theta_star.
Run minimize(const std::string& name, const Schedule& schedule, int steps, const std::vector<float>& theta0,
             const std::vector<double>& theta_star, const std::function<void(const Tensor&, Tensor&)>& gradient,
             double reach_tolerance) {
  Parameter p("theta", Tensor({theta0.size()}, theta0));
  const auto optimizer = make_optimizer(name, {&p}, schedule(0));
  Run run;
  for (int t = 0; t < steps; ++t) {
    gradient(p.value, p.grad);
    optimizer->set_learning_rate(schedule(std::size_t(t)));
    optimizer->step();
    double squares = 0;
    for (std::size_t i = 0; i < theta_star.size(); ++i) squares += std::pow(double(p.value[i]) - theta_star[i], 2);
    run.distance = std::sqrt(squares);
    if (run.steps_to_reach < 0 && run.distance < reach_tolerance) run.steps_to_reach = t + 1;
  }
  return run;
}

// f(theta) = 1/2 sum_i a_i theta_i^2 - b_i theta_i: convex, curvatures 10 down to 0.5 (condition
// number 20), minimum at theta*_i = b_i / a_i.
const std::vector<double> kCurvature = {10, 5, 2, 1, 0.5}, kOffset = {1, -2, 3, -1, 2};
void quadratic_gradient(const Tensor& theta, Tensor& grad) {
  for (std::size_t i = 0; i < kCurvature.size(); ++i) grad[i] = float(kCurvature[i] * theta[i] - kOffset[i]);
}
std::vector<double> quadratic_minimum() {
  std::vector<double> star;
  for (std::size_t i = 0; i < kCurvature.size(); ++i) star.push_back(kOffset[i] / kCurvature[i]);
  return star;
}

// Rosenbrock's banana: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1) at the end of a
// long, curved, flat-bottomed valley (walls 100x steeper than its floor).
void rosenbrock_gradient(const Tensor& theta, Tensor& grad) {
  const double x = theta[0], y = theta[1];
  grad[0] = float(-2 * (1 - x) - 400 * x * (y - x * x));
  grad[1] = float(200 * (y - x * x));
}

}  // namespace

TEST_CASE("Every optimizer reaches the minimum of a convex quadratic within its stated bound",
          "[07-optimizers][convergence][quadratic]") {
  struct Case {
    std::string name;
    Schedule schedule;
    double bound;  // on |theta - theta*| after 1000 steps, from theta = 0 (|theta*| = 4.1)
  };
  const std::vector<Case> cases = {
      {"sgd", constant_schedule(0.15f), 1e-5},  // stable below 2 / (largest curvature) = 0.2
      {"momentum", constant_schedule(0.05f), 1e-5},
      {"nesterov", constant_schedule(0.05f), 1e-5},
      {"adagrad", constant_schedule(1.0f), 1e-5},
      {"adam", constant_schedule(0.1f), 1e-5},
      // RMSprop's step stays near lr in size even as the gradient vanishes (it is divided by its
      // own RMS), so at a constant rate it hovers around the minimum; a decaying rate settles it.
      {"rmsprop", constant_schedule(0.01f), 1e-2},
      {"rmsprop", exponential_schedule(0.05f, 0.995f), 1e-5},
      // AdamW's decay pulls theta toward 0, away from the unregularized minimum.
      {"adamw", constant_schedule(0.05f), 5e-2},
  };
  for (const Case& c : cases) {
    const Run run = minimize(c.name, c.schedule, 1000, {0, 0, 0, 0, 0}, quadratic_minimum(), quadratic_gradient, 1e-3);
    INFO(c.name << ": distance " << run.distance << " after 1000 steps, within 1e-3 after " << run.steps_to_reach);
    CHECK(run.distance < c.bound);
  }
}

TEST_CASE("Every optimizer finds Rosenbrock's minimum to within 1e-2 in 20000 steps", "[07-optimizers][convergence][rosenbrock]") {
  struct Case {
    std::string name;
    float lr;
    int max_steps_to_reach;  // a loose cap on when |theta - (1, 1)| first drops below 1e-2
  };
  // Rates near the largest each tolerates from (-1.5, 2): the valley walls (curvature ~ 1000s)
  // cap plain SGD's rate, and its crawl along the floor is what momentum and Adam speed up.
  const std::vector<Case> cases = {
      {"sgd", 1e-3f, 15000},     {"momentum", 5e-4f, 4000}, {"nesterov", 5e-4f, 4000}, {"rmsprop", 1e-3f, 10000},
      {"adagrad", 0.5f, 12000},  {"adam", 2e-2f, 4000},     {"adamw", 1e-2f, 10000},
  };
  for (const Case& c : cases) {
    const Run run = minimize(c.name, constant_schedule(c.lr), 20000, {-1.5f, 2.0f}, {1.0, 1.0}, rosenbrock_gradient, 1e-2);
    INFO(c.name << " lr " << c.lr << ": distance " << run.distance << " after 20000 steps, within 1e-2 after "
                << run.steps_to_reach);
    CHECK(run.distance < 1e-2);
    CHECK(run.steps_to_reach > 0);
    CHECK(run.steps_to_reach <= c.max_steps_to_reach);
  }
}

TEST_CASE("Momentum overshoots the minimum of a parabola where plain SGD does not", "[07-optimizers][convergence][momentum]") {
  // f(x) = x^2 / 2 from x = 1 at rate 0.1: SGD's x_t = 0.9^t stays positive; momentum's velocity
  // carries x past 0 before the gradient can turn it back.
  auto lowest = [](const std::string& name) {
    Parameter p("x", Tensor({1}, {1.0f}));
    const auto optimizer = make_optimizer(name, {&p}, 0.1f);
    float low = 1.0f;
    for (int t = 0; t < 100; ++t) {
      p.grad[0] = p.value[0];
      optimizer->step();
      low = std::min(low, p.value[0]);
    }
    return low;
  };
  CHECK(lowest("sgd") > 0.0f);
  CHECK(lowest("momentum") < -0.2f);
  CHECK(lowest("nesterov") > lowest("momentum"));  // the look-ahead brakes earlier
}

TEST_CASE("On a quadratic with condition number 100 momentum needs a third of SGD's steps and Nesterov fewer still",
          "[07-optimizers][convergence][momentum]") {
  // f = (x^2 + 0.01 y^2) / 2 from (1, 1). SGD's best rate, 2 / (1 + 0.01), still contracts the
  // flat direction by only 0.98 per step; momentum's rate of contraction is about sqrt(mu).
  auto gradient = [](const Tensor& theta, Tensor& grad) {
    grad[0] = theta[0];
    grad[1] = 0.01f * theta[1];
  };
  const Run sgd = minimize("sgd", constant_schedule(1.98f), 2000, {1, 1}, {0, 0}, gradient, 1e-3);
  const Run momentum = minimize("momentum", constant_schedule(0.5f), 2000, {1, 1}, {0, 0}, gradient, 1e-3);
  const Run nesterov = minimize("nesterov", constant_schedule(0.5f), 2000, {1, 1}, {0, 0}, gradient, 1e-3);
  INFO("steps to 1e-3: sgd " << sgd.steps_to_reach << ", momentum " << momentum.steps_to_reach << ", nesterov "
                             << nesterov.steps_to_reach);
  REQUIRE(sgd.steps_to_reach > 0);
  CHECK(momentum.steps_to_reach > 0);
  CHECK(momentum.steps_to_reach * 3 < sgd.steps_to_reach);
  CHECK(nesterov.steps_to_reach > 0);
  CHECK(nesterov.steps_to_reach < momentum.steps_to_reach);
}
