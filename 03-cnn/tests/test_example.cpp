// The cnn example, run as a learner runs it, on the first 1500 training and 300 test images of
// Fashion-MNIST: LeNet-5 killed with SIGKILL and continued with --resume ends with the very model
// the uninterrupted run saved, and writes its metrics digit for digit.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/example_runs.hpp"
#include "tests/support/small_fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_CNN_EXE
#error "DLFS_CNN_EXE must name the example program (03-cnn/meson.build passes it)"
#endif

using namespace dlfs::test;

namespace {

// LeNet-5 for five epochs of 47 batches (about a fifth of a second each here, one thread), so
// that a kill after the first comes mid-run; with these further flags (shell syntax).
std::string cnn(const std::string& args) {
  const std::string& data = small_fashion_mnist("03-cnn-example-data", 1500, 300);
  return std::string("'") + DLFS_CNN_EXE + "' --model lenet --threads 1 --epochs 5 --data '" + data + "' " + args;
}

void run(const std::string& dir, const std::string& args) {
  const Run r = run_program(cnn(args), dir);
  INFO(cnn(args) << "\n" << r.out << r.err);
  REQUIRE(r.status == 0);
}

}  // namespace

TEST_CASE("LeNet-5 killed with SIGKILL and resumed from its checkpoint saves the uninterrupted run's model, byte for byte",
          "[03-cnn][example][resume]") {
  check_kill_and_resume(cnn(""), scratch_dir("03-cnn-example"), 5);
}

TEST_CASE("A checkpoint of other settings is refused with a message naming the file", "[03-cnn][example][resume]") {
  const std::string dir = scratch_dir("03-cnn-example-mismatch");
  const std::string data = small_fashion_mnist("03-cnn-example-data", 1500, 300);
  const std::string lenet = std::string("'") + DLFS_CNN_EXE + "' --threads 1 --data '" + data + "' --out '" + dir + "/runs' ";
  REQUIRE(run_program(lenet + "--epochs 1 --checkpoint '" + dir + "/c.safetensors'", dir).status == 0);
  const Run r = run_program(lenet + "--epochs 1 --lr 0.05 --resume '" + dir + "/c.safetensors'", dir);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::StartsWith("cnn: error: " + dir + "/c.safetensors") && Catch::Contains("lr="));
}
