#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "08-utilities/search_space.hpp"

using namespace dlfs;

namespace {

SearchSpace mlp_space() {
  SearchSpace space;
  space.log_uniform("lr", 1e-3, 1.0).choice("batch", {"32", "64", "128"}).choice("hidden", {"256,128", "512"});
  return space;
}

}  // namespace

TEST_CASE("Sampling a search space is reproducible with a seed", "[08-utilities][search]") {
  const SearchSpace space = mlp_space();
  Rng a(11), b(11), c(12);
  std::vector<Config> from_a, from_b, from_c;
  for (int i = 0; i < 20; ++i) from_a.push_back(space.sample(a)), from_b.push_back(space.sample(b)), from_c.push_back(space.sample(c));
  CHECK(from_a == from_b);
  CHECK(from_a != from_c);
  CHECK(from_a[0].to_string().rfind("lr=", 0) == 0);  // names in declaration order
}

TEST_CASE("Samples are pinned: the same seed gives these exact configurations", "[08-utilities][search][golden]") {
  Rng rng(2024);
  const SearchSpace space = mlp_space();
  const std::string first = space.sample(rng).to_string(), second = space.sample(rng).to_string();
  // Golden values: a change to Rng, the draw order or the rounding changes them.
  CHECK(first == "lr=0.00147 batch=128 hidden=256,128");
  CHECK(second == "lr=0.003014 batch=128 hidden=256,128");
}

TEST_CASE("Log-uniform samples spend equal effort on every decade", "[08-utilities][search]") {
  SearchSpace space;
  space.log_uniform("lr", 1e-4, 1.0);
  Rng rng(3);
  std::map<int, int> per_decade;
  for (int i = 0; i < 4000; ++i) {
    const double lr = space.sample(rng).number("lr");
    REQUIRE(lr >= 1e-4);
    REQUIRE(lr <= 1.0);
    ++per_decade[int(std::floor(std::log10(lr)))];
  }
  for (int decade = -4; decade <= -1; ++decade) CHECK(per_decade[decade] == Approx(1000).margin(100));
}

TEST_CASE("A choice draws every option about equally often", "[08-utilities][search]") {
  SearchSpace space;
  space.choice("optimizer", {"sgd", "momentum", "adam"});
  Rng rng(4);
  std::map<std::string, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[space.sample(rng).text("optimizer")];
  for (const char* name : {"sgd", "momentum", "adam"}) CHECK(counts[name] == Approx(1000).margin(100));
}

TEST_CASE("The grid is every combination, the last dimension varying fastest", "[08-utilities][search]") {
  SearchSpace space;
  space.log_uniform("lr", 0.01, 1.0, 3).choice("batch", {"32", "64"});
  const auto grid = space.grid();
  REQUIRE(grid.size() == 6);
  CHECK(space.grid_size() == 6);
  CHECK(grid[0].to_string() == "lr=0.01 batch=32");
  CHECK(grid[1].to_string() == "lr=0.01 batch=64");
  CHECK(grid[2].to_string() == "lr=0.1 batch=32");  // log-spaced: the middle of 0.01..1 is 0.1
  CHECK(grid[5].to_string() == "lr=1 batch=64");
}

TEST_CASE("A search space rejects dimensions that make no sense", "[08-utilities][search]") {
  SearchSpace space;
  CHECK_THROWS_WITH(space.log_uniform("lr", 0.0, 1.0), Catch::Contains("needs 0 < lo < hi"));
  CHECK_THROWS_WITH(space.uniform("p", 0.5, 0.1), Catch::Contains("needs lo < hi"));
  CHECK_THROWS_WITH(space.choice("batch", {}), Catch::Contains("has no options"));
  space.choice("batch", {"32"});
  CHECK_THROWS_WITH(space.choice("batch", {"64"}), Catch::Contains("'batch' declared twice"));
}

TEST_CASE("A Config names a missing or non-numeric value", "[08-utilities][search]") {
  const Config c{{"lr", "0.1"}, {"optimizer", "adam"}};
  CHECK(c.number("lr") == 0.1);
  CHECK_THROWS_WITH(c.text("batch"), Catch::Contains("config has no 'batch' (it holds: lr=0.1 optimizer=adam)"));
  CHECK_THROWS_WITH(c.number("optimizer"), Catch::Contains("'optimizer' is 'adam', not a number"));
}

TEST_CASE("A log-uniform range can depend on an earlier choice", "[08-utilities][search]") {
  SearchSpace space;
  space.choice("optimizer", {"sgd", "adam"})
      .log_uniform_given("lr", "optimizer", {{"sgd", {0.01, 1.0}}, {"adam", {1e-4, 1e-2}}});
  Rng rng(5);
  int adam = 0;
  for (int i = 0; i < 500; ++i) {
    const Config c = space.sample(rng);
    const double lr = c.number("lr");
    if (c.text("optimizer") == "adam") {
      ++adam;
      CHECK((lr >= 1e-4 && lr <= 1e-2));
    } else {
      CHECK((lr >= 0.01 && lr <= 1.0));
    }
  }
  CHECK(adam == Approx(250).margin(50));
  const auto grid = space.grid();
  REQUIRE(grid.size() == 6);
  CHECK(grid[1].to_string() == "optimizer=sgd lr=0.1");
  CHECK(grid[4].to_string() == "optimizer=adam lr=0.001");
}

TEST_CASE("A dependent range must follow its choice and cover every option", "[08-utilities][search]") {
  SearchSpace space;
  CHECK_THROWS_WITH(space.log_uniform_given("lr", "optimizer", {}), Catch::Contains("which is not an earlier choice"));
  space.choice("optimizer", {"sgd", "adam"});
  CHECK_THROWS_WITH(space.log_uniform_given("lr", "optimizer", {{"sgd", {0.01, 1.0}}}),
                    Catch::Contains("'lr' has no range for optimizer=adam"));
}
