// Compare optimizers (and losses) on chapter 02's MLP, trained on Fashion-MNIST.
//
//   build/07-optimizers/compare              sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw with
//                                            cross-entropy, and adam with the multi-class hinge; 10 epochs each
//   build/07-optimizers/compare --limit 5000 --epochs 2 --optimizers adam,sgd/hinge,adam:3e-4
//
// Every run starts from the same initial weights and sees the batches in the same order (same
// seed), so the curves differ only by the optimizer and the loss. Writes to --out:
//   <run>.csv        per-epoch metrics of each run
//   curves.svg       training loss per epoch (one panel per loss) and test accuracy, every run
//   first_steps.svg  the training loss of each of the first 50 batches: the size of the first steps
//   batches.csv      every batch's training loss, one column per run
//   overshoot.svg    x_t when minimizing x^2 / 2 from x = 1: momentum's overshoot in one picture
//   results.md       a markdown table: optimizer, loss, rate, final test accuracy, seconds
// and prints one `result:` line per run.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "02-mlp/mlp.hpp"
#include "02-mlp/train.hpp"
#include "07-optimizers/classification_losses.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "07-optimizers/schedules.hpp"
#include "common/atomic_file.hpp"
#include "common/fashion_mnist.hpp"
#include "common/flags.hpp"
#include "common/metrics_csv.hpp"
#include "common/plot_svg.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// The rate each optimizer gets unless the run names one. Each is the usual starting point for
// its method (and PyTorch's default where that default suits this MLP):
//   sgd 0.1            chapter 02's rate for this network
//   momentum 0.01      with mu = 0.9 the steady-state step is lr / (1 - mu) = 0.1 per unit of
//                      gradient: the same effective rate as plain SGD 0.1, so any difference is
//                      the smoothing, not a larger step
//   rmsprop 1e-3       PyTorch's default 1e-2 makes steps of ~1e-2 in every weight, which is too
//                      large for 784-wide layers; 1e-3 is Keras's default and the usual choice
//   adagrad 1e-2       PyTorch's default
//   adam, adamw 1e-3   PyTorch's default (and Kingma & Ba's)
const std::map<std::string, float> kDefaultRate = {{"sgd", 0.1f},      {"momentum", 0.01f}, {"nesterov", 0.01f},
                                                   {"rmsprop", 1e-3f}, {"adagrad", 1e-2f},  {"adam", 1e-3f},
                                                   {"adamw", 1e-3f}};

struct RunSpec {
  std::string optimizer, loss = "cross-entropy";
  float lr = 0.0f;
  std::string label;  // for legends: "adam", "adam/hinge", "adam:0.003"
  std::string file;   // for file names: "adam-cross-entropy", "adam-cross-entropy-lr0.003"
};

