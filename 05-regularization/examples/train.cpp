// Train one of chapter 05's networks on Fashion-MNIST.
//
//   build/05-regularization/train --model resnet              ResNet-20 with the defaults below
//   build/05-regularization/train --model vgg --augment       with random crops and flips
//   build/05-regularization/train --model bn-cnn --limit 5000 --epochs 2     a quick run
//   build/05-regularization/train --model bn-cnn --save m.safetensors       then --load m.safetensors
//   build/05-regularization/train --checkpoint c.safetensors   after every epoch, save all it takes to resume
//   build/05-regularization/train --resume c.safetensors       continue an interrupted run (same flags)
//   build/05-regularization/train --model mlp --dropout 0.5 --eval-train     the dropout experiment's wide MLP
//
// Defaults (the README has the runs behind them): batch 128, SGD with momentum 0.9 (PyTorch's
// torch.optim.SGD), learning rate 0.1 with cosine decay to 0 over the run, L2 weight decay 5e-4 (AdamW:
// lr 0.001, decoupled weight decay 0.01), no dropout, no augmentation, label smoothing 0.1 for resnet
// and plain (none for the others). Epochs: 6 for bn-cnn, 14 for vgg and 8 for resnet and plain: as
// many as fit in 15 minutes on two cores with room to spare
// (about 100 and 46 s per epoch with the evaluation on a 2-core AMD EPYC of the Zen 3 class, and
// 90 s for ResNet-20 on a Zen 5, whose AVX-512 halves it; give a Zen 3 --epochs 4); 20 for the mlp.
// Without batch norm (--no-batch-norm, and the mlp, which has none) the default rate is 0.02.
// Every training batch has exactly --batch images (the DataLoader's drop_last): a batch of one image
// would give batch norm's statistics nothing to work with.
//
// Training goes through chapter 08's Trainer, whose every step is chapter 02's train_on_batch. The
// networks hold batch norm, whose statistics couple the examples of a batch, so the batch is never
// split into micro-batches or replicas: the threads (--threads) share the work inside each layer.
//
// Writes runs/05-regularization/<model>/{metrics.csv, curves.svg} and ends with one `result:` line.
// The README's three experiments are runs of this program (05-regularization/experiments.sh).
// --save writes the model with its running statistics and the pixel standardization it was trained
// with; --load reads one back (its architecture comes from the file) and evaluates it, or trains it
// further with --epochs. Every error is one line, `train: error: ...`, and exit status 1.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "02-mlp/losses.hpp"
#include "02-mlp/train.hpp"
#include "05-regularization/augmentation.hpp"
#include "05-regularization/dropout_streams.hpp"
#include "05-regularization/label_smoothing.hpp"
#include "05-regularization/models.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/schedules.hpp"
#include "07-optimizers/sgd_momentum.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/fashion_mnist.hpp"
#include "common/flags.hpp"
#include "common/metrics_csv.hpp"
#include "common/plot_svg.hpp"
#include "common/safetensors.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

constexpr std::size_t kNotGiven = std::numeric_limits<std::size_t>::max();

const std::vector<std::string> kTrainOptimizers = {"momentum", "nesterov", "adamw"};

// The optimizer with its weight decay: SGD's is L2, added to the gradient (lambda theta); AdamW's
// is decoupled, every weight shrunk by (1 - lr lambda) per step (chapter 07's README compares them).
std::unique_ptr<Optimizer> make_train_optimizer(const std::string& name, std::vector<Parameter*> parameters,
                                                float lr, float weight_decay) {
  if (name == "adamw") {
    AdamWOptions options;
    options.weight_decay = weight_decay;
    return std::make_unique<AdamW>(std::move(parameters), lr, options);
  }
  SGDOptions options;
  options.momentum = 0.9f;
  options.nesterov = name == "nesterov";
  options.weight_decay = weight_decay;
  return std::make_unique<SGDMomentum>(std::move(parameters), lr, options);
}

