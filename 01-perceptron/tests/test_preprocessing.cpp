#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "01-perceptron/preprocessing.hpp"
#include "common/random.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;

namespace {

// A (n, f) matrix whose columns have very different means and spreads, like raw measurements
// in different units.
Tensor measurements(std::size_t n, std::size_t f, std::uint64_t seed) {
  Rng rng(seed);
  Tensor x({n, f});  // (N, F)
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) x(i, j) = rng.normal(float(100 * j), float(j + 1) * 3.0f);
  return x;
}

Tensor row_vector(const Eigen::RowVectorXd& v) { return test::from_eigen(v).reshaped({std::size_t(v.size())}); }

}  // namespace

// ---- label encoding and one-hot ----

TEST_CASE("LabelEncoder gives sorted codes whatever the order of the values", "[01-perceptron][preprocessing]") {
  LabelEncoder enc;
  enc.fit({"virginica", "setosa", "versicolor", "setosa"});
  CHECK(enc.classes() == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(enc.transform({"virginica", "setosa"}) == std::vector<std::size_t>{2, 0});
  CHECK(enc.code_or_unknown("daisy") == 3);
  CHECK_THROWS_WITH(enc.code("daisy"), "unknown label 'daisy' (not seen by fit)");
}

TEST_CASE("one_hot puts a single 1 in each row and zeros for unknown codes", "[01-perceptron][preprocessing]") {
  const Tensor h = one_hot({2, 0, 5}, 3);  // (3, 3)
  test::require_close(h, Tensor({3, 3}, {0, 0, 1, 1, 0, 0, 0, 0, 0}), 0, 0);
}

TEST_CASE("OneHotEncoder learns categories from the training rows and zeroes unseen ones",
          "[01-perceptron][preprocessing]") {
  OneHotEncoder enc;
  enc.fit({"red", "green", "red"});
  CHECK(enc.categories() == std::vector<std::string>{"green", "red"});
  const Tensor h = enc.transform({"red", "blue", "green"});  // (3, 2): "blue" was never seen
  test::require_close(h, Tensor({3, 2}, {0, 1, 0, 0, 1, 0}), 0, 0);
}

// ---- scalers against Eigen ----

TEST_CASE("StandardScaler's mean and std match Eigen's column statistics", "[01-perceptron][preprocessing][scaler]") {
  const Tensor x = measurements(200, 5, 1);  // (200, 5)
  StandardScaler scaler;
  scaler.fit(x);
  const test::MatrixD xd = test::as_eigen(x).cast<double>();
  const Eigen::RowVectorXd mean = xd.colwise().mean();
  const Eigen::RowVectorXd sd = ((xd.rowwise() - mean).array().square().colwise().sum() / double(xd.rows())).sqrt();
  test::require_close(scaler.mean(), row_vector(mean), 1e-4, 1e-6);
  test::require_close(scaler.stddev(), row_vector(sd), 1e-5, 1e-5);
}

TEST_CASE("StandardScaler leaves the training columns with mean 0 and variance 1", "[01-perceptron][preprocessing][scaler]") {
  const Tensor x = measurements(300, 4, 2);
  StandardScaler scaler;
  const Tensor z = scaler.fit_transform(x);  // (300, 4)
  const test::MatrixD zd = test::as_eigen(z).cast<double>();
  const Eigen::RowVectorXd mean = zd.colwise().mean();
  const Eigen::RowVectorXd var = (zd.rowwise() - mean).array().square().colwise().mean();
  test::require_close(row_vector(mean), Tensor({4}, 0.0f), 1e-5, 0);
  test::require_close(row_vector(var), Tensor({4}, 1.0f), 1e-4, 0);
}

TEST_CASE("StandardScaler applies the training statistics to test rows unchanged", "[01-perceptron][preprocessing][scaler]") {
  const Tensor train = measurements(100, 3, 3);  // (100, 3)
  const Tensor test = measurements(20, 3, 4);    // (20, 3): a different sample
  StandardScaler scaler;
  scaler.fit(train);
  const Tensor z = scaler.transform(test);
  // The reference: (test - train mean) / train std, computed with Eigen.
  const test::MatrixD tr = test::as_eigen(train).cast<double>();
  const Eigen::RowVectorXd mean = tr.colwise().mean();
  const Eigen::RowVectorXd sd = ((tr.rowwise() - mean).array().square().colwise().mean()).sqrt();
  const test::MatrixD expected =
      (test::as_eigen(test).cast<double>().rowwise() - mean).array().rowwise() / sd.array();
  test::require_close(z, test::from_eigen(expected), 1e-5, 1e-4);
  // ...and so the test rows' own mean is not exactly 0: nothing about them leaked into the fit.
  CHECK(std::abs(test::as_eigen(z).cast<double>().colwise().mean()(0)) > 1e-3);
}

TEST_CASE("StandardScaler centres a constant column without dividing by zero", "[01-perceptron][preprocessing][scaler]") {
  const Tensor x({3, 2}, {1, 7, 2, 7, 3, 7});
  StandardScaler scaler;
  const Tensor z = scaler.fit_transform(x);
  CHECK(scaler.stddev()[1] == 1.0f);
  for (std::size_t i = 0; i < 3; ++i) CHECK(z(i, 1) == 0.0f);
}

TEST_CASE("MinMaxScaler maps the training range to [0, 1] as Eigen computes it", "[01-perceptron][preprocessing][scaler]") {
  const Tensor x = measurements(150, 4, 5);  // (150, 4)
  MinMaxScaler scaler;
  const Tensor s = scaler.fit_transform(x);
  const auto xe = test::as_eigen(x);
  test::require_close(scaler.min(), row_vector(xe.colwise().minCoeff().cast<double>()), 0, 0);
  test::require_close(scaler.max(), row_vector(xe.colwise().maxCoeff().cast<double>()), 0, 0);
  const test::MatrixD expected = (xe.cast<double>().rowwise() - xe.colwise().minCoeff().cast<double>()).array().rowwise() /
                                 (xe.colwise().maxCoeff() - xe.colwise().minCoeff()).cast<double>().array();
  test::require_close(s, test::from_eigen(expected), 1e-6, 1e-5);
  CHECK(test::as_eigen(s).minCoeff() == 0.0f);
  CHECK(test::as_eigen(s).maxCoeff() == Approx(1.0f));
}

TEST_CASE("MinMaxScaler lets unseen test values fall outside [0, 1]", "[01-perceptron][preprocessing][scaler]") {
  MinMaxScaler scaler;
  scaler.fit(Tensor({2, 1}, {10, 20}));
  const Tensor s = scaler.transform(Tensor({2, 1}, {5, 25}));
  CHECK(s(0, 0) == -0.5f);
  CHECK(s(1, 0) == 1.5f);
}

TEST_CASE("Scalers refuse a test matrix with a different number of features", "[01-perceptron][preprocessing][scaler]") {
  StandardScaler scaler;
  CHECK_THROWS_WITH(scaler.transform(Tensor({2, 3})), Catch::Contains("before fit()"));
  scaler.fit(Tensor({2, 3}, 1.0f));
  CHECK_THROWS_WITH(scaler.transform(Tensor({2, 4})), Catch::Contains("fitted on 3 features, got (2, 4)"));
}

// ---- splits ----

TEST_CASE("train_test_split partitions the rows and is fixed by its seed", "[01-perceptron][preprocessing][split]") {
  Rng a(7), b(7), c(8);
  const Split s = train_test_split(50, 0.2, a);
  CHECK(s.test.size() == 10);
  CHECK(s.train.size() == 40);
  std::set<std::size_t> all(s.train.begin(), s.train.end());
  all.insert(s.test.begin(), s.test.end());
  CHECK(all.size() == 50);  // disjoint, and together every row
  CHECK(*all.rbegin() == 49);
  CHECK(train_test_split(50, 0.2, b).test == s.test);
  CHECK(train_test_split(50, 0.2, c).test != s.test);
}

TEST_CASE("stratified_split keeps every class's share in both parts", "[01-perceptron][preprocessing][split]") {
  std::vector<std::size_t> labels;  // sorted by class, as Iris is: 50, 30, 20 rows
  for (std::size_t k = 0; k < 3; ++k) labels.insert(labels.end(), std::vector<std::size_t>{50, 30, 20}[k], k);
  Rng rng(1);
  const Split s = stratified_split(labels, 0.2, rng);
  std::vector<std::size_t> test_counts(3), train_counts(3);
  for (std::size_t i : s.test) ++test_counts[labels[i]];
  for (std::size_t i : s.train) ++train_counts[labels[i]];
  CHECK(test_counts == std::vector<std::size_t>{10, 6, 4});
  CHECK(train_counts == std::vector<std::size_t>{40, 24, 16});
  // The lists are shuffled, not grouped by class.
  CHECK_FALSE(std::is_sorted(s.train.begin(), s.train.end()));
}

TEST_CASE("Splits reject a fraction that leaves a part empty", "[01-perceptron][preprocessing][split]") {
  Rng rng(1);
  CHECK_THROWS_WITH(train_test_split(10, 0.0, rng), Catch::Contains("between 0 and 1"));
  CHECK_THROWS_WITH(train_test_split(10, 1.5, rng), Catch::Contains("between 0 and 1"));
  CHECK_THROWS_WITH(train_test_split(10, 0.01, rng), Catch::Contains("leaves the test split empty"));
  CHECK_THROWS_WITH(stratified_split({0, 0, 1, 1}, 0.9, rng), Catch::Contains("leaves the training split empty"));
}

TEST_CASE("take_rows gathers rows in the order asked", "[01-perceptron][preprocessing]") {
  const Tensor x({3, 2}, {0, 1, 10, 11, 20, 21});
  test::require_close(take_rows(x, {2, 0, 2}), Tensor({3, 2}, {20, 21, 0, 1, 20, 21}), 0, 0);
  CHECK_THROWS_WITH(take_rows(x, {3}), Catch::Contains("row 3 of (3, 2)"));
}
