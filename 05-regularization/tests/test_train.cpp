// The training example, run as a learner runs it, on a small slice of Fashion-MNIST (the first 512
// training and 256 test images, written to a scratch directory) so that each run takes about a
// second: bad flags end in one line and exit status 1; a tiny network's loss falls; a model saved
// with --save and read back with --load evaluates to the same test accuracy and loss.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "common/safetensors.hpp"
#include "tests/support/example_runs.hpp"
#include "tests/support/small_fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_TRAIN_EXE
#error "DLFS_TRAIN_EXE must name the example program (05-regularization/meson.build passes it)"
#endif

using namespace dlfs;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

using test::Run;

Run run_train(const std::string& dir, const std::string& args) {
  return test::run_program(std::string("'") + DLFS_TRAIN_EXE + "' --threads 1 --out '" + dir + "/runs' " + args, dir);
}

// The key=value pairs of the result line, which must name the model.
std::map<std::string, std::string> result_line(const std::string& out) {
  std::map<std::string, std::string> pairs = test::result_line(out);
  REQUIRE(pairs.count("model") == 1);
  return pairs;
}

// The first 512 training and 256 test images of Fashion-MNIST.
const std::string& small_fashion_mnist() { return test::small_fashion_mnist("05-regularization-train-data", 512, 256); }

// Every column of a metrics.csv by its header name, one value per epoch.
std::map<std::string, std::vector<double>> csv_columns(const std::string& csv_path) {
  std::ifstream in(csv_path);
  std::string line, cell;
  REQUIRE(std::getline(in, line));
  std::vector<std::string> names;
  for (std::istringstream header(line); std::getline(header, cell, ',');) names.push_back(cell);
  std::map<std::string, std::vector<double>> columns;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    for (const std::string& name : names) {
      REQUIRE(std::getline(fields, cell, ','));
      columns[name].push_back(std::stod(cell));
    }
  }
  return columns;
}

// The train_loss column of a metrics.csv, one value per epoch.
std::vector<double> train_losses(const std::string& csv_path) {
  std::ifstream in(csv_path);
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE_THAT(line, StartsWith("epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy"));
  std::vector<double> losses;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int column = 0; column < 3; ++column) std::getline(fields, field, ',');
    losses.push_back(std::stod(field));
  }
  return losses;
}

// One line on stderr, starting "train: error: ", exit status 1, and no result line.
void require_one_line_error(const Run& r, const std::string& says) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, StartsWith("train: error: "));
  CHECK_THAT(r.err, Contains(says));
  CHECK(r.err.find('\n') == r.err.size() - 1);
  CHECK(r.out.find("result:") == std::string::npos);
}

}  // namespace

TEST_CASE("The train example reports bad flags in one line and exits 1", "[05-regularization][train][errors]") {
  const std::string dir = test::scratch_dir("05-regularization-train-flags");
  const std::string data = " --data '" + small_fashion_mnist() + "'";
  require_one_line_error(run_train(dir, "--model lenet" + data), "--model");
  require_one_line_error(run_train(dir, "--dropout 1.5" + data), "must be in [0, 1), not 1.5");
  require_one_line_error(run_train(dir, "--dropout half" + data), "'half' is not a number");
  require_one_line_error(run_train(dir, "--batch 1" + data), "--batch");
  require_one_line_error(run_train(dir, "--lr 0" + data), "must be in (0, 100], not 0");
  require_one_line_error(run_train(dir, "--weight-decay -1" + data), "--weight-decay");
  require_one_line_error(run_train(dir, "--label-smoothing 1" + data), "--label-smoothing: must be in [0, 1), not 1");
  require_one_line_error(run_train(dir, "--optimizer adagrad" + data), "--optimizer");
  require_one_line_error(run_train(dir, "--frobnicate" + data), "frobnicate");
  require_one_line_error(run_train(dir, "--model resnet --no-batch-norm" + data),
                         "--no-batch-norm: only bn-cnn and vgg can be built without batch norm");
  require_one_line_error(run_train(dir, "--model plain --dropout 0.5" + data), "--dropout: only bn-cnn, vgg and mlp");
  require_one_line_error(run_train(dir, "--model vgg --blocks 2" + data), "--blocks: only resnet and plain");
  require_one_line_error(run_train(dir, "--padding 4" + data), "--padding: only means something with --augment");
  require_one_line_error(run_train(dir, "--load m.safetensors --model vgg" + data), "excludes");
  require_one_line_error(run_train(dir, "--batch 1000" + data),
                         "--batch 1000 is larger than the 512 training images");
  require_one_line_error(run_train(dir, "--data '" + dir + "/nowhere'"), "nowhere");
  require_one_line_error(run_train(dir, "--load '" + dir + "/missing.safetensors'" + data), "missing.safetensors");
  // A model file that this program did not write: it has no network description in its metadata.
  Tensor w({2, 2}, 1.0f);
  save_model(dir + "/other.safetensors", "Dense(2, 2)", {{"weight", &w}});
  require_one_line_error(run_train(dir, "--load '" + dir + "/other.safetensors'" + data),
                         "no 'model' in its metadata");
  // A model file whose metadata ask for a network the flags could not: refused before it is built.
  for (const auto& [key, value, message] :
       {std::tuple{"width", "-1", "metadata 'width' is '-1', not a whole number from 0 to 1024"},
        std::tuple{"blocks", "1e9", "metadata 'blocks' is '1e9', not a whole number from 1 to 100"},
        std::tuple{"width", "16.5", "metadata 'width' is '16.5', not a whole number"},
        std::tuple{"dropout", "1", "metadata 'dropout' is '1', not in [0, 1)"}}) {
    Metadata setup = {{"model", "resnet"}, {"width", "16"}, {"blocks", "1"}, {"batch_norm", "1"},
                      {"dropout", "0"}, {"pixel_mean", "0.28"}, {"pixel_std", "0.35"}};
    setup[key] = value;
    save_model(dir + "/absurd.safetensors", "ResNet", {{"weight", &w}}, setup);
    require_one_line_error(run_train(dir, "--load '" + dir + "/absurd.safetensors'" + data), message);
  }
}

