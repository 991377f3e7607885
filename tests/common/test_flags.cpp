#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/flags.hpp"

using namespace dlfs;

namespace {

// Parses `args` (after the program's name) with the options every example has some of; returns
// CLI11's error, or "" when the values were accepted.
std::string parse(std::vector<std::string> args) {
  CLI::App app{"flags"};
  std::string out = "runs/x";
  std::size_t limit = 0;
  float lr = 0.1f;
  double budget = 60;
  int threads = 1;
  bool verbose = false;
  app.add_option("--out", out);
  app.add_option("--limit", limit);
  app.add_option("--lr", lr)->check(CLI::Range(0.0, 100.0));
  app.add_option("--budget", budget);
  app.add_option("--threads", threads);
  app.add_flag("--verbose", verbose);
  check_flag_values(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Flags refuse empty values, negative unsigned numbers and non-finite reals", "[common][flags]") {
  CHECK(parse({"--out", "runs/y", "--limit", "5", "--lr", "0.5", "--threads", "-1", "--verbose"}) == "");
  CHECK(parse({"--out", ""}) == "--out: must not be empty");
  CHECK(parse({"--limit", "-1"}) == "--limit: must not be negative, not -1");
  CHECK(parse({"--limit", " -3"}) == "--limit: must not be negative, not  -3");
  CHECK(parse({"--lr", "nan"}) == "--lr: must be a finite number, not nan");  // inside every range
  CHECK(parse({"--budget", "inf"}) == "--budget: must be a finite number, not inf");
  CHECK(parse({"--lr", "-0.5"}) != "");  // the option's own range still applies
}
