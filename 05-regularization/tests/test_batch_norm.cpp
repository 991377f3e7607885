#include <catch2/catch.hpp>
#include <cmath>
#include <omp.h>

#include "02-mlp/optimizer.hpp"
#include "common/simd.hpp"
#include "05-regularization/batch_norm.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// Sets gamma and beta away from 1 and 0, so a formula that drops either one shows.
void randomize_affine(BatchNorm& bn, Rng& rng) {
  for (std::size_t c = 0; c < bn.features(); ++c) {
    bn.weight().value[c] = 1.0f + 0.5f * rng.normal();
    bn.bias().value[c] = 0.5f * rng.normal();
  }
}

// A (B, C, H, W) tensor as the (C, B*H*W) matrix of each channel's values, in double.
MatrixD channels_as_rows(const Tensor& x) {
  const std::size_t B = x.dim(0), C = x.dim(1), S = x.size() / (B * C);
  MatrixD z(C, B * S);
  for (std::size_t b = 0; b < B; ++b)
    z.middleCols(Eigen::Index(b * S), Eigen::Index(S)) =
        Eigen::Map<const Matrix>(x.data() + b * C * S, Eigen::Index(C), Eigen::Index(S)).cast<double>();
  return z;
}

Tensor rows_as_channels(const MatrixD& z, const Shape& shape) {
  const std::size_t B = shape[0], C = shape[1], S = shape_size(shape) / (B * C);
  Tensor x(shape);
  for (std::size_t b = 0; b < B; ++b)
    Eigen::Map<Matrix>(x.data() + b * C * S, Eigen::Index(C), Eigen::Index(S)) =
        z.middleCols(Eigen::Index(b * S), Eigen::Index(S)).cast<float>();
  return x;
}

// The reference forward in training mode, written with Eigen on (C, m) rows; also the updated
// running statistics from the given starting ones.
struct Reference {
  Tensor y, running_mean, running_var;
};
Reference reference_forward(const Tensor& x, BatchNorm& bn) {
  const MatrixD z = channels_as_rows(x);
  const double m = double(z.cols()), eps = 1e-5, momentum = 0.1;
  const Eigen::VectorXd mu = z.rowwise().mean();
  const MatrixD centered = z.colwise() - mu;
  const Eigen::VectorXd var = centered.array().square().rowwise().mean();  // biased
  const Eigen::ArrayXd rstd = (var.array() + eps).rsqrt();
  const Eigen::Map<const Eigen::VectorXf> gamma(bn.weight().value.data(), Eigen::Index(bn.features()));
  const Eigen::Map<const Eigen::VectorXf> beta(bn.bias().value.data(), Eigen::Index(bn.features()));
  const MatrixD y = ((centered.array().colwise() * (rstd * gamma.cast<double>().array())).colwise() +
                     beta.cast<double>().array()).matrix();
  Reference r;
  r.y = rows_as_channels(y, x.shape());
  r.running_mean = Tensor({bn.features()});
  r.running_var = Tensor({bn.features()});
  for (std::size_t c = 0; c < bn.features(); ++c) {
    r.running_mean[c] = float((1 - momentum) * bn.running_mean().value[c] + momentum * mu(Eigen::Index(c)));
    r.running_var[c] = float((1 - momentum) * bn.running_var().value[c] + momentum * var(Eigen::Index(c)) * m / (m - 1));
  }
  return r;
}

// One training step, then evaluation, each against PyTorch's values in the fixture.
void check_against_pytorch(BatchNorm& bn, const std::string& file_name) {
  const SafetensorsFile file = read_fixture(file_name);
  load_fixture_state(bn, file);
  const double tol = 1e-5;
  auto check_step = [&](const std::string& prefix) {
    INFO(prefix);
    bn.zero_grad();
    require_close(bn.forward(fixture_tensor(file, prefix + "input")), fixture_tensor(file, prefix + "output"), tol, 0.0);
    const Tensor dx = bn.backward(fixture_tensor(file, prefix + "doutput"));
    require_close(dx, fixture_tensor(file, prefix + "grad.input"), tol, 0.0);
    require_close(bn.weight().grad, fixture_tensor(file, prefix + "grad.weight"), tol, 0.0);
    require_close(bn.bias().grad, fixture_tensor(file, prefix + "grad.bias"), tol, 0.0);
  };
  bn.set_training(true);
  for (int k = 0; k < 3; ++k) {
    const std::string prefix = "step" + std::to_string(k) + ".";
    check_step(prefix);
    INFO(prefix << " running statistics");
    require_close(bn.running_mean().value, fixture_tensor(file, prefix + "running_mean"), tol, 0.0);
    require_close(bn.running_var().value, fixture_tensor(file, prefix + "running_var"), tol, 0.0);
  }
  const Tensor running_mean = bn.running_mean().value, running_var = bn.running_var().value;
  bn.set_training(false);
  check_step("eval.");
  // Evaluation leaves the running statistics alone.
  require_close(bn.running_mean().value, running_mean, 0.0, 0.0);
  require_close(bn.running_var().value, running_var, 0.0, 0.0);
}

}  // namespace

