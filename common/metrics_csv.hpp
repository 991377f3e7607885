// Per-epoch metrics as CSV (one header row, one row per epoch), flushed after every row so a
// run that is stopped early still leaves its curves behind.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace dlfs {

class MetricsCsv {
 public:
  // Checks that path can be written (creating missing parent directories; throws
  // std::runtime_error naming the path if not) and keeps aside what the file holds now. The file
  // is replaced only when the first row is written (or resume() runs): a run that fails before
  // training (a refused --resume, say) or trains nothing leaves an earlier run's file as it was.
  MetricsCsv(const std::string& path, std::vector<std::string> columns);
  // A run resumed after `done` epochs (or steps: whatever the first column counts): starts the
  // file with the rows the interrupted run wrote for them (first column from 1 to `done`; rows
  // past it were written after the checkpoint, and the resumed run writes them again), so it
  // again covers the whole run. Columns are matched by name: one the earlier file did not have is
  // left empty. Returns those rows as numbers in this file's columns (NaN where empty), for
  // curves drawn from the first epoch. After the first write_row it does nothing.
  std::vector<std::vector<double>> resume(std::size_t done);
  // One value per column, in order; throws std::invalid_argument on a count mismatch.
  void write_row(const std::vector<double>& values);
  const std::string& path() const { return path_; }

 private:
  void start();  // replaces the file with the header (once)
  std::string path_;
  std::vector<std::string> columns_;
  std::string previous_;  // the file's contents when this object was made
  std::ofstream out_;
};

}  // namespace dlfs
