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
  // if it cannot be opened; creates missing parent directories. What the file held is kept aside
  // for resume().
  MetricsCsv(const std::string& path, std::vector<std::string> columns);
  // A run resumed after `done` epochs (or steps: whatever the first column counts): the rows that
  // the interrupted run wrote for them (same columns, first column at most `done`) are written
  // back, so the file again covers the whole run. Call it before the first write_row. Rows past
  // `done` (written after the checkpoint) are dropped: the resumed run writes them again.
  void resume(std::size_t done);
  // One value per column, in order; throws std::invalid_argument on a count mismatch.
  void write_row(const std::vector<double>& values);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::string previous_;  // the file's contents before the constructor truncated it
  std::ofstream out_;
};

}  // namespace dlfs