TEST_CASE("The train example's loss falls on a tiny BN-CNN and it ends with its result line",
          "[05-regularization][train][example]") {
  const std::string dir = test::scratch_dir("05-regularization-train-tiny");
  const Run r = run_train(dir, "--data '" + small_fashion_mnist() +
                                   "' --model bn-cnn --width 4 --batch 32 --epochs 4 --lr 0.05 --seed 3");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const auto result = result_line(r.out);
  for (const char* key : {"test_accuracy", "test_loss", "epochs", "seconds_per_epoch", "peak_rss_mb", "threads",
                          "parameters"})
    CHECK(result.count(key) == 1);
  CHECK(result.at("model") == "bn-cnn");
  CHECK(result.at("epochs") == "4");
  CHECK(result.at("threads") == "1");
  CHECK(result.at("label_smoothing") == "0");  // smoothing is the deep networks' default only
  const std::vector<double> losses = train_losses(dir + "/runs/metrics.csv");
  REQUIRE(losses.size() == 4);
  CHECK(losses.back() < 0.6 * losses.front());
  // 10 classes: chance is 0.1. Four epochs of 16 batches reach well past it.
  CHECK(std::stod(result.at("test_accuracy")) > 0.5);
  CHECK(std::filesystem::exists(dir + "/runs/curves.svg"));
}

TEST_CASE("The wide MLP trains without batch norm, and --eval-train measures the training images with dropout off",
          "[05-regularization][train][example][dropout]") {
  const std::string dir = test::scratch_dir("05-regularization-train-mlp");
  const Run r = run_train(dir, "--data '" + small_fashion_mnist() +
                                   "' --model mlp --width 64 --dropout 0.5 --batch 32 --epochs 3 --eval-train --seed 3");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const auto result = result_line(r.out);
  CHECK(result.at("model") == "mlp");
  CHECK(result.at("batch_norm") == "0");
  CHECK(result.at("lr") == "0.02");  // the rate without batch norm
  CHECK(result.at("parameters") == std::to_string(784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10));
  auto columns = csv_columns(dir + "/runs/metrics.csv");
  REQUIRE(columns["train_eval_loss"].size() == 3);
  REQUIRE(columns["train_eval_accuracy"].size() == 3);
  // Half the hidden units dropped make the on-the-fly numbers the worse ones.
  CHECK(columns["train_eval_loss"].back() < columns["train_loss"].back());
  CHECK(columns["train_eval_accuracy"].back() > columns["train_accuracy"].back());
  require_one_line_error(run_train(dir, "--model mlp --no-batch-norm --data '" + small_fashion_mnist() + "'"),
                         "--no-batch-norm: only bn-cnn and vgg");
}

TEST_CASE("A ResNet saved with --save and read back with --load evaluates to the same test accuracy and loss",
          "[05-regularization][train][example][model-file]") {
  const std::string dir = test::scratch_dir("05-regularization-train-save-load");
  const std::string data = " --data '" + small_fashion_mnist() + "'";
  const std::string file = dir + "/resnet.safetensors";
  const Run trained = run_train(dir, "--model resnet --width 4 --blocks 1 --batch 32 --epochs 2 --augment --seed 5"
                                     " --save '" + file + "'" + data);
  INFO(trained.out << trained.err);
  REQUIRE(trained.status == 0);
  const auto before = result_line(trained.out);
  CHECK(before.at("label_smoothing") == "0.1");  // resnet's default
  // The file holds the running statistics, and the standardization the model was trained with:
  // read back beside a different training split (--limit 100 has another pixel mean), the test
  // images must still be standardized as in training.
  const SafetensorsFile saved = read_safetensors(file);
  CHECK(saved.tensors.count("1.running_mean") == 1);
  CHECK(saved.tensors.count("1.running_var") == 1);
  CHECK(saved.metadata.at("model") == "resnet");
  const Run loaded = run_train(dir, "--load '" + file + "' --limit 100" + data);
  INFO(loaded.out << loaded.err);
  REQUIRE(loaded.status == 0);
  const auto after = result_line(loaded.out);
  CHECK(after.at("model") == "resnet");
  CHECK(after.at("epochs") == "0");
  CHECK(after.at("parameters") == before.at("parameters"));
  CHECK(after.at("test_accuracy") == before.at("test_accuracy"));
  CHECK(after.at("test_loss") == before.at("test_loss"));
}

TEST_CASE("A run with dropout and augmentation killed with SIGKILL and resumed saves the uninterrupted run's model",
          "[05-regularization][train][example][resume]") {
  // The loader's stream (shuffling, crops and flips), the dropout layer's own stream, momentum and
  // batch norm's running statistics all have to come back from the checkpoint for the same bits.
  const std::string dir = test::scratch_dir("05-regularization-train-resume");
  const std::string run = std::string("'") + DLFS_TRAIN_EXE + "' --threads 1 --data '" + small_fashion_mnist() +
                          "' --model bn-cnn --width 4 --dropout 0.3 --augment --batch 32 --epochs 4 --seed 7 ";
  test::check_kill_and_resume(run, dir, 4);
}
