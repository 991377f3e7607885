// The training example, run as a learner runs it, on a small slice of Fashion-MNIST (the first 512
// training and 256 test images, written to a scratch directory) so that each run takes about a
// second: bad flags end in one line and exit status 1; a tiny network's loss falls; a model saved
// with --save and read back with --load evaluates to the same test accuracy and loss.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/fashion_mnist.hpp"
#include "common/safetensors.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_TRAIN_EXE
#error "DLFS_TRAIN_EXE must name the example program (05-regularization/meson.build passes it)"
#endif

using namespace dlfs;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Run {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Run run_train(const std::string& dir, const std::string& args) {
  const std::string command = std::string("'") + DLFS_TRAIN_EXE + "' --threads 1 --out '" + dir + "/runs' " + args +
                              " >'" + dir + "/out' 2>'" + dir + "/err'";
  const int raw = std::system(command.c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

// The key=value pairs of the last line of out, which must start with "result: ".
std::map<std::string, std::string> result_line(const std::string& out) {
  REQUIRE(out.size() > 1);
  const std::size_t start = out.rfind('\n', out.size() - 2) + 1;
  const std::string line = out.substr(start, out.size() - 1 - start);
  REQUIRE_THAT(line, StartsWith("result: model="));
  std::map<std::string, std::string> pairs;
  std::istringstream words(line.substr(8));
  for (std::string word; words >> word;) pairs[word.substr(0, word.find('='))] = word.substr(word.find('=') + 1);
  return pairs;
}

void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims, const std::uint8_t* data,
               std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const unsigned char magic[4] = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (std::uint32_t d : dims) {
    const unsigned char be[4] = {static_cast<unsigned char>(d >> 24), static_cast<unsigned char>(d >> 16),
                                 static_cast<unsigned char>(d >> 8), static_cast<unsigned char>(d)};
    out.write(reinterpret_cast<const char*>(be), 4);
  }
  out.write(reinterpret_cast<const char*>(data), std::streamsize(bytes));
  REQUIRE(out.good());
}

void write_split(const std::string& dir, const std::string& prefix, const LabeledImages& images, std::size_t n) {
  REQUIRE(images.size() >= n);
  std::vector<std::uint8_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = std::uint8_t(images.labels[i]);
  const std::uint32_t rows = std::uint32_t(images.rows), cols = std::uint32_t(images.cols);
  // Plain IDX under the .gz names the loader looks for: zlib's reader takes uncompressed files too.
  write_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", {std::uint32_t(n), rows, cols}, images.pixels.data(),
            n * rows * cols);
  write_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", {std::uint32_t(n)}, labels.data(), n);
}

// The first 512 training and 256 test images of Fashion-MNIST, once per test program.
const std::string& small_fashion_mnist() {
  static const std::string dir = [] {
    const std::string source = fashion_mnist_dir();
    if (!std::filesystem::exists(source + "/train-images-idx3-ubyte.gz")) FAIL(source + " is missing: run ./dlfs setup");
    const FashionMnist data = load_fashion_mnist(source, 512);
    const std::string out = test::scratch_dir("05-regularization-train-data");
    write_split(out, "train", data.train, 512);
    write_split(out, "t10k", data.test, 256);
    return out;
  }();
  return dir;
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
  require_one_line_error(run_train(dir, "--optimizer adagrad" + data), "--optimizer");
  require_one_line_error(run_train(dir, "--frobnicate" + data), "frobnicate");
  require_one_line_error(run_train(dir, "--model resnet --no-batch-norm" + data),
                         "--no-batch-norm: only bn-cnn and vgg can be built without batch norm");
  require_one_line_error(run_train(dir, "--model plain --dropout 0.5" + data), "--dropout: only bn-cnn and vgg");
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
  const std::vector<double> losses = train_losses(dir + "/runs/metrics.csv");
  REQUIRE(losses.size() == 4);
  CHECK(losses.back() < 0.6 * losses.front());
  // 10 classes: chance is 0.1. Four epochs of 16 batches reach well past it.
  CHECK(std::stod(result.at("test_accuracy")) > 0.5);
  CHECK(std::filesystem::exists(dir + "/runs/curves.svg"));
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
