// The alpha-beta cost model: fitting it, the ring's cost, efficiency and the batch it takes.
#include <catch2/catch.hpp>
#include <vector>

#include "09-distributed/cost_model.hpp"

using namespace dlfs;

TEST_CASE("The alpha-beta fit recovers the latency and bandwidth of exact times", "[09-distributed][cost-model]") {
  const AlphaBeta truth{2e-6, 1.0 / 5e9};  // 2 us, 5 GB/s
  std::vector<double> bytes, seconds;
  for (double m = 8; m <= 16e6; m *= 4) bytes.push_back(m), seconds.push_back(truth.alpha + truth.beta * m);
  const AlphaBeta fit = fit_alpha_beta(bytes, seconds);
  CHECK(fit.alpha == Approx(truth.alpha).epsilon(1e-9));
  CHECK(fit.beta == Approx(truth.beta).epsilon(1e-9));
}

TEST_CASE("The alpha-beta fit weighs small and large messages alike, by relative error",
          "[09-distributed][cost-model]") {
  // Every time 10% too high: an unweighted fit would let the large messages' absolute error swamp
  // alpha; relative weights keep both within the same 10%.
  const AlphaBeta truth{1e-5, 1e-9};
  std::vector<double> bytes{16, 1024, 65536, 4194304}, seconds;
  for (double m : bytes) seconds.push_back(1.1 * (truth.alpha + truth.beta * m));
  const AlphaBeta fit = fit_alpha_beta(bytes, seconds);
  CHECK(fit.alpha == Approx(1.1 * truth.alpha).epsilon(1e-6));
  CHECK(fit.beta == Approx(1.1 * truth.beta).epsilon(1e-6));
}

TEST_CASE("The alpha-beta fit refuses a single message size and times that are not positive",
          "[09-distributed][cost-model]") {
  CHECK_THROWS_WITH(fit_alpha_beta({64, 64}, {1e-6, 1.1e-6}), Catch::Contains("at least two different message sizes"));
  CHECK_THROWS_WITH(fit_alpha_beta({64, 128}, {1e-6, 0.0}), Catch::Contains("not positive"));
}

TEST_CASE("The ring all-reduce costs 2(P-1) latencies and 2(P-1)/P of the bytes", "[09-distributed][cost-model]") {
  const AlphaBeta net = network(10e-6, 25e9);  // 10 us, 25 Gb/s
  CHECK(net.beta == Approx(8.0 / 25e9));
  const double bytes = 4.0 * 61706;  // LeNet-5's gradient
  CHECK(ring_allreduce_seconds(net, 1, bytes) == 0.0);
  CHECK(ring_allreduce_seconds(net, 2, bytes) == Approx(2 * 10e-6 + bytes * net.beta));
  CHECK(ring_allreduce_seconds(net, 4, bytes) == Approx(6 * 10e-6 + 1.5 * bytes * net.beta));
  // The bandwidth term approaches 2 bytes beta and stays below it; the latency term keeps growing.
  const double many = ring_allreduce_seconds(net, 1024, bytes);
  CHECK(many - 2 * 1023 * 10e-6 < 2 * bytes * net.beta);
  CHECK(many - 2 * 1023 * 10e-6 > 1.99 * bytes * net.beta);
}

TEST_CASE("The batch for a target efficiency reaches exactly that efficiency", "[09-distributed][cost-model]") {
  const double per_example = 1e-3, communication = 0.02;
  CHECK(scaling_efficiency(0.02, 0.02) == Approx(0.5));
  const double b = examples_for_efficiency(per_example, communication, 0.9);
  CHECK(b == Approx(180.0));
  CHECK(scaling_efficiency(b * per_example, communication) == Approx(0.9));
  CHECK_THROWS(examples_for_efficiency(per_example, communication, 1.0));
}
