// The example program, run as a learner runs it: its defaults must reach the chapter's
// accuracies, and bad input must end in one line on stderr and a non-zero exit status.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/tmp.hpp"

#ifndef DLFS_PERCEPTRON_EXE
#error "DLFS_PERCEPTRON_EXE must name the example program (01-perceptron/meson.build passes it)"
#endif

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

// Runs the example with these arguments (shell syntax), capturing stdout and stderr.
Run run_example(const std::string& args) {
  const std::string dir = dlfs::test::scratch_dir("01-perceptron-example");
  const std::string command =
      std::string("'") + DLFS_PERCEPTRON_EXE + "' " + args + " >'" + dir + "/out' 2>'" + dir + "/err'";
  const int raw = std::system(command.c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

// The key=value pairs of the last line, which must start with "result: ".
std::map<std::string, std::string> result_line(const std::string& out) {
  REQUIRE(!out.empty());
  REQUIRE(out.back() == '\n');
  const std::size_t start = out.rfind('\n', out.size() - 2) + 1;  // 0 when there is one line
  const std::string line = out.substr(start, out.size() - 1 - start);
  REQUIRE(line.rfind("result: ", 0) == 0);
  std::map<std::string, std::string> pairs;
  std::istringstream words(line.substr(8));
  for (std::string word; words >> word;) {
    const std::size_t eq = word.find('=');
    REQUIRE(eq != std::string::npos);
    pairs[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return pairs;
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
