// Hyperparameter search: try configurations, keep the one that validates best.
//
// Three strategies over a SearchSpace, all running trials through one Objective (which trains a
// model for a given number of epochs with the Trainer and returns its validation result):
//   * grid search:    every combination of a few values per dimension. Exhaustive and easy to
//                     read, but the count multiplies with every dimension added.
//   * random search:  n independent samples (Bergstra & Bengio 2012). With the same number of
//                     trials it tries n distinct values of every dimension where a grid tries
//                     n^(1/d), which wins when only a few dimensions matter (they usually do).
//   * successive halving (Jamieson & Talwalkar 2016, the inner loop of Hyperband, Li et al. 2018):
//                     start many configurations on a small budget, keep the best 1/eta of them,
//                     give the survivors eta times the budget, repeat. Bad settings (a learning
//                     rate that diverges) show themselves in one epoch, so most of the time goes
//                     to the promising ones.
//
// The successive-halving schedule, exactly (halving_schedule; tests/test_tuner.cpp pins it):
//   rung 0 trains n_0 = configs configurations for e_0 = min_epochs epochs each;
//   rung i+1 keeps n_{i+1} = max(1, floor(n_i / eta)) of them, those with the highest validation
//   accuracy in rung i (ties: the earlier trial), and trains each from scratch for
//   e_{i+1} = min(e_i * eta, max_epochs) epochs;
//   the last rung is the first with n_i = 1 or e_i = max_epochs.
// e.g. configs 27, eta 3, epochs 2..18: (27 x 2), (9 x 6), (3 x 18) = 54 + 54 + 54 epochs.
// Survivors restart from scratch (rather than continue) so that each trial's learning-rate
// schedule spans its own epochs, exactly as the final training run's will.
//
// A time budget bounds the whole search: no trial starts after it runs out, and a running trial
// is stopped (and marked incomplete, never selected) when it does.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "08-utilities/search_space.hpp"
#include "common/random.hpp"
#include "common/system.hpp"

namespace dlfs {

struct TrialResult {
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  bool completed = false;  // false: the time budget stopped it
};

// Trains `config` for `epochs` epochs, giving up after `seconds_left`, and reports validation results.
using Objective = std::function<TrialResult(const Config& config, std::size_t epochs, double seconds_left)>;

struct Trial {
  std::size_t id = 0;    // 1-based, in the order trials ran
  std::string stage;     // "grid", "random", "rung 0", "rung 1", ..., or "baseline"
  std::size_t rung = 0;  // successive-halving rung (0 for grid and random)
  bool baseline = false; // a reference configuration, never selected as the best
  Config config;
  std::size_t epochs = 0;
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();  // filled in by the caller, if at all
  double seconds = 0.0;
  bool completed = false;
};

struct Rung {
  std::size_t configs = 0;  // configurations trained in this rung
  std::size_t epochs = 0;   // epochs each
  bool operator==(const Rung& other) const { return configs == other.configs && epochs == other.epochs; }
};

// The rungs as specified above. Throws std::invalid_argument unless configs >= 1, eta >= 2 and
// 1 <= min_epochs <= max_epochs.
std::vector<Rung> halving_schedule(std::size_t configs, std::size_t eta, std::size_t min_epochs, std::size_t max_epochs);

class Tuner {
 public:
  Tuner(Objective objective, double budget_seconds);

  // Runs one trial now and appends it to trials(); returns false (and runs nothing) when the
  // budget is already spent.
  bool run(const Config& config, std::size_t epochs, const std::string& stage, std::size_t rung = 0,
                   bool baseline = false);

  void grid_search(const SearchSpace& space, std::size_t epochs);
  void random_search(const SearchSpace& space, std::size_t count, std::size_t epochs, Rng& rng);
  // Samples `configs` configurations from rng, then runs halving_schedule(configs, eta, min, max).
  void successive_halving(const SearchSpace& space, std::size_t configs, std::size_t eta, std::size_t min_epochs,
                          std::size_t max_epochs, Rng& rng);

  // The selected trial: among completed, non-baseline trials that did not diverge (an infinite
  // validation loss), those of the highest rung reached, the one with the highest validation
  // accuracy (ties: the earlier). nullptr when there is none; valid
  // until the next trial runs.
  const Trial* best() const;
  std::vector<Trial>& trials() { return trials_; }
  const std::vector<Trial>& trials() const { return trials_; }
  double seconds_left() const { return budget_ - clock_.seconds(); }

  // Called after every trial (e.g. to print a line).
  std::function<void(const Trial&)> on_trial;

 private:
  Objective objective_;
  double budget_;
  Stopwatch clock_;
  std::vector<Trial> trials_;
};

// The leaderboard: baselines (unranked) first, then completed trials by rung (highest first) and
// validation accuracy, then the incomplete ones. `selected` (may be null) is marked. CSV for tools, markdown for people, and
// an SVG with validation accuracy per trial (with the best so far) and per rung, sorted.
void write_leaderboard_csv(const std::string& path, const std::vector<Trial>& trials, const Trial* selected);
void write_leaderboard_markdown(const std::string& path, const std::vector<Trial>& trials, const Trial* selected,
                                const std::string& title);
void write_leaderboard_svg(const std::string& path, const std::vector<Trial>& trials);

}  // namespace dlfs
