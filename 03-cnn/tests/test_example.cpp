// The cnn example, run as a learner runs it, on the first 1500 training and 300 test images of
// Fashion-MNIST: LeNet-5 killed with SIGKILL and continued with --resume ends with the very model
// the uninterrupted run saved, and writes its metrics digit for digit; one thread and two give
// the same bits.
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
std::string cnn(const std::string& args, int threads = 1, int epochs = 5) {
  const std::string& data = small_fashion_mnist("03-cnn-example-data", 1500, 300);
  return std::string("'") + DLFS_CNN_EXE + "' --model lenet --threads " + std::to_string(threads) + " --epochs " +
         std::to_string(epochs) + " --data '" + data + "' " + args;
}


}  // namespace

TEST_CASE("LeNet-5 killed with SIGKILL and resumed from its checkpoint saves the uninterrupted run's model, byte for byte",
          "[03-cnn][example][resume]") {
  check_kill_and_resume(cnn(""), scratch_dir("03-cnn-example"), 5);
}

TEST_CASE("The same seed writes the same metrics and model, byte for byte, on one thread or two, run after run",
          "[03-cnn][example][threads][repeat]") {
  // As chapter 02's MLP: the model and its replica each train half of every batch, in turns on one
  // thread or side by side on two; the convolutions' own loops never split a sum by thread.
  check_same_bits_on_one_thread_or_two([](int threads) { return cnn("", threads, 2); },
                                       scratch_dir("03-cnn-example-threads"), 2);
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