TEST_CASE("BatchNorm1d training forward normalizes each feature over the batch, like an Eigen reference",
          "[05-regularization][batchnorm]") {
  Rng rng(1);
  BatchNorm1d bn(5);
  randomize_affine(bn, rng);
  Tensor x = random_tensor({8, 5}, rng, 3.0f);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += float(i % 5);  // a different mean per feature
  const Reference r = reference_forward(x, bn);
  require_close(bn.forward(x), r.y, 1e-5, 1e-5);
  require_close(bn.running_mean().value, r.running_mean, 1e-6, 1e-6);
  require_close(bn.running_var().value, r.running_var, 1e-6, 1e-6);
}

TEST_CASE("BatchNorm2d training forward normalizes each channel over batch and pixels, like an Eigen reference",
          "[05-regularization][batchnorm]") {
  Rng rng(2);
  BatchNorm2d bn(3);
  randomize_affine(bn, rng);
  bn.running_mean().value.fill(0.3f);  // a running estimate from earlier batches
  bn.running_var().value.fill(2.0f);
  const Tensor x = random_tensor({4, 3, 5, 6}, rng, 2.0f);
  const Reference r = reference_forward(x, bn);
  require_close(bn.forward(x), r.y, 1e-5, 1e-5);
  require_close(bn.running_mean().value, r.running_mean, 1e-6, 1e-6);
  require_close(bn.running_var().value, r.running_var, 1e-6, 1e-6);
}

TEST_CASE("BatchNorm evaluation forward is the affine map of the running statistics", "[05-regularization][batchnorm]") {
  Rng rng(3);
  BatchNorm2d bn(2);
  randomize_affine(bn, rng);
  bn.running_mean().value = Tensor({2}, {0.5f, -1.0f});
  bn.running_var().value = Tensor({2}, {4.0f, 0.25f});
  bn.set_training(false);
  const Tensor x = random_tensor({3, 2, 2, 2}, rng);
  const Tensor y = bn.forward(x);
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t s = 0; s < 4; ++s) {
        const std::size_t i = (b * 2 + c) * 4 + s;
        const double expected = bn.weight().value[c] * (x[i] - bn.running_mean().value[c]) /
                                    std::sqrt(double(bn.running_var().value[c]) + 1e-5) +
                                bn.bias().value[c];
        REQUIRE(y[i] == Approx(expected).epsilon(1e-6).margin(1e-6));
      }
  // One example's output does not depend on the others any more: alone it comes out the same.
  Tensor first({1, 2, 2, 2});
  std::copy(x.data(), x.data() + 8, first.data());
  const Tensor y_first = bn.forward(first);
  for (std::size_t i = 0; i < 8; ++i) REQUIRE(y_first[i] == y[i]);
  require_close(bn.running_mean().value, Tensor({2}, {0.5f, -1.0f}), 0.0, 0.0);  // untouched
}

TEST_CASE("BatchNorm1d backward matches central differences in training mode", "[05-regularization][batchnorm][grad]") {
  Rng rng(4);
  BatchNorm1d bn(4);
  randomize_affine(bn, rng);
  check_layer_gradients(bn, random_tensor({6, 4}, rng, 2.0f), rng, 2e-3, 2e-3);
}

TEST_CASE("BatchNorm2d backward matches central differences in training mode", "[05-regularization][batchnorm][grad]") {
  Rng rng(5);
  BatchNorm2d bn(3);
  randomize_affine(bn, rng);
  check_layer_gradients(bn, random_tensor({3, 3, 3, 2}, rng, 2.0f), rng, 2e-3, 2e-3);
}

TEST_CASE("BatchNorm1d backward matches central differences in evaluation mode", "[05-regularization][batchnorm][grad]") {
  Rng rng(7);
  BatchNorm1d bn(3);
  randomize_affine(bn, rng);
  bn.running_mean().value = Tensor({3}, {0.3f, -0.2f, 1.0f});
  bn.running_var().value = Tensor({3}, {0.7f, 2.0f, 1.2f});
  bn.set_training(false);
  check_layer_gradients(bn, random_tensor({4, 3}, rng), rng);
}

