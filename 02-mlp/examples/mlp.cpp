// Train a multi-layer perceptron on Fashion-MNIST.
//
//   build/02-mlp/mlp                         784-256-128-10 ReLU, batch 64, SGD lr 0.1 cosine, 10 epochs
//   build/02-mlp/mlp --limit 5000 --epochs 3 a quick run
//   build/02-mlp/mlp --save m.safetensors    keep the trained model (the file format: chapter 08)
//   build/02-mlp/mlp --load m.safetensors --epochs 0    evaluate a saved model (or train it further)
//   build/02-mlp/mlp --checkpoint c.safetensors         after every epoch, save all it takes to resume
//   build/02-mlp/mlp --resume c.safetensors             continue an interrupted run (same flags)
//
// Writes runs/02-mlp/{metrics.csv, curves.svg, confusion.svg} and ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "02-mlp/losses.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "common/fashion_mnist.hpp"
#include "common/flags.hpp"
#include "common/metrics_csv.hpp"
#include "common/plot_svg.hpp"
#include "common/safetensors.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// Root-mean-square of every Dense weight gradient, first layer first: how much signal reaches
// each layer. With sigmoid it shrinks toward the input (vanishing gradients); with ReLU it does not.
std::string gradient_rms(Layer& model) {
  std::string out;
  for (Parameter* p : model.parameters()) {
    if (p->name.size() < 6 || p->name.compare(p->name.size() - 6, 6, "weight") != 0) continue;
    double s = 0;
    for (float g : p->grad) s += double(g) * g;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%.2e", out.empty() ? "" : " ", std::sqrt(s / double(p->grad.size())));
    out += buf;
  }
  return out;
}

