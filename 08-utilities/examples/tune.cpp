// Tune chapter 02's MLP on Fashion-MNIST within a time budget.
//
//   build/08-utilities/tune --budget 600                  successive halving, about 10 minutes here
//   build/08-utilities/tune --budget 120 --limit 12000    a quick look on a subset
//   build/08-utilities/tune --strategy random --trials 12 --epochs 5
//
// 1. Carve a validation split (--validation examples) out of the 60 000 training images; the
//    test set is not touched until step 3.
// 2. Search (successive halving by default) over optimizer (chapter 07), learning rate
//    (log-uniform in a range that depends on the optimizer), batch size and hidden sizes, every
//    trial a Trainer run with a cosine schedule over its own epochs, selected by validation
//    accuracy. The search may use 75% of the budget; the rest is kept for step 3.
// 3. Retrain the selected configuration and the 02 default (lr 0.1, batch 64, 256,128, SGD,
//    10 epochs) on all 60 000 training images, evaluate both once on the test set, save the
//    selected model. The default's run is 02-mlp/examples/mlp.cpp's without the replica that
//    program trains with (the README compares their accuracies).
// Writes runs/08-utilities/{leaderboard.csv, leaderboard.md, leaderboard.svg, best.safetensors,
// best_metrics.csv} and ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "02-mlp/mlp.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "08-utilities/tuner.hpp"
#include "common/fashion_mnist.hpp"
#include "common/flags.hpp"
#include "common/safetensors.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// A float as text that reads back to the same float (as 02-mlp/examples/mlp.cpp stores the pixel
// statistics, so `mlp --load` can evaluate the tuned model).
std::string exact(float value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(value));
  return buf;
}

// Pixel mean and standard deviation over some of the images (the training part of the split
// only: the validation images must not leak into the preprocessing either).
std::pair<float, float> pixel_stats(const LabeledImages& images, const std::vector<std::size_t>& which) {
  const std::size_t pixels = images.rows * images.cols;
  double sum = 0, sum_sq = 0;
  for (std::size_t i : which)
    for (std::size_t p = 0; p < pixels; ++p) {
      const double v = images.pixels[i * pixels + p] / 255.0;
      sum += v, sum_sq += v * v;
    }
  const double n = double(which.size() * pixels), mean = sum / n;
  return {float(mean), float(std::sqrt(sum_sq / n - mean * mean))};
}

// The 02 MLP for a configuration, trained like 02-mlp/examples/mlp.cpp trains it: one Rng(seed)
// initialises, then shuffles; a cosine schedule over all the run's updates.
struct Run {
  Sequential model;
  std::unique_ptr<Optimizer> optimizer;
  DataLoader loader;
  Trainer trainer;

  Run(const Config& config, std::size_t epochs, const Examples& train, std::uint64_t seed)
      : Run(config, epochs, train, Rng(seed)) {}

 private:
  Run(const Config& config, std::size_t epochs, const Examples& train, Rng rng)
      : model(make_mlp(28 * 28, parse_hidden_widths(config.text("hidden")), FashionMnist::kClasses, "relu", rng)),
        optimizer(make_optimizer(config.text("optimizer"), model.parameters(), float(config.number("lr")))),
        loader(train, batches_of(std::size_t(config.number("batch"))), rng),
        trainer(model, *optimizer, loader) {
    model.set_needs_input_grad(false);  // the input is data
    trainer.add<LearningRateSchedule>(cosine_schedule(float(config.number("lr")), epochs * loader.batches()));
  }
  static LoaderOptions batches_of(std::size_t b) {
    LoaderOptions options;
    options.batch_size = b;
    return options;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tune chapter 02's MLP on Fashion-MNIST: grid, random search or successive halving (chapter 08)"};
  double budget = 600;
  std::string strategy = "halving", data_flag, out_dir = "runs/08-utilities";
  std::size_t configs = 18, eta = 3, min_epochs = 1, max_epochs = 9, trials = 20, epochs = 10, validation_size = 6000,
              limit = 0;
  std::uint64_t seed = 42;
  int threads = 0;
  app.add_option("--budget", budget, "seconds: the search may use 75% of them, the two final trainings the rest (they are not cut short)")->check(CLI::Range(1.0, 1e7));
  app.add_option("--strategy", strategy, "halving, random or grid")->check(CLI::IsMember({"halving", "random", "grid"}));
  app.add_option("--configs", configs, "halving: configurations in the first rung")->check(CLI::Range(1, 10000));
  app.add_option("--eta", eta, "halving: keep 1/eta of each rung, give survivors eta times the epochs")->check(CLI::Range(2, 100));
  app.add_option("--min-epochs", min_epochs, "halving: epochs in the first rung")->check(CLI::Range(1, 1000));
  app.add_option("--max-epochs", max_epochs, "halving: epochs cap")->check(CLI::Range(1, 1000));
  app.add_option("--trials", trials, "random: number of configurations")->check(CLI::Range(1, 10000));
  app.add_option("--epochs", epochs, "random and grid: epochs per trial")->check(CLI::Range(1, 1000));
  app.add_option("--validation", validation_size, "training images held out for selection")->check(CLI::Range(100, 30000));
  app.add_option("--seed", seed, "random seed (split, search, initialisation, shuffling)");
  app.add_option("--limit", limit, "use the first N training images only (0: all 60000)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--data", data_flag, "Fashion-MNIST directory (default: $DLFS_DATA or " + std::string(kDefaultFashionMnistDir) + ")");
  app.add_option("--out", out_dir, "where to write the leaderboard and the best model");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);