TEST_CASE("BatchNorm2d backward matches central differences in evaluation mode", "[05-regularization][batchnorm][grad]") {
  Rng rng(6);
  BatchNorm2d bn(2);
  randomize_affine(bn, rng);
  bn.running_mean().value = Tensor({2}, {0.2f, -0.4f});
  bn.running_var().value = Tensor({2}, {1.5f, 0.5f});
  bn.set_training(false);
  check_layer_gradients(bn, random_tensor({2, 2, 3, 3}, rng), rng);
}

TEST_CASE("BatchNorm backward's compact form equals the chain rule through mean and variance (Eigen)",
          "[05-regularization][batchnorm][grad]") {
  // Ioffe & Szegedy's long form, per feature over the batch (m rows):
  //   dxhat = dy gamma
  //   dvar  = sum dxhat (x - mu) (-1/2) (var + eps)^(-3/2)
  //   dmu   = sum dxhat (-rstd) + dvar (-2/m) sum (x - mu)
  //   dx    = dxhat rstd + dvar 2 (x - mu) / m + dmu / m
  Rng rng(7);
  BatchNorm1d bn(3);
  randomize_affine(bn, rng);
  const Tensor x = random_tensor({5, 3}, rng, 2.0f), dy = random_tensor({5, 3}, rng);
  bn.forward(x);
  const Tensor dx = bn.backward(dy);

  const MatrixD X = as_eigen(x).cast<double>(), DY = as_eigen(dy).cast<double>();
  const double m = 5.0, eps = 1e-5;
  const Eigen::RowVectorXd mu = X.colwise().mean();
  const MatrixD centered = X.rowwise() - mu;
  const Eigen::RowVectorXd var = centered.array().square().colwise().mean();
  const Eigen::RowVectorXd rstd = (var.array() + eps).rsqrt();
  const Eigen::RowVectorXd gamma = Eigen::Map<const Eigen::RowVectorXf>(bn.weight().value.data(), 3).cast<double>();
  const MatrixD dxhat = DY.array().rowwise() * gamma.array();
  const Eigen::RowVectorXd dvar =
      ((dxhat.array() * centered.array()).colwise().sum() * -0.5 * (var.array() + eps).pow(-1.5)).matrix();
  const Eigen::RowVectorXd dmu = ((dxhat.array().rowwise() * -rstd.array()).colwise().sum() +
                                  dvar.array() * (-2.0 / m) * centered.array().colwise().sum()).matrix();
  const MatrixD expected = (dxhat.array().rowwise() * rstd.array() +
                            (centered.array().rowwise() * dvar.array()) * (2.0 / m)).rowwise() + dmu.array() / m;
  require_close(dx, from_eigen(expected), 1e-5, 1e-4);
}

TEST_CASE("BatchNorm2d matches torch.nn.BatchNorm2d over three training steps and then in evaluation",
          "[05-regularization][batchnorm][pytorch]") {
  BatchNorm2d bn(3);
  check_against_pytorch(bn, "batchnorm2d.safetensors");
}

TEST_CASE("BatchNorm1d matches torch.nn.BatchNorm1d over three training steps and then in evaluation",
          "[05-regularization][batchnorm][pytorch]") {
  BatchNorm1d bn(4);
  check_against_pytorch(bn, "batchnorm1d.safetensors");
}

TEST_CASE("BatchNorm's running statistics are named like PyTorch's, saved, and never trained",
          "[05-regularization][batchnorm]") {
  BatchNorm2d bn(4);
  const std::vector<Parameter*> ps = bn.parameters();
  REQUIRE(ps.size() == 4);
  CHECK(ps[0]->name == "weight");
  CHECK(ps[1]->name == "bias");
  CHECK(ps[2]->name == "running_mean");
  CHECK(ps[3]->name == "running_var");
  CHECK(ps[0]->trainable);
  CHECK(ps[1]->trainable);
  CHECK_FALSE(ps[2]->trainable);
  CHECK_FALSE(ps[3]->trainable);
  CHECK(parameter_count(bn) == 8);  // gamma and beta only
  require_close(bn.running_var().value, Tensor({4}, 1.0f), 0.0, 0.0);
  // An optimizer step moves gamma but not the running statistics, even with a gradient there.
  bn.running_mean().grad.fill(1.0f);
  bn.weight().grad.fill(1.0f);
  SGD sgd(bn.parameters(), 0.5f);
  sgd.step();
  require_close(bn.running_mean().value, Tensor({4}), 0.0, 0.0);
  require_close(bn.weight().value, Tensor({4}, 0.5f), 0.0, 0.0);
}

