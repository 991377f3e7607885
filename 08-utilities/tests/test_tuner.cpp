#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "08-utilities/tuner.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

// A stand-in for training: validation accuracy grows with epochs and is best for lr near 0.1, so
// the right answer is known. Records every call.
struct FakeObjective {
  std::vector<std::pair<std::string, std::size_t>> calls;  // (config, epochs)
  TrialResult operator()(const Config& c, std::size_t epochs, double) {
    calls.emplace_back(c.to_string(), epochs);
    const double lr = c.number("lr");
    TrialResult r;
    r.val_accuracy = 0.9 - 0.1 * std::abs(std::log10(lr) + 1.0) - 0.5 / double(epochs + 1);
    r.val_loss = 1.0 - r.val_accuracy;
    r.completed = true;
    return r;
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("The successive-halving schedule keeps 1/eta and multiplies epochs by eta", "[08-utilities][tuner][halving]") {
  CHECK(halving_schedule(27, 3, 2, 18) == std::vector<Rung>{{27, 2}, {9, 6}, {3, 18}});
  CHECK(halving_schedule(27, 3, 1, 100) == std::vector<Rung>{{27, 1}, {9, 3}, {3, 9}, {1, 27}});
  CHECK(halving_schedule(8, 2, 1, 100) == std::vector<Rung>{{8, 1}, {4, 2}, {2, 4}, {1, 8}});
  // Epochs are capped at max_epochs, and that rung is the last.
  CHECK(halving_schedule(81, 3, 2, 10) == std::vector<Rung>{{81, 2}, {27, 6}, {9, 10}});
  // floor(10 / 3) = 3, floor(3 / 3) = 1.
  CHECK(halving_schedule(10, 3, 1, 50) == std::vector<Rung>{{10, 1}, {3, 3}, {1, 9}});
  CHECK(halving_schedule(1, 3, 4, 40) == std::vector<Rung>{{1, 4}});
  CHECK_THROWS_WITH(halving_schedule(9, 1, 1, 9), Catch::Contains("eta >= 2"));
  CHECK_THROWS_WITH(halving_schedule(9, 3, 5, 2), Catch::Contains("1 <= min_epochs <= max_epochs"));
}

TEST_CASE("Successive halving trains each rung's survivors, the best of the rung before, for longer", "[08-utilities][tuner][halving]") {
  SearchSpace space;
  space.log_uniform("lr", 1e-3, 10.0);
  FakeObjective fake;
  Tuner tuner([&fake](const Config& c, std::size_t e, double s) { return fake(c, e, s); }, 1e9);
  Rng rng(1);
  tuner.successive_halving(space, 9, 3, 1, 9, rng);

  const auto& trials = tuner.trials();
  REQUIRE(trials.size() == 9 + 3 + 1);
  for (std::size_t i = 0; i < 9; ++i) CHECK((trials[i].epochs == 1 && trials[i].stage == "rung 0"));
  for (std::size_t i = 9; i < 12; ++i) CHECK((trials[i].epochs == 3 && trials[i].rung == 1));
  CHECK((trials[12].epochs == 9 && trials[12].rung == 2));

  // Rung 1 holds exactly the three best of rung 0, best first; rung 2 the best of rung 1.
  std::vector<const Trial*> rung0;
  for (std::size_t i = 0; i < 9; ++i) rung0.push_back(&trials[i]);
  std::stable_sort(rung0.begin(), rung0.end(), [](const Trial* a, const Trial* b) { return a->val_accuracy > b->val_accuracy; });
  for (std::size_t k = 0; k < 3; ++k) CHECK(trials[9 + k].config == rung0[k]->config);
  CHECK(trials[12].config == rung0[0]->config);  // the fake's ranking does not change with epochs
  REQUIRE(tuner.best() != nullptr);
  CHECK(tuner.best()->id == 13);
}

TEST_CASE("Random search runs n sampled configurations and grid search every grid point", "[08-utilities][tuner]") {
  SearchSpace space;
  space.log_uniform("lr", 0.01, 1.0, 3).choice("batch", {"32", "64"});
  FakeObjective fake;
  Tuner tuner([&fake](const Config& c, std::size_t e, double s) { return fake(c, e, s); }, 1e9);
  Rng rng(2), same(2);
  tuner.random_search(space, 5, 4, rng);
  tuner.grid_search(space, 4);
  REQUIRE(fake.calls.size() == 5 + 6);
  CHECK(fake.calls[0].first == space.sample(same).to_string());
  CHECK(fake.calls[5].first == "lr=0.01 batch=32");
  CHECK(fake.calls[10].first == "lr=1 batch=64");
  CHECK(tuner.best()->config.text("lr") == "0.1");  // the fake's optimum, on the grid
}

TEST_CASE("The budget stops the search and an incomplete trial is never selected", "[08-utilities][tuner]") {
  SearchSpace space;
  space.log_uniform("lr", 0.01, 1.0);
  int calls = 0;
  Tuner tuner(
      [&calls](const Config&, std::size_t, double) {
        ++calls;
        TrialResult r;
        r.val_accuracy = calls == 1 ? 0.5 : 0.99;
        r.completed = calls == 1;  // the second trial "ran out of time"
        return r;
      },
      1e9);
  Rng rng(3);
  tuner.random_search(space, 2, 1, rng);
  REQUIRE(tuner.trials().size() == 2);
  CHECK(tuner.best()->id == 1);

  Tuner spent([](const Config&, std::size_t, double) { return TrialResult{}; }, 0.0);
  CHECK_FALSE(spent.run(Config{{"lr", "0.1"}}, 1, "random"));
  CHECK(spent.trials().empty());
}

TEST_CASE("best prefers the highest rung, then validation accuracy, and never a baseline", "[08-utilities][tuner]") {
  auto fixed = [](double accuracy) {
    return [accuracy](const Config&, std::size_t, double) { return TrialResult{accuracy, 0.0, true}; };
  };
  Tuner tuner(fixed(0.95), 1e9);
  tuner.run(Config{{"lr", "1"}}, 10, "baseline", 0, true);
  CHECK(tuner.best() == nullptr);
  tuner.run(Config{{"lr", "2"}}, 1, "rung 0", 0);
  CHECK(tuner.best()->config.text("lr") == "2");
  Tuner mixed(fixed(0.80), 1e9);
  mixed.run(Config{{"lr", "3"}}, 1, "rung 0", 0);
  mixed.run(Config{{"lr", "4"}}, 3, "rung 1", 1);
  CHECK(mixed.best()->config.text("lr") == "4");  // higher rung wins even at equal accuracy
  // A diverged trial (tune records it as completed, accuracy 0, loss infinite) is never selected,
  // even alone in a higher rung.
  Tuner diverged([](const Config& c, std::size_t, double) {
    return c.text("lr") == "9" ? TrialResult{0.0, INFINITY, true} : TrialResult{0.7, 0.9, true};
  }, 1e9);
  diverged.run(Config{{"lr", "5"}}, 1, "rung 0", 0);
  diverged.run(Config{{"lr", "9"}}, 3, "rung 1", 1);
  CHECK(diverged.best()->config.text("lr") == "5");
}

TEST_CASE("The leaderboard ranks trials, marks the selected one and the baseline, and plots them", "[08-utilities][tuner][leaderboard]") {
  const std::string dir = test::scratch_dir("leaderboard");
  SearchSpace space;
  space.log_uniform("lr", 1e-3, 10.0).choice("batch", {"32", "64"});
  FakeObjective fake;
  Tuner tuner([&fake](const Config& c, std::size_t e, double s) { return fake(c, e, s); }, 1e9);
  tuner.run(Config{{"lr", "0.5"}, {"batch", "64"}}, 3, "baseline", 0, true);
  Rng rng(4);
  tuner.successive_halving(space, 4, 2, 1, 2, rng);
  tuner.trials()[0].test_accuracy = 0.8;
  const Trial* best = tuner.best();
  write_leaderboard_csv(dir + "/leaderboard.csv", tuner.trials(), best);
  write_leaderboard_markdown(dir + "/leaderboard.md", tuner.trials(), best, "Tuning the fake");
  write_leaderboard_svg(dir + "/leaderboard.svg", tuner.trials());

  std::istringstream csv(slurp(dir + "/leaderboard.csv"));
  std::string header, baseline_row, first_row;
  std::getline(csv, header), std::getline(csv, baseline_row), std::getline(csv, first_row);
  CHECK(header == "rank,trial,stage,epochs,lr,batch,val_accuracy,val_loss,test_accuracy,seconds,note");
  CHECK_THAT(baseline_row, Catch::StartsWith("-,1,baseline,3,\"0.5\",\"64\",") && Catch::Contains(",0.8000,") &&
                               Catch::EndsWith(",baseline"));
  CHECK_THAT(first_row, Catch::StartsWith("1,") && Catch::Contains(",rung 1,2,") && Catch::EndsWith(",selected"));
  const std::string md = slurp(dir + "/leaderboard.md");
  CHECK_THAT(md, Catch::StartsWith("# Tuning the fake\n\n| rank | trial | stage | epochs | lr | batch |"));
  CHECK_THAT(md, Catch::Contains("| selected |") && Catch::Contains("| baseline |"));
  CHECK_THAT(slurp(dir + "/leaderboard.svg"), Catch::Contains("best so far") && Catch::Contains("rung 1 (2 ep)"));
}
