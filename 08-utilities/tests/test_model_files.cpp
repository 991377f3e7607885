#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/flatten.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/sequential.hpp"
#include "common/safetensors.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

// One of every chapter 02 layer: Flatten, Dense with both initialisations, every activation, Softmax.
Sequential every_layer(Rng& rng) {
  Sequential model;
  model.emplace<Flatten>();
  model.emplace<Dense>(12, 8, rng, Init::He);
  model.emplace<ReLU>();
  model.emplace<Dense>(8, 8, rng, Init::Xavier);
  model.emplace<Sigmoid>();
  model.emplace<Dense>(8, 6, rng);
  model.emplace<Tanh>();
  model.emplace<Dense>(6, 6, rng);
  model.emplace<LeakyReLU>(0.1f);
  model.emplace<Dense>(6, 5, rng);
  model.emplace<GELU>();
  model.emplace<Dense>(5, 4, rng);
  model.emplace<Softmax>();
  return model;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Runs a command, returning its exit status and what it printed.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) output += buf;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string reader_command(const std::string& file) {
  const char* python = std::getenv("DLFS_PYTHON");
  const char* reader = std::getenv("DLFS_SAFETENSORS_READER");
  if (!python || !reader) FAIL("DLFS_PYTHON and DLFS_SAFETENSORS_READER are set by meson test: run the test through meson");
  return std::string(python) + " " + reader + " " + file;
}

}  // namespace

TEST_CASE("A model of every chapter 02 layer type round-trips through a file and computes the same outputs", "[08-utilities][model-files]") {
  const std::string path = test::scratch_dir("model-files-every-layer") + "/model.safetensors";
  Rng rng(1), other(2);
  Sequential model = every_layer(rng);
  save_model(path, model.name(), named_values(model.parameters()));

  Sequential copy = every_layer(other);  // different initial weights
  load_model(path, copy.name(), named_values(copy.parameters()));
  const auto a = model.parameters(), b = copy.parameters();
  REQUIRE(a.size() == 12);  // six Dense layers: weight and bias each
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i]->name == b[i]->name);
    CHECK(same_bits(a[i]->value, b[i]->value));
  }
  const Tensor x = test::random_tensor({3, 2, 6}, rng);  // (B, 2, 6), flattened to (B, 12)
  CHECK(same_bits(model.forward(x), copy.forward(x)));
}

TEST_CASE("The 02 MLP's file holds each parameter under its Sequential name", "[08-utilities][model-files]") {
  const std::string path = test::scratch_dir("model-files-mlp") + "/mlp.safetensors";
  Rng rng(1);
  Sequential model = make_mlp(784, {256, 128}, 10, "relu", rng);
  save_model(path, model.name(), named_values(model.parameters()));
  const SafetensorsFile file = read_safetensors(path);
  CHECK(file.metadata.at("architecture") ==
        "Sequential(Flatten, Dense(784, 256), ReLU, Dense(256, 128), ReLU, Dense(128, 10))");
  CHECK(file.tensors.at("1.weight").shape() == Shape{256, 784});
  CHECK(file.tensors.at("3.bias").shape() == Shape{128});
  CHECK(file.tensors.at("5.weight").shape() == Shape{10, 128});
  CHECK(file.tensors.size() == 6);
}

TEST_CASE("A model saved with other hidden sizes is refused as another architecture", "[08-utilities][model-files]") {
  const std::string path = test::scratch_dir("model-files-arch") + "/mlp.safetensors";
  Rng rng(1);
  Sequential small = make_mlp(784, {32}, 10, "relu", rng);
  save_model(path, small.name(), named_values(small.parameters()));
  Sequential wide = make_mlp(784, {64}, 10, "relu", rng);
  CHECK_THROWS_WITH(load_model(path, wide.name(), named_values(wide.parameters())),
                    Catch::Contains("architecture mismatch: the file holds 'Sequential(Flatten, Dense(784, 32)"));
}

TEST_CASE("The numpy reader prints every tensor's name and shape and verifies the checksum", "[08-utilities][model-files][python]") {
  const std::string path = test::scratch_dir("model-files-numpy") + "/mlp.safetensors";
  Rng rng(1);
  Sequential model = make_mlp(784, {16}, 10, "relu", rng);
  save_model(path, model.name(), named_values(model.parameters()), {{"pixel_mean", "0.286"}});
  const auto [status, output] = run(reader_command(path));
  INFO(output);
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("tensor 1.weight (16, 784) float32") && Catch::Contains("tensor 1.bias (16) float32"));
  CHECK_THAT(output, Catch::Contains("tensor 3.weight (10, 16) float32"));
  CHECK_THAT(output, Catch::Contains("metadata pixel_mean = 0.286"));
  CHECK_THAT(output, Catch::Contains("4 tensors, 12730 values; checksum crc32 ") && Catch::Contains(" ok"));
}

TEST_CASE("The numpy reader reports a corrupted file", "[08-utilities][model-files][python]") {
  const std::string path = test::scratch_dir("model-files-numpy-bad") + "/mlp.safetensors";
  Rng rng(1);
  Sequential model = make_mlp(4, {3}, 2, "relu", rng);
  save_model(path, model.name(), named_values(model.parameters()));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('\x7f');
  }
  const auto [status, output] = run(reader_command(path));
  INFO(output);
  CHECK(status == 1);
  CHECK_THAT(output, Catch::Contains("MISMATCH"));
}
