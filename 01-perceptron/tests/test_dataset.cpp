#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "01-perceptron/dataset.hpp"
#include "01-perceptron/synthetic.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;

namespace {

const char* kPets =
    "weight,colour,legs,kind\n"
    "4.0,black,4,cat\n"
    "30,brown,4,dog\n"
    "0.1,green,6,beetle\n"
    "5.5,\"white, spotted\",4,cat\n";

std::vector<std::size_t> count_classes(const Dataset& d) {
  std::vector<std::size_t> counts(d.num_classes());
  for (std::size_t y : d.y) ++counts[y];
  return counts;
}

}  // namespace

// ---- from a table to numbers ----

TEST_CASE("TableEncoder label-encodes the class column and keeps numeric columns in file order",
          "[01-perceptron][dataset]") {
  const CsvTable table = parse_csv(kPets, "pets.csv");
  TableEncoder enc(table, "kind", {"colour"});
  CHECK(enc.class_names() == std::vector<std::string>{"beetle", "cat", "dog"});
  CHECK(enc.labels() == std::vector<std::size_t>{1, 2, 0, 1});
  enc.fit(table.all_rows());
  const Dataset d = enc.transform({0, 3});
  CHECK(d.feature_names ==
        std::vector<std::string>{"weight", "colour=black", "colour=brown", "colour=green", "colour=white, spotted", "legs"});
  CHECK(d.y == std::vector<std::size_t>{1, 1});
  test::require_close(d.x, Tensor({2, 6}, {4.0f, 1, 0, 0, 0, 4, 5.5f, 0, 0, 0, 1, 4}), 0, 0);
}

TEST_CASE("TableEncoder learns categories from the training rows only", "[01-perceptron][dataset]") {
  const CsvTable table = parse_csv(kPets, "pets.csv");
  TableEncoder enc(table, "kind", {"colour"});
  enc.fit({0, 1});  // black and brown only
  const Dataset test = enc.transform({2});
  CHECK(test.feature_names == std::vector<std::string>{"weight", "colour=black", "colour=brown", "legs"});
  test::require_close(test.x, Tensor({1, 4}, {0.1f, 0, 0, 6}), 0, 0);  // green: all zeros
}

TEST_CASE("TableEncoder reports the first bad numeric cell in reading order", "[01-perceptron][dataset][errors]") {
  const CsvTable table = parse_csv("a,b,label\n1,2,x\n3,oops,y\nbad,4,x\n", "t.csv");
  CHECK_THROWS_WITH(TableEncoder(table, "label"), "t.csv:3:3: expected a number in column 'b', found 'oops'");
}

TEST_CASE("TableEncoder refuses a blank label instead of making it a class", "[01-perceptron][dataset][errors]") {
  const CsvTable table = parse_csv("a,label\n1,x\n2, \n3,y\n", "t.csv");
  CHECK_THROWS_WITH(TableEncoder(table, "label"), "t.csv:3:4: the label column 'label' is empty");
}

TEST_CASE("TableEncoder names a label column that does not exist", "[01-perceptron][dataset][errors]") {
  const CsvTable table = parse_csv(kPets, "pets.csv");
  CHECK_THROWS_WITH(TableEncoder(table, "species"), "'species' is not a column of pets.csv; columns: weight, colour, legs, kind");
  CHECK_THROWS_WITH(TableEncoder(table, "kind", {"kind"}), Catch::Contains("'kind' is the label column"));
}

TEST_CASE("TableEncoder refuses a table with no data rows", "[01-perceptron][dataset][errors]") {
  const CsvTable table = parse_csv("a,label\n", "t.csv");
  CHECK_THROWS_WITH(TableEncoder(table, "label"), "t.csv: no data rows after the header");
}

// ---- the shipped data sets ----

TEST_CASE("The shipped Iris file has 150 rows, 4 measurements and 50 of each species", "[01-perceptron][dataset][data]") {
  const CsvTable table = read_csv(default_data_dir() + "/iris.csv");
  TableEncoder enc(table, "species");
  enc.fit(table.all_rows());
  const Dataset d = enc.transform(table.all_rows());
  CHECK(d.x.shape() == Shape{150, 4});
  CHECK(d.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(count_classes(d) == std::vector<std::size_t>{50, 50, 50});
  CHECK(d.feature_names[2] == "petal_length_cm");
  CHECK(d.x(0, 0) == 5.1f);  // the first row of Fisher's table
}

TEST_CASE("The shipped breast-cancer file has 569 rows, 30 features, 212 malignant and 357 benign",
          "[01-perceptron][dataset][data]") {
  const CsvTable table = read_csv(default_data_dir() + "/breast_cancer.csv");
  TableEncoder enc(table, "diagnosis");
  enc.fit(table.all_rows());
  const Dataset d = enc.transform(table.all_rows());
  CHECK(d.x.shape() == Shape{569, 30});
  CHECK(d.class_names == std::vector<std::string>{"benign", "malignant"});
  CHECK(count_classes(d) == std::vector<std::size_t>{357, 212});
}

// ---- synthetic data ----

TEST_CASE("make_xor labels each corner of the unit square by x1 xor x2", "[01-perceptron][dataset][synthetic]") {
  Rng rng(3);
  const Dataset d = make_xor(40, 0.0f, rng);  // no noise: exactly the corners
  REQUIRE(d.x.shape() == Shape{40, 2});
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto a = std::size_t(d.x(i, 0)), b = std::size_t(d.x(i, 1));
    CHECK(d.y[i] == (a ^ b));
  }
  CHECK(count_classes(d) == std::vector<std::size_t>{20, 20});
}

TEST_CASE("make_separable keeps every point at least the margin away from its plane", "[01-perceptron][dataset][synthetic]") {
  Rng rng(5);
  const SeparableProblem p = make_separable(300, 4, 0.1f, rng);
  double norm2 = 0.0;
  for (float w : p.w_star) norm2 += double(w) * w;
  CHECK(norm2 == Approx(1.0).epsilon(1e-5));
  for (std::size_t i = 0; i < p.data.size(); ++i) {
    double s = p.w_star[4];
    for (std::size_t j = 0; j < 4; ++j) s += double(p.w_star[j]) * p.data.x(i, j);
    const double y = p.data.y[i] == 1 ? 1.0 : -1.0;
    CHECK(y * s >= 0.1 - 1e-6);
  }
  const auto counts = count_classes(p.data);
  CHECK(counts[0] > 0);
  CHECK(counts[1] > 0);
}
