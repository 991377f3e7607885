// Per-epoch metrics as CSV (one header row, one row per epoch), flushed after every row so a
// run that is stopped early still leaves its curves behind.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace dlfs {

class MetricsCsv {
 public:
  // Creates (truncates) path and writes the header. Throws std::runtime_error naming the path
  // if it cannot be opened; creates missing parent directories.
  MetricsCsv(const std::string& path, std::vector<std::string> columns);
  // One value per column, in order; throws std::invalid_argument on a count mismatch.
  void write_row(const std::vector<double>& values);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

}  // namespace dlfs
