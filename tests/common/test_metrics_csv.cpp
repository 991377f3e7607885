#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/metrics_csv.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

TEST_CASE("MetricsCsv writes a header and one row per call", "[common][metrics]") {
  const std::string path = test::scratch_dir("metrics") + "/sub/run.csv";  // parent is created
  {
    MetricsCsv csv(path, {"epoch", "train_loss", "test_accuracy"});
    csv.write_row({1, 0.5, 0.8125});
    csv.write_row({2, 0.25, 0.875});
    CHECK_THROWS_WITH(csv.write_row({3}), Catch::Contains("row has 1 values for 3 columns"));
  }
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() == "epoch,train_loss,test_accuracy\n1,0.5,0.8125\n2,0.25,0.875\n");
}

TEST_CASE("MetricsCsv names a path it cannot write", "[common][metrics]") {
  const std::string dir = test::scratch_dir("metrics-bad");
  std::ofstream(dir + "/file") << "x";
  CHECK_THROWS_WITH(MetricsCsv(dir + "/file/run.csv", {"a"}), Catch::Contains(dir + "/file/run.csv: cannot open"));
}
