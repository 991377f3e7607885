// The mlp example, run as a learner runs it (on a 2000-image subset, one thread): what it writes
// after --resume must be what the uninterrupted run wrote.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/safetensors.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_MLP_EXE
#error "DLFS_MLP_EXE must name the example program (02-mlp/meson.build passes it)"
#endif

namespace {

// The rows of a metrics.csv without their last column (seconds, which differ from run to run).
std::vector<std::string> rows_without_seconds(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

void run(const std::string& args, int threads = 1) {
  const std::string command =
      std::string("'") + DLFS_MLP_EXE + "' --threads " + std::to_string(threads) + " --limit 2000 --epochs 3 " + args;
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

}  // namespace

TEST_CASE("A run resumed from its checkpoint writes the uninterrupted run's metrics, learning rate included",
          "[02-mlp][example][resume]") {
  const std::string dir = dlfs::test::scratch_dir("02-mlp-example");
  run("--out '" + dir + "/whole' >/dev/null");
  // Interrupted for real: sed quits after the line of epoch 2, and the program dies of SIGPIPE at
  // its next output, the end of epoch 3's training, before that epoch's checkpoint.
  run("--out '" + dir + "/cut' --checkpoint '" + dir + "/c.safetensors' | sed -n '/^epoch 2:/q'");
  REQUIRE(dlfs::read_safetensors(dir + "/c.safetensors").metadata.at("epoch") == "2");
  run("--out '" + dir + "/cut' --resume '" + dir + "/c.safetensors' >/dev/null");

  const std::vector<std::string> whole = rows_without_seconds(dir + "/whole/metrics.csv");
  const std::vector<std::string> resumed = rows_without_seconds(dir + "/cut/metrics.csv");
  REQUIRE(whole.size() == 4);  // the header and epochs 1-3
  REQUIRE(resumed.size() == 2);  // the header and epoch 3
  CHECK(resumed[0] == whole[0]);
  CHECK(resumed[1] == whole[3]);  // epoch, lr, train and test loss and accuracy, digit for digit
}

TEST_CASE("One thread and two write the same metrics, digit for digit", "[02-mlp][example][threads]") {
  // The model and its copy each train half of every batch, taking turns on one thread or side by
  // side on two: the same sums in the same order either way.
  const std::string dir = dlfs::test::scratch_dir("02-mlp-example-threads");
  run("--out '" + dir + "/one' >/dev/null", 1);
  run("--out '" + dir + "/two' >/dev/null", 2);
  const std::vector<std::string> one = rows_without_seconds(dir + "/one/metrics.csv");
  const std::vector<std::string> two = rows_without_seconds(dir + "/two/metrics.csv");
  REQUIRE(one.size() == 4);
  CHECK(two == one);
}
