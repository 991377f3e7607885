// The plot_csv program, run as a learner runs it: a metrics CSV in, the figure out; bad input ends
// in one line naming the file and what is wrong.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/tmp.hpp"

#ifndef DLFS_PLOT_CSV_EXE
#error "DLFS_PLOT_CSV_EXE must name the program (tests/meson.build passes it)"
#endif

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Run {
  int status = -1;
  std::string err;
};

Run plot(const std::string& dir, const std::string& args) {
  const std::string command = std::string("'") + DLFS_PLOT_CSV_EXE + "' " + args + " >/dev/null 2>'" + dir + "/err'";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir + "/err")};
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("plot_csv draws the named columns of a metrics CSV, one panel per --panel", "[common][plot][plot_csv]") {
  const std::string dir = dlfs::test::scratch_dir("plot-csv");
  std::ofstream(dir + "/metrics.csv") << "epoch,train_loss,test_loss,test_accuracy\n1,0.9,0.8,0.7\n2,0.5,nan,0.8\n3,0.4,0.6,0.85\n4,0.3,0.55,0.86\n";
  const Run r = plot(dir, "'" + dir + "/metrics.csv' --out '" + dir + "/curves.svg'" +
                              " --panel 'Loss;cross-entropy;train_loss=train,test_loss=test'" +
                              " --panel 'Accuracy;accuracy;test_accuracy=test'");
  REQUIRE(r.status == 0);
  const std::string svg = slurp(dir + "/curves.svg");
  CHECK(count(svg, "<polyline") == 3);  // train; test after its gap; test accuracy
  CHECK(count(svg, "<circle") == 1);    // test loss's first point, before the gap
  CHECK(count(svg, ">test</text>") == 1);  // one legend entry per name
  CHECK_THAT(svg, Catch::Contains(">Loss</text>") && Catch::Contains(">cross-entropy</text>"));
}

TEST_CASE("plot_csv names the file and the problem when the input is bad", "[common][plot][plot_csv]") {
  const std::string dir = dlfs::test::scratch_dir("plot-csv-bad");
  std::ofstream(dir + "/ragged.csv") << "epoch,loss\n1,0.5\n2\n";
  std::ofstream(dir + "/text.csv") << "epoch,loss\n1,low\n";
  const std::string panel = " --out '" + dir + "/x.svg' --panel 'Loss;loss;loss'";
  CHECK(plot(dir, "'" + dir + "/ragged.csv'" + panel).err ==
        "plot_csv: error: " + dir + "/ragged.csv:3: 1 cells but the header has 2\n");
  CHECK(plot(dir, "'" + dir + "/text.csv'" + panel).err ==
        "plot_csv: error: " + dir + "/text.csv:2: column 'loss' holds 'low', not a number\n");
  CHECK(plot(dir, "'" + dir + "/none.csv'" + panel).err == "plot_csv: error: " + dir + "/none.csv: cannot open\n");
  std::ofstream(dir + "/good.csv") << "epoch,loss\n1,0.5\n";
  const Run missing = plot(dir, "'" + dir + "/good.csv' --out '" + dir + "/x.svg' --panel 'Loss;loss;accuracy'");
  CHECK(missing.status == 1);
  CHECK_THAT(missing.err, Catch::Contains("good.csv: no column 'accuracy'"));
}

TEST_CASE("plot_csv draws several named runs in one figure, each ending where its CSV ends", "[common][plot][plot_csv]") {
  const std::string dir = dlfs::test::scratch_dir("plot-csv-several");
  std::ofstream(dir + "/a.csv") << "epoch,test_accuracy\n1,0.7\n2,0.8\n3,0.85\n";
  std::ofstream(dir + "/b.csv") << "epoch,test_accuracy\n1,0.6\n";  // a run that stopped after one epoch
  const std::string csvs = "slow='" + dir + "/a.csv' fast='" + dir + "/b.csv' --out '" + dir + "/runs.svg'";
  const Run r = plot(dir, csvs + " --panel 'Test;accuracy;slow:test_accuracy=lr 0.1,fast:test_accuracy=lr 1'");
  REQUIRE(r.status == 0);
  const std::string svg = slurp(dir + "/runs.svg");
  CHECK(count(svg, "<polyline") == 1);  // lr 0.1's three points
  CHECK(count(svg, "<circle") == 1);    // lr 1's single point
  CHECK_THAT(svg, Catch::Contains(">lr 0.1</text>") && Catch::Contains(">lr 1</text>"));

  // One CSV whose directory has '=' in its name is a path, not a name.
  std::filesystem::create_directories(dir + "/lr=0.1");
  std::ofstream(dir + "/lr=0.1/metrics.csv") << "epoch,test_accuracy\n1,0.7\n";
  CHECK(plot(dir, "'" + dir + "/lr=0.1/metrics.csv' --out '" + dir + "/one.svg' --panel 'Test;accuracy;test_accuracy'")
            .status == 0);

  const std::string panel = " --panel 'Test;accuracy;slow:test_accuracy'";
  CHECK(plot(dir, "'" + dir + "/a.csv' fast='" + dir + "/b.csv' --out '" + dir + "/x.svg'" + panel).err ==
        "plot_csv: error: '" + dir + "/a.csv': with several CSVs, name each one (name=path)\n");
  CHECK(plot(dir, csvs + " --panel 'Test;accuracy;test_accuracy'").err ==
        "plot_csv: error: 'test_accuracy': with several CSVs, say whose column (name:column) (--panel "
        "'Test;accuracy;test_accuracy')\n");
  CHECK_THAT(plot(dir, csvs + " --panel 'Test;accuracy;medium:test_accuracy'").err,
             Catch::Contains("no CSV named 'medium'"));
  CHECK_THAT(plot(dir, "x='" + dir + "/a.csv' x='" + dir + "/b.csv' --out '" + dir + "/x.svg'" + panel).err,
             Catch::Contains("two CSVs are named 'x'"));
}