// One entry of --optimizers: optimizer[/loss][:lr], e.g. "momentum", "adam/hinge", "sgd:0.05".
RunSpec parse_run(const std::string& entry) {
  RunSpec run;
  std::string rest = entry, lr_text;
  const auto colon = rest.find(':');
  if (colon != std::string::npos) {
    lr_text = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    run.loss = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  run.optimizer = rest;
  if (!kDefaultRate.count(run.optimizer)) {
    std::string valid;
    for (const auto& n : kOptimizerNames) valid += (valid.empty() ? "" : ", ") + n;
    throw std::invalid_argument("--optimizers: unknown optimizer '" + run.optimizer + "' in '" + entry +
                                "' (choose from: " + valid + "; entries are optimizer[/loss][:lr])");
  }
  try {
    classification_loss(run.loss);  // throws naming the valid losses
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--optimizers: " + std::string(e.what()) + " in '" + entry + "'");
  }
  run.lr = kDefaultRate.at(run.optimizer);
  if (colon != std::string::npos) {  // "adam:" is a rate left out, not the default
    std::size_t used = 0;
    try {
      run.lr = std::stof(lr_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != lr_text.size() || !(run.lr > 0.0f) || !std::isfinite(run.lr))
      throw std::invalid_argument("--optimizers: '" + lr_text + "' in '" + entry + "' is not a positive learning rate");
  }
  run.label = run.optimizer + (run.loss == "cross-entropy" ? "" : "/" + run.loss) + (lr_text.empty() ? "" : ":" + lr_text);
  run.file = run.optimizer + "-" + run.loss + (lr_text.empty() ? "" : "-lr" + lr_text);
  return run;
}

std::vector<RunSpec> parse_runs(const std::string& text) {
  std::vector<RunSpec> runs;
  std::set<std::string> seen;
  std::stringstream in(text);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    if (entry.empty()) throw std::invalid_argument("--optimizers: an empty entry in '" + text + "'");
    runs.push_back(parse_run(entry));
    if (!seen.insert(runs.back().file).second)
      throw std::invalid_argument("--optimizers: '" + entry + "' is listed twice");
  }
  if (runs.empty()) throw std::invalid_argument("--optimizers: no runs given");
  return runs;
}

struct RunResult {
  RunSpec spec;
  std::vector<double> train_loss, test_accuracy;  // per epoch
  std::vector<double> batch_loss;                 // every batch of the run, in order (total_steps values)
  double final_accuracy = 0, best_accuracy = 0, seconds = 0;
  std::size_t best_epoch = 0;
};

// Minimizes f(x) = x^2 / 2 from x = 1 at rate 0.1 with each optimizer and records x_t: the
// smallest picture of plain descent, momentum's overshoot, Nesterov's braking and Adam's
// constant-size first steps.
Panel overshoot_panel() {
  Panel panel{"x_t minimizing x^2/2 from x = 1, lr 0.1", "x", {}};
  for (const std::string name : {"sgd", "momentum", "nesterov", "adam"}) {
    Parameter x("x", Tensor({1}, {1.0f}));
    const auto optimizer = make_optimizer(name, {&x}, 0.1f);
    Series series{name, {}};  // y[t - 1] = x_t, so the x axis counts steps
    for (int t = 0; t < 60; ++t) {
      x.grad[0] = x.value[0];  // f'(x) = x
      optimizer->step();
      series.y.push_back(x.value[0]);
    }
    panel.series.push_back(std::move(series));
  }
  return panel;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare optimizers and losses on the chapter 02 MLP, Fashion-MNIST (chapter 07)"};
  std::string runs_text = "sgd,momentum,nesterov,rmsprop,adagrad,adam,adamw,adam/hinge", schedule_name = "cosine";
  std::string data_flag, out_dir = "runs/07-optimizers";
  std::size_t epochs = 10, limit = 0, batch = 64, warmup = 0;
  float clip = 0.0f;
  int threads = 0;
  std::uint64_t seed = 42;
  app.add_option("--optimizers", runs_text,
                 "comma-separated runs, each optimizer[/loss][:lr]; optimizers: sgd, momentum, nesterov, rmsprop, "
                 "adagrad, adam, adamw; losses: cross-entropy (default), hinge, mse, bce");
  app.add_option("--epochs", epochs, "passes over the training set per run")->check(CLI::Range(1, 10000));
  app.add_option("--schedule", schedule_name, "learning-rate schedule: cosine (decay to 0) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}));
  app.add_option("--warmup", warmup, "linear warm-up steps before the cosine decay (cosine only)");
  app.add_option("--clip", clip, "clip gradients to this global norm (0: no clipping)")
      ->check([](const std::string& text) {
        std::size_t used = 0;
        float value = -1.0f;
        try {
          value = std::stof(text, &used);
        } catch (const std::exception&) {
        }
        return used == text.size() && value >= 0.0f && std::isfinite(value) ? std::string()
                                                                           : "'" + text + "' is not a norm >= 0";
      });
  app.add_option("--batch", batch, "mini-batch size")->check(CLI::Range(1, 60000));
  app.add_option("--seed", seed, "random seed (initialisation and shuffling, the same for every run)");
  app.add_option("--limit", limit, "train on the first N examples only (0: all 60000)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--data", data_flag, "Fashion-MNIST directory (default: $DLFS_DATA or " + std::string(kDefaultFashionMnistDir) + ")");
  app.add_option("--out", out_dir, "where to write the CSVs, SVGs and results.md");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<RunSpec> runs = parse_runs(runs_text);
    if (warmup > 0 && schedule_name != "cosine") throw std::invalid_argument("--warmup needs --schedule cosine");
    threads = set_threads(threads);

    const FashionMnist data = load_fashion_mnist(fashion_mnist_dir(data_flag), limit);
    // Standardize with the training split's statistics only, as chapter 02 does.
    const auto [mean, stddev] = data.train.pixel_mean_stddev();
    const Examples train = examples_from_images(data.train, mean, stddev);
    const Examples test = examples_from_images(data.test, mean, stddev);
    const std::size_t steps_per_epoch = (train.size() + batch - 1) / batch, total_steps = epochs * steps_per_epoch;
    if (warmup > total_steps)
      throw std::invalid_argument("--warmup " + std::to_string(warmup) + " exceeds the " + std::to_string(total_steps) +
                                  " steps of a run");
    std::printf("Fashion-MNIST: %zu training, %zu test images; %zu runs of %zu epochs (%zu steps), %s schedule\n",
                train.size(), test.size(), runs.size(), epochs, total_steps, schedule_name.c_str());
    if (clip > 0) std::printf("gradients clipped to a global norm of %g\n", double(clip));

    std::vector<RunResult> results;
    for (const RunSpec& spec : runs) {
      RunResult result{spec, {}, {}, {}, 0, 0, 0, 0};
      Rng rng(seed);  // the same initial weights and batch order for every run
      Sequential model = make_mlp(28 * 28, {256, 128}, FashionMnist::kClasses, "relu", rng);
      model.set_needs_input_grad(false);
      const std::unique_ptr<Optimizer> inner = make_optimizer(spec.optimizer, model.parameters(), spec.lr);
      std::unique_ptr<ClipGradNorm> clipped;
      if (clip > 0) clipped = std::make_unique<ClipGradNorm>(*inner, model.parameters(), clip);
      Optimizer& optimizer = clipped ? static_cast<Optimizer&>(*clipped) : *inner;
      const Schedule schedule = schedule_name == "cosine" ? warmup_cosine_schedule(spec.lr, warmup, total_steps)
                                                          : constant_schedule(spec.lr);
      const Loss loss = classification_loss(spec.loss);
      // The same loss, recording every batch's value for first_steps.svg and batches.csv.
      const Loss recorded = [&](const Tensor& logits, const Targets& labels) {
        LossAndGrad l = loss(logits, labels);
        result.batch_loss.push_back(l.loss);
        return l;
      };
      MetricsCsv csv(out_dir + "/" + spec.file + ".csv",
                     {"epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"});
      std::size_t step = 0;
      for (std::size_t epoch = 1; epoch <= epochs; ++epoch) {
        const float lr_now = schedule(step);
        TrainOptions options;
        options.batch_size = batch;
        options.label = spec.label + " epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
        const EpochStats stats = train_epoch(model, optimizer, recorded, train, rng, schedule, step, options);
        const Evaluation ev = evaluate(model, loss, test);
        result.seconds += stats.seconds;
        result.train_loss.push_back(stats.loss);
        result.test_accuracy.push_back(ev.accuracy);
        if (ev.accuracy > result.best_accuracy) result.best_accuracy = ev.accuracy, result.best_epoch = epoch;
        std::printf("%s epoch %zu: lr %.3g train_loss %.4f train_accuracy %.4f test_loss %.4f test_accuracy %.4f (%.2fs)%s\n",
                    spec.label.c_str(), epoch, double(lr_now), stats.loss, stats.accuracy, ev.loss, ev.accuracy,
                    stats.seconds, clipped ? (" clipped on " + std::to_string(clipped->clipped_steps()) + " steps so far").c_str() : "");
        std::fflush(stdout);
        csv.write_row({double(epoch), lr_now, stats.loss, stats.accuracy, ev.loss, ev.accuracy, stats.seconds});
      }
      result.final_accuracy = result.test_accuracy.back();
      std::printf("result: optimizer=%s loss=%s lr=%g test_accuracy=%.4f best_test_accuracy=%.4f seconds=%.1f\n",
                  spec.optimizer.c_str(), spec.loss.c_str(), double(spec.lr), result.final_accuracy,
                  result.best_accuracy, result.seconds);
      std::fflush(stdout);
      results.push_back(std::move(result));
    }

    // curves.svg: one training-loss panel per loss (their values are not comparable across
    // losses), then test accuracy for every run.
    std::vector<Panel> panels, first_panels;
    const std::size_t first_batches = std::min<std::size_t>(50, total_steps);
    for (const RunResult& r : results) {
      auto same_loss = [&](const Panel& p) { return p.y_label == r.spec.loss; };
      auto it = std::find_if(panels.begin(), panels.end(), same_loss);
      if (it == panels.end()) {
        panels.push_back({"Training loss (" + r.spec.loss + ")", r.spec.loss, {}});
        first_panels.push_back({"First " + std::to_string(first_batches) + " batches (" + r.spec.loss + ")", r.spec.loss, {}});
        it = panels.end() - 1;
      }
      it->series.push_back({r.spec.label, r.train_loss});
      first_panels[std::size_t(it - panels.begin())].series.push_back(
          {r.spec.label, std::vector<double>(r.batch_loss.begin(), r.batch_loss.begin() + std::ptrdiff_t(first_batches))});
    }
    Panel accuracy{"Test accuracy", "accuracy", {}};
    for (const RunResult& r : results) accuracy.series.push_back({r.spec.label, r.test_accuracy});
    panels.push_back(accuracy);
    // batches.csv: every batch's training loss, one column per run.
    std::vector<std::string> columns = {"batch"};
    for (const RunResult& r : results) columns.push_back(r.spec.label);
    MetricsCsv batches(out_dir + "/batches.csv", columns);
    for (std::size_t i = 0; i < total_steps; ++i) {
      std::vector<double> row = {double(i + 1)};
      for (const RunResult& r : results) row.push_back(i < r.batch_loss.size() ? r.batch_loss[i] : NAN);
      batches.write_row(row);
    }
    write_line_charts(out_dir + "/curves.svg", panels);
    write_line_charts(out_dir + "/first_steps.svg", first_panels, "batch");
    write_line_charts(out_dir + "/overshoot.svg", {overshoot_panel()}, "step");

    const std::string table_path = out_dir + "/results.md";
    std::ostringstream table;  // written whole, atomically: a failed write leaves the last results.md
    table << "| optimizer | loss | lr | final test accuracy | best (epoch) | final train loss | seconds |\n"
          << "|---|---|---|---|---|---|---|\n";
    for (const RunResult& r : results) {
      char row[256];
      std::snprintf(row, sizeof row, "| %s | %s | %g | %.4f | %.4f (%zu) | %.4f | %.1f |\n", r.spec.optimizer.c_str(),
                    r.spec.loss.c_str(), double(r.spec.lr), r.final_accuracy, r.best_accuracy, r.best_epoch,
                    r.train_loss.back(), r.seconds);
      table << row;
    }
    write_file_atomically(table_path, {table.str()});
    std::printf("wrote %s/{curves.svg, first_steps.svg, overshoot.svg, results.md, batches.csv} and one CSV per run\n",
                out_dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
