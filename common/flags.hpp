// Checks on command-line values that CLI11 does not make by itself, shared by every example.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

namespace dlfs {

// Gives every option of `app` that takes a value the checks CLI11 leaves out. Call it after the
// last add_option.
//   - No empty value: `--out ""` would name the filesystem root (the files going to "" +
//     "/metrics.csv"), and `--save ""` or `--load ""` would quietly mean no file at all.
//   - An unsigned number (CLI11's UINT) is not negative: CLI11 reads "-1" as 2^64 - 1, so
//     `--limit -1` meant every image and `--sample -5` failed after training, in vector::reserve.
//   - A real number (FLOAT) is finite: "nan" passes every range check (`--budget nan` meant no
//     budget at all), and no flag of the book means anything by an infinite one.
inline void check_flag_values(CLI::App& app) {
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("must not be empty") : std::string(); }, "", "not empty");
  const CLI::Validator not_negative(
      [](std::string& value) {
        return value.find_first_not_of(" \t") != std::string::npos && value[value.find_first_not_of(" \t")] == '-'
                   ? "must not be negative, not " + value
                   : std::string();
      },
      "", "not negative");
  const CLI::Validator finite(
      [](std::string& value) {
        const double x = std::strtod(value.c_str(), nullptr);
        return std::isfinite(x) ? std::string() : "must be a finite number, not " + value;
      },
      "", "finite");
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_size() <= 0) continue;  // a flag without a value
    const std::string type = option->get_type_name();
    option->check(not_empty);
    if (type.rfind("UINT", 0) == 0) option->check(not_negative);
    if (type.rfind("FLOAT", 0) == 0) option->check(finite);
  }
}

}  // namespace dlfs