// A float as text that reads back to the same float (9 significant digits always suffice).
std::string exact(float value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(value));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train an MLP on Fashion-MNIST (chapter 02)"};
  std::string hidden_text = "256,128", activation = "relu", data_flag, out_dir = "runs/02-mlp", schedule_name = "cosine";
  std::string save_path, load_path, checkpoint_path, resume_path;
  float lr = 0.1f;
  std::size_t batch = 64, epochs = 10, limit = 0;
  int threads = 0;
  std::uint64_t seed = 42;
  bool grad_stats = false;
  app.add_option("--hidden", hidden_text, "hidden layer widths, comma-separated");
  app.add_option("--activation", activation, "relu, sigmoid, tanh, leaky_relu or gelu");
  app.add_option("--lr", lr, "initial learning rate")->check(CLI::PositiveNumber);
  app.add_option("--schedule", schedule_name, "learning-rate schedule: cosine (decay to 0) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}));
  app.add_option("--batch", batch, "mini-batch size")->check(CLI::Range(1, 60000));
  app.add_option("--epochs", epochs, "passes over the training set")->check(CLI::Range(0, 100000));
  app.add_option("--seed", seed, "random seed (initialisation and shuffling)");
  app.add_option("--limit", limit, "train on the first N examples only (0: all 60000)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--data", data_flag, "Fashion-MNIST directory (default: $DLFS_DATA or " + std::string(kDefaultFashionMnistDir) + ")");
  app.add_option("--out", out_dir, "where to write metrics.csv, curves.svg and confusion.svg");
  app.add_flag("--grad-stats", grad_stats, "print each layer's weight-gradient RMS every epoch");
  app.add_option("--save", save_path, "save the trained model to FILE (safetensors)");
  auto* load = app.add_option("--load", load_path, "start from a saved model: train it further, or only evaluate it with --epochs 0");
  app.add_option("--checkpoint", checkpoint_path, "after every epoch, write FILE with all it takes to resume the run");
  app.add_option("--resume", resume_path, "continue the run that wrote checkpoint FILE (give it the same flags)")->excludes(load);
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<std::size_t> hidden = parse_hidden_widths(hidden_text);
    make_activation(activation);  // reject a bad name before loading data
    threads = set_threads(threads);

    const FashionMnist data = load_fashion_mnist(fashion_mnist_dir(data_flag), limit);
    // Standardize with the training split's statistics only (see chapter 01 on leakage).
    auto [mean, stddev] = data.train.pixel_mean_stddev();

    Rng rng(seed);
    Sequential model = make_mlp(28 * 28, hidden, FashionMnist::kClasses, activation, rng);
    model.set_needs_input_grad(false);  // the input is data: skip dL/dx of the first layer
    std::printf("model: %s, %zu parameters\n", model.name().c_str(), parameter_count(model));
    // A second copy of the network: the model and its copy each train half of every batch, and
    // the gradients are added up before the update (TrainOptions::replicas). With two threads the
    // halves run side by side; with one they take turns, computing the same bits, so the run does
    // not depend on --threads.
    std::vector<Sequential> replicas = make_replicas(1, [&](Rng& r) {
      return make_mlp(28 * 28, hidden, FashionMnist::kClasses, activation, r);
    });

    // The parameters by name ("1.weight", ...): what model files and checkpoints hold. A loaded
    // model brings the standardization it was trained with: it is part of the model.
    const NamedTensors weights = named_values(model.parameters());
    if (!load_path.empty()) {
      const Metadata info = load_model(load_path, model.name(), weights);
      mean = metadata_number(load_path, info, "pixel_mean"), stddev = metadata_number(load_path, info, "pixel_stddev");
      std::printf("loaded %s\n", load_path.c_str());
    }
    const Examples train = examples_from_images(data.train, mean, stddev);
    const Examples test = examples_from_images(data.test, mean, stddev);
    std::printf("Fashion-MNIST: %zu training, %zu test images (pixel mean %.4f, std %.4f)\n",
                train.size(), test.size(), double(mean), double(stddev));

    SGD sgd(model.parameters(), lr);
    const std::size_t steps_per_epoch = (train.size() + batch - 1) / batch;
    const Schedule schedule = schedule_name == "cosine" ? cosine_schedule(lr, epochs * steps_per_epoch)
                                                        : constant_schedule(lr);

    MetricsCsv csv(out_dir + "/metrics.csv", {"epoch", "lr", "train_loss", "train_accuracy", "test_loss",
                                              "test_accuracy", "seconds"});
    Series train_loss{"train", {}}, test_loss{"test", {}}, train_acc{"train", {}}, test_acc{"test", {}};
    std::size_t step = 0, first_epoch = 1;
    // A checkpoint continues only the run that wrote it: same settings, or the schedule and the
    // shuffling would differ from the uninterrupted run.
    const Metadata run = {{"run", "lr=" + exact(lr) + " schedule=" + schedule_name + " batch=" + std::to_string(batch) +
                                      " epochs=" + std::to_string(epochs) + " seed=" + std::to_string(seed) +
                                      " limit=" + std::to_string(limit)}};
    if (!resume_path.empty()) {
      // Weights, optimizer state (none for plain SGD), the shuffling stream and the step counter.
      const TrainingState state = load_checkpoint(resume_path, model.name(), weights, sgd.state(), sgd.name(), run);
      rng.set_state(state.rng);
      step = state.step;
      first_epoch = state.epoch + 1;
      std::printf("resumed %s after epoch %zu (step %zu)\n", resume_path.c_str(), state.epoch, step);
      // The interrupted run's rows of those epochs, and its curves (columns as written below).
      for (const std::vector<double>& row : csv.resume(state.epoch)) {
        train_loss.y.push_back(row[2]), test_loss.y.push_back(row[4]);
        train_acc.y.push_back(row[3]), test_acc.y.push_back(row[5]);
      }
    }
    double train_seconds = 0.0;
    std::size_t epochs_run = 0;  // by this process (a resumed run's earlier epochs were timed by another)
    for (std::size_t epoch = first_epoch; epoch <= epochs; ++epoch) {
      TrainOptions options;
      options.batch_size = batch;
      for (Sequential& replica : replicas) options.replicas.push_back(&replica);
      options.label = "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
      const EpochStats stats = train_epoch(model, sgd, softmax_cross_entropy, train, rng, schedule, step, options);
      train_seconds += stats.seconds, ++epochs_run;
      const Evaluation ev = evaluate(model, softmax_cross_entropy, test);
      std::printf("epoch %zu: train_loss %.4f train_accuracy %.4f test_loss %.4f test_accuracy %.4f (%.2fs)\n",
                  epoch, stats.loss, stats.accuracy, ev.loss, ev.accuracy, stats.seconds);
      if (grad_stats) std::printf("  weight-gradient RMS, first layer to last: %s\n", gradient_rms(model).c_str());
      std::fflush(stdout);
      // The rate of the epoch's last update, as chapter 08's MetricsCsvCallback logs it. (The rate
      // before the epoch would be the initial one on the first epoch of a resumed run: its
      // optimizer has not stepped yet.)
      csv.write_row({double(epoch), sgd.learning_rate(), stats.loss, stats.accuracy, ev.loss, ev.accuracy, stats.seconds});
      train_loss.y.push_back(stats.loss), test_loss.y.push_back(ev.loss);
      train_acc.y.push_back(stats.accuracy), test_acc.y.push_back(ev.accuracy);
      if (!checkpoint_path.empty())  // written atomically: a crash leaves the previous epoch's
        save_checkpoint(checkpoint_path, model.name(), weights, sgd.state(), {epoch, step, rng.state(), sgd.name()}, run);
    }

    const Evaluation final_eval = evaluate(model, softmax_cross_entropy, test);
    std::printf("per-class test accuracy:\n");
    std::vector<std::string> names;
    for (std::size_t c = 0; c < FashionMnist::kClasses; ++c) {
      names.push_back(FashionMnist::class_names[c]);
      std::printf("  %-12s %.4f\n", names.back().c_str(), final_eval.per_class_accuracy[c]);
    }
    write_line_charts(out_dir + "/curves.svg", {{"Loss (" + model.name() + ")", "cross-entropy", {train_loss, test_loss}},
                                                {"Accuracy", "accuracy", {train_acc, test_acc}}});
    write_heatmap(out_dir + "/confusion.svg", "Fashion-MNIST test confusion matrix", final_eval.confusion, names);
    std::printf("wrote %s/metrics.csv, %s/curves.svg, %s/confusion.svg\n", out_dir.c_str(), out_dir.c_str(), out_dir.c_str());
    if (!save_path.empty()) {
      save_model(save_path, model.name(), weights,
                 {{"pixel_mean", exact(mean)}, {"pixel_stddev", exact(stddev)}, {"test_accuracy", exact(float(final_eval.accuracy))}});
      std::printf("saved %s\n", save_path.c_str());
    }

    std::printf("result: model=mlp hidden=%s activation=%s test_accuracy=%.4f test_loss=%.4f epochs=%zu "
                "seconds_per_epoch=%.3f peak_rss_mb=%.1f threads=%d\n",
                hidden_text.c_str(), activation.c_str(), final_eval.accuracy, final_eval.loss, epochs,
                epochs_run ? train_seconds / double(epochs_run) : 0.0, peak_rss_mb(), threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlp: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
