#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/metrics_csv.hpp"
#include "tests/support/example_runs.hpp"
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

TEST_CASE("MetricsCsv leaves an earlier run's file alone until the first row", "[common][metrics]") {
  const std::string dir = test::scratch_dir("metrics-untouched");
  const std::string earlier = "epoch,loss\n1,0.5\n2,0.25\n";
  std::ofstream(dir + "/run.csv") << earlier;
  { MetricsCsv csv(dir + "/run.csv", {"epoch", "loss"}); }  // a run refused before training (a bad --resume)
  CHECK(test::slurp(dir + "/run.csv") == earlier);
  { MetricsCsv csv(dir + "/new.csv", {"epoch", "loss"}); }  // nothing written: no file either
  CHECK_FALSE(std::ifstream(dir + "/new.csv").good());
  {
    MetricsCsv csv(dir + "/run.csv", {"epoch", "loss"});  // a new run replaces it at its first row
    csv.write_row({1, 0.75});
    CHECK(csv.resume(1).empty());  // too late to restore anything: the file is this run's
    csv.write_row({2, 0.5});
  }
  CHECK(test::slurp(dir + "/run.csv") == "epoch,loss\n1,0.75\n2,0.5\n");
}

TEST_CASE("MetricsCsv resume keeps the interrupted run's rows of the epochs done", "[common][metrics]") {
  const std::string dir = test::scratch_dir("metrics-resume");
  // Epochs 1-3 complete, epoch 3 written after the checkpoint of epoch 2, a 4th cut short.
  std::ofstream(dir + "/run.csv") << "epoch,loss,accuracy\n1,0.5,0.75\n2,0.25,0.875\n3,0.125,0.9\n4,0.1";
  std::vector<std::vector<double>> rows;
  {
    MetricsCsv csv(dir + "/run.csv", {"epoch", "loss", "accuracy"});
    rows = csv.resume(2);
    csv.write_row({3, 0.2, 0.8});
  }
  CHECK(test::slurp(dir + "/run.csv") == "epoch,loss,accuracy\n1,0.5,0.75\n2,0.25,0.875\n3,0.2,0.8\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1] == std::vector<double>{2, 0.25, 0.875});

  // Resumed with one column more (and one fewer): columns go by name, a new one is left empty.
  std::ofstream(dir + "/wider.csv", std::ios::trunc) << "epoch,loss,accuracy\n1,0.5,0.75\n";
  {
    MetricsCsv csv(dir + "/wider.csv", {"epoch", "accuracy", "train_eval_loss"});
    rows = csv.resume(1);
    csv.write_row({2, 0.8, 0.3});
  }
  CHECK(test::slurp(dir + "/wider.csv") == "epoch,accuracy,train_eval_loss\n1,0.75,\n2,0.8,0.3\n");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][1] == 0.75);
  CHECK(std::isnan(rows[0][2]));

  // A file that counts something else (steps, not epochs) is not this run's: nothing is kept.
  std::ofstream(dir + "/steps.csv", std::ios::trunc) << "step,loss\n1,0.5\n";
  {
    MetricsCsv csv(dir + "/steps.csv", {"epoch", "loss"});
    CHECK(csv.resume(1).empty());
  }
  CHECK(test::slurp(dir + "/steps.csv") == "epoch,loss\n");
}