// One line per epoch, one CSV row, and the curves for the SVG. The Trainer's "validation" set is
// the test set here, as in chapter 03's example: the run reports test accuracy after every epoch
// and chooses nothing by it (no early stopping, no best-epoch weights).
// The train_ numbers are measured on the fly, in training mode: with dropout on, and with the
// weights changing during the epoch. Given the training images (--eval-train), it also evaluates
// them after the epoch as the test set is evaluated, so the train/test gap compares like with like.
std::vector<std::string> report_columns(bool eval_train) {
  std::vector<std::string> columns = {"epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                                      "seconds"};
  if (eval_train) columns.insert(columns.end(), {"train_eval_loss", "train_eval_accuracy"});
  return columns;
}

class EpochReport : public Callback {
 public:
  EpochReport(const std::string& csv_path, const Examples* train_eval)
      : train_eval_(train_eval), csv_(csv_path, report_columns(train_eval != nullptr)) {}
  void on_fit_begin(Trainer& t) override {
    if (t.epoch() == 0) return;
    // Resumed: the interrupted run's rows of those epochs, and its curves (columns of report_columns).
    for (const std::vector<double>& row : csv_.resume(t.epoch())) {
      train_loss.y.push_back(row[2]), test_loss.y.push_back(row[4]);
      train_acc.y.push_back(row[3]), test_acc.y.push_back(row[5]);
    }
  }
  void on_epoch_end(Trainer& t, const EpochLog& log) override {
    std::printf("epoch %zu/%zu: lr %.4g train_loss %.4f train_accuracy %.4f test_loss %.4f test_accuracy %.4f",
                log.epoch, t.target_epochs(), double(log.learning_rate), log.train.loss, log.train.accuracy,
                log.validation.loss, log.validation.accuracy);
    std::vector<double> row = {double(log.epoch), log.learning_rate,       log.train.loss, log.train.accuracy,
                               log.validation.loss, log.validation.accuracy, log.seconds};
    if (train_eval_) {
      const Evaluation e = t.evaluate(*train_eval_);  // not counted in log.seconds
      std::printf(" train_eval_loss %.4f train_eval_accuracy %.4f", e.loss, e.accuracy);
      row.insert(row.end(), {e.loss, e.accuracy});
    }
    std::printf(" (%.1fs)\n", log.seconds);
    std::fflush(stdout);
    csv_.write_row(row);
    train_loss.y.push_back(log.train.loss), test_loss.y.push_back(log.validation.loss);
    train_acc.y.push_back(log.train.accuracy), test_acc.y.push_back(log.validation.accuracy);
    train_seconds += log.seconds, ++epochs_run;
  }
  Series train_loss{"train (on the fly)", {}}, test_loss{"test", {}}, train_acc{"train (on the fly)", {}},
      test_acc{"test", {}};
  double train_seconds = 0.0;  // of the epochs_run trained by this process (not a resumed run's earlier ones)
  std::size_t epochs_run = 0;

 private:
  const Examples* train_eval_;  // null: no evaluation of the training images
  MetricsCsv csv_;
};

// What a model file must carry besides its tensors to be rebuilt and fed the same inputs.
struct SavedSetup {
  std::string model;
  ModelOptions options;
  float pixel_mean = 0, pixel_std = 1;
};

// A float as text that reads back to the same float (9 significant digits always suffice).
std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

Metadata setup_metadata(const SavedSetup& s) {
  return {{"model", s.model},
          {"width", std::to_string(s.options.width)},
          {"blocks", std::to_string(s.options.blocks)},
          {"batch_norm", s.options.batch_norm ? "1" : "0"},
          {"dropout", exact(s.options.dropout)},
          {"pixel_mean", exact(s.pixel_mean)},
          {"pixel_std", exact(s.pixel_std)}};
}

SavedSetup setup_from_file(const std::string& path) {
  const Metadata m = read_safetensors(path).metadata;  // validates the whole file
  auto get = [&](const std::string& key) {
    const auto it = m.find(key);
    if (it == m.end())
      throw std::runtime_error(path + ": no '" + key + "' in its metadata (not a model saved by this program's --save)");
    return it->second;
  };
  auto number = [&](const std::string& key) {
    const std::string text = get(key);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v))
      throw std::runtime_error(path + ": metadata '" + key + "' is not a number: '" + text + "'");
    return v;
  };
  // The network's sizes, held to what the flags accept: a file may not describe a network the flags
  // could not (std::size_t(-1.0) is undefined behaviour, and a width of 10^9 asks for exabytes).
  auto whole = [&](const std::string& key, double low, double high) {
    const double v = number(key);
    if (v != std::floor(v) || v < low || v > high)
      throw std::runtime_error(path + ": metadata '" + key + "' is '" + get(key) + "', not a whole number from " +
                               exact(low) + " to " + exact(high));
    return std::size_t(v);
  };
  SavedSetup s;
  s.model = get("model");
  s.options.width = whole("width", 0, 1024);  // 0: the model's default width
  s.options.blocks = whole("blocks", 1, 100);
  s.options.batch_norm = get("batch_norm") == "1";
  s.options.dropout = float(number("dropout"));
  if (!(s.options.dropout >= 0 && s.options.dropout < 1))
    throw std::runtime_error(path + ": metadata 'dropout' is '" + get("dropout") + "', not in [0, 1)");
  s.pixel_mean = float(number("pixel_mean"));
  s.pixel_std = float(number("pixel_std"));
  if (!(s.pixel_std > 0)) throw std::runtime_error(path + ": metadata 'pixel_std' must be positive");
  return s;
}

