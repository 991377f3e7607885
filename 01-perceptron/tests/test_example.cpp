// The example program, run as a learner runs it: its defaults must reach the chapter's
// accuracies, and bad input must end in one line on stderr and a non-zero exit status.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/example_runs.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_PERCEPTRON_EXE
#error "DLFS_PERCEPTRON_EXE must name the example program (01-perceptron/meson.build passes it)"
#endif

namespace {

using dlfs::test::result_line;
using dlfs::test::Run;

// Runs the example with these arguments (shell syntax), capturing stdout and stderr.
Run run_example(const std::string& args) {
  const std::string dir = dlfs::test::scratch_dir("01-perceptron-example");
  return dlfs::test::run_program(std::string("'") + DLFS_PERCEPTRON_EXE + "' " + args, dir);
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("The example reaches 85% test accuracy on Iris with its defaults", "[01-perceptron][example]") {
  const Run r = run_example("");
  REQUIRE(r.status == 0);
  auto result = result_line(r.out);
  CHECK(result["dataset"] == "iris");
  CHECK(std::stod(result["test_accuracy"]) >= 0.85);
  CHECK(result.count("train_accuracy") == 1);
  CHECK(result.count("epochs") == 1);
}

TEST_CASE("The example reaches 95% test accuracy on breast cancer with its defaults", "[01-perceptron][example]") {
  const Run r = run_example("--dataset breast-cancer");
  REQUIRE(r.status == 0);
  auto result = result_line(r.out);
  CHECK(result["dataset"] == "breast-cancer");
  CHECK(std::stod(result["test_accuracy"]) >= 0.95);
}

TEST_CASE("The example stays below 100% on XOR with its defaults", "[01-perceptron][example]") {
  const Run r = run_example("--dataset xor");
  REQUIRE(r.status == 0);
  auto result = result_line(r.out);
  CHECK(std::stod(result["test_accuracy"]) < 1.0);
  CHECK(std::stod(result["train_accuracy"]) < 1.0);
}

TEST_CASE("The example rejects a malformed CSV with one line naming the line and column", "[01-perceptron][example]") {
  const Run r = run_example(std::string("--csv '") + DLFS_MALFORMED_CSV + "' --label species");
  CHECK(r.status != 0);
  CHECK(r.err == std::string(DLFS_MALFORMED_CSV) + ":4:5: expected a number in column 'sepal_width_cm', found 'abc'\n");
}

TEST_CASE("The example rejects nonsensical flags with one line each", "[01-perceptron][example]") {
  for (const char* args : {"--dataset mnist", "--epochs -3", "--lr 0", "--test-fraction 1", "--csv x.csv",
                           "--label species", "--no-such-flag"}) {
    INFO("arguments: " << args);
    const Run r = run_example(args);
    CHECK(r.status == 2);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("perceptron: ", 0) == 0);
    CHECK(r.out.find("result:") == std::string::npos);
  }
}

TEST_CASE("The example names a label column that the CSV does not have", "[01-perceptron][example]") {
  const Run r = run_example(std::string("--csv '") + DLFS_MALFORMED_CSV + "' --label kind");
  CHECK(r.status == 2);
  CHECK(r.err.rfind("perceptron: --label: 'kind' is not a column of ", 0) == 0);
}