TEST_CASE("BatchNorm is batch-coupled in training mode only, and names itself", "[05-regularization][batchnorm]") {
  BatchNorm2d bn(16);
  CHECK(bn.name() == "BatchNorm2d(16)");
  CHECK(bn.batch_coupled_layer() == "BatchNorm2d(16)");
  bn.set_training(false);
  CHECK(bn.batch_coupled_layer().empty());
  CHECK(BatchNorm1d(8, 0.01f, 1e-3f).name() == "BatchNorm1d(8, eps=0.001, momentum=0.01)");
}

TEST_CASE("BatchNorm refuses a batch of one value per channel in training, and wrong shapes",
          "[05-regularization][batchnorm]") {
  BatchNorm1d bn1(3);
  CHECK_THROWS_WITH(bn1.forward(Tensor({1, 3})), Catch::Contains("more than one value per channel"));
  bn1.set_training(false);
  CHECK_NOTHROW(bn1.forward(Tensor({1, 3})));  // evaluation: the running statistics serve
  CHECK_THROWS_WITH(bn1.forward(Tensor({2, 4})), Catch::Contains("BatchNorm1d(3)"));
  BatchNorm2d bn2(3);
  CHECK_NOTHROW(bn2.forward(Tensor({1, 3, 2, 2})));  // one image, four pixels: m = 4
  CHECK_THROWS_WITH(bn2.forward(Tensor({2, 3, 4})), Catch::Contains("expected (B, 3, H, W)"));
}

TEST_CASE("BatchNorm refuses an empty batch, and a refused batch leaves the layer as it was",
          "[05-regularization][batchnorm]") {
  BatchNorm1d bn(3);
  CHECK_THROWS_WITH(bn.backward(Tensor({2, 3})), Catch::Contains("backward needs a forward pass first"));
  CHECK_THROWS_WITH(bn.forward(Tensor({0, 3})), Catch::Contains("an empty input (0, 3)"));
  bn.set_training(false);
  CHECK_THROWS_WITH(bn.forward(Tensor({0, 3})), Catch::Contains("an empty input"));
  bn.set_training(true);
  Tensor x({4, 3});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i * i % 7);
  bn.forward(x);
  Tensor dy({4, 3});
  dy.fill(1.0f);
  dy[0] = 2.0f;
  const Tensor dx = bn.backward(dy);
  CHECK_THROWS(bn.forward(Tensor({1, 3})));  // refused: backward still follows the last forward
  const Tensor again = bn.backward(dy);
  CHECK(std::vector<float>(again.begin(), again.end()) == std::vector<float>(dx.begin(), dx.end()));
}

TEST_CASE("BatchNorm2d computes the same bits on one thread as on two", "[05-regularization][batchnorm]") {
  // Large enough for parallel_for to split the images among threads (03-cnn/parallel.hpp).
  Rng rng(8);
  const Tensor x = random_tensor({4, 4, 128, 128}, rng, 2.0f), dy = random_tensor({4, 4, 128, 128}, rng);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    BatchNorm2d bn(4);
    std::vector<Tensor> out{bn.forward(x), bn.backward(dy), bn.weight().grad, bn.bias().grad, bn.running_mean().value,
                            bn.running_var().value};
    omp_set_num_threads(saved);
    return out;
  };
  const std::vector<Tensor> one = run(1), two = run(2);
  for (std::size_t i = 0; i < one.size(); ++i) require_close(two[i], one[i], 0.0, 0.0);
}

TEST_CASE("BatchNorm2d's statistics add each channel's plane sums in double, image after image, bit for bit",
          "[05-regularization][batchnorm]") {
  // The order that makes the result the same on any number of threads: each (b, c) plane summed in
  // float in simd::sum16's lanes, then channel c's B plane sums added in double, b = 0, 1, ...
  Rng rng(9);
  const std::size_t B = 5, C = 3, S = 7 * 9;
  const Tensor x = random_tensor({B, C, 7, 9}, rng, 3.0f);  // (B, C, H, W)
  BatchNorm2d bn(C, 1.0f);  // momentum 1: the running statistics are this batch's
  bn.forward(x);
  const double m = double(B * S);
  for (std::size_t c = 0; c < C; ++c) {
    double sum = 0.0, squares = 0.0;
    for (std::size_t b = 0; b < B; ++b)
      sum += simd::sum16(S, [&](std::size_t i) { return x[(b * C + c) * S + i]; });
    const float mu = float(sum / m);
    for (std::size_t b = 0; b < B; ++b)
      squares += simd::sum16(S, [&](std::size_t i) { return (x[(b * C + c) * S + i] - mu) * (x[(b * C + c) * S + i] - mu); });
    CHECK(bn.running_mean().value[c] == float(sum / m));
    CHECK(bn.running_var().value[c] == float(squares / m * m / (m - 1.0)));
  }
}