// CLI11's number checks print their range as a 300-digit number; this says it in words.
CLI::Validator in_range(double low, bool low_inclusive, double high, bool high_inclusive) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return "'" + text + "' is not a number";
        const bool above = low_inclusive ? value >= low : value > low;
        const bool below = high_inclusive ? value <= high : value < high;
        if (above && below) return "";
        char range[96];
        std::snprintf(range, sizeof range, "must be in %c%g, %g%c, not %s", low_inclusive ? '[' : '(', low, high,
                      high_inclusive ? ']' : ')', text.c_str());
        return range;
      },
      "");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a BN-CNN, VGG-style network, ResNet or plain deep CNN on Fashion-MNIST (chapter 05)"};
  std::string model_name = "bn-cnn", optimizer_name = "momentum", schedule_name = "cosine", data_flag, out_dir,
              save_path, load_path, checkpoint_path, resume_path;
  ModelOptions model_options;
  float lr = -1.0f, weight_decay = -1.0f;  // -1: the default for the optimizer, below
  float smoothing = -1.0f;  // -1: the default for the model, below
  std::size_t batch = 128, limit = 0, epochs = kNotGiven, padding = 2;
  double minutes = 0.0;
  int threads = 0;
  std::uint64_t seed = 42;
  bool augment = false, no_batch_norm = false, eval_train = false;
  auto* load = app.add_option("--load", load_path,
                              "start from a model file written by --save (its network comes from the file); "
                              "evaluates it, or trains it further with --epochs");
  app.add_option("--model", model_name, "bn-cnn, vgg, resnet, plain or mlp")
      ->check(CLI::IsMember(kRegularizationModelNames))
      ->excludes(load);
  app.add_option("--width", model_options.width,
                 "channels of the first stage (default: 32 for bn-cnn, 16 for the others); mlp: units per "
                 "hidden layer (default 1024)")
      ->check(CLI::Range(1, 1024))
      ->excludes(load);
  app.add_option("--blocks", model_options.blocks, "resnet and plain: blocks per stage n, depth 6n + 2 (default 3)")
      ->check(CLI::Range(1, 100))
      ->excludes(load);
  app.add_option("--dropout", model_options.dropout,
                 "bn-cnn and vgg: dropout before the last Dense layer; mlp: after each hidden layer (default 0)")
      ->check(in_range(0, true, 1, false))
      ->excludes(load);
  app.add_flag("--no-batch-norm", no_batch_norm, "bn-cnn and vgg: the same network without batch norm")
      ->excludes(load);
  app.add_option("--optimizer", optimizer_name, "momentum (SGD, 0.9), nesterov or adamw")
      ->check(CLI::IsMember(kTrainOptimizers));
  app.add_option("--lr", lr, "initial learning rate (default: 0.1; 0.02 without batch norm; 0.001 for adamw)")
      ->check(in_range(0, false, 100, true));
  app.add_option("--schedule", schedule_name, "learning-rate schedule: cosine (decay to 0 over the run) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}));
  app.add_option("--weight-decay", weight_decay,
                 "weight decay lambda: L2 for momentum and nesterov (default 5e-4), decoupled for adamw (default 0.01)")
      ->check(in_range(0, true, 1, false));
  app.add_option("--label-smoothing", smoothing,
                 "train against labels smoothed by EPS: 1 - EPS on the right class, EPS spread over all (default: 0.1 "
                 "for resnet and plain, 0 for the others)")
      ->check(in_range(0, true, 1, false));
  app.add_flag("--eval-train", eval_train,
               "after every epoch, also evaluate the training images in evaluation mode (dropout off, "
               "running statistics): columns train_eval_loss and train_eval_accuracy");
  app.add_flag("--augment", augment, "random crops (the image padded with --padding black pixels) and horizontal flips");
  app.add_option("--padding", padding, "--augment: pixels of padding on each side before the random crop (default 2)")
      ->check(CLI::Range(0, 14));
  app.add_option("--batch", batch, "mini-batch size (at least 2: batch norm needs two examples)")
      ->check(CLI::Range(2, 60000));
  app.add_option("--epochs", epochs,
                 "passes over the training set (default: 6 for bn-cnn, 14 for vgg, 8 for resnet and plain, 20 for "
                 "mlp; 0 with --load)")
      ->check(CLI::Range(0, 100000));
  app.add_option("--minutes", minutes, "stop training after this many minutes, even mid-epoch (0: no limit)")
      ->check(in_range(0, true, 1e6, true));
  app.add_option("--seed", seed, "random seed (initialisation, shuffling, augmentation, dropout)");
  app.add_option("--limit", limit, "train on the first N training images only (0: all 60000)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--data", data_flag,
                 "Fashion-MNIST directory (default: $DLFS_DATA or " + std::string(kDefaultFashionMnistDir) + ")");
  app.add_option("--out", out_dir, "where to write metrics.csv and curves.svg (default: runs/05-regularization/<model>)");
  app.add_option("--save", save_path, "save the trained model (with batch norm's running statistics) to FILE");
  app.add_option("--checkpoint", checkpoint_path, "after every epoch, write FILE with all it takes to resume the run");
  app.add_option("--resume", resume_path, "continue the run that wrote checkpoint FILE (give it the same flags)")
      ->excludes(load);
  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "train: error: %s (see --help)\n", e.what());
    return 1;
  }

  try {
    const bool deep = model_name == "resnet" || model_name == "plain", mlp = model_name == "mlp";
    model_options.batch_norm = !no_batch_norm && !mlp;
    if (app.count("--no-batch-norm") && (deep || mlp))
      throw std::invalid_argument("--no-batch-norm: only bn-cnn and vgg can be built without batch norm");
    if (app.count("--dropout") && deep)
      throw std::invalid_argument("--dropout: only bn-cnn, vgg and mlp have dropout layers");
    if (app.count("--blocks") && !deep) throw std::invalid_argument("--blocks: only resnet and plain are built of blocks");
    if (app.count("--padding") && !augment) throw std::invalid_argument("--padding: only means something with --augment");

    threads = set_threads(threads);
    FashionMnist data = load_fashion_mnist(fashion_mnist_dir(data_flag), limit);

    // The network and the standardization of its inputs: new, or both from the model file.
    SavedSetup setup{model_name, model_options, 0, 1};
    if (!load_path.empty()) {
      setup = setup_from_file(load_path);
    } else {
      // Standardize with the training split's statistics only (chapter 01 on leakage).
      std::tie(setup.pixel_mean, setup.pixel_std) = data.train.pixel_mean_stddev();
    }
    const bool with_bn = setup.options.batch_norm || setup.model == "resnet" || setup.model == "plain";  // mlp: false
    if (epochs == kNotGiven)
      epochs = !load_path.empty()        ? 0
               : setup.model == "bn-cnn" ? 6
               : setup.model == "vgg"    ? 14
               : setup.model == "mlp"    ? 20
                                         : 8;  // resnet, plain
    if (lr < 0) lr = optimizer_name == "adamw" ? 1e-3f : with_bn ? 0.1f : 0.02f;
    // The deep networks fit their training set within their 8 epochs (0.98 on the fly): smoothing
    // the labels kept the ResNet's test accuracy climbing to the end (the README's runs).
    if (smoothing < 0) smoothing = setup.model == "resnet" || setup.model == "plain" ? 0.1f : 0.0f;
    if (weight_decay < 0) weight_decay = optimizer_name == "adamw" ? 0.01f : 5e-4f;  // AdamW's: PyTorch's default
    if (out_dir.empty()) out_dir = "runs/05-regularization/" + setup.model;

    const Examples train = examples_from_images(data.train, setup.pixel_mean, setup.pixel_std);
    const Examples test = examples_from_images(data.test, setup.pixel_mean, setup.pixel_std);
    std::printf("Fashion-MNIST: %zu training, %zu test images (standardized with pixel mean %.4f, std %.4f)\n",
                train.size(), test.size(), double(setup.pixel_mean), double(setup.pixel_std));
    if (epochs > 0 && train.size() < batch)
      throw std::invalid_argument("--batch " + std::to_string(batch) + " is larger than the " +
                                  std::to_string(train.size()) + " training images: no whole batch to train on");

    Rng rng(seed);
    Sequential model = make_regularization_model(setup.model, rng, setup.options);
    if (!load_path.empty()) {
      load_model(load_path, model.name(), named_values(model.parameters()));
      std::printf("loaded %s\n", load_path.c_str());
    }
    model.set_needs_input_grad(false);  // the input is data: skip dL/dx of the first convolution
    std::printf("model: %s, %zu parameters%s\n", setup.model.c_str(), parameter_count(model),
                with_bn ? "" : " (without batch norm)");

    std::unique_ptr<Optimizer> optimizer = make_train_optimizer(optimizer_name, model.parameters(), lr, weight_decay);
    LoaderOptions loader_options;
    loader_options.batch_size = batch;
    loader_options.drop_last = true;  // no short last batch, and so never a batch of one, reaches batch norm
    // The border is a black pixel, 0 before standardization: PyTorch's RandomCrop pads the image
    // before ToTensor and Normalize, so its padding is black too.
    if (augment) loader_options.augment = crop_and_flip(padding, -setup.pixel_mean / setup.pixel_std);
    DataLoader loader(train, loader_options, rng);
    const std::size_t total_steps = epochs * loader.batches();
    const Schedule schedule = schedule_name == "cosine" ? cosine_schedule(lr, total_steps) : constant_schedule(lr);
    // Whole batches: no micro-batches, no replicas (batch norm). A checkpoint continues only the run
    // that wrote it: the same network and settings, or the resumed run would not be the uninterrupted one.
    TrainerOptions trainer_options;
    // Evaluate in batches of the training size: every layer keeps its forward caches in evaluation
    // too, and for the ResNet those of 500 images (the default) are 1.4 GB, of 128 about 0.3 GB.
    trainer_options.eval_batch_size = batch;
    // Trained against labels smoothed by `smoothing` (0: the plain cross-entropy); evaluated, always,
    // by the plain cross-entropy, so the test loss of every run means the same thing.
    trainer_options.loss = label_smoothing(smoothing);
    trainer_options.evaluation_loss = softmax_cross_entropy;
    trainer_options.run = setup_metadata(setup);
    trainer_options.run["run"] = "optimizer=" + optimizer_name + " lr=" + exact(lr) + " schedule=" + schedule_name +
                                 " weight_decay=" + exact(weight_decay) + " label_smoothing=" + exact(smoothing) +
                                 " augment=" + (augment ? "1" : "0") + " padding=" + std::to_string(padding) +
                                 " batch=" + std::to_string(batch) +
                                 " epochs=" + std::to_string(epochs) + " seed=" + std::to_string(seed) +
                                 " limit=" + std::to_string(limit);
    Trainer trainer(model, *optimizer, loader, trainer_options);
    trainer.add<LearningRateSchedule>(schedule);
    trainer.add<DropoutStreams>(dropouts_of(model));
    if (isatty(fileno(stdout))) trainer.add<ProgressBarCallback>();  // a log file gets the epoch lines only
    EpochReport& report = trainer.add<EpochReport>(out_dir + "/metrics.csv", eval_train ? &train : nullptr);
    if (minutes > 0) trainer.add<TimeBudget>(minutes * 60.0);
    if (!checkpoint_path.empty()) trainer.add<Checkpointing>(checkpoint_path);
    if (!resume_path.empty()) {
      trainer.resume(resume_path);
      std::printf("resumed %s after epoch %zu\n", resume_path.c_str(), trainer.epoch());
    }
    if (epochs > 0)
      std::printf("training %zu epochs of %zu batches of %zu: %s, lr %g (%s), weight decay %g, dropout %g, "
                  "label smoothing %g, %s\n",
                  epochs, loader.batches(), batch, optimizer_name.c_str(), double(lr), schedule_name.c_str(),
                  double(weight_decay), double(setup.options.dropout), double(smoothing),
                  augment ? ("augmented (crop with padding " + std::to_string(padding) + ", flip)").c_str()
                          : "not augmented");
    std::fflush(stdout);

    if (epochs > 0) trainer.fit(epochs, &test);
    if (trainer.interrupted())
      std::printf("stopped by the --minutes budget after %zu complete epochs and %zu batches of the next\n",
                  trainer.epoch(), trainer.batch_index() + 1);

    const Evaluation final_eval = trainer.evaluate(test);
    if (epochs > 0) {
      write_line_charts(out_dir + "/curves.svg",
                        {{"Loss (" + setup.model + ")",
                          smoothing > 0 ? "cross-entropy (training: against the smoothed labels)" : "cross-entropy",
                          {report.train_loss, report.test_loss}},
                         {"Accuracy", "accuracy", {report.train_acc, report.test_acc}}});
      std::printf("wrote metrics.csv, curves.svg to %s\n", out_dir.c_str());
    }
    if (!save_path.empty()) {
      Metadata extra = setup_metadata(setup);
      char accuracy[32];
      std::snprintf(accuracy, sizeof accuracy, "%.4f", final_eval.accuracy);
      extra["test_accuracy"] = accuracy;
      save_model(save_path, model.name(), named_values(model.parameters()), extra);
      std::printf("saved %s\n", save_path.c_str());
    }
    const std::size_t done = trainer.epoch();
    std::printf("result: model=%s test_accuracy=%.4f test_loss=%.4f epochs=%zu seconds_per_epoch=%.3f "
                "peak_rss_mb=%.1f threads=%d parameters=%zu batch=%zu lr=%g optimizer=%s weight_decay=%g dropout=%g "
                "label_smoothing=%g augment=%d batch_norm=%d\n",
                setup.model.c_str(), final_eval.accuracy, final_eval.loss, done,
                report.epochs_run ? report.train_seconds / double(report.epochs_run) : 0.0, peak_rss_mb(), threads, parameter_count(model), batch,
                double(lr), optimizer_name.c_str(), double(weight_decay), double(setup.options.dropout),
                double(smoothing), augment ? 1 : 0, with_bn ? 1 : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
