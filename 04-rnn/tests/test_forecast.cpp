// The forecast example, run as a learner runs it: on a synthetic weather file it must beat
// persistence and end with its `result:` line; on a missing, malformed or truncated file it must
// print one line naming the file and exit with status 1.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "04-rnn/weather.hpp"
#include "common/random.hpp"
#include "tests/support/example_runs.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_FORECAST_EXE
#error "DLFS_FORECAST_EXE must name the example program (04-rnn/meson.build passes it)"
#endif

using namespace dlfs;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

using test::Run;

Run run_forecast(const std::string& dir, const std::string& args) {
  return test::run_program(std::string("'") + DLFS_FORECAST_EXE + "' --out '" + dir + "/runs' " + args, dir);
}

// The key=value pairs of the result line, which must be the forecaster's.
std::map<std::string, std::string> result_line(const std::string& out) {
  std::map<std::string, std::string> pairs = test::result_line(out);
  REQUIRE(pairs["model"] == "forecast");
  return pairs;
}

Date next_day(Date d) {
  Date next{d.year, d.month, d.day + 1};
  if (parse_date(format_date(next), next)) return next;
  next = {d.year, d.month + 1, 1};
  if (parse_date(format_date(next), next)) return next;
  return {d.year + 1, 1, 1};
}

// Three years of made-up weather whose temperature is a seasonal cycle plus noise that remembers
// 30% of yesterday's: part of tomorrow is predictable from today, more than persistence uses.
//   temp_max = 12 + 8 sin(2 pi d / 365.25) + a_d,   a_d = 0.3 a_{d-1} + N(0, 2^2)
std::string synthetic_weather() {
  Rng rng(5);
  std::string csv = "date,precipitation,temp_max,temp_min,wind,weather\n";
  Date date{2012, 1, 1};
  double a = 0;
  for (int d = 0; date.year < 2015; ++d, date = next_day(date)) {
    a = 0.3 * a + rng.normal(0, 2);
    const double temp_max = 12 + 8 * std::sin(2 * M_PI * d / 365.25) + a;
    char row[128];
    std::snprintf(row, sizeof row, "%s,%.1f,%.1f,%.1f,%.1f,sun\n", format_date(date).c_str(),
                  std::max(0.0, double(rng.normal(0, 3))), temp_max, temp_max - 6 + rng.normal(0, 1),
                  3 + std::abs(rng.normal(0, 1)));
    csv += row;
  }
  return csv;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("The forecast example beats persistence on synthetic weather and ends with its result line",
          "[04-rnn][forecast][example]") {
  const std::string dir = test::scratch_dir("04-rnn-forecast");
  write(dir + "/weather.csv", synthetic_weather());
  const Run r = run_forecast(dir, "--data '" + dir + "/weather.csv' --validation-from 2013/07/01 --test-from "
                                  "2014/01/01 --window 7 --hidden 16 --epochs 40 --patience 5");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const auto result = result_line(r.out);
  for (const char* key : {"cell", "test_mae", "test_rmse", "persistence_mae", "persistence_rmse", "seasonal_mae",
                          "seasonal_rmse", "epochs", "seconds"})
    CHECK(result.count(key) == 1);
  CHECK(result.at("cell") == "gru");
  CHECK(std::stod(result.at("test_mae")) < 0.95 * std::stod(result.at("persistence_mae")));
  CHECK(std::stod(result.at("test_rmse")) < 0.95 * std::stod(result.at("persistence_rmse")));
}

TEST_CASE("The forecast example reports a missing, malformed or truncated file in one line and exits 1",
          "[04-rnn][forecast][example][errors]") {
  const std::string dir = test::scratch_dir("04-rnn-forecast-errors");
  const std::string csv = synthetic_weather();
  const std::size_t cut = csv.find("\n2013/06/15,") + 1 + 16;  // "2013/06/15,p.p,t": three fields
  write(dir + "/truncated.csv", csv.substr(0, cut));
  write(dir + "/malformed.csv", "date,precipitation,temp_max,temp_min,wind,weather\n2012/01/01,0.0,12.8,5.0,4.7,sun\n"
                                "2012/01/02,lots,10.6,2.8,4.5,rain\n");
  write(dir + "/empty.csv", "");
  const std::pair<std::string, std::string> cases[] = {
      {dir + "/missing.csv", "cannot open: no such file (seattle-weather.csv comes with Debian's python3-vega-datasets"},
      {dir + "/truncated.csv", "fields but the header has 6"},
      {dir + "/malformed.csv", ":3:12: expected a number in column 'precipitation', found 'lots'"},
      {dir + "/empty.csv", "empty.csv"},
  };
  for (const auto& [file, problem] : cases) {
    const Run r = run_forecast(dir, "--data '" + file + "'");
    INFO(file << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, StartsWith("forecast: error: " + file) && Contains(problem));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("A forecast run killed with SIGKILL and resumed saves the uninterrupted run's model, byte for byte",
          "[04-rnn][forecast][example][resume]") {
  // Early stopping with a patience as long as the run, so that it never stops it, and the best
  // epoch's weights put back at the end: both callbacks' memory must survive the kill.
  const std::string dir = test::scratch_dir("04-rnn-forecast-resume");
  write(dir + "/weather.csv", synthetic_weather());
  const std::string run = std::string("'") + DLFS_FORECAST_EXE + "' --data '" + dir + "/weather.csv' " +
                          "--validation-from 2013/07/01 --test-from 2014/01/01 --window 7 --hidden 16 --epochs 30 "
                          "--patience 30 --seed 3 ";
  const auto [whole, resumed] = test::check_kill_and_resume(run, dir, 30);
  const auto a = result_line(whole.out), b = result_line(resumed.out);
  CHECK(b.at("test_mae") == a.at("test_mae"));
  CHECK(b.at("best_epoch") == a.at("best_epoch"));
  CHECK(b.at("epochs") == a.at("epochs"));
}
