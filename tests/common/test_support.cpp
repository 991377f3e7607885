// Tests of the test support itself: a gradient checker that is wrong would bless wrong layers.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tests/support/eigen.hpp"
#include "tests/support/example_runs.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("numerical_gradient recovers a known gradient", "[common][gradcheck]") {
  // L(x) = sum_i sin(x_i) * x_i^2   =>   dL/dx_i = cos(x_i) x_i^2 + 2 x_i sin(x_i)
  Rng rng(11);
  Tensor x = random_tensor({3, 4}, rng);
  const Tensor x0 = x;
  auto loss = [&] {
    double s = 0;
    for (float v : x) s += std::sin(double(v)) * double(v) * v;
    return s;
  };
  Tensor numeric = numerical_gradient(loss, x, 1e-3);
  Tensor exact(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i)
    exact[i] = float(std::cos(x[i]) * x[i] * x[i] + 2 * x[i] * std::sin(x[i]));
  require_close(numeric, exact, 1e-3, 1e-3);
  require_close(x, x0, 0, 0);  // x is restored exactly
}

TEST_CASE("numerical_gradient is second-order accurate", "[common][gradcheck]") {
  // For L = x^3 at x = 1 the central difference errs by exactly h^2: the O(h^2) term.
  Tensor x({1}, {1.0f});
  auto loss = [&] { return double(x[0]) * x[0] * x[0]; };
  const double err = std::fabs(numerical_gradient(loss, x, 1e-2)[0] - 3.0);
  CHECK(err == Approx(1e-4).margin(2e-5));
}

TEST_CASE("Eigen adapters round-trip a tensor", "[common][eigen]") {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  auto m = as_eigen(t);
  CHECK(m(1, 2) == 6);
  require_close(from_eigen(m), t, 0, 0);
  CHECK_THROWS_WITH(as_eigen(Tensor({2, 2, 2})), Catch::Contains("needs a 2-D tensor"));
}

TEST_CASE("run_program captures the status and both streams; result_line reads the last line", "[common][examples]") {
  const std::string dir = scratch_dir("support-run");
  const Run r = run_program("printf 'epoch 1\\nresult: model=x test_accuracy=0.5\\n'; echo oops >&2; exit 3", dir);
  CHECK(r.status == 3);
  CHECK(r.err == "oops\n");
  const auto result = result_line(r.out);
  CHECK(result.size() == 2);
  CHECK(result.at("model") == "x");
  CHECK(result.at("test_accuracy") == "0.5");
}

TEST_CASE("metrics_without_timings drops only the columns named seconds", "[common][examples]") {
  const std::string path = scratch_dir("support-metrics") + "/metrics.csv";
  std::ofstream(path) << "epoch,train_loss,seconds,test_loss\n1,0.5,1.25,0.6\n2,0.4,1.5,nan\n";
  CHECK(metrics_without_timings(path) == "epoch,train_loss,test_loss\n1,0.5,0.6\n2,0.4,nan\n");
}

TEST_CASE("kill_when_file_exists kills the program with SIGKILL once the file appears", "[common][examples]") {
  const std::string dir = scratch_dir("support-kill");
  // The program writes the file, then would write a second one a few seconds later: the kill comes first.
  kill_when_file_exists("sh -c 'touch \"" + dir + "/first\"; sleep 5; touch \"" + dir + "/second\"'", dir + "/first");
  CHECK(std::filesystem::exists(dir + "/first"));
  CHECK_FALSE(std::filesystem::exists(dir + "/second"));
}

TEST_CASE("file_difference says where two files first differ", "[common][examples]") {
  const std::string dir = scratch_dir("support-difference");
  std::ofstream(dir + "/a") << "abcdef";
  std::ofstream(dir + "/b") << "abcdef";
  std::ofstream(dir + "/c") << "abcxef!";
  CHECK(file_difference(dir + "/a", dir + "/b") == "");
  CHECK(file_difference(dir + "/a", dir + "/c") ==
        dir + "/a (6 bytes) and " + dir + "/c (7 bytes) differ from byte 3 on");
  CHECK(file_difference(dir + "/a", dir + "/missing") == dir + "/missing is missing");
}
