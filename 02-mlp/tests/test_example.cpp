// The mlp example, run as a learner runs it, on the first 3000 training and 500 test images of
// Fashion-MNIST: a run repeats byte for byte, on one thread or two, and a run killed with
// SIGKILL and continued with --resume ends with the very model the uninterrupted run saved.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/example_runs.hpp"
#include "tests/support/small_fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_MLP_EXE
#error "DLFS_MLP_EXE must name the example program (02-mlp/meson.build passes it)"
#endif

using namespace dlfs::test;

namespace {

// The command line of a short run with these further flags (shell syntax). An epoch is 47
// batches, a tenth of a second here, so that a kill after the first of six comes mid-run.
std::string mlp(const std::string& args, int threads = 1, int epochs = 6) {
  const std::string& data = small_fashion_mnist("02-mlp-example-data", 3000, 500);
  return std::string("'") + DLFS_MLP_EXE + "' --threads " + std::to_string(threads) + " --epochs " +
         std::to_string(epochs) + " --data '" + data + "' " + args;
}


}  // namespace

TEST_CASE("A run killed with SIGKILL and resumed from its checkpoint saves the uninterrupted run's model, byte for byte",
          "[02-mlp][example][resume]") {
  check_kill_and_resume(mlp(""), scratch_dir("02-mlp-example"), 6);
}

TEST_CASE("The same seed writes the same metrics and model, byte for byte, on one thread or two, run after run",
          "[02-mlp][example][threads][repeat]") {
  // The model and its copy each train half of every batch, taking turns on one thread or side by
  // side on two: the same sums in the same order either way, and nothing depends on the clock.
  check_same_bits_on_one_thread_or_two([](int threads) { return mlp("", threads, 2); },
                                       scratch_dir("02-mlp-example-threads"), 2);
}

TEST_CASE("An empty value for a path flag is refused before anything is read or written", "[02-mlp][example][errors]") {
  // --out "" once wrote metrics.csv and the figures into the filesystem root; --save "" and
  // --load "" quietly meant no file at all.
  const std::string dir = scratch_dir("02-mlp-example-empty");
  for (const std::string flag : {"--out", "--save", "--load", "--checkpoint", "--resume", "--data"}) {
    INFO(flag);
    const Run run = run_program(mlp(flag + " ''", 1, 1), dir);
    CHECK(run.status != 0);
    CHECK(run.out + run.err == flag + ": must not be empty\nRun with --help for more information.\n");
  }
}