  try {
    if (min_epochs > max_epochs) throw std::invalid_argument("--min-epochs must not exceed --max-epochs");
    threads = set_threads(threads);
    // The output directory is made (or found unusable) now, not after a search of minutes.
    std::error_code made;
    std::filesystem::create_directories(out_dir, made);
    if (!std::filesystem::is_directory(out_dir))
      throw std::runtime_error(out_dir + ": cannot be made a directory for the results" +
                               (made ? " (" + made.message() + ")" : std::string()));
    Stopwatch total;
    const FashionMnist data = load_fashion_mnist(fashion_mnist_dir(data_flag), limit);
    if (validation_size >= data.train.size())
      throw std::invalid_argument("--validation " + std::to_string(validation_size) + " leaves no training images (" +
                                  std::to_string(data.train.size()) + " loaded)");

    // 1. The split, standardized with the statistics of its training part.
    Rng split_rng(seed);
    std::vector<std::size_t> order = split_rng.permutation(data.train.size());
    const std::vector<std::size_t> train_part(order.begin(), order.end() - std::ptrdiff_t(validation_size));
    const std::vector<std::size_t> val_part(order.end() - std::ptrdiff_t(validation_size), order.end());
    const auto [split_mean, split_std] = pixel_stats(data.train, train_part);
    const Examples split_all = examples_from_images(data.train, split_mean, split_std);
    const Examples search_train = subset(split_all, train_part), search_val = subset(split_all, val_part);
    std::printf("Fashion-MNIST: %zu images to train trials on, %zu to validate them, %zu test images kept aside\n",
                search_train.size(), search_val.size(), data.test.size());

    // The search space. SGD, momentum and Adam want learning rates in different decades, so the
    // rate's range depends on the optimizer: a decade and more around each one's usual rate.
    SearchSpace space;
    space.choice("optimizer", {"sgd", "momentum", "nesterov", "adam"})
        .log_uniform_given("lr", "optimizer",
                           {{"sgd", {0.02, 0.5}}, {"momentum", {0.002, 0.05}}, {"nesterov", {0.002, 0.05}}, {"adam", {1e-4, 3e-3}}})
        .choice("batch", {"64", "128", "256"})
        .choice("hidden", {"256,128", "512,256", "1024,512", "512", "1024"});
    const Config default_config{{"optimizer", "sgd"}, {"lr", "0.1"}, {"batch", "64"}, {"hidden", "256,128"}};
    const std::size_t default_epochs = 10;  // 02-mlp/examples/mlp.cpp's defaults

    // 2. Trials, through one objective.
    auto objective = [&](const Config& config, std::size_t trial_epochs, double seconds_left) {
      Run run(config, trial_epochs, search_train, seed);
      run.trainer.add<TimeBudget>(seconds_left);
      TrialResult result;
      try {
        const auto logs = run.trainer.fit(trial_epochs, &search_val);
        result.completed = !run.trainer.interrupted() && !logs.empty();
        if (!logs.empty()) {
          result.val_accuracy = logs.back().validation.accuracy;
          result.val_loss = logs.back().validation.loss;
        }
      } catch (const TrainingDiverged& e) {
        // A diverged run (its loss went NaN; the loop stopped it) is still a result, the worst one.
        std::printf("  (diverged: %s)\n", e.what());
        result.completed = true;
        result.val_accuracy = 0.0;
        result.val_loss = INFINITY;
      }
      return result;
    };
    const double search_budget = 0.75 * budget - total.seconds();
    Tuner tuner(objective, search_budget);
    tuner.on_trial = [](const Trial& t) {
      std::printf("trial %3zu  %-8s %2zu epochs  %-58s val_accuracy %.4f  %5.1fs%s\n", t.id, t.stage.c_str(), t.epochs,
                  t.config.to_string().c_str(), t.val_accuracy, t.seconds, t.completed ? "" : "  (stopped by the budget)");
      std::fflush(stdout);
    };
    std::printf("search: %s, %.0f s of the %.0f s budget\n", strategy.c_str(), search_budget, budget);
    Rng search_rng(seed + 1);
    if (strategy == "halving") {
      std::printf("rungs (configurations x epochs):");
      for (const Rung& r : halving_schedule(configs, eta, min_epochs, max_epochs)) std::printf(" %zux%zu", r.configs, r.epochs);
      std::printf("\n");
      tuner.successive_halving(space, configs, eta, min_epochs, max_epochs, search_rng);
    } else if (strategy == "random") {
      tuner.random_search(space, trials, epochs, search_rng);
    } else {
      tuner.grid_search(space, epochs);
    }
    const Trial* best = tuner.best();
    if (!best) throw std::runtime_error("the budget ran out before any trial completed: give a larger --budget");
    const std::size_t best_index = std::size_t(best - tuner.trials().data());
    std::printf("selected trial %zu: %s, %zu epochs, val_accuracy %.4f\n", best->id, best->config.to_string().c_str(),
                best->epochs, best->val_accuracy);

    // 3. The selected configuration and the default, on the full training set, tested once.
    const auto [mean, stddev] = data.train.pixel_mean_stddev();
    const Examples full_train = examples_from_images(data.train, mean, stddev);
    const Examples test = examples_from_images(data.test, mean, stddev);
    auto final_accuracy = [&](const Config& config, std::size_t final_epochs, const std::string& what, bool keep) {
      std::printf("final: %s (%s, %zu epochs) on all %zu training images\n", what.c_str(), config.to_string().c_str(),
                  final_epochs, full_train.size());
      Run run(config, final_epochs, full_train, seed);
      run.trainer.add<ProgressBarCallback>();
      if (keep) run.trainer.add<MetricsCsvCallback>(out_dir + "/best_metrics.csv");
      run.trainer.fit(final_epochs);
      const double accuracy = run.trainer.evaluate(test).accuracy;
      if (keep)
        save_model(out_dir + "/best.safetensors", run.model.name(), named_values(run.model.parameters()),
                   {{"config", config.to_string()}, {"epochs", std::to_string(final_epochs)},
                    {"pixel_mean", exact(mean)}, {"pixel_stddev", exact(stddev)},
                    {"test_accuracy", format_value(accuracy)}});
      std::printf("final: %s test_accuracy %.4f\n", what.c_str(), accuracy);
      return accuracy;
    };
    tuner.trials()[best_index].test_accuracy = final_accuracy(best->config, best->epochs, "selected", true);
    // The default joins the leaderboard as an unranked baseline row, with its test accuracy.
    Trial baseline;
    baseline.id = tuner.trials().size() + 1;
    baseline.stage = "02 default";
    baseline.baseline = baseline.completed = true;
    baseline.config = default_config;
    baseline.epochs = default_epochs;
    Stopwatch default_clock;
    baseline.test_accuracy = final_accuracy(default_config, default_epochs, "default", false);
    baseline.seconds = default_clock.seconds();
    tuner.trials().push_back(baseline);
    const Trial& selected = tuner.trials()[best_index];

    const std::string title = "Tuning the 02 MLP on Fashion-MNIST (" + strategy + ", budget " + format_value(budget) + " s)";
    write_leaderboard_csv(out_dir + "/leaderboard.csv", tuner.trials(), &selected);
    write_leaderboard_markdown(out_dir + "/leaderboard.md", tuner.trials(), &selected, title);
    write_leaderboard_svg(out_dir + "/leaderboard.svg", tuner.trials());
    std::printf("wrote %s/leaderboard.{csv,md,svg}, %s/best.safetensors, %s/best_metrics.csv\n", out_dir.c_str(),
                out_dir.c_str(), out_dir.c_str());

    std::string best_config = selected.config.to_string(";") + ";epochs=" + std::to_string(selected.epochs);
    std::printf("result: best_config=%s best_test_accuracy=%.4f default_test_accuracy=%.4f best_val_accuracy=%.4f "
                "trials=%zu seconds=%.1f threads=%d\n",
                best_config.c_str(), selected.test_accuracy, baseline.test_accuracy, selected.val_accuracy,
                tuner.trials().size() - 1, total.seconds(), threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tune: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
